/* SPDX-License-Identifier: MIT */
#pragma once

/* The hub behind include/processhub.h: what ph_hub holds and the seams
 * between hub.c (lifecycle, thread), hub-call.c (running work on the loop
 * thread for API calls from other threads), hub-events.c (supervisor events
 * into the registry and hooks), operation-start.c, operation-stop.c and
 * hub-queries.c.
 *
 * Threads: the hub's loop runs on a thread of its own. The registry is
 * written on that thread only and read from any thread; the supervisor, the
 * coordinator and the operations live on the loop thread. API calls from
 * other threads post their work to the loop (hub_call()). */

#include <pthread.h>
#include <stdatomic.h>

#include "cgroup.h"
#include "coordinator.h"
#include "hook-table.h"
#include "local-states.h"
#include "loop.h"
#include "processhub.h"
#include "registry.h"
#include "storage.h"
#include "supervisor.h"

typedef struct hub_kernel hub_kernel;

struct ph_hub {
        char *hub_id;
        ph_hub_config config; /* copied numbers only; pointers cleared */

        loop *loop;
        pthread_t thread;
        bool thread_started;
        atomic_bool on_loop_thread_set;
        pthread_t loop_thread_id;

        cgroup_hierarchy *hierarchy;
        cgroup_subtree *subtree;
        supervisor *supervisor;
        registry *registry;
        hook_table *hooks;
        coordinator *coordinator;
        storage *storage;      /* TTL entries, purged by the janitor */
        local_states *local_states; /* which_children, readable from any thread */
        hub_kernel *kernel;    /* the exit tracer's hints (hub-kernel.c) */
        loop_source *janitor;
        uint64_t gone_ttl_usec; /* how long "last_exit:<id>" is kept */

        /* The local node's name; changed only on the loop thread, read under
         * node_lock from anywhere. */
        pthread_mutex_t node_lock;
        char *node;

        atomic_bool alive;
        atomic_bool locked;
        atomic_bool partitioned;
        bool stopping;

        /* hub_call(): posts are accepted until the loop is about to stop. */
        pthread_mutex_t call_lock;
        bool accepting_calls;

        /* Operations under way (for the janitor and for shutdown). */
        struct hub_operation *operations;

        /* config.state_dir: the state file and its flushing (hub-state.c);
         * NULL without persistence. */
        struct hub_state *state;

        /* Set on a handle from ph_hub_connect() (client/): then only
         * hub_id is used here, and every entry point hands over to it. */
        struct client_remote *remote;
};

/* Run func(hub, userdata) on the loop thread and wait for its return value
 * (directly when already on it). -ESHUTDOWN when the loop is gone. */
int hub_call(ph_hub *hub, int (*func)(ph_hub *hub, void *userdata), void *userdata);
bool hub_on_loop_thread(ph_hub *hub);
/* From now on hub_call() answers -ESHUTDOWN (loop thread, when stopping). */
void hub_calls_stop(ph_hub *hub);

/* A copy of the local node's name (free()), or NULL on OOM. */
char *hub_node_dup(ph_hub *hub);

/* Fire a hook when anyone listens. */
void hub_hook(ph_hub *hub, const ph_hook_event *event);

/* spec-convert.c: a public spec as an internal one (a deep copy), with the
 * reason when it is not valid ("child web: argv: needs at least the
 * program"). */
int hub_spec_from_public(const ph_child_spec *spec, child_spec **ret, char **ret_error_text);
/* The public limits as a policy. -EINVAL for a weight above 10000, which
 * the policy's 16-bit weights could not hold; *ret_reason then names it in
 * the words of cgroup_policy_check() ("cpu_weight: outside 1..10000"). */
int hub_policy_from_public(const ph_limits *limits, cgroup_policy *ret, const char **ret_reason);
/* The public view of an internal spec: pointers into it (no copy). */
void hub_spec_to_public(const child_spec *spec, ph_child_spec *ret);

/* Kept this long: why a child's last process ended (HUB_GONE_TTL_USEC). */
#define HUB_GONE_TTL_USEC (10 * 60 * USEC_PER_MSEC_U64 * 1000)

/* hub-kernel.c: the exit tracer on the hub's subtree, after the
 * supervisor exists; never fails for want of BPF (only -ENOMEM): then
 * hub_kernel_bpf_state() says "inactive: <why>". */
int hub_kernel_open(ph_hub *hub);
void hub_kernel_close(ph_hub *hub);
/* "active" or "inactive: <why>". */
const char *hub_kernel_bpf_state(const ph_hub *hub);
/* The supervisor's exit resolver (userdata: the hub). */
bool hub_kernel_resolve_exit(supervisor *s, pid_t pid, child_exit *ret, void *userdata);

/* hub-events.c */
void hub_on_supervisor_event(supervisor *s, supervisor_child *c, supervisor_event event, void *userdata);
/* Record a child the local supervisor started in the registry, with its
 * hook. */
int hub_register_local(ph_hub *hub, const child_spec *spec, pid_t pid, const char *tag, const registry_kv *metadata,
                       size_t n_metadata);
/* Remove the local instance from the registry, with its hook. */
void hub_unregister_local(ph_hub *hub, const char *id);

/* operation-start.c / operation-stop.c: run on the loop thread. */
typedef struct hub_operation hub_operation;
void hub_operations_free_all(ph_hub *hub);
/* The checks of a start's or stop's arguments that need no hub (opts
 * already defaulted), shared by embedded and remote handles: -EINVAL with
 * the text ("timeout must be above 0"). */
int hub_start_args_check(const ph_child_spec *specs, size_t n_specs, const ph_start_opts *opts,
                         char **ret_error_text);
int hub_stop_args_check(const char *const *child_ids, size_t n_ids, const ph_stop_opts *opts);

/* hub-queries.c, for client/: the public views of entries built from a
 * daemon's replies. The info takes a reference to e; the list takes the
 * entries (and frees them on failure). */
int hub_child_info_new(registry_entry *e, ph_child_info **ret);
int hub_child_list_new(registry_entry **entries, size_t n, ph_child_list **ret);

/* hub-state.c: the state file under config.state_dir and adoption.
 * hub_state_open(): before the cgroups are touched, take the hub's lock in
 * state_dir (-EBUSY when another process holds it) and read the state file
 * (-EBADMSG for a corrupt one; the text names the file). The records are
 * kept for hub_state_adopt(), which runs after the loop thread started:
 * adopts what still runs, starts afresh what died, removes stray leaves.
 * hub_state_mark_dirty() (loop thread) schedules a coalesced flush.
 * hub_state_close(): remove_file once nothing runs any more (clean stop). */
int hub_state_open(ph_hub *hub, const char *state_dir, char **ret_error_text);
int hub_state_adopt(ph_hub *hub, char **ret_error_text);
void hub_state_mark_dirty(ph_hub *hub);
/* Write the state file now when a change waits for the coalesced flush
 * (loop thread; a failure leaves the timer to try again). */
void hub_state_flush_pending(ph_hub *hub);
void hub_state_close(ph_hub *hub, bool remove_file);

/* Building an error text, "fmt..." into *ret when ret is not NULL. */
void hub_error_text(char **ret, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define USEC_PER_MSEC_U64 ((uint64_t) 1000)
static inline uint64_t ms_to_usec(uint64_t ms) {
        return ms > UINT64_MAX / USEC_PER_MSEC_U64 ? UINT64_MAX : ms * USEC_PER_MSEC_U64;
}
