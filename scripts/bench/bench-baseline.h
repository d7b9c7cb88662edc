/* SPDX-License-Identifier: MIT */
#pragma once

/* The baseline: the least a supervisor must do to run each child in a
 * cgroup leaf of its own and to restart it, written by hand for the
 * comparison. A v2 group of its own next to the hubs' groups, a leaf per
 * child, clone3(CLONE_PIDFD | CLONE_INTO_CGROUP) straight into it, a
 * close-on-exec pipe whose end of file says execve() succeeded, poll() on
 * pidfds and waitid(P_PIDFD). No event loop, no state table, no v1
 * hierarchies, no environment of its own, no stdio, no session, no
 * waiting for the leaf to empty before a restart: what is left of a
 * supervisor once every feature is taken away.
 *
 * Conventions of STYLE.md: >= 0 success, -errno failure; -EINTR when the
 * benchmark was interrupted, -ETIMEDOUT when a bounded wait ran out. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct baseline baseline;

typedef struct baseline_child {
        char leaf[32]; /* the leaf's name in the baseline's group */
        pid_t pid;
        int pidfd;
        int status_fd; /* read end of the exec-status pipe, until its end of file */
        int leaf_fd;   /* the leaf's v2 directory, kept only for restarts */
        uint64_t exit_seen_nsec; /* when poll() last reported the pidfd readable */
} baseline_child;

#define BASELINE_CHILD_NULL \
        ((baseline_child) { .pidfd = -EBADF, .status_fd = -EBADF, .leaf_fd = -EBADF })

/* Create the group <parent_dir>/<name> and raise the soft RLIMIT_NOFILE to
 * the hard one (one pidfd per running child, as the supervisor does for
 * itself). A leftover group of that name is purged first. */
int baseline_new(const char *parent_dir, const char *name, const char *program, baseline **ret);
/* The cleanup of last resort: cgroup.kill on the whole group, a bounded
 * wait for it to empty, then every leaf and the group removed. Children
 * still held by the caller are not reaped: baseline_child_release() them
 * afterwards. Accepts NULL, returns NULL. */
baseline *baseline_free(baseline *b);
const char *baseline_path(const baseline *b);

/* Readiness the sd_notify way: from now on every child gets
 * NOTIFY_SOCKET=@processhub-bench-<pid>-baseline, one datagram socket of
 * the baseline's, and baseline_respawn() waits for its READY=1 too. */
int baseline_enable_notify(baseline *b);
bool baseline_notify_enabled(const baseline *b);
/* Receive n READY=1 datagrams (from any children: each sends one). 0 at
 * once when notify is not enabled. */
int baseline_wait_ready(baseline *b, size_t n, unsigned timeout_msec);

/* mkdir the leaf, clone3 the program into it; does not wait for the exec.
 * keep_leaf: keep the leaf's directory open in c for baseline_respawn(). */
int baseline_spawn(baseline *b, const char *leaf, bool keep_leaf, baseline_child *c);
/* Wait until the exec-status pipe of each of the n children reached its
 * end of file. -ECHILD when an execve() failed. */
int baseline_wait_exec(baseline_child *c, size_t n, unsigned timeout_msec);
/* After the process was killed: wait for its pidfd, reap it, clone3 the
 * program again into the same leaf and wait for the exec (and READY=1). */
int baseline_respawn(baseline *b, baseline_child *c, unsigned timeout_msec);
/* Stop n children: cgroup.kill each leaf, reap each process, remove each
 * leaf. */
int baseline_stop(baseline *b, baseline_child *c, size_t n, unsigned timeout_msec);
/* Close what c holds, reaping its process if it is already gone. */
void baseline_child_release(baseline_child *c);
