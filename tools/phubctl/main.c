/* SPDX-License-Identifier: MIT */

/* phubctl's main: the global options, then the command's own. */

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "phubctl.h"

static const struct {
        const char *name;
        command_fn fn;
} commands[] = {
        { "start", cmd_start },
        { "start-many", cmd_start_many },
        { "stop", cmd_stop },
        { "ls", cmd_ls },
        { "lookup", cmd_lookup },
        { "pid", cmd_pid },
        { "pids", cmd_pids },
        { "tag", cmd_tag },
        { "dump", cmd_dump },
        { "which", cmd_which },
        { "last-exit", cmd_last_exit },
        { "status", cmd_status },
        { "nodes", cmd_nodes },
        { "promote", cmd_promote },
        { "watch", cmd_watch },
        { "hook", cmd_hook },
};

int main(int argc, char **argv) {
        static const struct option options[] = {
                { "socket", required_argument, NULL, 's' },
                { "hub", required_argument, NULL, 'H' },
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                {},
        };
        phubctl ctl = {};
        int c, r;

        /* "+": the global options end at the command's name. */
        while ((c = getopt_long(argc, argv, "+s:H:jhV", options, NULL)) >= 0)
                switch (c) {
                case 's':
                        ctl.socket_path = optarg;
                        break;
                case 'H':
                        ctl.hub_id = optarg;
                        break;
                case 'j':
                        ctl.json = true;
                        break;
                case 'h':
                        usage_print(stdout);
                        return EXIT_OK;
                case 'V':
                        printf("phubctl (libprocesshub %s)\n", ph_version());
                        return EXIT_OK;
                default:
                        return ctl_usage("unknown option");
                }
        if (optind >= argc)
                return ctl_usage("no command given");

        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                if (strcmp(commands[i].name, argv[optind]) == 0) {
                        int sub_argc = argc - optind;
                        char **sub_argv = argv + optind;

                        optind = 0; /* the command parses its own options */
                        r = commands[i].fn(&ctl, sub_argc, sub_argv);
                        ph_hub_free(ctl.hub);
                        return r;
                }
        return ctl_usage("unknown command \"%s\"", argv[optind]);
}
