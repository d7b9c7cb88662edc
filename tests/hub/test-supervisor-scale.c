/* SPDX-License-Identifier: MIT */

/* 10,000 real children: all start, each in its own leaf; a shutdown stops
 * them all, and afterwards no process and no group is left. How fast is a
 * benchmark's business (scripts/bench/), not this test's. */

#include <dirent.h>
#include <sys/resource.h>

#include "supervisor-fixture.h"

#ifndef TEST_CHILD_PATH
#error "TEST_CHILD_PATH must name the test-child program"
#endif

#define N_CHILDREN 10000u
#define BATCH 250u

static unsigned count_subdirs(const char *path) {
        DIR *d = opendir(path);
        struct dirent *de;
        unsigned n = 0;

        if (!d)
                return 0;
        while ((de = readdir(d)))
                if (de->d_type == DT_DIR && de->d_name[0] != '.')
                        n++;
        closedir(d);
        return n;
}

static void test_ten_thousand_children(void **state) {
        fixture *f = *state;
        char id[32], hub_path[512];
        child_spec spec;
        pid_t *pids = calloc(N_CHILDREN, sizeof(pid_t));
        unsigned started = 0;

        assert_non_null(pids);
        snprintf(hub_path, sizeof(hub_path), "%s", supervisor_cgroup_path(f->sup, (char[PATH_MAX]) {}));

        /* In batches, so that the exec-status pipes of one batch are closed
         * before the next opens: the fd limit is for pidfds. */
        while (started < N_CHILDREN) {
                unsigned batch_end = started + BATCH < N_CHILDREN ? started + BATCH : N_CHILDREN;
                for (unsigned i = started; i < batch_end; i++) {
                        snprintf(id, sizeof(id), "c%05u", i);
                        spec_for(&spec, id, ((char *[]) { TEST_CHILD_PATH, "sleep", NULL }));
                        spec.stdout_output = CHILD_OUTPUT_NULL;
                        int r = supervisor_start_child(f->sup, &spec, fixture_on_start, f, NULL);
                        if (r < 0)
                                fail_msg("start %s: %s", id, strerror(-r));
                }
                assert_true(RUN_UNTIL(f, f->n_started == batch_end, 60000));
                assert_int_equal(f->start_error, 0);
                started = batch_end;
        }

        assert_int_equal(supervisor_n_children(f->sup), N_CHILDREN);
        assert_int_equal(count_subdirs(hub_path), N_CHILDREN);
        unsigned i = 0;
        for (supervisor_child *c = supervisor_next_child(f->sup, NULL); c; c = supervisor_next_child(f->sup, c)) {
                assert_int_equal(supervisor_child_state(c), CHILD_STATE_RUNNING);
                pids[i++] = supervisor_child_pid(c);
        }
        assert_int_equal(i, N_CHILDREN);

        assert_int_equal(supervisor_shutdown(f->sup, fixture_on_shutdown, f), 0);
        assert_true(RUN_UNTIL(f, f->shutdown_done, 300000));
        assert_int_equal(supervisor_n_children(f->sup), 0);
        assert_int_equal(f->counts[SUPERVISOR_EVENT_REMOVED], N_CHILDREN);
        assert_int_equal(f->counts[SUPERVISOR_EVENT_RESTARTED], 0);
        assert_false(path_exists(hub_path));
        for (i = 0; i < N_CHILDREN; i++)
                if (pid_alive(pids[i]))
                        fail_msg("pid %d still alive", (int) pids[i]);
        free(pids);
}

int main(void) {
        struct rlimit rl;

        test_require_root();
        test_require_cgroup2();
        if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_max < N_CHILDREN + 2 * BATCH + 256)
                test_skip("RLIMIT_NOFILE hard limit %lu is below the %u pidfds this test holds",
                          (unsigned long) rl.rlim_max, N_CHILDREN + 2 * BATCH + 256);

        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_ten_thousand_children, fixture_setup, fixture_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
