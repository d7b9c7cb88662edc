/* SPDX-License-Identifier: MIT */
/* Bad arguments, function by function (kronosnet's api_* tests): each
 * public function of loop.h with a NULL loop or source, a NULL handler, a
 * negative or closed fd, out-of-range values, and the exact errno. Output
 * parameters must be untouched on failure. check-api-coverage.sh verifies
 * that every function of loop.h is named here. */

#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>

#include "loop-test.h"

static loop_source *const SENTINEL = (loop_source *) (uintptr_t) 0x5a5a5a5a;

static int io_handler(loop_source *s, int fd, uint32_t revents, void *userdata) {
        return 0;
}
static int child_handler(loop_source *s, const siginfo_t *si, void *userdata) {
        return 0;
}
static int timer_handler(loop_source *s, uint64_t usec, void *userdata) {
        return 0;
}
static int signal_handler(loop_source *s, const struct signalfd_siginfo *si, void *userdata) {
        return 0;
}
static int defer_handler(loop_source *s, void *userdata) {
        return 0;
}
static void post_func(void *userdata) {
}

/* An fd number that is certainly not open. */
static int closed_fd(void) {
        int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

        assert_true(fd >= 0);
        assert_int_equal(close(fd), 0);
        return fd;
}

static void test_loop_new(void **state) {
        loop *l = NULL;

        assert_int_equal(loop_new(NULL), -EINVAL);
        assert_int_equal(loop_new(&l), 0);
        assert_non_null(l);
        assert_null(loop_free(l));
}

static void test_loop_free(void **state) {
        assert_null(loop_free(NULL));
}

static void test_loop_add_io(void **state) {
        _cleanup_loop_ loop *l = NULL;
        loop_source *s = SENTINEL;
        int fds[2];

        assert_int_equal(loop_new(&l), 0);
        assert_int_equal(pipe2(fds, O_CLOEXEC), 0);

        assert_int_equal(loop_add_io(NULL, &s, fds[0], POLLIN, io_handler, NULL), -EINVAL);
        assert_int_equal(loop_add_io(l, &s, -1, POLLIN, io_handler, NULL), -EINVAL);
        assert_int_equal(loop_add_io(l, &s, -EBADF, POLLIN, io_handler, NULL), -EINVAL);
        assert_int_equal(loop_add_io(l, &s, fds[0], POLLIN, NULL, NULL), -EINVAL);
        /* epoll's behaviour flags mean nothing here */
        assert_int_equal(loop_add_io(l, &s, fds[0], POLLIN | EPOLLET, io_handler, NULL), -EINVAL);
        assert_int_equal(loop_add_io(l, &s, fds[0], EPOLLONESHOT, io_handler, NULL), -EINVAL);
        assert_int_equal(loop_add_io(l, &s, closed_fd(), POLLIN, io_handler, NULL), -EBADF);
        assert_ptr_equal(s, SENTINEL);

        assert_int_equal(loop_add_io(l, &s, fds[0], POLLIN, io_handler, NULL), 0);
        assert_ptr_not_equal(s, SENTINEL);
        assert_null(loop_source_free(s));
        close(fds[0]);
        close(fds[1]);
}

static void test_loop_source_io_set_events(void **state) {
        _cleanup_loop_ loop *l = NULL;
        _cleanup_loop_source_ loop_source *io = NULL, *t = NULL;
        int fds[2];

        assert_int_equal(loop_new(&l), 0);
        assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
        assert_int_equal(loop_add_io(l, &io, fds[0], POLLIN, io_handler, NULL), 0);
        assert_int_equal(loop_add_timer(l, &t, USEC_INFINITY, 0, timer_handler, NULL), 0);

        assert_int_equal(loop_source_io_set_events(NULL, POLLIN), -EINVAL);
        assert_int_equal(loop_source_io_set_events(t, POLLIN), -EINVAL);
        assert_int_equal(loop_source_io_set_events(io, POLLIN | EPOLLET), -EINVAL);
        assert_int_equal(loop_source_io_set_events(io, POLLOUT), 0);
        assert_int_equal(loop_source_io_set_events(io, 0), 0);

        io = loop_source_free(io);
        close(fds[0]);
        close(fds[1]);
}

/* Only an io source's own handler may say it (test-loop-io.c has what it
 * does). */
static void test_loop_source_io_drained(void **state) {
        _cleanup_loop_ loop *l = NULL;
        _cleanup_loop_source_ loop_source *io = NULL, *t = NULL;
        int fds[2];

        assert_int_equal(loop_new(&l), 0);
        assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
        assert_int_equal(loop_add_io(l, &io, fds[0], POLLIN, io_handler, NULL), 0);
        assert_int_equal(loop_add_timer(l, &t, USEC_INFINITY, 0, timer_handler, NULL), 0);

        assert_int_equal(loop_source_io_drained(NULL), -EINVAL);
        assert_int_equal(loop_source_io_drained(t), -EINVAL);
        assert_int_equal(loop_source_io_drained(io), -EINVAL); /* not from its handler */

        io = loop_source_free(io);
        close(fds[0]);
        close(fds[1]);
}

static void test_loop_add_child(void **state) {
        _cleanup_loop_ loop *l = NULL;
        loop_source *s = SENTINEL;

        assert_int_equal(loop_new(&l), 0);
        assert_int_equal(loop_add_child(NULL, &s, 0, child_handler, NULL), -EINVAL);
        assert_int_equal(loop_add_child(l, &s, -1, child_handler, NULL), -EINVAL);
        assert_int_equal(loop_add_child(l, &s, 0, NULL, NULL), -EINVAL);
        assert_int_equal(loop_add_child(l, &s, closed_fd(), child_handler, NULL), -EBADF);
        assert_ptr_equal(s, SENTINEL);
}

static void test_loop_add_timer(void **state) {
        _cleanup_loop_ loop *l = NULL;
        loop_source *s = SENTINEL;

        assert_int_equal(loop_new(&l), 0);
        assert_int_equal(loop_add_timer(NULL, &s, 0, 0, timer_handler, NULL), -EINVAL);
        assert_int_equal(loop_add_timer(l, &s, 0, 0, NULL, NULL), -EINVAL);
        assert_ptr_equal(s, SENTINEL);
}

static void test_loop_source_timer_set(void **state) {
        _cleanup_loop_ loop *l = NULL;
        _cleanup_loop_source_ loop_source *d = NULL;

        assert_int_equal(loop_new(&l), 0);
        assert_int_equal(loop_add_defer(l, &d, defer_handler, NULL), 0);
        assert_int_equal(loop_source_timer_set(NULL, 0, 0), -EINVAL);
        assert_int_equal(loop_source_timer_set(d, 0, 0), -EINVAL);
}

static void test_loop_add_signal(void **state) {
        _cleanup_loop_ loop *l = NULL;
        _cleanup_loop_source_ loop_source *ok = NULL;
        loop_source *s = SENTINEL;

        assert_int_equal(loop_new(&l), 0);
        assert_int_equal(loop_add_signal(NULL, &s, SIGUSR1, signal_handler, NULL), -EINVAL);
        assert_int_equal(loop_add_signal(l, &s, 0, signal_handler, NULL), -EINVAL);
        assert_int_equal(loop_add_signal(l, &s, -1, signal_handler, NULL), -EINVAL);
        assert_int_equal(loop_add_signal(l, &s, _NSIG, signal_handler, NULL), -EINVAL);
        assert_int_equal(loop_add_signal(l, &s, SIGKILL, signal_handler, NULL), -EINVAL);
        assert_int_equal(loop_add_signal(l, &s, SIGSTOP, signal_handler, NULL), -EINVAL);
        /* kept by glibc for its threads */
        assert_int_equal(loop_add_signal(l, &s, SIGRTMIN - 1, signal_handler, NULL), -EINVAL);
        assert_int_equal(loop_add_signal(l, &s, SIGUSR1, NULL, NULL), -EINVAL);
        assert_ptr_equal(s, SENTINEL);

        assert_int_equal(loop_add_signal(l, &ok, SIGUSR1, signal_handler, NULL), 0);
        assert_int_equal(loop_add_signal(l, &s, SIGUSR1, signal_handler, NULL), -EBUSY);
        assert_ptr_equal(s, SENTINEL);
}

static void test_loop_add_defer(void **state) {
        _cleanup_loop_ loop *l = NULL;
        loop_source *s = SENTINEL;

        assert_int_equal(loop_new(&l), 0);
        assert_int_equal(loop_add_defer(NULL, &s, defer_handler, NULL), -EINVAL);
        assert_int_equal(loop_add_defer(l, &s, NULL, NULL), -EINVAL);
        assert_ptr_equal(s, SENTINEL);
}

static void test_loop_source_set_enabled(void **state) {
        assert_int_equal(loop_source_set_enabled(NULL, true), -EINVAL);
        assert_int_equal(loop_source_set_enabled(NULL, false), -EINVAL);
}

static void test_loop_source_get_enabled(void **state) {
        assert_false(loop_source_get_enabled(NULL));
}

static void test_loop_source_get_userdata(void **state) {
        assert_null(loop_source_get_userdata(NULL));
}

static void test_loop_source_get_loop(void **state) {
        assert_null(loop_source_get_loop(NULL));
}

static void test_loop_source_free(void **state) {
        assert_null(loop_source_free(NULL));
}

static void test_loop_post(void **state) {
        _cleanup_loop_ loop *l = NULL;

        assert_int_equal(loop_new(&l), 0);
        assert_int_equal(loop_post(NULL, post_func, NULL), -EINVAL);
        assert_int_equal(loop_post(l, NULL, NULL), -EINVAL);
}

static void test_loop_wakeup(void **state) {
        assert_int_equal(loop_wakeup(NULL), -EINVAL);
}

static int nested_run_once(loop_source *s, void *userdata) {
        loop *l = loop_source_get_loop(s);

        assert_int_equal(loop_run_once(l, 0), -EBUSY);
        assert_int_equal(loop_run(l), -EBUSY);
        (*(int *) userdata)++;
        return 0;
}

static void test_loop_run_once(void **state) {
        _cleanup_loop_ loop *l = NULL;
        _cleanup_loop_source_ loop_source *d = NULL;
        int called = 0;

        assert_int_equal(loop_run_once(NULL, 0), -EINVAL);

        assert_int_equal(loop_new(&l), 0);
        assert_int_equal(loop_add_defer(l, &d, nested_run_once, &called), 0);
        assert_int_equal(loop_run_once(l, 0), 1);
        assert_int_equal(called, 1);
}

static void test_loop_run(void **state) {
        assert_int_equal(loop_run(NULL), -EINVAL);
        /* -EBUSY from a handler: see test_loop_run_once */
}

static void test_loop_exit(void **state) {
        assert_int_equal(loop_exit(NULL, 0), -EINVAL);
}

static void test_loop_now(void **state) {
        assert_int_equal(loop_now(NULL), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_loop_new),
                cmocka_unit_test(test_loop_free),
                cmocka_unit_test(test_loop_add_io),
                cmocka_unit_test(test_loop_source_io_set_events),
                cmocka_unit_test(test_loop_source_io_drained),
                cmocka_unit_test(test_loop_add_child),
                cmocka_unit_test(test_loop_add_timer),
                cmocka_unit_test(test_loop_source_timer_set),
                cmocka_unit_test(test_loop_add_signal),
                cmocka_unit_test(test_loop_add_defer),
                cmocka_unit_test(test_loop_source_set_enabled),
                cmocka_unit_test(test_loop_source_get_enabled),
                cmocka_unit_test(test_loop_source_get_userdata),
                cmocka_unit_test(test_loop_source_get_loop),
                cmocka_unit_test(test_loop_source_free),
                cmocka_unit_test(test_loop_post),
                cmocka_unit_test(test_loop_wakeup),
                cmocka_unit_test(test_loop_run_once),
                cmocka_unit_test(test_loop_run),
                cmocka_unit_test(test_loop_exit),
                cmocka_unit_test(test_loop_now),
        };

        test_watchdog(60);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
