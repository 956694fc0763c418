/*
 * counter.c - how many times each action moved a job, for metrics.
 *
 * run/counters is one page of 64-bit counters, one per action (submit,
 * claim, done, retry, dead, cancel, ...), shared through a MAP_SHARED
 * mapping by every process that moves jobs on this host and bumped by
 * spool_job_move with an atomic add: counting costs no system call, and
 * two consumers bumping at once lose nothing.  The counters are not synced:
 * after a crash they may step back, which Prometheus reads as a counter
 * reset.  They only ever grow otherwise, unlike the job counts, which purge
 * and requeue lower.
 *
 * The file is made whole (sized, stamped) under a dotfile name and renamed
 * into place without replacing, so that nobody ever maps a short one: a
 * mapping past the end of a file would fault.  Counting is best effort: a
 * spool whose run/ we cannot write is simply not counted by us.
 *
 * Functions: spool_counter_bump (internal), spool_counters_close (internal),
 * spool_counters (the reader's copy).
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spool_int.h"

#define COUNTERS	"counters"
#define COUNTERS_SIZE	4096
#define COUNTERS_MAGIC	0x31525443534c4f50ULL	/* "POLSCTR1" */
#define COUNTERS_FIRST	8	/* slot of action 0; slot 0 holds the magic */

/* Open run/counters, making it if there is none: a descriptor or -1. */
static int
counters_open(struct spool *sp, int writable)
{
	uint64_t magic = COUNTERS_MAGIC;
	char tmp[64];
	int fd, flags = (writable ? O_RDWR : O_RDONLY) | O_NOFOLLOW | O_CLOEXEC;

	if ((fd = openat(sp->dir[SPOOL_RUN], COUNTERS, flags)) >= 0 ||
	    errno != ENOENT || !writable)
		return fd;
	snprintf(tmp, sizeof(tmp), ".%s.%ld", COUNTERS, (long)getpid());
	unlinkat(sp->dir[SPOOL_RUN], tmp, 0);
	fd = openat(sp->dir[SPOOL_RUN], tmp, O_RDWR | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	if (ftruncate(fd, COUNTERS_SIZE) < 0 ||
	    pwrite(fd, &magic, sizeof(magic), 0) != sizeof(magic) ||
	    (renameat2(sp->dir[SPOOL_RUN], tmp, sp->dir[SPOOL_RUN], COUNTERS,
	    RENAME_NOREPLACE) < 0 && errno != EEXIST)) {
		unlinkat(sp->dir[SPOOL_RUN], tmp, 0);
		close(fd);
		return -1;
	}
	/* EEXIST: another process made it first; use theirs. */
	unlinkat(sp->dir[SPOOL_RUN], tmp, 0);
	close(fd);
	return openat(sp->dir[SPOOL_RUN], COUNTERS, flags);
}

/* Map the counters: the slots, or NULL. */
static uint64_t *
counters_map(struct spool *sp, int writable)
{
	struct stat st;
	uint64_t *c;
	int fd = counters_open(sp, writable);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size < COUNTERS_SIZE) {
		close(fd);
		errno = EINVAL;
		return NULL;
	}
	c = mmap(NULL, COUNTERS_SIZE, writable ? PROT_READ | PROT_WRITE :
	    PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (c == MAP_FAILED)
		return NULL;
	if (__atomic_load_n(&c[0], __ATOMIC_RELAXED) != COUNTERS_MAGIC) {
		munmap(c, COUNTERS_SIZE);
		errno = EINVAL;
		return NULL;
	}
	return c;
}

void
spool_counter_bump(struct spool *sp, enum spool_action a)
{
	int e = errno;

	if ((unsigned)a >= SPOOL_NACTIONS || sp->counters == MAP_FAILED)
		return;
	if (sp->counters == NULL &&
	    (sp->counters = counters_map(sp, 1)) == NULL) {
		sp->counters = MAP_FAILED;	/* do not try at every move */
		errno = e;
		return;
	}
	__atomic_fetch_add(&sp->counters[COUNTERS_FIRST + a], 1,
	    __ATOMIC_RELAXED);
	errno = e;
}

void
spool_counters_close(struct spool *sp)
{
	if (sp->counters && sp->counters != MAP_FAILED)
		munmap(sp->counters, COUNTERS_SIZE);
	sp->counters = NULL;
}

int
spool_counters(struct spool *sp, uint64_t out[SPOOL_NACTIONS])
{
	uint64_t *c;
	int i;

	memset(out, 0, SPOOL_NACTIONS * sizeof(out[0]));
	if ((c = sp->counters) == NULL || c == MAP_FAILED) {
		if ((c = counters_map(sp, 0)) == NULL)
			return errno == ENOENT ? 0 : -1;	/* nothing counted yet */
	}
	for (i = 0; i < SPOOL_NACTIONS; i++)
		out[i] = __atomic_load_n(&c[COUNTERS_FIRST + i], __ATOMIC_RELAXED);
	if (c != sp->counters)
		munmap(c, COUNTERS_SIZE);
	return 0;
}
