/* SPDX-License-Identifier: MIT */
#pragma once

/* The hub's TTL storage (the reference's cache): string values under
 * string keys, each with an expiry; the hub's janitor purges expired
 * entries every storage_purge_interval. Thread-safe (one mutex, O(1) work
 * per call); an expired entry is never returned, purged or not.
 *
 * What the hub keeps here: why a child that is gone went away
 * ("last_exit:<id>"), for ph_child_last_exit(). */

#include <stdint.h>
#include <stddef.h>

typedef struct storage storage;

int storage_new(storage **ret);
storage *storage_free(storage *s);
/* Insert or replace; expires_usec is CLOCK_MONOTONIC (0: never). */
int storage_put(storage *s, const char *key, const char *value, uint64_t expires_usec);
/* A copy of the value (free()), -ENOENT when absent or expired. */
int storage_get(storage *s, const char *key, uint64_t now_usec, char **ret_value);
int storage_remove(storage *s, const char *key);
/* Drop what expired at now_usec; returns how many went. */
size_t storage_purge(storage *s, uint64_t now_usec);
size_t storage_size(storage *s);
