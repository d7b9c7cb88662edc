/* SPDX-License-Identifier: MIT */
/* Host side of net-hints.h: the libbpf-bootstrap order, open → rodata →
 * load → attach → ring buffer → poll on the loop; teardown in reverse. */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "macros.h"
#include "net-hints.h"

static const char *const net_hint_kind_table[_NET_HINT_KIND_MAX] = {
        [NET_HINT_RETRANSMIT] = "retransmit",
        [NET_HINT_RESET] = "reset",
        [NET_HINT_ABORT] = "abort",
};

const char *net_hint_kind_to_string(net_hint_kind k) {
        if ((unsigned) k >= ELEMENTSOF(net_hint_kind_table))
                return NULL;
        return net_hint_kind_table[k];
}

/* The peer map's key from a socket address. */
static int peer_key_from_sockaddr(const struct sockaddr *addr, socklen_t len, struct net_hints_peer_key *ret) {
        struct net_hints_peer_key k = {};

        assert_return(addr, -EINVAL);
        assert_return(len >= sizeof(sa_family_t), -EINVAL);

        switch (addr->sa_family) {
        case AF_INET: {
                const struct sockaddr_in *in = (const struct sockaddr_in *) addr;

                assert_return(len >= sizeof(struct sockaddr_in), -EINVAL);
                k.family = AF_INET;
                memcpy(k.addr, &in->sin_addr, 4);
                k.port = in->sin_port;
                break;
        }
        case AF_INET6: {
                const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *) addr;

                assert_return(len >= sizeof(struct sockaddr_in6), -EINVAL);
                if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
                        k.family = AF_INET;
                        memcpy(k.addr, &in6->sin6_addr.s6_addr[12], 4);
                } else {
                        k.family = AF_INET6;
                        memcpy(k.addr, &in6->sin6_addr, 16);
                }
                k.port = in6->sin6_port;
                break;
        }
        default:
                return -EAFNOSUPPORT;
        }
        *ret = k;
        return 0;
}

#if HAVE_BPF

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "net-hints.skel.h"

struct net_hints {
        loop *loop;
        net_hint_handler handler;
        void *userdata;
        struct net_hints_bpf *skel;
        struct ring_buffer *rb;
        loop_source *rb_source;
        unsigned n_peers;
};

static int libbpf_print_debug(enum libbpf_print_level level, const char *fmt, va_list ap) {
        char buf[512];

        /* libbpf's own debug level is a trace of every relocation. */
        if (level == LIBBPF_DEBUG || !log_debug_enabled())
                return 0;
        (void) vsnprintf(buf, sizeof buf, fmt, ap);
        buf[strcspn(buf, "\n")] = 0;
        log_debug("%s", buf);
        return 0;
}

static void sockaddr_from_event(int family, const __u8 addr[16], uint16_t port, struct sockaddr_storage *ret, socklen_t *ret_len) {
        memset(ret, 0, sizeof *ret);
        if (family == AF_INET6) {
                struct sockaddr_in6 *in6 = (struct sockaddr_in6 *) ret;

                in6->sin6_family = AF_INET6;
                memcpy(&in6->sin6_addr, addr, 16);
                in6->sin6_port = htons(port);
                *ret_len = sizeof *in6;
        } else {
                struct sockaddr_in *in = (struct sockaddr_in *) ret;

                in->sin_family = AF_INET;
                memcpy(&in->sin_addr, addr, 4);
                in->sin_port = htons(port);
                *ret_len = sizeof *in;
        }
}

static int on_event(void *ctx, void *data, size_t size) {
        net_hints *n = ctx;
        const struct net_hints_event *e = data;
        net_hint h = {};

        if (size < sizeof *e)
                return 0;

        switch (e->kind) {
        case NET_HINTS_EV_RETRANSMIT:
                h.kind = NET_HINT_RETRANSMIT;
                break;
        case NET_HINTS_EV_RESET_RECEIVED:
                h.kind = NET_HINT_RESET;
                h.received = true;
                break;
        case NET_HINTS_EV_RESET_SENT:
                h.kind = NET_HINT_RESET;
                break;
        case NET_HINTS_EV_ABORT:
                h.kind = NET_HINT_ABORT;
                break;
        default:
                return 0;
        }
        sockaddr_from_event(e->family, e->daddr, e->dport, &h.peer, &h.peer_len);
        sockaddr_from_event(e->family, e->saddr, e->sport, &h.local, &h.local_len);
        h.netns = e->netns;
        h.timestamp_usec = e->timestamp_ns / NSEC_PER_USEC;
        n->handler(n, &h, n->userdata);
        return 0;
}

static int on_ring_buffer(loop_source *s, int fd, uint32_t revents, void *userdata) {
        net_hints *n = userdata;
        int r;

        r = ring_buffer__consume(n->rb);
        if (r < 0)
                return log_debug_errno(r, "net-hints: ring buffer: %s", strerror(-r));
        return 0;
}

int net_hints_new(loop *l, net_hint_handler h, void *userdata, net_hints **ret, const char **ret_reason) {
        const char *reason = NULL;
        net_hints *n;
        int r;

        assert_return(l, -EINVAL);
        assert_return(h, -EINVAL);
        assert_return(ret, -EINVAL);

        libbpf_set_print(libbpf_print_debug);

        n = calloc(1, sizeof *n);
        if (!n)
                return -ENOMEM;
        n->loop = l;
        n->handler = h;
        n->userdata = userdata;

        n->skel = net_hints_bpf__open();
        if (!n->skel) {
                r = errno > 0 ? -errno : -ENOMEM;
                reason = "cannot open the BPF object";
                goto fail;
        }

        n->skel->rodata->hint_mask = (1u << NET_HINTS_EV_RETRANSMIT) | (1u << NET_HINTS_EV_RESET_RECEIVED) |
                                     (1u << NET_HINTS_EV_RESET_SENT) | (1u << NET_HINTS_EV_ABORT);

        r = net_hints_bpf__load(n->skel);
        if (r < 0) {
                reason = r == -EPERM || r == -EACCES ? "not allowed to load BPF programs (needs CAP_BPF and CAP_PERFMON)"
                                                     : "the kernel refused the BPF programs (no BTF, or a missing attach point)";
                goto fail;
        }

        r = net_hints_bpf__attach(n->skel);
        if (r < 0) {
                reason = "cannot attach the BPF programs to the TCP tracepoints";
                goto fail;
        }

        n->rb = ring_buffer__new(bpf_map__fd(n->skel->maps.events), on_event, n, NULL);
        if (!n->rb) {
                r = errno > 0 ? -errno : -ENOMEM;
                reason = "cannot map the ring buffer";
                goto fail;
        }

        r = loop_add_io(l, &n->rb_source, ring_buffer__epoll_fd(n->rb), POLLIN, on_ring_buffer, n);
        if (r < 0) {
                reason = "cannot watch the ring buffer";
                goto fail;
        }

        *ret = n;
        return 0;

fail:
        log_debug("net-hints: %s: %s", reason, strerror(-r));
        if (ret_reason)
                *ret_reason = reason;
        net_hints_free(n);
        return r;
}

int net_hints_add_peer(net_hints *n, const struct sockaddr *addr, socklen_t len) {
        struct net_hints_peer_key k;
        __u8 one = 1;
        int r;

        assert_return(n, -EINVAL);

        r = peer_key_from_sockaddr(addr, len, &k);
        if (r < 0)
                return r;
        if (bpf_map_lookup_elem(bpf_map__fd(n->skel->maps.peers), &k, &one) == 0)
                return 0;
        if (n->n_peers >= NET_HINTS_MAX_PEERS)
                return -E2BIG;
        one = 1;
        r = bpf_map_update_elem(bpf_map__fd(n->skel->maps.peers), &k, &one, BPF_ANY);
        if (r < 0)
                return r == -E2BIG ? -E2BIG : r;
        n->n_peers++;
        return 0;
}

int net_hints_remove_peer(net_hints *n, const struct sockaddr *addr, socklen_t len) {
        struct net_hints_peer_key k;
        int r;

        assert_return(n, -EINVAL);

        r = peer_key_from_sockaddr(addr, len, &k);
        if (r < 0)
                return r;
        r = bpf_map_delete_elem(bpf_map__fd(n->skel->maps.peers), &k);
        if (r < 0)
                return r;
        if (n->n_peers > 0)
                n->n_peers--;
        return 0;
}

net_hints *net_hints_free(net_hints *n) {
        if (!n)
                return NULL;
        n->rb_source = loop_source_free(n->rb_source);
        ring_buffer__free(n->rb);
        net_hints_bpf__destroy(n->skel); /* detaches, then unloads */
        return mfree(n);
}

#else /* !HAVE_BPF */

/* Built without clang, bpftool or libbpf: the API is there and says so. */
struct net_hints {
        int unused;
};

int net_hints_new(loop *l, net_hint_handler h, void *userdata, net_hints **ret, const char **ret_reason) {
        assert_return(l, -EINVAL);
        assert_return(h, -EINVAL);
        assert_return(ret, -EINVAL);

        if (ret_reason)
                *ret_reason = "built without BPF";
        return -EOPNOTSUPP;
}

int net_hints_add_peer(net_hints *n, const struct sockaddr *addr, socklen_t len) {
        struct net_hints_peer_key k;

        assert_return(n, -EINVAL);
        return peer_key_from_sockaddr(addr, len, &k) < 0 ? -EINVAL : -EOPNOTSUPP;
}

int net_hints_remove_peer(net_hints *n, const struct sockaddr *addr, socklen_t len) {
        assert_return(n, -EINVAL);
        return -EOPNOTSUPP;
}

net_hints *net_hints_free(net_hints *n) {
        return mfree(n);
}

#endif
