/* SPDX-License-Identifier: MIT */
#pragma once

/* Request arguments of docs/control-protocol.md back to library values
 * (the encoders: tools/protocol/protocol-shapes.h). Decoders return
 * -EINVAL with a text naming the field ("args.specs[0].argv: not an array of strings"). */

#include "protocol-shapes.h"

/* Memory a decoded spec or metadata points into, besides the request's
 * JSON (whose strings the decoded values borrow). */
typedef struct decode_arena {
        void **blocks;
        size_t n_blocks, n_allocated; /* grown geometrically: a start of 100,000 specs is one request */
} decode_arena;
void decode_arena_done(decode_arena *a);

/* args.specs[i] into *ret (ph_child_spec_init() defaults for what is left
 * out). where is the field's path for messages. */
int json_decode_spec(json_object *o, const char *where, decode_arena *arena, ph_child_spec *ret, char **ret_error_text);
int json_decode_metadata(json_object *o, const char *where, decode_arena *arena, ph_metadata *ret, char **ret_error_text);

/* Typed field access; absent fields leave *ret as it is and return 0.
 * -EINVAL with the text for a field of the wrong type. */
int json_get_bool(json_object *o, const char *key, const char *where, bool *ret, char **ret_error_text);
int json_get_u64(json_object *o, const char *key, const char *where, uint64_t *ret, char **ret_error_text);
int json_get_string(json_object *o, const char *key, const char *where, const char **ret, char **ret_error_text);
/* An array of strings, NULL-terminated, in arena. */
int json_get_strv(json_object *o, const char *key, const char *where, decode_arena *arena, const char ***ret, size_t *ret_n,
                  char **ret_error_text);
