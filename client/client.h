/* SPDX-License-Identifier: MIT */
#pragma once

/* The client side of the control protocol (docs/control-protocol.md):
 * what a ph_hub handle opened by ph_hub_connect() holds, and the functions
 * the public entry points of hub/ hand a remote handle to (one line at the
 * top of each: "if (hub->remote) return client_xxx(...);").
 *
 * Connections: one per handle for queries and non-awaited operations,
 * shared by threads under a mutex (requests on it are answered in order,
 * matched by id); one per awaitable future, carrying only its "await"
 * request, so awaiting never holds up the handle; one per handle for hook
 * events (a reader thread), opened by the first handler registered.
 *
 * Replies are decoded into the library's own types (registry entries,
 * results, lists), so every ph_*_free() works on them unchanged. */

#include <json-c/json.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "macros.h"
#include "processhub.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);

typedef struct client_conn client_conn;
typedef struct client_remote client_remote;
typedef struct client_future client_future;
typedef struct client_watch client_watch;
struct registry_entry;

/* How long a query or a non-awaited operation may wait for its reply. */
#define CLIENT_CALL_TIMEOUT_USEC (30 * UINT64_C(1000000))
/* The longest line accepted from the daemon: a dump of every child. */
#define CLIENT_LINE_MAX (256u * 1024u * 1024u)
/* The daemon's bound on a request line (docs/control-protocol.md): a
 * larger request is -EMSGSIZE here, before it is sent. */
#define CLIENT_REQUEST_MAX (32u * 1024u * 1024u)

/* ---- connection.c: one socket, newline-delimited JSON ---- */

/* Connect to the control socket: -errno of connect() (-ENOENT,
 * -ECONNREFUSED, -EACCES, ...). */
int client_conn_open(const char *socket_path, client_conn **ret);
/* An already connected stream socket (tests: socketpair()); takes fd. */
int client_conn_from_fd(int fd, client_conn **ret);
client_conn *client_conn_free(client_conn *c);
/* Unblock a reader of c in another thread (shutdown(), no close). */
void client_conn_shutdown(client_conn *c);
/* Send {"v":1,"id":N,"op":op,"hub":hub,"args":args} (args taken, may be
 * NULL; hub NULL: left out); *ret_id gets N. */
int client_conn_send_request(client_conn *c, const char *hub, const char *op, json_object *args, uint64_t *ret_id);
/* Read one message (a JSON object on one line) by deadline (CLOCK_MONOTONIC
 * usec, USEC_INFINITY: none). -ETIMEDOUT, -ECONNRESET at end of stream,
 * -EBADMSG for a line that is not a JSON object, -EMSGSIZE for one over
 * CLIENT_LINE_MAX. */
int client_conn_read_message(client_conn *c, uint64_t deadline_usec, json_object **ret);
/* Read messages until the reply to request id (events and other ids are
 * skipped) and unwrap it: its "result" (a new reference, NULL for none),
 * or the -errno of its "error" with the message in *ret_error_text.
 * -EBADMSG for a reply that does not have the protocol's shape. */
int client_conn_read_reply(client_conn *c, uint64_t id, uint64_t deadline_usec, json_object **ret_result,
                           char **ret_error_text);
/* Send and read the reply. */
int client_conn_call(client_conn *c, const char *hub, const char *op, json_object *args, uint64_t deadline_usec,
                     json_object **ret_result, char **ret_error_text);
/* Unwrap a reply already read (client_conn_read_reply()'s second half). */
int client_reply_unwrap(json_object *reply, json_object **ret_result, char **ret_error_text);

/* ---- decode.c: replies into the library's types; -EBADMSG for a shape
 * that is not the protocol's ---- */

int client_decode_instances(json_object *j, ph_instance **ret, size_t *ret_n);
/* A child ({"id", "instances", "tag"}) or info (plus "spec", "metadata")
 * as a registry entry (registry_entry_unref()). */
int client_decode_entry(json_object *j, struct registry_entry **ret);
int client_decode_info(json_object *j, ph_child_info **ret);
int client_decode_child_list(json_object *j, ph_child_list **ret);
int client_decode_infos(json_object *j, ph_child_info ***ret, size_t *ret_n);
int client_decode_states(json_object *j, ph_child_state **ret, size_t *ret_n);
int client_decode_strv(json_object *j, char ***ret);
/* A start or stop result, added to r (of that kind). */
int client_decode_result(json_object *j, ph_result *r);
int client_decode_status(json_object *j, ph_hub_status **ret);
/* A status to fill in (the fields but the strings given); takes nodes. */
ph_hub_status *client_status_new(const char *hub_id, const char *node, char **nodes);
/* Set the kernel hint sources' states (copied; NULL: not known). */
int client_status_set_kernel(ph_hub_status *status, const char *bpf, const char *netlink);
/* decode-event.c: an event's payload, a ph_hook_event pointing into *ret_storage (freed
 * with client_event_storage_free()). -EOPNOTSUPP for a key this library
 * does not know ("overflow"). */
typedef struct client_event_storage client_event_storage;
int client_decode_event(json_object *j, ph_hook_event *ret, client_event_storage **ret_storage);
client_event_storage *client_event_storage_free(client_event_storage *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(client_event_storage *, client_event_storage_free);
/* Typed field access: -EBADMSG when present with another type. */
int client_json_string(json_object *o, const char *key, bool optional, const char **ret);
int client_json_u64(json_object *o, const char *key, bool optional, uint64_t *ret);
int client_json_bool(json_object *o, const char *key, bool optional, bool *ret);
int client_json_array(json_object *o, const char *key, bool optional, json_object **ret);
/* A borrowed view of instances: the node strings point into j. */
struct registry_instance;
int client_instances_view(json_object *j, struct registry_instance **ret, size_t *ret_n);

/* ---- encode.c: the library's types into requests ---- */

int client_encode_spec(const ph_child_spec *spec, json_object **ret);
int client_encode_metadata(const ph_metadata *md, json_object **ret);

/* ---- remote.c: the handle ---- */

struct client_remote {
        char *socket_path;
        char *hub_id;
        pthread_mutex_t lock; /* conn: one request at a time */
        client_conn *conn;
        pthread_mutex_t watch_lock;
        client_watch *watch;
};

/* Ask the daemon on the handle's shared connection (reconnecting once when
 * the connection was lost). */
int client_remote_call(client_remote *remote, const char *op, json_object *args, json_object **ret_result,
                       char **ret_error_text);
/* Frees the handle ph_hub_connect() built (its watch thread first). */
ph_hub *client_hub_free(ph_hub *hub);

int client_nodes(client_remote *remote, bool include_local, char ***ret_nodes);
int client_promote_to_node(client_remote *remote, const char *node_name);
int client_child_last_exit(client_remote *remote, const char *child_id, char **ret_text);
int client_child_lookup(client_remote *remote, const char *child_id, ph_child_info **ret_info);
int client_get_pid(client_remote *remote, const char *child_id, pid_t *ret_pid);
int client_get_pids(client_remote *remote, const char *child_id, ph_instance **ret_instances, size_t *ret_n);
int client_process_list(client_remote *remote, ph_scope scope, ph_child_list **ret_list);
int client_tag_query(client_remote *remote, const char *tag, ph_child_list **ret_list);
int client_registry_dump(client_remote *remote, ph_child_info ***ret_infos, size_t *ret_n);
int client_which_children(client_remote *remote, ph_child_state **ret_children, size_t *ret_n);
/* alive, locked, partitioned from the daemon's status; false when it
 * cannot be asked. */
bool client_status_flag(client_remote *remote, const char *field);

/* ---- operations.c: start, stop and their futures ---- */

int client_start_children(client_remote *remote, const ph_child_spec *specs, size_t n_specs,
                          const ph_start_opts *opts, ph_future **ret_future, char **ret_error_text);
int client_stop_children(client_remote *remote, const char *const *child_ids, size_t n_ids,
                         const ph_stop_opts *opts, ph_future **ret_future);
/* From ph_future_await() on a remote future: read the reply once (by the
 * future's deadline) and complete the future with it. 0 when the future
 * is settled (or its deadline passed: the future says -ETIMEDOUT); the
 * daemon's error, -ECONNRESET or -EBADMSG otherwise. */
int client_future_receive(client_future *cf, ph_future *future);
client_future *client_future_free(client_future *cf);

/* ---- watch.c: hook handlers fed by the daemon's events ---- */

int client_register_hook_handlers(ph_hub *hub, ph_hook_key key, const ph_hook_handler *handlers, size_t n);
int client_cancel_hook_handlers(ph_hub *hub, ph_hook_key key, const char *const *ids, size_t n);
client_watch *client_watch_free(client_watch *w);

/* ---- future.c's seam for remote futures ---- */

void future_set_remote(ph_future *f, client_future *cf);
