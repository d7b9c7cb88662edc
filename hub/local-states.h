/* SPDX-License-Identifier: MIT */
#pragma once

/* The local supervisor's view of its children (the reference's
 * which_children), kept for readers on any thread: the loop thread writes
 * it as the supervisor reports, ph_which_children() copies it under a
 * mutex, never waiting on the loop. */

#include <pthread.h>
#include <sys/types.h>

#include "processhub.h"

typedef struct local_states local_states;

int local_states_new(local_states **ret);
local_states *local_states_free(local_states *t);

/* Set what is known of id (creating the record); NULL strings leave the
 * old value, "" clears it. restarts < 0 leaves it. */
int local_states_set(local_states *t, const char *id, pid_t pid, const char *state, int restarts, const char *last_exit,
                     const char *failure);
void local_states_remove(local_states *t, const char *id);
/* How many are in state "failed" now: kept as states change, so that a
 * reader that only looks for failures needs no copy of all of them. */
size_t local_states_n_failed(local_states *t);
/* A copy, in the order children were first seen; free with
 * ph_child_states_free(). */
int local_states_copy(local_states *t, ph_child_state **ret, size_t *ret_n);
