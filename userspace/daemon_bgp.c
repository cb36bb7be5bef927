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
 * Routes are followed with a libnl-route cache manager (RTNLGRP_IPV4_ROUTE
 * and RTNLGRP_IPV6_ROUTE); every change re-counts the tables.  The tables
 * are small (a VPN's prefixes), so counting is cheap.
 */
#include <errno.h>
#include <string.h>

#include <netlink/netlink.h>
#include <netlink/cache.h>
#include <netlink/route/route.h>

#include "daemon.h"

static struct vd_conf *bgp_conf;
static struct nl_cache_mngr *bgp_mngr;
static struct nl_cache *bgp_routes;

static bool bgp_prefix_match(const struct vd_path *p, struct nl_addr *dst)
{
	if (!p->bgp_nprefix)
		return true;
	for (unsigned int i = 0; i < p->bgp_nprefix; i++) {
		const struct vd_prefix *pfx = &p->bgp_prefix[i];
		const unsigned char *a = nl_addr_get_binary_addr(dst);
		const unsigned char *b = (const unsigned char *)&pfx->addr.v6;
		unsigned int bits = pfx->len, bytes = bits / 8;

		if (nl_addr_get_family(dst) != pfx->addr.family ||
		    nl_addr_get_prefixlen(dst) < pfx->len)
			continue;
		if (memcmp(a, b, bytes))
			continue;
		if (bits % 8 && ((a[bytes] ^ b[bytes]) & (0xff00 >> (bits % 8))))
			continue;
		return true;
	}
	return false;
}

struct bgp_count {
	const struct vd_path *path;
	unsigned int n;
};

static void bgp_count_route(struct nl_object *obj, void *arg)
{
	struct rtnl_route *r = (struct rtnl_route *)obj;
	struct bgp_count *c = arg;

	if (rtnl_route_get_table(r) != c->path->bgp_table ||
	    rtnl_route_get_type(r) != RTN_UNICAST)
		return;
	if (bgp_prefix_match(c->path, rtnl_route_get_dst(r)))
		c->n++;
}

static void bgp_evaluate(void)
{
	for (unsigned int i = 0; i < bgp_conf->npaths; i++) {
		struct vd_path *p = &bgp_conf->paths[i];
		struct bgp_count c = { .path = p };
		char why[64];

		if (!p->bgp_table)
			continue;
		nl_cache_foreach(bgp_routes, bgp_count_route, &c);
		snprintf(why, sizeof(why), "%u route%s in table %u", c.n, c.n == 1 ? "" : "s",
			 p->bgp_table);
		vd_signal(p, VPNECMP_SIGNAL_BGP, c.n > 0, why);
	}
}

static void bgp_change(struct nl_cache *cache, struct nl_object *obj, int action, void *arg)
{
	(void)cache;
	(void)obj;
	(void)action;
	(void)arg;
	bgp_evaluate();
}

static int bgp_open(struct vd_conf *conf)
{
	bool any = false;
	int ret;

	bgp_conf = conf;
	for (unsigned int i = 0; i < conf->npaths; i++)
		any |= conf->paths[i].bgp_table != 0;
	if (!any)
		return 0;
	ret = nl_cache_mngr_alloc(NULL, NETLINK_ROUTE, NL_AUTO_PROVIDE, &bgp_mngr);
	if (ret < 0) {
		vd_log(3, "bgp: cannot follow the routing tables: %s", nl_geterror(ret));
		return -EIO;
	}
	ret = nl_cache_mngr_add(bgp_mngr, "route/route", bgp_change, NULL, &bgp_routes);
	if (ret < 0) {
		vd_log(3, "bgp: cannot follow the routing tables: %s", nl_geterror(ret));
		nl_cache_mngr_free(bgp_mngr);
		bgp_mngr = NULL;
		return -EIO;
	}
	bgp_evaluate();
	return 0;
}

static void bgp_close(void)
{
	if (bgp_mngr)
		nl_cache_mngr_free(bgp_mngr);
	bgp_mngr = NULL;
	bgp_routes = NULL;
}

static int bgp_fds(int *fds, int max)
{
	if (!bgp_mngr || max < 1)
		return 0;
	fds[0] = nl_cache_mngr_get_fd(bgp_mngr);
	return 1;
}

static void bgp_handle(int fd)
{
	int ret;

	(void)fd;
	ret = nl_cache_mngr_data_ready(bgp_mngr);
	if (ret < 0) {
		/* lost notifications (ENOBUFS): start over from a fresh dump */
		vd_log(4, "bgp: %s: re-reading the routing tables", nl_geterror(ret));
		bgp_close();
		if (bgp_open(bgp_conf))
			vd_log(2, "bgp: cannot follow the routing tables any more");
	}
}

static uint64_t bgp_deadline(void)
{
	return 0;
}

static void bgp_timer(uint64_t now)
{
	(void)now;
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
