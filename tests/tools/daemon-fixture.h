/* SPDX-License-Identifier: MIT */
#pragma once

/* Running a real processhubd for a test and talking the control protocol
 * to it over its real socket (docs/control-protocol.md): a temporary
 * directory per daemon (socket, state dir, configs, its stderr), a tiny
 * newline-JSON client, and clean-up that leaves no daemon, child or
 * cgroup behind, also when the test failed half way. Header-only, so
 * that tests/client/ may use it too. PROCESSHUBD_PATH is the binary. */

/* Paths here are short and bounded; a cut one fails the test visibly. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"

static inline uint64_t fx_now_ms(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

static inline void fx_sleep_ms(unsigned ms) {
        struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long) (ms % 1000) * 1000000L };

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

/* ---- The daemon ------------------------------------------------------- */

typedef struct fx_daemon {
        pid_t pid;      /* 0 once reaped */
        int status;     /* wait status once reaped */
        char dir[48];   /* the temporary directory */
        char socket[96];
        char state[96];
        char log[96];
} fx_daemon;

static inline int fx_daemon_init(fx_daemon *d) {
        memset(d, 0, sizeof(*d));
        snprintf(d->dir, sizeof d->dir, "/tmp/processhubd-test-XXXXXX");
        if (!mkdtemp(d->dir))
                return -errno;
        snprintf(d->socket, sizeof d->socket, "%s/phd.sock", d->dir);
        snprintf(d->state, sizeof d->state, "%s/state", d->dir);
        snprintf(d->log, sizeof d->log, "%s/daemon.log", d->dir);
        return 0;
}

/* Write a file in the daemon's directory; returns its path (static). */
static inline const char *fx_write_file(fx_daemon *d, const char *name, const char *fmt, ...) {
        static char path[256];
        va_list ap;

        snprintf(path, sizeof path, "%s/%s", d->dir, name);
        FILE *f = fopen(path, "we");
        if (!f)
                return NULL;
        va_start(ap, fmt);
        vfprintf(f, fmt, ap);
        va_end(ap);
        fclose(f);
        return path;
}

/* Start processhubd with --socket and --state-dir of d, then args (NULL
 * terminated); env_extra ("K=V", NULL terminated) added to an environment
 * without systemd's variables. stderr and stdout go to d->log. */
static inline int fx_daemon_spawn(fx_daemon *d, const char *const *args, const char *const *env_extra) {
        const char *argv[64];
        size_t n = 0;

        argv[n++] = PROCESSHUBD_PATH;
        argv[n++] = "--socket";
        argv[n++] = d->socket;
        argv[n++] = "--state-dir";
        argv[n++] = d->state;
        for (; args && *args && n < 62; args++)
                argv[n++] = *args;
        argv[n] = NULL;

        pid_t pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                int fd = open(d->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
                if (fd >= 0) {
                        dup2(fd, STDOUT_FILENO);
                        dup2(fd, STDERR_FILENO);
                }
                int nul = open("/dev/null", O_RDONLY);
                if (nul >= 0)
                        dup2(nul, STDIN_FILENO);
                sigset_t none;
                sigemptyset(&none);
                sigprocmask(SIG_SETMASK, &none, NULL);
                unsetenv("INVOCATION_ID");
                unsetenv("JOURNAL_STREAM");
                unsetenv("NOTIFY_SOCKET");
                unsetenv("WATCHDOG_USEC");
                unsetenv("WATCHDOG_PID");
                for (; env_extra && *env_extra; env_extra++)
                        putenv((char *) *env_extra);
                execv(PROCESSHUBD_PATH, (char **) argv);
                _exit(127);
        }
        d->pid = pid;
        return 0;
}

/* Reap the daemon if it exited; returns true when it did. */
static inline bool fx_daemon_reap(fx_daemon *d, unsigned timeout_ms) {
        uint64_t end = fx_now_ms() + timeout_ms;

        if (d->pid == 0)
                return true;
        for (;;) {
                int st;
                pid_t r = waitpid(d->pid, &st, WNOHANG);
                if (r == d->pid) {
                        d->status = st;
                        d->pid = 0;
                        return true;
                }
                if (r < 0 || fx_now_ms() >= end)
                        return false;
                fx_sleep_ms(10);
        }
}

/* The exit code, -1 when not exited in time or killed by a signal. */
static inline int fx_daemon_wait_exit(fx_daemon *d, unsigned timeout_ms) {
        if (!fx_daemon_reap(d, timeout_ms))
                return -1;
        return WIFEXITED(d->status) ? WEXITSTATUS(d->status) : -1;
}

/* Wait until the socket answers a connect (or the daemon died). */
static inline bool fx_daemon_wait_socket(fx_daemon *d, unsigned timeout_ms) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        uint64_t end = fx_now_ms() + timeout_ms;

        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", d->socket);
        while (fx_now_ms() < end) {
                int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (fd >= 0 && connect(fd, (struct sockaddr *) &sa, sizeof sa) == 0) {
                        close(fd);
                        return true;
                }
                if (fd >= 0)
                        close(fd);
                if (fx_daemon_reap(d, 0))
                        return false;
                fx_sleep_ms(20);
        }
        return false;
}

/* Whether the daemon's log holds s (waiting up to timeout_ms for it). */
static inline bool fx_log_contains(fx_daemon *d, const char *s, unsigned timeout_ms) {
        uint64_t end = fx_now_ms() + timeout_ms;

        for (;;) {
                FILE *f = fopen(d->log, "re");
                if (f) {
                        char *line = NULL;
                        size_t size = 0;
                        bool found = false;
                        while (!found && getline(&line, &size, f) >= 0)
                                found = strstr(line, s) != NULL;
                        free(line);
                        fclose(f);
                        if (found)
                                return true;
                }
                if (fx_now_ms() >= end)
                        return false;
                fx_sleep_ms(20);
        }
}

static inline void fx_truncate_log(fx_daemon *d) {
        if (truncate(d->log, 0) < 0 && errno != ENOENT)
                fprintf(stderr, "cannot truncate %s: %m\n", d->log);
}

static inline void fx_print_log(fx_daemon *d) {
        char buf[4096];
        size_t n;
        FILE *f = fopen(d->log, "re");

        if (!f)
                return;
        fprintf(stderr, "---- %s ----\n", d->log);
        while ((n = fread(buf, 1, sizeof buf, f)) > 0)
                fwrite(buf, 1, n, stderr);
        fprintf(stderr, "---- end ----\n");
        fclose(f);
}

/* ---- cgroup clean-up -------------------------------------------------- */

/* Kill whatever runs in group and below (cgroup.kill on v2, SIGKILL by
 * pid on v1) and remove the groups, leaves first. */
static inline void fx_cgroup_remove_tree(const char *group) {
        char path[1024];
        DIR *dir = opendir(group);

        if (!dir)
                return;
        snprintf(path, sizeof path, "%s/cgroup.kill", group);
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd >= 0) {
                (void) !write(fd, "1", 1);
                close(fd);
        } else {
                snprintf(path, sizeof path, "%s/cgroup.procs", group);
                FILE *f = fopen(path, "re");
                int pid;
                while (f && fscanf(f, "%d", &pid) == 1)
                        if (pid > 0)
                                kill(pid, SIGKILL);
                if (f)
                        fclose(f);
        }
        struct dirent *de;
        while ((de = readdir(dir)))
                if (de->d_type == DT_DIR && de->d_name[0] != '.') {
                        snprintf(path, sizeof path, "%s/%s", group, de->d_name);
                        fx_cgroup_remove_tree(path);
                }
        closedir(dir);
        for (unsigned i = 0; i < 100 && rmdir(group) < 0 && errno == EBUSY; i++)
                fx_sleep_ms(10);
}

/* Call fn(path) for each group "<own>/<prefix>*" of every hierarchy this
 * process is in (cgroup2 and, on hybrid hosts, the v1 ones). */
static inline void fx_cgroup_foreach_hub(const char *prefix, void (*fn)(const char *path, void *userdata), void *userdata) {
        FILE *f = fopen("/proc/self/cgroup", "re");
        char line[1024];

        if (!f)
                return;
        while (fgets(line, sizeof line, f)) {
                line[strcspn(line, "\n")] = 0;
                char *c1 = strchr(line, ':');
                char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
                if (!c2)
                        continue;
                *c2 = 0;
                const char *controllers = c1 + 1, *own = c2 + 1;
                char base[1024];
                struct stat st;
                if (!*controllers) {
                        if (stat("/sys/fs/cgroup/unified/cgroup.procs", &st) == 0)
                                snprintf(base, sizeof base, "/sys/fs/cgroup/unified%s", own);
                        else
                                snprintf(base, sizeof base, "/sys/fs/cgroup%s", own);
                } else {
                        const char *name = strncmp(controllers, "name=", 5) == 0 ? controllers + 5 : controllers;
                        snprintf(base, sizeof base, "/sys/fs/cgroup/%s%s", name, own);
                }
                /* The daemon may have moved itself into <own>/supervisor;
                 * its hubs are beside it. */
                for (int pass = 0; pass < 2; pass++) {
                        char dirpath[1100];
                        snprintf(dirpath, sizeof dirpath, pass == 0 ? "%s" : "%s/supervisor", base);
                        DIR *dir = opendir(dirpath);
                        struct dirent *de;
                        while (dir && (de = readdir(dir)))
                                if (de->d_type == DT_DIR && strncmp(de->d_name, prefix, strlen(prefix)) == 0) {
                                        char path[1400];
                                        snprintf(path, sizeof path, "%s/%s", dirpath, de->d_name);
                                        fn(path, userdata);
                                }
                        if (dir)
                                closedir(dir);
                }
        }
        fclose(f);
}

static inline void fx_remove_one(const char *path, void *userdata) {
        fx_cgroup_remove_tree(path);
}

static inline void fx_count_one(const char *path, void *userdata) {
        (*(unsigned *) userdata)++;
}

/* How many groups of hubs named prefix* exist in any hierarchy. */
static inline unsigned fx_cgroup_count_hubs(const char *prefix) {
        unsigned n = 0;

        fx_cgroup_foreach_hub(prefix, fx_count_one, &n);
        return n;
}

static inline void fx_rm_rf(const char *path) {
        char p[1024];
        DIR *dir = opendir(path);
        struct dirent *de;

        if (!dir) {
                (void) unlink(path);
                return;
        }
        while ((de = readdir(dir)))
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
                        snprintf(p, sizeof p, "%s/%s", path, de->d_name);
                        if (de->d_type == DT_DIR)
                                fx_rm_rf(p);
                        else
                                (void) unlink(p);
                }
        closedir(dir);
        (void) rmdir(path);
}

/* Kill the daemon (by pid) if it still runs, the children and groups of
 * hubs named hub_prefix*, and remove the directory. */
static inline void fx_daemon_cleanup(fx_daemon *d, const char *hub_prefix) {
        if (d->pid > 0) {
                kill(d->pid, SIGKILL);
                (void) fx_daemon_reap(d, 5000);
        }
        if (hub_prefix)
                fx_cgroup_foreach_hub(hub_prefix, fx_remove_one, NULL);
        if (d->dir[0])
                fx_rm_rf(d->dir);
        d->dir[0] = 0;
}

/* ---- The client ------------------------------------------------------- */

typedef struct fx_client {
        int fd;
        char *buf;
        size_t len, size;
        int64_t next_id;
} fx_client;

static inline int fx_connect_path(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        if (fd < 0)
                return -errno;
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
        if (connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        return fd;
}

static inline int fx_client_open(fx_client *c, const char *path) {
        memset(c, 0, sizeof(*c));
        c->next_id = 1;
        c->fd = fx_connect_path(path);
        return c->fd < 0 ? c->fd : 0;
}

static inline void fx_client_close(fx_client *c) {
        if (c->fd >= 0)
                close(c->fd);
        c->fd = -1;
        free(c->buf);
        c->buf = NULL;
        c->len = c->size = 0;
}

static inline int fx_send_raw(fx_client *c, const char *data, size_t len) {
        while (len > 0) {
                ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                data += n;
                len -= (size_t) n;
        }
        return 0;
}

/* The next line as JSON, NULL on timeout, EOF or bad JSON. */
static inline json_object *fx_read(fx_client *c, unsigned timeout_ms) {
        uint64_t end = fx_now_ms() + timeout_ms;

        for (;;) {
                char *nl = c->buf ? memchr(c->buf, '\n', c->len) : NULL;
                if (nl) {
                        *nl = 0;
                        json_object *o = json_tokener_parse(c->buf);
                        size_t used = (size_t) (nl - c->buf) + 1;
                        memmove(c->buf, c->buf + used, c->len - used);
                        c->len -= used;
                        return o;
                }
                uint64_t now = fx_now_ms();
                if (now >= end)
                        return NULL;
                struct pollfd p = { .fd = c->fd, .events = POLLIN };
                if (poll(&p, 1, (int) (end - now)) <= 0)
                        continue;
                if (c->size - c->len < 65536) {
                        size_t size = c->size ? c->size * 2 : 131072;
                        char *b = realloc(c->buf, size);
                        if (!b)
                                return NULL;
                        c->buf = b;
                        c->size = size;
                }
                ssize_t n = recv(c->fd, c->buf + c->len, c->size - c->len, 0);
                if (n <= 0)
                        return NULL;
                c->len += (size_t) n;
        }
}

/* Whether the peer closed (EOF within timeout_ms, after any lines). */
static inline bool fx_wait_eof(fx_client *c, unsigned timeout_ms) {
        uint64_t end = fx_now_ms() + timeout_ms;
        char b[4096];

        while (fx_now_ms() < end) {
                struct pollfd p = { .fd = c->fd, .events = POLLIN };
                if (poll(&p, 1, 50) <= 0)
                        continue;
                ssize_t n = recv(c->fd, b, sizeof b, MSG_DONTWAIT);
                if (n == 0 || (n < 0 && errno == ECONNRESET))
                        return true;
        }
        return false;
}

/* Send {"v":1,"id":N,"op":op[,"hub":hub][,"args":args_json]} and return
 * the reply with that id (events and other replies on the way are
 * skipped), NULL on timeout. */
static inline json_object *fx_call(fx_client *c, const char *hub, const char *op, const char *args_json, unsigned timeout_ms) {
        char *line = NULL;
        int64_t id = c->next_id++;
        int n;

        if (hub)
                n = asprintf(&line, "{\"v\":1,\"id\":%lld,\"op\":\"%s\",\"hub\":\"%s\"%s%s}\n", (long long) id, op, hub,
                             args_json ? ",\"args\":" : "", args_json ?: "");
        else
                n = asprintf(&line, "{\"v\":1,\"id\":%lld,\"op\":\"%s\"%s%s}\n", (long long) id, op, args_json ? ",\"args\":" : "",
                             args_json ?: "");
        if (n < 0)
                return NULL;
        int r = fx_send_raw(c, line, (size_t) n);
        free(line);
        if (r < 0)
                return NULL;
        uint64_t end = fx_now_ms() + timeout_ms;
        while (fx_now_ms() < end) {
                json_object *o = fx_read(c, (unsigned) (end - fx_now_ms()));
                if (!o)
                        return NULL;
                json_object *v;
                if (json_object_object_get_ex(o, "id", &v) && json_object_get_int64(v) == id && json_object_object_get_ex(o, "ok", &v))
                        return o;
                json_object_put(o);
        }
        return NULL;
}

/* A field by path: "result.started.0.instances.0.pid" (numbers index
 * arrays). NULL when absent. */
static inline json_object *fx_get(json_object *o, const char *path) {
        char buf[256];
        snprintf(buf, sizeof buf, "%s", path);
        char *save = NULL;

        for (char *t = strtok_r(buf, ".", &save); o && t; t = strtok_r(NULL, ".", &save)) {
                if (json_object_is_type(o, json_type_array)) {
                        char *end;
                        long i = strtol(t, &end, 10);
                        if (*end || i < 0 || (size_t) i >= json_object_array_length(o))
                                return NULL;
                        o = json_object_array_get_idx(o, (size_t) i);
                } else if (!json_object_object_get_ex(o, t, &o))
                        return NULL;
        }
        return o;
}

static inline const char *fx_get_string(json_object *o, const char *path) {
        json_object *v = fx_get(o, path);
        return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static inline int64_t fx_get_int(json_object *o, const char *path) {
        json_object *v = fx_get(o, path);
        return v && json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : INT64_MIN;
}

static inline bool fx_ok(json_object *reply) {
        json_object *v = fx_get(reply, "ok");
        return v && json_object_get_boolean(v);
}

/* The reply's error errno (positive), 0 when ok or absent. */
static inline int fx_errno(json_object *reply) {
        int64_t e = fx_get_int(reply, "error.errno");
        return e == INT64_MIN ? 0 : (int) e;
}
