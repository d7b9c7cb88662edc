/* SPDX-License-Identifier: MIT */

#include <stdlib.h>
#include <string.h>

#include "json-writer.h"

void json_writer_reset(json_writer *w) {
        w->len = 0;
        w->need_comma = false;
        w->oom = false;
}

void json_writer_done(json_writer *w) {
        free(w->buf);
        *w = JSON_WRITER_INIT;
}

/* Room for n more bytes and the NUL. */
static bool reserve(json_writer *w, size_t n) {
        size_t size;
        char *b;

        if (w->oom)
                return false;
        if (w->size - w->len > n)
                return true;
        size = w->size ? w->size : 256;
        while (size - w->len <= n) {
                if (size > SIZE_MAX / 2) {
                        w->oom = true;
                        return false;
                }
                size *= 2;
        }
        b = realloc(w->buf, size);
        if (!b) {
                w->oom = true;
                return false;
        }
        w->buf = b;
        w->size = size;
        return true;
}

static void append(json_writer *w, const char *s, size_t n) {
        if (!reserve(w, n))
                return;
        memcpy(w->buf + w->len, s, n);
        w->len += n;
}

static void append_char(json_writer *w, char c) {
        if (!reserve(w, 1))
                return;
        w->buf[w->len++] = c;
}

/* Before a value or a key: the comma after the one before it. */
static void separate(json_writer *w) {
        if (w->need_comma)
                append_char(w, ',');
        w->need_comma = false;
}

void json_writer_object_begin(json_writer *w) {
        separate(w);
        append_char(w, '{');
}

void json_writer_object_end(json_writer *w) {
        append_char(w, '}');
        w->need_comma = true;
}

void json_writer_array_begin(json_writer *w) {
        separate(w);
        append_char(w, '[');
}

void json_writer_array_end(json_writer *w) {
        append_char(w, ']');
        w->need_comma = true;
}

/* json-c's escapes (json_escape_str()): the two-character ones, \u00xx in
 * lower case for the other control characters, '/' as it is (NOSLASHESCAPE),
 * every other byte (DEL, UTF-8) as it is. */
static void append_quoted(json_writer *w, const char *s) {
        static const char hex[] = "0123456789abcdef";
        const char *run = s;

        append_char(w, '"');
        for (const char *p = s;; p++) {
                unsigned char c = (unsigned char) *p;
                char esc[7];
                size_t n = 2;

                if (c >= ' ' && c != '"' && c != '\\')
                        continue;
                append(w, run, (size_t) (p - run));
                if (c == '\0')
                        break;
                esc[0] = '\\';
                switch (c) {
                case '\b': esc[1] = 'b'; break;
                case '\n': esc[1] = 'n'; break;
                case '\r': esc[1] = 'r'; break;
                case '\t': esc[1] = 't'; break;
                case '\f': esc[1] = 'f'; break;
                case '"':  esc[1] = '"'; break;
                case '\\': esc[1] = '\\'; break;
                default:
                        memcpy(esc + 1, "u00", 3);
                        esc[4] = hex[c >> 4];
                        esc[5] = hex[c & 0xf];
                        n = 6;
                }
                append(w, esc, n);
                run = p + 1;
        }
        append_char(w, '"');
}

void json_writer_key(json_writer *w, const char *key) {
        separate(w);
        append_quoted(w, key);
        append_char(w, ':');
}

static void value_done(json_writer *w) {
        w->need_comma = true;
}

void json_writer_string(json_writer *w, const char *s) {
        if (!s) {
                json_writer_null(w);
                return;
        }
        separate(w);
        append_quoted(w, s);
        value_done(w);
}

/* Digits of v, most significant first, into the end of buf[20]. */
static size_t format_u64(char buf[static 20], uint64_t v) {
        size_t i = 20;

        do
                buf[--i] = (char) ('0' + v % 10);
        while ((v /= 10) > 0);
        return i;
}

void json_writer_uint(json_writer *w, uint64_t v) {
        char buf[20];
        size_t i = format_u64(buf, v);

        separate(w);
        append(w, buf + i, sizeof(buf) - i);
        value_done(w);
}

void json_writer_int(json_writer *w, int64_t v) {
        char buf[20];
        size_t i;

        separate(w);
        if (v < 0)
                append_char(w, '-');
        /* The magnitude in unsigned arithmetic: -INT64_MIN does not fit. */
        i = format_u64(buf, v < 0 ? (uint64_t) 0 - (uint64_t) v : (uint64_t) v);
        append(w, buf + i, sizeof(buf) - i);
        value_done(w);
}

void json_writer_bool(json_writer *w, bool v) {
        separate(w);
        append(w, v ? "true" : "false", v ? 4 : 5);
        value_done(w);
}

void json_writer_null(json_writer *w) {
        separate(w);
        append(w, "null", 4);
        value_done(w);
}

void json_writer_raw(json_writer *w, const char *json, size_t len) {
        separate(w);
        append(w, json, len);
        value_done(w);
}

void json_writer_field_string(json_writer *w, const char *key, const char *s) {
        json_writer_key(w, key);
        json_writer_string(w, s);
}

void json_writer_field_int(json_writer *w, const char *key, int64_t v) {
        json_writer_key(w, key);
        json_writer_int(w, v);
}

void json_writer_field_uint(json_writer *w, const char *key, uint64_t v) {
        json_writer_key(w, key);
        json_writer_uint(w, v);
}

void json_writer_field_strv(json_writer *w, const char *key, const char *const *l) {
        json_writer_key(w, key);
        if (!l) {
                json_writer_null(w);
                return;
        }
        json_writer_array_begin(w);
        for (; *l; l++)
                json_writer_string(w, *l);
        json_writer_array_end(w);
}

char *json_writer_take(json_writer *w, size_t *ret_len) {
        char *text = (char *) json_writer_text(w, ret_len);

        if (!text) {
                json_writer_done(w);
                return NULL;
        }
        *w = JSON_WRITER_INIT;
        return text;
}

const char *json_writer_text(json_writer *w, size_t *ret_len) {
        if (!reserve(w, 0))
                return NULL;
        w->buf[w->len] = '\0';
        if (ret_len)
                *ret_len = w->len;
        return w->buf;
}
