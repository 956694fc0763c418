/*
 * spoold - the consumer daemon.
 *
 * One event loop: poll(2) on the spool's inotify descriptor, a signalfd
 * (SIGCHLD, SIGTERM, SIGINT, SIGHUP) and the handlers' stderr pipes.  Each
 * turn does what the consumer says is due, claims while fewer than -j jobs
 * run, and ends with one group commit, so that the state changes of a turn
 * share their directory fsyncs.  SIGTERM stops claiming, gives running
 * handlers the grace time, returns what is unfinished and exits 0; SIGHUP
 * reads the configuration again.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "handler.h"

static const char usage[] =
    "spoold [-n] [-c FILE] [-d DIR] [--exec 'COMMAND' | --stamp] [-j N]\n"
    "              [--max-attempts N] [--backoff MIN,MAX] [--timeout DUR]\n"
    "              [--grace DUR] [--lease-ttl DUR] [--no-sync] [--drain]";

static struct {
	const char *conf;		/* -c FILE */
	struct spool_config flags;	/* what the command line set */
	struct spool_config cf;		/* in effect: file, then flags */
	struct spool *sp;
	struct spool_consumer *c;
	struct handler *h;		/* cf.consumer.concurrency slots */
	int nh;
	int sigfd;
	int stopping;
	int64_t stop_at;		/* mono ms: grace ends */
	int drain;			/* --drain: exit once idle */
} d;

static void
load_config(void)
{
	struct spool_config cf;

	spool_config_defaults(&cf);
	if (d.conf)
		cli_config_load(&cf, d.conf);
	spool_config_merge(&cf, &d.flags);
	if (cf.consumer.stamp && cf.consumer.exec)
		cli_die(EX_USAGE, "--stamp and --exec are exclusive");
	spool_config_free(&d.cf);
	d.cf = cf;
}

static void
consumer_opts(struct spool_consumer_opts *o)
{
	spool_consumer_defaults(o);
	o->max_attempts = d.cf.consumer.max_attempts;
	o->backoff_min = d.cf.consumer.backoff_min;
	o->backoff_max = d.cf.consumer.backoff_max;
	o->lease_ttl = d.cf.consumer.lease_ttl;
	o->scan = d.cf.consumer.scan;
}

static void
grow_slots(void)
{
	int n = d.cf.consumer.concurrency, i;
	struct handler *h;

	if (n <= d.nh)
		return;
	if ((h = realloc(d.h, (size_t)n * sizeof(*h))) == NULL)
		cli_die_errno("unable to allocate %d handler slots", n);
	for (i = d.nh; i < n; i++) {
		memset(&h[i], 0, sizeof(h[i]));
		h[i].err = -1;
		h[i].job.fd = -1;
	}
	d.h = h;
	d.nh = n;
}

static const char *
esc(const char *s)
{
	static char buf[4][1024];
	static int i;

	i = (i + 1) % 4;
	return spool_escape(s, buf[i], sizeof(buf[i]));
}

/* The handler's end decides the job's fate (contract: Job lifecycle). */
static void
finish(struct handler *h, int ws)
{
	struct spool_job *job = &h->job;
	char st[32];
	int rc, code;

	handler_read_stderr(h);
	if (h->err >= 0) {
		close(h->err);
		h->err = -1;
	}
	handler_status(ws, st, sizeof(st));
	code = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
	if (h->lost) {
		spool_job_forget(d.c, job);
		cli_log("lost", "id=%s status=%s", esc(job->id), esc(st));
		rc = 0;
	} else if (h->stopping) {
		rc = spool_job_return(d.c, job, "spoold stopped");
		cli_log("return", "id=%s status=%s", esc(job->id), esc(st));
	} else if (h->timed_out) {
		rc = spool_job_retry(d.c, job, "timeout", handler_tail(h));
		cli_log("timeout", "id=%s attempt=%d", esc(job->id), job->attempt);
	} else if (code == 0) {
		rc = spool_job_complete(d.c, job);
		cli_log("done", "id=%s attempt=%d", esc(job->id), job->attempt);
	} else if (code == 65 || code == 100) {
		rc = spool_job_bury(d.c, job, st, handler_tail(h));
		cli_log("dead", "id=%s status=%s error=%s", esc(job->id),
		    esc(st), esc(handler_tail(h)));
	} else {
		rc = spool_job_retry(d.c, job, st, handler_tail(h));
		cli_log("retry", "id=%s attempt=%d status=%s error=%s",
		    esc(job->id), job->attempt, esc(st), esc(handler_tail(h)));
	}
	if (rc < 0)
		cli_log("error", "id=%s error=%s", esc(job->id),
		    esc(strerror(errno)));
	h->pid = 0;
	h->timed_out = h->lost = h->stopping = 0;
	h->deadline = h->kill_at = 0;
}

static void
start(struct handler *h)
{
	cli_log("claim", "id=%s attempt=%d", esc(h->job.id), h->job.attempt);
	if (d.cf.consumer.stamp) {
		if (handler_stamp(h, d.sp) == 0)
			finish(h, 0);
		else {
			char why[256];
			snprintf(why, sizeof(why), "cannot stamp: %s",
			    strerror(errno));
			spool_job_retry(d.c, &h->job, "stamp", why);
			cli_log("retry", "id=%s error=%s", esc(h->job.id), esc(why));
		}
		return;
	}
	if (handler_exec(h, d.sp, d.cf.consumer.exec) < 0) {
		char why[256];
		snprintf(why, sizeof(why), "cannot start handler: %s",
		    strerror(errno));
		spool_job_return(d.c, &h->job, why);
		cli_log("error", "id=%s error=%s", esc(h->job.id), esc(why));
		return;
	}
	h->deadline = d.cf.consumer.timeout > 0 ?
	    spool_mono() + d.cf.consumer.timeout : 0;
}

static int
running(void)
{
	int i, n = 0;

	for (i = 0; i < d.nh; i++)
		n += d.h[i].pid > 0;
	return n;
}

static struct handler *
free_slot(void)
{
	int i;

	if (running() >= d.cf.consumer.concurrency)
		return NULL;
	for (i = 0; i < d.nh; i++)
		if (d.h[i].pid <= 0)
			return &d.h[i];
	return NULL;
}

/* Claim while there is room; a stamp finishes at once and makes room. */
static void
claim_jobs(void)
{
	struct handler *h;
	int rc;

	while ((h = free_slot()) != NULL) {
		if ((rc = spool_consumer_claim(d.c, &h->job)) <= 0) {
			if (rc < 0)
				cli_log("error", "op=claim error=%s",
				    esc(strerror(errno)));
			return;
		}
		start(h);
	}
}

static struct handler *
find_pid(pid_t pid)
{
	int i;

	for (i = 0; i < d.nh; i++)
		if (d.h[i].pid == pid)
			return &d.h[i];
	return NULL;
}

static struct handler *
find_job(const char *id)
{
	int i;

	for (i = 0; i < d.nh; i++)
		if (d.h[i].pid > 0 && strcmp(d.h[i].job.id, id) == 0)
			return &d.h[i];
	return NULL;
}

static void
reap(void)
{
	struct handler *h;
	pid_t pid;
	int ws;

	while ((pid = waitpid(-1, &ws, WNOHANG)) > 0)
		if ((h = find_pid(pid)) != NULL)
			finish(h, ws);
}

/* SIGTERM now, SIGKILL when the grace is over. */
static void
terminate(struct handler *h, int64_t now)
{
	if (h->kill_at)
		return;
	handler_kill(h, SIGTERM);
	h->kill_at = now + d.cf.consumer.grace;
}

static void
check_handlers(int64_t now)
{
	char id[SPOOL_ID_MAX + 1];
	struct handler *h;
	int i;

	while (spool_consumer_lost(d.c, id))
		if ((h = find_job(id)) != NULL) {
			h->lost = 1;
			terminate(h, now);
		}
	for (i = 0; i < d.nh; i++) {
		h = &d.h[i];
		if (h->pid <= 0)
			continue;
		if (h->deadline && now >= h->deadline && !h->timed_out) {
			h->timed_out = 1;
			terminate(h, now);
		}
		if (d.stopping && now >= d.stop_at && !h->stopping) {
			h->stopping = 1;
			terminate(h, now);
		}
		if (h->kill_at && now >= h->kill_at)
			handler_kill(h, SIGKILL);
	}
}

static int64_t
next_deadline(int64_t now, int64_t next)
{
	int i;

	for (i = 0; i < d.nh; i++) {
		struct handler *h = &d.h[i];
		if (h->pid <= 0)
			continue;
		if (h->deadline && !h->timed_out && h->deadline - now < next)
			next = h->deadline - now;
		if (h->kill_at && h->kill_at - now < next)
			next = h->kill_at - now;
	}
	if (d.stopping && d.stop_at - now < next)
		next = d.stop_at - now;
	return next < 0 ? 0 : next;
}

static void
on_signal(void)
{
	struct signalfd_siginfo si;
	struct spool_consumer_opts o;

	while (read(d.sigfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			reap();
			break;
		case SIGHUP:
			cli_log("reload", "config=%s", d.conf ? esc(d.conf) : "-");
			load_config();
			consumer_opts(&o);
			spool_consumer_set_opts(d.c, &o);
			grow_slots();
			break;
		default:
			if (!d.stopping) {
				cli_log("stop", "signal=%d running=%d",
				    (int)si.ssi_signo, running());
				d.stopping = 1;
				d.stop_at = spool_mono() + d.cf.consumer.grace;
			}
		}
	}
}

static int
idle(void)
{
	return running() == 0 &&
	    spool_list(d.sp, SPOOL_QUEUED, NULL, NULL) == 0 &&
	    spool_list(d.sp, SPOOL_WAITING, NULL, NULL) == 0;
}

static void
loop(void)
{
	struct pollfd *pfd = NULL;
	int64_t next, now;
	int i, n;

	for (;;) {
		spool_batch_begin(d.sp);
		next = spool_consumer_work(d.c);
		now = spool_mono();
		check_handlers(now);
		if (!d.stopping)
			claim_jobs();
		if (spool_batch_commit(d.sp) < 0)
			cli_log("error", "op=sync error=%s", esc(strerror(errno)));
		if (d.stopping && running() == 0)
			return;
		if (d.drain && idle())
			return;
		if ((pfd = realloc(pfd, (size_t)(d.nh + 2) * sizeof(*pfd))) == NULL)
			cli_die_errno("unable to allocate");
		pfd[0] = (struct pollfd){ .fd = spool_consumer_fd(d.c), .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = d.sigfd, .events = POLLIN };
		for (i = 0, n = 2; i < d.nh; i++)
			if (d.h[i].err >= 0)
				pfd[n++] = (struct pollfd){ .fd = d.h[i].err,
				    .events = POLLIN };
		next = next_deadline(now, next);
		if (poll(pfd, (nfds_t)n, next > 60000 ? 60000 : (int)next) < 0 &&
		    errno != EINTR)
			cli_die_errno("unable to poll");
		for (i = 0; i < d.nh; i++)
			if (d.h[i].err >= 0)
				handler_read_stderr(&d.h[i]);
		if (pfd[1].revents)
			on_signal();
	}
	free(pfd);
}

static void
parse_backoff(const char *opt, const char *v)
{
	char buf[64], *comma;

	snprintf(buf, sizeof(buf), "%s", v);
	if ((comma = strchr(buf, ',')) == NULL)
		cli_die(EX_USAGE, "%s: expected MIN,MAX, got \"%s\"", opt, v);
	*comma = '\0';
	d.flags.consumer.backoff_min = cli_duration(opt, buf);
	d.flags.consumer.backoff_max = cli_duration(opt, comma + 1);
	if (d.flags.consumer.backoff_min > d.flags.consumer.backoff_max)
		cli_die(EX_USAGE, "%s: MIN is above MAX", opt);
	d.flags.set |= SPOOL_CF_BACKOFF;
}

/* Options set keys of d.flags; they win over the file. */
static int
parse_args(int argc, char **argv, const char **dir)
{
	struct spool_config *f = &d.flags;
	int i, check = 0;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (cli_common(a, usage))
			exit(0);
		if (strcmp(a, "-n") == 0) {
			check = 1;
			continue;
		} else if (strcmp(a, "--stamp") == 0) {
			f->consumer.stamp = 1;
			f->set |= SPOOL_CF_STAMP;
			continue;
		} else if (strcmp(a, "--no-sync") == 0) {
			f->durable = 0;
			f->set |= SPOOL_CF_DURABLE;
			continue;
		} else if (strcmp(a, "--drain") == 0) {
			d.drain = 1;
			continue;
		}
		if (v == NULL || a[0] != '-')
			cli_usage(usage);
		i++;
		if (strcmp(a, "-c") == 0)
			d.conf = v;
		else if (strcmp(a, "-d") == 0)
			*dir = v;
		else if (strcmp(a, "--exec") == 0) {
			free(f->consumer.exec);
			f->consumer.exec = strdup(v);
			f->set |= SPOOL_CF_EXEC;
		} else if (strcmp(a, "-j") == 0) {
			f->consumer.concurrency = (int)cli_number(a, v, 1, 1024);
			f->set |= SPOOL_CF_CONCURRENCY;
		} else if (strcmp(a, "--max-attempts") == 0) {
			f->consumer.max_attempts = (int)cli_number(a, v, 1, 1000000);
			f->set |= SPOOL_CF_MAX_ATTEMPTS;
		} else if (strcmp(a, "--backoff") == 0)
			parse_backoff(a, v);
		else if (strcmp(a, "--timeout") == 0) {
			f->consumer.timeout = cli_duration(a, v);
			f->set |= SPOOL_CF_TIMEOUT;
		} else if (strcmp(a, "--grace") == 0) {
			f->consumer.grace = cli_duration(a, v);
			f->set |= SPOOL_CF_GRACE;
		} else if (strcmp(a, "--lease-ttl") == 0) {
			f->consumer.lease_ttl = cli_duration(a, v);
			f->set |= SPOOL_CF_LEASE_TTL;
		} else
			cli_usage(usage);
	}
	return check;
}

int
main(int argc, char **argv)
{
	struct spool_consumer_opts o;
	const char *dir = NULL;
	sigset_t mask;

	cli_prog = "spoold";
	spool_config_defaults(&d.flags);
	spool_config_defaults(&d.cf);
	d.flags.set = 0;
	if (parse_args(argc, argv, &dir)) {
		load_config();
		if (dir) {
			free(d.cf.spool);
			d.cf.spool = strdup(dir);
		}
		spool_config_print(&d.cf, stdout);
		return 0;
	}
	load_config();
	if (!d.cf.consumer.stamp && !d.cf.consumer.exec)
		cli_die(EX_USAGE, "nothing to run: give --exec 'COMMAND' or --stamp");

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((d.sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) < 0)
		cli_die_errno("unable to create a signalfd");

	d.sp = cli_spool_open(cli_spool_dir(dir, &d.cf),
	    d.cf.durable ? 0 : SPOOL_NOSYNC);
	consumer_opts(&o);
	if ((d.c = spool_consumer_open(d.sp, &o)) == NULL)
		cli_die_errno("unable to start consuming %s", spool_path(d.sp));
	grow_slots();
	cli_log("start", "spool=%s owner=%s concurrency=%d",
	    esc(spool_path(d.sp)), esc(spool_owner(d.sp)),
	    d.cf.consumer.concurrency);
	cli_notify("READY=1");
	loop();
	spool_consumer_close(d.c);
	cli_notify("STOPPING=1");
	cli_log("exit", NULL);
	spool_close(d.sp);
	spool_config_free(&d.cf);
	spool_config_free(&d.flags);
	free(d.h);
	return 0;
}
