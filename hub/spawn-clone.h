/* SPDX-License-Identifier: MIT */
#pragma once

/* clone3() whose child runs fn(arg) on a stack of its own: what
 * CLONE_VM | CLONE_VFORK needs, the way posix_spawn() starts processes.
 *
 * Why: a child that shares the parent's memory costs no page-table copy
 * and no copy-on-write faults in the parent afterwards. A plain clone3 in
 * a supervisor holding tens of megabytes of heap copies every page-table
 * entry of it per spawn, then takes a write fault per touched page: the
 * cost of a start grew with the number of children already running.
 *
 * glibc (2.36 here) exports no clone3 wrapper that switches stacks, and a
 * child of syscall(SYS_clone3) with CLONE_VM would return into the
 * parent's frames; so the switch is a few instructions of assembly per
 * architecture. Where there are none, SPAWN_CLONE_SHARES_VM is 0 and the
 * caller must not pass CLONE_VM (spawn.c then clones a copy of memory). */

#include <linux/sched.h>

#if defined(__x86_64__) || defined(__aarch64__)
#define SPAWN_CLONE_SHARES_VM 1
#else
#define SPAWN_CLONE_SHARES_VM 0
#endif

/* args->stack and args->stack_size must be set (stack top 16-byte
 * aligned). In the parent: the child's pid, or -errno. The child calls
 * fn(arg), which must not return (it execs or _exits). */
long spawn_clone3_on_stack(struct clone_args *args, void (*fn)(void *), void *arg);
