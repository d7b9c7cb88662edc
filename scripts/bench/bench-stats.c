/* SPDX-License-Identifier: MIT */

#include <dirent.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench-stats.h"
#include "bench.h"
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

static int process_state(pid_t pid, char *ret) {
        _cleanup_(fclosep) FILE *f = NULL;
        char path[64], state;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        f = fopen(path, "re");
        if (!f)
                return -errno;
        /* The name is in parentheses and may hold anything but ends at the
         * last ')'. */
        if (fscanf(f, "%*d (%*[^)]) %c", &state) != 1)
                return -EBADMSG;
        *ret = state;
        return 0;
}

int process_wait_sleeping(pid_t pid, unsigned timeout_msec) {
        uint64_t deadline = bench_deadline(timeout_msec);

        assert_return(pid > 0, -EINVAL);

        for (;;) {
                char state = '?';
                int r;

                r = process_state(pid, &state);
                if (r < 0)
                        return r;
                if (state == 'S')
                        return 0;
                if (bench_interrupted)
                        return -EINTR;
                if (bench_now_nsec() >= deadline)
                        return -ETIMEDOUT;
                (void) usleep(100);
        }
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

/* A number from a "key value" line of a file (cgroup.stat), or -errno. */
static long long read_keyed(const char *path, const char *key) {
        _cleanup_free_ char *line = NULL;
        size_t size = 0, l = strlen(key);
        long long v = -ENODATA;
        FILE *f = fopen(path, "re");

        if (!f)
                return -errno;
        while (getline(&line, &size, f) > 0)
                if (strncmp(line, key, l) == 0 && line[l] == ' ') {
                        v = strtoll(line + l + 1, NULL, 10);
                        break;
                }
        fclose(f);
        return v;
}

/* The memory controller's num_cgroups in /proc/cgroups (v1), or -errno. */
static long long memory_cgroups(void) {
        _cleanup_free_ char *line = NULL;
        size_t size = 0;
        long long v = -ENODATA;
        FILE *f = fopen("/proc/cgroups", "re");

        if (!f)
                return -errno;
        while (getline(&line, &size, f) > 0) {
                char name[32];
                long long hierarchy, n;

                if (sscanf(line, "%31s %lld %lld", name, &hierarchy, &n) == 3 && strcmp(name, "memory") == 0) {
                        v = n;
                        break;
                }
        }
        fclose(f);
        return v;
}

int cgroups_wait_released(const char *v2_dir, unsigned timeout_msec) {
        _cleanup_free_ char *stat = NULL;
        uint64_t deadline = bench_deadline(timeout_msec);
        long long last = memory_cgroups();

        assert_return(v2_dir, -EINVAL);

        if (asprintf(&stat, "%s/cgroup.stat", v2_dir) < 0)
                return -ENOMEM;
        while (!bench_interrupted) {
                long long now;

                if (bench_now_nsec() >= deadline)
                        return -ETIMEDOUT;
                (void) usleep(250 * 1000);
                now = memory_cgroups();
                if (read_keyed(stat, "nr_dying_descendants") <= 0 && now == last)
                        return 0;
                last = now;
        }
        return -EINTR;
}
