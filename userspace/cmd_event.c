// SPDX-License-Identifier: GPL-2.0
/*
 * vpnecmp event PATH SIGNAL { up | down }: what the IKE daemon, the BGP
 * daemon, the prober and the operator use to feed a path's signals.
 */
#include <string.h>

#include "cli.h"
#include "nl.h"
#include "obj.h"

static const char *const vpnecmp_event_help[] = {
	"vpnecmp event PATH { dpd | bgp | probe | admin } { up | down }",
	NULL
};

static int vpnecmp_event_main(const struct vpnecmp_cmd *cmd, int argc, char **argv)
{
	struct vpnecmp_nl *nl;
	const char *path;
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

	if (argc > 3) {
		if (!strcmp(argv[3], "help"))
			vpnecmp_cmd_help(cmd);
		vpnecmp_unknown(cmd, argv[3]);
	}

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
