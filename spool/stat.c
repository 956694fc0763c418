/*
 * stat.c - looking at a spool without changing it: counts per state, the
 * oldest job of a state, one job's details, the files of run/.
 *
 * Counting must stay cheap on a spool of a million jobs, so spool_count
 * only reads the directories (getdents), and spool_oldest reads the
 * submission time out of spoolsubmit's names, stat'ing only the names it
 * made not.  spool_job_info opens what it is asked to: the job's inode for
 * size and times, meta/ID for attempts, owner and last error.
 *
 * Return convention: 0 (or a count) on success, -1 with errno.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "index.h"
#include "spool_int.h"

#define RUN_MAX	(1 << 20)	/* a run/ file bigger than this is not ours */

static int64_t
ms_of(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000 + ts->tv_nsec / 1000000;
}

/*
 * A job's submission time: the time in its spoolsubmit ID, else the file's
 * mtime (a job copied in by hand: when it was written), except in wait/,
 * where the mtime is the due time and the ctime (the move there) is the
 * best there is.
 */
static int64_t
submitted_of(const char *id, int st, const struct stat *sb)
{
	int64_t t = spool_id_time(id);

	if (t >= 0 || sb == NULL)
		return t;
	return st == SPOOL_WAITING ? ms_of(&sb->st_ctim) : ms_of(&sb->st_mtim);
}

int
spool_count(struct spool *sp, long counts[SPOOL_NSTATES])
{
	int st, n;

	for (st = 0; st < SPOOL_NSTATES; st++) {
		if ((n = spool_list(sp, st, NULL, NULL)) < 0)
			return -1;
		counts[st] = n;
	}
	return 0;
}

struct oldest {
	struct spool *sp;
	int st;
	int found;
	int64_t t;
	char id[SPOOL_ID_MAX + 1];
};

static int
oldest_one(const char *name, unsigned char type, void *arg)
{
	struct oldest *o = arg;
	struct stat sb;
	int64_t t = spool_id_time(name);

	(void)type;
	if (t < 0) {
		if (fstatat(o->sp->dir[o->st], name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
			return 0;	/* gone meanwhile */
		t = submitted_of(name, o->st, &sb);
	}
	/* Ties go to the smaller name: the one a consumer claims first. */
	if (!o->found || t < o->t || (t == o->t && strcmp(name, o->id) < 0)) {
		o->found = 1;
		o->t = t;
		snprintf(o->id, sizeof(o->id), "%s", name);
	}
	return 0;
}

int
spool_oldest(struct spool *sp, int st, char id[SPOOL_ID_MAX + 1],
    int64_t *submitted)
{
	struct oldest o = { .sp = sp, .st = st };
	int n;

	if ((unsigned)st >= SPOOL_NSTATES) {
		errno = EINVAL;
		return -1;
	}
	if ((n = spool_list(sp, st, oldest_one, &o)) < 0)
		return -1;
	if (o.found) {
		snprintf(id, SPOOL_ID_MAX + 1, "%s", o.id);
		*submitted = o.t;
	}
	return n;
}

int
spool_job_info(struct spool *sp, int st, const char *id, unsigned what,
    struct spool_job_info *ji)
{
	struct stat sb;

	memset(ji, 0, sizeof(*ji));
	ji->size = ji->changed = ji->due = -1;
	ji->meta.last_time = -1;
	if (!spool_id_valid(id)) {
		errno = EINVAL;
		return -1;
	}
	if (st < 0 && (st = spool_job_find(sp, id)) < 0)
		return -1;
	if ((unsigned)st >= SPOOL_NSTATES) {
		errno = EINVAL;
		return -1;
	}
	snprintf(ji->id, sizeof(ji->id), "%s", id);
	ji->state = st;
	ji->regular = 1;
	ji->submitted = spool_id_time(id);
	if ((what & SPOOL_INFO_STAT) || ji->submitted < 0) {
		if (fstatat(sp->dir[st], id, &sb, AT_SYMLINK_NOFOLLOW) < 0)
			return -1;	/* ENOENT: moved since it was listed */
		ji->size = (int64_t)sb.st_size;
		ji->changed = ms_of(&sb.st_ctim);
		ji->regular = S_ISREG(sb.st_mode);
		if (st == SPOOL_WAITING)
			ji->due = ms_of(&sb.st_mtim);
		ji->submitted = submitted_of(id, st, &sb);
	}
	if ((what & SPOOL_INFO_META) &&
	    spool_meta_read_in(sp, id, st, &ji->meta) < 0)
		return -1;
	return 0;
}

char *
spool_run_read(struct spool *sp, const char *name, size_t *len)
{
	if (!spool_id_valid(name)) {
		errno = EINVAL;
		return NULL;
	}
	return spool_read_at(sp->dir[SPOOL_RUN], name, RUN_MAX, len);
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of a state's jobs, sorted: submission order for spoolsubmit's
 * IDs, the order consumers claim them in. */
static int
names_sorted(struct spool *sp, int dir, char ***names, size_t *n)
{
	struct spool_names l = { 0 };
	int e;

	*names = NULL;
	*n = 0;
	if (spool_list_names(sp, dir, &l) < 0) {
		e = errno;
		spool_names_free(&l);
		errno = e;
		return -1;
	}
	if (l.n > 1)
		qsort(l.v, l.n, sizeof(*l.v), cmp_name);
	*names = l.v;
	*n = l.n;
	return 0;
}

int
spool_names_sorted(struct spool *sp, int st, char ***names, size_t *n)
{
	if ((unsigned)st >= SPOOL_NSTATES) {
		*names = NULL;
		*n = 0;
		errno = EINVAL;
		return -1;
	}
	return names_sorted(sp, st, names, n);
}

int
spool_meta_names(struct spool *sp, char ***names, size_t *n)
{
	return names_sorted(sp, SPOOL_META, names, n);
}

void
spool_names_sorted_free(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}
