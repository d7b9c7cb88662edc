/* SPDX-License-Identifier: MIT */
/* Small file helpers for cgroup file systems: whole-file reads, one-write
 * writes (the kernel parses each write(2) on its own), keyed files,
 * cgroup.procs, and the directory walks that kill, wait and remove. */

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cgroup-internal.h"
#include "log.h"
#include "time-util.h"

static void closedirp(DIR **d) {
        if (*d)
                (void) closedir(*d);
}

size_t cg_path_join_to(char *buf, size_t size, const char *a, const char *b) {
        size_t la, lb, n;

        assert(a);
        assert(b);

        la = strlen(a);
        while (la > 0 && a[la - 1] == '/')
                la--;
        while (*b == '/')
                b++;
        lb = strlen(b);

        /* a joined with "" is a without its trailing '/' ("/" stays "/") */
        n = lb == 0 && la > 0 ? la : la + 1 + lb;
        if (n >= size)
                return n;
        memcpy(buf, a, la);
        buf[la] = '/';
        memcpy(buf + la + 1, b, lb);
        buf[n] = '\0';
        return n;
}

char *cg_path_join(const char *a, const char *b) {
        size_t n = cg_path_join_to(NULL, 0, a, b);
        char *p;

        p = malloc(n + 1);
        if (!p)
                return NULL;
        (void) cg_path_join_to(p, n + 1, a, b);
        return p;
}

int cg_read_file(const char *path, char **ret) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, allocated = 0;

        assert(path);
        assert(ret);

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;

        for (;;) {
                ssize_t n;

                if (allocated - size < 2) {
                        size_t a = allocated ? allocated * 2 : 4096;
                        char *b;

                        /* cgroup.procs of a big group is the largest file we
                         * read; 64 MiB is far beyond any sane one. */
                        if (a > 64U * 1024 * 1024)
                                return -EFBIG;
                        b = realloc(buf, a);
                        if (!b)
                                return -ENOMEM;
                        buf = b;
                        allocated = a;
                }

                n = read(fd, buf + size, allocated - size - 1);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                size += (size_t) n;
        }

        if (!buf) {
                buf = strdup("");
                if (!buf)
                        return -ENOMEM;
        } else
                buf[size] = '\0';

        *ret = TAKE_PTR(buf);
        return 0;
}

int cg_write_file(const char *path, const char *value) {
        _cleanup_close_ int fd = -EBADF;
        size_t l;
        ssize_t n;

        assert(path);
        assert(value);

        fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;

        l = strlen(value);
        do
                n = write(fd, value, l);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        if ((size_t) n != l)
                return -EIO;
        return 0;
}

int cg_read_attr(const char *dir, const char *file, char **ret) {
        _cleanup_free_ char *p = NULL;

        p = cg_path_join(dir, file);
        if (!p)
                return -ENOMEM;
        return cg_read_file(p, ret);
}

int cg_write_attr(const char *dir, const char *file, const char *value) {
        _cleanup_free_ char *p = NULL;
        int r;

        p = cg_path_join(dir, file);
        if (!p)
                return -ENOMEM;
        r = cg_write_file(p, value);
        if (r < 0)
                log_debug("cgroup: writing \"%s\" to %s failed: %s", value, p, strerror(-r));
        return r;
}

/* "key value" lines (cgroup.events, memory.events, memory.oom_control).
 * -ENODATA for a missing key. */
int cg_parse_keyed_u64(const char *s, const char *key, uint64_t *ret) {
        size_t kl = strlen(key);

        assert(s);
        assert(ret);

        for (const char *l = s; l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
                uint64_t v;
                char *end;

                if (strncmp(l, key, kl) != 0 || l[kl] != ' ')
                        continue;
                errno = 0;
                v = strtoull(l + kl + 1, &end, 10);
                if (errno != 0 || end == l + kl + 1 || (*end != '\n' && *end != '\0'))
                        return -EBADMSG;
                *ret = v;
                return 0;
        }
        return -ENODATA;
}

/* -ENOENT for a missing file, -ENODATA for a missing key. The keyed files
 * are a few short lines, and the kernel hands such a file over in one
 * read(): on the stack, without allocating (adoption reads one per child). */
int cg_read_keyed_u64_at(int dirfd, const char *dir, const char *file, const char *key, uint64_t *ret) {
        _cleanup_close_ int fd = -EBADF;
        char path[PATH_MAX], buf[1024];
        ssize_t n;

        if (snprintf(path, sizeof path, "%s/%s", dir, file) >= (int) sizeof path)
                return -ENAMETOOLONG;
        fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        do
                n = read(fd, buf, sizeof buf - 1);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        if ((size_t) n == sizeof buf - 1)
                return -EFBIG;
        buf[n] = '\0';
        return cg_parse_keyed_u64(buf, key, ret);
}

int cg_read_keyed_u64(const char *dir, const char *file, const char *key, uint64_t *ret) {
        return cg_read_keyed_u64_at(AT_FDCWD, dir, file, key, ret);
}

int cg_read_pids(const char *dir, pid_t **ret, size_t *ret_n) {
        _cleanup_free_ char *s = NULL;
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0, allocated = 0;
        int r;

        assert(ret);
        assert(ret_n);

        r = cg_read_attr(dir, "cgroup.procs", &s);
        if (r < 0)
                return r;

        for (char *l = s, *end; *l; l = end) {
                long v;

                errno = 0;
                v = strtol(l, &end, 10);
                if (errno != 0 || end == l || v <= 0 || (*end != '\n' && *end != '\0'))
                        return -EBADMSG;
                if (*end == '\n')
                        end++;

                if (n == allocated) {
                        size_t a = allocated ? allocated * 2 : 16;
                        pid_t *b = reallocarray(pids, a, sizeof *pids);

                        if (!b)
                                return -ENOMEM;
                        pids = b;
                        allocated = a;
                }
                pids[n++] = (pid_t) v;
        }

        *ret = TAKE_PTR(pids);
        *ret_n = n;
        return 0;
}

/* 1 directory, 0 missing, -ENOTDIR something else. */
int cg_is_dir(const char *path) {
        struct stat st;

        if (stat(path, &st) < 0)
                return errno == ENOENT ? 0 : -errno;
        return S_ISDIR(st.st_mode) ? 1 : -ENOTDIR;
}

/* 1 when dir has a subdirectory (a child cgroup), 0 when not or missing. */
int cg_has_subdirs(const char *dir) {
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;

        d = opendir(dir);
        if (!d)
                return errno == ENOENT ? 0 : -errno;

        while ((errno = 0, de = readdir(d)))
                if (de->d_type == DT_DIR && strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                        return 1;
        return errno > 0 ? -errno : 0;
}

/* 1 created, 0 it was there already. */
int cg_mkdir(const char *path) {
        int r;

        if (mkdir(path, 0755) >= 0)
                return 1;
        if (errno != EEXIST)
                return -errno;
        r = cg_is_dir(path);
        if (r < 0)
                return r;
        return r > 0 ? 0 : -ENOENT; /* vanished meanwhile */
}

/* Missing is fine: removal is idempotent. */
int cg_rmdir(const char *path) {
        if (rmdir(path) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}

/* Depth first: a cgroup directory can only go once its children are gone. */
int cg_rmdir_recursive(const char *dir) {
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;
        int r = 0;

        d = opendir(dir);
        if (!d)
                return errno == ENOENT ? 0 : -errno;

        while ((errno = 0, de = readdir(d))) {
                _cleanup_free_ char *sub = NULL;
                int q;

                if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                sub = cg_path_join(dir, de->d_name);
                if (!sub)
                        return -ENOMEM;
                q = cg_rmdir_recursive(sub);
                if (q < 0 && r >= 0)
                        r = q;
        }
        if (errno > 0 && r >= 0)
                r = -errno;

        if (rmdir(dir) < 0 && errno != ENOENT) {
                log_debug("cgroup: rmdir %s failed: %m", dir);
                if (r >= 0)
                        r = -errno;
        }
        return r;
}

/* 1 when no process is in dir or below it (v1 has no cgroup.events). */
int cg_procs_recursive_empty(const char *dir) {
        _cleanup_(closedirp) DIR *d = NULL;
        _cleanup_free_ pid_t *pids = NULL;
        struct dirent *de;
        size_t n;
        int r;

        r = cg_read_pids(dir, &pids, &n);
        if (r == -ENOENT)
                return 1;
        if (r < 0)
                return r;
        if (n > 0)
                return 0;

        d = opendir(dir);
        if (!d)
                return errno == ENOENT ? 1 : -errno;
        while ((errno = 0, de = readdir(d))) {
                _cleanup_free_ char *sub = NULL;

                if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                sub = cg_path_join(dir, de->d_name);
                if (!sub)
                        return -ENOMEM;
                r = cg_procs_recursive_empty(sub);
                if (r <= 0)
                        return r;
        }
        return errno > 0 ? -errno : 1;
}

typedef struct pid_set {
        pid_t *pids;
        size_t n;
} pid_set;

static void pid_set_done(pid_set *s) {
        free(s->pids);
        *s = (pid_set) {};
}

static bool pid_set_contains(const pid_set *s, pid_t pid) {
        for (size_t i = 0; i < s->n; i++)
                if (s->pids[i] == pid)
                        return true;
        return false;
}

static int pid_set_add(pid_set *s, pid_t pid) {
        pid_t *p = reallocarray(s->pids, s->n + 1, sizeof *p);

        if (!p)
                return -ENOMEM;
        s->pids = p;
        s->pids[s->n++] = pid;
        return 0;
}

/* One round: SIGKILL every process listed in dir and below that was not
 * signalled yet; *n_new counts them. The pids come from cgroup.procs of
 * groups only we create, the same trade-off as systemd's cg_kill(). */
static int kill_round(const char *dir, pid_set *killed, unsigned *n_new) {
        _cleanup_(closedirp) DIR *d = NULL;
        _cleanup_free_ pid_t *pids = NULL;
        struct dirent *de;
        size_t n;
        int r;

        r = cg_read_pids(dir, &pids, &n);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                if (pid_set_contains(killed, pids[i]))
                        continue;
                if (kill(pids[i], SIGKILL) < 0 && errno != ESRCH)
                        return -errno;
                r = pid_set_add(killed, pids[i]);
                if (r < 0)
                        return r;
                (*n_new)++;
        }

        d = opendir(dir);
        if (!d)
                return errno == ENOENT ? 0 : -errno;
        while ((errno = 0, de = readdir(d))) {
                _cleanup_free_ char *sub = NULL;

                if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                sub = cg_path_join(dir, de->d_name);
                if (!sub)
                        return -ENOMEM;
                r = kill_round(sub, killed, n_new);
                if (r < 0)
                        return r;
        }
        return errno > 0 ? -errno : 0;
}

static void sleep_usec(uint64_t usec) {
        struct timespec ts = {
                .tv_sec = (time_t) (usec / USEC_PER_SEC),
                .tv_nsec = (long) ((usec % USEC_PER_SEC) * NSEC_PER_USEC),
        };

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

/* The loop for kernels without cgroup.kill (and for v1): kill what is
 * listed until a round finds nobody new. A process that forked before its
 * SIGKILL landed shows its child in a later round; once SIGKILL is pending
 * fork() fails, so this ends after a few rounds. Killed processes stay
 * listed until they have exited: waiting for that is the caller's business
 * (cgroup.events, cg_wait_v1_empty()). -EBUSY when the rounds run out. */
int cg_kill_recursive(const char *dir) {
        _cleanup_(pid_set_done) pid_set killed = {};

        for (unsigned round = 0; round < CGROUP_KILL_ROUNDS_MAX; round++) {
                unsigned n_new = 0;
                int r;

                r = kill_round(dir, &killed, &n_new);
                if (r < 0)
                        return r;
                if (n_new == 0)
                        return 0;
                if (round > 0)
                        sleep_usec(1000);
        }
        return -EBUSY;
}

int cg_wait_v1_empty(const char *dir, uint64_t timeout_usec) {
        uint64_t deadline = now_usec() + timeout_usec;

        for (;;) {
                int r;

                r = cg_procs_recursive_empty(dir);
                if (r != 0)
                        return r < 0 ? r : 0;
                if (now_usec() >= deadline)
                        return -ETIMEDOUT;
                sleep_usec(2000);
        }
}

/* Wait for "populated 0" on cgroup.events, woken by POLLPRI. Reading the
 * file through the polled fd is what re-arms it. */
int cg_wait_v2_unpopulated(const char *dir, uint64_t timeout_usec) {
        _cleanup_free_ char *p = NULL;
        _cleanup_close_ int fd = -EBADF;
        uint64_t deadline = now_usec() + timeout_usec;

        p = cg_path_join(dir, "cgroup.events");
        if (!p)
                return -ENOMEM;
        fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;

        for (;;) {
                struct pollfd pfd = { .fd = fd, .events = POLLPRI };
                uint64_t populated, now, left_msec;
                char buf[256];
                ssize_t n;
                int r;

                n = pread(fd, buf, sizeof buf - 1, 0);
                if (n < 0)
                        return errno == ENODEV ? 0 : -errno; /* removed meanwhile */
                buf[n] = '\0';
                r = cg_parse_keyed_u64(buf, "populated", &populated);
                if (r < 0)
                        return r;
                if (populated == 0)
                        return 0;

                now = now_usec();
                if (now >= deadline)
                        return -ETIMEDOUT;
                left_msec = (deadline - now + USEC_PER_MSEC - 1) / USEC_PER_MSEC;
                r = poll(&pfd, 1, (int) (left_msec > 1000 ? 1000 : left_msec));
                if (r < 0 && errno != EINTR)
                        return -errno;
        }
}
