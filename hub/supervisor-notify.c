/* SPDX-License-Identifier: MIT */

/* READY=1 and STATUS= from the children: the supervisor's one notify
 * socket (notify-socket.h says why one), opened with the first child that
 * asks for notify readiness, and the way from a message to its child: the
 * sender's cgroup, which is the child's leaf or a group below it. */

#include <poll.h>
#include <string.h>

#include "log.h"
#include "supervisor-internal.h"

/* Datagrams read per wake-up: enough to drain a burst of READY=1 in few
 * loop iterations, few enough that a flood cannot starve the loop. */
#define NOTIFY_BATCH 64

static supervisor_child *find_sender(supervisor *s, const notify_message *m) {
        supervisor_child *c;
        uint64_t id;

        /* The kernel's word: the sender's own group, the leaf in the common
         * case (the main process or anything it forked). */
        c = supervisor_find_child_by_cgroup_id(s, m->sender_cgroup_id);
        if (c)
                return c;
        /* A group the child made below its leaf, or a kernel that does not
         * tell: the leaf from /proc/<pid>/cgroup. */
        if (!s->group || cgroup_group_child_id_of_pid(s->group, m->sender, &id) < 0)
                return NULL;
        return supervisor_find_child_by_cgroup_id(s, id);
}

static void handle_message(supervisor *s, const notify_message *m) {
        supervisor_child *c = find_sender(s, m);

        if (!c) {
                log_debug("%s: notify message from pid %d, not in any child's group, ignored", s->name,
                          (int) m->sender);
                return;
        }
        if (m->has_status) {
                char *t = strdup(m->status);
                if (t) {
                        free(c->status_text);
                        c->status_text = t;
                        supervisor_emit(c, SUPERVISOR_EVENT_STATUS);
                }
        }
        if (m->ready)
                child_dispatch(c, CHILD_EVENT_READY);
}

static int on_notify(loop_source *source, int fd, uint32_t revents, void *userdata) {
        supervisor *s = userdata;
        bool freed = false;

        /* A handler run by a message may end the supervisor (a stop that
         * completes a hub's shutdown): it tells through freed. */
        s->notify_freed = &freed;
        for (unsigned i = 0; i < NOTIFY_BATCH; i++) {
                notify_message m;
                int r;

                r = notify_socket_receive(s->notify, &m);
                if (r < 0)
                        log_debug("%s: notify socket: %s", s->name, strerror(-r));
                if (r <= 0)
                        break;
                if (m.sender <= 0)
                        continue;
                handle_message(s, &m);
                if (freed)
                        return 0;
        }
        s->notify_freed = NULL;
        return 0;
}

int supervisor_notify_address(supervisor *s, const char **ret_address) {
        _cleanup_notify_socket_ notify_socket *n = NULL;
        int r;

        if (!s->notify) {
                r = notify_socket_new(&n);
                if (r < 0)
                        return r;
                r = loop_add_io(s->loop, &s->notify_source, notify_socket_fd(n), POLLIN, on_notify, s);
                if (r < 0)
                        return r;
                s->notify = TAKE_PTR(n);
        }
        *ret_address = notify_socket_address(s->notify);
        return 0;
}

void supervisor_notify_close(supervisor *s) {
        s->notify_source = loop_source_free(s->notify_source);
        s->notify = notify_socket_free(s->notify);
        if (s->notify_freed)
                *s->notify_freed = true;
}
