// SPDX-License-Identifier: GPL-2.0
/*
 * SA tracking: an xfrm_mgr hook that keeps, per path, the list of valid
 * outbound ESP SAs matching the tunnel, and kicks the apply work when the
 * last one goes away or the first one appears.
 *
 * The hook is not told about every SA that goes away or changes key:
 * XFRM_MSG_MIGRATE replaces SAs by clones without NEWSA/DELSA (only
 * .migrate is called), an ESP-offload device going down flushes its SAs
 * silently, an in-place UPDSA can rewrite an SA's if_id.  So the SA signal
 * is derived from what is held: the apply work drops every tracked SA that
 * is no longer VALID or no longer matches its path's key, and re-walks the
 * SA table when told to (a migration, a re-keyed SA, a lost allocation).
 * A slow periodic revalidation, and one after an ESP-offload device goes
 * down, kick the work when a tracked SA went stale behind our back.
 *
 * Everything here but the work side may run in atomic context: the hook is
 * called under RCU, for EXPIRE from the SA's hrtimer with x->lock held, and
 * the SA walk calls back under xfrm_state_lock.  Only GFP_ATOMIC
 * allocations, only sa_lock.
 */

#include <linux/hash.h>
#include <linux/jhash.h>
#include <linux/netdevice.h>
#include <linux/slab.h>
#include <net/xfrm.h>

#include "vpnecmp.h"

/* How often tracked SAs are checked for deaths nobody announced. */
#define VPNECMP_SA_REVALIDATE	(10 * HZ)

/* Set while the module unloads: the netdev notifier replays are ignored. */
static bool vpnecmp_xfrm_closing;

/*
 * The SA fields that make the key can be rewritten by an in-place UPDSA
 * (if_id) while we read them without x->lock (see vpnecmp_sa_prune()).
 */
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
	key->mark = READ_ONCE(x->mark.v) & READ_ONCE(x->mark.m);
	key->if_id = READ_ONCE(x->if_id);
}

static u32 vpnecmp_key_hash(const struct vpnecmp_key *key)
{
	BUILD_BUG_ON(sizeof(*key) % sizeof(u32));
	return jhash2((const u32 *)key, sizeof(*key) / sizeof(u32), 0);
}

/*
 * Can a path track this SA?  Only outbound tunnel-mode ESP SAs: a
 * transport-mode SA between the tunnel's endpoints (an IKE daemon's own
 * host-to-host SA, say) carries no tunnel traffic, and an SA the kernel
 * knows to be inbound (x->dir, 6.10+) never makes a tunnel usable.
 * Lockless: none of these fields changes after the SA is created.
 */
static bool vpnecmp_sa_eligible(const struct xfrm_state *x)
{
	return x->id.proto == IPPROTO_ESP &&
	       x->props.mode == XFRM_MODE_TUNNEL &&
	       !vpnecmp_xfrm_sa_inbound(x);
}

/*
 * The hash bucket of @key.  sa_lock held, namespace active (the hash
 * exists: every caller runs for a path or after checking vn->active).
 */
static struct hlist_head *vpnecmp_sa_bucket(struct vpnecmp_net *vn,
					    const struct vpnecmp_key *key)
{
	return &vn->sa_hash[hash_32(vpnecmp_key_hash(key),
				    VPNECMP_SA_HASH_BITS)];
}

/* Caller holds sa_lock. */
struct vpnecmp_path *vpnecmp_path_by_key(struct vpnecmp_net *vn,
					 const struct vpnecmp_key *key)
{
	struct vpnecmp_path *path;

	lockdep_assert_held(&vn->sa_lock);
	if (!vn->sa_hash)
		return NULL;
	hlist_for_each_entry(path, vpnecmp_sa_bucket(vn, key), hnode)
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

/*
 * sa_lock held.  Returns 1 if the path had no SA before, 0 if nothing
 * changed, -ENOMEM if the SA could not be tracked: the caller then asks
 * the work for a rescan of the SA table.
 */
static int vpnecmp_sa_track(struct vpnecmp_path *path, struct xfrm_state *x)
{
	bool was_empty = list_empty(&path->sas);
	struct vpnecmp_sa *sa;

	if (READ_ONCE(x->km.state) != XFRM_STATE_VALID ||
	    vpnecmp_sa_find(path, x))
		return 0;

	sa = kmalloc(sizeof(*sa), GFP_ATOMIC);
	if (!sa)
		return -ENOMEM;
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

/*
 * sa_lock held.  Track @x on every path whose key it matches (a dual-stack
 * tunnel has one path per group).  Returns true if the work must run: a
 * path got its first SA, or an allocation failed (the rescan flag is set
 * then).  @matched is set if a path matches.
 */
static bool vpnecmp_sa_add(struct vpnecmp_net *vn, struct xfrm_state *x,
			   const struct vpnecmp_key *key, bool *matched)
{
	struct vpnecmp_path *path;
	bool kick = false;
	int ret;

	hlist_for_each_entry(path, vpnecmp_sa_bucket(vn, key), hnode) {
		if (memcmp(&path->key, key, sizeof(*key)))
			continue;
		*matched = true;
		ret = vpnecmp_sa_track(path, x);
		if (ret < 0) {
			vn->sa_rescan = true;
			kick = true;
		} else if (ret) {
			path->cause_ns = ktime_get_ns();
			kick = true;
		}
	}
	return kick;
}

/* sa_lock held.  Returns true if a path lost its last SA. */
static bool vpnecmp_sa_del(struct vpnecmp_net *vn, const struct xfrm_state *x,
			   const struct vpnecmp_key *key, bool *matched)
{
	struct vpnecmp_path *path;
	bool last = false;

	hlist_for_each_entry(path, vpnecmp_sa_bucket(vn, key), hnode) {
		if (memcmp(&path->key, key, sizeof(*key)))
			continue;
		*matched = true;
		if (vpnecmp_sa_untrack(path, x)) {
			path->cause_ns = ktime_get_ns();
			path->down_latch |= BIT(VPNECMP_SIGNAL_SA);
			path->flushed = false;
			last = true;
		}
	}
	return last;
}

/* sa_lock held: a tracked SA is dead, or no longer matches its path. */
static bool vpnecmp_sa_stale(const struct vpnecmp_path *path,
			     const struct xfrm_state *x)
{
	struct vpnecmp_key key;

	if (READ_ONCE(x->km.state) != XFRM_STATE_VALID)
		return true;
	vpnecmp_key_from_sa(&key, x);
	return memcmp(&key, &path->key, sizeof(key));
}

/*
 * sa_lock held.  An in-place UPDSA: @x is the request, already DEAD; the SA
 * it updated is another state with the same id, whose if_id may just have
 * changed.  Does a path have to look: is that SA tracked by a path it no
 * longer matches, or tracked nowhere but matching a path now?
 */
static bool vpnecmp_sa_rekeyed(struct vpnecmp_net *vn,
			       const struct xfrm_state *x,
			       const struct vpnecmp_key *key)
{
	struct vpnecmp_path *path;
	struct vpnecmp_sa *sa;
	bool tracked = false;
	u32 bkt;

	for (bkt = 0; bkt < VPNECMP_SA_HASH_SIZE; bkt++) {
		hlist_for_each_entry(path, &vn->sa_hash[bkt], hnode) {
			list_for_each_entry(sa, &path->sas, node) {
				if (sa->x->id.spi != x->id.spi ||
				    sa->x->props.family != x->props.family ||
				    !xfrm_addr_equal(&sa->x->id.daddr,
						     &x->id.daddr,
						     x->props.family))
					continue;
				if (vpnecmp_sa_stale(path, sa->x))
					return true;
				tracked = true;
			}
		}
	}
	return !tracked && vpnecmp_path_by_key(vn, key);
}

static int vpnecmp_km_notify(struct xfrm_state *x, const struct km_event *c)
{
	bool kick = false, matched = false;
	struct vpnecmp_net *vn;
	struct vpnecmp_key key;

	/*
	 * Filter without the lock what can never change a path: replay and
	 * lifetime notifications (NEWAE), soft expiries (the IKE daemon
	 * rekeys), SAs no path can track, flushes of other protocols.
	 */
	switch (c->event) {
	case XFRM_MSG_EXPIRE:
		if (!c->data.hard)
			return 0;
		fallthrough;
	case XFRM_MSG_NEWSA:
	case XFRM_MSG_UPDSA:
	case XFRM_MSG_DELSA:
		if (!vpnecmp_sa_eligible(x))
			return 0;
		vn = vpnecmp_pernet(xs_net(x));
		vpnecmp_key_from_sa(&key, x);
		break;
	case XFRM_MSG_FLUSHSA:
		if (!xfrm_id_proto_match(IPPROTO_ESP, c->data.proto))
			return 0;
		vn = vpnecmp_pernet(c->net);
		break;
	default:
		return 0;
	}
	/* A namespace without groups: nothing to track, no lock taken. */
	if (!READ_ONCE(vn->active))
		return 0;

	/* EXPIRE arrives from the SA's softirq hrtimer. */
	spin_lock_bh(&vn->sa_lock);
	if (vn->dying)
		goto out;

	vn->cnt.xfrm_events++;
	switch (c->event) {
	case XFRM_MSG_NEWSA:
	case XFRM_MSG_UPDSA:
		vn->cnt.sa_add++;
		if (READ_ONCE(x->km.state) == XFRM_STATE_VALID) {
			kick = vpnecmp_sa_add(vn, x, &key, &matched);
		} else if (c->event == XFRM_MSG_UPDSA &&
			   vpnecmp_sa_rekeyed(vn, x, &key)) {
			/* The work re-checks every key and walks the table. */
			matched = true;
			vn->sa_rescan = true;
			kick = true;
		}
		break;
	case XFRM_MSG_EXPIRE:
		vn->cnt.sa_expire++;
		kick = vpnecmp_sa_del(vn, x, &key, &matched);
		break;
	case XFRM_MSG_DELSA:
		vn->cnt.sa_del++;
		kick = vpnecmp_sa_del(vn, x, &key, &matched);
		break;
	case XFRM_MSG_FLUSHSA:
		vn->cnt.sa_flush++;
		/* The flushed SAs are DEAD now; the work prunes them. */
		if (vn->sa_hashed) {
			vn->flush_pending = true;
			kick = true;
		}
		break;
	}
	if (matched)
		vn->cnt.sa_matched++;
	if (kick)
		vpnecmp_kick(vn);
out:
	spin_unlock_bh(&vn->sa_lock);
	return 0;
}

/*
 * XFRM_MSG_MIGRATE: by now the old SAs are deleted (DEAD, no DELSA was
 * sent) and their clones, with the new addresses and encapsulation but the
 * same mark and if_id, are in the table (no NEWSA either).  The work drops
 * the dead SAs and walks the table, so a path keeps the SA under its new
 * identity when the clone still matches its key (same endpoints: a NAT-T
 * port change, say), and the SA moves to the path configured with the new
 * endpoints otherwise.  Process context, under RCU.
 */
static int vpnecmp_km_migrate(const struct xfrm_selector *sel, u8 dir, u8 type,
			      const struct xfrm_migrate *m, int num_bundles,
			      const struct xfrm_kmaddress *k, struct net *net,
			      const struct xfrm_encap_tmpl *encap)
{
	struct vpnecmp_net *vn = vpnecmp_pernet(net);
	int i;

	for (i = 0; i < num_bundles; i++)
		if (m[i].proto == IPPROTO_ESP && m[i].mode == XFRM_MODE_TUNNEL)
			break;
	if (i == num_bundles || !READ_ONCE(vn->active))
		return 0;

	spin_lock_bh(&vn->sa_lock);
	if (!vn->dying && vn->sa_hashed) {
		vn->cnt.xfrm_events++;
		vn->sa_rescan = true;
		vpnecmp_kick(vn);
	}
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
	.migrate	= vpnecmp_km_migrate,
};

struct vpnecmp_walk_arg {
	struct vpnecmp_net	*vn;
	struct vpnecmp_path	*path;	/* only this one, or NULL for all */
};

/*
 * Called under xfrm_state_lock (BH disabled) for every ESP SA.  An SA that
 * cannot be tracked for want of memory sets the rescan flag.
 */
static int vpnecmp_walk_one(struct xfrm_state *x, int count, void *ptr)
{
	struct vpnecmp_walk_arg *arg = ptr;
	struct vpnecmp_net *vn = arg->vn;
	struct vpnecmp_key key;
	bool matched = false;

	if (!vpnecmp_sa_eligible(x))
		return 0;
	vpnecmp_key_from_sa(&key, x);
	if (arg->path && memcmp(&key, &arg->path->key, sizeof(key)))
		return 0;
	spin_lock(&vn->sa_lock);
	if (!arg->path)
		vpnecmp_sa_add(vn, x, &key, &matched);
	else if (vpnecmp_sa_track(arg->path, x) < 0)
		vn->sa_rescan = true;
	spin_unlock(&vn->sa_lock);
	return 0;
}

/*
 * Walk the namespace's SA table for @path, or for every path.  An SA that
 * could not be tracked leaves the rescan flag set: the next run of the
 * work, or the periodic revalidation, walks again (no tight retry loop
 * while memory is short).  Process context, cfg_lock held.
 */
static void vpnecmp_sa_walk(struct vpnecmp_net *vn, struct vpnecmp_path *path)
{
	struct vpnecmp_walk_arg arg = { .vn = vn, .path = path };
	struct xfrm_state_walk walk;

	if (!path) {
		spin_lock_bh(&vn->sa_lock);
		vn->sa_rescan = false;
		spin_unlock_bh(&vn->sa_lock);
	}
	xfrm_state_walk_init(&walk, IPPROTO_ESP, NULL);
	xfrm_state_walk(vn->net, &walk, vpnecmp_walk_one, &arg);
	xfrm_state_walk_done(&walk, vn->net);
}

/**
 * vpnecmp_path_hash - start tracking SAs for a new path
 * @vn: the namespace
 * @path: the path, not yet visible to the hook
 *
 * Inserts the path into the match hash, then walks the SA table for the
 * SAs that existed before the path.  An SA added between the two is seen
 * by both, which is harmless: tracking is idempotent.  Starts the periodic
 * revalidation if it is not running.
 *
 * Context: process, cfg_lock held.
 */
void vpnecmp_path_hash(struct vpnecmp_net *vn, struct vpnecmp_path *path)
{
	lockdep_assert_held(&vn->cfg_lock);

	spin_lock_bh(&vn->sa_lock);
	hlist_add_head(&path->hnode, vpnecmp_sa_bucket(vn, &path->key));
	vn->sa_hashed++;
	if (!vn->dying)
		queue_delayed_work(system_power_efficient_wq, &vn->sa_reval,
				   VPNECMP_SA_REVALIDATE);
	spin_unlock_bh(&vn->sa_lock);

	vpnecmp_sa_walk(vn, path);
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
	hlist_del_init(&path->hnode);
	vn->sa_hashed--;
	list_for_each_entry_safe(sa, tmp, &path->sas, node)
		vpnecmp_sa_free(path, sa);
	spin_unlock_bh(&vn->sa_lock);
}

/**
 * vpnecmp_sa_prune - drop tracked SAs that are no longer valid
 * @vn: the namespace
 *
 * Run by the apply work before it evaluates the paths, so that the SA
 * signal only ever stands for SAs that are VALID and still match their
 * path: whatever removed or re-keyed an SA (a DELSA we saw, a flush, a
 * migration, an offload device going down, an in-place UPDSA), the path
 * does not stay UP on it.  When asked to (sa_rescan), first walks the SA
 * table, so that a migrated SA's clone or a re-keyed SA is tracked by the
 * path it matches now before its old self is dropped: a path that keeps an
 * SA that way never goes down.  A path that loses its last SA here is
 * latched down, with the flush as the reason after a FLUSHSA.
 *
 * Context: process (the apply work), cfg_lock held.
 */
void vpnecmp_sa_prune(struct vpnecmp_net *vn)
{
	struct vpnecmp_path *path;
	struct vpnecmp_sa *sa, *tmp;
	bool rescan, flushed;

	lockdep_assert_held(&vn->cfg_lock);

	spin_lock_bh(&vn->sa_lock);
	rescan = vn->sa_rescan;
	spin_unlock_bh(&vn->sa_lock);
	if (rescan)
		vpnecmp_sa_walk(vn, NULL);

	spin_lock_bh(&vn->sa_lock);
	flushed = vn->flush_pending;
	vn->flush_pending = false;
	list_for_each_entry(path, &vn->paths, list) {
		bool had = !list_empty(&path->sas);

		list_for_each_entry_safe(sa, tmp, &path->sas, node)
			if (vpnecmp_sa_stale(path, sa->x))
				vpnecmp_sa_free(path, sa);
		if (had && list_empty(&path->sas)) {
			path->cause_ns = ktime_get_ns();
			path->down_latch |= BIT(VPNECMP_SIGNAL_SA);
			path->flushed = flushed;
		}
	}
	spin_unlock_bh(&vn->sa_lock);
}

/* sa_lock held: anything the work must look at that no event announced? */
static bool vpnecmp_sa_any_stale(struct vpnecmp_net *vn)
{
	struct vpnecmp_path *path;
	struct vpnecmp_sa *sa;
	u32 bkt;

	if (vn->sa_rescan)
		return true;
	for (bkt = 0; bkt < VPNECMP_SA_HASH_SIZE; bkt++)
		hlist_for_each_entry(path, &vn->sa_hash[bkt], hnode)
			list_for_each_entry(sa, &path->sas, node)
				if (vpnecmp_sa_stale(path, sa->x))
					return true;
	return false;
}

/*
 * The periodic revalidation: cheap (a look at the tracked SAs), it kicks
 * the apply work only when one went stale unannounced or a rescan is
 * owed.  It stops when the namespace has no path (the next path restarts
 * it) or is dying.  Process context, system workqueue.
 */
static void vpnecmp_sa_reval_fn(struct work_struct *work)
{
	struct vpnecmp_net *vn = container_of(to_delayed_work(work),
					      struct vpnecmp_net, sa_reval);

	spin_lock_bh(&vn->sa_lock);
	if (!vn->dying && vn->sa_hashed) {
		if (vpnecmp_sa_any_stale(vn))
			vpnecmp_kick(vn);
		queue_delayed_work(system_power_efficient_wq, &vn->sa_reval,
				   VPNECMP_SA_REVALIDATE);
	}
	spin_unlock_bh(&vn->sa_lock);
}

/*
 * An ESP-offload device going down, or any device going away:
 * xfrm_dev_state_flush() has deleted its offloaded SAs without telling any
 * key manager (the xfrm core checks the offload feature on DOWN only, as
 * here).  Our notifier was registered after the xfrm core's, so that flush
 * is done by now.
 * Context: process, rtnl held.
 */
static int vpnecmp_netdev_event(struct notifier_block *nb,
				unsigned long event, void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	struct vpnecmp_net *vn;

	if (event != NETDEV_DOWN && event != NETDEV_UNREGISTER)
		return NOTIFY_DONE;
	if (event == NETDEV_DOWN && !(dev->features & NETIF_F_HW_ESP))
		return NOTIFY_DONE;
	if (READ_ONCE(vpnecmp_xfrm_closing))
		return NOTIFY_DONE;
	vn = vpnecmp_pernet(dev_net(dev));
	if (!READ_ONCE(vn->active))
		return NOTIFY_DONE;
	spin_lock_bh(&vn->sa_lock);
	/* Dying: the paths and the hash may be gone already. */
	if (!vn->dying && vpnecmp_sa_any_stale(vn))
		vpnecmp_kick(vn);
	spin_unlock_bh(&vn->sa_lock);
	return NOTIFY_DONE;
}

static struct notifier_block vpnecmp_netdev_nb = {
	.notifier_call	= vpnecmp_netdev_event,
};

/**
 * vpnecmp_path_sa_stats - count a path's SAs and sum their lifetimes
 * @vn: the namespace
 * @path: the path
 * @count: number of valid outbound SAs
 * @bytes: bytes sent over them
 * @packets: packets sent over them
 *
 * Only SAs still VALID are counted, even before the work dropped the
 * others.  The counters are read without x->lock (taking it under sa_lock
 * would invert the lock order); a torn read can only be one update old.
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
		if (vpnecmp_sa_stale(path, sa->x))
			continue;
		(*count)++;
		*bytes += READ_ONCE(sa->x->curlft.bytes);
		*packets += READ_ONCE(sa->x->curlft.packets);
	}
	spin_unlock_bh(&vn->sa_lock);
}

/**
 * vpnecmp_path_sa_up - the SA signal of a path
 * @path: the path
 *
 * True if the path holds at least one SA that is VALID and matches it.
 *
 * Context: any, sa_lock held.
 */
bool vpnecmp_path_sa_up(const struct vpnecmp_path *path)
{
	struct vpnecmp_sa *sa;

	list_for_each_entry(sa, &path->sas, node)
		if (!vpnecmp_sa_stale(path, sa->x))
			return true;
	return false;
}

/* Context: process, from the pernet init. */
void vpnecmp_xfrm_net_init(struct vpnecmp_net *vn)
{
	INIT_DELAYED_WORK(&vn->sa_reval, vpnecmp_sa_reval_fn);
}

/* Context: process, from the pernet exit, after the namespace is dying. */
void vpnecmp_xfrm_net_exit(struct vpnecmp_net *vn)
{
	cancel_delayed_work_sync(&vn->sa_reval);
}

int vpnecmp_xfrm_init(void)
{
	int err;

	/* Only DOWN and UNREGISTER matter: the replay of others is a no-op. */
	err = register_netdevice_notifier(&vpnecmp_netdev_nb);
	if (err)
		return err;
	xfrm_register_km(&vpnecmp_km);
	return 0;
}

/* xfrm_unregister_km() waits for an RCU grace period: no hook runs after. */
void vpnecmp_xfrm_exit(void)
{
	xfrm_unregister_km(&vpnecmp_km);
	WRITE_ONCE(vpnecmp_xfrm_closing, true);
	unregister_netdevice_notifier(&vpnecmp_netdev_nb);
}
