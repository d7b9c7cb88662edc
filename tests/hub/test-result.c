/* SPDX-License-Identifier: MIT */

/* Results: the builder, the public accessors and helpers, rollback
 * removal, deep copies, 10,000 children, and NULL everywhere. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "macros.h"
#include "result.h"

/* A start result: web on n1 (100), db on n2 (200) and n1 (201), cache on
 * n3 with pid 0; errors for broken (n3) and invalid (no node). */
static ph_result *build_start_result(void) {
        ph_result *r = NULL;

        assert_int_equal(result_new(PH_RESULT_START, &r), 0);
        assert_int_equal(result_add_child(r, "web", (ph_instance[]) { { "n1", 100 } }, 1), 0);
        assert_int_equal(result_add_child(r, "db", (ph_instance[]) { { "n2", 200 }, { "n1", 201 } }, 2), 0);
        assert_int_equal(result_add_child(r, "cache", (ph_instance[]) { { "n3", 0 } }, 1), 0);
        assert_int_equal(result_add_error(r, "broken", "n3", "node_receive_timeout"), 0);
        assert_int_equal(result_add_error(r, "invalid", NULL, "invalid_spec"), 0);
        return r;
}

static void test_builder_and_accessors(void **state) {
        _cleanup_(ph_result_freep) ph_result *r = build_start_result();
        const ph_result_child *c;
        const ph_result_error *e;

        assert_int_equal(ph_result_kind_of(r), PH_RESULT_START);
        assert_int_equal(ph_result_status(r), PH_STATUS_ERROR);
        assert_false(ph_result_rollback(r));

        assert_int_equal(ph_result_n_children(r), 3);
        c = ph_result_child_at(r, 0);
        assert_non_null(c);
        assert_string_equal(c->id, "web");
        assert_int_equal(c->n_instances, 1);
        assert_string_equal(c->instances[0].node, "n1");
        assert_int_equal(c->instances[0].pid, 100);
        c = ph_result_child_at(r, 1);
        assert_string_equal(c->id, "db");
        assert_int_equal(c->n_instances, 2);
        assert_string_equal(c->instances[0].node, "n2");
        assert_int_equal(c->instances[0].pid, 200);
        assert_string_equal(c->instances[1].node, "n1");
        assert_int_equal(c->instances[1].pid, 201);
        assert_string_equal(ph_result_child_at(r, 2)->id, "cache");
        assert_null(ph_result_child_at(r, 3));
        assert_null(ph_result_child_at(r, SIZE_MAX));

        assert_int_equal(ph_result_n_errors(r), 2);
        e = ph_result_error_at(r, 0);
        assert_string_equal(e->id, "broken");
        assert_string_equal(e->node, "n3");
        assert_string_equal(e->reason, "node_receive_timeout");
        e = ph_result_error_at(r, 1);
        assert_string_equal(e->id, "invalid");
        assert_null(e->node);
        assert_string_equal(e->reason, "invalid_spec");
        assert_null(ph_result_error_at(r, 2));

        result_set_rollback(r, true);
        assert_true(ph_result_rollback(r));
        result_set_rollback(r, false);
        assert_false(ph_result_rollback(r));
}

static void test_strings_are_copied(void **state) {
        _cleanup_(ph_result_freep) ph_result *r = NULL;
        char id[] = "child", node[] = "node", reason[] = "why";
        ph_instance instance = { node, 42 };

        assert_int_equal(result_new(PH_RESULT_START, &r), 0);
        assert_int_equal(result_add_child(r, id, &instance, 1), 0);
        assert_int_equal(result_add_error(r, id, node, reason), 0);
        memset(id, 'x', sizeof id - 1);
        memset(node, 'x', sizeof node - 1);
        memset(reason, 'x', sizeof reason - 1);
        instance.pid = 7;
        assert_string_equal(ph_result_child_at(r, 0)->id, "child");
        assert_string_equal(ph_result_child_at(r, 0)->instances[0].node, "node");
        assert_int_equal(ph_result_child_at(r, 0)->instances[0].pid, 42);
        assert_string_equal(ph_result_error_at(r, 0)->id, "child");
        assert_string_equal(ph_result_error_at(r, 0)->node, "node");
        assert_string_equal(ph_result_error_at(r, 0)->reason, "why");
}

static void test_stop_result(void **state) {
        _cleanup_(ph_result_freep) ph_result *r = NULL;
        const char *nodes[4];
        pid_t pids[4];

        assert_int_equal(result_new(PH_RESULT_STOP, &r), 0);
        assert_int_equal(ph_result_kind_of(r), PH_RESULT_STOP);
        assert_int_equal(ph_result_status(r), PH_STATUS_OK);
        assert_int_equal(result_add_child(r, "web", (ph_instance[]) { { "n1", 0 }, { "n2", 0 } }, 2), 0);
        /* A child with no instance, and one whose node is not known. */
        assert_int_equal(result_add_child(r, "gone", NULL, 0), 0);
        assert_int_equal(result_add_child(r, "lost", (ph_instance[]) { { NULL, 0 } }, 1), 0);
        assert_int_equal(ph_result_status(r), PH_STATUS_OK);
        assert_int_equal(ph_result_n_children(r), 3);
        assert_int_equal(ph_result_child_at(r, 1)->n_instances, 0);
        assert_null(ph_result_child_at(r, 2)->instances[0].node);

        assert_int_equal(ph_result_pids(r, pids, ELEMENTSOF(pids)), 0);
        assert_int_equal(ph_result_first_pid(r), 0);
        assert_int_equal(ph_result_nodes(r, nodes, ELEMENTSOF(nodes)), 2);
        assert_string_equal(nodes[0], "n1");
        assert_string_equal(nodes[1], "n2");
}

static void test_helpers(void **state) {
        _cleanup_(ph_result_freep) ph_result *r = build_start_result();
        _cleanup_(ph_result_freep) ph_result *empty = NULL;
        pid_t pids[8] = {};
        const char *nodes[8] = {};

        /* pid 0 (cache) is not a pid. */
        assert_int_equal(ph_result_pids(r, pids, ELEMENTSOF(pids)), 3);
        assert_int_equal(pids[0], 100);
        assert_int_equal(pids[1], 200);
        assert_int_equal(pids[2], 201);
        /* At most n filled, the total returned. */
        memset(pids, 0, sizeof pids);
        assert_int_equal(ph_result_pids(r, pids, 2), 3);
        assert_int_equal(pids[0], 100);
        assert_int_equal(pids[1], 200);
        assert_int_equal(pids[2], 0);
        assert_int_equal(ph_result_pids(r, NULL, 0), 3);
        assert_int_equal(ph_result_pids(r, NULL, 5), 3);

        /* Distinct, in order of first appearance; errors' nodes not included. */
        assert_int_equal(ph_result_nodes(r, nodes, ELEMENTSOF(nodes)), 3);
        assert_string_equal(nodes[0], "n1");
        assert_string_equal(nodes[1], "n2");
        assert_string_equal(nodes[2], "n3");
        memset(nodes, 0, sizeof nodes);
        assert_int_equal(ph_result_nodes(r, nodes, 1), 3);
        assert_string_equal(nodes[0], "n1");
        assert_null(nodes[1]);
        assert_int_equal(ph_result_nodes(r, NULL, 0), 3);

        assert_int_equal(ph_result_first_pid(r), 100);

        assert_int_equal(result_new(PH_RESULT_START, &empty), 0);
        assert_int_equal(ph_result_pids(empty, pids, ELEMENTSOF(pids)), 0);
        assert_int_equal(ph_result_nodes(empty, nodes, ELEMENTSOF(nodes)), 0);
        assert_int_equal(ph_result_first_pid(empty), 0);
        assert_int_equal(ph_result_n_children(empty), 0);
        assert_int_equal(ph_result_n_errors(empty), 0);
        assert_null(ph_result_child_at(empty, 0));
        assert_null(ph_result_error_at(empty, 0));
        assert_int_equal(ph_result_status(empty), PH_STATUS_OK);
}

static void test_rollback_removal(void **state) {
        _cleanup_(ph_result_freep) ph_result *r = build_start_result();
        const char *nodes[4];

        result_set_rollback(r, true);
        assert_int_equal(result_remove_child(r, "web"), 0);
        assert_int_equal(result_remove_child(r, "web"), -ENOENT);
        assert_int_equal(result_remove_child(r, "nobody"), -ENOENT);
        /* The others keep their order. */
        assert_int_equal(ph_result_n_children(r), 2);
        assert_string_equal(ph_result_child_at(r, 0)->id, "db");
        assert_string_equal(ph_result_child_at(r, 1)->id, "cache");
        assert_int_equal(ph_result_first_pid(r), 200);
        assert_int_equal(ph_result_nodes(r, nodes, ELEMENTSOF(nodes)), 3);
        assert_string_equal(nodes[0], "n2");
        assert_string_equal(nodes[1], "n1");
        /* Errors are not children. */
        assert_int_equal(result_remove_child(r, "broken"), -ENOENT);
        assert_int_equal(ph_result_n_errors(r), 2);

        assert_int_equal(result_remove_child(r, "db"), 0);
        assert_int_equal(result_remove_child(r, "cache"), 0);
        assert_int_equal(ph_result_n_children(r), 0);
        assert_true(ph_result_rollback(r));
        /* Appending again after removals works. */
        assert_int_equal(result_add_child(r, "again", (ph_instance[]) { { "n9", 9 } }, 1), 0);
        assert_int_equal(ph_result_first_pid(r), 9);
}

static void test_copy(void **state) {
        ph_result *r = build_start_result();
        _cleanup_(ph_result_freep) ph_result *c = NULL, *empty = NULL, *empty_copy = NULL;

        result_set_rollback(r, true);
        assert_int_equal(result_copy(r, &c), 0);
        /* A deep copy: the original goes away. */
        r = ph_result_free(r);
        assert_null(r);

        assert_int_equal(ph_result_kind_of(c), PH_RESULT_START);
        assert_true(ph_result_rollback(c));
        assert_int_equal(ph_result_n_children(c), 3);
        assert_string_equal(ph_result_child_at(c, 1)->id, "db");
        assert_string_equal(ph_result_child_at(c, 1)->instances[1].node, "n1");
        assert_int_equal(ph_result_child_at(c, 1)->instances[1].pid, 201);
        assert_int_equal(ph_result_n_errors(c), 2);
        assert_string_equal(ph_result_error_at(c, 0)->reason, "node_receive_timeout");
        assert_null(ph_result_error_at(c, 1)->node);
        /* A copy can be built on. */
        assert_int_equal(result_add_child(c, "more", NULL, 0), 0);
        assert_int_equal(ph_result_n_children(c), 4);

        assert_int_equal(result_new(PH_RESULT_STOP, &empty), 0);
        assert_int_equal(result_copy(empty, &empty_copy), 0);
        assert_int_equal(ph_result_kind_of(empty_copy), PH_RESULT_STOP);
        assert_int_equal(ph_result_n_children(empty_copy), 0);
        assert_int_equal(ph_result_n_errors(empty_copy), 0);
        assert_false(ph_result_rollback(empty_copy));
}

#define MANY 10000

static void test_many_children(void **state) {
        _cleanup_(ph_result_freep) ph_result *r = NULL, *c = NULL;
        _cleanup_free_ pid_t *pids = calloc(MANY, sizeof(pid_t));
        const char *nodes[8];
        char id[32];

        assert_non_null(pids);
        assert_int_equal(result_new(PH_RESULT_START, &r), 0);
        for (unsigned i = 0; i < MANY; i++) {
                char node[16];

                snprintf(id, sizeof id, "child-%u", i);
                snprintf(node, sizeof node, "node-%u", i % 5);
                assert_int_equal(result_add_child(r, id, &(ph_instance) { node, (pid_t) (1000 + i) }, 1), 0);
        }
        for (unsigned i = 0; i < 100; i++) {
                snprintf(id, sizeof id, "failed-%u", i);
                assert_int_equal(result_add_error(r, id, NULL, "start_failed"), 0);
        }
        assert_int_equal(ph_result_n_children(r), MANY);
        assert_int_equal(ph_result_n_errors(r), 100);
        assert_string_equal(ph_result_child_at(r, MANY - 1)->id, "child-9999");
        assert_int_equal(ph_result_child_at(r, MANY - 1)->instances[0].pid, 1000 + MANY - 1);
        assert_int_equal(ph_result_pids(r, pids, MANY), MANY);
        for (unsigned i = 0; i < MANY; i++)
                assert_int_equal(pids[i], 1000 + i);
        assert_int_equal(ph_result_nodes(r, nodes, ELEMENTSOF(nodes)), 5);
        assert_string_equal(nodes[4], "node-4");

        assert_int_equal(result_copy(r, &c), 0);
        assert_int_equal(ph_result_n_children(c), MANY);
        assert_int_equal(ph_result_n_errors(c), 100);
        assert_string_equal(ph_result_child_at(c, 5000)->id, "child-5000");

        assert_int_equal(result_remove_child(c, "child-5000"), 0);
        assert_int_equal(ph_result_n_children(c), MANY - 1);
        assert_string_equal(ph_result_child_at(c, 5000)->id, "child-5001");
        assert_int_equal(ph_result_pids(c, NULL, 0), MANY - 1);
        /* The original is untouched. */
        assert_int_equal(ph_result_n_children(r), MANY);
}

static void test_null_and_bad_arguments(void **state) {
        _cleanup_(ph_result_freep) ph_result *r = NULL;
        ph_result *unset = (ph_result *) (uintptr_t) 0x1;
        pid_t pids[2];
        const char *nodes[2];

        assert_int_equal(ph_result_kind_of(NULL), _PH_RESULT_KIND_INVALID);
        assert_int_equal(ph_result_status(NULL), _PH_STATUS_INVALID);
        assert_int_equal(ph_result_n_children(NULL), 0);
        assert_null(ph_result_child_at(NULL, 0));
        assert_int_equal(ph_result_n_errors(NULL), 0);
        assert_null(ph_result_error_at(NULL, 0));
        assert_false(ph_result_rollback(NULL));
        assert_int_equal(ph_result_pids(NULL, pids, ELEMENTSOF(pids)), 0);
        assert_int_equal(ph_result_nodes(NULL, nodes, ELEMENTSOF(nodes)), 0);
        assert_int_equal(ph_result_first_pid(NULL), 0);
        assert_null(ph_result_free(NULL));
        result_set_rollback(NULL, true);

        /* ret_* untouched on failure. */
        assert_int_equal(result_new(_PH_RESULT_KIND_MAX, &unset), -EINVAL);
        assert_int_equal(result_new(_PH_RESULT_KIND_INVALID, &unset), -EINVAL);
        assert_ptr_equal(unset, (ph_result *) (uintptr_t) 0x1);
        assert_int_equal(result_new(PH_RESULT_START, NULL), -EINVAL);

        assert_int_equal(result_new(PH_RESULT_START, &r), 0);
        assert_int_equal(result_add_child(NULL, "a", NULL, 0), -EINVAL);
        assert_int_equal(result_add_child(r, NULL, NULL, 0), -EINVAL);
        assert_int_equal(result_add_child(r, "a", NULL, 1), -EINVAL);
        assert_int_equal(result_add_error(NULL, "a", NULL, "why"), -EINVAL);
        assert_int_equal(result_add_error(r, NULL, NULL, "why"), -EINVAL);
        assert_int_equal(result_add_error(r, "a", "n1", NULL), -EINVAL);
        assert_int_equal(result_remove_child(NULL, "a"), -EINVAL);
        assert_int_equal(result_remove_child(r, NULL), -EINVAL);
        assert_int_equal(result_copy(NULL, &unset), -EINVAL);
        assert_int_equal(result_copy(r, NULL), -EINVAL);
        assert_ptr_equal(unset, (ph_result *) (uintptr_t) 0x1);
        /* Nothing was added by the bad calls. */
        assert_int_equal(ph_result_n_children(r), 0);
        assert_int_equal(ph_result_n_errors(r), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_builder_and_accessors),
                cmocka_unit_test(test_strings_are_copied),
                cmocka_unit_test(test_stop_result),
                cmocka_unit_test(test_helpers),
                cmocka_unit_test(test_rollback_removal),
                cmocka_unit_test(test_copy),
                cmocka_unit_test(test_many_children),
                cmocka_unit_test(test_null_and_bad_arguments),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
