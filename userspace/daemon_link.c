// SPDX-License-Identifier: GPL-2.0
/*
 * vpnecmp daemon: groups and paths waiting for their nexthop or device.
 *
 * The module holds a path by its device's ifindex and its nexthop, a group
 * by its nexthop group, so what the tunnels bring (the IKE daemon or
 * ifupdown creates them after vpnecmp starts) cannot be added before it
 * exists; it is not an error either (daemon_apply.c leaves it out).  While
 * something waits, this feeder follows RTNLGRP_LINK and RTNLGRP_NEXTHOP on
 * a plain non-blocking NETLINK_ROUTE socket and, when a device or nexthop
 * that something waits for appears, has the file applied again
 * (vd_reapply()).  Nothing is opened when nothing waits.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/nexthop.h>
#include <linux/rtnetlink.h>

#include "daemon.h"

static struct vd_conf *link_conf;
static int link_fd = -1;
static struct vd_wait link_wait;

/* What waits now; true if anything does. */
static bool link_scan(void)
{
	vd_wait_free(&link_wait);
	return vd_conf_waiting(link_conf, &link_wait, false) > 0;
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
	vd_wait_free(&link_wait);
}

static int link_open(struct vd_conf *conf)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	unsigned int nh = RTNLGRP_NEXTHOP;
	int err;

	link_conf = conf;
	if (!link_scan())
		return 0;
	sa.nl_groups = 1U << (RTNLGRP_LINK - 1);
	link_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (link_fd < 0 || bind(link_fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    setsockopt(link_fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &nh, sizeof(nh))) {
		err = errno;
		vd_log(3, "cannot follow the network devices and nexthops: %s", strerror(err));
		link_close();
		return -err;
	}
	return 0;
}

static int link_fds(int *fds, int max)
{
	if (link_fd < 0 || max < 1)
		return 0;
	fds[0] = link_fd;
	return 1;
}

static bool link_msg(const struct nlmsghdr *h)
{
	const struct rtattr *a;
	int alen;

	if (h->nlmsg_type == RTM_NEWLINK) {
		const struct ifinfomsg *ifi = NLMSG_DATA(h);

		alen = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*ifi));
		for (a = IFLA_RTA(ifi); alen > 0 && RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
			char name[IF_NAMESIZE] = "";

			if (a->rta_type != IFLA_IFNAME)
				continue;
			memcpy(name, RTA_DATA(a), RTA_PAYLOAD(a) < sizeof(name) ?
			       RTA_PAYLOAD(a) : sizeof(name) - 1);
			return link_wanted(name, 0);
		}
	} else if (h->nlmsg_type == RTM_NEWNEXTHOP) {
		const struct nhmsg *nhm = NLMSG_DATA(h);

		alen = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*nhm));
		for (a = (const struct rtattr *)(nhm + 1); alen > 0 && RTA_OK(a, alen);
		     a = RTA_NEXT(a, alen)) {
			uint32_t id;

			if (a->rta_type != NHA_ID || RTA_PAYLOAD(a) < sizeof(id))
				continue;
			memcpy(&id, RTA_DATA(a), sizeof(id));
			return link_wanted(NULL, id);
		}
	}
	return false;
}

static void link_handle(int fd)
{
	bool appeared = false;
	char buf[8192];

	(void)fd;
	for (int n = 0; n < 64; n++) {
		ssize_t len = recv(link_fd, buf, sizeof(buf), 0);
		const struct nlmsghdr *h;
		int rest;

		if (len < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				/* lost some: look again at what waits */
				appeared = true;
				continue;
			}
			break;
		}
		rest = (int)len;
		for (h = (const struct nlmsghdr *)buf; NLMSG_OK(h, rest); h = NLMSG_NEXT(h, rest))
			appeared |= link_msg(h);
	}
	/*
	 * What appears while the file is applied (the nexthop right after its
	 * device) may have been looked up too early by the apply and too late
	 * for the next wake-up: apply again until nothing changed meanwhile.
	 */
	for (int tries = 0; appeared && tries < 3; tries++) {
		struct vd_wait before = { 0 };

		vd_conf_waiting(link_conf, &before, false);
		vd_reapply();
		link_scan();
		appeared = before.groups && before.paths && link_wait.groups && link_wait.paths &&
			   (memcmp(before.groups, link_wait.groups, link_conf->ngroups * sizeof(bool)) ||
			    memcmp(before.paths, link_wait.paths, link_conf->npaths * sizeof(bool)));
		vd_wait_free(&before);
	}
}

static uint64_t link_deadline(void)
{
	return 0;
}

static void link_timer(uint64_t now)
{
	(void)now;
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
