// SPDX-License-Identifier: GPL-2.0
/*
 * vpnecmp version: the module's version and this namespace's counters.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "cli.h"
#include "nl.h"
#include "print.h"

static const char *const vpnecmp_version_help[] = {
	"vpnecmp version",
	NULL
};

static int vpnecmp_version_reply(uint8_t cmd, struct nlattr **tb, void *arg)
{
	struct nlattr *info[VPNECMP_INFO_A_MAX + 1] = { NULL };
	bool *seen = arg;

	(void)cmd;
	if (tb[VPNECMP_A_INFO] &&
	    vpnecmp_nl_parse(info, VPNECMP_NEST_INFO, tb[VPNECMP_A_INFO]) < 0) {
		fprintf(stderr, "Error: malformed reply from the kernel\n");
		return -EBADMSG;
	}
	*seen = true;

	vpnecmp_open_object(NULL);
	vpnecmp_print_attr_str("version", "vpnecmp module version %s", tb[VPNECMP_A_VERSION]);
	vpnecmp_print_nl();

	vpnecmp_open_object("info");
	vpnecmp_print_indent(4);
	vpnecmp_print_attr_u64("xfrm_events", "xfrm-events %" PRIu64,
			       info[VPNECMP_INFO_A_XFRM_EVENTS]);
	vpnecmp_print_attr_u64("sa_add", "sa-add %" PRIu64, info[VPNECMP_INFO_A_SA_ADD]);
	vpnecmp_print_attr_u64("sa_del", "sa-del %" PRIu64, info[VPNECMP_INFO_A_SA_DEL]);
	vpnecmp_print_attr_u64("sa_expire", "sa-expire %" PRIu64,
			       info[VPNECMP_INFO_A_SA_EXPIRE]);
	vpnecmp_print_attr_u64("sa_flush", "sa-flush %" PRIu64, info[VPNECMP_INFO_A_SA_FLUSH]);
	vpnecmp_print_attr_u64("sa_matched", "sa-matched %" PRIu64,
			       info[VPNECMP_INFO_A_SA_MATCHED]);
	vpnecmp_print_nl();
	vpnecmp_print_indent(4);
	vpnecmp_print_attr_u32("groups", "groups %u", info[VPNECMP_INFO_A_GROUPS]);
	vpnecmp_print_attr_u32("paths", "paths %u", info[VPNECMP_INFO_A_PATHS]);
	vpnecmp_print_nl();
	vpnecmp_print_indent(4);
	vpnecmp_print_attr_u64("work_runs", "work-runs %" PRIu64,
			       info[VPNECMP_INFO_A_WORK_RUNS]);
	vpnecmp_print_attr_u64("replace_attempts", "replace-attempts %" PRIu64,
			       info[VPNECMP_INFO_A_REPLACE_ATTEMPTS]);
	vpnecmp_close_object();
	vpnecmp_close_object();
	vpnecmp_print_end();
	return 0;
}

static int vpnecmp_version_main(const struct vpnecmp_cmd *cmd, int argc, char **argv)
{
	struct vpnecmp_req *req;
	struct vpnecmp_nl *nl;
	bool seen = false;
	int ret;

	if (argc > 0) {
		if (!strcmp(argv[0], "help"))
			vpnecmp_cmd_help(cmd);
		vpnecmp_unknown(cmd, argv[0]);
	}

	nl = vpnecmp_nl_open();
	if (!nl)
		return VPNECMP_EXIT_ERROR;
	req = vpnecmp_req_new(nl, VPNECMP_CMD_VERSION_GET, false);
	ret = vpnecmp_req_run(req, vpnecmp_version_reply, &seen);
	vpnecmp_nl_close(nl);
	if (!ret && !seen) {
		fprintf(stderr, "Error: the kernel sent no version\n");
		return VPNECMP_EXIT_ERROR;
	}
	return ret ? VPNECMP_EXIT_ERROR : VPNECMP_EXIT_OK;
}

const struct vpnecmp_cmd vpnecmp_cmd_version = {
	.name = "version",
	.fn = vpnecmp_version_main,
	.help = vpnecmp_version_help,
};
