// SPDX-License-Identifier: GPL-2.0
/*
 * vpnecmp daemon: make the module's groups and paths those of the file.
 *
 * The module's objects are read back (dump), compared with the file and
 * changed with the fewest requests: a path or group whose identity changed
 * (nexthop ids, device, endpoints, SA key) is deleted and added again, one
 * whose tunables changed is set in place, one that is equal is not touched,
 * so a restart of the daemon with the same file changes nothing and moves no
 * flow.  Objects that are not in the file are deleted: the file is the whole
 * configuration of the namespace.
 *
 * A group whose kernel nexthop group does not exist yet, a path whose device
 * or nexthop does not (the tunnels come up after the daemon at boot), waits:
 * it is left out, and an object of that name the module has is left alone,
 * until daemon_link.c sees the device or nexthop appear and has the file
 * applied again.
 *
 * If the kernel refuses a request half way, the objects read before the
 * first change are put back the same way, so the module is never left half
 * configured.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <linux/netlink.h>
#include <linux/nexthop.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "daemon.h"
#include "nl.h"

struct vd_dump {
	struct vd_conf *conf;
	int err;
};

static int vd_dump_group_cb(uint8_t cmd, struct nlattr **tb, void *arg)
{
	struct vd_dump *d = arg;
	struct vd_conf *conf = d->conf;
	struct vpnecmp_group_obj g;
	struct vd_group *grp;
	void *p;

	(void)cmd;
	if (vpnecmp_group_decode(tb[VPNECMP_A_GROUP], &g) || !(g.has & VPNECMP_GROUP_HAS_NHID))
		return 0;
	p = realloc(conf->groups, (conf->ngroups + 1) * sizeof(*grp));
	if (!p) {
		d->err = -ENOMEM;
		return 0;
	}
	conf->groups = p;
	grp = &conf->groups[conf->ngroups++];
	memset(grp, 0, sizeof(*grp));
	snprintf(grp->name, sizeof(grp->name), "%s", g.name);
	grp->nhid = g.nhid;
	grp->type = g.type;
	grp->all_down = g.all_down;
	grp->fallback = g.fallback;
	grp->preempt = !(g.has & VPNECMP_GROUP_HAS_PREEMPT) || g.preempt;
	grp->hold_up = g.hold_up;
	return 0;
}

static int vd_dump_path_cb(uint8_t cmd, struct nlattr **tb, void *arg)
{
	char ifname[IF_NAMESIZE];
	struct vd_dump *d = arg;
	struct vd_conf *conf = d->conf;
	struct vpnecmp_path_obj o;
	struct vd_path *path;
	void *p;

	(void)cmd;
	if (vpnecmp_path_decode(tb[VPNECMP_A_PATH], &o))
		return 0;
	p = realloc(conf->paths, (conf->npaths + 1) * sizeof(*path));
	if (!p) {
		d->err = -ENOMEM;
		return 0;
	}
	conf->paths = p;
	path = &conf->paths[conf->npaths++];
	memset(path, 0, sizeof(*path));
	snprintf(path->name, sizeof(path->name), "%s", o.name);
	snprintf(path->group, sizeof(path->group), "%s", o.group);
	/* A path whose device is gone compares unequal to any file. */
	if (o.ifindex && if_indextoname(o.ifindex, ifname))
		snprintf(path->dev, sizeof(path->dev), "%s", ifname);
	path->nhid = o.nhid;
	if (o.has & VPNECMP_PATH_HAS_IDENTITY) {
		path->local = o.local;
		path->remote = o.remote;
	}
	/* The module reports both; 0 is "not set" (the SAs' key is 0 then). */
	path->mark = o.mark;
	path->if_id = o.if_id;
	path->has_mark = path->mark != 0;
	path->has_if_id = path->if_id != 0;
	path->weight = o.has & VPNECMP_PATH_HAS_WEIGHT ? o.weight : 1;
	path->tier = o.tier;
	path->signals = o.signals;
	path->has_hold_up = o.has & VPNECMP_PATH_HAS_HOLD_UP;
	path->hold_up = o.hold_up;
	return 0;
}

static int vd_dump(struct vd_conf *conf)
{
	struct vd_dump d = { .conf = conf };
	struct vpnecmp_nl *nl;
	int ret;

	memset(conf, 0, sizeof(*conf));
	nl = vpnecmp_nl_open();
	if (!nl)
		return -ENOENT;
	ret = vpnecmp_req_run(vpnecmp_req_new(nl, VPNECMP_CMD_GROUP_GET, true),
			      vd_dump_group_cb, &d);
	if (!ret)
		ret = vpnecmp_req_run(vpnecmp_req_new(nl, VPNECMP_CMD_PATH_GET, true),
				      vd_dump_path_cb, &d);
	vpnecmp_nl_close(nl);
	if (!ret)
		ret = d.err;
	if (ret)
		vd_conf_free(conf);
	return ret;
}

static const struct vd_group *vd_find_group(const struct vd_conf *conf, const char *name)
{
	for (unsigned int i = 0; i < conf->ngroups; i++)
		if (!strcmp(conf->groups[i].name, name))
			return &conf->groups[i];
	return NULL;
}

static const struct vd_path *vd_find_path(const struct vd_conf *conf, const char *name)
{
	for (unsigned int i = 0; i < conf->npaths; i++)
		if (!strcmp(conf->paths[i].name, name))
			return &conf->paths[i];
	return NULL;
}

static bool vd_addr_eq(const struct vpnecmp_addr *a, const struct vpnecmp_addr *b)
{
	if (a->family != b->family)
		return false;
	if (a->family == AF_INET)
		return a->v4.s_addr == b->v4.s_addr;
	return !memcmp(&a->v6, &b->v6, sizeof(a->v6));
}

/* A group that must be deleted and added again to become want. */
static bool vd_group_replaced(const struct vd_group *cur, const struct vd_group *want)
{
	return !want || cur->nhid != want->nhid ||
	       (want->has_type && cur->type != want->type);
}

static bool vd_path_replaced(const struct vd_path *cur, const struct vd_path *want,
			     const struct vd_conf *curconf, const struct vd_conf *wantconf)
{
	if (!want)
		return true;
	if (strcmp(cur->group, want->group) || strcmp(cur->dev, want->dev) ||
	    cur->nhid != want->nhid || !vd_addr_eq(&cur->local, &want->local) ||
	    !vd_addr_eq(&cur->remote, &want->remote) ||
	    cur->mark != want->mark || cur->if_id != want->if_id)
		return true;
	/* its group goes away */
	return vd_group_replaced(vd_find_group(curconf, cur->group),
				 vd_find_group(wantconf, cur->group));
}

static uint32_t vd_path_hold_up(const struct vd_path *p, const struct vd_conf *conf)
{
	const struct vd_group *g;

	if (p->has_hold_up)
		return p->hold_up;
	g = vd_find_group(conf, p->group);
	return g ? g->hold_up : VD_HOLD_UP_MS;
}

static int vd_group_put(struct vpnecmp_nl *nl, const struct vd_group *g, bool add)
{
	struct vpnecmp_group_obj o = {
		.name = g->name,
		.has = VPNECMP_GROUP_HAS_ALL_DOWN | VPNECMP_GROUP_HAS_PREEMPT |
		       VPNECMP_GROUP_HAS_HOLD_UP,
		.nhid = g->nhid,
		.type = g->type,
		.all_down = g->all_down,
		.fallback = g->fallback,
		.preempt = g->preempt,
		.hold_up = g->hold_up,
	};

	if (add)
		o.has |= VPNECMP_GROUP_HAS_NHID | (g->has_type ? VPNECMP_GROUP_HAS_TYPE : 0);
	return vpnecmp_group_send(nl, add ? VPNECMP_CMD_GROUP_NEW : VPNECMP_CMD_GROUP_SET, &o);
}

static int vd_path_put(struct vpnecmp_nl *nl, const struct vd_path *p, uint32_t hold_up,
		       bool add)
{
	struct vpnecmp_path_obj o = {
		.name = p->name,
		.has = VPNECMP_PATH_HAS_WEIGHT | VPNECMP_PATH_HAS_TIER | VPNECMP_PATH_HAS_SIGNALS |
		       VPNECMP_PATH_HAS_HOLD_UP,
		.group = p->group,
		.nhid = p->nhid,
		.local = p->local,
		.remote = p->remote,
		.mark = p->mark,
		.if_id = p->if_id,
		.weight = p->weight,
		.tier = vd_path_tier(p),
		.signals = p->signals,
		.hold_up = hold_up,
	};

	if (add) {
		o.ifindex = if_nametoindex(p->dev);
		if (!o.ifindex) {
			fprintf(stderr, "Error: path \"%s\": cannot find device \"%s\"\n",
				p->name, p->dev);
			return -ENODEV;
		}
		o.has |= VPNECMP_PATH_HAS_IDENTITY | (p->has_mark ? VPNECMP_PATH_HAS_MARK : 0) |
			 (p->has_if_id ? VPNECMP_PATH_HAS_IF_ID : 0);
	}
	return vpnecmp_path_send(nl, add ? VPNECMP_CMD_PATH_NEW : VPNECMP_CMD_PATH_SET, &o);
}

/* Does nexthop id exist?  One RTM_GETNEXTHOP; the kernel answers at once. */
static bool vd_nh_exists(int fd, uint32_t id)
{
	struct {
		struct nlmsghdr h;
		struct nhmsg nh;
		struct rtattr a;
		uint32_t id;
	} req = {
		.h = { .nlmsg_len = sizeof(req), .nlmsg_type = RTM_GETNEXTHOP,
		       .nlmsg_flags = NLM_F_REQUEST, .nlmsg_seq = id },
		.a = { .rta_len = RTA_LENGTH(sizeof(uint32_t)), .rta_type = NHA_ID },
		.id = id,
	};
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };
	char buf[4096];

	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		return true;	/* cannot tell: let the module say */
	for (;;) {
		ssize_t len = recv(fd, buf, sizeof(buf), 0);
		const struct nlmsghdr *h = (const struct nlmsghdr *)buf;

		if (len < 0)
			return true;
		if (!NLMSG_OK(h, (int)len) || h->nlmsg_seq != id)
			continue;
		if (h->nlmsg_type == NLMSG_ERROR)
			return ((const struct nlmsgerr *)NLMSG_DATA(h))->error != -ENOENT;
		return true;
	}
}

unsigned int vd_conf_waiting(const struct vd_conf *conf, struct vd_wait *wait, bool log)
{
	struct timeval tv = { .tv_sec = 1 };
	unsigned int n = 0;
	int fd;

	wait->groups = calloc(conf->ngroups + 1, sizeof(bool));
	wait->paths = calloc(conf->npaths + 1, sizeof(bool));
	if (!wait->groups || !wait->paths)
		return 0;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (unsigned int i = 0; i < conf->ngroups; i++) {
		const struct vd_group *g = &conf->groups[i];

		if (fd < 0 || vd_nh_exists(fd, g->nhid))
			continue;
		wait->groups[i] = true;
		n++;
		if (log)
			vd_log(4, "group %s: nexthop %u does not exist yet: waiting for it",
			       g->name, g->nhid);
	}
	for (unsigned int i = 0; i < conf->npaths; i++) {
		const struct vd_path *p = &conf->paths[i];
		const struct vd_group *g = vd_find_group(conf, p->group);

		if (!if_nametoindex(p->dev)) {
			if (log)
				vd_log(4, "path %s: device %s does not exist yet: waiting for it",
				       p->name, p->dev);
		} else if (fd >= 0 && !vd_nh_exists(fd, p->nhid)) {
			if (log)
				vd_log(4, "path %s: nexthop %u does not exist yet: waiting for it",
				       p->name, p->nhid);
		} else if (g && wait->groups[g - conf->groups]) {
			if (log)
				vd_log(4, "path %s: waiting for group %s", p->name, g->name);
		} else {
			continue;
		}
		wait->paths[i] = true;
		n++;
	}
	if (fd >= 0)
		close(fd);
	return n;
}

void vd_wait_free(struct vd_wait *wait)
{
	free(wait->groups);
	free(wait->paths);
	wait->groups = NULL;
	wait->paths = NULL;
}

/* An object of want that waits: the module's object of that name stays. */
static bool vd_waits(const struct vd_conf *want, const struct vd_wait *wait, const char *name,
		     bool group)
{
	if (group) {
		const struct vd_group *g = vd_find_group(want, name);

		return g && wait->groups[g - want->groups];
	}
	const struct vd_path *p = vd_find_path(want, name);

	return p && wait->paths[p - want->paths];
}

/*
 * Make the module's objects (cur, as dumped) those of want.  Returns 0, or
 * the first error; *changes counts the requests that succeeded.
 */
static int vd_reconcile(const struct vd_conf *cur, const struct vd_conf *want,
			const struct vd_wait *wait, unsigned int *changes)
{
	struct vpnecmp_nl *nl;
	int ret = 0;

	nl = vpnecmp_nl_open();
	if (!nl)
		return -ENOENT;

	for (unsigned int i = 0; i < cur->npaths && !ret; i++) {
		const struct vd_path *p = &cur->paths[i];

		if (!vd_path_replaced(p, vd_find_path(want, p->name), cur, want) ||
		    vd_waits(want, wait, p->name, false))
			continue;
		vd_log(6, "path %s: delete", p->name);
		ret = vpnecmp_obj_del(nl, VPNECMP_CMD_PATH_DEL, p->name);
		*changes += !ret;
	}
	for (unsigned int i = 0; i < cur->ngroups && !ret; i++) {
		const struct vd_group *g = &cur->groups[i];

		if (!vd_group_replaced(g, vd_find_group(want, g->name)) ||
		    vd_waits(want, wait, g->name, true))
			continue;
		vd_log(6, "group %s: delete", g->name);
		ret = vpnecmp_obj_del(nl, VPNECMP_CMD_GROUP_DEL, g->name);
		*changes += !ret;
	}
	for (unsigned int i = 0; i < want->ngroups && !ret; i++) {
		const struct vd_group *g = &want->groups[i];
		const struct vd_group *c = vd_find_group(cur, g->name);
		bool add = vd_group_replaced(c ? c : g, c ? g : NULL);

		if (wait->groups[i])
			continue;
		if (!add && c->all_down == g->all_down && c->preempt == g->preempt &&
		    c->hold_up == g->hold_up &&
		    (g->all_down != VPNECMP_ALL_DOWN_FALLBACK || c->fallback == g->fallback))
			continue;
		vd_log(6, "group %s: %s", g->name, add ? "add" : "set");
		ret = vd_group_put(nl, g, add);
		*changes += !ret;
	}
	for (unsigned int i = 0; i < want->npaths && !ret; i++) {
		const struct vd_path *p = &want->paths[i];
		const struct vd_path *c = vd_find_path(cur, p->name);
		uint32_t hold_up = vd_path_hold_up(p, want);
		bool add = !c || vd_path_replaced(c, p, cur, want);

		if (!add && c->weight == p->weight && c->tier == vd_path_tier(p) &&
		    c->signals == p->signals && c->hold_up == hold_up)
			continue;
		if (wait->paths[i])
			continue;
		vd_log(6, "path %s: %s", p->name, add ? "add" : "set");
		ret = vd_path_put(nl, p, hold_up, add);
		*changes += !ret;
	}
	vpnecmp_nl_close(nl);
	return ret;
}

int vd_apply(const struct vd_conf *conf)
{
	unsigned int changes = 0, undo = 0;
	struct vd_wait wait, none = { 0 };
	struct vd_conf before, now;
	int ret;

	ret = vd_dump(&before);
	if (ret)
		return ret;
	vd_conf_waiting(conf, &wait, true);
	if (!wait.groups || !wait.paths) {
		vd_wait_free(&wait);
		vd_conf_free(&before);
		return -ENOMEM;
	}
	ret = vd_reconcile(&before, conf, &wait, &changes);
	vd_wait_free(&wait);
	if (!ret) {
		vd_log(6, "configuration applied: %u change%s", changes,
		       changes == 1 ? "" : "s");
		vd_conf_free(&before);
		return 0;
	}
	if (changes) {
		vd_log(3, "configuration refused after %u change%s: restoring the previous one",
		       changes, changes == 1 ? "" : "s");
		if (!vd_dump(&now)) {
			vd_conf_waiting(&before, &none, false);
			if (!none.groups || !none.paths ||
			    vd_reconcile(&now, &before, &none, &undo))
				vd_log(2, "could not restore the previous configuration");
			vd_wait_free(&none);
			vd_conf_free(&now);
		}
	} else {
		vd_log(3, "configuration refused: nothing was changed");
	}
	vd_conf_free(&before);
	return ret;
}

/* What the module has of one path (vd_apply_path). */
struct vd_path_now {
	const char *name;
	bool found;
	uint32_t ifindex;
	uint32_t signals_up;
};

static int vd_path_now_cb(uint8_t cmd, struct nlattr **tb, void *arg)
{
	struct vd_path_now *now = arg;
	struct vpnecmp_path_obj o;

	(void)cmd;
	if (vpnecmp_path_decode(tb[VPNECMP_A_PATH], &o) || strcmp(o.name, now->name))
		return 0;
	now->found = true;
	now->ifindex = o.ifindex;
	now->signals_up = o.has & VPNECMP_PATH_HAS_SIGNALS_UP ? o.signals_up : ~0U;
	return 0;
}

/*
 * One path of conf, again, on its device's ifindex now (the device was
 * re-created): deleted and added if the module has it on another ifindex,
 * added if the module does not have it, once the path's nexthop forwards
 * over the device (the kernel deleted it with the old one).  An operator's
 * drain (admin down) is carried over.  Returns 1 if the module's path was
 * right already, 0 if it was (re-)added, -EAGAIN while the nexthop is not
 * there (not printed), or a negative errno (printed).
 */
int vd_apply_path(const struct vd_conf *conf, const struct vd_path *p)
{
	struct vd_path_now now = { .name = p->name };
	unsigned int ifindex = if_nametoindex(p->dev);
	struct vpnecmp_nl *nl;
	int ret;

	if (!ifindex)
		return -ENODEV;
	nl = vpnecmp_nl_open();
	if (!nl)
		return -ENOENT;
	ret = vpnecmp_req_run(vpnecmp_req_new(nl, VPNECMP_CMD_PATH_GET, true), vd_path_now_cb,
			      &now);
	if (!ret && now.found && now.ifindex == ifindex)
		ret = 1;
	else if (!ret && vd_nh_oif(p->nhid) != ifindex)
		ret = -EAGAIN;
	if (ret) {
		vpnecmp_nl_close(nl);
		return ret;
	}
	if (now.found) {
		vd_log(6, "path %s: delete (device %s re-created)", p->name, p->dev);
		ret = vpnecmp_obj_del(nl, VPNECMP_CMD_PATH_DEL, p->name);
	}
	if (!ret) {
		vd_log(6, "path %s: add on %s (ifindex %u)", p->name, p->dev, ifindex);
		ret = vd_path_put(nl, p, vd_path_hold_up(p, conf), true);
	}
	if (!ret && now.found && !(now.signals_up & (1U << VPNECMP_SIGNAL_ADMIN))) {
		vd_log(6, "path %s: drained before, drained again", p->name);
		if (vpnecmp_signal_send(nl, p->name, VPNECMP_SIGNAL_ADMIN, false))
			vd_log(3, "path %s: could not drain it again", p->name);
	}
	vpnecmp_nl_close(nl);
	return ret;
}
