// SPDX-License-Identifier: GPL-2.0
/*
 * Unit checks that need no kernel module: the JSON writer, and the reply,
 * notification and extended ACK decoding fed with messages built the way
 * the kernel builds them, and the daemon's file parser against the command
 * line's rules.  A unity build, so that static handlers are reachable.  Run
 * by "make check".
 */
#define _GNU_SOURCE
#include <sys/stat.h>

#include "../nl.c"
#include "../print.c"
#include "../util.c"
#include "../cmd_group.c"
#include "../cmd_path.c"
#include "../cmd_monitor.c"
#include "../cmd_version.c"
#include "../cmd_stats.c"
#include "../daemon_conf.c"

struct vpnecmp_opts vpnecmp_opts;

#define FAMILY	0x42

static int failures;
static char *out_buf;
static size_t out_len;
static FILE *out;

static void capture(bool json, bool pretty)
{
	out = open_memstream(&out_buf, &out_len);
	vpnecmp_print_init(out, json, pretty);
}

static void expect(const char *what, const char *want)
{
	fclose(out);
	if (strcmp(out_buf, want)) {
		printf("not ok - %s\n--- want\n%s--- got\n%s---\n", what, want, out_buf);
		failures++;
	} else {
		printf("ok - %s\n", what);
	}
	free(out_buf);
	out_buf = NULL;
}

static void check_escape(const char *in, const char *want)
{
	capture(true, false);
	vpnecmp_json_escape(out, in);
	putc('\n', out);
	expect("escape", want);
}

static struct nl_msg *reply_new(uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	genlmsg_put(msg, 1, 1, FAMILY, 0, flags, cmd, 1);
	return msg;
}

/* Nests the way the kernel's nla_nest_start() makes them. */
static struct nlattr *nest(struct nl_msg *msg, int type)
{
	return nla_nest_start(msg, type | NLA_F_NESTED);
}

static void put_members(struct nl_msg *msg, int type, bool flat)
{
	struct nlattr *n = nest(msg, type), *e;

	if (flat) {
		nla_put_u32(msg, VPNECMP_MEMBER_A_NHID, 1);
		nla_put_u32(msg, VPNECMP_MEMBER_A_WEIGHT, 1);
		nla_put_string(msg, VPNECMP_MEMBER_A_PATH, "t1");
		nla_put_u32(msg, VPNECMP_MEMBER_A_NHID, 200);
		nla_put_u32(msg, VPNECMP_MEMBER_A_WEIGHT, 3);
	} else {
		e = nest(msg, 1);
		nla_put_u32(msg, VPNECMP_MEMBER_A_NHID, 1);
		nla_put_u32(msg, VPNECMP_MEMBER_A_WEIGHT, 1);
		nla_put_string(msg, VPNECMP_MEMBER_A_PATH, "t1");
		nla_nest_end(msg, e);
		e = nest(msg, 2);
		nla_put_u32(msg, VPNECMP_MEMBER_A_NHID, 200);
		nla_put_u32(msg, VPNECMP_MEMBER_A_WEIGHT, 3);
		nla_nest_end(msg, e);
	}
	nla_nest_end(msg, n);
}

static struct nl_msg *group_reply(bool flat, int32_t error)
{
	struct nl_msg *msg = reply_new(VPNECMP_CMD_GROUP_GET, NLM_F_MULTI);
	struct nlattr *g = nest(msg, VPNECMP_A_GROUP);

	nla_put_string(msg, VPNECMP_GROUP_A_NAME, "g1");
	nla_put_u32(msg, VPNECMP_GROUP_A_NHID, 100);
	nla_put_u32(msg, VPNECMP_GROUP_A_TYPE, VPNECMP_GROUP_RESILIENT);
	nla_put_u32(msg, VPNECMP_GROUP_A_ALL_DOWN, VPNECMP_ALL_DOWN_FALLBACK);
	nla_put_u32(msg, VPNECMP_GROUP_A_FALLBACK_NHID, 200);
	nla_put_u8(msg, VPNECMP_GROUP_A_PREEMPT, 1);
	nla_put_u32(msg, VPNECMP_GROUP_A_HOLD_UP_MS, 1000);
	nla_put_u32(msg, VPNECMP_GROUP_A_STATE, VPNECMP_GROUP_ACTIVE);
	nla_put_u32(msg, VPNECMP_GROUP_A_ACTIVE_TIER, 0);
	put_members(msg, VPNECMP_GROUP_A_MEMBERS, flat);
	nla_put_u32(msg, VPNECMP_GROUP_A_ERROR, (uint32_t)error);
	if (error)
		nla_put_string(msg, VPNECMP_GROUP_A_ERROR_MSG, "Nexthop id does not exist");
	nla_put_u64(msg, VPNECMP_GROUP_A_REPLACES, 7);
	nla_put_u64(msg, VPNECMP_GROUP_A_REPLACE_FAILS, 1);
	nla_put_u32(msg, VPNECMP_GROUP_A_PATHS, 2);
	nla_nest_end(msg, g);
	return msg;
}

static struct nl_msg *path_reply(bool v6, uint32_t ifindex, const char *group)
{
	struct nl_msg *msg = reply_new(VPNECMP_CMD_PATH_GET, 0);
	struct nlattr *p = nest(msg, VPNECMP_A_PATH), *s;
	struct in6_addr a6;
	struct in_addr a4;

	nla_put_string(msg, VPNECMP_PATH_A_NAME, "t1");
	nla_put_string(msg, VPNECMP_PATH_A_GROUP, group);
	nla_put_u32(msg, VPNECMP_PATH_A_IFINDEX, ifindex);
	nla_put_u32(msg, VPNECMP_PATH_A_NHID, 1);
	if (v6) {
		inet_pton(AF_INET6, "2001:db8::1", &a6);
		nla_put(msg, VPNECMP_PATH_A_LOCAL6, 16, &a6);
		inet_pton(AF_INET6, "2001:db8::2", &a6);
		nla_put(msg, VPNECMP_PATH_A_REMOTE6, 16, &a6);
		nla_put_u32(msg, VPNECMP_PATH_A_MARK, 0);
		nla_put_u32(msg, VPNECMP_PATH_A_IF_ID, 7);
	} else {
		inet_pton(AF_INET, "192.0.2.1", &a4);
		nla_put_u32(msg, VPNECMP_PATH_A_LOCAL4, a4.s_addr);
		inet_pton(AF_INET, "198.51.100.1", &a4);
		nla_put_u32(msg, VPNECMP_PATH_A_REMOTE4, a4.s_addr);
		nla_put_u32(msg, VPNECMP_PATH_A_MARK, 1);
		nla_put_u32(msg, VPNECMP_PATH_A_IF_ID, 0);
	}
	nla_put_u32(msg, VPNECMP_PATH_A_WEIGHT, 1);
	nla_put_u32(msg, VPNECMP_PATH_A_TIER, 0);
	nla_put_u32(msg, VPNECMP_PATH_A_SIGNALS, 0x3);
	nla_put_u32(msg, VPNECMP_PATH_A_HOLD_UP_MS, 500);
	nla_put_u32(msg, VPNECMP_PATH_A_STATE, VPNECMP_PATH_UP);
	nla_put_u32(msg, VPNECMP_PATH_A_SIGNALS_UP, 0x3);
	nla_put_u32(msg, VPNECMP_PATH_A_REASON, VPNECMP_REASON_HOLD_UP);
	nla_put_u8(msg, VPNECMP_PATH_A_MEMBER, 1);
	s = nest(msg, VPNECMP_PATH_A_STATS);
	nla_put_u32(msg, VPNECMP_STATS_A_SA_COUNT, 1);
	nla_put_u64(msg, VPNECMP_STATS_A_TRANSITIONS, 3);
	nla_put_u64(msg, VPNECMP_STATS_A_TIME_IN_STATE_MS, 1200);
	nla_put_u64(msg, VPNECMP_STATS_A_LAST_CHANGE_NS, 123456789);
	nla_put_u64(msg, VPNECMP_STATS_A_BYTES, 1000);
	nla_put_u64(msg, VPNECMP_STATS_A_PACKETS, 10);
	nla_put_u64(msg, VPNECMP_STATS_A_SA_ADDS, 2);
	nla_put_u64(msg, VPNECMP_STATS_A_SA_DELS, 1);
	nla_nest_end(msg, s);
	nla_nest_end(msg, p);
	return msg;
}

/* Feed one message to the receive path, as libnl would. */
static int feed(struct nl_msg *msg, vpnecmp_reply_fn fn, void *arg)
{
	struct vpnecmp_run run = { .family = FAMILY, .fn = fn, .arg = arg, .miss_type = -1 };
	int ret = vpnecmp_valid_cb(msg, &run);

	nlmsg_free(msg);
	return run.malformed ? -EBADMSG : ret == NL_STOP ? run.err : 0;
}

static void check_group(void)
{
	capture(false, false);
	feed(group_reply(false, 0), vpnecmp_group_print, NULL);
	expect("group text",
	       "group g1 nhid 100 type resilient all-down fallback 200 preempt on hold-up 1000ms state active tier 0 paths 2\n"
	       "    members 1/1(t1) 200/3\n");

	vpnecmp_opts.stats = 1;
	capture(false, false);
	feed(group_reply(true, -2), vpnecmp_group_print, NULL);
	expect("group text -s, error, flat members",
	       "group g1 nhid 100 type resilient all-down fallback 200 preempt on hold-up 1000ms state active tier 0 paths 2\n"
	       "    members 1/1(t1) 200/3\n"
	       "    error -2 \"Nexthop id does not exist\"\n"
	       "    replaces 7 replace-fails 1\n");
	vpnecmp_opts.stats = 0;

	capture(true, false);
	vpnecmp_open_array(NULL);
	feed(group_reply(false, 0), vpnecmp_group_print, NULL);
	feed(group_reply(false, -2), vpnecmp_group_print, NULL);
	vpnecmp_close_array();
	vpnecmp_print_end();
	expect("group json",
	       "[{\"name\":\"g1\",\"nhid\":100,\"type\":\"resilient\",\"all_down\":\"fallback\",\"fallback_nhid\":200,"
	       "\"preempt\":true,\"hold_up_ms\":1000,\"state\":\"active\",\"active_tier\":0,\"paths\":2,"
	       "\"members\":[{\"nhid\":1,\"weight\":1,\"path\":\"t1\"},{\"nhid\":200,\"weight\":3,\"path\":null}],"
	       "\"error\":0,\"error_msg\":null,\"replaces\":7,\"replace_fails\":1},"
	       "{\"name\":\"g1\",\"nhid\":100,\"type\":\"resilient\",\"all_down\":\"fallback\",\"fallback_nhid\":200,"
	       "\"preempt\":true,\"hold_up_ms\":1000,\"state\":\"active\",\"active_tier\":0,\"paths\":2,"
	       "\"members\":[{\"nhid\":1,\"weight\":1,\"path\":\"t1\"},{\"nhid\":200,\"weight\":3,\"path\":null}],"
	       "\"error\":-2,\"error_msg\":\"Nexthop id does not exist\",\"replaces\":7,\"replace_fails\":1}]\n");

	capture(true, true);
	vpnecmp_open_array(NULL);
	vpnecmp_close_array();
	vpnecmp_print_end();
	expect("empty pretty array", "[]\n");

	/* A broken member: an error, and the JSON still balanced. */
	capture(true, false);
	vpnecmp_open_array(NULL);
	{
		struct nl_msg *msg = reply_new(VPNECMP_CMD_GROUP_GET, 0);
		struct nlattr *g = nest(msg, VPNECMP_A_GROUP), *m, *e;

		nla_put_string(msg, VPNECMP_GROUP_A_NAME, "g1");
		m = nest(msg, VPNECMP_GROUP_A_MEMBERS);
		e = nest(msg, 1);
		nla_put_u32(msg, VPNECMP_MEMBER_A_WEIGHT, 1);
		nla_nest_end(msg, e);
		nla_nest_end(msg, m);
		nla_nest_end(msg, g);
		if (feed(msg, vpnecmp_group_print, NULL) != -EBADMSG) {
			printf("not ok - malformed members not detected\n");
			failures++;
		}
	}
	vpnecmp_close_array();
	vpnecmp_print_end();
	expect("malformed members",
	       "[{\"name\":\"g1\",\"nhid\":null,\"type\":null,\"all_down\":null,\"fallback_nhid\":null,"
	       "\"preempt\":null,\"hold_up_ms\":null,\"state\":null,\"active_tier\":null,\"paths\":null,"
	       "\"members\":[]}]\n");
}

static void check_path(void)
{
	capture(false, false);
	feed(path_reply(false, 1, "g1"), vpnecmp_path_print, NULL);
	expect("path text",
	       "path t1 group g1 dev lo nhid 1 local 192.0.2.1 remote 198.51.100.1 mark 0x1 weight 1 tier 0 signals sa,dpd hold-up 500ms\n"
	       "    state up reason hold-up member yes signals-up sa,dpd sas 1\n");

	vpnecmp_opts.stats = 1;
	capture(false, false);
	feed(path_reply(true, 999999, "g1"), vpnecmp_path_print, NULL);
	expect("path text v6 -s, unknown ifindex",
	       "path t1 group g1 ifindex 999999 nhid 1 local 2001:db8::1 remote 2001:db8::2 if-id 7 weight 1 tier 0 signals sa,dpd hold-up 500ms\n"
	       "    state up reason hold-up member yes signals-up sa,dpd sas 1\n"
	       "    transitions 3 time-in-state 1200ms last-change 123456789ns bytes 1000 packets 10 sa-adds 2 sa-dels 1\n");
	vpnecmp_opts.stats = 0;

	capture(false, false);
	feed(path_reply(false, 1, "g2"), vpnecmp_path_print, "g1");
	expect("path group filter", "");

	capture(true, true);
	vpnecmp_open_array(NULL);
	feed(path_reply(false, 999999, "g1"), vpnecmp_path_print, NULL);
	vpnecmp_close_array();
	vpnecmp_print_end();
	expect("path pretty json",
	       "[\n"
	       "  {\n"
	       "    \"name\": \"t1\",\n"
	       "    \"group\": \"g1\",\n"
	       "    \"ifindex\": 999999,\n"
	       "    \"dev\": null,\n"
	       "    \"nhid\": 1,\n"
	       "    \"local\": \"192.0.2.1\",\n"
	       "    \"remote\": \"198.51.100.1\",\n"
	       "    \"mark\": 1,\n"
	       "    \"if_id\": 0,\n"
	       "    \"weight\": 1,\n"
	       "    \"tier\": 0,\n"
	       "    \"signals\": [\n"
	       "      \"sa\",\n"
	       "      \"dpd\"\n"
	       "    ],\n"
	       "    \"hold_up_ms\": 500,\n"
	       "    \"state\": \"up\",\n"
	       "    \"reason\": \"hold-up\",\n"
	       "    \"member\": true,\n"
	       "    \"signals_up\": [\n"
	       "      \"sa\",\n"
	       "      \"dpd\"\n"
	       "    ],\n"
	       "    \"stats\": {\n"
	       "      \"sa_count\": 1,\n"
	       "      \"transitions\": 3,\n"
	       "      \"time_in_state_ms\": 1200,\n"
	       "      \"last_change_ns\": 123456789,\n"
	       "      \"bytes\": 1000,\n"
	       "      \"packets\": 10,\n"
	       "      \"sa_adds\": 2,\n"
	       "      \"sa_dels\": 1\n"
	       "    }\n"
	       "  }\n"
	       "]\n");
}

static struct nl_msg *path_ntf(void)
{
	struct nl_msg *msg = reply_new(VPNECMP_CMD_PATH_NTF, 0);
	struct nlattr *n = nest(msg, VPNECMP_A_NTF);

	nla_put_string(msg, VPNECMP_NTF_A_PATH, "t1");
	nla_put_string(msg, VPNECMP_NTF_A_GROUP, "g1");
	nla_put_u32(msg, VPNECMP_NTF_A_OLD_STATE, VPNECMP_PATH_UP);
	nla_put_u32(msg, VPNECMP_NTF_A_NEW_STATE, VPNECMP_PATH_DOWN);
	nla_put_u32(msg, VPNECMP_NTF_A_REASON, VPNECMP_REASON_SA);
	nla_put_u64(msg, VPNECMP_NTF_A_TIMESTAMP_NS, 123456789);
	nla_put_u64(msg, VPNECMP_NTF_A_CAUSE_NS, 123000000);
	nla_nest_end(msg, n);
	return msg;
}

static struct nl_msg *group_ntf(bool all_down)
{
	struct nl_msg *msg = reply_new(VPNECMP_CMD_GROUP_NTF, 0);
	struct nlattr *n = nest(msg, VPNECMP_A_NTF);

	nla_put_string(msg, VPNECMP_NTF_A_GROUP, "g1");
	put_members(msg, VPNECMP_NTF_A_MEMBERS, false);
	nla_put_u32(msg, VPNECMP_NTF_A_ERROR, all_down ? (uint32_t)-22 : 0);
	if (all_down)
		nla_put_string(msg, VPNECMP_NTF_A_ERROR_MSG, "bad \"id\"\n");
	nla_put_u8(msg, VPNECMP_NTF_A_ALL_DOWN, all_down);
	nla_put_u64(msg, VPNECMP_NTF_A_TIMESTAMP_NS, 5);
	nla_put_u32(msg, VPNECMP_NTF_A_REASON,
		    all_down ? VPNECMP_REASON_NONE : VPNECMP_REASON_RESTORED);
	nla_nest_end(msg, n);
	return msg;
}

static void check_monitor(void)
{
	unsigned int all = VPNECMP_MON_ALL, path = VPNECMP_MON_PATH;

	capture(false, false);
	feed(path_ntf(), vpnecmp_monitor_ntf, &all);
	feed(group_ntf(false), vpnecmp_monitor_ntf, &all);
	feed(group_ntf(true), vpnecmp_monitor_ntf, &all);
	feed(reply_new(99, 0), vpnecmp_monitor_ntf, &all);
	feed(group_ntf(false), vpnecmp_monitor_ntf, &path);
	expect("monitor text",
	       "[PATH] t1 group g1 up -> down reason sa ts 123456789\n"
	       "[GROUP] g1 members 1/1(t1) 200/3 error 0 reason restored ts 5\n"
	       "[GROUP] g1 members 1/1(t1) 200/3 error -22 \"bad \\\"id\\\"\\n\" all-down ts 5\n"
	       "UNKNOWN 99\n");

	capture(true, false);
	feed(path_ntf(), vpnecmp_monitor_ntf, &all);
	feed(group_ntf(true), vpnecmp_monitor_ntf, &all);
	feed(reply_new(99, 0), vpnecmp_monitor_ntf, &all);
	expect("monitor json",
	       "{\"event\":\"path\",\"path\":\"t1\",\"group\":\"g1\",\"old_state\":\"up\",\"new_state\":\"down\","
	       "\"reason\":\"sa\",\"timestamp_ns\":123456789,\"cause_ns\":123000000}\n"
	       "{\"event\":\"group\",\"group\":\"g1\",\"members\":[{\"nhid\":1,\"weight\":1,\"path\":\"t1\"},"
	       "{\"nhid\":200,\"weight\":3,\"path\":null}],\"error\":-22,\"error_msg\":\"bad \\\"id\\\"\\n\","
	       "\"all_down\":true,\"reason\":\"none\",\"timestamp_ns\":5}\n"
	       "{\"event\":\"unknown\",\"cmd\":99}\n");
}

static void check_version(void)
{
	struct nl_msg *msg = reply_new(VPNECMP_CMD_VERSION_GET, 0);
	bool seen = false;
	struct nlattr *n;

	nla_put_string(msg, VPNECMP_A_VERSION, "0.1.0");
	n = nest(msg, VPNECMP_A_INFO);
	nla_put_u64(msg, VPNECMP_INFO_A_XFRM_EVENTS, 10);
	nla_put_u64(msg, VPNECMP_INFO_A_SA_ADD, 4);
	nla_put_u64(msg, VPNECMP_INFO_A_SA_DEL, 2);
	nla_put_u64(msg, VPNECMP_INFO_A_SA_EXPIRE, 1);
	nla_put_u64(msg, VPNECMP_INFO_A_SA_FLUSH, 0);
	nla_put_u64(msg, VPNECMP_INFO_A_SA_MATCHED, 6);
	nla_put_u32(msg, VPNECMP_INFO_A_GROUPS, 1);
	nla_put_u32(msg, VPNECMP_INFO_A_PATHS, 2);
	nla_put_u64(msg, VPNECMP_INFO_A_WORK_RUNS, 7);
	nla_put_u64(msg, VPNECMP_INFO_A_REPLACE_ATTEMPTS, 3);
	nla_nest_end(msg, n);
	capture(true, false);
	feed(msg, vpnecmp_version_reply, &seen);
	expect("version json",
	       "{\"version\":\"0.1.0\",\"info\":{\"xfrm_events\":10,\"sa_add\":4,\"sa_del\":2,"
	       "\"sa_expire\":1,\"sa_flush\":0,\"sa_matched\":6,\"groups\":1,\"paths\":2,"
	       "\"work_runs\":7,\"replace_attempts\":3}}\n");
}

/* NLMSG_ERROR as netlink_ack() builds it, capped or with the request. */
static void check_ext_ack(bool capped)
{
	int flags = NLM_F_ACK_TLVS | (capped ? NLM_F_CAPPED : 0);
	struct nl_msg *msg = nlmsg_alloc_simple(NLMSG_ERROR, flags);
	struct vpnecmp_run run = { .miss_type = -1 };
	struct nlmsghdr req = { .nlmsg_len = NLMSG_HDRLEN + 12, .nlmsg_type = FAMILY };
	char payload[12] = { 0 };
	struct nlmsgerr *e;

	e = nlmsg_reserve(msg, sizeof(*e), NLMSG_ALIGNTO);
	e->error = -EEXIST;
	e->msg = req;
	if (!capped)
		nlmsg_append(msg, payload, sizeof(payload), NLMSG_ALIGNTO);
	nla_put_string(msg, NLMSGERR_ATTR_MSG, "group already exists");
	nla_put_u32(msg, NLMSGERR_ATTR_OFFS, 20);

	vpnecmp_err_cb(NULL, nlmsg_data(nlmsg_hdr(msg)), &run);
	if (run.err != -EEXIST || strcmp(run.msg, "group already exists")) {
		printf("not ok - ext ack %s: err %d msg \"%s\"\n", capped ? "capped" : "full",
		       run.err, run.msg);
		failures++;
	} else {
		printf("ok - ext ack %s\n", capped ? "capped" : "full");
	}
	nlmsg_free(msg);
}

static void check_done_error(void)
{
	struct nl_msg *msg = nlmsg_alloc_simple(NLMSG_DONE, NLM_F_MULTI | NLM_F_ACK_TLVS);
	struct vpnecmp_run run = { .miss_type = -1 };
	int err = -EPERM;

	nlmsg_append(msg, &err, sizeof(err), NLMSG_ALIGNTO);
	nla_put_string(msg, NLMSGERR_ATTR_MSG, "dump refused");
	vpnecmp_finish_cb(msg, &run);
	if (!run.done || run.err != -EPERM || strcmp(run.msg, "dump refused")) {
		printf("not ok - dump error: err %d msg \"%s\"\n", run.err, run.msg);
		failures++;
	} else {
		printf("ok - dump error\n");
	}
	nlmsg_free(msg);
}


/*
 * The daemon's file, item by item: each case is a file, the message it must
 * give ("" when the file is good), and a check of what it parsed.  If one
 * fails, the file and the command line read the same words differently, an
 * empty or truncated file deletes the namespace's configuration, or a name
 * breaks the text, JSON or Prometheus output.
 */
static const char *conf_file(const char *text)
{
	static char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/vpnecmp-unit-%d.conf", (int)getpid());
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

#define P12 " local 192.0.2.1 remote 192.0.2.2"

static void check_conf_case(const char *what, const char *text, const char *want,
			    struct vd_conf *conf)
{
	const char *file = conf_file(text);
	char err[512], full[600];
	int ret;

	ret = vd_conf_load(file, conf, err, sizeof(err));
	if (*want)
		snprintf(full, sizeof(full), "%s%s", file, want);
	else
		full[0] = '\0';
	if ((ret != 0) != (*want != '\0') || strcmp(err, full)) {
		printf("not ok - conf: %s\n--- want\n%s\n--- got (%d)\n%s\n---\n", what, full, ret,
		       err);
		failures++;
	} else {
		printf("ok - conf: %s\n", what);
	}
	unlink(file);
}

static void check_conf_value(const char *what, bool ok)
{
	printf("%s - conf: %s\n", ok ? "ok" : "not ok", what);
	failures += !ok;
}

static void check_conf(void)
{
	struct vd_conf c;
	uint32_t v = 0;
	char why[128];

	/* numbers: decimal as on the command line, never octal */
	check_conf_case("nhid 010 is ten",
			"group g nhid 010\npath p group g dev nodev0 nhid 0020" P12 "\n"
			"probe p icmp 192.0.2.2 interval 0100\n", "", &c);
	check_conf_value("nhid 010 read as 10", c.ngroups == 1 && c.groups[0].nhid == 10 &&
			 c.paths[0].nhid == 20 && c.paths[0].probe_interval == 100);
	vd_conf_free(&c);
	check_conf_value("CLI: 010 is 10", !vpnecmp_parse_u32("010", 1, UINT32_MAX, false, &v) &&
			 v == 10);
	check_conf_case("hex nhid refused", "group g nhid 0x10\n",
			":1: argument \"0x10\" is wrong: nhid is not a number", &c);
	check_conf_value("CLI: hex nhid refused",
			 vpnecmp_parse_u32("0x10", 1, UINT32_MAX, false, &v) == -EINVAL);
	check_conf_case("mark 0x10 is hex, as on the command line",
			"group g nhid 1\npath p group g dev d nhid 2" P12 " mark 0x10\n", "", &c);
	check_conf_value("mark 0x10 read as 16", c.npaths == 1 && c.paths[0].mark == 16);
	vd_conf_free(&c);
	check_conf_case("out of range", "group g nhid 1 hold-up 99999999\n",
			":1: argument \"99999999\" is wrong: hold-up is out of range 0..3600000", &c);
	check_conf_case("signed number", "group g nhid -1\n",
			":1: argument \"-1\" is wrong: nhid is not a number", &c);

	/* a keyword given twice on a line */
	check_conf_case("repeated nhid", "group g nhid 10 nhid 20\n",
			":1: duplicate \"nhid\": \"20\" is the second value", &c);
	check_conf_case("repeated weight",
			"group g nhid 1\npath p group g dev d nhid 2" P12 " weight 2 weight 3\n",
			":2: duplicate \"weight\": \"3\" is the second value", &c);
	check_conf_case("repeated interval",
			"group g nhid 1\npath p group g dev d nhid 2" P12 "\n"
			"probe p icmp 192.0.2.2 interval 100 interval 200\n",
			":3: duplicate \"interval\": \"200\" is the second value", &c);
	check_conf_case("a value equal to a keyword is no repeat",
			"group nhid nhid 7\n", "", &c);
	vd_conf_free(&c);
	check_conf_case("prefix is a list",
			"group g nhid 1\npath p group g dev d nhid 2" P12 "\n"
			"bgp p table 201 prefix 10.0.0.0/8 prefix 172.16.0.0/12\n", "", &c);
	check_conf_value("two prefixes", c.npaths == 1 && c.paths[0].bgp_nprefix == 2);
	vd_conf_free(&c);

	check_conf_case("unknown signal, the CLI's message",
			"group g nhid 1\npath p group g dev d nhid 2" P12 " signals sa,carrier\n",
			":2: argument \"sa,carrier\" is wrong: \"carrier\" is not a signal (sa, dpd, bgp, probe, admin)",
			&c);

	/* an empty file deletes everything: only when it says so */
	check_conf_case("empty file refused", "",
			": no group and no path: applied, this file would delete every group and path of the namespace; refused (write a line \"empty\" if that is what you mean)",
			&c);
	check_conf_case("comments only refused", "# nothing\n\n",
			": no group and no path: applied, this file would delete every group and path of the namespace; refused (write a line \"empty\" if that is what you mean)",
			&c);
	check_conf_case("\"empty\" accepted", "# decommissioned\nempty\n", "", &c);
	check_conf_value("\"empty\": nothing", !c.ngroups && !c.npaths);
	vd_conf_free(&c);
	check_conf_case("\"empty\" with a group", "empty\ngroup g nhid 1\n",
			":1: \"empty\" in a file that defines groups", &c);
	check_conf_case("\"empty\" with a word", "empty please\n",
			":1: \"please\": \"empty\" takes no argument", &c);

	/* a device that does not exist yet is no error */
	check_conf_case("missing device",
			"group g nhid 1\npath p group g dev nosuchdev9 nhid 2" P12 "\n", "", &c);
	vd_conf_free(&c);

	/* names: [A-Za-z0-9_.-], as the command line and the module */
	check_conf_case("group name with a colon", "group a:b nhid 1\n",
			":1: argument \"a:b\" is wrong: group name may only contain letters, digits, '_', '.' and '-'",
			&c);
	check_conf_case("path name in UTF-8",
			"group g nhid 1\npath caf\xc3\xa9 group g dev d nhid 2" P12 "\n",
			":2: argument \"caf\xc3\xa9\" is wrong: path name may only contain letters, digits, '_', '.' and '-'",
			&c);
	check_conf_case("path name with a quote",
			"group g nhid 1\npath a\"b group g dev d nhid 2" P12 "\n",
			":2: argument \"a\"b\" is wrong: path name may only contain letters, digits, '_', '.' and '-'",
			&c);
	check_conf_case("name too long", "group abcdefghijklmnop nhid 1\n",
			":1: argument \"abcdefghijklmnop\" is wrong: group name must be 1 to 15 characters",
			&c);
	check_conf_case("good names", "group G_1.a-b nhid 1\n", "", &c);
	vd_conf_free(&c);
	check_conf_value("CLI: the same name rule",
			 vpnecmp_check_name("a b", "path", why, sizeof(why)) == -EINVAL &&
			 !strcmp(why, "path name may only contain letters, digits, '_', '.' and '-'") &&
			 !vpnecmp_check_name("t1.x-y_Z", "path", why, sizeof(why)));
}

/* hint_case: vpnecmp_module_hint()'s advice must contain WANT. */
static void hint_case(const char *what, const char *moddir, const char *dkmsdir,
		      const char *want)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	vpnecmp_module_hint(f, "6.12.0-test", moddir, dkmsdir);
	fclose(f);
	if (!strstr(buf, want)) {
		printf("not ok - module hint, %s\n--- want\n%s\n--- got\n%s---\n", what, want, buf);
		failures++;
	} else {
		printf("ok - module hint, %s\n", what);
	}
	free(buf);
}

/*
 * The CLI without the module: installed for the running kernel (modules.dep
 * lists it, updates/dkms/ or updates/, compressed or not), built by DKMS
 * for other kernels only, or not installed at all.
 */
static void check_module_hint(void)
{
	char dir[] = "/tmp/vpnecmp-unit.XXXXXX", path[256], moddir[128], dkms[128];
	FILE *f;

	if (!mkdtemp(dir)) {
		printf("not ok - module hint: mkdtemp: %s\n", strerror(errno));
		failures++;
		return;
	}
	snprintf(moddir, sizeof(moddir), "%s/modules", dir);
	snprintf(dkms, sizeof(dkms), "%s/dkms-vpnecmp", dir);
	snprintf(path, sizeof(path), "%s/6.12.0-test", moddir);
	mkdir(moddir, 0755);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/6.12.0-test/modules.dep", moddir);

	f = fopen(path, "w");
	fputs("kernel/net/ipv4/ip_vti.ko.xz: kernel/net/ipv4/ip_tunnel.ko.xz\n"
	      "kernel/net/vpnecmp_other.ko.xz:\n", f);
	fclose(f);
	hint_case("nothing installed", moddir, dkms, "install the vpnecmp-dkms package");
	mkdir(dkms, 0755);
	hint_case("DKMS, not for this kernel", moddir, dkms,
		  "\"dkms status vpnecmp\" shows the kernels it was built for; \"dkms autoinstall -k 6.12.0-test\"");
	f = fopen(path, "a");
	fputs("updates/dkms/vpnecmp.ko.xz:\n", f);
	fclose(f);
	hint_case("installed by DKMS", moddir, dkms, "\"modprobe vpnecmp\" (as root) loads it or says why not");
	rmdir(dkms);
	f = fopen(path, "w");
	fputs("updates/vpnecmp.ko:\n", f);
	fclose(f);
	hint_case("installed by make install", moddir, dkms, "\"modprobe vpnecmp\" (as root)");
	unlink(path);
	snprintf(path, sizeof(path), "%s/6.12.0-test", moddir);
	rmdir(path);
	rmdir(moddir);
	rmdir(dir);
}

int main(void)
{
	check_escape("plain", "\"plain\"\n");
	check_escape("q\"b\\s/", "\"q\\\"b\\\\s/\"\n");
	check_escape("\b\f\n\r\t\x01\x1f\x7f", "\"\\b\\f\\n\\r\\t\\u0001\\u001f\\u007f\"\n");
	check_escape("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"\n");
	check_escape("\xff|\xc0\xaf|\xed\xa0\x80|\xe2\x82|\xf4\x90\x80\x80|\xc3",
		     "\"\\ufffd|\\ufffd\\ufffd|\\ufffd\\ufffd\\ufffd|\\ufffd\\ufffd|\\ufffd\\ufffd\\ufffd\\ufffd|\\ufffd\"\n");
	check_group();
	check_path();
	check_monitor();
	check_version();
	check_ext_ack(true);
	check_ext_ack(false);
	check_done_error();
	check_conf();
	check_module_hint();

	printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
	return failures ? 1 : 0;
}
