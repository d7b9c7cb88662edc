/* SPDX-License-Identifier: MIT */

/* The client library's decoding of every reply shape of the control
 * protocol into the library's own types (freed by the ordinary ph_*_free()
 * functions), malformed replies giving -EBADMSG; then a fake daemon on a
 * temporary socket for what the real one cannot be made to send (broken
 * lines, wrong versions, replies of the wrong shape), through the public
 * API. No root needed. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "client.h"
#include "helpers.h"
#include "hub-internal.h"
#include "processhub.h"
#include "result.h"

static json_object *parse(const char *s) {
        json_object *j = json_tokener_parse(s);
        assert_non_null(j);
        return j;
}

/* ---- Shapes ---- */

static void test_decode_info(void **state) {
        json_object *j = parse(
                "{\"id\":\"web\",\"instances\":[{\"node\":\"vm\",\"pid\":1234}],\"tag\":\"front\","
                "\"spec\":{\"id\":\"web\",\"argv\":[\"nginx\",\"-g\",\"daemon off;\"],\"env\":null,\"cwd\":\"/srv\","
                "\"user\":null,\"group\":null,\"restart\":\"transient\",\"ready\":\"notify\",\"ready_timeout_ms\":5000,"
                "\"shutdown_timeout_ms\":3000,\"restart_burst\":7,\"restart_interval_ms\":20000,"
                "\"restart_delay_ms\":50,\"restart_delay_max_ms\":800,"
                "\"limits\":{\"memory_max\":67108864,\"pids_max\":\"max\",\"cpu_weight\":null,\"io_weight\":null},"
                "\"stdout\":\"file\",\"stdout_path\":\"/tmp/o\",\"stderr\":\"null\",\"stderr_path\":null},"
                "\"metadata\":{\"owner\":\"ops\",\"tier\":\"1\"}}");
        ph_child_info *info = NULL;

        assert_int_equal(client_decode_info(j, &info), 0);
        assert_string_equal(info->spec.id, "web");
        assert_string_equal(info->spec.argv[0], "nginx");
        assert_string_equal(info->spec.argv[2], "daemon off;");
        assert_null(info->spec.argv[3]);
        assert_null(info->spec.env);
        assert_string_equal(info->spec.cwd, "/srv");
        assert_int_equal(info->spec.restart, PH_RESTART_TRANSIENT);
        assert_int_equal(info->spec.ready, PH_READY_NOTIFY);
        assert_int_equal(info->spec.ready_timeout_ms, 5000);
        assert_int_equal(info->spec.shutdown_timeout_ms, 3000);
        assert_int_equal(info->spec.restart_burst, 7);
        assert_int_equal(info->spec.restart_delay_max_ms, 800);
        assert_int_equal(info->spec.limits.memory_max, 64 * 1024 * 1024);
        assert_true(info->spec.limits.pids_max == PH_LIMIT_MAX);
        assert_int_equal(info->spec.limits.cpu_weight, 0);
        assert_int_equal(info->spec.stdout_output, PH_OUTPUT_FILE);
        assert_string_equal(info->spec.stdout_path, "/tmp/o");
        assert_int_equal(info->spec.stderr_output, PH_OUTPUT_NULL);
        assert_int_equal(info->n_instances, 1);
        assert_string_equal(info->instances[0].node, "vm");
        assert_int_equal(info->instances[0].pid, 1234);
        assert_string_equal(info->tag, "front");
        assert_int_equal(info->n_metadata, 2);
        bool owner = false;
        for (size_t i = 0; i < info->n_metadata; i++)
                if (strcmp(info->metadata[i].key, "owner") == 0)
                        owner = strcmp(info->metadata[i].value, "ops") == 0;
        assert_true(owner);
        /* The info owns its strings: the reply can go first. */
        json_object_put(j);
        assert_string_equal(info->spec.argv[1], "-g");
        ph_child_info_free(info);
}

static void test_decode_child_list(void **state) {
        json_object *j = parse("[{\"id\":\"a\",\"instances\":[{\"node\":\"vm\",\"pid\":10}],\"tag\":null},"
                               "{\"id\":\"b\",\"instances\":[],\"tag\":\"t\"},"
                               "{\"id\":\"c\",\"instances\":[{\"node\":\"n1\",\"pid\":11},{\"node\":\"n2\",\"pid\":12}]}]");
        ph_child_list *list = NULL;

        assert_int_equal(client_decode_child_list(j, &list), 0);
        json_object_put(j);
        assert_int_equal(ph_child_list_n(list), 3);
        assert_string_equal(ph_child_list_at(list, 0)->id, "a");
        assert_int_equal(ph_child_list_at(list, 0)->instances[0].pid, 10);
        assert_int_equal(ph_child_list_at(list, 1)->n_instances, 0);
        assert_int_equal(ph_child_list_at(list, 2)->n_instances, 2);
        assert_string_equal(ph_child_list_at(list, 2)->instances[1].node, "n2");
        assert_null(ph_child_list_at(list, 3));
        ph_child_list_free(list);

        j = parse("[]");
        assert_int_equal(client_decode_child_list(j, &list), 0);
        assert_int_equal(ph_child_list_n(list), 0);
        ph_child_list_free(list);
        json_object_put(j);
}

static void test_decode_infos_and_instances(void **state) {
        json_object *j = parse("[{\"id\":\"a\",\"instances\":[{\"node\":\"vm\",\"pid\":10}],\"tag\":null,"
                               "\"spec\":{\"id\":\"a\",\"argv\":[\"sleep\",\"9\"]},\"metadata\":{}},"
                               "{\"id\":\"b\",\"instances\":[],\"tag\":null,\"spec\":{\"argv\":[\"true\"]}}]");
        ph_child_info **infos = NULL;
        ph_instance *instances = NULL;
        size_t n = 0;

        assert_int_equal(client_decode_infos(j, &infos, &n), 0);
        json_object_put(j);
        assert_int_equal(n, 2);
        assert_string_equal(infos[0]->spec.argv[1], "9");
        assert_string_equal(infos[1]->spec.id, "b");
        ph_child_infos_free(infos, n);

        j = parse("[{\"node\":\"vm\",\"pid\":1},{\"node\":\"x\",\"pid\":2}]");
        assert_int_equal(client_decode_instances(j, &instances, &n), 0);
        json_object_put(j);
        assert_int_equal(n, 2);
        assert_string_equal(instances[1].node, "x");
        ph_instances_free(instances, n);
}

static void test_decode_states(void **state) {
        json_object *j = parse("[{\"id\":\"a\",\"pid\":10,\"state\":\"running\",\"restarts\":2,"
                               "\"last_exit\":\"exited with code 1\",\"failure\":null},"
                               "{\"id\":\"b\",\"pid\":0,\"state\":\"failed\",\"restarts\":5,\"last_exit\":null,"
                               "\"failure\":\"restart intensity exceeded\"}]");
        ph_child_state *s = NULL;
        size_t n = 0;

        assert_int_equal(client_decode_states(j, &s, &n), 0);
        json_object_put(j);
        assert_int_equal(n, 2);
        assert_string_equal(s[0].state, "running");
        assert_int_equal(s[0].restarts, 2);
        assert_string_equal(s[0].last_exit, "exited with code 1");
        assert_null(s[0].failure);
        assert_string_equal(s[1].failure, "restart intensity exceeded");
        ph_child_states_free(s, n);
}

static void test_decode_results(void **state) {
        json_object *j = parse("{\"status\":\"error\",\"started\":[{\"id\":\"a\",\"instances\":[{\"node\":\"vm\",\"pid\":7}]}],"
                               "\"errors\":[{\"id\":\"b\",\"node\":\"vm\",\"reason\":\"exec failed\"},"
                               "{\"id\":\"c\",\"node\":null,\"reason\":\"node_receive_timeout\"}],\"rollback\":true}");
        ph_result *r = NULL;

        assert_int_equal(result_new(PH_RESULT_START, &r), 0);
        assert_int_equal(client_decode_result(j, r), 0);
        json_object_put(j);
        assert_int_equal(ph_result_status(r), PH_STATUS_ERROR);
        assert_int_equal(ph_result_n_children(r), 1);
        assert_int_equal(ph_result_first_pid(r), 7);
        assert_int_equal(ph_result_n_errors(r), 2);
        assert_string_equal(ph_result_error_at(r, 0)->reason, "exec failed");
        assert_null(ph_result_error_at(r, 1)->node);
        assert_true(ph_result_rollback(r));
        ph_result_free(r);

        j = parse("{\"status\":\"ok\",\"stopped\":[{\"id\":\"a\",\"nodes\":[\"vm\"]}],\"errors\":[]}");
        assert_int_equal(result_new(PH_RESULT_STOP, &r), 0);
        assert_int_equal(client_decode_result(j, r), 0);
        json_object_put(j);
        assert_int_equal(ph_result_status(r), PH_STATUS_OK);
        const char *nodes[2];
        assert_int_equal(ph_result_nodes(r, nodes, 2), 1);
        assert_string_equal(nodes[0], "vm");
        assert_int_equal(ph_result_child_at(r, 0)->instances[0].pid, 0);
        ph_result_free(r);
}

static void test_decode_status_and_strv(void **state) {
        json_object *j = parse("{\"hub\":\"demo\",\"node\":\"vm\",\"alive\":true,\"locked\":false,\"partitioned\":false,"
                               "\"nodes\":[\"vm\"],\"children\":3,\"failed\":2,\"kernel\":{\"bpf\":\"inactive: no BTF\",\"netlink\":\"active\"}}");
        ph_hub_status *s = NULL;
        char **l = NULL;

        assert_int_equal(client_decode_status(j, &s), 0);
        json_object_put(j);
        assert_string_equal(s->hub_id, "demo");
        assert_string_equal(s->node, "vm");
        assert_true(s->alive);
        assert_false(s->locked);
        assert_string_equal(s->nodes[0], "vm");
        assert_null(s->nodes[1]);
        assert_int_equal(s->n_children, 3);
        assert_int_equal(s->n_failed, 2);
        assert_string_equal(s->kernel_bpf, "inactive: no BTF");
        assert_string_equal(s->kernel_netlink, "active");
        ph_hub_status_free(s);

        j = parse("[\"a\",\"b\"]");
        assert_int_equal(client_decode_strv(j, &l), 0);
        json_object_put(j);
        assert_string_equal(l[1], "b");
        assert_null(l[2]);
        ph_strv_free(l);
}

static void test_decode_events(void **state) {
        json_object *j = parse("{\"key\":\"registry_pid_insert\",\"hub\":\"demo\",\"child_id\":\"a\",\"node\":\"vm\","
                               "\"instances\":[{\"node\":\"vm\",\"pid\":99}],\"time_us\":1}");
        client_event_storage *st = NULL;
        ph_hook_event ev;

        assert_int_equal(client_decode_event(j, &ev, &st), 0);
        json_object_put(j); /* the storage holds its own reference */
        assert_int_equal(ev.key, PH_HOOK_REGISTRY_PID_INSERT);
        assert_string_equal(ev.hub_id, "demo");
        assert_string_equal(ev.child_id, "a");
        assert_int_equal(ev.n_instances, 1);
        assert_int_equal(ev.instances[0].pid, 99);
        assert_null(ev.spec);
        client_event_storage_free(st);

        j = parse("{\"key\":\"post_children_start\",\"hub\":\"demo\",\"children\":["
                  "{\"id\":\"a\",\"instances\":[{\"node\":\"vm\",\"pid\":5}]},"
                  "{\"id\":\"b\",\"instances\":[],\"error\":2,\"reason\":\"exec failed\"}]}");
        assert_int_equal(client_decode_event(j, &ev, &st), 0);
        json_object_put(j);
        assert_int_equal(ev.n_children, 2);
        assert_int_equal(ev.children[0].instances[0].pid, 5);
        assert_int_equal(ev.children[1].error, -ENOENT);
        assert_string_equal(ev.children[1].reason, "exec failed");
        client_event_storage_free(st);

        j = parse("{\"key\":\"priority_state_updated\",\"hub\":\"demo\",\"priority\":10}");
        assert_int_equal(client_decode_event(j, &ev, &st), 0);
        json_object_put(j);
        assert_int_equal(ev.priority, 10);
        client_event_storage_free(st);

        j = parse("{\"key\":\"overflow\"}");
        assert_int_equal(client_decode_event(j, &ev, &st), -EOPNOTSUPP);
        json_object_put(j);
}

/* ---- Malformed shapes ---- */

static void test_decode_malformed(void **state) {
        static const char *const infos[] = {
                "{\"instances\":[]}",                                         /* no id */
                "{\"id\":\"a\"}",                                             /* no instances */
                "{\"id\":\"a\",\"instances\":[{\"node\":\"vm\"}]}",            /* no pid */
                "{\"id\":\"a\",\"instances\":[{\"node\":\"vm\",\"pid\":-1}]}", /* negative pid */
                "{\"id\":\"a\",\"instances\":[{\"node\":\"vm\",\"pid\":\"1\"}]}",
                "{\"id\":\"a\",\"instances\":{}}",
                "{\"id\":7,\"instances\":[]}",
                "{\"id\":\"\",\"instances\":[]}",
                "{\"id\":\"a\",\"instances\":[],\"tag\":3}",
                "{\"id\":\"a\",\"instances\":[],\"spec\":{\"argv\":\"sh\"}}",
                "{\"id\":\"a\",\"instances\":[],\"spec\":{\"argv\":[1]}}",
                "{\"id\":\"a\",\"instances\":[],\"spec\":{\"id\":\"b\"}}",
                "{\"id\":\"a\",\"instances\":[],\"spec\":{\"restart\":\"sometimes\"}}",
                "{\"id\":\"a\",\"instances\":[],\"spec\":{\"limits\":{\"memory_max\":\"lots\"}}}",
                "{\"id\":\"a\",\"instances\":[],\"spec\":{\"limits\":{\"cpu_weight\":65537}}}", /* not 1 */
                "{\"id\":\"a\",\"instances\":[],\"spec\":{\"limits\":{\"io_weight\":10001}}}",
                "{\"id\":\"a\",\"instances\":[],\"spec\":{\"ready_timeout_ms\":true}}",
                "{\"id\":\"a\",\"instances\":[],\"metadata\":{\"k\":1}}",
                "[]",
        };
        for (size_t i = 0; i < ELEMENTSOF(infos); i++) {
                json_object *j = parse(infos[i]);
                ph_child_info *info = (ph_child_info *) 0x1;
                assert_int_equal(client_decode_info(j, &info), -EBADMSG);
                assert_ptr_equal(info, (ph_child_info *) 0x1); /* untouched */
                json_object_put(j);
        }

        ph_child_list *list = NULL;
        json_object *j = parse("{\"id\":\"a\"}");
        assert_int_equal(client_decode_child_list(j, &list), -EBADMSG);
        json_object_put(j);
        j = parse("[{\"id\":\"a\",\"instances\":[]},5]");
        assert_int_equal(client_decode_child_list(j, &list), -EBADMSG);
        json_object_put(j);

        ph_child_state *s = NULL;
        size_t n = 0;
        j = parse("[{\"id\":\"a\",\"pid\":1,\"state\":\"dancing\"}]");
        assert_int_equal(client_decode_states(j, &s, &n), -EBADMSG);
        json_object_put(j);

        static const char *const results[] = {
                "{\"status\":\"ok\",\"started\":[],\"errors\":[{\"id\":\"a\",\"reason\":\"x\"}]}", /* contradicts */
                "{\"status\":\"maybe\",\"started\":[],\"errors\":[]}",
                "{\"status\":\"ok\",\"errors\":[]}",
                "{\"status\":\"ok\",\"started\":[{\"id\":\"a\"}],\"errors\":[]}",
                "{\"status\":\"error\",\"started\":[],\"errors\":[{\"id\":\"a\"}]}",
        };
        for (size_t i = 0; i < ELEMENTSOF(results); i++) {
                ph_result *r = NULL;
                assert_int_equal(result_new(PH_RESULT_START, &r), 0);
                j = parse(results[i]);
                assert_int_equal(client_decode_result(j, r), -EBADMSG);
                json_object_put(j);
                ph_result_free(r);
        }

        ph_hub_status *st = NULL;
        j = parse("{\"hub\":\"demo\",\"alive\":true}"); /* no node */
        assert_int_equal(client_decode_status(j, &st), -EBADMSG);
        json_object_put(j);

        client_event_storage *es = NULL;
        ph_hook_event ev;
        j = parse("{\"key\":\"registry_pid_insert\",\"instances\":[{\"pid\":1}]}");
        assert_int_equal(client_decode_event(j, &ev, &es), -EBADMSG);
        json_object_put(j);

        /* Replies: not ok without an error object, an errno out of range. */
        static const char *const replies[] = {
                "{\"v\":1,\"id\":1}",
                "{\"v\":1,\"id\":1,\"ok\":\"yes\"}",
                "{\"v\":1,\"id\":1,\"ok\":false}",
                "{\"v\":1,\"id\":1,\"ok\":false,\"error\":{\"errno\":0}}",
                "{\"v\":1,\"id\":1,\"ok\":false,\"error\":{\"errno\":100000}}",
        };
        for (size_t i = 0; i < ELEMENTSOF(replies); i++) {
                j = parse(replies[i]);
                assert_int_equal(client_reply_unwrap(j, NULL, NULL), -EBADMSG);
                json_object_put(j);
        }
        char *text = NULL;
        j = parse("{\"v\":1,\"id\":1,\"ok\":false,\"error\":{\"errno\":17,\"code\":\"EEXIST\",\"message\":\"already started: a\"}}");
        assert_int_equal(client_reply_unwrap(j, NULL, &text), -EEXIST);
        assert_string_equal(text, "already started: a");
        free(text);
        json_object_put(j);
}

static void test_encode_spec_round_trip(void **state) {
        static const char *const argv[] = { "sleep", "100", NULL };
        static const char *const env[] = { "A=1", NULL };
        ph_child_spec spec;
        json_object *j = NULL;
        ph_child_info *info = NULL;

        ph_child_spec_init(&spec);
        spec.id = "rt";
        spec.argv = argv;
        spec.env = env;
        spec.restart = PH_RESTART_TEMPORARY;
        spec.limits.memory_max = PH_LIMIT_MAX;
        spec.limits.pids_max = 32;
        assert_int_equal(client_encode_spec(&spec, &j), 0);

        /* Decoded as the spec of an info, it is the same spec. */
        json_object *o = json_object_new_object();
        json_object_object_add(o, "id", json_object_new_string("rt"));
        json_object_object_add(o, "instances", json_object_new_array());
        json_object_object_add(o, "spec", j);
        assert_int_equal(client_decode_info(o, &info), 0);
        json_object_put(o);
        assert_string_equal(info->spec.argv[1], "100");
        assert_string_equal(info->spec.env[0], "A=1");
        assert_int_equal(info->spec.restart, PH_RESTART_TEMPORARY);
        assert_true(info->spec.limits.memory_max == PH_LIMIT_MAX);
        assert_int_equal(info->spec.limits.pids_max, 32);
        assert_int_equal(info->spec.shutdown_timeout_ms, spec.shutdown_timeout_ms);
        ph_child_info_free(info);
}

/* ---- A fake daemon ---- */

typedef struct fake_daemon {
        char dir[32];
        char path[96];
        int listen_fd;
        pthread_t thread;
        /* Answers, in order, one per request line; "%ID%" becomes the
         * request's id. NULL ends the session (close). */
        const char *const *answers;
} fake_daemon;

static void *fake_thread(void *userdata) {
        fake_daemon *d = userdata;
        int fd = accept(d->listen_fd, NULL, NULL);
        char buf[65536];
        size_t len = 0;

        if (fd < 0)
                return NULL;
        for (size_t i = 0; d->answers[i]; i++) {
                char *nl;
                while (!(nl = memchr(buf, '\n', len))) {
                        ssize_t k = read(fd, buf + len, sizeof(buf) - len - 1);
                        if (k <= 0)
                                goto finish;
                        len += (size_t) k;
                }
                *nl = '\0';
                json_object *req = json_tokener_parse(buf);
                json_object *jid = NULL;
                long long id = 0;
                if (req && json_object_object_get_ex(req, "id", &jid))
                        id = (long long) json_object_get_int64(jid);
                json_object_put(req);
                memmove(buf, nl + 1, len - (size_t) (nl + 1 - buf));
                len -= (size_t) (nl + 1 - buf);

                char out[4096], idtext[32];
                const char *a = d->answers[i], *p;
                size_t o = 0;
                snprintf(idtext, sizeof(idtext), "%lld", id);
                while ((p = strstr(a, "%ID%"))) {
                        o += (size_t) snprintf(out + o, sizeof(out) - o, "%.*s%s", (int) (p - a), a, idtext);
                        a = p + 4;
                }
                snprintf(out + o, sizeof(out) - o, "%s", a);
                /* "\x01" splits the answer into two writes, 50 ms apart. */
                char *split = strchr(out, '\x01');
                if (split) {
                        *split = '\0';
                        if (write(fd, out, strlen(out)) < 0)
                                break;
                        usleep(50 * 1000);
                        memmove(out, split + 1, strlen(split + 1) + 1);
                }
                if (write(fd, out, strlen(out)) < 0)
                        break;
        }
finish:
        close(fd);
        return NULL;
}

static void fake_start(fake_daemon *d, const char *const *answers) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };

        snprintf(d->dir, sizeof(d->dir), "/tmp/ph-fake-XXXXXX");
        assert_non_null(mkdtemp(d->dir));
        snprintf(d->path, sizeof(d->path), "%s/sock", d->dir);
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", d->path);
        d->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(d->listen_fd >= 0);
        assert_int_equal(bind(d->listen_fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        assert_int_equal(listen(d->listen_fd, 4), 0);
        d->answers = answers;
        assert_int_equal(pthread_create(&d->thread, NULL, fake_thread, d), 0);
}

static void fake_stop(fake_daemon *d) {
        /* Wake accept() if nobody connected. */
        shutdown(d->listen_fd, SHUT_RDWR);
        pthread_join(d->thread, NULL);
        close(d->listen_fd);
        unlink(d->path);
        rmdir(d->dir);
}

#define HELLO "{\"v\":1,\"id\":%ID%,\"ok\":true,\"result\":{\"version\":1,\"daemon\":\"0.1.0\",\"hubs\":[\"demo\"]}}\n"

static void test_fake_connect_errors(void **state) {
        fake_daemon d;
        ph_hub *hub = NULL;
        char *text = NULL;

        /* Nothing listening at a path that does not exist. */
        assert_int_equal(ph_hub_connect("/nonexistent/processhubd.sock", NULL, &hub, &text), -ENOENT);
        assert_non_null(strstr(text, "cannot reach processhubd at /nonexistent/processhubd.sock"));
        assert_non_null(strstr(text, "is it running?"));
        assert_null(hub);
        text = mfree(text);

        static const char *const v2[] = { "{\"v\":1,\"id\":%ID%,\"ok\":true,\"result\":{\"version\":2,\"hubs\":[\"demo\"]}}\n", NULL };
        fake_start(&d, v2);
        assert_int_equal(ph_hub_connect(d.path, NULL, &hub, &text), -EPROTONOSUPPORT);
        assert_non_null(strstr(text, "protocol version 2"));
        text = mfree(text);
        fake_stop(&d);

        static const char *const refused[] = {
                "{\"v\":1,\"id\":0,\"ok\":false,\"error\":{\"errno\":13,\"code\":\"EACCES\",\"message\":\"permission denied: uid 1000 is not root and not in group ph\"}}\n",
                NULL };
        fake_start(&d, refused);
        assert_int_equal(ph_hub_connect(d.path, NULL, &hub, &text), -EACCES);
        assert_non_null(strstr(text, "permission denied: uid 1000"));
        text = mfree(text);
        fake_stop(&d);

        static const char *const several[] = { "{\"v\":1,\"id\":%ID%,\"ok\":true,\"result\":{\"version\":1,\"hubs\":[\"a\",\"b\"]}}\n", NULL };
        fake_start(&d, several);
        assert_int_equal(ph_hub_connect(d.path, NULL, &hub, &text), -EINVAL);
        assert_non_null(strstr(text, "a, b"));
        text = mfree(text);
        fake_stop(&d);

        fake_start(&d, several);
        assert_int_equal(ph_hub_connect(d.path, "c", &hub, &text), -ENOENT);
        assert_non_null(strstr(text, "no hub named c"));
        text = mfree(text);
        fake_stop(&d);

        static const char *const garbage[] = { "this is not json\n", NULL };
        fake_start(&d, garbage);
        assert_int_equal(ph_hub_connect(d.path, NULL, &hub, &text), -EBADMSG);
        text = mfree(text);
        fake_stop(&d);

        /* $PROCESSHUB_SOCKET when no path is given. */
        static const char *const ok[] = { HELLO, NULL };
        fake_start(&d, ok);
        setenv("PROCESSHUB_SOCKET", d.path, 1);
        assert_int_equal(ph_hub_connect(NULL, NULL, &hub, &text), 0);
        unsetenv("PROCESSHUB_SOCKET");
        assert_true(ph_hub_is_remote(hub));
        assert_string_equal(ph_hub_id(hub), "demo");
        assert_int_equal(ph_hub_stop(hub), -EOPNOTSUPP);
        assert_int_equal(ph_hook_command_add(NULL, PH_HOOK_REGISTRY_PID_INSERT, "x", NULL, 0), -EINVAL);
        ph_hub_free(hub);
        fake_stop(&d);
}

static void test_fake_malformed_replies(void **state) {
        static const char *const answers[] = {
                HELLO,
                /* lookup: a reply whose result is not an info */
                "{\"v\":1,\"id\":%ID%,\"ok\":true,\"result\":{\"id\":\"a\",\"instances\":\"none\"}}\n",
                /* pid: the pid is a string */
                "{\"v\":1,\"id\":%ID%,\"ok\":true,\"result\":{\"id\":\"a\",\"pid\":\"12\"}}\n",
                /* ls: split over two writes, with the wrong id first (skipped) */
                "{\"v\":1,\"id\":999,\"ok\":true,\"result\":[]}\n{\"v\":1,\"id\":%ID%,\"ok\":true,\x01"
                "\"result\":[{\"id\":\"a\",\"instances\":[{\"node\":\"vm\",\"pid\":3}],\"tag\":null}]}\n",
                /* which: an error reply */
                "{\"v\":1,\"id\":%ID%,\"ok\":false,\"error\":{\"errno\":3,\"code\":\"ESRCH\",\"message\":\"x\"}}\n",
                /* status: a line of trailing garbage */
                "{\"v\":1,\"id\":%ID%,\"ok\":true,\"result\":{}} trailing\n",
                NULL,
        };
        fake_daemon d;
        ph_hub *hub = NULL;
        ph_child_info *info = NULL;
        ph_child_list *list = NULL;
        ph_child_state *states = NULL;
        size_t n = 0;
        pid_t pid = 0;

        fake_start(&d, answers);
        assert_int_equal(ph_hub_connect(d.path, "demo", &hub, NULL), 0);
        assert_int_equal(ph_child_lookup(hub, "a", &info), -EBADMSG);
        assert_null(info);
        assert_int_equal(ph_get_pid(hub, "a", &pid), -EBADMSG);
        assert_int_equal(pid, 0);
        /* the ls reply comes in two pieces, after one for another id */
        assert_int_equal(ph_process_list(hub, PH_SCOPE_GLOBAL, &list), 0);
        assert_int_equal(ph_child_list_n(list), 1);
        assert_int_equal(ph_child_list_at(list, 0)->instances[0].pid, 3);
        ph_child_list_free(list);
        assert_int_equal(ph_which_children(hub, &states, &n), -ESRCH);
        assert_false(ph_is_alive(hub)); /* status: trailing garbage */
        ph_hub_free(hub);
        fake_stop(&d);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_decode_info),
                cmocka_unit_test(test_decode_child_list),
                cmocka_unit_test(test_decode_infos_and_instances),
                cmocka_unit_test(test_decode_states),
                cmocka_unit_test(test_decode_results),
                cmocka_unit_test(test_decode_status_and_strv),
                cmocka_unit_test(test_decode_events),
                cmocka_unit_test(test_decode_malformed),
                cmocka_unit_test(test_encode_spec_round_trip),
                cmocka_unit_test(test_fake_connect_errors),
                cmocka_unit_test(test_fake_malformed_replies),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
