/* SPDX-License-Identifier: MIT */
#pragma once

/* The registry of a hub's children: child id → entry (the child's spec,
 * where it runs, and free metadata), with an index by tag. Every node of a
 * cluster holds a copy; it is sized for 100,000 children.
 *
 * Threads: one thread writes (the hub's event-loop thread; the writers below
 * must never be called from two threads at once), any number of threads read
 * at the same time. Point readers (registry_lookup(), _lookup_pid(),
 * _contains(), _find_existing()) take no lock and never wait: they read an
 * index inside an RCU read-side section (liburcu, "bulletproof" flavour: any
 * thread may read, unregistered). Listings take a read lock that the writer
 * takes only for pointer swaps and list updates; everything that allocates
 * or copies happens outside it, and the writer never waits for a point
 * reader either.
 *
 * Entries are immutable once published and reference-counted: an update
 * builds a new entry and swaps it in (copy-on-write); whoever holds a
 * reference to the old one goes on seeing the old data, unchanged, until it
 * drops it. Readers get references and read the entries at leisure, without
 * any lock. The registry drops its own reference to a replaced or removed
 * version a grace period later (once no point reader can still be about to
 * take one), on liburcu's reclaim thread: until then n_ref counts it. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "child-spec.h"
#include "macros.h"

typedef struct registry registry;

/* One running copy of a child: the node it runs on and its pid there. A
 * child has at most one instance per node. */
typedef struct registry_instance {
        char *node;
        pid_t pid;
} registry_instance;

typedef struct registry_kv {
        char *key;
        char *value;
} registry_kv;

/* A child's tag and metadata: one block (the strings follow), shared by
 * the versions of its entry that kept them, since they are only ever
 * replaced together. Read-only for users; only the registry touches
 * n_ref. */
typedef struct registry_meta {
        unsigned n_ref;
        uint32_t n_metadata;
        char *tag;              /* NULL: no tag */
        registry_kv metadata[]; /* in the order given */
} registry_meta;

/* Read-only for users: an entry never changes after it was published, and
 * every string and array it points to lives as long as the entry. Only the
 * registry's functions touch n_ref. Small, for there is one per child and
 * most children have neither tag nor metadata: the counts are 32 bits, the
 * tag and the metadata are one pointer, the id is in the entry itself. */
typedef struct registry_entry {
        unsigned n_ref;
        uint32_t n_instances;
        child_spec *spec;
        registry_instance *instances; /* in the order they were first added */
        registry_meta *meta;          /* NULL: neither tag nor metadata */
        char id[];                    /* == spec->id */
} registry_entry;

static inline char *registry_entry_tag(const registry_entry *e) {
        return e->meta ? e->meta->tag : NULL;
}

/* NULL when there are none. */
static inline registry_kv *registry_entry_metadata(const registry_entry *e) {
        return e->meta && e->meta->n_metadata > 0 ? e->meta->metadata : NULL;
}

static inline size_t registry_entry_n_metadata(const registry_entry *e) {
        return e->meta ? e->meta->n_metadata : 0;
}

/* NULL-safe; unref frees the entry when the last reference goes and returns
 * NULL. Both may be called from any thread. */
registry_entry *registry_entry_ref(registry_entry *e);
registry_entry *registry_entry_unref(registry_entry *e);

int registry_new(registry **ret);
/* Frees the registry and drops its references to the entries: entries that
 * readers still hold stay valid until unref'd. No reader or writer may be
 * inside a registry call meanwhile, and the caller not inside an RCU
 * read-side section: it waits for the references dropped a grace period
 * late (a few milliseconds). NULL-safe, returns NULL. */
registry *registry_free(registry *r);

/* ---- Writers: the event-loop thread only. ----
 *
 * Common argument rules (-EINVAL otherwise): ids valid child ids
 * (child_id_validate()); node names and tags non-empty strings; pids
 * above 0; within one call, no two instances on the same node and no two
 * metadata pairs with the same key (keys non-empty, values non-NULL).
 * A writer that fails changed nothing. */

/* Add the child spec->id, or merge into its existing entry. Only the
 * spec's id is checked here (the supervisor validates what it starts):
 * the rest is copied as it is; a shared spec (child_spec_share()) is not
 * copied, the entry takes a reference to it.
 * - a new entry gets copies of spec, instances (there may be none), tag
 *   and metadata;
 * - a merge replaces the spec by a copy of spec; each given instance
 *   replaces the instance of its node, or is appended when the child had
 *   none there; the instances on other nodes are kept;
 * - on a merge, tag and metadata are replaced together when tag is not NULL
 *   or n_metadata > 0 (the new tag is then tag, possibly none, and the
 *   metadata exactly the n_metadata pairs given); with tag NULL and
 *   n_metadata 0 the old tag and metadata are both kept. To clear them,
 *   remove the entry and insert it again.
 * The tag index follows the tag. Returns 1 when a new entry was created, 0
 * when one was merged. */
int registry_insert(
                registry *r,
                const child_spec *spec,
                const registry_instance *instances,
                size_t n_instances,
                const char *tag,
                const registry_kv *metadata,
                size_t n_metadata);

/* Remove the entry id: -ENOENT when there is none. */
int registry_remove(registry *r, const char *id);

/* Drop id's instance on node. Returns 1 when it was the last one and the
 * entry went away with it, 0 when other instances remain, -ENOENT when
 * there is no such id or no instance of it on node. */
int registry_remove_node(registry *r, const char *id, const char *node);

/* Set the pid of id's instance on node: -ENOENT when there is no such id or
 * no instance of it on node. Setting the pid it already has is a no-op. */
int registry_update_pid(registry *r, const char *id, const char *node, pid_t pid);

/* Rename node old_node to new_node in every entry (an admin action: O(n)
 * over the registry). Returns the number of entries changed. -EEXIST, and
 * nothing changed, when an entry has instances on both nodes. Readers may
 * see some entries renamed and others not yet while it runs. */
int registry_rename_node(registry *r, const char *old_node, const char *new_node);

/* A node left: remove every instance on node (O(n) over the registry).
 * Entries left without instances are removed; the others get a new version
 * without that instance (entries that had no instance to begin with are
 * left alone). When ret_removed is given, it gets a malloc'ed array of the
 * references to the removed entries, as they were last published, and
 * ret_n their number (NULL and 0 when none): free it with
 * registry_entries_free(). ret_removed and ret_n are given both or neither.
 * Returns the number of entries removed or changed. */
int registry_drop_node(registry *r, const char *node, registry_entry ***ret_removed, size_t *ret_n);

/* ---- Readers: any thread. ---- */

/* A new reference to id's entry, or NULL when there is none (or r or id is
 * NULL). Drop it with registry_entry_unref(). */
registry_entry *registry_lookup(registry *r, const char *id);

/* The pid of id's first instance, read in place (no reference taken):
 * -ENOENT when id has no entry, -ESRCH when it has no instance. */
int registry_lookup_pid(registry *r, const char *id, pid_t *ret_pid);

/* References to all entries at one instant, in the order they were
 * created, in an array from malloc (NULL when empty): free both with
 * registry_entries_free(). Returns the number of entries. */
int registry_list(registry *r, registry_entry ***ret_entries, size_t *ret_n);

/* The same for the entries whose tag is tag, in the order they got it. A
 * tag no entry has gives 0 entries, not an error. */
int registry_tag_query(registry *r, const char *tag, registry_entry ***ret_entries, size_t *ret_n);

/* Unref the n entries and free the array. NULL-safe. */
void registry_entries_free(registry_entry **entries, size_t n);

/* The number of entries (0 for NULL). */
size_t registry_size(registry *r);

/* Whether id has an entry (false for NULL arguments). */
bool registry_contains(registry *r, const char *id);

/* Which of the n ids have an entry (for check_existing): returns how many,
 * and when ret_present is given, a NULL-terminated strv (strv_free()) of
 * copies of those ids, in the order given. Each id is looked up on its own:
 * an id inserted or removed during the call may or may not be counted. */
int registry_find_existing(registry *r, char *const *ids, size_t n, char ***ret_present);

static inline void registry_freep(registry **r) {
        if (*r)
                registry_free(*r);
}
static inline void registry_entry_unrefp(registry_entry **e) {
        if (*e)
                registry_entry_unref(*e);
}
#define _cleanup_registry_ __attribute__((cleanup(registry_freep)))
#define _cleanup_registry_entry_ __attribute__((cleanup(registry_entry_unrefp)))
