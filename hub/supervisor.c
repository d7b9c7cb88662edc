/* SPDX-License-Identifier: MIT */

/* The table of children (a hash by id) and the supervisor's API; the
 * lifecycle itself is in child-fsm.c, the process side in child-process.c. */

#include <dirent.h>
#include <poll.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "log.h"
#include "proc-stat.h"
#include "string-table.h"
#include "spawn.h"
#include "supervisor-internal.h"
#include "time-util.h"

static const char *const child_state_table[_CHILD_STATE_MAX] = {
        [CHILD_STATE_STARTING] = "starting",
        [CHILD_STATE_RUNNING] = "running",
        [CHILD_STATE_STOPPING] = "stopping",
        [CHILD_STATE_DRAINING] = "draining",
        [CHILD_STATE_BACKOFF] = "backoff",
        [CHILD_STATE_FAILED] = "failed",
};

const char *child_state_to_string(child_state s) {
        if (s < 0 || s >= _CHILD_STATE_MAX)
                return NULL;
        return child_state_table[s];
}

static const char *const supervisor_event_table[_SUPERVISOR_EVENT_MAX] = {
        [SUPERVISOR_EVENT_STARTED] = "started",
        [SUPERVISOR_EVENT_EXITED] = "exited",
        [SUPERVISOR_EVENT_RESTARTED] = "restarted",
        [SUPERVISOR_EVENT_FAILED] = "failed",
        [SUPERVISOR_EVENT_STATUS] = "status",
        [SUPERVISOR_EVENT_REMOVED] = "removed",
};

const char *supervisor_event_to_string(supervisor_event e) {
        if (e < 0 || e >= _SUPERVISOR_EVENT_MAX)
                return NULL;
        return supervisor_event_table[e];
}

/* A supervisor of thousands of children needs thousands of pidfds: raise
 * the soft RLIMIT_NOFILE to the hard one (as systemd does for itself) and
 * remember the old soft value for the children. */
static void supervisor_raise_nofile(supervisor *s) {
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= rl.rlim_max)
                return;
        s->nofile = rl;
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) >= 0)
                s->set_nofile = true;
}

int supervisor_new(loop *l, cgroup_subtree *t, const supervisor_options *o, supervisor **ret,
                   const char **ret_reason) {
        _cleanup_free_ char *group_name = NULL;
        const char *reason = NULL;
        int r;

        assert_return(l, -EINVAL);
        assert_return(t, -EINVAL);
        assert_return(o, -EINVAL);
        assert_return(ret, -EINVAL);

        if (child_id_validate(o->name, &reason) < 0) {
                if (ret_reason)
                        *ret_reason = "name: hub id is empty, too long or not printable UTF-8";
                return -EINVAL;
        }
        r = cgroup_policy_check(cgroup_subtree_hierarchy(t), &o->policy, &reason);
        if (r < 0) {
                if (ret_reason)
                        *ret_reason = reason;
                return r;
        }

        supervisor *s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        _cleanup_supervisor_ supervisor *cleanup = s;

        s->loop = l;
        s->subtree = t;
        s->on_event = o->on_event;
        s->resolve_exit = o->resolve_exit;
        s->userdata = o->userdata;
        s->name = strdup(o->name);
        if (!s->name)
                return -ENOMEM;
        s->max_restarts = o->max_restarts ?: SUPERVISOR_DEFAULT_MAX_RESTARTS;
        s->max_restarts_interval_usec = (uint64_t) (o->max_seconds ?: SUPERVISOR_DEFAULT_MAX_SECONDS) * USEC_PER_SEC;

        r = spawner_new(&s->spawner);
        if (r < 0) {
                if (ret_reason)
                        *ret_reason = "cannot set up spawning (stack, /dev/null)";
                return r;
        }

        r = cgroup_escape_name(o->name, ".hub", &group_name);
        if (r < 0)
                return r;
        r = (o->adopt ? cgroup_group_adopt : cgroup_group_new)(t, NULL, group_name, &o->policy, &s->group);
        if (r < 0) {
                if (ret_reason)
                        *ret_reason = r == -EBUSY ? "the hub's cgroup still holds processes"
                                                  : "the hub's cgroup cannot be created";
                return r;
        }

        supervisor_raise_nofile(s);
        *ret = TAKE_PTR(cleanup);
        return 0;
}

static supervisor_child *supervisor_child_free(supervisor_child *c) {
        if (!c)
                return NULL;
        child_release_all(c);
        child_pending_free(c);
        cgroup_group_free(c->group);
        restart_window_done(&c->window);
        child_spec_free(c->spec);
        free(c->failure);
        free(c->status_text);
        free(c);
        return NULL;
}

/* rmdir, allowing the kernel a moment: a group whose last process just
 * exited can still be busy (its exit not fully accounted yet). */
static int remove_group(cgroup_group *g) {
        int r = 0;

        for (unsigned i = 0; i < 100; i++) {
                r = cgroup_group_remove(g);
                if (r != -EBUSY)
                        break;
                (void) usleep(10 * 1000);
        }
        if (r < 0)
                log_debug("removing %s: %s", CGROUP_GROUP_PATH(g), strerror(-r));
        return r;
}

/* Last resort, outside the loop: kill, reap our own process (a zombie
 * keeps its group busy), wait a bounded time for the group to empty,
 * remove it. */
static void kill_and_remove(cgroup_group *g, int pidfd) {
        _cleanup_close_ int events = cgroup_group_open_events(g);

        (void) cgroup_group_kill(g);
        child_reap(pidfd, 1000);
        for (unsigned i = 0; i < 50 && cgroup_group_is_populated(g) > 0; i++) {
                (void) cgroup_group_kill(g);
                if (events >= 0) {
                        struct pollfd p = { .fd = events, .events = POLLPRI };
                        (void) poll(&p, 1, 100);
                } else
                        (void) usleep(100 * 1000);
        }
        (void) remove_group(g);
}

static void supervisor_bury(supervisor *s) {
        for (size_t i = 0; i < s->n_graveyard; i++) {
                (void) remove_group(s->graveyard[i]);
                cgroup_group_free(s->graveyard[i]);
        }
        s->graveyard = mfree(s->graveyard);
        s->n_graveyard = 0;
}

supervisor *supervisor_free(supervisor *s) {
        supervisor_child *c;

        if (!s)
                return NULL;

        supervisor_notify_close(s);
        PTR_TABLE_FOREACH(&s->children, i, c) {
                supervisor_unindex_child(s, c);
                kill_and_remove(c->group, c->pidfd);
                supervisor_child_free(c);
        }
        ptr_table_done(&s->children);
        ptr_table_done(&s->children_by_cgroup);
        supervisor_bury(s);
        if (s->group) {
                kill_and_remove(s->group, -EBADF);
                cgroup_group_free(s->group);
        }
        restart_window_done(&s->window);
        free(s->name);
        spawner_free(s->spawner);
        free(s);
        return NULL;
}

void supervisor_emit(supervisor_child *c, supervisor_event event) {
        supervisor *s = c->supervisor;

        if (s->on_event)
                s->on_event(s, c, event, s->userdata);
}

int supervisor_try_record_restart(supervisor *s, uint64_t now_usec) {
        return restart_window_try_record(&s->window, s->max_restarts, s->max_restarts_interval_usec, now_usec);
}

static void supervisor_maybe_shutdown_done(supervisor *s) {
        if (!s->shutting_down || s->n_children > 0)
                return;
        supervisor_bury(s);
        if (s->group)
                (void) remove_group(s->group);
        if (s->shutdown_done) {
                supervisor_shutdown_handler done = s->shutdown_done;
                s->shutdown_done = NULL;
                done(s, s->shutdown_userdata);
        }
}

void supervisor_child_finish(supervisor_child *c, int start_error, const char *start_reason) {
        supervisor *s = c->supervisor;
        int r;

        child_release_all(c);
        /* Out of the tables while c->group is still its own: the cgroup
         * id table finds it by the group's id. */
        supervisor_unindex_child(s, c);
        r = cgroup_group_remove(c->group);
        if (r == -EBUSY) {
                /* The kernel has not let go of it yet: try again at
                 * shutdown rather than block the loop now. */
                cgroup_group **g = realloc(s->graveyard, sizeof(cgroup_group *) * (s->n_graveyard + 1));
                if (g) {
                        s->graveyard = g;
                        s->graveyard[s->n_graveyard++] = TAKE_PTR(c->group);
                }
        } else if (r < 0)
                log_debug("child %s: removing %s: %s", c->spec->id, CGROUP_GROUP_PATH(c->group), strerror(-r));
        s->n_children--;

        /* The owner's bookkeeping (REMOVED) first, the answers after: who
         * waits for a stop finds it fully done. */
        supervisor_emit(c, SUPERVISOR_EVENT_REMOVED);
        if (c->pending) {
                child_pending *p = c->pending;

                if (!c->start_reported && p->start_done)
                        p->start_done(s, c->spec->id, start_error < 0 ? start_error : -ECHILD, start_reason, 0,
                                      p->start_userdata);
                if (p->stop_done)
                        p->stop_done(s, c->spec->id, 0, p->stop_userdata);
        }
        supervisor_child_free(c);

        supervisor_maybe_shutdown_done(s);
}

/* A child not yet in the tables, with a shared spec of its own (spec itself
 * when it is one) and the name of its leaf. */
static int child_alloc(supervisor *s, const child_spec *spec, child_state state, supervisor_child **ret,
                       char **ret_leaf) {
        supervisor_child *c;
        int r;

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->supervisor = s;
        c->pidfd = -EBADF;
        c->state = state;
        r = child_spec_share(spec, &c->spec);
        if (r >= 0)
                r = cgroup_escape_name(spec->id, ".child", ret_leaf);
        if (r < 0) {
                supervisor_child_free(c);
                return r;
        }
        *ret = c;
        return 0;
}

int supervisor_start_child(supervisor *s, const child_spec *spec, supervisor_start_handler done, void *userdata,
                           const char **ret_reason) {
        _cleanup_free_ char *leaf = NULL;
        const char *field = NULL, *reason = NULL;
        supervisor_child *c;
        int r;

        assert_return(s, -EINVAL);
        assert_return(spec, -EINVAL);

        r = child_spec_validate(spec, &field, &reason);
        if (r < 0) {
                if (ret_reason)
                        *ret_reason = field; /* the field; the caller adds the id */
                return r;
        }
        if (s->shutting_down)
                return -ESHUTDOWN;
        if (supervisor_find_child(s, spec->id))
                return -EEXIST;
        r = cgroup_policy_check(cgroup_subtree_hierarchy(s->subtree), &spec->limits, &reason);
        if (r < 0) {
                if (ret_reason)
                        *ret_reason = reason;
                return r;
        }

        r = child_alloc(s, spec, CHILD_STATE_STARTING, &c, &leaf);
        if (r < 0)
                return r;
        r = cgroup_group_new(s->subtree, s->group, leaf, &spec->limits, &c->group);
        if (r < 0) {
                reason = r == -EBUSY ? "cgroup: the child's group still holds processes"
                                     : "cgroup: the child's group cannot be created";
                goto fail;
        }
        if (done) {
                /* Before the launch, whose events may want to answer. */
                child_pending *p = child_pending_get(c);

                if (!p) {
                        (void) cgroup_group_remove(c->group);
                        r = -ENOMEM;
                        goto fail;
                }
                p->start_done = done;
                p->start_userdata = userdata;
        }
        r = supervisor_index_child(s, c);
        if (r < 0) {
                (void) cgroup_group_remove(c->group);
                goto fail;
        }
        r = child_launch(c, &reason);
        if (r < 0) {
                supervisor_unindex_child(s, c);
                (void) cgroup_group_remove(c->group);
                goto fail;
        }

        s->n_children++;
        return 0;

fail:
        if (ret_reason && reason)
                *ret_reason = reason;
        supervisor_child_free(c);
        return r;
}

/* With the pidfd held, pid cannot be handed to another process: what /proc
 * says from here on is about the process the pidfd names, as long as it has
 * not exited by the time we look at the pidfd again. */
static int adopt_verify(const cgroup_group *g, pid_t pid, const process_identity *identity, int *ret_pidfd,
                        const char **ret_reason) {
        _cleanup_close_ int pidfd = -EBADF;
        struct pollfd p;
        int r;

        pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
        if (pidfd < 0) {
                *ret_reason = "adopt: the recorded process is gone";
                return errno == ESRCH ? -ESRCH : -errno;
        }
        r = process_identity_matches(pidfd, pid, identity);
        if (r == -EOPNOTSUPP) {
                *ret_reason = "adopt: the recorded identity is a pidfs inode, and this kernel has no pidfs";
                return -ESRCH;
        }
        if (r < 0) {
                *ret_reason = "adopt: the recorded process is gone";
                return r;
        }
        if (r == 0) {
                *ret_reason = identity->pidfs_ino != 0
                                      ? "adopt: the pid belongs to another process now (pidfs inode differs)"
                                      : "adopt: the pid belongs to another process now (start time differs)";
                return -ESRCH;
        }
        r = cgroup_group_contains_pidfd(g, pidfd, pid);
        if (r < 0 && r != -ESRCH)
                return r;
        if (r <= 0) {
                *ret_reason = "adopt: the process is not in the child's cgroup";
                return -ESRCH;
        }
        p = (struct pollfd) { .fd = pidfd, .events = POLLIN };
        if (poll(&p, 1, 0) != 0) {
                *ret_reason = "adopt: the recorded process exited meanwhile";
                return -ESRCH;
        }
        *ret_pidfd = TAKE_FD(pidfd);
        return 0;
}

/* One of supervisor_adopt_children(), its groups looked up below the hub
 * group's directories held by a. */
static int adopt_one(supervisor *s, cgroup_adoption *a, const supervisor_adoptee *e, const char **ret_reason) {
        _cleanup_free_ char *leaf = NULL;
        const char *field = NULL, *reason = NULL;
        supervisor_child *c;
        int pidfd = -EBADF, r;

        if (!e->spec || e->pid < 0)
                return -EINVAL;
        r = child_spec_validate(e->spec, &field, &reason);
        if (r < 0) {
                *ret_reason = field;
                return r;
        }
        if (supervisor_find_child(s, e->spec->id))
                return -EEXIST;

        r = child_alloc(s, e->spec, CHILD_STATE_RUNNING, &c, &leaf);
        if (r < 0)
                return r;
        /* Its limits were set when it was first made: taken as it is. */
        r = cgroup_adoption_take(a, leaf, &e->spec->limits, &c->group);
        if (r < 0) {
                reason = "cgroup: the child's group cannot be opened";
                goto fail;
        }
        r = e->pid > 0 ? adopt_verify(c->group, e->pid, &e->identity, &pidfd, &reason) : -ESRCH;
        if (r < 0) {
                if (e->pid == 0)
                        reason = "adopt: no process was running";
                /* Whatever is left in the leaf is not the recorded child:
                 * it goes, and a fresh start finds an empty leaf. */
                log_debug("child %s: not adopted (%s), emptying %s", e->spec->id, reason ?: strerror(-r),
                          CGROUP_GROUP_PATH(c->group));
                kill_and_remove(c->group, -EBADF);
                goto fail;
        }

        c->pid = e->pid;
        c->pidfd = pidfd;
        /* What adopt_verify() checked it by, kept as it is. */
        c->identity_pidfs = e->identity.pidfs_ino != 0;
        c->identity = c->identity_pidfs ? e->identity.pidfs_ino : e->identity.start_time;
        c->identity_pid = e->pid;
        c->restarts = e->restarts;
        c->start_reported = true;
        c->exec_done = true;
        c->running_since_usec = loop_now(s->loop) ?: now_usec();
        if (cgroup_adoption_oom_kills(a, c->group, &c->oom_kills_at_spawn) < 0)
                c->oom_kills_at_spawn = 0;
        r = supervisor_index_child(s, c);
        if (r < 0)
                goto fail;
        r = child_watch_adopted(c);
        if (r < 0) {
                supervisor_unindex_child(s, c);
                reason = "adopt: cannot watch the process";
                goto fail;
        }
        s->n_children++;
        log_debug("child %s: adopted pid %d", e->spec->id, (int) e->pid);
        return 0;

fail:
        *ret_reason = reason;
        supervisor_child_free(c);
        return r;
}

int supervisor_adopt_children(supervisor *s, supervisor_adoptee *list, size_t n) {
        _cleanup_cgroup_adoption_ cgroup_adoption *a = NULL;
        int r;

        assert_return(s, -EINVAL);
        assert_return(list || n == 0, -EINVAL);

        if (s->shutting_down)
                return -ESHUTDOWN;
        if (n == 0)
                return 0;
        r = cgroup_adoption_new(s->subtree, s->group, &a);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                list[i].reason = NULL;
                list[i].result = adopt_one(s, a, &list[i], &list[i].reason);
        }
        return 0;
}

int supervisor_adopt_child(supervisor *s, const child_spec *spec, pid_t pid, const process_identity *identity,
                           unsigned restarts, const char **ret_reason) {
        supervisor_adoptee e = { .spec = spec, .pid = pid, .identity = identity ? *identity : (process_identity) {},
                                 .restarts = restarts };
        int r;

        assert_return(s, -EINVAL);
        assert_return(spec, -EINVAL);
        assert_return(pid >= 0, -EINVAL);

        r = supervisor_adopt_children(s, &e, 1);
        if (r < 0)
                return r;
        if (e.result < 0 && ret_reason && e.reason)
                *ret_reason = e.reason;
        return e.result;
}

static void closedirp(DIR **d) {
        if (*d)
                (void) closedir(*d);
}

static int compare_strings(const void *a, const void *b) {
        return strcmp(*(const char *const *) a, *(const char *const *) b);
}

int supervisor_remove_strays(supervisor *s) {
        _cleanup_free_ const char **known = NULL;
        _cleanup_(closedirp) DIR *d = NULL;
        supervisor_child *c;
        struct dirent *de;
        size_t n = 0;
        int removed = 0;

        assert_return(s, -EINVAL);

        d = opendir(CGROUP_GROUP_PATH(s->group));
        if (!d)
                return -errno;
        /* Sorted leaf names of our children: a lookup per directory entry
         * stays O(log n) with 10,000 of them. */
        known = calloc(s->n_children + 1, sizeof(char *));
        if (!known)
                return -ENOMEM;
        PTR_TABLE_FOREACH(&s->children, i, c)
                known[n++] = cgroup_group_name(c->group);
        qsort(known, n, sizeof(char *), compare_strings);

        while ((de = readdir(d))) {
                _cleanup_cgroup_group_ cgroup_group *g = NULL;
                const char *name = de->d_name;

                if (de->d_type != DT_DIR || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
                        continue;
                if (bsearch(&name, known, n, sizeof(char *), compare_strings))
                        continue;
                if (cgroup_group_adopt(s->subtree, s->group, name, NULL, &g) < 0)
                        continue;
                log_debug("hub %s: stray group %s has no record: killing and removing it", s->name,
                          CGROUP_GROUP_PATH(g));
                kill_and_remove(g, -EBADF);
                removed++;
        }
        return removed;
}

int supervisor_stop_child(supervisor *s, const char *id, supervisor_stop_handler done, void *userdata) {
        supervisor_child *c;

        assert_return(s, -EINVAL);
        assert_return(id, -EINVAL);

        c = supervisor_find_child(s, id);
        if (!c)
                return -ENOENT;
        if (c->stop_requested)
                return -EALREADY;
        if (done) {
                child_pending *p = child_pending_get(c);

                if (!p)
                        return -ENOMEM;
                p->stop_done = done;
                p->stop_userdata = userdata;
        }
        child_dispatch(c, CHILD_EVENT_STOP); /* may free c */
        return 0;
}

int supervisor_shutdown(supervisor *s, supervisor_shutdown_handler done, void *userdata) {
        supervisor_child *c;

        assert_return(s, -EINVAL);
        if (s->shutting_down)
                return -EALREADY;

        s->shutting_down = true;
        s->shutdown_done = done;
        s->shutdown_userdata = userdata;
        PTR_TABLE_FOREACH(&s->children, i, c)
                if (!c->stop_requested)
                        child_dispatch(c, CHILD_EVENT_STOP);
        supervisor_maybe_shutdown_done(s);
        return 0;
}

void supervisor_detach(supervisor *s) {
        supervisor_child *c;

        if (!s)
                return;
        s->on_event = NULL;
        s->shutdown_done = NULL;
        PTR_TABLE_FOREACH(&s->children, i, c)
                if (c->pending) {
                        c->pending->start_done = NULL;
                        c->pending->stop_done = NULL;
                }
}

static uint64_t child_id_hash(const void *item) {
        return ptr_table_hash_string(((const supervisor_child *) item)->spec->id);
}

static uint64_t child_cgroup_hash(const void *item) {
        return ptr_table_hash_u64(cgroup_group_id(((const supervisor_child *) item)->group));
}

static bool child_has_id(const void *item, const void *key) {
        return strcmp(((const supervisor_child *) item)->spec->id, key) == 0;
}

static bool child_has_cgroup_id(const void *item, const void *key) {
        return cgroup_group_id(((const supervisor_child *) item)->group) == *(const uint64_t *) key;
}

int supervisor_index_child(supervisor *s, supervisor_child *c) {
        int r;

        r = ptr_table_add(&s->children, c, child_id_hash(c), child_id_hash);
        if (r < 0)
                return r;
        /* The leaf lives as long as the child, so its id is read once,
         * here, and kept in the handle: the same at unindexing. */
        if (cgroup_group_id(c->group) != 0) {
                r = ptr_table_add(&s->children_by_cgroup, c, child_cgroup_hash(c), child_cgroup_hash);
                if (r < 0) {
                        (void) ptr_table_remove(&s->children, c, child_id_hash(c));
                        return r;
                }
        }
        return 0;
}

void supervisor_unindex_child(supervisor *s, supervisor_child *c) {
        (void) ptr_table_remove(&s->children, c, child_id_hash(c));
        if (cgroup_group_id(c->group) != 0)
                (void) ptr_table_remove(&s->children_by_cgroup, c, child_cgroup_hash(c));
}

supervisor_child *supervisor_find_child_by_cgroup_id(supervisor *s, uint64_t cgroup_id) {
        if (!s || cgroup_id == 0)
                return NULL;
        return ptr_table_find(&s->children_by_cgroup, ptr_table_hash_u64(cgroup_id), child_has_cgroup_id,
                              &cgroup_id);
}

supervisor_child *supervisor_find_child(supervisor *s, const char *id) {
        if (!s || !id)
                return NULL;
        return ptr_table_find(&s->children, ptr_table_hash_string(id), child_has_id, id);
}

/* The slot after c's (found from its id's hash): children come in slot
 * order, which stays put while none is added. */
supervisor_child *supervisor_next_child(supervisor *s, supervisor_child *c) {
        size_t i = 0, mask;

        if (!s || s->children.n_slots == 0)
                return NULL;
        mask = s->children.n_slots - 1;
        if (c) {
                for (i = child_id_hash(c) & mask; s->children.slots[i] != c; i = (i + 1) & mask)
                        if (!s->children.slots[i])
                                return NULL; /* not ours */
                i++;
        }
        for (; i < s->children.n_slots; i++)
                if (ptr_table_slot_live(s->children.slots[i]))
                        return s->children.slots[i];
        return NULL;
}

size_t supervisor_n_children(const supervisor *s) {
        return s ? s->n_children : 0;
}

unsigned supervisor_recent_restarts(supervisor *s) {
        return s ? restart_window_count(&s->window, s->max_restarts_interval_usec, now_usec()) : 0;
}

const char *supervisor_cgroup_path(const supervisor *s, char buf[static PATH_MAX]) {
        return s && s->group ? cgroup_group_path(s->group, buf) : NULL;
}

const char *supervisor_child_id(const supervisor_child *c) {
        return c ? c->spec->id : NULL;
}

const child_spec *supervisor_child_spec(const supervisor_child *c) {
        return c ? c->spec : NULL;
}

child_state supervisor_child_state(const supervisor_child *c) {
        return c ? c->state : _CHILD_STATE_INVALID;
}

pid_t supervisor_child_pid(const supervisor_child *c) {
        return c ? c->pid : 0;
}

bool supervisor_child_is_main_pid(const supervisor_child *c, pid_t pid) {
        return c && pid > 0 && (pid == c->pid || pid == c->last_pid);
}

int supervisor_child_pidfd(const supervisor_child *c) {
        return c && c->pidfd >= 0 ? c->pidfd : -EBADF;
}

unsigned supervisor_child_restarts(const supervisor_child *c) {
        return c ? c->restarts : 0;
}

void supervisor_child_set_restarts(supervisor_child *c, unsigned restarts) {
        if (c)
                c->restarts = restarts;
}

int supervisor_child_identity(supervisor_child *c, process_identity *ret) {
        process_identity id;
        int r;

        assert_return(c, -EINVAL);
        assert_return(ret, -EINVAL);

        if (c->pid <= 0)
                return -ESRCH;
        if (c->identity_pid != c->pid) {
                r = process_identity_get(c->pidfd, c->pid, &id);
                if (r < 0)
                        return r;
                c->identity_pidfs = id.pidfs_ino != 0;
                c->identity = c->identity_pidfs ? id.pidfs_ino : id.start_time;
                c->identity_pid = c->pid;
        }
        *ret = c->identity_pidfs ? (process_identity) { .pidfs_ino = c->identity }
                                 : (process_identity) { .start_time = c->identity };
        return 0;
}

const child_exit *supervisor_child_last_exit(const supervisor_child *c) {
        return c ? &c->last_exit : NULL;
}

bool supervisor_child_stop_requested(const supervisor_child *c) {
        return c && c->stop_requested;
}

const char *supervisor_child_failure(const supervisor_child *c) {
        return c ? c->failure : NULL;
}

const char *supervisor_child_status_text(const supervisor_child *c) {
        return c ? c->status_text : NULL;
}

const char *supervisor_child_cgroup_path(const supervisor_child *c, char buf[static PATH_MAX]) {
        return c ? cgroup_group_path(c->group, buf) : NULL;
}
