// SPDX-License-Identifier: GPL-2.0
/*
 * probe_sim: the daemon's probe verdict (userspace/daemon_verdict.c, the
 * very code the daemon runs) fed with simulated probe streams, to choose
 * "multiplier K" (K lost in a row) or "lost K of N".
 *
 *   probe_sim [HOURS [SEED]]       (default 100 simulated hours, seed 1)
 *
 * For each random loss rate (0, 5, 10, 20 %, each probe independently, plus
 * the loss the jitter causes: a round trip of 50 ms plus an exponential
 * jitter of mean 10 ms, lost when it exceeds the 100 ms interval, about
 * 0.7 %) and each rule, at one probe every 100 ms:
 *
 *   false/h      transitions to down per simulated hour of a healthy path;
 *   blackhole    time from the fault to the verdict, mean and worst of
 *                2000 faults at a random time (the loss before the fault
 *                goes on in the window; the first probe after the fault
 *                leaves within one interval, each has one interval to be
 *                answered);
 *   brownout     median time to pull a path that starts losing 50 % of its
 *                probes (a partial failure), "-" if not pulled within 60 s.
 *
 * A simulation, seeded: the same command prints the same table.  It prints
 * and never fails (make bench).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

#define INTERVAL_MS	100.0
#define TRIALS		2000

static uint64_t rng_state;

static uint64_t rng(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static double rnd(void)
{
	return (double)(rng() >> 11) / (double)(1ULL << 53);
}

/* One probe of a healthy path: answered in time? */
static bool healthy_probe(double loss)
{
	double rtt;

	if (rnd() < loss)
		return false;
	rtt = 50.0 - 10.0 * log(1.0 - rnd());
	return rtt <= INTERVAL_MS;
}

struct rule {
	const char *name;
	struct vd_verdict_conf c;
};

static const struct rule rules[] = {
	{ "3 in a row (default)", { 3, 3, 3 } },
	{ "5 in a row", { 5, 5, 3 } },
	{ "8 in a row", { 8, 8, 3 } },
	{ "3 of 10", { 3, 10, 3 } },
	{ "5 of 10", { 5, 10, 3 } },
	{ "8 of 10", { 8, 10, 3 } },
	{ "10 of 16", { 10, 16, 3 } },
};

static double false_per_hour(const struct vd_verdict_conf *c, double loss, double hours)
{
	uint64_t n = (uint64_t)(hours * 3600.0 * 1000.0 / INTERVAL_MS), downs = 0;
	struct vd_verdict v = { .up = true };

	for (uint64_t i = 0; i < n; i++)
		downs += vd_verdict_feed(&v, c, healthy_probe(loss)) < 0;
	return (double)downs / hours;
}

/* A healthy stretch, so that the window holds what a real one would. */
static void warm_up(struct vd_verdict *v, const struct vd_verdict_conf *c, double loss)
{
	v->up = true;
	v->hist = 0;
	v->in_a_row = 0;
	v->lost_in_a_row = 0;
	for (int i = 0; i < 200; i++)
		vd_verdict_feed(v, c, healthy_probe(loss));
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * Time to pull after the path starts losing fail_loss of its probes (1:
 * blackhole), in ms; -1 if not within 60 s.  Trials starting from a down
 * state are redrawn.
 */
static double detect(const struct vd_verdict_conf *c, double loss, double fail_loss)
{
	struct vd_verdict v;
	int n;

	do
		warm_up(&v, c, loss);
	while (!v.up);
	for (n = 1; n <= 600; n++) {
		bool ok = rnd() >= fail_loss && healthy_probe(loss);

		if (vd_verdict_feed(&v, c, ok) < 0)
			/* first probe within an interval of the fault, judged an interval after */
			return rnd() * INTERVAL_MS + n * INTERVAL_MS;
	}
	return -1;
}

int main(int argc, char **argv)
{
	static const double losses[] = { 0, 0.05, 0.10, 0.20 };
	double hours = argc > 1 ? atof(argv[1]) : 100;
	static double t[TRIALS];

	rng_state = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;
	if (!rng_state)
		rng_state = 1;
	printf("# probe_sim: %.0f simulated hours per cell, interval %.0f ms, RTT 50 ms + exp(10 ms) jitter, seed %llu\n",
	       hours, INTERVAL_MS, argc > 2 ? strtoull(argv[2], NULL, 10) : 1ULL);
	printf("%-6s %-22s %10s %14s %14s %14s\n", "loss", "rule", "false/h",
	       "blackhole ms", "(worst)", "brownout50 ms");
	for (unsigned int l = 0; l < sizeof(losses) / sizeof(losses[0]); l++) {
		for (unsigned int r = 0; r < sizeof(rules) / sizeof(rules[0]); r++) {
			const struct vd_verdict_conf *c = &rules[r].c;
			double fph = false_per_hour(c, losses[l], hours), sum = 0, worst = 0, b;
			char brown[32];
			int undetected = 0;

			for (int i = 0; i < TRIALS; i++) {
				double d = detect(c, losses[l], 1.0);

				sum += d;
				if (d > worst)
					worst = d;
			}
			for (int i = 0; i < 200; i++) {
				t[i] = detect(c, losses[l], 0.5);
				if (t[i] < 0) {
					t[i] = 1e12;
					undetected++;
				}
			}
			qsort(t, 200, sizeof(t[0]), cmp_double);
			b = t[100];
			if (b >= 1e12)
				snprintf(brown, sizeof(brown), "-");
			else
				snprintf(brown, sizeof(brown), "%.0f", b);
			printf("%-6.0f %-22s %10.2f %14.0f %14.0f %14s\n", losses[l] * 100,
			       rules[r].name, fph, sum / TRIALS, worst, brown);
		}
	}
	return 0;
}
