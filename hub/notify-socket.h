/* SPDX-License-Identifier: MIT */
#pragma once

/* The sd_notify side of readiness: one datagram socket per child that asked
 * for notify readiness, bound to an abstract address the kernel picks
 * (autobind) and handed to the child as NOTIFY_SOCKET="@xxxxx", so daemons
 * that already speak sd_notify run unmodified. Messages carry the sender's
 * credentials (SO_PASSCRED) so the supervisor can check they come from the
 * child's own cgroup. */

#include <stdbool.h>
#include <sys/types.h>

typedef struct notify_socket notify_socket;

#define NOTIFY_STATUS_MAX 256

typedef struct notify_message {
        pid_t sender;
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
 * are closed: we keep no fd store. */
int notify_socket_receive(notify_socket *s, notify_message *ret);

/* Parse "KEY=VALUE\n..." as sd_notify sends it. */
void notify_message_parse(const char *text, size_t len, notify_message *m);

static inline void notify_socket_freep(notify_socket **s) {
        if (*s)
                notify_socket_free(*s);
}
#define _cleanup_notify_socket_ __attribute__((cleanup(notify_socket_freep)))
