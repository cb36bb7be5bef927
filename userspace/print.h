/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One output API for text and JSON, in the iproute2 manner: every field is
 * printed once, and the mode decides whether it lands as "key value" text or
 * as a JSON member.
 */
#ifndef _VPNECMP_PRINT_H
#define _VPNECMP_PRINT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum vpnecmp_print_to {
	VPNECMP_TEXT = 1,			/* text output only */
	VPNECMP_JSON = 2,			/* JSON output only */
	VPNECMP_ANY = VPNECMP_TEXT | VPNECMP_JSON,
};

void vpnecmp_print_init(FILE *out, bool json, bool pretty);
bool vpnecmp_print_is_json(void);

/* JSON containers; key is NULL inside arrays and at the top level. */
void vpnecmp_open_object(const char *key);
void vpnecmp_close_object(void);
void vpnecmp_open_array(const char *key);
void vpnecmp_close_array(void);

/*
 * Scalars.  fmt is the text form, with exactly one conversion matching the
 * value (or none); text fields are separated by one space automatically.
 * A NULL string is printed as JSON null (and as "-" in text).
 */
void vpnecmp_print_uint(int to, const char *key, const char *fmt, unsigned int v);
void vpnecmp_print_int(int to, const char *key, const char *fmt, int v);
void vpnecmp_print_u64(int to, const char *key, const char *fmt, uint64_t v);
void vpnecmp_print_string(int to, const char *key, const char *fmt, const char *s);
void vpnecmp_print_bool(int to, const char *key, const char *fmt, bool v);
void vpnecmp_print_null(const char *key);
/* Text only: s as a quoted, escaped string (kernel messages stay on one line). */
void vpnecmp_print_quoted(const char *s);

/*
 * Text: end the line (JSON: nothing).  The indent applies to the line being
 * started and is reset by vpnecmp_print_nl().
 */
void vpnecmp_print_nl(void);
void vpnecmp_print_indent(unsigned int spaces);

/* End of one top-level JSON value: newline and flush.  Flushes text too. */
void vpnecmp_print_end(void);

/* JSON string escaping, exposed for the unit check. */
void vpnecmp_json_escape(FILE *out, const char *s);

#endif /* _VPNECMP_PRINT_H */
