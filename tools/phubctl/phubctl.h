/* SPDX-License-Identifier: MIT */
#pragma once

/* phubctl: the CLI of processhubd, through the public API only
 * (ph_hub_connect() and the ph_* functions of include/processhub.h).
 *
 * Exit codes (documented in phubctl(1)): 0 done, 1 the operation failed,
 * 2 a usage error, 3 the daemon could not be reached. Results go to
 * stdout (tables, or JSON with --json); errors to stderr, saying what to
 * do. */

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <processhub.h>

#include "protocol-shapes.h"

enum {
        EXIT_OK = 0,
        EXIT_FAILED = 1,
        EXIT_USAGE = 2,
        EXIT_UNREACHABLE = 3,
};

typedef struct phubctl {
        const char *socket_path; /* NULL: the library's default */
        const char *hub_id;      /* NULL: the daemon's only hub */
        bool json;
        ph_hub *hub; /* once connected */
} phubctl;

/* A command: argv[0] is its name. Returns an exit code. */
typedef int (*command_fn)(phubctl *ctl, int argc, char **argv);

/* args.c */
/* Connect when not yet connected; an exit code (0 when connected). */
int ctl_connect(phubctl *ctl);
/* Report a failed call: "phubctl: what: text or strerror" and the exit
 * code for it (3 when the daemon went away, else 1). */
int ctl_fail(int r, const char *text, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A usage error: the message, a pointer to --help, EXIT_USAGE. */
int ctl_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A start's or stop's outcome (cmd-start.c): "initiated" (or its JSON)
 * when future is NULL, else the awaited result as a table or JSON; the
 * exit code (EXIT_FAILED when the result has errors). Frees future. */
int ctl_report_operation(phubctl *ctl, const char *op, ph_future *future, const char *initiated);
/* "64M" (K, M, G, T: powers of 1024), "max", or a plain number. */
int parse_size(const char *s, uint64_t *ret);
int parse_u64(const char *s, uint64_t *ret);
/* The index of the first "--" in argv, or argc. */
int find_dashdash(int argc, char **argv);
void usage_print(FILE *f);

/* output-json.c: the stable shapes (docs/control-protocol.md). */

/* Print one line and drop the reference. */
void json_print(json_object *o);

/* output-table.c: the human forms. */
void table_child_list(ph_hub *hub, const ph_child_list *list);
void table_info(const ph_child_info *info, bool with_metadata);
void table_result(const ph_result *result);
void table_states(const ph_child_state *states, size_t n);
void table_status(const ph_hub_status *status);
void table_event(const ph_hook_event *event);

/* spec-json.c: a spec line of start-many, in the protocol's spec shape;
 * the spec points into j (keep it while the spec is used). */
int spec_from_json(json_object *j, ph_child_spec *spec, const char ***ret_argv_storage, char **ret_error);

/* The commands. */
int cmd_start(phubctl *ctl, int argc, char **argv);
int cmd_start_many(phubctl *ctl, int argc, char **argv);
int cmd_stop(phubctl *ctl, int argc, char **argv);
int cmd_ls(phubctl *ctl, int argc, char **argv);
int cmd_lookup(phubctl *ctl, int argc, char **argv);
int cmd_pid(phubctl *ctl, int argc, char **argv);
int cmd_pids(phubctl *ctl, int argc, char **argv);
int cmd_tag(phubctl *ctl, int argc, char **argv);
int cmd_dump(phubctl *ctl, int argc, char **argv);
int cmd_which(phubctl *ctl, int argc, char **argv);
int cmd_last_exit(phubctl *ctl, int argc, char **argv);
int cmd_status(phubctl *ctl, int argc, char **argv);
int cmd_nodes(phubctl *ctl, int argc, char **argv);
int cmd_promote(phubctl *ctl, int argc, char **argv);
int cmd_watch(phubctl *ctl, int argc, char **argv);
int cmd_hook(phubctl *ctl, int argc, char **argv);
