/* SPDX-License-Identifier: MIT */
#pragma once

/* processhub: supervise OS processes across a cluster of Linux hosts.
 *
 * This header is the public library API (libprocesshub, pkg-config
 * "processhub"). The hub API of the reference (ph_start_child(),
 * ph_child_lookup(), futures, hooks, ...) is built on the supervisor in
 * hub/ and arrives here with it; until then the library exports its
 * version only.
 *
 * Conventions: functions return >= 0 on success and a negative errno on
 * failure; output parameters are named ret_* and are untouched on failure. */

#ifdef __cplusplus
extern "C" {
#endif

/* The library's version, "MAJOR.MINOR.PATCH". */
const char *ph_version(void);

#ifdef __cplusplus
}
#endif
