/* SPDX-License-Identifier: MIT */
/* The poll requests of io and child sources, and the completion queue.
 *
 * Handlers never touch the ring: they change what a source wants (enabled,
 * events, freed) and put it on the dirty list. Before each wait,
 * loop_flush_polls() compares what each dirty source wants with what is in
 * flight and queues at most one SQE for it: an add, a remove or an update.
 * While a remove or update is in flight nothing else is queued for that
 * source; its CQE puts the source back on the dirty list. So there is never
 * more than one poll request per source, and a remove can only hit the
 * request it was meant for.
 *
 * Every CQE still owed for a source is counted (poll.armed for the request
 * itself until its final CQE, the one without IORING_CQE_F_MORE; poll.n_aux
 * for removes and updates), and a freed source keeps its memory until that
 * count is zero. A CQE later in a batch therefore never points to freed
 * memory, even when a handler earlier in the batch freed its source. */

#include <poll.h>
#include <string.h>

#include "log.h"
#include "loop-internal.h"

typedef enum poll_action {
        POLL_NOTHING,
        POLL_ARM,
        POLL_REMOVE,
        POLL_UPDATE,
} poll_action;

static uint64_t poll_user_data(const loop_source *s, unsigned tag) {
        return (uint64_t) (uintptr_t) s | tag;
}

void poll_mark_dirty(loop_source *s) {
        assert(s);
        assert(source_type_has_poll(s->type));

        if (!s->dirty_linked)
                SOURCE_LIST_APPEND(&s->loop->dirty, s, dirty);
}

static poll_action poll_next_action(const loop_source *s) {
        bool want = !s->dead && s->enabled;

        /* Wait for the remove or update in flight to report first. */
        if (source_poll_of(s)->n_aux > 0)
                return POLL_NOTHING;
        if (!source_poll_of(s)->armed)
                return want ? POLL_ARM : POLL_NOTHING;
        if (!want)
                return POLL_REMOVE;
        if (s->type == SOURCE_IO && source_poll_of(s)->armed_events != s->io.events)
                return POLL_UPDATE;
        return POLL_NOTHING;
}

/* When the SQ is full, hand what is queued to the kernel and retry. Returns
 * NULL with *ret_error set when even that fails. */
static struct io_uring_sqe *loop_get_sqe(loop *l, int *ret_error) {
        struct io_uring_sqe *sqe;
        int r;

        sqe = io_uring_get_sqe(&l->ring);
        if (sqe)
                return sqe;

        r = io_uring_submit(&l->ring);
        if (r < 0) {
                *ret_error = r;
                return NULL;
        }
        sqe = io_uring_get_sqe(&l->ring);
        if (!sqe)
                *ret_error = -EAGAIN;
        return sqe;
}

static void poll_prep(loop_source *s, struct io_uring_sqe *sqe, poll_action action) {
        switch (action) {
        case POLL_ARM:
                if (s->type == SOURCE_IO) {
                        io_uring_prep_poll_multishot(sqe, s->io.fd, s->io.events);
                        source_poll_of(s)->armed_events = s->io.events;
                } else
                        /* A process exits once: one shot is all it takes. */
                        io_uring_prep_poll_add(sqe, s->child.pidfd, POLLIN);
                io_uring_sqe_set_data64(sqe, poll_user_data(s, TAG_POLL));
                source_poll_of(s)->armed = true;
                break;

        case POLL_REMOVE:
                io_uring_prep_poll_remove(sqe, poll_user_data(s, TAG_POLL));
                io_uring_sqe_set_data64(sqe, poll_user_data(s, TAG_AUX));
                source_poll_of(s)->n_aux++;
                break;

        case POLL_UPDATE:
                /* Change the mask of the running multishot request in place.
                 * If it ended meanwhile, the update fails with -ENOENT, the
                 * request's final CQE arrives anyway and the source is
                 * re-armed with the new mask. */
                io_uring_prep_poll_update(sqe, poll_user_data(s, TAG_POLL), 0, s->io.events,
                                          IORING_POLL_UPDATE_EVENTS | IORING_POLL_ADD_MULTI);
                io_uring_sqe_set_data64(sqe, poll_user_data(s, TAG_AUX));
                source_poll_of(s)->armed_events = s->io.events;
                source_poll_of(s)->n_aux++;
                break;

        default:
                assert(false);
        }
}

/* Queue the SQEs the dirty sources need. Transient kernel refusals
 * (-EAGAIN, -EBUSY, -EINTR while submitting a full SQ) leave the rest on the
 * list for the next iteration and set flush_incomplete so that the coming
 * wait does not block. */
int loop_flush_polls(loop *l) {
        loop_source *s;

        assert(l);

        l->flush_incomplete = false;
        while ((s = l->dirty.first)) {
                poll_action action = poll_next_action(s);

                if (action != POLL_NOTHING) {
                        struct io_uring_sqe *sqe;
                        int r = 0;

                        sqe = loop_get_sqe(l, &r);
                        if (!sqe) {
                                if (errno_is_transient(r)) {
                                        l->flush_incomplete = true;
                                        return 0;
                                }
                                return log_debug_errno(r, "loop: cannot submit to the ring: %s", strerror(-r));
                        }
                        poll_prep(s, sqe, action);
                }

                SOURCE_LIST_REMOVE(&l->dirty, s, dirty);
                source_release_if_unused(s);
        }
        return 0;
}

static void poll_complete(loop_source *s, unsigned tag, int res, unsigned flags) {
        if (tag == TAG_AUX) {
                assert(source_poll_of(s)->n_aux > 0);
                source_poll_of(s)->n_aux--;
                if (res < 0 && res != -ENOENT && res != -EALREADY)
                        log_debug("loop: poll remove/update for %p: %s", (void *) s, strerror(-res));
        } else if (!(flags & IORING_CQE_F_MORE))
                source_poll_of(s)->armed = false;

        if (s->dead) {
                source_release_if_unused(s);
                return;
        }
        if (poll_next_action(s) != POLL_NOTHING)
                poll_mark_dirty(s);

        if (tag != TAG_POLL)
                return;
        if (s->type == SOURCE_IO)
                io_complete(s, res);
        else
                child_complete(s, res);
}

/* Walk the completions that are there now (not those that handlers cause
 * to be posted meanwhile: they are for the next iteration), then advance
 * the CQ ring once. */
void loop_process_completions(loop *l) {
        struct io_uring_cqe *cqe;
        unsigned head, n = 0, batch;

        assert(l);

        batch = io_uring_cq_ready(&l->ring);
        io_uring_for_each_cqe(&l->ring, head, cqe) {
                uint64_t data;
                loop_source *s;
                int res;
                unsigned flags;

                if (n >= batch)
                        break;
                n++;

                data = io_uring_cqe_get_data64(cqe);
                res = cqe->res;
                flags = cqe->flags;

                s = (loop_source *) (uintptr_t) (data & ~(uint64_t) _TAG_MASK);
                if (!s)
                        continue;
                poll_complete(s, (unsigned) (data & _TAG_MASK), res, flags);
        }
        io_uring_cq_advance(&l->ring, n);
}
