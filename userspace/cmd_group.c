// SPDX-License-Identifier: GPL-2.0
/*
 * vpnecmp group { add | set | del | show }
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "cli.h"
#include "nl.h"
#include "obj.h"
#include "print.h"

static const char *const vpnecmp_group_help[] = {
	"vpnecmp group add NAME nhid NHID [ type { mpath | resilient } ]",
	"        [ all-down { keep | fallback NHID } ] [ preempt { on | off } ]",
	"        [ hold-up MS ]",
	"vpnecmp group set NAME [ all-down { keep | fallback NHID } ]",
	"        [ preempt { on | off } ] [ hold-up MS ]",
	"vpnecmp group del NAME",
	"vpnecmp group show [ NAME ]",
	NULL
};

static const char *vpnecmp_group_name_arg(const struct vpnecmp_cmd *cmd, int argc,
					  char **argv)
{
	if (argc < 1)
		vpnecmp_missing(cmd, "NAME");
	if (!strcmp(argv[0], "help"))
		vpnecmp_cmd_help(cmd);
	return vpnecmp_get_name(argv[0], "group");
}

/* "add" and "set" share the optional keywords; only "add" takes nhid/type. */
static void vpnecmp_group_parse(const struct vpnecmp_cmd *cmd, bool add, int argc,
				char **argv, struct vpnecmp_group_obj *g)
{
	memset(g, 0, sizeof(*g));
	g->name = vpnecmp_group_name_arg(cmd, argc, argv);

	for (argc--, argv++; argc > 0; argc--, argv++) {
		const char *key = argv[0];

		if (!strcmp(key, "help")) {
			vpnecmp_cmd_help(cmd);
		} else if (add && !strcmp(key, "nhid")) {
			vpnecmp_next_arg(cmd, &argc, &argv);
			if (g->has & VPNECMP_GROUP_HAS_NHID)
				vpnecmp_duparg(key, argv[0]);
			g->nhid = vpnecmp_get_u32(argv[0], "nhid", 1, UINT32_MAX, false);
			g->has |= VPNECMP_GROUP_HAS_NHID;
		} else if (add && !strcmp(key, "type")) {
			vpnecmp_next_arg(cmd, &argc, &argv);
			if (g->has & VPNECMP_GROUP_HAS_TYPE)
				vpnecmp_duparg(key, argv[0]);
			if (!strcmp(argv[0], "mpath"))
				g->type = VPNECMP_GROUP_MPATH;
			else if (!strcmp(argv[0], "resilient"))
				g->type = VPNECMP_GROUP_RESILIENT;
			else
				vpnecmp_invarg(argv[0], "type must be \"mpath\" or \"resilient\"");
			g->has |= VPNECMP_GROUP_HAS_TYPE;
		} else if (!strcmp(key, "all-down")) {
			vpnecmp_next_arg(cmd, &argc, &argv);
			if (g->has & VPNECMP_GROUP_HAS_ALL_DOWN)
				vpnecmp_duparg(key, argv[0]);
			if (!strcmp(argv[0], "keep")) {
				g->all_down = VPNECMP_ALL_DOWN_KEEP;
			} else if (!strcmp(argv[0], "fallback")) {
				vpnecmp_next_arg(cmd, &argc, &argv);
				g->all_down = VPNECMP_ALL_DOWN_FALLBACK;
				g->fallback = vpnecmp_get_u32(argv[0], "fallback nhid", 1,
							      UINT32_MAX, false);
			} else {
				vpnecmp_invarg(argv[0], "all-down must be \"keep\" or \"fallback NHID\"");
			}
			g->has |= VPNECMP_GROUP_HAS_ALL_DOWN;
		} else if (!strcmp(key, "preempt")) {
			vpnecmp_next_arg(cmd, &argc, &argv);
			if (g->has & VPNECMP_GROUP_HAS_PREEMPT)
				vpnecmp_duparg(key, argv[0]);
			if (!strcmp(argv[0], "on"))
				g->preempt = true;
			else if (!strcmp(argv[0], "off"))
				g->preempt = false;
			else
				vpnecmp_invarg(argv[0], "preempt must be \"on\" or \"off\"");
			g->has |= VPNECMP_GROUP_HAS_PREEMPT;
		} else if (!strcmp(key, "hold-up")) {
			vpnecmp_next_arg(cmd, &argc, &argv);
			if (g->has & VPNECMP_GROUP_HAS_HOLD_UP)
				vpnecmp_duparg(key, argv[0]);
			g->hold_up = vpnecmp_get_u32(argv[0], "hold-up", 0,
						     VPNECMP_HOLD_UP_MAX_MS, false);
			g->has |= VPNECMP_GROUP_HAS_HOLD_UP;
		} else {
			vpnecmp_unknown(cmd, key);
		}
	}

	if (add && !(g->has & VPNECMP_GROUP_HAS_NHID))
		vpnecmp_missing(cmd, "nhid");
	if (!add && !(g->has & (VPNECMP_GROUP_HAS_ALL_DOWN | VPNECMP_GROUP_HAS_PREEMPT |
				VPNECMP_GROUP_HAS_HOLD_UP)))
		vpnecmp_usage_error(cmd, "nothing to change for group \"%s\"", g->name);
}

static int vpnecmp_group_modify(const struct vpnecmp_cmd *cmd, bool add, int argc,
				char **argv)
{
	struct vpnecmp_group_obj g;
	struct vpnecmp_nl *nl;
	int ret;

	vpnecmp_group_parse(cmd, add, argc, argv, &g);

	nl = vpnecmp_nl_open();
	if (!nl)
		return VPNECMP_EXIT_ERROR;
	ret = vpnecmp_group_send(nl, add ? VPNECMP_CMD_GROUP_NEW : VPNECMP_CMD_GROUP_SET, &g);
	vpnecmp_nl_close(nl);
	return ret ? VPNECMP_EXIT_ERROR : VPNECMP_EXIT_OK;
}

static int vpnecmp_group_del(const struct vpnecmp_cmd *cmd, int argc, char **argv)
{
	const char *name;

	name = vpnecmp_group_name_arg(cmd, argc, argv);
	vpnecmp_end_of_args(cmd, argc - 1, argv + 1);

	return vpnecmp_del_named(VPNECMP_CMD_GROUP_DEL, name);
}

static int vpnecmp_group_print(uint8_t cmd, struct nlattr **tb, void *arg)
{
	struct nlattr *g[VPNECMP_GROUP_A_MAX + 1];
	const char *msg = NULL;
	bool fallback = false;
	int32_t error = 0;

	(void)cmd;
	(void)arg;
	if (!tb[VPNECMP_A_GROUP])
		return 0;
	if (vpnecmp_nl_parse(g, VPNECMP_NEST_GROUP, tb[VPNECMP_A_GROUP]) < 0) {
		fprintf(stderr, "Error: malformed group from the kernel\n");
		return -EBADMSG;
	}

	vpnecmp_open_object(NULL);
	vpnecmp_print_attr_str("name", "group %s", g[VPNECMP_GROUP_A_NAME]);
	vpnecmp_print_attr_u32("nhid", "nhid %u", g[VPNECMP_GROUP_A_NHID]);
	if (g[VPNECMP_GROUP_A_TYPE])
		vpnecmp_print_string(VPNECMP_ANY, "type", "type %s",
				     vpnecmp_group_type_name(vpnecmp_attr_u32(g[VPNECMP_GROUP_A_TYPE])));
	else
		vpnecmp_print_null("type");

	if (g[VPNECMP_GROUP_A_ALL_DOWN]) {
		uint32_t v = vpnecmp_attr_u32(g[VPNECMP_GROUP_A_ALL_DOWN]);

		fallback = v == VPNECMP_ALL_DOWN_FALLBACK;
		vpnecmp_print_string(VPNECMP_ANY, "all_down", "all-down %s",
				     vpnecmp_all_down_name(v));
	} else {
		vpnecmp_print_null("all_down");
	}
	/* The fallback nexthop only means something with all-down fallback. */
	if (fallback && g[VPNECMP_GROUP_A_FALLBACK_NHID])
		vpnecmp_print_attr_u32("fallback_nhid", "%u", g[VPNECMP_GROUP_A_FALLBACK_NHID]);
	else
		vpnecmp_print_null("fallback_nhid");

	if (g[VPNECMP_GROUP_A_PREEMPT]) {
		bool on = vpnecmp_attr_u8(g[VPNECMP_GROUP_A_PREEMPT]);

		vpnecmp_print_bool(VPNECMP_JSON, "preempt", NULL, on);
		vpnecmp_print_string(VPNECMP_TEXT, NULL, "preempt %s", on ? "on" : "off");
	} else {
		vpnecmp_print_null("preempt");
	}
	vpnecmp_print_attr_u32("hold_up_ms", "hold-up %ums", g[VPNECMP_GROUP_A_HOLD_UP_MS]);

	if (g[VPNECMP_GROUP_A_STATE])
		vpnecmp_print_string(VPNECMP_ANY, "state", "state %s",
				     vpnecmp_group_state_name(vpnecmp_attr_u32(g[VPNECMP_GROUP_A_STATE])));
	else
		vpnecmp_print_null("state");
	vpnecmp_print_attr_u32("active_tier", "tier %u", g[VPNECMP_GROUP_A_ACTIVE_TIER]);
	vpnecmp_print_attr_u32("paths", "paths %u", g[VPNECMP_GROUP_A_PATHS]);

	vpnecmp_print_nl();
	vpnecmp_print_indent(4);
	if (vpnecmp_print_members(g[VPNECMP_GROUP_A_MEMBERS]) < 0) {
		vpnecmp_close_object();
		vpnecmp_print_nl();
		fprintf(stderr, "Error: malformed group members from the kernel\n");
		return -EBADMSG;
	}

	vpnecmp_print_nl();

	if (g[VPNECMP_GROUP_A_ERROR]) {
		error = vpnecmp_attr_s32(g[VPNECMP_GROUP_A_ERROR]);
		vpnecmp_print_int(VPNECMP_JSON, "error", NULL, error);
	} else {
		vpnecmp_print_null("error");
	}
	if (g[VPNECMP_GROUP_A_ERROR_MSG])
		msg = vpnecmp_attr_str(g[VPNECMP_GROUP_A_ERROR_MSG]);
	vpnecmp_print_string(VPNECMP_JSON, "error_msg", NULL, msg);
	if (error) {
		vpnecmp_print_indent(4);
		vpnecmp_print_int(VPNECMP_TEXT, NULL, "error %d", error);
		if (msg)
			vpnecmp_print_quoted(msg);
		vpnecmp_print_nl();
	}

	if (vpnecmp_opts.stats || vpnecmp_print_is_json()) {
		vpnecmp_print_indent(4);
		vpnecmp_print_attr_u64("replaces", "replaces %" PRIu64,
				       g[VPNECMP_GROUP_A_REPLACES]);
		vpnecmp_print_attr_u64("replace_fails", "replace-fails %" PRIu64,
				       g[VPNECMP_GROUP_A_REPLACE_FAILS]);
		vpnecmp_print_nl();
	}
	vpnecmp_close_object();
	return 0;
}

static int vpnecmp_group_show(const struct vpnecmp_cmd *cmd, int argc, char **argv)
{
	const char *name = NULL;
	struct vpnecmp_req *req;
	struct vpnecmp_nl *nl;
	int ret;

	if (argc > 0) {
		name = vpnecmp_group_name_arg(cmd, argc, argv);
		vpnecmp_end_of_args(cmd, argc - 1, argv + 1);
	}

	nl = vpnecmp_nl_open();
	if (!nl)
		return VPNECMP_EXIT_ERROR;
	req = vpnecmp_req_new(nl, VPNECMP_CMD_GROUP_GET, !name);
	if (name) {
		vpnecmp_req_nest_start(req, VPNECMP_A_GROUP);
		vpnecmp_req_put_string(req, VPNECMP_GROUP_A_NAME, name);
		vpnecmp_req_nest_end(req);
	}
	vpnecmp_open_array(NULL);
	ret = vpnecmp_req_run(req, vpnecmp_group_print, NULL);
	vpnecmp_close_array();
	vpnecmp_print_end();
	vpnecmp_nl_close(nl);
	return ret ? VPNECMP_EXIT_ERROR : VPNECMP_EXIT_OK;
}

static int vpnecmp_group_main(const struct vpnecmp_cmd *cmd, int argc, char **argv)
{
	if (argc < 1)
		return vpnecmp_group_show(cmd, 0, argv);
	if (!strcmp(argv[0], "add"))
		return vpnecmp_group_modify(cmd, true, argc - 1, argv + 1);
	if (!strcmp(argv[0], "set"))
		return vpnecmp_group_modify(cmd, false, argc - 1, argv + 1);
	/* The words iproute2 users type; no prefix abbreviations. */
	if (!strcmp(argv[0], "del") || !strcmp(argv[0], "delete"))
		return vpnecmp_group_del(cmd, argc - 1, argv + 1);
	if (!strcmp(argv[0], "show") || !strcmp(argv[0], "list") ||
	    !strcmp(argv[0], "ls"))
		return vpnecmp_group_show(cmd, argc - 1, argv + 1);
	if (!strcmp(argv[0], "help"))
		vpnecmp_cmd_help(cmd);
	vpnecmp_unknown(cmd, argv[0]);
}

const struct vpnecmp_cmd vpnecmp_cmd_group = {
	.name = "group",
	.fn = vpnecmp_group_main,
	.help = vpnecmp_group_help,
};
