/*
 * testutil.h - what the unit tests of libspool share: a temporary spool,
 * files in its directories, listings, a census of every job directory,
 * and a count of open descriptors.  Header-only (static inline), so that
 * each test_*.c stays one translation unit linked with fault.o alone.
 * Every helper asserts (cmocka) instead of returning errors.
 */
#ifndef SPOOL_TESTUTIL_H
#define SPOOL_TESTUTIL_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "spool_int.h"

/* A fresh spool under $TMPDIR (or /tmp); the path is malloc'ed. */
static inline char *
tu_mkspool(void)
{
	const char *t = getenv("TMPDIR");
	char buf[512];

	snprintf(buf, sizeof(buf), "%s/spooltest.XXXXXX", t && *t ? t : "/tmp");
	assert_non_null(mkdtemp(buf));
	assert_int_equal(spool_init(buf), 0);
	return strdup(buf);
}

static inline int
tu_rm1(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static inline void
tu_rmtree(const char *path)
{
	if (path)
		nftw(path, tu_rm1, 16, FTW_DEPTH | FTW_PHYS);
}

static inline struct spool *
tu_open(const char *path, int flags)
{
	struct spool *sp;

	assert_int_equal(spool_open(&sp, path, flags), 0);
	return sp;
}

/* Write dir/name (dir: a state or SPOOL_META...) with the given text. */
static inline void
tu_put(struct spool *sp, int dir, const char *name, const char *text)
{
	int fd = openat(sp->dir[dir], name, O_WRONLY | O_CREAT | O_TRUNC |
	    O_NOFOLLOW | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(close(fd), 0);
}

/* The text of dir/name, malloc'ed, or NULL when there is no such file.
 * Plain syscalls: reading never goes through the seam under test. */
static inline char *
tu_get(struct spool *sp, int dir, const char *name)
{
	struct stat st;
	char *s;
	ssize_t n;
	int fd = openat(sp->dir[dir], name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK);

	if (fd < 0) {
		assert_int_equal(errno, ENOENT);
		return NULL;
	}
	assert_int_equal(fstat(fd, &st), 0);
	assert_non_null(s = malloc((size_t)st.st_size + 1));
	n = read(fd, s, (size_t)st.st_size);
	assert_int_equal(n, (ssize_t)st.st_size);
	s[n] = '\0';
	close(fd);
	return s;
}

static inline int
tu_exists(struct spool *sp, int dir, const char *name)
{
	struct stat st;

	return fstatat(sp->dir[dir], name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* Entries in a directory, dotfiles included when dots. */
static inline int
tu_count(struct spool *sp, int dir, int dots)
{
	struct dirent *de;
	DIR *d;
	int n = 0, fd = openat(sp->dir[dir], ".", O_RDONLY | O_DIRECTORY);

	assert_true(fd >= 0);
	assert_non_null(d = fdopendir(fd));
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    (dots || de->d_name[0] != '.'))
			n++;
	closedir(d);
	return n;
}

/* Which job directories (tmp/ included) hold name: a bit per state. */
static inline unsigned
tu_where(struct spool *sp, const char *name)
{
	unsigned bits = 0;
	int i;

	for (i = 0; i < SPOOL_NSTATES; i++)
		if (tu_exists(sp, i, name))
			bits |= 1u << i;
	return bits;
}

/* The one state holding name, -1 for none, -2 for more than one. */
static inline int
tu_state(struct spool *sp, const char *name)
{
	unsigned b = tu_where(sp, name);
	int i;

	if (b == 0)
		return -1;
	if (b & (b - 1))
		return -2;
	for (i = 0; !(b & (1u << i)); i++)
		;
	return i;
}

/* Jobs in every state but tmp/, dotfiles excepted. */
static inline int
tu_jobs(struct spool *sp)
{
	int i, n = 0;

	for (i = 0; i < SPOOL_NSTATES; i++)
		if (i != SPOOL_TMP)
			n += tu_count(sp, i, 0);
	return n;
}

static inline int64_t
tu_mtime(struct spool *sp, int dir, const char *name)
{
	struct stat st;

	assert_int_equal(fstatat(sp->dir[dir], name, &st,
	    AT_SYMLINK_NOFOLLOW), 0);
	return (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
}

static inline void
tu_set_mtime(struct spool *sp, int dir, const char *name, int64_t ms)
{
	struct timespec ts[2];

	ts[0].tv_sec = ts[1].tv_sec = ms / 1000;
	ts[0].tv_nsec = ts[1].tv_nsec = (ms % 1000) * 1000000;
	assert_int_equal(utimensat(sp->dir[dir], name, ts,
	    AT_SYMLINK_NOFOLLOW), 0);
}

/* How many times line-start event (" EVENT ") occurs in meta/ID. */
static inline int
tu_events(struct spool *sp, const char *id, const char *event)
{
	char *text = tu_get(sp, SPOOL_META, id), pat[64], *p;
	int n = 0;

	if (text == NULL)
		return 0;
	snprintf(pat, sizeof(pat), " %s ", event);
	for (p = text; (p = strstr(p, pat)) != NULL; p++)
		n++;
	free(text);
	return n;
}

static inline void
tu_sleep_ms(int64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Open descriptors of this process. */
static inline int
tu_fds(void)
{
	struct dirent *de;
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return n - 1;	/* the one opendir holds */
}

/* Wait until fd is readable, at most ms; 1 readable, 0 not. */
static inline int
tu_wait_fd(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) > 0;
}

#if defined(TU_SPOOL_FIXTURE) || defined(TU_CONSUMER_FIXTURE)
/* A fresh spool for each test case: dir and sp, made by the cmocka fixture
 * setup and removed by teardown.  Define TU_SPOOL_FIXTURE before the
 * include to have them, and TU_SPOOL_FLAGS for the flags of spool_open
 * (0).  TU_CONSUMER_FIXTURE adds a consumer: opts, its options, the
 * defaults at setup; c, NULL until the test opens it (start), closed by
 * teardown. */
#ifndef TU_SPOOL_FLAGS
#define TU_SPOOL_FLAGS 0
#endif
static char *dir;
static struct spool *sp;
#ifdef TU_CONSUMER_FIXTURE
static struct spool_consumer *c;
static struct spool_consumer_opts opts;
#endif

static int
setup(void **state)
{
	(void)state;
	dir = tu_mkspool();
	sp = tu_open(dir, TU_SPOOL_FLAGS);
#ifdef TU_CONSUMER_FIXTURE
	spool_consumer_defaults(&opts);
	c = NULL;
#endif
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
#ifdef TU_CONSUMER_FIXTURE
	spool_consumer_close(c);
#endif
	spool_close(sp);
	tu_rmtree(dir);
	free(dir);
	return 0;
}

#ifdef TU_CONSUMER_FIXTURE
/* Open c on sp with opts. */
static inline void
start(void)
{
	assert_non_null(c = spool_consumer_open(sp, &opts));
}

/* Let notifications arrive (at most ms), then do what is due. */
static inline void
pump(int ms)
{
	tu_wait_fd(spool_consumer_fd(c), ms);
	do {
		tu_sleep_ms(5);
		spool_consumer_work(c);
	} while (tu_wait_fd(spool_consumer_fd(c), 20));
}
#endif
#endif

#endif
