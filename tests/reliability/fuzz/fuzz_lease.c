/*
 * fuzz_lease.c - lease files (lease.c, recover.c) read back from any bytes.
 *
 * The input is lease/h:1, judged twice: with its lock free (a dead holder:
 * spool_lease_judge hands back the locked descriptor, spool_lease_jobs
 * replays the journal) and with a lock held by another open file
 * description (a live holder: the header is parsed, expiry judged, the
 * journal replayed into a callback).  Then the whole recovery runs over it
 * with a job in cur/ that its journal may or may not name: the job must
 * end up in new/ or cur/ (nothing lost, nothing followed), the lease
 * removed only if it was dead.  Every name handed to a callback is a
 * valid ID.
 */
#include <sys/file.h>

#include "fuzz.h"
#include "lease.h"

#define LEASE "h:1"
#define JOB "job"

static void
fz_job(const char *id, void *arg)
{
	int *n = arg;

	if (!spool_id_valid(id))
		fz_fail("journal replay gave the invalid ID \"%s\"", id);
	(*n)++;
}

static void
fz_info(const struct spool_lease_info *li)
{
	if (!memchr(li->name, '\0', sizeof(li->name)) ||
	    !memchr(li->host, '\0', sizeof(li->host)) ||
	    !memchr(li->boot_id, '\0', sizeof(li->boot_id)))
		fz_fail("a string of struct spool_lease_info is not terminated");
	if (li->jobs < -1)
		fz_fail("jobs %d", li->jobs);
}

/* The job file is in cur/ or new/, once, and still a regular file. */
static void
fz_job_kept(struct spool *sp)
{
	struct stat st;
	int in_cur = fstatat(sp->dir[SPOOL_RUNNING], JOB, &st,
	    AT_SYMLINK_NOFOLLOW) == 0;
	int in_new = fstatat(sp->dir[SPOOL_QUEUED], JOB, &st,
	    AT_SYMLINK_NOFOLLOW) == 0;

	if (in_cur + in_new != 1 || !S_ISREG(st.st_mode))
		fz_fail("the job is in cur/ %d and new/ %d times", in_cur,
		    in_new);
	if (in_new && renameat(sp->dir[SPOOL_QUEUED], JOB,
	    sp->dir[SPOOL_RUNNING], JOB) < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spool *sp = fz_spool();
	struct spool_lease_info li, list[4];
	struct spool_recovery r;
	int fd, lk, n = 0, n2 = 0;

	if (faccessat(sp->dir[SPOOL_RUNNING], JOB, F_OK, 0) < 0)
		fz_put(SPOOL_RUNNING, JOB, (const uint8_t *)"x\n", 2);
	unlinkat(sp->dir[SPOOL_META], JOB, 0);
	fz_put(SPOOL_LEASE, LEASE, data, size);

	/* Dead: nobody holds the lock. */
	fd = spool_lease_judge(sp, LEASE, &li, fz_job, &n);
	fz_info(&li);
	if (fd < 0)
		fz_fail("a dead lease judged %d (%s)", fd, strerror(errno));
	if (li.alive || n != 0)
		fz_fail("a dead lease judged alive, or replayed as live");
	close(fd);
	n = spool_lease_jobs(sp, LEASE, fz_job, &n2);
	if (n != n2 || n != li.jobs)
		fz_fail("replay counted %d, called back %d, judged %d", n, n2,
		    li.jobs);

	/* Alive: a lock held on another open file description. */
	if ((lk = openat(sp->dir[SPOOL_LEASE], LEASE, O_RDONLY | O_CLOEXEC)) < 0 ||
	    flock(lk, LOCK_EX) < 0)
		abort();
	n = 0;
	if ((fd = spool_lease_judge(sp, LEASE, &li, fz_job, &n)) != -2)
		fz_fail("a live lease judged %d", fd);
	fz_info(&li);
	if (!li.alive || (!li.expired && n != li.jobs) ||
	    (li.expired && n != 0))
		fz_fail("live lease: alive %d expired %d replayed %d of %d",
		    li.alive, li.expired, n, li.jobs);
	if (spool_lease_list(sp, list, 4) != 1)
		fz_fail("spool_lease_list does not see the lease");
	fz_info(&list[0]);
	if (spool_recover(sp, -1, &r) < 0)
		fz_fail("recovery under a live lease: %s", strerror(errno));
	fz_job_kept(sp);
	if (faccessat(sp->dir[SPOOL_LEASE], LEASE, F_OK, 0) < 0)
		fz_fail("a live lease was removed");
	close(lk);

	/* Dead again: the recovery returns what it names and buries it,
	 * unless a job it names entered cur/ this instant (busy): then the
	 * lease stays for the next pass, so that the job comes back under
	 * its dead holder's name. */
	if (spool_recover_needed(sp) != 1)
		fz_fail("a dead lease is not seen as needing recovery");
	if (spool_recover(sp, -1, &r) < 0)
		fz_fail("recovery: %s", strerror(errno));
	fz_job_kept(sp);
	if (!r.busy && (faccessat(sp->dir[SPOOL_LEASE], LEASE, F_OK, 0) == 0 ||
	    r.leases != 1))
		fz_fail("a dead lease was not removed");
	return 0;
}
