/* SPDX-License-Identifier: MIT */
/* 10,000 real children watched at once through their pidfds. Each child
 * blocks reading a pipe and exits with its index % 256 when the write end
 * closes, so they all exit in one burst: more completions than the CQ
 * holds, more requests than the SQ takes. Every handler must run exactly
 * once with the right pid and status.
 *
 * Needs 10,000 pidfds plus a margin: the soft RLIMIT_NOFILE is raised to
 * the hard limit, and the test is skipped (77) if that is not enough.
 * Whatever happens, every child is killed by pid and reaped before the
 * program ends. */

#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>

#include "loop-test.h"

#define N_CHILDREN 10000
#define FD_MARGIN 256

typedef struct child_slot {
        pid_t pid;
        int pidfd;
        loop_source *source;
        unsigned calls;
        int code, status;
        pid_t got_pid;
        bool reaped;
} child_slot;

static child_slot *slots;
static int pipe_write = -EBADF;

static void cleanup_children(void) {
        if (!slots)
                return;
        /* Closing the write end lets the blocked ones exit by themselves;
         * SIGKILL the rest. Only pids not reaped yet: those are still our
         * zombies or running children, never reused. */
        pipe_write = safe_close(pipe_write);
        for (size_t i = 0; i < N_CHILDREN; i++)
                if (slots[i].pid > 0 && !slots[i].reaped)
                        (void) kill(slots[i].pid, SIGKILL);
        for (size_t i = 0; i < N_CHILDREN; i++) {
                if (slots[i].pid > 0 && !slots[i].reaped)
                        (void) waitpid(slots[i].pid, NULL, 0);
                slots[i].reaped = true;
                slots[i].pidfd = safe_close(slots[i].pidfd);
        }
}

static int teardown(void **state) {
        cleanup_children();
        free(slots);
        slots = NULL;
        return 0;
}

static int handler(loop_source *s, const siginfo_t *si, void *userdata) {
        child_slot *c = userdata;

        c->calls++;
        c->got_pid = si->si_pid;
        c->code = si->si_code;
        c->status = si->si_status;
        if (si->si_pid == c->pid)
                c->reaped = true;
        c->source = loop_source_free(s);
        return 0;
}

static void raise_fd_limit(void) {
        struct rlimit rl;

        assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
        if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < N_CHILDREN + FD_MARGIN)
                test_skip("RLIMIT_NOFILE hard limit %llu is below %d pidfds plus a margin",
                          (unsigned long long) rl.rlim_max, N_CHILDREN + FD_MARGIN);
        rl.rlim_cur = rl.rlim_max;
        assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
}

static void test_ten_thousand_children(void **state) {
        _cleanup_loop_ loop *l = NULL;
        int p[2];
        unsigned done = 0;

        raise_fd_limit();
        slots = calloc(N_CHILDREN, sizeof *slots);
        assert_non_null(slots);
        for (size_t i = 0; i < N_CHILDREN; i++)
                slots[i].pidfd = -EBADF;

        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        pipe_write = p[1];

        /* Fork them all first and only then open the pidfds, so that no
         * child inherits thousands of fds. */
        for (size_t i = 0; i < N_CHILDREN; i++) {
                pid_t pid = fork();

                if (pid < 0) {
                        int e = errno;

                        cleanup_children();
                        close(p[0]);
                        if (e == EAGAIN)
                                test_skip("fork() failed after %zu children: %s", i, strerror(e));
                        fail_msg("fork: %s", strerror(e));
                }
                if (pid == 0) {
                        char c;

                        close(p[1]);
                        /* EOF, or an error: exit either way */
                        _exit(read(p[0], &c, 1) == 0 ? (int) (i % 256) : 255);
                }
                slots[i].pid = pid;
        }
        close(p[0]);

        assert_int_equal(loop_new(&l), 0);
        for (size_t i = 0; i < N_CHILDREN; i++) {
                slots[i].pidfd = test_pidfd_open(slots[i].pid);
                assert_true(slots[i].pidfd >= 0);
                assert_int_equal(loop_add_child(l, &slots[i].source, slots[i].pidfd, handler, &slots[i]), 0);
        }

        /* All armed, none exited. */
        assert_true(loop_run_once(l, 0) >= 0);
        run_for(l, 100 * USEC_PER_MSEC);
        for (size_t i = 0; i < N_CHILDREN; i++)
                assert_int_equal(slots[i].calls, 0);

        pipe_write = safe_close(pipe_write);

        assert_true(RUN_UNTIL(l, ({
                done = 0;
                for (size_t i = 0; i < N_CHILDREN; i++)
                        done += slots[i].calls > 0;
                done == N_CHILDREN;
        }), 120 * USEC_PER_SEC));
        run_for(l, 50 * USEC_PER_MSEC);

        for (size_t i = 0; i < N_CHILDREN; i++) {
                assert_int_equal(slots[i].calls, 1);
                assert_int_equal(slots[i].got_pid, slots[i].pid);
                assert_int_equal(slots[i].code, CLD_EXITED);
                assert_int_equal(slots[i].status, (int) (i % 256));
                assert_true(slots[i].reaped);
                assert_null(slots[i].source);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_teardown(test_ten_thousand_children, teardown),
        };

        test_watchdog(280);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
