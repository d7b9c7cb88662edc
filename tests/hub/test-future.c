/* SPDX-License-Identifier: MIT */

/* Futures: awaiting a completed one, awaiting while another thread
 * completes it, the await timeout, a second await, freeing the caller's
 * handle before or after completion while the operation still holds its
 * reference (the sanitizer build checks for leaks and use after free), and
 * bad arguments. Durations are only ever checked from below. */

#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "future.h"
#include "macros.h"
#include "time-util.h"

static void sleep_msec(uint64_t ms) {
        struct timespec ts = { .tv_sec = (time_t) (ms / 1000), .tv_nsec = (long) (ms % 1000) * 1000000L };

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

/* What an operation does at its end. */
static void operation_finish(ph_future *f, const char *id, pid_t pid) {
        assert_int_equal(result_add_child(future_result(f), id, &(ph_instance) { "n1", pid }, 1), 0);
        future_complete(f);
}

static void test_await_after_completion(void **state) {
        ph_future *f = NULL, *op;
        ph_result *result = NULL, *again = (ph_result *) (uintptr_t) 0x1;

        assert_int_equal(future_new(PH_RESULT_START, 1000, &f), 0);
        op = future_ref(f);
        assert_ptr_equal(op, f);
        assert_false(future_is_done(f));
        operation_finish(op, "web", 42);
        assert_true(future_is_done(f));
        op = future_unref(op);
        assert_null(op);

        assert_int_equal(ph_future_await(f, &result), 0);
        assert_non_null(result);
        assert_int_equal(ph_result_kind_of(result), PH_RESULT_START);
        assert_int_equal(ph_result_status(result), PH_STATUS_OK);
        assert_int_equal(ph_result_n_children(result), 1);
        assert_string_equal(ph_result_child_at(result, 0)->id, "web");
        assert_int_equal(ph_result_first_pid(result), 42);

        /* Collected once; the result handed out is the caller's. */
        assert_int_equal(ph_future_await(f, &again), -EALREADY);
        assert_ptr_equal(again, (ph_result *) (uintptr_t) 0x1);
        assert_null(ph_future_free(f));
        assert_int_equal(ph_result_n_children(result), 1);
        ph_result_free(result);
}

static void test_complete_twice(void **state) {
        ph_future *f = NULL;
        ph_result *result = NULL;

        assert_int_equal(future_new(PH_RESULT_STOP, 1000, &f), 0);
        assert_int_equal(result_add_error(future_result(f), "db", "n2", "not_found"), 0);
        future_complete(f);
        future_complete(f);
        assert_true(future_is_done(f));
        assert_int_equal(ph_future_await(f, &result), 0);
        assert_int_equal(ph_result_kind_of(result), PH_RESULT_STOP);
        assert_int_equal(ph_result_status(result), PH_STATUS_ERROR);
        assert_string_equal(ph_result_error_at(result, 0)->reason, "not_found");
        ph_result_free(result);
        ph_future_free(f);
}

/* ---- An operation on another thread ---- */

typedef struct operation {
        ph_future *future; /* the operation's own reference */
        uint64_t delay_ms;
        pid_t pid;
} operation;

static void *operation_thread(void *userdata) {
        operation *op = userdata;

        sleep_msec(op->delay_ms);
        /* No cmocka assertion off the main thread. */
        if (result_add_child(future_result(op->future), "worker", &(ph_instance) { "n1", op->pid }, 1) < 0)
                abort();
        future_complete(op->future);
        op->future = future_unref(op->future);
        return NULL;
}

static void test_await_blocks_until_completion(void **state) {
        ph_future *f = NULL;
        ph_result *result = NULL;
        pthread_t thread;
        uint64_t begin;
        operation op = { .delay_ms = 100, .pid = 77 };

        assert_int_equal(future_new(PH_RESULT_START, 10000, &f), 0);
        op.future = future_ref(f);
        begin = now_usec();
        assert_int_equal(pthread_create(&thread, NULL, operation_thread, &op), 0);
        assert_int_equal(ph_future_await(f, &result), 0);
        assert_true(now_usec() - begin >= 100 * USEC_PER_MSEC);
        assert_int_equal(ph_result_first_pid(result), 77);
        assert_int_equal(pthread_join(thread, NULL), 0);
        ph_result_free(result);
        ph_future_free(f);
}

static void test_no_timeout(void **state) {
        ph_future *f = NULL;
        ph_result *result = NULL;
        pthread_t thread;
        operation op = { .delay_ms = 50, .pid = 5 };

        assert_int_equal(future_new(PH_RESULT_START, UINT64_MAX, &f), 0);
        assert_int_equal(future_deadline_usec(f), USEC_INFINITY);
        op.future = future_ref(f);
        assert_int_equal(pthread_create(&thread, NULL, operation_thread, &op), 0);
        assert_int_equal(ph_future_await(f, &result), 0);
        assert_int_equal(ph_result_first_pid(result), 5);
        assert_int_equal(pthread_join(thread, NULL), 0);
        ph_result_free(result);
        ph_future_free(f);
}

/* Two awaiters: one gets the result, the other -EALREADY. */
typedef struct awaiter {
        ph_future *future;
        ph_result *result;
        int r;
} awaiter;

static void *await_thread(void *userdata) {
        awaiter *a = userdata;

        a->r = ph_future_await(a->future, &a->result);
        return NULL;
}

static void test_two_awaiters(void **state) {
        ph_future *f = NULL, *op;
        awaiter a[2] = {};
        pthread_t threads[2];

        assert_int_equal(future_new(PH_RESULT_START, 10000, &f), 0);
        op = future_ref(f);
        for (unsigned i = 0; i < 2; i++) {
                a[i].future = f;
                assert_int_equal(pthread_create(&threads[i], NULL, await_thread, &a[i]), 0);
        }
        sleep_msec(50);
        operation_finish(op, "shared", 9);
        future_unref(op);
        for (unsigned i = 0; i < 2; i++)
                assert_int_equal(pthread_join(threads[i], NULL), 0);
        assert_true((a[0].r == 0 && a[1].r == -EALREADY) || (a[0].r == -EALREADY && a[1].r == 0));
        for (unsigned i = 0; i < 2; i++)
                if (a[i].r == 0)
                        assert_int_equal(ph_result_first_pid(a[i].result), 9);
                else
                        assert_null(a[i].result);
        ph_result_free(a[0].result);
        ph_result_free(a[1].result);
        ph_future_free(f);
}

/* ---- The await timeout ---- */

static void test_await_timeout(void **state) {
        ph_future *f = NULL, *op;
        ph_result *result = NULL;
        uint64_t begin = now_usec();

        assert_int_equal(future_new(PH_RESULT_START, 100, &f), 0);
        assert_true(future_deadline_usec(f) >= begin + 100 * USEC_PER_MSEC);
        op = future_ref(f);
        assert_int_equal(ph_future_await(f, &result), -ETIMEDOUT);
        assert_true(now_usec() - begin >= 100 * USEC_PER_MSEC);
        assert_true(now_usec() >= future_deadline_usec(f));
        assert_null(result);
        assert_int_equal(ph_future_await(f, &result), -ETIMEDOUT);

        /* The operation ends late: its result is dropped. */
        assert_false(future_is_done(op));
        operation_finish(op, "late", 3);
        assert_true(future_is_done(op));
        assert_null(future_result(op));
        assert_int_equal(ph_future_await(f, &result), -ETIMEDOUT);
        assert_null(result);
        future_unref(op);
        ph_future_free(f);
}

/* Completed after the deadline with nobody waiting: not collectable. */
static void test_completed_after_deadline(void **state) {
        ph_future *f = NULL;
        ph_result *result = NULL;

        assert_int_equal(future_new(PH_RESULT_START, 100, &f), 0);
        sleep_msec(150);
        operation_finish(f, "late", 3);
        assert_int_equal(ph_future_await(f, &result), -ETIMEDOUT);
        assert_null(result);
        ph_future_free(f);
}

/* Completed in time but awaited after the deadline: the collector's
 * lifetime (await_timeout) is over, as in the reference. */
static void test_completed_in_time_awaited_late(void **state) {
        ph_future *f = NULL;
        ph_result *result = NULL;

        assert_int_equal(future_new(PH_RESULT_START, 100, &f), 0);
        operation_finish(f, "early", 4);
        sleep_msec(150);
        assert_int_equal(ph_future_await(f, &result), -ETIMEDOUT);
        assert_null(result);
        assert_int_equal(ph_future_await(f, &result), -ETIMEDOUT);
        ph_future_free(f);
}

/* Completed and awaited in time: collected. */
static void test_completed_and_awaited_in_time(void **state) {
        ph_future *f = NULL;
        ph_result *result = NULL;

        assert_int_equal(future_new(PH_RESULT_START, 10000, &f), 0);
        operation_finish(f, "early", 4);
        assert_int_equal(ph_future_await(f, &result), 0);
        assert_int_equal(ph_result_first_pid(result), 4);
        ph_result_free(result);
        ph_future_free(f);
}

static void test_zero_timeout(void **state) {
        ph_future *f = NULL;
        ph_result *result = NULL;

        assert_int_equal(future_new(PH_RESULT_START, 0, &f), 0);
        assert_int_equal(ph_future_await(f, &result), -ETIMEDOUT);
        ph_future_free(f);
}

/* ---- The caller lets go while the operation runs ---- */

static void test_free_before_completion(void **state) {
        ph_future *f = NULL;
        pthread_t thread;
        operation op = { .delay_ms = 50, .pid = 11 };

        assert_int_equal(future_new(PH_RESULT_START, 10000, &f), 0);
        op.future = future_ref(f);
        assert_int_equal(pthread_create(&thread, NULL, operation_thread, &op), 0);
        /* Not a cancel: the operation goes on and drops the last reference. */
        assert_null(ph_future_free(f));
        assert_int_equal(pthread_join(thread, NULL), 0);
        assert_null(op.future);
}

static void test_free_after_completion(void **state) {
        _cleanup_(future_unrefp) ph_future *op = NULL;
        ph_future *f = NULL;

        /* Caller first, without awaiting. */
        assert_int_equal(future_new(PH_RESULT_START, 10000, &f), 0);
        op = future_ref(f);
        operation_finish(op, "a", 1);
        ph_future_free(f);
        op = future_unref(op);

        /* Operation first. */
        assert_int_equal(future_new(PH_RESULT_START, 10000, &f), 0);
        op = future_ref(f);
        operation_finish(op, "b", 2);
        op = future_unref(op);
        ph_future_free(f);

        /* Never completed at all: the last reference frees the result. */
        assert_int_equal(future_new(PH_RESULT_START, 10000, &f), 0);
        op = future_ref(f);
        assert_int_equal(result_add_child(future_result(op), "c", NULL, 0), 0);
        ph_future_free(f);
        /* op is dropped by its cleanup. */
}

static void test_bad_arguments(void **state) {
        ph_future *f = NULL, *unset = (ph_future *) (uintptr_t) 0x1;
        ph_result *result = (ph_result *) (uintptr_t) 0x1;

        assert_int_equal(future_new(_PH_RESULT_KIND_MAX, 1000, &unset), -EINVAL);
        assert_int_equal(future_new(_PH_RESULT_KIND_INVALID, 1000, &unset), -EINVAL);
        assert_ptr_equal(unset, (ph_future *) (uintptr_t) 0x1);
        assert_int_equal(future_new(PH_RESULT_START, 1000, NULL), -EINVAL);
        assert_null(future_ref(NULL));
        assert_null(future_unref(NULL));
        assert_null(ph_future_free(NULL));
        future_complete(NULL);

        assert_int_equal(ph_future_await(NULL, &result), -EINVAL);
        assert_ptr_equal(result, (ph_result *) (uintptr_t) 0x1);
        assert_int_equal(future_new(PH_RESULT_START, 1000, &f), 0);
        future_complete(f);
        assert_int_equal(ph_future_await(f, NULL), -EINVAL);
        /* The bad call collected nothing. */
        result = NULL;
        assert_int_equal(ph_future_await(f, &result), 0);
        ph_result_free(result);
        ph_future_free(f);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_await_after_completion),
                cmocka_unit_test(test_complete_twice),
                cmocka_unit_test(test_await_blocks_until_completion),
                cmocka_unit_test(test_no_timeout),
                cmocka_unit_test(test_two_awaiters),
                cmocka_unit_test(test_await_timeout),
                cmocka_unit_test(test_completed_after_deadline),
                cmocka_unit_test(test_completed_in_time_awaited_late),
                cmocka_unit_test(test_completed_and_awaited_in_time),
                cmocka_unit_test(test_zero_timeout),
                cmocka_unit_test(test_free_before_completion),
                cmocka_unit_test(test_free_after_completion),
                cmocka_unit_test(test_bad_arguments),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
