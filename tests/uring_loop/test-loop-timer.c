/* SPDX-License-Identifier: MIT */
/* Timer sources. The machine is noisy: only order and "at least this much
 * time passed" are checked, never "at most". */

#include <stdlib.h>

#include "loop-test.h"

#define MSEC USEC_PER_MSEC

typedef struct timer_log {
        unsigned n;
        int order[64];
        uint64_t at[64];
} timer_log;

typedef struct timer_rec {
        timer_log *log;
        int id;
        uint64_t deadline; /* expected: the handler must not run before */
        unsigned calls;
        uint64_t last_now;
        bool free_self;
        loop_source **free_other;
        unsigned rearm_times; /* re-arm itself this many times */
        uint64_t rearm_delay;
} timer_rec;

static int rec_handler(loop_source *s, uint64_t now, void *userdata) {
        timer_rec *r = userdata;

        assert_true(now >= r->deadline);
        assert_true(now_usec() >= r->deadline);
        assert_int_equal(now, loop_now(loop_source_get_loop(s)));
        r->calls++;
        r->last_now = now;
        if (r->log && r->log->n < ELEMENTSOF(r->log->order)) {
                r->log->order[r->log->n] = r->id;
                r->log->at[r->log->n++] = now;
        }
        if (r->rearm_times > 0) {
                r->rearm_times--;
                r->deadline = now + r->rearm_delay;
                assert_false(loop_source_get_enabled(s));
                assert_int_equal(loop_source_timer_set(s, r->deadline, 0), 0);
                assert_true(loop_source_get_enabled(s));
        }
        if (r->free_other && *r->free_other)
                *r->free_other = loop_source_free(*r->free_other);
        if (r->free_self)
                loop_source_free(s);
        return 0;
}

static void test_oneshot_order(void **state) {
        _cleanup_loop_ loop *l = NULL;
        timer_log log = {};
        timer_rec r[4] = {
                { .log = &log, .id = 0, .deadline = 0 },
                { .log = &log, .id = 30 },
                { .log = &log, .id = 10 },
                { .log = &log, .id = 20 },
        };
        loop_source *s[4];
        uint64_t start;

        assert_int_equal(loop_new(&l), 0);
        /* 0 is "now", the moment it is added: before the others' start. */
        assert_int_equal(loop_add_timer(l, &s[0], 0, 0, rec_handler, &r[0]), 0);
        start = now_usec();
        for (size_t i = 1; i < 4; i++) {
                r[i].deadline = start + (uint64_t) r[i].id * MSEC;
                assert_int_equal(loop_add_timer(l, &s[i], r[i].deadline, 0, rec_handler, &r[i]), 0);
        }

        assert_true(RUN_UNTIL(l, log.n >= 4, 10 * USEC_PER_SEC));
        assert_int_equal(log.order[0], 0);
        assert_int_equal(log.order[1], 10);
        assert_int_equal(log.order[2], 20);
        assert_int_equal(log.order[3], 30);
        for (size_t i = 1; i < 4; i++)
                assert_true(log.at[i] >= log.at[i - 1]);

        /* One-shot: disabled, never again. */
        run_for(l, 50 * MSEC);
        for (size_t i = 0; i < 4; i++) {
                assert_int_equal(r[i].calls, 1);
                assert_false(loop_source_get_enabled(s[i]));
                loop_source_free(s[i]);
        }
}

/* run_once(INFINITY) with only a timer pending must wake for it: the
 * earliest deadline bounds the wait. The watchdog catches a hang. */
static void test_wakes_at_deadline(void **state) {
        _cleanup_loop_ loop *l = NULL;
        uint64_t start = now_usec();
        timer_rec r = { .deadline = start + 50 * MSEC };
        loop_source *s = NULL;

        assert_int_equal(loop_new(&l), 0);
        assert_int_equal(loop_add_timer(l, &s, r.deadline, 0, rec_handler, &r), 0);
        while (r.calls == 0)
                assert_true(loop_run_once(l, USEC_INFINITY) >= 0);
        assert_true(now_usec() - start >= 50 * MSEC);
        loop_source_free(s);
}

static int add_later_timer(loop_source *s, uint64_t now, void *userdata) {
        timer_rec *later = userdata;

        later->deadline = now + 40 * MSEC;
        return loop_add_timer(loop_source_get_loop(s), NULL, later->deadline, 0, rec_handler, later);
}

/* A timer added by a handler is waited for by the very next wait. */
static void test_added_from_handler(void **state) {
        _cleanup_loop_ loop *l = NULL;
        timer_rec later = {};
        uint64_t start = now_usec();

        assert_int_equal(loop_new(&l), 0);
        assert_int_equal(loop_add_timer(l, NULL, start + 10 * MSEC, 0, add_later_timer, &later), 0);
        while (later.calls == 0)
                assert_true(loop_run_once(l, USEC_INFINITY) >= 0);
        assert_true(later.last_now >= start + 50 * MSEC);
}

typedef struct periodic {
        uint64_t first, period;
        unsigned calls;
        uint64_t last_slot;
        uint64_t sleep_in_first; /* usec to sleep in the first call */
        bool slots_ok;
} periodic;

static int periodic_handler(loop_source *s, uint64_t now, void *userdata) {
        periodic *p = userdata;
        uint64_t slot;

        assert_true(now >= p->first);
        /* Deadlines are first + k * period; a call at "now" belongs to
         * slot (now - first) / period. Without drift and with missed
         * periods skipped, each call lands in a later slot than the one
         * before: a burst of catch-up calls would share a slot. */
        slot = (now - p->first) / p->period;
        if (p->calls > 0 && slot <= p->last_slot)
                p->slots_ok = false;
        p->last_slot = slot;
        p->calls++;
        if (p->calls == 1 && p->sleep_in_first > 0)
                usleep((useconds_t) p->sleep_in_first);
        return 0;
}

static void test_periodic(void **state) {
        _cleanup_loop_ loop *l = NULL;
        periodic p = { .period = 10 * MSEC, .slots_ok = true };
        loop_source *s = NULL;
        uint64_t start, elapsed;

        assert_int_equal(loop_new(&l), 0);
        start = now_usec();
        p.first = start + 10 * MSEC;
        assert_int_equal(loop_add_timer(l, &s, p.first, p.period, periodic_handler, &p), 0);
        run_for(l, 205 * MSEC);
        elapsed = now_usec() - p.first;

        assert_true(p.slots_ok);
        assert_true(p.calls >= 2); /* ~20 on a quiet machine */
        assert_true(p.calls <= elapsed / p.period + 1);
        assert_true(loop_source_get_enabled(s));

        /* Disabled: no more calls. */
        assert_int_equal(loop_source_set_enabled(s, false), 0);
        {
                unsigned before = p.calls;

                run_for(l, 40 * MSEC);
                assert_int_equal(p.calls, before);
        }
        loop_source_free(s);
}

static void test_periodic_skips_missed(void **state) {
        _cleanup_loop_ loop *l = NULL;
        periodic p = { .period = 10 * MSEC, .slots_ok = true, .sleep_in_first = 55 * MSEC };
        loop_source *s = NULL;

        assert_int_equal(loop_new(&l), 0);
        p.first = now_usec() + 5 * MSEC;
        assert_int_equal(loop_add_timer(l, &s, p.first, p.period, periodic_handler, &p), 0);
        assert_true(RUN_UNTIL(l, p.calls >= 4, 10 * USEC_PER_SEC));
        /* After the 55ms stall the next calls each land in their own slot,
         * not four catch-up calls at once. */
        assert_true(p.slots_ok);
        loop_source_free(s);
}

static void test_rearm(void **state) {
        _cleanup_loop_ loop *l = NULL;
        timer_rec r = { .rearm_times = 2, .rearm_delay = 20 * MSEC };
        loop_source *s = NULL;
        uint64_t start = now_usec();

        assert_int_equal(loop_new(&l), 0);
        r.deadline = start + 5 * MSEC;
        assert_int_equal(loop_add_timer(l, &s, r.deadline, 0, rec_handler, &r), 0);
        assert_true(RUN_UNTIL(l, r.calls >= 3, 10 * USEC_PER_SEC));
        assert_true(r.last_now >= start + 45 * MSEC);
        run_for(l, 40 * MSEC);
        assert_int_equal(r.calls, 3);
        assert_false(loop_source_get_enabled(s));

        /* Re-armed from outside, and a pending timer moved later. */
        r.deadline = now_usec() + 30 * MSEC;
        assert_int_equal(loop_source_timer_set(s, now_usec() + 5 * MSEC, 0), 0);
        assert_int_equal(loop_source_timer_set(s, r.deadline, 0), 0);
        assert_true(RUN_UNTIL(l, r.calls >= 4, 10 * USEC_PER_SEC));
        loop_source_free(s);
}

static void test_disable_enable(void **state) {
        _cleanup_loop_ loop *l = NULL;
        timer_rec r = {};
        loop_source *s = NULL;

        assert_int_equal(loop_new(&l), 0);
        r.deadline = now_usec() + 20 * MSEC;
        assert_int_equal(loop_add_timer(l, &s, r.deadline, 0, rec_handler, &r), 0);
        assert_int_equal(loop_source_set_enabled(s, false), 0);
        run_for(l, 60 * MSEC);
        assert_int_equal(r.calls, 0);
        /* Keeps its (past) deadline: fires at once. */
        assert_int_equal(loop_source_set_enabled(s, true), 0);
        assert_true(RUN_UNTIL(l, r.calls >= 1, 10 * USEC_PER_SEC));
        loop_source_free(s);
}

static void test_free_in_handler(void **state) {
        _cleanup_loop_ loop *l = NULL;
        uint64_t at = now_usec() + 10 * MSEC;
        loop_source *a = NULL, *b = NULL, *c = NULL;
        timer_rec ra = { .deadline = at, .free_self = true },
                  rb = { .deadline = at, .free_other = &c },
                  rc = { .deadline = at, .free_other = &b };

        assert_int_equal(loop_new(&l), 0);
        /* a: periodic, frees itself in its first call. b and c: due at the
         * same moment, whichever runs first frees the other. */
        assert_int_equal(loop_add_timer(l, &a, at, 5 * MSEC, rec_handler, &ra), 0);
        assert_int_equal(loop_add_timer(l, &b, at, 0, rec_handler, &rb), 0);
        assert_int_equal(loop_add_timer(l, &c, at, 0, rec_handler, &rc), 0);
        assert_true(RUN_UNTIL(l, ra.calls >= 1 && rb.calls + rc.calls >= 1, 10 * USEC_PER_SEC));
        run_for(l, 50 * MSEC);
        assert_int_equal(ra.calls, 1);
        assert_int_equal(rb.calls + rc.calls, 1);
        loop_source_free(b);
        loop_source_free(c);
}

static void test_infinity_never_fires(void **state) {
        _cleanup_loop_ loop *l = NULL;
        timer_rec r = {};
        loop_source *s = NULL;

        assert_int_equal(loop_new(&l), 0);
        assert_int_equal(loop_add_timer(l, &s, USEC_INFINITY, 0, rec_handler, &r), 0);
        assert_int_equal(loop_run_once(l, 0), 0);
        run_for(l, 30 * MSEC);
        assert_int_equal(r.calls, 0);
        loop_source_free(s);
}

typedef struct heap_rec {
        uint64_t deadline;
        uint64_t *last;
        unsigned *fired;
        bool *ordered;
} heap_rec;

static int heap_handler(loop_source *s, uint64_t now, void *userdata) {
        heap_rec *h = userdata;

        if (h->deadline < *h->last)
                *h->ordered = false;
        *h->last = h->deadline;
        (*h->fired)++;
        loop_source_free(s);
        return 0;
}

/* 2000 timers in random order, a third of them removed or moved before
 * they fire: the rest fire in deadline order, within one batch or across
 * several. */
static void test_heap_order(void **state) {
        enum { N = 2000 };
        _cleanup_loop_ loop *l = NULL;
        heap_rec *h = calloc(N, sizeof *h);
        loop_source **s = calloc(N, sizeof *s);
        uint64_t base = now_usec() + 20 * MSEC, last = 0;
        unsigned fired = 0, expected = 0;
        bool ordered = true;

        assert_non_null(h);
        assert_non_null(s);
        assert_int_equal(loop_new(&l), 0);
        srand(4242);
        for (unsigned i = 0; i < N; i++) {
                h[i] = (heap_rec) {
                        .deadline = base + (uint64_t) (rand() % 100000),
                        .last = &last,
                        .fired = &fired,
                        .ordered = &ordered,
                };
                assert_int_equal(loop_add_timer(l, &s[i], h[i].deadline, 0, heap_handler, &h[i]), 0);
        }
        for (unsigned i = 0; i < N; i++) {
                switch (i % 3) {
                case 0:
                        s[i] = loop_source_free(s[i]);
                        break;
                case 1:
                        h[i].deadline = base + (uint64_t) (rand() % 100000);
                        assert_int_equal(loop_source_timer_set(s[i], h[i].deadline, 0), 0);
                        expected++;
                        break;
                default:
                        expected++;
                }
        }

        assert_true(RUN_UNTIL(l, fired >= expected, 20 * USEC_PER_SEC));
        assert_int_equal(fired, expected);
        assert_true(ordered);
        free(h);
        free(s);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_oneshot_order),
                cmocka_unit_test(test_wakes_at_deadline),
                cmocka_unit_test(test_added_from_handler),
                cmocka_unit_test(test_periodic),
                cmocka_unit_test(test_periodic_skips_missed),
                cmocka_unit_test(test_rearm),
                cmocka_unit_test(test_disable_enable),
                cmocka_unit_test(test_free_in_handler),
                cmocka_unit_test(test_infinity_never_fires),
                cmocka_unit_test(test_heap_order),
        };

        test_watchdog(120);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
