/* SPDX-License-Identifier: MIT */
/* The hubs processhubd runs: starting them with their static children,
 * their hook events (encoded on the hub's loop thread, handed to the
 * daemon loop), stopping them on a worker, and applying a new
 * configuration on reload. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon-log.h"
#include "daemon.h"
#include "json-shapes.h"
#include "string-util.h"

/* ---- Hook events ------------------------------------------------------ */

typedef struct hub_event {
        phd *daemon;
        char *hub;
        ph_hook_key key;
        char *child_id;
        pid_t pid;
        char *last_exit;
        char **failures; /* post_children_start: "id: reason" */
        char *reason;
        char *json;
} hub_event;

static void hub_event_free(hub_event *e) {
        free(e->hub);
        free(e->child_id);
        free(e->last_exit);
        strv_free(e->failures);
        free(e->reason);
        free(e->json);
        free(e);
}

static void hub_event_log(const hub_event *e) {
        switch (e->key) {
        case PH_HOOK_REGISTRY_PID_INSERT:
                dlog_info(e->hub, e->child_id, "started, pid %d", (int) e->pid);
                break;
        case PH_HOOK_CHILD_PROCESS_PID_UPDATE:
                if (e->last_exit)
                        dlog_info(e->hub, e->child_id, "restarted, pid %d (last exit: %s)", (int) e->pid, e->last_exit);
                else
                        dlog_info(e->hub, e->child_id, "restarted, pid %d", (int) e->pid);
                break;
        case PH_HOOK_REGISTRY_PID_REMOVE:
                if (!e->last_exit || strcmp(e->last_exit, "stopped") == 0)
                        dlog_info(e->hub, e->child_id, "stopped");
                else
                        dlog_info(e->hub, e->child_id, "exited: %s", e->last_exit);
                break;
        case PH_HOOK_POST_CHILDREN_START:
                for (char **f = e->failures; f && *f; f++)
                        dlog_warning(e->hub, NULL, "child %s", *f);
                break;
        case PH_HOOK_COORDINATOR_SHUTDOWN:
                dlog_info(e->hub, NULL, "stopping (%s)", e->reason ?: "shutdown");
                break;
        case PH_HOOK_DESCENDANT_EXIT:
                /* Shells and workers end cleanly all the time: only the
                 * deaths worth a look are logged above debug. */
                if (e->reason && strstr(e->reason, ": exited with code 0"))
                        dlog_debug(e->hub, e->child_id, "process of its tree ended: %s", e->reason);
                else
                        dlog_warning(e->hub, e->child_id, "process of its tree ended: %s", e->reason ?: "?");
                break;
        default:
                break;
        }
}

static void hub_event_deliver(void *userdata) {
        hub_event *e = userdata;
        phd *d = e->daemon;

        hub_event_log(e);
        if (e->json) {
                phd_broadcast_event(d, e->hub, e->key, e->json);
                /* Also while the hub stops: its last events have commands too. */
                phd_hub *h = NULL;
                for (phd_hub *x = d->hubs; x && !h; x = x->next)
                        if (strcmp(x->name, e->hub) == 0)
                                h = x;
                for (hook_command *hc = h ? h->hooks : NULL; hc; hc = hc->next)
                        if (hc->key == e->key)
                                (void) hook_command_run(d, hc, e->hub, e->json);
        }
        hub_event_free(e);
}

/* On the hub's loop thread: must not block. The event is encoded here,
 * while its payload is valid, and posted to the daemon loop. */
static int on_hook(ph_hub *hub, const ph_hook_event *ev, void *userdata) {
        phd *d = userdata;
        json_object *o;

        /* Never < 0: for child_data_alter that would refuse the child, and
         * the daemon only watches. */
        hub_event *e = calloc(1, sizeof(*e));
        if (!e)
                return 0;
        e->daemon = d;
        e->key = ev->key;
        e->hub = strdup(ev->hub_id ?: ph_hub_id(hub));
        e->child_id = ev->child_id ? strdup(ev->child_id) : NULL;
        e->pid = ev->n_instances > 0 ? ev->instances[0].pid : 0;
        e->reason = ev->reason ? strdup(ev->reason) : NULL;
        if (ev->child_id && (ev->key == PH_HOOK_REGISTRY_PID_REMOVE || ev->key == PH_HOOK_CHILD_PROCESS_PID_UPDATE))
                (void) ph_child_last_exit(hub, ev->child_id, &e->last_exit);
        if (ev->key == PH_HOOK_POST_CHILDREN_START) {
                size_t n = 0;
                for (size_t i = 0; i < ev->n_children; i++)
                        if (ev->children[i].error != 0 || ev->children[i].reason)
                                n++;
                if (n > 0 && (e->failures = calloc(n + 1, sizeof(char *)))) {
                        size_t k = 0;
                        for (size_t i = 0; i < ev->n_children; i++)
                                if (ev->children[i].error != 0 || ev->children[i].reason)
                                        if (asprintf(&e->failures[k], "%s: did not start: %s", ev->children[i].id,
                                                     ev->children[i].reason ?: strerror(abs(ev->children[i].error))) >= 0)
                                                k++;
                        e->failures[k] = NULL;
                }
        }
        o = json_hook_event(ev);
        if (o) {
                const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
                e->json = s ? strdup(s) : NULL;
                json_object_put(o);
        }
        if (!e->hub || loop_post(d->loop, hub_event_deliver, e) < 0)
                hub_event_free(e);
        return 0;
}

/* ---- Finding hubs ----------------------------------------------------- */

phd_hub *phd_find_hub(phd *d, const char *name) {
        for (phd_hub *h = d->hubs; h; h = h->next)
                if (strcmp(h->name, name) == 0 && h->state == PHD_HUB_RUNNING)
                        return h;
        return NULL;
}

char *phd_hub_names(phd *d) {
        char *s = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&s, &size);
        bool first = true;

        if (!f)
                return NULL;
        for (phd_hub *h = d->hubs; h; h = h->next)
                if (h->state == PHD_HUB_RUNNING) {
                        fprintf(f, "%s%s", first ? "" : ", ", h->name);
                        first = false;
                }
        if (first)
                fputs("(none)", f);
        fclose(f);
        return s;
}

int phd_resolve_hub(phd *d, const char *name, phd_hub **ret, char **ret_error_text) {
        /* The list of names only for the errors that quote it: it is an
         * open_memstream() per request otherwise. */
        _cleanup_free_ char *names = NULL;
        unsigned n = 0;
        phd_hub *only = NULL;

        if (name) {
                phd_hub *h = phd_find_hub(d, name);
                if (!h) {
                        for (phd_hub *x = d->hubs; x; x = x->next)
                                if (strcmp(x->name, name) == 0) {
                                        free_and_printf(ret_error_text, "hub %s is stopping", name);
                                        return -ESHUTDOWN;
                                }
                        names = phd_hub_names(d);
                        free_and_printf(ret_error_text, "no hub named %s; this daemon runs: %s", name, names ?: "?");
                        return -ENOENT;
                }
                *ret = h;
                return 0;
        }
        for (phd_hub *h = d->hubs; h; h = h->next)
                if (h->state == PHD_HUB_RUNNING) {
                        n++;
                        only = h;
                }
        if (n == 1) {
                *ret = only;
                return 0;
        }
        if (n == 0) {
                free_and_printf(ret_error_text, "no hub is running");
                return -ENOENT;
        }
        names = phd_hub_names(d);
        free_and_printf(ret_error_text, "hub: needed, this daemon runs several: %s", names ?: "?");
        return -EINVAL;
}

unsigned phd_count_children(phd *d) {
        unsigned n = 0;

        /* The registry's size: O(1), where a listing would copy every
         * entry once a second (the status timer). One host: every
         * registered child is local. */
        for (phd_hub *h = d->hubs; h; h = h->next) {
                ph_hub_status *st = NULL;
                if (h->state == PHD_HUB_RUNNING && ph_hub_get_status(h->hub, &st) >= 0) {
                        n += (unsigned) st->n_children;
                        ph_hub_status_free(st);
                }
        }
        return n;
}

/* ---- Jobs on a hub ---------------------------------------------------- */

static void phd_hub_free(phd_hub *h) {
        phd *d = h->daemon;

        for (phd_hub **p = &d->hubs; *p; p = &(*p)->next)
                if (*p == h) {
                        *p = h->next;
                        break;
                }
        d->n_hubs--;
        ph_hub_free(h->hub);
        while (h->hooks) {
                hook_command *hc = h->hooks;
                h->hooks = hc->next;
                free(hc->id);
                strv_free(hc->argv);
                free(hc);
        }
        strv_free(h->failed);
        daemon_config_free(h->config);
        free(h->name);
        free(h);
}

void phd_hub_job_begin(phd_hub *h) {
        h->n_jobs++;
}

void phd_hub_job_end(phd_hub *h) {
        assert(h->n_jobs > 0);
        if (--h->n_jobs > 0 || h->state != PHD_HUB_STOPPED)
                return;

        phd *d = h->daemon;
        _cleanup_free_ char *name = strdup(h->name);
        daemon_config *restart = TAKE_PTR(h->restart_config);
        phd_hub_free(h);
        dlog_info(name, NULL, "stopped");
        if (restart && name && !d->stopping) {
                const hub_conf *conf = daemon_config_find_hub(restart, name);
                if (conf)
                        (void) phd_hub_start(d, restart, conf);
        }
        daemon_config_free(restart);
        phd_update_status(d);
        phd_maybe_exit(d);
}

/* ---- Static children -------------------------------------------------- */

typedef struct child_job {
        phd_hub *hub;
        daemon_config *config;
        const child_conf **start; /* to start */
        size_t n_start;
        char **stop; /* to stop first (removed or changed) */
        bool startup;
} child_job;

static int metadata_of(const child_conf *c, ph_kv **ret_kv, ph_metadata *ret) {
        size_t n = 0;

        for (char **m = c->metadata; m && *m; m++)
                n++;
        ph_kv *kv = calloc(n + 1, sizeof(ph_kv));
        if (!kv)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                char *eq = strchr(c->metadata[i], '=');
                kv[i].key = strndup(c->metadata[i], (size_t) (eq - c->metadata[i]));
                kv[i].value = eq + 1;
        }
        *ret = (ph_metadata) { .tag = c->tag, .values = kv, .n_values = n };
        *ret_kv = kv;
        return 0;
}

static void kv_free(ph_kv *kv, size_t n) {
        for (size_t i = 0; kv && i < n; i++)
                free((char *) kv[i].key);
        free(kv);
}

static bool same_metadata(const child_conf *a, const child_conf *b) {
        if (!!a->tag != !!b->tag || (a->tag && strcmp(a->tag, b->tag) != 0))
                return false;
        char **x = a->metadata, **y = b->metadata;
        for (; x && y && *x && *y; x++, y++)
                if (strcmp(*x, *y) != 0)
                        return false;
        return (!x || !*x) && (!y || !*y);
}

/* Children that did not start were logged from post_children_start
 * already; only what no hook tells is left to say. */
static void log_start_result(phd_hub *h, ph_result *result) {
        size_t n = ph_result_n_errors(result);

        if (n > 0)
                dlog_warning(h->name, NULL, "%zu static %s did not start", n, n == 1 ? "child" : "children");
}

static void child_job_run(void *userdata) {
        child_job *j = userdata;
        phd_hub *h = j->hub;
        int r;

        if (j->stop && j->stop[0]) {
                size_t n = 0;
                for (char **s = j->stop; *s; s++)
                        n++;
                ph_stop_opts so;
                ph_stop_opts_init(&so);
                so.awaitable = true;
                so.timeout_ms = PH_DEFAULT_TIMEOUT_MS * 6;
                so.await_timeout_ms = so.timeout_ms + 10000;
                ph_future *f = NULL;
                r = ph_stop_children(h->hub, (const char *const *) j->stop, n, &so, &f);
                if (r < 0)
                        dlog_error(h->name, n == 1 ? j->stop[0] : NULL, "cannot stop: %s", strerror(-r));
                else {
                        ph_result *result = NULL;
                        r = ph_future_await(f, &result);
                        if (r < 0)
                                dlog_error(h->name, NULL, "stop: no result: %s", strerror(-r));
                        else {
                                for (size_t i = 0; i < ph_result_n_errors(result); i++) {
                                        const ph_result_error *e = ph_result_error_at(result, i);
                                        dlog_warning(h->name, e->id, "stop: %s", e->reason ?: "?");
                                }
                                ph_result_free(result);
                        }
                        ph_future_free(f);
                }
        }

        /* One call per distinct (tag, metadata): the start options carry
         * the metadata for every child of a call. Children registered
         * already (adopted from the state file) are not started twice. */
        bool *done = calloc(j->n_start + 1, sizeof(bool));
        ph_child_spec *specs = calloc(j->n_start + 1, sizeof(ph_child_spec));
        if (!done || !specs) {
                dlog_error(h->name, NULL, "static children: out of memory");
                goto out;
        }
        for (size_t i = 0; i < j->n_start; i++) {
                ph_child_info *info = NULL;
                if (ph_child_lookup(h->hub, j->start[i]->spec.id, &info) >= 0) {
                        ph_child_info_free(info);
                        done[i] = true;
                }
        }
        for (size_t i = 0; i < j->n_start; i++) {
                if (done[i])
                        continue;
                size_t n = 0;
                uint64_t timeout = PH_DEFAULT_TIMEOUT_MS;
                for (size_t k = i; k < j->n_start; k++)
                        if (!done[k] && same_metadata(j->start[i], j->start[k])) {
                                specs[n++] = j->start[k]->spec;
                                done[k] = true;
                                /* A notify child may take its whole ready timeout. */
                                if (j->start[k]->spec.ready == PH_READY_NOTIFY &&
                                    j->start[k]->spec.ready_timeout_ms + 1000 > timeout)
                                        timeout = j->start[k]->spec.ready_timeout_ms + 1000;
                        }
                ph_kv *kv = NULL;
                ph_metadata md;
                if (metadata_of(j->start[i], &kv, &md) < 0) {
                        dlog_error(h->name, NULL, "static children: out of memory");
                        continue;
                }
                ph_start_opts opts;
                ph_start_opts_init(&opts);
                opts.awaitable = true;
                opts.metadata = &md;
                opts.timeout_ms = timeout + n / 10;
                opts.await_timeout_ms = opts.timeout_ms + 10000;
                ph_future *f = NULL;
                _cleanup_free_ char *err = NULL;
                r = ph_start_children(h->hub, specs, n, &opts, &f, &err);
                if (r < 0)
                        dlog_error(h->name, n == 1 ? specs[0].id : NULL, "static %s did not start: %s",
                                   n == 1 ? "child" : "children", err ?: strerror(-r));
                else {
                        ph_result *result = NULL;
                        r = ph_future_await(f, &result);
                        if (r < 0)
                                dlog_error(h->name, NULL, "static children: no result: %s", strerror(-r));
                        else {
                                log_start_result(h, result);
                                ph_result_free(result);
                        }
                        ph_future_free(f);
                }
                kv_free(kv, md.n_values);
        }
out:
        free(done);
        free(specs);
}

static void child_job_done(void *userdata) {
        child_job *j = userdata;
        phd *d = j->hub->daemon;

        if (j->startup) {
                assert(d->startup_jobs > 0);
                d->startup_jobs--;
        }
        free(j->start);
        strv_free(j->stop);
        daemon_config_free(j->config);
        phd_hub_job_end(j->hub);
        free(j);
        phd_update_status(d);
        phd_maybe_ready(d);
}

static int submit_child_job(phd_hub *h, daemon_config *config, const child_conf **start, size_t n_start, char **stop,
                            bool startup) {
        child_job *j = calloc(1, sizeof(*j));
        int r;

        if (!j) {
                free(start);
                strv_free(stop);
                return -ENOMEM;
        }
        *j = (child_job) {
                .hub = h, .config = daemon_config_ref(config), .start = start, .n_start = n_start, .stop = stop, .startup = startup,
        };
        phd_hub_job_begin(h);
        if (startup)
                h->daemon->startup_jobs++;
        r = workers_submit(h->daemon->workers, child_job_run, child_job_done, j);
        if (r < 0) {
                if (startup)
                        h->daemon->startup_jobs--;
                daemon_config_free(j->config);
                free(j->start);
                strv_free(j->stop);
                free(j);
                phd_hub_job_end(h);
                return r;
        }
        return 0;
}

/* ---- Starting and stopping hubs --------------------------------------- */

int phd_hub_start(phd *d, daemon_config *config, const hub_conf *conf) {
        _cleanup_free_ char *err = NULL;
        ph_hub_config hc = conf->config;
        ph_hub *hub = NULL;
        int r;

        hc.child_specs = NULL;
        hc.n_child_specs = 0;
        /* An empty state_dir turns persistence (and adoption) off. */
        hc.state_dir = config->state_dir && *config->state_dir ? config->state_dir : NULL;
        r = ph_hub_start(&hc, &hub, &err);
        if (r < 0) {
                dlog_error(conf->name, NULL, "cannot start: %s", err ?: strerror(-r));
                return r;
        }

        phd_hub *h = calloc(1, sizeof(*h));
        if (!h || !(h->name = strdup(conf->name))) {
                free(h);
                ph_hub_free(hub);
                return -ENOMEM;
        }
        h->daemon = d;
        h->hub = hub;
        h->state = PHD_HUB_RUNNING;
        /* Degraded, not failed: say once what is missing. */
        ph_hub_status *st = NULL;
        if (ph_hub_get_status(hub, &st) >= 0 && st->kernel_bpf && strncmp(st->kernel_bpf, "inactive", 8) == 0)
                dlog_warning(conf->name, NULL,
                             "kernel exit tracer (BPF) %s; supervising through pidfds alone "
                             "(no exit status for adopted children, no descendant_exit events)",
                             st->kernel_bpf);
        ph_hub_status_free(st);
        h->config = daemon_config_ref(config);
        h->conf = conf;
        phd_hub **p = &d->hubs;
        while (*p)
                p = &(*p)->next;
        *p = h;
        d->n_hubs++;

        for (int k = 0; k < _PH_HOOK_KEY_MAX; k++) {
                ph_hook_handler handler = { .id = "processhubd", .fn = on_hook, .userdata = d, .priority = 0 };
                r = ph_register_hook_handlers(hub, (ph_hook_key) k, &handler, 1);
                if (r < 0)
                        dlog_warning(conf->name, NULL, "cannot watch hook %s: %s", ph_hook_key_to_string((ph_hook_key) k),
                                     strerror(-r));
        }

        ph_child_list *adopted = NULL;
        size_t n_adopted = 0;
        if (ph_process_list(hub, PH_SCOPE_LOCAL, &adopted) >= 0) {
                n_adopted = ph_child_list_n(adopted);
                for (size_t i = 0; i < n_adopted; i++) {
                        const ph_result_child *c = ph_child_list_at(adopted, i);
                        dlog_info(conf->name, c->id, "adopted, pid %d", c->n_instances > 0 ? (int) c->instances[0].pid : 0);
                }
                ph_child_list_free(adopted);
        }
        dlog_info(conf->name, NULL, "started, %zu static %s", conf->n_children, conf->n_children == 1 ? "child" : "children");
        if (n_adopted > 0)
                dlog_info(conf->name, NULL, "%zu %s adopted from %s", n_adopted, n_adopted == 1 ? "child" : "children",
                          config->state_dir);

        if (conf->n_children > 0) {
                const child_conf **start = calloc(conf->n_children, sizeof(child_conf *));
                if (!start)
                        return -ENOMEM;
                for (size_t i = 0; i < conf->n_children; i++)
                        start[i] = &conf->children[i];
                r = submit_child_job(h, config, start, conf->n_children, NULL, !d->ready_sent);
                if (r < 0)
                        dlog_error(conf->name, NULL, "cannot start static children: %s", strerror(-r));
        }
        return 0;
}

static void hub_stop_run(void *userdata) {
        phd_hub *h = userdata;
        int r = ph_hub_stop(h->hub);

        if (r < 0 && r != -EALREADY)
                dlog_error(h->name, NULL, "stop: %s", strerror(-r));
}

static void hub_stop_done(void *userdata) {
        phd_hub *h = userdata;

        h->state = PHD_HUB_STOPPED;
        phd_hub_job_end(h);
}

void phd_hub_begin_stop(phd_hub *h) {
        int r;

        if (h->state != PHD_HUB_RUNNING)
                return;
        h->state = PHD_HUB_STOPPING;
        phd_hub_job_begin(h);
        r = workers_submit(h->daemon->workers, hub_stop_run, hub_stop_done, h);
        if (r < 0) {
                /* No worker to wait on: stop here, blocking the loop, rather
                 * than leave the hub running. */
                hub_stop_run(h);
                hub_stop_done(h);
        }
}

void phd_stop_all_hubs(phd *d) {
        for (phd_hub *h = d->hubs, *next; h; h = next) {
                next = h->next;
                h->restart_config = daemon_config_free(h->restart_config);
                phd_hub_begin_stop(h);
        }
}

/* ---- Failed children -------------------------------------------------- */

static bool strv_contains(char **l, const char *s) {
        for (; l && *l; l++)
                if (strcmp(*l, s) == 0)
                        return true;
        return false;
}

/* Failing (restart intensity spent) has no hook: the states table is
 * looked at on the status timer, and each newly failed child is logged
 * once. */
void phd_check_failed(phd *d) {
        for (phd_hub *h = d->hubs; h; h = h->next) {
                ph_child_state *states = NULL;
                ph_hub_status *st = NULL;
                size_t n = 0, n_failed = 0;

                if (h->state != PHD_HUB_RUNNING)
                        continue;
                /* The count first: with none failed now and none before,
                 * there is nothing to log, and a copy of every child's
                 * state once a second would be an idle hub's largest
                 * cost. */
                if (ph_hub_get_status(h->hub, &st) >= 0) {
                        n_failed = st->n_failed;
                        ph_hub_status_free(st);
                        if (n_failed == 0 && !h->failed)
                                continue;
                }
                if (ph_which_children(h->hub, &states, &n) < 0)
                        continue;
                char **now = calloc(n + 1, sizeof(char *));
                size_t k = 0;
                for (size_t i = 0; now && i < n; i++) {
                        if (!states[i].state || strcmp(states[i].state, "failed") != 0)
                                continue;
                        if (!strv_contains(h->failed, states[i].id))
                                dlog_error(h->name, states[i].id, "failed: %s", states[i].failure ?: states[i].last_exit ?: "?");
                        if ((now[k] = strdup(states[i].id)))
                                k++;
                }
                ph_child_states_free(states, n);
                if (now) {
                        /* Kept until the next check: as long as the failed
                         * ids, not one pointer per child; NULL for none. */
                        strv_free(h->failed);
                        if (k == 0) {
                                free(now);
                                h->failed = NULL;
                        } else {
                                char **fit = realloc(now, (k + 1) * sizeof(char *));
                                h->failed = fit ?: now;
                        }
                }
        }
}

/* ---- Reload ----------------------------------------------------------- */

static int strv_push(char ***l, size_t *n, const char *s) {
        char **nl = realloc(*l, (*n + 2) * sizeof(char *));
        if (!nl)
                return -ENOMEM;
        *l = nl;
        if (!(nl[*n] = strdup(s)))
                return -ENOMEM;
        nl[++*n] = NULL;
        return 0;
}

static void hub_apply_children(phd_hub *h, daemon_config *config, const hub_conf *next) {
        const hub_conf *prev = h->conf;
        const child_conf **start = calloc(next->n_children + 1, sizeof(child_conf *));
        char **stop = NULL;
        size_t n_start = 0, n_stop = 0;

        if (!start)
                return;
        for (size_t i = 0; i < prev->n_children; i++) {
                const child_conf *c = &prev->children[i];
                const child_conf *n = hub_conf_find_child(next, c->spec.id);
                if (!n) {
                        dlog_info(h->name, c->spec.id, "removed from the configuration: stopping");
                        (void) strv_push(&stop, &n_stop, c->spec.id);
                } else if (!child_conf_equal(c, n)) {
                        dlog_info(h->name, c->spec.id, "changed in the configuration: stopping and starting again");
                        (void) strv_push(&stop, &n_stop, c->spec.id);
                        start[n_start++] = n;
                }
        }
        for (size_t i = 0; i < next->n_children; i++) {
                const child_conf *n = &next->children[i];
                if (!hub_conf_find_child(prev, n->spec.id)) {
                        dlog_info(h->name, n->spec.id, "added to the configuration: starting");
                        start[n_start++] = n;
                }
        }
        if (n_start == 0 && n_stop == 0) {
                free(start);
                return;
        }
        (void) submit_child_job(h, config, start, n_start, stop, false);
}

int phd_apply_config(phd *d, daemon_config *config) {
        /* Hubs gone from the configuration stop. */
        for (phd_hub *h = d->hubs, *next; h; h = next) {
                next = h->next;
                if (daemon_config_find_hub(config, h->name))
                        continue;
                h->restart_config = daemon_config_free(h->restart_config);
                if (h->state == PHD_HUB_RUNNING) {
                        dlog_info(h->name, NULL, "removed from the configuration");
                        phd_hub_begin_stop(h);
                }
        }
        for (size_t i = 0; i < config->n_hubs; i++) {
                const hub_conf *conf = &config->hubs[i];
                phd_hub *h = NULL;
                for (phd_hub *x = d->hubs; x; x = x->next)
                        if (strcmp(x->name, conf->name) == 0)
                                h = x;
                if (!h) {
                        dlog_info(conf->name, NULL, "added to the configuration");
                        (void) phd_hub_start(d, config, conf);
                        continue;
                }
                if (h->state != PHD_HUB_RUNNING) {
                        /* Still stopping from an earlier reload: start it when done. */
                        daemon_config_free(h->restart_config);
                        h->restart_config = daemon_config_ref(config);
                        continue;
                }
                if (!hub_conf_settings_equal(h->conf, conf)) {
                        dlog_info(h->name, NULL, "settings changed: stopping the hub and starting it again");
                        h->restart_config = daemon_config_ref(config);
                        phd_hub_begin_stop(h);
                        continue;
                }
                hub_apply_children(h, config, conf);
                daemon_config_free(h->config);
                h->config = daemon_config_ref(config);
                h->conf = conf;
        }

        if (!d->config->socket_path || !config->socket_path || strcmp(d->config->socket_path, config->socket_path) != 0)
                dlog_warning(NULL, NULL, "socket: a new path takes effect when processhubd is started again");
        if ((d->config->state_dir && config->state_dir && strcmp(d->config->state_dir, config->state_dir) != 0))
                dlog_warning(NULL, NULL, "state_dir: a new directory applies to hubs started from now on");
        daemon_config_free(d->config);
        d->config = daemon_config_ref(config);
        return 0;
}
