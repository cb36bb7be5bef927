// SPDX-License-Identifier: GPL-2.0
/*
 * vpnecmp daemon [ config FILE ] [ check ]
 *
 * Applies the configuration file to the module, runs the feeders (strongSwan,
 * BGP routes, liveness probes) and forwards their signals to the module.
 * Foreground, one thread, logs one line per transition on stderr (with
 * syslog priority prefixes when journald reads it).
 *
 *   SIGHUP          re-read the file: parse and check it, open its feeders,
 *                   apply it to the module, and only then let it replace
 *                   the running one; on any error the running file, its
 *                   feeders and the module's objects are kept as they are
 *   SIGTERM/SIGINT  stop: the module keeps its configuration, and the
 *                   signals this daemon fed are set back up so that the
 *                   paths fall back on SA tracking alone
 *   module reload   seen on the generic netlink controller: the file is
 *                   applied again and every feeder's view re-sent
 *
 * The signals the feeders own are declared in the owner registry (owner.c)
 * while the daemon runs: "vpnecmp event" refuses to write them unless told
 * "force".  A path pulled for a signal its feeder reports up (a forced
 * write) is logged; the forced value holds until the feeder's next change,
 * a reload or a restart, which send the feeder's view again.
 */
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "cli.h"
#include "daemon.h"
#include "waiting.h"
#include "nl.h"
#include "owner.h"

static const char *const vd_help[] = {
	"vpnecmp daemon [ config FILE ] [ check ]",
	NULL
};

static const struct vd_feeder *const vd_feeders[] = {
	&vd_feeder_vici,
	&vd_feeder_bgp,
	&vd_feeder_bmp,
	&vd_feeder_probe,
	&vd_feeder_link,
	&vd_feeder_metrics,
	&vd_feeder_libreswan,
	&vd_feeder_vrrp,
};

#define VD_NFEEDERS	(sizeof(vd_feeders) / sizeof(vd_feeders[0]))

/*
 * The running configuration.  Feeders keep the pointer they were opened
 * with, so a reload loads the new file into the other slot and switches
 * vd_cur only once it is committed: the running one stays where the
 * feeders look until they are closed, and the committed one does not move.
 */
static struct vd_conf vd_confs[2];
static struct vd_conf *vd_cur = &vd_confs[0];
static struct vpnecmp_nl *vd_ev;	/* module events, NULL while unloaded */
static struct vpnecmp_nl *vd_cmd;	/* requests */
static bool vd_journal;
/*
 * While a reload opens the new file's feeders, their signals are only
 * recorded (path->sig): the module does not know the new paths yet and may
 * never, if the reload fails.  vd_push_signals() sends them afterwards.
 */
static bool vd_quiet;

uint64_t vd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void vd_log(int prio, const char *fmt, ...)
{
	va_list ap;

	if (vd_journal)
		fprintf(stderr, "<%d>", prio);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int vd_send_signal(const struct vd_path *path, enum vpnecmp_signal signal, bool up)
{
	if (!vd_cmd)
		return -ENOENT;
	return vpnecmp_signal_send(vd_cmd, path->name, signal, up);
}

static void vd_signal_set(struct vd_path *path, enum vpnecmp_signal signal, bool up,
			  const char *why, bool always)
{
	if (path->sig[signal] == up && !always)
		return;
	if (path->sig[signal] != up)
		vd_log(up ? 6 : 4, "path %s: %s %s (%s)", path->name,
		       vpnecmp_signal_name(signal), up ? "up" : "down", why);
	path->sig[signal] = up;
	/* Without the module, vd_module_up() sends the whole view later. */
	if (!(path->signals & (1U << signal)) || !vd_cmd || vd_quiet)
		return;
	if (vd_send_signal(path, signal, up))
		vd_log(3, "path %s: could not send the %s signal to the module", path->name,
		       vpnecmp_signal_name(signal));
}

static int vd_send_tier(const struct vd_path *path)
{
	struct vpnecmp_path_obj o = {
		.name = path->name,
		.has = VPNECMP_PATH_HAS_TIER,
		.tier = vd_path_tier(path),
	};

	if (!vd_cmd)
		return -ENOENT;
	return vpnecmp_path_send(vd_cmd, VPNECMP_CMD_PATH_SET, &o);
}

void vd_degrade(struct vd_path *path, bool degraded, const char *why)
{
	uint32_t from = vd_path_tier(path);

	if (path->degraded == degraded)
		return;
	path->degraded = degraded;
	vd_log(degraded ? 4 : 6, "path %s: %s (%s): tier %u -> %u", path->name,
	       degraded ? "degraded" : "within its SLA", why, from, vd_path_tier(path));
	/* Without the module, vd_apply() uses vd_path_tier() when it comes. */
	if (!vd_cmd || vd_quiet)
		return;
	if (vd_send_tier(path))
		vd_log(3, "path %s: could not change its tier in the module", path->name);
}

void vd_signal(struct vd_path *path, enum vpnecmp_signal signal, bool up, const char *why)
{
	vd_signal_set(path, signal, up, why, false);
}

void vd_signal_sync(struct vd_path *path, enum vpnecmp_signal signal, bool up, const char *why)
{
	vd_signal_set(path, signal, up, why, true);
}

/*
 * A feeder whose view is not all in path->sig: the libreswan hook writes
 * the module itself, so only that feeder knows what to send (its resend).
 */
static bool vd_feeder_writes_alone(const struct vd_path *p, unsigned int s)
{
	const char *src = vd_signal_source(vd_cur, p, s);

	return !src || strcmp(src, "libreswan");
}

static void vd_feeders_resend(void)
{
	for (unsigned int i = 0; i < VD_NFEEDERS; i++)
		if (vd_feeders[i]->resend)
			vd_feeders[i]->resend();
}

/* The owner registry: the signals this daemon's feeders feed. */
static void vd_owners_write(const struct vd_conf *conf)
{
	struct vpnecmp_owner *o = calloc((size_t)conf->npaths * 3 + 1, sizeof(*o));
	unsigned int n = 0;
	int ret;

	if (!o) {
		vd_log(3, "signal owners: out of memory");
		return;
	}
	for (unsigned int i = 0; i < conf->npaths; i++) {
		const struct vd_path *p = &conf->paths[i];

		for (unsigned int s = VPNECMP_SIGNAL_DPD; s <= VPNECMP_SIGNAL_PROBE; s++) {
			const char *src = vd_signal_source(conf, p, s);

			if (!src)
				continue;
			snprintf(o[n].path, sizeof(o[n].path), "%s", p->name);
			o[n].signal = s;
			snprintf(o[n].source, sizeof(o[n].source), "%s", src);
			o[n].pid = getpid();
			snprintf(o[n].conf, sizeof(o[n].conf), "%s", conf->file);
			n++;
		}
	}
	ret = vpnecmp_owner_write(o, n);
	if (ret)
		vd_log(4, "signal owners: could not write the registry: %s (\"vpnecmp event\" will not know which signals this daemon feeds)",
		       strerror(-ret));
	free(o);
}

/* Our view of one path, whole. */
static void vd_push_path(const struct vd_path *p)
{
	static const enum vpnecmp_signal ours[] = {
		VPNECMP_SIGNAL_DPD, VPNECMP_SIGNAL_BGP, VPNECMP_SIGNAL_PROBE,
	};

	if (!vd_cmd)
		return;
	for (unsigned int s = 0; s < 3; s++)
		if ((p->signals & (1U << ours[s])) && vd_feeder_writes_alone(p, ours[s]) &&
		    vd_send_signal(p, ours[s], p->sig[ours[s]]))
			vd_log(3, "path %s: could not send the %s signal", p->name,
			       vpnecmp_signal_name(ours[s]));
}

/* After the module (re)appears or the file is applied: our view, whole. */
static void vd_push_signals(void)
{
	for (unsigned int i = 0; i < vd_cur->npaths; i++)
		vd_push_path(&vd_cur->paths[i]);
	vd_feeders_resend();
}

/*
 * The link feeder saw path's device re-created.  A path added again starts
 * with every signal up: ours follow at once.  Returns 0 (re-applied or
 * nothing to do, or no module: it gets the whole file when it comes),
 * -EAGAIN while the path's nexthop is not over the device, or a negative
 * errno (logged).
 */
int vd_reapply_path(struct vd_path *path)
{
	int ret;

	if (!vd_cmd)
		return 0;
	ret = vd_apply_path(vd_cur, path);
	if (ret == -EAGAIN)
		return ret;
	if (ret < 0) {
		vd_log(3, "path %s: could not apply it again on %s: %s", path->name, path->dev,
		       strerror(-ret));
		return ret;
	}
	if (!ret) {
		vd_push_path(path);
		vd_feeders_resend();
	}
	return 0;
}

/*
 * Stopping: what we held down goes back up, the kernel keeps watching SAs.
 * The libreswan hook goes on feeding dpd without us: its signals stay.
 */
static void vd_release_signals(void)
{
	for (unsigned int i = 0; i < vd_cur->npaths; i++) {
		struct vd_path *p = &vd_cur->paths[i];

		for (int s = VPNECMP_SIGNAL_DPD; s <= VPNECMP_SIGNAL_PROBE; s++) {
			if (p->sig[s] || !(p->signals & (1U << s)) ||
			    !vd_feeder_writes_alone(p, (unsigned int)s))
				continue;
			vd_log(6, "path %s: releasing the %s signal", p->name,
			       vpnecmp_signal_name(s));
			vd_send_signal(p, s, true);
		}
		if (p->degraded) {
			p->degraded = false;
			vd_log(6, "path %s: releasing its SLA demotion: tier %u", p->name, p->tier);
			vd_send_tier(p);
		}
	}
}

static struct vd_group *vd_group_by_name(const char *name)
{
	for (unsigned int i = 0; i < vd_cur->ngroups; i++)
		if (!strcmp(vd_cur->groups[i].name, name))
			return &vd_cur->groups[i];
	return NULL;
}

static int vd_group_state_cb(uint8_t cmd, struct nlattr **tb, void *arg)
{
	struct vpnecmp_group_obj o;
	bool *seen = arg;
	struct vd_group *grp;

	(void)cmd;
	if (vpnecmp_group_decode(tb[VPNECMP_A_GROUP], &o) || !(o.has & VPNECMP_GROUP_HAS_STATE))
		return 0;
	grp = vd_group_by_name(o.name);
	if (!grp)
		return 0;
	seen[grp - vd_cur->groups] = true;
	/* error: the members are as before the failed replace; keep the value */
	if (o.state != VPNECMP_GROUP_ERROR)
		vd_vrrp_group(grp, o.state != VPNECMP_GROUP_ACTIVE);
	return 0;
}

/*
 * The groups' states after the file was applied, for the VRRP track files:
 * events tell the changes, this the state to start from.  A group the
 * module does not have (waiting for its nexthop group) or that has no path
 * yet forwards nothing through its tunnels: all-down for keepalived.
 */
static void vd_groups_sync(void)
{
	struct vpnecmp_req *req;
	bool *seen;
	bool any = false;

	for (unsigned int i = 0; i < vd_cur->ngroups; i++)
		any |= vd_cur->groups[i].track_weight != 0;
	if (!any || !vd_cmd)
		return;
	seen = calloc(vd_cur->ngroups, sizeof(*seen));
	if (!seen)
		return;
	req = vpnecmp_req_new(vd_cmd, VPNECMP_CMD_GROUP_GET, true);
	if (vpnecmp_req_run(req, vd_group_state_cb, seen)) {
		vd_log(3, "could not read the groups' states for the track files");
	} else {
		for (unsigned int i = 0; i < vd_cur->ngroups; i++)
			if (!seen[i])
				vd_vrrp_group(&vd_cur->groups[i], true);
	}
	free(seen);
}

static int vd_event_cb(uint8_t cmd, struct nlattr **tb, void *arg)
{
	struct nlattr *n[VPNECMP_NTF_A_MAX + 1];
	const char *name;

	(void)arg;
	if (!tb[VPNECMP_A_NTF] || vpnecmp_nl_parse(n, VPNECMP_NEST_NTF, tb[VPNECMP_A_NTF]))
		return 0;
	if (cmd == VPNECMP_CMD_PATH_NTF && n[VPNECMP_NTF_A_PATH] && n[VPNECMP_NTF_A_NEW_STATE]) {
		struct vd_group *g;
		int state = (int)vpnecmp_attr_u32(n[VPNECMP_NTF_A_NEW_STATE]);
		int old = n[VPNECMP_NTF_A_OLD_STATE] ?
			  (int)vpnecmp_attr_u32(n[VPNECMP_NTF_A_OLD_STATE]) : -1;
		int reason = n[VPNECMP_NTF_A_REASON] ?
			     (int)vpnecmp_attr_u32(n[VPNECMP_NTF_A_REASON]) : -1;
		struct vd_path *p;

		name = vpnecmp_attr_str(n[VPNECMP_NTF_A_PATH]);
		if (n[VPNECMP_NTF_A_TIMESTAMP_NS] && n[VPNECMP_NTF_A_CAUSE_NS])
			vd_metrics_path_ntf(name, n[VPNECMP_NTF_A_GROUP] ?
					    vpnecmp_attr_str(n[VPNECMP_NTF_A_GROUP]) : NULL,
					    old, state,
					    vpnecmp_attr_u64(n[VPNECMP_NTF_A_TIMESTAMP_NS]),
					    vpnecmp_attr_u64(n[VPNECMP_NTF_A_CAUSE_NS]));
		vd_log(state == VPNECMP_PATH_UP ? 6 : 4, "path %s: %s -> %s (%s)", name,
		       old < 0 ? "-" : vpnecmp_path_state_name(old),
		       vpnecmp_path_state_name(state),
		       reason < 0 ? "-" : vpnecmp_reason_name(reason));
		p = vd_conf_path(vd_cur, name);
		if (!p)
			return 0;
		p->state = state;
		/* dpd, bgp, probe: reasons 2, 3, 4 for signals 1, 2, 3 */
		if (state == VPNECMP_PATH_DOWN && reason >= VPNECMP_REASON_DPD &&
		    reason <= VPNECMP_REASON_PROBE) {
			unsigned int s = (unsigned int)reason - 1;
			const char *src = vd_signal_source(vd_cur, p, s);

			if (src && p->sig[s] && vd_feeder_writes_alone(p, s))
				vd_log(4, "path %s: pulled for %s, which the %s feeder reports up: someone else set it (\"vpnecmp event ... force\"); it holds until the feeder's next change, a reload or a restart",
				       name, vpnecmp_signal_name(s), src);
		}
		for (unsigned int i = 0; i < VD_NFEEDERS; i++)
			if (vd_feeders[i]->path_state)
				vd_feeders[i]->path_state(p, state, reason);
		/*
		 * A path that comes up may leave the kernel group as it was
		 * (the members the file's apply found): no group event then.
		 * The group's state is read again for its track file.
		 */
		g = vd_group_by_name(p->group);
		if (g && g->track_weight)
			vd_groups_sync();
	} else if (cmd == VPNECMP_CMD_GROUP_NTF && n[VPNECMP_NTF_A_GROUP]) {
		bool failed = n[VPNECMP_NTF_A_ERROR] && vpnecmp_attr_s32(n[VPNECMP_NTF_A_ERROR]);
		struct vd_group *g;

		name = vpnecmp_attr_str(n[VPNECMP_NTF_A_GROUP]);
		g = vd_group_by_name(name);
		/* the group's state first: keepalived waits for nothing */
		if (g && !failed)
			vd_vrrp_group(g, n[VPNECMP_NTF_A_ALL_DOWN] &&
					 vpnecmp_attr_u8(n[VPNECMP_NTF_A_ALL_DOWN]));
		if (failed)
			vd_log(3, "group %s: the kernel refused the replace: %s%s%s", name,
			       strerror(-vpnecmp_attr_s32(n[VPNECMP_NTF_A_ERROR])),
			       n[VPNECMP_NTF_A_ERROR_MSG] ? ": " : "",
			       n[VPNECMP_NTF_A_ERROR_MSG] ?
			       vpnecmp_attr_str(n[VPNECMP_NTF_A_ERROR_MSG]) : "");
		else if (n[VPNECMP_NTF_A_ALL_DOWN] && vpnecmp_attr_u8(n[VPNECMP_NTF_A_ALL_DOWN]))
			vd_log(2, "group %s: all paths down, all-down policy applied", name);
		else if (n[VPNECMP_NTF_A_REASON] &&
			 vpnecmp_attr_u32(n[VPNECMP_NTF_A_REASON]) == VPNECMP_REASON_RESTORED)
			vd_log(4, "group %s: the kernel group was changed by someone else; members restored",
			       name);
		else
			vd_log(6, "group %s: members replaced", name);
	}
	return 0;
}

static void vd_module_gone(void)
{
	if (vd_ev || vd_cmd)
		vd_log(3, "the vpnecmp module is gone: waiting for it to come back");
	if (vd_ev)
		vpnecmp_nl_close(vd_ev);
	if (vd_cmd)
		vpnecmp_nl_close(vd_cmd);
	vd_ev = NULL;
	vd_cmd = NULL;
}

/* The module is there: subscribe, apply the file, send our view. */
static int vd_module_up(void)
{
	vd_module_gone();
	vd_ev = vpnecmp_nl_open();
	vd_cmd = vpnecmp_nl_open();
	if (!vd_ev || !vd_cmd || vpnecmp_nl_subscribe(vd_ev)) {
		vd_module_gone();
		return -1;
	}
	if (vd_apply(vd_cur))
		return -1;
	vd_push_signals();
	vd_groups_sync();
	return 0;
}

static int vd_feeders_open(struct vd_conf *conf)
{
	for (unsigned int i = 0; i < VD_NFEEDERS; i++) {
		if (vd_feeders[i]->open(conf)) {
			vd_log(3, "feeder %s: cannot start", vd_feeders[i]->name);
			while (i--)
				vd_feeders[i]->close();
			return -1;
		}
	}
	return 0;
}

static void vd_feeders_close(void)
{
	for (unsigned int i = 0; i < VD_NFEEDERS; i++)
		vd_feeders[i]->close();
}

/* What a group or path waited for appeared (daemon_link.c): apply again. */
void vd_reapply(void)
{
	if (!vd_cmd)
		return;
	if (vd_apply(vd_cur))
		vd_log(3, "could not apply the waiting paths");
	vd_push_signals();
	vd_groups_sync();
}

/*
 * SIGHUP: a new file replaces the running one only if it is whole, its
 * feeders start and the module takes it.  The feeders are one instance
 * each, so the running ones are closed while the new ones start (no signal
 * is sent meanwhile: vd_quiet); on a failure they are started again on the
 * running file and the module is not touched.
 */
static void vd_reload(const char *file)
{
	struct vd_conf *next = vd_cur == &vd_confs[0] ? &vd_confs[1] : &vd_confs[0];
	char err[512];

	vd_log(6, "reloading %s", file);
	if (vd_conf_load(file, next, err, sizeof(err))) {
		vd_log(3, "%s", err);
		vd_log(3, "%s has errors: keeping the running configuration", file);
		return;
	}
	/* What the feeders know of a path survives its file being edited. */
	for (unsigned int i = 0; i < next->npaths; i++) {
		struct vd_path *old = vd_conf_path(vd_cur, next->paths[i].name);

		if (!old)
			continue;
		memcpy(next->paths[i].sig, old->sig, sizeof(old->sig));
		next->paths[i].state = old->state;
	}
	/* A track file already holding the right value is not written again. */
	for (unsigned int i = 0; i < next->ngroups; i++) {
		struct vd_group *old = vd_group_by_name(next->groups[i].name);

		if (!old || strcmp(old->track_file, next->groups[i].track_file) ||
		    old->track_weight != next->groups[i].track_weight)
			continue;
		next->groups[i].track_written = old->track_written;
		next->groups[i].track_want = old->track_want;
	}
	vd_quiet = true;
	vd_feeders_close();
	if (vd_feeders_open(next)) {
		vd_log(3, "%s: a feeder cannot start: keeping the running configuration",
		       file);
		goto restore;
	}
	if (vd_cmd && vd_apply(next)) {
		vd_log(3, "%s was refused by the module: keeping the running configuration",
		       file);
		vd_feeders_close();
		goto restore;
	}
	vd_quiet = false;
	vd_conf_free(vd_cur);
	vd_cur = next;
	vd_owners_write(vd_cur);
	vd_push_signals();
	vd_groups_sync();
	return;

restore:
	vd_conf_free(next);
	if (vd_feeders_open(vd_cur))
		vd_log(2, "the running configuration's feeders failed to start again");
	vd_quiet = false;
	vd_push_signals();
}

/*
 * The poll set: as large as the feeders ask, grown on demand (a feeder
 * that filled the room it was given is asked again with more).
 */
struct vd_pollset {
	struct pollfd *pfd;
	const struct vd_feeder **owner;
	int *fds;
	int cap;
};

static int vd_pollset_grow(struct vd_pollset *ps)
{
	int cap = ps->cap ? ps->cap * 2 : 32;
	struct pollfd *pfd = realloc(ps->pfd, (size_t)cap * sizeof(*pfd));
	const struct vd_feeder **owner;
	int *fds;

	if (!pfd)
		return -ENOMEM;
	ps->pfd = pfd;
	owner = realloc(ps->owner, (size_t)cap * sizeof(*owner));
	if (!owner)
		return -ENOMEM;
	ps->owner = owner;
	fds = realloc(ps->fds, (size_t)cap * sizeof(*fds));
	if (!fds)
		return -ENOMEM;
	ps->fds = fds;
	ps->cap = cap;
	return 0;
}

static void vd_pollset_free(struct vd_pollset *ps)
{
	free(ps->pfd);
	free(ps->owner);
	free(ps->fds);
	memset(ps, 0, sizeof(*ps));
}

/* Fill ps; returns the number of entries, -ENOMEM. */
static int vd_pollset_fill(struct vd_pollset *ps, int sfd, struct vpnecmp_ctrl *ctrl)
{
	int n = 0;

	while (ps->cap < 3)
		if (vd_pollset_grow(ps))
			return -ENOMEM;
	/* ours, not a feeder's: owner NULL */
	ps->owner[0] = ps->owner[1] = ps->owner[2] = NULL;
	ps->pfd[n++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	ps->pfd[n++] = (struct pollfd){ .fd = vpnecmp_ctrl_fd(ctrl), .events = POLLIN };
	if (vd_ev)
		ps->pfd[n++] = (struct pollfd){ .fd = vpnecmp_nl_fd(vd_ev), .events = POLLIN };
	for (unsigned int i = 0; i < VD_NFEEDERS; i++) {
		int k;

		while ((k = vd_feeders[i]->fds(ps->fds, ps->cap - n)) >= ps->cap - n)
			if (vd_pollset_grow(ps))
				return -ENOMEM;
		for (int j = 0; j < k; j++) {
			ps->owner[n] = vd_feeders[i];
			ps->pfd[n++] = (struct pollfd){ .fd = ps->fds[j], .events = POLLIN };
		}
	}
	return n;
}

static int vd_loop(const char *file, int sfd, struct vpnecmp_ctrl *ctrl)
{
	struct vd_pollset ps = { 0 };
	int ret = -1;

	for (;;) {
		struct pollfd *pfd;
		uint64_t now, next = 0;
		int n, timeout = -1;

		n = vd_pollset_fill(&ps, sfd, ctrl);
		if (n < 0) {
			vd_log(2, "poll set: %s", strerror(-n));
			break;
		}
		pfd = ps.pfd;
		for (unsigned int i = 0; i < VD_NFEEDERS; i++) {
			uint64_t d = vd_feeders[i]->deadline();

			if (d && (!next || d < next))
				next = d;
		}
		/* CLOCK_MONOTONIC, as every deadline: wall-clock steps change nothing */
		if (next) {
			now = vd_now_ms();
			timeout = next > now ? (int)(next - now < 60000 ? next - now : 60000) : 0;
		}

		if (poll(pfd, (nfds_t)n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			vd_log(2, "poll: %s", strerror(errno));
			break;
		}

		if (pfd[0].revents) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGHUP) {
					vd_reload(file);
					continue;
				}
				vd_log(6, "%s: stopping", strsignal((int)si.ssi_signo));
				ret = 0;
				break;
			}
		}
		if (pfd[1].revents) {
			int what = vpnecmp_ctrl_read(ctrl);

			if (what & VPNECMP_CTRL_GONE)
				vd_module_gone();
			if (what & VPNECMP_CTRL_NEW) {
				vd_log(6, "the vpnecmp module is loaded: applying %s", file);
				if (vd_module_up())
					vd_log(2, "could not configure the module");
			}
		}
		for (int i = 2; i < n; i++) {
			if (!pfd[i].revents)
				continue;
			if (vd_ev && pfd[i].fd == vpnecmp_nl_fd(vd_ev)) {
				if (vpnecmp_nl_read(vd_ev, vd_event_cb, NULL) == -EIO)
					vd_module_gone();
				continue;
			}
			/* the module's socket, closed by a module unload just above */
			if (ps.owner[i])
				ps.owner[i]->handle(pfd[i].fd);
		}
		now = vd_now_ms();
		for (unsigned int i = 0; i < VD_NFEEDERS; i++) {
			uint64_t d = vd_feeders[i]->deadline();

			if (d && d <= now)
				vd_feeders[i]->timer(now);
		}
	}
	vd_pollset_free(&ps);
	return ret;
}

static int vd_main(const struct vpnecmp_cmd *cmd, int argc, char **argv)
{
	const char *file = VD_DEFAULT_CONF;
	struct vpnecmp_ctrl *ctrl;
	bool check = false;
	char err[512];
	sigset_t mask;
	int sfd, ret;

	for (; argc > 0; argc--, argv++) {
		if (!strcmp(argv[0], "config")) {
			vpnecmp_next_arg(cmd, &argc, &argv);
			file = argv[0];
		} else if (!strcmp(argv[0], "check")) {
			check = true;
		} else if (!strcmp(argv[0], "help")) {
			vpnecmp_cmd_help(cmd);
		} else {
			vpnecmp_unknown(cmd, argv[0]);
		}
	}

	if (vd_conf_load(file, vd_cur, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return VPNECMP_EXIT_ERROR;
	}
	if (check) {
		for (unsigned int i = 0; i < vd_cur->npaths; i++)
			if (!if_nametoindex(vd_cur->paths[i].dev))
				fprintf(stderr, "%s:%d: note: path %s: device %s does not exist yet: the daemon will wait for it\n",
					file, vd_cur->paths[i].line, vd_cur->paths[i].name,
					vd_cur->paths[i].dev);
		printf("%s: %u group%s, %u path%s: OK\n", file, vd_cur->ngroups,
		       vd_cur->ngroups == 1 ? "" : "s", vd_cur->npaths,
		       vd_cur->npaths == 1 ? "" : "s");
		vd_conf_free(vd_cur);
		return VPNECMP_EXIT_OK;
	}

	vd_journal = getenv("JOURNAL_STREAM") != NULL;
	setvbuf(stderr, NULL, _IOLBF, 0);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	ctrl = vpnecmp_ctrl_open();
	if (sfd < 0 || !ctrl) {
		vd_log(2, "cannot set up signal or controller handling");
		return VPNECMP_EXIT_ERROR;
	}

	vd_log(6, "vpnecmp daemon %s: %s, %u groups, %u paths", VPNECMP_CLI_VERSION, file,
	       vd_cur->ngroups, vd_cur->npaths);
	if (vpnecmp_ctrl_present(ctrl)) {
		if (vd_module_up()) {
			/* A file the module refuses at start is an error. */
			vd_log(2, "the module refused %s: nothing was changed", file);
			vd_module_gone();
			return VPNECMP_EXIT_ERROR;
		}
	} else {
		vd_log(4, "the vpnecmp module is not loaded: waiting for it");
	}
	if (vd_feeders_open(vd_cur))
		return VPNECMP_EXIT_ERROR;
	vd_owners_write(vd_cur);

	ret = vd_loop(file, sfd, ctrl);

	vpnecmp_owner_remove();
	vd_feeders_close();
	vpnecmp_waiting_clear();
	vpnecmp_probes_clear();
	vd_release_signals();
	vd_module_gone();
	vpnecmp_ctrl_close(ctrl);
	close(sfd);
	vd_conf_free(vd_cur);
	return ret ? VPNECMP_EXIT_ERROR : VPNECMP_EXIT_OK;
}

const struct vpnecmp_cmd vpnecmp_cmd_daemon = {
	.name = "daemon",
	.fn = vd_main,
	.help = vd_help,
};
