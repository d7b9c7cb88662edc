/* SPDX-License-Identifier: MIT */

/* The hub through its public API at N children, beside the hand-written
 * raw loop (bench-baseline.c) on the same child in the same run:
 *
 *   raw:  a clone3 burst of N children into leaves of their own, in
 *         batches of --batch, each batch waited for until exec'd and
 *         READY=1; K restarts of one child with N running; stop of all
 *         (cgroup.kill, reap, rmdir).
 *   ours: one ph_start_children() of N notify-ready children, awaited;
 *         library memory per child (VmRSS, heap, fds); --idle-sec of an
 *         idle hub (CPU of the process, context switches of the hub's
 *         threads); --lookups ph_get_pid() and ph_child_lookup(); K
 *         restarts of one child with N running (SIGKILL -> the
 *         child_process_pid_update hook, which fires once the replacement
 *         sent READY=1 and the registry has its new pid); ph_stop_children()
 *         of all, awaited, then until every child group is gone.
 *
 * Raw first, then ours, once per N (see README.md: the order favours
 * the raw side a little). One CSV row per N is appended to DIR/scale.csv,
 * the restart samples to DIR/scale-restart-samples.csv.
 *
 *   bench-scale --children N [--batch B] [--restarts K] [--idle-sec S]
 *               [--lookups M] [--csv-dir DIR]
 *
 * Exit codes: 0 done, 1 failed, 2 bad usage, 77 cannot run here (not
 * root, pid_max or fds too low: the reason on stdout), 130 interrupted.
 * Everything started is stopped and every group removed, on every path. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench-baseline.h"
#include "bench-stats.h"
#include "bench.h"
#include "macros.h"
#include "processhub.h"

#ifndef BENCH_CHILD_PATH
#error "BENCH_CHILD_PATH must name the bench-child program"
#endif

#define EXIT_USAGE 2
#define EXIT_SKIP 77
#define EXIT_INTERRUPTED 130
/* Processes beyond the children that must still fit under pid_max: the
 * machine's own, the build jobs of others, the bench's threads. */
#define PID_MARGIN 1500u

volatile sig_atomic_t bench_interrupted = 0;

typedef struct scale {
        unsigned n, batch, restarts, idle_sec, lookups;
        const char *csv_dir;
        bool notify; /* readiness: READY=1 (else the exec, when fds are short) */

        char v2_dir[512];        /* our own cgroup2 directory */
        char v1_memory_dir[512]; /* ... and v1 memory one, "" when none */
        char hub_id[64];

        /* The restart hook: written on the hub's loop thread. */
        char watch_id[16];
        _Atomic uint64_t hook_nsec;
        _Atomic int hook_pid;
        int hook_efd;

        /* Figures. */
        double raw_start_s, ours_start_s, raw_stop_s, ours_stop_s, ours_gone_s;
        latency_summary raw_restart, ours_restart;
        uint64_t *raw_samples, *ours_samples;
        double rss_per_child, heap_per_child, fds_per_child;
        double idle_cpu_pct, idle_wakeups, idle_wakeups_max_thread;
        unsigned idle_threads;
        double get_pid_ns, child_lookup_ns;
} scale;

static void on_signal(int sig) {
        bench_interrupted = 1;
}

static unsigned long read_ulong_file(const char *path) {
        FILE *f = fopen(path, "re");
        unsigned long v = 0;

        if (f) {
                if (fscanf(f, "%lu", &v) != 1)
                        v = 0;
                fclose(f);
        }
        return v;
}

/* Our cgroup2 directory (mountinfo's cgroup2 mount + /proc/self/cgroup's
 * "0::" path) and, on a hybrid host, our v1 memory directory. */
static int find_cgroups(scale *s) {
        char line[1024], mount[256] = "", v1mem[256] = "", own[240] = "", v1own[240] = "";
        FILE *f = fopen("/proc/self/mountinfo", "re");

        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f)) {
                char *sep = strstr(line, " - ");
                char mp[256], fstype[64], opts[512];

                if (!sep || sscanf(line, "%*s %*s %*s %*s %255s", mp) != 1 ||
                    sscanf(sep + 3, "%63s %*s %511s", fstype, opts) != 2)
                        continue;
                if (strcmp(fstype, "cgroup2") == 0 && !mount[0])
                        snprintf(mount, sizeof(mount), "%s", mp);
                if (strcmp(fstype, "cgroup") == 0 && strstr(opts, "memory"))
                        snprintf(v1mem, sizeof(v1mem), "%s", mp);
        }
        fclose(f);
        f = fopen("/proc/self/cgroup", "re");
        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f)) {
                line[strcspn(line, "\n")] = '\0';
                if (strncmp(line, "0::", 3) == 0)
                        snprintf(own, sizeof(own), "%.239s", line + 3);
                else {
                        char *c = strchr(line, ':'), *d = c ? strchr(c + 1, ':') : NULL;

                        if (c && d && strncmp(c + 1, "memory", (size_t) (d - c - 1)) == 0 && d - c - 1 == 6)
                                snprintf(v1own, sizeof(v1own), "%.239s", d + 1);
                }
        }
        fclose(f);
        if (!mount[0] || !own[0])
                return -ENOMEDIUM;
        snprintf(s->v2_dir, sizeof(s->v2_dir), "%s%s", mount, strcmp(own, "/") == 0 ? "" : own);
        if (v1mem[0] && v1own[0])
                snprintf(s->v1_memory_dir, sizeof(s->v1_memory_dir), "%s%s", v1mem,
                         strcmp(v1own, "/") == 0 ? "" : v1own);
        return 0;
}

/* Subdirectories of dir: the child groups left in a hub group; -1 when
 * dir itself is gone or unreadable. */
static int count_subdirs(const char *dir) {
        DIR *d = opendir(dir);
        struct dirent *de;
        int n = 0;

        if (!d)
                return -1;
        while ((de = readdir(d)))
                if (de->d_type == DT_DIR && de->d_name[0] != '.')
                        n++;
        closedir(d);
        return n;
}

/* fds beyond the children's: a batch of exec-status pipes, the loop,
 * the hub's sockets, stdio. */
#define FD_MARGIN 1024u

/* Room for n children: pid_max (skip, with the reason, when they do not
 * fit) and the fd limit. The hub holds a pidfd per child (its notify
 * socket is one for all): where the hard RLIMIT_NOFILE (raised when we
 * may: CAP_SYS_RESOURCE) has no room for one fd per child, the N is
 * skipped. */
static int check_host(scale *s) {
        unsigned long pid_max = read_ulong_file("/proc/sys/kernel/pid_max");
        unsigned long nr_open = read_ulong_file("/proc/sys/fs/nr_open");
        rlim_t need = (rlim_t) s->n + FD_MARGIN;
        struct rlimit rl;

        if (pid_max > 0 && (unsigned long) s->n + PID_MARGIN > pid_max) {
                printf("skipped: %u children do not fit under kernel.pid_max %lu (with %u for the rest of the "
                       "machine)\n",
                       s->n, pid_max, PID_MARGIN);
                return -ERANGE;
        }
        if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
                return -errno;
        if (rl.rlim_max < need && (nr_open == 0 || need <= nr_open)) {
                struct rlimit want = { need, need };

                if (setrlimit(RLIMIT_NOFILE, &want) >= 0)
                        rl = want;
        }
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
                return -errno;
        s->notify = rl.rlim_max >= need;
        if (!s->notify) {
                printf("skipped: %u children: RLIMIT_NOFILE hard limit %llu is below one pidfd per child plus "
                       "%u, and cannot be raised here (no CAP_SYS_RESOURCE)\n",
                       s->n, (unsigned long long) rl.rlim_max, FD_MARGIN);
                return -EMFILE;
        }
        return 0;
}

/* ---- raw ------------------------------------------------------------- */

static int run_raw(scale *s) {
        _cleanup_free_ baseline_child *kids = NULL;
        baseline *b = NULL;
        char name[64], leaf[32];
        uint64_t t0;
        int r;

        kids = calloc(s->n, sizeof(baseline_child));
        if (!kids)
                return -ENOMEM;
        for (unsigned i = 0; i < s->n; i++)
                kids[i] = BASELINE_CHILD_NULL;
        snprintf(name, sizeof(name), "bench-scale-%d.baseline", (int) getpid());
        r = baseline_new(s->v2_dir, name, BENCH_CHILD_PATH, &b);
        if (r >= 0 && s->notify)
                r = baseline_enable_notify(b);
        if (r < 0) {
                fprintf(stderr, "bench-scale: raw group %s/%s: %s\n", s->v2_dir, name, strerror(-r));
                goto finish;
        }

        fprintf(stderr, "raw: clone3 burst of %u...\n", s->n);
        t0 = bench_now_nsec();
        for (unsigned started = 0; started < s->n;) {
                unsigned end = started + s->batch < s->n ? started + s->batch : s->n;

                for (unsigned i = started; i < end; i++) {
                        snprintf(leaf, sizeof(leaf), "c%06u", i);
                        r = baseline_spawn(b, leaf, i == 0, &kids[i]);
                        if (r < 0) {
                                fprintf(stderr, "bench-scale: raw spawn %u: %s\n", i, strerror(-r));
                                goto finish;
                        }
                }
                r = baseline_wait_exec(kids + started, end - started, BENCH_BATCH_TIMEOUT_MSEC);
                if (r >= 0)
                        r = baseline_wait_ready(b, end - started, BENCH_BATCH_TIMEOUT_MSEC);
                if (r < 0) {
                        fprintf(stderr, "bench-scale: raw batch at %u: %s\n", started, strerror(-r));
                        goto finish;
                }
                started = end;
        }
        s->raw_start_s = (double) (bench_now_nsec() - t0) / 1e9;

        fprintf(stderr, "raw: %u restarts with %u running...\n", s->restarts, s->n);
        for (unsigned i = 0; i < s->restarts; i++) {
                r = process_wait_sleeping(kids[0].pid, BENCH_STEP_TIMEOUT_MSEC);
                if (r < 0)
                        goto finish;
                t0 = bench_now_nsec();
                if (kids[0].pid <= 0 || kill(kids[0].pid, SIGKILL) < 0) {
                        r = -ESRCH;
                        goto finish;
                }
                r = baseline_respawn(b, &kids[0], BENCH_STEP_TIMEOUT_MSEC);
                if (r < 0) {
                        fprintf(stderr, "bench-scale: raw restart: %s\n", strerror(-r));
                        goto finish;
                }
                s->raw_samples[i] = bench_now_nsec() - t0;
        }
        if (s->restarts > 0)
                (void) latency_summarize(s->raw_samples, s->restarts, &s->raw_restart);

        fprintf(stderr, "raw: stop of %u...\n", s->n);
        t0 = bench_now_nsec();
        r = baseline_stop(b, kids, s->n, BENCH_SHUTDOWN_TIMEOUT_MSEC);
        s->raw_stop_s = (double) (bench_now_nsec() - t0) / 1e9;
        if (r < 0)
                fprintf(stderr, "bench-scale: raw stop: %s\n", strerror(-r));

finish:
        b = baseline_free(b); /* cgroup.kill of whatever is left, leaves removed */
        for (unsigned i = 0; i < s->n; i++)
                baseline_child_release(&kids[i]);
        return r;
}

/* ---- ours ------------------------------------------------------------ */

static int on_pid_update(ph_hub *hub, const ph_hook_event *e, void *userdata) {
        scale *s = userdata;
        uint64_t one = 1;

        if (!e->child_id || strcmp(e->child_id, s->watch_id) != 0 || e->n_instances < 1)
                return 0;
        atomic_store(&s->hook_pid, (int) e->instances[0].pid);
        atomic_store(&s->hook_nsec, bench_now_nsec());
        (void) !write(s->hook_efd, &one, sizeof(one));
        return 0;
}

typedef struct cpu_sample {
        unsigned long long ticks;  /* utime + stime of the process */
        unsigned long long csw;    /* voluntary + involuntary switches of the hub's threads */
        unsigned long long csw_max; /* ... of the busiest one */
        unsigned threads;
} cpu_sample;

static unsigned long long task_switches(const char *tid) {
        char path[128], line[256];
        unsigned long long v, sum = 0;
        FILE *f;

        snprintf(path, sizeof(path), "/proc/self/task/%s/status", tid);
        f = fopen(path, "re");
        if (!f)
                return 0;
        while (fgets(line, sizeof(line), f))
                if (sscanf(line, "voluntary_ctxt_switches: %llu", &v) == 1 ||
                    sscanf(line, "nonvoluntary_ctxt_switches: %llu", &v) == 1)
                        sum += v;
        fclose(f);
        return sum;
}

/* Per thread other than ours (the main thread sleeps in nanosleep()):
 * keyed by tid, so that the busiest thread is compared with itself. */
#define MAX_THREADS 64
typedef struct thread_switches {
        int tid[MAX_THREADS];
        unsigned long long csw[MAX_THREADS];
        unsigned n;
} thread_switches;

static void read_threads(thread_switches *t) {
        DIR *d = opendir("/proc/self/task");
        struct dirent *de;

        t->n = 0;
        if (!d)
                return;
        while ((de = readdir(d)) && t->n < MAX_THREADS) {
                int tid = atoi(de->d_name);

                if (tid <= 0 || tid == getpid())
                        continue;
                t->tid[t->n] = tid;
                t->csw[t->n++] = task_switches(de->d_name);
        }
        closedir(d);
}

static unsigned long long process_ticks(void) {
        char buf[2048];
        unsigned long long ut = 0, st = 0;
        FILE *f = fopen("/proc/self/stat", "re");
        const char *p;

        if (!f)
                return 0;
        if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')))
                (void) sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st);
        fclose(f);
        return ut + st;
}

static int measure_idle(scale *s) {
        thread_switches a, b;
        unsigned long long t0, t1, total = 0, max = 0;
        uint64_t w0, w1;

        fprintf(stderr, "ours: %u s idle with %u running...\n", s->idle_sec, s->n);
        /* Let the start's after-effects (the last READY=1s, the kernel's
         * group work) pass first. */
        (void) sleep(1);
        read_threads(&a);
        t0 = process_ticks();
        w0 = bench_now_nsec();
        for (unsigned i = 0; i < s->idle_sec * 10 && !bench_interrupted; i++)
                (void) usleep(100000);
        t1 = process_ticks();
        w1 = bench_now_nsec();
        read_threads(&b);
        if (bench_interrupted)
                return -EINTR;
        for (unsigned i = 0; i < b.n; i++)
                for (unsigned j = 0; j < a.n; j++)
                        if (a.tid[j] == b.tid[i]) {
                                unsigned long long d = b.csw[i] - a.csw[j];

                                total += d;
                                if (d > max)
                                        max = d;
                        }
        double sec = (double) (w1 - w0) / 1e9;
        s->idle_cpu_pct = 100.0 * (double) (t1 - t0) / (double) sysconf(_SC_CLK_TCK) / sec;
        s->idle_wakeups = (double) total / sec;
        s->idle_wakeups_max_thread = (double) max / sec;
        s->idle_threads = b.n;
        return 0;
}

static int measure_lookups(scale *s, ph_hub *hub, char (*ids)[16]) {
        unsigned x = 12345;
        uint64_t t0;

        fprintf(stderr, "ours: %u ph_get_pid and ph_child_lookup on %u entries...\n", s->lookups, s->n);
        t0 = bench_now_nsec();
        for (unsigned i = 0; i < s->lookups; i++) {
                pid_t pid;

                x = x * 1103515245u + 12345u;
                if (ph_get_pid(hub, ids[(x >> 8) % s->n], &pid) < 0)
                        return -EIO;
        }
        s->get_pid_ns = (double) (bench_now_nsec() - t0) / s->lookups;
        t0 = bench_now_nsec();
        for (unsigned i = 0; i < s->lookups; i++) {
                ph_child_info *info = NULL;

                x = x * 1103515245u + 12345u;
                if (ph_child_lookup(hub, ids[(x >> 8) % s->n], &info) < 0)
                        return -EIO;
                ph_child_info_free(info);
        }
        s->child_lookup_ns = (double) (bench_now_nsec() - t0) / s->lookups;
        return 0;
}

static int wait_hook(scale *s, pid_t old, unsigned timeout_msec) {
        uint64_t deadline = bench_deadline(timeout_msec);

        for (;;) {
                struct pollfd p = { .fd = s->hook_efd, .events = POLLIN };
                uint64_t v;
                int pid = atomic_load(&s->hook_pid);

                if (pid > 0 && pid != old)
                        return 0;
                if (bench_interrupted)
                        return -EINTR;
                if (bench_now_nsec() >= deadline)
                        return -ETIMEDOUT;
                if (poll(&p, 1, BENCH_SLICE_MSEC) > 0)
                        (void) !read(s->hook_efd, &v, sizeof(v));
        }
}

static int measure_restarts(scale *s, ph_hub *hub) {
        fprintf(stderr, "ours: %u restarts with %u running...\n", s->restarts, s->n);
        for (unsigned i = 0; i < s->restarts; i++) {
                pid_t pid = 0;
                uint64_t t0;
                int r;

                r = ph_get_pid(hub, s->watch_id, &pid);
                if (r < 0 || pid <= 0)
                        return r < 0 ? r : -ESRCH;
                r = process_wait_sleeping(pid, BENCH_STEP_TIMEOUT_MSEC);
                if (r < 0)
                        return r;
                atomic_store(&s->hook_pid, 0);
                t0 = bench_now_nsec();
                if (kill(pid, SIGKILL) < 0)
                        return -errno;
                r = wait_hook(s, pid, BENCH_STEP_TIMEOUT_MSEC);
                if (r < 0)
                        return r;
                s->ours_samples[i] = atomic_load(&s->hook_nsec) - t0;
        }
        if (s->restarts > 0)
                (void) latency_summarize(s->ours_samples, s->restarts, &s->ours_restart);
        return 0;
}

/* After the stop was awaited: until the hub group holds no child group
 * any more, in v2 and (hybrid) in the v1 memory hierarchy. */
static int wait_groups_gone(const scale *s, unsigned timeout_msec) {
        char v2[700], v1[700];
        uint64_t deadline = bench_deadline(timeout_msec);

        snprintf(v2, sizeof(v2), "%s/%s.hub", s->v2_dir, s->hub_id);
        snprintf(v1, sizeof(v1), "%s/%s.hub", s->v1_memory_dir, s->hub_id);
        for (;;) {
                if (count_subdirs(v2) <= 0 && (!s->v1_memory_dir[0] || count_subdirs(v1) <= 0))
                        return 0;
                if (bench_now_nsec() >= deadline)
                        return -ETIMEDOUT;
                (void) usleep(1000);
        }
}

static int run_ours(scale *s) {
        static const char *const argv[] = { BENCH_CHILD_PATH, NULL };
        _cleanup_free_ ph_child_spec *specs = NULL;
        _cleanup_free_ const char **id_list = NULL;
        char (*ids)[16] = NULL;
        ph_hub_config config;
        ph_hub *hub = NULL;
        char *error = NULL;
        ph_future *fut = NULL;
        ph_result *res = NULL;
        process_usage before, after;
        ph_start_opts so;
        ph_stop_opts sto;
        uint64_t t0;
        int r;

        specs = calloc(s->n, sizeof(ph_child_spec));
        ids = calloc(s->n, sizeof(*ids));
        id_list = calloc(s->n, sizeof(char *));
        if (!specs || !ids || !id_list) {
                free(ids);
                return -ENOMEM;
        }
        for (unsigned i = 0; i < s->n; i++) {
                snprintf(ids[i], sizeof(ids[i]), "c%06u", i);
                ph_child_spec_init(&specs[i]);
                specs[i].id = ids[i];
                specs[i].argv = argv;
                specs[i].ready = s->notify ? PH_READY_NOTIFY : PH_READY_EXEC;
                specs[i].restart_delay_ms = specs[i].restart_delay_max_ms = 0;
                specs[i].restart_burst = s->restarts + 16;
                specs[i].restart_interval_ms = 1000;
                id_list[i] = ids[i];
        }
        snprintf(s->watch_id, sizeof(s->watch_id), "%s", ids[0]);

        ph_hub_config_init(&config);
        config.hub_id = s->hub_id;
        config.dsup_max_restarts = s->restarts + 16;
        config.dsup_max_seconds = 1;
        r = ph_hub_start(&config, &hub, &error);
        if (r < 0) {
                fprintf(stderr, "bench-scale: ph_hub_start: %s (%s)\n", strerror(-r), error ?: "");
                goto finish;
        }
        r = ph_register_hook_handlers(hub, PH_HOOK_CHILD_PROCESS_PID_UPDATE,
                                      &(ph_hook_handler) { .id = "bench", .fn = on_pid_update, .userdata = s }, 1);
        if (r < 0) {
                fprintf(stderr, "bench-scale: hook: %s\n", strerror(-r));
                goto finish;
        }

        (void) malloc_trim(0);
        r = process_usage_read(&before);
        if (r < 0)
                goto finish;

        fprintf(stderr, "ours: ph_start_children of %u...\n", s->n);
        ph_start_opts_init(&so);
        so.awaitable = true;
        so.timeout_ms = so.await_timeout_ms = BENCH_SHUTDOWN_TIMEOUT_MSEC;
        t0 = bench_now_nsec();
        r = ph_start_children(hub, specs, s->n, &so, &fut, &error);
        if (r >= 0)
                r = ph_future_await(fut, &res);
        s->ours_start_s = (double) (bench_now_nsec() - t0) / 1e9;
        fut = ph_future_free(fut);
        if (r < 0 || ph_result_status(res) != PH_STATUS_OK || ph_result_n_children(res) != s->n) {
                fprintf(stderr, "bench-scale: ph_start_children: %s (%s), %zu started\n",
                        r < 0 ? strerror(-r) : "errors", error ?: "", res ? ph_result_n_children(res) : 0);
                r = r < 0 ? r : -EIO;
                goto finish;
        }
        res = ph_result_free(res);
        /* Steady state, as for the daemon: the registry frees replaced
         * entry versions a grace period later (RCU), tens of ms after a
         * burst of starts, on its reclaim thread. */
        (void) usleep(1000000);
        r = process_usage_read(&after);
        if (r < 0)
                goto finish;
        s->rss_per_child = ((double) after.rss_bytes - (double) before.rss_bytes) / s->n;
        s->heap_per_child = ((double) after.heap_bytes + after.heap_mmap_bytes - (double) before.heap_bytes -
                             before.heap_mmap_bytes) /
                            s->n;
        s->fds_per_child = ((double) after.fds - (double) before.fds) / s->n;

        if (s->idle_sec > 0) {
                r = measure_idle(s);
                if (r < 0)
                        goto finish;
        }
        if (s->lookups > 0) {
                r = measure_lookups(s, hub, ids);
                if (r < 0)
                        goto finish;
        }
        r = measure_restarts(s, hub);
        if (r < 0) {
                fprintf(stderr, "bench-scale: restart: %s\n", strerror(-r));
                goto finish;
        }

        char hub_dir[700];

        snprintf(hub_dir, sizeof(hub_dir), "%s/%s.hub", s->v2_dir, s->hub_id);
        if (count_subdirs(hub_dir) < (int) s->n) {
                /* Not where we look: no "until every group is gone" then. */
                fprintf(stderr, "bench-scale: the hub's child groups are not under %s\n", hub_dir);
                s->ours_gone_s = -1;
        }
        fprintf(stderr, "ours: ph_stop_children of %u...\n", s->n);
        ph_stop_opts_init(&sto);
        sto.awaitable = true;
        sto.timeout_ms = sto.await_timeout_ms = BENCH_SHUTDOWN_TIMEOUT_MSEC;
        t0 = bench_now_nsec();
        r = ph_stop_children(hub, id_list, s->n, &sto, &fut);
        if (r >= 0)
                r = ph_future_await(fut, &res);
        s->ours_stop_s = (double) (bench_now_nsec() - t0) / 1e9;
        if (r >= 0 && (ph_result_status(res) != PH_STATUS_OK || ph_result_n_children(res) != s->n))
                r = -EIO;
        if (r < 0) {
                fprintf(stderr, "bench-scale: ph_stop_children: %s\n", strerror(-r));
                goto finish;
        }
        if (s->ours_gone_s == 0) {
                r = wait_groups_gone(s, BENCH_BATCH_TIMEOUT_MSEC);
                s->ours_gone_s = (double) (bench_now_nsec() - t0) / 1e9;
                if (r < 0)
                        fprintf(stderr, "bench-scale: child groups still there after the stop: %s\n", strerror(-r));
        }

finish:
        ph_result_free(res);
        ph_future_free(fut);
        ph_hub_free(hub); /* stops whatever is left and removes the groups */
        free(error);
        free(ids);
        return r;
}

/* ---- output ---------------------------------------------------------- */

static FILE *open_csv(const char *dir, const char *name, const char *header) {
        char path[1024];
        struct stat st;
        bool fresh;
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        fresh = stat(path, &st) < 0 || st.st_size == 0;
        f = fopen(path, "ae");
        if (f && fresh)
                fputs(header, f);
        return f;
}

static int write_csv(const scale *s) {
        FILE *f = open_csv(s->csv_dir, "scale.csv",
                           "children,raw_start_s,raw_per_s,ours_start_s,ours_per_s,start_ratio,"
                           "raw_restart_p50_us,raw_restart_p99_us,ours_restart_p50_us,ours_restart_p99_us,"
                           "restart_ratio,restarts,raw_stop_s,ours_stop_s,ours_groups_gone_s,"
                           "rss_per_child_b,heap_per_child_b,fds_per_child,idle_sec,idle_cpu_pct,"
                           "idle_switches_per_s,idle_switches_per_s_max_thread,idle_threads,lookups,"
                           "get_pid_ns,child_lookup_ns,ready\n");

        if (!f)
                return -errno;
        fprintf(f, "%u,%.3f,%.0f,%.3f,%.0f,%.3f,%.1f,%.1f,%.1f,%.1f,%.3f,%u,%.3f,%.3f,%.3f,%.0f,%.0f,%.2f,%u,%.3f,%.1f,"
                   "%.1f,%u,%u,%.1f,%.1f,%s\n",
                s->n, s->raw_start_s, s->n / s->raw_start_s, s->ours_start_s, s->n / s->ours_start_s,
                s->raw_start_s / s->ours_start_s, s->raw_restart.p50, s->raw_restart.p99, s->ours_restart.p50,
                s->ours_restart.p99, s->raw_restart.p50 > 0 ? s->ours_restart.p50 / s->raw_restart.p50 : 0,
                s->restarts, s->raw_stop_s, s->ours_stop_s, s->ours_gone_s, s->rss_per_child, s->heap_per_child,
                s->fds_per_child, s->idle_sec, s->idle_cpu_pct, s->idle_wakeups, s->idle_wakeups_max_thread,
                s->idle_threads, s->lookups, s->get_pid_ns, s->child_lookup_ns, s->notify ? "notify" : "exec");
        if (fclose(f) != 0)
                return -errno;

        f = open_csv(s->csv_dir, "scale-restart-samples.csv", "children,side,sample,latency_us\n");
        if (!f)
                return -errno;
        for (unsigned i = 0; i < s->restarts; i++)
                fprintf(f, "%u,raw,%u,%.1f\n%u,processhub,%u,%.1f\n", s->n, i, s->raw_samples[i] / 1e3, s->n, i,
                        s->ours_samples[i] / 1e3);
        return fclose(f) != 0 ? -errno : 0;
}

static void report(const scale *s) {
        printf("N=%u (readiness: %s)\n", s->n, s->notify ? "READY=1" : "exec");
        printf("  start until all ready   raw %8.0f /s (%.2f s)   processhub %8.0f /s (%.2f s)   ratio %.2f\n",
               s->n / s->raw_start_s, s->raw_start_s, s->n / s->ours_start_s, s->ours_start_s,
               s->raw_start_s / s->ours_start_s);
        if (s->restarts > 0)
                printf("  restart with N running  raw p50 %.0f p99 %.0f us   processhub p50 %.0f p99 %.0f us   "
                       "ratio %.2f (%u each)\n",
                       s->raw_restart.p50, s->raw_restart.p99, s->ours_restart.p50, s->ours_restart.p99,
                       s->raw_restart.p50 > 0 ? s->ours_restart.p50 / s->raw_restart.p50 : 0, s->restarts);
        printf("  stop of all             raw %.2f s   processhub %.2f s awaited, %.2f s until every group is gone\n",
               s->raw_stop_s, s->ours_stop_s, s->ours_gone_s);
        printf("  library memory/child    VmRSS %.0f B, heap %.0f B, fds %.2f\n", s->rss_per_child, s->heap_per_child,
               s->fds_per_child);
        if (s->idle_sec > 0)
                printf("  idle %u s               CPU %.3f %%, %.1f context switches/s over %u hub threads "
                       "(busiest %.1f/s)\n",
                       s->idle_sec, s->idle_cpu_pct, s->idle_wakeups, s->idle_threads, s->idle_wakeups_max_thread);
        if (s->lookups > 0)
                printf("  lookups (%u each)  ph_get_pid %.0f ns, ph_child_lookup %.0f ns\n", s->lookups,
                       s->get_pid_ns, s->child_lookup_ns);
}

int main(int argc, char **argv) {
        static const struct option options[] = {
                { "children", required_argument, NULL, 'n' },
                { "batch", required_argument, NULL, 'b' },
                { "restarts", required_argument, NULL, 'r' },
                { "idle-sec", required_argument, NULL, 'i' },
                { "lookups", required_argument, NULL, 'l' },
                { "csv-dir", required_argument, NULL, 'c' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        scale s = { .batch = 250, .restarts = 50, .hook_efd = -EBADF };
        struct sigaction sa = { .sa_handler = on_signal };
        int r, c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'n':
                        s.n = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                case 'b':
                        s.batch = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                case 'r':
                        s.restarts = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                case 'i':
                        s.idle_sec = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                case 'l':
                        s.lookups = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                case 'c':
                        s.csv_dir = optarg;
                        break;
                case 'h':
                        printf("Usage: bench-scale --children N [--batch B] [--restarts K] [--idle-sec S] "
                               "[--lookups M] [--csv-dir DIR]\n");
                        return 0;
                default:
                        return EXIT_USAGE;
                }
        if (s.n == 0 || s.n > 1000000 || s.batch == 0 || s.restarts > 100000 || s.idle_sec > 600) {
                fprintf(stderr, "bench-scale: --children 1..1000000, --batch above 0, --restarts up to 100000, "
                                "--idle-sec up to 600\n");
                return EXIT_USAGE;
        }
        if (geteuid() != 0) {
                printf("skipped: needs root (cgroups, clone3 into cgroups)\n");
                return EXIT_SKIP;
        }
        if (check_host(&s) < 0)
                return EXIT_SKIP;
        r = find_cgroups(&s);
        if (r < 0) {
                printf("skipped: no cgroup2 here (%s)\n", strerror(-r));
                return EXIT_SKIP;
        }
        sigemptyset(&sa.sa_mask);
        (void) sigaction(SIGINT, &sa, NULL);
        (void) sigaction(SIGTERM, &sa, NULL);
        (void) sigaction(SIGHUP, &sa, NULL);
        snprintf(s.hub_id, sizeof(s.hub_id), "bench-scale-%d", (int) getpid());
        s.hook_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        s.raw_samples = calloc(s.restarts + 1, sizeof(uint64_t));
        s.ours_samples = calloc(s.restarts + 1, sizeof(uint64_t));
        if (s.hook_efd < 0 || !s.raw_samples || !s.ours_samples)
                return EXIT_FAILURE;

        r = run_raw(&s);
        if (r >= 0) {
                /* The next side starts with the heap handed back and the
                 * groups of the first one released (bounded). */
                (void) malloc_trim(0);
                (void) cgroups_wait_released(s.v2_dir, 30000);
                r = run_ours(&s);
        }
        for (unsigned i = 0; i < 4u * s.n + 1024u; i++)
                if (waitpid(-1, NULL, WNOHANG) <= 0)
                        break;
        if (r >= 0) {
                report(&s);
                if (s.csv_dir)
                        r = write_csv(&s);
        }
        free(s.raw_samples);
        free(s.ours_samples);
        (void) close(s.hook_efd);
        if (bench_interrupted)
                return EXIT_INTERRUPTED;
        if (r < 0) {
                fprintf(stderr, "bench-scale: failed: %s\n", strerror(-r));
                return EXIT_FAILURE;
        }
        return EXIT_SUCCESS;
}
