/* SPDX-License-Identifier: MIT */
#pragma once

/* What every part of the benchmark shares: the interruption flag, the
 * clock, and the bounds on every wait. */

#include <signal.h>
#include <stdint.h>
#include <time.h>

/* Set from the SIGINT/SIGTERM/SIGHUP handler. Every wait of the benchmark
 * is cut into slices of at most BENCH_SLICE_MSEC and checks it between
 * slices, so an interrupted run starts cleaning up within that time. */
extern volatile sig_atomic_t bench_interrupted;

#define BENCH_SLICE_MSEC 100
/* One child's exec, restart or exit: far above anything seen, low enough
 * that a hang is reported and cleaned up. */
#define BENCH_STEP_TIMEOUT_MSEC 10000
/* A batch of starts; a whole shutdown of N children. */
#define BENCH_BATCH_TIMEOUT_MSEC 60000
#define BENCH_SHUTDOWN_TIMEOUT_MSEC 300000

#define NSEC_PER_MSEC ((uint64_t) 1000000ULL)

/* CLOCK_MONOTONIC in nanoseconds: the only clock the figures come from. */
static inline uint64_t bench_now_nsec(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;
}

static inline uint64_t bench_deadline(unsigned timeout_msec) {
        return bench_now_nsec() + (uint64_t) timeout_msec * NSEC_PER_MSEC;
}
