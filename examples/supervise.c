/* SPDX-License-Identifier: MIT */

/* A supervisor of a few example children, printing what happens to them:
 * the kernel-facing core at work before the hub API exists. scripts/run
 * starts it.
 *
 *   supervise [--duration SECONDS] [--hub NAME]
 *
 * Children:
 *   ticker   a shell loop printing the time (permanent)
 *   crashy   exits with code 1 after two seconds (permanent, restarted
 *            until its restart intensity is spent, then marked failed)
 *   notifier tells readiness through sd_notify's NOTIFY_SOCKET (python3)
 *   hog      allocates memory under a 32 MiB limit and is OOM-killed
 *            (temporary: not restarted)
 *
 * Ctrl-C (or the end of --duration) stops every child gracefully. */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "supervisor.h"
#include "time-util.h"

static void on_event(supervisor *s, supervisor_child *c, supervisor_event event, void *userdata) {
        char why[CHILD_EXIT_DESCRIBE_MAX];
        const char *id = supervisor_child_id(c);

        switch (event) {
        case SUPERVISOR_EVENT_STARTED:
                printf("[%s] started, pid %d, cgroup %s\n", id, (int) supervisor_child_pid(c),
                       supervisor_child_cgroup_path(c, (char[PATH_MAX]) {}));
                break;
        case SUPERVISOR_EVENT_EXITED:
                printf("[%s] pid %d %s\n", id, (int) supervisor_child_pid(c),
                       child_exit_describe(supervisor_child_last_exit(c), why, sizeof(why)));
                break;
        case SUPERVISOR_EVENT_RESTARTED:
                printf("[%s] restarted (#%u), pid %d\n", id, supervisor_child_restarts(c),
                       (int) supervisor_child_pid(c));
                break;
        case SUPERVISOR_EVENT_FAILED:
                printf("[%s] FAILED: %s\n", id, supervisor_child_failure(c));
                break;
        case SUPERVISOR_EVENT_STATUS:
                printf("[%s] status: %s\n", id, supervisor_child_status_text(c));
                break;
        case SUPERVISOR_EVENT_REMOVED:
                printf("[%s] removed\n", id);
                break;
        default:
                break;
        }
        fflush(stdout);
}

static void on_start(supervisor *s, const char *id, int error, const char *reason, pid_t pid, void *userdata) {
        if (error < 0)
                printf("[%s] start failed: %s (%s)\n", id, reason ?: "", strerror(-error));
}

static int on_signal(loop_source *src, const struct signalfd_siginfo *si, void *userdata) {
        bool *stop = userdata;

        printf("\nsignal %s: stopping every child\n", sigabbrev_np((int) si->ssi_signo) ?: "?");
        *stop = true;
        return 0;
}

static void on_shutdown(supervisor *s, void *userdata) {
        printf("all children stopped, groups removed\n");
        loop_exit(userdata, 0);
}

static int start(supervisor *s, child_spec *spec) {
        const char *reason = NULL;
        int r = supervisor_start_child(s, spec, on_start, NULL, &reason);

        if (r < 0)
                fprintf(stderr, "%s: cannot start: %s (%s)\n", spec->id, strerror(-r), reason ?: "");
        return r;
}

int main(int argc, char **argv) {
        _cleanup_loop_ loop *l = NULL;
        _cleanup_cgroup_hierarchy_ cgroup_hierarchy *h = NULL;
        _cleanup_cgroup_subtree_ cgroup_subtree *t = NULL;
        _cleanup_supervisor_ supervisor *s = NULL;
        loop_source *sigint = NULL, *sigterm = NULL;
        const char *hub = "demo", *reason = NULL;
        unsigned duration = 0;
        bool stop = false;
        child_spec spec;
        int r;

        static const struct option options[] = {
                { "duration", required_argument, NULL, 'd' },
                { "hub", required_argument, NULL, 'H' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        for (int c; (c = getopt_long(argc, argv, "d:H:h", options, NULL)) >= 0;)
                switch (c) {
                case 'd':
                        duration = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                case 'H':
                        hub = optarg;
                        break;
                case 'h':
                        printf("usage: %s [--duration SECONDS] [--hub NAME]\n", argv[0]);
                        return 0;
                default:
                        return 2;
                }

        r = loop_new(&l);
        if (r < 0) {
                fprintf(stderr, "io_uring loop: %s\n", strerror(-r));
                return 1;
        }
        r = cgroup_hierarchy_discover(&h);
        if (r < 0) {
                fprintf(stderr, "cgroup2 not found: %s\n", strerror(-r));
                return 1;
        }
        r = cgroup_subtree_open(h, &t);
        if (r < 0) {
                fprintf(stderr, "cgroup subtree (are you root?): %s\n", strerror(-r));
                return 1;
        }
        printf("cgroups: %s layout, cgroup2 at %s, own group %s\n", cgroup_layout_to_string(h->layout), h->v2_mount,
               h->v2_own);

        r = supervisor_new(l, t, &(supervisor_options) { .name = hub, .on_event = on_event }, &s, &reason);
        if (r < 0) {
                fprintf(stderr, "supervisor: %s (%s)\n", strerror(-r), reason ?: "");
                return 1;
        }
        printf("hub %s: cgroup %s\n", hub, supervisor_cgroup_path(s, (char[PATH_MAX]) {}));
        (void) loop_add_signal(l, &sigint, SIGINT, on_signal, &stop);
        (void) loop_add_signal(l, &sigterm, SIGTERM, on_signal, &stop);

        child_spec_init(&spec);
        spec.id = "ticker";
        spec.argv = (char *[]) { "sh", "-c", "while :; do echo \"ticker: $(date +%T)\"; sleep 2; done", NULL };
        (void) start(s, &spec);

        child_spec_init(&spec);
        spec.id = "crashy";
        spec.argv = (char *[]) { "sh", "-c", "sleep 2; echo 'crashy: giving up' >&2; exit 1", NULL };
        spec.restart_burst = 3;
        spec.restart_delay_usec = 500 * USEC_PER_MSEC;
        spec.restart_delay_max_usec = 2 * USEC_PER_SEC;
        (void) start(s, &spec);

        child_spec_init(&spec);
        spec.id = "notifier";
        spec.argv = (char *[]) { "python3", "-c",
                "import os, socket, time\n"
                "time.sleep(1)\n"
                "a = os.environ['NOTIFY_SOCKET'].replace('@', '\\0', 1)\n"
                "socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b'STATUS=serving\\nREADY=1', a)\n"
                "time.sleep(3600)\n",
                NULL };
        spec.ready = CHILD_READY_NOTIFY;
        (void) start(s, &spec);

        child_spec_init(&spec);
        spec.id = "hog";
        spec.argv = (char *[]) { "python3", "-c", "import time\ntime.sleep(3)\nx = []\nwhile True: x.append(b'x' * (1 << 20))\n", NULL };
        spec.restart = CHILD_RESTART_TEMPORARY;
        spec.limits.memory_max = 32ULL << 20;
        (void) start(s, &spec);

        uint64_t deadline = duration ? now_usec() + duration * USEC_PER_SEC : USEC_INFINITY;
        while (!stop && now_usec() < deadline) {
                r = loop_run_once(l, 200 * USEC_PER_MSEC);
                if (r < 0) {
                        fprintf(stderr, "loop: %s\n", strerror(-r));
                        break;
                }
        }

        if (!stop)
                printf("\n%u seconds passed: stopping every child\n", duration);
        r = supervisor_shutdown(s, on_shutdown, l);
        if (r >= 0)
                r = loop_run(l);
        loop_source_free(sigint);
        loop_source_free(sigterm);
        return r < 0 ? 1 : 0;
}
