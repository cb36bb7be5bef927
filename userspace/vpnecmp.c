// SPDX-License-Identifier: GPL-2.0
/*
 * vpnecmp - configure and watch tunnel-aware nexthop groups.
 *
 * Options and dispatch; every OBJECT lives in its own cmd_*.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "print.h"

#ifndef VPNECMP_CLI_VERSION
#define VPNECMP_CLI_VERSION	"unknown"
#endif

struct vpnecmp_opts vpnecmp_opts;

static const struct vpnecmp_cmd *const vpnecmp_cmds[] = {
	&vpnecmp_cmd_version,
	&vpnecmp_cmd_group,
	&vpnecmp_cmd_path,
	&vpnecmp_cmd_event,
	&vpnecmp_cmd_monitor,
	&vpnecmp_cmd_stats,
	&vpnecmp_cmd_daemon,
};

static const char *const vpnecmp_main_help[] = {
	"vpnecmp [ OPTIONS ] OBJECT { COMMAND | help }",
	NULL
};

static const char *const vpnecmp_main_where[] = {
	"OPTIONS := { -j | -p | -s | -br | -n NETNS | -V | -h }",
	"OBJECT := { group | path | event | monitor | stats | daemon | version | help }",
	NULL
};

#define VPNECMP_NCMDS	(sizeof(vpnecmp_cmds) / sizeof(vpnecmp_cmds[0]))

/* The whole synopsis: the same text as SYNOPSIS in vpnecmp(8). */
static noreturn void vpnecmp_usage(FILE *out, int status)
{
	const char *const *w;
	bool first = true;
	size_t i;

	vpnecmp_print_synopsis(out, vpnecmp_main_help, &first);
	for (i = 0; i < VPNECMP_NCMDS; i++)
		vpnecmp_print_synopsis(out, vpnecmp_cmds[i]->help, &first);
	for (w = vpnecmp_main_where; *w; w++)
		fprintf(out, "%s%s\n", w == vpnecmp_main_where ? "where  " : "       ", *w);
	for (i = 0; i < VPNECMP_NCMDS; i++)
		for (w = vpnecmp_cmds[i]->where; w && *w; w++)
			fprintf(out, "       %s\n", *w);
	exit(status);
}

/* Like "ip -n": enter /run/netns/NETNS (or a path) before anything else. */
static int vpnecmp_enter_netns(const char *name)
{
	char path[4096];
	int fd;

	if (strchr(name, '/'))
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", name);

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "Cannot open network namespace \"%s\": %s\n",
			name, strerror(errno));
		return -1;
	}
	if (setns(fd, CLONE_NEWNET) < 0) {
		fprintf(stderr, "setting the network namespace \"%s\" failed: %s\n",
			name, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	const char *opt;
	size_t i;

	for (argc--, argv++; argc > 0 && argv[0][0] == '-'; argc--, argv++) {
		opt = argv[0];
		if (!strcmp(opt, "-j")) {
			vpnecmp_opts.json = true;
		} else if (!strcmp(opt, "-p")) {
			vpnecmp_opts.json = true;
			vpnecmp_opts.pretty = true;
		} else if (!strcmp(opt, "-s")) {
			vpnecmp_opts.stats++;
		} else if (!strcmp(opt, "-br") || !strcmp(opt, "-brief")) {
			vpnecmp_opts.brief = true;
		} else if (!strcmp(opt, "-n")) {
			if (argc < 2) {
				fprintf(stderr, "Option \"-n\" needs a network namespace name, try \"vpnecmp help\".\n");
				return VPNECMP_EXIT_USAGE;
			}
			argc--;
			argv++;
			vpnecmp_opts.netns = argv[0];
		} else if (!strcmp(opt, "-V") || !strcmp(opt, "--version")) {
			printf("vpnecmp utility, version %s\n", VPNECMP_CLI_VERSION);
			return VPNECMP_EXIT_OK;
		} else if (!strcmp(opt, "-h") || !strcmp(opt, "--help")) {
			vpnecmp_usage(stdout, VPNECMP_EXIT_OK);
		} else {
			fprintf(stderr, "Option \"%s\" is unknown, try \"vpnecmp help\".\n", opt);
			return VPNECMP_EXIT_USAGE;
		}
	}

	if (argc < 1)
		vpnecmp_usage(stderr, VPNECMP_EXIT_USAGE);
	if (!strcmp(argv[0], "help"))
		vpnecmp_usage(stdout, VPNECMP_EXIT_OK);

	if (vpnecmp_opts.netns && vpnecmp_enter_netns(vpnecmp_opts.netns) < 0)
		return VPNECMP_EXIT_ERROR;

	vpnecmp_print_init(stdout, vpnecmp_opts.json, vpnecmp_opts.pretty);

	for (i = 0; i < VPNECMP_NCMDS; i++)
		if (!strcmp(argv[0], vpnecmp_cmds[i]->name))
			return vpnecmp_cmds[i]->fn(vpnecmp_cmds[i], argc - 1, argv + 1);

	fprintf(stderr, "Object \"%s\" is unknown, try \"vpnecmp help\".\n", argv[0]);
	return VPNECMP_EXIT_USAGE;
}
