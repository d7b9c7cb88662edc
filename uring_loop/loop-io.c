/* SPDX-License-Identifier: MIT */
/* io sources: readiness of an fd through a multishot poll request.
 *
 * A multishot poll reports wakeups, not states: once a handler has left
 * data unread, no new CQE comes until more data arrives. The API promises
 * level-triggered behaviour, so after each call the handler's fd is checked
 * once more with poll(2) (one fd, zero timeout: O(1)); if the condition
 * still holds, the source goes on the io_pending list and is checked and
 * dispatched again in the next iteration, which then does not block. A
 * source is dispatched at most once per iteration: a second CQE for it in
 * the same batch also just queues that check. */

#include <fcntl.h>
#include <poll.h>
#include <string.h>

#include "log.h"
#include "loop-internal.h"

#define IO_EVENTS_VALID                                                         \
        ((uint32_t) (POLLIN | POLLPRI | POLLOUT | POLLERR | POLLHUP | POLLNVAL | \
                     POLLRDNORM | POLLRDBAND | POLLWRNORM | POLLWRBAND | POLLMSG | POLLRDHUP))
/* Reported whether asked for or not, as poll(2) does. */
#define IO_EVENTS_ALWAYS ((uint32_t) (POLLERR | POLLHUP | POLLNVAL))

int source_io_new(loop *l, loop_source **ret, int fd, uint32_t events, bool internal,
                  loop_io_handler handler, void *userdata) {
        loop_source *s;

        s = source_new(l, SOURCE_IO, NULL, userdata);
        if (!s)
                return -ENOMEM;
        s->internal = internal;
        s->io.fd = fd;
        s->io.events = events;
        s->io.handler = handler;
        s->enabled = true;
        poll_mark_dirty(s);

        if (ret)
                *ret = s;
        return 0;
}

int loop_add_io(loop *l, loop_source **ret, int fd, uint32_t events, loop_io_handler handler, void *userdata) {
        assert_return(l, -EINVAL);
        assert_return(fd >= 0, -EINVAL);
        assert_return((events & ~IO_EVENTS_VALID) == 0, -EINVAL);
        assert_return(handler, -EINVAL);

        /* Refuse a closed fd now rather than through a failed CQE later. */
        if (fcntl(fd, F_GETFD) < 0)
                return -errno;

        return source_io_new(l, ret, fd, events, false, handler, userdata);
}

int loop_source_io_set_events(loop_source *s, uint32_t events) {
        assert_return(s, -EINVAL);
        assert_return(!s->dead, -EINVAL);
        assert_return(s->type == SOURCE_IO && !s->internal, -EINVAL);
        assert_return((events & ~IO_EVENTS_VALID) == 0, -EINVAL);

        if (s->io.events == events)
                return 0;

        s->io.events = events;
        /* The update re-evaluates the fd in the kernel, which reports
         * whatever of the new mask already holds. */
        if (s->enabled)
                poll_mark_dirty(s);
        return 0;
}

int loop_source_io_drained(loop_source *s) {
        assert_return(s, -EINVAL);
        assert_return(s->type == SOURCE_IO && !s->internal, -EINVAL);
        assert_return(s->n_dispatching > 0, -EINVAL);

        s->io_drained = true;
        return 0;
}

/* Queue s for a poll(2) check at the next iteration. */
void io_mark_pending(loop_source *s) {
        assert(s);
        assert(s->type == SOURCE_IO);

        if (s->pending_linked || s->dead)
                return;
        s->pending_iteration = (uint32_t) s->loop->iteration;
        SOURCE_LIST_APPEND(&s->loop->io_pending, s, pending);
}

void io_set_enabled(loop_source *s, bool enabled) {
        assert(s);

        s->enabled = enabled;
        poll_mark_dirty(s);
        if (enabled)
                /* CQEs that came while disabled were dropped, and the request
                 * may still be the old one: check the level once. */
                io_mark_pending(s);
        else
                SOURCE_LIST_REMOVE(&s->loop->io_pending, s, pending);
}

void io_detach(loop_source *s) {
        assert(s);

        SOURCE_LIST_REMOVE(&s->loop->io_pending, s, pending);
}

static uint32_t io_check_level(const loop_source *s) {
        struct pollfd p = {
                .fd = s->io.fd,
                .events = (short) s->io.events,
        };
        int r;

        do
                r = poll(&p, 1, 0);
        while (r < 0 && errno == EINTR);
        if (r <= 0)
                return 0;
        return (uint32_t) (uint16_t) p.revents & (s->io.events | IO_EVENTS_ALWAYS);
}

static void io_dispatch(loop_source *s, uint32_t revents) {
        loop *l = s->loop;
        int r;

        s->dispatch_iteration = l->iteration;
        SOURCE_LIST_REMOVE(&l->io_pending, s, pending);

        s->io_drained = false;
        source_call_begin(s);
        r = s->io.handler(s, s->io.fd, revents, s->userdata);
        if (!source_call_end(s, r))
                return;

        if (s->enabled && !s->io_drained && io_check_level(s) != 0)
                io_mark_pending(s);
}

void io_complete(loop_source *s, int res) {
        uint32_t revents;

        assert(s);
        assert(!s->dead);

        if (!s->enabled)
                return;

        if (res < 0) {
                if (res == -ECANCELED)
                        return;
                /* The kernel refused the request (the fd was closed under
                 * us, ...): report it once as poll(2) would, then stop; the
                 * handler may enable the source again. */
                log_debug("loop: poll on fd %d failed: %s", s->io.fd, strerror(-res));
                s->enabled = false;
                SOURCE_LIST_REMOVE(&s->loop->io_pending, s, pending);
                io_dispatch(s, res == -EBADF ? POLLNVAL : POLLERR);
                return;
        }

        revents = (uint32_t) res & (s->io.events | IO_EVENTS_ALWAYS);
        if (revents == 0)
                /* Queued before an update narrowed the mask. */
                return;

        if (s->dispatch_iteration == s->loop->iteration) {
                io_mark_pending(s);
                return;
        }
        io_dispatch(s, revents);
}

/* Dispatch the sources queued before this iteration whose condition still
 * holds. Sources queued during this walk wait for the next iteration. */
void loop_dispatch_io_pending(loop *l) {
        loop_source *s;

        assert(l);

        while ((s = l->io_pending.first) && s->pending_iteration != (uint32_t) l->iteration) {
                uint32_t revents;

                SOURCE_LIST_REMOVE(&l->io_pending, s, pending);
                if (!s->enabled || s->dispatch_iteration == l->iteration)
                        continue;

                revents = io_check_level(s);
                if (revents != 0)
                        io_dispatch(s, revents);
        }
}
