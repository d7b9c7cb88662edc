/* SPDX-License-Identifier: MIT */
#pragma once

/* The hub's coordinator: an event queue with priorities on the loop
 * thread, and the hub lock (the reference's priority state).
 *
 * Each queued event has a priority. The queue has a level: 0 when unlocked,
 * COORDINATOR_PRIORITY_LOCKED (10) when locked. Events with a priority at or
 * above the level run; the others wait, in order, until the level drops
 * (they are queued, never dropped). A lock resets itself after the deadlock
 * recovery timeout, except a lock taken with no_reset (quorum loss), which
 * holds until coordinator_unlock(). */

#include <stdbool.h>
#include <stdint.h>

#include "loop.h"

#define COORDINATOR_PRIORITY_NORMAL 0
#define COORDINATOR_PRIORITY_LOCKED 10
/* Hub-internal work that must run even while locked. */
#define COORDINATOR_PRIORITY_INTERNAL 100

typedef struct coordinator coordinator;
typedef void (*coordinator_func)(void *userdata);
/* Called on every lock and unlock with the new level. */
typedef void (*coordinator_level_changed)(coordinator *c, int level, void *userdata);

int coordinator_new(loop *l, uint64_t deadlock_recovery_usec, coordinator_level_changed on_level, void *userdata,
                    coordinator **ret);
/* Drops waiting events without running them (calling drop, when given,
 * for each so their owners can release them). */
coordinator *coordinator_free(coordinator *c);

/* Queue func(userdata) with priority; it runs at the next loop iteration
 * when the level allows it, in queue order among those that may run.
 * drop (optional) is called instead of func when the coordinator is freed
 * first. Loop thread only. */
int coordinator_enqueue(coordinator *c, int priority, coordinator_func func, coordinator_func drop, void *userdata);

int coordinator_lock(coordinator *c, bool no_reset);
int coordinator_unlock(coordinator *c);
int coordinator_level(const coordinator *c);
bool coordinator_is_locked(const coordinator *c);
size_t coordinator_n_waiting(const coordinator *c);
