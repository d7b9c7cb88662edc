/* SPDX-License-Identifier: MIT */
/* The subtree: moving into the supervisor leaf (in a forked process that
 * first enters a scratch group of its own, so that this test process stays
 * where it is), purging a tree with live processes in every hierarchy, and
 * the argument checks. Needs root and cgroup2. */

#include "cgroup-test.h"

static int group_setup(void **state) {
        test_open_subtree();
        return 0;
}

static int group_teardown(void **state) {
        test_purge_all();
        return 0;
}

/* Exit codes of the forked process, to say which step failed. */
enum {
        LEAF_OK,
        LEAF_DISCOVER,
        LEAF_MKDIR,
        LEAF_MOVE,
        LEAF_REDISCOVER,
        LEAF_OWN,
        LEAF_OPEN,
        LEAF_NOT_IN_LEAF,
        LEAF_SUBTREE_OWN,
        LEAF_REOPEN,
        LEAF_NESTED,
        LEAF_GROUP,
};

static const char *const leaf_step[] = {
        "ok",       "discover",           "mkdir scratch",     "move into scratch",
        "rediscover", "own is not scratch", "cgroup_subtree_open", "not in <scratch>/supervisor",
        "subtree own is not scratch", "second open", "nested supervisor leaf", "group under scratch",
};

static int leaf_child(const char *scratch, const char *group) {
        cgroup_hierarchy *h = NULL, *h2 = NULL, *h3 = NULL;
        cgroup_subtree *t = NULL, *t2 = NULL;
        cgroup_group *g = NULL;
        char *rel, *dir, *now, *expected, pid[32];

        /* under the test's own group, which the fork inherited (on a pure
         * v2 host the test itself sits in <own>/supervisor by now) */
        if (cgroup_hierarchy_discover(&h) < 0)
                return LEAF_DISCOVER;
        rel = cg_path_join(test_hierarchy()->v2_own, scratch);
        dir = cg_path_join(test_hierarchy()->v2_mount, rel);
        if (!rel || !dir || mkdir(dir, 0755) < 0)
                return LEAF_MKDIR;
        snprintf(pid, sizeof pid, "%d", (int) getpid());
        if (cg_write_attr(dir, "cgroup.procs", pid) < 0)
                return LEAF_MOVE;

        if (cgroup_hierarchy_discover(&h2) < 0)
                return LEAF_REDISCOVER;
        if (strcmp(h2->v2_own, rel) != 0)
                return LEAF_OWN;
        if (cgroup_subtree_open(h2, &t) < 0)
                return LEAF_OPEN;
        now = test_proc_cgroup(getpid(), "");
        expected = cg_path_join(rel, "supervisor");
        if (!now || !expected || strcmp(now, expected) != 0)
                return LEAF_NOT_IN_LEAF;
        if (strcmp(cgroup_subtree_hierarchy(t)->v2_own, rel) != 0)
                return LEAF_SUBTREE_OWN;

        /* discovering again now sees us in the leaf: no second level */
        if (cgroup_hierarchy_discover(&h3) < 0 || cgroup_subtree_open(h3, &t2) < 0)
                return LEAF_REOPEN;
        free(now);
        now = test_proc_cgroup(getpid(), "");
        if (!now || strcmp(now, expected) != 0 || strcmp(cgroup_subtree_hierarchy(t2)->v2_own, rel) != 0)
                return LEAF_NESTED;

        /* groups go beside the leaf */
        if (cgroup_group_new(t, NULL, group, NULL, &g) < 0)
                return LEAF_GROUP;
        free(dir);
        dir = cg_path_join(h2->v2_mount, rel);
        if (strncmp(CGROUP_GROUP_PATH(g), dir, strlen(dir)) != 0 || cgroup_group_remove(g) < 0)
                return LEAF_GROUP;

        cgroup_group_free(g);
        cgroup_subtree_free(t);
        cgroup_subtree_free(t2);
        cgroup_hierarchy_free(h);
        cgroup_hierarchy_free(h2);
        cgroup_hierarchy_free(h3);
        free(rel);
        free(dir);
        free(now);
        free(expected);
        return LEAF_OK;
}

static void test_supervisor_leaf(void **state) {
        const char *scratch = test_top_name_suffix("phtest", ".scratch");
        const char *group = test_top_name("phtest-leafgroup");
        char *dir, *leaf;
        struct pollfd pfd;
        siginfo_t si = {};
        pid_t pid;
        int pidfd;

        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
                _exit(leaf_child(scratch, group));

        pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
        assert_true(pidfd >= 0);
        pfd = (struct pollfd) { .fd = pidfd, .events = POLLIN };
        if (poll(&pfd, 1, 2 * TEST_WAIT_MSEC) != 1) {
                (void) syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
                (void) waitid((idtype_t) P_PIDFD, (id_t) pidfd, &si, WEXITED);
                fail_msg("the leaf test process hung");
        }
        assert_int_equal(waitid((idtype_t) P_PIDFD, (id_t) pidfd, &si, WEXITED), 0);
        close(pidfd);
        assert_int_equal(si.si_code, CLD_EXITED);
        if (si.si_status != LEAF_OK)
                fail_msg("leaf test failed at: %s",
                         si.si_status < (int) ELEMENTSOF(leaf_step) ? leaf_step[si.si_status] : "?");

        /* it has exited: its leaf and the scratch group are empty */
        dir = cg_path_join(test_subtree->v2_own_dir, scratch);
        leaf = cg_path_join(dir, "supervisor");
        assert_true(test_is_dir(leaf));
        assert_int_equal(cg_wait_v2_unpopulated(dir, 5 * USEC_PER_SEC), 0);
        assert_int_equal(rmdir(leaf), 0);
        assert_int_equal(rmdir(dir), 0);
        free(leaf);
        free(dir);
}

static void assert_top_gone(const char *name) {
        char *d = cg_path_join(test_subtree->v2_own_dir, name);

        assert_false(test_is_dir(d));
        free(d);
        for (cgroup_controller c = 0; c < _CGROUP_CONTROLLER_MAX; c++) {
                if (!test_subtree->v1_own_dir[c])
                        continue;
                d = cg_path_join(test_subtree->v1_own_dir[c], name);
                assert_false(test_is_dir(d));
                free(d);
        }
}

static void test_purge_live_tree(void **state) {
        const char *name = test_top_name("phtest-purge");
        cgroup_policy p = {
                .pids_max = test_has(CGROUP_CONTROLLER_PIDS) ? 64 : 0,
                .cpu_weight = test_has(CGROUP_CONTROLLER_CPU) ? 50 : 0,
        };
        cgroup_group *hub = NULL, *a = NULL, *b = NULL, *leaf = NULL;
        test_child ca, cl;

        assert_int_equal(cgroup_group_new(test_subtree, NULL, name, &p, &hub), 0);
        assert_int_equal(cgroup_group_new(test_subtree, hub, "a.child", NULL, &a), 0);
        assert_int_equal(cgroup_group_new(test_subtree, hub, "b.child", NULL, &b), 0);
        assert_int_equal(cgroup_group_new(test_subtree, b, "leaf.child", NULL, &leaf), 0);
        ca = test_spawn(a, 2);
        cl = test_spawn(leaf, 2);
        assert_int_equal(cgroup_group_is_populated(hub), 1);

        assert_int_equal(cgroup_subtree_purge(test_subtree, name), 0);
        assert_top_gone(name);

        assert_int_equal(test_reap(&ca), SIGKILL);
        assert_int_equal(test_reap(&cl), SIGKILL);
        test_reap_orphans();

        /* the handles outlive their directories */
        assert_int_equal(cgroup_group_remove(leaf), 0);
        assert_int_equal(cgroup_group_is_populated(hub), -ENOENT);
        cgroup_group_free(leaf);
        cgroup_group_free(a);
        cgroup_group_free(b);
        cgroup_group_free(hub);

        /* missing is not an error */
        assert_int_equal(cgroup_subtree_purge(test_subtree, name), 0);
}

/* Groups borrow their subtree's paths, so the subtree must outlive them:
 * freeing it earlier is refused (it stays allocated and the groups keep
 * working; under ASan a use after free would show here). A parent handle,
 * though, may go before its children. */
static void test_free_order(void **state) {
        const char *name = test_top_name("phtest-order");
        cgroup_subtree *t = NULL;
        cgroup_group *hub = NULL, *child = NULL;
        char *path;
        test_child c;

        assert_int_equal(cgroup_subtree_open(test_hierarchy(), &t), 0);
        assert_int_equal(cgroup_group_new(t, NULL, name, &(cgroup_policy) {}, &hub), 0);
        assert_int_equal(cgroup_group_new(t, hub, "c.child", NULL, &child), 0);
        path = strdup(CGROUP_GROUP_PATH(child));
        assert_non_null(path);

        assert_null(cgroup_group_free(hub));
        assert_null(cgroup_subtree_free(t)); /* refused: child is open */

        assert_string_equal(CGROUP_GROUP_PATH(child), path);
        c = test_spawn(child, 0);
        assert_int_equal(cgroup_group_contains_pid(child, c.pid), 1);
        test_kill_child(&c);
        assert_int_equal(cg_wait_v2_unpopulated(path, 5 * USEC_PER_SEC), 0);
        assert_int_equal(cgroup_group_remove(child), 0);
        assert_false(test_is_dir(path));
        for (cgroup_controller k = 0; k < _CGROUP_CONTROLLER_MAX; k++)
                if (test_v1_dir(child, k))
                        assert_false(test_is_dir(test_v1_dir(child, k)));

        assert_null(cgroup_group_free(child));
        assert_null(cgroup_subtree_free(t)); /* the last group is gone: freed now */
        assert_int_equal(cgroup_subtree_purge(test_subtree, name), 0);
        assert_top_gone(name);
        free(path);
}

static void test_bad_args(void **state) {
        cgroup_hierarchy h = *test_hierarchy();
        cgroup_subtree *t = (cgroup_subtree *) 0x1;
        char missing[64];

        assert_int_equal(cgroup_subtree_open(NULL, &t), -EINVAL);
        assert_int_equal(cgroup_subtree_open(test_hierarchy(), NULL), -EINVAL);
        h.v2_own = NULL;
        assert_int_equal(cgroup_subtree_open(&h, &t), -EINVAL);
        h.v2_own = (char *) "relative";
        assert_int_equal(cgroup_subtree_open(&h, &t), -EINVAL);
        h = *test_hierarchy();
        h.v2_mount = NULL;
        assert_int_equal(cgroup_subtree_open(&h, &t), -EINVAL);
        h = *test_hierarchy();
        h.backend[CGROUP_CONTROLLER_MEMORY] = 7;
        assert_int_equal(cgroup_subtree_open(&h, &t), -EINVAL);

        /* a group we are not in does not exist */
        h = *test_hierarchy();
        snprintf(missing, sizeof missing, "/phtest-missing-%d", (int) getpid());
        h.v2_own = missing;
        assert_int_equal(cgroup_subtree_open(&h, &t), -ENOENT);
        assert_ptr_equal(t, (cgroup_subtree *) 0x1);

        assert_null(cgroup_subtree_free(NULL));
        assert_null(cgroup_subtree_hierarchy(NULL));
        assert_int_equal(cgroup_subtree_purge(NULL, "x.hub"), -EINVAL);
        assert_int_equal(cgroup_subtree_purge(test_subtree, NULL), -EINVAL);
        assert_int_equal(cgroup_subtree_purge(test_subtree, ""), -EINVAL);
        assert_int_equal(cgroup_subtree_purge(test_subtree, "a/b"), -EINVAL);
        assert_int_equal(cgroup_subtree_purge(test_subtree, ".."), -EINVAL);
        assert_int_equal(cgroup_subtree_purge(test_subtree, "supervisor"), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_supervisor_leaf),
                cmocka_unit_test(test_purge_live_tree),
                cmocka_unit_test(test_free_order),
                cmocka_unit_test(test_bad_args),
        };

        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
