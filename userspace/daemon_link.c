// SPDX-License-Identifier: GPL-2.0
/*
 * vpnecmp daemon: follow the paths' devices.
 *
 * A tunnel device can be deleted and created again under the same name (an
 * ifdown/ifup, a network manager, a script that rebuilds the tunnel): it is
 * then another device, with another ifindex.  The kernel deletes the
 * nexthops over the old one (the operator's setup adds them again), the
 * module's path still names the old ifindex, and a probe socket bound to it
 * would never see an answer again.
 *
 * One NETLINK_ROUTE socket, non-blocking, in the main loop, listens to
 * RTM_NEWLINK/RTM_DELLINK.  When a path's device goes away, its probe
 * signal drops ("device gone"); when a device of that name is there again,
 * the probe socket is opened on it, and once the path's nexthop forwards
 * over the new device (RTM_NEWNEXTHOP, or a retry every second) the path
 * is applied to the module again on the new ifindex.  No SIGHUP needed.
 * Lost notifications (ENOBUFS) are made up for by looking every path's
 * device up again.
 *
 * The same socket serves what waits at start: a group or path whose
 * nexthop or device does not exist yet (the IKE daemon or ifupdown creates
 * the tunnels after vpnecmp starts) is left out by daemon_apply.c, not an
 * error.  When a device or nexthop that something waits for appears, the
 * file is applied again (vd_reapply()).
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/nexthop.h>
#include <linux/rtnetlink.h>

#include "daemon.h"
#include "waiting.h"

#define LINK_RETRY_MS	1000
/* a path the module refuses is retried less and less often, up to this */
#define LINK_RETRY_MAX_MS	30000

struct link_path {
	unsigned int ifindex;	/* the device of the path's name now, 0: none */
	bool pending;		/* to be applied to the module on ifindex */
	bool told;		/* "waiting for the nexthop" logged */
	uint32_t backoff;	/* ms, after a refusal */
	uint64_t next_try;
};

static struct vd_conf *link_conf;
static struct link_path *links;
static int link_fd = -1;
static uint64_t link_retry;
static struct vd_wait link_wait;

/* Does the group of that name wait itself? */
static bool link_group_waits(const char *name)
{
	for (unsigned int i = 0; i < link_conf->ngroups && link_wait.groups; i++)
		if (!strcmp(link_conf->groups[i].name, name))
			return link_wait.groups[i];
	return false;
}

/*
 * Tell "path show" and the metrics what waits now (waiting.h): the groups
 * and paths of link_wait, and the paths whose re-created device is there
 * but not yet their nexthop over it.
 */
static void link_publish(void)
{
	struct vpnecmp_waiting *w;
	unsigned int n = 0;
	int ret;

	w = calloc(link_conf->ngroups + link_conf->npaths + 1, sizeof(*w));
	if (!w)
		return;
	for (unsigned int i = 0; i < link_conf->ngroups && link_wait.groups; i++) {
		const struct vd_group *g = &link_conf->groups[i];

		if (!link_wait.groups[i])
			continue;
		w[n].group = true;
		snprintf(w[n].name, sizeof(w[n].name), "%s", g->name);
		w[n].nhid = g->nhid;
		w[n++].wait_for = VPNECMP_WAIT_NEXTHOP;
	}
	for (unsigned int i = 0; i < link_conf->npaths; i++) {
		const struct vd_path *p = &link_conf->paths[i];
		bool waits = link_wait.paths && link_wait.paths[i];

		if (!waits && !(links && links[i].pending))
			continue;
		snprintf(w[n].name, sizeof(w[n].name), "%s", p->name);
		snprintf(w[n].in_group, sizeof(w[n].in_group), "%s", p->group);
		snprintf(w[n].dev, sizeof(w[n].dev), "%s", p->dev);
		w[n].nhid = p->nhid;
		if (!if_nametoindex(p->dev))
			w[n].wait_for = VPNECMP_WAIT_DEVICE;
		else if (waits && link_group_waits(p->group))
			w[n].wait_for = VPNECMP_WAIT_GROUP;
		else
			w[n].wait_for = VPNECMP_WAIT_NEXTHOP;
		n++;
	}
	ret = vpnecmp_waiting_write(w, n);
	if (ret)
		vd_log(4, "link: cannot tell what waits: %s", strerror(-ret));
	free(w);
}

/* What waits now; true if anything does. */
static bool link_scan(void)
{
	bool any;

	vd_wait_free(&link_wait);
	any = vd_conf_waiting(link_conf, &link_wait, false) > 0;
	link_publish();
	return any;
}

/* A device (dev) or nexthop (nhid) appeared: does anything wait for it? */
static bool link_wanted(const char *dev, uint32_t nhid)
{
	bool hit = false;

	if (!link_wait.paths || !link_wait.groups)
		return false;
	for (unsigned int i = 0; i < link_conf->npaths; i++) {
		const struct vd_path *p = &link_conf->paths[i];

		if (!link_wait.paths[i] || (dev ? strcmp(p->dev, dev) != 0 : p->nhid != nhid))
			continue;
		if (dev)
			vd_log(6, "path %s: device %s appeared", p->name, dev);
		else
			vd_log(6, "path %s: nexthop %u appeared", p->name, nhid);
		hit = true;
	}
	for (unsigned int i = 0; i < link_conf->ngroups && !dev; i++) {
		if (!link_wait.groups[i] || link_conf->groups[i].nhid != nhid)
			continue;
		vd_log(6, "group %s: nexthop %u appeared", link_conf->groups[i].name, nhid);
		hit = true;
	}
	return hit;
}

static void link_close(void)
{
	if (link_fd >= 0)
		close(link_fd);
	link_fd = -1;
	free(links);
	links = NULL;
	link_conf = NULL;
	link_retry = 0;
	vd_wait_free(&link_wait);
}

static int link_open(struct vd_conf *conf)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
	int grp = RTNLGRP_NEXTHOP, sz = 1 << 20;

	link_conf = conf;
	if (!conf->npaths && !link_scan())
		return 0;
	links = calloc(conf->npaths ? conf->npaths : 1, sizeof(*links));
	link_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (!links || link_fd < 0 || bind(link_fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    setsockopt(link_fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp))) {
		vd_log(3, "link: cannot follow the devices: %s", strerror(links ? errno : ENOMEM));
		link_close();
		return -1;
	}
	/* a burst of link changes must not be lost; FORCE needs CAP_NET_ADMIN */
	if (setsockopt(link_fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)))
		setsockopt(link_fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	for (unsigned int i = 0; i < conf->npaths; i++)
		links[i].ifindex = if_nametoindex(conf->paths[i].dev);
	link_scan();
	return 0;
}

/* The device of path i is now ifindex (0: gone). */
static void link_set(unsigned int i, unsigned int ifindex)
{
	struct vd_path *p = &link_conf->paths[i];
	struct link_path *l = &links[i];

	if (l->ifindex == ifindex)
		return;
	l->ifindex = ifindex;
	l->told = false;
	l->backoff = 0;
	l->next_try = 0;
	vd_probe_link(p->dev, ifindex);
	if (!ifindex) {
		l->pending = false;
		vd_log(4, "path %s: device %s is gone", p->name, p->dev);
		link_publish();
		return;
	}
	vd_log(6, "path %s: device %s is there (ifindex %u)", p->name, p->dev, ifindex);
	l->pending = true;
	link_retry = vd_now_ms();
	link_publish();
}

/* ENOBUFS: notifications were lost; look every device up again. */
static void link_rescan(void)
{
	for (unsigned int i = 0; i < link_conf->npaths; i++)
		link_set(i, if_nametoindex(link_conf->paths[i].dev));
}

/* The id of an RTM_NEWNEXTHOP, 0 if it has none. */
static uint32_t link_nh_id(const struct nlmsghdr *nh)
{
	const struct nhmsg *nhm = NLMSG_DATA(nh);
	struct rtattr *rta;
	uint32_t id = 0;
	int len;

	if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*nhm)))
		return 0;
	len = (int)(nh->nlmsg_len - NLMSG_LENGTH(sizeof(*nhm)));
	for (rta = (struct rtattr *)((char *)nhm + NLMSG_ALIGN(sizeof(*nhm)));
	     RTA_OK(rta, len); rta = RTA_NEXT(rta, len))
		if (rta->rta_type == NHA_ID && RTA_PAYLOAD(rta) >= sizeof(id))
			memcpy(&id, RTA_DATA(rta), sizeof(id));
	return id;
}

/* Returns true if something that waits to be applied appeared. */
static bool link_msg(const struct nlmsghdr *nh)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(nh);
	const char *name = NULL;
	struct rtattr *rta;
	int len;

	if (nh->nlmsg_type == RTM_NEWNEXTHOP) {
		/* maybe the nexthop a pending path waits for: try it now */
		for (unsigned int i = 0; i < link_conf->npaths; i++) {
			if (links[i].pending && !links[i].backoff) {
				links[i].next_try = 0;
				link_retry = vd_now_ms();
			}
		}
		return link_wanted(NULL, link_nh_id(nh));
	}
	if ((nh->nlmsg_type != RTM_NEWLINK && nh->nlmsg_type != RTM_DELLINK) ||
	    nh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return false;
	len = (int)(nh->nlmsg_len - NLMSG_LENGTH(sizeof(*ifi)));
	for (rta = IFLA_RTA(ifi); RTA_OK(rta, len); rta = RTA_NEXT(rta, len))
		if (rta->rta_type == IFLA_IFNAME && RTA_PAYLOAD(rta) > 0)
			name = RTA_DATA(rta);
	if (name && strnlen(name, IF_NAMESIZE) == IF_NAMESIZE)
		name = NULL;
	for (unsigned int i = 0; i < link_conf->npaths; i++) {
		const struct vd_path *p = &link_conf->paths[i];
		unsigned int ifindex = (unsigned int)ifi->ifi_index;

		if (name && !strcmp(name, p->dev))
			link_set(i, nh->nlmsg_type == RTM_DELLINK ? 0 : ifindex);
		else if (links[i].ifindex == ifindex)
			/* deleted, or renamed to something else */
			link_set(i, 0);
	}
	return name && nh->nlmsg_type == RTM_NEWLINK && link_wanted(name, 0);
}

/*
 * What appears while the file is applied (the nexthop right after its
 * device) may have been looked up too early by the apply and too late for
 * the next wake-up: apply again until nothing changed meanwhile.
 */
static void link_apply_waiting(void)
{
	bool again = true;

	for (int tries = 0; again && tries < 3; tries++) {
		struct vd_wait before = { 0 };

		vd_conf_waiting(link_conf, &before, false);
		vd_reapply();
		link_scan();
		again = before.groups && before.paths && link_wait.groups && link_wait.paths &&
			(memcmp(before.groups, link_wait.groups,
				link_conf->ngroups * sizeof(bool)) ||
			 memcmp(before.paths, link_wait.paths, link_conf->npaths * sizeof(bool)));
		vd_wait_free(&before);
	}
}

static int link_fds(int *fds, int max)
{
	if (link_fd < 0 || max < 1)
		return 0;
	fds[0] = link_fd;
	return 1;
}

static void link_handle(int fd)
{
	char buf[16384] __attribute__((aligned(NLMSG_ALIGNTO)));
	bool appeared = false;
	int n;

	/* a bounded batch per wakeup: the rest wakes poll() again */
	for (int round = 0; round < 64; round++) {
		n = (int)recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				vd_log(4, "link: notifications lost (socket buffer full): looking the devices up again");
				link_rescan();
				/* and at what waits */
				appeared = true;
				continue;
			}
			break;		/* EAGAIN */
		}
		for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, n);
		     nh = NLMSG_NEXT(nh, n))
			appeared |= link_msg(nh);
	}
	if (appeared)
		link_apply_waiting();
}

/* The device a nexthop forwards over (its oif), 0 if none or no such id. */
unsigned int vd_nh_oif(uint32_t nhid)
{
	struct {
		struct nlmsghdr nh;
		struct nhmsg nhm;
		struct rtattr rta;
		uint32_t id;
	} req = {
		.nh = {
			.nlmsg_len = sizeof(req),
			.nlmsg_type = RTM_GETNEXTHOP,
			.nlmsg_flags = NLM_F_REQUEST,
		},
		.nhm = { .nh_family = AF_UNSPEC },
		.rta = { .rta_len = RTA_LENGTH(sizeof(uint32_t)), .rta_type = NHA_ID },
		.id = nhid,
	};
	char buf[4096] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct timeval tv = { .tv_sec = 1 };
	unsigned int oif = 0;
	int fd, n;

	/* The kernel answers within the send: this never waits on anyone. */
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return 0;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (send(fd, &req, sizeof(req), 0) != sizeof(req))
		goto out;
	n = (int)recv(fd, buf, sizeof(buf), 0);
	for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; n > 0 && NLMSG_OK(nh, n);
	     nh = NLMSG_NEXT(nh, n)) {
		const struct nhmsg *nhm = NLMSG_DATA(nh);
		struct rtattr *rta;
		int len;

		if (nh->nlmsg_type != RTM_NEWNEXTHOP ||
		    nh->nlmsg_len < NLMSG_LENGTH(sizeof(*nhm)))
			continue;
		len = (int)(nh->nlmsg_len - NLMSG_LENGTH(sizeof(*nhm)));
		for (rta = (struct rtattr *)((char *)nhm + NLMSG_ALIGN(sizeof(*nhm)));
		     RTA_OK(rta, len); rta = RTA_NEXT(rta, len))
			if (rta->rta_type == NHA_OIF && RTA_PAYLOAD(rta) >= sizeof(uint32_t))
				memcpy(&oif, RTA_DATA(rta), sizeof(oif));
	}
out:
	close(fd);
	return oif;
}

static uint64_t link_deadline(void)
{
	return link_retry;
}

static void link_timer(uint64_t now)
{
	link_retry = 0;
	for (unsigned int i = 0; i < link_conf->npaths; i++) {
		struct vd_path *p = &link_conf->paths[i];
		struct link_path *l = &links[i];
		int ret;

		if (!l->pending)
			continue;
		if (l->next_try > now) {
			if (!link_retry || l->next_try < link_retry)
				link_retry = l->next_try;
			continue;
		}
		ret = vd_reapply_path(p);
		if (!ret) {
			/* done, or no module: it gets the whole file when it comes */
			l->pending = false;
			link_publish();
			continue;
		}
		if (ret == -EAGAIN) {
			if (!l->told)
				vd_log(4, "path %s: waiting for nexthop %u over %s (ifindex %u)",
				       p->name, p->nhid, p->dev, l->ifindex);
			l->told = true;
			l->next_try = now + LINK_RETRY_MS;
		} else {
			/* refused (logged): again later, less and less often */
			l->backoff = l->backoff ? l->backoff * 2 : LINK_RETRY_MS;
			if (l->backoff > LINK_RETRY_MAX_MS)
				l->backoff = LINK_RETRY_MAX_MS;
			l->next_try = now + l->backoff;
		}
		if (!link_retry || l->next_try < link_retry)
			link_retry = l->next_try;
	}
}

const struct vd_feeder vd_feeder_link = {
	.name = "link",
	.open = link_open,
	.close = link_close,
	.fds = link_fds,
	.handle = link_handle,
	.deadline = link_deadline,
	.timer = link_timer,
};

/*
 * Packets received by device ifindex so far (IFLA_STATS64 rx_packets): for
 * a VTI or XFRM interface, the inbound ESP packets that were decrypted and
 * came out of the tunnel.  One RTM_GETLINK on a socket kept open; the kernel
 * answers within the send.  Returns false if the device does not answer.
 */
bool vd_link_rx_packets(unsigned int ifindex, uint64_t *rx)
{
	static int fd = -1;
	static uint32_t seq;
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
	} req = {
		.nh = {
			.nlmsg_len = sizeof(req),
			.nlmsg_type = RTM_GETLINK,
			.nlmsg_flags = NLM_F_REQUEST,
		},
		.ifi = { .ifi_family = AF_UNSPEC, .ifi_index = (int)ifindex },
	};
	char buf[16384] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct timeval tv = { .tv_sec = 1 };
	bool found = false;
	int n;

	if (fd < 0) {
		fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
		if (fd < 0)
			return false;
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	req.nh.nlmsg_seq = ++seq;
	if (send(fd, &req, sizeof(req), 0) != sizeof(req))
		return false;
	/* answers to earlier requests that timed out are skipped by seq */
	for (;;) {
		n = (int)recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			return false;
		for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, n);
		     nh = NLMSG_NEXT(nh, n)) {
			const struct ifinfomsg *ifi = NLMSG_DATA(nh);
			struct rtattr *rta;
			int len;

			if (nh->nlmsg_seq != seq)
				continue;
			if (nh->nlmsg_type == NLMSG_ERROR)
				return false;
			if (nh->nlmsg_type != RTM_NEWLINK ||
			    nh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
				continue;
			len = (int)(nh->nlmsg_len - NLMSG_LENGTH(sizeof(*ifi)));
			for (rta = IFLA_RTA(ifi); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
				struct rtnl_link_stats64 st;

				if (rta->rta_type != IFLA_STATS64 || RTA_PAYLOAD(rta) < sizeof(st))
					continue;
				memcpy(&st, RTA_DATA(rta), sizeof(st));
				*rx = st.rx_packets;
				found = true;
			}
			return found;
		}
	}
}
