/* SPDX-License-Identifier: MIT */

/* The registry benchmark: a registry of 100,000 entries ("child-000123",
 * one instance each, every other one tagged "half"), the heap it takes,
 * and what reading it costs. Lookups are timed in rounds of 1,000,000
 * random ids, the median of 5 rounds reported, next to a plain uthash
 * table of the same ids without lock or reference counts: the floor. Then
 * listings, a tag query of 50,000 entries, and lookups per second on two
 * reader threads while a writer updates pids. No kernel resource is used.
 *
 *   bench-registry [--entries N] [--lookups M] [--rounds R] [--seconds S] */

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "registry-internal.h"
#include "registry.h"

typedef struct floor_item {
        UT_hash_handle hh;
        pid_t pid;
        char id[];
} floor_item;

typedef struct config {
        unsigned entries, lookups, rounds;
        double seconds;
} config;

#define NSEC_PER_MSEC 1000000ULL

static volatile uint64_t sink;

/* Bytes from malloc in use, from the heap and in mmap'ed blocks. */
static size_t heap_in_use(void) {
        struct mallinfo2 mi = mallinfo2();

        return mi.uordblks + mi.hblkhd;
}

static uint64_t now_nsec(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;
}

static uint64_t xorshift64(uint64_t *s) {
        uint64_t x = *s;

        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        return *s = x;
}

static int compare_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;

        return (x > y) - (x < y);
}

typedef struct stats {
        double median, min, max;
} stats;

static stats summarize(double *v, unsigned n) {
        qsort(v, n, sizeof(double), compare_double);
        return (stats) {
                .median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2,
                .min = v[0],
                .max = v[n - 1],
        };
}

static void print_row(const char *what, stats s, const char *unit) {
        printf("  %-44s %10.1f %10.1f %10.1f  %s\n", what, s.median, s.min, s.max, unit);
}

/* ---- The workloads: each returns the time of one round in ns. ---- */

typedef enum workload {
        REGISTRY_LOOKUP,
        REGISTRY_LOOKUP_PID,
        REGISTRY_CONTAINS,
        FLOOR_LOOKUP,
} workload;

static uint64_t run_lookups(workload w, registry *r, floor_item *table, char **ids, const unsigned *order, unsigned n) {
        uint64_t start, acc = 0;

        start = now_nsec();
        switch (w) {
        case REGISTRY_LOOKUP:
                for (unsigned i = 0; i < n; i++) {
                        registry_entry *e = registry_lookup(r, ids[order[i]]);

                        if (e) {
                                acc += (uint64_t) e->instances[0].pid;
                                registry_entry_unref(e);
                        }
                }
                break;
        case REGISTRY_LOOKUP_PID:
                for (unsigned i = 0; i < n; i++) {
                        pid_t pid;

                        if (registry_lookup_pid(r, ids[order[i]], &pid) >= 0)
                                acc += (uint64_t) pid;
                }
                break;
        case REGISTRY_CONTAINS:
                for (unsigned i = 0; i < n; i++)
                        acc += registry_contains(r, ids[order[i]]);
                break;
        case FLOOR_LOOKUP:
                for (unsigned i = 0; i < n; i++) {
                        floor_item *f;

                        HASH_FIND_STR(table, ids[order[i]], f);
                        if (f)
                                acc += (uint64_t) f->pid;
                }
                break;
        }
        sink += acc;
        return now_nsec() - start;
}

/* ---- Concurrent readers ---- */

typedef struct reader {
        pthread_t thread;
        registry *r;
        char **ids;
        unsigned n_ids;
        uint64_t seed;
        uint64_t lookups;
        volatile bool *stop;
} reader;

static void *reader_run(void *userdata) {
        reader *rd = userdata;
        uint64_t acc = 0;

        while (!__atomic_load_n(rd->stop, __ATOMIC_RELAXED)) {
                for (unsigned i = 0; i < 1024; i++) {
                        registry_entry *e = registry_lookup(rd->r, rd->ids[xorshift64(&rd->seed) % rd->n_ids]);

                        if (e) {
                                acc += (uint64_t) e->instances[0].pid;
                                registry_entry_unref(e);
                        }
                }
                rd->lookups += 1024;
        }
        sink += acc;
        return NULL;
}

#define WRITER_NONE 0u
#define WRITER_FLAT_OUT UINT_MAX

/* n_readers threads look up random present ids for the given time while
 * this thread updates random pids: writer_rate updates per second (paced
 * per millisecond), as fast as it can (WRITER_FLAT_OUT), or not at all.
 * Returns the lookups per second of all readers together. */
static int run_concurrent(
                registry *r,
                char **ids,
                unsigned n_ids,
                unsigned n_readers,
                unsigned writer_rate,
                double seconds,
                double *ret_lookups_per_sec,
                double *ret_updates_per_sec) {

        reader readers[8] = {};
        volatile bool stop = false;
        uint64_t start, end, elapsed, updates = 0, total = 0, seed = 0x9e3779b97f4a7c15ULL;
        unsigned started = 0;
        int k = 0;

        if (n_readers > ELEMENTSOF(readers))
                return -EINVAL;
        for (; started < n_readers; started++) {
                readers[started] = (reader) {
                        .r = r, .ids = ids, .n_ids = n_ids, .seed = 0x1234567ULL * (started + 1), .stop = &stop,
                };
                k = pthread_create(&readers[started].thread, NULL, reader_run, &readers[started]);
                if (k != 0) {
                        k = -k;
                        break;
                }
        }

        start = now_nsec();
        end = start + (uint64_t) (seconds * 1e9);
        for (uint64_t now = start; k == 0 && now < end; now = now_nsec()) {
                /* Flat out: batches of 256; paced: catch up with the rate,
                 * then sleep a millisecond. */
                uint64_t due = writer_rate == WRITER_FLAT_OUT ? updates + 256
                                                              : (now - start) * writer_rate / 1000000000ULL;

                for (; updates < due && k == 0; updates++) {
                        unsigned j = (unsigned) (xorshift64(&seed) % n_ids);
                        /* Alternate between two pids per child. */
                        pid_t pid = (pid_t) (j + 1 + (updates % 2) * n_ids);

                        k = registry_update_pid(r, ids[j], "node-1", pid);
                }
                if (writer_rate != WRITER_FLAT_OUT)
                        (void) nanosleep(&(struct timespec) { .tv_nsec = (long) NSEC_PER_MSEC }, NULL);
        }
        __atomic_store_n(&stop, true, __ATOMIC_RELAXED);
        for (unsigned t = 0; t < started; t++) {
                (void) pthread_join(readers[t].thread, NULL);
                total += readers[t].lookups;
        }
        elapsed = now_nsec() - start;
        if (k < 0)
                return k;

        *ret_lookups_per_sec = (double) total / ((double) elapsed / 1e9);
        *ret_updates_per_sec = (double) updates / ((double) elapsed / 1e9);
        return 0;
}

static int parse_args(int argc, char **argv, config *c) {
        static const struct option options[] = {
                { "entries", required_argument, NULL, 'n' },
                { "lookups", required_argument, NULL, 'l' },
                { "rounds", required_argument, NULL, 'r' },
                { "seconds", required_argument, NULL, 's' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int opt;

        while ((opt = getopt_long(argc, argv, "n:l:r:s:h", options, NULL)) >= 0)
                switch (opt) {
                case 'n':
                        c->entries = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                case 'l':
                        c->lookups = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                case 'r':
                        c->rounds = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                case 's':
                        c->seconds = strtod(optarg, NULL);
                        break;
                case 'h':
                        printf("%s [--entries N] [--lookups M] [--rounds R] [--seconds S]\n", argv[0]);
                        exit(EXIT_SUCCESS);
                default:
                        return -EINVAL;
                }
        if (c->entries < 2 || c->entries > 1000000 || c->lookups == 0 || c->rounds == 0 || c->rounds > 101 ||
            !(c->seconds > 0))
                return -EINVAL;
        return 0;
}

int main(int argc, char **argv) {
        config c = { .entries = 100000, .lookups = 1000000, .rounds = 5, .seconds = 1.0 };
        _cleanup_registry_ registry *r = NULL;
        char **present = NULL, **missing = NULL;
        unsigned *order = NULL;
        floor_item *table = NULL, *f, *tmp;
        double *samples = NULL, *samples2 = NULL;
        registry_hash_stats hs;
        uint64_t seed = 42, t0;
        double lps = 0, ups = 0;
        char buf[64];
        int k;

        if (parse_args(argc, argv, &c) < 0) {
                fprintf(stderr, "usage: %s [--entries N>=2] [--lookups M] [--rounds R<=101] [--seconds S]\n", argv[0]);
                return 2;
        }

        present = calloc(c.entries, sizeof(char *));
        missing = calloc(c.entries, sizeof(char *));
        order = calloc(c.lookups, sizeof(unsigned));
        samples = calloc(c.rounds, sizeof(double));
        samples2 = calloc(c.rounds, sizeof(double));
        if (!present || !missing || !order || !samples || !samples2)
                goto oom;
        for (unsigned i = 0; i < c.entries; i++) {
                snprintf(buf, sizeof buf, "child-%06u", i);
                present[i] = strdup(buf);
                snprintf(buf, sizeof buf, "child-%06u", i + c.entries); /* same shape, absent */
                missing[i] = strdup(buf);
                if (!present[i] || !missing[i])
                        goto oom;
        }
        for (unsigned i = 0; i < c.lookups; i++)
                order[i] = (unsigned) (xorshift64(&seed) % c.entries);

        k = registry_new(&r);
        if (k < 0)
                goto fail;
        size_t heap0 = heap_in_use();
        t0 = now_nsec();
        for (unsigned i = 0; i < c.entries; i++) {
                child_spec s;
                char *spec_argv[] = { "/usr/bin/sleep", "infinity", NULL };
                registry_instance in = { .node = "node-1", .pid = (pid_t) i + 1 };

                child_spec_init(&s);
                s.id = present[i];
                s.argv = spec_argv;
                k = registry_insert(r, &s, &in, 1, i % 2 == 0 ? "half" : NULL, NULL, 0);
                if (k < 0)
                        goto fail;
        }
        double build_ms = (double) (now_nsec() - t0) / 1e6;
        /* The ids are the benchmark's; the registry's own copies count. */
        registry_reclaim_barrier();
        double heap_per_entry = (double) (heap_in_use() - heap0) / c.entries;

        for (unsigned i = 0; i < c.entries; i++) {
                f = malloc(sizeof(*f) + strlen(present[i]) + 1);
                if (!f)
                        goto oom;
                strcpy(f->id, present[i]);
                f->pid = (pid_t) i + 1;
                HASH_ADD_KEYPTR(hh, table, f->id, strlen(f->id), f);
                if (!f->hh.tbl) {
                        free(f);
                        goto oom;
                }
        }

        registry_get_hash_stats(r, &hs);
        printf("bench-registry: %u entries, %u lookups per round in random order, median of %u rounds\n",
               c.entries, c.lookups, c.rounds);
        printf("  registry built in %.1f ms (%.0f ns per insert), heap %.0f B per entry\n",
               build_ms, build_ms * 1e6 / c.entries, heap_per_entry);
        printf("  index %zu cells (%.0f%% used), probe run of a present id %.2f cells on average, %zu at most\n",
               hs.n_cells, 100.0 * (double) hs.n_items / (double) hs.n_cells, hs.mean_probe, hs.max_probe);
        printf("\n  %-44s %10s %10s %10s\n", "single thread", "median", "min", "max");

        static const struct {
                const char *name;
                workload w;
                bool present;
        } rows[] = {
                { "registry_lookup + unref, present ids", REGISTRY_LOOKUP, true },
                { "registry_lookup, missing ids", REGISTRY_LOOKUP, false },
                { "registry_lookup_pid, present ids", REGISTRY_LOOKUP_PID, true },
                { "registry_contains, present ids", REGISTRY_CONTAINS, true },
                { "floor: plain uthash lookup, present ids", FLOOR_LOOKUP, true },
                { "floor: plain uthash lookup, missing ids", FLOOR_LOOKUP, false },
        };
        for (size_t row = 0; row < ELEMENTSOF(rows); row++) {
                /* One warm-up round, not counted. */
                (void) run_lookups(rows[row].w, r, table, rows[row].present ? present : missing, order, c.lookups);
                for (unsigned i = 0; i < c.rounds; i++)
                        samples[i] = (double) run_lookups(rows[row].w, r, table,
                                                          rows[row].present ? present : missing,
                                                          order, c.lookups) / c.lookups;
                print_row(rows[row].name, summarize(samples, c.rounds), "ns/op");
        }

        size_t n_tagged = 0;
        for (unsigned i = 0; i < c.rounds + 1; i++) {
                registry_entry **entries;
                size_t n;

                t0 = now_nsec();
                k = registry_list(r, &entries, &n);
                if (k < 0)
                        goto fail;
                uint64_t t1 = now_nsec();
                registry_entries_free(entries, n);
                uint64_t t2 = now_nsec();
                if (n != c.entries) {
                        fprintf(stderr, "registry_list: %zu entries, expected %u\n", n, c.entries);
                        goto fail_quiet;
                }
                if (i > 0) {
                        samples[i - 1] = (double) (t1 - t0) / 1e6;
                        samples2[i - 1] = (double) (t2 - t1) / 1e6;
                }
        }
        snprintf(buf, sizeof buf, "registry_list of %u", c.entries);
        print_row(buf, summarize(samples, c.rounds), "ms");
        snprintf(buf, sizeof buf, "  then registry_entries_free of %u", c.entries);
        print_row(buf, summarize(samples2, c.rounds), "ms");

        for (unsigned i = 0; i < c.rounds + 1; i++) {
                registry_entry **entries;
                size_t n;

                t0 = now_nsec();
                k = registry_tag_query(r, "half", &entries, &n);
                if (k < 0)
                        goto fail;
                uint64_t t1 = now_nsec();
                registry_entries_free(entries, n);
                n_tagged = n;
                if (i > 0)
                        samples[i - 1] = (double) (t1 - t0) / 1e6;
        }
        snprintf(buf, sizeof buf, "registry_tag_query of %zu", n_tagged);
        print_row(buf, summarize(samples, c.rounds), "ms");

        snprintf(buf, sizeof buf, "concurrent, random present ids, %.1f s each", c.seconds);
        printf("\n  %-44s %16s %11s   (%ld CPUs)\n", buf, "lookups/s", "updates/s", sysconf(_SC_NPROCESSORS_ONLN));
        static const struct {
                const char *name;
                unsigned readers;
                unsigned writer_rate;
        } conc[] = {
                { "1 reader thread", 1, WRITER_NONE },
                { "2 reader threads", 2, WRITER_NONE },
                { "2 reader threads + writer at 10,000/s", 2, 10000 },
                { "1 reader thread + writer flat out", 1, WRITER_FLAT_OUT },
                { "2 reader threads + writer flat out", 2, WRITER_FLAT_OUT },
        };
        for (size_t i = 0; i < ELEMENTSOF(conc); i++) {
                k = run_concurrent(r, present, c.entries, conc[i].readers, conc[i].writer_rate, c.seconds, &lps, &ups);
                if (k < 0)
                        goto fail;
                printf("  %-44s %16.0f %11.0f\n", conc[i].name, lps, ups);
        }

        k = 0;
        goto done;
oom:
        k = -ENOMEM;
fail:
        fprintf(stderr, "bench-registry: %s\n", strerror(-k));
fail_quiet:
        k = -1;
done:
        HASH_ITER(hh, table, f, tmp) {
                HASH_DEL(table, f);
                free(f);
        }
        for (unsigned i = 0; present && missing && i < c.entries; i++) {
                free(present[i]);
                free(missing[i]);
        }
        free(present);
        free(missing);
        free(order);
        free(samples);
        free(samples2);
        return k < 0 ? 1 : 0;
}
