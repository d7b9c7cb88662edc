/* SPDX-License-Identifier: MIT */
#pragma once

/* Argument checks shared by the loader and its fallback, so that a build
 * without BPF answers bad arguments exactly as a build with it. */

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>

/* 0 when fd is an open directory on cgroup2; -EBADF, -ENOTDIR or -errno. */
static inline int proc_exit_check_cgroup_fd(int fd) {
        struct statfs sfs;
        struct stat st;

        if (fd < 0)
                return -EBADF;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISDIR(st.st_mode))
                return -ENOTDIR;
        if (fstatfs(fd, &sfs) < 0)
                return -errno;
        if (sfs.f_type != CGROUP2_SUPER_MAGIC)
                return -ENOTDIR;
        return 0;
}
