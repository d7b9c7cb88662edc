/* SPDX-License-Identifier: MIT */
#pragma once

/* The shapes of docs/control-protocol.md: library values to JSON (json-c)
 * and request arguments back to library values. Encoders return NULL
 * only when out of memory. Decoders return -EINVAL with a text naming the
 * field ("args.specs[0].argv: not an array of strings"). */

#include <json-c/json.h>

#include "macros.h"
#include "processhub.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);
#define _cleanup_json_ _cleanup_(json_object_putp)

json_object *json_instances(const ph_instance *instances, size_t n);
json_object *json_spec(const ph_child_spec *spec);
json_object *json_info(const ph_child_info *info, const char *id, bool with_metadata);
json_object *json_start_result(const ph_result *result);
json_object *json_stop_result(const ph_result *result);
json_object *json_child_states(const ph_child_state *states, size_t n);
/* The event of a hook, "time_us" included. */
json_object *json_hook_event(const ph_hook_event *event);
/* A list of children; the tag of each is looked up in hub. */
json_object *json_child_list(ph_hub *hub, const ph_child_list *list);

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

/* Add a field; a NULL string becomes JSON null. */
void json_add_string(json_object *o, const char *key, const char *value);
void json_add_int(json_object *o, const char *key, int64_t value);
