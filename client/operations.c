/* SPDX-License-Identifier: MIT */

/* Start and stop on a daemon, and their futures.
 *
 * A call checks what it can on the caller's side first (the library's own
 * spec validation, so the error texts are the embedded hub's). Without
 * await the daemon's "initiated" (or its error) comes back at once over
 * the shared connection. With await the request goes out on a connection
 * of the future's own, and ph_future_await() reads its one reply there: a
 * slow start never holds up the handle's queries, and the future's
 * deadline (await_timeout_ms from the call, as for an embedded future)
 * bounds the read. */

#include <stdio.h>
#include <string.h>

#include "client.h"
#include "future.h"
#include "hub-internal.h"
#include "macros.h"
#include "string-util.h"

struct client_future {
        pthread_mutex_t lock; /* one reader of conn at a time */
        client_conn *conn;    /* until the reply was read */
        uint64_t id;
        bool settled;
        int error; /* once settled: 0, or why there is no result */
};

client_future *client_future_free(client_future *cf) {
        if (!cf)
                return NULL;
        client_conn_free(cf->conn);
        pthread_mutex_destroy(&cf->lock);
        free(cf);
        return NULL;
}

int client_future_receive(client_future *cf, ph_future *f) {
        _cleanup_(json_object_putp) json_object *result = NULL;
        int r;

        assert(cf);
        assert(f);

        pthread_mutex_lock(&cf->lock);
        if (cf->settled) {
                r = cf->error;
                goto finish;
        }
        r = client_conn_read_reply(cf->conn, cf->id, future_deadline_usec(f), &result, NULL);
        if (r == -ETIMEDOUT) {
                /* The future's own deadline: it answers -ETIMEDOUT. A reply
                 * may still come for a later await, until the daemon's
                 * future expires as well. */
                r = 0;
                goto finish;
        }
        if (r >= 0)
                r = client_decode_result(result, future_result(f));
        cf->settled = true;
        cf->error = r < 0 ? r : 0;
        cf->conn = client_conn_free(cf->conn);
        if (r >= 0)
                future_complete(f);
finish:
        pthread_mutex_unlock(&cf->lock);
        return r < 0 ? r : 0;
}

/* Send op on a connection of its own and hand out the future reading it. */
static int future_request(client_remote *remote, ph_result_kind kind, uint64_t await_timeout_ms, const char *op,
                          json_object *args, ph_future **ret_future, char **ret_error_text) {
        _cleanup_(future_unrefp) ph_future *f = NULL;
        client_future *cf;
        int r;

        r = future_new(kind, await_timeout_ms, &f);
        if (r < 0) {
                json_object_put(args);
                return r;
        }
        cf = calloc(1, sizeof(*cf));
        if (!cf) {
                json_object_put(args);
                return -ENOMEM;
        }
        pthread_mutex_init(&cf->lock, NULL);
        future_set_remote(f, cf); /* the future frees it from now on */
        r = client_conn_open(remote->socket_path, &cf->conn);
        if (r < 0) {
                json_object_put(args);
                hub_error_text(ret_error_text, "cannot reach processhubd at %s: %s", remote->socket_path,
                               strerror(-r));
                return r;
        }
        r = client_conn_send_request(cf->conn, remote->hub_id, op, args, &cf->id);
        if (r < 0) {
                hub_error_text(ret_error_text, "processhubd at %s: %s: %s", remote->socket_path, op, strerror(-r));
                return r;
        }
        if (ret_future)
                *ret_future = TAKE_PTR(f);
        /* else awaitable, but nobody to hand it to: the daemon runs the
         * operation all the same. */
        return 0;
}

/* With check_existing, few children: the embedded hub's -EEXIST and text
 * before anything is sent. Larger batches leave it to the daemon (its
 * error then comes from the await, or at once without await). */
#define CLIENT_CHECK_EXISTING_MAX 32

static int start_check_existing(client_remote *remote, const ph_child_spec *specs, size_t n, char **ret_error_text) {
        _cleanup_free_ char *list = NULL;
        int r;

        if (n > CLIENT_CHECK_EXISTING_MAX)
                return 0;
        for (size_t i = 0; i < n; i++) {
                pid_t pid;

                r = client_get_pid(remote, specs[i].id, &pid);
                if (r == -ENOENT)
                        continue;
                if (r < 0 && r != -ESRCH)
                        return r;
                if (!list)
                        list = strdup(specs[i].id);
                else {
                        char *l = NULL;
                        if (asprintf(&l, "%s, %s", list, specs[i].id) < 0)
                                l = NULL;
                        free(list);
                        list = l;
                }
                if (!list)
                        return -ENOMEM;
        }
        if (list) {
                hub_error_text(ret_error_text, "already started: %s", list);
                return -EEXIST;
        }
        return 0;
}

int client_start_children(client_remote *remote, const ph_child_spec *specs, size_t n_specs,
                          const ph_start_opts *opts, ph_future **ret_future, char **ret_error_text) {
        ph_start_opts defaults;
        json_object *args, *jspecs;
        int r;

        if (!opts) {
                ph_start_opts_init(&defaults);
                opts = &defaults;
        }
        r = hub_start_args_check(specs, n_specs, opts, ret_error_text);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n_specs; i++) {
                child_spec *checked = NULL;

                r = hub_spec_from_public(&specs[i], &checked, ret_error_text);
                if (r < 0)
                        return r;
                child_spec_free(checked);
                for (size_t j = 0; j < i; j++)
                        if (strcmp(specs[j].id, specs[i].id) == 0) {
                                hub_error_text(ret_error_text, "child %s: given twice", specs[i].id);
                                return -EINVAL;
                        }
        }
        if (opts->check_existing) {
                r = start_check_existing(remote, specs, n_specs, ret_error_text);
                if (r < 0)
                        return r;
        }

        args = json_object_new_object();
        jspecs = json_object_new_array_ext((int) n_specs);
        if (!args || !jspecs) {
                json_object_put(args);
                json_object_put(jspecs);
                return -ENOMEM;
        }
        json_object_object_add(args, "specs", jspecs);
        for (size_t i = 0; i < n_specs; i++) {
                json_object *s;
                r = client_encode_spec(&specs[i], &s);
                if (r < 0) {
                        json_object_put(args);
                        return r;
                }
                json_object_array_add(jspecs, s);
        }
        json_object_object_add(args, "await", json_object_new_boolean(opts->awaitable));
        json_object_object_add(args, "timeout_ms", json_object_new_uint64(opts->timeout_ms));
        json_object_object_add(args, "await_timeout_ms", json_object_new_uint64(opts->await_timeout_ms));
        json_object_object_add(args, "check_existing", json_object_new_boolean(opts->check_existing));
        json_object_object_add(args, "on_failure",
                               json_object_new_string(opts->on_failure == PH_ON_FAILURE_ROLLBACK ? "rollback"
                                                                                                 : "continue"));
        json_object_object_add(args, "disable_logging", json_object_new_boolean(opts->disable_logging));
        if (opts->node)
                json_object_object_add(args, "node", json_object_new_string(opts->node));
        if (opts->metadata) {
                json_object *md;
                r = client_encode_metadata(opts->metadata, &md);
                if (r < 0) {
                        json_object_put(args);
                        hub_error_text(ret_error_text, "metadata: a key or value is missing");
                        return r;
                }
                json_object_object_add(args, "metadata", md);
        }

        if (opts->awaitable)
                return future_request(remote, PH_RESULT_START, opts->await_timeout_ms, "start", args, ret_future,
                                      ret_error_text);
        r = client_remote_call(remote, "start", args, NULL, ret_error_text);
        if (r < 0)
                return r;
        if (ret_future)
                *ret_future = NULL;
        return 0;
}

int client_stop_children(client_remote *remote, const char *const *child_ids, size_t n_ids,
                         const ph_stop_opts *opts, ph_future **ret_future) {
        ph_stop_opts defaults;
        json_object *args, *ids;
        int r;

        if (!opts) {
                ph_stop_opts_init(&defaults);
                opts = &defaults;
        }
        r = hub_stop_args_check(child_ids, n_ids, opts);
        if (r < 0)
                return r;

        args = json_object_new_object();
        ids = json_object_new_array_ext((int) n_ids);
        if (!args || !ids) {
                json_object_put(args);
                json_object_put(ids);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n_ids; i++)
                json_object_array_add(ids, json_object_new_string(child_ids[i]));
        json_object_object_add(args, "ids", ids);
        json_object_object_add(args, "await", json_object_new_boolean(opts->awaitable));
        json_object_object_add(args, "timeout_ms", json_object_new_uint64(opts->timeout_ms));
        json_object_object_add(args, "await_timeout_ms", json_object_new_uint64(opts->await_timeout_ms));

        if (opts->awaitable)
                return future_request(remote, PH_RESULT_STOP, opts->await_timeout_ms, "stop", args, ret_future, NULL);
        r = client_remote_call(remote, "stop", args, NULL, NULL);
        if (r < 0)
                return r;
        if (ret_future)
                *ret_future = NULL;
        return 0;
}
