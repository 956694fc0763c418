/*
 * test_fault_submit.c - faults at the syscall seam (faultrun.h) while
 * submitting one job, a batch, a batch past one syncfs, a delayed job;
 * while making a spool; while taking a lease.  After each: a clean -1 with
 * the errno, no job acknowledged whose data or directory sync failed,
 * acknowledged jobs whole in new/ (or wait/), nothing left in tmp/, every
 * job in new/ whole, and the operation succeeding once the fault is gone.
 */
#include <sys/file.h>

#include "faultrun.h"
#include "lease.h"

static char *dir;
static struct spool *sp;
static size_t njobs;		/* jobs a submit case adds */
static int64_t delay;
static char ids[80][SPOOL_ID_MAX + 1];	/* of the last run */
static size_t queued;
static char known[200][SPOOL_ID_MAX + 1];	/* of every run on this spool */
static size_t known_body[200], nknown;

static void
body(size_t i, char *buf, size_t size)
{
	snprintf(buf, size, "job %zu of %zu: %0300zu\n", i, njobs, i);
}

static void
prepare_spool(void)
{
	nknown = 0;
	dir = tu_mkspool();
	sp = tu_open(dir, 0);
}

static void
cleanup_spool(void)
{
	spool_close(sp);
	sp = NULL;
	tu_rmtree(dir);
	free(dir);
	dir = NULL;
}

static int
run_submit(void)
{
	struct spool_submit *s = spool_submit_open(sp, delay);
	char buf[400];
	size_t i;
	int rc = 0, e;

	queued = 0;
	for (i = 0; i < njobs && rc == 0; i++) {
		body(i, buf, sizeof(buf));
		if ((rc = spool_submit_add(s, buf, strlen(buf), ids[i])) == 0) {
			known_body[nknown] = i;
			strcpy(known[nknown++], ids[i]);
		}
	}
	if (rc == 0)
		rc = spool_submit_commit(s, &queued);
	e = errno;
	spool_submit_close(s);
	errno = e;
	return rc;
}

static const struct fr_case *cur_case;

/* Which job of its run is name?  -1: none submitted on this spool. */
static int
job_index(const char *name)
{
	size_t i;

	for (i = 0; i < nknown; i++)
		if (strcmp(known[i], name) == 0)
			return (int)known_body[i];
	return -1;
}

static void
check_dir_whole(const struct fr_run *r, int st)
{
	char **names, buf[400], *text;
	size_t n, i;
	int j;

	assert_int_equal(spool_names_sorted(sp, st, &names, &n), 0);
	for (i = 0; i < n; i++) {
		if ((j = job_index(names[i])) < 0)
			fr_fail(cur_case, r, "a job nobody submitted");
		body((size_t)j, buf, sizeof(buf));
		text = tu_get(sp, st, names[i]);
		if (text == NULL || strcmp(text, buf) != 0)
			fr_fail(cur_case, r, "a job that is not whole");
		free(text);
	}
	spool_names_sorted_free(names, n);
}

static void
check_submit(const struct fr_run *r)
{
	int target = delay > 0 ? SPOOL_WAITING : SPOOL_QUEUED;
	size_t i;

	if (r->rc == 0 && queued != njobs)
		fr_fail(cur_case, r, "success without every job queued");
	if (r->rc < 0 && queued >= njobs)
		fr_fail(cur_case, r, "failure with every job queued");
	if (fr_sync_failed(r) && queued > 0)
		fr_fail(cur_case, r, "acknowledged after a failed sync");
	for (i = 0; i < queued; i++)
		if (tu_state(sp, ids[i]) != target)
			fr_fail(cur_case, r, "an acknowledged job is missing");
	if (tu_count(sp, SPOOL_TMP, 1) != 0)
		fr_fail(cur_case, r, "stray files in tmp/");
	check_dir_whole(r, target);
	if (tu_count(sp, delay > 0 ? SPOOL_QUEUED : SPOOL_WAITING, 1) != 0)
		fr_fail(cur_case, r, "a job in the wrong directory");
}

static void
finish_submit(const struct fr_run *r)
{
	struct fr_run again = *r;
	int before = tu_count(sp, delay > 0 ? SPOOL_WAITING : SPOOL_QUEUED, 0);

	again.clean = 1;
	again.rc = run_submit();
	if (again.rc < 0)
		fr_fail(cur_case, r, "no success once the fault is gone");
	check_submit(&again);
	assert_int_equal(tu_count(sp, delay > 0 ? SPOOL_WAITING :
	    SPOOL_QUEUED, 0), before + (int)njobs);
}

static const struct fr_case submit_case = {
	"submit", FR_ALL, prepare_spool, run_submit, check_submit,
	finish_submit, cleanup_spool,
};

static void
drive_submit(size_t n, int64_t d, unsigned ops)
{
	struct fr_case c = submit_case;

	njobs = n;
	delay = d;
	c.ops = ops;
	cur_case = &c;
	assert_true(fault_drive(&c) > 0);
}

static void
test_submit_one(void **state)
{
	(void)state;
	drive_submit(1, 0, FR_ALL);
}

static void
test_submit_batch(void **state)
{
	(void)state;
	drive_submit(3, 0, FR_ALL);
}

/* Past one syncfs (64 open files): the syncs, closes, renames. */
static void
test_submit_big_batch(void **state)
{
	(void)state;
	drive_submit(66, 0, (1u << FAULT_FSYNC) | (1u << FAULT_SYNCFS) |
	    (1u << FAULT_CLOSE));
}

static void
test_submit_delayed(void **state)
{
	(void)state;
	drive_submit(2, 60000, FR_ALL);
}

/* spool_init: a nested path that does not exist yet. */
static char path[600];

static void
prepare_init(void)
{
	dir = tu_mkspool();
	snprintf(path, sizeof(path), "%s/a/b/spool", dir);
}

static int
run_init(void)
{
	return spool_init(path);
}

static void
check_init(const struct fr_run *r)
{
	struct spool *s;

	if (r->rc == 0) {
		if (spool_open(&s, path, 0) < 0)
			fr_fail(cur_case, r, "init said ok; no spool");
		spool_close(s);
	}
}

static void
finish_init(const struct fr_run *r)
{
	int syncs;

	fault_reset();
	if (spool_init(path) < 0)
		fr_fail(cur_case, r, "no success once the fault is gone");
	syncs = fault_calls(FAULT_FSYNC);
	check_init(r);
	/* What a failed sync covered is synced by the next init. */
	if (fr_sync_failed(r) && syncs == 0)
		fr_fail(cur_case, r, "init said ok and never synced");
}

static void
cleanup_init(void)
{
	tu_rmtree(dir);
	free(dir);
	dir = NULL;
}

/* After a failed check (which leaves by longjmp): what the run left. */
static int
teardown(void **state)
{
	(void)state;
	spool_close(sp);
	sp = NULL;
	if (dir)
		cleanup_init();
	return 0;
}

static void
test_init(void **state)
{
	static const struct fr_case c = {
		"init", FR_ALL, prepare_init, run_init, check_init,
		finish_init, cleanup_init,
	};

	(void)state;
	cur_case = &c;
	assert_true(fault_drive(&c) > 0);
}

/* Taking a lease: all or nothing, never an unlocked lease, no dotfile. */
static struct spool_lease lease;

static int
run_lease(void)
{
	return spool_lease_create(sp, &lease, 60000);
}

static void
check_lease(const struct fr_run *r)
{
	int fd;

	if (tu_count(sp, SPOOL_LEASE, 1) != (r->rc == 0))
		fr_fail(cur_case, r, "lease/ holds the wrong files");
	if (r->rc < 0)
		return;
	fd = openat(sp->dir[SPOOL_LEASE], spool_owner(sp), O_RDONLY);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) == 0)
		fr_fail(cur_case, r, "the lease is not ours and locked");
	close(fd);
	if (spool_lease_jobs(sp, spool_owner(sp), NULL, NULL) != 0)
		fr_fail(cur_case, r, "a new lease with jobs");
}

static void
finish_lease(const struct fr_run *r)
{
	struct fr_run again = *r;

	if (r->rc < 0) {
		again.clean = 1;
		again.rc = run_lease();
		if (again.rc < 0)
			fr_fail(cur_case, r, "no success once the fault is gone");
		check_lease(&again);
	}
	spool_lease_release(sp, &lease);
	assert_int_equal(tu_count(sp, SPOOL_LEASE, 1), 0);
}

static void
test_lease_create(void **state)
{
	static const struct fr_case c = {
		"lease", FR_ALL, prepare_spool, run_lease, check_lease,
		finish_lease, cleanup_spool,
	};

	(void)state;
	cur_case = &c;
	assert_true(fault_drive(&c) > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_submit_one, teardown),
		cmocka_unit_test_teardown(test_submit_batch, teardown),
		cmocka_unit_test_teardown(test_submit_big_batch, teardown),
		cmocka_unit_test_teardown(test_submit_delayed, teardown),
		cmocka_unit_test_teardown(test_init, teardown),
		cmocka_unit_test_teardown(test_lease_create, teardown),
	};

	fr_tmpdir();
	return cmocka_run_group_tests_name("fault_submit", tests, NULL, NULL);
}
