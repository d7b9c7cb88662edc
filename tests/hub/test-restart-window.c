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

#define TRY(w, max, interval, now) restart_window_try_record(w, max, interval, now)

static void test_limit_and_slide(void **state) {
        const uint64_t interval = 10 * USEC_PER_SEC;
        restart_window w = {};

        assert_true(TRY(&w, 3, interval, 1 * USEC_PER_SEC));
        assert_true(TRY(&w, 3, interval, 2 * USEC_PER_SEC));
        assert_true(TRY(&w, 3, interval, 3 * USEC_PER_SEC));
        assert_false(TRY(&w, 3, interval, 4 * USEC_PER_SEC));
        assert_int_equal(restart_window_count(&w, interval, 4 * USEC_PER_SEC), 3);
        /* At t=11 s the first restart (t=1 s) is out of the window. */
        assert_true(TRY(&w, 3, interval, 11 * USEC_PER_SEC));
        assert_false(TRY(&w, 3, interval, 11 * USEC_PER_SEC + 1));
        assert_int_equal(restart_window_count(&w, interval, 100 * USEC_PER_SEC), 0);
        for (unsigned i = 0; i < 3; i++)
                assert_true(TRY(&w, 3, interval, 100 * USEC_PER_SEC + i));
        assert_false(TRY(&w, 3, interval, 100 * USEC_PER_SEC + 5));
        restart_window_done(&w);
}

/* The ring grows with the restarts held and is given back once they all
 * slid out: a child that is not restarting holds no timestamps. */
static void test_ring_grows_and_is_freed(void **state) {
        const uint64_t interval = 1000;
        restart_window w = {};

        assert_null(w.ring);
        assert_int_equal(restart_window_count(&w, interval, 0), 0);
        assert_null(w.ring);

        /* A full ring that wraps (two slid out, two more recorded) grows:
         * the order survives being laid out again. */
        for (unsigned i = 0; i < 8; i++)
                assert_int_equal(TRY(&w, 216, interval, i), 1);
        assert_int_equal(restart_window_capacity(&w), 8);
        assert_int_equal(restart_window_count(&w, interval, interval + 1), 6);
        for (unsigned i = 0; i < 3; i++)
                assert_int_equal(TRY(&w, 216, interval, interval + 1), 1);
        assert_int_equal(restart_window_capacity(&w), 16);
        /* t=2..7 slide out at 1007, the three of 1001 stay. */
        assert_int_equal(restart_window_count(&w, interval, interval + 7), 3);

        for (unsigned i = 0; i < 213; i++)
                assert_int_equal(TRY(&w, 216, interval, interval + 500), 1);
        assert_int_equal(restart_window_capacity(&w), 216);
        assert_int_equal(TRY(&w, 216, interval, interval + 500), 0);
        /* The three of 1001 slide out at 2001: three more fit, not four. */
        for (unsigned i = 0; i < 3; i++)
                assert_int_equal(TRY(&w, 216, interval, 2 * interval + 1), 1);
        assert_int_equal(TRY(&w, 216, interval, 2 * interval + 1), 0);
        assert_int_equal(restart_window_count(&w, interval, 2 * interval + 1), 216);

        assert_int_equal(restart_window_count(&w, interval, 10 * interval), 0);
        assert_null(w.ring);
        assert_int_equal(restart_window_capacity(&w), 0);
        assert_int_equal(TRY(&w, 216, interval, 10 * interval), 1);
        assert_int_equal(restart_window_capacity(&w), 8);
        restart_window_done(&w);
        assert_null(w.ring);
}

static void test_zero_allows_nothing(void **state) {
        restart_window w = {};

        assert_false(TRY(&w, 0, USEC_PER_SEC, 1));
        assert_null(w.ring);
        restart_window_done(&w);
}

static void test_bad_arguments(void **state) {
        restart_window w = {};

        assert_int_equal(TRY(&w, 1, 0, 1), -EINVAL);
        assert_null(w.ring);
        restart_window_done(NULL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_limit_and_slide),
                cmocka_unit_test(test_ring_grows_and_is_freed),
                cmocka_unit_test(test_zero_allows_nothing),
                cmocka_unit_test(test_bad_arguments),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
