// SPDX-License-Identifier: GPL-2.0
/*
 * udaemon - the best userspace alternative to vpnecmp.ko we could write,
 * for the latency benchmark (contender "c").  One process, SCHED_OTHER at
 * its default priority, no fork/exec, no library: it subscribes to the XFRM
 * SA and EXPIRE multicast groups, counts the valid outbound SAs of each
 * tunnel, and when a tunnel's count goes to or from zero it replaces the
 * nexthop group with one RTM_NEWNEXTHOP, picked from messages built at
 * start-up (one per member set).  The ACK is read without blocking after
 * the send (the kernel has handled the request when sendto returns).
 *
 *   udaemon GID mpath|resilient NHID:SRC:DST:MARK:IFID...
 *
 * It starts from a dump of the SAs, prints "ready" once subscribed and runs
 * until killed.  With no tunnel up it keeps the last member (the kernel
 * deletes an empty group), as vpnecmp's "all-down keep".
 */
#include <poll.h>

#include "nlnl.h"

#define MAXP 6
#define MAXSA 64

struct tunnel {
	uint32_t nhid, mark, if_id;
	struct in_addr src, dst;
	uint32_t spi[MAXSA];
	int nsa;
};

static struct tunnel tun[MAXP];
static int ntun;
static struct nlmsg prebuilt[1 << MAXP];

static struct tunnel *match(const struct xfrm_usersa_info *p,
			    const struct nlattr *a, int len)
{
	uint32_t mark = 0, if_id = 0;
	int i;

	if (p->family != AF_INET || p->id.proto != IPPROTO_ESP)
		return NULL;
	for (; len >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= len;
	     len -= NLA_ALIGN(a->nla_len),
	     a = (const void *)((const char *)a + NLA_ALIGN(a->nla_len))) {
		const void *d = (const char *)a + NLA_HDRLEN;

		if (a->nla_type == XFRMA_MARK) {
			const struct xfrm_mark *m = d;

			mark = m->v & m->m;
		} else if (a->nla_type == XFRMA_IF_ID) {
			if_id = *(const uint32_t *)d;
		}
	}
	for (i = 0; i < ntun; i++)
		if (tun[i].src.s_addr == p->saddr.a4 &&
		    tun[i].dst.s_addr == p->id.daddr.a4 &&
		    tun[i].mark == mark && tun[i].if_id == if_id)
			return &tun[i];
	return NULL;
}

static void sa_set(struct tunnel *t, uint32_t spi, int present)
{
	int i;

	for (i = 0; i < t->nsa; i++)
		if (t->spi[i] == spi)
			break;
	if (present && i == t->nsa && t->nsa < MAXSA)
		t->spi[t->nsa++] = spi;
	else if (!present && i < t->nsa)
		t->spi[i] = t->spi[--t->nsa];
}

/* One XFRM message: update the SA sets. */
static void handle(const struct nlmsghdr *h)
{
	const struct xfrm_usersa_info *p = NULL;
	const struct nlattr *attrs = NULL;
	int present = 0, alen = 0, i;
	struct tunnel *t;

	switch (h->nlmsg_type) {
	case XFRM_MSG_NEWSA:
	case XFRM_MSG_UPDSA:
		p = NLMSG_DATA(h);
		attrs = (const void *)((const char *)p + NLMSG_ALIGN(sizeof(*p)));
		alen = h->nlmsg_len - NLMSG_SPACE(sizeof(*p));
		present = 1;
		break;
	case XFRM_MSG_DELSA: {
		const struct xfrm_usersa_id *id = NLMSG_DATA(h);
		const struct nlattr *a = (const void *)((const char *)id +
						NLMSG_ALIGN(sizeof(*id)));

		/* The whole SA follows as XFRMA_SA, then its attributes. */
		if (a->nla_type != XFRMA_SA)
			return;
		p = (const void *)((const char *)a + NLA_HDRLEN);
		attrs = (const void *)((const char *)a + NLA_ALIGN(a->nla_len));
		alen = h->nlmsg_len - NLMSG_SPACE(sizeof(*id)) -
		       NLA_ALIGN(a->nla_len);
		break;
	}
	case XFRM_MSG_EXPIRE: {
		const struct xfrm_user_expire *e = NLMSG_DATA(h);

		if (!e->hard)
			return;
		p = &e->state;
		attrs = (const void *)((const char *)e + NLMSG_ALIGN(sizeof(*e)));
		alen = h->nlmsg_len - NLMSG_SPACE(sizeof(*e));
		break;
	}
	case XFRM_MSG_FLUSHSA:
		for (i = 0; i < ntun; i++)
			tun[i].nsa = 0;
		return;
	default:
		return;
	}
	t = match(p, attrs, alen);
	if (t)
		sa_set(t, p->id.spi, present);
}

static unsigned int upset(void)
{
	unsigned int s = 0;
	int i;

	for (i = 0; i < ntun; i++)
		if (tun[i].nsa)
			s |= 1u << i;
	return s;
}

static void dump(int fd)
{
	char buf[65536];
	struct nlmsg m;
	ssize_t n;

	nl_init(&m, XFRM_MSG_GETSA, NLM_F_DUMP, 0);
	if (nl_send(fd, &m)) {
		perror("xfrm dump");
		exit(1);
	}
	for (;;) {
		struct nlmsghdr *h;

		n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			return;
		for (h = (void *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR)
				return;
			handle(h);
		}
	}
}

int main(int argc, char **argv)
{
	unsigned int applied, s, last = 0;
	uint16_t type;
	int xfd, rfd, i, j;
	uint32_t gid;

	if (argc < 4 || argc - 3 > MAXP) {
		fprintf(stderr, "usage: udaemon GID mpath|resilient NHID:SRC:DST:MARK:IFID... (up to %d)\n",
			MAXP);
		return 2;
	}
	gid = strtoul(argv[1], NULL, 0);
	type = strcmp(argv[2], "resilient") ? NEXTHOP_GRP_TYPE_MPATH :
					       NEXTHOP_GRP_TYPE_RES;
	for (i = 3; i < argc; i++) {
		char src[64], dst[64];
		struct tunnel *t = &tun[ntun++];

		if (sscanf(argv[i], "%u:%63[^:]:%63[^:]:%u:%u", &t->nhid, src, dst,
			   &t->mark, &t->if_id) != 5 ||
		    !inet_aton(src, &t->src) || !inet_aton(dst, &t->dst)) {
			fprintf(stderr, "udaemon: bad tunnel '%s'\n", argv[i]);
			return 2;
		}
	}
	/* Every member set, built once. */
	for (s = 1; s < 1u << ntun; s++) {
		uint32_t ids[MAXP];
		int n = 0;

		for (j = 0; j < ntun; j++)
			if (s & (1u << j))
				ids[n++] = tun[j].nhid;
		nh_replace_msg(&prebuilt[s], gid, ids, n, type, 1);
	}

	xfd = nl_socket(NETLINK_XFRM, 0);
	nl_join(xfd, XFRMNLGRP_SA);
	nl_join(xfd, XFRMNLGRP_EXPIRE);
	rfd = nl_socket(NETLINK_ROUTE, 0);
	{
		int dfd = nl_socket(NETLINK_XFRM, 0);

		dump(dfd);
		close(dfd);
	}
	applied = upset();
	last = applied ? applied : 1;
	printf("ready\n");
	fflush(stdout);

	for (;;) {
		char buf[NLBUF * 4];
		struct nlmsghdr *h;
		ssize_t n;
		int err;

		n = recv(xfd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == ENOBUFS) {
				/* Lost events: start again from a dump. */
				int dfd = nl_socket(NETLINK_XFRM, 0);

				for (i = 0; i < ntun; i++)
					tun[i].nsa = 0;
				dump(dfd);
				close(dfd);
			} else if (errno != EINTR) {
				perror("recv");
				return 1;
			}
		}
		for (h = (void *)buf; n > 0 && NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n))
			handle(h);
		s = upset();
		if (s == applied)
			continue;
		applied = s;
		if (!s)
			s = last;	/* all down: keep the last member */
		if (s == last)
			continue;
		last = s;
		err = nl_send(rfd, &prebuilt[s]);
		if (!err) {
			char ack[NLBUF];

			n = recv(rfd, ack, sizeof(ack), MSG_DONTWAIT);
			if (n > 0 && ((struct nlmsghdr *)ack)->nlmsg_type == NLMSG_ERROR)
				err = ((struct nlmsgerr *)NLMSG_DATA((struct nlmsghdr *)ack))->error;
		}
		if (err)
			fprintf(stderr, "udaemon: replace of %u failed: %s\n", gid,
				strerror(-err));
	}
}
