/* SPDX-License-Identifier: MIT */
/* Calls posted from any thread: a FIFO under a mutex, and an eventfd
 * watched by the ring to wake the loop.
 *
 * A poster writes the eventfd only when it finds the queue empty. That is
 * enough: the loop empties the queue in one go under the lock and, before
 * it blocks, looks under the lock whether the queue is empty; whoever
 * queues after that look finds it empty and writes. The loop runs posted
 * calls before its wait and again after it, so a call posted while the
 * loop sleeps runs in the iteration it wakes. */

#include <poll.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "loop-internal.h"

static int post_watch_handler(loop_source *s, int fd, uint32_t revents, void *userdata) {
        uint64_t v;

        /* Only resets the counter; the queue is emptied by
         * loop_dispatch_posts(). */
        if (read(fd, &v, sizeof v) < 0 && errno != EAGAIN && errno != EINTR)
                return -errno;
        return 0;
}

int loop_post_init(loop *l) {
        _cleanup_close_ int fd = -EBADF;
        int r;

        fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (fd < 0)
                return -errno;

        r = source_io_new(l, &l->post_watch, fd, POLLIN, true, post_watch_handler, l);
        if (r < 0)
                return r;
        l->post_fd = TAKE_FD(fd);
        return 0;
}

void loop_post_done(loop *l) {
        post_entry *e;

        assert(l);

        while ((e = l->post_first)) {
                l->post_first = e->next;
                free(e);
        }
        l->post_last = NULL;
        l->post_fd = safe_close(l->post_fd);
}

int loop_wakeup(loop *l) {
        uint64_t one = 1;

        assert_return(l, -EINVAL);

        for (;;) {
                if (write(l->post_fd, &one, sizeof one) >= 0)
                        return 0;
                if (errno == EINTR)
                        continue;
                /* The counter is full: the loop is woken already. */
                if (errno == EAGAIN)
                        return 0;
                return -errno;
        }
}

int loop_post(loop *l, loop_post_func func, void *userdata) {
        post_entry *e;
        bool was_empty;

        assert_return(l, -EINVAL);
        assert_return(func, -EINVAL);

        e = malloc(sizeof *e);
        if (!e)
                return -ENOMEM;
        *e = (post_entry) {
                .func = func,
                .userdata = userdata,
        };

        pthread_mutex_lock(&l->post_lock);
        was_empty = !l->post_first;
        if (l->post_last)
                l->post_last->next = e;
        else
                l->post_first = e;
        l->post_last = e;
        pthread_mutex_unlock(&l->post_lock);

        if (was_empty)
                /* The call is queued whatever happens here; a failing write
                 * to an eventfd we own would be a bug. */
                (void) loop_wakeup(l);
        return 0;
}

bool loop_post_pending(loop *l) {
        bool pending;

        pthread_mutex_lock(&l->post_lock);
        pending = l->post_first != NULL;
        pthread_mutex_unlock(&l->post_lock);
        return pending;
}

void loop_dispatch_posts(loop *l) {
        post_entry *e;

        assert(l);

        pthread_mutex_lock(&l->post_lock);
        e = l->post_first;
        l->post_first = l->post_last = NULL;
        pthread_mutex_unlock(&l->post_lock);

        while (e) {
                post_entry *next = e->next;

                l->n_dispatched++;
                e->func(e->userdata);
                free(e);
                e = next;
        }
}
