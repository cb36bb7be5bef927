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

static struct vd_conf *wait_conf;
static int wait_fd = -1;
static struct vd_wait wait_set;

/* What waits now; true if anything does. */
static bool wait_scan(void)
{
	vd_wait_free(&wait_set);
	return vd_conf_waiting(wait_conf, &wait_set, false) > 0;
}

/* A device (dev) or nexthop (nhid) appeared: does anything wait for it? */
static bool wait_wanted(const char *dev, uint32_t nhid)
{
	bool hit = false;

	if (!wait_set.paths || !wait_set.groups)
		return false;
	for (unsigned int i = 0; i < wait_conf->npaths; i++) {
		const struct vd_path *p = &wait_conf->paths[i];

		if (!wait_set.paths[i] || (dev ? strcmp(p->dev, dev) != 0 : p->nhid != nhid))
			continue;
		if (dev)
			vd_log(6, "path %s: device %s appeared", p->name, dev);
		else
			vd_log(6, "path %s: nexthop %u appeared", p->name, nhid);
		hit = true;
	}
	for (unsigned int i = 0; i < wait_conf->ngroups && !dev; i++) {
		if (!wait_set.groups[i] || wait_conf->groups[i].nhid != nhid)
			continue;
		vd_log(6, "group %s: nexthop %u appeared", wait_conf->groups[i].name, nhid);
		hit = true;
	}
	return hit;
}

static void wait_close(void)
{
	if (wait_fd >= 0)
		close(wait_fd);
	wait_fd = -1;
	vd_wait_free(&wait_set);
}

static int wait_open(struct vd_conf *conf)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	unsigned int nh = RTNLGRP_NEXTHOP;
	int err;

	wait_conf = conf;
	if (!wait_scan())
		return 0;
	sa.nl_groups = 1U << (RTNLGRP_LINK - 1);
	wait_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (wait_fd < 0 || bind(wait_fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    setsockopt(wait_fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &nh, sizeof(nh))) {
		err = errno;
		vd_log(3, "cannot follow the network devices and nexthops: %s", strerror(err));
		wait_close();
		return -err;
	}
	return 0;
}

static int wait_fds(int *fds, int max)
{
	if (wait_fd < 0 || max < 1)
		return 0;
	fds[0] = wait_fd;
	return 1;
}

static bool wait_msg(const struct nlmsghdr *h)
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
			return wait_wanted(name, 0);
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
			return wait_wanted(NULL, id);
		}
	}
	return false;
}

static void wait_handle(int fd)
{
	bool appeared = false;
	char buf[8192];

	(void)fd;
	for (int n = 0; n < 64; n++) {
		ssize_t len = recv(wait_fd, buf, sizeof(buf), 0);
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
			appeared |= wait_msg(h);
	}
	/*
	 * What appears while the file is applied (the nexthop right after its
	 * device) may have been looked up too early by the apply and too late
	 * for the next wake-up: apply again until nothing changed meanwhile.
	 */
	for (int tries = 0; appeared && tries < 3; tries++) {
		struct vd_wait before = { 0 };

		vd_conf_waiting(wait_conf, &before, false);
		vd_reapply();
		wait_scan();
		appeared = before.groups && before.paths && wait_set.groups && wait_set.paths &&
			   (memcmp(before.groups, wait_set.groups, wait_conf->ngroups * sizeof(bool)) ||
			    memcmp(before.paths, wait_set.paths, wait_conf->npaths * sizeof(bool)));
		vd_wait_free(&before);
	}
}

static uint64_t wait_deadline(void)
{
	return 0;
}

static void wait_timer(uint64_t now)
{
	(void)now;
}

const struct vd_feeder vd_feeder_wait = {
	.name = "wait",
	.open = wait_open,
	.close = wait_close,
	.fds = wait_fds,
	.handle = wait_handle,
	.deadline = wait_deadline,
	.timer = wait_timer,
};
