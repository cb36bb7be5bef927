/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vpnecmp daemon: the configuration file, the feeders and the main loop.
 *
 * One process, one thread, one poll() loop.  Every feeder owns its file
 * descriptors and its timers and reports a signal of a path through
 * vd_signal(); the main loop forwards changes to the module and re-sends
 * every feeder's view after the module comes back.
 */
#ifndef _VPNECMP_DAEMON_H
#define _VPNECMP_DAEMON_H

#include <netinet/in.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <linux/vpnecmp.h>

#define VD_DEFAULT_CONF		"/etc/vpnecmp/vpnecmp.conf"
#define VD_DEFAULT_VICI		"/var/run/charon.vici"
#define VD_MAX_PREFIXES		8
/* BMP collector (daemon_bmp.c): where bgpd's "bmp connect" reaches us */
#define VD_BMP_PORT		11019
#define VD_PROBE_INTERVAL_MS	100
#define VD_PROBE_MULTIPLIER	3
#define VD_PROBE_UP		3
/* The module's default hold-up of a new group (module/netlink.c). */
#define VD_HOLD_UP_MS		1000

struct vd_addr {
	int family;		/* 0: not set */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	};
};

struct vd_prefix {
	struct vd_addr addr;
	unsigned int len;
};

struct vd_group {
	char name[VPNECMP_NAME_MAX];
	uint32_t nhid;
	bool has_type;		/* else whatever the kernel group is */
	uint32_t type;		/* enum vpnecmp_group_type */
	uint32_t all_down;	/* enum vpnecmp_all_down */
	uint32_t fallback;
	bool preempt;
	uint32_t hold_up;
	int line;
};

enum vd_probe_kind {
	VD_PROBE_NONE,
	VD_PROBE_ICMP,
	VD_PROBE_UDP,
};

/* What strongSwan does when vpnecmp pulls a path for a reason of its own. */
enum vd_on_pull {
	VD_ON_PULL_NONE,
	VD_ON_PULL_RESTART,	/* terminate the IKE SA, initiate the child */
	VD_ON_PULL_TERMINATE,	/* terminate the IKE SA */
};

struct vd_path {
	char name[VPNECMP_NAME_MAX];
	char group[VPNECMP_NAME_MAX];
	char dev[IF_NAMESIZE];
	uint32_t nhid;
	struct vd_addr local;
	struct vd_addr remote;
	bool has_mark;
	uint32_t mark;
	bool has_if_id;
	uint32_t if_id;
	uint32_t weight;
	uint32_t tier;
	uint32_t signals;	/* admin included */
	bool has_hold_up;	/* else the group's */
	uint32_t hold_up;
	int line;

	/* strongSwan feeder: dpd follows this IKE SA (and CHILD_SA) */
	char ike[64];
	char child[64];

	/*
	 * BGP feeder: bgp is up while this table holds a matching route; BMP
	 * feeder: while the session with this neighbor is up and it sent one.
	 */
	uint32_t bgp_table;
	struct vd_addr bgp_neighbor;
	struct vd_prefix bgp_prefix[VD_MAX_PREFIXES];
	unsigned int bgp_nprefix;

	/* prober */
	enum vd_probe_kind probe;
	struct vd_addr probe_dst;
	struct vd_addr probe_src;
	uint16_t probe_port;
	uint32_t probe_interval;	/* ms */
	uint32_t probe_multiplier;
	uint32_t probe_up;		/* replies in a row to come back */

	/* Run time: what each feeder says now (true: up). */
	bool sig[VPNECMP_SIGNAL_MAX + 1];
	int state;			/* enum vpnecmp_path_state, -1 unknown */
};

struct vd_conf {
	struct vd_group *groups;
	unsigned int ngroups;
	struct vd_path *paths;
	unsigned int npaths;
	bool strongswan;
	char vici[108];
	enum vd_on_pull on_pull;
	bool bmp;		/* some bgp line names a neighbor */
	int bmp_line;		/* the "bmp" line, 0 if none */
	struct vd_addr bmp_listen;
	uint16_t bmp_port;
};

/* daemon_conf.c */
/* 0, or -1 with "FILE:LINE: what is wrong" in err; prints nothing. */
int vd_conf_load(const char *file, struct vd_conf *conf, char *err, size_t errlen);
void vd_conf_free(struct vd_conf *conf);
struct vd_path *vd_conf_path(struct vd_conf *conf, const char *name);
const char *vd_addr_str(const struct vd_addr *a, char *buf, size_t len);
bool vd_prefix_match(const struct vd_path *p, int family, const unsigned char *dst,
		     unsigned int len);

/* daemon_apply.c: make the module's objects those of conf. */
int vd_apply(const struct vd_conf *conf);
/* one path again, on its device's ifindex now: 0 done, 1 nothing to do */
int vd_apply_path(const struct vd_conf *conf, const struct vd_path *path);

/* Per group and path of a conf: true while the kernel cannot take it yet. */
struct vd_wait {
	bool *groups;
	bool *paths;
};

/* Fills wait (free with vd_wait_free), returns how many objects wait. */
unsigned int vd_conf_waiting(const struct vd_conf *conf, struct vd_wait *wait, bool log);
void vd_wait_free(struct vd_wait *wait);

/* daemon.c */
void vd_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vd_signal(struct vd_path *path, enum vpnecmp_signal signal, bool up,
	       const char *why);
uint64_t vd_now_ms(void);
/* path's device re-created: vd_apply_path(), then our signals re-sent */
int vd_reapply_path(struct vd_path *path);

/* daemon_probe.c: the device named dev is now ifindex (0: gone) */
void vd_probe_link(const char *dev, unsigned int ifindex);
/* daemon_link.c: the device nexthop nhid forwards over, 0 if none */
unsigned int vd_nh_oif(uint32_t nhid);
/* A device that a path waits for appeared: apply the file again. */
void vd_reapply(void);

/* Feeders.  open: after each (re)load of the config; fd/handle: poll. */
struct vd_feeder {
	const char *name;
	int (*open)(struct vd_conf *conf);
	void (*close)(void);
	/* fds to poll, at most max; returns the count (max: call again) */
	int (*fds)(int *fds, int max);
	void (*handle)(int fd);
	/* next deadline in vd_now_ms() time, 0 for none */
	uint64_t (*deadline)(void);
	void (*timer)(uint64_t now);
	/* the module pulled or restored a path */
	void (*path_state)(struct vd_path *path, int state, int reason);
};

extern const struct vd_feeder vd_feeder_vici;
extern const struct vd_feeder vd_feeder_bgp;
extern const struct vd_feeder vd_feeder_bmp;
extern const struct vd_feeder vd_feeder_probe;
extern const struct vd_feeder vd_feeder_link;

#endif /* _VPNECMP_DAEMON_H */
