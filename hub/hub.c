/* SPDX-License-Identifier: MIT */

/* A hub's lifecycle: start (config, loop thread, cgroups, supervisor,
 * registry, coordinator, static children), stop, free; the state queries
 * and the local node's name. */

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hub-internal.h"
#include "log.h"
#include "macros.h"
#include "time-util.h"
#include "future.h"
#include "../client/client.h"

/* The hub ids running in this process: one hub per id, as the reference
 * registers its hubs by name. */
static pthread_mutex_t hubs_lock = PTHREAD_MUTEX_INITIALIZER;
static char **hubs_running;
static size_t hubs_n_running;

static int hub_id_claim(const char *id) {
        int r = 0;

        pthread_mutex_lock(&hubs_lock);
        for (size_t i = 0; i < hubs_n_running; i++)
                if (strcmp(hubs_running[i], id) == 0) {
                        r = -EEXIST;
                        goto finish;
                }
        char **n = realloc(hubs_running, sizeof(char *) * (hubs_n_running + 1));
        if (!n) {
                r = -ENOMEM;
                goto finish;
        }
        hubs_running = n;
        hubs_running[hubs_n_running] = strdup(id);
        if (!hubs_running[hubs_n_running])
                r = -ENOMEM;
        else
                hubs_n_running++;
finish:
        pthread_mutex_unlock(&hubs_lock);
        return r;
}

static void hub_id_release(const char *id) {
        pthread_mutex_lock(&hubs_lock);
        for (size_t i = 0; i < hubs_n_running; i++)
                if (strcmp(hubs_running[i], id) == 0) {
                        free(hubs_running[i]);
                        hubs_running[i] = hubs_running[--hubs_n_running];
                        break;
                }
        if (hubs_n_running == 0) {
                free(hubs_running);
                hubs_running = NULL;
        }
        pthread_mutex_unlock(&hubs_lock);
}

_public_ void ph_hub_config_init(ph_hub_config *config) {
        if (!config)
                return;
        *config = (ph_hub_config) {
                .hubs_discover_interval_ms = PH_DEFAULT_HUBS_DISCOVER_INTERVAL_MS,
                .deadlock_recovery_timeout_ms = PH_DEFAULT_DEADLOCK_RECOVERY_TIMEOUT_MS,
                .storage_purge_interval_ms = PH_DEFAULT_STORAGE_PURGE_INTERVAL_MS,
                .migr_base_timeout_ms = PH_DEFAULT_MIGR_BASE_TIMEOUT_MS,
                .dsup_max_restarts = PH_DEFAULT_DSUP_MAX_RESTARTS,
                .dsup_max_seconds = PH_DEFAULT_DSUP_MAX_SECONDS,
                .dsup_shutdown_timeout_ms = PH_DEFAULT_DSUP_SHUTDOWN_TIMEOUT_MS,
        };
}

static int hub_config_check(const ph_hub_config *c, char **ret_error_text) {
        const char *reason = NULL;

        if (child_id_validate(c->hub_id, &reason) < 0) {
                hub_error_text(ret_error_text, "hub_id %s", reason);
                return -EINVAL;
        }
        if (c->node_name && child_id_validate(c->node_name, &reason) < 0) {
                hub_error_text(ret_error_text, "node_name %s", reason);
                return -EINVAL;
        }
#define REQUIRE_POSITIVE(field)                                                          \
        if (c->field == 0) {                                                             \
                hub_error_text(ret_error_text, #field " must be above 0");               \
                return -EINVAL;                                                          \
        }
        REQUIRE_POSITIVE(hubs_discover_interval_ms);
        REQUIRE_POSITIVE(deadlock_recovery_timeout_ms);
        REQUIRE_POSITIVE(storage_purge_interval_ms);
        REQUIRE_POSITIVE(migr_base_timeout_ms);
        REQUIRE_POSITIVE(dsup_max_seconds);
        REQUIRE_POSITIVE(dsup_shutdown_timeout_ms);
#undef REQUIRE_POSITIVE
        if (c->n_child_specs > 0 && !c->child_specs) {
                hub_error_text(ret_error_text, "child_specs is missing but n_child_specs is %zu", c->n_child_specs);
                return -EINVAL;
        }
        return 0;
}

static char *default_node_name(void) {
        char host[HOST_NAME_MAX + 1] = "";

        if (gethostname(host, sizeof(host)) < 0 || !host[0])
                snprintf(host, sizeof(host), "localhost");
        host[sizeof(host) - 1] = '\0';
        return strdup(host);
}

bool hub_on_loop_thread(ph_hub *hub) {
        return atomic_load(&hub->on_loop_thread_set) && pthread_equal(pthread_self(), hub->loop_thread_id);
}

char *hub_node_dup(ph_hub *hub) {
        char *n;

        pthread_mutex_lock(&hub->node_lock);
        n = strdup(hub->node);
        pthread_mutex_unlock(&hub->node_lock);
        return n;
}

void hub_hook(ph_hub *hub, const ph_hook_event *event) {
        if (hook_table_has_handlers(hub->hooks, event->key))
                (void) hook_table_dispatch(hub->hooks, hub, event);
}

static void hub_on_level(coordinator *c, int level, void *userdata) {
        ph_hub *hub = userdata;

        atomic_store(&hub->locked, level >= COORDINATOR_PRIORITY_LOCKED);
        hub_hook(hub, &(ph_hook_event) {
                .key = PH_HOOK_PRIORITY_STATE_UPDATED,
                .hub_id = hub->hub_id,
                .priority = level,
        });
}

/* Every storage_purge_interval: drop the TTL entries that expired. */
static int hub_janitor(loop_source *s, uint64_t now, void *userdata) {
        ph_hub *hub = userdata;
        size_t n = storage_purge(hub->storage, now);

        if (n > 0)
                log_debug("hub %s: janitor purged %zu entries", hub->hub_id, n);
        return 0;
}

static void *hub_thread(void *userdata) {
        ph_hub *hub = userdata;

        hub->loop_thread_id = pthread_self();
        atomic_store(&hub->on_loop_thread_set, true);
        (void) loop_run(hub->loop);
        /* Calls posted before the loop stopped accepting them still run. */
        (void) loop_run_once(hub->loop, 0);
        return NULL;
}

/* Everything but the thread; safe on a half-built hub. */
static void hub_release(ph_hub *hub) {
        hub_operations_free_all(hub);
        hub_kernel_close(hub);
        hub_state_close(hub, false);
        hub->janitor = loop_source_free(hub->janitor);
        hub->coordinator = coordinator_free(hub->coordinator);
        /* before the subtree: its groups borrow the subtree's paths */
        hub->supervisor = supervisor_free(hub->supervisor);
        hub->subtree = cgroup_subtree_free(hub->subtree);
        hub->hierarchy = cgroup_hierarchy_free(hub->hierarchy);
        hub->hooks = hook_table_free(hub->hooks);
        hub->registry = registry_free(hub->registry);
        hub->storage = storage_free(hub->storage);
        hub->local_states = local_states_free(hub->local_states);
        hub->loop = loop_free(hub->loop);
}

static int hub_start_static_children(ph_hub *hub, const ph_hub_config *config, char **ret_error_text) {
        _cleanup_free_ ph_child_spec *specs = NULL;
        size_t n_specs = 0;
        ph_start_opts opts;
        ph_future *f = NULL;
        ph_result *result = NULL;
        uint64_t timeout = PH_DEFAULT_TIMEOUT_MS;
        int r;

        /* Adopted (or started again) from the state file: not twice. */
        specs = calloc(config->n_child_specs, sizeof(ph_child_spec));
        if (!specs)
                return -ENOMEM;
        for (size_t i = 0; i < config->n_child_specs; i++) {
                registry_entry *e = config->child_specs[i].id ? registry_lookup(hub->registry, config->child_specs[i].id)
                                                              : NULL;
                if (e) {
                        registry_entry_unref(e);
                        continue;
                }
                specs[n_specs++] = config->child_specs[i];
        }
        if (n_specs == 0)
                return 0;

        /* A notify child may take its whole ready timeout. */
        for (size_t i = 0; i < n_specs; i++)
                if (specs[i].ready == PH_READY_NOTIFY && specs[i].ready_timeout_ms + 1000 > timeout)
                        timeout = specs[i].ready_timeout_ms + 1000;

        ph_start_opts_init(&opts);
        opts.awaitable = true;
        opts.on_failure = PH_ON_FAILURE_ROLLBACK;
        opts.timeout_ms = timeout;
        opts.await_timeout_ms = timeout + 10000;
        r = ph_start_children(hub, specs, n_specs, &opts, &f, ret_error_text);
        if (r < 0)
                return r;
        r = ph_future_await(f, &result);
        ph_future_free(f);
        if (r < 0) {
                hub_error_text(ret_error_text, "static children: no result: %s", strerror(-r));
                return r;
        }
        if (ph_result_status(result) != PH_STATUS_OK) {
                const ph_result_error *e = ph_result_error_at(result, 0);
                hub_error_text(ret_error_text, "static child %s: %s", e->id, e->reason);
                r = -ECHILD;
        }
        ph_result_free(result);
        return r;
}

_public_ int ph_hub_start(const ph_hub_config *config, ph_hub **ret_hub, char **ret_error_text) {
        const char *reason = NULL;
        int r;

        assert_return(config, -EINVAL);
        assert_return(ret_hub, -EINVAL);

        r = hub_config_check(config, ret_error_text);
        if (r < 0)
                return r;
        r = hub_id_claim(config->hub_id);
        if (r < 0) {
                hub_error_text(ret_error_text, "hub %s is already running in this process", config->hub_id);
                return r;
        }

        ph_hub *hub = calloc(1, sizeof(*hub));
        if (!hub) {
                hub_id_release(config->hub_id);
                return -ENOMEM;
        }
        pthread_mutex_init(&hub->node_lock, NULL);
        pthread_mutex_init(&hub->call_lock, NULL);
        hub->accepting_calls = true;
        hub->config = *config;
        hub->config.hub_id = hub->config.node_name = NULL;
        hub->config.child_specs = NULL;
        hub->config.n_child_specs = 0;
        hub->config.state_dir = NULL;
        hub->hub_id = strdup(config->hub_id);
        hub->node = config->node_name ? strdup(config->node_name) : default_node_name();
        if (!hub->hub_id || !hub->node) {
                r = -ENOMEM;
                goto fail;
        }
        /* Before any cgroup is touched: a corrupt state file or another
         * process holding the hub leaves everything as it was. */
        r = hub_state_open(hub, config->state_dir, ret_error_text);
        if (r < 0)
                goto fail;

        r = loop_new(&hub->loop);
        if (r < 0) {
                hub_error_text(ret_error_text, "io_uring event loop: %s", strerror(-r));
                goto fail;
        }
        r = registry_new(&hub->registry);
        if (r < 0)
                goto fail;
        r = hook_table_new(&hub->hooks);
        if (r < 0)
                goto fail;
        r = storage_new(&hub->storage);
        if (r < 0)
                goto fail;
        r = local_states_new(&hub->local_states);
        if (r < 0)
                goto fail;
        hub->gone_ttl_usec = HUB_GONE_TTL_USEC;
        r = cgroup_hierarchy_discover(&hub->hierarchy);
        if (r < 0) {
                hub_error_text(ret_error_text, "cgroup2 not found: %s", strerror(-r));
                goto fail;
        }
        r = cgroup_subtree_open(hub->hierarchy, &hub->subtree);
        if (r < 0) {
                hub_error_text(ret_error_text, "own cgroup subtree cannot be used: %s", strerror(-r));
                goto fail;
        }
        cgroup_policy policy;
        r = hub_policy_from_public(&config->limits, &policy, &reason);
        if (r < 0) {
                hub_error_text(ret_error_text, "hub %s: %s", hub->hub_id, reason);
                goto fail;
        }
        supervisor_options so = {
                .name = hub->hub_id,
                .max_restarts = config->dsup_max_restarts,
                .max_seconds = config->dsup_max_seconds,
                .policy = policy,
                .on_event = hub_on_supervisor_event,
                .resolve_exit = hub_kernel_resolve_exit,
                .userdata = hub,
                .adopt = config->state_dir != NULL,
        };
        r = supervisor_new(hub->loop, hub->subtree, &so, &hub->supervisor, &reason);
        if (r < 0) {
                hub_error_text(ret_error_text, "hub %s: %s", hub->hub_id, reason ?: strerror(-r));
                goto fail;
        }
        r = hub_kernel_open(hub);
        if (r < 0)
                goto fail;
        r = coordinator_new(hub->loop, ms_to_usec(config->deadlock_recovery_timeout_ms), hub_on_level, hub,
                            &hub->coordinator);
        if (r < 0)
                goto fail;
        uint64_t purge = ms_to_usec(config->storage_purge_interval_ms);
        r = loop_add_timer(hub->loop, &hub->janitor, now_usec() + purge, purge, hub_janitor, hub);
        if (r < 0)
                goto fail;

        atomic_store(&hub->alive, true);
        r = -pthread_create(&hub->thread, NULL, hub_thread, hub);
        if (r < 0) {
                atomic_store(&hub->alive, false);
                goto fail;
        }
        hub->thread_started = true;

        r = hub_state_adopt(hub, ret_error_text);
        if (r < 0) {
                ph_hub_free(hub);
                return r;
        }
        if (config->n_child_specs > 0) {
                r = hub_start_static_children(hub, config, ret_error_text);
                if (r < 0) {
                        ph_hub_free(hub);
                        return r;
                }
        }

        *ret_hub = hub;
        return 0;

fail:
        hub_release(hub);
        hub_id_release(config->hub_id);
        pthread_mutex_destroy(&hub->node_lock);
        pthread_mutex_destroy(&hub->call_lock);
        free(hub->hub_id);
        free(hub->node);
        free(hub);
        return r;
}

/* ---- Stopping: runs on the loop thread ---- */

typedef struct hub_stop_state {
        ph_hub *hub;
        loop_source *deadline;
        bool done;
} hub_stop_state;

static void hub_stop_finish(hub_stop_state *st) {
        ph_hub *hub = st->hub;

        if (st->done)
                return;
        st->done = true;
        st->deadline = loop_source_free(st->deadline);
        /* Children still there after the deadline must not call into
         * operations that are about to go. */
        supervisor_detach(hub->supervisor);
        hub_operations_free_all(hub);
        hub_calls_stop(hub);
        loop_exit(hub->loop, 0);
}

static void hub_on_shutdown(supervisor *s, void *userdata) {
        hub_stop_finish(userdata);
}

static int hub_on_stop_deadline(loop_source *s, uint64_t now, void *userdata) {
        hub_stop_state *st = userdata;

        /* Past dsup_shutdown_timeout: the children still there are killed
         * when the supervisor is freed. */
        log_debug("hub %s: shutdown timeout, killing what is left", st->hub->hub_id);
        hub_stop_finish(st);
        return 0;
}

static int hub_stop_on_loop(ph_hub *hub, void *userdata) {
        hub_stop_state *st = userdata;
        int r;

        hub->stopping = true;
        atomic_store(&hub->alive, false);
        hub_hook(hub, &(ph_hook_event) {
                .key = PH_HOOK_COORDINATOR_SHUTDOWN,
                .hub_id = hub->hub_id,
                .reason = "shutdown",
        });
        r = loop_add_timer(hub->loop, &st->deadline, now_usec() + ms_to_usec(hub->config.dsup_shutdown_timeout_ms),
                           0, hub_on_stop_deadline, st);
        if (r < 0)
                return r;
        r = supervisor_shutdown(hub->supervisor, hub_on_shutdown, st);
        if (r < 0)
                hub_stop_finish(st);
        return 0;
}

_public_ int ph_hub_stop(ph_hub *hub) {
        hub_stop_state st = { .hub = hub };
        int r;

        assert_return(hub, -EINVAL);
        if (hub->remote) return -EOPNOTSUPP; /* the daemon's hub: ph_hub_free() disconnects */

        if (!hub->thread_started)
                return -EALREADY;
        if (hub_on_loop_thread(hub))
                return -EDEADLK; /* from a hook handler: the loop cannot wait on itself */

        r = hub_call(hub, hub_stop_on_loop, &st);
        if (r < 0 && r != -ESHUTDOWN)
                return r;
        pthread_join(hub->thread, NULL);
        hub->thread_started = false;
        atomic_store(&hub->alive, false);
        /* Whatever outlived the timeout goes with the supervisor. */
        hub->supervisor = supervisor_free(hub->supervisor);
        /* Nothing runs any more: nothing to adopt. */
        hub_state_close(hub, true);
        return 0;
}

_public_ ph_hub *ph_hub_free(ph_hub *hub) {
        if (!hub)
                return NULL;
        if (hub->remote) return client_hub_free(hub);
        if (hub->thread_started)
                (void) ph_hub_stop(hub);
        hub_release(hub);
        hub_id_release(hub->hub_id);
        pthread_mutex_destroy(&hub->node_lock);
        pthread_mutex_destroy(&hub->call_lock);
        free(hub->hub_id);
        free(hub->node);
        free(hub);
        return NULL;
}

_public_ const char *ph_hub_id(const ph_hub *hub) {
        return hub ? hub->hub_id : NULL;
}

_public_ bool ph_is_alive(ph_hub *hub) {
        if (hub && hub->remote) return client_status_flag(hub->remote, "alive");
        return hub && atomic_load(&hub->alive);
}

_public_ bool ph_is_locked(ph_hub *hub) {
        if (hub && hub->remote) return client_status_flag(hub->remote, "locked");
        return hub && atomic_load(&hub->locked);
}

_public_ bool ph_is_partitioned(ph_hub *hub) {
        if (hub && hub->remote) return client_status_flag(hub->remote, "partitioned");
        return hub && atomic_load(&hub->partitioned);
}

_public_ int ph_nodes(ph_hub *hub, bool include_local, char ***ret_nodes) {
        assert_return(hub, -EINVAL);
        assert_return(ret_nodes, -EINVAL);
        if (hub->remote) return client_nodes(hub->remote, include_local, ret_nodes);

        /* Alone until the cluster layer exists: only the local node. */
        char **l = calloc(2, sizeof(char *));
        if (!l)
                return -ENOMEM;
        if (include_local) {
                l[0] = hub_node_dup(hub);
                if (!l[0]) {
                        free(l);
                        return -ENOMEM;
                }
        }
        *ret_nodes = l;
        return 0;
}

typedef struct promote_args {
        const char *name;
} promote_args;

static int hub_promote_on_loop(ph_hub *hub, void *userdata) {
        promote_args *a = userdata;
        char *old, *name = strdup(a->name);
        int r;

        if (!name)
                return -ENOMEM;
        old = hub->node;
        if (strcmp(old, name) == 0) {
                free(name);
                return 0;
        }
        r = registry_rename_node(hub->registry, old, name);
        if (r < 0) {
                free(name);
                return r;
        }
        /* Readers copy the name under node_lock (hub_node_dup()). */
        pthread_mutex_lock(&hub->node_lock);
        hub->node = name;
        pthread_mutex_unlock(&hub->node_lock);
        free(old);
        return 0;
}

_public_ int ph_promote_to_node(ph_hub *hub, const char *node_name) {
        _cleanup_free_ char *def = NULL;
        promote_args a = { .name = node_name };

        assert_return(hub, -EINVAL);
        if (hub->remote) return client_promote_to_node(hub->remote, node_name);

        if (!a.name) {
                def = default_node_name();
                if (!def)
                        return -ENOMEM;
                a.name = def;
        }
        if (child_id_validate(a.name, NULL) < 0)
                return -EINVAL;
        if (!ph_is_alive(hub))
                return -ESHUTDOWN;
        return hub_call(hub, hub_promote_on_loop, &a);
}

_public_ char **ph_strv_free(char **strv) {
        return strv_free(strv);
}

_public_ int ph_register_hook_handlers(ph_hub *hub, ph_hook_key key, const ph_hook_handler *handlers, size_t n) {
        assert_return(hub, -EINVAL);
        if (hub->remote) return client_register_hook_handlers(hub, key, handlers, n);
        return hook_table_register(hub->hooks, key, handlers, n);
}

_public_ int ph_cancel_hook_handlers(ph_hub *hub, ph_hook_key key, const char *const *ids, size_t n) {
        assert_return(hub, -EINVAL);
        if (hub->remote) return client_cancel_hook_handlers(hub, key, ids, n);
        return hook_table_cancel(hub->hooks, key, ids, n);
}

_public_ int ph_child_last_exit(ph_hub *hub, const char *child_id, char **ret_text) {
        _cleanup_free_ char *key = NULL;

        assert_return(hub, -EINVAL);
        assert_return(child_id, -EINVAL);
        assert_return(ret_text, -EINVAL);
        if (hub->remote) return client_child_last_exit(hub->remote, child_id, ret_text);

        if (asprintf(&key, "last_exit:%s", child_id) < 0)
                return -ENOMEM;
        return storage_get(hub->storage, key, now_usec(), ret_text);
}
