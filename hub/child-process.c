/* SPDX-License-Identifier: MIT */

/* The process side of a child: preparing and spawning it, and turning what
 * the kernel says (execve's outcome, pidfd, cgroup.events,
 * the child's timer) into events for the state table. */

#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "config.h"
#include "log.h"
#include "spawn.h"
#include "string-util.h"
#include "supervisor-internal.h"
#include "time-util.h"

#if HAVE_LIBSYSTEMD
#include <syslog.h>
#include <systemd/sd-journal.h>
#endif



void child_set_failure(supervisor_child *c, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        free_and_vprintf(&c->failure, fmt, ap);
        va_end(ap);
}

static int on_timer(loop_source *s, uint64_t now, void *userdata) {
        child_dispatch(userdata, CHILD_EVENT_TIMEOUT);
        return 0;
}

int child_arm_timer(supervisor_child *c, uint64_t after_usec) {
        uint64_t when = now_usec() + after_usec;
        child_pending *p = child_pending_get(c);

        if (!p)
                return -ENOMEM;
        if (!p->timer)
                return loop_add_timer(c->supervisor->loop, &p->timer, when, 0, on_timer, c);
        return loop_source_timer_set(p->timer, when, 0);
}

void child_disarm_timer(supervisor_child *c) {
        if (c->pending && c->pending->timer)
                (void) loop_source_set_enabled(c->pending->timer, false);
}

void child_reap(int pidfd, int timeout_ms) {
        struct pollfd p = { .fd = pidfd, .events = POLLIN };
        siginfo_t si = {};

        if (pidfd < 0)
                return;
        if (poll(&p, 1, timeout_ms) > 0)
                (void) waitid(P_PIDFD, pidfd, &si, WEXITED | WNOHANG);
}

void child_release_process(supervisor_child *c) {
        c->pidfd_source = loop_source_free(c->pidfd_source);
        c->pidfd = safe_close(c->pidfd);
        if (c->pending) {
                c->pending->exec_ok_source = loop_source_free(c->pending->exec_ok_source);
                c->pending->events_source = loop_source_free(c->pending->events_source);
                c->pending->events_fd = safe_close(c->pending->events_fd);
        }
        if (c->pid > 0)
                c->last_pid = c->pid;
        c->pid = 0;
}

void child_release_all(supervisor_child *c) {
        child_release_process(c);
        if (c->pending)
                c->pending->timer = loop_source_free(c->pending->timer);
}

static int on_exec_ok(loop_source *s, void *userdata) {
        supervisor_child *c = userdata;

        c->pending->exec_ok_source = loop_source_free(c->pending->exec_ok_source);
        if (c->state == CHILD_STATE_RUNNING) {
                /* READY=1 came first and found this source still held:
                 * the event means nothing now, the pending block can go. */
                child_pending_trim(c);
                return 0;
        }
        child_dispatch(c, CHILD_EVENT_EXEC_OK);
        return 0;
}

static int on_process_exit(loop_source *s, const siginfo_t *si, void *userdata) {
        supervisor_child *c = userdata;
        uint64_t oom_kills;

        /* A process that exec'd and exited before its deferred EXEC_OK ran
         * did start. */
        if (c->pending && c->pending->exec_ok_source) {
                c->pending->exec_ok_source = loop_source_free(c->pending->exec_ok_source);
                child_dispatch(c, CHILD_EVENT_EXEC_OK);
        }
        if (!c->exit_reason_fixed) {
                c->last_exit = child_exit_from_siginfo(si);
                /* Not ours to reap (adopted): the kernel's tracer may know. */
                if (c->last_exit.kind == CHILD_EXIT_UNKNOWN && c->supervisor->resolve_exit)
                        (void) c->supervisor->resolve_exit(c->supervisor, c->pid, &c->last_exit,
                                                           c->supervisor->userdata);
                if (c->last_exit.kind == CHILD_EXIT_SIGNAL && c->last_exit.status == SIGKILL) {
                        child_exit traced;

                        /* The group's OOM counter where it has one; a child
                         * without a memory limit on a hybrid host has no v1
                         * memory group (cgroup-group.c says why): the
                         * kernel's exit tracer says whether the OOM killer
                         * chose it. */
                        if (cgroup_group_oom_kills(c->group, &oom_kills) >= 0) {
                                if (oom_kills > c->oom_kills_at_spawn)
                                        c->last_exit.kind = CHILD_EXIT_OOM_KILL;
                        } else if (c->supervisor->resolve_exit &&
                                   c->supervisor->resolve_exit(c->supervisor, c->pid, &traced, c->supervisor->userdata) &&
                                   traced.kind == CHILD_EXIT_OOM_KILL)
                                c->last_exit.kind = CHILD_EXIT_OOM_KILL;
                }
        }
        c->exit_reason_fixed = false;
        c->pidfd_source = loop_source_free(c->pidfd_source);
        c->pidfd = safe_close(c->pidfd);
        /* pid stays readable for the EXITED event; it is cleared on drain. */
        child_dispatch(c, CHILD_EVENT_EXIT);
        return 0;
}

int child_watch_adopted(supervisor_child *c) {
        assert(c->pidfd >= 0);
        return loop_add_child(c->supervisor->loop, &c->pidfd_source, c->pidfd, on_process_exit, c);
}

static void child_drained(supervisor_child *c);

static int on_group_events(loop_source *s, int fd, uint32_t revents, void *userdata) {
        supervisor_child *c = userdata;

        if (cgroup_group_is_populated(c->group) > 0)
                return 0;
        child_drained(c);
        return 0;
}

static void child_drained(supervisor_child *c) {
        if (c->pending) {
                c->pending->events_source = loop_source_free(c->pending->events_source);
                c->pending->events_fd = safe_close(c->pending->events_fd);
        }
        if (c->pid > 0)
                c->last_pid = c->pid;
        c->pid = 0;
        child_dispatch(c, CHILD_EVENT_DRAINED);
}

void child_begin_drain(supervisor_child *c) {
        child_pending *p;
        int r;

        c->state = CHILD_STATE_DRAINING;

        /* Usually the main process was all there was: one read and done,
         * no watch set up and torn down again. */
        r = cgroup_group_is_populated(c->group);
        if (r == 0 || (r < 0 && r != -EINTR)) {
                child_drained(c);
                return;
        }

        /* Something is left: watch cgroup.events, then look again (a change
         * after the open is signalled, so the group cannot empty unseen in
         * between), and kill what the main process left behind. */
        p = child_pending_get(c);
        if (p && p->events_fd < 0) {
                p->events_fd = cgroup_group_open_events(c->group);
                if (p->events_fd >= 0) {
                        r = loop_add_io(c->supervisor->loop, &p->events_source, p->events_fd, POLLPRI,
                                        on_group_events, c);
                        if (r < 0)
                                p->events_fd = safe_close(p->events_fd);
                }
        }
        r = cgroup_group_is_populated(c->group);
        if (r == 0 || (r < 0 && r != -EINTR)) {
                child_drained(c);
                return;
        }
        (void) cgroup_group_kill(c->group);
        if (!p || p->events_fd < 0)
                /* Cannot watch the group: check again shortly. */
                (void) child_arm_timer(c, 10 * USEC_PER_MSEC);
}

static int open_output(const supervisor_child *c, child_output o, int *ret_fd, const char **ret_reason) {
        int fd;

        switch (o.kind) {
        case CHILD_OUTPUT_INHERIT:
                *ret_fd = -EBADF;
                return 0;
        case CHILD_OUTPUT_NULL:
                fd = open("/dev/null", O_WRONLY | O_CLOEXEC | O_NOCTTY);
                break;
        case CHILD_OUTPUT_FILE:
                fd = open(o.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0640);
                if (fd < 0)
                        *ret_reason = "output file cannot be opened";
                break;
        case CHILD_OUTPUT_JOURNAL:
#if HAVE_LIBSYSTEMD
                fd = sd_journal_stream_fd(c->spec->id, LOG_INFO, 0);
                if (fd < 0) {
                        *ret_reason = "the journal is not reachable";
                        return fd;
                }
                break;
#else
                *ret_reason = "built without journal support";
                return -EOPNOTSUPP;
#endif
        default:
                return -EINVAL;
        }
        if (fd < 0)
                return -errno;
        *ret_fd = fd;
        return 0;
}

/* The child's environment: its own or ours, never our NOTIFY_SOCKET (that
 * one is for talking to our own supervisor), plus its notify address and
 * its id. Built per launch and freed right after: nothing at rest. The
 * variables are borrowed, not copied (the spec's and environ outlive the
 * launch): one array and two strings a start, not a malloc per variable,
 * which a start of 10,000 children would make and free 10,000s of times,
 * leaving holes between the records that stay. */
typedef struct child_env {
        char **envp;
        char *id_var;
        char *notify_var;
} child_env;

static void child_env_done(child_env *e) {
        free(e->envp);
        free(e->id_var);
        free(e->notify_var);
}

static int build_env(const supervisor_child *c, const char *notify_address, child_env *ret) {
        char *const *base = child_spec_extra_of(c->spec)->env ?: environ;
        size_t n = 0, k = 0;

        while (base && base[n])
                n++;

        _cleanup_(child_env_done) child_env e = {};
        e.envp = calloc(n + 3, sizeof(char *));
        if (!e.envp)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                if (strncmp(base[i], "NOTIFY_SOCKET=", 14) != 0 && strncmp(base[i], "PROCESSHUB_CHILD_ID=", 20) != 0)
                        e.envp[k++] = base[i];
        if (asprintf(&e.id_var, "PROCESSHUB_CHILD_ID=%s", c->spec->id) < 0) {
                e.id_var = NULL;
                return -ENOMEM;
        }
        e.envp[k++] = e.id_var;
        if (notify_address) {
                if (asprintf(&e.notify_var, "NOTIFY_SOCKET=%s", notify_address) < 0) {
                        e.notify_var = NULL;
                        return -ENOMEM;
                }
                e.envp[k++] = e.notify_var;
        }
        *ret = e;
        e = (child_env) {};
        return 0;
}

int child_launch(supervisor_child *c, const char **ret_reason) {
        _cleanup_close_ int stdout_fd = -EBADF, stderr_fd = -EBADF;
        _cleanup_free_ char *path = NULL;
        _cleanup_free_ gid_t *groups = NULL;
        _cleanup_(child_env_done) child_env env = {};
        cgroup_spawn_fds cg;
        spawn_params p;
        size_t n_groups = 0;
        uid_t uid = 0;
        gid_t gid = 0;
        pid_t pid;
        spawn_failure failure;
        int pidfd, r;
        const char *reason = NULL, *notify_address = NULL;
        const child_spec_extra *x = child_spec_extra_of(c->spec);

        assert(c->pidfd < 0);

        if (c->spec->ready == CHILD_READY_NOTIFY) {
                r = supervisor_notify_address(c->supervisor, &notify_address);
                if (r < 0) {
                        *ret_reason = "notify socket cannot be opened";
                        return r;
                }
        }

        r = build_env(c, notify_address, &env);
        if (r < 0)
                return r;
        r = spawn_find_executable(c->spec->argv[0], env.envp, &path);
        if (r < 0) {
                *ret_reason = r == -EACCES ? "argv: program is not executable" : "argv: program not found";
                return r;
        }
        if (x->user || x->group) {
                r = spawn_resolve_credentials(x->user, x->group, &uid, &gid, &groups, &n_groups);
                if (r < 0) {
                        *ret_reason = r == -ESRCH ? "user/group: unknown user or group" : "user/group: lookup failed";
                        return r;
                }
        }

        r = open_output(c, child_spec_stdout(c->spec), &stdout_fd, &reason);
        if (r < 0) {
                *ret_reason = reason ?: "stdout cannot be opened";
                return r;
        }
        r = open_output(c, child_spec_stderr(c->spec), &stderr_fd, &reason);
        if (r < 0) {
                *ret_reason = reason ?: "stderr cannot be opened";
                return r;
        }

        r = cgroup_group_open_spawn_fds(c->group, &cg);
        if (r < 0) {
                *ret_reason = "cgroup: cannot open the child's group";
                return r;
        }
        if (cgroup_group_oom_kills(c->group, &c->oom_kills_at_spawn) < 0)
                c->oom_kills_at_spawn = 0;

        p = (spawn_params) {
                .path = path,
                .argv = c->spec->argv,
                .envp = env.envp,
                .cwd = x->cwd,
                .set_ids = x->user || x->group,
                .uid = uid,
                .gid = gid,
                .groups = groups,
                .n_groups = n_groups,
                .stdin_fd = -EBADF, /* /dev/null */
                .stdout_fd = stdout_fd,
                .stderr_fd = stderr_fd,
                .set_nofile = c->supervisor->set_nofile,
                .nofile = c->supervisor->nofile,
                .cgroup = &cg,
        };
        r = spawn_process(c->supervisor->spawner, &p, &pid, &pidfd, &failure);
        cgroup_spawn_fds_close(&cg);
        if (r < 0) {
                *ret_reason = "clone3 failed";
                return r;
        }

        c->pid = pid;
        c->pidfd = pidfd;
        c->exec_done = false;
        c->exit_reason_fixed = false;
        if (r > 0) {
                /* The process is on its way out with status 127: its exit
                 * reports the start as failed, for this reason. */
                log_debug("child %s: %s failed: %s", c->spec->id, spawn_step_to_string(failure.step),
                          strerror(failure.error));
                c->last_exit = (child_exit) { .kind = CHILD_EXIT_EXEC_FAILED, .status = failure.error };
                c->exit_reason_fixed = true;
        }
        /* last_exit keeps the previous process's end until this one ends. */
        c->state = CHILD_STATE_STARTING;

        r = loop_add_child(c->supervisor->loop, &c->pidfd_source, c->pidfd, on_process_exit, c);
        /* Not dispatched here: the caller of the launch is mid-way through
         * an action of the state table. */
        if (r >= 0 && failure.step < 0) {
                child_pending *pending = child_pending_get(c);

                r = pending ? loop_add_defer(c->supervisor->loop, &pending->exec_ok_source, on_exec_ok, c) : -ENOMEM;
        }
        if (r >= 0 && c->spec->ready == CHILD_READY_NOTIFY)
                r = child_arm_timer(c, c->spec->ready_timeout_usec);
        if (r < 0) {
                /* Cannot watch it: do not leave it running unwatched, nor
                 * as a zombie. */
                (void) cgroup_group_kill(c->group);
                child_reap(c->pidfd, 1000);
                child_release_process(c);
                *ret_reason = "cannot watch the new process";
                return r;
        }
        log_debug("child %s: spawned pid %d", c->spec->id, (int) pid);
        return 0;
}
