/* SPDX-License-Identifier: MIT */
/* Defer sources: a FIFO of the enabled ones, run at the start of the next
 * iteration and disabled as they run. One enabled during that walk (its own
 * handler enabling it again, say) waits for the iteration after, which then
 * does not block. */

#include "loop-internal.h"

static void defer_queue(loop_source *s) {
        s->pending_iteration = (uint32_t) s->loop->iteration;
        SOURCE_LIST_APPEND(&s->loop->defers, s, pending);
}

int loop_add_defer(loop *l, loop_source **ret, loop_defer_handler handler, void *userdata) {
        loop_source *s;

        assert_return(l, -EINVAL);
        assert_return(handler, -EINVAL);

        s = source_new(l, SOURCE_DEFER, NULL, userdata);
        if (!s)
                return -ENOMEM;
        s->defer.handler = handler;
        s->enabled = true;
        defer_queue(s);

        if (ret)
                *ret = s;
        return 0;
}

void defer_set_enabled(loop_source *s, bool enabled) {
        assert(s);

        s->enabled = enabled;
        if (enabled)
                defer_queue(s);
        else
                SOURCE_LIST_REMOVE(&s->loop->defers, s, pending);
}

void defer_detach(loop_source *s) {
        assert(s);

        SOURCE_LIST_REMOVE(&s->loop->defers, s, pending);
}

void loop_dispatch_defers(loop *l) {
        loop_source *s;

        assert(l);

        while ((s = l->defers.first) && s->pending_iteration != (uint32_t) l->iteration) {
                int r;

                SOURCE_LIST_REMOVE(&l->defers, s, pending);
                s->enabled = false;

                source_call_begin(s);
                r = s->defer.handler(s, s->userdata);
                (void) source_call_end(s, r);
        }
}
