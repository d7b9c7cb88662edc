/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "cgroup.h"
#include "macros.h"
#include "notify-socket.h"

/* Linux 6.5; the C library's headers may predate it. */
#ifndef SO_PASSPIDFD
#define SO_PASSPIDFD 76
#endif
#ifndef SCM_PIDFD
#define SCM_PIDFD 0x04
#endif

/* What one socket may hold for its senders while the loop is busy: what
 * systemd asks for its own notify socket. Capped by net.core.rmem_max
 * unless we may force it. */
#define NOTIFY_RCVBUF (8 * 1024 * 1024)

struct notify_socket {
        int fd;
        char address[sizeof(((struct sockaddr_un *) NULL)->sun_path) + 1];
};

int notify_socket_new(notify_socket **ret) {
        _cleanup_close_ int fd = -EBADF;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        socklen_t len = sizeof(sa_family_t);
        int one = 1;

        assert_return(ret, -EINVAL);

        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0)
                return -errno;
        /* Without it (before 6.5) the sender is found from its pid. */
        (void) setsockopt(fd, SOL_SOCKET, SO_PASSPIDFD, &one, sizeof(one));
        int rcvbuf = NOTIFY_RCVBUF;
        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
                (void) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
        /* Binding only the family asks the kernel for a fresh abstract name:
         * no file to clean up, no name to collide with. */
        if (bind(fd, (struct sockaddr *) &sa, len) < 0)
                return -errno;
        len = sizeof(sa);
        if (getsockname(fd, (struct sockaddr *) &sa, &len) < 0)
                return -errno;
        if (len <= offsetof(struct sockaddr_un, sun_path) + 1 || sa.sun_path[0] != '\0')
                return -EPROTO;

        notify_socket *s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        size_t name_len = len - offsetof(struct sockaddr_un, sun_path) - 1;
        s->address[0] = '@';
        memcpy(s->address + 1, sa.sun_path + 1, name_len);
        s->address[1 + name_len] = '\0';
        s->fd = TAKE_FD(fd);
        *ret = s;
        return 0;
}

notify_socket *notify_socket_free(notify_socket *s) {
        if (!s)
                return NULL;
        safe_close(s->fd);
        free(s);
        return NULL;
}

int notify_socket_fd(const notify_socket *s) {
        assert_return(s, -EINVAL);
        return s->fd;
}

const char *notify_socket_address(const notify_socket *s) {
        return s ? s->address : NULL;
}

static bool startswith_value(const char *line, size_t len, const char *key, const char **ret_value, size_t *ret_len) {
        size_t k = strlen(key);

        if (len < k || memcmp(line, key, k) != 0)
                return false;
        *ret_value = line + k;
        *ret_len = len - k;
        return true;
}

void notify_message_parse(const char *text, size_t len, notify_message *m) {
        const char *p = text, *end = text + len;

        assert(text || len == 0);
        assert(m);

        while (p < end) {
                const char *nl = memchr(p, '\n', end - p), *v;
                size_t l = (nl ? nl : end) - p, vl;

                if (startswith_value(p, l, "READY=", &v, &vl))
                        m->ready = vl == 1 && v[0] == '1';
                else if (startswith_value(p, l, "STOPPING=", &v, &vl))
                        m->stopping = vl == 1 && v[0] == '1';
                else if (startswith_value(p, l, "RELOADING=", &v, &vl))
                        m->reloading = vl == 1 && v[0] == '1';
                else if (startswith_value(p, l, "STATUS=", &v, &vl)) {
                        if (vl >= sizeof(m->status))
                                vl = sizeof(m->status) - 1;
                        memcpy(m->status, v, vl);
                        m->status[vl] = '\0';
                        m->has_status = true;
                }
                p += l + 1;
        }
}

int notify_socket_receive(notify_socket *s, notify_message *ret) {
        char buf[4096];
        union {
                struct cmsghdr align;
                uint8_t buf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int)) +
                            CMSG_SPACE(sizeof(int) * 16)];
        } control;
        struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
        struct msghdr mh = {
                .msg_iov = &iov,
                .msg_iovlen = 1,
                .msg_control = &control,
                .msg_controllen = sizeof(control),
        };
        const struct ucred *cred = NULL;
        _cleanup_close_ int pidfd = -EBADF;
        ssize_t n;

        assert_return(s, -EINVAL);
        assert_return(ret, -EINVAL);

        n = recvmsg(s->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
        if (n < 0) {
                if (errno == EAGAIN || errno == EINTR)
                        return 0;
                return -errno;
        }

        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
                if (c->cmsg_level != SOL_SOCKET)
                        continue;
                if (c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len == CMSG_LEN(sizeof(struct ucred)))
                        cred = (const struct ucred *) CMSG_DATA(c);
                else if (c->cmsg_type == SCM_PIDFD && c->cmsg_len == CMSG_LEN(sizeof(int))) {
                        safe_close(pidfd);
                        memcpy(&pidfd, CMSG_DATA(c), sizeof(int));
                } else if (c->cmsg_type == SCM_RIGHTS) {
                        size_t nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                        int fds[16];

                        if (nfds > ELEMENTSOF(fds))
                                nfds = ELEMENTSOF(fds);
                        memcpy(fds, CMSG_DATA(c), nfds * sizeof(int));
                        for (size_t i = 0; i < nfds; i++)
                                safe_close(fds[i]);
                }
        }

        *ret = (notify_message) {};
        if (!cred || (mh.msg_flags & MSG_TRUNC) || (size_t) n > sizeof(buf))
                return 1; /* dropped: no sender we can check, or cut short */
        ret->sender = cred->pid;
        if (pidfd >= 0 && cgroup_pidfd_group_id(pidfd, &ret->sender_cgroup_id) < 0)
                ret->sender_cgroup_id = 0;
        notify_message_parse(buf, n, ret);
        return 1;
}
