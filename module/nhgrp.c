// SPDX-License-Identifier: GPL-2.0
/*
 * The apply work: path state machine, group membership, and the kernel
 * nexthop group replace.
 *
 * No exported kernel function edits nexthop group membership, so the group
 * is replaced the way userspace does it: an RTM_NEWNEXTHOP with
 * NLM_F_REPLACE, sent over a kernel NETLINK_ROUTE socket of the namespace.
 * The message must carry a destination address: without one, rtnetlink's
 * permission check looks at the socket's file, which a kernel socket does
 * not have.  rtnetlink takes rtnl for the request, so the send happens here,
 * in the work, with only cfg_lock held.
 */

#include <linux/netdevice.h>
#include <linux/nexthop.h>
#include <linux/rtnetlink.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <net/netlink.h>
#include <net/nexthop.h>

#include "vpnecmp.h"

#define VPNECMP_ACK_BUF		1024
#define VPNECMP_RETRY_BASE_MS	100

/**
 * vpnecmp_nh_check - check a kernel nexthop a group or path refers to
 * @net: namespace
 * @nhid: nexthop id
 * @want_group: the nexthop must be a group (else it must not be)
 * @ifindex: if non-zero, the nexthop must forward over this device
 * @resilient: set to whether the group is resilient (may be NULL)
 * @extack: extended ack, may be NULL
 *
 * Context: any; takes the RCU read lock.  The answer is exact only under
 * rtnl: without it a lookup may miss a nexthop while the tree changes.  The
 * handlers use it to refuse bad configuration; the work re-checks every
 * nexthop under rtnl before it relies on it (vpnecmp_nh_refresh()).
 * Return: 0, -ENOENT if the nexthop does not exist, -EINVAL otherwise.
 */
int vpnecmp_nh_check(struct net *net, u32 nhid, bool want_group, u32 ifindex,
		     bool *resilient, struct netlink_ext_ack *extack)
{
	struct nexthop *nh;
	struct nh_info *nhi;
	int err = 0;

	rcu_read_lock();
	nh = nexthop_find_by_id(net, nhid);
	if (!nh) {
		NL_SET_ERR_MSG_MOD(extack, "nexthop id does not exist");
		err = -ENOENT;
		goto out;
	}
	if (nh->is_group != want_group) {
		if (want_group)
			NL_SET_ERR_MSG_MOD(extack, "nexthop is not a nexthop group");
		else
			NL_SET_ERR_MSG_MOD(extack,
					   "nexthop is a group; a path needs a single nexthop");
		err = -EINVAL;
		goto out;
	}
	if (want_group) {
		struct nh_group *nhg = rcu_dereference(nh->nh_grp);

		if (nhg->fdb_nh) {
			NL_SET_ERR_MSG_MOD(extack, "fdb nexthop groups are not supported");
			err = -EINVAL;
		} else if (resilient) {
			*resilient = nhg->resilient;
		}
		goto out;
	}
	nhi = rcu_dereference(nh->nh_info);
	if (nhi->fdb_nh) {
		NL_SET_ERR_MSG_MOD(extack, "fdb nexthops are not supported");
		err = -EINVAL;
	} else if (ifindex && (nhi->reject_nh || !nhi->fib_nhc.nhc_dev ||
			       nhi->fib_nhc.nhc_dev->ifindex != ifindex)) {
		NL_SET_ERR_MSG_MOD(extack, "nexthop does not use the path's device");
		err = -EINVAL;
	}
out:
	rcu_read_unlock();
	return err;
}

/* Why a path whose nexthop vanished is down: its device, or the nexthop. */
static u32 vpnecmp_nh_gone_reason(struct net *net, u32 ifindex)
{
	struct net_device *dev;
	u32 reason;

	rcu_read_lock();
	dev = dev_get_by_index_rcu(net, ifindex);
	reason = dev && netif_running(dev) ? VPNECMP_REASON_NEXTHOP :
					     VPNECMP_REASON_DEVICE;
	rcu_read_unlock();
	return reason;
}

static u32 vpnecmp_signal_reason(u32 failing, bool flushed)
{
	if (failing & BIT(VPNECMP_SIGNAL_ADMIN))
		return VPNECMP_REASON_ADMIN;
	if (failing & BIT(VPNECMP_SIGNAL_SA))
		return flushed ? VPNECMP_REASON_FLUSH : VPNECMP_REASON_SA;
	if (failing & BIT(VPNECMP_SIGNAL_DPD))
		return VPNECMP_REASON_DPD;
	if (failing & BIT(VPNECMP_SIGNAL_BGP))
		return VPNECMP_REASON_BGP;
	return VPNECMP_REASON_PROBE;
}

static void vpnecmp_path_set_state(struct vpnecmp_net *vn,
				   struct vpnecmp_path *path, u32 state,
				   u32 reason, u64 cause_ns)
{
	u32 old = path->state;

	path->reason = reason;
	if (old == state)
		return;
	path->state = state;
	path->transitions++;
	path->last_change_ns = ktime_get_ns();
	vpnecmp_ntf_path(vn, path, old, cause_ns);
}

/*
 * Move one path through DOWN -> HOLD -> UP.  A signal that dropped since
 * the last run takes the path DOWN even if it is back already, so a flap
 * restarts the hold-up.  Returns true and lowers *next if the path waits
 * for its hold-up to end.
 */
static bool vpnecmp_path_eval(struct vpnecmp_net *vn, struct vpnecmp_path *path,
			      unsigned long now, unsigned long *next)
{
	u32 up, latch, failing;
	bool flushed;
	u64 cause;

	spin_lock_bh(&vn->sa_lock);
	up = path->sig_up;
	if (vpnecmp_path_sa_up(path))
		up |= BIT(VPNECMP_SIGNAL_SA);
	latch = path->down_latch & path->signals;
	path->down_latch = 0;
	flushed = path->flushed;
	cause = path->cause_ns;
	spin_unlock_bh(&vn->sa_lock);

	/* path->nh_ok was read under rtnl by vpnecmp_nh_refresh(). */
	failing = path->signals & ~up;

	if (latch && path->state != VPNECMP_PATH_DOWN)
		vpnecmp_path_set_state(vn, path, VPNECMP_PATH_DOWN,
				       vpnecmp_signal_reason(latch, flushed),
				       cause);
	if (failing || !path->nh_ok) {
		u32 reason;

		if (failing)
			reason = vpnecmp_signal_reason(failing, flushed);
		else if (path->nh_err == -ENOENT)
			reason = vpnecmp_nh_gone_reason(vn->net, path->ifindex);
		else
			reason = VPNECMP_REASON_NEXTHOP_INVALID;

		vpnecmp_path_set_state(vn, path, VPNECMP_PATH_DOWN, reason,
				       cause);
		path->fresh = false;
		return false;
	}

	switch (path->state) {
	case VPNECMP_PATH_DOWN:
		if (path->fresh || !path->hold_up_ms) {
			vpnecmp_path_set_state(vn, path, VPNECMP_PATH_UP,
					       path->fresh ? VPNECMP_REASON_CONFIG :
					       VPNECMP_REASON_SIGNALS_UP, cause);
			break;
		}
		path->hold_until = now + msecs_to_jiffies(path->hold_up_ms);
		vpnecmp_path_set_state(vn, path, VPNECMP_PATH_HOLD,
				       VPNECMP_REASON_SIGNALS_UP, cause);
		fallthrough;
	case VPNECMP_PATH_HOLD:
		if (time_after_eq(now, path->hold_until)) {
			vpnecmp_path_set_state(vn, path, VPNECMP_PATH_UP,
					       VPNECMP_REASON_HOLD_UP, cause);
			break;
		}
		path->fresh = false;
		if (!*next || time_before(path->hold_until, *next))
			*next = path->hold_until;
		return true;
	default:
		break;
	}
	path->fresh = false;
	return false;
}

/* Build the RTM_NEWNEXTHOP replace of the kernel group. */
static struct sk_buff *vpnecmp_nh_msg(struct vpnecmp_group *grp, u32 seq,
				      const struct vpnecmp_member *m, u32 n)
{
	struct nexthop_grp *entry;
	struct nlmsghdr *nlh;
	struct sk_buff *skb;
	struct nhmsg *nhm;
	struct nlattr *nla;
	u32 i;

	skb = nlmsg_new(NLMSG_ALIGN(sizeof(*nhm)) + nla_total_size(4) +
			nla_total_size(n * sizeof(*entry)) + nla_total_size(2) +
			nla_total_size(4), GFP_KERNEL);
	if (!skb)
		return NULL;
	nlh = nlmsg_put(skb, 0, seq, RTM_NEWNEXTHOP, sizeof(*nhm),
			NLM_F_REQUEST | NLM_F_ACK | NLM_F_REPLACE);
	if (!nlh)
		goto err;
	nhm = nlmsg_data(nlh);
	memset(nhm, 0, sizeof(*nhm));
	nhm->nh_family = AF_UNSPEC;
	if (nla_put_u32(skb, NHA_ID, grp->nhid))
		goto err;
	nla = nla_reserve(skb, NHA_GROUP, n * sizeof(*entry));
	if (!nla)
		goto err;
	entry = nla_data(nla);
	memset(entry, 0, n * sizeof(*entry));
	for (i = 0; i < n; i++) {
		entry[i].id = m[i].nhid;
		vpnecmp_nh_grp_set_weight(&entry[i], m[i].weight);
	}
	if (nla_put_u16(skb, NHA_GROUP_TYPE, grp->resilient ?
			NEXTHOP_GRP_TYPE_RES : NEXTHOP_GRP_TYPE_MPATH))
		goto err;
	/* A replace without it would turn the group's hardware stats off. */
	if (grp->hw_stats && vpnecmp_put_nh_hw_stats(skb))
		goto err;
	nlmsg_end(skb, nlh);
	return skb;
err:
	kfree_skb(skb);
	return NULL;
}

/* Read the ACK of request @seq; returns its errno, copies the extack text. */
static int vpnecmp_nh_ack(struct vpnecmp_net *vn, u32 seq, char *msg,
			  size_t msglen)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	struct msghdr mh = {};
	struct nlmsghdr *nlh;
	struct kvec iov;
	int len, rem;
	void *buf;
	int err;

	buf = kmalloc(VPNECMP_ACK_BUF, GFP_KERNEL_ACCOUNT);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		iov.iov_base = buf;
		iov.iov_len = VPNECMP_ACK_BUF;
		/* rtnetlink answers from within sendmsg: the ACK is queued. */
		len = kernel_recvmsg(vn->rtnl, &mh, &iov, 1, VPNECMP_ACK_BUF,
				     MSG_DONTWAIT);
		if (len < 0) {
			err = len == -EAGAIN ? -EIO : len;
			goto out;
		}
		rem = len;
		for (nlh = buf; nlmsg_ok(nlh, rem); nlh = nlmsg_next(nlh, &rem)) {
			struct nlmsgerr *e;

			if (nlh->nlmsg_type != NLMSG_ERROR || nlh->nlmsg_seq != seq)
				continue;
			if (nlh->nlmsg_len < nlmsg_msg_size(sizeof(*e))) {
				err = -EIO;
				goto out;
			}
			e = nlmsg_data(nlh);
			err = e->error;
			if (err && (nlh->nlmsg_flags & NLM_F_ACK_TLVS) &&
			    !nlmsg_parse_deprecated(nlh, sizeof(*e), tb,
						    NLMSGERR_ATTR_MAX, NULL,
						    NULL) &&
			    tb[NLMSGERR_ATTR_MSG])
				nla_strscpy(msg, tb[NLMSGERR_ATTR_MSG], msglen);
			goto out;
		}
	}
out:
	kfree(buf);
	return err;
}

static int vpnecmp_nh_replace(struct vpnecmp_net *vn, struct vpnecmp_group *grp,
			      const struct vpnecmp_member *m, u32 n)
{
	struct sockaddr_nl dst = { .nl_family = AF_NETLINK };
	struct msghdr mh = {
		.msg_name	= &dst,
		.msg_namelen	= sizeof(dst),
	};
	struct sk_buff *skb;
	struct kvec iov;
	u32 seq;
	int err;

	grp->error_msg[0] = '\0';
	seq = ++vn->seq;
	skb = vpnecmp_nh_msg(grp, seq, m, n);
	if (!skb)
		return -ENOMEM;
	iov.iov_base = skb->data;
	iov.iov_len = skb->len;
	/*
	 * rtnetlink handles the request synchronously, in this task: the
	 * notifier calls it causes for the group are the work's own change.
	 */
	spin_lock(&vn->nh_lock);
	vn->nh_self = grp->nhid;
	vn->nh_self_task = current;
	spin_unlock(&vn->nh_lock);
	err = kernel_sendmsg(vn->rtnl, &mh, &iov, 1, skb->len);
	spin_lock(&vn->nh_lock);
	vn->nh_self_task = NULL;
	spin_unlock(&vn->nh_lock);
	kfree_skb(skb);
	if (err < 0)
		return err;
	return vpnecmp_nh_ack(vn, seq, grp->error_msg, sizeof(grp->error_msg));
}

static bool vpnecmp_members_equal(const struct vpnecmp_member *a, u32 na,
				  const struct vpnecmp_member *b, u32 nb)
{
	u32 i;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++)
		if (a[i].nhid != b[i].nhid || a[i].weight != b[i].weight)
			return false;
	return true;
}

/*
 * Members are the UP paths of the active tier.  The active tier is the best
 * one with an UP path; without preemption the group stays on its current
 * tier for as long as that tier has one.
 */
static u32 vpnecmp_group_members(struct vpnecmp_group *grp,
				 struct vpnecmp_member *m)
{
	u32 best = U32_MAX, tier, n = 0;
	bool active_up = false;
	struct vpnecmp_path *path;

	list_for_each_entry(path, &grp->paths, group_node) {
		if (path->state != VPNECMP_PATH_UP)
			continue;
		best = min(best, path->tier);
		if (path->tier == grp->active_tier)
			active_up = true;
	}
	if (best == U32_MAX)
		return 0;
	tier = grp->preempt || !active_up ? best : grp->active_tier;
	grp->active_tier = tier;

	list_for_each_entry(path, &grp->paths, group_node) {
		if (path->state != VPNECMP_PATH_UP || path->tier != tier)
			continue;
		m[n].nhid = path->nhid;
		m[n].weight = path->weight;
		strscpy(m[n].path, path->name, sizeof(m[n].path));
		n++;
	}
	return n;
}

/*
 * Errors that say nothing about the request: memory, a lost ACK.  Any other
 * answer is the nexthop code's verdict on the request, and it changes only
 * when a nexthop it names changes, which the notifier reports: those are
 * retried on that report, or on the next change, not on a timer.
 */
static bool vpnecmp_err_transient(int err)
{
	return err == -ENOMEM || err == -ENOBUFS || err == -EAGAIN ||
	       err == -EBUSY || err == -EIO || err == -EINTR;
}

/*
 * Schedule a retry of a replace that failed for a passing reason; returns
 * whether one was scheduled.
 */
static bool vpnecmp_group_retry(struct vpnecmp_group *grp, int err)
{
	if (!vpnecmp_err_transient(err) || grp->retries >= VPNECMP_RETRY_MAX)
		return false;
	grp->retry_at = jiffies +
			msecs_to_jiffies(VPNECMP_RETRY_BASE_MS << grp->retries);
	grp->retries++;
	return true;
}

/*
 * Returns true and lowers *next when the group's replace failed for a
 * passing reason and is to be retried: after 0.1 s, then twice as long each
 * time, VPNECMP_RETRY_MAX times at most; then the group waits for the next
 * change.  (Any run finds the group not applied and re-sends it, so the
 * timer only makes sure that a run comes.)
 */
static bool vpnecmp_group_apply(struct vpnecmp_net *vn,
				struct vpnecmp_group *grp, unsigned long *next)
{
	bool was_all_down = grp->state == VPNECMP_GROUP_ALL_DOWN;
	u32 reason = VPNECMP_REASON_NONE;
	struct vpnecmp_member *m;
	struct vpnecmp_path *path;
	bool all_down, send;
	bool retry = false;
	int err = 0;
	u32 n;

	if (!grp->npaths) {
		grp->state = VPNECMP_GROUP_EMPTY;
		return false;
	}

	m = kcalloc(grp->npaths + 1, sizeof(*m), GFP_KERNEL_ACCOUNT);
	if (!m) {
		grp->state = VPNECMP_GROUP_ERROR;
		grp->error = -ENOMEM;
		grp->applied = false;
		retry = vpnecmp_group_retry(grp, -ENOMEM);
		goto out;
	}
	n = vpnecmp_group_members(grp, m);
	all_down = !n;
	if (all_down && grp->all_down == VPNECMP_ALL_DOWN_FALLBACK) {
		m[0].nhid = grp->fallback_nhid;
		m[0].weight = 1;
		n = 1;
	}

	/*
	 * The group can never be emptied: "keep" leaves it as it is.  A group
	 * the operator deleted is not checked for here: the replace carries no
	 * NLM_F_CREATE, so the kernel refuses it (-ENOENT) instead of
	 * re-creating it, and its answer is what the group reports.
	 */
	send = n && (!grp->applied ||
		     !vpnecmp_members_equal(m, n, grp->members, grp->nmembers));

	if (send) {
		if (grp->drifted)
			reason = VPNECMP_REASON_RESTORED;
		vn->replace_attempts++;
		err = vpnecmp_nh_replace(vn, grp, m, n);
		grp->error = err;
		if (!err) {
			kfree(grp->members);
			grp->members = m;
			grp->nmembers = n;
			grp->applied = true;
			grp->drifted = false;
			grp->retries = 0;
			grp->replaces++;
			m = NULL;
		} else {
			grp->applied = false;
			grp->replace_fails++;
			retry = vpnecmp_group_retry(grp, err);
		}
	} else if (n) {
		/* What the kernel holds (vpnecmp_group_read()) is wanted. */
		grp->drifted = false;
		grp->error = 0;
		grp->error_msg[0] = '\0';
	}

	if (err)
		grp->state = VPNECMP_GROUP_ERROR;
	else
		grp->state = all_down ? VPNECMP_GROUP_ALL_DOWN :
					VPNECMP_GROUP_ACTIVE;
	if (send || all_down != was_all_down)
		vpnecmp_ntf_group(vn, grp, all_down, reason);
	kfree(m);

	list_for_each_entry(path, &grp->paths, group_node) {
		u32 i;

		path->member = false;
		for (i = 0; grp->applied && i < grp->nmembers; i++)
			if (grp->members[i].nhid == path->nhid)
				path->member = true;
	}
out:
	if (!retry)
		return false;
	if (!*next || time_before(grp->retry_at, *next))
		*next = grp->retry_at;
	return true;
}

static int vpnecmp_cmp_u32(const void *a, const void *b)
{
	u32 x = *(const u32 *)a, y = *(const u32 *)b;

	return x < y ? -1 : x > y;
}

/* Is @id in the sorted @ids?  Context: nh_lock held. */
static bool vpnecmp_nh_watched(const struct vpnecmp_net *vn, u32 id)
{
	u32 lo = 0, hi = vn->nh_nwatch;

	if (vn->nh_watch_all)
		return true;	/* the list could not be built */
	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;

		if (vn->nh_watch[mid] == id)
			return true;
		if (vn->nh_watch[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/*
 * Rebuild the list of nexthop ids the notifier reports: every group, its
 * fallback and every path.  Context: cfg_lock and rtnl held, so that no
 * change to a new id can fall between this and the read that follows.
 */
static void vpnecmp_nh_watch_build(struct vpnecmp_net *vn)
{
	struct vpnecmp_group *grp;
	struct vpnecmp_path *path;
	u32 *ids, *old, n = 0;

	ids = kmalloc_array(2 * vn->ngroups + vn->npaths + 1, sizeof(*ids),
			    GFP_KERNEL_ACCOUNT);
	if (ids) {
		list_for_each_entry(grp, &vn->groups, list) {
			ids[n++] = grp->nhid;
			if (grp->fallback_nhid)
				ids[n++] = grp->fallback_nhid;
		}
		list_for_each_entry(path, &vn->paths, list)
			ids[n++] = path->nhid;
		sort(ids, n, sizeof(*ids), vpnecmp_cmp_u32, NULL);
		vn->nh_gen = vn->gen;
	}
	/* Without memory every id is watched, and the next run tries again. */
	spin_lock(&vn->nh_lock);
	old = vn->nh_watch;
	vn->nh_watch = ids;
	vn->nh_nwatch = n;
	vn->nh_watch_all = !ids;
	spin_unlock(&vn->nh_lock);
	kfree(old);
}

static bool vpnecmp_id_in(const u32 *ids, u32 n, u32 id)
{
	u32 i;

	for (i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

static bool vpnecmp_member_has(const struct vpnecmp_group *grp, u32 nhid,
			       u32 weight)
{
	u32 i;

	for (i = 0; i < grp->nmembers; i++)
		if (grp->members[i].nhid == nhid)
			return grp->members[i].weight == weight;
	return false;
}

/*
 * Read the kernel group behind @grp and take it as what the kernel holds:
 * the work then replaces it only if that is not what the paths want.  When
 * it differs from what vpnecmp applied last, someone else changed it: the
 * replace that puts the members back says so (reason "restored").
 *
 * Context: cfg_lock and rtnl held (the lookup is exact under rtnl).
 */
static void vpnecmp_group_read(struct vpnecmp_net *vn,
			       struct vpnecmp_group *grp)
{
	struct vpnecmp_member *m;
	struct vpnecmp_path *path;
	struct nh_group *nhg;
	struct nexthop *nh;
	bool same;
	u32 i;

	nh = nexthop_find_by_id(vn->net, grp->nhid);
	if (!nh || !nh->is_group) {
		/* The next replace is refused, and reports it. */
		grp->applied = false;
		return;
	}
	nhg = rtnl_dereference(nh->nh_grp);
	grp->hw_stats = vpnecmp_nhg_hw_stats(nhg);
	if (nhg->resilient != grp->resilient || nhg->fdb_nh) {
		/* Re-created with another type: the replace is refused. */
		grp->applied = false;
		return;
	}

	same = grp->applied && nhg->num_nh == grp->nmembers;
	for (i = 0; same && i < nhg->num_nh; i++)
		same = vpnecmp_member_has(grp, nhg->nh_entries[i].nh->id,
					  nhg->nh_entries[i].weight);
	if (same)
		return;
	if (grp->applied)
		grp->drifted = true;

	m = kcalloc(nhg->num_nh, sizeof(*m), GFP_KERNEL_ACCOUNT);
	if (!m) {
		grp->applied = false;
		return;
	}
	for (i = 0; i < nhg->num_nh; i++) {
		m[i].nhid = nhg->nh_entries[i].nh->id;
		m[i].weight = nhg->nh_entries[i].weight;
		list_for_each_entry(path, &grp->paths, group_node)
			if (path->nhid == m[i].nhid)
				strscpy(m[i].path, path->name,
					sizeof(m[i].path));
	}
	kfree(grp->members);
	grp->members = m;
	grp->nmembers = nhg->num_nh;
	grp->applied = true;
}

/*
 * Is the path's nexthop a plain nexthop over the path's device?  A tunnel
 * device deleted and re-created under the same name (with a new ifindex)
 * is still the path's device: the path follows it.
 *
 * Context: cfg_lock and rtnl held.
 * Return: 0, -ENOENT (no such nexthop) or -EINVAL (not usable).
 */
static int vpnecmp_path_nh_check(struct vpnecmp_net *vn,
				 struct vpnecmp_path *path)
{
	struct net_device *dev;
	int err;

	err = vpnecmp_nh_check(vn->net, path->nhid, false, path->ifindex,
			       NULL, NULL);
	if (err != -EINVAL || !path->ifname[0] ||
	    __dev_get_by_index(vn->net, path->ifindex))
		return err;
	dev = __dev_get_by_name(vn->net, path->ifname);
	if (!dev || vpnecmp_nh_check(vn->net, path->nhid, false, dev->ifindex,
				     NULL, NULL))
		return err;
	path->ifindex = dev->ifindex;
	return 0;
}

/*
 * Let other users of rtnl in after every VPNECMP_RTNL_BATCH reads: another
 * namespace's replace must not wait for all the nexthops of this one.  A
 * nexthop that changes while rtnl is released is reported again by the
 * notifier (the watch list is in place and the dirty ids were taken), so
 * the next run reads it: nothing is lost.  Context: cfg_lock and rtnl held.
 */
static void vpnecmp_rtnl_yield(u32 *reads)
{
	if (++*reads % VPNECMP_RTNL_BATCH)
		return;
	rtnl_unlock();
	cond_resched();
	rtnl_lock();
}

/*
 * Read, under rtnl, the nexthops the notifier reported changed since the
 * last run (all of them after a configuration change): whether each path's
 * nexthop is still a plain nexthop over its device, and what each group
 * holds.  Nothing to read (the common case: an SA or signal event) costs
 * no rtnl.  rtnl is held for VPNECMP_RTNL_BATCH reads at most at a time.
 *
 * Context: cfg_lock held; takes rtnl, then nh_lock.
 */
static void vpnecmp_nh_refresh(struct vpnecmp_net *vn)
{
	bool all, rebuild;
	u32 dirty[VPNECMP_NH_DIRTY_MAX];
	struct vpnecmp_group *grp;
	struct vpnecmp_path *path;
	u32 n, reads = 0;

	spin_lock(&vn->nh_lock);
	all = vn->nh_dirty_all;
	n = vn->nh_ndirty;
	rebuild = vn->nh_gen != vn->gen || vn->nh_watch_all;
	spin_unlock(&vn->nh_lock);
	if (!all && !n && !rebuild)
		return;

	rtnl_lock();
	if (rebuild)
		vpnecmp_nh_watch_build(vn);
	spin_lock(&vn->nh_lock);
	all = vn->nh_dirty_all || rebuild;
	n = vn->nh_ndirty;
	memcpy(dirty, vn->nh_dirty, n * sizeof(*dirty));
	vn->nh_ndirty = 0;
	vn->nh_dirty_all = false;
	spin_unlock(&vn->nh_lock);

	list_for_each_entry(path, &vn->paths, list) {
		if (!all && !vpnecmp_id_in(dirty, n, path->nhid))
			continue;
		path->nh_err = vpnecmp_path_nh_check(vn, path);
		path->nh_ok = !path->nh_err;
		vpnecmp_rtnl_yield(&reads);
	}
	list_for_each_entry(grp, &vn->groups, list) {
		if (rebuild)
			grp->retries = 0;
		if (all || vpnecmp_id_in(dirty, n, grp->nhid) ||
		    (grp->fallback_nhid &&
		     vpnecmp_id_in(dirty, n, grp->fallback_nhid))) {
			vpnecmp_group_read(vn, grp);
			vpnecmp_rtnl_yield(&reads);
		}
	}
	rtnl_unlock();
}

/**
 * vpnecmp_work_fn - the apply work
 * @work: &vpnecmp_net.work
 *
 * Re-evaluates every path of the namespace and applies the resulting
 * membership of every group.  It runs when an SA, a signal, a watched
 * nexthop or the configuration changed, when a hold-up ends, and when a
 * failed replace is retried; bursts of events coalesce into one run.  Only
 * a replace that failed for a passing reason (memory, a lost ACK) is
 * retried on a timer, a bounded number of times; a refused one waits for
 * the next change (no spinning), with the kernel's errno and extack text
 * in the group.  &vpnecmp_net.work_runs and &vpnecmp_net.replace_attempts
 * count the runs and the replaces sent, so that tests can prove it.
 *
 * Its allocations are charged to the namespace's memory cgroup
 * (&vpnecmp_net.memcg), not to the worker's.
 *
 * Context: process, on the module's workqueue; takes cfg_lock, then rtnl
 * (in vpnecmp_nh_refresh() and inside rtnetlink), never together.
 */
void vpnecmp_work_fn(struct work_struct *work)
{
	struct vpnecmp_net *vn = container_of(to_delayed_work(work),
					      struct vpnecmp_net, work);
	unsigned long now = jiffies, next = 0;
	struct mem_cgroup *old_memcg;
	struct vpnecmp_group *grp;
	struct vpnecmp_path *path;
	bool rearm = false;

	/* Module unload began: no replace, no notification from here on. */
	if (READ_ONCE(vpnecmp_stopping))
		return;
	mutex_lock(&vn->cfg_lock);
	old_memcg = set_active_memcg(vn->memcg);
	vn->work_runs++;
	vpnecmp_sa_prune(vn);
	vpnecmp_nh_refresh(vn);
	list_for_each_entry(path, &vn->paths, list)
		rearm |= vpnecmp_path_eval(vn, path, now, &next);
	list_for_each_entry(grp, &vn->groups, list) {
		rearm |= vpnecmp_group_apply(vn, grp, &next);
		cond_resched();
	}
	set_active_memcg(old_memcg);
	mutex_unlock(&vn->cfg_lock);

	if (!rearm)
		return;
	now = jiffies;
	spin_lock_bh(&vn->sa_lock);
	if (!vn->dying && !READ_ONCE(vpnecmp_stopping))
		queue_delayed_work(vpnecmp_wq, &vn->work,
				   time_after(next, now) ? next - now : 1);
	spin_unlock_bh(&vn->sa_lock);
}

/*
 * Under rtnl: a nexthop was deleted, created or changed.  Only a nexthop
 * that a group or path of this namespace names matters: its id is recorded
 * for the work, which reads it under rtnl, and the work is kicked.  Any
 * other nexthop is none of vpnecmp's business and costs nothing more than
 * the lookup.  The work's own replace of a group is not reported back to
 * it (this cannot feed itself).
 */
static int vpnecmp_nh_event(struct notifier_block *nb, unsigned long event,
			    void *ptr)
{
	struct vpnecmp_net *vn = container_of(nb, struct vpnecmp_net, nh_nb);
	struct nh_notifier_info *info = ptr;
	bool kick = false;

	switch (event) {
	case NEXTHOP_EVENT_DEL:
	case NEXTHOP_EVENT_REPLACE:
	case NEXTHOP_EVENT_RES_TABLE_PRE_REPLACE:
	case NEXTHOP_EVENT_BUCKET_REPLACE:
		break;
	default:	/* hardware statistics (6.10) */
		return NOTIFY_DONE;
	}
	spin_lock(&vn->nh_lock);
	if ((vn->nh_self_task != current || vn->nh_self != info->id) &&
	    vpnecmp_nh_watched(vn, info->id)) {
		kick = true;
		if (vn->nh_dirty_all ||
		    vpnecmp_id_in(vn->nh_dirty, vn->nh_ndirty, info->id))
			goto out;
		if (vn->nh_ndirty < VPNECMP_NH_DIRTY_MAX)
			vn->nh_dirty[vn->nh_ndirty++] = info->id;
		else
			vn->nh_dirty_all = true;
	}
out:
	spin_unlock(&vn->nh_lock);
	if (kick) {
		spin_lock_bh(&vn->sa_lock);
		vpnecmp_kick(vn);
		spin_unlock_bh(&vn->sa_lock);
	}
	return NOTIFY_DONE;
}

/**
 * vpnecmp_nhgrp_net_init - per-namespace init of the apply machinery
 * @vn: the namespace's state
 *
 * Only what costs nothing: the socket and the notifier wait for the
 * namespace's first group (vpnecmp_nhgrp_net_start()).
 *
 * Context: process, from the pernet init.
 */
void vpnecmp_nhgrp_net_init(struct vpnecmp_net *vn)
{
	spin_lock_init(&vn->nh_lock);
	vn->nh_nb.notifier_call = vpnecmp_nh_event;
}

/**
 * vpnecmp_nhgrp_net_start - create the socket and register the notifier
 * @vn: the namespace's state
 * @extack: extended ack of the request that activates the namespace
 *
 * The notifier's registration replays every existing nexthop as a
 * REPLACE: the namespace watches none yet, so the replay costs lookups
 * only.
 *
 * Context: process, from vpnecmp_net_activate(): cfg_lock held, rtnl not.
 * Return: 0 or an errno, with @extack set.
 */
int vpnecmp_nhgrp_net_start(struct vpnecmp_net *vn,
			    struct netlink_ext_ack *extack)
{
	int one = 1;
	int err;

	err = sock_create_kern(vn->net, AF_NETLINK, SOCK_RAW, NETLINK_ROUTE,
			       &vn->rtnl);
	if (err) {
		NL_SET_ERR_MSG_MOD(extack,
				   "cannot create the namespace's route netlink socket");
		return err;
	}
	/* Best effort: the kernel's error text is only for the operator. */
	vn->rtnl->ops->setsockopt(vn->rtnl, SOL_NETLINK, NETLINK_EXT_ACK,
				  KERNEL_SOCKPTR(&one), sizeof(one));
	vn->rtnl->ops->setsockopt(vn->rtnl, SOL_NETLINK, NETLINK_CAP_ACK,
				  KERNEL_SOCKPTR(&one), sizeof(one));

	err = register_nexthop_notifier(vn->net, &vn->nh_nb, extack);
	if (err) {
		if (extack && !extack->_msg)
			NL_SET_ERR_MSG_MOD(extack,
					   "cannot register the nexthop notifier");
		sock_release(vn->rtnl);
		vn->rtnl = NULL;
	}
	return err;
}

/**
 * vpnecmp_nhgrp_net_pre_exit - the namespace is going away: stop the work
 * @vn: the namespace's state
 *
 * Runs before the namespace's devices and nexthops are torn down: what
 * they report after this queues nothing.  After this returns the work is
 * neither queued nor running and cannot be queued again.
 *
 * Context: process, from the pernet pre_exit; rtnl not held.
 */
void vpnecmp_nhgrp_net_pre_exit(struct vpnecmp_net *vn)
{
	spin_lock_bh(&vn->sa_lock);
	vn->dying = true;
	spin_unlock_bh(&vn->sa_lock);
	cancel_delayed_work_sync(&vn->work);
}

/**
 * vpnecmp_nhgrp_net_exit - release the apply machinery of a namespace
 * @vn: the namespace's state
 *
 * unregister_nexthop_notifier() replays a DEL for every nexthop left: the
 * namespace is already dying (vpnecmp_nhgrp_net_pre_exit()), so the replay
 * queues nothing.  A namespace never activated has neither socket nor
 * notifier.
 *
 * Context: process, from the pernet exit; rtnl not held.
 */
void vpnecmp_nhgrp_net_exit(struct vpnecmp_net *vn)
{
	if (vn->rtnl) {
		unregister_nexthop_notifier(vn->net, &vn->nh_nb);
		sock_release(vn->rtnl);
		vn->rtnl = NULL;
	}
	kfree(vn->nh_watch);
	vn->nh_watch = NULL;
}
