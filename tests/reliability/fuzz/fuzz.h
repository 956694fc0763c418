/*
 * fuzz.h - what the fuzz targets share: a scratch spool made once per
 * process (removed at exit), a file written into one of its directories,
 * the input as a C string, and the checks on what the tools print (no
 * control byte reaches a terminal; JSON is JSON).
 *
 * Each target is one file defining LLVMFuzzerTestOneInput.  It is built
 * three ways: with libFuzzer (make fuzz), with AFL++ (afl-clang-fast and
 * libAFLDriver, tests/reliability/fuzz/run.sh), and into the unit test
 * test_fuzz_regress (tests/unit/), which includes every target under its
 * own name and replays the seeds and the kept crashers in make check.
 * A property that does not hold calls fz_fail(), which aborts: libFuzzer
 * keeps the input as a crasher.
 */
#ifndef SPOOL_FUZZ_H
#define SPOOL_FUZZ_H

#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spool_int.h"

#define fz_fail(...) do {						\
	fprintf(stderr, "fuzz property violated: " __VA_ARGS__);	\
	fputc('\n', stderr);						\
	abort();							\
} while (0)

static struct spool *fz_sp;
static char fz_path[256];

static inline int
fz_rm1(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static inline void
fz_cleanup(void)
{
	if (fz_sp)
		spool_close(fz_sp);
	fz_sp = NULL;
	if (fz_path[0])
		nftw(fz_path, fz_rm1, 16, FTW_DEPTH | FTW_PHYS);
	fz_path[0] = '\0';
}

/* The scratch spool: no fsync (nothing here needs to survive a crash). */
static inline struct spool *
fz_spool(void)
{
	const char *t = getenv("TMPDIR");

	if (fz_sp)
		return fz_sp;
	snprintf(fz_path, sizeof(fz_path), "%s/spoolfuzz.XXXXXX",
	    t && *t ? t : "/tmp");
	if (mkdtemp(fz_path) == NULL || spool_init(fz_path) < 0 ||
	    spool_open(&fz_sp, fz_path, SPOOL_NOSYNC) < 0) {
		perror(fz_path);
		abort();
	}
	atexit(fz_cleanup);
	return fz_sp;
}

/* dir/name := data (dir: a job state, or SPOOL_META, SPOOL_LEASE...). */
static inline void
fz_put(int dir, const char *name, const uint8_t *data, size_t size)
{
	int fd = openat(fz_spool()->dir[dir], name, O_WRONLY | O_CREAT |
	    O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);

	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size) ||
	    close(fd) < 0) {
		perror(name);
		abort();
	}
}

/* The input as a NUL-terminated string (cut at its first NUL), malloc'ed. */
static inline char *
fz_str(const uint8_t *data, size_t size, size_t max)
{
	char *s;

	if (size > max)
		size = max;
	if ((s = malloc(size + 1)) == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Text printed for people: no C0 control but newline, no DEL, no C1
 * control (0xc2 0x80 to 0xc2 0x9f), no ESC anywhere. */
static inline void
fz_check_printable(const char *what, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\n') || c == 0x7f)
			fz_fail("%s: control byte 0x%02x at %zu", what, c, i);
		if (c == 0xc2 && i + 1 < len &&
		    (unsigned char)s[i + 1] >= 0x80 &&
		    (unsigned char)s[i + 1] <= 0x9f)
			fz_fail("%s: C1 control at %zu", what, i);
	}
}

/*
 * A small JSON validator (RFC 8259): fz_json_value returns the end of one
 * value, or NULL.  Strings must be valid UTF-8 without raw controls.
 */
static inline const char *fz_json_value(const char *p, int depth);

static inline const char *
fz_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static inline const char *
fz_json_string(const char *p)
{
	const unsigned char *u;
	int i, n;

	if (*p++ != '"')
		return NULL;
	for (;;) {
		u = (const unsigned char *)p;
		if (*u == '"')
			return p + 1;
		if (*u < 0x20)
			return NULL;	/* raw control, or the end */
		if (*u == '\\') {
			p++;
			if (strchr("\"\\/bfnrt", *p) && *p)
				p++;
			else if (*p == 'u') {
				for (i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdefABCDEF",
					    p[i]) || !p[i])
						return NULL;
				p += 5;
			} else
				return NULL;
			continue;
		}
		if (*u < 0x80) {
			p++;
			continue;
		}
		n = *u >= 0xf0 && *u <= 0xf4 ? 4 : *u >= 0xe0 ? 3 :
		    *u >= 0xc2 && *u <= 0xdf ? 2 : 0;
		if (n == 0 || (n == 3 && *u > 0xef))
			return NULL;
		for (i = 1; i < n; i++)
			if ((u[i] & 0xc0) != 0x80)
				return NULL;
		p += n;
	}
}

static inline const char *
fz_json_number(const char *p)
{
	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (*p >= '0' && *p <= '9')
			p++;
	else
		return NULL;
	if (*p == '.') {
		if (*++p < '0' || *p > '9')
			return NULL;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (*p < '0' || *p > '9')
			return NULL;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return p;
}

static inline const char *
fz_json_value(const char *p, int depth)
{
	if (depth > 64)
		return NULL;
	p = fz_ws(p);
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';
		int obj = *p == '{';
		p = fz_ws(p + 1);
		if (*p == close)
			return p + 1;
		for (;;) {
			if (obj) {
				if ((p = fz_json_string(fz_ws(p))) == NULL)
					return NULL;
				p = fz_ws(p);
				if (*p++ != ':')
					return NULL;
			}
			if ((p = fz_json_value(p, depth + 1)) == NULL)
				return NULL;
			p = fz_ws(p);
			if (*p == close)
				return p + 1;
			if (*p++ != ',')
				return NULL;
		}
	}
	if (*p == '"')
		return fz_json_string(p);
	if (strncmp(p, "true", 4) == 0 || strncmp(p, "null", 4) == 0)
		return p + 4;
	if (strncmp(p, "false", 5) == 0)
		return p + 5;
	return fz_json_number(p);
}

static inline void
fz_check_json(const char *what, const char *s)
{
	const char *end = fz_json_value(s, 0);

	if (end == NULL || *fz_ws(end) != '\0')
		fz_fail("%s: not JSON: %s", what, s);
}

#endif
