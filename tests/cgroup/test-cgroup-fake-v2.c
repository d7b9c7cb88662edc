/* SPDX-License-Identifier: MIT */
/* The cgroup2 side of the policy code on a stand-in: hybrid test machines
 * have no memory, pids, cpu or io controller in cgroup2 (they are bound to
 * v1), so the real kernel cannot show us those files. Here a mkdtemp()
 * folder plays <own>, with a pre-made group directory whose interface
 * files are empty regular files: creating the group reuses it and writes
 * the v2 files, which we read back. A fresh child directory has no files,
 * which is how a missing controller looks: the creation must fail and
 * remove the directory it made. Everything else runs on real cgroups in
 * test-cgroup-group. */

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cgroup-internal.h"
#include "cgroup.h"

static char root[] = "/tmp/phtest-cgroup-fake-v2-XXXXXX";

static void touch(const char *dir, const char *file, const char *content) {
        char *p = cg_path_join(dir, file);
        int fd;

        assert_non_null(p);
        fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, content, strlen(content)), (ssize_t) strlen(content));
        close(fd);
        free(p);
}

static void assert_content(const char *dir, const char *file, const char *expected) {
        char *s = NULL;

        assert_int_equal(cg_read_attr(dir, file, &s), 0);
        assert_string_equal(s, expected);
        free(s);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path) < 0 ? -1 : 0;
}

static int setup(void **state) {
        return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state) {
        return nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void test_v2_files(void **state) {
        cgroup_hierarchy h = {
                .layout = CGROUP_LAYOUT_UNIFIED,
                .v2_mount = root,
                .v2_own = (char *) "/fake",
                .backend = { CGROUP_BACKEND_V2, CGROUP_BACKEND_V2, CGROUP_BACKEND_V2, CGROUP_BACKEND_V2 },
        };
        cgroup_subtree *t = NULL;
        cgroup_group *hub = NULL, *child = (cgroup_group *) 0x1;
        char *own, *hubdir, *childdir;
        uint64_t n = 0;

        own = cg_path_join(root, "fake");
        hubdir = cg_path_join(own, "h.hub");
        childdir = cg_path_join(hubdir, "c.child");
        assert_int_equal(mkdir(own, 0755), 0);
        assert_int_equal(mkdir(hubdir, 0755), 0);
        /* no cgroup.type: <own> looks like the real root, no leaf to join */
        touch(own, "cgroup.subtree_control", "");
        touch(hubdir, "cgroup.events", "populated 0\nfrozen 0\n");
        touch(hubdir, "cgroup.subtree_control", "");
        touch(hubdir, "memory.events", "low 0\nhigh 0\nmax 2\noom 1\noom_kill 3\noom_group_kill 0\n");
        touch(hubdir, "memory.max", "");
        touch(hubdir, "pids.max", "");
        touch(hubdir, "cpu.weight", "");
        touch(hubdir, "io.weight", "");

        assert_int_equal(cgroup_subtree_open(&h, &t), 0);
        assert_int_equal(cgroup_group_new(t, NULL, "h.hub",
                                          &(cgroup_policy) { .memory_max = CGROUP_LIMIT_MAX,
                                                             .pids_max = 7,
                                                             .cpu_weight = 300,
                                                             .io_weight = 300 },
                                          &hub),
                         0);
        assert_string_equal(CGROUP_GROUP_PATH(hub), hubdir);
        assert_string_equal(CGROUP_GROUP_V2_RELATIVE_PATH(hub), "/fake/h.hub");
        assert_content(hubdir, "memory.max", "max");
        assert_content(hubdir, "pids.max", "7");
        assert_content(hubdir, "cpu.weight", "300");
        assert_content(hubdir, "io.weight", "default 300");
        assert_int_equal(cgroup_group_is_populated(hub), 0);
        assert_int_equal(cgroup_group_oom_kills(hub, &n), 0);
        assert_int_equal(n, 3);
        assert_int_equal(cgroup_group_contains_pid(hub, getpid()), 0);

        /* the child's directory is made, has no pids.max, and is removed */
        assert_int_equal(cgroup_group_new(t, hub, "c.child", &(cgroup_policy) { .pids_max = 3 }, &child), -EOPNOTSUPP);
        assert_ptr_equal(child, (cgroup_group *) 0x1);
        assert_int_equal(cg_is_dir(childdir), 0);
        /* on the way, memory (for the OOM counts) and then pids were
         * enabled for the hub's children: each write lands at offset 0 of
         * the regular file, so the last one, "+pids", leads */
        {
                char *s = NULL;

                assert_int_equal(cg_read_attr(hubdir, "cgroup.subtree_control", &s), 0);
                assert_int_equal(strncmp(s, "+pids", 5), 0);
                free(s);
        }

        /* an unset field resets where the file exists: memory.max and the
         * weights go back to the defaults (written over the old value) */
        assert_int_equal(cgroup_group_set_policy(hub, &(cgroup_policy) { .pids_max = 9 }), 0);
        assert_content(hubdir, "pids.max", "9");
        assert_content(hubdir, "memory.max", "max");
        assert_content(hubdir, "cpu.weight", "100");

        /* a nested group's paths come out of its one stored path */
        assert_int_equal(cgroup_group_new(t, hub, "d.child", NULL, &child), 0);
        assert_string_equal(CGROUP_GROUP_V2_RELATIVE_PATH(child), "/fake/h.hub/d.child");
        assert_int_equal(strncmp(CGROUP_GROUP_PATH(child), hubdir, strlen(hubdir)), 0);
        assert_string_equal(CGROUP_GROUP_PATH(child) + strlen(hubdir), "/d.child");
        assert_int_equal(cgroup_group_remove(child), 0);
        assert_int_equal(cg_is_dir(CGROUP_GROUP_PATH(child)), 0);
        cgroup_group_free(child);

        /* a group's paths are read with its subtree's offsets: a parent
         * of another subtree is refused, by the adoption too */
        {
                cgroup_hierarchy h2 = h;
                cgroup_subtree *t2 = NULL;
                cgroup_adoption *a = (cgroup_adoption *) 0x1;
                char *other = cg_path_join(root, "other");

                assert_int_equal(mkdir(other, 0755), 0);
                touch(other, "cgroup.subtree_control", "");
                h2.v2_own = (char *) "/other";
                assert_int_equal(cgroup_subtree_open(&h2, &t2), 0);
                assert_int_equal(cgroup_adoption_new(t2, hub, &a), -EINVAL);
                assert_ptr_equal(a, (cgroup_adoption *) 0x1);
                assert_int_equal(cgroup_group_new(t2, hub, "e.child", NULL, &child), -EINVAL);
                assert_int_equal(cgroup_adoption_new(t, hub, &a), 0);
                a = cgroup_adoption_free(a);
                cgroup_subtree_free(t2);
                free(other);
        }
        cgroup_group_free(hub);
        cgroup_subtree_free(t);

        /* the same with trailing slashes on the mount and on <own> */
        {
                char *mount = NULL;

                assert_true(asprintf(&mount, "%s/", root) > 0);
                h.v2_mount = mount;
                h.v2_own = (char *) "/fake/";
                assert_int_equal(cgroup_subtree_open(&h, &t), 0);
                assert_int_equal(cgroup_group_new(t, NULL, "h.hub", NULL, &hub), 0);
                assert_string_equal(CGROUP_GROUP_PATH(hub), hubdir);
                assert_string_equal(CGROUP_GROUP_V2_RELATIVE_PATH(hub), "/fake/h.hub");
                cgroup_group_free(hub);
                cgroup_subtree_free(t);
                free(mount);
        }
        free(own);
        free(hubdir);
        free(childdir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_v2_files),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
