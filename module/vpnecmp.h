/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vpnecmp: tunnel-aware nexthop groups for route-based IPsec gateways.
 */
#ifndef _VPNECMP_H
#define _VPNECMP_H

#include <linux/list.h>
#include <linux/memcontrol.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/xfrm.h>
#include <linux/vpnecmp.h>

/**
 * DOC: Locking
 *
 * Each network namespace has one &struct vpnecmp_net with three locks.
 * It costs the namespace nothing more than its few hundred bytes until the
 * first group is created there: only then does vpnecmp_net_activate() give
 * it its SA hash, its kernel NETLINK_ROUTE socket and its nexthop notifier
 * (a namespace that never uses vpnecmp takes no rtnl for it, and its
 * nexthop changes never call into the module).  @active is set under both
 * cfg_lock and sa_lock and never cleared; the XFRM hook and the netdev
 * notifier, which run for every namespace, read it without a lock and
 * return at once while it is false.
 *
 * @cfg_lock (mutex) protects the configuration: the group and path lists,
 * every configuration field of groups and paths, and the state the apply
 * work keeps (path state, group members).  It is taken by the genetlink
 * handlers and by the apply work, in process context.  The apply work holds
 * it while it sends RTM_NEWNEXTHOP, which takes rtnl: rtnl must therefore
 * never be held when @cfg_lock is taken (the nexthop notifier, which runs
 * under rtnl, only queues the work).
 *
 * @sa_lock (spinlock, BH-safe) protects what the XFRM hook touches: the SA
 * match hash, each path's list of tracked SAs, its signal bits and latches,
 * and the per-namespace counters.  xfrm_mgr.notify runs under RCU, from
 * process context for NEWSA/UPDSA/DELSA/FLUSHSA and from the SA hrtimer in
 * softirq context with x->lock held for EXPIRE, so the order is
 * x->lock -> @sa_lock (and xfrm_state_lock -> @sa_lock in SA walks): never
 * take an SA's lock while holding @sa_lock.  Paths are inserted into and
 * removed from the hash with both locks held, so the hook never sees a path
 * being freed.
 *
 * On PREEMPT_RT @sa_lock, x->lock and xfrm_state_lock are sleeping locks.
 * That is allowed in every context above: the SA hrtimer is a softirq
 * timer, run in a thread there, and RCU readers may sleep on such locks.
 * Nothing takes @sa_lock under a raw spinlock or with interrupts disabled.
 *
 * Two more take @sa_lock, in process context: the periodic SA
 * revalidation (a delayed work on a system workqueue, cancelled
 * synchronously at namespace exit after the namespace is marked dying) and
 * the netdev notifier (rtnl -> @sa_lock).  Both only look at the tracked
 * SAs and kick the apply work.
 *
 * @nh_lock (spinlock, process context only) protects the nexthop ids the
 * namespace watches and the ids the nexthop notifier saw change.  The
 * notifier runs under rtnl, so the order is rtnl -> @nh_lock, and
 * cfg_lock -> @nh_lock in the work; @nh_lock is innermost (nothing is taken
 * under it).
 *
 * The kernel's nexthops are only ever read under rtnl, in the work, which
 * takes it with cfg_lock held: cfg_lock -> rtnl, the same order as the
 * group replace.  A lockless nexthop lookup may miss an entry while the
 * tree changes, and the DEL notification comes before the entry leaves
 * the tree; under rtnl neither can happen.  The work reads only the
 * nexthops the notifier reported changed since its last look (the ids are
 * taken under rtnl too, so no change falls between the two), or every
 * watched one after a configuration change.
 *
 * All kernel changes are made by one delayed work item per namespace,
 * running on the module's workqueue (unbound, high priority; a work item
 * never runs concurrently with itself, and namespaces do not wait for each
 * other): the hook and the handlers only record what happened and kick it.
 * Nothing the module holds is shared between namespaces; the one lock they
 * share is the kernel's rtnl, which the work takes in short sections only
 * (one group replace, or VPNECMP_RTNL_BATCH nexthop reads), so a namespace
 * with the maximum number of groups and paths delays another one's replace
 * by one such section at most.
 *
 * Memory.  What a request creates (groups, paths, the SA hash) is charged
 * to the memory cgroup of the task that sent it (GFP_KERNEL_ACCOUNT); what
 * the work allocates for a namespace (member lists, the watched ids) is
 * charged to the cgroup of the task that created its first group
 * (&vpnecmp_net.memcg).  The tracked-SA entries the XFRM hook allocates
 * (GFP_ATOMIC, often in softirq context) are not charged, as the SAs they
 * point to are not: a charge failing there would take a tunnel down.
 *
 * Teardown.  A namespace's .pre_exit marks it dying under @sa_lock (nothing
 * queues the work after that) and cancels the work synchronously, before
 * its devices and nexthops are torn down; .exit unregisters the nexthop
 * notifier, whose replay of DEL for every nexthop then finds the namespace
 * dying.  A namespace never activated has no notifier, socket or hash to
 * release.  Activation cannot race with teardown: it runs in a GROUP_NEW
 * handler, whose sending socket holds a reference on the namespace.
 *
 * On module unload, vpnecmp_stopping is set first and the workqueue
 * flushed: a work run that starts later returns at once, so no
 * replace and no notification follows; only then is the genetlink family
 * unregistered.
 */

#define VPNECMP_SA_HASH_BITS	8
#define VPNECMP_SA_HASH_SIZE	BIT(VPNECMP_SA_HASH_BITS)
/* Nexthop reads done under one hold of rtnl by the work. */
#define VPNECMP_RTNL_BATCH	32
#define VPNECMP_NH_DIRTY_MAX	16
#define VPNECMP_RETRY_MAX	6

/**
 * struct vpnecmp_key - what identifies the outbound SAs of a tunnel
 * @saddr: tunnel source (the gateway's address)
 * @daddr: tunnel destination (the cloud endpoint)
 * @mark: SA mark value (masked), 0 when the SA has none
 * @if_id: SA if_id (XFRM interfaces), 0 when the SA has none
 * @family: AF_INET or AF_INET6
 * @pad: always zero, so the whole struct can be hashed and compared
 */
struct vpnecmp_key {
	xfrm_address_t	saddr;
	xfrm_address_t	daddr;
	u32		mark;
	u32		if_id;
	u16		family;
	u16		pad;
};

/**
 * struct vpnecmp_sa - one tracked outbound SA, holding a reference on it
 * @node: entry in &vpnecmp_path.sas, under &vpnecmp_net.sa_lock
 * @x: the SA
 */
struct vpnecmp_sa {
	struct list_head	node;
	struct xfrm_state	*x;
};

struct vpnecmp_group;

/**
 * struct vpnecmp_path - one tunnel
 * @list: entry in &vpnecmp_net.paths (cfg_lock)
 * @group_node: entry in &vpnecmp_group.paths (cfg_lock)
 * @hnode: entry in &vpnecmp_net.sa_hash (cfg_lock and sa_lock to change,
 *	sa_lock to read)
 * @group: the group this path belongs to (cfg_lock)
 * @name: the path's name
 * @key: SA match key (constant while hashed)
 * @ifindex: the tunnel device (follows a device re-created under @ifname)
 * @ifname: the device's name when the path was added
 * @nhid: the kernel nexthop forwarding over @ifindex
 * @weight: ECMP weight inside the tier (cfg_lock)
 * @tier: priority tier, 0 is best (cfg_lock)
 * @signals: enabled signals, VPNECMP_SIGNAL_ADMIN always included
 *	(cfg_lock to change, sa_lock too since the hook reads it)
 * @hold_up_ms: how long all signals must be up before the path is UP
 * @sas: tracked outbound SAs (sa_lock); an SA can die or change key
 *	without an event, so only those still VALID and matching @key count
 * @sig_up: signals reported up by userspace; the SA bit is derived from
 *	@sas by vpnecmp_path_sa_up() (sa_lock)
 * @down_latch: signals that dropped since the work last looked (sa_lock)
 * @flushed: the SA signal was lost by a flush (sa_lock)
 * @cause_ns: when the last signal change was seen (sa_lock)
 * @sa_adds: SAs that started being tracked (sa_lock)
 * @sa_dels: SAs that stopped being tracked (sa_lock)
 * @state: enum vpnecmp_path_state (cfg_lock)
 * @reason: enum vpnecmp_reason of the last change (cfg_lock)
 * @nh_ok: the nexthop exists and is a plain nexthop over @ifindex; false
 *	makes the path DOWN (cfg_lock)
 * @nh_err: why @nh_ok is false: -ENOENT (gone) or -EINVAL (no longer a
 *	plain nexthop over @ifindex: a blackhole, a group, another device)
 * @member: the path is in the kernel group now (cfg_lock)
 * @fresh: not evaluated yet: may become UP without hold-up (cfg_lock)
 * @hold_until: jiffies at which a HOLD path becomes UP (cfg_lock)
 * @last_change_ns: CLOCK_MONOTONIC time of the last transition (cfg_lock)
 * @transitions: number of state transitions (cfg_lock)
 */
struct vpnecmp_path {
	struct list_head	list;
	struct list_head	group_node;
	struct hlist_node	hnode;
	struct vpnecmp_group	*group;
	char			name[VPNECMP_NAME_MAX];
	struct vpnecmp_key	key;
	u32			ifindex;
	char			ifname[IFNAMSIZ];
	u32			nhid;
	u32			weight;
	u32			tier;
	u32			signals;
	u32			hold_up_ms;

	struct list_head	sas;
	u32			sig_up;
	u32			down_latch;
	bool			flushed;
	u64			cause_ns;
	u64			sa_adds;
	u64			sa_dels;

	u32			state;
	u32			reason;
	bool			nh_ok;
	int			nh_err;
	bool			member;
	bool			fresh;
	unsigned long		hold_until;
	u64			last_change_ns;
	u64			transitions;
};

/**
 * struct vpnecmp_member - one member of a kernel nexthop group
 * @nhid: nexthop id
 * @weight: weight, 1..256
 * @path: name of the path it stands for, empty for the fallback nexthop
 */
struct vpnecmp_member {
	u32			nhid;
	u32			weight;
	char			path[VPNECMP_NAME_MAX];
};

/**
 * struct vpnecmp_group - one kernel nexthop group owned by vpnecmp
 * @list: entry in &vpnecmp_net.groups
 * @paths: the group's paths
 * @name: the group's name
 * @nhid: kernel nexthop group id
 * @resilient: the kernel group is resilient (replaces must say so)
 * @all_down: enum vpnecmp_all_down
 * @fallback_nhid: nexthop used when no path is UP (VPNECMP_ALL_DOWN_FALLBACK)
 * @preempt: return to a better tier as soon as it has an UP path
 * @hold_up_ms: default hold-up of new paths
 * @npaths: number of paths
 * @state: enum vpnecmp_group_state
 * @active_tier: the tier whose paths are the members
 * @members: the members last applied to the kernel (@nmembers of them)
 * @nmembers: number of entries in @members
 * @applied: @members is what the kernel has (last replace succeeded)
 * @error: errno of the last replace, 0 if it succeeded
 * @error_msg: the kernel's extack message for @error
 * @replaces: successful replaces
 * @replace_fails: failed replaces
 * @drifted: the kernel group was found to differ from @members (changed
 *	behind vpnecmp's back): the next replace restores it and says so
 * @hw_stats: the kernel group has hardware statistics enabled; replaces
 *	keep them
 * @retries: failed replaces retried by the backoff timer since the last
 *	success
 * @retry_at: jiffies of the next retry when @retries is counting
 *
 * Everything is protected by &vpnecmp_net.cfg_lock.
 */
struct vpnecmp_group {
	struct list_head	list;
	struct list_head	paths;
	char			name[VPNECMP_NAME_MAX];
	u32			nhid;
	bool			resilient;
	u32			all_down;
	u32			fallback_nhid;
	bool			preempt;
	u32			hold_up_ms;
	u32			npaths;

	u32			state;
	u32			active_tier;
	struct vpnecmp_member	*members;
	u32			nmembers;
	bool			applied;
	int			error;
	char			error_msg[80];
	u64			replaces;
	u64			replace_fails;
	bool			drifted;
	bool			hw_stats;
	u32			retries;
	unsigned long		retry_at;
};

/**
 * struct vpnecmp_counters - per-namespace XFRM hook counters (sa_lock)
 * @xfrm_events: SA events seen
 * @sa_add: NEWSA/UPDSA seen
 * @sa_del: DELSA seen
 * @sa_expire: hard expiries seen
 * @sa_flush: FLUSHSA seen
 * @sa_matched: events that matched a path
 */
struct vpnecmp_counters {
	u64	xfrm_events;
	u64	sa_add;
	u64	sa_del;
	u64	sa_expire;
	u64	sa_flush;
	u64	sa_matched;
};

/**
 * struct vpnecmp_net - per network namespace state
 * @net: the namespace
 * @cfg_lock: protects the configuration and the work's state (see DOC)
 * @groups: all groups (cfg_lock)
 * @paths: all paths (cfg_lock)
 * @ngroups: number of groups (cfg_lock)
 * @npaths: number of paths (cfg_lock)
 * @gen: bumped on every configuration change, for dump consistency
 * @sa_lock: protects the XFRM hook's state (see DOC)
 * @active: the namespace has had a group: the hash, socket and notifier
 *	below exist (set under cfg_lock and sa_lock, read locklessly)
 * @memcg: memory cgroup charged for the work's allocations (see DOC)
 * @sa_hash: paths by &vpnecmp_key, VPNECMP_SA_HASH_SIZE buckets, NULL
 *	until the namespace is active (sa_lock)
 * @sa_hashed: number of paths in @sa_hash (sa_lock)
 * @dying: the namespace is going away: do not queue the work (sa_lock)
 * @flush_pending: a FLUSHSA was seen; the work prunes dead SAs (sa_lock)
 * @sa_rescan: the work must walk the SA table: SAs were migrated or
 *	re-keyed, or one could not be tracked for want of memory (sa_lock)
 * @cnt: hook counters (sa_lock)
 * @work: the apply work
 * @sa_reval: periodic check of the tracked SAs (xfrm.c)
 * @rtnl: kernel NETLINK_ROUTE socket used for the group replaces (work)
 * @seq: sequence number of the last replace (work)
 * @work_runs: runs of the apply work (cfg_lock)
 * @replace_attempts: kernel group replaces sent, failed or not (cfg_lock)
 * @nh_nb: nexthop notifier, reports nexthops deleted or re-created
 * @nh_lock: protects the @nh_ fields below (see DOC)
 * @nh_watch: sorted ids of every nexthop a group or path refers to (nh_lock)
 * @nh_nwatch: number of ids in @nh_watch (nh_lock)
 * @nh_watch_all: @nh_watch could not be allocated: every id is watched
 *	until the next run builds it (nh_lock)
 * @nh_dirty: watched ids the notifier saw change (nh_lock)
 * @nh_ndirty: number of ids in @nh_dirty (nh_lock)
 * @nh_dirty_all: more changed than @nh_dirty holds, or the watch list is
 *	stale: read every watched nexthop (nh_lock)
 * @nh_self: group id being replaced by the work: its own change (nh_lock)
 * @nh_self_task: the task sending that replace, NULL otherwise (nh_lock)
 * @nh_gen: &vpnecmp_net.gen when @nh_watch was built (cfg_lock)
 */
struct vpnecmp_net {
	struct net		*net;

	struct mutex		cfg_lock;	/* configuration, work state */
	struct list_head	groups;
	struct list_head	paths;
	u32			ngroups;
	u32			npaths;
	u32			gen;

	bool			active;
	struct mem_cgroup	*memcg;

	spinlock_t		sa_lock;	/* SA tracking, signals */
	struct hlist_head	*sa_hash;
	u32			sa_hashed;
	bool			dying;
	bool			flush_pending;
	bool			sa_rescan;
	struct vpnecmp_counters	cnt;

	struct delayed_work	work;
	struct delayed_work	sa_reval;
	struct socket		*rtnl;
	u32			seq;
	u64			work_runs;
	u64			replace_attempts;
	struct notifier_block	nh_nb;

	spinlock_t		nh_lock;	/* watched and changed nexthops */
	u32			*nh_watch;
	u32			nh_nwatch;
	bool			nh_watch_all;
	u32			nh_dirty[VPNECMP_NH_DIRTY_MAX];
	u32			nh_ndirty;
	bool			nh_dirty_all;
	u32			nh_self;
	struct task_struct	*nh_self_task;
	u32			nh_gen;
};

extern unsigned int vpnecmp_net_id;
extern struct workqueue_struct *vpnecmp_wq;
extern bool vpnecmp_stopping;

static inline struct vpnecmp_net *vpnecmp_pernet(const struct net *net)
{
	return net_generic(net, vpnecmp_net_id);
}

/* main.c */
int vpnecmp_net_activate(struct vpnecmp_net *vn,
			 struct netlink_ext_ack *extack);
void vpnecmp_kick(struct vpnecmp_net *vn);
void vpnecmp_path_free(struct vpnecmp_net *vn, struct vpnecmp_path *path);

/* netlink.c */
int vpnecmp_nl_init(void);
void vpnecmp_nl_exit(void);
void vpnecmp_ntf_path(struct vpnecmp_net *vn, const struct vpnecmp_path *path,
		      u32 old_state, u64 cause_ns);
void vpnecmp_ntf_group(struct vpnecmp_net *vn, const struct vpnecmp_group *grp,
		       bool all_down, u32 reason);

/* xfrm.c */
int vpnecmp_xfrm_init(void);
void vpnecmp_xfrm_exit(void);
void vpnecmp_xfrm_net_init(struct vpnecmp_net *vn);
void vpnecmp_xfrm_net_exit(struct vpnecmp_net *vn);
bool vpnecmp_path_sa_up(const struct vpnecmp_path *path);
void vpnecmp_key_from_sa(struct vpnecmp_key *key, const struct xfrm_state *x);
void vpnecmp_path_hash(struct vpnecmp_net *vn, struct vpnecmp_path *path);
void vpnecmp_path_unhash(struct vpnecmp_net *vn, struct vpnecmp_path *path);
struct vpnecmp_path *vpnecmp_path_by_key(struct vpnecmp_net *vn,
					 const struct vpnecmp_key *key);
void vpnecmp_sa_prune(struct vpnecmp_net *vn);
void vpnecmp_path_sa_stats(struct vpnecmp_net *vn, struct vpnecmp_path *path,
			   u32 *count, u64 *bytes, u64 *packets);

/* nhgrp.c */
void vpnecmp_nhgrp_net_init(struct vpnecmp_net *vn);
int vpnecmp_nhgrp_net_start(struct vpnecmp_net *vn,
			    struct netlink_ext_ack *extack);
void vpnecmp_nhgrp_net_pre_exit(struct vpnecmp_net *vn);
void vpnecmp_nhgrp_net_exit(struct vpnecmp_net *vn);
void vpnecmp_work_fn(struct work_struct *work);
int vpnecmp_nh_check(struct net *net, u32 nhid, bool want_group, u32 ifindex,
		     bool *resilient, struct netlink_ext_ack *extack);

#endif /* _VPNECMP_H */
