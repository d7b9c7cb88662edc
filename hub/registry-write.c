/* SPDX-License-Identifier: MIT */

/* The registry's writers, all on the event-loop thread. Each change is
 * prepared without the lock (the new entry version, a new slot, a new tag
 * group: everything that allocates or copies), then committed under the
 * write lock with pointer swaps and O(1) index updates, and the old version
 * is dropped after the lock is released. The writer thread is the only one
 * that changes slots and groups, so it reads them without the lock. */

#include <string.h>

#include "registry-internal.h"

static bool id_valid(const char *id) {
        return child_id_validate(id, NULL) >= 0;
}

static bool instances_valid(const registry_instance *instances, size_t n) {
        if (!instances && n > 0)
                return false;
        for (size_t i = 0; i < n; i++) {
                if (!registry_node_valid(instances[i].node) || instances[i].pid <= 0)
                        return false;
                for (size_t j = 0; j < i; j++)
                        if (strcmp(instances[i].node, instances[j].node) == 0)
                                return false;
        }
        return true;
}

static bool metadata_valid(const registry_kv *kv, size_t n) {
        if (!kv && n > 0)
                return false;
        for (size_t i = 0; i < n; i++) {
                if (!kv[i].key || !kv[i].key[0] || !kv[i].value)
                        return false;
                for (size_t j = 0; j < i; j++)
                        if (strcmp(kv[i].key, kv[j].key) == 0)
                                return false;
        }
        return true;
}

static registry_slot *slot_find(registry *r, const char *id, unsigned *ret_hashv) {
        size_t len = strlen(id);
        unsigned hashv;

        HASH_VALUE(id, len, hashv);
        if (ret_hashv)
                *ret_hashv = hashv;
        return registry_slot_find(r, id, len, hashv);
}

void registry_change_discard(registry_change *c) {
        registry_entry_unref(c->entry);
        if (c->slot_created)
                free(c->slot);
        if (c->tag_created)
                registry_tag_free(c->tag);
        *c = (registry_change) {};
}

/* Decide where the slot's tag group goes when its entry gets tag, creating
 * the group when the index has none yet. */
static int change_prepare_tag(registry *r, registry_change *c, const char *tag) {
        registry_tag *current = c->slot->tag;
        int k;

        if (!tag) {
                c->retag = current != NULL;
                return 0;
        }
        if (current && strcmp(current->name, tag) == 0)
                return 0;

        c->retag = true;
        c->tag = registry_tag_find(r, tag);
        if (c->tag)
                return 0;
        k = registry_tag_new(tag, &c->tag);
        if (k < 0)
                return k;
        c->tag_created = true;
        return 0;
}

int registry_change_commit(registry *r, registry_change *c, registry_entry **ret_old) {
        registry_tag *emptied = NULL;
        registry_slot *s = c->slot;
        bool removal = !c->entry;
        registry_entry *old;
        int k;

        registry_write_lock(r);
        if (c->slot_created) {
                HASH_ADD_KEYPTR_BYHASHVALUE(hh, r->slots, s->id, strlen(s->id), c->hashv, s);
                if (!s->hh.tbl) {
                        registry_unlock(r);
                        return -ENOMEM;
                }
        }
        if (c->tag_created) {
                k = registry_tag_add(r, c->tag);
                if (k < 0) {
                        if (c->slot_created)
                                HASH_DEL(r->slots, s);
                        registry_unlock(r);
                        return k;
                }
        }

        old = s->entry;
        if (removal) {
                emptied = registry_tag_detach(r, s);
                HASH_DEL(r->slots, s);
                __atomic_store_n(&r->n_entries, r->n_entries - 1, __ATOMIC_RELAXED);
        } else {
                if (c->retag) {
                        emptied = registry_tag_detach(r, s);
                        if (c->tag)
                                registry_tag_attach(c->tag, s);
                }
                s->entry = TAKE_PTR(c->entry);
                if (c->slot_created)
                        __atomic_store_n(&r->n_entries, r->n_entries + 1, __ATOMIC_RELAXED);
        }
        registry_unlock(r);

        /* Readers reach slots and groups only under the lock: once it is
         * released, a removed slot and an emptied group are ours alone. */
        registry_tag_free(emptied);
        if (removal)
                free(s);
        *c = (registry_change) {};
        *ret_old = old;
        return 0;
}

static int change_commit_and_drop(registry *r, registry_change *c) {
        registry_entry *old = NULL;
        int k;

        k = registry_change_commit(r, c, &old);
        if (k < 0)
                return k;
        registry_entry_unref(old);
        return 0;
}

/* Merge the given instances into e's: same node replaced in place, new
 * nodes appended. Pointers are borrowed from both. */
static int merge_instances(
                const registry_entry *e,
                const registry_instance *instances,
                size_t n_instances,
                registry_instance **ret,
                size_t *ret_n) {

        _cleanup_free_ registry_instance *merged = NULL;
        size_t n = 0;

        merged = calloc(e->n_instances + n_instances + 1, sizeof(registry_instance));
        if (!merged)
                return -ENOMEM;
        for (size_t i = 0; i < e->n_instances; i++) {
                merged[n] = e->instances[i];
                for (size_t j = 0; j < n_instances; j++)
                        if (strcmp(instances[j].node, e->instances[i].node) == 0) {
                                merged[n] = instances[j];
                                break;
                        }
                n++;
        }
        for (size_t j = 0; j < n_instances; j++)
                if (registry_entry_find_node(e, instances[j].node) < 0)
                        merged[n++] = instances[j];

        *ret = TAKE_PTR(merged);
        *ret_n = n;
        return 0;
}

int registry_insert(
                registry *r,
                const child_spec *spec,
                const registry_instance *instances,
                size_t n_instances,
                const char *tag,
                const registry_kv *metadata,
                size_t n_metadata) {

        registry_change c = {};
        registry_spec_box *box = NULL;
        registry_meta *new_meta = NULL, *meta;
        _cleanup_free_ registry_instance *merged = NULL;
        const registry_instance *final = instances;
        size_t n_final = n_instances;
        registry_entry *old;
        int k;

        assert_return(r, -EINVAL);
        assert_return(spec, -EINVAL);
        assert_return(id_valid(spec->id), -EINVAL);
        assert_return(instances_valid(instances, n_instances), -EINVAL);
        assert_return(!tag || tag[0], -EINVAL);
        assert_return(metadata_valid(metadata, n_metadata), -EINVAL);

        c.slot = slot_find(r, spec->id, &c.hashv);
        old = c.slot ? c.slot->entry : NULL;

        if (old && !tag && n_metadata == 0)
                meta = registry_entry_get_meta(old); /* kept */
        else {
                k = registry_meta_new(tag, metadata, n_metadata, &new_meta);
                if (k < 0)
                        return k;
                meta = new_meta;
        }
        if (old) {
                k = merge_instances(old, instances, n_instances, &merged, &n_final);
                if (k < 0)
                        goto finish;
                final = merged;
        }
        k = registry_spec_box_new(spec, &box);
        if (k < 0)
                goto finish;
        k = registry_entry_build(spec->id, box, meta, final, n_final, &c.entry);
        if (k < 0)
                goto finish;

        if (!c.slot) {
                size_t len = strlen(spec->id);

                c.slot = calloc(1, sizeof(registry_slot) + len + 1);
                if (!c.slot) {
                        k = -ENOMEM;
                        goto finish;
                }
                memcpy(c.slot->id, spec->id, len + 1);
                c.slot_created = true;
        }
        k = change_prepare_tag(r, &c, c.entry->tag);
        if (k < 0)
                goto finish;
        k = change_commit_and_drop(r, &c);
        if (k < 0)
                goto finish;
        k = old ? 0 : 1;

finish:
        /* The entry holds its own references to box and meta. */
        registry_change_discard(&c);
        registry_spec_box_unref(box);
        registry_meta_unref(new_meta);
        return k;
}

static int remove_slot(registry *r, registry_slot *s) {
        registry_change c = { .slot = s };

        return change_commit_and_drop(r, &c);
}

/* Publish a version of s's entry with other instances: same spec, same
 * tag, so the commit cannot fail after the build. */
static int replace_instances(registry *r, registry_slot *s, const registry_instance *instances, size_t n) {
        registry_change c = { .slot = s };
        int k;

        k = registry_entry_with_instances(s->entry, instances, n, &c.entry);
        if (k < 0)
                return k;
        k = change_commit_and_drop(r, &c);
        if (k < 0)
                registry_change_discard(&c);
        return k;
}

int registry_remove(registry *r, const char *id) {
        registry_slot *s;

        assert_return(r, -EINVAL);
        assert_return(id_valid(id), -EINVAL);

        s = slot_find(r, id, NULL);
        if (!s)
                return -ENOENT;
        return remove_slot(r, s);
}

int registry_remove_node(registry *r, const char *id, const char *node) {
        registry_change c = {};
        int idx, k;

        assert_return(r, -EINVAL);
        assert_return(id_valid(id), -EINVAL);
        assert_return(registry_node_valid(node), -EINVAL);

        c.slot = slot_find(r, id, NULL);
        if (!c.slot)
                return -ENOENT;
        idx = registry_entry_find_node(c.slot->entry, node);
        if (idx < 0)
                return idx;

        if (c.slot->entry->n_instances == 1) {
                k = change_commit_and_drop(r, &c);
                return k < 0 ? k : 1;
        }
        k = registry_entry_edit_instance(c.slot->entry, idx, NULL, &c.entry);
        if (k < 0)
                return k;
        k = change_commit_and_drop(r, &c);
        if (k < 0)
                registry_change_discard(&c);
        return k < 0 ? k : 0;
}

int registry_update_pid(registry *r, const char *id, const char *node, pid_t pid) {
        _cleanup_free_ registry_instance *updated = NULL;
        const registry_entry *e;
        registry_slot *s;
        int idx;

        assert_return(r, -EINVAL);
        assert_return(id_valid(id), -EINVAL);
        assert_return(registry_node_valid(node), -EINVAL);
        assert_return(pid > 0, -EINVAL);

        s = slot_find(r, id, NULL);
        if (!s)
                return -ENOENT;
        e = s->entry;
        idx = registry_entry_find_node(e, node);
        if (idx < 0)
                return idx;
        if (e->instances[idx].pid == pid)
                return 0;

        updated = calloc(e->n_instances, sizeof(registry_instance));
        if (!updated)
                return -ENOMEM;
        memcpy(updated, e->instances, e->n_instances * sizeof(registry_instance));
        updated[idx].pid = pid;
        return replace_instances(r, s, updated, e->n_instances);
}
