/* SPDX-License-Identifier: MIT */

/* Hooks: watch (a subscription printing one line per event until SIGINT
 * or SIGTERM) and the daemon's hook commands (hook add, hook rm). */

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "phubctl.h"

static int print_event(ph_hub *hub, const ph_hook_event *event, void *userdata) {
        phubctl *ctl = userdata;

        if (ctl->json)
                json_print(json_hook_event(event));
        else
                table_event(event);
        return 0;
}

int cmd_watch(phubctl *ctl, int argc, char **argv) {
        bool keys[_PH_HOOK_KEY_MAX] = {};
        sigset_t mask;
        int r, code;

        for (int i = 1; i < argc; i++) {
                ph_hook_key k = ph_hook_key_from_string(argv[i]);
                if (k < 0)
                        return ctl_usage("watch: unknown hook \"%s\" (registry_pid_insert, ...; see phubctl(1))",
                                         argv[i]);
                keys[k] = true;
        }
        if (argc == 1)
                for (ph_hook_key k = 0; k < _PH_HOOK_KEY_MAX; k++)
                        keys[k] = true;

        /* Blocked before the watch thread starts, so it inherits the mask
         * and the signals wait for sigtimedwait() below. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGHUP);
        sigprocmask(SIG_BLOCK, &mask, NULL);

        code = ctl_connect(ctl);
        if (code != EXIT_OK)
                return code;
        for (ph_hook_key k = 0; k < _PH_HOOK_KEY_MAX; k++) {
                if (!keys[k])
                        continue;
                ph_hook_handler h = { .id = "phubctl-watch", .fn = print_event, .userdata = ctl };
                r = ph_register_hook_handlers(ctl->hub, k, &h, 1);
                if (r < 0)
                        return ctl_fail(r, NULL, "watch %s", ph_hook_key_to_string(k));
        }
        if (!ctl->json) {
                fprintf(stderr, "phubctl: watching hub %s; Ctrl-C ends\n", ph_hub_id(ctl->hub));
        }
        for (;;) {
                struct timespec ts = { .tv_sec = 2 };
                if (sigtimedwait(&mask, NULL, &ts) >= 0)
                        return EXIT_OK;
                /* The daemon may go away: the events would just stop. */
                if (!ph_is_alive(ctl->hub)) {
                        fprintf(stderr, "phubctl: watch: processhubd or its hub is gone\n");
                        return EXIT_UNREACHABLE;
                }
        }
}

static int hook_add(phubctl *ctl, int argc, char **argv) {
        static const struct option options[] = {
                { "priority", required_argument, NULL, 'p' },
                {},
        };
        int dd = find_dashdash(argc, argv), c, r, code;
        long priority = 0;
        ph_hook_key key;

        while ((c = getopt_long(dd, argv, "", options, NULL)) >= 0) {
                char *end;
                if (c != 'p')
                        return ctl_usage("hook add: unknown option");
                errno = 0;
                priority = strtol(optarg, &end, 10);
                if (errno || *end || priority < -1000000 || priority > 1000000)
                        return ctl_usage("--priority takes a number, not \"%s\"", optarg);
        }
        if (dd - optind != 2 || dd + 1 >= argc)
                return ctl_usage("hook add KEY ID [--priority N] -- CMD [ARG...]");
        key = ph_hook_key_from_string(argv[optind]);
        if (key < 0)
                return ctl_usage("hook add: unknown hook \"%s\"", argv[optind]);
        code = ctl_connect(ctl);
        if (code != EXIT_OK)
                return code;
        r = ph_hook_command_add(ctl->hub, key, argv[optind + 1], (const char *const *) argv + dd + 1, (int) priority);
        if (r < 0)
                return ctl_fail(r, r == -EEXIST ? "that id is taken for this hook (hook rm it first)" : NULL,
                                "hook add %s %s", argv[optind], argv[optind + 1]);
        if (ctl->json) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "key", json_object_new_string(argv[optind]));
                json_object_object_add(o, "id", json_object_new_string(argv[optind + 1]));
                json_print(o);
        } else
                printf("hook %s: %s added\n", argv[optind], argv[optind + 1]);
        return EXIT_OK;
}

static int hook_rm(phubctl *ctl, int argc, char **argv) {
        ph_hook_key key;
        int r, code;

        if (argc < 3)
                return ctl_usage("hook rm KEY ID...");
        key = ph_hook_key_from_string(argv[1]);
        if (key < 0)
                return ctl_usage("hook rm: unknown hook \"%s\"", argv[1]);
        code = ctl_connect(ctl);
        if (code != EXIT_OK)
                return code;
        r = ph_hook_command_remove(ctl->hub, key, (const char *const *) argv + 2, (size_t) (argc - 2));
        if (r < 0)
                return ctl_fail(r, r == -ENOENT ? "no such hook command" : NULL, "hook rm %s", argv[1]);
        if (ctl->json) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "key", json_object_new_string(argv[1]));
                json_object_object_add(o, "removed", json_object_new_int(r));
                json_print(o);
        } else
                printf("hook %s: %d removed\n", argv[1], r);
        return EXIT_OK;
}

int cmd_hook(phubctl *ctl, int argc, char **argv) {
        if (argc >= 2 && strcmp(argv[1], "add") == 0)
                return hook_add(ctl, argc - 1, argv + 1);
        if (argc >= 2 && strcmp(argv[1], "rm") == 0)
                return hook_rm(ctl, argc - 1, argv + 1);
        return ctl_usage("hook add KEY ID -- CMD... | hook rm KEY ID...");
}
