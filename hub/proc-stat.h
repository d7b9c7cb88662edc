/* SPDX-License-Identifier: MIT */
#pragma once

/* Telling a process apart from a later one that got the same pid, across a
 * restart of the supervisor (adoption). */

#include <stdint.h>
#include <sys/types.h>

/* Field 22 of /proc/<pid>/stat: when the process started, in clock ticks
 * since boot. Together with the pid it names one process for the life of
 * the boot. -ESRCH when there is no such process, -EBADMSG when the file
 * cannot be parsed. */
int proc_start_time(pid_t pid, uint64_t *ret);

/* The inode number of pidfd on pidfs (Linux 6.9 and later): the kernel
 * numbers every process's pid from one 64-bit counter, never reused
 * within a boot, so two pidfds name the same process exactly when these
 * are equal (on a 64-bit kernel; a 32-bit one shows the low 32 bits, which
 * wrap after 2^32 processes, and the cgroup check of an adoption is then
 * what stands between a reused number and a wrong process). One fstat() of a pidfd already held, where the start time
 * costs an open and a read of /proc/<pid>/stat (most of the time of an
 * adoption of 10,000). -EOPNOTSUPP on a kernel whose pidfds are anonymous
 * inodes. */
int pidfd_inode(int pidfd, uint64_t *ret);

/* A process's identity as recorded for a later adoption: the pidfs inode
 * where the kernel has pidfs, else the start time; 0 is "not known". */
typedef struct process_identity {
        uint64_t pidfs_ino;
        uint64_t start_time;
} process_identity;

/* The identity of the process pidfd names (pid is its pid, for /proc). */
int process_identity_get(int pidfd, pid_t pid, process_identity *ret);
/* 1 when the process pidfd names (pid) is the one id names, 0 when it is
 * another or id names none; -errno when it cannot be told (-ESRCH: gone,
 * -EOPNOTSUPP: only a pidfs inode was recorded and this kernel has none). */
int process_identity_matches(int pidfd, pid_t pid, const process_identity *id);
