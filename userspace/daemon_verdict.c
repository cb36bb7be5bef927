// SPDX-License-Identifier: GPL-2.0
/*
 * vpnecmp daemon: the prober's decisions and measurements, apart from its
 * sockets, so that the unit tests and the detection benchmark
 * (selftests/bench/probe_sim.c) run this very code on made-up probe
 * streams.
 *
 * Verdict.  Each judged probe is a bit of a history, newest first: 1 lost,
 * 0 answered.  The signal drops when at least "lost" (K) of the last
 * "window" (N) probes were lost; with N = K (the default, "multiplier K")
 * that is K losses in a row, as before this rule existed.  A blackhole is
 * seen after K probes whatever N is: K losses in a row are K of the last N.
 * ("multiplier" up to 255 counts losses in a row beyond the 64 probes of
 * the history.)  The signal comes back after "up" (M) answers in a row, and the history
 * starts afresh then: the losses that took the path down are not counted
 * again against the path that came back.
 *
 * Measurement.  The last VD_MEASURE_WINDOW judged probes: their loss, the
 * 50th and 99th percentile of the answered ones' round trip, and the
 * jitter, the mean absolute difference of consecutive round trips
 * smoothed over 16 samples (RFC 3550's interarrival jitter, on RTTs).
 */
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

static unsigned int vd_popcount64(uint64_t v)
{
	return (unsigned int)__builtin_popcountll(v);
}

static uint64_t vd_window_mask(uint32_t window)
{
	return window >= 64 ? ~0ULL : (1ULL << window) - 1;
}

unsigned int vd_verdict_lost(const struct vd_verdict *v, uint32_t window)
{
	return vd_popcount64(v->hist & vd_window_mask(window));
}

int vd_verdict_feed(struct vd_verdict *v, const struct vd_verdict_conf *c, bool answered)
{
	v->hist = v->hist << 1 | !answered;
	if (answered) {
		v->lost_in_a_row = 0;
		v->in_a_row++;
		if (!v->up && v->in_a_row >= c->up) {
			v->up = true;
			v->hist = 0;
			return 1;
		}
		return 0;
	}
	v->in_a_row = 0;
	v->lost_in_a_row++;
	/* in a row (N = K) may be up to 255: more than the history holds */
	if (v->up && (v->lost_in_a_row >= c->lost ||
		      (c->window <= VD_WINDOW_MAX && vd_verdict_lost(v, c->window) >= c->lost))) {
		v->up = false;
		return -1;
	}
	return 0;
}

void vd_verdict_reset(struct vd_verdict *v)
{
	v->hist = 0;
	v->lost_in_a_row = 0;
	v->in_a_row = 0;
}

void vd_measure_add(struct vd_measure *m, bool answered, uint32_t rtt_us)
{
	uint32_t size = m->size ? m->size : VD_MEASURE_WINDOW;

	m->rtt_us[m->next] = answered ? rtt_us : VD_RTT_LOST;
	m->next = (m->next + 1) % size;
	if (m->count < size)
		m->count++;
	if (!answered)
		return;
	if (m->has_last) {
		int64_t d = (int64_t)rtt_us - (int64_t)m->last_rtt_us;

		if (d < 0)
			d = -d;
		/* J += (|D| - J) / 16, in 1/16 us to keep the fraction */
		m->jitter_x16 += (int64_t)d - (m->jitter_x16 + 8) / 16;
	}
	m->last_rtt_us = rtt_us;
	m->has_last = true;
}

static int vd_cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The nearest-rank percentile pct of n sorted values. */
static uint32_t vd_rank(const uint32_t *v, unsigned int n, unsigned int pct)
{
	unsigned int r = (pct * n + 99) / 100;

	return v[r ? r - 1 : 0];
}

void vd_measure_figures(const struct vd_measure *m, struct vd_figures *f)
{
	uint32_t v[VD_MEASURE_WINDOW];
	unsigned int n = 0;

	memset(f, 0, sizeof(*f));
	f->samples = m->count;
	for (unsigned int i = 0; i < m->count; i++) {
		if (m->rtt_us[i] == VD_RTT_LOST)
			f->lost++;
		else
			v[n++] = m->rtt_us[i];
	}
	f->jitter_us = (uint32_t)((m->jitter_x16 + 8) / 16);
	if (!n)
		return;
	f->has_rtt = true;
	qsort(v, n, sizeof(v[0]), vd_cmp_u32);
	f->p50_us = vd_rank(v, n, 50);
	f->p99_us = vd_rank(v, n, 99);
}
