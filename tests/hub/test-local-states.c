/* SPDX-License-Identifier: MIT */

/* The hub's record of its local children (ph_which_children()): a copy
 * lists them in the order they were first seen, through table growth and
 * removals; a set keeps or clears each field as asked; the count of
 * failed children follows every change of state. */

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "local-states.h"

#define N 1000

static void id_of(unsigned i, char *buf, size_t size) {
        snprintf(buf, size, "child-%u", i);
}

/* Enough children to rebuild the table several times, every third one
 * removed, some of those seen again: they come back last. */
static void test_copy_in_creation_order(void **state) {
        local_states *t = NULL;
        ph_child_state *l = NULL;
        size_t n = 0, k = 0;
        char id[32];

        assert_int_equal(local_states_new(&t), 0);
        for (unsigned i = 0; i < N; i++) {
                id_of(i, id, sizeof(id));
                assert_int_equal(local_states_set(t, id, (pid_t) (i + 100), "running", 0, NULL, NULL), 0);
        }
        for (unsigned i = 0; i < N; i += 3) {
                id_of(i, id, sizeof(id));
                local_states_remove(t, id);
        }
        /* An update does not move a child. */
        assert_int_equal(local_states_set(t, "child-1", 7, "restarting", 2, "exited with code 1", NULL), 0);
        for (unsigned i = 0; i < 30; i += 3) {
                id_of(i, id, sizeof(id));
                assert_int_equal(local_states_set(t, id, 1, "starting", 0, NULL, NULL), 0);
        }

        assert_int_equal(local_states_copy(t, &l, &n), 0);
        assert_int_equal(n, N - (N + 2) / 3 + 10);
        for (unsigned i = 0; i < N; i++) {
                if (i % 3 == 0)
                        continue;
                id_of(i, id, sizeof(id));
                assert_string_equal(l[k].id, id);
                k++;
        }
        for (unsigned i = 0; i < 30; i += 3) {
                id_of(i, id, sizeof(id));
                assert_string_equal(l[k].id, id);
                assert_string_equal(l[k].state, "starting");
                k++;
        }
        assert_int_equal(k, n);
        assert_int_equal(l[0].pid, 7);
        assert_int_equal(l[0].restarts, 2);
        assert_string_equal(l[0].last_exit, "exited with code 1");
        ph_child_states_free(l, n);
        local_states_free(t);
}

static void test_set_keeps_and_clears(void **state) {
        local_states *t = NULL;
        ph_child_state *l = NULL;
        size_t n = 0;

        assert_int_equal(local_states_new(&t), 0);
        assert_int_equal(local_states_set(t, "a", 10, "running", 3, "killed by SIGKILL", "gave up"), 0);
        /* NULL strings and a negative count keep what was there. */
        assert_int_equal(local_states_set(t, "a", 11, NULL, -1, NULL, NULL), 0);
        assert_int_equal(local_states_copy(t, &l, &n), 0);
        assert_int_equal(n, 1);
        assert_string_equal(l[0].id, "a");
        assert_int_equal(l[0].pid, 11);
        assert_string_equal(l[0].state, "running");
        assert_int_equal(l[0].restarts, 3);
        assert_string_equal(l[0].last_exit, "killed by SIGKILL");
        assert_string_equal(l[0].failure, "gave up");
        ph_child_states_free(l, n);

        /* "" clears one, the other stays. */
        assert_int_equal(local_states_set(t, "a", 11, NULL, -1, "", NULL), 0);
        assert_int_equal(local_states_copy(t, &l, &n), 0);
        assert_null(l[0].last_exit);
        assert_string_equal(l[0].failure, "gave up");
        ph_child_states_free(l, n);
        assert_int_equal(local_states_set(t, "a", 11, NULL, -1, "exited with code 2", NULL), 0);
        assert_int_equal(local_states_copy(t, &l, &n), 0);
        assert_string_equal(l[0].last_exit, "exited with code 2");
        assert_string_equal(l[0].failure, "gave up");
        ph_child_states_free(l, n);
        assert_int_equal(local_states_set(t, "a", 11, NULL, -1, NULL, ""), 0);
        assert_int_equal(local_states_copy(t, &l, &n), 0);
        assert_string_equal(l[0].last_exit, "exited with code 2");
        assert_null(l[0].failure);
        ph_child_states_free(l, n);

        assert_int_equal(local_states_set(t, "a", 12, "running", 0, "", ""), 0);
        assert_int_equal(local_states_copy(t, &l, &n), 0);
        assert_int_equal(l[0].restarts, 0);
        assert_null(l[0].last_exit);
        assert_null(l[0].failure);
        ph_child_states_free(l, n);

        local_states_remove(t, "a");
        local_states_remove(t, "a"); /* gone already: nothing */
        assert_int_equal(local_states_copy(t, &l, &n), 0);
        assert_int_equal(n, 0);
        ph_child_states_free(l, n);
        local_states_free(t);
}

static void test_n_failed(void **state) {
        local_states *t = NULL;

        assert_int_equal(local_states_new(&t), 0);
        assert_int_equal(local_states_n_failed(t), 0);
        assert_int_equal(local_states_set(t, "a", 0, "failed", -1, NULL, "gave up"), 0);
        assert_int_equal(local_states_set(t, "b", 0, "failed", -1, NULL, "gave up"), 0);
        assert_int_equal(local_states_set(t, "c", 5, "running", 0, NULL, NULL), 0);
        assert_int_equal(local_states_n_failed(t), 2);
        /* Failed again, or a field other than the state: no change. */
        assert_int_equal(local_states_set(t, "a", 0, "failed", -1, NULL, NULL), 0);
        assert_int_equal(local_states_set(t, "b", 0, NULL, 4, NULL, NULL), 0);
        assert_int_equal(local_states_n_failed(t), 2);
        assert_int_equal(local_states_set(t, "a", 9, "running", -1, NULL, ""), 0);
        assert_int_equal(local_states_n_failed(t), 1);
        local_states_remove(t, "b");
        assert_int_equal(local_states_n_failed(t), 0);
        local_states_free(t);
}

static void test_bad_arguments(void **state) {
        local_states *t = NULL;
        ph_child_state *l = NULL;
        size_t n = 0;

        assert_int_equal(local_states_new(NULL), -EINVAL);
        assert_int_equal(local_states_new(&t), 0);
        assert_int_equal(local_states_set(NULL, "a", 1, "running", 0, NULL, NULL), -EINVAL);
        assert_int_equal(local_states_set(t, NULL, 1, "running", 0, NULL, NULL), -EINVAL);
        assert_int_equal(local_states_copy(NULL, &l, &n), -EINVAL);
        assert_int_equal(local_states_copy(t, NULL, &n), -EINVAL);
        assert_int_equal(local_states_copy(t, &l, NULL), -EINVAL);
        local_states_remove(NULL, "a");
        local_states_remove(t, NULL);
        assert_int_equal(local_states_n_failed(NULL), 0);
        assert_null(local_states_free(t));
        assert_null(local_states_free(NULL));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_copy_in_creation_order),
                cmocka_unit_test(test_set_keeps_and_clears),
                cmocka_unit_test(test_n_failed),
                cmocka_unit_test(test_bad_arguments),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
