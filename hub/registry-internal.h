/* SPDX-License-Identifier: MIT */
#pragma once

/* The registry's insides, shared by its files only.
 *
 * The hash tables hold slots, not entries: a slot is the registry's mutable
 * place for one child id (hash handles, tag-list links, the pointer to the
 * current entry); entries are immutable versions that a slot points to in
 * turn. An update is then one pointer swap in the slot, and a reader holding
 * an old entry never shares a mutable field with the tables. Slots and tag
 * groups are touched only under the write lock, or read under the read
 * lock, or read by the writer thread (the only one that changes them)
 * without any lock. */

#include <pthread.h>

/* A failed allocation while growing a table is an -ENOMEM to return, not
 * an exit(): every file of the registry sees the tables through this. */
#define HASH_NONFATAL_OOM 1
#include <uthash.h>

#include "registry.h"

/* A child spec shared by the versions of an entry that did not change it. */
typedef struct registry_spec_box {
        unsigned n_ref;
        child_spec spec;
} registry_spec_box;

/* Tag and metadata, shared likewise; strings follow in the same block. */
typedef struct registry_meta {
        unsigned n_ref;
        char *tag;
        size_t n_kv;
        registry_kv kv[];
} registry_meta;

/* One allocation per entry version: this, the instances, then the id and
 * node strings. */
typedef struct registry_entry_impl {
        registry_entry pub; /* first: the user's pointer is to it */
        registry_spec_box *spec_box;
        registry_meta *meta; /* NULL: no tag, no metadata */
        registry_instance instances[];
} registry_entry_impl;

typedef struct registry_tag registry_tag;

typedef struct registry_slot {
        UT_hash_handle hh; /* in registry.slots, keyed by id */
        registry_entry *entry; /* the current version: one reference */
        registry_tag *tag;     /* the group the entry's tag puts it in, or NULL */
        struct registry_slot *tag_prev, *tag_next; /* utlist DL links in tag->members */
        char id[];
} registry_slot;

/* The slots whose entry has a given tag; exists while it has members. */
struct registry_tag {
        UT_hash_handle hh; /* in registry.tags, keyed by name */
        registry_slot *members;
        size_t n_members;
        char name[];
};

struct registry {
        pthread_rwlock_t lock;
        registry_slot *slots;
        registry_tag *tags;
        size_t n_entries; /* written under the write lock, read atomically */
};

static inline void registry_read_lock(registry *r) {
        int k = pthread_rwlock_rdlock(&r->lock);

        assert(k == 0); /* fails only on misuse: too many readers, or a deadlock */
        (void) k;
}

static inline void registry_write_lock(registry *r) {
        int k = pthread_rwlock_wrlock(&r->lock);

        assert(k == 0);
        (void) k;
}

static inline void registry_unlock(registry *r) {
        int k = pthread_rwlock_unlock(&r->lock);

        assert(k == 0);
        (void) k;
}

/* registry.c: the slot of id, whose length and uthash hash value the caller
 * computed (HASH_VALUE), so that readers hash before taking the lock. Under
 * either lock, or from the writer thread. */
registry_slot *registry_slot_find(registry *r, const char *id, size_t len, unsigned hashv);

/* registry-entry.c: building immutable entries. */
int registry_spec_box_new(const child_spec *spec, registry_spec_box **ret);
registry_spec_box *registry_spec_box_unref(registry_spec_box *b);
/* NULL in *ret when there is neither tag nor metadata. */
int registry_meta_new(const char *tag, const registry_kv *kv, size_t n_kv, registry_meta **ret);
registry_meta *registry_meta_unref(registry_meta *m);
/* A new entry with a reference to spec_box and to meta (both kept by the
 * caller too) and copies of id and of the instances. */
int registry_entry_build(
                const char *id,
                registry_spec_box *spec_box,
                registry_meta *meta,
                const registry_instance *instances,
                size_t n_instances,
                registry_entry **ret);
/* A new version of e with other instances: the same spec and metadata. */
int registry_entry_with_instances(
                const registry_entry *e,
                const registry_instance *instances,
                size_t n_instances,
                registry_entry **ret);
/* e's tag and metadata, borrowed: NULL when it has neither. */
registry_meta *registry_entry_get_meta(const registry_entry *e);
/* The index of node's instance in e, or -ENOENT. */
int registry_entry_find_node(const registry_entry *e, const char *node);
/* A version of e with its instance idx renamed to node, or without it when
 * node is NULL. */
int registry_entry_edit_instance(const registry_entry *e, size_t idx, const char *node, registry_entry **ret);

/* registry-tag-index.c: tag → slots. Callers hold the write lock for
 * registry_tag_add(), _attach() and _detach(). */
registry_tag *registry_tag_find(registry *r, const char *name);
int registry_tag_new(const char *name, registry_tag **ret);
registry_tag *registry_tag_free(registry_tag *t);
/* Put t in the index: -ENOMEM when the table cannot grow. */
int registry_tag_add(registry *r, registry_tag *t);
void registry_tag_attach(registry_tag *t, registry_slot *s);
/* Take s out of its group; when that empties the group, it leaves the index
 * and is returned, to be freed once the lock is released. */
registry_tag *registry_tag_detach(registry *r, registry_slot *s);

/* registry-write.c: one child's change, prepared without the lock (all
 * that allocates), then published under the write lock. */
typedef struct registry_change {
        registry_slot *slot;
        bool slot_created;     /* slot is new, not in the table yet */
        unsigned hashv;        /* of slot->id, for a created slot */
        registry_entry *entry; /* the version to publish, owned; NULL: remove the slot */
        bool retag;            /* the slot moves from its group to tag (NULL: none) */
        registry_tag *tag;
        bool tag_created;      /* tag is new, not in the index yet */
} registry_change;

/* Free what a change that was not committed allocated. */
void registry_change_discard(registry_change *c);
/* Publish c under the write lock. On success c's allocations belong to the
 * registry, and ret_old gets the registry's reference to the version that
 * was replaced or removed (NULL for a created slot). On failure (-ENOMEM
 * when a table could not grow) nothing changed and c still owns them. A
 * change that creates neither slot nor tag group cannot fail. */
int registry_change_commit(registry *r, registry_change *c, registry_entry **ret_old);

static inline bool registry_node_valid(const char *node) {
        return node && node[0];
}

/* registry.c: for the tests and the benchmark, the main table's shape. */
typedef struct registry_hash_stats {
        unsigned n_items, n_buckets, max_chain;
        bool noexpand; /* uthash gave up growing: the hash spreads badly */
} registry_hash_stats;
void registry_get_hash_stats(registry *r, registry_hash_stats *ret);
