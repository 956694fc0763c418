/*
 * test_stat.c - the ops side of libspool: counts by readdir (stat.c), the
 * oldest job, one job's details, sorted names, run/ files, the action
 * counters (counter.c), and the consistency check with its repairs
 * (check.c), under injected faults too.  Table-driven where cases differ
 * only in data.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
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
#include "fault.h"

static char root[256];

static int
rm1(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static int
setup(void **state)
{
	struct spool *sp;

	fault_reset();
	snprintf(root, sizeof(root), "/tmp/test_stat.XXXXXX");
	assert_non_null(mkdtemp(root));
	assert_int_equal(spool_init(root), 0);
	assert_int_equal(spool_open(&sp, root, SPOOL_NOSYNC), 0);
	*state = sp;
	return 0;
}

static int
teardown(void **state)
{
	spool_close(*state);
	nftw(root, rm1, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static void
put(struct spool *sp, int dir, const char *name, const char *text)
{
	int fd = openat(sp->dir[dir], name, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(close(fd), 0);
}

static void
set_mtime(struct spool *sp, int dir, const char *name, int64_t ms)
{
	struct timespec ts[2];

	ts[0].tv_sec = ts[1].tv_sec = ms / 1000;
	ts[0].tv_nsec = ts[1].tv_nsec = (ms % 1000) * 1000000;
	assert_int_equal(utimensat(sp->dir[dir], name, ts, AT_SYMLINK_NOFOLLOW), 0);
}

static int
exists(struct spool *sp, int dir, const char *name)
{
	return faccessat(sp->dir[dir], name, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

/* Cut run/counters short, as a careless operator might. */
static int
truncate_at(struct spool *sp)
{
	int fd = openat(sp->dir[SPOOL_RUN], "counters", O_WRONLY | O_TRUNC);

	return fd < 0 ? -1 : close(fd);
}

/* Counting reads directories only: dotfiles are not jobs. */
static void
test_count(void **state)
{
	static const struct { int st; const char *name; } files[] = {
		{ SPOOL_QUEUED, "a" }, { SPOOL_QUEUED, "b" },
		{ SPOOL_QUEUED, ".hidden" }, { SPOOL_RUNNING, "c" },
		{ SPOOL_WAITING, "d" }, { SPOOL_HELD, "e" }, { SPOOL_DONE, "f" },
		{ SPOOL_DONE, "g" }, { SPOOL_DONE, "h" }, { SPOOL_DEAD, "i" },
		{ SPOOL_TMP, "j" },
	};
	static const long want[SPOOL_NSTATES] = { 2, 1, 1, 1, 3, 1, 1 };
	struct spool *sp = *state;
	long n[SPOOL_NSTATES];
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		put(sp, files[i].st, files[i].name, "x");
	assert_int_equal(spool_count(sp, n), 0);
	for (i = 0; i < SPOOL_NSTATES; i++)
		assert_int_equal(n[i], want[i]);
}

/* The oldest: by the time in spoolsubmit's IDs, by mtime for other names. */
static void
test_oldest(void **state)
{
	struct spool *sp = *state;
	char id[SPOOL_ID_MAX + 1];
	int64_t t;

	assert_int_equal(spool_oldest(sp, SPOOL_QUEUED, id, &t), 0);
	put(sp, SPOOL_QUEUED, "1700000200.000000000.1.h", "x");
	put(sp, SPOOL_QUEUED, "1700000100.500000000.1.h", "x");
	assert_int_equal(spool_oldest(sp, SPOOL_QUEUED, id, &t), 2);
	assert_string_equal(id, "1700000100.500000000.1.h");
	assert_int_equal(t, 1700000100500LL);
	put(sp, SPOOL_QUEUED, "by-hand", "x");
	set_mtime(sp, SPOOL_QUEUED, "by-hand", 1600000000000LL);
	assert_int_equal(spool_oldest(sp, SPOOL_QUEUED, id, &t), 3);
	assert_string_equal(id, "by-hand");
	assert_int_equal(t, 1600000000000LL);
	assert_int_equal(spool_oldest(sp, 99, id, &t), -1);
	assert_int_equal(errno, EINVAL);
}

static void
test_job_info(void **state)
{
	static const char *const bad[] = { "", "../x", "a/b", ".", ".." };
	struct spool *sp = *state;
	struct spool_job_info ji;
	char long_id[300];
	size_t i;

	put(sp, SPOOL_WAITING, "1700000000.000000000.7.h", "hello");
	set_mtime(sp, SPOOL_WAITING, "1700000000.000000000.7.h", 1900000000000LL);
	put(sp, SPOOL_META, "1700000000.000000000.7.h",
	    "2026-11-28T10:00:01.456Z retry by=h:1 attempt=1 status=\"exit 1\" "
	    "error=boom\n");
	assert_int_equal(spool_job_info(sp, -1, "1700000000.000000000.7.h",
	    SPOOL_INFO_STAT | SPOOL_INFO_META, &ji), 0);
	assert_int_equal(ji.state, SPOOL_WAITING);
	assert_int_equal(ji.size, 5);
	assert_int_equal(ji.submitted, 1700000000000LL);
	assert_int_equal(ji.due, 1900000000000LL);
	assert_int_equal(ji.regular, 1);
	assert_int_equal(ji.meta.attempts, 1);
	assert_string_equal(ji.meta.error, "boom");
	/* Without STAT, a spoolsubmit ID costs no syscall: size unknown. */
	assert_int_equal(spool_job_info(sp, SPOOL_WAITING,
	    "1700000000.000000000.7.h", 0, &ji), 0);
	assert_int_equal(ji.size, -1);
	assert_int_equal(spool_job_info(sp, -1, "nosuch", 0, &ji), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(spool_job_info(sp, SPOOL_DONE, "1700000000.000000000.7.h",
	    0, &ji), 0);	/* the ID's time is enough, the file is not looked at */
	assert_int_equal(spool_job_info(sp, SPOOL_DONE, "x", 0, &ji), -1);
	assert_int_equal(errno, ENOENT);
	memset(long_id, 'a', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	for (i = 0; i <= sizeof(bad) / sizeof(bad[0]); i++) {
		const char *id = i < sizeof(bad) / sizeof(bad[0]) ? bad[i] : long_id;
		assert_int_equal(spool_job_info(sp, -1, id, 0, &ji), -1);
		assert_int_equal(errno, EINVAL);
	}
}

static void
test_names_and_run(void **state)
{
	struct spool *sp = *state;
	char **v, *text;
	size_t n, len;

	put(sp, SPOOL_DEAD, "c", "");
	put(sp, SPOOL_DEAD, "a", "");
	put(sp, SPOOL_DEAD, "b", "");
	assert_int_equal(spool_names_sorted(sp, SPOOL_DEAD, &v, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(v[0], "a");
	assert_string_equal(v[2], "c");
	spool_names_sorted_free(v, n);
	assert_int_equal(spool_names_sorted(sp, SPOOL_NSTATES, &v, &n), -1);
	put(sp, SPOOL_RUN, "supervise.state", "supervisor pid=1\n");
	assert_non_null(text = spool_run_read(sp, "supervise.state", &len));
	assert_int_equal(len, 17);
	free(text);
	assert_null(spool_run_read(sp, "../new", &len));
	assert_int_equal(errno, EINVAL);
	assert_null(spool_run_read(sp, "none", &len));
	assert_int_equal(errno, ENOENT);
}

/* Every move counts once, for every process of the spool; a failed move
 * counts nothing; a damaged counters file never fails a move. */
static void
test_counters(void **state)
{
	struct spool *sp = *state, *other;
	uint64_t c[SPOOL_NACTIONS];

	assert_int_equal(spool_counters(sp, c), 0);
	assert_int_equal(c[SPOOL_SUBMIT], 0);
	put(sp, SPOOL_TMP, "j1", "x");
	put(sp, SPOOL_TMP, "j2", "x");
	assert_int_equal(spool_job_move(sp, "j1", SPOOL_TMP, SPOOL_SUBMIT), 0);
	assert_int_equal(spool_open(&other, root, SPOOL_NOSYNC), 0);
	assert_int_equal(spool_job_move(other, "j2", SPOOL_TMP, SPOOL_SUBMIT), 0);
	assert_int_equal(spool_job_move(other, "j2", SPOOL_QUEUED, SPOOL_CLAIM), 0);
	fault_arm(FAULT_RENAME, 1, EIO);
	assert_int_equal(spool_job_move(other, "j2", SPOOL_RUNNING,
	    SPOOL_COMPLETE), -1);
	assert_int_equal(spool_job_move(other, "j2", SPOOL_RUNNING,
	    SPOOL_COMPLETE), 0);
	assert_int_equal(spool_job_move(sp, "j2", SPOOL_DONE, SPOOL_PURGE), 0);
	assert_int_equal(spool_counters(sp, c), 0);
	assert_int_equal(c[SPOOL_SUBMIT], 2);
	assert_int_equal(c[SPOOL_CLAIM], 1);
	assert_int_equal(c[SPOOL_COMPLETE], 1);
	assert_int_equal(c[SPOOL_PURGE], 1);
	spool_close(other);

	/* Someone truncated it: moves go on uncounted, readers are told. */
	assert_int_equal(truncate_at(sp), 0);
	assert_int_equal(spool_open(&other, root, SPOOL_NOSYNC), 0);
	put(sp, SPOOL_TMP, "j3", "x");
	assert_int_equal(spool_job_move(other, "j3", SPOOL_TMP, SPOOL_SUBMIT), 0);
	assert_int_equal(spool_counters(other, c), -1);
	spool_close(other);
}

struct seen {
	int n[SPOOL_CHECK_STRAY + 1];
	int repaired[SPOOL_CHECK_STRAY + 1];
};

static void
tally(const struct spool_finding *f, void *arg)
{
	struct seen *s = arg;

	assert_true(f->problem >= 0 && f->problem <= SPOOL_CHECK_STRAY);
	assert_non_null(f->dir);
	assert_non_null(f->detail);
	s->n[f->problem]++;
	s->repaired[f->problem] += f->repaired;
}

/* A spool with one of each problem, and a few things that look like
 * problems and are not (a young history, a running job under a live
 * lease is not set up here: see e2e). */
static void
damage(struct spool *sp)
{
	int64_t old = spool_now() - 3 * 86400000LL;
	struct timespec pause = { 0, 250000000 };

	put(sp, SPOOL_QUEUED, "twice", "x");
	put(sp, SPOOL_DONE, "twice", "x");
	put(sp, SPOOL_META, "orphan", "2026-11-28T10:00:00.000Z hold by=a@b\n");
	set_mtime(sp, SPOOL_META, "orphan", old);
	put(sp, SPOOL_META, "young", "2026-11-28T10:00:00.000Z hold by=a@b\n");
	put(sp, SPOOL_TMP, "stale", "x");
	set_mtime(sp, SPOOL_TMP, "stale", old);
	put(sp, SPOOL_TMP, "fresh", "x");
	put(sp, SPOOL_QUEUED, "bad\nname", "x");
	assert_int_equal(mkdirat(sp->dir[SPOOL_HELD], "adir", 0755), 0);
	assert_int_equal(mkdirat(sp->dir[SPOOL_META], "mdir", 0755), 0);
	/* A consumer that died holding a job. */
	put(sp, SPOOL_RUNNING, "held-by-dead", "x");
	put(sp, SPOOL_LEASE, "h:999999", "host=h\npid=999999\nboot_id=\n"
	    "started=1 x\nttl=60000\nrenewed=0000000000000000001 "
	    "0000000000000000001\n+held-by-dead\n");
	/* ctimes a tick older than the check's start: not "claimed this
	 * instant", which the check and recovery leave for the next pass. */
	nanosleep(&pause, NULL);
}

static void
test_check(void **state)
{
	static const int want[SPOOL_CHECK_STRAY + 1] = {
		[SPOOL_CHECK_DUPLICATE] = 1, [SPOOL_CHECK_UNSAFE_NAME] = 1,
		[SPOOL_CHECK_NOT_FILE] = 1, [SPOOL_CHECK_ORPHAN_JOB] = 1,
		[SPOOL_CHECK_DEAD_LEASE] = 1, [SPOOL_CHECK_ORPHAN_META] = 1,
		[SPOOL_CHECK_OLD_TMP] = 1, [SPOOL_CHECK_STRAY] = 1,
	};
	static const int fixable[SPOOL_CHECK_STRAY + 1] = {
		[SPOOL_CHECK_ORPHAN_JOB] = 1, [SPOOL_CHECK_DEAD_LEASE] = 1,
		[SPOOL_CHECK_ORPHAN_META] = 1, [SPOOL_CHECK_OLD_TMP] = 1,
	};
	struct spool *sp = *state;
	struct seen s;
	int i, left;

	assert_int_equal(spool_check(sp, 36 * 3600000LL, 1, tally, &s), 0);
	damage(sp);
	/* Looking changes nothing. */
	memset(&s, 0, sizeof(s));
	left = spool_check(sp, 36 * 3600000LL, 0, tally, &s);
	assert_int_equal(left, 8);
	for (i = 0; i <= SPOOL_CHECK_STRAY; i++) {
		assert_int_equal(s.n[i], want[i]);
		assert_int_equal(s.repaired[i], 0);
	}
	assert_true(exists(sp, SPOOL_META, "orphan"));
	assert_true(exists(sp, SPOOL_RUNNING, "held-by-dead"));
	/* Repair fixes what is safe and nothing else. */
	memset(&s, 0, sizeof(s));
	left = spool_check(sp, 36 * 3600000LL, 1, tally, &s);
	assert_int_equal(left, 4);
	for (i = 0; i <= SPOOL_CHECK_STRAY; i++)
		assert_int_equal(s.repaired[i], fixable[i] ? want[i] : 0);
	assert_false(exists(sp, SPOOL_META, "orphan"));
	assert_true(exists(sp, SPOOL_META, "young"));
	assert_false(exists(sp, SPOOL_TMP, "stale"));
	assert_true(exists(sp, SPOOL_TMP, "fresh"));
	assert_true(exists(sp, SPOOL_QUEUED, "held-by-dead"));
	assert_false(exists(sp, SPOOL_LEASE, "h:999999"));
	assert_true(exists(sp, SPOOL_QUEUED, "twice"));
	assert_true(exists(sp, SPOOL_DONE, "twice"));
	/* tmp_age < 0: tmp/ is not looked at. */
	memset(&s, 0, sizeof(s));
	assert_int_equal(spool_check(sp, -1, 0, tally, &s), 4);
	assert_int_equal(s.n[SPOOL_CHECK_OLD_TMP], 0);
}

/* A repair that fails is reported as not repaired; nothing is lost. */
static void
test_check_faults(void **state)
{
	static const struct { enum fault_op op; int err; } cases[] = {
		{ FAULT_UNLINK, EIO }, { FAULT_UNLINK, EROFS },
		{ FAULT_RENAME, ENOSPC }, { FAULT_OPENAT, EMFILE },
	};
	struct spool *sp = *state;
	struct seen s;
	size_t i;
	int left;

	damage(sp);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fault_reset();
		fault_arm_from(cases[i].op, 1, cases[i].err);
		memset(&s, 0, sizeof(s));
		left = spool_check(sp, 36 * 3600000LL, 1, tally, &s);
		/* Either it reports what it could not fix, or it fails
		 * whole (a lease it cannot read: nothing is guessed). */
		assert_true(left >= 4 || (left == -1 && errno == cases[i].err));
		fault_reset();
		/* The job of the dead consumer is in exactly one state. */
		assert_int_equal(exists(sp, SPOOL_RUNNING, "held-by-dead") +
		    exists(sp, SPOOL_QUEUED, "held-by-dead"), 1);
	}
	memset(&s, 0, sizeof(s));
	assert_int_equal(spool_check(sp, 36 * 3600000LL, 1, tally, &s), 4);
	assert_true(exists(sp, SPOOL_QUEUED, "held-by-dead"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_count, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oldest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_job_info, setup, teardown),
		cmocka_unit_test_setup_teardown(test_names_and_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_faults, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
