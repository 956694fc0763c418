/*
 * runner.h - spoold's slots (runner.c): claiming into them, running what
 * the configuration says (--stamp, --exec, --worker), timeouts, cancels,
 * and turning every end of a run into the job's next state.
 */
#ifndef SPOOL_RUNNER_H
#define SPOOL_RUNNER_H

#include <poll.h>

#include "config.h"
#include "handler.h"

struct runner {
	struct spool *sp;
	struct spool_consumer *c;
	const struct spool_config *cf;
	struct handler *h;	/* cf->consumer.concurrency slots, or more */
	int nh;
	int stopping;
	int64_t stop_at;	/* mono ms: the grace ends */
	int64_t pause, pause_until;	/* claiming backs off after errors */
};

/* Make room for cf->consumer.concurrency slots; -1 on ENOMEM. */
int runner_grow(struct runner *r);
/* Jobs in slots. */
int runner_busy(const struct runner *r);
/* One turn: lost jobs, timeouts, the end of the grace, then claims. */
void runner_turn(struct runner *r, int64_t now);
/* Stop claiming; running jobs get the grace. */
void runner_stop(struct runner *r, int64_t now);
/* A child exited (after SIGCHLD). */
void runner_reap(struct runner *r);
/* Descriptors to poll (stderr, worker replies), and what they said. */
int runner_pollfds(struct runner *r, struct pollfd *pfd, int max);
void runner_input(struct runner *r);
/* ms until the next deadline of a slot, at most next. */
int64_t runner_next(const struct runner *r, int64_t now, int64_t next);
/* Stop idle workers and wait for them (at exit). */
void runner_close(struct runner *r);

#endif
