/* SPDX-License-Identifier: MIT */

/* The TTL storage: put/get/replace/remove, expiry hides entries at once and
 * purge drops them, bad arguments. Timestamps are given, not waited for. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>

#include "macros.h"
#include "storage.h"

static void test_put_get_expire_purge(void **state) {
        storage *s = NULL;
        char *v = NULL;

        assert_int_equal(storage_new(&s), 0);
        assert_int_equal(storage_put(s, "a", "one", 100), 0);
        assert_int_equal(storage_put(s, "b", "two", 0), 0); /* never expires */
        assert_int_equal(storage_put(s, "c", "three", 300), 0);
        assert_int_equal(storage_size(s), 3);

        assert_int_equal(storage_get(s, "a", 50, &v), 0);
        assert_string_equal(v, "one");
        free(v);
        /* Expired is gone for readers, purged or not. */
        assert_int_equal(storage_get(s, "a", 100, &v), -ENOENT);
        assert_int_equal(storage_purge(s, 200), 1);
        assert_int_equal(storage_size(s), 2);
        assert_int_equal(storage_purge(s, 200), 0);

        assert_int_equal(storage_put(s, "c", "THREE", 1000), 0); /* replace, new expiry */
        assert_int_equal(storage_get(s, "c", 500, &v), 0);
        assert_string_equal(v, "THREE");
        free(v);
        assert_int_equal(storage_purge(s, UINT64_MAX - 1), 1);
        assert_int_equal(storage_get(s, "b", UINT64_MAX - 1, &v), 0);
        free(v);
        assert_int_equal(storage_remove(s, "b"), 0);
        assert_int_equal(storage_remove(s, "b"), -ENOENT);
        assert_int_equal(storage_size(s), 0);
        storage_free(s);
}

static void test_many(void **state) {
        storage *s = NULL;
        char key[32];

        assert_int_equal(storage_new(&s), 0);
        for (unsigned i = 0; i < 10000; i++) {
                snprintf(key, sizeof(key), "k%u", i);
                assert_int_equal(storage_put(s, key, "v", i % 2 ? 10 : 0), 0);
        }
        assert_int_equal(storage_purge(s, 10), 5000);
        assert_int_equal(storage_size(s), 5000);
        storage_free(s);
}

static void test_bad_arguments(void **state) {
        storage *s = NULL;
        char *v;

        assert_int_equal(storage_new(NULL), -EINVAL);
        assert_int_equal(storage_new(&s), 0);
        assert_int_equal(storage_put(NULL, "k", "v", 0), -EINVAL);
        assert_int_equal(storage_put(s, NULL, "v", 0), -EINVAL);
        assert_int_equal(storage_put(s, "k", NULL, 0), -EINVAL);
        assert_int_equal(storage_get(NULL, "k", 0, &v), -EINVAL);
        assert_int_equal(storage_get(s, NULL, 0, &v), -EINVAL);
        assert_int_equal(storage_get(s, "k", 0, NULL), -EINVAL);
        assert_int_equal(storage_get(s, "k", 0, &v), -ENOENT);
        assert_int_equal(storage_remove(NULL, "k"), -EINVAL);
        assert_int_equal(storage_remove(s, NULL), -EINVAL);
        assert_int_equal(storage_purge(NULL, 0), 0);
        assert_int_equal(storage_size(NULL), 0);
        assert_null(storage_free(NULL));
        storage_free(s);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_put_get_expire_purge),
                cmocka_unit_test(test_many),
                cmocka_unit_test(test_bad_arguments),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
