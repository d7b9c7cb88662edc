/* SPDX-License-Identifier: MIT */
/* link-monitor.h against a real kernel: the whole program runs in a network
 * namespace of its own (test-net-helpers.h) with a veth pair lm0/lm1 in it;
 * the monitor watches lm0. */

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "link-monitor.h"
#include "loop.h"
#include "test-net-helpers.h"

#define MAX_HINTS 64

typedef struct ctx {
        loop *loop;
        link_monitor *m;
        link_hint hints[MAX_HINTS];
        size_t n_hints;
        int ns_fd;
        unsigned subnet; /* third octet of 198.19.X.0/24, from the pid */
} ctx;

static ctx *global;

static void on_hint(link_monitor *m, const link_hint *h, void *userdata) {
        ctx *c = userdata;

        if (c->n_hints < MAX_HINTS)
                c->hints[c->n_hints++] = *h;
}

static const link_hint *find_hint(ctx *c, link_hint_kind kind) {
        for (size_t i = 0; i < c->n_hints; i++)
                if (c->hints[i].kind == kind)
                        return c->hints + i;
        return NULL;
}

/* Let pending notifications through, then forget them. */
static void drain(ctx *c) {
        uint64_t end = now_usec() + 50 * USEC_PER_MSEC;

        while (now_usec() < end)
                (void) loop_run_once(c->loop, 10 * USEC_PER_MSEC);
        c->n_hints = 0;
}

static int set_flags(const char *ifname, bool up) {
        struct ifreq ifr = {};
        int fd, r = 0;

        fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
        if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
                r = -errno;
        else {
                if (up)
                        ifr.ifr_flags |= IFF_UP;
                else
                        ifr.ifr_flags &= ~IFF_UP;
                if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
                        r = -errno;
        }
        close(fd);
        return r;
}

static int setup(void **state) {
        ctx *c = global;

        c->n_hints = 0;
        if (netns_run(-1, "ip link add lm0 type veth peer name lm1 && ip link set lm0 up && ip link set lm1 up") != 0)
                return -1;
        if (loop_new(&c->loop) < 0)
                return -1;
        if (link_monitor_new(c->loop, "lm0", on_hint, c, &c->m) < 0)
                return -1;
        drain(c);
        *state = c;
        return 0;
}

static int teardown(void **state) {
        ctx *c = global;

        c->m = link_monitor_free(c->m);
        c->loop = loop_free(c->loop);
        (void) netns_run(-1, "ip link del lm0 2>/dev/null");
        return 0;
}

static void test_args(void **state) {
        ctx *c = *state;
        link_monitor *m = NULL;
        struct sockaddr_un { sa_family_t f; char p[8]; } un = { .f = AF_UNIX };
        char idx[16];

        assert_int_equal(link_monitor_new(NULL, "lm0", on_hint, c, &m), -EINVAL);
        assert_int_equal(link_monitor_new(c->loop, NULL, on_hint, c, &m), -EINVAL);
        assert_int_equal(link_monitor_new(c->loop, "", on_hint, c, &m), -EINVAL);
        assert_int_equal(link_monitor_new(c->loop, "lm0-name-far-too-long", on_hint, c, &m), -EINVAL);
        assert_int_equal(link_monitor_new(c->loop, "lm0", NULL, c, &m), -EINVAL);
        assert_int_equal(link_monitor_new(c->loop, "lm0", on_hint, c, NULL), -EINVAL);
        assert_int_equal(link_monitor_new(c->loop, "nosuchif9", on_hint, c, &m), -ENODEV);
        assert_null(m);

        /* By index. */
        snprintf(idx, sizeof idx, "%u", if_nametoindex("lm0"));
        assert_int_equal(link_monitor_new(c->loop, idx, on_hint, c, &m), 0);
        assert_int_equal(link_monitor_get_ifindex(m), (int) if_nametoindex("lm0"));
        m = link_monitor_free(m);
        assert_null(link_monitor_free(NULL));

        assert_int_equal(link_monitor_get_ifindex(NULL), -EINVAL);
        assert_int_equal(link_monitor_watch_neighbour(NULL, (const struct sockaddr *) &un, sizeof un), -EINVAL);
        assert_int_equal(link_monitor_watch_neighbour(c->m, NULL, 0), -EINVAL);
        assert_int_equal(link_monitor_watch_neighbour(c->m, (const struct sockaddr *) &un, sizeof un), -EAFNOSUPPORT);
        assert_string_equal(link_hint_kind_to_string(LINK_HINT_NEIGH_FAILED), "neighbour-failed");
        assert_null(link_hint_kind_to_string(_LINK_HINT_KIND_MAX));
}

static void test_down_up(void **state) {
        ctx *c = *state;
        const link_hint *h;
        uint64_t t0;

        t0 = now_usec();
        assert_int_equal(set_flags("lm0", false), 0);
        assert_true(NETNS_WAIT(c->loop, find_hint(c, LINK_HINT_DOWN), USEC_PER_SEC));
        h = find_hint(c, LINK_HINT_DOWN);
        assert_string_equal(h->ifname, "lm0");
        assert_int_equal(h->ifindex, (int) if_nametoindex("lm0"));
        assert_int_equal(h->address.ss_family, AF_UNSPEC);
        fprintf(stderr, "# link down -> LINK_HINT_DOWN: %.3f ms (from the ioctl to the read)\n",
                (double) (h->timestamp_usec - t0) / 1000.0);
        assert_true(h->timestamp_usec - t0 < USEC_PER_SEC);
        /* A link going down loses its carrier, reported as DOWN alone. */
        assert_null(find_hint(c, LINK_HINT_CARRIER_LOST));

        c->n_hints = 0;
        t0 = now_usec();
        assert_int_equal(set_flags("lm0", true), 0);
        assert_true(NETNS_WAIT(c->loop, find_hint(c, LINK_HINT_UP), USEC_PER_SEC));
        fprintf(stderr, "# link up -> LINK_HINT_UP: %.3f ms\n",
                (double) (find_hint(c, LINK_HINT_UP)->timestamp_usec - t0) / 1000.0);
        assert_null(find_hint(c, LINK_HINT_DOWN));
}

static void test_carrier(void **state) {
        ctx *c = *state;
        const link_hint *h;
        uint64_t t0;

        /* Taking the far end down takes lm0's carrier (IFF_LOWER_UP). */
        t0 = now_usec();
        assert_int_equal(set_flags("lm1", false), 0);
        assert_true(NETNS_WAIT(c->loop, find_hint(c, LINK_HINT_CARRIER_LOST), USEC_PER_SEC));
        h = find_hint(c, LINK_HINT_CARRIER_LOST);
        assert_string_equal(h->ifname, "lm0");
        fprintf(stderr, "# peer down -> LINK_HINT_CARRIER_LOST: %.3f ms\n", (double) (h->timestamp_usec - t0) / 1000.0);
        assert_null(find_hint(c, LINK_HINT_DOWN));
}

static void test_address_removed(void **state) {
        ctx *c = *state;
        const link_hint *h;
        const struct sockaddr_in *in;
        const struct sockaddr_in6 *in6;
        char a4[32], a6[64], buf[INET6_ADDRSTRLEN];
        uint64_t t0;

        snprintf(a4, sizeof a4, "198.19.%u.1", c->subnet);
        snprintf(a6, sizeof a6, "fd00:%x::1", c->subnet + 0x100);
        assert_int_equal(netns_run(-1, "ip addr add %s/24 dev lm0 && ip -6 addr add %s/64 dev lm0 nodad", a4, a6), 0);
        drain(c);

        t0 = now_usec();
        assert_int_equal(netns_run(-1, "ip addr del %s/24 dev lm0", a4), 0);
        assert_true(NETNS_WAIT(c->loop, find_hint(c, LINK_HINT_ADDRESS_REMOVED), USEC_PER_SEC));
        h = find_hint(c, LINK_HINT_ADDRESS_REMOVED);
        fprintf(stderr, "# ip addr del -> LINK_HINT_ADDRESS_REMOVED: %.3f ms (includes running ip)\n",
                (double) (h->timestamp_usec - t0) / 1000.0);
        assert_int_equal(h->address.ss_family, AF_INET);
        in = (const struct sockaddr_in *) &h->address;
        assert_string_equal(inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf), a4);
        assert_int_equal(h->prefixlen, 24);

        c->n_hints = 0;
        assert_int_equal(netns_run(-1, "ip -6 addr del %s/64 dev lm0", a6), 0);
        assert_true(NETNS_WAIT(c->loop, find_hint(c, LINK_HINT_ADDRESS_REMOVED), USEC_PER_SEC));
        h = find_hint(c, LINK_HINT_ADDRESS_REMOVED);
        assert_int_equal(h->address.ss_family, AF_INET6);
        in6 = (const struct sockaddr_in6 *) &h->address;
        assert_string_equal(inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf), a6);
        assert_int_equal(h->prefixlen, 64);

        /* Another interface's addresses are not ours. */
        c->n_hints = 0;
        assert_int_equal(netns_run(-1, "ip addr add %s/24 dev lm1 && ip addr del %s/24 dev lm1", a4, a4), 0);
        drain(c);
        assert_null(find_hint(c, LINK_HINT_ADDRESS_REMOVED));
}

/* Send one datagram to an address nobody has: the kernel asks ARP (or NDP)
 * on lm0, nobody answers (lm1 has no addresses), the entry goes FAILED. */
static void poke(int family, const char *addr) {
        struct sockaddr_storage ss = {};
        socklen_t len;
        int fd;

        if (family == AF_INET) {
                struct sockaddr_in *in = (struct sockaddr_in *) &ss;
                in->sin_family = AF_INET;
                in->sin_port = htons(9);
                assert_int_equal(inet_pton(AF_INET, addr, &in->sin_addr), 1);
                len = sizeof *in;
        } else {
                struct sockaddr_in6 *in6 = (struct sockaddr_in6 *) &ss;
                in6->sin6_family = AF_INET6;
                in6->sin6_port = htons(9);
                assert_int_equal(inet_pton(AF_INET6, addr, &in6->sin6_addr), 1);
                len = sizeof *in6;
        }
        fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        assert_true(fd >= 0);
        (void) sendto(fd, "x", 1, MSG_DONTWAIT, (struct sockaddr *) &ss, len);
        close(fd);
}

static void test_neighbour_failed(void **state) {
        ctx *c = *state;
        struct sockaddr_in peer = { .sin_family = AF_INET };
        struct sockaddr_in6 peer6 = { .sin6_family = AF_INET6 };
        char a4[32], p4[32], other4[32], a6[64], p6[64];
        const link_hint *h;
        uint64_t t0;

        snprintf(a4, sizeof a4, "198.19.%u.1", c->subnet);
        snprintf(p4, sizeof p4, "198.19.%u.99", c->subnet);
        snprintf(other4, sizeof other4, "198.19.%u.98", c->subnet);
        snprintf(a6, sizeof a6, "fd00:%x::1", c->subnet + 0x100);
        snprintf(p6, sizeof p6, "fd00:%x::99", c->subnet + 0x100);
        assert_int_equal(netns_run(-1, "ip addr add %s/24 dev lm0 && ip -6 addr add %s/64 dev lm0 nodad && "
                                       "echo 100 > /proc/sys/net/ipv4/neigh/lm0/retrans_time_ms && "
                                       "echo 100 > /proc/sys/net/ipv6/neigh/lm0/retrans_time_ms", a4, a6), 0);
        assert_int_equal(inet_pton(AF_INET, p4, &peer.sin_addr), 1);
        assert_int_equal(inet_pton(AF_INET6, p6, &peer6.sin6_addr), 1);
        assert_int_equal(link_monitor_watch_neighbour(c->m, (struct sockaddr *) &peer, sizeof peer), 0);
        assert_int_equal(link_monitor_watch_neighbour(c->m, (struct sockaddr *) &peer, sizeof peer), 0);
        assert_int_equal(link_monitor_watch_neighbour(c->m, (struct sockaddr *) &peer6, sizeof peer6), 0);
        drain(c);

        /* An unwatched address fails too, silently. */
        poke(AF_INET, other4);
        t0 = now_usec();
        poke(AF_INET, p4);
        assert_true(NETNS_WAIT(c->loop, find_hint(c, LINK_HINT_NEIGH_FAILED), 5 * USEC_PER_SEC));
        h = find_hint(c, LINK_HINT_NEIGH_FAILED);
        fprintf(stderr, "# unanswered ARP -> LINK_HINT_NEIGH_FAILED: %.1f ms (3 probes, 100 ms apart)\n",
                (double) (h->timestamp_usec - t0) / 1000.0);
        assert_int_equal(h->address.ss_family, AF_INET);
        assert_memory_equal(&((const struct sockaddr_in *) &h->address)->sin_addr, &peer.sin_addr, 4);
        drain(c);
        for (size_t i = 0; i < c->n_hints; i++)
                assert_int_not_equal(c->hints[i].kind, LINK_HINT_NEIGH_FAILED);

        c->n_hints = 0;
        t0 = now_usec();
        poke(AF_INET6, p6);
        assert_true(NETNS_WAIT(c->loop, find_hint(c, LINK_HINT_NEIGH_FAILED), 5 * USEC_PER_SEC));
        h = find_hint(c, LINK_HINT_NEIGH_FAILED);
        fprintf(stderr, "# unanswered NDP -> LINK_HINT_NEIGH_FAILED: %.1f ms\n", (double) (h->timestamp_usec - t0) / 1000.0);
        assert_int_equal(h->address.ss_family, AF_INET6);
        assert_memory_equal(&((const struct sockaddr_in6 *) &h->address)->sin6_addr, &peer6.sin6_addr, 16);
}

static void test_deleted(void **state) {
        ctx *c = *state;

        assert_int_equal(netns_run(-1, "ip link del lm0"), 0);
        assert_true(NETNS_WAIT(c->loop, find_hint(c, LINK_HINT_DOWN), USEC_PER_SEC));
}

int main(void) {
        static ctx c;
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_args, setup, teardown),
                cmocka_unit_test_setup_teardown(test_down_up, setup, teardown),
                cmocka_unit_test_setup_teardown(test_carrier, setup, teardown),
                cmocka_unit_test_setup_teardown(test_address_removed, setup, teardown),
                cmocka_unit_test_setup_teardown(test_neighbour_failed, setup, teardown),
                cmocka_unit_test_setup_teardown(test_deleted, setup, teardown),
        };

        alarm(120);
        c.ns_fd = netns_require();
        c.subnet = (unsigned) getpid() % 250 + 1;
        global = &c;
        return cmocka_run_group_tests(tests, NULL, NULL);
}
