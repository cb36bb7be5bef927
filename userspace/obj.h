/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The module's objects as userspace sends and reads them: one description
 * of a group, a path and a signal for the CLI (cmd_*.c) and the daemon
 * (daemon_*.c), so that the two build the same requests and read the same
 * answers.  Nothing here prints except through vpnecmp_req_run() (the
 * kernel's error and extack) and nothing exits.
 */
#ifndef _VPNECMP_OBJ_H
#define _VPNECMP_OBJ_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <linux/netlink.h>
#include <linux/vpnecmp.h>

#include "nl.h"

struct vpnecmp_addr {
	int family;		/* 0: not set */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	};
};

/* Which optional attributes a group object carries. */
enum {
	VPNECMP_GROUP_HAS_NHID		= 1U << 0,
	VPNECMP_GROUP_HAS_TYPE		= 1U << 1,
	VPNECMP_GROUP_HAS_ALL_DOWN	= 1U << 2,	/* with fallback if FALLBACK */
	VPNECMP_GROUP_HAS_PREEMPT	= 1U << 3,
	VPNECMP_GROUP_HAS_HOLD_UP	= 1U << 4,
	VPNECMP_GROUP_HAS_STATE		= 1U << 5,	/* answers only */
};

struct vpnecmp_group_obj {
	const char *name;
	unsigned int has;	/* VPNECMP_GROUP_HAS_* */
	uint32_t nhid;
	uint32_t type;		/* enum vpnecmp_group_type */
	uint32_t all_down;	/* enum vpnecmp_all_down */
	uint32_t fallback;	/* nexthop id, for VPNECMP_ALL_DOWN_FALLBACK */
	bool preempt;
	uint32_t hold_up;	/* ms */
	uint32_t state;		/* answers only: enum vpnecmp_group_state */
};

/*
 * Which optional attributes a path object carries.  IDENTITY is what only
 * PATH_NEW takes: group, ifindex, nhid and the endpoints (mark and if_id
 * have their own bits, as they are optional there too).
 */
enum {
	VPNECMP_PATH_HAS_IDENTITY	= 1U << 0,
	VPNECMP_PATH_HAS_MARK		= 1U << 1,
	VPNECMP_PATH_HAS_IF_ID		= 1U << 2,
	VPNECMP_PATH_HAS_WEIGHT		= 1U << 3,
	VPNECMP_PATH_HAS_TIER		= 1U << 4,
	VPNECMP_PATH_HAS_SIGNALS	= 1U << 5,
	VPNECMP_PATH_HAS_HOLD_UP	= 1U << 6,
	VPNECMP_PATH_HAS_SIGNALS_UP	= 1U << 7,	/* answers only */
};

struct vpnecmp_path_obj {
	const char *name;
	const char *group;
	unsigned int has;	/* VPNECMP_PATH_HAS_* */
	uint32_t ifindex;
	uint32_t nhid;
	struct vpnecmp_addr local;
	struct vpnecmp_addr remote;
	uint32_t mark;
	uint32_t if_id;
	uint32_t weight;
	uint32_t tier;
	uint32_t signals;	/* bit per enum vpnecmp_signal */
	uint32_t hold_up;	/* ms */
	uint32_t signals_up;	/* answers only: signals that say up */
};

/*
 * Requests.  cmd is the generic netlink command (GROUP_NEW or GROUP_SET,
 * PATH_NEW or PATH_SET, GROUP_DEL or PATH_DEL); each returns 0 or a
 * negative errno, the kernel's message printed by vpnecmp_req_run().
 */
int vpnecmp_group_send(struct vpnecmp_nl *nl, uint8_t cmd, const struct vpnecmp_group_obj *g);
int vpnecmp_path_send(struct vpnecmp_nl *nl, uint8_t cmd, const struct vpnecmp_path_obj *p);
int vpnecmp_obj_del(struct vpnecmp_nl *nl, uint8_t cmd, const char *name);
int vpnecmp_signal_send(struct vpnecmp_nl *nl, const char *path, enum vpnecmp_signal signal,
			bool up);

/*
 * Answers: a GROUP or PATH nest of a GET reply, dump entry or notification,
 * read into an object whose strings point into the message.  Attributes the
 * module did not send leave their has bit clear (ifindex 0: the device is
 * gone; IDENTITY is set when group, nhid and both endpoints were sent).  -EBADMSG when the nest is
 * malformed or lacks the object's name (or, for a path, its group or nhid).
 */
int vpnecmp_group_decode(const struct nlattr *nest, struct vpnecmp_group_obj *g);
int vpnecmp_path_decode(const struct nlattr *nest, struct vpnecmp_path_obj *p);

#endif /* _VPNECMP_OBJ_H */
