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
#include "../obj.c"
#include "../waiting.c"
#include "../print.c"
#include "../util.c"
#include "../cmd_group.c"
#include "../cmd_path.c"
#include "../cmd_monitor.c"
#include "../cmd_version.c"
#include "../cmd_stats.c"
#include "../daemon_conf.c"
#include "../daemon_verdict.c"

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
	struct vpnecmp_path_show all = { 0 }, g1 = { .group = "g1" };

	capture(false, false);
	feed(path_reply(false, 1, "g1"), vpnecmp_path_print, &all);
	expect("path text",
	       "path t1 group g1 dev lo nhid 1 local 192.0.2.1 remote 198.51.100.1 mark 0x1 weight 1 tier 0 signals sa,dpd hold-up 500ms\n"
	       "    state up reason hold-up member yes signals-up sa,dpd sas 1\n");

	vpnecmp_opts.stats = 1;
	capture(false, false);
	feed(path_reply(true, 999999, "g1"), vpnecmp_path_print, &all);
	expect("path text v6 -s, unknown ifindex",
	       "path t1 group g1 ifindex 999999 nhid 1 local 2001:db8::1 remote 2001:db8::2 if-id 7 weight 1 tier 0 signals sa,dpd hold-up 500ms\n"
	       "    state up reason hold-up member yes signals-up sa,dpd sas 1\n"
	       "    transitions 3 time-in-state 1200ms last-change 123456789ns bytes 1000 packets 10 sa-adds 2 sa-dels 1\n");
	vpnecmp_opts.stats = 0;

	capture(false, false);
	feed(path_reply(false, 1, "g2"), vpnecmp_path_print, &g1);
	expect("path group filter", "");

	capture(true, true);
	vpnecmp_open_array(NULL);
	feed(path_reply(false, 999999, "g1"), vpnecmp_path_print, &all);
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
	       "    },\n"
	       "    \"probe\": null\n"
	       "  }\n"
	       "]\n");

	/* the daemon prober's figures, with -s and in JSON */
	{
		struct vpnecmp_probe_fig fig = {
			.name = "t1", .up = true, .degraded = true, .samples = 100, .lost = 3,
			.has_rtt = true, .p50_us = 12300, .p99_us = 20100, .jitter_us = 800,
		};
		struct vpnecmp_path_show probed = { .probes = &fig, .nprobes = 1 };

		vpnecmp_opts.stats = 1;
		capture(false, false);
		feed(path_reply(false, 1, "g1"), vpnecmp_path_print, &probed);
		vpnecmp_opts.stats = 0;
		fclose(out);
		if (!strstr(out_buf, "\n    probe up rtt p50 12.3ms p99 20.1ms jitter 0.8ms lost 3/100 degraded (SLA)\n")) {
			printf("not ok - path -s with probe figures\n--- got\n%s---\n", out_buf);
			failures++;
		} else {
			printf("ok - path -s with probe figures\n");
		}
		free(out_buf);
		out_buf = NULL;
		capture(true, false);
		feed(path_reply(false, 1, "g1"), vpnecmp_path_print, &probed);
		vpnecmp_print_end();
		fclose(out);
		if (!strstr(out_buf, "\"probe\":{\"signal\":\"up\",\"rtt_p50_us\":12300,\"rtt_p99_us\":20100,"
				     "\"jitter_us\":800,\"samples\":100,\"lost\":3,\"degraded\":true}")) {
			printf("not ok - path json with probe figures\n--- got\n%s---\n", out_buf);
			failures++;
		} else {
			printf("ok - path json with probe figures\n");
		}
		free(out_buf);
		out_buf = NULL;
	}
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

	/* bgp over BMP: a neighbor instead of a table, and where to listen */
	check_conf_case("bgp neighbor",
			"group g nhid 1\npath p group g dev d nhid 2" P12 "\n"
			"bgp p neighbor 169.254.10.1 prefix 10.100.0.0/16\n", "", &c);
	check_conf_value("bgp neighbor: BMP on 127.0.0.1 port 11019, bgp signal",
			 c.bmp && c.bmp_port == 11019 && c.bmp_listen.family == AF_INET &&
			 c.bmp_listen.v4.s_addr == htonl(INADDR_LOOPBACK) &&
			 c.paths[0].bgp_neighbor.family == AF_INET && !c.paths[0].bgp_table &&
			 (c.paths[0].signals & (1U << VPNECMP_SIGNAL_BGP)));
	vd_conf_free(&c);
	check_conf_case("bmp listen and port",
			"bmp listen ::1 port 5000\ngroup g nhid 1\n", "", &c);
	check_conf_value("bmp ::1 port 5000", c.bmp_port == 5000 &&
			 c.bmp_listen.family == AF_INET6 && !c.bmp);
	vd_conf_free(&c);
	check_conf_case("bgp table and neighbor",
			"group g nhid 1\npath p group g dev d nhid 2" P12 "\n"
			"bgp p table 201 neighbor 169.254.10.1\n",
			":3: bgp \"p\": \"table\" and \"neighbor\" are mutually exclusive", &c);
	check_conf_case("bgp neither table nor neighbor",
			"group g nhid 1\npath p group g dev d nhid 2" P12 "\n"
			"bgp p prefix 10.0.0.0/8\n",
			":3: bgp \"p\" needs \"table TABLE\" or \"neighbor ADDR\"", &c);
	check_conf_case("bgp neighbor not an address",
			"group g nhid 1\npath p group g dev d nhid 2" P12 "\n"
			"bgp p neighbor aws1\n",
			":3: \"aws1\" is not an IPv4 or IPv6 address (neighbor)", &c);
	check_conf_case("bmp port 0", "bmp port 0\n",
			":1: argument \"0\" is wrong: port is out of range 1..65535", &c);
	check_conf_case("bmp twice", "bmp port 1000\nbmp\n",
			":2: a second \"bmp\" line (the first is line 1)", &c);
	check_conf_case("bmp unknown keyword", "bmp address 127.0.0.1\n",
			":1: \"address\": unknown keyword for bmp", &c);

	check_conf_case("unknown signal, the CLI's message",
			"group g nhid 1\npath p group g dev d nhid 2" P12 " signals sa,carrier\n",
			":2: argument \"sa,carrier\" is wrong: \"carrier\" is not a signal (sa, dpd, bgp, probe, admin)",
			&c);

	/* libreswan: the ike lines follow pluto, one IKE daemon per file */
	check_conf_case("libreswan with ike lines",
			"group g nhid 1\npath p group g dev d nhid 2" P12 "\n"
			"ike p conn tun-1\nlibreswan socket /run/x.ctl\n", "", &c);
	check_conf_value("libreswan: pluto's socket, whack's default, no strongswan, dpd on",
			 c.libreswan && !c.strongswan && !strcmp(c.pluto, "/run/x.ctl") &&
			 !strcmp(c.whack, VD_DEFAULT_WHACK) &&
			 (c.paths[0].signals & (1U << VPNECMP_SIGNAL_DPD)) &&
			 !strcmp(vd_signal_source(&c, &c.paths[0], VPNECMP_SIGNAL_DPD), "libreswan"));
	vd_conf_free(&c);
	check_conf_case("ike lines without libreswan are charon's",
			"group g nhid 1\npath p group g dev d nhid 2" P12 "\nike p conn tun-1\n",
			"", &c);
	check_conf_value("strongswan feeds dpd", c.strongswan &&
			 !strcmp(vd_signal_source(&c, &c.paths[0], VPNECMP_SIGNAL_DPD), "strongswan") &&
			 !vd_signal_source(&c, &c.paths[0], VPNECMP_SIGNAL_BGP));
	vd_conf_free(&c);
	check_conf_case("strongswan and libreswan in one file",
			"strongswan\ngroup g nhid 1\nlibreswan\n",
			":1: \"strongswan\" in a file that names \"libreswan\": the \"ike\" lines follow one IKE daemon",
			&c);
	check_conf_case("libreswan: no child",
			"libreswan\ngroup g nhid 1\npath p group g dev d nhid 2" P12 "\n"
			"ike p conn tun-1 child tun-1\n",
			":4: \"tun-1\": libreswan has no child names: a connection is one CHILD SA, name it with \"conn\"",
			&c);
	check_conf_case("libreswan: relative whack",
			"libreswan whack whack\n",
			":1: \"whack\": whack must be an absolute path shorter than 256", &c);
	check_conf_case("libreswan twice", "libreswan\nlibreswan\n",
			":2: \"libreswan\" given twice", &c);

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
	/* vrrp-track-file: keepalived's track_file of a group */
	check_conf_case("vrrp-track-file",
			"group g nhid 1\nvrrp-track-file /run/vpnecmp/g.track group g weight 60\n",
			"", &c);
	check_conf_value("vrrp-track-file read", c.ngroups == 1 && c.groups[0].track_weight == 60 &&
			 !strcmp(c.groups[0].track_file, "/run/vpnecmp/g.track") &&
			 c.groups[0].track_written == -1);
	vd_conf_free(&c);
	check_conf_case("vrrp-track-file before its group",
			"vrrp-track-file /run/g group g weight 1\ngroup g nhid 1\n",
			":1: \"g\": no such group (define it with \"group\" first)", &c);
	check_conf_case("vrrp-track-file relative",
			"group g nhid 1\nvrrp-track-file g.track group g weight 1\n",
			":2: \"g.track\": the track file must be an absolute path of at most 239 characters",
			&c);
	check_conf_case("vrrp-track-file without weight",
			"group g nhid 1\nvrrp-track-file /run/g group g\n",
			":2: vrrp-track-file \"/run/g\" needs group and weight", &c);
	check_conf_case("vrrp-track-file weight 0",
			"group g nhid 1\nvrrp-track-file /run/g group g weight 0\n",
			":2: argument \"0\" is wrong: weight is out of range 1..254", &c);
	check_conf_case("vrrp-track-file weight 255",
			"group g nhid 1\nvrrp-track-file /run/g group g weight 255\n",
			":2: argument \"255\" is wrong: weight is out of range 1..254", &c);
	check_conf_case("two track files for a group",
			"group g nhid 1\nvrrp-track-file /run/a group g weight 1\n"
			"vrrp-track-file /run/b group g weight 1\n",
			":3: group \"g\" already has a track file (line 2)", &c);
	check_conf_case("one track file for two groups",
			"group g nhid 1\ngroup h nhid 2\nvrrp-track-file /run/a group g weight 1\n"
			"vrrp-track-file /run/a group h weight 1\n",
			":4: \"/run/a\" is already group \"g\"'s track file (line 3)", &c);
	check_conf_case("vrrp-track-file unknown word",
			"group g nhid 1\nvrrp-track-file /run/a group g weight 1 priority 3\n",
			":2: \"priority\": unknown keyword for vrrp-track-file", &c);

	check_conf_value("CLI: the same name rule",
			 vpnecmp_check_name("a b", "path", why, sizeof(why)) == -EINVAL &&
			 !strcmp(why, "path name may only contain letters, digits, '_', '.' and '-'") &&
			 !vpnecmp_check_name("t1.x-y_Z", "path", why, sizeof(why)));
}

/* The daemon's waiting list: written, read back, printed; a dead daemon's ignored. */
static void check_waiting(void)
{
	struct vpnecmp_waiting w[2] = {
		{ .group = true, .name = "g9", .nhid = 900, .wait_for = VPNECMP_WAIT_NEXTHOP },
		{ .name = "t3", .in_group = "g", .dev = "vti3", .nhid = 3,
		  .wait_for = VPNECMP_WAIT_DEVICE },
	};
	char dir[] = "/tmp/vpnecmp-unit-XXXXXX", file[600], line[300];
	struct vpnecmp_waiting *r = NULL;
	struct stat st;
	FILE *f;
	int n;

	if (!mkdtemp(dir) || stat("/proc/self/ns/net", &st)) {
		printf("not ok - waiting: no temporary directory or netns\n");
		failures++;
		return;
	}
	setenv("VPNECMP_RUNDIR", dir, 1);
	n = vpnecmp_waiting_write(w, 2);
	if (!n)
		n = vpnecmp_waiting_read(&r);
	if (n != 2 || !r || !r[0].group || strcmp(r[0].name, "g9") || r[0].nhid != 900 ||
	    r[1].group || strcmp(r[1].name, "t3") || strcmp(r[1].in_group, "g") ||
	    strcmp(r[1].dev, "vti3") || r[1].wait_for != VPNECMP_WAIT_DEVICE) {
		printf("not ok - waiting: read back %d entries\n", n);
		failures++;
	} else {
		printf("ok - waiting: written and read back\n");
	}

	capture(false, false);
	vpnecmp_path_print_waiting(&r[1]);
	expect("waiting path text",
	       "path t3 group g dev vti3 nhid 3\n"
	       "    state waiting reason device member no (vpnecmp daemon: no device vti3 yet)\n");
	capture(true, false);
	vpnecmp_path_print_waiting(&r[1]);
	vpnecmp_print_end();
	expect("waiting path json",
	       "{\"name\":\"t3\",\"group\":\"g\",\"dev\":\"vti3\",\"nhid\":3,\"state\":\"waiting\","
	       "\"reason\":\"device\",\"member\":false}\n");
	free(r);

	/* a list whose daemon is gone (pid 0 is never a process) is none */
	snprintf(file, sizeof(file), "%s/waiting.%llu", dir, (unsigned long long)st.st_ino);
	f = fopen(file, "r+");
	if (f && fgets(line, sizeof(line), f)) {
		rewind(f);
		fputs("pid 999999999\n", f);
	}
	if (f)
		fclose(f);
	r = NULL;
	n = vpnecmp_waiting_read(&r);
	if (n != 0 || r) {
		printf("not ok - waiting: a dead daemon's list was read (%d)\n", n);
		failures++;
	} else {
		printf("ok - waiting: a dead daemon's list is ignored\n");
	}
	free(r);
	vpnecmp_waiting_clear();
	if (!stat(file, &st)) {
		printf("not ok - waiting: the list was not removed\n");
		failures++;
	}
	rmdir(dir);
	unsetenv("VPNECMP_RUNDIR");
}

/*
 * The prober's verdict on made-up probe streams ('A' answered, 'L' lost):
 * the index of the probe at which the signal moves, in the order it moves
 * ("d5 u9": down at the 5th probe, up at the 9th), or "" if it never does.
 * If one fails, "lost K of N" does not do what Documentation/daemon.rst
 * says, or the default (K in a row) changed for existing files.
 */
static void check_verdict_case(const char *what, uint32_t k, uint32_t n, uint32_t m,
			       const char *stream, const char *want)
{
	struct vd_verdict_conf c = { .lost = k, .window = n, .up = m };
	struct vd_verdict v = { .up = true };
	char got[256] = "";
	size_t len = 0;

	for (unsigned int i = 0; stream[i]; i++) {
		int r = vd_verdict_feed(&v, &c, stream[i] == 'A');

		if (r && len < sizeof(got) - 16)
			len += (size_t)snprintf(got + len, sizeof(got) - len, "%s%c%u",
						len ? " " : "", r > 0 ? 'u' : 'd', i + 1);
	}
	if (strcmp(got, want)) {
		printf("not ok - verdict: %s: want \"%s\", got \"%s\"\n", what, want, got);
		failures++;
	} else {
		printf("ok - verdict: %s\n", what);
	}
}

static void check_verdict(void)
{
	struct vd_measure m = { 0 };
	struct vd_figures f;
	struct vd_conf c;
	char stream[201];

	/* default: 3 of 3 is 3 in a row, as before */
	check_verdict_case("3 in a row: two losses twice never", 3, 3, 3, "ALLALLALLA", "");
	check_verdict_case("3 in a row: down at the third", 3, 3, 3, "AALLLAAA", "d5 u8");
	/* K of N: scattered losses count */
	check_verdict_case("3 of 10: scattered", 3, 10, 3, "ALALAL", "d6");
	check_verdict_case("3 of 10: out of the window", 3, 10, 3,
			   "LLAAAAAAAAAALAAAAAAAAAL", "");
	/* a blackhole is seen after K probes whatever N is */
	check_verdict_case("3 of 64: blackhole in 3", 3, 64, 3, "AAAAALLLLLL", "d8");
	check_verdict_case("8 of 64: blackhole in 8", 8, 64, 3, "ALLLLLLLLLLL", "d9");
	/* coming back: M answers in a row, then the history starts afresh */
	check_verdict_case("3 of 10: back after 3, losses forgotten", 3, 10, 3,
			   "LLLAALAAALL", "d3 u9");
	/* multiplier beyond the 64-probe history still works in a row */
	memset(stream, 'L', 100);
	stream[100] = '\0';
	check_verdict_case("multiplier 100: down at the 100th", 100, 100, 3, stream, "d100");

	/* figures: 100 probes, 10 lost, RTTs 1..90 ms */
	for (unsigned int i = 0; i < 100; i++)
		vd_measure_add(&m, i % 10 != 9, (i - i / 10 + 1) * 1000);
	vd_measure_figures(&m, &f);
	check_conf_value("figures: 10 % loss, p50 45 ms, p99 90 ms",
			 f.samples == 100 && f.lost == 10 && f.has_rtt &&
			 f.p50_us == 45000 && f.p99_us == 90000);
	/* 200 more, constant RTT: the window slides, the jitter decays */
	for (unsigned int i = 0; i < 200; i++)
		vd_measure_add(&m, true, 7000);
	vd_measure_figures(&m, &f);
	check_conf_value("figures: window of 100, p50 = p99 = 7 ms, jitter ~0",
			 f.samples == 100 && !f.lost && f.p50_us == 7000 && f.p99_us == 7000 &&
			 f.jitter_us == 0);

	/* the file's words */
	check_conf_case("lost 3 of 10",
			"group g nhid 1\npath p group g dev d nhid 2" P12 "\n"
			"probe p icmp 192.0.2.2 lost 3 of 10 up 5\n", "", &c);
	check_conf_value("lost 3 of 10 read", c.npaths == 1 && c.paths[0].probe_multiplier == 3 &&
			 c.paths[0].probe_window == 10 && c.paths[0].probe_up == 5);
	vd_conf_free(&c);
	check_conf_case("multiplier 4 is 4 of 4",
			"group g nhid 1\npath p group g dev d nhid 2" P12 "\n"
			"probe p icmp 192.0.2.2 multiplier 4\n", "", &c);
	check_conf_value("multiplier 4 read as 4 of 4", c.paths[0].probe_multiplier == 4 &&
			 c.paths[0].probe_window == 4);
	vd_conf_free(&c);
	check_conf_case("lost K of N, N < K",
			"group g nhid 1\npath p group g dev d nhid 2" P12 "\n"
			"probe p icmp 192.0.2.2 lost 5 of 3\n",
			":3: \"3\": lost 5 of 3: N must be at least K", &c);
	check_conf_case("lost K to N",
			"group g nhid 1\npath p group g dev d nhid 2" P12 "\n"
			"probe p icmp 192.0.2.2 lost 3 to 10\n",
			":3: \"to\": expected \"of\" (lost K of N)", &c);
	check_conf_case("lost K of 65",
			"group g nhid 1\npath p group g dev d nhid 2" P12 "\n"
			"probe p icmp 192.0.2.2 lost 3 of 65\n",
			":3: argument \"65\" is wrong: N (lost K of N) is out of range 1..64", &c);
	check_conf_case("multiplier and lost",
			"group g nhid 1\npath p group g dev d nhid 2" P12 "\n"
			"probe p icmp 192.0.2.2 multiplier 3 lost 3 of 10\n",
			":3: \"lost\": \"multiplier\" is given already (multiplier K is lost K of K)",
			&c);
	check_conf_case("sla",
			"group g nhid 1\npath p group g dev d nhid 2" P12 "\n"
			"probe p icmp 192.0.2.2 interval 400 measure 10 sla-rtt 150 sla-loss 5 sla-recovery 5000\n",
			"", &c);
	check_conf_value("sla read", c.paths[0].probe_measure == 10 && c.paths[0].sla_rtt_ms == 150 &&
			 c.paths[0].has_sla_loss && c.paths[0].sla_loss_pct == 5 &&
			 c.paths[0].sla_recovery_ms == 5000);
	vd_conf_free(&c);
	check_conf_case("sla-recovery alone",
			"group g nhid 1\npath p group g dev d nhid 2" P12 "\n"
			"probe p icmp 192.0.2.2 sla-recovery 5000\n",
			":3: probe \"p\": \"sla-recovery\" without \"sla-rtt\" or \"sla-loss\"", &c);
	check_conf_case("sla-tier above the tier",
			"group g nhid 1\npath p group g dev d nhid 2" P12 " tier 2\n"
			"probe p icmp 192.0.2.2 sla-rtt 100 sla-tier 1\n",
			":3: \"1\": sla-tier must be a lower tier (a higher number) than the path's tier 2", &c);
	check_conf_case("sla-tier",
			"group g nhid 1\npath p group g dev d nhid 2" P12 "\n"
			"probe p icmp 192.0.2.2 sla-loss 5 sla-tier 2\n", "", &c);
	c.paths[0].degraded = true;
	check_conf_value("sla-tier: degraded path in tier 2", vd_path_tier(&c.paths[0]) == 2);
	vd_conf_free(&c);
	check_conf_case("measure 5",
			"group g nhid 1\npath p group g dev d nhid 2" P12 "\n"
			"probe p icmp 192.0.2.2 measure 5\n",
			":3: argument \"5\" is wrong: measure is out of range 10..100", &c);
	check_conf_case("metrics relative",
			"group g nhid 1\nmetrics vpnecmp.prom\n",
			":2: \"vpnecmp.prom\": metrics needs an absolute file name of at most 251 characters",
			&c);
	check_conf_case("metrics", "group g nhid 1\nmetrics /run/vpnecmp.prom\n", "", &c);
	check_conf_value("metrics read", !strcmp(c.metrics, "/run/vpnecmp.prom"));
	vd_conf_free(&c);
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
	check_waiting();
	check_monitor();
	check_version();
	check_ext_ack(true);
	check_ext_ack(false);
	check_done_error();
	check_conf();
	check_verdict();
	check_module_hint();

	printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
	return failures ? 1 : 0;
}
