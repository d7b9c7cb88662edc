/* SPDX-License-Identifier: MIT */
#pragma once

/* JSON text written straight into a buffer, for what is written over and
 * over: the daemon's replies to "pid" and "lookup", the hub's state file
 * (rewritten as children change). Building a json-c tree first cost an
 * allocation per value and as many frees (a child's spec is some thirty
 * values), then a pass to print it. The text is byte for byte what json-c
 * prints with JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE (the
 * daemon's way), so that a reply does not depend on which of the two
 * wrote it; test-json-writer compares them.
 *
 * Calls must nest as JSON does (a key, then its value, inside an object);
 * that is the caller's to get right, as with a tree. Running out of
 * memory is remembered and reported once, by json_writer_text(). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct json_writer {
        char *buf;
        size_t len, size;
        bool need_comma; /* a value was written in the open container */
        bool oom;
} json_writer;

#define JSON_WRITER_INIT ((json_writer) {})

/* Empty it for the next text, keeping the buffer. */
void json_writer_reset(json_writer *w);
/* Free the buffer. */
void json_writer_done(json_writer *w);

void json_writer_object_begin(json_writer *w);
void json_writer_object_end(json_writer *w);
void json_writer_array_begin(json_writer *w);
void json_writer_array_end(json_writer *w);
/* Inside an object: the next value's key. */
void json_writer_key(json_writer *w, const char *key);

/* NULL: null. */
void json_writer_string(json_writer *w, const char *s);
void json_writer_int(json_writer *w, int64_t v);
void json_writer_uint(json_writer *w, uint64_t v);
void json_writer_bool(json_writer *w, bool v);
void json_writer_null(json_writer *w);
/* A value already written as JSON (len bytes of it). */
void json_writer_raw(json_writer *w, const char *json, size_t len);

/* Key and value at once. */
void json_writer_field_string(json_writer *w, const char *key, const char *s);
void json_writer_field_int(json_writer *w, const char *key, int64_t v);
void json_writer_field_uint(json_writer *w, const char *key, uint64_t v);
/* NULL for a NULL list, else an array of its strings. */
void json_writer_field_strv(json_writer *w, const char *key, const char *const *l);

/* The text so far, NUL-terminated, owned by w; NULL when memory ran out at
 * any point since the last reset. */
const char *json_writer_text(json_writer *w, size_t *ret_len);
/* The same, handed over (free() it); w is left empty. NULL when memory ran
 * out, w then emptied as well. */
char *json_writer_take(json_writer *w, size_t *ret_len);
