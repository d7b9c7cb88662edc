/* SPDX-License-Identifier: MIT */
#pragma once

/* The event the proc-exit BPF program (proc-exit.bpf.c) writes into its ring
 * buffer and the loader (proc-exit.c) hands to its caller: one per process
 * (thread group) that died inside the hub's cgroup subtree. Fixed-width and
 * laid out without implicit padding, since both sides compile it. */

#ifndef __bpf__
#include <linux/types.h>
#endif

#define PROC_EXIT_COMM_LEN 16

struct proc_exit_event {
        __u64 timestamp_ns;     /* CLOCK_MONOTONIC, when the last thread exited */
        __u64 cgroup_id;        /* the task's cgroup v2 id: the inode of its cgroup directory */
        __u32 pid;              /* the thread group id (a thread's id when tracing threads) */
        __u32 ppid;             /* the real parent's tgid at exit */
        __s32 exit_code;        /* the exit status when it exited, 0 when killed */
        __u32 signal;           /* the terminating signal, 0 when it exited */
        char comm[PROC_EXIT_COMM_LEN];
        __u8 core_dumped;       /* 1 when the signal dumped core */
        __u8 oom_killed;        /* 1 when the OOM killer had chosen it */
        __u8 pad[6];
};
