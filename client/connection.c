/* SPDX-License-Identifier: MIT */

/* One control connection: a Unix stream socket carrying one JSON object per
 * line. Reads are buffered (a reply may arrive in pieces, or several
 * messages in one read) and bounded by a deadline through poll(), so no
 * caller can hang on a daemon that stopped answering. */

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "client.h"
#include "macros.h"
#include "string-util.h"
#include "time-util.h"

struct client_conn {
        int fd;
        uint64_t next_id;
        char *buf; /* bytes read, not yet handed out: [start, len) */
        size_t start, len, alloc;
};

int client_conn_from_fd(int fd, client_conn **ret) {
        client_conn *c;

        assert(fd >= 0);
        assert(ret);

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->fd = fd;
        c->next_id = 1;
        *ret = c;
        return 0;
}

int client_conn_open(const char *socket_path, client_conn **ret) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -EBADF;
        int r;

        assert(socket_path);
        assert(ret);

        if (strlen(socket_path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, socket_path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return -errno;
        r = client_conn_from_fd(fd, ret);
        if (r < 0)
                return r;
        TAKE_FD(fd);
        return 0;
}

client_conn *client_conn_free(client_conn *c) {
        if (!c)
                return NULL;
        safe_close(c->fd);
        free(c->buf);
        free(c);
        return NULL;
}

void client_conn_shutdown(client_conn *c) {
        if (c)
                (void) shutdown(c->fd, SHUT_RDWR);
}

static int conn_write_all(client_conn *c, const char *p, size_t n) {
        while (n > 0) {
                ssize_t k = send(c->fd, p, n, MSG_NOSIGNAL);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return errno == EPIPE ? -ECONNRESET : -errno;
                }
                p += k;
                n -= (size_t) k;
        }
        return 0;
}

int client_conn_send_request(client_conn *c, const char *hub, const char *op, json_object *args, uint64_t *ret_id) {
        json_object *req;
        uint64_t id;
        int r;

        assert(c);
        assert(op);

        req = json_object_new_object();
        if (!req) {
                json_object_put(args);
                return -ENOMEM;
        }
        id = c->next_id++;
        json_object_object_add(req, "v", json_object_new_int(1));
        json_object_object_add(req, "id", json_object_new_uint64(id));
        json_object_object_add(req, "op", json_object_new_string(op));
        if (hub)
                json_object_object_add(req, "hub", json_object_new_string(hub));
        if (args)
                json_object_object_add(req, "args", args);

        const char *line = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
        _cleanup_free_ char *framed = NULL;
        if (!line || asprintf(&framed, "%s\n", line) < 0)
                r = -ENOMEM;
        else if (strlen(line) > CLIENT_REQUEST_MAX)
                r = -EMSGSIZE; /* the daemon would refuse it and close the connection */
        else
                r = conn_write_all(c, framed, strlen(framed));
        json_object_put(req);
        if (r < 0)
                return r;
        if (ret_id)
                *ret_id = id;
        return 0;
}

/* Wait until fd is readable or the deadline passed. */
static int conn_wait(client_conn *c, uint64_t deadline_usec) {
        for (;;) {
                struct pollfd p = { .fd = c->fd, .events = POLLIN };
                int timeout = -1;

                if (deadline_usec != USEC_INFINITY) {
                        uint64_t now = now_usec();
                        if (now >= deadline_usec)
                                return -ETIMEDOUT;
                        uint64_t left_ms = (deadline_usec - now + USEC_PER_MSEC - 1) / USEC_PER_MSEC;
                        timeout = left_ms > INT32_MAX ? INT32_MAX : (int) left_ms;
                }
                int k = poll(&p, 1, timeout);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k > 0)
                        return 0;
        }
}

static int conn_fill(client_conn *c, uint64_t deadline_usec) {
        int r;

        /* Compact, then grow: the buffer holds at most one partial line. */
        if (c->start > 0) {
                memmove(c->buf, c->buf + c->start, c->len - c->start);
                c->len -= c->start;
                c->start = 0;
        }
        if (c->alloc - c->len < 4096) {
                size_t n = c->alloc < 65536 ? 65536 : c->alloc * 2;
                char *b = realloc(c->buf, n);
                if (!b)
                        return -ENOMEM;
                c->buf = b;
                c->alloc = n;
        }
        r = conn_wait(c, deadline_usec);
        if (r < 0)
                return r;
        for (;;) {
                ssize_t k = recv(c->fd, c->buf + c->len, c->alloc - c->len, MSG_DONTWAIT);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                return 0;
                        return errno == ECONNRESET || errno == EPIPE ? -ECONNRESET : -errno;
                }
                if (k == 0)
                        return -ECONNRESET;
                c->len += (size_t) k;
                return 0;
        }
}

int client_conn_read_message(client_conn *c, uint64_t deadline_usec, json_object **ret) {
        size_t scanned = 0;
        int r;

        assert(c);
        assert(ret);

        for (;;) {
                char *nl = c->buf ? memchr(c->buf + c->start + scanned, '\n', c->len - c->start - scanned) : NULL;
                if (nl) {
                        size_t n = (size_t) (nl - (c->buf + c->start));
                        const char *line = c->buf + c->start;
                        enum json_tokener_error jerr;
                        json_object *j;

                        json_tokener *tok = json_tokener_new_ex(JSON_TOKENER_DEFAULT_DEPTH);
                        if (!tok)
                                return -ENOMEM;
                        j = json_tokener_parse_ex(tok, line, (int) n);
                        jerr = json_tokener_get_error(tok);
                        /* Trailing garbage after the object is as bad as none. */
                        if (j && (jerr != json_tokener_success || (size_t) json_tokener_get_parse_end(tok) != n)) {
                                json_object_put(j);
                                j = NULL;
                        }
                        json_tokener_free(tok);
                        c->start += n + 1;
                        if (!j || !json_object_is_type(j, json_type_object)) {
                                json_object_put(j);
                                return -EBADMSG;
                        }
                        *ret = j;
                        return 0;
                }
                scanned = c->len - c->start;
                if (scanned > CLIENT_LINE_MAX)
                        return -EMSGSIZE;
                r = conn_fill(c, deadline_usec);
                if (r < 0)
                        return r;
        }
}

int client_reply_unwrap(json_object *reply, json_object **ret_result, char **ret_error_text) {
        json_object *ok, *result = NULL, *error;
        int r;

        if (!json_object_object_get_ex(reply, "ok", &ok) || !json_object_is_type(ok, json_type_boolean))
                return -EBADMSG;
        if (json_object_get_boolean(ok)) {
                (void) json_object_object_get_ex(reply, "result", &result);
                if (ret_result)
                        *ret_result = json_object_get(result);
                return 0;
        }

        uint64_t e;
        const char *message = NULL;
        if (!json_object_object_get_ex(reply, "error", &error) || !json_object_is_type(error, json_type_object))
                return -EBADMSG;
        r = client_json_u64(error, "errno", false, &e);
        if (r < 0 || e == 0 || e > 4095)
                return -EBADMSG;
        r = client_json_string(error, "message", true, &message);
        if (r < 0)
                return r;
        if (ret_error_text)
                free_and_printf(ret_error_text, "%s", message ?: strerror((int) e));
        return -(int) e;
}

int client_conn_read_reply(client_conn *c, uint64_t id, uint64_t deadline_usec, json_object **ret_result,
                           char **ret_error_text) {
        int r;

        for (;;) {
                json_object *m = NULL, *jid;

                r = client_conn_read_message(c, deadline_usec, &m);
                if (r < 0)
                        return r;
                if (json_object_object_get_ex(m, "event", NULL)) {
                        json_object_put(m); /* not ours to handle here */
                        continue;
                }
                if (!json_object_object_get_ex(m, "id", &jid) || !json_object_is_type(jid, json_type_int)) {
                        json_object_put(m);
                        return -EBADMSG;
                }
                /* An error the daemon answers before reading any request
                 * (EACCES) carries id 0. */
                if (json_object_get_uint64(jid) != id &&
                    !(json_object_get_uint64(jid) == 0 && client_reply_unwrap(m, NULL, NULL) < 0)) {
                        /* The reply to a request given up on earlier. */
                        json_object_put(m);
                        continue;
                }
                r = client_reply_unwrap(m, ret_result, ret_error_text);
                json_object_put(m);
                return r;
        }
}

int client_conn_call(client_conn *c, const char *hub, const char *op, json_object *args, uint64_t deadline_usec,
                     json_object **ret_result, char **ret_error_text) {
        uint64_t id;
        int r;

        r = client_conn_send_request(c, hub, op, args, &id);
        if (r < 0)
                return r;
        return client_conn_read_reply(c, id, deadline_usec, ret_result, ret_error_text);
}
