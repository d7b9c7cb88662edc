/* SPDX-License-Identifier: MIT */
/* Creating, re-configuring and removing a group in every hierarchy it needs.
 *
 * v2: always. The controllers a policy sets are enabled in the
 * cgroup.subtree_control of every level from <own> down to the parent (a
 * refusal then fails the creation before anything is made); memory is
 * enabled the same way, best effort, for the per-group OOM counts.
 *
 * v1: in a controller's hierarchy when the policy sets it, when the parent
 * is there already (a hub-wide limit covers the hub's children), and always
 * in the memory hierarchy (per-group OOM accounting). Missing levels on the
 * way down are created too. Which v1 directories exist is the file
 * system's business, not the handle's, so handles need no parent links.
 *
 * Everything created is recorded and removed again, deepest first, when a
 * later step fails. */

#include <stdio.h>
#include <string.h>

#include "cgroup-internal.h"
#include "log.h"

typedef struct created_dirs {
        char **path;
        size_t n;
} created_dirs;

/* Runs on every exit of a creation: rolls back what is still listed. */
static void created_dirs_rollback(created_dirs *c) {
        for (size_t i = c->n; i > 0; i--) {
                if (rmdir(c->path[i - 1]) < 0)
                        log_debug("cgroup: rollback: rmdir %s: %m", c->path[i - 1]);
                free(c->path[i - 1]);
        }
        free(c->path);
        *c = (created_dirs) {};
}

static void created_dirs_keep(created_dirs *c) {
        for (size_t i = 0; i < c->n; i++)
                free(c->path[i]);
        free(c->path);
        *c = (created_dirs) {};
}

static int created_dirs_add(created_dirs *c, const char *path) {
        char **p, *s;

        s = strdup(path);
        if (!s)
                return -ENOMEM;
        p = reallocarray(c->path, c->n + 1, sizeof *p);
        if (!p) {
                free(s);
                return -ENOMEM;
        }
        c->path = p;
        c->path[c->n++] = s;
        return 0;
}

/* mkdir every level of rel below own_dir; *ret_existed: the last one was
 * there already. */
static int mkdir_below(const char *own_dir, const char *rel, created_dirs *created, bool *ret_existed) {
        _cleanup_free_ char *prefix = NULL;
        bool existed = false;
        size_t l = strlen(rel);

        prefix = strdup(rel);
        if (!prefix)
                return -ENOMEM;

        for (size_t i = 0; i <= l; i++) {
                _cleanup_free_ char *dir = NULL;
                int r;

                if (rel[i] != '/' && rel[i] != '\0')
                        continue;
                prefix[i] = '\0';
                dir = cg_path_join(own_dir, prefix);
                prefix[i] = rel[i];
                if (!dir)
                        return -ENOMEM;

                r = cg_mkdir(dir);
                if (r < 0)
                        return log_debug_errno(r, "cgroup: mkdir %s: %s", dir, strerror(-r));
                if (r > 0) {
                        r = created_dirs_add(created, dir);
                        if (r < 0) {
                                (void) rmdir(dir);
                                return r;
                        }
                }
                existed = r == 0;
        }
        *ret_existed = existed;
        return 0;
}

/* "+memory" into cgroup.subtree_control of <own> and of every level below
 * it down to the group's parent. */
static int enable_controller(const cgroup_group *g, cgroup_controller c) {
        _cleanup_free_ char *prefix = NULL;
        char buf[16];
        size_t l = strlen(g->rel);
        int r;

        (void) snprintf(buf, sizeof buf, "+%s", cgroup_controller_to_string(c));
        r = cg_write_attr(g->v2_own_dir, "cgroup.subtree_control", buf);
        if (r < 0)
                return r;

        prefix = strdup(g->rel);
        if (!prefix)
                return -ENOMEM;
        for (size_t i = 0; i < l; i++) {
                _cleanup_free_ char *dir = NULL;

                if (g->rel[i] != '/')
                        continue;
                prefix[i] = '\0';
                dir = cg_path_join(g->v2_own_dir, prefix);
                prefix[i] = '/';
                if (!dir)
                        return -ENOMEM;
                r = cg_write_attr(dir, "cgroup.subtree_control", buf);
                if (r < 0)
                        return r;
        }
        return 0;
}

int cgroup_group_enable_controllers(const cgroup_group *g, const cgroup_policy *p, unsigned *done) {
        int r;

        for (cgroup_controller c = 0; c < _CGROUP_CONTROLLER_MAX; c++) {
                if (g->backend[c] != CGROUP_BACKEND_V2 || (done && (*done & (1u << c))))
                        continue;
                if (!cgroup_policy_uses(p, c) && c != CGROUP_CONTROLLER_MEMORY)
                        continue;
                r = enable_controller(g, c);
                if (r < 0 && cgroup_policy_uses(p, c))
                        return log_debug_errno(r, "cgroup: cannot enable %s above %s: %s",
                                               cgroup_controller_to_string(c), g->v2_dir, strerror(-r));
                if (done)
                        *done |= 1u << c; /* done, or refused where only best effort */
        }
        return 0;
}

cgroup_group *cgroup_group_free(cgroup_group *g) {
        if (!g)
                return NULL;
        free(g->rel);
        free(g->v2_own_dir);
        free(g->v2_dir);
        free(g->v2_rel);
        for (cgroup_controller c = 0; c < _CGROUP_CONTROLLER_MAX; c++) {
                free(g->v1_own_dir[c]);
                free(g->v1_dir[c]);
        }
        free(g);
        return NULL;
}

int cgroup_group_alloc(const cgroup_subtree *t, const cgroup_group *parent, const char *name, cgroup_group **ret) {
        _cleanup_cgroup_group_ cgroup_group *g = NULL;

        g = calloc(1, sizeof *g);
        if (!g)
                return -ENOMEM;

        g->rel = parent ? cg_path_join(parent->rel, name) : strdup(name);
        g->v2_own_dir = strdup(t->v2_own_dir);
        if (!g->rel || !g->v2_own_dir)
                return -ENOMEM;
        g->v2_dir = cg_path_join(g->v2_own_dir, g->rel);
        g->v2_rel = cg_path_join(t->hierarchy->v2_own, g->rel);
        if (!g->v2_dir || !g->v2_rel)
                return -ENOMEM;

        for (cgroup_controller c = 0; c < _CGROUP_CONTROLLER_MAX; c++) {
                g->backend[c] = t->hierarchy->backend[c];
                if (g->backend[c] != CGROUP_BACKEND_V1)
                        continue;
                g->v1_own_dir[c] = strdup(t->v1_own_dir[c]);
                if (!g->v1_own_dir[c])
                        return -ENOMEM;
                g->v1_dir[c] = cg_path_join(g->v1_own_dir[c], g->rel);
                if (!g->v1_dir[c])
                        return -ENOMEM;
        }

        *ret = TAKE_PTR(g);
        return 0;
}

/* The v1 directory of a reused group must hold no process either. */
static int v1_dir_check_empty(const char *dir) {
        _cleanup_free_ pid_t *pids = NULL;
        size_t n;
        int r;

        r = cg_read_pids(dir, &pids, &n);
        if (r < 0)
                return r;
        return n > 0 ? -EBUSY : 0;
}

/* Create the v1 directories that p needs for g, registering them in
 * created. populated_refuses: a group with processes cannot gain a v1
 * directory (its processes would stay outside it), -EBUSY then.
 * *ret_existed: one of g's v1 directories was there already. */
static int group_make_v1(const cgroup_group *g, const cgroup_group *parent, const cgroup_policy *p,
                         bool populated_refuses, bool allow_populated, created_dirs *created, bool *ret_existed) {
        *ret_existed = false;
        for (cgroup_controller c = 0; c < _CGROUP_CONTROLLER_MAX; c++) {
                bool need, existed;
                int r;

                if (g->backend[c] != CGROUP_BACKEND_V1)
                        continue;
                need = cgroup_policy_uses(p, c) || c == CGROUP_CONTROLLER_MEMORY ||
                       (parent && parent->v1_dir[c] && cg_is_dir(parent->v1_dir[c]) > 0);
                if (!need)
                        continue;

                r = cg_is_dir(g->v1_dir[c]);
                if (r < 0)
                        return r;
                if (r == 0 && populated_refuses) {
                        r = cgroup_group_is_populated(g);
                        if (r < 0)
                                return r;
                        if (r > 0)
                                return log_debug_errno(-EBUSY, "cgroup: %s has processes, cannot add %s on v1",
                                                       g->v2_dir, cgroup_controller_to_v1_string(c));
                }

                r = mkdir_below(g->v1_own_dir[c], g->rel, created, &existed);
                if (r < 0)
                        return r;
                *ret_existed = *ret_existed || existed;
                if (existed && !populated_refuses && !allow_populated) {
                        r = v1_dir_check_empty(g->v1_dir[c]);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static int group_new(cgroup_subtree *t, cgroup_group *parent, const char *name, const cgroup_policy *p,
                     bool allow_populated, cgroup_group **ret) {
        static const cgroup_policy no_policy = {};
        _cleanup_(created_dirs_rollback) created_dirs created = {};
        _cleanup_cgroup_group_ cgroup_group *g = NULL;
        bool reused, v1_existed;
        int r;

        assert_return(t, -EINVAL);
        assert_return(cgroup_name_is_valid(name), -EINVAL);
        assert_return(parent || strcmp(name, CGROUP_SUPERVISOR_LEAF) != 0, -EINVAL);
        assert_return(!parent || strcmp(parent->v2_own_dir, t->v2_own_dir) == 0, -EINVAL);
        assert_return(ret, -EINVAL);

        if (!p)
                p = &no_policy;
        r = cgroup_policy_check_backends(t->hierarchy->backend, p, NULL);
        if (r < 0)
                return r;

        r = cgroup_group_alloc(t, parent, name, &g);
        if (r < 0)
                return r;

        /* The parent must exist: we do not create levels in v2 silently. */
        if (parent) {
                r = cg_is_dir(parent->v2_dir);
                if (r < 0)
                        return r;
                if (r == 0)
                        return log_debug_errno(-ENOENT, "cgroup: parent %s is gone", parent->v2_dir);
        }

        r = cgroup_group_enable_controllers(g, p, NULL);
        if (r < 0)
                return r;

        r = cg_mkdir(g->v2_dir);
        if (r < 0)
                return log_debug_errno(r, "cgroup: mkdir %s: %s", g->v2_dir, strerror(-r));
        reused = r == 0;
        if (reused) {
                r = cgroup_group_is_populated(g);
                if (r < 0)
                        return r;
                if (r > 0 && !allow_populated)
                        return log_debug_errno(-EBUSY, "cgroup: %s exists and has processes", g->v2_dir);
                log_debug("cgroup: reusing %s %s", r > 0 ? "populated" : "empty", g->v2_dir);
        } else {
                r = created_dirs_add(&created, g->v2_dir);
                if (r < 0) {
                        (void) rmdir(g->v2_dir);
                        return r;
                }
        }

        r = group_make_v1(g, parent, p, false, allow_populated, &created, &v1_existed);
        if (r < 0)
                return r;

        /* A reused group may carry limits of an earlier run: reset them. */
        r = cgroup_policy_apply(g, p, reused || v1_existed);
        if (r < 0)
                return r;

        created_dirs_keep(&created);
        *ret = TAKE_PTR(g);
        return 0;
}

int cgroup_group_new(cgroup_subtree *t, cgroup_group *parent, const char *name, const cgroup_policy *p,
                     cgroup_group **ret) {
        return group_new(t, parent, name, p, false, ret);
}

int cgroup_group_adopt(cgroup_subtree *t, cgroup_group *parent, const char *name, const cgroup_policy *p,
                       cgroup_group **ret) {
        return group_new(t, parent, name, p, true, ret);
}

const char *cgroup_group_path(const cgroup_group *g) {
        return g ? g->v2_dir : NULL;
}

const char *cgroup_group_v2_relative_path(const cgroup_group *g) {
        return g ? g->v2_rel : NULL;
}

int cgroup_group_set_policy(cgroup_group *g, const cgroup_policy *p) {
        _cleanup_(created_dirs_rollback) created_dirs created = {};
        bool existed;
        int r;

        assert_return(g, -EINVAL);
        assert_return(p, -EINVAL);

        r = cgroup_policy_check_backends(g->backend, p, NULL);
        if (r < 0)
                return r;

        r = cg_is_dir(g->v2_dir);
        if (r < 0)
                return r;
        if (r == 0)
                return -ENOENT;

        for (cgroup_controller c = 0; c < _CGROUP_CONTROLLER_MAX; c++)
                if (g->backend[c] == CGROUP_BACKEND_V2 && cgroup_policy_uses(p, c)) {
                        r = enable_controller(g, c);
                        if (r < 0)
                                return r;
                }

        r = group_make_v1(g, NULL, p, true, false, &created, &existed);
        if (r < 0)
                return r;

        r = cgroup_policy_apply(g, p, true);
        if (r < 0)
                return r;

        created_dirs_keep(&created);
        return 0;
}

int cgroup_group_remove(cgroup_group *g) {
        int r;

        assert_return(g, -EINVAL);

        r = cgroup_group_is_populated(g);
        if (r < 0 && r != -ENOENT)
                return r;
        if (r > 0)
                return -EBUSY;

        r = cg_has_subdirs(g->v2_dir);
        if (r < 0)
                return r;
        if (r > 0)
                return -ENOTEMPTY;
        for (cgroup_controller c = 0; c < _CGROUP_CONTROLLER_MAX; c++) {
                if (!g->v1_dir[c])
                        continue;
                r = cg_has_subdirs(g->v1_dir[c]);
                if (r < 0)
                        return r;
                if (r > 0)
                        return -ENOTEMPTY;
        }

        /* v2 first: the kernel refuses it while anything lives below, and a
         * failed v1 removal is retried by calling this again. */
        r = cg_rmdir(g->v2_dir);
        if (r < 0)
                return log_debug_errno(r, "cgroup: rmdir %s: %s", g->v2_dir, strerror(-r));
        for (cgroup_controller c = 0; c < _CGROUP_CONTROLLER_MAX; c++) {
                if (!g->v1_dir[c])
                        continue;
                r = cg_rmdir(g->v1_dir[c]);
                if (r < 0)
                        return log_debug_errno(r, "cgroup: rmdir %s: %s", g->v1_dir[c], strerror(-r));
        }
        return 0;
}
