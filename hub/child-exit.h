/* SPDX-License-Identifier: MIT */
#pragma once

/* Why a child's process ended, as kept for an operator and handed to the
 * layers above: an exit code, a signal, a core dump, an OOM kill (seen in the
 * group's memory events, since the kernel's SIGKILL alone does not tell), or
 * a start that never got as far as running. */

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum child_exit_kind {
        CHILD_EXIT_NONE,          /* has not exited */
        CHILD_EXIT_CODE,          /* status = exit code */
        CHILD_EXIT_SIGNAL,        /* status = signal */
        CHILD_EXIT_CORE_DUMP,     /* status = signal */
        CHILD_EXIT_OOM_KILL,      /* status = SIGKILL; the group's oom_kill count rose */
        CHILD_EXIT_EXEC_FAILED,   /* status = errno of the failed step before execve */
        CHILD_EXIT_READY_TIMEOUT, /* notify: no READY=1 in time; the process was killed */
        CHILD_EXIT_UNKNOWN,       /* gone, but it was not our child to reap */
        _CHILD_EXIT_KIND_MAX,
        _CHILD_EXIT_KIND_INVALID = -EINVAL,
} child_exit_kind;

typedef struct child_exit {
        child_exit_kind kind;
        int status;
} child_exit;

const char *child_exit_kind_to_string(child_exit_kind k);

/* From waitid()'s result. */
child_exit child_exit_from_siginfo(const siginfo_t *si);

/* A clean exit in systemd's sense: code 0, or killed by SIGHUP, SIGINT,
 * SIGTERM or SIGPIPE. A transient child is restarted only when its exit was
 * not clean. */
bool child_exit_is_clean(const child_exit *e);

/* "exited with code 3", "killed by signal SIGKILL (out of memory)", ... into
 * buf; returns buf. */
const char *child_exit_describe(const child_exit *e, char *buf, size_t size);
#define CHILD_EXIT_DESCRIBE_MAX 96
