/* SPDX-License-Identifier: MIT */
#pragma once

/* The sd_notify side of readiness: one datagram socket per supervisor (the
 * hub), shared by every child that asked for notify readiness, as systemd
 * shares one among its units. It is bound to an abstract address the kernel
 * picks (autobind) and handed to each child as NOTIFY_SOCKET="@xxxxx", so
 * daemons that already speak sd_notify run unmodified.
 *
 * One socket, not one per child: a socket per child cost an fd and a
 * unix socket's kernel memory per child, and halved the children a hub
 * can hold within RLIMIT_NOFILE. The price is that a message must say who
 * sent it: the kernel attaches the sender's credentials (SO_PASSCRED) and a
 * pidfd for it (SO_PASSPIDFD, Linux 6.5), and the pidfd gives the sender's
 * cgroup (PIDFD_GET_INFO, Linux 6.13), which is the child's leaf. Neither can
 * be forged by the sender, unlike the pid in SCM_CREDENTIALS, which a
 * process with CAP_SYS_ADMIN may choose.
 *
 * The kernel queues at most net.unix.max_dgram_qlen datagrams (10 by
 * default, systemd's sysctl.d sets 512) before senders block: a burst of
 * READY=1 from thousands of children is drained as fast as it comes, with
 * blocking senders (sd_notify's) waiting their turn. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct notify_socket notify_socket;

#define NOTIFY_STATUS_MAX 256

typedef struct notify_message {
        pid_t sender;
        uint64_t sender_cgroup_id; /* 0: the kernel did not say (pre-6.13, or the sender is gone) */
        bool ready;     /* READY=1 */
        bool stopping;  /* STOPPING=1 */
        bool reloading; /* RELOADING=1 */
        bool has_status;
        char status[NOTIFY_STATUS_MAX]; /* STATUS=, cut to fit */
} notify_message;

int notify_socket_new(notify_socket **ret);
notify_socket *notify_socket_free(notify_socket *s);
int notify_socket_fd(const notify_socket *s);
/* "@" followed by the abstract name, for NOTIFY_SOCKET. */
const char *notify_socket_address(const notify_socket *s);

/* Read one datagram: 1 with *ret filled, 0 when none is waiting. Datagrams
 * without credentials or too large are dropped (and 1 is returned with an
 * empty message so the caller keeps draining). Any passed file descriptors
 * are closed (we keep no fd store), the sender's pidfd once its cgroup is
 * read. */
int notify_socket_receive(notify_socket *s, notify_message *ret);

/* Parse "KEY=VALUE\n..." as sd_notify sends it. */
void notify_message_parse(const char *text, size_t len, notify_message *m);

static inline void notify_socket_freep(notify_socket **s) {
        if (*s)
                notify_socket_free(*s);
}
#define _cleanup_notify_socket_ __attribute__((cleanup(notify_socket_freep)))
