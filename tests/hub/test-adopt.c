/* SPDX-License-Identifier: MIT */

/* Adoption (ph_hub_config.state_dir): a helper process runs a hub and is
 * killed with SIGKILL; this process then starts the same hub and must take
 * over every child that still runs (same pid, no restart), start again the
 * ones that died meanwhile, leave alone a process whose pid was reused, and
 * remove leaves nobody recorded. Plus the state file's codec. Every test
 * removes its hub's cgroups, its processes and its state directory, also
 * when it fails. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "helpers.h"
#include "hub-internal.h"
#include "proc-stat.h"
#include "processhub.h"
#include "state-file.h"
#include "supervisor.h"
#include "time-util.h"

#ifndef TEST_CHILD_PATH
#error "TEST_CHILD_PATH must name the test-child program"
#endif

static const char *const sleep_argv[] = { TEST_CHILD_PATH, "sleep", NULL };
static const char *const notify_argv[] = { TEST_CHILD_PATH, "notify", "20", NULL };
/* "trans" runs a tree: its main process and two grandchildren that ignore
 * SIGTERM, their pids in tree_pids. */
static char tree_pids[128];
static const char *tree_argv[] = { TEST_CHILD_PATH, "tree", "2", tree_pids, NULL };

typedef struct adopt_fixture {
        char hub[64];
        char dir[64];
        char state_path[192];
        ph_hub *h;
        pid_t helper;
        pid_t others[4]; /* processes of ours outside the hub */
} adopt_fixture;

static unsigned counter;

static int adopt_setup(void **state) {
        adopt_fixture *f = calloc(1, sizeof(*f));

        assert_non_null(f);
        snprintf(f->hub, sizeof f->hub, "test-adopt-%d-%u", (int) getpid(), counter++);
        snprintf(f->dir, sizeof f->dir, "/run/test-adopt-%d", (int) getpid());
        snprintf(f->state_path, sizeof f->state_path, "%s/%s.state", f->dir, f->hub);
        snprintf(tree_pids, sizeof tree_pids, "%s/tree.pids", f->dir);
        *state = f;
        return 0;
}

static int adopt_teardown(void **state) {
        adopt_fixture *f = *state;
        _cleanup_cgroup_hierarchy_ cgroup_hierarchy *h = NULL;
        _cleanup_cgroup_subtree_ cgroup_subtree *t = NULL;
        _cleanup_free_ char *name = NULL;
        char path[256];

        ph_hub_free(f->h);
        if (f->helper > 0) {
                (void) kill(f->helper, SIGKILL);
                (void) waitpid(f->helper, NULL, 0);
        }
        for (size_t i = 0; i < ELEMENTSOF(f->others); i++)
                if (f->others[i] > 0) {
                        (void) kill(f->others[i], SIGKILL);
                        (void) waitpid(f->others[i], NULL, 0);
                }
        /* Whatever a failed test left in the hub's groups. */
        if (cgroup_hierarchy_discover(&h) >= 0 && cgroup_subtree_open(h, &t) >= 0 &&
            cgroup_escape_name(f->hub, ".hub", &name) >= 0)
                (void) cgroup_subtree_purge(t, name);
        (void) unlink(f->state_path);
        (void) unlink(tree_pids);
        snprintf(path, sizeof path, "%s.tmp", f->state_path);
        (void) unlink(path);
        snprintf(path, sizeof path, "%s/%s.lock", f->dir, f->hub);
        (void) unlink(path);
        (void) rmdir(f->dir);
        free(f);
        return 0;
}

static void spec_of(ph_child_spec *s, const char *id, ph_restart restart, bool notify) {
        ph_child_spec_init(s);
        s->id = id;
        s->argv = notify ? notify_argv : sleep_argv;
        s->restart = restart;
        s->ready = notify ? PH_READY_NOTIFY : PH_READY_EXEC;
        s->ready_timeout_ms = 5000;
        s->shutdown_timeout_ms = 1000;
        s->restart_delay_ms = s->restart_delay_max_ms = 5;
        s->stdout_output = s->stderr_output = PH_OUTPUT_NULL;
}

/* The static children of the helper's hub and of the adopting one. */
#define N_STATIC 3
static void static_specs(ph_child_spec specs[static N_STATIC]) {
        spec_of(&specs[0], "perm", PH_RESTART_PERMANENT, false);
        /* A memory limit: a group of its own in the v1 memory hierarchy
         * too, on hybrid hosts, for the adoption to keep. */
        specs[0].limits.memory_max = 256u << 20;
        spec_of(&specs[1], "trans", PH_RESTART_TRANSIENT, false);
        specs[1].argv = tree_argv;
        spec_of(&specs[2], "note", PH_RESTART_PERMANENT, true);
}

static void config_of(adopt_fixture *f, ph_hub_config *c, const ph_child_spec *specs, size_t n) {
        ph_hub_config_init(c);
        c->hub_id = f->hub;
        c->node_name = "node-a";
        c->state_dir = f->dir;
        c->child_specs = specs;
        c->n_child_specs = n;
}

/* The records of the state file, or NULL/0 when it cannot be read yet. */
static state_record *read_records(adopt_fixture *f, size_t *ret_n) {
        _cleanup_free_ char *text = NULL;
        state_record *records = NULL;

        *ret_n = 0;
        if (state_file_read(f->state_path, &text) < 0)
                return NULL;
        if (state_file_decode(text, f->hub, &records, ret_n, NULL) < 0)
                return NULL;
        return records;
}

static size_t running_in_state_file(adopt_fixture *f) {
        size_t n = 0, k = 0;
        state_record *r = read_records(f, &n);

        for (size_t i = 0; i < n; i++)
                k += r[i].pid > 0;
        state_records_free(r, n);
        return k;
}

static pid_t recorded_pid(adopt_fixture *f, const char *id) {
        size_t n = 0;
        pid_t pid = 0;
        state_record *r = read_records(f, &n);

        for (size_t i = 0; i < n; i++)
                if (strcmp(r[i].spec->id, id) == 0)
                        pid = r[i].pid;
        state_records_free(r, n);
        return pid;
}

/* Fork a process that runs the hub with the static children plus n_extra
 * sleeping children "x<i>" (tag "extra", metadata k=v<i>), waits until the
 * state file records all of them running, says so, and waits to be
 * killed. Returns once it said so. */
static void run_helper_as(adopt_fixture *f, size_t n_extra, bool wait_recorded) {
        int p[2];
        char ok = 0;

        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        f->helper = fork();
        assert_true(f->helper >= 0);
        if (f->helper == 0) {
                ph_child_spec specs[N_STATIC];
                ph_hub_config c;
                ph_hub *h = NULL;
                char *error = NULL;

                close(p[0]);
                static_specs(specs);
                config_of(f, &c, specs, N_STATIC);
                if (ph_hub_start(&c, &h, &error) < 0) {
                        fprintf(stderr, "helper: ph_hub_start: %s\n", error ?: "");
                        _exit(1);
                }
                if (n_extra > 0) {
                        ph_child_spec *extra = calloc(n_extra, sizeof(ph_child_spec));
                        char (*ids)[24] = calloc(n_extra, 24);
                        ph_kv kv = { "k", "v" };
                        ph_metadata md = { .tag = "extra", .values = &kv, .n_values = 1 };
                        ph_start_opts so;
                        ph_future *fut = NULL;
                        ph_result *res = NULL;

                        for (size_t i = 0; i < n_extra; i++) {
                                snprintf(ids[i], 24, "x%zu", i);
                                spec_of(&extra[i], ids[i], PH_RESTART_PERMANENT, false);
                        }
                        ph_start_opts_init(&so);
                        so.awaitable = true;
                        so.metadata = &md;
                        so.timeout_ms = 30000;
                        if (ph_start_children(h, extra, n_extra, &so, &fut, NULL) < 0 ||
                            ph_future_await(fut, &res) < 0 || ph_result_status(res) != PH_STATUS_OK)
                                _exit(1);
                }
                uint64_t deadline = now_usec() + 20 * USEC_PER_SEC;
                while (wait_recorded && running_in_state_file(f) < N_STATIC + n_extra) {
                        if (now_usec() > deadline)
                                _exit(1);
                        usleep(10000);
                }
                ok = 1;
                if (write(p[1], &ok, 1) != 1)
                        _exit(1);
                for (;;)
                        pause();
        }
        close(p[1]);
        assert_int_equal(read(p[0], &ok, 1), 1);
        close(p[0]);
        assert_int_equal(ok, 1);
}

static void run_helper(adopt_fixture *f, size_t n_extra) {
        run_helper_as(f, n_extra, true);
}

static void kill_helper(adopt_fixture *f) {
        assert_int_equal(kill(f->helper, SIGKILL), 0);
        assert_int_equal(waitpid(f->helper, NULL, 0), f->helper);
        f->helper = 0;
}

static void start_adopting(adopt_fixture *f) {
        ph_child_spec specs[N_STATIC];
        ph_hub_config c;
        char *error = NULL;
        int r;

        static_specs(specs);
        config_of(f, &c, specs, N_STATIC);
        r = ph_hub_start(&c, &f->h, &error);
        if (r < 0)
                fail_msg("ph_hub_start: %s (%s)", strerror(-r), error ?: "");
        free(error);
}

static pid_t pid_of(adopt_fixture *f, const char *id) {
        pid_t pid = 0;

        if (ph_get_pid(f->h, id, &pid) < 0)
                return 0;
        return pid;
}

static const ph_child_state *state_of(const ph_child_state *s, size_t n, const char *id) {
        for (size_t i = 0; i < n; i++)
                if (strcmp(s[i].id, id) == 0)
                        return &s[i];
        return NULL;
}

static bool wait_new_pid(adopt_fixture *f, const char *id, pid_t old, unsigned timeout_ms) {
        uint64_t deadline = now_usec() + (uint64_t) timeout_ms * USEC_PER_MSEC;

        for (;;) {
                pid_t p = pid_of(f, id);
                if (p > 0 && p != old)
                        return true;
                if (now_usec() > deadline)
                        return false;
                usleep(5000);
        }
}

static bool wait_dead(pid_t pid, unsigned timeout_ms) {
        uint64_t deadline = now_usec() + (uint64_t) timeout_ms * USEC_PER_MSEC;

        while (pid_alive(pid)) {
                if (now_usec() > deadline)
                        return false;
                usleep(2000);
        }
        return true;
}

/* On hybrid hosts: the v1 memory group pid is in, as /proc says; NULL when
 * memory is not on v1. */
static char *v1_memory_group(pid_t pid) {
        char path[64], line[512];
        char *result = NULL;
        FILE *fp;

        snprintf(path, sizeof path, "/proc/%d/cgroup", (int) pid);
        fp = fopen(path, "re");
        if (!fp)
                return NULL;
        while (!result && fgets(line, sizeof line, fp)) {
                char *ctrl = strchr(line, ':'), *p;
                if (!ctrl || !(p = strchr(ctrl + 1, ':')))
                        continue;
                *p = '\0';
                if (strstr(ctrl + 1, "memory")) {
                        p[1 + strcspn(p + 1, "\n")] = '\0';
                        result = strdup(p + 1);
                }
        }
        fclose(fp);
        return result;
}

static size_t read_tree_pids(pid_t *pids, size_t max) {
        FILE *fp = fopen(tree_pids, "re");
        size_t n = 0;
        int p;

        if (!fp)
                return 0;
        while (n < max && fscanf(fp, "%d", &p) == 1)
                pids[n++] = p;
        fclose(fp);
        return n;
}

static void test_adopt_after_kill9(void **state) {
        adopt_fixture *f = *state;
        const char *ids[] = { "perm", "trans", "note", "x0" };
        pid_t before[ELEMENTSOF(ids)];
        ph_child_state *st = NULL;
        ph_child_info *info = NULL;
        size_t n = 0;
        char *text = NULL;
        struct stat sb;

        run_helper(f, 1);
        for (size_t i = 0; i < ELEMENTSOF(ids); i++)
                assert_true((before[i] = recorded_pid(f, ids[i])) > 0);
        kill_helper(f);

        start_adopting(f);
        for (size_t i = 0; i < ELEMENTSOF(ids); i++)
                assert_int_equal(pid_of(f, ids[i]), before[i]);
        assert_int_equal(ph_child_lookup(f->h, "x0", &info), 0);
        assert_non_null(info->tag);
        assert_string_equal(info->tag, "extra");
        assert_int_equal(info->n_metadata, 1);
        assert_string_equal(info->metadata[0].key, "k");
        assert_string_equal(info->metadata[0].value, "v");
        assert_int_equal(info->spec.restart, PH_RESTART_PERMANENT);
        assert_string_equal(info->spec.argv[0], TEST_CHILD_PATH);
        ph_child_info_free(info);

        assert_int_equal(ph_which_children(f->h, &st, &n), 0);
        assert_int_equal(n, ELEMENTSOF(ids));
        for (size_t i = 0; i < ELEMENTSOF(ids); i++) {
                const ph_child_state *s = state_of(st, n, ids[i]);
                assert_non_null(s);
                assert_string_equal(s->state, "running");
                assert_int_equal(s->pid, before[i]);
                assert_int_equal(s->restarts, 0);
        }
        ph_child_states_free(st, n);

        /* The exit of a process that is not our child: seen on its pidfd,
         * restarted by us as our own, into the same groups (v1 included). */
        _cleanup_free_ char *v1_before = v1_memory_group(before[0]);
        assert_int_equal(kill(before[0], SIGKILL), 0);
        assert_true(wait_new_pid(f, "perm", before[0], 5000));
        _cleanup_free_ char *v1_after = v1_memory_group(pid_of(f, "perm"));
        if (v1_before) {
                assert_non_null(v1_after);
                assert_string_equal(v1_before, v1_after);
                assert_non_null(strstr(v1_after, "/perm.child"));
        }
        /* waitid() has no status for it; the kernel's exit tracer, where
         * it runs, has. */
        ph_hub_status *hs = NULL;
        assert_int_equal(ph_hub_get_status(f->h, &hs), 0);
        assert_non_null(hs->kernel_bpf);
        bool traced = strcmp(hs->kernel_bpf, "active") == 0;
        ph_hub_status_free(hs);
        assert_int_equal(ph_child_last_exit(f->h, "perm", &text), 0);
        if (traced)
                assert_string_equal(text, "killed by signal SIGKILL");
        else
                assert_non_null(strstr(text, "status unknown"));
        free(text);
        assert_int_equal(ph_which_children(f->h, &st, &n), 0);
        assert_int_equal(state_of(st, n, "perm")->restarts, 1);
        ph_child_states_free(st, n);

        /* Stopping an adopted child kills its tree and removes its group. */
        pid_t tree[3];
        assert_int_equal(read_tree_pids(tree, 3), 3);
        assert_int_equal(tree[2], before[1]);
        ph_stop_opts so;
        ph_future *fut = NULL;
        ph_result *res = NULL;
        char leaf[512];
        _cleanup_free_ char *lname = NULL;
        ph_stop_opts_init(&so);
        so.awaitable = true;
        assert_int_equal(cgroup_escape_name("trans", ".child", &lname), 0);
        snprintf(leaf, sizeof leaf, "%s/%s", supervisor_cgroup_path(f->h->supervisor, (char[PATH_MAX]) {}), lname);
        assert_int_equal(stat(leaf, &sb), 0);
        assert_int_equal(ph_stop_child(f->h, "trans", &so, &fut), 0);
        assert_int_equal(ph_future_await(fut, &res), 0);
        assert_int_equal(ph_result_status(res), PH_STATUS_OK);
        ph_result_free(res);
        ph_future_free(fut);
        for (size_t i = 0; i < 3; i++)
                assert_true(wait_dead(tree[i], 2000));
        assert_int_equal(stat(leaf, &sb), -1);

        /* The file follows (coalesced): "trans" goes from it. */
        uint64_t deadline = now_usec() + 5 * USEC_PER_SEC;
        while (recorded_pid(f, "trans") != 0 && now_usec() < deadline)
                usleep(10000);
        assert_int_equal(recorded_pid(f, "trans"), 0);
        assert_int_equal(recorded_pid(f, "note"), before[2]);

        /* A clean stop: nothing runs, nothing to adopt. */
        assert_int_equal(ph_hub_stop(f->h), 0);
        assert_int_equal(stat(f->state_path, &sb), -1);
        assert_int_equal(errno, ENOENT);
        for (size_t i = 1; i < ELEMENTSOF(ids); i++)
                assert_true(wait_dead(before[i], 2000));
}

static void test_child_died_while_no_hub_ran(void **state) {
        adopt_fixture *f = *state;
        pid_t perm, note;
        ph_child_state *st = NULL;
        size_t n = 0;

        run_helper(f, 0);
        perm = recorded_pid(f, "perm");
        note = recorded_pid(f, "note");
        kill_helper(f);
        assert_int_equal(kill(perm, SIGKILL), 0);
        assert_true(wait_dead(perm, 2000));

        start_adopting(f);
        assert_int_equal(pid_of(f, "note"), note);
        pid_t again = pid_of(f, "perm");
        assert_true(again > 0 && again != perm);
        assert_int_equal(ph_which_children(f->h, &st, &n), 0);
        assert_int_equal(n, N_STATIC);
        assert_string_equal(state_of(st, n, "perm")->state, "running");
        assert_int_equal(state_of(st, n, "perm")->restarts, 1);
        assert_int_equal(state_of(st, n, "note")->restarts, 0);
        ph_child_states_free(st, n);
}

/* The state file records each child by its pidfs inode where the kernel
 * has pidfs; a file of the versions before, with start times only, is
 * still adopted from (by start time; a child keeps the identity it was
 * checked by until it restarts). */
static void test_adopt_file_of_older_version(void **state) {
        adopt_fixture *f = *state;
        _cleanup_free_ char *text = NULL;
        state_record *recs = NULL;
        size_t n = 0;
        pid_t before[N_STATIC];

        run_helper(f, 0);
        kill_helper(f);
        recs = read_records(f, &n);
        assert_int_equal(n, N_STATIC);
        for (size_t i = 0; i < n; i++) {
                int fd = (int) syscall(SYS_pidfd_open, recs[i].pid, 0);
                uint64_t ino = 0;

                assert_true(fd >= 0);
                before[i] = recs[i].pid;
                if (pidfd_inode(fd, &ino) == 0) {
                        assert_true(recs[i].identity.pidfs_ino == ino);
                        assert_true(recs[i].identity.start_time == 0);
                } else
                        assert_true(recs[i].identity.pidfs_ino == 0);
                close(fd);
                /* As the version before wrote it. */
                recs[i].identity.pidfs_ino = 0;
                assert_int_equal(proc_start_time(recs[i].pid, &recs[i].identity.start_time), 0);
        }
        assert_int_equal(state_file_encode(f->hub, recs, n, &text), 0);
        assert_null(strstr(text, "pidfs_ino"));
        assert_int_equal(state_file_write(f->state_path, text), 0);

        start_adopting(f);
        for (size_t i = 0; i < n; i++)
                assert_int_equal(pid_of(f, recs[i].spec->id), before[i]);
        state_records_free(recs, n);
}

static pid_t fork_sleeper(void) {
        pid_t pid = fork();

        assert_true(pid >= 0);
        if (pid == 0) {
                for (;;)
                        pause();
        }
        return pid;
}

/* A pid reused by an unrelated process (simulated: a record with the pid
 * of a process of ours and a start time that is not its own) is not
 * adopted, and that process is left alone; a leaf with a process and no
 * record is killed and removed. */
static void test_reused_pid_and_stray(void **state) {
        adopt_fixture *f = *state;
        _cleanup_cgroup_hierarchy_ cgroup_hierarchy *h = NULL;
        _cleanup_cgroup_subtree_ cgroup_subtree *t = NULL;
        _cleanup_free_ char *hub_name = NULL, *text = NULL;
        cgroup_group *hub_group = NULL, *stray = NULL;
        child_spec *spec = NULL;
        ph_child_spec pub;
        char *error = NULL, procs[512], pidbuf[16];
        uint64_t t0;
        pid_t unrelated, stray_pid;
        struct stat sb;

        unrelated = f->others[0] = fork_sleeper();
        assert_int_equal(proc_start_time(unrelated, &t0), 0);

        /* The stray: a leaf under the hub's group holding a process. */
        assert_int_equal(cgroup_hierarchy_discover(&h), 0);
        assert_int_equal(cgroup_subtree_open(h, &t), 0);
        assert_int_equal(cgroup_escape_name(f->hub, ".hub", &hub_name), 0);
        assert_int_equal(cgroup_group_new(t, NULL, hub_name, NULL, &hub_group), 0);
        assert_int_equal(cgroup_group_new(t, hub_group, "stray.child", NULL, &stray), 0);
        stray_pid = f->others[1] = fork_sleeper();
        snprintf(procs, sizeof procs, "%s/cgroup.procs", CGROUP_GROUP_PATH(stray));
        snprintf(pidbuf, sizeof pidbuf, "%d", (int) stray_pid);
        FILE *fp = fopen(procs, "we");
        assert_non_null(fp);
        assert_true(fputs(pidbuf, fp) >= 0);
        assert_int_equal(fclose(fp), 0);
        assert_int_equal(cgroup_group_contains_pid(stray, stray_pid), 1);

        /* The record. */
        ph_child_spec_init(&pub);
        spec_of(&pub, "reused", PH_RESTART_PERMANENT, false);
        assert_int_equal(hub_spec_from_public(&pub, &spec, NULL), 0);
        state_record rec = { .spec = spec, .pid = unrelated, .identity.start_time = t0 + 1, .restarts = 2 };
        assert_int_equal(mkdir(f->dir, 0755) == 0 || errno == EEXIST, 1);
        assert_int_equal(state_file_encode(f->hub, &rec, 1, &text), 0);
        assert_int_equal(state_file_write(f->state_path, text), 0);
        child_spec_free(spec);

        ph_hub_config c;
        config_of(f, &c, NULL, 0);
        assert_int_equal(ph_hub_start(&c, &f->h, &error), 0);
        free(error);

        assert_true(pid_alive(unrelated));
        pid_t fresh = pid_of(f, "reused");
        assert_true(fresh > 0 && fresh != unrelated);
        ph_child_state *st = NULL;
        size_t n = 0;
        assert_int_equal(ph_which_children(f->h, &st, &n), 0);
        assert_int_equal(n, 1);
        assert_int_equal(st[0].restarts, 3);
        ph_child_states_free(st, n);

        /* The stray is gone, process and group. */
        assert_true(wait_dead(stray_pid, 2000));
        assert_int_equal(stat(CGROUP_GROUP_PATH(stray), &sb), -1);
        (void) waitpid(stray_pid, NULL, 0);
        f->others[1] = 0;

        cgroup_group_free(stray);
        cgroup_group_free(hub_group);
}

static void test_thousand_adopted(void **state) {
        adopt_fixture *f = *state;
        enum { N = 1000 };
        pid_t *before = calloc(N, sizeof(pid_t));
        size_t n = 0;
        state_record *r;
        char id[24];

        assert_non_null(before);
        run_helper(f, N);
        struct stat file_before, file_after;
        r = read_records(f, &n);
        assert_int_equal(n, N + N_STATIC);
        for (size_t i = 0; i < n; i++)
                if (r[i].spec->id[0] == 'x')
                        before[atoi(r[i].spec->id + 1)] = r[i].pid;
        state_records_free(r, n);
        kill_helper(f);
        assert_int_equal(stat(f->state_path, &file_before), 0);

        uint64_t t0 = now_usec();
        start_adopting(f);
        uint64_t took = now_usec() - t0;
        print_message("adopted %d children in %" PRIu64 " ms\n", N + N_STATIC, took / USEC_PER_MSEC);

        /* Every record taken as it was: the file is not written again
         * (a write is a rename, a new inode), not even after the
         * coalescing interval. */
        usleep(300 * 1000);
        assert_int_equal(stat(f->state_path, &file_after), 0);
        assert_true(file_after.st_ino == file_before.st_ino);
        for (size_t i = 0; i < N; i++) {
                snprintf(id, sizeof id, "x%zu", i);
                assert_true(before[i] > 0);
                assert_int_equal(pid_of(f, id), before[i]);
        }
        ph_child_state *st = NULL;
        assert_int_equal(ph_which_children(f->h, &st, &n), 0);
        assert_int_equal(n, N + N_STATIC);
        for (size_t i = 0; i < n; i++)
                assert_int_equal(st[i].restarts, 0);
        ph_child_states_free(st, n);
        free(before);
}

/* Killed right after the start was answered, without waiting for the
 * coalesced flush: an answered start is on record, so nothing it started
 * is a stray at the next start. */
static void test_answered_start_is_on_record(void **state) {
        adopt_fixture *f = *state;
        enum { N = 40 };
        size_t n = 0, extras = 0;
        pid_t before[N] = {};
        char id[24];

        run_helper_as(f, N, false);
        kill_helper(f);
        state_record *r = read_records(f, &n);
        for (size_t i = 0; i < n; i++)
                if (r[i].spec->id[0] == 'x') {
                        assert_true(r[i].pid > 0);
                        before[atoi(r[i].spec->id + 1)] = r[i].pid;
                        extras++;
                }
        state_records_free(r, n);
        assert_int_equal(extras, N);

        start_adopting(f);
        for (size_t i = 0; i < N; i++) {
                snprintf(id, sizeof id, "x%zu", i);
                assert_int_equal(pid_of(f, id), before[i]);
        }
}

/* ---- The state file ---- */

static void test_state_file_round_trip(void **state) {
        ph_child_spec pub;
        child_spec *a = NULL, *b = NULL;
        static const char *const env[] = { "A=1", "B=\"quoted\" \\ and \n newline", NULL };
        registry_kv md[] = { { "k1", "v1" }, { "k2", "" } };
        _cleanup_free_ char *text = NULL, *error = NULL;
        state_record *out = NULL;
        size_t n = 0;

        spec_of(&pub, "one", PH_RESTART_TRANSIENT, true);
        pub.env = env;
        pub.cwd = "/tmp";
        pub.user = "nobody";
        pub.limits.memory_max = PH_LIMIT_MAX;
        pub.limits.pids_max = 64;
        pub.stdout_output = PH_OUTPUT_FILE;
        pub.stdout_path = "/tmp/x.log";
        assert_int_equal(hub_spec_from_public(&pub, &a, NULL), 0);
        spec_of(&pub, "two", PH_RESTART_TEMPORARY, false);
        assert_int_equal(hub_spec_from_public(&pub, &b, NULL), 0);

        state_record in[] = {
                { .spec = a, .tag = "web", .metadata = md, .n_metadata = 2, .pid = 1234,
                  .identity = { .start_time = UINT64_MAX - 1, .pidfs_ino = UINT64_MAX - 2 }, .restarts = 7 },
                { .spec = b, .pid = 99, .identity.start_time = 5 },
        };
        assert_int_equal(state_file_encode("hub-é", in, 2, &text), 0);
        /* pidfs_ino only where there is one: the second record keeps the
         * shape the versions before it wrote and read. */
        const char *ino = strstr(text, "\"pidfs_ino\"");
        assert_non_null(ino);
        assert_null(strstr(ino + 1, "\"pidfs_ino\""));
        assert_int_equal(state_file_decode(text, "hub-é", &out, &n, &error), 0);
        assert_int_equal(n, 2);
        assert_string_equal(out[0].spec->id, "one");
        assert_string_equal(child_spec_extra_of(out[0].spec)->env[1], env[1]);
        assert_null(child_spec_extra_of(out[0].spec)->env[2]);
        assert_string_equal(child_spec_extra_of(out[0].spec)->cwd, "/tmp");
        assert_string_equal(child_spec_extra_of(out[0].spec)->user, "nobody");
        assert_null(child_spec_extra_of(out[0].spec)->group);
        assert_int_equal(out[0].spec->restart, CHILD_RESTART_TRANSIENT);
        assert_int_equal(out[0].spec->ready, CHILD_READY_NOTIFY);
        assert_int_equal(out[0].spec->ready_timeout_usec, a->ready_timeout_usec);
        assert_int_equal(out[0].spec->restart_delay_usec, a->restart_delay_usec);
        assert_true(out[0].spec->limits.memory_max == UINT64_MAX);
        assert_int_equal(out[0].spec->limits.pids_max, 64);
        assert_int_equal(out[0].spec->stdout_output, CHILD_OUTPUT_FILE);
        assert_string_equal(child_spec_extra_of(out[0].spec)->stdout_path, "/tmp/x.log");
        assert_string_equal(out[0].tag, "web");
        assert_int_equal(out[0].n_metadata, 2);
        assert_string_equal(out[0].metadata[1].key, "k2");
        assert_string_equal(out[0].metadata[1].value, "");
        assert_int_equal(out[0].pid, 1234);
        assert_true(out[0].identity.start_time == UINT64_MAX - 1);
        assert_true(out[0].identity.pidfs_ino == UINT64_MAX - 2);
        assert_int_equal(out[0].restarts, 7);
        assert_int_equal(out[1].pid, 99);
        assert_true(out[1].identity.start_time == 5);
        assert_true(out[1].identity.pidfs_ino == 0);
        assert_null(child_spec_extra_of(out[1].spec)->env);
        assert_null(out[1].tag);
        assert_int_equal(out[1].n_metadata, 0);
        state_records_free(out, n);

        /* Another hub's file is refused. */
        assert_int_equal(state_file_decode(text, "other", &out, &n, &error), -EBADMSG);
        assert_non_null(strstr(error, "hub_id"));

        /* Cut anywhere: always refused, never half read. */
        for (size_t cut = 0; cut < strlen(text); cut += 7) {
                _cleanup_free_ char *part = strndup(text, cut);
                char *e = NULL;
                assert_int_equal(state_file_decode(part, "hub-é", &out, &n, &e), -EBADMSG);
                assert_non_null(e);
                free(e);
        }
        child_spec_free(a);
        child_spec_free(b);
}

/* Version 2 leaves out what is at its default (child_spec_init(), no tag,
 * no metadata, 0): a plain child is its id, argv and pid. Read back, the
 * defaults are filled in. */
static void test_state_file_defaults_left_out(void **state) {
        static char *const argv[] = { (char *) "/bin/sleep", (char *) "1", NULL };
        child_spec plain;
        state_record in = { .spec = &plain, .pid = 42, .identity.pidfs_ino = 7 }, *out = NULL;
        _cleanup_free_ char *text = NULL, *error = NULL;
        child_spec def;
        size_t n = 0;

        child_spec_init(&plain);
        plain.id = (char *) "plain";
        plain.argv = (char **) argv;
        assert_int_equal(state_file_encode("h", &in, 1, &text), 0);
        assert_string_equal(text, "{\"format\":\"processhub-state\",\"version\":2,\"hub_id\":\"h\",\"children\":["
                                  "{\"spec\":{\"id\":\"plain\",\"argv\":[\"/bin/sleep\",\"1\"]},\"pid\":42,\"pidfs_ino\":7}]}");

        assert_int_equal(state_file_decode(text, "h", &out, &n, &error), 0);
        assert_int_equal(n, 1);
        child_spec_init(&def);
        assert_int_equal(out[0].spec->restart, def.restart);
        assert_int_equal(out[0].spec->ready, def.ready);
        assert_true(out[0].spec->ready_timeout_usec == def.ready_timeout_usec);
        assert_true(out[0].spec->shutdown_timeout_usec == def.shutdown_timeout_usec);
        assert_int_equal(out[0].spec->restart_burst, def.restart_burst);
        assert_true(out[0].spec->restart_interval_usec == def.restart_interval_usec);
        assert_true(out[0].spec->restart_delay_usec == def.restart_delay_usec);
        assert_true(out[0].spec->restart_delay_max_usec == def.restart_delay_max_usec);
        assert_true(out[0].spec->limits.memory_max == 0 && out[0].spec->limits.pids_max == 0);
        assert_int_equal(out[0].spec->limits.cpu_weight + out[0].spec->limits.io_weight, 0);
        assert_int_equal(out[0].spec->stdout_output, def.stdout_output);
        assert_int_equal(out[0].spec->stderr_output, def.stderr_output);
        assert_null(child_spec_extra_of(out[0].spec)->env);
        assert_null(child_spec_extra_of(out[0].spec)->cwd);
        assert_null(out[0].tag);
        assert_int_equal(out[0].n_metadata, 0);
        assert_int_equal(out[0].pid, 42);
        assert_true(out[0].identity.pidfs_ino == 7 && out[0].identity.start_time == 0);
        assert_int_equal(out[0].restarts, 0);
        state_records_free(out, n);

        /* An empty environment is not the supervisor's: it is kept. */
        static char *const no_env[] = { NULL };
        child_spec_extra *x = NULL;
        assert_int_equal(child_spec_extra_get(&plain, &x), 0);
        x->env = (char **) no_env;
        free(text);
        text = NULL;
        assert_int_equal(state_file_encode("h", &in, 1, &text), 0);
        assert_non_null(strstr(text, "\"env\":[]"));
        assert_int_equal(state_file_decode(text, "h", &out, &n, &error), 0);
        assert_non_null(child_spec_extra_of(out[0].spec)->env);
        assert_null(child_spec_extra_of(out[0].spec)->env[0]);
        state_records_free(out, n);
        x->env = NULL;
        free(plain.extra);
}

static void test_state_file_bad_content(void **state) {
        static const struct {
                const char *text, *expect;
        } cases[] = {
                { "", "truncated" },
                { "{\"format\":\"processhub-state\",\"version\":1,\"hub_id\":\"h\",\"children\":[]} x", "trailing" },
                { "[]", "not a JSON object" },
                { "{\"format\":\"other\"}", "format" },
                { "{\"format\":\"processhub-state\",\"version\":3}", "version" },
                { "{\"format\":\"processhub-state\",\"version\":0}", "version" },
                { "{\"format\":\"processhub-state\",\"version\":1,\"hub_id\":\"h\",\"children\":{}}", "children" },
                { "{\"format\":\"processhub-state\",\"version\":1,\"hub_id\":\"h\",\"children\":[{\"spec\":{\"id\":\"a\",\"argv\":\"x\"}}]}",
                  "children[0].spec.argv" },
                { "{\"format\":\"processhub-state\",\"version\":1,\"hub_id\":\"h\",\"children\":[{\"spec\":{\"id\":\"a\",\"argv\":[]}}]}",
                  "children[0].spec" },
        };
        state_record *out = NULL;
        size_t n = 0;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *e = NULL;
                assert_int_equal(state_file_decode(cases[i].text, "h", &out, &n, &e), -EBADMSG);
                if (!strstr(e, cases[i].expect))
                        fail_msg("case %zu: \"%s\" does not say %s", i, e, cases[i].expect);
        }
        _cleanup_free_ char *e = NULL;
        assert_int_equal(state_file_decode("{\"format\":\"processhub-state\",\"version\":1,\"hub_id\":\"h\",\"children\":[]}",
                                           "h", &out, &n, &e), 0);
        assert_int_equal(n, 0);
        assert_int_equal(state_file_read("/nonexistent/x.state", &e), -ENOENT);
}

/* What jq or an operator may leave: members in another order, spaced out,
 * unknown members of every JSON type, escapes of every kind (a member name
 * escaped too, given twice: the last counts). */
static void test_state_file_any_json(void **state) {
        static const char text[] =
                "{ \"children\" : [ {\n"
                "  \"x-note\": {\"a\": [1, 2.5e3, -0, 1E-2, true, false, null, \"s\\\"]\", {}, [[]]]},\n"
                "  \"restarts\": 2, \"start_time\": 18446744073709551615, \"pid\": 2147483647,\n"
                "  \"metadata\": [[\"k\", \"\\u00e9\\ud83d\\ude00\\/\\b\\f\\n\\r\\t\\\"\\\\\"], [\"\", \"\"]],\n"
                "  \"tag\": null,\n"
                "  \"spec\": {\"stderr\": {\"path\": null, \"kind\": \"null\"},\n"
                "    \"stdout\": {\"kind\": \"file\", \"path\": \"/tmp/o\", \"mode\": 420},\n"
                "    \"limits\": {\"io_weight\": 0, \"cpu_weight\": 0, \"pids_max\": 64, \"memory_max\": 0},\n"
                "    \"restart_delay_max_usec\": 5, \"restart_delay_usec\": 5, \"restart_interval_usec\": 1000000,\n"
                "    \"restart_burst\": 3, \"shutdown_timeout_usec\": 1, \"ready_timeout_usec\": 1,\n"
                "    \"ready\": \"exec\", \"restart\": \"transient\",\n"
                "    \"group\": null, \"user\": null, \"cwd\": \"/\",\n"
                "    \"env\": [], \"argv\": [\"/bin/true\", \"\\u0001\\u001f\", \"caf\\u00e9\", \"\xff\xfe\"],\n"
                "    \"\\u0069d\": \"one\", \"id\": \"two\"}\n"
                "} ], \"hub_id\": \"h\", \"version\": 1, \"format\": \"processhub-state\" }\r\n\t ";
        _cleanup_free_ char *error = NULL;
        state_record *out = NULL;
        size_t n = 0;

        if (state_file_decode(text, "h", &out, &n, &error) < 0)
                fail_msg("refused: %s", error);
        assert_int_equal(n, 1);
        assert_string_equal(out[0].spec->id, "two");
        assert_string_equal(out[0].spec->argv[1], "\x01\x1f");
        assert_string_equal(out[0].spec->argv[2], "caf\xc3\xa9");
        assert_string_equal(out[0].spec->argv[3], "\xff\xfe");
        assert_null(out[0].spec->argv[4]);
        assert_non_null(child_spec_extra_of(out[0].spec)->env);
        assert_null(child_spec_extra_of(out[0].spec)->env[0]);
        assert_string_equal(child_spec_extra_of(out[0].spec)->cwd, "/");
        assert_int_equal(out[0].spec->restart, CHILD_RESTART_TRANSIENT);
        assert_int_equal(out[0].spec->restart_burst, 3);
        assert_int_equal(out[0].spec->limits.pids_max, 64);
        assert_int_equal(out[0].spec->stdout_output, CHILD_OUTPUT_FILE);
        assert_string_equal(child_spec_extra_of(out[0].spec)->stdout_path, "/tmp/o");
        assert_int_equal(out[0].spec->stderr_output, CHILD_OUTPUT_NULL);
        assert_null(out[0].tag);
        assert_int_equal(out[0].n_metadata, 2);
        assert_string_equal(out[0].metadata[0].value, "\xc3\xa9\xf0\x9f\x98\x80/\b\f\n\r\t\"\\");
        assert_string_equal(out[0].metadata[1].key, "");
        assert_int_equal(out[0].pid, 2147483647);
        assert_true(out[0].identity.start_time == UINT64_MAX);
        assert_true(out[0].identity.pidfs_ino == 0); /* absent: a file of a version before it */
        assert_int_equal(out[0].restarts, 2);
        state_records_free(out, n);
}

/* Not JSON, or not the format, anywhere in a record: refused as a whole,
 * saying what and where. Each case changes one piece of a good file.
 * (json-c, which reads the file, takes a lone UTF-16 surrogate in a
 * \u escape and puts U+FFFD in its place.) */
static void test_state_file_refused(void **state) {
        static const struct {
                const char *from, *to, *expect;
        } cases[] = {
                { "\"pid\":1234", "\"pid\":1.5", "children[0].pid: missing or not an integer" },
                { "\"pid\":1234", "\"pid\":01234", "not JSON" },
                { "\"pid\":1234", "\"pid\":2147483648", "children[0].pid: out of range" },
                { "\"pid\":1234", "\"pid\":18446744073709551616", "out of range" },
                { "\"restarts\":7", "\"restarts\":-7", "children[0].restarts: negative" },
                { "\"restarts\":7", "\"restarts\":\"7\"", "children[0].restarts: missing or not an integer" },
                { "\"tag\":\"web\"", "\"tag\":5", "children[0].tag: not a string" },
                { "\"id\":\"one\"", "\"id\":\"o\\u0000e\"", "\\u0000" },
                { "\"argv\":[", "\"argv\":[\"a\\u0000b\",", "children[0].spec.argv[0]: contains \\u0000" },
                { "\"id\":\"one\"", "\"id\":\"o\\xe\"", "not JSON" },
                { "\"id\":\"one\"", "\"id\":\"o\\u12g4\"", "not JSON" },
                { "\"id\":\"one\"", "\"id\":\"o\tne\"", "control character" },
                { "\"id\":\"one\"", "\"id\":null", "children[0].spec.id: null" },
                { "\"restart\":\"transient\"", "\"restart\":\"sometimes\"", "restart: unknown \"sometimes\"" },
                { "\"kind\":\"file\"", "\"kind\":7", "children[0].spec.stdout.kind: not a string" },
                { "\"pids_max\":64", "\"pids_max\":-64", "children[0].spec.limits.pids_max: negative" },
                /* 16-bit weights in a policy: 65537 must not become 1. */
                { "\"cpu_weight\":100", "\"cpu_weight\":65537", "children[0].spec.limits.cpu_weight: outside 1..10000" },
                { "\"io_weight\":100", "\"io_weight\":10001", "children[0].spec.limits.io_weight: outside 1..10000" },
                { "\"limits\":{", "\"limits\":7,\"x\":{", "children[0].spec.limits: not an object" },
                { "\"metadata\":[", "\"metadata\":{},\"x\":[", "children[0].metadata: not an array" },
                { "\"stdout\":{", "\"stdout\":[],\"x\":{", "children[0].spec.stdout: not an object" },
                { "\"restart\":\"transient\"", "\"restart\":null", "children[0].spec.restart: null" },
                { "[[\"k1\",\"v1\"],", "[[\"k1\",\"v1\",\"x\"],", "children[0].metadata[0]: not a [key, value] pair" },
                { "[[\"k1\",\"v1\"],", "[[\"k1\",1],", "children[0].metadata[0]: not a [key, value] pair" },
                { "[[\"k1\",\"v1\"],", "[[\"k1\"],", "children[0].metadata[0]: not a [key, value] pair" },
                { "\"restarts\":7}", "\"restarts\":7,}", "not JSON" },
                { "\"restarts\":7}", "\"restarts\":7 \"x\":1}", "not JSON" },
                { "\"restarts\":7}", "\"restarts\":7,\"x\":[1,]}", "not JSON" },
                { "\"restarts\":7}", "\"restarts\":7,\"x\":tru}", "not JSON" },
                { "\"restarts\":7}",
                  "\"restarts\":7,\"x\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]"
                  "]]]]]]]]]]]]]]]]]]]]}",
                  "not JSON" },
        };
        ph_child_spec pub;
        child_spec *a = NULL;
        registry_kv md[] = { { "k1", "v1" }, { "k2", "" } };
        _cleanup_free_ char *text = NULL;

        spec_of(&pub, "one", PH_RESTART_TRANSIENT, false);
        pub.limits.pids_max = 64;
        pub.limits.cpu_weight = pub.limits.io_weight = 100;
        pub.stdout_output = PH_OUTPUT_FILE;
        pub.stdout_path = "/tmp/x.log";
        assert_int_equal(hub_spec_from_public(&pub, &a, NULL), 0);
        state_record in = { .spec = a, .tag = "web", .metadata = md, .n_metadata = 2, .pid = 1234, .restarts = 7 };
        assert_int_equal(state_file_encode("h", &in, 1, &text), 0);

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                const char *at = strstr(text, cases[i].from);
                _cleanup_free_ char *bad = NULL, *e = NULL;
                state_record *out = NULL;
                size_t n = 0;

                if (!at)
                        fail_msg("case %zu: %s not in %s", i, cases[i].from, text);
                assert_true(asprintf(&bad, "%.*s%s%s", (int) (at - text), text, cases[i].to,
                                     at + strlen(cases[i].from)) > 0);
                assert_int_equal(state_file_decode(bad, "h", &out, &n, &e), -EBADMSG);
                if (!e || !strstr(e, cases[i].expect))
                        fail_msg("case %zu: \"%s\" does not say %s", i, e ?: "(null)", cases[i].expect);
        }
        child_spec_free(a);
}

/* A corrupt file fails the start, names the file, and stays where it is. */
static void test_corrupt_state_file_fails_start(void **state) {
        adopt_fixture *f = *state;
        ph_hub_config c;
        char *error = NULL;
        struct stat sb;

        assert_int_equal(mkdir(f->dir, 0755) == 0 || errno == EEXIST, 1);
        assert_int_equal(state_file_write(f->state_path, "{\"format\":\"processhub-state\",\"vers"), 0);
        config_of(f, &c, NULL, 0);
        assert_int_equal(ph_hub_start(&c, &f->h, &error), -EBADMSG);
        assert_null(f->h);
        assert_non_null(error);
        assert_non_null(strstr(error, f->state_path));
        free(error);
        assert_int_equal(stat(f->state_path, &sb), 0);

        /* A relative state_dir is a bad config. */
        error = NULL;
        c.state_dir = "relative/dir";
        assert_int_equal(ph_hub_start(&c, &f->h, &error), -EINVAL);
        free(error);
}

/* Two processes never drive one hub: the lock says who has it. */
static void test_lock_held_by_another_process(void **state) {
        adopt_fixture *f = *state;
        ph_hub_config c;
        char *error = NULL;

        run_helper(f, 0);
        config_of(f, &c, NULL, 0);
        assert_int_equal(ph_hub_start(&c, &f->h, &error), -EBUSY);
        assert_non_null(strstr(error, "lock"));
        free(error);
        kill_helper(f);
}

/* The supervisor's side, directly: what is not the recorded process is not
 * taken. */
static void test_supervisor_adopt_refuses(void **state) {
        adopt_fixture *f = *state;
        _cleanup_cgroup_hierarchy_ cgroup_hierarchy *h = NULL;
        _cleanup_cgroup_subtree_ cgroup_subtree *t = NULL;
        loop *l = NULL;
        supervisor *s = NULL;
        child_spec *spec = NULL;
        ph_child_spec pub;
        const char *reason = NULL;
        uint64_t t0, ino = 0;
        pid_t other = f->others[0] = fork_sleeper();
        int other_fd = (int) syscall(SYS_pidfd_open, other, 0);

        assert_int_equal(loop_new(&l), 0);
        assert_int_equal(cgroup_hierarchy_discover(&h), 0);
        assert_int_equal(cgroup_subtree_open(h, &t), 0);
        supervisor_options o = { .name = f->hub, .adopt = true };
        assert_int_equal(supervisor_new(l, t, &o, &s, &reason), 0);
        spec_of(&pub, "c", PH_RESTART_PERMANENT, false);
        assert_int_equal(hub_spec_from_public(&pub, &spec, NULL), 0);

        assert_int_equal(proc_start_time(other, &t0), 0);
        assert_true(other_fd >= 0);
        int pidfs = pidfd_inode(other_fd, &ino);
        assert_true(pidfs == 0 || pidfs == -EOPNOTSUPP);
        close(other_fd);
        /* Right start time, but not in the child's group. */
        assert_int_equal(supervisor_adopt_child(s, spec, other, &(process_identity) { .start_time = t0 }, 0, &reason),
                         -ESRCH);
        assert_non_null(strstr(reason, "cgroup"));
        assert_int_equal(supervisor_adopt_child(s, spec, 0, NULL, 0, &reason), -ESRCH);
        assert_int_equal(supervisor_n_children(s), 0);

        /* Many at once: each entry gets its own answer. */
        supervisor_adoptee list[] = {
                { .spec = spec, .pid = other, .identity.start_time = t0 },
                { .spec = spec, .pid = other, .identity.start_time = t0 + 1 },
                { .spec = spec },
                { .spec = NULL, .pid = other },
                { .spec = spec, .pid = -1 },
                /* By the pidfs inode, where the kernel has pidfs: the
                 * right one passes on to the cgroup check, another is
                 * another process whatever the start time says. */
                { .spec = spec, .pid = other, .identity.pidfs_ino = ino },
                { .spec = spec, .pid = other, .identity = { .pidfs_ino = ino + 1, .start_time = t0 } },
        };
        assert_int_equal(supervisor_adopt_children(s, list, ELEMENTSOF(list)), 0);
        assert_int_equal(list[0].result, -ESRCH);
        assert_non_null(strstr(list[0].reason, "cgroup"));
        assert_int_equal(list[1].result, -ESRCH);
        assert_non_null(strstr(list[1].reason, "start time"));
        assert_int_equal(list[2].result, -ESRCH);
        assert_non_null(strstr(list[2].reason, "no process"));
        assert_int_equal(list[3].result, -EINVAL);
        assert_int_equal(list[4].result, -EINVAL);
        if (pidfs == 0) {
                assert_int_equal(list[5].result, -ESRCH);
                assert_non_null(strstr(list[5].reason, "cgroup"));
                assert_int_equal(list[6].result, -ESRCH);
                assert_non_null(strstr(list[6].reason, "pidfs inode differs"));
        } else {
                /* Without pidfs a recorded inode cannot be checked: not
                 * adopted, but a start time beside it is used. */
                assert_int_equal(list[5].result, -ESRCH);
                assert_non_null(strstr(list[5].reason, "no pidfs"));
                assert_int_equal(list[6].result, -ESRCH);
                assert_non_null(strstr(list[6].reason, "cgroup"));
        }
        assert_int_equal(supervisor_adopt_children(NULL, list, 1), -EINVAL);
        assert_int_equal(supervisor_adopt_children(s, NULL, 1), -EINVAL);
        assert_int_equal(supervisor_adopt_children(s, NULL, 0), 0);
        assert_int_equal(supervisor_n_children(s), 0);
        assert_true(pid_alive(other));
        assert_true(pid_alive(other));
        assert_int_equal(supervisor_remove_strays(s), 0);

        assert_int_equal(supervisor_start_child(s, spec, NULL, NULL, &reason), 0);
        supervisor_child *c = supervisor_find_child(s, "c");
        assert_non_null(c);
        assert_int_equal(supervisor_adopt_children(s, list, 1), 0);
        assert_int_equal(list[0].result, -EEXIST);
        assert_true(loop_run_once(l, 50 * USEC_PER_MSEC) >= 0);
        /* Its identity: the pidfs inode of its pidfd where there is pidfs,
         * else its start time. */
        process_identity id = {};
        assert_int_equal(supervisor_child_identity(c, &id), 0);
        int cfd = (int) syscall(SYS_pidfd_open, supervisor_child_pid(c), 0);
        assert_true(cfd >= 0);
        if (pidfs == 0) {
                assert_int_equal(pidfd_inode(cfd, &ino), 0);
                assert_true(id.pidfs_ino == ino);
                assert_true(id.start_time == 0);
        } else {
                assert_int_equal(proc_start_time(supervisor_child_pid(c), &t0), 0);
                assert_true(id.start_time == t0);
                assert_true(id.pidfs_ino == 0);
        }
        close(cfd);
        supervisor_child_set_restarts(c, 5);
        assert_int_equal(supervisor_child_restarts(c), 5);

        child_spec_free(spec);
        supervisor_free(s);
        loop_free(l);
}

int main(void) {
        test_require_root();
        test_require_cgroup2();

        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_state_file_round_trip),
                cmocka_unit_test(test_state_file_defaults_left_out),
                cmocka_unit_test(test_state_file_bad_content),
                cmocka_unit_test(test_state_file_any_json),
                cmocka_unit_test(test_state_file_refused),
                cmocka_unit_test_setup_teardown(test_corrupt_state_file_fails_start, adopt_setup, adopt_teardown),
                cmocka_unit_test_setup_teardown(test_supervisor_adopt_refuses, adopt_setup, adopt_teardown),
                cmocka_unit_test_setup_teardown(test_adopt_after_kill9, adopt_setup, adopt_teardown),
                cmocka_unit_test_setup_teardown(test_child_died_while_no_hub_ran, adopt_setup, adopt_teardown),
                cmocka_unit_test_setup_teardown(test_adopt_file_of_older_version, adopt_setup, adopt_teardown),
                cmocka_unit_test_setup_teardown(test_reused_pid_and_stray, adopt_setup, adopt_teardown),
                cmocka_unit_test_setup_teardown(test_lock_held_by_another_process, adopt_setup, adopt_teardown),
                cmocka_unit_test_setup_teardown(test_thousand_adopted, adopt_setup, adopt_teardown),
                cmocka_unit_test_setup_teardown(test_answered_start_is_on_record, adopt_setup, adopt_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
