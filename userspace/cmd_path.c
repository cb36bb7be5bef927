// SPDX-License-Identifier: GPL-2.0
/*
 * vpnecmp path { add | set | del | show }
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "nl.h"
#include "obj.h"
#include "print.h"
#include "waiting.h"

static const char *const vpnecmp_path_help[] = {
	"vpnecmp path add NAME group GROUP dev DEV nhid NHID",
	"        local ADDR remote ADDR [ mark MARK | if-id IFID ]",
	"        [ weight WEIGHT ] [ tier TIER ] [ signals SIGNAL[,SIGNAL...] ]",
	"        [ hold-up MS ]",
	"vpnecmp path set NAME [ weight WEIGHT ] [ tier TIER ]",
	"        [ signals SIGNAL[,SIGNAL...] ] [ hold-up MS ]",
	"vpnecmp path del NAME",
	"vpnecmp path show [ NAME | group GROUP ]",
	NULL
};

static const char *const vpnecmp_path_where[] = {
	"SIGNAL := { sa | dpd | bgp | probe | admin }",
	NULL
};

struct vpnecmp_path_args {
	const char *name;
	const char *group;
	const char *dev;
	bool has_nhid;
	uint32_t nhid;
	struct vpnecmp_addr local;
	struct vpnecmp_addr remote;
	bool has_mark;
	uint32_t mark;
	bool has_if_id;
	uint32_t if_id;
	bool has_weight;
	uint32_t weight;
	bool has_tier;
	uint32_t tier;
	bool has_signals;
	uint32_t signals;
	bool has_hold_up;
	uint32_t hold_up;
};

static const char *vpnecmp_path_name_arg(const struct vpnecmp_cmd *cmd, int argc,
					 char **argv)
{
	if (argc < 1)
		vpnecmp_missing(cmd, "NAME");
	if (!strcmp(argv[0], "help"))
		vpnecmp_cmd_help(cmd);
	return vpnecmp_get_name(argv[0], "path");
}

static void vpnecmp_get_addr(const char *arg, const char *what, struct vpnecmp_addr *addr)
{
	if (inet_pton(AF_INET, arg, &addr->v4) == 1)
		addr->family = AF_INET;
	else if (inet_pton(AF_INET6, arg, &addr->v6) == 1)
		addr->family = AF_INET6;
	else
		vpnecmp_invarg(arg, "%s is not an IPv4 or IPv6 address", what);
}

static void vpnecmp_path_parse(const struct vpnecmp_cmd *cmd, bool add, int argc,
			       char **argv, struct vpnecmp_path_args *a)
{
	memset(a, 0, sizeof(*a));
	a->name = vpnecmp_path_name_arg(cmd, argc, argv);

	for (argc--, argv++; argc > 0; argc--, argv++) {
		const char *key = argv[0];

		if (!strcmp(key, "help")) {
			vpnecmp_cmd_help(cmd);
		} else if (add && !strcmp(key, "group")) {
			vpnecmp_next_arg(cmd, &argc, &argv);
			if (a->group)
				vpnecmp_duparg(key, argv[0]);
			a->group = vpnecmp_get_name(argv[0], "group");
		} else if (add && !strcmp(key, "dev")) {
			vpnecmp_next_arg(cmd, &argc, &argv);
			if (a->dev)
				vpnecmp_duparg(key, argv[0]);
			if (!*argv[0] || strlen(argv[0]) >= IF_NAMESIZE)
				vpnecmp_invarg(argv[0], "\"dev\" not a valid ifname");
			a->dev = argv[0];
		} else if (add && !strcmp(key, "nhid")) {
			vpnecmp_next_arg(cmd, &argc, &argv);
			if (a->has_nhid)
				vpnecmp_duparg(key, argv[0]);
			a->nhid = vpnecmp_get_u32(argv[0], "nhid", 1, UINT32_MAX, false);
			a->has_nhid = true;
		} else if (add && !strcmp(key, "local")) {
			vpnecmp_next_arg(cmd, &argc, &argv);
			if (a->local.family)
				vpnecmp_duparg(key, argv[0]);
			vpnecmp_get_addr(argv[0], "local", &a->local);
		} else if (add && !strcmp(key, "remote")) {
			vpnecmp_next_arg(cmd, &argc, &argv);
			if (a->remote.family)
				vpnecmp_duparg(key, argv[0]);
			vpnecmp_get_addr(argv[0], "remote", &a->remote);
		} else if (add && !strcmp(key, "mark")) {
			vpnecmp_next_arg(cmd, &argc, &argv);
			if (a->has_mark)
				vpnecmp_duparg(key, argv[0]);
			a->mark = vpnecmp_get_u32(argv[0], "mark", 0, UINT32_MAX, true);
			a->has_mark = true;
		} else if (add && !strcmp(key, "if-id")) {
			vpnecmp_next_arg(cmd, &argc, &argv);
			if (a->has_if_id)
				vpnecmp_duparg(key, argv[0]);
			a->if_id = vpnecmp_get_u32(argv[0], "if-id", 0, UINT32_MAX, true);
			a->has_if_id = true;
		} else if (!strcmp(key, "weight")) {
			vpnecmp_next_arg(cmd, &argc, &argv);
			if (a->has_weight)
				vpnecmp_duparg(key, argv[0]);
			a->weight = vpnecmp_get_u32(argv[0], "weight", 1, VPNECMP_WEIGHT_MAX, false);
			a->has_weight = true;
		} else if (!strcmp(key, "tier")) {
			vpnecmp_next_arg(cmd, &argc, &argv);
			if (a->has_tier)
				vpnecmp_duparg(key, argv[0]);
			a->tier = vpnecmp_get_u32(argv[0], "tier", 0, VPNECMP_TIER_MAX, false);
			a->has_tier = true;
		} else if (!strcmp(key, "signals")) {
			vpnecmp_next_arg(cmd, &argc, &argv);
			if (a->has_signals)
				vpnecmp_duparg(key, argv[0]);
			a->signals = vpnecmp_get_signals(argv[0]);
			a->has_signals = true;
		} else if (!strcmp(key, "hold-up")) {
			vpnecmp_next_arg(cmd, &argc, &argv);
			if (a->has_hold_up)
				vpnecmp_duparg(key, argv[0]);
			a->hold_up = vpnecmp_get_u32(argv[0], "hold-up", 0,
						     VPNECMP_HOLD_UP_MAX_MS, false);
			a->has_hold_up = true;
		} else {
			vpnecmp_unknown(cmd, key);
		}
	}

	if (!add) {
		if (!a->has_weight && !a->has_tier && !a->has_signals && !a->has_hold_up)
			vpnecmp_usage_error(cmd, "nothing to change for path \"%s\"", a->name);
		return;
	}
	if (!a->group)
		vpnecmp_missing(cmd, "group");
	if (!a->dev)
		vpnecmp_missing(cmd, "dev");
	if (!a->has_nhid)
		vpnecmp_missing(cmd, "nhid");
	if (!a->local.family)
		vpnecmp_missing(cmd, "local");
	if (!a->remote.family)
		vpnecmp_missing(cmd, "remote");
	if (a->local.family != a->remote.family) {
		char l[INET6_ADDRSTRLEN], r[INET6_ADDRSTRLEN];

		inet_ntop(a->local.family, &a->local.v6, l, sizeof(l));
		inet_ntop(a->remote.family, &a->remote.v6, r, sizeof(r));
		vpnecmp_usage_error(cmd, "local \"%s\" and remote \"%s\" are not of the same address family",
				    l, r);
	}
	if (a->has_mark && a->has_if_id)
		vpnecmp_usage_error(cmd, "\"mark\" and \"if-id\" are mutually exclusive");
}

static int vpnecmp_path_modify(const struct vpnecmp_cmd *cmd, bool add, int argc,
			       char **argv)
{
	struct vpnecmp_path_obj p = { 0 };
	struct vpnecmp_path_args a;
	struct vpnecmp_nl *nl;
	int ret;

	vpnecmp_path_parse(cmd, add, argc, argv, &a);
	p.name = a.name;
	if (add) {
		p.ifindex = if_nametoindex(a.dev);
		if (!p.ifindex) {
			fprintf(stderr, "Cannot find device \"%s\"\n", a.dev);
			return VPNECMP_EXIT_ERROR;
		}
		p.has |= VPNECMP_PATH_HAS_IDENTITY;
		p.group = a.group;
		p.nhid = a.nhid;
		p.local = a.local;
		p.remote = a.remote;
	}
	p.has |= (a.has_mark ? VPNECMP_PATH_HAS_MARK : 0) |
		 (a.has_if_id ? VPNECMP_PATH_HAS_IF_ID : 0) |
		 (a.has_weight ? VPNECMP_PATH_HAS_WEIGHT : 0) |
		 (a.has_tier ? VPNECMP_PATH_HAS_TIER : 0) |
		 (a.has_signals ? VPNECMP_PATH_HAS_SIGNALS : 0) |
		 (a.has_hold_up ? VPNECMP_PATH_HAS_HOLD_UP : 0);
	p.mark = a.mark;
	p.if_id = a.if_id;
	p.weight = a.weight;
	p.tier = a.tier;
	p.signals = a.signals;
	p.hold_up = a.hold_up;

	nl = vpnecmp_nl_open();
	if (!nl)
		return VPNECMP_EXIT_ERROR;
	ret = vpnecmp_path_send(nl, add ? VPNECMP_CMD_PATH_NEW : VPNECMP_CMD_PATH_SET, &p);
	vpnecmp_nl_close(nl);
	return ret ? VPNECMP_EXIT_ERROR : VPNECMP_EXIT_OK;
}

static int vpnecmp_path_del(const struct vpnecmp_cmd *cmd, int argc, char **argv)
{
	const char *name;

	name = vpnecmp_path_name_arg(cmd, argc, argv);
	vpnecmp_end_of_args(cmd, argc - 1, argv + 1);

	return vpnecmp_del_named(VPNECMP_CMD_PATH_DEL, name);
}

static void vpnecmp_print_addr(const char *key, const char *fmt, const struct nlattr *a4,
			       const struct nlattr *a6)
{
	char buf[INET6_ADDRSTRLEN];
	const char *s = NULL;
	uint32_t v4;

	if (a4) {
		v4 = vpnecmp_attr_u32(a4);
		s = inet_ntop(AF_INET, &v4, buf, sizeof(buf));
	} else if (a6) {
		s = inet_ntop(AF_INET6, vpnecmp_attr_data(a6), buf, sizeof(buf));
	}
	if (s)
		vpnecmp_print_string(VPNECMP_ANY, key, fmt, s);
	else
		vpnecmp_print_null(key);
}

/*
 * The kernel reports both mark and if_id, 0 for the one that is not used:
 * JSON shows the values as they are, text only the one that is set.
 */
static void vpnecmp_print_key(const char *key, const char *fmt, const struct nlattr *a)
{
	if (!a)
		vpnecmp_print_null(key);
	else if (vpnecmp_attr_u32(a) || vpnecmp_print_is_json())
		vpnecmp_print_uint(VPNECMP_ANY, key, fmt, vpnecmp_attr_u32(a));
}

static void vpnecmp_print_stats(const struct nlattr *nest)
{
	struct nlattr *st[VPNECMP_STATS_A_MAX + 1] = { NULL };

	if (nest && vpnecmp_nl_parse(st, VPNECMP_NEST_STATS, nest) < 0) {
		fprintf(stderr, "Warning: malformed path statistics from the kernel\n");
		memset(st, 0, sizeof(st));
	}

	/* JSON always has every key, whatever -s says. */
	vpnecmp_open_object("stats");
	vpnecmp_print_attr_u32("sa_count", "sas %u", st[VPNECMP_STATS_A_SA_COUNT]);
	vpnecmp_print_nl();
	if (vpnecmp_opts.stats || vpnecmp_print_is_json()) {
		vpnecmp_print_indent(4);
		vpnecmp_print_attr_u64("transitions", "transitions %" PRIu64,
				       st[VPNECMP_STATS_A_TRANSITIONS]);
		vpnecmp_print_attr_u64("time_in_state_ms", "time-in-state %" PRIu64 "ms",
				       st[VPNECMP_STATS_A_TIME_IN_STATE_MS]);
		vpnecmp_print_attr_u64("last_change_ns", "last-change %" PRIu64 "ns",
				       st[VPNECMP_STATS_A_LAST_CHANGE_NS]);
		vpnecmp_print_attr_u64("bytes", "bytes %" PRIu64, st[VPNECMP_STATS_A_BYTES]);
		vpnecmp_print_attr_u64("packets", "packets %" PRIu64, st[VPNECMP_STATS_A_PACKETS]);
		vpnecmp_print_attr_u64("sa_adds", "sa-adds %" PRIu64, st[VPNECMP_STATS_A_SA_ADDS]);
		vpnecmp_print_attr_u64("sa_dels", "sa-dels %" PRIu64, st[VPNECMP_STATS_A_SA_DELS]);
		vpnecmp_print_nl();
	}
	vpnecmp_close_object();
}

/* "12s", "4m05s", "3h07m", "2d04h": how long a path has been in its state. */
static void vpnecmp_fmt_since(char *buf, size_t len, uint64_t ms)
{
	uint64_t s = ms / 1000;

	if (s < 60)
		snprintf(buf, len, "%" PRIu64 ".%" PRIu64 "s", s, ms % 1000 / 100);
	else if (s < 3600)
		snprintf(buf, len, "%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%" PRIu64 "h%02" PRIu64 "m", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, len, "%" PRIu64 "d%02" PRIu64 "h", s / 86400, s % 86400 / 3600);
}

/*
 * -br: one line per path, the 2 a.m. view (like "ip -br link"):
 * NAME GROUP STATE REASON SINCE "sas N" "member yes|no", in fixed columns.  JSON has the
 * same keys as the full view, restricted to these.
 */
static void vpnecmp_path_print_brief(struct nlattr **p)
{
	struct nlattr *st[VPNECMP_STATS_A_MAX + 1] = { NULL };
	uint64_t ms = 0;
	char since[32];

	if (p[VPNECMP_PATH_A_STATS] &&
	    vpnecmp_nl_parse(st, VPNECMP_NEST_STATS, p[VPNECMP_PATH_A_STATS]) < 0)
		memset(st, 0, sizeof(st));
	if (st[VPNECMP_STATS_A_TIME_IN_STATE_MS])
		ms = vpnecmp_attr_u64(st[VPNECMP_STATS_A_TIME_IN_STATE_MS]);
	vpnecmp_fmt_since(since, sizeof(since), ms);

	vpnecmp_open_object(NULL);
	vpnecmp_print_string(VPNECMP_ANY, "name", "%-15s",
			     p[VPNECMP_PATH_A_NAME] ? vpnecmp_attr_str(p[VPNECMP_PATH_A_NAME]) : "?");
	vpnecmp_print_string(VPNECMP_ANY, "group", "%-15s",
			     p[VPNECMP_PATH_A_GROUP] ? vpnecmp_attr_str(p[VPNECMP_PATH_A_GROUP]) : "?");
	vpnecmp_print_string(VPNECMP_ANY, "state", "%-5s", p[VPNECMP_PATH_A_STATE] ?
			     vpnecmp_path_state_name(vpnecmp_attr_u32(p[VPNECMP_PATH_A_STATE])) :
			     "?");
	vpnecmp_print_string(VPNECMP_ANY, "reason", "%-9s", p[VPNECMP_PATH_A_REASON] ?
			     vpnecmp_reason_name(vpnecmp_attr_u32(p[VPNECMP_PATH_A_REASON])) :
			     "?");
	vpnecmp_print_string(VPNECMP_TEXT, NULL, "%8s", since);
	vpnecmp_print_u64(VPNECMP_JSON, "time_in_state_ms", NULL, ms);
	vpnecmp_print_uint(VPNECMP_ANY, "sa_count", "sas %-3u",
			   st[VPNECMP_STATS_A_SA_COUNT] ?
			   vpnecmp_attr_u32(st[VPNECMP_STATS_A_SA_COUNT]) : 0);
	vpnecmp_print_bool(VPNECMP_ANY, "member", "member %s", p[VPNECMP_PATH_A_MEMBER] &&
			   vpnecmp_attr_u8(p[VPNECMP_PATH_A_MEMBER]));
	vpnecmp_print_nl();
	vpnecmp_close_object();
}

/* path show: the filters, and the waiting paths not printed yet. */
struct vpnecmp_path_show {
	const char *name;
	const char *group;
	struct vpnecmp_waiting *waiting;
	int nwaiting;
	struct vpnecmp_probe_fig *probes;	/* the daemon's prober */
	int nprobes;
};

/*
 * The daemon prober's figures of a path (waiting.h), under "probe": RTT
 * p50/p99 and jitter over its window, loss, the SLA verdict.  Text with
 * -s only; JSON always, null for a path the daemon does not probe.
 */
static void vpnecmp_print_probe(const struct vpnecmp_path_show *show, const char *name)
{
	const struct vpnecmp_probe_fig *f = NULL;
	char buf[160];

	for (int i = 0; show && i < show->nprobes && !f; i++)
		if (!strcmp(show->probes[i].name, name))
			f = &show->probes[i];
	if (!f) {
		vpnecmp_print_null("probe");
		return;
	}
	if (!vpnecmp_opts.stats && !vpnecmp_print_is_json())
		return;
	vpnecmp_open_object("probe");
	vpnecmp_print_indent(4);
	vpnecmp_print_string(VPNECMP_ANY, "signal", "probe %s", f->up ? "up" : "down");
	if (f->has_rtt) {
		snprintf(buf, sizeof(buf), "rtt p50 %.1fms p99 %.1fms jitter %.1fms",
			 f->p50_us / 1000.0, f->p99_us / 1000.0, f->jitter_us / 1000.0);
		vpnecmp_print_string(VPNECMP_TEXT, NULL, "%s", buf);
		vpnecmp_print_uint(VPNECMP_JSON, "rtt_p50_us", NULL, f->p50_us);
		vpnecmp_print_uint(VPNECMP_JSON, "rtt_p99_us", NULL, f->p99_us);
		vpnecmp_print_uint(VPNECMP_JSON, "jitter_us", NULL, f->jitter_us);
	} else {
		vpnecmp_print_string(VPNECMP_TEXT, NULL, "%s", "rtt -");
		vpnecmp_print_null("rtt_p50_us");
		vpnecmp_print_null("rtt_p99_us");
		vpnecmp_print_null("jitter_us");
	}
	snprintf(buf, sizeof(buf), "lost %u/%u", f->lost, f->samples);
	vpnecmp_print_string(VPNECMP_TEXT, NULL, "%s", buf);
	vpnecmp_print_uint(VPNECMP_JSON, "samples", NULL, f->samples);
	vpnecmp_print_uint(VPNECMP_JSON, "lost", NULL, f->lost);
	if (f->degraded)
		vpnecmp_print_string(VPNECMP_TEXT, NULL, "%s", "degraded (SLA)");
	vpnecmp_print_bool(VPNECMP_JSON, "degraded", NULL, f->degraded);
	vpnecmp_print_nl();
	vpnecmp_close_object();
}

static int vpnecmp_path_print(uint8_t cmd, struct nlattr **tb, void *arg)
{
	struct nlattr *p[VPNECMP_PATH_A_MAX + 1];
	struct vpnecmp_path_show *show = arg;
	char ifname[IF_NAMESIZE];
	const char *name;
	uint32_t ifindex;

	(void)cmd;
	if (!tb[VPNECMP_A_PATH])
		return 0;
	if (vpnecmp_nl_parse(p, VPNECMP_NEST_PATH, tb[VPNECMP_A_PATH]) < 0) {
		fprintf(stderr, "Error: malformed path from the kernel\n");
		return -EBADMSG;
	}
	/* Filter here too: correct output whether or not the kernel filtered. */
	if (show->group && (!p[VPNECMP_PATH_A_GROUP] ||
			    strcmp(vpnecmp_attr_str(p[VPNECMP_PATH_A_GROUP]), show->group)))
		return 0;
	name = p[VPNECMP_PATH_A_NAME] ? vpnecmp_attr_str(p[VPNECMP_PATH_A_NAME]) : "";
	if (show->name && strcmp(name, show->name))
		return 0;
	/* The module's path is the truth for forwarding: not listed twice. */
	for (int i = 0; i < show->nwaiting; i++)
		if (!show->waiting[i].group && !strcmp(show->waiting[i].name, name))
			show->waiting[i].name[0] = '\0';

	if (vpnecmp_opts.brief) {
		vpnecmp_path_print_brief(p);
		return 0;
	}
	vpnecmp_open_object(NULL);
	vpnecmp_print_attr_str("name", "path %s", p[VPNECMP_PATH_A_NAME]);
	vpnecmp_print_attr_str("group", "group %s", p[VPNECMP_PATH_A_GROUP]);
	if (p[VPNECMP_PATH_A_IFINDEX]) {
		ifindex = vpnecmp_attr_u32(p[VPNECMP_PATH_A_IFINDEX]);
		vpnecmp_print_uint(VPNECMP_JSON, "ifindex", NULL, ifindex);
		if (if_indextoname(ifindex, ifname)) {
			vpnecmp_print_string(VPNECMP_ANY, "dev", "dev %s", ifname);
		} else {
			vpnecmp_print_null("dev");
			vpnecmp_print_uint(VPNECMP_TEXT, NULL, "ifindex %u", ifindex);
		}
	} else {
		vpnecmp_print_null("ifindex");
		vpnecmp_print_null("dev");
	}
	vpnecmp_print_attr_u32("nhid", "nhid %u", p[VPNECMP_PATH_A_NHID]);
	vpnecmp_print_addr("local", "local %s", p[VPNECMP_PATH_A_LOCAL4], p[VPNECMP_PATH_A_LOCAL6]);
	vpnecmp_print_addr("remote", "remote %s", p[VPNECMP_PATH_A_REMOTE4],
			   p[VPNECMP_PATH_A_REMOTE6]);
	vpnecmp_print_key("mark", "mark 0x%x", p[VPNECMP_PATH_A_MARK]);
	vpnecmp_print_key("if_id", "if-id %u", p[VPNECMP_PATH_A_IF_ID]);
	vpnecmp_print_attr_u32("weight", "weight %u", p[VPNECMP_PATH_A_WEIGHT]);
	vpnecmp_print_attr_u32("tier", "tier %u", p[VPNECMP_PATH_A_TIER]);
	if (p[VPNECMP_PATH_A_SIGNALS])
		vpnecmp_print_signals("signals", "signals",
				      vpnecmp_attr_u32(p[VPNECMP_PATH_A_SIGNALS]));
	else
		vpnecmp_print_null("signals");
	vpnecmp_print_attr_u32("hold_up_ms", "hold-up %ums", p[VPNECMP_PATH_A_HOLD_UP_MS]);
	vpnecmp_print_nl();

	vpnecmp_print_indent(4);
	if (p[VPNECMP_PATH_A_STATE])
		vpnecmp_print_string(VPNECMP_ANY, "state", "state %s",
				     vpnecmp_path_state_name(vpnecmp_attr_u32(p[VPNECMP_PATH_A_STATE])));
	else
		vpnecmp_print_null("state");
	if (p[VPNECMP_PATH_A_REASON])
		vpnecmp_print_string(VPNECMP_ANY, "reason", "reason %s",
				     vpnecmp_reason_name(vpnecmp_attr_u32(p[VPNECMP_PATH_A_REASON])));
	else
		vpnecmp_print_null("reason");
	if (p[VPNECMP_PATH_A_MEMBER])
		vpnecmp_print_bool(VPNECMP_ANY, "member", "member %s",
				   vpnecmp_attr_u8(p[VPNECMP_PATH_A_MEMBER]));
	else
		vpnecmp_print_null("member");
	if (p[VPNECMP_PATH_A_SIGNALS_UP])
		vpnecmp_print_signals("signals_up", "signals-up",
				      vpnecmp_attr_u32(p[VPNECMP_PATH_A_SIGNALS_UP]));
	else
		vpnecmp_print_null("signals_up");
	vpnecmp_print_stats(p[VPNECMP_PATH_A_STATS]);
	vpnecmp_print_probe(show, name);
	vpnecmp_close_object();
	return 0;
}

/*
 * A path the daemon has not given the module yet (its device or nexthop
 * does not exist): state "waiting", the reason what it waits for.
 */
static void vpnecmp_path_print_waiting(const struct vpnecmp_waiting *w)
{
	vpnecmp_open_object(NULL);
	if (vpnecmp_opts.brief) {
		vpnecmp_print_string(VPNECMP_ANY, "name", "%-15s", w->name);
		vpnecmp_print_string(VPNECMP_ANY, "group", "%-15s", w->in_group);
		vpnecmp_print_string(VPNECMP_ANY, "state", "%-7s", "waiting");
		vpnecmp_print_string(VPNECMP_ANY, "reason", "%-7s",
				     vpnecmp_wait_for_name(w->wait_for));
		vpnecmp_print_bool(VPNECMP_ANY, "member", "member %s", false);
		vpnecmp_print_nl();
		vpnecmp_close_object();
		return;
	}
	vpnecmp_print_string(VPNECMP_ANY, "name", "path %s", w->name);
	vpnecmp_print_string(VPNECMP_ANY, "group", "group %s", w->in_group);
	vpnecmp_print_string(VPNECMP_ANY, "dev", "dev %s", w->dev);
	vpnecmp_print_uint(VPNECMP_ANY, "nhid", "nhid %u", w->nhid);
	vpnecmp_print_nl();
	vpnecmp_print_indent(4);
	vpnecmp_print_string(VPNECMP_ANY, "state", "state %s", "waiting");
	vpnecmp_print_string(VPNECMP_ANY, "reason", "reason %s",
			     vpnecmp_wait_for_name(w->wait_for));
	vpnecmp_print_bool(VPNECMP_ANY, "member", "member %s", false);
	if (w->wait_for == VPNECMP_WAIT_DEVICE)
		vpnecmp_print_string(VPNECMP_TEXT, NULL, "(vpnecmp daemon: no device %s yet)",
				     w->dev);
	else if (w->wait_for == VPNECMP_WAIT_NEXTHOP)
		vpnecmp_print_uint(VPNECMP_TEXT, NULL, "(vpnecmp daemon: no nexthop %u yet)",
				   w->nhid);
	else
		vpnecmp_print_string(VPNECMP_TEXT, NULL, "(vpnecmp daemon: group %s waits)",
				     w->in_group);
	vpnecmp_print_nl();
	vpnecmp_close_object();
}

static int vpnecmp_path_show(const struct vpnecmp_cmd *cmd, int argc, char **argv)
{
	struct vpnecmp_path_show show = { 0 };
	struct vpnecmp_req *req;
	struct vpnecmp_nl *nl;
	bool dump;
	int ret;

	if (argc > 0 && !strcmp(argv[0], "group")) {
		vpnecmp_next_arg(cmd, &argc, &argv);
		show.group = vpnecmp_get_name(argv[0], "group");
	} else if (argc > 0) {
		show.name = vpnecmp_path_name_arg(cmd, argc, argv);
	}
	vpnecmp_end_of_args(cmd, argc - 1, argv + 1);

	/* What the daemon waits for; a missing or unreadable list is none. */
	show.nwaiting = vpnecmp_waiting_read(&show.waiting);
	if (show.nwaiting < 0)
		show.nwaiting = 0;
	show.nprobes = vpnecmp_probes_read(&show.probes);
	if (show.nprobes < 0)
		show.nprobes = 0;
	/* A path that waits may not be in the module: then "path show NAME" dumps. */
	dump = !show.name;
	for (int i = 0; i < show.nwaiting && show.name; i++)
		if (!show.waiting[i].group && !strcmp(show.waiting[i].name, show.name))
			dump = true;

	nl = vpnecmp_nl_open();
	if (!nl) {
		free(show.waiting);
		free(show.probes);
		return VPNECMP_EXIT_ERROR;
	}
	req = vpnecmp_req_new(nl, VPNECMP_CMD_PATH_GET, dump);
	if ((show.name && !dump) || show.group) {
		vpnecmp_req_nest_start(req, VPNECMP_A_PATH);
		if (show.name)
			vpnecmp_req_put_string(req, VPNECMP_PATH_A_NAME, show.name);
		else
			vpnecmp_req_put_string(req, VPNECMP_PATH_A_GROUP, show.group);
		vpnecmp_req_nest_end(req);
	}
	vpnecmp_open_array(NULL);
	ret = vpnecmp_req_run(req, vpnecmp_path_print, &show);
	for (int i = 0; i < show.nwaiting && !ret; i++) {
		const struct vpnecmp_waiting *w = &show.waiting[i];

		if (w->group || !w->name[0] || (show.name && strcmp(w->name, show.name)) ||
		    (show.group && strcmp(w->in_group, show.group)))
			continue;
		vpnecmp_path_print_waiting(w);
	}
	vpnecmp_close_array();
	vpnecmp_print_end();
	vpnecmp_nl_close(nl);
	free(show.waiting);
	free(show.probes);
	return ret ? VPNECMP_EXIT_ERROR : VPNECMP_EXIT_OK;
}

static int vpnecmp_path_main(const struct vpnecmp_cmd *cmd, int argc, char **argv)
{
	if (argc < 1)
		return vpnecmp_path_show(cmd, 0, argv);
	if (!strcmp(argv[0], "add"))
		return vpnecmp_path_modify(cmd, true, argc - 1, argv + 1);
	if (!strcmp(argv[0], "set"))
		return vpnecmp_path_modify(cmd, false, argc - 1, argv + 1);
	/* The words iproute2 users type; no prefix abbreviations. */
	if (!strcmp(argv[0], "del") || !strcmp(argv[0], "delete"))
		return vpnecmp_path_del(cmd, argc - 1, argv + 1);
	if (!strcmp(argv[0], "show") || !strcmp(argv[0], "list") ||
	    !strcmp(argv[0], "ls"))
		return vpnecmp_path_show(cmd, argc - 1, argv + 1);
	if (!strcmp(argv[0], "help"))
		vpnecmp_cmd_help(cmd);
	vpnecmp_unknown(cmd, argv[0]);
}

const struct vpnecmp_cmd vpnecmp_cmd_path = {
	.name = "path",
	.fn = vpnecmp_path_main,
	.help = vpnecmp_path_help,
	.where = vpnecmp_path_where,
};
