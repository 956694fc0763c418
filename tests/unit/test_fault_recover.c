/*
 * test_fault_recover.c - faults at the syscall seam (faultrun.h) while a
 * dead consumer's two jobs are recovered.  After each: a clean -1 with the
 * errno (or success), each job once and whole in cur/ or new/, a job back
 * in new/ with its run counted once in its history, a dead lease never
 * removed while a job it names is still in cur/, and every job back and
 * the lease gone once the fault is cleared.
 */
#include "faultrun.h"

static const char *const jobs[] = { "a-job", "b-job" };
#define NJOBS 2

static char *dir;
static struct spool *sp;
static const struct fr_case *cur_case;

static void
cleanup(void)
{
	spool_close(sp);
	sp = NULL;
	tu_rmtree(dir);
	free(dir);
	dir = NULL;
}

/* Every job once, whole, in cur/ or new/; nothing in tmp/. */
static void
check_census(const struct fr_run *r)
{
	char *text;
	size_t i;
	int st;

	for (i = 0; i < NJOBS; i++) {
		st = tu_state(sp, jobs[i]);
		if (st != SPOOL_RUNNING && st != SPOOL_QUEUED)
			fr_fail(cur_case, r, "a job lost, doubled or misplaced");
		text = tu_get(sp, st, jobs[i]);
		if (text == NULL || strcmp(text, jobs[i]) != 0)
			fr_fail(cur_case, r, "a job is not whole");
		free(text);
	}
	if (tu_count(sp, SPOOL_TMP, 1) != 0)
		fr_fail(cur_case, r, "stray files in tmp/");
}

/* ---- recover: a dead consumer's two jobs ---- */

/*
 * Recovery leaves a job whose entry changed within 100 ms of its start
 * (the clock tick ctime is stamped with, and then some): the spools are
 * made ahead, a pool at a time, and aged once.
 */
#define POOL	24
#define AGE_MS	150
static char *pool[POOL];
static int npool;
static struct spool_recovery rec;

static void
refill(void)
{
	struct spool *s;
	size_t i;

	for (npool = 0; npool < POOL; npool++) {
		pool[npool] = tu_mkspool();
		s = tu_open(pool[npool], 0);
		for (i = 0; i < NJOBS; i++)
			tu_put(s, SPOOL_RUNNING, jobs[i], jobs[i]);
		tu_put(s, SPOOL_META, "b-job", "2026-11-28T10:00:00.000Z retry "
		    "by=h:1 attempt=1 status=\"exit 1\" error=x delay=1s\n");
		tu_put(s, SPOOL_LEASE, "ghost:1", "host=ghost\npid=1\nboot_id=x\n"
		    "started=0\nttl=60000\nrenewed=0 0\n+a-job\n+b-job\n");
		spool_close(s);
	}
	tu_sleep_ms(AGE_MS);
}

static void
drain_pool(void)
{
	while (npool > 0) {
		tu_rmtree(pool[--npool]);
		free(pool[npool]);
	}
}

static void
prepare_recover(void)
{
	if (npool == 0)
		refill();
	dir = pool[--npool];
	sp = tu_open(dir, 0);
}

static int
run_recover(void)
{
	return spool_recover(sp, -1, &rec) < 0 ? -1 : 0;
}

static void
check_recover(const struct fr_run *r)
{
	size_t i;

	check_census(r);
	for (i = 0; i < NJOBS; i++) {
		int st = tu_state(sp, jobs[i]);
		if (st == SPOOL_QUEUED && tu_events(sp, jobs[i], "recover") != 1)
			fr_fail(cur_case, r, "back without its run counted once");
	}
	if (tu_count(sp, SPOOL_RUNNING, 0) > 0 &&
	    !tu_exists(sp, SPOOL_LEASE, "ghost:1"))
		fr_fail(cur_case, r, "a dead lease removed before its jobs");
	if (r->rc == 0 && (tu_count(sp, SPOOL_QUEUED, 0) != NJOBS ||
	    rec.jobs != NJOBS || rec.leases != 1))
		fr_fail(cur_case, r, "success, and not all recovered");
}

/* What a failed pass left in cur/ was not renamed: still old enough. */
static void
finish_recover(const struct fr_run *r)
{
	if (run_recover() < 0)
		fr_fail(cur_case, r, "no success once the fault is gone");
	if (tu_count(sp, SPOOL_QUEUED, 0) != NJOBS ||
	    tu_count(sp, SPOOL_LEASE, 1) != 0)
		fr_fail(cur_case, r, "not all recovered once the fault is gone");
	check_census(r);
}

static void
test_recover(void **state)
{
	static const struct fr_case cs = {
		"recover", FR_ALL, prepare_recover, run_recover, check_recover,
		finish_recover, cleanup,
	};

	(void)state;
	cur_case = &cs;
	assert_true(fault_drive(&cs) > 0);
	drain_pool();
}

/* After a failed check (which leaves by longjmp): what the run left. */
static int
teardown(void **state)
{
	(void)state;
	if (dir)
		cleanup();
	drain_pool();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_recover, teardown),
	};

	fr_tmpdir();
	return cmocka_run_group_tests_name("fault_recover", tests, NULL, NULL);
}
