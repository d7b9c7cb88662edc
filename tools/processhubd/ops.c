/* SPDX-License-Identifier: MIT */
/* Requests of the control protocol (docs/control-protocol.md,
 * "Operations"): one line in, one reply out, or for awaited start and
 * stop a reply posted back by the worker that awaited the future. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <inttypes.h>
#include <string.h>

#include "daemon-log.h"
#include "daemon.h"
#include "json-shapes.h"
#include "processhubd-config.h"
#include "string-util.h"

/* {"v":1,"id":N,"ok":true,"result":R} into w, R being JSON text already
 * (NULL: null). */
static void write_reply_ok(json_writer *w, int64_t id, const char *result, size_t len) {
        json_writer_object_begin(w);
        json_writer_field_int(w, "v", PHD_PROTOCOL_VERSION);
        json_writer_field_int(w, "id", id);
        json_writer_key(w, "ok");
        json_writer_bool(w, true);
        json_writer_key(w, "result");
        if (result)
                json_writer_raw(w, result, len);
        else
                json_writer_null(w);
        json_writer_object_end(w);
}

/* A result tree as text, NULL for NULL: out of memory is reported by
 * *ret_oom. */
static const char *tree_text(json_object *result, size_t *ret_len, bool *ret_oom) {
        const char *s;

        if (!result)
                return NULL;
        s = json_object_to_json_string_length(result, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, ret_len);
        *ret_oom = !s;
        return s;
}

json_object *phd_reply_error(int64_t id, int error, const char *message) {
        json_object *o = json_object_new_object();

        if (!o)
                return NULL;
        if (error < 0)
                error = -error;
        json_add_int(o, "v", PHD_PROTOCOL_VERSION);
        json_add_int(o, "id", id);
        json_object_object_add(o, "ok", json_object_new_boolean(false));
        json_object *e = json_object_new_object();
        json_add_int(e, "errno", error);
        json_add_string(e, "code", strerrorname_np(error) ?: "EUNKNOWN");
        json_add_string(e, "message", message && *message ? message : strerror(error));
        json_object_object_add(o, "error", e);
        return o;
}

/* What an operation hands back: a result, an error, or "the reply comes
 * later" (an awaited job holds the connection). */
typedef struct op_reply {
        json_object *result;
        /* Or the result as text: the frequent requests' ("pid", "lookup")
         * write it here instead of building a tree, and set written. */
        json_writer *text;
        bool written;
        int error;
        char *message;
        bool deferred;
} op_reply;

_printf_(3, 4) static int op_fail(op_reply *rep, int error, const char *fmt, ...) {
        va_list ap;

        rep->error = error < 0 ? error : -error;
        if (fmt) {
                va_start(ap, fmt);
                free_and_vprintf(&rep->message, fmt, ap);
                va_end(ap);
        }
        return rep->error;
}

static int op_fail_text(op_reply *rep, int error, char *text) {
        rep->error = error < 0 ? error : -error;
        free(rep->message);
        rep->message = text;
        return rep->error;
}

typedef struct request {
        phd *daemon;
        conn *conn;
        int64_t id;
        const char *op;
        const char *hub_name;
        json_object *args;
} request;

/* ---- Awaited operations ----------------------------------------------- */

typedef struct await_job {
        phd_hub *hub;
        conn *conn;
        int64_t id;
        ph_future *future;
        bool stop;
        char *reply; /* the encoded line, made on the worker */
        size_t reply_len;
} await_job;

static void await_run(void *userdata) {
        await_job *j = userdata;
        ph_result *result = NULL;
        json_object *reply;
        int r;

        r = ph_future_await(j->future, &result);
        if (r >= 0) {
                _cleanup_json_ json_object *tree = j->stop ? json_stop_result(result) : json_start_result(result);
                json_writer w = JSON_WRITER_INIT;
                bool oom = false;
                size_t len = 0;
                const char *s = tree_text(tree, &len, &oom);

                ph_result_free(result);
                if (!oom) {
                        write_reply_ok(&w, j->id, s, len);
                        j->reply = json_writer_take(&w, &j->reply_len);
                }
                if (j->reply)
                        return;
                r = -ENOMEM;
        }
        reply = phd_reply_error(j->id, r, r == -ETIMEDOUT ? "the result was not collected within await_timeout_ms" : NULL);
        if (reply) {
                size_t len = 0;
                const char *s = json_object_to_json_string_length(reply, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
                j->reply = s ? strndup(s, len) : NULL;
                j->reply_len = j->reply ? len : 0;
                json_object_put(reply);
        }
}

static void await_done(void *userdata) {
        await_job *j = userdata;

        if (j->reply)
                conn_send_string(j->conn, j->reply, j->reply_len, false);
        else
                conn_close(j->conn);
        conn_unref(j->conn);
        ph_future_free(j->future);
        phd_hub_job_end(j->hub);
        free(j->reply);
        free(j);
}

static int defer_await(request *q, phd_hub *h, ph_future *future, bool stop, op_reply *rep) {
        await_job *j = calloc(1, sizeof(*j));
        int r;

        if (!j) {
                ph_future_free(future);
                return op_fail(rep, ENOMEM, NULL);
        }
        *j = (await_job) { .hub = h, .conn = conn_ref(q->conn), .id = q->id, .future = future, .stop = stop };
        phd_hub_job_begin(h);
        r = workers_submit(q->daemon->workers, await_run, await_done, j);
        if (r < 0) {
                phd_hub_job_end(h);
                conn_unref(j->conn);
                ph_future_free(future);
                free(j);
                return op_fail(rep, r, "cannot await: %s", strerror(-r));
        }
        rep->deferred = true;
        return 0;
}

/* ---- Operations ------------------------------------------------------- */

static int op_hello(request *q, op_reply *rep) {
        json_object *o = json_object_new_object();

        json_add_int(o, "version", PHD_PROTOCOL_VERSION);
        json_add_string(o, "daemon", PROCESSHUB_DAEMON_VERSION);
        json_object *hubs = json_object_new_array();
        for (phd_hub *h = q->daemon->hubs; h; h = h->next)
                if (h->state == PHD_HUB_RUNNING)
                        json_object_array_add(hubs, json_object_new_string(h->name));
        json_object_object_add(o, "hubs", hubs);
        rep->result = o;
        return 0;
}

static char *local_node(ph_hub *hub) {
        char **all = NULL, **others = NULL, *node = NULL;

        if (ph_nodes(hub, true, &all) < 0)
                return NULL;
        if (ph_nodes(hub, false, &others) < 0) {
                ph_strv_free(all);
                return NULL;
        }
        for (char **a = all; a && *a && !node; a++) {
                bool other = false;
                for (char **o = others; o && *o; o++)
                        if (strcmp(*a, *o) == 0)
                                other = true;
                if (!other)
                        node = strdup(*a);
        }
        ph_strv_free(all);
        ph_strv_free(others);
        return node;
}

static int op_status(request *q, phd_hub *h, op_reply *rep) {
        ph_hub_status *st = NULL;
        int r;

        /* The registry's size, not a listing: cheap at any number of children. */
        r = ph_hub_get_status(h->hub, &st);
        if (r < 0)
                return op_fail(rep, r, NULL);
        rep->result = json_hub_status(st);
        ph_hub_status_free(st);
        return rep->result ? 0 : -ENOMEM;
}

static int decode_on_failure(json_object *args, ph_on_failure *ret, op_reply *rep) {
        const char *s = NULL;
        char *err = NULL;
        int r = json_get_string(args, "on_failure", "args", &s, &err);

        if (r < 0)
                return op_fail_text(rep, r, err);
        if (!s)
                return 0;
        if (strcmp(s, "continue") == 0)
                *ret = PH_ON_FAILURE_CONTINUE;
        else if (strcmp(s, "rollback") == 0)
                *ret = PH_ON_FAILURE_ROLLBACK;
        else
                return op_fail(rep, EINVAL, "args.on_failure: not one of continue, rollback: '%s'", s);
        return 0;
}

static int op_start(request *q, phd_hub *h, op_reply *rep) {
        _cleanup_(decode_arena_done) decode_arena arena = {};
        _cleanup_free_ ph_child_spec *specs = NULL;
        _cleanup_free_ char *err = NULL;
        ph_start_opts opts;
        ph_metadata md;
        bool await = false;
        json_object *v;
        int r;

        ph_start_opts_init(&opts);
        if (!json_object_object_get_ex(q->args, "specs", &v) || !json_object_is_type(v, json_type_array))
                return op_fail(rep, EINVAL, "args.specs: missing or not an array of specs");
        size_t n = json_object_array_length(v);
        if (n == 0)
                return op_fail(rep, EINVAL, "args.specs: no children");
        specs = calloc(n, sizeof(ph_child_spec));
        if (!specs)
                return op_fail(rep, ENOMEM, NULL);
        for (size_t i = 0; i < n; i++) {
                char where[64];
                snprintf(where, sizeof where, "args.specs[%zu]", i);
                r = json_decode_spec(json_object_array_get_idx(v, i), where, &arena, &specs[i], &err);
                if (r < 0)
                        return op_fail_text(rep, r, TAKE_PTR(err));
        }
        if ((r = json_get_bool(q->args, "await", "args", &await, &err)) < 0 ||
            (r = json_get_u64(q->args, "timeout_ms", "args", &opts.timeout_ms, &err)) < 0 ||
            (r = json_get_u64(q->args, "await_timeout_ms", "args", &opts.await_timeout_ms, &err)) < 0 ||
            (r = json_get_bool(q->args, "check_existing", "args", &opts.check_existing, &err)) < 0 ||
            (r = json_get_bool(q->args, "disable_logging", "args", &opts.disable_logging, &err)) < 0 ||
            (r = json_get_string(q->args, "node", "args", &opts.node, &err)) < 0)
                return op_fail_text(rep, r, TAKE_PTR(err));
        r = decode_on_failure(q->args, &opts.on_failure, rep);
        if (r < 0)
                return r;
        if (json_object_object_get_ex(q->args, "metadata", &v) && v) {
                r = json_decode_metadata(v, "args.metadata", &arena, &md, &err);
                if (r < 0)
                        return op_fail_text(rep, r, TAKE_PTR(err));
                opts.metadata = &md;
        }
        opts.awaitable = await;

        ph_future *future = NULL;
        r = ph_start_children(h->hub, specs, n, &opts, &future, &err);
        if (r < 0)
                return op_fail_text(rep, r, TAKE_PTR(err));
        if (!opts.disable_logging)
                dlog_info(h->name, n == 1 ? specs[0].id : NULL, "start of %zu %s requested by pid %d", n,
                          n == 1 ? "child" : "children", (int) q->conn->pid);
        if (!await) {
                json_object *o = json_object_new_object();
                json_add_string(o, "status", "initiated");
                rep->result = o;
                return 0;
        }
        return defer_await(q, h, future, false, rep);
}

static int op_stop(request *q, phd_hub *h, op_reply *rep) {
        _cleanup_(decode_arena_done) decode_arena arena = {};
        _cleanup_free_ char *err = NULL;
        const char **ids = NULL;
        size_t n = 0;
        ph_stop_opts opts;
        bool await = false;
        int r;

        ph_stop_opts_init(&opts);
        if ((r = json_get_strv(q->args, "ids", "args", &arena, &ids, &n, &err)) < 0 ||
            (r = json_get_bool(q->args, "await", "args", &await, &err)) < 0 ||
            (r = json_get_u64(q->args, "timeout_ms", "args", &opts.timeout_ms, &err)) < 0 ||
            (r = json_get_u64(q->args, "await_timeout_ms", "args", &opts.await_timeout_ms, &err)) < 0)
                return op_fail_text(rep, r, TAKE_PTR(err));
        if (!ids || n == 0)
                return op_fail(rep, EINVAL, "args.ids: missing or empty");
        opts.awaitable = await;
        ph_future *future = NULL;
        r = ph_stop_children(h->hub, ids, n, &opts, &future);
        if (r < 0)
                return op_fail(rep, r, NULL);
        dlog_info(h->name, n == 1 ? ids[0] : NULL, "stop of %zu %s requested by pid %d", n, n == 1 ? "child" : "children",
                  (int) q->conn->pid);
        if (!await) {
                json_object *o = json_object_new_object();
                json_add_string(o, "status", "initiated");
                rep->result = o;
                return 0;
        }
        return defer_await(q, h, future, true, rep);
}

static int get_id(request *q, const char *key, const char **ret, op_reply *rep) {
        _cleanup_free_ char *err = NULL;
        const char *id = NULL;
        int r = json_get_string(q->args, key, "args", &id, &err);

        if (r < 0)
                return op_fail_text(rep, r, TAKE_PTR(err));
        if (!id)
                return op_fail(rep, EINVAL, "args.%s: missing", key);
        *ret = id;
        return 0;
}

static int op_ls(request *q, phd_hub *h, op_reply *rep) {
        _cleanup_free_ char *err = NULL;
        const char *scope = NULL;
        ph_scope sc = PH_SCOPE_GLOBAL;
        ph_child_list *list = NULL;
        int r;

        r = json_get_string(q->args, "scope", "args", &scope, &err);
        if (r < 0)
                return op_fail_text(rep, r, TAKE_PTR(err));
        if (scope && strcmp(scope, "local") == 0)
                sc = PH_SCOPE_LOCAL;
        else if (scope && strcmp(scope, "global") != 0)
                return op_fail(rep, EINVAL, "args.scope: not one of global, local: '%s'", scope);
        r = ph_process_list(h->hub, sc, &list);
        if (r < 0)
                return op_fail(rep, r, NULL);
        rep->result = json_child_list(h->hub, list);
        ph_child_list_free(list);
        return 0;
}

static int op_lookup(request *q, phd_hub *h, op_reply *rep) {
        _cleanup_free_ char *err = NULL;
        const char *id = NULL;
        bool with_metadata = false;
        ph_child_info *info = NULL;
        int r;

        if ((r = get_id(q, "id", &id, rep)) < 0)
                return r;
        if ((r = json_get_bool(q->args, "with_metadata", "args", &with_metadata, &err)) < 0)
                return op_fail_text(rep, r, TAKE_PTR(err));
        r = ph_child_lookup(h->hub, id, &info);
        if (r < 0)
                return op_fail(rep, r, r == -ENOENT ? "no child %s is registered" : NULL, id);
        json_write_info(rep->text, info, id, with_metadata);
        rep->written = true;
        ph_child_info_free(info);
        return 0;
}

static int op_pid(request *q, phd_hub *h, op_reply *rep) {
        const char *id = NULL;
        pid_t pid;
        int r;

        if ((r = get_id(q, "id", &id, rep)) < 0)
                return r;
        r = ph_get_pid(h->hub, id, &pid);
        if (r == -ENOENT)
                return op_fail(rep, r, "no child %s is registered", id);
        if (r == -ESRCH)
                return op_fail(rep, r, "child %s is registered but not running (restarting)", id);
        if (r < 0)
                return op_fail(rep, r, NULL);
        json_writer_object_begin(rep->text);
        json_writer_field_string(rep->text, "id", id);
        json_writer_field_int(rep->text, "pid", pid);
        json_writer_object_end(rep->text);
        rep->written = true;
        return 0;
}

static int op_pids(request *q, phd_hub *h, op_reply *rep) {
        ph_instance *instances = NULL;
        const char *id = NULL;
        size_t n = 0;
        int r;

        if ((r = get_id(q, "id", &id, rep)) < 0)
                return r;
        r = ph_get_pids(h->hub, id, &instances, &n);
        if (r < 0)
                return op_fail(rep, r, r == -ENOENT ? "no child %s is registered" : NULL, id);
        json_object *o = json_object_new_object();
        json_add_string(o, "id", id);
        json_object_object_add(o, "instances", json_instances(instances, n));
        ph_instances_free(instances, n);
        rep->result = o;
        return 0;
}

static int op_tag(request *q, phd_hub *h, op_reply *rep) {
        ph_child_list *list = NULL;
        const char *tag = NULL;
        int r;

        if ((r = get_id(q, "tag", &tag, rep)) < 0)
                return r;
        r = ph_tag_query(h->hub, tag, &list);
        if (r < 0)
                return op_fail(rep, r, NULL);
        rep->result = json_child_list(h->hub, list);
        ph_child_list_free(list);
        return 0;
}

static int op_dump(request *q, phd_hub *h, op_reply *rep) {
        ph_child_info **infos = NULL;
        size_t n = 0;
        int r;

        r = ph_registry_dump(h->hub, &infos, &n);
        if (r < 0)
                return op_fail(rep, r, NULL);
        json_object *a = json_object_new_array();
        for (size_t i = 0; i < n; i++)
                json_object_array_add(a, json_info(infos[i], NULL, true));
        ph_child_infos_free(infos, n);
        rep->result = a;
        return 0;
}

static int op_which(request *q, phd_hub *h, op_reply *rep) {
        ph_child_state *states = NULL;
        size_t n = 0;
        int r;

        r = ph_which_children(h->hub, &states, &n);
        if (r < 0)
                return op_fail(rep, r, NULL);
        rep->result = json_child_states(states, n);
        ph_child_states_free(states, n);
        return 0;
}

static int op_last_exit(request *q, phd_hub *h, op_reply *rep) {
        _cleanup_free_ char *text = NULL;
        const char *id = NULL;
        int r;

        if ((r = get_id(q, "id", &id, rep)) < 0)
                return r;
        r = ph_child_last_exit(h->hub, id, &text);
        if (r < 0)
                return op_fail(rep, r, r == -ENOENT ? "nothing is known of how child %s last ended" : NULL, id);
        json_object *o = json_object_new_object();
        json_add_string(o, "id", id);
        json_add_string(o, "last_exit", text);
        rep->result = o;
        return 0;
}

static int op_nodes(request *q, phd_hub *h, op_reply *rep) {
        _cleanup_free_ char *err = NULL;
        bool include_local = false;
        char **nodes = NULL;
        int r;

        if ((r = json_get_bool(q->args, "include_local", "args", &include_local, &err)) < 0)
                return op_fail_text(rep, r, TAKE_PTR(err));
        r = ph_nodes(h->hub, include_local, &nodes);
        if (r < 0)
                return op_fail(rep, r, NULL);
        rep->result = json_strv((const char *const *) nodes) ?: json_object_new_array();
        ph_strv_free(nodes);
        return 0;
}

static int op_promote(request *q, phd_hub *h, op_reply *rep) {
        _cleanup_free_ char *err = NULL;
        const char *node = NULL;
        int r;

        if ((r = json_get_string(q->args, "node", "args", &node, &err)) < 0)
                return op_fail_text(rep, r, TAKE_PTR(err));
        r = ph_promote_to_node(h->hub, node);
        if (r < 0)
                return op_fail(rep, r, NULL);
        _cleanup_free_ char *now = local_node(h->hub);
        dlog_info(h->name, NULL, "promoted to node %s", now ?: "?");
        json_object *o = json_object_new_object();
        json_add_string(o, "node", now);
        rep->result = o;
        return 0;
}

static int get_key(request *q, ph_hook_key *ret, op_reply *rep) {
        const char *key = NULL;
        int r;

        if ((r = get_id(q, "key", &key, rep)) < 0)
                return r;
        ph_hook_key k = ph_hook_key_from_string(key);
        if ((int) k < 0)
                return op_fail(rep, EINVAL, "args.key: not a hook key: '%s'", key);
        *ret = k;
        return 0;
}

static int op_hook_add(request *q, phd_hub *h, op_reply *rep) {
        _cleanup_(decode_arena_done) decode_arena arena = {};
        _cleanup_free_ char *err = NULL;
        const char **argv = NULL;
        const char *id = NULL;
        ph_hook_key key = _PH_HOOK_KEY_INVALID;
        size_t n = 0;
        int r;

        if ((r = get_key(q, &key, rep)) < 0 || (r = get_id(q, "id", &id, rep)) < 0)
                return r;
        if ((r = json_get_strv(q->args, "argv", "args", &arena, &argv, &n, &err)) < 0)
                return op_fail_text(rep, r, TAKE_PTR(err));
        if (!argv || n == 0)
                return op_fail(rep, EINVAL, "args.argv: needs at least the program");
        json_object *pv;
        int priority = 0;
        if (json_object_object_get_ex(q->args, "priority", &pv) && pv) {
                if (!json_object_is_type(pv, json_type_int))
                        return op_fail(rep, EINVAL, "args.priority: not an integer");
                priority = json_object_get_int(pv);
        }
        for (hook_command *c = h->hooks; c; c = c->next)
                if (c->key == key && strcmp(c->id, id) == 0)
                        return op_fail(rep, EEXIST, "hook %s: id %s is taken", ph_hook_key_to_string(key), id);

        hook_command *hc = calloc(1, sizeof(*hc));
        if (!hc)
                return op_fail(rep, ENOMEM, NULL);
        hc->key = key;
        hc->priority = priority;
        hc->id = strdup(id);
        hc->argv = calloc(n + 1, sizeof(char *));
        bool oom = !hc->id || !hc->argv;
        for (size_t i = 0; !oom && i < n; i++)
                oom = !(hc->argv[i] = strdup(argv[i]));
        if (oom) {
                free(hc->id);
                strv_free(hc->argv);
                free(hc);
                return op_fail(rep, ENOMEM, NULL);
        }
        /* Higher priority first; equal ones in the order added. */
        hook_command **p = &h->hooks;
        while (*p && (*p)->priority >= priority)
                p = &(*p)->next;
        hc->next = *p;
        *p = hc;
        dlog_info(h->name, NULL, "hook command %s added for %s: %s", id, ph_hook_key_to_string(key), argv[0]);

        json_object *o = json_object_new_object();
        json_add_string(o, "key", ph_hook_key_to_string(key));
        json_add_string(o, "id", id);
        rep->result = o;
        return 0;
}

static int op_hook_rm(request *q, phd_hub *h, op_reply *rep) {
        _cleanup_(decode_arena_done) decode_arena arena = {};
        _cleanup_free_ char *err = NULL;
        const char **ids = NULL;
        ph_hook_key key = _PH_HOOK_KEY_INVALID;
        size_t n = 0, removed = 0;
        int r;

        if ((r = get_key(q, &key, rep)) < 0)
                return r;
        if ((r = json_get_strv(q->args, "ids", "args", &arena, &ids, &n, &err)) < 0)
                return op_fail_text(rep, r, TAKE_PTR(err));
        for (size_t i = 0; i < n; i++)
                for (hook_command **p = &h->hooks; *p; p = &(*p)->next)
                        if ((*p)->key == key && strcmp((*p)->id, ids[i]) == 0) {
                                hook_command *hc = *p;
                                *p = hc->next;
                                free(hc->id);
                                strv_free(hc->argv);
                                free(hc);
                                removed++;
                                break;
                        }
        json_object *o = json_object_new_object();
        json_add_string(o, "key", ph_hook_key_to_string(key));
        json_add_int(o, "removed", (int64_t) removed);
        rep->result = o;
        return 0;
}

static int op_watch(request *q, phd_hub *h, op_reply *rep) {
        _cleanup_(decode_arena_done) decode_arena arena = {};
        _cleanup_free_ char *err = NULL;
        const char **keys = NULL;
        bool want[_PH_HOOK_KEY_MAX] = {};
        size_t n = 0;
        int r;

        if ((r = json_get_strv(q->args, "keys", "args", &arena, &keys, &n, &err)) < 0)
                return op_fail_text(rep, r, TAKE_PTR(err));
        for (size_t i = 0; i < n; i++) {
                ph_hook_key k = ph_hook_key_from_string(keys[i]);
                if ((int) k < 0)
                        return op_fail(rep, EINVAL, "args.keys[%zu]: not a hook key: '%s'", i, keys[i]);
                want[k] = true;
        }
        if (n == 0)
                for (int k = 0; k < _PH_HOOK_KEY_MAX; k++)
                        want[k] = true;

        conn *c = q->conn;
        watch *w = NULL;
        for (size_t i = 0; i < c->n_watches; i++)
                if (strcmp(c->watches[i].hub, h->name) == 0)
                        w = &c->watches[i];
        if (!w) {
                watch *l = realloc(c->watches, (c->n_watches + 1) * sizeof(watch));
                if (!l)
                        return op_fail(rep, ENOMEM, NULL);
                c->watches = l;
                w = &c->watches[c->n_watches];
                *w = (watch) { .hub = strdup(h->name) };
                if (!w->hub)
                        return op_fail(rep, ENOMEM, NULL);
                c->n_watches++;
        }
        json_object *a = json_object_new_array();
        for (int k = 0; k < _PH_HOOK_KEY_MAX; k++) {
                w->keys[k] = w->keys[k] || want[k];
                if (w->keys[k])
                        json_object_array_add(a, json_object_new_string(ph_hook_key_to_string((ph_hook_key) k)));
        }
        json_object *o = json_object_new_object();
        json_object_object_add(o, "watching", a);
        rep->result = o;
        return 0;
}

typedef struct op_entry {
        const char *name;
        int (*fn)(request *q, phd_hub *h, op_reply *rep);
} op_entry;

static const op_entry ops[] = {
        { "status", op_status },   { "start", op_start },       { "stop", op_stop },       { "ls", op_ls },
        { "lookup", op_lookup },   { "pid", op_pid },           { "pids", op_pids },       { "tag", op_tag },
        { "dump", op_dump },       { "which", op_which },       { "last_exit", op_last_exit }, { "nodes", op_nodes },
        { "promote", op_promote }, { "hook_add", op_hook_add }, { "hook_rm", op_hook_rm }, { "watch", op_watch },
};

static void dispatch(request *q, op_reply *rep) {
        _cleanup_free_ char *err = NULL;
        phd_hub *h = NULL;
        int r;

        if (strcmp(q->op, "hello") == 0) {
                op_hello(q, rep);
                return;
        }
        const op_entry *e = NULL;
        for (size_t i = 0; i < ELEMENTSOF(ops); i++)
                if (strcmp(ops[i].name, q->op) == 0)
                        e = &ops[i];
        if (!e) {
                op_fail(rep, EOPNOTSUPP, "unknown op '%s'", q->op);
                return;
        }
        if (q->daemon->stopping && (strcmp(q->op, "start") == 0 || strcmp(q->op, "hook_add") == 0)) {
                op_fail(rep, ESHUTDOWN, "processhubd is shutting down");
                return;
        }
        r = phd_resolve_hub(q->daemon, q->hub_name, &h, &err);
        if (r < 0) {
                op_fail_text(rep, r, TAKE_PTR(err));
                return;
        }
        (void) e->fn(q, h, rep);
}

/* {"v":1,"id":N,"ok":true,"result":R}, written around the result, whether
 * the operation wrote it as text or built a tree (which is put). */
static void reply_ok(phd *d, conn *c, int64_t id, op_reply *rep) {
        json_writer *w = &d->reply_writer;
        const char *text;
        size_t len;

        bool oom = false;

        len = 0;
        if (rep->written) {
                text = json_writer_text(rep->text, &len);
                oom = !text;
        } else
                text = tree_text(rep->result, &len, &oom);
        json_writer_reset(w);
        if (!oom)
                write_reply_ok(w, id, text, len);
        json_object_put(rep->result);
        rep->result = NULL;

        text = oom ? NULL : json_writer_text(w, &len);
        if (!text) {
                conn_send(c, phd_reply_error(id, ENOMEM, NULL), false);
                return;
        }
        conn_send_string(c, text, len, false);
}

void phd_handle_line(phd *d, conn *c, const char *line, size_t len) {
        json_object *msg = NULL, *v;
        request q = { .daemon = d, .conn = c };
        op_reply rep = { .text = &d->result_writer };

        if (!d->tokener)
                d->tokener = json_tokener_new_ex(64);
        if (!d->tokener) {
                conn_send(c, phd_reply_error(0, ENOMEM, NULL), false);
                return;
        }
        json_tokener *tok = d->tokener;
        json_tokener_reset(tok);
        msg = json_tokener_parse_ex(tok, line, (int) len);
        enum json_tokener_error jerr = json_tokener_get_error(tok);
        size_t used = json_tokener_get_parse_end(tok);
        /* Nothing of this line stays in it for the next one. */
        json_tokener_reset(tok);
        if (!msg || jerr != json_tokener_success) {
                json_object_put(msg);
                _cleanup_free_ char *m = NULL;
                free_and_printf(&m, "not JSON: %s", jerr == json_tokener_continue ? "truncated" : json_tokener_error_desc(jerr));
                conn_send(c, phd_reply_error(0, EBADMSG, m), false);
                return;
        }
        for (; used < len; used++)
                if (line[used] != ' ' && line[used] != '\t') {
                        json_object_put(msg);
                        conn_send(c, phd_reply_error(0, EBADMSG, "not JSON: garbage after the object"), false);
                        return;
                }
        if (!json_object_is_type(msg, json_type_object)) {
                json_object_put(msg);
                conn_send(c, phd_reply_error(0, EBADMSG, "not a JSON object"), false);
                return;
        }

        if (json_object_object_get_ex(msg, "id", &v) && v) {
                if (!json_object_is_type(v, json_type_int))
                        op_fail(&rep, EINVAL, "id: not an integer");
                else
                        q.id = json_object_get_int64(v);
        }
        if (rep.error == 0) {
                if (!json_object_object_get_ex(msg, "v", &v) || !v)
                        op_fail(&rep, EINVAL, "v: missing (the protocol version, %d)", PHD_PROTOCOL_VERSION);
                else if (!json_object_is_type(v, json_type_int))
                        op_fail(&rep, EINVAL, "v: not an integer");
                else if (json_object_get_int64(v) != PHD_PROTOCOL_VERSION)
                        op_fail(&rep, EPROTONOSUPPORT, "protocol version %" PRId64 " is not supported; this daemon speaks %d",
                                json_object_get_int64(v), PHD_PROTOCOL_VERSION);
        }
        if (rep.error == 0) {
                if (!json_object_object_get_ex(msg, "op", &v) || !v || !json_object_is_type(v, json_type_string))
                        op_fail(&rep, EINVAL, "op: missing or not a string");
                else
                        q.op = json_object_get_string(v);
        }
        if (rep.error == 0 && json_object_object_get_ex(msg, "hub", &v) && v) {
                if (!json_object_is_type(v, json_type_string))
                        op_fail(&rep, EINVAL, "hub: not a string");
                else
                        q.hub_name = json_object_get_string(v);
        }
        if (rep.error == 0 && json_object_object_get_ex(msg, "args", &v) && v) {
                if (!json_object_is_type(v, json_type_object))
                        op_fail(&rep, EINVAL, "args: not an object");
                else
                        q.args = v;
        }
        if (rep.error == 0) {
                if (!q.args) {
                        /* Absent args are an empty object, so ops read fields alike. */
                        q.args = json_object_new_object();
                        json_object_object_add(msg, "args", q.args);
                }
                json_writer_reset(rep.text);
                dispatch(&q, &rep);
        }

        if (rep.error < 0)
                conn_send(c, phd_reply_error(q.id, rep.error, rep.message), false);
        else if (!rep.deferred)
                reply_ok(d, c, q.id, &rep);
        free(rep.message);
        json_object_put(msg);
}
