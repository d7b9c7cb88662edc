/* SPDX-License-Identifier: MIT */
/* cgroup_policy_check() against synthetic hierarchies, and the v1/BFQ value
 * conversions. Touches no cgroup. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cgroup-internal.h"
#include "cgroup.h"

static cgroup_hierarchy hierarchy(cgroup_backend memory, cgroup_backend pids, cgroup_backend cpu, cgroup_backend io) {
        return (cgroup_hierarchy) {
                .layout = CGROUP_LAYOUT_HYBRID,
                .v2_mount = (char *) "/sys/fs/cgroup/unified",
                .v2_own = (char *) "/",
                .backend = { memory, pids, cpu, io },
        };
}

static void test_is_empty(void **state) {
        assert_true(cgroup_policy_is_empty(NULL));
        assert_true(cgroup_policy_is_empty(&(cgroup_policy) {}));
        assert_false(cgroup_policy_is_empty(&(cgroup_policy) { .memory_max = 1 }));
        assert_false(cgroup_policy_is_empty(&(cgroup_policy) { .pids_max = CGROUP_LIMIT_MAX }));
        assert_false(cgroup_policy_is_empty(&(cgroup_policy) { .cpu_weight = 100 }));
        assert_false(cgroup_policy_is_empty(&(cgroup_policy) { .io_weight = 100 }));
}

static void test_ranges(void **state) {
        cgroup_hierarchy h = hierarchy(CGROUP_BACKEND_V2, CGROUP_BACKEND_V2, CGROUP_BACKEND_V2, CGROUP_BACKEND_V2);
        const char *reason = NULL;

        assert_int_equal(cgroup_policy_check(&h, &(cgroup_policy) {}, &reason), 0);
        assert_null(reason);
        assert_int_equal(cgroup_policy_check(&h, &(cgroup_policy) { .memory_max = 1 }, NULL), 0);
        assert_int_equal(cgroup_policy_check(&h, &(cgroup_policy) { .memory_max = CGROUP_LIMIT_MAX }, NULL), 0);
        assert_int_equal(cgroup_policy_check(&h, &(cgroup_policy) { .pids_max = 4194304 }, NULL), 0);
        assert_int_equal(cgroup_policy_check(&h, &(cgroup_policy) { .pids_max = CGROUP_LIMIT_MAX }, NULL), 0);
        assert_int_equal(cgroup_policy_check(&h, &(cgroup_policy) { .pids_max = 4194305 }, &reason), -EINVAL);
        assert_non_null(strstr(reason, "pids_max"));

        for (uint64_t w = CGROUP_WEIGHT_MIN; w <= CGROUP_WEIGHT_MAX; w += 999) {
                assert_int_equal(cgroup_policy_check(&h, &(cgroup_policy) { .cpu_weight = w }, NULL), 0);
                assert_int_equal(cgroup_policy_check(&h, &(cgroup_policy) { .io_weight = w }, NULL), 0);
        }
        assert_int_equal(cgroup_policy_check(&h, &(cgroup_policy) { .cpu_weight = CGROUP_WEIGHT_MAX }, NULL), 0);
        assert_int_equal(cgroup_policy_check(&h, &(cgroup_policy) { .cpu_weight = CGROUP_WEIGHT_MAX + 1 }, &reason),
                         -EINVAL);
        assert_non_null(strstr(reason, "cpu_weight"));
        /* The largest a policy holds; wider values must pass cgroup_weight_fits() first. */
        assert_int_equal(cgroup_policy_check(&h, &(cgroup_policy) { .cpu_weight = UINT16_MAX }, NULL), -EINVAL);
        assert_true(cgroup_weight_fits(0));
        assert_true(cgroup_weight_fits(CGROUP_WEIGHT_MAX));
        assert_false(cgroup_weight_fits(CGROUP_WEIGHT_MAX + 1));
        assert_false(cgroup_weight_fits(UINT16_MAX + 2ULL)); /* would wrap to 1 */
        assert_false(cgroup_weight_fits(CGROUP_LIMIT_MAX));
        assert_int_equal(cgroup_policy_check(&h, &(cgroup_policy) { .io_weight = CGROUP_WEIGHT_MAX + 1 }, &reason),
                         -EINVAL);
        assert_non_null(strstr(reason, "io_weight"));
}

static void test_missing_controller(void **state) {
        cgroup_hierarchy h = hierarchy(CGROUP_BACKEND_NONE, CGROUP_BACKEND_V1, CGROUP_BACKEND_V2, CGROUP_BACKEND_NONE);
        const char *reason = NULL;

        assert_int_equal(cgroup_policy_check(&h, &(cgroup_policy) { .memory_max = 1 << 20 }, &reason), -EOPNOTSUPP);
        assert_string_equal(reason, "memory_max: no memory controller in cgroup2 or v1");
        assert_int_equal(cgroup_policy_check(&h, &(cgroup_policy) { .io_weight = 50 }, &reason), -EOPNOTSUPP);
        assert_non_null(strstr(reason, "io_weight"));
        assert_int_equal(cgroup_policy_check(&h, &(cgroup_policy) { .io_weight = 50 }, NULL), -EOPNOTSUPP);

        /* what the host has is fine, also beside an unset missing one */
        assert_int_equal(cgroup_policy_check(&h, &(cgroup_policy) { .pids_max = 10, .cpu_weight = 10 }, &reason), 0);
        assert_null(reason);

        /* a bad value is reported before a missing controller */
        assert_int_equal(cgroup_policy_check(&h, &(cgroup_policy) { .memory_max = 1, .cpu_weight = UINT16_MAX }, &reason),
                         -EINVAL);
        assert_non_null(strstr(reason, "cpu_weight"));

        h = hierarchy(CGROUP_BACKEND_NONE, CGROUP_BACKEND_NONE, CGROUP_BACKEND_NONE, CGROUP_BACKEND_NONE);
        assert_int_equal(cgroup_policy_check(&h, &(cgroup_policy) { .pids_max = 1 }, &reason), -EOPNOTSUPP);
        assert_non_null(strstr(reason, "pids_max"));
        assert_int_equal(cgroup_policy_check(&h, &(cgroup_policy) { .cpu_weight = 1 }, &reason), -EOPNOTSUPP);
        assert_non_null(strstr(reason, "cpu_weight"));
}

static void test_conversions(void **state) {
        assert_int_equal(cgroup_cpu_weight_to_shares(CGROUP_WEIGHT_DEFAULT), 1024);
        assert_int_equal(cgroup_cpu_weight_to_shares(200), 2048);
        assert_int_equal(cgroup_cpu_weight_to_shares(1), 10);
        assert_int_equal(cgroup_cpu_weight_to_shares(CGROUP_WEIGHT_MAX), 102400);
        assert_int_equal(cgroup_cpu_weight_to_shares(0), 2);
        assert_int_equal(cgroup_cpu_weight_to_shares(1000000), 262144);

        assert_int_equal(cgroup_io_weight_to_blkio(CGROUP_WEIGHT_DEFAULT), 500);
        assert_int_equal(cgroup_io_weight_to_blkio(1), 10);
        assert_int_equal(cgroup_io_weight_to_blkio(50), 250);
        assert_int_equal(cgroup_io_weight_to_blkio(200), 1000);
        assert_int_equal(cgroup_io_weight_to_blkio(CGROUP_WEIGHT_MAX), 1000);

        assert_int_equal(cgroup_io_weight_to_bfq(1), 1);
        assert_int_equal(cgroup_io_weight_to_bfq(50), 50);
        assert_int_equal(cgroup_io_weight_to_bfq(CGROUP_WEIGHT_DEFAULT), 100);
        assert_int_equal(cgroup_io_weight_to_bfq(5050), 550);
        assert_int_equal(cgroup_io_weight_to_bfq(CGROUP_WEIGHT_MAX), 1000);
}

static void test_bad_args(void **state) {
        cgroup_hierarchy h = hierarchy(CGROUP_BACKEND_V2, CGROUP_BACKEND_V2, CGROUP_BACKEND_V2, CGROUP_BACKEND_V2);
        const char *reason = "untouched";

        assert_int_equal(cgroup_policy_check(NULL, &(cgroup_policy) {}, &reason), -EINVAL);
        assert_int_equal(cgroup_policy_check(&h, NULL, &reason), -EINVAL);
        assert_string_equal(reason, "untouched");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_is_empty),
                cmocka_unit_test(test_ranges),
                cmocka_unit_test(test_missing_controller),
                cmocka_unit_test(test_conversions),
                cmocka_unit_test(test_bad_args),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
