// SPDX-License-Identifier: GPL-2.0
/*
 * Argument parsing helpers and enum names shared by the commands.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <linux/vpnecmp.h>

#include "cli.h"
#include "nl.h"
#include "obj.h"
#include "print.h"

static const char *const vpnecmp_signal_names[] = {
	[VPNECMP_SIGNAL_SA]	= "sa",
	[VPNECMP_SIGNAL_DPD]	= "dpd",
	[VPNECMP_SIGNAL_BGP]	= "bgp",
	[VPNECMP_SIGNAL_PROBE]	= "probe",
	[VPNECMP_SIGNAL_ADMIN]	= "admin",
};

static const char *const vpnecmp_path_state_names[] = {
	[VPNECMP_PATH_DOWN]	= "down",
	[VPNECMP_PATH_HOLD]	= "hold",
	[VPNECMP_PATH_UP]	= "up",
};

static const char *const vpnecmp_reason_names[] = {
	[VPNECMP_REASON_NONE]		= "none",
	[VPNECMP_REASON_SA]		= "sa",
	[VPNECMP_REASON_DPD]		= "dpd",
	[VPNECMP_REASON_BGP]		= "bgp",
	[VPNECMP_REASON_PROBE]		= "probe",
	[VPNECMP_REASON_ADMIN]		= "admin",
	[VPNECMP_REASON_NEXTHOP]	= "nexthop",
	[VPNECMP_REASON_DEVICE]		= "device",
	[VPNECMP_REASON_HOLD_UP]	= "hold-up",
	[VPNECMP_REASON_SIGNALS_UP]	= "signals-up",
	[VPNECMP_REASON_CONFIG]		= "config",
	[VPNECMP_REASON_FLUSH]		= "flush",
	[VPNECMP_REASON_RESTORED]	= "restored",
	[VPNECMP_REASON_NEXTHOP_INVALID] = "nexthop-invalid",
};

static const char *const vpnecmp_group_type_names[] = {
	[VPNECMP_GROUP_MPATH]		= "mpath",
	[VPNECMP_GROUP_RESILIENT]	= "resilient",
};

static const char *const vpnecmp_all_down_names[] = {
	[VPNECMP_ALL_DOWN_KEEP]		= "keep",
	[VPNECMP_ALL_DOWN_FALLBACK]	= "fallback",
};

static const char *const vpnecmp_group_state_names[] = {
	[VPNECMP_GROUP_ACTIVE]		= "active",
	[VPNECMP_GROUP_ALL_DOWN]	= "all-down",
	[VPNECMP_GROUP_EMPTY]		= "empty",
	[VPNECMP_GROUP_ERROR]		= "error",
};

#define VPNECMP_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* A value newer than this CLI prints as "unknown(N)", in text and JSON. */
static const char *vpnecmp_name(const char *const *names, size_t n, unsigned int v)
{
	static char buf[4][24];
	static unsigned int next;
	char *b;

	if (v < n && names[v])
		return names[v];
	b = buf[next++ % VPNECMP_ARRAY_SIZE(buf)];
	snprintf(b, sizeof(buf[0]), "unknown(%u)", v);
	return b;
}

#define VPNECMP_NAME_FN(fn, table)					\
const char *fn(unsigned int v)						\
{									\
	return vpnecmp_name(table, VPNECMP_ARRAY_SIZE(table), v);	\
}

VPNECMP_NAME_FN(vpnecmp_signal_name, vpnecmp_signal_names)
VPNECMP_NAME_FN(vpnecmp_path_state_name, vpnecmp_path_state_names)
VPNECMP_NAME_FN(vpnecmp_reason_name, vpnecmp_reason_names)
VPNECMP_NAME_FN(vpnecmp_group_type_name, vpnecmp_group_type_names)
VPNECMP_NAME_FN(vpnecmp_all_down_name, vpnecmp_all_down_names)
VPNECMP_NAME_FN(vpnecmp_group_state_name, vpnecmp_group_state_names)

void vpnecmp_print_synopsis(FILE *out, const char *const *lines, bool *first)
{
	for (; *lines; lines++) {
		fprintf(out, "%s%s\n", *first ? "Usage: " : "       ", *lines);
		*first = false;
	}
}

noreturn void vpnecmp_cmd_help(const struct vpnecmp_cmd *cmd)
{
	const char *const *w;
	bool first = true;

	vpnecmp_print_synopsis(stdout, cmd->help, &first);
	for (w = cmd->where; w && *w; w++)
		printf("%s%s\n", w == cmd->where ? "where  " : "       ", *w);
	exit(VPNECMP_EXIT_OK);
}

noreturn void vpnecmp_invarg(const char *arg, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "Error: argument \"%s\" is wrong: ", arg);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(VPNECMP_EXIT_USAGE);
}

noreturn void vpnecmp_duparg(const char *key, const char *arg)
{
	fprintf(stderr, "Error: duplicate \"%s\": \"%s\" is the second value.\n",
		key, arg);
	exit(VPNECMP_EXIT_USAGE);
}

noreturn void vpnecmp_unknown(const struct vpnecmp_cmd *cmd, const char *arg)
{
	fprintf(stderr, "Command \"%s\" is unknown, try \"vpnecmp %s help\".\n",
		arg, cmd->name);
	exit(VPNECMP_EXIT_USAGE);
}

noreturn void vpnecmp_missing(const struct vpnecmp_cmd *cmd, const char *key)
{
	fprintf(stderr, "Error: \"%s\" is required, try \"vpnecmp %s help\".\n",
		key, cmd->name);
	exit(VPNECMP_EXIT_USAGE);
}

noreturn void vpnecmp_incomplete(const struct vpnecmp_cmd *cmd)
{
	fprintf(stderr, "Command line is not complete, try \"vpnecmp %s help\".\n",
		cmd->name);
	exit(VPNECMP_EXIT_USAGE);
}

noreturn void vpnecmp_usage_error(const struct vpnecmp_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("Error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ", try \"vpnecmp %s help\".\n", cmd->name);
	exit(VPNECMP_EXIT_USAGE);
}

void vpnecmp_next_arg(const struct vpnecmp_cmd *cmd, int *argc, char ***argv)
{
	if (*argc <= 1)
		vpnecmp_incomplete(cmd);
	(*argc)--;
	(*argv)++;
}

/*
 * Strict unsigned parsing, the same for the command line and the daemon's
 * file: decimal digits only (no sign, no blanks; a leading zero is just a
 * zero, "010" is ten, never octal), "0x" hex only where hex is allowed (marks
 * and interface ids), the whole word, and the range.  Returns 0, -EINVAL
 * (not a number) or -ERANGE (outside min..max); never prints.
 */
int vpnecmp_parse_u32(const char *arg, uint32_t min, uint32_t max, bool hex, uint32_t *out)
{
	const char *digits = arg;
	unsigned long long v;
	int base = 10;
	char *end;

	if (hex && (!strncmp(arg, "0x", 2) || !strncmp(arg, "0X", 2))) {
		digits = arg + 2;
		base = 16;
	}
	if (!*digits || !strchr(base == 16 ? "0123456789abcdefABCDEF" : "0123456789", *digits))
		return -EINVAL;
	errno = 0;
	v = strtoull(digits, &end, base);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = (uint32_t)v;
	return 0;
}

/* The reason, as both the CLI and the daemon print it after the word. */
const char *vpnecmp_u32_error(int err, const char *what, uint32_t min, uint32_t max,
			      char *buf, size_t len)
{
	if (err == -ERANGE)
		snprintf(buf, len, "%s is out of range %u..%u", what, min, max);
	else
		snprintf(buf, len, "%s is not a number", what);
	return buf;
}

uint32_t vpnecmp_get_u32(const char *arg, const char *what, uint32_t min,
			 uint32_t max, bool hex)
{
	uint32_t v = 0;
	char buf[128];
	int err;

	err = vpnecmp_parse_u32(arg, min, max, hex, &v);
	if (err)
		vpnecmp_invarg(arg, "%s", vpnecmp_u32_error(err, what, min, max, buf, sizeof(buf)));
	return v;
}

/*
 * Group and path names: 1..VPNECMP_NAME_MAX - 1 characters out of
 * [A-Za-z0-9_.-], so that they print the same in text, JSON and Prometheus
 * labels.  The module refuses any other name too.  Returns 0 or an error
 * with its reason in buf; never prints.
 */
int vpnecmp_check_name(const char *arg, const char *what, char *buf, size_t len)
{
	size_t n = strlen(arg);

	if (!n || n >= VPNECMP_NAME_MAX) {
		snprintf(buf, len, "%s name must be 1 to %d characters", what,
			 VPNECMP_NAME_MAX - 1);
		return -EINVAL;
	}
	for (const char *c = arg; *c; c++) {
		if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		    (*c >= '0' && *c <= '9') || *c == '_' || *c == '.' || *c == '-')
			continue;
		snprintf(buf, len, "%s name may only contain letters, digits, '_', '.' and '-'",
			 what);
		return -EINVAL;
	}
	return 0;
}

const char *vpnecmp_get_name(const char *arg, const char *what)
{
	char buf[128];

	if (vpnecmp_check_name(arg, what, buf, sizeof(buf)))
		vpnecmp_invarg(arg, "%s", buf);
	return arg;
}

int vpnecmp_get_signal(const char *arg)
{
	unsigned int i;

	for (i = 0; i < VPNECMP_ARRAY_SIZE(vpnecmp_signal_names); i++)
		if (!strcmp(arg, vpnecmp_signal_names[i]))
			return (int)i;
	return -1;
}

/*
 * "sa,dpd,...": the mask, or -EINVAL with the reason in why.  The CLI and
 * the daemon's file read signal lists with this one; it never prints.
 */
int vpnecmp_parse_signals(const char *arg, uint32_t *out, char *why, size_t len)
{
	const char *p = arg, *comma;
	uint32_t mask = 0;
	char word[16];
	size_t n;
	int sig;

	for (;;) {
		comma = strchr(p, ',');
		n = comma ? (size_t)(comma - p) : strlen(p);
		if (!n || n >= sizeof(word)) {
			snprintf(why, len, "signals must be a list of sa, dpd, bgp, probe, admin");
			return -EINVAL;
		}
		memcpy(word, p, n);
		word[n] = '\0';
		sig = vpnecmp_get_signal(word);
		if (sig < 0) {
			snprintf(why, len, "\"%s\" is not a signal (sa, dpd, bgp, probe, admin)", word);
			return -EINVAL;
		}
		mask |= 1U << sig;
		if (!comma) {
			*out = mask;
			return 0;
		}
		p = comma + 1;
	}
}

uint32_t vpnecmp_get_signals(const char *arg)
{
	uint32_t mask = 0;
	char why[128];

	if (vpnecmp_parse_signals(arg, &mask, why, sizeof(why)))
		vpnecmp_invarg(arg, "%s", why);
	return mask;
}

const char *vpnecmp_signals_str(uint32_t mask, char *buf, size_t len)
{
	size_t off = 0;
	unsigned int i;
	int n;

	buf[0] = '\0';
	for (i = 0; i < 32; i++) {
		if (!(mask & (1U << i)))
			continue;
		if (i < VPNECMP_ARRAY_SIZE(vpnecmp_signal_names))
			n = snprintf(buf + off, len - off, "%s%s", off ? "," : "",
				     vpnecmp_signal_names[i]);
		else
			n = snprintf(buf + off, len - off, "%sunknown(%u)", off ? "," : "", i);
		if (n < 0 || (size_t)n >= len - off)
			break;
		off += (size_t)n;
	}
	if (!off)
		snprintf(buf, len, "none");
	return buf;
}

void vpnecmp_print_signals(const char *key, const char *label, uint32_t mask)
{
	char buf[256], fmt[64];
	unsigned int i;

	if (vpnecmp_print_is_json()) {
		vpnecmp_open_array(key);
		for (i = 0; i < 32; i++)
			if (mask & (1U << i))
				vpnecmp_print_string(VPNECMP_JSON, NULL, NULL,
						     vpnecmp_signal_name(i));
		vpnecmp_close_array();
		return;
	}
	snprintf(fmt, sizeof(fmt), "%s %%s", label);
	vpnecmp_print_string(VPNECMP_TEXT, NULL, fmt,
			     vpnecmp_signals_str(mask, buf, sizeof(buf)));
}

void vpnecmp_print_attr_u32(const char *key, const char *fmt, const struct nlattr *a)
{
	if (a)
		vpnecmp_print_uint(VPNECMP_ANY, key, fmt, vpnecmp_attr_u32(a));
	else
		vpnecmp_print_null(key);
}

void vpnecmp_print_attr_u64(const char *key, const char *fmt, const struct nlattr *a)
{
	if (a)
		vpnecmp_print_u64(VPNECMP_ANY, key, fmt, vpnecmp_attr_u64(a));
	else
		vpnecmp_print_null(key);
}

void vpnecmp_print_attr_str(const char *key, const char *fmt, const struct nlattr *a)
{
	if (a)
		vpnecmp_print_string(VPNECMP_ANY, key, fmt, vpnecmp_attr_str(a));
	else
		vpnecmp_print_null(key);
}

static void vpnecmp_print_member(const struct vpnecmp_member *m, void *arg)
{
	char buf[64];
	int n;

	(void)arg;
	if (vpnecmp_print_is_json()) {
		vpnecmp_open_object(NULL);
		vpnecmp_print_uint(VPNECMP_JSON, "nhid", NULL, m->nhid);
		if (m->has_weight)
			vpnecmp_print_uint(VPNECMP_JSON, "weight", NULL, m->weight);
		else
			vpnecmp_print_null("weight");
		vpnecmp_print_string(VPNECMP_JSON, "path", NULL, m->path);
		vpnecmp_close_object();
		return;
	}
	n = snprintf(buf, sizeof(buf), "%u", m->nhid);
	if (m->has_weight)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "/%u", m->weight);
	if (m->path)
		snprintf(buf + n, sizeof(buf) - (size_t)n, "(%s)", m->path);
	vpnecmp_print_string(VPNECMP_TEXT, NULL, "%s", buf);
}

int vpnecmp_print_members(const struct nlattr *nest)
{
	int n = 0;

	vpnecmp_print_string(VPNECMP_TEXT, NULL, "%s", "members");
	vpnecmp_open_array("members");
	if (nest)
		n = vpnecmp_nl_members(nest, vpnecmp_print_member, NULL);
	vpnecmp_close_array();
	if (!n)
		vpnecmp_print_string(VPNECMP_TEXT, NULL, "%s", "none");
	return n < 0 ? n : 0;
}

/* Only "help" may follow the words a command has consumed. */
void vpnecmp_end_of_args(const struct vpnecmp_cmd *cmd, int argc, char **argv)
{
	if (argc <= 0)
		return;
	if (!strcmp(argv[0], "help"))
		vpnecmp_cmd_help(cmd);
	vpnecmp_unknown(cmd, argv[0]);
}

/* group del / path del, for the CLI: exit status. */
int vpnecmp_del_named(uint8_t genl_cmd, const char *name)
{
	struct vpnecmp_nl *nl;
	int ret;

	nl = vpnecmp_nl_open();
	if (!nl)
		return VPNECMP_EXIT_ERROR;
	ret = vpnecmp_obj_del(nl, genl_cmd, name);
	vpnecmp_nl_close(nl);
	return ret ? VPNECMP_EXIT_ERROR : VPNECMP_EXIT_OK;
}
