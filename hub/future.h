/* SPDX-License-Identifier: MIT */
#pragma once

/* The struct behind the public ph_future: where an operation running on the
 * hub's loop thread leaves its result for a caller awaiting it from any
 * thread.
 *
 * Two references: the caller's (handed out by future_new(), dropped by
 * ph_future_free(), which does not cancel anything) and the operation's
 * (future_ref() / future_unref()). The operation fills future_result() and
 * calls future_complete(); ph_future_await() hands out a copy.
 *
 * As the reference's result collector, a future lives await_timeout_ms from
 * future_new(): a result completed later is dropped, and awaiting then
 * answers -ETIMEDOUT. */

#include <stdbool.h>
#include <stdint.h>

#include "macros.h"
#include "processhub.h"
#include "result.h"

/* A future for an operation of this kind, with an empty result, refcount 1.
 * await_timeout_ms counts from now; 0 expires at once (the result can never
 * be collected), UINT64_MAX never. -EINVAL for a bad kind or ret NULL. */
int future_new(ph_result_kind kind, uint64_t await_timeout_ms, ph_future **ret);
/* Both accept NULL and return, respectively, f and NULL. */
ph_future *future_ref(ph_future *f);
ph_future *future_unref(ph_future *f);
DEFINE_TRIVIAL_CLEANUP_FUNC(ph_future *, future_unref);

/* The result being built. Only the operation's thread touches it, and only
 * until future_complete(); NULL afterwards when the future had expired. */
ph_result *future_result(ph_future *f);
/* The result is complete: wake whoever awaits it. A second call does
 * nothing. Completing after the deadline drops the result. */
void future_complete(ph_future *f);
/* Whether future_complete() was called. */
bool future_is_done(ph_future *f);
/* When the result stops being collectable: CLOCK_MONOTONIC usec (see
 * now_usec()), USEC_INFINITY for none. For the hub's janitor. */
uint64_t future_deadline_usec(ph_future *f);
