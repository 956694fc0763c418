/*
 * test_fault_admin.c - faults at the syscall seam (faultrun.h) while an
 * operator requeues, cancels, holds or releases a job (spool_job_act),
 * from every state each is legal in.  After each: a clean -1 with the
 * errno (or success), the job once and whole where it was or where it was
 * sent, never moved without its history line (the line goes first: a
 * crash in between cannot lose it), a line whose move did not happen
 * counting no attempt and showing no cancel, and the action done once the
 * fault is cleared.
 */
#include "faultrun.h"

#define ID "job"
#define HISTORY "2026-11-28T10:00:00.000Z retry by=h:1 attempt=1 " \
    "status=\"exit 1\" error=boom\n"

static const struct {
	int a, from;
} acts[] = {
	{ SPOOL_CANCEL, SPOOL_QUEUED }, { SPOOL_CANCEL, SPOOL_WAITING },
	{ SPOOL_CANCEL, SPOOL_HELD }, { SPOOL_CANCEL, SPOOL_RUNNING },
	{ SPOOL_HOLD, SPOOL_QUEUED }, { SPOOL_HOLD, SPOOL_WAITING },
	{ SPOOL_RELEASE, SPOOL_HELD },
	{ SPOOL_REQUEUE, SPOOL_DEAD }, { SPOOL_REQUEUE, SPOOL_DONE },
	{ SPOOL_REQUEUE, SPOOL_WAITING }, { SPOOL_REQUEUE, SPOOL_HELD },
};

static char *dir;
static struct spool *sp;
static size_t cur;		/* the case of acts[] being run */
static const struct fr_case *cur_case;

static void
prepare(void)
{
	dir = tu_mkspool();
	sp = tu_open(dir, 0);
	tu_put(sp, acts[cur].from, ID, "the job");
	tu_put(sp, SPOOL_META, ID, HISTORY);
}

static int
run(void)
{
	int from;

	return spool_job_act(sp, ID, acts[cur].a, -1, "op", NULL, &from);
}

/* The lines of this action in the history. */
static int
lines(void)
{
	char pat[64], *text = tu_get(sp, SPOOL_META, ID), *p;
	int n = 0;

	if (text == NULL)
		return 0;
	snprintf(pat, sizeof(pat), " %s by=op from=%s\n",
	    spool_action_name(acts[cur].a), spool_state_name(acts[cur].from));
	for (p = text; (p = strstr(p, pat)) != NULL; p++)
		n++;
	free(text);
	return n;
}

static void
check(const struct fr_run *r)
{
	struct spool_job_info ji;
	int to = spool_action_target(acts[cur].a, acts[cur].from);
	int st = tu_state(sp, ID);
	char *text;

	if (st != acts[cur].from && st != to)
		fr_fail(cur_case, r, "the job is lost, doubled or astray");
	if (r->rc == 0 && st != to)
		fr_fail(cur_case, r, "done, but not moved");
	if (st == to && lines() != 1)
		fr_fail(cur_case, r, "moved without its history line");
	if ((text = tu_get(sp, st, ID)) == NULL || strcmp(text, "the job"))
		fr_fail(cur_case, r, "the job is not whole");
	free(text);
	/* A line whose move did not happen (st == from) counts no run and
	 * cancels nothing; a requeue's resets the count (CAVEATS). */
	assert_int_equal(spool_job_info(sp, st, ID, SPOOL_INFO_META, &ji), 0);
	if (ji.meta.attempts != (acts[cur].a == SPOOL_REQUEUE && lines() ?
	    0 : 1))
		fr_fail(cur_case, r, "attempts miscounted");
	if (ji.meta.cancelled != (st == SPOOL_DEAD && acts[cur].a ==
	    SPOOL_CANCEL))
		fr_fail(cur_case, r, "cancelled, or not, wrongly");
}

/* The fault cleared, the action is done (again, if its move failed). */
static void
finish(const struct fr_run *r)
{
	int to = spool_action_target(acts[cur].a, acts[cur].from);

	if (tu_state(sp, ID) != to && run() < 0)
		fr_fail(cur_case, r, "fails once the fault is gone");
	if (tu_state(sp, ID) != to || lines() < 1)
		fr_fail(cur_case, r, "not done once the fault is gone");
}

static void
cleanup(void)
{
	spool_close(sp);
	sp = NULL;
	tu_rmtree(dir);
	free(dir);
	dir = NULL;
}

static void
test_act(void **state)
{
	static char name[64];
	static const struct fr_case c = { name, FR_ALL, prepare, run, check,
	    finish, cleanup };

	(void)state;
	cur_case = &c;
	for (cur = 0; cur < sizeof(acts) / sizeof(acts[0]); cur++) {
		snprintf(name, sizeof(name), "%s from %s",
		    spool_action_name(acts[cur].a),
		    spool_state_name(acts[cur].from));
		assert_true(fault_drive(&c) > 0);
	}
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_act, teardown),
	};

	fr_tmpdir();
	return cmocka_run_group_tests_name("fault_admin", tests, NULL, NULL);
}
