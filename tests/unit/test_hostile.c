/*
 * test_hostile.c - entries of the spool that no library call made: FIFOs,
 * symlinks and huge files where a lease, a history or a job should be, and
 * job files the consumer may not re-date (another user's).  Nothing may
 * hang (every test runs under an alarm), be followed, or stall the queue:
 *
 *   - a job's FIFO is not opened blocking (spool_job_open), nor is a
 *     history's (spool_meta_append);
 *   - a job whose history is no regular file, or too big, goes to dead/
 *     and the claim goes on to the next job;
 *   - strays in lease/ (a symlink, a FIFO, a huge unlocked file) do not
 *     stop recovery; a huge locked one does (it may be a live lease);
 *   - a retry whose due time cannot be set (EPERM: not the file's owner)
 *     still moves the job to wait/, due at once.
 */
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "testutil.h"
#include "fault.h"

static char dir[64];
static const char *secret = "/tmp/spool-hostile-secret";

static void
huge(struct spool *sp, int d, const char *name, off_t size)
{
	int fd = openat(sp->dir[d], name, O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, size), 0);	/* sparse */
	assert_int_equal(close(fd), 0);
}

static void
on_alarm(int sig)
{
	(void)sig;
	static const char msg[] = "hung: a call blocked on a hostile entry\n";
	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(99);
}

static int
setup(void **state)
{
	struct spool *sp;
	int fd;

	snprintf(dir, sizeof(dir), "/tmp/spool-hostile.XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_int_equal(spool_init(dir), 0);
	assert_int_equal(spool_open(&sp, dir, SPOOL_NOSYNC), 0);
	fd = open(secret, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "secret\n", 7), 7);
	close(fd);
	signal(SIGALRM, on_alarm);
	alarm(20);
	fault_reset();
	*state = sp;
	return 0;
}

static int
teardown(void **state)
{
	struct stat st;

	alarm(0);
	spool_close(*state);
	tu_rmtree(dir);
	/* Nothing followed a symlink to it. */
	assert_int_equal(stat(secret, &st), 0);
	assert_int_equal(st.st_size, 7);
	unlink(secret);
	return 0;
}

static struct spool_consumer *
consumer(struct spool *sp)
{
	struct spool_consumer_opts o;
	struct spool_consumer *c;

	spool_consumer_defaults(&o);
	o.settle = 0;
	o.max_attempts = 3;
	c = spool_consumer_open(sp, &o);
	assert_non_null(c);
	return c;
}

static void
test_job_fifo_not_opened(void **state)
{
	struct spool *sp = *state;
	struct spool_consumer *c = consumer(sp);
	struct spool_job job = { .id = "fifo", .attempt = 1 };

	assert_int_equal(mkfifoat(sp->dir[SPOOL_RUNNING], "fifo", 0644), 0);
	/* ENXIO: no reader (open(2) would have waited for one). */
	assert_int_equal(spool_job_open(c, &job, O_WRONLY | O_APPEND), -1);
	assert_int_equal(errno, ENXIO);
	assert_int_equal(spool_job_open(c, &job, O_RDONLY), -1);
	assert_int_equal(errno, EINVAL);
	/* A regular file opens, and blocking as asked. */
	tu_put(sp, SPOOL_RUNNING, "plain", "x\n");
	snprintf(job.id, sizeof(job.id), "plain");
	{
		int fd = spool_job_open(c, &job, O_RDONLY);
		assert_true(fd >= 0);
		assert_int_equal(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
		close(fd);
	}
	spool_consumer_close(c);
}

static void
test_meta_fifo_not_opened(void **state)
{
	struct spool *sp = *state;

	assert_int_equal(mkfifoat(sp->dir[SPOOL_META], "j", 0644), 0);
	assert_int_equal(spool_meta_append(sp, "j", "hold", "by=op"), -1);
	assert_int_equal(symlinkat(secret, sp->dir[SPOOL_META], "k"), 0);
	assert_int_equal(spool_meta_append(sp, "k", "hold", "by=op"), -1);
	assert_int_equal(mkdirat(sp->dir[SPOOL_META], "d", 0755), 0);
	assert_int_equal(spool_meta_append(sp, "d", "hold", "by=op"), -1);
}

/* Jobs whose history cannot be read go to dead/; the next one is claimed. */
static void
test_damaged_history_buried(void **state)
{
	struct spool *sp = *state;
	struct spool_consumer *c;
	struct spool_job job;
	static const char *const bad[] = { "a-fifo", "b-link", "c-huge",
	    "d-dir" };
	size_t i;

	for (i = 0; i < 4; i++)
		tu_put(sp, SPOOL_QUEUED, bad[i], "payload\n");
	tu_put(sp, SPOOL_QUEUED, "e-good", "payload\n");
	assert_int_equal(mkfifoat(sp->dir[SPOOL_META], "a-fifo", 0644), 0);
	assert_int_equal(symlinkat(secret, sp->dir[SPOOL_META], "b-link"), 0);
	huge(sp, SPOOL_META, "c-huge", (off_t)10 << 30);
	assert_int_equal(mkdirat(sp->dir[SPOOL_META], "d-dir", 0755), 0);
	c = consumer(sp);
	assert_int_equal(spool_consumer_claim(c, &job), 1);
	assert_string_equal(job.id, "e-good");
	for (i = 0; i < 4; i++)
		if (!tu_exists(sp, SPOOL_DEAD, bad[i]))
			fail_msg("%s is not in dead/", bad[i]);
	assert_int_equal(spool_job_complete(c, &job), 0);
	spool_consumer_close(c);
}

/* Strays in lease/ cover nothing: recovery goes on around them. */
static void
test_lease_strays(void **state)
{
	struct spool *sp = *state;
	struct spool_recovery r;
	struct timespec tick = { 0, 200000000 };
	int fd;

	tu_put(sp, SPOOL_LEASE, "h:1", "host=h\npid=1\nboot_id=x\nttl=60000\n"
	    "renewed=0 0\n+job\n");
	tu_put(sp, SPOOL_RUNNING, "job", "payload\n");
	assert_int_equal(symlinkat(secret, sp->dir[SPOOL_LEASE], "h:2"), 0);
	assert_int_equal(mkfifoat(sp->dir[SPOOL_LEASE], "h:3", 0644), 0);
	huge(sp, SPOOL_LEASE, "h:4", (off_t)10 << 30);
	nanosleep(&tick, NULL);		/* not "just claimed" */
	assert_int_equal(spool_recover(sp, -1, &r), 1);
	assert_true(tu_exists(sp, SPOOL_QUEUED, "job"));
	assert_false(tu_exists(sp, SPOOL_LEASE, "h:1"));
	assert_int_equal(spool_recover_needed(sp), 0);

	/* A huge lease somebody holds may be alive: nothing moves. */
	assert_int_equal(renameat(sp->dir[SPOOL_QUEUED], "job",
	    sp->dir[SPOOL_RUNNING], "job"), 0);
	fd = openat(sp->dir[SPOOL_LEASE], "h:4", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX), 0);
	nanosleep(&tick, NULL);
	assert_int_equal(spool_recover(sp, -1, &r), -1);
	assert_int_equal(errno, EFBIG);
	assert_true(tu_exists(sp, SPOOL_RUNNING, "job"));
	close(fd);
}

/* Not the owner of the job file: no due time, but a retry all the same. */
static void
test_retry_without_utimensat(void **state)
{
	struct spool *sp = *state;
	struct spool_consumer *c;
	struct spool_job job;
	int i, rc = 0;

	tu_put(sp, SPOOL_QUEUED, "job", "payload\n");
	c = consumer(sp);
	assert_int_equal(spool_consumer_claim(c, &job), 1);
	fault_reset();
	fault_arm(FAULT_UTIMENSAT, 1, EPERM);
	assert_int_equal(spool_job_retry(c, &job, "exit 1", "boom"), 0);
	assert_true(fault_fired());
	assert_true(tu_exists(sp, SPOOL_WAITING, "job"));
	fault_reset();
	/* Due at once: a turn wakes it, a later one sees it in new/ (the
	 * watch forwards events from a thread), and it is claimed again. */
	for (i = 0; i < 100; i++) {
		struct timespec ms10 = { 0, 10000000 };
		spool_consumer_work(c);
		if ((rc = spool_consumer_claim(c, &job)) != 0)
			break;
		nanosleep(&ms10, NULL);
	}
	assert_int_equal(rc, 1);
	assert_int_equal(job.attempt, 2);
	assert_int_equal(spool_job_complete(c, &job), 0);
	spool_consumer_close(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_job_fifo_not_opened,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_meta_fifo_not_opened,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged_history_buried,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_lease_strays,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_retry_without_utimensat,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
