/* SPDX-License-Identifier: MIT */
#pragma once

/* The floor of a control-socket round trip: the same request lines, over
 * the same kind of socket (AF_UNIX, SOCK_STREAM), answered by a process
 * that does nothing but answer. It reads with a blocking read(), and for
 * each request line writes back one canned reply (the daemon's own reply
 * to such a request, so that both sides move the same bytes). What the
 * daemon adds to that is its work: its loop, the JSON, the lookup.
 *
 * Also the CPU time a process spends, from the kernel's per-task run-time
 * accounting (/proc/PID/task/TID/schedstat, nanoseconds): on a shared
 * host the round trip swings with the neighbours' load, the CPU time a
 * request costs much less. */

#include <stdint.h>
#include <sys/types.h>

typedef struct socket_floor {
        pid_t pid; /* the answering process */
        int fd;    /* the client's end */
} socket_floor;

/* Fork the answering process; reply is one line ending in '\n'. */
int socket_floor_start(socket_floor *f, const char *reply);
/* Close the client's end (the process then sees EOF and exits) and reap
 * it, SIGKILL after a bounded wait. */
void socket_floor_stop(socket_floor *f);

/* CPU time of every thread of pid, and how many times they were put on a
 * CPU (wake-ups, mostly); -errno when pid is gone or the kernel does not
 * account it (the fields read 0 then: -EOPNOTSUPP). */
int bench_proc_cpu(pid_t pid, uint64_t *ret_ns, uint64_t *ret_slices);
