/* SPDX-License-Identifier: MIT */
/* The control socket: listening, accepting with the SO_PEERCRED check,
 * framing newline-delimited JSON in both directions, and bounded output
 * queues (docs/control-protocol.md, "Transport"). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon-log.h"
#include "daemon.h"
#include "json-shapes.h"

static int mkdir_parents(const char *path) {
        _cleanup_free_ char *p = strdup(path);

        if (!p)
                return -ENOMEM;
        for (char *s = p + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = 0;
                if (mkdir(p, 0755) < 0 && errno != EEXIST)
                        return -errno;
                *s = '/';
        }
        return 0;
}

static int resolve_group(const char *group, gid_t *ret) {
        char *end;

        errno = 0;
        unsigned long v = strtoul(group, &end, 10);
        if (*group && !*end && errno == 0) {
                *ret = (gid_t) v;
                return 0;
        }
        struct group *g = getgrnam(group);
        if (!g)
                return -ESRCH;
        *ret = g->gr_gid;
        return 0;
}

static int on_listen(loop_source *s, int fd, uint32_t revents, void *userdata);

int phd_listen(phd *d, const char *path, const char *group) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -EBADF;
        gid_t gid = 0;
        int r;

        if (strlen(path) >= sizeof sa.sun_path) {
                dlog_error(NULL, NULL, "socket %s: path too long", path);
                return -ENAMETOOLONG;
        }
        strcpy(sa.sun_path, path);
        if (group) {
                r = resolve_group(group, &gid);
                if (r < 0) {
                        dlog_error(NULL, NULL, "control_group: no group named '%s'", group);
                        return r;
                }
        }
        r = mkdir_parents(path);
        if (r < 0) {
                dlog_error(NULL, NULL, "socket %s: cannot make its directory: %s", path, strerror(-r));
                return r;
        }

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;

        /* A socket left by a daemon that died is replaced; one that still
         * answers belongs to a running daemon. */
        struct stat st;
        if (lstat(path, &st) == 0) {
                if (!S_ISSOCK(st.st_mode)) {
                        dlog_error(NULL, NULL, "socket %s: exists and is not a socket", path);
                        return -EEXIST;
                }
                _cleanup_close_ int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (probe >= 0 && connect(probe, (struct sockaddr *) &sa, sizeof sa) == 0) {
                        dlog_error(NULL, NULL, "socket %s: another processhubd answers there", path);
                        return -EADDRINUSE;
                }
                (void) unlink(path);
        }

        mode_t old = umask(0117);
        r = bind(fd, (struct sockaddr *) &sa, sizeof sa);
        umask(old);
        if (r < 0) {
                r = -errno;
                dlog_error(NULL, NULL, "socket %s: cannot bind: %s", path, strerror(-r));
                return r;
        }
        if (chmod(path, 0660) < 0 || (group && chown(path, (uid_t) -1, gid) < 0)) {
                r = -errno;
                dlog_error(NULL, NULL, "socket %s: cannot set mode and group: %s", path, strerror(-r));
                (void) unlink(path);
                return r;
        }
        if (listen(fd, 128) < 0) {
                r = -errno;
                (void) unlink(path);
                return r;
        }
        r = loop_add_io(d->loop, &d->listen_source, fd, POLLIN, on_listen, d);
        if (r < 0) {
                (void) unlink(path);
                return r;
        }
        d->socket_path = strdup(path);
        if (!d->socket_path)
                return -ENOMEM;
        d->listen_fd = TAKE_FD(fd);
        return 0;
}

void phd_unlisten(phd *d) {
        d->listen_source = loop_source_free(d->listen_source);
        d->listen_fd = safe_close(d->listen_fd);
        if (d->socket_path) {
                (void) unlink(d->socket_path);
                d->socket_path = mfree(d->socket_path);
        }
}

/* ---- Connections ------------------------------------------------------ */

static void out_msg_free(out_msg *m) {
        free(m->data);
        free(m);
}

static void conn_free(conn *c) {
        while (c->out_head) {
                out_msg *m = c->out_head;
                c->out_head = m->next;
                out_msg_free(m);
        }
        for (size_t i = 0; i < c->n_watches; i++)
                free(c->watches[i].hub);
        free(c->watches);
        free(c->in);
        free(c);
}

conn *conn_ref(conn *c) {
        c->n_ref++;
        return c;
}

conn *conn_unref(conn *c) {
        if (!c)
                return NULL;
        assert(c->n_ref > 0);
        if (--c->n_ref == 0)
                conn_free(c);
        return NULL;
}

void conn_close(conn *c) {
        if (c->closed)
                return;
        c->closed = true;
        c->io = loop_source_free(c->io);
        c->deadline = loop_source_free(c->deadline);
        c->fd = safe_close(c->fd);
        if (c->prev)
                c->prev->next = c->next;
        else
                c->daemon->conns = c->next;
        if (c->next)
                c->next->prev = c->prev;
        conn_unref(c);
}

void conn_close_all(phd *d) {
        while (d->conns)
                conn_close(d->conns);
}

static void conn_update_events(conn *c) {
        if (c->closed || !c->io)
                return;
        uint32_t events = 0;
        if (!c->close_after_flush)
                events |= POLLIN;
        if (c->out_head)
                events |= POLLOUT;
        (void) loop_source_io_set_events(c->io, events);
}

/* Write what the socket takes now; closes on errors and once a
 * close-after-flush connection has nothing left. */
static void conn_flush(conn *c) {
        while (!c->closed && c->out_head) {
                out_msg *m = c->out_head;
                ssize_t n = send(c->fd, m->data + m->off, m->len - m->off, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (n < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                break;
                        conn_close(c);
                        return;
                }
                m->off += (size_t) n;
                c->out_bytes -= (size_t) n;
                if (m->off < m->len)
                        break;
                c->out_head = m->next;
                if (!c->out_head)
                        c->out_tail = NULL;
                out_msg_free(m);
        }
        if (c->closed)
                return;
        if (!c->out_head && c->close_after_flush) {
                conn_close(c);
                return;
        }
        conn_update_events(c);
}

static int on_overflow_deadline(loop_source *s, uint64_t now, void *userdata) {
        conn_close(userdata);
        return 0;
}

/* A peer that stops reading: drop the events it has not begun to get,
 * queue the overflow event after the replies, and close once those are
 * out (or after a grace time, for a peer that reads nothing at all).
 * Nothing more is queued meanwhile. */
static void conn_overflow(conn *c) {
        out_msg **p = &c->out_head;
        c->out_tail = NULL;
        while (*p) {
                out_msg *m = *p;
                if (m->event && m->off == 0) {
                        *p = m->next;
                        c->out_bytes -= m->len;
                        out_msg_free(m);
                        continue;
                }
                c->out_tail = m;
                p = &m->next;
        }
        static const char overflow[] = "{\"v\":1,\"event\":{\"key\":\"overflow\"}}\n";
        out_msg *m = calloc(1, sizeof(*m));
        if (m && (m->data = strdup(overflow))) {
                m->len = sizeof overflow - 1;
                m->event = true;
                if (c->out_tail)
                        c->out_tail->next = m;
                else
                        c->out_head = m;
                c->out_tail = m;
                c->out_bytes += m->len;
        } else
                free(m);
        dlog_warning(NULL, NULL, "client pid %d uid %u: more than %d bytes waiting, closing", (int) c->pid, (unsigned) c->uid,
                     PHD_MAX_QUEUED);
        c->overflowed = true;
        c->close_after_flush = true;
        if (loop_add_timer(c->daemon->loop, &c->deadline, loop_now(c->daemon->loop) + PHD_OVERFLOW_GRACE_USEC, 0,
                           on_overflow_deadline, c) < 0) {
                conn_close(c);
                return;
        }
        conn_flush(c);
}

void conn_send_string(conn *c, const char *line, size_t len, bool event) {
        if (c->closed || c->overflowed)
                return;
        /* The bound is on what already waits: one big reply (a dump of
         * many children) still goes out whole to a peer that reads. */
        if (c->out_bytes > PHD_MAX_QUEUED) {
                conn_overflow(c);
                return;
        }
        size_t sent = 0;
        /* Nothing waits before it: straight to the socket, the newline as
         * a second piece, and only a reply the socket does not take whole
         * is copied and queued (a malloc and a copy of every reply
         * otherwise). */
        if (!c->out_head) {
                struct iovec iov[2] = {
                        { .iov_base = (void *) line, .iov_len = len },
                        { .iov_base = (void *) "\n", .iov_len = 1 },
                };
                ssize_t n = sendmsg(c->fd, &(struct msghdr) { .msg_iov = iov, .msg_iovlen = 2 },
                                    MSG_NOSIGNAL | MSG_DONTWAIT);
                if (n < 0 && errno != EAGAIN && errno != EINTR) {
                        conn_close(c);
                        return;
                }
                if (n == (ssize_t) len + 1) {
                        conn_flush(c); /* a close after the flush, the events */
                        return;
                }
                sent = n > 0 ? (size_t) n : 0;
        }
        out_msg *m = calloc(1, sizeof(*m));
        if (!m || !(m->data = malloc(len + 1))) {
                free(m);
                conn_close(c);
                return;
        }
        memcpy(m->data, line, len);
        m->data[len] = '\n';
        m->len = len + 1;
        m->off = sent;
        m->event = event;
        if (c->out_tail)
                c->out_tail->next = m;
        else
                c->out_head = m;
        c->out_tail = m;
        c->out_bytes += m->len - m->off;
        conn_flush(c);
}

void conn_send(conn *c, json_object *message, bool event) {
        size_t len = 0;

        if (!message) {
                conn_close(c);
                return;
        }
        const char *s = json_object_to_json_string_length(message, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
        if (s)
                conn_send_string(c, s, len, event);
        json_object_put(message);
}

void phd_broadcast_event(phd *d, const char *hub, ph_hook_key key, const char *event_json) {
        _cleanup_free_ char *line = NULL;
        int n = -1;

        for (conn *c = d->conns, *next; c; c = next) {
                next = c->next;
                bool match = false;
                for (size_t i = 0; i < c->n_watches && !match; i++)
                        match = strcmp(c->watches[i].hub, hub) == 0 && c->watches[i].keys[key];
                if (!match)
                        continue;
                if (!line && (n = asprintf(&line, "{\"v\":1,\"event\":%s}", event_json)) < 0) {
                        line = NULL;
                        return;
                }
                conn_send_string(c, line, (size_t) n, true);
        }
}

/* ---- Reading ---------------------------------------------------------- */

static void conn_handle_input(conn *c) {
        size_t start = 0, from = c->in_scanned;

        for (;;) {
                char *nl = memchr(c->in + from, '\n', c->in_len - from);
                if (!nl)
                        break;
                size_t len = (size_t) (nl - (c->in + start));
                if (len > PHD_MAX_LINE) {
                        conn_send(c, phd_reply_error(0, EMSGSIZE, "request line longer than 32 MiB"), false);
                        c->close_after_flush = true;
                } else {
                        /* Strip a \r of peers that send CRLF. */
                        size_t l = len;
                        if (l > 0 && c->in[start + l - 1] == '\r')
                                l--;
                        if (l > 0)
                                phd_handle_line(c->daemon, c, c->in + start, l);
                }
                start += len + 1;
                from = start;
                if (c->closed || c->close_after_flush)
                        break;
        }
        if (c->closed)
                return;
        memmove(c->in, c->in + start, c->in_len - start);
        c->in_len -= start;
        c->in_scanned = c->in_len;
        /* No newline in more than the bound: the stream cannot be framed
         * any more (the doc's EMSGSIZE), so say so and close. */
        if (c->in_len > PHD_MAX_LINE && !c->close_after_flush) {
                conn_send(c, phd_reply_error(0, EMSGSIZE, "request line longer than 32 MiB"), false);
                c->close_after_flush = true;
                c->in_len = c->in_scanned = 0;
        }
        if (c->close_after_flush)
                conn_flush(c);
}

static int on_conn_io(loop_source *s, int fd, uint32_t revents, void *userdata) {
        conn *c = userdata;
        bool drained = false;

        conn_ref(c);
        if (revents & POLLOUT)
                conn_flush(c);
        if (!c->closed && (revents & (POLLIN | POLLHUP | POLLERR)) && !c->close_after_flush) {
                for (unsigned round = 0; round < 16 && !c->closed && !c->close_after_flush; round++) {
                        if (c->in_size - c->in_len < 65536) {
                                size_t size = c->in_size ? c->in_size * 2 : 65536;
                                if (size > PHD_MAX_LINE + 131072)
                                        size = PHD_MAX_LINE + 131072;
                                if (size > c->in_size) {
                                        char *p = realloc(c->in, size);
                                        if (!p) {
                                                conn_close(c);
                                                break;
                                        }
                                        c->in = p;
                                        c->in_size = size;
                                }
                        }
                        size_t space = c->in_size - c->in_len;
                        ssize_t n = recv(fd, c->in + c->in_len, space, MSG_DONTWAIT);
                        if (n < 0) {
                                if (errno == EAGAIN)
                                        drained = true;
                                else if (errno != EINTR)
                                        conn_close(c);
                                break;
                        }
                        if (n == 0) {
                                /* A truncated last line (no \n) is not a
                                 * request: the peer is gone, nothing to
                                 * answer. Replies of awaited operations
                                 * still in flight are dropped. */
                                if (c->out_head) {
                                        c->close_after_flush = true;
                                        conn_flush(c);
                                } else
                                        conn_close(c);
                                break;
                        }
                        c->in_len += (size_t) n;
                        conn_handle_input(c);
                        /* Short: a stream socket's recv() takes all that
                         * is queued, so nothing was left. Another recv()
                         * would only say EAGAIN: a syscall per request. */
                        if ((size_t) n < space) {
                                drained = true;
                                break;
                        }
                }
        } else if (!c->closed && (revents & (POLLHUP | POLLERR | POLLNVAL)) && !(revents & POLLOUT))
                conn_close(c);
        /* Input drained and no reply waiting for room: no level to check
         * (a poll() per request otherwise). */
        if (drained && !c->closed && !c->out_head)
                (void) loop_source_io_drained(s);
        conn_unref(c);
        return 0;
}

static bool peer_in_group(pid_t pid, gid_t primary, gid_t gid) {
        char path[64], line[4096];
        bool found = false;

        if (primary == gid)
                return true;
        snprintf(path, sizeof path, "/proc/%d/status", (int) pid);
        FILE *f = fopen(path, "re");
        if (!f)
                return false;
        while (!found && fgets(line, sizeof line, f)) {
                if (strncmp(line, "Groups:", 7) != 0)
                        continue;
                char *p = line + 7, *end;
                for (;;) {
                        errno = 0;
                        unsigned long g = strtoul(p, &end, 10);
                        if (end == p)
                                break;
                        if ((gid_t) g == gid) {
                                found = true;
                                break;
                        }
                        p = end;
                }
        }
        fclose(f);
        return found;
}

static int on_listen(loop_source *s, int fd, uint32_t revents, void *userdata) {
        phd *d = userdata;

        for (unsigned i = 0; i < 64; i++) {
                int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
                if (cfd < 0) {
                        if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
                                dlog_warning(NULL, NULL, "accept: %s", strerror(errno));
                        break;
                }
                conn *c = calloc(1, sizeof(*c));
                if (!c) {
                        safe_close(cfd);
                        break;
                }
                c->daemon = d;
                c->n_ref = 1;
                c->fd = cfd;
                struct ucred cred = {};
                socklen_t len = sizeof cred;
                bool allowed = false;
                char why[256] = "permission denied: cannot tell who the peer is";
                if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
                        c->uid = cred.uid;
                        c->pid = cred.pid;
                        gid_t gid;
                        if (cred.uid == 0)
                                allowed = true;
                        else if (d->config->control_group && resolve_group(d->config->control_group, &gid) >= 0) {
                                allowed = peer_in_group(cred.pid, cred.gid, gid);
                                snprintf(why, sizeof why, "permission denied: uid %u is not root and not in group %s",
                                         (unsigned) cred.uid, d->config->control_group);
                        } else
                                snprintf(why, sizeof why, "permission denied: uid %u is not root (and no control_group is set)",
                                         (unsigned) cred.uid);
                }
                c->next = d->conns;
                if (d->conns)
                        d->conns->prev = c;
                d->conns = c;
                if (loop_add_io(d->loop, &c->io, cfd, POLLIN, on_conn_io, c) < 0) {
                        conn_close(c);
                        continue;
                }
                if (!allowed) {
                        dlog_warning(NULL, NULL, "client pid %d: %s", (int) c->pid, why);
                        conn_send(c, phd_reply_error(0, EACCES, why), false);
                        if (!c->closed) {
                                c->close_after_flush = true;
                                conn_flush(c);
                        }
                }
        }
        return 0;
}
