/* SPDX-License-Identifier: MIT */
/* cgroup_escape_name(): readable, valid, unambiguous directory names. */

#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cgroup-internal.h"
#include "cgroup.h"

static void assert_escape(const char *id, const char *suffix, const char *expected) {
        char *name = NULL;

        assert_int_equal(cgroup_escape_name(id, suffix, &name), 0);
        assert_string_equal(name, expected);
        assert_true(cgroup_name_is_valid(name));
        free(name);
}

static void test_plain(void **state) {
        assert_escape("web-1", ".child", "web-1.child");
        assert_escape("a:b_c.d@e-F9", ".hub", "a:b_c.d@e-F9.hub");
        assert_escape("x", ".", "x.");
}

static void test_special_bytes(void **state) {
        assert_escape("a b", ".hub", "a\\x20b.hub");
        assert_escape("\\", ".hub", "\\x5c.hub");
        assert_escape("caf\xc3\xa9", ".child", "caf\\xc3\\xa9.child");
        assert_escape("tab\tnl\n", ".child", "tab\\x09nl\\x0a.child");
        assert_escape("~", ".child", "\\x7e.child");
        /* an id that looks escaped already stays distinct from the real thing */
        assert_escape("\\x20", ".hub", "\\x5cx20.hub");
}

static void test_leading_dot(void **state) {
        assert_escape(".hidden", ".child", "\\x2ehidden.child");
        assert_escape(".", ".child", "\\x2e.child");
        assert_escape("..", ".child", "\\x2e..child");
        assert_escape("a.b", ".child", "a.b.child");
}

static void test_slash(void **state) {
        assert_escape("/", ".hub", "\\x2f.hub");
        assert_escape("a/../b", ".hub", "a\\x2f..\\x2fb.hub");
}

static char *long_id(size_t n, char fill, const char *tail) {
        char *s = malloc(n + strlen(tail) + 1);

        assert_non_null(s);
        memset(s, fill, n);
        strcpy(s + n, tail);
        return s;
}

static void test_overlong(void **state) {
        char *id1 = long_id(300, 'a', "1"), *id2 = long_id(300, 'a', "2");
        char *n1 = NULL, *n2 = NULL;

        assert_int_equal(cgroup_escape_name(id1, ".child", &n1), 0);
        assert_int_equal(cgroup_escape_name(id2, ".child", &n2), 0);
        assert_true(strlen(n1) <= NAME_MAX);
        assert_true(strlen(n2) <= NAME_MAX);
        assert_string_not_equal(n1, n2);
        assert_non_null(strchr(n1, '~'));
        assert_int_equal(strcmp(n1 + strlen(n1) - strlen(".child"), ".child"), 0);
        assert_int_equal(strncmp(n1, "aaaaaaaaaa", 10), 0);
        assert_true(cgroup_name_is_valid(n1));
        free(n1);
        free(n2);
        free(id1);
        free(id2);
}

/* The longest name that fits is kept whole; one byte more is hashed. */
static void test_limit(void **state) {
        char *fits = long_id(NAME_MAX - strlen(".hub"), 'b', ""), *over = long_id(NAME_MAX - strlen(".hub") + 1, 'b', "");
        char *n = NULL;

        assert_int_equal(cgroup_escape_name(fits, ".hub", &n), 0);
        assert_int_equal(strlen(n), NAME_MAX);
        assert_null(strchr(n, '~'));
        free(n);

        assert_int_equal(cgroup_escape_name(over, ".hub", &n), 0);
        assert_int_equal(strlen(n), NAME_MAX);
        assert_non_null(strchr(n, '~'));
        free(n);
        free(fits);
        free(over);
}

/* A cut never splits "\xNN": every backslash before the hash starts a
 * complete escape. */
static void test_cut_keeps_escapes_whole(void **state) {
        for (size_t shift = 0; shift < 4; shift++) {
                char *id = long_id(200 + shift, 'c', "                                                      ");
                char *n = NULL, *tilde;

                assert_int_equal(cgroup_escape_name(id, ".child", &n), 0);
                assert_true(strlen(n) <= NAME_MAX);
                tilde = strchr(n, '~');
                assert_non_null(tilde);
                for (char *p = n; p < tilde; p++)
                        if (*p == '\\') {
                                assert_true(p + 4 <= tilde);
                                assert_memory_equal(p, "\\x20", 4);
                                p += 3;
                        }
                free(n);
                free(id);
        }
}

static void test_bad_args(void **state) {
        char *n = (char *) 0x1, *suffix = long_id(NAME_MAX - 17, 'x', "");

        suffix[0] = '.';
        assert_int_equal(cgroup_escape_name("", ".hub", &n), -EINVAL);
        assert_int_equal(cgroup_escape_name(NULL, ".hub", &n), -EINVAL);
        assert_int_equal(cgroup_escape_name("a", NULL, &n), -EINVAL);
        assert_int_equal(cgroup_escape_name("a", "", &n), -EINVAL);
        assert_int_equal(cgroup_escape_name("a", "hub", &n), -EINVAL);
        assert_int_equal(cgroup_escape_name("a", ".h/b", &n), -EINVAL);
        assert_int_equal(cgroup_escape_name("a", ".h b", &n), -EINVAL);
        assert_int_equal(cgroup_escape_name("a", suffix, &n), -EINVAL);
        assert_int_equal(cgroup_escape_name("a", ".hub", NULL), -EINVAL);
        assert_ptr_equal(n, (char *) 0x1);
        free(suffix);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_plain),
                cmocka_unit_test(test_special_bytes),
                cmocka_unit_test(test_leading_dot),
                cmocka_unit_test(test_slash),
                cmocka_unit_test(test_overlong),
                cmocka_unit_test(test_limit),
                cmocka_unit_test(test_cut_keeps_escapes_whole),
                cmocka_unit_test(test_bad_args),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
