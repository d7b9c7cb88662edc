/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "macros.h"
#include "proc-stat.h"

int proc_start_time(pid_t pid, uint64_t *ret) {
        char path[64], buf[1024];
        _cleanup_close_ int fd = -EBADF;
        const char *p;
        ssize_t n;

        assert_return(pid > 0, -EINVAL);
        assert_return(ret, -EINVAL);

        (void) snprintf(path, sizeof path, "/proc/%d/stat", (int) pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? -ESRCH : -errno;
        n = read(fd, buf, sizeof buf - 1);
        if (n < 0)
                return errno == ESRCH ? -ESRCH : -errno;
        buf[n] = '\0';

        /* comm (field 2) may hold spaces and parentheses: it ends at the
         * last ')', which the space before field 3 follows. */
        p = strrchr(buf, ')');
        if (!p)
                return -EBADMSG;
        p++;
        for (unsigned field = 3; field < 22; field++) {
                p = strchr(p + 1, ' ');
                if (!p)
                        return -EBADMSG;
        }
        char *end;
        errno = 0;
        uint64_t v = strtoull(p + 1, &end, 10);
        if (errno != 0 || end == p + 1 || (*end != ' ' && *end != '\0' && *end != '\n'))
                return -EBADMSG;
        *ret = v;
        return 0;
}

#ifndef PID_FS_MAGIC
#define PID_FS_MAGIC 0x50494446
#endif

int pidfd_inode(int pidfd, uint64_t *ret) {
        /* Whether pidfds live on pidfs is the kernel's, the same for every
         * pidfd: asked once (0 unknown, 1 yes, -1 no). */
        static int on_pidfs = 0;
        struct statfs sfs;
        struct stat st;
        int known;

        assert_return(pidfd >= 0, -EBADF);
        assert_return(ret, -EINVAL);

        known = __atomic_load_n(&on_pidfs, __ATOMIC_RELAXED);
        if (known == 0) {
                if (fstatfs(pidfd, &sfs) < 0)
                        return -errno;
                known = sfs.f_type == PID_FS_MAGIC ? 1 : -1;
                __atomic_store_n(&on_pidfs, known, __ATOMIC_RELAXED);
        }
        if (known < 0)
                return -EOPNOTSUPP;
        if (fstat(pidfd, &st) < 0)
                return -errno;
        *ret = (uint64_t) st.st_ino;
        return 0;
}

int process_identity_get(int pidfd, pid_t pid, process_identity *ret) {
        process_identity id = {};
        int r;

        assert_return(ret, -EINVAL);

        r = pidfd >= 0 ? pidfd_inode(pidfd, &id.pidfs_ino) : -EOPNOTSUPP;
        if (r == -EOPNOTSUPP)
                r = proc_start_time(pid, &id.start_time);
        if (r < 0)
                return r;
        *ret = id;
        return 0;
}

int process_identity_matches(int pidfd, pid_t pid, const process_identity *id) {
        uint64_t v;
        int r;

        assert_return(id, -EINVAL);

        if (id->pidfs_ino != 0) {
                r = pidfd_inode(pidfd, &v);
                if (r >= 0)
                        return v == id->pidfs_ino;
                if (r != -EOPNOTSUPP || id->start_time == 0)
                        return r;
        }
        if (id->start_time == 0)
                return 0;
        r = proc_start_time(pid, &v);
        if (r < 0)
                return r == -EBADMSG ? -ESRCH : r;
        return v == id->start_time;
}
