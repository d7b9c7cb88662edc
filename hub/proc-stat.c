/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
