/* SPDX-License-Identifier: MIT */

/* Child specs: defaults, validation naming the bad field, copies, enum
 * strings, and exit-reason descriptions. No kernel needed. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "child-exit.h"
#include "child-spec.h"

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
        assert_int_equal(s.output_stdout.kind, CHILD_OUTPUT_INHERIT);
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
        s = valid(); s.cwd = "relative"; expect_field(s, "cwd");
        s = valid(); s.user = ""; expect_field(s, "user");
        s = valid(); s.group = ""; expect_field(s, "group");
        s = valid(); s.restart_burst = 0; expect_field(s, "restart_burst");
        s = valid(); s.restart_interval_usec = 0; expect_field(s, "restart_interval");
        s = valid(); s.output_stdout.kind = CHILD_OUTPUT_FILE; expect_field(s, "stdout");
        s = valid(); s.output_stderr.kind = CHILD_OUTPUT_FILE; s.output_stderr.path = "rel"; expect_field(s, "stderr");
        s = valid(); s.output_stdout.path = "/x"; expect_field(s, "stdout");
        s = valid(); s.env = (char *[]) { "NOEQUALS", NULL }; expect_field(s, "env");
        s = valid(); s.env = (char *[]) { "=value", NULL }; expect_field(s, "env");
}

static void test_copy(void **state) {
        child_spec s = valid();
        child_spec *c = NULL;

        s.env = (char *[]) { "A=1", "B=2", NULL };
        s.cwd = "/tmp";
        s.user = "nobody";
        s.output_stdout = (child_output) { .kind = CHILD_OUTPUT_FILE, .path = "/tmp/x" };
        s.limits.memory_max = 1 << 20;
        assert_int_equal(child_spec_copy(&s, &c), 0);
        assert_ptr_not_equal(c->id, s.id);
        assert_string_equal(c->id, "web");
        assert_string_equal(c->argv[0], "/bin/true");
        assert_null(c->argv[1]);
        assert_string_equal(c->env[1], "B=2");
        assert_string_equal(c->cwd, "/tmp");
        assert_string_equal(c->user, "nobody");
        assert_null(c->group);
        assert_string_equal(c->output_stdout.path, "/tmp/x");
        assert_int_equal(c->limits.memory_max, 1 << 20);
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

        s.env = (char *[]) { "A=1", "B=2", NULL };
        s.cwd = "/tmp";
        s.group = "users";
        s.output_stderr = (child_output) { .kind = CHILD_OUTPUT_FILE, .path = "/tmp/err" };
        s.restart_burst = 7;
        assert_false(child_spec_is_shared(&s));
        assert_int_equal(child_spec_share(&s, &a), 0);
        assert_true(child_spec_is_shared(a));
        assert_int_equal(a->n_ref, 1);
        assert_ptr_not_equal(a->id, s.id);
        assert_string_equal(a->id, "web");
        assert_string_equal(a->argv[0], "/bin/true");
        assert_null(a->argv[1]);
        assert_string_equal(a->env[0], "A=1");
        assert_string_equal(a->env[1], "B=2");
        assert_null(a->env[2]);
        assert_string_equal(a->cwd, "/tmp");
        assert_null(a->user);
        assert_string_equal(a->group, "users");
        assert_null(a->output_stdout.path);
        assert_string_equal(a->output_stderr.path, "/tmp/err");
        assert_int_equal(a->restart_burst, 7);
        /* Everything inside the one block. */
        assert_true((char *) a->argv > (char *) a && a->output_stderr.path > a->id);
        assert_int_equal(child_spec_validate(a, NULL, NULL), 0);

        /* Shared again: the same block, one more reference. */
        assert_int_equal(child_spec_share(a, &b), 0);
        assert_ptr_equal(a, b);
        assert_int_equal(a->n_ref, 2);
        /* A copy of a shared spec is plain and deep. */
        assert_int_equal(child_spec_copy(a, &plain), 0);
        assert_false(child_spec_is_shared(plain));
        assert_ptr_not_equal(plain->env[1], a->env[1]);
        assert_string_equal(plain->env[1], "B=2");
        assert_null(child_spec_free(plain));

        assert_null(child_spec_free(a));
        /* b still reads the block. */
        assert_int_equal(b->n_ref, 1);
        assert_string_equal(b->output_stderr.path, "/tmp/err");
        assert_null(child_spec_free(b));

        /* Without argv or env (a registry spec known only by its id). */
        child_spec bare;
        child_spec_init(&bare);
        bare.id = "bare";
        assert_int_equal(child_spec_share(&bare, &a), 0);
        assert_null(a->argv);
        assert_null(a->env);
        assert_string_equal(a->id, "bare");
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
                cmocka_unit_test(test_strings),
                cmocka_unit_test(test_exit_reasons),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
