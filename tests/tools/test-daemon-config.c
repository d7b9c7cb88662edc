/* SPDX-License-Identifier: MIT */
/* processhubd's configuration on its own: shell words, values, a file
 * with every kind of section, the command line on top of it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon-config.h"
#include "shell-words.h"

static void test_shell_words(void **state) {
        static const struct {
                const char *in;
                const char *out[6];
        } cases[] = {
                { "sh -c 'while sleep 2; do date; done'", { "sh", "-c", "while sleep 2; do date; done" } },
                { "  a\tb  ", { "a", "b" } },
                { "\"x \\\"y\\\" \\$z\" w\\ v", { "x \"y\" $z", "w v" } },
                { "a'b'\"c\"d", { "abcd" } },
                { "''", { "" } },
                { "", { NULL } },
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                char **w = NULL;
                assert_int_equal(shell_words_split(cases[i].in, &w, NULL), 0);
                size_t k = 0;
                for (; cases[i].out[k]; k++) {
                        assert_non_null(w[k]);
                        assert_string_equal(w[k], cases[i].out[k]);
                }
                assert_null(w[k]);
                strv_free(w);
        }
        const char *why = NULL;
        char **w = NULL;
        assert_int_equal(shell_words_split("a 'b", &w, &why), -EINVAL);
        assert_string_equal(why, "unterminated '...' quote");
        assert_int_equal(shell_words_split("a \"b", &w, &why), -EINVAL);
        assert_int_equal(shell_words_split("a\\", &w, &why), -EINVAL);
}

static void test_values(void **state) {
        uint64_t v;

        assert_int_equal(parse_size("64M", &v), 0);
        assert_int_equal(v, 64ULL << 20);
        assert_int_equal(parse_size("1G", &v), 0);
        assert_int_equal(v, 1ULL << 30);
        assert_int_equal(parse_size("max", &v), 0);
        assert_true(v == PH_LIMIT_MAX);
        assert_int_equal(parse_size("12", &v), 0);
        assert_int_equal(v, 12);
        assert_true(parse_size("12X", &v) < 0);
        assert_true(parse_size("-1", &v) < 0);
        assert_true(parse_size("99999999999T", &v) < 0);
        assert_int_equal(parse_duration_ms("5s", &v), 0);
        assert_int_equal(v, 5000);
        assert_int_equal(parse_duration_ms("250", &v), 0);
        assert_int_equal(v, 250);
        assert_int_equal(parse_duration_ms("2min", &v), 0);
        assert_int_equal(v, 120000);
        assert_true(parse_duration_ms("5 s", &v) < 0);
        assert_true(parse_duration_ms("s", &v) < 0);
}

static void test_file_and_flags(void **state) {
        char path[] = "/tmp/processhubd-config-test-XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        FILE *f = fdopen(fd, "w");
        fputs("; processhubd.conf\n"
              "[daemon]\n"
              "control_group = adm\n"
              "state_dir = /run/x\n"
              "\n"
              "[child demo/ticker]\n" /* before its hub: fine */
              "exec = sh -c 'while sleep 2; do date; done'\n"
              "restart = transient\n"
              "ready = notify\n"
              "ready_timeout = 5s\n"
              "memory_max = 32M\n"
              "stdout = file:/tmp/ticker.log\n"
              "env = A=1 'B=two words'\n"
              "env = C=3\n"
              "tag = examples\n"
              "metadata = owner=demo team=core\n"
              "\n"
              "[hub demo]\n"
              "dsup_max_restarts = 7\n"
              "dsup_shutdown_timeout = 2s\n"
              "distribution_strategy = consistent_hashing\n"
              "pids_max = 100\n"
              "cpu_weight = 50\n",
              f);
        fclose(f);

        daemon_cli cli = { .config_path = path };
        assert_int_equal(daemon_cli_add(&cli, CLI_HUB, "demo"), 0);
        assert_int_equal(daemon_cli_add(&cli, CLI_SET, "dsup_max_seconds=9"), 0);
        assert_int_equal(daemon_cli_add(&cli, CLI_CHILD, "extra=sleep 10"), 0);
        assert_int_equal(daemon_cli_add(&cli, CLI_SET, "restart=temporary"), 0);
        assert_int_equal(daemon_cli_add(&cli, CLI_HUB, "other"), 0);
        assert_int_equal(daemon_cli_add(&cli, CLI_SOCKET, "/tmp/s.sock"), 0);

        daemon_config *c = NULL;
        char *err = NULL;
        int r = daemon_config_load(&cli, &c, &err);
        if (r < 0)
                fail_msg("%s", err);
        assert_string_equal(c->control_group, "adm");
        assert_string_equal(c->state_dir, "/run/x");
        assert_string_equal(c->socket_path, "/tmp/s.sock");
        assert_int_equal(c->n_hubs, 2);
        const hub_conf *h = daemon_config_find_hub(c, "demo");
        assert_non_null(h);
        assert_int_equal(h->config.dsup_max_restarts, 7);
        assert_int_equal(h->config.dsup_max_seconds, 9);
        assert_int_equal(h->config.dsup_shutdown_timeout_ms, 2000);
        assert_int_equal(h->config.limits.pids_max, 100);
        assert_int_equal(h->config.limits.cpu_weight, 50);
        assert_int_equal(h->n_children, 2);
        const child_conf *t = hub_conf_find_child(h, "ticker");
        assert_non_null(t);
        assert_string_equal(t->spec.argv[2], "while sleep 2; do date; done");
        assert_int_equal(t->spec.restart, PH_RESTART_TRANSIENT);
        assert_int_equal(t->spec.ready, PH_READY_NOTIFY);
        assert_int_equal(t->spec.ready_timeout_ms, 5000);
        assert_int_equal(t->spec.limits.memory_max, 32 << 20);
        assert_int_equal(t->spec.stdout_output, PH_OUTPUT_FILE);
        assert_string_equal(t->spec.stdout_path, "/tmp/ticker.log");
        assert_string_equal(t->spec.env[1], "B=two words");
        assert_string_equal(t->spec.env[2], "C=3");
        assert_null(t->spec.env[3]);
        assert_string_equal(t->tag, "examples");
        assert_string_equal(t->metadata[1], "team=core");
        assert_true(strstr(t->origin, ":6") != NULL);
        const child_conf *x = hub_conf_find_child(h, "extra");
        assert_non_null(x);
        assert_int_equal(x->spec.restart, PH_RESTART_TEMPORARY);
        assert_true(child_conf_equal(t, t));
        assert_false(child_conf_equal(t, x));
        assert_true(hub_conf_settings_equal(h, h));
        assert_false(hub_conf_settings_equal(h, daemon_config_find_hub(c, "other")));
        daemon_config_free(c);
        daemon_cli_done(&cli);
        unlink(path);
}

static void test_strategies(void **state) {
        char *err = NULL;

        assert_int_equal(config_check_strategy("migration_strategy", "cold_swap", &err), 0);
        assert_int_equal(config_check_strategy("migration_strategy", "hot_swap", &err), -EOPNOTSUPP);
        assert_non_null(strstr(err, "implemented now: cold_swap"));
        assert_int_equal(config_check_strategy("partition_tolerance_strategy", "x", &err), -EOPNOTSUPP);
        assert_non_null(strstr(err, "static_quorum"));
        assert_int_equal(config_check_strategy("not_a_strategy", "x", &err), -ENOENT);
        free(err);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_shell_words),
                cmocka_unit_test(test_values),
                cmocka_unit_test(test_file_and_flags),
                cmocka_unit_test(test_strategies),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
