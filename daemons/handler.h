/*
 * handler.h - running one job's handler for spoold (handler.c): the
 * --exec child with its environment and stderr tail, or the --stamp line.
 */
#ifndef SPOOL_HANDLER_H
#define SPOOL_HANDLER_H

#include <stdint.h>
#include <sys/types.h>

#include "spool.h"

#define HANDLER_TAIL 2048	/* bytes of stderr kept for the dead reason */

struct handler {
	struct spool_job job;
	pid_t pid;		/* 0: slot free */
	int err;		/* read end of the child's stderr, or -1 */
	char tail[HANDLER_TAIL];
	size_t tlen;
	int64_t deadline;	/* timeout: SIGTERM then (mono ms, 0 = none) */
	int64_t kill_at;	/* SIGKILL after the grace (0 = not yet) */
	int timed_out;
	int lost;		/* taken from us: kill, then forget */
	int stopping;		/* killed for shutdown: return to the queue */
};

/* Start `sh -c 'CMD "$@"' sh PATH` for h->job; 0 or -1 with errno. */
int handler_exec(struct handler *h, struct spool *sp, const char *cmd);
/* Append "processed TIME by HOST:PID" to the job; 0 or -1 with errno. */
int handler_stamp(struct handler *h, struct spool *sp);
/* Read what the child wrote to stderr; at EOF close the pipe. */
void handler_read_stderr(struct handler *h);
/* Signal the handler and its process group. */
void handler_kill(struct handler *h, int sig);
/* Describe a wait status: "exit 3", "signal 9". */
char *handler_status(int wstatus, char *buf, size_t size);
/* The stderr tail as one string, for a reason. */
const char *handler_tail(struct handler *h);

#endif
