/* SPDX-License-Identifier: MIT */

/* A hub handle on a running processhubd: ph_hub_connect(), the shared
 * connection the handle's queries go over, and the queries themselves.
 *
 * The shared connection carries one request at a time (the handle's
 * mutex): a query is short, and a reply read by the thread that asked
 * needs no dispatcher thread. Awaited operations never use it (they have
 * connections of their own), so no query waits behind a start. */

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "client.h"
#include "hub-internal.h"
#include "macros.h"
#include "string-util.h"
#include "time-util.h"

static const char *default_socket_path(void) {
        const char *e = secure_getenv("PROCESSHUB_SOCKET");

        return e && e[0] ? e : PH_DEFAULT_SOCKET_PATH;
}

static client_remote *remote_free(client_remote *remote) {
        if (!remote)
                return NULL;
        client_watch_free(remote->watch);
        client_conn_free(remote->conn);
        pthread_mutex_destroy(&remote->lock);
        pthread_mutex_destroy(&remote->watch_lock);
        free(remote->socket_path);
        free(remote->hub_id);
        free(remote);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(client_remote *, remote_free);

ph_hub *client_hub_free(ph_hub *hub) {
        if (!hub)
                return NULL;
        remote_free(hub->remote);
        free(hub->hub_id);
        free(hub);
        return NULL;
}

_public_ bool ph_hub_is_remote(const ph_hub *hub) {
        return hub && hub->remote;
}

/* Lists the daemon's hubs as "a, b". */
static char *hubs_joined(json_object *hubs) {
        char *s = strdup("");

        for (size_t i = 0; s && i < json_object_array_length(hubs); i++) {
                const char *name = json_object_get_string(json_object_array_get_idx(hubs, i));
                char *n = NULL;
                if (asprintf(&n, "%s%s%s", s, i > 0 ? ", " : "", name ?: "?") < 0)
                        n = NULL;
                free(s);
                s = n;
        }
        return s;
}

/* hello: the protocol version and the daemon's hubs; picks the hub. */
static int remote_hello(client_remote *remote, const char *hub_id, char **ret_error_text) {
        _cleanup_(json_object_putp) json_object *result = NULL;
        json_object *hubs = NULL;
        _cleanup_free_ char *text = NULL, *list = NULL;
        uint64_t version = 0;
        size_t n;
        int r;

        r = client_conn_call(remote->conn, NULL, "hello", NULL, now_usec() + CLIENT_CALL_TIMEOUT_USEC, &result,
                             &text);
        if (r == -EPROTONOSUPPORT) {
                hub_error_text(ret_error_text, "processhubd at %s does not speak this client's protocol: %s",
                               remote->socket_path, text ?: strerror(-r));
                return r;
        }
        if (r == -EACCES) {
                hub_error_text(ret_error_text, "processhubd at %s refused this client: %s", remote->socket_path,
                               text ?: strerror(-r));
                return r;
        }
        if (r < 0) {
                hub_error_text(ret_error_text, "processhubd at %s: hello failed: %s", remote->socket_path,
                               text ?: strerror(-r));
                return r;
        }
        if (client_json_u64(result, "version", false, &version) < 0 ||
            !json_object_object_get_ex(result, "hubs", &hubs) || !json_object_is_type(hubs, json_type_array)) {
                hub_error_text(ret_error_text, "processhubd at %s: its hello reply is not understood",
                               remote->socket_path);
                return -EBADMSG;
        }
        if (version != 1) {
                hub_error_text(ret_error_text, "processhubd at %s speaks protocol version %" PRIu64
                               "; this client speaks 1", remote->socket_path, version);
                return -EPROTONOSUPPORT;
        }
        n = json_object_array_length(hubs);
        list = hubs_joined(hubs);
        if (!list)
                return -ENOMEM;
        if (!hub_id) {
                if (n != 1) {
                        if (n == 0)
                                hub_error_text(ret_error_text, "processhubd at %s runs no hub", remote->socket_path);
                        else
                                hub_error_text(ret_error_text, "processhubd at %s runs several hubs (%s): name one",
                                               remote->socket_path, list);
                        return n == 0 ? -ENOENT : -EINVAL;
                }
                hub_id = json_object_get_string(json_object_array_get_idx(hubs, 0));
                if (!hub_id)
                        return -EBADMSG;
        } else {
                bool found = false;
                for (size_t i = 0; i < n && !found; i++) {
                        const char *name = json_object_get_string(json_object_array_get_idx(hubs, i));
                        found = name && strcmp(name, hub_id) == 0;
                }
                if (!found) {
                        hub_error_text(ret_error_text, "no hub named %s; processhubd at %s runs: %s", hub_id,
                                       remote->socket_path, n > 0 ? list : "none");
                        return -ENOENT;
                }
        }
        remote->hub_id = strdup(hub_id);
        return remote->hub_id ? 0 : -ENOMEM;
}

_public_ int ph_hub_connect(const char *socket_path, const char *hub_id, ph_hub **ret_hub, char **ret_error_text) {
        _cleanup_(remote_freep) client_remote *remote = NULL;
        int r;

        assert_return(ret_hub, -EINVAL);
        assert_return(!hub_id || hub_id[0], -EINVAL);

        remote = calloc(1, sizeof(*remote));
        if (!remote)
                return -ENOMEM;
        pthread_mutex_init(&remote->lock, NULL);
        pthread_mutex_init(&remote->watch_lock, NULL);
        remote->socket_path = strdup(socket_path ?: default_socket_path());
        if (!remote->socket_path)
                return -ENOMEM;

        r = client_conn_open(remote->socket_path, &remote->conn);
        if (r < 0) {
                if (r == -EACCES)
                        hub_error_text(ret_error_text, "cannot reach processhubd at %s: %s; is this user in its control group?",
                                       remote->socket_path, strerror(-r));
                else
                        hub_error_text(ret_error_text, "cannot reach processhubd at %s: %s; is it running?",
                                       remote->socket_path, strerror(-r));
                return r;
        }
        r = remote_hello(remote, hub_id, ret_error_text);
        if (r < 0)
                return r;

        ph_hub *hub = calloc(1, sizeof(*hub));
        if (!hub)
                return -ENOMEM;
        hub->hub_id = strdup(remote->hub_id);
        if (!hub->hub_id) {
                free(hub);
                return -ENOMEM;
        }
        hub->remote = TAKE_PTR(remote);
        *ret_hub = hub;
        return 0;
}

int client_remote_call(client_remote *remote, const char *op, json_object *args, json_object **ret_result,
                       char **ret_error_text) {
        int r;

        assert(remote);

        pthread_mutex_lock(&remote->lock);
        for (unsigned attempt = 0;; attempt++) {
                if (!remote->conn) {
                        r = client_conn_open(remote->socket_path, &remote->conn);
                        if (r < 0)
                                break;
                }
                /* args is consumed by the send: a retry needs its own. */
                uint64_t id;
                r = client_conn_send_request(remote->conn, remote->hub_id, op, json_object_get(args), &id);
                if (r == -ECONNRESET && attempt == 0) {
                        /* The daemon closed this connection before the
                         * request (it restarted): nothing was sent, so a
                         * new connection may carry it, once. */
                        remote->conn = client_conn_free(remote->conn);
                        continue;
                }
                if (r >= 0)
                        r = client_conn_read_reply(remote->conn, id, now_usec() + CLIENT_CALL_TIMEOUT_USEC, ret_result,
                                                   ret_error_text);
                /* The stream cannot be trusted any more (lost, or a reply
                 * may still come for a request given up on): the next call
                 * opens a new one. A request that was sent is never sent
                 * again: it may have run. */
                if (r == -ECONNRESET || r == -ETIMEDOUT || r == -EBADMSG || r == -EMSGSIZE || r == -EPIPE)
                        remote->conn = client_conn_free(remote->conn);
                break;
        }
        pthread_mutex_unlock(&remote->lock);
        json_object_put(args);
        return r;
}

/* ---- Queries ---- */

static json_object *args_id(const char *key, const char *value) {
        json_object *a = json_object_new_object();

        if (a)
                json_object_object_add(a, key, json_object_new_string(value));
        return a;
}

static int call(client_remote *remote, const char *op, json_object *args, json_object **ret) {
        /* A query's args may be NULL only when it takes none. */
        return client_remote_call(remote, op, args, ret, NULL);
}

int client_nodes(client_remote *remote, bool include_local, char ***ret_nodes) {
        _cleanup_(json_object_putp) json_object *result = NULL;
        json_object *a = json_object_new_object();
        int r;

        if (!a)
                return -ENOMEM;
        json_object_object_add(a, "include_local", json_object_new_boolean(include_local));
        r = call(remote, "nodes", a, &result);
        if (r < 0)
                return r;
        return client_decode_strv(result, ret_nodes);
}

int client_promote_to_node(client_remote *remote, const char *node_name) {
        json_object *a = json_object_new_object();

        if (!a)
                return -ENOMEM;
        json_object_object_add(a, "node", node_name ? json_object_new_string(node_name) : NULL);
        return call(remote, "promote", a, NULL);
}

int client_child_last_exit(client_remote *remote, const char *child_id, char **ret_text) {
        _cleanup_(json_object_putp) json_object *result = NULL;
        const char *text = NULL;
        int r;

        r = call(remote, "last_exit", args_id("id", child_id), &result);
        if (r < 0)
                return r;
        r = client_json_string(result, "last_exit", true, &text);
        if (r < 0)
                return r;
        if (!text)
                return -ENOENT;
        char *s = strdup(text);
        if (!s)
                return -ENOMEM;
        *ret_text = s;
        return 0;
}

int client_child_lookup(client_remote *remote, const char *child_id, ph_child_info **ret_info) {
        _cleanup_(json_object_putp) json_object *result = NULL;
        json_object *a = args_id("id", child_id);
        int r;

        if (!a)
                return -ENOMEM;
        json_object_object_add(a, "with_metadata", json_object_new_boolean(true));
        r = call(remote, "lookup", a, &result);
        if (r < 0)
                return r;
        return client_decode_info(result, ret_info);
}

int client_get_pid(client_remote *remote, const char *child_id, pid_t *ret_pid) {
        _cleanup_(json_object_putp) json_object *result = NULL;
        uint64_t pid = 0;
        int r;

        r = call(remote, "pid", args_id("id", child_id), &result);
        if (r < 0)
                return r;
        r = client_json_u64(result, "pid", false, &pid);
        if (r < 0)
                return r;
        if (pid > INT32_MAX)
                return -EBADMSG;
        if (pid == 0)
                return -ESRCH;
        *ret_pid = (pid_t) pid;
        return 0;
}

int client_get_pids(client_remote *remote, const char *child_id, ph_instance **ret_instances, size_t *ret_n) {
        _cleanup_(json_object_putp) json_object *result = NULL;
        json_object *instances;
        int r;

        r = call(remote, "pids", args_id("id", child_id), &result);
        if (r < 0)
                return r;
        if (!json_object_object_get_ex(result, "instances", &instances))
                return -EBADMSG;
        return client_decode_instances(instances, ret_instances, ret_n);
}

int client_process_list(client_remote *remote, ph_scope scope, ph_child_list **ret_list) {
        _cleanup_(json_object_putp) json_object *result = NULL;
        int r;

        r = call(remote, "ls", args_id("scope", scope == PH_SCOPE_LOCAL ? "local" : "global"), &result);
        if (r < 0)
                return r;
        return client_decode_child_list(result, ret_list);
}

int client_tag_query(client_remote *remote, const char *tag, ph_child_list **ret_list) {
        _cleanup_(json_object_putp) json_object *result = NULL;
        int r;

        r = call(remote, "tag", args_id("tag", tag), &result);
        if (r < 0)
                return r;
        return client_decode_child_list(result, ret_list);
}

int client_registry_dump(client_remote *remote, ph_child_info ***ret_infos, size_t *ret_n) {
        _cleanup_(json_object_putp) json_object *result = NULL;
        int r;

        r = call(remote, "dump", NULL, &result);
        if (r < 0)
                return r;
        return client_decode_infos(result, ret_infos, ret_n);
}

int client_which_children(client_remote *remote, ph_child_state **ret_children, size_t *ret_n) {
        _cleanup_(json_object_putp) json_object *result = NULL;
        int r;

        r = call(remote, "which", NULL, &result);
        if (r < 0)
                return r;
        return client_decode_states(result, ret_children, ret_n);
}

bool client_status_flag(client_remote *remote, const char *name) {
        _cleanup_(json_object_putp) json_object *result = NULL;
        bool v = false;

        if (call(remote, "status", NULL, &result) < 0)
                return false;
        if (client_json_bool(result, name, false, &v) < 0)
                return false;
        return v;
}
