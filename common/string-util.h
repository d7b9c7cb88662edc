/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* Replace *p with a newly formatted string (or NULL when out of memory):
 * for reason and failure texts that are replaced as things happen. */
__attribute__((format(printf, 2, 0))) static inline void free_and_vprintf(char **p, const char *fmt, va_list ap) {
        char *s = NULL;

        if (vasprintf(&s, fmt, ap) < 0)
                s = NULL;
        free(*p);
        *p = s;
}

__attribute__((format(printf, 2, 3))) static inline void free_and_printf(char **p, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        free_and_vprintf(p, fmt, ap);
        va_end(ap);
}
