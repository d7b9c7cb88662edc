/* SPDX-License-Identifier: MIT */
#pragma once

/* Small helpers shared by every module: ownership through cleanup
 * attributes (the systemd idiom), argument checks for entry points, and
 * array sizes. Nothing here allocates or logs. */

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _pure_ __attribute__((pure))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _likely_(x) (__builtin_expect(!!(x), 1))
#define _unlikely_(x) (__builtin_expect(!!(x), 0))
#define _public_ __attribute__((visibility("default")))
#define _fallthrough_ __attribute__((fallthrough))

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

/* Hand ownership on: return the value and clear the variable so that its
 * cleanup attribute does nothing. */
#define TAKE_PTR(p)                          \
        ({                                   \
                __typeof__(p) _take_ = (p);  \
                (p) = NULL;                  \
                _take_;                      \
        })
#define TAKE_FD(fd)                          \
        ({                                   \
                int _take_fd_ = (fd);        \
                (fd) = -EBADF;               \
                _take_fd_;                   \
        })

/* Public entry points check their arguments and return an error instead of
 * aborting; internal invariants use assert(). */
#define assert_return(expr, r)               \
        do {                                 \
                if (_unlikely_(!(expr)))     \
                        return (r);          \
        } while (false)

static inline void freep(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

/* free() that returns NULL, for "p = mfree(p);". */
static inline void *mfree(void *p) {
        free(p);
        return NULL;
}

/* Close fd keeping errno, accept negative fds; returns -EBADF so that
 * "fd = safe_close(fd);" leaves the variable invalid. */
static inline int safe_close(int fd) {
        if (fd >= 0) {
                int saved = errno;
                (void) close(fd);
                errno = saved;
        }
        return -EBADF;
}
static inline void closep(int *fd) {
        safe_close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)

/* Free a NULL-terminated array of strings (argv, env). */
static inline char **strv_free(char **l) {
        if (l) {
                for (char **i = l; *i; i++)
                        free(*i);
                free(l);
        }
        return NULL;
}
static inline void strv_freep(char ***l) {
        strv_free(*l);
}
#define _cleanup_strv_free_ _cleanup_(strv_freep)

/* Declare "void namep(type **p)" calling "func(*p)" for _cleanup_(namep). */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func) \
        static inline void func##p(type *p) {   \
                if (*p)                         \
                        func(*p);               \
        }

/* Nanoseconds and microseconds: all timestamps are CLOCK_MONOTONIC usec. */
#define USEC_PER_SEC ((uint64_t) 1000000ULL)
#define USEC_PER_MSEC ((uint64_t) 1000ULL)
#define NSEC_PER_USEC ((uint64_t) 1000ULL)
#define USEC_INFINITY ((uint64_t) UINT64_MAX)
