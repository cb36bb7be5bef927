// SPDX-License-Identifier: GPL-2.0
/*
 * vpnecmp stats [ group GROUP ] [ prometheus ]
 *
 * One snapshot of the namespace: the module's counters (VERSION_GET), every
 * group (GROUP_GET dump) and every path (PATH_GET dump), printed as text,
 * JSON (-j) or the Prometheus text exposition format (version 0.0.4), for
 * node_exporter's textfile collector.  All three dumps are read before
 * anything is printed, so that each Prometheus metric family is printed
 * whole, with its HELP and TYPE lines once.
 */
#include <errno.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "nl.h"
#include "print.h"
#include "waiting.h"

static const char *const vpnecmp_stats_help[] = {
	"vpnecmp stats [ group GROUP ] [ prometheus ]",
	NULL
};

/* A value the kernel may leave out: printed as JSON null, omitted in text. */
struct vpnecmp_val {
	bool have;
	uint64_t v;
};

struct vpnecmp_stats_path {
	char name[VPNECMP_NAME_MAX];
	char group[VPNECMP_NAME_MAX];
	struct vpnecmp_val state, reason, member, signals, signals_up;
	struct vpnecmp_val st[VPNECMP_STATS_A_MAX + 1];
};

struct vpnecmp_stats_group {
	char name[VPNECMP_NAME_MAX];
	struct vpnecmp_val state, tier, paths, replaces, replace_fails, error;
	char *error_msg;
	unsigned int members;
	unsigned int paths_up;
};

struct vpnecmp_stats {
	const char *filter;		/* group GROUP, or NULL */
	struct vpnecmp_val info[VPNECMP_INFO_A_MAX + 1];
	char *version;
	struct vpnecmp_stats_group *groups;
	size_t ngroups;
	struct vpnecmp_stats_path *paths;
	size_t npaths;
};

static void vpnecmp_val_u32(struct vpnecmp_val *v, const struct nlattr *a)
{
	if (a) {
		v->have = true;
		v->v = vpnecmp_attr_u32(a);
	}
}

static void vpnecmp_val_u64(struct vpnecmp_val *v, const struct nlattr *a)
{
	if (a) {
		v->have = true;
		v->v = vpnecmp_attr_u64(a);
	}
}

static void *vpnecmp_grow(void *p, size_t n, size_t size)
{
	p = realloc(p, (n + 1) * size);
	if (!p) {
		fprintf(stderr, "Error: out of memory\n");
		exit(VPNECMP_EXIT_ERROR);
	}
	memset((char *)p + n * size, 0, size);
	return p;
}

static void vpnecmp_copy_name(char *dst, const struct nlattr *a)
{
	snprintf(dst, VPNECMP_NAME_MAX, "%s", a ? vpnecmp_attr_str(a) : "");
}

static int vpnecmp_stats_info(uint8_t cmd, struct nlattr **tb, void *arg)
{
	struct nlattr *info[VPNECMP_INFO_A_MAX + 1] = { NULL };
	struct vpnecmp_stats *s = arg;
	int i;

	(void)cmd;
	if (tb[VPNECMP_A_INFO] &&
	    vpnecmp_nl_parse(info, VPNECMP_NEST_INFO, tb[VPNECMP_A_INFO]) < 0) {
		fprintf(stderr, "Error: malformed reply from the kernel\n");
		return -EBADMSG;
	}
	for (i = 1; i <= VPNECMP_INFO_A_MAX; i++) {
		if (i == VPNECMP_INFO_A_GROUPS || i == VPNECMP_INFO_A_PATHS)
			vpnecmp_val_u32(&s->info[i], info[i]);
		else if (i != VPNECMP_INFO_A_PAD)
			vpnecmp_val_u64(&s->info[i], info[i]);
	}
	if (tb[VPNECMP_A_VERSION])
		s->version = strdup(vpnecmp_attr_str(tb[VPNECMP_A_VERSION]));
	return 0;
}

static void vpnecmp_count_member(const struct vpnecmp_member *m, void *arg)
{
	(void)m;
	(void)arg;
}

static int vpnecmp_stats_group(uint8_t cmd, struct nlattr **tb, void *arg)
{
	struct nlattr *g[VPNECMP_GROUP_A_MAX + 1];
	struct vpnecmp_stats *s = arg;
	struct vpnecmp_stats_group *sg;
	int n;

	(void)cmd;
	if (!tb[VPNECMP_A_GROUP])
		return 0;
	if (vpnecmp_nl_parse(g, VPNECMP_NEST_GROUP, tb[VPNECMP_A_GROUP]) < 0 ||
	    !g[VPNECMP_GROUP_A_NAME]) {
		fprintf(stderr, "Error: malformed group from the kernel\n");
		return -EBADMSG;
	}
	if (s->filter && strcmp(vpnecmp_attr_str(g[VPNECMP_GROUP_A_NAME]), s->filter))
		return 0;

	s->groups = vpnecmp_grow(s->groups, s->ngroups, sizeof(*s->groups));
	sg = &s->groups[s->ngroups++];
	vpnecmp_copy_name(sg->name, g[VPNECMP_GROUP_A_NAME]);
	vpnecmp_val_u32(&sg->state, g[VPNECMP_GROUP_A_STATE]);
	vpnecmp_val_u32(&sg->tier, g[VPNECMP_GROUP_A_ACTIVE_TIER]);
	vpnecmp_val_u32(&sg->paths, g[VPNECMP_GROUP_A_PATHS]);
	vpnecmp_val_u64(&sg->replaces, g[VPNECMP_GROUP_A_REPLACES]);
	vpnecmp_val_u64(&sg->replace_fails, g[VPNECMP_GROUP_A_REPLACE_FAILS]);
	if (g[VPNECMP_GROUP_A_ERROR]) {
		sg->error.have = true;
		sg->error.v = (uint64_t)(int64_t)vpnecmp_attr_s32(g[VPNECMP_GROUP_A_ERROR]);
	}
	if (g[VPNECMP_GROUP_A_ERROR_MSG])
		sg->error_msg = strdup(vpnecmp_attr_str(g[VPNECMP_GROUP_A_ERROR_MSG]));
	if (g[VPNECMP_GROUP_A_MEMBERS]) {
		n = vpnecmp_nl_members(g[VPNECMP_GROUP_A_MEMBERS], vpnecmp_count_member, NULL);
		if (n < 0) {
			fprintf(stderr, "Error: malformed group members from the kernel\n");
			return -EBADMSG;
		}
		sg->members = n;
	}
	return 0;
}

static int vpnecmp_stats_path(uint8_t cmd, struct nlattr **tb, void *arg)
{
	struct nlattr *st[VPNECMP_STATS_A_MAX + 1] = { NULL };
	struct nlattr *p[VPNECMP_PATH_A_MAX + 1];
	struct vpnecmp_stats *s = arg;
	struct vpnecmp_stats_path *sp;
	int i;

	(void)cmd;
	if (!tb[VPNECMP_A_PATH])
		return 0;
	if (vpnecmp_nl_parse(p, VPNECMP_NEST_PATH, tb[VPNECMP_A_PATH]) < 0 ||
	    !p[VPNECMP_PATH_A_NAME] || !p[VPNECMP_PATH_A_GROUP] ||
	    (p[VPNECMP_PATH_A_STATS] &&
	     vpnecmp_nl_parse(st, VPNECMP_NEST_STATS, p[VPNECMP_PATH_A_STATS]) < 0)) {
		fprintf(stderr, "Error: malformed path from the kernel\n");
		return -EBADMSG;
	}
	if (s->filter && strcmp(vpnecmp_attr_str(p[VPNECMP_PATH_A_GROUP]), s->filter))
		return 0;

	s->paths = vpnecmp_grow(s->paths, s->npaths, sizeof(*s->paths));
	sp = &s->paths[s->npaths++];
	vpnecmp_copy_name(sp->name, p[VPNECMP_PATH_A_NAME]);
	vpnecmp_copy_name(sp->group, p[VPNECMP_PATH_A_GROUP]);
	vpnecmp_val_u32(&sp->state, p[VPNECMP_PATH_A_STATE]);
	vpnecmp_val_u32(&sp->reason, p[VPNECMP_PATH_A_REASON]);
	vpnecmp_val_u32(&sp->signals, p[VPNECMP_PATH_A_SIGNALS]);
	vpnecmp_val_u32(&sp->signals_up, p[VPNECMP_PATH_A_SIGNALS_UP]);
	if (p[VPNECMP_PATH_A_MEMBER]) {
		sp->member.have = true;
		sp->member.v = vpnecmp_attr_u8(p[VPNECMP_PATH_A_MEMBER]);
	}
	for (i = 1; i <= VPNECMP_STATS_A_MAX; i++) {
		if (i == VPNECMP_STATS_A_SA_COUNT)
			vpnecmp_val_u32(&sp->st[i], st[i]);
		else if (i != VPNECMP_STATS_A_PAD)
			vpnecmp_val_u64(&sp->st[i], st[i]);
	}
	return 0;
}

/* Read the whole snapshot: version and counters, groups, then paths. */
static int vpnecmp_stats_read(struct vpnecmp_nl *nl, struct vpnecmp_stats *s)
{
	struct vpnecmp_req *req;
	size_t i, j;
	int ret;

	req = vpnecmp_req_new(nl, VPNECMP_CMD_VERSION_GET, false);
	ret = vpnecmp_req_run(req, vpnecmp_stats_info, s);
	if (ret)
		return ret;

	req = vpnecmp_req_new(nl, VPNECMP_CMD_GROUP_GET, true);
	ret = vpnecmp_req_run(req, vpnecmp_stats_group, s);
	if (ret)
		return ret;

	req = vpnecmp_req_new(nl, VPNECMP_CMD_PATH_GET, true);
	ret = vpnecmp_req_run(req, vpnecmp_stats_path, s);
	if (ret)
		return ret;

	for (i = 0; i < s->ngroups; i++)
		for (j = 0; j < s->npaths; j++)
			if (!strcmp(s->paths[j].group, s->groups[i].name) &&
			    s->paths[j].state.have && s->paths[j].state.v == VPNECMP_PATH_UP)
				s->groups[i].paths_up++;
	return 0;
}

static void vpnecmp_stats_free(struct vpnecmp_stats *s)
{
	size_t i;

	for (i = 0; i < s->ngroups; i++)
		free(s->groups[i].error_msg);
	free(s->groups);
	free(s->paths);
	free(s->version);
}

/* ------------------------------------------------------------ text, JSON */

static void vpnecmp_out_u64(const char *key, const char *fmt, const struct vpnecmp_val *v)
{
	if (v->have)
		vpnecmp_print_u64(VPNECMP_ANY, key, fmt, v->v);
	else
		vpnecmp_print_null(key);
}

static void vpnecmp_out_name(const char *key, const char *fmt, const struct vpnecmp_val *v,
			     const char *(*name)(unsigned int))
{
	if (v->have)
		vpnecmp_print_string(VPNECMP_ANY, key, fmt, name(v->v));
	else
		vpnecmp_print_null(key);
}

static void vpnecmp_out_path(const struct vpnecmp_stats_path *sp)
{
	const struct vpnecmp_val *st = sp->st;

	vpnecmp_open_object(NULL);
	vpnecmp_print_string(VPNECMP_ANY, "name", "path %s", sp->name);
	vpnecmp_print_string(VPNECMP_ANY, "group", "group %s", sp->group);
	vpnecmp_out_name("state", "state %s", &sp->state, vpnecmp_path_state_name);
	vpnecmp_out_name("reason", "reason %s", &sp->reason, vpnecmp_reason_name);
	if (sp->member.have)
		vpnecmp_print_bool(VPNECMP_ANY, "member", "member %s", sp->member.v);
	else
		vpnecmp_print_null("member");
	if (sp->signals.have)
		vpnecmp_print_signals("signals", "signals", sp->signals.v);
	else
		vpnecmp_print_null("signals");
	if (sp->signals_up.have)
		vpnecmp_print_signals("signals_up", "signals-up", sp->signals_up.v);
	else
		vpnecmp_print_null("signals_up");
	vpnecmp_print_nl();
	vpnecmp_print_indent(4);
	vpnecmp_out_u64("sa_count", "sas %" PRIu64, &st[VPNECMP_STATS_A_SA_COUNT]);
	vpnecmp_out_u64("transitions", "transitions %" PRIu64, &st[VPNECMP_STATS_A_TRANSITIONS]);
	vpnecmp_out_u64("time_in_state_ms", "time-in-state %" PRIu64 "ms",
			&st[VPNECMP_STATS_A_TIME_IN_STATE_MS]);
	vpnecmp_out_u64("bytes", "bytes %" PRIu64, &st[VPNECMP_STATS_A_BYTES]);
	vpnecmp_out_u64("packets", "packets %" PRIu64, &st[VPNECMP_STATS_A_PACKETS]);
	vpnecmp_out_u64("sa_adds", "sa-adds %" PRIu64, &st[VPNECMP_STATS_A_SA_ADDS]);
	vpnecmp_out_u64("sa_dels", "sa-dels %" PRIu64, &st[VPNECMP_STATS_A_SA_DELS]);
	vpnecmp_print_nl();
	vpnecmp_close_object();
}

static void vpnecmp_out_group(const struct vpnecmp_stats_group *sg)
{
	bool all_down = sg->state.have && sg->state.v == VPNECMP_GROUP_ALL_DOWN;

	vpnecmp_open_object(NULL);
	vpnecmp_print_string(VPNECMP_ANY, "name", "group %s", sg->name);
	vpnecmp_out_name("state", "state %s", &sg->state, vpnecmp_group_state_name);
	vpnecmp_print_bool(VPNECMP_JSON, "all_down", NULL, all_down);
	vpnecmp_out_u64("active_tier", "tier %" PRIu64, &sg->tier);
	vpnecmp_out_u64("paths", "paths %" PRIu64, &sg->paths);
	vpnecmp_print_uint(VPNECMP_ANY, "paths_up", "up %u", sg->paths_up);
	vpnecmp_print_uint(VPNECMP_ANY, "members", "members %u", sg->members);
	vpnecmp_print_nl();
	vpnecmp_print_indent(4);
	vpnecmp_out_u64("replaces", "replaces %" PRIu64, &sg->replaces);
	vpnecmp_out_u64("replace_fails", "replace-fails %" PRIu64, &sg->replace_fails);
	if (sg->error.have)
		vpnecmp_print_int(VPNECMP_ANY, "error", "error %d", (int)(int64_t)sg->error.v);
	else
		vpnecmp_print_null("error");
	vpnecmp_print_string(VPNECMP_JSON, "error_msg", NULL, sg->error_msg);
	if (sg->error_msg && sg->error.have && sg->error.v)
		vpnecmp_print_quoted(sg->error_msg);
	vpnecmp_print_nl();
	vpnecmp_close_object();
}

/*
 * Text and JSON: {"version", "info": {module counters}, "groups": [...],
 * "paths": [...]}; every key is always there (null when the kernel did not
 * send the value).
 */
static void vpnecmp_stats_print(const struct vpnecmp_stats *s)
{
	const struct vpnecmp_val *in = s->info;
	size_t i;

	vpnecmp_open_object(NULL);
	vpnecmp_print_string(VPNECMP_ANY, "version", "vpnecmp %s", s->version);
	vpnecmp_open_object("info");
	vpnecmp_out_u64("xfrm_events", "xfrm-events %" PRIu64, &in[VPNECMP_INFO_A_XFRM_EVENTS]);
	vpnecmp_out_u64("sa_add", "sa-add %" PRIu64, &in[VPNECMP_INFO_A_SA_ADD]);
	vpnecmp_out_u64("sa_del", "sa-del %" PRIu64, &in[VPNECMP_INFO_A_SA_DEL]);
	vpnecmp_out_u64("sa_expire", "sa-expire %" PRIu64, &in[VPNECMP_INFO_A_SA_EXPIRE]);
	vpnecmp_out_u64("sa_flush", "sa-flush %" PRIu64, &in[VPNECMP_INFO_A_SA_FLUSH]);
	vpnecmp_out_u64("sa_matched", "sa-matched %" PRIu64, &in[VPNECMP_INFO_A_SA_MATCHED]);
	vpnecmp_out_u64("groups", "groups %" PRIu64, &in[VPNECMP_INFO_A_GROUPS]);
	vpnecmp_out_u64("paths", "paths %" PRIu64, &in[VPNECMP_INFO_A_PATHS]);
	vpnecmp_close_object();
	vpnecmp_print_nl();

	vpnecmp_open_array("groups");
	for (i = 0; i < s->ngroups; i++)
		vpnecmp_out_group(&s->groups[i]);
	vpnecmp_close_array();
	vpnecmp_open_array("paths");
	for (i = 0; i < s->npaths; i++)
		vpnecmp_out_path(&s->paths[i]);
	vpnecmp_close_array();
	vpnecmp_close_object();
	vpnecmp_print_end();
}

/* ------------------------------------------------------------ Prometheus */

/* Label values: backslash, double quote and newline are escaped. */
static void vpnecmp_prom_label(const char *name, const char *v)
{
	printf("%s=\"", name);
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			printf("\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", stdout);
		else
			putchar(*v);
	}
	putchar('"');
}

static void vpnecmp_prom_family(const char *name, const char *type, const char *help)
{
	printf("# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/*
 * One sample: name{netns="..",group="..",path="..",KEY="VAL"} value.  Every
 * label but netns is optional (NULL); netns is there with "-n NETNS" only,
 * so that files of several namespaces can sit side by side in the textfile
 * directory.
 */
static void vpnecmp_prom_sample(const char *name, const char *group, const char *path,
				const char *key, const char *val, uint64_t v, bool negative)
{
	bool first = true;

	fputs(name, stdout);
#define VPNECMP_PROM_LABEL(k, s) do {				\
		if (s) {					\
			putchar(first ? '{' : ',');		\
			vpnecmp_prom_label(k, s);		\
			first = false;				\
		}						\
	} while (0)
	VPNECMP_PROM_LABEL("netns", vpnecmp_opts.netns);
	VPNECMP_PROM_LABEL("group", group);
	VPNECMP_PROM_LABEL("path", path);
	if (key)
		VPNECMP_PROM_LABEL(key, val);
#undef VPNECMP_PROM_LABEL
	if (!first)
		putchar('}');
	if (negative)
		printf(" %" PRId64 "\n", (int64_t)v);
	else
		printf(" %" PRIu64 "\n", v);
}

/* A per-path family: one sample per path that has the value. */
static void vpnecmp_prom_paths(const struct vpnecmp_stats *s, const char *name, const char *type,
			       const char *help, int attr)
{
	size_t i;

	vpnecmp_prom_family(name, type, help);
	for (i = 0; i < s->npaths; i++)
		if (s->paths[i].st[attr].have)
			vpnecmp_prom_sample(name, s->paths[i].group, s->paths[i].name, NULL, NULL,
					    s->paths[i].st[attr].v, false);
}

/* A per-group family: one sample per group that has the value at off. */
static void vpnecmp_prom_groups(const struct vpnecmp_stats *s, const char *name, const char *type,
				const char *help, size_t off)
{
	const struct vpnecmp_val *v;
	size_t i;

	vpnecmp_prom_family(name, type, help);
	for (i = 0; i < s->ngroups; i++) {
		v = (const void *)((const char *)&s->groups[i] + off);
		if (v->have)
			vpnecmp_prom_sample(name, s->groups[i].name, NULL, NULL, NULL, v->v, false);
	}
}

/*
 * What the daemon waits to give the module (waiting.h): its device or
 * nexthop does not exist yet.  Families always present, so that an alert
 * on them does not depend on a daemon having run.
 */
static void vpnecmp_prom_waiting(void)
{
	struct vpnecmp_waiting *w;
	int n;

	n = vpnecmp_waiting_read(&w);
	vpnecmp_prom_family("vpnecmp_group_waiting", "gauge",
			    "Groups of the daemon's file not in the module yet (label: what for).");
	for (int i = 0; i < n; i++)
		if (w[i].group)
			vpnecmp_prom_sample("vpnecmp_group_waiting", w[i].name, NULL, "for",
					    vpnecmp_wait_for_name(w[i].wait_for), 1, false);
	vpnecmp_prom_family("vpnecmp_path_waiting", "gauge",
			    "Paths of the daemon's file not in the module yet (label: what for).");
	for (int i = 0; i < n; i++)
		if (!w[i].group)
			vpnecmp_prom_sample("vpnecmp_path_waiting", w[i].in_group, w[i].name, "for",
					    vpnecmp_wait_for_name(w[i].wait_for), 1, false);
	if (n > 0)
		free(w);
}

static void vpnecmp_stats_prometheus(const struct vpnecmp_stats *s)
{
	static const struct {
		int attr;
		const char *event;
	} sa_events[] = {
		{ VPNECMP_INFO_A_SA_ADD, "add" },
		{ VPNECMP_INFO_A_SA_DEL, "delete" },
		{ VPNECMP_INFO_A_SA_EXPIRE, "expire" },
		{ VPNECMP_INFO_A_SA_FLUSH, "flush" },
	};
	const struct vpnecmp_stats_path *sp;
	const struct vpnecmp_stats_group *sg;
	unsigned int v, sig;
	size_t i;

	vpnecmp_prom_family("vpnecmp_info", "gauge", "The vpnecmp module, by version; always 1.");
	vpnecmp_prom_sample("vpnecmp_info", NULL, NULL, "version",
			    s->version ? s->version : "unknown", 1, false);

	vpnecmp_prom_family("vpnecmp_xfrm_events_total", "counter",
			    "XFRM SA events seen by the module.");
	if (s->info[VPNECMP_INFO_A_XFRM_EVENTS].have)
		vpnecmp_prom_sample("vpnecmp_xfrm_events_total", NULL, NULL, NULL, NULL,
				    s->info[VPNECMP_INFO_A_XFRM_EVENTS].v, false);
	vpnecmp_prom_family("vpnecmp_xfrm_sa_events_total", "counter",
			    "XFRM SA events seen by the module, by event.");
	for (i = 0; i < sizeof(sa_events) / sizeof(sa_events[0]); i++)
		if (s->info[sa_events[i].attr].have)
			vpnecmp_prom_sample("vpnecmp_xfrm_sa_events_total", NULL, NULL, "event",
					    sa_events[i].event, s->info[sa_events[i].attr].v,
					    false);
	vpnecmp_prom_family("vpnecmp_xfrm_sa_matched_total", "counter",
			    "XFRM SA events that matched a path.");
	if (s->info[VPNECMP_INFO_A_SA_MATCHED].have)
		vpnecmp_prom_sample("vpnecmp_xfrm_sa_matched_total", NULL, NULL, NULL, NULL,
				    s->info[VPNECMP_INFO_A_SA_MATCHED].v, false);

	vpnecmp_prom_family("vpnecmp_group_state", "gauge",
			    "Group state: 1 for the current state, 0 for the others.");
	for (i = 0; i < s->ngroups; i++) {
		sg = &s->groups[i];
		for (v = VPNECMP_GROUP_ACTIVE; sg->state.have && v <= VPNECMP_GROUP_ERROR; v++)
			vpnecmp_prom_sample("vpnecmp_group_state", sg->name, NULL, "state",
					    vpnecmp_group_state_name(v), sg->state.v == v, false);
	}
	vpnecmp_prom_family("vpnecmp_group_all_down", "gauge",
			    "1 when no path of the group is up (its all-down policy applies).");
	for (i = 0; i < s->ngroups; i++)
		if (s->groups[i].state.have)
			vpnecmp_prom_sample("vpnecmp_group_all_down", s->groups[i].name, NULL,
					    NULL, NULL,
					    s->groups[i].state.v == VPNECMP_GROUP_ALL_DOWN, false);
	vpnecmp_prom_groups(s, "vpnecmp_group_active_tier", "gauge",
			    "The tier whose up paths are the members (0 is the best).",
			    offsetof(struct vpnecmp_stats_group, tier));
	vpnecmp_prom_groups(s, "vpnecmp_group_paths", "gauge",
			    "Paths configured in the group.",
			    offsetof(struct vpnecmp_stats_group, paths));
	vpnecmp_prom_family("vpnecmp_group_paths_up", "gauge", "Paths of the group in state up.");
	for (i = 0; i < s->ngroups; i++)
		vpnecmp_prom_sample("vpnecmp_group_paths_up", s->groups[i].name, NULL, NULL, NULL,
				    s->groups[i].paths_up, false);
	vpnecmp_prom_family("vpnecmp_group_members", "gauge",
			    "Nexthops in the kernel group now (paths, or the fallback).");
	for (i = 0; i < s->ngroups; i++)
		vpnecmp_prom_sample("vpnecmp_group_members", s->groups[i].name, NULL, NULL, NULL,
				    s->groups[i].members, false);
	vpnecmp_prom_groups(s, "vpnecmp_group_replaces_total", "counter",
			    "Nexthop group replaces sent to the kernel.",
			    offsetof(struct vpnecmp_stats_group, replaces));
	vpnecmp_prom_groups(s, "vpnecmp_group_replace_failures_total", "counter",
			    "Nexthop group replaces the kernel refused.",
			    offsetof(struct vpnecmp_stats_group, replace_fails));
	vpnecmp_prom_family("vpnecmp_group_last_replace_error", "gauge",
			    "-errno of the last nexthop group replace, 0 when it succeeded.");
	for (i = 0; i < s->ngroups; i++)
		if (s->groups[i].error.have)
			vpnecmp_prom_sample("vpnecmp_group_last_replace_error", s->groups[i].name,
					    NULL, NULL, NULL, s->groups[i].error.v, true);
	vpnecmp_prom_family("vpnecmp_group_last_replace_error_info", "gauge",
			    "The kernel's message for a failed replace, as a label; 1 while the group is in error.");
	for (i = 0; i < s->ngroups; i++)
		if (s->groups[i].error.have && s->groups[i].error.v)
			vpnecmp_prom_sample("vpnecmp_group_last_replace_error_info",
					    s->groups[i].name, NULL, "message",
					    s->groups[i].error_msg ? s->groups[i].error_msg : "",
					    1, false);

	vpnecmp_prom_family("vpnecmp_path_up", "gauge",
			    "1 when the path is up (eligible for forwarding), else 0.");
	for (i = 0; i < s->npaths; i++)
		if (s->paths[i].state.have)
			vpnecmp_prom_sample("vpnecmp_path_up", s->paths[i].group, s->paths[i].name,
					    NULL, NULL, s->paths[i].state.v == VPNECMP_PATH_UP,
					    false);
	vpnecmp_prom_family("vpnecmp_path_state", "gauge",
			    "Path state: 1 for the current state, 0 for the others.");
	for (i = 0; i < s->npaths; i++) {
		sp = &s->paths[i];
		for (v = VPNECMP_PATH_DOWN; sp->state.have && v <= VPNECMP_PATH_UP; v++)
			vpnecmp_prom_sample("vpnecmp_path_state", sp->group, sp->name, "state",
					    vpnecmp_path_state_name(v), sp->state.v == v, false);
	}
	vpnecmp_prom_family("vpnecmp_path_reason", "gauge",
			    "Why the path last changed state, as a label; always 1.");
	for (i = 0; i < s->npaths; i++)
		if (s->paths[i].reason.have)
			vpnecmp_prom_sample("vpnecmp_path_reason", s->paths[i].group,
					    s->paths[i].name, "reason",
					    vpnecmp_reason_name(s->paths[i].reason.v), 1, false);
	vpnecmp_prom_family("vpnecmp_path_member", "gauge",
			    "1 when the path's nexthop is in the kernel group now.");
	for (i = 0; i < s->npaths; i++)
		if (s->paths[i].member.have)
			vpnecmp_prom_sample("vpnecmp_path_member", s->paths[i].group,
					    s->paths[i].name, NULL, NULL, s->paths[i].member.v,
					    false);
	vpnecmp_prom_family("vpnecmp_path_signal_up", "gauge",
			    "Enabled health signals of the path: 1 up, 0 down.");
	for (i = 0; i < s->npaths; i++) {
		sp = &s->paths[i];
		if (!sp->signals.have || !sp->signals_up.have)
			continue;
		for (sig = 0; sig <= VPNECMP_SIGNAL_MAX; sig++)
			if (sp->signals.v & (1U << sig))
				vpnecmp_prom_sample("vpnecmp_path_signal_up", sp->group, sp->name,
						    "signal", vpnecmp_signal_name(sig),
						    !!(sp->signals_up.v & (1U << sig)), false);
	}
	vpnecmp_prom_paths(s, "vpnecmp_path_transitions_total", "counter",
			   "State changes of the path.", VPNECMP_STATS_A_TRANSITIONS);
	vpnecmp_prom_paths(s, "vpnecmp_path_sa_count", "gauge",
			   "Valid outbound ESP SAs of the path.", VPNECMP_STATS_A_SA_COUNT);
	vpnecmp_prom_paths(s, "vpnecmp_path_sa_bytes", "gauge",
			   "Bytes sent over the path's current SAs (drops at rekey).",
			   VPNECMP_STATS_A_BYTES);
	vpnecmp_prom_paths(s, "vpnecmp_path_sa_packets", "gauge",
			   "Packets sent over the path's current SAs (drops at rekey).",
			   VPNECMP_STATS_A_PACKETS);
	vpnecmp_prom_paths(s, "vpnecmp_path_sa_adds_total", "counter",
			   "Outbound SAs matched to the path.", VPNECMP_STATS_A_SA_ADDS);
	vpnecmp_prom_paths(s, "vpnecmp_path_sa_dels_total", "counter",
			   "Outbound SAs of the path deleted or expired.", VPNECMP_STATS_A_SA_DELS);
	vpnecmp_prom_paths(s, "vpnecmp_path_time_in_state_milliseconds", "gauge",
			   "Time since the path's last state change.",
			   VPNECMP_STATS_A_TIME_IN_STATE_MS);
	vpnecmp_prom_waiting();
	fflush(stdout);
}

static int vpnecmp_stats_main(const struct vpnecmp_cmd *cmd, int argc, char **argv)
{
	struct vpnecmp_stats s = { 0 };
	bool prometheus = false;
	struct vpnecmp_nl *nl;
	int ret;

	for (; argc > 0; argc--, argv++) {
		if (!strcmp(argv[0], "group")) {
			if (s.filter)
				vpnecmp_duparg("group", argv[1 < argc ? 1 : 0]);
			vpnecmp_next_arg(cmd, &argc, &argv);
			s.filter = vpnecmp_get_name(argv[0], "group");
		} else if (!strcmp(argv[0], "prometheus") ||
			   !strcmp(argv[0], "--prometheus")) {
			/* "--prometheus": the spelling of 0.1, kept for scripts */
			prometheus = true;
		} else if (!strcmp(argv[0], "help")) {
			vpnecmp_cmd_help(cmd);
		} else {
			vpnecmp_unknown(cmd, argv[0]);
		}
	}
	if (prometheus && vpnecmp_opts.json)
		vpnecmp_usage_error(cmd, "-j and prometheus exclude each other");

	nl = vpnecmp_nl_open();
	if (!nl)
		return VPNECMP_EXIT_ERROR;
	ret = vpnecmp_stats_read(nl, &s);
	vpnecmp_nl_close(nl);
	if (!ret && s.filter && !s.ngroups) {
		fprintf(stderr, "Error: group \"%s\" does not exist.\n", s.filter);
		ret = -ENOENT;
	}
	if (!ret) {
		if (prometheus)
			vpnecmp_stats_prometheus(&s);
		else
			vpnecmp_stats_print(&s);
	}
	vpnecmp_stats_free(&s);
	return ret ? VPNECMP_EXIT_ERROR : VPNECMP_EXIT_OK;
}

const struct vpnecmp_cmd vpnecmp_cmd_stats = {
	.name = "stats",
	.fn = vpnecmp_stats_main,
	.help = vpnecmp_stats_help,
};
