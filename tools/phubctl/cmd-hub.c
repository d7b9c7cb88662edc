/* SPDX-License-Identifier: MIT */

/* The hub as a whole: status, nodes, promote. */

#include <errno.h>
#include <getopt.h>
#include <string.h>

#include "phubctl.h"

int cmd_status(phubctl *ctl, int argc, char **argv) {
        ph_hub_status *status = NULL;
        int r, code;

        if (argc > 1)
                return ctl_usage("status takes no arguments");
        code = ctl_connect(ctl);
        if (code != EXIT_OK)
                return code;
        r = ph_hub_get_status(ctl->hub, &status);
        if (r < 0)
                return ctl_fail(r, NULL, "status");
        if (ctl->json)
                json_print(json_hub_status(status));
        else
                table_status(status);
        ph_hub_status_free(status);
        return EXIT_OK;
}

int cmd_nodes(phubctl *ctl, int argc, char **argv) {
        static const struct option options[] = {
                { "include-local", no_argument, NULL, 'l' },
                {},
        };
        bool include_local = false;
        char **nodes = NULL;
        int c, r, code;

        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0) {
                if (c != 'l')
                        return ctl_usage("nodes: unknown option");
                include_local = true;
        }
        if (optind != argc)
                return ctl_usage("nodes takes no arguments but --include-local");
        code = ctl_connect(ctl);
        if (code != EXIT_OK)
                return code;
        r = ph_nodes(ctl->hub, include_local, &nodes);
        if (r < 0)
                return ctl_fail(r, NULL, "nodes");
        if (ctl->json)
                json_print(json_strv((const char *const *) nodes) ?: json_object_new_array());
        else
                for (char **n = nodes; *n; n++)
                        printf("%s\n", *n);
        ph_strv_free(nodes);
        return EXIT_OK;
}

int cmd_promote(phubctl *ctl, int argc, char **argv) {
        ph_hub_status *status = NULL;
        int r, code;

        if (argc > 2)
                return ctl_usage("promote takes at most a node name (promote [NAME])");
        code = ctl_connect(ctl);
        if (code != EXIT_OK)
                return code;
        r = ph_promote_to_node(ctl->hub, argc == 2 ? argv[1] : NULL);
        if (r < 0)
                return ctl_fail(r, r == -EINVAL ? "not a valid node name" : NULL, "promote");
        /* The name it got (the host's when none was given). */
        r = ph_hub_get_status(ctl->hub, &status);
        if (r < 0)
                return ctl_fail(r, NULL, "promote");
        if (ctl->json) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "node", json_object_new_string(status->node));
                json_print(o);
        } else
                printf("node: %s\n", status->node);
        ph_hub_status_free(status);
        return EXIT_OK;
}
