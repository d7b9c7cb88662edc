/* SPDX-License-Identifier: MIT */

/* processhub's supervisor against a minimal hand-written one, side by side
 * in one run: restart latency, start rate, memory per child. See README.md
 * for what each figure means and how it is measured.
 *
 * Exit codes: 0 done, 1 the benchmark failed (the reason on stderr), 2 bad
 * usage, 130 interrupted (everything started was cleaned up). */

#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench-baseline.h"
#include "bench-hub.h"
#include "bench-report.h"
#include "bench.h"
#include "time-util.h"

#ifndef BENCH_CHILD_PATH
#error "BENCH_CHILD_PATH must name the bench-child program"
#endif
#ifndef BENCH_BUILDTYPE
#define BENCH_BUILDTYPE "unknown"
#endif

#define EXIT_USAGE 2
#define EXIT_INTERRUPTED 130

#define DEFAULT_RESTARTS 300u
#define DEFAULT_WARMUP 10u
#define DEFAULT_CHILDREN 10000u
#define DEFAULT_BATCH 250u
/* fds beyond the children's pidfds: a batch of exec-status pipes, the
 * loop, the cgroup files being written, stdio. */
#define FD_MARGIN 256u

volatile sig_atomic_t bench_interrupted = 0;

typedef struct bench {
        unsigned restarts, warmup, children, batch;
        unsigned gap_msec; /* idle time before each restart */
        const char *json_path;
        const char *csv_dir;
        bool notify; /* readiness: READY=1 (sd_notify) instead of the exec */

        loop *loop;
        cgroup_hierarchy *hierarchy;
        cgroup_subtree *subtree;
        hub_side hub; /* at most one supervisor at a time */
        baseline *baseline;
        baseline_child restart_child;
        baseline_child *kids; /* the start-rate run's children */
        /* Per side and restart: the whole latency, kill -> exit seen,
         * exit seen -> exec'd. */
        uint64_t *samples[_SIDE_MAX];
        uint64_t *samples_exit[_SIDE_MAX];
        uint64_t *samples_relaunch[_SIDE_MAX];

        bench_results results;
} bench;

static void on_signal(int sig) {
        bench_interrupted = 1;
}

static int install_signal_handlers(void) {
        /* No SA_RESTART: a blocking poll() or io_uring wait returns at once. */
        struct sigaction sa = { .sa_handler = on_signal };
        static const int signals[] = { SIGINT, SIGTERM, SIGHUP };

        sigemptyset(&sa.sa_mask);
        for (size_t i = 0; i < ELEMENTSOF(signals); i++)
                if (sigaction(signals[i], &sa, NULL) < 0)
                        return -errno;
        return 0;
}

static void help(void) {
        printf("Usage: bench-supervisor [--restarts N] [--children N] [--batch N] [--warmup N] [--ready exec|notify]\n"
               "                        [--gap-ms MS] [--json FILE] [--csv DIR]\n"
               "\n"
               "processhub's supervisor against a minimal hand-written baseline, interleaved in one run:\n"
               "restart latency, start rate and memory per child. Needs root and cgroup2.\n"
               "\n"
               "  --restarts N  restarts measured per side (default %u)\n"
               "  --warmup N    restarts per side before measuring, not counted (default %u)\n"
               "  --gap-ms MS   idle time before each restart (default 0: back to back)\n"
               "  --children N  children started per start-rate run (default %u; 0: no start-rate runs)\n"
               "  --batch N     starts between waits for their exec (default %u)\n"
               "  --ready R     a restart ends at the exec (default) or at the child's READY=1 (notify)\n"
               "  --json FILE   also write the figures as JSON to FILE\n"
               "  --csv DIR     also write DIR/restart-samples.csv and DIR/restart-summary.csv\n",
               DEFAULT_RESTARTS, DEFAULT_WARMUP, DEFAULT_CHILDREN, DEFAULT_BATCH);
}

static int parse_unsigned(const char *s, unsigned min, unsigned max, unsigned *ret) {
        unsigned long v;
        char *end;

        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno || end == s || *end || s[0] == '-' || v < min || v > max)
                return -EINVAL;
        *ret = (unsigned) v;
        return 0;
}

/* 0 to go on, 1 to exit successfully (--help), < 0 on bad usage. */
static int parse_argv(bench *b, int argc, char **argv) {
        static const struct option options[] = {
                { "restarts", required_argument, NULL, 'r' },
                { "warmup", required_argument, NULL, 'w' },
                { "gap-ms", required_argument, NULL, 'g' },
                { "children", required_argument, NULL, 'c' },
                { "batch", required_argument, NULL, 'b' },
                { "json", required_argument, NULL, 'j' },
                { "csv", required_argument, NULL, 'C' },
                { "ready", required_argument, NULL, 'R' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c, idx = 0;

        while ((c = getopt_long(argc, argv, "h", options, &idx)) >= 0) {
                int r = 0;

                switch (c) {
                case 'r':
                        r = parse_unsigned(optarg, 1, 1000000, &b->restarts);
                        break;
                case 'w':
                        r = parse_unsigned(optarg, 0, 1000000, &b->warmup);
                        break;
                case 'g':
                        r = parse_unsigned(optarg, 0, 10000, &b->gap_msec);
                        break;
                case 'c':
                        r = parse_unsigned(optarg, 0, 1000000, &b->children);
                        break;
                case 'b':
                        r = parse_unsigned(optarg, 1, 100000, &b->batch);
                        break;
                case 'j':
                        b->json_path = optarg;
                        break;
                case 'C':
                        b->csv_dir = optarg;
                        break;
                case 'R':
                        if (strcmp(optarg, "notify") == 0)
                                b->notify = true;
                        else if (strcmp(optarg, "exec") == 0)
                                b->notify = false;
                        else
                                r = -EINVAL;
                        break;
                case 'h':
                        help();
                        return 1;
                default:
                        return -EINVAL;
                }
                if (r < 0) {
                        fprintf(stderr, "bench-supervisor: bad value for --%s: %s\n", options[idx].name, optarg);
                        return r;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "bench-supervisor: unexpected argument %s\n", argv[optind]);
                return -EINVAL;
        }
        return 0;
}

static void read_machine(bench_results *r, const cgroup_hierarchy *h) {
        struct utsname u;
        FILE *f;
        char line[256];

        r->nproc = sysconf(_SC_NPROCESSORS_ONLN);
        snprintf(r->kernel, sizeof(r->kernel), "%s", uname(&u) >= 0 ? u.release : "unknown");
        snprintf(r->cpu_model, sizeof(r->cpu_model), "unknown CPU");
        f = fopen("/proc/cpuinfo", "re");
        if (f) {
                while (fgets(line, sizeof(line), f)) {
                        char *colon = strchr(line, ':');

                        if (strncmp(line, "model name", 10) != 0 || !colon)
                                continue;
                        colon += strspn(colon + 1, " \t") + 1;
                        colon[strcspn(colon, "\n")] = '\0';
                        snprintf(r->cpu_model, sizeof(r->cpu_model), "%s", colon);
                        break;
                }
                fclose(f);
        }
        r->hierarchy = h;
        r->buildtype = BENCH_BUILDTYPE;
        bench_read_loadavg(r->load_start, sizeof(r->load_start));
}

/* The v2 directory the subtree's top-level groups (the hubs' "<name>.hub")
 * are created in: the baseline's group goes next to them. */
static int subtree_v2_dir(const cgroup_subtree *t, char **ret) {
        const cgroup_hierarchy *h = cgroup_subtree_hierarchy(t);

        if (!h)
                return -EINVAL;
        if (asprintf(ret, "%s%s", h->v2_mount, strcmp(h->v2_own, "/") == 0 ? "" : h->v2_own) < 0)
                return -ENOMEM;
        return 0;
}

static int bench_setup(bench *b) {
        _cleanup_free_ char *parent = NULL;
        char name[64];
        struct rlimit rl;
        int r;

        if (geteuid() != 0) {
                fprintf(stderr, "bench-supervisor: needs root (cgroups, clone3 into cgroups)\n");
                return -EPERM;
        }
        if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
                return -errno;
        if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < (rlim_t) b->children + 2 * b->batch + FD_MARGIN) {
                fprintf(stderr, "bench-supervisor: RLIMIT_NOFILE hard limit %llu is below the %u fds %u children "
                                "need; lower --children or --batch\n",
                        (unsigned long long) rl.rlim_max, b->children + 2 * b->batch + FD_MARGIN, b->children);
                return -EMFILE;
        }

        r = loop_new(&b->loop);
        if (r < 0) {
                fprintf(stderr, "bench-supervisor: loop_new: %s\n", strerror(-r));
                return r;
        }
        r = cgroup_hierarchy_discover(&b->hierarchy);
        if (r < 0) {
                fprintf(stderr, "bench-supervisor: cgroup_hierarchy_discover: %s\n", strerror(-r));
                return r;
        }
        r = cgroup_subtree_open(b->hierarchy, &b->subtree);
        if (r < 0) {
                fprintf(stderr, "bench-supervisor: cgroup_subtree_open: %s\n", strerror(-r));
                return r;
        }
        read_machine(&b->results, cgroup_subtree_hierarchy(b->subtree));

        r = subtree_v2_dir(b->subtree, &parent);
        if (r < 0)
                return r;
        snprintf(name, sizeof(name), "bench-%d.baseline", (int) getpid());
        r = baseline_new(parent, name, BENCH_CHILD_PATH, &b->baseline);
        if (r < 0) {
                fprintf(stderr, "bench-supervisor: cannot create the baseline's group %s/%s: %s\n", parent, name,
                        strerror(-r));
                return r;
        }
        if (b->notify) {
                r = baseline_enable_notify(b->baseline);
                if (r < 0) {
                        fprintf(stderr, "bench-supervisor: baseline notify socket: %s\n", strerror(-r));
                        return r;
                }
        }

        /* Allocated and touched now, so that neither side's memory figures
         * carry the baseline's bookkeeping. */
        b->kids = malloc(sizeof(baseline_child) * (b->children ?: 1));
        for (bench_side s = 0; s < _SIDE_MAX; s++) {
                b->samples[s] = calloc(b->restarts, sizeof(uint64_t));
                b->samples_exit[s] = calloc(b->restarts, sizeof(uint64_t));
                b->samples_relaunch[s] = calloc(b->restarts, sizeof(uint64_t));
                if (!b->samples[s] || !b->samples_exit[s] || !b->samples_relaunch[s])
                        return -ENOMEM;
        }
        if (!b->kids)
                return -ENOMEM;
        for (unsigned i = 0; i < b->children; i++)
                b->kids[i] = BASELINE_CHILD_NULL;
        return 0;
}

static void bench_cleanup(bench *b) {
        hub_side_close(&b->hub);
        /* Kills and removes whatever is left in the baseline's group first,
         * then reaps what it killed. */
        b->baseline = baseline_free(b->baseline);
        baseline_child_release(&b->restart_child);
        if (b->kids)
                for (unsigned i = 0; i < b->children; i++)
                        baseline_child_release(&b->kids[i]);
        free(b->kids);
        b->kids = NULL;
        for (bench_side s = 0; s < _SIDE_MAX; s++) {
                free(b->samples[s]);
                free(b->samples_exit[s]);
                free(b->samples_relaunch[s]);
        }
        b->subtree = cgroup_subtree_free(b->subtree);
        b->hierarchy = cgroup_hierarchy_free(b->hierarchy);
        b->loop = loop_free(b->loop);

        /* What the supervisors killed on their way out and nobody waited
         * for: every group was emptied, so these are zombies of ours. */
        for (unsigned i = 0; i < 4u * b->children + 1024u; i++)
                if (waitpid(-1, NULL, WNOHANG) <= 0)
                        break;
}

static int fail(const char *what, int r) {
        if (r != -EINTR)
                fprintf(stderr, "bench-supervisor: %s: %s\n", what, strerror(-r));
        return r;
}

/* Never kill(0, ...) or kill(-1, ...): that is not a child of ours. */
static int kill_child(pid_t pid) {
        if (pid <= 0)
                return -ESRCH;
        return kill(pid, SIGKILL) < 0 ? -errno : 0;
}

/* The times of one restart: the kill, the exit seen by the supervisor, the
 * replacement exec'd. */
typedef struct restart_times {
        uint64_t killed, exit_seen, execd;
} restart_times;

static int restart_processhub_once(bench *b, restart_times *ret) {
        supervisor_child *c = supervisor_find_child(b->hub.sup, "restart");
        unsigned before = b->hub.n_restarted;
        uint64_t t0;
        int r;

        if (!c || supervisor_child_state(c) != CHILD_STATE_RUNNING)
                return -ESRCH;
        t0 = bench_now_nsec();
        r = kill_child(supervisor_child_pid(c));
        if (r < 0)
                return r;
        r = hub_side_wait_restarted(&b->hub, before + 1, BENCH_STEP_TIMEOUT_MSEC);
        if (r < 0)
                return r;
        *ret = (restart_times) { t0, b->hub.exited_nsec, b->hub.restarted_nsec };
        return 0;
}

static int restart_baseline_once(bench *b, restart_times *ret) {
        uint64_t t0;
        int r;

        t0 = bench_now_nsec();
        r = kill_child(b->restart_child.pid);
        if (r < 0)
                return r;
        r = baseline_respawn(b->baseline, &b->restart_child, BENCH_STEP_TIMEOUT_MSEC);
        if (r < 0)
                return r;
        *ret = (restart_times) { t0, b->restart_child.exit_seen_nsec, bench_now_nsec() };
        return 0;
}

/* Kill only a child at rest: one still in its dynamic loader dies later
 * and takes a CPU from the side being measured, whichever side started
 * it. So both children must be in pause() before each restart. */
static int wait_children_idle(bench *b) {
        supervisor_child *c = supervisor_find_child(b->hub.sup, "restart");
        int r;

        if (!c)
                return -ESRCH;
        r = process_wait_sleeping(supervisor_child_pid(c), BENCH_STEP_TIMEOUT_MSEC);
        if (r < 0)
                return r;
        return process_wait_sleeping(b->restart_child.pid, BENCH_STEP_TIMEOUT_MSEC);
}

/* One row per restart (microseconds), and one per side with the summary:
 * what scripts/bench/run turns into the Markdown summary and the plots. */
static int write_restart_csv(bench *b) {
        _cleanup_free_ char *samples = NULL, *summary = NULL;
        FILE *f;

        if (asprintf(&samples, "%s/restart-samples.csv", b->csv_dir) < 0 ||
            asprintf(&summary, "%s/restart-summary.csv", b->csv_dir) < 0)
                return -ENOMEM;
        f = fopen(samples, "we");
        if (!f)
                return -errno;
        fprintf(f, "side,sample,latency_us,kill_to_exit_seen_us,exit_seen_to_ready_us\n");
        for (bench_side s = 0; s < _SIDE_MAX; s++)
                for (unsigned i = 0; i < b->restarts; i++)
                        fprintf(f, "%s,%u,%.1f,%.1f,%.1f\n", bench_side_to_string(s), i, b->samples[s][i] / 1e3,
                                b->samples_exit[s][i] / 1e3, b->samples_relaunch[s][i] / 1e3);
        if (fclose(f) != 0)
                return -errno;
        f = fopen(summary, "we");
        if (!f)
                return -errno;
        fprintf(f, "side,end,n,p50_us,p90_us,p99_us,mean_us,min_us,max_us\n");
        for (bench_side s = 0; s < _SIDE_MAX; s++) {
                const latency_summary *l = &b->results.restart[s];

                fprintf(f, "%s,%s,%zu,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f\n", bench_side_to_string(s),
                        b->notify ? "ready" : "exec", l->n, l->p50, l->p90, l->p99, l->mean, l->min, l->max);
        }
        return fclose(f) != 0 ? -errno : 0;
}

static int phase_restart(bench *b) {
        unsigned total = b->warmup + b->restarts;
        char name[64];
        const char *reason = NULL;
        char *argv[] = { (char *) BENCH_CHILD_PATH, NULL };
        child_spec spec;
        int r;

        fprintf(stderr, "restart latency: %u + %u warm-up restarts per side...\n", b->restarts, b->warmup);

        /* Restart intensity that the run cannot reach, whatever its pace. */
        snprintf(name, sizeof(name), "bench-%d-restart", (int) getpid());
        r = hub_side_open(&b->hub, b->loop, b->subtree, name, total + 16, 1, &reason);
        if (r < 0) {
                fprintf(stderr, "bench-supervisor: supervisor_new: %s (%s)\n", strerror(-r), reason ?: "");
                return r;
        }
        child_spec_init(&spec);
        spec.id = (char *) "restart";
        spec.argv = argv;
        spec.restart_delay_usec = spec.restart_delay_max_usec = 0;
        spec.restart_burst = total + 16;
        spec.restart_interval_usec = USEC_PER_SEC;
        if (b->notify)
                spec.ready = CHILD_READY_NOTIFY;
        r = hub_side_start(&b->hub, &spec, &reason);
        if (r < 0)
                return fail("supervisor_start_child", r);
        r = hub_side_wait_started(&b->hub, 1, BENCH_STEP_TIMEOUT_MSEC);
        if (r < 0)
                return fail(r == -ECHILD ? b->hub.start_failure : "waiting for the start", r);

        b->restart_child = BASELINE_CHILD_NULL;
        r = baseline_spawn(b->baseline, "restart", true, &b->restart_child);
        if (r < 0)
                return fail("baseline spawn", r);
        r = baseline_wait_exec(&b->restart_child, 1, BENCH_STEP_TIMEOUT_MSEC);
        if (r < 0)
                return fail("baseline exec", r);
        r = baseline_wait_ready(b->baseline, 1, BENCH_STEP_TIMEOUT_MSEC);
        if (r < 0)
                return fail("baseline READY=1", r);

        /* Interleaved one by one, the order swapped every round, so that
         * neither side always runs right after the other. */
        for (unsigned i = 0; i < total; i++)
                for (unsigned k = 0; k < 2; k++) {
                        bench_side side = (i + k) % 2 == 0 ? SIDE_BASELINE : SIDE_PROCESSHUB;
                        restart_times t = {};

                        r = wait_children_idle(b);
                        if (r < 0)
                                return fail("waiting for the children to reach pause()", r);
                        /* A crash after a quiet while, not back to back:
                         * what the kernel has let go idle meanwhile (an
                         * RCU-synchronised lock, caches) shows. */
                        if (b->gap_msec > 0)
                                (void) usleep(b->gap_msec * 1000u);
                        r = side == SIDE_BASELINE ? restart_baseline_once(b, &t) : restart_processhub_once(b, &t);
                        if (r < 0)
                                return fail(side == SIDE_BASELINE ? "baseline restart"
                                            : r == -ECHILD        ? "processhub restart: child marked failed"
                                                                  : "processhub restart",
                                            r);
                        if (t.exit_seen < t.killed || t.execd < t.exit_seen) {
                                fprintf(stderr, "bench-supervisor: %s restart: times out of order\n",
                                        bench_side_to_string(side));
                                return -EBADMSG;
                        }
                        if (i >= b->warmup) {
                                b->samples[side][i - b->warmup] = t.execd - t.killed;
                                b->samples_exit[side][i - b->warmup] = t.exit_seen - t.killed;
                                b->samples_relaunch[side][i - b->warmup] = t.execd - t.exit_seen;
                        }
                }

        for (bench_side s = 0; s < _SIDE_MAX; s++) {
                r = latency_summarize(b->samples[s], b->restarts, &b->results.restart[s]);
                if (r >= 0)
                        r = latency_summarize(b->samples_exit[s], b->restarts, &b->results.restart_exit[s]);
                if (r >= 0)
                        r = latency_summarize(b->samples_relaunch[s], b->restarts, &b->results.restart_relaunch[s]);
                if (r < 0)
                        return r;
        }

        if (b->csv_dir) {
                r = write_restart_csv(b);
                if (r < 0)
                        return fail("writing the CSV files", r);
        }

        r = hub_side_shutdown(&b->hub, BENCH_STEP_TIMEOUT_MSEC);
        hub_side_close(&b->hub);
        if (r < 0)
                return fail("processhub shutdown", r);
        r = baseline_stop(b->baseline, &b->restart_child, 1, BENCH_STEP_TIMEOUT_MSEC);
        if (r < 0)
                return fail("baseline stop", r);
        return 0;
}

static int start_run_baseline(bench *b, unsigned run) {
        bench_results *res = &b->results;
        uint64_t t0, t1;
        char id[32];
        int r;

        r = process_usage_read(&res->before[SIDE_BASELINE][run]);
        if (r < 0)
                return fail("reading /proc/self", r);

        t0 = bench_now_nsec();
        for (unsigned started = 0; started < b->children;) {
                unsigned end = started + b->batch < b->children ? started + b->batch : b->children;

                for (unsigned i = started; i < end; i++) {
                        snprintf(id, sizeof(id), "c%05u", i);
                        r = baseline_spawn(b->baseline, id, false, &b->kids[i]);
                        if (r < 0)
                                return fail("baseline spawn", r);
                }
                r = baseline_wait_exec(b->kids + started, end - started, BENCH_BATCH_TIMEOUT_MSEC);
                if (r < 0)
                        return fail("baseline exec", r);
                started = end;
        }
        t1 = bench_now_nsec();
        res->start_sec[SIDE_BASELINE][run] = (double) (t1 - t0) / 1e9;

        r = process_usage_read(&res->after[SIDE_BASELINE][run]);
        if (r < 0)
                return fail("reading /proc/self", r);

        r = baseline_stop(b->baseline, b->kids, b->children, BENCH_SHUTDOWN_TIMEOUT_MSEC);
        if (r < 0)
                return fail("baseline stop", r);
        return 0;
}

static int start_run_processhub(bench *b, unsigned run) {
        bench_results *res = &b->results;
        char *argv[] = { (char *) BENCH_CHILD_PATH, NULL };
        const char *reason = NULL;
        char name[64], id[32];
        child_spec spec;
        uint64_t t0, t1;
        int r;

        snprintf(name, sizeof(name), "bench-%d-start%u", (int) getpid(), run);
        r = hub_side_open(&b->hub, b->loop, b->subtree, name, 0, 0, &reason);
        if (r < 0) {
                fprintf(stderr, "bench-supervisor: supervisor_new: %s (%s)\n", strerror(-r), reason ?: "");
                return r;
        }

        r = process_usage_read(&res->before[SIDE_PROCESSHUB][run]);
        if (r < 0)
                return fail("reading /proc/self", r);

        /* As tests/hub/test-supervisor-scale.c does: a batch, then the loop
         * until the batch has exec'd and its exec-status pipes are closed. */
        t0 = bench_now_nsec();
        for (unsigned started = 0; started < b->children;) {
                unsigned end = started + b->batch < b->children ? started + b->batch : b->children;

                for (unsigned i = started; i < end; i++) {
                        snprintf(id, sizeof(id), "c%05u", i);
                        child_spec_init(&spec);
                        spec.id = id;
                        spec.argv = argv;
                        r = hub_side_start(&b->hub, &spec, &reason);
                        if (r < 0) {
                                fprintf(stderr, "bench-supervisor: supervisor_start_child %s: %s (%s)\n", id,
                                        strerror(-r), reason ?: "");
                                return r;
                        }
                }
                r = hub_side_wait_started(&b->hub, end, BENCH_BATCH_TIMEOUT_MSEC);
                if (r < 0)
                        return fail(r == -ECHILD ? b->hub.start_failure : "waiting for the starts", r);
                started = end;
        }
        t1 = bench_now_nsec();
        res->start_sec[SIDE_PROCESSHUB][run] = (double) (t1 - t0) / 1e9;

        r = process_usage_read(&res->after[SIDE_PROCESSHUB][run]);
        if (r < 0)
                return fail("reading /proc/self", r);

        r = hub_side_shutdown(&b->hub, BENCH_SHUTDOWN_TIMEOUT_MSEC);
        hub_side_close(&b->hub);
        if (r < 0)
                return fail("processhub shutdown", r);
        return 0;
}

/* Before each start-rate run, bring the process and the kernel back to the
 * same state, so that no run pays for the one before it: the heap the last
 * run freed goes back to the kernel (a bigger process makes every clone3
 * copy more page tables), and the groups the last run removed are given
 * time to be released (the kernel's workers would otherwise compete for
 * the two CPUs with the run being measured). Bounded; best effort. */
static void settle(bench *b) {
        _cleanup_free_ char *dir = NULL;

        (void) malloc_trim(0);
        if (subtree_v2_dir(b->subtree, &dir) >= 0)
                (void) cgroups_wait_released(dir, 30000);
}

static int phase_start(bench *b) {
        int r;

        for (unsigned run = 0; run < BENCH_START_RUNS; run++) {
                settle(b);
                fprintf(stderr, "start rate, run %u/%u: baseline, %u children...\n", run + 1, BENCH_START_RUNS,
                        b->children);
                r = start_run_baseline(b, run);
                if (r < 0)
                        return r;
                fprintf(stderr, "start rate, run %u/%u: processhub, %u children...\n", run + 1, BENCH_START_RUNS,
                        b->children);
                settle(b);
                r = start_run_processhub(b, run);
                if (r < 0)
                        return r;
        }
        return 0;
}

int main(int argc, char **argv) {
        bench b = {
                .restarts = DEFAULT_RESTARTS,
                .warmup = DEFAULT_WARMUP,
                .children = DEFAULT_CHILDREN,
                .batch = DEFAULT_BATCH,
                .restart_child = BASELINE_CHILD_NULL,
        };
        uint64_t t0 = bench_now_nsec();
        int r;

        r = parse_argv(&b, argc, argv);
        if (r != 0)
                return r > 0 ? EXIT_SUCCESS : EXIT_USAGE;
        r = install_signal_handlers();
        if (r < 0) {
                fail("sigaction", r);
                return EXIT_FAILURE;
        }
        b.results.restarts = b.restarts;
        b.results.warmup = b.warmup;
        b.results.children = b.children;
        b.results.batch = b.batch;
        b.results.notify = b.notify;

        r = bench_setup(&b);
        if (r >= 0) {
                bench_report_machine(stdout, &b.results);
                fflush(stdout);
                r = phase_restart(&b);
        }
        if (r >= 0 && b.children > 0)
                r = phase_start(&b);
        if (r == 0 && bench_interrupted)
                r = -EINTR;

        if (r < 0) {
                bench_cleanup(&b);
                if (r != -EINTR)
                        return EXIT_FAILURE;
                fprintf(stderr, "bench-supervisor: interrupted; everything it started was stopped and removed\n");
                return EXIT_INTERRUPTED;
        }

        /* Everything was stopped by the phases; the report still reads the
         * hierarchy, the cleanup comes after it. */
        b.results.duration_sec = (double) (bench_now_nsec() - t0) / 1e9;
        bench_report_table(stdout, &b.results);
        if (b.json_path) {
                r = bench_report_json(b.json_path, &b.results);
                if (r < 0)
                        fail(b.json_path, r);
        }
        bench_cleanup(&b);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
