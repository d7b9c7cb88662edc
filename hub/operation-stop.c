/* SPDX-License-Identifier: MIT */

/* Stopping children: look each one up, ask the node that runs it (here:
 * the local supervisor) to stop it, unregister it once gone, and report
 * per child the nodes it was stopped on. */

#include <stdio.h>
#include <string.h>

#include "future.h"
#include "log.h"
#include "macros.h"
#include "operation.h"
#include "time-util.h"
#include "../client/client.h"

_public_ void ph_stop_opts_init(ph_stop_opts *opts) {
        if (!opts)
                return;
        *opts = (ph_stop_opts) {
                .timeout_ms = PH_DEFAULT_TIMEOUT_MS,
                .await_timeout_ms = PH_DEFAULT_AWAIT_TIMEOUT_MS,
        };
}

static void operation_stop_finish(hub_operation *op) {
        if (op->finished)
                return;
        op->finished = true;
        op->timer = loop_source_free(op->timer);

        if (op->future) {
                ph_result *r = future_result(op->future);

                for (size_t i = 0; i < op->n_items; i++) {
                        operation_item *item = &op->items[i];

                        if (item->state == OPERATION_ITEM_DONE)
                                (void) result_add_child(r, item->id,
                                                        &(ph_instance) { .node = item->node, .pid = 0 }, 1);
                        else
                                (void) result_add_error(r, item->id, item->node, item->reason ?: "unknown");
                }
                future_complete(op->future);
        }
        operation_release_if_done(op);
}

static void stop_on_stopped(supervisor *s, const char *id, int error, void *userdata) {
        operation_item *item = userdata;
        hub_operation *op = item->operation;

        /* Unregistered before the result is out: whoever awaits it finds
         * the registry already without the child. */
        hub_unregister_local(op->hub, id);
        if (item->state == OPERATION_ITEM_PENDING)
                item->state = OPERATION_ITEM_DONE;

        assert(op->n_pending > 0);
        op->n_pending--;
        if (op->finished)
                operation_release_if_done(op);
        else if (op->n_pending == 0)
                operation_stop_finish(op);
}

static int stop_on_timeout(loop_source *s, uint64_t now, void *userdata) {
        hub_operation *op = userdata;

        for (size_t i = 0; i < op->n_items; i++)
                if (op->items[i].state == OPERATION_ITEM_PENDING) {
                        op->items[i].state = OPERATION_ITEM_TIMED_OUT;
                        free(op->items[i].reason);
                        op->items[i].reason = strdup("node_receive_timeout");
                }
        operation_stop_finish(op);
        return 0;
}

void operation_stop_run(hub_operation *op) {
        ph_hub *hub = op->hub;
        _cleanup_free_ char *local = hub_node_dup(hub);
        int r;

        /* A child that is failed or backing off answers at once, from
         * inside supervisor_stop_child(): hold one pending count of our own
         * so that nothing finishes before every child was asked. */
        op->n_pending++;
        for (size_t i = 0; i < op->n_items; i++) {
                operation_item *item = &op->items[i];
                registry_entry *e = registry_lookup(hub->registry, item->id);
                bool here = false;

                if (!e) {
                        operation_item_fail(item, "not_found");
                        continue;
                }
                for (size_t j = 0; j < e->n_instances && local; j++)
                        here = here || strcmp(e->instances[j].node, local) == 0;
                registry_entry_unref(e);
                if (!here) {
                        operation_item_fail(item, "node_unreachable");
                        continue;
                }

                free(item->node);
                item->node = strdup(local);
                item->state = OPERATION_ITEM_PENDING;
                op->n_pending++;
                supervisor_child *c = supervisor_find_child(hub->supervisor, item->id);
                if (c)
                        (void) local_states_set(hub->local_states, item->id, supervisor_child_pid(c), "stopping", -1,
                                                NULL, NULL);
                r = supervisor_stop_child(hub->supervisor, item->id, stop_on_stopped, item);
                if (r < 0) {
                        op->n_pending--;
                        if (r == -EALREADY)
                                /* Another stop is under way: this one reports it too. */
                                item->state = OPERATION_ITEM_DONE;
                        else
                                operation_item_fail(item, "stop failed: %s", strerror(-r));
                }
        }

        if (--op->n_pending == 0) {
                operation_stop_finish(op);
                return;
        }
        r = loop_add_timer(hub->loop, &op->timer, now_usec() + op->timeout_usec, 0, stop_on_timeout, op);
        if (r < 0)
                log_debug("hub %s: no timer for a stop: %s", hub->hub_id, strerror(-r));
}

int hub_stop_args_check(const char *const *child_ids, size_t n_ids, const ph_stop_opts *opts) {
        assert_return(child_ids && n_ids > 0, -EINVAL);
        assert_return(opts->timeout_ms > 0, -EINVAL);
        assert_return(!opts->awaitable || opts->await_timeout_ms > 0, -EINVAL);
        for (size_t i = 0; i < n_ids; i++)
                assert_return(child_ids[i] && child_id_validate(child_ids[i], NULL) >= 0, -EINVAL);
        return 0;
}

_public_ int ph_stop_children(ph_hub *hub, const char *const *child_ids, size_t n_ids, const ph_stop_opts *opts,
                              ph_future **ret_future) {
        ph_stop_opts defaults;
        ph_future *caller_future = NULL;
        hub_operation *op;
        int r;

        assert_return(hub, -EINVAL);
        assert_return(child_ids || n_ids == 0, -EINVAL);
        assert_return(n_ids > 0, -EINVAL);
        if (!opts) {
                ph_stop_opts_init(&defaults);
                opts = &defaults;
        }
        r = hub_stop_args_check(child_ids, n_ids, opts);
        if (r < 0)
                return r;
        if (hub->remote)
                return client_stop_children(hub->remote, child_ids, n_ids, opts, ret_future);
        if (!ph_is_alive(hub))
                return -ESHUTDOWN;

        op = operation_new(hub, PH_RESULT_STOP, n_ids);
        if (!op)
                return -ENOMEM;
        op->timeout_usec = ms_to_usec(opts->timeout_ms);
        for (size_t i = 0; i < n_ids; i++) {
                op->items[i].id = strdup(child_ids[i]);
                if (!op->items[i].id) {
                        r = -ENOMEM;
                        goto fail;
                }
        }
        if (opts->awaitable) {
                r = future_new(PH_RESULT_STOP, opts->await_timeout_ms, &caller_future);
                if (r < 0)
                        goto fail;
                op->future = future_ref(caller_future);
        }
        r = operation_submit(op);
        if (r < 0) {
                future_unref(caller_future);
                goto fail;
        }
        if (ret_future)
                *ret_future = caller_future;
        else
                future_unref(caller_future);
        return 0;

fail:
        operation_free(op);
        return r;
}

_public_ int ph_stop_child(ph_hub *hub, const char *child_id, const ph_stop_opts *opts, ph_future **ret_future) {
        assert_return(hub, -EINVAL);
        assert_return(child_id, -EINVAL);
        return ph_stop_children(hub, &child_id, 1, opts, ret_future);
}
