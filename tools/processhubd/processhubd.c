/* SPDX-License-Identifier: MIT */
/* processhubd: host hubs of libprocesshub and serve them on a control
 * socket (processhubd(8), processhubd.conf(5), docs/control-protocol.md). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "daemon.h"
#include "processhubd-config.h"

static void help(void) {
        printf("Usage: processhubd [OPTIONS]\n"
               "\n"
               "Run hubs of processhub and serve them on a control socket.\n"
               "\n"
               "  -c, --config FILE         read FILE (default %s, when it exists)\n"
               "      --no-config           read no file, only the command line\n"
               "  -s, --socket PATH         control socket (default %s)\n"
               "      --control-group GROUP group that may use the socket besides root\n"
               "      --state-dir DIR       where hubs keep their state for adoption\n"
               "                            (default %s; empty: keep none)\n"
               "      --hub NAME            run hub NAME (or select the file's hub NAME)\n"
               "      --child 'ID=COMMAND'  a static child of the last --hub; COMMAND is split\n"
               "                            into words like a shell does, without expansions\n"
               "      --set KEY=VALUE       a setting of the last --child after the last --hub,\n"
               "                            else of the last --hub, else of [daemon]; the keys\n"
               "                            are those of processhubd.conf(5)\n"
               "      --check               check the configuration, print it, and exit\n"
               "  -h, --help                this help\n"
               "      --version             the version\n"
               "\n"
               "Example:\n"
               "  processhubd --no-config --hub demo --set dsup_max_restarts=10 \\\n"
               "      --child 'ticker=sh -c \"while sleep 2; do date; done\"' --set restart=transient\n"
               "\n"
               "SIGHUP reloads the configuration, SIGTERM stops every hub and exits.\n"
               "Exit status: 0 stopped cleanly, 1 system error, 2 usage or configuration error.\n",
               DAEMON_DEFAULT_CONFIG, DAEMON_DEFAULT_SOCKET, DAEMON_DEFAULT_STATE_DIR);
}

static int check(const daemon_cli *cli) {
        _cleanup_(daemon_config_freep) daemon_config *c = NULL;
        _cleanup_free_ char *err = NULL;
        int r;

        r = daemon_config_load(cli, &c, &err);
        if (r < 0) {
                fprintf(stderr, "processhubd: %s\n", err ?: "cannot load the configuration");
                return 2;
        }
        printf("config %s\nsocket %s\ncontrol_group %s\nstate_dir %s\n", c->config_path ?: "(none)", c->socket_path,
               c->control_group ?: "(none: root only)", c->state_dir);
        for (size_t i = 0; i < c->n_hubs; i++) {
                printf("hub %s (%s): %zu static children\n", c->hubs[i].name, c->hubs[i].origin, c->hubs[i].n_children);
                for (size_t j = 0; j < c->hubs[i].n_children; j++) {
                        const child_conf *ch = &c->hubs[i].children[j];
                        printf("  child %s (%s):", ch->spec.id, ch->origin);
                        for (char **a = ch->argv; a && *a; a++)
                                printf(" [%s]", *a);
                        printf("\n");
                }
        }
        return 0;
}

int main(int argc, char **argv) {
        enum {
                ARG_NO_CONFIG = 0x100,
                ARG_CONTROL_GROUP,
                ARG_STATE_DIR,
                ARG_HUB,
                ARG_CHILD,
                ARG_SET,
                ARG_CHECK,
                ARG_VERSION,
        };
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "no-config", no_argument, NULL, ARG_NO_CONFIG },
                { "socket", required_argument, NULL, 's' },
                { "control-group", required_argument, NULL, ARG_CONTROL_GROUP },
                { "state-dir", required_argument, NULL, ARG_STATE_DIR },
                { "hub", required_argument, NULL, ARG_HUB },
                { "child", required_argument, NULL, ARG_CHILD },
                { "set", required_argument, NULL, ARG_SET },
                { "check", no_argument, NULL, ARG_CHECK },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                {}
        };
        daemon_cli cli = {};
        bool check_only = false;
        int r = 0, c;

        phd_heap_setup();
        while (r >= 0 && (c = getopt_long(argc, argv, "c:s:h", options, NULL)) >= 0)
                switch (c) {
                case 'c':
                        cli.config_path = optarg;
                        break;
                case ARG_NO_CONFIG:
                        cli.no_config = true;
                        break;
                case 's':
                        r = daemon_cli_add(&cli, CLI_SOCKET, optarg);
                        break;
                case ARG_CONTROL_GROUP:
                        r = daemon_cli_add(&cli, CLI_CONTROL_GROUP, optarg);
                        break;
                case ARG_STATE_DIR:
                        r = daemon_cli_add(&cli, CLI_STATE_DIR, optarg);
                        break;
                case ARG_HUB:
                        r = daemon_cli_add(&cli, CLI_HUB, optarg);
                        break;
                case ARG_CHILD:
                        r = daemon_cli_add(&cli, CLI_CHILD, optarg);
                        break;
                case ARG_SET:
                        r = daemon_cli_add(&cli, CLI_SET, optarg);
                        break;
                case ARG_CHECK:
                        check_only = true;
                        break;
                case 'h':
                        help();
                        daemon_cli_done(&cli);
                        return 0;
                case ARG_VERSION:
                        printf("processhubd %s (libprocesshub %s)\n", PROCESSHUB_DAEMON_VERSION, ph_version());
                        daemon_cli_done(&cli);
                        return 0;
                default:
                        fprintf(stderr, "processhubd: see --help\n");
                        daemon_cli_done(&cli);
                        return 2;
                }
        if (r < 0) {
                fprintf(stderr, "processhubd: out of memory\n");
                daemon_cli_done(&cli);
                return 1;
        }
        if (optind < argc) {
                fprintf(stderr, "processhubd: unexpected argument '%s'; see --help\n", argv[optind]);
                daemon_cli_done(&cli);
                return 2;
        }
        r = check_only ? check(&cli) : phd_main(&cli);
        daemon_cli_done(&cli);
        return r;
}
