/* SPDX-License-Identifier: MIT */

/* The state file's JSON both ways, strict on the way in: a file that does
 * not say exactly what it should is refused as a whole (-EBADMSG), never
 * half applied. */

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json-writer.h"
#include "macros.h"
#include "state-file.h"

#define STATE_FORMAT "processhub-state"
/* 2: fields at their defaults left out. Files of version 1 (every field
 * written) are read too. */
#define STATE_VERSION 2
#define STATE_VERSION_MIN 1

void state_records_free(state_record *records, size_t n) {
        if (!records)
                return;
        for (size_t i = 0; i < n; i++) {
                child_spec_free(records[i].spec);
                free(records[i].tag);
                for (size_t k = 0; k < records[i].n_metadata; k++) {
                        free(records[i].metadata[k].key);
                        free(records[i].metadata[k].value);
                }
                free(records[i].metadata);
        }
        free(records);
}

/* ---- Encoding ---- */

/* A field is written only where it differs from child_spec_init()'s
 * default (the decoder fills the default back in): a child with a plain
 * spec is its id, argv and pid (90 bytes, not 545), which json-c parses in
 * a fifth of the time at adoption, and every flush writes that much less.
 * Written as text (json-writer.h), one child after the other: a json-c
 * tree per child cost an allocation per value. */

static void write_output(json_writer *w, const char *key, child_output o, child_output_kind def) {
        if (o.kind == def && !o.path)
                return;
        json_writer_key(w, key);
        json_writer_object_begin(w);
        json_writer_field_string(w, "kind", child_output_kind_to_string(o.kind));
        if (o.path)
                json_writer_field_string(w, "path", o.path);
        json_writer_object_end(w);
}

static void write_u64_unless(json_writer *w, const char *key, uint64_t v, uint64_t def) {
        if (v != def)
                json_writer_field_uint(w, key, v);
}

static void write_spec(json_writer *w, const child_spec *s) {
        const child_spec_extra *x = child_spec_extra_of(s);
        child_spec def;

        child_spec_init(&def);
        json_writer_object_begin(w);
        json_writer_field_string(w, "id", s->id);
        json_writer_field_strv(w, "argv", (const char *const *) s->argv);
        /* An empty environment is not the supervisor's: [] is written. */
        if (x->env)
                json_writer_field_strv(w, "env", (const char *const *) x->env);
        if (x->cwd)
                json_writer_field_string(w, "cwd", x->cwd);
        if (x->user)
                json_writer_field_string(w, "user", x->user);
        if (x->group)
                json_writer_field_string(w, "group", x->group);
        if (s->restart != def.restart)
                json_writer_field_string(w, "restart", child_restart_to_string(s->restart));
        if (s->ready != def.ready)
                json_writer_field_string(w, "ready", child_ready_to_string(s->ready));
        write_u64_unless(w, "ready_timeout_usec", s->ready_timeout_usec, def.ready_timeout_usec);
        write_u64_unless(w, "shutdown_timeout_usec", s->shutdown_timeout_usec, def.shutdown_timeout_usec);
        write_u64_unless(w, "restart_burst", s->restart_burst, def.restart_burst);
        write_u64_unless(w, "restart_interval_usec", s->restart_interval_usec, def.restart_interval_usec);
        write_u64_unless(w, "restart_delay_usec", s->restart_delay_usec, def.restart_delay_usec);
        write_u64_unless(w, "restart_delay_max_usec", s->restart_delay_max_usec, def.restart_delay_max_usec);
        if (s->limits.memory_max || s->limits.pids_max || s->limits.cpu_weight || s->limits.io_weight) {
                json_writer_key(w, "limits");
                json_writer_object_begin(w);
                write_u64_unless(w, "memory_max", s->limits.memory_max, 0);
                write_u64_unless(w, "pids_max", s->limits.pids_max, 0);
                write_u64_unless(w, "cpu_weight", s->limits.cpu_weight, 0);
                write_u64_unless(w, "io_weight", s->limits.io_weight, 0);
                json_writer_object_end(w);
        }
        write_output(w, "stdout", child_spec_stdout(s), def.stdout_output);
        write_output(w, "stderr", child_spec_stderr(s), def.stderr_output);
        json_writer_object_end(w);
}

static void write_record(json_writer *w, const state_record *r) {
        json_writer_object_begin(w);
        json_writer_key(w, "spec");
        write_spec(w, r->spec);
        if (r->tag)
                json_writer_field_string(w, "tag", r->tag);
        if (r->n_metadata > 0) {
                json_writer_key(w, "metadata");
                json_writer_array_begin(w);
                for (size_t i = 0; i < r->n_metadata; i++) {
                        json_writer_array_begin(w);
                        json_writer_string(w, r->metadata[i].key);
                        json_writer_string(w, r->metadata[i].value ?: "");
                        json_writer_array_end(w);
                }
                json_writer_array_end(w);
        }
        write_u64_unless(w, "pid", (uint64_t) r->pid, 0);
        write_u64_unless(w, "start_time", r->identity.start_time, 0);
        write_u64_unless(w, "restarts", r->restarts, 0);
        write_u64_unless(w, "pidfs_ino", r->identity.pidfs_ino, 0);
        json_writer_object_end(w);
}

int state_file_encode(const char *hub_id, const state_record *records, size_t n, char **ret_text) {
        json_writer w = JSON_WRITER_INIT;

        assert_return(hub_id, -EINVAL);
        assert_return(records || n == 0, -EINVAL);
        assert_return(ret_text, -EINVAL);

        json_writer_object_begin(&w);
        json_writer_field_string(&w, "format", STATE_FORMAT);
        json_writer_field_int(&w, "version", STATE_VERSION);
        json_writer_field_string(&w, "hub_id", hub_id);
        json_writer_key(&w, "children");
        json_writer_array_begin(&w);
        for (size_t i = 0; i < n; i++)
                write_record(&w, &records[i]);
        json_writer_array_end(&w);
        json_writer_object_end(&w);
        *ret_text = json_writer_take(&w, NULL);
        return *ret_text ? 0 : -ENOMEM;
}

/* ---- Decoding ---- */

static void json_object_putp(json_object **o) {
        if (*o)
                json_object_put(*o);
}
#define _cleanup_json_ _cleanup_(json_object_putp)

typedef struct decoder {
        char *error; /* the first error, with where */
} decoder;

__attribute__((format(printf, 2, 3))) static int bad(decoder *d, const char *fmt, ...) {
        va_list ap;

        if (!d->error) {
                va_start(ap, fmt);
                if (vasprintf(&d->error, fmt, ap) < 0)
                        d->error = NULL;
                va_end(ap);
        }
        return -EBADMSG;
}

static json_object *field(json_object *o, const char *key) {
        json_object *v = NULL;

        return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* Absent: *ret keeps its default (version 2 leaves defaults out). */
static int get_u64(decoder *d, json_object *o, const char *where, const char *key, uint64_t *ret) {
        json_object *v = NULL;

        if (!json_object_object_get_ex(o, key, &v))
                return 0;

        if (!v || !json_object_is_type(v, json_type_int))
                return bad(d, "%s.%s: missing or not an integer", where, key);
        /* json-c keeps negative numbers as int64: refuse them here. */
        if (json_object_get_int64(v) < 0 && json_object_get_uint64(v) == 0)
                return bad(d, "%s.%s: negative", where, key);
        *ret = json_object_get_uint64(v);
        return 0;
}

/* json-c keeps a \u0000 inside the string: C would cut it short there
 * without a word. */
static bool json_string_is_whole(json_object *v) {
        return strlen(json_object_get_string(v)) == (size_t) json_object_get_string_len(v);
}

/* key's value in *ret: 1, or 0 with *ret NULL for JSON null (when
 * null_ok) or when it is absent; absent is an error only for what has no
 * default (null_ok false and required). */
static int get_value(decoder *d, json_object *o, const char *where, const char *key, bool null_ok, bool required,
                     json_object **ret) {
        json_object *v = NULL;

        if (!json_object_object_get_ex(o, key, &v)) {
                if (required)
                        return bad(d, "%s.%s: missing", where, key);
                *ret = NULL;
                return 0;
        }
        if (!v && !null_ok)
                return bad(d, "%s.%s: null", where, key);
        *ret = v;
        return !!v;
}

/* A nullable one is NULL when absent; one that is not is required unless
 * optional (then *ret is NULL when absent, for the caller's default). */
static int get_string_opt(decoder *d, json_object *o, const char *where, const char *key, bool null_ok, bool optional,
                          char **ret) {
        json_object *v = NULL;
        int r = get_value(d, o, where, key, null_ok, !null_ok && !optional, &v);

        if (r <= 0) {
                if (r == 0)
                        *ret = NULL;
                return r;
        }
        if (!json_object_is_type(v, json_type_string))
                return bad(d, "%s.%s: not a string", where, key);
        if (!json_string_is_whole(v))
                return bad(d, "%s.%s: contains \\u0000", where, key);
        *ret = strdup(json_object_get_string(v));
        return *ret ? 0 : -ENOMEM;
}

static int get_string(decoder *d, json_object *o, const char *where, const char *key, bool null_ok, char **ret) {
        return get_string_opt(d, o, where, key, null_ok, false, ret);
}

static int get_strv(decoder *d, json_object *o, const char *where, const char *key, bool null_ok, char ***ret) {
        json_object *v = NULL;
        size_t n;
        int r = get_value(d, o, where, key, null_ok, !null_ok, &v);

        if (r <= 0) {
                if (r == 0)
                        *ret = NULL;
                return r;
        }
        if (!json_object_is_type(v, json_type_array))
                return bad(d, "%s.%s: not an array", where, key);
        n = json_object_array_length(v);
        _cleanup_strv_free_ char **l = calloc(n + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                json_object *s = json_object_array_get_idx(v, i);
                if (!s || !json_object_is_type(s, json_type_string))
                        return bad(d, "%s.%s[%zu]: not a string", where, key, i);
                if (!json_string_is_whole(s))
                        return bad(d, "%s.%s[%zu]: contains \\u0000", where, key, i);
                l[i] = strdup(json_object_get_string(s));
                if (!l[i])
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

/* Absent: *ret keeps its default. */
static int get_output(decoder *d, json_object *o, const char *where, const char *key, child_output *ret) {
        json_object *v = NULL;
        _cleanup_free_ char *kind = NULL;
        int r;

        if (!json_object_object_get_ex(o, key, &v))
                return 0;
        if (!v || !json_object_is_type(v, json_type_object))
                return bad(d, "%s.%s: not an object", where, key);
        _cleanup_free_ char *inner = NULL;
        if (asprintf(&inner, "%s.%s", where, key) < 0)
                return -ENOMEM;
        r = get_string(d, v, inner, "kind", false, &kind);
        if (r < 0)
                return r;
        ret->kind = child_output_kind_from_string(kind);
        if (ret->kind < 0)
                return bad(d, "%s.kind: unknown \"%s\"", inner, kind);
        return get_string(d, v, inner, "path", true, &ret->path);
}

/* Absent: no limits (version 2 leaves them out), with nothing allocated:
 * that is most children of an adoption. */
static int get_limits(decoder *d, json_object *o, const char *where, cgroup_policy *ret) {
        uint64_t cpu_weight = 0, io_weight = 0;
        json_object *limits = NULL;
        char in_limits[128];
        int r;

        if (!json_object_object_get_ex(o, "limits", &limits))
                return 0;
        if (!limits || !json_object_is_type(limits, json_type_object))
                return bad(d, "%s.limits: not an object", where);
        (void) snprintf(in_limits, sizeof in_limits, "%s.limits", where);
        if ((r = get_u64(d, limits, in_limits, "memory_max", &ret->memory_max)) < 0 ||
            (r = get_u64(d, limits, in_limits, "pids_max", &ret->pids_max)) < 0 ||
            (r = get_u64(d, limits, in_limits, "cpu_weight", &cpu_weight)) < 0 ||
            (r = get_u64(d, limits, in_limits, "io_weight", &io_weight)) < 0)
                return r;
        if (!cgroup_weight_fits(cpu_weight))
                return bad(d, "%s.cpu_weight: outside 1..10000", in_limits);
        if (!cgroup_weight_fits(io_weight))
                return bad(d, "%s.io_weight: outside 1..10000", in_limits);
        ret->cpu_weight = (uint16_t) cpu_weight;
        ret->io_weight = (uint16_t) io_weight;
        return 0;
}

static int decode_spec(decoder *d, json_object *o, const char *where, child_spec **ret) {
        _cleanup_child_spec_ child_spec *s = NULL;
        _cleanup_free_ char *restart = NULL, *ready = NULL;
        child_spec_extra *x;
        child_output output;
        uint64_t burst;
        const char *field_name = NULL, *reason = NULL;
        int r;

        if (!o || !json_object_is_type(o, json_type_object))
                return bad(d, "%s: missing or not an object", where);
        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        child_spec_init(s);
        /* Allocated even when it stays empty: a plain spec, shared later
         * (which leaves an empty one out). */
        r = child_spec_extra_get(s, &x);
        if (r < 0)
                return r;

        burst = s->restart_burst;
        if ((r = get_string(d, o, where, "id", false, &s->id)) < 0 ||
            (r = get_strv(d, o, where, "argv", false, &s->argv)) < 0 ||
            (r = get_strv(d, o, where, "env", true, &x->env)) < 0 ||
            (r = get_string(d, o, where, "cwd", true, &x->cwd)) < 0 ||
            (r = get_string(d, o, where, "user", true, &x->user)) < 0 ||
            (r = get_string(d, o, where, "group", true, &x->group)) < 0 ||
            (r = get_string_opt(d, o, where, "restart", false, true, &restart)) < 0 ||
            (r = get_string_opt(d, o, where, "ready", false, true, &ready)) < 0 ||
            (r = get_u64(d, o, where, "ready_timeout_usec", &s->ready_timeout_usec)) < 0 ||
            (r = get_u64(d, o, where, "shutdown_timeout_usec", &s->shutdown_timeout_usec)) < 0 ||
            (r = get_u64(d, o, where, "restart_burst", &burst)) < 0 ||
            (r = get_u64(d, o, where, "restart_interval_usec", &s->restart_interval_usec)) < 0 ||
            (r = get_u64(d, o, where, "restart_delay_usec", &s->restart_delay_usec)) < 0 ||
            (r = get_u64(d, o, where, "restart_delay_max_usec", &s->restart_delay_max_usec)) < 0)
                return r;
        if (burst > UINT_MAX)
                return bad(d, "%s.restart_burst: too large", where);
        s->restart_burst = (unsigned) burst;
        if (restart) {
                s->restart = child_restart_from_string(restart);
                if (s->restart < 0)
                        return bad(d, "%s.restart: unknown \"%s\"", where, restart);
        }
        if (ready) {
                s->ready = child_ready_from_string(ready);
                if (s->ready < 0)
                        return bad(d, "%s.ready: unknown \"%s\"", where, ready);
        }

        r = get_limits(d, o, where, &s->limits);
        if (r < 0)
                return r;
        output = (child_output) { .kind = s->stdout_output };
        r = get_output(d, o, where, "stdout", &output);
        if (r < 0)
                return r;
        s->stdout_output = output.kind;
        x->stdout_path = output.path;
        output = (child_output) { .kind = s->stderr_output };
        r = get_output(d, o, where, "stderr", &output);
        if (r < 0)
                return r;
        s->stderr_output = output.kind;
        x->stderr_path = output.path;

        if (child_spec_validate(s, &field_name, &reason) < 0)
                return bad(d, "%s.%s: %s", where, field_name ?: "?", reason ?: "invalid");
        *ret = TAKE_PTR(s);
        return 0;
}

static int decode_record(decoder *d, json_object *o, size_t i, state_record *rec) {
        char where[64], spec_where[80];
        json_object *md;
        uint64_t pid = 0, restarts = 0;
        int r;

        (void) snprintf(where, sizeof where, "children[%zu]", i);
        (void) snprintf(spec_where, sizeof spec_where, "%s.spec", where);
        if (!o || !json_object_is_type(o, json_type_object))
                return bad(d, "%s: not an object", where);
        r = decode_spec(d, field(o, "spec"), spec_where, &rec->spec);
        if (r < 0)
                return r;
        r = get_string(d, o, where, "tag", true, &rec->tag);
        if (r < 0)
                return r;
        /* Absent: none. */
        if (!json_object_object_get_ex(o, "metadata", &md))
                md = NULL;
        else if (!md || !json_object_is_type(md, json_type_array))
                return bad(d, "%s.metadata: not an array", where);
        size_t n = md ? json_object_array_length(md) : 0;
        if (n > 0) {
                rec->metadata = calloc(n, sizeof(registry_kv));
                if (!rec->metadata)
                        return -ENOMEM;
        }
        for (size_t k = 0; k < n; k++) {
                json_object *pair = json_object_array_get_idx(md, k), *key, *value;
                if (!pair || !json_object_is_type(pair, json_type_array) || json_object_array_length(pair) != 2 ||
                    !(key = json_object_array_get_idx(pair, 0)) || !json_object_is_type(key, json_type_string) ||
                    !(value = json_object_array_get_idx(pair, 1)) || !json_object_is_type(value, json_type_string))
                        return bad(d, "%s.metadata[%zu]: not a [key, value] pair of strings", where, k);
                rec->metadata[k].key = strdup(json_object_get_string(key));
                rec->metadata[k].value = strdup(json_object_get_string(value));
                rec->n_metadata++;
                if (!rec->metadata[k].key || !rec->metadata[k].value)
                        return -ENOMEM;
        }
        if ((r = get_u64(d, o, where, "pid", &pid)) < 0 ||
            (r = get_u64(d, o, where, "start_time", &rec->identity.start_time)) < 0 ||
            (r = get_u64(d, o, where, "restarts", &restarts)) < 0)
                return r;
        /* The files of the versions before it have none. */
        if ((r = get_u64(d, o, where, "pidfs_ino", &rec->identity.pidfs_ino)) < 0)
                return r;
        if (pid > INT32_MAX)
                return bad(d, "%s.pid: out of range", where);
        if (restarts > UINT_MAX)
                return bad(d, "%s.restarts: out of range", where);
        rec->pid = (pid_t) pid;
        rec->restarts = (unsigned) restarts;
        return 0;
}

/* Strict parsing refuses what follows a complete document as one more
 * syntax error; a lenient parse of the same text tells that case apart,
 * for a message that says what is wrong. Only on the error path. */
static bool state_file_has_trailing_data(const char *text, size_t len) {
        json_tokener *tok = json_tokener_new();
        json_object *o;
        bool trailing = false;

        if (!tok)
                return false;
        o = json_tokener_parse_ex(tok, text, (int) (len > INT32_MAX ? INT32_MAX : len));
        if (o && json_tokener_get_error(tok) == json_tokener_success) {
                size_t end = json_tokener_get_parse_end(tok);
                trailing = end < len && text[end + strspn(text + end, " \t\r\n")] != '\0';
        }
        json_object_put(o);
        json_tokener_free(tok);
        return trailing;
}

int state_file_decode(const char *text, const char *hub_id, state_record **ret_records, size_t *ret_n,
                      char **ret_error_text) {
        _cleanup_json_ json_object *root = NULL;
        json_tokener *tok;
        enum json_tokener_error jerr;
        decoder d = {};
        json_object *v, *children;
        state_record *records = NULL;
        size_t n = 0;
        int r;

        assert_return(text, -EINVAL);
        assert_return(ret_records, -EINVAL);
        assert_return(ret_n, -EINVAL);

        tok = json_tokener_new();
        if (!tok)
                return -ENOMEM;
        /* The file is ours: refuse what only a sloppy parser takes
         * (trailing commas, leading zeros, bare words). */
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
        size_t len = strlen(text);
        root = json_tokener_parse_ex(tok, text, (int) (len > INT32_MAX ? INT32_MAX : len));
        jerr = json_tokener_get_error(tok);
        /* A document cut short is "continue" to json-c: truncated for us. */
        if (jerr == json_tokener_continue) {
                r = bad(&d, "truncated JSON");
                goto finish_tok;
        }
        if (jerr != json_tokener_success || !root) {
                r = state_file_has_trailing_data(text, len) ? bad(&d, "trailing data after the JSON document")
                                                            : bad(&d, "not JSON: %s", json_tokener_error_desc(jerr));
                goto finish_tok;
        }
        size_t end = json_tokener_get_parse_end(tok);
        if (end < len && text[end + strspn(text + end, " \t\r\n")] != '\0') {
                r = bad(&d, "trailing data after the JSON document");
                goto finish_tok;
        }
        r = 0;
finish_tok:
        json_tokener_free(tok);
        if (r < 0)
                goto fail;

        if (!json_object_is_type(root, json_type_object)) {
                r = bad(&d, "not a JSON object");
                goto fail;
        }
        v = field(root, "format");
        if (!v || !json_object_is_type(v, json_type_string) || strcmp(json_object_get_string(v), STATE_FORMAT) != 0) {
                r = bad(&d, "format: not \"" STATE_FORMAT "\"");
                goto fail;
        }
        v = field(root, "version");
        if (!v || !json_object_is_type(v, json_type_int) || json_object_get_int64(v) < STATE_VERSION_MIN ||
            json_object_get_int64(v) > STATE_VERSION) {
                r = bad(&d, "version: not %d to %d", STATE_VERSION_MIN, STATE_VERSION);
                goto fail;
        }
        v = field(root, "hub_id");
        if (!v || !json_object_is_type(v, json_type_string)) {
                r = bad(&d, "hub_id: missing or not a string");
                goto fail;
        }
        if (hub_id && strcmp(json_object_get_string(v), hub_id) != 0) {
                r = bad(&d, "hub_id: the file is hub \"%s\"'s", json_object_get_string(v));
                goto fail;
        }
        children = field(root, "children");
        if (!children || !json_object_is_type(children, json_type_array)) {
                r = bad(&d, "children: missing or not an array");
                goto fail;
        }
        size_t total = json_object_array_length(children);
        if (total > 0) {
                records = calloc(total, sizeof(state_record));
                if (!records) {
                        r = -ENOMEM;
                        goto fail;
                }
        }
        for (size_t i = 0; i < total; i++) {
                /* Counted first: a half-decoded record is freed with the rest. */
                n++;
                r = decode_record(&d, json_object_array_get_idx(children, i), i, &records[i]);
                if (r < 0)
                        goto fail;
        }

        *ret_records = records;
        *ret_n = n;
        return 0;

fail:
        state_records_free(records, n);
        if (ret_error_text) {
                free(*ret_error_text);
                *ret_error_text = d.error ? d.error : strdup(strerror(-r));
                d.error = NULL;
        }
        free(d.error);
        return r;
}

/* ---- Files ---- */

int state_file_write(const char *path, const char *text) {
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t len, done = 0;

        assert_return(path, -EINVAL);
        assert_return(text, -EINVAL);

        if (asprintf(&tmp, "%s.tmp", path) < 0)
                return -ENOMEM;
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        len = strlen(text);
        while (done < len) {
                ssize_t k = write(fd, text + done, len - done);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        int r = -errno;
                        (void) unlink(tmp);
                        return r;
                }
                done += (size_t) k;
        }
        fd = safe_close(fd);
        if (rename(tmp, path) < 0) {
                int r = -errno;
                (void) unlink(tmp);
                return r;
        }
        return 0;
}

int state_file_read(const char *path, char **ret_text) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, allocated = 0;

        assert_return(path, -EINVAL);
        assert_return(ret_text, -EINVAL);

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        for (;;) {
                if (allocated - size < 65536) {
                        size_t want = allocated ? allocated * 2 : 65536;
                        char *n = realloc(buf, want + 1);
                        if (!n)
                                return -ENOMEM;
                        buf = n;
                        allocated = want;
                }
                ssize_t k = read(fd, buf + size, allocated - size);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                size += (size_t) k;
        }
        buf[size] = '\0';
        if (strlen(buf) != size)
                return -EBADMSG; /* a NUL inside: not text */
        *ret_text = TAKE_PTR(buf);
        return 0;
}
