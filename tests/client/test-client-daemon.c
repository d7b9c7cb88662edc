/* SPDX-License-Identifier: MIT */

/* The client library against a real processhubd: a handle from
 * ph_hub_connect() gives the answers an embedded hub would, on real
 * processes in the daemon's hub cgroup. One daemon for the whole group,
 * stopped by its pid at the end (also when a test failed). Needs root. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon-fixture.h"
#include "helpers.h"
#include "macros.h"
#include "processhub.h"

static const char *const sleep_argv[] = { "/bin/sleep", "1000", NULL };

static test_daemon daemon_;

static int group_setup(void **state) {
        char hub[64];
        int r;

        snprintf(hub, sizeof(hub), "client-%d", (int) getpid());
        r = test_daemon_start(&daemon_, hub);
        if (r < 0)
                fail_msg("processhubd did not come up: %s", strerror(-r));
        return 0;
}

static int group_teardown(void **state) {
        test_daemon_stop(&daemon_);
        return 0;
}

static ph_hub *connect_or_fail(void) {
        ph_hub *hub = NULL;
        char *text = NULL;
        int r = ph_hub_connect(daemon_.socket_path, daemon_.hub, &hub, &text);

        if (r < 0)
                fail_msg("ph_hub_connect: %s (%s)", strerror(-r), text ?: "");
        assert_true(ph_hub_is_remote(hub));
        return hub;
}

static void spec_sleep(ph_child_spec *spec, const char *id) {
        ph_child_spec_init(spec);
        spec->id = id;
        spec->argv = sleep_argv;
}

static ph_result *start_await(ph_hub *hub, const ph_child_spec *specs, size_t n, const ph_start_opts *o) {
        ph_start_opts opts;
        ph_future *f = NULL;
        ph_result *result = NULL;
        char *text = NULL;
        int r;

        if (o)
                opts = *o;
        else
                ph_start_opts_init(&opts);
        opts.awaitable = true;
        r = ph_start_children(hub, specs, n, &opts, &f, &text);
        if (r < 0)
                fail_msg("start: %s (%s)", strerror(-r), text ?: "");
        assert_non_null(f);
        assert_int_equal(ph_future_await(f, &result), 0);
        ph_future_free(f);
        return result;
}

static void stop_await(ph_hub *hub, const char *const *ids, size_t n) {
        ph_stop_opts opts;
        ph_future *f = NULL;
        ph_result *result = NULL;

        ph_stop_opts_init(&opts);
        opts.awaitable = true;
        assert_int_equal(ph_stop_children(hub, ids, n, &opts, &f), 0);
        assert_int_equal(ph_future_await(f, &result), 0);
        assert_int_equal(ph_result_kind_of(result), PH_RESULT_STOP);
        assert_int_equal(ph_result_status(result), PH_STATUS_OK);
        assert_int_equal(ph_result_n_children(result), n);
        ph_result_free(result);
        ph_future_free(f);
}

static void test_connect_errors(void **state) {
        ph_hub *hub = NULL;
        char *text = NULL;
        char path[100];

        /* No socket at all. */
        snprintf(path, sizeof(path), "%s/nothing.sock", daemon_.dir);
        assert_int_equal(ph_hub_connect(path, NULL, &hub, &text), -ENOENT);
        assert_non_null(strstr(text, "cannot reach processhubd at"));
        assert_non_null(strstr(text, "is it running?"));
        assert_null(hub);
        text = mfree(text);

        /* A socket file nobody listens on (a daemon that died). */
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        snprintf(path, sizeof(path), "%s/stale.sock", daemon_.dir);
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        assert_int_equal(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        close(fd);
        assert_int_equal(ph_hub_connect(path, NULL, &hub, &text), -ECONNREFUSED);
        assert_non_null(strstr(text, "is it running?"));
        text = mfree(text);

        /* A hub the daemon does not run: the text names the ones it does. */
        assert_int_equal(ph_hub_connect(daemon_.socket_path, "no-such-hub", &hub, &text), -ENOENT);
        assert_non_null(strstr(text, "no hub named no-such-hub"));
        assert_non_null(strstr(text, daemon_.hub));
        text = mfree(text);

        /* hub_id NULL: the only hub. */
        assert_int_equal(ph_hub_connect(daemon_.socket_path, NULL, &hub, NULL), 0);
        assert_string_equal(ph_hub_id(hub), daemon_.hub);
        assert_true(ph_is_alive(hub));
        assert_false(ph_is_locked(hub));
        assert_false(ph_is_partitioned(hub));
        /* The daemon owns its hub. */
        assert_int_equal(ph_hub_stop(hub), -EOPNOTSUPP);
        hub = ph_hub_free(hub);

        assert_int_equal(ph_hub_connect(daemon_.socket_path, NULL, NULL, NULL), -EINVAL);
}

static void test_start_query_stop(void **state) {
        ph_hub *hub = connect_or_fail();
        ph_child_spec specs[2];
        ph_kv kv[] = { { "owner", "tests" } };
        ph_metadata md = { .tag = "client-tag", .values = kv, .n_values = 1 };
        ph_start_opts opts;
        pid_t pids[2];

        spec_sleep(&specs[0], "q-a");
        spec_sleep(&specs[1], "q-b");
        ph_start_opts_init(&opts);
        opts.metadata = &md;
        ph_result *result = start_await(hub, specs, 2, &opts);
        assert_int_equal(ph_result_kind_of(result), PH_RESULT_START);
        assert_int_equal(ph_result_status(result), PH_STATUS_OK);
        assert_int_equal(ph_result_n_children(result), 2);
        assert_false(ph_result_rollback(result));
        assert_int_equal(ph_result_pids(result, pids, 2), 2);
        assert_true(ph_result_first_pid(result) > 0);

        /* Real processes, in the daemon's hub cgroup. */
        for (size_t i = 0; i < 2; i++) {
                assert_true(pid_alive(pids[i]));
                assert_true(test_pid_in_hub_cgroup(pids[i], daemon_.hub));
        }

        for (size_t i = 0; i < 2; i++) {
                const ph_result_child *c = ph_result_child_at(result, i);
                ph_child_info *info = NULL;
                ph_instance *instances = NULL;
                size_t n = 0;
                pid_t pid = 0;

                assert_int_equal(ph_get_pid(hub, c->id, &pid), 0);
                assert_int_equal(pid, c->instances[0].pid);
                assert_int_equal(ph_get_pids(hub, c->id, &instances, &n), 0);
                assert_int_equal(n, 1);
                assert_int_equal(instances[0].pid, pid);
                assert_string_equal(instances[0].node, c->instances[0].node);
                ph_instances_free(instances, n);
                assert_int_equal(ph_child_lookup(hub, c->id, &info), 0);
                assert_string_equal(info->spec.id, c->id);
                assert_string_equal(info->spec.argv[0], "/bin/sleep");
                assert_int_equal(info->instances[0].pid, pid);
                assert_string_equal(info->tag, "client-tag");
                assert_int_equal(info->n_metadata, 1);
                assert_string_equal(info->metadata[0].value, "tests");
                ph_child_info_free(info);
        }

        ph_child_list *list = NULL;
        assert_int_equal(ph_process_list(hub, PH_SCOPE_GLOBAL, &list), 0);
        size_t found = 0;
        for (size_t i = 0; i < ph_child_list_n(list); i++)
                if (strncmp(ph_child_list_at(list, i)->id, "q-", 2) == 0)
                        found++;
        assert_int_equal(found, 2);
        ph_child_list_free(list);
        assert_int_equal(ph_process_list(hub, PH_SCOPE_LOCAL, &list), 0);
        assert_true(ph_child_list_n(list) >= 2);
        ph_child_list_free(list);
        assert_int_equal(ph_tag_query(hub, "client-tag", &list), 0);
        assert_int_equal(ph_child_list_n(list), 2);
        ph_child_list_free(list);
        assert_int_equal(ph_tag_query(hub, "no-such-tag", &list), 0);
        assert_int_equal(ph_child_list_n(list), 0);
        ph_child_list_free(list);

        ph_child_info **infos = NULL;
        size_t n = 0;
        assert_int_equal(ph_registry_dump(hub, &infos, &n), 0);
        assert_true(n >= 2);
        ph_child_infos_free(infos, n);

        ph_child_state *states = NULL;
        assert_int_equal(ph_which_children(hub, &states, &n), 0);
        found = 0;
        for (size_t i = 0; i < n; i++)
                if (strncmp(states[i].id, "q-", 2) == 0) {
                        assert_string_equal(states[i].state, "running");
                        assert_true(states[i].pid == pids[0] || states[i].pid == pids[1]);
                        found++;
                }
        assert_int_equal(found, 2);
        ph_child_states_free(states, n);

        char **nodes = NULL;
        assert_int_equal(ph_nodes(hub, true, &nodes), 0);
        assert_non_null(nodes[0]);
        assert_string_equal(nodes[0], ph_result_child_at(result, 0)->instances[0].node);
        /* Renaming the node to its own name changes nothing. */
        assert_int_equal(ph_promote_to_node(hub, nodes[0]), 0);
        ph_strv_free(nodes);

        ph_hub_status *status = NULL;
        assert_int_equal(ph_hub_get_status(hub, &status), 0);
        assert_string_equal(status->hub_id, daemon_.hub);
        assert_true(status->alive);
        assert_true(status->n_children >= 2);
        ph_hub_status_free(status);

        /* The embedded errors come back the same way. */
        char *text = NULL;
        assert_int_equal(ph_start_child(hub, &specs[0], NULL, NULL, &text), -EEXIST);
        assert_non_null(strstr(text, "already started: q-a"));
        text = mfree(text);
        ph_child_spec bad;
        ph_child_spec_init(&bad);
        bad.id = "q-bad";
        assert_int_equal(ph_start_child(hub, &bad, NULL, NULL, &text), -EINVAL);
        assert_non_null(strstr(text, "child q-bad: argv"));
        text = mfree(text);
        ph_child_info *info = NULL;
        pid_t pid;
        assert_int_equal(ph_child_lookup(hub, "q-none", &info), -ENOENT);
        assert_int_equal(ph_get_pid(hub, "q-none", &pid), -ENOENT);

        const char *ids[] = { "q-a", "q-b" };
        stop_await(hub, ids, 2);
        for (size_t i = 0; i < 2; i++) {
                /* Stopped means gone: bounded wait for the zombie reaping. */
                for (unsigned k = 0; k < 200 && pid_alive(pids[i]); k++)
                        usleep(10000);
                assert_false(pid_alive(pids[i]));
        }
        assert_int_equal(ph_get_pid(hub, "q-a", &pid), -ENOENT);
        text = NULL;
        assert_int_equal(ph_child_last_exit(hub, "q-a", &text), 0);
        assert_non_null(text);
        free(text);
        ph_result_free(result);
        ph_hub_free(hub);
}

static void test_start_error_result(void **state) {
        ph_hub *hub = connect_or_fail();
        static const char *const missing[] = { "/nonexistent/program", NULL };
        ph_child_spec specs[2];
        ph_start_opts opts;

        spec_sleep(&specs[0], "e-good");
        spec_sleep(&specs[1], "e-bad");
        specs[1].argv = missing;
        ph_start_opts_init(&opts);
        opts.on_failure = PH_ON_FAILURE_ROLLBACK;
        ph_result *result = start_await(hub, specs, 2, &opts);
        assert_int_equal(ph_result_status(result), PH_STATUS_ERROR);
        assert_int_equal(ph_result_n_errors(result), 1);
        assert_string_equal(ph_result_error_at(result, 0)->id, "e-bad");
        assert_true(ph_result_rollback(result));
        pid_t pid;
        assert_int_equal(ph_get_pid(hub, "e-good", &pid), -ENOENT);
        ph_result_free(result);
        ph_hub_free(hub);
}

static void test_future_already_and_timeout(void **state) {
        ph_hub *hub = connect_or_fail();
        ph_child_spec spec;
        ph_start_opts opts;
        ph_future *f = NULL;
        ph_result *result = NULL, *again = (ph_result *) 0x1;

        spec_sleep(&spec, "f-once");
        ph_start_opts_init(&opts);
        opts.awaitable = true;
        assert_int_equal(ph_start_child(hub, &spec, &opts, &f, NULL), 0);
        assert_int_equal(ph_future_await(f, &result), 0);
        assert_int_equal(ph_future_await(f, &again), -EALREADY);
        assert_ptr_equal(again, (ph_result *) 0x1);
        ph_future_free(f);
        ph_result_free(result);

        /* A notify child that never says READY=1: the start outlives the
         * await timeout. */
        spec_sleep(&spec, "f-slow");
        spec.ready = PH_READY_NOTIFY;
        spec.ready_timeout_ms = 3000;
        opts.timeout_ms = 5000;
        opts.await_timeout_ms = 300;
        uint64_t t0 = (uint64_t) time(NULL);
        assert_int_equal(ph_start_child(hub, &spec, &opts, &f, NULL), 0);
        assert_int_equal(ph_future_await(f, &result), -ETIMEDOUT);
        assert_int_equal(ph_future_await(f, &result), -ETIMEDOUT);
        assert_true((uint64_t) time(NULL) - t0 <= 2);
        ph_future_free(f);

        const char *ids[] = { "f-once" };
        stop_await(hub, ids, 1);
        /* f-slow fails its readiness on its own; stop it if it is there. */
        (void) ph_stop_child(hub, "f-slow", NULL, NULL);
        ph_hub_free(hub);
}

typedef struct hook_seen {
        pthread_mutex_t lock;
        pid_t pid;
        char child[64];
        int calls;
        int order[4];
        int n_order;
} hook_seen;

static int on_insert(ph_hub *hub, const ph_hook_event *event, void *userdata) {
        hook_seen *s = userdata;

        pthread_mutex_lock(&s->lock);
        if (event->child_id && strcmp(event->child_id, "h-one") == 0 && event->n_instances > 0) {
                s->pid = event->instances[0].pid;
                snprintf(s->child, sizeof(s->child), "%s", event->child_id);
                s->calls++;
                if (s->n_order < 4)
                        s->order[s->n_order++] = 2;
        }
        pthread_mutex_unlock(&s->lock);
        return 0;
}

static int on_insert_first(ph_hub *hub, const ph_hook_event *event, void *userdata) {
        hook_seen *s = userdata;

        pthread_mutex_lock(&s->lock);
        if (event->child_id && strcmp(event->child_id, "h-one") == 0 && s->n_order < 4)
                s->order[s->n_order++] = 1;
        pthread_mutex_unlock(&s->lock);
        return 0;
}

static void test_hooks_subscription(void **state) {
        ph_hub *hub = connect_or_fail();
        hook_seen seen = { .lock = PTHREAD_MUTEX_INITIALIZER };
        ph_hook_handler handlers[] = {
                { .id = "low", .fn = on_insert, .userdata = &seen, .priority = 0 },
                { .id = "high", .fn = on_insert_first, .userdata = &seen, .priority = 5 },
        };
        ph_child_spec spec;

        assert_int_equal(ph_register_hook_handlers(hub, PH_HOOK_REGISTRY_PID_INSERT, handlers, 2), 0);
        assert_int_equal(ph_register_hook_handlers(hub, PH_HOOK_REGISTRY_PID_INSERT, handlers, 1), -EEXIST);
        spec_sleep(&spec, "h-one");
        ph_result *result = start_await(hub, &spec, 1, NULL);
        pid_t pid = ph_result_first_pid(result);
        ph_result_free(result);

        int calls = 0;
        for (unsigned i = 0; i < 500 && calls == 0; i++) {
                pthread_mutex_lock(&seen.lock);
                calls = seen.calls;
                pthread_mutex_unlock(&seen.lock);
                if (calls == 0)
                        usleep(10000);
        }
        pthread_mutex_lock(&seen.lock);
        assert_int_equal(seen.calls, 1);
        assert_int_equal(seen.pid, pid);
        assert_string_equal(seen.child, "h-one");
        assert_int_equal(seen.n_order, 2);
        assert_int_equal(seen.order[0], 1); /* higher priority first */
        assert_int_equal(seen.order[1], 2);
        pthread_mutex_unlock(&seen.lock);

        const char *ids[] = { "low", "high" };
        assert_int_equal(ph_cancel_hook_handlers(hub, PH_HOOK_REGISTRY_PID_INSERT, ids, 2), 0);
        assert_int_equal(ph_cancel_hook_handlers(hub, PH_HOOK_REGISTRY_PID_INSERT, ids, 1), -ENOENT);
        assert_int_equal(ph_cancel_hook_handlers(hub, PH_HOOK_REGISTRY_PID_REMOVE, ids, 1), -ENOENT);

        const char *stop_ids[] = { "h-one" };
        stop_await(hub, stop_ids, 1);
        /* Freed with the watch thread running: it ends with the handle. */
        ph_hub_free(hub);
}

static void test_hook_commands(void **state) {
        ph_hub *hub = connect_or_fail();
        static const char *const argv[] = { "/bin/true", NULL };
        const char *ids[] = { "client-cmd" };

        assert_int_equal(ph_hook_command_add(hub, PH_HOOK_REGISTRY_PID_INSERT, "client-cmd", argv, 0), 0);
        assert_int_equal(ph_hook_command_add(hub, PH_HOOK_REGISTRY_PID_INSERT, "client-cmd", argv, 0), -EEXIST);
        assert_int_equal(ph_hook_command_remove(hub, PH_HOOK_REGISTRY_PID_INSERT, ids, 1), 1);
        ph_hub_free(hub);
}

typedef struct thread_args {
        ph_hub *hub;
        atomic_int failures;
} thread_args;

static void *query_thread(void *userdata) {
        thread_args *a = userdata;

        for (unsigned i = 0; i < 50; i++) {
                ph_child_list *list = NULL;
                ph_child_info *info = NULL;
                pid_t pid = 0;

                if (ph_get_pid(a->hub, "t-shared", &pid) < 0 || pid <= 0)
                        atomic_fetch_add(&a->failures, 1);
                if (ph_child_lookup(a->hub, "t-shared", &info) < 0 || info->instances[0].pid != pid)
                        atomic_fetch_add(&a->failures, 1);
                ph_child_info_free(info);
                if (ph_process_list(a->hub, PH_SCOPE_GLOBAL, &list) < 0 || ph_child_list_n(list) < 1)
                        atomic_fetch_add(&a->failures, 1);
                ph_child_list_free(list);
        }
        return NULL;
}

static void test_many_threads_one_handle(void **state) {
        ph_hub *hub = connect_or_fail();
        thread_args a = { .hub = hub };
        pthread_t threads[8];
        ph_child_spec spec;

        spec_sleep(&spec, "t-shared");
        ph_result_free(start_await(hub, &spec, 1, NULL));
        for (size_t i = 0; i < ELEMENTSOF(threads); i++)
                assert_int_equal(pthread_create(&threads[i], NULL, query_thread, &a), 0);
        for (size_t i = 0; i < ELEMENTSOF(threads); i++)
                pthread_join(threads[i], NULL);
        assert_int_equal(atomic_load(&a.failures), 0);
        const char *ids[] = { "t-shared" };
        stop_await(hub, ids, 1);
        ph_hub_free(hub);
}

/* The new functions on an embedded hub, started in a setup and freed in
 * the teardown: a failed assertion must not leave its cgroup behind. */
static int embedded_setup(void **state) {
        static char id[64];
        ph_hub_config c;
        ph_hub *hub = NULL;

        snprintf(id, sizeof(id), "client-embedded-%d", (int) getpid());
        ph_hub_config_init(&c);
        c.hub_id = id;
        c.node_name = "node-e";
        assert_int_equal(ph_hub_start(&c, &hub, NULL), 0);
        *state = hub;
        return 0;
}

static int embedded_teardown(void **state) {
        ph_hub_free(*state);
        return 0;
}

static void test_embedded_counterparts(void **state) {
        ph_hub *hub = *state;
        ph_hub_status *status = NULL;
        static const char *const argv[] = { "/bin/true", NULL };
        const char *ids[] = { "x" };

        assert_false(ph_hub_is_remote(hub));
        assert_int_equal(ph_hub_get_status(hub, &status), 0);
        assert_string_equal(status->hub_id, ph_hub_id(hub));
        assert_string_equal(status->node, "node-e");
        assert_string_equal(status->nodes[0], "node-e");
        assert_true(status->alive);
        assert_int_equal(status->n_children, 0);
        assert_int_equal(status->n_failed, 0);
        assert_non_null(status->kernel_bpf); /* the hub's exit tracer: "active" or "inactive: <why>" */
        assert_non_null(status->kernel_netlink);
        ph_hub_status_free(status);

        /* A child that spends its restart intensity counts as failed until
         * it is stopped. */
        static const char *const false_argv[] = { "/bin/false", NULL };
        ph_child_spec spec;
        ph_child_spec_init(&spec);
        spec.id = "flops";
        spec.argv = false_argv;
        spec.restart_burst = 1;
        spec.restart_delay_ms = 10;
        assert_int_equal(ph_start_child(hub, &spec, NULL, NULL, NULL), 0);
        size_t n_failed = 0;
        for (unsigned i = 0; i < 500 && n_failed == 0; i++) {
                assert_int_equal(ph_hub_get_status(hub, &status), 0);
                n_failed = status->n_failed;
                ph_hub_status_free(status);
                if (n_failed == 0)
                        usleep(10 * 1000);
        }
        assert_int_equal(n_failed, 1);
        ph_stop_opts sto;
        ph_future *fut = NULL;
        ph_result *res = NULL;
        ph_stop_opts_init(&sto);
        sto.awaitable = true;
        assert_int_equal(ph_stop_child(hub, "flops", &sto, &fut), 0);
        assert_int_equal(ph_future_await(fut, &res), 0);
        ph_result_free(res);
        ph_future_free(fut);
        assert_int_equal(ph_hub_get_status(hub, &status), 0);
        assert_int_equal(status->n_failed, 0);
        ph_hub_status_free(status);
        assert_int_equal(ph_hook_command_add(hub, PH_HOOK_REGISTRY_PID_INSERT, "x", argv, 0), -EOPNOTSUPP);
        assert_int_equal(ph_hook_command_remove(hub, PH_HOOK_REGISTRY_PID_INSERT, ids, 1), -EOPNOTSUPP);
}

static int on_any(ph_hub *hub, const ph_hook_event *event, void *userdata) {
        return 0;
}

/* Last: the daemon goes away under a handle with a watch thread and an
 * awaitable stop outstanding. Nothing hangs; calls fail with a connection
 * error; freeing the handle ends its thread. */
static void test_daemon_goes_away(void **state) {
        ph_hub *hub = connect_or_fail();
        ph_hook_handler h = { .id = "any", .fn = on_any };
        ph_child_spec spec;
        ph_stop_opts opts;
        ph_future *f = NULL;
        ph_result *result = NULL;
        pid_t pid;

        assert_int_equal(ph_register_hook_handlers(hub, PH_HOOK_REGISTRY_PID_REMOVE, &h, 1), 0);
        spec_sleep(&spec, "g-last");
        ph_result_free(start_await(hub, &spec, 1, NULL));
        ph_stop_opts_init(&opts);
        opts.awaitable = true;
        assert_int_equal(ph_stop_child(hub, "g-last", &opts, &f), 0);
        test_daemon_stop(&daemon_);

        /* The stop ran (the daemon's shutdown stops everything anyway);
         * its reply may or may not have been sent before the daemon went. */
        int r = ph_future_await(f, &result);
        if (!(r == 0 || r == -ECONNRESET || r == -ESHUTDOWN))
                fail_msg("await after the daemon went: %s", strerror(-r));
        ph_result_free(result);
        ph_future_free(f);
        r = ph_get_pid(hub, "g-last", &pid);
        assert_true(r == -ECONNRESET || r == -ENOENT || r == -ECONNREFUSED);
        assert_false(ph_is_alive(hub));
        ph_hub_free(hub);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_connect_errors),
                cmocka_unit_test(test_start_query_stop),
                cmocka_unit_test(test_start_error_result),
                cmocka_unit_test(test_future_already_and_timeout),
                cmocka_unit_test(test_hooks_subscription),
                cmocka_unit_test(test_hook_commands),
                cmocka_unit_test(test_many_threads_one_handle),
                cmocka_unit_test_setup_teardown(test_embedded_counterparts, embedded_setup, embedded_teardown),
                cmocka_unit_test(test_daemon_goes_away),
        };

        test_require_root();
        test_require_cgroup2();
        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
