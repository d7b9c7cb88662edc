/* SPDX-License-Identifier: MIT */
#pragma once

/* The local supervisor (the reference's DistributedSupervisor, for OS
 * processes): starts children from specs into their own cgroup leaves under
 * the hub's group, watches them through pidfds on the loop, restarts them
 * per restart type within restart intensity limits (per child, and
 * supervisor-wide: dsup_max_restarts in dsup_max_seconds), and stops them
 * (SIGTERM to the main process, cgroup.kill of whatever remains once it is
 * gone or once the shutdown timeout passed).
 *
 * Each child's lifecycle is the state x event table of child-fsm.c. No
 * thread or process per child: a child at rest costs one pidfd and one
 * struct; every event is O(1) in the number of children.
 *
 * All functions run on the loop's thread. Conventions of STYLE.md: >= 0
 * success, -errno failure, ret_* last and untouched on failure. */

#include <stdint.h>
#include <sys/types.h>

#include "cgroup.h"
#include "child-exit.h"
#include "child-spec.h"
#include "loop.h"
#include "proc-stat.h"

typedef struct supervisor supervisor;
typedef struct supervisor_child supervisor_child;

typedef enum child_state {
        CHILD_STATE_STARTING, /* spawned; waiting for execve (exec) or READY=1 (notify) */
        CHILD_STATE_RUNNING,
        CHILD_STATE_STOPPING, /* SIGTERM sent; cgroup.kill at the shutdown timeout */
        CHILD_STATE_DRAINING, /* main process gone; waiting for the group to empty */
        CHILD_STATE_BACKOFF,  /* waiting out the restart delay */
        CHILD_STATE_FAILED,   /* over its restart intensity; kept until stopped */
        _CHILD_STATE_MAX,
        _CHILD_STATE_INVALID = -EINVAL,
} child_state;

const char *child_state_to_string(child_state s);

typedef enum supervisor_event {
        SUPERVISOR_EVENT_STARTED,   /* the first start completed: pid is set */
        SUPERVISOR_EVENT_EXITED,    /* the main process ended (see last_exit); a restart, failure or removal follows */
        SUPERVISOR_EVENT_RESTARTED, /* running again, with a new pid */
        SUPERVISOR_EVENT_FAILED,    /* over restart intensity: not restarted (see failure) */
        SUPERVISOR_EVENT_STATUS,    /* the child sent STATUS= */
        SUPERVISOR_EVENT_REMOVED,   /* gone for good (stopped, not to be restarted, or start failed); the handle dies after the event */
        _SUPERVISOR_EVENT_MAX,
        _SUPERVISOR_EVENT_INVALID = -EINVAL,
} supervisor_event;

const char *supervisor_event_to_string(supervisor_event e);

typedef void (*supervisor_event_handler)(supervisor *s, supervisor_child *c, supervisor_event event, void *userdata);
/* error is 0 on success; else -errno with a reason ("execve /x: ENOENT"). */
typedef void (*supervisor_start_handler)(supervisor *s, const char *id, int error, const char *reason, pid_t pid,
                                         void *userdata);
typedef void (*supervisor_stop_handler)(supervisor *s, const char *id, int error, void *userdata);
typedef void (*supervisor_shutdown_handler)(supervisor *s, void *userdata);
/* How a process that was not ours to reap (an adopted one: waitid() has
 * no status for it) ended, from another source (the kernel's exit tracer):
 * true with *ret set when known. Called on the loop thread at the exit. */
typedef bool (*supervisor_exit_resolver)(supervisor *s, pid_t pid, child_exit *ret, void *userdata);

#define SUPERVISOR_DEFAULT_MAX_RESTARTS 100u
#define SUPERVISOR_DEFAULT_MAX_SECONDS 4u

typedef struct supervisor_options {
        const char *name;          /* the hub id: the group is "<name>.hub" */
        unsigned max_restarts;     /* dsup_max_restarts; 0 means the default */
        unsigned max_seconds;      /* dsup_max_seconds; 0 means the default */
        cgroup_policy policy;      /* for the hub group */
        /* Take the hub group as it is, processes included: the children of
         * an earlier process are to be adopted (supervisor_adopt_child()),
         * and what is not adopted is removed (supervisor_remove_strays()). */
        bool adopt;
        supervisor_event_handler on_event;
        supervisor_exit_resolver resolve_exit; /* optional */
        void *userdata;
} supervisor_options;

/* Create the hub group under the subtree and get ready to start children.
 * t is borrowed, and its groups borrow from it: free the supervisor before
 * t (cgroup_subtree_free()). -EOPNOTSUPP (with *ret_reason) when the hub policy cannot be applied,
 * -EBUSY when the hub group still holds processes (another instance) and
 * adopt is not set. */
int supervisor_new(loop *l, cgroup_subtree *t, const supervisor_options *o, supervisor **ret,
                   const char **ret_reason);
/* Kills every child that is still there (cgroup.kill), waits a bounded time
 * for the groups to empty, removes them and the hub group. The graceful way
 * is supervisor_shutdown() first. Accepts NULL, returns NULL. */
supervisor *supervisor_free(supervisor *s);

/* Start a child. Errors found at once are returned (the handler is not
 * called): -EINVAL for a bad spec (*ret_reason names the field), -EEXIST for
 * a known id, -ENOENT/-EACCES for a program not found or not executable,
 * -ESRCH for an unknown user or group, -EOPNOTSUPP for limits that cannot be
 * applied, -EBUSY for a leaf still holding processes, -ESHUTDOWN during
 * shutdown. Otherwise done (optional) is called exactly once: when the child
 * is running (exec succeeded, or READY=1 arrived) or when the start failed
 * (execve failed, no READY=1 in time, exited before it was ready, stopped
 * before it was ready: -ECANCELED). */
int supervisor_start_child(supervisor *s, const child_spec *spec, supervisor_start_handler done, void *userdata,
                           const char **ret_reason);

/* Take over a process an earlier supervisor of this hub started: pid,
 * recorded with its identity (supervisor_child_identity()), must still run
 * in the child's leaf. It is opened as a pidfd and checked (identity,
 * cgroup) with the pidfd held, so a pid reused in between cannot pass. Then the
 * child is RUNNING with that pid and restarts as its restart count, without
 * a start handler or a STARTED event (the owner registers it). It is not
 * our child: its exit is seen on the pidfd, with CHILD_EXIT_UNKNOWN as
 * last_exit, and the restart type decides as usual.
 * -ESRCH when the process is gone or is another one (the leaf is then
 * killed and removed: start the child afresh); -EEXIST, -EINVAL (spec),
 * -ESHUTDOWN as supervisor_start_child(). */
int supervisor_adopt_child(supervisor *s, const child_spec *spec, pid_t pid, const process_identity *identity,
                           unsigned restarts, const char **ret_reason);
/* supervisor_adopt_child() for each entry of list, in order, with the hub
 * group's directories read once for all of them (the way to take back
 * thousands): each entry's result is what that call would return, with its
 * reason. The call itself fails (-ESHUTDOWN, -ENOMEM) before trying any
 * entry. */
typedef struct supervisor_adoptee {
        const child_spec *spec;
        pid_t pid; /* 0: no process was running */
        process_identity identity;
        unsigned restarts;
        int result;         /* set by the call: 0 adopted, else -errno */
        const char *reason; /* set by the call: why not, static, or NULL */
} supervisor_adoptee;
int supervisor_adopt_children(supervisor *s, supervisor_adoptee *list, size_t n);
/* Kill and remove every leaf under the hub group that no child of this
 * supervisor owns (left by an earlier process, with no record to adopt it
 * by). Returns how many were removed. Blocks a bounded time per leaf:
 * meant for the start. */
int supervisor_remove_strays(supervisor *s);

/* Stop a child and remove it: done (optional) is called once it is gone and
 * its group removed. -ENOENT for an unknown id, -EALREADY when a stop is
 * under way (done is not called then). */
int supervisor_stop_child(supervisor *s, const char *id, supervisor_stop_handler done, void *userdata);

/* Stop every child, refuse new starts, and call done once all are gone and
 * the hub group is removed. -EALREADY when already shutting down. */
int supervisor_shutdown(supervisor *s, supervisor_shutdown_handler done, void *userdata);

/* Forget every handler (events, starts, stops): for an owner about to go
 * away while children may still report. */
void supervisor_detach(supervisor *s);

supervisor_child *supervisor_find_child(supervisor *s, const char *id);
/* The child whose leaf has this cgroup v2 id (the directory's inode, as
 * BPF's bpf_get_current_cgroup_id() gives it), or NULL. */
supervisor_child *supervisor_find_child_by_cgroup_id(supervisor *s, uint64_t cgroup_id);
/* Iterate: pass NULL for the first child; NULL at the end. Do not start or
 * stop children while iterating. */
supervisor_child *supervisor_next_child(supervisor *s, supervisor_child *c);
size_t supervisor_n_children(const supervisor *s);
/* Restarts counted in the supervisor-wide window right now. */
unsigned supervisor_recent_restarts(supervisor *s);
/* The hub group's v2 directory, composed into buf. */
const char *supervisor_cgroup_path(const supervisor *s, char buf[static PATH_MAX]);

const char *supervisor_child_id(const supervisor_child *c);
const child_spec *supervisor_child_spec(const supervisor_child *c);
child_state supervisor_child_state(const supervisor_child *c);
/* 0 when no process runs. */
pid_t supervisor_child_pid(const supervisor_child *c);
/* Whether pid is, or was until its last exit, the child's main process
 * (as opposed to another process of its tree). */
bool supervisor_child_is_main_pid(const supervisor_child *c, pid_t pid);
/* The pidfd of the running process, or -EBADF. */
int supervisor_child_pidfd(const supervisor_child *c);
unsigned supervisor_child_restarts(const supervisor_child *c);
/* Carry a restart count over from an earlier supervisor. */
void supervisor_child_set_restarts(supervisor_child *c, unsigned restarts);
/* The running process's identity, for a later adoption (proc-stat.h:
 * its pidfs inode, or its start time where the kernel has no pidfs),
 * cached per pid: -ESRCH when no process runs. */
int supervisor_child_identity(supervisor_child *c, process_identity *ret);
const child_exit *supervisor_child_last_exit(const supervisor_child *c);
/* Whether a stop was asked for (its end is a stop, not an exit). */
bool supervisor_child_stop_requested(const supervisor_child *c);
/* Why the child is FAILED, or NULL. */
const char *supervisor_child_failure(const supervisor_child *c);
/* The last STATUS= it sent, or NULL. */
const char *supervisor_child_status_text(const supervisor_child *c);
/* The child's leaf, composed into buf. */
const char *supervisor_child_cgroup_path(const supervisor_child *c, char buf[static PATH_MAX]);

static inline void supervisor_freep(supervisor **s) {
        if (*s)
                supervisor_free(*s);
}
#define _cleanup_supervisor_ __attribute__((cleanup(supervisor_freep)))
