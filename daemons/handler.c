/*
 * handler.c - starting and watching one job's handler.
 *
 * An --exec handler runs as `/bin/sh -c 'COMMAND "$@"' spool PATH`: the
 * job's path is its last argument whatever the quoting in COMMAND, the job
 * is its standard input, and SPOOL_DIR, SPOOL_JOB_ID, SPOOL_JOB_PATH,
 * SPOOL_ATTEMPT are in its environment.  It leads its own process group, so
 * that a timeout or a cancel kills what it started too, and it gets SIGKILL
 * when spoold dies (PR_SET_PDEATHSIG), even by SIGKILL.  It inherits no
 * descriptor of ours: everything is O_CLOEXEC, lease and inotify included.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "handler.h"

static void
child(struct handler *h, struct spool *sp, const char *cmd, int in, int err,
    pid_t parent)
{
	char path[PATH_MAX + SPOOL_ID_MAX + 8], dir[PATH_MAX], attempt[16];
	char script[8192];
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	setpgid(0, 0);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(127);	/* spoold died before we could know it */
	if (dup2(in, 0) < 0 || dup2(err, 2) < 0)
		_exit(127);
	/* Nothing of ours leaks into the handler, whatever its flags. */
	close_range(3, ~0U, 0);
	if (realpath(spool_path(sp), dir) == NULL)
		snprintf(dir, sizeof(dir), "%s", spool_path(sp));
	snprintf(path, sizeof(path), "%s/%s/%s", dir,
	    spool_state_dir(SPOOL_RUNNING), h->job.id);
	snprintf(attempt, sizeof(attempt), "%d", h->job.attempt);
	snprintf(script, sizeof(script), "%s \"$@\"", cmd);
	setenv("SPOOL_DIR", dir, 1);
	setenv("SPOOL_JOB_ID", h->job.id, 1);
	setenv("SPOOL_JOB_PATH", path, 1);
	setenv("SPOOL_ATTEMPT", attempt, 1);
	execl("/bin/sh", "sh", "-c", script, "spool", path, (char *)NULL);
	_exit(127);
}

int
handler_exec(struct handler *h, struct spool *sp, const char *cmd)
{
	int pfd[2], in, e;
	pid_t parent = getpid(), pid;

	in = openat(spool_dirfd(sp, SPOOL_RUNNING), h->job.id, O_RDONLY |
	    O_NOFOLLOW | O_CLOEXEC);
	if (in < 0)
		return -1;
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		e = errno;
		close(in);
		errno = e;
		return -1;
	}
	if ((pid = fork()) < 0) {
		e = errno;
		close(in);
		close(pfd[0]);
		close(pfd[1]);
		errno = e;
		return -1;
	}
	if (pid == 0)
		child(h, sp, cmd, in, pfd[1], parent);
	/* Also here, so that killing the group can never miss a child that
	 * has not run setpgid yet. */
	setpgid(pid, pid);
	close(in);
	close(pfd[1]);
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	h->pid = pid;
	h->err = pfd[0];
	h->tlen = 0;
	return 0;
}

int
handler_stamp(struct handler *h, struct spool *sp)
{
	char line[SPOOL_OWNER_MAX + 64], ts[32];
	off_t end;
	int n;

	n = snprintf(line, sizeof(line), "processed %s by %s\n",
	    spool_time_format(spool_now(), ts, sizeof(ts)), spool_owner(sp));
	if ((end = lseek(h->job.fd, 0, SEEK_END)) < 0)
		return -1;
	if (pwrite(h->job.fd, line, (size_t)n, end) != n) {
		if (errno == 0)
			errno = EIO;
		return -1;
	}
	/* The stamp is on disk before the job is in done/. */
	if (spool_durable(sp) && fsync(h->job.fd) < 0)
		return -1;
	return 0;
}

void
handler_read_stderr(struct handler *h)
{
	char buf[4096];
	ssize_t n;
	size_t keep;

	while (h->err >= 0) {
		n = read(h->err, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			close(h->err);
			h->err = -1;
			return;
		}
		/* Keep the last HANDLER_TAIL - 1 bytes. */
		if ((size_t)n >= sizeof(h->tail) - 1) {
			memcpy(h->tail, buf + n - (sizeof(h->tail) - 1),
			    sizeof(h->tail) - 1);
			h->tlen = sizeof(h->tail) - 1;
			continue;
		}
		keep = sizeof(h->tail) - 1 - (size_t)n;
		if (h->tlen > keep) {
			memmove(h->tail, h->tail + h->tlen - keep, keep);
			h->tlen = keep;
		}
		memcpy(h->tail + h->tlen, buf, (size_t)n);
		h->tlen += (size_t)n;
	}
}

const char *
handler_tail(struct handler *h)
{
	while (h->tlen > 0 && h->tail[h->tlen - 1] == '\n')
		h->tlen--;
	h->tail[h->tlen] = '\0';
	return h->tail;
}

void
handler_kill(struct handler *h, int sig)
{
	if (h->pid <= 0)
		return;
	if (kill(-h->pid, sig) < 0)
		kill(h->pid, sig);
}

char *
handler_status(int ws, char *buf, size_t size)
{
	if (WIFEXITED(ws))
		snprintf(buf, size, "exit %d", WEXITSTATUS(ws));
	else if (WIFSIGNALED(ws))
		snprintf(buf, size, "signal %d", WTERMSIG(ws));
	else
		snprintf(buf, size, "status %d", ws);
	return buf;
}
