/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The generic netlink transport.  nl.c is the only file that uses libnl;
 * obj.c builds the group, path and signal requests and reads the answers
 * for the CLI and the daemon alike through these helpers, and everyone sees
 * attributes only as struct nlattr from <linux/netlink.h>.
 */
#ifndef _VPNECMP_NL_H
#define _VPNECMP_NL_H

#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <linux/netlink.h>
#include <linux/vpnecmp.h>

struct vpnecmp_nl;
struct vpnecmp_req;

/* The attribute spaces of the family, for vpnecmp_nl_parse(). */
enum vpnecmp_nest {
	VPNECMP_NEST_INFO,	/* VPNECMP_INFO_A_*, tb[VPNECMP_INFO_A_MAX + 1] */
	VPNECMP_NEST_GROUP,	/* VPNECMP_GROUP_A_* */
	VPNECMP_NEST_PATH,	/* VPNECMP_PATH_A_* */
	VPNECMP_NEST_STATS,	/* VPNECMP_STATS_A_* */
	VPNECMP_NEST_NTF,	/* VPNECMP_NTF_A_* */
};

/* One entry of a MEMBERS nest; path is NULL for the fallback nexthop. */
struct vpnecmp_member {
	uint32_t nhid;
	uint32_t weight;
	bool has_weight;
	const char *path;
};

/* Reply and notification handler: tb is indexed by VPNECMP_A_*. */
typedef int (*vpnecmp_reply_fn)(uint8_t cmd, struct nlattr **tb, void *arg);
typedef void (*vpnecmp_member_fn)(const struct vpnecmp_member *m, void *arg);

/*
 * Socket and family.  Errors are printed; NULL means exit status 1.
 */
struct vpnecmp_nl *vpnecmp_nl_open(void);
/* What to do when the module is not loaded (printed by vpnecmp_nl_open). */
void vpnecmp_module_hint(FILE *f, const char *release, const char *moddir,
			 const char *dkmsdir);
void vpnecmp_nl_close(struct vpnecmp_nl *nl);

/*
 * Requests.  Put errors are remembered and reported by vpnecmp_req_run(),
 * which sends the request, calls fn for every reply message, waits for the
 * ACK or the end of the dump and frees the request.  It returns 0, or a
 * negative errno after printing the error (kernel extack included).
 */
struct vpnecmp_req *vpnecmp_req_new(struct vpnecmp_nl *nl, uint8_t cmd, bool dump);
void vpnecmp_req_nest_start(struct vpnecmp_req *req, int type);
void vpnecmp_req_nest_end(struct vpnecmp_req *req);
void vpnecmp_req_put_u8(struct vpnecmp_req *req, int type, uint8_t v);
void vpnecmp_req_put_u32(struct vpnecmp_req *req, int type, uint32_t v);
void vpnecmp_req_put_string(struct vpnecmp_req *req, int type, const char *s);
void vpnecmp_req_put_data(struct vpnecmp_req *req, int type, const void *d, int len);
int vpnecmp_req_run(struct vpnecmp_req *req, vpnecmp_reply_fn fn, void *arg);

/*
 * Notifications: join the "events" multicast group, then call
 * vpnecmp_nl_read() whenever vpnecmp_nl_fd() is readable.  vpnecmp_nl_read()
 * never blocks; it returns 0 or a negative errno (printed).
 */
int vpnecmp_nl_subscribe(struct vpnecmp_nl *nl);
int vpnecmp_nl_fd(const struct vpnecmp_nl *nl);
int vpnecmp_nl_read(struct vpnecmp_nl *nl, vpnecmp_reply_fn fn, void *arg);

/* Attributes.  vpnecmp_nl_parse() returns 0 or -EBADMSG. */
int vpnecmp_nl_parse(struct nlattr **tb, enum vpnecmp_nest kind, const struct nlattr *nest);
int vpnecmp_nl_members(const struct nlattr *nest, vpnecmp_member_fn fn, void *arg);
uint8_t vpnecmp_attr_u8(const struct nlattr *a);
uint32_t vpnecmp_attr_u32(const struct nlattr *a);
int32_t vpnecmp_attr_s32(const struct nlattr *a);
uint64_t vpnecmp_attr_u64(const struct nlattr *a);
const char *vpnecmp_attr_str(const struct nlattr *a);
const void *vpnecmp_attr_data(const struct nlattr *a);

/*
 * The generic netlink controller's notifications, to follow the module
 * being loaded and unloaded.  vpnecmp_ctrl_read() drains what is queued
 * and returns VPNECMP_CTRL_* bits for the vpnecmp family.
 */
struct vpnecmp_ctrl;

#define VPNECMP_CTRL_NEW	1	/* the family was registered */
#define VPNECMP_CTRL_GONE	2	/* the family was unregistered */

struct vpnecmp_ctrl *vpnecmp_ctrl_open(void);
void vpnecmp_ctrl_close(struct vpnecmp_ctrl *ctrl);
int vpnecmp_ctrl_fd(const struct vpnecmp_ctrl *ctrl);
bool vpnecmp_ctrl_present(struct vpnecmp_ctrl *ctrl);
int vpnecmp_ctrl_read(struct vpnecmp_ctrl *ctrl);

#endif /* _VPNECMP_NL_H */
