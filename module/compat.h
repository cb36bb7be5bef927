/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels vpnecmp supports (Debian's 6.1, 6.12 and
 * 6.12-rt, Debian sid's 7.2).  Forced into every file by Kbuild: this is the
 * only place that may test LINUX_VERSION_CODE or probe for kernel features.
 *
 * Checked on 7.2: struct xfrm_mgr, the genetlink structures, the nexthop
 * fields read in nhgrp.c and setsockopt with KERNEL_SOCKPTR are as on 6.x
 * (the module builds W=1 and sparse clean with sid's gcc 16); it uses
 * neither kernel_bind() (struct sockaddr_unsized on 7.2) nor timers (renamed
 * helpers), so only the workqueue flags below matter.
 */
#ifndef _VPNECMP_COMPAT_H
#define _VPNECMP_COMPAT_H

#include <linux/version.h>
#include <net/genetlink.h>
#include <net/xfrm.h>

/*
 * Listening to the events group needs CAP_NET_ADMIN where the kernel can
 * enforce it (6.6, and backported to Debian's 6.1).
 */
#ifdef GENL_MCAST_CAP_NET_ADMIN
#define VPNECMP_MCGRP_FLAGS	.flags = GENL_MCAST_CAP_NET_ADMIN
#else
#define VPNECMP_MCGRP_FLAGS
#endif

/*
 * alloc_workqueue() WARNs on 7.2 without WQ_UNBOUND or WQ_PERCPU.  The apply
 * work runs on unbound high-priority workers (nice -20): a nice-0 load on
 * every CPU does not delay a failover.
 */
#define VPNECMP_WQ_FLAGS	(WQ_MEM_RECLAIM | WQ_UNBOUND | WQ_HIGHPRI)

/*
 * Nexthop group hardware statistics (NHA_HW_STATS_ENABLE, nh_group.hw_stats,
 * 6.10): a group replace that does not ask for them turns them off, so the
 * work asks again when the group had them.  Kbuild probes the headers for
 * both and defines VPNECMP_HAVE_NH_HW_STATS.
 */
#include <linux/nexthop.h>
#include <net/nexthop.h>
#ifdef VPNECMP_HAVE_NH_HW_STATS
static inline bool vpnecmp_nhg_hw_stats(const struct nh_group *nhg)
{
	return nhg->hw_stats;
}

static inline int vpnecmp_put_nh_hw_stats(struct sk_buff *skb)
{
	return nla_put_u32(skb, NHA_HW_STATS_ENABLE, 1);
}
#else
static inline bool vpnecmp_nhg_hw_stats(const struct nh_group *nhg)
{
	return false;
}

static inline int vpnecmp_put_nh_hw_stats(struct sk_buff *skb)
{
	return 0;
}
#endif

/*
 * 16-bit nexthop group weights (struct nexthop_grp.weight_high, 6.12, and
 * backported to Debian's 6.1): Kbuild probes the uapi header and defines
 * VPNECMP_HAVE_NH_WEIGHT_HIGH.  Without it only the low 8 bits exist
 * (vpnecmp's weights are 1..VPNECMP_WEIGHT_MAX, which fits).
 */
#ifdef VPNECMP_HAVE_NH_WEIGHT_HIGH
static inline void vpnecmp_nh_grp_set_weight(struct nexthop_grp *e, u32 w)
{
	e->weight = (w - 1) & 0xff;
	e->weight_high = (w - 1) >> 8;
}
#else
static inline void vpnecmp_nh_grp_set_weight(struct nexthop_grp *e, u32 w)
{
	e->weight = w - 1;
}
#endif

/*
 * SAs know their direction since 6.10 (x->dir, XFRMA_SA_DIR): an SA the
 * kernel knows to be inbound never counts for a tunnel.  Probed by Kbuild
 * (XFRM_SA_DIR_IN is an enum constant, invisible to the preprocessor).
 * Without it (6.1) an inbound SA is recognised by its endpoints only.
 */
#ifdef VPNECMP_HAVE_XFRM_SA_DIR
static inline bool vpnecmp_xfrm_sa_inbound(const struct xfrm_state *x)
{
	return x->dir == XFRM_SA_DIR_IN;
}
#else
static inline bool vpnecmp_xfrm_sa_inbound(const struct xfrm_state *x)
{
	return false;
}
#endif

/*
 * The attributes of a dump request, parsed with the operation's policy:
 * struct genl_dumpit_info carries a struct genl_info since 6.5
 * (genl_info_dump()); before, its own attrs.  Probed by Kbuild.
 */
#ifdef VPNECMP_HAVE_GENL_INFO_DUMP
static inline struct nlattr **vpnecmp_dump_attrs(struct netlink_callback *cb)
{
	return genl_info_dump(cb)->attrs;
}
#else
static inline struct nlattr **vpnecmp_dump_attrs(struct netlink_callback *cb)
{
	return genl_dumpit_info(cb)->attrs;
}
#endif

#endif /* _VPNECMP_COMPAT_H */
