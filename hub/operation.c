/* SPDX-License-Identifier: MIT */

/* Operations: creation on the caller's thread, hand-over to the loop
 * thread and the coordinator, and their end. */

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "future.h"
#include "log.h"
#include "macros.h"
#include "operation.h"
#include "string-util.h"

hub_operation *operation_new(ph_hub *hub, ph_result_kind kind, size_t n_items) {
        hub_operation *op = calloc(1, sizeof(*op));

        if (!op)
                return NULL;
        op->items = calloc(n_items ?: 1, sizeof(operation_item));
        if (!op->items) {
                free(op);
                return NULL;
        }
        op->hub = hub;
        op->kind = kind;
        op->n_items = n_items;
        for (size_t i = 0; i < n_items; i++)
                op->items[i].operation = op;
        return op;
}

void operation_free(hub_operation *op) {
        if (!op)
                return;
        for (size_t i = 0; i < op->n_items; i++) {
                child_spec_free(op->items[i].spec);
                free(op->items[i].id);
                free(op->items[i].node);
                free(op->items[i].reason);
        }
        free(op->items);
        for (size_t i = 0; i < op->n_metadata; i++) {
                free(op->metadata[i].key);
                free(op->metadata[i].value);
        }
        free(op->metadata);
        free(op->tag);
        loop_source_free(op->timer);
        future_unref(op->future);
        free(op);
}

static void operation_unlink(hub_operation *op) {
        ph_hub *hub = op->hub;

        if (op->prev)
                op->prev->next = op->next;
        else if (hub->operations == op)
                hub->operations = op->next;
        if (op->next)
                op->next->prev = op->prev;
        op->next = op->prev = NULL;
}

void operation_release_if_done(hub_operation *op) {
        if (!op->finished || op->n_pending > 0 || op->n_rollback_pending > 0)
                return;
        operation_unlink(op);
        operation_free(op);
}

void operation_item_fail(operation_item *item, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        free_and_vprintf(&item->reason, fmt, ap);
        va_end(ap);
        item->state = OPERATION_ITEM_FAILED;
}

static void operation_run(void *userdata) {
        hub_operation *op = userdata;

        if (op->kind == PH_RESULT_START)
                operation_start_run(op);
        else
                operation_stop_run(op);
}

static void operation_drop(void *userdata) {
        hub_operation *op = userdata;

        operation_unlink(op);
        operation_free(op);
}

/* On the loop thread: join the hub's list and wait for the coordinator. */
static void operation_enqueue(void *userdata) {
        hub_operation *op = userdata;
        ph_hub *hub = op->hub;
        int r;

        op->next = hub->operations;
        if (hub->operations)
                hub->operations->prev = op;
        hub->operations = op;

        r = coordinator_enqueue(hub->coordinator, COORDINATOR_PRIORITY_NORMAL, operation_run, operation_drop, op);
        if (r < 0) {
                /* No memory for a queue entry: run it now rather than lose it. */
                log_debug("hub %s: cannot queue an operation: %s", hub->hub_id, strerror(-r));
                operation_run(op);
        }
}

int operation_submit(hub_operation *op) {
        ph_hub *hub = op->hub;
        int r;

        pthread_mutex_lock(&hub->call_lock);
        if (!hub->accepting_calls || hub->stopping)
                r = -ESHUTDOWN;
        else
                r = loop_post(hub->loop, operation_enqueue, op);
        pthread_mutex_unlock(&hub->call_lock);
        return r;
}

/* The hub stops: every operation still there ends, its pending children
 * reported as failed (the supervisor no longer answers: it was detached). */
void hub_operations_free_all(ph_hub *hub) {
        while (hub->operations) {
                hub_operation *op = hub->operations;

                if (!op->finished && op->future) {
                        ph_result *r = future_result(op->future);
                        for (size_t i = 0; i < op->n_items; i++)
                                if (op->items[i].state == OPERATION_ITEM_PENDING ||
                                    op->items[i].state == OPERATION_ITEM_QUEUED)
                                        (void) result_add_error(r, op->items[i].id, op->items[i].node,
                                                                "hub_stopped");
                        future_complete(op->future);
                }
                operation_unlink(op);
                operation_free(op);
        }
}

