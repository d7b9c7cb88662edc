// SPDX-License-Identifier: MIT
/* Kernel side of net-hints.h: three BTF tracepoints on TCP sockets, filtered
 * to the remote endpoints in `peers`, reported through `events`. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#include "net-hints.h"

#define AF_INET 2
#define AF_INET6 10

char LICENSE[] SEC("license") = "Dual MIT/GPL";

/* Which hints to report, a mask of 1 << NET_HINTS_EV_*; set before load. */
const volatile __u32 hint_mask = ~0u;

struct {
        __uint(type, BPF_MAP_TYPE_HASH);
        __uint(max_entries, NET_HINTS_MAX_PEERS);
        __type(key, struct net_hints_peer_key);
        __type(value, __u8);
} peers SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_RINGBUF);
        __uint(max_entries, 256 * 1024);
} events SEC(".maps");

static __always_inline bool is_v4_mapped(const struct in6_addr *a) {
        return a->in6_u.u6_addr32[0] == 0 && a->in6_u.u6_addr32[1] == 0 &&
               a->in6_u.u6_addr32[2] == bpf_htonl(0x0000ffff);
}

/* Fill the key from the socket's remote end; false for non-IP sockets. */
static __always_inline bool peer_of(const struct sock *sk, struct net_hints_peer_key *k, __u16 *ret_family) {
        __u16 family = sk->__sk_common.skc_family;

        __builtin_memset(k, 0, sizeof(*k));
        if (family == AF_INET6) {
                struct in6_addr d = sk->__sk_common.skc_v6_daddr;

                if (is_v4_mapped(&d)) {
                        k->family = AF_INET;
                        __builtin_memcpy(k->addr, &d.in6_u.u6_addr32[3], 4);
                } else {
                        k->family = AF_INET6;
                        __builtin_memcpy(k->addr, &d, 16);
                }
        } else if (family == AF_INET) {
                __u32 d = sk->__sk_common.skc_daddr;

                k->family = AF_INET;
                __builtin_memcpy(k->addr, &d, 4);
        } else
                return false;
        k->port = sk->__sk_common.skc_dport;
        *ret_family = family;
        return true;
}

static __always_inline bool is_peer(struct net_hints_peer_key *k) {
        __u16 port = k->port;
        bool found;

        if (bpf_map_lookup_elem(&peers, k))
                return true;
        k->port = 0; /* every port of the address */
        found = bpf_map_lookup_elem(&peers, k) != NULL;
        k->port = port;
        return found;
}

static __always_inline int report(const struct sock *sk, __u32 kind) {
        struct net_hints_peer_key k;
        struct net_hints_event *e;
        __u16 family;

        /* sk may be a timewait or request socket (tcp_send_reset): read
         * nothing beyond struct sock_common, which all of them share. */
        if (!sk || !(hint_mask & (1u << kind)))
                return 0;
        if (!peer_of(sk, &k, &family))
                return 0;
        if (!is_peer(&k))
                return 0;

        e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
        if (!e)
                return 0;
        __builtin_memset(e, 0, sizeof(*e));
        e->timestamp_ns = bpf_ktime_get_ns();
        e->kind = kind;
        e->family = k.family;
        __builtin_memcpy(e->daddr, k.addr, 16);
        if (family == AF_INET6 && k.family == AF_INET6) {
                struct in6_addr s = sk->__sk_common.skc_v6_rcv_saddr;

                __builtin_memcpy(e->saddr, &s, 16);
        } else if (family == AF_INET6) {
                __u32 s = sk->__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr32[3];

                __builtin_memcpy(e->saddr, &s, 4);
        } else {
                __u32 s = sk->__sk_common.skc_rcv_saddr;

                __builtin_memcpy(e->saddr, &s, 4);
        }
        e->dport = bpf_ntohs(k.port);
        e->sport = sk->__sk_common.skc_num;
        e->state = sk->__sk_common.skc_state;
        e->netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
        bpf_ringbuf_submit(e, 0);
        return 0;
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(net_hints_retransmit, const struct sock *sk, const struct sk_buff *skb) {
        return report(sk, NET_HINTS_EV_RETRANSMIT);
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(net_hints_receive_reset, struct sock *sk) {
        return report(sk, NET_HINTS_EV_RESET_RECEIVED);
}

/* sk is NULL for a reset answering a segment no socket wanted: then there is
 * no connection to speak of, and we report nothing. */
SEC("tp_btf/tcp_send_reset")
int BPF_PROG(net_hints_send_reset, const struct sock *sk, const struct sk_buff *skb) {
        return report(sk, NET_HINTS_EV_RESET_SENT);
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(net_hints_set_state, const struct sock *sk, const int oldstate, const int newstate) {
        if (oldstate != TCP_ESTABLISHED || newstate != TCP_CLOSE)
                return 0;
        if (sk->sk_protocol != IPPROTO_TCP) /* MPTCP, SCTP use it too */
                return 0;
        return report(sk, NET_HINTS_EV_ABORT);
}
