/* SPDX-License-Identifier: MIT */
#include "macros.h"
#include "restart-window.h"

int restart_window_init(restart_window *w, unsigned max_restarts, uint64_t interval_usec) {
        assert_return(w, -EINVAL);
        assert_return(interval_usec > 0, -EINVAL);

        *w = (restart_window) {
                .interval_usec = interval_usec,
                .max_restarts = max_restarts,
        };
        if (max_restarts > 0) {
                w->stamps = calloc(max_restarts, sizeof(uint64_t));
                if (!w->stamps)
                        return -ENOMEM;
        }
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
                w->head = (w->head + 1) % w->max_restarts;
                w->count--;
        }
}

unsigned restart_window_count(restart_window *w, uint64_t now_usec) {
        assert(w);
        restart_window_prune(w, now_usec);
        return w->count;
}

bool restart_window_try_record(restart_window *w, uint64_t now_usec) {
        assert(w);

        restart_window_prune(w, now_usec);
        if (w->count >= w->max_restarts)
                return false;
        w->stamps[(w->head + w->count) % w->max_restarts] = now_usec;
        w->count++;
        return true;
}
