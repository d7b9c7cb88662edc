/* SPDX-License-Identifier: MIT */
/* Hook commands (hook_add): argv runs, without a shell, with the event as
 * one line of JSON on stdin. stdin is a memfd written and rewound before
 * the spawn, so the daemon never waits on a pipe a command does not read;
 * the command's exit is reaped through its pidfd on the daemon loop. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon-log.h"
#include "daemon.h"


struct hook_run {
        phd *daemon;
        char *hub, *id, *program;
        ph_hook_key key;
        pid_t pid;
        int pidfd;
        loop_source *source;
        hook_run *prev, *next;
};

static void hook_run_free(hook_run *r) {
        if (r->prev)
                r->prev->next = r->next;
        else if (r->daemon->hook_runs == r)
                r->daemon->hook_runs = r->next;
        if (r->next)
                r->next->prev = r->prev;
        r->source = loop_source_free(r->source);
        r->pidfd = safe_close(r->pidfd);
        free(r->hub);
        free(r->id);
        free(r->program);
        free(r);
}

static int on_hook_exit(loop_source *s, const siginfo_t *si, void *userdata) {
        hook_run *r = userdata;

        if (si->si_code == CLD_EXITED && si->si_status != 0)
                dlog_warning(r->hub, NULL, "hook command %s (%s, for %s) exited with code %d", r->id, r->program,
                             ph_hook_key_to_string(r->key), si->si_status);
        else if (si->si_code == CLD_KILLED || si->si_code == CLD_DUMPED)
                dlog_warning(r->hub, NULL, "hook command %s (%s, for %s) killed by signal %s", r->id, r->program,
                             ph_hook_key_to_string(r->key), sigabbrev_np(si->si_status) ?: "?");
        else
                dlog_debug(r->hub, NULL, "hook command %s exited", r->id);
        phd *d = r->daemon;
        d->n_hook_commands_running--;
        hook_run_free(r);
        phd_maybe_exit(d);
        return 0;
}

/* The daemon's environment without what is the daemon's alone. */
static char **hook_environment(const char *hub, ph_hook_key key) {
        size_t n = 0;

        for (char **e = environ; *e; e++)
                n++;
        char **env = calloc(n + 3, sizeof(char *));
        if (!env)
                return NULL;
        size_t k = 0;
        for (char **e = environ; *e; e++)
                if (strncmp(*e, "NOTIFY_SOCKET=", 14) != 0 && strncmp(*e, "WATCHDOG_", 9) != 0 &&
                    strncmp(*e, "PROCESSHUB_HOOK_", 16) != 0 && strncmp(*e, "PROCESSHUB_HUB_ID=", 18) != 0)
                        env[k++] = strdup(*e);
        if (asprintf(&env[k], "PROCESSHUB_HUB_ID=%s", hub) >= 0)
                k++;
        if (asprintf(&env[k], "PROCESSHUB_HOOK_KEY=%s", ph_hook_key_to_string(key)) >= 0)
                k++;
        env[k] = NULL;
        for (size_t i = 0; i < k; i++)
                if (!env[i]) {
                        /* strdup failed somewhere: give up rather than run with a hole. */
                        for (size_t j = 0; j < k; j++)
                                free(env[j]);
                        free(env);
                        return NULL;
                }
        return env;
}

int hook_command_run(phd *d, const hook_command *hc, const char *hub, const char *event_json) {
        _cleanup_close_ int memfd = -EBADF;
        _cleanup_strv_free_ char **env = NULL;
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t attr;
        sigset_t none, defaults;
        pid_t pid;
        int r;

        if (d->n_hook_commands_running >= PHD_MAX_HOOK_COMMANDS) {
                dlog_warning(hub, NULL, "hook command %s not run for %s: %d hook commands still running", hc->id,
                             ph_hook_key_to_string(hc->key), PHD_MAX_HOOK_COMMANDS);
                return -EBUSY;
        }
        memfd = memfd_create("processhubd-hook-event", MFD_CLOEXEC);
        if (memfd < 0)
                return -errno;
        size_t len = strlen(event_json);
        for (size_t off = 0; off < len;) {
                ssize_t n = write(memfd, event_json + off, len - off);
                if (n < 0)
                        return -errno;
                off += (size_t) n;
        }
        if (write(memfd, "\n", 1) != 1 || lseek(memfd, 0, SEEK_SET) < 0)
                return -errno;
        env = hook_environment(hub, hc->key);
        if (!env)
                return -ENOMEM;

        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, memfd, STDIN_FILENO);
        posix_spawnattr_init(&attr);
        /* The daemon blocks its signals for the signalfd; a command gets
         * them back as they normally are. */
        sigemptyset(&none);
        sigemptyset(&defaults);
        sigaddset(&defaults, SIGTERM);
        sigaddset(&defaults, SIGINT);
        sigaddset(&defaults, SIGHUP);
        sigaddset(&defaults, SIGPIPE);
        sigaddset(&defaults, SIGCHLD);
        posix_spawnattr_setsigmask(&attr, &none);
        posix_spawnattr_setsigdefault(&attr, &defaults);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSID);
        r = -posix_spawnp(&pid, hc->argv[0], &fa, &attr, hc->argv, env);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
        if (r < 0) {
                dlog_warning(hub, NULL, "hook command %s (%s, for %s) cannot run: %s", hc->id, hc->argv[0],
                             ph_hook_key_to_string(hc->key), strerror(-r));
                return r;
        }

        hook_run *run = calloc(1, sizeof(*run));
        if (!run)
                return -ENOMEM; /* the zombie is reaped by nobody: rare enough */
        *run = (hook_run) { .daemon = d, .key = hc->key, .pid = pid, .pidfd = -EBADF };
        run->hub = strdup(hub);
        run->id = strdup(hc->id);
        run->program = strdup(hc->argv[0]);
        /* Our own unreaped child: its pid cannot be reused before the
         * pidfd is opened. */
        run->pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
        if (run->pidfd < 0 || !run->hub || !run->id || !run->program ||
            loop_add_child(d->loop, &run->source, run->pidfd, on_hook_exit, run) < 0) {
                dlog_warning(hub, NULL, "hook command %s: cannot watch pid %d; waiting for it", hc->id, (int) pid);
                (void) waitpid(pid, NULL, 0);
                hook_run_free(run);
                return -ENOMEM;
        }
        run->next = d->hook_runs;
        if (d->hook_runs)
                d->hook_runs->prev = run;
        d->hook_runs = run;
        d->n_hook_commands_running++;
        return 0;
}

void hook_commands_forget(phd *d) {
        while (d->hook_runs) {
                dlog_warning(d->hook_runs->hub, NULL, "hook command %s, pid %d, still runs; not waiting for it", d->hook_runs->id,
                             (int) d->hook_runs->pid);
                d->n_hook_commands_running--;
                hook_run_free(d->hook_runs);
        }
}
