/* SPDX-License-Identifier: MIT */
#pragma once

/* The processhub side of the benchmark: one supervisor on the shared loop
 * and cgroup subtree, driven the way tests/hub/supervisor-fixture.h drives
 * one, and what its handlers reported. Every wait runs the loop in bounded
 * slices and gives up on bench_interrupted (-EINTR) or at its timeout
 * (-ETIMEDOUT). */

#include <stdbool.h>
#include <stdint.h>

#include "supervisor.h"

typedef struct hub_side {
        loop *loop;               /* borrowed */
        cgroup_subtree *subtree;  /* borrowed */
        supervisor *sup;
        char name[64];            /* the hub id: its group is "<name>.hub" */

        unsigned n_started;       /* start handlers that reported success */
        unsigned n_start_failed;  /* ... and failure; the first reason is kept */
        char start_failure[192];
        uint64_t exited_nsec;     /* when the last EXITED event fired */
        unsigned n_restarted;     /* RESTARTED events */
        uint64_t restarted_nsec;  /* when the last one fired */
        unsigned n_failed;        /* FAILED events: restart intensity reached */
        bool shutdown_done;
} hub_side;

/* A supervisor on hub name with the given supervisor-wide restart
 * intensity (0: the defaults). */
int hub_side_open(hub_side *h, loop *l, cgroup_subtree *t, const char *name, unsigned max_restarts,
                  unsigned max_seconds, const char **ret_reason);
/* supervisor_start_child() with the side's start handler. */
int hub_side_start(hub_side *h, const child_spec *spec, const char **ret_reason);
/* Run the loop until n start handlers ran in all (success or failure). */
int hub_side_wait_started(hub_side *h, unsigned n, unsigned timeout_msec);
/* Run the loop until n RESTARTED events were seen in all; -ECHILD on a
 * FAILED event. */
int hub_side_wait_restarted(hub_side *h, unsigned n, unsigned timeout_msec);
/* supervisor_shutdown() and run the loop until it reported done. */
int hub_side_shutdown(hub_side *h, unsigned timeout_msec);
/* supervisor_free() (kills what is left), then cgroup_subtree_purge() of
 * "<name>.hub": nothing of the hub is left afterwards. Safe to call on a
 * side that is closed or was never opened (zeroed). */
void hub_side_close(hub_side *h);
