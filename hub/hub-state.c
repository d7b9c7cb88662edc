/* SPDX-License-Identifier: MIT */

/* A hub's memory across a restart of the process that hosts it
 * (config.state_dir): the state file, kept up to date from the loop, and
 * adoption at the next start.
 *
 * Flushing is coalesced: a change marks the state dirty and arms one
 * timer; the file is rewritten (whole, atomically: temporary file and
 * rename()) when it fires, at most every STATE_FLUSH_MIN_USEC, and never
 * more often than ten times the last write took (up to
 * STATE_FLUSH_MAX_USEC), so that with 10,000 children a burst of events
 * costs one write and writing takes about a tenth of the loop at most. The price: a crash loses at most the last
 * interval of changes. A child started within it has no record yet and is
 * killed as a stray at adoption; a child restarted within it has a stale
 * pid, fails the identity check and is started afresh. At a clean stop
 * nothing runs any more and the file is removed.
 *
 * Two processes must not drive the same hub's children: the lock file
 * beside the state file is held (flock) for the hub's life, and the kernel
 * lets go of it when the process dies, kill -9 included. It is never
 * removed (see hub_state_close()). */

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hub-internal.h"
#include "log.h"
#include "macros.h"
#include "state-file.h"
#include "time-util.h"

#define STATE_FLUSH_MIN_USEC (100 * USEC_PER_MSEC)
/* However slow writing gets (a loaded machine), the file lags at most this. */
#define STATE_FLUSH_MAX_USEC (1 * USEC_PER_SEC)

typedef struct hub_state {
        char *path;      /* <state_dir>/<escaped hub id>.state */
        char *lock_path; /* <state_dir>/<escaped hub id>.lock */
        int lock_fd;
        /* Read at open, consumed by hub_state_adopt(). */
        state_record *records;
        size_t n_records;

        loop_source *flush;
        bool dirty;
        uint64_t last_flush_usec;
        uint64_t last_cost_usec;
} hub_state;

/* mkdir -p: the daemon's /run/processhub/ may not exist after a reboot. */
static int mkdir_parents(const char *dir) {
        _cleanup_free_ char *p = strdup(dir);

        if (!p)
                return -ENOMEM;
        for (char *s = p + 1; ; s++) {
                if (*s != '/' && *s != '\0')
                        continue;
                char c = *s;
                *s = '\0';
                if (mkdir(p, 0755) < 0 && errno != EEXIST)
                        return -errno;
                *s = c;
                if (c == '\0')
                        break;
        }
        return 0;
}

static hub_state *hub_state_free(hub_state *st) {
        if (!st)
                return NULL;
        st->flush = loop_source_free(st->flush);
        safe_close(st->lock_fd);
        state_records_free(st->records, st->n_records);
        free(st->path);
        free(st->lock_path);
        free(st);
        return NULL;
}

int hub_state_open(ph_hub *hub, const char *state_dir, char **ret_error_text) {
        _cleanup_free_ char *name = NULL, *text = NULL, *error = NULL;
        hub_state *st;
        int r;

        assert(hub);
        assert(!hub->state);

        if (!state_dir)
                return 0;
        if (state_dir[0] != '/') {
                hub_error_text(ret_error_text, "state_dir %s is not an absolute path", state_dir);
                return -EINVAL;
        }
        r = cgroup_escape_name(hub->hub_id, ".state", &name);
        if (r < 0)
                return r;
        st = calloc(1, sizeof(*st));
        if (!st)
                return -ENOMEM;
        st->lock_fd = -EBADF;
        hub->state = st;
        if (asprintf(&st->path, "%s/%s", state_dir, name) < 0) {
                st->path = NULL;
                return -ENOMEM;
        }
        if (asprintf(&st->lock_path, "%.*s.lock", (int) (strlen(st->path) - strlen(".state")), st->path) < 0) {
                st->lock_path = NULL;
                return -ENOMEM;
        }

        r = mkdir_parents(state_dir);
        if (r < 0) {
                hub_error_text(ret_error_text, "state_dir %s cannot be created: %s", state_dir, strerror(-r));
                return r;
        }
        st->lock_fd = open(st->lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (st->lock_fd < 0) {
                r = -errno;
                hub_error_text(ret_error_text, "state lock %s: %s", st->lock_path, strerror(-r));
                return r;
        }
        if (flock(st->lock_fd, LOCK_EX | LOCK_NB) < 0) {
                r = errno == EWOULDBLOCK ? -EBUSY : -errno;
                hub_error_text(ret_error_text, "hub %s: state lock %s is held by another process", hub->hub_id,
                               st->lock_path);
                return r;
        }

        r = state_file_read(st->path, &text);
        if (r == -ENOENT)
                return 0; /* nothing to adopt */
        if (r < 0) {
                hub_error_text(ret_error_text, "state file %s cannot be read: %s", st->path, strerror(-r));
                return r;
        }
        /* A corrupt file is not moved aside: its children would then be
         * killed as strays. The operator (or the daemon) decides. */
        r = state_file_decode(text, hub->hub_id, &st->records, &st->n_records, &error);
        if (r < 0) {
                hub_error_text(ret_error_text, "state file %s is corrupt: %s", st->path, error ?: strerror(-r));
                return r;
        }
        log_debug("hub %s: state file %s has %zu children", hub->hub_id, st->path, st->n_records);
        return 0;
}

void hub_state_close(ph_hub *hub, bool remove_file) {
        hub_state *st = hub->state;

        if (!st)
                return;
        /* The lock file stays: unlinking it while held would let a
         * process that opened the old inode and one that creates a new one
         * both think they hold the hub. */
        if (remove_file && unlink(st->path) < 0 && errno != ENOENT)
                log_debug("hub %s: removing %s: %m", hub->hub_id, st->path);
        hub->state = hub_state_free(st);
}

/* ---- Flushing (loop thread) ---- */

static int hub_state_flush(ph_hub *hub) {
        hub_state *st = hub->state;
        _cleanup_free_ state_record *records = NULL;
        _cleanup_free_ registry_entry **entries = NULL;
        _cleanup_free_ char *text = NULL, *node = NULL;
        size_t n = 0, cap = supervisor_n_children(hub->supervisor);
        uint64_t begin = now_usec();
        int r;

        st->dirty = false;
        node = hub_node_dup(hub);
        records = calloc(cap ?: 1, sizeof(state_record));
        entries = calloc(cap ?: 1, sizeof(registry_entry *));
        if (!records || !entries || !node)
                return -ENOMEM;

        for (supervisor_child *c = supervisor_next_child(hub->supervisor, NULL); c && n < cap;
             c = supervisor_next_child(hub->supervisor, c)) {
                state_record *rec = &records[n];
                registry_entry *e;

                /* Being stopped: not to be adopted (a leaf left without a
                 * record is removed at the next start). */
                if (supervisor_child_stop_requested(c))
                        continue;
                rec->spec = (child_spec *) supervisor_child_spec(c);
                rec->restarts = supervisor_child_restarts(c);
                /* Only a running process is adopted; one still starting (or
                 * restarting) is started afresh. */
                if (supervisor_child_state(c) == CHILD_STATE_RUNNING &&
                    supervisor_child_identity(c, &rec->identity) >= 0)
                        rec->pid = supervisor_child_pid(c);
                e = registry_lookup(hub->registry, supervisor_child_id(c));
                if (e) {
                        entries[n] = e;
                        rec->tag = registry_entry_tag(e);
                        rec->metadata = registry_entry_metadata(e);
                        rec->n_metadata = registry_entry_n_metadata(e);
                }
                n++;
        }

        r = state_file_encode(hub->hub_id, records, n, &text);
        for (size_t i = 0; i < n; i++)
                registry_entry_unref(entries[i]);
        if (r < 0)
                return r;
        r = state_file_write(st->path, text);
        if (r < 0) {
                log_debug("hub %s: writing %s: %s", hub->hub_id, st->path, strerror(-r));
                return r;
        }
        st->last_flush_usec = now_usec();
        st->last_cost_usec = st->last_flush_usec - begin;
        if (st->last_cost_usec > 50 * USEC_PER_MSEC)
                log_debug("hub %s: writing %zu children to %s took %" PRIu64 " ms", hub->hub_id, n, st->path,
                          st->last_cost_usec / USEC_PER_MSEC);
        return 0;
}

static int hub_state_on_flush(loop_source *s, uint64_t now, void *userdata) {
        ph_hub *hub = userdata;
        int r;

        if (!hub->state || hub->stopping)
                return 0;
        r = hub_state_flush(hub);
        if (r < 0) {
                /* Try again later rather than leave a stale file for good,
                 * but not in a busy loop (a full or vanished /run): once a
                 * second. */
                hub->state->last_flush_usec = now_usec();
                hub->state->last_cost_usec = 100 * USEC_PER_MSEC;
                hub->state->dirty = false;
                hub_state_mark_dirty(hub);
        }
        return 0;
}

void hub_state_mark_dirty(ph_hub *hub) {
        hub_state *st = hub->state;
        uint64_t interval, when;
        int r;

        if (!st || st->dirty || hub->stopping)
                return;
        st->dirty = true;
        interval = st->last_cost_usec * 10;
        if (interval < STATE_FLUSH_MIN_USEC)
                interval = STATE_FLUSH_MIN_USEC;
        if (interval > STATE_FLUSH_MAX_USEC)
                interval = STATE_FLUSH_MAX_USEC;
        when = st->last_flush_usec + interval;
        if (!st->flush)
                r = loop_add_timer(hub->loop, &st->flush, when, 0, hub_state_on_flush, hub);
        else
                r = loop_source_timer_set(st->flush, when, 0);
        if (r < 0) {
                log_debug("hub %s: no flush timer: %s", hub->hub_id, strerror(-r));
                st->dirty = false;
        }
}

void hub_state_flush_pending(ph_hub *hub) {
        hub_state *st = hub->state;

        if (!st || !st->dirty || hub->stopping)
                return;
        if (hub_state_flush(hub) < 0)
                return; /* dirty again via the timer's retry path */
        if (st->flush)
                (void) loop_source_set_enabled(st->flush, false);
}

/* ---- Adoption ---- */

typedef struct adopt_args {
        size_t *fresh; /* indexes of records to start afresh */
        size_t n_fresh;
        size_t n_adopted;
        int n_strays;
} adopt_args;

/* Every record adopted as it was: the file says what runs, and writing it
 * again (hundreds of milliseconds of the loop at 10,000 children, just when
 * the owner starts answering) would change nothing. */
static void hub_state_mark_clean(ph_hub *hub) {
        hub_state *st = hub->state;

        st->dirty = false;
        if (st->flush)
                (void) loop_source_set_enabled(st->flush, false);
}

static int hub_adopt_on_loop(ph_hub *hub, void *userdata) {
        hub_state *st = hub->state;
        adopt_args *a = userdata;
        _cleanup_free_ supervisor_adoptee *list = NULL;
        int r;

        list = calloc(st->n_records ?: 1, sizeof(supervisor_adoptee));
        if (!list)
                return -ENOMEM;
        for (size_t i = 0; i < st->n_records; i++)
                list[i] = (supervisor_adoptee) {
                        .spec = st->records[i].spec,
                        .pid = st->records[i].pid,
                        .identity = st->records[i].identity,
                        .restarts = st->records[i].restarts,
                };
        r = supervisor_adopt_children(hub->supervisor, list, st->n_records);
        if (r < 0)
                return r;

        for (size_t i = 0; i < st->n_records; i++) {
                state_record *rec = &st->records[i];

                if (list[i].result == -EEXIST)
                        continue; /* recorded twice: the first one counts */
                if (list[i].result < 0) {
                        log_debug("hub %s: child %s not adopted: %s", hub->hub_id, rec->spec->id,
                                  list[i].reason ?: strerror(-list[i].result));
                        a->fresh[a->n_fresh++] = i;
                        continue;
                }
                (void) local_states_set(hub->local_states, rec->spec->id, rec->pid, "running", (int) rec->restarts,
                                        "", "");
                /* The supervisor's spec: the registry shares it. */
                r = hub_register_local(hub, supervisor_child_spec(supervisor_find_child(hub->supervisor, rec->spec->id)) ?: rec->spec,
                                       rec->pid, rec->tag, rec->metadata, rec->n_metadata);
                if (r < 0)
                        log_debug("hub %s: registering adopted %s: %s", hub->hub_id, rec->spec->id, strerror(-r));
                a->n_adopted++;
        }
        a->n_strays = supervisor_remove_strays(hub->supervisor);
        if (st->n_records > 0 && a->n_adopted == st->n_records)
                hub_state_mark_clean(hub);
        else
                hub_state_mark_dirty(hub);
        return 0;
}

typedef struct restarts_args {
        const char *id;
        unsigned restarts;
} restarts_args;

static int hub_set_restarts_on_loop(ph_hub *hub, void *userdata) {
        restarts_args *a = userdata;
        supervisor_child *c = supervisor_find_child(hub->supervisor, a->id);

        if (!c)
                return -ENOENT;
        supervisor_child_set_restarts(c, a->restarts);
        (void) local_states_set(hub->local_states, a->id, supervisor_child_pid(c), NULL, (int) a->restarts, NULL,
                                NULL);
        hub_state_mark_dirty(hub);
        return 0;
}

static void hub_note_not_restarted(ph_hub *hub, const char *id, const char *why) {
        _cleanup_free_ char *key = NULL, *text = NULL;

        log_debug("hub %s: child %s not restarted after adoption: %s", hub->hub_id, id, why);
        if (asprintf(&key, "last_exit:%s", id) < 0 || asprintf(&text, "not restarted after adoption: %s", why) < 0)
                return;
        (void) storage_put(hub->storage, key, text, now_usec() + hub->gone_ttl_usec);
}

/* Children recorded that died while no process watched them: started
 * again the ordinary way (registered with their metadata, hooks fired), and
 * that counts as a restart. All are started at once, then awaited. */
static void hub_restart_dead(ph_hub *hub, const size_t *fresh, size_t n_fresh) {
        hub_state *st = hub->state;
        _cleanup_free_ ph_future **futures = NULL;

        if (n_fresh == 0)
                return;
        futures = calloc(n_fresh, sizeof(ph_future *));
        if (!futures)
                return;
        for (size_t k = 0; k < n_fresh; k++) {
                state_record *rec = &st->records[fresh[k]];
                _cleanup_free_ char *error = NULL;
                ph_child_spec pub;
                ph_metadata md = { .tag = rec->tag, .values = (const ph_kv *) rec->metadata,
                                   .n_values = rec->n_metadata };
                ph_start_opts opts;
                int r;

                hub_spec_to_public(rec->spec, &pub);
                ph_start_opts_init(&opts);
                opts.awaitable = true;
                opts.metadata = &md;
                if (pub.ready == PH_READY_NOTIFY && pub.ready_timeout_ms + 1000 > opts.timeout_ms)
                        opts.timeout_ms = pub.ready_timeout_ms + 1000;
                opts.await_timeout_ms = opts.timeout_ms + 10000;
                r = ph_start_child(hub, &pub, &opts, &futures[k], &error);
                if (r < 0)
                        hub_note_not_restarted(hub, rec->spec->id, error ?: strerror(-r));
        }
        for (size_t k = 0; k < n_fresh; k++) {
                state_record *rec = &st->records[fresh[k]];
                ph_result *result = NULL;
                int r;

                if (!futures[k])
                        continue;
                r = ph_future_await(futures[k], &result);
                futures[k] = ph_future_free(futures[k]);
                if (r < 0) {
                        hub_note_not_restarted(hub, rec->spec->id, strerror(-r));
                        continue;
                }
                if (ph_result_status(result) != PH_STATUS_OK)
                        hub_note_not_restarted(hub, rec->spec->id, ph_result_error_at(result, 0)->reason ?: "?");
                else
                        (void) hub_call(hub, hub_set_restarts_on_loop,
                                        &(restarts_args) { .id = rec->spec->id, .restarts = rec->restarts + 1 });
                ph_result_free(result);
        }
}

int hub_state_adopt(ph_hub *hub, char **ret_error_text) {
        hub_state *st = hub->state;
        _cleanup_free_ size_t *fresh = NULL;
        adopt_args a = {};
        int r;

        if (!st)
                return 0;
        fresh = calloc(st->n_records ?: 1, sizeof(size_t));
        if (!fresh)
                return -ENOMEM;
        a.fresh = fresh;
        r = hub_call(hub, hub_adopt_on_loop, &a);
        if (r < 0) {
                hub_error_text(ret_error_text, "hub %s: adoption: %s", hub->hub_id, strerror(-r));
                return r;
        }
        log_debug("hub %s: adopted %zu children, %zu to start again, %d stray groups removed", hub->hub_id,
                  a.n_adopted, a.n_fresh, a.n_strays);
        hub_restart_dead(hub, fresh, a.n_fresh);

        /* Done with them: what runs is the supervisor's business now. */
        state_records_free(st->records, st->n_records);
        st->records = NULL;
        st->n_records = 0;
        return 0;
}
