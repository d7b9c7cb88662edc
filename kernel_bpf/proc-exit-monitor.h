/* SPDX-License-Identifier: MIT */
#pragma once

/* The process-exit monitor: the kernel reports every process that dies
 * inside a hub's cgroup subtree (children and all their descendants, also
 * those that daemonized or were reparented), with its exit code or signal,
 * core dump and OOM-kill flags and the cgroup it died in. It is a hint
 * source: the supervisor still reaps its own children through pidfds; this
 * adds the deaths it cannot see (grandchildren) and the causes waitid()
 * does not give (an OOM kill looks like any SIGKILL there).
 *
 * Where BPF cannot run (built without it, no BTF, no privilege, the kernel
 * refuses to attach) proc_exit_monitor_new() returns -EOPNOTSUPP and a
 * static reason, and the caller runs degraded, saying so.
 *
 * Conventions (STYLE.md): >= 0 success, -errno failure; ret_* last and
 * untouched on failure; never logs above debug. */

#include <stdint.h>

#include "loop.h"
#include "proc-exit.h"

typedef struct proc_exit_event proc_exit_event;
typedef struct proc_exit_monitor proc_exit_monitor;

/* Called on the loop thread for each exit, in the order the kernel wrote
 * them; e is valid only during the call. The handler must not free the
 * monitor. */
typedef void (*proc_exit_handler)(const proc_exit_event *e, void *userdata);

/* Load and attach the exit tracer, filtered to processes in the cgroup v2
 * directory hub_cgroup_fd (an O_DIRECTORY fd of the hub group's v2
 * directory) and below it, and deliver its events through l. The kernel
 * holds its own reference to that cgroup: the caller may close the fd.
 *
 * -EINVAL for a NULL loop, handler or ret; -EBADF when hub_cgroup_fd is not
 * an open fd; -ENOTDIR when it is not a directory on cgroup2;
 * -EOPNOTSUPP when BPF cannot run here, with *ret_reason (when ret_reason
 * is not NULL) one of "built without BPF", "no BTF at
 * /sys/kernel/btf/vmlinux", "BPF not permitted (needs CAP_BPF/CAP_PERFMON)",
 * "load failed: the kernel refused the program", "attach failed: ..." ;
 * -ENOMEM. */
int proc_exit_monitor_new(
                loop *l,
                int hub_cgroup_fd,
                proc_exit_handler handler,
                void *userdata,
                proc_exit_monitor **ret,
                const char **ret_reason);

/* Detach and unload. Events still queued in the ring buffer are dropped.
 * Accepts NULL, returns NULL. Not from the monitor's own handler. */
proc_exit_monitor *proc_exit_monitor_free(proc_exit_monitor *m);

/* Deliver, now, the events the kernel has written so far (the handler is
 * called for each before this returns): for a caller that just saw a
 * process end through its pidfd and wants the kernel's record of that exit,
 * which is written before the pidfd wakes, but whose ring buffer wake-up
 * may come later in the same loop iteration. Returns how many were
 * delivered. -EINVAL for a NULL monitor. Not from the handler. */
int proc_exit_monitor_consume(proc_exit_monitor *m);

/* The number of exits the kernel could not report because the ring buffer
 * was full (the loop fell behind). -EINVAL for a NULL monitor or ret. */
int proc_exit_monitor_dropped(const proc_exit_monitor *m, uint64_t *ret);

static inline void proc_exit_monitor_freep(proc_exit_monitor **m) {
        if (*m)
                proc_exit_monitor_free(*m);
}
#define _cleanup_proc_exit_monitor_ __attribute__((cleanup(proc_exit_monitor_freep)))
