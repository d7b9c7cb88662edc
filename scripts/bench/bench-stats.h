/* SPDX-License-Identifier: MIT */
#pragma once

/* Summaries of samples, and what /proc and malloc say about this process. */

#include <stddef.h>
#include <stdint.h>

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
