/* SPDX-License-Identifier: MIT */

/* phubctl's JSON: the control protocol's shapes (docs/control-protocol.md),
 * so that scripts read phubctl and the socket alike. Every key is always
 * present (null when empty), so a script can rely on the set of keys. */

#include <stdio.h>
#include <time.h>

#include "phubctl.h"

static json_object *string_or_null(const char *s) {
        return s ? json_object_new_string(s) : NULL;
}

json_object *json_of_strv(const char *const *l) {
        json_object *a = json_object_new_array();

        for (; a && l && *l; l++)
                json_object_array_add(a, json_object_new_string(*l));
        return a;
}

json_object *json_of_instances(const ph_instance *instances, size_t n) {
        json_object *a = json_object_new_array();

        for (size_t i = 0; a && i < n; i++) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "node", string_or_null(instances[i].node));
                json_object_object_add(o, "pid", json_object_new_int64(instances[i].pid));
                json_object_array_add(a, o);
        }
        return a;
}

json_object *json_of_child_list(ph_hub *hub, const ph_child_list *list) {
        json_object *a = json_object_new_array();

        for (size_t i = 0; a && i < ph_child_list_n(list); i++) {
                const ph_result_child *c = ph_child_list_at(list, i);
                json_object *o = json_object_new_object();
                ph_child_info *info = NULL;

                json_object_object_add(o, "id", json_object_new_string(c->id));
                json_object_object_add(o, "instances", json_of_instances(c->instances, c->n_instances));
                /* Lists carry no tags: the registry's entry has it. */
                (void) ph_child_lookup(hub, c->id, &info);
                json_object_object_add(o, "tag", string_or_null(info ? info->tag : NULL));
                ph_child_info_free(info);
                json_object_array_add(a, o);
        }
        return a;
}

static const char *restart_name(ph_restart r) {
        static const char *const names[] = { "permanent", "transient", "temporary" };
        return r >= 0 && r < _PH_RESTART_MAX ? names[r] : NULL;
}

static const char *ready_name(ph_ready r) {
        return r == PH_READY_EXEC ? "exec" : r == PH_READY_NOTIFY ? "notify" : NULL;
}

static const char *output_name(ph_output o) {
        static const char *const names[] = { "inherit", "null", "file", "journal" };
        return o >= 0 && o < _PH_OUTPUT_MAX ? names[o] : NULL;
}

static json_object *limit_json(uint64_t v) {
        if (v == 0)
                return NULL;
        return v == PH_LIMIT_MAX ? json_object_new_string("max") : json_object_new_uint64(v);
}

static json_object *json_of_spec(const ph_child_spec *s) {
        json_object *o = json_object_new_object(), *l = json_object_new_object();

        json_object_object_add(o, "id", string_or_null(s->id));
        json_object_object_add(o, "argv", json_of_strv(s->argv));
        json_object_object_add(o, "env", s->env ? json_of_strv(s->env) : NULL);
        json_object_object_add(o, "cwd", string_or_null(s->cwd));
        json_object_object_add(o, "user", string_or_null(s->user));
        json_object_object_add(o, "group", string_or_null(s->group));
        json_object_object_add(o, "restart", string_or_null(restart_name(s->restart)));
        json_object_object_add(o, "ready", string_or_null(ready_name(s->ready)));
        json_object_object_add(o, "ready_timeout_ms", json_object_new_uint64(s->ready_timeout_ms));
        json_object_object_add(o, "shutdown_timeout_ms", json_object_new_uint64(s->shutdown_timeout_ms));
        json_object_object_add(o, "restart_burst", json_object_new_uint64(s->restart_burst));
        json_object_object_add(o, "restart_interval_ms", json_object_new_uint64(s->restart_interval_ms));
        json_object_object_add(o, "restart_delay_ms", json_object_new_uint64(s->restart_delay_ms));
        json_object_object_add(o, "restart_delay_max_ms", json_object_new_uint64(s->restart_delay_max_ms));
        json_object_object_add(l, "memory_max", limit_json(s->limits.memory_max));
        json_object_object_add(l, "pids_max", limit_json(s->limits.pids_max));
        json_object_object_add(l, "cpu_weight", limit_json(s->limits.cpu_weight));
        json_object_object_add(l, "io_weight", limit_json(s->limits.io_weight));
        json_object_object_add(o, "limits", l);
        json_object_object_add(o, "stdout", string_or_null(output_name(s->stdout_output)));
        json_object_object_add(o, "stdout_path", string_or_null(s->stdout_path));
        json_object_object_add(o, "stderr", string_or_null(output_name(s->stderr_output)));
        json_object_object_add(o, "stderr_path", string_or_null(s->stderr_path));
        return o;
}

json_object *json_of_info(const ph_child_info *info, bool with_metadata) {
        json_object *o = json_object_new_object();

        json_object_object_add(o, "id", string_or_null(info->spec.id));
        json_object_object_add(o, "instances", json_of_instances(info->instances, info->n_instances));
        json_object_object_add(o, "tag", string_or_null(info->tag));
        json_object_object_add(o, "spec", json_of_spec(&info->spec));
        if (with_metadata) {
                json_object *m = json_object_new_object();
                for (size_t i = 0; i < info->n_metadata; i++)
                        json_object_object_add(m, info->metadata[i].key, json_object_new_string(info->metadata[i].value));
                json_object_object_add(o, "metadata", m);
        }
        return o;
}

json_object *json_of_result(const ph_result *result) {
        bool start = ph_result_kind_of(result) == PH_RESULT_START;
        json_object *o = json_object_new_object(), *children = json_object_new_array(),
                    *errors = json_object_new_array();

        json_object_object_add(o, "status",
                               json_object_new_string(ph_result_status(result) == PH_STATUS_OK ? "ok" : "error"));
        for (size_t i = 0; i < ph_result_n_children(result); i++) {
                const ph_result_child *c = ph_result_child_at(result, i);
                json_object *x = json_object_new_object();

                json_object_object_add(x, "id", json_object_new_string(c->id));
                if (start)
                        json_object_object_add(x, "instances", json_of_instances(c->instances, c->n_instances));
                else {
                        json_object *nodes = json_object_new_array();
                        for (size_t k = 0; k < c->n_instances; k++)
                                json_object_array_add(nodes, string_or_null(c->instances[k].node));
                        json_object_object_add(x, "nodes", nodes);
                }
                json_object_array_add(children, x);
        }
        json_object_object_add(o, start ? "started" : "stopped", children);
        for (size_t i = 0; i < ph_result_n_errors(result); i++) {
                const ph_result_error *e = ph_result_error_at(result, i);
                json_object *x = json_object_new_object();

                json_object_object_add(x, "id", json_object_new_string(e->id));
                json_object_object_add(x, "node", string_or_null(e->node));
                json_object_object_add(x, "reason", string_or_null(e->reason));
                json_object_array_add(errors, x);
        }
        json_object_object_add(o, "errors", errors);
        if (start)
                json_object_object_add(o, "rollback", json_object_new_boolean(ph_result_rollback(result)));
        return o;
}

json_object *json_of_states(const ph_child_state *states, size_t n) {
        json_object *a = json_object_new_array();

        for (size_t i = 0; i < n; i++) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "id", json_object_new_string(states[i].id));
                json_object_object_add(o, "pid", json_object_new_int64(states[i].pid));
                json_object_object_add(o, "state", string_or_null(states[i].state));
                json_object_object_add(o, "restarts", json_object_new_int64(states[i].restarts));
                json_object_object_add(o, "last_exit", string_or_null(states[i].last_exit));
                json_object_object_add(o, "failure", string_or_null(states[i].failure));
                json_object_array_add(a, o);
        }
        return a;
}

json_object *json_of_status(const ph_hub_status *s) {
        json_object *o = json_object_new_object();

        json_object_object_add(o, "hub", string_or_null(s->hub_id));
        json_object_object_add(o, "node", string_or_null(s->node));
        json_object_object_add(o, "alive", json_object_new_boolean(s->alive));
        json_object_object_add(o, "locked", json_object_new_boolean(s->locked));
        json_object_object_add(o, "partitioned", json_object_new_boolean(s->partitioned));
        json_object_object_add(o, "nodes", json_of_strv(s->nodes));
        json_object_object_add(o, "children", json_object_new_uint64(s->n_children));
        if (s->kernel_bpf || s->kernel_netlink) {
                json_object *k = json_object_new_object();
                json_object_object_add(k, "bpf", string_or_null(s->kernel_bpf));
                json_object_object_add(k, "netlink", string_or_null(s->kernel_netlink));
                json_object_object_add(o, "kernel", k);
        }
        return o;
}

json_object *json_of_event(const ph_hook_event *e) {
        json_object *o = json_object_new_object();
        struct timespec ts;

        json_object_object_add(o, "key", string_or_null(ph_hook_key_to_string(e->key)));
        json_object_object_add(o, "hub", string_or_null(e->hub_id));
        if (e->node)
                json_object_object_add(o, "node", json_object_new_string(e->node));
        if (e->child_id)
                json_object_object_add(o, "child_id", json_object_new_string(e->child_id));
        if (e->instances)
                json_object_object_add(o, "instances", json_of_instances(e->instances, e->n_instances));
        if (e->children) {
                json_object *a = json_object_new_array();
                for (size_t i = 0; i < e->n_children; i++) {
                        const ph_hook_child *c = &e->children[i];
                        json_object *x = json_object_new_object();
                        json_object_object_add(x, "id", string_or_null(c->id));
                        if (c->instances)
                                json_object_object_add(x, "instances", json_of_instances(c->instances, c->n_instances));
                        if (c->error)
                                json_object_object_add(x, "error", json_object_new_int(-c->error));
                        if (c->reason)
                                json_object_object_add(x, "reason", json_object_new_string(c->reason));
                        json_object_array_add(a, x);
                }
                json_object_object_add(o, "children", a);
        }
        if (e->key == PH_HOOK_PRIORITY_STATE_UPDATED)
                json_object_object_add(o, "priority", json_object_new_int(e->priority));
        if (e->reason)
                json_object_object_add(o, "reason", json_object_new_string(e->reason));
        (void) clock_gettime(CLOCK_REALTIME, &ts);
        json_object_object_add(o, "time_us", json_object_new_int64((int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000));
        return o;
}

void json_print(json_object *o) {
        puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        fflush(stdout);
        json_object_put(o);
}
