/* SPDX-License-Identifier: MIT */
#pragma once

/* The result of a start or stop operation, the struct behind the public
 * ph_result: its kind, the children started (with their instances) or
 * stopped (with their nodes, as instances whose pid is 0), the errors
 * (child id, node, reason) and whether a rollback happened. Built by the
 * operation on the hub's loop thread, then read-only.
 *
 * Every string and array handed in is copied. Appends are amortised O(1)
 * and do not look for an id already present: the caller adds each child
 * once.
 *
 * The public accessors (processhub.h) accept a NULL result and answer as
 * for an empty one: 0, NULL, false, _PH_RESULT_KIND_INVALID
 * (ph_result_kind_of) or _PH_STATUS_INVALID (ph_result_status).
 * ph_result_pids() and ph_result_nodes() accept a NULL array (then they
 * only count). ph_result_nodes() lists the nodes of the children's
 * instances, not those of errors. */

#include <stdbool.h>
#include <stddef.h>

#include "macros.h"
#include "processhub.h"

/* -EINVAL for a bad kind or ret NULL. */
int result_new(ph_result_kind kind, ph_result **ret);
/* Copies id and the n instances (their nodes may be NULL: not recorded
 * anywhere, then). -EINVAL for r or id NULL, or instances NULL with n > 0. */
int result_add_child(ph_result *r, const char *id, const ph_instance *instances, size_t n);
/* node may be NULL (no node involved). -EINVAL for r, id or reason NULL. */
int result_add_error(ph_result *r, const char *id, const char *node, const char *reason);
/* Does nothing for r NULL. */
void result_set_rollback(ph_result *r, bool rollback);
/* Remove the child (every entry with that id), keeping the order of the
 * others: for a rollback, where started children were stopped again.
 * -ENOENT when there is none, -EINVAL for r or id NULL. O(children). */
int result_remove_child(ph_result *r, const char *id);
/* A deep copy. -EINVAL for r or ret NULL. */
int result_copy(const ph_result *r, ph_result **ret);

DEFINE_TRIVIAL_CLEANUP_FUNC(ph_result *, ph_result_free);
