/*
 * handler.h - what runs a job for spoold (handler.c): an --exec child per
 * job, a long-lived --worker per slot, or the --stamp line in process.
 */
#ifndef SPOOL_HANDLER_H
#define SPOOL_HANDLER_H

#include <stdint.h>
#include <sys/types.h>

#include "spool.h"

#define HANDLER_TAIL 2048	/* bytes of stderr kept for the dead reason */

/* How a run ended, whatever ran it. */
enum outcome { OUT_DONE, OUT_RETRY, OUT_DEAD };

/* One slot of -j N. */
struct handler {
	struct spool_job job;
	int busy;		/* a job is in the slot */
	pid_t pid;		/* the exec child or the worker, 0 if none */
	int err;		/* read end of its stderr, or -1 */
	char tail[HANDLER_TAIL];
	size_t tlen;
	int64_t deadline;	/* timeout: SIGTERM then (mono ms, 0 = none) */
	int64_t kill_at;	/* SIGKILL after the grace (0 = not yet) */
	int timed_out;
	int lost;		/* taken from us: kill, then forget */
	int stopping;		/* killed for shutdown: return to the queue */
	/* --worker only */
	int win, wout;		/* its stdin (paths), its stdout (replies) */
	char reply[1024];	/* what it wrote, up to a newline */
	size_t rlen;
	char why[1024];		/* the reason of its last reply */
	int64_t started;	/* mono ms: when the worker started */
	int64_t restart_at;	/* mono ms: a dead worker may start again */
	int64_t backoff;	/* ms, doubles while it keeps dying */
};

void handler_init(struct handler *h);
/* Start `sh -c 'CMD "$@"' sh PATH` for h->job; 0 or -1 with errno. */
int handler_exec(struct handler *h, struct spool *sp, const char *cmd);
/* Start `sh -c CMD` as the slot's worker: paths on its stdin, one reply
 * line per job on its stdout. */
int handler_worker(struct handler *h, struct spool *sp, const char *cmd);
/* Hand h->job to the worker. */
int handler_worker_send(struct handler *h, struct spool *sp);
/* Read the worker's reply: 1 a whole line (outcome and reason filled),
 * 0 not yet, -1 the worker closed its stdout or wrote nonsense. */
int handler_worker_reply(struct handler *h, enum outcome *out,
    const char **reason);
/* The worker's pipes are closed; it is reaped separately. */
void handler_worker_close(struct handler *h);
/* Append "processed TIME by HOST:PID" to the job; 0 or -1 with errno. */
int handler_stamp(struct handler *h, struct spool *sp, struct spool_consumer *c);
/* Read what the child wrote to stderr; at EOF close the pipe. */
void handler_read_stderr(struct handler *h);
/* Signal the handler and its process group. */
void handler_kill(struct handler *h, int sig);
/* Describe a wait status: "exit 3", "signal 9". */
char *handler_status(int wstatus, char *buf, size_t size);
/* The stderr tail as one string, for a reason. */
const char *handler_tail(struct handler *h);

#endif
