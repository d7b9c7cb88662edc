/* SPDX-License-Identifier: MIT */
#pragma once

/* Link monitor: what rtnetlink says about one interface, as hints.
 *
 * A NETLINK_ROUTE socket (libnl) subscribed to RTNLGRP_LINK,
 * RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR and RTNLGRP_NEIGH, non-blocking,
 * read by the loop. For the watched interface it reports:
 *   LINK_HINT_DOWN             IFF_UP was cleared (or the link was deleted)
 *   LINK_HINT_UP               IFF_UP was set again
 *   LINK_HINT_CARRIER_LOST     IFF_LOWER_UP was cleared while IFF_UP stayed
 *                              (a link going down loses its carrier too, but
 *                              is reported as LINK_HINT_DOWN only)
 *   LINK_HINT_ADDRESS_REMOVED  an IPv4 or IPv6 address was removed from it
 *   LINK_HINT_NEIGH_FAILED     the neighbour entry of a watched address went
 *                              to NUD_FAILED (nobody answered ARP / NDP)
 * Hints are facts about the link, never a verdict on a peer.
 *
 * When the socket overflows (ENOBUFS) the monitor re-reads the link's
 * flags and reports the difference; addresses and neighbour changes in the
 * lost messages are not recovered. */

#include <net/if.h>
#include <stdint.h>
#include <sys/socket.h>

#include "loop.h"
#include "macros.h"

typedef enum link_hint_kind {
        LINK_HINT_DOWN,
        LINK_HINT_UP,
        LINK_HINT_CARRIER_LOST,
        LINK_HINT_ADDRESS_REMOVED,
        LINK_HINT_NEIGH_FAILED,
        _LINK_HINT_KIND_MAX,
} link_hint_kind;

typedef struct link_hint {
        link_hint_kind kind;
        int ifindex;
        char ifname[IF_NAMESIZE];
        /* LINK_HINT_ADDRESS_REMOVED: the address (and its prefix length);
         * LINK_HINT_NEIGH_FAILED: the neighbour's address. Port 0.
         * ss_family is AF_UNSPEC for the other kinds. */
        struct sockaddr_storage address;
        socklen_t address_len;
        unsigned prefixlen;
        /* When the monitor read it, CLOCK_MONOTONIC microseconds. */
        uint64_t timestamp_usec;
} link_hint;

typedef struct link_monitor link_monitor;

/* Called on the loop thread. The handler may call
 * link_monitor_watch_neighbour(); it must not free m. */
typedef void (*link_hint_handler)(link_monitor *m, const link_hint *hint, void *userdata);

/* Watch ifname, an interface name or a decimal interface index, in the
 * caller's network namespace. -ENODEV when there is no such interface;
 * -EINVAL for a NULL or over-long ifname, NULL l, h or ret; the errno of
 * the netlink socket otherwise. */
int link_monitor_new(loop *l, const char *ifname, link_hint_handler h, void *userdata, link_monitor **ret);
/* Report LINK_HINT_NEIGH_FAILED for addr (AF_INET or AF_INET6, the port
 * ignored) on the watched interface. Watching twice is fine.
 * -EAFNOSUPPORT for other families, -EINVAL for a short len. */
int link_monitor_watch_neighbour(link_monitor *m, const struct sockaddr *addr, socklen_t len);
/* The watched interface's index, or -EINVAL for NULL. */
int link_monitor_get_ifindex(const link_monitor *m);
/* Accepts NULL, returns NULL. */
link_monitor *link_monitor_free(link_monitor *m);

const char *link_hint_kind_to_string(link_hint_kind k) _pure_;
