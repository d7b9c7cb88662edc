/* SPDX-License-Identifier: MIT */
#pragma once

/* Starting one OS process: clone3(CLONE_INTO_CGROUP | CLONE_PIDFD) straight
 * into its cgroup leaf, the few async-signal-safe steps between clone and
 * execve, and the outcome of execve known when spawn_process() returns.
 *
 * The clone is posix_spawn()'s: CLONE_VM | CLONE_VFORK, the child on a
 * stack of the spawner's, the parent thread suspended until the child has
 * exec'd or died. A failing step writes which step and errno into a record
 * the parent reads right after. And it is CLONE_FILES: the child shares
 * the fd table, then unshares it keeping only the few low fds where the
 * spawner staged its stdio (close_range(CLOSE_RANGE_UNSHARE) copies just
 * those). So a spawn costs the same with 10 or 20,000 fds open (one pidfd
 * per running child): copying the table and closing its close-on-exec fds
 * at execve grew with every child already running.
 *
 * Everything that may allocate or consult NSS (PATH search, user and group
 * lookup, environment) is resolved in the parent first: the child shares
 * the parent's memory and must not take locks or allocate. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "cgroup.h"
#include "macros.h"

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
        int stdin_fd;        /* < 0: /dev/null */
        int stdout_fd;       /* < 0: inherit */
        int stderr_fd;       /* < 0: inherit */
        /* The supervisor raised its own RLIMIT_NOFILE; children get the
         * conventional soft limit back (select() breaks above 1024). */
        bool set_nofile;
        struct rlimit nofile;
        const cgroup_spawn_fds *cgroup;
} spawn_params;

/* Which step failed, and its errno. */
typedef struct spawn_failure {
        int32_t step;
        int32_t error;
} spawn_failure;

/* What one thread needs to spawn: the child's stack and the low fds where
 * stdio is staged. One per spawning thread (a supervisor's loop thread);
 * not for two threads at once. */
typedef struct spawner spawner;

int spawner_new(spawner **ret);
spawner *spawner_free(spawner *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(spawner *, spawner_free);

/* Start the process and return once it has exec'd or failed: 0 when
 * execve() succeeded, 1 when a step failed (*ret_failure says which; the
 * process is exiting with status 127, to be reaped through its pidfd like
 * any other). In both cases *ret_pid and *ret_pidfd (close-on-exec) are
 * set. -errno when clone3 failed: no process. */
int spawn_process(spawner *s, const spawn_params *p, pid_t *ret_pid, int *ret_pidfd, spawn_failure *ret_failure);

/* The executable for name: name itself when it contains '/', else the first
 * match in PATH (taken from envp, or the default search path). -ENOENT when
 * nothing matches, -EACCES when only non-executable files do. */
int spawn_find_executable(const char *name, char *const *envp, char **ret_path);

/* Resolve user and group (names or numbers; either may be NULL) into ids and
 * the user's supplementary groups (allocated, to free()). -ESRCH for an
 * unknown user or group. */
int spawn_resolve_credentials(const char *user, const char *group, uid_t *ret_uid, gid_t *ret_gid,
                              gid_t **ret_groups, size_t *ret_n_groups);
