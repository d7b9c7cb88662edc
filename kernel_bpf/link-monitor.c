/* SPDX-License-Identifier: MIT */
/* link-monitor.h on libnl: one socket subscribed to the rtnetlink groups
 * (non-blocking, read by the loop) and one blocking socket for queries
 * (the link's state at start and after an overflow). */

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <linux/if.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/addr.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/neighbour.h>
#include <netlink/socket.h>

#include "link-monitor.h"
#include "log.h"
#include "macros.h"
#include "time-util.h"

/* Messages read per wakeup; the loop calls again while the socket holds
 * more (level-triggered). */
#define LINK_MONITOR_BATCH 64

typedef struct watched_neighbour {
        int family;
        uint8_t addr[16];
        bool failed; /* last known state was NUD_FAILED */
} watched_neighbour;

struct link_monitor {
        loop *loop;
        link_hint_handler handler;
        void *userdata;

        struct nl_sock *events; /* subscribed, non-blocking */
        struct nl_sock *query;  /* blocking, for rtnl_link_get_kernel() */
        loop_source *source;

        int ifindex;
        char ifname[IF_NAMESIZE];
        unsigned flags; /* IFF_* last seen */
        bool gone;

        watched_neighbour *neighbours;
        size_t n_neighbours;
};

static const char *const link_hint_kind_table[_LINK_HINT_KIND_MAX] = {
        [LINK_HINT_DOWN] = "down",
        [LINK_HINT_UP] = "up",
        [LINK_HINT_CARRIER_LOST] = "carrier-lost",
        [LINK_HINT_ADDRESS_REMOVED] = "address-removed",
        [LINK_HINT_NEIGH_FAILED] = "neighbour-failed",
};

const char *link_hint_kind_to_string(link_hint_kind k) {
        if ((unsigned) k >= ELEMENTSOF(link_hint_kind_table))
                return NULL;
        return link_hint_kind_table[k];
}

static void emit(link_monitor *m, link_hint_kind kind, const struct nl_addr *a, uint64_t now) {
        link_hint h = {
                .kind = kind,
                .ifindex = m->ifindex,
                .timestamp_usec = now,
        };

        memcpy(h.ifname, m->ifname, sizeof h.ifname);
        h.address.ss_family = AF_UNSPEC;
        if (a) {
                const void *bin = nl_addr_get_binary_addr(a);
                unsigned len = nl_addr_get_len(a);

                if (nl_addr_get_family(a) == AF_INET && len == 4) {
                        struct sockaddr_in *in = (struct sockaddr_in *) &h.address;

                        in->sin_family = AF_INET;
                        memcpy(&in->sin_addr, bin, 4);
                        h.address_len = sizeof *in;
                } else if (nl_addr_get_family(a) == AF_INET6 && len == 16) {
                        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *) &h.address;

                        in6->sin6_family = AF_INET6;
                        memcpy(&in6->sin6_addr, bin, 16);
                        h.address_len = sizeof *in6;
                }
                h.prefixlen = nl_addr_get_prefixlen(a);
        }
        log_debug("link-monitor: %s: %s", m->ifname, link_hint_kind_to_string(kind));
        m->handler(m, &h, m->userdata);
}

/* Compare the new flags with the last seen and report the difference. */
static void link_flags_changed(link_monitor *m, unsigned flags, uint64_t now) {
        unsigned old = m->flags;

        m->flags = flags;
        if ((old & IFF_UP) && !(flags & IFF_UP)) {
                emit(m, LINK_HINT_DOWN, NULL, now);
                return;
        }
        if (!(old & IFF_UP) && (flags & IFF_UP))
                emit(m, LINK_HINT_UP, NULL, now);
        if ((flags & IFF_UP) && (old & IFF_LOWER_UP) && !(flags & IFF_LOWER_UP))
                emit(m, LINK_HINT_CARRIER_LOST, NULL, now);
}

static void on_link(link_monitor *m, int type, struct rtnl_link *link, uint64_t now) {
        const char *name;

        if (rtnl_link_get_ifindex(link) != m->ifindex)
                return;
        if (type == RTM_DELLINK) {
                if (!m->gone && (m->flags & IFF_UP))
                        emit(m, LINK_HINT_DOWN, NULL, now);
                m->gone = true;
                m->flags = 0;
                return;
        }
        m->gone = false;
        name = rtnl_link_get_name(link);
        if (name)
                (void) snprintf(m->ifname, sizeof m->ifname, "%s", name);
        link_flags_changed(m, rtnl_link_get_flags(link), now);
}

static void on_addr(link_monitor *m, int type, struct rtnl_addr *addr, uint64_t now) {
        struct nl_addr *a;

        if (type != RTM_DELADDR || rtnl_addr_get_ifindex(addr) != m->ifindex)
                return;
        a = rtnl_addr_get_local(addr);
        if (!a)
                a = rtnl_addr_get_peer(addr);
        emit(m, LINK_HINT_ADDRESS_REMOVED, a, now);
}

static watched_neighbour *find_neighbour(link_monitor *m, int family, const void *bin, size_t len) {
        for (size_t i = 0; i < m->n_neighbours; i++) {
                watched_neighbour *w = m->neighbours + i;

                if (w->family == family && len == (family == AF_INET ? 4u : 16u) && memcmp(w->addr, bin, len) == 0)
                        return w;
        }
        return NULL;
}

static void on_neigh(link_monitor *m, int type, struct rtnl_neigh *neigh, uint64_t now) {
        struct nl_addr *dst;
        watched_neighbour *w;
        bool failed;

        if (rtnl_neigh_get_ifindex(neigh) != m->ifindex)
                return;
        dst = rtnl_neigh_get_dst(neigh);
        if (!dst)
                return;
        w = find_neighbour(m, nl_addr_get_family(dst), nl_addr_get_binary_addr(dst), nl_addr_get_len(dst));
        if (!w)
                return;
        failed = type == RTM_NEWNEIGH && (rtnl_neigh_get_state(neigh) & NUD_FAILED);
        if (failed && !w->failed)
                emit(m, LINK_HINT_NEIGH_FAILED, dst, now);
        w->failed = failed;
}

typedef struct parse_ctx {
        link_monitor *m;
        int type;
        uint64_t now;
} parse_ctx;

static void on_object(struct nl_object *obj, void *arg) {
        parse_ctx *c = arg;
        const char *t = nl_object_get_type(obj);

        if (!t)
                return;
        if ((strcmp(t, "route/link") == 0))
                on_link(c->m, c->type, (struct rtnl_link *) obj, c->now);
        else if ((strcmp(t, "route/addr") == 0))
                on_addr(c->m, c->type, (struct rtnl_addr *) obj, c->now);
        else if ((strcmp(t, "route/neigh") == 0))
                on_neigh(c->m, c->type, (struct rtnl_neigh *) obj, c->now);
}

static int on_valid(struct nl_msg *msg, void *arg) {
        parse_ctx c = {
                .m = arg,
                .type = nlmsg_hdr(msg)->nlmsg_type,
                .now = now_usec(),
        };

        switch (c.type) {
        case RTM_NEWLINK:
        case RTM_DELLINK:
        case RTM_DELADDR:
        case RTM_NEWNEIGH:
        case RTM_DELNEIGH:
                (void) nl_msg_parse(msg, on_object, &c);
                break;
        default:
                break;
        }
        return NL_OK;
}

/* Read the link's state through the query socket. */
static int link_query(link_monitor *m, unsigned *ret_flags) {
        struct rtnl_link *link = NULL;
        int r;

        r = rtnl_link_get_kernel(m->query, m->ifindex, NULL, &link);
        if (r < 0)
                return r == -NLE_OBJ_NOTFOUND || r == -NLE_NODEV ? -ENODEV : -EIO;
        *ret_flags = rtnl_link_get_flags(link);
        if (rtnl_link_get_name(link))
                (void) snprintf(m->ifname, sizeof m->ifname, "%s", rtnl_link_get_name(link));
        rtnl_link_put(link);
        return 0;
}

static int on_socket(loop_source *s, int fd, uint32_t revents, void *userdata) {
        link_monitor *m = userdata;

        for (unsigned i = 0; i < LINK_MONITOR_BATCH; i++) {
                int r = nl_recvmsgs_default(m->events);

                if (r == 0 || r == -NLE_AGAIN)
                        break;
                if (r == -NLE_NOMEM) {
                        /* ENOBUFS: messages were lost. Re-read the link. */
                        unsigned flags;

                        log_debug("link-monitor: %s: socket overflow, resyncing", m->ifname);
                        if (link_query(m, &flags) >= 0) {
                                m->gone = false;
                                link_flags_changed(m, flags, now_usec());
                        } else if (!m->gone) {
                                if (m->flags & IFF_UP)
                                        emit(m, LINK_HINT_DOWN, NULL, now_usec());
                                m->gone = true;
                                m->flags = 0;
                        }
                        continue;
                }
                if (r < 0) {
                        /* A malformed message: skip it, keep the source. */
                        log_debug("link-monitor: %s: %s", m->ifname, nl_geterror(r));
                        break;
                }
        }
        return 0;
}

static int ifname_to_index(const char *ifname) {
        char *end;
        unsigned long v;
        unsigned idx;

        if (ifname[0] >= '0' && ifname[0] <= '9') {
                errno = 0;
                v = strtoul(ifname, &end, 10);
                if (errno == 0 && *end == 0 && v > 0 && v <= INT32_MAX)
                        return (int) v;
        }
        idx = if_nametoindex(ifname);
        if (idx == 0)
                return -ENODEV;
        return (int) idx;
}

int link_monitor_new(loop *l, const char *ifname, link_hint_handler h, void *userdata, link_monitor **ret) {
        link_monitor *m;
        int r;

        assert_return(l, -EINVAL);
        assert_return(ifname && ifname[0] && strlen(ifname) < IF_NAMESIZE, -EINVAL);
        assert_return(h, -EINVAL);
        assert_return(ret, -EINVAL);

        m = calloc(1, sizeof *m);
        if (!m)
                return -ENOMEM;
        m->loop = l;
        m->handler = h;
        m->userdata = userdata;
        (void) snprintf(m->ifname, sizeof m->ifname, "%s", ifname);

        r = ifname_to_index(ifname);
        if (r < 0)
                goto fail;
        m->ifindex = r;

        m->query = nl_socket_alloc();
        m->events = nl_socket_alloc();
        if (!m->query || !m->events) {
                r = -ENOMEM;
                goto fail;
        }
        r = nl_connect(m->query, NETLINK_ROUTE);
        if (r < 0) {
                r = -EIO;
                goto fail;
        }

        /* Subscribe before reading the state, so that no change falls
         * between the two. */
        nl_socket_disable_seq_check(m->events);
        r = nl_socket_modify_cb(m->events, NL_CB_VALID, NL_CB_CUSTOM, on_valid, m);
        if (r < 0) {
                r = -ENOMEM;
                goto fail;
        }
        r = nl_connect(m->events, NETLINK_ROUTE);
        if (r < 0) {
                r = -EIO;
                goto fail;
        }
        r = nl_socket_add_memberships(m->events, RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR, RTNLGRP_NEIGH, 0);
        if (r < 0) {
                r = -EIO;
                goto fail;
        }
        r = nl_socket_set_nonblocking(m->events);
        if (r < 0) {
                r = -EIO;
                goto fail;
        }
        /* Some slack against bursts (a flapping link, a neighbour storm). */
        (void) nl_socket_set_buffer_size(m->events, 1024 * 1024, 0);

        r = link_query(m, &m->flags);
        if (r < 0)
                goto fail;

        r = loop_add_io(l, &m->source, nl_socket_get_fd(m->events), POLLIN, on_socket, m);
        if (r < 0)
                goto fail;

        *ret = m;
        return 0;

fail:
        log_debug("link-monitor: %s: %s", ifname, strerror(-r));
        link_monitor_free(m);
        return r;
}

int link_monitor_watch_neighbour(link_monitor *m, const struct sockaddr *addr, socklen_t len) {
        watched_neighbour w = {};
        watched_neighbour *n;

        assert_return(m, -EINVAL);
        assert_return(addr, -EINVAL);
        assert_return(len >= sizeof(sa_family_t), -EINVAL);

        switch (addr->sa_family) {
        case AF_INET:
                assert_return(len >= sizeof(struct sockaddr_in), -EINVAL);
                w.family = AF_INET;
                memcpy(w.addr, &((const struct sockaddr_in *) addr)->sin_addr, 4);
                break;
        case AF_INET6:
                assert_return(len >= sizeof(struct sockaddr_in6), -EINVAL);
                w.family = AF_INET6;
                memcpy(w.addr, &((const struct sockaddr_in6 *) addr)->sin6_addr, 16);
                break;
        default:
                return -EAFNOSUPPORT;
        }

        if (find_neighbour(m, w.family, w.addr, w.family == AF_INET ? 4 : 16))
                return 0;
        n = reallocarray(m->neighbours, m->n_neighbours + 1, sizeof *n);
        if (!n)
                return -ENOMEM;
        m->neighbours = n;
        m->neighbours[m->n_neighbours++] = w;
        return 0;
}

int link_monitor_get_ifindex(const link_monitor *m) {
        assert_return(m, -EINVAL);
        return m->ifindex;
}

link_monitor *link_monitor_free(link_monitor *m) {
        if (!m)
                return NULL;
        m->source = loop_source_free(m->source);
        if (m->events)
                nl_socket_free(m->events);
        if (m->query)
                nl_socket_free(m->query);
        free(m->neighbours);
        return mfree(m);
}
