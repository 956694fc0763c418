/*
 * test_recover_clock.c - recovery when the wall clock has been stepped
 * (recover.c), with a clock_gettime of our own that shifts the wall clocks
 * (CLOCK_REALTIME, CLOCK_REALTIME_COARSE) by an offset and leaves the
 * others alone, as a step of the system clock does.  The kernel still
 * stamps files with the true time, so a job claimed "before the step" has
 * a ctime that is a day ahead of, or behind, our clock.
 *
 * A dead consumer's job is returned whatever the step; a job that entered
 * cur/ as we looked is left for the next pass; a live lease's job stays.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "testutil.h"

#define DAY_NS (86400LL * 1000000000)

static int64_t offset_ns;	/* added to the wall clocks */

/* Ours wins over libc's for every caller in this program, libspool too. */
int
clock_gettime(clockid_t id, struct timespec *ts)
{
	int64_t ns;

	if (syscall(SYS_clock_gettime, id, ts) < 0)
		return -1;
	if (id != CLOCK_REALTIME && id != CLOCK_REALTIME_COARSE)
		return 0;
	ns = (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec + offset_ns;
	ts->tv_sec = ns / 1000000000;
	ts->tv_nsec = ns % 1000000000;
	return 0;
}

static char dir[64];

/* A spool with cur/job claimed under lease/h:1 by a holder now dead. */
static struct spool *
claimed(void)
{
	struct spool *sp;

	snprintf(dir, sizeof(dir), "/tmp/spool-recover-clock.XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_int_equal(spool_init(dir), 0);
	assert_int_equal(spool_open(&sp, dir, SPOOL_NOSYNC), 0);
	tu_put(sp, SPOOL_LEASE, "h:1", "host=h\npid=1\nboot_id=x\nstarted=0\n"
	    "ttl=60000\nrenewed=0 0\n+job\n");
	tu_put(sp, SPOOL_RUNNING, "job", "payload\n");
	return sp;
}

static void
done(struct spool *sp)
{
	spool_close(sp);
	tu_rmtree(dir);
	offset_ns = 0;
}

/* ms: how long ago (true time) the job entered cur/. */
static void
returned_after_step(int64_t step, int ms)
{
	struct spool_recovery r;
	struct spool *sp = claimed();
	struct timespec pause = { 0, ms * 1000000L };

	nanosleep(&pause, NULL);
	offset_ns = step;
	assert_int_equal(spool_recover(sp, -1, &r), 1);
	assert_int_equal(r.jobs, 1);
	assert_int_equal(r.busy, 0);
	assert_int_equal(r.leases, 1);
	assert_true(tu_exists(sp, SPOOL_QUEUED, "job"));
	assert_false(tu_exists(sp, SPOOL_RUNNING, "job"));
	done(sp);
}

static void
test_no_step(void **s)
{
	(void)s;
	returned_after_step(0, 300);
}

/* The regression: stepped back, every ctime looked like a claim made after
 * we started, the job stayed in cur/ for a day, and its lease was removed. */
static void
test_stepped_back_a_day(void **s)
{
	(void)s;
	returned_after_step(-DAY_NS, 0);
}

static void
test_stepped_forward_a_day(void **s)
{
	(void)s;
	returned_after_step(DAY_NS, 0);
}

/* A job that entered cur/ as we started may have been claimed again
 * between our listing and our reading of the journals: next pass. */
static void
test_just_claimed_is_busy(void **s)
{
	struct spool_recovery r;
	struct spool *sp = claimed();

	(void)s;
	assert_int_equal(spool_recover(sp, -1, &r), 0);
	assert_int_equal(r.busy, 1);
	assert_true(tu_exists(sp, SPOOL_RUNNING, "job"));
	done(sp);
}

/* A live lease (its lock held) keeps its job whatever the wall clock says:
 * expiry is judged on the boot clock on the same boot. */
static void
test_live_lease_kept(void **s)
{
	struct spool_recovery r;
	struct spool *sp = claimed();
	char text[256];
	int fd;

	(void)s;
	snprintf(text, sizeof(text), "host=h\npid=1\nboot_id=%s\nstarted=0\n"
	    "ttl=60000\nrenewed=%019lld %019lld\n+job\n", sp->boot_id,
	    (long long)spool_now(), (long long)spool_boottime());
	tu_put(sp, SPOOL_LEASE, "h:1", text);
	fd = openat(sp->dir[SPOOL_LEASE], "h:1", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX), 0);
	offset_ns = DAY_NS;
	assert_int_equal(spool_recover(sp, -1, &r), 0);
	assert_int_equal(r.expired, 0);
	offset_ns = -DAY_NS;
	assert_int_equal(spool_recover(sp, -1, &r), 0);
	assert_int_equal(r.expired, 0);
	assert_true(tu_exists(sp, SPOOL_RUNNING, "job"));
	assert_true(tu_exists(sp, SPOOL_LEASE, "h:1"));
	close(fd);
	done(sp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_step),
		cmocka_unit_test(test_stepped_back_a_day),
		cmocka_unit_test(test_stepped_forward_a_day),
		cmocka_unit_test(test_just_claimed_is_busy),
		cmocka_unit_test(test_live_lease_kept),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
