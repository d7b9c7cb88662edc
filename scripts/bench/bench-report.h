/* SPDX-License-Identifier: MIT */
#pragma once

/* The figures of one run, and the two ways they are written out: a table
 * for people, JSON for scripts. */

#include <stdbool.h>
#include <stdio.h>

#include "bench-stats.h"
#include "cgroup.h"

typedef enum bench_side {
        SIDE_BASELINE,
        SIDE_PROCESSHUB,
        _SIDE_MAX,
        _SIDE_INVALID = -EINVAL,
} bench_side;

const char *bench_side_to_string(bench_side s);

/* Runs of the start-rate figure per side. */
#define BENCH_START_RUNS 2

typedef struct bench_results {
        /* The machine. */
        long nproc;
        char cpu_model[128];
        char kernel[128];
        const cgroup_hierarchy *hierarchy;
        const char *buildtype;
        /* /proc/loadavg's 1, 5 and 15 minute figures at the start: other
         * work on the machine. (Not at the end: stopping 10,000 children
         * wakes them all at once, which the load average then counts.) */
        char load_start[64];

        /* The parameters. */
        unsigned restarts, warmup, children, batch;
        bool notify; /* a restart ends at READY=1, not at the exec */

        /* Restart latency, per side; and its two parts, split at the
         * moment the supervisor saw the exit. */
        latency_summary restart[_SIDE_MAX];
        latency_summary restart_exit[_SIDE_MAX];
        latency_summary restart_relaunch[_SIDE_MAX];
        /* Start rate: seconds to start all children, per side and run. */
        double start_sec[_SIDE_MAX][BENCH_START_RUNS];
        /* Memory: the process before the first start and with all
         * children running, per side and run. */
        process_usage before[_SIDE_MAX][BENCH_START_RUNS];
        process_usage after[_SIDE_MAX][BENCH_START_RUNS];

        double duration_sec;
} bench_results;

/* The first three fields of /proc/loadavg into buf. */
void bench_read_loadavg(char *buf, size_t size);
void bench_report_machine(FILE *f, const bench_results *r);
void bench_report_table(FILE *f, const bench_results *r);
int bench_report_json(const char *path, const bench_results *r);
