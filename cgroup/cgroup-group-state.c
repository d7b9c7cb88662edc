/* SPDX-License-Identifier: MIT */
/* What is going on inside a group, and ending it: cgroup.kill (with the
 * kill loop for kernels before 5.14), cgroup.events, the OOM counters, and
 * whether a pid belongs to the group. */

#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "cgroup-internal.h"
#include "log.h"

int cgroup_group_kill(const cgroup_group *g) {
        int r;

        assert_return(g, -EINVAL);

        r = cg_write_attr(g->v2_dir, "cgroup.kill", "1");
        if (r != -ENOENT)
                return r < 0 ? r : 0;

        r = cg_is_dir(g->v2_dir);
        if (r < 0)
                return r;
        if (r == 0)
                return -ENOENT;
        log_debug("cgroup: no cgroup.kill in %s, killing pid by pid", g->v2_dir);
        return cg_kill_recursive(g->v2_dir);
}

int cgroup_group_is_populated(const cgroup_group *g) {
        uint64_t v;
        int r;

        assert_return(g, -EINVAL);

        r = cg_read_keyed_u64(g->v2_dir, "cgroup.events", "populated", &v);
        if (r < 0)
                return r;
        return v > 0;
}

int cgroup_group_open_events(const cgroup_group *g) {
        _cleanup_free_ char *p = NULL;
        int fd;

        assert_return(g, -EINVAL);

        p = cg_path_join(g->v2_dir, "cgroup.events");
        if (!p)
                return -ENOMEM;
        fd = open(p, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        return fd;
}

int cgroup_group_oom_kills(const cgroup_group *g, uint64_t *ret) {
        uint64_t v;
        int r;

        assert_return(g, -EINVAL);
        assert_return(ret, -EINVAL);

        switch (g->backend[CGROUP_CONTROLLER_MEMORY]) {
        case CGROUP_BACKEND_V2:
                r = cg_read_keyed_u64(g->v2_dir, "memory.events", "oom_kill", &v);
                break;
        case CGROUP_BACKEND_V1:
                r = cg_read_keyed_u64(g->v1_dir[CGROUP_CONTROLLER_MEMORY], "memory.oom_control", "oom_kill", &v);
                break;
        default:
                return -ENOENT;
        }
        /* no file (memory not enabled here) or no counter (kernels before
         * 4.13 in v1): not accounted */
        if (r == -ENODATA)
                r = -ENOENT;
        if (r < 0)
                return r;
        *ret = v;
        return 0;
}

int cgroup_group_contains_pid(const cgroup_group *g, pid_t pid) {
        _cleanup_free_ char *s = NULL;
        char path[64];
        size_t l;
        int r;

        assert_return(g, -EINVAL);
        assert_return(pid > 0, -EINVAL);

        (void) snprintf(path, sizeof path, "/proc/%d/cgroup", (int) pid);
        r = cg_read_file(path, &s);
        if (r == -ENOENT)
                return -ESRCH;
        if (r < 0)
                return r;

        l = strlen(g->v2_rel);
        for (const char *line = s; line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
                const char *cg;

                if (strncmp(line, "0::", 3) != 0)
                        continue;
                cg = line + 3;
                /* the group itself or below it, never a sibling that only
                 * shares a prefix ("a.hub" vs "a.hub2") */
                return strncmp(cg, g->v2_rel, l) == 0 && (cg[l] == '\n' || cg[l] == '\0' || cg[l] == '/');
        }
        return 0;
}
