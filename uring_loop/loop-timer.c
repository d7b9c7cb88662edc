/* SPDX-License-Identifier: MIT */
/* Timer sources: a binary min-heap of the enabled timers, keyed by their
 * absolute CLOCK_MONOTONIC deadline. Adding, removing and re-arming are
 * O(log n); the earliest deadline is the heap's top and bounds the wait of
 * each iteration, so the ring never holds a timeout request. Since the wait
 * is computed afresh every iteration, a timer added by a handler is waited
 * for from the very next wait on.
 *
 * The heap array is grown when a timer source is created, never when one is
 * enabled, so enabling cannot fail. */

#include <stdlib.h>

#include "loop-internal.h"
#include "time-util.h"

static void heap_place(loop *l, size_t i, loop_source *s) {
        l->timers[i] = s;
        s->timer_heap_index = (uint32_t) i;
}

static void heap_sift_up(loop *l, size_t i) {
        loop_source *s = l->timers[i];

        while (i > 0) {
                size_t parent = (i - 1) / 2;

                if (l->timers[parent]->timer.deadline <= s->timer.deadline)
                        break;
                heap_place(l, i, l->timers[parent]);
                i = parent;
        }
        heap_place(l, i, s);
}

static void heap_sift_down(loop *l, size_t i) {
        loop_source *s = l->timers[i];

        for (;;) {
                size_t child = 2 * i + 1;

                if (child >= l->n_timers)
                        break;
                if (child + 1 < l->n_timers &&
                    l->timers[child + 1]->timer.deadline < l->timers[child]->timer.deadline)
                        child++;
                if (s->timer.deadline <= l->timers[child]->timer.deadline)
                        break;
                heap_place(l, i, l->timers[child]);
                i = child;
        }
        heap_place(l, i, s);
}

static void heap_fix(loop *l, size_t i) {
        if (i > 0 && l->timers[(i - 1) / 2]->timer.deadline > l->timers[i]->timer.deadline)
                heap_sift_up(l, i);
        else
                heap_sift_down(l, i);
}

static void heap_insert(loop *l, loop_source *s) {
        assert(l->n_timers < l->n_timers_allocated);

        l->timers[l->n_timers++] = s;
        heap_sift_up(l, l->n_timers - 1);
}

static void heap_remove(loop *l, loop_source *s) {
        size_t i = s->timer_heap_index;
        loop_source *last;

        assert(i < l->n_timers && l->timers[i] == s);

        last = l->timers[--l->n_timers];
        if (last != s) {
                heap_place(l, i, last);
                heap_fix(l, i);
        }
}

static int heap_reserve(loop *l, size_t n) {
        loop_source **t;
        size_t a;

        if (n <= l->n_timers_allocated)
                return 0;

        a = l->n_timers_allocated > 0 ? l->n_timers_allocated * 2 : 16;
        if (a < n)
                a = n;
        t = reallocarray(l->timers, a, sizeof *t);
        if (!t)
                return -ENOMEM;
        l->timers = t;
        l->n_timers_allocated = a;
        return 0;
}

/* "0 means now" is taken literally, so that a periodic timer started at 0
 * ticks from the moment it was set up. */
static uint64_t timer_first_deadline(uint64_t usec) {
        return usec == 0 ? now_usec() : usec;
}

int loop_add_timer(loop *l, loop_source **ret, uint64_t usec, uint64_t period_usec,
                   loop_timer_handler handler, void *userdata) {
        loop_source *s;
        int r;

        assert_return(l, -EINVAL);
        assert_return(handler, -EINVAL);

        /* Room for every timer source, enabled or not. */
        r = heap_reserve(l, l->n_timer_sources + 1);
        if (r < 0)
                return r;

        s = source_new(l, SOURCE_TIMER, NULL, userdata);
        if (!s)
                return -ENOMEM;
        l->n_timer_sources++;
        s->timer.deadline = timer_first_deadline(usec);
        s->timer.period = period_usec;
        s->timer.handler = handler;
        s->enabled = true;
        heap_insert(l, s);

        if (ret)
                *ret = s;
        return 0;
}

int loop_source_timer_set(loop_source *s, uint64_t usec, uint64_t period_usec) {
        assert_return(s, -EINVAL);
        assert_return(!s->dead, -EINVAL);
        assert_return(s->type == SOURCE_TIMER, -EINVAL);

        s->timer.deadline = timer_first_deadline(usec);
        s->timer.period = period_usec;
        if (s->enabled)
                heap_fix(s->loop, s->timer_heap_index);
        else {
                s->enabled = true;
                heap_insert(s->loop, s);
        }
        return 0;
}

void timer_set_enabled(loop_source *s, bool enabled) {
        assert(s);

        s->enabled = enabled;
        if (enabled)
                heap_insert(s->loop, s);
        else
                heap_remove(s->loop, s);
}

void timer_detach(loop_source *s) {
        assert(s);

        if (s->enabled)
                heap_remove(s->loop, s);
        assert(s->loop->n_timer_sources > 0);
        s->loop->n_timer_sources--;
}

uint64_t loop_timers_next(const loop *l) {
        assert(l);

        return l->n_timers > 0 ? l->timers[0]->timer.deadline : USEC_INFINITY;
}

/* The first deadline + k * period (k >= 1) after now: relative to the
 * previous deadline, so no drift; missed periods are skipped, not fired in
 * a burst. */
static uint64_t timer_next_deadline(uint64_t deadline, uint64_t period, uint64_t now) {
        uint64_t k;

        assert(period > 0);

        k = now >= deadline ? (now - deadline) / period + 1 : 1;
        if (k > (USEC_INFINITY - deadline) / period)
                return USEC_INFINITY;
        return deadline + k * period;
}

void loop_dispatch_timers(loop *l) {
        assert(l);

        while (l->n_timers > 0) {
                loop_source *s = l->timers[0];
                int r;

                if (s->timer.deadline > l->now)
                        break;
                /* Fired already and set into the past by a handler of this
                 * iteration: its turn comes in the next one (which will
                 * not block), rather than looping here. */
                if (s->timer.fired_iteration == l->iteration)
                        break;
                s->timer.fired_iteration = l->iteration;

                if (s->timer.period > 0) {
                        s->timer.deadline = timer_next_deadline(s->timer.deadline, s->timer.period, l->now);
                        heap_sift_down(l, 0);
                } else {
                        heap_remove(l, s);
                        s->enabled = false;
                }

                source_call_begin(s);
                r = s->timer.handler(s, l->now, s->userdata);
                (void) source_call_end(s, r);
        }
}
