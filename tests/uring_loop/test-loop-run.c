/* SPDX-License-Identifier: MIT */
/* The loop as a whole: loop_run() and loop_exit(), what loop_run_once()
 * returns and how long it waits, loop_now(), sources of every kind left to
 * loop_free(), several loops side by side. */

#include <fcntl.h>
#include <poll.h>

#include "loop-test.h"

static int exit_defer(loop_source *s, void *userdata) {
        return loop_exit(loop_source_get_loop(s), *(int *) userdata);
}

static void test_run_exit(void **state) {
        _cleanup_loop_ loop *l = NULL;
        loop_source *s = NULL;
        int code = 42;

        assert_int_equal(loop_new(&l), 0);
        assert_int_equal(loop_add_defer(l, &s, exit_defer, &code), 0);
        assert_int_equal(loop_run(l), 42);

        /* Runs again after an exit, with the new code. */
        code = -3;
        assert_int_equal(loop_source_set_enabled(s, true), 0);
        assert_int_equal(loop_run(l), -3);

        /* Exit asked for before running: returns at once. */
        assert_int_equal(loop_exit(l, 7), 0);
        assert_int_equal(loop_run(l), 7);
        loop_source_free(s);
}

static int exit_timer(loop_source *s, uint64_t now, void *userdata) {
        return loop_exit(loop_source_get_loop(s), 5);
}

static void test_run_until_timer_exits(void **state) {
        _cleanup_loop_ loop *l = NULL;
        uint64_t start = now_usec();

        assert_int_equal(loop_new(&l), 0);
        assert_int_equal(loop_add_timer(l, NULL, start + 30 * USEC_PER_MSEC, 0, exit_timer, NULL), 0);
        assert_int_equal(loop_run(l), 5);
        assert_true(now_usec() - start >= 30 * USEC_PER_MSEC);
}

static void test_run_once_timeout(void **state) {
        _cleanup_loop_ loop *l = NULL;
        uint64_t start;

        assert_int_equal(loop_new(&l), 0);
        /* Nothing to do: 0 does not block, a timeout is waited out. */
        assert_int_equal(loop_run_once(l, 0), 0);
        start = now_usec();
        assert_int_equal(loop_run_once(l, 40 * USEC_PER_MSEC), 0);
        assert_true(now_usec() - start >= 40 * USEC_PER_MSEC);
}

static int count_defer(loop_source *s, void *userdata) {
        (*(unsigned *) userdata)++;
        return 0;
}

static int count_timer(loop_source *s, uint64_t now, void *userdata) {
        (*(unsigned *) userdata)++;
        return 0;
}

static void test_run_once_returns_count(void **state) {
        _cleanup_loop_ loop *l = NULL;
        loop_source *d[3], *t = NULL;
        unsigned calls = 0;

        assert_int_equal(loop_new(&l), 0);
        for (size_t i = 0; i < 3; i++)
                assert_int_equal(loop_add_defer(l, &d[i], count_defer, &calls), 0);
        assert_int_equal(loop_add_timer(l, &t, 0, 0, count_timer, &calls), 0);
        /* Three defers before the wait, the due timer after it. */
        assert_int_equal(loop_run_once(l, 0), 4);
        assert_int_equal(calls, 4);
        assert_int_equal(loop_run_once(l, 0), 0);
        for (size_t i = 0; i < 3; i++)
                loop_source_free(d[i]);
        loop_source_free(t);
}

typedef struct now_check {
        uint64_t seen;
        bool same;
} now_check;

static int now_timer(loop_source *s, uint64_t now, void *userdata) {
        now_check *c = userdata;
        loop *l = loop_source_get_loop(s);

        /* Cached: the same value through the dispatch, however long the
         * handler takes. */
        c->seen = loop_now(l);
        usleep(2000);
        c->same = now == c->seen && loop_now(l) == c->seen;
        return 0;
}

static void test_now(void **state) {
        _cleanup_loop_ loop *l = NULL;
        now_check c = {};
        uint64_t before, t0;

        before = now_usec();
        assert_int_equal(loop_new(&l), 0);
        t0 = loop_now(l);
        assert_true(t0 >= before);
        assert_int_equal(loop_add_timer(l, NULL, 0, 0, now_timer, &c), 0);
        assert_true(RUN_UNTIL(l, c.seen != 0, 5 * USEC_PER_SEC));
        assert_true(c.same);
        assert_true(c.seen >= t0);
        assert_true(loop_now(l) >= c.seen);
        assert_true(loop_now(l) <= now_usec());
}

static int noop_io(loop_source *s, int fd, uint32_t revents, void *userdata) {
        return 0;
}
static int noop_child(loop_source *s, const siginfo_t *si, void *userdata) {
        return 0;
}
static int noop_timer(loop_source *s, uint64_t now, void *userdata) {
        return 0;
}
static int noop_signal(loop_source *s, const struct signalfd_siginfo *si, void *userdata) {
        return 0;
}
static int noop_defer(loop_source *s, void *userdata) {
        return 0;
}

static void child_pause(void *arg) {
        for (;;)
                pause();
}

/* Sources of every kind, owned and floating, enabled or not, with requests
 * in the kernel or not, all left to loop_free(): nothing leaks (ASan), no
 * handler runs, the signal mask comes back. */
static void test_free_with_everything(void **state) {
        loop *l = NULL;
        loop_source *io = NULL, *child = NULL, *timer = NULL, *sig = NULL, *defer = NULL;
        int p[2], pidfd, status;
        pid_t pid;
        sigset_t cur;

        assert_int_equal(loop_new(&l), 0);
        assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
        pid = test_fork(child_pause, NULL);
        pidfd = test_pidfd_open(pid);
        assert_true(pidfd >= 0);

        assert_int_equal(loop_add_io(l, &io, p[0], POLLIN, noop_io, NULL), 0);
        assert_int_equal(loop_add_io(l, NULL, p[1], POLLOUT, noop_io, NULL), 0);
        assert_int_equal(loop_add_child(l, &child, pidfd, noop_child, NULL), 0);
        assert_int_equal(loop_add_timer(l, &timer, USEC_INFINITY, 0, noop_timer, NULL), 0);
        assert_int_equal(loop_add_timer(l, NULL, USEC_INFINITY, 1, noop_timer, NULL), 0);
        assert_int_equal(loop_add_signal(l, &sig, SIGUSR1, noop_signal, NULL), 0);
        assert_int_equal(loop_add_defer(l, &defer, noop_defer, NULL), 0);
        assert_int_equal(loop_run_once(l, 0) >= 0, 1);
        assert_int_equal(loop_source_set_enabled(io, false), 0);
        assert_int_equal(loop_source_set_enabled(timer, false), 0);
        assert_int_equal(loop_add_io(l, NULL, p[0], POLLIN, noop_io, NULL), 0); /* not armed yet */
        assert_null(loop_free(l));

        assert_int_equal(pthread_sigmask(SIG_SETMASK, NULL, &cur), 0);
        assert_false(sigismember(&cur, SIGUSR1));

        assert_int_equal(kill(pid, SIGKILL), 0);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        test_untrack_pid(pid);
        close(pidfd);
        close(p[0]);
        close(p[1]);
}

static int bump(loop_source *s, void *userdata) {
        (*(unsigned *) userdata)++;
        return 0;
}

static void test_two_loops(void **state) {
        _cleanup_loop_ loop *a = NULL, *b = NULL;
        unsigned ca = 0, cb = 0;

        assert_int_equal(loop_new(&a), 0);
        assert_int_equal(loop_new(&b), 0);
        assert_int_equal(loop_add_defer(a, NULL, bump, &ca), 0);
        assert_int_equal(loop_add_defer(b, NULL, bump, &cb), 0);
        assert_int_equal(loop_run_once(a, 0), 1);
        assert_int_equal(ca, 1);
        assert_int_equal(cb, 0);
        assert_int_equal(loop_run_once(b, 0), 1);
        assert_int_equal(cb, 1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_run_exit),
                cmocka_unit_test(test_run_until_timer_exits),
                cmocka_unit_test(test_run_once_timeout),
                cmocka_unit_test(test_run_once_returns_count),
                cmocka_unit_test(test_now),
                cmocka_unit_test_teardown(test_free_with_everything, test_teardown_reap),
                cmocka_unit_test(test_two_loops),
        };

        test_watchdog(60);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
