/*
 * supervise_apply.c - what spoolsupervise runs, and when: starting and
 * stopping children, restarting them, and making them match the
 * configuration at start and on SIGHUP once the file is read again.
 *
 * When a consumer dies, super_recover() returns the jobs of dead leases;
 * a job claimed in that very instant is judged RECOVER_AGAIN ms later.
 * A child that dies is started again after child_backoff()'s delay, except
 * a producer that exited 0 (its jobs are submitted: it is done) and a child
 * being stopped.  Stopping is SIGTERM, then SIGKILL after a grace: 5 s for
 * a producer, 2 x consumer.grace + 5 s for a consumer, which itself gives
 * its handlers consumer.grace, then SIGTERM and consumer.grace again, and
 * returns their jobs.
 *
 * Consumers are consumer.1 to consumer.N: growing starts the missing ones,
 * shrinking stops the highest, and a consumer stopped so returns its jobs
 * before it exits.  The others get the SIGHUP, so that they read the
 * consumer settings again (a spoold younger than HUP_AFTER gets it later:
 * it may not handle the signal yet, and would die of it).  Producers are
 * matched by their arguments: one whose entry is still in the file keeps
 * running (or stays done), one whose entry went is stopped (it commits what
 * it has), a new entry starts producer.N, N never reused.  A bad file is
 * logged and changes nothing.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "cli.h"
#include "supervise.h"

#define PRODUCER_GRACE	5000	/* SIGTERM to SIGKILL for a producer, ms */
#define CONSUMER_MARGIN	5000	/* added to 2 x consumer.grace, ms */

void
super_recover(const char *why)
{
	struct spool_recovery r;
	int64_t now = spool_mono();

	if (spool_recover(s.sp, -1, &r) < 0) {
		cli_log("error", "op=recover error=%s", cli_esc(strerror(errno)));
		s.recover_at = now + 100;
		return;
	}
	if (r.jobs || r.leases || r.expired)
		cli_log("recover", "why=%s jobs=%d leases=%d expired=%d busy=%d",
		    why, r.jobs, r.leases, r.expired, r.busy);
	/* A job claimed this very instant is judged on the next pass. */
	s.recover_at = r.busy ? now + RECOVER_AGAIN : 0;
}

void
super_start(struct child *c)
{
	if (child_spawn(c, &s.launch) < 0) {
		cli_log("error", "op=start name=%s error=%s", c->name,
		    cli_esc(strerror(errno)));
		c->restart_at = spool_mono() + child_backoff(c, spool_mono(),
		    s.cf.supervise.restart_min, s.cf.supervise.restart_max);
		return;
	}
	cli_log("spawn", "name=%s pid=%ld restarts=%d", c->name, (long)c->pid,
	    c->restarts);
	s.dirty = 1;
}

/* Stop a child for good: SIGTERM now, SIGKILL after its grace. */
void
super_retire(struct child *c)
{
	int64_t grace = c->kind == CHILD_PRODUCER ? PRODUCER_GRACE :
	    2 * s.cf.consumer.grace + CONSUMER_MARGIN;

	c->retire = 1;
	c->restart_at = c->hup_at = 0;
	if (c->pid > 0 && c->kill_at == 0) {
		child_signal(c, SIGTERM);
		c->kill_at = spool_mono() + grace;
	}
}

void
super_exited(struct child *c, int ws, int64_t now)
{
	char st[32];
	int64_t up = now - c->started_mono, delay;

	child_relay(c);		/* what it printed before it died */
	c->pid = 0;
	c->status = ws;
	c->kill_at = c->hup_at = 0;
	s.dirty = 1;
	child_status(ws, st, sizeof(st));
	if (c->retire || s.stopping) {
		cli_log("exit", "name=%s status=%s uptime=%lldms", c->name, st,
		    (long long)up);
		return;
	}
	if (c->kind == CHILD_PRODUCER && WIFEXITED(ws) && WEXITSTATUS(ws) == 0) {
		c->done = 1;
		cli_log("done", "name=%s uptime=%lldms", c->name, (long long)up);
		return;
	}
	delay = child_backoff(c, now, s.cf.supervise.restart_min,
	    s.cf.supervise.restart_max);
	c->restart_at = now + delay;
	cli_log("exit", "name=%s status=%s uptime=%lldms restarts=%d fails=%d "
	    "restart_in=%lldms", c->name, st, (long long)up, c->restarts,
	    c->fails, (long long)delay);
}

static void
add(struct child *c)
{
	struct child **v;

	/* An array of pointers: sizeof(*v) is meant. */
	/* NOLINTNEXTLINE(bugprone-sizeof-expression) */
	if (c == NULL || (v = realloc(s.v, (size_t)(s.n + 1) * sizeof(*v))) ==
	    NULL) {
		child_free(c);
		cli_log("error", "op=apply error=%s", cli_esc("out of memory"));
		return;
	}
	s.v = v;
	s.v[s.n++] = c;
	s.dirty = 1;
	super_start(c);
}

static int
has_consumer(int index)
{
	int i;

	for (i = 0; i < s.n; i++)
		if (s.v[i]->kind == CHILD_CONSUMER && !s.v[i]->retire &&
		    s.v[i]->index == index)
			return 1;
	return 0;
}

static void
apply_consumers(void)
{
	int want = s.cf.supervise.consumers, i;

	for (i = 0; i < s.n; i++)
		if (s.v[i]->kind == CHILD_CONSUMER && !s.v[i]->retire &&
		    s.v[i]->index > want) {
			cli_log("retire", "name=%s pid=%ld", s.v[i]->name,
			    (long)s.v[i]->pid);
			super_retire(s.v[i]);
		}
	for (i = 1; i <= want; i++)
		if (!has_consumer(i))
			add(child_new(CHILD_CONSUMER, i, NULL));
}

static int
same_argv(const struct child *c, const struct spool_producer *p)
{
	int i;

	if (c->argc != p->argc)
		return 0;
	for (i = 0; i < c->argc; i++)
		if (strcmp(c->argv[i], p->argv[i]) != 0)
			return 0;
	return 1;
}

static void
apply_producers(void)
{
	int np = s.cf.supervise.nproducers, i, j;
	char *used = calloc((size_t)np + 1, 1);

	if (used == NULL) {
		cli_log("error", "op=apply error=%s", cli_esc("out of memory"));
		return;
	}
	for (i = 0; i < s.n; i++) {
		struct child *c = s.v[i];
		if (c->kind != CHILD_PRODUCER || c->retire)
			continue;
		for (j = 0; j < np; j++)
			if (!used[j] && same_argv(c, &s.cf.supervise.producers[j]))
				break;
		if (j < np)
			used[j] = 1;
		else {
			cli_log("retire", "name=%s pid=%ld", c->name,
			    (long)c->pid);
			super_retire(c);
		}
	}
	for (j = 0; j < np; j++)
		if (!used[j])
			add(child_new(CHILD_PRODUCER, ++s.next_producer,
			    s.cf.supervise.producers[j].argv));
	free(used);
}

void
super_apply(void)
{
	apply_consumers();
	apply_producers();
}

static int
same_str(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

void
super_reload(void)
{
	struct spool_config_error err;
	struct spool_config cf;
	int64_t now = spool_mono();
	int i;

	spool_config_defaults(&cf);
	if (spool_config_load(&cf, s.conf, &err) < 0) {
		char msg[600];
		snprintf(msg, sizeof(msg), "%s:%lu:%lu: %s", s.conf, err.line,
		    err.column, err.msg);
		cli_log("error", "op=reload error=%s", cli_esc(msg));
		spool_config_free(&cf);
		return;
	}
	/* Our lock and our recoveries are on the spool we opened. */
	if (s.dir == NULL && !same_str(cf.spool, s.cf.spool)) {
		cli_log("error", "op=reload error=%s", cli_esc("the spool cannot "
		    "change while running: restart spoolsupervise"));
		free(cf.spool);
		cf.spool = s.cf.spool ? strdup(s.cf.spool) : NULL;
	}
	spool_config_free(&s.cf);
	s.cf = cf;
	for (i = 0; i < s.n; i++) {
		struct child *c = s.v[i];
		if (c->kind != CHILD_CONSUMER || c->retire || c->pid <= 0)
			continue;
		c->hup_at = c->started_mono + HUP_AFTER > now ?
		    c->started_mono + HUP_AFTER : now;
	}
	super_apply();
	cli_log("reload", "consumers=%d producers=%d", s.cf.supervise.consumers,
	    s.cf.supervise.nproducers);
}
