/*
 * test_fault_consumer.c - faults at the syscall seam (faultrun.h) while a
 * consumer claims, completes, retries, buries or returns a job (recovery:
 * test_fault_recover.c).  After each: a clean -1 with the errno (or
 * success), every job in exactly one job directory and whole, a job in
 * cur/ always in our lease journal, a job in dead/ always with its
 * reason, a job in wait/ never due early, and success once the fault is
 * gone.
 */
#include "faultrun.h"

static const char *const jobs[] = { "a-job", "b-job" };
#define NJOBS 2

static char *dir;
static struct spool *sp;
static struct spool_consumer *c;
static struct spool_job job;
static const struct fr_case *cur_case;
static int64_t t_run;		/* when the operation ran */

static void
make_spool(void)
{
	size_t i;

	dir = tu_mkspool();
	sp = tu_open(dir, 0);
	for (i = 0; i < NJOBS; i++)
		tu_put(sp, SPOOL_QUEUED, jobs[i], jobs[i]);
	/* b-job has a history, so that its moves write to it. */
	tu_put(sp, SPOOL_META, "b-job", "2026-11-28T10:00:00.000Z retry "
	    "by=h:1 attempt=1 status=\"exit 1\" error=x delay=1s\n");
}

static void
open_consumer(void)
{
	struct spool_consumer_opts o;

	spool_consumer_defaults(&o);
	o.scan = 50;		/* a job a failed claim dropped comes back */
	o.max_attempts = 5;
	assert_non_null(c = spool_consumer_open(sp, &o));
}

static void
cleanup(void)
{
	spool_consumer_close(c);
	c = NULL;
	spool_close(sp);
	sp = NULL;
	tu_rmtree(dir);
	free(dir);
	dir = NULL;
}

/* After a failed check (which leaves by longjmp): what the run left. */
static int
teardown(void **state)
{
	(void)state;
	if (dir)
		cleanup();
	return 0;
}

/* Every job once, whole; in cur/ only if our lease says so; in dead/ only
 * with a reason; in wait/ never due before the run. */
static void
check_census(const struct fr_run *r)
{
	char *text;
	size_t i;
	int st;

	for (i = 0; i < NJOBS; i++) {
		st = tu_state(sp, jobs[i]);
		if (st < 0)
			fr_fail(cur_case, r, "a job is lost");
		if (st == -2)
			fr_fail(cur_case, r, "a job is in two directories");
		text = tu_get(sp, st, jobs[i]);
		if (text == NULL || strcmp(text, jobs[i]) != 0)
			fr_fail(cur_case, r, "a job is not whole");
		free(text);
		if (st == SPOOL_DEAD && tu_events(sp, jobs[i], "dead") == 0)
			fr_fail(cur_case, r, "dead without a reason");
		if (st == SPOOL_WAITING &&
		    tu_mtime(sp, SPOOL_WAITING, jobs[i]) < t_run)
			fr_fail(cur_case, r, "waiting and due early");
	}
	if (tu_count(sp, SPOOL_TMP, 1) != 0)
		fr_fail(cur_case, r, "stray files in tmp/");
}

static int running_in_lease;

static void
count_held(const char *id, void *arg)
{
	(void)arg;
	if (tu_state(sp, id) == SPOOL_RUNNING)
		running_in_lease++;
}

static void
check_lease_covers(const struct fr_run *r)
{
	running_in_lease = 0;
	spool_consumer_work(c);		/* journal lines waiting go out */
	spool_lease_jobs(sp, spool_owner(sp), count_held, NULL);
	if (running_in_lease != tu_count(sp, SPOOL_RUNNING, 0))
		fr_fail(cur_case, r, "a job in cur/ outside our lease");
}

/* Claim every job left, pumping; complete them all. */
static void
drain(const struct fr_run *r)
{
	int64_t end = spool_mono() + 3000;
	struct spool_job j;
	int rc;

	while (tu_count(sp, SPOOL_DONE, 0) + tu_count(sp, SPOOL_DEAD, 0) +
	    tu_count(sp, SPOOL_WAITING, 0) < NJOBS) {
		if (spool_mono() > end)
			fr_fail(cur_case, r, "jobs never claimed once the fault "
			    "is gone");
		if ((rc = spool_consumer_claim(c, &j)) < 0)
			fr_fail(cur_case, r, "claim fails with no fault");
		if (rc == 1) {
			assert_int_equal(spool_job_complete(c, &j), 0);
			continue;
		}
		if (tu_count(sp, SPOOL_RUNNING, 0) > 0)
			break;		/* a failed finish: left to recovery */
		tu_wait_fd(spool_consumer_fd(c), 20);
		spool_consumer_work(c);
	}
	check_census(r);
}

/* ---- claim ---- */

static void
prepare_claim(void)
{
	make_spool();
	open_consumer();
	t_run = spool_now();
}

/* Both jobs: a-job without a history, b-job with one. */
static struct spool_job claimed[NJOBS];
static int nclaimed;

static int
run_claim(void)
{
	int rc = 1;

	for (nclaimed = 0; nclaimed < NJOBS && rc == 1; nclaimed += rc == 1)
		rc = spool_consumer_claim(c, &claimed[nclaimed]);
	return rc < 0 ? -1 : 0;
}

static void
check_claim(const struct fr_run *r)
{
	int i;

	check_census(r);
	check_lease_covers(r);
	if (tu_count(sp, SPOOL_RUNNING, 0) != nclaimed)
		fr_fail(cur_case, r, "cur/ holds other than what was claimed");
	for (i = 0; i < nclaimed; i++)
		if (claimed[i].attempt != (strcmp(claimed[i].id, "b-job") ? 1 : 2))
			fr_fail(cur_case, r, "an attempt miscounted");
}

static void
finish_claim(const struct fr_run *r)
{
	int i;

	for (i = 0; i < nclaimed; i++)
		assert_int_equal(spool_job_complete(c, &claimed[i]), 0);
	drain(r);
	if (tu_count(sp, SPOOL_DONE, 0) != NJOBS)
		fr_fail(cur_case, r, "not every job done in the end");
}

/* ---- complete, retry, bury, return: on a claimed b-job ---- */

static void
prepare_claimed(void)
{
	make_spool();
	open_consumer();
	/* a-job sorts first: claim it and put it back by hand, unrecorded. */
	assert_int_equal(spool_consumer_claim(c, &job), 1);
	assert_string_equal(job.id, "a-job");
	assert_int_equal(spool_job_complete(c, &job), 0);
	assert_int_equal(spool_consumer_claim(c, &job), 1);
	assert_string_equal(job.id, "b-job");
	assert_int_equal(job.attempt, 2);
	t_run = spool_now();
}

enum { OP_COMPLETE, OP_RETRY, OP_BURY, OP_RETURN };
static int op;

static int
run_finish(void)
{
	int rc = -1;

	switch (op) {
	case OP_COMPLETE:
		rc = spool_job_complete(c, &job);
		break;
	case OP_RETRY:
		rc = spool_job_retry(c, &job, "exit 1", "retry me");
		break;
	case OP_BURY:
		rc = spool_job_bury(c, &job, "exit 65", "bad data");
		break;
	case OP_RETURN:
		rc = spool_job_return(c, &job, "stopping");
		break;
	}
	return rc;
}

/* Where b-job may be after the operation: its target; cur/ when the move
 * failed; new/ when a failure to record turned it into a return. */
static const int targets[] = {
	[OP_COMPLETE] = SPOOL_DONE, [OP_RETRY] = SPOOL_WAITING,
	[OP_BURY] = SPOOL_DEAD, [OP_RETURN] = SPOOL_QUEUED,
};

static void
check_finish(const struct fr_run *r)
{
	int st;

	check_census(r);
	st = tu_state(sp, "b-job");
	if (r->rc == 0 && st != targets[op])
		fr_fail(cur_case, r, "success, and not where it should be");
	if (st != targets[op] && st != SPOOL_RUNNING && st != SPOOL_QUEUED)
		fr_fail(cur_case, r, "in a state it has no business in");
}

static void
finish_finish(const struct fr_run *r)
{
	int st = tu_state(sp, "b-job");

	/* A failed move left it in cur/: the same call again moves it. */
	if (st == SPOOL_RUNNING) {
		if (run_finish() < 0)
			fr_fail(cur_case, r, "no success once the fault is gone");
		if (tu_state(sp, "b-job") != targets[op])
			fr_fail(cur_case, r, "the second call did not move it");
	}
	check_census(r);
}

static void
drive_finish(int which, const char *name)
{
	struct fr_case cs = {
		name, FR_ALL, prepare_claimed, run_finish, check_finish,
		finish_finish, cleanup,
	};

	op = which;
	cur_case = &cs;
	assert_true(fault_drive(&cs) > 0);
}

static void
test_claim(void **state)
{
	static const struct fr_case cs = {
		"claim", FR_ALL, prepare_claim, run_claim, check_claim,
		finish_claim, cleanup,
	};

	(void)state;
	cur_case = &cs;
	assert_true(fault_drive(&cs) > 0);
}

static void
test_complete(void **state)
{
	(void)state;
	drive_finish(OP_COMPLETE, "complete");
}

static void
test_retry(void **state)
{
	(void)state;
	drive_finish(OP_RETRY, "retry");
}

static void
test_bury(void **state)
{
	(void)state;
	drive_finish(OP_BURY, "bury");
}

static void
test_return(void **state)
{
	(void)state;
	drive_finish(OP_RETURN, "return");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_claim, teardown),
		cmocka_unit_test_teardown(test_complete, teardown),
		cmocka_unit_test_teardown(test_retry, teardown),
		cmocka_unit_test_teardown(test_bury, teardown),
		cmocka_unit_test_teardown(test_return, teardown),
	};

	fr_tmpdir();
	return cmocka_run_group_tests_name("fault_consumer", tests, NULL, NULL);
}
