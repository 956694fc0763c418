/*
 * admin_check.c - spooladmin check and spooladmin recover.
 *
 * check prints one line per finding of spool_check ("DIR/NAME: what:
 * detail", then "(repaired)" when --repair fixed it) and exits 0 when the
 * spool is consistent, 65 when something is left for the operator.
 * recover returns the jobs of dead or hung consumers and clears stale tmp
 * files, and says what it did; with --dry-run it says what it would do,
 * from the same findings check makes.
 */
#include <stdio.h>
#include <string.h>

#include "admin.h"

static const char *const problem_name[] = {
	[SPOOL_CHECK_DUPLICATE] = "in two states",
	[SPOOL_CHECK_UNSAFE_NAME] = "unsafe name",
	[SPOOL_CHECK_NOT_FILE] = "not a regular file",
	[SPOOL_CHECK_ORPHAN_JOB] = "orphan job",
	[SPOOL_CHECK_DEAD_LEASE] = "dead lease",
	[SPOOL_CHECK_EXPIRED_LEASE] = "hung consumer",
	[SPOOL_CHECK_ORPHAN_META] = "orphan history",
	[SPOOL_CHECK_OLD_TMP] = "stale tmp file",
	[SPOOL_CHECK_STRAY] = "stray entry",
};

struct report {
	int dry, repair;
	int recover_only;	/* recover --dry-run: what recovery would touch */
	long found, repaired;
};

static int
recoverable(int problem)
{
	return problem == SPOOL_CHECK_ORPHAN_JOB ||
	    problem == SPOOL_CHECK_DEAD_LEASE ||
	    problem == SPOOL_CHECK_EXPIRED_LEASE ||
	    problem == SPOOL_CHECK_OLD_TMP;
}

static void
print_finding(const struct spool_finding *f, void *arg)
{
	struct report *r = arg;

	if (r->recover_only && !recoverable(f->problem))
		return;
	r->found++;
	r->repaired += f->repaired;
	printf("%s%s/", r->recover_only ? "would recover " : "", f->dir);
	out_id(stdout, f->name);
	printf(": %s: %s", problem_name[f->problem], f->detail);
	if (f->repaired)
		printf(" (repaired)");
	else if (r->dry && r->repair && f->problem != SPOOL_CHECK_DUPLICATE &&
	    (recoverable(f->problem) || f->problem == SPOOL_CHECK_ORPHAN_META))
		printf(" (would repair)");
	putchar('\n');
}

int
admin_check(struct spool *sp, int repair, int dry, int64_t tmp_age)
{
	struct report r = { .dry = dry, .repair = repair };
	int left;

	if ((left = spool_check(sp, tmp_age, repair && !dry, print_finding,
	    &r)) < 0)
		cli_die_errno("unable to check %s", spool_path(sp));
	if (fflush(stdout) != 0)
		cli_die_errno("unable to write the report");
	if (r.found == 0)
		fprintf(stderr, "%s: check: no problems\n", cli_prog);
	else
		fprintf(stderr, "%s: check: %ld problem(s), %ld repaired, %d left\n",
		    cli_prog, r.found, r.repaired, left);
	return left > 0 ? EX_DATAERR : EX_OK;
}

int
admin_recover(struct spool *sp, int dry, int64_t tmp_age)
{
	struct spool_recovery rec;
	struct report r = { .dry = 1, .recover_only = 1 };

	if (dry) {
		if (spool_check(sp, tmp_age, 0, print_finding, &r) < 0)
			cli_die_errno("unable to look at %s", spool_path(sp));
		fprintf(stderr, "%s: recover: %ld thing(s) to do\n", cli_prog,
		    r.found);
		return EX_OK;
	}
	if (spool_recover(sp, tmp_age, &rec) < 0)
		cli_die_errno("unable to recover %s", spool_path(sp));
	fprintf(stderr, "%s: recover: %d job(s) returned to the queue, "
	    "%d dead lease(s) removed, %d hung consumer(s) relieved, "
	    "%d stale tmp file(s) removed\n", cli_prog, rec.jobs, rec.leases,
	    rec.expired, rec.tmp);
	if (rec.busy)
		fprintf(stderr, "%s: recover: %d job(s) were being claimed "
		    "again as we looked: run it again to be sure\n", cli_prog,
		    rec.busy);
	return EX_OK;
}
