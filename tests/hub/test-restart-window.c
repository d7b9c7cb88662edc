/* SPDX-License-Identifier: MIT */

/* Restart intensity windows: MaxR restarts within MaxT, the (MaxR+1)th
 * refused, old restarts sliding out. Pure logic on given timestamps. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "macros.h"
#include "restart-window.h"

static void test_limit_and_slide(void **state) {
        restart_window w;

        assert_int_equal(restart_window_init(&w, 3, 10 * USEC_PER_SEC), 0);
        assert_true(restart_window_try_record(&w, 1 * USEC_PER_SEC));
        assert_true(restart_window_try_record(&w, 2 * USEC_PER_SEC));
        assert_true(restart_window_try_record(&w, 3 * USEC_PER_SEC));
        assert_false(restart_window_try_record(&w, 4 * USEC_PER_SEC));
        assert_int_equal(restart_window_count(&w, 4 * USEC_PER_SEC), 3);
        /* At t=11 s the first restart (t=1 s) is out of the window. */
        assert_true(restart_window_try_record(&w, 11 * USEC_PER_SEC));
        assert_false(restart_window_try_record(&w, 11 * USEC_PER_SEC + 1));
        assert_int_equal(restart_window_count(&w, 100 * USEC_PER_SEC), 0);
        for (unsigned i = 0; i < 3; i++)
                assert_true(restart_window_try_record(&w, 100 * USEC_PER_SEC + i));
        assert_false(restart_window_try_record(&w, 100 * USEC_PER_SEC + 5));
        restart_window_done(&w);
}

static void test_zero_allows_nothing(void **state) {
        restart_window w;

        assert_int_equal(restart_window_init(&w, 0, USEC_PER_SEC), 0);
        assert_false(restart_window_try_record(&w, 1));
        restart_window_done(&w);
}

static void test_bad_arguments(void **state) {
        restart_window w;

        assert_int_equal(restart_window_init(NULL, 1, 1), -EINVAL);
        assert_int_equal(restart_window_init(&w, 1, 0), -EINVAL);
        restart_window_done(NULL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_limit_and_slide),
                cmocka_unit_test(test_zero_allows_nothing),
                cmocka_unit_test(test_bad_arguments),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
