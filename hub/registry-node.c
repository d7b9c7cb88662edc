/* SPDX-License-Identifier: MIT */

/* Changes to every entry of a node: a node renamed, a node gone. Rare
 * admin actions, O(n) over the registry: every new version is built first,
 * so that a failure changes nothing, then each is published under its own
 * lock hold, so that readers are never held off for O(n). */

#include <limits.h>
#include <string.h>

#include "registry-internal.h"

/* Node-wide changes neither create slots nor tag groups: committing them
 * cannot fail. */
static void commit_batch(registry *r, registry_change *changes, size_t n, registry_entry **ret_removed, size_t *ret_n_removed) {
        size_t n_removed = 0;

        for (size_t i = 0; i < n; i++) {
                bool removal = !changes[i].entry;
                registry_entry *old = NULL;
                int k;

                k = registry_change_commit(r, &changes[i], &old);
                assert(k == 0);
                (void) k;
                /* The caller's own reference: the registry's is retired
                 * like any other, a point reader may still take one. */
                if (removal && ret_removed)
                        ret_removed[n_removed++] = registry_entry_ref(old);
                registry_entry_retire(old);
        }
        registry_index_shrink(r);
        if (ret_n_removed)
                *ret_n_removed = n_removed;
}

static void change_init(registry *r, registry_change *c, registry_slot *s) {
        *c = (registry_change) { .slot = s, .hash = registry_hash(r, s->entry->id) };
}

static void discard_batch(registry_change *changes, size_t n) {
        for (size_t i = 0; i < n; i++)
                registry_change_discard(&changes[i]);
        free(changes);
}

int registry_rename_node(registry *r, const char *old_node, const char *new_node) {
        registry_change *changes;
        size_t n = 0, i = 0;
        int k;

        assert_return(r, -EINVAL);
        assert_return(registry_node_valid(old_node), -EINVAL);
        assert_return(registry_node_valid(new_node), -EINVAL);

        if (strcmp(old_node, new_node) == 0)
                return 0;

        for (registry_slot *s = r->slots; s; s = s->next) {
                if (registry_entry_find_node(s->entry, old_node) < 0)
                        continue;
                if (registry_entry_find_node(s->entry, new_node) >= 0)
                        return -EEXIST;
                n++;
        }
        if (n == 0)
                return 0;
        if (n > INT_MAX)
                return -E2BIG;

        changes = calloc(n, sizeof(registry_change));
        if (!changes)
                return -ENOMEM;
        for (registry_slot *s = r->slots; s; s = s->next) {
                int idx = registry_entry_find_node(s->entry, old_node);

                if (idx < 0)
                        continue;
                change_init(r, &changes[i], s);
                k = registry_entry_edit_instance(s->entry, idx, new_node, &changes[i].entry);
                if (k < 0) {
                        discard_batch(changes, n);
                        return k;
                }
                i++;
        }

        commit_batch(r, changes, n, NULL, NULL);
        free(changes);
        return (int) n;
}

int registry_drop_node(registry *r, const char *node, registry_entry ***ret_removed, size_t *ret_n) {
        _cleanup_free_ registry_entry **removed = NULL;
        registry_change *changes;
        size_t n = 0, n_removed = 0, i = 0;
        int k;

        assert_return(r, -EINVAL);
        assert_return(registry_node_valid(node), -EINVAL);
        assert_return(!ret_removed == !ret_n, -EINVAL);

        for (registry_slot *s = r->slots; s; s = s->next) {
                if (registry_entry_find_node(s->entry, node) < 0)
                        continue;
                n++;
                if (s->entry->n_instances == 1)
                        n_removed++;
        }
        if (n > INT_MAX)
                return -E2BIG;

        if (n == 0) {
                if (ret_removed) {
                        *ret_removed = NULL;
                        *ret_n = 0;
                }
                return 0;
        }
        if (ret_removed && n_removed > 0) {
                removed = calloc(n_removed, sizeof(registry_entry *));
                if (!removed)
                        return -ENOMEM;
        }
        changes = calloc(n, sizeof(registry_change));
        if (!changes)
                return -ENOMEM;
        for (registry_slot *s = r->slots; s; s = s->next) {
                int idx = registry_entry_find_node(s->entry, node);

                if (idx < 0)
                        continue;
                change_init(r, &changes[i], s);
                if (s->entry->n_instances > 1) {
                        k = registry_entry_edit_instance(s->entry, idx, NULL, &changes[i].entry);
                        if (k < 0) {
                                discard_batch(changes, n);
                                return k;
                        }
                }
                i++;
        }

        commit_batch(r, changes, n, removed, &n_removed);
        free(changes);
        if (ret_removed) {
                *ret_removed = TAKE_PTR(removed);
                *ret_n = n_removed;
        }
        return (int) n;
}
