/*
 * test_job.c - moving jobs (job.c): every action from every state on real
 * files, a target that holds the ID already is never overwritten
 * (RENAME_NOREPLACE), invalid IDs never reach the file system, finding a
 * job, and the admin's spool_job_act: its history lines, its refusals, and
 * the look-again when a daemon moves the job between find and rename.
 */
#define TU_SPOOL_FIXTURE
#include "testutil.h"

/* Every action from every state: legal ones move the file (purge removes
 * it and its history), others leave it where it is with EINVAL. */
static void
test_move_every(void **state)
{
	char id[64];
	int a, s, to;

	(void)state;
	for (a = 0; a < SPOOL_NACTIONS; a++)
		for (s = 0; s < SPOOL_NSTATES; s++) {
			snprintf(id, sizeof(id), "job-%s-%s", spool_action_name(a),
			    spool_state_name(s));
			tu_put(sp, s, id, id);
			tu_put(sp, SPOOL_META, id, "history\n");
			to = spool_action_target(a, s);
			if (to < 0) {
				assert_int_equal(spool_job_move(sp, id, s, a), -1);
				assert_int_equal(errno, EINVAL);
				assert_int_equal(tu_state(sp, id), s);
			} else if (to == SPOOL_NSTATES) {
				assert_int_equal(spool_job_move(sp, id, s, a), 0);
				assert_int_equal(tu_state(sp, id), -1);
				assert_false(tu_exists(sp, SPOOL_META, id));
			} else {
				char *text;
				assert_int_equal(spool_job_move(sp, id, s, a), 0);
				assert_int_equal(tu_state(sp, id), to);
				assert_non_null(text = tu_get(sp, to, id));
				assert_string_equal(text, id);
				free(text);
				assert_true(tu_exists(sp, SPOOL_META, id));
			}
		}
}

/* The target holds the same ID: EEXIST, and both files are untouched. */
static void
test_never_overwrite(void **state)
{
	static const struct { int from, a; } cases[] = {
		{ SPOOL_QUEUED, SPOOL_CLAIM }, { SPOOL_RUNNING, SPOOL_COMPLETE },
		{ SPOOL_RUNNING, SPOOL_RETRY }, { SPOOL_RUNNING, SPOOL_RETURN },
		{ SPOOL_RUNNING, SPOOL_BURY }, { SPOOL_TMP, SPOOL_SUBMIT },
		{ SPOOL_DEAD, SPOOL_REQUEUE }, { SPOOL_WAITING, SPOOL_WAKE },
	};
	char id[32], *a, *b;
	size_t i;
	int to;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(id, sizeof(id), "dup%zu", i);
		to = spool_action_target(cases[i].a, cases[i].from);
		tu_put(sp, cases[i].from, id, "source");
		tu_put(sp, to, id, "target");
		assert_int_equal(spool_job_move(sp, id, cases[i].from,
		    cases[i].a), -1);
		assert_int_equal(errno, EEXIST);
		assert_non_null(a = tu_get(sp, cases[i].from, id));
		assert_non_null(b = tu_get(sp, to, id));
		assert_string_equal(a, "source");
		assert_string_equal(b, "target");
		free(a);
		free(b);
	}
}

static void
test_missing_and_invalid(void **state)
{
	static const char *const bad[] = { "../x", "a/b", "", ".", "..",
	    "../../etc/passwd", "new/x" };
	size_t i;

	(void)state;
	assert_int_equal(spool_job_move(sp, "nosuch", SPOOL_QUEUED,
	    SPOOL_CLAIM), -1);
	assert_int_equal(errno, ENOENT);
	/* spool/x sits where "../x" would lead from new/. */
	{
		int fd = openat(sp->root, "x", O_WRONLY | O_CREAT, 0644);
		assert_true(fd >= 0);
		close(fd);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int from;
		assert_int_equal(spool_job_move(sp, bad[i], SPOOL_QUEUED,
		    SPOOL_CLAIM), -1);
		assert_int_equal(errno, EINVAL);
		assert_int_equal(spool_job_find(sp, bad[i]), -1);
		assert_int_equal(errno, EINVAL);
		assert_int_equal(spool_job_act(sp, bad[i], SPOOL_CANCEL, -1, "t",
		    NULL, &from), -1);
		assert_int_equal(errno, EINVAL);
	}
	assert_int_equal(faccessat(sp->root, "x", F_OK, 0), 0);
	assert_int_equal(tu_count(sp, SPOOL_RUNNING, 1), 0);
	assert_int_equal(tu_count(sp, SPOOL_DEAD, 1), 0);
}

static void
test_find(void **state)
{
	char id[32];
	int s;

	(void)state;
	for (s = 0; s < SPOOL_NSTATES; s++) {
		snprintf(id, sizeof(id), "find-%d", s);
		tu_put(sp, s, id, "x");
		if (s == SPOOL_TMP) {	/* not a job yet */
			assert_int_equal(spool_job_find(sp, id), -1);
			assert_int_equal(errno, ENOENT);
		} else
			assert_int_equal(spool_job_find(sp, id), s);
	}
	assert_int_equal(spool_job_find(sp, "find-none"), -1);
	assert_int_equal(errno, ENOENT);
}

/* An admin action: where the job goes, what its history says. */
static const struct {
	int from, a, rc, err, to;
	const char *event;	/* the line spool_job_act appends */
} acts[] = {
	{ SPOOL_QUEUED, SPOOL_HOLD, 0, 0, SPOOL_HELD, " hold by=op from=queued" },
	{ SPOOL_WAITING, SPOOL_HOLD, 0, 0, SPOOL_HELD, " hold by=op from=waiting" },
	{ SPOOL_HELD, SPOOL_RELEASE, 0, 0, SPOOL_QUEUED, " release by=op from=held" },
	{ SPOOL_QUEUED, SPOOL_CANCEL, 0, 0, SPOOL_DEAD, " cancel by=op from=queued" },
	{ SPOOL_RUNNING, SPOOL_CANCEL, 0, 0, SPOOL_DEAD, " cancel by=op from=running" },
	{ SPOOL_DEAD, SPOOL_REQUEUE, 0, 0, SPOOL_QUEUED, " requeue by=op from=dead" },
	{ SPOOL_DONE, SPOOL_REQUEUE, 0, 0, SPOOL_QUEUED, " requeue by=op from=done" },
	{ SPOOL_DONE, SPOOL_PURGE, 0, 0, -1, NULL },
	{ SPOOL_DEAD, SPOOL_PURGE, 0, 0, -1, NULL },
	{ SPOOL_QUEUED, SPOOL_RELEASE, -1, EINVAL, SPOOL_QUEUED, NULL },
	{ SPOOL_DONE, SPOOL_HOLD, -1, EINVAL, SPOOL_DONE, NULL },
	{ SPOOL_RUNNING, SPOOL_PURGE, -1, EINVAL, SPOOL_RUNNING, NULL },
	{ SPOOL_DEAD, SPOOL_CANCEL, -1, EINVAL, SPOOL_DEAD, NULL },
	{ -1, SPOOL_CANCEL, -1, ENOENT, -1, NULL },
};

static void
test_act_table(void **state)
{
	struct spool_meta m;
	char id[32], *text;
	size_t i;
	int from;

	(void)state;
	for (i = 0; i < sizeof(acts) / sizeof(acts[0]); i++) {
		snprintf(id, sizeof(id), "act%zu", i);
		if (acts[i].from >= 0) {
			tu_put(sp, acts[i].from, id, "job");
			tu_put(sp, SPOOL_META, id, "2026-11-28T10:00:00.000Z "
			    "retry by=h:1 attempt=1 status=\"exit 1\" error=x\n");
		}
		if (spool_job_act(sp, id, acts[i].a, -1, "op", NULL, &from) !=
		    acts[i].rc || (acts[i].rc < 0 && errno != acts[i].err))
			fail_msg("case %zu: %s from %s", i,
			    spool_action_name(acts[i].a),
			    spool_state_name(acts[i].from));
		assert_int_equal(from, acts[i].from);
		assert_int_equal(tu_state(sp, id), acts[i].to);
		text = tu_get(sp, SPOOL_META, id);
		if (acts[i].event) {
			assert_non_null(text);
			assert_non_null(strstr(text, acts[i].event));
		} else if (acts[i].rc == 0)	/* purge: no history left */
			assert_null(text);
		free(text);
		if (acts[i].a == SPOOL_REQUEUE && acts[i].rc == 0) {
			assert_int_equal(spool_meta_read(sp, id, &m), 0);
			assert_int_equal(m.attempts, 0);
		}
	}
}

static void
test_act_note(void **state)
{
	char *text;
	int from;

	(void)state;
	tu_put(sp, SPOOL_QUEUED, "noted", "x");
	assert_int_equal(spool_job_act(sp, "noted", SPOOL_CANCEL, -1, "op",
	    "no longer \"needed\"\n", &from), 0);
	assert_non_null(text = tu_get(sp, SPOOL_META, "noted"));
	assert_non_null(strstr(text, " note=\"no longer \\\"needed\\\"\\n\"\n"));
	free(text);
}

/* A daemon moves the job between our find and our rename. */
static struct spool_sys real;
static int hook_moves;		/* how many renames to race */
static int hook_flip;		/* the job is in wait/ (1) or new/ (0) */

static int
racing_rename(int od, const char *op, int nd, const char *np, unsigned fl)
{
	if (hook_moves > 0) {
		hook_moves--;
		/* The "daemon": new/ <-> wait/ */
		assert_int_equal(real.renameat2(sp->dir[hook_flip ? SPOOL_WAITING :
		    SPOOL_QUEUED], "racy", sp->dir[hook_flip ? SPOOL_QUEUED :
		    SPOOL_WAITING], "racy", RENAME_NOREPLACE), 0);
		hook_flip = !hook_flip;
	}
	return real.renameat2(od, op, nd, np, fl);
}

/* A job listed in dead/ (requeue --dead) that another operator requeued
 * and a consumer finished since: found in done/, it is not requeued again
 * (it would run twice), and nothing is written to its history. */
static void
test_act_want(void **state)
{
	int from;

	(void)state;
	tu_put(sp, SPOOL_DONE, "twice", "job");
	assert_int_equal(spool_job_act(sp, "twice", SPOOL_REQUEUE, SPOOL_DEAD,
	    "op", NULL, &from), -1);
	assert_int_equal(errno, EALREADY);
	assert_int_equal(from, SPOOL_DONE);
	assert_int_equal(tu_state(sp, "twice"), SPOOL_DONE);
	assert_int_equal(faccessat(sp->dir[SPOOL_META], "twice", F_OK, 0), -1);
	/* Gone altogether: the same answer, from -1. */
	assert_int_equal(spool_job_act(sp, "gone", SPOOL_REQUEUE, SPOOL_DEAD,
	    "op", NULL, &from), -1);
	assert_int_equal(errno, EALREADY);
	assert_int_equal(from, -1);
	/* Still where it was listed: acted on. */
	tu_put(sp, SPOOL_DEAD, "again", "job");
	assert_int_equal(spool_job_act(sp, "again", SPOOL_REQUEUE, SPOOL_DEAD,
	    "op", NULL, &from), 0);
	assert_int_equal(from, SPOOL_DEAD);
	assert_int_equal(tu_state(sp, "again"), SPOOL_QUEUED);
}

static void
test_act_race(void **state)
{
	static const struct { int moves, rc, err, from, to; } cases[] = {
		{ 1, 0, 0, SPOOL_WAITING, SPOOL_HELD },
		{ 2, 0, 0, SPOOL_QUEUED, SPOOL_HELD },
		{ 7, 0, 0, SPOOL_WAITING, SPOOL_HELD },
		{ 100, -1, EAGAIN, -2, -2 },	/* it never holds still */
	};
	size_t i;
	int from;

	(void)state;
	real = spool_sys;
	spool_sys.renameat2 = racing_rename;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tu_put(sp, SPOOL_QUEUED, "racy", "racy job");
		hook_moves = cases[i].moves;
		hook_flip = 0;
		assert_int_equal(spool_job_act(sp, "racy", SPOOL_HOLD, -1, "op",
		    NULL, &from), cases[i].rc);
		if (cases[i].rc < 0) {
			assert_int_equal(errno, cases[i].err);
			/* Wherever it is, it is one job, whole. */
			assert_true(tu_state(sp, "racy") == SPOOL_QUEUED ||
			    tu_state(sp, "racy") == SPOOL_WAITING);
		} else {
			assert_int_equal(from, cases[i].from);
			assert_int_equal(tu_state(sp, "racy"), cases[i].to);
		}
		hook_moves = 0;
		unlinkat(sp->dir[tu_state(sp, "racy")], "racy", 0);
		unlinkat(sp->dir[SPOOL_META], "racy", 0);
	}
	spool_sys = real;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_move_every, setup, teardown),
		cmocka_unit_test_setup_teardown(test_never_overwrite, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_and_invalid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_find, setup, teardown),
		cmocka_unit_test_setup_teardown(test_act_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_act_note, setup, teardown),
		cmocka_unit_test_setup_teardown(test_act_want, setup, teardown),
		cmocka_unit_test_setup_teardown(test_act_race, setup, teardown),
	};

	return cmocka_run_group_tests_name("job", tests, NULL, NULL);
}
