/* SPDX-License-Identifier: MIT */
/* Defer sources: once per enabling, at the start of the next iteration,
 * in the order enabled; a pending one keeps the wait from blocking. */

#include <fcntl.h>
#include <poll.h>

#include "loop-test.h"

typedef struct defer_rec {
        unsigned calls;
        uint64_t iteration_mark; /* loop_now() when called */
        int *order;
        unsigned *n_order;
        int id;
        bool reenable;
        bool free_self;
        loop_source **free_other;
        int ret;
} defer_rec;

static int rec_handler(loop_source *s, void *userdata) {
        defer_rec *r = userdata;

        r->calls++;
        r->iteration_mark = loop_now(loop_source_get_loop(s));
        if (r->order)
                r->order[(*r->n_order)++] = r->id;
        assert_false(loop_source_get_enabled(s));
        if (r->reenable)
                assert_int_equal(loop_source_set_enabled(s, true), 0);
        if (r->free_other && *r->free_other)
                *r->free_other = loop_source_free(*r->free_other);
        if (r->free_self)
                loop_source_free(s);
        return r->ret;
}

static void test_runs_once(void **state) {
        _cleanup_loop_ loop *l = NULL;
        defer_rec r = {};
        loop_source *s = NULL;

        assert_int_equal(loop_new(&l), 0);
        assert_int_equal(loop_add_defer(l, &s, rec_handler, &r), 0);
        assert_true(loop_source_get_enabled(s));

        /* Runs in the next iteration, even one allowed to wait forever
         * (the watchdog would catch a hang). */
        assert_int_equal(loop_run_once(l, USEC_INFINITY), 1);
        assert_int_equal(r.calls, 1);
        assert_false(loop_source_get_enabled(s));

        assert_int_equal(loop_run_once(l, 0), 0);
        run_for(l, 20 * USEC_PER_MSEC);
        assert_int_equal(r.calls, 1);

        /* Enabled again: once more. */
        assert_int_equal(loop_source_set_enabled(s, true), 0);
        assert_int_equal(loop_run_once(l, USEC_INFINITY), 1);
        assert_int_equal(r.calls, 2);

        /* Disabled before its turn: does not run. */
        assert_int_equal(loop_source_set_enabled(s, true), 0);
        assert_int_equal(loop_source_set_enabled(s, false), 0);
        assert_int_equal(loop_run_once(l, 0), 0);
        assert_int_equal(r.calls, 2);
        loop_source_free(s);
}

static void test_reenable_in_handler(void **state) {
        _cleanup_loop_ loop *l = NULL;
        defer_rec r = { .reenable = true };
        loop_source *s = NULL;

        assert_int_equal(loop_new(&l), 0);
        assert_int_equal(loop_add_defer(l, &s, rec_handler, &r), 0);
        /* Once per iteration, never twice in one, and never blocking. */
        for (unsigned i = 1; i <= 5; i++) {
                assert_int_equal(loop_run_once(l, USEC_INFINITY), 1);
                assert_int_equal(r.calls, i);
        }
        loop_source_free(s);
}

static void test_order_and_free(void **state) {
        _cleanup_loop_ loop *l = NULL;
        int order[8];
        unsigned n = 0;
        loop_source *s[4] = {};
        defer_rec r[4] = {
                { .order = order, .n_order = &n, .id = 0 },
                { .order = order, .n_order = &n, .id = 1, .free_other = &s[2] },
                { .order = order, .n_order = &n, .id = 2 },
                { .order = order, .n_order = &n, .id = 3, .free_self = true },
        };

        assert_int_equal(loop_new(&l), 0);
        for (size_t i = 0; i < 4; i++)
                assert_int_equal(loop_add_defer(l, &s[i], rec_handler, &r[i]), 0);

        assert_int_equal(loop_run_once(l, 0), 3);
        assert_int_equal(n, 3);
        assert_int_equal(order[0], 0);
        assert_int_equal(order[1], 1);
        assert_int_equal(order[2], 3);
        assert_null(s[2]);
        loop_source_free(s[0]);
        loop_source_free(s[1]);
}

static int io_adds_defer(loop_source *s, int fd, uint32_t revents, void *userdata) {
        char c;

        assert_int_equal(read(fd, &c, 1), 1);
        return loop_add_defer(loop_source_get_loop(s), NULL, rec_handler, userdata);
}

/* A defer added by an io handler runs at the start of the next iteration,
 * which must not block although nothing else happens. */
static void test_added_from_handler(void **state) {
        _cleanup_loop_ loop *l = NULL;
        defer_rec r = { .free_self = true };
        loop_source *io = NULL;
        int p[2];

        assert_int_equal(loop_new(&l), 0);
        assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
        assert_int_equal(loop_add_io(l, &io, p[0], POLLIN, io_adds_defer, &r), 0);
        assert_int_equal(write(p[1], "x", 1), 1);
        while (r.calls == 0)
                assert_true(loop_run_once(l, USEC_INFINITY) >= 0);
        assert_int_equal(r.calls, 1);
        loop_source_free(io);
        close(p[0]);
        close(p[1]);
}

static void test_error_disables(void **state) {
        _cleanup_loop_ loop *l = NULL;
        defer_rec r = { .reenable = true, .ret = -ENOENT };
        loop_source *s = NULL;

        assert_int_equal(loop_new(&l), 0);
        assert_int_equal(loop_add_defer(l, &s, rec_handler, &r), 0);
        assert_int_equal(loop_run_once(l, 0), 1);
        /* It enabled itself, then failed: the failure wins. */
        assert_false(loop_source_get_enabled(s));
        assert_int_equal(loop_run_once(l, 0), 0);
        assert_int_equal(r.calls, 1);
        /* A floating one, left for loop_free(). */
        assert_int_equal(loop_add_defer(l, NULL, rec_handler, &r), 0);
        loop_source_free(s);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_runs_once),
                cmocka_unit_test(test_reenable_in_handler),
                cmocka_unit_test(test_order_and_free),
                cmocka_unit_test(test_added_from_handler),
                cmocka_unit_test(test_error_disables),
        };

        test_watchdog(60);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
