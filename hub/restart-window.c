/* SPDX-License-Identifier: MIT */
#include "macros.h"
#include "restart-window.h"

/* The first ring: the default burst (5) fits without a second growth. */
#define RESTART_WINDOW_MIN_CAPACITY 8u

struct restart_ring {
        unsigned count;    /* timestamps held, <= capacity */
        unsigned head;     /* index of the oldest */
        unsigned capacity; /* of stamps, <= max_restarts */
        uint64_t stamps[];
};

void restart_window_done(restart_window *w) {
        if (!w)
                return;
        w->ring = mfree(w->ring);
}

static void restart_window_prune(restart_window *w, uint64_t interval_usec, uint64_t now_usec) {
        restart_ring *g = w->ring;

        if (!g)
                return;
        while (g->count > 0 && now_usec - g->stamps[g->head] >= interval_usec) {
                g->head = (g->head + 1) % g->capacity;
                g->count--;
        }
        if (g->count == 0)
                w->ring = mfree(w->ring);
}

/* Room for one more timestamp, the ring laid out again from index 0. */
static int restart_window_grow(restart_window *w, unsigned max_restarts) {
        restart_ring *old = w->ring, *g;
        unsigned have = old ? old->capacity : 0, count = old ? old->count : 0;
        unsigned capacity = have > max_restarts / 2 ? max_restarts : have * 2;

        if (capacity < RESTART_WINDOW_MIN_CAPACITY)
                capacity = max_restarts < RESTART_WINDOW_MIN_CAPACITY ? max_restarts : RESTART_WINDOW_MIN_CAPACITY;
        g = malloc(sizeof(restart_ring) + sizeof(uint64_t) * capacity);
        if (!g)
                return -ENOMEM;
        *g = (restart_ring) { .count = count, .capacity = capacity };
        for (unsigned i = 0; i < count; i++)
                g->stamps[i] = old->stamps[(old->head + i) % old->capacity];
        free(old);
        w->ring = g;
        return 0;
}

unsigned restart_window_count(restart_window *w, uint64_t interval_usec, uint64_t now_usec) {
        assert(w);
        restart_window_prune(w, interval_usec, now_usec);
        return w->ring ? w->ring->count : 0;
}

int restart_window_try_record(restart_window *w, unsigned max_restarts, uint64_t interval_usec, uint64_t now_usec) {
        restart_ring *g;
        int r;

        assert(w);
        assert_return(interval_usec > 0, -EINVAL);

        if (restart_window_count(w, interval_usec, now_usec) >= max_restarts)
                return 0;
        if (!w->ring || w->ring->count == w->ring->capacity) {
                r = restart_window_grow(w, max_restarts);
                if (r < 0)
                        return r;
        }
        g = w->ring;
        g->stamps[(g->head + g->count) % g->capacity] = now_usec;
        g->count++;
        return 1;
}

unsigned restart_window_capacity(const restart_window *w) {
        return w && w->ring ? w->ring->capacity : 0;
}
