/* SPDX-License-Identifier: MIT */
/* child sources on real processes: exit codes, deaths by signal, a core
 * dump (or a plain kill where dumps are off), a process that is not our
 * child, disabling, freeing. Every process forked here is killed by pid and
 * reaped in the teardown, whatever the outcome. */

#include <string.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "loop-test.h"

typedef struct child_record {
        unsigned calls;
        siginfo_t si;
        bool free_self;
        int ret;
} child_record;

static int record_handler(loop_source *s, const siginfo_t *si, void *userdata) {
        child_record *r = userdata;

        r->calls++;
        r->si = *si;
        /* One-shot: disabled before the handler runs. */
        assert_false(loop_source_get_enabled(s));
        if (si->si_pid > 0)
                test_untrack_pid(si->si_pid);
        if (r->free_self)
                loop_source_free(s);
        return r->ret;
}

static void child_exit(void *arg) {
        _exit((int) (intptr_t) arg);
}

static void child_pause(void *arg) {
        for (;;)
                pause();
}

static void child_abort(void *arg) {
        /* No core file in the test's directory; where dumps go to a pipe
         * the kernel may dump anyway, so both outcomes are accepted. */
        struct rlimit rl = {};

        (void) setrlimit(RLIMIT_CORE, &rl);
        abort();
}

/* Has pid been reaped (by the loop)? Looks without reaping (WNOWAIT). */
static bool reaped(pid_t pid) {
        siginfo_t si = {};

        return waitid(P_PID, (id_t) pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0 && errno == ECHILD;
}

static void test_exit_codes(void **state) {
        _cleanup_loop_ loop *l = NULL;
        static const int codes[] = { 0, 1, 42, 255 };

        assert_int_equal(loop_new(&l), 0);
        for (size_t i = 0; i < ELEMENTSOF(codes); i++) {
                child_record rec = {};
                loop_source *s = NULL;
                pid_t pid;
                int pidfd;

                pid = test_fork(child_exit, (void *) (intptr_t) codes[i]);
                pidfd = test_pidfd_open(pid);
                assert_true(pidfd >= 0);
                assert_int_equal(loop_add_child(l, &s, pidfd, record_handler, &rec), 0);

                assert_true(RUN_UNTIL(l, rec.calls >= 1, 10 * USEC_PER_SEC));
                assert_int_equal(rec.calls, 1);
                assert_int_equal(rec.si.si_pid, pid);
                assert_int_equal(rec.si.si_signo, SIGCHLD);
                assert_int_equal(rec.si.si_code, CLD_EXITED);
                assert_int_equal(rec.si.si_status, codes[i]);
                assert_true(reaped(pid));
                assert_false(loop_source_get_enabled(s));

                /* Disabled: no second call. */
                run_for(l, 20 * USEC_PER_MSEC);
                assert_int_equal(rec.calls, 1);

                loop_source_free(s);
                close(pidfd);
        }
}

static void test_killed(void **state) {
        _cleanup_loop_ loop *l = NULL;
        child_record rec = {};
        loop_source *s = NULL;
        pid_t pid;
        int pidfd;

        assert_int_equal(loop_new(&l), 0);
        pid = test_fork(child_pause, NULL);
        pidfd = test_pidfd_open(pid);
        assert_true(pidfd >= 0);
        assert_int_equal(loop_add_child(l, &s, pidfd, record_handler, &rec), 0);

        /* Running: nothing. */
        run_for(l, 50 * USEC_PER_MSEC);
        assert_int_equal(rec.calls, 0);

        assert_int_equal(kill(pid, SIGTERM), 0);
        assert_true(RUN_UNTIL(l, rec.calls >= 1, 10 * USEC_PER_SEC));
        assert_int_equal(rec.si.si_pid, pid);
        assert_int_equal(rec.si.si_code, CLD_KILLED);
        assert_int_equal(rec.si.si_status, SIGTERM);
        assert_true(reaped(pid));

        loop_source_free(s);
        close(pidfd);
}

static void test_dumped_or_killed(void **state) {
        _cleanup_loop_ loop *l = NULL;
        child_record rec = {};
        loop_source *s = NULL;
        pid_t pid;
        int pidfd;

        assert_int_equal(loop_new(&l), 0);
        pid = test_fork(child_abort, NULL);
        pidfd = test_pidfd_open(pid);
        assert_true(pidfd >= 0);
        assert_int_equal(loop_add_child(l, &s, pidfd, record_handler, &rec), 0);

        assert_true(RUN_UNTIL(l, rec.calls >= 1, 30 * USEC_PER_SEC));
        assert_int_equal(rec.si.si_pid, pid);
        assert_true(rec.si.si_code == CLD_DUMPED || rec.si.si_code == CLD_KILLED);
        assert_int_equal(rec.si.si_status, SIGABRT);

        loop_source_free(s);
        close(pidfd);
}

/* A grandchild: its parent (our child) reaps it, so waitid() on its pidfd
 * gives ECHILD and the handler gets si_pid 0, si_code 0. */
static void middle(void *arg) {
        int *p = arg;
        pid_t g;

        g = fork();
        if (g < 0)
                _exit(1);
        if (g == 0) {
                /* Never outlive the middle one, also when a test fails. */
                (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (getppid() == 1)
                        _exit(3);
                for (;;)
                        pause();
        }
        if (write(p[1], &g, sizeof g) != sizeof g)
                _exit(2);
        (void) waitpid(g, NULL, 0);
        _exit(0);
}

static void test_not_our_child(void **state) {
        _cleanup_loop_ loop *l = NULL;
        child_record rec = {};
        loop_source *s = NULL;
        pid_t mid, grand = 0;
        int p[2], pidfd;

        assert_int_equal(loop_new(&l), 0);
        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        mid = test_fork(middle, p);
        assert_int_equal(read(p[0], &grand, sizeof grand), (ssize_t) sizeof grand);
        close(p[0]);
        close(p[1]);
        assert_true(grand > 0);

        pidfd = test_pidfd_open(grand);
        assert_true(pidfd >= 0);
        assert_int_equal(loop_add_child(l, &s, pidfd, record_handler, &rec), 0);

        /* The grandchild is still our middle child's, alive: its pid cannot
         * have been reused. */
        assert_int_equal(kill(grand, SIGKILL), 0);
        assert_true(RUN_UNTIL(l, rec.calls >= 1, 10 * USEC_PER_SEC));
        assert_int_equal(rec.si.si_pid, 0);
        assert_int_equal(rec.si.si_code, 0);
        assert_int_equal(rec.si.si_status, 0);

        /* The middle one exits 0 once it reaped the grandchild. */
        {
                int status;

                assert_int_equal(waitpid(mid, &status, 0), mid);
                test_untrack_pid(mid);
                assert_true(WIFEXITED(status));
                assert_int_equal(WEXITSTATUS(status), 0);
        }

        loop_source_free(s);
        close(pidfd);
}

static void test_disable_then_enable(void **state) {
        _cleanup_loop_ loop *l = NULL;
        child_record rec = {};
        loop_source *s = NULL;
        pid_t pid;
        int pidfd;

        assert_int_equal(loop_new(&l), 0);
        pid = test_fork(child_pause, NULL);
        pidfd = test_pidfd_open(pid);
        assert_true(pidfd >= 0);
        assert_int_equal(loop_add_child(l, &s, pidfd, record_handler, &rec), 0);
        run_for(l, 20 * USEC_PER_MSEC);

        assert_int_equal(loop_source_set_enabled(s, false), 0);
        assert_int_equal(kill(pid, SIGUSR2), 0);
        run_for(l, 100 * USEC_PER_MSEC);
        assert_int_equal(rec.calls, 0);
        assert_false(reaped(pid)); /* a zombie, waiting for us */

        assert_int_equal(loop_source_set_enabled(s, true), 0);
        assert_true(RUN_UNTIL(l, rec.calls >= 1, 10 * USEC_PER_SEC));
        assert_int_equal(rec.si.si_pid, pid);
        assert_int_equal(rec.si.si_code, CLD_KILLED);
        assert_int_equal(rec.si.si_status, SIGUSR2);

        /* Enabled again after the reaping: the process is gone, status
         * unknown. */
        assert_int_equal(loop_source_set_enabled(s, true), 0);
        assert_true(RUN_UNTIL(l, rec.calls >= 2, 10 * USEC_PER_SEC));
        assert_int_equal(rec.si.si_pid, 0);

        loop_source_free(s);
        close(pidfd);
}

static void test_free_before_exit(void **state) {
        _cleanup_loop_ loop *l = NULL;
        child_record rec = {};
        loop_source *s = NULL;
        pid_t pid;
        int pidfd, status;

        assert_int_equal(loop_new(&l), 0);
        pid = test_fork(child_pause, NULL);
        pidfd = test_pidfd_open(pid);
        assert_true(pidfd >= 0);
        assert_int_equal(loop_add_child(l, &s, pidfd, record_handler, &rec), 0);
        run_for(l, 20 * USEC_PER_MSEC); /* armed */
        loop_source_free(s);
        close(pidfd); /* allowed once the source is gone */

        assert_int_equal(kill(pid, SIGKILL), 0);
        run_for(l, 100 * USEC_PER_MSEC);
        assert_int_equal(rec.calls, 0);

        /* The loop did not reap it: we do. */
        assert_int_equal(waitpid(pid, &status, 0), pid);
        test_untrack_pid(pid);
        assert_true(WIFSIGNALED(status));
}

static void test_free_self_and_error(void **state) {
        _cleanup_loop_ loop *l = NULL;
        child_record a = { .free_self = true }, b = { .ret = -EPERM };
        loop_source *sa = NULL, *sb = NULL;
        pid_t pa, pb;
        int fa, fb;

        assert_int_equal(loop_new(&l), 0);
        pa = test_fork(child_exit, (void *) (intptr_t) 3);
        pb = test_fork(child_exit, (void *) (intptr_t) 4);
        fa = test_pidfd_open(pa);
        fb = test_pidfd_open(pb);
        assert_true(fa >= 0 && fb >= 0);
        assert_int_equal(loop_add_child(l, &sa, fa, record_handler, &a), 0);
        assert_int_equal(loop_add_child(l, &sb, fb, record_handler, &b), 0);

        assert_true(RUN_UNTIL(l, a.calls >= 1 && b.calls >= 1, 10 * USEC_PER_SEC));
        assert_int_equal(a.si.si_status, 3);
        assert_int_equal(b.si.si_status, 4);
        assert_false(loop_source_get_enabled(sb));
        loop_source_free(sb);
        close(fa);
        close(fb);
}

/* Children exiting while their source waits in the loop that is not run:
 * the status waits in the zombie and comes with the next iteration. */
static void test_exit_before_first_iteration(void **state) {
        _cleanup_loop_ loop *l = NULL;
        child_record rec = {};
        loop_source *s = NULL;
        pid_t pid;
        int pidfd;

        assert_int_equal(loop_new(&l), 0);
        pid = test_fork(child_exit, (void *) (intptr_t) 7);
        pidfd = test_pidfd_open(pid);
        assert_true(pidfd >= 0);
        assert_int_equal(loop_add_child(l, &s, pidfd, record_handler, &rec), 0);
        usleep(50 * 1000);

        assert_true(RUN_UNTIL(l, rec.calls >= 1, 10 * USEC_PER_SEC));
        assert_int_equal(rec.si.si_status, 7);
        loop_source_free(s);
        close(pidfd);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_teardown(test_exit_codes, test_teardown_reap),
                cmocka_unit_test_teardown(test_killed, test_teardown_reap),
                cmocka_unit_test_teardown(test_dumped_or_killed, test_teardown_reap),
                cmocka_unit_test_teardown(test_not_our_child, test_teardown_reap),
                cmocka_unit_test_teardown(test_disable_then_enable, test_teardown_reap),
                cmocka_unit_test_teardown(test_free_before_exit, test_teardown_reap),
                cmocka_unit_test_teardown(test_free_self_and_error, test_teardown_reap),
                cmocka_unit_test_teardown(test_exit_before_first_iteration, test_teardown_reap),
        };

        test_watchdog(120);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
