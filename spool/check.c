/*
 * check.c - a consistency check of the whole spool (spooladmin check), in
 * the spirit of `postsuper -s`.
 *
 * It looks for: one ID in two states; entries of the job directories that
 * are not regular files or whose names hold control characters (consumers
 * refuse to run those); running jobs that no live lease covers; leases of
 * dead or hung consumers; histories (meta/ID) of no job; tmp files that a
 * producer left behind; entries of lease/ and meta/ that are not files.
 * With repair, it fixes what is safe: the jobs of dead or expired leases go
 * back to the queue (spool_recover, with its reasoning about races),
 * orphan histories and stale tmp files are removed.  Duplicates and odd
 * entries are only reported: which copy is right is the operator's call.
 *
 * The spool is live while we look, so every finding that a move in between
 * could fake is checked again before it is reported or repaired.
 *
 * spool_check returns how many findings are left unrepaired, or -1.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lease.h"

#define META_SETTLE	60000	/* ms: a younger orphan history may be racing */

struct finding {
	int problem, dir, other;
	char *name;
	char detail[160];
	int repaired;
};

struct check {
	struct spool *sp;
	struct finding *v;
	size_t n, cap;
	struct spool_set jobs;	/* every job name -> its first state's name */
	struct spool_set live;	/* running jobs that live leases cover */
	struct spool_names cur, leases, meta, tmp;
	int64_t *listed;	/* ctime of each cur/ job, after the listing */
	int st;			/* the directory being listed */
};

static const char *
dir_name(int dir)
{
	static const char *const extra[] = { SPOOL_DIR_META, SPOOL_DIR_LEASE,
	    SPOOL_DIR_RUN };

	return dir < SPOOL_NSTATES ? spool_state_dir(dir) :
	    extra[dir - SPOOL_NSTATES];
}

static int __attribute__((format(printf, 5, 6)))
add(struct check *c, int problem, int dir, const char *name,
    const char *fmt, ...)
{
	struct finding *f;
	va_list ap;

	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		if ((f = realloc(c->v, cap * sizeof(*f))) == NULL)
			return -1;
		c->v = f;
		c->cap = cap;
	}
	f = &c->v[c->n];
	memset(f, 0, sizeof(*f));
	f->problem = problem;
	f->dir = dir;
	f->other = -1;
	if ((f->name = strdup(name)) == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(f->detail, sizeof(f->detail), fmt, ap);
	va_end(ap);
	c->n++;
	return 0;
}

static int
see_job(const char *name, unsigned char type, void *arg)
{
	struct check *c = arg;
	const struct spool_slot *seen;
	struct stat sb;

	if (!spool_safe_name(name) && add(c, SPOOL_CHECK_UNSAFE_NAME, c->st, name,
	    "control characters in the name: never run") < 0)
		return -1;
	if (type != DT_REG && fstatat(c->sp->dir[c->st], name, &sb,
	    AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(sb.st_mode) &&
	    add(c, SPOOL_CHECK_NOT_FILE, c->st, name, "%s",
	    spool_type_name(sb.st_mode)) < 0)
		return -1;
	if ((seen = spool_set_get(&c->jobs, name)) != NULL) {
		if (add(c, SPOOL_CHECK_DUPLICATE, c->st, name, "also in %s/",
		    spool_state_dir(spool_state_parse(seen->value))) < 0)
			return -1;
		c->v[c->n - 1].other = spool_state_parse(seen->value);
		return 0;
	}
	if (spool_set_add(&c->jobs, name, spool_state_name(c->st)) < 0)
		return -1;
	return c->st == SPOOL_RUNNING ? spool_names_add(&c->cur, name) : 0;
}

static void
add_live(const char *id, void *arg)
{
	spool_set_add(arg, id, "");
}

static int
cur_ctimes(struct check *c)
{
	size_t i;

	if ((c->listed = calloc(c->cur.n + 1, sizeof(*c->listed))) == NULL)
		return -1;
	for (i = 0; i < c->cur.n; i++)
		c->listed[i] = spool_running_ctime(c->sp, c->cur.v[i]);
	return 0;
}

/*
 * Leases first, then the running jobs none of them covers.  cur/ and the
 * jobs' ctimes were taken before the journals are read (as in recover.c),
 * so a job claimed meanwhile is in its holder's journal; one whose ctime
 * changed since left cur/ and was claimed again, and one that entered cur/
 * within a tick of our start may share a ctime with a second claim: both
 * are left alone, as recovery leaves them.
 */
static int
check_leases(struct check *c, int64_t t0)
{
	struct spool_lease_info li;
	int64_t now;
	size_t i;
	int fd;

	if (spool_list_names(c->sp, SPOOL_LEASE, &c->leases) < 0)
		return -1;
	for (i = 0; i < c->leases.n; i++) {
		const char *name = c->leases.v[i];
		fd = spool_lease_judge(c->sp, name, &li, add_live, &c->live);
		if (fd >= 0) {
			close(fd);	/* dead: spool_recover buries it */
			if (add(c, SPOOL_CHECK_DEAD_LEASE, SPOOL_LEASE, name,
			    "its consumer died holding %d job(s)", li.jobs) < 0)
				return -1;
		} else if (fd == -2 && li.expired) {
			if (add(c, SPOOL_CHECK_EXPIRED_LEASE, SPOOL_LEASE, name,
			    "not renewed for %llds, %d job(s)",
			    (long long)((spool_now() - li.renewed) / 1000),
			    li.jobs) < 0)
				return -1;
		} else if (fd == -1 && (errno == EINVAL || errno == EFBIG)) {
			if (add(c, SPOOL_CHECK_STRAY, SPOOL_LEASE, name, "%s",
			    errno == EFBIG ? "too big for a lease" :
			    "not a regular file") < 0)
				return -1;
		} else if (fd == -1 && errno != ENOENT)
			return -1;	/* cannot tell: say so, guess nothing */
	}
	for (i = 0; i < c->cur.n; i++) {
		if (spool_set_get(&c->live, c->cur.v[i]))
			continue;
		now = spool_running_ctime(c->sp, c->cur.v[i]);
		if (now < 0 || spool_ctime_busy(t0, c->listed[i], now))
			continue;
		if (add(c, SPOOL_CHECK_ORPHAN_JOB, SPOOL_RUNNING, c->cur.v[i],
		    "running, but no live lease holds it") < 0)
			return -1;
	}
	return 0;
}

/* Histories of no job, and tmp files left behind. */
static int
check_files(struct check *c, int64_t tmp_age)
{
	struct stat sb;
	int64_t now = spool_now();
	size_t i;

	if (spool_list_names(c->sp, SPOOL_META, &c->meta) < 0 ||
	    spool_list_names(c->sp, SPOOL_TMP, &c->tmp) < 0)
		return -1;
	for (i = 0; i < c->meta.n; i++) {
		const char *name = c->meta.v[i];
		if (spool_set_get(&c->jobs, name) ||
		    fstatat(c->sp->dir[SPOOL_META], name, &sb,
		    AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (!S_ISREG(sb.st_mode)) {
			if (add(c, SPOOL_CHECK_STRAY, SPOOL_META, name, "%s",
			    spool_type_name(sb.st_mode)) < 0)
				return -1;
			continue;
		}
		/* Look again: the job may have moved between two listings. */
		if ((int64_t)sb.st_mtime * 1000 > now - META_SETTLE ||
		    spool_job_find(c->sp, name) >= 0 || errno != ENOENT ||
		    faccessat(c->sp->dir[SPOOL_TMP], name, F_OK,
		    AT_SYMLINK_NOFOLLOW) == 0)
			continue;
		if (add(c, SPOOL_CHECK_ORPHAN_META, SPOOL_META, name,
		    "the history of no job") < 0)
			return -1;
	}
	for (i = 0; tmp_age >= 0 && i < c->tmp.n; i++)
		if (fstatat(c->sp->dir[SPOOL_TMP], c->tmp.v[i], &sb,
		    AT_SYMLINK_NOFOLLOW) == 0 &&
		    (int64_t)sb.st_mtime * 1000 < now - tmp_age &&
		    add(c, SPOOL_CHECK_OLD_TMP, SPOOL_TMP, c->tmp.v[i],
		    "left by a producer %llds ago",
		    (long long)(now / 1000 - sb.st_mtime)) < 0)
			return -1;
	return 0;
}

/* Drop duplicates that were a job moving between two listings. */
static void
confirm_duplicates(struct check *c)
{
	size_t i, j;

	for (i = j = 0; i < c->n; i++) {
		struct finding f = c->v[i];
		if (f.problem == SPOOL_CHECK_DUPLICATE &&
		    (faccessat(c->sp->dir[f.dir], f.name, F_OK,
		    AT_SYMLINK_NOFOLLOW) < 0 ||
		    faccessat(c->sp->dir[f.other], f.name, F_OK,
		    AT_SYMLINK_NOFOLLOW) < 0))
			free(f.name);
		else
			c->v[j++] = f;
	}
	c->n = j;
}

static void
repair(struct check *c, int64_t tmp_age)
{
	struct spool_recovery r;
	struct stat sb;
	int recovered = -1;
	size_t i;

	for (i = 0; i < c->n; i++) {
		struct finding *f = &c->v[i];
		switch (f->problem) {
		case SPOOL_CHECK_ORPHAN_JOB:
		case SPOOL_CHECK_DEAD_LEASE:
		case SPOOL_CHECK_EXPIRED_LEASE:
			if (recovered < 0)
				recovered = spool_recover(c->sp, -1, &r) >= 0;
			f->repaired = recovered &&
			    (f->problem == SPOOL_CHECK_EXPIRED_LEASE ||
			    faccessat(c->sp->dir[f->dir], f->name, F_OK,
			    AT_SYMLINK_NOFOLLOW) < 0);
			break;
		case SPOOL_CHECK_ORPHAN_META:
			f->repaired = spool_job_find(c->sp, f->name) < 0 &&
			    errno == ENOENT && spool_meta_remove(c->sp, f->name) == 0;
			break;
		case SPOOL_CHECK_OLD_TMP:
			f->repaired = fstatat(c->sp->dir[SPOOL_TMP], f->name, &sb,
			    AT_SYMLINK_NOFOLLOW) == 0 &&
			    (int64_t)sb.st_mtime * 1000 < spool_now() - tmp_age &&
			    spool_sys.unlinkat(c->sp->dir[SPOOL_TMP], f->name, 0) == 0;
			break;
		}
	}
}

static void
check_free(struct check *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->v[i].name);
	free(c->v);
	spool_set_free(&c->jobs);
	spool_set_free(&c->live);
	spool_names_free(&c->cur);
	free(c->listed);
	spool_names_free(&c->leases);
	spool_names_free(&c->meta);
	spool_names_free(&c->tmp);
}

int
spool_check(struct spool *sp, int64_t tmp_age, int fix,
    void (*fn)(const struct spool_finding *f, void *arg), void *arg)
{
	struct check c = { .sp = sp };
	struct spool_finding out;
	int64_t t0;
	size_t i;
	int left = 0, e;

	t0 = spool_ctime_clock();
	for (c.st = 0; c.st < SPOOL_NSTATES; c.st++)
		if (c.st != SPOOL_TMP && spool_list(sp, c.st, see_job, &c) < 0)
			goto fail;
	if (cur_ctimes(&c) < 0 || check_leases(&c, t0) < 0 ||
	    check_files(&c, tmp_age) < 0)
		goto fail;
	confirm_duplicates(&c);
	if (fix)
		repair(&c, tmp_age);
	for (i = 0; i < c.n; i++) {
		out.problem = c.v[i].problem;
		out.dir = dir_name(c.v[i].dir);
		out.name = c.v[i].name;
		out.detail = c.v[i].detail;
		out.repaired = c.v[i].repaired;
		left += !out.repaired;
		if (fn)
			fn(&out, arg);
	}
	check_free(&c);
	return left;
fail:
	e = errno;
	check_free(&c);
	errno = e;
	return -1;
}
