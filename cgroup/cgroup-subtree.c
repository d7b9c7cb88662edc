/* SPDX-License-Identifier: MIT */
/* The subtree we were given: <own> in every hierarchy. Opening it moves this
 * process into <own>/supervisor in v2 (unless <own> is the hierarchy's real
 * root, which the no-internal-processes rule exempts), so that <own> holds
 * no process and controllers can be enabled in its cgroup.subtree_control.
 * Purging is the cleanup of last resort for a top-level group. */

#include <stdio.h>
#include <string.h>

#include "cgroup-internal.h"
#include "log.h"

cgroup_subtree *cgroup_subtree_free(cgroup_subtree *t) {
        unsigned n;

        if (!t)
                return NULL;
        n = atomic_load(&t->n_groups);
        if (n > 0) {
                /* Groups still borrow our paths: a caller's bug. Leaking
                 * keeps them usable, and LeakSanitizer points at it. */
                log_debug("cgroup: subtree %s freed with %u groups open, not freeing it", t->v2_own_dir, n);
                return NULL;
        }
        cgroup_hierarchy_free(t->hierarchy);
        free(t->v2_own_dir);
        for (cgroup_controller c = 0; c < _CGROUP_CONTROLLER_MAX; c++)
                free(t->v1_own_dir[c]);
        free(t);
        return NULL;
}

const cgroup_hierarchy *cgroup_subtree_hierarchy(const cgroup_subtree *t) {
        return t ? t->hierarchy : NULL;
}

bool cgroup_subtree_v1_seen(const cgroup_subtree *t, cgroup_controller c) {
        assert(t->v1_own_dir[c]);

        for (cgroup_controller d = 0; d < c; d++)
                if (t->v1_own_dir[d] && strcmp(t->v1_own_dir[d], t->v1_own_dir[c]) == 0)
                        return true;
        return false;
}

static size_t strlen_no_trailing_slash(const char *s) {
        size_t l = strlen(s);

        while (l > 0 && s[l - 1] == '/')
                l--;
        return l;
}

/* A hierarchy discovered after an earlier open (a second subtree in the same
 * process, a re-exec) sees us in <own>/supervisor already: <own> is then
 * its parent, not a new root under which to nest another leaf. */
static void strip_supervisor_leaf(char *own) {
        size_t l = strlen(own), sl = strlen("/" CGROUP_SUPERVISOR_LEAF);

        if (l < sl || strcmp(own + l - sl, "/" CGROUP_SUPERVISOR_LEAF) != 0)
                return;
        if (l == sl)
                strcpy(own, "/");
        else
                own[l - sl] = '\0';
}

/* Only the hierarchy's real root is exempt from the no-internal-processes
 * rule, and only it lacks cgroup.type. The root of a cgroup namespace ("/"
 * in /proc/self/cgroup inside a container) is an ordinary group. */
static int v2_is_real_root(const char *dir) {
        _cleanup_free_ char *p = NULL;

        p = cg_path_join(dir, "cgroup.type");
        if (!p)
                return -ENOMEM;
        if (access(p, F_OK) >= 0)
                return 0;
        return errno == ENOENT ? 1 : -errno;
}

static int join_supervisor_leaf(const char *own_dir) {
        _cleanup_free_ char *leaf = NULL;
        char pid[32];
        int r, created;

        leaf = cg_path_join(own_dir, CGROUP_SUPERVISOR_LEAF);
        if (!leaf)
                return -ENOMEM;
        created = cg_mkdir(leaf);
        if (created < 0)
                return log_debug_errno(created, "cgroup: cannot create %s: %s", leaf, strerror(-created));

        (void) snprintf(pid, sizeof pid, "%d", (int) getpid());
        r = cg_write_attr(leaf, "cgroup.procs", pid);
        if (r < 0) {
                if (created > 0)
                        (void) cg_rmdir(leaf);
                return log_debug_errno(r, "cgroup: cannot move into %s: %s", leaf, strerror(-r));
        }
        log_debug("cgroup: moved into %s", leaf);
        return 0;
}

int cgroup_subtree_open(const cgroup_hierarchy *h, cgroup_subtree **ret) {
        _cleanup_cgroup_subtree_ cgroup_subtree *t = NULL;
        cgroup_hierarchy *th;
        int r;

        assert_return(h, -EINVAL);
        assert_return(h->v2_mount && h->v2_mount[0] == '/', -EINVAL);
        assert_return(h->v2_own && h->v2_own[0] == '/', -EINVAL);
        for (cgroup_controller c = 0; c < _CGROUP_CONTROLLER_MAX; c++) {
                assert_return(h->backend[c] >= 0 && h->backend[c] < _CGROUP_BACKEND_MAX, -EINVAL);
                assert_return(h->backend[c] != CGROUP_BACKEND_V1 || (h->v1_mount[c] && h->v1_own[c]), -EINVAL);
        }
        assert_return(ret, -EINVAL);

        t = calloc(1, sizeof *t);
        if (!t)
                return -ENOMEM;
        r = cgroup_hierarchy_dup(h, &t->hierarchy);
        if (r < 0)
                return r;
        th = t->hierarchy;
        strip_supervisor_leaf(th->v2_own);

        t->v2_own_dir = cg_path_join(th->v2_mount, th->v2_own);
        if (!t->v2_own_dir)
                return -ENOMEM;
        r = cg_is_dir(t->v2_own_dir);
        if (r < 0)
                return r;
        if (r == 0)
                return log_debug_errno(-ENOENT, "cgroup: our v2 group %s does not exist", t->v2_own_dir);
        /* A group's v2 directory is cg_path_join(v2_own_dir, rel), and
         * v2_own_dir is the mount's path followed by v2_own (which starts
         * with one '/', as the kernel writes it): so the path inside the
         * hierarchy starts where the mount's path ends. */
        t->rel_offset = strlen_no_trailing_slash(t->v2_own_dir) + 1;
        t->v2_rel_offset = strlen_no_trailing_slash(th->v2_mount);

        for (cgroup_controller c = 0; c < _CGROUP_CONTROLLER_MAX; c++) {
                if (th->backend[c] != CGROUP_BACKEND_V1)
                        continue;
                t->v1_own_dir[c] = cg_path_join(th->v1_mount[c], th->v1_own[c]);
                if (!t->v1_own_dir[c])
                        return -ENOMEM;
                r = cg_is_dir(t->v1_own_dir[c]);
                if (r < 0 && r != -ENOTDIR)
                        return r;
                if (r <= 0) {
                        /* Not usable after all: policies for it are then
                         * refused by the check, never silently dropped. */
                        log_debug("cgroup: %s is not a directory, %s unavailable", t->v1_own_dir[c],
                                  cgroup_controller_to_v1_string(c));
                        t->v1_own_dir[c] = mfree(t->v1_own_dir[c]);
                        th->v1_mount[c] = mfree(th->v1_mount[c]);
                        th->v1_own[c] = mfree(th->v1_own[c]);
                        th->backend[c] = CGROUP_BACKEND_NONE;
                }
        }

        r = v2_is_real_root(t->v2_own_dir);
        if (r < 0)
                return r;
        if (r == 0) {
                r = join_supervisor_leaf(t->v2_own_dir);
                if (r < 0)
                        return r;
        }

        /* Best effort here: another process left in <own> makes the kernel
         * refuse (EBUSY). Group creation enables each controller again down
         * the path and fails then if a policy needs it. */
        for (cgroup_controller c = 0; c < _CGROUP_CONTROLLER_MAX; c++) {
                char buf[16];

                if (th->backend[c] != CGROUP_BACKEND_V2)
                        continue;
                (void) snprintf(buf, sizeof buf, "+%s", cgroup_controller_to_string(c));
                r = cg_write_attr(t->v2_own_dir, "cgroup.subtree_control", buf);
                if (r < 0)
                        log_debug("cgroup: cannot enable %s in %s yet: %s", buf, t->v2_own_dir, strerror(-r));
        }

        *ret = TAKE_PTR(t);
        return 0;
}

static int purge_dir(const char *dir, bool v2) {
        int r, q;

        r = cg_is_dir(dir);
        if (r <= 0)
                return r == -ENOTDIR ? -ENOTDIR : r;

        if (v2) {
                r = cg_write_attr(dir, "cgroup.kill", "1");
                if (r == -ENOENT)
                        r = cg_kill_recursive(dir);
                q = cg_wait_v2_unpopulated(dir, CGROUP_EMPTY_TIMEOUT_USEC);
        } else {
                r = cg_kill_recursive(dir);
                q = cg_wait_v1_empty(dir, CGROUP_EMPTY_TIMEOUT_USEC);
        }
        if (q < 0 && r >= 0)
                r = q;
        if (r < 0)
                log_debug("cgroup: emptying %s failed: %s, removing what can be", dir, strerror(-r));

        q = cg_rmdir_recursive(dir);
        if (q < 0)
                return log_debug_errno(q, "cgroup: cannot remove %s: %s", dir, strerror(-q));
        return 0;
}

int cgroup_subtree_purge(cgroup_subtree *t, const char *name) {
        _cleanup_free_ char *v2 = NULL;
        int r = 0, q;

        assert_return(t, -EINVAL);
        assert_return(cgroup_name_is_valid(name), -EINVAL);
        assert_return(strcmp(name, CGROUP_SUPERVISOR_LEAF) != 0, -EINVAL);

        /* v2 first: cgroup.kill reaches every process we spawned. */
        v2 = cg_path_join(t->v2_own_dir, name);
        if (!v2)
                return -ENOMEM;
        q = purge_dir(v2, true);
        if (q < 0)
                r = q;

        for (cgroup_controller c = 0; c < _CGROUP_CONTROLLER_MAX; c++) {
                _cleanup_free_ char *v1 = NULL;

                if (!t->v1_own_dir[c] || cgroup_subtree_v1_seen(t, c))
                        continue;

                v1 = cg_path_join(t->v1_own_dir[c], name);
                if (!v1)
                        return -ENOMEM;
                q = purge_dir(v1, false);
                if (q < 0 && r >= 0)
                        r = q;
        }
        return r;
}
