/* SPDX-License-Identifier: MIT */

/* stop ID... [--await]: with --await the result, exit 1 when it has
 * errors. */

#include <errno.h>
#include <getopt.h>

#include "phubctl.h"

int cmd_stop(phubctl *ctl, int argc, char **argv) {
        static const struct option options[] = {
                { "await", no_argument, NULL, 'a' },
                { "timeout", required_argument, NULL, 't' },
                {},
        };
        ph_stop_opts opts;
        ph_future *future = NULL;
        int c, r, code;

        ph_stop_opts_init(&opts);
        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case 'a':
                        opts.awaitable = true;
                        break;
                case 't': {
                        uint64_t v;
                        if (parse_u64(optarg, &v) < 0 || v == 0)
                                return ctl_usage("--timeout takes milliseconds above 0, not \"%s\"", optarg);
                        opts.timeout_ms = v;
                        if (opts.await_timeout_ms < v + 10000)
                                opts.await_timeout_ms = v + 10000;
                        break;
                }
                default:
                        return ctl_usage("stop: unknown option");
                }
        if (optind >= argc)
                return ctl_usage("stop: which children? (stop ID...)");

        code = ctl_connect(ctl);
        if (code != EXIT_OK)
                return code;
        r = ph_stop_children(ctl->hub, (const char *const *) argv + optind, (size_t) (argc - optind), &opts, &future);
        if (r < 0)
                return ctl_fail(r, r == -EINVAL ? "not a valid child id" : NULL, "stop");
        return ctl_report_operation(ctl, "stop", opts.awaitable ? future : NULL, "stop: initiated");
}
