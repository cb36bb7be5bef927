// SPDX-License-Identifier: GPL-2.0
/*
 * Who feeds a signal.
 *
 * A signal of a path (dpd, bgp, probe) can be set by "vpnecmp daemon"'s
 * feeders and by anyone running "vpnecmp event"; the module keeps the last
 * value written.  So that a script or an operator does not silently undo
 * what a feeder reports (or the reverse), the daemon declares the signals
 * it feeds in VPNECMP_RUN_DIR/signals.NETNS, NETNS being the inode number
 * of its network namespace, one line per path and signal:
 *
 *   PATH SIGNAL SOURCE PID CONF
 *
 * (SOURCE: strongswan, libreswan, bgp or probe; CONF: the daemon's file).
 * It writes the file whole (a temporary file renamed over it) at start and
 * after every reload, and removes it when it stops.  "vpnecmp event"
 * refuses to write a declared signal unless it names the same source
 * ("source libreswan": the libreswan updown hook, the half of that feeder
 * that runs in pluto) or says "force".  A file whose daemon is no longer
 * running is ignored.  The module knows nothing of this: it is an
 * agreement between the tools, which is enough to stop accidents.
 *
 * VPNECMP_RUN_DIR in the environment replaces /run/vpnecmp (tests).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "owner.h"

static const char *vpnecmp_run_dir(void)
{
	const char *d = getenv("VPNECMP_RUN_DIR");

	return d && *d ? d : VPNECMP_RUN_DIR;
}

int vpnecmp_owner_file(char *buf, size_t len)
{
	struct stat st;
	int n;

	if (stat("/proc/self/ns/net", &st))
		return -errno;
	n = snprintf(buf, len, "%s/signals.%lu", vpnecmp_run_dir(), (unsigned long)st.st_ino);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* "PATH SIGNAL SOURCE PID CONF": 0, or -1 for a line that is not one. */
static int vpnecmp_owner_parse(char *line, struct vpnecmp_owner *o)
{
	char path[64], sig[16], src[64];
	int pid, off = 0, s;

	line[strcspn(line, "\n")] = '\0';
	if (sscanf(line, "%63s %15s %63s %d %n", path, sig, src, &pid, &off) != 4 || !off)
		return -1;
	s = vpnecmp_get_signal(sig);
	if (s < 0 || strlen(path) >= sizeof(o->path) || strlen(src) >= sizeof(o->source) ||
	    pid <= 0)
		return -1;
	strcpy(o->path, path);
	o->signal = (unsigned int)s;
	strcpy(o->source, src);
	o->pid = pid;
	snprintf(o->conf, sizeof(o->conf), "%s", line + off);
	return 0;
}

int vpnecmp_owner_find(const char *path, unsigned int signal, struct vpnecmp_owner *o)
{
	char file[512], line[512];
	int found = 0;
	FILE *f;

	if (vpnecmp_owner_file(file, sizeof(file)))
		return 0;
	f = fopen(file, "re");
	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		if (vpnecmp_owner_parse(line, o))
			continue;
		found = !strcmp(o->path, path) && o->signal == signal;
	}
	fclose(f);
	/* a daemon that died without removing its file owns nothing */
	if (found && kill(o->pid, 0) && errno == ESRCH)
		found = 0;
	return found;
}

int vpnecmp_owner_write(const struct vpnecmp_owner *o, unsigned int n)
{
	char file[512], tmp[600];
	int ret = 0;
	FILE *f;

	if (vpnecmp_owner_file(file, sizeof(file)))
		return -ENAMETOOLONG;
	if (mkdir(vpnecmp_run_dir(), 0755) && errno != EEXIST)
		return -errno;
	snprintf(tmp, sizeof(tmp), "%s.%d", file, (int)getpid());
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	fprintf(f, "# vpnecmp daemon: signals its feeders own (PATH SIGNAL SOURCE PID CONF)\n");
	for (unsigned int i = 0; i < n; i++)
		fprintf(f, "%s %s %s %d %s\n", o[i].path, vpnecmp_signal_name(o[i].signal),
			o[i].source, (int)o[i].pid, o[i].conf);
	if (fflush(f) || ferror(f))
		ret = -EIO;
	if (fclose(f) && !ret)
		ret = -EIO;
	if (!ret && rename(tmp, file))
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

void vpnecmp_owner_remove(void)
{
	char file[512];

	if (!vpnecmp_owner_file(file, sizeof(file)))
		unlink(file);
}
