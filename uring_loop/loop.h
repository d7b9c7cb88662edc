/* SPDX-License-Identifier: MIT */
#pragma once

/* The event loop: one io_uring, one thread, no busy polling.
 *
 * Sources of events: readiness on fds (multishot poll), process exits
 * (a poll on a pidfd, then waitid(P_PIDFD) to reap), monotonic timers
 * (one-shot and periodic, kept in a heap and armed as a single io_uring
 * timeout), signals (one signalfd per loop), deferred callbacks (run at the
 * start of the next iteration) and calls posted from other threads (an
 * eventfd wakes the loop).
 *
 * The loop's shape is liburing's: submit and wait, walk a batch of
 * completions, dispatch on user_data, advance the ring. Submissions made by
 * handlers are batched into the next io_uring_submit_and_wait().
 *
 * Conventions (STYLE.md): functions return >= 0 on success and -errno on
 * failure; output parameters are named ret_* and are untouched on failure.
 * Every function but loop_post() and loop_wakeup() must be called from the
 * loop's own thread.
 *
 * Errors common to all functions: -EINVAL for a NULL loop, source or
 * handler, a negative fd, a value out of range, or a source of the wrong
 * kind; -ENOMEM when out of memory. Functions returning a value instead of
 * an int return false / NULL / 0 for a NULL argument.
 *
 * ret may be NULL in every loop_add_*(): the source then belongs to the
 * loop alone (its handler can still free it through s) and goes with
 * loop_free(). Sources are freed explicitly, never by the loop on its own
 * (a one-shot source that fired is only disabled).
 *
 * A handler may be called when the condition is already gone (a CQE queued
 * before another handler consumed the data): io handlers must use
 * non-blocking fds. */

#include <signal.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/signalfd.h>

typedef struct loop loop;
typedef struct loop_source loop_source;

/* A handler that returns < 0 has its source disabled (the error is logged
 * at debug level); the loop itself goes on. A handler may free its own
 * source, or any other source, while it runs. */
typedef int (*loop_io_handler)(loop_source *s, int fd, uint32_t revents, void *userdata);
/* si is the result of waitid(P_PIDFD, WEXITED): si_code is CLD_EXITED,
 * CLD_KILLED or CLD_DUMPED and si_status the exit code or the signal. For a
 * process that is not our child (adopted), waitid cannot reap it: si_pid is
 * 0 and si_code 0 then, meaning "gone, status unknown". A child source is
 * one-shot: after its handler ran it is disabled. */
typedef int (*loop_child_handler)(loop_source *s, const siginfo_t *si, void *userdata);
/* now_usec: the loop's CLOCK_MONOTONIC time of this dispatch. */
typedef int (*loop_timer_handler)(loop_source *s, uint64_t now_usec, void *userdata);
typedef int (*loop_signal_handler)(loop_source *s, const struct signalfd_siginfo *si, void *userdata);
typedef int (*loop_defer_handler)(loop_source *s, void *userdata);
/* A call posted from any thread with loop_post(). */
typedef void (*loop_post_func)(void *userdata);

/* -EINVAL if ret is NULL; the errno of io_uring_setup(), eventfd() or
 * malloc() otherwise. The ring is bound to the first thread that runs the
 * loop (IORING_SETUP_SINGLE_ISSUER where the kernel has it): running it
 * from another thread later fails with -EEXIST. */
int loop_new(loop **ret);
/* Frees every source still attached (without calling handlers), closes the
 * ring. Accepts NULL, returns NULL. Signals of signal sources still attached
 * are unblocked as in loop_source_free(). Not from a handler of l. */
loop *loop_free(loop *l);

/* Watch fd for events (POLLIN, POLLOUT, POLLPRI, ...); level-triggered: the
 * handler is called again while the condition holds. The fd stays owned by
 * the caller and must outlive the source. POLLERR, POLLHUP and POLLNVAL are
 * reported whether asked for or not; events may be 0 to get only those.
 * -EINVAL for events outside the poll(2) bits (EPOLLET, EPOLLONESHOT, ...),
 * -EBADF when fd is not open. If the kernel later refuses the poll (the fd
 * was closed under the source), the handler is called once with POLLNVAL
 * (or POLLERR) and the source is disabled. */
int loop_add_io(loop *l, loop_source **ret, int fd, uint32_t events, loop_io_handler handler, void *userdata);
/* -EINVAL if s is not an io source or events has bits outside poll(2)'s. */
int loop_source_io_set_events(loop_source *s, uint32_t events);
/* From s's handler only: it has seen that none of the events it asks for
 * holds any more (its last read came back short or with EAGAIN, and it has
 * nothing it waits to write), so the loop skips the level check after this
 * call (a poll(2) per call, on the control socket's every request). What
 * happens on the fd afterwards is a new wakeup and comes as usual. Wrong
 * use loses events: say it only from what the fd itself answered.
 * -EINVAL if s is not an io source or its handler is not running. */
int loop_source_io_drained(loop_source *s);

/* Watch a pidfd for the process's exit; the loop reaps the process (when it
 * is our child) and hands the siginfo to the handler. The pidfd stays owned
 * by the caller and must outlive the source. -EBADF when pidfd is not open.
 * The source is disabled before its handler runs; enabling it again after
 * the process was reaped delivers si_pid 0 (gone, status unknown). */
int loop_add_child(loop *l, loop_source **ret, int pidfd, loop_child_handler handler, void *userdata);

/* A timer on CLOCK_MONOTONIC: first fires at usec (absolute, microseconds;
 * 0 means "now"), then every period_usec if period_usec > 0, else once (a
 * one-shot timer is disabled after it fired and may be re-armed with
 * loop_source_timer_set()). */
int loop_add_timer(loop *l, loop_source **ret, uint64_t usec, uint64_t period_usec, loop_timer_handler handler, void *userdata);
/* Re-arm (and enable) a timer source. -EINVAL if s is not a timer. Periodic
 * timers run at usec + k * period_usec: missed periods are skipped (one
 * late call, no burst). USEC_INFINITY as usec: never. */
int loop_source_timer_set(loop_source *s, uint64_t usec, uint64_t period_usec);

/* Deliver sig through the loop's signalfd. The signal is blocked in the
 * calling thread (which must be the loop thread); one source per signal.
 * -EINVAL for SIGKILL, SIGSTOP, 0, >= _NSIG and the real-time signals glibc
 * reserves; -EBUSY if the loop has a source for sig already. A disabled
 * source keeps sig blocked and pending. Freeing the source unblocks sig
 * again unless it was blocked before loop_add_signal(); a pending sig is
 * then delivered the usual way. Process-directed signals reach the
 * signalfd only if every other thread blocks them too, and children
 * inherit the blocked mask: reset it after fork(). */
int loop_add_signal(loop *l, loop_source **ret, int sig, loop_signal_handler handler, void *userdata);

/* Run handler at the start of the next loop iteration, once; re-enable with
 * loop_source_set_enabled(s, true) to run it again. */
int loop_add_defer(loop *l, loop_source **ret, loop_defer_handler handler, void *userdata);

/* Enable or disable any source. A disabled source keeps its settings.
 * Enabling an io source looks at the fd's level again; enabling a timer
 * whose deadline passed fires it at once; enabling a defer queues it for
 * the next iteration. */
int loop_source_set_enabled(loop_source *s, bool enabled);
bool loop_source_get_enabled(const loop_source *s);
void *loop_source_get_userdata(const loop_source *s);
loop *loop_source_get_loop(const loop_source *s);
/* Detach and free the source. Accepts NULL, returns NULL. Safe from any
 * handler of the same loop, including the source's own. */
loop_source *loop_source_free(loop_source *s);

/* Thread-safe: queue func(userdata) to run on the loop thread, in order,
 * and wake the loop. -ENOMEM when it cannot be queued. */
int loop_post(loop *l, loop_post_func func, void *userdata);
/* Thread-safe: wake the loop from its wait without queueing anything. */
int loop_wakeup(loop *l);

/* Run one iteration: dispatch deferred callbacks and posted calls, submit,
 * wait at most timeout_usec (USEC_INFINITY: until an event, 0: do not
 * block), dispatch the batch of completions. Returns the number of handlers
 * dispatched (>= 0), or -errno. -EINTR and -EAGAIN from the kernel are not
 * errors: the iteration returns 0.
 *
 * The wait does not block when a deferred callback or posted call ran
 * before it, or anything is still pending (an enabled defer source, an io
 * source whose level still holds, a due timer); it ends at the earliest
 * timer. After the completions come the io sources whose level held, the
 * due timers, and the calls posted during the wait (posted calls count as
 * handlers). -EBUSY when called from a handler of l. */
int loop_run_once(loop *l, uint64_t timeout_usec);
/* Run iterations until loop_exit(); returns the code given to it (at once
 * if loop_exit() was called before), or the -errno of a failed iteration.
 * May be called again afterwards. -EBUSY when called from a handler. */
int loop_run(loop *l);
/* Make loop_run() return code after the current iteration. */
int loop_exit(loop *l, int code);
/* The monotonic time cached at the start of the current iteration, taken
 * again when its wait ends: the same value throughout each dispatch, and
 * the now_usec given to timer handlers. Between iterations, the value of
 * the last one (of loop_new() before the first). */
uint64_t loop_now(const loop *l);

static inline void loop_freep(loop **l) {
        if (*l)
                loop_free(*l);
}
static inline void loop_source_freep(loop_source **s) {
        if (*s)
                loop_source_free(*s);
}
#define _cleanup_loop_ __attribute__((cleanup(loop_freep)))
#define _cleanup_loop_source_ __attribute__((cleanup(loop_source_freep)))
