/* SPDX-License-Identifier: MIT */

/* The library's specs and metadata as the protocol's request shapes. Every
 * field is sent, defaults included: the daemon then starts exactly the
 * spec the caller built, whatever its own defaults are. */

#include <string.h>

#include "client.h"
#include "hub-internal.h"
#include "macros.h"

static json_object *strv_to_json(const char *const *l) {
        json_object *a;

        if (!l)
                return NULL; /* JSON null */
        a = json_object_new_array();
        if (!a)
                return NULL;
        for (size_t i = 0; l[i]; i++)
                json_object_array_add(a, json_object_new_string(l[i]));
        return a;
}

static json_object *string_or_null(const char *s) {
        return s ? json_object_new_string(s) : NULL;
}

static json_object *limit_to_json(uint64_t v) {
        return v == PH_LIMIT_MAX ? json_object_new_string("max") : json_object_new_uint64(v);
}

int client_encode_spec(const ph_child_spec *p, json_object **ret) {
        json_object *o, *limits;

        assert(p);
        assert(ret);

        o = json_object_new_object();
        limits = json_object_new_object();
        if (!o || !limits) {
                json_object_put(o);
                json_object_put(limits);
                return -ENOMEM;
        }
        json_object_object_add(o, "id", string_or_null(p->id));
        json_object_object_add(o, "argv", strv_to_json(p->argv));
        json_object_object_add(o, "env", strv_to_json(p->env));
        json_object_object_add(o, "cwd", string_or_null(p->cwd));
        json_object_object_add(o, "user", string_or_null(p->user));
        json_object_object_add(o, "group", string_or_null(p->group));
        json_object_object_add(o, "restart", string_or_null(child_restart_to_string((child_restart) p->restart)));
        json_object_object_add(o, "ready", string_or_null(child_ready_to_string((child_ready) p->ready)));
        json_object_object_add(o, "ready_timeout_ms", json_object_new_uint64(p->ready_timeout_ms));
        json_object_object_add(o, "shutdown_timeout_ms", json_object_new_uint64(p->shutdown_timeout_ms));
        json_object_object_add(o, "restart_burst", json_object_new_uint64(p->restart_burst));
        json_object_object_add(o, "restart_interval_ms", json_object_new_uint64(p->restart_interval_ms));
        json_object_object_add(o, "restart_delay_ms", json_object_new_uint64(p->restart_delay_ms));
        json_object_object_add(o, "restart_delay_max_ms", json_object_new_uint64(p->restart_delay_max_ms));
        /* 0 is "not set": left out, as the daemon's default. */
        if (p->limits.memory_max)
                json_object_object_add(limits, "memory_max", limit_to_json(p->limits.memory_max));
        if (p->limits.pids_max)
                json_object_object_add(limits, "pids_max", limit_to_json(p->limits.pids_max));
        if (p->limits.cpu_weight)
                json_object_object_add(limits, "cpu_weight", json_object_new_uint64(p->limits.cpu_weight));
        if (p->limits.io_weight)
                json_object_object_add(limits, "io_weight", json_object_new_uint64(p->limits.io_weight));
        json_object_object_add(o, "limits", limits);
        json_object_object_add(o, "stdout",
                               string_or_null(child_output_kind_to_string((child_output_kind) p->stdout_output)));
        json_object_object_add(o, "stdout_path", string_or_null(p->stdout_path));
        json_object_object_add(o, "stderr",
                               string_or_null(child_output_kind_to_string((child_output_kind) p->stderr_output)));
        json_object_object_add(o, "stderr_path", string_or_null(p->stderr_path));
        *ret = o;
        return 0;
}

int client_encode_metadata(const ph_metadata *md, json_object **ret) {
        json_object *o, *values;

        assert(md);
        assert(ret);

        o = json_object_new_object();
        values = json_object_new_object();
        if (!o || !values) {
                json_object_put(o);
                json_object_put(values);
                return -ENOMEM;
        }
        json_object_object_add(o, "tag", string_or_null(md->tag));
        for (size_t i = 0; i < md->n_values; i++) {
                if (!md->values || !md->values[i].key || !md->values[i].value) {
                        json_object_put(o);
                        json_object_put(values);
                        return -EINVAL;
                }
                json_object_object_add(values, md->values[i].key, json_object_new_string(md->values[i].value));
        }
        json_object_object_add(o, "values", values);
        *ret = o;
        return 0;
}
