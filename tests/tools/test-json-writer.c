/* SPDX-License-Identifier: MIT */
/* common/json-writer.c against json-c: the same values give the
 * same bytes as json-c prints them (JSON_C_TO_STRING_PLAIN |
 * JSON_C_TO_STRING_NOSLASHESCAPE, the daemon's way): strings with every
 * byte, integers at their limits, nesting, and the shapes written as text
 * (a spec with every field, instances) against the trees json-c builds. */

#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "protocol-shapes.h"

#define FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* Compare w's text with o's as json-c prints it, and put o. */
static void assert_same(json_writer *w, json_object *o) {
        const char *got = json_writer_text(w, NULL);
        const char *want = json_object_to_json_string_ext(o, FLAGS);

        assert_non_null(got);
        assert_non_null(want);
        if (strcmp(got, want) != 0)
                fail_msg("writer: %s\njson-c: %s", got, want);
        json_object_put(o);
        json_writer_reset(w);
}

static void check_string(json_writer *w, const char *s) {
        json_writer_string(w, s);
        assert_same(w, json_object_new_string(s));
}

static void test_strings(void **state) {
        json_writer w = JSON_WRITER_INIT;
        char s[8];

        check_string(&w, "");
        check_string(&w, "plain /path/with/slashes");
        check_string(&w, "quote \" backslash \\ tab \t newline \n cr \r ff \f bs \b");
        check_string(&w, "UTF-8: h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80, DEL \x7f, a lone byte \xff");
        /* Every byte, alone and between others. */
        for (unsigned c = 1; c < 256; c++) {
                s[0] = (char) c;
                s[1] = '\0';
                check_string(&w, s);
                snprintf(s, sizeof(s), "a%cb%c", (char) c, (char) c);
                check_string(&w, s);
        }
        /* Random bytes, a fixed seed: the same cases in every run. */
        srandom(6);
        for (unsigned i = 0; i < 2000; i++) {
                char r[64];
                size_t n = (size_t) random() % (sizeof(r) - 1);

                for (size_t k = 0; k < n; k++)
                        r[k] = (char) (1 + random() % 255);
                r[n] = '\0';
                check_string(&w, r);
        }
        /* NULL is null. */
        json_writer_string(&w, NULL);
        assert_string_equal(json_writer_text(&w, NULL), "null");

        /* Taken: the caller's, and the writer starts empty. */
        size_t len = 0;
        char *taken = json_writer_take(&w, &len);
        assert_string_equal(taken, "null");
        assert_int_equal(len, 4);
        assert_null(w.buf);
        json_writer_int(&w, 5);
        assert_string_equal(json_writer_text(&w, NULL), "5");
        free(taken);
        json_writer_done(&w);
}

static void test_integers(void **state) {
        static const int64_t ints[] = { INT64_MIN, INT64_MIN + 1, -1000000007, -10, -9, -1, 0, 1, 9, 10, 99, 100,
                                        2147483647, 2147483648, INT64_MAX };
        static const uint64_t uints[] = { 0, 1, 9, 10, 4294967295u, 4294967296u, (uint64_t) INT64_MAX + 1, UINT64_MAX };
        json_writer w = JSON_WRITER_INIT;

        for (size_t i = 0; i < ELEMENTSOF(ints); i++) {
                json_writer_int(&w, ints[i]);
                assert_same(&w, json_object_new_int64(ints[i]));
        }
        for (size_t i = 0; i < ELEMENTSOF(uints); i++) {
                json_writer_uint(&w, uints[i]);
                assert_same(&w, json_object_new_uint64(uints[i]));
        }
        json_writer_done(&w);
}

/* Objects and arrays in each other, empty ones, every kind of value, and a
 * raw value: the commas go where json-c puts them. */
static void test_nesting(void **state) {
        json_writer w = JSON_WRITER_INIT;
        json_object *o = json_object_new_object(), *a = json_object_new_array(), *inner = json_object_new_object();
        static const char *const strv[] = { "x", "y/z", NULL };

        json_writer_object_begin(&w);
        json_writer_key(&w, "empty object");
        json_writer_object_begin(&w);
        json_writer_object_end(&w);
        json_writer_key(&w, "empty array");
        json_writer_array_begin(&w);
        json_writer_array_end(&w);
        json_writer_key(&w, "list");
        json_writer_array_begin(&w);
        json_writer_int(&w, -3);
        json_writer_bool(&w, true);
        json_writer_bool(&w, false);
        json_writer_null(&w);
        json_writer_object_begin(&w);
        json_writer_field_string(&w, "k\"ey", "v");
        json_writer_field_uint(&w, "n", 7);
        json_writer_object_end(&w);
        json_writer_array_begin(&w);
        json_writer_array_end(&w);
        json_writer_raw(&w, "{\"raw\":[1,2]}", 13);
        json_writer_array_end(&w);
        json_writer_field_strv(&w, "strv", strv);
        json_writer_field_strv(&w, "no strv", NULL);
        json_writer_field_int(&w, "last", 0);
        json_writer_object_end(&w);

        json_object_object_add(o, "empty object", json_object_new_object());
        json_object_object_add(o, "empty array", json_object_new_array());
        json_object_array_add(a, json_object_new_int64(-3));
        json_object_array_add(a, json_object_new_boolean(true));
        json_object_array_add(a, json_object_new_boolean(false));
        json_object_array_add(a, NULL);
        json_object_object_add(inner, "k\"ey", json_object_new_string("v"));
        json_object_object_add(inner, "n", json_object_new_uint64(7));
        json_object_array_add(a, inner);
        json_object_array_add(a, json_object_new_array());
        json_object_array_add(a, json_tokener_parse("{\"raw\":[1,2]}"));
        json_object_object_add(o, "list", a);
        json_object_object_add(o, "strv", json_strv(strv));
        json_object_object_add(o, "no strv", NULL);
        json_object_object_add(o, "last", json_object_new_int64(0));
        assert_same(&w, o);
        json_writer_done(&w);
}

static void test_instances(void **state) {
        ph_instance in[] = { { .node = "node-a", .pid = 42 }, { .node = "b\n", .pid = 7 } };
        json_writer w = JSON_WRITER_INIT;

        for (size_t n = 0; n <= ELEMENTSOF(in); n++) {
                json_write_instances(&w, in, n);
                assert_same(&w, json_instances(in, n));
        }
        json_writer_done(&w);
}

/* The spec's shape as json-c trees built it (docs/control-protocol.md):
 * the reference the text must match. */
static json_object *spec_tree(const ph_child_spec *s) {
        static const char *const restart[] = { "permanent", "transient", "temporary" };
        static const char *const ready[] = { "exec", "notify" };
        static const char *const output[] = { "inherit", "null", "file", "journal" };
        json_object *o = json_object_new_object(), *l = json_object_new_object();

        json_add_string(o, "id", s->id);
        json_object_object_add(o, "argv", json_strv(s->argv));
        json_object_object_add(o, "env", json_strv(s->env));
        json_add_string(o, "cwd", s->cwd);
        json_add_string(o, "user", s->user);
        json_add_string(o, "group", s->group);
        json_add_string(o, "restart", restart[s->restart]);
        json_add_string(o, "ready", ready[s->ready]);
        json_object_object_add(o, "ready_timeout_ms", json_object_new_uint64(s->ready_timeout_ms));
        json_object_object_add(o, "shutdown_timeout_ms", json_object_new_uint64(s->shutdown_timeout_ms));
        json_object_object_add(o, "restart_burst", json_object_new_uint64(s->restart_burst));
        json_object_object_add(o, "restart_interval_ms", json_object_new_uint64(s->restart_interval_ms));
        json_object_object_add(o, "restart_delay_ms", json_object_new_uint64(s->restart_delay_ms));
        json_object_object_add(o, "restart_delay_max_ms", json_object_new_uint64(s->restart_delay_max_ms));
        json_object_object_add(l, "memory_max",
                               s->limits.memory_max == PH_LIMIT_MAX ? json_object_new_string("max")
                               : s->limits.memory_max             ? json_object_new_uint64(s->limits.memory_max)
                                                                  : NULL);
        json_object_object_add(l, "pids_max",
                               s->limits.pids_max == PH_LIMIT_MAX ? json_object_new_string("max")
                               : s->limits.pids_max             ? json_object_new_uint64(s->limits.pids_max)
                                                                : NULL);
        json_object_object_add(l, "cpu_weight", s->limits.cpu_weight ? json_object_new_uint64(s->limits.cpu_weight) : NULL);
        json_object_object_add(l, "io_weight", s->limits.io_weight ? json_object_new_uint64(s->limits.io_weight) : NULL);
        json_object_object_add(o, "limits", l);
        json_add_string(o, "stdout", output[s->stdout_output]);
        json_add_string(o, "stdout_path", s->stdout_path);
        json_add_string(o, "stderr", output[s->stderr_output]);
        json_add_string(o, "stderr_path", s->stderr_path);
        return o;
}

static void test_spec_and_info(void **state) {
        static const char *const argv[] = { "/bin/sh", "-c", "echo \"hi\"\t/tmp", NULL };
        static const char *const env[] = { "A=1", "PATH=/usr/bin", NULL };
        ph_instance in[] = { { .node = "n1", .pid = 100 } };
        ph_kv kv[] = { { .key = "k", .value = "v" }, { .key = "q\"", .value = "\x01" } };
        json_writer w = JSON_WRITER_INIT;
        ph_child_spec s;

        /* The defaults (NULL fields, no limits), then every field set. */
        ph_child_spec_init(&s);
        s.id = "c1";
        s.argv = argv;
        json_write_spec(&w, &s);
        assert_same(&w, spec_tree(&s));

        s.env = env;
        s.cwd = "/srv";
        s.user = "nobody";
        s.group = "nogroup";
        s.restart = PH_RESTART_TEMPORARY;
        s.ready = PH_READY_NOTIFY;
        s.ready_timeout_ms = UINT64_MAX;
        s.limits.memory_max = PH_LIMIT_MAX;
        s.limits.pids_max = 64;
        s.limits.cpu_weight = 10000;
        s.limits.io_weight = 1;
        s.stdout_output = PH_OUTPUT_FILE;
        s.stdout_path = "/var/log/c1.out";
        s.stderr_output = PH_OUTPUT_JOURNAL;
        json_write_spec(&w, &s);
        assert_same(&w, spec_tree(&s));

        /* The info around it, with and without metadata. */
        ph_child_info info = { .spec = s, .instances = in, .n_instances = 1, .tag = "web", .metadata = kv, .n_metadata = 2 };
        for (int with_metadata = 0; with_metadata <= 1; with_metadata++) {
                json_object *o = json_object_new_object();
                json_add_string(o, "id", "c1");
                json_object_object_add(o, "instances", json_instances(in, 1));
                json_add_string(o, "tag", "web");
                json_object_object_add(o, "spec", spec_tree(&s));
                if (with_metadata) {
                        json_object *m = json_object_new_object();
                        json_add_string(m, "k", "v");
                        json_add_string(m, "q\"", "\x01");
                        json_object_object_add(o, "metadata", m);
                }
                json_write_info(&w, &info, NULL, with_metadata);
                assert_same(&w, o);
        }
        /* The tree versions parse the same text. */
        json_object *tree = json_info(&info, "c1", true);
        json_write_info(&w, &info, "c1", true);
        assert_same(&w, tree);
        json_writer_done(&w);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_strings),
                cmocka_unit_test(test_integers),
                cmocka_unit_test(test_nesting),
                cmocka_unit_test(test_instances),
                cmocka_unit_test(test_spec_and_info),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
