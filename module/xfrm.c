// SPDX-License-Identifier: GPL-2.0
/*
 * SA tracking: an xfrm_mgr hook that keeps, per path, the list of valid
 * outbound ESP SAs matching the tunnel, and kicks the apply work when the
 * last one goes away or the first one appears.
 *
 * Everything here may run in atomic context: the hook is called under RCU,
 * for EXPIRE from the SA's hrtimer with x->lock held, and the SA walk calls
 * back under xfrm_state_lock.  Only GFP_ATOMIC allocations, only sa_lock.
 */

#include <linux/jhash.h>
#include <linux/slab.h>
#include <net/xfrm.h>

#include "vpnecmp.h"

void vpnecmp_key_from_sa(struct vpnecmp_key *key, const struct xfrm_state *x)
{
	memset(key, 0, sizeof(*key));
	key->family = x->props.family;
	if (key->family == AF_INET) {
		key->saddr.a4 = x->props.saddr.a4;
		key->daddr.a4 = x->id.daddr.a4;
	} else {
		key->saddr.in6 = x->props.saddr.in6;
		key->daddr.in6 = x->id.daddr.in6;
	}
	key->mark = x->mark.v & x->mark.m;
	key->if_id = x->if_id;
}

static u32 vpnecmp_key_hash(const struct vpnecmp_key *key)
{
	BUILD_BUG_ON(sizeof(*key) % sizeof(u32));
	return jhash2((const u32 *)key, sizeof(*key) / sizeof(u32), 0);
}

/* Caller holds sa_lock. */
struct vpnecmp_path *vpnecmp_path_by_key(struct vpnecmp_net *vn,
					 const struct vpnecmp_key *key)
{
	struct vpnecmp_path *path;

	lockdep_assert_held(&vn->sa_lock);
	hash_for_each_possible(vn->sa_hash, path, hnode, vpnecmp_key_hash(key))
		if (!memcmp(&path->key, key, sizeof(*key)))
			return path;
	return NULL;
}

/* Caller holds sa_lock, which protects the path's SA list. */
static struct vpnecmp_sa *vpnecmp_sa_find(struct vpnecmp_path *path,
					  const struct xfrm_state *x)
{
	struct vpnecmp_sa *sa;

	list_for_each_entry(sa, &path->sas, node)
		if (sa->x == x)
			return sa;
	return NULL;
}

/* sa_lock held.  Returns true if the path had no SA before. */
static bool vpnecmp_sa_track(struct vpnecmp_path *path, struct xfrm_state *x)
{
	bool was_empty = list_empty(&path->sas);
	struct vpnecmp_sa *sa;

	if (x->km.state != XFRM_STATE_VALID || vpnecmp_sa_find(path, x))
		return false;

	sa = kmalloc(sizeof(*sa), GFP_ATOMIC);
	if (!sa)
		return false;	/* the next event or rescan finds it */
	xfrm_state_hold(x);
	sa->x = x;
	list_add_tail(&sa->node, &path->sas);
	path->sa_adds++;
	return was_empty;
}

static void vpnecmp_sa_free(struct vpnecmp_path *path, struct vpnecmp_sa *sa)
{
	list_del(&sa->node);
	/* Safe in atomic context: the last put defers to the xfrm GC work. */
	xfrm_state_put(sa->x);
	kfree(sa);
	path->sa_dels++;
}

/* sa_lock held.  Returns true if the path lost its last SA. */
static bool vpnecmp_sa_untrack(struct vpnecmp_path *path,
			       const struct xfrm_state *x)
{
	struct vpnecmp_sa *sa = vpnecmp_sa_find(path, x);

	if (!sa)
		return false;
	vpnecmp_sa_free(path, sa);
	return list_empty(&path->sas);
}

static struct vpnecmp_path *vpnecmp_sa_path(struct vpnecmp_net *vn,
					    const struct xfrm_state *x)
{
	struct vpnecmp_key key;

	if (x->id.proto != IPPROTO_ESP)
		return NULL;
	vpnecmp_key_from_sa(&key, x);
	return vpnecmp_path_by_key(vn, &key);
}

static int vpnecmp_km_notify(struct xfrm_state *x, const struct km_event *c)
{
	struct vpnecmp_net *vn = vpnecmp_pernet(x ? xs_net(x) : c->net);
	struct vpnecmp_path *path;
	bool kick = false;

	/* EXPIRE arrives from the SA's softirq hrtimer. */
	spin_lock_bh(&vn->sa_lock);
	if (vn->dying)
		goto out;

	switch (c->event) {
	case XFRM_MSG_NEWSA:
	case XFRM_MSG_UPDSA:
		vn->cnt.xfrm_events++;
		vn->cnt.sa_add++;
		path = vpnecmp_sa_path(vn, x);
		if (!path)
			break;
		vn->cnt.sa_matched++;
		if (vpnecmp_sa_track(path, x)) {
			path->cause_ns = ktime_get_ns();
			kick = true;
		}
		break;
	case XFRM_MSG_EXPIRE:
		vn->cnt.xfrm_events++;
		if (!c->data.hard)
			break;	/* soft expiry: the IKE daemon rekeys */
		vn->cnt.sa_expire++;
		fallthrough;
	case XFRM_MSG_DELSA:
		if (c->event == XFRM_MSG_DELSA) {
			vn->cnt.xfrm_events++;
			vn->cnt.sa_del++;
		}
		path = vpnecmp_sa_path(vn, x);
		if (!path)
			break;
		vn->cnt.sa_matched++;
		if (vpnecmp_sa_untrack(path, x)) {
			path->cause_ns = ktime_get_ns();
			path->down_latch |= BIT(VPNECMP_SIGNAL_SA);
			path->flushed = false;
			kick = true;
		}
		break;
	case XFRM_MSG_FLUSHSA:
		vn->cnt.xfrm_events++;
		vn->cnt.sa_flush++;
		/* The flushed SAs are DEAD now; the work prunes them. */
		if (vn->npaths) {
			vn->flush_pending = true;
			kick = true;
		}
		break;
	default:
		break;
	}
	if (kick)
		vpnecmp_kick(vn);
out:
	spin_unlock_bh(&vn->sa_lock);
	return 0;
}

/*
 * We are not a key manager: refuse to acquire SAs or compile socket
 * policies, so the real key manager (xfrm_user, af_key) answers.  The xfrm
 * core calls these two without checking for NULL.
 */
static int vpnecmp_km_acquire(struct xfrm_state *x, struct xfrm_tmpl *t,
			      struct xfrm_policy *xp)
{
	return -EOPNOTSUPP;
}

static struct xfrm_policy *vpnecmp_km_compile_policy(struct sock *sk, int opt,
						     u8 *data, int len,
						     int *dir)
{
	*dir = -EOPNOTSUPP;
	return NULL;
}

static struct xfrm_mgr vpnecmp_km = {
	.notify		= vpnecmp_km_notify,
	.acquire	= vpnecmp_km_acquire,
	.compile_policy	= vpnecmp_km_compile_policy,
};

struct vpnecmp_walk_arg {
	struct vpnecmp_net	*vn;
	struct vpnecmp_path	*path;
};

/* Called under xfrm_state_lock (BH disabled) for every ESP SA. */
static int vpnecmp_walk_one(struct xfrm_state *x, int count, void *ptr)
{
	struct vpnecmp_walk_arg *arg = ptr;
	struct vpnecmp_key key;

	vpnecmp_key_from_sa(&key, x);
	if (memcmp(&key, &arg->path->key, sizeof(key)))
		return 0;
	spin_lock(&arg->vn->sa_lock);
	vpnecmp_sa_track(arg->path, x);
	spin_unlock(&arg->vn->sa_lock);
	return 0;
}

/**
 * vpnecmp_path_hash - start tracking SAs for a new path
 * @vn: the namespace
 * @path: the path, not yet visible to the hook
 *
 * Inserts the path into the match hash, then walks the SA table for the
 * SAs that existed before the path.  An SA added between the two is seen
 * by both, which is harmless: tracking is idempotent.
 *
 * Context: process, cfg_lock held.
 */
void vpnecmp_path_hash(struct vpnecmp_net *vn, struct vpnecmp_path *path)
{
	struct vpnecmp_walk_arg arg = { .vn = vn, .path = path };
	struct xfrm_state_walk walk;

	lockdep_assert_held(&vn->cfg_lock);

	spin_lock_bh(&vn->sa_lock);
	hash_add(vn->sa_hash, &path->hnode, vpnecmp_key_hash(&path->key));
	spin_unlock_bh(&vn->sa_lock);

	xfrm_state_walk_init(&walk, IPPROTO_ESP, NULL);
	xfrm_state_walk(vn->net, &walk, vpnecmp_walk_one, &arg);
	xfrm_state_walk_done(&walk, vn->net);
}

/**
 * vpnecmp_path_unhash - stop tracking SAs for a path and drop them
 * @vn: the namespace
 * @path: the path
 *
 * Context: process, cfg_lock held.
 */
void vpnecmp_path_unhash(struct vpnecmp_net *vn, struct vpnecmp_path *path)
{
	struct vpnecmp_sa *sa, *tmp;

	lockdep_assert_held(&vn->cfg_lock);

	spin_lock_bh(&vn->sa_lock);
	hash_del(&path->hnode);
	list_for_each_entry_safe(sa, tmp, &path->sas, node)
		vpnecmp_sa_free(path, sa);
	spin_unlock_bh(&vn->sa_lock);
}

/**
 * vpnecmp_sa_prune - drop tracked SAs that are no longer valid
 * @vn: the namespace
 *
 * After a FLUSHSA the flushed SAs are DEAD but no DELSA was sent for them.
 * A path that loses its last SA this way is latched down with the flush as
 * the reason.
 *
 * Context: process (the apply work), cfg_lock held.
 */
void vpnecmp_sa_prune(struct vpnecmp_net *vn)
{
	struct vpnecmp_path *path;
	struct vpnecmp_sa *sa, *tmp;

	lockdep_assert_held(&vn->cfg_lock);

	spin_lock_bh(&vn->sa_lock);
	if (!vn->flush_pending)
		goto out;
	vn->flush_pending = false;
	list_for_each_entry(path, &vn->paths, list) {
		bool had = !list_empty(&path->sas);

		list_for_each_entry_safe(sa, tmp, &path->sas, node)
			if (READ_ONCE(sa->x->km.state) != XFRM_STATE_VALID)
				vpnecmp_sa_free(path, sa);
		if (had && list_empty(&path->sas)) {
			path->cause_ns = ktime_get_ns();
			path->down_latch |= BIT(VPNECMP_SIGNAL_SA);
			path->flushed = true;
		}
	}
out:
	spin_unlock_bh(&vn->sa_lock);
}

/**
 * vpnecmp_path_sa_stats - count a path's SAs and sum their lifetimes
 * @vn: the namespace
 * @path: the path
 * @count: number of valid outbound SAs
 * @bytes: bytes sent over them
 * @packets: packets sent over them
 *
 * The counters are read without x->lock (taking it under sa_lock would
 * invert the lock order); a torn read can only be one update old.
 *
 * Context: process, cfg_lock held.
 */
void vpnecmp_path_sa_stats(struct vpnecmp_net *vn, struct vpnecmp_path *path,
			   u32 *count, u64 *bytes, u64 *packets)
{
	struct vpnecmp_sa *sa;

	*count = 0;
	*bytes = 0;
	*packets = 0;
	spin_lock_bh(&vn->sa_lock);
	list_for_each_entry(sa, &path->sas, node) {
		(*count)++;
		*bytes += READ_ONCE(sa->x->curlft.bytes);
		*packets += READ_ONCE(sa->x->curlft.packets);
	}
	spin_unlock_bh(&vn->sa_lock);
}

void vpnecmp_xfrm_init(void)
{
	xfrm_register_km(&vpnecmp_km);
}

/* xfrm_unregister_km() waits for an RCU grace period: no hook runs after. */
void vpnecmp_xfrm_exit(void)
{
	xfrm_unregister_km(&vpnecmp_km);
}
