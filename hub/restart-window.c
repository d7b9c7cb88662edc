/* SPDX-License-Identifier: MIT */
#include "macros.h"
#include "restart-window.h"

/* The first ring: the default burst (5) fits without a second growth. */
#define RESTART_WINDOW_MIN_CAPACITY 8u

int restart_window_init(restart_window *w, unsigned max_restarts, uint64_t interval_usec) {
        assert_return(w, -EINVAL);
        assert_return(interval_usec > 0, -EINVAL);

        *w = (restart_window) {
                .interval_usec = interval_usec,
                .max_restarts = max_restarts,
        };
        return 0;
}

void restart_window_done(restart_window *w) {
        if (!w)
                return;
        free(w->stamps);
        *w = (restart_window) {};
}

static void restart_window_prune(restart_window *w, uint64_t now_usec) {
        while (w->count > 0 && now_usec - w->stamps[w->head] >= w->interval_usec) {
                w->head = (w->head + 1) % w->capacity;
                w->count--;
        }
        if (w->count == 0 && w->stamps) {
                w->stamps = mfree(w->stamps);
                w->capacity = w->head = 0;
        }
}

/* Room for one more timestamp, the ring laid out again from index 0. */
static int restart_window_grow(restart_window *w) {
        unsigned capacity = w->capacity > w->max_restarts / 2 ? w->max_restarts : w->capacity * 2;
        uint64_t *stamps;

        if (capacity < RESTART_WINDOW_MIN_CAPACITY)
                capacity = w->max_restarts < RESTART_WINDOW_MIN_CAPACITY ? w->max_restarts : RESTART_WINDOW_MIN_CAPACITY;
        stamps = malloc(sizeof(uint64_t) * capacity);
        if (!stamps)
                return -ENOMEM;
        for (unsigned i = 0; i < w->count; i++)
                stamps[i] = w->stamps[(w->head + i) % w->capacity];
        free(w->stamps);
        w->stamps = stamps;
        w->capacity = capacity;
        w->head = 0;
        return 0;
}

unsigned restart_window_count(restart_window *w, uint64_t now_usec) {
        assert(w);
        restart_window_prune(w, now_usec);
        return w->count;
}

int restart_window_try_record(restart_window *w, uint64_t now_usec) {
        int r;

        assert(w);

        restart_window_prune(w, now_usec);
        if (w->count >= w->max_restarts)
                return 0;
        if (w->count == w->capacity) {
                r = restart_window_grow(w);
                if (r < 0)
                        return r;
        }
        w->stamps[(w->head + w->count) % w->capacity] = now_usec;
        w->count++;
        return 1;
}
