/*
 * state.c - job states and the one table of legal transitions.
 *
 * The daemon, the submitter and the admin tool all move jobs through
 * spool_job_move, which consults this table: an action is legal only from
 * the states listed for it (s6-supervise's actions[state][event]).
 */
#include <string.h>

#include "spool_int.h"

#define S(x) (1u << (x))

static const struct {
	const char *name;
	const char *dir;
} states[SPOOL_NSTATES] = {
	[SPOOL_QUEUED] = { "queued", SPOOL_DIR_NEW },
	[SPOOL_RUNNING] = { "running", SPOOL_DIR_CUR },
	[SPOOL_WAITING] = { "waiting", SPOOL_DIR_WAIT },
	[SPOOL_HELD] = { "held", SPOOL_DIR_HOLD },
	[SPOOL_DONE] = { "done", SPOOL_DIR_DONE },
	[SPOOL_DEAD] = { "dead", SPOOL_DIR_DEAD },
	[SPOOL_TMP] = { "tmp", SPOOL_DIR_TMP },
};

/* to = -1: the job is removed. */
static const struct {
	const char *name;
	unsigned from;
	int to;
} actions[SPOOL_NACTIONS] = {
	[SPOOL_SUBMIT] = { "submit", S(SPOOL_TMP), SPOOL_QUEUED },
	[SPOOL_DEFER] = { "defer", S(SPOOL_TMP), SPOOL_WAITING },
	[SPOOL_CLAIM] = { "claim", S(SPOOL_QUEUED), SPOOL_RUNNING },
	[SPOOL_COMPLETE] = { "done", S(SPOOL_RUNNING), SPOOL_DONE },
	[SPOOL_RETRY] = { "retry", S(SPOOL_RUNNING), SPOOL_WAITING },
	[SPOOL_BURY] = { "dead", S(SPOOL_RUNNING) | S(SPOOL_QUEUED), SPOOL_DEAD },
	[SPOOL_RETURN] = { "return", S(SPOOL_RUNNING), SPOOL_QUEUED },
	[SPOOL_WAKE] = { "wake", S(SPOOL_WAITING), SPOOL_QUEUED },
	[SPOOL_HOLD] = { "hold", S(SPOOL_QUEUED) | S(SPOOL_WAITING), SPOOL_HELD },
	[SPOOL_RELEASE] = { "release", S(SPOOL_HELD), SPOOL_QUEUED },
	[SPOOL_CANCEL] = { "cancel", S(SPOOL_QUEUED) | S(SPOOL_WAITING) |
	    S(SPOOL_HELD) | S(SPOOL_RUNNING), SPOOL_DEAD },
	[SPOOL_REQUEUE] = { "requeue", S(SPOOL_DEAD) | S(SPOOL_DONE) |
	    S(SPOOL_WAITING) | S(SPOOL_HELD), SPOOL_QUEUED },
	[SPOOL_PURGE] = { "purge", S(SPOOL_DONE) | S(SPOOL_DEAD), -1 },
};

const char *
spool_state_name(enum spool_state st)
{
	return (unsigned)st < SPOOL_NSTATES ? states[st].name : "unknown";
}

const char *
spool_state_dir(enum spool_state st)
{
	return (unsigned)st < SPOOL_NSTATES ? states[st].dir : NULL;
}

int
spool_state_parse(const char *name)
{
	int i;

	for (i = 0; i < SPOOL_NSTATES; i++)
		if (strcmp(name, states[i].name) == 0 ||
		    strcmp(name, states[i].dir) == 0)
			return i;
	return -1;
}

const char *
spool_action_name(enum spool_action a)
{
	return (unsigned)a < SPOOL_NACTIONS ? actions[a].name : "unknown";
}

/* The target state, SPOOL_NSTATES for purge, or -1 if not legal. */
int
spool_action_target(enum spool_action a, enum spool_state from)
{
	if ((unsigned)a >= SPOOL_NACTIONS || (unsigned)from >= SPOOL_NSTATES ||
	    !(actions[a].from & S(from)))
		return -1;
	return actions[a].to < 0 ? SPOOL_NSTATES : actions[a].to;
}
