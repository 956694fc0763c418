/*
 * children.c - starting and tending the processes of spoolsupervise.
 *
 * A child is spoold (a consumer) or spoolsubmit (a producer), found next
 * to our own executable, else in PATH.  Each leads its own process group,
 * so that a terminal's Ctrl-C reaches the supervisor alone (which then
 * stops producers before consumers) and so that a dead consumer's
 * leftovers can be killed by group.  Each gets SIGKILL when the supervisor
 * dies (PR_SET_PDEATHSIG), even by SIGKILL, and checks that it did not
 * die already before the setting took.  A producer's stdout (the IDs it
 * submitted) comes back through a pipe and is copied to ours line by line.
 *
 * The state file is rewritten whole and renamed into place, so that a
 * reader (spoolstat) never sees half of it.  It is not fsynced: it tells
 * about processes, which a crash ends anyway.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "children.h"
#include "spool.h"

#define STATE_FILE	"supervise.state"
#define STATE_TMP	".supervise.state.tmp"

/* dir/prog if it is there and executable, else the bare name (PATH). */
static void
find_prog(char *out, size_t size, const char *self, const char *prog)
{
	char exe[PATH_MAX], *slash;
	ssize_t n;

	snprintf(out, size, "%s", prog);
	if ((n = readlink(self, exe, sizeof(exe) - 1)) <= 0)
		return;
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) == NULL)
		return;
	*slash = '\0';
	if ((size_t)snprintf(out, size, "%s/%s", exe, prog) >= size ||
	    access(out, X_OK) < 0)
		snprintf(out, size, "%s", prog);
}

void
launch_init(struct launch *l, const char *conf, const char *dir)
{
	find_prog(l->spoold, sizeof(l->spoold), "/proc/self/exe", "spoold");
	find_prog(l->spoolsubmit, sizeof(l->spoolsubmit), "/proc/self/exe",
	    "spoolsubmit");
	l->conf = conf;
	l->dir = dir;
}

struct child *
child_new(enum child_kind kind, int index, char **argv)
{
	struct child *c = calloc(1, sizeof(*c));
	int i;

	if (c == NULL)
		return NULL;
	c->kind = kind;
	c->index = index;
	c->status = -1;
	c->out = -1;
	snprintf(c->name, sizeof(c->name), "%s.%d",
	    kind == CHILD_CONSUMER ? "consumer" : "producer", index);
	for (c->argc = 0; argv && argv[c->argc]; c->argc++)
		;
	if ((c->argv = calloc((size_t)c->argc + 1, sizeof(char *))) == NULL)
		goto fail;
	for (i = 0; i < c->argc; i++)
		if ((c->argv[i] = strdup(argv[i])) == NULL)
			goto fail;
	return c;
fail:
	child_free(c);
	return NULL;
}

void
child_free(struct child *c)
{
	int i;

	if (c == NULL)
		return;
	for (i = 0; c->argv && i < c->argc; i++)
		free(c->argv[i]);
	free(c->argv);
	if (c->out >= 0)
		close(c->out);
	free(c);
}

/* In the child, between fork and exec: nothing of the supervisor's state
 * (signal mask, ignored signals, descriptors, systemd's socket) leaks. */
static void
exec_child(const char *path, char **argv, int out, pid_t parent)
{
	sigset_t none;
	int sig, fd;

	for (sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);	/* SIGKILL and friends: EINVAL, fine */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setpgid(0, 0);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(127);	/* the supervisor died before we could know */
	if ((fd = open("/dev/null", O_RDONLY)) >= 0 && fd != 0) {
		dup2(fd, 0);
		close(fd);
	}
	if (out >= 0 && dup2(out, 1) < 0)
		_exit(127);
	close_range(3, ~0U, 0);
	/* systemd hears only from the supervisor (NotifyAccess=main). */
	unsetenv("NOTIFY_SOCKET");
	if (strchr(path, '/'))
		execv(path, argv);
	else
		execvp(path, argv);
	_exit(127);
}

int
child_spawn(struct child *c, const struct launch *l)
{
	const char *prog = c->kind == CHILD_CONSUMER ? l->spoold : l->spoolsubmit;
	char **argv;
	int pfd[2] = { -1, -1 }, n = 0, i, e;
	pid_t parent = getpid(), pid;

	if ((argv = calloc((size_t)c->argc + 6, sizeof(char *))) == NULL)
		return -1;
	argv[n++] = (char *)prog;
	argv[n++] = "-c";
	argv[n++] = (char *)l->conf;
	if (l->dir) {
		argv[n++] = "-d";
		argv[n++] = (char *)l->dir;
	}
	for (i = 0; i < c->argc; i++)
		argv[n++] = c->argv[i];
	if (c->kind == CHILD_PRODUCER && c->out < 0 &&
	    pipe2(pfd, O_CLOEXEC) < 0)
		goto fail;
	if ((pid = fork()) < 0)
		goto fail;
	if (pid == 0)
		exec_child(prog, argv, pfd[1], parent);
	/* Here too, so that a kill of the group never misses a child that
	 * has not run setpgid yet. */
	setpgid(pid, pid);
	free(argv);
	if (pfd[1] >= 0) {
		close(pfd[1]);
		fcntl(pfd[0], F_SETFL, O_NONBLOCK);
		c->out = pfd[0];
		c->blen = 0;
	}
	c->pid = pid;
	c->started = spool_now();
	c->started_mono = spool_mono();
	c->restart_at = c->kill_at = c->hup_at = 0;
	return 0;
fail:
	e = errno;
	if (pfd[0] >= 0) {
		close(pfd[0]);
		close(pfd[1]);
	}
	free(argv);
	errno = e;
	return -1;
}

/* SIGTERM and SIGHUP go to the child alone: a handler that spoold has
 * just forked is in spoold's group until it runs setpgid, and would die
 * of a stop meant for spoold.  SIGKILL takes the whole group. */
void
child_signal(struct child *c, int sig)
{
	if (c->pid <= 0)
		return;
	if (sig != SIGKILL || kill(-c->pid, sig) < 0)
		kill(c->pid, sig);
}

int64_t
child_backoff(struct child *c, int64_t now, int64_t min, int64_t max)
{
	int64_t d = min;
	int i;

	if (now - c->started_mono >= CHILD_STABLE_MS)
		c->fails = 0;
	for (i = 0; i < c->fails && d < max; i++)
		d = d > 0 ? d * 2 : 1;
	c->fails++;
	return d > max ? max : d;
}

static void
write_out(const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(1, p, n)) < 0) {
			if (errno == EINTR)
				continue;
			return;		/* nobody reads our stdout: drop it */
		}
		p += w;
		n -= (size_t)w;
	}
}

void
child_relay(struct child *c)
{
	ssize_t n;
	char *nl;

	while (c->out >= 0) {
		n = read(c->out, c->buf + c->blen, sizeof(c->buf) - c->blen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			write_out(c->buf, c->blen);	/* a last partial line */
			c->blen = 0;
			close(c->out);
			c->out = -1;
			return;
		}
		c->blen += (size_t)n;
		nl = memrchr(c->buf, '\n', c->blen);
		if (nl == NULL && c->blen < sizeof(c->buf))
			continue;
		n = nl ? nl + 1 - c->buf : (ssize_t)c->blen;
		write_out(c->buf, (size_t)n);
		memmove(c->buf, c->buf + n, c->blen - (size_t)n);
		c->blen -= (size_t)n;
	}
}

char *
child_status(int status, char *buf, size_t size)
{
	if (status < 0)
		snprintf(buf, size, "-");
	else if (WIFEXITED(status))
		snprintf(buf, size, "exit:%d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, size, "signal:%d", WTERMSIG(status));
	else
		snprintf(buf, size, "status:%d", status);
	return buf;
}

static int
known(struct child *const *v, int n, pid_t pid)
{
	int i;

	for (i = 0; i < n; i++)
		if (v[i]->pid == pid)
			return 1;
	return 0;
}

int
orphans_kill(struct child *const *v, int n)
{
	char path[64], buf[8192], *p, *end;
	ssize_t len;
	int fd, killed = 0;
	long pid;

	/* Our children, as the kernel lists them (one thread: one list). */
	snprintf(path, sizeof(path), "/proc/self/task/%ld/children",
	    (long)getpid());
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return 0;
	buf[len] = '\0';
	for (p = buf; *p; p = end) {
		pid = strtol(p, &end, 10);
		if (end == p)
			break;
		if (pid > 0 && !known(v, n, (pid_t)pid) &&
		    kill((pid_t)pid, SIGKILL) == 0)
			killed++;
	}
	return killed;
}

int
state_write(int rundir, int64_t started, struct child *const *v, int n)
{
	char st[32];
	FILE *f;
	int fd, i, e;

	fd = openat(rundir, STATE_TMP, O_WRONLY | O_CREAT | O_TRUNC |
	    O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	if ((f = fdopen(fd, "w")) == NULL) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	fprintf(f, "supervisor pid=%ld started=%lld\n", (long)getpid(),
	    (long long)started);
	for (i = 0; i < n; i++)
		fprintf(f, "name=%s pid=%ld started=%lld restarts=%d "
		    "last_exit=%s\n", v[i]->name, (long)v[i]->pid,
		    (long long)v[i]->started, v[i]->restarts,
		    child_status(v[i]->status, st, sizeof(st)));
	if (ferror(f) | fclose(f)) {
		e = errno;
		unlinkat(rundir, STATE_TMP, 0);
		errno = e;
		return -1;
	}
	return renameat(rundir, STATE_TMP, rundir, STATE_FILE);
}
