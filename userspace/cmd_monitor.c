// SPDX-License-Identifier: GPL-2.0
/*
 * vpnecmp monitor: one line (or one JSON object) per notification of the
 * "events" multicast group, flushed at once so that pipes see it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <string.h>

#include "cli.h"
#include "nl.h"
#include "print.h"

#define VPNECMP_MON_PATH	0x1
#define VPNECMP_MON_GROUP	0x2
#define VPNECMP_MON_ALL		(VPNECMP_MON_PATH | VPNECMP_MON_GROUP)

static const char *const vpnecmp_monitor_help[] = {
	"vpnecmp monitor [ path | group | all ]",
	NULL
};

static volatile sig_atomic_t vpnecmp_monitor_stop;

static void vpnecmp_monitor_signal(int sig)
{
	(void)sig;
	vpnecmp_monitor_stop = 1;
}

static void vpnecmp_print_state(const char *key, const char *fmt, const struct nlattr *a)
{
	if (a)
		vpnecmp_print_string(VPNECMP_ANY, key, fmt,
				     vpnecmp_path_state_name(vpnecmp_attr_u32(a)));
	else
		vpnecmp_print_null(key);
}

static void vpnecmp_monitor_path(struct nlattr **n)
{
	vpnecmp_print_string(VPNECMP_JSON, "event", NULL, "path");
	vpnecmp_print_string(VPNECMP_TEXT, NULL, "%s", "[PATH]");
	vpnecmp_print_attr_str("path", "%s", n[VPNECMP_NTF_A_PATH]);
	vpnecmp_print_attr_str("group", "group %s", n[VPNECMP_NTF_A_GROUP]);
	vpnecmp_print_state("old_state", "%s", n[VPNECMP_NTF_A_OLD_STATE]);
	vpnecmp_print_state("new_state", "-> %s", n[VPNECMP_NTF_A_NEW_STATE]);
	if (n[VPNECMP_NTF_A_REASON])
		vpnecmp_print_string(VPNECMP_ANY, "reason", "reason %s",
				     vpnecmp_reason_name(vpnecmp_attr_u32(n[VPNECMP_NTF_A_REASON])));
	else
		vpnecmp_print_null("reason");
	vpnecmp_print_attr_u64("timestamp_ns", "ts %" PRIu64, n[VPNECMP_NTF_A_TIMESTAMP_NS]);
	if (vpnecmp_opts.stats || vpnecmp_print_is_json())
		vpnecmp_print_attr_u64("cause_ns", "cause %" PRIu64, n[VPNECMP_NTF_A_CAUSE_NS]);
}

static void vpnecmp_monitor_group(struct nlattr **n)
{
	bool all_down = false;

	vpnecmp_print_string(VPNECMP_JSON, "event", NULL, "group");
	vpnecmp_print_string(VPNECMP_TEXT, NULL, "%s", "[GROUP]");
	vpnecmp_print_attr_str("group", "%s", n[VPNECMP_NTF_A_GROUP]);
	if (vpnecmp_print_members(n[VPNECMP_NTF_A_MEMBERS]) < 0)
		fprintf(stderr, "Warning: malformed members in a group notification\n");
	if (n[VPNECMP_NTF_A_ERROR])
		vpnecmp_print_int(VPNECMP_ANY, "error", "error %d",
				  vpnecmp_attr_s32(n[VPNECMP_NTF_A_ERROR]));
	else
		vpnecmp_print_null("error");
	if (n[VPNECMP_NTF_A_ERROR_MSG]) {
		vpnecmp_print_string(VPNECMP_JSON, "error_msg", NULL,
				     vpnecmp_attr_str(n[VPNECMP_NTF_A_ERROR_MSG]));
		vpnecmp_print_quoted(vpnecmp_attr_str(n[VPNECMP_NTF_A_ERROR_MSG]));
	} else {
		vpnecmp_print_null("error_msg");
	}
	if (n[VPNECMP_NTF_A_ALL_DOWN])
		all_down = vpnecmp_attr_u8(n[VPNECMP_NTF_A_ALL_DOWN]);
	vpnecmp_print_bool(VPNECMP_JSON, "all_down", NULL, all_down);
	if (all_down)
		vpnecmp_print_string(VPNECMP_TEXT, NULL, "%s", "all-down");
	/* "restored": the kernel group had been changed by someone else */
	if (n[VPNECMP_NTF_A_REASON]) {
		uint32_t reason = vpnecmp_attr_u32(n[VPNECMP_NTF_A_REASON]);

		vpnecmp_print_string(reason == VPNECMP_REASON_NONE ? VPNECMP_JSON : VPNECMP_ANY,
				     "reason", "reason %s", vpnecmp_reason_name(reason));
	}
	vpnecmp_print_attr_u64("timestamp_ns", "ts %" PRIu64, n[VPNECMP_NTF_A_TIMESTAMP_NS]);
}

static int vpnecmp_monitor_ntf(uint8_t cmd, struct nlattr **tb, void *arg)
{
	unsigned int filter = *(unsigned int *)arg;
	struct nlattr *n[VPNECMP_NTF_A_MAX + 1];

	switch (cmd) {
	case VPNECMP_CMD_PATH_NTF:
	case VPNECMP_CMD_GROUP_NTF:
		if (!(filter & (cmd == VPNECMP_CMD_PATH_NTF ? VPNECMP_MON_PATH : VPNECMP_MON_GROUP)))
			return 0;
		if (!tb[VPNECMP_A_NTF] || vpnecmp_nl_parse(n, VPNECMP_NEST_NTF, tb[VPNECMP_A_NTF]) < 0) {
			fprintf(stderr, "Warning: ignored a malformed notification\n");
			return 0;
		}
		vpnecmp_open_object(NULL);
		if (cmd == VPNECMP_CMD_PATH_NTF)
			vpnecmp_monitor_path(n);
		else
			vpnecmp_monitor_group(n);
		vpnecmp_close_object();
		break;
	default:
		if (filter != VPNECMP_MON_ALL)
			return 0;
		vpnecmp_open_object(NULL);
		vpnecmp_print_string(VPNECMP_JSON, "event", NULL, "unknown");
		vpnecmp_print_uint(VPNECMP_ANY, "cmd", "UNKNOWN %u", cmd);
		vpnecmp_close_object();
		break;
	}
	vpnecmp_print_end();
	return 0;
}

static int vpnecmp_monitor_main(const struct vpnecmp_cmd *cmd, int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = vpnecmp_monitor_signal };
	unsigned int filter = VPNECMP_MON_ALL;
	sigset_t block, orig;
	struct vpnecmp_nl *nl;
	struct pollfd pfd;
	int ret = 0;

	if (argc > 0) {
		if (!strcmp(argv[0], "help"))
			vpnecmp_cmd_help(cmd);
		else if (!strcmp(argv[0], "path"))
			filter = VPNECMP_MON_PATH;
		else if (!strcmp(argv[0], "group"))
			filter = VPNECMP_MON_GROUP;
		else if (strcmp(argv[0], "all"))
			vpnecmp_unknown(cmd, argv[0]);
		vpnecmp_end_of_args(cmd, argc - 1, argv + 1);
	}

	nl = vpnecmp_nl_open();
	if (!nl)
		return VPNECMP_EXIT_ERROR;
	if (vpnecmp_nl_subscribe(nl) < 0) {
		vpnecmp_nl_close(nl);
		return VPNECMP_EXIT_ERROR;
	}

	/*
	 * libnl restarts recvmsg() on EINTR, so signals are only let in while
	 * we wait in ppoll(): no window where one is missed.
	 */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &orig);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigdelset(&orig, SIGINT);
	sigdelset(&orig, SIGTERM);

	pfd.fd = vpnecmp_nl_fd(nl);
	pfd.events = POLLIN;
	while (!vpnecmp_monitor_stop) {
		if (ppoll(&pfd, 1, NULL, &orig) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "Error: poll: %s\n", strerror(errno));
			ret = -errno;
			break;
		}
		if (pfd.revents & (POLLIN | POLLERR)) {
			ret = vpnecmp_nl_read(nl, vpnecmp_monitor_ntf, &filter);
			if (ret < 0)
				break;
		}
	}

	vpnecmp_nl_close(nl);
	return ret < 0 ? VPNECMP_EXIT_ERROR : VPNECMP_EXIT_OK;
}

const struct vpnecmp_cmd vpnecmp_cmd_monitor = {
	.name = "monitor",
	.fn = vpnecmp_monitor_main,
	.help = vpnecmp_monitor_help,
};
