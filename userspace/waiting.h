/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the daemon waits for, told to "path show" and "stats prometheus".
 *
 * A path whose device or nexthop does not exist yet (the tunnels come up
 * after the daemon at boot) is not in the module, so the module cannot say
 * it waits.  The daemon writes the list to a file of its network namespace,
 * RUNDIR/waiting.INODE (RUNDIR: /run/vpnecmp, or $VPNECMP_RUNDIR; INODE:
 * the namespace's inode number, so that daemons of several namespaces do
 * not mix), replaced atomically at each change and removed when nothing
 * waits or the daemon stops.  A file whose daemon is gone (kill -9) is
 * ignored by the readers.
 */
#ifndef _VPNECMP_WAITING_H
#define _VPNECMP_WAITING_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <linux/vpnecmp.h>

/* What the object waits for. */
enum vpnecmp_wait_for {
	VPNECMP_WAIT_DEVICE,	/* the path's device */
	VPNECMP_WAIT_NEXTHOP,	/* the path's or group's nexthop */
	VPNECMP_WAIT_GROUP,	/* the path's group, which waits itself */
};

struct vpnecmp_waiting {
	bool group;			/* a group, else a path */
	char name[VPNECMP_NAME_MAX];
	char in_group[VPNECMP_NAME_MAX];	/* a path's group */
	char dev[IF_NAMESIZE];		/* a path's device */
	uint32_t nhid;
	enum vpnecmp_wait_for wait_for;
};

const char *vpnecmp_wait_for_name(enum vpnecmp_wait_for w);

/* Daemon: the list now (n == 0: remove the file).  0 or a negative errno. */
int vpnecmp_waiting_write(const struct vpnecmp_waiting *w, unsigned int n);
void vpnecmp_waiting_clear(void);

/*
 * Readers: the list of this namespace's running daemon, malloc'ed (*w NULL
 * and 0 when there is none).  Returns the count or a negative errno.
 */
int vpnecmp_waiting_read(struct vpnecmp_waiting **w);

/*
 * The prober's figures of each probed path, RUNDIR/probes.INODE, rewritten
 * once a second while the daemon probes (removed when it stops): for
 * "path show -s" and -j.  Same rules as the waiting list.
 */
struct vpnecmp_probe_fig {
	char name[VPNECMP_NAME_MAX];
	bool up;		/* the probe signal the daemon feeds */
	bool degraded;		/* worse than its SLA: one tier lower */
	uint32_t samples;	/* probes judged in the window */
	uint32_t lost;		/* of those, lost */
	bool has_rtt;		/* some probe of the window was answered */
	uint32_t p50_us;
	uint32_t p99_us;
	uint32_t jitter_us;
};

int vpnecmp_probes_write(const struct vpnecmp_probe_fig *f, unsigned int n);
void vpnecmp_probes_clear(void);
int vpnecmp_probes_read(struct vpnecmp_probe_fig **f);

#endif /* _VPNECMP_WAITING_H */
