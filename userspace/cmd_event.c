// SPDX-License-Identifier: GPL-2.0
/*
 * vpnecmp event PATH SIGNAL { up | down } [ source SOURCE ] [ force ]: what
 * the IKE daemon, the BGP daemon, the prober and the operator use to feed a
 * path's signals.  A signal a running "vpnecmp daemon" feeds (owner.c) is
 * only written by its own source, or with "force".
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "nl.h"
#include "obj.h"
#include "owner.h"

static const char *const vpnecmp_event_help[] = {
	"vpnecmp event PATH { dpd | bgp | probe | admin } { up | down }",
	"              [ source SOURCE ] [ force ]",
	NULL
};

/*
 * A signal a running daemon feeds: refused unless written by the same
 * source or forced, so that nobody silently undoes a feeder's report.
 */
static int vpnecmp_event_owner_ok(const char *path, int signal, const char *source,
				  bool force)
{
	struct vpnecmp_owner o;

	if (!vpnecmp_owner_find(path, (unsigned int)signal, &o))
		return 1;
	if (source && !strcmp(source, o.source))
		return 1;
	if (force) {
		fprintf(stderr, "Note: signal %s of path %s is fed by vpnecmp daemon (pid %d, %s, feeder %s): forced; it holds until the feeder's next change, a reload or a restart of the daemon.\n",
			vpnecmp_signal_name((unsigned int)signal), path, (int)o.pid, o.conf,
			o.source);
		return 1;
	}
	fprintf(stderr, "Signal %s of path %s is fed by vpnecmp daemon (pid %d, %s, feeder %s)%s%s%s: not changed.  Drain the path with \"vpnecmp event %s admin down\", or add \"force\" to override the feeder until its next change.\n",
		vpnecmp_signal_name((unsigned int)signal), path, (int)o.pid, o.conf, o.source,
		source ? ", not by \"" : "", source ? source : "", source ? "\"" : "", path);
	return 0;
}

static int vpnecmp_event_main(const struct vpnecmp_cmd *cmd, int argc, char **argv)
{
	const char *path, *source = NULL;
	struct vpnecmp_nl *nl;
	bool force = false;
	int signal, up;
	int ret;

	if (argc < 1)
		vpnecmp_missing(cmd, "PATH");
	if (!strcmp(argv[0], "help"))
		vpnecmp_cmd_help(cmd);
	path = vpnecmp_get_name(argv[0], "path");

	if (argc < 2)
		vpnecmp_incomplete(cmd);
	if (!strcmp(argv[1], "help"))
		vpnecmp_cmd_help(cmd);
	signal = vpnecmp_get_signal(argv[1]);
	/* The sa signal belongs to the kernel: it follows the XFRM states. */
	if (signal < 0 || signal == VPNECMP_SIGNAL_SA)
		vpnecmp_invarg(argv[1], "signal must be one of dpd, bgp, probe, admin");

	if (argc < 3)
		vpnecmp_incomplete(cmd);
	if (!strcmp(argv[2], "up"))
		up = 1;
	else if (!strcmp(argv[2], "down"))
		up = 0;
	else if (!strcmp(argv[2], "help"))
		vpnecmp_cmd_help(cmd);
	else
		vpnecmp_invarg(argv[2], "state must be \"up\" or \"down\"");

	for (argc -= 3, argv += 3; argc > 0; argc--, argv++) {
		if (!strcmp(argv[0], "source")) {
			vpnecmp_next_arg(cmd, &argc, &argv);
			if (source)
				vpnecmp_duparg("source", argv[0]);
			if (!*argv[0] || strlen(argv[0]) >= VPNECMP_SOURCE_MAX ||
			    strspn(argv[0], "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(argv[0]))
				vpnecmp_invarg(argv[0], "source must be a feeder's name (strongswan, libreswan, bgp, probe)");
			source = argv[0];
		} else if (!strcmp(argv[0], "force")) {
			force = true;
		} else if (!strcmp(argv[0], "help")) {
			vpnecmp_cmd_help(cmd);
		} else {
			vpnecmp_unknown(cmd, argv[0]);
		}
	}
	if (!vpnecmp_event_owner_ok(path, signal, source, force))
		return VPNECMP_EXIT_ERROR;

	nl = vpnecmp_nl_open();
	if (!nl)
		return VPNECMP_EXIT_ERROR;
	ret = vpnecmp_signal_send(nl, path, (enum vpnecmp_signal)signal, up);
	vpnecmp_nl_close(nl);
	return ret ? VPNECMP_EXIT_ERROR : VPNECMP_EXIT_OK;
}

const struct vpnecmp_cmd vpnecmp_cmd_event = {
	.name = "event",
	.fn = vpnecmp_event_main,
	.help = vpnecmp_event_help,
};
