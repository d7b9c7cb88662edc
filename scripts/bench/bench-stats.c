/* SPDX-License-Identifier: MIT */

#include <dirent.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench-stats.h"
#include "macros.h"

static int compare_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;

        return (x > y) - (x < y);
}

/* p in [0, 1] of sorted v[0..n). */
static double percentile_sorted(const double *v, size_t n, double p) {
        double rank = p * (double) (n - 1);
        size_t lo = (size_t) rank;

        if (lo + 1 >= n)
                return v[n - 1];
        return v[lo] + (rank - (double) lo) * (v[lo + 1] - v[lo]);
}

int latency_summarize(const uint64_t *nsec, size_t n, latency_summary *ret) {
        _cleanup_free_ double *v = NULL;
        double sum = 0;

        assert_return(nsec && n > 0 && ret, -EINVAL);

        v = malloc(n * sizeof(double));
        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                v[i] = (double) nsec[i] / 1000.0;
                sum += v[i];
        }
        qsort(v, n, sizeof(double), compare_double);
        *ret = (latency_summary) {
                .n = n,
                .p50 = percentile_sorted(v, n, 0.50),
                .p90 = percentile_sorted(v, n, 0.90),
                .p99 = percentile_sorted(v, n, 0.99),
                .mean = sum / (double) n,
                .min = v[0],
                .max = v[n - 1],
        };
        return 0;
}

double median(const double *v, size_t n) {
        double s[16];

        /* Only ever called on the few runs of the start-rate figure. */
        if (n == 0 || n > ELEMENTSOF(s))
                return 0;
        memcpy(s, v, n * sizeof(double));
        qsort(s, n, sizeof(double), compare_double);
        return percentile_sorted(s, n, 0.50);
}

static void fclosep(FILE **f) {
        if (*f)
                fclose(*f);
}

static int read_rss(uint64_t *ret) {
        _cleanup_(fclosep) FILE *f = fopen("/proc/self/status", "re");
        char line[256];
        unsigned long long kb;

        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f))
                if (sscanf(line, "VmRSS: %llu kB", &kb) == 1) {
                        *ret = (uint64_t) kb * 1024;
                        return 0;
                }
        return -ENODATA;
}

static int count_fds(unsigned *ret) {
        DIR *d = opendir("/proc/self/fd");
        struct dirent *de;
        unsigned n = 0;

        if (!d)
                return -errno;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.')
                        n++;
        closedir(d);
        /* Not the one opendir() itself held. */
        *ret = n > 0 ? n - 1 : 0;
        return 0;
}

int process_usage_read(process_usage *ret) {
        struct mallinfo2 mi;
        process_usage u;
        int r;

        assert_return(ret, -EINVAL);

        r = read_rss(&u.rss_bytes);
        if (r < 0)
                return r;
        r = count_fds(&u.fds);
        if (r < 0)
                return r;
        mi = mallinfo2();
        u.heap_bytes = mi.uordblks;
        u.heap_mmap_bytes = mi.hblkhd;
        *ret = u;
        return 0;
}
