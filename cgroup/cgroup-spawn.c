/* SPDX-License-Identifier: MIT */
/* Putting a new process into a group: clone3(CLONE_INTO_CGROUP) with the v2
 * directory fd places it atomically in v2; the v1 hierarchies have no such
 * thing, so the child writes "0" into each v1 cgroup.procs itself before it
 * execs. In each v1 hierarchy it joins the deepest directory that exists
 * on the group's path: the group's own one, or the one of the ancestor that
 * set the policy (a hub-wide limit added later by set_policy). */

#include <fcntl.h>
#include <string.h>

#include "cgroup-internal.h"

void cgroup_spawn_fds_close(cgroup_spawn_fds *f) {
        if (!f)
                return;
        f->v2_dir = safe_close(f->v2_dir);
        for (unsigned i = 0; i < f->n_v1 && i < CGROUP_SPAWN_V1_MAX; i++)
                f->v1_procs[i] = safe_close(f->v1_procs[i]);
        f->n_v1 = 0;
}

/* The deepest existing directory from dir up to, not including, own_dir;
 * NULL (and 0) when none: the process then stays where we are. */
static int deepest_existing(const char *own_dir, const char *dir, char **ret) {
        _cleanup_free_ char *p = NULL;
        size_t ol = strlen(own_dir);

        p = strdup(dir);
        if (!p)
                return -ENOMEM;
        for (;;) {
                char *slash;
                int r;

                r = cg_is_dir(p);
                if (r < 0)
                        return r;
                if (r > 0) {
                        *ret = TAKE_PTR(p);
                        return 0;
                }
                slash = strrchr(p, '/');
                if (!slash || (size_t) (slash - p) <= ol) {
                        *ret = NULL;
                        return 0;
                }
                *slash = '\0';
        }
}

int cgroup_group_open_spawn_fds(const cgroup_group *g, cgroup_spawn_fds *ret) {
        _cleanup_(cgroup_spawn_fds_close) cgroup_spawn_fds f = { .v2_dir = -EBADF };
        char *chosen[CGROUP_SPAWN_V1_MAX] = {};
        int r = 0;

        assert_return(g, -EINVAL);
        assert_return(ret, -EINVAL);

        f.v2_dir = open(g->v2_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (f.v2_dir < 0)
                return -errno;

        for (cgroup_controller c = 0; c < _CGROUP_CONTROLLER_MAX && r >= 0; c++) {
                _cleanup_free_ char *dir = NULL, *procs = NULL;
                bool dup = false;
                int fd;

                if (g->backend[c] != CGROUP_BACKEND_V1)
                        continue;
                r = deepest_existing(g->v1_own_dir[c], g->v1_dir[c], &dir);
                if (r < 0 || !dir)
                        continue;
                /* co-mounted controllers share one directory */
                for (unsigned i = 0; i < f.n_v1; i++)
                        if (strcmp(chosen[i], dir) == 0)
                                dup = true;
                if (dup)
                        continue;

                procs = cg_path_join(dir, "cgroup.procs");
                if (!procs) {
                        r = -ENOMEM;
                        continue;
                }
                fd = open(procs, O_WRONLY | O_CLOEXEC);
                if (fd < 0) {
                        r = -errno;
                        continue;
                }
                chosen[f.n_v1] = TAKE_PTR(dir);
                f.v1_procs[f.n_v1++] = fd;
        }

        for (unsigned i = 0; i < CGROUP_SPAWN_V1_MAX; i++)
                free(chosen[i]);
        if (r < 0)
                return r;

        *ret = f;
        f = (cgroup_spawn_fds) { .v2_dir = -EBADF };
        return 0;
}

/* Between clone and exec: async-signal-safe, only write(2). */
int cgroup_spawn_fds_attach_v1(const cgroup_spawn_fds *f) {
        assert_return(f, -EINVAL);
        assert_return(f->n_v1 <= CGROUP_SPAWN_V1_MAX, -EINVAL);

        for (unsigned i = 0; i < f->n_v1; i++) {
                ssize_t n;

                do
                        n = write(f->v1_procs[i], "0", 1);
                while (n < 0 && errno == EINTR);
                if (n < 0)
                        return -errno;
                if (n != 1)
                        return -EIO;
        }
        return 0;
}
