/*
 * spoolsupervise - runs the consumers and producers that the `supervise:`
 * part of the configuration names, restarts them when they die, and
 * returns a dead consumer's jobs to the queue at once.
 *
 * One supervisor per spool: it holds a flock on run/supervise.lock for its
 * whole life; a second one exits 75 at once.  One event loop: poll(2) on a
 * signalfd (SIGCHLD, SIGTERM, SIGINT, SIGHUP) and the producers' output
 * pipes.  On SIGCHLD for a consumer, its lease lock is already free (the
 * kernel closes a process's files before it tells the parent), so
 * spool_recover() returns its jobs right away.  We are a child subreaper:
 * what a dead handler left behind is reparented to us and killed.
 *
 * SIGTERM/SIGINT: producers get SIGTERM (they commit what they have), then
 * consumers get SIGTERM and their grace time, then SIGKILL; exit 0.
 * SIGHUP: read the file again, start or stop consumers and producers to
 * match it, and pass the SIGHUP on to the consumers.  The children and
 * their restarts are in run/supervise.state (children.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "children.h"
#include "cli.h"
#include "supervise.h"

static const char usage[] = "spoolsupervise [-n] -c FILE [-d DIR]";

struct super s;

/* Deadlines and periods, ms. */
#define SWEEP_EVERY	1000	/* look for orphans and dead leases */
#define ORPHAN_AGAIN	50	/* after a consumer died */
#define TMP_AGE		3600000	/* stale tmp files, removed at start */

static struct child *
find_pid(pid_t pid)
{
	int i;

	for (i = 0; i < s.n; i++)
		if (s.v[i]->pid == pid)
			return s.v[i];
	return NULL;
}

/* Forget the retired children that have gone, output and all. */
static void
prune(void)
{
	int i, j;

	for (i = j = 0; i < s.n; i++) {
		if (s.v[i]->retire && s.v[i]->pid == 0 && s.v[i]->out < 0) {
			child_free(s.v[i]);
			s.dirty = 1;
		} else
			s.v[j++] = s.v[i];
	}
	s.n = j;
}

/* Reap every child that died.  A dead consumer's process group is killed
 * before it is reaped (its pid, and so its group, cannot be reused while
 * it is a zombie); then the jobs it held go back to the queue. */
static void
reap(void)
{
	struct child *c;
	siginfo_t si;
	int ws, recover = 0;
	int64_t now = spool_mono();

	for (;;) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 ||
		    si.si_pid == 0)
			break;
		c = find_pid(si.si_pid);
		if (c && c->kind == CHILD_CONSUMER)
			kill(-si.si_pid, SIGKILL);
		if (waitpid(si.si_pid, &ws, 0) < 0)
			break;
		if (c == NULL) {
			recover = 1;	/* an orphan: it may have held a lease */
			continue;
		}
		if (c->kind == CHILD_CONSUMER)
			recover = 1;
		super_exited(c, ws, now);
	}
	if (recover) {
		super_recover("exit");
		orphans_kill(s.v, s.n);
		/* Its handlers die of it in a moment, and what they started
		 * becomes ours: look again soon. */
		if (s.sweep_at > now + ORPHAN_AGAIN)
			s.sweep_at = now + ORPHAN_AGAIN;
	}
}

/* Stop producers first, so that nothing is queued that no consumer will
 * see; the consumers are stopped once the last producer is gone. */
static void
begin_stop(int sig)
{
	int i;

	if (s.stopping)
		return;
	cli_notify("STOPPING=1");
	cli_log("stop", "signal=%d", sig);
	s.stopping = 1;
	for (i = 0; i < s.n; i++) {
		s.v[i]->restart_at = s.v[i]->hup_at = 0;
		if (s.v[i]->kind == CHILD_PRODUCER)
			super_retire(s.v[i]);
	}
}

static int
running(enum child_kind kind)
{
	int i, n = 0;

	for (i = 0; i < s.n; i++)
		n += s.v[i]->kind == kind && (s.v[i]->pid > 0 || s.v[i]->out >= 0);
	return n;
}

/* 1 when everything has stopped. */
static int
stop_step(void)
{
	int i;

	if (s.stopping == 1 && running(CHILD_PRODUCER) == 0) {
		s.stopping = 2;
		for (i = 0; i < s.n; i++)
			if (s.v[i]->kind == CHILD_CONSUMER)
				super_retire(s.v[i]);
	}
	return s.stopping == 2 && running(CHILD_CONSUMER) == 0;
}

static void
on_signal(void)
{
	struct signalfd_siginfo si;

	while (read(s.sigfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			reap();
			break;
		case SIGHUP:
			if (!s.stopping)
				super_reload();
			break;
		default:
			begin_stop((int)si.ssi_signo);
		}
	}
}

static int64_t
sooner(int64_t next, int64_t at, int64_t now)
{
	if (at == 0)
		return next;
	return at - now < next ? at - now : next;
}

/* Restarts, SIGKILLs and forwarded SIGHUPs that are due; ms to the next. */
static int64_t
timers(int64_t now)
{
	int64_t next = s.sweep_at - now;
	int i;

	for (i = 0; i < s.n; i++) {
		struct child *c = s.v[i];
		if (c->restart_at && now >= c->restart_at) {
			c->restarts++;
			super_start(c);
		}
		if (c->kill_at && now >= c->kill_at && c->pid > 0) {
			cli_log("kill", "name=%s pid=%ld", c->name, (long)c->pid);
			child_signal(c, SIGKILL);
			c->kill_at = 0;
		}
		if (c->hup_at && now >= c->hup_at) {
			child_signal(c, SIGHUP);
			c->hup_at = 0;
		}
		next = sooner(next, c->restart_at, now);
		next = sooner(next, c->kill_at, now);
		next = sooner(next, c->hup_at, now);
	}
	next = sooner(next, s.recover_at, now);
	return next < 0 ? 0 : next;
}

static void
loop(void)
{
	struct pollfd *pfd = NULL, *p;
	int64_t now, next;
	int i, n;

	for (;;) {
		now = spool_mono();
		if (s.recover_at && now >= s.recover_at)
			super_recover("busy");
		if (now >= s.sweep_at) {
			s.sweep_at = now + SWEEP_EVERY;
			orphans_kill(s.v, s.n);
			if (spool_recover_needed(s.sp) > 0)
				super_recover("lease");
		}
		next = timers(now);
		prune();
		if (s.stopping && stop_step()) {
			free(pfd);
			return;
		}
		if (s.dirty && state_write(s.rundir, s.started, s.v, s.n) == 0)
			s.dirty = 0;
		if ((p = realloc(pfd, (size_t)(s.n + 1) * sizeof(*pfd))) == NULL)
			cli_die_errno("unable to allocate");
		pfd = p;
		pfd[0] = (struct pollfd){ .fd = s.sigfd, .events = POLLIN };
		for (i = 0, n = 1; i < s.n; i++)
			if (s.v[i]->out >= 0)
				pfd[n++] = (struct pollfd){ .fd = s.v[i]->out,
				    .events = POLLIN };
		if (poll(pfd, (nfds_t)n, (int)next) < 0 && errno != EINTR)
			cli_die_errno("unable to poll");
		for (i = 0; i < s.n; i++)
			if (s.v[i]->out >= 0)
				child_relay(s.v[i]);
		if (pfd[0].revents)
			on_signal();
	}
}

/* One supervisor per spool.  The lock is ours for life (the descriptor is
 * never closed, and O_CLOEXEC keeps it out of the children); the pid in
 * the file only serves the message of a second supervisor. */
static void
lock_spool(const char *dir)
{
	char path[4096], pid[32] = "?";
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, SPOOL_DIR_RUN);
	if ((s.rundir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		cli_die_errno("unable to open %s", path);
	fd = openat(s.rundir, "supervise.lock", O_RDWR | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC, 0644);
	if (fd < 0)
		cli_die_errno("unable to open %s/supervise.lock", path);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK)
			cli_die_errno("unable to lock %s/supervise.lock", path);
		if ((n = pread(fd, pid, sizeof(pid) - 1, 0)) > 0)
			pid[strcspn(pid, "\n")] = '\0';
		cli_die(EX_TEMPFAIL, "spool %s already has a supervisor (pid %s)",
		    dir, n > 0 ? pid : "?");
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n)
		cli_die_errno("unable to write %s/supervise.lock", path);
}

static void
setup_signals(void)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	/* A background job of a shell starts with SIGINT ignored. */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	if ((s.sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) < 0)
		cli_die_errno("unable to create a signalfd");
}

/* Children gone: kill and reap what is left of their descendants, give
 * back what they held. */
static void
finish(void)
{
	int64_t end = spool_mono() + 1000;
	int ws;

	while (orphans_kill(s.v, s.n) > 0 && spool_mono() < end) {
		poll(NULL, 0, 5);	/* SIGKILL takes a moment */
		while (waitpid(-1, &ws, WNOHANG) > 0)
			;
	}
	while (waitpid(-1, &ws, WNOHANG) > 0)
		;
	super_recover("stop");
	unlinkat(s.rundir, "supervise.state", 0);
}

int
main(int argc, char **argv)
{
	const char *dir = NULL, *spooldir, *env;
	struct spool_recovery r;
	int i, check = 0;

	cli_prog = "spoolsupervise";
	for (i = 1; i < argc; i++) {
		if (cli_common(argv[i], usage))
			return 0;
		if (strcmp(argv[i], "-n") == 0)
			check = 1;
		else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			s.conf = argv[++i];
		else if (strcmp(argv[i], "-d") == 0 && i + 1 < argc)
			dir = argv[++i];
		else
			cli_usage(usage);
	}
	if (s.conf == NULL)
		cli_usage(usage);
	spool_config_defaults(&s.cf);
	cli_config_load(&s.cf, s.conf);
	if (check) {
		if (dir) {
			free(s.cf.spool);
			s.cf.spool = strdup(dir);
		}
		spool_config_print(&s.cf, stdout);
		return 0;
	}
	spooldir = cli_spool_dir(dir, &s.cf);
	/* The children find the spool as we did, unless we were told. */
	env = getenv("SPOOL_DIR");
	s.dir = dir || (env && *env) ? spooldir : NULL;
	setup_signals();
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		cli_die(EX_OSERR, "unable to become a child subreaper: %s",
		    strerror(errno));
	s.sp = cli_spool_open(spooldir, s.cf.durable ? 0 : SPOOL_NOSYNC);
	lock_spool(spooldir);
	s.started = spool_now();
	/* Whatever a previous supervisor's consumers held comes back now. */
	if (spool_recover(s.sp, TMP_AGE, &r) < 0)
		cli_die_errno("unable to recover %s", spooldir);
	if (r.busy)
		s.recover_at = spool_mono() + RECOVER_AGAIN;
	launch_init(&s.launch, s.conf, s.dir);
	cli_log("start", "spool=%s consumers=%d producers=%d recovered=%d "
	    "busy=%d spoold=%s", cli_esc(spooldir), s.cf.supervise.consumers,
	    s.cf.supervise.nproducers, r.jobs, r.busy, cli_esc(s.launch.spoold));
	super_apply();
	s.dirty = 1;
	cli_notify("READY=1");
	loop();
	finish();
	cli_log("exit", NULL);
	spool_close(s.sp);
	spool_config_free(&s.cf);
	for (i = 0; i < s.n; i++)
		child_free(s.v[i]);
	free(s.v);
	return 0;
}
