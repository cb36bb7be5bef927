// SPDX-License-Identifier: GPL-2.0
/*
 * vpnecmp daemon: the configuration file (see Documentation/daemon.rst).
 *
 * One statement per line, words separated by blanks, '#' to the end of the
 * line is a comment:
 *
 *   group NAME nhid NHID [type mpath|resilient] [all-down keep|fallback NHID]
 *         [preempt on|off] [hold-up MS]
 *   path NAME group GROUP dev DEV nhid NHID local ADDR remote ADDR
 *        [mark MARK | if-id IFID] [weight W] [tier T] [signals LIST] [hold-up MS]
 *   strongswan [socket PATH] [on-pull none|restart|terminate]
 *   libreswan [socket PATH] [whack PATH]
 *   ike PATH conn IKE_SA [child CHILD_SA]
 *   bgp PATH table TABLE|neighbor ADDR [prefix PREFIX]...
 *   bmp [listen ADDR] [port PORT]
 *   probe PATH icmp|udp ADDR [port PORT] [source ADDR] [interval MS]
 *         [multiplier K | lost K of N] [up M] [measure N]
 *         [sla-rtt MS] [sla-loss PCT] [sla-recovery MS] [sla-tier T]
 *         [passive on|off]
 *   metrics FILE
 *   vrrp-track-file FILE group GROUP weight N
 *   empty
 *
 * Words follow the command line's rules (util.c): numbers are decimal ("010"
 * is ten), "0x" hex only for mark and if-id; group and path names are
 * [A-Za-z0-9_.-]; a keyword given twice on a line is an error ("prefix"
 * excepted).  A file without any group or path is refused unless it has the
 * line "empty": applying it deletes every group and path of the namespace,
 * which nobody should get from a truncated file.  A device that does not
 * exist yet is not an error: the daemon waits for it.
 *
 * A file is checked whole before anything is applied: the first error names
 * the file, the line and the offending word (in err, nothing is printed
 * here), and nothing changes.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "daemon.h"

#define VD_MAX_WORDS	64

struct vd_parser {
	const char *file;
	int line;
	int argc;
	char *argv[VD_MAX_WORDS];
	int i;		/* next word */
	const char *keys[VD_MAX_WORDS];	/* keywords seen on this line */
	int nkeys;
	char *err;	/* the first error, "FILE:LINE: what" */
	size_t errlen;
	bool failed;
};

static void vd_perr(struct vd_parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void vd_perr(struct vd_parser *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->failed)
		return;
	p->failed = true;
	if (!p->errlen)
		return;
	n = p->line ? snprintf(p->err, p->errlen, "%s:%d: ", p->file, p->line) :
		      snprintf(p->err, p->errlen, "%s: ", p->file);
	if (n < 0 || (size_t)n >= p->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

const char *vd_addr_str(const struct vpnecmp_addr *a, char *buf, size_t len)
{
	if (!a->family || !inet_ntop(a->family, &a->v6, buf, len))
		snprintf(buf, len, "-");
	return buf;
}

/* The value of keyword argv[i - 1], or an error. */
static const char *vd_value(struct vd_parser *p, const char *key)
{
	if (p->i >= p->argc) {
		vd_perr(p, "\"%s\" needs a value", key);
		return NULL;
	}
	return p->argv[p->i++];
}

/*
 * The next keyword of a statement; a keyword already given on this line is
 * an error, as on the command line ("prefix" is a list).
 */
static const char *vd_key(struct vd_parser *p)
{
	const char *key = p->argv[p->i++];

	if (strcmp(key, "prefix")) {
		for (int j = 0; j < p->nkeys; j++) {
			if (strcmp(p->keys[j], key))
				continue;
			vd_perr(p, "duplicate \"%s\": \"%s\" is the second value", key,
				p->i < p->argc ? p->argv[p->i] : "");
			return NULL;
		}
	}
	p->keys[p->nkeys++] = key;
	return key;
}

static int vd_num(struct vd_parser *p, const char *key, uint32_t min, uint32_t max,
		  bool hex, uint32_t *out)
{
	const char *s = vd_value(p, key);
	char why[128];
	int err;

	if (!s)
		return -1;
	err = vpnecmp_parse_u32(s, min, max, hex, out);
	if (err) {
		vd_perr(p, "argument \"%s\" is wrong: %s", s,
			vpnecmp_u32_error(err, key, min, max, why, sizeof(why)));
		return -1;
	}
	return 0;
}

static int vd_u32(struct vd_parser *p, const char *key, uint32_t min, uint32_t max,
		  uint32_t *out)
{
	return vd_num(p, key, min, max, false, out);
}

/* Free-form names (devices, strongSwan's): one word that fits. */
static int vd_name(struct vd_parser *p, const char *s, const char *what, char *out,
		   size_t len)
{
	size_t n = strlen(s);

	if (!n || n >= len) {
		vd_perr(p, "\"%s\" is not a valid %s name (1..%zu characters)", s, what,
			len - 1);
		return -1;
	}
	memcpy(out, s, n + 1);
	return 0;
}

/* Group and path names: the command line's and the module's rule. */
static int vd_obj_name(struct vd_parser *p, const char *s, const char *what, char *out,
		       size_t len)
{
	char why[128];

	if (vpnecmp_check_name(s, what, why, sizeof(why))) {
		vd_perr(p, "argument \"%s\" is wrong: %s", s, why);
		return -1;
	}
	return vd_name(p, s, what, out, len);
}

static int vd_addr(struct vd_parser *p, const char *key, struct vpnecmp_addr *a)
{
	const char *s = vd_value(p, key);

	if (!s)
		return -1;
	if (inet_pton(AF_INET, s, &a->v4) == 1) {
		a->family = AF_INET;
	} else if (inet_pton(AF_INET6, s, &a->v6) == 1) {
		a->family = AF_INET6;
	} else {
		vd_perr(p, "\"%s\" is not an IPv4 or IPv6 address (%s)", s, key);
		return -1;
	}
	return 0;
}

static int vd_prefix(struct vd_parser *p, struct vd_prefix *pfx)
{
	const char *s = vd_value(p, "prefix");
	char buf[INET6_ADDRSTRLEN + 4];
	unsigned long len;
	char *slash, *end;

	if (!s)
		return -1;
	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (inet_pton(AF_INET, buf, &pfx->addr.v4) == 1)
		pfx->addr.family = AF_INET;
	else if (inet_pton(AF_INET6, buf, &pfx->addr.v6) == 1)
		pfx->addr.family = AF_INET6;
	else
		goto bad;
	len = pfx->addr.family == AF_INET ? 32 : 128;
	if (slash) {
		unsigned long max = len;

		len = strtoul(slash + 1, &end, 10);
		if (!isdigit((unsigned char)slash[1]) || *end || len > max)
			goto bad;
	}
	pfx->len = (unsigned int)len;
	return 0;
bad:
	vd_perr(p, "\"%s\" is not a valid prefix", s);
	return -1;
}

static int vd_onoff(struct vd_parser *p, const char *key, bool *out)
{
	const char *s = vd_value(p, key);

	if (!s)
		return -1;
	if (!strcmp(s, "on")) {
		*out = true;
	} else if (!strcmp(s, "off")) {
		*out = false;
	} else {
		vd_perr(p, "\"%s\": %s must be \"on\" or \"off\"", s, key);
		return -1;
	}
	return 0;
}

static struct vd_group *vd_conf_group(struct vd_conf *conf, const char *name)
{
	for (unsigned int i = 0; i < conf->ngroups; i++)
		if (!strcmp(conf->groups[i].name, name))
			return &conf->groups[i];
	return NULL;
}

struct vd_path *vd_conf_path(struct vd_conf *conf, const char *name)
{
	for (unsigned int i = 0; i < conf->npaths; i++)
		if (!strcmp(conf->paths[i].name, name))
			return &conf->paths[i];
	return NULL;
}

/* One more element, zeroed, at arr[n]; NULL (arr kept) if out of memory. */
static void *vd_grow(struct vd_parser *p, void *arr, unsigned int n, size_t size)
{
	void *a = realloc(arr, (n + 1) * size);

	if (!a) {
		vd_perr(p, "out of memory");
		return NULL;
	}
	memset((char *)a + n * size, 0, size);
	return a;
}

static int vd_parse_group(struct vd_parser *p, struct vd_conf *conf)
{
	bool has_nhid = false;
	struct vd_group *g;
	const char *s;

	if (p->i >= p->argc) {
		vd_perr(p, "\"group\" needs a NAME");
		return -1;
	}
	g = vd_grow(p, conf->groups, conf->ngroups, sizeof(*g));
	if (!g)
		return -1;
	conf->groups = g;
	g = &conf->groups[conf->ngroups];
	g->line = p->line;
	g->preempt = true;
	g->track_written = -1;
	g->hold_up = VD_HOLD_UP_MS;
	if (vd_obj_name(p, p->argv[p->i++], "group", g->name, sizeof(g->name)))
		return -1;
	if (vd_conf_group(conf, g->name)) {
		vd_perr(p, "\"%s\": group defined twice", g->name);
		return -1;
	}
	conf->ngroups++;

	while (p->i < p->argc) {
		const char *key = vd_key(p);

		if (!key)
			return -1;

		if (!strcmp(key, "nhid")) {
			if (vd_u32(p, key, 1, UINT32_MAX, &g->nhid))
				return -1;
			has_nhid = true;
		} else if (!strcmp(key, "type")) {
			s = vd_value(p, key);
			if (!s)
				return -1;
			if (!strcmp(s, "mpath")) {
				g->type = VPNECMP_GROUP_MPATH;
			} else if (!strcmp(s, "resilient")) {
				g->type = VPNECMP_GROUP_RESILIENT;
			} else {
				vd_perr(p, "\"%s\": type must be \"mpath\" or \"resilient\"", s);
				return -1;
			}
			g->has_type = true;
		} else if (!strcmp(key, "all-down")) {
			s = vd_value(p, key);
			if (!s)
				return -1;
			if (!strcmp(s, "keep")) {
				g->all_down = VPNECMP_ALL_DOWN_KEEP;
			} else if (!strcmp(s, "fallback")) {
				g->all_down = VPNECMP_ALL_DOWN_FALLBACK;
				if (vd_u32(p, "fallback", 1, UINT32_MAX, &g->fallback))
					return -1;
			} else {
				vd_perr(p, "\"%s\": all-down must be \"keep\" or \"fallback NHID\"",
					s);
				return -1;
			}
		} else if (!strcmp(key, "preempt")) {
			if (vd_onoff(p, key, &g->preempt))
				return -1;
		} else if (!strcmp(key, "hold-up")) {
			if (vd_u32(p, key, 0, VPNECMP_HOLD_UP_MAX_MS, &g->hold_up))
				return -1;
		} else {
			vd_perr(p, "\"%s\": unknown keyword for a group", key);
			return -1;
		}
	}
	if (!has_nhid) {
		vd_perr(p, "group \"%s\" needs \"nhid\"", g->name);
		return -1;
	}
	return 0;
}

static int vd_parse_path(struct vd_parser *p, struct vd_conf *conf)
{
	bool has_nhid = false, has_signals = false;
	struct vd_path *path;
	const char *s;

	if (p->i >= p->argc) {
		vd_perr(p, "\"path\" needs a NAME");
		return -1;
	}
	path = vd_grow(p, conf->paths, conf->npaths, sizeof(*path));
	if (!path)
		return -1;
	conf->paths = path;
	path = &conf->paths[conf->npaths];
	path->line = p->line;
	path->weight = 1;
	path->state = -1;
	if (vd_obj_name(p, p->argv[p->i++], "path", path->name, sizeof(path->name)))
		return -1;
	if (vd_conf_path(conf, path->name)) {
		vd_perr(p, "\"%s\": path defined twice", path->name);
		return -1;
	}
	conf->npaths++;

	while (p->i < p->argc) {
		const char *key = vd_key(p);

		if (!key)
			return -1;

		if (!strcmp(key, "group")) {
			s = vd_value(p, key);
			if (!s || vd_obj_name(p, s, "group", path->group, sizeof(path->group)))
				return -1;
		} else if (!strcmp(key, "dev")) {
			s = vd_value(p, key);
			if (!s || vd_name(p, s, "device", path->dev, sizeof(path->dev)))
				return -1;
		} else if (!strcmp(key, "nhid")) {
			if (vd_u32(p, key, 1, UINT32_MAX, &path->nhid))
				return -1;
			has_nhid = true;
		} else if (!strcmp(key, "local")) {
			if (vd_addr(p, key, &path->local))
				return -1;
		} else if (!strcmp(key, "remote")) {
			if (vd_addr(p, key, &path->remote))
				return -1;
		} else if (!strcmp(key, "mark")) {
			if (vd_num(p, key, 0, UINT32_MAX, true, &path->mark))
				return -1;
			path->has_mark = true;
		} else if (!strcmp(key, "if-id")) {
			if (vd_num(p, key, 0, UINT32_MAX, true, &path->if_id))
				return -1;
			path->has_if_id = true;
		} else if (!strcmp(key, "weight")) {
			if (vd_u32(p, key, 1, VPNECMP_WEIGHT_MAX, &path->weight))
				return -1;
		} else if (!strcmp(key, "tier")) {
			if (vd_u32(p, key, 0, VPNECMP_TIER_MAX, &path->tier))
				return -1;
		} else if (!strcmp(key, "hold-up")) {
			if (vd_u32(p, key, 0, VPNECMP_HOLD_UP_MAX_MS, &path->hold_up))
				return -1;
			path->has_hold_up = true;
		} else if (!strcmp(key, "signals")) {
			char why[128];

			s = vd_value(p, key);
			if (!s)
				return -1;
			if (vpnecmp_parse_signals(s, &path->signals, why, sizeof(why))) {
				vd_perr(p, "argument \"%s\" is wrong: %s", s, why);
				return -1;
			}
			has_signals = true;
		} else {
			vd_perr(p, "\"%s\": unknown keyword for a path", key);
			return -1;
		}
	}

	if (!path->group[0] || !path->dev[0] || !has_nhid || !path->local.family ||
	    !path->remote.family) {
		vd_perr(p, "path \"%s\" needs group, dev, nhid, local and remote", path->name);
		return -1;
	}
	if (path->local.family != path->remote.family) {
		vd_perr(p, "path \"%s\": local and remote are not of the same family",
			path->name);
		return -1;
	}
	if (path->has_mark && path->has_if_id) {
		vd_perr(p, "path \"%s\": \"mark\" and \"if-id\" are mutually exclusive",
			path->name);
		return -1;
	}
	/* Without "signals", the feeders configured below decide. */
	if (!has_signals)
		path->signals = 1U << VPNECMP_SIGNAL_SA;
	else
		path->signals |= 1U << 31;	/* explicit: checked at the end */
	return 0;
}

static struct vd_path *vd_feeder_path(struct vd_parser *p, struct vd_conf *conf,
				      const char *what)
{
	struct vd_path *path;

	if (p->i >= p->argc) {
		vd_perr(p, "\"%s\" needs a PATH", what);
		return NULL;
	}
	path = vd_conf_path(conf, p->argv[p->i]);
	if (!path) {
		vd_perr(p, "\"%s\": no such path (define it with \"path\" first)",
			p->argv[p->i]);
		return NULL;
	}
	p->i++;
	return path;
}

static int vd_parse_strongswan(struct vd_parser *p, struct vd_conf *conf)
{
	const char *s;

	conf->strongswan = true;
	conf->strongswan_line = p->line;
	while (p->i < p->argc) {
		const char *key = vd_key(p);

		if (!key)
			return -1;

		if (!strcmp(key, "socket")) {
			s = vd_value(p, key);
			if (!s)
				return -1;
			if (strlen(s) >= sizeof(conf->vici)) {
				vd_perr(p, "\"%s\": socket path too long", s);
				return -1;
			}
			strcpy(conf->vici, s);
		} else if (!strcmp(key, "on-pull")) {
			s = vd_value(p, key);
			if (!s)
				return -1;
			if (!strcmp(s, "none")) {
				conf->on_pull = VD_ON_PULL_NONE;
			} else if (!strcmp(s, "restart")) {
				conf->on_pull = VD_ON_PULL_RESTART;
			} else if (!strcmp(s, "terminate")) {
				conf->on_pull = VD_ON_PULL_TERMINATE;
			} else {
				vd_perr(p, "\"%s\": on-pull must be none, restart or terminate", s);
				return -1;
			}
		} else {
			vd_perr(p, "\"%s\": unknown keyword for strongswan", key);
			return -1;
		}
	}
	return 0;
}

static int vd_parse_libreswan(struct vd_parser *p, struct vd_conf *conf)
{
	const char *s;

	if (conf->libreswan) {
		vd_perr(p, "\"libreswan\" given twice");
		return -1;
	}
	conf->libreswan = true;
	while (p->i < p->argc) {
		const char *key = vd_key(p);

		if (!key)
			return -1;

		if (!strcmp(key, "socket") || !strcmp(key, "whack")) {
			char *to = key[0] == 's' ? conf->pluto : conf->whack;
			size_t len = key[0] == 's' ? sizeof(conf->pluto) : sizeof(conf->whack);

			s = vd_value(p, key);
			if (!s)
				return -1;
			if (s[0] != '/' || strlen(s) >= len) {
				vd_perr(p, "\"%s\": %s must be an absolute path shorter than %zu",
					s, key, len);
				return -1;
			}
			strcpy(to, s);
		} else {
			vd_perr(p, "\"%s\": unknown keyword for libreswan", key);
			return -1;
		}
	}
	return 0;
}

static int vd_parse_ike(struct vd_parser *p, struct vd_conf *conf)
{
	struct vd_path *path = vd_feeder_path(p, conf, "ike");
	const char *s;

	if (!path)
		return -1;
	if (path->ike[0]) {
		vd_perr(p, "path \"%s\" already has an \"ike\" line", path->name);
		return -1;
	}
	while (p->i < p->argc) {
		const char *key = vd_key(p);

		if (!key)
			return -1;

		if (!strcmp(key, "conn")) {
			s = vd_value(p, key);
			if (!s || vd_name(p, s, "IKE SA", path->ike, sizeof(path->ike)))
				return -1;
		} else if (!strcmp(key, "child")) {
			s = vd_value(p, key);
			if (!s || vd_name(p, s, "CHILD SA", path->child, sizeof(path->child)))
				return -1;
		} else {
			vd_perr(p, "\"%s\": unknown keyword for ike", key);
			return -1;
		}
	}
	if (!path->ike[0]) {
		vd_perr(p, "ike \"%s\" needs \"conn NAME\"", path->name);
		return -1;
	}
	/* charon's, unless the file names libreswan (vd_conf_check) */
	path->ike_line = p->line;
	return 0;
}

static int vd_parse_bgp(struct vd_parser *p, struct vd_conf *conf)
{
	struct vd_path *path = vd_feeder_path(p, conf, "bgp");

	if (!path)
		return -1;
	if (path->bgp_table || path->bgp_neighbor.family) {
		vd_perr(p, "path \"%s\" already has a \"bgp\" line", path->name);
		return -1;
	}
	while (p->i < p->argc) {
		const char *key = vd_key(p);

		if (!key)
			return -1;

		if (!strcmp(key, "table")) {
			/* 253..255 are default, main and local: never the daemon's own */
			if (vd_u32(p, key, 1, 252, &path->bgp_table))
				return -1;
		} else if (!strcmp(key, "neighbor")) {
			if (vd_addr(p, key, &path->bgp_neighbor))
				return -1;
		} else if (!strcmp(key, "prefix")) {
			if (path->bgp_nprefix == VD_MAX_PREFIXES) {
				vd_perr(p, "path \"%s\": at most %d prefixes", path->name,
					VD_MAX_PREFIXES);
				return -1;
			}
			if (vd_prefix(p, &path->bgp_prefix[path->bgp_nprefix]))
				return -1;
			path->bgp_nprefix++;
		} else {
			vd_perr(p, "\"%s\": unknown keyword for bgp", key);
			return -1;
		}
	}
	if (path->bgp_table && path->bgp_neighbor.family) {
		vd_perr(p, "bgp \"%s\": \"table\" and \"neighbor\" are mutually exclusive",
			path->name);
		path->bgp_table = 0;
		return -1;
	}
	if (!path->bgp_table && !path->bgp_neighbor.family) {
		vd_perr(p, "bgp \"%s\" needs \"table TABLE\" or \"neighbor ADDR\"", path->name);
		return -1;
	}
	if (path->bgp_neighbor.family)
		conf->bmp = true;
	return 0;
}

static int vd_parse_bmp(struct vd_parser *p, struct vd_conf *conf)
{
	uint32_t port;

	if (conf->bmp_line) {
		vd_perr(p, "a second \"bmp\" line (the first is line %d)", conf->bmp_line);
		return -1;
	}
	conf->bmp_line = p->line;
	while (p->i < p->argc) {
		const char *key = vd_key(p);

		if (!key)
			return -1;

		if (!strcmp(key, "listen")) {
			if (vd_addr(p, key, &conf->bmp_listen))
				return -1;
		} else if (!strcmp(key, "port")) {
			if (vd_u32(p, key, 1, 65535, &port))
				return -1;
			conf->bmp_port = (uint16_t)port;
		} else {
			vd_perr(p, "\"%s\": unknown keyword for bmp", key);
			return -1;
		}
	}
	return 0;
}

static int vd_parse_probe(struct vd_parser *p, struct vd_conf *conf)
{
	struct vd_path *path = vd_feeder_path(p, conf, "probe");
	bool has_mult = false, has_lost, has_recovery = false;
	const char *s;
	uint32_t v;

	if (!path)
		return -1;
	if (path->probe) {
		vd_perr(p, "path \"%s\" already has a \"probe\" line", path->name);
		return -1;
	}
	s = vd_value(p, "probe PATH");
	if (!s)
		return -1;
	if (!strcmp(s, "icmp")) {
		path->probe = VD_PROBE_ICMP;
	} else if (!strcmp(s, "udp")) {
		path->probe = VD_PROBE_UDP;
		path->probe_port = 7;
	} else {
		vd_perr(p, "\"%s\": probe type must be \"icmp\" or \"udp\"", s);
		return -1;
	}
	if (vd_addr(p, "probe address", &path->probe_dst))
		return -1;
	path->probe_interval = VD_PROBE_INTERVAL_MS;
	path->probe_multiplier = VD_PROBE_MULTIPLIER;
	path->probe_up = VD_PROBE_UP;
	path->probe_measure = VD_MEASURE_WINDOW;
	path->sla_recovery_ms = VD_SLA_RECOVERY_MS;
	has_lost = false;
	while (p->i < p->argc) {
		const char *key = vd_key(p);

		if (!key)
			return -1;

		if (!strcmp(key, "port") && path->probe == VD_PROBE_UDP) {
			if (vd_u32(p, key, 1, 65535, &v))
				return -1;
			path->probe_port = (uint16_t)v;
		} else if (!strcmp(key, "source")) {
			if (vd_addr(p, key, &path->probe_src))
				return -1;
		} else if (!strcmp(key, "interval")) {
			if (vd_u32(p, key, 10, 60000, &path->probe_interval))
				return -1;
		} else if (!strcmp(key, "multiplier")) {
			if (has_lost) {
				vd_perr(p, "\"multiplier\": \"lost K of N\" is given already (multiplier K is lost K of K)");
				return -1;
			}
			if (vd_u32(p, key, 1, 255, &path->probe_multiplier))
				return -1;
			has_mult = true;
		} else if (!strcmp(key, "lost")) {
			if (has_mult) {
				vd_perr(p, "\"lost\": \"multiplier\" is given already (multiplier K is lost K of K)");
				return -1;
			}
			if (vd_u32(p, key, 1, VD_WINDOW_MAX, &path->probe_multiplier))
				return -1;
			s = vd_value(p, "lost K");
			if (!s)
				return -1;
			if (strcmp(s, "of")) {
				vd_perr(p, "\"%s\": expected \"of\" (lost K of N)", s);
				return -1;
			}
			if (vd_u32(p, "N (lost K of N)", 1, VD_WINDOW_MAX, &path->probe_window))
				return -1;
			if (path->probe_window < path->probe_multiplier) {
				vd_perr(p, "\"%u\": lost %u of %u: N must be at least K",
					path->probe_window, path->probe_multiplier,
					path->probe_window);
				return -1;
			}
			has_lost = true;
		} else if (!strcmp(key, "up")) {
			if (vd_u32(p, key, 1, 255, &path->probe_up))
				return -1;
		} else if (!strcmp(key, "measure")) {
			if (vd_u32(p, key, 10, VD_MEASURE_WINDOW, &path->probe_measure))
				return -1;
		} else if (!strcmp(key, "sla-rtt")) {
			if (vd_u32(p, key, 1, 60000, &path->sla_rtt_ms))
				return -1;
		} else if (!strcmp(key, "sla-loss")) {
			if (vd_u32(p, key, 0, 99, &path->sla_loss_pct))
				return -1;
			path->has_sla_loss = true;
		} else if (!strcmp(key, "sla-tier")) {
			if (vd_u32(p, key, 0, VPNECMP_TIER_MAX, &path->sla_tier))
				return -1;
			if (path->sla_tier <= path->tier) {
				vd_perr(p, "\"%u\": sla-tier must be a lower tier (a higher number) than the path's tier %u",
					path->sla_tier, path->tier);
				return -1;
			}
			path->has_sla_tier = true;
		} else if (!strcmp(key, "passive")) {
			if (vd_onoff(p, key, &path->passive))
				return -1;
		} else if (!strcmp(key, "sla-recovery")) {
			if (vd_u32(p, key, 0, VPNECMP_HOLD_UP_MAX_MS, &path->sla_recovery_ms))
				return -1;
			has_recovery = true;
		} else {
			vd_perr(p, "\"%s\": unknown keyword for probe", key);
			return -1;
		}
	}
	if (!has_lost)
		path->probe_window = path->probe_multiplier;	/* K in a row */
	if ((has_recovery || path->has_sla_tier) && !path->sla_rtt_ms && !path->has_sla_loss) {
		vd_perr(p, "probe \"%s\": \"%s\" without \"sla-rtt\" or \"sla-loss\"",
			path->name, has_recovery ? "sla-recovery" : "sla-tier");
		return -1;
	}
	if (path->probe_src.family && path->probe_src.family != path->probe_dst.family) {
		vd_perr(p, "probe \"%s\": source and address are not of the same family",
			path->name);
		return -1;
	}
	return 0;
}

static int vd_parse_metrics(struct vd_parser *p, struct vd_conf *conf)
{
	const char *s;

	if (conf->metrics[0]) {
		vd_perr(p, "\"metrics\" given twice");
		return -1;
	}
	s = vd_value(p, "metrics");
	if (!s)
		return -1;
	if (s[0] != '/' || strlen(s) + sizeof(".tmp") > sizeof(conf->metrics)) {
		vd_perr(p, "\"%s\": metrics needs an absolute file name of at most %zu characters",
			s, sizeof(conf->metrics) - sizeof(".tmp"));
		return -1;
	}
	if (p->i < p->argc) {
		vd_perr(p, "\"%s\": \"metrics\" takes one FILE", p->argv[p->i]);
		return -1;
	}
	strcpy(conf->metrics, s);
	return 0;
}

/*
 * vrrp-track-file FILE group GROUP weight N: the group's state for
 * keepalived's track_file (daemon_vrrp.c).  The group must be defined above.
 */
static int vd_parse_vrrp(struct vd_parser *p, struct vd_conf *conf)
{
	struct vd_group *g = NULL;
	uint32_t weight = 0;
	const char *file, *s;

	file = vd_value(p, "vrrp-track-file");
	if (!file)
		return -1;
	if (file[0] != '/' || strlen(file) >= VD_TRACK_FILE_MAX) {
		vd_perr(p, "\"%s\": the track file must be an absolute path of at most %d characters",
			file, VD_TRACK_FILE_MAX - 1);
		return -1;
	}
	while (p->i < p->argc) {
		const char *key = vd_key(p);

		if (!key)
			return -1;

		if (!strcmp(key, "group")) {
			s = vd_value(p, key);
			if (!s)
				return -1;
			g = vd_conf_group(conf, s);
			if (!g) {
				vd_perr(p, "\"%s\": no such group (define it with \"group\" first)", s);
				return -1;
			}
		} else if (!strcmp(key, "weight")) {
			if (vd_u32(p, key, 1, VD_TRACK_WEIGHT_MAX, &weight))
				return -1;
		} else {
			vd_perr(p, "\"%s\": unknown keyword for vrrp-track-file", key);
			return -1;
		}
	}
	if (!g || !weight) {
		vd_perr(p, "vrrp-track-file \"%s\" needs group and weight", file);
		return -1;
	}
	if (g->track_weight) {
		vd_perr(p, "group \"%s\" already has a track file (line %d)", g->name,
			g->track_line);
		return -1;
	}
	for (unsigned int i = 0; i < conf->ngroups; i++) {
		if (conf->groups[i].track_weight && !strcmp(conf->groups[i].track_file, file)) {
			vd_perr(p, "\"%s\" is already group \"%s\"'s track file (line %d)", file,
				conf->groups[i].name, conf->groups[i].track_line);
			return -1;
		}
	}
	strcpy(g->track_file, file);
	g->track_weight = weight;
	g->track_line = p->line;
	return 0;
}

/* Checks across statements, once the whole file is read. */
static int vd_conf_check(struct vd_parser *p, struct vd_conf *conf)
{
	static const struct {
		const char *what;
		int signal;
	} feeders[] = {
		{ "ike", VPNECMP_SIGNAL_DPD },
		{ "bgp", VPNECMP_SIGNAL_BGP },
		{ "probe", VPNECMP_SIGNAL_PROBE },
	};

	for (unsigned int i = 0; i < conf->ngroups; i++) {
		struct vd_group *g = &conf->groups[i];

		for (unsigned int j = 0; j < i; j++) {
			if (conf->groups[j].nhid == g->nhid) {
				p->line = g->line;
				vd_perr(p, "group \"%s\": nhid %u is already group \"%s\"'s",
					g->name, g->nhid, conf->groups[j].name);
				return -1;
			}
		}
	}
	for (unsigned int i = 0; i < conf->npaths; i++) {
		struct vd_path *path = &conf->paths[i];
		bool explicit = path->signals & (1U << 31);
		bool has[3];

		p->line = path->line;
		if (!vd_conf_group(conf, path->group)) {
			vd_perr(p, "path \"%s\": \"%s\": no such group", path->name, path->group);
			return -1;
		}
		/* a device that does not exist yet is waited for (daemon.c) */
		for (unsigned int j = 0; j < conf->ngroups; j++) {
			if (conf->groups[j].nhid == path->nhid) {
				vd_perr(p, "path \"%s\": nhid %u is group \"%s\"'s", path->name,
					path->nhid, conf->groups[j].name);
				return -1;
			}
		}
		for (unsigned int j = 0; j < i; j++) {
			if (conf->paths[j].nhid == path->nhid) {
				vd_perr(p, "path \"%s\": duplicate nhid %u (path \"%s\" has it)",
					path->name, path->nhid, conf->paths[j].name);
				return -1;
			}
		}
		has[0] = path->ike[0];
		has[1] = path->bgp_table || path->bgp_neighbor.family;
		has[2] = path->probe != VD_PROBE_NONE;
		path->signals &= ~(1U << 31);
		for (unsigned int f = 0; f < 3; f++) {
			uint32_t bit = 1U << feeders[f].signal;

			if (!has[f])
				continue;
			if (!explicit) {
				path->signals |= bit;
			} else if (!(path->signals & bit)) {
				vd_perr(p, "path \"%s\": has a \"%s\" feeder but \"signals\" lacks \"%s\"",
					path->name, feeders[f].what,
					vpnecmp_signal_name(feeders[f].signal));
				return -1;
			}
		}
		path->signals |= 1U << VPNECMP_SIGNAL_ADMIN;
		for (int s = 0; s <= VPNECMP_SIGNAL_MAX; s++)
			path->sig[s] = true;
	}
	/* One IKE daemon feeds the "ike" lines: charon, or pluto if named. */
	if (conf->libreswan && conf->strongswan) {
		p->line = conf->strongswan_line;
		vd_perr(p, "\"strongswan\" in a file that names \"libreswan\": the \"ike\" lines follow one IKE daemon");
		return -1;
	}
	for (unsigned int i = 0; i < conf->npaths; i++) {
		struct vd_path *path = &conf->paths[i];

		if (!path->ike[0])
			continue;
		p->line = path->ike_line;
		if (conf->libreswan && path->child[0]) {
			vd_perr(p, "\"%s\": libreswan has no child names: a connection is one CHILD SA, name it with \"conn\"",
				path->child);
			return -1;
		}
		if (!conf->libreswan)
			conf->strongswan = true;
	}
	if (conf->strongswan && !conf->vici[0])
		strcpy(conf->vici, VD_DEFAULT_VICI);
	if (conf->libreswan && !conf->pluto[0])
		strcpy(conf->pluto, VD_DEFAULT_PLUTO);
	if (conf->libreswan && !conf->whack[0])
		strcpy(conf->whack, VD_DEFAULT_WHACK);
	if (!conf->bmp_listen.family) {
		conf->bmp_listen.family = AF_INET;
		conf->bmp_listen.v4.s_addr = htonl(INADDR_LOOPBACK);
	}
	if (!conf->bmp_port)
		conf->bmp_port = VD_BMP_PORT;
	return 0;
}

const char *vd_signal_source(const struct vd_conf *conf, const struct vd_path *p,
			     unsigned int s)
{
	if (!(p->signals & (1U << s)))
		return NULL;
	switch (s) {
	case VPNECMP_SIGNAL_DPD:
		return !p->ike[0] ? NULL : conf->libreswan ? "libreswan" : "strongswan";
	case VPNECMP_SIGNAL_BGP:
		return p->bgp_table ? "bgp" : NULL;
	case VPNECMP_SIGNAL_PROBE:
		return p->probe != VD_PROBE_NONE ? "probe" : NULL;
	default:
		return NULL;
	}
}

static int vd_split(struct vd_parser *p, char *line)
{
	char *c = strchr(line, '#');

	if (c)
		*c = '\0';
	p->argc = 0;
	p->i = 0;
	p->nkeys = 0;
	for (c = strtok(line, " \t\r\n"); c; c = strtok(NULL, " \t\r\n")) {
		if (p->argc == VD_MAX_WORDS) {
			vd_perr(p, "more than %d words on a line", VD_MAX_WORDS);
			return -1;
		}
		p->argv[p->argc++] = c;
	}
	return 0;
}

int vd_conf_load(const char *file, struct vd_conf *conf, char *err, size_t errlen)
{
	struct vd_parser p = { .file = file, .err = err, .errlen = errlen };
	int ret = 0, empty_line = 0;
	char *line = NULL;
	size_t cap = 0;
	FILE *f;

	memset(conf, 0, sizeof(*conf));
	snprintf(conf->file, sizeof(conf->file), "%s", file);
	if (errlen)
		err[0] = '\0';
	f = fopen(file, "r");
	if (!f) {
		vd_perr(&p, "%s", strerror(errno));
		return -1;
	}
	while (getline(&line, &cap, f) > 0) {
		const char *kw;

		p.line++;
		if (vd_split(&p, line)) {
			ret = -1;
			break;
		}
		if (!p.argc)
			continue;
		kw = p.argv[p.i++];
		if (!strcmp(kw, "group")) {
			ret = vd_parse_group(&p, conf);
		} else if (!strcmp(kw, "path")) {
			ret = vd_parse_path(&p, conf);
		} else if (!strcmp(kw, "strongswan")) {
			ret = vd_parse_strongswan(&p, conf);
		} else if (!strcmp(kw, "libreswan")) {
			ret = vd_parse_libreswan(&p, conf);
		} else if (!strcmp(kw, "ike")) {
			ret = vd_parse_ike(&p, conf);
		} else if (!strcmp(kw, "bgp")) {
			ret = vd_parse_bgp(&p, conf);
		} else if (!strcmp(kw, "bmp")) {
			ret = vd_parse_bmp(&p, conf);
		} else if (!strcmp(kw, "probe")) {
			ret = vd_parse_probe(&p, conf);
		} else if (!strcmp(kw, "metrics")) {
			ret = vd_parse_metrics(&p, conf);
		} else if (!strcmp(kw, "vrrp-track-file")) {
			ret = vd_parse_vrrp(&p, conf);
		} else if (!strcmp(kw, "empty")) {
			if (p.argc > 1) {
				vd_perr(&p, "\"%s\": \"empty\" takes no argument", p.argv[1]);
				ret = -1;
			}
			empty_line = p.line;
		} else {
			vd_perr(&p, "\"%s\": unknown statement (group, path, strongswan, libreswan, ike, bgp, bmp, probe, metrics, vrrp-track-file, empty)",
				kw);
			ret = -1;
		}
		if (ret)
			break;
	}
	free(line);
	fclose(f);
	if (!ret)
		ret = vd_conf_check(&p, conf);
	/*
	 * Applied, a file without groups and paths deletes every group and path
	 * of the namespace: only if it says so.
	 */
	if (!ret && empty_line && (conf->ngroups || conf->npaths)) {
		p.line = empty_line;
		vd_perr(&p, "\"empty\" in a file that defines %s",
			conf->ngroups ? "groups" : "paths");
		ret = -1;
	} else if (!ret && !empty_line && !conf->ngroups && !conf->npaths) {
		p.line = 0;
		vd_perr(&p, "no group and no path: applied, this file would delete every group and path of the namespace; refused (write a line \"empty\" if that is what you mean)");
		ret = -1;
	}
	if (ret)
		vd_conf_free(conf);
	return ret;
}

void vd_conf_free(struct vd_conf *conf)
{
	free(conf->groups);
	free(conf->paths);
	memset(conf, 0, sizeof(*conf));
}

/* Is the route family/dst/len inside one of path's bgp prefixes (or any)? */
bool vd_prefix_match(const struct vd_path *p, int family, const unsigned char *dst,
		     unsigned int len)
{
	if (!p->bgp_nprefix)
		return true;
	for (unsigned int i = 0; i < p->bgp_nprefix; i++) {
		const struct vd_prefix *pfx = &p->bgp_prefix[i];
		const unsigned char *b = (const unsigned char *)&pfx->addr.v6;
		unsigned int bits = pfx->len, bytes = bits / 8;

		if (family != pfx->addr.family || len < pfx->len)
			continue;
		if (memcmp(dst, b, bytes))
			continue;
		if (bits % 8 && ((dst[bytes] ^ b[bytes]) & (0xff00 >> (bits % 8))))
			continue;
		return true;
	}
	return false;
}
