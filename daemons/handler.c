/*
 * handler.c - starting and watching one job's handler.
 *
 * An --exec handler runs as `/bin/sh -c 'COMMAND "$@"' spool PATH`: the
 * job's path is its last argument whatever the quoting in COMMAND, the job
 * is its standard input, and SPOOL_DIR, SPOOL_JOB_ID, SPOOL_JOB_PATH,
 * SPOOL_ATTEMPT are in its environment.  A --worker runs as `/bin/sh -c
 * COMMAND` once per slot and serves job after job: the job's path on a line
 * of its stdin, one reply line on its stdout, "ok", "retry REASON" or
 * "fail REASON", so that a job costs no fork and exec.  Either leads its own
 * process group, so that a timeout or a cancel kills what it started too;
 * when spoold dies, even by SIGKILL, the handler gets SIGKILL at once
 * (PR_SET_PDEATHSIG) and the reaper (reaper.c) kills the rest of its group.
 * It inherits no descriptor of ours.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "handler.h"
#include "reaper.h"

void
handler_init(struct handler *h)
{
	memset(h, 0, sizeof(*h));
	h->err = h->win = h->wout = -1;
}

/* The spool's absolute path, for handlers that chdir. */
static const char *
spool_dir(struct spool *sp)
{
	static char dir[PATH_MAX];

	if (!dir[0] && realpath(spool_path(sp), dir) == NULL)
		snprintf(dir, sizeof(dir), "%s", spool_path(sp));
	return dir;
}

/*
 * fork, and in the child: its own process group, SIGKILL when spoold dies,
 * stdin/stdout/stderr from in/out/err (out -1: ours), no other descriptor,
 * `sh -c SCRIPT spool [ARG]`.  The environment (SPOOL_*) is set by the
 * caller before, in the child.  Returns the pid, or -1.
 */
static pid_t
spawn(const char *script, const char *arg, int in, int out, int err,
    const char *const *env)
{
	pid_t parent = getpid(), pid;
	sigset_t none;

	if ((pid = fork()) != 0) {
		/* Also here, so that killing the group can never miss a
		 * child that has not run setpgid yet. */
		if (pid > 0) {
			setpgid(pid, pid);
			reaper_add(pid);
		}
		return pid;
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	setpgid(0, 0);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(127);	/* spoold died before we could know it */
	if (dup2(in, 0) < 0 || (out >= 0 && dup2(out, 1) < 0) ||
	    dup2(err, 2) < 0)
		_exit(127);
	/* Nothing of ours leaks into the handler, whatever its flags. */
	close_range(3, ~0U, 0);
	for (; env && env[0]; env += 2)
		setenv(env[0], env[1], 1);
	execl("/bin/sh", "sh", "-c", script, "spool", arg, (char *)NULL);
	_exit(127);
}

/*
 * A command sh can exec in its own place: no list, pipe, redirection,
 * substitution or leading assignment.  Then the handler itself is our
 * child and dies with us (the death signal survives exec, not fork: dash
 * forks for a lone command).  Anything else keeps sh in between; its
 * process group is still killed on timeout and cancel, and spoolsupervise
 * reaps what a SIGKILLed spoold leaves.
 */
static int
simple(const char *cmd)
{
	const char *p = cmd + strspn(cmd, " \t");
	size_t word = strcspn(p, " \t");

	if (memchr(p, '=', word) != NULL)
		return 0;
	return strpbrk(cmd, ";&|<>()`$\n\\{}!") == NULL;
}

static void
close_all(const int *fds, int n)
{
	int i, e = errno;

	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	errno = e;
}

/* A regular file, now read blocking as usual; else EINVAL. */
static int
regular(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return 0;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		return 0;
	}
	return fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) == 0;
}

int
handler_exec(struct handler *h, struct spool *sp, const char *cmd)
{
	char path[PATH_MAX + SPOOL_ID_MAX + 8], attempt[16], script[8192];
	const char *env[] = { "SPOOL_DIR", spool_dir(sp), "SPOOL_JOB_ID",
	    h->job.id, "SPOOL_JOB_PATH", path, "SPOOL_ATTEMPT", attempt, NULL };
	int fd[3] = { -1, -1, -1 };	/* job, stderr read, stderr write */
	pid_t pid;

	snprintf(path, sizeof(path), "%s/%s/%s", spool_dir(sp),
	    spool_state_dir(SPOOL_RUNNING), h->job.id);
	snprintf(attempt, sizeof(attempt), "%d", h->job.attempt);
	if ((size_t)snprintf(script, sizeof(script), "%s%s \"$@\"",
	    simple(cmd) ? "exec " : "", cmd) >= sizeof(script)) {
		errno = E2BIG;
		return -1;
	}
	/* The job is the handler's stdin: a regular file, opened without
	 * blocking (a FIFO swapped in after the claim must not hang us). */
	if ((fd[0] = openat(spool_dirfd(sp, SPOOL_RUNNING), h->job.id,
	    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0 ||
	    !regular(fd[0]) || pipe2(fd + 1, O_CLOEXEC) < 0 ||
	    (pid = spawn(script, path, fd[0], -1, fd[2], env)) < 0) {
		close_all(fd, 3);
		return -1;
	}
	close(fd[0]);
	close(fd[2]);
	fcntl(fd[1], F_SETFL, O_NONBLOCK);
	h->pid = pid;
	h->err = fd[1];
	h->tlen = 0;
	return 0;
}

int
handler_worker(struct handler *h, struct spool *sp, const char *cmd)
{
	const char *env[] = { "SPOOL_DIR", spool_dir(sp), NULL };
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
	int all[6];
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 ||
	    pipe2(err, O_CLOEXEC) < 0 ||
	    (pid = spawn(cmd, NULL, in[0], out[1], err[1], env)) < 0) {
		memcpy(all, in, sizeof(in));
		memcpy(all + 2, out, sizeof(out));
		memcpy(all + 4, err, sizeof(err));
		close_all(all, 6);
		return -1;
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	fcntl(err[0], F_SETFL, O_NONBLOCK);
	h->pid = pid;
	h->win = in[1];
	h->wout = out[0];
	h->err = err[0];
	h->rlen = h->tlen = 0;
	return 0;
}

int
handler_worker_send(struct handler *h, struct spool *sp)
{
	char line[PATH_MAX + SPOOL_ID_MAX + 8];
	int n;

	n = snprintf(line, sizeof(line), "%s/%s/%s\n", spool_dir(sp),
	    spool_state_dir(SPOOL_RUNNING), h->job.id);
	h->tlen = 0;
	/* One line, far below the pipe's capacity, to an idle worker: the
	 * write does not block. */
	return write(h->win, line, (size_t)n) == n ? 0 : -1;
}

int
handler_worker_reply(struct handler *h, enum outcome *out, const char **reason)
{
	char *nl, *arg = NULL;
	ssize_t n;

	while ((nl = memchr(h->reply, '\n', h->rlen)) == NULL) {
		if (h->rlen == sizeof(h->reply))
			return -1;	/* a line this long is no reply */
		n = read(h->wout, h->reply + h->rlen, sizeof(h->reply) - h->rlen);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (n <= 0)
			return -1;
		h->rlen += (size_t)n;
	}
	*nl = '\0';
	if (strcmp(h->reply, "ok") == 0)
		*out = OUT_DONE;
	else if (strncmp(h->reply, "retry", 5) == 0 && strchr(" ", h->reply[5])) {
		*out = OUT_RETRY;
		arg = h->reply + 5;
	} else if (strncmp(h->reply, "fail", 4) == 0 && strchr(" ", h->reply[4])) {
		*out = OUT_DEAD;
		arg = h->reply + 4;
	} else
		return -1;
	snprintf(h->why, sizeof(h->why), "%s", arg && *arg ? arg + 1 : "");
	*reason = h->why;
	h->rlen -= (size_t)(nl + 1 - h->reply);
	memmove(h->reply, nl + 1, h->rlen);
	return 1;
}

void
handler_worker_close(struct handler *h)
{
	int fds[3] = { h->win, h->wout, h->err };

	close_all(fds, 3);
	h->win = h->wout = h->err = -1;
	h->rlen = 0;
}

int
handler_stamp(struct handler *h, struct spool *sp, struct spool_consumer *c)
{
	char line[SPOOL_OWNER_MAX + 64], ts[32];
	struct stat st;
	size_t off = 0;
	ssize_t n;
	int fd, len, e;

	len = snprintf(line, sizeof(line), "processed %s by %s\n",
	    spool_time_format(spool_now(), ts, sizeof(ts)), spool_owner(sp));
	if ((fd = spool_job_open(c, &h->job, O_WRONLY | O_APPEND)) < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		goto fail;
	/* One whole line: short writes resumed; on any failure the job is
	 * cut back to its size, so that the retry leaves no half line. */
	while (off < (size_t)len) {
		n = write(fd, line + off, (size_t)len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			goto fail;
		}
		off += (size_t)n;
	}
	/* The stamp is on disk before the job is in done/. */
	if (spool_durable(sp) && fsync(fd) < 0)
		goto fail;
	return close(fd);
fail:
	e = errno;
	if (off > 0 && ftruncate(fd, st.st_size) < 0) {
		/* Then the retry's stamp follows what is left. */
	}
	close(fd);
	errno = e;
	return -1;
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
