/* SPDX-License-Identifier: MIT */
#pragma once

/* A real processhubd for a test: started with a temporary socket and state
 * directory and one hub (no config file), waited for until it answers,
 * stopped by its pid (SIGTERM, then SIGKILL after a bounded wait) and its
 * directory removed, also when the test failed (the teardown runs then
 * too; a test that aborts still gets the kill from an atexit handler). */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
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

#ifndef PROCESSHUBD_PATH
#error "PROCESSHUBD_PATH must name the processhubd program"
#endif

typedef struct test_daemon {
        pid_t pid;
        char dir[64];
        char socket_path[96];
        char state_dir[96];
        char log_path[96];
        char hub[64];
} test_daemon;

static test_daemon *test_daemon_current;

static inline void test_daemon_sleep_ms(unsigned ms) {
        struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long) (ms % 1000) * 1000000L };
        nanosleep(&ts, NULL);
}

static inline bool test_daemon_answers(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        bool ok;

        if (fd < 0)
                return false;
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        ok = connect(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0;
        close(fd);
        return ok;
}

/* Stop it: SIGTERM, at most 20 s for the hub to stop its children, then
 * SIGKILL. Idempotent. */
static inline void test_daemon_stop(test_daemon *d) {
        if (d->pid > 0) {
                int status;
                (void) kill(d->pid, SIGTERM);
                for (unsigned i = 0; i < 2000; i++) {
                        if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
                                d->pid = 0;
                                break;
                        }
                        test_daemon_sleep_ms(10);
                }
                if (d->pid > 0) {
                        (void) kill(d->pid, SIGKILL);
                        (void) waitpid(d->pid, &status, 0);
                        d->pid = 0;
                }
        }
        if (d->dir[0]) {
                char cmd[160];
                /* The directory holds a socket, a log and the state dir. */
                snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", d->dir);
                if (system(cmd) != 0)
                        fprintf(stderr, "could not remove %s\n", d->dir);
                d->dir[0] = '\0';
        }
        if (test_daemon_current == d)
                test_daemon_current = NULL;
}

static inline void test_daemon_atexit(void) {
        if (test_daemon_current)
                test_daemon_stop(test_daemon_current);
}

/* Start processhubd with hub name hub; 0, or -errno when it did not come
 * up within 10 s (its log is printed then). */
static inline int test_daemon_start(test_daemon *d, const char *hub) {
        static bool atexit_set;

        memset(d, 0, sizeof(*d));
        snprintf(d->dir, sizeof(d->dir), "/tmp/ph-client-test-XXXXXX");
        if (!mkdtemp(d->dir))
                return -errno;
        snprintf(d->socket_path, sizeof(d->socket_path), "%s/processhubd.sock", d->dir);
        snprintf(d->state_dir, sizeof(d->state_dir), "%s/state", d->dir);
        snprintf(d->log_path, sizeof(d->log_path), "%s/log", d->dir);
        snprintf(d->hub, sizeof(d->hub), "%s", hub);
        if (!atexit_set) {
                atexit(test_daemon_atexit);
                atexit_set = true;
        }
        test_daemon_current = d;

        d->pid = fork();
        if (d->pid < 0)
                return -errno;
        if (d->pid == 0) {
                int fd = open(d->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
                if (fd >= 0) {
                        dup2(fd, STDOUT_FILENO);
                        dup2(fd, STDERR_FILENO);
                }
                unsetenv("NOTIFY_SOCKET");
                execl(PROCESSHUBD_PATH, "processhubd", "--no-config", "--socket", d->socket_path, "--state-dir",
                      d->state_dir, "--hub", d->hub, (char *) NULL);
                _exit(127);
        }
        for (unsigned i = 0; i < 1000; i++) {
                int status;
                if (test_daemon_answers(d->socket_path))
                        return 0;
                if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
                        d->pid = 0;
                        break;
                }
                test_daemon_sleep_ms(10);
        }
        char cmd[160];
        snprintf(cmd, sizeof(cmd), "cat '%s' >&2", d->log_path);
        if (system(cmd) != 0)
                fprintf(stderr, "no log at %s\n", d->log_path);
        test_daemon_stop(d);
        return -ETIMEDOUT;
}

/* Whether pid runs in the hub's cgroup: its /proc/PID/cgroup names
 * "<hub>.hub/" (in the cgroup2 line or a v1 one). */
static inline bool test_pid_in_hub_cgroup(pid_t pid, const char *hub) {
        char path[64], line[1024], needle[128];
        bool found = false;
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%d/cgroup", (int) pid);
        snprintf(needle, sizeof(needle), "/%s.hub/", hub);
        f = fopen(path, "re");
        if (!f)
                return false;
        while (!found && fgets(line, sizeof(line), f))
                found = strstr(line, needle) != NULL;
        fclose(f);
        return found;
}
