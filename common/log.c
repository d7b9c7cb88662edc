/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"

bool log_debug_enabled(void) {
        static int enabled = -1;

        /* Racy first read is harmless: every thread computes the same value. */
        if (__atomic_load_n(&enabled, __ATOMIC_RELAXED) < 0)
                __atomic_store_n(&enabled, getenv("PROCESSHUB_DEBUG") ? 1 : 0, __ATOMIC_RELAXED);
        return __atomic_load_n(&enabled, __ATOMIC_RELAXED) > 0;
}

void log_debug_internal(const char *file, int line, const char *fmt, ...) {
        va_list ap;
        int saved = errno;

        fprintf(stderr, "processhub[%d] %s:%d: ", (int) getpid(), file, line);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        errno = saved;
}
