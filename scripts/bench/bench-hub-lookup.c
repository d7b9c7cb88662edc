/* SPDX-License-Identifier: MIT */

/* Issue 6's lookup figure as the issue states it: ph_get_pid() and
 * ph_child_lookup() (+ ph_child_info_free()), 10^7 lookups each, on a hub
 * whose registry holds 100,000 entries.
 *
 * One host cannot run 100,000 children (kernel.pid_max 32,768 and a hard
 * RLIMIT_NOFILE of 20,000 here), so the registry is filled the way the
 * cluster layer fills it: a few real local children started through
 * ph_start_children(), and the rest entries whose one instance runs on
 * another node, inserted with the registry's own writer
 * (registry_insert()) on the hub's loop thread, its only writer. A lookup
 * does not care which node an instance is on.
 *
 * Keys: a caller holds the id it looks up in its own cache. So the keys
 * are one flat buffer of fixed-width ids, every id once in a shuffled
 * order, read front to back and reused: the entries looked up come in
 * random order, the keys cost no cache miss of their own (the hardware
 * prefetcher streams them). For comparison, the same lookups with the
 * method of bench-scale and bench-hub-api: an id picked at random from the
 * id array (an LCG index), whose cache miss is charged to the lookup.
 *
 * It links the hub's static library (not the shared one, as bench-hub-api
 * does) to reach the registry's writer; ph_get_pid() and ph_child_lookup()
 * are the same code, called directly instead of through the PLT.
 *
 * Beside them, in every round, the floor of each (bench-lookup-floor.h: the
 * same ids in the simplest tables that can answer them), and the machine's
 * own limit: one read from
 * memory whose address depends on the read before (bench-memory-latency.h).
 * A lookup on a registry this large is a short chain of such reads, so the
 * summary also gives each figure as a number of them, which holds still
 * while the absolute figures swing with the load on the shared host.
 *
 * --chained adds a third way: each key read only once the previous lookup
 * returned, so that lookups cannot overlap in the CPU: the latency of one
 * lookup, its dependent cache misses in a row.
 *
 * --breakdown adds ph_child_lookup() taken apart, through the registry's
 * own calls: finding the entry and taking a reference (what ph_get_pid()
 * does, plus the reference), and finding the entry and filling the public
 * spec view inside the read-side section (what ph_child_lookup() does,
 * minus the malloc and the reference). Which of the two is close to
 * ph_child_lookup() tells where its time beyond ph_get_pid()'s goes.
 *
 *   bench-hub-lookup [--entries N] [--local L] [--lookups M] [--rounds R] [--csv FILE] [--chained] [--breakdown] */

#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench-lookup-floor.h"
#include "bench-memory-latency.h"
#include "bench-stats.h"
#include "bench.h"
#include "hub-internal.h"
#include "processhub.h"
#include "registry-internal.h"
#include "registry.h"

#ifndef BENCH_CHILD_PATH
#error "BENCH_CHILD_PATH must name the bench-child program"
#endif

#define ID_WIDTH 16
#define N_REMOTE_NODES 8
#define MAX_ROUNDS 32
/* The machine's limit beside the lookups: dependent reads through a buffer
 * of at least this size and four times the last-level cache. */
#define CHASE_MIN_BYTES ((size_t) 64 << 20)
#define CHASE_STEPS_MAX 2000000u

typedef char bench_id[ID_WIDTH];

typedef struct config {
        unsigned entries, local, lookups, rounds;
        bool chained, breakdown;
        const char *csv;
} config;

/* bench-stats.c's waits check it; this bench has none to cut short. */
volatile sig_atomic_t bench_interrupted = 0;

static volatile uint64_t sink;

static uint64_t xorshift64(uint64_t *s) {
        uint64_t x = *s;

        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        return *s = x;
}

/* ---- Filling the registry with other nodes' children ---- */

typedef struct fill {
        const bench_id *ids;
        unsigned from, to;
} fill;

/* On the loop thread: the registry's only writer. */
static int fill_remote(ph_hub *hub, void *userdata) {
        const fill *f = userdata;
        static const char *const nodes[N_REMOTE_NODES] = {
                "node-b", "node-c", "node-d", "node-e", "node-f", "node-g", "node-h", "node-i",
        };
        char *spec_argv[] = { (char *) BENCH_CHILD_PATH, NULL };

        for (unsigned i = f->from; i < f->to; i++) {
                child_spec s;
                registry_instance in = { .node = (char *) nodes[i % N_REMOTE_NODES], .pid = (pid_t) (1000 + i) };
                int k;

                child_spec_init(&s);
                s.id = (char *) f->ids[i];
                s.argv = spec_argv;
                k = registry_insert(hub->registry, &s, &in, 1, NULL, NULL, 0);
                if (k < 0)
                        return k;
        }
        return 0;
}

static int start_local(ph_hub *hub, const bench_id *ids, unsigned n) {
        static const char *const argv[] = { BENCH_CHILD_PATH, NULL };
        _cleanup_free_ ph_child_spec *specs = calloc(n ?: 1, sizeof(ph_child_spec));
        ph_future *fut = NULL;
        ph_result *res = NULL;
        char *error = NULL;
        ph_start_opts so;
        int r;

        if (n == 0)
                return 0;
        if (!specs)
                return -ENOMEM;
        for (unsigned i = 0; i < n; i++) {
                ph_child_spec_init(&specs[i]);
                specs[i].id = ids[i];
                specs[i].argv = argv;
        }
        ph_start_opts_init(&so);
        so.awaitable = true;
        so.timeout_ms = so.await_timeout_ms = 600000;
        r = ph_start_children(hub, specs, n, &so, &fut, &error);
        if (r >= 0)
                r = ph_future_await(fut, &res);
        if (r >= 0 && (ph_result_status(res) != PH_STATUS_OK || ph_result_n_children(res) != n))
                r = -EIO;
        if (r < 0)
                fprintf(stderr, "start of %u local children: %s %s\n", n, strerror(-r), error ?: "");
        ph_result_free(res);
        ph_future_free(fut);
        free(error);
        return r;
}

/* ---- The lookups: each returns ns per lookup, or a negative errno ---- */

typedef enum workload {
        GET_PID,
        CHILD_LOOKUP,
        /* The floor (bench-lookup-floor.h): the same ids in the simplest tables */
        FLOOR_PID,
        FLOOR_RECORD,
        /* --breakdown: ph_child_lookup() taken apart (what its time is) */
        FIND_REF,       /* find the entry and take a reference: no spec, no copy */
        FIND_SPEC_VIEW, /* find the entry and fill the public spec view, inside the read-side section: no malloc, no reference */
        _WORKLOAD_MAX,
} workload;

typedef enum key_order {
        KEYS_FLAT,    /* the shuffled flat buffer, read in order */
        KEYS_RANDOM,  /* an LCG index into the id array, as before */
        KEYS_CHAINED, /* the flat buffer, each key read once the previous lookup returned */
        _KEY_ORDER_MAX,
} key_order;

static const char *const workload_name[_WORKLOAD_MAX] = {
        [GET_PID] = "ph_get_pid",
        [CHILD_LOOKUP] = "ph_child_lookup + ph_child_info_free",
        [FLOOR_PID] = "floor: pid inline in a 32-byte cell",
        [FLOOR_RECORD] = "floor: info inline in a cell, copied",
        [FIND_REF] = "registry_lookup + unref",
        [FIND_SPEC_VIEW] = "find + spec view (no malloc, no ref)",
};

static const char *const key_order_name[_KEY_ORDER_MAX] = {
        [KEYS_FLAT] = "keys in the caller's cache",
        [KEYS_RANDOM] = "key picked at random (old method)",
        [KEYS_CHAINED] = "one at a time (latency, --chained)",
};

static lookup_floor *the_floor;

static inline int one_lookup(ph_hub *hub, workload w, const char *id, uint64_t *acc) {
        int r;

        if (w == FLOOR_PID) {
                pid_t pid;

                r = lookup_floor_pid(the_floor, id, &pid);
                if (r >= 0)
                        *acc += (uint64_t) pid;
        } else if (w == FLOOR_RECORD) {
                ph_child_info info;

                r = lookup_floor_record(the_floor, id, &info);
                if (r >= 0)
                        *acc += info.n_instances + (uint64_t) info.instances[0].pid;
        } else if (w == GET_PID) {
                pid_t pid;

                r = ph_get_pid(hub, id, &pid);
                if (r >= 0)
                        *acc += (uint64_t) pid;
        } else if (w == FIND_REF) {
                registry_entry *e = registry_lookup(hub->registry, id);

                r = e ? 0 : -ENOENT;
                if (e)
                        *acc += e->n_instances;
                registry_entry_unref(e);
        } else if (w == FIND_SPEC_VIEW) {
                uint64_t hash = registry_hash(hub->registry, id);
                registry_entry *e;

                urcu_bp_read_lock();
                e = registry_index_find(hub->registry, id, hash);
                r = e ? 0 : -ENOENT;
                if (e) {
                        ph_child_spec view;

                        hub_spec_to_public(e->spec, &view);
                        *acc += e->n_instances + view.restart_burst + (view.cwd != NULL);
                }
                urcu_bp_read_unlock();
        } else {
                ph_child_info *info = NULL;

                r = ph_child_lookup(hub, id, &info);
                if (r >= 0) {
                        *acc += info->n_instances;
                        ph_child_info_free(info);
                }
        }
        return r;
}

static double run_lookups(ph_hub *hub, workload w, key_order o, const bench_id *shuffled, const bench_id *ids,
                          unsigned n, unsigned lookups) {
        uint64_t acc = 0, t0;
        unsigned x = 12345;
        int r = 0;

        t0 = bench_now_nsec();
        if (o == KEYS_CHAINED)
                /* The next key's address depends on this lookup's result
                 * (acc never changes j: pids are above 0), so the CPU
                 * cannot start the next lookup early: the time is the
                 * latency of one lookup, its dependent cache misses in a
                 * row, not the throughput of overlapping ones. */
                for (unsigned i = 0, j = 0; i < lookups && r >= 0; i++) {
                        uint64_t before = acc;

                        r = one_lookup(hub, w, shuffled[j], &acc);
                        j += 1 + (acc == before);
                        if (j >= n)
                                j -= n;
                }
        else if (o == KEYS_FLAT)
                for (unsigned i = 0, j = 0; i < lookups && r >= 0; i++) {
                        r = one_lookup(hub, w, shuffled[j], &acc);
                        if (++j == n)
                                j = 0;
                }
        else
                for (unsigned i = 0; i < lookups && r >= 0; i++) {
                        x = x * 1103515245u + 12345u;
                        r = one_lookup(hub, w, ids[(x >> 8) % n], &acc);
                }
        uint64_t elapsed = bench_now_nsec() - t0;
        sink += acc;
        if (r < 0)
                return r;
        return (double) elapsed / lookups;
}

/* The floor's tables over the same ids, with the spec the remote entries
 * have. */
static int build_floor(const bench_id *ids, unsigned n, lookup_floor **ret) {
        static const char *const argv[] = { BENCH_CHILD_PATH, NULL };
        _cleanup_free_ const char **id_ptrs = calloc(n ?: 1, sizeof(char *));
        _cleanup_free_ pid_t *pids = calloc(n ?: 1, sizeof(pid_t));
        ph_child_spec spec;

        if (!id_ptrs || !pids)
                return -ENOMEM;
        for (unsigned i = 0; i < n; i++) {
                id_ptrs[i] = ids[i];
                pids[i] = (pid_t) (1000 + i);
        }
        ph_child_spec_init(&spec);
        spec.argv = argv;
        return lookup_floor_new(id_ptrs, pids, n, &spec, ret);
}

static bool wanted(const config *c, workload w, key_order o) {
        if (o == KEYS_CHAINED && !c->chained)
                return false;
        if (w == FIND_REF || w == FIND_SPEC_VIEW)
                return c->breakdown && o != KEYS_RANDOM;
        if (w == FLOOR_PID || w == FLOOR_RECORD)
                return o != KEYS_RANDOM;
        return true;
}

static size_t chase_bytes(void) {
        long l3 = sysconf(_SC_LEVEL3_CACHE_SIZE); /* 0 or -1 where glibc cannot tell */
        size_t bytes = CHASE_MIN_BYTES;

        if (l3 > 0 && (size_t) l3 * 4 > bytes)
                bytes = (size_t) l3 * 4;
        return bytes;
}

static int parse_args(int argc, char **argv, config *c) {
        static const struct option options[] = {
                { "entries", required_argument, NULL, 'n' },
                { "local", required_argument, NULL, 'L' },
                { "lookups", required_argument, NULL, 'l' },
                { "rounds", required_argument, NULL, 'r' },
                { "csv", required_argument, NULL, 'c' },
                { "chained", no_argument, NULL, 'C' },
                { "breakdown", no_argument, NULL, 'B' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int opt;

        while ((opt = getopt_long(argc, argv, "n:L:l:r:c:CBh", options, NULL)) >= 0)
                switch (opt) {
                case 'n':
                        c->entries = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                case 'L':
                        c->local = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                case 'l':
                        c->lookups = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                case 'r':
                        c->rounds = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                case 'c':
                        c->csv = optarg;
                        break;
                case 'C':
                        c->chained = true;
                        break;
                case 'B':
                        c->breakdown = true;
                        break;
                case 'h':
                        printf("%s [--entries N] [--local L] [--lookups M] [--rounds R] [--csv FILE] [--chained] [--breakdown]\n", argv[0]);
                        exit(EXIT_SUCCESS);
                default:
                        return -EINVAL;
                }
        if (c->entries < 1 || c->entries > 999999 || c->local > c->entries || c->lookups == 0 || c->rounds == 0 ||
            c->rounds > MAX_ROUNDS)
                return -EINVAL;
        return 0;
}

int main(int argc, char **argv) {
        config c = { .entries = 100000, .local = 1000, .lookups = 10000000, .rounds = 3 };
        _cleanup_free_ bench_id *ids = NULL, *shuffled = NULL;
        double samples[_WORKLOAD_MAX][_KEY_ORDER_MAX][MAX_ROUNDS], figure[_WORKLOAD_MAX][_KEY_ORDER_MAX];
        double read_samples[MAX_ROUNDS], read_ns;
        memory_chase *chase = NULL;
        char hub_id[64], *error = NULL;
        ph_hub_config hc;
        ph_hub *hub = NULL;
        uint64_t seed = 42, t0;
        int r;

        if (parse_args(argc, argv, &c) < 0) {
                fprintf(stderr, "usage: %s [--entries 1..999999] [--local L<=N] [--lookups M] [--rounds 1..%d] "
                        "[--csv FILE] [--chained] [--breakdown]\n", argv[0], MAX_ROUNDS);
                return 2;
        }

        ids = calloc(c.entries, sizeof(bench_id));
        shuffled = calloc(c.entries, sizeof(bench_id));
        if (!ids || !shuffled) {
                fprintf(stderr, "bench-hub-lookup: out of memory\n");
                return 1;
        }
        for (unsigned i = 0; i < c.entries; i++)
                snprintf(ids[i], sizeof(bench_id), "child-%06u", i % 1000000u); /* entries <= 999,999 */
        memcpy(shuffled, ids, c.entries * sizeof(bench_id));
        for (unsigned i = c.entries - 1; i > 0; i--) { /* Fisher-Yates */
                unsigned j = (unsigned) (xorshift64(&seed) % (i + 1));
                bench_id t;

                memcpy(t, shuffled[i], sizeof(t));
                memcpy(shuffled[i], shuffled[j], sizeof(t));
                memcpy(shuffled[j], t, sizeof(t));
        }

        r = memory_chase_new(chase_bytes(), seed, &chase);
        if (r < 0) {
                fprintf(stderr, "bench-hub-lookup: memory chase of %zu bytes: %s\n", chase_bytes(), strerror(-r));
                return 1;
        }

        snprintf(hub_id, sizeof(hub_id), "bench-lookup-%d", (int) getpid());
        ph_hub_config_init(&hc);
        hc.hub_id = hub_id;
        r = ph_hub_start(&hc, &hub, &error);
        if (r < 0) {
                fprintf(stderr, "hub start: %s (%s)\n", strerror(-r), error ?: "");
                goto finish;
        }

        t0 = bench_now_nsec();
        r = start_local(hub, ids, c.local);
        if (r < 0)
                goto finish;
        double start_s = (double) (bench_now_nsec() - t0) / 1e9;
        t0 = bench_now_nsec();
        r = hub_call(hub, fill_remote, &(fill) { .ids = ids, .from = c.local, .to = c.entries });
        if (r < 0) {
                fprintf(stderr, "registry_insert: %s\n", strerror(-r));
                goto finish;
        }
        double fill_s = (double) (bench_now_nsec() - t0) / 1e9;
        if (registry_size(hub->registry) != c.entries) {
                fprintf(stderr, "registry holds %zu entries, expected %u\n", registry_size(hub->registry), c.entries);
                r = -EIO;
                goto finish;
        }
        r = build_floor(ids, c.entries, &the_floor);
        if (r < 0) {
                fprintf(stderr, "floor tables: %s\n", strerror(-r));
                goto finish;
        }

        printf("bench-hub-lookup: %u entries (%u local children, %u of %d other nodes), %u lookups per figure "
               "and round, median of %u rounds\n", c.entries, c.local, c.entries - c.local, N_REMOTE_NODES,
               c.lookups, c.rounds);
        printf("  local start %.2f s, registry fill %.2f s (%.0f ns per insert)\n", start_s, fill_s,
               fill_s * 1e9 / (double) (c.entries - c.local ?: 1));

        /* Rounds interleave the figures, so that a drift of the machine
         * spreads over all of them; one warm-up pass first. */
        for (workload w = 0; w < _WORKLOAD_MAX; w++)
                if (wanted(&c, w, KEYS_FLAT))
                        (void) run_lookups(hub, w, KEYS_FLAT, shuffled, ids, c.entries, c.entries);
        const char *read_label = memory_chase_huge(chase) ?
                "one dependent read from memory (the machine's limit)" :
                "one dependent read from memory, no huge pages (+ a page walk)";
        (void) memory_chase_ns(chase, CHASE_STEPS_MAX);
        for (unsigned i = 0; i < c.rounds; i++) {
                read_samples[i] = memory_chase_ns(chase, c.lookups < CHASE_STEPS_MAX ? c.lookups : CHASE_STEPS_MAX);
                printf("  round %u: %-75s %7.1f ns\n", i + 1, read_label, read_samples[i]);
                for (workload w = 0; w < _WORKLOAD_MAX; w++)
                        for (key_order o = 0; o < _KEY_ORDER_MAX; o++) {
                                if (!wanted(&c, w, o))
                                        continue;
                                double ns = run_lookups(hub, w, o, shuffled, ids, c.entries, c.lookups);

                                if (ns < 0) {
                                        r = (int) ns;
                                        fprintf(stderr, "%s: %s\n", workload_name[w], strerror(-r));
                                        goto finish;
                                }
                                samples[w][o][i] = ns;
                                printf("  round %u: %-38s %-36s %7.1f ns\n", i + 1, workload_name[w],
                                       key_order_name[o], ns);
                                fflush(stdout);
                        }
        }

        read_ns = median(read_samples, c.rounds);
        printf("\n  %-75s %10s %8s\n", "figure (median)", "ns/op", "reads");
        printf("  %-75s %10.1f %8.2f\n", read_label, read_ns, 1.0);
        for (workload w = 0; w < _WORKLOAD_MAX; w++)
                for (key_order o = 0; o < _KEY_ORDER_MAX; o++) {
                        if (!wanted(&c, w, o))
                                continue;
                        figure[w][o] = median(samples[w][o], c.rounds);
                        printf("  %-38s %-36s %10.1f %8.2f\n", workload_name[w], key_order_name[o], figure[w][o],
                               figure[w][o] / read_ns);
                }

        if (c.csv) {
                FILE *f = fopen(c.csv, "we");

                if (!f) {
                        r = -errno;
                        fprintf(stderr, "%s: %s\n", c.csv, strerror(-r));
                        goto finish;
                }
                fprintf(f, "entries,local,lookups,rounds,get_pid_ns,child_lookup_ns,"
                           "get_pid_random_key_ns,child_lookup_random_key_ns,memory_read_ns,"
                           "floor_get_pid_ns,floor_child_lookup_ns\n");
                fprintf(f, "%u,%u,%u,%u,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f\n", c.entries, c.local, c.lookups,
                        c.rounds, figure[GET_PID][KEYS_FLAT], figure[CHILD_LOOKUP][KEYS_FLAT],
                        figure[GET_PID][KEYS_RANDOM], figure[CHILD_LOOKUP][KEYS_RANDOM], read_ns,
                        figure[FLOOR_PID][KEYS_FLAT], figure[FLOOR_RECORD][KEYS_FLAT]);
                if (fclose(f) != 0) {
                        r = -errno;
                        goto finish;
                }
        }
        r = 0;

finish:
        ph_hub_free(hub); /* stops the local children and removes their groups */
        memory_chase_free(chase);
        lookup_floor_free(the_floor);
        free(error);
        return r < 0 ? 1 : 0;
}
