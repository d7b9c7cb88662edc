/* SPDX-License-Identifier: MIT */
#pragma once

/* Restart intensity: at most max_restarts restarts within interval_usec
 * (OTP's MaxR in MaxT, systemd's StartLimitBurst= in StartLimitIntervalSec=).
 * A ring of the last max_restarts timestamps: a check is O(1). */

#include <stdbool.h>
#include <stdint.h>

typedef struct restart_window {
        uint64_t interval_usec;
        unsigned max_restarts;
        unsigned count; /* timestamps held, <= max_restarts */
        unsigned head;  /* index of the oldest */
        uint64_t *stamps;
} restart_window;

int restart_window_init(restart_window *w, unsigned max_restarts, uint64_t interval_usec);
void restart_window_done(restart_window *w);
/* Would one more restart at now_usec stay within the limit? When it would,
 * it is recorded and true returned; otherwise nothing is recorded. */
bool restart_window_try_record(restart_window *w, uint64_t now_usec);
/* Restarts recorded within the interval ending at now_usec. */
unsigned restart_window_count(restart_window *w, uint64_t now_usec);
