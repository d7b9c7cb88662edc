/* SPDX-License-Identifier: MIT */

/* What the local supervisor reports, turned into registry changes and
 * hooks. Every registry change fires its hook (the reference forgets some
 * on node-down: we do not). */

#include <stdio.h>
#include <string.h>

#include "hub-internal.h"
#include "log.h"
#include "macros.h"
#include "time-util.h"

int hub_register_local(ph_hub *hub, const child_spec *spec, pid_t pid, const char *tag, const registry_kv *metadata,
                       size_t n_metadata) {
        _cleanup_free_ char *node = hub_node_dup(hub);
        registry_instance instance = { .node = node, .pid = pid };
        int r;

        if (!node)
                return -ENOMEM;
        r = registry_insert(hub->registry, spec, &instance, 1, tag, metadata, n_metadata);
        if (r < 0)
                return r;
        hub_state_mark_dirty(hub);
        hub_hook(hub, &(ph_hook_event) {
                .key = PH_HOOK_REGISTRY_PID_INSERT,
                .hub_id = hub->hub_id,
                .node = node,
                .child_id = spec->id,
                .instances = &(ph_instance) { .node = node, .pid = pid },
                .n_instances = 1,
        });
        return 0;
}

void hub_unregister_local(ph_hub *hub, const char *id) {
        _cleanup_free_ char *node = hub_node_dup(hub);
        int r;

        if (!node)
                return;
        r = registry_remove_node(hub->registry, id, node);
        if (r < 0)
                return; /* not registered (start failed), or already removed */
        hub_state_mark_dirty(hub);
        hub_hook(hub, &(ph_hook_event) {
                .key = PH_HOOK_REGISTRY_PID_REMOVE,
                .hub_id = hub->hub_id,
                .node = node,
                .child_id = id,
                .instances = &(ph_instance) { .node = node, .pid = 0 },
                .n_instances = 1,
        });
}

/* Why the child's last process ended, kept for ph_child_last_exit() past
 * the child's own end. */
static void hub_remember_exit(ph_hub *hub, const char *id, const char *what) {
        _cleanup_free_ char *key = NULL;

        if (asprintf(&key, "last_exit:%s", id) < 0)
                return;
        (void) storage_put(hub->storage, key, what, now_usec() + hub->gone_ttl_usec);
}

void hub_on_supervisor_event(supervisor *s, supervisor_child *c, supervisor_event event, void *userdata) {
        ph_hub *hub = userdata;
        const char *id = supervisor_child_id(c);
        _cleanup_free_ char *node = NULL;
        pid_t pid;
        int r;

        /* Every event changes a pid, a state or a count worth keeping. */
        hub_state_mark_dirty(hub);
        switch (event) {
        case SUPERVISOR_EVENT_EXITED: {
                char why[CHILD_EXIT_DESCRIBE_MAX];

                child_exit_describe(supervisor_child_last_exit(c), why, sizeof(why));
                hub_remember_exit(hub, id, why);
                (void) local_states_set(hub->local_states, id, 0,
                                        supervisor_child_stop_requested(c) ? "stopping" : "restarting", -1, why, NULL);
        }
                _fallthrough_;
        case SUPERVISOR_EVENT_FAILED:
                if (event == SUPERVISOR_EVENT_FAILED)
                        (void) local_states_set(hub->local_states, id, 0, "failed", -1, NULL,
                                                supervisor_child_failure(c));
                /* Registered, but not running: pid 0 until a restart. */
                node = hub_node_dup(hub);
                if (node)
                        (void) registry_update_pid(hub->registry, id, node, 0);
                break;

        case SUPERVISOR_EVENT_RESTARTED:
                node = hub_node_dup(hub);
                pid = supervisor_child_pid(c);
                if (!node)
                        break;
                (void) local_states_set(hub->local_states, id, pid, "running", (int) supervisor_child_restarts(c), NULL,
                                        NULL);
                r = registry_update_pid(hub->registry, id, node, pid);
                if (r < 0) {
                        log_debug("hub %s: pid update of %s: %s", hub->hub_id, id, strerror(-r));
                        break;
                }
                hub_hook(hub, &(ph_hook_event) {
                        .key = PH_HOOK_CHILD_PROCESS_PID_UPDATE,
                        .hub_id = hub->hub_id,
                        .node = node,
                        .child_id = id,
                        .instances = &(ph_instance) { .node = node, .pid = pid },
                        .n_instances = 1,
                });
                break;

        case SUPERVISOR_EVENT_REMOVED: {
                /* Exited for good (transient clean exit, temporary), or
                 * stopped: gone from the registry either way. */
                const child_exit *e = supervisor_child_last_exit(c);
                char why[CHILD_EXIT_DESCRIBE_MAX];

                if (supervisor_child_stop_requested(c) || e->kind == CHILD_EXIT_NONE)
                        hub_remember_exit(hub, id, "stopped");
                else
                        hub_remember_exit(hub, id, child_exit_describe(e, why, sizeof(why)));
                local_states_remove(hub->local_states, id);
                hub_unregister_local(hub, id);
        }
                break;

        default:
                break;
        }
}
