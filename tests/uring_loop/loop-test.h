/* SPDX-License-Identifier: MIT */
#pragma once

/* Shared by the uring_loop tests: cmocka, bounded loop runs, a watchdog,
 * and tracking of forked processes so that every one is killed (by pid) and
 * reaped whatever the outcome of a test. */

#include <setjmp.h> /* cmocka needs these before cmocka.h */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "loop.h"
#include "time-util.h"

/* Every test program arms this: a hang (a wait that never wakes) ends the
 * program with SIGALRM instead of running into meson's timeout. */
static inline void test_watchdog(unsigned seconds) {
        signal(SIGALRM, SIG_DFL);
        alarm(seconds);
}

/* Run iterations (each waiting at most 100ms) until cond holds or max_usec
 * passed. Evaluates to whether cond holds. Every iteration must succeed. */
#define RUN_UNTIL(l, cond, max_usec)                                            \
        ({                                                                      \
                uint64_t _deadline_ = now_usec() + (max_usec);                  \
                bool _ok_;                                                      \
                for (;;) {                                                      \
                        if (cond) {                                             \
                                _ok_ = true;                                    \
                                break;                                          \
                        }                                                       \
                        if (now_usec() >= _deadline_) {                         \
                                _ok_ = false;                                   \
                                break;                                          \
                        }                                                       \
                        assert_true(loop_run_once((l), 100 * USEC_PER_MSEC) >= 0); \
                }                                                               \
                _ok_;                                                           \
        })

/* Run iterations for about usec, whatever happens; at least two, so that
 * what is ready now is dispatched even if this process does not get the
 * CPU for a while (a second CQE of a source in one batch is only looked at
 * in the next iteration). */
static inline void run_for(loop *l, uint64_t usec) {
        uint64_t deadline = now_usec() + usec;

        assert_true(loop_run_once(l, 0) >= 0);
        assert_true(loop_run_once(l, 0) >= 0);
        for (uint64_t n = now_usec(); n < deadline; n = now_usec())
                assert_true(loop_run_once(l, deadline - n) >= 0);
}

static inline int test_pidfd_open(pid_t pid) {
        return (int) syscall(SYS_pidfd_open, pid, 0);
}

/* Forked processes of the current test. */
#define TEST_MAX_PIDS 64
static pid_t test_pids[TEST_MAX_PIDS];

static inline void test_track_pid(pid_t pid) {
        for (size_t i = 0; i < TEST_MAX_PIDS; i++)
                if (test_pids[i] == 0) {
                        test_pids[i] = pid;
                        return;
                }
        /* Too many to track: kill it at once rather than leak it. */
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        fail_msg("too many tracked processes");
}

/* A tracked process that the test reaped (or the loop reaped for it). */
static inline void test_untrack_pid(pid_t pid) {
        for (size_t i = 0; i < TEST_MAX_PIDS; i++)
                if (test_pids[i] == pid)
                        test_pids[i] = 0;
}

/* Kill and reap what is left. Processes still tracked are unreaped children
 * of ours, so their pids cannot have been reused. */
static inline void test_reap_all(void) {
        for (size_t i = 0; i < TEST_MAX_PIDS; i++) {
                if (test_pids[i] <= 0)
                        continue;
                kill(test_pids[i], SIGKILL);
                (void) waitpid(test_pids[i], NULL, 0);
                test_pids[i] = 0;
        }
}

static inline int test_teardown_reap(void **state) {
        test_reap_all();
        return 0;
}

/* fork() a tracked child running fn(arg), which must not return. */
static inline pid_t test_fork(void (*fn)(void *arg), void *arg) {
        pid_t pid = fork();

        assert_true(pid >= 0);
        if (pid == 0) {
                fn(arg);
                _exit(127);
        }
        test_track_pid(pid);
        return pid;
}
