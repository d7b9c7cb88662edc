/* SPDX-License-Identifier: MIT */
#pragma once

/* Shared by the cgroup tests that touch the real hierarchies: the subtree
 * they work in, the top-level names they used (purged at group teardown and
 * again at exit, so an assertion that longjmps out of a test leaves nothing
 * behind), spawning a real process into a group with clone3, and small file
 * helpers. Every wait is bounded; only processes spawned here are killed. */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "cgroup-internal.h"
#include "cgroup.h"
#include "helpers.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#define TEST_WAIT_MSEC 5000

static cgroup_subtree *test_subtree;
static char test_names[24][NAME_MAX + 1];
static unsigned test_n_names;

static inline void test_purge_all(void) {
        if (!test_subtree)
                return;
        for (unsigned i = 0; i < test_n_names; i++) {
                int r = cgroup_subtree_purge(test_subtree, test_names[i]);

                if (r < 0)
                        fprintf(stderr, "purge of %s failed: %s\n", test_names[i], strerror(-r));
        }
}

static inline void test_atexit_purge(void) {
        test_purge_all();
        test_subtree = cgroup_subtree_free(test_subtree);
}

/* Discover, open the subtree, register the exit purge. */
static inline void test_open_subtree(void) {
        cgroup_hierarchy *h = NULL;
        int r;

        test_require_root();
        test_require_cgroup2();

        r = cgroup_hierarchy_discover(&h);
        if (r < 0)
                test_skip("cgroup discovery failed: %s", strerror(-r));
        r = cgroup_subtree_open(h, &test_subtree);
        cgroup_hierarchy_free(h);
        if (r < 0)
                test_skip("cannot open our cgroup subtree: %s", strerror(-r));
        atexit(test_atexit_purge);
        /* grandchildren of our spawns come back to us to be reaped */
        (void) prctl(PR_SET_CHILD_SUBREAPER, 1);
}

/* A top-level name unique to this process ("<prefix>-<pid><suffix>"),
 * registered for the purges. */
static inline const char *test_top_name_suffix(const char *prefix, const char *suffix) {
        char *name = NULL;

        assert_int_equal(cgroup_escape_name(test_unique_name(prefix), suffix, &name), 0);
        assert_true(test_n_names < ELEMENTSOF(test_names));
        assert_true(strlen(name) <= NAME_MAX);
        strcpy(test_names[test_n_names], name);
        free(name);
        return test_names[test_n_names++];
}

static inline const char *test_top_name(const char *prefix) {
        return test_top_name_suffix(prefix, ".hub");
}

static inline char *test_read(const char *dir, const char *file) {
        char *s = NULL;
        int r;

        r = cg_read_attr(dir, file, &s);
        if (r < 0)
                return NULL;
        s[strcspn(s, "\n")] = '\0';
        return s;
}

static inline void test_assert_file(const char *dir, const char *file, const char *expected) {
        char *s = test_read(dir, file);

        if (!s)
                fail_msg("cannot read %s/%s", dir, file);
        if (strcmp(s, expected) != 0)
                fail_msg("%s/%s is \"%s\", expected \"%s\"", dir, file, s, expected);
        free(s);
}

static inline bool test_is_dir(const char *path) {
        return cg_is_dir(path) > 0;
}

/* The path of /proc/<pid>/cgroup's line for a v1 controller ("memory",
 * also inside a co-mounted "cpu,cpuacct"), or for v2 with "". */
static inline char *test_proc_cgroup(pid_t pid, const char *v1_name) {
        char path[64], *s = NULL, *result = NULL, *save = NULL;
        size_t vl = strlen(v1_name);

        snprintf(path, sizeof path, "/proc/%d/cgroup", (int) pid);
        if (cg_read_file(path, &s) < 0)
                return NULL;
        for (char *l = strtok_r(s, "\n", &save); l && !result; l = strtok_r(NULL, "\n", &save)) {
                char *ctrls = strchr(l, ':'), *p;

                if (!ctrls)
                        continue;
                ctrls++;
                p = strchr(ctrls, ':');
                if (!p)
                        continue;
                *p++ = '\0';
                if (vl == 0) {
                        if (ctrls[0] == '\0')
                                result = strdup(p);
                        continue;
                }
                for (const char *c = ctrls; *c;) {
                        size_t n = strcspn(c, ",");

                        if (n == vl && strncmp(c, v1_name, vl) == 0) {
                                result = strdup(p);
                                break;
                        }
                        c += n;
                        if (*c == ',')
                                c++;
                }
        }
        free(s);
        return result;
}

typedef struct test_child {
        pid_t pid;
        int pidfd;
} test_child;

/* clone3 into g the way the supervisor spawns: into the v2 group through
 * CLONE_INTO_CGROUP, then the new process joins the v1 groups itself.
 * Returns as fork() does: pid 0 in the new process (attached, to end with
 * _exit()), its pid and pidfd here. */
static inline test_child test_clone_into(const cgroup_group *g) {
        cgroup_spawn_fds f = { .v2_dir = -EBADF };
        struct clone_args args = {};
        int pidfd = -EBADF;
        long pid;

        assert_int_equal(cgroup_group_open_spawn_fds(g, &f), 0);
        args.flags = CLONE_INTO_CGROUP | CLONE_PIDFD;
        args.pidfd = (uint64_t) (uintptr_t) &pidfd;
        args.exit_signal = SIGCHLD;
        args.cgroup = (uint64_t) f.v2_dir;

        pid = syscall(SYS_clone3, &args, sizeof args);
        if (pid == 0) {
                if (cgroup_spawn_fds_attach_v1(&f) < 0)
                        _exit(EXIT_FAILURE);
                return (test_child) { .pid = 0, .pidfd = -EBADF };
        }
        assert_true(pid > 0);
        cgroup_spawn_fds_close(&f);
        return (test_child) { .pid = (pid_t) pid, .pidfd = pidfd };
}

/* Spawn a process into g (test_clone_into()). It forks n_forks
 * grandchildren, reports readiness through a pipe and pauses. */
static inline test_child test_spawn(const cgroup_group *g, unsigned n_forks) {
        struct pollfd pfd;
        test_child child;
        int pipefd[2];
        char c;

        assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
        child = test_clone_into(g);
        if (child.pid == 0) {
                for (unsigned i = 0; i < n_forks; i++) {
                        pid_t p = fork();

                        if (p == 0)
                                for (;;)
                                        pause();
                        if (p < 0)
                                _exit(EXIT_FAILURE);
                }
                if (write(pipefd[1], "r", 1) != 1)
                        _exit(EXIT_FAILURE);
                for (;;)
                        pause();
        }
        close(pipefd[1]);

        pfd = (struct pollfd) { .fd = pipefd[0], .events = POLLIN };
        assert_int_equal(poll(&pfd, 1, TEST_WAIT_MSEC), 1);
        assert_int_equal(read(pipefd[0], &c, 1), 1);
        close(pipefd[0]);
        return child;
}

/* Reap a child we killed, bounded; returns the signal that ended it. */
static inline int test_reap(test_child *c) {
        struct pollfd pfd = { .fd = c->pidfd, .events = POLLIN };
        siginfo_t si = {};

        assert_int_equal(poll(&pfd, 1, TEST_WAIT_MSEC), 1);
        assert_int_equal(waitid((idtype_t) P_PIDFD, (id_t) c->pidfd, &si, WEXITED), 0);
        close(c->pidfd);
        c->pidfd = -EBADF;
        c->pid = 0;
        return si.si_code == CLD_KILLED ? si.si_status : 0;
}

/* Kill by pidfd (only our own children) and reap. */
static inline void test_kill_child(test_child *c) {
        if (c->pidfd < 0)
                return;
        (void) syscall(SYS_pidfd_send_signal, c->pidfd, SIGKILL, NULL, 0);
        (void) test_reap(c);
}

/* Reap whatever came back to us (grandchildren of killed spawns), bounded;
 * call once every tracked child is reaped. */
static inline void test_reap_orphans(void) {
        for (unsigned i = 0; i < TEST_WAIT_MSEC / 10; i++) {
                pid_t p = waitpid(-1, NULL, WNOHANG | __WALL);

                if (p < 0)
                        return; /* ECHILD: none left */
                if (p == 0)
                        (void) poll(NULL, 0, 10);
        }
}

static inline const cgroup_hierarchy *test_hierarchy(void) {
        return cgroup_subtree_hierarchy(test_subtree);
}

/* Whether policies for c can be applied here: on v1 when the hierarchy is
 * there; on v2 when it is enabled in <own>/cgroup.subtree_control, which the
 * kernel refuses while other processes (the shell or meson that started us,
 * on a pure v2 host) stay in <own>: then the test leaves c out and says so. */
static inline bool test_has(cgroup_controller c) {
        const char *name = cgroup_controller_to_string(c);
        bool found = false;
        char *s;

        switch (test_hierarchy()->backend[c]) {
        case CGROUP_BACKEND_V1:
                return true;
        case CGROUP_BACKEND_V2:
                s = test_read(test_subtree->v2_own_dir, "cgroup.subtree_control");
                for (const char *p = s; p && *p;) {
                        size_t n = strcspn(p, " ");

                        if (n == strlen(name) && strncmp(p, name, n) == 0)
                                found = true;
                        p += n;
                        p += strspn(p, " ");
                }
                free(s);
                if (!found)
                        fprintf(stderr, "%s is in cgroup2 but could not be enabled in %s, not tested\n", name,
                                test_subtree->v2_own_dir);
                return found;
        default:
                return false;
        }
}

/* Expected path of g in the v1 hierarchy of c, as /proc/<pid>/cgroup
 * shows it. */
static inline char *test_v1_proc_path(const cgroup_group *g, cgroup_controller c) {
        return cg_path_join(test_hierarchy()->v1_own[c], cgroup_group_rel(g));
}

/* pid is in g's directory in the v1 hierarchy of c, says /proc/<pid>/cgroup. */
static inline void test_assert_in_v1(pid_t pid, const cgroup_group *g, cgroup_controller c) {
        char *path = test_proc_cgroup(pid, cgroup_controller_to_v1_string(c)), *expected = test_v1_proc_path(g, c);

        assert_non_null(path);
        assert_string_equal(path, expected);
        free(path);
        free(expected);
}

/* g's v1 directory for c, NULL when c is not on v1: in one of a few
 * rotating buffers, enough for the comparisons of one assertion. */
static inline const char *test_v1_dir(const cgroup_group *g, cgroup_controller c) {
        static char buf[4][PATH_MAX];
        static unsigned next;

        return cgroup_group_v1_dir(g, c, buf[next++ % ELEMENTSOF(buf)]);
}
