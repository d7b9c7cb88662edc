/* SPDX-License-Identifier: MIT */

/* Registry entries: immutable versions, reference-counted from any thread.
 * A version is one block (the entry, its instances, its id and node
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

int registry_spec_box_new(const child_spec *spec, registry_spec_box **ret) {
        _cleanup_free_ registry_spec_box *b = NULL;
        _cleanup_child_spec_ child_spec *copy = NULL;
        int r;

        assert(spec);
        assert(ret);

        b = malloc(sizeof(*b));
        if (!b)
                return -ENOMEM;
        r = child_spec_copy(spec, &copy);
        if (r < 0)
                return r;
        /* Move the copy's contents into the box and drop only its shell. */
        b->spec = *copy;
        free(TAKE_PTR(copy));
        b->n_ref = 1;
        *ret = TAKE_PTR(b);
        return 0;
}

registry_spec_box *registry_spec_box_unref(registry_spec_box *b) {
        if (!b)
                return NULL;
        if (__atomic_sub_fetch(&b->n_ref, 1, __ATOMIC_ACQ_REL) > 0)
                return NULL;
        child_spec_done(&b->spec);
        free(b);
        return NULL;
}

static registry_spec_box *registry_spec_box_ref(registry_spec_box *b) {
        __atomic_add_fetch(&b->n_ref, 1, __ATOMIC_RELAXED);
        return b;
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
        m->n_kv = n_kv;
        cursor = (char *) &m->kv[n_kv];
        m->tag = tag ? copy_string(&cursor, tag) : NULL;
        for (size_t i = 0; i < n_kv; i++) {
                m->kv[i].key = copy_string(&cursor, kv[i].key);
                m->kv[i].value = copy_string(&cursor, kv[i].value);
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
                registry_spec_box *spec_box,
                registry_meta *meta,
                const registry_instance *instances,
                size_t n_instances,
                registry_entry **ret) {

        size_t size = sizeof(registry_entry_impl);
        registry_entry_impl *e;
        char *cursor;
        int r;

        assert(id);
        assert(spec_box);
        assert(instances || n_instances == 0);
        assert(ret);

        r = size_add_array(&size, n_instances, sizeof(registry_instance));
        if (r < 0)
                return r;
        r = size_add(&size, strlen(id) + 1);
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
        cursor = (char *) &e->instances[n_instances];
        for (size_t i = 0; i < n_instances; i++)
                e->instances[i] = (registry_instance) {
                        .node = copy_string(&cursor, instances[i].node),
                        .pid = instances[i].pid,
                };
        e->spec_box = registry_spec_box_ref(spec_box);
        e->meta = registry_meta_ref(meta);
        e->pub = (registry_entry) {
                .n_ref = 1,
                .id = copy_string(&cursor, id),
                .spec = &spec_box->spec,
                .instances = n_instances > 0 ? e->instances : NULL,
                .n_instances = n_instances,
                .tag = meta ? meta->tag : NULL,
                .metadata = meta && meta->n_kv > 0 ? meta->kv : NULL,
                .n_metadata = meta ? meta->n_kv : 0,
        };
        assert((size_t) (cursor - (char *) e) == size);

        *ret = &e->pub;
        return 0;
}

static registry_entry_impl *entry_impl(const registry_entry *e) {
        /* pub is the first member */
        return (registry_entry_impl *) e;
}

int registry_entry_with_instances(
                const registry_entry *e,
                const registry_instance *instances,
                size_t n_instances,
                registry_entry **ret) {

        registry_entry_impl *impl = entry_impl(e);

        return registry_entry_build(e->id, impl->spec_box, impl->meta, instances, n_instances, ret);
}

registry_meta *registry_entry_get_meta(const registry_entry *e) {
        assert(e);

        return entry_impl(e)->meta;
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
        /* Relaxed: a reference can only be taken from another one (or under
         * the registry's read lock, whose release orders it). */
        __atomic_add_fetch(&e->n_ref, 1, __ATOMIC_RELAXED);
        return e;
}

registry_entry *registry_entry_unref(registry_entry *e) {
        registry_entry_impl *impl;

        if (!e)
                return NULL;
        /* Release so that this thread's reads of the entry happen before
         * the free, acquire so that the freeing thread sees them done. */
        if (__atomic_sub_fetch(&e->n_ref, 1, __ATOMIC_ACQ_REL) > 0)
                return NULL;

        impl = entry_impl(e);
        registry_spec_box_unref(impl->spec_box);
        registry_meta_unref(impl->meta);
        free(impl);
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
