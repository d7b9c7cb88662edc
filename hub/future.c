/* SPDX-License-Identifier: MIT */

/* Futures: a result handed from the loop thread to an awaiting thread under
 * a mutex and a condition variable on CLOCK_MONOTONIC (the deadline must
 * not move with the wall clock). */

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "future.h"
#include "time-util.h"
#include "../client/client.h"

typedef enum future_state {
        FUTURE_PENDING,   /* the operation is still running */
        FUTURE_DONE,      /* completed in time: the result can be collected until the deadline */
        FUTURE_COLLECTED, /* awaited once: a copy was handed out */
        FUTURE_EXPIRED,   /* not completed by the deadline */
} future_state;

struct ph_future {
        atomic_uint n_ref;
        uint64_t deadline_usec; /* immutable */

        pthread_mutex_t lock;
        pthread_cond_t cond;
        future_state state; /* under lock */
        bool completed;     /* under lock */
        /* The operation's until completion, then read under lock. */
        ph_result *result;
        /* A daemon's operation (client/): its connection, read on await. */
        client_future *remote;
};

int future_new(ph_result_kind kind, uint64_t await_timeout_ms, ph_future **ret) {
        _cleanup_(ph_result_freep) ph_result *result = NULL;
        pthread_condattr_t attr;
        ph_future *f;
        int r;

        assert_return(ret, -EINVAL);

        r = result_new(kind, &result);
        if (r < 0)
                return r;

        f = calloc(1, sizeof(ph_future));
        if (!f)
                return -ENOMEM;
        r = -pthread_mutex_init(&f->lock, NULL);
        if (r < 0)
                goto fail_free;
        r = -pthread_condattr_init(&attr);
        if (r < 0)
                goto fail_mutex;
        r = -pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        if (r >= 0)
                r = -pthread_cond_init(&f->cond, &attr);
        (void) pthread_condattr_destroy(&attr);
        if (r < 0)
                goto fail_mutex;

        atomic_init(&f->n_ref, 1);
        if (await_timeout_ms >= USEC_INFINITY / USEC_PER_MSEC)
                f->deadline_usec = USEC_INFINITY;
        else {
                uint64_t now = now_usec(), timeout = await_timeout_ms * USEC_PER_MSEC;

                f->deadline_usec = timeout >= USEC_INFINITY - now ? USEC_INFINITY : now + timeout;
        }
        f->state = FUTURE_PENDING;
        f->result = TAKE_PTR(result);
        *ret = f;
        return 0;

fail_mutex:
        (void) pthread_mutex_destroy(&f->lock);
fail_free:
        free(f);
        return r;
}

ph_future *future_ref(ph_future *f) {
        if (f)
                atomic_fetch_add(&f->n_ref, 1);
        return f;
}

ph_future *future_unref(ph_future *f) {
        if (!f)
                return NULL;
        if (atomic_fetch_sub(&f->n_ref, 1) != 1)
                return NULL;
        client_future_free(f->remote);
        (void) pthread_cond_destroy(&f->cond);
        (void) pthread_mutex_destroy(&f->lock);
        ph_result_free(f->result);
        free(f);
        return NULL;
}

void future_set_remote(ph_future *f, client_future *cf) {
        assert(f);
        f->remote = cf;
}

_public_ ph_future *ph_future_free(ph_future *future) {
        return future_unref(future);
}

ph_result *future_result(ph_future *f) {
        assert(f);
        return f->result;
}

uint64_t future_deadline_usec(ph_future *f) {
        assert(f);
        return f->deadline_usec;
}

bool future_is_done(ph_future *f) {
        bool done;

        assert(f);
        pthread_mutex_lock(&f->lock);
        done = f->completed;
        pthread_mutex_unlock(&f->lock);
        return done;
}

void future_complete(ph_future *f) {
        if (!f)
                return;

        pthread_mutex_lock(&f->lock);
        if (!f->completed) {
                f->completed = true;
                if (f->state == FUTURE_PENDING && now_usec() >= f->deadline_usec)
                        f->state = FUTURE_EXPIRED;
                if (f->state == FUTURE_PENDING)
                        f->state = FUTURE_DONE;
                else /* expired: nobody may collect it any more */
                        f->result = ph_result_free(f->result);
                pthread_cond_broadcast(&f->cond);
        }
        pthread_mutex_unlock(&f->lock);
}

static struct timespec usec_to_timespec(uint64_t usec) {
        return (struct timespec) {
                .tv_sec = (time_t) (usec / USEC_PER_SEC),
                .tv_nsec = (long) (usec % USEC_PER_SEC * NSEC_PER_USEC),
        };
}

/* Called with the lock held: wait until the future leaves PENDING (it may
 * be by expiring). */
static void future_wait_locked(ph_future *f) {
        while (f->state == FUTURE_PENDING) {
                if (now_usec() >= f->deadline_usec) {
                        f->state = FUTURE_EXPIRED;
                        break;
                }
                if (f->deadline_usec == USEC_INFINITY)
                        (void) pthread_cond_wait(&f->cond, &f->lock);
                else {
                        struct timespec ts = usec_to_timespec(f->deadline_usec);

                        /* ETIMEDOUT or a wakeup: the loop looks again. */
                        (void) pthread_cond_timedwait(&f->cond, &f->lock, &ts);
                }
        }
}

_public_ int ph_future_await(ph_future *future, ph_result **ret_result) {
        ph_result *copy = NULL;
        int r;

        assert_return(future, -EINVAL);
        assert_return(ret_result, -EINVAL);
        if (future->remote && (r = client_future_receive(future->remote, future)) < 0) return r;

        pthread_mutex_lock(&future->lock);
        future_wait_locked(future);
        if (future->state == FUTURE_DONE && now_usec() >= future->deadline_usec) {
                /* The collector's lifetime (await_timeout) is over, as in the
                 * reference: the result is no longer to be had. */
                future->state = FUTURE_EXPIRED;
                future->result = ph_result_free(future->result);
        }
        switch (future->state) {
        case FUTURE_DONE:
                r = result_copy(future->result, &copy);
                if (r >= 0)
                        future->state = FUTURE_COLLECTED;
                break;
        case FUTURE_COLLECTED:
                r = -EALREADY;
                break;
        case FUTURE_EXPIRED:
                r = -ETIMEDOUT;
                break;
        default:
                assert(false);
                r = -EIO;
        }
        pthread_mutex_unlock(&future->lock);
        if (r < 0)
                return r;
        *ret_result = copy;
        return 0;
}
