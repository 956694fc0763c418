/*
 * recover.c - returning the jobs of dead consumers to the queue.
 *
 * A running job is an orphan when no live lease covers it.  The race to
 * reason about is a consumer claiming while we look: it writes "+ID" in its
 * journal before it renames new/ID to cur/ID, and we list cur/ before we
 * read the journals, so every ID we see in cur/ was in its holder's journal
 * before we read it.  What remains is a job that left cur/ and was claimed
 * again after our listing (another recoverer returned it, a consumer took
 * it): its rename changed its ctime after we listed it, and such jobs are
 * left for the next pass (r->busy).  At worst a job runs twice; it is never
 * lost, because every step is a rename and an orphan only ever goes back to
 * new/.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lease.h"

int
spool_list(struct spool *sp, int dir,
    int (*fn)(const char *name, unsigned char type, void *arg), void *arg)
{
	struct dirent *de;
	DIR *d;
	int fd, n = 0, e;

	fd = openat(sp->dir[dir], ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;	/* dotfiles are not jobs */
		if (fn && fn(de->d_name, de->d_type, arg) < 0) {
			e = errno;
			closedir(d);
			errno = e;
			return -1;
		}
		n++;
		errno = 0;
	}
	e = errno;
	closedir(d);
	if (e) {
		errno = e;
		return -1;
	}
	return n;
}

static int
collect(const char *name, unsigned char type, void *arg)
{
	(void)type;
	return spool_names_add(arg, name);
}

int
spool_list_names(struct spool *sp, int dir, struct spool_names *names)
{
	return spool_list(sp, dir, collect, names);
}

static void
add_live(const char *id, void *arg)
{
	spool_set_add(arg, id, "");
}

struct dead {
	struct spool_set *owners;
	const char *lease;
};

static void
add_dead(const char *id, void *arg)
{
	struct dead *d = arg;
	spool_set_add(d->owners, id, d->lease);
}

#define TICK_NS	100000000LL	/* well over the coarse clock's tick */

int64_t
spool_ctime_clock(void)
{
	struct timespec ts;

	/* The clock the kernel stamps ctime with. */
	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t
spool_running_ctime(struct spool *sp, const char *id)
{
	struct stat st;

	if (fstatat(sp->dir[SPOOL_RUNNING], id, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	return (int64_t)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec;
}

/*
 * listed is the job's ctime taken after cur/ was listed and before the
 * journals were read.  A job whose ctime changed since has left cur/ and
 * been claimed again (a rename sets ctime), maybe after we read its new
 * holder's journal: busy.  So is one that entered cur/ within a tick of
 * our start, where two renames could share a ctime.  Nothing else is
 * compared with the wall clock: after the clock is stepped back a day,
 * every ctime is a day ahead of it, and a job claimed before the step
 * must still be returned.
 */
int
spool_ctime_busy(int64_t t0, int64_t listed, int64_t now)
{
	return listed < 0 || now != listed ||
	    (listed > t0 - TICK_NS && listed < t0 + TICK_NS);
}

static int
return_orphan(struct spool *sp, const char *id, const char *lease,
    int64_t t0, int64_t listed, struct spool_recovery *r)
{
	struct spool_meta m;
	char why[SPOOL_OWNER_MAX + 32], esc[SPOOL_OWNER_MAX + 48];
	int64_t now = spool_running_ctime(sp, id);

	if (now < 0)
		return errno == ENOENT ? 0 : -1;
	if (spool_ctime_busy(t0, listed, now)) {
		r->busy++;
		return 0;
	}
	if (lease)
		snprintf(why, sizeof(why), "lease of %s is dead", lease);
	else
		snprintf(why, sizeof(why), "no live lease");
	/* This line counts the run the dead holder had started. */
	if (spool_meta_read(sp, id, &m) < 0 ||
	    spool_meta_append(sp, id, "recover", "by=%s lease=%s attempt=%d "
	    "status=lost error=%s", sp->owner, lease ? lease : "none",
	    m.attempts + 1, spool_escape(why, esc, sizeof(esc))) < 0)
		return -1;
	if (spool_job_move(sp, id, SPOOL_RUNNING, SPOOL_RETURN) < 0)
		return errno == ENOENT ? 0 : -1;
	r->jobs++;
	return 0;
}

struct stale {
	struct spool *sp;
	int64_t before;
	int n;
};

static int
remove_stale(const char *name, unsigned char type, void *arg)
{
	struct stale *s = arg;
	struct stat st;

	(void)type;
	if (fstatat(s->sp->dir[SPOOL_TMP], name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    (int64_t)st.st_mtime * 1000 < s->before &&
	    spool_sys.unlinkat(s->sp->dir[SPOOL_TMP], name, 0) == 0)
		s->n++;
	return 0;
}

int
spool_recover(struct spool *sp, int64_t tmp_age, struct spool_recovery *r)
{
	struct spool_names cur = { 0 }, leases = { 0 };
	struct spool_set live = { 0 }, owners = { 0 }, keep = { 0 };
	struct spool_lease_info li;
	int *deadfd = NULL, rc = -1, e = 0, busy;
	int64_t t0 = spool_ctime_clock(), *listed = NULL;
	size_t i;

	memset(r, 0, sizeof(*r));
	if (spool_list_names(sp, SPOOL_RUNNING, &cur) < 0 ||
	    spool_list_names(sp, SPOOL_LEASE, &leases) < 0)
		goto out;
	if ((deadfd = calloc(leases.n + 1, sizeof(*deadfd))) == NULL ||
	    (listed = calloc(cur.n + 1, sizeof(*listed))) == NULL)
		goto out;
	/* Before the journals are read: see return_orphan. */
	for (i = 0; i < cur.n; i++)
		if ((listed[i] = spool_running_ctime(sp, cur.v[i])) < 0 &&
		    errno != ENOENT)
			goto out;
	for (i = 0; i < leases.n; i++)
		deadfd[i] = -1;
	for (i = 0; i < leases.n; i++) {
		struct dead d = { &owners, leases.v[i] };
		deadfd[i] = spool_lease_judge(sp, leases.v[i], &li, add_live,
		    &live);
		/* Not a lease at all (a symlink, a FIFO: no consumer makes
		 * one), or a damaged one nobody holds: it covers nothing, and
		 * spool_check reports it.  A lease we cannot read (EIO,
		 * EMFILE, too big and locked) may be alive: taking the jobs it
		 * covers would run them twice.  Move nothing then. */
		if (deadfd[i] == -1 && (errno == EINVAL ||
		    (errno == EFBIG && !li.alive)))
			continue;
		if (deadfd[i] == -1 && errno != ENOENT) {
			e = errno;
			break;
		}
		if (deadfd[i] >= 0 || li.expired)
			spool_lease_jobs(sp, leases.v[i], add_dead, &d);
		if (deadfd[i] == -2 && li.expired)
			r->expired++;
	}
	spool_batch_begin(sp);
	for (i = 0; i < cur.n && !e; i++) {
		const struct spool_slot *o;
		if (spool_set_get(&live, cur.v[i]))
			continue;
		o = spool_set_get(&owners, cur.v[i]);
		busy = r->busy;
		if (return_orphan(sp, cur.v[i], o ? o->value : NULL, t0,
		    listed[i], r) < 0 && !e)
			e = errno;
		if (r->busy > busy && o && spool_set_add(&keep, o->value, "") < 0
		    && !e)
			e = errno;
	}
	if (spool_batch_commit(sp) < 0 && !e)
		e = errno;
	/* Only now, with every job of theirs back, may dead leases go; not
	 * while a job their journal names is left for the next pass (busy):
	 * it then comes back under its dead holder's name. */
	for (i = 0; i < leases.n; i++)
		if (deadfd[i] >= 0) {
			if (!e && !spool_set_get(&keep, leases.v[i])) {
				spool_lease_bury(sp, leases.v[i], deadfd[i]);
				r->leases++;
			} else
				close(deadfd[i]);
		}
	if (tmp_age >= 0) {
		struct stale s = { sp, spool_now() - tmp_age, 0 };
		if (spool_list(sp, SPOOL_TMP, remove_stale, &s) >= 0)
			r->tmp = s.n;
	}
	rc = e ? -1 : 0;
out:
	if (rc < 0 && !e)
		e = errno;
	free(deadfd);
	free(listed);
	spool_names_free(&cur);
	spool_names_free(&leases);
	spool_set_free(&live);
	spool_set_free(&owners);
	spool_set_free(&keep);
	errno = e;
	return rc < 0 ? -1 : r->jobs;
}

int
spool_recover_needed(struct spool *sp)
{
	struct spool_names leases = { 0 };
	struct spool_lease_info li;
	size_t i;
	int need = 0, fd;

	if (spool_list_names(sp, SPOOL_LEASE, &leases) < 0)
		return -1;
	for (i = 0; i < leases.n && !need; i++) {
		fd = spool_lease_judge(sp, leases.v[i], &li, NULL, NULL);
		if (fd >= 0)
			close(fd);
		need = fd >= 0 || li.expired;
	}
	spool_names_free(&leases);
	return need;
}
