/* SPDX-License-Identifier: MIT */

/* processhubd through its control socket (docs/control-protocol.md): a
 * daemon of its own on a scratch socket and state directory, N children
 * started through "start" (in requests of 1,000 specs, awaited), the
 * daemon's VmRSS per child, "pid" and "lookup" round trips (us/op, one
 * request at a time on one connection) beside the same round trips with
 * a process that only answers (bench-socket-floor.h), then kill -9 of the daemon and a
 * new one on the same state directory: the time from its exec until
 * "which" reports all N running with the pids they had (adopted), and how
 * many came back with another pid (restarted). A hand-written client (one
 * JSON line out, one line back), so that the figure is the daemon's and
 * the socket's, not a client library's.
 *
 *   bench-daemon --daemon PATH --children N [--lookups M] [--csv FILE]
 *
 * Exit codes: 0 done, 1 failed, 2 bad usage, 77 cannot run here (the
 * reason on stdout). The daemons are ended by pid (SIGTERM, then SIGKILL
 * after a bounded wait), the children it leaves killed by pid (only those
 * whose exe is bench-child), the scratch directory removed. */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <ftw.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench-socket-floor.h"
#include "bench.h"

#ifndef BENCH_CHILD_PATH
#error "BENCH_CHILD_PATH must name the bench-child program"
#endif

#define EXIT_USAGE 2
#define EXIT_SKIP 77
#define SPECS_PER_REQUEST 1000u

volatile sig_atomic_t bench_interrupted = 0;

static void on_signal(int sig) {
        bench_interrupted = 1;
}

typedef struct conn {
        int fd;
        char *buf; /* what was read past the last line */
        size_t len, size;
        unsigned next_id;
} conn;

static char dir[] = "/tmp/processhub-bench-daemon-XXXXXX";
static char sock_path[100], state_path[128], log_path[128], hub[64];

static pid_t spawn_daemon(const char *daemon) {
        pid_t pid = fork();

        if (pid != 0)
                return pid;
        int log = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

        if (log >= 0) {
                (void) dup2(log, STDOUT_FILENO);
                (void) dup2(log, STDERR_FILENO);
        }
        if (null >= 0)
                (void) dup2(null, STDIN_FILENO);
        (void) unsetenv("NOTIFY_SOCKET");
        execl(daemon, daemon, "--no-config", "--socket", sock_path, "--state-dir", state_path, "--hub", hub,
              (char *) NULL);
        _exit(127);
}

static void conn_close(conn *c) {
        if (c->fd >= 0)
                (void) close(c->fd);
        c->fd = -1;
        c->len = 0;
}

/* Connect, bounded: the daemon may still be starting. */
static int conn_open(conn *c, pid_t daemon, unsigned timeout_msec) {
        uint64_t deadline = bench_deadline(timeout_msec);
        struct sockaddr_un sa = { .sun_family = AF_UNIX };

        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
        for (;;) {
                c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (c->fd < 0)
                        return -errno;
                if (connect(c->fd, (struct sockaddr *) &sa, sizeof(sa)) >= 0)
                        return 0;
                conn_close(c);
                if (waitpid(daemon, NULL, WNOHANG) == daemon)
                        return -ECHILD;
                if (bench_interrupted)
                        return -EINTR;
                if (bench_now_nsec() >= deadline)
                        return -ETIMEDOUT;
                (void) usleep(2000);
        }
}

/* Send one request line, return the reply line (to be freed). Replies are
 * in order on one connection without watch, so the next line is ours. */
static int conn_call(conn *c, const char *line, char **ret) {
        size_t l = strlen(line), off = 0;

        while (off < l) {
                ssize_t n = send(c->fd, line + off, l - off, MSG_NOSIGNAL);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                off += (size_t) n;
        }
        for (;;) {
                char *nl = c->len ? memchr(c->buf, '\n', c->len) : NULL;

                if (nl) {
                        size_t k = (size_t) (nl - c->buf);
                        char *reply = malloc(k + 1);

                        if (!reply)
                                return -ENOMEM;
                        memcpy(reply, c->buf, k);
                        reply[k] = '\0';
                        memmove(c->buf, nl + 1, c->len - k - 1);
                        c->len -= k + 1;
                        *ret = reply;
                        return 0;
                }
                if (c->size - c->len < 65536) {
                        size_t ns = c->size ? c->size * 2 : 1 << 20;
                        char *nb = realloc(c->buf, ns);

                        if (!nb)
                                return -ENOMEM;
                        c->buf = nb;
                        c->size = ns;
                }
                /* Wait as the project's client does (client/connection.c):
                 * poll() for POLLIN, then read. A read() that sleeps is
                 * woken in vain when the daemon takes the request in (the
                 * kernel wakes a stream socket's sleepers when its sent
                 * data is freed, a poll() waiter only for what it asked). */
                struct pollfd p = { .fd = c->fd, .events = POLLIN };
                if (poll(&p, 1, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                ssize_t n = read(c->fd, c->buf + c->len, c->size - c->len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return -ECONNRESET;
                c->len += (size_t) n;
        }
}

/* "key": value in a reply, with or without json-c's spaces. */
static bool json_is(const char *s, const char *key, const char *value) {
        char k[64];
        const char *p;

        snprintf(k, sizeof(k), "\"%s\"", key);
        for (p = strstr(s, k); p; p = strstr(p + 1, k)) {
                const char *q = p + strlen(k);

                q += strspn(q, " ");
                if (*q != ':')
                        continue;
                q++;
                q += strspn(q, " ");
                if (strncmp(q, value, strlen(value)) == 0)
                        return true;
        }
        return false;
}

/* A "Key:   N kB" line of /proc/<pid>/status, in bytes; 0 when missing. */
static unsigned long proc_status_bytes(pid_t pid, const char *key) {
        char path[64], line[256];
        size_t l = strlen(key);
        unsigned long kb = 0;
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%d/status", (int) pid);
        f = fopen(path, "re");
        if (!f)
                return 0;
        while (fgets(line, sizeof(line), f))
                if (strncmp(line, key, l) == 0 && line[l] == ':') {
                        kb = strtoul(line + l + 1, NULL, 10);
                        break;
                }
        fclose(f);
        return kb * 1024;
}

static unsigned long vmrss(pid_t pid) {
        return proc_status_bytes(pid, "VmRSS");
}

/* VmRSS once it has settled. The daemon frees a burst's request JSON at
 * once (tens of MB at the peak of a 1,000-child request) but hands the
 * pages back at its next once-a-second heap trim, so one reading at a
 * fixed time may land before that trim and count the burst as per-child
 * memory (it once read 7 KB per child instead of 1.5). Sampled every
 * 250 ms until five readings in a row (1 s) stay within 1 %, at most
 * 10 s; the last one. */
static unsigned long vmrss_settled(pid_t pid) {
        unsigned long window[5] = {}, lo, hi;

        for (unsigned i = 0; i < 40; i++) {
                (void) usleep(250000);
                window[i % 5] = vmrss(pid);
                if (i < 4)
                        continue;
                lo = hi = window[0];
                for (unsigned k = 1; k < 5; k++) {
                        lo = window[k] < lo ? window[k] : lo;
                        hi = window[k] > hi ? window[k] : hi;
                }
                if (hi - lo <= hi / 100)
                        break;
        }
        return vmrss(pid);
}

static int start_children(conn *c, unsigned n) {
        size_t size = (size_t) SPECS_PER_REQUEST * (strlen(BENCH_CHILD_PATH) + 64) + 512;
        char *req = malloc(size);
        int r = 0;

        if (!req)
                return -ENOMEM;
        for (unsigned first = 0; first < n && r >= 0; first += SPECS_PER_REQUEST) {
                unsigned end = first + SPECS_PER_REQUEST < n ? first + SPECS_PER_REQUEST : n;
                size_t off = (size_t) snprintf(req, size, "{\"v\":1,\"id\":%u,\"op\":\"start\",\"hub\":\"%s"
                                                          "\",\"args\":{\"await\":true,\"timeout_ms\":600000,"
                                                          "\"await_timeout_ms\":600000,\"specs\":[",
                                               ++c->next_id, hub);
                char *reply = NULL;

                for (unsigned i = first; i < end; i++)
                        off += (size_t) snprintf(req + off, size - off,
                                                 "%s{\"id\":\"c%06u\",\"argv\":[\"%s\"],\"ready\":\"exec\"}",
                                                 i > first ? "," : "", i, BENCH_CHILD_PATH);
                snprintf(req + off, size - off, "]}}\n");
                r = conn_call(c, req, &reply);
                if (r >= 0 && (!json_is(reply, "ok", "true") || !json_is(reply, "status", "\"ok\""))) {
                        fprintf(stderr, "bench-daemon: start: %.300s\n", reply);
                        r = -EIO;
                }
                free(reply);
        }
        free(req);
        return r;
}

/* One request of op for a child picked at random (state *x), its reply
 * checked; the reply kept when ret_reply is given. */
static int round_trip(conn *c, const char *op, unsigned n, unsigned *x, char **ret_reply) {
        char req[256], *reply = NULL;
        int r;

        *x = *x * 1103515245u + 12345u;
        snprintf(req, sizeof(req), "{\"v\":1,\"id\":%u,\"op\":\"%s\",\"hub\":\"%s\",\"args\":{\"id\":\"c%06u\"}}\n",
                 ++c->next_id, op, hub, (*x >> 8) % n);
        r = conn_call(c, req, &reply);
        if (r >= 0 && !json_is(reply, "ok", "true"))
                r = -EIO;
        if (r >= 0 && ret_reply) {
                *ret_reply = reply;
                reply = NULL;
        }
        free(reply);
        return r;
}

/* One side of the socket figure: its round trips, and the CPU that the
 * process answering them spent. */
typedef struct socket_side {
        const char *name;
        uint64_t ns, cpu_ns, slices, n;
} socket_side;

/* k round trips of op on c, answered by pid, added to side. */
static int side_run(socket_side *side, conn *c, pid_t pid, const char *op, unsigned n, unsigned k, unsigned *x) {
        uint64_t cpu0 = 0, slices0 = 0, cpu1 = 0, slices1 = 0, t0;
        int r;

        (void) bench_proc_cpu(pid, &cpu0, &slices0);
        t0 = bench_now_nsec();
        for (unsigned i = 0; i < k; i++) {
                r = round_trip(c, op, n, x, NULL);
                if (r < 0)
                        return r;
        }
        side->ns += bench_now_nsec() - t0;
        if (bench_proc_cpu(pid, &cpu1, &slices1) >= 0 && cpu0 > 0) {
                side->cpu_ns += cpu1 - cpu0;
                side->slices += slices1 - slices0;
        }
        side->n += k;
        return 0;
}

static double side_us(const socket_side *s) {
        return s->n ? (double) s->ns / 1e3 / (double) s->n : 0;
}

static double side_cpu_us(const socket_side *s) {
        return s->n ? (double) s->cpu_ns / 1e3 / (double) s->n : 0;
}

#define SOCKET_BLOCKS 10u

/* The socket figure: m "pid" and m "lookup" round trips with the daemon
 * and m with the floor (bench-socket-floor.h), the same request lines,
 * interleaved in SOCKET_BLOCKS blocks so that a change in the host's load
 * falls on all three alike. sides: floor, pid, lookup. */
static int socket_round_trips(conn *c, pid_t dpid, unsigned n, unsigned m, socket_side sides[static 3]) {
        socket_floor f = { .fd = -1 };
        conn fc = { .fd = -1 };
        char *reply = NULL;
        unsigned x = 4242, k = m / SOCKET_BLOCKS ?: 1;
        int r;

        /* The floor answers with the daemon's own reply to a lookup. */
        r = round_trip(c, "lookup", n, &x, &reply);
        if (r < 0)
                return r;
        r = strlen(reply) + 2 < 65536 ? 0 : -E2BIG;
        if (r >= 0) {
                size_t l = strlen(reply);
                char *line = malloc(l + 2);

                r = line ? 0 : -ENOMEM;
                if (line) {
                        memcpy(line, reply, l);
                        memcpy(line + l, "\n", 2);
                        r = socket_floor_start(&f, line);
                        free(line);
                }
        }
        free(reply);
        if (r < 0)
                return r;
        fc.fd = f.fd;
        for (unsigned b = 0; b < SOCKET_BLOCKS && r >= 0 && !bench_interrupted; b++) {
                r = side_run(&sides[0], &fc, f.pid, "lookup", n, k, &x);
                if (r >= 0)
                        r = side_run(&sides[1], c, dpid, "pid", n, k, &x);
                if (r >= 0)
                        r = side_run(&sides[2], c, dpid, "lookup", n, k, &x);
        }
        free(fc.buf);
        socket_floor_stop(&f);
        return bench_interrupted ? -EINTR : r;
}

/* "which": the pid of each child (by its number) and how many run. */
static int which(conn *c, unsigned n, pid_t *pids, unsigned *ret_running) {
        char req[128], *reply = NULL;
        unsigned running = 0;
        int r;

        snprintf(req, sizeof(req), "{\"v\":1,\"id\":%u,\"op\":\"which\",\"hub\":\"%s\"}\n", ++c->next_id, hub);
        r = conn_call(c, req, &reply);
        if (r < 0)
                return r;
        for (unsigned i = 0; i < n; i++)
                pids[i] = 0;
        for (const char *p = strstr(reply, "\"id\""); p; p = strstr(p + 1, "\"id\"")) {
                const char *q = p + 4, *next = strstr(p + 1, "\"id\""), *pp, *st;
                unsigned k;

                q += strspn(q, " ");
                if (*q != ':')
                        continue;
                q++;
                q += strspn(q, " ");
                /* A child's id ("c000123"), not the reply's numeric one. */
                if (sscanf(q, "\"c%u\"", &k) != 1 || k >= n)
                        continue;
                pp = strstr(q, "\"pid\"");
                st = strstr(q, "\"state\"");
                if (pp && (!next || pp < next)) {
                        pp += 5;
                        pp += strspn(pp, " :");
                        pids[k] = (pid_t) strtol(pp, NULL, 10);
                }
                if (st && (!next || st < next) && json_is(st, "state", "\"running\""))
                        running++;
        }
        free(reply);
        *ret_running = running;
        return 0;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        (void) remove(path);
        return 0;
}

/* SIGTERM (a clean stop of every hub), bounded; SIGKILL after. */
static void stop_daemon(pid_t pid, unsigned timeout_msec) {
        uint64_t deadline = bench_deadline(timeout_msec);

        if (pid <= 0)
                return;
        (void) kill(pid, SIGTERM);
        while (bench_now_nsec() < deadline) {
                if (waitpid(pid, NULL, WNOHANG) == pid)
                        return;
                (void) usleep(10000);
        }
        (void) kill(pid, SIGKILL);
        (void) waitpid(pid, NULL, 0);
}

static void kill_leftovers(const pid_t *pids, unsigned n) {
        for (unsigned i = 0; i < n; i++) {
                char p[64], exe[512];
                ssize_t l;

                if (pids[i] <= 0)
                        continue;
                snprintf(p, sizeof(p), "/proc/%d/exe", (int) pids[i]);
                l = readlink(p, exe, sizeof(exe) - 1);
                if (l <= 0)
                        continue;
                exe[l] = '\0';
                if (strcmp(exe, BENCH_CHILD_PATH) == 0)
                        (void) kill(pids[i], SIGKILL);
        }
}

int main(int argc, char **argv) {
        static const struct option options[] = {
                { "daemon", required_argument, NULL, 'd' },
                { "children", required_argument, NULL, 'n' },
                { "lookups", required_argument, NULL, 'l' },
                { "csv", required_argument, NULL, 'c' },
                {},
        };
        const char *daemon = NULL, *csv = NULL;
        unsigned n = 10000, m = 20000, running = 0, restarted = 0, same = 0;
        struct sigaction sa = { .sa_handler = on_signal };
        conn c = { .fd = -1 };
        pid_t dpid = 0, *pids = NULL, *after = NULL;
        unsigned long rss0, rss1, peak;
        socket_side sides[3] = { { .name = "floor" }, { .name = "pid" }, { .name = "lookup" } };
        double start_s, adopt_s = -1;
        struct rlimit rl;
        uint64_t t0;
        int r, opt;

        while ((opt = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (opt) {
                case 'd':
                        daemon = optarg;
                        break;
                case 'n':
                        n = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                case 'l':
                        m = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                case 'c':
                        csv = optarg;
                        break;
                default:
                        return EXIT_USAGE;
                }
        if (!daemon || n == 0 || n > 1000000 || m == 0) {
                fprintf(stderr, "usage: bench-daemon --daemon PATH --children N [--lookups M] [--csv FILE]\n");
                return EXIT_USAGE;
        }
        if (getrlimit(RLIMIT_NOFILE, &rl) >= 0 && rl.rlim_max < (rlim_t) n + 1024) {
                printf("daemon N=%u: skipped: RLIMIT_NOFILE hard limit %llu has no room for a pidfd per child "
                       "(and cannot be raised here)\n",
                       n, (unsigned long long) rl.rlim_max);
                return EXIT_SKIP;
        }
        sigemptyset(&sa.sa_mask);
        (void) sigaction(SIGINT, &sa, NULL);
        (void) sigaction(SIGTERM, &sa, NULL);
        pids = calloc(n, sizeof(pid_t));
        after = calloc(n, sizeof(pid_t));
        if (!pids || !after || !mkdtemp(dir))
                return EXIT_FAILURE;
        snprintf(hub, sizeof(hub), "bench-daemon-%d", (int) getpid());
        snprintf(sock_path, sizeof(sock_path), "%s/sock", dir);
        snprintf(state_path, sizeof(state_path), "%s/state", dir);
        snprintf(log_path, sizeof(log_path), "%s/daemon.log", dir);

        dpid = spawn_daemon(daemon);
        r = dpid < 0 ? -errno : conn_open(&c, dpid, 10000);
        if (r < 0) {
                fprintf(stderr, "bench-daemon: daemon did not come up: %s\n", strerror(-r));
                goto finish;
        }
        (void) usleep(200000);
        rss0 = vmrss(dpid);

        fprintf(stderr, "daemon: start of %u through the socket...\n", n);
        t0 = bench_now_nsec();
        r = start_children(&c, n);
        start_s = (double) (bench_now_nsec() - t0) / 1e9;
        if (r < 0) {
                fprintf(stderr, "bench-daemon: start: %s\n", strerror(-r));
                goto finish;
        }
        /* Steady state: past the daemon's once-a-second heap trim. */
        rss1 = vmrss_settled(dpid);
        /* The most the daemon held at once, the start bursts' JSON and
         * state files included: what a host must have to spare. */
        peak = proc_status_bytes(dpid, "VmHWM");
        r = which(&c, n, pids, &running);
        if (r < 0 || running != n) {
                fprintf(stderr, "bench-daemon: which: %u of %u running (%s)\n", running, n, strerror(r < 0 ? -r : 0));
                r = r < 0 ? r : -EIO;
                goto finish;
        }

        fprintf(stderr, "daemon: %u pid and lookup round trips, and as many with the floor...\n", m);
        r = socket_round_trips(&c, dpid, n, m, sides);
        if (r < 0) {
                fprintf(stderr, "bench-daemon: lookups: %s\n", strerror(-r));
                goto finish;
        }

        fprintf(stderr, "daemon: kill -9 with %u children, a new daemon on the same state...\n", n);
        conn_close(&c);
        (void) kill(dpid, SIGKILL);
        (void) waitpid(dpid, NULL, 0);
        t0 = bench_now_nsec();
        dpid = spawn_daemon(daemon);
        r = dpid < 0 ? -errno : conn_open(&c, dpid, 60000);
        if (r < 0) {
                fprintf(stderr, "bench-daemon: the new daemon did not come up: %s\n", strerror(-r));
                dpid = dpid < 0 ? 0 : dpid;
                goto finish;
        }
        for (uint64_t deadline = bench_deadline(60000);;) {
                r = which(&c, n, after, &running);
                if (r == -ECONNRESET || r == -EPIPE) {
                        /* The new daemon may take its socket over again
                         * while it starts: connect again, bounded. */
                        conn_close(&c);
                        r = conn_open(&c, dpid, 10000);
                        if (r < 0)
                                break;
                        continue;
                }
                if (r < 0)
                        break;
                same = 0;
                for (unsigned i = 0; i < n; i++)
                        same += after[i] == pids[i];
                if (running == n) {
                        adopt_s = (double) (bench_now_nsec() - t0) / 1e9;
                        restarted = n - same;
                        for (unsigned i = 0, shown = 0; i < n && shown < 5; i++)
                                if (after[i] != pids[i]) {
                                        fprintf(stderr, "bench-daemon: c%06u: pid %d before, %d after\n", i,
                                                (int) pids[i], (int) after[i]);
                                        shown++;
                                }
                        break;
                }
                if (bench_interrupted || bench_now_nsec() >= deadline) {
                        r = bench_interrupted ? -EINTR : -ETIMEDOUT;
                        break;
                }
                (void) usleep(10000);
        }
        if (r < 0)
                fprintf(stderr, "bench-daemon: adoption: %s (%u of %u running)\n", strerror(-r), running, n);

        printf("daemon N=%u: start %.2f s (%.0f/s); VmRSS %lu -> %lu B: %.0f B per child; peak (VmHWM) %.1f MB\n", n,
               start_s, n / start_s, rss0, rss1, ((double) rss1 - (double) rss0) / n, peak / 1e6);
        printf("daemon socket round trip (%" PRIu64 " each, in %u interleaved blocks): pid %.1f us, lookup %.1f us; "
               "floor (an answering process) %.1f us: %.2fx, %.2fx\n",
               sides[1].n, SOCKET_BLOCKS, side_us(&sides[1]), side_us(&sides[2]), side_us(&sides[0]),
               side_us(&sides[1]) / side_us(&sides[0]), side_us(&sides[2]) / side_us(&sides[0]));
        printf("  CPU per round trip of the answering process: pid %.1f us, lookup %.1f us, floor %.1f us; "
               "put on a CPU %.2f, %.2f, %.2f times\n",
               side_cpu_us(&sides[1]), side_cpu_us(&sides[2]), side_cpu_us(&sides[0]),
               sides[1].n ? (double) sides[1].slices / (double) sides[1].n : 0,
               sides[2].n ? (double) sides[2].slices / (double) sides[2].n : 0,
               sides[0].n ? (double) sides[0].slices / (double) sides[0].n : 0);
        if (adopt_s >= 0)
                printf("daemon adoption after kill -9: all %u running after %.3f s, %u with a new pid (restarted)\n",
                       n, adopt_s, restarted);
        if (csv) {
                FILE *f = fopen(csv, "we");

                if (f) {
                        fprintf(f, "what,status\n");
                        fprintf(f, "socket_lookup,pid %.1f us/op; lookup %.1f us/op; floor %.1f us/op (%.2fx; %.2fx); "
                                   "CPU per op pid %.1f us; lookup %.1f us; floor %.1f us (%" PRIu64 " round trips each "
                                   "in %u interleaved blocks on %u children)\n",
                                side_us(&sides[1]), side_us(&sides[2]), side_us(&sides[0]),
                                side_us(&sides[1]) / side_us(&sides[0]), side_us(&sides[2]) / side_us(&sides[0]),
                                side_cpu_us(&sides[1]), side_cpu_us(&sides[2]), side_cpu_us(&sides[0]), sides[1].n,
                                SOCKET_BLOCKS, n);
                        fprintf(f, "daemon_rss_per_child,%.0f B at %u children (VmRSS %lu -> %lu B)\n",
                                ((double) rss1 - (double) rss0) / n, n, rss0, rss1);
                        fprintf(f, "daemon_peak_rss,%.1f MB (VmHWM after the start of %u in requests of %u)\n",
                                peak / 1e6, n, SPECS_PER_REQUEST);
                        fprintf(f, "daemon_start,%.0f children/s (%u through \"start\" in requests of %u; exec readiness)\n",
                                n / start_s, n, SPECS_PER_REQUEST);
                        if (adopt_s >= 0)
                                fprintf(f, "adoption_%u,%.3f s after kill -9 until all running; %u restarted\n", n,
                                        adopt_s, restarted);
                        else
                                fprintf(f, "adoption_%u,failed: %s\n", n, strerror(-r));
                        fclose(f);
                }
        }

finish:
        conn_close(&c);
        stop_daemon(dpid, 120000);
        kill_leftovers(pids, n);
        kill_leftovers(after, n);
        if (r < 0) {
                char cmd[256];

                snprintf(cmd, sizeof(cmd), "grep -v ': stopped$' %s | tail -n 20 >&2", log_path);
                (void) !system(cmd);
        }
        (void) nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
        free(c.buf);
        free(pids);
        free(after);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
