// SPDX-License-Identifier: GPL-2.0
/*
 * vpnecmp daemon: its own figures, as a Prometheus text file.
 *
 * With "metrics FILE" in the configuration, the daemon writes FILE once a
 * second (FILE.tmp then rename: a reader never sees half a file), in the
 * text exposition format that node_exporter's textfile collector reads:
 *
 *   - per probed path: the probe signal, probes sent, answered, lost and
 *     late, and over the last VD_MEASURE_WINDOW probes the loss ratio, the
 *     round trip's 50th and 99th percentiles and the jitter;
 *   - per path: a histogram of the module's reaction times, from the moment
 *     it saw the cause of a pull (the event's cause_ns) to its event saying
 *     the path is down (timestamp_ns, sent once the group is replaced).
 *
 * The module knows nothing of probes and round trips and the CLI only talks
 * to the module: these figures live where they are measured.  "vpnecmp
 * stats prometheus" and this file are two scrapes of one exporter, with the
 * same labels (group, path, netns).
 *
 * The write is to a local file (put it on tmpfs, /run or the textfile
 * collector's directory): a few kB once a second, it cannot hold up the
 * loop for long.  A write that fails is logged once and tried again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "daemon.h"
#include "waiting.h"

#define VD_METRICS_PERIOD_MS	1000

/* Upper bounds of the reaction-time buckets, in seconds (+Inf implied). */
static const double vd_pull_le[] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
};

#define VD_PULL_BUCKETS	(sizeof(vd_pull_le) / sizeof(vd_pull_le[0]))

struct vd_pull_hist {
	char path[VPNECMP_NAME_MAX];
	char group[VPNECMP_NAME_MAX];
	uint64_t bucket[VD_PULL_BUCKETS];	/* not cumulative */
	uint64_t count;
	double sum;
};

/* Kept across reloads and module reloads: counters never go back. */
static struct vd_pull_hist *vd_hists;
static unsigned int vd_nhists;

static char vd_metrics_file[256];
static uint64_t vd_metrics_next;
static bool vd_metrics_failed;
static bool vd_probes_failed;

static struct vd_pull_hist *vd_hist(const char *path, const char *group)
{
	struct vd_pull_hist *h;

	for (unsigned int i = 0; i < vd_nhists; i++)
		if (!strcmp(vd_hists[i].path, path))
			return &vd_hists[i];
	h = realloc(vd_hists, (vd_nhists + 1) * sizeof(*h));
	if (!h)
		return NULL;
	vd_hists = h;
	h = &vd_hists[vd_nhists++];
	memset(h, 0, sizeof(*h));
	snprintf(h->path, sizeof(h->path), "%s", path);
	snprintf(h->group, sizeof(h->group), "%s", group ? group : "");
	return h;
}

void vd_metrics_path_ntf(const char *path, const char *group, int old, int state,
			 uint64_t ts_ns, uint64_t cause_ns)
{
	struct vd_pull_hist *h;
	double s;

	/* a pull: a path that forwarded (or was about to) goes down */
	if (state != VPNECMP_PATH_DOWN || old == VPNECMP_PATH_DOWN || !cause_ns ||
	    ts_ns < cause_ns)
		return;
	h = vd_hist(path, group);
	if (!h)
		return;
	if (group)
		snprintf(h->group, sizeof(h->group), "%s", group);
	s = (double)(ts_ns - cause_ns) / 1e9;
	for (unsigned int i = 0; i < VD_PULL_BUCKETS; i++) {
		if (s <= vd_pull_le[i]) {
			h->bucket[i]++;
			break;
		}
	}
	h->count++;
	h->sum += s;
}

static void vd_prom_labels(FILE *f, const char *group, const char *path)
{
	fprintf(f, "{group=\"%s\",path=\"%s\"", group, path);
	if (vpnecmp_opts.netns)
		fprintf(f, ",netns=\"%s\"", vpnecmp_opts.netns);
}

static void vd_prom_family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

struct vd_probe_metric {
	const char *name;
	const char *type;
	const char *help;
};

static const struct vd_probe_metric vd_probe_metrics[] = {
	{ "vpnecmp_probe_up", "gauge", "The probe signal the daemon feeds: 1 up, 0 down." },
	{ "vpnecmp_probe_sla_degraded", "gauge",
	  "1 while the path is worse than its SLA and held one tier lower, else 0." },
	{ "vpnecmp_probe_sent_total", "counter", "Probes sent through the path's device." },
	{ "vpnecmp_probe_received_total", "counter", "Probes answered in time." },
	{ "vpnecmp_probe_lost_total", "counter", "Probes judged lost (no answer within an interval)." },
	{ "vpnecmp_probe_late_total", "counter", "Answers that came after their probe was judged lost." },
	{ "vpnecmp_probe_default_rule_downs_total", "counter",
	  "Times the default rule (3 lost in a row, back after 3 answers) would have pulled the path on the same probes." },
	{ "vpnecmp_probe_passive_saves_total", "counter",
	  "Probes lost while the tunnel received traffic, counted as alive (\"passive on\")." },
	{ "vpnecmp_probe_window_probes", "gauge", "Probes judged in the measurement window (\"measure\", default 100)." },
	{ "vpnecmp_probe_loss_ratio", "gauge", "Lost probes over the measurement window, 0..1." },
	{ "vpnecmp_probe_rtt_p50_seconds", "gauge", "Median round trip of the window's answered probes." },
	{ "vpnecmp_probe_rtt_p99_seconds", "gauge", "99th percentile round trip of the window's answered probes." },
	{ "vpnecmp_probe_jitter_seconds", "gauge", "Mean difference of consecutive round trips (RFC 3550 smoothing)." },
};

struct vd_probe_write {
	FILE *f;
	unsigned int metric;
};

static void vd_probe_sample(const struct vd_path *path, const struct vd_probe_stats *st,
			    void *arg)
{
	const struct vd_probe_write *w = arg;
	const struct vd_figures *fig = &st->fig;
	FILE *f = w->f;
	double v;

	switch (w->metric) {
	case 0: v = st->up; break;
	case 1: v = st->degraded; break;
	case 2: v = (double)st->sent; break;
	case 3: v = (double)st->received; break;
	case 4: v = (double)st->lost; break;
	case 5: v = (double)st->late; break;
	case 6: v = (double)st->default_rule_downs; break;
	case 7: v = (double)st->passive_saves; break;
	case 8: v = fig->samples; break;
	case 9: v = fig->samples ? (double)fig->lost / fig->samples : 0; break;
	case 10: if (!fig->has_rtt) return; v = fig->p50_us / 1e6; break;
	case 11: if (!fig->has_rtt) return; v = fig->p99_us / 1e6; break;
	default: if (!fig->has_rtt) return; v = fig->jitter_us / 1e6; break;
	}
	fputs(vd_probe_metrics[w->metric].name, f);
	vd_prom_labels(f, path->group, path->name);
	fprintf(f, "} %.9g\n", v);
}

static void vd_metrics_write_to(FILE *f)
{
	static const char *const hname = "vpnecmp_pull_seconds";

	for (unsigned int m = 0; m < sizeof(vd_probe_metrics) / sizeof(vd_probe_metrics[0]); m++) {
		struct vd_probe_write w = { .f = f, .metric = m };

		vd_prom_family(f, vd_probe_metrics[m].name, vd_probe_metrics[m].type,
			       vd_probe_metrics[m].help);
		vd_probe_foreach(vd_probe_sample, &w);
	}
	vd_prom_family(f, hname, "histogram",
		       "Time from the cause of a pull (cause_ns) to the module's down event, after the group replace.");
	for (unsigned int i = 0; i < vd_nhists; i++) {
		const struct vd_pull_hist *h = &vd_hists[i];
		uint64_t cum = 0;

		for (unsigned int b = 0; b < VD_PULL_BUCKETS; b++) {
			cum += h->bucket[b];
			fprintf(f, "%s_bucket", hname);
			vd_prom_labels(f, h->group, h->path);
			fprintf(f, ",le=\"%g\"} %llu\n", vd_pull_le[b], (unsigned long long)cum);
		}
		fprintf(f, "%s_bucket", hname);
		vd_prom_labels(f, h->group, h->path);
		fprintf(f, ",le=\"+Inf\"} %llu\n", (unsigned long long)h->count);
		fprintf(f, "%s_sum", hname);
		vd_prom_labels(f, h->group, h->path);
		fprintf(f, "} %.9g\n", h->sum);
		fprintf(f, "%s_count", hname);
		vd_prom_labels(f, h->group, h->path);
		fprintf(f, "} %llu\n", (unsigned long long)h->count);
	}
}

static void vd_metrics_write(void)
{
	char tmp[sizeof(vd_metrics_file) + 8];
	int err = 0;
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", vd_metrics_file);
	f = fopen(tmp, "we");
	if (!f) {
		err = errno;
	} else {
		vd_metrics_write_to(f);
		if (ferror(f))
			err = EIO;
		if (fclose(f) && !err)
			err = errno;
		if (!err && rename(tmp, vd_metrics_file))
			err = errno;
		if (err)
			unlink(tmp);
	}
	if (err && !vd_metrics_failed)
		vd_log(3, "metrics: cannot write %s: %s (trying again every second)",
		       vd_metrics_file, strerror(err));
	else if (!err && vd_metrics_failed)
		vd_log(6, "metrics: %s written again", vd_metrics_file);
	vd_metrics_failed = err != 0;
}

/* The figures for "path show -s" (waiting.h), whether or not "metrics" is set. */
struct vd_probes_pub {
	struct vpnecmp_probe_fig *fig;
	unsigned int n, max;
};

static void vd_probes_one(const struct vd_path *path, const struct vd_probe_stats *st,
			  void *arg)
{
	struct vd_probes_pub *pub = arg;
	struct vpnecmp_probe_fig *f, *nf;

	if (pub->n == pub->max) {
		pub->max = pub->max ? 2 * pub->max : 16;
		nf = realloc(pub->fig, pub->max * sizeof(*nf));
		if (!nf)
			return;
		pub->fig = nf;
	}
	f = &pub->fig[pub->n++];
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", path->name);
	f->up = st->up;
	f->degraded = st->degraded;
	f->samples = st->fig.samples;
	f->lost = st->fig.lost;
	f->has_rtt = st->fig.has_rtt;
	f->p50_us = st->fig.p50_us;
	f->p99_us = st->fig.p99_us;
	f->jitter_us = st->fig.jitter_us;
}

static void vd_probes_publish(void)
{
	struct vd_probes_pub pub = { 0 };
	int ret;

	vd_probe_foreach(vd_probes_one, &pub);
	ret = pub.n ? vpnecmp_probes_write(pub.fig, pub.n) : 0;
	if (!pub.n)
		vpnecmp_probes_clear();
	if (ret && !vd_probes_failed)
		vd_log(4, "probes: cannot tell path show the figures: %s", strerror(-ret));
	vd_probes_failed = ret != 0;
	free(pub.fig);
}

static int vd_metrics_fds(int *fds, int max)
{
	(void)fds;
	(void)max;
	return 0;
}

static void vd_metrics_handle(int fd)
{
	(void)fd;
}

static int vd_metrics_open(struct vd_conf *conf)
{
	bool probed = false;

	for (unsigned int i = 0; i < conf->npaths; i++)
		probed |= conf->paths[i].probe != VD_PROBE_NONE;
	snprintf(vd_metrics_file, sizeof(vd_metrics_file), "%s", conf->metrics);
	vd_metrics_failed = false;
	vd_probes_failed = false;
	if (!probed)
		vpnecmp_probes_clear();
	/* the probes' first figures after the first second */
	vd_metrics_next = vd_metrics_file[0] || probed ? vd_now_ms() + VD_METRICS_PERIOD_MS : 0;
	return 0;
}

static void vd_metrics_close(void)
{
	vd_metrics_file[0] = '\0';
	vd_metrics_next = 0;
}

static uint64_t vd_metrics_deadline(void)
{
	return vd_metrics_next;
}

static void vd_metrics_timer(uint64_t now)
{
	if (!vd_metrics_next || now < vd_metrics_next)
		return;
	vd_probes_publish();
	if (vd_metrics_file[0])
		vd_metrics_write();
	vd_metrics_next = now + VD_METRICS_PERIOD_MS;
}

const struct vd_feeder vd_feeder_metrics = {
	.name = "metrics",
	.open = vd_metrics_open,
	.close = vd_metrics_close,
	.fds = vd_metrics_fds,
	.handle = vd_metrics_handle,
	.deadline = vd_metrics_deadline,
	.timer = vd_metrics_timer,
};
