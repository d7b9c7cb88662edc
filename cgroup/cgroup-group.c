/* SPDX-License-Identifier: MIT */
/* Creating, re-configuring and removing a group in every hierarchy it needs.
 *
 * v2: always. The controllers a policy sets are enabled in the
 * cgroup.subtree_control of every level from <own> down to the parent (a
 * refusal then fails the creation before anything is made); memory is
 * enabled the same way, best effort, for the per-group OOM counts.
 *
 * v1: in a controller's hierarchy when the policy sets it, or when the
 * parent is there already (a hub-wide limit covers the hub's children).
 * Not otherwise, not even in the memory hierarchy for per-group OOM counts:
 * v1 has no clone3(CLONE_INTO_CGROUP), so a process gets into a v1 group by
 * a write to cgroup.procs, a migration, which takes the kernel's cgroup
 * threadgroup rwsem for writing, and after a quiet while that waits for an
 * RCU grace period: 7-20 ms added to every restart here (bench-supervisor
 * --gap-ms 100), against a 1 ms restart without it. A child without a
 * memory limit learns of its OOM kill from the kernel's exit tracer
 * instead. Missing levels on the way down are created too. Which v1 directories exist is the file
 * system's business, not the handle's, so handles need no parent links.
 *
 * Everything created is recorded and removed again, deepest first, when a
 * later step fails. */

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

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

/* mkdir every level of dir from rel_start on (what comes before is <own>,
 * which exists); *ret_existed: the last one was there already. */
static int mkdir_below(char dir[static PATH_MAX], size_t rel_start, created_dirs *created, bool *ret_existed) {
        bool existed = false;

        for (size_t i = rel_start;; i++) {
                char saved = dir[i];
                int made, r = 0;

                if (saved != '/' && saved != '\0')
                        continue;
                dir[i] = '\0';
                made = cg_mkdir(dir);
                if (made > 0) {
                        r = created_dirs_add(created, dir);
                        if (r < 0)
                                (void) rmdir(dir);
                } else if (made < 0)
                        r = log_debug_errno(made, "cgroup: mkdir %s: %s", dir, strerror(-made));
                dir[i] = saved;
                if (r < 0)
                        return r;
                existed = made == 0;
                if (saved == '\0')
                        break;
        }
        *ret_existed = existed;
        return 0;
}

/* "+memory" into cgroup.subtree_control of <own> and of every level below
 * it down to the group's parent. */
static int enable_controller(const cgroup_group *g, cgroup_controller c) {
        char buf[16], dir[PATH_MAX];
        size_t l = strlen(cgroup_group_v2_dir(g, dir));

        (void) snprintf(buf, sizeof buf, "+%s", cgroup_controller_to_string(c));

        /* from the '/' that ends <own> on, each '/' ends a level above g */
        for (size_t i = g->subtree->rel_offset - 1; i < l; i++) {
                int r;

                if (dir[i] != '/')
                        continue;
                dir[i] = '\0';
                r = cg_write_attr(dir, "cgroup.subtree_control", buf);
                dir[i] = '/';
                if (r < 0)
                        return r;
        }
        return 0;
}

int cgroup_group_enable_controllers(const cgroup_group *g, const cgroup_policy *p, unsigned *done) {
        int r;

        for (cgroup_controller c = 0; c < _CGROUP_CONTROLLER_MAX; c++) {
                if (cgroup_group_backend(g, c) != CGROUP_BACKEND_V2 || (done && (*done & (1u << c))))
                        continue;
                if (!cgroup_policy_uses(p, c) && c != CGROUP_CONTROLLER_MEMORY)
                        continue;
                r = enable_controller(g, c);
                if (r < 0 && cgroup_policy_uses(p, c))
                        return log_debug_errno(r, "cgroup: cannot enable %s above %s: %s",
                                               cgroup_controller_to_string(c), CGROUP_V2_DIR(g), strerror(-r));
                if (done)
                        *done |= 1u << c; /* done, or refused where only best effort */
        }
        return 0;
}

cgroup_group *cgroup_group_free(cgroup_group *g) {
        if (!g)
                return NULL;
        atomic_fetch_sub(&g->subtree->n_groups, 1);
        free(g);
        return NULL;
}

int cgroup_group_alloc(cgroup_subtree *t, const cgroup_group *parent, const char *name, cgroup_group **ret) {
        cgroup_group *g;
        size_t n;

        assert(t);
        assert(name);
        assert(ret);

        /* The parent is below the same <own> (the caller checked): the new
         * group's rel is the parent's and the name. */
        n = parent ? cg_path_join_to(NULL, 0, parent->rel, name) : strlen(name);
        if (n >= PATH_MAX)
                return -ENAMETOOLONG;
        g = malloc(offsetof(cgroup_group, rel) + n + 1);
        if (!g)
                return -ENOMEM;
        g->subtree = t;
        g->id = 0;
        if (parent)
                (void) cg_path_join_to(g->rel, n + 1, parent->rel, name);
        else
                memcpy(g->rel, name, n + 1);
        /* composing the v2 directory never fails from here on */
        if (cg_path_join_to(NULL, 0, t->v2_own_dir, g->rel) >= PATH_MAX) {
                free(g);
                return -ENAMETOOLONG;
        }

        /* checked once here, so that composing them never fails */
        for (cgroup_controller c = 0; c < _CGROUP_CONTROLLER_MAX; c++)
                if (cgroup_group_backend(g, c) == CGROUP_BACKEND_V1 &&
                    cg_path_join_to(NULL, 0, t->v1_own_dir[c], cgroup_group_rel(g)) >= PATH_MAX) {
                        free(g);
                        return -ENAMETOOLONG;
                }

        atomic_fetch_add(&t->n_groups, 1);
        *ret = g;
        return 0;
}

const char *cgroup_group_v1_dir(const cgroup_group *g, cgroup_controller c, char buf[static PATH_MAX]) {
        if (cgroup_group_backend(g, c) != CGROUP_BACKEND_V1)
                return NULL;
        (void) cg_path_join_to(buf, PATH_MAX, g->subtree->v1_own_dir[c], cgroup_group_rel(g));
        return buf;
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
        size_t rel_len = strlen(cgroup_group_rel(g));

        *ret_existed = false;
        for (cgroup_controller c = 0; c < _CGROUP_CONTROLLER_MAX; c++) {
                char dir[PATH_MAX], parent_dir[PATH_MAX];
                bool need, existed;
                int r;

                if (!cgroup_group_v1_dir(g, c, dir))
                        continue;
                need = cgroup_policy_uses(p, c) ||
                       (parent && cgroup_group_v1_dir(parent, c, parent_dir) && cg_is_dir(parent_dir) > 0);
                if (!need)
                        continue;

                r = cg_is_dir(dir);
                if (r < 0)
                        return r;
                if (r == 0 && populated_refuses) {
                        r = cgroup_group_is_populated(g);
                        if (r < 0)
                                return r;
                        if (r > 0)
                                return log_debug_errno(-EBUSY, "cgroup: %s has processes, cannot add %s on v1",
                                                       CGROUP_V2_DIR(g), cgroup_controller_to_v1_string(c));
                }

                r = mkdir_below(dir, strlen(dir) - rel_len, created, &existed);
                if (r < 0)
                        return r;
                *ret_existed = *ret_existed || existed;
                if (existed && !populated_refuses && !allow_populated) {
                        r = v1_dir_check_empty(dir);
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
        assert_return(!parent || strcmp(parent->subtree->v2_own_dir, t->v2_own_dir) == 0, -EINVAL);
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
                r = cg_is_dir(CGROUP_V2_DIR(parent));
                if (r < 0)
                        return r;
                if (r == 0)
                        return log_debug_errno(-ENOENT, "cgroup: parent %s is gone", CGROUP_V2_DIR(parent));
        }

        r = cgroup_group_enable_controllers(g, p, NULL);
        if (r < 0)
                return r;

        r = cg_mkdir(CGROUP_V2_DIR(g));
        if (r < 0)
                return log_debug_errno(r, "cgroup: mkdir %s: %s", CGROUP_V2_DIR(g), strerror(-r));
        reused = r == 0;
        if (reused) {
                r = cgroup_group_is_populated(g);
                if (r < 0)
                        return r;
                if (r > 0 && !allow_populated)
                        return log_debug_errno(-EBUSY, "cgroup: %s exists and has processes", CGROUP_V2_DIR(g));
                log_debug("cgroup: reusing %s %s", r > 0 ? "populated" : "empty", CGROUP_V2_DIR(g));
        } else {
                r = created_dirs_add(&created, CGROUP_V2_DIR(g));
                if (r < 0) {
                        (void) rmdir(CGROUP_V2_DIR(g));
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

const char *cgroup_group_v2_dir(const cgroup_group *g, char buf[static PATH_MAX]) {
        (void) cg_path_join_to(buf, PATH_MAX, g->subtree->v2_own_dir, g->rel);
        return buf;
}

const char *cgroup_group_path(const cgroup_group *g, char buf[static PATH_MAX]) {
        return g ? cgroup_group_v2_dir(g, buf) : NULL;
}

const char *cgroup_group_v2_relative_path(const cgroup_group *g, char buf[static PATH_MAX]) {
        return g ? cgroup_group_v2_dir(g, buf) + g->subtree->v2_rel_offset : NULL;
}

const char *cgroup_group_name(const cgroup_group *g) {
        const char *slash;

        if (!g)
                return NULL;
        slash = strrchr(g->rel, '/');
        return slash ? slash + 1 : g->rel;
}

uint64_t cgroup_group_id(cgroup_group *g) {
        struct stat st;

        if (!g)
                return 0;
        /* kernfs: the directory's inode is the cgroup id, fixed for the
         * directory's life, so one stat() is enough. */
        if (g->id == 0 && stat(CGROUP_V2_DIR(g), &st) >= 0)
                g->id = (uint64_t) st.st_ino;
        return g->id;
}

int cgroup_group_set_policy(cgroup_group *g, const cgroup_policy *p) {
        _cleanup_(created_dirs_rollback) created_dirs created = {};
        bool existed;
        int r;

        assert_return(g, -EINVAL);
        assert_return(p, -EINVAL);

        r = cgroup_policy_check_backends(g->subtree->hierarchy->backend, p, NULL);
        if (r < 0)
                return r;

        r = cg_is_dir(CGROUP_V2_DIR(g));
        if (r < 0)
                return r;
        if (r == 0)
                return -ENOENT;

        for (cgroup_controller c = 0; c < _CGROUP_CONTROLLER_MAX; c++)
                if (cgroup_group_backend(g, c) == CGROUP_BACKEND_V2 && cgroup_policy_uses(p, c)) {
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

/* What a refused rmdir meant (EBUSY for both, in v1 and v2): processes
 * (-EBUSY), child groups (-ENOTEMPTY), or neither any more (-EBUSY: the
 * kernel had not let go yet; the caller tries again). */
static int remove_refused(const cgroup_group *g, const char *dir) {
        int r;

        r = cgroup_group_is_populated(g);
        if (r < 0 && r != -ENOENT)
                return r;
        if (r > 0)
                return -EBUSY;
        r = cg_has_subdirs(dir);
        if (r < 0)
                return r;
        return r > 0 ? -ENOTEMPTY : -EBUSY;
}

int cgroup_group_remove(cgroup_group *g) {
        char v2[PATH_MAX];
        int r;

        assert_return(g, -EINVAL);

        /* The rmdir first, and a look at why only when the kernel refuses:
         * a stop of 10,000 children removes 10,000 empty leaves, and the
         * checks up front (cgroup.events, a directory listing in each
         * hierarchy) were most of the syscalls of each. v2 first: the
         * kernel refuses it while anything lives below, and a failed v1
         * removal is retried by calling this again. */
        r = cg_rmdir(cgroup_group_v2_dir(g, v2));
        if (r == -EBUSY)
                return remove_refused(g, v2);
        if (r < 0)
                return log_debug_errno(r, "cgroup: rmdir %s: %s", v2, strerror(-r));
        for (cgroup_controller c = 0; c < _CGROUP_CONTROLLER_MAX; c++) {
                char dir[PATH_MAX];

                if (!cgroup_group_v1_dir(g, c, dir))
                        continue;
                r = cg_rmdir(dir);
                if (r == -EBUSY)
                        return remove_refused(g, dir);
                if (r < 0)
                        return log_debug_errno(r, "cgroup: rmdir %s: %s", dir, strerror(-r));
        }
        return 0;
}
