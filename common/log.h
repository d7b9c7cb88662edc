/* SPDX-License-Identifier: MIT */
#pragma once

/* Library code never logs above debug (STYLE.md). Debug lines go to stderr
 * only when PROCESSHUB_DEBUG is set in the environment, so a failing test can
 * be rerun with the trail switched on. The daemon and the CLI talk to people
 * through their own logging. */

#include "macros.h"

bool log_debug_enabled(void);
void log_debug_internal(const char *file, int line, const char *fmt, ...) _printf_(3, 4);

#define log_debug(...)                                                   \
        do {                                                             \
                if (_unlikely_(log_debug_enabled()))                     \
                        log_debug_internal(__FILE__, __LINE__, __VA_ARGS__); \
        } while (false)

/* Log and return the (negative) error, for "return log_debug_errno(r, ...);". */
#define log_debug_errno(error, ...)                                      \
        ({                                                               \
                int _e_ = (error);                                       \
                log_debug(__VA_ARGS__);                                  \
                _e_ < 0 ? _e_ : -_e_;                                    \
        })
