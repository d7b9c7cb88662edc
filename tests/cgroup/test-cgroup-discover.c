/* SPDX-License-Identifier: MIT */
/* cgroup_hierarchy_discover() on this machine agrees with /proc/self/cgroup,
 * the mounts are cgroup file systems, and the backends are what the
 * hierarchies offer. Reads only; needs cgroup2. */

#include <sys/statfs.h>

#include "cgroup-test.h"

#define CGROUP_SUPER_MAGIC_V1 0x27e0eb
#define CGROUP2_SUPER_MAGIC_V2 0x63677270

static bool fs_is(const char *path, long magic) {
        struct statfs fs;

        return statfs(path, &fs) == 0 && (long) fs.f_type == magic;
}

static bool word_in(const char *list, const char *word) {
        size_t l = strlen(word);

        for (const char *p = list; *p;) {
                size_t n = strcspn(p, " \n");

                if (n == l && strncmp(p, word, l) == 0)
                        return true;
                p += n;
                p += strspn(p, " \n");
        }
        return false;
}

static void test_discover_matches_proc(void **state) {
        cgroup_hierarchy *h = NULL;
        char *v2_path, *dir, *controllers = NULL;

        assert_int_equal(cgroup_hierarchy_discover(&h), 0);

        fprintf(stderr, "layout %s, cgroup2 at %s, own %s\n", cgroup_layout_to_string(h->layout), h->v2_mount,
                h->v2_own);
        if (fs_is("/sys/fs/cgroup", CGROUP2_SUPER_MAGIC_V2)) {
                assert_int_equal(h->layout, CGROUP_LAYOUT_UNIFIED);
                assert_string_equal(h->v2_mount, "/sys/fs/cgroup");
        } else {
                assert_int_equal(h->layout, CGROUP_LAYOUT_HYBRID);
                assert_string_equal(h->v2_mount, "/sys/fs/cgroup/unified");
        }
        assert_true(fs_is(h->v2_mount, CGROUP2_SUPER_MAGIC_V2));

        v2_path = test_proc_cgroup(getpid(), "");
        assert_non_null(v2_path);
        assert_string_equal(h->v2_own, v2_path);
        free(v2_path);

        dir = cg_path_join(h->v2_mount, h->v2_own);
        assert_non_null(dir);
        (void) cg_read_attr(dir, "cgroup.controllers", &controllers);

        for (cgroup_controller c = 0; c < _CGROUP_CONTROLLER_MAX; c++) {
                const char *v1 = cgroup_controller_to_v1_string(c);
                char *own;

                switch (h->backend[c]) {
                case CGROUP_BACKEND_V2:
                        fprintf(stderr, "%s: cgroup2\n", cgroup_controller_to_string(c));
                        assert_non_null(controllers);
                        assert_true(word_in(controllers, cgroup_controller_to_string(c)));
                        break;
                case CGROUP_BACKEND_V1:
                        fprintf(stderr, "%s: v1 at %s, own %s\n", v1, h->v1_mount[c], h->v1_own[c]);
                        assert_true(fs_is(h->v1_mount[c], CGROUP_SUPER_MAGIC_V1));
                        own = test_proc_cgroup(getpid(), v1);
                        assert_non_null(own);
                        assert_string_equal(h->v1_own[c], own);
                        free(own);
                        assert_true(!controllers || !word_in(controllers, cgroup_controller_to_string(c)));
                        break;
                default:
                        fprintf(stderr, "%s: none\n", cgroup_controller_to_string(c));
                        assert_true(!controllers || !word_in(controllers, cgroup_controller_to_string(c)));
                        break;
                }
        }
        free(controllers);
        free(dir);
        cgroup_hierarchy_free(h);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_discover_matches_proc),
        };

        test_require_cgroup2();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
