/* SPDX-License-Identifier: MIT */

/* Hook handlers on a remote handle: a watch connection to the daemon and
 * a thread reading its events into ph_hook_event, dispatched through the
 * same hook table as an embedded hub's (priorities, ids, copy-on-write).
 *
 * One watch connection per handle: the first registration opens it; a
 * registration for a key not yet watched sends "watch" again with the
 * union of the keys and waits for the daemon's answer (the reader thread
 * hands it over), so once ph_register_hook_handlers() returns, the
 * daemon sends that key's events. Cancelling leaves the key watched: its
 * events then find no handler and are skipped. */

#include <string.h>
#include <time.h>

#include "client.h"
#include "hook-table.h"
#include "hub-internal.h"
#include "log.h"
#include "macros.h"

struct client_watch {
        ph_hub *hub;
        client_conn *conn;
        hook_table *hooks;
        pthread_t thread;

        pthread_mutex_t lock; /* what follows */
        pthread_cond_t cond;
        bool watched[_PH_HOOK_KEY_MAX];
        uint64_t pending_id; /* the watch request waited for; 0: none */
        bool have_reply;
        int reply_r;
        bool dead; /* the connection ended: no more events */
        bool free_on_exit; /* ph_hub_free() from a handler: the thread frees */
};

static void watch_destroy(client_watch *w) {
        client_conn_free(w->conn);
        hook_table_free(w->hooks);
        pthread_cond_destroy(&w->cond);
        pthread_mutex_destroy(&w->lock);
        free(w);
}

static void watch_dispatch(client_watch *w, json_object *event) {
        _cleanup_(client_event_storage_freep) client_event_storage *payload = NULL;
        ph_hook_event ev;
        int r;

        r = client_decode_event(event, &ev, &payload);
        if (r < 0) {
                log_debug("hub %s: event from processhubd skipped: %s", w->hub->hub_id, strerror(-r));
                return;
        }
        if (!ev.hub_id)
                ev.hub_id = w->hub->hub_id;
        if (hook_table_has_handlers(w->hooks, ev.key))
                (void) hook_table_dispatch(w->hooks, w->hub, &ev);
}

static void *watch_thread(void *userdata) {
        client_watch *w = userdata;
        bool free_self;
        int r;

        for (;;) {
                _cleanup_(json_object_putp) json_object *m = NULL;
                json_object *event, *jid;

                r = client_conn_read_message(w->conn, USEC_INFINITY, &m);
                if (r == -EBADMSG)
                        continue; /* one bad line; the stream is still framed */
                if (r < 0)
                        break;
                if (json_object_object_get_ex(m, "event", &event)) {
                        watch_dispatch(w, event);
                        continue;
                }
                if (!json_object_object_get_ex(m, "id", &jid))
                        continue;
                pthread_mutex_lock(&w->lock);
                if (w->pending_id != 0 && json_object_get_uint64(jid) == w->pending_id) {
                        w->reply_r = client_reply_unwrap(m, NULL, NULL);
                        w->have_reply = true;
                        pthread_cond_broadcast(&w->cond);
                }
                pthread_mutex_unlock(&w->lock);
        }

        pthread_mutex_lock(&w->lock);
        w->dead = true;
        w->reply_r = r;
        pthread_cond_broadcast(&w->cond);
        free_self = w->free_on_exit;
        pthread_mutex_unlock(&w->lock);
        if (free_self)
                watch_destroy(w);
        return NULL;
}

static int watch_new(ph_hub *hub, client_watch **ret) {
        client_watch *w;
        int r;

        w = calloc(1, sizeof(*w));
        if (!w)
                return -ENOMEM;
        w->hub = hub;
        pthread_mutex_init(&w->lock, NULL);
        pthread_cond_init(&w->cond, NULL);
        r = hook_table_new(&w->hooks);
        if (r >= 0)
                r = client_conn_open(hub->remote->socket_path, &w->conn);
        if (r >= 0)
                r = -pthread_create(&w->thread, NULL, watch_thread, w);
        if (r < 0) {
                watch_destroy(w);
                return r;
        }
        *ret = w;
        return 0;
}

client_watch *client_watch_free(client_watch *w) {
        if (!w)
                return NULL;
        client_conn_shutdown(w->conn);
        if (pthread_equal(pthread_self(), w->thread)) {
                /* Freed from one of its own handlers: the thread ends when
                 * the handler returns, and frees the watch then. */
                pthread_mutex_lock(&w->lock);
                w->free_on_exit = true;
                pthread_mutex_unlock(&w->lock);
                pthread_detach(w->thread);
                return NULL;
        }
        pthread_join(w->thread, NULL);
        watch_destroy(w);
        return NULL;
}

/* Send "watch" with every key watched; wait for the answer unless on the
 * reader thread (which could not read it while waiting). */
static int watch_send_keys(client_watch *w, client_remote *remote) {
        json_object *args = json_object_new_object(), *keys = json_object_new_array();
        uint64_t id;
        int r;

        if (!args || !keys) {
                json_object_put(args);
                json_object_put(keys);
                return -ENOMEM;
        }
        for (ph_hook_key k = 0; k < _PH_HOOK_KEY_MAX; k++)
                if (w->watched[k])
                        json_object_array_add(keys, json_object_new_string(ph_hook_key_to_string(k)));
        json_object_object_add(args, "keys", keys);

        pthread_mutex_lock(&w->lock);
        if (w->dead) {
                pthread_mutex_unlock(&w->lock);
                json_object_put(args);
                return -ECONNRESET;
        }
        w->have_reply = false;
        /* The id is known only once sent; the reader takes the lock before
         * matching, so the reply cannot slip past. */
        r = client_conn_send_request(w->conn, remote->hub_id, "watch", args, &id);
        if (r < 0) {
                pthread_mutex_unlock(&w->lock);
                return r;
        }
        if (pthread_equal(pthread_self(), w->thread)) {
                pthread_mutex_unlock(&w->lock);
                return 0;
        }
        w->pending_id = id;
        struct timespec deadline;
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += (time_t) (CLIENT_CALL_TIMEOUT_USEC / USEC_PER_SEC);
        while (!w->have_reply && !w->dead)
                if (pthread_cond_timedwait(&w->cond, &w->lock, &deadline) == ETIMEDOUT)
                        break;
        r = w->have_reply ? w->reply_r : w->dead ? (w->reply_r < 0 ? w->reply_r : -ECONNRESET) : -ETIMEDOUT;
        w->pending_id = 0;
        pthread_mutex_unlock(&w->lock);
        return r;
}

int client_register_hook_handlers(ph_hub *hub, ph_hook_key key, const ph_hook_handler *handlers, size_t n) {
        client_remote *remote = hub->remote;
        client_watch *w;
        int r;

        assert_return(key >= 0 && key < _PH_HOOK_KEY_MAX, -EINVAL);

        pthread_mutex_lock(&remote->watch_lock);
        if (!remote->watch) {
                r = watch_new(hub, &remote->watch);
                if (r < 0)
                        goto finish;
        }
        w = remote->watch;
        r = hook_table_register(w->hooks, key, handlers, n);
        if (r < 0 || w->watched[key])
                goto finish;

        w->watched[key] = true;
        r = watch_send_keys(w, remote);
        if (r < 0) {
                _cleanup_free_ const char **ids = calloc(n, sizeof(char *));
                w->watched[key] = false;
                if (ids) {
                        for (size_t i = 0; i < n; i++)
                                ids[i] = handlers[i].id;
                        (void) hook_table_cancel(w->hooks, key, ids, n);
                }
        }
finish:
        pthread_mutex_unlock(&remote->watch_lock);
        return r;
}

int client_cancel_hook_handlers(ph_hub *hub, ph_hook_key key, const char *const *ids, size_t n) {
        client_remote *remote = hub->remote;
        int r;

        assert_return(key >= 0 && key < _PH_HOOK_KEY_MAX, -EINVAL);
        assert_return(ids && n > 0, -EINVAL);
        for (size_t i = 0; i < n; i++)
                assert_return(ids[i] && ids[i][0], -EINVAL);

        pthread_mutex_lock(&remote->watch_lock);
        r = remote->watch ? hook_table_cancel(remote->watch->hooks, key, ids, n) : -ENOENT;
        pthread_mutex_unlock(&remote->watch_lock);
        return r;
}
