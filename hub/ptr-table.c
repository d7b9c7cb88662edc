/* SPDX-License-Identifier: MIT */
/* Linear probing over a power-of-two array, never more than three
 * quarters of it in use (live items and tombstones), so that a probe
 * always ends on an empty slot; a rebuild leaves it at most half full.
 * Probes are longer than at lower loads (about 2.5 slots for a hit at the
 * worst), but slots are 8 bytes each and there are two tables per child:
 * memory per child is what a dense hub pays for, a probe of adjacent
 * words is not. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
/* inlined from the header, as the registry does: nothing to link */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "macros.h"
#include "ptr-table.h"

#define PTR_TABLE_MIN_SLOTS 16u

/* Fixed, not random: the table is private to the loop thread, ids are
 * checked by the supervisor, and a probe is bounded by the load factor;
 * the registry, which any reader may probe, seeds its own. */
#define PTR_TABLE_SEED UINT64_C(0x9e3779b97f4a7c15)

uint64_t ptr_table_hash_string(const char *s) {
        return XXH3_64bits_withSeed(s, strlen(s), PTR_TABLE_SEED);
}

/* splitmix64's finaliser: cgroup ids are small, dense numbers. */
uint64_t ptr_table_hash_u64(uint64_t v) {
        v += PTR_TABLE_SEED;
        v = (v ^ (v >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
        v = (v ^ (v >> 27)) * UINT64_C(0x94d049bb133111eb);
        return v ^ (v >> 31);
}

static void place(void **slots, size_t n_slots, void *item, uint64_t hash) {
        size_t mask = n_slots - 1;

        for (size_t i = hash & mask;; i = (i + 1) & mask)
                if (!slots[i]) {
                        slots[i] = item;
                        return;
                }
}

/* Room for n_live + 1 live items at a quarter to a half of the slots, no
 * tombstones. */
static int rebuild(ptr_table *t, ptr_table_hash_func rehash) {
        size_t n_slots = PTR_TABLE_MIN_SLOTS;
        void **slots;

        while (n_slots < (t->n_live + 1) * 2)
                n_slots *= 2;
        slots = calloc(n_slots, sizeof(void *));
        if (!slots)
                return -ENOMEM;
        for (size_t i = 0; i < t->n_slots; i++)
                if (ptr_table_slot_live(t->slots[i]))
                        place(slots, n_slots, t->slots[i], rehash(t->slots[i]));
        free(t->slots);
        t->slots = slots;
        t->n_slots = n_slots;
        t->n_used = t->n_live;
        return 0;
}

int ptr_table_add(ptr_table *t, void *item, uint64_t hash, ptr_table_hash_func rehash) {
        size_t mask;
        int r;

        assert_return(t, -EINVAL);
        assert_return(ptr_table_slot_live(item), -EINVAL);
        assert_return(rehash, -EINVAL);

        if ((t->n_used + 1) * 4 > t->n_slots * 3) {
                r = rebuild(t, rehash);
                if (r < 0)
                        return r;
        }
        /* The first tombstone on the way is reused: it keeps probes short. */
        mask = t->n_slots - 1;
        for (size_t i = hash & mask;; i = (i + 1) & mask) {
                if (t->slots[i] == PTR_TABLE_TOMBSTONE || !t->slots[i]) {
                        if (!t->slots[i])
                                t->n_used++;
                        t->slots[i] = item;
                        t->n_live++;
                        return 0;
                }
        }
}

void *ptr_table_find(const ptr_table *t, uint64_t hash, ptr_table_match_func match, const void *key) {
        size_t mask;

        if (!t || t->n_slots == 0)
                return NULL;
        mask = t->n_slots - 1;
        for (size_t i = hash & mask; t->slots[i]; i = (i + 1) & mask)
                if (t->slots[i] != PTR_TABLE_TOMBSTONE && match(t->slots[i], key))
                        return t->slots[i];
        return NULL;
}

bool ptr_table_remove(ptr_table *t, const void *item, uint64_t hash) {
        size_t mask;

        if (!t || t->n_slots == 0 || !ptr_table_slot_live(item))
                return false;
        mask = t->n_slots - 1;
        for (size_t i = hash & mask; t->slots[i]; i = (i + 1) & mask)
                if (t->slots[i] == item) {
                        t->slots[i] = PTR_TABLE_TOMBSTONE;
                        t->n_live--;
                        return true;
                }
        return false;
}

void ptr_table_done(ptr_table *t) {
        if (!t)
                return;
        t->slots = mfree(t->slots);
        *t = (ptr_table) {};
}
