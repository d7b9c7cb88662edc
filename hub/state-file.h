/* SPDX-License-Identifier: MIT */
#pragma once

/* A hub's state file: what a later process needs to adopt the children of
 * this one after it died (kill -9, crash): for every local child its spec,
 * its metadata, its pid with the process's identity (proc-stat.h: its
 * pidfs inode, or where the kernel has no pidfs its start time) and its
 * restart count.
 *
 * JSON (json-c, which libhub links anyway): readable with jq by an
 * operator, and specs carry argv/env strings with any bytes, which a line
 * format would need its own escaping for. Layout:
 *
 *   { "format": "processhub-state", "version": 1, "hub_id": "...",
 *     "children": [ { "spec": {...}, "tag": "..."|null,
 *                     "metadata": [["k","v"], ...],
 *                     "pid": 123, "start_time": 4567, "restarts": 0,
 *                     "pidfs_ino": 8910 } ] }
 *
 * pid 0 means "no process was running" (starting, restarting): such a
 * child is started afresh at adoption. start_time is 0 when the identity
 * is the pidfs inode; pidfs_ino is left out when it is not (the files of
 * the versions before it, which had start_time only, are read as they
 * were, and theirs are adopted by start time). Pure encode/decode plus the atomic
 * file write; no hub knowledge. */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "child-spec.h"
#include "proc-stat.h"
#include "registry.h"

typedef struct state_record {
        child_spec *spec;
        char *tag; /* NULL: none */
        registry_kv *metadata;
        size_t n_metadata;
        pid_t pid;
        process_identity identity;
        unsigned restarts;
} state_record;

/* Frees what the records hold, and the array. */
void state_records_free(state_record *records, size_t n);

/* Text of a state file; records' pointers are only read. */
int state_file_encode(const char *hub_id, const state_record *records, size_t n, char **ret_text);
/* -EBADMSG for anything malformed (not JSON, truncated, a wrong type, a
 * spec that does not validate, another hub's file), with *ret_error_text
 * saying what and where ("children[3].spec.argv: not an array"). */
int state_file_decode(const char *text, const char *hub_id, state_record **ret_records, size_t *ret_n,
                      char **ret_error_text);

/* Write text to path atomically: a temporary file beside it, then
 * rename(). No fsync: state files live under /run (tmpfs), and a state
 * file only matters while the machine stays up. */
int state_file_write(const char *path, const char *text);
/* Read a whole file; -ENOENT when there is none. */
int state_file_read(const char *path, char **ret_text);
