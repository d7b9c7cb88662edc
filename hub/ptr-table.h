/* SPDX-License-Identifier: MIT */
#pragma once

/* An open-addressing table of pointers: the supervisor's children by id and
 * by cgroup id. It stores only the pointers (8 bytes a slot, a quarter to
 * three quarters of the slots used), where an intrusive hash handle costs 56 bytes an item
 * plus its buckets: at 10,000 children that is most of what a child's
 * record weighed. Keys live in the items; a lookup compares them through
 * the caller's match function. One thread only: the loop's.
 *
 * Removal leaves a tombstone, so a walk over the slots may remove the item
 * it stands on, or any other, and still see every item once; only an add
 * rebuilds the slots. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ptr_table {
        void **slots;  /* NULL: never used; PTR_TABLE_TOMBSTONE: removed */
        size_t n_slots; /* 0 or a power of two */
        size_t n_live;
        size_t n_used; /* live and tombstones */
} ptr_table;

#define PTR_TABLE_TOMBSTONE ((void *) (uintptr_t) 1)

typedef uint64_t (*ptr_table_hash_func)(const void *item);
typedef bool (*ptr_table_match_func)(const void *item, const void *key);

/* Add item, whose key hashes to hash; rehash gives the hash of any item
 * when the slots are rebuilt. The caller makes sure the key is not in yet.
 * -ENOMEM leaves the table as it was. */
int ptr_table_add(ptr_table *t, void *item, uint64_t hash, ptr_table_hash_func rehash);
/* The item whose key matches (match(item, key)), probing from hash. */
void *ptr_table_find(const ptr_table *t, uint64_t hash, ptr_table_match_func match, const void *key);
/* Remove this very item (found by pointer, probing from its hash): true
 * when it was in. */
bool ptr_table_remove(ptr_table *t, const void *item, uint64_t hash);
void ptr_table_done(ptr_table *t);

static inline bool ptr_table_slot_live(const void *slot) {
        return slot && slot != PTR_TABLE_TOMBSTONE;
}

/* Every live item, in slot order; the body may remove items. */
#define PTR_TABLE_FOREACH(t, i, item)                                           \
        for (size_t i = 0; i < (t)->n_slots; i++)                               \
                if (!ptr_table_slot_live((item = (t)->slots[i]))) {             \
                } else

/* Hashes of keys users choose (ids) and of kernel numbers (cgroup ids). */
uint64_t ptr_table_hash_string(const char *s);
uint64_t ptr_table_hash_u64(uint64_t v);
