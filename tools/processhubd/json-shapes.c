/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon-config.h"
#include "json-shapes.h"
#include "string-util.h"

static const char *const restart_names[] = { "permanent", "transient", "temporary" };
static const char *const ready_names[] = { "exec", "notify" };
static const char *const output_names[] = { "inherit", "null", "file", "journal" };

void json_add_string(json_object *o, const char *key, const char *value) {
        json_object_object_add(o, key, value ? json_object_new_string(value) : NULL);
}

void json_add_int(json_object *o, const char *key, int64_t value) {
        json_object_object_add(o, key, json_object_new_int64(value));
}

static json_object *json_strv(const char *const *l) {
        if (!l)
                return NULL;
        json_object *a = json_object_new_array();
        for (; a && *l; l++)
                json_object_array_add(a, json_object_new_string(*l));
        return a;
}

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

/* 0 is "not set" (null), PH_LIMIT_MAX is "max". */
static json_object *json_limit(uint64_t v) {
        if (v == 0)
                return NULL;
        if (v == PH_LIMIT_MAX)
                return json_object_new_string("max");
        return json_object_new_uint64(v);
}

static const char *name_of(const char *const *names, size_t n, int i) {
        return i >= 0 && (size_t) i < n ? names[i] : NULL;
}

json_object *json_spec(const ph_child_spec *s) {
        json_object *o = json_object_new_object();

        if (!o)
                return NULL;
        json_add_string(o, "id", s->id);
        json_object_object_add(o, "argv", json_strv(s->argv));
        json_object_object_add(o, "env", json_strv(s->env));
        json_add_string(o, "cwd", s->cwd);
        json_add_string(o, "user", s->user);
        json_add_string(o, "group", s->group);
        json_add_string(o, "restart", name_of(restart_names, ELEMENTSOF(restart_names), s->restart));
        json_add_string(o, "ready", name_of(ready_names, ELEMENTSOF(ready_names), s->ready));
        json_object_object_add(o, "ready_timeout_ms", json_object_new_uint64(s->ready_timeout_ms));
        json_object_object_add(o, "shutdown_timeout_ms", json_object_new_uint64(s->shutdown_timeout_ms));
        json_object_object_add(o, "restart_burst", json_object_new_uint64(s->restart_burst));
        json_object_object_add(o, "restart_interval_ms", json_object_new_uint64(s->restart_interval_ms));
        json_object_object_add(o, "restart_delay_ms", json_object_new_uint64(s->restart_delay_ms));
        json_object_object_add(o, "restart_delay_max_ms", json_object_new_uint64(s->restart_delay_max_ms));
        json_object *l = json_object_new_object();
        json_object_object_add(l, "memory_max", json_limit(s->limits.memory_max));
        json_object_object_add(l, "pids_max", json_limit(s->limits.pids_max));
        json_object_object_add(l, "cpu_weight", s->limits.cpu_weight ? json_object_new_uint64(s->limits.cpu_weight) : NULL);
        json_object_object_add(l, "io_weight", s->limits.io_weight ? json_object_new_uint64(s->limits.io_weight) : NULL);
        json_object_object_add(o, "limits", l);
        json_add_string(o, "stdout", name_of(output_names, ELEMENTSOF(output_names), s->stdout_output));
        json_add_string(o, "stdout_path", s->stdout_path);
        json_add_string(o, "stderr", name_of(output_names, ELEMENTSOF(output_names), s->stderr_output));
        json_add_string(o, "stderr_path", s->stderr_path);
        return o;
}

json_object *json_info(const ph_child_info *info, const char *id, bool with_metadata) {
        json_object *o = json_object_new_object();

        if (!o)
                return NULL;
        json_add_string(o, "id", id ?: info->spec.id);
        json_object_object_add(o, "instances", json_instances(info->instances, info->n_instances));
        json_add_string(o, "tag", info->tag);
        json_object_object_add(o, "spec", json_spec(&info->spec));
        if (with_metadata) {
                json_object *m = json_object_new_object();
                for (size_t i = 0; m && i < info->n_metadata; i++)
                        json_add_string(m, info->metadata[i].key, info->metadata[i].value);
                json_object_object_add(o, "metadata", m);
        }
        return o;
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

/* ---- Decoding --------------------------------------------------------- */

void decode_arena_done(decode_arena *a) {
        for (size_t i = 0; i < a->n_blocks; i++)
                free(a->blocks[i]);
        a->blocks = mfree(a->blocks);
        a->n_blocks = a->n_allocated = 0;
}

static void *arena_alloc(decode_arena *a, size_t size) {
        if (a->n_blocks == a->n_allocated) {
                size_t n = a->n_allocated ? a->n_allocated * 2 : 64;
                void **l = realloc(a->blocks, n * sizeof(void *));
                if (!l)
                        return NULL;
                a->blocks = l;
                a->n_allocated = n;
        }
        void *p = calloc(1, size ?: 1);
        if (!p)
                return NULL;
        a->blocks[a->n_blocks++] = p;
        return p;
}

_printf_(2, 3) static int field_error(char **ret_error_text, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        if (ret_error_text)
                free_and_vprintf(ret_error_text, fmt, ap);
        va_end(ap);
        return -EINVAL;
}

static json_object *field(json_object *o, const char *key) {
        json_object *v = NULL;

        if (!o || !json_object_object_get_ex(o, key, &v))
                return NULL;
        return v; /* NULL also for an explicit null: "left out" */
}

int json_get_bool(json_object *o, const char *key, const char *where, bool *ret, char **ret_error_text) {
        json_object *v = field(o, key);

        if (!v)
                return 0;
        if (!json_object_is_type(v, json_type_boolean))
                return field_error(ret_error_text, "%s.%s: not a boolean", where, key);
        *ret = json_object_get_boolean(v);
        return 0;
}

int json_get_u64(json_object *o, const char *key, const char *where, uint64_t *ret, char **ret_error_text) {
        json_object *v = field(o, key);

        if (!v)
                return 0;
        if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0)
                return field_error(ret_error_text, "%s.%s: not a non-negative integer", where, key);
        *ret = json_object_get_uint64(v);
        return 0;
}

int json_get_string(json_object *o, const char *key, const char *where, const char **ret, char **ret_error_text) {
        json_object *v = field(o, key);

        if (!v)
                return 0;
        if (!json_object_is_type(v, json_type_string))
                return field_error(ret_error_text, "%s.%s: not a string", where, key);
        *ret = json_object_get_string(v);
        return 0;
}

int json_get_strv(json_object *o, const char *key, const char *where, decode_arena *arena, const char ***ret, size_t *ret_n,
                  char **ret_error_text) {
        json_object *v = field(o, key);

        if (!v)
                return 0;
        if (!json_object_is_type(v, json_type_array))
                return field_error(ret_error_text, "%s.%s: not an array of strings", where, key);
        size_t n = json_object_array_length(v);
        const char **l = arena_alloc(arena, (n + 1) * sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                json_object *s = json_object_array_get_idx(v, i);
                if (!json_object_is_type(s, json_type_string))
                        return field_error(ret_error_text, "%s.%s[%zu]: not a string", where, key, i);
                l[i] = json_object_get_string(s);
        }
        *ret = l;
        if (ret_n)
                *ret_n = n;
        return 0;
}

static int get_choice(json_object *o, const char *key, const char *where, const char *const *names, size_t n, int *ret,
                      char **ret_error_text) {
        const char *s = NULL;
        int r;

        r = json_get_string(o, key, where, &s, ret_error_text);
        if (r < 0 || !s)
                return r;
        for (size_t i = 0; i < n; i++)
                if (strcmp(names[i], s) == 0) {
                        *ret = (int) i;
                        return 0;
                }
        char known[128] = "";
        for (size_t i = 0; i < n; i++) {
                if (i)
                        strcat(known, ", ");
                strcat(known, names[i]);
        }
        return field_error(ret_error_text, "%s.%s: not one of %s: '%s'", where, key, known, s);
}

static int get_limit(json_object *o, const char *key, const char *where, bool size, uint64_t *ret, char **ret_error_text) {
        json_object *v = field(o, key);

        if (!v)
                return 0;
        if (json_object_is_type(v, json_type_int) && json_object_get_int64(v) >= 0) {
                *ret = json_object_get_uint64(v);
                return 0;
        }
        if (size && json_object_is_type(v, json_type_string) && parse_size(json_object_get_string(v), ret) >= 0)
                return 0;
        return field_error(ret_error_text, "%s.%s: not %s", where, key, size ? "a number, \"max\" or a size such as \"64M\"" : "a number");
}

int json_decode_spec(json_object *o, const char *where, decode_arena *arena, ph_child_spec *ret, char **ret_error_text) {
        ph_child_spec s;
        uint64_t burst = 0;
        int restart = -1, ready = -1, out = -1, err = -1;
        int r;

        if (!o || !json_object_is_type(o, json_type_object))
                return field_error(ret_error_text, "%s: not an object", where);
        ph_child_spec_init(&s);
        burst = s.restart_burst;
        if ((r = json_get_string(o, "id", where, &s.id, ret_error_text)) < 0 ||
            (r = json_get_strv(o, "argv", where, arena, (const char ***) &s.argv, NULL, ret_error_text)) < 0 ||
            (r = json_get_strv(o, "env", where, arena, (const char ***) &s.env, NULL, ret_error_text)) < 0 ||
            (r = json_get_string(o, "cwd", where, &s.cwd, ret_error_text)) < 0 ||
            (r = json_get_string(o, "user", where, &s.user, ret_error_text)) < 0 ||
            (r = json_get_string(o, "group", where, &s.group, ret_error_text)) < 0 ||
            (r = get_choice(o, "restart", where, restart_names, ELEMENTSOF(restart_names), &restart, ret_error_text)) < 0 ||
            (r = get_choice(o, "ready", where, ready_names, ELEMENTSOF(ready_names), &ready, ret_error_text)) < 0 ||
            (r = json_get_u64(o, "ready_timeout_ms", where, &s.ready_timeout_ms, ret_error_text)) < 0 ||
            (r = json_get_u64(o, "shutdown_timeout_ms", where, &s.shutdown_timeout_ms, ret_error_text)) < 0 ||
            (r = json_get_u64(o, "restart_burst", where, &burst, ret_error_text)) < 0 ||
            (r = json_get_u64(o, "restart_interval_ms", where, &s.restart_interval_ms, ret_error_text)) < 0 ||
            (r = json_get_u64(o, "restart_delay_ms", where, &s.restart_delay_ms, ret_error_text)) < 0 ||
            (r = json_get_u64(o, "restart_delay_max_ms", where, &s.restart_delay_max_ms, ret_error_text)) < 0 ||
            (r = get_choice(o, "stdout", where, output_names, ELEMENTSOF(output_names), &out, ret_error_text)) < 0 ||
            (r = json_get_string(o, "stdout_path", where, &s.stdout_path, ret_error_text)) < 0 ||
            (r = get_choice(o, "stderr", where, output_names, ELEMENTSOF(output_names), &err, ret_error_text)) < 0 ||
            (r = json_get_string(o, "stderr_path", where, &s.stderr_path, ret_error_text)) < 0)
                return r;
        if (!s.id)
                return field_error(ret_error_text, "%s.id: missing", where);
        if (!s.argv)
                return field_error(ret_error_text, "%s.argv: missing", where);
        if (burst > UINT32_MAX)
                return field_error(ret_error_text, "%s.restart_burst: out of range", where);
        s.restart_burst = (unsigned) burst;
        json_object *l = field(o, "limits");
        if (l) {
                char lw[256];
                snprintf(lw, sizeof lw, "%s.limits", where);
                if (!json_object_is_type(l, json_type_object))
                        return field_error(ret_error_text, "%s: not an object", lw);
                if ((r = get_limit(l, "memory_max", lw, true, &s.limits.memory_max, ret_error_text)) < 0 ||
                    (r = get_limit(l, "pids_max", lw, true, &s.limits.pids_max, ret_error_text)) < 0 ||
                    (r = get_limit(l, "cpu_weight", lw, false, &s.limits.cpu_weight, ret_error_text)) < 0 ||
                    (r = get_limit(l, "io_weight", lw, false, &s.limits.io_weight, ret_error_text)) < 0)
                        return r;
        }
        if (restart >= 0)
                s.restart = (ph_restart) restart;
        if (ready >= 0)
                s.ready = (ph_ready) ready;
        if (out >= 0)
                s.stdout_output = (ph_output) out;
        if (err >= 0)
                s.stderr_output = (ph_output) err;
        *ret = s;
        return 0;
}

int json_decode_metadata(json_object *o, const char *where, decode_arena *arena, ph_metadata *ret, char **ret_error_text) {
        ph_metadata m = {};
        int r;

        if (!json_object_is_type(o, json_type_object))
                return field_error(ret_error_text, "%s: not an object", where);
        r = json_get_string(o, "tag", where, &m.tag, ret_error_text);
        if (r < 0)
                return r;
        json_object *v = field(o, "values");
        if (v) {
                if (!json_object_is_type(v, json_type_object))
                        return field_error(ret_error_text, "%s.values: not an object", where);
                size_t n = (size_t) json_object_object_length(v), i = 0;
                ph_kv *kv = arena_alloc(arena, (n + 1) * sizeof(ph_kv));
                if (!kv)
                        return -ENOMEM;
                json_object_object_foreach(v, key, val) {
                        if (!json_object_is_type(val, json_type_string))
                                return field_error(ret_error_text, "%s.values.%s: not a string", where, key);
                        kv[i++] = (ph_kv) { .key = key, .value = json_object_get_string(val) };
                }
                m.values = kv;
                m.n_values = i;
        }
        *ret = m;
        return 0;
}
