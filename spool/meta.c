/*
 * meta.c - per-job metadata: meta/ID, the job's history as plain text.
 *
 * One event a line, appended with O_APPEND (a single write(2) per event, so
 * lines from two writers never interleave):
 *
 *	2026-11-28T10:00:01.456Z retry by=host:1234 attempt=1 status="exit 1" ...
 *	2026-11-28T10:00:05.002Z recover by=host:99 lease=host:1234 attempt=2
 *	2026-11-28T10:00:09.001Z dead by=host:99 attempt=3 status="exit 1" ...
 *
 * A run that fails, or whose consumer dies, ends in exactly one line that
 * counts it (retry, dead, recover); a run cut short by a shutdown ends in
 * "return", which does not.  So the attempts are the counted lines since the
 * last requeue, and a consumer killed mid-run has its attempt counted by the
 * recovery that finds its job.  A job that succeeds at its first run never
 * gets a meta file.  `cat meta/ID` is the way to read why a job is dead.
 *
 * Every line is written before its move, so a line may tell of a move that
 * did not happen (a crash in between, a race lost).  None of an operator's
 * lines counts an attempt; a cancel counts only for a job in dead/.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "spool_int.h"

#define META_MAX (1 << 20)	/* a history longer than this is damaged */

static int
safe_bare(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || strchr("._:/@+-,", *s)))
			return 0;
	return 1;
}

char *
spool_escape(const char *s, char *buf, size_t size)
{
	size_t n = 0;
	const unsigned char *p;

	if (size < 3) {
		if (size)
			buf[0] = '\0';
		return buf;
	}
	if (safe_bare(s)) {
		snprintf(buf, size, "%s", s);
		return buf;
	}
	buf[n++] = '"';
	for (p = (const unsigned char *)s; *p && n + 6 < size; p++) {
		switch (*p) {
		case '\n': buf[n++] = '\\'; buf[n++] = 'n'; break;
		case '\t': buf[n++] = '\\'; buf[n++] = 't'; break;
		case '\\': buf[n++] = '\\'; buf[n++] = '\\'; break;
		case '"': buf[n++] = '\\'; buf[n++] = '"'; break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				n += (size_t)snprintf(buf + n, size - n, "\\x%02x", *p);
			else
				buf[n++] = (char)*p;
		}
	}
	buf[n++] = '"';
	buf[n] = '\0';
	return buf;
}

/* The end of a value that starts at p: past its closing quote, or at the
 * blank or newline that ends a bare one. */
static const char *
value_end(const char *p)
{
	if (*p != '"')
		return p + strcspn(p, " \n");
	for (p++; *p && *p != '"' && *p != '\n'; p++)
		if (*p == '\\' && p[1] && p[1] != '\n')
			p++;
	return *p == '"' ? p + 1 : p;
}

static int
hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ?
	    c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/*
 * The fields of a line are the words after its time and event, up to the
 * end of the line.  A quoted value is stepped over whole, so that text in
 * it (an error="... status=0" from a handler, a note) is never taken for a
 * field, and a field of the next line is never one of this line.
 */
int
spool_meta_field(const char *line, const char *key, char *out, size_t size)
{
	size_t klen = strlen(key), n = 0;
	const char *p = line;

	if (size == 0 || klen == 0)
		return 0;
	for (;;) {
		p += strcspn(p, " =\"\n");	/* the end of the name */
		if (*p == '=')
			p = value_end(p + 1);
		else if (*p == '"')
			p = value_end(p);
		if (*p != ' ')
			return 0;
		while (*p == ' ')
			p++;
		if (strncmp(p, key, klen) == 0 && p[klen] == '=')
			break;
	}
	p += klen + 1;
	if (*p != '"') {
		while (*p && *p != ' ' && *p != '\n' && n + 1 < size)
			out[n++] = *p++;
		out[n] = '\0';
		return 1;
	}
	for (p++; *p && *p != '"' && *p != '\n' && n + 1 < size; p++) {
		char c = *p;
		if (c == '\\' && p[1] && p[1] != '\n') {
			c = *++p;
			if (c == 'n')
				c = '\n';
			else if (c == 't')
				c = '\t';
			else if (c == 'x' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
				c = (char)(hexval(p[1]) * 16 + hexval(p[2]));
				p += 2;
			}
		}
		out[n++] = c;
	}
	out[n] = '\0';
	return 1;
}

static int64_t
parse_time(const char *line)
{
	struct tm tm;
	int ms = 0;

	memset(&tm, 0, sizeof(tm));
	/* Widths bound every field: no int can overflow, and a line that
	 * is no time gives fewer than 7 conversions. */
	/* NOLINTNEXTLINE(cert-err34-c) */
	if (sscanf(line, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year,
	    &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec,
	    &ms) != 7)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm) * 1000 + ms;
}

/* cancels: the job may be in dead/ (or its state is not known), so that a
 * cancel line may be what put it there. */
static void
scan_line(const char *line, struct spool_meta *m, int cancels)
{
	char event[32], by[SPOOL_OWNER_MAX];
	const char *sp1 = strchr(line, ' ');
	size_t n;

	if (sp1 == NULL)
		return;
	n = strcspn(sp1 + 1, " \n");
	if (n >= sizeof(event))
		return;
	memcpy(event, sp1 + 1, n);
	event[n] = '\0';
	m->last_time = parse_time(line);
	if (strcmp(event, "retry") == 0 || strcmp(event, "recover") == 0 ||
	    (strcmp(event, "dead") == 0 &&
	    spool_meta_field(line, "attempt", by, sizeof(by))))
		m->attempts++;
	/* Out of dead/, a cancel is one whose move did not happen: a
	 * cancel that did is followed by the requeue that took the job
	 * out again. */
	if (!cancels && strcmp(event, "cancel") == 0)
		return;
	if (strcmp(event, "requeue") == 0) {
		m->attempts = 0;
		m->cancelled = 0;
		m->error[0] = m->status[0] = '\0';
	} else if (strcmp(event, "cancel") == 0) {
		m->cancelled = 1;
		if (!spool_meta_field(line, "by", by, sizeof(by)))
			strcpy(by, "?");
		snprintf(m->error, sizeof(m->error), "cancelled by %s", by);
	} else {
		spool_meta_field(line, "status", m->status, sizeof(m->status));
		spool_meta_field(line, "error", m->error, sizeof(m->error));
	}
	if (strcmp(event, "recover") == 0)
		spool_meta_field(line, "lease", m->owner, sizeof(m->owner));
	else if (strcmp(event, "retry") == 0 || strcmp(event, "dead") == 0 ||
	    strcmp(event, "return") == 0 || strcmp(event, "done") == 0)
		spool_meta_field(line, "by", m->owner, sizeof(m->owner));
}

static void
scan(const char *text, size_t len, int cancels, struct spool_meta *m)
{
	const char *p = text, *end = text + len;

	memset(m, 0, sizeof(*m));
	m->last_time = -1;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			break;		/* a torn last line: not written whole */
		scan_line(p, m, cancels);
		p = nl + 1;
	}
}

int
spool_meta_scan(const char *text, size_t len, struct spool_meta *m)
{
	scan(text, len, 1, m);
	return 0;
}

/* The history of a job in state st (-1: not known). */
int
spool_meta_read_in(struct spool *sp, const char *id, int st,
    struct spool_meta *m)
{
	size_t len;
	char *text = spool_read_at(sp->dir[SPOOL_META], id, META_MAX, &len);
	int cancels = st < 0 || st == SPOOL_DEAD;

	if (text == NULL) {
		scan("", 0, cancels, m);
		return errno == ENOENT ? 0 : -1;
	}
	scan(text, len, cancels, m);
	free(text);
	return 0;
}

int
spool_meta_read(struct spool *sp, const char *id, struct spool_meta *m)
{
	return spool_meta_read_in(sp, id, -1, m);
}

char *
spool_meta_history(struct spool *sp, const char *id, size_t *len)
{
	return spool_read_at(sp->dir[SPOOL_META], id, META_MAX, len);
}

int
spool_meta_remove(struct spool *sp, const char *id)
{
	return spool_sys.unlinkat(sp->dir[SPOOL_META], id, 0);
}

/* Format one event line: time, event, fields. */
static int __attribute__((format(printf, 4, 0)))
format_line(char *buf, size_t size, const char *event, const char *fmt,
    va_list ap)
{
	char ts[32];
	int n, m;

	n = snprintf(buf, size, "%s %s ", spool_time_format(spool_now(), ts,
	    sizeof(ts)), event);
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): false positive of clang 14, every caller va_starts ap */
	m = vsnprintf(buf + n, size - (size_t)n, fmt, ap);
	if (m < 0 || (size_t)(n + m) + 2 > size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	n += m;
	buf[n++] = '\n';
	buf[n] = '\0';
	return n;
}

/* Append to an open meta file; fsync when durable is asked for (a dead
 * job's reason must be on disk before the job is in dead/). */
int
spool_meta_vappend(struct spool *sp, int fd, const char *id, int sync,
    const char *event, const char *fmt, va_list ap)
{
	char buf[4096];
	struct stat st;
	int n, own = fd < 0, e;

	if ((n = format_line(buf, sizeof(buf), event, fmt, ap)) < 0)
		return -1;
	if (own) {
		/* O_NONBLOCK: a FIFO put in meta/ must not hang us in
		 * open(2) waiting for a reader (ENXIO instead); only a
		 * regular file is a history. */
		fd = spool_sys.openat(sp->dir[SPOOL_META], id, O_WRONLY |
		    O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
		    0644);
		if (fd < 0)
			return -1;
		if (fstat(fd, &st) < 0)
			goto fail;
		if (!S_ISREG(st.st_mode)) {
			errno = EINVAL;
			goto fail;
		}
	}
	if (spool_write_all(fd, buf, (size_t)n) < 0 ||
	    (sync && spool_fsync(sp, fd) < 0))
		goto fail;
	if (own && spool_close_fd(fd) < 0)
		return -1;
	return 0;
fail:
	e = errno;
	if (own)
		spool_sys.close(fd);
	errno = e;
	return -1;
}

int
spool_meta_append(struct spool *sp, const char *id, const char *event,
    const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = spool_meta_vappend(sp, -1, id, 1, event, fmt, ap);
	va_end(ap);
	return rc;
}
