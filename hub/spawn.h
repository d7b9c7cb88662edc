/* SPDX-License-Identifier: MIT */
#pragma once

/* Starting one OS process: clone3(CLONE_INTO_CGROUP | CLONE_PIDFD) straight
 * into its cgroup leaf, the few async-signal-safe steps between clone and
 * execve, and an exec-status pipe (close-on-exec) that tells the parent,
 * without blocking it, whether execve() succeeded: end-of-file means it did,
 * a spawn_failure record names the step that failed and its errno.
 *
 * Everything that may allocate or consult NSS (PATH search, user and group
 * lookup, environment) is resolved in the parent first: after a raw clone3
 * in a threaded program the child must not take locks. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "cgroup.h"

typedef enum spawn_step {
        SPAWN_STEP_CGROUP,
        SPAWN_STEP_SESSION,
        SPAWN_STEP_STDIO,
        SPAWN_STEP_RLIMIT,
        SPAWN_STEP_CHDIR,
        SPAWN_STEP_GROUPS,
        SPAWN_STEP_GID,
        SPAWN_STEP_UID,
        SPAWN_STEP_EXEC,
        _SPAWN_STEP_MAX,
        _SPAWN_STEP_INVALID = -EINVAL,
} spawn_step;

const char *spawn_step_to_string(spawn_step s);

typedef struct spawn_params {
        const char *path;   /* resolved executable */
        char *const *argv;
        char *const *envp;
        const char *cwd;    /* NULL: stay where the supervisor is */
        bool set_ids;
        uid_t uid;
        gid_t gid;
        const gid_t *groups; /* supplementary groups, with set_ids */
        size_t n_groups;
        int stdin_fd;        /* required: usually /dev/null */
        int stdout_fd;       /* < 0: inherit */
        int stderr_fd;       /* < 0: inherit */
        /* The supervisor raised its own RLIMIT_NOFILE; children get the
         * conventional soft limit back (select() breaks above 1024). */
        bool set_nofile;
        struct rlimit nofile;
        const cgroup_spawn_fds *cgroup;
} spawn_params;

/* What the exec-status pipe carries when a step failed. */
typedef struct spawn_failure {
        int32_t step;
        int32_t error;
} spawn_failure;

/* Start the process. On success *ret_pidfd is its pidfd (close-on-exec),
 * *ret_status_fd the non-blocking read end of the exec-status pipe. */
int spawn_process(const spawn_params *p, pid_t *ret_pid, int *ret_pidfd, int *ret_status_fd);

/* Read the exec-status pipe: 0 when execve() succeeded (end of file),
 * -EAGAIN when nothing is known yet, 1 with *ret_failure filled when a step
 * failed. */
int spawn_read_status(int status_fd, spawn_failure *ret_failure);

/* The executable for name: name itself when it contains '/', else the first
 * match in PATH (taken from envp, or the default search path). -ENOENT when
 * nothing matches, -EACCES when only non-executable files do. */
int spawn_find_executable(const char *name, char *const *envp, char **ret_path);

/* Resolve user and group (names or numbers; either may be NULL) into ids and
 * the user's supplementary groups (allocated, to free()). -ESRCH for an
 * unknown user or group. */
int spawn_resolve_credentials(const char *user, const char *group, uid_t *ret_uid, gid_t *ret_gid,
                              gid_t **ret_groups, size_t *ret_n_groups);
