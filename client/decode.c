/* SPDX-License-Identifier: MIT */

/* The daemon's replies into the library's own types. Children and infos
 * become registry entries built the registry's way (registry-entry.c), and
 * the public views over them come from hub-queries.c's builders, so a
 * ph_child_info or ph_child_list from a daemon is freed exactly like an
 * embedded one. Anything that is not the protocol's shape is -EBADMSG:
 * a client must not guess at a reply it does not understand. */

#include <string.h>

#include "client.h"
#include "hub-internal.h"
#include "macros.h"
#include "registry-internal.h"
#include "result.h"

/* ---- Fields ---- */

static int field(json_object *o, const char *key, bool optional, json_type type, json_object **ret) {
        json_object *v = NULL;

        if (!o || !json_object_is_type(o, json_type_object))
                return -EBADMSG;
        if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null)) {
                if (!optional)
                        return -EBADMSG;
                *ret = NULL;
                return 0;
        }
        if (!json_object_is_type(v, type))
                return -EBADMSG;
        *ret = v;
        return 0;
}

int client_json_string(json_object *o, const char *key, bool optional, const char **ret) {
        json_object *v;
        int r;

        r = field(o, key, optional, json_type_string, &v);
        if (r < 0)
                return r;
        *ret = v ? json_object_get_string(v) : NULL;
        return 0;
}

int client_json_u64(json_object *o, const char *key, bool optional, uint64_t *ret) {
        json_object *v;
        int r;

        r = field(o, key, optional, json_type_int, &v);
        if (r < 0)
                return r;
        if (v) {
                /* json-c keeps negative numbers as int64. */
                if (json_object_get_int64(v) < 0)
                        return -EBADMSG;
                *ret = json_object_get_uint64(v);
        }
        return 0;
}

int client_json_bool(json_object *o, const char *key, bool optional, bool *ret) {
        json_object *v;
        int r;

        r = field(o, key, optional, json_type_boolean, &v);
        if (r < 0)
                return r;
        if (v)
                *ret = json_object_get_boolean(v);
        return 0;
}

static int json_pid(json_object *o, const char *key, pid_t *ret) {
        uint64_t pid = 0;
        int r;

        r = client_json_u64(o, key, false, &pid);
        if (r < 0)
                return r;
        if (pid > INT32_MAX)
                return -EBADMSG;
        *ret = (pid_t) pid;
        return 0;
}

int client_json_array(json_object *o, const char *key, bool optional, json_object **ret) {
        return field(o, key, optional, json_type_array, ret);
}

/* ---- Instances ---- */

/* Borrowed: node strings point into j. */
int client_instances_view(json_object *j, registry_instance **ret, size_t *ret_n) {
        size_t n;

        if (!j || !json_object_is_type(j, json_type_array))
                return -EBADMSG;
        n = json_object_array_length(j);
        _cleanup_free_ registry_instance *l = calloc(n ?: 1, sizeof(registry_instance));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(j, i);
                const char *node;
                int r;

                r = client_json_string(e, "node", false, &node);
                if (r < 0)
                        return r;
                r = json_pid(e, "pid", &l[i].pid);
                if (r < 0)
                        return r;
                l[i].node = (char *) node;
        }
        *ret = TAKE_PTR(l);
        *ret_n = n;
        return 0;
}

int client_decode_instances(json_object *j, ph_instance **ret, size_t *ret_n) {
        _cleanup_free_ registry_instance *view = NULL;
        size_t n = 0;
        int r;

        r = client_instances_view(j, &view, &n);
        if (r < 0)
                return r;
        ph_instance *l = calloc(n ?: 1, sizeof(ph_instance));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                l[i].pid = view[i].pid;
                l[i].node = strdup(view[i].node);
                if (!l[i].node) {
                        ph_instances_free(l, i);
                        return -ENOMEM;
                }
        }
        *ret = l;
        *ret_n = n;
        return 0;
}

/* ---- Specs ---- */

/* A borrowed NULL-terminated array over a JSON array of strings. */
static int strv_view(json_object *j, char ***ret) {
        size_t n;

        if (!j) {
                *ret = NULL;
                return 0;
        }
        if (!json_object_is_type(j, json_type_array))
                return -EBADMSG;
        n = json_object_array_length(j);
        _cleanup_free_ char **l = calloc(n + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                json_object *s = json_object_array_get_idx(j, i);
                if (!json_object_is_type(s, json_type_string))
                        return -EBADMSG;
                l[i] = (char *) json_object_get_string(s);
        }
        *ret = TAKE_PTR(l);
        return 0;
}

int client_decode_strv(json_object *j, char ***ret) {
        _cleanup_free_ char **view = NULL;
        int r;

        if (!j)
                return -EBADMSG;
        r = strv_view(j, &view);
        if (r < 0)
                return r;
        size_t n = 0;
        while (view[n])
                n++;
        _cleanup_strv_free_ char **l = calloc(n + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                l[i] = strdup(view[i]);
                if (!l[i])
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

/* A limit: a number, or "max" for unlimited. */
static int json_limit(json_object *o, const char *key, uint64_t *ret) {
        json_object *v;

        if (!o)
                return 0;
        if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
                return 0;
        if (json_object_is_type(v, json_type_string)) {
                if (strcmp(json_object_get_string(v), "max") != 0)
                        return -EBADMSG;
                *ret = PH_LIMIT_MAX;
                return 0;
        }
        return client_json_u64(o, key, false, ret);
}

static int json_ms(json_object *o, const char *key, uint64_t *usec) {
        uint64_t ms = *usec / USEC_PER_MSEC;
        int r;

        r = client_json_u64(o, key, true, &ms);
        if (r < 0)
                return r;
        *usec = ms_to_usec(ms);
        return 0;
}

static int json_enum(json_object *o, const char *key, int (*from_string)(const char *), int *v) {
        const char *s = NULL;
        int r;

        r = client_json_string(o, key, true, &s);
        if (r < 0)
                return r;
        if (!s)
                return 0;
        r = from_string(s);
        if (r < 0)
                return -EBADMSG;
        *v = r;
        return 0;
}

static int restart_from_string(const char *s) {
        return child_restart_from_string(s);
}
static int ready_from_string(const char *s) {
        return child_ready_from_string(s);
}
static int output_from_string(const char *s) {
        return child_output_kind_from_string(s);
}

/* The spec j describes, as a shared spec for the registry (a copy). A missing
 * spec (lists carry none) is a spec with only the id. */
static int spec_from_json(json_object *j, const char *id, child_spec **ret) {
        _cleanup_free_ char **argv = NULL, **env = NULL;
        json_object *a = NULL, *limits = NULL;
        const char *sid = NULL;
        child_spec_extra extra = {};
        child_spec view;
        int restart, ready, out, err;
        uint64_t burst, cpu_weight = 0, io_weight = 0;
        int r;

        child_spec_init(&view);
        view.id = (char *) id;
        view.extra = &extra; /* left out of the shared block when empty */
        if (j) {
                if (!json_object_is_type(j, json_type_object))
                        return -EBADMSG;
                r = client_json_string(j, "id", true, &sid);
                if (r < 0)
                        return r;
                if (sid && strcmp(sid, id) != 0)
                        return -EBADMSG;
                r = client_json_array(j, "argv", true, &a);
                if (r < 0)
                        return r;
                r = strv_view(a, &argv);
                if (r < 0)
                        return r;
                r = client_json_array(j, "env", true, &a);
                if (r < 0)
                        return r;
                r = strv_view(a, &env);
                if (r < 0)
                        return r;
                view.argv = argv;
                extra.env = env;
                r = client_json_string(j, "cwd", true, (const char **) &extra.cwd);
                if (r < 0)
                        return r;
                r = client_json_string(j, "user", true, (const char **) &extra.user);
                if (r < 0)
                        return r;
                r = client_json_string(j, "group", true, (const char **) &extra.group);
                if (r < 0)
                        return r;
                restart = view.restart;
                ready = view.ready;
                out = view.stdout_output;
                err = view.stderr_output;
                r = json_enum(j, "restart", restart_from_string, &restart);
                if (r < 0)
                        return r;
                r = json_enum(j, "ready", ready_from_string, &ready);
                if (r < 0)
                        return r;
                r = json_enum(j, "stdout", output_from_string, &out);
                if (r < 0)
                        return r;
                r = json_enum(j, "stderr", output_from_string, &err);
                if (r < 0)
                        return r;
                /* Values of their enums (json_enum() takes only those). */
                view.restart = restart;
                view.ready = ready;
                view.stdout_output = out;
                view.stderr_output = err;
                r = client_json_string(j, "stdout_path", true, (const char **) &extra.stdout_path);
                if (r < 0)
                        return r;
                r = client_json_string(j, "stderr_path", true, (const char **) &extra.stderr_path);
                if (r < 0)
                        return r;
                if ((r = json_ms(j, "ready_timeout_ms", &view.ready_timeout_usec)) < 0 ||
                    (r = json_ms(j, "shutdown_timeout_ms", &view.shutdown_timeout_usec)) < 0 ||
                    (r = json_ms(j, "restart_interval_ms", &view.restart_interval_usec)) < 0 ||
                    (r = json_ms(j, "restart_delay_ms", &view.restart_delay_usec)) < 0 ||
                    (r = json_ms(j, "restart_delay_max_ms", &view.restart_delay_max_usec)) < 0)
                        return r;
                burst = view.restart_burst;
                r = client_json_u64(j, "restart_burst", true, &burst);
                if (r < 0)
                        return r;
                if (burst > UINT32_MAX)
                        return -EBADMSG;
                view.restart_burst = (unsigned) burst;
                r = field(j, "limits", true, json_type_object, &limits);
                if (r < 0)
                        return r;
                if ((r = json_limit(limits, "memory_max", &view.limits.memory_max)) < 0 ||
                    (r = json_limit(limits, "pids_max", &view.limits.pids_max)) < 0 ||
                    (r = json_limit(limits, "cpu_weight", &cpu_weight)) < 0 ||
                    (r = json_limit(limits, "io_weight", &io_weight)) < 0)
                        return r;
                if (!cgroup_weight_fits(cpu_weight) || !cgroup_weight_fits(io_weight))
                        return -EBADMSG;
                view.limits.cpu_weight = (uint16_t) cpu_weight;
                view.limits.io_weight = (uint16_t) io_weight;
        }
        return child_spec_share(&view, ret);
}

/* ---- Children and infos as registry entries ---- */

static int meta_from_json(const char *tag, json_object *values, registry_meta **ret) {
        size_t n = 0;

        if (values) {
                if (!json_object_is_type(values, json_type_object))
                        return -EBADMSG;
                n = (size_t) json_object_object_length(values);
        }
        _cleanup_free_ registry_kv *kv = calloc(n ?: 1, sizeof(registry_kv));
        if (!kv)
                return -ENOMEM;
        size_t i = 0;
        if (values) {
                json_object_object_foreach(values, k, v) {
                        if (!json_object_is_type(v, json_type_string))
                                return -EBADMSG;
                        kv[i].key = k;
                        kv[i].value = (char *) json_object_get_string(v);
                        i++;
                }
        }
        return registry_meta_new(tag, kv, i, ret);
}

int client_decode_entry(json_object *j, registry_entry **ret) {
        _cleanup_free_ registry_instance *instances = NULL;
        child_spec *spec = NULL;
        registry_meta *meta = NULL;
        json_object *ji, *jspec, *jmeta;
        const char *id, *tag = NULL;
        size_t n = 0;
        int r;

        r = client_json_string(j, "id", false, &id);
        if (r < 0)
                return r;
        if (child_id_validate(id, NULL) < 0)
                return -EBADMSG;
        r = client_json_array(j, "instances", false, &ji);
        if (r < 0)
                return r;
        r = client_instances_view(ji, &instances, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++)
                if (!instances[i].node[0])
                        return -EBADMSG;
        r = client_json_string(j, "tag", true, &tag);
        if (r < 0)
                return r;
        r = field(j, "spec", true, json_type_object, &jspec);
        if (r < 0)
                return r;
        r = field(j, "metadata", true, json_type_object, &jmeta);
        if (r < 0)
                return r;

        r = spec_from_json(jspec, id, &spec);
        if (r < 0)
                return r;
        r = meta_from_json(tag, jmeta, &meta);
        if (r >= 0)
                r = registry_entry_build(id, spec, meta, instances, n, ret);
        /* The entry holds its own references. */
        child_spec_free(spec);
        registry_meta_unref(meta);
        return r;
}

int client_decode_info(json_object *j, ph_child_info **ret) {
        registry_entry *e = NULL;
        int r;

        r = client_decode_entry(j, &e);
        if (r < 0)
                return r;
        r = hub_child_info_new(e, ret);
        registry_entry_unref(e);
        return r;
}

static int entries_from_json(json_object *j, registry_entry ***ret, size_t *ret_n) {
        size_t n;
        int r;

        if (!j || !json_object_is_type(j, json_type_array))
                return -EBADMSG;
        n = json_object_array_length(j);
        registry_entry **l = calloc(n ?: 1, sizeof(registry_entry *));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                r = client_decode_entry(json_object_array_get_idx(j, i), &l[i]);
                if (r < 0) {
                        registry_entries_free(l, i);
                        return r;
                }
        }
        *ret = l;
        *ret_n = n;
        return 0;
}

int client_decode_child_list(json_object *j, ph_child_list **ret) {
        registry_entry **entries = NULL;
        size_t n = 0;
        int r;

        r = entries_from_json(j, &entries, &n);
        if (r < 0)
                return r;
        return hub_child_list_new(entries, n, ret);
}

int client_decode_infos(json_object *j, ph_child_info ***ret, size_t *ret_n) {
        registry_entry **entries = NULL;
        size_t n = 0;
        int r;

        r = entries_from_json(j, &entries, &n);
        if (r < 0)
                return r;
        ph_child_info **infos = calloc(n ?: 1, sizeof(ph_child_info *));
        if (!infos) {
                registry_entries_free(entries, n);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                r = hub_child_info_new(entries[i], &infos[i]);
                if (r < 0) {
                        registry_entries_free(entries, n);
                        ph_child_infos_free(infos, i);
                        return r;
                }
        }
        registry_entries_free(entries, n);
        *ret = infos;
        *ret_n = n;
        return 0;
}

/* ---- which_children ---- */

static int strdup_field(json_object *o, const char *key, bool optional, const char **ret) {
        const char *s = NULL;
        int r;

        r = client_json_string(o, key, optional, &s);
        if (r < 0)
                return r;
        if (!s) {
                *ret = NULL;
                return 0;
        }
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

int client_decode_states(json_object *j, ph_child_state **ret, size_t *ret_n) {
        size_t n;
        int r;

        if (!j || !json_object_is_type(j, json_type_array))
                return -EBADMSG;
        n = json_object_array_length(j);
        ph_child_state *l = calloc(n ?: 1, sizeof(ph_child_state));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(j, i);
                uint64_t restarts = 0;

                if ((r = strdup_field(e, "id", false, &l[i].id)) < 0 ||
                    (r = strdup_field(e, "last_exit", true, &l[i].last_exit)) < 0 ||
                    (r = strdup_field(e, "failure", true, &l[i].failure)) < 0 ||
                    (r = json_pid(e, "pid", &l[i].pid)) < 0 ||
                    (r = client_json_u64(e, "restarts", true, &restarts)) < 0)
                        goto fail;
                l[i].restarts = restarts > UINT32_MAX ? UINT32_MAX : (unsigned) restarts;
                /* state points at a static string, as local_states_copy()
                 * hands out: only the known states are accepted. */
                const char *state;
                static const char *const states[] = { "starting", "running", "restarting", "stopping", "failed" };
                r = client_json_string(e, "state", false, &state);
                if (r < 0)
                        goto fail;
                l[i].state = NULL;
                for (size_t k = 0; k < ELEMENTSOF(states); k++)
                        if (strcmp(states[k], state) == 0)
                                l[i].state = states[k];
                if (!l[i].state) {
                        r = -EBADMSG;
                        goto fail;
                }
        }
        *ret = l;
        *ret_n = n;
        return 0;
fail:
        ph_child_states_free(l, n);
        return r;
}

/* ---- Results ---- */

int client_decode_result(json_object *j, ph_result *res) {
        ph_result_kind kind = ph_result_kind_of(res);
        json_object *children, *errors;
        const char *status;
        bool rollback = false;
        int r;

        r = client_json_string(j, "status", false, &status);
        if (r < 0)
                return r;
        if (strcmp(status, "ok") != 0 && strcmp(status, "error") != 0)
                return -EBADMSG;
        r = client_json_array(j, kind == PH_RESULT_START ? "started" : "stopped", false, &children);
        if (r < 0)
                return r;
        r = client_json_array(j, "errors", false, &errors);
        if (r < 0)
                return r;
        r = client_json_bool(j, "rollback", true, &rollback);
        if (r < 0)
                return r;

        for (size_t i = 0; i < json_object_array_length(children); i++) {
                json_object *c = json_object_array_get_idx(children, i), *a;
                _cleanup_free_ registry_instance *instances = NULL;
                size_t n = 0;
                const char *id;

                r = client_json_string(c, "id", false, &id);
                if (r < 0)
                        return r;
                if (kind == PH_RESULT_START) {
                        r = client_json_array(c, "instances", false, &a);
                        if (r < 0)
                                return r;
                        r = client_instances_view(a, &instances, &n);
                        if (r < 0)
                                return r;
                } else {
                        /* Stopped children carry their nodes: instances
                         * with pid 0. */
                        _cleanup_free_ char **nodes = NULL;
                        r = client_json_array(c, "nodes", false, &a);
                        if (r < 0)
                                return r;
                        r = strv_view(a, &nodes);
                        if (r < 0)
                                return r;
                        while (nodes[n])
                                n++;
                        instances = calloc(n ?: 1, sizeof(registry_instance));
                        if (!instances)
                                return -ENOMEM;
                        for (size_t k = 0; k < n; k++)
                                instances[k].node = nodes[k];
                }
                r = result_add_child(res, id, (const ph_instance *) instances, n);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < json_object_array_length(errors); i++) {
                json_object *e = json_object_array_get_idx(errors, i);
                const char *id, *node, *reason;

                if ((r = client_json_string(e, "id", false, &id)) < 0 ||
                    (r = client_json_string(e, "node", true, &node)) < 0 ||
                    (r = client_json_string(e, "reason", false, &reason)) < 0)
                        return r;
                r = result_add_error(res, id, node, reason);
                if (r < 0)
                        return r;
        }
        /* The status is derived from the errors; a reply that says
         * otherwise contradicts itself. */
        if ((strcmp(status, "ok") == 0) != (ph_result_n_errors(res) == 0))
                return -EBADMSG;
        result_set_rollback(res, rollback);
        return 0;
}

/* ---- Status ---- */

typedef struct status_owned {
        ph_hub_status pub;
        char *hub_id, *node, *kernel_bpf, *kernel_netlink;
        char **nodes;
} status_owned;

ph_hub_status *client_status_new(const char *hub_id, const char *node, char **nodes) {
        status_owned *s = calloc(1, sizeof(*s));

        if (!s)
                return NULL;
        s->hub_id = strdup(hub_id);
        s->node = strdup(node);
        s->nodes = nodes;
        if (!s->hub_id || !s->node) {
                ph_hub_status_free(&s->pub);
                return NULL;
        }
        s->pub.hub_id = s->hub_id;
        s->pub.node = s->node;
        s->pub.nodes = (const char *const *) s->nodes;
        return &s->pub;
}

_public_ ph_hub_status *ph_hub_status_free(ph_hub_status *status) {
        if (!status)
                return NULL;
        status_owned *s = (status_owned *) status;
        free(s->hub_id);
        free(s->node);
        free(s->kernel_bpf);
        free(s->kernel_netlink);
        strv_free(s->nodes);
        free(s);
        return NULL;
}

int client_status_set_kernel(ph_hub_status *status, const char *bpf, const char *netlink) {
        status_owned *s = (status_owned *) status;

        free(s->kernel_bpf);
        free(s->kernel_netlink);
        s->kernel_bpf = bpf ? strdup(bpf) : NULL;
        s->kernel_netlink = netlink ? strdup(netlink) : NULL;
        status->kernel_bpf = s->kernel_bpf;
        status->kernel_netlink = s->kernel_netlink;
        return (bpf && !s->kernel_bpf) || (netlink && !s->kernel_netlink) ? -ENOMEM : 0;
}

static int kernel_field(json_object *kernel, const char *key, char **ret) {
        const char *v = NULL;
        int r;

        if (!kernel)
                return 0;
        r = client_json_string(kernel, key, true, &v);
        if (r < 0)
                return r;
        if (v && !(*ret = strdup(v)))
                return -ENOMEM;
        return 0;
}

int client_decode_status(json_object *j, ph_hub_status **ret) {
        json_object *jnodes, *kernel;
        _cleanup_strv_free_ char **nodes = NULL;
        const char *hub, *node;
        uint64_t n = 0, n_failed = 0;
        bool alive = false, locked = false, partitioned = false;
        int r;

        if ((r = client_json_string(j, "hub", false, &hub)) < 0 ||
            (r = client_json_string(j, "node", false, &node)) < 0 ||
            (r = client_json_bool(j, "alive", false, &alive)) < 0 ||
            (r = client_json_bool(j, "locked", true, &locked)) < 0 ||
            (r = client_json_bool(j, "partitioned", true, &partitioned)) < 0 ||
            (r = client_json_u64(j, "children", true, &n)) < 0 ||
            (r = client_json_u64(j, "failed", true, &n_failed)) < 0 ||
            (r = client_json_array(j, "nodes", true, &jnodes)) < 0 ||
            (r = field(j, "kernel", true, json_type_object, &kernel)) < 0)
                return r;
        if (jnodes)
                r = client_decode_strv(jnodes, &nodes);
        else
                r = (nodes = calloc(1, sizeof(char *))) ? 0 : -ENOMEM;
        if (r < 0)
                return r;

        ph_hub_status *s = client_status_new(hub, node, nodes);
        if (!s)
                return -ENOMEM;
        TAKE_PTR(nodes);
        status_owned *o = (status_owned *) s;
        s->alive = alive;
        s->locked = locked;
        s->partitioned = partitioned;
        s->n_children = (size_t) n;
        s->n_failed = (size_t) n_failed;
        if ((r = kernel_field(kernel, "bpf", &o->kernel_bpf)) < 0 ||
            (r = kernel_field(kernel, "netlink", &o->kernel_netlink)) < 0) {
                ph_hub_status_free(s);
                return r;
        }
        s->kernel_bpf = o->kernel_bpf;
        s->kernel_netlink = o->kernel_netlink;
        *ret = s;
        return 0;
}
