// SPDX-License-Identifier: GPL-2.0
/*
 * The module's objects as the CLI and the daemon send and read them (obj.h).
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "obj.h"

int vpnecmp_group_send(struct vpnecmp_nl *nl, uint8_t cmd, const struct vpnecmp_group_obj *g)
{
	struct vpnecmp_req *req = vpnecmp_req_new(nl, cmd, false);

	vpnecmp_req_nest_start(req, VPNECMP_A_GROUP);
	vpnecmp_req_put_string(req, VPNECMP_GROUP_A_NAME, g->name);
	if (g->has & VPNECMP_GROUP_HAS_NHID)
		vpnecmp_req_put_u32(req, VPNECMP_GROUP_A_NHID, g->nhid);
	if (g->has & VPNECMP_GROUP_HAS_TYPE)
		vpnecmp_req_put_u32(req, VPNECMP_GROUP_A_TYPE, g->type);
	if (g->has & VPNECMP_GROUP_HAS_ALL_DOWN) {
		vpnecmp_req_put_u32(req, VPNECMP_GROUP_A_ALL_DOWN, g->all_down);
		if (g->all_down == VPNECMP_ALL_DOWN_FALLBACK)
			vpnecmp_req_put_u32(req, VPNECMP_GROUP_A_FALLBACK_NHID, g->fallback);
	}
	if (g->has & VPNECMP_GROUP_HAS_PREEMPT)
		vpnecmp_req_put_u8(req, VPNECMP_GROUP_A_PREEMPT, g->preempt);
	if (g->has & VPNECMP_GROUP_HAS_HOLD_UP)
		vpnecmp_req_put_u32(req, VPNECMP_GROUP_A_HOLD_UP_MS, g->hold_up);
	vpnecmp_req_nest_end(req);
	return vpnecmp_req_run(req, NULL, NULL);
}

static void vpnecmp_put_addr(struct vpnecmp_req *req, int attr4, int attr6,
			     const struct vpnecmp_addr *a)
{
	/* be32: s_addr is already in network order */
	if (a->family == AF_INET)
		vpnecmp_req_put_u32(req, attr4, a->v4.s_addr);
	else
		vpnecmp_req_put_data(req, attr6, &a->v6, sizeof(a->v6));
}

int vpnecmp_path_send(struct vpnecmp_nl *nl, uint8_t cmd, const struct vpnecmp_path_obj *p)
{
	struct vpnecmp_req *req = vpnecmp_req_new(nl, cmd, false);

	vpnecmp_req_nest_start(req, VPNECMP_A_PATH);
	vpnecmp_req_put_string(req, VPNECMP_PATH_A_NAME, p->name);
	if (p->has & VPNECMP_PATH_HAS_IDENTITY) {
		vpnecmp_req_put_string(req, VPNECMP_PATH_A_GROUP, p->group);
		vpnecmp_req_put_u32(req, VPNECMP_PATH_A_IFINDEX, p->ifindex);
		vpnecmp_req_put_u32(req, VPNECMP_PATH_A_NHID, p->nhid);
		vpnecmp_put_addr(req, VPNECMP_PATH_A_LOCAL4, VPNECMP_PATH_A_LOCAL6, &p->local);
		vpnecmp_put_addr(req, VPNECMP_PATH_A_REMOTE4, VPNECMP_PATH_A_REMOTE6, &p->remote);
	}
	if (p->has & VPNECMP_PATH_HAS_MARK)
		vpnecmp_req_put_u32(req, VPNECMP_PATH_A_MARK, p->mark);
	if (p->has & VPNECMP_PATH_HAS_IF_ID)
		vpnecmp_req_put_u32(req, VPNECMP_PATH_A_IF_ID, p->if_id);
	if (p->has & VPNECMP_PATH_HAS_WEIGHT)
		vpnecmp_req_put_u32(req, VPNECMP_PATH_A_WEIGHT, p->weight);
	if (p->has & VPNECMP_PATH_HAS_TIER)
		vpnecmp_req_put_u32(req, VPNECMP_PATH_A_TIER, p->tier);
	if (p->has & VPNECMP_PATH_HAS_SIGNALS)
		vpnecmp_req_put_u32(req, VPNECMP_PATH_A_SIGNALS, p->signals);
	if (p->has & VPNECMP_PATH_HAS_HOLD_UP)
		vpnecmp_req_put_u32(req, VPNECMP_PATH_A_HOLD_UP_MS, p->hold_up);
	vpnecmp_req_nest_end(req);
	return vpnecmp_req_run(req, NULL, NULL);
}

int vpnecmp_obj_del(struct vpnecmp_nl *nl, uint8_t cmd, const char *name)
{
	bool group = cmd == VPNECMP_CMD_GROUP_DEL;
	struct vpnecmp_req *req = vpnecmp_req_new(nl, cmd, false);

	vpnecmp_req_nest_start(req, group ? VPNECMP_A_GROUP : VPNECMP_A_PATH);
	vpnecmp_req_put_string(req, group ? VPNECMP_GROUP_A_NAME : VPNECMP_PATH_A_NAME, name);
	vpnecmp_req_nest_end(req);
	return vpnecmp_req_run(req, NULL, NULL);
}

int vpnecmp_signal_send(struct vpnecmp_nl *nl, const char *path, enum vpnecmp_signal signal,
			bool up)
{
	struct vpnecmp_req *req = vpnecmp_req_new(nl, VPNECMP_CMD_EVENT, false);

	vpnecmp_req_nest_start(req, VPNECMP_A_PATH);
	vpnecmp_req_put_string(req, VPNECMP_PATH_A_NAME, path);
	vpnecmp_req_nest_end(req);
	vpnecmp_req_put_u32(req, VPNECMP_A_SIGNAL, signal);
	vpnecmp_req_put_u8(req, VPNECMP_A_SIGNAL_UP, up);
	return vpnecmp_req_run(req, NULL, NULL);
}

int vpnecmp_group_decode(const struct nlattr *nest, struct vpnecmp_group_obj *g)
{
	struct nlattr *a[VPNECMP_GROUP_A_MAX + 1];

	memset(g, 0, sizeof(*g));
	if (!nest || vpnecmp_nl_parse(a, VPNECMP_NEST_GROUP, nest) || !a[VPNECMP_GROUP_A_NAME])
		return -EBADMSG;
	g->name = vpnecmp_attr_str(a[VPNECMP_GROUP_A_NAME]);
	if (a[VPNECMP_GROUP_A_NHID]) {
		g->nhid = vpnecmp_attr_u32(a[VPNECMP_GROUP_A_NHID]);
		g->has |= VPNECMP_GROUP_HAS_NHID;
	}
	if (a[VPNECMP_GROUP_A_TYPE]) {
		g->type = vpnecmp_attr_u32(a[VPNECMP_GROUP_A_TYPE]);
		g->has |= VPNECMP_GROUP_HAS_TYPE;
	}
	if (a[VPNECMP_GROUP_A_ALL_DOWN]) {
		g->all_down = vpnecmp_attr_u32(a[VPNECMP_GROUP_A_ALL_DOWN]);
		g->has |= VPNECMP_GROUP_HAS_ALL_DOWN;
	}
	if (a[VPNECMP_GROUP_A_FALLBACK_NHID])
		g->fallback = vpnecmp_attr_u32(a[VPNECMP_GROUP_A_FALLBACK_NHID]);
	if (a[VPNECMP_GROUP_A_PREEMPT]) {
		g->preempt = vpnecmp_attr_u8(a[VPNECMP_GROUP_A_PREEMPT]);
		g->has |= VPNECMP_GROUP_HAS_PREEMPT;
	}
	if (a[VPNECMP_GROUP_A_HOLD_UP_MS]) {
		g->hold_up = vpnecmp_attr_u32(a[VPNECMP_GROUP_A_HOLD_UP_MS]);
		g->has |= VPNECMP_GROUP_HAS_HOLD_UP;
	}
	if (a[VPNECMP_GROUP_A_STATE]) {
		g->state = vpnecmp_attr_u32(a[VPNECMP_GROUP_A_STATE]);
		g->has |= VPNECMP_GROUP_HAS_STATE;
	}
	return 0;
}

/* One endpoint, from the attribute of its family; false if neither is there. */
static bool vpnecmp_dec_addr(struct nlattr **a, int attr4, int attr6, struct vpnecmp_addr *addr)
{
	if (a[attr4]) {
		addr->family = AF_INET;
		addr->v4.s_addr = vpnecmp_attr_u32(a[attr4]);
	} else if (a[attr6]) {
		addr->family = AF_INET6;
		memcpy(&addr->v6, vpnecmp_attr_data(a[attr6]), sizeof(addr->v6));
	}
	return addr->family;
}

static void vpnecmp_dec_u32(struct nlattr **a, int attr, uint32_t *v, unsigned int *has,
			    unsigned int bit)
{
	if (a[attr]) {
		*v = vpnecmp_attr_u32(a[attr]);
		*has |= bit;
	}
}

int vpnecmp_path_decode(const struct nlattr *nest, struct vpnecmp_path_obj *p)
{
	struct nlattr *a[VPNECMP_PATH_A_MAX + 1];
	bool local, remote;

	memset(p, 0, sizeof(*p));
	if (!nest || vpnecmp_nl_parse(a, VPNECMP_NEST_PATH, nest) || !a[VPNECMP_PATH_A_NAME] ||
	    !a[VPNECMP_PATH_A_GROUP] || !a[VPNECMP_PATH_A_NHID])
		return -EBADMSG;
	p->name = vpnecmp_attr_str(a[VPNECMP_PATH_A_NAME]);
	p->group = vpnecmp_attr_str(a[VPNECMP_PATH_A_GROUP]);
	p->nhid = vpnecmp_attr_u32(a[VPNECMP_PATH_A_NHID]);
	if (a[VPNECMP_PATH_A_IFINDEX])
		p->ifindex = vpnecmp_attr_u32(a[VPNECMP_PATH_A_IFINDEX]);
	local = vpnecmp_dec_addr(a, VPNECMP_PATH_A_LOCAL4, VPNECMP_PATH_A_LOCAL6, &p->local);
	remote = vpnecmp_dec_addr(a, VPNECMP_PATH_A_REMOTE4, VPNECMP_PATH_A_REMOTE6, &p->remote);
	if (local && remote && p->local.family == p->remote.family)
		p->has |= VPNECMP_PATH_HAS_IDENTITY;
	vpnecmp_dec_u32(a, VPNECMP_PATH_A_MARK, &p->mark, &p->has, VPNECMP_PATH_HAS_MARK);
	vpnecmp_dec_u32(a, VPNECMP_PATH_A_IF_ID, &p->if_id, &p->has, VPNECMP_PATH_HAS_IF_ID);
	vpnecmp_dec_u32(a, VPNECMP_PATH_A_WEIGHT, &p->weight, &p->has, VPNECMP_PATH_HAS_WEIGHT);
	vpnecmp_dec_u32(a, VPNECMP_PATH_A_TIER, &p->tier, &p->has, VPNECMP_PATH_HAS_TIER);
	vpnecmp_dec_u32(a, VPNECMP_PATH_A_SIGNALS, &p->signals, &p->has, VPNECMP_PATH_HAS_SIGNALS);
	vpnecmp_dec_u32(a, VPNECMP_PATH_A_HOLD_UP_MS, &p->hold_up, &p->has,
			VPNECMP_PATH_HAS_HOLD_UP);
	vpnecmp_dec_u32(a, VPNECMP_PATH_A_SIGNALS_UP, &p->signals_up, &p->has,
			VPNECMP_PATH_HAS_SIGNALS_UP);
	return 0;
}
