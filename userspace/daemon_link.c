// SPDX-License-Identifier: GPL-2.0
/*
 * vpnecmp daemon: paths waiting for their device.
 *
 * The module holds a path by its device's ifindex, so a path whose tunnel
 * device does not exist yet (the IKE daemon or ifupdown creates it after
 * vpnecmp starts) cannot be added; it is not an error either.  While some
 * path waits, this feeder follows RTNLGRP_LINK on a plain non-blocking
 * NETLINK_ROUTE socket and, when a device of that name appears, has the
 * file applied again (vd_reapply()).  Nothing is opened when no path waits.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "daemon.h"

static struct vd_conf *link_conf;
static int link_fd = -1;
static bool *link_wait;		/* per path: its device was missing */

/* Which paths wait for their device; true if any does. */
static bool link_scan(void)
{
	bool any = false;

	for (unsigned int i = 0; i < link_conf->npaths; i++) {
		link_wait[i] = !if_nametoindex(link_conf->paths[i].dev);
		any |= link_wait[i];
	}
	return any;
}

static void link_close(void)
{
	if (link_fd >= 0)
		close(link_fd);
	link_fd = -1;
	free(link_wait);
	link_wait = NULL;
}

static int link_open(struct vd_conf *conf)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1U << (RTNLGRP_LINK - 1) };

	int err;

	link_conf = conf;
	link_wait = calloc(conf->npaths + 1, sizeof(*link_wait));
	if (!link_wait)
		return -ENOMEM;
	if (!link_scan())
		return 0;
	link_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (link_fd < 0 || bind(link_fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = errno;
		vd_log(3, "cannot follow the network devices: %s", strerror(err));
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
			if (errno == EINTR || errno == ENOBUFS) {
				/* lost some: look at every waiting path */
				appeared = true;
				continue;
			}
			break;
		}
		rest = (int)len;
		for (h = (const struct nlmsghdr *)buf; NLMSG_OK(h, rest); h = NLMSG_NEXT(h, rest)) {
			const struct ifinfomsg *ifi = NLMSG_DATA(h);
			int alen = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*ifi));
			const struct rtattr *a;

			if (h->nlmsg_type != RTM_NEWLINK || alen < 0)
				continue;
			for (a = IFLA_RTA(ifi); RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
				char name[IF_NAMESIZE] = "";

				if (a->rta_type != IFLA_IFNAME)
					continue;
				memcpy(name, RTA_DATA(a), RTA_PAYLOAD(a) < sizeof(name) ?
				       RTA_PAYLOAD(a) : sizeof(name) - 1);
				for (unsigned int i = 0; i < link_conf->npaths; i++) {
					if (!link_wait[i] || strcmp(link_conf->paths[i].dev, name))
						continue;
					vd_log(6, "path %s: device %s appeared",
					       link_conf->paths[i].name, name);
					appeared = true;
				}
			}
		}
	}
	if (appeared) {
		vd_reapply();
		link_scan();
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
