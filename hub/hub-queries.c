/* SPDX-License-Identifier: MIT */

/* The queries: answered from the registry on the caller's thread, never
 * waiting on the loop or the network, nor on a lock for a single child.
 * Registry entries are immutable and reference-counted, so an answer points
 * into the entry it holds a reference to instead of copying it: a lookup
 * is a hash probe, a reference and one small allocation, and a pid is read
 * in place without even the reference. */

#include <stddef.h>
#include <string.h>

#include "hub-internal.h"
#include "macros.h"
#include "../client/client.h"

/* The public views alias the registry's own arrays. */
_Static_assert(sizeof(ph_instance) == sizeof(registry_instance), "ph_instance must alias registry_instance");
_Static_assert(offsetof(ph_instance, node) == offsetof(registry_instance, node), "node");
_Static_assert(offsetof(ph_instance, pid) == offsetof(registry_instance, pid), "pid");
_Static_assert(sizeof(ph_kv) == sizeof(registry_kv), "ph_kv must alias registry_kv");
_Static_assert(offsetof(ph_kv, key) == offsetof(registry_kv, key), "key");
_Static_assert(offsetof(ph_kv, value) == offsetof(registry_kv, value), "value");

typedef struct child_info_owned {
        ph_child_info info;
        registry_entry *entry;
} child_info_owned;

/* The public view of e: pointers into e and its spec. Field by field: a
 * compound literal first clears the whole struct, which GCC does with a
 * `rep stos`, microcoded and slow to start; on a registry larger than the
 * cache, ph_child_lookup() took about 20 ns longer with it
 * (bench-hub-lookup, 265 → 240 ns). */
static void child_info_fill(const registry_entry *e, ph_child_info *ret) {
        hub_spec_to_public(e->spec, &ret->spec);
        ret->instances = (const ph_instance *) e->instances;
        ret->n_instances = e->n_instances;
        ret->tag = registry_entry_tag(e);
        ret->metadata = (const ph_kv *) registry_entry_metadata(e);
        ret->n_metadata = registry_entry_n_metadata(e);
}

/* An info that keeps the reference e: on failure e is unref'd. */
static ph_child_info *child_info_take(registry_entry *e) {
        child_info_owned *o = malloc(sizeof(*o));

        if (!o) {
                registry_entry_unref(e);
                return NULL;
        }
        child_info_fill(e, &o->info);
        o->entry = e;
        return &o->info;
}

static ph_child_info *child_info_from_entry(registry_entry *e) {
        return child_info_take(registry_entry_ref(e));
}

_public_ ph_child_info *ph_child_info_free(ph_child_info *info) {
        if (!info)
                return NULL;
        child_info_owned *o = (child_info_owned *) ((char *) info - offsetof(child_info_owned, info));
        registry_entry_unref(o->entry);
        free(o);
        return NULL;
}

_public_ int ph_child_lookup(ph_hub *hub, const char *child_id, ph_child_info **ret_info) {
        registry_entry *e;

        assert_return(hub, -EINVAL);
        assert_return(child_id, -EINVAL);
        assert_return(ret_info, -EINVAL);
        if (hub->remote) return client_child_lookup(hub->remote, child_id, ret_info);

        e = registry_lookup(hub->registry, child_id);
        if (!e)
                return -ENOENT;
        /* The lookup's reference becomes the info's. */
        ph_child_info *info = child_info_take(e);
        if (!info)
                return -ENOMEM;
        *ret_info = info;
        return 0;
}

_public_ int ph_get_pid(ph_hub *hub, const char *child_id, pid_t *ret_pid) {
        assert_return(hub, -EINVAL);
        assert_return(child_id, -EINVAL);
        assert_return(ret_pid, -EINVAL);
        if (hub->remote) return client_get_pid(hub->remote, child_id, ret_pid);

        /* -ESRCH: registered, but not running right now (restarting, failed). */
        return registry_lookup_pid(hub->registry, child_id, ret_pid);
}

_public_ void ph_instances_free(ph_instance *instances, size_t n) {
        if (!instances)
                return;
        for (size_t i = 0; i < n; i++)
                free((char *) instances[i].node);
        free(instances);
}

_public_ int ph_get_pids(ph_hub *hub, const char *child_id, ph_instance **ret_instances, size_t *ret_n) {
        registry_entry *e;
        ph_instance *l;
        size_t n;

        assert_return(hub, -EINVAL);
        assert_return(child_id, -EINVAL);
        assert_return(ret_instances, -EINVAL);
        assert_return(ret_n, -EINVAL);
        if (hub->remote) return client_get_pids(hub->remote, child_id, ret_instances, ret_n);

        e = registry_lookup(hub->registry, child_id);
        if (!e)
                return -ENOENT;
        n = e->n_instances;
        l = calloc(n ?: 1, sizeof(ph_instance));
        if (!l) {
                registry_entry_unref(e);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                l[i].node = strdup(e->instances[i].node);
                l[i].pid = e->instances[i].pid;
                if (!l[i].node) {
                        registry_entry_unref(e);
                        ph_instances_free(l, i);
                        return -ENOMEM;
                }
        }
        registry_entry_unref(e);
        *ret_instances = l;
        *ret_n = n;
        return 0;
}

/* ---- Process lists: entries plus per-child views ---- */

struct ph_child_list {
        registry_entry **entries;
        size_t n_entries;
        ph_result_child *children;
        size_t n_children;
        ph_instance *local_instances; /* PH_SCOPE_LOCAL: the filtered views */
        char *local_node;
};

_public_ ph_child_list *ph_child_list_free(ph_child_list *list) {
        if (!list)
                return NULL;
        registry_entries_free(list->entries, list->n_entries);
        free(list->children);
        free(list->local_instances);
        free(list->local_node);
        free(list);
        return NULL;
}

static int process_list_build(ph_hub *hub, registry_entry **entries, size_t n, ph_scope scope,
                              ph_child_list **ret) {
        ph_child_list *list = calloc(1, sizeof(*list));

        if (!list) {
                registry_entries_free(entries, n);
                return -ENOMEM;
        }
        list->entries = entries;
        list->n_entries = n;
        list->children = calloc(n ?: 1, sizeof(ph_result_child));
        if (!list->children)
                goto oom;

        if (scope == PH_SCOPE_GLOBAL) {
                for (size_t i = 0; i < n; i++)
                        list->children[i] = (ph_result_child) {
                                .id = entries[i]->id,
                                .instances = (const ph_instance *) entries[i]->instances,
                                .n_instances = entries[i]->n_instances,
                        };
                list->n_children = n;
        } else {
                /* This node's instances only; children with none are left
                 * out. At most one local instance per child. */
                list->local_node = hub_node_dup(hub);
                list->local_instances = calloc(n ?: 1, sizeof(ph_instance));
                if (!list->local_node || !list->local_instances)
                        goto oom;
                for (size_t i = 0; i < n; i++)
                        for (size_t j = 0; j < entries[i]->n_instances; j++) {
                                if (strcmp(entries[i]->instances[j].node, list->local_node) != 0)
                                        continue;
                                list->local_instances[list->n_children] = (ph_instance) {
                                        .node = entries[i]->instances[j].node,
                                        .pid = entries[i]->instances[j].pid,
                                };
                                list->children[list->n_children] = (ph_result_child) {
                                        .id = entries[i]->id,
                                        .instances = &list->local_instances[list->n_children],
                                        .n_instances = 1,
                                };
                                list->n_children++;
                                break;
                        }
        }
        *ret = list;
        return 0;
oom:
        ph_child_list_free(list);
        return -ENOMEM;
}

_public_ int ph_process_list(ph_hub *hub, ph_scope scope, ph_child_list **ret_list) {
        registry_entry **entries = NULL;
        size_t n = 0;
        int r;

        assert_return(hub, -EINVAL);
        assert_return(scope >= 0 && scope < _PH_SCOPE_MAX, -EINVAL);
        assert_return(ret_list, -EINVAL);
        if (hub->remote) return client_process_list(hub->remote, scope, ret_list);

        r = registry_list(hub->registry, &entries, &n);
        if (r < 0)
                return r;
        return process_list_build(hub, entries, n, scope, ret_list);
}

_public_ int ph_tag_query(ph_hub *hub, const char *tag, ph_child_list **ret_list) {
        registry_entry **entries = NULL;
        size_t n = 0;
        int r;

        assert_return(hub, -EINVAL);
        assert_return(tag, -EINVAL);
        assert_return(ret_list, -EINVAL);
        if (hub->remote) return client_tag_query(hub->remote, tag, ret_list);

        r = registry_tag_query(hub->registry, tag, &entries, &n);
        if (r < 0)
                return r;
        return process_list_build(hub, entries, n, PH_SCOPE_GLOBAL, ret_list);
}

int hub_child_info_new(registry_entry *e, ph_child_info **ret) {
        ph_child_info *info = child_info_from_entry(e);

        if (!info)
                return -ENOMEM;
        *ret = info;
        return 0;
}

int hub_child_list_new(registry_entry **entries, size_t n, ph_child_list **ret) {
        /* A daemon's lists are already scoped: every instance is kept. */
        return process_list_build(NULL, entries, n, PH_SCOPE_GLOBAL, ret);
}

_public_ size_t ph_child_list_n(const ph_child_list *list) {
        return list ? list->n_children : 0;
}

_public_ const ph_result_child *ph_child_list_at(const ph_child_list *list, size_t i) {
        if (!list || i >= list->n_children)
                return NULL;
        return &list->children[i];
}

_public_ void ph_child_infos_free(ph_child_info **infos, size_t n) {
        if (!infos)
                return;
        for (size_t i = 0; i < n; i++)
                ph_child_info_free(infos[i]);
        free(infos);
}

_public_ int ph_registry_dump(ph_hub *hub, ph_child_info ***ret_infos, size_t *ret_n) {
        registry_entry **entries = NULL;
        size_t n = 0;
        int r;

        assert_return(hub, -EINVAL);
        assert_return(ret_infos, -EINVAL);
        assert_return(ret_n, -EINVAL);
        if (hub->remote) return client_registry_dump(hub->remote, ret_infos, ret_n);

        r = registry_list(hub->registry, &entries, &n);
        if (r < 0)
                return r;
        ph_child_info **infos = calloc(n ?: 1, sizeof(ph_child_info *));
        if (!infos) {
                registry_entries_free(entries, n);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                infos[i] = child_info_from_entry(entries[i]);
                if (!infos[i]) {
                        registry_entries_free(entries, n);
                        ph_child_infos_free(infos, i);
                        return -ENOMEM;
                }
        }
        registry_entries_free(entries, n);
        *ret_infos = infos;
        *ret_n = n;
        return 0;
}

/* ---- which_children: the supervisor's view, kept for any thread ---- */

_public_ void ph_child_states_free(ph_child_state *children, size_t n) {
        if (!children)
                return;
        for (size_t i = 0; i < n; i++) {
                free((char *) children[i].id);
                free((char *) children[i].last_exit);
                free((char *) children[i].failure);
        }
        free(children);
}

_public_ int ph_which_children(ph_hub *hub, ph_child_state **ret_children, size_t *ret_n) {
        assert_return(hub, -EINVAL);
        assert_return(ret_children, -EINVAL);
        assert_return(ret_n, -EINVAL);
        if (hub->remote) return client_which_children(hub->remote, ret_children, ret_n);

        return local_states_copy(hub->local_states, ret_children, ret_n);
}
