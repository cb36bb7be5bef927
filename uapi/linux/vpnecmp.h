/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR MIT) */
/*
 * vpnecmp: tunnel-aware nexthop groups for route-based IPsec gateways.
 *
 * Generic netlink family "vpnecmp", version VPNECMP_GENL_VERSION.
 *
 * Objects, per network namespace:
 *
 *   group  A kernel nexthop group (mpath or resilient) created by the
 *          operator with "ip nexthop add id N group ...".  vpnecmp owns its
 *          membership from the moment the group is added: it replaces the
 *          kernel group (RTM_NEWNEXTHOP with NLM_F_REPLACE) whenever the set
 *          of healthy paths changes.
 *   path   One tunnel: a kernel nexthop (not a group) over a VTI or XFRM
 *          interface, the tunnel endpoints and the SA mark or if_id that
 *          identify its outbound ESP SAs, a weight and a priority tier.
 *
 * Health of a path is the AND of its enabled signals (enum vpnecmp_signal).
 * A path goes DOWN as soon as one enabled signal drops, and is UP again only
 * after all of them have been up for its hold-up time.  The members of a
 * group are the UP paths of the best (lowest) tier that has any; when no
 * path is UP the group's all-down policy applies.
 *
 * Commands (all requests carry their object as a nest, VPNECMP_A_GROUP or
 * VPNECMP_A_PATH; attributes marked "ro" are reported and rejected on
 * input):
 *
 *   VERSION_GET   -> VPNECMP_A_VERSION, VPNECMP_A_INFO
 *   GROUP_NEW     NAME, NHID, [TYPE, ALL_DOWN, FALLBACK_NHID, PREEMPT,
 *                 HOLD_UP_MS]
 *   GROUP_SET     NAME, [ALL_DOWN, FALLBACK_NHID, PREEMPT, HOLD_UP_MS]
 *   GROUP_DEL     NAME (refused while the group has paths)
 *   GROUP_GET     NAME, or dump without
 *   PATH_NEW      NAME, GROUP, IFINDEX, NHID, LOCAL4+REMOTE4 or
 *                 LOCAL6+REMOTE6, [MARK, IF_ID, WEIGHT, TIER, SIGNALS,
 *                 HOLD_UP_MS]
 *   PATH_SET      NAME, [WEIGHT, TIER, SIGNALS, HOLD_UP_MS]
 *   PATH_DEL      NAME
 *   PATH_GET      NAME, or dump with [GROUP]
 *   EVENT         VPNECMP_A_PATH{NAME}, VPNECMP_A_SIGNAL, VPNECMP_A_SIGNAL_UP
 *
 * Notifications on the multicast group VPNECMP_MCGRP_EVENTS:
 *
 *   PATH_NTF      VPNECMP_A_NTF{PATH, GROUP, OLD_STATE, NEW_STATE, REASON,
 *                 TIMESTAMP_NS, CAUSE_NS}
 *   GROUP_NTF     VPNECMP_A_NTF{GROUP, MEMBERS, ERROR, ALL_DOWN,
 *                 TIMESTAMP_NS, REASON}
 *
 * A GROUP_NTF's REASON is NONE for a replace that follows the paths, or
 * RESTORED when the kernel group was found changed behind vpnecmp's back
 * (e.g. "ip nexthop replace id G group ...") and its members were put back.
 *
 * Names are 1..15 printable ASCII characters without blanks.  MARK and IF_ID
 * are reported as 0 when not set: 0 matches SAs without a mark or if_id.
 * Signals fed from userspace (dpd, bgp, probe, admin) start up: a path is
 * only held down by a signal after a feeder reported it down.
 *
 * Every command, GET, dumps and VERSION_GET included, needs CAP_NET_ADMIN in
 * the user namespace that owns the network namespace (GENL_UNS_ADMIN_PERM);
 * subscribing to the events group needs CAP_NET_ADMIN where the kernel
 * supports that restriction.  Each command's policy refuses the attributes
 * it does not use.  PATH_GET dumps may carry VPNECMP_A_PATH{GROUP} to dump
 * one group's paths.
 * Timestamps are CLOCK_MONOTONIC nanoseconds.
 */
#ifndef _UAPI_LINUX_VPNECMP_H
#define _UAPI_LINUX_VPNECMP_H

#define VPNECMP_GENL_NAME	"vpnecmp"
#define VPNECMP_GENL_VERSION	1
#define VPNECMP_MCGRP_EVENTS	"events"

/* Object names, including the terminating NUL. */
#define VPNECMP_NAME_MAX	16

#define VPNECMP_WEIGHT_MAX	256
#define VPNECMP_TIER_MAX	15
#define VPNECMP_HOLD_UP_MAX_MS	3600000

enum vpnecmp_signal {
	VPNECMP_SIGNAL_SA,	/* a valid outbound ESP SA exists (kernel) */
	VPNECMP_SIGNAL_DPD,	/* IKE peer alive (IKE daemon) */
	VPNECMP_SIGNAL_BGP,	/* BGP session/routes over the tunnel (BGP daemon) */
	VPNECMP_SIGNAL_PROBE,	/* active liveness probe answers (prober) */
	VPNECMP_SIGNAL_ADMIN,	/* not drained by the operator */

	__VPNECMP_SIGNAL_MAX,
	VPNECMP_SIGNAL_MAX = __VPNECMP_SIGNAL_MAX - 1
};

#define VPNECMP_SIGNALS_ALL	((1U << __VPNECMP_SIGNAL_MAX) - 1)

enum vpnecmp_path_state {
	VPNECMP_PATH_DOWN,	/* an enabled signal is down, or no nexthop */
	VPNECMP_PATH_HOLD,	/* all signals up, waiting for hold-up */
	VPNECMP_PATH_UP,	/* healthy: eligible for forwarding */
};

/* Why a path last changed state. */
enum vpnecmp_reason {
	VPNECMP_REASON_NONE,
	VPNECMP_REASON_SA,	/* SA signal dropped (delete, hard expiry) */
	VPNECMP_REASON_DPD,
	VPNECMP_REASON_BGP,
	VPNECMP_REASON_PROBE,
	VPNECMP_REASON_ADMIN,
	VPNECMP_REASON_NEXTHOP,	/* the path's nexthop no longer exists */
	VPNECMP_REASON_DEVICE,	/* the path's device is gone or down */
	VPNECMP_REASON_HOLD_UP,	/* all signals up for the hold-up time */
	VPNECMP_REASON_SIGNALS_UP, /* all signals up, hold-up started */
	VPNECMP_REASON_CONFIG,	/* path added or its signals changed */
	VPNECMP_REASON_FLUSH,	/* all SAs flushed */
	VPNECMP_REASON_RESTORED, /* group: kernel group changed, restored */
	VPNECMP_REASON_NEXTHOP_INVALID, /* the path's nexthop is no longer a
					 * plain nexthop over its device
					 */

	__VPNECMP_REASON_MAX,
	VPNECMP_REASON_MAX = __VPNECMP_REASON_MAX - 1
};

enum vpnecmp_group_type {
	VPNECMP_GROUP_MPATH,
	VPNECMP_GROUP_RESILIENT,
};

enum vpnecmp_all_down {
	VPNECMP_ALL_DOWN_KEEP,		/* keep the last members */
	VPNECMP_ALL_DOWN_FALLBACK,	/* swap in the fallback nexthop */
};

enum vpnecmp_group_state {
	VPNECMP_GROUP_ACTIVE,	/* members are UP paths */
	VPNECMP_GROUP_ALL_DOWN,	/* no path UP: all-down policy applied */
	VPNECMP_GROUP_EMPTY,	/* no paths configured: group not touched */
	VPNECMP_GROUP_ERROR,	/* the last replace failed, see ERROR */
};

enum {
	VPNECMP_A_UNSPEC,
	VPNECMP_A_VERSION,	/* string, ro */
	VPNECMP_A_INFO,		/* nest, vpnecmp_info_a, ro */
	VPNECMP_A_GROUP,	/* nest, vpnecmp_group_a */
	VPNECMP_A_PATH,		/* nest, vpnecmp_path_a */
	VPNECMP_A_SIGNAL,	/* u32, enum vpnecmp_signal (EVENT) */
	VPNECMP_A_SIGNAL_UP,	/* u8, 0 or 1 (EVENT) */
	VPNECMP_A_NTF,		/* nest, vpnecmp_ntf_a, ro */

	__VPNECMP_A_MAX,
	VPNECMP_A_MAX = __VPNECMP_A_MAX - 1
};

/* Per-namespace counters, VERSION_GET. */
enum {
	VPNECMP_INFO_A_UNSPEC,
	VPNECMP_INFO_A_XFRM_EVENTS,	/* u64: SA events seen */
	VPNECMP_INFO_A_SA_ADD,		/* u64: NEWSA/UPDSA seen */
	VPNECMP_INFO_A_SA_DEL,		/* u64: DELSA seen */
	VPNECMP_INFO_A_SA_EXPIRE,	/* u64: hard expiries seen */
	VPNECMP_INFO_A_SA_FLUSH,	/* u64: FLUSHSA seen */
	VPNECMP_INFO_A_SA_MATCHED,	/* u64: events matched to a path */
	VPNECMP_INFO_A_GROUPS,		/* u32 */
	VPNECMP_INFO_A_PATHS,		/* u32 */
	VPNECMP_INFO_A_PAD,
	VPNECMP_INFO_A_WORK_RUNS,	/* u64: runs of the apply work */
	VPNECMP_INFO_A_REPLACE_ATTEMPTS, /* u64: group replaces sent */

	__VPNECMP_INFO_A_MAX,
	VPNECMP_INFO_A_MAX = __VPNECMP_INFO_A_MAX - 1
};

enum {
	VPNECMP_GROUP_A_UNSPEC,
	VPNECMP_GROUP_A_NAME,		/* string, < VPNECMP_NAME_MAX */
	VPNECMP_GROUP_A_NHID,		/* u32, kernel nexthop group id */
	VPNECMP_GROUP_A_TYPE,		/* u32, enum vpnecmp_group_type */
	VPNECMP_GROUP_A_ALL_DOWN,	/* u32, enum vpnecmp_all_down */
	VPNECMP_GROUP_A_FALLBACK_NHID,	/* u32 */
	VPNECMP_GROUP_A_PREEMPT,	/* u8, 0 or 1 (default 1) */
	VPNECMP_GROUP_A_HOLD_UP_MS,	/* u32, default for new paths */
	VPNECMP_GROUP_A_STATE,		/* u32, enum vpnecmp_group_state, ro */
	VPNECMP_GROUP_A_ACTIVE_TIER,	/* u32, ro */
	VPNECMP_GROUP_A_MEMBERS,	/* nest of VPNECMP_MEMBER_A, ro */
	VPNECMP_GROUP_A_ERROR,		/* s32, -errno of last replace, ro */
	VPNECMP_GROUP_A_REPLACES,	/* u64, ro */
	VPNECMP_GROUP_A_REPLACE_FAILS,	/* u64, ro */
	VPNECMP_GROUP_A_PATHS,		/* u32, number of paths, ro */
	VPNECMP_GROUP_A_PAD,
	VPNECMP_GROUP_A_ERROR_MSG,	/* string, kernel's extack text, ro */

	__VPNECMP_GROUP_A_MAX,
	VPNECMP_GROUP_A_MAX = __VPNECMP_GROUP_A_MAX - 1
};

/*
 * One entry of VPNECMP_GROUP_A_MEMBERS / VPNECMP_NTF_A_MEMBERS: the members
 * list is a nest of nests, one per member, whose attribute type is the
 * member's 1-based index (parse with nla_for_each_nested, ignore the type).
 */
enum {
	VPNECMP_MEMBER_A_UNSPEC,
	VPNECMP_MEMBER_A_NHID,		/* u32 */
	VPNECMP_MEMBER_A_WEIGHT,	/* u32 */
	VPNECMP_MEMBER_A_PATH,		/* string; absent for the fallback */

	__VPNECMP_MEMBER_A_MAX,
	VPNECMP_MEMBER_A_MAX = __VPNECMP_MEMBER_A_MAX - 1
};

enum {
	VPNECMP_PATH_A_UNSPEC,
	VPNECMP_PATH_A_NAME,		/* string, < VPNECMP_NAME_MAX */
	VPNECMP_PATH_A_GROUP,		/* string, group name */
	VPNECMP_PATH_A_IFINDEX,		/* u32, VTI or XFRM interface */
	VPNECMP_PATH_A_NHID,		/* u32, kernel nexthop over IFINDEX */
	VPNECMP_PATH_A_LOCAL4,		/* be32, tunnel source */
	VPNECMP_PATH_A_REMOTE4,		/* be32, tunnel destination */
	VPNECMP_PATH_A_LOCAL6,		/* binary, 16 bytes */
	VPNECMP_PATH_A_REMOTE6,		/* binary, 16 bytes */
	VPNECMP_PATH_A_MARK,		/* u32, outbound SA mark (VTI okey) */
	VPNECMP_PATH_A_IF_ID,		/* u32, outbound SA if_id (XFRM if) */
	VPNECMP_PATH_A_WEIGHT,		/* u32, 1..VPNECMP_WEIGHT_MAX */
	VPNECMP_PATH_A_TIER,		/* u32, 0..VPNECMP_TIER_MAX, 0 best */
	VPNECMP_PATH_A_SIGNALS,		/* u32, mask of 1 << vpnecmp_signal;
					 * admin is always added
					 */
	VPNECMP_PATH_A_HOLD_UP_MS,	/* u32 */
	VPNECMP_PATH_A_STATE,		/* u32, enum vpnecmp_path_state, ro */
	VPNECMP_PATH_A_SIGNALS_UP,	/* u32, enabled signals now up, ro */
	VPNECMP_PATH_A_REASON,		/* u32, enum vpnecmp_reason, ro */
	VPNECMP_PATH_A_MEMBER,		/* u8, in the kernel group now, ro */
	VPNECMP_PATH_A_STATS,		/* nest, VPNECMP_STATS_A, ro */

	__VPNECMP_PATH_A_MAX,
	VPNECMP_PATH_A_MAX = __VPNECMP_PATH_A_MAX - 1
};

enum {
	VPNECMP_STATS_A_UNSPEC,
	VPNECMP_STATS_A_SA_COUNT,	/* u32, valid outbound SAs */
	VPNECMP_STATS_A_TRANSITIONS,	/* u64 */
	VPNECMP_STATS_A_TIME_IN_STATE_MS, /* u64 */
	VPNECMP_STATS_A_LAST_CHANGE_NS,	/* u64, CLOCK_MONOTONIC */
	VPNECMP_STATS_A_BYTES,		/* u64, of the current SAs */
	VPNECMP_STATS_A_PACKETS,	/* u64, of the current SAs */
	VPNECMP_STATS_A_SA_ADDS,	/* u64, SAs matched over time */
	VPNECMP_STATS_A_SA_DELS,	/* u64 */
	VPNECMP_STATS_A_PAD,

	__VPNECMP_STATS_A_MAX,
	VPNECMP_STATS_A_MAX = __VPNECMP_STATS_A_MAX - 1
};

enum {
	VPNECMP_NTF_A_UNSPEC,
	VPNECMP_NTF_A_PATH,		/* string */
	VPNECMP_NTF_A_GROUP,		/* string */
	VPNECMP_NTF_A_OLD_STATE,	/* u32, enum vpnecmp_path_state */
	VPNECMP_NTF_A_NEW_STATE,	/* u32, enum vpnecmp_path_state */
	VPNECMP_NTF_A_REASON,		/* u32, enum vpnecmp_reason */
	VPNECMP_NTF_A_TIMESTAMP_NS,	/* u64, when the event was sent */
	VPNECMP_NTF_A_CAUSE_NS,		/* u64, when the cause was seen */
	VPNECMP_NTF_A_MEMBERS,		/* nest of VPNECMP_MEMBER_A */
	VPNECMP_NTF_A_ERROR,		/* s32, 0 or -errno: the replace's answer */
	VPNECMP_NTF_A_ALL_DOWN,		/* u8, no path is up */
	VPNECMP_NTF_A_PAD,
	VPNECMP_NTF_A_ERROR_MSG,	/* string, kernel's extack text */

	__VPNECMP_NTF_A_MAX,
	VPNECMP_NTF_A_MAX = __VPNECMP_NTF_A_MAX - 1
};

enum {
	VPNECMP_CMD_UNSPEC,
	VPNECMP_CMD_VERSION_GET,
	VPNECMP_CMD_GROUP_NEW,
	VPNECMP_CMD_GROUP_DEL,
	VPNECMP_CMD_GROUP_SET,
	VPNECMP_CMD_GROUP_GET,
	VPNECMP_CMD_PATH_NEW,
	VPNECMP_CMD_PATH_DEL,
	VPNECMP_CMD_PATH_SET,
	VPNECMP_CMD_PATH_GET,
	VPNECMP_CMD_EVENT,
	VPNECMP_CMD_PATH_NTF,
	VPNECMP_CMD_GROUP_NTF,

	__VPNECMP_CMD_MAX,
	VPNECMP_CMD_MAX = __VPNECMP_CMD_MAX - 1
};

#endif /* _UAPI_LINUX_VPNECMP_H */
