/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "child-spec.h"
#include "string-table.h"

static const char *const child_restart_table[_CHILD_RESTART_MAX] = {
        [CHILD_RESTART_PERMANENT] = "permanent",
        [CHILD_RESTART_TRANSIENT] = "transient",
        [CHILD_RESTART_TEMPORARY] = "temporary",
};
DEFINE_STRING_TABLE_LOOKUP(child_restart, child_restart);

static const char *const child_ready_table[_CHILD_READY_MAX] = {
        [CHILD_READY_EXEC] = "exec",
        [CHILD_READY_NOTIFY] = "notify",
};
DEFINE_STRING_TABLE_LOOKUP(child_ready, child_ready);

static const char *const child_output_kind_table[_CHILD_OUTPUT_KIND_MAX] = {
        [CHILD_OUTPUT_INHERIT] = "inherit",
        [CHILD_OUTPUT_NULL] = "null",
        [CHILD_OUTPUT_FILE] = "file",
        [CHILD_OUTPUT_JOURNAL] = "journal",
};
DEFINE_STRING_TABLE_LOOKUP(child_output_kind, child_output_kind);

void child_spec_init(child_spec *spec) {
        assert(spec);

        *spec = (child_spec) {
                .restart = CHILD_RESTART_PERMANENT,
                .ready = CHILD_READY_EXEC,
                .ready_timeout_usec = CHILD_SPEC_DEFAULT_READY_TIMEOUT_USEC,
                .shutdown_timeout_usec = CHILD_SPEC_DEFAULT_SHUTDOWN_TIMEOUT_USEC,
                .restart_burst = CHILD_SPEC_DEFAULT_RESTART_BURST,
                .restart_interval_usec = CHILD_SPEC_DEFAULT_RESTART_INTERVAL_USEC,
                .restart_delay_usec = CHILD_SPEC_DEFAULT_RESTART_DELAY_USEC,
                .restart_delay_max_usec = CHILD_SPEC_DEFAULT_RESTART_DELAY_USEC,
                .stdout_output = CHILD_OUTPUT_INHERIT,
                .stderr_output = CHILD_OUTPUT_INHERIT,
        };
}

static child_spec_extra *extra_free(child_spec_extra *x) {
        if (!x)
                return NULL;
        strv_free(x->env);
        free(x->cwd);
        free(x->user);
        free(x->group);
        free(x->stdout_path);
        free(x->stderr_path);
        free(x);
        return NULL;
}

static bool extra_is_empty(const child_spec_extra *x) {
        return !x || (!x->env && !x->cwd && !x->user && !x->group && !x->stdout_path && !x->stderr_path);
}

void child_spec_done(child_spec *spec) {
        if (!spec)
                return;
        assert(!child_spec_is_shared(spec));
        free(spec->id);
        strv_free(spec->argv);
        extra_free(spec->extra);
        child_spec_init(spec);
}

int child_spec_extra_get(child_spec *spec, child_spec_extra **ret) {
        assert_return(spec, -EINVAL);
        assert_return(!child_spec_is_shared(spec), -EINVAL);
        assert_return(ret, -EINVAL);

        if (!spec->extra) {
                spec->extra = calloc(1, sizeof(child_spec_extra));
                if (!spec->extra)
                        return -ENOMEM;
        }
        *ret = spec->extra;
        return 0;
}

child_spec *child_spec_free(child_spec *spec) {
        if (!spec)
                return NULL;
        if (child_spec_is_shared(spec)) {
                /* Release so that this thread's reads happen before the
                 * free, acquire so that the freeing thread sees them done. */
                if (__atomic_sub_fetch(&spec->n_ref, 1, __ATOMIC_ACQ_REL) == 0)
                        free(spec); /* one block */
                return NULL;
        }
        child_spec_done(spec);
        free(spec);
        return NULL;
}

static void extra_freep(child_spec_extra **x) {
        extra_free(*x);
}

static int strdup_or_null(const char *s, char **ret) {
        if (!s) {
                *ret = NULL;
                return 0;
        }
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

static int strv_copy(char *const *l, char ***ret) {
        size_t n = 0;

        if (!l) {
                *ret = NULL;
                return 0;
        }
        while (l[n])
                n++;

        _cleanup_strv_free_ char **copy = calloc(n + 1, sizeof(char *));
        if (!copy)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                copy[i] = strdup(l[i]);
                if (!copy[i])
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(copy);
        return 0;
}

static int extra_copy(const child_spec_extra *x, child_spec_extra **ret) {
        int r;

        if (extra_is_empty(x)) {
                *ret = NULL;
                return 0;
        }
        _cleanup_(extra_freep) child_spec_extra *c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        r = strv_copy(x->env, &c->env);
        if (r < 0)
                return r;
        r = strdup_or_null(x->cwd, &c->cwd);
        if (r < 0)
                return r;
        r = strdup_or_null(x->user, &c->user);
        if (r < 0)
                return r;
        r = strdup_or_null(x->group, &c->group);
        if (r < 0)
                return r;
        r = strdup_or_null(x->stdout_path, &c->stdout_path);
        if (r < 0)
                return r;
        r = strdup_or_null(x->stderr_path, &c->stderr_path);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(c);
        return 0;
}

int child_spec_copy(const child_spec *spec, child_spec **ret) {
        int r;

        assert_return(spec, -EINVAL);
        assert_return(ret, -EINVAL);

        _cleanup_child_spec_ child_spec *c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        *c = *spec;
        c->n_ref = 0;
        /* Drop the borrowed pointers before anything can fail, so that the
         * cleanup frees only what was copied. */
        c->id = NULL;
        c->argv = NULL;
        c->extra = NULL;

        r = strdup_or_null(spec->id, &c->id);
        if (r < 0)
                return r;
        r = strv_copy(spec->argv, &c->argv);
        if (r < 0)
                return r;
        r = extra_copy(spec->extra, &c->extra);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(c);
        return 0;
}

/* Bytes of a string (with its NUL) or of a NULL-terminated list (its
 * pointers and strings) in a shared block. Sizes of strings in memory do
 * not overflow a size_t together. */
static size_t string_size(const char *s) {
        return s ? strlen(s) + 1 : 0;
}

static size_t strv_size(char *const *l) {
        size_t size = 0;

        if (!l)
                return 0;
        for (; *l; l++)
                size += sizeof(char *) + strlen(*l) + 1;
        return size + sizeof(char *);
}

static char *block_string(char **cursor, const char *s) {
        size_t len;

        if (!s)
                return NULL;
        len = strlen(s) + 1;
        memcpy(*cursor, s, len);
        *cursor += len;
        return *cursor - len;
}

/* The pointers at *pointers, the strings at *cursor. */
static char **block_strv(char ***pointers, char **cursor, char *const *l) {
        char **copy = *pointers;
        size_t n = 0;

        if (!l)
                return NULL;
        for (; l[n]; n++)
                copy[n] = block_string(cursor, l[n]);
        copy[n] = NULL;
        *pointers += n + 1;
        return copy;
}

static size_t count_strv(char *const *l) {
        size_t n = 0;

        for (; l && *l; l++)
                n++;
        return n;
}

int child_spec_share(const child_spec *spec, child_spec **ret) {
        const child_spec_extra *x;
        size_t size = sizeof(child_spec), n_pointers;
        child_spec *c;
        char **pointers, *cursor;

        assert_return(spec, -EINVAL);
        assert_return(ret, -EINVAL);

        if (child_spec_is_shared(spec)) {
                /* Relaxed: a reference is only taken from another one. */
                c = (child_spec *) spec;
                __atomic_add_fetch(&c->n_ref, 1, __ATOMIC_RELAXED);
                *ret = c;
                return 0;
        }

        /* The extra fields right after the struct when any is set, then the
         * pointer arrays (both keep the struct's alignment: sizes are
         * multiples of a pointer), then every string. */
        x = extra_is_empty(spec->extra) ? NULL : spec->extra;
        if (x)
                size += sizeof(child_spec_extra) + strv_size(x->env) + string_size(x->cwd) + string_size(x->user) +
                        string_size(x->group) + string_size(x->stdout_path) + string_size(x->stderr_path);
        size += strv_size(spec->argv) + string_size(spec->id);
        c = malloc(size);
        if (!c)
                return -ENOMEM;
        *c = *spec;
        c->n_ref = 1;
        c->extra = x ? (child_spec_extra *) (c + 1) : NULL;
        n_pointers = count_strv(spec->argv) + !!spec->argv;
        if (x)
                n_pointers += count_strv(x->env) + !!x->env;
        pointers = (char **) ((char *) (c + 1) + (x ? sizeof(child_spec_extra) : 0));
        cursor = (char *) (pointers + n_pointers);
        c->argv = block_strv(&pointers, &cursor, spec->argv);
        c->id = block_string(&cursor, spec->id);
        if (x) {
                c->extra->env = block_strv(&pointers, &cursor, x->env);
                c->extra->cwd = block_string(&cursor, x->cwd);
                c->extra->user = block_string(&cursor, x->user);
                c->extra->group = block_string(&cursor, x->group);
                c->extra->stdout_path = block_string(&cursor, x->stdout_path);
                c->extra->stderr_path = block_string(&cursor, x->stderr_path);
        }
        assert((size_t) (cursor - (char *) c) == size);

        *ret = c;
        return 0;
}

/* Length of the UTF-8 sequence starting at s, or 0 when it is not valid. */
static size_t utf8_sequence_length(const unsigned char *s) {
        size_t n;
        uint32_t cp;

        if (s[0] < 0x80)
                return 1;
        if ((s[0] & 0xe0) == 0xc0) {
                n = 2;
                cp = s[0] & 0x1f;
        } else if ((s[0] & 0xf0) == 0xe0) {
                n = 3;
                cp = s[0] & 0x0f;
        } else if ((s[0] & 0xf8) == 0xf0) {
                n = 4;
                cp = s[0] & 0x07;
        } else
                return 0;

        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (s[i] & 0x3f);
        }
        /* Overlong forms, surrogates and values past Unicode. */
        if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
            (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
                return 0;
        return n;
}

int child_id_validate(const char *id, const char **ret_reason) {
        const char *reason = NULL;
        size_t len;

        if (!id)
                reason = "is missing";
        else if ((len = strlen(id)) == 0)
                reason = "is empty";
        else if (len > CHILD_ID_MAX)
                reason = "is longer than 255 bytes";
        else
                for (const unsigned char *p = (const unsigned char *) id; *p;) {
                        size_t n = utf8_sequence_length(p);

                        if (n == 0) {
                                reason = "is not valid UTF-8";
                                break;
                        }
                        if (n == 1 && (*p < 0x20 || *p == 0x7f)) {
                                reason = "contains a control character";
                                break;
                        }
                        p += n;
                }

        if (!reason)
                return 0;
        if (ret_reason)
                *ret_reason = reason;
        return -EINVAL;
}

static int output_validate(child_output o, const char **ret_reason) {
        if (o.kind < 0 || o.kind >= _CHILD_OUTPUT_KIND_MAX) {
                *ret_reason = "is not one of inherit, null, file, journal";
                return -EINVAL;
        }
        if (o.kind == CHILD_OUTPUT_FILE && (!o.path || o.path[0] != '/')) {
                *ret_reason = "file output needs an absolute path";
                return -EINVAL;
        }
        if (o.kind != CHILD_OUTPUT_FILE && o.path) {
                *ret_reason = "a path is only allowed with file output";
                return -EINVAL;
        }
        return 0;
}

int child_spec_validate(const child_spec *spec, const char **ret_field, const char **ret_reason) {
        const char *field = NULL, *reason = NULL;
        const child_spec_extra *x;

        assert_return(spec, -EINVAL);
        x = child_spec_extra_of(spec);

        if (child_id_validate(spec->id, &reason) < 0)
                field = "id";
        else if (!spec->argv || !spec->argv[0] || !spec->argv[0][0])
                field = "argv", reason = "needs at least the program";
        else if (spec->restart < 0 || spec->restart >= _CHILD_RESTART_MAX)
                field = "restart", reason = "is not one of permanent, transient, temporary";
        else if (spec->ready < 0 || spec->ready >= _CHILD_READY_MAX)
                field = "ready", reason = "is not one of exec, notify";
        else if (spec->ready == CHILD_READY_NOTIFY && spec->ready_timeout_usec == 0)
                field = "ready_timeout", reason = "must be above 0 with notify readiness";
        else if (x->cwd && x->cwd[0] != '/')
                field = "cwd", reason = "must be an absolute path";
        else if (x->user && !x->user[0])
                field = "user", reason = "is empty";
        else if (x->group && !x->group[0])
                field = "group", reason = "is empty";
        else if (spec->restart_burst == 0)
                field = "restart_burst", reason = "must be at least 1";
        else if (spec->restart_interval_usec == 0)
                field = "restart_interval", reason = "must be above 0";
        else if (output_validate(child_spec_stdout(spec), &reason) < 0)
                field = "stdout";
        else if (output_validate(child_spec_stderr(spec), &reason) < 0)
                field = "stderr";
        else if (x->env)
                for (char **e = x->env; *e; e++)
                        if (!strchr(*e, '=') || **e == '=') {
                                field = "env", reason = "entries must be KEY=VALUE";
                                break;
                        }

        if (!field)
                return 0;
        if (ret_field)
                *ret_field = field;
        if (ret_reason)
                *ret_reason = reason;
        return -EINVAL;
}
