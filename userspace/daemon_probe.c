// SPDX-License-Identifier: GPL-2.0
/*
 * vpnecmp daemon: liveness probes through each tunnel.
 *
 * Every interval (default 100 ms) one ICMP echo request (or one UDP datagram
 * to an echo service) goes to an address on the far side of the tunnel --
 * the cloud's tunnel inside address answers ICMP -- sent through the
 * tunnel's device, so it takes that tunnel whatever the nexthop group says;
 * only answers that come back through that device count.
 *
 * Loss is counted on probes, not on the clock: each probe carries a
 * sequence number and has until the next one is due (one interval after it
 * left) to be answered.  A probe is judged in order, once its time is up,
 * and only after the socket has been read: an answer that came while the
 * daemon was not running (stopped, or its loop busy elsewhere) is in the
 * socket's buffer and counts.  The probe signal drops after "multiplier"
 * probes in a row that were sent and not answered, and comes back after "up"
 * answers in a row; the path's hold-up then applies in the module as for any
 * signal.  Probes that should have gone out while the daemon was not running
 * are not sent late in a burst: the schedule starts again from now.  So no
 * stall of the daemon, however long, changes a signal: it only delays the
 * verdict.
 *
 * A probe the kernel refuses for a reason of the path (device down, no
 * route: ENETDOWN, EHOSTUNREACH...) counts as sent and lost; one it could not
 * take for a reason of the daemon (socket buffer full: EAGAIN) is not sent
 * and counts for nothing.
 *
 * A probe holds its device's ifindex: ICMP probes share one raw socket per
 * family and name the device per message (IP_PKTINFO), a UDP probe has a
 * socket bound to it.  The link feeder (daemon_link.c) tells
 * vd_probe_link() when a device disappears (the probe signal drops, "device
 * gone") or comes back with a new ifindex (probing through it again; the
 * signal comes back after "up" answers).
 *
 * All sockets are in one epoll set: the main loop polls a single fd however
 * many paths are probed.  Probes of the same interval are sent together.
 *
 * Cost: 1000 / interval requests and as many replies per path and second:
 * 10 + 10 packets of 84 bytes (ICMP, IPv4) per path at the default, before
 * ESP.
 */
/* struct in6_pktinfo */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/icmp6.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon.h"

#ifndef SO_BINDTOIFINDEX
#define SO_BINDTOIFINDEX	62
#endif
#ifndef ICMP_FILTER
#define ICMP_FILTER		1	/* SOL_RAW, <linux/icmp.h> */
#endif

#define PROBE_MAGIC	0x76706e65	/* "vpne" */
/* Probes remembered while waiting for their answer (a power of 2). */
#define PROBE_WINDOW	16
/* epoll data of the shared ICMP sockets; below: a UDP probe's index */
#define PROBE_EV_ICMP4	0xfffffff0U
#define PROBE_EV_ICMP6	0xfffffff1U

struct probe_payload {
	uint32_t magic;
	uint32_t seq;
	uint64_t sent_ms;
};

struct probe_slot {
	uint32_t seq;
	bool answered;
	uint64_t due;		/* vd_now_ms(): answered by then, or lost */
	uint64_t sent_ns;	/* CLOCK_REALTIME, as the kernel's receive stamps */
	uint32_t rtt_us;
};

struct probe {
	struct vd_path *path;
	unsigned int ifindex;	/* the device probed through, 0 while missing */
	int fd;			/* UDP: a socket bound to ifindex; ICMP: -1 */
	uint16_t id;		/* ICMP identifier, unique in this daemon */
	uint32_t seq;		/* last sent */
	uint32_t judged;	/* every probe up to this one is judged */
	struct probe_slot win[PROBE_WINDOW];
	struct vd_verdict v;	/* the signal as the prober decided it */
	struct vd_verdict_conf vc;
	struct vd_measure m;
	/* the default rule (3 in a row, up after 3) on the same probes */
	struct vd_verdict shadow;
	uint64_t shadow_downs;
	uint64_t sla_met_since;	/* degraded, within the SLA since (ms), 0: not */
	uint64_t passive_saves;
	/* passive: the device's rx_packets as last read, and when it last moved */
	bool has_rx;
	uint64_t rx;
	uint64_t rx_moved;	/* vd_now_ms() */
	uint64_t next_send;
	int send_err;		/* last local error of send(), for the log */
	struct sockaddr_storage dst;
	socklen_t dstlen;
	uint64_t sent, received, lost, late;
};

static const struct vd_verdict_conf probe_default_rule = {
	.lost = VD_PROBE_MULTIPLIER,
	.window = VD_PROBE_MULTIPLIER,
	.up = VD_PROBE_UP,
};

static struct probe *probes;
static unsigned int nprobes;
static int probe_epfd = -1;
static int probe_icmp4 = -1, probe_icmp6 = -1;
static uint16_t probe_id_base;
static uint64_t probe_next;	/* cached deadline; may be early, never late */

static uint16_t probe_csum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;

	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (len)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

static socklen_t probe_sockaddr(const struct vpnecmp_addr *a, uint16_t port,
				struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_addr = a->v4;
		sin->sin_port = htons(port);
		return sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = a->v6;
		sin6->sin6_port = htons(port);
		return sizeof(*sin6);
	}
}

static int probe_fail(int fd)
{
	int err = -errno;

	close(fd);
	return err;
}

/*
 * The ICMP socket of a family, shared by every ICMP probe: the kernel hands
 * each ICMP packet to every raw socket of the namespace, so one per path
 * would cost paths x packets.  It sends through a device per message
 * (IP_PKTINFO), gets echo replies only, and says on which device each came.
 * Its buffer holds an answer per path, even if the daemon stops for a while.
 */
static int probe_icmp_socket(int family, unsigned int users)
{
	int fd, one = 1, sz = (int)(users * 4096 > 262144 ? users * 4096 : 262144);

	fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6);
	if (fd < 0)
		return -errno;
	if (family == AF_INET) {
		uint32_t filter = ~(1U << ICMP_ECHOREPLY);

		if (setsockopt(fd, SOL_RAW, ICMP_FILTER, &filter, sizeof(filter)) ||
		    setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)))
			return probe_fail(fd);
	} else {
		struct icmp6_filter f;

		ICMP6_FILTER_SETBLOCKALL(&f);
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
		if (setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f)) ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)))
			return probe_fail(fd);
	}
	/* the round trip ends when the kernel got the answer, not when we read it */
	setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
	/* FORCE needs CAP_NET_ADMIN, which the daemon has */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	return fd;
}

/*
 * A UDP probe's socket, bound to ifindex.  Not connected: connect() needs a
 * route, which a device that was just created does not have yet; sendto()
 * looks it up per probe, and a probe without a route is a probe lost.
 */
static int probe_udp_socket(const struct vd_path *p, unsigned int ifindex)
{
	int family = p->probe_dst.family, fd, idx = (int)ifindex, one = 1;
	struct sockaddr_storage ss;
	socklen_t sl;

	fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* by index: a device re-created under the same name is another one */
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTOIFINDEX, &idx, sizeof(idx)))
		return probe_fail(fd);
	setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
	if (p->probe_src.family) {
		/* the address may come with the device, later */
		if (family == AF_INET)
			setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
		else
			setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one));
		sl = probe_sockaddr(&p->probe_src, 0, &ss);
		if (bind(fd, (struct sockaddr *)&ss, sl))
			return probe_fail(fd);
	}
	return fd;
}

static uint64_t probe_realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void probe_set(struct probe *pr, bool up, const char *why)
{
	if (pr->v.up == up && pr->path->sig[VPNECMP_SIGNAL_PROBE] == up)
		return;
	pr->v.up = up;
	vd_signal(pr->path, VPNECMP_SIGNAL_PROBE, up, why);
}

static void probe_detach(struct probe *pr)
{
	if (pr->fd >= 0) {
		epoll_ctl(probe_epfd, EPOLL_CTL_DEL, pr->fd, NULL);
		close(pr->fd);
	}
	pr->fd = -1;
	pr->ifindex = 0;
	/* forget the probes in flight: they left through a device that is gone */
	pr->judged = pr->seq;
	vd_verdict_reset(&pr->v);
	pr->has_rx = false;	/* another device, another counter */
	pr->rx_moved = 0;
}

/*
 * Probe through the device's current ifindex (0: look the name up).
 * Returns 0, 1 if the device does not exist (the probe waits for it), or a
 * negative errno.
 */
static int probe_attach(struct probe *pr, unsigned int ifindex, uint64_t now)
{
	const struct vd_path *p = pr->path;

	probe_detach(pr);
	if (!ifindex)
		ifindex = if_nametoindex(p->dev);
	if (!ifindex)
		return 1;
	if (p->probe == VD_PROBE_UDP) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)(pr - probes) };
		int fd = probe_udp_socket(p, ifindex);

		if (fd == -ENODEV)
			return 1;
		if (fd < 0)
			return fd;
		if (epoll_ctl(probe_epfd, EPOLL_CTL_ADD, fd, &ev))
			return probe_fail(fd);
		pr->fd = fd;
	}
	pr->ifindex = ifindex;
	pr->dstlen = probe_sockaddr(&p->probe_dst, p->probe == VD_PROBE_UDP ? p->probe_port : 0,
				    &pr->dst);
	pr->next_send = now;
	pr->send_err = 0;
	probe_next = now;
	return 0;
}

/* One ICMP echo request through pr's device, from its source if set. */
static ssize_t probe_send_icmp(const struct probe *pr, const void *buf, size_t len)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} c;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = {
		.msg_name = (void *)&pr->dst,
		.msg_namelen = pr->dstlen,
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = c.buf,
	};
	const struct vd_path *p = pr->path;
	struct cmsghdr *cm;

	memset(&c, 0, sizeof(c));
	if (p->probe_dst.family == AF_INET) {
		struct in_pktinfo pi = { .ipi_ifindex = (int)pr->ifindex };

		if (p->probe_src.family)
			pi.ipi_spec_dst = p->probe_src.v4;
		mh.msg_controllen = CMSG_SPACE(sizeof(pi));
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		return sendmsg(probe_icmp4, &mh, 0);
	} else {
		struct in6_pktinfo pi = { .ipi6_ifindex = pr->ifindex };

		if (p->probe_src.family)
			pi.ipi6_addr = p->probe_src.v6;
		mh.msg_controllen = CMSG_SPACE(sizeof(pi));
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = IPPROTO_IPV6;
		cm->cmsg_type = IPV6_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		return sendmsg(probe_icmp6, &mh, 0);
	}
}

static void probe_send(struct probe *pr, uint64_t now)
{
	struct probe_payload pl = {
		.magic = htonl(PROBE_MAGIC),
		.seq = htonl(pr->seq + 1),
		.sent_ms = now,
	};
	uint32_t interval = pr->path->probe_interval;
	/*
	 * Before the send: over veth the far side may answer (and netem start
	 * delaying the answer) before sendmsg() returns.
	 */
	uint64_t sent_ns = probe_realtime_ns();
	struct probe_slot *s;
	unsigned char buf[64];
	ssize_t n;
	size_t len;

	/* Due again one interval on; after a stall, from now: no burst. */
	pr->next_send += interval;
	if (pr->next_send <= now)
		pr->next_send = now + interval;

	if (pr->path->probe == VD_PROBE_UDP) {
		memcpy(buf, &pl, sizeof(pl));
		len = sizeof(pl);
		n = sendto(pr->fd, buf, len, 0, (const struct sockaddr *)&pr->dst, pr->dstlen);
	} else {
		struct icmphdr h = { 0 };

		/* ICMPv6 echo has the same layout; the kernel sums it */
		h.type = pr->path->probe_dst.family == AF_INET ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
		h.un.echo.id = htons(pr->id);
		h.un.echo.sequence = htons((uint16_t)(pr->seq + 1));
		memcpy(buf, &h, sizeof(h));
		memcpy(buf + sizeof(h), &pl, sizeof(pl));
		len = sizeof(h) + sizeof(pl);
		if (pr->path->probe_dst.family == AF_INET) {
			uint16_t c = probe_csum(buf, len);

			memcpy(buf + offsetof(struct icmphdr, checksum), &c, 2);
		}
		n = probe_send_icmp(pr, buf, len);
	}
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
		      errno == ENOMEM))
		return;		/* not sent: our problem, not the path's */
	/* Sent, or refused for a reason of the path: its answer is awaited. */
	pr->send_err = n < 0 ? errno : 0;
	pr->seq++;
	pr->sent++;
	/* the window never wraps over a probe not judged yet (probe_timer) */
	s = &pr->win[pr->seq % PROBE_WINDOW];
	s->seq = pr->seq;
	s->answered = false;
	/* from the moment it left, even if the daemon stopped since "now" */
	s->due = vd_now_ms() + interval;
	s->sent_ns = sent_ns;
	s->rtt_us = 0;
}

/* Passive: read the device's rx_packets, note when it moved. */
static void probe_rx_read(struct probe *pr, uint64_t now)
{
	uint64_t rx;

	if (!pr->path->passive || !pr->ifindex || !vd_link_rx_packets(pr->ifindex, &rx))
		return;
	if (pr->has_rx && rx != pr->rx)
		pr->rx_moved = now;
	pr->rx = rx;
	pr->has_rx = true;
}

/*
 * Passive liveness: a probe not answered in time, but the tunnel's device
 * received packets within the last interval x K (decrypted inbound ESP: the
 * tunnel works; a late answer to a probe counts too).  The counter is read
 * at every send and every loss, so a gap in the traffic shorter than the
 * time a blackhole takes to be seen never drops the signal, and a tunnel
 * that stopped receiving is judged on its probes K intervals later.
 */
static bool probe_passive_alive(struct probe *pr, uint64_t now)
{
	const struct vd_path *p = pr->path;

	if (!p->passive)
		return false;
	probe_rx_read(pr, now);
	return pr->rx_moved && now - pr->rx_moved <= (uint64_t)p->probe_interval * p->probe_multiplier;
}

/* rx_ns: when the kernel received the answer (CLOCK_REALTIME), 0: now */
static void probe_answer(struct probe *pr, uint32_t seq, uint64_t rx_ns)
{
	struct probe_slot *s = &pr->win[seq % PROBE_WINDOW];

	/* serial arithmetic: 2^32 probes are 497 days at 10 ms */
	if (pr->seq - seq >= PROBE_WINDOW || s->seq != seq)
		return;		/* not ours, or too old */
	if ((int32_t)(seq - pr->judged) <= 0) {
		pr->late++;	/* already counted lost (or a duplicate) */
		return;
	}
	if (!s->answered) {
		uint64_t rtt;

		pr->received++;
		if (!rx_ns)
			rx_ns = probe_realtime_ns();
		/* a wall-clock step between the two stamps: a bogus sample, clamped */
		rtt = rx_ns > s->sent_ns ? (rx_ns - s->sent_ns) / 1000 : 0;
		s->rtt_us = rtt >= VD_RTT_LOST ? VD_RTT_LOST - 1 : (uint32_t)rtt;
	}
	s->answered = true;
}

/* The kernel's receive time of a message (SO_TIMESTAMPNS), 0 if absent. */
static uint64_t probe_rx_stamp(struct msghdr *mh)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec ts;

			memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
			return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
		}
	}
	return 0;
}

/* An answer from the probed address (and port, for UDP)? */
static bool probe_from(const struct probe *pr, const struct sockaddr_storage *from)
{
	if (from->ss_family != pr->dst.ss_family)
		return false;
	if (from->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)from, *b = (const void *)&pr->dst;

		return a->sin_addr.s_addr == b->sin_addr.s_addr &&
		       (pr->path->probe != VD_PROBE_UDP || a->sin_port == b->sin_port);
	} else {
		const struct sockaddr_in6 *a = (const void *)from, *b = (const void *)&pr->dst;

		return !memcmp(&a->sin6_addr, &b->sin6_addr, sizeof(a->sin6_addr)) &&
		       (pr->path->probe != VD_PROBE_UDP || a->sin6_port == b->sin6_port);
	}
}

static bool probe_payload(const unsigned char *pl, size_t len, uint32_t *seq)
{
	struct probe_payload v;

	if (len < sizeof(v))
		return false;
	memcpy(&v, pl, sizeof(v));
	if (ntohl(v.magic) != PROBE_MAGIC)
		return false;
	*seq = ntohl(v.seq);
	return true;
}

/* A UDP probe's answers. */
static void probe_read_udp(struct probe *pr)
{
	unsigned char buf[1500];

	for (;;) {
		union {
			char buf[CMSG_SPACE(sizeof(struct timespec))];
			struct cmsghdr align;
		} c;
		struct sockaddr_storage from;
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr mh = {
			.msg_name = &from,
			.msg_namelen = sizeof(from),
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = c.buf,
			.msg_controllen = sizeof(c.buf),
		};
		uint32_t seq;
		ssize_t n;

		n = recvmsg(pr->fd, &mh, 0);
		if (n < 0) {
			if (errno == EINTR || errno == ECONNREFUSED)
				continue;
			return;		/* EAGAIN */
		}
		/* only the far side's answers: the socket is not connected */
		if (probe_from(pr, &from) && probe_payload(buf, (size_t)n, &seq))
			probe_answer(pr, seq, probe_rx_stamp(&mh));
	}
}

/*
 * Every echo reply waiting on a shared ICMP socket, to the probe whose
 * identifier it carries, if it came from that probe's address through that
 * probe's device.
 */
static void probe_read_icmp(int fd, int family)
{
	unsigned char buf[1500];

	for (;;) {
		union {
			char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) +
				 CMSG_SPACE(sizeof(struct timespec))];
			struct cmsghdr align;
		} c;
		struct sockaddr_storage from;
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr mh = {
			.msg_name = &from,
			.msg_namelen = sizeof(from),
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = c.buf,
			.msg_controllen = sizeof(c.buf),
		};
		const unsigned char *pl = buf;
		unsigned int ifindex = 0;
		struct probe *pr;
		uint16_t id, k;
		uint32_t seq;
		size_t len;
		ssize_t n;

		n = recvmsg(fd, &mh, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;		/* EAGAIN */
		}
		len = (size_t)n;
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
				struct in_pktinfo pi;

				memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
				ifindex = (unsigned int)pi.ipi_ifindex;
			} else if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO) {
				struct in6_pktinfo pi;

				memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
				ifindex = pi.ipi6_ifindex;
			}
		}
		if (family == AF_INET) {
			const struct iphdr *ip = (const void *)buf;
			const struct icmphdr *h;
			size_t hl;

			if (len < sizeof(*ip))
				continue;
			hl = (size_t)ip->ihl * 4;
			if (len < hl + sizeof(*h))
				continue;
			h = (const void *)(buf + hl);
			if (h->type != ICMP_ECHOREPLY)
				continue;
			id = ntohs(h->un.echo.id);
			pl = buf + hl + sizeof(*h);
			len -= hl + sizeof(*h);
		} else {
			const struct icmp6_hdr *h = (const void *)buf;

			if (len < sizeof(*h) || h->icmp6_type != ICMP6_ECHO_REPLY)
				continue;
			id = ntohs(h->icmp6_id);
			pl = buf + sizeof(*h);
			len -= sizeof(*h);
		}
		k = (uint16_t)(id - probe_id_base);
		if (k >= nprobes)
			continue;
		pr = &probes[k];
		if (pr->path->probe != VD_PROBE_ICMP || !pr->ifindex || pr->ifindex != ifindex ||
		    !probe_from(pr, &from) || !probe_payload(pl, len, &seq))
			continue;
		probe_answer(pr, seq, probe_rx_stamp(&mh));
	}
}

/* Read what is waiting for pr. */
static void probe_read(struct probe *pr)
{
	if (pr->path->probe == VD_PROBE_UDP)
		probe_read_udp(pr);
	else if (pr->path->probe_dst.family == AF_INET)
		probe_read_icmp(probe_icmp4, AF_INET);
	else
		probe_read_icmp(probe_icmp6, AF_INET6);
}

static void probe_sla(struct probe *pr, uint64_t now);

/*
 * Judge the probes whose answer is due by now, in order.  The socket is read
 * first: what arrived while the daemon was not running counts.
 */
static void probe_judge(struct probe *pr, uint64_t now)
{
	const struct vd_path *p = pr->path;
	bool drained = false, alive;
	char why[96];

	while (pr->judged != pr->seq) {
		struct probe_slot *s = &pr->win[(pr->judged + 1) % PROBE_WINDOW];

		if (!s->answered) {
			if (now < s->due)
				return;
			if (!drained) {
				probe_read(pr);
				drained = true;
				continue;
			}
		}
		pr->judged++;
		pr->lost += !s->answered;
		/* the figures say what the probes saw; the verdict takes the traffic */
		vd_measure_add(&pr->m, s->answered, s->rtt_us);
		pr->shadow_downs += vd_verdict_feed(&pr->shadow, &probe_default_rule,
						    s->answered) < 0;
		probe_sla(pr, now);
		alive = s->answered;
		if (!alive && probe_passive_alive(pr, now)) {
			alive = true;
			pr->passive_saves++;
		}
		switch (vd_verdict_feed(&pr->v, &pr->vc, alive)) {
		case 1:
			snprintf(why, sizeof(why), "%u answers in a row", pr->v.in_a_row);
			break;
		case -1:
			if (pr->v.lost_in_a_row >= p->probe_multiplier)
				snprintf(why, sizeof(why), "no answer to %u probes in a row%s%s",
					 pr->v.lost_in_a_row, pr->send_err ? ": " : "",
					 pr->send_err ? strerror(pr->send_err) : "");
			else
				snprintf(why, sizeof(why), "no answer to %u of the last %u probes",
					 vd_verdict_lost(&pr->v, p->probe_window),
					 p->probe_window);
			break;
		default:
			continue;
		}
		/* the verdict moved pr->v.up: tell the module if it differs */
		probe_set(pr, pr->v.up, why);
	}
}

/*
 * Is the path worse than its SLA?  Judged on a full window: the p50 round
 * trip above sla-rtt, or the loss above sla-loss.  why says which figure.
 */
static bool probe_sla_violated(const struct probe *pr, const struct vd_figures *f,
			       char *why, size_t len)
{
	const struct vd_path *p = pr->path;

	if (p->sla_rtt_ms && f->has_rtt && f->p50_us > p->sla_rtt_ms * 1000) {
		snprintf(why, len, "rtt p50 %u ms over sla-rtt %u ms, last %u probes",
			 f->p50_us / 1000, p->sla_rtt_ms, f->samples);
		return true;
	}
	if (p->has_sla_loss && f->lost * 100 > p->sla_loss_pct * f->samples) {
		snprintf(why, len, "loss %u %% over sla-loss %u %%, last %u probes",
			 f->lost * 100 / f->samples, p->sla_loss_pct, f->samples);
		return true;
	}
	snprintf(why, len, "rtt p50 %u ms, loss %u %%, last %u probes", f->p50_us / 1000,
		 f->samples ? f->lost * 100 / f->samples : 0, f->samples);
	return false;
}

/* After each judged probe: demote the path, or bring it back. */
static void probe_sla(struct probe *pr, uint64_t now)
{
	struct vd_path *p = pr->path;
	struct vd_figures f;
	char why[128];
	bool bad;

	if (!p->sla_rtt_ms && !p->has_sla_loss)
		return;
	vd_measure_figures(&pr->m, &f);
	/* a full window, so that one slow answer after a restart is no verdict */
	if (f.samples < pr->m.size)
		return;
	bad = probe_sla_violated(pr, &f, why, sizeof(why));
	if (!p->degraded) {
		/* a path without answers is the probe signal's business */
		if (bad && pr->v.up && p->sig[VPNECMP_SIGNAL_PROBE])
			vd_degrade(p, true, why);
		return;
	}
	if (bad) {
		if (pr->sla_met_since)
			vd_log(5, "path %s: worse than its SLA again (%s): recovery restarts",
			       p->name, why);
		pr->sla_met_since = 0;
		return;
	}
	if (!pr->sla_met_since) {
		pr->sla_met_since = now;
		vd_log(5, "path %s: meets its SLA (%s): back if it holds for %u ms", p->name,
		       why, p->sla_recovery_ms);
		return;
	}
	if (now - pr->sla_met_since >= p->sla_recovery_ms) {
		char full[160];

		snprintf(full, sizeof(full), "%s, for %llu ms", why,
			 (unsigned long long)(now - pr->sla_met_since));
		pr->sla_met_since = 0;
		vd_degrade(p, false, full);
	}
}

/* When pr needs the timer next: a send, or the next answer due. */
static uint64_t probe_due(const struct probe *pr)
{
	uint64_t d;

	if (!pr->ifindex)
		return 0;
	d = pr->next_send;
	if (pr->judged != pr->seq) {
		const struct probe_slot *s = &pr->win[(pr->judged + 1) % PROBE_WINDOW];

		if (!s->answered && s->due < d)
			d = s->due;
	}
	return d;
}

static void probe_close(void)
{
	for (unsigned int i = 0; i < nprobes; i++)
		if (probes[i].fd >= 0)
			close(probes[i].fd);
	free(probes);
	probes = NULL;
	nprobes = 0;
	if (probe_icmp4 >= 0)
		close(probe_icmp4);
	if (probe_icmp6 >= 0)
		close(probe_icmp6);
	if (probe_epfd >= 0)
		close(probe_epfd);
	probe_icmp4 = -1;
	probe_icmp6 = -1;
	probe_epfd = -1;
	probe_next = 0;
}

static void probe_no_device(struct probe *pr, const char *what)
{
	char why[64];

	snprintf(why, sizeof(why), "device %s %s", pr->path->dev, what);
	vd_log(4, "probe %s: device %s %s: probe down until it is there", pr->path->name,
	       pr->path->dev, what);
	probe_set(pr, false, why);
}

/* The shared ICMP socket of family, if some probe needs it. */
static int probe_open_icmp(int family, unsigned int users, int *fd, uint32_t ev_data)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = ev_data };

	if (!users)
		return 0;
	*fd = probe_icmp_socket(family, users);
	if (*fd < 0) {
		int err = *fd;

		*fd = -1;
		vd_log(3, "probe: cannot open an ICMP%s socket: %s", family == AF_INET ? "" : "v6",
		       strerror(-err));
		return err;
	}
	if (epoll_ctl(probe_epfd, EPOLL_CTL_ADD, *fd, &ev))
		return -errno;
	return 0;
}

static int probe_open(struct vd_conf *conf)
{
	unsigned int n = 0, icmp4 = 0, icmp6 = 0;
	uint64_t now = vd_now_ms();
	int ret;

	for (unsigned int i = 0; i < conf->npaths; i++) {
		const struct vd_path *p = &conf->paths[i];

		n += p->probe != VD_PROBE_NONE;
		icmp4 += p->probe == VD_PROBE_ICMP && p->probe_dst.family == AF_INET;
		icmp6 += p->probe == VD_PROBE_ICMP && p->probe_dst.family == AF_INET6;
	}
	if (!n)
		return 0;
	probes = calloc(n, sizeof(*probes));
	probe_epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!probes || probe_epfd < 0) {
		vd_log(3, "probe: %s", strerror(probes ? errno : ENOMEM));
		probe_close();
		return -ENOMEM;
	}
	ret = probe_open_icmp(AF_INET, icmp4, &probe_icmp4, PROBE_EV_ICMP4);
	if (!ret)
		ret = probe_open_icmp(AF_INET6, icmp6, &probe_icmp6, PROBE_EV_ICMP6);
	if (ret) {
		probe_close();
		return ret;
	}
	/* identifiers probe_id_base + index: another daemon's are others */
	probe_id_base = (uint16_t)(getpid() * 1009);
	for (unsigned int i = 0; i < conf->npaths; i++) {
		struct vd_path *p = &conf->paths[i];
		struct probe *pr = &probes[nprobes];
		char dst[INET6_ADDRSTRLEN], window[32] = "";

		if (p->probe == VD_PROBE_NONE)
			continue;
		if (p->probe_window != p->probe_multiplier)
			snprintf(window, sizeof(window), " of the last %u", p->probe_window);
		pr->path = p;
		pr->fd = -1;
		pr->id = (uint16_t)(probe_id_base + nprobes);
		/* no news yet: as the module sees it (up for a fresh path) */
		pr->v.up = p->sig[VPNECMP_SIGNAL_PROBE];
		pr->vc.lost = p->probe_multiplier;
		pr->vc.window = p->probe_window;
		pr->vc.up = p->probe_up;
		pr->shadow.up = true;
		pr->m.size = p->probe_measure;
		nprobes++;
		ret = probe_attach(pr, 0, now);
		if (ret < 0) {
			vd_log(3, "probe %s: cannot open a socket on %s: %s", p->name, p->dev,
			       strerror(-ret));
			probe_close();
			return ret;
		}
		vd_log(6, "probe %s: %s %s on %s every %u ms, down after %u unanswered%s", p->name,
		       p->probe == VD_PROBE_ICMP ? "icmp" : "udp",
		       vd_addr_str(&p->probe_dst, dst, sizeof(dst)), p->dev, p->probe_interval,
		       p->probe_multiplier, window);
		if (ret)
			probe_no_device(pr, "does not exist");
	}
	probe_next = now;
	return 0;
}

void vd_probe_link(const char *dev, unsigned int ifindex)
{
	uint64_t now = vd_now_ms();

	for (unsigned int i = 0; i < nprobes; i++) {
		struct probe *pr = &probes[i];
		int ret;

		if (strcmp(pr->path->dev, dev))
			continue;
		if (!ifindex) {
			if (!pr->ifindex)
				continue;
			probe_detach(pr);
			probe_no_device(pr, "is gone");
			continue;
		}
		if (pr->ifindex == ifindex)
			continue;
		ret = probe_attach(pr, ifindex, now);
		if (ret < 0) {
			vd_log(3, "probe %s: cannot open a socket on %s: %s", pr->path->name,
			       dev, strerror(-ret));
		} else if (!ret) {
			vd_log(6, "probe %s: device %s is there (ifindex %u): probing; up after %u answers",
			       pr->path->name, dev, ifindex, pr->path->probe_up);
			/* held down until it has answered */
			if (pr->v.up)
				probe_set(pr, false, "device re-created, no answer yet");
		}
	}
}

static int probe_fds(int *fds, int max)
{
	if (probe_epfd < 0 || max < 1)
		return 0;
	fds[0] = probe_epfd;
	return 1;
}

static void probe_handle(int fd)
{
	struct epoll_event ev[256];
	uint64_t now = vd_now_ms();
	int n;

	/* level-triggered: what is left for later wakes poll() again */
	n = epoll_wait(fd, ev, 256, 0);
	for (int i = 0; i < n; i++) {
		uint32_t k = ev[i].data.u32;

		if (k == PROBE_EV_ICMP4) {
			probe_read_icmp(probe_icmp4, AF_INET);
		} else if (k == PROBE_EV_ICMP6) {
			probe_read_icmp(probe_icmp6, AF_INET6);
		} else if (k < nprobes) {
			probe_read_udp(&probes[k]);
			/* an answer judged now only moves deadlines later */
			probe_judge(&probes[k], now);
		}
	}
}

static uint64_t probe_deadline(void)
{
	return probe_next;
}

static void probe_timer(uint64_t now)
{
	uint64_t next = 0;

	for (unsigned int i = 0; i < nprobes; i++) {
		struct probe *pr = &probes[i];
		uint64_t d;

		if (!pr->ifindex)
			continue;
		probe_judge(pr, now);
		if (now >= pr->next_send) {
			/* keep the window for the probes not judged yet */
			if (pr->seq - pr->judged >= PROBE_WINDOW - 1)
				pr->judged++;
			probe_send(pr, now);
			probe_rx_read(pr, now);
		}
		d = probe_due(pr);
		if (d && (!next || d < next))
			next = d;
	}
	probe_next = next;
}

const struct vd_feeder vd_feeder_probe = {
	.name = "probe",
	.open = probe_open,
	.close = probe_close,
	.fds = probe_fds,
	.handle = probe_handle,
	.deadline = probe_deadline,
	.timer = probe_timer,
};

void vd_probe_foreach(void (*fn)(const struct vd_path *path, const struct vd_probe_stats *st,
				 void *arg), void *arg)
{
	for (unsigned int i = 0; i < nprobes; i++) {
		const struct probe *pr = &probes[i];
		struct vd_probe_stats st = {
			.sent = pr->sent,
			.received = pr->received,
			.lost = pr->lost,
			.late = pr->late,
			.default_rule_downs = pr->shadow_downs,
			.passive_saves = pr->passive_saves,
			.degraded = pr->path->degraded,
			.up = pr->v.up,
		};

		vd_measure_figures(&pr->m, &st.fig);
		fn(pr->path, &st, arg);
	}
}
