/* SPDX-License-Identifier: MIT */

/* Child specs: defaults, validation naming the bad field, copies, shared
 * blocks with and without the extra fields, conversions to and from the
 * public spec, enum strings, and exit-reason descriptions. No kernel
 * needed. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "child-exit.h"
#include "child-spec.h"
#include "hub-internal.h"

static char *true_argv[] = { "/bin/true", NULL };

static child_spec valid(void) {
        child_spec s;

        child_spec_init(&s);
        s.id = "web";
        s.argv = true_argv;
        return s;
}

static void expect_field(child_spec s, const char *field) {
        const char *f = NULL, *reason = NULL;

        assert_int_equal(child_spec_validate(&s, &f, &reason), -EINVAL);
        assert_non_null(f);
        assert_string_equal(f, field);
        assert_non_null(reason);
}

static void test_defaults(void **state) {
        child_spec s;

        child_spec_init(&s);
        assert_int_equal(s.restart, CHILD_RESTART_PERMANENT);
        assert_int_equal(s.ready, CHILD_READY_EXEC);
        assert_int_equal(s.restart_burst, 5);
        assert_int_equal(s.restart_interval_usec, 10 * USEC_PER_SEC);
        assert_int_equal(s.restart_delay_usec, 100 * USEC_PER_MSEC);
        assert_int_equal(s.shutdown_timeout_usec, 5 * USEC_PER_SEC);
        assert_int_equal(s.stdout_output, CHILD_OUTPUT_INHERIT);
        assert_int_equal(s.stderr_output, CHILD_OUTPUT_INHERIT);
        assert_null(s.extra);
        assert_null(child_spec_extra_of(&s)->cwd);
        assert_true(cgroup_policy_is_empty(&s.limits));
}

static void test_validate(void **state) {
        child_spec s = valid();
        char long_id[CHILD_ID_MAX + 2];

        assert_int_equal(child_spec_validate(&s, NULL, NULL), 0);
        assert_int_equal(child_spec_validate(NULL, NULL, NULL), -EINVAL);

        s = valid(); s.id = NULL; expect_field(s, "id");
        s = valid(); s.id = ""; expect_field(s, "id");
        memset(long_id, 'a', sizeof(long_id) - 1);
        long_id[sizeof(long_id) - 1] = '\0';
        s = valid(); s.id = long_id; expect_field(s, "id");
        long_id[CHILD_ID_MAX] = '\0';
        s = valid(); s.id = long_id;
        assert_int_equal(child_spec_validate(&s, NULL, NULL), 0);
        s = valid(); s.id = "tab\there"; expect_field(s, "id");
        s = valid(); s.id = "bad\xff"; expect_field(s, "id");
        s = valid(); s.id = "caf\xc3\xa9 / web"; /* UTF-8 and a slash are fine: escaped for cgroups */
        assert_int_equal(child_spec_validate(&s, NULL, NULL), 0);
        s = valid(); s.argv = NULL; expect_field(s, "argv");
        s = valid(); s.argv = (char *[]) { "", NULL }; expect_field(s, "argv");
        s = valid(); s.restart = 7; expect_field(s, "restart");
        s = valid(); s.ready = -1; expect_field(s, "ready");
        s = valid(); s.ready = CHILD_READY_NOTIFY; s.ready_timeout_usec = 0; expect_field(s, "ready_timeout");
        s = valid(); s.restart = _CHILD_RESTART_INVALID; expect_field(s, "restart");
        s = valid(); s.extra = &(child_spec_extra) { .cwd = "relative" }; expect_field(s, "cwd");
        s = valid(); s.extra = &(child_spec_extra) { .user = "" }; expect_field(s, "user");
        s = valid(); s.extra = &(child_spec_extra) { .group = "" }; expect_field(s, "group");
        s = valid(); s.restart_burst = 0; expect_field(s, "restart_burst");
        s = valid(); s.restart_interval_usec = 0; expect_field(s, "restart_interval");
        s = valid(); s.stdout_output = CHILD_OUTPUT_FILE; expect_field(s, "stdout");
        s = valid(); s.stderr_output = CHILD_OUTPUT_FILE; s.extra = &(child_spec_extra) { .stderr_path = "rel" };
        expect_field(s, "stderr");
        s = valid(); s.extra = &(child_spec_extra) { .stdout_path = "/x" }; expect_field(s, "stdout");
        s = valid(); s.stderr_output = _CHILD_OUTPUT_KIND_INVALID; expect_field(s, "stderr");
        s = valid(); s.extra = &(child_spec_extra) { .env = (char *[]) { "NOEQUALS", NULL } }; expect_field(s, "env");
        s = valid(); s.extra = &(child_spec_extra) { .env = (char *[]) { "=value", NULL } }; expect_field(s, "env");
        /* An extra with nothing set is the same as none. */
        s = valid(); s.extra = &(child_spec_extra) {};
        assert_int_equal(child_spec_validate(&s, NULL, NULL), 0);

        /* Wider values for the 8-bit enum fields never wrap into valid ones. */
        assert_int_equal(child_enum_or_invalid(CHILD_RESTART_TEMPORARY, _CHILD_RESTART_MAX), CHILD_RESTART_TEMPORARY);
        assert_int_equal(child_enum_or_invalid(256 + CHILD_RESTART_TRANSIENT, _CHILD_RESTART_MAX), -EINVAL);
        assert_int_equal(child_enum_or_invalid(-1, _CHILD_RESTART_MAX), -EINVAL);
        assert_int_equal(child_enum_or_invalid(_CHILD_READY_MAX, _CHILD_READY_MAX), -EINVAL);
        assert_int_equal(child_enum_or_invalid(INT64_MIN, _CHILD_OUTPUT_KIND_MAX), -EINVAL);
}

/* Every field of s (all the optional ones set, as by every_field()) in c. */
static char *every_argv[] = { "/bin/echo", "one", "two", NULL };
static char *every_env[] = { "A=1", "B=2", NULL };

static child_spec every_field(child_spec_extra *x) {
        child_spec s;

        child_spec_init(&s);
        *x = (child_spec_extra) {
                .env = every_env,
                .cwd = "/tmp",
                .user = "nobody",
                .group = "nogroup",
                .stdout_path = "/tmp/out",
                .stderr_path = "/tmp/err",
        };
        s.id = "every";
        s.argv = every_argv;
        s.extra = x;
        s.restart = CHILD_RESTART_TEMPORARY;
        s.ready = CHILD_READY_NOTIFY;
        s.ready_timeout_usec = 3 * USEC_PER_SEC;
        s.shutdown_timeout_usec = 4 * USEC_PER_SEC;
        s.restart_burst = 9;
        s.restart_interval_usec = 5 * USEC_PER_SEC;
        s.restart_delay_usec = 6 * USEC_PER_MSEC;
        s.restart_delay_max_usec = 7 * USEC_PER_SEC;
        s.limits = (cgroup_policy) { .memory_max = CGROUP_LIMIT_MAX, .pids_max = 64, .cpu_weight = 10000, .io_weight = 1 };
        s.stdout_output = CHILD_OUTPUT_FILE;
        s.stderr_output = CHILD_OUTPUT_FILE;
        return s;
}

static void assert_every_field(const child_spec *c) {
        const child_spec_extra *x = child_spec_extra_of(c);

        assert_non_null(c->extra);
        assert_string_equal(c->id, "every");
        for (size_t i = 0; every_argv[i]; i++)
                assert_string_equal(c->argv[i], every_argv[i]);
        assert_null(c->argv[3]);
        assert_string_equal(x->env[0], "A=1");
        assert_string_equal(x->env[1], "B=2");
        assert_null(x->env[2]);
        assert_string_equal(x->cwd, "/tmp");
        assert_string_equal(x->user, "nobody");
        assert_string_equal(x->group, "nogroup");
        assert_string_equal(x->stdout_path, "/tmp/out");
        assert_string_equal(x->stderr_path, "/tmp/err");
        assert_int_equal(c->restart, CHILD_RESTART_TEMPORARY);
        assert_int_equal(c->ready, CHILD_READY_NOTIFY);
        assert_int_equal(c->ready_timeout_usec, 3 * USEC_PER_SEC);
        assert_int_equal(c->shutdown_timeout_usec, 4 * USEC_PER_SEC);
        assert_int_equal(c->restart_burst, 9);
        assert_int_equal(c->restart_interval_usec, 5 * USEC_PER_SEC);
        assert_int_equal(c->restart_delay_usec, 6 * USEC_PER_MSEC);
        assert_int_equal(c->restart_delay_max_usec, 7 * USEC_PER_SEC);
        assert_true(c->limits.memory_max == CGROUP_LIMIT_MAX);
        assert_int_equal(c->limits.pids_max, 64);
        assert_int_equal(c->limits.cpu_weight, 10000);
        assert_int_equal(c->limits.io_weight, 1);
        assert_int_equal(c->stdout_output, CHILD_OUTPUT_FILE);
        assert_int_equal(c->stderr_output, CHILD_OUTPUT_FILE);
        assert_int_equal(child_spec_validate(c, NULL, NULL), 0);
}

/* A spec with every field set survives share, copy, share again and the
 * trip through the public spec; the shared block holds all of it. */
static void test_every_field_round_trip(void **state) {
        child_spec_extra x;
        child_spec s = every_field(&x);
        child_spec *shared = NULL, *plain = NULL, *again = NULL, *converted = NULL;
        ph_child_spec pub;
        _cleanup_free_ char *error = NULL;

        assert_int_equal(child_spec_validate(&s, NULL, NULL), 0);
        assert_int_equal(child_spec_share(&s, &shared), 0);
        assert_every_field(shared);
        /* The extra fields and every string inside the one block, after
         * the struct. */
        assert_ptr_equal(shared->extra, (child_spec_extra *) (shared + 1));
        assert_true((char *) shared->argv > (char *) shared->extra);
        assert_true(shared->extra->stderr_path > shared->id && shared->extra->env[1] > shared->argv[2]);

        assert_int_equal(child_spec_copy(shared, &plain), 0);
        assert_false(child_spec_is_shared(plain));
        assert_ptr_not_equal(plain->extra, shared->extra);
        assert_ptr_not_equal(plain->extra->cwd, shared->extra->cwd);
        assert_every_field(plain);
        assert_int_equal(child_spec_share(plain, &again), 0);
        assert_every_field(again);

        hub_spec_to_public(again, &pub);
        assert_int_equal(pub.stdout_output, PH_OUTPUT_FILE);
        assert_string_equal(pub.group, "nogroup");
        assert_int_equal(hub_spec_from_public(&pub, &converted, &error), 0);
        assert_every_field(converted);

        assert_null(child_spec_free(converted));
        assert_null(child_spec_free(again));
        assert_null(child_spec_free(plain));
        assert_null(child_spec_free(shared));
}

/* The public enums are ints and the weights 64 bits; the internal fields 8
 * and 16 bits: a value that would wrap into a valid one (256 + 1, 65536 +
 * 1) is refused, naming the field. */
static void test_public_out_of_range(void **state) {
        ph_child_spec pub;
        child_spec *c = NULL;
        const char *argv[] = { "/bin/true", NULL };
        char *error = NULL;

        ph_child_spec_init(&pub);
        pub.id = "wide";
        pub.argv = argv;
        assert_int_equal(hub_spec_from_public(&pub, &c, &error), 0);
        assert_null(c->extra);
        assert_null(child_spec_free(c));

        pub.restart = (ph_restart) (256 + PH_RESTART_TRANSIENT);
        assert_int_equal(hub_spec_from_public(&pub, &c, &error), -EINVAL);
        assert_string_equal(error, "child wide: restart: is not one of permanent, transient, temporary");
        pub.restart = PH_RESTART_PERMANENT;
        pub.ready = (ph_ready) (256 + PH_READY_NOTIFY);
        assert_int_equal(hub_spec_from_public(&pub, &c, &error), -EINVAL);
        assert_non_null(strstr(error, ": ready: "));
        pub.ready = PH_READY_EXEC;
        pub.stdout_output = (ph_output) (256 + PH_OUTPUT_NULL);
        assert_int_equal(hub_spec_from_public(&pub, &c, &error), -EINVAL);
        assert_non_null(strstr(error, ": stdout: "));
        pub.stdout_output = PH_OUTPUT_INHERIT;
        pub.stderr_output = (ph_output) -1;
        assert_int_equal(hub_spec_from_public(&pub, &c, &error), -EINVAL);
        assert_non_null(strstr(error, ": stderr: "));
        pub.stderr_output = PH_OUTPUT_INHERIT;

        pub.limits.cpu_weight = UINT16_MAX + 2ULL;
        assert_int_equal(hub_spec_from_public(&pub, &c, &error), -EINVAL);
        assert_string_equal(error, "child wide: cpu_weight: outside 1..10000");
        pub.limits.cpu_weight = CGROUP_WEIGHT_MAX;
        pub.limits.io_weight = UINT64_MAX;
        assert_int_equal(hub_spec_from_public(&pub, &c, &error), -EINVAL);
        assert_string_equal(error, "child wide: io_weight: outside 1..10000");
        pub.limits.io_weight = 1;
        assert_int_equal(hub_spec_from_public(&pub, &c, &error), 0);
        assert_int_equal(c->limits.cpu_weight, CGROUP_WEIGHT_MAX);
        assert_int_equal(c->limits.io_weight, 1);
        assert_null(child_spec_free(c));

        cgroup_policy policy;
        const char *reason = NULL;
        assert_int_equal(hub_policy_from_public(&(ph_limits) { .cpu_weight = 10001 }, &policy, &reason), -EINVAL);
        assert_string_equal(reason, "cpu_weight: outside 1..10000");
        assert_int_equal(hub_policy_from_public(&(ph_limits) { .memory_max = 1, .pids_max = PH_LIMIT_MAX }, &policy,
                                                &reason),
                         0);
        assert_true(policy.pids_max == CGROUP_LIMIT_MAX);
        free(error);
}

static void test_copy(void **state) {
        child_spec s = valid();
        child_spec *c = NULL;

        s.extra = &(child_spec_extra) {
                .env = (char *[]) { "A=1", "B=2", NULL },
                .cwd = "/tmp",
                .user = "nobody",
                .stdout_path = "/tmp/x",
        };
        s.stdout_output = CHILD_OUTPUT_FILE;
        s.limits.memory_max = 1 << 20;
        assert_int_equal(child_spec_copy(&s, &c), 0);
        assert_ptr_not_equal(c->id, s.id);
        assert_string_equal(c->id, "web");
        assert_string_equal(c->argv[0], "/bin/true");
        assert_null(c->argv[1]);
        assert_ptr_not_equal(c->extra, s.extra);
        assert_string_equal(c->extra->env[1], "B=2");
        assert_string_equal(c->extra->cwd, "/tmp");
        assert_string_equal(c->extra->user, "nobody");
        assert_null(c->extra->group);
        assert_string_equal(c->extra->stdout_path, "/tmp/x");
        assert_int_equal(c->stdout_output, CHILD_OUTPUT_FILE);
        assert_int_equal(c->limits.memory_max, 1 << 20);
        assert_null(child_spec_free(c));

        /* An extra with nothing set is not copied. */
        s.extra = &(child_spec_extra) {};
        assert_int_equal(child_spec_copy(&s, &c), 0);
        assert_null(c->extra);
        /* Set field by field on a plain spec: allocated on first use. */
        child_spec_extra *x = NULL;
        assert_int_equal(child_spec_extra_get(c, &x), 0);
        assert_ptr_equal(c->extra, x);
        x->cwd = strdup("/");
        assert_non_null(x->cwd);
        assert_int_equal(child_spec_extra_get(c, &x), 0);
        assert_ptr_equal(c->extra, x);
        assert_null(child_spec_free(c));

        assert_int_equal(child_spec_copy(NULL, &c), -EINVAL);
        assert_int_equal(child_spec_copy(&s, NULL), -EINVAL);
        assert_null(child_spec_free(NULL));
        child_spec_done(NULL);
}

/* A shared spec: one block with every string, taken by reference when
 * shared again, freed with the last reference (ASan checks both). */
static void test_share(void **state) {
        child_spec s = valid();
        child_spec *a = NULL, *b = NULL, *plain = NULL;

        s.extra = &(child_spec_extra) {
                .env = (char *[]) { "A=1", "B=2", NULL },
                .cwd = "/tmp",
                .group = "users",
                .stderr_path = "/tmp/err",
        };
        s.stderr_output = CHILD_OUTPUT_FILE;
        s.restart_burst = 7;
        assert_false(child_spec_is_shared(&s));
        assert_int_equal(child_spec_share(&s, &a), 0);
        assert_true(child_spec_is_shared(a));
        assert_int_equal(a->n_ref, 1);
        assert_ptr_not_equal(a->id, s.id);
        assert_string_equal(a->id, "web");
        assert_string_equal(a->argv[0], "/bin/true");
        assert_null(a->argv[1]);
        assert_string_equal(a->extra->env[0], "A=1");
        assert_string_equal(a->extra->env[1], "B=2");
        assert_null(a->extra->env[2]);
        assert_string_equal(a->extra->cwd, "/tmp");
        assert_null(a->extra->user);
        assert_string_equal(a->extra->group, "users");
        assert_null(a->extra->stdout_path);
        assert_string_equal(a->extra->stderr_path, "/tmp/err");
        assert_int_equal(a->stderr_output, CHILD_OUTPUT_FILE);
        assert_int_equal(a->restart_burst, 7);
        /* Everything inside the one block. */
        assert_true((char *) a->extra > (char *) a && (char *) a->argv > (char *) a->extra &&
                    a->extra->stderr_path > a->id);
        assert_int_equal(child_spec_validate(a, NULL, NULL), 0);

        /* Shared again: the same block, one more reference. */
        assert_int_equal(child_spec_share(a, &b), 0);
        assert_ptr_equal(a, b);
        assert_int_equal(a->n_ref, 2);
        /* A copy of a shared spec is plain and deep. */
        assert_int_equal(child_spec_copy(a, &plain), 0);
        assert_false(child_spec_is_shared(plain));
        assert_ptr_not_equal(plain->extra->env[1], a->extra->env[1]);
        assert_string_equal(plain->extra->env[1], "B=2");
        assert_null(child_spec_free(plain));

        assert_null(child_spec_free(a));
        /* b still reads the block. */
        assert_int_equal(b->n_ref, 1);
        assert_string_equal(b->extra->stderr_path, "/tmp/err");
        assert_null(child_spec_free(b));

        /* Without argv or env (a registry spec known only by its id). */
        child_spec bare;
        child_spec_init(&bare);
        bare.id = "bare";
        assert_int_equal(child_spec_share(&bare, &a), 0);
        assert_null(a->argv);
        assert_null(a->extra);
        assert_string_equal(a->id, "bare");
        assert_null(child_spec_free(a));

        /* An extra with nothing set stays out of the block. */
        s.extra = &(child_spec_extra) {};
        assert_int_equal(child_spec_share(&s, &a), 0);
        assert_null(a->extra);
        assert_null(child_spec_extra_of(a)->env);
        assert_string_equal(a->argv[0], "/bin/true");
        assert_null(child_spec_free(a));

        assert_int_equal(child_spec_share(NULL, &a), -EINVAL);
        assert_int_equal(child_spec_share(&s, NULL), -EINVAL);
}

static void test_strings(void **state) {
        assert_string_equal(child_restart_to_string(CHILD_RESTART_TRANSIENT), "transient");
        assert_int_equal(child_restart_from_string("temporary"), CHILD_RESTART_TEMPORARY);
        assert_int_equal(child_restart_from_string("sometimes"), -EINVAL);
        assert_int_equal(child_restart_from_string(NULL), -EINVAL);
        assert_null(child_restart_to_string(_CHILD_RESTART_MAX));
        assert_int_equal(child_ready_from_string("notify"), CHILD_READY_NOTIFY);
        assert_string_equal(child_ready_to_string(CHILD_READY_EXEC), "exec");
        assert_int_equal(child_output_kind_from_string("journal"), CHILD_OUTPUT_JOURNAL);
        assert_null(child_output_kind_to_string(-1));
        assert_string_equal(child_exit_kind_to_string(CHILD_EXIT_OOM_KILL), "oom-killed");
        assert_int_equal(child_id_validate("ok", NULL), 0);
        assert_int_equal(child_id_validate(NULL, NULL), -EINVAL);
}

static void test_exit_reasons(void **state) {
        char buf[CHILD_EXIT_DESCRIBE_MAX];
        siginfo_t si = {};
        child_exit e;

        /* si_pid and si_status live in one union: set them one by one. */
        si.si_code = CLD_EXITED;
        si.si_pid = 1;
        si.si_status = 3;
        e = child_exit_from_siginfo(&si);

        assert_int_equal(e.kind, CHILD_EXIT_CODE);
        assert_string_equal(child_exit_describe(&e, buf, sizeof(buf)), "exited with code 3");
        assert_false(child_exit_is_clean(&e));
        si.si_status = 0;
        e = child_exit_from_siginfo(&si);
        assert_true(child_exit_is_clean(&e));

        si.si_code = CLD_KILLED;
        si.si_status = SIGTERM;
        e = child_exit_from_siginfo(&si);
        assert_true(child_exit_is_clean(&e));
        assert_string_equal(child_exit_describe(&e, buf, sizeof(buf)), "killed by signal SIGTERM");
        si.si_status = SIGKILL;
        e = child_exit_from_siginfo(&si);
        assert_false(child_exit_is_clean(&e));

        si.si_code = CLD_DUMPED;
        si.si_status = SIGSEGV;
        e = child_exit_from_siginfo(&si);
        assert_int_equal(e.kind, CHILD_EXIT_CORE_DUMP);
        assert_string_equal(child_exit_describe(&e, buf, sizeof(buf)), "killed by signal SIGSEGV (core dumped)");

        si.si_pid = 0;
        e = child_exit_from_siginfo(&si);
        assert_int_equal(e.kind, CHILD_EXIT_UNKNOWN);

        e = (child_exit) { .kind = CHILD_EXIT_EXEC_FAILED, .status = ENOENT };
        assert_string_equal(child_exit_describe(&e, buf, sizeof(buf)), "could not be executed: ENOENT");
        e = (child_exit) { .kind = CHILD_EXIT_OOM_KILL, .status = SIGKILL };
        assert_false(child_exit_is_clean(&e));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_validate),
                cmocka_unit_test(test_copy),
                cmocka_unit_test(test_share),
                cmocka_unit_test(test_every_field_round_trip),
                cmocka_unit_test(test_public_out_of_range),
                cmocka_unit_test(test_strings),
                cmocka_unit_test(test_exit_reasons),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
