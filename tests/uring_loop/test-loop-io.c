/* SPDX-License-Identifier: MIT */
/* io sources on real pipes, socketpairs and eventfds: readiness, the
 * level-triggered promise and the handler's word that it drained the fd,
 * changing events, disabling, freeing from
 * handlers (also a source whose CQE is later in the same batch), and
 * thousands of sources at once (a full SQ, an overflowing CQ). */

#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include "loop-test.h"

typedef struct io_record {
        unsigned calls;
        uint32_t last_revents;
        int last_fd;
        unsigned read_after; /* read the data from this call on (0: never read) */
        int ret;             /* what the handler returns */
        bool free_self;
        bool say_drained; /* call loop_source_io_drained() */
        loop_source **free_other;
        loop_source *self;
} io_record;

static int record_handler(loop_source *s, int fd, uint32_t revents, void *userdata) {
        io_record *r = userdata;
        char buf[64];

        assert_ptr_equal(loop_source_get_userdata(s), userdata);
        r->calls++;
        r->last_revents = revents;
        r->last_fd = fd;
        if (r->read_after > 0 && r->calls >= r->read_after && (revents & POLLIN))
                assert_true(read(fd, buf, sizeof buf) > 0);
        if (r->say_drained)
                assert_int_equal(loop_source_io_drained(s), 0);
        if (r->free_other && *r->free_other)
                *r->free_other = loop_source_free(*r->free_other);
        if (r->free_self) {
                assert_ptr_equal(s, r->self);
                loop_source_free(s);
        }
        return r->ret;
}

typedef struct pipe_fixture {
        loop *l;
        int fds[2];
} pipe_fixture;

static int setup(void **state) {
        pipe_fixture *f = calloc(1, sizeof *f);

        assert_non_null(f);
        assert_int_equal(loop_new(&f->l), 0);
        assert_int_equal(pipe2(f->fds, O_CLOEXEC | O_NONBLOCK), 0);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        pipe_fixture *f = *state;

        loop_free(f->l);
        safe_close(f->fds[0]);
        safe_close(f->fds[1]);
        free(f);
        return 0;
}

static void write_byte(int fd) {
        assert_int_equal(write(fd, "x", 1), 1);
}

static void test_readable(void **state) {
        pipe_fixture *f = *state;
        io_record rec = { .read_after = 1 };
        loop_source *s = NULL;

        assert_int_equal(loop_add_io(f->l, &s, f->fds[0], POLLIN, record_handler, &rec), 0);
        assert_true(loop_source_get_enabled(s));
        assert_ptr_equal(loop_source_get_loop(s), f->l);

        /* Nothing to read: nothing happens. */
        run_for(f->l, 30 * USEC_PER_MSEC);
        assert_int_equal(rec.calls, 0);

        write_byte(f->fds[1]);
        assert_true(RUN_UNTIL(f->l, rec.calls >= 1, 5 * USEC_PER_SEC));
        assert_int_equal(rec.calls, 1);
        assert_int_equal(rec.last_fd, f->fds[0]);
        assert_true(rec.last_revents & POLLIN);

        /* The handler read everything: no further call. */
        run_for(f->l, 30 * USEC_PER_MSEC);
        assert_int_equal(rec.calls, 1);

        /* And again, a second write wakes it again. */
        write_byte(f->fds[1]);
        assert_true(RUN_UNTIL(f->l, rec.calls >= 2, 5 * USEC_PER_SEC));
        run_for(f->l, 30 * USEC_PER_MSEC);
        assert_int_equal(rec.calls, 2);

        loop_source_free(s);
}

static void test_level_triggered(void **state) {
        pipe_fixture *f = *state;
        io_record rec = { .read_after = 4 };
        loop_source *s = NULL;

        assert_int_equal(loop_add_io(f->l, &s, f->fds[0], POLLIN, record_handler, &rec), 0);
        write_byte(f->fds[1]);

        /* Called again and again while the byte stays unread, without any
         * new write, and each run_once() call comes back at once. */
        assert_true(RUN_UNTIL(f->l, rec.calls >= 4, 5 * USEC_PER_SEC));
        run_for(f->l, 50 * USEC_PER_MSEC);
        assert_int_equal(rec.calls, 4);

        loop_source_free(s);
}

/* A handler that says it drained the fd is not called again for what it
 * left (here: everything, it reads nothing, which only a test would do),
 * and is called for what comes next: the word covers one call. */
static void test_drained_skips_level_check(void **state) {
        pipe_fixture *f = *state;
        io_record rec = { .say_drained = true };
        loop_source *s = NULL;

        assert_int_equal(loop_add_io(f->l, &s, f->fds[0], POLLIN, record_handler, &rec), 0);
        write_byte(f->fds[1]);
        assert_true(RUN_UNTIL(f->l, rec.calls >= 1, 5 * USEC_PER_SEC));
        run_for(f->l, 50 * USEC_PER_MSEC);
        assert_int_equal(rec.calls, 1);

        /* New data is a new wakeup. */
        write_byte(f->fds[1]);
        assert_true(RUN_UNTIL(f->l, rec.calls >= 2, 5 * USEC_PER_SEC));

        /* Without the word, the level holds (two unread bytes): called
         * again and again. */
        rec.say_drained = false;
        write_byte(f->fds[1]);
        assert_true(RUN_UNTIL(f->l, rec.calls >= 6, 5 * USEC_PER_SEC));

        loop_source_free(s);
}

static void test_pollout_and_set_events(void **state) {
        _cleanup_loop_ loop *l = NULL;
        io_record rec = { .read_after = 1 };
        loop_source *s = NULL;
        int sp[2];

        assert_int_equal(loop_new(&l), 0);
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sp), 0);

        /* Nothing to read on sp[0]. */
        assert_int_equal(loop_add_io(l, &s, sp[0], POLLIN, record_handler, &rec), 0);
        run_for(l, 30 * USEC_PER_MSEC);
        assert_int_equal(rec.calls, 0);

        /* Writable, at once; and level-triggered: again and again. */
        assert_int_equal(loop_source_io_set_events(s, POLLOUT), 0);
        assert_true(RUN_UNTIL(l, rec.calls >= 3, 5 * USEC_PER_SEC));
        assert_true(rec.last_revents & POLLOUT);
        assert_false(rec.last_revents & POLLIN);

        /* Back to POLLIN: quiet until the peer writes. */
        assert_int_equal(loop_source_io_set_events(s, POLLIN), 0);
        run_for(l, 30 * USEC_PER_MSEC); /* CQEs queued before the update are filtered */
        rec.calls = 0;
        run_for(l, 50 * USEC_PER_MSEC);
        assert_int_equal(rec.calls, 0);

        assert_int_equal(write(sp[1], "hello", 5), 5);
        assert_true(RUN_UNTIL(l, rec.calls >= 1, 5 * USEC_PER_SEC));
        assert_true(rec.last_revents & POLLIN);
        assert_false(rec.last_revents & POLLOUT);

        /* Both */
        rec.calls = 0;
        assert_int_equal(loop_source_io_set_events(s, POLLIN | POLLOUT), 0);
        assert_true(RUN_UNTIL(l, rec.calls >= 1, 5 * USEC_PER_SEC));
        assert_true(rec.last_revents & POLLOUT);

        loop_source_free(s);
        close(sp[0]);
        close(sp[1]);
}

static void test_disable_enable(void **state) {
        pipe_fixture *f = *state;
        io_record rec = { .read_after = 1 };
        loop_source *s = NULL;

        assert_int_equal(loop_add_io(f->l, &s, f->fds[0], POLLIN, record_handler, &rec), 0);
        run_for(f->l, 20 * USEC_PER_MSEC);

        assert_int_equal(loop_source_set_enabled(s, false), 0);
        assert_false(loop_source_get_enabled(s));
        assert_int_equal(loop_source_set_enabled(s, false), 0); /* idempotent */

        write_byte(f->fds[1]);
        run_for(f->l, 50 * USEC_PER_MSEC);
        assert_int_equal(rec.calls, 0);

        /* Data that arrived while disabled is seen on enabling. */
        assert_int_equal(loop_source_set_enabled(s, true), 0);
        assert_true(loop_source_get_enabled(s));
        assert_true(RUN_UNTIL(f->l, rec.calls >= 1, 5 * USEC_PER_SEC));
        run_for(f->l, 30 * USEC_PER_MSEC);
        assert_int_equal(rec.calls, 1);

        /* Disable and enable within one iteration, data in between. */
        assert_int_equal(loop_source_set_enabled(s, false), 0);
        write_byte(f->fds[1]);
        assert_int_equal(loop_source_set_enabled(s, true), 0);
        assert_true(RUN_UNTIL(f->l, rec.calls >= 2, 5 * USEC_PER_SEC));

        loop_source_free(s);
}

static void test_hangup(void **state) {
        pipe_fixture *f = *state;
        io_record rec = { .read_after = 1 };
        loop_source *s = NULL;

        /* POLLHUP comes even when not asked for. */
        assert_int_equal(loop_add_io(f->l, &s, f->fds[0], 0, record_handler, &rec), 0);
        f->fds[1] = safe_close(f->fds[1]);
        assert_true(RUN_UNTIL(f->l, rec.calls >= 1, 5 * USEC_PER_SEC));
        assert_true(rec.last_revents & POLLHUP);
        loop_source_free(s);
}

static void test_handler_error_disables(void **state) {
        pipe_fixture *f = *state;
        io_record rec = { .ret = -EIO };
        loop_source *s = NULL;

        assert_int_equal(loop_add_io(f->l, &s, f->fds[0], POLLIN, record_handler, &rec), 0);
        write_byte(f->fds[1]);
        assert_true(RUN_UNTIL(f->l, rec.calls >= 1, 5 * USEC_PER_SEC));
        run_for(f->l, 50 * USEC_PER_MSEC);
        assert_int_equal(rec.calls, 1);
        assert_false(loop_source_get_enabled(s));

        /* The loop goes on, and so does the source once enabled. */
        rec.ret = 0;
        rec.read_after = 1;
        assert_int_equal(loop_source_set_enabled(s, true), 0);
        assert_true(RUN_UNTIL(f->l, rec.calls >= 2, 5 * USEC_PER_SEC));
        loop_source_free(s);
}

static void test_free_self_in_handler(void **state) {
        pipe_fixture *f = *state;
        io_record rec = { .free_self = true };

        assert_int_equal(loop_add_io(f->l, &rec.self, f->fds[0], POLLIN, record_handler, &rec), 0);
        write_byte(f->fds[1]);
        assert_true(RUN_UNTIL(f->l, rec.calls >= 1, 5 * USEC_PER_SEC));
        /* Not read, yet never called again: it is gone. */
        write_byte(f->fds[1]);
        run_for(f->l, 50 * USEC_PER_MSEC);
        assert_int_equal(rec.calls, 1);
}

/* Two ready fds armed in the same submission complete in the same batch:
 * whichever handler runs first frees the other source, whose CQE is then
 * later in the batch and must be dropped without touching freed memory
 * (ASan checks that part). */
static void test_free_other_same_batch(void **state) {
        _cleanup_loop_ loop *l = NULL;
        loop_source *a = NULL, *b = NULL;
        io_record ra = { .free_other = &b }, rb = { .free_other = &a };
        int p[2], q[2];

        assert_int_equal(loop_new(&l), 0);
        assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
        assert_int_equal(pipe2(q, O_CLOEXEC | O_NONBLOCK), 0);
        write_byte(p[1]);
        write_byte(q[1]);

        assert_int_equal(loop_add_io(l, &a, p[0], POLLIN, record_handler, &ra), 0);
        assert_int_equal(loop_add_io(l, &b, q[0], POLLIN, record_handler, &rb), 0);

        assert_int_equal(loop_run_once(l, 0), 1);
        assert_int_equal(ra.calls + rb.calls, 1);
        /* The survivor goes on (level-triggered: its byte is unread), the
         * other one never runs. */
        run_for(l, 30 * USEC_PER_MSEC);
        if (ra.calls > 0) {
                assert_null(b);
                assert_int_equal(rb.calls, 0);
                assert_true(ra.calls >= 2);
                loop_source_free(a);
        } else {
                assert_null(a);
                assert_int_equal(ra.calls, 0);
                assert_true(rb.calls >= 2);
                loop_source_free(b);
        }

        close(p[0]);
        close(p[1]);
        close(q[0]);
        close(q[1]);
}

/* Freed while its poll request is in the kernel, with and without another
 * iteration before the loop goes. */
static void test_free_in_flight(void **state) {
        pipe_fixture *f = *state;
        io_record rec = {};
        loop_source *s = NULL, *t = NULL;

        assert_int_equal(loop_add_io(f->l, &s, f->fds[0], POLLIN, record_handler, &rec), 0);
        assert_int_equal(loop_add_io(f->l, &t, f->fds[0], POLLIN, record_handler, &rec), 0);
        run_for(f->l, 20 * USEC_PER_MSEC); /* both armed now */
        loop_source_free(s);
        write_byte(f->fds[1]);
        run_for(f->l, 30 * USEC_PER_MSEC);
        assert_true(rec.calls >= 1); /* t only */
        assert_int_equal(rec.last_fd, f->fds[0]);
        /* t is freed by teardown's loop_free() with its request in flight. */
        loop_source_free(t);
        write_byte(f->fds[1]);
        assert_int_equal(loop_add_io(f->l, NULL, f->fds[0], POLLIN, record_handler, &rec), 0);
        run_for(f->l, 20 * USEC_PER_MSEC);
        /* a floating source, left to loop_free() */
}

/* A freed source whose memory is reused by the next allocation must not
 * receive the old request's CQEs. */
static void test_free_and_readd(void **state) {
        pipe_fixture *f = *state;
        io_record r1 = {}, r2 = { .read_after = 1 };
        loop_source *s = NULL;

        assert_int_equal(loop_add_io(f->l, &s, f->fds[0], POLLIN, record_handler, &r1), 0);
        run_for(f->l, 20 * USEC_PER_MSEC);
        for (unsigned i = 0; i < 50; i++) {
                loop_source_free(s);
                assert_int_equal(loop_add_io(f->l, &s, f->fds[0], POLLOUT, record_handler, &r2), 0);
                assert_int_equal(loop_run_once(f->l, 0) >= 0, 1);
                loop_source_free(s);
                assert_int_equal(loop_add_io(f->l, &s, f->fds[0], POLLIN, record_handler, &r1), 0);
        }
        run_for(f->l, 20 * USEC_PER_MSEC);
        assert_int_equal(r1.calls, 0);
        assert_int_equal(r2.calls, 0); /* a pipe's read end is never writable */
        loop_source_free(s);
}

typedef struct many {
        unsigned *calls;
        unsigned index;
} many;

static int many_handler(loop_source *s, int fd, uint32_t revents, void *userdata) {
        many *m = userdata;

        m->calls[m->index]++;
        /* Do not read: the others must see the level too. */
        return loop_source_set_enabled(s, false);
}

/* 5000 sources on one eventfd: more than the SQ takes at once (submitted in
 * chunks) and more completions at once than the CQ holds (the kernel's
 * overflow list). Each must be called exactly once. */
static void test_many_sources(void **state) {
        enum { N = 5000 };
        _cleanup_loop_ loop *l = NULL;
        loop_source **s = calloc(N, sizeof *s);
        unsigned *calls = calloc(N, sizeof *calls);
        many *m = calloc(N, sizeof *m);
        unsigned total = 0;
        uint64_t one = 1;
        int efd;

        assert_non_null(s);
        assert_non_null(calls);
        assert_non_null(m);
        assert_int_equal(loop_new(&l), 0);
        efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        assert_true(efd >= 0);

        for (unsigned i = 0; i < N; i++) {
                m[i] = (many) { .calls = calls, .index = i };
                assert_int_equal(loop_add_io(l, &s[i], efd, POLLIN, many_handler, &m[i]), 0);
        }
        run_for(l, 50 * USEC_PER_MSEC); /* all armed */
        for (unsigned i = 0; i < N; i++)
                assert_int_equal(calls[i], 0);

        assert_int_equal(write(efd, &one, sizeof one), (ssize_t) sizeof one);
        assert_true(RUN_UNTIL(l, ({
                total = 0;
                for (unsigned i = 0; i < N; i++)
                        total += calls[i];
                total >= N;
        }), 30 * USEC_PER_SEC));
        run_for(l, 50 * USEC_PER_MSEC);
        for (unsigned i = 0; i < N; i++)
                assert_int_equal(calls[i], 1);

        /* Free half, with their requests removed through the ring, then
         * enable the rest: the level is still there. */
        for (unsigned i = 0; i < N; i += 2)
                s[i] = loop_source_free(s[i]);
        for (unsigned i = 1; i < N; i += 2)
                assert_int_equal(loop_source_set_enabled(s[i], true), 0);
        assert_true(RUN_UNTIL(l, ({
                total = 0;
                for (unsigned i = 1; i < N; i += 2)
                        total += calls[i];
                total >= N;
        }), 30 * USEC_PER_SEC));
        for (unsigned i = 0; i < N; i++)
                assert_int_equal(calls[i], i % 2 ? 2 : 1);

        l = loop_free(l); /* frees the odd half */
        close(efd);
        free(s);
        free(calls);
        free(m);
}

static void test_run_once_count(void **state) {
        _cleanup_loop_ loop *l = NULL;
        io_record ra = { .read_after = 1 }, rb = { .read_after = 1 };
        loop_source *a = NULL, *b = NULL;
        int p[2], q[2], n = 0;

        assert_int_equal(loop_new(&l), 0);
        assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
        assert_int_equal(pipe2(q, O_CLOEXEC | O_NONBLOCK), 0);
        assert_int_equal(loop_add_io(l, &a, p[0], POLLIN, record_handler, &ra), 0);
        assert_int_equal(loop_add_io(l, &b, q[0], POLLIN, record_handler, &rb), 0);
        run_for(l, 20 * USEC_PER_MSEC);
        write_byte(p[1]);
        write_byte(q[1]);

        /* The return value adds up to the handlers run. */
        for (unsigned i = 0; i < 100 && ra.calls + rb.calls < 2; i++) {
                int r = loop_run_once(l, 100 * USEC_PER_MSEC);

                assert_true(r >= 0);
                n += r;
        }
        assert_int_equal(ra.calls + rb.calls, 2);
        assert_int_equal(n, 2);

        loop_source_free(a);
        loop_source_free(b);
        close(p[0]);
        close(p[1]);
        close(q[0]);
        close(q[1]);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_readable, setup, teardown),
                cmocka_unit_test_setup_teardown(test_level_triggered, setup, teardown),
                cmocka_unit_test_setup_teardown(test_drained_skips_level_check, setup, teardown),
                cmocka_unit_test(test_pollout_and_set_events),
                cmocka_unit_test_setup_teardown(test_disable_enable, setup, teardown),
                cmocka_unit_test_setup_teardown(test_hangup, setup, teardown),
                cmocka_unit_test_setup_teardown(test_handler_error_disables, setup, teardown),
                cmocka_unit_test_setup_teardown(test_free_self_in_handler, setup, teardown),
                cmocka_unit_test(test_free_other_same_batch),
                cmocka_unit_test_setup_teardown(test_free_in_flight, setup, teardown),
                cmocka_unit_test_setup_teardown(test_free_and_readd, setup, teardown),
                cmocka_unit_test(test_many_sources),
                cmocka_unit_test(test_run_once_count),
        };

        test_watchdog(240);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
