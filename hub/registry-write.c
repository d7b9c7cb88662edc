/* SPDX-License-Identifier: MIT */

/* The registry's writers, all on the event-loop thread. Each change is
 * prepared without the lock (the new entry version, a new slot, a new tag
 * group, room in the index: everything that allocates or copies), then
 * committed under the write lock with pointer swaps and O(1) list and
 * index updates, and the old version is retired: the registry's reference
 * goes a grace period later. The writer thread is the only one that
 * changes slots and groups, so it reads them without the lock. */

#include <string.h>
#include <utlist.h>

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

registry_slot *registry_slot_find(registry *r, const char *id, uint64_t *ret_hash) {
        uint64_t hash = registry_hash(r, id);
        registry_entry *e = registry_index_find(r, id, hash);

        if (ret_hash)
                *ret_hash = hash;
        return e ? registry_entry_impl_of(e)->slot : NULL;
}

void registry_change_discard(registry_change *c) {
        registry_entry_unref(c->entry);
        if (c->slot_created || c->replaced)
                free(c->slot);
        if (c->tag_created)
                registry_tag_free(c->tag);
        *c = (registry_change) {};
}

/* A new slot, with tag links when its entry has a tag. */
static registry_slot *slot_new(bool tagged) {
        return calloc(1, tagged ? sizeof(registry_tagged_slot) : sizeof(registry_slot));
}

/* Decide where the slot's tag group goes when its entry gets tag, creating
 * the group when the index has none yet, and the slot with tag links when
 * it gets its first tag. */
static int change_prepare_tag(registry *r, registry_change *c, const char *tag) {
        const char *current = c->slot->entry ? registry_entry_tag(c->slot->entry) : NULL;
        int k;

        if (!tag) {
                c->retag = current != NULL;
                return 0;
        }
        if (current && strcmp(current, tag) == 0)
                return 0;

        c->retag = true;
        if (!current && !c->slot_created) {
                registry_slot *s = slot_new(true);

                if (!s)
                        return -ENOMEM;
                c->replaced = c->slot;
                c->slot = s;
        }
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
        registry_slot *s = c->slot, *was = c->replaced ?: c->slot;
        bool removal = !c->entry;
        registry_entry *old = was->entry;
        int k;

        assert(!c->slot_created || !old);
        assert(!c->replaced || (c->retag && c->tag && !removal));

        registry_write_lock(r);
        if (c->tag_created) {
                k = registry_tag_add(r, c->tag);
                if (k < 0) {
                        registry_unlock(r);
                        return k;
                }
        }

        if (removal) {
                emptied = registry_tag_detach(r, s);
                DL_DELETE2(r->slots, s, prev, next);
                __atomic_store_n(&r->n_entries, r->n_entries - 1, __ATOMIC_RELAXED);
        } else {
                if (c->retag) {
                        /* Leaves the group of the old version's tag. */
                        emptied = registry_tag_detach(r, was);
                        if (c->replaced)
                                DL_REPLACE_ELEM2(r->slots, was, s, prev, next);
                        if (c->tag)
                                registry_tag_attach(c->tag, s);
                }
                if (c->slot_created) {
                        DL_APPEND2(r->slots, s, prev, next);
                        __atomic_store_n(&r->n_entries, r->n_entries + 1, __ATOMIC_RELAXED);
                }
                registry_entry_impl_of(c->entry)->slot = s;
                s->entry = c->entry;
        }
        /* Last: once in the index, point readers can see the change. */
        registry_index_publish(r, c->hash, old, TAKE_PTR(c->entry));
        registry_unlock(r);

        /* Listings reach slots and groups only under the lock: once it is
         * released, a removed or replaced slot and an emptied group are
         * ours alone. */
        registry_tag_free(emptied);
        if (removal)
                free(s);
        free(c->replaced);
        *c = (registry_change) {};
        *ret_old = old;
        return 0;
}

static int change_commit_and_retire(registry *r, registry_change *c) {
        bool removal = !c->entry;
        registry_entry *old = NULL;
        int k;

        k = registry_change_commit(r, c, &old);
        if (k < 0)
                return k;
        registry_entry_retire(old);
        if (removal)
                registry_index_shrink(r);
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
        child_spec *shared = NULL;
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

        c.slot = registry_slot_find(r, spec->id, &c.hash);
        old = c.slot ? c.slot->entry : NULL;

        if (old && !tag && n_metadata == 0)
                meta = old->meta; /* kept */
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
        /* The caller's spec itself when it is a shared one (the hub
         * passes the supervisor's): no copy. */
        k = child_spec_share(spec, &shared);
        if (k < 0)
                goto finish;
        k = registry_entry_build(spec->id, shared, meta, final, n_final, &c.entry);
        if (k < 0)
                goto finish;

        if (!c.slot) {
                k = registry_index_reserve(r);
                if (k < 0)
                        goto finish;
                c.slot = slot_new(registry_entry_tag(c.entry) != NULL);
                if (!c.slot) {
                        k = -ENOMEM;
                        goto finish;
                }
                c.slot_created = true;
        }
        k = change_prepare_tag(r, &c, registry_entry_tag(c.entry));
        if (k < 0)
                goto finish;
        k = change_commit_and_retire(r, &c);
        if (k < 0)
                goto finish;
        k = old ? 0 : 1;

finish:
        /* The entry holds its own references to the spec and meta. */
        registry_change_discard(&c);
        child_spec_free(shared);
        registry_meta_unref(new_meta);
        return k;
}

static int remove_slot(registry *r, registry_slot *s, uint64_t hash) {
        registry_change c = { .slot = s, .hash = hash };

        return change_commit_and_retire(r, &c);
}

/* Publish a version of s's entry with other instances: same spec, same
 * tag, so the commit cannot fail after the build. */
static int replace_instances(registry *r, registry_slot *s, uint64_t hash, const registry_instance *instances, size_t n) {
        registry_change c = { .slot = s, .hash = hash };
        int k;

        k = registry_entry_with_instances(s->entry, instances, n, &c.entry);
        if (k < 0)
                return k;
        k = change_commit_and_retire(r, &c);
        if (k < 0)
                registry_change_discard(&c);
        return k;
}

int registry_remove(registry *r, const char *id) {
        registry_slot *s;
        uint64_t hash;

        assert_return(r, -EINVAL);
        assert_return(id_valid(id), -EINVAL);

        s = registry_slot_find(r, id, &hash);
        if (!s)
                return -ENOENT;
        return remove_slot(r, s, hash);
}

int registry_remove_node(registry *r, const char *id, const char *node) {
        registry_change c = {};
        int idx, k;

        assert_return(r, -EINVAL);
        assert_return(id_valid(id), -EINVAL);
        assert_return(registry_node_valid(node), -EINVAL);

        c.slot = registry_slot_find(r, id, &c.hash);
        if (!c.slot)
                return -ENOENT;
        idx = registry_entry_find_node(c.slot->entry, node);
        if (idx < 0)
                return idx;

        if (c.slot->entry->n_instances == 1) {
                k = change_commit_and_retire(r, &c);
                return k < 0 ? k : 1;
        }
        k = registry_entry_edit_instance(c.slot->entry, idx, NULL, &c.entry);
        if (k < 0)
                return k;
        k = change_commit_and_retire(r, &c);
        if (k < 0)
                registry_change_discard(&c);
        return k < 0 ? k : 0;
}

int registry_update_pid(registry *r, const char *id, const char *node, pid_t pid) {
        _cleanup_free_ registry_instance *updated = NULL;
        const registry_entry *e;
        registry_slot *s;
        uint64_t hash;
        int idx;

        assert_return(r, -EINVAL);
        assert_return(id_valid(id), -EINVAL);
        assert_return(registry_node_valid(node), -EINVAL);
        assert_return(pid > 0, -EINVAL);

        s = registry_slot_find(r, id, &hash);
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
        return replace_instances(r, s, hash, updated, e->n_instances);
}
