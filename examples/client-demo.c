/* SPDX-License-Identifier: MIT */

/* The hub API against a running processhubd: the same functions as an
 * embedded hub, through ph_hub_connect(). Prints the hub's status and its
 * children, starts a child, waits for it, shows its pid and stops it again.
 *
 *   client-demo [SOCKET [HUB]]     (defaults: $PROCESSHUB_SOCKET or
 *                                   /run/processhub/processhubd.sock, the
 *                                   daemon's only hub)
 *
 * Exit status: 0 done, 1 an operation failed, 3 the daemon cannot be
 * reached (as phubctl). */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <processhub.h>

static int fail(const char *what, int r, char *text) {
        fprintf(stderr, "client-demo: %s: %s\n", what, text ? text : strerror(-r));
        free(text);
        return 1;
}

int main(int argc, char **argv) {
        const char *socket_path = argc > 1 ? argv[1] : NULL;
        const char *hub_id = argc > 2 ? argv[2] : NULL;
        char *error = NULL;
        ph_hub *hub = NULL;
        int r;

        r = ph_hub_connect(socket_path, hub_id, &hub, &error);
        if (r < 0) {
                fail("connect", r, error);
                return r == -ENOENT || r == -ECONNREFUSED ? 3 : 1;
        }

        ph_hub_status *status = NULL;
        r = ph_hub_get_status(hub, &status);
        if (r < 0)
                return fail("status", r, NULL);
        printf("hub %s on node %s: %zu children, bpf %s\n", status->hub_id, status->node, status->n_children,
               status->kernel_bpf ? status->kernel_bpf : "?");
        ph_hub_status_free(status);

        ph_child_list *list = NULL;
        r = ph_process_list(hub, PH_SCOPE_GLOBAL, &list);
        if (r < 0)
                return fail("list", r, NULL);
        for (size_t i = 0; i < ph_child_list_n(list); i++) {
                const ph_result_child *c = ph_child_list_at(list, i);
                printf("  %s:", c->id);
                for (size_t k = 0; k < c->n_instances; k++)
                        printf(" %s/%d", c->instances[k].node, (int) c->instances[k].pid);
                printf("\n");
        }
        ph_child_list_free(list);

        static const char *const argv_sleep[] = { "sleep", "300", NULL };
        ph_child_spec spec;
        ph_child_spec_init(&spec);
        spec.id = "client-demo-sleeper";
        spec.argv = argv_sleep;
        ph_start_opts opts;
        ph_start_opts_init(&opts);
        opts.awaitable = true;
        ph_future *future = NULL;
        r = ph_start_child(hub, &spec, &opts, &future, &error);
        if (r < 0)
                return fail("start", r, error);
        ph_result *result = NULL;
        r = ph_future_await(future, &result);
        ph_future_free(future);
        if (r < 0)
                return fail("await", r, NULL);
        if (ph_result_status(result) != PH_STATUS_OK) {
                const ph_result_error *e = ph_result_error_at(result, 0);
                fprintf(stderr, "client-demo: start: %s: %s\n", e ? e->id : "?", e ? e->reason : "?");
                ph_result_free(result);
                ph_hub_free(hub);
                return 1;
        }
        printf("started %s, pid %d\n", spec.id, (int) ph_result_first_pid(result));
        ph_result_free(result);

        pid_t pid = 0;
        if (ph_get_pid(hub, spec.id, &pid) >= 0)
                printf("ph_get_pid: %d\n", (int) pid);

        ph_stop_opts stop;
        ph_stop_opts_init(&stop);
        stop.awaitable = true;
        r = ph_stop_child(hub, spec.id, &stop, &future);
        if (r < 0)
                return fail("stop", r, NULL);
        r = ph_future_await(future, &result);
        ph_future_free(future);
        if (r < 0)
                return fail("await stop", r, NULL);
        printf("stopped %s: %s\n", spec.id, ph_result_status(result) == PH_STATUS_OK ? "ok" : "error");
        ph_result_free(result);
        ph_hub_free(hub); /* disconnects; the daemon's hub runs on */
        return 0;
}
