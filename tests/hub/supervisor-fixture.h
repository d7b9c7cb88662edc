/* SPDX-License-Identifier: MIT */
#pragma once

/* What every supervisor test needs: a loop, the cgroup subtree, a
 * supervisor on a hub named after the test process, a record of the events
 * and results it reported, and a bounded way to run the loop until
 * something happened. Teardown kills and removes everything, also after a
 * failed assertion (cmocka runs the teardown then). */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "helpers.h"
#include "supervisor.h"
#include "time-util.h"

#define RECORD_MAX 64

typedef struct event_record {
        supervisor_event event;
        char id[64];
        pid_t pid;
        child_state state;
        child_exit exit;
} event_record;

typedef struct fixture {
        loop *loop;
        cgroup_hierarchy *hierarchy;
        cgroup_subtree *subtree;
        supervisor *sup;
        char hub[64];

        event_record events[RECORD_MAX];
        unsigned n_events;
        unsigned counts[_SUPERVISOR_EVENT_MAX];

        unsigned n_started;
        int start_error;
        char start_reason[256];
        pid_t start_pid;
        unsigned n_stopped;
        bool shutdown_done;
} fixture;

__attribute__((unused)) static void fixture_on_event(supervisor *s, supervisor_child *c, supervisor_event event, void *userdata) {
        fixture *f = userdata;

        f->counts[event]++;
        if (f->n_events >= RECORD_MAX)
                return;
        event_record *e = &f->events[f->n_events++];
        e->event = event;
        snprintf(e->id, sizeof(e->id), "%s", supervisor_child_id(c));
        e->pid = supervisor_child_pid(c);
        e->state = supervisor_child_state(c);
        e->exit = *supervisor_child_last_exit(c);
}

__attribute__((unused)) static void fixture_on_start(supervisor *s, const char *id, int error, const char *reason, pid_t pid, void *userdata) {
        fixture *f = userdata;

        f->n_started++;
        f->start_error = error;
        f->start_pid = pid;
        snprintf(f->start_reason, sizeof(f->start_reason), "%s", reason ?: "");
}

__attribute__((unused)) static void fixture_on_stop(supervisor *s, const char *id, int error, void *userdata) {
        fixture *f = userdata;

        assert_int_equal(error, 0);
        f->n_stopped++;
}

__attribute__((unused)) static void fixture_on_shutdown(supervisor *s, void *userdata) {
        ((fixture *) userdata)->shutdown_done = true;
}

/* The last recorded event of that kind for id, or NULL. */
static inline const event_record *fixture_last_event(const fixture *f, const char *id, supervisor_event ev) {
        for (unsigned i = f->n_events; i > 0; i--)
                if (f->events[i - 1].event == ev && strcmp(f->events[i - 1].id, id) == 0)
                        return &f->events[i - 1];
        return NULL;
}

/* Run the loop until cond holds or timeout_ms passed; true when it held. */
#define RUN_UNTIL(f, cond, timeout_ms)                                                    \
        ({                                                                                \
                uint64_t _deadline = now_usec() + (uint64_t) (timeout_ms) * USEC_PER_MSEC; \
                bool _ok;                                                                 \
                while (!(_ok = (cond)) && now_usec() < _deadline)                         \
                        assert_true(loop_run_once((f)->loop, 20 * USEC_PER_MSEC) >= 0);    \
                _ok;                                                                      \
        })

static inline int fixture_setup_with(void **state, unsigned max_restarts, unsigned max_seconds) {
        fixture *f = calloc(1, sizeof(*f));
        const char *reason = NULL;

        assert_non_null(f);
        snprintf(f->hub, sizeof(f->hub), "test-sup-%d", (int) getpid());
        assert_int_equal(loop_new(&f->loop), 0);
        assert_int_equal(cgroup_hierarchy_discover(&f->hierarchy), 0);
        assert_int_equal(cgroup_subtree_open(f->hierarchy, &f->subtree), 0);
        supervisor_options o = {
                .name = f->hub,
                .max_restarts = max_restarts,
                .max_seconds = max_seconds,
                .on_event = fixture_on_event,
                .userdata = f,
        };
        int r = supervisor_new(f->loop, f->subtree, &o, &f->sup, &reason);
        if (r < 0)
                fail_msg("supervisor_new: %s (%s)", strerror(-r), reason ?: "");
        *state = f;
        return 0;
}

static inline int fixture_setup(void **state) {
        return fixture_setup_with(state, 0, 0);
}

static inline int fixture_teardown(void **state) {
        fixture *f = *state;
        char name[128];

        if (!f)
                return 0;
        supervisor_free(f->sup);
        snprintf(name, sizeof(name), "%s.hub", f->hub);
        (void) cgroup_subtree_purge(f->subtree, name);
        cgroup_subtree_free(f->subtree);
        cgroup_hierarchy_free(f->hierarchy);
        loop_free(f->loop);
        free(f);
        return 0;
}

/* A spec running the test child with the given arguments. */
static inline void spec_for(child_spec *spec, const char *id, char **argv) {
        child_spec_init(spec);
        spec->id = (char *) id;
        spec->argv = argv;
        spec->restart_delay_usec = spec->restart_delay_max_usec = 5 * USEC_PER_MSEC;
}

/* Start and wait for the start result; returns the start error. */
static inline int fixture_start(fixture *f, const child_spec *spec, unsigned timeout_ms) {
        unsigned before = f->n_started;
        const char *reason = NULL;
        int r;

        r = supervisor_start_child(f->sup, spec, fixture_on_start, f, &reason);
        if (r < 0)
                return r;
        assert_true(RUN_UNTIL(f, f->n_started > before, timeout_ms));
        return f->start_error;
}

static inline bool path_exists(const char *p) {
        struct stat st;
        return stat(p, &st) == 0;
}
