/*
 * consumer.c - claiming jobs, oldest first, under a lease.
 *
 * The consumer indexes the lowest names in new/ in two parts: the K =
 * opts.max_index lowest names of the last full scan (at open, on inotify
 * overflow, when the index ran dry after being truncated, and every
 * opts.scan ms), sorted in one compact arena and taken from the front; and
 * a small heap of the names inotify brought in since: IN_MOVED_TO (the tmp/
 * protocol) and IN_CLOSE_WRITE (a file written in place, now closed).  A
 * claim takes the lower of the two fronts, so its cost does not grow with
 * the queue; a queue deeper than K is read again once per K claims.  A
 * scanned name may still be being written in place, unless spool_submit
 * marked it complete, so it is asked (claimable) and left for its close
 * event or a later scan while a writer holds it.
 *
 * Claim: check that new/ID is a regular file, "+ID" in the lease journal,
 * rename new/ID to cur/ID (losing the race to another consumer is ENOENT,
 * and fine), count the attempts in meta/ID (usually absent: one failed
 * open).  A job that has used its attempts is buried instead of run.  Every
 * outcome is a rename out of cur/ followed by "-ID", which waits to be
 * written with the next claim's "+ID" (see journal()).  Five syscalls per
 * job on the happy path: fstatat, pwrite, rename, a failed open, rename.
 *
 * Waiting jobs sit in wait/ with their due time as mtime; every consumer
 * keeps them in a heap and the first to see one due renames it to new/.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <inotifytools/inotify.h>

#include "config.h"
#include "lease.h"

#define RECOVER_CHECK	1000	/* ms between looks for dead leases */
#define LOST_CHECK	250	/* ms between looks for jobs taken from us */
#define TMP_AGE		(36LL * 3600 * 1000)	/* maildir's rule */
#define SCANNED		1u	/* name came from a scan */
#define DEFERRED	2u	/* passed over for another consumer */
#define HEAP_MAX	65536	/* names from inotify held beside a scan's */
#define LEASE_TRIES	100	/* ms to wait for another's lease probe */

struct spool_consumer {
	struct spool *sp;
	struct spool_consumer_opts o;
	struct spool_lease lease;
	int fd;			/* inotify */
	struct spool_lowest scanned;	/* the lowest names of the last scan */
	struct spool_heap queued;	/* names from inotify since */
	struct spool_heap deferred;	/* passed over this turn */
	int contended, skip, raced;	/* see spool_consumer_claim */
	struct spool_heap waiting;
	int truncated;		/* the index holds only the smallest names */
	struct spool_names running;	/* the jobs we hold */
	struct spool_names lost;	/* ours, gone from cur/ behind our back */
	char *journal;			/* lease lines not yet written */
	size_t njournal, capjournal;
	int64_t next_renew, next_check, lost_checked, next_scan, rescan_at;
	unsigned rand;
};

void
spool_consumer_defaults(struct spool_consumer_opts *o)
{
	o->max_attempts = 5;
	o->backoff_min = 1000;
	o->backoff_max = 300000;
	o->lease_ttl = 60000;
	o->scan = 30000;
	o->settle = 1000;
	o->max_index = 393216;	/* ~16 MB of names, ~22 MB while scanning */
}

/*
 * The lease journal.  "-ID" lines wait in a buffer and go out with the next
 * "+ID", which must reach the file before its claim's rename: so a claim
 * costs one pwrite, releases ride along, and the order of the lines is the
 * order of the events (a "-X" written after a later "+X" would drop the
 * second claim from the lease).  A failed write of "-ID" lines only leaves
 * stale "+ID" lines: recovery then finds those jobs gone from cur/ or owned
 * by a later claim, both harmless.
 */
static int
journal_flush(struct spool_consumer *c)
{
	int rc = 0;

	if (c->njournal == 0)
		return 0;
	rc = spool_lease_append(&c->lease, c->journal, c->njournal);
	c->njournal = 0;
	return rc;
}

/* Between turns, when `running` is exactly what we hold, a long journal is
 * rewritten to just that (never in the middle of a claim, whose job is not
 * in `running` yet). */
static void
journal_compact(struct spool_consumer *c, int force)
{
	if (journal_flush(c) == 0)
		spool_lease_compact(c->sp, &c->lease,
		    (const char *const *)c->running.v, c->running.n, force);
}

static int
journal(struct spool_consumer *c, char op, const char *id)
{
	size_t len = strlen(id) + 2;
	char *p;

	if (c->njournal + len > c->capjournal) {
		size_t cap = c->capjournal ? c->capjournal * 2 : 4096;
		while (cap < c->njournal + len)
			cap *= 2;
		if ((p = realloc(c->journal, cap)) == NULL) {
			if (journal_flush(c) < 0)
				return -1;
			return spool_lease_note(&c->lease, op, id);
		}
		c->journal = p;
		c->capjournal = cap;
	}
	c->journal[c->njournal] = op;
	memcpy(c->journal + c->njournal + 1, id, len - 2);
	c->journal[c->njournal + len - 1] = '\n';
	c->njournal += len;
	if (op == '+' || c->njournal >= 4096)
		return journal_flush(c);
	return 0;
}

/* The job left cur/ (or never got there): drop it from the lease. */
static void
release(struct spool_consumer *c, const char *id)
{
	int i = spool_names_find(&c->running, id);

	if (i >= 0)
		spool_names_del(&c->running, (size_t)i);
	journal(c, '-', id);
}

static int
push_queued(const char *name, unsigned char type, void *arg)
{
	struct spool_consumer *c = arg;

	(void)type;
	return spool_lowest_offer(&c->scanned, name);
}

static int64_t
due_of(struct spool_consumer *c, const char *name)
{
	struct stat st;

	if (fstatat(c->sp->dir[SPOOL_WAITING], name, &st,
	    AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	return (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
}

static int
push_waiting(const char *name, unsigned char type, void *arg)
{
	struct spool_consumer *c = arg;
	int64_t due;

	(void)type;
	if (c->waiting.n >= c->o.max_index) {
		c->truncated = 1;
		return 0;
	}
	if ((due = due_of(c, name)) < 0)
		return 0;
	return spool_heap_push(&c->waiting, name, due, 0);
}

/* Rebuild both indexes from the directories. */
static int
scan(struct spool_consumer *c)
{
	int rc;

	c->truncated = 0;
	spool_heap_clear(&c->waiting);
	if (spool_list(c->sp, SPOOL_WAITING, push_waiting, c) < 0)
		return -1;
	/* The scan sees whatever inotify brought so far. */
	spool_heap_clear(&c->queued);
	spool_lowest_clear(&c->scanned);
	c->scanned.k = c->o.max_index > 0 ? c->o.max_index : 1;
	rc = spool_list(c->sp, SPOOL_QUEUED, push_queued, c);
	if (spool_lowest_seal(&c->scanned) < 0)
		rc = -1;
	if (c->scanned.truncated)
		c->truncated = 1;
	c->next_scan = spool_mono() + c->o.scan;
	return rc < 0 ? -1 : 0;
}

struct spool_consumer *
spool_consumer_open(struct spool *sp, const struct spool_consumer_opts *o)
{
	static const int dirs[] = { SPOOL_QUEUED, SPOOL_WAITING };
	static const unsigned masks[] = {
		IN_MOVED_TO | IN_CLOSE_WRITE,
		IN_MOVED_TO | IN_CLOSE_WRITE,
	};
	struct spool_consumer *c;
	struct spool_recovery r;
	int e;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->sp = sp;
	c->o = *o;
	spool_lowest_init(&c->scanned, o->max_index);
	c->fd = -1;
	c->lease.fd = -1;
	c->rand = (unsigned)getpid() ^ (unsigned)spool_now();
	/* Watch before scanning: nothing that arrives in between is missed. */
	if ((c->fd = spool_watch_open(sp, dirs, masks, 2)) < 0)
		goto fail;
	if (spool_lease_create(sp, &c->lease, o->lease_ttl) < 0)
		goto fail;
	if (spool_recover(sp, TMP_AGE, &r) < 0 || scan(c) < 0)
		goto fail;
	c->next_renew = spool_mono() + o->lease_ttl / 3;
	c->next_check = spool_mono() + RECOVER_CHECK;
	return c;
fail:
	e = errno;
	spool_consumer_close(c);
	errno = e;
	return NULL;
}

void
spool_consumer_close(struct spool_consumer *c)
{
	if (c == NULL)
		return;
	spool_lease_release(c->sp, &c->lease);
	free(c->journal);
	if (c->fd >= 0)
		spool_watch_close(c->fd);
	spool_lowest_free(&c->scanned);
	spool_heap_free(&c->queued);
	spool_heap_free(&c->deferred);
	spool_heap_free(&c->waiting);
	spool_names_free(&c->running);
	spool_names_free(&c->lost);
	free(c);
}

int
spool_consumer_fd(const struct spool_consumer *c)
{
	return c->fd;
}

void
spool_consumer_set_opts(struct spool_consumer *c,
    const struct spool_consumer_opts *o)
{
	int ttl_changed = o->lease_ttl != c->lease.ttl;

	c->o = *o;
	c->lease.ttl = o->lease_ttl;
	/* Others judge our lease by the ttl written in it. */
	if (ttl_changed)
		journal_compact(c, 1);
}

int
spool_consumer_running(const struct spool_consumer *c)
{
	return (int)c->running.n;
}

static void
on_event(struct spool_consumer *c, const struct spool_event *ev)
{
	int64_t due;

	if (ev->mask & IN_Q_OVERFLOW) {
		c->rescan_at = spool_mono();
		return;
	}
	if (ev->name[0] == '.' || ev->name[0] == '\0')
		return;
	switch (ev->dir) {
	case SPOOL_QUEUED:
		/* Above the last scan's lowest: the next scan brings it in
		 * its turn, after the older jobs that scan left out. */
		if (c->scanned.truncated &&
		    strcmp(ev->name, c->scanned.limit) > 0)
			break;
		if (c->queued.n >= c->o.max_index || c->queued.n >= HEAP_MAX)
			c->truncated = 1;
		else
			spool_heap_push(&c->queued, ev->name, 0, 0);
		break;
	case SPOOL_WAITING:
		if ((due = due_of(c, ev->name)) >= 0)
			spool_heap_push(&c->waiting, ev->name, due, 0);
		break;
	}
}

/*
 * Jobs of ours moved out of cur/ by someone else (a cancel, a recovery
 * after our lease expired).  Looked for a few times a second rather than
 * watched: a watch on cur/ would wake us for each of our own completions.
 */
static void
find_lost(struct spool_consumer *c)
{
	size_t i;

	for (i = 0; i < c->running.n; i++)
		if (spool_names_find(&c->lost, c->running.v[i]) < 0 &&
		    faccessat(c->sp->dir[SPOOL_RUNNING], c->running.v[i], F_OK,
		    AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT)
			spool_names_add(&c->lost, c->running.v[i]);
}

/* The names passed over for another consumer, which it may not have taken
 * after all: back in the index, tried first. */
static void
undefer(struct spool_consumer *c)
{
	struct spool_hent e;

	while (c->deferred.n > 0) {
		e = spool_heap_pop(&c->deferred);
		spool_heap_push(&c->queued, e.name, 0, e.flags);
		free(e.name);
	}
}

static void
wake_due(struct spool_consumer *c, int64_t now)
{
	const struct spool_hent *top;
	struct spool_hent e;
	int64_t due;

	spool_batch_begin(c->sp);
	while ((top = spool_heap_top(&c->waiting)) != NULL && top->key <= now) {
		e = spool_heap_pop(&c->waiting);
		/* Gone: another consumer woke it, or an admin moved it.  Its
		 * mtime may also have been changed (touch): believe the file. */
		if ((due = due_of(c, e.name)) >= 0 && due <= now)
			spool_job_move(c->sp, e.name, SPOOL_WAITING, SPOOL_WAKE);
		else if (due > now)
			spool_heap_push(&c->waiting, e.name, due, 0);
		free(e.name);
	}
	spool_batch_commit(c->sp);
}

static int64_t
min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

int64_t
spool_consumer_work(struct spool_consumer *c)
{
	struct spool_event ev;
	struct spool_recovery r;
	int64_t now;

	journal_compact(c, 0);
	undefer(c);
	c->contended = c->skip = 0;
	while (spool_watch_next(&ev) > 0)
		on_event(c, &ev);
	now = spool_mono();
	if (now >= c->next_renew) {
		spool_lease_renew(&c->lease);
		c->next_renew = now + c->lease.ttl / 3;
	}
	if (now >= c->lost_checked + LOST_CHECK) {
		c->lost_checked = now;
		find_lost(c);
	}
	if (now >= c->next_check) {
		c->next_check = now + RECOVER_CHECK;
		if (spool_recover_needed(c->sp) > 0 &&
		    spool_recover(c->sp, -1, &r) >= 0 && r.busy)
			c->next_check = now + 10;
	}
	if (now >= c->next_scan || (c->rescan_at && now >= c->rescan_at)) {
		c->rescan_at = 0;
		if (now >= c->next_scan)
			spool_recover(c->sp, TMP_AGE, &r);
		scan(c);
	}
	wake_due(c, spool_now());
	return spool_consumer_next(c);
}

int64_t
spool_consumer_next(const struct spool_consumer *c)
{
	const struct spool_hent *top;
	int64_t now = spool_mono(), wall = spool_now(), next;

	next = min64(c->next_renew, c->next_check);
	if (c->running.n > 0)	/* a job claimed since work() counts too */
		next = min64(next, c->lost_checked + LOST_CHECK);
	next = min64(next, c->next_scan);
	if (c->rescan_at)
		next = min64(next, c->rescan_at);
	if ((top = spool_heap_top(&c->waiting)) != NULL)
		next = min64(next, now + (top->key - wall));
	return next > now ? next - now : 0;
}

int
spool_consumer_lost(struct spool_consumer *c, char id[SPOOL_ID_MAX + 1])
{
	if (c->lost.n == 0)
		return 0;
	snprintf(id, SPOOL_ID_MAX + 1, "%s", c->lost.v[c->lost.n - 1]);
	spool_names_del(&c->lost, c->lost.n - 1);
	return 1;
}

static int __attribute__((format(printf, 6, 7)))
meta_event(struct spool_consumer *c, const char *id, int fd, int sync,
    const char *event, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = spool_meta_vappend(c->sp, fd, id, sync, event, fmt, ap);
	va_end(ap);
	return rc;
}

int
spool_safe_name(const char *name)
{
	for (; *name; name++)
		if ((unsigned char)*name < 0x20 || *name == 0x7f)
			return 0;
	return 1;
}

const char *
spool_type_name(mode_t m)
{
	return S_ISLNK(m) ? "a symlink" : S_ISDIR(m) ? "a directory" :
	    S_ISFIFO(m) ? "a FIFO" : S_ISSOCK(m) ? "a socket" :
	    S_ISCHR(m) || S_ISBLK(m) ? "a device" : "not a regular file";
}

/* An entry of new/ that cannot be run goes to dead/ unopened, its target
 * (if a symlink) untouched. */
static void
reject(struct spool_consumer *c, const char *name, const char *why)
{
	char esc[256];

	if (meta_event(c, name, -1, 1, "dead", "status=rejected error=%s",
	    spool_escape(why, esc, sizeof(esc))) == 0)
		spool_job_move(c->sp, name, SPOOL_QUEUED, SPOOL_BURY);
}

/*
 * Is anybody writing this file?  A read lease cannot be had on a file open
 * for writing (fcntl(2), F_SETLEASE): an exact answer, when we own the file
 * or have CAP_LEASE.  1 yes, 0 no, -1 cannot tell.
 *
 * Another process's open for writing while we hold the lease (a consumer
 * that claimed the job meanwhile and stamps it) breaks it, and the kernel
 * signals us: SIGIO unless told otherwise, which kills a program that
 * does not expect it.  SIGURG is ignored unless handled.
 */
int
spool_being_written(int dirfd, const char *name)
{
	int fd, rc;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -1;
	/* The close drops the lease: no F_UNLCK needed. */
	rc = fcntl(fd, F_SETSIG, SIGURG) < 0 ? -1 :
	    fcntl(fd, F_SETLEASE, F_RDLCK);
	rc = rc == 0 ? 0 : errno == EAGAIN ? 1 : -1;
	close(fd);
	return rc;
}

/*
 * Is new/NAME a complete regular file?  A name from a scan may be a file
 * still being written in place (cp job spool/new/), however old: if it is
 * open for writing, or (when that cannot be told) changed within
 * opts.settle, leave it; its IN_CLOSE_WRITE brings it back.  A job made by
 * spool_submit carries the completeness mark (spool_int.h) and is not
 * asked: the probe is four syscalls of the nine of a scanned job's claim.
 */
static int
claimable(struct spool_consumer *c, const char *name, unsigned flags)
{
	struct stat st;
	int64_t age;

	if (!spool_safe_name(name)) {
		reject(c, name, "unsafe name: control characters");
		return 0;
	}
	if (fstatat(c->sp->dir[SPOOL_QUEUED], name, &st,
	    AT_SYMLINK_NOFOLLOW) < 0) {
		c->raced = errno == ENOENT;
		return 0;	/* gone: claimed by another consumer */
	}
	if (!S_ISREG(st.st_mode)) {
		reject(c, name, spool_type_name(st.st_mode));
		return 0;
	}
	if (!(flags & SCANNED))
		return 1;	/* its close or rename woke us: complete */
	if (st.st_mode & SPOOL_MARK_COMPLETE)
		return 1;	/* spool_submit's, through tmp/: complete */
	switch (spool_being_written(c->sp->dir[SPOOL_QUEUED], name)) {
	case 0:
		return 1;
	case 1:		/* its IN_CLOSE_WRITE will bring it back */
		return 0;
	}
	/* Cannot tell (not our file, no CAP_LEASE): trust it once it has
	 * been left alone for opts.settle. */
	age = spool_now() - ((int64_t)st.st_mtim.tv_sec * 1000 +
	    st.st_mtim.tv_nsec / 1000000);
	if (age < c->o.settle) {
		int64_t at = spool_mono() + c->o.settle - age;
		if (!c->rescan_at || at < c->rescan_at)
			c->rescan_at = at;
		return 0;
	}
	return 1;
}

static int bury(struct spool_consumer *c, struct spool_job *job,
    const char *status, const char *reason, int counted);
static int finish(struct spool_consumer *c, struct spool_job *job,
    enum spool_action a);

/* 1 claimed, 0 not this one, -1 error (the job is back in new/). */
static int
claim_one(struct spool_consumer *c, const char *name, unsigned flags,
    struct spool_job *job)
{
	struct spool_meta m;
	char why[600];
	int e;

	if (!claimable(c, name, flags))
		return 0;
	/* Journal first: a job in cur/ is always in its holder's journal. */
	if (journal(c, '+', name) < 0)
		return -1;
	snprintf(job->id, sizeof(job->id), "%s", name);
	if (spool_job_move(c->sp, name, SPOOL_QUEUED, SPOOL_CLAIM) < 0) {
		e = errno;
		release(c, name);
		errno = e;
		c->raced = e == ENOENT;
		return e == ENOENT ? 0 : -1;	/* ENOENT: lost the race */
	}
	job->claimed = spool_now();
	if (spool_names_add(&c->running, name) < 0 ||
	    spool_meta_read(c->sp, name, &m) < 0) {
		e = errno;
		job->attempt = 0;
		if (e == EINVAL || e == EFBIG || e == ELOOP) {
			/* meta/ID is no history (a FIFO, a symlink, a
			 * directory, too big): waiting will not mend it, and
			 * returned each time it would stall the queue behind
			 * it.  Dead, never run, nothing written through that
			 * entry; spool_check reports it. */
			finish(c, job, SPOOL_BURY);
			return 0;
		}
		spool_job_return(c, job, "cannot read the job's history");
		errno = e;
		return -1;
	}
	job->attempt = m.attempts + 1;
	job->history = m.last_time >= 0;
	if (job->attempt > c->o.max_attempts) {
		snprintf(why, sizeof(why), "max attempts (%d) reached%s%s",
		    c->o.max_attempts, m.error[0] ? ": " : "", m.error);
		job->attempt = m.attempts;	/* no new run */
		bury(c, job, m.status[0] ? m.status : "attempts", why, 0);
		return 0;
	}
	return 1;
}

/*
 * Consumers that share a queue all know the same oldest names, and would
 * all go for the same one, each time: one wins, the others lose a
 * fstatat or a rename (and a journal line).  So a consumer that loses a
 * race, knowing another one is at work right there, takes the next name and
 * then every other one, and passes over the names in between, which the
 * other takes: two consumers settle into claiming alternate names, without
 * collisions.  The names passed over come back at the next turn, or as soon
 * as nothing else is left, in case the other did not take them: none is
 * lost, and the order is kept up to the names claimed at the same moment.
 */
int
spool_consumer_claim(struct spool_consumer *c, struct spool_job *job)
{
	const struct spool_hent *top;
	struct spool_hent e;
	const char *low, *name;
	unsigned flags;
	int rc = 0, rescanned = 0;

	while (rc == 0) {
		low = spool_lowest_top(&c->scanned);
		top = spool_heap_top(&c->queued);
		if (!low && !top) {
			if (c->deferred.n > 0) {
				undefer(c);
				continue;
			}
			/* The index held only the oldest names: read on,
			 * once (the oldest may all be unclaimable for now). */
			if (!c->truncated || rescanned++)
				break;
			if (scan(c) < 0)
				return -1;
			continue;
		}
		/* The lower of the two; a scanned name stays in the arena
		 * until the next scan, which claim_one never starts. */
		e.name = NULL;
		if (low && (!top || strcmp(low, top->name) < 0)) {
			spool_lowest_pop(&c->scanned);
			name = low;
			flags = SCANNED;
		} else {
			e = spool_heap_pop(&c->queued);
			name = e.name;
			flags = e.flags;
		}
		if (c->skip && !(flags & DEFERRED)) {
			c->skip = 0;
			if (spool_heap_push(&c->deferred, name, 0,
			    flags | DEFERRED) == 0) {
				free(e.name);
				continue;
			}
		}
		c->raced = 0;
		rc = claim_one(c, name, flags, job);
		if (c->raced && !(flags & DEFERRED)) {
			c->contended = 1;
			c->skip = 0;
		} else if (rc == 1 && c->contended)
			c->skip = 1;
		free(e.name);
	}
	/* A job that failed to be claimed (full disk, I/O error) is still in
	 * new/ but out of the index: a rescan brings it back. */
	if (rc < 0 && !c->rescan_at)
		c->rescan_at = spool_mono() + 1000;
	return rc;
}

/* Move a job of ours out of cur/ and let it go.  ENOENT: it was taken from
 * us meanwhile (cancelled, recovered), which is not ours to undo. */
static int
finish(struct spool_consumer *c, struct spool_job *job, enum spool_action a)
{
	int rc, e;

	/*
	 * Stopped past our lease's ttl (SIGSTOP, a hung disk), we may have
	 * had the job taken and claimed again by another consumer: its cur/ID
	 * is then theirs, not ours to move.
	 */
	if (spool_boottime() - c->lease.renewed > c->lease.ttl &&
	    spool_lease_held_elsewhere(c->sp, job->id) != 0) {
		release(c, job->id);
		errno = ENOENT;
		return -1;
	}
	rc = spool_job_move(c->sp, job->id, SPOOL_RUNNING, a);
	e = errno;
	/* The move failed (EIO, ENOSPC): released, the job would sit in cur/
	 * covered by no lease until a rescan recovers it.  Back to the queue
	 * now; if even that fails, recovery finds it. */
	if (rc < 0 && e != ENOENT && a != SPOOL_RETURN)
		spool_job_move(c->sp, job->id, SPOOL_RUNNING, SPOOL_RETURN);
	release(c, job->id);
	errno = e;
	return rc;
}

/* A job with a history gets its end in it too; a first-run success costs
 * nothing. */
int
spool_job_complete(struct spool_consumer *c, struct spool_job *job)
{
	if (job->history)
		meta_event(c, job->id, -1, 0, "done", "by=%s attempt=%d",
		    c->sp->owner, job->attempt);
	return finish(c, job, SPOOL_COMPLETE);
}

int
spool_job_open(struct spool_consumer *c, const struct spool_job *job,
    int flags)
{
	struct stat st;
	int fd, e, tries = 0;

	/* The claim saw a regular file, but a name can be swapped between
	 * its look and its rename: O_NONBLOCK, so that a FIFO cannot hang
	 * us in open(2), and nothing but a regular file is opened.  An open
	 * for writing then fails with EWOULDBLOCK while another consumer's
	 * spool_being_written holds its lease, which it drops at once: tried
	 * again for a while. */
	while ((fd = openat(c->sp->dir[SPOOL_RUNNING], job->id, flags |
	    O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0 && errno == EWOULDBLOCK &&
	    tries++ < LEASE_TRIES)
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		goto fail;
	}
	if (!(flags & O_NONBLOCK) && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) &
	    ~O_NONBLOCK) < 0)
		goto fail;
	return fd;
fail:
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

/* counted: this line ends a run (and so counts it); else it only says why
 * the job goes (it ran out of attempts before running again). */
static int
bury(struct spool_consumer *c, struct spool_job *job, const char *status,
    const char *reason, int counted)
{
	char st[128], why[2400];

	/* The reason is on disk before the job is in dead/. */
	if (meta_event(c, job->id, -1, 1, "dead", "by=%s %s=%d status=%s "
	    "error=%s", c->sp->owner, counted ? "attempt" : "attempts",
	    job->attempt, spool_escape(status, st, sizeof(st)),
	    spool_escape(reason ? reason : "", why, sizeof(why))) < 0) {
		int e = errno;
		spool_job_return(c, job, "cannot record the failure");
		errno = e;
		return -1;
	}
	return finish(c, job, SPOOL_BURY);
}

int
spool_job_bury(struct spool_consumer *c, struct spool_job *job,
    const char *status, const char *reason)
{
	return bury(c, job, status, reason, 1);
}

/* Exponential backoff with equal jitter: between half the step and all of
 * it, so that jobs failing together do not come back together. */
static int64_t
backoff(struct spool_consumer *c, int attempt)
{
	int64_t d = c->o.backoff_min > 0 ? c->o.backoff_min : 1;
	int i;

	for (i = 1; i < attempt && d < c->o.backoff_max; i++)
		d *= 2;
	if (d > c->o.backoff_max)
		d = c->o.backoff_max;
	return d / 2 + (int64_t)(rand_r(&c->rand) % (unsigned)(d / 2 + 1));
}

int
spool_job_retry(struct spool_consumer *c, struct spool_job *job,
    const char *status, const char *reason)
{
	char st[128], why[2048], dur[32], whyall[2400];
	struct timespec ts[2];
	int64_t delay, due;
	int e;

	if (job->attempt >= c->o.max_attempts) {
		snprintf(whyall, sizeof(whyall), "max attempts (%d) reached: %s",
		    c->o.max_attempts, reason && *reason ? reason : status);
		return bury(c, job, status, whyall, 1) < 0 ? -1 : 1;
	}
	delay = backoff(c, job->attempt);
	due = spool_now() + delay;
	ts[0].tv_sec = ts[1].tv_sec = due / 1000;
	ts[0].tv_nsec = ts[1].tv_nsec = (due % 1000) * 1000000;
	/* The due time is the file's mtime: set it before the job is in
	 * wait/, so that nobody sees it there due early. */
	if (spool_sys.utimensat(c->sp->dir[SPOOL_RUNNING], job->id, ts,
	    AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno != EPERM && errno != EACCES)
			goto fail;
		/* Only its owner may date a file: a job another user wrote
		 * (a shared spool) keeps its mtime, in the past, and is due
		 * at once.  Returned instead, it would stall the queue. */
		delay = 0;
		due = spool_now();
	}
	if (meta_event(c, job->id, -1, 0, "retry", "by=%s attempt=%d status=%s "
	    "error=%s delay=%s", c->sp->owner, job->attempt,
	    spool_escape(status, st, sizeof(st)),
	    spool_escape(reason ? reason : "", why, sizeof(why)),
	    spool_duration_format(delay, dur, sizeof(dur))) < 0)
		goto fail;
	if (finish(c, job, SPOOL_RETRY) < 0)
		return -1;
	spool_heap_push(&c->waiting, job->id, due, 0);
	return 0;
fail:
	e = errno;
	spool_job_return(c, job, "cannot record the retry");
	errno = e;
	return -1;
}

int
spool_job_return(struct spool_consumer *c, struct spool_job *job,
    const char *why)
{
	char esc[256];

	meta_event(c, job->id, -1, 0, "return", "by=%s attempt=%d reason=%s",
	    c->sp->owner, job->attempt, spool_escape(why, esc, sizeof(esc)));
	return finish(c, job, SPOOL_RETURN);
}

void
spool_job_forget(struct spool_consumer *c, struct spool_job *job)
{
	release(c, job->id);
}
