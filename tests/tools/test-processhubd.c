/* SPDX-License-Identifier: MIT */
/* processhubd end to end: a real daemon per test on a temporary socket and
 * state directory, spoken to over the raw socket (newline JSON), with real
 * children in real cgroups. Needs root (cgroups, clone3 into them). */
#include <grp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/prctl.h>

#include <cmocka.h>

#include "daemon-fixture.h"

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

static char prefix[32];  /* every hub of this run starts with it */
static fx_daemon daemon_under_test;

static const char *hub_name(const char *suffix) {
        static char names[8][64];
        static unsigned next;
        char *s = names[next++ % 8];

        snprintf(s, 64, "%s-%s", prefix, suffix);
        return s;
}

static int setup(void **state) {
        if (fx_daemon_init(&daemon_under_test) < 0)
                return -1;
        *state = &daemon_under_test;
        return 0;
}

static int teardown(void **state) {
        fx_daemon *d = *state;

        if (d->pid > 0)
                fx_print_log(d);
        fx_daemon_cleanup(d, prefix);
        return 0;
}

static fx_daemon *start_daemon(void **state, const char *const *args, const char *const *env) {
        fx_daemon *d = *state;

        assert_int_equal(fx_daemon_spawn(d, args, env), 0);
        if (!fx_daemon_wait_socket(d, 10000)) {
                fx_print_log(d);
                fail_msg("processhubd did not listen on %s", d->socket);
        }
        return d;
}

static void stop_daemon(fx_daemon *d) {
        assert_int_equal(kill(d->pid, SIGTERM), 0);
        int code = fx_daemon_wait_exit(d, 20000);
        /* Sanitizer builds: UBSan reports do not change the exit code. */
        bool sanitizer = fx_log_contains(d, "runtime error:", 0) || fx_log_contains(d, "Sanitizer", 0);
        if (code != 0 || sanitizer)
                fx_print_log(d);
        assert_int_equal(code, 0);
        assert_false(sanitizer);
}

static json_object *call_ok(fx_client *c, const char *hub, const char *op, const char *args) {
        json_object *r = fx_call(c, hub, op, args, 15000);

        if (!r)
                fail_msg("%s: no reply", op);
        if (!fx_ok(r))
                fail_msg("%s %s: %s", op, args ?: "", json_object_to_json_string(r));
        return r;
}

static void expect_error(fx_client *c, const char *hub, const char *op, const char *args, int error, const char *text) {
        json_object *r = fx_call(c, hub, op, args, 15000);

        if (!r)
                fail_msg("%s: no reply", op);
        if (fx_errno(r) != error)
                fail_msg("%s %s: expected errno %d, got %s", op, args ?: "", error, json_object_to_json_string(r));
        assert_non_null(fx_get_string(r, "error.code"));
        if (text && !strstr(fx_get_string(r, "error.message") ?: "", text))
                fail_msg("%s: message without '%s': %s", op, text, json_object_to_json_string(r));
        json_object_put(r);
}

static void hello_works(fx_daemon *d) {
        fx_client c;

        assert_int_equal(fx_client_open(&c, d->socket), 0);
        json_object *r = call_ok(&c, NULL, "hello", NULL);
        assert_int_equal(fx_get_int(r, "result.version"), 1);
        json_object_put(r);
        fx_client_close(&c);
}

/* ---- Configuration errors -------------------------------------------- */

typedef struct bad_config {
        const char *text;
        const char *expect; /* after "<path>" */
} bad_config;

static void test_config_errors(void **state) {
        static const bad_config cases[] = {
                { "[hub h]\ndsup_max_restarts = x\n", ":2: dsup_max_restarts: not a number: 'x'" },
                { "[hub h]\n\n# comment\nbogus_key = 1\n", ":4: bogus_key: unknown key for a hub" },
                { "[hub h]\n[child h/c]\nexec = true\nrestart = sometimes\n", ":4: restart: not one of permanent" },
                { "[hub h]\ndistribution_strategy = guided\n",
                  ":2: distribution_strategy: 'guided' is not implemented yet; implemented now: consistent_hashing" },
                { "[hub h]\nredundancy_strategy = nonsense\n", ":2: redundancy_strategy: unknown strategy 'nonsense'" },
                { "[child nohub/c]\nexec = true\n", ":1: [child nohub/c]: no [hub nohub] section" },
                { "[hub h]\nmemory_max = lots\n", ":2: memory_max: not a size" },
                { "[hub h]\ncpu_weight = 0\n", ":2: cpu_weight: out of range (1..10000)" },
                { "[hub h]\n[child h/c]\nexec = sh -c 'unterminated\n", ":3: exec: unterminated '...' quote" },
                { "[daemon]\nsocket_mode = 1\n", ":2: socket_mode: unknown key for [daemon]" },
                { "[weird]\n", ":1: unknown section [weird]" },
                { "[hub h]\n[child h/c]\ncwd = /\n", ":2: exec: child h/c: needs a command" },
                { "stray = 1\n", ":1: stray: outside of any section" },
                { "[hub h]\nthis line is not ini\n", ":2: syntax error" },
                { "[hub h]\n[hub h]\n", ":2: [hub h]: given twice" },
                { "[hub h]\n[child h/c]\nexec = true\nshutdown_timeout = 5 parsecs\n", ":4: shutdown_timeout: not a duration" },
                { "[hub h]\n[child h/c]\nexec = true\nenv = NOEQUALS\n", ":4: env: not KEY=VALUE: 'NOEQUALS'" },
        };
        fx_daemon *d = *state;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char name[32], expect[512];
                snprintf(name, sizeof name, "bad-%zu.conf", i);
                const char *path = fx_write_file(d, name, "%s", cases[i].text);
                assert_non_null(path);
                snprintf(expect, sizeof expect, "%s%s", path, cases[i].expect);
                fx_truncate_log(d);
                assert_int_equal(fx_daemon_spawn(d, (const char *const[]) { "--config", path, NULL }, NULL), 0);
                int code = fx_daemon_wait_exit(d, 10000);
                if (code != 2 || !fx_log_contains(d, expect, 0)) {
                        fx_print_log(d);
                        fail_msg("case %zu: exit %d, expected 2 and '%s'", i, code, expect);
                }
                assert_int_equal(access(d->socket, F_OK), -1);
        }

        /* The command line names the flag. */
        static const struct {
                const char *args[8];
                const char *expect;
        } flags[] = {
                { { "--no-config", "--hub", "h", "--set", "dsup_max_seconds=x", NULL },
                  "--set dsup_max_seconds=x: dsup_max_seconds: not a number: 'x'" },
                { { "--no-config", "--child", "c=true", NULL }, "--child c=true: needs a --hub before it" },
                { { "--no-config", "--hub", "h", "--child", "c", NULL }, "--child c: not ID=COMMAND" },
                { { "--no-config", "--hub", "h", "--child", "c=true", "--set", "ready=maybe", NULL },
                  "--set ready=maybe: ready: not one of exec, notify" },
                { { "--config", "/nonexistent/processhubd.conf", NULL }, "/nonexistent/processhubd.conf: cannot read" },
                { { "--no-such-flag", NULL }, "unrecognized option" },
        };
        for (size_t i = 0; i < ELEMENTSOF(flags); i++) {
                fx_truncate_log(d);
                assert_int_equal(fx_daemon_spawn(d, flags[i].args, NULL), 0);
                int code = fx_daemon_wait_exit(d, 10000);
                if (code != 2 || !fx_log_contains(d, flags[i].expect, 0)) {
                        fx_print_log(d);
                        fail_msg("flags %zu: exit %d, expected 2 and '%s'", i, code, flags[i].expect);
                }
        }
}

/* ---- A hub from flags alone, and the operations' shapes --------------- */

static void test_hub_from_flags(void **state) {
        const char *hub = hub_name("flags");
        fx_daemon *d = start_daemon(state, (const char *const[]) { "--no-config", "--hub", hub, NULL }, NULL);
        fx_client c;

        assert_int_equal(fx_client_open(&c, d->socket), 0);
        json_object *r = call_ok(&c, NULL, "hello", NULL);
        assert_string_equal(fx_get_string(r, "result.daemon"), "0.1.0");
        assert_int_equal(json_object_array_length(fx_get(r, "result.hubs")), 1);
        assert_string_equal(fx_get_string(r, "result.hubs.0"), hub);
        json_object_put(r);
        assert_true(fx_cgroup_count_hubs(hub) > 0);
        fx_client_close(&c);
        stop_daemon(d);
        assert_int_equal(fx_cgroup_count_hubs(hub), 0);
}

/* Where the exit tracer cannot run (here: forbidden through
 * PROCESSHUB_NO_BPF), the daemon says so once, shows it in status, and
 * supervises all the same. */
static void test_without_bpf(void **state) {
        const char *hub = hub_name("nobpf");
        fx_daemon *d = start_daemon(state, (const char *const[]) { "--no-config", "--hub", hub, NULL },
                                    (const char *const[]) { "PROCESSHUB_NO_BPF=1", NULL });
        fx_client c;

        assert_true(fx_log_contains(d, "kernel exit tracer (BPF) inactive: disabled by PROCESSHUB_NO_BPF", 5000));
        assert_int_equal(fx_client_open(&c, d->socket), 0);
        json_object *r = call_ok(&c, hub, "status", NULL);
        assert_string_equal(fx_get_string(r, "result.kernel.bpf"), "inactive: disabled by PROCESSHUB_NO_BPF");
        json_object_put(r);
        r = call_ok(&c, hub, "start",
                    "{\"await\":true,\"specs\":[{\"id\":\"plain\",\"argv\":[\"/bin/sleep\",\"30\"]}]}");
        assert_string_equal(fx_get_string(r, "result.status"), "ok");
        pid_t pid = (pid_t) fx_get_int(r, "result.started.0.instances.0.pid");
        json_object_put(r);
        assert_true(pid > 0 && kill(pid, 0) == 0);
        fx_client_close(&c);
        stop_daemon(d);
        assert_int_equal(fx_cgroup_count_hubs(hub), 0);
}

static pid_t wait_pid(fx_client *c, const char *hub, const char *id) {
        char args[128];

        snprintf(args, sizeof args, "{\"id\":\"%s\"}", id);
        for (unsigned i = 0; i < 200; i++) {
                json_object *r = fx_call(c, hub, "pid", args, 5000);
                pid_t pid = fx_ok(r) ? (pid_t) fx_get_int(r, "result.pid") : 0;
                json_object_put(r);
                if (pid > 0)
                        return pid;
                fx_sleep_ms(25);
        }
        return 0;
}

static json_object *find_by_id(json_object *array, const char *id) {
        for (size_t i = 0; array && i < json_object_array_length(array); i++) {
                json_object *e = json_object_array_get_idx(array, i);
                const char *x = fx_get_string(e, "id");
                if (x && strcmp(x, id) == 0)
                        return e;
        }
        return NULL;
}

static void test_operations(void **state) {
        const char *hub = hub_name("ops");
        fx_daemon *d = start_daemon(state,
                                    (const char *const[]) { "--no-config", "--hub", hub, "--child", "tick=sleep 1000", "--set",
                                                            "tag=static", "--set", "metadata=k=v", NULL },
                                    NULL);
        fx_client c;
        json_object *r;

        assert_int_equal(fx_client_open(&c, d->socket), 0);
        assert_true(wait_pid(&c, hub, "tick") > 0);

        /* start, awaited */
        r = call_ok(&c, hub, "start",
                    "{\"specs\":[{\"id\":\"a1\",\"argv\":[\"sleep\",\"1000\"],\"limits\":{\"memory_max\":\"64M\"}}],"
                    "\"await\":true,\"metadata\":{\"tag\":\"grp\",\"values\":{\"x\":\"y\"}}}");
        assert_string_equal(fx_get_string(r, "result.status"), "ok");
        assert_string_equal(fx_get_string(r, "result.started.0.id"), "a1");
        pid_t a1 = (pid_t) fx_get_int(r, "result.started.0.instances.0.pid");
        assert_true(a1 > 0);
        assert_true(pid_alive(a1));
        assert_non_null(fx_get_string(r, "result.started.0.instances.0.node"));
        assert_int_equal(json_object_array_length(fx_get(r, "result.errors")), 0);
        assert_false(json_object_get_boolean(fx_get(r, "result.rollback")));
        json_object_put(r);

        /* start, not awaited */
        r = call_ok(&c, hub, "start", "{\"specs\":[{\"id\":\"a2\",\"argv\":[\"sleep\",\"1000\"]}]}");
        assert_string_equal(fx_get_string(r, "result.status"), "initiated");
        json_object_put(r);
        pid_t a2 = wait_pid(&c, hub, "a2");
        assert_true(a2 > 0);

        /* again: the library's -EEXIST and its text */
        expect_error(&c, hub, "start", "{\"specs\":[{\"id\":\"a1\",\"argv\":[\"true\"]}]}", EEXIST, "a1");
        /* a bad spec names the field */
        expect_error(&c, hub, "start", "{\"specs\":[{\"id\":\"bad\"}]}", EINVAL, "args.specs[0].argv: missing");
        expect_error(&c, hub, "start", "{\"specs\":[{\"id\":\"bad\",\"argv\":[\"x\"],\"restart\":\"never\"}]}", EINVAL,
                     "args.specs[0].restart");

        /* ls */
        r = call_ok(&c, hub, "ls", NULL);
        json_object *list = fx_get(r, "result");
        assert_int_equal(json_object_array_length(list), 3);
        json_object *e = find_by_id(list, "a1");
        assert_non_null(e);
        assert_string_equal(fx_get_string(e, "tag"), "grp");
        assert_int_equal(fx_get_int(e, "instances.0.pid"), a1);
        assert_string_equal(fx_get_string(find_by_id(list, "tick"), "tag"), "static");
        assert_non_null(fx_get(find_by_id(list, "a2"), "tag") == NULL ? (void *) 1 : (void *) 1);
        json_object_put(r);
        r = call_ok(&c, hub, "ls", "{\"scope\":\"local\"}");
        assert_int_equal(json_object_array_length(fx_get(r, "result")), 3);
        json_object_put(r);
        expect_error(&c, hub, "ls", "{\"scope\":\"everywhere\"}", EINVAL, "args.scope");

        /* lookup */
        r = call_ok(&c, hub, "lookup", "{\"id\":\"a1\",\"with_metadata\":true}");
        assert_string_equal(fx_get_string(r, "result.id"), "a1");
        assert_string_equal(fx_get_string(r, "result.tag"), "grp");
        assert_string_equal(fx_get_string(r, "result.spec.argv.0"), "sleep");
        assert_string_equal(fx_get_string(r, "result.spec.restart"), "permanent");
        assert_string_equal(fx_get_string(r, "result.spec.ready"), "exec");
        assert_int_equal(fx_get_int(r, "result.spec.limits.memory_max"), 64 << 20);
        assert_int_equal(fx_get_int(r, "result.spec.shutdown_timeout_ms"), 5000);
        assert_string_equal(fx_get_string(r, "result.metadata.x"), "y");
        assert_int_equal(fx_get_int(r, "result.instances.0.pid"), a1);
        json_object_put(r);
        r = call_ok(&c, hub, "lookup", "{\"id\":\"tick\"}");
        assert_null(fx_get(r, "result.metadata"));
        assert_string_equal(fx_get_string(r, "result.spec.argv.1"), "1000");
        json_object_put(r);
        expect_error(&c, hub, "lookup", "{\"id\":\"nope\"}", ENOENT, "nope");
        expect_error(&c, hub, "lookup", NULL, EINVAL, "args.id");

        /* pid, pids */
        r = call_ok(&c, hub, "pid", "{\"id\":\"a1\"}");
        assert_string_equal(fx_get_string(r, "result.id"), "a1");
        assert_int_equal(fx_get_int(r, "result.pid"), a1);
        json_object_put(r);
        r = call_ok(&c, hub, "pids", "{\"id\":\"a1\"}");
        assert_string_equal(fx_get_string(r, "result.id"), "a1");
        assert_int_equal(fx_get_int(r, "result.instances.0.pid"), a1);
        json_object_put(r);
        expect_error(&c, hub, "pid", "{\"id\":\"nope\"}", ENOENT, NULL);

        /* tag */
        r = call_ok(&c, hub, "tag", "{\"tag\":\"grp\"}");
        assert_int_equal(json_object_array_length(fx_get(r, "result")), 1);
        assert_string_equal(fx_get_string(r, "result.0.id"), "a1");
        json_object_put(r);
        r = call_ok(&c, hub, "tag", "{\"tag\":\"static\"}");
        assert_string_equal(fx_get_string(r, "result.0.id"), "tick");
        json_object_put(r);

        /* dump: every info with spec and metadata */
        r = call_ok(&c, hub, "dump", NULL);
        assert_int_equal(json_object_array_length(fx_get(r, "result")), 3);
        e = find_by_id(fx_get(r, "result"), "tick");
        assert_non_null(e);
        assert_string_equal(fx_get_string(e, "metadata.k"), "v");
        assert_string_equal(fx_get_string(e, "spec.id"), "tick");
        json_object_put(r);

        /* which */
        r = call_ok(&c, hub, "which", NULL);
        assert_int_equal(json_object_array_length(fx_get(r, "result")), 3);
        e = find_by_id(fx_get(r, "result"), "a1");
        assert_string_equal(fx_get_string(e, "state"), "running");
        assert_int_equal(fx_get_int(e, "pid"), a1);
        assert_int_equal(fx_get_int(e, "restarts"), 0);
        assert_true(json_object_object_get_ex(e, "last_exit", NULL));
        assert_true(json_object_object_get_ex(e, "failure", NULL));
        json_object_put(r);

        /* nodes, status */
        r = call_ok(&c, hub, "nodes", "{\"include_local\":true}");
        assert_int_equal(json_object_array_length(fx_get(r, "result")), 1);
        json_object_put(r);
        r = call_ok(&c, hub, "nodes", NULL);
        assert_int_equal(json_object_array_length(fx_get(r, "result")), 0);
        json_object_put(r);
        r = call_ok(&c, hub, "status", NULL);
        assert_string_equal(fx_get_string(r, "result.hub"), hub);
        assert_non_null(fx_get_string(r, "result.node"));
        assert_true(json_object_get_boolean(fx_get(r, "result.alive")));
        assert_false(json_object_get_boolean(fx_get(r, "result.locked")));
        assert_false(json_object_get_boolean(fx_get(r, "result.partitioned")));
        assert_int_equal(json_object_array_length(fx_get(r, "result.nodes")), 1);
        assert_int_equal(fx_get_int(r, "result.children"), 3);
        /* "active", or "inactive: <why>" where BPF cannot load. */
        const char *bpf = fx_get_string(r, "result.kernel.bpf");
        assert_non_null(bpf);
        assert_true(strcmp(bpf, "active") == 0 || strncmp(bpf, "inactive: ", 10) == 0);
        assert_string_equal(fx_get_string(r, "result.kernel.netlink"), "idle: no cluster interface (single host)");
        json_object_put(r);

        /* promote renames the local node everywhere */
        r = call_ok(&c, hub, "promote", "{\"node\":\"pnode\"}");
        assert_string_equal(fx_get_string(r, "result.node"), "pnode");
        json_object_put(r);
        r = call_ok(&c, hub, "pids", "{\"id\":\"a1\"}");
        assert_string_equal(fx_get_string(r, "result.instances.0.node"), "pnode");
        json_object_put(r);

        /* stop, awaited and not */
        r = call_ok(&c, hub, "stop", "{\"ids\":[\"a1\"],\"await\":true}");
        assert_string_equal(fx_get_string(r, "result.status"), "ok");
        assert_string_equal(fx_get_string(r, "result.stopped.0.id"), "a1");
        assert_string_equal(fx_get_string(r, "result.stopped.0.nodes.0"), "pnode");
        assert_int_equal(json_object_array_length(fx_get(r, "result.errors")), 0);
        json_object_put(r);
        assert_false(pid_alive(a1));
        expect_error(&c, hub, "pid", "{\"id\":\"a1\"}", ENOENT, NULL);
        r = call_ok(&c, hub, "last_exit", "{\"id\":\"a1\"}");
        assert_string_equal(fx_get_string(r, "result.id"), "a1");
        assert_string_equal(fx_get_string(r, "result.last_exit"), "stopped");
        json_object_put(r);
        r = call_ok(&c, hub, "stop", "{\"ids\":[\"a2\"]}");
        assert_string_equal(fx_get_string(r, "result.status"), "initiated");
        json_object_put(r);
        for (unsigned i = 0; i < 200 && pid_alive(a2); i++)
                fx_sleep_ms(25);
        assert_false(pid_alive(a2));
        expect_error(&c, hub, "stop", "{\"ids\":[]}", EINVAL, "args.ids");

        /* an unknown hub lists the ones there are */
        expect_error(&c, "nosuchhub", "ls", NULL, ENOENT, hub);

        fx_client_close(&c);
        stop_daemon(d);
}

/* ---- watch and hook commands ------------------------------------------ */

static json_object *read_event(fx_client *c, const char *key, const char *child, unsigned timeout_ms) {
        uint64_t end = fx_now_ms() + timeout_ms;

        while (fx_now_ms() < end) {
                json_object *o = fx_read(c, (unsigned) (end - fx_now_ms()));
                if (!o)
                        return NULL;
                const char *k = fx_get_string(o, "event.key");
                const char *id = fx_get_string(o, "event.child_id");
                if (k && strcmp(k, key) == 0 && (!child || (id && strcmp(id, child) == 0)))
                        return o;
                json_object_put(o);
        }
        return NULL;
}

static void test_watch(void **state) {
        const char *hub = hub_name("watch");
        fx_daemon *d = start_daemon(state, (const char *const[]) { "--no-config", "--hub", hub, NULL }, NULL);
        fx_client c1, c2;

        assert_int_equal(fx_client_open(&c1, d->socket), 0);
        assert_int_equal(fx_client_open(&c2, d->socket), 0);
        json_object *r = call_ok(&c2, NULL, "watch", "{\"keys\":[\"registry_pid_insert\",\"registry_pid_remove\"]}");
        assert_int_equal(json_object_array_length(fx_get(r, "result.watching")), 2);
        json_object_put(r);
        expect_error(&c2, NULL, "watch", "{\"keys\":[\"no_such_key\"]}", EINVAL, "no_such_key");

        r = call_ok(&c1, NULL, "start", "{\"specs\":[{\"id\":\"w1\",\"argv\":[\"sleep\",\"1000\"]}],\"await\":true}");
        int64_t pid = fx_get_int(r, "result.started.0.instances.0.pid");
        json_object_put(r);

        json_object *ev = read_event(&c2, "registry_pid_insert", "w1", 10000);
        assert_non_null(ev);
        assert_int_equal(fx_get_int(ev, "v"), 1);
        assert_string_equal(fx_get_string(ev, "event.hub"), hub);
        assert_int_equal(fx_get_int(ev, "event.instances.0.pid"), pid);
        assert_true(fx_get_int(ev, "event.time_us") > 0);
        json_object_put(ev);

        r = call_ok(&c1, NULL, "stop", "{\"ids\":[\"w1\"],\"await\":true}");
        json_object_put(r);
        ev = read_event(&c2, "registry_pid_remove", "w1", 10000);
        assert_non_null(ev);
        assert_non_null(fx_get_string(ev, "event.node"));
        json_object_put(ev);

        fx_client_close(&c1);
        fx_client_close(&c2);
        stop_daemon(d);
}

static void test_hook_command(void **state) {
        const char *hub = hub_name("hook");
        fx_daemon *d = start_daemon(state, (const char *const[]) { "--no-config", "--hub", hub, NULL }, NULL);
        char out[256], args[1024];
        fx_client c;

        snprintf(out, sizeof out, "%s/hook.json", d->dir);
        snprintf(args, sizeof args,
                 "{\"key\":\"registry_pid_insert\",\"id\":\"rec\",\"argv\":[\"sh\",\"-c\",\"cat > %s.tmp && mv %s.tmp %s\"]}",
                 out, out, out);
        assert_int_equal(fx_client_open(&c, d->socket), 0);
        json_object *r = call_ok(&c, NULL, "hook_add", args);
        assert_string_equal(fx_get_string(r, "result.key"), "registry_pid_insert");
        assert_string_equal(fx_get_string(r, "result.id"), "rec");
        json_object_put(r);
        expect_error(&c, NULL, "hook_add", args, EEXIST, "rec");
        expect_error(&c, NULL, "hook_add", "{\"key\":\"registry_pid_insert\",\"id\":\"x\",\"argv\":[]}", EINVAL, "argv");
        /* A command that fails is logged, and the others still run. */
        r = call_ok(&c, NULL, "hook_add", "{\"key\":\"registry_pid_insert\",\"id\":\"failing\",\"argv\":[\"false\"],\"priority\":5}");
        json_object_put(r);

        r = call_ok(&c, NULL, "start", "{\"specs\":[{\"id\":\"h1\",\"argv\":[\"sleep\",\"1000\"]}],\"await\":true}");
        int64_t pid = fx_get_int(r, "result.started.0.instances.0.pid");
        json_object_put(r);

        json_object *ev = NULL;
        for (unsigned i = 0; i < 400 && !ev; i++) {
                if (access(out, F_OK) == 0)
                        ev = json_object_from_file(out);
                else
                        fx_sleep_ms(25);
        }
        assert_non_null(ev);
        assert_string_equal(fx_get_string(ev, "key"), "registry_pid_insert");
        assert_string_equal(fx_get_string(ev, "child_id"), "h1");
        assert_string_equal(fx_get_string(ev, "hub"), hub);
        assert_int_equal(fx_get_int(ev, "instances.0.pid"), pid);
        json_object_put(ev);
        assert_true(fx_log_contains(d, "hook command failing (false, for registry_pid_insert) exited with code 1", 5000));

        r = call_ok(&c, NULL, "hook_rm", "{\"key\":\"registry_pid_insert\",\"ids\":[\"rec\",\"failing\",\"unknown\"]}");
        assert_int_equal(fx_get_int(r, "result.removed"), 2);
        json_object_put(r);

        /* The hub's last events, as it stops, run their commands too, and
         * the daemon waits for them (a while) before it exits. */
        char removed[256];
        snprintf(removed, sizeof removed, "%s/removed.json", d->dir);
        snprintf(args, sizeof args,
                 "{\"key\":\"registry_pid_remove\",\"id\":\"rm\",\"argv\":[\"sh\",\"-c\",\"sleep 0.3; cat > %s\"]}", removed);
        r = call_ok(&c, NULL, "hook_add", args);
        json_object_put(r);
        fx_client_close(&c);
        stop_daemon(d);
        ev = json_object_from_file(removed);
        assert_non_null(ev);
        assert_string_equal(fx_get_string(ev, "child_id"), "h1");
        json_object_put(ev);
}

/* A watcher that stops reading: its events are dropped, it gets the
 * overflow event and is closed; everyone else is served. */
#define N_FLOOD 400
#define FLOOD_ARG 16384

static void test_watch_overflow(void **state) {
        const char *hub = hub_name("flood");
        fx_daemon *d = start_daemon(state, (const char *const[]) { "--no-config", "--hub", hub, NULL }, NULL);
        fx_client c, w;

        assert_int_equal(fx_client_open(&c, d->socket), 0);
        assert_int_equal(fx_client_open(&w, d->socket), 0);
        json_object *r = call_ok(&w, NULL, "watch", NULL);
        json_object_put(r);

        /* child_data_alter events carry the whole spec: with a 16 KiB
         * argument ($0 of sh) each, 400 children are some 6.5 MiB of
         * events for the watcher, which does not read. */
        static char big[FLOOD_ARG + 1];
        memset(big, 'x', FLOOD_ARG);
        /* In calls of 50: keeps each request line small. */
        size_t size = 50 * (FLOOD_ARG + 128) + 256;
        char *args = malloc(size);
        assert_non_null(args);
        for (unsigned batch = 0; batch < N_FLOOD / 50; batch++) {
                size_t len = (size_t) snprintf(args, size, "{\"await\":true,\"timeout_ms\":60000,\"specs\":[");
                for (unsigned i = batch * 50; i < (batch + 1) * 50; i++)
                        len += (size_t) snprintf(args + len, size - len,
                                                 "%s{\"id\":\"f%u\",\"argv\":[\"sh\",\"-c\",\"exec sleep 1000\",\"%s\"]}",
                                                 i > batch * 50 ? "," : "", i, big);
                snprintf(args + len, size - len, "]}");
                r = fx_call(&c, NULL, "start", args, 60000);
                assert_true(fx_ok(r));
                assert_string_equal(fx_get_string(r, "result.status"), "ok");
                json_object_put(r);
        }
        free(args);

        /* Now read: events up to the cut, the overflow event, the end. */
        const char *last = NULL;
        unsigned lines = 0;
        for (;;) {
                json_object *o = fx_read(&w, 15000);
                if (!o)
                        break;
                lines++;
                last = fx_get_string(o, "event.key") ? strdup(fx_get_string(o, "event.key")) : NULL;
                json_object_put(o);
                if (last && strcmp(last, "overflow") == 0)
                        break;
                free((char *) last);
                last = NULL;
        }
        assert_non_null(last);
        assert_string_equal(last, "overflow");
        free((char *) last);
        assert_true(fx_wait_eof(&w, 5000));
        fx_client_close(&w);
        assert_true(fx_log_contains(d, "bytes waiting, closing", 0));

        r = call_ok(&c, NULL, "status", NULL);
        assert_int_equal(fx_get_int(r, "result.children"), N_FLOOD);
        json_object_put(r);
        fx_client_close(&c);
        stop_daemon(d);
}

/* ---- Who may connect ------------------------------------------------- */

typedef enum nobody_expects {
        NOBODY_CONNECT_REFUSED, /* connect() fails with EACCES */
        NOBODY_REPLY_REFUSED,   /* an EACCES reply, then EOF */
        NOBODY_ALLOWED,         /* hello answers */
} nobody_expects;

/* In a child as nobody (uid and gid 65534): connect; 0 when it went as
 * expected. */
static int as_nobody(const char *socket_path, nobody_expects expect) {
        pid_t pid = fork();

        if (pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
                        _exit(10);
                fx_client c;
                int r = fx_client_open(&c, socket_path);
                if (expect == NOBODY_CONNECT_REFUSED)
                        _exit(r == -EACCES ? 0 : 11);
                if (r < 0)
                        _exit(12);
                if (expect == NOBODY_ALLOWED) {
                        json_object *o = fx_call(&c, NULL, "hello", NULL, 5000);
                        _exit(fx_ok(o) ? 0 : 16);
                }
                json_object *o = fx_read(&c, 5000);
                if (!o)
                        _exit(13);
                if (fx_errno(o) != EACCES || !strstr(fx_get_string(o, "error.message") ?: "", "uid 65534"))
                        _exit(14);
                _exit(fx_wait_eof(&c, 5000) ? 0 : 15);
        }
        int st;
        if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
                return -1;
        return WEXITSTATUS(st);
}

static void test_unprivileged(void **state) {
        const char *hub = hub_name("perm");
        fx_daemon *d = start_daemon(state, (const char *const[]) { "--no-config", "--hub", hub, NULL }, NULL);
        struct stat st;

        assert_int_equal(stat(d->socket, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0660);
        /* The mode keeps nobody out at connect() ... */
        assert_int_equal(chmod(d->dir, 0755), 0);
        assert_int_equal(as_nobody(d->socket, NOBODY_CONNECT_REFUSED), 0);
        /* ... and SO_PEERCRED where the mode would let it in. */
        assert_int_equal(chmod(d->socket, 0666), 0);
        assert_int_equal(as_nobody(d->socket, NOBODY_REPLY_REFUSED), 0);
        hello_works(d);
        stop_daemon(d);

        /* A member of the control group may operate (its gid here). */
        d = start_daemon(state, (const char *const[]) { "--no-config", "--hub", hub, "--control-group", "65534", NULL }, NULL);
        assert_int_equal(stat(d->socket, &st), 0);
        assert_int_equal(st.st_gid, 65534);
        assert_int_equal(as_nobody(d->socket, NOBODY_ALLOWED), 0);
        stop_daemon(d);
}

/* ---- Child lifecycle in the log --------------------------------------- */

static void test_lifecycle_log(void **state) {
        const char *hub = hub_name("life");
        fx_daemon *d = start_daemon(state,
                                    (const char *const[]) { "--no-config", "--hub", hub, "--child", "crash=sh -c 'sleep 0.2; exit 3'",
                                                            "--set", "restart_burst=1", "--set", "restart_delay=50ms", NULL },
                                    NULL);

        assert_true(fx_log_contains(d, "child crash: started, pid", 5000));
        assert_true(fx_log_contains(d, "child crash: restarted, pid", 5000));
        assert_true(fx_log_contains(d, "(last exit: exited with code 3)", 0));
        assert_true(fx_log_contains(d, "child crash: failed: restart intensity exceeded", 10000));
        stop_daemon(d);
        assert_true(fx_log_contains(d, "child crash: stopped", 0));
}

/* ---- Bad input --------------------------------------------------------- */

static void test_bad_input(void **state) {
        const char *hub = hub_name("bad");
        fx_daemon *d = start_daemon(state, (const char *const[]) { "--no-config", "--hub", hub, NULL }, NULL);
        static const struct {
                const char *line;
                int error;
                const char *text;
        } cases[] = {
                { "garbage\n", EBADMSG, "not JSON" },
                { "[1,2]\n", EBADMSG, "not a JSON object" },
                { "{\"v\":1,\"id\":3,\"op\":\"frobnicate\"}\n", EOPNOTSUPP, "frobnicate" },
                { "{\"v\":2,\"id\":4,\"op\":\"hello\"}\n", EPROTONOSUPPORT, "protocol version 2 is not supported; this daemon speaks 1" },
                { "{\"id\":5,\"op\":\"hello\"}\n", EINVAL, "v: missing" },
                { "{\"v\":1,\"id\":6}\n", EINVAL, "op" },
                { "{\"v\":1,\"id\":7,\"op\":\"ls\",\"args\":[]}\n", EINVAL, "args: not an object" },
                { "{\"v\":1,\"id\":8,\"op\":\"ls\",\"hub\":7}\n", EINVAL, "hub: not a string" },
                { "{\"v\":1,\"id\":9,\"op\":\"start\",\"args\":{\"specs\":[{\"id\":\"x\",\"argv\":[1]}]}}\n", EINVAL,
                  "args.specs[0].argv[0]: not a string" },
                { "{\"v\":1,\"id\":10,\"op\":\"start\",\"args\":{\"specs\":[{\"id\":\"x\",\"argv\":[\"x\"]}],\"await\":\"yes\"}}\n",
                  EINVAL, "args.await: not a boolean" },
                { "{\"v\":1,\"op\":\"hello\"} trailing\n", EBADMSG, "garbage after" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                fx_client c;
                assert_int_equal(fx_client_open(&c, d->socket), 0);
                assert_int_equal(fx_send_raw(&c, cases[i].line, strlen(cases[i].line)), 0);
                json_object *r = fx_read(&c, 5000);
                if (!r || fx_errno(r) != cases[i].error || !strstr(fx_get_string(r, "error.message") ?: "", cases[i].text))
                        fail_msg("case %zu (%s): %s", i, cases[i].line, r ? json_object_to_json_string(r) : "no reply");
                json_object_put(r);
                /* The connection stays usable. */
                r = call_ok(&c, NULL, "hello", NULL);
                json_object_put(r);
                fx_client_close(&c);
        }

        /* A truncated line, then close: nothing to answer, nothing broken. */
        fx_client c;
        assert_int_equal(fx_client_open(&c, d->socket), 0);
        assert_int_equal(fx_send_raw(&c, "{\"v\":1,\"op\":", 12), 0);
        fx_client_close(&c);
        hello_works(d);

        /* A line in two pieces, the second after a pause (the daemon's
         * read of the first comes back short, and it waits for more), then
         * three lines in one write: each answered, in order. */
        {
                static const char first[] = "{\"v\":1,\"id\":21,\"op\":", second[] = "\"hello\"}\n";
                static const char three[] = "{\"v\":1,\"id\":22,\"op\":\"hello\"}\n"
                                            "{\"v\":1,\"id\":23,\"op\":\"hello\"}\n"
                                            "{\"v\":1,\"id\":24,\"op\":\"hello\"}\n";
                assert_int_equal(fx_client_open(&c, d->socket), 0);
                assert_int_equal(fx_send_raw(&c, first, strlen(first)), 0);
                (void) nanosleep(&(struct timespec) { .tv_nsec = 50 * 1000 * 1000 }, NULL);
                assert_int_equal(fx_send_raw(&c, second, strlen(second)), 0);
                assert_int_equal(fx_send_raw(&c, three, strlen(three)), 0);
                for (int id = 21; id <= 24; id++) {
                        json_object *e = fx_read(&c, 5000);
                        assert_non_null(e);
                        assert_true(fx_ok(e));
                        assert_int_equal(fx_get_int(e, "id"), id);
                        json_object_put(e);
                }
                fx_client_close(&c);
        }

        /* A long line under the bound (a start of many children is one
         * request) is read and answered like any other: here its specs
         * are bad, so EINVAL, and the connection stays open. */
        {
                enum { N_SPECS = 60000 };
                static const char head[] = "{\"v\":1,\"id\":9,\"op\":\"start\",\"args\":{\"specs\":[";
                static const char spec[] = "{\"id\":\"s\",\"argv\":[]},";
                size_t n = strlen(head) + N_SPECS * strlen(spec) + 8;
                char *req = malloc(n), *p = req;
                assert_non_null(req);
                p = stpcpy(p, head);
                for (unsigned i = 0; i < N_SPECS; i++)
                        p = stpcpy(p, spec);
                p[-1] = ']';
                p = stpcpy(p, "}}\n");
                assert_true((size_t) (p - req) > 1024 * 1024);
                assert_int_equal(fx_client_open(&c, d->socket), 0);
                assert_int_equal(fx_send_raw(&c, req, (size_t) (p - req)), 0);
                free(req);
                json_object *e = fx_read(&c, 10000);
                assert_non_null(e);
                assert_int_equal(fx_errno(e), EINVAL);
                json_object_put(e);
                e = call_ok(&c, NULL, "hello", NULL);
                json_object_put(e);
                fx_client_close(&c);
        }

        /* An oversized line: EMSGSIZE, then the daemon closes. */
        size_t big = 32 * 1024 * 1024 + 4096;
        char *line = malloc(big + 1);
        assert_non_null(line);
        memset(line, 'a', big);
        line[big] = '\n';
        assert_int_equal(fx_client_open(&c, d->socket), 0);
        (void) fx_send_raw(&c, line, big + 1);
        free(line);
        json_object *r = fx_read(&c, 5000);
        assert_non_null(r);
        assert_int_equal(fx_errno(r), EMSGSIZE);
        json_object_put(r);
        assert_true(fx_wait_eof(&c, 5000));
        fx_client_close(&c);

        /* Many connections at once, one of them silent. */
        fx_client many[20];
        for (size_t i = 0; i < ELEMENTSOF(many); i++)
                assert_int_equal(fx_client_open(&many[i], d->socket), 0);
        for (size_t i = 1; i < ELEMENTSOF(many); i++) {
                r = call_ok(&many[i], NULL, "hello", NULL);
                json_object_put(r);
        }
        for (size_t i = 0; i < ELEMENTSOF(many); i++)
                fx_client_close(&many[i]);

        hello_works(d);
        stop_daemon(d);
}

/* ---- Reload ------------------------------------------------------------ */

static bool hubs_are(fx_daemon *d, const char *a, const char *b) {
        fx_client c;
        bool ok = false;

        if (fx_client_open(&c, d->socket) < 0)
                return false;
        json_object *r = fx_call(&c, NULL, "hello", NULL, 5000);
        json_object *hubs = fx_get(r, "result.hubs");
        size_t n = hubs ? json_object_array_length(hubs) : 0;
        if (n == (size_t) (!!a + !!b)) {
                ok = true;
                for (size_t i = 0; i < n; i++) {
                        const char *h = json_object_get_string(json_object_array_get_idx(hubs, i));
                        if (!((a && strcmp(h, a) == 0) || (b && strcmp(h, b) == 0)))
                                ok = false;
                }
        }
        json_object_put(r);
        fx_client_close(&c);
        return ok;
}

/* The ids ls gives, sorted and joined by spaces, with their pids. */
static void ls_ids(fx_daemon *d, const char *hub, char *buf, size_t size, pid_t *ret_first_pid) {
        fx_client c;

        buf[0] = 0;
        if (fx_client_open(&c, d->socket) < 0)
                return;
        json_object *r = fx_call(&c, hub, "ls", NULL, 5000);
        json_object *list = fx_get(r, "result");
        for (size_t i = 0; list && json_object_is_type(list, json_type_array) && i < json_object_array_length(list); i++) {
                json_object *e = json_object_array_get_idx(list, i);
                if (i)
                        strncat(buf, " ", size - strlen(buf) - 1);
                strncat(buf, fx_get_string(e, "id") ?: "?", size - strlen(buf) - 1);
                if (i == 0 && ret_first_pid)
                        *ret_first_pid = (pid_t) fx_get_int(e, "instances.0.pid");
        }
        json_object_put(r);
        fx_client_close(&c);
}

static bool wait_ids(fx_daemon *d, const char *hub, const char *want, pid_t *ret_pid) {
        char ids[512];

        for (unsigned i = 0; i < 400; i++) {
                ls_ids(d, hub, ids, sizeof ids, ret_pid);
                if (strcmp(ids, want) == 0 && (!ret_pid || *ret_pid > 0))
                        return true;
                fx_sleep_ms(25);
        }
        fprintf(stderr, "hub %s: children '%s', expected '%s'\n", hub, ids, want);
        return false;
}

static void test_reload(void **state) {
        fx_daemon *d = *state;
        const char *h1 = hub_name("r1"), *h2 = hub_name("r2");
        const char *path = fx_write_file(d, "reload.conf", "[hub %s]\n[child %s/c1]\nexec = sleep 1000\n", h1, h1);
        char conf[256];
        pid_t pid = 0, pid2 = 0;

        snprintf(conf, sizeof conf, "%s", path);
        d = start_daemon(state, (const char *const[]) { "--config", conf, NULL }, NULL);
        assert_true(wait_ids(d, h1, "c1", &pid));
        pid_t c1 = pid;

        /* Add a child and a hub, remove a child. */
        fx_write_file(d, "reload.conf", "[hub %s]\n[child %s/c2]\nexec = sleep 1000\n[hub %s]\n", h1, h1, h2);
        assert_int_equal(kill(d->pid, SIGHUP), 0);
        for (unsigned i = 0; i < 400 && !hubs_are(d, h1, h2); i++)
                fx_sleep_ms(25);
        assert_true(hubs_are(d, h1, h2));
        assert_true(wait_ids(d, h1, "c2", &pid));
        for (unsigned i = 0; i < 200 && pid_alive(c1); i++)
                fx_sleep_ms(25);
        assert_false(pid_alive(c1));

        /* A changed child is stopped and started again. */
        fx_write_file(d, "reload.conf", "[hub %s]\n[child %s/c2]\nexec = sleep 999\n[hub %s]\n", h1, h1, h2);
        assert_int_equal(kill(d->pid, SIGHUP), 0);
        for (unsigned i = 0; i < 400; i++) {
                pid2 = 0;
                if (wait_ids(d, h1, "c2", &pid2) && pid2 != pid)
                        break;
                fx_sleep_ms(25);
        }
        assert_true(pid2 > 0 && pid2 != pid);
        assert_true(fx_log_contains(d, "changed in the configuration", 0));

        /* Remove the second hub. */
        fx_write_file(d, "reload.conf", "[hub %s]\n[child %s/c2]\nexec = sleep 999\n", h1, h1);
        assert_int_equal(kill(d->pid, SIGHUP), 0);
        for (unsigned i = 0; i < 400 && !hubs_are(d, h1, NULL); i++)
                fx_sleep_ms(25);
        assert_true(hubs_are(d, h1, NULL));
        for (unsigned i = 0; i < 400 && fx_cgroup_count_hubs(h2) > 0; i++)
                fx_sleep_ms(25);
        assert_int_equal(fx_cgroup_count_hubs(h2), 0);

        /* A bad configuration keeps the running one, and says why. */
        fx_write_file(d, "reload.conf", "[hub %s]\ndsup_max_restarts = x\n[hub %s]\n", h1, h2);
        assert_int_equal(kill(d->pid, SIGHUP), 0);
        char expect[512];
        snprintf(expect, sizeof expect, "reload: %s:2: dsup_max_restarts: not a number: 'x'; keeping the running configuration",
                 conf);
        assert_true(fx_log_contains(d, expect, 10000));
        assert_true(hubs_are(d, h1, NULL));
        assert_true(wait_ids(d, h1, "c2", &pid));
        assert_int_equal(pid, pid2);
        stop_daemon(d);
}

/* ---- systemd's notify protocol ---------------------------------------- */

static void test_sd_notify(void **state) {
        fx_daemon *d = *state;
        const char *hub = hub_name("notify");
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        char env_socket[256], buf[4096];

        snprintf(sa.sun_path, sizeof sa.sun_path, "%s/notify.sock", d->dir);
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        assert_true(fd >= 0);
        assert_int_equal(bind(fd, (struct sockaddr *) &sa, sizeof sa), 0);
        snprintf(env_socket, sizeof env_socket, "NOTIFY_SOCKET=%s", sa.sun_path);
        d = start_daemon(state, (const char *const[]) { "--no-config", "--hub", hub, "--child", "c=sleep 1000", NULL },
                         (const char *const[]) { env_socket, "WATCHDOG_USEC=200000", NULL });

        bool ready = false, status = false, stopping = false;
        unsigned watchdogs = 0;
        uint64_t first_watchdog = 0, end = fx_now_ms() + 10000;
        while (fx_now_ms() < end && !(ready && status && watchdogs >= 4)) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                if (poll(&p, 1, 100) <= 0)
                        continue;
                ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
                if (n <= 0)
                        continue;
                buf[n] = 0;
                if (strstr(buf, "READY=1"))
                        ready = true;
                if (strstr(buf, "STATUS=1 hub, 1 child"))
                        status = true;
                if (strstr(buf, "WATCHDOG=1")) {
                        if (watchdogs++ == 0)
                                first_watchdog = fx_now_ms();
                }
        }
        assert_true(ready);
        assert_true(status);
        assert_true(watchdogs >= 4);
        /* Half of 200 ms: four pings take about 300 ms, surely under 2 s. */
        assert_true(fx_now_ms() - first_watchdog < 2000);

        assert_int_equal(kill(d->pid, SIGTERM), 0);
        end = fx_now_ms() + 10000;
        while (fx_now_ms() < end && !stopping) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                if (poll(&p, 1, 100) <= 0)
                        continue;
                ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
                if (n > 0) {
                        buf[n] = 0;
                        stopping = strstr(buf, "STOPPING=1") != NULL;
                }
        }
        assert_true(stopping);
        assert_int_equal(fx_daemon_wait_exit(d, 20000), 0);
        close(fd);
}

/* ---- SIGTERM ----------------------------------------------------------- */

static void test_sigterm(void **state) {
        const char *hub = hub_name("term");
        fx_daemon *d = start_daemon(state,
                                    (const char *const[]) { "--no-config", "--hub", hub, "--child", "a=sleep 1000", "--child",
                                                            "b=sh -c 'trap \"\" TERM; sleep 1000'", "--set", "shutdown_timeout=300ms",
                                                            "--child", "c=sleep 1000", NULL },
                                    NULL);
        fx_client c;
        pid_t pids[3];

        assert_int_equal(fx_client_open(&c, d->socket), 0);
        pids[0] = wait_pid(&c, hub, "a");
        pids[1] = wait_pid(&c, hub, "b");
        pids[2] = wait_pid(&c, hub, "c");
        fx_client_close(&c);
        for (size_t i = 0; i < 3; i++)
                assert_true(pids[i] > 0 && pid_alive(pids[i]));
        assert_true(fx_cgroup_count_hubs(hub) > 0);

        stop_daemon(d);
        for (size_t i = 0; i < 3; i++)
                assert_false(pid_alive(pids[i]));
        assert_int_equal(access(d->socket, F_OK), -1);
        assert_int_equal(fx_cgroup_count_hubs(hub), 0);
        assert_true(fx_log_contains(d, "child b: stopped", 0));
}

/* ---- Adoption across a crash ------------------------------------------ */

#define N_ADOPT 1000

static void test_adoption(void **state) {
        const char *hub = hub_name("adopt");
        fx_daemon *d = start_daemon(state, (const char *const[]) { "--no-config", "--hub", hub, NULL }, NULL);
        static pid_t pids[N_ADOPT];
        fx_client c;

        /* 1,000 children in one start. */
        size_t size = N_ADOPT * 64 + 256, len = 0;
        char *args = malloc(size);
        assert_non_null(args);
        len += (size_t) snprintf(args + len, size - len, "{\"await\":true,\"timeout_ms\":60000,\"specs\":[");
        for (unsigned i = 0; i < N_ADOPT; i++)
                len += (size_t) snprintf(args + len, size - len, "%s{\"id\":\"k%u\",\"argv\":[\"sleep\",\"1000\"]}", i ? "," : "", i);
        snprintf(args + len, size - len, "]}");
        assert_int_equal(fx_client_open(&c, d->socket), 0);
        json_object *r = fx_call(&c, NULL, "start", args, 60000);
        free(args);
        assert_non_null(r);
        if (!fx_ok(r) || strcmp(fx_get_string(r, "result.status") ?: "", "ok") != 0)
                fail_msg("start: %.500s", json_object_to_json_string(r));
        json_object *started = fx_get(r, "result.started");
        assert_int_equal(json_object_array_length(started), N_ADOPT);
        for (unsigned i = 0; i < N_ADOPT; i++) {
                json_object *e = json_object_array_get_idx(started, i);
                unsigned k = (unsigned) strtoul(fx_get_string(e, "id") + 1, NULL, 10);
                pids[k] = (pid_t) fx_get_int(e, "instances.0.pid");
                assert_true(pids[k] > 0);
        }
        json_object_put(r);
        fx_client_close(&c);

        /* The hub rewrites its state file coalesced (every 100 ms or
         * more, by the cost of a write): wait until it records every pid,
         * as a child it had not recorded would rightly be started again.
         * The format is hub/state-file.h's. */
        char state_file[256];
        snprintf(state_file, sizeof state_file, "%s/%s.state", d->state, hub);
        bool recorded = false;
        for (unsigned attempt = 0; attempt < 300 && !recorded; attempt++) {
                json_object *st = json_object_from_file(state_file);
                json_object *children = fx_get(st, "children");
                size_t n = children ? json_object_array_length(children) : 0;
                recorded = n == N_ADOPT;
                for (size_t i = 0; recorded && i < n; i++)
                        recorded = fx_get_int(json_object_array_get_idx(children, i), "pid") > 0;
                json_object_put(st);
                if (!recorded)
                        fx_sleep_ms(50);
        }
        assert_true(recorded);

        /* The daemon dies; its children do not. */
        assert_int_equal(kill(d->pid, SIGKILL), 0);
        assert_true(fx_daemon_reap(d, 5000));
        for (unsigned i = 0; i < N_ADOPT; i += 97)
                assert_true(pid_alive(pids[i]));
        /* One dies while no daemon watches. */
        const unsigned victim = 17;
        assert_int_equal(kill(pids[victim], SIGKILL), 0);
        for (unsigned i = 0; i < 200 && pid_alive(pids[victim]); i++)
                fx_sleep_ms(10);
        assert_false(pid_alive(pids[victim]));

        fx_truncate_log(d);
        d = start_daemon(state, (const char *const[]) { "--no-config", "--hub", hub, NULL }, NULL);
        assert_int_equal(fx_client_open(&c, d->socket), 0);
        json_object *list = NULL;
        for (unsigned attempt = 0; attempt < 200; attempt++) {
                r = fx_call(&c, NULL, "ls", NULL, 10000);
                list = fx_get(r, "result");
                size_t n = list ? json_object_array_length(list) : 0;
                bool all = n == N_ADOPT;
                for (size_t i = 0; all && i < n; i++)
                        all = fx_get_int(json_object_array_get_idx(list, i), "instances.0.pid") > 0;
                if (all)
                        break;
                json_object_put(r);
                r = NULL;
                list = NULL;
                fx_sleep_ms(50);
        }
        if (!list) {
                fx_print_log(d);
                fail_msg("not every child is registered again with a pid");
        }
        unsigned same = 0;
        pid_t victim_pid = 0;
        for (size_t i = 0; i < N_ADOPT; i++) {
                json_object *e = json_object_array_get_idx(list, i);
                unsigned k = (unsigned) strtoul(fx_get_string(e, "id") + 1, NULL, 10);
                pid_t pid = (pid_t) fx_get_int(e, "instances.0.pid");
                if (k == victim)
                        victim_pid = pid;
                else if (pid == pids[k])
                        same++;
        }
        json_object_put(r);
        assert_int_equal(same, N_ADOPT - 1);
        assert_true(victim_pid > 0 && victim_pid != pids[victim] && pid_alive(victim_pid));
        fx_client_close(&c);

        stop_daemon(d);
        for (unsigned i = 0; i < N_ADOPT; i += 53)
                assert_false(pid_alive(pids[i]));
        assert_int_equal(fx_cgroup_count_hubs(hub), 0);
}

int main(void) {
        test_require_root();
        test_require_cgroup2();
        snprintf(prefix, sizeof prefix, "phdt%d", (int) getpid());

        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_config_errors, setup, teardown),
                cmocka_unit_test_setup_teardown(test_hub_from_flags, setup, teardown),
                cmocka_unit_test_setup_teardown(test_without_bpf, setup, teardown),
                cmocka_unit_test_setup_teardown(test_operations, setup, teardown),
                cmocka_unit_test_setup_teardown(test_watch, setup, teardown),
                cmocka_unit_test_setup_teardown(test_hook_command, setup, teardown),
                cmocka_unit_test_setup_teardown(test_watch_overflow, setup, teardown),
                cmocka_unit_test_setup_teardown(test_unprivileged, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
                cmocka_unit_test_setup_teardown(test_lifecycle_log, setup, teardown),
                cmocka_unit_test_setup_teardown(test_reload, setup, teardown),
                cmocka_unit_test_setup_teardown(test_sd_notify, setup, teardown),
                cmocka_unit_test_setup_teardown(test_sigterm, setup, teardown),
                cmocka_unit_test_setup_teardown(test_adoption, setup, teardown),
        };
        /* PHD_TEST_FILTER=test_reload runs one (cmocka's glob). */
        if (getenv("PHD_TEST_FILTER"))
                cmocka_set_test_filter(getenv("PHD_TEST_FILTER"));
        return cmocka_run_group_tests(tests, NULL, NULL);
}
