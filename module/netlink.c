// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink family "vpnecmp": configuration, state, signals from
 * userspace and the event stream.
 *
 * Handlers run in process context with no lock held by genetlink
 * (parallel_ops); they serialise on the namespace's cfg_lock.
 */

#include <linux/inet.h>
#include <linux/netdevice.h>
#include <linux/slab.h>
#include <net/genetlink.h>

#include "vpnecmp.h"

#define VPNECMP_MAX_GROUPS	1024
#define VPNECMP_MAX_PATHS	4096
#define VPNECMP_GROUP_MAX_PATHS	256
#define VPNECMP_DEFAULT_HOLD_UP_MS	1000

static struct genl_family vpnecmp_family;

static struct netlink_range_validation vpnecmp_hold_up_range = {
	.max = VPNECMP_HOLD_UP_MAX_MS,
};

/*
 * One strict policy per operation: an attribute an operation does not use
 * is refused (NLA_REJECT, with the attribute's offset in the extack), never
 * silently ignored.  Entries are listed one by one: ranges that are then
 * overridden would trip -Woverride-init.
 */
#define VPNECMP_REJECT(msg)	{ .type = NLA_REJECT, .reject_message = (msg) }
#define VPNECMP_UNUSED		VPNECMP_REJECT("attribute not used by this command")
#define VPNECMP_NAME_POLICY	{ .type = NLA_NUL_STRING, .len = VPNECMP_NAME_MAX - 1 }
#define VPNECMP_HOLD_UP_POLICY	NLA_POLICY_FULL_RANGE(NLA_U32, &vpnecmp_hold_up_range)

#define VPNECMP_GROUP_RO						\
	[VPNECMP_GROUP_A_STATE ... VPNECMP_GROUP_A_ERROR_MSG] =		\
		VPNECMP_REJECT("read-only group attribute")
#define VPNECMP_PATH_RO							\
	[VPNECMP_PATH_A_STATE ... VPNECMP_PATH_A_STATS] =		\
		VPNECMP_REJECT("read-only path attribute")
#define VPNECMP_PATH_FIXED						\
	VPNECMP_REJECT("attribute cannot be changed; delete and re-add the path")

static const struct nla_policy vpnecmp_group_new_nest[VPNECMP_GROUP_A_MAX + 1] = {
	[VPNECMP_GROUP_A_NAME] = VPNECMP_NAME_POLICY,
	[VPNECMP_GROUP_A_NHID] = NLA_POLICY_MIN(NLA_U32, 1),
	[VPNECMP_GROUP_A_TYPE] = NLA_POLICY_MAX(NLA_U32, VPNECMP_GROUP_RESILIENT),
	[VPNECMP_GROUP_A_ALL_DOWN] = NLA_POLICY_MAX(NLA_U32,
						    VPNECMP_ALL_DOWN_FALLBACK),
	[VPNECMP_GROUP_A_FALLBACK_NHID] = NLA_POLICY_MIN(NLA_U32, 1),
	[VPNECMP_GROUP_A_PREEMPT] = NLA_POLICY_MAX(NLA_U8, 1),
	[VPNECMP_GROUP_A_HOLD_UP_MS] = VPNECMP_HOLD_UP_POLICY,
	VPNECMP_GROUP_RO,
};

static const struct nla_policy vpnecmp_group_set_nest[VPNECMP_GROUP_A_MAX + 1] = {
	[VPNECMP_GROUP_A_NAME] = VPNECMP_NAME_POLICY,
	[VPNECMP_GROUP_A_NHID] =
		VPNECMP_REJECT("nexthop id and type cannot be changed"),
	[VPNECMP_GROUP_A_TYPE] =
		VPNECMP_REJECT("nexthop id and type cannot be changed"),
	[VPNECMP_GROUP_A_ALL_DOWN] = NLA_POLICY_MAX(NLA_U32,
						    VPNECMP_ALL_DOWN_FALLBACK),
	[VPNECMP_GROUP_A_FALLBACK_NHID] = NLA_POLICY_MIN(NLA_U32, 1),
	[VPNECMP_GROUP_A_PREEMPT] = NLA_POLICY_MAX(NLA_U8, 1),
	[VPNECMP_GROUP_A_HOLD_UP_MS] = VPNECMP_HOLD_UP_POLICY,
	VPNECMP_GROUP_RO,
};

/* GROUP_DEL and GROUP_GET: the name alone. */
static const struct nla_policy vpnecmp_group_name_nest[VPNECMP_GROUP_A_MAX + 1] = {
	[VPNECMP_GROUP_A_NAME] = VPNECMP_NAME_POLICY,
	[VPNECMP_GROUP_A_NHID ... VPNECMP_GROUP_A_HOLD_UP_MS] = VPNECMP_UNUSED,
	VPNECMP_GROUP_RO,
};

static const struct nla_policy vpnecmp_path_new_nest[VPNECMP_PATH_A_MAX + 1] = {
	[VPNECMP_PATH_A_NAME] = VPNECMP_NAME_POLICY,
	[VPNECMP_PATH_A_GROUP] = VPNECMP_NAME_POLICY,
	[VPNECMP_PATH_A_IFINDEX] = NLA_POLICY_MIN(NLA_U32, 1),
	[VPNECMP_PATH_A_NHID] = NLA_POLICY_MIN(NLA_U32, 1),
	[VPNECMP_PATH_A_LOCAL4] = { .type = NLA_BE32 },
	[VPNECMP_PATH_A_REMOTE4] = { .type = NLA_BE32 },
	[VPNECMP_PATH_A_LOCAL6] = NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
	[VPNECMP_PATH_A_REMOTE6] = NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
	[VPNECMP_PATH_A_MARK] = { .type = NLA_U32 },
	[VPNECMP_PATH_A_IF_ID] = { .type = NLA_U32 },
	[VPNECMP_PATH_A_WEIGHT] = NLA_POLICY_RANGE(NLA_U32, 1, VPNECMP_WEIGHT_MAX),
	[VPNECMP_PATH_A_TIER] = NLA_POLICY_MAX(NLA_U32, VPNECMP_TIER_MAX),
	[VPNECMP_PATH_A_SIGNALS] = NLA_POLICY_MASK(NLA_U32, VPNECMP_SIGNALS_ALL),
	[VPNECMP_PATH_A_HOLD_UP_MS] = VPNECMP_HOLD_UP_POLICY,
	VPNECMP_PATH_RO,
};

static const struct nla_policy vpnecmp_path_set_nest[VPNECMP_PATH_A_MAX + 1] = {
	[VPNECMP_PATH_A_NAME] = VPNECMP_NAME_POLICY,
	[VPNECMP_PATH_A_GROUP ... VPNECMP_PATH_A_IF_ID] = VPNECMP_PATH_FIXED,
	[VPNECMP_PATH_A_WEIGHT] = NLA_POLICY_RANGE(NLA_U32, 1, VPNECMP_WEIGHT_MAX),
	[VPNECMP_PATH_A_TIER] = NLA_POLICY_MAX(NLA_U32, VPNECMP_TIER_MAX),
	[VPNECMP_PATH_A_SIGNALS] = NLA_POLICY_MASK(NLA_U32, VPNECMP_SIGNALS_ALL),
	[VPNECMP_PATH_A_HOLD_UP_MS] = VPNECMP_HOLD_UP_POLICY,
	VPNECMP_PATH_RO,
};

/* PATH_DEL and EVENT: the name alone. */
static const struct nla_policy vpnecmp_path_name_nest[VPNECMP_PATH_A_MAX + 1] = {
	[VPNECMP_PATH_A_NAME] = VPNECMP_NAME_POLICY,
	[VPNECMP_PATH_A_GROUP ... VPNECMP_PATH_A_HOLD_UP_MS] = VPNECMP_UNUSED,
	VPNECMP_PATH_RO,
};

/*
 * PATH_GET: the name (do) or the group whose paths to dump; do and dump
 * share one policy on 6.1 (no split ops), the handlers refuse the other.
 */
static const struct nla_policy vpnecmp_path_get_nest[VPNECMP_PATH_A_MAX + 1] = {
	[VPNECMP_PATH_A_NAME] = VPNECMP_NAME_POLICY,
	[VPNECMP_PATH_A_GROUP] = VPNECMP_NAME_POLICY,
	[VPNECMP_PATH_A_IFINDEX ... VPNECMP_PATH_A_HOLD_UP_MS] = VPNECMP_UNUSED,
	VPNECMP_PATH_RO,
};

#define VPNECMP_TOP_RO		VPNECMP_REJECT("read-only attribute")

static const struct nla_policy vpnecmp_version_policy[VPNECMP_A_MAX + 1] = {
	[VPNECMP_A_VERSION] = VPNECMP_TOP_RO,
	[VPNECMP_A_INFO] = VPNECMP_TOP_RO,
	[VPNECMP_A_GROUP ... VPNECMP_A_SIGNAL_UP] = VPNECMP_UNUSED,
	[VPNECMP_A_NTF] = VPNECMP_TOP_RO,
};

#define VPNECMP_OBJ_POLICY(name, grp, path)				\
static const struct nla_policy name[VPNECMP_A_MAX + 1] = {		\
	[VPNECMP_A_VERSION] = VPNECMP_TOP_RO,				\
	[VPNECMP_A_INFO] = VPNECMP_TOP_RO,				\
	[VPNECMP_A_GROUP] = grp,					\
	[VPNECMP_A_PATH] = path,					\
	[VPNECMP_A_SIGNAL] = VPNECMP_UNUSED,				\
	[VPNECMP_A_SIGNAL_UP] = VPNECMP_UNUSED,				\
	[VPNECMP_A_NTF] = VPNECMP_TOP_RO,				\
}

VPNECMP_OBJ_POLICY(vpnecmp_group_new_policy,
		   NLA_POLICY_NESTED(vpnecmp_group_new_nest), VPNECMP_UNUSED);
VPNECMP_OBJ_POLICY(vpnecmp_group_set_policy,
		   NLA_POLICY_NESTED(vpnecmp_group_set_nest), VPNECMP_UNUSED);
VPNECMP_OBJ_POLICY(vpnecmp_group_name_policy,
		   NLA_POLICY_NESTED(vpnecmp_group_name_nest), VPNECMP_UNUSED);
VPNECMP_OBJ_POLICY(vpnecmp_path_new_policy,
		   VPNECMP_UNUSED, NLA_POLICY_NESTED(vpnecmp_path_new_nest));
VPNECMP_OBJ_POLICY(vpnecmp_path_set_policy,
		   VPNECMP_UNUSED, NLA_POLICY_NESTED(vpnecmp_path_set_nest));
VPNECMP_OBJ_POLICY(vpnecmp_path_name_policy,
		   VPNECMP_UNUSED, NLA_POLICY_NESTED(vpnecmp_path_name_nest));
VPNECMP_OBJ_POLICY(vpnecmp_path_get_policy,
		   VPNECMP_UNUSED, NLA_POLICY_NESTED(vpnecmp_path_get_nest));

static const struct nla_policy vpnecmp_event_policy[VPNECMP_A_MAX + 1] = {
	[VPNECMP_A_VERSION] = VPNECMP_TOP_RO,
	[VPNECMP_A_INFO] = VPNECMP_TOP_RO,
	[VPNECMP_A_GROUP] = VPNECMP_UNUSED,
	[VPNECMP_A_PATH] = NLA_POLICY_NESTED(vpnecmp_path_name_nest),
	[VPNECMP_A_SIGNAL] = NLA_POLICY_MAX(NLA_U32, VPNECMP_SIGNAL_MAX),
	[VPNECMP_A_SIGNAL_UP] = NLA_POLICY_MAX(NLA_U8, 1),
	[VPNECMP_A_NTF] = VPNECMP_TOP_RO,
};

/*
 * A required attribute is missing: say which, in words for the operator and
 * as NLMSGERR_ATTR_MISS_TYPE for tools.  Evaluates to true if missing.
 */
#define VPNECMP_REQUIRE(extack, nest, tb, type, msg) ({		\
	struct netlink_ext_ack *__ack = (extack);			\
	int __type = (type);						\
	bool __missing = !(tb)[__type];					\
									\
	if (__missing) {						\
		NL_SET_ERR_MSG_MOD(__ack, msg);				\
		NL_SET_ERR_ATTR_MISS(__ack, nest, __type);		\
	}								\
	__missing;							\
})

static struct vpnecmp_group *vpnecmp_group_find(struct vpnecmp_net *vn,
						const char *name)
{
	struct vpnecmp_group *grp;

	lockdep_assert_held(&vn->cfg_lock);
	list_for_each_entry(grp, &vn->groups, list)
		if (!strcmp(grp->name, name))
			return grp;
	return NULL;
}

static struct vpnecmp_path *vpnecmp_path_find(struct vpnecmp_net *vn,
					      const char *name)
{
	struct vpnecmp_path *path;

	lockdep_assert_held(&vn->cfg_lock);
	list_for_each_entry(path, &vn->paths, list)
		if (!strcmp(path->name, name))
			return path;
	return NULL;
}

/* Names end up in logs, JSON and Prometheus labels: [A-Za-z0-9_.-]. */
static int vpnecmp_check_name(const struct nlattr *attr,
			      struct netlink_ext_ack *extack)
{
	const char *name = nla_data(attr);

	if (!*name) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "empty name");
		return -EINVAL;
	}
	/*
	 * Names are printed as they are in text, JSON and Prometheus labels
	 * by every tool: keep them to characters that need no escaping.
	 */
	for (; *name; name++) {
		/* not isalnum(): the kernel's ctype takes Latin-1 letters */
		if (!(*name >= 'a' && *name <= 'z') &&
		    !(*name >= 'A' && *name <= 'Z') &&
		    !(*name >= '0' && *name <= '9') &&
		    *name != '_' && *name != '.' && *name != '-') {
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "name may only contain letters, digits, '_', '.' and '-'");
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * Parse the request's object nest with @policy, the nest policy of the
 * operation (genetlink validated it already); @name is required in every
 * command.
 */
static int vpnecmp_nl_parse(struct genl_info *info, int type,
			    struct nlattr **tb, int maxtype,
			    const struct nla_policy *policy, int name_type)
{
	struct nlattr *nest = info->attrs[type];
	int err;

	if (VPNECMP_REQUIRE(info->extack, NULL, info->attrs, type,
			    "missing object attribute (group or path nest)"))
		return -EINVAL;
	err = nla_parse_nested(tb, maxtype, nest, policy, info->extack);
	if (err)
		return err;
	if (VPNECMP_REQUIRE(info->extack, nest, tb, name_type, "missing name"))
		return -EINVAL;
	return vpnecmp_check_name(tb[name_type], info->extack);
}

/*
 * Message sizes, per object: upper bounds of what the fill functions below
 * put (strings at their maximum length), so that a group of any size fits
 * its GET reply and its notification.
 */
static size_t vpnecmp_members_size(u32 n)
{
	return nla_total_size(0) +
	       n * (nla_total_size(0) +			/* the member's nest */
		    2 * nla_total_size(sizeof(u32)) +	/* NHID, WEIGHT */
		    nla_total_size(VPNECMP_NAME_MAX));	/* PATH */
}

static size_t vpnecmp_group_size(const struct vpnecmp_group *grp)
{
	return nla_total_size(0) +				/* A_GROUP */
	       nla_total_size(VPNECMP_NAME_MAX) +		/* NAME */
	       9 * nla_total_size(sizeof(u32)) +		/* NHID .. PATHS */
	       nla_total_size(sizeof(u8)) +			/* PREEMPT */
	       nla_total_size(sizeof(grp->error_msg)) +		/* ERROR_MSG */
	       2 * nla_total_size_64bit(sizeof(u64)) +		/* REPLACES .. */
	       vpnecmp_members_size(grp->applied ? grp->nmembers : 0);
}

static size_t vpnecmp_path_size(void)
{
	return nla_total_size(0) +				/* A_PATH */
	       2 * nla_total_size(VPNECMP_NAME_MAX) +		/* NAME, GROUP */
	       2 * nla_total_size(sizeof(struct in6_addr)) +	/* endpoints */
	       11 * nla_total_size(sizeof(u32)) +		/* IFINDEX .. */
	       nla_total_size(sizeof(u8)) +			/* MEMBER */
	       nla_total_size(0) +				/* STATS */
	       nla_total_size(sizeof(u32)) +			/* SA_COUNT */
	       7 * nla_total_size_64bit(sizeof(u64));
}

static int vpnecmp_put_members(struct sk_buff *skb, int type,
			       const struct vpnecmp_member *m, u32 n)
{
	struct nlattr *nest, *entry;
	u32 i;

	nest = nla_nest_start(skb, type);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < n; i++) {
		entry = nla_nest_start(skb, i + 1);
		if (!entry ||
		    nla_put_u32(skb, VPNECMP_MEMBER_A_NHID, m[i].nhid) ||
		    nla_put_u32(skb, VPNECMP_MEMBER_A_WEIGHT, m[i].weight) ||
		    (m[i].path[0] &&
		     nla_put_string(skb, VPNECMP_MEMBER_A_PATH, m[i].path)))
			goto err;
		nla_nest_end(skb, entry);
	}
	nla_nest_end(skb, nest);
	return 0;
err:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

static int vpnecmp_fill_group(struct sk_buff *skb,
			      const struct vpnecmp_group *grp)
{
	struct nlattr *nest;

	nest = nla_nest_start(skb, VPNECMP_A_GROUP);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_string(skb, VPNECMP_GROUP_A_NAME, grp->name) ||
	    nla_put_u32(skb, VPNECMP_GROUP_A_NHID, grp->nhid) ||
	    nla_put_u32(skb, VPNECMP_GROUP_A_TYPE, grp->resilient ?
			VPNECMP_GROUP_RESILIENT : VPNECMP_GROUP_MPATH) ||
	    nla_put_u32(skb, VPNECMP_GROUP_A_ALL_DOWN, grp->all_down) ||
	    (grp->fallback_nhid &&
	     nla_put_u32(skb, VPNECMP_GROUP_A_FALLBACK_NHID,
			 grp->fallback_nhid)) ||
	    nla_put_u8(skb, VPNECMP_GROUP_A_PREEMPT, grp->preempt) ||
	    nla_put_u32(skb, VPNECMP_GROUP_A_HOLD_UP_MS, grp->hold_up_ms) ||
	    nla_put_u32(skb, VPNECMP_GROUP_A_STATE, grp->state) ||
	    nla_put_u32(skb, VPNECMP_GROUP_A_ACTIVE_TIER, grp->active_tier) ||
	    vpnecmp_put_members(skb, VPNECMP_GROUP_A_MEMBERS, grp->members,
				grp->applied ? grp->nmembers : 0) ||
	    nla_put_s32(skb, VPNECMP_GROUP_A_ERROR, grp->error) ||
	    (grp->error && grp->error_msg[0] &&
	     nla_put_string(skb, VPNECMP_GROUP_A_ERROR_MSG, grp->error_msg)) ||
	    nla_put_u64_64bit(skb, VPNECMP_GROUP_A_REPLACES, grp->replaces,
			      VPNECMP_GROUP_A_PAD) ||
	    nla_put_u64_64bit(skb, VPNECMP_GROUP_A_REPLACE_FAILS,
			      grp->replace_fails, VPNECMP_GROUP_A_PAD) ||
	    nla_put_u32(skb, VPNECMP_GROUP_A_PATHS, grp->npaths)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int vpnecmp_fill_path_stats(struct sk_buff *skb, struct vpnecmp_net *vn,
				   struct vpnecmp_path *path)
{
	u64 bytes, packets, adds, dels;
	struct nlattr *nest;
	u32 count;

	vpnecmp_path_sa_stats(vn, path, &count, &bytes, &packets);
	spin_lock_bh(&vn->sa_lock);
	adds = path->sa_adds;
	dels = path->sa_dels;
	spin_unlock_bh(&vn->sa_lock);

	nest = nla_nest_start(skb, VPNECMP_PATH_A_STATS);
	if (!nest ||
	    nla_put_u32(skb, VPNECMP_STATS_A_SA_COUNT, count) ||
	    nla_put_u64_64bit(skb, VPNECMP_STATS_A_TRANSITIONS,
			      path->transitions, VPNECMP_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, VPNECMP_STATS_A_TIME_IN_STATE_MS,
			      div_u64(ktime_get_ns() - path->last_change_ns,
				      NSEC_PER_MSEC), VPNECMP_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, VPNECMP_STATS_A_LAST_CHANGE_NS,
			      path->last_change_ns, VPNECMP_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, VPNECMP_STATS_A_BYTES, bytes,
			      VPNECMP_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, VPNECMP_STATS_A_PACKETS, packets,
			      VPNECMP_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, VPNECMP_STATS_A_SA_ADDS, adds,
			      VPNECMP_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, VPNECMP_STATS_A_SA_DELS, dels,
			      VPNECMP_STATS_A_PAD))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int vpnecmp_fill_path(struct sk_buff *skb, struct vpnecmp_net *vn,
			     struct vpnecmp_path *path)
{
	const struct vpnecmp_key *key = &path->key;
	struct nlattr *nest;
	u32 up;
	int err;

	spin_lock_bh(&vn->sa_lock);
	up = path->sig_up;
	if (vpnecmp_path_sa_up(path))
		up |= BIT(VPNECMP_SIGNAL_SA);
	up &= path->signals;
	spin_unlock_bh(&vn->sa_lock);

	nest = nla_nest_start(skb, VPNECMP_A_PATH);
	if (!nest)
		return -EMSGSIZE;
	if (key->family == AF_INET)
		err = nla_put_in_addr(skb, VPNECMP_PATH_A_LOCAL4,
				      key->saddr.a4) ||
		      nla_put_in_addr(skb, VPNECMP_PATH_A_REMOTE4,
				      key->daddr.a4);
	else
		err = nla_put_in6_addr(skb, VPNECMP_PATH_A_LOCAL6,
				       &key->saddr.in6) ||
		      nla_put_in6_addr(skb, VPNECMP_PATH_A_REMOTE6,
				       &key->daddr.in6);
	if (err ||
	    nla_put_string(skb, VPNECMP_PATH_A_NAME, path->name) ||
	    nla_put_string(skb, VPNECMP_PATH_A_GROUP, path->group->name) ||
	    nla_put_u32(skb, VPNECMP_PATH_A_IFINDEX, path->ifindex) ||
	    nla_put_u32(skb, VPNECMP_PATH_A_NHID, path->nhid) ||
	    nla_put_u32(skb, VPNECMP_PATH_A_MARK, key->mark) ||
	    nla_put_u32(skb, VPNECMP_PATH_A_IF_ID, key->if_id) ||
	    nla_put_u32(skb, VPNECMP_PATH_A_WEIGHT, path->weight) ||
	    nla_put_u32(skb, VPNECMP_PATH_A_TIER, path->tier) ||
	    nla_put_u32(skb, VPNECMP_PATH_A_SIGNALS, path->signals) ||
	    nla_put_u32(skb, VPNECMP_PATH_A_HOLD_UP_MS, path->hold_up_ms) ||
	    nla_put_u32(skb, VPNECMP_PATH_A_STATE, path->state) ||
	    nla_put_u32(skb, VPNECMP_PATH_A_SIGNALS_UP, up) ||
	    nla_put_u32(skb, VPNECMP_PATH_A_REASON, path->reason) ||
	    nla_put_u8(skb, VPNECMP_PATH_A_MEMBER, path->member) ||
	    vpnecmp_fill_path_stats(skb, vn, path)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int vpnecmp_nl_version_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct vpnecmp_net *vn = vpnecmp_pernet(genl_info_net(info));
	struct vpnecmp_counters cnt;
	u64 work_runs, attempts;
	struct nlattr *nest;
	struct sk_buff *msg;
	u32 ngroups, npaths;
	void *hdr;

	mutex_lock(&vn->cfg_lock);
	ngroups = vn->ngroups;
	npaths = vn->npaths;
	work_runs = vn->work_runs;
	attempts = vn->replace_attempts;
	mutex_unlock(&vn->cfg_lock);
	spin_lock_bh(&vn->sa_lock);
	cnt = vn->cnt;
	spin_unlock_bh(&vn->sa_lock);

	msg = genlmsg_new(nla_total_size(sizeof(VPNECMP_VERSION)) +
			  nla_total_size(0) +
			  2 * nla_total_size(sizeof(u32)) +
			  8 * nla_total_size_64bit(sizeof(u64)), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &vpnecmp_family, 0,
				VPNECMP_CMD_VERSION_GET);
	if (!hdr)
		goto err;
	if (nla_put_string(msg, VPNECMP_A_VERSION, VPNECMP_VERSION))
		goto err;
	nest = nla_nest_start(msg, VPNECMP_A_INFO);
	if (!nest ||
	    nla_put_u64_64bit(msg, VPNECMP_INFO_A_XFRM_EVENTS, cnt.xfrm_events,
			      VPNECMP_INFO_A_PAD) ||
	    nla_put_u64_64bit(msg, VPNECMP_INFO_A_SA_ADD, cnt.sa_add,
			      VPNECMP_INFO_A_PAD) ||
	    nla_put_u64_64bit(msg, VPNECMP_INFO_A_SA_DEL, cnt.sa_del,
			      VPNECMP_INFO_A_PAD) ||
	    nla_put_u64_64bit(msg, VPNECMP_INFO_A_SA_EXPIRE, cnt.sa_expire,
			      VPNECMP_INFO_A_PAD) ||
	    nla_put_u64_64bit(msg, VPNECMP_INFO_A_SA_FLUSH, cnt.sa_flush,
			      VPNECMP_INFO_A_PAD) ||
	    nla_put_u64_64bit(msg, VPNECMP_INFO_A_SA_MATCHED, cnt.sa_matched,
			      VPNECMP_INFO_A_PAD) ||
	    nla_put_u32(msg, VPNECMP_INFO_A_GROUPS, ngroups) ||
	    nla_put_u32(msg, VPNECMP_INFO_A_PATHS, npaths) ||
	    nla_put_u64_64bit(msg, VPNECMP_INFO_A_WORK_RUNS, work_runs,
			      VPNECMP_INFO_A_PAD) ||
	    nla_put_u64_64bit(msg, VPNECMP_INFO_A_REPLACE_ATTEMPTS, attempts,
			      VPNECMP_INFO_A_PAD))
		goto err;
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
err:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

/* Group options shared by GROUP_NEW and GROUP_SET. */
static int vpnecmp_group_opts(struct vpnecmp_net *vn, struct nlattr **tb,
			      struct vpnecmp_group *grp, u32 *all_down,
			      u32 *fallback, struct netlink_ext_ack *extack)
{
	*all_down = grp->all_down;
	*fallback = grp->fallback_nhid;
	if (tb[VPNECMP_GROUP_A_ALL_DOWN])
		*all_down = nla_get_u32(tb[VPNECMP_GROUP_A_ALL_DOWN]);
	if (tb[VPNECMP_GROUP_A_FALLBACK_NHID])
		*fallback = nla_get_u32(tb[VPNECMP_GROUP_A_FALLBACK_NHID]);
	else if (*all_down != VPNECMP_ALL_DOWN_FALLBACK)
		*fallback = 0;

	if (*all_down != VPNECMP_ALL_DOWN_FALLBACK) {
		if (tb[VPNECMP_GROUP_A_FALLBACK_NHID]) {
			NL_SET_ERR_MSG_ATTR(extack,
					    tb[VPNECMP_GROUP_A_FALLBACK_NHID],
					    "fallback nexthop needs all-down fallback");
			return -EINVAL;
		}
		return 0;
	}
	if (!*fallback) {
		NL_SET_ERR_MSG_MOD(extack,
				   "all-down fallback needs a fallback nexthop id");
		return -EINVAL;
	}
	if (*fallback == grp->nhid) {
		NL_SET_ERR_MSG_ATTR(extack, tb[VPNECMP_GROUP_A_FALLBACK_NHID],
				    "fallback nexthop is the group itself");
		return -EINVAL;
	}
	return vpnecmp_nh_check(vn->net, *fallback, false, 0, NULL, extack);
}

static int vpnecmp_nl_group_new_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct vpnecmp_net *vn = vpnecmp_pernet(genl_info_net(info));
	struct nlattr *tb[VPNECMP_GROUP_A_MAX + 1];
	struct netlink_ext_ack *extack = info->extack;
	struct vpnecmp_group *grp, *other;
	u32 all_down, fallback;
	bool resilient;
	int err;

	err = vpnecmp_nl_parse(info, VPNECMP_A_GROUP, tb, VPNECMP_GROUP_A_MAX,
			       vpnecmp_group_new_nest, VPNECMP_GROUP_A_NAME);
	if (err)
		return err;
	if (VPNECMP_REQUIRE(extack, info->attrs[VPNECMP_A_GROUP], tb,
			    VPNECMP_GROUP_A_NHID, "missing nexthop group id"))
		return -EINVAL;

	grp = kzalloc(sizeof(*grp), GFP_KERNEL_ACCOUNT);
	if (!grp)
		return -ENOMEM;
	INIT_LIST_HEAD(&grp->paths);
	nla_strscpy(grp->name, tb[VPNECMP_GROUP_A_NAME], sizeof(grp->name));
	grp->nhid = nla_get_u32(tb[VPNECMP_GROUP_A_NHID]);
	grp->preempt = true;
	grp->hold_up_ms = VPNECMP_DEFAULT_HOLD_UP_MS;
	grp->state = VPNECMP_GROUP_EMPTY;
	if (tb[VPNECMP_GROUP_A_PREEMPT])
		grp->preempt = nla_get_u8(tb[VPNECMP_GROUP_A_PREEMPT]);
	if (tb[VPNECMP_GROUP_A_HOLD_UP_MS])
		grp->hold_up_ms = nla_get_u32(tb[VPNECMP_GROUP_A_HOLD_UP_MS]);

	mutex_lock(&vn->cfg_lock);
	if (vpnecmp_group_find(vn, grp->name)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[VPNECMP_GROUP_A_NAME],
				    "group already exists");
		err = -EEXIST;
		goto err_unlock;
	}
	list_for_each_entry(other, &vn->groups, list) {
		if (other->nhid == grp->nhid) {
			NL_SET_ERR_MSG_ATTR(extack, tb[VPNECMP_GROUP_A_NHID],
					    "nexthop group is already managed by another group");
			err = -EEXIST;
			goto err_unlock;
		}
	}
	if (vn->ngroups >= VPNECMP_MAX_GROUPS) {
		NL_SET_ERR_MSG_MOD(extack, "too many groups");
		err = -ENOSPC;
		goto err_unlock;
	}
	err = vpnecmp_nh_check(vn->net, grp->nhid, true, 0, &resilient, extack);
	if (err) {
		NL_SET_BAD_ATTR(extack, tb[VPNECMP_GROUP_A_NHID]);
		goto err_unlock;
	}
	grp->resilient = resilient;
	if (tb[VPNECMP_GROUP_A_TYPE] &&
	    nla_get_u32(tb[VPNECMP_GROUP_A_TYPE]) !=
	    (resilient ? VPNECMP_GROUP_RESILIENT : VPNECMP_GROUP_MPATH)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[VPNECMP_GROUP_A_TYPE],
				    "type does not match the kernel nexthop group");
		err = -EINVAL;
		goto err_unlock;
	}
	err = vpnecmp_group_opts(vn, tb, grp, &all_down, &fallback, extack);
	if (err)
		goto err_unlock;
	grp->all_down = all_down;
	grp->fallback_nhid = fallback;
	err = vpnecmp_net_activate(vn, extack);
	if (err)
		goto err_unlock;

	list_add_tail(&grp->list, &vn->groups);
	vn->ngroups++;
	vn->gen++;
	mutex_unlock(&vn->cfg_lock);
	return 0;

err_unlock:
	mutex_unlock(&vn->cfg_lock);
	kfree(grp);
	return err;
}

static int vpnecmp_nl_group_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct vpnecmp_net *vn = vpnecmp_pernet(genl_info_net(info));
	struct nlattr *tb[VPNECMP_GROUP_A_MAX + 1];
	struct netlink_ext_ack *extack = info->extack;
	struct vpnecmp_group *grp;
	u32 all_down, fallback;
	int err;

	err = vpnecmp_nl_parse(info, VPNECMP_A_GROUP, tb, VPNECMP_GROUP_A_MAX,
			       vpnecmp_group_set_nest, VPNECMP_GROUP_A_NAME);
	if (err)
		return err;

	mutex_lock(&vn->cfg_lock);
	grp = vpnecmp_group_find(vn, nla_data(tb[VPNECMP_GROUP_A_NAME]));
	if (!grp) {
		NL_SET_ERR_MSG_ATTR(extack, tb[VPNECMP_GROUP_A_NAME],
				    "group not found");
		err = -ENOENT;
		goto out;
	}
	err = vpnecmp_group_opts(vn, tb, grp, &all_down, &fallback, extack);
	if (err)
		goto out;
	grp->all_down = all_down;
	grp->fallback_nhid = fallback;
	if (tb[VPNECMP_GROUP_A_PREEMPT])
		grp->preempt = nla_get_u8(tb[VPNECMP_GROUP_A_PREEMPT]);
	if (tb[VPNECMP_GROUP_A_HOLD_UP_MS])
		grp->hold_up_ms = nla_get_u32(tb[VPNECMP_GROUP_A_HOLD_UP_MS]);
	vn->gen++;
	spin_lock_bh(&vn->sa_lock);
	vpnecmp_kick(vn);
	spin_unlock_bh(&vn->sa_lock);
out:
	mutex_unlock(&vn->cfg_lock);
	return err;
}

static int vpnecmp_nl_group_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct vpnecmp_net *vn = vpnecmp_pernet(genl_info_net(info));
	struct nlattr *tb[VPNECMP_GROUP_A_MAX + 1];
	struct vpnecmp_group *grp;
	int err;

	err = vpnecmp_nl_parse(info, VPNECMP_A_GROUP, tb, VPNECMP_GROUP_A_MAX,
			       vpnecmp_group_name_nest, VPNECMP_GROUP_A_NAME);
	if (err)
		return err;

	mutex_lock(&vn->cfg_lock);
	grp = vpnecmp_group_find(vn, nla_data(tb[VPNECMP_GROUP_A_NAME]));
	if (!grp) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[VPNECMP_GROUP_A_NAME],
				    "group not found");
		err = -ENOENT;
	} else if (grp->npaths) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[VPNECMP_GROUP_A_NAME],
				    "group still has paths");
		err = -EBUSY;
	} else {
		list_del(&grp->list);
		vn->ngroups--;
		vn->gen++;
		kfree(grp->members);
		kfree(grp);
	}
	mutex_unlock(&vn->cfg_lock);
	return err;
}

static int vpnecmp_nl_group_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct vpnecmp_net *vn = vpnecmp_pernet(genl_info_net(info));
	struct nlattr *tb[VPNECMP_GROUP_A_MAX + 1];
	struct vpnecmp_group *grp;
	struct sk_buff *msg;
	void *hdr;
	int err;

	err = vpnecmp_nl_parse(info, VPNECMP_A_GROUP, tb, VPNECMP_GROUP_A_MAX,
			       vpnecmp_group_name_nest, VPNECMP_GROUP_A_NAME);
	if (err)
		return err;
	mutex_lock(&vn->cfg_lock);
	grp = vpnecmp_group_find(vn, nla_data(tb[VPNECMP_GROUP_A_NAME]));
	if (!grp) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[VPNECMP_GROUP_A_NAME],
				    "group not found");
		mutex_unlock(&vn->cfg_lock);
		return -ENOENT;
	}
	msg = genlmsg_new(vpnecmp_group_size(grp), GFP_KERNEL);
	err = -ENOMEM;
	if (!msg)
		goto err_unlock;
	hdr = genlmsg_put_reply(msg, info, &vpnecmp_family, 0,
				VPNECMP_CMD_GROUP_GET);
	err = -EMSGSIZE;
	if (!hdr || vpnecmp_fill_group(msg, grp))
		goto err_free;
	mutex_unlock(&vn->cfg_lock);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
err_free:
	nlmsg_free(msg);
err_unlock:
	mutex_unlock(&vn->cfg_lock);
	return err;
}

/*
 * Dumps.  cb->args[0] is the index of the next object in the namespace's
 * list (paths filtered by group keep their index in the full list), so a
 * dump resumes where the last skb ended; a change in between is flagged
 * NLM_F_DUMP_INTR through vn->gen.
 *
 * The skb of a dump is as large as the reader's last recvmsg() buffer (at
 * least NLMSG_GOODSIZE, about 4 KiB), but a group of 256 members is about
 * 10 KiB.  The group dump's start callback asks for skbs as large as the
 * largest group (cb->min_dump_alloc); then it packs groups only up to
 * NLMSG_GOODSIZE and sends a larger one alone, so that a reader with a
 * 4 KiB buffer gets datagrams larger than it only for a group that cannot
 * be smaller (it must read those with MSG_PEEK | MSG_TRUNC to size them).
 * An object that does not fit even an empty skb (a group that grew during
 * the dump) ends the dump with -EMSGSIZE, never silently.
 */
static int vpnecmp_nl_group_get_start(struct netlink_callback *cb)
{
	struct vpnecmp_net *vn = vpnecmp_pernet(sock_net(cb->skb->sk));
	struct vpnecmp_group *grp;
	size_t size, max = 0;

	mutex_lock(&vn->cfg_lock);
	list_for_each_entry(grp, &vn->groups, list) {
		size = nlmsg_total_size(GENL_HDRLEN + vpnecmp_group_size(grp));
		max = max(max, size);
	}
	mutex_unlock(&vn->cfg_lock);
	if (max > NLMSG_GOODSIZE)
		cb->min_dump_alloc = max;
	return 0;
}

/* Room for an object of @size bytes in the dump's skb. */
static bool vpnecmp_nl_dump_fits(struct sk_buff *skb,
				 struct netlink_callback *cb, size_t size)
{
	if (!skb->len)
		return size <= skb_tailroom(skb);
	if (cb->min_dump_alloc && skb->len + size > NLMSG_GOODSIZE)
		return false;
	return size <= skb_tailroom(skb);
}

static int vpnecmp_nl_group_get_dumpit(struct sk_buff *skb,
				       struct netlink_callback *cb)
{
	struct vpnecmp_net *vn = vpnecmp_pernet(sock_net(skb->sk));
	long idx = 0, start = cb->args[0];
	struct vpnecmp_group *grp;
	int err = 0;
	void *hdr;

	mutex_lock(&vn->cfg_lock);
	cb->seq = vn->gen;
	list_for_each_entry(grp, &vn->groups, list) {
		if (idx < start) {
			idx++;
			continue;
		}
		if (!vpnecmp_nl_dump_fits(skb, cb, nlmsg_total_size(GENL_HDRLEN +
					  vpnecmp_group_size(grp)))) {
			err = -EMSGSIZE;
			break;
		}
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &vpnecmp_family,
				  NLM_F_MULTI, VPNECMP_CMD_GROUP_GET);
		if (!hdr) {
			err = -EMSGSIZE;
			break;
		}
		genl_dump_check_consistent(cb, hdr);
		err = vpnecmp_fill_group(skb, grp);
		if (err) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		idx++;
	}
	mutex_unlock(&vn->cfg_lock);
	cb->args[0] = idx;
	if (err && !skb->len)
		NL_SET_ERR_MSG_MOD(cb->extack,
				   "group larger than the dump buffer (it grew during the dump): dump again");
	return err && !skb->len ? err : skb->len;
}

static int vpnecmp_nl_path_get_dumpit(struct sk_buff *skb,
				      struct netlink_callback *cb)
{
	struct vpnecmp_net *vn = vpnecmp_pernet(sock_net(skb->sk));
	struct nlattr **attrs = vpnecmp_dump_attrs(cb);
	long idx = 0, start = cb->args[0];
	struct nlattr *tb[VPNECMP_PATH_A_MAX + 1];
	const char *group = NULL;
	struct vpnecmp_path *path;
	int err = 0;
	void *hdr;

	if (attrs && attrs[VPNECMP_A_PATH]) {
		err = nla_parse_nested(tb, VPNECMP_PATH_A_MAX,
				       attrs[VPNECMP_A_PATH],
				       vpnecmp_path_get_nest, cb->extack);
		if (err)
			return err;
		if (tb[VPNECMP_PATH_A_NAME]) {
			NL_SET_ERR_MSG_ATTR(cb->extack, tb[VPNECMP_PATH_A_NAME],
					    "a dump takes no name (get one path without the dump flag)");
			return -EINVAL;
		}
		if (tb[VPNECMP_PATH_A_GROUP])
			group = nla_data(tb[VPNECMP_PATH_A_GROUP]);
	}

	mutex_lock(&vn->cfg_lock);
	cb->seq = vn->gen;
	list_for_each_entry(path, &vn->paths, list) {
		if (idx < start || (group && strcmp(path->group->name, group))) {
			idx++;
			continue;
		}
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &vpnecmp_family,
				  NLM_F_MULTI, VPNECMP_CMD_PATH_GET);
		if (!hdr) {
			err = -EMSGSIZE;
			break;
		}
		genl_dump_check_consistent(cb, hdr);
		err = vpnecmp_fill_path(skb, vn, path);
		if (err) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		idx++;
	}
	mutex_unlock(&vn->cfg_lock);
	cb->args[0] = idx;
	return err && !skb->len ? err : skb->len;
}

/* Cross-attribute checks of PATH_NEW; fills the SA match key. */
static int vpnecmp_path_precheck(struct nlattr *nest, struct nlattr **tb,
				 struct vpnecmp_key *key,
				 struct netlink_ext_ack *extack)
{
	bool v4 = tb[VPNECMP_PATH_A_LOCAL4] || tb[VPNECMP_PATH_A_REMOTE4];
	bool v6 = tb[VPNECMP_PATH_A_LOCAL6] || tb[VPNECMP_PATH_A_REMOTE6];

	if (VPNECMP_REQUIRE(extack, nest, tb, VPNECMP_PATH_A_GROUP,
			    "missing group") ||
	    VPNECMP_REQUIRE(extack, nest, tb, VPNECMP_PATH_A_IFINDEX,
			    "missing device") ||
	    VPNECMP_REQUIRE(extack, nest, tb, VPNECMP_PATH_A_NHID,
			    "missing nexthop id"))
		return -EINVAL;
	if (v4 && v6) {
		NL_SET_ERR_MSG_MOD(extack,
				   "tunnel endpoints mix IPv4 and IPv6");
		return -EINVAL;
	}
	memset(key, 0, sizeof(*key));
	if (v6) {
		if (VPNECMP_REQUIRE(extack, nest, tb, VPNECMP_PATH_A_LOCAL6,
				    "missing local tunnel address") ||
		    VPNECMP_REQUIRE(extack, nest, tb, VPNECMP_PATH_A_REMOTE6,
				    "missing remote tunnel address"))
			return -EINVAL;
		key->family = AF_INET6;
		key->saddr.in6 = nla_get_in6_addr(tb[VPNECMP_PATH_A_LOCAL6]);
		key->daddr.in6 = nla_get_in6_addr(tb[VPNECMP_PATH_A_REMOTE6]);
	} else {
		if (VPNECMP_REQUIRE(extack, nest, tb, VPNECMP_PATH_A_LOCAL4,
				    "missing local tunnel address") ||
		    VPNECMP_REQUIRE(extack, nest, tb, VPNECMP_PATH_A_REMOTE4,
				    "missing remote tunnel address"))
			return -EINVAL;
		key->family = AF_INET;
		key->saddr.a4 = nla_get_in_addr(tb[VPNECMP_PATH_A_LOCAL4]);
		key->daddr.a4 = nla_get_in_addr(tb[VPNECMP_PATH_A_REMOTE4]);
	}
	if (tb[VPNECMP_PATH_A_MARK])
		key->mark = nla_get_u32(tb[VPNECMP_PATH_A_MARK]);
	if (tb[VPNECMP_PATH_A_IF_ID])
		key->if_id = nla_get_u32(tb[VPNECMP_PATH_A_IF_ID]);
	return 0;
}

static void vpnecmp_path_opts(struct vpnecmp_path *path, struct nlattr **tb)
{
	if (tb[VPNECMP_PATH_A_WEIGHT])
		path->weight = nla_get_u32(tb[VPNECMP_PATH_A_WEIGHT]);
	if (tb[VPNECMP_PATH_A_TIER])
		path->tier = nla_get_u32(tb[VPNECMP_PATH_A_TIER]);
	if (tb[VPNECMP_PATH_A_HOLD_UP_MS])
		path->hold_up_ms = nla_get_u32(tb[VPNECMP_PATH_A_HOLD_UP_MS]);
}

static int vpnecmp_nl_path_new_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct vpnecmp_net *vn = vpnecmp_pernet(genl_info_net(info));
	struct nlattr *nest = info->attrs[VPNECMP_A_PATH];
	struct nlattr *tb[VPNECMP_PATH_A_MAX + 1];
	struct netlink_ext_ack *extack = info->extack;
	struct vpnecmp_path *path, *other;
	struct vpnecmp_group *grp;
	struct net_device *dev;
	struct vpnecmp_key key;
	int err;

	err = vpnecmp_nl_parse(info, VPNECMP_A_PATH, tb, VPNECMP_PATH_A_MAX,
			       vpnecmp_path_new_nest, VPNECMP_PATH_A_NAME);
	if (err)
		return err;
	err = vpnecmp_path_precheck(nest, tb, &key, extack);
	if (err)
		return err;

	path = kzalloc(sizeof(*path), GFP_KERNEL_ACCOUNT);
	if (!path)
		return -ENOMEM;
	INIT_LIST_HEAD(&path->sas);
	nla_strscpy(path->name, tb[VPNECMP_PATH_A_NAME], sizeof(path->name));
	path->key = key;
	path->ifindex = nla_get_u32(tb[VPNECMP_PATH_A_IFINDEX]);
	path->nhid = nla_get_u32(tb[VPNECMP_PATH_A_NHID]);
	path->weight = 1;
	path->signals = BIT(VPNECMP_SIGNAL_SA);
	if (tb[VPNECMP_PATH_A_SIGNALS])
		path->signals = nla_get_u32(tb[VPNECMP_PATH_A_SIGNALS]);
	/* Draining must always work, whatever else is monitored. */
	path->signals |= BIT(VPNECMP_SIGNAL_ADMIN);
	/* Userspace signals are up until a feeder says otherwise. */
	path->sig_up = VPNECMP_SIGNALS_ALL & ~BIT(VPNECMP_SIGNAL_SA);
	path->state = VPNECMP_PATH_DOWN;
	path->reason = VPNECMP_REASON_CONFIG;
	path->fresh = true;
	path->nh_ok = true;
	path->last_change_ns = ktime_get_ns();

	mutex_lock(&vn->cfg_lock);
	grp = vpnecmp_group_find(vn, nla_data(tb[VPNECMP_PATH_A_GROUP]));
	if (!grp) {
		NL_SET_ERR_MSG_ATTR(extack, tb[VPNECMP_PATH_A_GROUP],
				    "group not found");
		err = -ENOENT;
		goto err_unlock;
	}
	path->hold_up_ms = grp->hold_up_ms;
	vpnecmp_path_opts(path, tb);
	if (vpnecmp_path_find(vn, path->name)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[VPNECMP_PATH_A_NAME],
				    "path already exists");
		err = -EEXIST;
		goto err_unlock;
	}
	if (vn->npaths >= VPNECMP_MAX_PATHS ||
	    grp->npaths >= VPNECMP_GROUP_MAX_PATHS) {
		NL_SET_ERR_MSG_MOD(extack, "too many paths");
		err = -ENOSPC;
		goto err_unlock;
	}
	/*
	 * Paths of different groups may match the same SAs: one tunnel in an
	 * IPv4 and an IPv6 group (dual stack).  Each tracks them.
	 */
	list_for_each_entry(other, &grp->paths, group_node) {
		if (other->nhid == path->nhid) {
			NL_SET_ERR_MSG_ATTR(extack, tb[VPNECMP_PATH_A_NHID],
					    "nexthop already used by another path of the group");
			err = -EEXIST;
			goto err_unlock;
		}
		if (!memcmp(&other->key, &path->key, sizeof(path->key))) {
			NL_SET_ERR_MSG_MOD(extack,
					   "another path of the group already matches these SAs (endpoints, mark, if_id)");
			err = -EEXIST;
			goto err_unlock;
		}
	}
	rcu_read_lock();
	dev = dev_get_by_index_rcu(vn->net, path->ifindex);
	if (dev)
		strscpy(path->ifname, dev->name, sizeof(path->ifname));
	rcu_read_unlock();
	if (!dev) {
		NL_SET_ERR_MSG_ATTR(extack, tb[VPNECMP_PATH_A_IFINDEX],
				    "device not found");
		err = -ENODEV;
		goto err_unlock;
	}
	err = vpnecmp_nh_check(vn->net, path->nhid, false, path->ifindex, NULL,
			       extack);
	if (err) {
		NL_SET_BAD_ATTR(extack, tb[VPNECMP_PATH_A_NHID]);
		goto err_unlock;
	}
	path->group = grp;
	list_add_tail(&path->list, &vn->paths);
	list_add_tail(&path->group_node, &grp->paths);
	vn->npaths++;
	grp->npaths++;
	vn->gen++;
	vpnecmp_path_hash(vn, path);
	spin_lock_bh(&vn->sa_lock);
	vpnecmp_kick(vn);
	spin_unlock_bh(&vn->sa_lock);
	mutex_unlock(&vn->cfg_lock);
	return 0;

err_unlock:
	mutex_unlock(&vn->cfg_lock);
	kfree(path);
	return err;
}

static struct vpnecmp_path *vpnecmp_nl_path_lookup(struct vpnecmp_net *vn,
						   struct nlattr **tb,
						   struct netlink_ext_ack *extack)
{
	struct vpnecmp_path *path;

	path = vpnecmp_path_find(vn, nla_data(tb[VPNECMP_PATH_A_NAME]));
	if (!path)
		NL_SET_ERR_MSG_ATTR(extack, tb[VPNECMP_PATH_A_NAME],
				    "path not found");
	return path;
}

static int vpnecmp_nl_path_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct vpnecmp_net *vn = vpnecmp_pernet(genl_info_net(info));
	struct nlattr *tb[VPNECMP_PATH_A_MAX + 1];
	struct vpnecmp_path *path;
	int err;

	err = vpnecmp_nl_parse(info, VPNECMP_A_PATH, tb, VPNECMP_PATH_A_MAX,
			       vpnecmp_path_set_nest, VPNECMP_PATH_A_NAME);
	if (err)
		return err;

	mutex_lock(&vn->cfg_lock);
	path = vpnecmp_nl_path_lookup(vn, tb, info->extack);
	if (!path) {
		err = -ENOENT;
		goto out;
	}
	vpnecmp_path_opts(path, tb);
	spin_lock_bh(&vn->sa_lock);
	if (tb[VPNECMP_PATH_A_SIGNALS])
		path->signals = nla_get_u32(tb[VPNECMP_PATH_A_SIGNALS]) |
				BIT(VPNECMP_SIGNAL_ADMIN);
	vpnecmp_kick(vn);
	spin_unlock_bh(&vn->sa_lock);
	vn->gen++;
out:
	mutex_unlock(&vn->cfg_lock);
	return err;
}

static int vpnecmp_nl_path_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct vpnecmp_net *vn = vpnecmp_pernet(genl_info_net(info));
	struct nlattr *tb[VPNECMP_PATH_A_MAX + 1];
	struct vpnecmp_path *path;
	int err;

	err = vpnecmp_nl_parse(info, VPNECMP_A_PATH, tb, VPNECMP_PATH_A_MAX,
			       vpnecmp_path_name_nest, VPNECMP_PATH_A_NAME);
	if (err)
		return err;

	mutex_lock(&vn->cfg_lock);
	path = vpnecmp_nl_path_lookup(vn, tb, info->extack);
	if (!path) {
		mutex_unlock(&vn->cfg_lock);
		return -ENOENT;
	}
	vpnecmp_path_free(vn, path);
	spin_lock_bh(&vn->sa_lock);
	vpnecmp_kick(vn);
	spin_unlock_bh(&vn->sa_lock);
	mutex_unlock(&vn->cfg_lock);
	return 0;
}

static int vpnecmp_nl_path_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct vpnecmp_net *vn = vpnecmp_pernet(genl_info_net(info));
	struct nlattr *tb[VPNECMP_PATH_A_MAX + 1];
	struct vpnecmp_path *path;
	struct sk_buff *msg;
	void *hdr;
	int err;

	err = vpnecmp_nl_parse(info, VPNECMP_A_PATH, tb, VPNECMP_PATH_A_MAX,
			       vpnecmp_path_get_nest, VPNECMP_PATH_A_NAME);
	if (err)
		return err;
	if (tb[VPNECMP_PATH_A_GROUP]) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[VPNECMP_PATH_A_GROUP],
				    "group filters a dump, not the get of one path");
		return -EINVAL;
	}
	msg = genlmsg_new(vpnecmp_path_size(), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;

	mutex_lock(&vn->cfg_lock);
	path = vpnecmp_nl_path_lookup(vn, tb, info->extack);
	err = -ENOENT;
	if (!path)
		goto err;
	hdr = genlmsg_put_reply(msg, info, &vpnecmp_family, 0,
				VPNECMP_CMD_PATH_GET);
	err = -EMSGSIZE;
	if (!hdr || vpnecmp_fill_path(msg, vn, path))
		goto err;
	mutex_unlock(&vn->cfg_lock);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
err:
	mutex_unlock(&vn->cfg_lock);
	nlmsg_free(msg);
	return err;
}

static int vpnecmp_nl_event_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct vpnecmp_net *vn = vpnecmp_pernet(genl_info_net(info));
	struct nlattr *tb[VPNECMP_PATH_A_MAX + 1];
	struct vpnecmp_path *path;
	u32 signal, bit;
	bool up;
	int err;

	err = vpnecmp_nl_parse(info, VPNECMP_A_PATH, tb, VPNECMP_PATH_A_MAX,
			       vpnecmp_path_name_nest, VPNECMP_PATH_A_NAME);
	if (err)
		return err;
	if (VPNECMP_REQUIRE(info->extack, NULL, info->attrs, VPNECMP_A_SIGNAL,
			    "missing signal") ||
	    VPNECMP_REQUIRE(info->extack, NULL, info->attrs,
			    VPNECMP_A_SIGNAL_UP, "missing signal state"))
		return -EINVAL;
	signal = nla_get_u32(info->attrs[VPNECMP_A_SIGNAL]);
	up = nla_get_u8(info->attrs[VPNECMP_A_SIGNAL_UP]);
	if (signal == VPNECMP_SIGNAL_SA) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[VPNECMP_A_SIGNAL],
				    "the sa signal follows the kernel's SAs and cannot be set");
		return -EINVAL;
	}
	bit = BIT(signal);

	mutex_lock(&vn->cfg_lock);
	path = vpnecmp_nl_path_lookup(vn, tb, info->extack);
	if (!path) {
		mutex_unlock(&vn->cfg_lock);
		return -ENOENT;
	}
	spin_lock_bh(&vn->sa_lock);
	if (up) {
		path->sig_up |= bit;
	} else if (path->sig_up & bit) {
		path->sig_up &= ~bit;
		path->down_latch |= bit;
	}
	path->cause_ns = ktime_get_ns();
	vpnecmp_kick(vn);
	spin_unlock_bh(&vn->sa_lock);
	mutex_unlock(&vn->cfg_lock);
	return 0;
}

/**
 * vpnecmp_ntf_path - multicast a path transition
 * @vn: the namespace
 * @path: the path, in its new state
 * @old_state: the state it left
 * @cause_ns: when the signal that caused it was seen
 *
 * Context: the apply work, cfg_lock held.
 */
void vpnecmp_ntf_path(struct vpnecmp_net *vn, const struct vpnecmp_path *path,
		      u32 old_state, u64 cause_ns)
{
	struct sk_buff *msg;
	struct nlattr *nest;
	void *hdr;

	if (!genl_has_listeners(&vpnecmp_family, vn->net, 0))
		return;
	msg = genlmsg_new(nla_total_size(0) +
			  2 * nla_total_size(VPNECMP_NAME_MAX) +
			  3 * nla_total_size(sizeof(u32)) +
			  2 * nla_total_size_64bit(sizeof(u64)), GFP_KERNEL);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &vpnecmp_family, 0, VPNECMP_CMD_PATH_NTF);
	if (!hdr)
		goto err;
	nest = nla_nest_start(msg, VPNECMP_A_NTF);
	if (!nest ||
	    nla_put_string(msg, VPNECMP_NTF_A_PATH, path->name) ||
	    nla_put_string(msg, VPNECMP_NTF_A_GROUP, path->group->name) ||
	    nla_put_u32(msg, VPNECMP_NTF_A_OLD_STATE, old_state) ||
	    nla_put_u32(msg, VPNECMP_NTF_A_NEW_STATE, path->state) ||
	    nla_put_u32(msg, VPNECMP_NTF_A_REASON, path->reason) ||
	    nla_put_u64_64bit(msg, VPNECMP_NTF_A_TIMESTAMP_NS,
			      path->last_change_ns, VPNECMP_NTF_A_PAD) ||
	    nla_put_u64_64bit(msg, VPNECMP_NTF_A_CAUSE_NS, cause_ns,
			      VPNECMP_NTF_A_PAD))
		goto err;
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	genlmsg_multicast_netns(&vpnecmp_family, vn->net, msg, 0, 0,
				GFP_KERNEL);
	return;
err:
	nlmsg_free(msg);
}

/**
 * vpnecmp_ntf_group - multicast a group's membership after a replace
 * @vn: the namespace
 * @grp: the group
 * @all_down: no path of the group is UP
 * @reason: VPNECMP_REASON_RESTORED when the replace put back members that
 *	someone else changed, VPNECMP_REASON_NONE otherwise
 *
 * Context: the apply work, cfg_lock held.
 */
void vpnecmp_ntf_group(struct vpnecmp_net *vn, const struct vpnecmp_group *grp,
		       bool all_down, u32 reason)
{
	struct sk_buff *msg;
	struct nlattr *nest;
	void *hdr;

	if (!genl_has_listeners(&vpnecmp_family, vn->net, 0))
		return;
	msg = genlmsg_new(nla_total_size(0) +
			  nla_total_size(VPNECMP_NAME_MAX) +
			  vpnecmp_members_size(grp->applied ? grp->nmembers : 0) +
			  2 * nla_total_size(sizeof(u32)) +
			  nla_total_size(sizeof(grp->error_msg)) +
			  nla_total_size(sizeof(u8)) +
			  nla_total_size_64bit(sizeof(u64)), GFP_KERNEL);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &vpnecmp_family, 0, VPNECMP_CMD_GROUP_NTF);
	if (!hdr)
		goto err;
	nest = nla_nest_start(msg, VPNECMP_A_NTF);
	if (!nest ||
	    nla_put_string(msg, VPNECMP_NTF_A_GROUP, grp->name) ||
	    vpnecmp_put_members(msg, VPNECMP_NTF_A_MEMBERS, grp->members,
				grp->applied ? grp->nmembers : 0) ||
	    nla_put_s32(msg, VPNECMP_NTF_A_ERROR, grp->error) ||
	    (grp->error && grp->error_msg[0] &&
	     nla_put_string(msg, VPNECMP_NTF_A_ERROR_MSG, grp->error_msg)) ||
	    nla_put_u8(msg, VPNECMP_NTF_A_ALL_DOWN, all_down) ||
	    nla_put_u64_64bit(msg, VPNECMP_NTF_A_TIMESTAMP_NS, ktime_get_ns(),
			      VPNECMP_NTF_A_PAD) ||
	    nla_put_u32(msg, VPNECMP_NTF_A_REASON, reason))
		goto err;
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	genlmsg_multicast_netns(&vpnecmp_family, vn->net, msg, 0, 0,
				GFP_KERNEL);
	return;
err:
	nlmsg_free(msg);
}

static const struct genl_ops vpnecmp_nl_ops[] = {
	{
		.cmd	= VPNECMP_CMD_VERSION_GET,
		.policy	= vpnecmp_version_policy,
		.maxattr = VPNECMP_A_MAX,
		.doit	= vpnecmp_nl_version_doit,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= VPNECMP_CMD_GROUP_NEW,
		.policy	= vpnecmp_group_new_policy,
		.maxattr = VPNECMP_A_MAX,
		.doit	= vpnecmp_nl_group_new_doit,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= VPNECMP_CMD_GROUP_DEL,
		.policy	= vpnecmp_group_name_policy,
		.maxattr = VPNECMP_A_MAX,
		.doit	= vpnecmp_nl_group_del_doit,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= VPNECMP_CMD_GROUP_SET,
		.policy	= vpnecmp_group_set_policy,
		.maxattr = VPNECMP_A_MAX,
		.doit	= vpnecmp_nl_group_set_doit,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= VPNECMP_CMD_GROUP_GET,
		.policy	= vpnecmp_group_name_policy,
		.maxattr = VPNECMP_A_MAX,
		.start	= vpnecmp_nl_group_get_start,
		.doit	= vpnecmp_nl_group_get_doit,
		.dumpit	= vpnecmp_nl_group_get_dumpit,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= VPNECMP_CMD_PATH_NEW,
		.policy	= vpnecmp_path_new_policy,
		.maxattr = VPNECMP_A_MAX,
		.doit	= vpnecmp_nl_path_new_doit,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= VPNECMP_CMD_PATH_DEL,
		.policy	= vpnecmp_path_name_policy,
		.maxattr = VPNECMP_A_MAX,
		.doit	= vpnecmp_nl_path_del_doit,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= VPNECMP_CMD_PATH_SET,
		.policy	= vpnecmp_path_set_policy,
		.maxattr = VPNECMP_A_MAX,
		.doit	= vpnecmp_nl_path_set_doit,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= VPNECMP_CMD_PATH_GET,
		.policy	= vpnecmp_path_get_policy,
		.maxattr = VPNECMP_A_MAX,
		.doit	= vpnecmp_nl_path_get_doit,
		.dumpit	= vpnecmp_nl_path_get_dumpit,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= VPNECMP_CMD_EVENT,
		.policy	= vpnecmp_event_policy,
		.maxattr = VPNECMP_A_MAX,
		.doit	= vpnecmp_nl_event_doit,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
};

static const struct genl_multicast_group vpnecmp_nl_mcgrps[] = {
	{ .name = VPNECMP_MCGRP_EVENTS, VPNECMP_MCGRP_FLAGS },
};

static struct genl_family vpnecmp_family __ro_after_init = {
	.name		= VPNECMP_GENL_NAME,
	.version	= VPNECMP_GENL_VERSION,
	.maxattr	= VPNECMP_A_MAX,
	.netnsok	= true,
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	.ops		= vpnecmp_nl_ops,
	.n_ops		= ARRAY_SIZE(vpnecmp_nl_ops),
	.mcgrps		= vpnecmp_nl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(vpnecmp_nl_mcgrps),
};

int __init vpnecmp_nl_init(void)
{
	return genl_register_family(&vpnecmp_family);
}

/* Waits for running handlers: none runs or starts after this returns. */
void vpnecmp_nl_exit(void)
{
	genl_unregister_family(&vpnecmp_family);
}
