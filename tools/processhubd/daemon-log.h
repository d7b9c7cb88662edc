/* SPDX-License-Identifier: MIT */
#pragma once

/* The daemon's own log: to the journal with structured fields (HUB_ID=,
 * CHILD_ID=) when systemd started us with stderr connected to the journal,
 * to stderr otherwise ("processhubd: hub demo: child ticker: restarted,
 * pid 123"). Callable from any thread. */

#include <syslog.h>

#include "macros.h"

/* Decide where lines go; call once at start. */
void daemon_log_open(void);
void daemon_log(int priority, const char *hub, const char *child, const char *fmt, ...) _printf_(4, 5);

#define dlog_error(hub, child, ...) daemon_log(LOG_ERR, hub, child, __VA_ARGS__)
#define dlog_warning(hub, child, ...) daemon_log(LOG_WARNING, hub, child, __VA_ARGS__)
#define dlog_info(hub, child, ...) daemon_log(LOG_INFO, hub, child, __VA_ARGS__)
#define dlog_debug(hub, child, ...) daemon_log(LOG_DEBUG, hub, child, __VA_ARGS__)
