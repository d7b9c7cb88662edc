/* SPDX-License-Identifier: MIT */

/* The hook table: order (priority, then registration), all-or-nothing
 * registration, cancel, register and cancel from inside a handler while a
 * dispatch runs, the alter hook's early stop, the key names, and register
 * and cancel from other threads during dispatches. */

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "hook-table.h"
#include "macros.h"

/* Handlers record their names here, in call order. */
typedef struct call_log {
        const char *calls[64];
        size_t n;
} call_log;

/* userdata of record() */
typedef struct recorder {
        call_log *log;
        const char *name;
} recorder;

static int record(ph_hub *hub, const ph_hook_event *event, void *userdata) {
        recorder *rec = userdata;

        assert_true(rec->log->n < ELEMENTSOF(rec->log->calls));
        rec->log->calls[rec->log->n++] = rec->name;
        return 0;
}

#define HANDLER(rec, prio) \
        ((ph_hook_handler) { .id = (rec)->name, .fn = record, .userdata = (rec), .priority = (prio) })

static void assert_calls(const call_log *log, size_t n, ...) {
        va_list ap;

        assert_int_equal(log->n, n);
        va_start(ap, n);
        for (size_t i = 0; i < n; i++)
                assert_string_equal(log->calls[i], va_arg(ap, const char *));
        va_end(ap);
}

static void dispatch(hook_table *t, ph_hook_key key, call_log *log) {
        log->n = 0;
        assert_int_equal(hook_table_dispatch(t, NULL, &(ph_hook_event) { .key = key }), 0);
}

static void test_priority_order(void **state) {
        _cleanup_(hook_table_freep) hook_table *t = NULL;
        call_log log = {};
        recorder a = { &log, "a" }, b = { &log, "b" }, c = { &log, "c" }, d = { &log, "d" }, e = { &log, "e" },
                 f = { &log, "f" }, g = { &log, "g" };

        assert_int_equal(hook_table_new(&t), 0);
        assert_int_equal(hook_table_register(t, PH_HOOK_POST_CHILDREN_START,
                                             (ph_hook_handler[]) { HANDLER(&a, 0), HANDLER(&b, 10), HANDLER(&c, 0),
                                                                   HANDLER(&d, 5), HANDLER(&e, 10) },
                                             5),
                         0);
        /* Later registrations go after earlier ones of the same priority. */
        assert_int_equal(hook_table_register(t, PH_HOOK_POST_CHILDREN_START,
                                             (ph_hook_handler[]) { HANDLER(&f, 10), HANDLER(&g, -3) }, 2),
                         0);
        dispatch(t, PH_HOOK_POST_CHILDREN_START, &log);
        assert_calls(&log, 7, "b", "e", "f", "d", "a", "c", "g");

        /* Other keys are separate. */
        dispatch(t, PH_HOOK_PRE_CHILDREN_START, &log);
        assert_calls(&log, 0);
}

static void test_duplicate_ids(void **state) {
        _cleanup_(hook_table_freep) hook_table *t = NULL;
        call_log log = {};
        recorder a = { &log, "a" }, b = { &log, "b" }, c = { &log, "c" };

        assert_int_equal(hook_table_new(&t), 0);
        assert_int_equal(hook_table_register(t, PH_HOOK_REGISTRY_PID_INSERT, &HANDLER(&a, 0), 1), 0);

        /* An id taken already: nothing of the call is registered. */
        assert_int_equal(hook_table_register(t, PH_HOOK_REGISTRY_PID_INSERT,
                                             (ph_hook_handler[]) { HANDLER(&b, 0), HANDLER(&a, 1) }, 2),
                         -EEXIST);
        /* Twice in one call: neither is registered. */
        assert_int_equal(hook_table_register(t, PH_HOOK_REGISTRY_PID_INSERT,
                                             (ph_hook_handler[]) { HANDLER(&c, 0), HANDLER(&b, 0), HANDLER(&c, 1) },
                                             3),
                         -EEXIST);
        dispatch(t, PH_HOOK_REGISTRY_PID_INSERT, &log);
        assert_calls(&log, 1, "a");
        assert_int_equal(hook_table_cancel(t, PH_HOOK_REGISTRY_PID_INSERT, (const char *[]) { "b" }, 1), -ENOENT);
        assert_int_equal(hook_table_cancel(t, PH_HOOK_REGISTRY_PID_INSERT, (const char *[]) { "c" }, 1), -ENOENT);

        /* The same id under another key is another handler. */
        assert_int_equal(hook_table_register(t, PH_HOOK_REGISTRY_PID_REMOVE, &HANDLER(&a, 0), 1), 0);
        /* Ids are copied: the caller's string may go away. */
        char id[] = "copied";
        assert_int_equal(hook_table_register(t, PH_HOOK_REGISTRY_PID_REMOVE,
                                             &(ph_hook_handler) { .id = id, .fn = record, .userdata = &b }, 1),
                         0);
        memset(id, 'x', sizeof(id) - 1);
        assert_int_equal(hook_table_cancel(t, PH_HOOK_REGISTRY_PID_REMOVE, (const char *[]) { "copied" }, 1), 0);
}

static void test_cancel(void **state) {
        _cleanup_(hook_table_freep) hook_table *t = NULL;
        call_log log = {};
        recorder a = { &log, "a" }, b = { &log, "b" }, c = { &log, "c" };

        assert_int_equal(hook_table_new(&t), 0);
        assert_int_equal(hook_table_cancel(t, PH_HOOK_POST_CLUSTER_JOIN, (const char *[]) { "a" }, 1), -ENOENT);
        assert_int_equal(hook_table_register(t, PH_HOOK_POST_CLUSTER_JOIN,
                                             (ph_hook_handler[]) { HANDLER(&a, 0), HANDLER(&b, 0), HANDLER(&c, 0) },
                                             3),
                         0);
        /* One unknown: the others go all the same. */
        assert_int_equal(hook_table_cancel(t, PH_HOOK_POST_CLUSTER_JOIN, (const char *[]) { "a", "zz", "c" }, 3),
                         -ENOENT);
        dispatch(t, PH_HOOK_POST_CLUSTER_JOIN, &log);
        assert_calls(&log, 1, "b");
        assert_true(hook_table_has_handlers(t, PH_HOOK_POST_CLUSTER_JOIN));

        assert_int_equal(hook_table_cancel(t, PH_HOOK_POST_CLUSTER_JOIN, (const char *[]) { "b" }, 1), 0);
        assert_false(hook_table_has_handlers(t, PH_HOOK_POST_CLUSTER_JOIN));
        dispatch(t, PH_HOOK_POST_CLUSTER_JOIN, &log);
        assert_calls(&log, 0);

        /* A cancelled id can be registered again; it then goes last. */
        assert_int_equal(hook_table_register(t, PH_HOOK_POST_CLUSTER_JOIN,
                                             (ph_hook_handler[]) { HANDLER(&a, 0), HANDLER(&b, 0) }, 2),
                         0);
        assert_int_equal(hook_table_cancel(t, PH_HOOK_POST_CLUSTER_JOIN, (const char *[]) { "a" }, 1), 0);
        assert_int_equal(hook_table_register(t, PH_HOOK_POST_CLUSTER_JOIN, &HANDLER(&a, 0), 1), 0);
        dispatch(t, PH_HOOK_POST_CLUSTER_JOIN, &log);
        assert_calls(&log, 2, "b", "a");
}

/* ---- Register and cancel from inside a handler ---- */

typedef struct reentrant {
        hook_table *table;
        call_log *log;
        recorder late;
        int r_register, r_cancel;
} reentrant;

static int reentrant_handler(ph_hub *hub, const ph_hook_event *event, void *userdata) {
        reentrant *x = userdata;

        x->log->calls[x->log->n++] = "changer";
        x->r_register = hook_table_register(x->table, event->key, &HANDLER(&x->late, 100), 1);
        x->r_cancel = hook_table_cancel(x->table, event->key, (const char *[]) { "victim", "changer" }, 2);
        return 0;
}

static void test_change_during_dispatch(void **state) {
        _cleanup_(hook_table_freep) hook_table *t = NULL;
        call_log log = {};
        recorder victim = { &log, "victim" }, stays = { &log, "stays" };
        reentrant x = { .log = &log, .late = { &log, "late" } };

        assert_int_equal(hook_table_new(&t), 0);
        x.table = t;
        assert_int_equal(hook_table_register(t, PH_HOOK_SCOREBOARD_UPDATED,
                                             (ph_hook_handler[]) {
                                                     { .id = "changer", .fn = reentrant_handler, .userdata = &x, .priority = 10 },
                                                     HANDLER(&victim, 5),
                                                     HANDLER(&stays, 0),
                                             },
                                             3),
                         0);

        /* The dispatch under way keeps the handlers it began with. */
        dispatch(t, PH_HOOK_SCOREBOARD_UPDATED, &log);
        assert_int_equal(x.r_register, 0);
        assert_int_equal(x.r_cancel, 0);
        assert_calls(&log, 3, "changer", "victim", "stays");

        /* The next one sees the change. */
        dispatch(t, PH_HOOK_SCOREBOARD_UPDATED, &log);
        assert_calls(&log, 2, "late", "stays");
}

/* ---- child_data_alter stops at the first failure ---- */

static int fail_eperm(ph_hub *hub, const ph_hook_event *event, void *userdata) {
        (*(int *) userdata)++;
        return -EPERM;
}

static int count_call(ph_hub *hub, const ph_hook_event *event, void *userdata) {
        (*(int *) userdata)++;
        return 1; /* positive returns are fine */
}

static void test_alter_stops_at_first_failure(void **state) {
        _cleanup_(hook_table_freep) hook_table *t = NULL;
        int first = 0, failing = 0, after = 0;
        const ph_hook_handler handlers[] = {
                { .id = "first", .fn = count_call, .userdata = &first, .priority = 3 },
                { .id = "failing", .fn = fail_eperm, .userdata = &failing, .priority = 2 },
                { .id = "after", .fn = count_call, .userdata = &after, .priority = 1 },
        };

        assert_int_equal(hook_table_new(&t), 0);
        assert_int_equal(hook_table_register(t, PH_HOOK_CHILD_DATA_ALTER, handlers, ELEMENTSOF(handlers)), 0);
        assert_int_equal(hook_table_register(t, PH_HOOK_PRE_CHILDREN_START, handlers, ELEMENTSOF(handlers)), 0);

        assert_int_equal(hook_table_dispatch(t, NULL, &(ph_hook_event) { .key = PH_HOOK_CHILD_DATA_ALTER }), -EPERM);
        assert_int_equal(first, 1);
        assert_int_equal(failing, 1);
        assert_int_equal(after, 0);

        /* Elsewhere failures are ignored. */
        assert_int_equal(hook_table_dispatch(t, NULL, &(ph_hook_event) { .key = PH_HOOK_PRE_CHILDREN_START }), 0);
        assert_int_equal(first, 2);
        assert_int_equal(failing, 2);
        assert_int_equal(after, 1);
}

/* The handler gets the hub, the event and its userdata as given. */
typedef struct seen_args {
        ph_hub *hub;
        const ph_hook_event *event;
} seen_args;

static int see_args(ph_hub *hub, const ph_hook_event *event, void *userdata) {
        seen_args *s = userdata;

        s->hub = hub;
        s->event = event;
        return 0;
}

static void test_handler_arguments(void **state) {
        _cleanup_(hook_table_freep) hook_table *t = NULL;
        seen_args seen = {};
        ph_hook_event event = { .key = PH_HOOK_COORDINATOR_SHUTDOWN, .hub_id = "h", .reason = "normal" };
        ph_hub *fake_hub = (ph_hub *) (uintptr_t) 0x1000;

        assert_int_equal(hook_table_new(&t), 0);
        assert_int_equal(hook_table_register(t, PH_HOOK_COORDINATOR_SHUTDOWN,
                                             &(ph_hook_handler) { .id = "s", .fn = see_args, .userdata = &seen }, 1),
                         0);
        assert_int_equal(hook_table_dispatch(t, fake_hub, &event), 0);
        assert_ptr_equal(seen.hub, fake_hub);
        assert_ptr_equal(seen.event, &event);
}

static void test_has_handlers(void **state) {
        _cleanup_(hook_table_freep) hook_table *t = NULL;
        int n = 0;

        assert_int_equal(hook_table_new(&t), 0);
        for (ph_hook_key k = 0; k < _PH_HOOK_KEY_MAX; k++)
                assert_false(hook_table_has_handlers(t, k));
        assert_int_equal(hook_table_register(t, PH_HOOK_PROCESS_STARTUPS,
                                             &(ph_hook_handler) { .id = "x", .fn = count_call, .userdata = &n }, 1),
                         0);
        for (ph_hook_key k = 0; k < _PH_HOOK_KEY_MAX; k++)
                assert_int_equal(hook_table_has_handlers(t, k), k == PH_HOOK_PROCESS_STARTUPS);
        assert_false(hook_table_has_handlers(t, _PH_HOOK_KEY_MAX));
        assert_false(hook_table_has_handlers(t, _PH_HOOK_KEY_INVALID));
        assert_false(hook_table_has_handlers(NULL, PH_HOOK_PROCESS_STARTUPS));
        assert_int_equal(hook_table_cancel(t, PH_HOOK_PROCESS_STARTUPS, (const char *[]) { "x" }, 1), 0);
        assert_false(hook_table_has_handlers(t, PH_HOOK_PROCESS_STARTUPS));
}

static void test_key_strings(void **state) {
        static const char *const names[] = {
                "pre_cluster_join",          "post_cluster_join",        "pre_cluster_leave",
                "post_cluster_leave",        "registry_pid_insert",      "registry_pid_remove",
                "children_migrated",         "forwarded_migration",      "priority_state_updated",
                "pre_nodes_redistribution",  "post_nodes_redistribution", "pre_children_start",
                "post_children_start",       "pre_children_redistribution", "coordinator_shutdown",
                "process_startups",          "child_process_pid_update", "child_data_alter",
                "scoreboard_updated",        "descendant_exit",
        };

        assert_int_equal(ELEMENTSOF(names), _PH_HOOK_KEY_MAX);
        for (ph_hook_key k = 0; k < _PH_HOOK_KEY_MAX; k++) {
                assert_string_equal(ph_hook_key_to_string(k), names[k]);
                assert_int_equal(ph_hook_key_from_string(names[k]), k);
        }
        assert_int_equal(ph_hook_key_from_string(ph_hook_key_to_string(PH_HOOK_CHILD_DATA_ALTER)),
                         PH_HOOK_CHILD_DATA_ALTER);
        assert_null(ph_hook_key_to_string(_PH_HOOK_KEY_MAX));
        assert_null(ph_hook_key_to_string(_PH_HOOK_KEY_INVALID));
        assert_int_equal(ph_hook_key_from_string("no_such_hook"), -EINVAL);
        assert_int_equal(ph_hook_key_from_string(""), -EINVAL);
        assert_int_equal(ph_hook_key_from_string("Pre_Cluster_Join"), -EINVAL);
        assert_int_equal(ph_hook_key_from_string(":pre_cluster_join"), -EINVAL);
        assert_int_equal(ph_hook_key_from_string(NULL), -EINVAL);
}

/* ---- Register and cancel from 4 threads while dispatching ---- */

#define CHURN_THREADS 4
#define CHURN_ROUNDS 2000

typedef struct churn {
        hook_table *table;
        unsigned index;
        atomic_ulong *calls;
        atomic_bool *failed;
} churn;

static int count_atomic(ph_hub *hub, const ph_hook_event *event, void *userdata) {
        atomic_fetch_add((atomic_ulong *) userdata, 1);
        return 0;
}

static void *churn_thread(void *userdata) {
        churn *c = userdata;

        for (unsigned i = 0; i < CHURN_ROUNDS; i++) {
                char id[32];

                snprintf(id, sizeof id, "t%u-%u", c->index, i);
                if (hook_table_register(c->table, PH_HOOK_CHILDREN_MIGRATED,
                                        &(ph_hook_handler) {
                                                .id = id, .fn = count_atomic, .userdata = c->calls, .priority = (int) i % 7 },
                                        1) != 0 ||
                    hook_table_cancel(c->table, PH_HOOK_CHILDREN_MIGRATED, (const char *[]) { id }, 1) != 0)
                        atomic_store(c->failed, true);
        }
        return NULL;
}

static void test_concurrent_churn(void **state) {
        _cleanup_(hook_table_freep) hook_table *t = NULL;
        atomic_ulong base_calls = 0, churn_calls = 0;
        atomic_bool failed = false;
        churn c[CHURN_THREADS];
        pthread_t threads[CHURN_THREADS];
        unsigned long dispatches = 0;

        assert_int_equal(hook_table_new(&t), 0);
        assert_int_equal(hook_table_register(t, PH_HOOK_CHILDREN_MIGRATED,
                                             &(ph_hook_handler) { .id = "base", .fn = count_atomic, .userdata = &base_calls },
                                             1),
                         0);
        for (unsigned i = 0; i < CHURN_THREADS; i++) {
                c[i] = (churn) { .table = t, .index = i, .calls = &churn_calls, .failed = &failed };
                assert_int_equal(pthread_create(&threads[i], NULL, churn_thread, &c[i]), 0);
        }
        /* Dispatch until every thread is through, and a few times more. */
        bool joined[CHURN_THREADS] = {};
        for (unsigned n_joined = 0, extra = 0; extra < 10; dispatches++) {
                assert_int_equal(hook_table_dispatch(t, NULL, &(ph_hook_event) { .key = PH_HOOK_CHILDREN_MIGRATED }), 0);
                for (unsigned i = 0; i < CHURN_THREADS; i++)
                        if (!joined[i] && pthread_tryjoin_np(threads[i], NULL) == 0) {
                                joined[i] = true;
                                n_joined++;
                        }
                if (n_joined == CHURN_THREADS)
                        extra++;
        }
        assert_false(atomic_load(&failed));
        /* "base" was there for every dispatch, exactly once each. */
        assert_int_equal(atomic_load(&base_calls), dispatches);

        /* Only "base" is left. */
        atomic_store(&churn_calls, 0);
        assert_int_equal(hook_table_dispatch(t, NULL, &(ph_hook_event) { .key = PH_HOOK_CHILDREN_MIGRATED }), 0);
        assert_int_equal(atomic_load(&churn_calls), 0);
        assert_int_equal(atomic_load(&base_calls), dispatches + 1);
}

static void test_bad_arguments(void **state) {
        _cleanup_(hook_table_freep) hook_table *t = NULL;
        int n = 0;
        ph_hook_handler good = { .id = "good", .fn = count_call, .userdata = &n };
        const char *ids[] = { "good" };

        assert_int_equal(hook_table_new(NULL), -EINVAL);
        assert_null(hook_table_free(NULL));
        assert_int_equal(hook_table_new(&t), 0);

        assert_int_equal(hook_table_register(NULL, PH_HOOK_PRE_CLUSTER_JOIN, &good, 1), -EINVAL);
        assert_int_equal(hook_table_register(t, _PH_HOOK_KEY_MAX, &good, 1), -EINVAL);
        assert_int_equal(hook_table_register(t, _PH_HOOK_KEY_INVALID, &good, 1), -EINVAL);
        assert_int_equal(hook_table_register(t, PH_HOOK_PRE_CLUSTER_JOIN, NULL, 1), -EINVAL);
        assert_int_equal(hook_table_register(t, PH_HOOK_PRE_CLUSTER_JOIN, &good, 0), -EINVAL);
        assert_int_equal(hook_table_register(t, PH_HOOK_PRE_CLUSTER_JOIN,
                                             (ph_hook_handler[]) { good, { .id = NULL, .fn = count_call } }, 2),
                         -EINVAL);
        assert_int_equal(hook_table_register(t, PH_HOOK_PRE_CLUSTER_JOIN,
                                             (ph_hook_handler[]) { good, { .id = "", .fn = count_call } }, 2),
                         -EINVAL);
        assert_int_equal(hook_table_register(t, PH_HOOK_PRE_CLUSTER_JOIN,
                                             (ph_hook_handler[]) { good, { .id = "nofn" } }, 2),
                         -EINVAL);
        /* A bad handler beside a duplicate: the argument error wins. */
        assert_int_equal(hook_table_register(t, PH_HOOK_PRE_CLUSTER_JOIN,
                                             (ph_hook_handler[]) { good, good, { .id = "nofn" } }, 3),
                         -EINVAL);
        /* None of those registered "good". */
        assert_false(hook_table_has_handlers(t, PH_HOOK_PRE_CLUSTER_JOIN));

        assert_int_equal(hook_table_register(t, PH_HOOK_PRE_CLUSTER_JOIN, &good, 1), 0);
        assert_int_equal(hook_table_cancel(NULL, PH_HOOK_PRE_CLUSTER_JOIN, ids, 1), -EINVAL);
        assert_int_equal(hook_table_cancel(t, _PH_HOOK_KEY_MAX, ids, 1), -EINVAL);
        assert_int_equal(hook_table_cancel(t, _PH_HOOK_KEY_INVALID, ids, 1), -EINVAL);
        assert_int_equal(hook_table_cancel(t, PH_HOOK_PRE_CLUSTER_JOIN, NULL, 1), -EINVAL);
        assert_int_equal(hook_table_cancel(t, PH_HOOK_PRE_CLUSTER_JOIN, ids, 0), -EINVAL);
        assert_int_equal(hook_table_cancel(t, PH_HOOK_PRE_CLUSTER_JOIN, (const char *[]) { "good", NULL }, 2),
                         -EINVAL);
        assert_int_equal(hook_table_cancel(t, PH_HOOK_PRE_CLUSTER_JOIN, (const char *[]) { "good", "" }, 2), -EINVAL);
        /* Nothing was removed by the bad calls. */
        assert_true(hook_table_has_handlers(t, PH_HOOK_PRE_CLUSTER_JOIN));

        assert_int_equal(hook_table_dispatch(NULL, NULL, &(ph_hook_event) { .key = PH_HOOK_PRE_CLUSTER_JOIN }), -EINVAL);
        assert_int_equal(hook_table_dispatch(t, NULL, NULL), -EINVAL);
        assert_int_equal(hook_table_dispatch(t, NULL, &(ph_hook_event) { .key = _PH_HOOK_KEY_MAX }), -EINVAL);
        assert_int_equal(hook_table_dispatch(t, NULL, &(ph_hook_event) { .key = _PH_HOOK_KEY_INVALID }), -EINVAL);
        assert_int_equal(n, 0);
        assert_int_equal(hook_table_dispatch(t, NULL, &(ph_hook_event) { .key = PH_HOOK_PRE_CLUSTER_JOIN }), 0);
        assert_int_equal(n, 1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_priority_order),
                cmocka_unit_test(test_duplicate_ids),
                cmocka_unit_test(test_cancel),
                cmocka_unit_test(test_change_during_dispatch),
                cmocka_unit_test(test_alter_stops_at_first_failure),
                cmocka_unit_test(test_handler_arguments),
                cmocka_unit_test(test_has_handlers),
                cmocka_unit_test(test_key_strings),
                cmocka_unit_test(test_concurrent_churn),
                cmocka_unit_test(test_bad_arguments),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
