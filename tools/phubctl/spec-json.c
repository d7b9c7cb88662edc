/* SPDX-License-Identifier: MIT */

/* start-many's input: one child spec per line, in the control protocol's
 * spec shape, into a ph_child_spec. Fields left out keep the library's
 * defaults (ph_child_spec_init()). */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phubctl.h"

__attribute__((format(printf, 2, 3))) static int fail(char **ret_error, const char *fmt, ...) {
        va_list ap;

        if (ret_error) {
                va_start(ap, fmt);
                if (vasprintf(ret_error, fmt, ap) < 0)
                        *ret_error = NULL;
                va_end(ap);
        }
        return -EINVAL;
}

static int get(json_object *j, const char *key, json_type type, json_object **ret, char **ret_error) {
        json_object *v;

        *ret = NULL;
        if (!json_object_object_get_ex(j, key, &v) || json_object_is_type(v, json_type_null))
                return 0;
        if (!json_object_is_type(v, type))
                return fail(ret_error, "field %s has the wrong type", key);
        *ret = v;
        return 0;
}

static int get_string(json_object *j, const char *key, const char **ret, char **ret_error) {
        json_object *v;
        int r = get(j, key, json_type_string, &v, ret_error);

        if (r >= 0 && v)
                *ret = json_object_get_string(v);
        return r;
}

static int get_u64(json_object *j, const char *key, uint64_t *ret, char **ret_error) {
        json_object *v;
        int r = get(j, key, json_type_int, &v, ret_error);

        if (r >= 0 && v) {
                if (json_object_get_int64(v) < 0)
                        return fail(ret_error, "field %s must not be negative", key);
                *ret = json_object_get_uint64(v);
        }
        return r;
}

static int get_limit(json_object *limits, const char *key, uint64_t *ret, char **ret_error) {
        json_object *v;

        if (!limits || !json_object_object_get_ex(limits, key, &v) || json_object_is_type(v, json_type_null))
                return 0;
        if (json_object_is_type(v, json_type_string)) {
                if (parse_size(json_object_get_string(v), ret) < 0)
                        return fail(ret_error, "limit %s is not a size (64M, max, ...)", key);
                return 0;
        }
        return get_u64(limits, key, ret, ret_error);
}

static int get_enum(json_object *j, const char *key, const char *const *names, size_t n, int *ret, char **ret_error) {
        const char *s = NULL;
        int r = get_string(j, key, &s, ret_error);

        if (r < 0 || !s)
                return r;
        for (size_t i = 0; i < n; i++)
                if (strcmp(names[i], s) == 0) {
                        *ret = (int) i;
                        return 0;
                }
        return fail(ret_error, "field %s has an unknown value", key);
}

static int strv_into(json_object *a, const char **out, size_t *pos, char **ret_error, const char *key) {
        for (size_t i = 0; i < json_object_array_length(a); i++) {
                json_object *s = json_object_array_get_idx(a, i);
                if (!json_object_is_type(s, json_type_string))
                        return fail(ret_error, "field %s must hold strings", key);
                out[(*pos)++] = json_object_get_string(s);
        }
        out[(*pos)++] = NULL;
        return 0;
}

int spec_from_json(json_object *j, ph_child_spec *spec, const char ***ret_argv_storage, char **ret_error) {
        static const char *const restarts[] = { "permanent", "transient", "temporary" };
        static const char *const readies[] = { "exec", "notify" };
        static const char *const outputs[] = { "inherit", "null", "file", "journal" };
        json_object *argv = NULL, *env = NULL, *limits = NULL;
        uint64_t burst;
        int e, r;

        if (!json_object_is_type(j, json_type_object))
                return fail(ret_error, "a spec must be a JSON object");
        ph_child_spec_init(spec);
        if ((r = get_string(j, "id", &spec->id, ret_error)) < 0 ||
            (r = get(j, "argv", json_type_array, &argv, ret_error)) < 0 ||
            (r = get(j, "env", json_type_array, &env, ret_error)) < 0 ||
            (r = get_string(j, "cwd", &spec->cwd, ret_error)) < 0 ||
            (r = get_string(j, "user", &spec->user, ret_error)) < 0 ||
            (r = get_string(j, "group", &spec->group, ret_error)) < 0 ||
            (r = get_string(j, "stdout_path", &spec->stdout_path, ret_error)) < 0 ||
            (r = get_string(j, "stderr_path", &spec->stderr_path, ret_error)) < 0 ||
            (r = get_u64(j, "ready_timeout_ms", &spec->ready_timeout_ms, ret_error)) < 0 ||
            (r = get_u64(j, "shutdown_timeout_ms", &spec->shutdown_timeout_ms, ret_error)) < 0 ||
            (r = get_u64(j, "restart_interval_ms", &spec->restart_interval_ms, ret_error)) < 0 ||
            (r = get_u64(j, "restart_delay_ms", &spec->restart_delay_ms, ret_error)) < 0 ||
            (r = get_u64(j, "restart_delay_max_ms", &spec->restart_delay_max_ms, ret_error)) < 0 ||
            (r = get(j, "limits", json_type_object, &limits, ret_error)) < 0 ||
            (r = get_limit(limits, "memory_max", &spec->limits.memory_max, ret_error)) < 0 ||
            (r = get_limit(limits, "pids_max", &spec->limits.pids_max, ret_error)) < 0 ||
            (r = get_limit(limits, "cpu_weight", &spec->limits.cpu_weight, ret_error)) < 0 ||
            (r = get_limit(limits, "io_weight", &spec->limits.io_weight, ret_error)) < 0)
                return r;
        if (!spec->id)
                return fail(ret_error, "a spec needs an id");
        if (!argv || json_object_array_length(argv) == 0)
                return fail(ret_error, "child %s: argv needs at least the program", spec->id);
        burst = spec->restart_burst;
        r = get_u64(j, "restart_burst", &burst, ret_error);
        if (r < 0)
                return r;
        spec->restart_burst = (unsigned) burst;
        e = (int) spec->restart;
        if ((r = get_enum(j, "restart", restarts, 3, &e, ret_error)) < 0)
                return r;
        spec->restart = (ph_restart) e;
        e = (int) spec->ready;
        if ((r = get_enum(j, "ready", readies, 2, &e, ret_error)) < 0)
                return r;
        spec->ready = (ph_ready) e;
        e = (int) spec->stdout_output;
        if ((r = get_enum(j, "stdout", outputs, 4, &e, ret_error)) < 0)
                return r;
        spec->stdout_output = (ph_output) e;
        e = (int) spec->stderr_output;
        if ((r = get_enum(j, "stderr", outputs, 4, &e, ret_error)) < 0)
                return r;
        spec->stderr_output = (ph_output) e;

        /* argv and env in one block: [argv..., NULL, env..., NULL]. */
        size_t n = json_object_array_length(argv) + 1 + (env ? json_object_array_length(env) + 1 : 0), pos = 0;
        const char **storage = calloc(n, sizeof(char *));
        if (!storage)
                return -ENOMEM;
        r = strv_into(argv, storage, &pos, ret_error, "argv");
        if (r >= 0 && env)
                r = strv_into(env, storage, &pos, ret_error, "env");
        if (r < 0) {
                free(storage);
                return r;
        }
        spec->argv = storage;
        spec->env = env ? storage + json_object_array_length(argv) + 1 : NULL;
        *ret_argv_storage = storage;
        return 0;
}
