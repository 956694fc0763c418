/*
 * job.c - the one module that moves jobs between states.
 *
 * spool_job_move checks the action against the transition table and does
 * the rename (purge: the unlink); spool_job_act is the admin's entry: it
 * finds the job, records the action in the job's history, moves it, and
 * starts over when a daemon moved the job in between.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spool_int.h"

int
spool_job_move(struct spool *sp, const char *id, enum spool_state from,
    enum spool_action a)
{
	int to;

	if (!spool_id_valid(id)) {
		errno = EINVAL;
		return -1;
	}
	if ((to = spool_action_target(a, from)) < 0) {
		errno = EINVAL;
		return -1;
	}
	if (to == SPOOL_NSTATES) {
		if (spool_sys.unlinkat(sp->dir[from], id, 0) < 0)
			return -1;
		if (spool_sync_dir(sp, from) < 0)
			return -1;
		spool_counter_bump(sp, a);
		if (spool_meta_remove(sp, id) < 0 && errno != ENOENT)
			return -1;
		return 0;
	}
	if (spool_rename(sp, from, id, to, id) < 0)
		return -1;
	spool_counter_bump(sp, a);
	/* A claim need not be durable: lost at a power cut, it leaves the
	 * job in new/, where it is claimed again.  Every other move is. */
	return a == SPOOL_CLAIM ? 0 : spool_sync_dir(sp, to);
}

int
spool_job_find(struct spool *sp, const char *id)
{
	struct stat st;
	int i, pass;

	if (!spool_id_valid(id)) {
		errno = EINVAL;
		return -1;
	}
	/* One look per directory is not atomic: a job that moves from a
	 * directory not looked at yet to one looked at already (dead/ to
	 * new/, then cur/) is missed.  A job only vanishes by purge, so
	 * "none" is believed after a few looks. */
	for (pass = 0; pass < 3; pass++)
		for (i = 0; i < SPOOL_NSTATES; i++) {
			if (i == SPOOL_TMP)
				continue;
			if (fstatat(sp->dir[i], id, &st, AT_SYMLINK_NOFOLLOW) == 0)
				return i;
			if (errno != ENOENT)
				return -1;
		}
	errno = ENOENT;
	return -1;
}

/*
 * An operator's action on one job; *fromp tells the state it was in (-1:
 * none).  EINVAL: not legal from that state; ENOENT: no such job;
 * EALREADY: another operator moved it first, or it left want (*fromp:
 * where it is now).  The look at want and the move are not one step, but
 * the move is a rename out of want's directory: it fails if the job left.
 * The event is recorded, synced, before the move: a crash in between, or a
 * race lost, leaves a line for a move that did not happen, which readers
 * allow for (meta.c), never a move without its line.  Requeue needs it
 * there anyway: it resets the attempts, and a consumer may claim the job
 * the moment it is back in new/.
 */
int
spool_job_act(struct spool *sp, const char *id, enum spool_action a,
    int want, const char *by, const char *note, int *fromp)
{
	char esc[512];
	int from = -1, tries;

	*fromp = -1;
	for (tries = 0; tries < 8; tries++) {
		from = *fromp = spool_job_find(sp, id);
		/* Listed in want, gone from it since (another operator, or a
		 * consumer after another's requeue): not what was asked. */
		if (want >= 0 && from != want) {
			errno = EALREADY;
			return -1;
		}
		if (from < 0)
			return -1;
		if (spool_action_target(a, from) < 0) {
			errno = EINVAL;
			return -1;
		}
		if (a != SPOOL_PURGE && spool_meta_append(sp, id,
		    spool_action_name(a), "by=%s from=%s%s%s", by,
		    spool_state_name(from), note ? " note=" : "",
		    note ? spool_escape(note, esc, sizeof(esc)) : "") < 0)
			return -1;
		if (spool_job_move(sp, id, from, a) == 0)
			break;
		if (errno != ENOENT)
			return -1;
		/* Out of done/, dead/ and hold/ only an operator moves a job:
		 * another one acted first.  Acting again wherever it went
		 * since would do twice what was asked once (requeue a job
		 * that is done by now: it would run twice). */
		if (from == SPOOL_DONE || from == SPOOL_DEAD || from == SPOOL_HELD) {
			*fromp = spool_job_find(sp, id);
			errno = EALREADY;
			return -1;
		}
		/* Moved meanwhile by a daemon (woken, claimed): look again. */
	}
	if (tries == 8) {
		errno = EAGAIN;
		return -1;
	}
	return 0;
}
