/* SPDX-License-Identifier: MIT */

/* What the process-exit tracer costs the rest of the host: a storm of
 * fork + _exit + waitpid cycles OUTSIDE the watched hub, with and without
 * the monitor loaded. Every exit on the host runs the BPF program up to its
 * cgroup test, so this is the tracer's tax on processes it does not report.
 *
 *   bench-proc-exit [CYCLES [ROUNDS]]     (defaults 5000 and 9)
 *
 * The storm runs in a worker process forked before any BPF object exists,
 * so that its forks do not copy the ring buffer's mappings: the figure is
 * the exit path's tax alone. Rounds interleave the two cases (and
 * alternate which goes first) so that drift of the machine hits both alike; the figures are the medians over
 * rounds of the mean ns per cycle, and their ratio. With the kernel's BPF
 * run-time statistics switched on for the run (BPF_ENABLE_STATS: an fd,
 * nothing left behind), it also reports the program's own mean run time per
 * exit, which the storm's noise hides. Needs root and BPF
 * (exit 77 with the reason otherwise). Exit codes: 0 done, 1 system error,
 * 2 usage, 77 cannot run here. */

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "cgroup.h"
#include "loop.h"
#include "macros.h"
#include "proc-exit-monitor.h"

#define ROUNDS_MAX 101

static uint64_t now_nsec(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
        return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *v, unsigned n) {
        qsort(v, n, sizeof(*v), cmp_u64);
        return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static unsigned long long n_events;

static void on_exit_event(const proc_exit_event *e, void *userdata) {
        n_events++;
}

/* Mean ns per fork + _exit + waitpid over cycles; 0 on failure. */
static uint64_t storm(unsigned cycles) {
        uint64_t t0 = now_nsec();

        for (unsigned i = 0; i < cycles; i++) {
                pid_t pid = fork();
                if (pid < 0)
                        return 0;
                if (pid == 0)
                        _exit(0);
                if (waitpid(pid, NULL, 0) != pid)
                        return 0;
        }
        return (now_nsec() - t0) / cycles;
}

/* The worker: reads a cycle count, answers the mean ns per cycle; ends at
 * 0 or end of file. */
typedef struct worker {
        pid_t pid;
        int cmd_fd, result_fd;
} worker;

static _Noreturn void worker_main(int cmd_fd, int result_fd) {
        uint32_t cycles;

        while (read(cmd_fd, &cycles, sizeof(cycles)) == (ssize_t) sizeof(cycles) && cycles > 0) {
                uint64_t ns = storm(cycles);
                if (write(result_fd, &ns, sizeof(ns)) != (ssize_t) sizeof(ns))
                        break;
        }
        _exit(0);
}

static int worker_start(worker *ret) {
        int cmd[2], result[2];

        if (pipe2(cmd, O_CLOEXEC) < 0)
                return -errno;
        if (pipe2(result, O_CLOEXEC) < 0) {
                safe_close(cmd[0]);
                safe_close(cmd[1]);
                return -errno;
        }
        pid_t pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                safe_close(cmd[1]);
                safe_close(result[0]);
                worker_main(cmd[0], result[1]);
        }
        safe_close(cmd[0]);
        safe_close(result[1]);
        *ret = (worker) { .pid = pid, .cmd_fd = cmd[1], .result_fd = result[0] };
        return 0;
}

/* Mean ns per cycle in the worker; 0 on failure. */
static uint64_t worker_storm(const worker *w, unsigned cycles) {
        uint32_t c = cycles;
        uint64_t ns = 0;

        if (write(w->cmd_fd, &c, sizeof(c)) != (ssize_t) sizeof(c))
                return 0;
        if (read(w->result_fd, &ns, sizeof(ns)) != (ssize_t) sizeof(ns))
                return 0;
        return ns;
}

static void worker_stop(worker *w) {
        if (w->pid <= 0)
                return;
        w->cmd_fd = safe_close(w->cmd_fd); /* end of file: the worker exits */
        w->result_fd = safe_close(w->result_fd);
        (void) waitpid(w->pid, NULL, 0);
        w->pid = 0;
}

/* The exit program's run count and time: the newest loaded program of
 * that name (the kernel keeps 15 bytes of it). */
static int exit_prog_stats(uint64_t *ret_cnt, uint64_t *ret_ns) {
        uint32_t id = 0, best = 0;

        while (bpf_prog_get_next_id(id, &id) == 0) {
                struct bpf_prog_info info = {};
                uint32_t len = sizeof(info);
                int fd = bpf_prog_get_fd_by_id(id);

                if (fd < 0)
                        continue;
                if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 &&
                    strncmp(info.name, "proc_exit_sched_process_exit", sizeof(info.name) - 1) == 0 && id > best) {
                        best = id;
                        *ret_cnt = info.run_cnt;
                        *ret_ns = info.run_time_ns;
                }
                safe_close(fd);
        }
        return best ? 0 : -ENOENT;
}

static uint64_t prog_runs, prog_ns;

/* One round with the monitor loaded: load, storm, drain, unload. */
static int storm_monitored(loop *l, const worker *w, int hub_fd, unsigned cycles, uint64_t *ret) {
        _cleanup_proc_exit_monitor_ proc_exit_monitor *m = NULL;
        const char *reason = NULL;
        int r;

        r = proc_exit_monitor_new(l, hub_fd, on_exit_event, NULL, &m, &reason);
        if (r < 0) {
                fprintf(stderr, "bench-proc-exit: monitor: %s (%s)\n", strerror(-r), reason ?: "");
                return r;
        }
        *ret = worker_storm(w, cycles);
        (void) loop_run_once(l, 0);
        uint64_t cnt = 0, ns = 0;
        if (exit_prog_stats(&cnt, &ns) >= 0) {
                prog_runs += cnt;
                prog_ns += ns;
        }
        return 0;
}

int main(int argc, char **argv) {
        unsigned cycles = argc > 1 ? (unsigned) atoi(argv[1]) : 5000;
        unsigned rounds = argc > 2 ? (unsigned) atoi(argv[2]) : 9;
        uint64_t plain[ROUNDS_MAX], traced[ROUNDS_MAX];
        cgroup_hierarchy *h = NULL;
        cgroup_subtree *t = NULL;
        cgroup_group *g = NULL;
        worker w = { .pid = 0, .cmd_fd = -EBADF, .result_fd = -EBADF };
        loop *l = NULL;
        int hub_fd = -EBADF, stats_fd = -EBADF, r, code = 1;
        char name[64];

        if (cycles == 0 || rounds == 0 || rounds > ROUNDS_MAX) {
                fprintf(stderr, "usage: bench-proc-exit [CYCLES [ROUNDS<=%d]]\n", ROUNDS_MAX);
                return 2;
        }
        if (geteuid() != 0) {
                fprintf(stderr, "bench-proc-exit: needs root (cgroups, BPF)\n");
                return 77;
        }

        snprintf(name, sizeof(name), "bench-proc-exit-%d.hub", (int) getpid());
        r = worker_start(&w);
        if (r >= 0)
                r = loop_new(&l);
        if (r >= 0)
                r = cgroup_hierarchy_discover(&h);
        if (r >= 0)
                r = cgroup_subtree_open(h, &t);
        if (r >= 0)
                r = cgroup_group_new(t, NULL, name, NULL, &g);
        if (r < 0) {
                fprintf(stderr, "bench-proc-exit: set-up: %s\n", strerror(-r));
                goto finish;
        }
        hub_fd = open(CGROUP_GROUP_PATH(g), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (hub_fd < 0) {
                fprintf(stderr, "bench-proc-exit: %s: %m\n", CGROUP_GROUP_PATH(g));
                goto finish;
        }

        /* Can it run at all? */
        {
                _cleanup_proc_exit_monitor_ proc_exit_monitor *m = NULL;
                const char *reason = NULL;

                r = proc_exit_monitor_new(l, hub_fd, on_exit_event, NULL, &m, &reason);
                if (r == -EOPNOTSUPP) {
                        fprintf(stderr, "bench-proc-exit: SKIP: %s\n", reason);
                        code = 77;
                        goto finish;
                }
                if (r < 0) {
                        fprintf(stderr, "bench-proc-exit: monitor: %s\n", strerror(-r));
                        goto finish;
                }
        }

        stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
        (void) worker_storm(&w, cycles / 10 + 1); /* warm-up */
        for (unsigned i = 0; i < rounds; i++) {
                bool traced_first = i % 2;

                if (traced_first && storm_monitored(l, &w, hub_fd, cycles, &traced[i]) < 0)
                        goto finish;
                plain[i] = worker_storm(&w, cycles);
                if (!traced_first && storm_monitored(l, &w, hub_fd, cycles, &traced[i]) < 0)
                        goto finish;
                if (plain[i] == 0 || traced[i] == 0) {
                        fprintf(stderr, "bench-proc-exit: fork/wait failed: %m\n");
                        goto finish;
                }
                printf("round %u: plain %llu ns/cycle, traced %llu ns/cycle\n",
                       i + 1, (unsigned long long) plain[i], (unsigned long long) traced[i]);
        }
        uint64_t mp = median(plain, rounds), mt = median(traced, rounds);
        printf("fork+_exit+waitpid outside the hub, %u cycles x %u rounds:\n", cycles, rounds);
        printf("  without monitor: %llu ns/cycle (median)\n", (unsigned long long) mp);
        printf("  with monitor:    %llu ns/cycle (median)\n", (unsigned long long) mt);
        printf("  ratio:           %.3f (%+lld ns per cycle)\n", (double) mt / (double) mp, (long long) mt - (long long) mp);
        if (stats_fd >= 0 && prog_runs > 0)
                printf("  exit program:    %llu ns per exit (kernel run-time stats, %llu runs)\n",
                       (unsigned long long) (prog_ns / prog_runs), (unsigned long long) prog_runs);
        else
                printf("  exit program:    no run-time stats (BPF_ENABLE_STATS: %s)\n", strerror(-stats_fd));
        printf("  events reported: %llu (expected 0: all exits were outside the hub)\n", n_events);
        code = n_events == 0 ? 0 : 1;

finish:
        worker_stop(&w);
        safe_close(stats_fd);
        safe_close(hub_fd);
        if (g) {
                (void) cgroup_group_remove(g);
                cgroup_group_free(g);
        }
        if (t) {
                (void) cgroup_subtree_purge(t, name);
                cgroup_subtree_free(t);
        }
        cgroup_hierarchy_free(h);
        loop_free(l);
        return code;
}
