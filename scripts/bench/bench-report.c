/* SPDX-License-Identifier: MIT */

#include <stdio.h>
#include <string.h>

#include "bench-report.h"
#include "config.h"
#include "macros.h"

static const char *const bench_side_table[_SIDE_MAX] = {
        [SIDE_BASELINE] = "baseline",
        [SIDE_PROCESSHUB] = "processhub",
};

const char *bench_side_to_string(bench_side s) {
        if (s < 0 || s >= _SIDE_MAX)
                return NULL;
        return bench_side_table[s];
}

static const char *backend_to_string(cgroup_backend b) {
        switch (b) {
        case CGROUP_BACKEND_V2:
                return "v2";
        case CGROUP_BACKEND_V1:
                return "v1";
        default:
                return "none";
        }
}

static double start_rate(const bench_results *r, bench_side s, unsigned run) {
        return r->start_sec[s][run] > 0 ? (double) r->children / r->start_sec[s][run] : 0;
}

static double start_rate_median(const bench_results *r, bench_side s) {
        double v[BENCH_START_RUNS];

        for (unsigned i = 0; i < BENCH_START_RUNS; i++)
                v[i] = start_rate(r, s, i);
        return median(v, BENCH_START_RUNS);
}

static double ratio(double a, double b) {
        return b > 0 ? a / b : 0;
}

/* Signed: a side may end a run with less than it started with. */
static double per_child(uint64_t before, uint64_t after, unsigned n) {
        return n > 0 ? ((double) after - (double) before) / (double) n : 0;
}

void bench_read_loadavg(char *buf, size_t size) {
        FILE *f = fopen("/proc/loadavg", "re");
        char a[16], b[16], c[16];

        if (f && fscanf(f, "%15s %15s %15s", a, b, c) == 3)
                snprintf(buf, size, "%s %s %s", a, b, c);
        else
                snprintf(buf, size, "unknown");
        if (f)
                fclose(f);
}

void bench_report_machine(FILE *f, const bench_results *r) {
        const cgroup_hierarchy *h = r->hierarchy;

        fprintf(f, "processhub %s supervisor benchmark, %s build\n", PROCESSHUB_VERSION, r->buildtype);
        fprintf(f, "machine:    %ld CPUs (%s), Linux %s, load average %s\n", r->nproc, r->cpu_model, r->kernel,
                r->load_start);
        fprintf(f, "cgroups:    %s layout, cgroup2 at %s (own %s)", cgroup_layout_to_string(h->layout), h->v2_mount,
                h->v2_own);
        for (cgroup_controller c = 0; c < _CGROUP_CONTROLLER_MAX; c++)
                fprintf(f, "%s %s %s", c == 0 ? ";" : ",", cgroup_controller_to_string(c),
                        backend_to_string(h->backend[c]));
        fprintf(f, "\n");
        fprintf(f, "parameters: %u restarts per side (after %u warm-up), %u children in batches of %u, %u runs per side\n",
                r->restarts, r->warmup, r->children, r->batch, BENCH_START_RUNS);
}

void bench_report_table(FILE *f, const bench_results *r) {
        fprintf(f, "\nrestart latency: SIGKILL of a running child -> its replacement %s (usec)\n",
                r->notify ? "has exec'd and sent READY=1" : "has exec'd");
        fprintf(f, "%-12s %10s %10s %10s %10s %10s %10s\n", "side", "p50", "p90", "p99", "mean", "min", "max");
        for (bench_side s = 0; s < _SIDE_MAX; s++) {
                const latency_summary *l = &r->restart[s];
                fprintf(f, "%-12s %10.1f %10.1f %10.1f %10.1f %10.1f %10.1f\n", bench_side_to_string(s), l->p50,
                        l->p90, l->p99, l->mean, l->min, l->max);
        }
        fprintf(f, "ratio processhub/baseline of the medians: %.2f\n",
                ratio(r->restart[SIDE_PROCESSHUB].p50, r->restart[SIDE_BASELINE].p50));
        fprintf(f, "split where the supervisor sees the exit (pidfd readable; processhub: EXITED event), p50 / p90:\n");
        fprintf(f, "%-12s %21s %21s\n", "side", "kill -> exit seen", r->notify ? "exit seen -> ready" : "exit seen -> exec'd");
        for (bench_side s = 0; s < _SIDE_MAX; s++) {
                char a[32], b[32];

                snprintf(a, sizeof(a), "%.1f / %.1f", r->restart_exit[s].p50, r->restart_exit[s].p90);
                snprintf(b, sizeof(b), "%.1f / %.1f", r->restart_relaunch[s].p50, r->restart_relaunch[s].p90);
                fprintf(f, "%-12s %21s %21s\n", bench_side_to_string(s), a, b);
        }

        if (r->children == 0) {
                fprintf(f, "\n(no start-rate runs: --children 0)\n\nrun took %.1f s\n", r->duration_sec);
                return;
        }

        fprintf(f, "\nstart rate: %u children started until all have exec'd (children/s; runs in the order "
                   "baseline, processhub, baseline, processhub)\n",
                r->children);
        fprintf(f, "%-12s %10s %10s %10s\n", "side", "run 1", "run 2", "median");
        for (bench_side s = 0; s < _SIDE_MAX; s++)
                fprintf(f, "%-12s %10.0f %10.0f %10.0f\n", bench_side_to_string(s), start_rate(r, s, 0),
                        start_rate(r, s, 1), start_rate_median(r, s));
        fprintf(f, "ratio processhub/baseline of the medians: %.2f\n",
                ratio(start_rate_median(r, SIDE_PROCESSHUB), start_rate_median(r, SIDE_BASELINE)));

        fprintf(f, "\nsupervisor memory per running child, (with %u running - before) / %u, run 1 | run 2\n",
                r->children, r->children);
        fprintf(f, "%-12s %17s %17s %17s %13s\n", "side", "VmRSS (B)", "heap uordblks (B)", "heap mmapped (B)",
                "fds");
        for (bench_side s = 0; s < _SIDE_MAX; s++) {
                const process_usage *b = r->before[s], *a = r->after[s];
                char rss[32], heap[32], mmapped[32], fds[32];

                snprintf(rss, sizeof(rss), "%.0f | %.0f", per_child(b[0].rss_bytes, a[0].rss_bytes, r->children),
                         per_child(b[1].rss_bytes, a[1].rss_bytes, r->children));
                snprintf(heap, sizeof(heap), "%.0f | %.0f", per_child(b[0].heap_bytes, a[0].heap_bytes, r->children),
                         per_child(b[1].heap_bytes, a[1].heap_bytes, r->children));
                snprintf(mmapped, sizeof(mmapped), "%.0f | %.0f",
                         per_child(b[0].heap_mmap_bytes, a[0].heap_mmap_bytes, r->children),
                         per_child(b[1].heap_mmap_bytes, a[1].heap_mmap_bytes, r->children));
                snprintf(fds, sizeof(fds), "%.2f | %.2f", per_child(b[0].fds, a[0].fds, r->children),
                         per_child(b[1].fds, a[1].fds, r->children));
                fprintf(f, "%-12s %17s %17s %17s %13s\n", bench_side_to_string(s), rss, heap, mmapped, fds);
        }
        fprintf(f, "\nrun took %.1f s\n", r->duration_sec);
}

static void json_string(FILE *f, const char *s) {
        fputc('"', f);
        for (; s && *s; s++) {
                unsigned char c = (unsigned char) *s;

                if (c == '"' || c == '\\')
                        fprintf(f, "\\%c", c);
                else if (c < 0x20)
                        fprintf(f, "\\u%04x", c);
                else
                        fputc(c, f);
        }
        fputc('"', f);
}

static void json_latency(FILE *f, const latency_summary *l) {
        fprintf(f, "{\"n\": %zu, \"p50\": %.3f, \"p90\": %.3f, \"p99\": %.3f, \"mean\": %.3f, \"min\": %.3f, "
                   "\"max\": %.3f}",
                l->n, l->p50, l->p90, l->p99, l->mean, l->min, l->max);
}

static void json_memory(FILE *f, const bench_results *r, bench_side s) {
        fprintf(f, "[");
        for (unsigned i = 0; i < BENCH_START_RUNS; i++) {
                const process_usage *b = &r->before[s][i], *a = &r->after[s][i];

                fprintf(f, "%s{\"rss_bytes_per_child\": %.1f, \"heap_bytes_per_child\": %.1f, "
                           "\"heap_mmap_bytes_per_child\": %.1f, \"fds_per_child\": %.3f, "
                           "\"rss_before\": %llu, \"rss_after\": %llu, \"heap_before\": %llu, \"heap_after\": %llu, "
                           "\"heap_mmap_before\": %llu, \"heap_mmap_after\": %llu, "
                           "\"fds_before\": %u, \"fds_after\": %u}",
                        i ? ", " : "", per_child(b->rss_bytes, a->rss_bytes, r->children),
                        per_child(b->heap_bytes, a->heap_bytes, r->children),
                        per_child(b->heap_mmap_bytes, a->heap_mmap_bytes, r->children),
                        per_child(b->fds, a->fds, r->children), (unsigned long long) b->rss_bytes,
                        (unsigned long long) a->rss_bytes, (unsigned long long) b->heap_bytes,
                        (unsigned long long) a->heap_bytes, (unsigned long long) b->heap_mmap_bytes,
                        (unsigned long long) a->heap_mmap_bytes, b->fds, a->fds);
        }
        fprintf(f, "]");
}

static void json_write(FILE *f, const bench_results *r) {
        const cgroup_hierarchy *h = r->hierarchy;

        fprintf(f, "{\n  \"processhub_version\": ");
        json_string(f, PROCESSHUB_VERSION);
        fprintf(f, ",\n  \"buildtype\": ");
        json_string(f, r->buildtype);
        fprintf(f, ",\n  \"machine\": {\"nproc\": %ld, \"cpu_model\": ", r->nproc);
        json_string(f, r->cpu_model);
        fprintf(f, ", \"kernel\": ");
        json_string(f, r->kernel);
        fprintf(f, ", \"loadavg_start\": ");
        json_string(f, r->load_start);
        fprintf(f, ", \"cgroup_layout\": ");
        json_string(f, cgroup_layout_to_string(h->layout));
        fprintf(f, ", \"cgroup2_mount\": ");
        json_string(f, h->v2_mount);
        fprintf(f, ", \"cgroup2_own\": ");
        json_string(f, h->v2_own);
        fprintf(f, ", \"controllers\": {");
        for (cgroup_controller c = 0; c < _CGROUP_CONTROLLER_MAX; c++) {
                fprintf(f, "%s", c ? ", " : "");
                json_string(f, cgroup_controller_to_string(c));
                fprintf(f, ": ");
                json_string(f, backend_to_string(h->backend[c]));
        }
        fprintf(f, "}},\n");
        fprintf(f, "  \"parameters\": {\"restarts\": %u, \"warmup\": %u, \"children\": %u, \"batch\": %u, "
                   "\"start_runs\": %u},\n",
                r->restarts, r->warmup, r->children, r->batch, BENCH_START_RUNS);

        fprintf(f, "  \"restart_latency_usec\": {");
        for (bench_side s = 0; s < _SIDE_MAX; s++) {
                fprintf(f, "%s\"%s\": ", s ? ", " : "", bench_side_to_string(s));
                json_latency(f, &r->restart[s]);
        }
        fprintf(f, ", \"ratio_p50\": %.4f,\n    \"kill_to_exit_seen\": {", 
                ratio(r->restart[SIDE_PROCESSHUB].p50, r->restart[SIDE_BASELINE].p50));
        for (bench_side s = 0; s < _SIDE_MAX; s++) {
                fprintf(f, "%s\"%s\": ", s ? ", " : "", bench_side_to_string(s));
                json_latency(f, &r->restart_exit[s]);
        }
        fprintf(f, "},\n    \"exit_seen_to_execd\": {");
        for (bench_side s = 0; s < _SIDE_MAX; s++) {
                fprintf(f, "%s\"%s\": ", s ? ", " : "", bench_side_to_string(s));
                json_latency(f, &r->restart_relaunch[s]);
        }
        fprintf(f, "}},\n");

        fprintf(f, "  \"start_rate_per_sec\": {");
        for (bench_side s = 0; s < _SIDE_MAX; s++) {
                fprintf(f, "%s\"%s\": {\"runs\": [", s ? ", " : "", bench_side_to_string(s));
                for (unsigned i = 0; i < BENCH_START_RUNS; i++)
                        fprintf(f, "%s%.1f", i ? ", " : "", start_rate(r, s, i));
                fprintf(f, "], \"seconds\": [");
                for (unsigned i = 0; i < BENCH_START_RUNS; i++)
                        fprintf(f, "%s%.6f", i ? ", " : "", r->start_sec[s][i]);
                fprintf(f, "], \"median\": %.1f}", start_rate_median(r, s));
        }
        fprintf(f, ", \"ratio_median\": %.4f},\n",
                ratio(start_rate_median(r, SIDE_PROCESSHUB), start_rate_median(r, SIDE_BASELINE)));

        fprintf(f, "  \"memory_per_child\": {");
        for (bench_side s = 0; s < _SIDE_MAX; s++) {
                fprintf(f, "%s\"%s\": ", s ? ", " : "", bench_side_to_string(s));
                json_memory(f, r, s);
        }
        fprintf(f, "},\n  \"duration_sec\": %.3f\n}\n", r->duration_sec);
}

int bench_report_json(const char *path, const bench_results *r) {
        FILE *f;

        assert_return(path && r, -EINVAL);

        f = fopen(path, "we");
        if (!f)
                return -errno;
        json_write(f, r);
        if (fflush(f) != 0 || ferror(f)) {
                int e = errno ?: EIO;
                fclose(f);
                return -e;
        }
        return fclose(f) == 0 ? 0 : -errno;
}
