/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the command files: global options, the object table entry,
 * argument parsing helpers (they print the error and exit with status 2)
 * and the names of the uAPI enums.
 */
#ifndef _VPNECMP_CLI_H
#define _VPNECMP_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdnoreturn.h>

#define VPNECMP_EXIT_OK		0
#define VPNECMP_EXIT_ERROR	1
#define VPNECMP_EXIT_USAGE	2

struct vpnecmp_opts {
	bool json;
	bool pretty;
	int stats;		/* -s count */
	bool brief;		/* -br: one line per object */
	const char *netns;
};

extern struct vpnecmp_opts vpnecmp_opts;

/* One OBJECT: argv[0] is the first word after the object name. */
struct vpnecmp_cmd {
	const char *name;
	int (*fn)(const struct vpnecmp_cmd *cmd, int argc, char **argv);
	const char *const *help;	/* synopsis lines, NULL-terminated */
	const char *const *where;	/* "NAME := ..." lines, or NULL */
};

extern const struct vpnecmp_cmd vpnecmp_cmd_group;
extern const struct vpnecmp_cmd vpnecmp_cmd_path;
extern const struct vpnecmp_cmd vpnecmp_cmd_event;
extern const struct vpnecmp_cmd vpnecmp_cmd_monitor;
extern const struct vpnecmp_cmd vpnecmp_cmd_version;
extern const struct vpnecmp_cmd vpnecmp_cmd_stats;
extern const struct vpnecmp_cmd vpnecmp_cmd_daemon;

/* Usage of one object, on stdout; exits 0. */
noreturn void vpnecmp_cmd_help(const struct vpnecmp_cmd *cmd);
void vpnecmp_print_synopsis(FILE *out, const char *const *lines, bool *first);

/* Argument errors: print in iproute2 form and exit 2. */
noreturn void vpnecmp_invarg(const char *arg, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
noreturn void vpnecmp_duparg(const char *key, const char *arg);
noreturn void vpnecmp_unknown(const struct vpnecmp_cmd *cmd, const char *arg);
noreturn void vpnecmp_missing(const struct vpnecmp_cmd *cmd, const char *key);
void vpnecmp_end_of_args(const struct vpnecmp_cmd *cmd, int argc, char **argv);
int vpnecmp_del_named(uint8_t genl_cmd, const char *name);
noreturn void vpnecmp_incomplete(const struct vpnecmp_cmd *cmd);
noreturn void vpnecmp_usage_error(const struct vpnecmp_cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Step to the value of a keyword, or fail as an incomplete command line. */
void vpnecmp_next_arg(const struct vpnecmp_cmd *cmd, int *argc, char ***argv);

uint32_t vpnecmp_get_u32(const char *arg, const char *what, uint32_t min,
			 uint32_t max, bool hex);
const char *vpnecmp_get_name(const char *arg, const char *what);

/* The same rules for the CLI and the daemon's file; these never print. */
int vpnecmp_parse_u32(const char *arg, uint32_t min, uint32_t max, bool hex, uint32_t *out);
const char *vpnecmp_u32_error(int err, const char *what, uint32_t min, uint32_t max,
			      char *buf, size_t len);
int vpnecmp_check_name(const char *arg, const char *what, char *buf, size_t len);
int vpnecmp_parse_signals(const char *arg, uint32_t *mask, char *why, size_t len);
uint32_t vpnecmp_get_signals(const char *arg);
int vpnecmp_get_signal(const char *arg);	/* -1 if unknown */

/* Names of the uAPI enums; "unknown" for values this CLI does not know. */
const char *vpnecmp_signal_name(unsigned int v);
const char *vpnecmp_path_state_name(unsigned int v);
const char *vpnecmp_reason_name(unsigned int v);
const char *vpnecmp_group_type_name(unsigned int v);
const char *vpnecmp_all_down_name(unsigned int v);
const char *vpnecmp_group_state_name(unsigned int v);

/* "sa,dpd" (or "none") into buf. */
const char *vpnecmp_signals_str(uint32_t mask, char *buf, size_t len);
/* A signal mask: JSON array of names under key, text "label a,b". */
void vpnecmp_print_signals(const char *key, const char *label, uint32_t mask);

/*
 * An optional attribute: its value, or JSON null (and nothing in text) when
 * the kernel did not send it, so that JSON keys stay the same.
 */
struct nlattr;
void vpnecmp_print_attr_u32(const char *key, const char *fmt, const struct nlattr *a);
void vpnecmp_print_attr_u64(const char *key, const char *fmt, const struct nlattr *a);
void vpnecmp_print_attr_str(const char *key, const char *fmt, const struct nlattr *a);

/* A MEMBERS nest: JSON array under "members", text "members 1/1(t1) ...". */
int vpnecmp_print_members(const struct nlattr *nest);

#endif /* _VPNECMP_CLI_H */
