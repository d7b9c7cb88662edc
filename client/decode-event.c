/* SPDX-License-Identifier: MIT */

/* The daemon's events into ph_hook_event: the event points into its
 * storage (the JSON it came in, and the arrays of instances and children
 * built over it), which lives until the handlers have run. Only the fields
 * the key sets are present (docs/control-protocol.md); a key this library
 * does not know ("overflow") is -EOPNOTSUPP, anything else not of the
 * protocol's shape -EBADMSG. */

#include <string.h>

#include "client.h"
#include "hub-internal.h"
#include "macros.h"
#include "registry.h"

struct client_event_storage {
        json_object *json; /* the strings point into it */
        registry_instance *instances;
        ph_hook_child *children;
        size_t n_children;
        registry_instance **child_instances;
};

client_event_storage *client_event_storage_free(client_event_storage *s) {
        if (!s)
                return NULL;
        for (size_t i = 0; i < s->n_children; i++)
                free(s->child_instances[i]);
        free(s->child_instances);
        free(s->children);
        free(s->instances);
        json_object_put(s->json);
        free(s);
        return NULL;
}

int client_decode_event(json_object *j, ph_hook_event *ret, client_event_storage **ret_storage) {
        _cleanup_(client_event_storage_freep) client_event_storage *s = NULL;
        json_object *a;
        const char *key;
        ph_hook_event ev = {};
        uint64_t priority = 0;
        size_t n = 0;
        int r;

        r = client_json_string(j, "key", false, &key);
        if (r < 0)
                return r;
        ev.key = ph_hook_key_from_string(key);
        if (ev.key < 0)
                return -EOPNOTSUPP;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->json = json_object_get(j);
        if ((r = client_json_string(j, "hub", true, &ev.hub_id)) < 0 ||
            (r = client_json_string(j, "node", true, &ev.node)) < 0 ||
            (r = client_json_string(j, "child_id", true, &ev.child_id)) < 0 ||
            (r = client_json_string(j, "reason", true, &ev.reason)) < 0 ||
            (r = client_json_u64(j, "priority", true, &priority)) < 0)
                return r;
        ev.priority = priority > INT32_MAX ? INT32_MAX : (int) priority;

        r = client_json_array(j, "instances", true, &a);
        if (r < 0)
                return r;
        if (a) {
                r = client_instances_view(a, &s->instances, &n);
                if (r < 0)
                        return r;
                ev.instances = (const ph_instance *) s->instances;
                ev.n_instances = n;
        }

        r = client_json_array(j, "children", true, &a);
        if (r < 0)
                return r;
        if (a) {
                n = json_object_array_length(a);
                s->children = calloc(n ?: 1, sizeof(ph_hook_child));
                s->child_instances = calloc(n ?: 1, sizeof(registry_instance *));
                if (!s->children || !s->child_instances)
                        return -ENOMEM;
                for (size_t i = 0; i < n; i++) {
                        json_object *c = json_object_array_get_idx(a, i), *ci, *jerr;
                        ph_hook_child *hc = &s->children[i];
                        size_t m = 0;

                        s->n_children = i + 1;
                        if ((r = client_json_string(c, "id", false, &hc->id)) < 0 ||
                            (r = client_json_string(c, "reason", true, &hc->reason)) < 0 ||
                            (r = client_json_array(c, "instances", true, &ci)) < 0)
                                return r;
                        if (ci) {
                                r = client_instances_view(ci, &s->child_instances[i], &m);
                                if (r < 0)
                                        return r;
                                hc->instances = (const ph_instance *) s->child_instances[i];
                                hc->n_instances = m;
                        }
                        /* error: 0 or an errno, either sign. */
                        if (json_object_object_get_ex(c, "error", &jerr) && !json_object_is_type(jerr, json_type_null)) {
                                if (json_object_is_type(jerr, json_type_int)) {
                                        int64_t e = json_object_get_int64(jerr);
                                        if (e > 4095 || e < -4095)
                                                return -EBADMSG;
                                        hc->error = e > 0 ? (int) -e : (int) e;
                                } else if (json_object_is_type(jerr, json_type_string))
                                        hc->error = -EIO; /* a symbolic name: the reason says what */
                                else
                                        return -EBADMSG;
                        }
                }
                ev.children = s->children;
                ev.n_children = n;
        }
        *ret = ev;
        *ret_storage = TAKE_PTR(s);
        return 0;
}
