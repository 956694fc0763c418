/*
 * runner.c - spoold's slots: what runs each claimed job, and its end.
 *
 * A slot holds at most one job.  --stamp runs in process and ends at once;
 * --exec forks a child per job, whose exit status decides; --worker keeps
 * one process per slot that answers a line per job, and is started again,
 * with a backoff, when it dies (the job it had is retried).  Every end goes
 * through conclude(), the one place that maps a run's end to the job's
 * next state: done, retry (counted), dead, returned, or forgotten (taken
 * from us by a cancel).
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "reaper.h"
#include "runner.h"

#define WORKER_STEADY 10000	/* ms up after which a worker's backoff resets */
#define WORKER_BACKOFF 30000	/* cap of the restart delay of a worker, ms */

int
runner_grow(struct runner *r)
{
	int n = r->cf->consumer.concurrency, i;
	struct handler *h;

	if (n <= r->nh)
		return 0;
	if ((h = realloc(r->h, (size_t)n * sizeof(*h))) == NULL)
		return -1;
	for (i = r->nh; i < n; i++)
		handler_init(&h[i]);
	r->h = h;
	r->nh = n;
	return 0;
}

int
runner_busy(const struct runner *r)
{
	int i, n = 0;

	for (i = 0; i < r->nh; i++)
		n += r->h[i].busy;
	return n;
}

static void
log_end(const char *event, const struct spool_job *job, const char *status,
    const char *reason)
{
	cli_log(event, "id=%s attempt=%d status=%s error=%s", cli_esc(job->id),
	    job->attempt, cli_esc(status), cli_esc(reason));
}

/* The end of a run decides the job's fate (contract: Job lifecycle). */
static void pause_claims(struct runner *r, int64_t now, const char *op);

static void
conclude(struct runner *r, struct handler *h, enum outcome out,
    const char *status, const char *reason)
{
	struct spool_job *job = &h->job;
	int rc = 0;

	if (h->lost) {
		spool_job_forget(r->c, job);
		log_end("lost", job, status, "taken from us (cancelled?)");
	} else if (h->stopping) {
		if ((rc = spool_job_return(r->c, job, "spoold stopped")) >= 0)
			log_end("return", job, status, "spoold stopped");
	} else if (h->timed_out) {
		if ((rc = spool_job_retry(r->c, job, "timeout", reason)) >= 0)
			log_end(rc == 1 ? "dead" : "timeout", job, "timeout",
			    reason);
	} else if (out == OUT_DONE) {
		if ((rc = spool_job_complete(r->c, job)) >= 0)
			cli_log("done", "id=%s attempt=%d", cli_esc(job->id),
			    job->attempt);
	} else if (out == OUT_DEAD) {
		if ((rc = spool_job_bury(r->c, job, status, reason)) >= 0)
			log_end("dead", job, status, reason);
	} else {
		if ((rc = spool_job_retry(r->c, job, status, reason)) >= 0)
			log_end(rc == 1 ? "dead" : "retry", job, status, reason);
	}
	/* ENOENT: the job left cur/ behind our back, or is another
	 * consumer's now (our lease expired while we were stopped). */
	if (rc < 0 && errno == ENOENT)
		log_end("lost", job, status, "taken from us (lease expired, "
		    "or cancelled)");
	else if (rc < 0) {
		cli_log("error", "id=%s error=%s", cli_esc(job->id),
		    cli_esc(strerror(errno)));
		/* The spool cannot take the job's end (a full disk): the job
		 * is back in the queue, and claiming it again at once would
		 * spin.  Back off. */
		pause_claims(r, spool_mono(), "finish");
	}
	h->busy = h->timed_out = h->lost = h->stopping = 0;
	h->deadline = h->kill_at = 0;
}

/* An --exec child ended: 0 done; 65 or 100 dead; anything else retry. */
static void
exec_ended(struct runner *r, struct handler *h, int ws)
{
	char st[32];
	int code = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;

	handler_read_stderr(h);
	if (h->err >= 0) {
		close(h->err);	/* a grandchild may hold it: stop reading */
		h->err = -1;
	}
	reaper_del(h->pid);
	h->pid = 0;
	handler_status(ws, st, sizeof(st));
	conclude(r, h, code == 0 ? OUT_DONE : code == 65 || code == 100 ?
	    OUT_DEAD : OUT_RETRY, st, handler_tail(h));
}

/* A worker died: its job (if any) is retried, and it starts again later. */
static void
worker_died(struct runner *r, struct handler *h, int ws)
{
	char st[32], why[64];
	int64_t now = spool_mono();

	handler_read_stderr(h);
	handler_worker_close(h);
	reaper_del(h->pid);
	h->pid = 0;
	if (now - h->started > WORKER_STEADY)
		h->backoff = 0;
	h->backoff = h->backoff ? h->backoff * 2 : 100;
	if (h->backoff > WORKER_BACKOFF)
		h->backoff = WORKER_BACKOFF;
	h->restart_at = now + h->backoff;
	handler_status(ws, st, sizeof(st));
	cli_log("worker", "state=died status=%s restart_in=%lldms", st,
	    (long long)h->backoff);
	snprintf(why, sizeof(why), "worker died: %s", st);
	if (h->busy)
		conclude(r, h, OUT_RETRY, why, handler_tail(h));
}

static void
worker_replied(struct runner *r, struct handler *h)
{
	enum outcome out;
	const char *reason;
	int rc;

	while ((rc = handler_worker_reply(h, &out, &reason)) > 0) {
		if (!h->busy)
			continue;	/* a reply nobody asked for */
		conclude(r, h, out, out == OUT_DONE ? "ok" : out == OUT_DEAD ?
		    "fail" : "retry", reason);
	}
	if (rc < 0) {
		/* EOF or nonsense: the worker is done for; its death (reaped
		 * later) retries the job. */
		if (h->wout >= 0) {
			cli_log("worker", "state=broken pid=%ld", (long)h->pid);
			close(h->wout);
			h->wout = -1;
		}
		handler_kill(h, SIGKILL);
	}
}

/* SIGTERM now, SIGKILL when the grace is over. */
static void
terminate(struct runner *r, struct handler *h, int64_t now)
{
	if (h->kill_at)
		return;
	handler_kill(h, SIGTERM);
	h->kill_at = now + r->cf->consumer.grace;
}

/* 0 started (or done), -1 nothing could run: the job is back in new/. */
static int
start(struct runner *r, struct handler *h, int64_t now)
{
	const struct spool_config *cf = r->cf;
	char why[256];

	h->busy = 1;
	cli_log("claim", "id=%s attempt=%d", cli_esc(h->job.id), h->job.attempt);
	if (cf->consumer.stamp) {
		if (handler_stamp(h, r->sp, r->c) == 0)
			conclude(r, h, OUT_DONE, "ok", "");
		else {
			snprintf(why, sizeof(why), "cannot stamp: %s",
			    strerror(errno));
			conclude(r, h, OUT_RETRY, "stamp", why);
		}
		return 0;
	}
	if (cf->consumer.worker && h->pid <= 0) {
		if (handler_worker(h, r->sp, cf->consumer.worker) == 0) {
			h->started = now;
			cli_log("worker", "state=started pid=%ld", (long)h->pid);
		}
	}
	if (cf->consumer.worker ? h->pid <= 0 || handler_worker_send(h, r->sp) < 0 :
	    handler_exec(h, r->sp, cf->consumer.exec) < 0) {
		/* Nothing ran: back to the queue, not counted as a run. */
		int e = errno;
		if (!cf->consumer.worker && (e == EACCES || e == EPERM ||
		    e == EINVAL || e == ELOOP || e == ENXIO || e == EISDIR)) {
			/* Unless the job itself cannot be opened (another
			 * user's mode 0600 file, a FIFO swapped in): waiting
			 * will not mend it, and returned at once it would
			 * stall the queue behind it.  Dead, with why; an
			 * operator requeues it once it is readable. */
			snprintf(why, sizeof(why), "cannot open the job: %s",
			    strerror(e));
			conclude(r, h, OUT_DEAD, "unreadable", why);
			return 0;
		}
		snprintf(why, sizeof(why), "cannot start the handler: %s",
		    strerror(e));
		if (spool_job_return(r->c, &h->job, why) < 0)
			cli_log("error", "id=%s error=%s", cli_esc(h->job.id),
			    cli_esc(strerror(errno)));
		h->busy = 0;
		errno = e;
		return -1;
	}
	h->deadline = cf->consumer.timeout > 0 ? now + cf->consumer.timeout : 0;
	return 0;
}

static struct handler *
free_slot(struct runner *r, int64_t now)
{
	int i;

	if (runner_busy(r) >= r->cf->consumer.concurrency)
		return NULL;
	for (i = 0; i < r->nh; i++) {
		struct handler *h = &r->h[i];
		if (!h->busy && (!r->cf->consumer.worker || h->pid > 0 ||
		    now >= h->restart_at))
			return h;
	}
	return NULL;
}

/* After an error (a full disk, a fork that fails) claiming pauses, 100ms
 * doubling to 30s, so that a sick system is not hammered; it resumes at the
 * first job started. */
static void
pause_claims(struct runner *r, int64_t now, const char *op)
{
	r->pause = r->pause ? r->pause * 2 : 100;
	if (r->pause > 30000)
		r->pause = 30000;
	r->pause_until = now + r->pause;
	cli_log("error", "op=%s error=%s pause=%lldms", op,
	    cli_esc(strerror(errno)), (long long)r->pause);
}

/* Claim while there is room; a stamp finishes at once and makes room. */
static void
claim(struct runner *r, int64_t now)
{
	struct handler *h;
	int rc;

	if (now < r->pause_until)
		return;
	while ((h = free_slot(r, now)) != NULL) {
		if ((rc = spool_consumer_claim(r->c, &h->job)) <= 0) {
			if (rc < 0)
				pause_claims(r, now, "claim");
			return;
		}
		if (start(r, h, now) < 0) {
			pause_claims(r, now, "start");
			return;
		}
		if (now < r->pause_until)
			return;		/* its end failed to be recorded */
		r->pause = 0;
	}
}

void
runner_turn(struct runner *r, int64_t now)
{
	char id[SPOOL_ID_MAX + 1];
	struct handler *h;
	int i;

	while (spool_consumer_lost(r->c, id))
		for (i = 0; i < r->nh; i++)
			if (r->h[i].busy && strcmp(r->h[i].job.id, id) == 0) {
				r->h[i].lost = 1;
				terminate(r, &r->h[i], now);
			}
	for (i = 0; i < r->nh; i++) {
		h = &r->h[i];
		if (!h->busy)
			continue;
		if (h->deadline && now >= h->deadline && !h->timed_out) {
			h->timed_out = 1;
			terminate(r, h, now);
		}
		if (r->stopping && now >= r->stop_at && !h->stopping) {
			h->stopping = 1;
			terminate(r, h, now);
		}
		if (h->kill_at && now >= h->kill_at)
			handler_kill(h, SIGKILL);
	}
	if (!r->stopping)
		claim(r, now);
}

void
runner_stop(struct runner *r, int64_t now)
{
	r->stopping = 1;
	r->stop_at = now + r->cf->consumer.grace;
}

void
runner_reap(struct runner *r)
{
	pid_t pid;
	int ws, i;

	while ((pid = waitpid(-1, &ws, WNOHANG)) > 0)
		for (i = 0; i < r->nh; i++) {
			if (r->h[i].pid != pid)
				continue;
			if (r->cf->consumer.worker || r->h[i].win >= 0)
				worker_died(r, &r->h[i], ws);
			else
				exec_ended(r, &r->h[i], ws);
		}
}

int
runner_pollfds(struct runner *r, struct pollfd *pfd, int max)
{
	int i, n = 0;

	for (i = 0; i < r->nh && n + 2 <= max; i++) {
		if (r->h[i].err >= 0)
			pfd[n++] = (struct pollfd){ .fd = r->h[i].err,
			    .events = POLLIN };
		if (r->h[i].wout >= 0)
			pfd[n++] = (struct pollfd){ .fd = r->h[i].wout,
			    .events = POLLIN };
	}
	return n;
}

void
runner_input(struct runner *r)
{
	int i;

	for (i = 0; i < r->nh; i++) {
		if (r->h[i].err >= 0)
			handler_read_stderr(&r->h[i]);
		if (r->h[i].wout >= 0)
			worker_replied(r, &r->h[i]);
	}
}

int64_t
runner_next(const struct runner *r, int64_t now, int64_t next)
{
	int i;

	for (i = 0; i < r->nh; i++) {
		const struct handler *h = &r->h[i];
		if (h->busy && h->deadline && !h->timed_out &&
		    h->deadline - now < next)
			next = h->deadline - now;
		if (h->busy && h->kill_at && h->kill_at - now < next)
			next = h->kill_at - now;
		if (!h->busy && h->pid <= 0 && h->restart_at > now &&
		    h->restart_at - now < next)
			next = h->restart_at - now;
	}
	if (r->stopping && r->stop_at - now < next)
		next = r->stop_at - now;
	if (r->pause_until > now && r->pause_until - now < next)
		next = r->pause_until - now;
	return next < 0 ? 0 : next;
}

/* Idle workers: end of input, SIGTERM, and SIGKILL after a second. */
void
runner_close(struct runner *r)
{
	int64_t until = spool_mono() + 1000;
	int i, left;

	for (i = 0; i < r->nh; i++)
		if (r->h[i].pid > 0) {
			handler_worker_close(&r->h[i]);
			handler_kill(&r->h[i], SIGTERM);
		}
	do {
		for (i = 0, left = 0; i < r->nh; i++) {
			if (r->h[i].pid <= 0)
				continue;
			if (waitpid(r->h[i].pid, NULL, WNOHANG) == r->h[i].pid)
				r->h[i].pid = 0;
			else
				left++;
		}
		if (left)
			usleep(10000);
	} while (left && spool_mono() < until);
	for (i = 0; i < r->nh; i++)
		if (r->h[i].pid > 0) {
			handler_kill(&r->h[i], SIGKILL);
			waitpid(r->h[i].pid, NULL, 0);
		}
	free(r->h);
	r->h = NULL;
	r->nh = 0;
}
