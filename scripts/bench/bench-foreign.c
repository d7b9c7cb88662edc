/* SPDX-License-Identifier: MIT */

/* Restart latency of other supervisors on the same child: runit's runsv
 * and s6's s6-supervise, each on a scratch service directory whose run
 * script execs bench-child. A sample is SIGKILL of the running child ->
 * a new child of the supervisor whose /proc/<pid>/exe is bench-child (the
 * exec; neither gives the child a NOTIFY_SOCKET). The pid comes from the
 * supervisor's own status file (runit: supervise/pid, text; s6:
 * supervise/status, the pid as a big-endian 64-bit number at byte 24),
 * checked against /proc (its parent must be the supervisor), polled every
 * 200 us. Both wait on purpose before restarting a child that ran less
 * than a second: that is what is measured, so a few samples suffice.
 *
 *   bench-foreign --kind runit|s6 [--samples N] [--uptime-ms M] [--csv FILE]
 *
 * --uptime-ms M lets each child run M ms before it is killed (default 0:
 * as soon as it is asleep); above 1000 it shows the restart path without
 * the supervisors' deliberate wait.
 *
 * Exit codes: 0 done, 1 failed, 2 bad usage, 77 the supervisor is not
 * installed, 130 interrupted. Every wait is bounded; the supervisor is
 * stopped with "dx" on its control fifo, killed by pid if it does not
 * exit, the last child killed by pid, and the scratch directory removed. */

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench-stats.h"
#include "bench.h"
#include "macros.h"

#ifndef BENCH_CHILD_PATH
#error "BENCH_CHILD_PATH must name the bench-child program"
#endif

#define EXIT_USAGE 2
#define EXIT_SKIP 77
#define EXIT_INTERRUPTED 130
#define POLL_USEC 200

volatile sig_atomic_t bench_interrupted = 0;

typedef enum foreign_kind {
        FOREIGN_RUNIT,
        FOREIGN_S6,
        _FOREIGN_KIND_MAX,
        _FOREIGN_KIND_INVALID = -EINVAL,
} foreign_kind;

static const char *const foreign_program[_FOREIGN_KIND_MAX] = {
        [FOREIGN_RUNIT] = "/usr/bin/runsv",
        [FOREIGN_S6] = "/usr/bin/s6-supervise",
};
static const char *const foreign_name[_FOREIGN_KIND_MAX] = {
        [FOREIGN_RUNIT] = "runit",
        [FOREIGN_S6] = "s6",
};

static void on_signal(int sig) {
        bench_interrupted = 1;
}

/* The pid the supervisor's status file names; 0 when there is none yet. */
static pid_t status_pid(foreign_kind kind, const char *svc) {
        char path[512], buf[64];
        ssize_t n;
        int fd;

        snprintf(path, sizeof(path), "%s/supervise/%s", svc, kind == FOREIGN_RUNIT ? "pid" : "status");
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return 0;
        n = read(fd, buf, sizeof(buf) - 1);
        (void) close(fd);
        if (kind == FOREIGN_RUNIT) {
                if (n <= 0)
                        return 0;
                buf[n] = '\0';
                return (pid_t) strtol(buf, NULL, 10);
        }
        if (n < 32)
                return 0;
        uint64_t pid = 0;
        for (int i = 24; i < 32; i++)
                pid = pid << 8 | (uint8_t) buf[i];
        return (pid_t) pid;
}

/* pid is a child of parent, it has exec'd bench-child, and its state
 * letter is put in *ret_state. */
static bool is_bench_child_of(pid_t pid, pid_t parent, char *ret_state) {
        char path[64], exe[512], stat[512];
        ssize_t n;
        int fd, ppid;
        char state;
        const char *p;

        if (pid <= 0)
                return false;
        snprintf(path, sizeof(path), "/proc/%d/exe", (int) pid);
        n = readlink(path, exe, sizeof(exe) - 1);
        if (n <= 0)
                return false;
        exe[n] = '\0';
        if (strcmp(exe, BENCH_CHILD_PATH) != 0)
                return false;
        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return false;
        n = read(fd, stat, sizeof(stat) - 1);
        (void) close(fd);
        if (n <= 0)
                return false;
        stat[n] = '\0';
        p = strrchr(stat, ')');
        if (!p || sscanf(p + 1, " %c %d", &state, &ppid) != 2 || ppid != parent)
                return false;
        if (ret_state)
                *ret_state = state;
        return true;
}

/* Poll, bounded, for a bench-child of the supervisor other than old. With
 * sleeping, also until it is asleep in pause(). */
static int wait_child(foreign_kind kind, const char *svc, pid_t sup, pid_t old, bool sleeping, unsigned timeout_msec,
                      pid_t *ret) {
        uint64_t deadline = bench_deadline(timeout_msec);
        const struct timespec ts = { .tv_nsec = POLL_USEC * 1000 };

        for (;;) {
                pid_t pid = status_pid(kind, svc);
                char state = 0;

                if (pid != old && is_bench_child_of(pid, sup, &state) && (!sleeping || state == 'S')) {
                        *ret = pid;
                        return 0;
                }
                if (bench_interrupted)
                        return -EINTR;
                if (bench_now_nsec() >= deadline)
                        return -ETIMEDOUT;
                if (waitpid(sup, NULL, WNOHANG) == sup)
                        return -ECHILD;
                (void) nanosleep(&ts, NULL);
        }
}

static int write_run_script(const char *svc) {
        char path[512];
        FILE *f;

        snprintf(path, sizeof(path), "%s/run", svc);
        f = fopen(path, "we");
        if (!f)
                return -errno;
        fprintf(f, "#!/bin/sh\nexec %s\n", BENCH_CHILD_PATH);
        if (fclose(f) != 0)
                return -errno;
        return chmod(path, 0755) < 0 ? -errno : 0;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        (void) remove(path);
        return 0;
}

/* "d" (down: SIGTERM the child, no restart), then "x" (exit once down):
 * the same control fifo protocol in runit and s6. Then bounded waits, and
 * SIGKILL by pid for whatever did not go. */
static void stop_supervisor(const char *svc, pid_t sup, pid_t child) {
        char path[512];
        int fd;

        snprintf(path, sizeof(path), "%s/supervise/control", svc);
        fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd >= 0) {
                (void) !write(fd, "dx", 2);
                (void) close(fd);
        }
        for (int i = 0; i < 50; i++) {
                if (waitpid(sup, NULL, WNOHANG) == sup) {
                        sup = 0;
                        break;
                }
                (void) usleep(100000);
        }
        if (sup > 0) {
                (void) kill(sup, SIGKILL);
                (void) waitpid(sup, NULL, 0);
        }
        /* Reparented to us or to init once its supervisor is gone: ended
         * by its pid, only if it still is our bench-child. */
        if (child > 0) {
                char exe[512], p[64];
                ssize_t n;

                snprintf(p, sizeof(p), "/proc/%d/exe", (int) child);
                n = readlink(p, exe, sizeof(exe) - 1);
                if (n > 0) {
                        exe[n] = '\0';
                        if (strcmp(exe, BENCH_CHILD_PATH) == 0)
                                (void) kill(child, SIGKILL);
                }
        }
}

int main(int argc, char **argv) {
        static const struct option options[] = {
                { "kind", required_argument, NULL, 'k' },
                { "samples", required_argument, NULL, 'n' },
                { "csv", required_argument, NULL, 'c' },
                { "uptime-ms", required_argument, NULL, 'u' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        foreign_kind kind = _FOREIGN_KIND_INVALID;
        unsigned samples = 20, uptime_ms = 0;
        const char *csv = NULL;
        char dir[] = "/tmp/processhub-bench-foreign-XXXXXX", svc[128];
        struct sigaction sa = { .sa_handler = on_signal };
        uint64_t *lat = NULL;
        pid_t sup = 0, child = 0;
        latency_summary sum = {};
        int r = 0, c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'k':
                        kind = strcmp(optarg, "runit") == 0 ? FOREIGN_RUNIT
                             : strcmp(optarg, "s6") == 0    ? FOREIGN_S6
                                                            : _FOREIGN_KIND_INVALID;
                        break;
                case 'n':
                        samples = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                case 'c':
                        csv = optarg;
                        break;
                case 'u':
                        uptime_ms = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                case 'h':
                        printf("Usage: bench-foreign --kind runit|s6 [--samples N] [--uptime-ms M] [--csv FILE]\n");
                        return 0;
                default:
                        return EXIT_USAGE;
                }
        if (kind < 0 || samples == 0 || samples > 10000 || uptime_ms > 60000) {
                fprintf(stderr, "bench-foreign: --kind runit|s6 and --samples 1..10000 are needed\n");
                return EXIT_USAGE;
        }
        if (access(foreign_program[kind], X_OK) < 0) {
                printf("%s: skipped: %s is not installed\n", foreign_name[kind], foreign_program[kind]);
                return EXIT_SKIP;
        }
        sigemptyset(&sa.sa_mask);
        (void) sigaction(SIGINT, &sa, NULL);
        (void) sigaction(SIGTERM, &sa, NULL);
        (void) sigaction(SIGHUP, &sa, NULL);

        lat = calloc(samples, sizeof(uint64_t));
        if (!lat || !mkdtemp(dir)) {
                fprintf(stderr, "bench-foreign: %s\n", strerror(errno));
                return EXIT_FAILURE;
        }
        snprintf(svc, sizeof(svc), "%s/svc", dir);
        if (mkdir(svc, 0755) < 0 || (r = write_run_script(svc)) < 0) {
                fprintf(stderr, "bench-foreign: service dir: %s\n", strerror(r < 0 ? -r : errno));
                r = -EIO;
                goto finish;
        }

        sup = fork();
        if (sup < 0) {
                r = -errno;
                goto finish;
        }
        if (sup == 0) {
                int null = open("/dev/null", O_RDWR | O_CLOEXEC);

                (void) unsetenv("NOTIFY_SOCKET");
                if (null >= 0) {
                        (void) dup2(null, STDIN_FILENO);
                        (void) dup2(null, STDOUT_FILENO);
                }
                execl(foreign_program[kind], foreign_program[kind], svc, (char *) NULL);
                _exit(127);
        }

        r = wait_child(kind, svc, sup, 0, true, BENCH_STEP_TIMEOUT_MSEC, &child);
        if (r < 0) {
                fprintf(stderr, "bench-foreign: %s: first child: %s\n", foreign_name[kind], strerror(-r));
                goto finish;
        }
        fprintf(stderr, "%s: %u restarts of a child killed %u ms after it is asleep...\n", foreign_name[kind], samples,
                uptime_ms);
        for (unsigned i = 0; i < samples; i++) {
                const struct timespec up = { .tv_sec = uptime_ms / 1000, .tv_nsec = (long) (uptime_ms % 1000) * 1000000L };
                pid_t next = 0;
                uint64_t t0;

                if (uptime_ms > 0)
                        (void) nanosleep(&up, NULL);
                if (bench_interrupted) {
                        r = -EINTR;
                        break;
                }
                t0 = bench_now_nsec();
                if (kill(child, SIGKILL) < 0) {
                        r = -errno;
                        break;
                }
                r = wait_child(kind, svc, sup, child, false, BENCH_STEP_TIMEOUT_MSEC, &next);
                if (r < 0)
                        break;
                lat[i] = bench_now_nsec() - t0;
                child = next;
                /* Untimed: the next kill hits a child at rest. */
                r = wait_child(kind, svc, sup, 0, true, BENCH_STEP_TIMEOUT_MSEC, &next);
                if (r < 0)
                        break;
        }
        if (r < 0) {
                fprintf(stderr, "bench-foreign: %s restart: %s\n", foreign_name[kind], strerror(-r));
                goto finish;
        }

        r = latency_summarize(lat, samples, &sum);
        if (r < 0)
                goto finish;
        printf("%-6s up %5u ms  n=%-4u p50 %10.1f  p90 %10.1f  p99 %10.1f  mean %10.1f  min %10.1f  max %10.1f  us "
               "(SIGKILL -> new child exec'd)\n",
               foreign_name[kind], uptime_ms, samples, sum.p50, sum.p90, sum.p99, sum.mean, sum.min, sum.max);
        if (csv) {
                FILE *f = fopen(csv, "we");

                if (!f) {
                        r = -errno;
                        goto finish;
                }
                fprintf(f, "side,uptime_ms,sample,latency_us\n");
                for (unsigned i = 0; i < samples; i++)
                        fprintf(f, "%s,%u,%u,%.1f\n", foreign_name[kind], uptime_ms, i, lat[i] / 1e3);
                if (fclose(f) != 0)
                        r = -errno;
        }

finish:
        if (sup > 0)
                stop_supervisor(svc, sup, child);
        (void) nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
        free(lat);
        if (bench_interrupted)
                return EXIT_INTERRUPTED;
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
