/* SPDX-License-Identifier: MIT */

/* The child every side of the benchmark starts: it signals readiness the
 * sd_notify way when it is given a NOTIFY_SOCKET, then waits to be killed,
 * so that what is measured is the supervisor and the kernel, and the exec
 * is the same small (static) binary for every side. No libsystemd: one
 * datagram "READY=1" to the path, or to the abstract name after '@'. */

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static void notify_ready(void) {
        const char *path = getenv("NOTIFY_SOCKET");
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        static const char msg[] = "READY=1";
        size_t l;
        int fd;

        if (!path || !path[0])
                return;
        l = strlen(path);
        if (l >= sizeof(sa.sun_path))
                return;
        memcpy(sa.sun_path, path, l);
        if (sa.sun_path[0] == '@')
                sa.sun_path[0] = '\0';
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return;
        /* Blocks while the supervisor's queue is full: a burst of starts
         * then waits for the reader, as it would for a real service. */
        (void) sendto(fd, msg, sizeof(msg) - 1, 0, (struct sockaddr *) &sa,
                      (socklen_t) (offsetof(struct sockaddr_un, sun_path) + l));
        (void) close(fd);
}

int main(void) {
        notify_ready();
        for (;;)
                pause();
}
