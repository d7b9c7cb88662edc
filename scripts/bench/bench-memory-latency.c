/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "bench-memory-latency.h"
#include "bench.h"

#define LINE 64
#define HUGE_PAGE ((size_t) 2 << 20)

struct memory_chase {
        size_t n_lines;
        size_t at;      /* the line the next step reads */
        size_t *lines;  /* lines[i * STRIDE]: the line after line i in the cycle */
        bool huge;      /* most of it on huge pages */
};

#define STRIDE (LINE / sizeof(size_t))

static uint64_t splitmix64(uint64_t *s) {
        uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));

        z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
        return z ^ (z >> 31);
}

/* AnonHugePages of /proc/self/smaps_rollup; 0 when it cannot be read. */
static size_t anon_huge_bytes(void) {
        FILE *f = fopen("/proc/self/smaps_rollup", "re");
        char line[256];
        size_t kib = 0;

        if (!f)
                return 0;
        while (fgets(line, sizeof(line), f))
                if (sscanf(line, "AnonHugePages: %zu kB", &kib) == 1)
                        break;
        fclose(f);
        return kib * 1024;
}

int memory_chase_new(size_t bytes, uint64_t seed, memory_chase **ret) {
        memory_chase *c;
        size_t *order;

        if (bytes < 2 * LINE || !ret)
                return -EINVAL;
        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->n_lines = bytes / LINE;
        /* Huge pages where the kernel gives them: the figure is then the
         * memory's latency alone, without a page-table walk of its own
         * (which a walk through 4 KiB pages of this size would add, and
         * the lookups mostly do not pay: their page tables stay cached). */
        bytes = (c->n_lines * LINE + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
        c->lines = aligned_alloc(HUGE_PAGE, bytes);
        if (c->lines)
                (void) madvise(c->lines, bytes, MADV_HUGEPAGE);
        order = malloc(c->n_lines * sizeof(size_t));
        if (!c->lines || !order) {
                free(order);
                memory_chase_free(c);
                return -ENOMEM;
        }
        /* Sattolo's shuffle: a permutation that is one cycle through every
         * line, in an order no prefetcher can guess. */
        for (size_t i = 0; i < c->n_lines; i++)
                order[i] = i;
        for (size_t i = c->n_lines - 1; i > 0; i--) {
                size_t j = splitmix64(&seed) % i, t = order[i];

                order[i] = order[j];
                order[j] = t;
        }
        for (size_t i = 0; i < c->n_lines; i++)
                c->lines[order[i] * STRIDE] = order[(i + 1) % c->n_lines];
        free(order);
        c->huge = anon_huge_bytes() >= bytes / 2;
        *ret = c;
        return 0;
}

double memory_chase_ns(memory_chase *c, unsigned steps) {
        size_t at = c->at;
        uint64_t t0;

        if (steps == 0)
                return 0;
        t0 = bench_now_nsec();
        for (unsigned i = 0; i < steps; i++)
                at = c->lines[at * STRIDE];
        double ns = (double) (bench_now_nsec() - t0) / steps;
        c->at = at; /* also keeps the loop from being optimized away */
        return ns;
}

bool memory_chase_huge(const memory_chase *c) {
        return c->huge;
}

memory_chase *memory_chase_free(memory_chase *c) {
        if (c) {
                free(c->lines);
                free(c);
        }
        return NULL;
}
