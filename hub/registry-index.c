/* SPDX-License-Identifier: MIT */

/* The index: child id → current entry, read without any lock.
 *
 * Open addressing with linear probing over cells of (64-bit hash of the
 * id, entry): the hash in the cell is a fingerprint, so a probe reads the
 * entry (and compares ids) only when the whole hash matches, and a hit
 * costs about two cache misses, the cell's and the entry's.
 *
 * One writer changes a published table one cell at a time, each change a
 * single release store of the cell's entry pointer: an empty cell gets an
 * entry (its hash stored first), an entry is replaced by its next version,
 * or an entry becomes a tombstone (the hash stays). Cells never become
 * empty and never move while the table is published, so a reader that
 * probes for an id present all along always reaches its cell; a reader
 * racing an insertion or a removal of that id may miss it or find it, as
 * if it had run just before or just after. Tombstones are reused by
 * insertions and dropped when the table is rebuilt: a rebuilt table (grown,
 * shrunk, or cleared of tombstones) is filled before it is published, and
 * the old one, frozen from then on, is freed after a grace period. */

#include <string.h>
#include <sys/random.h>

/* Inlined from the header: nothing to link, and no call into another
 * shared library on every lookup. */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "registry-internal.h"

/* Never dereferenced: compared against only. */
#define TOMBSTONE ((registry_entry *) (uintptr_t) 1)

/* A published table holds at most one used cell in two; a rebuilt one is
 * sized so that at least a sixteenth of its cells can still be used
 * before the next rebuild (no rebuild every few writes at the edge). */
#define MIN_CELLS 16u

static size_t cells_for(size_t n_entries) {
        size_t n = MIN_CELLS;

        while (n_entries > n / 2 - n / 16)
                n *= 2;
        return n;
}

uint64_t registry_hash(const registry *r, const char *id) {
        return XXH3_64bits_withSeed(id, strlen(id), r->seed);
}

static int table_new(size_t n_cells, registry_table **ret) {
        registry_table *t;

        assert(n_cells >= MIN_CELLS && (n_cells & (n_cells - 1)) == 0);
        assert(ret);

        if (n_cells > (SIZE_MAX - sizeof(registry_table)) / sizeof(registry_cell))
                return -ENOMEM;
        t = calloc(1, sizeof(registry_table) + n_cells * sizeof(registry_cell));
        if (!t)
                return -ENOMEM;
        t->mask = n_cells - 1;
        *ret = t;
        return 0;
}

int registry_index_init(registry *r) {
        assert(r);

        /* Ids come from users: a seed they cannot know keeps them from
         * choosing ids that pile up in one probe run. Without entropy yet
         * (early boot) the table works as well, only predictably. */
        if (getrandom(&r->seed, sizeof(r->seed), GRND_NONBLOCK) != sizeof(r->seed))
                r->seed = 0;
        return table_new(MIN_CELLS, &r->table);
}

void registry_index_done(registry *r) {
        r->table = mfree(r->table);
}

static registry_table *table_get(registry *r) {
        /* Acquire pairs with the release that published the table: its
         * cells are seen as they were filled. */
        return __atomic_load_n(&r->table, __ATOMIC_ACQUIRE);
}

static registry_entry *cell_entry(const registry_cell *c) {
        return __atomic_load_n(&c->entry, __ATOMIC_ACQUIRE);
}

registry_entry *registry_index_find(registry *r, const char *id, uint64_t hash) {
        const registry_table *t = table_get(r);

        assert(id);

        for (size_t i = hash & t->mask, n = 0; n <= t->mask; i = (i + 1) & t->mask, n++) {
                const registry_cell *c = &t->cells[i];
                registry_entry *e = cell_entry(c);

                if (!e)
                        return NULL;
                /* The hash is read after the entry: a cell that changed in
                 * between gives a mismatch below, never a wrong answer. */
                if (e == TOMBSTONE || __atomic_load_n(&c->hash, __ATOMIC_RELAXED) != hash)
                        continue;
                /* The entry's first line (reference count, instances) is
                 * wanted next by every caller but a membership test: fetch
                 * it while the id is compared. */
                __builtin_prefetch(e, 1);
                if (strcmp(registry_entry_impl_of(e)->id, id) == 0)
                        return e;
        }
        return NULL;
}

/* The writer's own: place e in t's first free cell of its probe sequence. */
static void cell_fill(registry_table *t, uint64_t hash, registry_entry *e) {
        for (size_t i = hash & t->mask;; i = (i + 1) & t->mask) {
                registry_cell *c = &t->cells[i];

                if (c->entry && c->entry != TOMBSTONE)
                        continue;
                if (!c->entry)
                        t->n_used++;
                __atomic_store_n(&c->hash, hash, __ATOMIC_RELAXED);
                __atomic_store_n(&c->entry, e, __ATOMIC_RELEASE);
                return;
        }
}

static registry_cell *cell_of(registry_table *t, uint64_t hash, const registry_entry *e) {
        for (size_t i = hash & t->mask, n = 0; n <= t->mask; i = (i + 1) & t->mask, n++)
                if (t->cells[i].entry == e)
                        return &t->cells[i];
        assert(!"entry not in the index");
        return NULL;
}

static int rebuild(registry *r, size_t n_entries) {
        registry_table *old = r->table, *t;
        int k;

        k = table_new(cells_for(n_entries), &t);
        if (k < 0)
                return k;
        for (size_t i = 0; i <= old->mask; i++) {
                registry_entry *e = old->cells[i].entry;

                if (e && e != TOMBSTONE)
                        cell_fill(t, old->cells[i].hash, e);
        }
        __atomic_store_n(&r->table, t, __ATOMIC_RELEASE);
        r->n_rebuilds++;
        registry_table_retire(old);
        return 0;
}

int registry_index_reserve(registry *r) {
        registry_table *t = r->table;

        assert(r);

        if ((t->n_used + 1) * 2 <= t->mask + 1)
                return 0;
        /* Sized for the live entries: a table full of tombstones is
         * rebuilt as large as it is, or smaller. */
        return rebuild(r, r->n_entries + 1);
}

void registry_index_publish(registry *r, uint64_t hash, registry_entry *old, registry_entry *e) {
        registry_table *t = r->table;

        assert(old || e);

        if (!old) {
                assert((t->n_used + 1) * 2 <= t->mask + 1);
                cell_fill(t, hash, e);
                return;
        }
        __atomic_store_n(&cell_of(t, hash, old)->entry, e ?: TOMBSTONE, __ATOMIC_RELEASE);
}

void registry_index_shrink(registry *r) {
        size_t n_cells = r->table->mask + 1;

        if (n_cells > MIN_CELLS && r->n_entries < n_cells / 16)
                (void) rebuild(r, r->n_entries);
}

void registry_get_hash_stats(registry *r, registry_hash_stats *ret) {
        const registry_table *t = r->table;
        registry_hash_stats st = {
                .n_cells = t->mask + 1,
                .n_rebuilds = r->n_rebuilds,
        };
        size_t total = 0;

        assert(ret);

        for (size_t i = 0; i <= t->mask; i++) {
                const registry_cell *c = &t->cells[i];
                size_t probe;

                if (!c->entry)
                        continue;
                if (c->entry == TOMBSTONE) {
                        st.n_tombstones++;
                        continue;
                }
                probe = ((i - c->hash) & t->mask) + 1;
                st.n_items++;
                total += probe;
                if (probe > st.max_probe)
                        st.max_probe = probe;
        }
        st.mean_probe = st.n_items > 0 ? (double) total / (double) st.n_items : 0;
        *ret = st;
}
