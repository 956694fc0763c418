/*
 * test_state.c - job states and the transition table (state.c): every
 * action from every state against a table written out here from the
 * contract, and the names tools print and parse.
 */
#include "testutil.h"

#define Q SPOOL_QUEUED
#define R SPOOL_RUNNING
#define W SPOOL_WAITING
#define H SPOOL_HELD
#define D SPOOL_DONE
#define X SPOOL_DEAD
#define T SPOOL_TMP
#define GONE SPOOL_NSTATES	/* purge: the job is removed */
#define NO (-1)			/* not legal */

/* expect[action][from]: the target, GONE, or NO.  Columns in the order of
 * enum spool_state: queued running waiting held done dead tmp. */
static const int expect[SPOOL_NACTIONS][SPOOL_NSTATES] = {
	/*                 Q   R   W   H   D   X   T */
	[SPOOL_SUBMIT]   = { NO, NO, NO, NO, NO, NO, Q },
	[SPOOL_DEFER]    = { NO, NO, NO, NO, NO, NO, W },
	[SPOOL_CLAIM]    = { R, NO, NO, NO, NO, NO, NO },
	[SPOOL_COMPLETE] = { NO, D, NO, NO, NO, NO, NO },
	[SPOOL_RETRY]    = { NO, W, NO, NO, NO, NO, NO },
	[SPOOL_BURY]     = { X, X, NO, NO, NO, NO, NO },
	[SPOOL_RETURN]   = { NO, Q, NO, NO, NO, NO, NO },
	[SPOOL_WAKE]     = { NO, NO, Q, NO, NO, NO, NO },
	[SPOOL_HOLD]     = { H, NO, H, NO, NO, NO, NO },
	[SPOOL_RELEASE]  = { NO, NO, NO, Q, NO, NO, NO },
	[SPOOL_CANCEL]   = { X, X, X, X, NO, NO, NO },
	[SPOOL_REQUEUE]  = { NO, NO, Q, Q, Q, Q, NO },
	[SPOOL_PURGE]    = { NO, NO, NO, NO, GONE, GONE, NO },
};

static void
test_every_transition(void **state)
{
	int a, s, got;

	(void)state;
	for (a = 0; a < SPOOL_NACTIONS; a++)
		for (s = 0; s < SPOOL_NSTATES; s++) {
			got = spool_action_target(a, s);
			if (got != expect[a][s])
				fail_msg("%s from %s: got %d, want %d",
				    spool_action_name(a), spool_state_name(s),
				    got, expect[a][s]);
		}
}

/* Out of range is never legal, never a crash. */
static void
test_out_of_range(void **state)
{
	static const struct { int a, s; } cases[] = {
		{ -1, Q }, { SPOOL_NACTIONS, Q }, { SPOOL_CLAIM, -1 },
		{ SPOOL_CLAIM, SPOOL_NSTATES }, { 1000, 1000 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(spool_action_target(cases[i].a, cases[i].s), -1);
	assert_string_equal(spool_state_name(SPOOL_NSTATES), "unknown");
	assert_string_equal(spool_state_name(-1), "unknown");
	assert_null(spool_state_dir(SPOOL_NSTATES));
	assert_string_equal(spool_action_name(SPOOL_NACTIONS), "unknown");
}

/* The names of the contract and the directories of the layout. */
static const struct {
	int st;
	const char *name, *dir;
} names[] = {
	{ Q, "queued", SPOOL_DIR_NEW }, { R, "running", SPOOL_DIR_CUR },
	{ W, "waiting", SPOOL_DIR_WAIT }, { H, "held", SPOOL_DIR_HOLD },
	{ D, "done", SPOOL_DIR_DONE }, { X, "dead", SPOOL_DIR_DEAD },
	{ T, "tmp", SPOOL_DIR_TMP },
};

static void
test_names(void **state)
{
	size_t i;

	(void)state;
	assert_int_equal(sizeof(names) / sizeof(names[0]), SPOOL_NSTATES);
	for (i = 0; i < SPOOL_NSTATES; i++) {
		assert_string_equal(spool_state_name(names[i].st), names[i].name);
		assert_string_equal(spool_state_dir(names[i].st), names[i].dir);
		assert_int_equal(spool_state_parse(names[i].name), names[i].st);
		assert_int_equal(spool_state_parse(names[i].dir), names[i].st);
	}
}

static void
test_parse_unknown(void **state)
{
	static const char *const bad[] = {
		"", "Queued", "QUEUED", "queue", "new/", "meta", "lease", "run",
		"purged", " done", "done ",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(spool_state_parse(bad[i]), -1);
}

/* Every action has a name of its own. */
static void
test_action_names(void **state)
{
	int a, b;

	(void)state;
	for (a = 0; a < SPOOL_NACTIONS; a++) {
		assert_string_not_equal(spool_action_name(a), "unknown");
		for (b = 0; b < a; b++)
			assert_string_not_equal(spool_action_name(a),
			    spool_action_name(b));
	}
	assert_string_equal(spool_action_name(SPOOL_CLAIM), "claim");
	assert_string_equal(spool_action_name(SPOOL_CANCEL), "cancel");
	assert_string_equal(spool_action_name(SPOOL_REQUEUE), "requeue");
}

/* Nothing leaves done/ or dead/ but requeue and purge, and nothing enters
 * tmp/: the table keeps finished jobs finished. */
static void
test_invariants(void **state)
{
	int a;

	(void)state;
	for (a = 0; a < SPOOL_NACTIONS; a++) {
		int s;
		if (a != SPOOL_REQUEUE && a != SPOOL_PURGE) {
			assert_int_equal(spool_action_target(a, D), -1);
			assert_int_equal(spool_action_target(a, X), -1);
		}
		for (s = 0; s < SPOOL_NSTATES; s++)
			assert_int_not_equal(spool_action_target(a, s), T);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_transition),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_parse_unknown),
		cmocka_unit_test(test_action_names),
		cmocka_unit_test(test_invariants),
	};

	return cmocka_run_group_tests_name("state", tests, NULL, NULL);
}
