// SPDX-License-Identifier: GPL-2.0
/*
 * vpnecmp daemon: keepalived's track_file, written by the daemon itself.
 *
 *   vrrp-track-file FILE group GROUP weight N
 *
 * FILE holds "0" while GROUP has an UP path and "-N" while it is all-down
 * (or not in the module at all: its tunnels do not exist yet).  keepalived
 * (vrrp_track_file, weight 1) adds the value to the instance's priority, so
 * a gateway whose tunnels are all down hands the virtual address to its peer
 * without a track_script being forked every second.  With keepalived's
 * weight 0 any non-zero value puts the instance in FAULT instead.
 *
 * The file is written only when its value changes, as keepalived reads it:
 * the value into FILE.vpnecmp-tmp in the same directory, then rename() over
 * FILE, so keepalived never reads a half-written number.  No fsync: after a
 * crash the daemon writes the file again when it starts.  Writing a few
 * bytes to a local file does not wait on anything the daemon waits for
 * (no network, no other process); a write that fails (directory missing,
 * read-only, full) is logged and tried again every second, from the loop's
 * timer, until it succeeds or the value changes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"

#define VD_TRACK_RETRY_MS	1000

static struct vd_group *vd_vrrp_groups;
static unsigned int vd_vrrp_ngroups;

static int vd_vrrp_write(const struct vd_group *g, int value)
{
	char tmp[VD_TRACK_FILE_MAX + 16], buf[16];
	int fd, n, err = 0;

	snprintf(tmp, sizeof(tmp), "%s.vpnecmp-tmp", g->track_file);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0644);
	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%d\n", value);
	if (write(fd, buf, (size_t)n) != n)
		err = errno ? -errno : -EIO;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, g->track_file))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

/* Write the wanted value now; on failure, again in a second. */
static void vd_vrrp_flush(struct vd_group *g)
{
	int err;

	if (g->track_want == g->track_written)
		return;
	err = vd_vrrp_write(g, g->track_want);
	if (err) {
		/* once per value, not once per retry */
		if (!g->track_retry)
			vd_log(3, "group %s: cannot write %d to the track file %s: %s (trying again every second)",
			       g->name, g->track_want, g->track_file, strerror(-err));
		g->track_retry = vd_now_ms() + VD_TRACK_RETRY_MS;
		return;
	}
	g->track_retry = 0;
	g->track_written = g->track_want;
	vd_log(g->track_want ? 4 : 6, "group %s: %s: %d (%s)", g->name, g->track_file,
	       g->track_want, g->track_want ? "all paths down: VRRP priority lowered" :
	       "a path is up: VRRP priority restored");
}

void vd_vrrp_group(struct vd_group *g, bool all_down)
{
	int want;

	if (!g->track_weight)
		return;
	want = all_down ? -(int)g->track_weight : 0;
	if (want != g->track_want)
		g->track_retry = 0;
	g->track_want = want;
	vd_vrrp_flush(g);
}

static int vd_vrrp_open(struct vd_conf *conf)
{
	vd_vrrp_groups = conf->groups;
	vd_vrrp_ngroups = conf->ngroups;
	return 0;
}

static void vd_vrrp_close(void)
{
	vd_vrrp_groups = NULL;
	vd_vrrp_ngroups = 0;
}

static int vd_vrrp_fds(int *fds, int max)
{
	(void)fds;
	(void)max;
	return 0;
}

static void vd_vrrp_handle(int fd)
{
	(void)fd;
}

static uint64_t vd_vrrp_deadline(void)
{
	uint64_t next = 0;

	for (unsigned int i = 0; i < vd_vrrp_ngroups; i++) {
		uint64_t d = vd_vrrp_groups[i].track_retry;

		if (d && (!next || d < next))
			next = d;
	}
	return next;
}

static void vd_vrrp_timer(uint64_t now)
{
	for (unsigned int i = 0; i < vd_vrrp_ngroups; i++) {
		struct vd_group *g = &vd_vrrp_groups[i];

		if (g->track_retry && g->track_retry <= now)
			vd_vrrp_flush(g);
	}
}

const struct vd_feeder vd_feeder_vrrp = {
	.name = "vrrp",
	.open = vd_vrrp_open,
	.close = vd_vrrp_close,
	.fds = vd_vrrp_fds,
	.handle = vd_vrrp_handle,
	.deadline = vd_vrrp_deadline,
	.timer = vd_vrrp_timer,
};
