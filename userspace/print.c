// SPDX-License-Identifier: GPL-2.0
/*
 * Text and JSON output.  The JSON writer is deliberately small: a stack of
 * open containers, one "first member" flag per level, and string escaping
 * that always produces valid JSON (control characters escaped, invalid UTF-8
 * replaced by U+FFFD) whatever bytes the kernel hands us.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "print.h"

#define VPNECMP_JSON_DEPTH_MAX	16

static struct {
	FILE *out;
	bool json;
	bool pretty;
	unsigned int depth;
	struct {
		bool is_array;
		bool first;
	} level[VPNECMP_JSON_DEPTH_MAX];
	bool line_start;
	unsigned int indent;
} vpnecmp_out = {
	.line_start = true,
};

void vpnecmp_print_init(FILE *out, bool json, bool pretty)
{
	vpnecmp_out.out = out;
	vpnecmp_out.json = json;
	vpnecmp_out.pretty = pretty;
	vpnecmp_out.depth = 0;
	vpnecmp_out.line_start = true;
	vpnecmp_out.indent = 0;
}

bool vpnecmp_print_is_json(void)
{
	return vpnecmp_out.json;
}

static FILE *vpnecmp_fp(void)
{
	return vpnecmp_out.out ? vpnecmp_out.out : stdout;
}

/* Length of the valid UTF-8 sequence at s, or 0 if it is not one. */
static size_t vpnecmp_utf8_len(const unsigned char *s)
{
	unsigned char lo = 0x80, hi = 0xbf;
	unsigned char c = s[0];
	size_t len, i;

	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;

	/* Reject overlong forms, UTF-16 surrogates and code points > 0x10ffff. */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;

	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

void vpnecmp_json_escape(FILE *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t len;

	putc('"', out);
	while (*s) {
		switch (*s) {
		case '"':
			fputs("\\\"", out);
			break;
		case '\\':
			fputs("\\\\", out);
			break;
		case '\b':
			fputs("\\b", out);
			break;
		case '\f':
			fputs("\\f", out);
			break;
		case '\n':
			fputs("\\n", out);
			break;
		case '\r':
			fputs("\\r", out);
			break;
		case '\t':
			fputs("\\t", out);
			break;
		default:
			if (*s < 0x20 || *s == 0x7f) {
				fprintf(out, "\\u%04x", *s);
			} else if (*s < 0x80) {
				putc(*s, out);
			} else {
				len = vpnecmp_utf8_len(s);
				if (!len) {
					fputs("\\ufffd", out);
					break;
				}
				fwrite(s, 1, len, out);
				s += len;
				continue;
			}
		}
		s++;
	}
	putc('"', out);
}

static void vpnecmp_json_newline(unsigned int depth)
{
	FILE *out = vpnecmp_fp();
	unsigned int i;

	putc('\n', out);
	for (i = 0; i < depth; i++)
		fputs("  ", out);
}

/* Separator, indentation and key before a JSON value. */
static void vpnecmp_json_member(const char *key)
{
	unsigned int d = vpnecmp_out.depth;
	FILE *out = vpnecmp_fp();

	if (!d)
		return;
	if (!vpnecmp_out.level[d - 1].first)
		putc(',', out);
	vpnecmp_out.level[d - 1].first = false;
	if (vpnecmp_out.pretty)
		vpnecmp_json_newline(d);
	if (!vpnecmp_out.level[d - 1].is_array) {
		vpnecmp_json_escape(out, key ? key : "");
		fputs(vpnecmp_out.pretty ? ": " : ":", out);
	}
}

static void vpnecmp_json_open(const char *key, bool is_array)
{
	unsigned int d = vpnecmp_out.depth;

	vpnecmp_json_member(key);
	putc(is_array ? '[' : '{', vpnecmp_fp());
	if (d == VPNECMP_JSON_DEPTH_MAX) {
		/* Programming error: fail loudly rather than emit bad JSON. */
		fputs("vpnecmp: JSON nesting too deep\n", stderr);
		abort();
	}
	vpnecmp_out.level[d].is_array = is_array;
	vpnecmp_out.level[d].first = true;
	vpnecmp_out.depth++;
}

static void vpnecmp_json_close(bool is_array)
{
	unsigned int d = vpnecmp_out.depth;

	if (!d || vpnecmp_out.level[d - 1].is_array != is_array) {
		fputs("vpnecmp: unbalanced JSON container\n", stderr);
		abort();
	}
	if (vpnecmp_out.pretty && !vpnecmp_out.level[d - 1].first)
		vpnecmp_json_newline(d - 1);
	putc(is_array ? ']' : '}', vpnecmp_fp());
	vpnecmp_out.depth--;
}

void vpnecmp_open_object(const char *key)
{
	if (vpnecmp_out.json)
		vpnecmp_json_open(key, false);
}

void vpnecmp_close_object(void)
{
	if (vpnecmp_out.json)
		vpnecmp_json_close(false);
}

void vpnecmp_open_array(const char *key)
{
	if (vpnecmp_out.json)
		vpnecmp_json_open(key, true);
}

void vpnecmp_close_array(void)
{
	if (vpnecmp_out.json)
		vpnecmp_json_close(true);
}

/* Returns true if the text form of a field should be printed. */
static bool vpnecmp_text(int to, const char *fmt)
{
	FILE *out = vpnecmp_fp();

	if (vpnecmp_out.json || !(to & VPNECMP_TEXT) || !fmt)
		return false;
	if (vpnecmp_out.line_start) {
		fprintf(out, "%*s", (int)vpnecmp_out.indent, "");
		vpnecmp_out.line_start = false;
	} else {
		putc(' ', out);
	}
	return true;
}

static bool vpnecmp_json(int to)
{
	return vpnecmp_out.json && (to & VPNECMP_JSON);
}

/*
 * fmt comes from our own call sites, always a literal with one conversion
 * matching the value; -Wformat-nonliteral cannot see that through here.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"

void vpnecmp_print_uint(int to, const char *key, const char *fmt, unsigned int v)
{
	if (vpnecmp_json(to)) {
		vpnecmp_json_member(key);
		fprintf(vpnecmp_fp(), "%u", v);
	} else if (vpnecmp_text(to, fmt)) {
		fprintf(vpnecmp_fp(), fmt, v);
	}
}

void vpnecmp_print_int(int to, const char *key, const char *fmt, int v)
{
	if (vpnecmp_json(to)) {
		vpnecmp_json_member(key);
		fprintf(vpnecmp_fp(), "%d", v);
	} else if (vpnecmp_text(to, fmt)) {
		fprintf(vpnecmp_fp(), fmt, v);
	}
}

void vpnecmp_print_u64(int to, const char *key, const char *fmt, uint64_t v)
{
	if (vpnecmp_json(to)) {
		vpnecmp_json_member(key);
		fprintf(vpnecmp_fp(), "%" PRIu64, v);
	} else if (vpnecmp_text(to, fmt)) {
		fprintf(vpnecmp_fp(), fmt, v);
	}
}

void vpnecmp_print_string(int to, const char *key, const char *fmt, const char *s)
{
	if (vpnecmp_json(to)) {
		vpnecmp_json_member(key);
		if (s)
			vpnecmp_json_escape(vpnecmp_fp(), s);
		else
			fputs("null", vpnecmp_fp());
	} else if (vpnecmp_text(to, fmt)) {
		fprintf(vpnecmp_fp(), fmt, s ? s : "-");
	}
}

void vpnecmp_print_bool(int to, const char *key, const char *fmt, bool v)
{
	if (vpnecmp_json(to)) {
		vpnecmp_json_member(key);
		fputs(v ? "true" : "false", vpnecmp_fp());
	} else if (vpnecmp_text(to, fmt)) {
		fprintf(vpnecmp_fp(), fmt, v ? "yes" : "no");
	}
}

#pragma GCC diagnostic pop

void vpnecmp_print_null(const char *key)
{
	if (vpnecmp_out.json) {
		vpnecmp_json_member(key);
		fputs("null", vpnecmp_fp());
	}
}

void vpnecmp_print_quoted(const char *s)
{
	if (vpnecmp_text(VPNECMP_TEXT, ""))
		vpnecmp_json_escape(vpnecmp_fp(), s);
}

void vpnecmp_print_nl(void)
{
	if (vpnecmp_out.json)
		return;
	putc('\n', vpnecmp_fp());
	vpnecmp_out.line_start = true;
	vpnecmp_out.indent = 0;
}

void vpnecmp_print_indent(unsigned int spaces)
{
	vpnecmp_out.indent = spaces;
}

void vpnecmp_print_end(void)
{
	FILE *out = vpnecmp_fp();

	if (vpnecmp_out.json)
		putc('\n', out);
	else if (!vpnecmp_out.line_start)
		vpnecmp_print_nl();
	vpnecmp_out.indent = 0;
	fflush(out);
}
