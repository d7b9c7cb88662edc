/* SPDX-License-Identifier: MIT */

/* The coordinator on a real loop: priorities, the lock holding lower
 * priorities back (queued, not dropped), unlock, deadlock recovery, a lock
 * without reset, and dropped events on free. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "coordinator.h"
#include "macros.h"
#include "time-util.h"

typedef struct trace {
        char log[64];
        int levels[8];
        unsigned n_levels;
        unsigned dropped;
} trace;

typedef struct step {
        trace *t;
        char c;
} step;

static void record(void *userdata) {
        step *s = userdata;
        size_t l = strlen(s->t->log);

        s->t->log[l] = s->c;
        s->t->log[l + 1] = '\0';
}

static void dropped(void *userdata) {
        ((step *) userdata)->t->dropped++;
}

static void on_level(coordinator *c, int level, void *userdata) {
        trace *t = userdata;

        if (t->n_levels < ELEMENTSOF(t->levels))
                t->levels[t->n_levels++] = level;
}

static void run_for(loop *l, unsigned ms) {
        uint64_t end = now_usec() + ms * USEC_PER_MSEC;

        while (now_usec() < end)
                assert_true(loop_run_once(l, 10 * USEC_PER_MSEC) >= 0);
}

static void test_priorities_and_lock(void **state) {
        loop *l = NULL;
        coordinator *c = NULL;
        trace t = {};
        step a = { &t, 'a' }, b = { &t, 'b' }, x = { &t, 'x' }, i = { &t, 'i' };

        assert_int_equal(loop_new(&l), 0);
        assert_int_equal(coordinator_new(l, 60 * USEC_PER_SEC, on_level, &t, &c), 0);

        /* Unlocked: higher priority first, FIFO within one. */
        assert_int_equal(coordinator_enqueue(c, COORDINATOR_PRIORITY_NORMAL, record, NULL, &a), 0);
        assert_int_equal(coordinator_enqueue(c, COORDINATOR_PRIORITY_NORMAL, record, NULL, &b), 0);
        assert_int_equal(coordinator_enqueue(c, COORDINATOR_PRIORITY_LOCKED, record, NULL, &x), 0);
        run_for(l, 30);
        assert_string_equal(t.log, "xab");

        /* Locked: normal events wait, locked and internal ones run. */
        t.log[0] = '\0';
        assert_int_equal(coordinator_lock(c, false), 0);
        assert_true(coordinator_is_locked(c));
        assert_int_equal(coordinator_level(c), COORDINATOR_PRIORITY_LOCKED);
        assert_int_equal(coordinator_enqueue(c, COORDINATOR_PRIORITY_NORMAL, record, NULL, &a), 0);
        assert_int_equal(coordinator_enqueue(c, COORDINATOR_PRIORITY_INTERNAL, record, NULL, &i), 0);
        assert_int_equal(coordinator_enqueue(c, COORDINATOR_PRIORITY_NORMAL, record, NULL, &b), 0);
        run_for(l, 30);
        assert_string_equal(t.log, "i");
        assert_int_equal(coordinator_n_waiting(c), 2);

        assert_int_equal(coordinator_unlock(c), 0);
        run_for(l, 30);
        assert_string_equal(t.log, "iab");
        assert_int_equal(coordinator_n_waiting(c), 0);
        assert_int_equal(t.n_levels, 2);
        assert_int_equal(t.levels[0], 10);
        assert_int_equal(t.levels[1], 0);

        coordinator_free(c);
        loop_free(l);
}

static void test_deadlock_recovery(void **state) {
        loop *l = NULL;
        coordinator *c = NULL;
        trace t = {};
        step a = { &t, 'a' };

        assert_int_equal(loop_new(&l), 0);
        assert_int_equal(coordinator_new(l, 150 * USEC_PER_MSEC, on_level, &t, &c), 0);

        uint64_t t0 = now_usec();
        assert_int_equal(coordinator_lock(c, false), 0);
        assert_int_equal(coordinator_enqueue(c, COORDINATOR_PRIORITY_NORMAL, record, NULL, &a), 0);
        for (unsigned n = 0; n < 500 && coordinator_is_locked(c); n++)
                assert_true(loop_run_once(l, 10 * USEC_PER_MSEC) >= 0);
        assert_false(coordinator_is_locked(c));
        assert_true(now_usec() - t0 >= 150 * USEC_PER_MSEC);
        run_for(l, 20);
        assert_string_equal(t.log, "a");

        /* A lock without reset (quorum lost) holds past the timeout. */
        assert_int_equal(coordinator_lock(c, true), 0);
        run_for(l, 300);
        assert_true(coordinator_is_locked(c));
        assert_int_equal(coordinator_unlock(c), 0);
        assert_false(coordinator_is_locked(c));

        coordinator_free(c);
        loop_free(l);
}

static void test_free_drops_waiting(void **state) {
        loop *l = NULL;
        coordinator *c = NULL;
        trace t = {};
        step a = { &t, 'a' }, b = { &t, 'b' };

        assert_int_equal(loop_new(&l), 0);
        assert_int_equal(coordinator_new(l, USEC_PER_SEC, NULL, NULL, &c), 0);
        assert_int_equal(coordinator_lock(c, false), 0);
        assert_int_equal(coordinator_enqueue(c, COORDINATOR_PRIORITY_NORMAL, record, dropped, &a), 0);
        assert_int_equal(coordinator_enqueue(c, COORDINATOR_PRIORITY_NORMAL, record, NULL, &b), 0);
        coordinator_free(c);
        assert_int_equal(t.dropped, 1);
        assert_string_equal(t.log, "");
        loop_free(l);
}

static void test_bad_arguments(void **state) {
        loop *l = NULL;
        coordinator *c = NULL;

        assert_int_equal(loop_new(&l), 0);
        assert_int_equal(coordinator_new(NULL, 1, NULL, NULL, &c), -EINVAL);
        assert_int_equal(coordinator_new(l, 0, NULL, NULL, &c), -EINVAL);
        assert_int_equal(coordinator_new(l, 1, NULL, NULL, NULL), -EINVAL);
        assert_int_equal(coordinator_enqueue(NULL, 0, record, NULL, NULL), -EINVAL);
        assert_int_equal(coordinator_new(l, 1, NULL, NULL, &c), 0);
        assert_int_equal(coordinator_enqueue(c, 0, NULL, NULL, NULL), -EINVAL);
        assert_int_equal(coordinator_lock(NULL, false), -EINVAL);
        assert_int_equal(coordinator_unlock(NULL), -EINVAL);
        assert_int_equal(coordinator_level(NULL), -EINVAL);
        assert_false(coordinator_is_locked(NULL));
        assert_int_equal(coordinator_n_waiting(NULL), 0);
        assert_null(coordinator_free(NULL));
        coordinator_free(c);
        loop_free(l);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_priorities_and_lock),
                cmocka_unit_test(test_deadlock_recovery),
                cmocka_unit_test(test_free_drops_waiting),
                cmocka_unit_test(test_bad_arguments),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
