/* SPDX-License-Identifier: MIT */
/* Ids to directory names. Any byte string becomes a valid name that reads
 * like the id ("web-1" stays "web-1.child"), and two different ids never
 * share a name:
 *   - bytes outside [A-Za-z0-9:_.@-], and a leading '.', become "\xNN"; a
 *     backslash is escaped as well, so every '\' starts an escape;
 *   - a name over NAME_MAX is cut (never inside an escape) and ends in
 *     "~<16 hex digits of a hash of the whole id>": '~' is never produced
 *     by the escaping, so a cut name cannot equal an uncut one, and two
 *     long ids sharing a prefix differ in the hash. */

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cgroup-internal.h"

#define HASH_TAIL_LEN 17 /* "~" and 16 hex digits */

static bool char_is_plain(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               (c != '\0' && strchr(":_.@-", c));
}

/* FNV-1a, 64 bit: only there to tell overlong ids apart, not a defence
 * against anyone choosing ids to collide (they would only collide with
 * each other's directory, which group creation then refuses as busy). */
static uint64_t hash_fnv1a64(const char *s) {
        uint64_t h = 0xcbf29ce484222325ULL;

        for (; *s; s++) {
                h ^= (uint8_t) *s;
                h *= 0x100000001b3ULL;
        }
        return h;
}

bool cgroup_name_is_valid(const char *name) {
        size_t l;

        if (!name)
                return false;
        l = strlen(name);
        if (l == 0 || l > NAME_MAX)
                return false;
        if (strchr(name, '/'))
                return false;
        return strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

int cgroup_escape_name(const char *id, const char *suffix, char **ret) {
        static const char hex[] = "0123456789abcdef";
        _cleanup_free_ char *e = NULL;
        size_t el = 0, sl;
        char *name;

        assert_return(id && id[0] != '\0', -EINVAL);
        assert_return(suffix && suffix[0] == '.', -EINVAL);
        assert_return(ret, -EINVAL);

        sl = strlen(suffix);
        /* the suffix must fit beside the hash and at least one byte of id */
        assert_return(sl + HASH_TAIL_LEN + 1 <= NAME_MAX, -EINVAL);
        for (const char *s = suffix; *s; s++)
                assert_return(char_is_plain(*s), -EINVAL);

        e = malloc(strlen(id) * 4 + 1);
        if (!e)
                return -ENOMEM;
        for (const char *s = id; *s; s++) {
                if (char_is_plain(*s) && !(s == id && *s == '.'))
                        e[el++] = *s;
                else {
                        e[el++] = '\\';
                        e[el++] = 'x';
                        e[el++] = hex[(uint8_t) *s >> 4];
                        e[el++] = hex[(uint8_t) *s & 0xf];
                }
        }
        e[el] = '\0';

        if (el + sl <= NAME_MAX) {
                name = malloc(el + sl + 1);
                if (!name)
                        return -ENOMEM;
                memcpy(name, e, el);
                memcpy(name + el, suffix, sl + 1);
        } else {
                size_t cut = NAME_MAX - sl - HASH_TAIL_LEN;

                /* do not split "\xNN" */
                for (size_t back = 1; back <= 3 && back <= cut; back++)
                        if (e[cut - back] == '\\') {
                                cut -= back;
                                break;
                        }

                name = malloc(cut + HASH_TAIL_LEN + sl + 1);
                if (!name)
                        return -ENOMEM;
                memcpy(name, e, cut);
                (void) snprintf(name + cut, HASH_TAIL_LEN + 1, "~%016llx", (unsigned long long) hash_fnv1a64(id));
                memcpy(name + cut + HASH_TAIL_LEN, suffix, sl + 1);
        }

        *ret = name;
        return 0;
}
