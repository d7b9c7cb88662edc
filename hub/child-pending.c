/* SPDX-License-Identifier: MIT */

/* A child's pending block (supervisor-internal.h says what it holds and
 * why it is apart): made by whoever starts something that needs it, freed
 * at the points where a child settles into running. */

#include "supervisor-internal.h"

child_pending *child_pending_get(supervisor_child *c) {
        if (!c->pending) {
                c->pending = malloc(sizeof(child_pending));
                if (!c->pending)
                        return NULL;
                *c->pending = (child_pending) { .events_fd = -EBADF };
        }
        return c->pending;
}

void child_pending_trim(supervisor_child *c) {
        const child_pending *p = c->pending;

        if (p && !p->exec_ok_source && !p->events_source && !p->timer && !p->start_done && !p->stop_done &&
            p->events_fd < 0)
                c->pending = mfree(c->pending);
}

void child_pending_free(supervisor_child *c) {
        child_pending *p = c->pending;

        if (!p)
                return;
        loop_source_free(p->exec_ok_source);
        loop_source_free(p->events_source);
        loop_source_free(p->timer);
        safe_close(p->events_fd);
        c->pending = mfree(p);
}
