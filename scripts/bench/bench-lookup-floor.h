/* SPDX-License-Identifier: MIT */
#pragma once

/* The floor of a lookup, the way the raw loop is the floor of a restart: the
 * same ids in the simplest tables that can answer ph_get_pid() and
 * ph_child_lookup(), built once and never changed, read by one thread with
 * no reclamation scheme, no reference and no allocation.
 *
 * - The pid table: 32-byte cells holding the id's hash, the id (up to 15
 *   bytes) and the pid, open addressing filled to at most 3/4. A hit reads
 *   one cell: the least any index can read.
 * - The record table: what ph_child_lookup() hands out (ph_child_info, the
 *   spec view, one instance) stored inline in 256-byte cells with the hash
 *   and the id, copied out on a hit. A hit reads one cell's lines, all
 *   known from the hash at once, so they come from memory side by side
 *   and cost about one read in a row.
 *
 * Both hash the id as the registry does (XXH3, seeded). Whatever the
 * registry does beyond this (updates while read, lookups from any thread,
 * infos that outlive the registry's changes, ids of any length) costs
 * what the gap to the floor shows. */

#include <stddef.h>
#include <sys/types.h>

#include "processhub.h"

#define LOOKUP_FLOOR_ID_MAX 15

typedef struct lookup_floor lookup_floor;

/* ids: n strings of at most LOOKUP_FLOOR_ID_MAX bytes, all different; pids[i]
 * is ids[i]'s pid, spec the view every record holds (with ids[i] as id). */
int lookup_floor_new(const char *const *ids, const pid_t *pids, size_t n, const ph_child_spec *spec,
                     lookup_floor **ret);
/* -ENOENT when id is not in the table. */
int lookup_floor_pid(const lookup_floor *f, const char *id, pid_t *ret_pid);
int lookup_floor_record(const lookup_floor *f, const char *id, ph_child_info *ret_info);
lookup_floor *lookup_floor_free(lookup_floor *f);
