/* SPDX-License-Identifier: MIT */

/* The shapes of docs/control-protocol.md, library values to JSON: one
 * encoder for what the daemon sends and what phubctl --json prints, so
 * that scripts read both alike. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "protocol-shapes.h"

const char *const protocol_restart_names[_PH_RESTART_MAX] = { "permanent", "transient", "temporary" };
const char *const protocol_ready_names[_PH_READY_MAX] = { "exec", "notify" };
const char *const protocol_output_names[_PH_OUTPUT_MAX] = { "inherit", "null", "file", "journal" };

void json_add_string(json_object *o, const char *key, const char *value) {
        json_object_object_add(o, key, value ? json_object_new_string(value) : NULL);
}

void json_add_int(json_object *o, const char *key, int64_t value) {
        json_object_object_add(o, key, json_object_new_int64(value));
}

json_object *json_strv(const char *const *l) {
        if (!l)
                return NULL;
        json_object *a = json_object_new_array();
        for (; a && *l; l++)
                json_object_array_add(a, json_object_new_string(*l));
        return a;
}

/* The same shape as json_write_instances(), built directly: lists of
 * thousands of children have one each, where a parse would cost more. */
json_object *json_instances(const ph_instance *instances, size_t n) {
        json_object *a = json_object_new_array();

        for (size_t i = 0; a && i < n; i++) {
                json_object *o = json_object_new_object();
                json_add_string(o, "node", instances[i].node);
                json_add_int(o, "pid", instances[i].pid);
                json_object_array_add(a, o);
        }
        return a;
}

/* 0 is "not set" (null), PH_LIMIT_MAX is "max" (no weight is). */
static void write_limit(json_writer *w, const char *key, uint64_t v) {
        json_writer_key(w, key);
        if (v == 0)
                json_writer_null(w);
        else if (v == PH_LIMIT_MAX)
                json_writer_string(w, "max");
        else
                json_writer_uint(w, v);
}

static const char *name_of(const char *const *names, size_t n, int i) {
        return i >= 0 && (size_t) i < n ? names[i] : NULL;
}

void json_write_instances(json_writer *w, const ph_instance *instances, size_t n) {
        json_writer_array_begin(w);
        for (size_t i = 0; i < n; i++) {
                json_writer_object_begin(w);
                json_writer_field_string(w, "node", instances[i].node);
                json_writer_field_int(w, "pid", instances[i].pid);
                json_writer_object_end(w);
        }
        json_writer_array_end(w);
}

void json_write_spec(json_writer *w, const ph_child_spec *s) {
        json_writer_object_begin(w);
        json_writer_field_string(w, "id", s->id);
        json_writer_field_strv(w, "argv", s->argv);
        json_writer_field_strv(w, "env", s->env);
        json_writer_field_string(w, "cwd", s->cwd);
        json_writer_field_string(w, "user", s->user);
        json_writer_field_string(w, "group", s->group);
        json_writer_field_string(w, "restart", name_of(protocol_restart_names, _PH_RESTART_MAX, s->restart));
        json_writer_field_string(w, "ready", name_of(protocol_ready_names, _PH_READY_MAX, s->ready));
        json_writer_field_uint(w, "ready_timeout_ms", s->ready_timeout_ms);
        json_writer_field_uint(w, "shutdown_timeout_ms", s->shutdown_timeout_ms);
        json_writer_field_uint(w, "restart_burst", s->restart_burst);
        json_writer_field_uint(w, "restart_interval_ms", s->restart_interval_ms);
        json_writer_field_uint(w, "restart_delay_ms", s->restart_delay_ms);
        json_writer_field_uint(w, "restart_delay_max_ms", s->restart_delay_max_ms);
        json_writer_key(w, "limits");
        json_writer_object_begin(w);
        write_limit(w, "memory_max", s->limits.memory_max);
        write_limit(w, "pids_max", s->limits.pids_max);
        write_limit(w, "cpu_weight", s->limits.cpu_weight);
        write_limit(w, "io_weight", s->limits.io_weight);
        json_writer_object_end(w);
        json_writer_field_string(w, "stdout", name_of(protocol_output_names, _PH_OUTPUT_MAX, s->stdout_output));
        json_writer_field_string(w, "stdout_path", s->stdout_path);
        json_writer_field_string(w, "stderr", name_of(protocol_output_names, _PH_OUTPUT_MAX, s->stderr_output));
        json_writer_field_string(w, "stderr_path", s->stderr_path);
        json_writer_object_end(w);
}

void json_write_info(json_writer *w, const ph_child_info *info, const char *id, bool with_metadata) {
        json_writer_object_begin(w);
        json_writer_field_string(w, "id", id ?: info->spec.id);
        json_writer_key(w, "instances");
        json_write_instances(w, info->instances, info->n_instances);
        json_writer_field_string(w, "tag", info->tag);
        json_writer_key(w, "spec");
        json_write_spec(w, &info->spec);
        if (with_metadata) {
                json_writer_key(w, "metadata");
                json_writer_object_begin(w);
                for (size_t i = 0; i < info->n_metadata; i++)
                        json_writer_field_string(w, info->metadata[i].key, info->metadata[i].value);
                json_writer_object_end(w);
        }
        json_writer_object_end(w);
}

/* A json-c tree of what a writer wrote: one definition of each shape. */
static json_object *tree_of(json_writer *w) {
        const char *text = json_writer_text(w, NULL);
        json_object *o = text ? json_tokener_parse(text) : NULL;

        json_writer_done(w);
        return o;
}

json_object *json_spec(const ph_child_spec *s) {
        json_writer w = JSON_WRITER_INIT;

        json_write_spec(&w, s);
        return tree_of(&w);
}

json_object *json_info(const ph_child_info *info, const char *id, bool with_metadata) {
        json_writer w = JSON_WRITER_INIT;

        json_write_info(&w, info, id, with_metadata);
        return tree_of(&w);
}

static json_object *json_result_errors(const ph_result *result) {
        json_object *a = json_object_new_array();

        for (size_t i = 0; a && i < ph_result_n_errors(result); i++) {
                const ph_result_error *e = ph_result_error_at(result, i);
                json_object *o = json_object_new_object();
                json_add_string(o, "id", e->id);
                json_add_string(o, "node", e->node);
                json_add_string(o, "reason", e->reason);
                json_object_array_add(a, o);
        }
        return a;
}

json_object *json_start_result(const ph_result *result) {
        json_object *o = json_object_new_object();

        if (!o)
                return NULL;
        json_add_string(o, "status", ph_result_status(result) == PH_STATUS_OK ? "ok" : "error");
        json_object *a = json_object_new_array();
        for (size_t i = 0; a && i < ph_result_n_children(result); i++) {
                const ph_result_child *c = ph_result_child_at(result, i);
                json_object *e = json_object_new_object();
                json_add_string(e, "id", c->id);
                json_object_object_add(e, "instances", json_instances(c->instances, c->n_instances));
                json_object_array_add(a, e);
        }
        json_object_object_add(o, "started", a);
        json_object_object_add(o, "errors", json_result_errors(result));
        json_object_object_add(o, "rollback", json_object_new_boolean(ph_result_rollback(result)));
        return o;
}

json_object *json_stop_result(const ph_result *result) {
        json_object *o = json_object_new_object();

        if (!o)
                return NULL;
        json_add_string(o, "status", ph_result_status(result) == PH_STATUS_OK ? "ok" : "error");
        json_object *a = json_object_new_array();
        for (size_t i = 0; a && i < ph_result_n_children(result); i++) {
                const ph_result_child *c = ph_result_child_at(result, i);
                json_object *e = json_object_new_object();
                json_add_string(e, "id", c->id);
                json_object *nodes = json_object_new_array();
                for (size_t k = 0; k < c->n_instances; k++)
                        json_object_array_add(nodes, json_object_new_string(c->instances[k].node ?: ""));
                json_object_object_add(e, "nodes", nodes);
                json_object_array_add(a, e);
        }
        json_object_object_add(o, "stopped", a);
        json_object_object_add(o, "errors", json_result_errors(result));
        return o;
}

json_object *json_child_states(const ph_child_state *states, size_t n) {
        json_object *a = json_object_new_array();

        for (size_t i = 0; a && i < n; i++) {
                json_object *o = json_object_new_object();
                json_add_string(o, "id", states[i].id);
                json_add_int(o, "pid", states[i].pid);
                json_add_string(o, "state", states[i].state);
                json_add_int(o, "restarts", states[i].restarts);
                json_add_string(o, "last_exit", states[i].last_exit);
                json_add_string(o, "failure", states[i].failure);
                json_object_array_add(a, o);
        }
        return a;
}

json_object *json_child_list(ph_hub *hub, const ph_child_list *list) {
        json_object *a = json_object_new_array();

        for (size_t i = 0; a && i < ph_child_list_n(list); i++) {
                const ph_result_child *c = ph_child_list_at(list, i);
                json_object *o = json_object_new_object();
                json_add_string(o, "id", c->id);
                json_object_object_add(o, "instances", json_instances(c->instances, c->n_instances));
                ph_child_info *info = NULL;
                if (hub && ph_child_lookup(hub, c->id, &info) >= 0) {
                        json_add_string(o, "tag", info->tag);
                        ph_child_info_free(info);
                } else
                        json_add_string(o, "tag", NULL);
                json_object_array_add(a, o);
        }
        return a;
}

json_object *json_hook_event(const ph_hook_event *e) {
        json_object *o = json_object_new_object();
        struct timespec ts;

        if (!o)
                return NULL;
        json_add_string(o, "key", ph_hook_key_to_string(e->key));
        json_add_string(o, "hub", e->hub_id);
        if (e->node)
                json_add_string(o, "node", e->node);
        if (e->child_id)
                json_add_string(o, "child_id", e->child_id);
        if (e->n_instances > 0 || e->key == PH_HOOK_REGISTRY_PID_INSERT || e->key == PH_HOOK_CHILD_PROCESS_PID_UPDATE)
                json_object_object_add(o, "instances", json_instances(e->instances, e->n_instances));
        if (e->n_children > 0 || e->key == PH_HOOK_PRE_CHILDREN_START || e->key == PH_HOOK_POST_CHILDREN_START ||
            e->key == PH_HOOK_PROCESS_STARTUPS) {
                json_object *a = json_object_new_array();
                for (size_t i = 0; a && i < e->n_children; i++) {
                        const ph_hook_child *c = &e->children[i];
                        json_object *x = json_object_new_object();
                        json_add_string(x, "id", c->id);
                        if (c->n_instances > 0 || e->key != PH_HOOK_PRE_CHILDREN_START)
                                json_object_object_add(x, "instances", json_instances(c->instances, c->n_instances));
                        if (c->error != 0)
                                json_add_int(x, "error", c->error < 0 ? -c->error : c->error);
                        if (c->reason)
                                json_add_string(x, "reason", c->reason);
                        json_object_array_add(a, x);
                }
                json_object_object_add(o, "children", a);
        }
        if (e->key == PH_HOOK_PRIORITY_STATE_UPDATED)
                json_add_int(o, "priority", e->priority);
        if (e->reason)
                json_add_string(o, "reason", e->reason);
        if (e->key == PH_HOOK_CHILD_DATA_ALTER && e->spec)
                json_object_object_add(o, "spec", json_spec(e->spec));
        if (e->key == PH_HOOK_CHILD_DATA_ALTER && e->metadata) {
                json_object *m = json_object_new_object();
                json_add_string(m, "tag", e->metadata->tag);
                json_object *v = json_object_new_object();
                for (size_t i = 0; v && i < e->metadata->n_values; i++)
                        json_add_string(v, e->metadata->values[i].key, e->metadata->values[i].value);
                json_object_object_add(m, "values", v);
                json_object_object_add(o, "metadata", m);
        }
        (void) clock_gettime(CLOCK_REALTIME, &ts);
        json_add_int(o, "time_us", (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
        return o;
}

json_object *json_result(const ph_result *result) {
        return ph_result_kind_of(result) == PH_RESULT_START ? json_start_result(result) : json_stop_result(result);
}

json_object *json_hub_status(const ph_hub_status *s) {
        json_object *o = json_object_new_object();

        if (!o)
                return NULL;
        json_add_string(o, "hub", s->hub_id);
        json_add_string(o, "node", s->node);
        json_object_object_add(o, "alive", json_object_new_boolean(s->alive));
        json_object_object_add(o, "locked", json_object_new_boolean(s->locked));
        json_object_object_add(o, "partitioned", json_object_new_boolean(s->partitioned));
        json_object *nodes = json_strv(s->nodes);
        json_object_object_add(o, "nodes", nodes ? nodes : json_object_new_array());
        json_object_object_add(o, "children", json_object_new_uint64(s->n_children));
        json_object_object_add(o, "failed", json_object_new_uint64(s->n_failed));
        if (s->kernel_bpf || s->kernel_netlink) {
                json_object *k = json_object_new_object();
                json_add_string(k, "bpf", s->kernel_bpf);
                json_add_string(k, "netlink", s->kernel_netlink);
                json_object_object_add(o, "kernel", k);
        }
        return o;
}
