/* SPDX-License-Identifier: MIT */
#pragma once

/* What /proc says about a process, for telling it apart from a later
 * process that got the same pid. */

#include <stdint.h>
#include <sys/types.h>

/* Field 22 of /proc/<pid>/stat: when the process started, in clock ticks
 * since boot. Together with the pid it names one process for the life of
 * the boot. -ESRCH when there is no such process, -EBADMSG when the file
 * cannot be parsed. */
int proc_start_time(pid_t pid, uint64_t *ret);
