/*
 * watch.c - directory notifications, through libinotifytools.
 *
 * libinotifytools (3.22) reads events only by blocking in
 * inotifytools_next_event (a timeout of 0 blocks too: it selects with no
 * timeout), and keeps its inotify descriptor to itself, while the daemon's
 * event loop must poll(2) signals, pipes and timers too.  So a thread owns
 * the library: it blocks for the next event and forwards it,
 * as one atomic write of at most PIPE_BUF bytes, into a pipe whose read end
 * the loop polls.  The thread blocks every signal and touches nothing else.
 * Events are hints: the consumer rescans on IN_Q_OVERFLOW and on a timer.
 */
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <inotifytools/inotify.h>
#include <inotifytools/inotifytools.h>

#include "spool_int.h"

struct msg {
	int dir;
	unsigned mask;
	unsigned len;		/* of name, with its NUL */
};

static struct {
	int wd[SPOOL_NDIRS], dir[SPOOL_NDIRS], n;
	int pipe[2];
	pthread_t thread;
	char buf[PIPE_BUF * 4];	/* read side */
	size_t have, off;
} w = { .pipe = { -1, -1 } };

static void *
forward(void *arg)
{
	struct inotify_event *e;
	char out[sizeof(struct msg) + NAME_MAX + 1];
	struct msg m;
	int i;

	(void)arg;
	for (;;) {
		if ((e = inotifytools_next_event(-1)) == NULL)
			continue;	/* EINTR and the like */
		m.mask = e->mask;
		m.dir = -1;
		for (i = 0; i < w.n; i++)
			if (w.wd[i] == e->wd)
				m.dir = w.dir[i];
		if (m.dir < 0 && !(e->mask & IN_Q_OVERFLOW))
			continue;
		m.len = e->len ? (unsigned)strnlen(e->name, e->len) + 1 : 1;
		memcpy(out, &m, sizeof(m));
		memcpy(out + sizeof(m), e->len ? e->name : "", m.len - 1);
		out[sizeof(m) + m.len - 1] = '\0';
		/* A full pipe blocks us; the kernel queue then overflows and
		 * says so, and the consumer rescans. */
		if (write(w.pipe[1], out, sizeof(m) + m.len) < 0)
			return NULL;
	}
}

int
spool_watch_open(struct spool *sp, const int *dirs, const unsigned *masks,
    int n)
{
	char path[PATH_MAX];
	sigset_t all, old;
	int i, e;

	if (!inotifytools_initialize()) {
		errno = inotifytools_error();
		return -1;
	}
	for (w.n = 0; w.n < n; w.n++) {
		snprintf(path, sizeof(path), "%s/%s", sp->path,
		    spool_state_dir(dirs[w.n]));
		if (!inotifytools_watch_file(path, (int)(masks[w.n] |
		    IN_ONLYDIR | IN_DONT_FOLLOW)))
			goto fail_lib;
		/* The library files a directory under its name with a
		 * trailing slash (3.22), which the lookup must match. */
		w.wd[w.n] = inotifytools_wd_from_filename(path);
		if (w.wd[w.n] < 0 && strlen(path) + 1 < sizeof(path)) {
			strcat(path, "/");
			w.wd[w.n] = inotifytools_wd_from_filename(path);
		}
		w.dir[w.n] = dirs[w.n];
	}
	if (pipe2(w.pipe, O_CLOEXEC) < 0)
		goto fail;
	fcntl(w.pipe[0], F_SETFL, O_NONBLOCK);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	e = pthread_create(&w.thread, NULL, forward, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e) {
		errno = e;
		goto fail;
	}
	w.have = w.off = 0;
	return w.pipe[0];
fail_lib:
	errno = inotifytools_error();
fail:
	e = errno;
	for (i = 0; i < 2; i++)
		if (w.pipe[i] >= 0) {
			close(w.pipe[i]);
			w.pipe[i] = -1;
		}
	inotifytools_cleanup();
	errno = e;
	return -1;
}

void
spool_watch_close(int fd)
{
	(void)fd;
	pthread_cancel(w.thread);	/* it waits in select, a cancel point */
	pthread_join(w.thread, NULL);
	close(w.pipe[0]);
	close(w.pipe[1]);
	w.pipe[0] = w.pipe[1] = -1;
	inotifytools_cleanup();
}

int
spool_watch_next(struct spool_event *ev)
{
	struct msg m;
	ssize_t n;

	for (;;) {
		if (w.have - w.off >= sizeof(m)) {
			memcpy(&m, w.buf + w.off, sizeof(m));
			if (w.have - w.off >= sizeof(m) + m.len)
				break;
		}
		/* Messages are written whole but may be read in pieces. */
		memmove(w.buf, w.buf + w.off, w.have - w.off);
		w.have -= w.off;
		w.off = 0;
		n = read(w.pipe[0], w.buf + w.have, sizeof(w.buf) - w.have);
		if (n <= 0)
			return n < 0 && errno != EAGAIN && errno != EINTR ? -1 : 0;
		w.have += (size_t)n;
	}
	ev->dir = m.dir;
	ev->mask = m.mask;
	ev->name = w.buf + w.off + sizeof(m);
	w.off += sizeof(m) + m.len;
	return 1;
}
