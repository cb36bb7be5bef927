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

#include "obj.h"

#define VD_DEFAULT_CONF		"/etc/vpnecmp/vpnecmp.conf"
#define VD_DEFAULT_VICI		"/var/run/charon.vici"
#define VD_DEFAULT_PLUTO	"/run/pluto/pluto.ctl"
#define VD_DEFAULT_WHACK	"/usr/libexec/ipsec/whack"
#define VD_MAX_PREFIXES		8
/* BMP collector (daemon_bmp.c): where bgpd's "bmp connect" reaches us */
#define VD_BMP_PORT		11019
#define VD_PROBE_INTERVAL_MS	100
#define VD_PROBE_MULTIPLIER	3
#define VD_PROBE_UP		3
#define VD_SLA_RECOVERY_MS	10000
/* The module's default hold-up of a new group (module/netlink.c). */
#define VD_HOLD_UP_MS		1000
#define VD_TRACK_FILE_MAX	240
/* keepalived's priorities: 1..254 for a backup, 255 for the address owner */
#define VD_TRACK_WEIGHT_MAX	254

struct vd_prefix {
	struct vpnecmp_addr addr;
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

	/*
	 * keepalived's track_file (vrrp-track-file): 0 while the group has an
	 * UP path, -track_weight while it is all-down.
	 */
	char track_file[VD_TRACK_FILE_MAX];
	uint32_t track_weight;		/* 0: no track file */
	int track_line;
	/* run time: the value last written (-1 none) and one to write */
	int track_written;
	int track_want;
	uint64_t track_retry;		/* vd_now_ms() of the next attempt, 0 none */
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
	struct vpnecmp_addr local;
	struct vpnecmp_addr remote;
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

	/*
	 * IKE feeder: dpd follows this IKE SA (and CHILD_SA) of charon, or the
	 * IPsec SAs of this connection of pluto (conf->libreswan)
	 */
	char ike[64];
	char child[64];
	int ike_line;

	/*
	 * BGP feeder: bgp is up while this table holds a matching route; BMP
	 * feeder: while the session with this neighbor is up and it sent one.
	 */
	uint32_t bgp_table;
	struct vpnecmp_addr bgp_neighbor;
	struct vd_prefix bgp_prefix[VD_MAX_PREFIXES];
	unsigned int bgp_nprefix;

	/* prober */
	enum vd_probe_kind probe;
	struct vpnecmp_addr probe_dst;
	struct vpnecmp_addr probe_src;
	uint16_t probe_port;
	uint32_t probe_interval;	/* ms */
	uint32_t probe_multiplier;	/* K: down after K lost... */
	uint32_t probe_window;		/* ...of the last N (N = K: in a row) */
	uint32_t probe_up;		/* replies in a row to come back */
	uint32_t probe_measure;		/* figures over the last N probes */
	/* SLA: 0 = none; a path worse than it drops one tier */
	uint32_t sla_rtt_ms;		/* p50 RTT above: degraded */
	bool has_sla_loss;
	uint32_t sla_loss_pct;		/* loss above: degraded */
	uint32_t sla_recovery_ms;	/* within SLA that long to come back */
	bool has_sla_tier;
	uint32_t sla_tier;		/* tier while degraded, default tier + 1 */
	bool passive;			/* traffic received through dev is life */

	/* Run time: what each feeder says now (true: up). */
	bool sig[VPNECMP_SIGNAL_MAX + 1];
	int state;			/* enum vpnecmp_path_state, -1 unknown */
	bool degraded;			/* worse than its SLA: tier + 1 */
};

/* The tier the module holds for path: lower while degraded. */
static inline uint32_t vd_path_tier(const struct vd_path *p)
{
	if (!p->degraded)
		return p->tier;
	if (p->has_sla_tier)
		return p->sla_tier;
	return p->tier < VPNECMP_TIER_MAX ? p->tier + 1 : p->tier;
}

struct vd_conf {
	struct vd_group *groups;
	unsigned int ngroups;
	struct vd_path *paths;
	unsigned int npaths;
	bool strongswan;
	int strongswan_line;
	char vici[108];
	enum vd_on_pull on_pull;
	char metrics[256];	/* Prometheus text file the daemon writes, "" none */
	/* libreswan: "ike" lines name pluto's connections */
	bool libreswan;
	char pluto[108];		/* pluto's control socket */
	char whack[256];		/* the whack binary */
	char file[256];			/* the file's name, for the owner registry */
	bool bmp;		/* some bgp line names a neighbor */
	int bmp_line;		/* the "bmp" line, 0 if none */
	struct vpnecmp_addr bmp_listen;
	uint16_t bmp_port;
};

/* The feeder that owns signal s of p, NULL if none (the daemon does not feed it). */
const char *vd_signal_source(const struct vd_conf *conf, const struct vd_path *p,
			     unsigned int s);

/* daemon_conf.c */
/* 0, or -1 with "FILE:LINE: what is wrong" in err; prints nothing. */
int vd_conf_load(const char *file, struct vd_conf *conf, char *err, size_t errlen);
void vd_conf_free(struct vd_conf *conf);
struct vd_path *vd_conf_path(struct vd_conf *conf, const char *name);
const char *vd_addr_str(const struct vpnecmp_addr *a, char *buf, size_t len);

/* daemon_verdict.c: the prober's decision and figures (no I/O) */
#define VD_WINDOW_MAX		64	/* N of "lost K of N" */
#define VD_MEASURE_WINDOW	100	/* probes the figures are taken over */
#define VD_RTT_LOST		UINT32_MAX

struct vd_verdict_conf {
	uint32_t lost;		/* K */
	uint32_t window;	/* N, K..VD_WINDOW_MAX */
	uint32_t up;		/* M answers in a row to come back */
};

struct vd_verdict {
	uint64_t hist;		/* bit 0: the last probe judged; 1: lost */
	uint32_t lost_in_a_row;
	uint32_t in_a_row;	/* answers in a row */
	bool up;
};

/* One probe judged: 1 the signal goes up, -1 it goes down, 0 unchanged. */
int vd_verdict_feed(struct vd_verdict *v, const struct vd_verdict_conf *c, bool answered);
/* Lost among the last window probes judged. */
unsigned int vd_verdict_lost(const struct vd_verdict *v, uint32_t window);
/* Forget the history (the device changed), keep the signal. */
void vd_verdict_reset(struct vd_verdict *v);

struct vd_measure {
	uint32_t size;				/* window, 0: VD_MEASURE_WINDOW */
	uint32_t rtt_us[VD_MEASURE_WINDOW];	/* VD_RTT_LOST: lost */
	uint32_t next;
	uint32_t count;
	uint32_t last_rtt_us;
	bool has_last;
	int64_t jitter_x16;	/* smoothed |RTT difference|, 1/16 us */
};

struct vd_figures {
	uint32_t samples;	/* probes judged in the window */
	uint32_t lost;
	bool has_rtt;		/* some probe of the window was answered */
	uint32_t p50_us;
	uint32_t p99_us;
	uint32_t jitter_us;
};

void vd_measure_add(struct vd_measure *m, bool answered, uint32_t rtt_us);
void vd_measure_figures(const struct vd_measure *m, struct vd_figures *f);
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
/* path worse than its SLA (one tier lower in the module), or back */
void vd_degrade(struct vd_path *path, bool degraded, const char *why);
/* As vd_signal, but the module is told even when our view did not change. */
void vd_signal_sync(struct vd_path *path, enum vpnecmp_signal signal, bool up,
		    const char *why);
uint64_t vd_now_ms(void);
/* path's device re-created: vd_apply_path(), then our signals re-sent */
int vd_reapply_path(struct vd_path *path);

/* daemon_probe.c: the device named dev is now ifindex (0: gone) */
void vd_probe_link(const char *dev, unsigned int ifindex);

struct vd_probe_stats {
	uint64_t sent;
	uint64_t received;
	uint64_t lost;		/* judged lost (late answers included) */
	uint64_t late;		/* answers that came after their probe was judged */
	uint64_t default_rule_downs; /* drops "3 in a row" would have made */
	uint64_t passive_saves;	/* lost probes forgiven: the tunnel received */
	bool up;		/* the probe signal */
	bool degraded;
	struct vd_figures fig;
};

/* fn for every probed path of the running configuration */
void vd_probe_foreach(void (*fn)(const struct vd_path *path, const struct vd_probe_stats *st,
				 void *arg), void *arg);
/* daemon_link.c: the device nexthop nhid forwards over, 0 if none */
unsigned int vd_nh_oif(uint32_t nhid);
/* packets device ifindex received so far; false if it cannot tell */
bool vd_link_rx_packets(unsigned int ifindex, uint64_t *rx);
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
	/*
	 * Optional: the module must be told this feeder's whole view again
	 * (module loaded, file applied); for a feeder whose view is not all
	 * in path->sig (the libreswan hook writes the module directly).
	 */
	void (*resend)(void);
};

extern const struct vd_feeder vd_feeder_vici;
extern const struct vd_feeder vd_feeder_bgp;
extern const struct vd_feeder vd_feeder_bmp;
extern const struct vd_feeder vd_feeder_probe;
extern const struct vd_feeder vd_feeder_link;
extern const struct vd_feeder vd_feeder_metrics;

/* daemon_metrics.c: a path event from the module, for the pull histogram */
void vd_metrics_path_ntf(const char *path, const char *group, int old, int state,
			 uint64_t ts_ns, uint64_t cause_ns);
extern const struct vd_feeder vd_feeder_libreswan;
extern const struct vd_feeder vd_feeder_vrrp;

/*
 * daemon_vrrp.c: the group's state as the module reports it (a group event,
 * or the state read after the file was applied): all_down true while no
 * path is UP.  Writes the group's track file when its value changes.
 */
void vd_vrrp_group(struct vd_group *g, bool all_down);

#endif /* _VPNECMP_DAEMON_H */
