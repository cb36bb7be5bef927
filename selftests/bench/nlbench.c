// SPDX-License-Identifier: GPL-2.0
/*
 * nlbench - the measuring side of the vpnecmp benchmarks (run inside the
 * gateway namespace of topo.sh).
 *
 *   nlbench lat NAME TRIALS SRC DST SPI MARK GID NHID [resilient]
 *	Reaction latency, whoever reacts (vpnecmp.ko, a shell hook, a
 *	daemon): a trigger process (forked, SCHED_OTHER) deletes the SA
 *	SRC>DST SPI MARK over NETLINK_XFRM; the listener (this process,
 *	SCHED_FIFO 50, memory locked, blocked in poll() on one XFRM and one
 *	rtnetlink multicast socket) takes CLOCK_MONOTONIC the moment it
 *	receives the XFRM DELSA notification and the first RTM_NEWNEXTHOP
 *	notification for group GID without NHID.  The trigger then re-adds the
 *	SA and the listener waits for NHID to be back (not timed).
 *   nlbench floor NAME TRIALS GID NHID OTHER [resilient]
 *	The floor: the trigger (already running) takes the clock and sends
 *	one RTM_NEWNEXTHOP replacing GID with OTHER alone; the listener stamps
 *	the notification.  Then GID gets NHID and OTHER back.
 *   nlbench churn MODE SECONDS SRC DST MARK SPI GID
 *	MODE flap: add and delete the SA in a loop; rekey: make-before-break
 *	rekeys (add generation k+1, then delete generation k; generation 0,
 *	SPI, must exist); foreign: SAs of mark MARK+1000 (matching no path).
 *	Each request waits for its ACK (the fastest a synchronous generator
 *	goes).  Prints the XFRM events made, their rate, the group's
 *	RTM_NEWNEXTHOP notifications seen and the guest's CPU time from
 *	/proc/stat (all CPUs, user+system+irq+softirq) per event.
 *   nlbench bulk add|del N SRC DST MARKS SPI
 *	N SAs, spread round-robin over marks 1..MARKS, SPIs from SPI up.
 *   nlbench sa add|del SRC DST SPI MARK
 *	One SA; prints the CLOCK_MONOTONIC time (ns) it was sent at.
 *   nlbench paths N GROUP LOCAL REMOTE
 *	vpnecmp paths p1..pN of GROUP: path I over device dI, nexthop I,
 *	SA mark I, hold-up 0 (one generic netlink request each).
 *   nlbench nhgroup GID N
 *	Nexthop group GID of nexthops 1..N (mpath).
 *   nlbench now
 *	CLOCK_MONOTONIC in ns.
 *   nlbench spin N
 *	N busy-looping processes at normal priority until killed (the CPU
 *	load of the "under load" runs).
 *
 * Results are lines "NAME key=value ...", times in microseconds.
 * Benchmarks print numbers; they do not judge them.
 */
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <linux/genetlink.h>
#include <linux/vpnecmp.h>
#include <net/if.h>

#include "nlnl.h"

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static struct in_addr addr(const char *s)
{
	struct in_addr a;

	if (!inet_aton(s, &a)) {
		fprintf(stderr, "nlbench: bad address '%s'\n", s);
		exit(2);
	}
	return a;
}

static uint32_t num(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 0);

	if (*end || end == s) {
		fprintf(stderr, "nlbench: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of N sorted values. */
static double pct(const uint64_t *v, int n, double p)
{
	int i = (int)(p / 100.0 * n + 0.999999) - 1;

	if (i < 0)
		i = 0;
	if (i >= n)
		i = n - 1;
	return v[i] / 1000.0;
}

static void stats(const char *name, uint64_t *v, int n, int trials,
		  int extra)
{
	double sum = 0;
	int i;

	qsort(v, n, sizeof(*v), cmp_u64);
	for (i = 0; i < n; i++)
		sum += v[i];
	if (!n) {
		printf("%s n=0 trials=%d lost=%d\n", name, trials, trials);
		return;
	}
	printf("%s n=%d trials=%d p50=%.1f p90=%.1f p99=%.1f max=%.1f mean=%.1f extra_notifications=%d\n",
	       name, n, trials, pct(v, n, 50), pct(v, n, 90), pct(v, n, 99),
	       v[n - 1] / 1000.0, sum / n / 1000.0, extra);
}

/* ------------------------------------------------------------ trigger */

enum { T_DEL = 'd', T_ADD = 'a', T_DOWN = 'f', T_UP = 'F', T_QUIT = 'q' };

struct trigger {
	pid_t pid;
	int cmd, res;		/* parent ends of the two pipes */
};

struct tconf {
	struct sa_ref sa;
	uint32_t gid, nhid, other;
	uint16_t type;
};

/*
 * The trigger: a child at normal priority that does what it is told and
 * answers with a u64 (the send time for floor requests) and an int (the
 * ACK's error).
 */
static void trigger_start(struct trigger *t, const struct tconf *c)
{
	int cp[2], rp[2];

	if (pipe(cp) || pipe(rp))
		die("pipe");
	t->pid = fork();
	if (t->pid < 0)
		die("fork");
	if (!t->pid) {
		int xfd = nl_socket(NETLINK_XFRM, 0);
		int rfd = nl_socket(NETLINK_ROUTE, 0);
		struct nlmsg del, add, down, up;
		uint32_t both[2] = { c->nhid, c->other };
		char op;

		close(cp[1]);
		close(rp[0]);
		sa_delmsg(&del, &c->sa);
		sa_newmsg(&add, &c->sa);
		nh_replace_msg(&down, c->gid, &c->other, 1, c->type, 1);
		nh_replace_msg(&up, c->gid, both, 2, c->type, 1);
		while (read(cp[0], &op, 1) == 1 && op != T_QUIT) {
			struct { uint64_t t0; int err; } r = { 0, 0 };
			int fd = (op == T_DEL || op == T_ADD) ? xfd : rfd;
			struct nlmsg *m = op == T_DEL ? &del : op == T_ADD ? &add :
					  op == T_DOWN ? &down : &up;

			r.t0 = now_ns();
			r.err = nl_send(fd, m);
			if (!r.err)
				r.err = nl_ack(fd);
			if (write(rp[1], &r, sizeof(r)) != sizeof(r))
				_exit(1);
		}
		_exit(0);
	}
	close(cp[0]);
	close(rp[1]);
	t->cmd = cp[1];
	t->res = rp[0];
}

static int trigger(struct trigger *t, char op, uint64_t *t0)
{
	struct { uint64_t t0; int err; } r;

	if (write(t->cmd, &op, 1) != 1)
		die("trigger");
	if (read(t->res, &r, sizeof(r)) != sizeof(r))
		die("trigger");
	if (t0)
		*t0 = r.t0;
	return r.err;
}

static void trigger_stop(struct trigger *t)
{
	char op = T_QUIT;

	if (write(t->cmd, &op, 1) != 1)
		kill(t->pid, SIGKILL);
	waitpid(t->pid, NULL, 0);
}

/* ------------------------------------------------------------ listener */

struct listener {
	int xfd, rfd;
};

static void realtime(void)
{
	struct sched_param sp = { .sched_priority = 50 };

	mlockall(MCL_CURRENT | MCL_FUTURE);
	if (sched_setscheduler(0, SCHED_FIFO, &sp))
		perror("nlbench: SCHED_FIFO (listener stays SCHED_OTHER)");
}

static void drain(int fd)
{
	char buf[NLBUF];

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

/*
 * wait_group: poll both sockets until group GID's notification says NHID
 * is (WANT 1) or is not (WANT 0) a member; stamp *T_DEL at the XFRM DELSA
 * for SPI if T_DEL.  Returns the receive time of that notification, 0 on
 * timeout; *EXTRA counts the other notifications of GID seen meanwhile.
 */
static uint64_t wait_group(struct listener *l, uint32_t gid, uint32_t nhid,
			   int want, uint32_t spi, uint64_t *t_del, int *extra,
			   int timeout_ms)
{
	uint64_t end = now_ns() + (uint64_t)timeout_ms * 1000000;
	struct pollfd p[2] = {
		{ .fd = l->xfd, .events = POLLIN },
		{ .fd = l->rfd, .events = POLLIN },
	};

	for (;;) {
		int64_t left = (int64_t)(end - now_ns()) / 1000000;
		char buf[NLBUF * 2];
		int i;

		if (left <= 0 || poll(p, 2, left) <= 0)
			return 0;
		for (i = 0; i < 2; i++) {
			struct nlmsghdr *h;
			uint64_t ts;
			ssize_t n;

			if (!(p[i].revents & POLLIN))
				continue;
			n = recv(p[i].fd, buf, sizeof(buf), MSG_DONTWAIT);
			ts = now_ns();
			if (n < 0)
				continue;
			for (h = (void *)buf; NLMSG_OK(h, (size_t)n);
			     h = NLMSG_NEXT(h, n)) {
				uint32_t ids[512];
				int k, m, has = 0;

				if (i == 0) {
					const struct xfrm_usersa_id *id = NLMSG_DATA(h);

					if (t_del && h->nlmsg_type == XFRM_MSG_DELSA &&
					    ntohl(id->spi) == spi && !*t_del)
						*t_del = ts;
					continue;
				}
				m = nh_members(h, gid, ids, 512);
				if (m < 0)
					continue;
				for (k = 0; k < m; k++)
					has |= ids[k] == nhid;
				if (has == want && (!t_del || *t_del))
					return ts;
				(*extra)++;
			}
		}
	}
}

static void listener_open(struct listener *l)
{
	l->xfd = nl_socket(NETLINK_XFRM, 0);
	nl_join(l->xfd, XFRMNLGRP_SA);
	l->rfd = nl_socket(NETLINK_ROUTE, 0);
	nl_join(l->rfd, RTNLGRP_NEXTHOP);
}

static void pause_between(void)
{
	/* 10-20 ms: let the reactor settle, and do not beat with its timers */
	struct timespec ts = { 0, 10000000 + (rand() % 10000) * 1000 };

	nanosleep(&ts, NULL);
}

static int cmd_lat(int argc, char **argv, int floor)
{
	struct listener l;
	struct trigger t;
	struct tconf c = { .type = NEXTHOP_GRP_TYPE_MPATH };
	int trials, i, n = 0, extra = 0, errs = 0;
	const char *name;
	uint64_t *v;

	if ((!floor && argc < 9) || (floor && argc < 6)) {
		fprintf(stderr, "usage: see nlbench.c\n");
		return 2;
	}
	name = argv[1];
	trials = num(argv[2]);
	if (floor) {
		c.gid = num(argv[3]);
		c.nhid = num(argv[4]);
		c.other = num(argv[5]);
		if (argc > 6 && !strcmp(argv[6], "resilient"))
			c.type = NEXTHOP_GRP_TYPE_RES;
	} else {
		c.sa.src = addr(argv[3]);
		c.sa.dst = addr(argv[4]);
		c.sa.spi = num(argv[5]);
		c.sa.mark = num(argv[6]);
		c.gid = num(argv[7]);
		c.nhid = num(argv[8]);
	}
	v = calloc(trials, sizeof(*v));
	listener_open(&l);
	trigger_start(&t, &c);
	realtime();
	srand(getpid());

	for (i = 0; i < trials; i++) {
		uint64_t t0 = 0, t1;

		drain(l.xfd);
		drain(l.rfd);
		if (floor) {
			errs += !!trigger(&t, T_DOWN, &t0);
			t1 = wait_group(&l, c.gid, c.nhid, 0, 0, NULL, &extra, 30000);
		} else {
			errs += !!trigger(&t, T_DEL, NULL);
			t1 = wait_group(&l, c.gid, c.nhid, 0, c.sa.spi, &t0,
					&extra, 30000);
		}
		if (t1 && t0 && t1 >= t0)
			v[n++] = t1 - t0;
		errs += !!trigger(&t, floor ? T_UP : T_ADD, NULL);
		wait_group(&l, c.gid, c.nhid, 1, 0, NULL, &extra, 30000);
		pause_between();
	}
	trigger_stop(&t);
	stats(name, v, n, trials, extra);
	if (errs)
		printf("# %s: %d requests failed\n", name, errs);
	return 0;
}

/* ------------------------------------------------------------ churn */

struct cpu {
	unsigned long long busy, total;
};

static struct cpu cpu_now(void)
{
	unsigned long long u, ni, s, id, io, irq, sirq;
	struct cpu c = { 0, 0 };
	FILE *f = fopen("/proc/stat", "r");

	if (f && fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu", &u, &ni, &s,
			&id, &io, &irq, &sirq) == 7) {
		c.busy = u + ni + s + irq + sirq;
		c.total = c.busy + id + io;
	}
	if (f)
		fclose(f);
	return c;
}

static int count_group(int fd, uint32_t gid, int *overflow)
{
	char buf[NLBUF * 4];
	int cnt = 0;
	ssize_t n;

	for (;;) {
		struct nlmsghdr *h;

		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == ENOBUFS) {
				(*overflow)++;
				continue;
			}
			return cnt;
		}
		for (h = (void *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			uint32_t ids[512];

			if (nh_members(h, gid, ids, 512) >= 0)
				cnt++;
		}
	}
}

static int cmd_churn(int argc, char **argv)
{
	int xfd, rfd, events = 0, notif = 0, ovf = 0, errs = 0, k = 0;
	const char *mode;
	struct sa_ref sa;
	struct cpu c0, c1;
	struct nlmsg m;
	uint64_t t0, end;
	uint32_t gid;
	double secs;
	long hz = sysconf(_SC_CLK_TCK);

	if (argc < 8) {
		fprintf(stderr, "usage: see nlbench.c\n");
		return 2;
	}
	mode = argv[1];
	secs = atof(argv[2]);
	sa.src = addr(argv[3]);
	sa.dst = addr(argv[4]);
	sa.mark = num(argv[5]);
	sa.spi = num(argv[6]);
	sa.if_id = 0;
	gid = num(argv[7]);
	if (!strcmp(mode, "foreign"))
		sa.mark += 1000;

	xfd = nl_socket(NETLINK_XFRM, 0);
	rfd = nl_socket(NETLINK_ROUTE, 0);
	nl_join(rfd, RTNLGRP_NEXTHOP);
	c0 = cpu_now();
	t0 = now_ns();
	end = t0 + (uint64_t)(secs * 1e9);
	while (now_ns() < end) {
		struct sa_ref next = sa;

		if (!strcmp(mode, "rekey")) {
			/* make before break: the new SA first */
			next.spi = sa.spi + 0x10000 * (k + 1);
			sa_newmsg(&m, &next);
			errs += nl_send(xfd, &m) || nl_ack(xfd);
			next.spi = sa.spi + 0x10000 * k;
			sa_delmsg(&m, &next);
			errs += nl_send(xfd, &m) || nl_ack(xfd);
		} else {
			next.spi = sa.spi + 0x10000 + k;
			sa_newmsg(&m, &next);
			errs += nl_send(xfd, &m) || nl_ack(xfd);
			sa_delmsg(&m, &next);
			errs += nl_send(xfd, &m) || nl_ack(xfd);
		}
		events += 2;
		k++;
		if (!(k % 64))
			notif += count_group(rfd, gid, &ovf);
	}
	secs = (now_ns() - t0) / 1e9;
	/* let the last transitions land */
	usleep(300000);
	c1 = cpu_now();
	notif += count_group(rfd, gid, &ovf);
	if (!strcmp(mode, "rekey")) {
		/* leave generation k in place, as generation 0 was */
		struct sa_ref last = sa;

		last.spi = sa.spi + 0x10000 * k;
		sa_delmsg(&m, &last);
		nl_send(xfd, &m);
		nl_ack(xfd);
		sa_newmsg(&m, &sa);
		nl_send(xfd, &m);
		nl_ack(xfd);
	}
	printf("churn-%s events=%d seconds=%.2f rate=%.0f group_notifications=%d overflows=%d errors=%d cpu_us_per_event=%.1f cpu_util=%.2f\n",
	       mode, events, secs, events / secs, notif, ovf, errs,
	       events ? (c1.busy - c0.busy) * 1e6 / hz / events : 0,
	       c1.total > c0.total ? (double)(c1.busy - c0.busy) / (c1.total - c0.total) : 0);
	return 0;
}

static int cmd_bulk(int argc, char **argv)
{
	int add, n, marks, i, errs = 0, fd;
	struct sa_ref sa;
	struct nlmsg m;
	uint64_t t0;

	if (argc < 7) {
		fprintf(stderr, "usage: see nlbench.c\n");
		return 2;
	}
	add = !strcmp(argv[1], "add");
	n = num(argv[2]);
	sa.src = addr(argv[3]);
	sa.dst = addr(argv[4]);
	marks = num(argv[5]);
	sa.if_id = 0;
	fd = nl_socket(NETLINK_XFRM, 0);
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		sa.spi = num(argv[6]) + i;
		sa.mark = 1 + i % marks;
		if (add)
			sa_newmsg(&m, &sa);
		else
			sa_delmsg(&m, &sa);
		errs += nl_send(fd, &m) || nl_ack(fd);
	}
	printf("bulk-%s sas=%d seconds=%.2f rate=%.0f errors=%d\n", argv[1], n,
	       (now_ns() - t0) / 1e9, n / ((now_ns() - t0) / 1e9), errs);
	return 0;
}

/* One SA added or deleted now; prints the CLOCK_MONOTONIC time of the send. */
static int cmd_sa(int argc, char **argv)
{
	struct sa_ref sa = { .if_id = 0 };
	struct nlmsg m;
	uint64_t t;
	int fd, err;

	if (argc < 6) {
		fprintf(stderr, "usage: nlbench sa add|del SRC DST SPI MARK\n");
		return 2;
	}
	sa.src = addr(argv[2]);
	sa.dst = addr(argv[3]);
	sa.spi = num(argv[4]);
	sa.mark = num(argv[5]);
	fd = nl_socket(NETLINK_XFRM, 0);
	if (!strcmp(argv[1], "add"))
		sa_newmsg(&m, &sa);
	else
		sa_delmsg(&m, &sa);
	t = now_ns();
	err = nl_send(fd, &m);
	if (!err)
		err = nl_ack(fd);
	printf("%llu\n", (unsigned long long)t);
	if (err)
		fprintf(stderr, "nlbench: sa %s: %s\n", argv[1], strerror(-err));
	return !!err;
}

/* The generic netlink family id of NAME. */
static int genl_family(int fd, const char *name)
{
	struct genlmsghdr *g;
	struct nlmsghdr *h;
	struct nlmsg m;
	char buf[NLBUF];
	ssize_t n;

	nl_init(&m, GENL_ID_CTRL, 0, sizeof(*g));
	g = nl_data(&m);
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	nl_put(&m, CTRL_ATTR_FAMILY_NAME, name, strlen(name) + 1);
	if (nl_send(fd, &m) || (n = recv(fd, buf, sizeof(buf), 0)) <= 0)
		return -1;
	h = (void *)buf;
	if (h->nlmsg_type == NLMSG_ERROR)
		return -1;
	{
		struct nlattr *a = (void *)((char *)NLMSG_DATA(h) + GENL_HDRLEN);
		int len = h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);

		while (len >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN) {
			if (a->nla_type == CTRL_ATTR_FAMILY_ID)
				return *(uint16_t *)((char *)a + NLA_HDRLEN);
			len -= NLA_ALIGN(a->nla_len);
			a = (void *)((char *)a + NLA_ALIGN(a->nla_len));
		}
	}
	return -1;
}

/*
 * N paths p1..pN in GROUP, path i over device dI, nexthop I, SA mark I,
 * hold-up 0, one PATH_NEW request each over one socket (the CLI costs an
 * exec per path under emulation).
 */
static int cmd_paths(int argc, char **argv)
{
	int fd, fam, n, i, errs = 0;
	struct in_addr l, r;
	uint64_t t0;

	if (argc < 5) {
		fprintf(stderr, "usage: nlbench paths N GROUP LOCAL REMOTE\n");
		return 2;
	}
	n = num(argv[1]);
	l = addr(argv[3]);
	r = addr(argv[4]);
	fd = nl_socket(NETLINK_GENERIC, 0);
	fam = genl_family(fd, VPNECMP_GENL_NAME);
	if (fam < 0) {
		fprintf(stderr, "nlbench: no generic netlink family %s\n",
			VPNECMP_GENL_NAME);
		return 1;
	}
	t0 = now_ns();
	for (i = 1; i <= n; i++) {
		struct genlmsghdr *g;
		struct nlattr *nest;
		char name[VPNECMP_NAME_MAX], dev[IFNAMSIZ];
		struct nlmsg m;
		int err;

		snprintf(name, sizeof(name), "p%d", i);
		snprintf(dev, sizeof(dev), "d%d", i);
		nl_init(&m, fam, NLM_F_ACK, sizeof(*g));
		g = nl_data(&m);
		g->cmd = VPNECMP_CMD_PATH_NEW;
		g->version = VPNECMP_GENL_VERSION;
		nest = (void *)(m.buf + NLMSG_ALIGN(m.nh.nlmsg_len));
		nl_put(&m, VPNECMP_A_PATH | NLA_F_NESTED, NULL, 0);
		nl_put(&m, VPNECMP_PATH_A_NAME, name, strlen(name) + 1);
		nl_put(&m, VPNECMP_PATH_A_GROUP, argv[2], strlen(argv[2]) + 1);
		nl_put_u32(&m, VPNECMP_PATH_A_IFINDEX, if_nametoindex(dev));
		nl_put_u32(&m, VPNECMP_PATH_A_NHID, i);
		nl_put_u32(&m, VPNECMP_PATH_A_LOCAL4, l.s_addr);
		nl_put_u32(&m, VPNECMP_PATH_A_REMOTE4, r.s_addr);
		nl_put_u32(&m, VPNECMP_PATH_A_MARK, i);
		nl_put_u32(&m, VPNECMP_PATH_A_HOLD_UP_MS, 0);
		nest->nla_len = m.buf + m.nh.nlmsg_len - (char *)nest;
		err = nl_send(fd, &m);
		if (!err)
			err = nl_ack(fd);
		if (err && !errs++)
			fprintf(stderr, "nlbench: path %s: %s\n", name, strerror(-err));
	}
	printf("paths n=%d seconds=%.2f errors=%d\n", n, (now_ns() - t0) / 1e9, errs);
	return !!errs;
}

static int cmd_spin(int argc, char **argv)
{
	int n = argc > 1 ? (int)num(argv[1]) : 2, i;

	for (i = 0; i < n; i++) {
		if (!fork()) {
			volatile unsigned long x = 0;

			/* die with the parent (killed by the script) */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			for (;;)
				x++;
		}
	}
	for (;;)
		pause();
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2) {
		fprintf(stderr, "usage: nlbench lat|floor|churn|bulk|spin ... (see nlbench.c)\n");
		return 2;
	}
	if (!strcmp(argv[1], "lat"))
		return cmd_lat(argc - 1, argv + 1, 0);
	if (!strcmp(argv[1], "floor"))
		return cmd_lat(argc - 1, argv + 1, 1);
	if (!strcmp(argv[1], "churn"))
		return cmd_churn(argc - 1, argv + 1);
	if (!strcmp(argv[1], "bulk"))
		return cmd_bulk(argc - 1, argv + 1);
	if (!strcmp(argv[1], "nhgroup") && argc > 3) {
		/* ip's request buffer holds about 128 members: 256 need this */
		int n = num(argv[3]), i, fd = nl_socket(NETLINK_ROUTE, 0), err;
		uint32_t *ids = calloc(n, sizeof(*ids));
		struct nlmsg m;

		for (i = 0; i < n; i++)
			ids[i] = i + 1;
		nh_replace_msg(&m, num(argv[2]), ids, n, NEXTHOP_GRP_TYPE_MPATH, 1);
		err = nl_send(fd, &m);
		if (!err)
			err = nl_ack(fd);
		if (err)
			fprintf(stderr, "nlbench: nhgroup: %s\n", strerror(-err));
		return !!err;
	}
	if (!strcmp(argv[1], "paths"))
		return cmd_paths(argc - 1, argv + 1);
	if (!strcmp(argv[1], "sa"))
		return cmd_sa(argc - 1, argv + 1);
	if (!strcmp(argv[1], "now")) {
		printf("%llu\n", (unsigned long long)now_ns());
		return 0;
	}
	if (!strcmp(argv[1], "spin"))
		return cmd_spin(argc - 1, argv + 1);
	fprintf(stderr, "nlbench: unknown command '%s'\n", argv[1]);
	return 2;
}
