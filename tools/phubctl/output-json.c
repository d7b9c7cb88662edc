/* SPDX-License-Identifier: MIT */

/* phubctl's JSON: the control protocol's shapes, from the encoder the
 * daemon uses too (tools/protocol/), so that scripts read phubctl and the
 * socket alike; printed one document a line. */

#include <stdio.h>

#include "phubctl.h"

void json_print(json_object *o) {
        puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        fflush(stdout);
        json_object_put(o);
}
