// SPDX-License-Identifier: GPL-2.0
/*
 * vpnecmp: tunnel-aware nexthop groups for route-based IPsec gateways.
 *
 * Module and per-namespace life cycle.
 */

#include <linux/memcontrol.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "vpnecmp.h"

unsigned int vpnecmp_net_id __read_mostly;
struct workqueue_struct *vpnecmp_wq __read_mostly;
/* Module unload began: the work neither replaces nor notifies. */
bool vpnecmp_stopping;

/**
 * vpnecmp_kick - run the apply work as soon as possible
 * @vn: the namespace
 *
 * Context: any; sa_lock held (it orders the kick against namespace exit).
 */
void vpnecmp_kick(struct vpnecmp_net *vn)
{
	lockdep_assert_held(&vn->sa_lock);
	if (vn->active && !vn->dying && !READ_ONCE(vpnecmp_stopping))
		mod_delayed_work(vpnecmp_wq, &vn->work, 0);
}

/**
 * vpnecmp_net_activate - give a namespace what its groups need
 * @vn: the namespace
 * @extack: extended ack of the request
 *
 * Called by GROUP_NEW before the first group of the namespace is added:
 * allocates the SA hash, creates the kernel NETLINK_ROUTE socket and
 * registers the nexthop notifier (which takes rtnl).  Until then the
 * namespace has none of them (see DOC: Locking).  Concurrent GROUP_NEWs
 * serialise on cfg_lock: the first activates, the others find it done.
 * On failure nothing is left behind and the next GROUP_NEW tries again.
 *
 * Context: process, the requester's task; cfg_lock held, rtnl not held.
 * Return: 0 or an errno, with @extack set.
 */
int vpnecmp_net_activate(struct vpnecmp_net *vn,
			 struct netlink_ext_ack *extack)
{
	struct hlist_head *hash;
	int err;

	lockdep_assert_held(&vn->cfg_lock);
	if (vn->active)
		return 0;

	hash = kcalloc(VPNECMP_SA_HASH_SIZE, sizeof(*hash), GFP_KERNEL_ACCOUNT);
	if (!hash) {
		NL_SET_ERR_MSG_MOD(extack, "no memory for the namespace's SA table");
		return -ENOMEM;
	}
	err = vpnecmp_nhgrp_net_start(vn, extack);
	if (err) {
		kfree(hash);
		return err;
	}
	/* The work's allocations are charged where the first group's were. */
	vn->memcg = get_mem_cgroup_from_mm(current->mm);

	spin_lock_bh(&vn->sa_lock);
	vn->sa_hash = hash;
	WRITE_ONCE(vn->active, true);
	spin_unlock_bh(&vn->sa_lock);
	return 0;
}

/**
 * vpnecmp_path_free - remove a path from everything and free it
 * @vn: the namespace
 * @path: the path
 *
 * Context: process, cfg_lock held.
 */
void vpnecmp_path_free(struct vpnecmp_net *vn, struct vpnecmp_path *path)
{
	lockdep_assert_held(&vn->cfg_lock);
	vpnecmp_path_unhash(vn, path);
	list_del(&path->list);
	list_del(&path->group_node);
	path->group->npaths--;
	vn->npaths--;
	vn->gen++;
	kfree(path);
}

static int __net_init vpnecmp_net_init(struct net *net)
{
	struct vpnecmp_net *vn = vpnecmp_pernet(net);

	vn->net = net;
	mutex_init(&vn->cfg_lock);
	INIT_LIST_HEAD(&vn->groups);
	INIT_LIST_HEAD(&vn->paths);
	spin_lock_init(&vn->sa_lock);
	INIT_DELAYED_WORK(&vn->work, vpnecmp_work_fn);
	vpnecmp_xfrm_net_init(vn);
	vpnecmp_nhgrp_net_init(vn);
	return 0;
}

/*
 * First step of a namespace's teardown, before its devices and nexthops go:
 * from here on nothing replaces a group of it or notifies about it.
 */
static void __net_exit vpnecmp_net_pre_exit(struct net *net)
{
	vpnecmp_nhgrp_net_pre_exit(vpnecmp_pernet(net));
}

/*
 * The kernel nexthop group is left as it was last applied: it belongs to
 * the operator, and the routes using it keep working.
 */
static void __net_exit vpnecmp_net_exit(struct net *net)
{
	struct vpnecmp_net *vn = vpnecmp_pernet(net);
	struct vpnecmp_group *grp, *gtmp;
	struct vpnecmp_path *path, *ptmp;

	vpnecmp_nhgrp_net_exit(vn);
	vpnecmp_xfrm_net_exit(vn);

	mutex_lock(&vn->cfg_lock);
	list_for_each_entry_safe(path, ptmp, &vn->paths, list)
		vpnecmp_path_free(vn, path);
	list_for_each_entry_safe(grp, gtmp, &vn->groups, list) {
		list_del(&grp->list);
		kfree(grp->members);
		kfree(grp);
	}
	vn->ngroups = 0;
	mutex_unlock(&vn->cfg_lock);
	mutex_destroy(&vn->cfg_lock);

	spin_lock_bh(&vn->sa_lock);
	kfree(vn->sa_hash);
	vn->sa_hash = NULL;
	spin_unlock_bh(&vn->sa_lock);
	mem_cgroup_put(vn->memcg);
	vn->memcg = NULL;
}

static struct pernet_operations vpnecmp_net_ops = {
	.init		= vpnecmp_net_init,
	.pre_exit	= vpnecmp_net_pre_exit,
	.exit		= vpnecmp_net_exit,
	.id		= &vpnecmp_net_id,
	.size		= sizeof(struct vpnecmp_net),
};

static int __init vpnecmp_init(void)
{
	int err;

	/*
	 * Not ordered: each namespace's work is one item, never run twice at
	 * once, and namespaces do not queue behind each other.
	 */
	vpnecmp_wq = alloc_workqueue("vpnecmp", VPNECMP_WQ_FLAGS, 0);
	if (!vpnecmp_wq)
		return -ENOMEM;
	err = register_pernet_subsys(&vpnecmp_net_ops);
	if (err)
		goto err_wq;
	err = vpnecmp_xfrm_init();
	if (err)
		goto err_pernet;
	err = vpnecmp_nl_init();
	if (err)
		goto err_xfrm;
	pr_info("version %s loaded\n", VPNECMP_VERSION);
	return 0;

err_xfrm:
	vpnecmp_xfrm_exit();
err_pernet:
	unregister_pernet_subsys(&vpnecmp_net_ops);
err_wq:
	destroy_workqueue(vpnecmp_wq);
	return err;
}

/*
 * Stop the work first: once vpnecmp_stopping is set and the runs in
 * progress are flushed, no run replaces a group or sends a notification
 * (one that starts later returns at once), so nothing is multicast with
 * the family's group id after the family is gone.  Then in reverse order:
 * no handler runs after the family is gone, no SA event after the key
 * manager is gone (an RCU grace period is waited for), then each
 * namespace's work is cancelled (.pre_exit) and its state freed (.exit).
 */
static void __exit vpnecmp_exit(void)
{
	WRITE_ONCE(vpnecmp_stopping, true);
	flush_workqueue(vpnecmp_wq);
	vpnecmp_nl_exit();
	vpnecmp_xfrm_exit();
	unregister_pernet_subsys(&vpnecmp_net_ops);
	destroy_workqueue(vpnecmp_wq);
}

module_init(vpnecmp_init);
module_exit(vpnecmp_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Tunnel-aware nexthop groups for route-based IPsec gateways");
MODULE_AUTHOR("The vpnecmp developers");
MODULE_VERSION(VPNECMP_VERSION);
MODULE_ALIAS_GENL_FAMILY(VPNECMP_GENL_NAME);
