/* SPDX-License-Identifier: MIT */
#pragma once

/* Split a string into words the way a POSIX shell would for a simple
 * command with no expansions: blanks separate words, '...' keeps
 * everything literally, "..." keeps everything but \" \\ \$ \` (a
 * backslash before anything else stays), a backslash outside quotes
 * escapes the next character. No variables, globs or command
 * substitution: what is written is what runs. */

/* -EINVAL with *ret_error_text set ("unterminated '...' quote") for a bad
 * string; *ret_words is a NULL-terminated array, possibly empty. */
int shell_words_split(const char *s, char ***ret_words, const char **ret_error_text);
