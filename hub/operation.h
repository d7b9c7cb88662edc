/* SPDX-License-Identifier: MIT */
#pragma once

/* A start or stop operation: what the API call asked for, where each child
 * stands, and the future its result goes to. Built on the caller's thread,
 * handed to the loop thread, queued in the coordinator, run there. It lives
 * until its result is complete and every child it touched has answered
 * (a child may answer after the operation timed out). */

#include "hub-internal.h"

typedef enum operation_item_state {
        OPERATION_ITEM_QUEUED,
        OPERATION_ITEM_PENDING,   /* asked the supervisor; waiting */
        OPERATION_ITEM_DONE,      /* started, or stopped */
        OPERATION_ITEM_FAILED,
        OPERATION_ITEM_TIMED_OUT, /* no answer within the timeout: node_receive_timeout */
} operation_item_state;

typedef struct operation_item {
        struct hub_operation *operation;
        child_spec *spec;   /* start */
        char *id;           /* stop; for start: spec->id */
        operation_item_state state;
        pid_t pid;
        char *node;
        char *reason;
        bool rolled_back;
} operation_item;

struct hub_operation {
        ph_hub *hub;
        ph_result_kind kind;
        ph_future *future; /* the operation's own ref, or NULL when not awaitable */
        operation_item *items;
        size_t n_items;
        size_t next_item;  /* start: the first item not asked yet */
        size_t n_pending;  /* items waiting for the supervisor */
        size_t n_rollback_pending;

        uint64_t timeout_usec;
        ph_on_failure on_failure;
        bool disable_logging;
        char *tag;
        registry_kv *metadata;
        size_t n_metadata;

        loop_source *timer;
        bool finished;     /* result complete (or abandoned) */
        bool rolling_back;

        struct hub_operation *next, *prev; /* hub->operations */
};

hub_operation *operation_new(ph_hub *hub, ph_result_kind kind, size_t n_items);
/* Free when finished and nothing is pending any more. */
void operation_release_if_done(hub_operation *op);
void operation_free(hub_operation *op);
/* Queue it in the coordinator from the caller's thread. */
int operation_submit(hub_operation *op);
void operation_item_fail(operation_item *item, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* operation-start.c / operation-stop.c */
void operation_start_run(hub_operation *op);
void operation_stop_run(hub_operation *op);
