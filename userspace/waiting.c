// SPDX-License-Identifier: GPL-2.0
/*
 * The daemon's list of what waits (waiting.h).  Format, one object a line,
 * words separated by one space (names are [A-Za-z0-9_.-], device names
 * have no white space):
 *
 *	pid PID
 *	group NAME NHID nexthop
 *	path NAME GROUP DEV NHID { device | nexthop | group }
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "waiting.h"

/* the sscanf() widths below */
_Static_assert(VPNECMP_NAME_MAX == 16 && IF_NAMESIZE == 16, "name widths");

static const char *const vpnecmp_wait_names[] = {
	[VPNECMP_WAIT_DEVICE] = "device",
	[VPNECMP_WAIT_NEXTHOP] = "nexthop",
	[VPNECMP_WAIT_GROUP] = "group",
};

const char *vpnecmp_wait_for_name(enum vpnecmp_wait_for w)
{
	return (unsigned int)w <= VPNECMP_WAIT_GROUP ? vpnecmp_wait_names[w] : "?";
}

static int vpnecmp_wait_parse(const char *s, enum vpnecmp_wait_for *w)
{
	for (unsigned int i = 0; i <= VPNECMP_WAIT_GROUP; i++) {
		if (!strcmp(s, vpnecmp_wait_names[i])) {
			*w = (enum vpnecmp_wait_for)i;
			return 0;
		}
	}
	return -EBADMSG;
}

static const char *vpnecmp_rundir(void)
{
	const char *d = getenv("VPNECMP_RUNDIR");

	return d && *d ? d : "/run/vpnecmp";
}

/* RUNDIR/KIND.INODE of the calling thread's network namespace. */
static int vpnecmp_state_file(const char *kind, char *buf, size_t len)
{
	struct stat st;

	if (stat("/proc/self/ns/net", &st))
		return -errno;
	if ((size_t)snprintf(buf, len, "%s/%s.%llu", vpnecmp_rundir(), kind,
			     (unsigned long long)st.st_ino) >= len)
		return -ENAMETOOLONG;
	return 0;
}

static int vpnecmp_waiting_file(char *buf, size_t len)
{
	return vpnecmp_state_file("waiting", buf, len);
}

/* Open a new state file, "pid PID" written: the caller renames tmp to file. */
static FILE *vpnecmp_state_create(const char *kind, char *file, size_t flen, char *tmp,
				  size_t tlen, int *err)
{
	FILE *f;

	*err = vpnecmp_state_file(kind, file, flen);
	if (*err)
		return NULL;
	if (mkdir(vpnecmp_rundir(), 0755) && errno != EEXIST) {
		*err = -errno;
		return NULL;
	}
	snprintf(tmp, tlen, "%s.tmp", file);
	f = fopen(tmp, "we");
	if (!f) {
		*err = -errno;
		return NULL;
	}
	fprintf(f, "pid %ld\n", (long)getpid());
	return f;
}

static int vpnecmp_state_commit(FILE *f, const char *file, const char *tmp)
{
	int ret = 0;

	if (ferror(f))
		ret = -EIO;
	if (fclose(f) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, file))
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

/* A state file of a running daemon, its "pid" line read; NULL if none. */
static FILE *vpnecmp_state_open(const char *kind, int *err)
{
	char file[512], line[64];
	long pid = 0;
	FILE *f;

	*err = vpnecmp_state_file(kind, file, sizeof(file));
	if (*err)
		return NULL;
	f = fopen(file, "re");
	if (!f) {
		*err = errno == ENOENT ? 0 : -errno;
		return NULL;
	}
	if (!fgets(line, sizeof(line), f) || sscanf(line, "pid %ld", &pid) != 1 || pid <= 0 ||
	    (kill((pid_t)pid, 0) && errno == ESRCH)) {
		/* not a state file, or its daemon is gone */
		fclose(f);
		return NULL;
	}
	return f;
}

int vpnecmp_waiting_write(const struct vpnecmp_waiting *w, unsigned int n)
{
	char file[512], tmp[544];
	FILE *f;
	int ret;

	if (!n) {
		ret = vpnecmp_waiting_file(file, sizeof(file));
		if (!ret && unlink(file) && errno != ENOENT)
			ret = -errno;
		return ret;
	}
	f = vpnecmp_state_create("waiting", file, sizeof(file), tmp, sizeof(tmp), &ret);
	if (!f)
		return ret;
	for (unsigned int i = 0; i < n; i++) {
		if (w[i].group)
			fprintf(f, "group %s %u %s\n", w[i].name, w[i].nhid,
				vpnecmp_wait_for_name(w[i].wait_for));
		else
			fprintf(f, "path %s %s %s %u %s\n", w[i].name, w[i].in_group, w[i].dev,
				w[i].nhid, vpnecmp_wait_for_name(w[i].wait_for));
	}
	return vpnecmp_state_commit(f, file, tmp);
}

void vpnecmp_waiting_clear(void)
{
	vpnecmp_waiting_write(NULL, 0);
}

int vpnecmp_waiting_read(struct vpnecmp_waiting **out)
{
	struct vpnecmp_waiting *w = NULL, *nw;
	char line[256], kind[8], wf[16];
	unsigned int n = 0;
	FILE *f;
	int ret;

	*out = NULL;
	f = vpnecmp_state_open("waiting", &ret);
	if (!f)
		return ret;
	while (fgets(line, sizeof(line), f)) {
		struct vpnecmp_waiting e = { 0 };
		int got;

		if (sscanf(line, "%7s", kind) != 1)
			continue;
		if (!strcmp(kind, "group")) {
			e.group = true;
			got = sscanf(line, "group %15s %u %15s", e.name, &e.nhid, wf) == 3;
		} else {
			got = sscanf(line, "path %15s %15s %15s %u %15s", e.name, e.in_group, e.dev,
				     &e.nhid, wf) == 5;
		}
		if (!got || vpnecmp_wait_parse(wf, &e.wait_for))
			continue;
		nw = realloc(w, (n + 1) * sizeof(*w));
		if (!nw) {
			free(w);
			fclose(f);
			return -ENOMEM;
		}
		w = nw;
		w[n++] = e;
	}
	fclose(f);
	*out = w;
	return (int)n;
}

int vpnecmp_probes_write(const struct vpnecmp_probe_fig *p, unsigned int n)
{
	char file[512], tmp[544];
	FILE *f;
	int ret;

	f = vpnecmp_state_create("probes", file, sizeof(file), tmp, sizeof(tmp), &ret);
	if (!f)
		return ret;
	for (unsigned int i = 0; i < n; i++)
		fprintf(f, "probe %s %d %d %u %u %d %u %u %u\n", p[i].name, p[i].up,
			p[i].degraded, p[i].samples, p[i].lost, p[i].has_rtt, p[i].p50_us,
			p[i].p99_us, p[i].jitter_us);
	return vpnecmp_state_commit(f, file, tmp);
}

void vpnecmp_probes_clear(void)
{
	char file[512];

	if (!vpnecmp_state_file("probes", file, sizeof(file)))
		unlink(file);
}

int vpnecmp_probes_read(struct vpnecmp_probe_fig **out)
{
	struct vpnecmp_probe_fig *p = NULL, *np;
	unsigned int n = 0;
	char line[256];
	FILE *f;
	int ret;

	*out = NULL;
	f = vpnecmp_state_open("probes", &ret);
	if (!f)
		return ret;
	while (fgets(line, sizeof(line), f)) {
		struct vpnecmp_probe_fig e = { 0 };
		int up, degraded, has_rtt;

		if (sscanf(line, "probe %15s %d %d %u %u %d %u %u %u", e.name, &up, &degraded,
			   &e.samples, &e.lost, &has_rtt, &e.p50_us, &e.p99_us,
			   &e.jitter_us) != 9)
			continue;
		e.up = up;
		e.degraded = degraded;
		e.has_rtt = has_rtt;
		np = realloc(p, (n + 1) * sizeof(*p));
		if (!np) {
			free(p);
			fclose(f);
			return -ENOMEM;
		}
		p = np;
		p[n++] = e;
	}
	fclose(f);
	*out = p;
	return (int)n;
}
