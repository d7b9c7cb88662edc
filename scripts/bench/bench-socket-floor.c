/* SPDX-License-Identifier: MIT */

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench-socket-floor.h"
#include "bench.h"

static int write_all(int fd, const char *p, size_t l) {
        while (l > 0) {
                ssize_t n = write(fd, p, l);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                p += n;
                l -= (size_t) n;
        }
        return 0;
}

/* The answering process: a reply per '\n' read, until EOF. */
_Noreturn static void answer(int fd, const char *reply) {
        size_t reply_len = strlen(reply);
        char buf[65536];

        for (;;) {
                ssize_t n = read(fd, buf, sizeof(buf));

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        _exit(n == 0 ? 0 : 1);
                for (const char *p = buf; (p = memchr(p, '\n', (size_t) (buf + n - p))); p++)
                        if (write_all(fd, reply, reply_len) < 0)
                                _exit(1);
        }
}

int socket_floor_start(socket_floor *f, const char *reply) {
        int sv[2];

        if (!reply || !*reply || reply[strlen(reply) - 1] != '\n')
                return -EINVAL;
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                return -errno;
        f->pid = fork();
        if (f->pid < 0) {
                int r = -errno;

                (void) close(sv[0]);
                (void) close(sv[1]);
                return r;
        }
        if (f->pid == 0) {
                (void) close(sv[0]);
                answer(sv[1], reply);
        }
        (void) close(sv[1]);
        f->fd = sv[0];
        return 0;
}

void socket_floor_stop(socket_floor *f) {
        uint64_t deadline = bench_deadline(BENCH_STEP_TIMEOUT_MSEC);

        if (f->fd >= 0)
                (void) close(f->fd);
        f->fd = -1;
        if (f->pid <= 0)
                return;
        while (waitpid(f->pid, NULL, WNOHANG) != f->pid) {
                if (bench_now_nsec() >= deadline) {
                        (void) kill(f->pid, SIGKILL);
                        (void) waitpid(f->pid, NULL, 0);
                        break;
                }
                (void) usleep(1000);
        }
        f->pid = 0;
}

int bench_proc_cpu(pid_t pid, uint64_t *ret_ns, uint64_t *ret_slices) {
        char path[64];
        uint64_t ns = 0, slices = 0;
        struct dirent *de;
        DIR *d;

        snprintf(path, sizeof(path), "/proc/%d/task", (int) pid);
        d = opendir(path);
        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                unsigned long long run, wait, n;
                char file[384];
                FILE *s;

                if (de->d_name[0] == '.')
                        continue;
                snprintf(file, sizeof(file), "%s/%s/schedstat", path, de->d_name);
                s = fopen(file, "re");
                if (!s)
                        continue; /* the thread just ended */
                if (fscanf(s, "%llu %llu %llu", &run, &wait, &n) == 3) {
                        ns += run;
                        slices += n;
                }
                fclose(s);
        }
        closedir(d);
        if (ns == 0)
                return -EOPNOTSUPP;
        *ret_ns = ns;
        *ret_slices = slices;
        return 0;
}
