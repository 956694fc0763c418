/*
 * submit.c - producing jobs: write in tmp/, then one rename into new/.
 *
 * A job is written to tmp/ID (O_EXCL: a name is never shared), its data
 * made durable, then renamed to new/ID, and new/ is fsynced before the ID
 * is handed back: a job whose ID was printed survives a power cut.  A crash
 * before the rename leaves only a tmp file, which recovery removes once it
 * is old; a crash after it leaves a complete job.
 *
 * Batches share their syncs (group commit): the data of all pending files is
 * flushed by one syncfs(2) (or one fsync for a single file), and the renames
 * by one fsync of new/.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spool_int.h"

#define OPEN_MAX_PENDING 64	/* files kept open for one syncfs */

struct pending {
	char id[SPOOL_ID_MAX + 1];
	int fd;			/* -1 once its data is durable and closed */
};

struct spool_submit {
	struct spool *sp;
	int64_t delay;
	struct pending *p;
	size_t n, cap, open;
	size_t queued;		/* of the last commit, for spool_submit_id */
};

struct spool_submit *
spool_submit_open(struct spool *sp, int64_t delay_ms)
{
	struct spool_submit *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->sp = sp;
	s->delay = delay_ms > 0 ? delay_ms : 0;
	return s;
}

size_t
spool_submit_pending(const struct spool_submit *s)
{
	return s->n;
}

const char *
spool_submit_id(const struct spool_submit *s, size_t i)
{
	return i < s->queued ? s->p[i].id : NULL;
}

/* Drop pending jobs from index i on: close, unlink from tmp/. */
static void
discard(struct spool_submit *s, size_t i)
{
	int e = errno;

	for (; i < s->n; i++) {
		if (s->p[i].fd >= 0)
			spool_sys.close(s->p[i].fd);
		spool_sys.unlinkat(s->sp->dir[SPOOL_TMP], s->p[i].id, 0);
	}
	s->n = s->open = 0;
	errno = e;
}

/* Make the data of every open pending file durable, then close them. */
static int
flush_data(struct spool_submit *s)
{
	struct spool *sp = s->sp;
	size_t i, last = 0;
	int rc = 0;

	for (i = 0; i < s->n; i++)
		if (s->p[i].fd >= 0)
			last = i;
	if (s->open == 1)
		rc = spool_fsync(sp, s->p[last].fd);
	else if (s->open > 1 && !sp->nosync)
		rc = spool_sys.syncfs(s->p[last].fd);
	for (i = 0; i < s->n; i++) {
		if (s->p[i].fd < 0)
			continue;
		if (spool_close_fd(s->p[i].fd) < 0)
			rc = -1;
		s->p[i].fd = -1;
	}
	s->open = 0;
	return rc;
}

/* Create tmp/ID for a new job and return its descriptor. */
static int
begin_job(struct spool_submit *s, char id[SPOOL_ID_MAX + 1])
{
	struct pending *np;
	int fd;

	s->queued = 0;	/* the slots of the last commit are reused */
	if (s->open >= OPEN_MAX_PENDING && flush_data(s) < 0) {
		discard(s, 0);
		return -1;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		if ((np = realloc(s->p, cap * sizeof(*np))) == NULL)
			return -1;
		s->p = np;
		s->cap = cap;
	}
	spool_id_new(s->sp, id);
	/* Marked complete from its creation: it is in tmp/, out of sight,
	 * until it is (spool_int.h, SPOOL_MARK_COMPLETE). */
	fd = spool_sys.openat(s->sp->dir[SPOOL_TMP], id, O_WRONLY | O_CREAT |
	    O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644 | SPOOL_MARK_COMPLETE);
	if (fd < 0)
		return -1;
	strcpy(s->p[s->n].id, id);
	s->p[s->n].fd = fd;
	return fd;
}

/* The job's content is written: keep it pending, or drop it on error. */
static int
end_job(struct spool_submit *s, int fd, int ok)
{
	struct spool *sp = s->sp;
	struct timespec due[2];
	int e;

	if (ok && s->delay > 0) {
		/* A waiting job's mtime is when it becomes due. */
		int64_t t = spool_now() + s->delay;
		due[0].tv_sec = due[1].tv_sec = t / 1000;
		due[0].tv_nsec = due[1].tv_nsec = (t % 1000) * 1000000;
		if (futimens(fd, due) < 0)
			ok = 0;
	}
	if (!ok) {
		e = errno;
		spool_sys.close(fd);
		spool_sys.unlinkat(sp->dir[SPOOL_TMP], s->p[s->n].id, 0);
		errno = e;
		return -1;
	}
	s->n++;
	s->open++;
	return 0;
}

int
spool_submit_add(struct spool_submit *s, const void *buf, size_t len,
    char id[SPOOL_ID_MAX + 1])
{
	int fd = begin_job(s, id);

	if (fd < 0)
		return -1;
	return end_job(s, fd, spool_write_all(fd, buf, len) == 0);
}

int
spool_submit_add_fd(struct spool_submit *s, int in, char id[SPOOL_ID_MAX + 1])
{
	char buf[65536];
	ssize_t n;
	int fd = begin_job(s, id), ok = 1;

	if (fd < 0)
		return -1;
	for (;;) {
		n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ok = n == 0;
			break;
		}
		if (spool_write_all(fd, buf, (size_t)n) < 0) {
			ok = 0;
			break;
		}
	}
	return end_job(s, fd, ok);
}

int
spool_submit_commit(struct spool_submit *s, size_t *queued)
{
	struct spool *sp = s->sp;
	enum spool_action a = s->delay > 0 ? SPOOL_DEFER : SPOOL_SUBMIT;
	size_t i;
	int e;

	*queued = 0;
	if (s->n == 0)
		return 0;
	/* Data first: a failed sync means nothing of this batch is queued. */
	if (flush_data(s) < 0) {
		discard(s, 0);
		return -1;
	}
	spool_batch_begin(sp);
	for (i = 0; i < s->n; i++)
		if (spool_job_move(sp, s->p[i].id, SPOOL_TMP, a) < 0)
			break;
	e = errno;
	/* Then the directory: only now are the renamed jobs acknowledged.  If
	 * this sync fails they are in new/ unacknowledged, and may run. */
	if (spool_batch_commit(sp) < 0) {
		e = errno;
		discard(s, i);
		errno = e;
		return -1;
	}
	*queued = s->queued = i;
	if (i < s->n) {
		discard(s, i);
		errno = e;
		return -1;
	}
	s->n = 0;
	return 0;
}

void
spool_submit_close(struct spool_submit *s)
{
	if (s == NULL)
		return;
	discard(s, 0);
	free(s->p);
	free(s);
}
