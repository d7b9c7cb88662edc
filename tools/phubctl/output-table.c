/* SPDX-License-Identifier: MIT */

/* phubctl's human output: aligned tables with a header line, and one line
 * per event for watch. */

#include <stdio.h>
#include <string.h>

#include "phubctl.h"

static void instances_line(const ph_instance *instances, size_t n, char *buf, size_t size) {
        size_t used = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < n && used < size; i++)
                used += (size_t) snprintf(buf + used, size - used, "%s%s:%d", i ? " " : "", instances[i].node,
                                          (int) instances[i].pid);
        if (n == 0)
                snprintf(buf, size, "-");
}

void table_child_list(ph_hub *hub, const ph_child_list *list) {
        printf("%-24s %-16s %s\n", "CHILD", "TAG", "INSTANCES (node:pid)");
        for (size_t i = 0; i < ph_child_list_n(list); i++) {
                const ph_result_child *c = ph_child_list_at(list, i);
                ph_child_info *info = NULL;
                char line[512];

                instances_line(c->instances, c->n_instances, line, sizeof(line));
                (void) ph_child_lookup(hub, c->id, &info);
                printf("%-24s %-16s %s\n", c->id, info && info->tag ? info->tag : "-", line);
                ph_child_info_free(info);
        }
}

void table_info(const ph_child_info *info, bool with_metadata) {
        char line[512];

        instances_line(info->instances, info->n_instances, line, sizeof(line));
        printf("id:        %s\n", info->spec.id);
        printf("instances: %s\n", line);
        printf("tag:       %s\n", info->tag ?: "-");
        printf("argv:     ");
        for (size_t i = 0; info->spec.argv && info->spec.argv[i]; i++)
                printf(" %s", info->spec.argv[i]);
        printf("\n");
        if (with_metadata)
                for (size_t i = 0; i < info->n_metadata; i++)
                        printf("meta:      %s=%s\n", info->metadata[i].key, info->metadata[i].value);
}

void table_result(const ph_result *result) {
        bool start = ph_result_kind_of(result) == PH_RESULT_START;
        size_t n = ph_result_n_children(result), ne = ph_result_n_errors(result);

        printf("%s: %s, %zu %s, %zu error%s%s\n", start ? "start" : "stop",
               ph_result_status(result) == PH_STATUS_OK ? "ok" : "error", n, start ? "started" : "stopped", ne,
               ne == 1 ? "" : "s", start && ph_result_rollback(result) ? ", rolled back" : "");
        for (size_t i = 0; i < n; i++) {
                const ph_result_child *c = ph_result_child_at(result, i);
                for (size_t k = 0; k < c->n_instances; k++)
                        if (start)
                                printf("  %s on %s, pid %d\n", c->id, c->instances[k].node, (int) c->instances[k].pid);
                        else
                                printf("  %s on %s\n", c->id, c->instances[k].node);
        }
        for (size_t i = 0; i < ne; i++) {
                const ph_result_error *e = ph_result_error_at(result, i);
                printf("  %s%s%s: %s\n", e->id, e->node ? " on " : "", e->node ?: "", e->reason);
        }
}

void table_states(const ph_child_state *states, size_t n) {
        printf("%-24s %-12s %8s %8s  %s\n", "CHILD", "STATE", "PID", "RESTARTS", "LAST EXIT");
        for (size_t i = 0; i < n; i++)
                printf("%-24s %-12s %8d %8u  %s\n", states[i].id, states[i].state, (int) states[i].pid,
                       states[i].restarts, states[i].failure ?: states[i].last_exit ?: "-");
}

void table_status(const ph_hub_status *s) {
        printf("hub:         %s\n", s->hub_id);
        printf("node:        %s\n", s->node);
        printf("alive:       %s\n", s->alive ? "yes" : "no");
        printf("locked:      %s\n", s->locked ? "yes" : "no");
        printf("partitioned: %s\n", s->partitioned ? "yes" : "no");
        printf("nodes:      ");
        for (size_t i = 0; s->nodes && s->nodes[i]; i++)
                printf(" %s", s->nodes[i]);
        printf("\nchildren:    %zu\n", s->n_children);
        printf("failed:      %zu\n", s->n_failed);
        if (s->kernel_bpf)
                printf("bpf:         %s\n", s->kernel_bpf);
        if (s->kernel_netlink)
                printf("netlink:     %s\n", s->kernel_netlink);
}

void table_event(const ph_hook_event *e) {
        char line[512] = "";

        printf("%s", ph_hook_key_to_string(e->key));
        if (e->child_id)
                printf(" %s", e->child_id);
        if (e->node)
                printf(" node=%s", e->node);
        if (e->instances) {
                instances_line(e->instances, e->n_instances, line, sizeof(line));
                printf(" instances=%s", line);
        }
        for (size_t i = 0; e->children && i < e->n_children; i++)
                printf(" %s%s%s", e->children[i].id, e->children[i].reason ? ":" : "",
                       e->children[i].reason ?: "");
        if (e->key == PH_HOOK_PRIORITY_STATE_UPDATED)
                printf(" priority=%d", e->priority);
        if (e->reason)
                printf(" reason=%s", e->reason);
        printf("\n");
        fflush(stdout);
}
