/* SPDX-License-Identifier: MIT */

/* start and start-many: build the specs, start them, and with --await
 * print the result (exit 1 when it has errors). */

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "phubctl.h"

typedef struct start_flags {
        ph_start_opts opts;
        ph_metadata metadata;
        ph_kv *values;
        size_t n_values;
        bool with_metadata;
} start_flags;

/* Options both commands take; 1 when handled, 0 when not ours, < 0 usage. */
static int start_common_option(int c, start_flags *f) {
        uint64_t v;

        switch (c) {
        case 'a':
                f->opts.awaitable = true;
                return 1;
        case 't':
                if (parse_u64(optarg, &v) < 0 || v == 0)
                        return ctl_usage("--timeout takes milliseconds above 0, not \"%s\"", optarg), -1;
                f->opts.timeout_ms = v;
                if (f->opts.await_timeout_ms < v + 10000)
                        f->opts.await_timeout_ms = v + 10000;
                return 1;
        case 'f':
                if (strcmp(optarg, "continue") == 0)
                        f->opts.on_failure = PH_ON_FAILURE_CONTINUE;
                else if (strcmp(optarg, "rollback") == 0)
                        f->opts.on_failure = PH_ON_FAILURE_ROLLBACK;
                else
                        return ctl_usage("--on-failure takes continue or rollback, not \"%s\"", optarg), -1;
                return 1;
        case 'E':
                f->opts.check_existing = false;
                return 1;
        }
        return 0;
}

static int start_run(phubctl *ctl, const ph_child_spec *specs, size_t n, start_flags *f) {
        ph_future *future = NULL;
        char *text = NULL;
        int r, code;

        code = ctl_connect(ctl);
        if (code != EXIT_OK)
                return code;
        if (f->with_metadata) {
                f->metadata.values = f->values;
                f->metadata.n_values = f->n_values;
                f->opts.metadata = &f->metadata;
        }
        r = ph_start_children(ctl->hub, specs, n, &f->opts, &future, &text);
        if (r < 0) {
                code = ctl_fail(r, text, "start");
                free(text);
                return code;
        }
        char initiated[64];
        snprintf(initiated, sizeof(initiated), "start: initiated (%zu %s)", n, n == 1 ? "child" : "children");
        return ctl_report_operation(ctl, "start", f->opts.awaitable ? future : NULL, initiated);
}

int ctl_report_operation(phubctl *ctl, const char *op, ph_future *future, const char *initiated) {
        ph_result *result = NULL;
        int r, code;

        if (!future) {
                if (ctl->json) {
                        json_object *o = json_object_new_object();
                        json_object_object_add(o, "status", json_object_new_string("initiated"));
                        json_print(o);
                } else
                        printf("%s\n", initiated);
                return EXIT_OK;
        }
        r = ph_future_await(future, &result);
        ph_future_free(future);
        if (r < 0)
                return ctl_fail(r, r == -ETIMEDOUT ? "no result within the await timeout" : NULL, "%s", op);
        if (ctl->json)
                json_print(json_result(result));
        else
                table_result(result);
        code = ph_result_status(result) == PH_STATUS_OK ? EXIT_OK : EXIT_FAILED;
        ph_result_free(result);
        return code;
}

int cmd_start(phubctl *ctl, int argc, char **argv) {
        static const struct option options[] = {
                { "tag", required_argument, NULL, 'T' },
                { "meta", required_argument, NULL, 'm' },
                { "restart", required_argument, NULL, 'r' },
                { "ready", required_argument, NULL, 'R' },
                { "memory-max", required_argument, NULL, 'M' },
                { "pids-max", required_argument, NULL, 'P' },
                { "cpu-weight", required_argument, NULL, 'C' },
                { "node", required_argument, NULL, 'n' },
                { "await", no_argument, NULL, 'a' },
                { "timeout", required_argument, NULL, 't' },
                { "on-failure", required_argument, NULL, 'f' },
                { "no-check-existing", no_argument, NULL, 'E' },
                {},
        };
        int dd = find_dashdash(argc, argv), c, r, code;
        start_flags f = {};
        ph_child_spec spec;
        const char *id = NULL;

        ph_start_opts_init(&f.opts);
        ph_child_spec_init(&spec);
        f.values = calloc((size_t) argc, sizeof(ph_kv));
        if (!f.values)
                return ctl_fail(-ENOMEM, NULL, "start");
        while ((c = getopt_long(dd, argv, "", options, NULL)) >= 0) {
                uint64_t v;

                r = start_common_option(c, &f);
                if (r < 0)
                        goto usage;
                if (r > 0)
                        continue;
                switch (c) {
                case 'T':
                        f.metadata.tag = optarg;
                        f.with_metadata = true;
                        break;
                case 'm': {
                        char *eq = strchr(optarg, '=');
                        if (!eq || eq == optarg) {
                                ctl_usage("--meta takes KEY=VALUE, not \"%s\"", optarg);
                                goto usage;
                        }
                        *eq = '\0';
                        f.values[f.n_values++] = (ph_kv) { .key = optarg, .value = eq + 1 };
                        f.with_metadata = true;
                        break;
                }
                case 'r':
                        if (strcmp(optarg, "permanent") == 0)
                                spec.restart = PH_RESTART_PERMANENT;
                        else if (strcmp(optarg, "transient") == 0)
                                spec.restart = PH_RESTART_TRANSIENT;
                        else if (strcmp(optarg, "temporary") == 0)
                                spec.restart = PH_RESTART_TEMPORARY;
                        else {
                                ctl_usage("--restart takes permanent, transient or temporary, not \"%s\"", optarg);
                                goto usage;
                        }
                        break;
                case 'R':
                        if (strcmp(optarg, "exec") == 0)
                                spec.ready = PH_READY_EXEC;
                        else if (strcmp(optarg, "notify") == 0)
                                spec.ready = PH_READY_NOTIFY;
                        else {
                                ctl_usage("--ready takes exec or notify, not \"%s\"", optarg);
                                goto usage;
                        }
                        break;
                case 'M':
                        if (parse_size(optarg, &spec.limits.memory_max) < 0) {
                                ctl_usage("--memory-max takes a size (64M, 1G, max), not \"%s\"", optarg);
                                goto usage;
                        }
                        break;
                case 'P':
                        if (parse_size(optarg, &spec.limits.pids_max) < 0) {
                                ctl_usage("--pids-max takes a number or max, not \"%s\"", optarg);
                                goto usage;
                        }
                        break;
                case 'C':
                        if (parse_u64(optarg, &v) < 0 || v < 1 || v > 10000) {
                                ctl_usage("--cpu-weight takes 1..10000, not \"%s\"", optarg);
                                goto usage;
                        }
                        spec.limits.cpu_weight = v;
                        break;
                case 'n':
                        f.opts.node = optarg;
                        break;
                default:
                        ctl_usage("start: unknown option");
                        goto usage;
                }
        }
        if (optind != dd - 1) {
                ctl_usage(optind >= dd ? "start: which child? (start ID ... -- CMD)"
                                       : "start: one child id only (start ID ... -- CMD)");
                goto usage;
        }
        id = argv[optind];
        if (dd + 1 >= argc) {
                ctl_usage("start %s: no command (start ID ... -- CMD [ARG...])", id);
                goto usage;
        }
        spec.id = id;
        spec.argv = (const char *const *) argv + dd + 1;
        code = start_run(ctl, &spec, 1, &f);
        free(f.values);
        return code;
usage:
        free(f.values);
        return EXIT_USAGE;
}

int cmd_start_many(phubctl *ctl, int argc, char **argv) {
        static const struct option options[] = {
                { "await", no_argument, NULL, 'a' },
                { "timeout", required_argument, NULL, 't' },
                { "on-failure", required_argument, NULL, 'f' },
                { "no-check-existing", no_argument, NULL, 'E' },
                {},
        };
        start_flags f = {};
        ph_child_spec *specs = NULL;
        json_object **lines = NULL;
        const char ***storage = NULL;
        size_t n = 0, alloc = 0, lineno = 0;
        char *line = NULL;
        size_t line_size = 0;
        FILE *in;
        int c, r, code = EXIT_FAILED;

        ph_start_opts_init(&f.opts);
        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0) {
                r = start_common_option(c, &f);
                if (r < 0)
                        return EXIT_USAGE;
                if (r == 0)
                        return ctl_usage("start-many: unknown option");
        }
        if (optind != argc - 1)
                return ctl_usage("start-many takes one FILE (one JSON spec per line; - for stdin)");
        in = strcmp(argv[optind], "-") == 0 ? stdin : fopen(argv[optind], "re");
        if (!in) {
                fprintf(stderr, "phubctl: start-many: cannot open %s: %m\n", argv[optind]);
                return EXIT_USAGE;
        }
        while (getline(&line, &line_size, in) >= 0) {
                char *error = NULL;
                json_object *j;

                lineno++;
                if (strspn(line, " \t\r\n") == strlen(line))
                        continue;
                if (n == alloc) {
                        alloc = alloc ? alloc * 2 : 64;
                        specs = realloc(specs, alloc * sizeof(*specs));
                        lines = realloc(lines, alloc * sizeof(*lines));
                        storage = realloc(storage, alloc * sizeof(*storage));
                        if (!specs || !lines || !storage) {
                                code = ctl_fail(-ENOMEM, NULL, "start-many");
                                goto finish;
                        }
                }
                j = json_tokener_parse(line);
                if (!j) {
                        fprintf(stderr, "phubctl: start-many: line %zu is not JSON\n", lineno);
                        code = EXIT_USAGE;
                        goto finish;
                }
                lines[n] = j;
                storage[n] = NULL;
                r = spec_from_json(j, &specs[n], &storage[n], &error);
                n++;
                if (r < 0) {
                        fprintf(stderr, "phubctl: start-many: line %zu: %s\n", lineno, error ?: strerror(-r));
                        free(error);
                        code = EXIT_USAGE;
                        goto finish;
                }
        }
        if (n == 0) {
                code = ctl_usage("start-many: no spec in %s", argv[optind]);
                goto finish;
        }
        code = start_run(ctl, specs, n, &f);
finish:
        for (size_t i = 0; i < n; i++) {
                json_object_put(lines[i]);
                free(storage[i]);
        }
        free(specs);
        free(lines);
        free(storage);
        free(line);
        if (in != stdin)
                fclose(in);
        return code;
}
