// SPDX-License-Identifier: GPL-2.0
/*
 * vpnecmp daemon: the BMP feeder, a BGP Monitoring Protocol collector
 * (RFC 7854) for BGP speakers that keep what they learn to themselves.
 *
 * FRR's bgpd (started with "-M bmp") connects to us ("bmp connect") and
 * pushes, per BGP neighbor, Peer Up and Peer Down notifications and Route
 * Monitoring messages: the BGP UPDATEs it received, after its inbound
 * policy (post-policy, the L flag), first as a dump of its table closed by
 * an End-of-RIB per neighbor, then as they arrive.  The bgp signal of a
 * path whose bgp line names a neighbor is up while that neighbor's session
 * is up and it has sent at least one route (inside one of the path's
 * prefixes, if any).  A session that BFD brings down is a Peer Down like any
 * other: the path leaves within BFD's detection time, not the hold timer.
 *
 * The daemon listens (TCP, non-blocking, loopback by default) and never
 * writes to bgpd: BMP flows one way.  Only routes of the configured
 * neighbors that match their path's prefixes are kept (a VPN's few
 * prefixes), so a full table from another neighbor costs a parse, not
 * memory.  Until a session's table dump is over (its End-of-RIB, or 10 s),
 * a neighbor with no route yet is not reported down: its routes may be
 * still on their way.  A session that closes takes its neighbors' routes
 * with it, and their paths down: nobody tells us about BGP any more.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "daemon.h"

#define BMP_MAX_CONNS	4
#define BMP_HDR_LEN	6	/* version, length, type */
#define BMP_PEER_LEN	42	/* the per-peer header */
#define BMP_BGP_HDR_LEN	19	/* marker, length, type */
#define BMP_MSG_MAX	(1U << 20)
#define BMP_READ_MAX	65536
#define BMP_BATCH	64	/* reads per wake-up and session */
#define BMP_SYNC_MS	10000	/* no End-of-RIB within: say what we know */

enum {
	BMP_ROUTE_MONITORING,
	BMP_STATISTICS,
	BMP_PEER_DOWN,
	BMP_PEER_UP,
	BMP_INITIATION,
	BMP_TERMINATION,
	BMP_ROUTE_MIRRORING,
};

#define BMP_PEER_FLAG_V	0x80	/* IPv6 peer address */
#define BMP_PEER_FLAG_L	0x40	/* post-policy Adj-RIB-In */
#define BMP_PEER_FLAG_O	0x10	/* Adj-RIB-Out (RFC 8671) */

#define BGP_UPDATE	2
#define BGP_ATTR_EXTLEN	0x10
#define BGP_MP_REACH	14
#define BGP_MP_UNREACH	15

/* A neighbor bgpd told us about on one session. */
struct bmp_peer {
	struct vpnecmp_addr addr;
	bool up;
	bool live;		/* came up after the session's dump: nothing pending */
	char why[64];		/* of the last Peer Down */
};

struct bmp_conn {
	int fd;			/* -1: free slot */
	char name[INET6_ADDRSTRLEN + 8];
	unsigned char *buf;
	size_t len, cap;
	struct bmp_peer *peers;
	unsigned int npeers;
	unsigned int eor;	/* End-of-RIB seen: 1 IPv4, 2 IPv6 */
	bool timed_out;		/* no End-of-RIB in BMP_SYNC_MS */
	uint64_t sync_by;
};

/* A route kept: of a configured neighbor, inside its path's prefixes. */
struct bmp_route {
	int conn;
	struct vpnecmp_addr peer;
	uint8_t family;
	uint8_t len;
	unsigned char dst[16];
};

static struct vd_conf *bmp_conf;
static int bmp_lfd = -1;
static struct bmp_conn bmp_conns[BMP_MAX_CONNS] = {
	[0 ... BMP_MAX_CONNS - 1] = { .fd = -1 },
};
static struct bmp_route *bmp_routes;
static unsigned int bmp_nroutes, bmp_cap;
static unsigned int *bmp_count;		/* per path of bmp_conf */

static bool addr_eq(const struct vpnecmp_addr *a, const struct vpnecmp_addr *b)
{
	if (a->family != b->family)
		return false;
	if (a->family == AF_INET)
		return a->v4.s_addr == b->v4.s_addr;
	return !memcmp(&a->v6, &b->v6, sizeof(a->v6));
}

static uint16_t get16(const unsigned char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static unsigned int family_bit(int family)
{
	return family == AF_INET ? 1 : 2;
}

/* What path p's neighbor looks like across the sessions, then its signal. */
static void bmp_report(struct vd_path *p, unsigned int count)
{
	char why[192], a[INET6_ADDRSTRLEN];
	const struct bmp_peer *down = NULL;
	bool known = false, up = false, settled = false;
	unsigned int need = 0;

	for (unsigned int i = 0; i < p->bgp_nprefix; i++)
		need |= family_bit(p->bgp_prefix[i].addr.family);
	for (unsigned int c = 0; c < BMP_MAX_CONNS; c++) {
		const struct bmp_conn *conn = &bmp_conns[c];

		for (unsigned int i = 0; conn->fd >= 0 && i < conn->npeers; i++) {
			const struct bmp_peer *peer = &conn->peers[i];

			if (!addr_eq(&peer->addr, &p->bgp_neighbor))
				continue;
			known = true;
			if (!peer->up) {
				down = peer;
				continue;
			}
			up = true;
			if (peer->live || conn->timed_out ||
			    (need ? (conn->eor & need) == need : conn->eor != 0))
				settled = true;
		}
	}
	if (!known)
		return;
	vd_addr_str(&p->bgp_neighbor, a, sizeof(a));
	if (!up) {
		snprintf(why, sizeof(why), "BGP session with %s down: %s", a, down->why);
		vd_signal(p, VPNECMP_SIGNAL_BGP, false, why);
	} else if (count) {
		snprintf(why, sizeof(why), "%u route%s from %s", count, count == 1 ? "" : "s", a);
		vd_signal(p, VPNECMP_SIGNAL_BGP, true, why);
	} else if (settled) {
		snprintf(why, sizeof(why), "BGP session with %s up, no route received", a);
		vd_signal(p, VPNECMP_SIGNAL_BGP, false, why);
	}
}

static void bmp_report_peer(const struct vpnecmp_addr *peer)
{
	for (unsigned int i = 0; i < bmp_conf->npaths; i++) {
		struct vd_path *p = &bmp_conf->paths[i];

		if (addr_eq(&p->bgp_neighbor, peer))
			bmp_report(p, bmp_count[i]);
	}
}

static void bmp_report_all(void)
{
	for (unsigned int i = 0; i < bmp_conf->npaths; i++)
		if (bmp_conf->paths[i].bgp_neighbor.family)
			bmp_report(&bmp_conf->paths[i], bmp_count[i]);
}

/* Move the counts of the paths route r matches; true if one did. */
static bool bmp_account(const struct bmp_route *r, int delta)
{
	bool any = false;

	for (unsigned int i = 0; i < bmp_conf->npaths; i++) {
		struct vd_path *p = &bmp_conf->paths[i];

		if (!addr_eq(&p->bgp_neighbor, &r->peer) ||
		    !vd_prefix_match(p, r->family, r->dst, r->len))
			continue;
		any = true;
		if (delta < 0 && !bmp_count[i])
			continue;
		bmp_count[i] += (unsigned int)delta;
	}
	return any;
}

static int bmp_route_find(const struct bmp_route *r)
{
	for (unsigned int i = 0; i < bmp_nroutes; i++) {
		const struct bmp_route *o = &bmp_routes[i];

		if (o->conn == r->conn && o->family == r->family && o->len == r->len &&
		    addr_eq(&o->peer, &r->peer) && !memcmp(o->dst, r->dst, sizeof(o->dst)))
			return (int)i;
	}
	return -1;
}

static void bmp_route_remove_at(unsigned int i)
{
	struct bmp_route r = bmp_routes[i];

	bmp_routes[i] = bmp_routes[--bmp_nroutes];
	bmp_account(&r, -1);
}

static void bmp_route(const struct bmp_route *r, bool add)
{
	int i = bmp_route_find(r);

	if (!add) {
		if (i >= 0)
			bmp_route_remove_at((unsigned int)i);
		return;
	}
	if (i >= 0)
		return;		/* an implicit replace: still one route */
	if (bmp_nroutes == bmp_cap) {
		unsigned int cap = bmp_cap ? bmp_cap * 2 : 64;
		void *n = realloc(bmp_routes, cap * sizeof(*bmp_routes));

		if (!n) {
			vd_log(2, "bmp: out of memory for the routes");
			return;
		}
		bmp_routes = n;
		bmp_cap = cap;
	}
	if (bmp_account(r, 1))
		bmp_routes[bmp_nroutes++] = *r;
}

/* Every route of a session's neighbor goes (peer NULL: of every neighbor). */
static void bmp_forget(int conn, const struct vpnecmp_addr *peer)
{
	for (unsigned int i = 0; i < bmp_nroutes;) {
		if (bmp_routes[i].conn == conn && (!peer || addr_eq(&bmp_routes[i].peer, peer)))
			bmp_route_remove_at(i);
		else
			i++;
	}
}

static bool bmp_watched(const struct vpnecmp_addr *peer)
{
	for (unsigned int i = 0; i < bmp_conf->npaths; i++)
		if (addr_eq(&bmp_conf->paths[i].bgp_neighbor, peer))
			return true;
	return false;
}

static struct bmp_peer *bmp_peer_get(struct bmp_conn *conn, const struct vpnecmp_addr *addr)
{
	struct bmp_peer *n;

	for (unsigned int i = 0; i < conn->npeers; i++)
		if (addr_eq(&conn->peers[i].addr, addr))
			return &conn->peers[i];
	n = realloc(conn->peers, (conn->npeers + 1) * sizeof(*n));
	if (!n)
		return NULL;
	conn->peers = n;
	n = &conn->peers[conn->npeers++];
	memset(n, 0, sizeof(*n));
	n->addr = *addr;
	snprintf(n->why, sizeof(n->why), "no Peer Up from bgpd yet");
	return n;
}

/*
 * BGP prefixes (length byte, then the bytes it needs) of one family, added
 * or withdrawn for peer; false if they overrun their field.
 */
static bool bmp_prefixes(int conn, const struct vpnecmp_addr *peer, int family,
			 const unsigned char *p, size_t n, bool add)
{
	unsigned int max = family == AF_INET ? 32 : 128;

	while (n) {
		struct bmp_route r = { .conn = conn, .peer = *peer, .family = (uint8_t)family };
		unsigned int bits = p[0], bytes = (bits + 7) / 8;

		if (bits > max || n < 1 + bytes)
			return false;
		r.len = (uint8_t)bits;
		memcpy(r.dst, p + 1, bytes);
		if (bits % 8)
			r.dst[bytes - 1] &= (unsigned char)(0xff00 >> (bits % 8));
		bmp_route(&r, add);
		p += 1 + bytes;
		n -= 1 + bytes;
	}
	return true;
}

/* One multiprotocol attribute (RFC 4760): IPv4 and IPv6 unicast only. */
static bool bmp_mp(int conn, const struct vpnecmp_addr *peer, const unsigned char *a, size_t n,
		   bool reach, unsigned int *eor)
{
	uint16_t afi;
	int family;

	if (n < 3)
		return false;
	afi = get16(a);
	if (a[2] != 1 || (afi != 1 && afi != 2))
		return true;	/* not unicast: none of ours */
	family = afi == 1 ? AF_INET : AF_INET6;
	if (reach) {
		size_t nh;

		if (n < 4 || n < 5 + (size_t)a[3])
			return false;
		nh = a[3];
		return bmp_prefixes(conn, peer, family, a + 5 + nh, n - 5 - nh, true);
	}
	if (n == 3)
		*eor |= family_bit(family);
	return bmp_prefixes(conn, peer, family, a + 3, n - 3, false);
}

/* A Route Monitoring message's BGP UPDATE; false if it is malformed. */
static bool bmp_update(struct bmp_conn *conn, const struct vpnecmp_addr *peer,
		       const unsigned char *m, size_t n)
{
	int c = (int)(conn - bmp_conns);
	unsigned int eor = 0;
	size_t wlen, alen, blen;

	if (n < BMP_BGP_HDR_LEN + 4 || m[18] != BGP_UPDATE)
		return n >= BMP_BGP_HDR_LEN;	/* not an UPDATE: nothing for us */
	blen = get16(m + 16);
	if (blen < BMP_BGP_HDR_LEN + 4 || blen > n)
		return false;
	m += BMP_BGP_HDR_LEN;
	n = blen - BMP_BGP_HDR_LEN;
	wlen = get16(m);
	if (n < 4 + wlen)
		return false;
	alen = get16(m + 2 + wlen);
	if (n < 4 + wlen + alen)
		return false;
	if (!wlen && !alen && n == 4)
		eor |= 1;
	if (!bmp_prefixes(c, peer, AF_INET, m + 2, wlen, false))
		return false;
	for (const unsigned char *a = m + 4 + wlen, *end = a + alen; a < end;) {
		size_t hl = 3, len;

		if (end - a < 3)
			return false;
		if (a[0] & BGP_ATTR_EXTLEN) {
			if (end - a < 4)
				return false;
			hl = 4;
			len = get16(a + 2);
		} else {
			len = a[2];
		}
		if ((size_t)(end - a) < hl + len)
			return false;
		if ((a[1] == BGP_MP_REACH || a[1] == BGP_MP_UNREACH) &&
		    !bmp_mp(c, peer, a + hl, len, a[1] == BGP_MP_REACH, &eor))
			return false;
		a += hl + len;
	}
	if (!bmp_prefixes(c, peer, AF_INET, m + 4 + wlen + alen, n - 4 - wlen - alen, true))
		return false;
	if (eor && (conn->eor | eor) != conn->eor) {
		conn->eor |= eor;
		vd_log(6, "bmp: %s: table dump over (End-of-RIB, %s)", conn->name,
		       eor & 1 ? "IPv4" : "IPv6");
		bmp_report_all();
		return true;
	}
	bmp_report_peer(peer);
	return true;
}

static const char *bmp_down_why(uint8_t reason, const unsigned char *d, size_t n)
{
	static char buf[64];

	switch (reason) {
	case 1:
		return "closed here with a NOTIFICATION";
	case 2:
		snprintf(buf, sizeof(buf), "closed here (FSM event %u)", n >= 2 ? get16(d) : 0);
		return buf;
	case 3:
		if (n >= BMP_BGP_HDR_LEN + 2) {
			snprintf(buf, sizeof(buf), "NOTIFICATION %u/%u from the neighbor",
				 d[BMP_BGP_HDR_LEN], d[BMP_BGP_HDR_LEN + 1]);
			return buf;
		}
		return "NOTIFICATION from the neighbor";
	case 4:
		return "closed by the neighbor";
	case 5:
		return "peer de-configured";
	}
	snprintf(buf, sizeof(buf), "BMP Peer Down reason %u", reason);
	return buf;
}

/* One whole message of length n; false: the session is to be closed. */
static bool bmp_message(struct bmp_conn *conn, const unsigned char *m, size_t n)
{
	char a[INET6_ADDRSTRLEN];
	struct bmp_peer *peer;
	struct vpnecmp_addr addr = { 0 };
	uint8_t type = m[5], flags;

	m += BMP_HDR_LEN;
	n -= BMP_HDR_LEN;
	switch (type) {
	case BMP_INITIATION:
		while (n >= 4 && n >= 4 + (size_t)get16(m + 2)) {
			size_t l = get16(m + 2);

			if (get16(m) == 1 || get16(m) == 2)	/* sysDescr, sysName */
				vd_log(6, "bmp: %s: %s %.*s", conn->name,
				       get16(m) == 1 ? "speaker" : "name", (int)l, m + 4);
			m += 4 + l;
			n -= 4 + l;
		}
		return true;
	case BMP_TERMINATION:
		vd_log(4, "bmp: %s: the speaker ends the session", conn->name);
		return false;
	case BMP_ROUTE_MONITORING:
	case BMP_PEER_DOWN:
	case BMP_PEER_UP:
		break;
	default:
		return true;	/* statistics, route mirroring: not ours */
	}
	if (n < BMP_PEER_LEN)
		return false;
	/* global instance peers only: Loc-RIB and RD instances are not tunnels */
	if (m[0] != 0)
		return true;
	flags = m[1];
	if (flags & BMP_PEER_FLAG_V) {
		addr.family = AF_INET6;
		memcpy(&addr.v6, m + 10, 16);
	} else {
		addr.family = AF_INET;
		memcpy(&addr.v4, m + 22, 4);
	}
	if (!bmp_watched(&addr))
		return true;
	vd_addr_str(&addr, a, sizeof(a));
	peer = bmp_peer_get(conn, &addr);
	if (!peer) {
		vd_log(2, "bmp: out of memory");
		return false;
	}
	m += BMP_PEER_LEN;
	n -= BMP_PEER_LEN;
	switch (type) {
	case BMP_PEER_UP:
		if (!peer->up)
			vd_log(6, "bmp: %s: BGP session with %s (AS %u) up", conn->name, a,
			       get32(m - BMP_PEER_LEN + 26));
		peer->up = true;
		peer->live = conn->eor != 0;
		bmp_report_peer(&addr);
		return true;
	case BMP_PEER_DOWN:
		snprintf(peer->why, sizeof(peer->why), "%s",
			 bmp_down_why(n ? m[0] : 0, m + 1, n ? n - 1 : 0));
		if (peer->up)
			vd_log(5, "bmp: %s: BGP session with %s down (%s)", conn->name, a,
			       peer->why);
		peer->up = false;
		bmp_forget((int)(conn - bmp_conns), &addr);
		bmp_report_peer(&addr);
		return true;
	}
	/* Route Monitoring: the Adj-RIB-In after the inbound policy only */
	if (!(flags & BMP_PEER_FLAG_L) || (flags & BMP_PEER_FLAG_O))
		return true;
	if (!bmp_update(conn, &addr, m, n)) {
		vd_log(4, "bmp: %s: malformed UPDATE for %s", conn->name, a);
		return false;
	}
	return true;
}

static void bmp_conn_close(struct bmp_conn *conn, bool report)
{
	int c = (int)(conn - bmp_conns);

	if (conn->fd < 0)
		return;
	close(conn->fd);
	for (unsigned int i = 0; i < conn->npeers; i++) {
		conn->peers[i].up = false;
		snprintf(conn->peers[i].why, sizeof(conn->peers[i].why),
			 "the BMP session from bgpd closed");
	}
	bmp_forget(c, NULL);
	if (report)
		bmp_report_all();
	free(conn->buf);
	free(conn->peers);
	memset(conn, 0, sizeof(*conn));
	conn->fd = -1;
}

static void bmp_accept(void)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct bmp_conn *conn = NULL;
	char a[INET6_ADDRSTRLEN] = "?";
	int fd;

	fd = accept4(bmp_lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			vd_log(3, "bmp: accept: %s", strerror(errno));
		return;
	}
	for (unsigned int i = 0; i < BMP_MAX_CONNS; i++)
		if (bmp_conns[i].fd < 0) {
			conn = &bmp_conns[i];
			break;
		}
	if (ss.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, a, sizeof(a));
	else if (ss.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, a, sizeof(a));
	if (!conn) {
		vd_log(4, "bmp: %s: refused, %d sessions already", a, BMP_MAX_CONNS);
		close(fd);
		return;
	}
	conn->fd = fd;
	snprintf(conn->name, sizeof(conn->name), "%s:%u", a,
		 ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port :
			 ((struct sockaddr_in6 *)&ss)->sin6_port));
	conn->sync_by = vd_now_ms() + BMP_SYNC_MS;
	vd_log(6, "bmp: session from %s", conn->name);
}

/* Read what the session has, up to a batch; false: closed. */
static bool bmp_conn_read(struct bmp_conn *conn)
{
	for (unsigned int b = 0; b < BMP_BATCH; b++) {
		size_t off = 0;
		ssize_t n;

		if (conn->cap - conn->len < BMP_READ_MAX) {
			size_t cap = conn->len + BMP_READ_MAX;
			void *p = realloc(conn->buf, cap);

			if (!p) {
				vd_log(2, "bmp: out of memory");
				return false;
			}
			conn->buf = p;
			conn->cap = cap;
		}
		n = recv(conn->fd, conn->buf + conn->len, BMP_READ_MAX, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return true;
		if (n <= 0) {
			vd_log(4, "bmp: %s: session closed%s%s", conn->name, n ? ": " : "",
			       n ? strerror(errno) : "");
			return false;
		}
		conn->len += (size_t)n;
		while (conn->len - off >= BMP_HDR_LEN) {
			const unsigned char *m = conn->buf + off;
			uint32_t len = get32(m + 1);

			if (m[0] != 3 || len < BMP_HDR_LEN || len > BMP_MSG_MAX) {
				vd_log(4, "bmp: %s: not BMP version 3 (version %u, length %u)",
				       conn->name, m[0], len);
				return false;
			}
			if (conn->len - off < len)
				break;
			if (!bmp_message(conn, m, len))
				return false;
			off += len;
		}
		memmove(conn->buf, conn->buf + off, conn->len - off);
		conn->len -= off;
	}
	return true;
}

static int bmp_listen(const struct vd_conf *conf)
{
	struct sockaddr_storage ss = { 0 };
	char a[INET6_ADDRSTRLEN];
	socklen_t sl;
	int one = 1;

	bmp_lfd = socket(conf->bmp_listen.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (bmp_lfd < 0)
		return -errno;
	setsockopt(bmp_lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (conf->bmp_listen.family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)&ss;

		s->sin_family = AF_INET;
		s->sin_addr = conf->bmp_listen.v4;
		s->sin_port = htons(conf->bmp_port);
		sl = sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;

		s->sin6_family = AF_INET6;
		s->sin6_addr = conf->bmp_listen.v6;
		s->sin6_port = htons(conf->bmp_port);
		sl = sizeof(*s);
	}
	vd_addr_str(&conf->bmp_listen, a, sizeof(a));
	if (bind(bmp_lfd, (struct sockaddr *)&ss, sl) || listen(bmp_lfd, BMP_MAX_CONNS)) {
		int err = -errno;

		vd_log(3, "bmp: cannot listen on %s port %u: %s", a, conf->bmp_port,
		       strerror(-err));
		return err;
	}
	vd_log(6, "bmp: listening on %s port %u", a, conf->bmp_port);
	return 0;
}

/* Quietly: a reload closes and reopens, bgpd connects again. */
static void bmp_close(void)
{
	for (unsigned int i = 0; i < BMP_MAX_CONNS; i++)
		bmp_conn_close(&bmp_conns[i], false);
	if (bmp_lfd >= 0)
		close(bmp_lfd);
	bmp_lfd = -1;
	free(bmp_routes);
	free(bmp_count);
	bmp_routes = NULL;
	bmp_count = NULL;
	bmp_nroutes = bmp_cap = 0;
}

static int bmp_open(struct vd_conf *conf)
{
	int ret;

	bmp_conf = conf;
	if (!conf->bmp)
		return 0;
	bmp_count = calloc(conf->npaths, sizeof(*bmp_count));
	if (!bmp_count) {
		vd_log(3, "bmp: out of memory");
		return -ENOMEM;
	}
	ret = bmp_listen(conf);
	if (ret)
		bmp_close();
	return ret;
}

static int bmp_fds(int *fds, int max)
{
	int n = 0;

	if (bmp_lfd < 0)
		return 0;
	if (n < max)
		fds[n++] = bmp_lfd;
	for (unsigned int i = 0; i < BMP_MAX_CONNS && n < max; i++)
		if (bmp_conns[i].fd >= 0)
			fds[n++] = bmp_conns[i].fd;
	return n;
}

static void bmp_handle(int fd)
{
	if (fd == bmp_lfd) {
		bmp_accept();
		return;
	}
	for (unsigned int i = 0; i < BMP_MAX_CONNS; i++)
		if (bmp_conns[i].fd == fd && !bmp_conn_read(&bmp_conns[i]))
			bmp_conn_close(&bmp_conns[i], true);
}

/* The end of a session's table dump that never said so. */
static uint64_t bmp_deadline(void)
{
	uint64_t d = 0;

	for (unsigned int i = 0; i < BMP_MAX_CONNS; i++) {
		const struct bmp_conn *c = &bmp_conns[i];

		if (c->fd >= 0 && !c->eor && !c->timed_out && (!d || c->sync_by < d))
			d = c->sync_by;
	}
	return d;
}

static void bmp_timer(uint64_t now)
{
	bool any = false;

	for (unsigned int i = 0; i < BMP_MAX_CONNS; i++) {
		struct bmp_conn *c = &bmp_conns[i];

		if (c->fd < 0 || c->eor || c->timed_out || c->sync_by > now)
			continue;
		vd_log(4, "bmp: %s: no End-of-RIB %d s after connecting (is \"bmp monitor ipv4 unicast post-policy\" configured?)",
		       c->name, BMP_SYNC_MS / 1000);
		c->timed_out = true;
		any = true;
	}
	if (any)
		bmp_report_all();
}

const struct vd_feeder vd_feeder_bmp = {
	.name = "bmp",
	.open = bmp_open,
	.close = bmp_close,
	.fds = bmp_fds,
	.handle = bmp_handle,
	.deadline = bmp_deadline,
	.timer = bmp_timer,
};
