/* SPDX-License-Identifier: MIT */

/* The spawn helpers that run in the parent: PATH search, credentials,
 * reading the exec-status pipe; and bad arguments. Spawning itself is
 * exercised on real cgroups by test-supervisor. */

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

static void test_read_status(void **state) {
        int p[2];
        spawn_failure f = { .step = SPAWN_STEP_CHDIR, .error = ENOENT }, got;

        assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
        assert_int_equal(spawn_read_status(p[0], &got), -EAGAIN);
        assert_int_equal(write(p[1], &f, sizeof(f)), (ssize_t) sizeof(f));
        assert_int_equal(spawn_read_status(p[0], &got), 1);
        assert_int_equal(got.step, SPAWN_STEP_CHDIR);
        assert_int_equal(got.error, ENOENT);
        close(p[1]);
        assert_int_equal(spawn_read_status(p[0], &got), 0);
        close(p[0]);
        assert_string_equal(spawn_step_to_string(SPAWN_STEP_EXEC), "execve");
        assert_null(spawn_step_to_string(_SPAWN_STEP_MAX));
}

static void test_bad_arguments(void **state) {
        spawn_params p = {};
        spawn_failure f;
        pid_t pid;
        int pidfd, status_fd;
        char *path;
        uid_t uid;
        gid_t gid, *groups;
        size_t n;

        assert_int_equal(spawn_process(NULL, &pid, &pidfd, &status_fd), -EINVAL);
        assert_int_equal(spawn_process(&p, &pid, &pidfd, &status_fd), -EINVAL);
        assert_int_equal(spawn_read_status(-1, &f), -EINVAL);
        assert_int_equal(spawn_read_status(0, NULL), -EINVAL);
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
                cmocka_unit_test(test_read_status),
                cmocka_unit_test(test_bad_arguments),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
