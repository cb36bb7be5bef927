// SPDX-License-Identifier: GPL-2.0
/*
 * vpnecmp daemon: the BGP feeder.
 *
 * The BGP daemon installs what it learns over each tunnel into a kernel
 * routing table of that tunnel's own (BIRD: one kernel protocol per table;
 * see Documentation/daemon.rst), never into the table that forwards: the
 * routes that carry traffic point at the vpnecmp group and belong to the
 * operator.  The bgp signal of a path is up while its table holds at least
 * one unicast route (inside one of its prefixes, if any are configured), so
 * it drops when the session over that tunnel goes down or the cloud
 * withdraws, whatever the IPsec SA says.
 *
 * One plain non-blocking NETLINK_ROUTE socket, subscribed to the IPv4 and
 * IPv6 route groups, with a socket filter that drops the notifications of
 * every table nobody watches in the kernel already: a full table churning
 * elsewhere (an Internet feed, 50 000 routes of another VRF) never wakes the
 * daemon up.  The routes of the watched tables are kept in a small set
 * (they are a VPN's prefixes), each path has a count of the routes of its
 * table inside its prefixes, and every RTM_NEWROUTE/RTM_DELROUTE moves the
 * counts; nothing is rescanned.  When the kernel drops notifications
 * (ENOBUFS: the receive buffer overflowed) the watched tables, and only
 * those, are dumped again, one at a time, and routes the dump did not
 * return are forgotten.  Nothing here blocks: the dumps are read from the
 * poll loop like the notifications.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "daemon.h"

#ifndef NETLINK_GET_STRICT_CHK
#define NETLINK_GET_STRICT_CHK	12
#endif

#define BGP_RCVBUF	(8 << 20)	/* bytes: a burst of notifications */
#define BGP_BATCH	256		/* datagrams read per wake-up */
#define BGP_RXBUF	65536
#define BGP_RETRY_MS	1000		/* a dump the kernel refused */

/* One route of a watched table; the key is what tells two routes apart. */
struct bgp_route {
	uint8_t family;
	uint8_t dst_len;
	uint8_t tos;
	uint8_t stale;		/* not seen by the running dump (yet) */
	uint32_t table;
	uint32_t priority;
	uint32_t nh_hash;	/* oif, gateway, multipath, nexthop id */
	unsigned char dst[16];
};

/* A watched table: dumped at start and after lost notifications. */
struct bgp_table {
	uint32_t id;
	bool want_dump;		/* dump (again) when the socket is free */
	bool changed;		/* notifications came during its dump */
};

static struct vd_conf *bgp_conf;
static int bgp_fd = -1;
static uint32_t bgp_portid;
static uint32_t bgp_seq;
static struct bgp_table *bgp_tables;
static unsigned int bgp_ntables;
static int bgp_dumping = -1;	/* index of the table being dumped */
static struct bgp_route *bgp_routes;
static unsigned int bgp_nroutes, bgp_cap;
static unsigned int *bgp_count;	/* per path of bgp_conf */
static bool bgp_ready;		/* every table dumped once: counts are true */
static uint64_t bgp_retry_at;	/* a dump failed: next try, 0: none */
static unsigned char *bgp_buf;

static struct bgp_table *bgp_table_find(uint32_t id)
{
	for (unsigned int i = 0; i < bgp_ntables; i++)
		if (bgp_tables[i].id == id)
			return &bgp_tables[i];
	return NULL;
}

static void bgp_report(struct vd_path *p, unsigned int n)
{
	char why[64];

	snprintf(why, sizeof(why), "%u route%s in table %u", n, n == 1 ? "" : "s",
		 p->bgp_table);
	vd_signal(p, VPNECMP_SIGNAL_BGP, n > 0, why);
}

/* A route of a watched table appears (delta 1) or goes away (-1). */
static void bgp_account(const struct bgp_route *r, int delta)
{
	for (unsigned int i = 0; i < bgp_conf->npaths; i++) {
		struct vd_path *p = &bgp_conf->paths[i];

		if (p->bgp_table != r->table || !vd_prefix_match(p, r->family, r->dst, r->dst_len))
			continue;
		if (delta < 0 && !bgp_count[i])
			continue;
		bgp_count[i] += (unsigned int)delta;
		/* Until the first dump is whole, a zero means "not known yet". */
		if (bgp_ready)
			bgp_report(p, bgp_count[i]);
	}
}

static bool bgp_same(const struct bgp_route *a, const struct bgp_route *b, bool nh)
{
	return a->family == b->family && a->dst_len == b->dst_len && a->tos == b->tos &&
	       a->table == b->table && a->priority == b->priority &&
	       (!nh || a->nh_hash == b->nh_hash) && !memcmp(a->dst, b->dst, sizeof(a->dst));
}

static void bgp_remove_at(unsigned int i)
{
	struct bgp_route r = bgp_routes[i];

	bgp_routes[i] = bgp_routes[--bgp_nroutes];
	bgp_account(&r, -1);
}

static void bgp_add(const struct bgp_route *r, bool replace)
{
	for (unsigned int i = 0; i < bgp_nroutes; i++) {
		if (!bgp_same(&bgp_routes[i], r, !replace))
			continue;
		if (bgp_same(&bgp_routes[i], r, true)) {
			bgp_routes[i].stale = 0;
			return;
		}
		/* a replace: the route's nexthops changed, it is still there */
		bgp_routes[i] = *r;
		return;
	}
	if (bgp_nroutes == bgp_cap) {
		unsigned int cap = bgp_cap ? bgp_cap * 2 : 64;
		void *n = realloc(bgp_routes, cap * sizeof(*bgp_routes));

		if (!n) {
			vd_log(2, "bgp: out of memory for the routes of table %u", r->table);
			return;
		}
		bgp_routes = n;
		bgp_cap = cap;
	}
	bgp_routes[bgp_nroutes++] = *r;
	bgp_account(r, 1);
}

static void bgp_del(const struct bgp_route *r)
{
	for (unsigned int i = 0; i < bgp_nroutes; i++) {
		if (bgp_same(&bgp_routes[i], r, true)) {
			bgp_remove_at(i);
			return;
		}
	}
	/* same key, other nexthops (a replace we saw as add): still one route */
	for (unsigned int i = 0; i < bgp_nroutes; i++) {
		if (bgp_same(&bgp_routes[i], r, false)) {
			bgp_remove_at(i);
			return;
		}
	}
}

static uint32_t bgp_hash(uint32_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 16777619U;
	return h;
}

/* A route message into r; false if it is not one of a watched table. */
static bool bgp_parse(const struct nlmsghdr *h, struct bgp_route *r)
{
	const struct rtmsg *rtm = NLMSG_DATA(h);
	int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*rtm));
	const struct rtattr *a;

	if (len < 0)
		return false;
	memset(r, 0, sizeof(*r));
	r->table = rtm->rtm_table;
	r->nh_hash = 2166136261U;
	for (a = RTM_RTA(rtm); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		size_t n = RTA_PAYLOAD(a);

		switch (a->rta_type) {
		case RTA_TABLE:
			if (n >= 4)
				memcpy(&r->table, RTA_DATA(a), 4);
			break;
		case RTA_DST:
			memcpy(r->dst, RTA_DATA(a), n < sizeof(r->dst) ? n : sizeof(r->dst));
			break;
		case RTA_PRIORITY:
			if (n >= 4)
				memcpy(&r->priority, RTA_DATA(a), 4);
			break;
		case RTA_OIF:
		case RTA_GATEWAY:
		case RTA_VIA:
		case RTA_MULTIPATH:
		case RTA_NH_ID:
			r->nh_hash = bgp_hash(r->nh_hash, &a->rta_type, sizeof(a->rta_type));
			r->nh_hash = bgp_hash(r->nh_hash, RTA_DATA(a), n);
			break;
		}
	}
	if (rtm->rtm_type != RTN_UNICAST || !bgp_table_find(r->table))
		return false;
	if (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6)
		return false;
	r->family = rtm->rtm_family;
	r->dst_len = rtm->rtm_dst_len;
	r->tos = rtm->rtm_tos;
	return true;
}

/*
 * Socket filter: route notifications of unwatched tables never reach us.
 * The tables the file accepts (1..252) all fit rtm_table; netlink headers
 * are in host order, and BPF half-word loads are in network order.
 */
static int bgp_filter(void)
{
	unsigned int n = bgp_ntables, k = 0;
	struct sock_filter *f = calloc(n + 8, sizeof(*f));
	struct sock_fprog prog;
	int ret;

	if (!f)
		return -ENOMEM;
	f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_H | BPF_ABS,
					      offsetof(struct nlmsghdr, nlmsg_type));
	f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, htons(RTM_NEWROUTE), 1, 0);
	f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, htons(RTM_DELROUTE), 0,
					      (uint8_t)(n + 2));
	f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_B | BPF_ABS,
					      NLMSG_HDRLEN + offsetof(struct rtmsg, rtm_table));
	for (unsigned int i = 0; i < n; i++)
		f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, bgp_tables[i].id,
						      (uint8_t)(n - i), 0);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0xffffffff);
	prog.len = (unsigned short)k;
	prog.filter = f;
	ret = setsockopt(bgp_fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) ? -errno : 0;
	free(f);
	return ret;
}

static int bgp_socket(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int one = 1, size = BGP_RCVBUF;
	unsigned int groups[] = { RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE };
	socklen_t sl = sizeof(sa);

	bgp_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (bgp_fd < 0)
		return -errno;
	/* FORCE needs CAP_NET_ADMIN, which the daemon has; else up to rmem_max */
	if (setsockopt(bgp_fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		setsockopt(bgp_fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	/* the kernel filters the dumps by table (4.20+) */
	setsockopt(bgp_fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one, sizeof(one));
	if (bgp_filter() || bind(bgp_fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(bgp_fd, (struct sockaddr *)&sa, &sl))
		return -errno;
	bgp_portid = sa.nl_pid;
	for (unsigned int i = 0; i < 2; i++)
		if (setsockopt(bgp_fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &groups[i],
			       sizeof(groups[i])))
			return -errno;
	return 0;
}

/* Start the next wanted dump, if the socket has none running. */
static void bgp_dump_next(void)
{
	struct {
		struct nlmsghdr h;
		struct rtmsg rtm;
		struct rtattr ta;
		uint32_t table;
	} req;
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };

	if (bgp_dumping >= 0 || (bgp_retry_at && vd_now_ms() < bgp_retry_at))
		return;
	bgp_retry_at = 0;
	for (unsigned int i = 0; i < bgp_ntables; i++) {
		struct bgp_table *t = &bgp_tables[i];

		if (!t->want_dump)
			continue;
		memset(&req, 0, sizeof(req));
		req.h.nlmsg_len = sizeof(req);
		req.h.nlmsg_type = RTM_GETROUTE;
		req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
		req.h.nlmsg_seq = ++bgp_seq;
		req.rtm.rtm_family = AF_UNSPEC;
		req.rtm.rtm_table = (unsigned char)t->id;
		req.ta.rta_type = RTA_TABLE;
		req.ta.rta_len = RTA_LENGTH(sizeof(uint32_t));
		req.table = t->id;
		if (sendto(bgp_fd, &req, sizeof(req), 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
			/* EAGAIN/ENOBUFS: the timer tries again */
			vd_log(4, "bgp: cannot dump table %u: %s", t->id, strerror(errno));
			bgp_retry_at = vd_now_ms() + BGP_RETRY_MS;
			return;
		}
		t->want_dump = false;
		t->changed = false;
		for (unsigned int j = 0; j < bgp_nroutes; j++)
			if (bgp_routes[j].table == t->id)
				bgp_routes[j].stale = 1;
		bgp_dumping = (int)i;
		return;
	}
	if (!bgp_ready) {
		/* every table read once: say what each path has */
		bgp_ready = true;
		for (unsigned int i = 0; i < bgp_conf->npaths; i++)
			if (bgp_conf->paths[i].bgp_table)
				bgp_report(&bgp_conf->paths[i], bgp_count[i]);
	}
}

static void bgp_dump_done(bool ok)
{
	struct bgp_table *t = &bgp_tables[bgp_dumping];

	bgp_dumping = -1;
	if (!ok) {
		t->want_dump = true;
		bgp_retry_at = vd_now_ms() + BGP_RETRY_MS;
		return;
	}
	/* what the dump did not return is gone */
	for (unsigned int i = 0; i < bgp_nroutes;) {
		if (bgp_routes[i].table == t->id && bgp_routes[i].stale)
			bgp_remove_at(i);
		else
			i++;
	}
	/* a notification may have crossed the dump: read the table once more */
	if (t->changed)
		t->want_dump = true;
}

static void bgp_lost(void)
{
	for (unsigned int i = 0; i < bgp_ntables; i++) {
		vd_log(4, "bgp: ENOBUFS: lost route notifications, re-dumping table %u",
		       bgp_tables[i].id);
		bgp_tables[i].want_dump = true;
	}
}

static void bgp_msg(const struct nlmsghdr *h)
{
	bool dump = bgp_dumping >= 0 && h->nlmsg_pid == bgp_portid &&
		    h->nlmsg_seq == bgp_seq;
	struct bgp_table *t;
	struct bgp_route r;

	if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
		if (!dump)
			return;
		if (h->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(h);

			vd_log(4, "bgp: dump of table %u failed: %s",
			       bgp_tables[bgp_dumping].id, strerror(-e->error));
		}
		bgp_dump_done(h->nlmsg_type == NLMSG_DONE);
		return;
	}
	if (h->nlmsg_type != RTM_NEWROUTE && h->nlmsg_type != RTM_DELROUTE)
		return;
	if (!bgp_parse(h, &r))
		return;
	t = bgp_table_find(r.table);
	if (!dump && bgp_dumping >= 0 && &bgp_tables[bgp_dumping] == t)
		t->changed = true;
	if (h->nlmsg_type == RTM_NEWROUTE)
		bgp_add(&r, !dump && (h->nlmsg_flags & NLM_F_REPLACE));
	else
		bgp_del(&r);
}

static void bgp_read(void)
{
	for (unsigned int n = 0; n < BGP_BATCH; n++) {
		ssize_t len = recv(bgp_fd, bgp_buf, BGP_RXBUF, 0);
		const struct nlmsghdr *h;
		int rest;

		if (len < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				bgp_lost();
				continue;
			}
			if (errno != EAGAIN)
				vd_log(3, "bgp: reading route notifications: %s", strerror(errno));
			break;
		}
		rest = (int)len;
		for (h = (const struct nlmsghdr *)bgp_buf; NLMSG_OK(h, rest);
		     h = NLMSG_NEXT(h, rest))
			bgp_msg(h);
	}
	bgp_dump_next();
}

static void bgp_close(void)
{
	if (bgp_fd >= 0)
		close(bgp_fd);
	bgp_fd = -1;
	free(bgp_tables);
	free(bgp_routes);
	free(bgp_count);
	free(bgp_buf);
	bgp_tables = NULL;
	bgp_routes = NULL;
	bgp_count = NULL;
	bgp_buf = NULL;
	bgp_ntables = bgp_nroutes = bgp_cap = 0;
	bgp_dumping = -1;
	bgp_ready = false;
	bgp_retry_at = 0;
}

static int bgp_open(struct vd_conf *conf)
{
	int ret;

	bgp_conf = conf;
	for (unsigned int i = 0; i < conf->npaths; i++) {
		uint32_t id = conf->paths[i].bgp_table;
		void *n;

		if (!id || bgp_table_find(id))
			continue;
		n = realloc(bgp_tables, (bgp_ntables + 1) * sizeof(*bgp_tables));
		if (!n)
			goto nomem;
		bgp_tables = n;
		bgp_tables[bgp_ntables++] = (struct bgp_table){ .id = id, .want_dump = true };
	}
	if (!bgp_ntables)
		return 0;
	bgp_count = calloc(conf->npaths, sizeof(*bgp_count));
	bgp_buf = malloc(BGP_RXBUF);
	if (!bgp_count || !bgp_buf)
		goto nomem;
	ret = bgp_socket();
	if (ret) {
		vd_log(3, "bgp: cannot follow the routing tables: %s", strerror(-ret));
		bgp_close();
		return ret;
	}
	bgp_dump_next();
	return 0;
nomem:
	vd_log(3, "bgp: out of memory");
	bgp_close();
	return -ENOMEM;
}

static int bgp_fds(int *fds, int max)
{
	if (bgp_fd < 0 || max < 1)
		return 0;
	fds[0] = bgp_fd;
	return 1;
}

static void bgp_handle(int fd)
{
	(void)fd;
	bgp_read();
}

/* A dump that could not be sent or failed is tried again later. */
static uint64_t bgp_deadline(void)
{
	return bgp_fd >= 0 ? bgp_retry_at : 0;
}

static void bgp_timer(uint64_t now)
{
	(void)now;
	bgp_dump_next();
}

const struct vd_feeder vd_feeder_bgp = {
	.name = "bgp",
	.open = bgp_open,
	.close = bgp_close,
	.fds = bgp_fds,
	.handle = bgp_handle,
	.deadline = bgp_deadline,
	.timer = bgp_timer,
};
