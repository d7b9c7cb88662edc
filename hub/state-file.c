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

#include "macros.h"
#include "state-file.h"

#define STATE_FORMAT "processhub-state"
#define STATE_VERSION 1
#define STATE_VERSION_STRING "1"

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

static void json_object_putp(json_object **o) {
        if (*o)
                json_object_put(*o);
}
#define _cleanup_json_ _cleanup_(json_object_putp)

/* json_object_object_add() takes the value even on failure. */
static int add(json_object *o, const char *key, json_object *v) {
        if (!v)
                return -ENOMEM;
        return json_object_object_add(o, key, v) < 0 ? -ENOMEM : 0;
}

static json_object *string_or_null(const char *s) {
        return s ? json_object_new_string(s) : json_object_new_null();
}

/* json-c has no non-NULL null object: "null" is NULL. */
static int add_string_or_null(json_object *o, const char *key, const char *s) {
        if (!s)
                return json_object_object_add(o, key, NULL) < 0 ? -ENOMEM : 0;
        return add(o, key, string_or_null(s));
}

static json_object *strv_to_json(char *const *l) {
        json_object *a = json_object_new_array();

        if (!a)
                return NULL;
        for (size_t i = 0; l && l[i]; i++) {
                json_object *s = json_object_new_string(l[i]);
                if (!s || json_object_array_add(a, s) < 0) {
                        json_object_put(s);
                        json_object_put(a);
                        return NULL;
                }
        }
        return a;
}

static json_object *output_to_json(const child_output *o) {
        _cleanup_json_ json_object *j = json_object_new_object();

        if (!j || add(j, "kind", json_object_new_string(child_output_kind_to_string(o->kind))) < 0 ||
            add_string_or_null(j, "path", o->path) < 0)
                return NULL;
        return TAKE_PTR(j);
}

static json_object *spec_to_json(const child_spec *s) {
        _cleanup_json_ json_object *j = json_object_new_object();
        json_object *limits;

        if (!j)
                return NULL;
        if (add(j, "id", json_object_new_string(s->id)) < 0 || add(j, "argv", strv_to_json(s->argv)) < 0)
                return NULL;
        if (s->env ? add(j, "env", strv_to_json(s->env)) < 0 : add_string_or_null(j, "env", NULL) < 0)
                return NULL;
        if (add_string_or_null(j, "cwd", s->cwd) < 0 || add_string_or_null(j, "user", s->user) < 0 ||
            add_string_or_null(j, "group", s->group) < 0 ||
            add(j, "restart", json_object_new_string(child_restart_to_string(s->restart))) < 0 ||
            add(j, "ready", json_object_new_string(child_ready_to_string(s->ready))) < 0 ||
            add(j, "ready_timeout_usec", json_object_new_uint64(s->ready_timeout_usec)) < 0 ||
            add(j, "shutdown_timeout_usec", json_object_new_uint64(s->shutdown_timeout_usec)) < 0 ||
            add(j, "restart_burst", json_object_new_uint64(s->restart_burst)) < 0 ||
            add(j, "restart_interval_usec", json_object_new_uint64(s->restart_interval_usec)) < 0 ||
            add(j, "restart_delay_usec", json_object_new_uint64(s->restart_delay_usec)) < 0 ||
            add(j, "restart_delay_max_usec", json_object_new_uint64(s->restart_delay_max_usec)) < 0)
                return NULL;
        limits = json_object_new_object();
        if (add(j, "limits", limits) < 0 ||
            add(limits, "memory_max", json_object_new_uint64(s->limits.memory_max)) < 0 ||
            add(limits, "pids_max", json_object_new_uint64(s->limits.pids_max)) < 0 ||
            add(limits, "cpu_weight", json_object_new_uint64(s->limits.cpu_weight)) < 0 ||
            add(limits, "io_weight", json_object_new_uint64(s->limits.io_weight)) < 0)
                return NULL;
        if (add(j, "stdout", output_to_json(&s->output_stdout)) < 0 ||
            add(j, "stderr", output_to_json(&s->output_stderr)) < 0)
                return NULL;
        return TAKE_PTR(j);
}

static json_object *record_to_json(const state_record *r) {
        _cleanup_json_ json_object *j = json_object_new_object();
        json_object *md;

        if (!j || add(j, "spec", spec_to_json(r->spec)) < 0 || add_string_or_null(j, "tag", r->tag) < 0)
                return NULL;
        md = json_object_new_array();
        if (add(j, "metadata", md) < 0)
                return NULL;
        for (size_t i = 0; i < r->n_metadata; i++) {
                json_object *pair = json_object_new_array();
                if (!pair || json_object_array_add(md, pair) < 0) {
                        json_object_put(pair);
                        return NULL;
                }
                json_object *k = json_object_new_string(r->metadata[i].key);
                if (!k || json_object_array_add(pair, k) < 0) {
                        json_object_put(k);
                        return NULL;
                }
                json_object *v = json_object_new_string(r->metadata[i].value ?: "");
                if (!v || json_object_array_add(pair, v) < 0) {
                        json_object_put(v);
                        return NULL;
                }
        }
        if (add(j, "pid", json_object_new_int64(r->pid)) < 0 ||
            add(j, "start_time", json_object_new_uint64(r->start_time)) < 0 ||
            add(j, "restarts", json_object_new_uint64(r->restarts)) < 0)
                return NULL;
        return TAKE_PTR(j);
}

int state_file_encode(const char *hub_id, const state_record *records, size_t n, char **ret_text) {
        _cleanup_json_ json_object *root = json_object_new_object();
        json_object *children;
        const char *s;

        assert_return(hub_id, -EINVAL);
        assert_return(records || n == 0, -EINVAL);
        assert_return(ret_text, -EINVAL);

        if (!root || add(root, "format", json_object_new_string(STATE_FORMAT)) < 0 ||
            add(root, "version", json_object_new_int(STATE_VERSION)) < 0 ||
            add(root, "hub_id", json_object_new_string(hub_id)) < 0)
                return -ENOMEM;
        children = json_object_new_array_ext((int) n);
        if (add(root, "children", children) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                json_object *c = record_to_json(&records[i]);
                if (!c || json_object_array_add(children, c) < 0) {
                        json_object_put(c);
                        return -ENOMEM;
                }
        }
        /* Plain (one line): a state file is for machines first, and jq
         * pretty-prints it for people. */
        s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!s)
                return -ENOMEM;
        char *t = strdup(s);
        if (!t)
                return -ENOMEM;
        *ret_text = t;
        return 0;
}

/* ---- Decoding ----
 *
 * Straight from the text into the records, not through json-c's tree: at
 * 10,000 children that tree is some 300,000 objects and 50,000 hash tables,
 * built, walked and freed (and malloc consolidating after them) in about
 * 200 ms of a restart's way back to "running"; one pass over the text takes
 * about 30. Any JSON is taken (members in any order, unknown ones skipped,
 * every escape), as jq or an operator may leave the file; the first error
 * ends the reading. */

/* Deeper than the format nests (5): a hostile file cannot run the stack
 * out. */
#define DECODE_DEPTH_MAX 32
/* Member names and enum words are short: longer ones are none of ours. */
#define DECODE_WORD_MAX 64

typedef struct decoder {
        const char *text;
        const char *p; /* the next byte; the text ends at its NUL */
        unsigned depth;
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

static int syntax_error(decoder *d, const char *what) {
        if (*d->p == '\0')
                return bad(d, "truncated JSON");
        return bad(d, "not JSON: %s at byte %zu", what, (size_t) (d->p - d->text));
}

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

/* The next significant byte, not consumed ('\0' at the end). */
static char peek(decoder *d) {
        d->p += strspn(d->p, " \t\r\n");
        return *d->p;
}

static bool accept(decoder *d, char c) {
        if (peek(d) != c)
                return false;
        d->p++;
        return true;
}

/* 1 when the next value starts with c, 0 when it is another value. */
static int next_is(decoder *d, char c) {
        char v = peek(d);

        if (v == '\0' || (!strchr("\"{[tfn-", v) && !is_digit(v)))
                return syntax_error(d, "a value expected");
        return v == c || (c == '0' && (v == '-' || is_digit(v)));
}

static int literal(decoder *d, const char *word) {
        for (; *word; word++, d->p++)
                if (*d->p != *word)
                        return syntax_error(d, "a value expected");
        return 0;
}

static int hex4(decoder *d, unsigned *ret) {
        unsigned v = 0;

        for (unsigned i = 0; i < 4; i++, d->p++) {
                char c = *d->p;

                if (is_digit(c))
                        v = v << 4 | (unsigned) (c - '0');
                else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
                        v = v << 4 | (unsigned) ((c | 0x20) - 'a' + 10);
                else
                        return syntax_error(d, "a bad \\u escape");
        }
        *ret = v;
        return 0;
}

static int utf8_encode(unsigned cp, char out[static 4]) {
        int n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;

        if (n == 1) {
                out[0] = (char) cp;
                return 1;
        }
        for (int i = n - 1; i > 0; i--, cp >>= 6)
                out[i] = (char) (0x80 | (cp & 0x3F));
        out[0] = (char) ((0xF00 >> n) | cp);
        return n;
}

/* A \u escape (d->p past the 'u'), a surrogate pair taken whole. */
static int unicode_escape(decoder *d, char out[static 4]) {
        unsigned cp = 0, low = 0;
        int r;

        r = hex4(d, &cp);
        if (r < 0)
                return r;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (d->p[0] != '\\' || d->p[1] != 'u')
                        return syntax_error(d, "a lone surrogate");
                d->p += 2;
                r = hex4(d, &low);
                if (r < 0)
                        return r;
                if (low < 0xDC00 || low > 0xDFFF)
                        return syntax_error(d, "a lone surrogate");
                cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        } else if (cp >= 0xDC00 && cp <= 0xDFFF)
                return syntax_error(d, "a lone surrogate");
        /* Every string here ends up a C string. */
        if (cp == 0)
                return syntax_error(d, "\\u0000 in a string");
        return utf8_encode(cp, out);
}

/* One character of a string (d->p inside the quotes) into out: how many
 * bytes it is. Bytes from 0x80 up pass as they are (json-c writes them so,
 * whatever they are). */
static int string_char(decoder *d, char out[static 4]) {
        static const char escapes[] = "\"\"\\\\//b\bf\fn\nr\rt\t";
        unsigned char c = (unsigned char) *d->p;

        if (c == '\0' || c < 0x20)
                return syntax_error(d, "a control character in a string");
        d->p++;
        if (c != '\\') {
                out[0] = (char) c;
                return 1;
        }
        if (*d->p == 'u') {
                d->p++;
                return unicode_escape(d, out);
        }
        for (const char *e = escapes; *e; e += 2)
                if (*d->p == *e) {
                        out[0] = e[1];
                        d->p++;
                        return 1;
                }
        return syntax_error(d, "a bad escape");
}

/* The string at d->p unescaped into buf (size bytes, NUL-terminated, cut
 * when longer), or only measured when buf is NULL; *ret_len: its length. */
static int scan_string(decoder *d, char *buf, size_t size, size_t *ret_len) {
        size_t n = 0;

        if (!accept(d, '"'))
                return syntax_error(d, "a string expected");
        while (*d->p != '"') {
                char u[4] = {};
                int k = string_char(d, u);

                if (k < 0)
                        return k;
                for (int i = 0; i < k; i++, n++)
                        if (buf && n + 1 < size)
                                buf[n] = u[i];
        }
        d->p++;
        if (buf && size > 0)
                buf[n < size ? n : size - 1] = '\0';
        *ret_len = n;
        return 0;
}

/* Measured first, then copied: one allocation of the right size. */
static int read_string(decoder *d, char **ret) {
        const char *start = d->p;
        size_t n = 0;
        char *s;
        int r;

        r = scan_string(d, NULL, 0, &n);
        if (r < 0)
                return r;
        s = malloc(n + 1);
        if (!s)
                return -ENOMEM;
        d->p = start;
        (void) scan_string(d, s, n + 1, &n);
        *ret = s;
        return 0;
}

typedef enum number_kind {
        NUMBER_UNSIGNED,
        NUMBER_NEGATIVE,
        NUMBER_FRACTIONAL, /* a fraction or an exponent: not an integer */
        NUMBER_TOO_LARGE,
} number_kind;

static int digits(decoder *d) {
        if (!is_digit(*d->p))
                return syntax_error(d, "a digit expected");
        while (is_digit(*d->p))
                d->p++;
        return 0;
}

static int read_number(decoder *d, uint64_t *ret, number_kind *ret_kind) {
        number_kind kind = NUMBER_UNSIGNED;
        bool negative = accept(d, '-');
        const char *start = d->p;
        uint64_t v = 0;
        int r;

        r = digits(d);
        if (r < 0)
                return r;
        if (*start == '0' && d->p > start + 1)
                return syntax_error(d, "a number with a leading zero");
        for (const char *q = start; q < d->p; q++) {
                unsigned digit = (unsigned) (*q - '0');

                if (v > (UINT64_MAX - digit) / 10) {
                        kind = NUMBER_TOO_LARGE;
                        break;
                }
                v = v * 10 + digit;
        }
        if (*d->p == '.') {
                d->p++;
                r = digits(d);
                if (r < 0)
                        return r;
                kind = NUMBER_FRACTIONAL;
        }
        if (*d->p == 'e' || *d->p == 'E') {
                d->p++;
                if (*d->p == '+' || *d->p == '-')
                        d->p++;
                r = digits(d);
                if (r < 0)
                        return r;
                kind = NUMBER_FRACTIONAL;
        }
        if (kind == NUMBER_UNSIGNED && negative && v != 0)
                kind = NUMBER_NEGATIVE;
        *ret = v;
        *ret_kind = kind;
        return 0;
}

static int open_container(decoder *d, char c) {
        if (!accept(d, c))
                return syntax_error(d, c == '{' ? "an object expected" : "an array expected");
        if (++d->depth > DECODE_DEPTH_MAX)
                return bad(d, "not JSON: nested deeper than %d", DECODE_DEPTH_MAX);
        return 0;
}

/* The container's next item, *first true for the first call: 1 with d->p
 * at it, 0 past the closing bracket. */
static int next_item(decoder *d, char open, char close, bool *first) {
        int r;

        if (!*first) {
                if (accept(d, ','))
                        return 1;
                if (!accept(d, close))
                        return syntax_error(d, close == '}' ? "',' or '}' expected" : "',' or ']' expected");
                d->depth--;
                return 0;
        }
        *first = false;
        r = open_container(d, open);
        if (r < 0)
                return r;
        if (!accept(d, close))
                return 1;
        d->depth--;
        return 0;
}

/* Members of the object at d->p, one a call: 1 with its name in key (cut
 * to DECODE_WORD_MAX: then "", no name of ours) and d->p at its value. */
static int next_member(decoder *d, bool *first, char key[static DECODE_WORD_MAX]) {
        size_t n = 0;
        int r;

        r = next_item(d, '{', '}', first);
        if (r <= 0)
                return r;
        r = scan_string(d, key, DECODE_WORD_MAX, &n);
        if (r < 0)
                return r;
        if (n >= DECODE_WORD_MAX)
                key[0] = '\0';
        if (!accept(d, ':'))
                return syntax_error(d, "':' expected");
        return 1;
}

static int skip_value(decoder *d) {
        number_kind kind = NUMBER_UNSIGNED;
        char key[DECODE_WORD_MAX];
        bool first = true;
        uint64_t v = 0;
        size_t n = 0;
        int r;

        r = next_is(d, '"');
        if (r < 0)
                return r;
        switch (*d->p) {
        case '"':
                return scan_string(d, NULL, 0, &n);
        case 't':
                return literal(d, "true");
        case 'f':
                return literal(d, "false");
        case 'n':
                return literal(d, "null");
        case '[':
                while ((r = next_item(d, '[', ']', &first)) > 0)
                        if ((r = skip_value(d)) < 0)
                                return r;
                return r;
        case '{':
                while ((r = next_member(d, &first, key)) > 0)
                        if ((r = skip_value(d)) < 0)
                                return r;
                return r;
        default:
                return read_number(d, &v, &kind);
        }
}

/* A member an object must have, and what is said when it has not. */
typedef struct member {
        const char *name;
        const char *missing;
} member;

typedef int (*member_reader)(decoder *d, const char *where, const char *key, int i, void *userdata);

/* Index of key in members, or -1. Members mostly come in the order we
 * write them: the one after the last found (*hint) is tried first. */
static int member_index(const member *members, size_t n, const char *key, size_t *hint) {
        if (*hint < n && strcmp(members[*hint].name, key) == 0)
                return (int) (*hint)++;
        for (size_t i = 0; i < n; i++)
                if (strcmp(members[i].name, key) == 0) {
                        *hint = i + 1;
                        return (int) i;
                }
        return -1;
}

/* The object at d->p: each member of members to read(), any other
 * skipped; then the first one missing is the error. where names the
 * object in messages (NULL: the top). */
static int read_object(decoder *d, const char *where, const member *members, size_t n, member_reader read,
                       void *userdata) {
        char key[DECODE_WORD_MAX];
        bool first = true;
        uint32_t seen = 0;
        size_t hint = 0;
        int r;

        assert(n <= 32);
        while ((r = next_member(d, &first, key)) > 0) {
                int i = member_index(members, n, key, &hint);

                r = i >= 0 ? read(d, where, key, i, userdata) : skip_value(d);
                if (r < 0)
                        return r;
                if (i >= 0)
                        seen |= UINT32_C(1) << i;
        }
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++)
                if (!(seen & (UINT32_C(1) << i)))
                        return where ? bad(d, "%s.%s: %s", where, members[i].name, members[i].missing)
                                     : bad(d, "%s: %s", members[i].name, members[i].missing);
        return 0;
}

static int get_u64(decoder *d, const char *where, const char *key, uint64_t *ret) {
        number_kind kind = NUMBER_UNSIGNED;
        uint64_t v = 0;
        int r;

        r = next_is(d, '0');
        if (r <= 0)
                return r < 0 ? r : bad(d, "%s.%s: missing or not an integer", where, key);
        r = read_number(d, &v, &kind);
        if (r < 0)
                return r;
        if (kind == NUMBER_FRACTIONAL)
                return bad(d, "%s.%s: missing or not an integer", where, key);
        if (kind == NUMBER_NEGATIVE)
                return bad(d, "%s.%s: negative", where, key);
        if (kind == NUMBER_TOO_LARGE)
                return bad(d, "%s.%s: out of range", where, key);
        *ret = v;
        return 0;
}

/* 1 for JSON null (consumed), refused unless null_ok; 0 for another value. */
static int null_value(decoder *d, const char *where, const char *key, bool null_ok) {
        int r;

        r = next_is(d, 'n');
        if (r <= 0)
                return r;
        r = literal(d, "null");
        if (r < 0)
                return r;
        return null_ok ? 1 : bad(d, "%s.%s: null", where, key);
}

/* A string, or NULL for null (null_ok). *ret is replaced: of a member
 * given twice the last counts, as with json-c. */
static int get_string(decoder *d, const char *where, const char *key, bool null_ok, char **ret) {
        char *s = NULL;
        int r;

        r = null_value(d, where, key, null_ok);
        if (r == 0) {
                r = next_is(d, '"');
                if (r == 0)
                        return bad(d, "%s.%s: not a string", where, key);
                if (r > 0)
                        r = read_string(d, &s);
        }
        if (r < 0)
                return r;
        free(*ret);
        *ret = s;
        return 0;
}

/* An enum's name into word, converted by from_string (-1 for unknown). */
static int get_enum(decoder *d, const char *where, const char *key, int (*from_string)(const char *), int *ret) {
        char word[DECODE_WORD_MAX];
        size_t n = 0;
        int r;

        r = null_value(d, where, key, false);
        if (r < 0)
                return r;
        r = next_is(d, '"');
        if (r <= 0)
                return r < 0 ? r : bad(d, "%s.%s: not a string", where, key);
        r = scan_string(d, word, sizeof word, &n);
        if (r < 0)
                return r;
        r = from_string(word);
        if (r < 0)
                return bad(d, "%s.%s: unknown \"%s\"", where, key, word);
        *ret = r;
        return 0;
}

static int get_strv(decoder *d, const char *where, const char *key, bool null_ok, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        size_t n = 0, allocated = 1;
        bool first = true;
        int r;

        r = null_value(d, where, key, null_ok);
        if (r < 0)
                return r;
        if (r == 0) {
                r = next_is(d, '[');
                if (r <= 0)
                        return r < 0 ? r : bad(d, "%s.%s: not an array", where, key);
                l = calloc(allocated, sizeof(char *));
                if (!l)
                        return -ENOMEM;
                while ((r = next_item(d, '[', ']', &first)) > 0) {
                        r = next_is(d, '"');
                        if (r <= 0)
                                return r < 0 ? r : bad(d, "%s.%s[%zu]: not a string", where, key, n);
                        if (n + 2 > allocated) {
                                char **p = reallocarray(l, allocated * 2, sizeof(char *));
                                if (!p)
                                        return -ENOMEM;
                                l = p;
                                allocated *= 2;
                        }
                        l[n + 1] = NULL;
                        r = read_string(d, &l[n]);
                        if (r < 0)
                                return r;
                        n++;
                }
                if (r < 0)
                        return r;
        }
        strv_free(*ret);
        *ret = TAKE_PTR(l);
        return 0;
}

/* Checked before read_object(): an object, or the member's own message. */
static int expect_object(decoder *d, const char *where, const char *key) {
        int r = next_is(d, '{');

        if (r > 0)
                return 0;
        if (r < 0)
                return r;
        return key ? bad(d, "%s.%s: missing or not an object", where, key)
                   : bad(d, "%s: missing or not an object", where);
}

static int output_kind_from_string(const char *s) {
        return child_output_kind_from_string(s);
}

static int restart_from_string(const char *s) {
        return child_restart_from_string(s);
}

static int ready_from_string(const char *s) {
        return child_ready_from_string(s);
}

static const member output_members[] = {
        { "kind", "missing" },
        { "path", "missing" },
};

static int read_output_member(decoder *d, const char *where, const char *key, int i, void *userdata) {
        child_output *o = userdata;
        int kind = 0, r;

        if (i == 1)
                return get_string(d, where, key, true, &o->path);
        r = get_enum(d, where, key, output_kind_from_string, &kind);
        if (r >= 0)
                o->kind = kind;
        return r;
}

static const member limits_members[] = {
        { "memory_max", "missing or not an integer" },
        { "pids_max", "missing or not an integer" },
        { "cpu_weight", "missing or not an integer" },
        { "io_weight", "missing or not an integer" },
};

static int read_limits_member(decoder *d, const char *where, const char *key, int i, void *userdata) {
        cgroup_policy *l = userdata;
        uint64_t *const fields[] = { &l->memory_max, &l->pids_max, &l->cpu_weight, &l->io_weight };

        return get_u64(d, where, key, fields[i]);
}

/* A nested object of a spec, by its own member table. */
static int read_nested(decoder *d, const char *where, const char *key, const member *members, size_t n,
                       member_reader read, void *userdata) {
        char in[160];
        int r;

        r = expect_object(d, where, key);
        if (r < 0)
                return r;
        (void) snprintf(in, sizeof in, "%s.%s", where, key);
        return read_object(d, in, members, n, read, userdata);
}

enum {
        SPEC_ID,
        SPEC_ARGV,
        SPEC_ENV,
        SPEC_CWD,
        SPEC_USER,
        SPEC_GROUP,
        SPEC_RESTART,
        SPEC_READY,
        SPEC_READY_TIMEOUT,
        SPEC_SHUTDOWN_TIMEOUT,
        SPEC_RESTART_BURST,
        SPEC_RESTART_INTERVAL,
        SPEC_RESTART_DELAY,
        SPEC_RESTART_DELAY_MAX,
        SPEC_LIMITS,
        SPEC_STDOUT,
        SPEC_STDERR,
        _SPEC_MAX,
};

static const member spec_members[_SPEC_MAX] = {
        [SPEC_ID] = { "id", "missing" },
        [SPEC_ARGV] = { "argv", "missing" },
        [SPEC_ENV] = { "env", "missing" },
        [SPEC_CWD] = { "cwd", "missing" },
        [SPEC_USER] = { "user", "missing" },
        [SPEC_GROUP] = { "group", "missing" },
        [SPEC_RESTART] = { "restart", "missing" },
        [SPEC_READY] = { "ready", "missing" },
        [SPEC_READY_TIMEOUT] = { "ready_timeout_usec", "missing or not an integer" },
        [SPEC_SHUTDOWN_TIMEOUT] = { "shutdown_timeout_usec", "missing or not an integer" },
        [SPEC_RESTART_BURST] = { "restart_burst", "missing or not an integer" },
        [SPEC_RESTART_INTERVAL] = { "restart_interval_usec", "missing or not an integer" },
        [SPEC_RESTART_DELAY] = { "restart_delay_usec", "missing or not an integer" },
        [SPEC_RESTART_DELAY_MAX] = { "restart_delay_max_usec", "missing or not an integer" },
        [SPEC_LIMITS] = { "limits", "missing or not an object" },
        [SPEC_STDOUT] = { "stdout", "missing or not an object" },
        [SPEC_STDERR] = { "stderr", "missing or not an object" },
};

static int read_spec_member(decoder *d, const char *where, const char *key, int i, void *userdata) {
        child_spec *s = userdata;
        uint64_t burst = 0;
        int v = 0, r;

        switch (i) {
        case SPEC_ID:
                return get_string(d, where, key, false, &s->id);
        case SPEC_ARGV:
                return get_strv(d, where, key, false, &s->argv);
        case SPEC_ENV:
                return get_strv(d, where, key, true, &s->env);
        case SPEC_CWD:
                return get_string(d, where, key, true, &s->cwd);
        case SPEC_USER:
                return get_string(d, where, key, true, &s->user);
        case SPEC_GROUP:
                return get_string(d, where, key, true, &s->group);
        case SPEC_RESTART:
                r = get_enum(d, where, key, restart_from_string, &v);
                s->restart = (child_restart) v;
                return r;
        case SPEC_READY:
                r = get_enum(d, where, key, ready_from_string, &v);
                s->ready = (child_ready) v;
                return r;
        case SPEC_READY_TIMEOUT:
                return get_u64(d, where, key, &s->ready_timeout_usec);
        case SPEC_SHUTDOWN_TIMEOUT:
                return get_u64(d, where, key, &s->shutdown_timeout_usec);
        case SPEC_RESTART_BURST:
                r = get_u64(d, where, key, &burst);
                if (r >= 0 && burst > UINT_MAX)
                        return bad(d, "%s.restart_burst: too large", where);
                s->restart_burst = (unsigned) burst;
                return r;
        case SPEC_RESTART_INTERVAL:
                return get_u64(d, where, key, &s->restart_interval_usec);
        case SPEC_RESTART_DELAY:
                return get_u64(d, where, key, &s->restart_delay_usec);
        case SPEC_RESTART_DELAY_MAX:
                return get_u64(d, where, key, &s->restart_delay_max_usec);
        case SPEC_LIMITS:
                return read_nested(d, where, key, limits_members, ELEMENTSOF(limits_members), read_limits_member,
                                   &s->limits);
        case SPEC_STDOUT:
                return read_nested(d, where, key, output_members, ELEMENTSOF(output_members), read_output_member,
                                   &s->output_stdout);
        default:
                return read_nested(d, where, key, output_members, ELEMENTSOF(output_members), read_output_member,
                                   &s->output_stderr);
        }
}

static int decode_spec(decoder *d, const char *where, child_spec **ret) {
        _cleanup_child_spec_ child_spec *s = NULL;
        const char *field_name = NULL, *reason = NULL;
        int r;

        r = expect_object(d, where, NULL);
        if (r < 0)
                return r;
        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        child_spec_init(s);
        r = read_object(d, where, spec_members, _SPEC_MAX, read_spec_member, s);
        if (r < 0)
                return r;
        if (child_spec_validate(s, &field_name, &reason) < 0)
                return bad(d, "%s.%s: %s", where, field_name ?: "?", reason ?: "invalid");
        child_spec_free(*ret);
        *ret = TAKE_PTR(s);
        return 0;
}

static void metadata_free(state_record *rec) {
        for (size_t k = 0; k < rec->n_metadata; k++) {
                free(rec->metadata[k].key);
                free(rec->metadata[k].value);
        }
        rec->metadata = mfree(rec->metadata);
        rec->n_metadata = 0;
}

/* One ["key", "value"] into pair. */
static int read_pair(decoder *d, const char *where, size_t k, char *pair[static 2]) {
        bool first = true;
        size_t n = 0;
        int r;

        r = next_is(d, '[');
        if (r <= 0)
                goto not_a_pair;
        while ((r = next_item(d, '[', ']', &first)) > 0) {
                r = next_is(d, '"');
                if (r <= 0 || n == 2)
                        goto not_a_pair;
                r = read_string(d, &pair[n++]);
                if (r < 0)
                        return r;
        }
        if (r >= 0 && n == 2)
                return 0;
not_a_pair:
        if (r < 0)
                return r;
        return bad(d, "%s.metadata[%zu]: not a [key, value] pair of strings", where, k);
}

static int get_metadata(decoder *d, const char *where, state_record *rec) {
        size_t allocated = 0;
        bool first = true;
        int r;

        r = next_is(d, '[');
        if (r <= 0)
                return r < 0 ? r : bad(d, "%s.metadata: missing or not an array", where);
        metadata_free(rec);
        while ((r = next_item(d, '[', ']', &first)) > 0) {
                char *pair[2] = {};

                if (rec->n_metadata == allocated) {
                        size_t a = allocated ? allocated * 2 : 4;
                        registry_kv *p = reallocarray(rec->metadata, a, sizeof(registry_kv));
                        if (!p)
                                return -ENOMEM;
                        rec->metadata = p;
                        allocated = a;
                }
                r = read_pair(d, where, rec->n_metadata, pair);
                if (r < 0) {
                        free(pair[0]);
                        free(pair[1]);
                        return r;
                }
                rec->metadata[rec->n_metadata++] = (registry_kv) { .key = pair[0], .value = pair[1] };
        }
        return r;
}

enum {
        RECORD_SPEC,
        RECORD_TAG,
        RECORD_METADATA,
        RECORD_PID,
        RECORD_START_TIME,
        RECORD_RESTARTS,
        _RECORD_MAX,
};

static const member record_members[_RECORD_MAX] = {
        [RECORD_SPEC] = { "spec", "missing or not an object" },
        [RECORD_TAG] = { "tag", "missing" },
        [RECORD_METADATA] = { "metadata", "missing or not an array" },
        [RECORD_PID] = { "pid", "missing or not an integer" },
        [RECORD_START_TIME] = { "start_time", "missing or not an integer" },
        [RECORD_RESTARTS] = { "restarts", "missing or not an integer" },
};

static int read_record_member(decoder *d, const char *where, const char *key, int i, void *userdata) {
        state_record *rec = userdata;
        char spec_where[80];
        uint64_t v = 0;
        int r;

        switch (i) {
        case RECORD_SPEC:
                (void) snprintf(spec_where, sizeof spec_where, "%s.spec", where);
                return decode_spec(d, spec_where, &rec->spec);
        case RECORD_TAG:
                return get_string(d, where, key, true, &rec->tag);
        case RECORD_METADATA:
                return get_metadata(d, where, rec);
        case RECORD_START_TIME:
                return get_u64(d, where, key, &rec->start_time);
        default:
                r = get_u64(d, where, key, &v);
                if (r < 0)
                        return r;
                if (v > (i == RECORD_PID ? (uint64_t) INT32_MAX : (uint64_t) UINT_MAX))
                        return bad(d, "%s.%s: out of range", where, key);
                if (i == RECORD_PID)
                        rec->pid = (pid_t) v;
                else
                        rec->restarts = (unsigned) v;
                return 0;
        }
}

typedef struct decoded {
        const char *hub_id;
        state_record *records;
        size_t n, allocated;
} decoded;

static void decoded_done(decoded *o) {
        state_records_free(o->records, o->n);
        o->records = NULL;
        o->n = o->allocated = 0;
}

static int decode_children(decoder *d, decoded *out) {
        bool first = true;
        int r;

        r = next_is(d, '[');
        if (r <= 0)
                return r < 0 ? r : bad(d, "children: missing or not an array");
        decoded_done(out);
        while ((r = next_item(d, '[', ']', &first)) > 0) {
                char where[64];

                if (out->n == out->allocated) {
                        size_t a = out->allocated ? out->allocated * 2 : 64;
                        state_record *p = reallocarray(out->records, a, sizeof(state_record));
                        if (!p)
                                return -ENOMEM;
                        out->records = p;
                        out->allocated = a;
                }
                /* Counted first: a half-decoded record is freed with the rest. */
                out->records[out->n++] = (state_record) {};
                (void) snprintf(where, sizeof where, "children[%zu]", out->n - 1);
                r = next_is(d, '{');
                if (r == 0)
                        return bad(d, "%s: not an object", where);
                if (r < 0)
                        return r;
                r = read_object(d, where, record_members, _RECORD_MAX, read_record_member, &out->records[out->n - 1]);
                if (r < 0)
                        return r;
        }
        return r;
}

enum {
        ROOT_FORMAT,
        ROOT_VERSION,
        ROOT_HUB_ID,
        ROOT_CHILDREN,
        _ROOT_MAX,
};

static const member root_members[_ROOT_MAX] = {
        [ROOT_FORMAT] = { "format", "not \"" STATE_FORMAT "\"" },
        [ROOT_VERSION] = { "version", "not " STATE_VERSION_STRING },
        [ROOT_HUB_ID] = { "hub_id", "missing or not a string" },
        [ROOT_CHILDREN] = { "children", "missing or not an array" },
};

static int read_root_member(decoder *d, const char *where, const char *key, int i, void *userdata) {
        decoded *out = userdata;
        _cleanup_free_ char *s = NULL;
        number_kind kind = NUMBER_UNSIGNED;
        uint64_t v = 0;
        int r;

        switch (i) {
        case ROOT_VERSION:
                r = next_is(d, '0');
                if (r > 0)
                        r = read_number(d, &v, &kind);
                if (r < 0)
                        return r;
                if (kind != NUMBER_UNSIGNED || v != STATE_VERSION)
                        return bad(d, "%s: %s", key, root_members[i].missing);
                return 0;
        case ROOT_CHILDREN:
                return decode_children(d, out);
        default:
                r = next_is(d, '"');
                if (r > 0)
                        r = read_string(d, &s);
                if (r < 0)
                        return r;
                if (!s)
                        return bad(d, "%s: %s", key, root_members[i].missing);
                if (i == ROOT_FORMAT && strcmp(s, STATE_FORMAT) != 0)
                        return bad(d, "%s: %s", key, root_members[i].missing);
                if (i == ROOT_HUB_ID && out->hub_id && strcmp(s, out->hub_id) != 0)
                        return bad(d, "hub_id: the file is hub \"%s\"'s", s);
                return 0;
        }
}

int state_file_decode(const char *text, const char *hub_id, state_record **ret_records, size_t *ret_n,
                      char **ret_error_text) {
        _cleanup_(decoded_done) decoded out = { .hub_id = hub_id };
        decoder d = { .text = text, .p = text };
        int r;

        assert_return(text, -EINVAL);
        assert_return(ret_records, -EINVAL);
        assert_return(ret_n, -EINVAL);

        r = next_is(&d, '{');
        if (r == 0)
                r = bad(&d, "not a JSON object");
        if (r > 0)
                r = read_object(&d, NULL, root_members, _ROOT_MAX, read_root_member, &out);
        if (r >= 0 && peek(&d) != '\0')
                r = bad(&d, "trailing data after the JSON document");
        if (r < 0) {
                if (ret_error_text) {
                        free(*ret_error_text);
                        *ret_error_text = d.error ? d.error : strdup(strerror(-r));
                        d.error = NULL;
                }
                free(d.error);
                return r;
        }

        *ret_records = TAKE_PTR(out.records);
        *ret_n = out.n;
        out.n = 0;
        return 0;
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
