/* SPDX-License-Identifier: MIT */
#pragma once

/* Network hints: per-peer facts the kernel sees before we do.
 *
 * Three BPF programs (net-hints.bpf.c) watch TCP sockets whose remote end is
 * in a peer map the host side fills: a retransmission to the peer, a reset
 * (received from the peer, or sent by us on a connection to it) and an
 * established connection to the peer going straight to CLOSE (an abort:
 * reset, retransmission timeout, keepalive failure, linger 0). Each becomes
 * one event on a ring buffer, read by the loop. A hint is a fact about one
 * connection, never a verdict on the peer: the failure detector weighs them.
 *
 * This header has two halves: the fixed-width structs shared with the BPF
 * side (libbpf-bootstrap's X.h), and the host API, hidden from the BPF
 * compiler. */

#ifdef __bpf__
#  include "vmlinux.h"
#else
#  include <linux/types.h>
#endif

#define NET_HINTS_MAX_PEERS 1024

enum {
        NET_HINTS_EV_RETRANSMIT = 0,
        NET_HINTS_EV_RESET_RECEIVED = 1,
        NET_HINTS_EV_RESET_SENT = 2,
        NET_HINTS_EV_ABORT = 3,
};

/* Key of the peer map. IPv4 addresses sit in addr[0..3], the rest is zero
 * (IPv4-mapped IPv6 addresses are folded to IPv4 on both sides). port is in
 * network byte order; 0 matches every port of the address. */
struct net_hints_peer_key {
        __u8 addr[16];
        __u16 family; /* AF_INET or AF_INET6 */
        __u16 port;
};

/* One event on the ring buffer. Ports in host byte order. */
struct net_hints_event {
        __u64 timestamp_ns; /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
        __u8 daddr[16];
        __u8 saddr[16];
        __u32 kind;         /* NET_HINTS_EV_* */
        __u32 netns;        /* inode number of the socket's network namespace */
        __u16 family;
        __u16 dport;
        __u16 sport;
        __u16 state;        /* TCP state of the socket when it happened */
};

#ifndef __bpf__

#include <stdint.h>
#include <sys/socket.h>

#include "loop.h"
#include "macros.h"

typedef enum net_hint_kind {
        NET_HINT_RETRANSMIT, /* a segment to the peer was retransmitted */
        NET_HINT_RESET,      /* a reset was received from, or sent to, the peer */
        NET_HINT_ABORT,      /* an established connection to the peer went to CLOSE */
        _NET_HINT_KIND_MAX,
} net_hint_kind;

typedef struct net_hint {
        net_hint_kind kind;
        /* The peer: AF_INET or AF_INET6 with the connection's remote port. */
        struct sockaddr_storage peer;
        socklen_t peer_len;
        /* Our end of the connection. */
        struct sockaddr_storage local;
        socklen_t local_len;
        /* For NET_HINT_RESET: whether we received it (true) or sent it. */
        bool received;
        /* Inode number of the socket's network namespace (as in
         * /proc/PID/ns/net), for consumers that run several. */
        uint32_t netns;
        /* When the kernel saw it, CLOCK_MONOTONIC microseconds. */
        uint64_t timestamp_usec;
} net_hint;

typedef struct net_hints net_hints;

/* Called on the loop thread for every hint about a registered peer. The
 * handler may add and remove peers; it must not free n. */
typedef void (*net_hint_handler)(net_hints *n, const net_hint *hint, void *userdata);

/* Load and attach the programs and start reading hints on l. On failure
 * *ret_reason (if not NULL) says why in words: -EOPNOTSUPP "built without
 * BPF"; -EPERM and the errno of the kernel's refusal otherwise (no
 * CAP_BPF, no BTF, the attach point missing). -EINVAL for a NULL l, h or
 * ret. */
int net_hints_new(loop *l, net_hint_handler h, void *userdata, net_hints **ret, const char **ret_reason);
/* Watch a peer: AF_INET or AF_INET6 (IPv4-mapped addresses count as IPv4),
 * port 0 for every port of the address. Adding a peer twice is fine.
 * -EAFNOSUPPORT for other families, -EINVAL for a short len, -E2BIG when
 * NET_HINTS_MAX_PEERS are watched already. */
int net_hints_add_peer(net_hints *n, const struct sockaddr *addr, socklen_t len);
/* -ENOENT when the peer was not watched. */
int net_hints_remove_peer(net_hints *n, const struct sockaddr *addr, socklen_t len);
/* Detach the programs and free. Accepts NULL, returns NULL. */
net_hints *net_hints_free(net_hints *n);

const char *net_hint_kind_to_string(net_hint_kind k) _pure_;

#endif
