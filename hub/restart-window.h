/* SPDX-License-Identifier: MIT */
#pragma once

/* Restart intensity: at most max_restarts restarts within interval_usec
 * (OTP's MaxR in MaxT, systemd's StartLimitBurst= in StartLimitIntervalSec=).
 * A ring of the timestamps still within the interval: a check is O(1).
 * The ring is allocated at the first restart, grows with the restarts
 * recorded (up to max_restarts) and is freed once they all slid out: a
 * child that never restarts, or not lately, holds one pointer (a burst of
 * hundreds would otherwise cost every child kilobytes). The limits are
 * the caller's (a child's spec, the supervisor's options) and passed in,
 * not kept here a second time. */

#include <stdbool.h>
#include <stdint.h>

typedef struct restart_ring restart_ring;

/* Zero-initialised: no restart recorded. */
typedef struct restart_window {
        restart_ring *ring;
} restart_window;

void restart_window_done(restart_window *w);
/* Would one more restart at now_usec stay within the limit? When it would,
 * it is recorded and 1 returned; otherwise 0 and nothing is recorded.
 * -ENOMEM when the ring cannot grow (nothing recorded). Pass the same
 * limits every time. */
int restart_window_try_record(restart_window *w, unsigned max_restarts, uint64_t interval_usec, uint64_t now_usec);
/* Restarts recorded within the interval ending at now_usec. */
unsigned restart_window_count(restart_window *w, uint64_t interval_usec, uint64_t now_usec);
/* Timestamps the ring has room for now, 0 when there is no ring: how the
 * tests see it grow and go. */
unsigned restart_window_capacity(const restart_window *w);
