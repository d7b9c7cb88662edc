/* SPDX-License-Identifier: MIT */
/* What every source has in common: allocation, the handler call around
 * which a source may be freed, enabling and disabling, and freeing while the
 * kernel may still hold a request that points to it. */

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "loop-internal.h"

loop_source *source_new(loop *l, source_type type, loop_source **ret, void *userdata) {
        loop_source *s;

        assert(l);
        assert(type >= 0 && type < _SOURCE_TYPE_MAX);

        s = calloc(1, sizeof *s);
        if (!s)
                return NULL;
        s->loop = l;
        s->type = type;
        s->userdata = userdata;
        SOURCE_LIST_APPEND(&l->sources, s, all);

        if (ret)
                *ret = s;
        return s;
}

/* The memory goes only when the owner freed the source, no handler of it is
 * on the stack and the kernel owes no more CQEs for it. */
void source_release_if_unused(loop_source *s) {
        loop *l;

        assert(s);

        if (!s->dead || s->n_dispatching > 0 || source_owes_cqes(s))
                return;

        l = s->loop;
        SOURCE_LIST_REMOVE(&l->sources, s, all);
        SOURCE_LIST_REMOVE(&l->dirty, s, dirty);
        if (s->type == SOURCE_IO)
                SOURCE_LIST_REMOVE(&l->io_pending, s, pending);
        else if (s->type == SOURCE_DEFER)
                SOURCE_LIST_REMOVE(&l->defers, s, pending);
        free(s);
}

void source_call_begin(loop_source *s) {
        assert(s);
        assert(!s->dead);

        s->n_dispatching++;
        if (!s->internal)
                s->loop->n_dispatched++;
}

/* Call after the handler returned r. Returns false when the handler freed
 * the source: the caller must not touch it any more. */
bool source_call_end(loop_source *s, int r) {
        assert(s);
        assert(s->n_dispatching > 0);

        s->n_dispatching--;
        if (s->dead) {
                source_release_if_unused(s);
                return false;
        }

        if (r < 0) {
                log_debug("loop: handler of %s source %p failed: %s",
                          s->internal ? "internal" : "a", (void *) s, strerror(-r));
                /* The loop's own watchers must keep running whatever happens. */
                if (!s->internal)
                        (void) loop_source_set_enabled(s, false);
        }
        return true;
}

int loop_source_set_enabled(loop_source *s, bool enabled) {
        assert_return(s, -EINVAL);
        assert_return(!s->dead, -EINVAL);

        if (s->enabled == enabled)
                return 0;

        switch (s->type) {
        case SOURCE_IO:
                io_set_enabled(s, enabled);
                return 0;
        case SOURCE_CHILD:
                child_set_enabled(s, enabled);
                return 0;
        case SOURCE_TIMER:
                timer_set_enabled(s, enabled);
                return 0;
        case SOURCE_SIGNAL:
                return signal_set_enabled(s, enabled);
        case SOURCE_DEFER:
                defer_set_enabled(s, enabled);
                return 0;
        default:
                assert(false);
                return -EINVAL;
        }
}

bool loop_source_get_enabled(const loop_source *s) {
        assert_return(s, false);

        return s->enabled;
}

void *loop_source_get_userdata(const loop_source *s) {
        assert_return(s, NULL);

        return s->userdata;
}

loop *loop_source_get_loop(const loop_source *s) {
        assert_return(s, NULL);

        return s->loop;
}

loop_source *loop_source_free(loop_source *s) {
        if (!s || s->dead)
                return NULL;

        switch (s->type) {
        case SOURCE_IO:
                io_detach(s);
                break;
        case SOURCE_CHILD:
                break;
        case SOURCE_TIMER:
                timer_detach(s);
                break;
        case SOURCE_SIGNAL:
                signal_detach(s);
                break;
        case SOURCE_DEFER:
                defer_detach(s);
                break;
        default:
                assert(false);
        }

        s->enabled = false;
        s->dead = true;
        /* A poll request still in the ring must be removed; its final CQE
         * (and the remove's) will release the memory. */
        if (source_type_has_poll(s->type) && source_poll_of(s)->armed)
                poll_mark_dirty(s);
        source_release_if_unused(s);
        return NULL;
}

/* For loop_free(): the ring is going away with every request in it, so
 * nothing is owed any more. Signals get their mask back. */
void loop_source_free_all(loop *l) {
        loop_source *s;

        assert(l);

        while ((s = l->sources.first)) {
                SOURCE_LIST_REMOVE(&l->sources, s, all);
                if (!s->dead && s->type == SOURCE_SIGNAL)
                        signal_detach(s);
                free(s);
        }

        l->dirty = l->io_pending = l->defers = (source_list) {};
        l->n_timers = 0;
        l->signal_watch = l->post_watch = NULL;
}
