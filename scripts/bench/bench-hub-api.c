/* SPDX-License-Identifier: MIT */

/* The hub API end to end, through the public header only: one
 * ph_start_children() call of N children (default 10,000) awaited until
 * every one is running and registered, ph_child_lookup() and ph_get_pid()
 * on the resulting registry, a global ph_process_list(), and one
 * ph_stop_children() of all of them. Medians over --rounds runs.
 *
 *   bench-hub-api [--children N] [--rounds R] [--lookups M] */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "processhub.h"

#ifndef BENCH_CHILD_PATH
#error "BENCH_CHILD_PATH must name the bench-child program"
#endif

static double now_sec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static int compare_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return x < y ? -1 : x > y;
}

static double median(double *v, unsigned n) {
        qsort(v, n, sizeof(double), compare_double);
        return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

typedef struct round_figures {
        double start_s, lookup_ns, get_pid_ns, list_ms, stop_s;
} round_figures;

static int run_round(unsigned n, unsigned lookups, unsigned round, round_figures *out) {
        static const char *const argv[] = { BENCH_CHILD_PATH, NULL };
        char hub_id[64];
        ph_hub_config config;
        ph_hub *hub = NULL;
        char *error = NULL;
        ph_future *fut = NULL;
        ph_result *res = NULL;
        int r;

        ph_child_spec *specs = calloc(n, sizeof(ph_child_spec));
        char (*ids)[16] = calloc(n, sizeof(*ids));
        const char **id_list = calloc(n, sizeof(char *));
        if (!specs || !ids || !id_list)
                return -ENOMEM;
        for (unsigned i = 0; i < n; i++) {
                snprintf(ids[i], sizeof(ids[i]), "c%06u", i);
                ph_child_spec_init(&specs[i]);
                specs[i].id = ids[i];
                specs[i].argv = argv;
                id_list[i] = ids[i];
        }

        snprintf(hub_id, sizeof(hub_id), "bench-api-%d-%u", (int) getpid(), round);
        ph_hub_config_init(&config);
        config.hub_id = hub_id;
        r = ph_hub_start(&config, &hub, &error);
        if (r < 0) {
                fprintf(stderr, "hub start: %s (%s)\n", strerror(-r), error ?: "");
                goto finish;
        }

        ph_start_opts so;
        ph_start_opts_init(&so);
        so.awaitable = true;
        so.timeout_ms = so.await_timeout_ms = 600000;
        double t0 = now_sec();
        r = ph_start_children(hub, specs, n, &so, &fut, &error);
        if (r >= 0)
                r = ph_future_await(fut, &res);
        out->start_s = now_sec() - t0;
        ph_future_free(fut);
        fut = NULL;
        if (r < 0 || ph_result_status(res) != PH_STATUS_OK || ph_result_n_children(res) != n) {
                fprintf(stderr, "start: %s, %zu started\n", r < 0 ? strerror(-r) : "errors",
                        res ? ph_result_n_children(res) : 0);
                r = r < 0 ? r : -EIO;
                goto finish;
        }
        res = ph_result_free(res);

        /* Lookups of present ids in a scattered order. */
        unsigned x = 12345;
        t0 = now_sec();
        for (unsigned i = 0; i < lookups; i++) {
                ph_child_info *info = NULL;
                x = x * 1103515245u + 12345u;
                if (ph_child_lookup(hub, ids[(x >> 8) % n], &info) < 0) {
                        r = -EIO;
                        goto finish;
                }
                ph_child_info_free(info);
        }
        out->lookup_ns = (now_sec() - t0) * 1e9 / lookups;

        t0 = now_sec();
        for (unsigned i = 0; i < lookups; i++) {
                pid_t pid;
                x = x * 1103515245u + 12345u;
                if (ph_get_pid(hub, ids[(x >> 8) % n], &pid) < 0) {
                        r = -EIO;
                        goto finish;
                }
        }
        out->get_pid_ns = (now_sec() - t0) * 1e9 / lookups;

        ph_child_list *list = NULL;
        t0 = now_sec();
        r = ph_process_list(hub, PH_SCOPE_GLOBAL, &list);
        out->list_ms = (now_sec() - t0) * 1e3;
        if (r < 0 || ph_child_list_n(list) != n) {
                r = r < 0 ? r : -EIO;
                goto finish;
        }
        ph_child_list_free(list);

        ph_stop_opts sto;
        ph_stop_opts_init(&sto);
        sto.awaitable = true;
        sto.timeout_ms = sto.await_timeout_ms = 600000;
        t0 = now_sec();
        r = ph_stop_children(hub, id_list, n, &sto, &fut);
        if (r >= 0)
                r = ph_future_await(fut, &res);
        out->stop_s = now_sec() - t0;
        if (r >= 0 && (ph_result_status(res) != PH_STATUS_OK || ph_result_n_children(res) != n))
                r = -EIO;

finish:
        ph_result_free(res);
        ph_future_free(fut);
        ph_hub_free(hub); /* stops whatever is left and removes the groups */
        free(error);
        free(specs);
        free(ids);
        free(id_list);
        return r < 0 ? r : 0;
}

int main(int argc, char **argv) {
        unsigned n = 10000, rounds = 3, lookups = 1000000;

        static const struct option options[] = {
                { "children", required_argument, NULL, 'n' },
                { "rounds", required_argument, NULL, 'r' },
                { "lookups", required_argument, NULL, 'l' },
                {}
        };
        for (int c; (c = getopt_long(argc, argv, "n:r:l:", options, NULL)) >= 0;)
                switch (c) {
                case 'n':
                        n = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                case 'r':
                        rounds = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                case 'l':
                        lookups = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                default:
                        fprintf(stderr, "usage: %s [--children N] [--rounds R] [--lookups M]\n", argv[0]);
                        return 2;
                }
        if (n == 0 || rounds == 0 || lookups == 0 || rounds > 32) {
                fprintf(stderr, "children, rounds (1..32) and lookups must be above 0\n");
                return 2;
        }

        double start[32], lookup[32], get_pid[32], list[32], stop[32];
        printf("bench-hub-api: libprocesshub %s, %u children, %u lookups, median of %u rounds\n", ph_version(), n,
               lookups, rounds);
        for (unsigned i = 0; i < rounds; i++) {
                round_figures f = {};
                int r = run_round(n, lookups, i, &f);
                if (r < 0) {
                        fprintf(stderr, "round %u failed: %s\n", i + 1, strerror(-r));
                        return 1;
                }
                printf("  round %u: start %.2f s, lookup %.0f ns, get_pid %.0f ns, list %.1f ms, stop %.2f s\n", i + 1,
                       f.start_s, f.lookup_ns, f.get_pid_ns, f.list_ms, f.stop_s);
                fflush(stdout);
                start[i] = f.start_s;
                lookup[i] = f.lookup_ns;
                get_pid[i] = f.get_pid_ns;
                list[i] = f.list_ms;
                stop[i] = f.stop_s;
        }
        double ms = median(start, rounds), ss = median(stop, rounds);
        printf("\n  %-44s %12s\n", "figure (median)", "value");
        printf("  %-44s %9.0f /s  (%.2f s)\n", "ph_start_children of all, awaited", n / ms, ms);
        printf("  %-44s %9.0f ns\n", "ph_child_lookup + ph_child_info_free", median(lookup, rounds));
        printf("  %-44s %9.0f ns\n", "ph_get_pid", median(get_pid, rounds));
        printf("  %-44s %9.1f ms\n", "ph_process_list (global) of all", median(list, rounds));
        printf("  %-44s %9.0f /s  (%.2f s)\n", "ph_stop_children of all, awaited", n / ss, ss);
        return 0;
}
