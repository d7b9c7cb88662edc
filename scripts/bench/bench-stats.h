/* SPDX-License-Identifier: MIT */
#pragma once

/* Summaries of samples, and what /proc and malloc say about this process
 * and the kernel's cgroups. */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Microseconds. Percentiles interpolate linearly between the two closest
 * ranks (the "R-7" rule of most statistics packages). */
typedef struct latency_summary {
        size_t n;
        double p50, p90, p99, mean, min, max;
} latency_summary;

int latency_summarize(const uint64_t *nsec, size_t n, latency_summary *ret);
/* The median of n values (the mean of the middle two when n is even). */
double median(const double *v, size_t n);

typedef struct process_usage {
        uint64_t rss_bytes;       /* VmRSS of /proc/self/status */
        uint64_t heap_bytes;      /* mallinfo2().uordblks: in use in the malloc arenas */
        uint64_t heap_mmap_bytes; /* mallinfo2().hblkhd: in use in chunks malloc mmap()ed on their own */
        unsigned fds;             /* entries of /proc/self/fd */
} process_usage;

int process_usage_read(process_usage *ret);

/* Wait, bounded, until pid is asleep (state S in /proc/<pid>/stat): for
 * bench-child, until it is in pause() and no longer starting up. */
int process_wait_sleeping(pid_t pid, unsigned timeout_msec);

/* Wait, bounded, until the groups removed under v2_dir are released: its
 * cgroup.stat counts no dying descendants and the number of v1 memory
 * groups (/proc/cgroups) held still for a quarter of a second. The
 * kernel's workers release removed groups in the background; a run
 * measured meanwhile would share the CPUs with them. */
int cgroups_wait_released(const char *v2_dir, unsigned timeout_msec);
