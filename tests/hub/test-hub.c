/* SPDX-License-Identifier: MIT */

/* The hub API (include/processhub.h) on real processes: the reference's
 * single-node behaviours. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "hub-internal.h"
#include "processhub.h"
#include "time-util.h"

#ifndef TEST_CHILD_PATH
#error "TEST_CHILD_PATH must name the test-child program"
#endif

static const char *const sleep_argv[] = { TEST_CHILD_PATH, "sleep", NULL };
static const char *const ignore_term_argv[] = { TEST_CHILD_PATH, "ignore-term", NULL };

typedef struct hub_fixture {
        ph_hub *hub;
        char id[64];
} hub_fixture;

static unsigned hub_counter;

static void spec_sleep(ph_child_spec *spec, const char *id) {
        ph_child_spec_init(spec);
        spec->id = id;
        spec->argv = sleep_argv;
        spec->restart_delay_ms = spec->restart_delay_max_ms = 5;
}

static int hub_setup(void **state) {
        hub_fixture *f = calloc(1, sizeof(*f));
        ph_hub_config c;
        char *error = NULL;

        assert_non_null(f);
        snprintf(f->id, sizeof(f->id), "test-hub-%d-%u", (int) getpid(), hub_counter++);
        ph_hub_config_init(&c);
        c.hub_id = f->id;
        c.node_name = "node-a";
        int r = ph_hub_start(&c, &f->hub, &error);
        if (r < 0)
                fail_msg("ph_hub_start: %s (%s)", strerror(-r), error ?: "");
        *state = f;
        return 0;
}

static int hub_teardown(void **state) {
        hub_fixture *f = *state;

        ph_hub_free(f->hub);
        free(f);
        return 0;
}

static bool wait_for(bool (*cond)(void *), void *userdata, unsigned timeout_ms) {
        uint64_t deadline = now_usec() + (uint64_t) timeout_ms * USEC_PER_MSEC;

        while (!cond(userdata)) {
                if (now_usec() > deadline)
                        return false;
                usleep(5000);
        }
        return true;
}

static ph_result *await_ok(ph_future *f) {
        ph_result *r = NULL;

        assert_non_null(f);
        assert_int_equal(ph_future_await(f, &r), 0);
        ph_future_free(f);
        return r;
}

static void test_start_await_lookup_stop_one(void **state) {
        hub_fixture *f = *state;
        ph_child_spec spec;
        ph_start_opts so;
        ph_stop_opts sto;
        ph_future *fut = NULL;
        ph_child_info *info = NULL;
        pid_t pid = 0;

        spec_sleep(&spec, "web");
        ph_start_opts_init(&so);
        so.awaitable = true;
        assert_int_equal(ph_start_child(f->hub, &spec, &so, &fut, NULL), 0);
        ph_result *r = await_ok(fut);
        assert_int_equal(ph_result_kind_of(r), PH_RESULT_START);
        assert_int_equal(ph_result_status(r), PH_STATUS_OK);
        assert_int_equal(ph_result_n_children(r), 1);
        const ph_result_child *c = ph_result_child_at(r, 0);
        assert_string_equal(c->id, "web");
        assert_int_equal(c->n_instances, 1);
        assert_string_equal(c->instances[0].node, "node-a");
        pid = ph_result_first_pid(r);
        assert_true(pid > 0);
        assert_true(pid_alive(pid));
        assert_false(ph_result_rollback(r));
        ph_result_free(r);

        assert_int_equal(ph_child_lookup(f->hub, "web", &info), 0);
        assert_string_equal(info->spec.id, "web");
        assert_string_equal(info->spec.argv[1], "sleep");
        assert_int_equal(info->n_instances, 1);
        assert_int_equal(info->instances[0].pid, pid);
        ph_child_info_free(info);
        pid_t got = 0;
        assert_int_equal(ph_get_pid(f->hub, "web", &got), 0);
        assert_int_equal(got, pid);

        ph_stop_opts_init(&sto);
        sto.awaitable = true;
        fut = NULL;
        assert_int_equal(ph_stop_child(f->hub, "web", &sto, &fut), 0);
        r = await_ok(fut);
        assert_int_equal(ph_result_kind_of(r), PH_RESULT_STOP);
        assert_int_equal(ph_result_status(r), PH_STATUS_OK);
        assert_int_equal(ph_result_n_children(r), 1);
        assert_string_equal(ph_result_child_at(r, 0)->id, "web");
        assert_string_equal(ph_result_child_at(r, 0)->instances[0].node, "node-a");
        ph_result_free(r);

        /* Unregistered by the time the result is out. */
        assert_int_equal(ph_child_lookup(f->hub, "web", &info), -ENOENT);
        assert_int_equal(ph_get_pid(f->hub, "web", &got), -ENOENT);
        assert_false(pid_alive(pid));
        char *why = NULL;
        assert_int_equal(ph_child_last_exit(f->hub, "web", &why), 0);
        assert_string_equal(why, "stopped");
        free(why);
}

static void test_start_and_stop_many(void **state) {
        hub_fixture *f = *state;
        ph_child_spec specs[20];
        char ids[20][16];
        const char *id_list[20];
        ph_start_opts so;
        ph_stop_opts sto;
        ph_future *fut = NULL;
        ph_child_list *list = NULL;

        for (unsigned i = 0; i < 20; i++) {
                snprintf(ids[i], sizeof(ids[i]), "many-%02u", i);
                spec_sleep(&specs[i], ids[i]);
                id_list[i] = ids[i];
        }
        ph_start_opts_init(&so);
        so.awaitable = true;
        assert_int_equal(ph_start_children(f->hub, specs, 20, &so, &fut, NULL), 0);
        ph_result *r = await_ok(fut);
        assert_int_equal(ph_result_status(r), PH_STATUS_OK);
        assert_int_equal(ph_result_n_children(r), 20);
        pid_t pids[32];
        assert_int_equal(ph_result_pids(r, pids, 32), 20);
        const char *nodes[4];
        assert_int_equal(ph_result_nodes(r, nodes, 4), 1);
        assert_string_equal(nodes[0], "node-a");
        ph_result_free(r);

        assert_int_equal(ph_process_list(f->hub, PH_SCOPE_GLOBAL, &list), 0);
        assert_int_equal(ph_child_list_n(list), 20);
        ph_child_list_free(list);
        assert_int_equal(ph_process_list(f->hub, PH_SCOPE_LOCAL, &list), 0);
        assert_int_equal(ph_child_list_n(list), 20);
        assert_int_equal(ph_child_list_at(list, 0)->n_instances, 1);
        ph_child_list_free(list);

        ph_child_info **dump = NULL;
        size_t n_dump = 0;
        assert_int_equal(ph_registry_dump(f->hub, &dump, &n_dump), 0);
        assert_int_equal(n_dump, 20);
        ph_child_infos_free(dump, n_dump);

        ph_stop_opts_init(&sto);
        sto.awaitable = true;
        fut = NULL;
        assert_int_equal(ph_stop_children(f->hub, id_list, 20, &sto, &fut), 0);
        r = await_ok(fut);
        assert_int_equal(ph_result_status(r), PH_STATUS_OK);
        assert_int_equal(ph_result_n_children(r), 20);
        ph_result_free(r);
        for (unsigned i = 0; i < 20; i++)
                assert_false(pid_alive(pids[i]));
        assert_int_equal(ph_process_list(f->hub, PH_SCOPE_GLOBAL, &list), 0);
        assert_int_equal(ph_child_list_n(list), 0);
        ph_child_list_free(list);
}

/* More children than the start window (256) in one call: started in
 * waves as earlier ones answer, all registered, all stopped. */
static void test_start_thousand_in_one_call(void **state) {
        hub_fixture *f = *state;
        enum { N = 1000 };
        ph_child_spec *specs = calloc(N, sizeof(ph_child_spec));
        char (*ids)[16] = calloc(N, sizeof(*ids));
        const char **id_list = calloc(N, sizeof(char *));
        ph_start_opts so;
        ph_stop_opts sto;
        ph_future *fut = NULL;
        ph_child_list *list = NULL;

        assert_non_null(specs);
        assert_non_null(ids);
        assert_non_null(id_list);
        for (unsigned i = 0; i < N; i++) {
                snprintf(ids[i], sizeof(ids[i]), "k%04u", i);
                spec_sleep(&specs[i], ids[i]);
                specs[i].stdout_output = PH_OUTPUT_NULL;
                id_list[i] = ids[i];
        }
        ph_start_opts_init(&so);
        so.awaitable = true;
        so.timeout_ms = 120000;
        so.await_timeout_ms = 120000;
        assert_int_equal(ph_start_children(f->hub, specs, N, &so, &fut, NULL), 0);
        ph_result *r = await_ok(fut);
        assert_int_equal(ph_result_status(r), PH_STATUS_OK);
        assert_int_equal(ph_result_n_children(r), N);
        ph_result_free(r);
        assert_int_equal(ph_process_list(f->hub, PH_SCOPE_LOCAL, &list), 0);
        assert_int_equal(ph_child_list_n(list), N);
        ph_child_list_free(list);

        ph_stop_opts_init(&sto);
        sto.awaitable = true;
        sto.timeout_ms = 120000;
        sto.await_timeout_ms = 120000;
        fut = NULL;
        assert_int_equal(ph_stop_children(f->hub, id_list, N, &sto, &fut), 0);
        r = await_ok(fut);
        assert_int_equal(ph_result_status(r), PH_STATUS_OK);
        assert_int_equal(ph_result_n_children(r), N);
        ph_result_free(r);
        free(specs);
        free(ids);
        free(id_list);
}

static bool registered(void *userdata) {
        void **a = userdata;
        ph_child_info *info = NULL;

        if (ph_child_lookup(a[0], a[1], &info) < 0)
                return false;
        ph_child_info_free(info);
        return true;
}

static void test_async_start_is_initiated(void **state) {
        hub_fixture *f = *state;
        ph_child_spec spec;
        ph_future *fut = (ph_future *) 0x1;

        spec_sleep(&spec, "async");
        assert_int_equal(ph_start_child(f->hub, &spec, NULL, &fut, NULL), 0);
        assert_null(fut); /* not awaitable: "initiated" */
        void *a[2] = { f->hub, "async" };
        assert_true(wait_for(registered, a, 5000));
        assert_int_equal(ph_stop_child(f->hub, "async", NULL, NULL), 0);
}

static void test_duplicate_id(void **state) {
        hub_fixture *f = *state;
        ph_child_spec spec[2];
        ph_start_opts so;
        ph_future *fut = NULL;
        char *error = NULL;

        spec_sleep(&spec[0], "dup");
        ph_start_opts_init(&so);
        so.awaitable = true;
        assert_int_equal(ph_start_child(f->hub, &spec[0], &so, &fut, NULL), 0);
        ph_result_free(await_ok(fut));

        /* check_existing (the default): refused at once, naming the ids. */
        spec_sleep(&spec[1], "fresh");
        fut = NULL;
        assert_int_equal(ph_start_children(f->hub, spec, 2, &so, &fut, &error), -EEXIST);
        assert_null(fut);
        assert_string_equal(error, "already started: dup");
        free(error);
        error = NULL;
        ph_child_info *info = NULL;
        assert_int_equal(ph_child_lookup(f->hub, "fresh", &info), -ENOENT);

        /* Without it: the batch runs, the duplicate is an error of its own. */
        so.check_existing = false;
        fut = NULL;
        assert_int_equal(ph_start_children(f->hub, spec, 2, &so, &fut, &error), 0);
        ph_result *r = await_ok(fut);
        assert_int_equal(ph_result_status(r), PH_STATUS_ERROR);
        assert_int_equal(ph_result_n_children(r), 1);
        assert_string_equal(ph_result_child_at(r, 0)->id, "fresh");
        assert_int_equal(ph_result_n_errors(r), 1);
        assert_string_equal(ph_result_error_at(r, 0)->id, "dup");
        assert_string_equal(ph_result_error_at(r, 0)->reason, "already_started");
        ph_result_free(r);

        /* The same id twice in one call. */
        spec_sleep(&spec[1], "dup");
        assert_int_equal(ph_start_children(f->hub, spec, 2, &so, &fut, &error), -EINVAL);
        assert_string_equal(error, "child dup: given twice");
        free(error);
}

static void test_rollback_leaves_registry_empty(void **state) {
        hub_fixture *f = *state;
        ph_child_spec spec[3];
        static const char *const missing_interp[] = { "/bin/sh", "-c", "exec /nonexistent/program", NULL };
        ph_start_opts so;
        ph_future *fut = NULL;
        ph_child_list *list = NULL;

        spec_sleep(&spec[0], "rb-a");
        spec_sleep(&spec[1], "rb-b");
        /* Fails at once and for good. */
        ph_child_spec_init(&spec[2]);
        spec[2].id = "rb-bad";
        spec[2].argv = missing_interp;
        spec[2].restart = PH_RESTART_TEMPORARY;
        spec[2].ready = PH_READY_NOTIFY;
        spec[2].ready_timeout_ms = 3000;

        ph_start_opts_init(&so);
        so.awaitable = true;
        so.on_failure = PH_ON_FAILURE_ROLLBACK;
        assert_int_equal(ph_start_children(f->hub, spec, 3, &so, &fut, NULL), 0);
        ph_result *r = await_ok(fut);
        assert_int_equal(ph_result_status(r), PH_STATUS_ERROR);
        assert_true(ph_result_rollback(r));
        assert_int_equal(ph_result_n_children(r), 0);
        assert_int_equal(ph_result_n_errors(r), 1);
        assert_string_equal(ph_result_error_at(r, 0)->id, "rb-bad");
        ph_result_free(r);

        assert_int_equal(ph_process_list(f->hub, PH_SCOPE_GLOBAL, &list), 0);
        assert_int_equal(ph_child_list_n(list), 0);
        ph_child_list_free(list);
        ph_child_state *states = NULL;
        size_t n = 0;
        assert_int_equal(ph_which_children(f->hub, &states, &n), 0);
        assert_int_equal(n, 0);
        ph_child_states_free(states, n);
}

static void test_timeout_zero_is_error(void **state) {
        hub_fixture *f = *state;
        ph_child_spec spec;
        ph_start_opts so;
        ph_stop_opts sto;
        char *error = NULL;

        spec_sleep(&spec, "t0");
        ph_start_opts_init(&so);
        so.timeout_ms = 0;
        assert_int_equal(ph_start_child(f->hub, &spec, &so, NULL, &error), -EINVAL);
        assert_string_equal(error, "timeout must be above 0");
        free(error);
        ph_stop_opts_init(&sto);
        sto.timeout_ms = 0;
        assert_int_equal(ph_stop_child(f->hub, "t0", &sto, NULL), -EINVAL);
}

typedef struct hook_log {
        unsigned n;
        char ids[16][32];
        pid_t pids[16];
} hook_log;

static int log_hook(ph_hub *hub, const ph_hook_event *e, void *userdata) {
        hook_log *l = userdata;

        if (l->n < 16) {
                snprintf(l->ids[l->n], sizeof(l->ids[0]), "%s", e->child_id ?: "");
                l->pids[l->n] = e->n_instances > 0 ? e->instances[0].pid : 0;
        }
        __atomic_add_fetch(&l->n, 1, __ATOMIC_SEQ_CST);
        return 0;
}

static bool hook_count_at_least(void *userdata) {
        void **a = userdata;
        return __atomic_load_n(&((hook_log *) a[0])->n, __ATOMIC_SEQ_CST) >= (unsigned) (uintptr_t) a[1];
}

static void test_restart_fires_pid_update(void **state) {
        hub_fixture *f = *state;
        ph_child_spec spec;
        ph_start_opts so;
        ph_future *fut = NULL;
        hook_log l = {};
        ph_hook_handler h = { .id = "log", .fn = log_hook, .userdata = &l };

        assert_int_equal(ph_register_hook_handlers(f->hub, PH_HOOK_CHILD_PROCESS_PID_UPDATE, &h, 1), 0);
        spec_sleep(&spec, "crashy");
        ph_start_opts_init(&so);
        so.awaitable = true;
        assert_int_equal(ph_start_child(f->hub, &spec, &so, &fut, NULL), 0);
        ph_result *r = await_ok(fut);
        pid_t old = ph_result_first_pid(r);
        ph_result_free(r);

        assert_int_equal(kill(old, SIGKILL), 0);
        void *a[2] = { &l, (void *) 1 };
        assert_true(wait_for(hook_count_at_least, a, 5000));
        assert_string_equal(l.ids[0], "crashy");
        assert_true(l.pids[0] > 0);
        assert_int_not_equal(l.pids[0], old);
        pid_t now_pid = 0;
        assert_int_equal(ph_get_pid(f->hub, "crashy", &now_pid), 0);
        assert_int_equal(now_pid, l.pids[0]);

        /* The supervisor's view, read without waiting on the loop. */
        ph_child_state *states = NULL;
        size_t n = 0;
        assert_int_equal(ph_which_children(f->hub, &states, &n), 0);
        assert_int_equal(n, 1);
        assert_string_equal(states[0].id, "crashy");
        assert_string_equal(states[0].state, "running");
        assert_int_equal(states[0].pid, now_pid);
        assert_int_equal(states[0].restarts, 1);
        assert_string_equal(states[0].last_exit, "killed by signal SIGKILL");
        assert_null(states[0].failure);
        ph_child_states_free(states, n);
        assert_int_equal(ph_cancel_hook_handlers(f->hub, PH_HOOK_CHILD_PROCESS_PID_UPDATE,
                                                 (const char *const[]) { "log" }, 1), 0);
}

/* Start spec, awaited: the pid. */
static pid_t start_awaited(ph_hub *hub, const ph_child_spec *spec) {
        ph_start_opts so;
        ph_future *fut = NULL;
        ph_result *r;
        pid_t pid;

        ph_start_opts_init(&so);
        so.awaitable = true;
        assert_int_equal(ph_start_child(hub, spec, &so, &fut, NULL), 0);
        r = await_ok(fut);
        pid = ph_result_first_pid(r);
        ph_result_free(r);
        return pid;
}

static void stop_awaited(ph_hub *hub, const char *id) {
        ph_stop_opts sto;
        ph_future *fut = NULL;

        ph_stop_opts_init(&sto);
        sto.awaitable = true;
        assert_int_equal(ph_stop_child(hub, id, &sto, &fut), 0);
        ph_result_free(await_ok(fut));
}

/* On the loop: is the registry's spec of "shared" the supervisor's own
 * block (one spec per child, not a copy each)? */
static int spec_is_shared_on_loop(ph_hub *hub, void *userdata) {
        supervisor_child *c = supervisor_find_child(hub->supervisor, "shared");
        registry_entry *e = registry_lookup(hub->registry, "shared");
        int r;

        (void) userdata;
        if (!c || !e)
                r = -ENOENT;
        else
                r = e->spec == supervisor_child_spec(c) && child_spec_is_shared(e->spec) ? 1 : 0;
        registry_entry_unref(e);
        return r;
}

/* The supervisor and the registry hold one spec between them, through a
 * restart (a new registry version keeps it) and until the stop drops both
 * references (ASan: neither freed early nor leaked). */
static void test_spec_shared_by_supervisor_and_registry(void **state) {
        hub_fixture *f = *state;
        ph_child_spec spec;
        ph_child_info *info = NULL;
        pid_t old, now_pid = 0;

        spec_sleep(&spec, "shared");
        old = start_awaited(f->hub, &spec);
        assert_int_equal(hub_call(f->hub, spec_is_shared_on_loop, NULL), 1);

        assert_int_equal(kill(old, SIGKILL), 0);
        for (unsigned i = 0; i < 500 && (now_pid == 0 || now_pid == old); i++) {
                usleep(10 * 1000);
                (void) ph_get_pid(f->hub, "shared", &now_pid);
        }
        assert_true(now_pid > 0 && now_pid != old);
        assert_int_equal(hub_call(f->hub, spec_is_shared_on_loop, NULL), 1);
        assert_int_equal(ph_child_lookup(f->hub, "shared", &info), 0);
        assert_string_equal(info->spec.argv[0], sleep_argv[0]);
        ph_child_info_free(info);

        stop_awaited(f->hub, "shared");
        assert_int_equal(hub_call(f->hub, spec_is_shared_on_loop, NULL), -ENOENT);
}

static void test_transient_exit_unregisters(void **state) {
        hub_fixture *f = *state;
        ph_child_spec spec;
        static const char *const exit0[] = { TEST_CHILD_PATH, "exit", "0", "200", NULL };
        hook_log l = {};
        ph_hook_handler h = { .id = "log", .fn = log_hook, .userdata = &l };
        ph_start_opts so;
        ph_future *fut = NULL;

        assert_int_equal(ph_register_hook_handlers(f->hub, PH_HOOK_REGISTRY_PID_REMOVE, &h, 1), 0);
        ph_child_spec_init(&spec);
        spec.id = "job";
        spec.argv = exit0;
        spec.restart = PH_RESTART_TRANSIENT;
        ph_start_opts_init(&so);
        so.awaitable = true;
        assert_int_equal(ph_start_child(f->hub, &spec, &so, &fut, NULL), 0);
        ph_result_free(await_ok(fut));

        void *a[2] = { &l, (void *) 1 };
        assert_true(wait_for(hook_count_at_least, a, 5000));
        assert_string_equal(l.ids[0], "job");
        ph_child_info *info = NULL;
        assert_int_equal(ph_child_lookup(f->hub, "job", &info), -ENOENT);

        /* Gone, but why is kept (a TTL entry of the hub's storage). */
        char *why = NULL;
        assert_int_equal(ph_child_last_exit(f->hub, "job", &why), 0);
        assert_string_equal(why, "exited with code 0");
        free(why);
}

static void test_tag_query_and_metadata(void **state) {
        hub_fixture *f = *state;
        ph_child_spec spec[3];
        ph_start_opts so;
        ph_future *fut = NULL;
        ph_kv kv[] = { { "team", "web" }, { "tier", "1" } };
        ph_metadata md = { .tag = "frontend", .values = kv, .n_values = 2 };
        ph_child_list *list = NULL;
        ph_child_info *info = NULL;

        spec_sleep(&spec[0], "fe-1");
        spec_sleep(&spec[1], "fe-2");
        ph_start_opts_init(&so);
        so.awaitable = true;
        so.metadata = &md;
        assert_int_equal(ph_start_children(f->hub, spec, 2, &so, &fut, NULL), 0);
        ph_result_free(await_ok(fut));
        spec_sleep(&spec[2], "be-1");
        so.metadata = NULL;
        fut = NULL;
        assert_int_equal(ph_start_child(f->hub, &spec[2], &so, &fut, NULL), 0);
        ph_result_free(await_ok(fut));

        assert_int_equal(ph_tag_query(f->hub, "frontend", &list), 0);
        assert_int_equal(ph_child_list_n(list), 2);
        for (size_t i = 0; i < 2; i++) {
                const ph_result_child *c = ph_child_list_at(list, i);
                assert_int_equal(strncmp(c->id, "fe-", 3), 0);
                assert_int_equal(c->n_instances, 1);
                assert_true(c->instances[0].pid > 0);
        }
        ph_child_list_free(list);
        assert_int_equal(ph_tag_query(f->hub, "nothing-here", &list), 0);
        assert_int_equal(ph_child_list_n(list), 0);
        ph_child_list_free(list);

        assert_int_equal(ph_child_lookup(f->hub, "fe-2", &info), 0);
        assert_string_equal(info->tag, "frontend");
        assert_int_equal(info->n_metadata, 2);
        assert_string_equal(info->metadata[0].key, "team");
        assert_string_equal(info->metadata[0].value, "web");
        assert_string_equal(info->metadata[1].value, "1");
        ph_child_info_free(info);
        assert_int_equal(ph_child_lookup(f->hub, "be-1", &info), 0);
        assert_null(info->tag);
        assert_int_equal(info->n_metadata, 0);
        ph_child_info_free(info);
}

typedef struct order_slot {
        char letter;
        char *out;
} order_slot;

static int order_hook_letter(ph_hub *hub, const ph_hook_event *e, void *userdata) {
        order_slot *s = userdata;
        size_t len = strlen(s->out);

        s->out[len] = s->letter;
        s->out[len + 1] = '\0';
        return 0;
}

static void test_hook_priorities_and_duplicates(void **state) {
        hub_fixture *f = *state;
        char out[16] = "";
        order_slot a = { 'a', out }, b = { 'b', out }, c = { 'c', out }, d = { 'd', out };
        ph_hook_handler hs[] = {
                { .id = "low", .fn = order_hook_letter, .userdata = &a, .priority = 1 },
                { .id = "high", .fn = order_hook_letter, .userdata = &b, .priority = 50 },
                { .id = "mid", .fn = order_hook_letter, .userdata = &c, .priority = 10 },
        };
        ph_child_spec spec;
        ph_start_opts so;
        ph_future *fut = NULL;

        assert_int_equal(ph_register_hook_handlers(f->hub, PH_HOOK_PRE_CHILDREN_START, hs, 3), 0);
        ph_hook_handler dup[] = {
                { .id = "new", .fn = order_hook_letter, .userdata = &d, .priority = 99 },
                { .id = "mid", .fn = order_hook_letter, .userdata = &d, .priority = 99 },
        };
        assert_int_equal(ph_register_hook_handlers(f->hub, PH_HOOK_PRE_CHILDREN_START, dup, 2), -EEXIST);

        spec_sleep(&spec, "hooked");
        ph_start_opts_init(&so);
        so.awaitable = true;
        assert_int_equal(ph_start_child(f->hub, &spec, &so, &fut, NULL), 0);
        ph_result_free(await_ok(fut));
        /* high (50), mid (10), low (1); "new" was not registered. */
        assert_string_equal(out, "bca");
        assert_int_equal(ph_cancel_hook_handlers(f->hub, PH_HOOK_PRE_CHILDREN_START,
                                                 (const char *const[]) { "mid", "nope" }, 2), -ENOENT);
}

static const char *const altered_argv[] = { TEST_CHILD_PATH, "ignore-term", NULL };

static int alter_hook(ph_hub *hub, const ph_hook_event *e, void *userdata) {
        if (strcmp(e->child_id, "to-alter") == 0) {
                e->spec->argv = altered_argv;
                e->spec->shutdown_timeout_ms = 200;
        }
        if (strcmp(e->child_id, "refused") == 0)
                return -EPERM;
        return 0;
}

static void test_alter_hook_changes_spec(void **state) {
        hub_fixture *f = *state;
        ph_child_spec spec[2];
        ph_start_opts so;
        ph_future *fut = NULL;
        ph_hook_handler h = { .id = "alter", .fn = alter_hook };
        ph_child_info *info = NULL;

        assert_int_equal(ph_register_hook_handlers(f->hub, PH_HOOK_CHILD_DATA_ALTER, &h, 1), 0);
        spec_sleep(&spec[0], "to-alter");
        spec_sleep(&spec[1], "refused");
        ph_start_opts_init(&so);
        so.awaitable = true;
        assert_int_equal(ph_start_children(f->hub, spec, 2, &so, &fut, NULL), 0);
        ph_result *r = await_ok(fut);
        assert_int_equal(ph_result_n_children(r), 1);
        assert_int_equal(ph_result_n_errors(r), 1);
        assert_string_equal(ph_result_error_at(r, 0)->id, "refused");
        assert_non_null(strstr(ph_result_error_at(r, 0)->reason, "child_data_alter"));
        ph_result_free(r);

        assert_int_equal(ph_child_lookup(f->hub, "to-alter", &info), 0);
        assert_string_equal(info->spec.argv[1], "ignore-term");
        assert_int_equal(info->spec.shutdown_timeout_ms, 200);
        ph_child_info_free(info);
}

typedef struct key_log {
        unsigned counts[_PH_HOOK_KEY_MAX];
        char post_start[128];
        char startups[128];
        char shutdown_reason[32];
} key_log;

static int count_hook(ph_hub *hub, const ph_hook_event *e, void *userdata) {
        key_log *l = userdata;

        assert_string_equal(e->hub_id, ph_hub_id(hub));
        l->counts[e->key]++;
        if (e->key == PH_HOOK_POST_CHILDREN_START)
                for (size_t i = 0; i < e->n_children; i++) {
                        size_t len = strlen(l->post_start);
                        snprintf(l->post_start + len, sizeof(l->post_start) - len, "%s:%s ", e->children[i].id,
                                 e->children[i].n_instances == 1 && e->children[i].instances[0].pid > 0 ? "ok"
                                                                                                        : "failed");
                }
        if (e->key == PH_HOOK_PROCESS_STARTUPS)
                for (size_t i = 0; i < e->n_children; i++) {
                        size_t len = strlen(l->startups);
                        snprintf(l->startups + len, sizeof(l->startups) - len, "%s ", e->children[i].id);
                }
        if (e->key == PH_HOOK_COORDINATOR_SHUTDOWN)
                snprintf(l->shutdown_reason, sizeof(l->shutdown_reason), "%s", e->reason);
        return 0;
}

/* Every hook a single host produces fires, with its payload. */
static void test_single_host_hooks_fire(void **state) {
        static const ph_hook_key keys[] = {
                PH_HOOK_REGISTRY_PID_INSERT, PH_HOOK_REGISTRY_PID_REMOVE, PH_HOOK_PRE_CHILDREN_START,
                PH_HOOK_POST_CHILDREN_START, PH_HOOK_PROCESS_STARTUPS, PH_HOOK_CHILD_DATA_ALTER,
                PH_HOOK_COORDINATOR_SHUTDOWN,
        };
        static const char *const missing[] = { "/nonexistent/program", NULL };
        ph_hub_config c;
        ph_hub *hub = NULL;
        char id[64];
        key_log l = {};
        ph_child_spec specs[2];
        ph_start_opts so;
        ph_future *fut = NULL;

        snprintf(id, sizeof(id), "test-hooks-%d", (int) getpid());
        ph_hub_config_init(&c);
        c.hub_id = id;
        assert_int_equal(ph_hub_start(&c, &hub, NULL), 0);
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
                assert_int_equal(ph_register_hook_handlers(hub, keys[i],
                                                           &(ph_hook_handler) { .id = "count", .fn = count_hook, .userdata = &l }, 1), 0);

        spec_sleep(&specs[0], "good");
        ph_child_spec_init(&specs[1]);
        specs[1].id = "bad";
        specs[1].argv = missing;
        ph_start_opts_init(&so);
        so.awaitable = true;
        assert_int_equal(ph_start_children(hub, specs, 2, &so, &fut, NULL), 0);
        ph_result_free(await_ok(fut));

        assert_int_equal(l.counts[PH_HOOK_PRE_CHILDREN_START], 1);
        assert_int_equal(l.counts[PH_HOOK_CHILD_DATA_ALTER], 2);
        assert_int_equal(l.counts[PH_HOOK_REGISTRY_PID_INSERT], 1);
        assert_int_equal(l.counts[PH_HOOK_POST_CHILDREN_START], 1);
        assert_string_equal(l.post_start, "good:ok bad:failed ");
        assert_int_equal(l.counts[PH_HOOK_PROCESS_STARTUPS], 1);
        assert_string_equal(l.startups, "good ");

        assert_int_equal(ph_hub_stop(hub), 0);
        assert_int_equal(l.counts[PH_HOOK_COORDINATOR_SHUTDOWN], 1);
        assert_string_equal(l.shutdown_reason, "shutdown");
        assert_int_equal(l.counts[PH_HOOK_REGISTRY_PID_REMOVE], 1);
        ph_hub_free(hub);
}

static int lock_on_loop(ph_hub *hub, void *userdata) {
        return coordinator_lock(hub->coordinator, false);
}

static void test_lock_and_deadlock_recovery(void **state) {
        hub_fixture *f = *state;
        ph_hub_config c;
        ph_hub *hub = NULL;
        char id[64];
        hook_log l = {};
        ph_hook_handler h = { .id = "prio", .fn = log_hook, .userdata = &l };
        ph_child_spec spec;
        ph_start_opts so;
        ph_future *fut = NULL;

        (void) f;
        snprintf(id, sizeof(id), "test-lock-%d", (int) getpid());
        ph_hub_config_init(&c);
        c.hub_id = id;
        c.deadlock_recovery_timeout_ms = 300;
        assert_int_equal(ph_hub_start(&c, &hub, NULL), 0);
        assert_int_equal(ph_register_hook_handlers(hub, PH_HOOK_PRIORITY_STATE_UPDATED, &h, 1), 0);

        assert_false(ph_is_locked(hub));
        uint64_t t0 = now_usec();
        assert_int_equal(hub_call(hub, lock_on_loop, NULL), 0);
        assert_true(ph_is_locked(hub));

        /* A start while locked waits (queued, not dropped) ... */
        spec_sleep(&spec, "queued");
        ph_start_opts_init(&so);
        so.awaitable = true;
        assert_int_equal(ph_start_child(hub, &spec, &so, &fut, NULL), 0);
        usleep(100 * 1000);
        ph_child_info *info = NULL;
        if (ph_is_locked(hub))
                assert_int_equal(ph_child_lookup(hub, "queued", &info), -ENOENT);

        /* ... until the deadlock recovery unlocks the hub. */
        ph_result *r = await_ok(fut);
        assert_int_equal(ph_result_status(r), PH_STATUS_OK);
        ph_result_free(r);
        assert_true(now_usec() - t0 >= 300 * USEC_PER_MSEC);
        assert_false(ph_is_locked(hub));
        void *a[2] = { &l, (void *) 2 };
        assert_true(wait_for(hook_count_at_least, a, 1000)); /* locked (10), unlocked (0) */
        ph_hub_free(hub);
}

static int shorten_ttl(ph_hub *hub, void *userdata) {
        hub->gone_ttl_usec = 1000 * USEC_PER_MSEC; /* far above a stop's duration */
        return 0;
}

static bool storage_empty(void *userdata) {
        return storage_size(((ph_hub *) userdata)->storage) == 0;
}

static void test_janitor_purges_ttl_entries(void **state) {
        ph_hub_config c;
        ph_hub *hub = NULL;
        char id[64], *why = NULL;
        ph_child_spec spec;
        ph_start_opts so;
        ph_future *fut = NULL;

        snprintf(id, sizeof(id), "test-janitor-%d", (int) getpid());
        ph_hub_config_init(&c);
        c.hub_id = id;
        c.storage_purge_interval_ms = 50;
        assert_int_equal(ph_hub_start(&c, &hub, NULL), 0);
        assert_int_equal(hub_call(hub, shorten_ttl, NULL), 0);

        spec_sleep(&spec, "short-lived");
        ph_start_opts_init(&so);
        so.awaitable = true;
        assert_int_equal(ph_start_child(hub, &spec, &so, &fut, NULL), 0);
        ph_result_free(await_ok(fut));
        ph_stop_opts sto;
        ph_stop_opts_init(&sto);
        sto.awaitable = true;
        assert_int_equal(ph_stop_child(hub, "short-lived", &sto, &fut), 0);
        ph_result_free(await_ok(fut));
        assert_int_equal(storage_size(hub->storage), 1);

        /* Expired entries are purged by the janitor, not merely hidden. */
        assert_true(wait_for(storage_empty, hub, 5000));
        assert_int_equal(ph_child_last_exit(hub, "short-lived", &why), -ENOENT);
        ph_hub_free(hub);
}

static void test_promote_renames(void **state) {
        hub_fixture *f = *state;
        ph_child_spec spec;
        ph_start_opts so;
        ph_future *fut = NULL;
        ph_child_info *info = NULL;
        char **nodes = NULL;

        spec_sleep(&spec, "moved");
        ph_start_opts_init(&so);
        so.awaitable = true;
        assert_int_equal(ph_start_child(f->hub, &spec, &so, &fut, NULL), 0);
        ph_result_free(await_ok(fut));

        assert_int_equal(ph_nodes(f->hub, false, &nodes), 0);
        assert_null(nodes[0]);
        ph_strv_free(nodes);

        assert_int_equal(ph_promote_to_node(f->hub, "node-b"), 0);
        assert_int_equal(ph_child_lookup(f->hub, "moved", &info), 0);
        assert_string_equal(info->instances[0].node, "node-b");
        ph_child_info_free(info);
        assert_int_equal(ph_nodes(f->hub, true, &nodes), 0);
        assert_string_equal(nodes[0], "node-b");
        assert_null(nodes[1]);
        ph_strv_free(nodes);

        /* And the hub still works under its new name. */
        assert_int_equal(ph_stop_child(f->hub, "moved", &(ph_stop_opts) { .awaitable = true, .timeout_ms = 5000, .await_timeout_ms = 5000 }, &fut), 0);
        ph_result *r = await_ok(fut);
        assert_int_equal(ph_result_status(r), PH_STATUS_OK);
        assert_string_equal(ph_result_child_at(r, 0)->instances[0].node, "node-b");
        ph_result_free(r);
}

static void test_static_children_and_clean_stop(void **state) {
        ph_hub_config c;
        ph_hub *hub = NULL;
        ph_child_spec specs[2];
        char id[64], group[512];
        pid_t pids[2];
        char *error = NULL;

        snprintf(id, sizeof(id), "test-static-%d", (int) getpid());
        spec_sleep(&specs[0], "static-a");
        ph_child_spec_init(&specs[1]);
        specs[1].id = "static-b";
        specs[1].argv = ignore_term_argv;
        specs[1].shutdown_timeout_ms = 200;
        ph_hub_config_init(&c);
        c.hub_id = id;
        c.child_specs = specs;
        c.n_child_specs = 2;
        assert_int_equal(ph_hub_start(&c, &hub, &error), 0);
        assert_true(ph_is_alive(hub));
        assert_int_equal(ph_get_pid(hub, "static-a", &pids[0]), 0);
        assert_int_equal(ph_get_pid(hub, "static-b", &pids[1]), 0);
        snprintf(group, sizeof(group), "%s", supervisor_cgroup_path(hub->supervisor, (char[PATH_MAX]) {}));

        assert_int_equal(ph_hub_stop(hub), 0);
        assert_false(ph_is_alive(hub));
        assert_int_equal(ph_hub_stop(hub), -EALREADY);
        assert_false(pid_alive(pids[0]));
        assert_false(pid_alive(pids[1]));
        struct stat st;
        assert_int_equal(stat(group, &st), -1);
        ph_hub_free(hub);

        /* A static child that cannot start fails the hub's start, and
         * nothing stays behind. */
        static const char *const missing[] = { "/nonexistent/program", NULL };
        specs[1].argv = missing;
        assert_int_equal(ph_hub_start(&c, &hub, &error), -ECHILD);
        assert_non_null(strstr(error, "static-b"));
        free(error);
}

typedef struct worker {
        ph_hub *hub;
        unsigned index;
        int failures;
} worker;

/* Each thread starts, looks up and stops its own children through the
 * public API, all at once with the others. */
static void *api_worker(void *userdata) {
        worker *w = userdata;
        ph_child_spec specs[8];
        char ids[8][32];
        const char *id_list[8];
        ph_start_opts so;
        ph_stop_opts sto;

        for (unsigned round = 0; round < 3; round++) {
                ph_future *fut = NULL;
                ph_result *r = NULL;

                for (unsigned i = 0; i < 8; i++) {
                        snprintf(ids[i], sizeof(ids[i]), "w%u-r%u-c%u", w->index, round, i);
                        spec_sleep(&specs[i], ids[i]);
                        id_list[i] = ids[i];
                }
                ph_start_opts_init(&so);
                so.awaitable = true;
                if (ph_start_children(w->hub, specs, 8, &so, &fut, NULL) < 0 || ph_future_await(fut, &r) < 0 ||
                    ph_result_status(r) != PH_STATUS_OK || ph_result_n_children(r) != 8)
                        w->failures++;
                ph_result_free(r);
                ph_future_free(fut);

                for (unsigned i = 0; i < 8; i++) {
                        ph_child_info *info = NULL;
                        if (ph_child_lookup(w->hub, ids[i], &info) < 0 || info->n_instances != 1 ||
                            info->instances[0].pid <= 0)
                                w->failures++;
                        ph_child_info_free(info);
                }

                fut = NULL;
                r = NULL;
                ph_stop_opts_init(&sto);
                sto.awaitable = true;
                if (ph_stop_children(w->hub, id_list, 8, &sto, &fut) < 0 || ph_future_await(fut, &r) < 0 ||
                    ph_result_status(r) != PH_STATUS_OK)
                        w->failures++;
                ph_result_free(r);
                ph_future_free(fut);
        }
        return NULL;
}

static void test_api_from_many_threads(void **state) {
        hub_fixture *f = *state;
        pthread_t threads[4];
        worker workers[4];
        ph_child_list *list = NULL;

        for (unsigned i = 0; i < 4; i++) {
                workers[i] = (worker) { .hub = f->hub, .index = i };
                assert_int_equal(pthread_create(&threads[i], NULL, api_worker, &workers[i]), 0);
        }
        for (unsigned i = 0; i < 4; i++) {
                assert_int_equal(pthread_join(threads[i], NULL), 0);
                assert_int_equal(workers[i].failures, 0);
        }
        assert_int_equal(ph_process_list(f->hub, PH_SCOPE_GLOBAL, &list), 0);
        assert_int_equal(ph_child_list_n(list), 0);
        ph_child_list_free(list);
}

static void test_bad_arguments(void **state) {
        hub_fixture *f = *state;
        ph_hub_config c;
        ph_hub *hub = NULL;
        char *error = NULL;
        ph_child_spec spec;
        ph_future *fut = NULL;
        ph_result *r = NULL;
        ph_child_info *info = NULL;
        pid_t pid;
        ph_instance *inst;
        size_t n;
        ph_child_list *list;
        char **nodes;
        ph_child_info **infos;
        ph_child_state *states;

        ph_hub_config_init(&c);
        assert_int_equal(ph_hub_start(NULL, &hub, NULL), -EINVAL);
        assert_int_equal(ph_hub_start(&c, NULL, NULL), -EINVAL);
        assert_int_equal(ph_hub_start(&c, &hub, &error), -EINVAL); /* no hub_id */
        assert_string_equal(error, "hub_id is missing");
        free(error);
        error = NULL;
        c.hub_id = f->id; /* already running here */
        assert_int_equal(ph_hub_start(&c, &hub, &error), -EEXIST);
        free(error);
        error = NULL;
        c.hub_id = "other";
        c.deadlock_recovery_timeout_ms = 0;
        assert_int_equal(ph_hub_start(&c, &hub, &error), -EINVAL);
        assert_string_equal(error, "deadlock_recovery_timeout_ms must be above 0");
        free(error);
        error = NULL;
        assert_null(hub);
        ph_hub_config_init(&c);
        c.hub_id = "other";
        c.limits.cpu_weight = UINT16_MAX + 2ULL; /* 16 bits in the policy: must not become 1 */
        assert_int_equal(ph_hub_start(&c, &hub, &error), -EINVAL);
        assert_string_equal(error, "hub other: cpu_weight: outside 1..10000");
        free(error);
        error = NULL;
        assert_null(hub);

        assert_int_equal(ph_hub_stop(NULL), -EINVAL);
        assert_null(ph_hub_free(NULL));
        assert_null(ph_hub_id(NULL));
        assert_string_equal(ph_hub_id(f->hub), f->id);
        assert_false(ph_is_alive(NULL));
        assert_false(ph_is_locked(NULL));
        assert_false(ph_is_partitioned(NULL));
        assert_false(ph_is_partitioned(f->hub));
        assert_int_equal(ph_nodes(NULL, true, &nodes), -EINVAL);
        assert_int_equal(ph_nodes(f->hub, true, NULL), -EINVAL);
        assert_int_equal(ph_promote_to_node(NULL, "x"), -EINVAL);
        assert_int_equal(ph_promote_to_node(f->hub, ""), -EINVAL);

        spec_sleep(&spec, "ok");
        assert_int_equal(ph_start_child(NULL, &spec, NULL, NULL, NULL), -EINVAL);
        assert_int_equal(ph_start_child(f->hub, NULL, NULL, NULL, &error), -EINVAL);
        assert_string_equal(error, "no child to start");
        free(error);
        error = NULL;
        assert_int_equal(ph_start_children(f->hub, &spec, 0, NULL, NULL, &error), -EINVAL);
        assert_string_equal(error, "no children to start");
        free(error);
        error = NULL;
        spec.argv = NULL;
        assert_int_equal(ph_start_child(f->hub, &spec, NULL, NULL, &error), -EINVAL);
        assert_string_equal(error, "child ok: argv: needs at least the program");
        free(error);
        error = NULL;
        spec.argv = sleep_argv;
        ph_start_opts so;
        ph_start_opts_init(&so);
        so.on_failure = 5;
        assert_int_equal(ph_start_child(f->hub, &spec, &so, NULL, &error), -EINVAL);
        free(error);
        error = NULL;
        ph_start_opts_init(&so);
        so.node = "elsewhere";
        assert_int_equal(ph_start_child(f->hub, &spec, &so, NULL, &error), -EHOSTUNREACH);
        free(error);
        error = NULL;
        ph_start_opts_init(&so);
        so.metadata = &(ph_metadata) { .values = NULL, .n_values = 2 };
        assert_int_equal(ph_start_child(f->hub, &spec, &so, NULL, &error), -EINVAL);
        free(error);
        error = NULL;

        assert_int_equal(ph_stop_child(NULL, "x", NULL, NULL), -EINVAL);
        assert_int_equal(ph_stop_child(f->hub, NULL, NULL, NULL), -EINVAL);
        assert_int_equal(ph_stop_children(f->hub, NULL, 0, NULL, NULL), -EINVAL);
        assert_int_equal(ph_stop_children(f->hub, (const char *const[]) { "" }, 1, NULL, NULL), -EINVAL);
        /* Stopping an unknown child: not_found in the result. */
        assert_int_equal(ph_stop_child(f->hub, "ghost", &(ph_stop_opts) { .awaitable = true, .timeout_ms = 1000, .await_timeout_ms = 5000 }, &fut), 0);
        assert_int_equal(ph_future_await(fut, &r), 0);
        assert_int_equal(ph_future_await(fut, &r), -EALREADY);
        ph_future_free(fut);
        assert_int_equal(ph_result_status(r), PH_STATUS_ERROR);
        assert_string_equal(ph_result_error_at(r, 0)->reason, "not_found");
        ph_result_free(r);

        assert_int_equal(ph_future_await(NULL, &r), -EINVAL);
        assert_null(ph_future_free(NULL));
        assert_null(ph_result_free(NULL));

        assert_int_equal(ph_child_lookup(NULL, "x", &info), -EINVAL);
        assert_int_equal(ph_child_lookup(f->hub, NULL, &info), -EINVAL);
        assert_int_equal(ph_child_lookup(f->hub, "x", NULL), -EINVAL);
        assert_int_equal(ph_child_lookup(f->hub, "x", &info), -ENOENT);
        assert_null(ph_child_info_free(NULL));
        assert_int_equal(ph_get_pid(NULL, "x", &pid), -EINVAL);
        assert_int_equal(ph_get_pid(f->hub, NULL, &pid), -EINVAL);
        assert_int_equal(ph_get_pid(f->hub, "x", NULL), -EINVAL);
        assert_int_equal(ph_get_pids(NULL, "x", &inst, &n), -EINVAL);
        assert_int_equal(ph_get_pids(f->hub, "x", NULL, &n), -EINVAL);
        assert_int_equal(ph_get_pids(f->hub, "x", &inst, NULL), -EINVAL);
        assert_int_equal(ph_get_pids(f->hub, "x", &inst, &n), -ENOENT);
        ph_instances_free(NULL, 0);
        assert_int_equal(ph_process_list(NULL, PH_SCOPE_GLOBAL, &list), -EINVAL);
        assert_int_equal(ph_process_list(f->hub, 7, &list), -EINVAL);
        assert_int_equal(ph_process_list(f->hub, PH_SCOPE_LOCAL, NULL), -EINVAL);
        assert_int_equal(ph_tag_query(NULL, "t", &list), -EINVAL);
        assert_int_equal(ph_tag_query(f->hub, NULL, &list), -EINVAL);
        assert_int_equal(ph_tag_query(f->hub, "t", NULL), -EINVAL);
        assert_int_equal(ph_child_list_n(NULL), 0);
        assert_null(ph_child_list_at(NULL, 0));
        assert_null(ph_child_list_free(NULL));
        assert_int_equal(ph_registry_dump(NULL, &infos, &n), -EINVAL);
        assert_int_equal(ph_registry_dump(f->hub, NULL, &n), -EINVAL);
        assert_int_equal(ph_registry_dump(f->hub, &infos, NULL), -EINVAL);
        ph_child_infos_free(NULL, 0);
        assert_int_equal(ph_which_children(NULL, &states, &n), -EINVAL);
        assert_int_equal(ph_which_children(f->hub, NULL, &n), -EINVAL);
        assert_int_equal(ph_which_children(f->hub, &states, NULL), -EINVAL);
        ph_child_states_free(NULL, 0);

        ph_hook_handler h = { .id = "x", .fn = log_hook };
        assert_int_equal(ph_register_hook_handlers(NULL, PH_HOOK_PRE_CLUSTER_JOIN, &h, 1), -EINVAL);
        assert_int_equal(ph_register_hook_handlers(f->hub, _PH_HOOK_KEY_MAX, &h, 1), -EINVAL);
        assert_int_equal(ph_register_hook_handlers(f->hub, PH_HOOK_PRE_CLUSTER_JOIN, NULL, 1), -EINVAL);
        assert_int_equal(ph_cancel_hook_handlers(NULL, PH_HOOK_PRE_CLUSTER_JOIN, (const char *const[]) { "x" }, 1), -EINVAL);
        assert_int_equal(ph_cancel_hook_handlers(f->hub, PH_HOOK_PRE_CLUSTER_JOIN, (const char *const[]) { "x" }, 1), -ENOENT);
        assert_string_equal(ph_hook_key_to_string(PH_HOOK_CHILD_DATA_ALTER), "child_data_alter");
        assert_int_equal(ph_hook_key_from_string("registry_pid_insert"), PH_HOOK_REGISTRY_PID_INSERT);
        assert_int_equal(ph_hook_key_from_string("nope"), -EINVAL);

        assert_int_equal(ph_result_kind_of(NULL), _PH_RESULT_KIND_INVALID);
        assert_int_equal(ph_result_n_children(NULL), 0);
        assert_null(ph_result_child_at(NULL, 0));
        assert_int_equal(ph_result_n_errors(NULL), 0);
        assert_null(ph_result_error_at(NULL, 0));
        assert_false(ph_result_rollback(NULL));
        assert_int_equal(ph_result_pids(NULL, NULL, 0), 0);
        assert_int_equal(ph_result_nodes(NULL, NULL, 0), 0);
        assert_int_equal(ph_result_first_pid(NULL), 0);
        assert_null(ph_strv_free(NULL));
        char *why;
        assert_int_equal(ph_child_last_exit(NULL, "x", &why), -EINVAL);
        assert_int_equal(ph_child_last_exit(f->hub, NULL, &why), -EINVAL);
        assert_int_equal(ph_child_last_exit(f->hub, "x", NULL), -EINVAL);
        assert_int_equal(ph_child_last_exit(f->hub, "never-was", &why), -ENOENT);
        ph_child_spec_init(NULL);
        ph_hub_config_init(NULL);
        ph_start_opts_init(NULL);
        ph_stop_opts_init(NULL);
        assert_non_null(ph_version());
}

int main(void) {
        test_require_root();
        test_require_cgroup2();

        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_start_await_lookup_stop_one, hub_setup, hub_teardown),
                cmocka_unit_test_setup_teardown(test_start_and_stop_many, hub_setup, hub_teardown),
                cmocka_unit_test_setup_teardown(test_start_thousand_in_one_call, hub_setup, hub_teardown),
                cmocka_unit_test_setup_teardown(test_async_start_is_initiated, hub_setup, hub_teardown),
                cmocka_unit_test_setup_teardown(test_duplicate_id, hub_setup, hub_teardown),
                cmocka_unit_test_setup_teardown(test_rollback_leaves_registry_empty, hub_setup, hub_teardown),
                cmocka_unit_test_setup_teardown(test_timeout_zero_is_error, hub_setup, hub_teardown),
                cmocka_unit_test_setup_teardown(test_restart_fires_pid_update, hub_setup, hub_teardown),
                cmocka_unit_test_setup_teardown(test_spec_shared_by_supervisor_and_registry, hub_setup, hub_teardown),
                cmocka_unit_test_setup_teardown(test_transient_exit_unregisters, hub_setup, hub_teardown),
                cmocka_unit_test_setup_teardown(test_tag_query_and_metadata, hub_setup, hub_teardown),
                cmocka_unit_test_setup_teardown(test_hook_priorities_and_duplicates, hub_setup, hub_teardown),
                cmocka_unit_test_setup_teardown(test_alter_hook_changes_spec, hub_setup, hub_teardown),
                cmocka_unit_test(test_single_host_hooks_fire),
                cmocka_unit_test_setup_teardown(test_lock_and_deadlock_recovery, hub_setup, hub_teardown),
                cmocka_unit_test(test_janitor_purges_ttl_entries),
                cmocka_unit_test_setup_teardown(test_promote_renames, hub_setup, hub_teardown),
                cmocka_unit_test(test_static_children_and_clean_stop),
                cmocka_unit_test_setup_teardown(test_api_from_many_threads, hub_setup, hub_teardown),
                cmocka_unit_test_setup_teardown(test_bad_arguments, hub_setup, hub_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
