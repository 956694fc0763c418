/*
 * stat_out.c - spoolstat's output helpers: names and payloads printed
 * without ever sending a control sequence to the terminal, JSON strings,
 * and ages for people.
 *
 * A job's name is any file name, so it may hold escape sequences meant for
 * a terminal, or bytes that are not UTF-8.  Names come out escaped: \\,
 * \n, \t and \xNN for control characters (C0, DEL, and the C1 controls
 * that some terminals obey in UTF-8 too) and for bytes that are not part of
 * a valid UTF-8 sequence.  spooladmin reads that form back, so that
 * `spoolstat ls -i | spooladmin requeue -` works for every name.
 */
#include <stdio.h>
#include <string.h>

#include "stat.h"

/* The length of the valid UTF-8 sequence at p (2 to 4), else 0.  Overlong
 * forms and surrogates are not valid. */
static size_t
utf8_len(const unsigned char *p, size_t left)
{
	size_t n, i;
	unsigned char lo = 0x80, hi = 0xbf;

	if (*p >= 0xc2 && *p <= 0xdf)
		n = 2;
	else if (*p >= 0xe0 && *p <= 0xef) {
		n = 3;
		if (*p == 0xe0)
			lo = 0xa0;
		else if (*p == 0xed)
			hi = 0x9f;
	} else if (*p >= 0xf0 && *p <= 0xf4) {
		n = 4;
		if (*p == 0xf0)
			lo = 0x90;
		else if (*p == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (left < n || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

/* A printable UTF-8 sequence at p: its length; 0 if it must be escaped
 * (not UTF-8, or a C1 control: U+0080 to U+009F). */
static size_t
printable_seq(const unsigned char *p, size_t left)
{
	size_t n = utf8_len(p, left);

	if (n == 2 && p[0] == 0xc2 && p[1] < 0xa0)
		return 0;
	return n;
}

static void
escape(FILE *f, const char *s, size_t len, int keep_lines)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	size_t n;

	/* The common case, a name of plain ASCII, in one piece. */
	for (n = 0; n < len && p[n] >= 0x20 && p[n] < 0x7f && p[n] != '\\'; n++)
		;
	fwrite(p, 1, n, f);
	p += n;
	while (p < end) {
		if (*p >= 0x20 && *p < 0x7f) {
			if (*p == '\\' && !keep_lines)
				fputs("\\\\", f);
			else
				putc(*p, f);
			p++;
		} else if ((*p == '\n' || *p == '\t') && keep_lines) {
			putc(*p++, f);
		} else if (*p == '\n' || *p == '\t') {
			fputs(*p++ == '\n' ? "\\n" : "\\t", f);
		} else if (*p >= 0x80 && (n = printable_seq(p, (size_t)(end - p)))) {
			fwrite(p, 1, n, f);
			p += n;
		} else
			fprintf(f, "\\x%02x", *p++);
	}
}

void
out_escaped(FILE *f, const char *s, size_t len)
{
	escape(f, s, len, 0);
}

void
out_name(FILE *f, const char *s)
{
	escape(f, s, strlen(s), 0);
}

void
out_text(FILE *f, const char *s, size_t len)
{
	escape(f, s, len, 1);
}

int
out_name_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t left = strlen(s), n;
	int w = 0;

	while (left > 0) {
		if (*p >= 0x20 && *p < 0x7f)
			n = 1, w += *p == '\\' ? 2 : 1;
		else if (*p == '\n' || *p == '\t')
			n = 1, w += 2;
		else if (*p >= 0x80 && (n = printable_seq(p, left)))
			w += 1;
		else
			n = 1, w += 4;
		p += n;
		left -= n;
	}
	return w;
}

void
out_name_padded(FILE *f, const char *s, int width)
{
	int w = out_name_width(s);

	out_name(f, s);
	while (w++ < width)
		putc(' ', f);
}

void
out_json(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *end;
	size_t n;

	if (s == NULL) {
		fputs("null", f);
		return;
	}
	end = p + strlen(s);
	putc('"', f);
	while (p < end) {
		if (*p == '"' || *p == '\\') {
			putc('\\', f);
			putc(*p++, f);
		} else if (*p == '\n') {
			fputs("\\n", f), p++;
		} else if (*p == '\t') {
			fputs("\\t", f), p++;
		} else if (*p < 0x20 || *p == 0x7f) {
			fprintf(f, "\\u%04x", *p++);
		} else if (*p < 0x80) {
			putc(*p++, f);
		} else if ((n = utf8_len(p, (size_t)(end - p))) > 0) {
			fwrite(p, 1, n, f);
			p += n;
		} else	/* not UTF-8: the byte as a Latin-1 character */
			fprintf(f, "\\u%04x", *p++);
	}
	putc('"', f);
}

char *
out_age(int64_t ms, char *buf, size_t size)
{
	const char *sign = ms < 0 ? "-" : "";
	int64_t s;

	if (ms < 0)
		ms = -ms;
	s = ms / 1000;
	if (ms < 10000)
		snprintf(buf, size, "%s%lld.%llds", sign, (long long)s,
		    (long long)(ms % 1000 / 100));
	else if (s < 60)
		snprintf(buf, size, "%s%llds", sign, (long long)s);
	else if (s < 3600)
		snprintf(buf, size, "%s%lldm%02llds", sign, (long long)(s / 60),
		    (long long)(s % 60));
	else if (s < 86400)
		snprintf(buf, size, "%s%lldh%02lldm", sign, (long long)(s / 3600),
		    (long long)(s % 3600 / 60));
	else
		snprintf(buf, size, "%s%lldd%02lldh", sign, (long long)(s / 86400),
		    (long long)(s % 86400 / 3600));
	return buf;
}
