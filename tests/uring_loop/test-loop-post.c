/* SPDX-License-Identifier: MIT */
/* loop_post() from other threads and from handlers, and loop_wakeup(). */

#include <pthread.h>
#include <stdlib.h>

#include "loop-test.h"

#define N_THREADS 8
#define N_POSTS 5000

typedef struct post_state {
        loop *loop;
        pthread_t loop_thread;
        unsigned next[N_THREADS]; /* next sequence number expected */
        unsigned total;
        bool in_order;
        bool on_loop_thread;
} post_state;

typedef struct post_msg {
        post_state *st;
        unsigned thread, seq;
} post_msg;

static void post_func(void *userdata) {
        post_msg *m = userdata;
        post_state *st = m->st;

        if (!pthread_equal(pthread_self(), st->loop_thread))
                st->on_loop_thread = false;
        if (m->seq != st->next[m->thread])
                st->in_order = false;
        st->next[m->thread] = m->seq + 1;
        if (++st->total == N_THREADS * N_POSTS)
                (void) loop_exit(st->loop, 77);
        free(m);
}

typedef struct thread_arg {
        post_state *st;
        unsigned thread;
        int error;
} thread_arg;

static void *poster(void *userdata) {
        thread_arg *a = userdata;

        for (unsigned i = 0; i < N_POSTS; i++) {
                post_msg *m = malloc(sizeof *m);
                int r;

                if (!m) {
                        a->error = -ENOMEM;
                        break;
                }
                *m = (post_msg) { .st = a->st, .thread = a->thread, .seq = i };
                r = loop_post(a->st->loop, post_func, m);
                if (r < 0) {
                        free(m);
                        a->error = r;
                        break;
                }
                if (i % 512 == 0)
                        sched_yield();
        }
        return NULL;
}

/* N threads x M posts while the loop runs: every call runs once, on the
 * loop thread, in the order each thread posted. */
static void test_threads(void **state) {
        _cleanup_loop_ loop *l = NULL;
        post_state st = { .in_order = true, .on_loop_thread = true };
        pthread_t t[N_THREADS];
        thread_arg a[N_THREADS];

        assert_int_equal(loop_new(&l), 0);
        st.loop = l;
        st.loop_thread = pthread_self();

        for (unsigned i = 0; i < N_THREADS; i++) {
                a[i] = (thread_arg) { .st = &st, .thread = i };
                assert_int_equal(pthread_create(&t[i], NULL, poster, &a[i]), 0);
        }

        /* loop_exit() is called by the last post. The watchdog bounds it. */
        assert_int_equal(loop_run(l), 77);

        for (unsigned i = 0; i < N_THREADS; i++) {
                assert_int_equal(pthread_join(t[i], NULL), 0);
                assert_int_equal(a[i].error, 0);
                assert_int_equal(st.next[i], N_POSTS);
        }
        assert_int_equal(st.total, N_THREADS * N_POSTS);
        assert_true(st.in_order);
        assert_true(st.on_loop_thread);
}

typedef struct seq_log {
        int items[16];
        unsigned n;
} seq_log;

static seq_log *the_log;

static void log_1(void *userdata) {
        the_log->items[the_log->n++] = 1;
}
static void log_2(void *userdata) {
        the_log->items[the_log->n++] = 2;
}
static void log_3(void *userdata) {
        the_log->items[the_log->n++] = 3;
        /* posting from a posted call: runs later, not now */
        assert_int_equal(loop_post(userdata, log_1, NULL), 0);
}

static int defer_posts(loop_source *s, void *userdata) {
        loop *l = loop_source_get_loop(s);

        assert_int_equal(loop_post(l, log_2, NULL), 0);
        assert_int_equal(loop_post(l, log_3, l), 0);
        return 0;
}

/* From the loop thread itself, inside handlers. */
static void test_from_handler(void **state) {
        _cleanup_loop_ loop *l = NULL;
        seq_log log = {};
        loop_source *s = NULL;

        the_log = &log;
        assert_int_equal(loop_new(&l), 0);
        assert_int_equal(loop_post(l, log_1, NULL), 0);
        assert_int_equal(loop_add_defer(l, &s, defer_posts, NULL), 0);

        assert_true(RUN_UNTIL(l, log.n >= 4, 5 * USEC_PER_SEC));
        assert_int_equal(log.n, 4);
        assert_int_equal(log.items[0], 1);
        assert_int_equal(log.items[1], 2);
        assert_int_equal(log.items[2], 3);
        assert_int_equal(log.items[3], 1);
        loop_source_free(s);
        the_log = NULL;
}

static void *wake_later(void *userdata) {
        usleep(50 * 1000);
        assert_int_equal(loop_wakeup(userdata), 0);
        return NULL;
}

/* loop_wakeup() ends a wait that nothing else would end. */
static void test_wakeup(void **state) {
        _cleanup_loop_ loop *l = NULL;
        pthread_t t;
        uint64_t start;

        assert_int_equal(loop_new(&l), 0);
        assert_int_equal(loop_run_once(l, 0), 0);

        start = now_usec();
        assert_int_equal(pthread_create(&t, NULL, wake_later, l), 0);
        assert_int_equal(loop_run_once(l, USEC_INFINITY), 0);
        assert_true(now_usec() - start >= 40 * USEC_PER_MSEC);
        assert_int_equal(pthread_join(t, NULL), 0);

        /* Several wakeups before the loop looks: one wait ends; once they
         * are absorbed, waits block again (shown by the timeout passing). */
        for (unsigned i = 0; i < 10; i++)
                assert_int_equal(loop_wakeup(l), 0);
        assert_int_equal(loop_run_once(l, USEC_INFINITY), 0);
        run_for(l, 20 * USEC_PER_MSEC);
        for (unsigned i = 0; i < 5; i++)
                assert_int_equal(loop_run_once(l, 0), 0);
        start = now_usec();
        assert_int_equal(loop_run_once(l, 30 * USEC_PER_MSEC), 0);
        assert_true(now_usec() - start >= 30 * USEC_PER_MSEC);
}

static void *post_later(void *userdata) {
        usleep(30 * 1000);
        assert_int_equal(loop_post(userdata, log_2, NULL), 0);
        return NULL;
}

/* A call posted while the loop waits runs in the iteration it wakes. */
static void test_post_wakes(void **state) {
        _cleanup_loop_ loop *l = NULL;
        seq_log log = {};
        pthread_t t;

        the_log = &log;
        assert_int_equal(loop_new(&l), 0);
        assert_int_equal(pthread_create(&t, NULL, post_later, l), 0);
        while (log.n == 0)
                assert_true(loop_run_once(l, USEC_INFINITY) >= 0);
        assert_int_equal(pthread_join(t, NULL), 0);
        assert_int_equal(log.items[0], 2);
        the_log = NULL;
}

static void never_called(void *userdata) {
        fail_msg("a call left in the queue ran");
}

/* Calls still queued when the loop goes are dropped (and freed: ASan). */
static void test_left_at_free(void **state) {
        loop *l = NULL;

        assert_int_equal(loop_new(&l), 0);
        for (unsigned i = 0; i < 100; i++)
                assert_int_equal(loop_post(l, never_called, NULL), 0);
        assert_null(loop_free(l));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_threads),
                cmocka_unit_test(test_from_handler),
                cmocka_unit_test(test_wakeup),
                cmocka_unit_test(test_post_wakes),
                cmocka_unit_test(test_left_at_free),
        };

        test_watchdog(120);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
