/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Raw netlink helpers shared by the benchmark programs (nlbench, udaemon):
 * message building, the XFRM SA requests of the topology in topo.sh and a
 * few clock helpers.  Header-only: each program is one translation unit.
 */
#ifndef _VPNECMP_BENCH_NLNL_H
#define _VPNECMP_BENCH_NLNL_H

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/nexthop.h>
#include <linux/rtnetlink.h>
#include <linux/xfrm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NLBUF 8192

struct nlmsg {
	union {
		struct nlmsghdr nh;
		char buf[NLBUF];
	};
};

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static inline void nl_init(struct nlmsg *m, int type, int flags, size_t hdr)
{
	memset(m->buf, 0, NLMSG_SPACE(hdr));
	m->nh.nlmsg_len = NLMSG_LENGTH(hdr);
	m->nh.nlmsg_type = type;
	m->nh.nlmsg_flags = NLM_F_REQUEST | flags;
}

static inline void *nl_data(struct nlmsg *m)
{
	return NLMSG_DATA(&m->nh);
}

static inline void *nl_put(struct nlmsg *m, int type, const void *data,
			   size_t len)
{
	struct nlattr *a = (void *)(m->buf + NLMSG_ALIGN(m->nh.nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	if (data)
		memcpy((char *)a + NLA_HDRLEN, data, len);
	else
		memset((char *)a + NLA_HDRLEN, 0, len);
	m->nh.nlmsg_len = NLMSG_ALIGN(m->nh.nlmsg_len) + NLA_ALIGN(a->nla_len);
	return (char *)a + NLA_HDRLEN;
}

static inline void nl_put_u32(struct nlmsg *m, int type, uint32_t v)
{
	nl_put(m, type, &v, sizeof(v));
}

/* nl_socket PROTO GROUPS: a bound socket, or exit with a message. */
static inline int nl_socket(int proto, uint32_t groups)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = groups };
	int fd, rcv = 4 << 20;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, proto);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("netlink socket");
		exit(1);
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	return fd;
}

static inline void nl_join(int fd, unsigned int group)
{
	if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group,
		       sizeof(group)) < 0) {
		perror("NETLINK_ADD_MEMBERSHIP");
		exit(1);
	}
}

static inline int nl_send(int fd, struct nlmsg *m)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	return sendto(fd, m->buf, m->nh.nlmsg_len, 0, (struct sockaddr *)&sa,
		      sizeof(sa)) < 0 ? -errno : 0;
}

/* nl_ack FD: the error code of the next ACK on FD (0 = success). */
static inline int nl_ack(int fd)
{
	char buf[NLBUF];
	ssize_t n;

	for (;;) {
		struct nlmsghdr *h;

		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0)
			return -errno;
		for (h = (void *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n))
			if (h->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
	}
}

/* The AEAD key of topo.sh (rfc4106(gcm(aes)), 160 bits, ICV 128). */
static const unsigned char bench_key[20] = {
	0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23,
	0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67,
};

struct sa_ref {
	struct in_addr src, dst;
	uint32_t spi;		/* host order */
	uint32_t mark;		/* VTI key; 0: none */
	uint32_t if_id;		/* XFRM interface; 0: none */
};

/* An XFRM_MSG_NEWSA as "ip xfrm state add ... mode tunnel aead ..." makes. */
static inline void sa_newmsg(struct nlmsg *m, const struct sa_ref *r)
{
	struct {
		struct xfrm_algo_aead a;
		unsigned char key[sizeof(bench_key)];
	} aead;
	struct xfrm_usersa_info *p;
	struct xfrm_mark mk;

	nl_init(m, XFRM_MSG_NEWSA, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
		sizeof(*p));
	p = nl_data(m);
	p->family = AF_INET;
	p->saddr.a4 = r->src.s_addr;
	p->id.daddr.a4 = r->dst.s_addr;
	p->id.spi = htonl(r->spi);
	p->id.proto = IPPROTO_ESP;
	p->mode = XFRM_MODE_TUNNEL;
	p->sel.family = AF_INET;
	p->lft.soft_byte_limit = XFRM_INF;
	p->lft.hard_byte_limit = XFRM_INF;
	p->lft.soft_packet_limit = XFRM_INF;
	p->lft.hard_packet_limit = XFRM_INF;
	memset(&aead, 0, sizeof(aead));
	strcpy(aead.a.alg_name, "rfc4106(gcm(aes))");
	aead.a.alg_key_len = sizeof(bench_key) * 8;
	aead.a.alg_icv_len = 128;
	memcpy(aead.key, bench_key, sizeof(bench_key));
	nl_put(m, XFRMA_ALG_AEAD, &aead, sizeof(aead));
	if (r->mark) {
		mk.v = r->mark;
		mk.m = 0xffffffff;
		nl_put(m, XFRMA_MARK, &mk, sizeof(mk));
	}
	if (r->if_id)
		nl_put_u32(m, XFRMA_IF_ID, r->if_id);
}

static inline void sa_delmsg(struct nlmsg *m, const struct sa_ref *r)
{
	struct xfrm_usersa_id *id;
	struct xfrm_mark mk;

	nl_init(m, XFRM_MSG_DELSA, NLM_F_ACK, sizeof(*id));
	id = nl_data(m);
	id->daddr.a4 = r->dst.s_addr;
	id->spi = htonl(r->spi);
	id->family = AF_INET;
	id->proto = IPPROTO_ESP;
	nl_put(m, XFRMA_SRCADDR, &r->src, sizeof(xfrm_address_t));
	if (r->mark) {
		mk.v = r->mark;
		mk.m = 0xffffffff;
		nl_put(m, XFRMA_MARK, &mk, sizeof(mk));
	}
}

/*
 * An RTM_NEWNEXTHOP replace of group GID with the N member ids in IDS, of
 * the given NHA_GROUP_TYPE; no ACK unless ACK.
 */
static inline void nh_replace_msg(struct nlmsg *m, uint32_t gid,
				  const uint32_t *ids, int n, uint16_t type,
				  int ack)
{
	struct nexthop_grp *g;
	struct nhmsg *nhm;
	int i;

	nl_init(m, RTM_NEWNEXTHOP, NLM_F_REPLACE | NLM_F_CREATE |
		(ack ? NLM_F_ACK : 0), sizeof(*nhm));
	nhm = nl_data(m);
	nhm->nh_family = AF_UNSPEC;
	nl_put_u32(m, NHA_ID, gid);
	g = nl_put(m, NHA_GROUP, NULL, n * sizeof(*g));
	for (i = 0; i < n; i++)
		g[i].id = ids[i];
	nl_put(m, NHA_GROUP_TYPE, &type, sizeof(type));
}

/*
 * nh_members BUF LEN GID IDS MAX: when the RTM_NEWNEXTHOP message at BUF is
 * about group GID, its member ids into IDS and their number; else -1.
 */
static inline int nh_members(const struct nlmsghdr *h, uint32_t gid,
			     uint32_t *ids, int max)
{
	const struct nhmsg *nhm = NLMSG_DATA(h);
	int len = h->nlmsg_len - NLMSG_LENGTH(sizeof(*nhm));
	const struct nlattr *a = (const void *)((const char *)nhm +
						 NLMSG_ALIGN(sizeof(*nhm)));
	int found = 0, n = 0;

	if (h->nlmsg_type != RTM_NEWNEXTHOP)
		return -1;
	while (len >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
	       a->nla_len <= len) {
		const void *d = (const char *)a + NLA_HDRLEN;
		int dl = a->nla_len - NLA_HDRLEN;

		if ((a->nla_type & NLA_TYPE_MASK) == NHA_ID && dl >= 4)
			found = *(const uint32_t *)d == gid;
		if ((a->nla_type & NLA_TYPE_MASK) == NHA_GROUP) {
			const struct nexthop_grp *g = d;
			int i;

			for (i = 0; i < dl / (int)sizeof(*g) && n < max; i++)
				ids[n++] = g[i].id;
		}
		len -= NLA_ALIGN(a->nla_len);
		a = (const void *)((const char *)a + NLA_ALIGN(a->nla_len));
	}
	return found ? n : -1;
}

#endif
