/* SPDX-License-Identifier: MIT */

/* Spawning real processes into a real cgroup leaf: the outcome of execve
 * as spawn_process() returns it, the step that failed, stdio, the fds and
 * signal dispositions a child starts with (with thousands of fds open in
 * the parent); and the parent-side helpers: PATH search, credentials, bad
 * arguments. The same file is built a second time with the copy-of-memory
 * clone (SPAWN_TEST_NO_SHARED_VM), the path of architectures without the
 * stack switch. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dirent.h>
#include <sys/resource.h>

#include "cgroup/cgroup-test.h"
#include "macros.h"
#include "spawn.h"

static void test_find_executable(void **state) {
        char *path = NULL;
        char dir[] = "/tmp/ph-test-path-XXXXXX", file[128], env_path[160];

        assert_int_equal(spawn_find_executable("sh", NULL, &path), 0);
        assert_true(path[0] == '/');
        assert_int_equal(access(path, X_OK), 0);
        free(path);

        assert_int_equal(spawn_find_executable("/bin/sh", NULL, &path), 0);
        assert_string_equal(path, "/bin/sh");
        free(path);

        assert_int_equal(spawn_find_executable("no-such-program-xyz", NULL, &path), -ENOENT);
        assert_int_equal(spawn_find_executable("/no/such/program", NULL, &path), -ENOENT);

        /* PATH comes from the child's environment; a non-executable match
         * is -EACCES. */
        assert_non_null(mkdtemp(dir));
        snprintf(file, sizeof(file), "%s/tool", dir);
        int fd = open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        close(fd);
        snprintf(env_path, sizeof(env_path), "PATH=/nonexistent:%s", dir);
        char *env[] = { env_path, NULL };
        assert_int_equal(spawn_find_executable("tool", env, &path), -EACCES);
        assert_int_equal(chmod(file, 0755), 0);
        assert_int_equal(spawn_find_executable("tool", env, &path), 0);
        assert_string_equal(path, file);
        free(path);
        unlink(file);
        rmdir(dir);
}

static void test_credentials(void **state) {
        uid_t uid;
        gid_t gid, *groups = NULL;
        size_t n = 0;

        assert_int_equal(spawn_resolve_credentials("nobody", NULL, &uid, &gid, &groups, &n), 0);
        assert_int_equal(uid, 65534);
        assert_int_equal(gid, 65534);
        free(groups);

        assert_int_equal(spawn_resolve_credentials("root", "nogroup", &uid, &gid, &groups, &n), 0);
        assert_int_equal(uid, 0);
        assert_int_equal(gid, 65534);
        free(groups);

        /* A bare number without an entry is allowed, as systemd's User=. */
        assert_int_equal(spawn_resolve_credentials("4242", "4343", &uid, &gid, &groups, &n), 0);
        assert_int_equal(uid, 4242);
        assert_int_equal(gid, 4343);
        assert_int_equal(n, 0);
        free(groups);

        assert_int_equal(spawn_resolve_credentials("no-such-user-xyz", NULL, &uid, &gid, &groups, &n), -ESRCH);
        assert_int_equal(spawn_resolve_credentials(NULL, "no-such-group-xyz", &uid, &gid, &groups, &n), -ESRCH);
}

typedef struct spawn_fixture {
        spawner *spawner;
        cgroup_group *group;
        cgroup_spawn_fds cg;
        char dir[64]; /* scratch files */
} spawn_fixture;

static int spawn_setup(void **state) {
        spawn_fixture *f = calloc(1, sizeof(*f));

        assert_non_null(f);
        f->cg = (cgroup_spawn_fds) { .v2_dir = -EBADF };
        assert_int_equal(spawner_new(&f->spawner), 0);
        assert_int_equal(cgroup_group_new(test_subtree, NULL, test_top_name("test-spawn"), NULL, &f->group), 0);
        assert_int_equal(cgroup_group_open_spawn_fds(f->group, &f->cg), 0);
        snprintf(f->dir, sizeof(f->dir), "/tmp/ph-test-spawn-XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        *state = f;
        return 0;
}

static int spawn_teardown(void **state) {
        spawn_fixture *f = *state;
        char cmd[128];

        cgroup_spawn_fds_close(&f->cg);
        (void) cgroup_group_kill(f->group);
        test_reap_orphans();
        (void) cgroup_group_remove(f->group);
        cgroup_group_free(f->group);
        spawner_free(f->spawner);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
        (void) !system(cmd);
        free(f);
        return 0;
}

/* Wait (bounded) for the process to end; its waitid() status. */
static siginfo_t spawn_wait(int pidfd) {
        struct pollfd p = { .fd = pidfd, .events = POLLIN };
        siginfo_t si = {};

        assert_int_equal(poll(&p, 1, TEST_WAIT_MSEC), 1);
        assert_int_equal(waitid(P_PIDFD, pidfd, &si, WEXITED), 0);
        close(pidfd);
        return si;
}

static spawn_params spawn_sh(spawn_fixture *f, char **argv) {
        return (spawn_params) {
                .path = "/bin/sh",
                .argv = argv,
                .envp = environ,
                .stdin_fd = -EBADF,
                .stdout_fd = -EBADF,
                .stderr_fd = -EBADF,
                .cgroup = &f->cg,
        };
}

static void test_spawn_exec_and_stdio(void **state) {
        spawn_fixture *f = *state;
        char out[128], script[512], *text = NULL, *cg;
        spawn_failure failure;
        pid_t pid;
        int pidfd, out_fd;

        snprintf(out, sizeof(out), "%s/out", f->dir);
        out_fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        assert_true(out_fd >= 0);
        /* stdout and stderr to the file, stdin from /dev/null */
        snprintf(script, sizeof(script), "echo out; echo err >&2; read x && echo read:$x; echo cwd:$(pwd)");
        char *argv[] = { "sh", "-c", script, NULL };
        spawn_params p = spawn_sh(f, argv);
        p.stdout_fd = p.stderr_fd = out_fd;
        p.cwd = "/";

        assert_int_equal(spawn_process(f->spawner, &p, &pid, &pidfd, &failure), 0);
        assert_true(pid > 0);
        assert_true(pidfd >= 0);
        assert_true(fcntl(pidfd, F_GETFD) & FD_CLOEXEC);
        /* It runs in the group's leaf. */
        cg = test_proc_cgroup(pid, "");
        if (cg) { /* unless it was quicker than us */
                assert_non_null(strstr(cg, "test-spawn"));
                free(cg);
        }
        siginfo_t si = spawn_wait(pidfd);
        assert_int_equal(si.si_code, CLD_EXITED);
        assert_int_equal(si.si_status, 0);
        close(out_fd);

        assert_int_equal(cg_read_file(out, &text), 0);
        /* stdin is /dev/null: read fails, no "read:" line */
        assert_string_equal(text, "out\nerr\ncwd:/\n");
        free(text);
}

static void test_spawn_failed_steps(void **state) {
        spawn_fixture *f = *state;
        char *argv[] = { "sh", "-c", "exit 0", NULL };
        spawn_failure failure;
        pid_t pid;
        int pidfd;
        siginfo_t si;

        spawn_params p = spawn_sh(f, argv);
        p.cwd = "/no/such/directory";
        assert_int_equal(spawn_process(f->spawner, &p, &pid, &pidfd, &failure), 1);
        assert_int_equal(failure.step, SPAWN_STEP_CHDIR);
        assert_int_equal(failure.error, ENOENT);
        si = spawn_wait(pidfd);
        assert_int_equal(si.si_code, CLD_EXITED);
        assert_int_equal(si.si_status, 127);

        p = spawn_sh(f, argv);
        p.path = "/no/such/program";
        assert_int_equal(spawn_process(f->spawner, &p, &pid, &pidfd, &failure), 1);
        assert_int_equal(failure.step, SPAWN_STEP_EXEC);
        assert_int_equal(failure.error, ENOENT);
        (void) spawn_wait(pidfd);

        /* The record does not outlive its spawn. */
        p = spawn_sh(f, argv);
        assert_int_equal(spawn_process(f->spawner, &p, &pid, &pidfd, &failure), 0);
        assert_true(failure.step < 0);
        si = spawn_wait(pidfd);
        assert_int_equal(si.si_status, 0);

        /* A bad cgroup directory: clone3 itself fails, no process. */
        cgroup_spawn_fds bad = { .v2_dir = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC) };
        assert_true(bad.v2_dir >= 0);
        p = spawn_sh(f, argv);
        p.cgroup = &bad;
        pidfd = -1;
        assert_true(spawn_process(f->spawner, &p, &pid, &pidfd, &failure) < 0);
        assert_int_equal(pidfd, -1);
        close(bad.v2_dir);
}

/* Whether pid runs comm and is asleep (state S), within timeout_ms. */
static bool process_is_sleeping_in(pid_t pid, const char *comm, unsigned timeout_ms) {
        char path[64], buf[512], name[64];
        char state;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        for (unsigned waited = 0; waited <= timeout_ms; waited += 2) {
                FILE *fp = fopen(path, "re");

                if (!fp)
                        return false;
                bool ok = fgets(buf, sizeof(buf), fp) && sscanf(buf, "%*d (%63[^)]) %c", name, &state) == 2 &&
                          strcmp(name, comm) == 0 && state == 'S';
                fclose(fp);
                if (ok)
                        return true;
                usleep(2000);
        }
        return false;
}

static unsigned long long status_mask(pid_t pid, const char *key) {
        char path[64], line[256];
        unsigned long long v = ~0ULL;
        FILE *fp;

        snprintf(path, sizeof(path), "/proc/%d/status", (int) pid);
        fp = fopen(path, "re");
        assert_non_null(fp);
        while (fgets(line, sizeof(line), fp))
                if (strncmp(line, key, strlen(key)) == 0)
                        v = strtoull(line + strlen(key), NULL, 16);
        fclose(fp);
        return v;
}

static void test_spawn_signals_and_many_fds(void **state) {
        spawn_fixture *f = *state;
        char *argv[] = { "sh", "-c", "exec sleep 30", NULL };
        struct sigaction ign = { .sa_handler = SIG_IGN }, old;
        spawn_failure failure;
        int fds[3000], pidfd, leaked;
        struct rlimit rl;
        unsigned n = 0;
        pid_t pid;

        /* As a supervisor of thousands: as many fds open as the limit
         * lets us (bounded), none of which the child may see. */
        assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
        for (; n < ELEMENTSOF(fds) && n + 64 < rl.rlim_cur; n++) {
                fds[n] = open("/dev/null", O_RDONLY | O_CLOEXEC);
                assert_true(fds[n] >= 0);
        }
        /* ... and two without O_CLOEXEC, one low, one far up. */
        leaked = open("/dev/null", O_RDONLY);
        assert_true(leaked >= 0);
        assert_int_equal(dup2(leaked, 1500), 1500);
        assert_int_equal(sigaction(SIGPIPE, &ign, &old), 0);

        spawn_params p = spawn_sh(f, argv);
        assert_int_equal(spawn_process(f->spawner, &p, &pid, &pidfd, &failure), 0);
        assert_int_equal(sigaction(SIGPIPE, &old, NULL), 0);
        for (unsigned i = 0; i < n; i++)
                close(fds[i]);
        close(leaked);
        close(1500);

        /* sh has exec'd by now (vfork); wait until it became sleep and
         * sleeps: the dynamic loader opens libraries on the way there.
         * Then nothing ignored, nothing blocked, only stdio open. */
        assert_true(process_is_sleeping_in(pid, "sleep", TEST_WAIT_MSEC));
        assert_int_equal(status_mask(pid, "SigIgn:"), 0);
        assert_int_equal(status_mask(pid, "SigBlk:"), 0);
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/fd", (int) pid);
        DIR *d = opendir(path);
        assert_non_null(d);
        unsigned n_fds = 0;
        for (struct dirent *de; (de = readdir(d));)
                if (de->d_name[0] != '.')
                        n_fds++;
        closedir(d);
        assert_int_equal(n_fds, 3);

        assert_int_equal(syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0), 0);
        siginfo_t si = spawn_wait(pidfd);
        assert_int_equal(si.si_code, CLD_KILLED);
}

static void test_bad_arguments(void **state) {
        spawn_params p = {};
        spawn_failure f;
        spawner *sp = NULL;
        pid_t pid;
        int pidfd;
        char *path;
        uid_t uid;
        gid_t gid, *groups;
        size_t n;

        assert_int_equal(spawner_new(NULL), -EINVAL);
        assert_int_equal(spawner_new(&sp), 0);
        assert_int_equal(spawn_process(NULL, &p, &pid, &pidfd, &f), -EINVAL);
        assert_int_equal(spawn_process(sp, NULL, &pid, &pidfd, &f), -EINVAL);
        assert_int_equal(spawn_process(sp, &p, &pid, &pidfd, &f), -EINVAL);
        assert_null(spawner_free(sp));
        assert_null(spawner_free(NULL));
        assert_string_equal(spawn_step_to_string(SPAWN_STEP_EXEC), "execve");
        assert_null(spawn_step_to_string(_SPAWN_STEP_MAX));
        assert_int_equal(spawn_find_executable(NULL, NULL, &path), -EINVAL);
        assert_int_equal(spawn_find_executable("", NULL, &path), -EINVAL);
        assert_int_equal(spawn_find_executable("sh", NULL, NULL), -EINVAL);
        assert_int_equal(spawn_resolve_credentials("root", NULL, NULL, &gid, &groups, &n), -EINVAL);
        assert_int_equal(spawn_resolve_credentials("root", NULL, &uid, NULL, &groups, &n), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_find_executable),
                cmocka_unit_test(test_credentials),
                cmocka_unit_test(test_bad_arguments),
                cmocka_unit_test_setup_teardown(test_spawn_exec_and_stdio, spawn_setup, spawn_teardown),
                cmocka_unit_test_setup_teardown(test_spawn_failed_steps, spawn_setup, spawn_teardown),
                cmocka_unit_test_setup_teardown(test_spawn_signals_and_many_fds, spawn_setup, spawn_teardown),
        };

        test_open_subtree();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
