/* SPDX-License-Identifier: MIT */

/* A child's lifecycle as a state x event table (s6-supervise's shape): each
 * cell names the action for that event in that state; an empty cell means
 * the event does not matter there. Actions change state and arm or disarm
 * the child's single timer; they never block. */

#include <inttypes.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>

#include "log.h"
#include "string-table.h"
#include "supervisor-internal.h"
#include "time-util.h"

static const char *const child_event_table[_CHILD_EVENT_MAX] = {
        [CHILD_EVENT_EXEC_OK] = "exec-ok",
        [CHILD_EVENT_EXEC_FAILED] = "exec-failed",
        [CHILD_EVENT_READY] = "ready",
        [CHILD_EVENT_EXIT] = "exit",
        [CHILD_EVENT_STOP] = "stop",
        [CHILD_EVENT_TIMEOUT] = "timeout",
        [CHILD_EVENT_DRAINED] = "drained",
};

const char *child_event_to_string(child_event e) {
        if (e < 0 || e >= _CHILD_EVENT_MAX)
                return NULL;
        return child_event_table[e];
}

static uint64_t child_now(const supervisor_child *c) {
        return loop_now(c->supervisor->loop) ?: now_usec();
}

/* Started for the first time, or again after a restart. */
static void child_became_running(supervisor_child *c) {
        supervisor_start_handler done = NULL;
        void *userdata = NULL;

        c->state = CHILD_STATE_RUNNING;
        c->running_since_usec = child_now(c);
        /* Nothing to time while it runs, and most children run for long:
         * the timer and the rest of the pending block go back until a stop
         * or a restart needs them. */
        if (c->pending) {
                c->pending->timer = loop_source_free(c->pending->timer);
                if (!c->start_reported) {
                        done = c->pending->start_done;
                        userdata = c->pending->start_userdata;
                        c->pending->start_done = NULL;
                }
                child_pending_trim(c);
        }

        if (!c->start_reported) {
                c->start_reported = true;
                if (done)
                        done(c->supervisor, c->spec->id, 0, NULL, c->pid, userdata);
                supervisor_emit(c, SUPERVISOR_EVENT_STARTED);
        } else {
                c->restarts++;
                supervisor_emit(c, SUPERVISOR_EVENT_RESTARTED);
        }
}

static void on_exec_ok(supervisor_child *c) {
        c->exec_done = true;
        if (c->spec->ready == CHILD_READY_EXEC)
                child_became_running(c);
}

static void on_ready(supervisor_child *c) {
        /* READY=1 can overtake the end of the exec-status pipe: either way
         * execve succeeded. */
        c->exec_done = true;
        child_became_running(c);
}

static void on_process_gone(supervisor_child *c) {
        if (c->start_reported && !c->stop_requested)
                supervisor_emit(c, SUPERVISOR_EVENT_EXITED);
        child_begin_drain(c);
}

static void send_sigterm(supervisor_child *c) {
        if (c->pidfd >= 0 && syscall(SYS_pidfd_send_signal, c->pidfd, SIGTERM, NULL, 0) < 0 && errno != ESRCH)
                log_debug("child %s: SIGTERM: %m", c->spec->id);
}

static void on_stop_running(supervisor_child *c) {
        c->stop_requested = true;
        c->state = CHILD_STATE_STOPPING;
        if (c->spec->shutdown_timeout_usec == 0) {
                (void) cgroup_group_kill(c->group);
                return;
        }
        send_sigterm(c);
        if (child_arm_timer(c, c->spec->shutdown_timeout_usec) < 0)
                (void) cgroup_group_kill(c->group); /* no timer, no grace */
}

static void on_stop_draining(supervisor_child *c) {
        c->stop_requested = true;
}

static void on_stop_idle(supervisor_child *c) {
        /* BACKOFF or FAILED: no process, nothing to wait for. */
        c->stop_requested = true;
        child_disarm_timer(c);
        supervisor_child_finish(c, -ECANCELED, "stopped before it was ready");
}

static void on_timeout_starting(supervisor_child *c) {
        /* notify readiness: no READY=1 in time. The exit that follows the
         * kill must not overwrite the reason. */
        c->last_exit = (child_exit) { .kind = CHILD_EXIT_READY_TIMEOUT };
        c->exit_reason_fixed = true;
        (void) cgroup_group_kill(c->group);
}

static void on_timeout_stopping(supervisor_child *c) {
        log_debug("child %s: shutdown timeout, killing its group", c->spec->id);
        (void) cgroup_group_kill(c->group);
}

static void on_timeout_backoff(supervisor_child *c) {
        const char *reason = NULL;
        int r;

        r = child_launch(c, &reason);
        if (r < 0) {
                /* The program vanished, a user was deleted...: a failed
                 * start counts as a crash, so intensity ends the loop. */
                log_debug("child %s: restart failed: %s", c->spec->id, reason ?: "");
                c->last_exit = (child_exit) { .kind = CHILD_EXIT_EXEC_FAILED, .status = -r };
                c->exit_reason_fixed = true;
                child_begin_drain(c);
        }
}

static bool child_should_restart(const supervisor_child *c) {
        switch (c->spec->restart) {
        case CHILD_RESTART_PERMANENT:
                return true;
        case CHILD_RESTART_TRANSIENT:
                return !child_exit_is_clean(&c->last_exit);
        default:
                return false;
        }
}

static uint64_t child_restart_delay(supervisor_child *c) {
        uint64_t delay = c->spec->restart_delay_usec;

        for (unsigned i = 0; i < c->restarts_in_row && delay < c->spec->restart_delay_max_usec; i++)
                delay *= 2;
        if (delay > c->spec->restart_delay_max_usec && c->spec->restart_delay_max_usec > c->spec->restart_delay_usec)
                delay = c->spec->restart_delay_max_usec;
        return delay;
}

/* The group is empty: the process and everything it left are gone. */
static void on_drained(supervisor_child *c) {
        char why[CHILD_EXIT_DESCRIBE_MAX];
        uint64_t now = child_now(c);
        int r;

        child_disarm_timer(c);
        child_exit_describe(&c->last_exit, why, sizeof(why));

        if (c->stop_requested) {
                supervisor_child_finish(c, -ECANCELED, "stopped before it was ready");
                return;
        }
        if (!c->start_reported) {
                int error = c->last_exit.kind == CHILD_EXIT_EXEC_FAILED ? -c->last_exit.status
                          : c->last_exit.kind == CHILD_EXIT_READY_TIMEOUT ? -ETIMEDOUT
                                                                          : -ECHILD;
                supervisor_child_finish(c, error, why);
                return;
        }
        if (!child_should_restart(c)) {
                supervisor_child_finish(c, 0, NULL);
                return;
        }

        /* A child that ran for a whole intensity interval starts its delay
         * steps again. */
        if (c->running_since_usec > 0 && now - c->running_since_usec >= c->spec->restart_interval_usec)
                c->restarts_in_row = 0;

        r = restart_window_try_record(&c->window, c->spec->restart_burst, c->spec->restart_interval_usec, now);
        if (r <= 0) {
                if (r < 0)
                        child_set_failure(c, "cannot record the restart: %s (last: %s)", strerror(-r), why);
                else
                        child_set_failure(c, "restart intensity exceeded: more than %u restarts in %" PRIu64 " ms (last: %s)",
                                          c->spec->restart_burst, c->spec->restart_interval_usec / USEC_PER_MSEC, why);
                c->state = CHILD_STATE_FAILED;
                supervisor_emit(c, SUPERVISOR_EVENT_FAILED);
                return;
        }
        r = supervisor_try_record_restart(c->supervisor, now);
        if (r <= 0) {
                if (r < 0)
                        child_set_failure(c, "cannot record the restart: %s (last: %s)", strerror(-r), why);
                else
                        child_set_failure(c, "supervisor restart intensity exceeded: more than %u restarts in %" PRIu64 " s (last: %s)",
                                          c->supervisor->max_restarts,
                                          c->supervisor->max_restarts_interval_usec / USEC_PER_SEC, why);
                c->state = CHILD_STATE_FAILED;
                supervisor_emit(c, SUPERVISOR_EVENT_FAILED);
                return;
        }

        c->state = CHILD_STATE_BACKOFF;
        uint64_t delay = child_restart_delay(c);
        if (c->restarts_in_row < UINT8_MAX)
                c->restarts_in_row++;
        /* No delay asked for: restart now, not one loop iteration later. */
        if (delay == 0 || child_arm_timer(c, delay) < 0)
                on_timeout_backoff(c);
}

typedef void (*child_action)(supervisor_child *c);

static const child_action child_table[_CHILD_STATE_MAX][_CHILD_EVENT_MAX] = {
        [CHILD_STATE_STARTING] = {
                [CHILD_EVENT_EXEC_OK] = on_exec_ok,
                [CHILD_EVENT_READY] = on_ready,
                [CHILD_EVENT_EXIT] = on_process_gone,
                [CHILD_EVENT_STOP] = on_stop_running,
                [CHILD_EVENT_TIMEOUT] = on_timeout_starting,
        },
        [CHILD_STATE_RUNNING] = {
                [CHILD_EVENT_EXIT] = on_process_gone,
                [CHILD_EVENT_STOP] = on_stop_running,
        },
        [CHILD_STATE_STOPPING] = {
                [CHILD_EVENT_EXIT] = on_process_gone,
                [CHILD_EVENT_TIMEOUT] = on_timeout_stopping,
        },
        [CHILD_STATE_DRAINING] = {
                [CHILD_EVENT_STOP] = on_stop_draining,
                [CHILD_EVENT_TIMEOUT] = on_timeout_stopping,
                [CHILD_EVENT_DRAINED] = on_drained,
        },
        [CHILD_STATE_BACKOFF] = {
                [CHILD_EVENT_STOP] = on_stop_idle,
                [CHILD_EVENT_TIMEOUT] = on_timeout_backoff,
        },
        [CHILD_STATE_FAILED] = {
                [CHILD_EVENT_STOP] = on_stop_idle,
        },
};

void child_dispatch(supervisor_child *c, child_event event) {
        child_action action;

        assert(c);
        assert(event >= 0 && event < _CHILD_EVENT_MAX);
        assert(c->state >= 0 && c->state < _CHILD_STATE_MAX);

        action = child_table[c->state][event];
        log_debug("child %s: %s in %s%s", c->spec->id, child_event_to_string(event), child_state_to_string(c->state),
                  action ? "" : " (ignored)");
        if (action)
                action(c); /* may free c */
}
