/* SPDX-License-Identifier: MIT */
/* What is going on inside a group, and ending it: cgroup.kill (with the
 * kill loop for kernels before 5.14), cgroup.events, the OOM counters, and
 * whether a pid belongs to the group. */

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "cgroup-internal.h"
#include "log.h"

int cgroup_group_kill(const cgroup_group *g) {
        int r;

        assert_return(g, -EINVAL);

        r = cg_write_attr(CGROUP_V2_DIR(g), "cgroup.kill", "1");
        if (r != -ENOENT)
                return r < 0 ? r : 0;

        r = cg_is_dir(CGROUP_V2_DIR(g));
        if (r < 0)
                return r;
        if (r == 0)
                return -ENOENT;
        log_debug("cgroup: no cgroup.kill in %s, killing pid by pid", CGROUP_V2_DIR(g));
        return cg_kill_recursive(CGROUP_V2_DIR(g));
}

int cgroup_group_is_populated(const cgroup_group *g) {
        uint64_t v;
        int r;

        assert_return(g, -EINVAL);

        r = cg_read_keyed_u64(CGROUP_V2_DIR(g), "cgroup.events", "populated", &v);
        if (r < 0)
                return r;
        return v > 0;
}

int cgroup_group_open_events(const cgroup_group *g) {
        _cleanup_free_ char *p = NULL;
        int fd;

        assert_return(g, -EINVAL);

        p = cg_path_join(CGROUP_V2_DIR(g), "cgroup.events");
        if (!p)
                return -ENOMEM;
        fd = open(p, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        return fd;
}

int cg_read_oom_kills(int dirfd, const char *dir, cgroup_backend b, uint64_t *ret) {
        uint64_t v;
        int r;

        assert(dir);
        assert(ret);

        switch (b) {
        case CGROUP_BACKEND_V2:
                r = cg_read_keyed_u64_at(dirfd, dir, "memory.events", "oom_kill", &v);
                break;
        case CGROUP_BACKEND_V1:
                r = cg_read_keyed_u64_at(dirfd, dir, "memory.oom_control", "oom_kill", &v);
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

int cgroup_group_oom_kills(const cgroup_group *g, uint64_t *ret) {
        char dir[PATH_MAX];
        cgroup_backend b;

        assert_return(g, -EINVAL);
        assert_return(ret, -EINVAL);

        b = cgroup_group_backend(g, CGROUP_CONTROLLER_MEMORY);
        if (b == CGROUP_BACKEND_V2)
                return cg_read_oom_kills(AT_FDCWD, CGROUP_V2_DIR(g), b, ret);
        if (b == CGROUP_BACKEND_V1)
                return cg_read_oom_kills(AT_FDCWD, cgroup_group_v1_dir(g, CGROUP_CONTROLLER_MEMORY, dir), b, ret);
        return -ENOENT;
}

/* PIDFD_GET_INFO (Linux 6.13), in its first published size, which every
 * later kernel accepts: the C library's headers may predate it. */
struct pidfd_info_v0 {
        uint64_t mask;
        uint64_t cgroupid;
        uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
        uint32_t spare0;
};
#define PIDFD_INFO_CGROUPID_V0 (UINT64_C(1) << 2)
#define PIDFD_GET_INFO_V0 _IOWR(0xFF, 11, struct pidfd_info_v0)

/* The v2 path of pid's cgroup (the "0::" line of /proc/<pid>/cgroup),
 * pointing into *ret_buf: 1, or 0 when there is no such line; -ESRCH when
 * there is no such process. */
static int read_v2_path_of_pid(pid_t pid, char **ret_buf, const char **ret_path) {
        _cleanup_free_ char *s = NULL;
        char path[64];
        int r;

        (void) snprintf(path, sizeof path, "/proc/%d/cgroup", (int) pid);
        r = cg_read_file(path, &s);
        if (r == -ENOENT)
                return -ESRCH;
        if (r < 0)
                return r;
        for (char *line = s; line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
                if (strncmp(line, "0::", 3) != 0)
                        continue;
                line[3 + strcspn(line + 3, "\n")] = '\0';
                *ret_path = line + 3;
                *ret_buf = TAKE_PTR(s);
                return 1;
        }
        return 0;
}

int cgroup_pidfd_group_id(int pidfd, uint64_t *ret) {
        struct pidfd_info_v0 info = { .mask = PIDFD_INFO_CGROUPID_V0 };

        assert_return(pidfd >= 0, -EINVAL);
        assert_return(ret, -EINVAL);

        if (ioctl(pidfd, PIDFD_GET_INFO_V0, &info) < 0)
                return errno == ENOTTY || errno == EINVAL ? -EOPNOTSUPP : -errno;
        if (!(info.mask & PIDFD_INFO_CGROUPID_V0) || info.cgroupid == 0)
                return -EOPNOTSUPP;
        *ret = info.cgroupid;
        return 0;
}

int cgroup_group_child_id_of_pid(const cgroup_group *g, pid_t pid, uint64_t *ret) {
        _cleanup_free_ char *buf = NULL, *dir = NULL;
        const char *cg, *rel, *below;
        char rel_buf[PATH_MAX];
        struct stat st;
        size_t l, n;
        int r;

        assert_return(g, -EINVAL);
        assert_return(pid > 0, -EINVAL);
        assert_return(ret, -EINVAL);

        r = read_v2_path_of_pid(pid, &buf, &cg);
        if (r < 0)
                return r;
        /* "<rel>/<name>[/...]": name is the child group */
        rel = cgroup_group_v2_relative_path(g, rel_buf);
        l = strlen(rel);
        if (r == 0 || strncmp(cg, rel, l) != 0 || cg[l] != '/')
                return -ENOENT;
        below = cg + l + 1;
        n = strcspn(below, "/");
        if (n == 0)
                return -ENOENT;
        if (asprintf(&dir, "%s/%.*s", CGROUP_V2_DIR(g), (int) n, below) < 0)
                return -ENOMEM;
        /* kernfs: a group's directory inode is its id */
        if (stat(dir, &st) < 0)
                return -errno;
        *ret = (uint64_t) st.st_ino;
        return 0;
}

int cgroup_group_contains_pidfd(const cgroup_group *g, int pidfd, pid_t pid) {
        struct pidfd_info_v0 info = { .mask = PIDFD_INFO_CGROUPID_V0 };

        assert_return(g, -EINVAL);
        assert_return(pidfd >= 0, -EINVAL);
        assert_return(pid > 0, -EINVAL);

        /* One ioctl instead of reading and parsing /proc/<pid>/cgroup; it
         * only answers "in the group itself", so anything else (below it,
         * an older kernel, an id not learnt) asks /proc. */
        if (g->id != 0) {
                if (ioctl(pidfd, PIDFD_GET_INFO_V0, &info) >= 0) {
                        if ((info.mask & PIDFD_INFO_CGROUPID_V0) && info.cgroupid == g->id)
                                return 1;
                } else if (errno == ESRCH)
                        return -ESRCH;
        }
        return cgroup_group_contains_pid(g, pid);
}

int cgroup_group_contains_pid(const cgroup_group *g, pid_t pid) {
        _cleanup_free_ char *buf = NULL;
        const char *cg, *rel;
        char rel_buf[PATH_MAX];
        size_t l;
        int r;

        assert_return(g, -EINVAL);
        assert_return(pid > 0, -EINVAL);

        r = read_v2_path_of_pid(pid, &buf, &cg);
        if (r <= 0)
                return r;
        rel = cgroup_group_v2_relative_path(g, rel_buf);
        l = strlen(rel);
        /* the group itself or below it, never a sibling that only shares a
         * prefix ("a.hub" vs "a.hub2") */
        return strncmp(cg, rel, l) == 0 && (cg[l] == '\0' || cg[l] == '/');
}
