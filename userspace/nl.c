// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink transport on libnl-3 / libnl-genl-3.
 *
 * libnl 3.7 neither enables extended ACKs nor hands their text to the
 * caller, so the socket option is set here and the TLVs after struct
 * nlmsgerr (or after the error code of NLMSG_DONE, for dumps) are parsed by
 * hand.  libnl also does not set NLA_F_NESTED on nests, which the kernel's
 * strict validation of new families requires: it is ORed into the type.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>

#include "nl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK	270
#endif

#define VPNECMP_NEST_DEPTH_MAX	4

struct vpnecmp_nl {
	struct nl_sock *sk;
	int family;
};

struct vpnecmp_req {
	struct vpnecmp_nl *nl;
	struct nl_msg *msg;
	struct nlattr *nest[VPNECMP_NEST_DEPTH_MAX];
	int depth;
	int err;
};

/* State of one request/response exchange or one notification read. */
struct vpnecmp_run {
	int family;
	vpnecmp_reply_fn fn;
	void *arg;
	bool done;		/* ACK, error or NLMSG_DONE seen */
	int err;		/* negative errno */
	bool kernel_err;	/* err came from the kernel */
	bool reported;		/* err already printed by fn */
	bool malformed;		/* a reply failed to parse */
	bool interrupted;	/* NLM_F_DUMP_INTR seen */
	char msg[256];		/* extack message */
	int miss_type;		/* extack missing attribute, or -1 */
};

static const struct nla_policy vpnecmp_top_policy[VPNECMP_A_MAX + 1] = {
	[VPNECMP_A_VERSION]	= { .type = NLA_STRING },
	[VPNECMP_A_INFO]	= { .type = NLA_NESTED },
	[VPNECMP_A_GROUP]	= { .type = NLA_NESTED },
	[VPNECMP_A_PATH]	= { .type = NLA_NESTED },
	[VPNECMP_A_SIGNAL]	= { .type = NLA_U32 },
	[VPNECMP_A_SIGNAL_UP]	= { .type = NLA_U8 },
	[VPNECMP_A_NTF]		= { .type = NLA_NESTED },
};

static const struct nla_policy vpnecmp_info_policy[VPNECMP_INFO_A_MAX + 1] = {
	[VPNECMP_INFO_A_XFRM_EVENTS]	= { .type = NLA_U64 },
	[VPNECMP_INFO_A_SA_ADD]		= { .type = NLA_U64 },
	[VPNECMP_INFO_A_SA_DEL]		= { .type = NLA_U64 },
	[VPNECMP_INFO_A_SA_EXPIRE]	= { .type = NLA_U64 },
	[VPNECMP_INFO_A_SA_FLUSH]	= { .type = NLA_U64 },
	[VPNECMP_INFO_A_SA_MATCHED]	= { .type = NLA_U64 },
	[VPNECMP_INFO_A_GROUPS]		= { .type = NLA_U32 },
	[VPNECMP_INFO_A_PATHS]		= { .type = NLA_U32 },
	[VPNECMP_INFO_A_WORK_RUNS]	= { .type = NLA_U64 },
	[VPNECMP_INFO_A_REPLACE_ATTEMPTS] = { .type = NLA_U64 },
};

static const struct nla_policy vpnecmp_group_policy[VPNECMP_GROUP_A_MAX + 1] = {
	[VPNECMP_GROUP_A_NAME]		= { .type = NLA_STRING },
	[VPNECMP_GROUP_A_NHID]		= { .type = NLA_U32 },
	[VPNECMP_GROUP_A_TYPE]		= { .type = NLA_U32 },
	[VPNECMP_GROUP_A_ALL_DOWN]	= { .type = NLA_U32 },
	[VPNECMP_GROUP_A_FALLBACK_NHID]	= { .type = NLA_U32 },
	[VPNECMP_GROUP_A_PREEMPT]	= { .type = NLA_U8 },
	[VPNECMP_GROUP_A_HOLD_UP_MS]	= { .type = NLA_U32 },
	[VPNECMP_GROUP_A_STATE]		= { .type = NLA_U32 },
	[VPNECMP_GROUP_A_ACTIVE_TIER]	= { .type = NLA_U32 },
	[VPNECMP_GROUP_A_MEMBERS]	= { .type = NLA_NESTED },
	[VPNECMP_GROUP_A_ERROR]		= { .type = NLA_U32 },
	[VPNECMP_GROUP_A_REPLACES]	= { .type = NLA_U64 },
	[VPNECMP_GROUP_A_REPLACE_FAILS]	= { .type = NLA_U64 },
	[VPNECMP_GROUP_A_PATHS]		= { .type = NLA_U32 },
	[VPNECMP_GROUP_A_ERROR_MSG]	= { .type = NLA_STRING },
};

static const struct nla_policy vpnecmp_member_policy[VPNECMP_MEMBER_A_MAX + 1] = {
	[VPNECMP_MEMBER_A_NHID]		= { .type = NLA_U32 },
	[VPNECMP_MEMBER_A_WEIGHT]	= { .type = NLA_U32 },
	[VPNECMP_MEMBER_A_PATH]		= { .type = NLA_STRING },
};

static const struct nla_policy vpnecmp_path_policy[VPNECMP_PATH_A_MAX + 1] = {
	[VPNECMP_PATH_A_NAME]		= { .type = NLA_STRING },
	[VPNECMP_PATH_A_GROUP]		= { .type = NLA_STRING },
	[VPNECMP_PATH_A_IFINDEX]	= { .type = NLA_U32 },
	[VPNECMP_PATH_A_NHID]		= { .type = NLA_U32 },
	[VPNECMP_PATH_A_LOCAL4]		= { .type = NLA_U32 },
	[VPNECMP_PATH_A_REMOTE4]	= { .type = NLA_U32 },
	[VPNECMP_PATH_A_LOCAL6]		= { .minlen = 16, .maxlen = 16 },
	[VPNECMP_PATH_A_REMOTE6]	= { .minlen = 16, .maxlen = 16 },
	[VPNECMP_PATH_A_MARK]		= { .type = NLA_U32 },
	[VPNECMP_PATH_A_IF_ID]		= { .type = NLA_U32 },
	[VPNECMP_PATH_A_WEIGHT]		= { .type = NLA_U32 },
	[VPNECMP_PATH_A_TIER]		= { .type = NLA_U32 },
	[VPNECMP_PATH_A_SIGNALS]	= { .type = NLA_U32 },
	[VPNECMP_PATH_A_HOLD_UP_MS]	= { .type = NLA_U32 },
	[VPNECMP_PATH_A_STATE]		= { .type = NLA_U32 },
	[VPNECMP_PATH_A_SIGNALS_UP]	= { .type = NLA_U32 },
	[VPNECMP_PATH_A_REASON]		= { .type = NLA_U32 },
	[VPNECMP_PATH_A_MEMBER]		= { .type = NLA_U8 },
	[VPNECMP_PATH_A_STATS]		= { .type = NLA_NESTED },
};

static const struct nla_policy vpnecmp_stats_policy[VPNECMP_STATS_A_MAX + 1] = {
	[VPNECMP_STATS_A_SA_COUNT]		= { .type = NLA_U32 },
	[VPNECMP_STATS_A_TRANSITIONS]		= { .type = NLA_U64 },
	[VPNECMP_STATS_A_TIME_IN_STATE_MS]	= { .type = NLA_U64 },
	[VPNECMP_STATS_A_LAST_CHANGE_NS]	= { .type = NLA_U64 },
	[VPNECMP_STATS_A_BYTES]			= { .type = NLA_U64 },
	[VPNECMP_STATS_A_PACKETS]		= { .type = NLA_U64 },
	[VPNECMP_STATS_A_SA_ADDS]		= { .type = NLA_U64 },
	[VPNECMP_STATS_A_SA_DELS]		= { .type = NLA_U64 },
};

static const struct nla_policy vpnecmp_ntf_policy[VPNECMP_NTF_A_MAX + 1] = {
	[VPNECMP_NTF_A_PATH]		= { .type = NLA_STRING },
	[VPNECMP_NTF_A_GROUP]		= { .type = NLA_STRING },
	[VPNECMP_NTF_A_OLD_STATE]	= { .type = NLA_U32 },
	[VPNECMP_NTF_A_NEW_STATE]	= { .type = NLA_U32 },
	[VPNECMP_NTF_A_REASON]		= { .type = NLA_U32 },
	[VPNECMP_NTF_A_TIMESTAMP_NS]	= { .type = NLA_U64 },
	[VPNECMP_NTF_A_CAUSE_NS]	= { .type = NLA_U64 },
	[VPNECMP_NTF_A_MEMBERS]		= { .type = NLA_NESTED },
	[VPNECMP_NTF_A_ERROR]		= { .type = NLA_U32 },
	[VPNECMP_NTF_A_ALL_DOWN]	= { .type = NLA_U8 },
	[VPNECMP_NTF_A_ERROR_MSG]	= { .type = NLA_STRING },
};

static const struct nla_policy vpnecmp_extack_policy[NLMSGERR_ATTR_MAX + 1] = {
	[NLMSGERR_ATTR_MSG]		= { .type = NLA_STRING },
	[NLMSGERR_ATTR_OFFS]		= { .type = NLA_U32 },
	[NLMSGERR_ATTR_MISS_TYPE]	= { .type = NLA_U32 },
	[NLMSGERR_ATTR_MISS_NEST]	= { .type = NLA_U32 },
};

static const struct {
	int maxtype;
	const struct nla_policy *policy;
} vpnecmp_nests[] = {
	[VPNECMP_NEST_INFO]	= { VPNECMP_INFO_A_MAX, vpnecmp_info_policy },
	[VPNECMP_NEST_GROUP]	= { VPNECMP_GROUP_A_MAX, vpnecmp_group_policy },
	[VPNECMP_NEST_PATH]	= { VPNECMP_PATH_A_MAX, vpnecmp_path_policy },
	[VPNECMP_NEST_STATS]	= { VPNECMP_STATS_A_MAX, vpnecmp_stats_policy },
	[VPNECMP_NEST_NTF]	= { VPNECMP_NTF_A_MAX, vpnecmp_ntf_policy },
};

static void vpnecmp_oom(void)
{
	fprintf(stderr, "Error: out of memory\n");
	exit(1);
}

/* Whether MODDIR/RELEASE/modules.dep lists a vpnecmp module (any tree). */
static bool vpnecmp_module_installed(const char *moddir, const char *release)
{
	char path[4096], *line = NULL, *colon, *base;
	bool found = false;
	size_t cap = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/modules.dep", moddir, release);
	f = fopen(path, "r");
	if (!f)
		return false;
	while (!found && getline(&line, &cap, f) > 0) {
		colon = strchr(line, ':');
		if (!colon)
			continue;
		*colon = '\0';
		base = strrchr(line, '/');
		base = base ? base + 1 : line;
		found = !strncmp(base, "vpnecmp.ko", 10);
	}
	free(line);
	fclose(f);
	return found;
}

/*
 * The family is missing.  The generic netlink controller has already asked
 * for the module by its family alias (modprobe), so either no module is
 * installed for the running kernel, or modprobe could not load it: say
 * which, and what to run.  MODDIR is /lib/modules, DKMSDIR dkms's tree for
 * vpnecmp (/var/lib/dkms/vpnecmp); parameters for the unit test.
 */
void vpnecmp_module_hint(FILE *f, const char *release, const char *moddir,
			 const char *dkmsdir)
{
	bool dkms = !access(dkmsdir, F_OK);

	if (vpnecmp_module_installed(moddir, release)) {
		fprintf(f, "Hint: the module is installed for the running kernel %s but did not load: \"modprobe vpnecmp\" (as root) loads it or says why not.\n",
			release);
	} else if (dkms) {
		fprintf(f, "Hint: DKMS has no vpnecmp module installed for the running kernel %s: \"dkms status vpnecmp\" shows the kernels it was built for; \"dkms autoinstall -k %s\" builds it (it needs linux-headers-%s), then \"modprobe vpnecmp\".\n",
			release, release, release);
	} else {
		fprintf(f, "Hint: no vpnecmp module is installed for the running kernel %s: install the vpnecmp-dkms package (or \"make install\" from the sources), then \"modprobe vpnecmp\".\n",
			release);
	}
}

struct vpnecmp_nl *vpnecmp_nl_open(void)
{
	struct vpnecmp_nl *nl;
	int one = 1, ret;

	nl = calloc(1, sizeof(*nl));
	if (!nl)
		vpnecmp_oom();
	nl->sk = nl_socket_alloc();
	if (!nl->sk)
		vpnecmp_oom();

	ret = genl_connect(nl->sk);
	if (ret < 0) {
		fprintf(stderr, "Error: cannot open a generic netlink socket: %s\n",
			nl_geterror(ret));
		goto err;
	}

	/*
	 * Best effort: without extended ACKs we still get the errno.  A capped
	 * ACK keeps our request out of error replies.
	 */
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_CAP_ACK,
		   &one, sizeof(one));

	nl->family = genl_ctrl_resolve(nl->sk, VPNECMP_GENL_NAME);
	if (nl->family == -NLE_OBJ_NOTFOUND) {
		struct utsname u;

		fprintf(stderr, "Error: vpnecmp module not loaded (generic netlink family \"%s\" not found)\n",
			VPNECMP_GENL_NAME);
		if (!uname(&u))
			vpnecmp_module_hint(stderr, u.release, "/lib/modules",
					    "/var/lib/dkms/vpnecmp");
		goto err;
	}
	if (nl->family < 0) {
		fprintf(stderr, "Error: cannot resolve generic netlink family \"%s\": %s\n",
			VPNECMP_GENL_NAME, nl_geterror(nl->family));
		goto err;
	}
	return nl;

err:
	vpnecmp_nl_close(nl);
	return NULL;
}

void vpnecmp_nl_close(struct vpnecmp_nl *nl)
{
	if (!nl)
		return;
	nl_socket_free(nl->sk);
	free(nl);
}

struct vpnecmp_req *vpnecmp_req_new(struct vpnecmp_nl *nl, uint8_t cmd, bool dump)
{
	struct vpnecmp_req *req;

	req = calloc(1, sizeof(*req));
	if (!req)
		vpnecmp_oom();
	req->nl = nl;
	req->msg = nlmsg_alloc();
	if (!req->msg)
		vpnecmp_oom();
	if (!genlmsg_put(req->msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0,
			 dump ? NLM_F_DUMP : 0, cmd, VPNECMP_GENL_VERSION))
		req->err = -EMSGSIZE;
	return req;
}

void vpnecmp_req_nest_start(struct vpnecmp_req *req, int type)
{
	struct nlattr *nest;

	if (req->err)
		return;
	if (req->depth == VPNECMP_NEST_DEPTH_MAX) {
		req->err = -E2BIG;
		return;
	}
	nest = nla_nest_start(req->msg, type | NLA_F_NESTED);
	if (!nest) {
		req->err = -EMSGSIZE;
		return;
	}
	req->nest[req->depth++] = nest;
}

void vpnecmp_req_nest_end(struct vpnecmp_req *req)
{
	if (req->err)
		return;
	if (!req->depth) {
		req->err = -EINVAL;
		return;
	}
	/* Every nest we send has members: nla_nest_end() never trims it. */
	nla_nest_end(req->msg, req->nest[--req->depth]);
}

static void vpnecmp_req_check(struct vpnecmp_req *req, int ret)
{
	if (ret < 0 && !req->err)
		req->err = -EMSGSIZE;
}

void vpnecmp_req_put_u8(struct vpnecmp_req *req, int type, uint8_t v)
{
	if (!req->err)
		vpnecmp_req_check(req, nla_put_u8(req->msg, type, v));
}

void vpnecmp_req_put_u32(struct vpnecmp_req *req, int type, uint32_t v)
{
	if (!req->err)
		vpnecmp_req_check(req, nla_put_u32(req->msg, type, v));
}

void vpnecmp_req_put_string(struct vpnecmp_req *req, int type, const char *s)
{
	if (!req->err)
		vpnecmp_req_check(req, nla_put_string(req->msg, type, s));
}

void vpnecmp_req_put_data(struct vpnecmp_req *req, int type, const void *d, int len)
{
	if (!req->err)
		vpnecmp_req_check(req, nla_put(req->msg, type, len, d));
}

/* Read the extended ACK TLVs that start off bytes into hdr's payload. */
static void vpnecmp_ext_ack(struct vpnecmp_run *run, const struct nlmsghdr *hdr,
			    size_t off)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	int len = nlmsg_datalen(hdr);

	if (!(hdr->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	off = NLMSG_ALIGN(off);
	if (len < 0 || off >= (size_t)len)
		return;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX,
		      (struct nlattr *)((char *)nlmsg_data(hdr) + off),
		      len - (int)off, vpnecmp_extack_policy) < 0)
		return;
	if (tb[NLMSGERR_ATTR_MSG])
		snprintf(run->msg, sizeof(run->msg), "%s",
			 nla_get_string(tb[NLMSGERR_ATTR_MSG]));
	if (tb[NLMSGERR_ATTR_MISS_TYPE])
		run->miss_type = (int)nla_get_u32(tb[NLMSGERR_ATTR_MISS_TYPE]);
}

static int vpnecmp_err_cb(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	const struct nlmsghdr *hdr = (const struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct vpnecmp_run *run = arg;
	size_t off = sizeof(*e);

	(void)nla;
	if (!(hdr->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	run->err = e->error < 0 ? e->error : -e->error;
	run->kernel_err = true;
	run->done = true;
	vpnecmp_ext_ack(run, hdr, off);
	return NL_STOP;
}

static int vpnecmp_ack_cb(struct nl_msg *msg, void *arg)
{
	struct vpnecmp_run *run = arg;

	(void)msg;
	run->done = true;
	return NL_STOP;
}

/* End of a dump: a negative error code in the payload means it failed. */
static int vpnecmp_finish_cb(struct nl_msg *msg, void *arg)
{
	const struct nlmsghdr *hdr = nlmsg_hdr(msg);
	struct vpnecmp_run *run = arg;
	int err;

	run->done = true;
	if (nlmsg_datalen(hdr) >= (int)sizeof(err)) {
		memcpy(&err, nlmsg_data(hdr), sizeof(err));
		if (err < 0) {
			run->err = err;
			run->kernel_err = true;
			vpnecmp_ext_ack(run, hdr, sizeof(err));
		}
	}
	return NL_STOP;
}

static int vpnecmp_intr_cb(struct nl_msg *msg, void *arg)
{
	struct vpnecmp_run *run = arg;

	(void)msg;
	run->interrupted = true;
	return NL_OK;
}

static int vpnecmp_valid_cb(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *hdr = nlmsg_hdr(msg);
	struct nlattr *tb[VPNECMP_A_MAX + 1];
	struct vpnecmp_run *run = arg;
	struct genlmsghdr *ghdr;
	int ret;

	if (hdr->nlmsg_type != run->family)
		return NL_SKIP;
	if (genlmsg_parse(hdr, 0, tb, VPNECMP_A_MAX, vpnecmp_top_policy) < 0) {
		run->malformed = true;
		return NL_SKIP;
	}
	ghdr = genlmsg_hdr(hdr);
	ret = run->fn ? run->fn(ghdr->cmd, tb, run->arg) : 0;
	if (ret < 0) {
		run->err = ret;
		run->reported = true;
		run->done = true;
		return NL_STOP;
	}
	return NL_OK;
}

static int vpnecmp_no_seq_check_cb(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return NL_OK;
}

static struct nl_cb *vpnecmp_cb_new(struct vpnecmp_run *run, bool ntf)
{
	struct nl_cb *cb;

	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb)
		vpnecmp_oom();
	/*
	 * Notifications carry sequence number 0.  The socket's own callback
	 * set is not used here, so nl_socket_disable_seq_check() would not do.
	 */
	if (ntf)
		nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, vpnecmp_no_seq_check_cb, NULL);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, vpnecmp_valid_cb, run);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, vpnecmp_ack_cb, run);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, vpnecmp_finish_cb, run);
	nl_cb_set(cb, NL_CB_DUMP_INTR, NL_CB_CUSTOM, vpnecmp_intr_cb, run);
	nl_cb_err(cb, NL_CB_CUSTOM, vpnecmp_err_cb, run);
	return cb;
}

static void vpnecmp_run_report(const struct vpnecmp_run *run)
{
	if (run->malformed)
		fprintf(stderr, "Warning: ignored a malformed message from the kernel\n");
	if (run->interrupted)
		fprintf(stderr, "Warning: the dump was interrupted and may be inconsistent\n");
	if (!run->err || run->reported || !run->kernel_err)
		return;
	if (run->msg[0])
		fprintf(stderr, "Error: %s: %s\n", run->msg, strerror(-run->err));
	else if (run->miss_type >= 0)
		fprintf(stderr, "Error: missing attribute type %d: %s\n",
			run->miss_type, strerror(-run->err));
	else
		fprintf(stderr, "Error: %s\n", strerror(-run->err));
}

int vpnecmp_req_run(struct vpnecmp_req *req, vpnecmp_reply_fn fn, void *arg)
{
	struct vpnecmp_run run = {
		.family = req->nl->family,
		.fn = fn,
		.arg = arg,
		.miss_type = -1,
	};
	struct nl_sock *sk = req->nl->sk;
	struct nl_cb *cb;
	int ret;

	if (!req->err && req->depth)
		req->err = -EINVAL;
	if (req->err) {
		fprintf(stderr, "Error: cannot build the request: %s\n", strerror(-req->err));
		ret = req->err;
		goto out;
	}

	cb = vpnecmp_cb_new(&run, false);
	ret = nl_send_auto(sk, req->msg);
	if (ret < 0) {
		fprintf(stderr, "Error: cannot send the request: %s\n", nl_geterror(ret));
		ret = -EIO;
		goto out_cb;
	}

	while (!run.done) {
		ret = nl_recvmsgs(sk, cb);
		if (ret < 0 && !run.done) {
			fprintf(stderr, "Error: netlink: %s\n", nl_geterror(ret));
			run.err = -EIO;
			break;
		}
	}
	vpnecmp_run_report(&run);
	ret = run.err;
	if (!ret && run.malformed)
		ret = -EBADMSG;

out_cb:
	nl_cb_put(cb);
out:
	nlmsg_free(req->msg);
	free(req);
	return ret;
}

int vpnecmp_nl_subscribe(struct vpnecmp_nl *nl)
{
	int grp, ret;

	grp = genl_ctrl_resolve_grp(nl->sk, VPNECMP_GENL_NAME, VPNECMP_MCGRP_EVENTS);
	if (grp < 0) {
		fprintf(stderr, "Error: cannot resolve multicast group \"%s\": %s\n",
			VPNECMP_MCGRP_EVENTS, nl_geterror(grp));
		return -ENOENT;
	}
	ret = nl_socket_add_membership(nl->sk, grp);
	if (ret < 0) {
		fprintf(stderr, "Error: cannot join multicast group \"%s\": %s\n",
			VPNECMP_MCGRP_EVENTS, nl_geterror(ret));
		return -EPERM;
	}
	nl_socket_set_nonblocking(nl->sk);
	/* A burst of failovers must not overrun the default buffer. */
	nl_socket_set_buffer_size(nl->sk, 1 << 20, 0);
	return 0;
}

int vpnecmp_nl_fd(const struct vpnecmp_nl *nl)
{
	return nl_socket_get_fd(nl->sk);
}

int vpnecmp_nl_read(struct vpnecmp_nl *nl, vpnecmp_reply_fn fn, void *arg)
{
	struct vpnecmp_run run = {
		.family = nl->family,
		.fn = fn,
		.arg = arg,
		.miss_type = -1,
	};
	struct nl_cb *cb;
	int ret;

	cb = vpnecmp_cb_new(&run, true);
	ret = nl_recvmsgs(nl->sk, cb);
	nl_cb_put(cb);

	if (run.reported)
		return run.err;
	if (run.malformed)
		fprintf(stderr, "Warning: ignored a malformed notification\n");
	if (ret == -NLE_AGAIN || ret >= 0)
		return 0;
	if (ret == -NLE_NOMEM) {
		/* ENOBUFS: the kernel dropped notifications for us. */
		fprintf(stderr, "Warning: receive buffer overrun, events were lost\n");
		return 0;
	}
	fprintf(stderr, "Error: netlink: %s\n", nl_geterror(ret));
	return -EIO;
}

int vpnecmp_nl_parse(struct nlattr **tb, enum vpnecmp_nest kind, const struct nlattr *nest)
{
	if (nla_parse_nested(tb, vpnecmp_nests[kind].maxtype, (struct nlattr *)nest,
			     vpnecmp_nests[kind].policy) < 0)
		return -EBADMSG;
	return 0;
}

static const char *vpnecmp_nla_str_safe(const struct nlattr *a)
{
	const char *s = nla_data(a);
	int len = nla_len(a);

	return len > 0 && s[len - 1] == '\0' ? s : NULL;
}

/*
 * MEMBERS is documented as a "nest of VPNECMP_MEMBER_A": read the usual
 * array of nests (one nest per member, any type), and also the flat form
 * where each NHID starts a new member, so either encoding of the kernel
 * side shows correctly.
 */
int vpnecmp_nl_members(const struct nlattr *nest, vpnecmp_member_fn fn, void *arg)
{
	struct nlattr *tb[VPNECMP_MEMBER_A_MAX + 1];
	struct vpnecmp_member m = { 0 };
	bool flat = false, open = false;
	struct nlattr *pos;
	int rem, n = 0;

	nla_for_each_nested(pos, (struct nlattr *)nest, rem) {
		if (!n && !open && !(pos->nla_type & NLA_F_NESTED) &&
		    nla_type(pos) == VPNECMP_MEMBER_A_NHID && nla_len(pos) == 4)
			flat = true;

		if (flat) {
			switch (nla_type(pos)) {
			case VPNECMP_MEMBER_A_NHID:
				if (nla_len(pos) < 4)
					return -EBADMSG;
				if (open) {
					fn(&m, arg);
					n++;
				}
				memset(&m, 0, sizeof(m));
				m.nhid = nla_get_u32(pos);
				open = true;
				break;
			case VPNECMP_MEMBER_A_WEIGHT:
				if (!open || nla_len(pos) < 4)
					return -EBADMSG;
				m.weight = nla_get_u32(pos);
				m.has_weight = true;
				break;
			case VPNECMP_MEMBER_A_PATH:
				if (!open)
					return -EBADMSG;
				m.path = vpnecmp_nla_str_safe(pos);
				break;
			}
			continue;
		}

		if (nla_parse_nested(tb, VPNECMP_MEMBER_A_MAX, pos, vpnecmp_member_policy) < 0 ||
		    !tb[VPNECMP_MEMBER_A_NHID])
			return -EBADMSG;
		memset(&m, 0, sizeof(m));
		m.nhid = nla_get_u32(tb[VPNECMP_MEMBER_A_NHID]);
		if (tb[VPNECMP_MEMBER_A_WEIGHT]) {
			m.weight = nla_get_u32(tb[VPNECMP_MEMBER_A_WEIGHT]);
			m.has_weight = true;
		}
		if (tb[VPNECMP_MEMBER_A_PATH])
			m.path = nla_get_string(tb[VPNECMP_MEMBER_A_PATH]);
		fn(&m, arg);
		n++;
	}
	if (open) {
		fn(&m, arg);
		n++;
	}
	return n;
}

uint8_t vpnecmp_attr_u8(const struct nlattr *a)
{
	return nla_get_u8(a);
}

uint32_t vpnecmp_attr_u32(const struct nlattr *a)
{
	return nla_get_u32(a);
}

int32_t vpnecmp_attr_s32(const struct nlattr *a)
{
	return (int32_t)nla_get_u32(a);
}

uint64_t vpnecmp_attr_u64(const struct nlattr *a)
{
	return nla_get_u64(a);
}

const char *vpnecmp_attr_str(const struct nlattr *a)
{
	return nla_get_string(a);
}

const void *vpnecmp_attr_data(const struct nlattr *a)
{
	return nla_data(a);
}

struct vpnecmp_ctrl {
	struct nl_sock *sk;
	int what;
};

static int vpnecmp_ctrl_cb(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[CTRL_ATTR_MAX + 1];
	struct nlmsghdr *hdr = nlmsg_hdr(msg);
	struct vpnecmp_ctrl *ctrl = arg;
	struct genlmsghdr *ghdr;

	if (genlmsg_parse(hdr, 0, tb, CTRL_ATTR_MAX, NULL) < 0 ||
	    !tb[CTRL_ATTR_FAMILY_NAME] ||
	    strcmp(nla_get_string(tb[CTRL_ATTR_FAMILY_NAME]), VPNECMP_GENL_NAME))
		return NL_SKIP;
	ghdr = nlmsg_data(hdr);
	if (ghdr->cmd == CTRL_CMD_NEWFAMILY)
		ctrl->what |= VPNECMP_CTRL_NEW;
	else if (ghdr->cmd == CTRL_CMD_DELFAMILY)
		ctrl->what |= VPNECMP_CTRL_GONE;
	return NL_OK;
}

struct vpnecmp_ctrl *vpnecmp_ctrl_open(void)
{
	struct vpnecmp_ctrl *ctrl;
	int grp;

	ctrl = calloc(1, sizeof(*ctrl));
	if (!ctrl)
		vpnecmp_oom();
	ctrl->sk = nl_socket_alloc();
	if (!ctrl->sk)
		vpnecmp_oom();
	if (genl_connect(ctrl->sk) < 0)
		goto err;
	grp = genl_ctrl_resolve_grp(ctrl->sk, "nlctrl", "notify");
	if (grp < 0 || nl_socket_add_membership(ctrl->sk, grp) < 0)
		goto err;
	nl_socket_disable_seq_check(ctrl->sk);
	nl_socket_modify_cb(ctrl->sk, NL_CB_VALID, NL_CB_CUSTOM, vpnecmp_ctrl_cb, ctrl);
	nl_socket_set_nonblocking(ctrl->sk);
	return ctrl;
err:
	fprintf(stderr, "Error: cannot follow the generic netlink controller\n");
	vpnecmp_ctrl_close(ctrl);
	return NULL;
}

void vpnecmp_ctrl_close(struct vpnecmp_ctrl *ctrl)
{
	if (!ctrl)
		return;
	nl_socket_free(ctrl->sk);
	free(ctrl);
}

int vpnecmp_ctrl_fd(const struct vpnecmp_ctrl *ctrl)
{
	return nl_socket_get_fd(ctrl->sk);
}

/* Asked on a socket of its own: replies must not mix with notifications. */
bool vpnecmp_ctrl_present(struct vpnecmp_ctrl *ctrl)
{
	struct nl_sock *sk = nl_socket_alloc();
	bool ret = false;

	(void)ctrl;
	if (!sk)
		vpnecmp_oom();
	if (!genl_connect(sk))
		ret = genl_ctrl_resolve(sk, VPNECMP_GENL_NAME) >= 0;
	nl_socket_free(sk);
	return ret;
}

int vpnecmp_ctrl_read(struct vpnecmp_ctrl *ctrl)
{
	int what;

	ctrl->what = 0;
	/* until EAGAIN; an overrun only means we look again */
	while (nl_recvmsgs_default(ctrl->sk) >= 0)
		;
	what = ctrl->what;
	/*
	 * Whatever happened (unloaded and loaded again, or the other way
	 * round, before we looked), what counts is whether it is there now:
	 * start over from the state the module is in.
	 */
	if (what)
		what = VPNECMP_CTRL_GONE |
		       (vpnecmp_ctrl_present(ctrl) ? VPNECMP_CTRL_NEW : 0);
	return what;
}
