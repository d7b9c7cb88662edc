/* SPDX-License-Identifier: MIT */
#pragma once

/* The shapes of docs/control-protocol.md, library values to JSON (json-c):
 * what processhubd sends and what phubctl --json prints. Encoders return
 * NULL only when out of memory. */

#include <json-c/json.h>

#include "json-writer.h"
#include "macros.h"
#include "processhub.h"

/* The names of the enums on the wire, by value. */
extern const char *const protocol_restart_names[_PH_RESTART_MAX];
extern const char *const protocol_ready_names[_PH_READY_MAX];
extern const char *const protocol_output_names[_PH_OUTPUT_MAX];

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);
#define _cleanup_json_ _cleanup_(json_object_putp)

/* The shapes that replies to the frequent requests carry, written as text
 * (json-writer.h). json_spec() and json_info() parse that text, so that
 * each is defined once; json_instances() builds its two fields itself
 * (test-json-writer checks that both agree). */
void json_write_instances(json_writer *w, const ph_instance *instances, size_t n);
void json_write_spec(json_writer *w, const ph_child_spec *spec);
void json_write_info(json_writer *w, const ph_child_info *info, const char *id, bool with_metadata);
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
/* A start or a stop result, by its kind. */
json_object *json_result(const ph_result *result);
/* status: {"hub", "node", "alive", "locked", "partitioned", "nodes",
 * "children", "kernel" (when known)}. */
json_object *json_hub_status(const ph_hub_status *status);
/* NULL for a NULL list. */
json_object *json_strv(const char *const *l);

/* Add a field; a NULL string becomes JSON null. */
void json_add_string(json_object *o, const char *key, const char *value);
void json_add_int(json_object *o, const char *key, int64_t value);
