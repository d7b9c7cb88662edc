/* SPDX-License-Identifier: MIT */
#pragma once

/* Private to uring_loop/: the loop and source structures and the functions
 * the loop-*.c files share. Nothing here is part of the API. */

#include <liburing.h>
#include <pthread.h>
#include <stddef.h>

#include "loop.h"
#include "macros.h"

typedef enum source_type {
        SOURCE_IO,
        SOURCE_CHILD,
        SOURCE_TIMER,
        SOURCE_SIGNAL,
        SOURCE_DEFER,
        _SOURCE_TYPE_MAX,
        _SOURCE_TYPE_INVALID = -EINVAL,
} source_type;

/* Intrusive doubly-linked FIFO of sources. A source is on at most one list
 * per link field; its flag <field>_linked (a bit in the source, not a bool
 * beside each link: sources are per child, 10,000s of them) makes removal
 * idempotent and O(1). */
typedef struct source_link {
        loop_source *prev, *next;
} source_link;

typedef struct source_list {
        loop_source *first, *last;
} source_list;

#define SOURCE_LIST_APPEND(list, s, field)                      \
        do {                                                    \
                source_list *_l_ = (list);                      \
                loop_source *_s_ = (s);                         \
                assert(!_s_->field##_linked);                   \
                _s_->field.prev = _l_->last;                    \
                _s_->field.next = NULL;                         \
                if (_l_->last)                                  \
                        _l_->last->field.next = _s_;            \
                else                                            \
                        _l_->first = _s_;                       \
                _l_->last = _s_;                                \
                _s_->field##_linked = true;                     \
        } while (false)

#define SOURCE_LIST_REMOVE(list, s, field)                      \
        do {                                                    \
                source_list *_l_ = (list);                      \
                loop_source *_s_ = (s);                         \
                if (!_s_->field##_linked)                       \
                        break;                                  \
                if (_s_->field.prev)                            \
                        _s_->field.prev->field.next = _s_->field.next; \
                else                                            \
                        _l_->first = _s_->field.next;           \
                if (_s_->field.next)                            \
                        _s_->field.next->field.prev = _s_->field.prev; \
                else                                            \
                        _l_->last = _s_->field.prev;            \
                _s_->field.prev = _s_->field.next = NULL;       \
                _s_->field##_linked = false;                    \
        } while (false)

/* user_data of an SQE: the source's address with a tag in the low bits
 * (sources come from malloc, so at least 8-byte aligned). Every CQE the
 * kernel will still post for a source is counted in the source (poll.armed
 * and poll.n_aux), and the memory is kept until the count drops to zero, so
 * a CQE never points to freed memory. */
enum {
        TAG_POLL = 0, /* the source's own poll request (io, child) */
        TAG_AUX = 1,  /* a poll remove or poll update aimed at that request */
        _TAG_MASK = 7,
};

/* io and child: the state of the poll request in the ring. */
typedef struct source_poll {
        bool armed;            /* the kernel still owes us its final CQE */
        uint32_t armed_events; /* mask the request was armed (updated) with */
        unsigned n_aux;        /* removes and updates in flight */
} source_poll;

/* Laid out to fit 120 bytes (a 128-byte malloc chunk): every child holds
 * one for its pidfd. The poll state lives in the io and child variants,
 * which have room for it beside the timer's 32 bytes. */
struct loop_source {
        loop *loop;
        void *userdata;

        source_link all;     /* loop->sources: everything, for loop_free() */
        source_link dirty;   /* loop->dirty: the poll request needs an SQE */
        source_link pending; /* loop->io_pending (io) or loop->defers (defer) */

        uint64_t dispatch_iteration; /* io: last iteration it was dispatched in */
        /* io, defer: the low 32 bits of the iteration it was queued in.
         * Each iteration's walk empties what earlier ones queued, so only
         * "this iteration or not" is ever asked, which 32 bits answer. */
        uint32_t pending_iteration;

        unsigned n_dispatching; /* > 0 while its handler runs */
        uint32_t timer_heap_index; /* timer: valid while enabled */

        source_type type : 8;
        bool enabled : 1;
        bool dead : 1;     /* freed by its owner; memory waits for the kernel */
        bool internal : 1; /* the loop's own eventfd and signalfd watchers */
        bool all_linked : 1;
        bool dirty_linked : 1;
        bool io_drained : 1; /* io: its handler said no asked event holds (loop_source_io_drained()) */
        bool pending_linked : 1;

        union {
                /* poll first in both, at the same place: source_poll_of() */
                struct {
                        source_poll poll;
                        int fd;
                        uint32_t events;
                        loop_io_handler handler;
                } io;
                struct {
                        source_poll poll;
                        int pidfd;
                        loop_child_handler handler;
                } child;
                struct {
                        uint64_t deadline; /* absolute CLOCK_MONOTONIC usec */
                        uint64_t period;   /* 0: one-shot */
                        uint64_t fired_iteration;
                        loop_timer_handler handler;
                } timer;
                struct {
                        int sig;
                        bool was_blocked; /* blocked before we blocked it */
                        loop_signal_handler handler;
                } signal;
                struct {
                        loop_defer_handler handler;
                } defer;
        };
};

typedef struct post_entry post_entry;
struct post_entry {
        post_entry *next;
        loop_post_func func;
        void *userdata;
};

struct loop {
        struct io_uring ring;
        bool ring_initialized;
        bool ring_needs_enable; /* created with IORING_SETUP_R_DISABLED */

        uint64_t iteration;
        uint64_t now;
        bool running;
        bool exit_requested;
        int exit_code;
        unsigned n_dispatched; /* handlers run in the current iteration */
        bool flush_incomplete; /* the SQ could not take every dirty source */

        source_list sources;
        source_list dirty;
        source_list io_pending; /* io sources whose condition may still hold */
        source_list defers;     /* enabled defer sources */

        /* Timers: binary min-heap on deadline of the enabled timer sources. */
        loop_source **timers;
        size_t n_timers, n_timers_allocated;
        size_t n_timer_sources; /* enabled or not: the heap has room for all */

        /* Signals: one signalfd, its watcher, the source of each signal. */
        int signal_fd;
        loop_source *signal_watch;
        sigset_t signal_mask;
        loop_source *signal_sources[_NSIG];

        /* Posted calls: a FIFO under a mutex, an eventfd to wake the ring. */
        pthread_mutex_t post_lock;
        post_entry *post_first, *post_last;
        int post_fd;
        loop_source *post_watch;
};

static inline bool source_type_has_poll(source_type t) {
        return t == SOURCE_IO || t == SOURCE_CHILD;
}

static_assert(offsetof(loop_source, io.poll) == offsetof(loop_source, child.poll), "poll state at one place");

/* The poll state of an io or child source: the same place in both. */
static inline source_poll *source_poll_of(const loop_source *s) {
        assert(source_type_has_poll(s->type));
        return (source_poll *) &s->io.poll;
}

/* Whether the kernel will still post a CQE that points to s. */
static inline bool source_owes_cqes(const loop_source *s) {
        return source_type_has_poll(s->type) && (s->io.poll.armed || s->io.poll.n_aux > 0);
}

/* What the kernel may answer to io_uring_enter() without anything being
 * wrong: interrupted, out of resources for a moment, CQ overflowing, or the
 * wait timed out. */
static inline bool errno_is_transient(int r) {
        return r == -EINTR || r == -EAGAIN || r == -EBUSY || r == -ETIME;
}

/* loop-source.c */
loop_source *source_new(loop *l, source_type type, loop_source **ret, void *userdata);
void source_release_if_unused(loop_source *s);
void source_call_begin(loop_source *s);
bool source_call_end(loop_source *s, int r);
void loop_source_free_all(loop *l);

/* loop-poll.c: the poll requests of io and child sources, the CQ */
void poll_mark_dirty(loop_source *s);
int loop_flush_polls(loop *l);
void loop_process_completions(loop *l);

/* loop-io.c */
int source_io_new(loop *l, loop_source **ret, int fd, uint32_t events, bool internal,
                  loop_io_handler handler, void *userdata);
void io_set_enabled(loop_source *s, bool enabled);
void io_detach(loop_source *s);
void io_mark_pending(loop_source *s);
void io_complete(loop_source *s, int res);
void loop_dispatch_io_pending(loop *l);

/* loop-child.c */
void child_set_enabled(loop_source *s, bool enabled);
void child_complete(loop_source *s, int res);

/* loop-timer.c */
void timer_set_enabled(loop_source *s, bool enabled);
void timer_detach(loop_source *s);
uint64_t loop_timers_next(const loop *l);
void loop_dispatch_timers(loop *l);

/* loop-signal.c */
int signal_set_enabled(loop_source *s, bool enabled);
void signal_detach(loop_source *s);
void loop_signal_done(loop *l);

/* loop-defer.c */
void defer_set_enabled(loop_source *s, bool enabled);
void defer_detach(loop_source *s);
void loop_dispatch_defers(loop *l);

/* loop-post.c */
int loop_post_init(loop *l);
void loop_post_done(loop *l);
bool loop_post_pending(loop *l);
void loop_dispatch_posts(loop *l);
