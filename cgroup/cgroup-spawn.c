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

/* Cut buf, g's directory in a v1 hierarchy, to the deepest one that
 * exists, <own> not counted: 1, or 0 when there is none (the process then
 * stays where we are in that hierarchy). */
static int deepest_existing_v1(const cgroup_group *g, char buf[static PATH_MAX]) {
        size_t own_len = strlen(buf) - strlen(cgroup_group_rel(g)) - 1;

        for (;;) {
                char *slash;
                int r;

                r = cg_is_dir(buf);
                if (r != 0)
                        return r;
                slash = strrchr(buf, '/');
                if (!slash || (size_t) (slash - buf) <= own_len)
                        return 0;
                *slash = '\0';
        }
}

int cgroup_group_open_spawn_fds(const cgroup_group *g, cgroup_spawn_fds *ret) {
        _cleanup_(cgroup_spawn_fds_close) cgroup_spawn_fds f = { .v2_dir = -EBADF };

        assert_return(g, -EINVAL);
        assert_return(ret, -EINVAL);

        f.v2_dir = open(CGROUP_V2_DIR(g), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (f.v2_dir < 0)
                return -errno;

        for (cgroup_controller c = 0; c < _CGROUP_CONTROLLER_MAX; c++) {
                char dir[PATH_MAX], procs[PATH_MAX];
                int r, fd;

                /* co-mounted controllers share one directory */
                if (!cgroup_group_v1_dir(g, c, dir) || cgroup_subtree_v1_seen(g->subtree, c))
                        continue;
                r = deepest_existing_v1(g, dir);
                if (r < 0)
                        return r;
                if (r == 0)
                        continue;

                if (cg_path_join_to(procs, sizeof procs, dir, "cgroup.procs") >= sizeof procs)
                        return -ENAMETOOLONG;
                fd = open(procs, O_WRONLY | O_CLOEXEC);
                if (fd < 0)
                        return -errno;
                f.v1_procs[f.n_v1++] = fd;
        }

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
