/* SPDX-License-Identifier: MIT */
#pragma once

/* Enum <-> string tables: name##_table[] indexed by the enum, with a
 * _MAX and an _INVALID (-EINVAL) value (systemd's convention). */

#include <string.h>

#include "macros.h"

#define DEFINE_STRING_TABLE_LOOKUP(name, type)                                  \
        const char *name##_to_string(type i) {                                  \
                if (i < 0 || (size_t) i >= ELEMENTSOF(name##_table))            \
                        return NULL;                                            \
                return name##_table[i];                                         \
        }                                                                       \
        type name##_from_string(const char *s) {                                \
                if (!s)                                                         \
                        return (type) -EINVAL;                                  \
                for (size_t i = 0; i < ELEMENTSOF(name##_table); i++)           \
                        if (name##_table[i] && strcmp(name##_table[i], s) == 0) \
                                return (type) i;                                \
                return (type) -EINVAL;                                          \
        }
