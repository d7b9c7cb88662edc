/* SPDX-License-Identifier: MIT */
#pragma once

/* processhubd's configuration: the [daemon] settings, the hubs and their
 * static children, read from an INI file (libinih) and from command-line
 * flags, which apply on top of the file in the order given. Syntax in
 * processhubd.conf(5).
 *
 * Every error names where the setting came from and the key:
 * "processhubd.conf:12: dsup_max_restarts: not a number: 'x'" or
 * "--set dsup_max_restarts=x: dsup_max_restarts: not a number: 'x'". */

#include <stdbool.h>
#include <stddef.h>

#include "macros.h"
#include "processhub.h"

#define DAEMON_DEFAULT_CONFIG "/etc/processhub/processhubd.conf"
#define DAEMON_DEFAULT_SOCKET "/run/processhub/processhubd.sock"
#define DAEMON_DEFAULT_STATE_DIR "/run/processhub/state"

typedef struct child_conf {
        char *origin; /* "file:line" of its section, or the flag */
        ph_child_spec spec; /* every string owned */
        char **argv;
        char **env;
        char *tag;
        char **metadata; /* "key=value" */
} child_conf;

typedef struct hub_conf {
        char *name;
        char *origin;
        ph_hub_config config; /* hub_id points at name; node_name owned */
        child_conf *children;
        size_t n_children;
} hub_conf;

typedef struct daemon_config {
        unsigned n_ref; /* jobs on workers hold the config their specs come from */
        char *config_path; /* the file read, NULL when none */
        char *socket_path;
        char *control_group;
        char *state_dir;
        hub_conf *hubs;
        size_t n_hubs;
} daemon_config;

/* What the command line asked for, kept to be applied again on reload. */
typedef enum cli_item_kind {
        CLI_HUB,        /* --hub NAME */
        CLI_CHILD,      /* --child 'ID=CMD ARGS...' */
        CLI_SET,        /* --set KEY=VALUE: the last --child after the last --hub, else that --hub */
        CLI_SOCKET,
        CLI_CONTROL_GROUP,
        CLI_STATE_DIR,
        _CLI_ITEM_KIND_MAX,
        _CLI_ITEM_KIND_INVALID = -22,
} cli_item_kind;

typedef struct cli_item {
        cli_item_kind kind;
        const char *value; /* points into argv */
} cli_item;

typedef struct daemon_cli {
        const char *config_path; /* --config; NULL: the default, when it exists */
        bool no_config;          /* --no-config */
        cli_item *items;
        size_t n_items;
} daemon_cli;

int daemon_cli_add(daemon_cli *cli, cli_item_kind kind, const char *value);
void daemon_cli_done(daemon_cli *cli);

/* Read the file (if any) and apply the command line. -EINVAL (and the
 * text) for a bad setting, -ENOENT for a --config file that does not
 * exist; *ret_error_text is the message to print. */
int daemon_config_load(const daemon_cli *cli, daemon_config **ret, char **ret_error_text);
daemon_config *daemon_config_ref(daemon_config *c);
/* Drops a reference; frees on the last. */
daemon_config *daemon_config_free(daemon_config *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(daemon_config *, daemon_config_free);

const hub_conf *daemon_config_find_hub(const daemon_config *c, const char *name);
const child_conf *hub_conf_find_child(const hub_conf *h, const char *id);

/* Whether two hubs' own settings (not their children) are the same, and
 * two static children are the same (spec, tag and metadata). */
bool hub_conf_settings_equal(const hub_conf *a, const hub_conf *b);
bool child_conf_equal(const child_conf *a, const child_conf *b);

/* Parsers shared with the control protocol: "64M", "max"; "5s", "500ms". */
int parse_size(const char *s, uint64_t *ret);
int parse_duration_ms(const char *s, uint64_t *ret);

/* The strategy keys and the values the reference knows; only the first of
 * each (the single-host default) is implemented. */
int config_check_strategy(const char *key, const char *value, char **ret_error_text);
