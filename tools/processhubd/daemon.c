/* SPDX-License-Identifier: MIT */
/* processhubd's life: configuration, hubs, the control socket, signals
 * (SIGTERM/SIGINT: graceful stop of every hub; SIGHUP: reload), and
 * systemd's notify protocol (READY=1, STATUS=, STOPPING=1, WATCHDOG=1). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon-log.h"
#include "daemon.h"
#include "processhubd-config.h"
#include "string-util.h"
#if HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

static void phd_notify(const char *state) {
#if HAVE_LIBSYSTEMD
        (void) sd_notify(0, state);
#endif
}

void phd_update_status(phd *d) {
        _cleanup_free_ char *status = NULL;
        unsigned hubs = 0;

        for (phd_hub *h = d->hubs; h; h = h->next)
                if (h->state == PHD_HUB_RUNNING)
                        hubs++;
        unsigned children = phd_count_children(d);
        free_and_printf(&status, "%s%u %s, %u %s", d->stopping ? "stopping: " : "", hubs, hubs == 1 ? "hub" : "hubs",
                        children, children == 1 ? "child" : "children");
        if (!status || (d->last_status && strcmp(status, d->last_status) == 0))
                return;
        _cleanup_free_ char *line = NULL;
        free_and_printf(&line, "STATUS=%s", status);
        if (line)
                phd_notify(line);
        free(d->last_status);
        d->last_status = TAKE_PTR(status);
}

/* READY=1 once every hub runs, its static children have started (or
 * failed to, logged) and the socket listens. */
void phd_maybe_ready(phd *d) {
        if (d->ready_sent || d->startup_jobs > 0 || d->listen_fd < 0 || d->stopping)
                return;
        d->ready_sent = true;
        phd_update_status(d);
        phd_notify("READY=1");
        dlog_info(NULL, NULL, "ready: %s", d->last_status ?: "");
}

static int on_exit_deadline(loop_source *s, uint64_t now, void *userdata) {
        phd *d = userdata;

        (void) loop_exit(d->loop, d->exit_code);
        return 0;
}

/* Once every hub is gone and no job is left; hook commands still running
 * (for the hubs' last events) get a few seconds. */
void phd_maybe_exit(phd *d) {
        if (!d->stopping || d->hubs || workers_pending(d->workers) > 0)
                return;
        if (d->n_hook_commands_running == 0) {
                (void) loop_exit(d->loop, d->exit_code);
                return;
        }
        if (!d->exit_deadline &&
            loop_add_timer(d->loop, &d->exit_deadline, loop_now(d->loop) + PHD_EXIT_HOOK_GRACE_USEC, 0, on_exit_deadline, d) < 0)
                (void) loop_exit(d->loop, d->exit_code);
}

static void phd_begin_shutdown(phd *d, const char *why) {
        if (d->stopping)
                return;
        d->stopping = true;
        dlog_info(NULL, NULL, "%s: stopping every hub", why);
        phd_notify("STOPPING=1");
        /* No new clients; the connected ones see the hubs' last events. */
        phd_unlisten(d);
        phd_stop_all_hubs(d);
        phd_update_status(d);
        phd_maybe_exit(d);
}

static void phd_reload(phd *d) {
        _cleanup_free_ char *err = NULL;
        daemon_config *config = NULL;
        int r;

        if (d->stopping)
                return;
        phd_notify("RELOADING=1");
        r = daemon_config_load(d->cli, &config, &err);
        if (r < 0) {
                dlog_error(NULL, NULL, "reload: %s; keeping the running configuration", err ?: strerror(-r));
                phd_notify("READY=1");
                return;
        }
        dlog_info(NULL, NULL, "reloading %s", config->config_path ?: "(command line only)");
        (void) phd_apply_config(d, config);
        daemon_config_free(config);
        phd_update_status(d);
        phd_notify("READY=1");
}

static int on_signal(loop_source *s, const struct signalfd_siginfo *si, void *userdata) {
        phd *d = userdata;

        switch (si->ssi_signo) {
        case SIGHUP:
                phd_reload(d);
                break;
        case SIGTERM:
        case SIGINT:
                phd_begin_shutdown(d, si->ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
                break;
        }
        return 0;
}

static int on_status_timer(loop_source *s, uint64_t now, void *userdata) {
        phd *d = userdata;

        phd_check_failed(d);
        phd_update_status(d);
        phd_heap_trim(d);
        return 0;
}

static int on_watchdog_timer(loop_source *s, uint64_t now, void *userdata) {
        phd_notify("WATCHDOG=1");
        return 0;
}

int phd_main(const daemon_cli *cli) {
        _cleanup_free_ char *err = NULL;
        phd d = { .cli = cli, .listen_fd = -EBADF };
        uint64_t watchdog_usec = 0;
        sigset_t mask;
        int r, code = 0;

        daemon_log_open();
        r = daemon_config_load(cli, &d.config, &err);
        if (r < 0) {
                fprintf(stderr, "processhubd: %s\n", err ?: strerror(-r));
                return 2;
        }

        /* Signals go to the loop's signalfd; every thread made from here on
         * (hub loops, workers) inherits the mask, so none takes them. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        pthread_sigmask(SIG_BLOCK, &mask, NULL);
        signal(SIGPIPE, SIG_IGN);

#if HAVE_LIBSYSTEMD
        /* Unset, so that children and hook commands do not inherit it. */
        if (sd_watchdog_enabled(1, &watchdog_usec) <= 0)
                watchdog_usec = 0;
#endif

        r = loop_new(&d.loop);
        if (r < 0) {
                dlog_error(NULL, NULL, "cannot make the event loop: %s", strerror(-r));
                code = 1;
                goto out_config;
        }
        r = workers_new(d.loop, 32, &d.workers);
        if (r < 0) {
                code = 1;
                goto out_loop;
        }
        int sigs[] = { SIGTERM, SIGINT, SIGHUP };
        for (size_t i = 0; i < ELEMENTSOF(sigs); i++) {
                r = loop_add_signal(d.loop, NULL, sigs[i], on_signal, &d);
                if (r < 0) {
                        dlog_error(NULL, NULL, "cannot watch signal %d: %s", sigs[i], strerror(-r));
                        code = 1;
                        goto out_workers;
                }
        }

        for (size_t i = 0; i < d.config->n_hubs; i++) {
                r = phd_hub_start(&d, d.config, &d.config->hubs[i]);
                if (r < 0) {
                        code = 1;
                        break;
                }
        }
        if (code == 0 && d.config->n_hubs == 0)
                dlog_warning(NULL, NULL, "no hub configured (give --hub NAME, or [hub NAME] in %s)",
                             d.config->config_path ?: DAEMON_DEFAULT_CONFIG);
        if (code == 0) {
                r = phd_listen(&d, d.config->socket_path, d.config->control_group);
                if (r < 0)
                        code = 1;
                else
                        dlog_info(NULL, NULL, "listening on %s", d.config->socket_path);
        }
        if (code == 0) {
                r = loop_add_timer(d.loop, &d.status_timer, 0, USEC_PER_SEC, on_status_timer, &d);
                if (r >= 0 && watchdog_usec > 0)
                        r = loop_add_timer(d.loop, &d.watchdog_timer, 0, watchdog_usec / 2, on_watchdog_timer, &d);
                if (r < 0)
                        code = 1;
        }
        if (code != 0) {
                d.exit_code = code;
                phd_begin_shutdown(&d, "start failed");
        } else
                phd_maybe_ready(&d);

        r = loop_run(d.loop);
        if (r < 0) {
                dlog_error(NULL, NULL, "event loop failed: %s", strerror(-r));
                code = 1;
        } else
                code = r;

        conn_close_all(&d);
        phd_unlisten(&d);
out_workers:
        workers_free(d.workers);
        /* The done calls of the last jobs, and events the hubs posted. */
        for (unsigned i = 0; i < 4; i++)
                (void) loop_run_once(d.loop, 0);
        hook_commands_forget(&d);
        while (d.hubs) {
                /* Only when the loop failed: hubs were not stopped. */
                phd_hub *h = d.hubs;
                d.hubs = h->next;
                ph_hub_free(h->hub);
        }
        loop_source_free(d.status_timer);
        loop_source_free(d.watchdog_timer);
        loop_source_free(d.exit_deadline);
out_loop:
        loop_free(d.loop);
out_config:
        daemon_config_free(d.config);
        free(d.last_status);
        if (d.tokener)
                json_tokener_free(d.tokener);
        json_writer_done(&d.reply_writer);
        json_writer_done(&d.result_writer);
        if (code == 0)
                dlog_info(NULL, NULL, "stopped");
        return code;
}
