/* SPDX-License-Identifier: MIT */

/* A program embedding a hub through the public API only
 * (include/processhub.h, linked against libprocesshub): a few children,
 * started, looked up, restarted, stopped, with hooks printing what the hub
 * does. scripts/run starts it.
 *
 *   hub-demo [--duration SECONDS] [--hub NAME]
 *
 * Children:
 *   ticker   a shell loop printing the time (permanent, static: starts with the hub)
 *   crashy   exits with code 1 after two seconds (permanent: restarted until
 *            its restart intensity is spent, then failed)
 *   notifier tells readiness through sd_notify's NOTIFY_SOCKET (python3)
 *   hog      allocates memory under a 32 MiB limit and is OOM-killed
 *            (temporary: not restarted, unregistered)
 *
 * Ctrl-C (or the end of --duration) stops the hub gracefully. */

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "processhub.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig) {
        stop_requested = sig;
}

static int print_hook(ph_hub *hub, const ph_hook_event *e, void *userdata) {
        switch (e->key) {
        case PH_HOOK_REGISTRY_PID_INSERT:
                printf("[hook %s] %s registered on %s, pid %d\n", ph_hook_key_to_string(e->key), e->child_id,
                       e->instances[0].node, (int) e->instances[0].pid);
                break;
        case PH_HOOK_REGISTRY_PID_REMOVE: {
                char *why = NULL;

                (void) ph_child_last_exit(hub, e->child_id, &why);
                printf("[hook %s] %s unregistered from %s (%s)\n", ph_hook_key_to_string(e->key), e->child_id,
                       e->node, why ?: "?");
                free(why);
                break;
        }
        case PH_HOOK_CHILD_PROCESS_PID_UPDATE:
                printf("[hook %s] %s restarted, new pid %d\n", ph_hook_key_to_string(e->key), e->child_id,
                       (int) e->instances[0].pid);
                break;
        case PH_HOOK_POST_CHILDREN_START:
                for (size_t i = 0; i < e->n_children; i++)
                        if (e->children[i].reason)
                                printf("[hook %s] %s did not start: %s\n", ph_hook_key_to_string(e->key),
                                       e->children[i].id, e->children[i].reason);
                break;
        default:
                printf("[hook %s]\n", ph_hook_key_to_string(e->key));
                break;
        }
        fflush(stdout);
        return 0;
}

static void print_children(ph_hub *hub) {
        ph_child_state *states = NULL;
        size_t n = 0;

        if (ph_which_children(hub, &states, &n) < 0)
                return;
        printf("%-10s %-10s %8s %8s  %s\n", "CHILD", "STATE", "PID", "RESTARTS", "LAST EXIT");
        for (size_t i = 0; i < n; i++)
                printf("%-10s %-10s %8d %8u  %s\n", states[i].id, states[i].state, (int) states[i].pid,
                       states[i].restarts, states[i].failure ?: states[i].last_exit ?: "-");
        fflush(stdout);
        ph_child_states_free(states, n);
}

int main(int argc, char **argv) {
        const char *hub_id = "demo";
        unsigned duration = 0;
        ph_hub *hub = NULL;
        char *error = NULL;
        int r;

        static const struct option options[] = {
                { "duration", required_argument, NULL, 'd' },
                { "hub", required_argument, NULL, 'H' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        for (int c; (c = getopt_long(argc, argv, "d:H:h", options, NULL)) >= 0;)
                switch (c) {
                case 'd':
                        duration = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                case 'H':
                        hub_id = optarg;
                        break;
                case 'h':
                        printf("usage: %s [--duration SECONDS] [--hub NAME]\n", argv[0]);
                        return 0;
                default:
                        return 2;
                }

        /* The ticker starts with the hub, as a static child. */
        static const char *const ticker_argv[] = {
                "sh", "-c", "while :; do echo \"ticker: $(date +%T)\"; sleep 2; done", NULL
        };
        ph_child_spec ticker;
        ph_child_spec_init(&ticker);
        ticker.id = "ticker";
        ticker.argv = ticker_argv;

        ph_hub_config config;
        ph_hub_config_init(&config);
        config.hub_id = hub_id;
        config.child_specs = &ticker;
        config.n_child_specs = 1;
        r = ph_hub_start(&config, &hub, &error);
        if (r < 0) {
                fprintf(stderr, "cannot start hub %s: %s (%s)\n", hub_id, error ?: "", strerror(-r));
                free(error);
                return 1;
        }
        char **nodes = NULL;
        if (ph_nodes(hub, true, &nodes) >= 0)
                printf("hub %s (libprocesshub %s) on node %s\n", ph_hub_id(hub), ph_version(), nodes[0]);
        ph_strv_free(nodes);

        static const ph_hook_key keys[] = {
                PH_HOOK_REGISTRY_PID_INSERT, PH_HOOK_REGISTRY_PID_REMOVE, PH_HOOK_CHILD_PROCESS_PID_UPDATE,
                PH_HOOK_POST_CHILDREN_START, PH_HOOK_COORDINATOR_SHUTDOWN,
        };
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
                (void) ph_register_hook_handlers(hub, keys[i],
                                                 &(ph_hook_handler) { .id = "demo-printer", .fn = print_hook }, 1);

        static const char *const crashy_argv[] = { "sh", "-c", "sleep 2; echo 'crashy: giving up' >&2; exit 1", NULL };
        static const char *const notifier_argv[] = {
                "python3", "-c",
                "import os, socket, time\n"
                "time.sleep(1)\n"
                "a = os.environ['NOTIFY_SOCKET'].replace('@', '\\0', 1)\n"
                "socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b'STATUS=serving\\nREADY=1', a)\n"
                "time.sleep(3600)\n",
                NULL
        };
        static const char *const hog_argv[] = {
                "python3", "-c", "import time\ntime.sleep(3)\nx = []\nwhile True: x.append(b'x' * (1 << 20))\n", NULL
        };
        ph_child_spec specs[3];
        ph_child_spec_init(&specs[0]);
        specs[0].id = "crashy";
        specs[0].argv = crashy_argv;
        specs[0].restart_burst = 3;
        specs[0].restart_delay_ms = 500;
        specs[0].restart_delay_max_ms = 2000;
        ph_child_spec_init(&specs[1]);
        specs[1].id = "notifier";
        specs[1].argv = notifier_argv;
        specs[1].ready = PH_READY_NOTIFY;
        ph_child_spec_init(&specs[2]);
        specs[2].id = "hog";
        specs[2].argv = hog_argv;
        specs[2].restart = PH_RESTART_TEMPORARY;
        specs[2].limits.memory_max = 32ULL << 20;

        ph_kv meta[] = { { "owner", "demo" } };
        ph_metadata md = { .tag = "examples", .values = meta, .n_values = 1 };
        ph_start_opts opts;
        ph_start_opts_init(&opts);
        opts.awaitable = true;
        opts.metadata = &md;
        ph_future *future = NULL;
        r = ph_start_children(hub, specs, 3, &opts, &future, &error);
        if (r < 0) {
                fprintf(stderr, "cannot start children: %s (%s)\n", error ?: "", strerror(-r));
                free(error);
        } else {
                ph_result *result = NULL;
                if (ph_future_await(future, &result) >= 0) {
                        printf("start: %s, %zu started, %zu errors\n",
                               ph_result_status(result) == PH_STATUS_OK ? "ok" : "error",
                               ph_result_n_children(result), ph_result_n_errors(result));
                        for (size_t i = 0; i < ph_result_n_children(result); i++) {
                                const ph_result_child *c = ph_result_child_at(result, i);
                                printf("  %s on %s, pid %d\n", c->id, c->instances[0].node, (int) c->instances[0].pid);
                        }
                        ph_result_free(result);
                }
                ph_future_free(future);
        }

        ph_child_list *tagged = NULL;
        if (ph_tag_query(hub, "examples", &tagged) >= 0) {
                printf("tagged \"examples\": %zu children\n", ph_child_list_n(tagged));
                ph_child_list_free(tagged);
        }

        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        time_t end = duration ? time(NULL) + duration : 0;
        time_t last_table = time(NULL);
        while (!stop_requested && (!end || time(NULL) < end)) {
                usleep(200 * 1000);
                if (time(NULL) - last_table >= 5) {
                        print_children(hub);
                        last_table = time(NULL);
                }
        }

        printf("\nstopping hub %s\n", ph_hub_id(hub));
        print_children(hub);
        r = ph_hub_stop(hub);
        printf("hub stopped%s: no child, no cgroup left\n", r < 0 ? " (with errors)" : "");
        ph_hub_free(hub);
        return r < 0 ? 1 : 0;
}
