/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "macros.h"
#include "shell-words.h"

static int words_append(char ***words, size_t *n, char *w) {
        char **l = realloc(*words, (*n + 2) * sizeof(char *));

        if (!l)
                return -ENOMEM;
        l[(*n)++] = w;
        l[*n] = NULL;
        *words = l;
        return 0;
}

int shell_words_split(const char *s, char ***ret_words, const char **ret_error_text) {
        _cleanup_strv_free_ char **words = NULL;
        _cleanup_free_ char *buf = NULL;
        size_t n = 0;
        int r;

        assert(s);
        assert(ret_words);

        /* A word is never longer than the input. */
        buf = malloc(strlen(s) + 1);
        if (!buf)
                return -ENOMEM;
        words = calloc(1, sizeof(char *));
        if (!words)
                return -ENOMEM;

        const char *p = s;
        for (;;) {
                while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
                        p++;
                if (!*p)
                        break;

                size_t len = 0;
                while (*p && !(*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) {
                        if (*p == '\'') {
                                const char *end = strchr(p + 1, '\'');
                                if (!end) {
                                        if (ret_error_text)
                                                *ret_error_text = "unterminated '...' quote";
                                        return -EINVAL;
                                }
                                memcpy(buf + len, p + 1, (size_t) (end - p - 1));
                                len += (size_t) (end - p - 1);
                                p = end + 1;
                        } else if (*p == '"') {
                                p++;
                                for (;;) {
                                        if (!*p) {
                                                if (ret_error_text)
                                                        *ret_error_text = "unterminated \"...\" quote";
                                                return -EINVAL;
                                        }
                                        if (*p == '"') {
                                                p++;
                                                break;
                                        }
                                        if (*p == '\\' && p[1] && strchr("\"\\$`", p[1]))
                                                p++;
                                        buf[len++] = *p++;
                                }
                        } else if (*p == '\\') {
                                if (!p[1]) {
                                        if (ret_error_text)
                                                *ret_error_text = "backslash at the end";
                                        return -EINVAL;
                                }
                                buf[len++] = p[1];
                                p += 2;
                        } else
                                buf[len++] = *p++;
                }

                char *w = strndup(buf, len);
                if (!w)
                        return -ENOMEM;
                r = words_append(&words, &n, w);
                if (r < 0) {
                        free(w);
                        return r;
                }
        }

        *ret_words = TAKE_PTR(words);
        return 0;
}
