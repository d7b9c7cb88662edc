/* SPDX-License-Identifier: MIT */
/* The loop itself: the ring, and one iteration.
 *
 * An iteration, in order:
 *   1. run the defer sources queued before it, and the posted calls;
 *   2. queue the SQEs the dirty sources need (loop-poll.c);
 *   3. submit and wait, at most until the earliest timer and never if
 *      anything ran in 1. or is still pending (defers, level checks, posted
 *      calls, SQEs that did not fit);
 *   4. walk the batch of CQEs and dispatch each on its user_data, then
 *      advance the CQ ring;
 *   5. dispatch the io sources whose level still held after their last call,
 *      the timers that are due, and the calls posted during the wait.
 * The cost of each step is in the number of events, never in the number of
 * sources. */

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "loop-internal.h"
#include "time-util.h"

/* A modest SQ, which loop-poll.c submits whenever it is full, and a larger
 * CQ so that a burst (thousands of children exiting at once) rarely has to
 * go through the kernel's overflow list. */
#define LOOP_SQ_ENTRIES 256U
#define LOOP_CQ_ENTRIES 4096U

static int loop_ring_init(loop *l) {
        /* The most useful flags first, dropping what the kernel refuses.
         * COOP_TASKRUN: no IPI to run completions, we enter the kernel
         * anyway; TASKRUN_FLAG lets liburing see when that is needed.
         * SINGLE_ISSUER with R_DISABLED: the ring belongs to the thread
         * that first runs the loop (enabled in loop_run_once()). */
        static const unsigned flag_sets[] = {
                IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN |
                        IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_R_DISABLED,
                IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN |
                        IORING_SETUP_TASKRUN_FLAG,
                IORING_SETUP_CQSIZE,
                0,
        };
        int r = -EINVAL;

        for (size_t i = 0; i < ELEMENTSOF(flag_sets); i++) {
                struct io_uring_params p = {
                        .flags = flag_sets[i],
                        .cq_entries = LOOP_CQ_ENTRIES,
                };

                r = io_uring_queue_init_params(LOOP_SQ_ENTRIES, &l->ring, &p);
                if (r >= 0) {
                        l->ring_initialized = true;
                        l->ring_needs_enable = p.flags & IORING_SETUP_R_DISABLED;
                        log_debug("loop: io_uring with setup flags 0x%x", p.flags);
                        return 0;
                }
                if (r != -EINVAL)
                        break;
        }
        return log_debug_errno(r, "loop: cannot set up io_uring: %s", strerror(-r));
}

int loop_new(loop **ret) {
        _cleanup_loop_ loop *l = NULL;
        int r;

        assert_return(ret, -EINVAL);

        l = calloc(1, sizeof *l);
        if (!l)
                return -ENOMEM;
        l->signal_fd = l->post_fd = -EBADF;
        l->post_lock = (pthread_mutex_t) PTHREAD_MUTEX_INITIALIZER;
        sigemptyset(&l->signal_mask);
        l->now = now_usec();

        r = loop_ring_init(l);
        if (r < 0)
                return r;
        r = loop_post_init(l);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(l);
        return 0;
}

loop *loop_free(loop *l) {
        if (!l)
                return NULL;

        /* Closing the ring drops every request in it: nothing will refer
         * to the sources any more. */
        if (l->ring_initialized)
                io_uring_queue_exit(&l->ring);
        loop_source_free_all(l);
        loop_post_done(l);
        loop_signal_done(l);
        free(l->timers);
        pthread_mutex_destroy(&l->post_lock);
        free(l);
        return NULL;
}

static uint64_t loop_wait_timeout(loop *l, uint64_t timeout_usec) {
        uint64_t next, now;

        if (timeout_usec == 0 || l->n_dispatched > 0 || l->flush_incomplete ||
            l->defers.first || l->io_pending.first || loop_post_pending(l))
                return 0;

        next = loop_timers_next(l);
        if (next == USEC_INFINITY)
                return timeout_usec;
        now = now_usec();
        if (next <= now)
                return 0;
        return next - now < timeout_usec ? next - now : timeout_usec;
}

/* Submit what is queued and wait for at least one CQE, or timeout_usec. */
static int loop_submit_and_wait(loop *l, uint64_t timeout_usec) {
        int r;

        if (timeout_usec == 0)
                /* Still enter the kernel: with COOP_TASKRUN completions are
                 * only posted then, and the CQ overflow list is flushed. */
                r = io_uring_submit_and_get_events(&l->ring);
        else if (timeout_usec == USEC_INFINITY)
                r = io_uring_submit_and_wait(&l->ring, 1);
        else {
                struct __kernel_timespec ts = {
                        .tv_sec = (long long) (timeout_usec / USEC_PER_SEC),
                        .tv_nsec = (long long) ((timeout_usec % USEC_PER_SEC) * NSEC_PER_USEC),
                };
                struct io_uring_cqe *cqe;

                r = io_uring_submit_and_wait_timeout(&l->ring, &cqe, 1, &ts, NULL);
        }

        if (r < 0 && !errno_is_transient(r))
                return log_debug_errno(r, "loop: io_uring_enter failed: %s", strerror(-r));
        return 0;
}

int loop_run_once(loop *l, uint64_t timeout_usec) {
        int r;

        assert_return(l, -EINVAL);
        assert_return(!l->running, -EBUSY);

        if (l->ring_needs_enable) {
                /* Debian's liburing 2.3 declares io_uring_enable_rings() but
                 * does not export it: register the opcode directly. */
                r = io_uring_register(l->ring.ring_fd, IORING_REGISTER_ENABLE_RINGS, NULL, 0);
                if (r < 0)
                        return log_debug_errno(r, "loop: cannot enable the ring: %s", strerror(-r));
                l->ring_needs_enable = false;
        }

        l->running = true;
        l->iteration++;
        l->n_dispatched = 0;
        l->now = now_usec();

        loop_dispatch_defers(l);
        loop_dispatch_posts(l);

        r = loop_flush_polls(l);
        if (r < 0)
                goto finish;

        r = loop_submit_and_wait(l, loop_wait_timeout(l, timeout_usec));
        if (r < 0)
                goto finish;

        l->now = now_usec();
        loop_process_completions(l);
        loop_dispatch_io_pending(l);
        loop_dispatch_timers(l);
        loop_dispatch_posts(l);

        r = l->n_dispatched > INT_MAX ? INT_MAX : (int) l->n_dispatched;
finish:
        l->running = false;
        return r;
}

int loop_run(loop *l) {
        int r;

        assert_return(l, -EINVAL);
        assert_return(!l->running, -EBUSY);

        while (!l->exit_requested) {
                r = loop_run_once(l, USEC_INFINITY);
                if (r < 0)
                        return r;
        }

        l->exit_requested = false;
        return l->exit_code;
}

int loop_exit(loop *l, int code) {
        assert_return(l, -EINVAL);

        l->exit_requested = true;
        l->exit_code = code;
        return 0;
}

uint64_t loop_now(const loop *l) {
        assert_return(l, 0);

        return l->now;
}
