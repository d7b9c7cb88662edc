/* SPDX-License-Identifier: MIT */
#pragma once

/* Network namespaces for the network tests of kernel_bpf/.
 *
 * The tests build their "hosts" as anonymous network namespaces made with
 * unshare(CLONE_NEWNET) and held by open fds: they have no name under
 * /run/netns, nothing else on the machine can reach them, and the kernel
 * removes them with every interface in them when the test process ends,
 * however it ends (assertion, signal, SIGKILL). Interfaces are veth pairs
 * between the test's own namespaces; addresses come from 198.18.0.0/15
 * (benchmarking) and fd00::/8 (unique local), chosen from the pid. */

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "time-util.h"

/* Run a shell command in the current network namespace (or in ns_fd's when
 * ns_fd >= 0); returns its exit status, or -1. Output goes to stderr. */
__attribute__((format(printf, 2, 3))) static inline int netns_run(int ns_fd, const char *fmt, ...) {
        char cmd[512];
        va_list ap;
        pid_t pid;
        int status;

        va_start(ap, fmt);
        vsnprintf(cmd, sizeof cmd, fmt, ap);
        va_end(ap);

        pid = fork();
        if (pid < 0)
                return -1;
        if (pid == 0) {
                if (ns_fd >= 0 && setns(ns_fd, CLONE_NEWNET) < 0)
                        _exit(126);
                (void) dup2(STDERR_FILENO, STDOUT_FILENO);
                execl("/bin/sh", "sh", "-c", cmd, (char *) NULL);
                _exit(127);
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Move the calling process into a new, empty network namespace and return
 * an fd for it (O_CLOEXEC), or -errno. */
static inline int netns_new(void) {
        if (unshare(CLONE_NEWNET) < 0)
                return -errno;
        int fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
}

static inline uint64_t netns_inode(int ns_fd) {
        struct stat st;

        return fstat(ns_fd, &st) < 0 ? 0 : (uint64_t) st.st_ino;
}

/* Skip (exit 77) unless we are root, `ip` runs, and veth pairs can be made
 * in a namespace of our own. Leaves the process in a fresh namespace and
 * returns its fd. */
static inline int netns_require(void) {
        int fd;

        if (geteuid() != 0)
                test_skip("needs root (network namespaces, veth, BPF)");
        if (netns_run(-1, "ip -V >/dev/null 2>&1") != 0)
                test_skip("needs iproute2 (`ip`)");
        fd = netns_new();
        if (fd < 0)
                test_skip("cannot create a network namespace: %s", strerror(-fd));
        if (netns_run(-1, "ip link add phtst0 type veth peer name phtst1 2>/dev/null && ip link del phtst0") != 0)
                test_skip("cannot create veth pairs (no veth in this kernel?)");
        if (netns_run(-1, "ip link set lo up") != 0)
                test_skip("cannot bring lo up in a namespace");
        return fd;
}

/* Wait until pred(arg) or deadline, running the loop in 10 ms slices. */
#define NETNS_WAIT(l, cond, timeout_usec)                                        \
        ({                                                                       \
                uint64_t _deadline_ = now_usec() + (timeout_usec);               \
                while (!(cond) && now_usec() < _deadline_)                       \
                        (void) loop_run_once((l), 10 * USEC_PER_MSEC);           \
                (cond);                                                          \
        })
