/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon-config.h"
#include "shell-words.h"
#include "string-util.h"

/* ---- Values ----------------------------------------------------------- */

static int parse_u64(const char *s, uint64_t *ret) {
        char *end;

        if (!s || !isdigit((unsigned char) *s))
                return -EINVAL;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno != 0 || *end)
                return -EINVAL;
        *ret = v;
        return 0;
}

int parse_size(const char *s, uint64_t *ret) {
        char *end;

        if (!s)
                return -EINVAL;
        if (strcmp(s, "max") == 0 || strcmp(s, "infinity") == 0) {
                *ret = PH_LIMIT_MAX;
                return 0;
        }
        if (!isdigit((unsigned char) *s))
                return -EINVAL;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno != 0)
                return -EINVAL;
        unsigned shift = 0;
        switch (*end) {
        case 0:
                break;
        case 'K': case 'k': shift = 10; break;
        case 'M': case 'm': shift = 20; break;
        case 'G': case 'g': shift = 30; break;
        case 'T': case 't': shift = 40; break;
        default:
                return -EINVAL;
        }
        if (*end && end[1] && !(strcmp(end + 1, "B") == 0 || strcmp(end + 1, "iB") == 0))
                return -EINVAL;
        if (shift && v > (UINT64_MAX >> shift))
                return -ERANGE;
        *ret = (uint64_t) v << shift;
        return 0;
}

int parse_duration_ms(const char *s, uint64_t *ret) {
        char *end;

        if (!s || !isdigit((unsigned char) *s))
                return -EINVAL;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno != 0)
                return -EINVAL;
        uint64_t mul;
        if (!*end || strcmp(end, "ms") == 0)
                mul = 1;
        else if (strcmp(end, "s") == 0)
                mul = 1000;
        else if (strcmp(end, "min") == 0)
                mul = 60 * 1000;
        else if (strcmp(end, "h") == 0)
                mul = 3600 * 1000;
        else
                return -EINVAL;
        if (v > UINT64_MAX / mul)
                return -ERANGE;
        *ret = v * mul;
        return 0;
}

/* ---- Errors ----------------------------------------------------------- */

_printf_(4, 5) static int config_error(char **ret_error_text, const char *origin, const char *key, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        free_and_vprintf(&msg, fmt, ap);
        va_end(ap);
        if (ret_error_text) {
                if (key)
                        free_and_printf(ret_error_text, "%s: %s: %s", origin, key, msg ?: "out of memory");
                else
                        free_and_printf(ret_error_text, "%s: %s", origin, msg ?: "out of memory");
        }
        return -EINVAL;
}

static int set_string(char **field, const char *value) {
        char *s = strdup(value);

        if (!s)
                return -ENOMEM;
        free(*field);
        *field = s;
        return 0;
}

static int set_const_string(const char **field, const char *value) {
        char *s = strdup(value);

        if (!s)
                return -ENOMEM;
        free((char *) *field);
        *field = s;
        return 0;
}

static int strv_extend(char ***l, char **add) {
        size_t n = 0, m = 0;

        for (char **i = *l; i && *i; i++)
                n++;
        for (char **i = add; i && *i; i++)
                m++;
        char **nl = realloc(*l, (n + m + 1) * sizeof(char *));
        if (!nl)
                return -ENOMEM;
        for (size_t i = 0; i < m; i++)
                nl[n + i] = add[i];
        nl[n + m] = NULL;
        *l = nl;
        /* The strings moved; only the array of add is left to free. */
        free(add);
        return 0;
}

/* ---- Strategies ------------------------------------------------------- */

typedef struct strategy_choice {
        const char *key;
        const char *const values[4]; /* the first is the default, the only one implemented */
} strategy_choice;

static const strategy_choice strategies[] = {
        { "distribution_strategy", { "consistent_hashing", "guided", "centralized_load_balancer" } },
        { "redundancy_strategy", { "singularity", "replication" } },
        { "migration_strategy", { "cold_swap", "hot_swap" } },
        { "synchronization_strategy", { "pubsub", "gossip" } },
        { "partition_tolerance_strategy", { "divergence", "static_quorum", "dynamic_quorum" } },
};

int config_check_strategy(const char *key, const char *value, char **ret_error_text) {
        for (size_t i = 0; i < ELEMENTSOF(strategies); i++) {
                const strategy_choice *c = &strategies[i];
                if (strcmp(c->key, key) != 0)
                        continue;
                if (strcmp(value, c->values[0]) == 0)
                        return 0;
                char known[256] = "";
                for (size_t j = 0; j < ELEMENTSOF(c->values) && c->values[j]; j++) {
                        if (j)
                                strncat(known, ", ", sizeof known - strlen(known) - 1);
                        strncat(known, c->values[j], sizeof known - strlen(known) - 1);
                }
                bool exists = false;
                for (size_t j = 0; j < ELEMENTSOF(c->values) && c->values[j]; j++)
                        if (strcmp(value, c->values[j]) == 0)
                                exists = true;
                if (exists)
                        free_and_printf(ret_error_text, "'%s' is not implemented yet; implemented now: %s (the reference knows: %s)",
                                        value, c->values[0], known);
                else
                        free_and_printf(ret_error_text, "unknown strategy '%s'; implemented now: %s (the reference knows: %s)",
                                        value, c->values[0], known);
                return -EOPNOTSUPP;
        }
        return -ENOENT;
}

/* ---- Child settings --------------------------------------------------- */

static const char *const restart_names[] = { "permanent", "transient", "temporary" };
static const char *const ready_names[] = { "exec", "notify" };
static const char *const output_names[] = { "inherit", "null", "file", "journal" };

static int lookup_name(const char *const *names, size_t n, const char *s) {
        for (size_t i = 0; i < n; i++)
                if (strcmp(names[i], s) == 0)
                        return (int) i;
        return -EINVAL;
}

static int set_limit(ph_limits *limits, const char *key, const char *value, const char *origin, char **ret_error_text,
                     bool *ret_known) {
        uint64_t v;

        *ret_known = true;
        if (strcmp(key, "memory_max") == 0 || strcmp(key, "pids_max") == 0) {
                if (parse_size(value, &v) < 0 || v == 0)
                        return config_error(ret_error_text, origin, key, "not a size (a number, K/M/G/T suffixed, or max): '%s'", value);
                if (key[0] == 'm')
                        limits->memory_max = v;
                else
                        limits->pids_max = v;
                return 0;
        }
        if (strcmp(key, "cpu_weight") == 0 || strcmp(key, "io_weight") == 0) {
                if (parse_u64(value, &v) < 0)
                        return config_error(ret_error_text, origin, key, "not a number: '%s'", value);
                if (v < 1 || v > 10000)
                        return config_error(ret_error_text, origin, key, "out of range (1..10000): '%s'", value);
                if (key[0] == 'c')
                        limits->cpu_weight = v;
                else
                        limits->io_weight = v;
                return 0;
        }
        *ret_known = false;
        return 0;
}

static int set_output(ph_output *output, const char **path, const char *key, const char *value, const char *origin,
                      char **ret_error_text) {
        int i;

        /* "file:PATH" is the short form of "file" plus *_path. */
        if (strncmp(value, "file:", 5) == 0) {
                if (!value[5])
                        return config_error(ret_error_text, origin, key, "file: needs a path");
                *output = PH_OUTPUT_FILE;
                return set_const_string(path, value + 5);
        }
        i = lookup_name(output_names, ELEMENTSOF(output_names), value);
        if (i < 0)
                return config_error(ret_error_text, origin, key, "not one of inherit, null, file, file:PATH, journal: '%s'", value);
        *output = (ph_output) i;
        return 0;
}

static int child_conf_set(child_conf *c, const char *key, const char *value, const char *origin, char **ret_error_text) {
        ph_child_spec *s = &c->spec;
        const char *why = NULL;
        uint64_t v;
        bool known;
        int r, i;

        if (strcmp(key, "exec") == 0 || strcmp(key, "env") == 0 || strcmp(key, "metadata") == 0) {
                char **words = NULL;
                r = shell_words_split(value, &words, &why);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return config_error(ret_error_text, origin, key, "%s: %s", why, value);
                if (strcmp(key, "env") == 0)
                        for (char **w = words; *w; w++)
                                if (!strchr(*w, '=') || **w == '=') {
                                        config_error(ret_error_text, origin, key, "not KEY=VALUE: '%s'", *w);
                                        strv_free(words);
                                        return -EINVAL;
                                }
                if (strcmp(key, "metadata") == 0)
                        for (char **w = words; *w; w++)
                                if (!strchr(*w, '=') || **w == '=') {
                                        config_error(ret_error_text, origin, key, "not KEY=VALUE: '%s'", *w);
                                        strv_free(words);
                                        return -EINVAL;
                                }
                char ***l = strcmp(key, "exec") == 0 ? &c->argv : strcmp(key, "env") == 0 ? &c->env : &c->metadata;
                if (!*l) {
                        *l = calloc(1, sizeof(char *));
                        if (!*l) {
                                strv_free(words);
                                return -ENOMEM;
                        }
                }
                r = strv_extend(l, words);
                if (r < 0) {
                        strv_free(words);
                        return r;
                }
                s->argv = (const char *const *) c->argv;
                s->env = (const char *const *) c->env;
                return 0;
        }
        if (strcmp(key, "cwd") == 0)
                return set_const_string(&s->cwd, value);
        if (strcmp(key, "user") == 0)
                return set_const_string(&s->user, value);
        if (strcmp(key, "group") == 0)
                return set_const_string(&s->group, value);
        if (strcmp(key, "tag") == 0)
                return set_string(&c->tag, value);
        if (strcmp(key, "restart") == 0) {
                i = lookup_name(restart_names, ELEMENTSOF(restart_names), value);
                if (i < 0)
                        return config_error(ret_error_text, origin, key, "not one of permanent, transient, temporary: '%s'", value);
                s->restart = (ph_restart) i;
                return 0;
        }
        if (strcmp(key, "ready") == 0) {
                i = lookup_name(ready_names, ELEMENTSOF(ready_names), value);
                if (i < 0)
                        return config_error(ret_error_text, origin, key, "not one of exec, notify: '%s'", value);
                s->ready = (ph_ready) i;
                return 0;
        }
        struct {
                const char *key;
                uint64_t *field;
        } durations[] = {
                { "ready_timeout", &s->ready_timeout_ms },
                { "shutdown_timeout", &s->shutdown_timeout_ms },
                { "restart_interval", &s->restart_interval_ms },
                { "restart_delay", &s->restart_delay_ms },
                { "restart_delay_max", &s->restart_delay_max_ms },
        };
        for (size_t j = 0; j < ELEMENTSOF(durations); j++)
                if (strcmp(key, durations[j].key) == 0) {
                        if (parse_duration_ms(value, durations[j].field) < 0)
                                return config_error(ret_error_text, origin, key, "not a duration (ms, or with s, min, h): '%s'", value);
                        return 0;
                }
        if (strcmp(key, "restart_burst") == 0) {
                if (parse_u64(value, &v) < 0 || v > UINT32_MAX)
                        return config_error(ret_error_text, origin, key, "not a number: '%s'", value);
                s->restart_burst = (unsigned) v;
                return 0;
        }
        r = set_limit(&s->limits, key, value, origin, ret_error_text, &known);
        if (known)
                return r;
        if (strcmp(key, "stdout") == 0)
                return set_output(&s->stdout_output, &s->stdout_path, key, value, origin, ret_error_text);
        if (strcmp(key, "stderr") == 0)
                return set_output(&s->stderr_output, &s->stderr_path, key, value, origin, ret_error_text);
        if (strcmp(key, "stdout_path") == 0)
                return set_const_string(&s->stdout_path, value);
        if (strcmp(key, "stderr_path") == 0)
                return set_const_string(&s->stderr_path, value);
        return config_error(ret_error_text, origin, key, "unknown key for a child");
}

static void child_conf_done(child_conf *c) {
        free(c->origin);
        free((char *) c->spec.id);
        free((char *) c->spec.cwd);
        free((char *) c->spec.user);
        free((char *) c->spec.group);
        free((char *) c->spec.stdout_path);
        free((char *) c->spec.stderr_path);
        strv_free(c->argv);
        strv_free(c->env);
        strv_free(c->metadata);
        free(c->tag);
}

/* ---- Hub settings ----------------------------------------------------- */

static int hub_conf_set(hub_conf *h, const char *key, const char *value, const char *origin, char **ret_error_text) {
        ph_hub_config *c = &h->config;
        _cleanup_free_ char *why = NULL;
        uint64_t v;
        bool known;
        int r;

        struct {
                const char *key;
                uint64_t *field;
        } durations[] = {
                { "hubs_discover_interval", &c->hubs_discover_interval_ms },
                { "deadlock_recovery_timeout", &c->deadlock_recovery_timeout_ms },
                { "storage_purge_interval", &c->storage_purge_interval_ms },
                { "migr_base_timeout", &c->migr_base_timeout_ms },
                { "dsup_shutdown_timeout", &c->dsup_shutdown_timeout_ms },
        };
        for (size_t j = 0; j < ELEMENTSOF(durations); j++)
                if (strcmp(key, durations[j].key) == 0) {
                        if (parse_duration_ms(value, durations[j].field) < 0)
                                return config_error(ret_error_text, origin, key, "not a duration (ms, or with s, min, h): '%s'", value);
                        return 0;
                }
        if (strcmp(key, "dsup_max_restarts") == 0 || strcmp(key, "dsup_max_seconds") == 0) {
                if (parse_u64(value, &v) < 0)
                        return config_error(ret_error_text, origin, key, "not a number: '%s'", value);
                if (v > UINT32_MAX)
                        return config_error(ret_error_text, origin, key, "out of range: '%s'", value);
                if (strcmp(key, "dsup_max_restarts") == 0)
                        c->dsup_max_restarts = (unsigned) v;
                else
                        c->dsup_max_seconds = (unsigned) v;
                return 0;
        }
        if (strcmp(key, "node_name") == 0)
                return set_const_string(&c->node_name, value);
        r = set_limit(&c->limits, key, value, origin, ret_error_text, &known);
        if (known)
                return r;
        r = config_check_strategy(key, value, &why);
        if (r == 0)
                return 0;
        if (r == -EOPNOTSUPP)
                return config_error(ret_error_text, origin, key, "%s", why ?: "not implemented");
        return config_error(ret_error_text, origin, key, "unknown key for a hub");
}

static void hub_conf_done(hub_conf *h) {
        free(h->name);
        free(h->origin);
        free((char *) h->config.node_name);
        for (size_t i = 0; i < h->n_children; i++)
                child_conf_done(&h->children[i]);
        free(h->children);
}

static int daemon_conf_set(daemon_config *d, const char *key, const char *value, const char *origin, char **ret_error_text) {
        if (strcmp(key, "socket") == 0)
                return set_string(&d->socket_path, value);
        if (strcmp(key, "control_group") == 0)
                return set_string(&d->control_group, value);
        if (strcmp(key, "state_dir") == 0)
                return set_string(&d->state_dir, value);
        return config_error(ret_error_text, origin, key, "unknown key for [daemon]");
}

/* ---- The model -------------------------------------------------------- */

daemon_config *daemon_config_ref(daemon_config *c) {
        if (c)
                c->n_ref++;
        return c;
}

daemon_config *daemon_config_free(daemon_config *c) {
        if (!c)
                return NULL;
        assert(c->n_ref > 0);
        if (--c->n_ref > 0)
                return NULL;
        free(c->config_path);
        free(c->socket_path);
        free(c->control_group);
        free(c->state_dir);
        for (size_t i = 0; i < c->n_hubs; i++)
                hub_conf_done(&c->hubs[i]);
        free(c->hubs);
        free(c);
        return NULL;
}

const hub_conf *daemon_config_find_hub(const daemon_config *c, const char *name) {
        for (size_t i = 0; i < c->n_hubs; i++)
                if (strcmp(c->hubs[i].name, name) == 0)
                        return &c->hubs[i];
        return NULL;
}

const child_conf *hub_conf_find_child(const hub_conf *h, const char *id) {
        for (size_t i = 0; i < h->n_children; i++)
                if (strcmp(h->children[i].spec.id, id) == 0)
                        return &h->children[i];
        return NULL;
}

static hub_conf *find_hub_mut(daemon_config *c, const char *name) {
        return (hub_conf *) daemon_config_find_hub(c, name);
}

/* Hubs and children live in arrays that grow: callers hold indexes, not
 * pointers, across additions. */
static int add_hub(daemon_config *c, const char *name, const char *origin, size_t *ret_index) {
        hub_conf *l = realloc(c->hubs, (c->n_hubs + 1) * sizeof(hub_conf));
        if (!l)
                return -ENOMEM;
        c->hubs = l;
        hub_conf *h = &c->hubs[c->n_hubs];
        *h = (hub_conf) {};
        ph_hub_config_init(&h->config);
        h->name = strdup(name);
        h->origin = strdup(origin);
        if (!h->name || !h->origin) {
                hub_conf_done(h);
                return -ENOMEM;
        }
        h->config.hub_id = h->name;
        *ret_index = c->n_hubs++;
        return 0;
}

static int add_child(hub_conf *h, const char *id, const char *origin, size_t *ret_index) {
        child_conf *l = realloc(h->children, (h->n_children + 1) * sizeof(child_conf));
        if (!l)
                return -ENOMEM;
        h->children = l;
        child_conf *c = &h->children[h->n_children];
        *c = (child_conf) {};
        ph_child_spec_init(&c->spec);
        c->spec.id = strdup(id);
        c->origin = strdup(origin);
        if (!c->spec.id || !c->origin) {
                child_conf_done(c);
                return -ENOMEM;
        }
        *ret_index = h->n_children++;
        return 0;
}

/* ---- The file --------------------------------------------------------- */

typedef enum section_kind {
        SECTION_NONE,
        SECTION_DAEMON,
        SECTION_HUB,
        SECTION_CHILD,
        SECTION_BAD,
} section_kind;

typedef struct file_parser {
        daemon_config *config;
        const char *path;
        FILE *f;
        unsigned line;
        section_kind section;
        size_t hub, child;
        /* Children are kept aside until the end, so that a [child hub/x]
         * may come before its [hub hub]. */
        hub_conf pending;
        char **pending_hubs; /* the hub of each pending child */
        char *error;
        int r;
} file_parser;

static void parser_fail(file_parser *p, int r) {
        if (p->r == 0)
                p->r = r;
}

static char *trim(char *s) {
        while (isspace((unsigned char) *s))
                s++;
        char *e = s + strlen(s);
        while (e > s && isspace((unsigned char) e[-1]))
                *--e = 0;
        return s;
}

static void parser_section(file_parser *p, char *header) {
        char origin[PATH_MAX + 32];
        int r;

        snprintf(origin, sizeof origin, "%s:%u", p->path, p->line);
        p->section = SECTION_BAD;
        char *name = trim(header);
        if (strcmp(name, "daemon") == 0) {
                p->section = SECTION_DAEMON;
                return;
        }
        if (strncmp(name, "hub", 3) == 0 && isspace((unsigned char) name[3])) {
                char *hub = trim(name + 4);
                if (!*hub) {
                        p->r = config_error(&p->error, origin, NULL, "[hub NAME]: needs a name");
                        return;
                }
                const hub_conf *old = daemon_config_find_hub(p->config, hub);
                if (old) {
                        parser_fail(p, config_error(&p->error, origin, NULL, "[hub %s]: given twice (first at %s)", hub, old->origin));
                        return;
                }
                r = add_hub(p->config, hub, origin, &p->hub);
                if (r < 0)
                        return parser_fail(p, r);
                p->section = SECTION_HUB;
                return;
        }
        if (strncmp(name, "child", 5) == 0 && isspace((unsigned char) name[5])) {
                char *hub = trim(name + 6);
                char *slash = strchr(hub, '/');
                if (!slash || slash == hub || !slash[1]) {
                        parser_fail(p, config_error(&p->error, origin, NULL, "[child %s]: not [child HUB/ID]", hub));
                        return;
                }
                *slash = 0;
                for (size_t i = 0; i < p->pending.n_children; i++)
                        if (strcmp(p->pending_hubs[i], hub) == 0 && strcmp(p->pending.children[i].spec.id, slash + 1) == 0) {
                                parser_fail(p, config_error(&p->error, origin, NULL, "[child %s/%s]: given twice (first at %s)", hub,
                                                            slash + 1, p->pending.children[i].origin));
                                return;
                        }
                char **l = realloc(p->pending_hubs, (p->pending.n_children + 1) * sizeof(char *));
                if (!l)
                        return parser_fail(p, -ENOMEM);
                p->pending_hubs = l;
                p->pending_hubs[p->pending.n_children] = strdup(hub);
                if (!p->pending_hubs[p->pending.n_children])
                        return parser_fail(p, -ENOMEM);
                r = add_child(&p->pending, slash + 1, origin, &p->child);
                if (r < 0) {
                        free(p->pending_hubs[p->pending.n_children]);
                        return parser_fail(p, r);
                }
                p->section = SECTION_CHILD;
                return;
        }
        parser_fail(p, config_error(&p->error, origin, NULL, "unknown section [%s]: expected [daemon], [hub NAME] or [child HUB/ID]", name));
}

/* inih hands its handler neither the line number nor empty sections, so
 * the reader counts lines and sees section headers itself; inih parses
 * the same lines right after. */
static char *parser_reader(char *str, int num, void *stream) {
        file_parser *p = stream;

        if (!fgets(str, num, p->f))
                return NULL;
        size_t len = strlen(str);
        if (len > 0 && str[len - 1] != '\n' && !feof(p->f)) {
                char origin[PATH_MAX + 32];
                snprintf(origin, sizeof origin, "%s:%u", p->path, p->line + 1);
                parser_fail(p, config_error(&p->error, origin, NULL,
                                            "line too long (at most %d characters; continue a list on indented lines)", num - 2));
                int ch;
                while ((ch = fgetc(p->f)) != EOF && ch != '\n')
                        ;
                p->line++;
                str[0] = '\n';
                str[1] = 0;
                return str;
        }
        p->line++;
        char *s = str;
        while (*s == ' ' || *s == '\t')
                s++;
        if (*s == '[') {
                char *end = strchr(s, ']');
                if (end) {
                        _cleanup_free_ char *header = strndup(s + 1, (size_t) (end - s - 1));
                        if (!header)
                                parser_fail(p, -ENOMEM);
                        else
                                parser_section(p, header);
                }
        }
        return str;
}

static int parser_handler(void *user, const char *section, const char *name, const char *value) {
        file_parser *p = user;
        char origin[PATH_MAX + 32];
        int r = 0;

        if (p->r < 0)
                return 1; /* only the first error is told */
        snprintf(origin, sizeof origin, "%s:%u", p->path, p->line);
        switch (p->section) {
        case SECTION_NONE:
                r = config_error(&p->error, origin, name, "outside of any section");
                break;
        case SECTION_DAEMON:
                r = daemon_conf_set(p->config, name, value, origin, &p->error);
                break;
        case SECTION_HUB:
                r = hub_conf_set(&p->config->hubs[p->hub], name, value, origin, &p->error);
                break;
        case SECTION_CHILD:
                r = child_conf_set(&p->pending.children[p->child], name, value, origin, &p->error);
                break;
        case SECTION_BAD:
                return 1;
        }
        if (r < 0)
                parser_fail(p, r);
        return 1;
}

static int move_child(hub_conf *h, child_conf *c) {
        child_conf *l = realloc(h->children, (h->n_children + 1) * sizeof(child_conf));
        if (!l)
                return -ENOMEM;
        h->children = l;
        h->children[h->n_children++] = *c;
        *c = (child_conf) {};
        return 0;
}

static int config_read_file(daemon_config *config, const char *path, char **ret_error_text) {
        file_parser p = { .config = config, .path = path };
        int r;

        p.f = fopen(path, "re");
        if (!p.f) {
                r = -errno;
                free_and_printf(ret_error_text, "%s: cannot read: %s", path, strerror(-r));
                return r;
        }
        r = ini_parse_stream(parser_reader, &p, parser_handler, &p);
        fclose(p.f);
        if (p.r == 0 && r > 0) {
                char origin[PATH_MAX + 32];
                snprintf(origin, sizeof origin, "%s:%d", path, r);
                p.r = config_error(&p.error, origin, NULL, "syntax error: expected [section], KEY = VALUE, or a comment");
        } else if (p.r == 0 && r < 0)
                p.r = -ENOMEM;

        for (size_t i = 0; i < p.pending.n_children; i++) {
                child_conf *c = &p.pending.children[i];
                if (p.r == 0) {
                        hub_conf *h = find_hub_mut(config, p.pending_hubs[i]);
                        if (!h)
                                p.r = config_error(&p.error, c->origin, NULL, "[child %s/%s]: no [hub %s] section", p.pending_hubs[i],
                                                   c->spec.id, p.pending_hubs[i]);
                        else
                                p.r = move_child(h, c);
                }
                child_conf_done(c);
                free(p.pending_hubs[i]);
        }
        free(p.pending.children);
        free(p.pending_hubs);
        if (p.r < 0) {
                if (ret_error_text) {
                        free(*ret_error_text);
                        *ret_error_text = TAKE_PTR(p.error);
                }
                free(p.error);
                return p.r;
        }
        free(p.error);
        return 0;
}

/* ---- The command line ------------------------------------------------- */

int daemon_cli_add(daemon_cli *cli, cli_item_kind kind, const char *value) {
        cli_item *l = realloc(cli->items, (cli->n_items + 1) * sizeof(cli_item));

        if (!l)
                return -ENOMEM;
        cli->items = l;
        cli->items[cli->n_items++] = (cli_item) { .kind = kind, .value = value };
        return 0;
}

void daemon_cli_done(daemon_cli *cli) {
        cli->items = mfree(cli->items);
        cli->n_items = 0;
}

static int config_apply_cli(daemon_config *config, const daemon_cli *cli, char **ret_error_text) {
        ssize_t hub = -1, child = -1;
        char origin[512];
        size_t idx;
        int r;

        for (size_t i = 0; i < cli->n_items; i++) {
                const cli_item *it = &cli->items[i];
                switch (it->kind) {
                case CLI_SOCKET:
                        r = set_string(&config->socket_path, it->value);
                        break;
                case CLI_CONTROL_GROUP:
                        r = set_string(&config->control_group, it->value);
                        break;
                case CLI_STATE_DIR:
                        r = set_string(&config->state_dir, it->value);
                        break;
                case CLI_HUB: {
                        snprintf(origin, sizeof origin, "--hub %s", it->value);
                        if (!*it->value)
                                return config_error(ret_error_text, origin, NULL, "needs a name");
                        const hub_conf *h = daemon_config_find_hub(config, it->value);
                        /* A hub of the file is selected, so that --set can change it. */
                        if (h)
                                hub = h - config->hubs;
                        else {
                                r = add_hub(config, it->value, origin, &idx);
                                if (r < 0)
                                        return r;
                                hub = (ssize_t) idx;
                        }
                        child = -1;
                        r = 0;
                        break;
                }
                case CLI_CHILD: {
                        snprintf(origin, sizeof origin, "--child %s", it->value);
                        if (hub < 0)
                                return config_error(ret_error_text, origin, NULL, "needs a --hub before it");
                        const char *eq = strchr(it->value, '=');
                        if (!eq || eq == it->value)
                                return config_error(ret_error_text, origin, NULL, "not ID=COMMAND");
                        _cleanup_free_ char *id = strndup(it->value, (size_t) (eq - it->value));
                        if (!id)
                                return -ENOMEM;
                        hub_conf *h = &config->hubs[hub];
                        const child_conf *old = hub_conf_find_child(h, id);
                        if (old) {
                                /* Replaces the file's child of that id as a whole. */
                                child_conf_done((child_conf *) old);
                                size_t at = (size_t) (old - h->children);
                                memmove(&h->children[at], &h->children[at + 1], (h->n_children - at - 1) * sizeof(child_conf));
                                h->n_children--;
                        }
                        r = add_child(h, id, origin, &idx);
                        if (r < 0)
                                return r;
                        child = (ssize_t) idx;
                        r = child_conf_set(&h->children[idx], "exec", eq + 1, origin, ret_error_text);
                        break;
                }
                case CLI_SET: {
                        snprintf(origin, sizeof origin, "--set %s", it->value);
                        const char *eq = strchr(it->value, '=');
                        if (!eq || eq == it->value)
                                return config_error(ret_error_text, origin, NULL, "not KEY=VALUE");
                        _cleanup_free_ char *key = strndup(it->value, (size_t) (eq - it->value));
                        if (!key)
                                return -ENOMEM;
                        if (hub < 0)
                                r = daemon_conf_set(config, key, eq + 1, origin, ret_error_text);
                        else if (child < 0)
                                r = hub_conf_set(&config->hubs[hub], key, eq + 1, origin, ret_error_text);
                        else
                                r = child_conf_set(&config->hubs[hub].children[child], key, eq + 1, origin, ret_error_text);
                        break;
                }
                default:
                        assert(false);
                        r = -EINVAL;
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

static int config_validate(daemon_config *config, char **ret_error_text) {
        for (size_t i = 0; i < config->n_hubs; i++) {
                hub_conf *h = &config->hubs[i];
                for (size_t j = 0; j < h->n_children; j++) {
                        child_conf *c = &h->children[j];
                        if (!c->argv || !c->argv[0])
                                return config_error(ret_error_text, c->origin, "exec", "child %s/%s: needs a command", h->name, c->spec.id);
                        if (c->spec.stdout_output == PH_OUTPUT_FILE && !c->spec.stdout_path)
                                return config_error(ret_error_text, c->origin, "stdout", "child %s/%s: file needs stdout_path", h->name,
                                                    c->spec.id);
                        if (c->spec.stderr_output == PH_OUTPUT_FILE && !c->spec.stderr_path)
                                return config_error(ret_error_text, c->origin, "stderr", "child %s/%s: file needs stderr_path", h->name,
                                                    c->spec.id);
                }
        }
        return 0;
}

int daemon_config_load(const daemon_cli *cli, daemon_config **ret, char **ret_error_text) {
        _cleanup_(daemon_config_freep) daemon_config *config = NULL;
        const char *path = NULL;
        int r;

        assert(cli);
        assert(ret);

        config = calloc(1, sizeof(*config));
        if (!config)
                return -ENOMEM;
        config->n_ref = 1;
        if (cli->config_path)
                path = cli->config_path;
        else if (!cli->no_config && access(DAEMON_DEFAULT_CONFIG, F_OK) == 0)
                path = DAEMON_DEFAULT_CONFIG;
        if (path) {
                config->config_path = strdup(path);
                if (!config->config_path)
                        return -ENOMEM;
                r = config_read_file(config, path, ret_error_text);
                if (r < 0)
                        return r;
        }
        r = config_apply_cli(config, cli, ret_error_text);
        if (r < 0)
                return r;
        r = config_validate(config, ret_error_text);
        if (r < 0)
                return r;

        if (!config->socket_path && !(config->socket_path = strdup(DAEMON_DEFAULT_SOCKET)))
                return -ENOMEM;
        if (!config->state_dir && !(config->state_dir = strdup(DAEMON_DEFAULT_STATE_DIR)))
                return -ENOMEM;
        *ret = TAKE_PTR(config);
        return 0;
}

/* ---- Comparing -------------------------------------------------------- */

static bool streq_ptr(const char *a, const char *b) {
        if (!a || !b)
                return a == b;
        return strcmp(a, b) == 0;
}

static bool strv_equal(char **a, char **b) {
        if (!a || !b)
                return a == b;
        for (; *a && *b; a++, b++)
                if (strcmp(*a, *b) != 0)
                        return false;
        return !*a && !*b;
}

static bool limits_equal(const ph_limits *a, const ph_limits *b) {
        return a->memory_max == b->memory_max && a->pids_max == b->pids_max && a->cpu_weight == b->cpu_weight &&
               a->io_weight == b->io_weight;
}

bool hub_conf_settings_equal(const hub_conf *a, const hub_conf *b) {
        const ph_hub_config *x = &a->config, *y = &b->config;

        return streq_ptr(a->name, b->name) && streq_ptr(x->node_name, y->node_name) && limits_equal(&x->limits, &y->limits) &&
               x->hubs_discover_interval_ms == y->hubs_discover_interval_ms &&
               x->deadlock_recovery_timeout_ms == y->deadlock_recovery_timeout_ms &&
               x->storage_purge_interval_ms == y->storage_purge_interval_ms && x->migr_base_timeout_ms == y->migr_base_timeout_ms &&
               x->dsup_max_restarts == y->dsup_max_restarts && x->dsup_max_seconds == y->dsup_max_seconds &&
               x->dsup_shutdown_timeout_ms == y->dsup_shutdown_timeout_ms;
}

bool child_conf_equal(const child_conf *a, const child_conf *b) {
        const ph_child_spec *x = &a->spec, *y = &b->spec;

        return streq_ptr(x->id, y->id) && strv_equal(a->argv, b->argv) && strv_equal(a->env, b->env) &&
               streq_ptr(x->cwd, y->cwd) && streq_ptr(x->user, y->user) && streq_ptr(x->group, y->group) &&
               x->restart == y->restart && x->ready == y->ready && x->ready_timeout_ms == y->ready_timeout_ms &&
               x->shutdown_timeout_ms == y->shutdown_timeout_ms && x->restart_burst == y->restart_burst &&
               x->restart_interval_ms == y->restart_interval_ms && x->restart_delay_ms == y->restart_delay_ms &&
               x->restart_delay_max_ms == y->restart_delay_max_ms && limits_equal(&x->limits, &y->limits) &&
               x->stdout_output == y->stdout_output && streq_ptr(x->stdout_path, y->stdout_path) &&
               x->stderr_output == y->stderr_output && streq_ptr(x->stderr_path, y->stderr_path) && streq_ptr(a->tag, b->tag) &&
               strv_equal(a->metadata, b->metadata);
}
