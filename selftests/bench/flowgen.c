// SPDX-License-Identifier: GPL-2.0
/*
 * flowgen - UDP flows for the packet loss and throughput benchmarks.
 *
 *   flowgen send SRC DST PORT FLOWS PPS SECONDS LOG
 *	FLOWS flows (source ports 30000 + i), one packet per flow per round,
 *	PPS rounds per second (0: as fast as possible), for SECONDS.  The
 *	payload is the round number and the flow index.  LOG gets the
 *	CLOCK_MONOTONIC send time of every packet (u64 each, round by round).
 *   flowgen recv ADDR PORT SECONDS LOG
 *	Until SECONDS have passed or nothing came for 2 s (FLOWGEN_IDLE_MS
 *	in the environment: another silence), records every datagram as {time, flow, round, ifindex} (IP_PKTINFO:
 *	the tunnel it arrived on) into LOG.
 *   flowgen analyze SENDLOG RECVLOG FLOWS FAULT_NS RESTORE_NS IF1 IF2 BIN_MS DAT
 *	Packets sent and lost, the time from the fault to the last round with
 *	a loss, flows that changed tunnel, packets per tunnel after the
 *	return; DAT gets packets per tunnel per bin (time relative to FAULT).
 *   flowgen rate RECVLOG SECONDS BYTES
 *	Received packets per second and Mbit/s (payload BYTES per packet).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct rec {
	uint64_t ts;
	uint32_t round;
	uint16_t flow;
	uint16_t ifindex;
};

struct payload {
	uint32_t round;
	uint16_t flow;
	uint16_t pad;
	char fill[1400];
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0) {
		perror(path);
		exit(1);
	}
	rewind(f);
	buf = malloc(n + 1);
	if (!buf || fread(buf, 1, n, f) != (size_t)n) {
		perror(path);
		exit(1);
	}
	fclose(f);
	*len = n;
	return buf;
}

/*
 * FLOWGEN_AT1/FLOWGEN_CMD1, FLOWGEN_AT2/FLOWGEN_CMD2: shell commands run
 * (in a child, not waited for) once ELAPSED passes their time in seconds:
 * the fault and the return, on the sender's clock rather than the
 * script's, which falls behind when the guest is short of CPU.
 */
static void at_run(uint64_t elapsed)
{
	static int done[3];
	int i;

	for (i = 1; i <= 2; i++) {
		char at[16], cmd[16];
		const char *a, *c;

		snprintf(at, sizeof(at), "FLOWGEN_AT%d", i);
		snprintf(cmd, sizeof(cmd), "FLOWGEN_CMD%d", i);
		a = getenv(at);
		c = getenv(cmd);
		if (done[i] || !a || !c || elapsed < (uint64_t)(atof(a) * 1e9))
			continue;
		done[i] = 1;
		if (!fork()) {
			execl("/bin/sh", "sh", "-c", c, (char *)NULL);
			_exit(127);
		}
	}
}

static int cmd_send(char **argv)
{
	const char *src = argv[0];
	int flows = atoi(argv[3]), i, *fd;
	double pps = atof(argv[4]), secs = atof(argv[5]);
	size_t size = getenv("FLOWGEN_SIZE") ? atoi(getenv("FLOWGEN_SIZE")) : 64;
	struct sockaddr_in dst = { .sin_family = AF_INET };
	uint64_t start, period, *rounds, next;
	unsigned long errs = 0;
	struct payload p;
	size_t max;
	uint32_t r;
	FILE *log;

	if (size < 8 || size > sizeof(p))
		size = 64;
	inet_aton(argv[1], &dst.sin_addr);
	dst.sin_port = htons(atoi(argv[2]));
	fd = calloc(flows, sizeof(*fd));
	for (i = 0; i < flows; i++) {
		struct sockaddr_in sa = { .sin_family = AF_INET,
					  .sin_port = htons(30000 + i) };

		inet_aton(src, &sa.sin_addr);
		fd[i] = socket(AF_INET, SOCK_DGRAM, 0);
		if (fd[i] < 0 || bind(fd[i], (void *)&sa, sizeof(sa))) {
			perror("flowgen: socket");
			return 1;
		}
	}
	max = (size_t)((pps > 0 ? pps : 100000) * secs) + 16;
	rounds = calloc(max * flows, sizeof(*rounds));
	memset(&p, 0, sizeof(p));
	period = pps > 0 ? (uint64_t)(1e9 / pps) : 0;
	start = now_ns();
	next = start;
	for (r = 0; r < max; r++) {
		uint64_t t = now_ns();

		if (t - start >= (uint64_t)(secs * 1e9))
			break;
		at_run(t - start);
		if (period && t < next) {
			struct timespec ts = { 0, next - t };

			nanosleep(&ts, NULL);
		}
		p.round = r;
		for (i = 0; i < flows; i++) {
			p.flow = i;
			rounds[(size_t)r * flows + i] = now_ns();
			if (sendto(fd[i], &p, size, 0, (void *)&dst, sizeof(dst)) < 0)
				errs++;
		}
		next += period;
	}
	while (wait(NULL) > 0)
		;
	log = fopen(argv[6], "wb");
	if (!log || fwrite(rounds, sizeof(*rounds), (size_t)r * flows, log) !=
		    (size_t)r * flows) {
		perror(argv[6]);
		return 1;
	}
	fclose(log);
	printf("sent flows=%d rounds=%u packets=%lu errors=%lu pps=%.0f\n", flows, r,
	       (unsigned long)r * flows, errs,
	       (double)r * flows / ((now_ns() - start) / 1e9));
	return 0;
}

static int cmd_recv(char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	double secs = atof(argv[2]);
	int fd, one = 1, rcv = 8 << 20;
	size_t n = 0, cap = 1 << 16;
	struct rec *recs = malloc(cap * sizeof(*recs));
	uint64_t end, idle;
	FILE *log;

	inet_aton(argv[0], &sa.sin_addr);
	sa.sin_port = htons(atoi(argv[1]));
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	if (fd < 0 || bind(fd, (void *)&sa, sizeof(sa))) {
		perror("flowgen: bind");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	end = now_ns() + (uint64_t)(secs * 1e9);
	/* until SECONDS, or 2 s (FLOWGEN_IDLE_MS) of silence after the first packet */
	idle = getenv("FLOWGEN_IDLE_MS") ? strtoull(getenv("FLOWGEN_IDLE_MS"), NULL, 10) * 1000000ull :
					    2000000000ull;
	while (now_ns() < end && !(n && now_ns() - recs[n - 1].ts > idle)) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		char cbuf[256];
		struct payload p;
		struct iovec iov = { &p, sizeof(p) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = cbuf,
				     .msg_controllen = sizeof(cbuf) };
		struct cmsghdr *c;
		struct rec *r;
		ssize_t len;

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		len = recvmsg(fd, &mh, MSG_DONTWAIT);
		if (len < 8)
			continue;
		if (n == cap) {
			cap *= 2;
			recs = realloc(recs, cap * sizeof(*recs));
		}
		r = &recs[n++];
		r->ts = now_ns();
		r->round = p.round;
		r->flow = p.flow;
		r->ifindex = 0;
		for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO)
				r->ifindex = ((struct in_pktinfo *)CMSG_DATA(c))->ipi_ifindex;
	}
	log = fopen(argv[3], "wb");
	if (!log || fwrite(recs, sizeof(*recs), n, log) != n) {
		perror(argv[3]);
		return 1;
	}
	fclose(log);
	printf("received packets=%zu\n", n);
	return 0;
}

static int cmd_analyze(char **argv)
{
	size_t slen, rlen, nr, ns, i;
	uint64_t *rounds = slurp(argv[0], &slen);
	struct rec *recs = slurp(argv[1], &rlen);
	int flows = atoi(argv[2]);
	uint64_t fault = strtoull(argv[3], NULL, 0);
	uint64_t restore = strtoull(argv[4], NULL, 0);
	int if1 = atoi(argv[5]), if2 = atoi(argv[6]);
	uint64_t bin = strtoull(argv[7], NULL, 0) * 1000000ull;
	unsigned char *got;
	int *before, *during, *after;
	long lost = 0, lost_after = 0, lost_before = 0, on1 = 0, on2 = 0, moved2 = 0, moved2_back = 0;
	long moved1 = 0, after1 = 0, after2 = 0, nbins;
	int64_t last_loss = -1;
	long (*bins)[2];
	FILE *dat;

	ns = slen / sizeof(*rounds) / flows;	/* rounds */
	nr = rlen / sizeof(*recs);
	got = calloc(ns * flows + 1, 1);
	before = calloc(flows, sizeof(int));
	during = calloc(flows, sizeof(int));
	after = calloc(flows, sizeof(int));
	nbins = ns ? (long)((rounds[ns * flows - 1] - rounds[0]) / bin) + 40 : 1;
	bins = calloc(nbins, sizeof(*bins));
	for (i = 0; i < nr; i++) {
		struct rec *r = &recs[i];
		int t = r->ifindex == if1 ? 1 : r->ifindex == if2 ? 2 : 0;
		int64_t b;

		if (r->round < ns && r->flow < flows)
			got[(size_t)r->round * flows + r->flow] = 1;
		if (r->flow >= flows)
			continue;
		/* the tunnel a flow last used before the fault / restore */
		if (r->ts < fault)
			before[r->flow] = t;
		else if (r->ts < restore)
			during[r->flow] |= 1 << t;
		else
			after[r->flow] |= 1 << t;
		if (r->ts >= restore + 500000000ull) {
			after1 += t == 1;
			after2 += t == 2;
		}
		b = ((int64_t)r->ts - (int64_t)rounds[0]) / (int64_t)bin;
		if (b >= 0 && b < nbins && t)
			bins[b][t - 1]++;
	}
	/* each packet by its own send time */
	for (i = 0; i < ns * flows; i++) {
		if (got[i])
			continue;
		lost++;
		if (rounds[i] >= restore)
			lost_after++;
		else if (rounds[i] < fault)
			lost_before++;
		else if ((int64_t)(rounds[i] - fault) > last_loss)
			last_loss = rounds[i] - fault;
	}
	for (i = 0; i < (size_t)flows; i++) {
		on1 += before[i] == 1;
		on2 += before[i] == 2;
		if (before[i] == 2 && (during[i] & ~(1 << 2)))
			moved2++;
		if (before[i] == 2 && (after[i] & ~(1 << 2)))
			moved2_back++;
		if (before[i] == 1 && (during[i] & (1 << 2)))
			moved1++;
	}
	printf("sent=%zu lost=%ld lost_before_fault=%ld lost_after_return=%ld fault_to_last_loss_ms=%.1f on_t1=%ld on_t2=%ld t1_flows_moved=%ld t2_flows_moved=%ld t2_flows_moved_on_return=%ld pkts_after_return=%ld t1_share_after_return=%.2f",
	       ns * flows, lost, lost_before, lost_after,
	       last_loss < 0 ? 0.0 : last_loss / 1e6,
	       on1, on2, moved1, moved2, moved2_back,
	       after1 + after2, after1 + after2 ? (double)after1 / (after1 + after2) : 0);
	printf("%s\n", last_loss < 0 ? " no_loss_after_fault=1" : "");
	dat = fopen(argv[8], "w");
	if (!dat) {
		perror(argv[8]);
		return 1;
	}
	fprintf(dat, "# time_from_fault_s tunnel1_pkts tunnel2_pkts (per %llu ms)\n",
		(unsigned long long)(bin / 1000000));
	/* up to the last bin with traffic (the receiver waited for more) */
	while (nbins > 1 && !bins[nbins - 1][0] && !bins[nbins - 1][1])
		nbins--;
	for (i = 0; i < (size_t)nbins; i++)
		fprintf(dat, "%.3f %ld %ld\n",
			((double)rounds[0] + (double)i * bin - (double)fault) / 1e9,
			bins[i][0], bins[i][1]);
	fclose(dat);
	return 0;
}

static int cmd_rate(char **argv)
{
	size_t rlen, nr;
	struct rec *recs = slurp(argv[0], &rlen);
	double secs, bytes = atof(argv[2]);

	nr = rlen / sizeof(*recs);
	secs = nr > 1 ? (recs[nr - 1].ts - recs[0].ts) / 1e9 : atof(argv[1]);
	printf("received=%zu pps=%.0f mbit=%.2f\n", nr, nr / secs,
	       nr * bytes * 8 / secs / 1e6);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 8 && !strcmp(argv[1], "send"))
		return cmd_send(argv + 2);
	if (argc > 5 && !strcmp(argv[1], "recv"))
		return cmd_recv(argv + 2);
	if (argc > 10 && !strcmp(argv[1], "analyze"))
		return cmd_analyze(argv + 2);
	if (argc > 4 && !strcmp(argv[1], "rate"))
		return cmd_rate(argv + 2);
	fprintf(stderr, "usage: flowgen send|recv|analyze|rate ... (see flowgen.c)\n");
	return 2;
}
