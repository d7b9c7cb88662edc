/* SPDX-License-Identifier: MIT */

/* The registry's queries: ls, lookup, pid, pids, tag, dump, which,
 * last-exit. A child that is not there is exit 1 with a sentence. */

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "phubctl.h"

/* The query commands take at most one flag and a fixed number of ids. */
static int parse(int argc, char **argv, const char *flag, bool *flag_set, int n_args, const char *what) {
        const struct option options[] = {
                { flag ?: "-", no_argument, NULL, 'x' },
                {},
        };
        int c;

        while ((c = getopt_long(argc, argv, "", flag ? options : options + 1, NULL)) >= 0) {
                if (c != 'x')
                        return ctl_usage("%s: unknown option", argv[0]);
                *flag_set = true;
        }
        if (argc - optind != n_args)
                return ctl_usage("%s: %s", argv[0], what);
        return EXIT_OK;
}

/* Every query command's start: its arguments, then the daemon. */
static int begin(phubctl *ctl, int argc, char **argv, const char *flag, bool *flag_set, int n_args,
                 const char *what) {
        int code = parse(argc, argv, flag, flag_set, n_args, what);

        return code == EXIT_OK ? ctl_connect(ctl) : code;
}

static int not_found(int r, const char *cmd, const char *id) {
        if (r == -ENOENT) {
                fprintf(stderr, "phubctl: %s: no child %s is registered (phubctl ls lists them)\n", cmd, id);
                return EXIT_FAILED;
        }
        if (r == -ESRCH) {
                fprintf(stderr, "phubctl: %s: %s is registered but not running right now (phubctl which)\n", cmd, id);
                return EXIT_FAILED;
        }
        return ctl_fail(r, NULL, "%s %s", cmd, id);
}

static int print_list(phubctl *ctl, ph_child_list *list) {
        if (ctl->json)
                json_print(json_child_list(ctl->hub, list));
        else
                table_child_list(ctl->hub, list);
        ph_child_list_free(list);
        return EXIT_OK;
}

int cmd_ls(phubctl *ctl, int argc, char **argv) {
        ph_child_list *list = NULL;
        bool local = false;
        int r, code;

        code = begin(ctl, argc, argv, "local", &local, 0, "takes no arguments but --local");
        if (code != EXIT_OK)
                return code;
        r = ph_process_list(ctl->hub, local ? PH_SCOPE_LOCAL : PH_SCOPE_GLOBAL, &list);
        if (r < 0)
                return ctl_fail(r, NULL, "ls");
        return print_list(ctl, list);
}

int cmd_tag(phubctl *ctl, int argc, char **argv) {
        ph_child_list *list = NULL;
        bool unused = false;
        int r, code;

        code = begin(ctl, argc, argv, NULL, &unused, 1, "which tag? (tag TAG)");
        if (code != EXIT_OK)
                return code;
        r = ph_tag_query(ctl->hub, argv[optind], &list);
        if (r < 0)
                return ctl_fail(r, NULL, "tag %s", argv[optind]);
        return print_list(ctl, list);
}

int cmd_lookup(phubctl *ctl, int argc, char **argv) {
        ph_child_info *info = NULL;
        bool with_metadata = false;
        int r, code;

        code = begin(ctl, argc, argv, "with-metadata", &with_metadata, 1, "which child? (lookup ID [--with-metadata])");
        if (code != EXIT_OK)
                return code;
        r = ph_child_lookup(ctl->hub, argv[optind], &info);
        if (r < 0)
                return not_found(r, "lookup", argv[optind]);
        /* Why its last process ended (exit code, signal, core dump, OOM
         * kill: from the pidfd, the memory events and the exit tracer). */
        char *last_exit = NULL;
        (void) ph_child_last_exit(ctl->hub, argv[optind], &last_exit);
        if (ctl->json) {
                json_object *o = json_info(info, NULL, with_metadata);
                json_object_object_add(o, "last_exit", last_exit ? json_object_new_string(last_exit) : NULL);
                json_print(o);
        } else {
                table_info(info, with_metadata);
                if (last_exit)
                        printf("last exit: %s\n", last_exit);
        }
        free(last_exit);
        ph_child_info_free(info);
        return EXIT_OK;
}

int cmd_pid(phubctl *ctl, int argc, char **argv) {
        bool unused = false;
        pid_t pid = 0;
        int r, code;

        code = begin(ctl, argc, argv, NULL, &unused, 1, "which child? (pid ID)");
        if (code != EXIT_OK)
                return code;
        r = ph_get_pid(ctl->hub, argv[optind], &pid);
        if (r < 0)
                return not_found(r, "pid", argv[optind]);
        if (ctl->json) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "id", json_object_new_string(argv[optind]));
                json_object_object_add(o, "pid", json_object_new_int64(pid));
                json_print(o);
        } else
                printf("%d\n", (int) pid);
        return EXIT_OK;
}

int cmd_pids(phubctl *ctl, int argc, char **argv) {
        ph_instance *instances = NULL;
        bool unused = false;
        size_t n = 0;
        int r, code;

        code = begin(ctl, argc, argv, NULL, &unused, 1, "which child? (pids ID)");
        if (code != EXIT_OK)
                return code;
        r = ph_get_pids(ctl->hub, argv[optind], &instances, &n);
        if (r < 0)
                return not_found(r, "pids", argv[optind]);
        if (ctl->json) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "id", json_object_new_string(argv[optind]));
                json_object_object_add(o, "instances", json_instances(instances, n));
                json_print(o);
        } else {
                printf("%-16s %s\n", "NODE", "PID");
                for (size_t i = 0; i < n; i++)
                        printf("%-16s %d\n", instances[i].node, (int) instances[i].pid);
        }
        ph_instances_free(instances, n);
        return EXIT_OK;
}

int cmd_dump(phubctl *ctl, int argc, char **argv) {
        ph_child_info **infos = NULL;
        bool unused = false;
        size_t n = 0;
        int r, code;

        code = begin(ctl, argc, argv, NULL, &unused, 0, "takes no arguments");
        if (code != EXIT_OK)
                return code;
        r = ph_registry_dump(ctl->hub, &infos, &n);
        if (r < 0)
                return ctl_fail(r, NULL, "dump");
        if (ctl->json) {
                json_object *a = json_object_new_array();
                for (size_t i = 0; i < n; i++)
                        json_object_array_add(a, json_info(infos[i], NULL, true));
                json_print(a);
        } else
                for (size_t i = 0; i < n; i++) {
                        if (i > 0)
                                printf("\n");
                        table_info(infos[i], true);
                }
        ph_child_infos_free(infos, n);
        return EXIT_OK;
}

int cmd_which(phubctl *ctl, int argc, char **argv) {
        ph_child_state *states = NULL;
        bool unused = false;
        size_t n = 0;
        int r, code;

        code = begin(ctl, argc, argv, NULL, &unused, 0, "takes no arguments");
        if (code != EXIT_OK)
                return code;
        r = ph_which_children(ctl->hub, &states, &n);
        if (r < 0)
                return ctl_fail(r, NULL, "which");
        if (ctl->json)
                json_print(json_child_states(states, n));
        else
                table_states(states, n);
        ph_child_states_free(states, n);
        return EXIT_OK;
}

int cmd_last_exit(phubctl *ctl, int argc, char **argv) {
        char *text = NULL;
        bool unused = false;
        int r, code;

        code = begin(ctl, argc, argv, NULL, &unused, 1, "which child? (last-exit ID)");
        if (code != EXIT_OK)
                return code;
        r = ph_child_last_exit(ctl->hub, argv[optind], &text);
        if (r == -ENOENT) {
                fprintf(stderr, "phubctl: last-exit: nothing is known of how %s last ended (kept 10 minutes)\n",
                        argv[optind]);
                return EXIT_FAILED;
        }
        if (r < 0)
                return ctl_fail(r, NULL, "last-exit %s", argv[optind]);
        if (ctl->json) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "id", json_object_new_string(argv[optind]));
                json_object_object_add(o, "last_exit", json_object_new_string(text));
                json_print(o);
        } else
                printf("%s\n", text);
        free(text);
        return EXIT_OK;
}
