/* SPDX-License-Identifier: MIT */
/* Signal sources, with signals raised to this (single-threaded) process:
 * delivery through the signalfd, blocking while watched and unblocking
 * after, disabled sources, signals pending before the source existed. */

#include <pthread.h>
#include <string.h>

#include "loop-test.h"

typedef struct sig_rec {
        unsigned calls;
        struct signalfd_siginfo last;
        bool free_self;
        int ret;
} sig_rec;

static int rec_handler(loop_source *s, const struct signalfd_siginfo *si, void *userdata) {
        sig_rec *r = userdata;

        r->calls++;
        r->last = *si;
        if (r->free_self)
                loop_source_free(s);
        return r->ret;
}

static bool is_blocked(int sig) {
        sigset_t cur;

        assert_int_equal(pthread_sigmask(SIG_SETMASK, NULL, &cur), 0);
        return sigismember(&cur, sig) == 1;
}

static bool is_pending(int sig) {
        sigset_t p;

        assert_int_equal(sigpending(&p), 0);
        return sigismember(&p, sig) == 1;
}

static void test_deliver_and_unblock(void **state) {
        _cleanup_loop_ loop *l = NULL;
        sig_rec r1 = {}, r2 = {};
        loop_source *s1 = NULL, *s2 = NULL;

        assert_false(is_blocked(SIGUSR1));
        assert_false(is_blocked(SIGUSR2));
        assert_int_equal(loop_new(&l), 0);
        assert_int_equal(loop_add_signal(l, &s1, SIGUSR1, rec_handler, &r1), 0);
        assert_int_equal(loop_add_signal(l, &s2, SIGUSR2, rec_handler, &r2), 0);
        assert_true(is_blocked(SIGUSR1));
        assert_true(is_blocked(SIGUSR2));

        assert_int_equal(raise(SIGUSR1), 0);
        assert_true(RUN_UNTIL(l, r1.calls >= 1, 5 * USEC_PER_SEC));
        assert_int_equal(r1.last.ssi_signo, SIGUSR1);
        assert_int_equal(r1.last.ssi_pid, getpid());
        assert_int_equal(r2.calls, 0);

        assert_int_equal(raise(SIGUSR2), 0);
        assert_int_equal(raise(SIGUSR1), 0);
        assert_true(RUN_UNTIL(l, r1.calls >= 2 && r2.calls >= 1, 5 * USEC_PER_SEC));
        assert_int_equal(r2.last.ssi_signo, SIGUSR2);

        /* Standard signals do not queue, but each raise after delivery is
         * a new one. */
        for (unsigned i = 0; i < 5; i++) {
                assert_int_equal(raise(SIGUSR2), 0);
                assert_true(RUN_UNTIL(l, r2.calls >= 2 + i, 5 * USEC_PER_SEC));
        }

        loop_source_free(s1);
        assert_false(is_blocked(SIGUSR1));
        assert_true(is_blocked(SIGUSR2));
        loop_source_free(s2);
        assert_false(is_blocked(SIGUSR2));
}

static void test_was_blocked_stays_blocked(void **state) {
        _cleanup_loop_ loop *l = NULL;
        sig_rec r = {};
        loop_source *s = NULL;
        sigset_t one;

        sigemptyset(&one);
        sigaddset(&one, SIGUSR1);
        assert_int_equal(pthread_sigmask(SIG_BLOCK, &one, NULL), 0);

        /* Pending before the source exists: delivered once it does. */
        assert_int_equal(raise(SIGUSR1), 0);
        assert_true(is_pending(SIGUSR1));

        assert_int_equal(loop_new(&l), 0);
        assert_int_equal(loop_add_signal(l, &s, SIGUSR1, rec_handler, &r), 0);
        assert_true(RUN_UNTIL(l, r.calls >= 1, 5 * USEC_PER_SEC));
        assert_int_equal(r.last.ssi_signo, SIGUSR1);
        assert_false(is_pending(SIGUSR1));

        loop_source_free(s);
        assert_true(is_blocked(SIGUSR1));
        assert_int_equal(pthread_sigmask(SIG_UNBLOCK, &one, NULL), 0);
}

static void test_disabled_keeps_pending(void **state) {
        _cleanup_loop_ loop *l = NULL;
        sig_rec r = {};
        loop_source *s = NULL;

        assert_int_equal(loop_new(&l), 0);
        assert_int_equal(loop_add_signal(l, &s, SIGUSR1, rec_handler, &r), 0);
        assert_int_equal(loop_source_set_enabled(s, false), 0);
        assert_true(is_blocked(SIGUSR1)); /* still blocked while disabled */

        assert_int_equal(raise(SIGUSR1), 0);
        run_for(l, 50 * USEC_PER_MSEC);
        assert_int_equal(r.calls, 0);
        assert_true(is_pending(SIGUSR1));

        assert_int_equal(loop_source_set_enabled(s, true), 0);
        assert_true(RUN_UNTIL(l, r.calls >= 1, 5 * USEC_PER_SEC));
        assert_false(is_pending(SIGUSR1));
        loop_source_free(s);
        assert_false(is_blocked(SIGUSR1));
}

static void test_queued_realtime(void **state) {
        _cleanup_loop_ loop *l = NULL;
        sig_rec r = {};
        loop_source *s = NULL;
        int sig = SIGRTMIN + 2;

        assert_int_equal(loop_new(&l), 0);
        assert_int_equal(loop_add_signal(l, &s, sig, rec_handler, &r), 0);
        for (int i = 0; i < 5; i++)
                assert_int_equal(sigqueue(getpid(), sig, (union sigval) { .sival_int = 100 + i }), 0);

        /* Real-time signals queue: five deliveries, in order. */
        assert_true(RUN_UNTIL(l, r.calls >= 5, 5 * USEC_PER_SEC));
        assert_int_equal(r.calls, 5);
        assert_int_equal(r.last.ssi_signo, (uint32_t) sig);
        assert_int_equal(r.last.ssi_int, 104);
        assert_int_equal(r.last.ssi_code, SI_QUEUE);
        loop_source_free(s);
}

static void test_free_in_handler_and_error(void **state) {
        _cleanup_loop_ loop *l = NULL;
        sig_rec r1 = { .free_self = true }, r2 = { .ret = -EINVAL };
        loop_source *s1 = NULL, *s2 = NULL;

        assert_int_equal(loop_new(&l), 0);
        assert_int_equal(loop_add_signal(l, &s1, SIGUSR1, rec_handler, &r1), 0);
        assert_int_equal(loop_add_signal(l, &s2, SIGUSR2, rec_handler, &r2), 0);
        assert_int_equal(raise(SIGUSR1), 0);
        assert_int_equal(raise(SIGUSR2), 0);
        assert_true(RUN_UNTIL(l, r1.calls >= 1 && r2.calls >= 1, 5 * USEC_PER_SEC));
        assert_false(is_blocked(SIGUSR1)); /* freed */
        assert_false(loop_source_get_enabled(s2)); /* failed */

        /* A new source for the freed signal. */
        assert_int_equal(loop_add_signal(l, &s1, SIGUSR1, rec_handler, &r1), 0);
        r1.free_self = false;
        assert_int_equal(raise(SIGUSR1), 0);
        assert_true(RUN_UNTIL(l, r1.calls >= 2, 5 * USEC_PER_SEC));
        loop_source_free(s1);

        /* The disabled one keeps SIGUSR2 pending; loop_free() (teardown of
         * the cleanup) restores the mask, so take it off first. */
        assert_int_equal(raise(SIGUSR2), 0);
        assert_int_equal(loop_source_set_enabled(s2, true), 0);
        assert_true(RUN_UNTIL(l, r2.calls >= 2, 5 * USEC_PER_SEC));
}

/* Two loops, one signal each: each loop's signalfd only takes its own. */
static void test_two_loops(void **state) {
        _cleanup_loop_ loop *a = NULL, *b = NULL;
        sig_rec ra = {}, rb = {};

        assert_int_equal(loop_new(&a), 0);
        assert_int_equal(loop_new(&b), 0);
        assert_int_equal(loop_add_signal(a, NULL, SIGUSR1, rec_handler, &ra), 0);
        assert_int_equal(loop_add_signal(b, NULL, SIGUSR2, rec_handler, &rb), 0);
        assert_int_equal(raise(SIGUSR2), 0);
        assert_true(RUN_UNTIL(b, rb.calls >= 1, 5 * USEC_PER_SEC));
        assert_int_equal(ra.calls, 0);
        assert_int_equal(raise(SIGUSR1), 0);
        assert_true(RUN_UNTIL(a, ra.calls >= 1, 5 * USEC_PER_SEC));
        assert_int_equal(rb.calls, 1);

        /* loop_free() of floating sources unblocks too. */
        b = loop_free(b);
        assert_false(is_blocked(SIGUSR2));
        a = loop_free(a);
        assert_false(is_blocked(SIGUSR1));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_deliver_and_unblock),
                cmocka_unit_test(test_was_blocked_stays_blocked),
                cmocka_unit_test(test_disabled_keeps_pending),
                cmocka_unit_test(test_queued_realtime),
                cmocka_unit_test(test_free_in_handler_and_error),
                cmocka_unit_test(test_two_loops),
        };

        test_watchdog(60);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
