/* SPDX-License-Identifier: MIT */

/* Driving one processhub supervisor for the benchmark: see bench-hub.h. */

#include <stdio.h>
#include <string.h>

#include "bench-hub.h"
#include "bench.h"
#include "time-util.h"

static void on_event(supervisor *s, supervisor_child *c, supervisor_event event, void *userdata) {
        hub_side *h = userdata;

        switch (event) {
        case SUPERVISOR_EVENT_EXITED:
                h->exited_nsec = bench_now_nsec();
                break;
        case SUPERVISOR_EVENT_RESTARTED:
                h->restarted_nsec = bench_now_nsec();
                h->n_restarted++;
                break;
        case SUPERVISOR_EVENT_FAILED:
                h->n_failed++;
                break;
        default:
                break;
        }
}

static void on_start(supervisor *s, const char *id, int error, const char *reason, pid_t pid, void *userdata) {
        hub_side *h = userdata;

        if (error >= 0) {
                h->n_started++;
                return;
        }
        if (h->n_start_failed++ == 0)
                (void) snprintf(h->start_failure, sizeof(h->start_failure), "%s: %s (%s)", id, strerror(-error),
                                reason ?: "");
}

static void on_shutdown(supervisor *s, void *userdata) {
        ((hub_side *) userdata)->shutdown_done = true;
}

int hub_side_open(hub_side *h, loop *l, cgroup_subtree *t, const char *name, unsigned max_restarts,
                  unsigned max_seconds, const char **ret_reason) {
        supervisor_options o;
        int r;

        assert_return(h && l && t && name, -EINVAL);
        assert_return(strlen(name) < sizeof(h->name), -EINVAL);

        *h = (hub_side) { .loop = l, .subtree = t };
        strcpy(h->name, name);
        o = (supervisor_options) {
                .name = h->name,
                .max_restarts = max_restarts,
                .max_seconds = max_seconds,
                .on_event = on_event,
                .userdata = h,
        };
        r = supervisor_new(l, t, &o, &h->sup, ret_reason);
        if (r < 0)
                h->name[0] = '\0'; /* nothing of ours to purge */
        return r;
}

int hub_side_start(hub_side *h, const child_spec *spec, const char **ret_reason) {
        assert_return(h && h->sup, -EINVAL);
        return supervisor_start_child(h->sup, spec, on_start, h, ret_reason);
}

/* Run the loop in slices until done(h, n) or the timeout. */
static int run_until(hub_side *h, bool (*done)(const hub_side *, unsigned), unsigned n, unsigned timeout_msec) {
        uint64_t deadline = bench_deadline(timeout_msec);
        int r;

        while (!done(h, n)) {
                if (bench_interrupted)
                        return -EINTR;
                if (bench_now_nsec() >= deadline)
                        return -ETIMEDOUT;
                r = loop_run_once(h->loop, BENCH_SLICE_MSEC * USEC_PER_MSEC);
                if (r < 0)
                        return r;
        }
        return 0;
}

static bool all_started(const hub_side *h, unsigned n) {
        return h->n_started + h->n_start_failed >= n;
}

static bool all_restarted(const hub_side *h, unsigned n) {
        return h->n_restarted >= n || h->n_failed > 0;
}

static bool is_shut_down(const hub_side *h, unsigned n) {
        return h->shutdown_done;
}

int hub_side_wait_started(hub_side *h, unsigned n, unsigned timeout_msec) {
        int r;

        assert_return(h && h->sup, -EINVAL);
        r = run_until(h, all_started, n, timeout_msec);
        if (r < 0)
                return r;
        return h->n_start_failed > 0 ? -ECHILD : 0;
}

int hub_side_wait_restarted(hub_side *h, unsigned n, unsigned timeout_msec) {
        int r;

        assert_return(h && h->sup, -EINVAL);
        r = run_until(h, all_restarted, n, timeout_msec);
        if (r < 0)
                return r;
        return h->n_failed > 0 ? -ECHILD : 0;
}

int hub_side_shutdown(hub_side *h, unsigned timeout_msec) {
        int r;

        assert_return(h && h->sup, -EINVAL);
        h->shutdown_done = false;
        r = supervisor_shutdown(h->sup, on_shutdown, h);
        if (r < 0 && r != -EALREADY)
                return r;
        /* Cut short by an interruption or the timeout, hub_side_close()
         * still kills and removes what is left. */
        return run_until(h, is_shut_down, 0, timeout_msec);
}

void hub_side_close(hub_side *h) {
        char *group = NULL;

        if (!h)
                return;
        h->sup = supervisor_free(h->sup);
        if (h->name[0] && h->subtree && cgroup_escape_name(h->name, ".hub", &group) >= 0)
                (void) cgroup_subtree_purge(h->subtree, group);
        free(group);
        h->name[0] = '\0';
}
