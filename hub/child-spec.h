/* SPDX-License-Identifier: MIT */
#pragma once

/* What a child is: the spec an OS process is started from. Specs are plain
 * data owned by whoever built them, or shared: one immutable block with a
 * reference count (child_spec_share()). The supervisor and the registry
 * each keep a shared spec of their own, the same one when they were given
 * a shared spec, so a caller's spec may be freed once a start call
 * returned. */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "cgroup.h"
#include "macros.h"

/* Longest child id in bytes: ids travel in cgroup names, registry messages
 * and log fields, and must stay readable. */
#define CHILD_ID_MAX 255

/* OTP's meanings: permanent is always restarted, transient only after an
 * abnormal exit, temporary never. */
typedef enum child_restart {
        CHILD_RESTART_PERMANENT,
        CHILD_RESTART_TRANSIENT,
        CHILD_RESTART_TEMPORARY,
        _CHILD_RESTART_MAX,
        _CHILD_RESTART_INVALID = -EINVAL,
} child_restart;

/* When a start counts as done: once execve() succeeded, or once the child
 * sent READY=1 on the NOTIFY_SOCKET the supervisor gives it (sd_notify). */
typedef enum child_ready {
        CHILD_READY_EXEC,
        CHILD_READY_NOTIFY,
        _CHILD_READY_MAX,
        _CHILD_READY_INVALID = -EINVAL,
} child_ready;

typedef enum child_output_kind {
        CHILD_OUTPUT_INHERIT, /* the supervisor's own stdout/stderr */
        CHILD_OUTPUT_NULL,    /* /dev/null */
        CHILD_OUTPUT_FILE,    /* appended to path */
        CHILD_OUTPUT_JOURNAL, /* the systemd journal, identifier = child id */
        _CHILD_OUTPUT_KIND_MAX,
        _CHILD_OUTPUT_KIND_INVALID = -EINVAL,
} child_output_kind;

/* An output as one value: what open_output() and the checks take. In a
 * spec the kind and the path live apart (child_spec_stdout(),
 * child_spec_stderr()). */
typedef struct child_output {
        child_output_kind kind;
        char *path; /* CHILD_OUTPUT_FILE only */
} child_output;

/* The fields most specs leave unset, out of line: a spec without any of
 * them carries one NULL pointer instead of six, which is most of what a
 * child at rest costs beside its strings. */
typedef struct child_spec_extra {
        /* NULL: the supervisor's environment; else exactly these "K=V". */
        char **env;
        char *cwd;   /* NULL: the supervisor's working directory */
        char *user;  /* NULL: the supervisor's user; a name or a number */
        char *group; /* NULL: the user's primary group (or the supervisor's) */
        char *stdout_path; /* CHILD_OUTPUT_FILE only */
        char *stderr_path;
} child_spec_extra;

/* Ordered by alignment so that no padding falls between fields: pointers,
 * 64-bit values, the limits, then the small fields packed together. */
typedef struct child_spec {
        char *id;
        /* argv[0] is the program: a path, or a name looked up in the PATH of
         * the child's environment when it has no '/'. */
        char **argv;
        /* NULL when no field of it is set. A plain spec owns it (its own
         * allocation); a shared spec has it inside its block; a borrowed
         * view may point it anywhere. Read it through child_spec_extra_of(). */
        child_spec_extra *extra;

        /* notify: how long to wait for READY=1 before the start fails. */
        uint64_t ready_timeout_usec;
        /* SIGTERM to the main process, then cgroup.kill after this long. */
        uint64_t shutdown_timeout_usec;
        /* Restart intensity of this child: more than restart_burst restarts
         * within restart_interval_usec marks it failed (systemd's
         * StartLimitBurst= / StartLimitIntervalSec=). */
        uint64_t restart_interval_usec;
        /* Wait before a restart: restart_delay_usec, doubled after each
         * restart in a row up to restart_delay_max_usec (no growth when the
         * maximum is not above the delay). */
        uint64_t restart_delay_usec;
        uint64_t restart_delay_max_usec;

        cgroup_policy limits;

        unsigned restart_burst;
        /* 0: plain data, owned by one holder. Above 0: a shared spec (one
         * block, never changed) and its references, atomic. */
        unsigned n_ref;
        /* One byte each (bit-fields: no address can be taken). Signed, so
         * that the _INVALID values (-EINVAL) fit; a value from outside that
         * may not fit goes through child_enum_or_invalid() first, so that it
         * cannot wrap into a valid one. */
        child_restart restart : 8;
        child_ready ready : 8;
        child_output_kind stdout_output : 8;
        child_output_kind stderr_output : 8;
} child_spec;

/* v when it is a value of an enum with max values, else -EINVAL (every
 * enum's _INVALID): for filling the 8-bit fields from wider integers. */
static inline int child_enum_or_invalid(long long v, int max) {
        return v >= 0 && v < max ? (int) v : -EINVAL;
}

/* The optional fields, all NULL when the spec has none. */
static inline const child_spec_extra *child_spec_extra_of(const child_spec *spec) {
        static const child_spec_extra none = {};

        return spec->extra ?: &none;
}

static inline child_output child_spec_stdout(const child_spec *spec) {
        return (child_output) { .kind = spec->stdout_output, .path = child_spec_extra_of(spec)->stdout_path };
}

static inline child_output child_spec_stderr(const child_spec *spec) {
        return (child_output) { .kind = spec->stderr_output, .path = child_spec_extra_of(spec)->stderr_path };
}

/* The extra fields of a plain spec to set, allocated on first use. */
int child_spec_extra_get(child_spec *spec, child_spec_extra **ret);

/* The defaults, chosen to behave like a systemd service with Restart=: */
#define CHILD_SPEC_DEFAULT_READY_TIMEOUT_USEC (90 * USEC_PER_SEC)
#define CHILD_SPEC_DEFAULT_SHUTDOWN_TIMEOUT_USEC (5 * USEC_PER_SEC) /* OTP's worker default */
#define CHILD_SPEC_DEFAULT_RESTART_BURST 5u
#define CHILD_SPEC_DEFAULT_RESTART_INTERVAL_USEC (10 * USEC_PER_SEC)
#define CHILD_SPEC_DEFAULT_RESTART_DELAY_USEC (100 * USEC_PER_MSEC)

/* Fill a spec with the defaults above; the caller sets id and argv. */
void child_spec_init(child_spec *spec);
/* Free what a plain spec holds (not the struct itself) and reset it. */
void child_spec_done(child_spec *spec);
/* A plain spec: free it. A shared one: drop a reference (any thread), the
 * last one frees it. */
child_spec *child_spec_free(child_spec *spec);
/* A plain deep copy (of a plain or a shared spec). */
int child_spec_copy(const child_spec *spec, child_spec **ret);
/* A reference to a shared spec with spec's contents: spec itself when it
 * is shared, else a copy in one block (the struct, the extra fields when
 * any is set, argv, env, strings), which costs one allocation where a
 * plain copy makes one per string. */
int child_spec_share(const child_spec *spec, child_spec **ret);
static inline bool child_spec_is_shared(const child_spec *spec) {
        return __atomic_load_n(&spec->n_ref, __ATOMIC_RELAXED) > 0;
}

/* Check a spec. On failure returns -EINVAL and, when ret_field is given,
 * names the offending field ("id", "argv", "restart_burst", ...) with a
 * static reason in ret_reason. */
int child_spec_validate(const child_spec *spec, const char **ret_field, const char **ret_reason);
/* Only the id rules: 1..CHILD_ID_MAX bytes, valid UTF-8, no control
 * characters. */
int child_id_validate(const char *id, const char **ret_reason);

const char *child_restart_to_string(child_restart r);
child_restart child_restart_from_string(const char *s);
const char *child_ready_to_string(child_ready r);
child_ready child_ready_from_string(const char *s);
const char *child_output_kind_to_string(child_output_kind k);
child_output_kind child_output_kind_from_string(const char *s);

static inline void child_spec_freep(child_spec **s) {
        if (*s)
                child_spec_free(*s);
}
#define _cleanup_child_spec_ __attribute__((cleanup(child_spec_freep)))
