/* SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <stdlib.h>

#include "coordinator.h"
#include "log.h"
#include "macros.h"
#include "time-util.h"

typedef struct coordinator_event {
        coordinator_func func;
        coordinator_func drop;
        void *userdata;
        struct coordinator_event *next;
} coordinator_event;

/* One FIFO per priority in use (a handful: 0, 10, 100), sorted from the
 * highest priority down: taking the next event is O(number of priorities). */
typedef struct coordinator_bucket {
        int priority;
        coordinator_event *first, *last;
        struct coordinator_bucket *next;
} coordinator_bucket;

struct coordinator {
        loop *loop;
        loop_source *dispatch;      /* defer: runs what may run */
        loop_source *recovery;      /* timer: deadlock recovery */
        uint64_t recovery_usec;
        int level;
        bool no_reset;
        coordinator_bucket *buckets;
        size_t n_waiting;
        coordinator_level_changed on_level;
        void *userdata;
};

static coordinator_event *coordinator_pop_runnable(coordinator *c) {
        for (coordinator_bucket *b = c->buckets; b && b->priority >= c->level; b = b->next) {
                coordinator_event *e = b->first;

                if (!e)
                        continue;
                b->first = e->next;
                if (!b->first)
                        b->last = NULL;
                c->n_waiting--;
                return e;
        }
        return NULL;
}

/* Run what the level allows, highest priority first and in queue order
 * within a priority; the rest waits. Events may enqueue more and change the
 * level: each pop looks again. */
static int coordinator_dispatch(loop_source *s, void *userdata) {
        coordinator *c = userdata;
        coordinator_event *e;

        while ((e = coordinator_pop_runnable(c))) {
                e->func(e->userdata);
                free(e);
        }
        return 0;
}

static int coordinator_recover(loop_source *s, uint64_t now, void *userdata) {
        coordinator *c = userdata;

        log_debug("coordinator: deadlock recovery: unlocking after %" PRIu64 " ms", c->recovery_usec / USEC_PER_MSEC);
        (void) coordinator_unlock(c);
        return 0;
}

int coordinator_new(loop *l, uint64_t deadlock_recovery_usec, coordinator_level_changed on_level, void *userdata,
                    coordinator **ret) {
        int r;

        assert_return(l, -EINVAL);
        assert_return(deadlock_recovery_usec > 0, -EINVAL);
        assert_return(ret, -EINVAL);

        coordinator *c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->loop = l;
        c->recovery_usec = deadlock_recovery_usec;
        c->on_level = on_level;
        c->userdata = userdata;
        r = loop_add_defer(l, &c->dispatch, coordinator_dispatch, c);
        if (r >= 0)
                r = loop_source_set_enabled(c->dispatch, false);
        if (r >= 0)
                r = loop_add_timer(l, &c->recovery, USEC_INFINITY, 0, coordinator_recover, c);
        if (r >= 0)
                r = loop_source_set_enabled(c->recovery, false);
        if (r < 0) {
                coordinator_free(c);
                return r;
        }
        *ret = c;
        return 0;
}

coordinator *coordinator_free(coordinator *c) {
        if (!c)
                return NULL;
        while (c->buckets) {
                coordinator_bucket *b = c->buckets;

                while (b->first) {
                        coordinator_event *e = b->first;
                        b->first = e->next;
                        if (e->drop)
                                e->drop(e->userdata);
                        free(e);
                }
                c->buckets = b->next;
                free(b);
        }
        loop_source_free(c->dispatch);
        loop_source_free(c->recovery);
        free(c);
        return NULL;
}

static coordinator_bucket *coordinator_bucket_get(coordinator *c, int priority) {
        coordinator_bucket **p = &c->buckets;

        while (*p && (*p)->priority > priority)
                p = &(*p)->next;
        if (*p && (*p)->priority == priority)
                return *p;

        coordinator_bucket *b = calloc(1, sizeof(*b));
        if (!b)
                return NULL;
        b->priority = priority;
        b->next = *p;
        *p = b;
        return b;
}

int coordinator_enqueue(coordinator *c, int priority, coordinator_func func, coordinator_func drop, void *userdata) {
        coordinator_bucket *b;

        assert_return(c, -EINVAL);
        assert_return(func, -EINVAL);

        b = coordinator_bucket_get(c, priority);
        if (!b)
                return -ENOMEM;
        coordinator_event *e = calloc(1, sizeof(*e));
        if (!e)
                return -ENOMEM;
        *e = (coordinator_event) { .func = func, .drop = drop, .userdata = userdata };
        if (b->last)
                b->last->next = e;
        else
                b->first = e;
        b->last = e;
        c->n_waiting++;
        if (priority >= c->level)
                (void) loop_source_set_enabled(c->dispatch, true);
        return 0;
}

static void coordinator_set_level(coordinator *c, int level) {
        if (c->level == level)
                return;
        c->level = level;
        if (c->on_level)
                c->on_level(c, level, c->userdata);
        if (c->n_waiting > 0)
                (void) loop_source_set_enabled(c->dispatch, true);
}

int coordinator_lock(coordinator *c, bool no_reset) {
        int r;

        assert_return(c, -EINVAL);

        c->no_reset = c->no_reset || no_reset;
        if (c->no_reset)
                r = loop_source_set_enabled(c->recovery, false);
        else
                r = loop_source_timer_set(c->recovery, now_usec() + c->recovery_usec, 0);
        if (r < 0)
                return r;
        coordinator_set_level(c, COORDINATOR_PRIORITY_LOCKED);
        return 0;
}

int coordinator_unlock(coordinator *c) {
        assert_return(c, -EINVAL);

        c->no_reset = false;
        (void) loop_source_set_enabled(c->recovery, false);
        coordinator_set_level(c, COORDINATOR_PRIORITY_NORMAL);
        return 0;
}

int coordinator_level(const coordinator *c) {
        assert_return(c, -EINVAL);
        return c->level;
}

bool coordinator_is_locked(const coordinator *c) {
        return c && c->level >= COORDINATOR_PRIORITY_LOCKED;
}

size_t coordinator_n_waiting(const coordinator *c) {
        return c ? c->n_waiting : 0;
}
