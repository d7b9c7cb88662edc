/* SPDX-License-Identifier: MIT */
#pragma once

/* The hook handlers of one hub, per ph_hook_key.
 *
 * Each key has an immutable, refcounted array of handlers, sorted (higher
 * priority first, equal priorities in registration order). Register and
 * cancel build a new array and swap it in under the table's mutex
 * (copy-on-write); a dispatch takes a reference to the array current when
 * it begins and calls the handlers without holding the mutex. So register
 * and cancel may be called from any thread, also from inside a handler, and
 * a dispatch in progress goes on with the handlers it started with. */

#include <stdbool.h>
#include <stddef.h>

#include "macros.h"
#include "processhub.h"

typedef struct hook_table hook_table;

int hook_table_new(hook_table **ret);
/* Accepts NULL; returns NULL. No dispatch may be running. */
hook_table *hook_table_free(hook_table *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(hook_table *, hook_table_free);

/* Add handlers for key; their ids are copied. All or nothing: -EEXIST when
 * an id is already registered for key or appears twice in handlers, and
 * then none is added. -EINVAL for a bad key, handlers NULL, n == 0, or a
 * handler with a NULL or empty id or a NULL fn. */
int hook_table_register(hook_table *t, ph_hook_key key, const ph_hook_handler *handlers, size_t n);

/* Remove the handlers of key with these ids. -ENOENT when one of the ids is
 * not registered (the others are removed all the same); -EINVAL for a bad
 * key, ids NULL, n == 0, or a NULL or empty id (then nothing is removed). */
int hook_table_cancel(hook_table *t, ph_hook_key key, const char *const *ids, size_t n);

/* Whether key has handlers: no lock taken, for skipping payloads nobody
 * listens to. false for a NULL table or a bad key. */
bool hook_table_has_handlers(hook_table *t, ph_hook_key key);

/* Call the handlers of event->key in order with (hub, event, userdata).
 * For PH_HOOK_CHILD_DATA_ALTER the first negative return stops the
 * dispatch and is returned; for the other keys negative returns are logged
 * (debug) and 0 is returned. -EINVAL for a NULL table or event or a bad
 * key. */
int hook_table_dispatch(hook_table *t, ph_hub *hub, const ph_hook_event *event);
