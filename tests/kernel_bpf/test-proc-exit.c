/* SPDX-License-Identifier: MIT */

/* The process-exit monitor on real processes in real cgroups: a supervisor
 * runs test children in its hub group, the monitor watches that group, and
 * the kernel's reports are checked against what the children did: a crash
 * by signal, a core dump, an OOM kill, a grandchild's death, and silence
 * for exits outside the hub.
 *
 * Needs root and BPF: where proc_exit_monitor_new() declines (-EOPNOTSUPP:
 * a build with -Dbpf=disabled, no BTF, no privilege) the argument checks
 * still run and the program then exits 77 with the reason. To test the
 * no-BPF build: meson setup DIR -Dbpf=disabled && ninja -C DIR
 * tests/kernel_bpf/test-proc-exit && DIR/tests/kernel_bpf/test-proc-exit
 * (it says "SKIP: ... built without BPF" and exits 77). */

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>

#include "hub/supervisor-fixture.h"
#include "proc-exit-monitor.h"

#ifndef TEST_CHILD_PATH
#error "TEST_CHILD_PATH must name the test-child program"
#endif

#define CHILD(...) ((char *[]) { TEST_CHILD_PATH, __VA_ARGS__, NULL })
/* Run the test child after a pause, in the same process (exec keeps the
 * pid): the test can look at the child's leaf before anything happens. */
#define LATER(...) ((char *[]) { "/bin/sh", "-c", "sleep 0.3; exec \"$0\" \"$@\"", TEST_CHILD_PATH, __VA_ARGS__, NULL })

#define EVENTS_MAX 1024

typedef struct pe_fixture {
        fixture *f;
        int hub_fd;
        proc_exit_monitor *monitor;
        proc_exit_event events[EVENTS_MAX];
        unsigned n_events;
        char pidfile[64]; /* removed by the teardown when set */
        char tmpdir[64];  /* removed with its contents by the teardown when set */
} pe_fixture;

static void on_exit_event(const proc_exit_event *e, void *userdata) {
        pe_fixture *p = userdata;

        if (p->n_events < EVENTS_MAX)
                p->events[p->n_events] = *e;
        p->n_events++;
}

static const proc_exit_event *find_event(const pe_fixture *p, pid_t pid) {
        for (unsigned i = 0; i < p->n_events && i < EVENTS_MAX; i++)
                if (p->events[i].pid == (__u32) pid)
                        return &p->events[i];
        return NULL;
}

/* Remove dir and the files in it (a core file; no subdirectories). */
static void remove_flat_dir(const char *dir) {
        DIR *d = opendir(dir);
        struct dirent *de;

        if (!d)
                return;
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                        (void) unlinkat(dirfd(d), de->d_name, 0);
        closedir(d);
        (void) rmdir(dir);
}

static int pe_teardown(void **state) {
        pe_fixture *p = *state;

        if (!p)
                return 0;
        proc_exit_monitor_free(p->monitor);
        safe_close(p->hub_fd);
        if (p->pidfile[0])
                (void) unlink(p->pidfile);
        fixture_teardown((void **) &p->f);
        if (p->tmpdir[0])
                remove_flat_dir(p->tmpdir);
        free(p);
        return 0;
}

/* The fixture's supervisor, and the monitor on its hub group. r receives
 * proc_exit_monitor_new()'s result, reason its reason. */
static int pe_setup_full(void **state, int *ret_r, const char **ret_reason) {
        pe_fixture *p = calloc(1, sizeof(*p));
        void *inner = NULL;

        assert_non_null(p);
        p->hub_fd = -EBADF;
        *state = p;
        assert_int_equal(fixture_setup(&inner), 0);
        p->f = inner;
        p->hub_fd = open(supervisor_cgroup_path(p->f->sup, (char[PATH_MAX]) {}), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(p->hub_fd >= 0);
        *ret_r = proc_exit_monitor_new(p->f->loop, p->hub_fd, on_exit_event, p, &p->monitor, ret_reason);
        return 0;
}

static int pe_setup(void **state) {
        const char *reason = NULL;
        int r;

        pe_setup_full(state, &r, &reason);
        if (r < 0)
                fail_msg("proc_exit_monitor_new: %s (%s)", strerror(-r), reason ?: "");
        return 0;
}

static uint64_t inode_of(const char *path) {
        struct stat st;

        assert_int_equal(stat(path, &st), 0);
        return st.st_ino;
}

/* Start spec, return its pid and the inode of its leaf. */
static pid_t start_child(pe_fixture *p, const child_spec *spec, uint64_t *ret_leaf) {
        assert_int_equal(fixture_start(p->f, spec, 5000), 0);
        supervisor_child *c = supervisor_find_child(p->f->sup, spec->id);
        assert_non_null(c);
        *ret_leaf = inode_of(supervisor_child_cgroup_path(c, (char[PATH_MAX]) {}));
        return supervisor_child_pid(c);
}

static void test_segfault(void **state) {
        pe_fixture *p = *state;
        child_spec spec;
        uint64_t leaf;

        spec_for(&spec, "crashy", LATER("signal", "11"));
        spec.restart = CHILD_RESTART_TEMPORARY;
        pid_t pid = start_child(p, &spec, &leaf);
        assert_true(RUN_UNTIL(p->f, find_event(p, pid), 5000));

        const proc_exit_event *e = find_event(p, pid);
        assert_int_equal(e->signal, SIGSEGV);
        assert_int_equal(e->exit_code, 0);
        assert_int_equal(e->oom_killed, 0);
        assert_int_equal(e->cgroup_id, leaf);
        assert_int_equal(e->ppid, getpid());
        assert_true(e->timestamp_ns > 0 && e->timestamp_ns <= now_usec() * NSEC_PER_USEC);
        /* comm is the exec'd program's name, truncated to 15 bytes. */
        const char *base = strrchr(TEST_CHILD_PATH, '/') + 1;
        assert_int_equal(strncmp(e->comm, base, PROC_EXIT_COMM_LEN - 1), 0);
        /* Exactly one event for the process. */
        unsigned n = 0;
        for (unsigned i = 0; i < p->n_events; i++)
                n += p->events[i].pid == (__u32) pid;
        assert_int_equal(n, 1);

        uint64_t dropped = UINT64_MAX;
        assert_int_equal(proc_exit_monitor_dropped(p->monitor, &dropped), 0);
        assert_int_equal(dropped, 0);
}

static void test_exit_code(void **state) {
        pe_fixture *p = *state;
        child_spec spec;
        uint64_t leaf;

        spec_for(&spec, "quitter", LATER("exit", "42"));
        spec.restart = CHILD_RESTART_TEMPORARY;
        pid_t pid = start_child(p, &spec, &leaf);
        assert_true(RUN_UNTIL(p->f, find_event(p, pid), 5000));

        const proc_exit_event *e = find_event(p, pid);
        assert_int_equal(e->exit_code, 42);
        assert_int_equal(e->signal, 0);
        assert_int_equal(e->core_dumped, 0);
        assert_int_equal(e->cgroup_id, leaf);
}

/* The pidfd woke, the loop has not run: consume() hands over the record
 * the kernel wrote before the pidfd woke. */
static void test_consume_before_loop(void **state) {
        pe_fixture *p = *state;
        child_spec spec;
        uint64_t leaf;

        spec_for(&spec, "quick", LATER("exit", "7"));
        spec.restart = CHILD_RESTART_TEMPORARY;
        pid_t pid = start_child(p, &spec, &leaf);
        supervisor_child *c = supervisor_find_child(p->f->sup, "quick");
        assert_non_null(c);
        struct pollfd pfd = { .fd = supervisor_child_pidfd(c), .events = POLLIN };
        assert_int_equal(poll(&pfd, 1, 5000), 1);
        assert_null(find_event(p, pid));

        assert_true(proc_exit_monitor_consume(p->monitor) >= 1);
        const proc_exit_event *e = find_event(p, pid);
        assert_non_null(e);
        assert_int_equal(e->exit_code, 7);
        assert_int_equal(e->cgroup_id, leaf);
        assert_int_equal(proc_exit_monitor_consume(p->monitor), 0);
        assert_int_equal(proc_exit_monitor_consume(NULL), -EINVAL);
}

static void test_core_dump(void **state) {
        pe_fixture *p = *state;
        child_spec spec;
        uint64_t leaf;
        char pattern[64];
        FILE *fp = fopen("/proc/sys/kernel/core_pattern", "re");

        assert_non_null(fp);
        assert_non_null(fgets(pattern, sizeof(pattern), fp));
        fclose(fp);
        /* The core file lands there when core_pattern is a plain name. */
        snprintf(p->tmpdir, sizeof(p->tmpdir), "/tmp/ph-test-core-XXXXXX");
        assert_non_null(mkdtemp(p->tmpdir));
        spec_for(&spec, "dumper", LATER("dump"));
        spec.restart = CHILD_RESTART_TEMPORARY;
        spec.extra = &(child_spec_extra) { .cwd = p->tmpdir };
        pid_t pid = start_child(p, &spec, &leaf);
        assert_true(RUN_UNTIL(p->f, find_event(p, pid), 10000));

        const proc_exit_event *e = find_event(p, pid);
        assert_int_equal(e->signal, SIGABRT);
        assert_int_equal(e->cgroup_id, leaf);
        if (pattern[0] != '|')
                assert_int_equal(e->core_dumped, 1);
}

static void test_oom_kill(void **state) {
        pe_fixture *p = *state;
        child_spec spec;
        uint64_t leaf;

        spec_for(&spec, "hog", LATER("memhog"));
        spec.restart = CHILD_RESTART_TEMPORARY;
        spec.limits.memory_max = 64ULL << 20;
        pid_t pid = start_child(p, &spec, &leaf);
        assert_true(RUN_UNTIL(p->f, find_event(p, pid), 20000));

        const proc_exit_event *e = find_event(p, pid);
        assert_int_equal(e->signal, SIGKILL);
        assert_int_equal(e->oom_killed, 1);
        assert_int_equal(e->cgroup_id, leaf);
}

static bool read_pids(const char *path, pid_t *pids, unsigned want) {
        FILE *fp = fopen(path, "re");
        unsigned n = 0;
        int v;

        if (!fp)
                return false;
        while (n < want && fscanf(fp, "%d", &v) == 1)
                pids[n++] = v;
        fclose(fp);
        return n == want;
}

static void test_grandchild(void **state) {
        pe_fixture *p = *state;
        child_spec spec;
        pid_t pids[3];
        uint64_t leaf;
        int fd;

        snprintf(p->pidfile, sizeof(p->pidfile), "/tmp/ph-test-pe-tree-XXXXXX");
        fd = mkstemp(p->pidfile);
        assert_true(fd >= 0);
        close(fd);
        spec_for(&spec, "tree", CHILD("tree", "2", p->pidfile));
        pid_t child = start_child(p, &spec, &leaf);
        assert_true(RUN_UNTIL(p->f, read_pids(p->pidfile, pids, 3), 5000));
        assert_int_equal(pids[2], child);

        /* A grandchild the supervisor cannot see: not its child, and it left
         * the session. */
        assert_int_equal(kill(pids[0], SIGKILL), 0);
        assert_true(RUN_UNTIL(p->f, find_event(p, pids[0]), 5000));

        const proc_exit_event *e = find_event(p, pids[0]);
        assert_int_equal(e->signal, SIGKILL);
        assert_int_equal(e->oom_killed, 0);
        assert_int_equal(e->ppid, child);
        assert_int_equal(e->cgroup_id, leaf);
        /* The others live on, unreported. */
        assert_null(find_event(p, pids[1]));
        assert_null(find_event(p, child));
        assert_true(pid_alive(pids[1]));
}

static void test_outside_hub_is_silent(void **state) {
        pe_fixture *p = *state;
        child_spec spec;

        for (unsigned i = 0; i < 300; i++) {
                pid_t pid = fork();
                assert_true(pid >= 0);
                if (pid == 0)
                        _exit(0);
                assert_int_equal(waitpid(pid, NULL, 0), pid);
        }
        /* A marker inside the hub, so the ring buffer has surely been read
         * past the storm when the marker shows up. */
        spec_for(&spec, "marker", CHILD("exit", "7"));
        spec.restart = CHILD_RESTART_TEMPORARY;
        assert_int_equal(fixture_start(p->f, &spec, 5000), 0);
        pid_t pid = p->f->start_pid;
        assert_true(RUN_UNTIL(p->f, find_event(p, pid), 5000));
        assert_int_equal(p->n_events, 1);
        assert_int_equal(find_event(p, pid)->exit_code, 7);
}

static void test_bad_arguments(void **state) {
        pe_fixture *p = *state;
        proc_exit_monitor *m = NULL;
        const char *reason = NULL;
        int fd;

        assert_int_equal(proc_exit_monitor_new(NULL, p->hub_fd, on_exit_event, p, &m, &reason), -EINVAL);
        assert_int_equal(proc_exit_monitor_new(p->f->loop, p->hub_fd, NULL, p, &m, &reason), -EINVAL);
        assert_int_equal(proc_exit_monitor_new(p->f->loop, p->hub_fd, on_exit_event, p, NULL, &reason), -EINVAL);
        assert_int_equal(proc_exit_monitor_new(p->f->loop, -1, on_exit_event, p, &m, &reason), -EBADF);
        fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        close(fd);
        assert_int_equal(proc_exit_monitor_new(p->f->loop, fd, on_exit_event, p, &m, &reason), -EBADF);
        /* A directory, but not a cgroup2 one; and not a directory at all. */
        fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(proc_exit_monitor_new(p->f->loop, fd, on_exit_event, p, &m, &reason), -ENOTDIR);
        close(fd);
        fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(proc_exit_monitor_new(p->f->loop, fd, on_exit_event, p, &m, &reason), -ENOTDIR);
        close(fd);
        assert_null(m);
        assert_null(reason);

        uint64_t dropped = 7;
        assert_int_equal(proc_exit_monitor_dropped(NULL, &dropped), -EINVAL);
        assert_int_equal(dropped, 7);
        if (p->monitor)
                assert_int_equal(proc_exit_monitor_dropped(p->monitor, NULL), -EINVAL);
        assert_null(proc_exit_monitor_free(NULL));
}

/* Why the monitor cannot load here (set by pe_setup_any()), or NULL. */
static const char *unsupported_reason;

/* The setup for the argument checks, which hold with or without BPF; it
 * also finds out whether the kernel tests can run. */
static int pe_setup_any(void **state) {
        const char *reason = NULL;
        int r;

        pe_setup_full(state, &r, &reason);
        if (r == -EOPNOTSUPP)
                unsupported_reason = reason ?: "no reason given";
        else if (r < 0)
                fail_msg("proc_exit_monitor_new: %s", strerror(-r));
        return 0;
}

int main(void) {
        test_require_root();
        test_require_cgroup2();

        const struct CMUnitTest arg_tests[] = {
                cmocka_unit_test_setup_teardown(test_bad_arguments, pe_setup_any, pe_teardown),
        };
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_segfault, pe_setup, pe_teardown),
                cmocka_unit_test_setup_teardown(test_exit_code, pe_setup, pe_teardown),
                cmocka_unit_test_setup_teardown(test_consume_before_loop, pe_setup, pe_teardown),
                cmocka_unit_test_setup_teardown(test_core_dump, pe_setup, pe_teardown),
                cmocka_unit_test_setup_teardown(test_oom_kill, pe_setup, pe_teardown),
                cmocka_unit_test_setup_teardown(test_grandchild, pe_setup, pe_teardown),
                cmocka_unit_test_setup_teardown(test_outside_hub_is_silent, pe_setup, pe_teardown),
        };
        int failed = cmocka_run_group_tests_name("arguments", arg_tests, NULL, NULL);
        if (failed)
                return failed;
        if (unsupported_reason)
                test_skip("the process-exit monitor cannot load: %s", unsupported_reason);
        return cmocka_run_group_tests_name("kernel", tests, NULL, NULL);
}
