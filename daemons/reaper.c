/*
 * reaper.c - what kills spoold's handlers when spoold is killed.
 *
 * A handler gets SIGKILL when spoold dies (PR_SET_PDEATHSIG), but what the
 * handler started does not: the death signal is not inherited across fork.
 * So spoold forks, first thing, a small reaper that shares nothing with it
 * but a pipe.  spoold writes "+PGID" when a handler's process group starts
 * and "-PGID" when it is gone; when the pipe reads end of file, spoold is
 * gone, however it died, and the reaper kills every group still listed.
 * It ignores the signals a terminal or a service manager sends the whole
 * process group: it outlives spoold by design, and only for that moment.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "reaper.h"

#define GROUPS_MAX 4096

static int wfd = -1;

static void
note(char op, pid_t pgid)
{
	char line[32];
	int n;

	if (wfd < 0 || pgid <= 0)
		return;
	n = snprintf(line, sizeof(line), "%c%ld\n", op, (long)pgid);
	/* A line is far below PIPE_BUF: written whole or not at all.  EPIPE
	 * (the reaper was killed) leaves us without one, nothing worse. */
	if (write(wfd, line, (size_t)n) != n && errno == EPIPE) {
		close(wfd);
		wfd = -1;
	}
}

void
reaper_add(pid_t pgid)
{
	note('+', pgid);
}

void
reaper_del(pid_t pgid)
{
	note('-', pgid);
}

void
reaper_stop(void)
{
	if (wfd >= 0)
		close(wfd);
	wfd = -1;
}

static void
track(pid_t *groups, int *n, char op, pid_t pgid)
{
	int i;

	for (i = 0; i < *n; i++)
		if (groups[i] == pgid)
			break;
	if (op == '-' && i < *n)
		groups[i] = groups[--*n];
	else if (op == '+' && i == *n && *n < GROUPS_MAX)
		groups[(*n)++] = pgid;
}

static void __attribute__((noreturn))
reap(int rfd)
{
	static pid_t groups[GROUPS_MAX];
	char buf[4096], *p, *nl;
	size_t have = 0;
	ssize_t r;
	int n = 0, i;

	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	prctl(PR_SET_NAME, "spoold-reaper");
	for (;;) {
		r = read(rfd, buf + have, sizeof(buf) - have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		have += (size_t)r;
		for (p = buf; (nl = memchr(p, '\n', have - (size_t)(p - buf)));
		    p = nl + 1)
			track(groups, &n, p[0], (pid_t)strtol(p + 1, NULL, 10));
		have -= (size_t)(p - buf);
		memmove(buf, p, have);
	}
	for (i = 0; i < n; i++)
		kill(-groups[i], SIGKILL);
	_exit(0);
}

int
reaper_start(void)
{
	int pfd[2];
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -1;
	if ((pid = fork()) < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		close(pfd[1]);
		if (pfd[0] != 3 && dup2(pfd[0], 3) < 0)
			_exit(1);
		close_range(4, ~0U, 0);
		reap(3);
	}
	close(pfd[0]);
	wfd = pfd[1];
	return 0;
}
