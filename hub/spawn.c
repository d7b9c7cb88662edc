/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <linux/sched.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "macros.h"
#include "spawn.h"
#include "string-table.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const char *const spawn_step_table[_SPAWN_STEP_MAX] = {
        [SPAWN_STEP_CGROUP] = "cgroup",
        [SPAWN_STEP_SESSION] = "setsid",
        [SPAWN_STEP_STDIO] = "stdio",
        [SPAWN_STEP_RLIMIT] = "rlimit",
        [SPAWN_STEP_CHDIR] = "chdir",
        [SPAWN_STEP_GROUPS] = "setgroups",
        [SPAWN_STEP_GID] = "setgid",
        [SPAWN_STEP_UID] = "setuid",
        [SPAWN_STEP_EXEC] = "execve",
};

const char *spawn_step_to_string(spawn_step s) {
        if (s < 0 || s >= _SPAWN_STEP_MAX)
                return NULL;
        return spawn_step_table[s];
}

/* Runs in the new process, which shares nothing with the parent but a copy
 * of its memory: only async-signal-safe calls from here on, and no return. */
static _Noreturn void spawn_child_exec(const spawn_params *p, int status_fd) {
        spawn_failure failure;
        struct sigaction dfl = { .sa_handler = SIG_DFL };
        sigset_t all;

#define FAIL(s)                                        \
        do {                                           \
                failure.step = (s);                    \
                goto fail;                             \
        } while (false)

        if (cgroup_spawn_fds_attach_v1(p->cgroup) < 0)
                FAIL(SPAWN_STEP_CGROUP);
        if (setsid() < 0)
                FAIL(SPAWN_STEP_SESSION);

        if (dup2(p->stdin_fd, STDIN_FILENO) < 0)
                FAIL(SPAWN_STEP_STDIO);
        if (p->stdout_fd >= 0 && dup2(p->stdout_fd, STDOUT_FILENO) < 0)
                FAIL(SPAWN_STEP_STDIO);
        if (p->stderr_fd >= 0 && dup2(p->stderr_fd, STDERR_FILENO) < 0)
                FAIL(SPAWN_STEP_STDIO);
        /* Whatever else is open (also fds an embedding program leaked
         * without O_CLOEXEC, and the status pipe) goes away at execve. */
        if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
                for (int fd = 3; fd < 65536; fd++)
                        (void) fcntl(fd, F_SETFD, FD_CLOEXEC);

        if (p->set_nofile && setrlimit(RLIMIT_NOFILE, &p->nofile) < 0)
                FAIL(SPAWN_STEP_RLIMIT);
        if (p->cwd && chdir(p->cwd) < 0)
                FAIL(SPAWN_STEP_CHDIR);
        if (p->set_ids) {
                if (setgroups(p->n_groups, p->groups) < 0)
                        FAIL(SPAWN_STEP_GROUPS);
                if (setresgid(p->gid, p->gid, p->gid) < 0)
                        FAIL(SPAWN_STEP_GID);
                if (setresuid(p->uid, p->uid, p->uid) < 0)
                        FAIL(SPAWN_STEP_UID);
        }

        /* The parent blocked every signal around clone3 so that none of its
         * handlers can run here; give the program a clean slate. */
        for (int sig = 1; sig < _NSIG; sig++)
                (void) sigaction(sig, &dfl, NULL);
        sigemptyset(&all);
        (void) sigprocmask(SIG_SETMASK, &all, NULL);

        execve(p->path, p->argv, p->envp);
        failure.step = SPAWN_STEP_EXEC;
fail:
        failure.error = errno;
        (void) !write(status_fd, &failure, sizeof(failure));
        _exit(127);
#undef FAIL
}

int spawn_process(const spawn_params *p, pid_t *ret_pid, int *ret_pidfd, int *ret_status_fd) {
        _cleanup_close_ int status_read = -EBADF, status_write = -EBADF;
        int pipefd[2], pidfd = -EBADF;
        sigset_t all, saved;
        struct clone_args args;
        long pid;

        assert_return(p && p->path && p->argv && p->envp && p->cgroup, -EINVAL);
        assert_return(p->stdin_fd >= 0, -EINVAL);
        assert_return(ret_pid && ret_pidfd && ret_status_fd, -EINVAL);

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        status_read = pipefd[0];
        status_write = pipefd[1];

        args = (struct clone_args) {
                .flags = CLONE_PIDFD | CLONE_INTO_CGROUP,
                .pidfd = (uint64_t) (uintptr_t) &pidfd,
                .exit_signal = SIGCHLD,
                .cgroup = (uint64_t) p->cgroup->v2_dir,
        };

        sigfillset(&all);
        (void) pthread_sigmask(SIG_SETMASK, &all, &saved);
        pid = syscall(SYS_clone3, &args, sizeof(args));
        if (pid == 0)
                spawn_child_exec(p, status_write);
        int saved_errno = errno;
        (void) pthread_sigmask(SIG_SETMASK, &saved, NULL);
        if (pid < 0)
                return -saved_errno;

        status_write = safe_close(status_write);
        if (fcntl(status_read, F_SETFL, O_NONBLOCK) < 0) {
                /* Cannot happen on a pipe we own; the process runs anyway, so
                 * hand it back and let the status be read when it exits. */
                log_debug("spawn: O_NONBLOCK on status pipe: %m");
        }

        *ret_pid = (pid_t) pid;
        *ret_pidfd = pidfd;
        *ret_status_fd = TAKE_FD(status_read);
        return 0;
}

int spawn_read_status(int status_fd, spawn_failure *ret_failure) {
        spawn_failure f;
        ssize_t n;

        assert_return(status_fd >= 0, -EINVAL);
        assert_return(ret_failure, -EINVAL);

        n = read(status_fd, &f, sizeof(f));
        if (n < 0)
                return errno == EINTR ? -EAGAIN : -errno;
        if (n == 0)
                return 0;
        if ((size_t) n != sizeof(f))
                return -EBADMSG; /* a pipe write this small is atomic */
        *ret_failure = f;
        return 1;
}

static const char *env_get(char *const *envp, const char *key) {
        size_t l = strlen(key);

        if (!envp)
                return NULL;
        for (char *const *e = envp; *e; e++)
                if (strncmp(*e, key, l) == 0 && (*e)[l] == '=')
                        return *e + l + 1;
        return NULL;
}

int spawn_find_executable(const char *name, char *const *envp, char **ret_path) {
        const char *path, *p;
        int r = -ENOENT;

        assert_return(name && name[0], -EINVAL);
        assert_return(ret_path, -EINVAL);

        if (strchr(name, '/')) {
                if (access(name, X_OK) < 0)
                        return -errno;
                *ret_path = strdup(name);
                return *ret_path ? 0 : -ENOMEM;
        }

        path = env_get(envp, "PATH") ?: DEFAULT_PATH;
        for (p = path;; p++) {
                const char *end = strchrnul(p, ':');
                _cleanup_free_ char *candidate = NULL;
                struct stat st;

                if (end > p) {
                        if (asprintf(&candidate, "%.*s/%s", (int) (end - p), p, name) < 0)
                                return -ENOMEM;
                        if (stat(candidate, &st) == 0 && S_ISREG(st.st_mode)) {
                                if (access(candidate, X_OK) == 0) {
                                        *ret_path = TAKE_PTR(candidate);
                                        return 0;
                                }
                                r = -EACCES;
                        }
                }
                if (*end == '\0')
                        break;
                p = end;
        }
        return r;
}

static int parse_id(const char *s, unsigned *ret) {
        char *end;
        unsigned long v;

        if (!s[0] || s[0] < '0' || s[0] > '9')
                return -EINVAL;
        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno || *end || v >= (unsigned long) (uint32_t) -1)
                return -EINVAL;
        *ret = (unsigned) v;
        return 0;
}

int spawn_resolve_credentials(const char *user, const char *group, uid_t *ret_uid, gid_t *ret_gid,
                              gid_t **ret_groups, size_t *ret_n_groups) {
        _cleanup_free_ char *buf = NULL;
        _cleanup_free_ gid_t *groups = NULL;
        uid_t uid = getuid();
        gid_t gid = getgid();
        int n_groups = 0;
        long bufsize = sysconf(_SC_GETPW_R_SIZE_MAX);
        unsigned id;

        assert_return(ret_uid && ret_gid && ret_groups && ret_n_groups, -EINVAL);

        if (bufsize < 16384)
                bufsize = 16384;
        buf = malloc(bufsize);
        if (!buf)
                return -ENOMEM;

        if (user) {
                struct passwd pw, *pwr = NULL;
                int r;

                if (parse_id(user, &id) >= 0)
                        r = getpwuid_r(id, &pw, buf, bufsize, &pwr);
                else
                        r = getpwnam_r(user, &pw, buf, bufsize, &pwr);
                if (r > 0)
                        return -r;
                if (!pwr) {
                        if (parse_id(user, &id) < 0)
                                return -ESRCH;
                        /* A bare number with no passwd entry: allowed, as
                         * systemd's User= does, with no supplementary groups. */
                        uid = gid = id;
                } else {
                        uid = pw.pw_uid;
                        gid = pw.pw_gid;
                        n_groups = 32;
                        for (int tries = 0; tries < 8; tries++) {
                                gid_t *g = realloc(groups, sizeof(gid_t) * n_groups);
                                int n = n_groups;

                                if (!g)
                                        return -ENOMEM;
                                groups = g;
                                if (getgrouplist(pw.pw_name, gid, groups, &n) >= 0) {
                                        n_groups = n;
                                        break;
                                }
                                n_groups = n > n_groups ? n : n_groups * 2;
                        }
                }
        }

        if (group) {
                struct group gr, *grr = NULL;
                int r;

                if (parse_id(group, &id) >= 0)
                        r = getgrgid_r(id, &gr, buf, bufsize, &grr);
                else
                        r = getgrnam_r(group, &gr, buf, bufsize, &grr);
                if (r > 0)
                        return -r;
                if (grr)
                        gid = gr.gr_gid;
                else if (parse_id(group, &id) >= 0)
                        gid = id;
                else
                        return -ESRCH;
        }

        *ret_uid = uid;
        *ret_gid = gid;
        *ret_n_groups = groups ? (size_t) n_groups : 0;
        *ret_groups = TAKE_PTR(groups);
        return 0;
}
