/* SPDX-License-Identifier: MIT */

/* The hub with the kernel's exit tracer (hub/hub-kernel.c) on real
 * processes: a worker of a child that dies is reported under the child's
 * id with its own pid and why; the main process's own exit does not count
 * as a descendant's; without BPF (PROCESSHUB_NO_BPF) the hub runs on pidfds
 * alone and says so. Where BPF cannot load at all the BPF cases exit 77
 * with the reason. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "processhub.h"
#include "time-util.h"

#ifndef TEST_CHILD_PATH
#error "TEST_CHILD_PATH must name the test-child program"
#endif

#define EVENTS_MAX 64

typedef struct seen_exit {
        char child_id[64];
        pid_t pid;
        char reason[160];
} seen_exit;

typedef struct kernel_fixture {
        ph_hub *hub;
        char id[64];
        pthread_mutex_t lock;
        seen_exit events[EVENTS_MAX];
        unsigned n_events;
} kernel_fixture;

static int on_descendant_exit(ph_hub *hub, const ph_hook_event *e, void *userdata) {
        kernel_fixture *f = userdata;

        pthread_mutex_lock(&f->lock);
        if (f->n_events < EVENTS_MAX) {
                seen_exit *s = &f->events[f->n_events++];
                snprintf(s->child_id, sizeof(s->child_id), "%s", e->child_id ?: "");
                s->pid = e->n_instances > 0 ? e->instances[0].pid : 0;
                snprintf(s->reason, sizeof(s->reason), "%s", e->reason ?: "");
        }
        pthread_mutex_unlock(&f->lock);
        return 0;
}

static void start_hub(kernel_fixture *f, const char *suffix) {
        ph_hub_config c;
        char *error = NULL;

        snprintf(f->id, sizeof(f->id), "test-kernel-%s-%d", suffix, (int) getpid());
        ph_hub_config_init(&c);
        c.hub_id = f->id;
        c.node_name = "node-k";
        int r = ph_hub_start(&c, &f->hub, &error);
        if (r < 0)
                fail_msg("ph_hub_start: %s (%s)", strerror(-r), error ?: "");
}

static char *bpf_state(ph_hub *hub) {
        ph_hub_status *s = NULL;

        assert_int_equal(ph_hub_get_status(hub, &s), 0);
        assert_non_null(s->kernel_bpf);
        char *copy = strdup(s->kernel_bpf);
        ph_hub_status_free(s);
        return copy;
}

static int setup_traced(void **state) {
        kernel_fixture *f = calloc(1, sizeof(*f));

        assert_non_null(f);
        pthread_mutex_init(&f->lock, NULL);
        unsetenv("PROCESSHUB_NO_BPF");
        start_hub(f, "bpf");
        char *s = bpf_state(f->hub);
        if (strcmp(s, "active") != 0) {
                ph_hub_free(f->hub);
                test_skip("the exit tracer cannot run here: %s", s);
        }
        free(s);
        ph_hook_handler h = { .id = "test", .fn = on_descendant_exit, .userdata = f };
        assert_int_equal(ph_register_hook_handlers(f->hub, PH_HOOK_DESCENDANT_EXIT, &h, 1), 0);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        kernel_fixture *f = *state;

        ph_hub_free(f->hub);
        pthread_mutex_destroy(&f->lock);
        free(f);
        return 0;
}

static const seen_exit *find_exit(kernel_fixture *f, pid_t pid, seen_exit *copy) {
        bool found = false;

        pthread_mutex_lock(&f->lock);
        for (unsigned i = 0; i < f->n_events; i++)
                if (f->events[i].pid == pid) {
                        *copy = f->events[i];
                        found = true;
                }
        pthread_mutex_unlock(&f->lock);
        return found ? copy : NULL;
}

static pid_t start_child(ph_hub *hub, const char *id, const char *const *argv) {
        ph_child_spec spec;
        ph_start_opts o;
        ph_future *fut = NULL;
        ph_result *res = NULL;

        ph_child_spec_init(&spec);
        spec.id = id;
        spec.argv = argv;
        spec.restart = PH_RESTART_TEMPORARY;
        ph_start_opts_init(&o);
        o.awaitable = true;
        assert_int_equal(ph_start_child(hub, &spec, &o, &fut, NULL), 0);
        assert_int_equal(ph_future_await(fut, &res), 0);
        assert_int_equal(ph_result_status(res), PH_STATUS_OK);
        pid_t pid = ph_result_first_pid(res);
        ph_result_free(res);
        ph_future_free(fut);
        return pid;
}

/* A worker the main process forked: `sh -c 'sh -c "kill -SEGV \$\$"; sleep'`
 * leaves the inner shell dead by SIGSEGV and the outer one running. */
static void test_worker_death_is_reported(void **state) {
        kernel_fixture *f = *state;
        static const char *const argv[] = {
                "/bin/sh", "-c", "/bin/sh -c 'echo $$ > \"$0\"; kill -SEGV $$' \"$0\"; exec sleep 30", NULL, NULL,
        };
        char pidfile[] = "/tmp/test-hub-kernel-XXXXXX";
        int fd = mkstemp(pidfile);
        assert_true(fd >= 0);
        close(fd);
        const char *a[5] = { argv[0], argv[1], argv[2], pidfile, NULL };

        pid_t main_pid = start_child(f->hub, "worker-parent", a);
        assert_true(main_pid > 0);

        pid_t worker = 0;
        uint64_t deadline = now_usec() + 5 * USEC_PER_SEC;
        seen_exit e;
        while (now_usec() < deadline) {
                FILE *fp = fopen(pidfile, "re");
                if (fp) {
                        if (fscanf(fp, "%d", &worker) != 1)
                                worker = 0;
                        fclose(fp);
                }
                if (worker > 0 && find_exit(f, worker, &e))
                        break;
                usleep(10000);
        }
        unlink(pidfile);
        assert_true(worker > 0);
        assert_non_null(find_exit(f, worker, &e));
        assert_string_equal(e.child_id, "worker-parent");
        assert_non_null(strstr(e.reason, "SIGSEGV"));
        assert_non_null(strstr(e.reason, "sh (pid"));

        /* The main process still runs; its own end is not a descendant's. */
        pid_t pid = 0;
        assert_int_equal(ph_get_pid(f->hub, "worker-parent", &pid), 0);
        assert_int_equal(pid, main_pid);
        assert_int_equal(kill(main_pid, SIGKILL), 0);
        deadline = now_usec() + 5 * USEC_PER_SEC;
        while (ph_get_pid(f->hub, "worker-parent", &pid) == 0 && now_usec() < deadline)
                usleep(10000);
        /* sleep was exec'd by the main process: the same pid. */
        usleep(100000);
        assert_null(find_exit(f, main_pid, &e));
}

/* Processes outside the hub do not reach its hooks. */
static void test_outside_is_silent(void **state) {
        kernel_fixture *f = *state;
        pid_t p = fork();

        assert_true(p >= 0);
        if (p == 0)
                _exit(3);
        assert_int_equal(waitpid(p, NULL, 0), p);
        usleep(200000);
        seen_exit e;
        assert_null(find_exit(f, p, &e));
}

static int setup_untraced(void **state) {
        kernel_fixture *f = calloc(1, sizeof(*f));

        assert_non_null(f);
        pthread_mutex_init(&f->lock, NULL);
        setenv("PROCESSHUB_NO_BPF", "1", 1);
        start_hub(f, "nobpf");
        unsetenv("PROCESSHUB_NO_BPF");
        *state = f;
        return 0;
}

/* No BPF: the hub supervises as before and status says why. */
static void test_without_bpf(void **state) {
        kernel_fixture *f = *state;
        static const char *const argv[] = { TEST_CHILD_PATH, "sleep", NULL };

        char *s = bpf_state(f->hub);
        assert_string_equal(s, "inactive: disabled by PROCESSHUB_NO_BPF");
        free(s);

        pid_t pid = start_child(f->hub, "plain", argv);
        assert_true(pid > 0 && pid_alive(pid));
        assert_int_equal(ph_stop_child(f->hub, "plain", NULL, NULL), 0);
        uint64_t deadline = now_usec() + 5 * USEC_PER_SEC;
        while (pid_alive(pid) && now_usec() < deadline)
                usleep(10000);
        assert_false(pid_alive(pid));
}

int main(void) {
        test_require_root();
        test_require_cgroup2();
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_without_bpf, setup_untraced, teardown),
                cmocka_unit_test_setup_teardown(test_worker_death_is_reported, setup_traced, teardown),
                cmocka_unit_test_setup_teardown(test_outside_is_silent, setup_traced, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
