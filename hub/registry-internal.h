/* SPDX-License-Identifier: MIT */
#pragma once

/* The registry's insides, shared by its files only.
 *
 * Two sides. Point readers (registry_lookup(), _contains(), _lookup_pid())
 * take no lock: inside an RCU read-side section they probe the index, an
 * open-addressing table whose cells point straight to the current entries,
 * so that a hit costs a cell and the entry it points to. liburcu's
 * "bulletproof" flavour: reader threads are the embedder's own and cannot
 * be asked to register. Whatever such a reader may still be looking at
 * when the writer replaces it (the registry's reference to an entry, an
 * outgrown table) is released after a grace period (registry-reclaim.c).
 *
 * The other side is the writer's: slots, one per child id, hold what
 * changes in place (the current version, the creation order, the tag
 * group), and the tag index. Point readers never see them: the writer
 * changes them under the write lock, listings read them under the read
 * lock, and the writer thread (the only one that changes them) reads them
 * without any lock. */

#include <pthread.h>
#include <stdint.h>

/* liburcu-bp's read lock and unlock inline, the point readers' hot path
 * (registry.c): called across the shared library they cost a call, a PLT
 * jump and two __tls_get_addr() calls each, which on a registry larger
 * than the cache doubles a lookup's time (scripts/bench/README.md, "The
 * read lock, inlined": the CPU no longer overlaps one lookup's cache
 * misses with the next one's). liburcu's README allows _LGPL_SOURCE in
 * code whose licence is compatible with the GPL, which MIT is; what it
 * brings in are the small inline functions of <urcu/static/urcu-bp.h>
 * (ten lines or fewer each, which section 5 of the LGPL 2.1 leaves
 * unrestricted). Only the registry's own files, its tests and benches,
 * and the client's decoder (for the registry's types) include this
 * header; sanitizer builds call the library instead (REGISTRY_URCU_CALLS,
 * hub/meson.build). */
#ifndef REGISTRY_URCU_CALLS
#define _LGPL_SOURCE
#endif
#include <urcu/urcu-bp.h>

/* A failed allocation while growing a table is an -ENOMEM to return, not
 * an exit(): every file of the registry sees the tables through this. */
#define HASH_NONFATAL_OOM 1
#include <uthash.h>

#include "registry.h"

typedef struct registry_slot registry_slot;

/* One allocation per entry version: this, the id, the instances, then the
 * node strings. Its spec is a shared one (child_spec_share()): the same
 * for the versions that did not change it, and the supervisor's own when
 * the hub registers its child; so is its meta block. */
typedef struct registry_entry_impl {
        union {
                /* While published: the slot that holds it, the writer's way
                 * from an index cell to its slot. */
                registry_slot *slot;
                /* Once unpublished: the deferred drop of the registry's
                 * reference (the slot is no longer needed then). */
                struct rcu_head rcu;
        };
        /* Last, for its id runs on past it: at a fixed place, so that a
         * probe compares it without first loading a pointer, 32 bytes
         * after the reference count a lookup takes and followed by the
         * first instance's pid. */
        registry_entry pub;
} registry_entry_impl;

static inline registry_entry_impl *registry_entry_impl_of(const registry_entry *e) {
        return caa_container_of(e, registry_entry_impl, pub);
}

typedef struct registry_tag registry_tag;

struct registry_slot {
        registry_entry *entry;      /* the current version: the registry's reference */
        registry_slot *prev, *next; /* utlist DL links in registry.slots: creation order */
};

/* The slot of an entry that has a tag: with the links of the tag's group.
 * Most children have no tag, and their slots no links (24 bytes, not 40:
 * a malloc chunk of 32, not 48). A slot gets them when its entry gets a
 * tag, replaced by one of this shape (registry_change.replaced); when
 * the tag goes the links stay, unused, which needs no allocation. So a
 * slot whose entry has a tag always has them. */
typedef struct registry_tagged_slot {
        registry_slot slot;
        struct registry_tagged_slot *tag_prev, *tag_next; /* in the group of entry->meta->tag */
} registry_tagged_slot;

/* For a slot whose entry has a tag, or is about to get one. */
static inline registry_tagged_slot *registry_tagged_slot_of(registry_slot *s) {
        return caa_container_of(s, registry_tagged_slot, slot);
}

/* The slots whose entry has a given tag; exists while it has members. */
struct registry_tag {
        UT_hash_handle hh; /* in registry.tags, keyed by name */
        registry_tagged_slot *members;
        size_t n_members;
        char name[];
};

/* One word: the entry's address in the low 48 bits (what Linux gives user
 * space unless an mmap() hint asks for more), the top 16 bits of the id's
 * hash above them. 0: never used since the table was built. A reader
 * loads the whole cell at once, so tag and entry always go together, and
 * eight cells share a cache line. */
typedef uint64_t registry_cell;

/* Power-of-two sized, linear probing, never more than half used (live
 * cells and tombstones), so a probe always ends on an empty cell. A table
 * once published is only changed cell by cell; a rebuilt one replaces it
 * whole and it is freed after a grace period. */
typedef struct registry_table {
        struct rcu_head rcu;
        size_t mask;   /* cells - 1 */
        size_t n_used; /* cells not empty: the writer's */
        registry_cell cells[];
} registry_table;

struct registry {
        /* What point readers read; changed only when the writer publishes
         * a rebuilt table. */
        registry_table *table;
        uint64_t seed; /* of the id hash: ids come from users */

        /* The writer's and the listings', on a cache line of their own:
         * the writer's stores must not take the readers' line away. */
        _Alignas(64) pthread_rwlock_t lock;
        registry_slot *slots; /* creation order */
        registry_tag *tags;
        size_t n_entries; /* written under the write lock, read atomically */
        unsigned n_rebuilds;
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

/* registry-index.c: id → current entry, for readers without a lock. */
/* Seed the hash and create the first table. */
int registry_index_init(registry *r);
/* Free the current table: no reader may be left. */
void registry_index_done(registry *r);
uint64_t registry_hash(const registry *r, const char *id);
/* id's current entry, borrowed, or NULL. Point readers call it inside a
 * read-side section, the writer thread as it is. */
registry_entry *registry_index_find(registry *r, const char *id, uint64_t hash);
/* Writer: make room for one more entry, publishing a rebuilt table when
 * the current one is full. -ENOMEM, and nothing changed, when it cannot. */
int registry_index_reserve(registry *r);
/* Writer: make e the entry of the id whose hash is given: a new cell when
 * old is NULL (room reserved), old's cell when e replaces it, a tombstone
 * when e is NULL. Readers see the cell change in one store. */
void registry_index_publish(registry *r, uint64_t hash, registry_entry *old, registry_entry *e);
/* Writer, after removals: a smaller table once the entries fill a
 * sixteenth of it. Best effort: without memory the table stays. */
void registry_index_shrink(registry *r);

/* registry-reclaim.c: releasing what point readers may still see. */
/* Start liburcu's reclaim thread with every signal blocked (see there). */
void registry_reclaim_init(void);
/* Drop the registry's reference to e once every reader that could have
 * found it in the index is done with the index. */
void registry_entry_retire(registry_entry *e);
/* Free t likewise. */
void registry_table_retire(registry_table *t);
/* Wait until everything retired so far is released (tests, benchmarks,
 * registry_free()). Never inside a read-side section. */
void registry_reclaim_barrier(void);

/* registry-entry.c: building immutable entries. */
/* NULL in *ret when there is neither tag nor metadata; -E2BIG past
 * UINT32_MAX pairs. */
int registry_meta_new(const char *tag, const registry_kv *kv, size_t n_kv, registry_meta **ret);
registry_meta *registry_meta_unref(registry_meta *m);
/* A new entry with a reference to spec (a shared one) and to meta (both
 * kept by the caller too) and copies of id and of the instances; -E2BIG
 * past UINT32_MAX instances. */
int registry_entry_build(
                const char *id,
                const child_spec *spec,
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
/* The index of node's instance in e, or -ENOENT. */
int registry_entry_find_node(const registry_entry *e, const char *node);
/* A version of e with its instance idx renamed to node, or without it when
 * node is NULL. */
int registry_entry_edit_instance(const registry_entry *e, size_t idx, const char *node, registry_entry **ret);

/* registry-tag-index.c: tag → slots. A slot is in the group of its
 * entry's tag. Callers hold the write lock for registry_tag_add(),
 * _attach() and _detach(); s has its tag links (registry_tagged_slot) for
 * _attach(). */
registry_tag *registry_tag_find(registry *r, const char *name);
int registry_tag_new(const char *name, registry_tag **ret);
registry_tag *registry_tag_free(registry_tag *t);
/* Put t in the index: -ENOMEM when the table cannot grow. */
int registry_tag_add(registry *r, registry_tag *t);
void registry_tag_attach(registry_tag *t, registry_slot *s);
/* Take s out of the group of its current entry's tag; when that empties
 * the group, it leaves the index and is returned, to be freed once the
 * lock is released. */
registry_tag *registry_tag_detach(registry *r, registry_slot *s);

/* registry-write.c: one child's change, prepared without the lock (all
 * that allocates), then published under the write lock. */
typedef struct registry_change {
        registry_slot *slot;     /* the id's slot once committed */
        bool slot_created;       /* slot is new, not in the registry yet */
        registry_slot *replaced; /* the id's slot, which the new slot replaces to get tag links */
        uint64_t hash;           /* of the id */
        registry_entry *entry;   /* the version to publish, owned; NULL: remove the slot */
        bool retag;              /* the slot moves from its group to tag (NULL: none) */
        registry_tag *tag;
        bool tag_created;        /* tag is new, not in the index yet */
} registry_change;

/* The slot of id and its hash (for a change), on the writer thread. */
registry_slot *registry_slot_find(registry *r, const char *id, uint64_t *ret_hash);
/* Free what a change that was not committed allocated. */
void registry_change_discard(registry_change *c);
/* Publish c under the write lock. On success c's allocations belong to the
 * registry, and ret_old gets the registry's reference to the version that
 * was replaced or removed (NULL for a created slot), to be retired. On
 * failure (-ENOMEM when the tag table could not grow) nothing changed and
 * c still owns them. A created slot needs room reserved in the index
 * first. A change that creates neither slot nor tag group cannot fail. */
int registry_change_commit(registry *r, registry_change *c, registry_entry **ret_old);

static inline bool registry_node_valid(const char *node) {
        return node && node[0];
}

/* registry-index.c: for the tests and the benchmark, the index's shape
 * (on the writer thread). */
typedef struct registry_hash_stats {
        size_t n_items, n_cells, n_tombstones;
        size_t max_probe;   /* cells a lookup of a present id reads, at most */
        double mean_probe;  /* and on average */
        unsigned n_rebuilds; /* tables published since registry_new() */
} registry_hash_stats;
void registry_get_hash_stats(registry *r, registry_hash_stats *ret);
