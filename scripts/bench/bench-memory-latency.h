/* SPDX-License-Identifier: MIT */
#pragma once

/* The machine's limit for a lookup that misses the cache: how long one read
 * takes when its address depends on the read before it and it misses every
 * cache (and the TLB), measured in the same run as the lookups it is set
 * beside. A registry lookup on a table larger than the cache is a short
 * chain of such reads (index cell, entry, spec), so its time reads best as
 * a number of them; the absolute figure on a shared VM swings with what the
 * neighbours do to the memory bus. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct memory_chase memory_chase;

/* A single random cycle through the cache lines of a buffer of `bytes`
 * (at least a few times the last-level cache, so that every step misses),
 * on huge pages where the kernel gives them. */
int memory_chase_new(size_t bytes, uint64_t seed, memory_chase **ret);
/* Nanoseconds per step over `steps` dependent reads, continuing the cycle
 * where the previous call left it. */
double memory_chase_ns(memory_chase *c, unsigned steps);
/* Whether the buffer is on huge pages (the memory's latency alone), or on
 * 4 KiB pages (with a page-table walk in each step). */
bool memory_chase_huge(const memory_chase *c);
memory_chase *memory_chase_free(memory_chase *c);
