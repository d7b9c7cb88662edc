/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <grp.h>
#include <linux/close_range.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "spawn-clone.h"
#include "macros.h"
#include "spawn.h"
#include "string-table.h"

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/asan_interface.h>
#endif

/* The tests build this file once more without the stack switch, to run
 * the path of architectures that have none. */
#ifdef SPAWN_TEST_NO_SHARED_VM
#undef SPAWN_CLONE_SHARES_VM
#define SPAWN_CLONE_SHARES_VM 0
#endif

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

struct spawner {
        void *stack; /* the child's, until execve: CLONE_VM shares our memory, not our stack */
        size_t stack_size;
        volatile spawn_failure *record; /* a shared page: the child's word on the step that failed */
        int devnull;                    /* O_RDWR, the default stdin */
        int stage[3];                   /* stdin, stdout, stderr of the next child, dup'ed here */
        unsigned fd_ceiling;            /* the child keeps [0, fd_ceiling) of our fd table */
};

/* Big enough for the steps below in an instrumented (ASan) build. */
#define SPAWN_STACK_SIZE (256U * 1024U)

spawner *spawner_free(spawner *s) {
        if (!s)
                return NULL;
        if (s->stack)
                (void) munmap(s->stack, s->stack_size);
        if (s->record)
                (void) munmap((void *) s->record, (size_t) sysconf(_SC_PAGESIZE));
        for (unsigned i = 0; i < ELEMENTSOF(s->stage); i++)
                safe_close(s->stage[i]);
        safe_close(s->devnull);
        free(s);
        return NULL;
}

int spawner_new(spawner **ret) {
        _cleanup_(spawner_freep) spawner *s = NULL;
        size_t page = (size_t) sysconf(_SC_PAGESIZE);
        void *m;

        assert_return(ret, -EINVAL);

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->devnull = s->stage[0] = s->stage[1] = s->stage[2] = -EBADF;

        /* Shared, not private: the fallback without CLONE_VM (spawn-clone.h)
         * must see the child's write too. */
        m = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED)
                return -errno;
        s->record = m;

        /* The lowest page stays inaccessible: an overflow faults instead of
         * writing into whatever lies below. */
        s->stack_size = SPAWN_STACK_SIZE;
        m = mmap(NULL, s->stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE,
                 -1, 0);
        if (m == MAP_FAILED)
                return -errno;
        s->stack = m;
        if (mprotect(s->stack, page, PROT_NONE) < 0)
                return -errno;

        /* The stage fds are taken now, while the lowest numbers are free,
         * and kept: the child's copy of the fd table stops above them. */
        s->devnull = open("/dev/null", O_RDWR | O_CLOEXEC | O_NOCTTY);
        if (s->devnull < 0)
                return -errno;
        s->fd_ceiling = (unsigned) s->devnull + 1;
        for (unsigned i = 0; i < ELEMENTSOF(s->stage); i++) {
                s->stage[i] = fcntl(s->devnull, F_DUPFD_CLOEXEC, 3);
                if (s->stage[i] < 0)
                        return -errno;
                if ((unsigned) s->stage[i] + 1 > s->fd_ceiling)
                        s->fd_ceiling = (unsigned) s->stage[i] + 1;
        }

        *ret = TAKE_PTR(s);
        return 0;
}

typedef struct spawn_child_args {
        const spawner *spawner;
        const spawn_params *params;
} spawn_child_args;

/* The kernel's struct sigaction, for a raw rt_sigaction(2) to SIG_DFL. */
struct spawn_kernel_sigaction {
        void (*handler)(int);
        unsigned long flags;
        void (*restorer)(void);
        uint64_t mask;
};

/* Runs in the new process, on the spawner's stack, sharing the parent's
 * memory (and until the unshare below its fd table) while the parent
 * thread waits: only system calls from here on, no allocation, no locks,
 * nothing that glibc would broadcast to the parent's other threads (its
 * setuid() family does: hence the raw calls), and no return. Not
 * instrumented: ASan knows nothing of this stack. */
__attribute__((no_sanitize_address)) static _Noreturn void spawn_child_main(void *userdata) {
        const spawn_child_args *a = userdata;
        const spawner *s = a->spawner;
        const spawn_params *p = a->params;
        spawn_step step;

        if (cgroup_spawn_fds_attach_v1(p->cgroup) < 0) {
                step = SPAWN_STEP_CGROUP;
                goto fail;
        }
        /* Our own fd table from here on, holding only the low fds below
         * the stage: the parent's thousands of pidfds are neither copied
         * nor closed again at execve. */
        if (syscall(SYS_close_range, s->fd_ceiling, ~0U, CLOSE_RANGE_UNSHARE) < 0) {
                step = SPAWN_STEP_STDIO;
                goto fail;
        }
        if (setsid() < 0) {
                step = SPAWN_STEP_SESSION;
                goto fail;
        }
        if (dup2(s->stage[0], STDIN_FILENO) < 0 || (p->stdout_fd >= 0 && dup2(s->stage[1], STDOUT_FILENO) < 0) ||
            (p->stderr_fd >= 0 && dup2(s->stage[2], STDERR_FILENO) < 0)) {
                step = SPAWN_STEP_STDIO;
                goto fail;
        }
        /* The embedding program's low fds, and the stage itself, go away
         * at execve (also those opened without O_CLOEXEC). */
        if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
                for (unsigned fd = 3; fd < s->fd_ceiling; fd++)
                        (void) fcntl((int) fd, F_SETFD, FD_CLOEXEC);

        if (p->set_nofile && setrlimit(RLIMIT_NOFILE, &p->nofile) < 0) {
                step = SPAWN_STEP_RLIMIT;
                goto fail;
        }
        if (p->cwd && chdir(p->cwd) < 0) {
                step = SPAWN_STEP_CHDIR;
                goto fail;
        }
        if (p->set_ids) {
                if (syscall(SYS_setgroups, p->n_groups, p->groups) < 0) {
                        step = SPAWN_STEP_GROUPS;
                        goto fail;
                }
                if (syscall(SYS_setresgid, p->gid, p->gid, p->gid) < 0) {
                        step = SPAWN_STEP_GID;
                        goto fail;
                }
                if (syscall(SYS_setresuid, p->uid, p->uid, p->uid) < 0) {
                        step = SPAWN_STEP_UID;
                        goto fail;
                }
        }

        /* The parent blocked every signal around clone3 so that none of its
         * handlers can run here; give the program a clean slate (execve
         * resets caught signals, not ignored ones). */
        for (int sig = 1; sig < _NSIG; sig++) {
                struct spawn_kernel_sigaction dfl = { .handler = SIG_DFL };

                if (sig != SIGKILL && sig != SIGSTOP)
                        (void) syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof(dfl.mask));
        }
        uint64_t none = 0;
        (void) syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, sizeof(none));

        execve(p->path, p->argv, p->envp);
        step = SPAWN_STEP_EXEC;
fail:
        s->record->error = errno;
        s->record->step = step;
        _exit(127);
}

/* Put fd (or /dev/null for fd < 0) at stage slot i. */
static int spawner_stage(spawner *s, unsigned i, int fd) {
        if (dup3(fd >= 0 ? fd : s->devnull, s->stage[i], O_CLOEXEC) < 0)
                return -errno;
        return 0;
}

int spawn_process(spawner *s, const spawn_params *p, pid_t *ret_pid, int *ret_pidfd, spawn_failure *ret_failure) {
        spawn_child_args a = { .spawner = s, .params = p };
        int pidfd = -EBADF, r;
        sigset_t all, saved;
        struct clone_args args;
        long pid;

        assert_return(s, -EINVAL);
        assert_return(p && p->path && p->argv && p->envp && p->cgroup, -EINVAL);
        assert_return(ret_pid && ret_pidfd && ret_failure, -EINVAL);

        r = spawner_stage(s, 0, p->stdin_fd);
        if (r >= 0)
                r = spawner_stage(s, 1, p->stdout_fd);
        if (r >= 0)
                r = spawner_stage(s, 2, p->stderr_fd);
        if (r < 0)
                goto unstage;

        args = (struct clone_args) {
                .flags = CLONE_PIDFD | CLONE_INTO_CGROUP | CLONE_VFORK | CLONE_FILES,
                .pidfd = (uint64_t) (uintptr_t) &pidfd,
                .exit_signal = SIGCHLD,
                .cgroup = (uint64_t) p->cgroup->v2_dir,
        };
        s->record->step = -1;
        s->record->error = 0;

        sigfillset(&all);
        (void) pthread_sigmask(SIG_SETMASK, &all, &saved);
        if (SPAWN_CLONE_SHARES_VM) {
                args.flags |= CLONE_VM;
                args.stack = (uint64_t) (uintptr_t) s->stack;
                args.stack_size = s->stack_size;
#ifdef __SANITIZE_ADDRESS__
                /* The last child never returned from its frames: forget
                 * their redzones. */
                ASAN_UNPOISON_MEMORY_REGION(s->stack, s->stack_size);
#endif
                pid = spawn_clone3_on_stack(&args, spawn_child_main, &a);
                if (pid < 0)
                        r = (int) pid;
        } else {
                pid = syscall(SYS_clone3, &args, sizeof(args));
                if (pid == 0)
                        spawn_child_main(&a);
                if (pid < 0)
                        r = -errno;
        }
        (void) pthread_sigmask(SIG_SETMASK, &saved, NULL);
        if (pid < 0)
                goto unstage;

        /* The child has exec'd or died by now (CLONE_VFORK). */
        *ret_failure = (spawn_failure) { .step = s->record->step, .error = s->record->error };
        *ret_pid = (pid_t) pid;
        *ret_pidfd = pidfd;
        r = ret_failure->step >= 0 ? 1 : 0;

unstage:
        /* Hold no reference to the child's files (a journal stream, a log
         * file) until the next spawn. */
        for (unsigned i = 0; i < ELEMENTSOF(s->stage); i++)
                (void) spawner_stage(s, i, -EBADF);
        return r;
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
