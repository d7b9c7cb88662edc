/* SPDX-License-Identifier: MIT */

/* Request arguments of docs/control-protocol.md back to library values
 * (the encoders are tools/protocol/, shared with phubctl). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon-config.h"
#include "json-shapes.h"
#include "string-util.h"

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
            (r = get_choice(o, "restart", where, protocol_restart_names, _PH_RESTART_MAX, &restart, ret_error_text)) < 0 ||
            (r = get_choice(o, "ready", where, protocol_ready_names, _PH_READY_MAX, &ready, ret_error_text)) < 0 ||
            (r = json_get_u64(o, "ready_timeout_ms", where, &s.ready_timeout_ms, ret_error_text)) < 0 ||
            (r = json_get_u64(o, "shutdown_timeout_ms", where, &s.shutdown_timeout_ms, ret_error_text)) < 0 ||
            (r = json_get_u64(o, "restart_burst", where, &burst, ret_error_text)) < 0 ||
            (r = json_get_u64(o, "restart_interval_ms", where, &s.restart_interval_ms, ret_error_text)) < 0 ||
            (r = json_get_u64(o, "restart_delay_ms", where, &s.restart_delay_ms, ret_error_text)) < 0 ||
            (r = json_get_u64(o, "restart_delay_max_ms", where, &s.restart_delay_max_ms, ret_error_text)) < 0 ||
            (r = get_choice(o, "stdout", where, protocol_output_names, _PH_OUTPUT_MAX, &out, ret_error_text)) < 0 ||
            (r = json_get_string(o, "stdout_path", where, &s.stdout_path, ret_error_text)) < 0 ||
            (r = get_choice(o, "stderr", where, protocol_output_names, _PH_OUTPUT_MAX, &err, ret_error_text)) < 0 ||
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
