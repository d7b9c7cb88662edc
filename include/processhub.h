/* SPDX-License-Identifier: MIT */
#pragma once

/* processhub: supervise OS processes across a cluster of Linux hosts.
 *
 * The library API of libprocesshub (pkg-config "processhub"), after the
 * API of the Elixir library ProcessHub: a hub (hub_id) runs children (OS
 * processes started from specs, unique child_id across the hub), places
 * them on nodes, supervises them there and keeps a registry of where each
 * runs that every node holds.
 *
 * Conventions (systemd's):
 * - Functions return >= 0 on success and a negative errno on failure; the
 *   errno says what kind of failure, and where a function takes
 *   ret_error_text it also gets a sentence naming what was wrong
 *   ("child web: argv: needs at least the program").
 * - Output parameters are named ret_*, come last, and are untouched on
 *   failure. Whatever a function hands out through ret_* is the caller's,
 *   freed with the matching *_free() (all accept NULL and return NULL).
 * - Every function may be called from any thread. Hook handlers run on the
 *   hub's own event loop thread and must not block.
 * - Durations are in milliseconds (as in the reference).
 * - Strings handed in are copied; nothing the caller passes is kept. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library's version, "MAJOR.MINOR.PATCH". */
const char *ph_version(void);

/* ---- Child specs ------------------------------------------------------ */

typedef enum ph_restart {
        PH_RESTART_PERMANENT, /* always restarted */
        PH_RESTART_TRANSIENT, /* restarted after an unclean exit only */
        PH_RESTART_TEMPORARY, /* never restarted */
        _PH_RESTART_MAX,
        _PH_RESTART_INVALID = -22,
} ph_restart;

typedef enum ph_ready {
        PH_READY_EXEC,   /* started once execve() succeeded */
        PH_READY_NOTIFY, /* started on READY=1 through $NOTIFY_SOCKET (sd_notify) */
        _PH_READY_MAX,
        _PH_READY_INVALID = -22,
} ph_ready;

typedef enum ph_output {
        PH_OUTPUT_INHERIT,
        PH_OUTPUT_NULL,
        PH_OUTPUT_FILE, /* appended to a path */
        PH_OUTPUT_JOURNAL,
        _PH_OUTPUT_MAX,
        _PH_OUTPUT_INVALID = -22,
} ph_output;

/* Resource limits; 0 means "not set", PH_LIMIT_MAX "unlimited". */
#define PH_LIMIT_MAX UINT64_MAX
typedef struct ph_limits {
        uint64_t memory_max; /* bytes */
        uint64_t pids_max;
        uint64_t cpu_weight; /* 1..10000 */
        uint64_t io_weight;  /* 1..10000 */
} ph_limits;

typedef struct ph_child_spec {
        const char *id;          /* 1..255 bytes of UTF-8 without control characters */
        const char *const *argv; /* NULL-terminated; argv[0] a path or a name in PATH */
        const char *const *env;  /* NULL: the hub's environment; else exactly these KEY=VALUE */
        const char *cwd;         /* NULL: the hub's working directory */
        const char *user;        /* NULL: the hub's user */
        const char *group;
        ph_restart restart;
        ph_ready ready;
        uint64_t ready_timeout_ms;    /* notify readiness; default 90000 */
        uint64_t shutdown_timeout_ms; /* SIGTERM, then kill after this; default 5000 */
        unsigned restart_burst;       /* default 5 ... */
        uint64_t restart_interval_ms; /* ... restarts in 10000 ms, then failed */
        uint64_t restart_delay_ms;    /* default 100 */
        uint64_t restart_delay_max_ms;
        ph_limits limits;
        ph_output stdout_output;
        const char *stdout_path;
        ph_output stderr_output;
        const char *stderr_path;
} ph_child_spec;

/* Fill *spec with the defaults; the caller then sets id and argv. */
void ph_child_spec_init(ph_child_spec *spec);

/* ---- Metadata --------------------------------------------------------- */

typedef struct ph_kv {
        const char *key;
        const char *value;
} ph_kv;

/* Stored with a child in the registry: a tag (for ph_tag_query()) and free
 * key/value pairs. */
typedef struct ph_metadata {
        const char *tag; /* NULL: none */
        const ph_kv *values;
        size_t n_values;
} ph_metadata;

/* ---- The hub ---------------------------------------------------------- */

typedef struct ph_hub ph_hub;

typedef struct ph_hub_config {
        const char *hub_id;    /* required; 1..255 bytes of printable UTF-8 */
        const char *node_name; /* NULL: "<hostname>" */
        /* Started with the hub; a child that fails to start fails the hub's
         * start (and nothing is left running). */
        const ph_child_spec *child_specs;
        size_t n_child_specs;
        ph_limits limits; /* for the hub's whole cgroup subtree */

        uint64_t hubs_discover_interval_ms;   /* default 10000 */
        uint64_t deadlock_recovery_timeout_ms; /* default 60000 */
        uint64_t storage_purge_interval_ms;    /* default 15000 */
        uint64_t migr_base_timeout_ms;         /* default 15000 */
        unsigned dsup_max_restarts;            /* default 100 ... */
        unsigned dsup_max_seconds;             /* ... restarts in 4 s */
        uint64_t dsup_shutdown_timeout_ms;     /* default 60000: the hub's stop waits this long at most */

        /* NULL (the default): no persistence. Else an absolute directory
         * (created when missing; /run/... is meant: tmpfs) where the hub
         * keeps "<escaped hub id>.state" with every local child's spec,
         * metadata, pid, the pid's start time and restart count, rewritten
         * before a start call is answered and otherwise coalesced (at most
         * every 100 ms, at least every second while changes come), and a
         * ".lock" file it holds (flock) for the hub's life. A start that
         * finds a state file adopts the children
         * an earlier process of this hub left running (killed, crashed):
         * same pid, no restart, registered again with their metadata; a
         * recorded child that died meanwhile (or whose pid now names another
         * process) is started again, counting as a restart; leaves under the
         * hub's cgroup without a record are killed and removed. Static
         * children adopted are not started twice. A clean ph_hub_stop()
         * removes the file. A corrupt state file fails the start (-EBADMSG,
         * the text names the file) and touches nothing; another process
         * holding the lock gives -EBUSY. */
        const char *state_dir;
} ph_hub_config;

#define PH_DEFAULT_HUBS_DISCOVER_INTERVAL_MS 10000
#define PH_DEFAULT_DEADLOCK_RECOVERY_TIMEOUT_MS 60000
#define PH_DEFAULT_STORAGE_PURGE_INTERVAL_MS 15000
#define PH_DEFAULT_MIGR_BASE_TIMEOUT_MS 15000
#define PH_DEFAULT_DSUP_MAX_RESTARTS 100
#define PH_DEFAULT_DSUP_MAX_SECONDS 4
#define PH_DEFAULT_DSUP_SHUTDOWN_TIMEOUT_MS 60000

/* Fill *config with the defaults; the caller then sets hub_id. */
void ph_hub_config_init(ph_hub_config *config);

/* Start a hub: its event loop thread, its cgroup group, its static
 * children. -EINVAL for a bad config (ret_error_text says which field),
 * -EEXIST for a hub id already running in this process, -EBUSY when the
 * hub's cgroup still holds processes (without state_dir: with it, they are
 * adopted or removed) or another process holds the hub's state lock,
 * -EBADMSG for a corrupt state file, -EOPNOTSUPP for limits the host
 * cannot apply, -ECHILD when a static child failed to start (the text
 * names it and why; the others were stopped again). */
int ph_hub_start(const ph_hub_config *config, ph_hub **ret_hub, char **ret_error_text);

/* Stop every child gracefully (each within its shutdown timeout, the whole
 * within dsup_shutdown_timeout), remove the hub's cgroups and stop the
 * loop. The handle stays valid (ph_is_alive() is false) until
 * ph_hub_free(). -EALREADY when already stopped. */
int ph_hub_stop(ph_hub *hub);

/* Stop the hub if it runs, and free the handle (a handle from
 * ph_hub_connect(): disconnect only). */
ph_hub *ph_hub_free(ph_hub *hub);

const char *ph_hub_id(const ph_hub *hub);

bool ph_is_alive(ph_hub *hub);
/* Locked: the hub's event queue runs at priority >= 10 (topology or
 * partition work); lower-priority work waits. */
bool ph_is_locked(ph_hub *hub);
bool ph_is_partitioned(ph_hub *hub);

/* The nodes of the hub's cluster, local one included when include_local.
 * A NULL-terminated array, freed with ph_strv_free(). */
int ph_nodes(ph_hub *hub, bool include_local, char ***ret_nodes);
/* Rename the local node everywhere it is recorded (registry entries
 * included). NULL: "<hostname>". */
int ph_promote_to_node(ph_hub *hub, const char *node_name);

/* ---- Starting and stopping -------------------------------------------- */

typedef enum ph_on_failure {
        PH_ON_FAILURE_CONTINUE, /* keep the children that did start */
        PH_ON_FAILURE_ROLLBACK, /* stop them: the registry is left as it was */
        _PH_ON_FAILURE_MAX,
        _PH_ON_FAILURE_INVALID = -22,
} ph_on_failure;

typedef struct ph_start_opts {
        bool awaitable;          /* hand out a future (else: "initiated") */
        uint64_t timeout_ms;     /* per node; default 10000; 0 is an error */
        uint64_t await_timeout_ms; /* how long a result can be collected; default 60000 */
        bool check_existing;     /* default true: fail ids already registered */
        ph_on_failure on_failure;
        const ph_metadata *metadata; /* for every child of the call */
        bool disable_logging;
        const char *node;        /* NULL: where the distribution strategy says */
} ph_start_opts;

typedef struct ph_stop_opts {
        bool awaitable;
        uint64_t timeout_ms;       /* default 10000; 0 is an error */
        uint64_t await_timeout_ms; /* default 60000 */
} ph_stop_opts;

#define PH_DEFAULT_TIMEOUT_MS 10000
#define PH_DEFAULT_AWAIT_TIMEOUT_MS 60000

void ph_start_opts_init(ph_start_opts *opts);
void ph_stop_opts_init(ph_stop_opts *opts);

typedef struct ph_future ph_future;

/* Start children. Returns 0 once the start is initiated; with awaitable,
 * *ret_future is set (else NULL). Errors found before anything started:
 * -EINVAL (no children, a bad spec or option: ret_error_text names the child
 * and the field), -EEXIST (with check_existing, ids already started: the
 * text lists them), -ESHUTDOWN (hub stopped). opts NULL: the defaults. */
int ph_start_child(ph_hub *hub, const ph_child_spec *spec, const ph_start_opts *opts, ph_future **ret_future,
                   char **ret_error_text);
int ph_start_children(ph_hub *hub, const ph_child_spec *specs, size_t n_specs, const ph_start_opts *opts,
                      ph_future **ret_future, char **ret_error_text);
/* Stop children on every node that runs them. -EINVAL for no ids. */
int ph_stop_child(ph_hub *hub, const char *child_id, const ph_stop_opts *opts, ph_future **ret_future);
int ph_stop_children(ph_hub *hub, const char *const *child_ids, size_t n_ids, const ph_stop_opts *opts,
                     ph_future **ret_future);

/* ---- Futures and results ---------------------------------------------- */

typedef enum ph_result_kind {
        PH_RESULT_START,
        PH_RESULT_STOP,
        _PH_RESULT_KIND_MAX,
        _PH_RESULT_KIND_INVALID = -22,
} ph_result_kind;

typedef enum ph_status {
        PH_STATUS_OK,
        PH_STATUS_ERROR,
        _PH_STATUS_MAX,
        _PH_STATUS_INVALID = -22,
} ph_status;

typedef struct ph_instance {
        const char *node;
        pid_t pid;
} ph_instance;

/* One child of a result: started (with its instances) or stopped (with its
 * nodes, as instances whose pid is 0). */
typedef struct ph_result_child {
        const char *id;
        const ph_instance *instances;
        size_t n_instances;
} ph_result_child;

typedef struct ph_result_error {
        const char *id;
        const char *node; /* NULL when no node was involved */
        const char *reason;
} ph_result_error;

typedef struct ph_result ph_result;

/* Wait for the operation's result; each node answers within the
 * operation's timeout or its children get "node_receive_timeout" errors.
 * -ETIMEDOUT once await_timeout_ms passed since the call (the reference's
 * collector lifetime: the result is only to be had until then), -EALREADY
 * when it was already collected. The future is not freed
 * by awaiting; do not free it while another thread awaits it. */
int ph_future_await(ph_future *future, ph_result **ret_result);
ph_future *ph_future_free(ph_future *future);

ph_result_kind ph_result_kind_of(const ph_result *result);
/* ok when there are no errors. */
ph_status ph_result_status(const ph_result *result);
/* Started (start) or stopped (stop) children. */
size_t ph_result_n_children(const ph_result *result);
const ph_result_child *ph_result_child_at(const ph_result *result, size_t i);
size_t ph_result_n_errors(const ph_result *result);
const ph_result_error *ph_result_error_at(const ph_result *result, size_t i);
/* Whether the children that did start were stopped again (rollback). */
bool ph_result_rollback(const ph_result *result);
/* The reference's helpers: every pid, every distinct node of the
 * children (not of the errors), the first pid (0 when none).
 * ph_result_pids() and ph_result_nodes() fill at most n and return how many
 * exist. Every pointer a result hands out lives until ph_result_free(). */
size_t ph_result_pids(const ph_result *result, pid_t *pids, size_t n);
size_t ph_result_nodes(const ph_result *result, const char **nodes, size_t n);
pid_t ph_result_first_pid(const ph_result *result);
ph_result *ph_result_free(ph_result *result);

/* ---- Queries: local, never waiting on the loop or the network --------- */

/* What the registry holds for a child. */
typedef struct ph_child_info {
        ph_child_spec spec;
        const ph_instance *instances;
        size_t n_instances;
        const char *tag; /* NULL when none */
        const ph_kv *metadata;
        size_t n_metadata;
} ph_child_info;

/* -ENOENT when no such child is registered. */
int ph_child_lookup(ph_hub *hub, const char *child_id, ph_child_info **ret_info);
ph_child_info *ph_child_info_free(ph_child_info *info);

/* The first instance's pid; -ENOENT when none. */
int ph_get_pid(ph_hub *hub, const char *child_id, pid_t *ret_pid);
/* Every instance. */
int ph_get_pids(ph_hub *hub, const char *child_id, ph_instance **ret_instances, size_t *ret_n);
void ph_instances_free(ph_instance *instances, size_t n);

/* A list of children with their instances, for ph_process_list() and
 * ph_tag_query(); iterate with ph_child_list_n() and _at(). */
typedef struct ph_child_list ph_child_list;
typedef enum ph_scope {
        PH_SCOPE_GLOBAL, /* every node's children */
        PH_SCOPE_LOCAL,  /* this node's only (instances on this node) */
        _PH_SCOPE_MAX,
        _PH_SCOPE_INVALID = -22,
} ph_scope;
int ph_process_list(ph_hub *hub, ph_scope scope, ph_child_list **ret_list);
int ph_tag_query(ph_hub *hub, const char *tag, ph_child_list **ret_list);
size_t ph_child_list_n(const ph_child_list *list);
const ph_result_child *ph_child_list_at(const ph_child_list *list, size_t i);
ph_child_list *ph_child_list_free(ph_child_list *list);

/* Everything the registry holds: an array of *ret_n infos. */
int ph_registry_dump(ph_hub *hub, ph_child_info ***ret_infos, size_t *ret_n);
void ph_child_infos_free(ph_child_info **infos, size_t n);

/* The local supervisor's view (the reference's which_children): each
 * local child with its pid (0 while restarting) and state, from a table the
 * hub keeps for readers (no wait on the loop). */
typedef struct ph_child_state {
        const char *id;
        pid_t pid;
        const char *state; /* "starting", "running", "restarting", "stopping", "failed" */
        unsigned restarts;
        const char *last_exit; /* "exited with code 1", ...; NULL when none */
        const char *failure;   /* why failed; NULL when not */
} ph_child_state;
int ph_which_children(ph_hub *hub, ph_child_state **ret_children, size_t *ret_n);
void ph_child_states_free(ph_child_state *children, size_t n);

/* How the child's last process ended ("exited with code 1", "killed by
 * the OOM killer (memory limit)", "stopped"), also for a child that is
 * gone: kept 10 minutes after the event, then purged by the hub's
 * janitor. -ENOENT when nothing is known. */
int ph_child_last_exit(ph_hub *hub, const char *child_id, char **ret_text);

/* ---- Hooks ------------------------------------------------------------ */

typedef enum ph_hook_key {
        PH_HOOK_PRE_CLUSTER_JOIN,
        PH_HOOK_POST_CLUSTER_JOIN,
        PH_HOOK_PRE_CLUSTER_LEAVE,
        PH_HOOK_POST_CLUSTER_LEAVE,
        PH_HOOK_REGISTRY_PID_INSERT,
        PH_HOOK_REGISTRY_PID_REMOVE,
        PH_HOOK_CHILDREN_MIGRATED,
        PH_HOOK_FORWARDED_MIGRATION,
        PH_HOOK_PRIORITY_STATE_UPDATED,
        PH_HOOK_PRE_NODES_REDISTRIBUTION,
        PH_HOOK_POST_NODES_REDISTRIBUTION,
        PH_HOOK_PRE_CHILDREN_START,
        PH_HOOK_POST_CHILDREN_START,
        PH_HOOK_PRE_CHILDREN_REDISTRIBUTION,
        PH_HOOK_COORDINATOR_SHUTDOWN,
        PH_HOOK_PROCESS_STARTUPS,
        PH_HOOK_CHILD_PROCESS_PID_UPDATE,
        PH_HOOK_CHILD_DATA_ALTER,
        PH_HOOK_SCOREBOARD_UPDATED,
        /* Ours, not the reference's: a process in a child's tree other
         * than its main process died (a worker, a grandchild), as the
         * kernel's exit tracer saw it. child_id, node, instances (the dead
         * pid), reason ("worker (pid 123): killed by signal SIGSEGV (core
         * dumped)"). Only where the tracer runs (ph_hub_get_status()). */
        PH_HOOK_DESCENDANT_EXIT,
        _PH_HOOK_KEY_MAX,
        _PH_HOOK_KEY_INVALID = -22,
} ph_hook_key;

/* "pre_cluster_join", ... (the reference's names); NULL for an invalid
 * key, and -EINVAL from _from_string() for an unknown name. */
const char *ph_hook_key_to_string(ph_hook_key key);
ph_hook_key ph_hook_key_from_string(const char *s);

/* One child in a hook's payload. */
typedef struct ph_hook_child {
        const char *id;
        const ph_instance *instances;
        size_t n_instances;
        int error;          /* post_children_start: 0 or -errno */
        const char *reason; /* post_children_start: why it failed */
} ph_hook_child;

/* What a hook carries; which fields are set depends on the key (see the
 * table in README.md). */
typedef struct ph_hook_event {
        ph_hook_key key;
        const char *hub_id;
        const char *node;     /* cluster and pid-update hooks: the node */
        const char *child_id; /* registry and pid-update hooks */
        const ph_instance *instances; /* registry_pid_insert: the new pairs */
        size_t n_instances;
        const ph_hook_child *children; /* batch hooks */
        size_t n_children;
        int priority;       /* priority_state_updated: 0 or 10 */
        const char *reason; /* coordinator_shutdown, descendant_exit */
        /* child_data_alter: the spec about to start; a handler may change
         * fields (pointing at memory that outlives the call). */
        ph_child_spec *spec;
        ph_metadata *metadata;
} ph_hook_event;

/* A handler returns >= 0; a negative return is logged (debug) and
 * ignored, except for child_data_alter where it fails that child's start
 * with that error. */
typedef int (*ph_hook_fn)(ph_hub *hub, const ph_hook_event *event, void *userdata);

typedef struct ph_hook_handler {
        const char *id; /* unique per hook key */
        ph_hook_fn fn;
        void *userdata;
        int priority; /* higher runs first; equal ones in registration order */
} ph_hook_handler;

/* Register handlers for key. All or nothing: -EEXIST when an id is taken
 * (or given twice), and then none is registered. */
int ph_register_hook_handlers(ph_hub *hub, ph_hook_key key, const ph_hook_handler *handlers, size_t n);
/* Remove handlers by id; -ENOENT when one is unknown (the others are
 * removed). */
int ph_cancel_hook_handlers(ph_hub *hub, ph_hook_key key, const char *const *ids, size_t n);

/* ---- A hub served by a running processhubd ---------------------------- */

/* Where processhubd listens unless $PROCESSHUB_SOCKET says otherwise. */
#define PH_DEFAULT_SOCKET_PATH "/run/processhub/processhubd.sock"

/* Open a handle on a hub that a running processhubd serves, over its
 * control socket (docs/control-protocol.md): connect, say hello, check
 * that the hub exists. socket_path NULL: $PROCESSHUB_SOCKET, else
 * PH_DEFAULT_SOCKET_PATH; hub_id NULL: the daemon's only hub.
 *
 * The handle takes the same functions as one from ph_hub_start(), with
 * the daemon answering: queries ask it (one connection per handle, shared
 * by threads: they are no longer free of the network), an awaitable start
 * or stop holds a connection of its own until awaited or freed. The
 * differences:
 * - ph_hub_stop(): -EOPNOTSUPP; the daemon owns its hub. ph_hub_free()
 *   only disconnects, it never stops anything.
 * - ph_is_alive(), ph_is_locked(), ph_is_partitioned() ask the daemon
 *   (its hub's state), false when it cannot be asked.
 * - Hook handlers run on a thread of the handle that reads the daemon's
 *   events (one watch connection per handle, opened by the first
 *   registration), after the fact: a child_data_alter handler cannot
 *   change or refuse a start there, and event->spec, ->metadata are NULL.
 *   Cancelling leaves the key watched: its events still arrive and are
 *   skipped. Once the daemon closed the watch connection (it stopped),
 *   the handle's handlers get no more events and a registration for a
 *   new key fails with -ECONNRESET: open a new handle.
 * - A start checks specs and options on the caller's side (the embedded
 *   hub's -EINVAL and texts), and with check_existing asks the daemon for
 *   each id of calls of up to 32 children (-EEXIST, "already started: a,
 *   b"). The daemon's own refusals of an awaitable start (-EEXIST for a
 *   larger call or a race, -ESHUTDOWN) come from ph_future_await(),
 *   without text; those of a start without await come at once.
 * - Every call may also fail with -ECONNRESET (the daemon went away) or
 *   -EBADMSG (a reply this library does not understand).
 *
 * Errors: -ENOENT or -ECONNREFUSED when nothing listens at the socket
 * (ret_error_text: "cannot reach processhubd at PATH: ...; is it
 * running?"), -EACCES when the daemon refuses this user, -EPROTONOSUPPORT
 * when it does not speak this protocol version, -ENOENT when it runs no
 * hub named hub_id, -EINVAL when hub_id is NULL and it runs several (the
 * text lists them). */
int ph_hub_connect(const char *socket_path, const char *hub_id, ph_hub **ret_hub, char **ret_error_text);
/* Whether hub came from ph_hub_connect(). */
bool ph_hub_is_remote(const ph_hub *hub);

/* A hub's state at one moment, for status displays. */
typedef struct ph_hub_status {
        const char *hub_id;
        const char *node; /* the local node (the daemon's, for a remote hub) */
        bool alive;
        bool locked;
        bool partitioned;
        const char *const *nodes; /* NULL-terminated: the cluster's nodes, local one included */
        size_t n_children;        /* registered children */
        size_t n_failed;          /* local children that failed (restart intensity spent) */
        /* The kernel hint sources (the hub's, or the daemon's for a remote
         * hub): "active", "idle: <why>" or "inactive: <why>"; NULL when the
         * daemon did not say. */
        const char *kernel_bpf;
        const char *kernel_netlink;
} ph_hub_status;
int ph_hub_get_status(ph_hub *hub, ph_hub_status **ret_status);
ph_hub_status *ph_hub_status_free(ph_hub_status *status);

/* Hook commands of a daemon: argv (NULL-terminated, argv[0] the program)
 * runs for each event of key with the event as one line of JSON on its
 * stdin; id is unique per key (-EEXIST), priority orders it as a handler's
 * does. Remote handles only: -EOPNOTSUPP for an embedded hub (register a
 * ph_hook_fn there). */
int ph_hook_command_add(ph_hub *hub, ph_hook_key key, const char *id, const char *const *argv, int priority);
/* Remove hook commands by id: returns how many were removed. */
int ph_hook_command_remove(ph_hub *hub, ph_hook_key key, const char *const *ids, size_t n);

/* ---- Small helpers ---------------------------------------------------- */

char **ph_strv_free(char **strv);

#ifdef __cplusplus
}
#endif
