/* SPDX-License-Identifier: MIT */
/* net-hints.h against a real kernel. Two "hosts": the test process runs in
 * a client namespace of its own, a second namespace (the server) is held by
 * an fd; a veth pair joins them (test-net-helpers.h). Server sockets are
 * made by stepping into the server namespace for the socket() call. The BPF
 * programs see every namespace on the machine, so the test also checks that
 * hints carry the client namespace's inode, and ignores any other. */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "loop.h"
#include "net-hints.h"
#include "test-net-helpers.h"

#define MAX_HINTS 256

typedef struct ctx {
        loop *loop;
        net_hints *n;
        net_hint hints[MAX_HINTS];
        size_t n_hints;
        size_t foreign; /* hints from other namespaces, ignored */
        int client_ns, server_ns;
        uint64_t client_inode;
        unsigned subnet;
        char client4[32], server4[32], client6[64], server6[64];
} ctx;

static ctx *global;

static void on_hint(net_hints *n, const net_hint *h, void *userdata) {
        ctx *c = userdata;

        if (h->netns != c->client_inode) {
                c->foreign++;
                return;
        }
        if (c->n_hints < MAX_HINTS)
                c->hints[c->n_hints++] = *h;
}

static const net_hint *find_hint(ctx *c, net_hint_kind kind) {
        for (size_t i = 0; i < c->n_hints; i++)
                if (c->hints[i].kind == kind)
                        return c->hints + i;
        return NULL;
}

static socklen_t make_addr(const char *addr, uint16_t port, struct sockaddr_storage *ret) {
        memset(ret, 0, sizeof *ret);
        if (strchr(addr, ':')) {
                struct sockaddr_in6 *in6 = (struct sockaddr_in6 *) ret;
                in6->sin6_family = AF_INET6;
                in6->sin6_port = htons(port);
                assert_int_equal(inet_pton(AF_INET6, addr, &in6->sin6_addr), 1);
                return sizeof *in6;
        }
        struct sockaddr_in *in = (struct sockaddr_in *) ret;
        in->sin_family = AF_INET;
        in->sin_port = htons(port);
        assert_int_equal(inet_pton(AF_INET, addr, &in->sin_addr), 1);
        return sizeof *in;
}

static uint16_t port_of(const struct sockaddr_storage *ss) {
        return ntohs(ss->ss_family == AF_INET6 ? ((const struct sockaddr_in6 *) ss)->sin6_port
                                               : ((const struct sockaddr_in *) ss)->sin_port);
}

/* A listening socket in the server namespace on addr, any port; returns the
 * fd and the port. */
static int server_listen(ctx *c, const char *addr, uint16_t *ret_port) {
        struct sockaddr_storage ss;
        socklen_t len = make_addr(addr, 0, &ss);
        int fd;

        assert_int_equal(setns(c->server_ns, CLONE_NEWNET), 0);
        fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_int_equal(setns(c->client_ns, CLONE_NEWNET), 0);
        assert_true(fd >= 0);
        assert_int_equal(bind(fd, (struct sockaddr *) &ss, len), 0);
        assert_int_equal(listen(fd, 8), 0);
        len = sizeof ss;
        assert_int_equal(getsockname(fd, (struct sockaddr *) &ss, &len), 0);
        *ret_port = port_of(&ss);
        return fd;
}

/* Connect from the client namespace; returns the client fd, the accepted
 * server fd in *ret_server. */
static int client_connect(const char *addr, uint16_t port, int listen_fd, int *ret_server) {
        struct sockaddr_storage ss;
        socklen_t len = make_addr(addr, port, &ss);
        int fd, one = 1;

        fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(fd >= 0);
        assert_int_equal(connect(fd, (struct sockaddr *) &ss, len), 0);
        (void) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        *ret_server = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
        assert_true(*ret_server >= 0);
        return fd;
}

/* Close with a reset: SO_LINGER {1, 0}. */
static void close_abort(int fd) {
        struct linger l = { .l_onoff = 1, .l_linger = 0 };

        if (fd < 0)
                return;
        (void) setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
        close(fd);
}

static int setup(void **state) {
        ctx *c = global;
        const char *reason = NULL;
        int r;

        c->n_hints = 0;
        c->foreign = 0;
        if (loop_new(&c->loop) < 0)
                return -1;
        r = net_hints_new(c->loop, on_hint, c, &c->n, &reason);
        if (r < 0) {
                fprintf(stderr, "net_hints_new: %s: %s\n", strerror(-r), reason ? reason : "?");
                return -1;
        }
        *state = c;
        return 0;
}

static int teardown(void **state) {
        ctx *c = global;

        c->n = net_hints_free(c->n);
        c->loop = loop_free(c->loop);
        return 0;
}

static void test_args(void **state) {
        ctx *c = *state;
        net_hints *n = NULL;
        struct sockaddr_storage ss;
        struct sockaddr_in6 mapped = { .sin6_family = AF_INET6, .sin6_port = htons(7) };
        struct sockaddr unix_addr = { .sa_family = AF_UNIX };
        socklen_t len;

        assert_int_equal(net_hints_new(NULL, on_hint, c, &n, NULL), -EINVAL);
        assert_int_equal(net_hints_new(c->loop, NULL, c, &n, NULL), -EINVAL);
        assert_int_equal(net_hints_new(c->loop, on_hint, c, NULL, NULL), -EINVAL);
        assert_null(n);
        assert_null(net_hints_free(NULL));

        len = make_addr(c->server4, 1, &ss);
        assert_int_equal(net_hints_add_peer(NULL, (struct sockaddr *) &ss, len), -EINVAL);
        assert_int_equal(net_hints_add_peer(c->n, NULL, len), -EINVAL);
        assert_int_equal(net_hints_add_peer(c->n, (struct sockaddr *) &ss, 2), -EINVAL);
        assert_int_equal(net_hints_add_peer(c->n, &unix_addr, sizeof unix_addr), -EAFNOSUPPORT);
        assert_int_equal(net_hints_remove_peer(NULL, (struct sockaddr *) &ss, len), -EINVAL);
        assert_int_equal(net_hints_remove_peer(c->n, (struct sockaddr *) &ss, len), -ENOENT);
        assert_int_equal(net_hints_add_peer(c->n, (struct sockaddr *) &ss, len), 0);
        assert_int_equal(net_hints_add_peer(c->n, (struct sockaddr *) &ss, len), 0);
        assert_int_equal(net_hints_remove_peer(c->n, (struct sockaddr *) &ss, len), 0);
        assert_int_equal(net_hints_remove_peer(c->n, (struct sockaddr *) &ss, len), -ENOENT);

        /* An IPv4-mapped IPv6 address is the IPv4 peer. */
        assert_int_equal(inet_pton(AF_INET6, "::ffff:198.18.0.1", &mapped.sin6_addr), 1);
        assert_int_equal(net_hints_add_peer(c->n, (struct sockaddr *) &mapped, sizeof mapped), 0);
        len = make_addr("198.18.0.1", 7, &ss);
        assert_int_equal(net_hints_remove_peer(c->n, (struct sockaddr *) &ss, len), 0);

        assert_string_equal(net_hint_kind_to_string(NET_HINT_ABORT), "abort");
        assert_null(net_hint_kind_to_string(_NET_HINT_KIND_MAX));
}

/* The server resets: the client receives RST from a peer (RESET) and its
 * established connection goes to CLOSE (ABORT). */
static void test_reset(void **state) {
        ctx *c = *state;
        struct sockaddr_storage ss;
        const net_hint *h;
        char buf[INET6_ADDRSTRLEN];
        int lfd, cfd, sfd;
        uint16_t port;
        uint64_t t0;

        lfd = server_listen(c, c->server4, &port);
        assert_int_equal(net_hints_add_peer(c->n, (struct sockaddr *) &ss, make_addr(c->server4, port, &ss)), 0);
        cfd = client_connect(c->server4, port, lfd, &sfd);

        t0 = now_usec();
        close_abort(sfd);
        assert_true(NETNS_WAIT(c->loop, find_hint(c, NET_HINT_RESET) && find_hint(c, NET_HINT_ABORT), USEC_PER_SEC));
        h = find_hint(c, NET_HINT_RESET);
        fprintf(stderr, "# server RST -> NET_HINT_RESET: %.3f ms (kernel timestamp %.3f ms)\n",
                (double) (now_usec() - t0) / 1000.0, (double) ((int64_t) h->timestamp_usec - (int64_t) t0) / 1000.0);
        assert_true(h->received);
        assert_int_equal(h->peer.ss_family, AF_INET);
        assert_string_equal(inet_ntop(AF_INET, &((struct sockaddr_in *) &h->peer)->sin_addr, buf, sizeof buf), c->server4);
        assert_int_equal(port_of(&h->peer), port);
        assert_string_equal(inet_ntop(AF_INET, &((struct sockaddr_in *) &h->local)->sin_addr, buf, sizeof buf), c->client4);
        assert_true(h->timestamp_usec >= t0 && h->timestamp_usec - t0 < USEC_PER_SEC);
        h = find_hint(c, NET_HINT_ABORT);
        assert_int_equal(port_of(&h->peer), port);
        /* The server sent its RST to the client, which is no peer. */
        for (size_t i = 0; i < c->n_hints; i++)
                assert_int_equal(port_of(&c->hints[i].peer), port);

        close(cfd);
        close(lfd);
}

/* We reset a connection to a peer ourselves: a RESET we sent. */
static void test_reset_sent(void **state) {
        ctx *c = *state;
        struct sockaddr_storage ss;
        const net_hint *h;
        int lfd, cfd, sfd;
        uint16_t port;

        lfd = server_listen(c, c->server4, &port);
        assert_int_equal(net_hints_add_peer(c->n, (struct sockaddr *) &ss, make_addr(c->server4, 0, &ss)), 0);
        cfd = client_connect(c->server4, port, lfd, &sfd);
        close_abort(cfd);
        assert_true(NETNS_WAIT(c->loop, find_hint(c, NET_HINT_RESET), USEC_PER_SEC));
        h = find_hint(c, NET_HINT_RESET);
        assert_false(h->received);
        assert_int_equal(port_of(&h->peer), port);
        close(sfd);
        close(lfd);
}

/* Connections to addresses and ports not in the map say nothing. */
static void test_not_a_peer(void **state) {
        ctx *c = *state;
        struct sockaddr_storage ss;
        int lfd, cfd, sfd;
        uint16_t port;

        lfd = server_listen(c, c->server4, &port);
        /* Same address, another port. */
        assert_int_equal(net_hints_add_peer(c->n, (struct sockaddr *) &ss, make_addr(c->server4, (uint16_t) (port + 1), &ss)), 0);
        cfd = client_connect(c->server4, port, lfd, &sfd);
        close_abort(sfd);
        (void) NETNS_WAIT(c->loop, false, 300 * USEC_PER_MSEC);
        assert_int_equal(c->n_hints, 0);

        /* Removing a peer stops its hints. */
        assert_int_equal(net_hints_add_peer(c->n, (struct sockaddr *) &ss, make_addr(c->server4, port, &ss)), 0);
        assert_int_equal(net_hints_remove_peer(c->n, (struct sockaddr *) &ss, make_addr(c->server4, port, &ss)), 0);
        close(cfd);
        cfd = client_connect(c->server4, port, lfd, &sfd);
        close_abort(sfd);
        (void) NETNS_WAIT(c->loop, false, 300 * USEC_PER_MSEC);
        assert_int_equal(c->n_hints, 0);
        close(cfd);
        close(lfd);
}

/* Cut the path (the server's end of the veth goes down) and keep sending:
 * the client retransmits to the peer. IPv6, with a port-0 (any port) peer. */
static void test_retransmit(void **state) {
        ctx *c = *state;
        struct sockaddr_storage ss;
        const net_hint *h;
        char buf[INET6_ADDRSTRLEN], data[1000] = {};
        int lfd, cfd, sfd;
        uint16_t port;
        uint64_t t0;

        lfd = server_listen(c, c->server6, &port);
        assert_int_equal(net_hints_add_peer(c->n, (struct sockaddr *) &ss, make_addr(c->server6, 0, &ss)), 0);
        cfd = client_connect(c->server6, port, lfd, &sfd);
        assert_int_equal(send(cfd, data, sizeof data, 0), (ssize_t) sizeof data);
        assert_int_equal(recv(sfd, data, sizeof data, MSG_WAITALL), (ssize_t) sizeof data);
        (void) NETNS_WAIT(c->loop, false, 50 * USEC_PER_MSEC);
        assert_int_equal(c->n_hints, 0);

        assert_int_equal(netns_run(c->server_ns, "ip link set ns0 down"), 0);
        t0 = now_usec();
        assert_int_equal(send(cfd, data, sizeof data, MSG_DONTWAIT), (ssize_t) sizeof data);
        assert_true(NETNS_WAIT(c->loop, find_hint(c, NET_HINT_RETRANSMIT), USEC_PER_SEC));
        h = find_hint(c, NET_HINT_RETRANSMIT);
        fprintf(stderr, "# path cut -> NET_HINT_RETRANSMIT: %.1f ms after the send (the RTO, >= 200 ms)\n",
                (double) (h->timestamp_usec - t0) / 1000.0);
        assert_int_equal(h->peer.ss_family, AF_INET6);
        assert_string_equal(inet_ntop(AF_INET6, &((struct sockaddr_in6 *) &h->peer)->sin6_addr, buf, sizeof buf), c->server6);
        assert_int_equal(port_of(&h->peer), port);
        assert_string_equal(inet_ntop(AF_INET6, &((struct sockaddr_in6 *) &h->local)->sin6_addr, buf, sizeof buf), c->client6);

        assert_int_equal(netns_run(c->server_ns, "ip link set ns0 up"), 0);
        close_abort(cfd);
        close_abort(sfd);
        close(lfd);
        fprintf(stderr, "# hints from other namespaces ignored: %zu\n", c->foreign);
}

int main(void) {
        static ctx c;
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_args, setup, teardown),
                cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
                cmocka_unit_test_setup_teardown(test_reset_sent, setup, teardown),
                cmocka_unit_test_setup_teardown(test_not_a_peer, setup, teardown),
                cmocka_unit_test_setup_teardown(test_retransmit, setup, teardown),
        };
        const char *reason = NULL;
        loop *l = NULL;
        net_hints *n = NULL;
        int r;

        alarm(120);
        if (geteuid() != 0)
                test_skip("needs root (BPF, network namespaces)");
        assert(loop_new(&l) >= 0);
        r = net_hints_new(l, on_hint, &c, &n, &reason);
        n = net_hints_free(n);
        l = loop_free(l);
        if (r == -EOPNOTSUPP || r == -EPERM || r == -EACCES)
                test_skip("net hints unavailable: %s (%s)", reason ? reason : "?", strerror(-r));
        if (r < 0) {
                fprintf(stderr, "net_hints_new: %s: %s\n", strerror(-r), reason ? reason : "?");
                return EXIT_FAILURE;
        }

        c.subnet = (unsigned) getpid() % 250 + 1;
        snprintf(c.client4, sizeof c.client4, "198.18.%u.1", c.subnet);
        snprintf(c.server4, sizeof c.server4, "198.18.%u.2", c.subnet);
        snprintf(c.client6, sizeof c.client6, "fd00:%x::1", c.subnet);
        snprintf(c.server6, sizeof c.server6, "fd00:%x::2", c.subnet);

        /* Server namespace first, then the client's, where we stay. */
        c.server_ns = netns_require();
        c.client_ns = netns_new();
        if (c.client_ns < 0)
                test_skip("cannot create a network namespace: %s", strerror(-c.client_ns));
        c.client_inode = netns_inode(c.client_ns);
        if (netns_run(-1, "ip link set lo up && ip link add nc0 type veth peer name ns0 netns /proc/%d/fd/%d",
                      (int) getpid(), c.server_ns) != 0)
                test_skip("cannot create a veth pair between two namespaces");
        if (netns_run(-1, "ip addr add %s/24 dev nc0 && ip -6 addr add %s/64 dev nc0 nodad && ip link set nc0 up",
                      c.client4, c.client6) != 0 ||
            netns_run(c.server_ns, "ip addr add %s/24 dev ns0 && ip -6 addr add %s/64 dev ns0 nodad && ip link set ns0 up",
                      c.server4, c.server6) != 0) {
                fprintf(stderr, "cannot configure the namespaces\n");
                return EXIT_FAILURE;
        }

        global = &c;
        r = cmocka_run_group_tests(tests, NULL, NULL);
        close(c.client_ns);
        close(c.server_ns);
        return r;
}
