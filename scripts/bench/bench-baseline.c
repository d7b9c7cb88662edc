/* SPDX-License-Identifier: MIT */

/* The hand-written baseline supervisor: see bench-baseline.h for what it
 * does and, on purpose, does not do. */

#include <dirent.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench-baseline.h"
#include "bench.h"
#include "macros.h"

/* glibc has P_PIDFD only as an enumerator of idtype_t: the kernel's number. */
#define BASELINE_P_PIDFD 3
/* poll() this many exec-status pipes at a time (a fixed array, no VLA). */
#define BASELINE_POLL_CHUNK 256

struct baseline {
        char *path;   /* the group's v2 directory */
        int dir_fd;
        char *argv[2]; /* { program, NULL } */
        /* Readiness, when enabled: one datagram socket for all children,
         * handed to them as NOTIFY_SOCKET in envp (environ plus that). */
        int notify_fd;
        char **envp;
        char *notify_env;
};

const char *baseline_path(const baseline *b) {
        return b ? b->path : NULL;
}

static int remaining_msec(uint64_t deadline) {
        uint64_t now = bench_now_nsec();
        uint64_t left;

        if (now >= deadline)
                return 0;
        left = (deadline - now + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC;
        return left < BENCH_SLICE_MSEC ? (int) left : BENCH_SLICE_MSEC;
}

static int write_file_at(int dir_fd, const char *path, const char *value) {
        _cleanup_close_ int fd = openat(dir_fd, path, O_WRONLY | O_CLOEXEC);
        size_t l = strlen(value);

        if (fd < 0)
                return -errno;
        if (write(fd, value, l) != (ssize_t) l)
                return errno > 0 ? -errno : -EIO;
        return 0;
}

/* 1 when cgroup.events says "populated 1", 0 when not. */
static int read_populated(int events_fd) {
        char buf[256];
        ssize_t n = pread(events_fd, buf, sizeof(buf) - 1, 0);
        const char *p;

        if (n < 0)
                return -errno;
        buf[n] = '\0';
        p = strstr(buf, "populated ");
        if (!p)
                return -EBADMSG;
        return p[strlen("populated ")] == '1';
}

/* Kill everything in the group at dir_fd and wait, bounded, until it is
 * empty. */
static int kill_and_wait_empty(int dir_fd, unsigned timeout_msec) {
        _cleanup_close_ int events = openat(dir_fd, "cgroup.events", O_RDONLY | O_CLOEXEC);
        uint64_t deadline = bench_deadline(timeout_msec);
        int r;

        if (events < 0)
                return -errno;
        r = write_file_at(dir_fd, "cgroup.kill", "1");
        if (r < 0)
                return r;
        /* Not cut short by an interruption: this is the cleanup. */
        for (;;) {
                struct pollfd p = { .fd = events, .events = POLLPRI };

                r = read_populated(events);
                if (r <= 0)
                        return r;
                if (bench_now_nsec() >= deadline)
                        return -ETIMEDOUT;
                (void) poll(&p, 1, BENCH_SLICE_MSEC);
        }
}

/* rmdir with a bounded retry: a leaf whose last process has just been
 * reaped can stay busy for a moment. */
static int remove_leaf(int dir_fd, const char *name, uint64_t deadline) {
        for (;;) {
                if (unlinkat(dir_fd, name, AT_REMOVEDIR) >= 0 || errno == ENOENT)
                        return 0;
                if (errno != EBUSY || bench_now_nsec() >= deadline)
                        return -errno;
                (void) usleep(1000);
        }
}

static int purge_group(int dir_fd) {
        _cleanup_close_ int list_fd = -EBADF;
        uint64_t deadline;
        struct dirent *de;
        DIR *d;
        int r, q;

        r = kill_and_wait_empty(dir_fd, 5000);
        deadline = bench_deadline(5000);

        list_fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (list_fd < 0)
                return -errno;
        d = fdopendir(list_fd);
        if (!d)
                return -errno;
        TAKE_FD(list_fd);
        while ((de = readdir(d))) {
                if (de->d_type != DT_DIR || de->d_name[0] == '.')
                        continue;
                q = remove_leaf(dir_fd, de->d_name, deadline);
                if (q < 0 && r >= 0)
                        r = q;
        }
        closedir(d);
        return r;
}

static void raise_nofile(void) {
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= rl.rlim_max)
                return;
        rl.rlim_cur = rl.rlim_max;
        (void) setrlimit(RLIMIT_NOFILE, &rl);
}

int baseline_new(const char *parent_dir, const char *name, const char *program, baseline **ret) {
        _cleanup_free_ baseline *b = NULL;
        _cleanup_free_ char *path = NULL, *argv0 = NULL;
        int fd;

        assert_return(parent_dir && name && program && ret, -EINVAL);

        if (asprintf(&path, "%s/%s", parent_dir, name) < 0)
                return -ENOMEM;
        argv0 = strdup(program);
        b = calloc(1, sizeof(*b));
        if (!argv0 || !b)
                return -ENOMEM;

        if (mkdir(path, 0755) < 0) {
                if (errno != EEXIST)
                        return -errno;
                /* Left by an earlier run whose pid we now have. */
                fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0)
                        return -errno;
                (void) purge_group(fd);
                fd = safe_close(fd);
        }
        b->notify_fd = -EBADF;
        b->dir_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (b->dir_fd < 0) {
                int r = -errno;
                (void) rmdir(path);
                return r;
        }
        raise_nofile();

        b->path = TAKE_PTR(path);
        b->argv[0] = TAKE_PTR(argv0);
        *ret = TAKE_PTR(b);
        return 0;
}

baseline *baseline_free(baseline *b) {
        if (!b)
                return NULL;
        if (b->dir_fd >= 0) {
                (void) purge_group(b->dir_fd);
                b->dir_fd = safe_close(b->dir_fd);
        }
        if (b->path)
                (void) rmdir(b->path);
        b->notify_fd = safe_close(b->notify_fd);
        free(b->envp);
        free(b->notify_env);
        free(b->path);
        free(b->argv[0]);
        free(b);
        return NULL;
}

int baseline_enable_notify(baseline *b) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -EBADF;
        size_t n = 0, l;
        int rcvbuf = 4 << 20;

        assert_return(b && b->notify_fd < 0, -EINVAL);

        if (asprintf(&b->notify_env, "NOTIFY_SOCKET=@processhub-bench-%d-baseline", (int) getpid()) < 0) {
                b->notify_env = NULL;
                return -ENOMEM;
        }
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        (void) setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
        l = strlen(b->notify_env + strlen("NOTIFY_SOCKET="));
        memcpy(sa.sun_path, b->notify_env + strlen("NOTIFY_SOCKET="), l);
        sa.sun_path[0] = '\0'; /* '@': the abstract namespace */
        if (bind(fd, (struct sockaddr *) &sa, (socklen_t) (offsetof(struct sockaddr_un, sun_path) + l)) < 0)
                return -errno;

        while (environ && environ[n])
                n++;
        b->envp = calloc(n + 2, sizeof(char *));
        if (!b->envp)
                return -ENOMEM;
        for (size_t i = 0, k = 0; i < n; i++)
                if (strncmp(environ[i], "NOTIFY_SOCKET=", 14) != 0)
                        b->envp[k++] = environ[i];
        for (size_t i = 0;; i++)
                if (!b->envp[i]) {
                        b->envp[i] = b->notify_env;
                        break;
                }
        b->notify_fd = TAKE_FD(fd);
        return 0;
}

bool baseline_notify_enabled(const baseline *b) {
        return b && b->notify_fd >= 0;
}

int baseline_wait_ready(baseline *b, size_t n, unsigned timeout_msec) {
        uint64_t deadline = bench_deadline(timeout_msec);
        char buf[64];

        assert_return(b, -EINVAL);
        if (b->notify_fd < 0)
                return 0;
        while (n > 0) {
                struct pollfd p = { .fd = b->notify_fd, .events = POLLIN };
                ssize_t l = recv(b->notify_fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
                int timeout;

                if (l >= 0) {
                        buf[l] = '\0';
                        if (strstr(buf, "READY=1"))
                                n--;
                        continue;
                }
                if (errno != EAGAIN && errno != EINTR)
                        return -errno;
                if (bench_interrupted)
                        return -EINTR;
                timeout = remaining_msec(deadline);
                if (timeout == 0)
                        return -ETIMEDOUT;
                if (poll(&p, 1, timeout) < 0 && errno != EINTR)
                        return -errno;
        }
        return 0;
}

/* clone3 straight into the leaf; the new process only execs. */
static int baseline_clone(baseline *b, int leaf_fd, baseline_child *c) {
        _cleanup_close_ int status_read = -EBADF, status_write = -EBADF;
        int pipefd[2], pidfd = -EBADF;
        struct clone_args args;
        long pid;

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        status_read = pipefd[0];
        status_write = pipefd[1];

        args = (struct clone_args) {
                .flags = CLONE_PIDFD | CLONE_INTO_CGROUP,
                .pidfd = (uint64_t) (uintptr_t) &pidfd,
                .exit_signal = SIGCHLD,
                .cgroup = (uint64_t) leaf_fd,
        };
        pid = syscall(SYS_clone3, &args, sizeof(args));
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                int error;

                execve(b->argv[0], b->argv, b->envp ?: environ);
                error = errno;
                (void) !write(status_write, &error, sizeof(error));
                _exit(127);
        }

        c->pid = (pid_t) pid;
        c->pidfd = pidfd;
        c->status_fd = TAKE_FD(status_read);
        return 0;
}

int baseline_spawn(baseline *b, const char *leaf, bool keep_leaf, baseline_child *c) {
        _cleanup_close_ int leaf_fd = -EBADF;
        int r;

        assert_return(b && leaf && c, -EINVAL);
        assert_return(strlen(leaf) < sizeof(c->leaf), -EINVAL);

        if (mkdirat(b->dir_fd, leaf, 0755) < 0 && errno != EEXIST)
                return -errno;
        leaf_fd = openat(b->dir_fd, leaf, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (leaf_fd < 0) {
                r = -errno;
                (void) unlinkat(b->dir_fd, leaf, AT_REMOVEDIR);
                return r;
        }
        r = baseline_clone(b, leaf_fd, c);
        if (r < 0) {
                (void) unlinkat(b->dir_fd, leaf, AT_REMOVEDIR);
                return r;
        }
        strcpy(c->leaf, leaf);
        if (keep_leaf)
                c->leaf_fd = TAKE_FD(leaf_fd);
        return 0;
}

/* Wait for the end of file on up to BASELINE_POLL_CHUNK pipes at once. */
static int wait_exec_chunk(baseline_child *c, size_t n, uint64_t deadline) {
        struct pollfd p[BASELINE_POLL_CHUNK];
        size_t idx[BASELINE_POLL_CHUNK];
        int r = 0;

        assert(n <= BASELINE_POLL_CHUNK);
        for (;;) {
                size_t k = 0;
                int timeout;

                for (size_t i = 0; i < n; i++)
                        if (c[i].status_fd >= 0) {
                                p[k] = (struct pollfd) { .fd = c[i].status_fd, .events = POLLIN };
                                idx[k++] = i;
                        }
                if (k == 0)
                        return r;
                if (bench_interrupted)
                        return -EINTR;
                timeout = remaining_msec(deadline);
                if (timeout == 0)
                        return -ETIMEDOUT;
                if (poll(p, k, timeout) < 0 && errno != EINTR)
                        return -errno;

                for (size_t j = 0; j < k; j++) {
                        baseline_child *ch = &c[idx[j]];
                        int error;
                        ssize_t l;

                        if (p[j].revents == 0)
                                continue;
                        l = read(ch->status_fd, &error, sizeof(error));
                        if (l < 0 && errno == EINTR)
                                continue;
                        ch->status_fd = safe_close(ch->status_fd);
                        if (l != 0)
                                r = -ECHILD; /* execve() failed: the figures would be void */
                }
        }
}

int baseline_wait_exec(baseline_child *c, size_t n, unsigned timeout_msec) {
        uint64_t deadline = bench_deadline(timeout_msec);
        int r = 0, q;

        assert_return(c || n == 0, -EINVAL);

        for (size_t off = 0; off < n; off += BASELINE_POLL_CHUNK) {
                q = wait_exec_chunk(c + off, n - off < BASELINE_POLL_CHUNK ? n - off : BASELINE_POLL_CHUNK,
                                    deadline);
                if (q == -EINTR || q == -ETIMEDOUT)
                        return q;
                if (q < 0)
                        r = q;
        }
        return r;
}

/* Wait, bounded, for the process behind c->pidfd to end, and reap it. */
static int reap(baseline_child *c, uint64_t deadline, bool interruptible) {
        siginfo_t si;

        for (;;) {
                struct pollfd p = { .fd = c->pidfd, .events = POLLIN };
                int timeout, n;

                if (interruptible && bench_interrupted)
                        return -EINTR;
                timeout = remaining_msec(deadline);
                if (timeout == 0)
                        return -ETIMEDOUT;
                n = poll(&p, 1, timeout);
                if (n < 0 && errno != EINTR)
                        return -errno;
                if (n > 0)
                        break;
        }
        c->exit_seen_nsec = bench_now_nsec();
        memset(&si, 0, sizeof(si));
        if (syscall(SYS_waitid, BASELINE_P_PIDFD, c->pidfd, &si, WEXITED, NULL) < 0)
                return -errno;
        c->pidfd = safe_close(c->pidfd);
        c->pid = 0;
        return 0;
}

int baseline_respawn(baseline *b, baseline_child *c, unsigned timeout_msec) {
        uint64_t deadline = bench_deadline(timeout_msec);
        int r;

        assert_return(b && c && c->pidfd >= 0 && c->leaf_fd >= 0, -EINVAL);

        r = reap(c, deadline, true);
        if (r < 0)
                return r;
        c->status_fd = safe_close(c->status_fd);
        r = baseline_clone(b, c->leaf_fd, c);
        if (r < 0)
                return r;
        r = baseline_wait_exec(c, 1, timeout_msec);
        if (r < 0)
                return r;
        return baseline_wait_ready(b, 1, timeout_msec);
}

int baseline_stop(baseline *b, baseline_child *c, size_t n, unsigned timeout_msec) {
        uint64_t deadline = bench_deadline(timeout_msec);
        char path[64];
        int r = 0, q;

        assert_return(b && (c || n == 0), -EINVAL);

        for (size_t i = 0; i < n; i++) {
                if (c[i].pidfd < 0)
                        continue;
                (void) snprintf(path, sizeof(path), "%s/cgroup.kill", c[i].leaf);
                q = write_file_at(b->dir_fd, path, "1");
                if (q < 0 && r >= 0)
                        r = q;
        }
        for (size_t i = 0; i < n; i++) {
                c[i].status_fd = safe_close(c[i].status_fd);
                c[i].leaf_fd = safe_close(c[i].leaf_fd);
                if (c[i].pidfd >= 0) {
                        q = reap(&c[i], deadline, false);
                        if (q < 0) {
                                if (r >= 0)
                                        r = q;
                                continue;
                        }
                }
                if (c[i].leaf[0]) {
                        q = remove_leaf(b->dir_fd, c[i].leaf, deadline);
                        if (q < 0 && r >= 0)
                                r = q;
                        c[i].leaf[0] = '\0';
                }
        }
        return r;
}

void baseline_child_release(baseline_child *c) {
        if (!c)
                return;
        if (c->pidfd >= 0) {
                siginfo_t si;

                memset(&si, 0, sizeof(si));
                (void) syscall(SYS_waitid, BASELINE_P_PIDFD, c->pidfd, &si, WEXITED | WNOHANG, NULL);
        }
        c->pidfd = safe_close(c->pidfd);
        c->status_fd = safe_close(c->status_fd);
        c->leaf_fd = safe_close(c->leaf_fd);
        c->pid = 0;
        c->leaf[0] = '\0';
}
