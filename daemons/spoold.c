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
#include "reaper.h"
#include "runner.h"

static const char usage[] =
    "spoold [-n] [-c FILE] [-d DIR] [--exec 'COMMAND' | --worker 'COMMAND' |\n"
    "              --stamp] [-j N]\n"
    "              [--max-attempts N] [--backoff MIN,MAX] [--timeout DUR]\n"
    "              [--grace DUR] [--lease-ttl DUR] [--no-sync] [--drain]";

static struct {
	const char *conf;		/* -c FILE */
	struct spool_config flags;	/* what the command line set */
	struct spool_config cf;		/* in effect: file, then flags */
	struct spool *sp;
	struct spool_consumer *c;
	struct runner r;		/* the slots */
	int sigfd;
	int drain;			/* --drain: exit once idle */
} d;

/* The command line wins over the file; naming what runs jobs (--stamp,
 * --exec, --worker) replaces whichever the file named. */
static void
merge_flags(struct spool_config *cf)
{
	if (d.flags.set & (SPOOL_CF_STAMP | SPOOL_CF_EXEC | SPOOL_CF_WORKER)) {
		cf->consumer.stamp = 0;
		free(cf->consumer.exec);
		free(cf->consumer.worker);
		cf->consumer.exec = cf->consumer.worker = NULL;
	}
	if (spool_config_merge(cf, &d.flags) < 0)
		cli_die_errno("unable to merge the options");
}

static void
load_config(void)
{
	struct spool_config cf;

	spool_config_defaults(&cf);
	if (d.conf)
		cli_config_load(&cf, d.conf);
	merge_flags(&cf);
	if (!!cf.consumer.stamp + !!cf.consumer.exec + !!cf.consumer.worker > 1)
		cli_die(EX_USAGE, "--stamp, --exec and --worker are exclusive");
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

/* SIGHUP: a bad file is logged and the settings in effect are kept. */
static void
reload_config(void)
{
	struct spool_config_error err;
	struct spool_consumer_opts o;
	struct spool_config cf;

	spool_config_defaults(&cf);
	if (d.conf && spool_config_load(&cf, d.conf, &err) < 0) {
		cli_log("error", "op=reload error=%s", cli_esc(err.msg));
		spool_config_free(&cf);
		return;
	}
	merge_flags(&cf);
	if (!!cf.consumer.stamp + !!cf.consumer.exec + !!cf.consumer.worker != 1 ||
	    !!cf.consumer.worker != !!d.cf.consumer.worker) {
		cli_log("error", "op=reload error=%s", cli_esc("exactly one of "
		    "stamp, exec, worker, and no switch to or from worker"));
		spool_config_free(&cf);
		return;
	}
	if (d.cf.consumer.worker && strcmp(cf.consumer.worker,
	    d.cf.consumer.worker) != 0)
		cli_log("warning", "op=reload error=%s", cli_esc("a new worker "
		    "command applies to workers started from now on"));
	spool_config_free(&d.cf);
	d.cf = cf;
	consumer_opts(&o);
	spool_consumer_set_opts(d.c, &o);
	if (runner_grow(&d.r) < 0)
		cli_log("error", "op=reload error=%s", cli_esc(strerror(errno)));
	cli_log("reload", "config=%s concurrency=%d",
	    d.conf ? cli_esc(d.conf) : "-", d.cf.consumer.concurrency);
}

static void
on_signal(void)
{
	struct signalfd_siginfo si;

	while (read(d.sigfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			runner_reap(&d.r);
			break;
		case SIGHUP:
			reload_config();
			break;
		default:
			if (!d.r.stopping) {
				cli_log("stop", "signal=%d running=%d",
				    (int)si.ssi_signo, runner_busy(&d.r));
				runner_stop(&d.r, spool_mono());
			}
		}
	}
}

static int
idle(void)
{
	struct spool_recovery r;

	if (runner_busy(&d.r) != 0 ||
	    spool_list(d.sp, SPOOL_QUEUED, NULL, NULL) != 0 ||
	    spool_list(d.sp, SPOOL_WAITING, NULL, NULL) != 0)
		return 0;
	/* Jobs of a dead or hung consumer that a recovery left for its next
	 * pass (they entered cur/ within a tick of it) are not back yet. */
	return spool_recover_needed(d.sp) <= 0 ||
	    (spool_recover(d.sp, -1, &r) >= 0 && r.jobs == 0 && r.busy == 0);
}

/*
 * Each turn: what poll woke us for (handlers' ends, signals), what the
 * consumer says is due, then claims; the moves of the whole turn share one
 * group commit, made before we sleep.
 */
static void
loop(void)
{
	struct pollfd *pfd = NULL, *p;
	int64_t next, now;
	int n = 0, max;

	for (;;) {
		spool_batch_begin(d.sp);
		if (n > 0) {
			runner_input(&d.r);
			if (pfd[1].revents)
				on_signal();
		}
		spool_consumer_work(d.c);
		now = spool_mono();
		runner_turn(&d.r, now);
		next = spool_consumer_next(d.c);
		if (spool_batch_commit(d.sp) < 0)
			cli_log("error", "op=sync error=%s",
			    cli_esc(strerror(errno)));
		if (d.r.stopping && runner_busy(&d.r) == 0)
			break;
		if (d.drain && idle())
			break;
		max = 2 + 2 * d.r.nh;
		if ((p = realloc(pfd, (size_t)max * sizeof(*pfd))) == NULL)
			cli_die_errno("unable to allocate");
		pfd = p;
		pfd[0] = (struct pollfd){ .fd = spool_consumer_fd(d.c),
		    .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = d.sigfd, .events = POLLIN };
		n = 2 + runner_pollfds(&d.r, pfd + 2, max - 2);
		next = runner_next(&d.r, now, next);
		cli_log_flush();
		if (poll(pfd, (nfds_t)n, next > 60000 ? 60000 : (int)next) < 0) {
			if (errno != EINTR)
				cli_die_errno("unable to poll");
			pfd[1].revents = 0;
		}
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
		} else if (strcmp(a, "--worker") == 0) {
			free(f->consumer.worker);
			f->consumer.worker = strdup(v);
			f->set |= SPOOL_CF_WORKER;
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
			if ((f->consumer.lease_ttl = cli_duration(a, v)) < 1000)
				cli_die(EX_USAGE, "%s: at least 1s", a);
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
	if (!d.cf.consumer.stamp && !d.cf.consumer.exec && !d.cf.consumer.worker)
		cli_die(EX_USAGE, "nothing to run: give --exec 'COMMAND', "
		    "--worker 'COMMAND' or --stamp");
	/* Before any thread or lease exists: the reaper must share neither. */
	if (!d.cf.consumer.stamp && reaper_start() < 0)
		cli_warn("unable to start the reaper, a handler's children may "
		    "outlive a killed spoold: %s", strerror(errno));

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
	d.r = (struct runner){ .sp = d.sp, .c = d.c, .cf = &d.cf };
	if (runner_grow(&d.r) < 0)
		cli_die_errno("unable to allocate %d slots",
		    d.cf.consumer.concurrency);
	cli_log_buffer();
	cli_log("start", "spool=%s owner=%s concurrency=%d",
	    cli_esc(spool_path(d.sp)), cli_esc(spool_owner(d.sp)),
	    d.cf.consumer.concurrency);
	cli_notify("READY=1");
	loop();
	runner_close(&d.r);
	spool_consumer_close(d.c);
	cli_notify("STOPPING=1");
	cli_log("exit", NULL);
	spool_close(d.sp);
	spool_config_free(&d.cf);
	spool_config_free(&d.flags);
	/* Every descriptor ours is closed at a clean exit (valgrind
	 * --track-fds=yes, tests/reliability/hygiene/valgrind.sh). */
	close(d.sigfd);
	reaper_stop();
	return 0;
}
