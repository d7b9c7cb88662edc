/* SPDX-License-Identifier: MIT */

/* Registry entries: immutable versions, reference-counted from any thread.
 * A version is one block (the entry, its id, its instances and their node
 * strings); the spec and the tag with metadata are blocks of their own,
 * shared by the successive versions that kept them, so that a pid update
 * copies a few bytes and not the child's argv and environment. */

#include <stdint.h>
#include <string.h>

#include "registry-internal.h"

/* Sizes come from callers' counts: an overflow is an allocation that
 * cannot succeed. */
static int size_add(size_t *total, size_t n) {
        return __builtin_add_overflow(*total, n, total) ? -ENOMEM : 0;
}

static int size_add_array(size_t *total, size_t n, size_t size) {
        size_t bytes;

        if (__builtin_mul_overflow(n, size, &bytes))
                return -ENOMEM;
        return size_add(total, bytes);
}

static char *copy_string(char **cursor, const char *s) {
        size_t len = strlen(s) + 1;
        char *copy = memcpy(*cursor, s, len);

        *cursor += len;
        return copy;
}

int registry_meta_new(const char *tag, const registry_kv *kv, size_t n_kv, registry_meta **ret) {
        size_t size = sizeof(registry_meta);
        registry_meta *m;
        char *cursor;
        int r;

        assert(kv || n_kv == 0);
        assert(ret);

        if (!tag && n_kv == 0) {
                *ret = NULL;
                return 0;
        }
        if (n_kv > UINT32_MAX)
                return -E2BIG;

        r = size_add_array(&size, n_kv, sizeof(registry_kv));
        if (r < 0)
                return r;
        if (tag) {
                r = size_add(&size, strlen(tag) + 1);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < n_kv; i++) {
                r = size_add(&size, strlen(kv[i].key) + 1);
                if (r < 0)
                        return r;
                r = size_add(&size, strlen(kv[i].value) + 1);
                if (r < 0)
                        return r;
        }

        m = malloc(size);
        if (!m)
                return -ENOMEM;
        m->n_ref = 1;
        m->n_metadata = (uint32_t) n_kv;
        cursor = (char *) &m->metadata[n_kv];
        m->tag = tag ? copy_string(&cursor, tag) : NULL;
        for (size_t i = 0; i < n_kv; i++) {
                m->metadata[i].key = copy_string(&cursor, kv[i].key);
                m->metadata[i].value = copy_string(&cursor, kv[i].value);
        }
        assert((size_t) (cursor - (char *) m) == size);

        *ret = m;
        return 0;
}

registry_meta *registry_meta_unref(registry_meta *m) {
        if (!m)
                return NULL;
        if (__atomic_sub_fetch(&m->n_ref, 1, __ATOMIC_ACQ_REL) == 0)
                free(m);
        return NULL;
}

static registry_meta *registry_meta_ref(registry_meta *m) {
        if (m)
                __atomic_add_fetch(&m->n_ref, 1, __ATOMIC_RELAXED);
        return m;
}

int registry_entry_build(
                const char *id,
                const child_spec *spec,
                registry_meta *meta,
                const registry_instance *instances,
                size_t n_instances,
                registry_entry **ret) {

        size_t size = offsetof(registry_entry_impl, pub.id), id_size = strlen(id) + 1, instances_at;
        registry_instance *copies;
        registry_entry_impl *e;
        child_spec *shared;
        char *cursor;
        int r;

        assert(id);
        assert(spec && child_spec_is_shared(spec));
        assert(instances || n_instances == 0);
        assert(ret);

        if (n_instances > UINT32_MAX)
                return -E2BIG;
        r = size_add(&size, id_size);
        if (r < 0)
                return r;
        /* The instances after the id, aligned. */
        r = size_add(&size, _Alignof(registry_instance) - 1);
        if (r < 0)
                return r;
        size &= ~(_Alignof(registry_instance) - 1);
        instances_at = size;
        r = size_add_array(&size, n_instances, sizeof(registry_instance));
        if (r < 0)
                return r;
        for (size_t i = 0; i < n_instances; i++) {
                r = size_add(&size, strlen(instances[i].node) + 1);
                if (r < 0)
                        return r;
        }

        e = malloc(size);
        if (!e)
                return -ENOMEM;
        /* The index keeps an entry's address in 48 bits of a cell
         * (registry_cell): Linux gives user space no higher address unless
         * an mmap() hint asks for one. */
        if ((uintptr_t) e >> 48 != 0) {
                free(e);
                return -ENOMEM;
        }
        r = child_spec_share(spec, &shared); /* a reference: cannot fail */
        assert(r >= 0);
        e->slot = NULL;
        e->pub = (registry_entry) {
                .n_ref = 1,
                .spec = shared,
                .n_instances = (uint32_t) n_instances,
                .meta = registry_meta_ref(meta),
        };
        /* After the assignment, which may write padding where the id
         * begins. */
        memcpy(e->pub.id, id, id_size);
        copies = (registry_instance *) ((char *) e + instances_at);
        cursor = (char *) &copies[n_instances];
        for (size_t i = 0; i < n_instances; i++)
                copies[i] = (registry_instance) {
                        .node = copy_string(&cursor, instances[i].node),
                        .pid = instances[i].pid,
                };
        e->pub.instances = n_instances > 0 ? copies : NULL;
        assert((size_t) (cursor - (char *) e) == size);

        *ret = &e->pub;
        return 0;
}

int registry_entry_with_instances(
                const registry_entry *e,
                const registry_instance *instances,
                size_t n_instances,
                registry_entry **ret) {

        return registry_entry_build(e->id, e->spec, e->meta, instances, n_instances, ret);
}

int registry_entry_find_node(const registry_entry *e, const char *node) {
        assert(e);
        assert(node);

        for (size_t i = 0; i < e->n_instances; i++)
                if (strcmp(e->instances[i].node, node) == 0)
                        return (int) i;
        return -ENOENT;
}

registry_entry *registry_entry_ref(registry_entry *e) {
        if (!e)
                return NULL;
        /* Relaxed: a reference is only taken from another one, or by a
         * point reader that found e in the index, with the acquire that
         * ordered e's contents, while the registry's reference lasts. */
        __atomic_add_fetch(&e->n_ref, 1, __ATOMIC_RELAXED);
        return e;
}

registry_entry *registry_entry_unref(registry_entry *e) {
        if (!e)
                return NULL;
        /* Release so that this thread's reads of the entry happen before
         * the free, acquire so that the freeing thread sees them done. */
        if (__atomic_sub_fetch(&e->n_ref, 1, __ATOMIC_ACQ_REL) > 0)
                return NULL;

        child_spec_free((child_spec *) e->spec); /* a reference */
        registry_meta_unref(e->meta);
        free(registry_entry_impl_of(e));
        return NULL;
}

void registry_entries_free(registry_entry **entries, size_t n) {
        if (!entries)
                return;
        for (size_t i = 0; i < n; i++)
                registry_entry_unref(entries[i]);
        free(entries);
}

int registry_entry_edit_instance(const registry_entry *e, size_t idx, const char *node, registry_entry **ret) {
        _cleanup_free_ registry_instance *edited = NULL;
        size_t n = 0;

        assert(idx < e->n_instances);

        edited = calloc(e->n_instances, sizeof(registry_instance));
        if (!edited)
                return -ENOMEM;
        for (size_t i = 0; i < e->n_instances; i++) {
                if (i != idx)
                        edited[n++] = e->instances[i];
                else if (node)
                        edited[n++] = (registry_instance) { .node = (char *) node, .pid = e->instances[i].pid };
        }
        return registry_entry_with_instances(e, edited, n, ret);
}
