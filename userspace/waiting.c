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

/* RUNDIR/waiting.INODE of the calling thread's network namespace. */
static int vpnecmp_waiting_file(char *buf, size_t len)
{
	struct stat st;

	if (stat("/proc/self/ns/net", &st))
		return -errno;
	if ((size_t)snprintf(buf, len, "%s/waiting.%llu", vpnecmp_rundir(),
			     (unsigned long long)st.st_ino) >= len)
		return -ENAMETOOLONG;
	return 0;
}

int vpnecmp_waiting_write(const struct vpnecmp_waiting *w, unsigned int n)
{
	char file[512], tmp[544];
	FILE *f;
	int ret;

	ret = vpnecmp_waiting_file(file, sizeof(file));
	if (ret)
		return ret;
	if (!n) {
		if (unlink(file) && errno != ENOENT)
			return -errno;
		return 0;
	}
	if (mkdir(vpnecmp_rundir(), 0755) && errno != EEXIST)
		return -errno;
	snprintf(tmp, sizeof(tmp), "%s.tmp", file);
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	fprintf(f, "pid %ld\n", (long)getpid());
	for (unsigned int i = 0; i < n; i++) {
		if (w[i].group)
			fprintf(f, "group %s %u %s\n", w[i].name, w[i].nhid,
				vpnecmp_wait_for_name(w[i].wait_for));
		else
			fprintf(f, "path %s %s %s %u %s\n", w[i].name, w[i].in_group, w[i].dev,
				w[i].nhid, vpnecmp_wait_for_name(w[i].wait_for));
	}
	if (fclose(f) || rename(tmp, file)) {
		ret = -errno;
		unlink(tmp);
		return ret;
	}
	return 0;
}

void vpnecmp_waiting_clear(void)
{
	vpnecmp_waiting_write(NULL, 0);
}

int vpnecmp_waiting_read(struct vpnecmp_waiting **out)
{
	struct vpnecmp_waiting *w = NULL, *nw;
	char file[512], line[256], kind[8], wf[16];
	unsigned int n = 0;
	long pid = 0;
	FILE *f;
	int ret;

	*out = NULL;
	ret = vpnecmp_waiting_file(file, sizeof(file));
	if (ret)
		return ret;
	f = fopen(file, "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	if (!fgets(line, sizeof(line), f) || sscanf(line, "pid %ld", &pid) != 1 || pid <= 0 ||
	    (kill((pid_t)pid, 0) && errno == ESRCH)) {
		/* not a list, or its daemon is gone */
		fclose(f);
		return 0;
	}
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
