// SPDX-License-Identifier: GPL-2.0
/*
 * vpnecmp daemon: liveness probes through each tunnel.
 *
 * Every interval (default 100 ms) one ICMP echo request (or one UDP datagram
 * to an echo service) goes to an address on the far side of the tunnel --
 * the cloud's tunnel inside address answers ICMP -- from a socket bound to
 * the tunnel's device, so it takes that tunnel whatever the nexthop group
 * says.  The probe signal drops when nothing came back for interval x
 * multiplier (default 300 ms) and comes back after "up" answers in a row
 * (default 3); the path's hold-up then applies in the module as for any
 * signal.
 *
 * Cost: 1000 / interval requests and as many replies per path and second:
 * 10 + 10 packets of 84 bytes (ICMP, IPv4) per path at the default, before
 * ESP.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/icmp6.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon.h"

#define PROBE_MAGIC	0x76706e65	/* "vpne" */

struct probe_payload {
	uint32_t magic;
	uint32_t seq;
	uint64_t sent_ms;
};

struct probe {
	struct vd_path *path;
	int fd;
	uint16_t id;		/* ICMP identifier */
	uint32_t seq;		/* last sent */
	uint32_t last_ok_seq;	/* last answered */
	uint32_t in_a_row;	/* answers in a row */
	uint64_t next_send;
	uint64_t last_rx;	/* or the start: the first detection is a full one */
	bool up;
	uint64_t sent, received;
};

static struct probe *probes;
static unsigned int nprobes;

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

static int probe_socket(struct probe *pr)
{
	const struct vd_path *p = pr->path;
	int family = p->probe_dst.family, fd;
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;

	if (p->probe == VD_PROBE_ICMP)
		fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
			    family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6);
	else
		fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, p->dev, (socklen_t)strlen(p->dev) + 1))
		goto err;
	if (family == AF_INET6 && p->probe == VD_PROBE_ICMP) {
		struct icmp6_filter f;

		ICMP6_FILTER_SETBLOCKALL(&f);
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
		setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f));
	}
	if (p->probe_src.family) {
		if (family == AF_INET) {
			struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

			sin->sin_family = AF_INET;
			sin->sin_addr = p->probe_src.v4;
			sl = sizeof(*sin);
		} else {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

			sin6->sin6_family = AF_INET6;
			sin6->sin6_addr = p->probe_src.v6;
			sl = sizeof(*sin6);
		}
		if (bind(fd, (struct sockaddr *)&ss, sl))
			goto err;
	}
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_addr = p->probe_dst.v4;
		sin->sin_port = htons(p->probe == VD_PROBE_UDP ? p->probe_port : 0);
		sl = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = p->probe_dst.v6;
		sin6->sin6_port = htons(p->probe == VD_PROBE_UDP ? p->probe_port : 0);
		sl = sizeof(*sin6);
	}
	/* raw sockets too: only the far side's answers get through */
	if (connect(fd, (struct sockaddr *)&ss, sl))
		goto err;
	return fd;
err:
	{
		int err = -errno;

		close(fd);
		return err;
	}
}

static void probe_send(struct probe *pr, uint64_t now)
{
	struct probe_payload pl = {
		.magic = htonl(PROBE_MAGIC),
		.seq = htonl(++pr->seq),
		.sent_ms = now,
	};
	unsigned char buf[64];
	size_t len;

	if (pr->path->probe == VD_PROBE_UDP) {
		memcpy(buf, &pl, sizeof(pl));
		len = sizeof(pl);
	} else {
		struct icmphdr h = { 0 };

		/* ICMPv6 echo has the same layout; the kernel sums it */
		h.type = pr->path->probe_dst.family == AF_INET ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
		h.un.echo.id = htons(pr->id);
		h.un.echo.sequence = htons((uint16_t)pr->seq);
		memcpy(buf, &h, sizeof(h));
		memcpy(buf + sizeof(h), &pl, sizeof(pl));
		len = sizeof(h) + sizeof(pl);
		if (pr->path->probe_dst.family == AF_INET) {
			uint16_t c = probe_csum(buf, len);

			memcpy(buf + offsetof(struct icmphdr, checksum), &c, 2);
		}
	}
	/* ENOBUFS, EHOSTUNREACH...: the answer won't come, that is the point */
	if (send(pr->fd, buf, len, 0) == (ssize_t)len)
		pr->sent++;
	pr->next_send = now + pr->path->probe_interval;
}

static void probe_answer(struct probe *pr, uint32_t seq, uint64_t now)
{
	struct vd_path *p = pr->path;
	char why[64];

	if (seq > pr->seq || seq <= pr->last_ok_seq)
		return;		/* not ours, or late and already superseded */
	pr->in_a_row = seq == pr->last_ok_seq + 1 ? pr->in_a_row + 1 : 1;
	pr->last_ok_seq = seq;
	pr->last_rx = now;
	pr->received++;
	if (!pr->up && pr->in_a_row >= p->probe_up) {
		pr->up = true;
		snprintf(why, sizeof(why), "%u answers in a row", pr->in_a_row);
		vd_signal(p, VPNECMP_SIGNAL_PROBE, true, why);
	}
}

static void probe_read(struct probe *pr)
{
	unsigned char buf[1500];
	ssize_t n;

	while ((n = recv(pr->fd, buf, sizeof(buf), 0)) >= 0 || errno == ECONNREFUSED) {
		const unsigned char *pl = buf;
		struct probe_payload v;
		size_t len;

		if (n < 0)
			continue;	/* port unreachable: counts as lost */
		len = (size_t)n;
		if (pr->path->probe == VD_PROBE_ICMP && pr->path->probe_dst.family == AF_INET) {
			const struct iphdr *ip = (const void *)buf;
			const struct icmphdr *h;
			size_t hl;

			if (len < sizeof(*ip))
				continue;
			hl = (size_t)ip->ihl * 4;
			if (len < hl + sizeof(*h) + sizeof(v))
				continue;
			h = (const void *)(buf + hl);
			if (h->type != ICMP_ECHOREPLY || ntohs(h->un.echo.id) != pr->id)
				continue;
			pl = buf + hl + sizeof(*h);
			len -= hl + sizeof(*h);
		} else if (pr->path->probe == VD_PROBE_ICMP) {
			const struct icmp6_hdr *h = (const void *)buf;

			if (len < sizeof(*h) + sizeof(v) || h->icmp6_type != ICMP6_ECHO_REPLY ||
			    ntohs(h->icmp6_id) != pr->id)
				continue;
			pl = buf + sizeof(*h);
			len -= sizeof(*h);
		}
		if (len < sizeof(v))
			continue;
		memcpy(&v, pl, sizeof(v));
		if (ntohl(v.magic) != PROBE_MAGIC)
			continue;
		probe_answer(pr, ntohl(v.seq), vd_now_ms());
	}
}

static int probe_open(struct vd_conf *conf)
{
	uint64_t now = vd_now_ms();

	nprobes = 0;
	for (unsigned int i = 0; i < conf->npaths; i++)
		nprobes += conf->paths[i].probe != VD_PROBE_NONE;
	if (!nprobes)
		return 0;
	probes = calloc(nprobes, sizeof(*probes));
	if (!probes)
		return -ENOMEM;
	nprobes = 0;
	for (unsigned int i = 0; i < conf->npaths; i++) {
		struct vd_path *p = &conf->paths[i];
		struct probe *pr = &probes[nprobes];
		char dst[INET6_ADDRSTRLEN];

		if (p->probe == VD_PROBE_NONE)
			continue;
		pr->path = p;
		pr->id = (uint16_t)(getpid() * 31 + i);
		/* no news yet: up, like the module's view of a fresh path */
		pr->up = p->sig[VPNECMP_SIGNAL_PROBE];
		pr->last_rx = now;
		pr->next_send = now;
		pr->fd = probe_socket(pr);
		if (pr->fd < 0) {
			vd_log(3, "probe %s: cannot open a socket on %s: %s", p->name, p->dev,
			       strerror(-pr->fd));
			for (unsigned int j = 0; j < nprobes; j++)
				close(probes[j].fd);
			free(probes);
			probes = NULL;
			nprobes = 0;
			return pr->fd;
		}
		nprobes++;
		vd_log(6, "probe %s: %s %s on %s every %u ms, down after %u ms", p->name,
		       p->probe == VD_PROBE_ICMP ? "icmp" : "udp",
		       vd_addr_str(&p->probe_dst, dst, sizeof(dst)), p->dev, p->probe_interval,
		       p->probe_interval * p->probe_multiplier);
	}
	return 0;
}

static void probe_close(void)
{
	for (unsigned int i = 0; i < nprobes; i++)
		close(probes[i].fd);
	free(probes);
	probes = NULL;
	nprobes = 0;
}

static int probe_fds(int *fds, int max)
{
	int n = 0;

	for (unsigned int i = 0; i < nprobes && n < max; i++)
		fds[n++] = probes[i].fd;
	return n;
}

static void probe_handle(int fd)
{
	for (unsigned int i = 0; i < nprobes; i++)
		if (probes[i].fd == fd)
			probe_read(&probes[i]);
}

static uint64_t probe_detect_at(const struct probe *pr)
{
	return pr->last_rx + (uint64_t)pr->path->probe_interval * pr->path->probe_multiplier;
}

static uint64_t probe_deadline(void)
{
	uint64_t next = 0;

	for (unsigned int i = 0; i < nprobes; i++) {
		const struct probe *pr = &probes[i];
		uint64_t d = pr->next_send;

		if (pr->up && probe_detect_at(pr) < d)
			d = probe_detect_at(pr);
		if (!next || d < next)
			next = d;
	}
	return next;
}

static void probe_timer(uint64_t now)
{
	for (unsigned int i = 0; i < nprobes; i++) {
		struct probe *pr = &probes[i];

		if (pr->up && now >= probe_detect_at(pr)) {
			char why[64];

			pr->up = false;
			pr->in_a_row = 0;
			snprintf(why, sizeof(why), "no answer for %llu ms",
				 (unsigned long long)(now - pr->last_rx));
			vd_signal(pr->path, VPNECMP_SIGNAL_PROBE, false, why);
		}
		if (now >= pr->next_send)
			probe_send(pr, now);
	}
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
