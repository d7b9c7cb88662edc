/* SPDX-License-Identifier: MIT */

/* The index: child id → current entry, read without any lock.
 *
 * Open addressing with linear probing over one-word cells: the entry's
 * address with the top 16 bits of the id's hash as a tag (registry_cell).
 * A probe reads an entry (and compares ids) only when the tag matches, so
 * a hit costs about two cache misses, the cell's and the entry's, and a
 * miss one, the cell's (an entry only once in 65,536 cells probed). Eight
 * cells to a cache line keep the table small: 2 MiB at 100,000 entries.
 *
 * One writer changes a published table one cell at a time, each change a
 * single release store of the cell: an empty cell gets an entry, an entry
 * is replaced by its next version (same tag), or an entry becomes a
 * tombstone. Cells never become empty and never move while the table is
 * published, so a reader that probes for an id present all along always
 * reaches its cell; a reader racing an insertion or a removal of that id
 * may miss it or find it, as if it had run just before or just after.
 * Tombstones are reused by insertions and dropped when the table is
 * rebuilt: a rebuilt table (grown, shrunk, or cleared of tombstones) is
 * filled before it is published, and the old one, frozen from then on, is
 * freed after a grace period. */

#include <string.h>
#include <sys/random.h>

/* Inlined from the header: nothing to link, and no call into another
 * shared library on every lookup. */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "registry-internal.h"

#define CELL_TAG_SHIFT 48
#define CELL_ENTRY_MASK ((UINT64_C(1) << CELL_TAG_SHIFT) - 1)
/* A cell once used and now free: no entry is at address 1. */
#define CELL_TOMBSTONE UINT64_C(1)

_Static_assert(sizeof(void *) == sizeof(registry_cell), "a cell holds an address and a tag in one word");

static registry_cell cell_make(uint64_t hash, const registry_entry *e) {
        uintptr_t a = (uintptr_t) e;

        /* Checked where entries are allocated (registry_entry_build()). */
        assert((a & ~CELL_ENTRY_MASK) == 0);
        return (hash & ~CELL_ENTRY_MASK) | a;
}

static registry_entry *cell_entry(registry_cell c) {
        return (registry_entry *) (uintptr_t) (c & CELL_ENTRY_MASK);
}

static bool cell_live(registry_cell c) {
        return c != 0 && c != CELL_TOMBSTONE;
}

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

registry_entry *registry_index_find(registry *r, const char *id, uint64_t hash) {
        const registry_table *t = table_get(r);
        uint64_t tag = hash & ~CELL_ENTRY_MASK;

        assert(id);

        for (size_t i = hash & t->mask, n = 0; n <= t->mask; i = (i + 1) & t->mask, n++) {
                /* Acquire pairs with the writer's release: the entry's
                 * contents are seen as they were built. */
                registry_cell c = __atomic_load_n(&t->cells[i], __ATOMIC_ACQUIRE);
                registry_entry *e;

                if (c == 0)
                        return NULL;
                /* A tombstone's tag is 0 and its address not an entry's. */
                if ((c & ~CELL_ENTRY_MASK) != tag || c == CELL_TOMBSTONE)
                        continue;
                e = cell_entry(c);
                /* The entry's first line (reference count, instances) is
                 * wanted next by every caller but a membership test: fetch
                 * it while the id is compared. */
                __builtin_prefetch(e, 1);
                if (strcmp(e->id, id) == 0)
                        return e;
        }
        return NULL;
}

/* The writer's own: place e in t's first free cell of its probe sequence. */
static void cell_fill(registry_table *t, uint64_t hash, registry_entry *e) {
        for (size_t i = hash & t->mask;; i = (i + 1) & t->mask) {
                registry_cell *c = &t->cells[i];

                if (cell_live(*c))
                        continue;
                if (*c == 0)
                        t->n_used++;
                __atomic_store_n(c, cell_make(hash, e), __ATOMIC_RELEASE);
                return;
        }
}

static registry_cell *cell_of(registry_table *t, uint64_t hash, const registry_entry *e) {
        registry_cell want = cell_make(hash, e);

        for (size_t i = hash & t->mask, n = 0; n <= t->mask; i = (i + 1) & t->mask, n++)
                if (t->cells[i] == want)
                        return &t->cells[i];
        assert(!"entry not in the index");
        return NULL;
}

/* The writer's: the hash of a published entry's id, which the cell keeps
 * only 16 bits of. */
static uint64_t entry_hash(const registry *r, const registry_entry *e) {
        return registry_hash(r, e->id);
}

static int rebuild(registry *r, size_t n_entries) {
        registry_table *old = r->table, *t;
        int k;

        k = table_new(cells_for(n_entries), &t);
        if (k < 0)
                return k;
        for (size_t i = 0; i <= old->mask; i++)
                if (cell_live(old->cells[i]))
                        cell_fill(t, entry_hash(r, cell_entry(old->cells[i])), cell_entry(old->cells[i]));
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
        __atomic_store_n(cell_of(t, hash, old), e ? cell_make(hash, e) : CELL_TOMBSTONE, __ATOMIC_RELEASE);
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
                registry_cell c = t->cells[i];
                size_t probe;

                if (c == 0)
                        continue;
                if (c == CELL_TOMBSTONE) {
                        st.n_tombstones++;
                        continue;
                }
                probe = ((i - entry_hash(r, cell_entry(c))) & t->mask) + 1;
                st.n_items++;
                total += probe;
                if (probe > st.max_probe)
                        st.max_probe = probe;
        }
        st.mean_probe = st.n_items > 0 ? (double) total / (double) st.n_items : 0;
        *ret = st;
}
