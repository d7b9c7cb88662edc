/* SPDX-License-Identifier: MIT */

/* Starting children: validation and the existing-id check on the caller's
 * thread (errors come back at once), then on the loop thread the
 * pre_children_start hook, the alter hook per child, the supervisor's
 * starts, registration of each started child, the timeout, rollback, and
 * the result. */

#include <stdio.h>
#include <string.h>

#include "future.h"
#include "log.h"
#include "macros.h"
#include "operation.h"
#include "time-util.h"
#include "../client/client.h"

_public_ void ph_start_opts_init(ph_start_opts *opts) {
        if (!opts)
                return;
        *opts = (ph_start_opts) {
                .timeout_ms = PH_DEFAULT_TIMEOUT_MS,
                .await_timeout_ms = PH_DEFAULT_AWAIT_TIMEOUT_MS,
                .check_existing = true,
                .on_failure = PH_ON_FAILURE_CONTINUE,
        };
}

static void operation_start_finish(hub_operation *op);

static void start_fire_pre_hook(hub_operation *op) {
        ph_hub *hub = op->hub;

        if (!hook_table_has_handlers(hub->hooks, PH_HOOK_PRE_CHILDREN_START))
                return;
        ph_hook_child *children = calloc(op->n_items, sizeof(ph_hook_child));
        if (!children)
                return;
        for (size_t i = 0; i < op->n_items; i++)
                children[i].id = op->items[i].spec->id;
        hub_hook(hub, &(ph_hook_event) {
                .key = PH_HOOK_PRE_CHILDREN_START,
                .hub_id = hub->hub_id,
                .node = op->items[0].node,
                .children = children,
                .n_children = op->n_items,
        });
        free(children);
}

/* child_data_alter: handlers may change the spec (and metadata) about to
 * start; what they leave is validated again. */
static int start_alter(hub_operation *op, operation_item *item) {
        ph_hub *hub = op->hub;
        ph_child_spec pub;
        ph_metadata md = { .tag = op->tag, .values = (const ph_kv *) op->metadata, .n_values = op->n_metadata };
        child_spec *altered = NULL;
        _cleanup_free_ char *error = NULL;
        int r;

        if (!hook_table_has_handlers(hub->hooks, PH_HOOK_CHILD_DATA_ALTER))
                return 0;

        hub_spec_to_public(item->spec, &pub);
        r = hook_table_dispatch(hub->hooks, hub, &(ph_hook_event) {
                .key = PH_HOOK_CHILD_DATA_ALTER,
                .hub_id = hub->hub_id,
                .node = item->node,
                .child_id = item->spec->id,
                .spec = &pub,
                .metadata = &md,
        });
        if (r < 0) {
                operation_item_fail(item, "child_data_alter handler refused it: %s", strerror(-r));
                return r;
        }
        if (!pub.id || strcmp(pub.id, item->spec->id) != 0) {
                operation_item_fail(item, "child_data_alter handler changed the id");
                return -EINVAL;
        }
        r = hub_spec_from_public(&pub, &altered, &error);
        if (r < 0) {
                operation_item_fail(item, "after child_data_alter: %s", error ?: strerror(-r));
                return r;
        }
        child_spec_free(item->spec);
        item->spec = altered;
        return 0;
}

static void start_more(hub_operation *op);

static void start_item_answered(operation_item *item) {
        hub_operation *op = item->operation;

        assert(op->n_pending > 0);
        op->n_pending--;
        if (op->rolling_back || op->finished) {
                operation_release_if_done(op);
                return;
        }
        start_more(op);
        if (op->n_pending == 0 && op->next_item >= op->n_items)
                operation_start_finish(op);
}

static void start_on_started(supervisor *s, const char *id, int error, const char *reason, pid_t pid, void *userdata) {
        operation_item *item = userdata;
        hub_operation *op = item->operation;
        int r;

        if (error < 0) {
                if (item->state == OPERATION_ITEM_PENDING)
                        operation_item_fail(item, "%s", reason ?: strerror(-error));
        } else {
                (void) local_states_set(op->hub->local_states, id, pid, "running", -1, NULL, NULL);
                /* Registered also when the answer comes after the timeout:
                 * the registry says what runs. */
                r = hub_register_local(op->hub, item->spec, pid, op->tag, op->metadata, op->n_metadata);
                if (r < 0)
                        log_debug("hub %s: registering %s: %s", op->hub->hub_id, id, strerror(-r));
                if (item->state == OPERATION_ITEM_PENDING) {
                        item->state = OPERATION_ITEM_DONE;
                        item->pid = pid;
                }
        }
        start_item_answered(item);
}

static int start_on_timeout(loop_source *s, uint64_t now, void *userdata) {
        hub_operation *op = userdata;

        /* Those still starting, and those not asked yet: no answer in time. */
        for (size_t i = 0; i < op->n_items; i++)
                if (op->items[i].state == OPERATION_ITEM_PENDING || op->items[i].state == OPERATION_ITEM_QUEUED) {
                        op->items[i].state = OPERATION_ITEM_TIMED_OUT;
                        free(op->items[i].reason);
                        op->items[i].reason = strdup("node_receive_timeout");
                }
        op->next_item = op->n_items;
        operation_start_finish(op);
        return 0;
}

/* At most START_WINDOW children starting at once: a start of 10,000 must
 * not keep the loop busy in one go (each spawn suspends the loop thread
 * until the child's execve() passed its point of no return), and children
 * with notify readiness each hold a socket until READY=1. */
#define START_WINDOW 256u

static void start_more(hub_operation *op) {
        ph_hub *hub = op->hub;
        int r;

        while (op->n_pending < START_WINDOW && op->next_item < op->n_items) {
                operation_item *item = &op->items[op->next_item++];
                const char *reason = NULL;

                if (start_alter(op, item) < 0)
                        continue;
                item->state = OPERATION_ITEM_PENDING;
                r = supervisor_start_child(hub->supervisor, item->spec, start_on_started, item, &reason);
                if (r < 0) {
                        if (r == -EEXIST)
                                operation_item_fail(item, "already_started");
                        else if (r == -EINVAL)
                                operation_item_fail(item, "invalid spec: %s", reason ?: "?");
                        else
                                operation_item_fail(item, "%s: %s", reason ?: "start failed", strerror(-r));
                        continue;
                }
                op->n_pending++;
                (void) local_states_set(hub->local_states, item->spec->id, 0, "starting", 0, "", "");
        }
}

void operation_start_run(hub_operation *op) {
        ph_hub *hub = op->hub;
        int r;

        if (hub->stopping) {
                for (size_t i = 0; i < op->n_items; i++)
                        operation_item_fail(&op->items[i], "hub_stopped");
                operation_start_finish(op);
                return;
        }

        start_fire_pre_hook(op);
        start_more(op);

        if (op->n_pending == 0) {
                operation_start_finish(op);
                return;
        }
        r = loop_add_timer(hub->loop, &op->timer, now_usec() + op->timeout_usec, 0, start_on_timeout, op);
        if (r < 0)
                log_debug("hub %s: no timer for a start: %s", hub->hub_id, strerror(-r));
}

/* Rollback: stop what started (and what is still starting), so that the
 * registry is left as it was. */
static void start_on_rolled_back(supervisor *s, const char *id, int error, void *userdata) {
        operation_item *item = userdata;
        hub_operation *op = item->operation;

        hub_unregister_local(op->hub, id);
        item->rolled_back = true;
        assert(op->n_rollback_pending > 0);
        op->n_rollback_pending--;
        if (op->n_rollback_pending == 0)
                operation_start_finish(op);
}

static bool start_rollback(hub_operation *op) {
        op->rolling_back = true;
        /* Children that crashed meanwhile answer from inside
         * supervisor_stop_child(): hold a count until all were asked. */
        op->n_rollback_pending++;
        for (size_t i = 0; i < op->n_items; i++) {
                operation_item *item = &op->items[i];

                if (item->state != OPERATION_ITEM_DONE && item->state != OPERATION_ITEM_TIMED_OUT &&
                    item->state != OPERATION_ITEM_PENDING)
                        continue;
                op->n_rollback_pending++;
                if (supervisor_stop_child(op->hub->supervisor, item->spec->id, start_on_rolled_back, item) < 0) {
                        op->n_rollback_pending--;
                        hub_unregister_local(op->hub, item->spec->id);
                }
        }
        return --op->n_rollback_pending > 0;
}

static void start_fire_post_hooks(hub_operation *op) {
        ph_hub *hub = op->hub;
        bool post = hook_table_has_handlers(hub->hooks, PH_HOOK_POST_CHILDREN_START);
        bool startups = hook_table_has_handlers(hub->hooks, PH_HOOK_PROCESS_STARTUPS);

        if (!post && !startups)
                return;

        ph_hook_child *children = calloc(op->n_items, sizeof(ph_hook_child));
        ph_instance *instances = calloc(op->n_items, sizeof(ph_instance));
        if (!children || !instances)
                goto finish;

        size_t n = 0;
        for (size_t i = 0; i < op->n_items; i++) {
                operation_item *item = &op->items[i];
                bool ok = item->state == OPERATION_ITEM_DONE && !item->rolled_back;

                instances[i] = (ph_instance) { .node = item->node, .pid = ok ? item->pid : 0 };
                children[i] = (ph_hook_child) {
                        .id = item->spec->id,
                        .instances = ok ? &instances[i] : NULL,
                        .n_instances = ok ? 1 : 0,
                        .error = ok ? 0 : -ECHILD,
                        .reason = ok ? NULL : (item->reason ?: "rolled back"),
                };
        }
        if (post)
                hub_hook(hub, &(ph_hook_event) {
                        .key = PH_HOOK_POST_CHILDREN_START,
                        .hub_id = hub->hub_id,
                        .node = op->items[0].node,
                        .children = children,
                        .n_children = op->n_items,
                });

        /* process_startups: only those that run, after the registry has
         * them. */
        for (size_t i = 0; i < op->n_items; i++)
                if (children[i].n_instances > 0)
                        children[n++] = children[i];
        if (startups && n > 0)
                hub_hook(hub, &(ph_hook_event) {
                        .key = PH_HOOK_PROCESS_STARTUPS,
                        .hub_id = hub->hub_id,
                        .node = op->items[0].node,
                        .children = children,
                        .n_children = n,
                });
finish:
        free(children);
        free(instances);
}

static void operation_start_finish(hub_operation *op) {
        bool failed = false;

        if (op->finished)
                return;
        op->timer = loop_source_free(op->timer);

        for (size_t i = 0; i < op->n_items && !failed; i++)
                failed = op->items[i].state != OPERATION_ITEM_DONE;

        /* Rollback first (its answers call back here), then the result. */
        if (failed && op->on_failure == PH_ON_FAILURE_ROLLBACK && !op->rolling_back && start_rollback(op))
                return;

        op->finished = true;
        /* A start that was answered is on record: a crash of this process
         * right after the answer must not leave its children as strays to
         * be killed at the next start (one write per call, not per child). */
        hub_state_flush_pending(op->hub);
        start_fire_post_hooks(op);

        if (op->future) {
                ph_result *r = future_result(op->future);

                for (size_t i = 0; i < op->n_items; i++) {
                        operation_item *item = &op->items[i];

                        if (item->state == OPERATION_ITEM_DONE && !item->rolled_back)
                                (void) result_add_child(r, item->spec->id,
                                                        &(ph_instance) { .node = item->node, .pid = item->pid }, 1);
                        else if (item->state != OPERATION_ITEM_DONE)
                                (void) result_add_error(r, item->spec->id, item->node,
                                                        item->reason ?: "unknown");
                }
                result_set_rollback(r, op->rolling_back);
                future_complete(op->future);
        }
        operation_release_if_done(op);
}

/* ---- The API side (any thread) ---- */

static int start_check_existing(ph_hub *hub, char *const *ids, size_t n, char **ret_error_text) {
        _cleanup_strv_free_ char **present = NULL;
        int r;

        r = registry_find_existing(hub->registry, ids, n, &present);
        if (r <= 0)
                return r;

        /* "already started: a, b, c" */
        size_t len = 32;
        for (char **p = present; *p; p++)
                len += strlen(*p) + 2;
        _cleanup_free_ char *text = malloc(len);
        if (!text)
                return -ENOMEM;
        char *t = stpcpy(text, "already started:");
        for (char **p = present; *p; p++)
                t = stpcpy(stpcpy(t, p == present ? " " : ", "), *p);
        if (ret_error_text) {
                free(*ret_error_text);
                *ret_error_text = TAKE_PTR(text);
        }
        return -EEXIST;
}

static int start_copy_metadata(hub_operation *op, const ph_metadata *md, char **ret_error_text) {
        if (!md)
                return 0;
        if (md->n_values > 0 && !md->values) {
                hub_error_text(ret_error_text, "metadata: values missing for %zu keys", md->n_values);
                return -EINVAL;
        }
        if (md->tag && !(op->tag = strdup(md->tag)))
                return -ENOMEM;
        if (md->n_values == 0)
                return 0;
        op->metadata = calloc(md->n_values, sizeof(registry_kv));
        if (!op->metadata)
                return -ENOMEM;
        op->n_metadata = md->n_values;
        for (size_t i = 0; i < md->n_values; i++) {
                if (!md->values[i].key || !md->values[i].key[0] || !md->values[i].value) {
                        hub_error_text(ret_error_text, "metadata: entry %zu needs a key and a value", i);
                        return -EINVAL;
                }
                op->metadata[i].key = strdup(md->values[i].key);
                op->metadata[i].value = strdup(md->values[i].value);
                if (!op->metadata[i].key || !op->metadata[i].value)
                        return -ENOMEM;
        }
        return 0;
}

int hub_start_args_check(const ph_child_spec *specs, size_t n_specs, const ph_start_opts *opts,
                         char **ret_error_text) {
        if (n_specs == 0 || !specs) {
                hub_error_text(ret_error_text, "no children to start");
                return -EINVAL;
        }
        if (opts->timeout_ms == 0) {
                hub_error_text(ret_error_text, "timeout must be above 0");
                return -EINVAL;
        }
        if (opts->awaitable && opts->await_timeout_ms == 0) {
                hub_error_text(ret_error_text, "await_timeout must be above 0");
                return -EINVAL;
        }
        if (opts->on_failure < 0 || opts->on_failure >= _PH_ON_FAILURE_MAX) {
                hub_error_text(ret_error_text, "on_failure is not one of continue, rollback");
                return -EINVAL;
        }
        return 0;
}

_public_ int ph_start_children(ph_hub *hub, const ph_child_spec *specs, size_t n_specs, const ph_start_opts *opts,
                               ph_future **ret_future, char **ret_error_text) {
        ph_start_opts defaults;
        hub_operation *op = NULL;
        _cleanup_free_ char *node = NULL;
        int r;

        assert_return(hub, -EINVAL);
        if (!opts) {
                ph_start_opts_init(&defaults);
                opts = &defaults;
        }
        r = hub_start_args_check(specs, n_specs, opts, ret_error_text);
        if (r < 0)
                return r;
        if (hub->remote)
                return client_start_children(hub->remote, specs, n_specs, opts, ret_future, ret_error_text);
        if (!ph_is_alive(hub)) {
                hub_error_text(ret_error_text, "hub %s is not running", hub->hub_id);
                return -ESHUTDOWN;
        }
        node = hub_node_dup(hub);
        if (!node)
                return -ENOMEM;
        if (opts->node && strcmp(opts->node, node) != 0) {
                hub_error_text(ret_error_text, "node %s is not a node of hub %s", opts->node, hub->hub_id);
                return -EHOSTUNREACH;
        }

        op = operation_new(hub, PH_RESULT_START, n_specs);
        if (!op)
                return -ENOMEM;
        op->timeout_usec = ms_to_usec(opts->timeout_ms);
        op->on_failure = opts->on_failure;
        op->disable_logging = opts->disable_logging;

        _cleanup_free_ char **ids = calloc(n_specs + 1, sizeof(char *));
        if (!ids) {
                r = -ENOMEM;
                goto fail;
        }
        for (size_t i = 0; i < n_specs; i++) {
                r = hub_spec_from_public(&specs[i], &op->items[i].spec, ret_error_text);
                if (r < 0)
                        goto fail;
                op->items[i].node = strdup(node);
                if (!op->items[i].node) {
                        r = -ENOMEM;
                        goto fail;
                }
                op->items[i].id = strdup(op->items[i].spec->id);
                if (!op->items[i].id) {
                        r = -ENOMEM;
                        goto fail;
                }
                ids[i] = op->items[i].spec->id;
                /* The same id twice in one call. */
                for (size_t j = 0; j < i; j++)
                        if (strcmp(ids[j], ids[i]) == 0) {
                                hub_error_text(ret_error_text, "child %s: given twice", ids[i]);
                                r = -EINVAL;
                                goto fail;
                        }
        }
        r = start_copy_metadata(op, opts->metadata, ret_error_text);
        if (r < 0)
                goto fail;
        if (opts->check_existing) {
                r = start_check_existing(hub, ids, n_specs, ret_error_text);
                if (r < 0)
                        goto fail;
        }

        ph_future *caller_future = NULL;
        if (opts->awaitable) {
                r = future_new(PH_RESULT_START, opts->await_timeout_ms, &caller_future);
                if (r < 0)
                        goto fail;
                op->future = future_ref(caller_future);
        }

        r = operation_submit(op);
        if (r < 0) {
                future_unref(caller_future);
                hub_error_text(ret_error_text, "hub %s is stopping", hub->hub_id);
                goto fail;
        }
        if (ret_future)
                *ret_future = caller_future;
        else
                future_unref(caller_future); /* awaitable, but nobody to hand it to */
        return 0;

fail:
        operation_free(op);
        return r;
}

_public_ int ph_start_child(ph_hub *hub, const ph_child_spec *spec, const ph_start_opts *opts, ph_future **ret_future,
                            char **ret_error_text) {
        assert_return(hub, -EINVAL);
        if (!spec) {
                hub_error_text(ret_error_text, "no child to start");
                return -EINVAL;
        }
        return ph_start_children(hub, spec, 1, opts, ret_future, ret_error_text);
}
