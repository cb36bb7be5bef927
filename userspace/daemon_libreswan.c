// SPDX-License-Identifier: GPL-2.0
/*
 * libreswan feeder: the dpd signal of a path follows the IPsec SAs pluto
 * has for the path's connection ("ike PATH conn NAME" in a file that says
 * "libreswan").
 *
 * pluto has no event API like strongSwan's VICI.  The feeder has two halves:
 *
 * - the updown hook (Documentation/examples/libreswan/updown.sh), which
 *   pluto runs when a connection's CHILD SA comes up or goes (DPD declared
 *   the peer dead, the SA was deleted): it writes the dpd signal straight
 *   into the module with "vpnecmp event PATH dpd up|down source libreswan",
 *   with or without this daemon;
 * - here, a resync: "whack --trafficstatus" (one line per installed IPsec
 *   SA, with its connection's name) run when the daemon starts, on every
 *   reload, when the module comes back, and every 30 s in case the hook
 *   missed an event (pluto ran it before the module was loaded, say).
 *
 * whack runs as a child whose output is read from a non-blocking pipe in
 * the poll loop; the loop never waits for it, and a whack that has not
 * finished within 10 s is killed.  A whack that fails (pluto not running:
 * "Pluto is not running") changes nothing: a missing IKE daemon is no sign
 * of a dead peer, and the SAs pluto takes with it are seen by the module.
 *
 * Between two runs the hook may have written the module: a periodic run
 * only tells the module what changed since the previous run, so the
 * output of a whack started just before a hook event cannot undo it.  At
 * start, on reload and when the module comes back the whole view is sent.
 */
#define _GNU_SOURCE	/* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "daemon.h"

#define LS_RESYNC_MS	30000
#define LS_TIMEOUT_MS	10000
#define LS_MAX_OUTPUT	(4U << 20)

static struct vd_conf *ls_conf;
static uint32_t ls_resync_ms;
static uint64_t ls_next;	/* next run, 0: none planned */
static uint64_t ls_kill_at;	/* the running whack's deadline */
static uint64_t ls_reap_at;	/* output read, exit status still to collect */
static pid_t ls_pid = -1;
static int ls_fd = -1;
static char *ls_out;
static size_t ls_len;
static bool ls_whole;		/* the run under way sends the whole view */
static bool ls_whole_next;	/* a resend asked for while one ran */
static bool ls_failing;		/* whack failed last time: said once */

static void ls_child_close(void)
{
	if (ls_fd >= 0)
		close(ls_fd);
	ls_fd = -1;
	free(ls_out);
	ls_out = NULL;
	ls_len = 0;
}

static void ls_start(uint64_t now)
{
	int p[2];

	ls_next = 0;
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK)) {
		vd_log(3, "libreswan: pipe: %s", strerror(errno));
		ls_next = now + 1000;
		return;
	}
	ls_pid = fork();
	if (ls_pid < 0) {
		vd_log(3, "libreswan: fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		ls_next = now + 1000;
		return;
	}
	if (!ls_pid) {
		int null = open("/dev/null", O_RDONLY);

		/* the pipe's write end, blocking, as stdout and stderr */
		fcntl(p[1], F_SETFL, 0);
		if (null >= 0)
			dup2(null, 0);
		dup2(p[1], 1);
		dup2(p[1], 2);
		execl(ls_conf->whack, ls_conf->whack, "--ctlsocket", ls_conf->pluto,
		      "--trafficstatus", (char *)NULL);
		dprintf(2, "cannot run %s: %s\n", ls_conf->whack, strerror(errno));
		_exit(127);
	}
	close(p[1]);
	ls_fd = p[0];
	ls_kill_at = now + LS_TIMEOUT_MS;
	ls_whole = ls_whole_next;
	ls_whole_next = false;
}

/* "006 #3: \"aws-tun1\"[1] 192.0.2.2, type=ESP, add_time=...": conn of one SA */
static unsigned int ls_count(const char *conn)
{
	size_t n = strlen(conn);
	unsigned int count = 0;
	const char *l = ls_out;

	while (l && *l) {
		const char *q = strchr(l, '"');
		const char *eol = strchr(l, '\n');

		if (q && (!eol || q < eol) && q >= l + 2 && q[-1] == ' ' && q[-2] == ':' &&
		    !strncmp(q + 1, conn, n) && q[1 + n] == '"')
			count++;
		l = eol ? eol + 1 : NULL;
	}
	return count;
}

static void ls_apply(void)
{
	for (unsigned int i = 0; i < ls_conf->npaths; i++) {
		struct vd_path *p = &ls_conf->paths[i];
		unsigned int n;
		char why[160];

		if (!p->ike[0])
			continue;
		n = ls_count(p->ike);
		if (n)
			snprintf(why, sizeof(why), "libreswan: %u IPsec SA%s of connection %s",
				 n, n == 1 ? "" : "s", p->ike);
		else
			snprintf(why, sizeof(why), "libreswan: no IPsec SA of connection %s",
				 p->ike);
		if (ls_whole)
			vd_signal_sync(p, VPNECMP_SIGNAL_DPD, n > 0, why);
		else
			vd_signal(p, VPNECMP_SIGNAL_DPD, n > 0, why);
	}
}

/* whack is done (its output read whole, or killed): its exit status */
static void ls_reap(uint64_t now)
{
	int st;
	pid_t r = waitpid(ls_pid, &st, WNOHANG);

	if (r == 0) {
		/* closed its output, not exited yet: look again shortly */
		ls_reap_at = now + 10;
		return;
	}
	ls_reap_at = 0;
	ls_pid = -1;
	if (r > 0 && WIFEXITED(st) && !WEXITSTATUS(st)) {
		if (ls_failing)
			vd_log(6, "libreswan: %s answers again", ls_conf->pluto);
		ls_failing = false;
		if (ls_out)
			ls_out[ls_len] = '\0';
		ls_apply();
	} else {
		/* keep the signals: a missing pluto is no sign of a dead peer */
		if (!ls_failing) {
			char *nl = ls_out ? (ls_out[ls_len] = '\0', strchr(ls_out, '\n')) : NULL;

			if (nl)
				*nl = '\0';
			vd_log(4, "libreswan: %s --trafficstatus failed (%s): dpd signals kept as they are; trying again every %u ms",
			       ls_conf->whack, ls_out && *ls_out ? ls_out : "no output",
			       ls_resync_ms);
		}
		ls_failing = true;
		/* what we were to send whole, we still have to */
		ls_whole_next |= ls_whole;
	}
	ls_child_close();
	ls_whole = false;
	ls_next = ls_whole_next ? now : now + ls_resync_ms;
}

static void ls_handle(int fd)
{
	if (fd != ls_fd)
		return;
	for (;;) {
		ssize_t n;

		if (!ls_out || ls_len + 4096 + 1 > LS_MAX_OUTPUT) {
			char *o = ls_out ? ls_out : malloc(LS_MAX_OUTPUT);

			if (!o || ls_len + 4096 + 1 > LS_MAX_OUTPUT) {
				vd_log(3, "libreswan: whack's output is too large, ignored");
				kill(ls_pid, SIGKILL);
				ls_len = 0;
				ls_reap(vd_now_ms());
				return;
			}
			ls_out = o;
		}
		n = read(fd, ls_out + ls_len, 4096);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0)
			break;
		ls_len += (size_t)n;
	}
	close(ls_fd);
	ls_fd = -1;
	ls_kill_at = 0;
	ls_reap(vd_now_ms());
}

static int ls_open(struct vd_conf *conf)
{
	const char *env = getenv("VPNECMP_LIBRESWAN_RESYNC_MS");

	ls_conf = conf;
	if (!conf->libreswan)
		return 0;
	if (access(conf->whack, X_OK)) {
		vd_log(3, "libreswan: %s: %s", conf->whack, strerror(errno));
		return -1;
	}
	ls_resync_ms = LS_RESYNC_MS;
	if (env && atoi(env) >= 100)
		ls_resync_ms = (uint32_t)atoi(env);
	ls_failing = false;
	/* the first run sends everything: the module may hold anything */
	ls_whole_next = true;
	if (ls_pid < 0)
		ls_next = vd_now_ms();
	return 0;
}

static void ls_close(void)
{
	/*
	 * A whack still running is killed, its output dropped; also one that
	 * closed its output but has not exited (a hung whack must not hold up
	 * a reload or the stop).  Not reaped yet, the pid is still ours.
	 */
	if (ls_pid > 0) {
		kill(ls_pid, SIGKILL);
		waitpid(ls_pid, NULL, 0);
	}
	ls_pid = -1;
	ls_child_close();
	ls_next = ls_kill_at = ls_reap_at = 0;
	ls_whole = ls_whole_next = false;
}

static int ls_fds(int *fds, int max)
{
	if (ls_fd < 0 || max < 1)
		return 0;
	fds[0] = ls_fd;
	return 1;
}

static uint64_t ls_deadline(void)
{
	if (!ls_conf || !ls_conf->libreswan)
		return 0;
	if (ls_reap_at)
		return ls_reap_at;
	if (ls_pid > 0)
		return ls_kill_at;
	return ls_next;
}

static void ls_timer(uint64_t now)
{
	if (ls_reap_at && now >= ls_reap_at) {
		ls_reap(now);
	} else if (ls_pid > 0 && ls_kill_at && now >= ls_kill_at) {
		vd_log(4, "libreswan: %s --trafficstatus did not finish within %u ms: killed",
		       ls_conf->whack, LS_TIMEOUT_MS);
		kill(ls_pid, SIGKILL);
		ls_kill_at = 0;
		ls_len = 0;
		if (ls_fd >= 0)
			close(ls_fd);
		ls_fd = -1;
		ls_reap(now);
	} else if (ls_pid < 0 && ls_next && now >= ls_next) {
		ls_start(now);
	}
}

/* Module back, file applied: pluto is asked again, and all of it sent. */
static void ls_resend(void)
{
	if (!ls_conf || !ls_conf->libreswan)
		return;
	ls_whole_next = true;
	if (ls_pid < 0)
		ls_next = vd_now_ms();
}

const struct vd_feeder vd_feeder_libreswan = {
	.name = "libreswan",
	.open = ls_open,
	.close = ls_close,
	.fds = ls_fds,
	.handle = ls_handle,
	.deadline = ls_deadline,
	.timer = ls_timer,
	.resend = ls_resend,
};
