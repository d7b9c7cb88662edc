/* SPDX-License-Identifier: MIT */
#pragma once

/* Private to the supervisor: the structures and the seams between
 * supervisor.c (the table of children and the API), child-fsm.c (the state x
 * event table) and child-process.c (spawning, watching, draining). */

#include <sys/resource.h>

#include "notify-socket.h"
#include "ptr-table.h"
#include "restart-window.h"
#include "spawn.h"
#include "supervisor.h"

typedef enum child_event {
        CHILD_EVENT_EXEC_OK,     /* execve succeeded */
        CHILD_EVENT_EXEC_FAILED, /* a step before execve failed (last_exit says which) */
        CHILD_EVENT_READY,       /* READY=1 from the child's cgroup */
        CHILD_EVENT_EXIT,        /* the main process ended (last_exit) */
        CHILD_EVENT_STOP,        /* stop requested */
        CHILD_EVENT_TIMEOUT,     /* the child's timer fired */
        CHILD_EVENT_DRAINED,     /* the group is empty */
        _CHILD_EVENT_MAX,
        _CHILD_EVENT_INVALID = -EINVAL,
} child_event;

const char *child_event_to_string(child_event e);

/* What a child needs only while something is under way: a start waiting
 * for its exec or READY=1 (and the caller's answer), a stop (its answer, the
 * shutdown timer), a drain watching cgroup.events, a restart delay. Made on
 * demand and freed once the child runs quietly again (child_pending_trim()),
 * which is where nearly all children of a big hub are, most of the time:
 * 64 B a child that would otherwise sit unused in every record. */
typedef struct child_pending {
        loop_source *exec_ok_source; /* EXEC_OK, deferred out of the launch that learnt it */
        loop_source *events_source;
        loop_source *timer;
        supervisor_start_handler start_done;
        void *start_userdata;
        supervisor_stop_handler stop_done;
        void *stop_userdata;
        int events_fd; /* cgroup.events, while draining */
} child_pending;

/* Ordered by size, so that no padding is wasted: there is one of these
 * per child, 10,000s of them in a dense hub, and 120 B keep it in a
 * 128-byte malloc chunk. */
struct supervisor_child {
        supervisor *supervisor;
        child_spec *spec;
        cgroup_group *group;
        loop_source *pidfd_source;
        child_pending *pending; /* NULL while nothing is under way */
        char *failure;
        char *status_text;
        restart_window window; /* this child's restarts, against its spec's limits */

        uint64_t oom_kills_at_spawn;
        /* Of identity_pid, when that is pid (proc-stat.h): its pidfs inode
         * when identity_pidfs, else its start time. One word, not a
         * process_identity: this record is one per child. */
        uint64_t identity;
        uint64_t running_since_usec;
        child_exit last_exit;

        pid_t pid;
        pid_t last_pid; /* the process before pid (or before it was cleared) */
        pid_t identity_pid;
        int pidfd;
        unsigned restarts;

        child_state state : 8;
        /* Saturates: it only doubles the restart delay up to its maximum,
         * which 64 doublings of any delay exceed. */
        uint8_t restarts_in_row;
        bool stop_requested : 1;
        bool start_reported : 1;
        bool exec_done : 1;
        bool exit_reason_fixed : 1; /* last_exit was set by us (ready timeout), keep it */
        bool identity_pidfs : 1;
};

struct supervisor {
        loop *loop;
        cgroup_subtree *subtree;
        cgroup_group *group;
        char *name;
        ptr_table children;           /* by spec->id */
        ptr_table children_by_cgroup; /* by cgroup_id, when it is known */
        size_t n_children;
        restart_window window; /* of all children's restarts, against: */
        unsigned max_restarts;
        uint64_t max_restarts_interval_usec;

        supervisor_event_handler on_event;
        supervisor_exit_resolver resolve_exit;
        void *userdata;

        /* Leaves whose rmdir found them still busy: removed at shutdown
         * (a start of the same id reuses an empty leaf meanwhile). */
        cgroup_group **graveyard;
        size_t n_graveyard;

        bool shutting_down;
        supervisor_shutdown_handler shutdown_done;
        void *shutdown_userdata;

        spawner *spawner; /* the loop thread's, for every launch */

        /* READY=1 and STATUS= of every notify child (supervisor-notify.c):
         * opened with the first one. */
        notify_socket *notify;
        loop_source *notify_source;
        bool *notify_freed; /* while its handler runs: set when s is freed */

        /* Restore this RLIMIT_NOFILE in children (we raised our own). */
        bool set_nofile;
        struct rlimit nofile;
};

/* child-fsm.c */
void child_dispatch(supervisor_child *c, child_event event);

/* child-process.c */
int child_launch(supervisor_child *c, const char **ret_reason);
/* Watch the pidfd of an adopted process (pid and pidfd set). */
int child_watch_adopted(supervisor_child *c);
/* Open cgroup.events, kill what is left, and dispatch DRAINED once empty
 * (possibly at once). */
void child_begin_drain(supervisor_child *c);
int child_arm_timer(supervisor_child *c, uint64_t after_usec);
void child_disarm_timer(supervisor_child *c);
/* Close every source and fd tied to the current process. */
void child_release_process(supervisor_child *c);
/* Wait at most timeout_ms for a killed process to end, and reap it. */
void child_reap(int pidfd, int timeout_ms);
void child_release_all(supervisor_child *c);
void child_set_failure(supervisor_child *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* child-pending.c */
/* c's pending block, made when it has none; NULL when out of memory. */
child_pending *child_pending_get(supervisor_child *c);
/* Free it when nothing in it is in use any more. */
void child_pending_trim(supervisor_child *c);
/* Free it whatever it holds (its sources and fd with it). */
void child_pending_free(supervisor_child *c);

/* supervisor-notify.c */
/* NOTIFY_SOCKET for a child: the supervisor's socket, opened on first use. */
int supervisor_notify_address(supervisor *s, const char **ret_address);
void supervisor_notify_close(supervisor *s);

/* supervisor.c */
void supervisor_emit(supervisor_child *c, supervisor_event event);
/* Remove the child's group, call its stop handler (and the start handler
 * with error when it never started), emit REMOVED, free it. */
void supervisor_child_finish(supervisor_child *c, int start_error, const char *start_reason);
/* As restart_window_try_record(), on the supervisor's window. */
int supervisor_try_record_restart(supervisor *s, uint64_t now_usec);
/* Enter c in the tables (by id, and by cgroup id when its leaf has one):
 * -ENOMEM leaves it in neither. */
int supervisor_index_child(supervisor *s, supervisor_child *c);
void supervisor_unindex_child(supervisor *s, supervisor_child *c);
