/*
 * test_lease.c - leases and recovery (lease.c, recover.c).  A consumer is
 * played by a forked child that takes a lease, claims jobs and sleeps: its
 * jobs are kept while it lives and returned once it is killed with
 * SIGKILL; a lease that is not renewed expires; the ctime guard leaves a
 * job claimed this instant for the next pass; a lease left under our own
 * name is recovered first; compaction; stale tmp files.
 */
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>

#define TU_SPOOL_FIXTURE
#include "testutil.h"
#include "fault.h"
#include "lease.h"


/* A consumer in a child: lease (ttl ms), claim ids, say so, sleep. */
static pid_t
holder(const char *const *ids, int n, int64_t ttl)
{
	struct spool_lease l;
	struct spool *csp;
	int p[2], i;
	pid_t pid;
	char c;

	assert_int_equal(pipe(p), 0);
	if ((pid = fork()) == 0) {
		close(p[0]);
		if (spool_open(&csp, dir, 0) < 0 ||
		    spool_lease_create(csp, &l, ttl) < 0)
			_exit(1);
		for (i = 0; i < n; i++)
			if (spool_lease_note(&l, '+', ids[i]) < 0 ||
			    spool_job_move(csp, ids[i], SPOOL_QUEUED,
			    SPOOL_CLAIM) < 0)
				_exit(1);
		if (write(p[1], "k", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	assert_true(pid > 0);
	close(p[1]);
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	return pid;
}

static void
kill_holder(pid_t pid)
{
	int ws;

	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &ws, 0), pid);
}

/* Recover until n jobs came back, or 2 s: a job renamed within the last
 * clock tick is left for the next pass (busy). */
static struct spool_recovery
recover_all(int n)
{
	struct spool_recovery r, sum = { 0 };
	int i;

	for (i = 0; i < 200 && sum.jobs < n; i++) {
		assert_true(spool_recover(sp, -1, &r) >= 0);
		sum.jobs += r.jobs;
		sum.leases += r.leases;
		sum.expired += r.expired;
		if (sum.jobs < n)
			tu_sleep_ms(10);
	}
	return sum;
}

static void
test_live_kept_dead_returned(void **state)
{
	static const char *const ids[] = { "a", "b" };
	struct spool_lease_info li[4];
	struct spool_recovery r;
	char owner[SPOOL_OWNER_MAX], *text;
	pid_t pid;

	(void)state;
	tu_put(sp, SPOOL_QUEUED, "a", "A");
	tu_put(sp, SPOOL_QUEUED, "b", "B");
	tu_put(sp, SPOOL_QUEUED, "c", "C");
	pid = holder(ids, 2, 60000);
	assert_int_equal(spool_lease_list(sp, li, 4), 1);
	assert_true(li[0].alive);
	assert_false(li[0].expired);
	assert_int_equal(li[0].jobs, 2);
	assert_int_equal(li[0].pid, pid);
	assert_int_equal(li[0].ttl, 60000);
	snprintf(owner, sizeof(owner), "%s", li[0].name);
	tu_sleep_ms(20);
	/* Alive: nothing of it is taken. */
	assert_int_equal(spool_recover_needed(sp), 0);
	assert_int_equal(spool_recover(sp, -1, &r), 0);
	assert_int_equal(r.jobs + r.leases + r.expired + r.busy, 0);
	assert_int_equal(tu_state(sp, "a"), SPOOL_RUNNING);
	assert_int_equal(tu_state(sp, "b"), SPOOL_RUNNING);
	assert_int_equal(spool_lease_held_elsewhere(sp, "a"), 1);
	assert_int_equal(spool_lease_held_elsewhere(sp, "c"), 0);

	kill_holder(pid);
	assert_int_equal(spool_recover_needed(sp), 1);
	r = recover_all(2);
	assert_int_equal(r.jobs, 2);
	assert_int_equal(r.leases, 1);
	assert_int_equal(tu_state(sp, "a"), SPOOL_QUEUED);
	assert_int_equal(tu_state(sp, "b"), SPOOL_QUEUED);
	assert_int_equal(tu_state(sp, "c"), SPOOL_QUEUED);
	assert_int_equal(tu_count(sp, SPOOL_LEASE, 1), 0);
	assert_int_equal(spool_recover_needed(sp), 0);
	/* The run the dead holder started is counted, and by whom. */
	assert_non_null(text = tu_get(sp, SPOOL_META, "a"));
	assert_non_null(strstr(text, " recover by="));
	assert_non_null(strstr(text, owner));
	assert_non_null(strstr(text, " attempt=1 status=lost"));
	free(text);
}

static void
test_expired(void **state)
{
	static const char *const ids[] = { "slow" };
	struct spool_lease_info li;
	struct spool_recovery r;
	pid_t pid;

	(void)state;
	tu_put(sp, SPOOL_QUEUED, "slow", "S");
	pid = holder(ids, 1, 100);	/* never renewed */
	tu_sleep_ms(150);
	assert_int_equal(spool_lease_list(sp, &li, 1), 1);
	assert_true(li.alive);
	assert_true(li.expired);
	assert_int_equal(spool_recover_needed(sp), 1);
	r = recover_all(1);
	assert_int_equal(r.jobs, 1);
	assert_true(r.expired >= 1);
	assert_int_equal(r.leases, 0);		/* alive: not removed */
	assert_int_equal(tu_count(sp, SPOOL_LEASE, 0), 1);
	assert_int_equal(tu_state(sp, "slow"), SPOOL_QUEUED);
	kill_holder(pid);
	assert_true(spool_recover(sp, -1, &r) >= 0);
	assert_int_equal(r.leases, 1);
	assert_int_equal(tu_count(sp, SPOOL_LEASE, 1), 0);
}

/* A lease that cannot be read (EMFILE, EIO) may be alive: recovery fails
 * and moves nothing, rather than run its jobs a second time. */
static void
test_unreadable_lease(void **state)
{
	static const char *const ids[] = { "held" };
	static const int errs[] = { EMFILE, EIO, ENFILE };
	struct spool_recovery r;
	size_t i;
	pid_t pid;

	(void)state;
	tu_put(sp, SPOOL_QUEUED, "held", "H");
	pid = holder(ids, 1, 60000);
	tu_sleep_ms(150);	/* past the ctime guard */
	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		fault_reset();
		fault_arm(FAULT_OPENAT, 1, errs[i]);
		assert_int_equal(spool_recover(sp, -1, &r), -1);
		assert_int_equal(errno, errs[i]);
		assert_true(fault_fired());
		fault_reset();
		assert_int_equal(r.jobs, 0);
		assert_int_equal(tu_state(sp, "held"), SPOOL_RUNNING);
		assert_int_equal(tu_count(sp, SPOOL_LEASE, 0), 1);
	}
	assert_int_equal(spool_recover(sp, -1, &r), 0);	/* readable: alive */
	assert_int_equal(tu_state(sp, "held"), SPOOL_RUNNING);
	kill_holder(pid);
	r = recover_all(1);
	assert_int_equal(r.jobs, 1);
}

/* In cur/ with no lease at all: returned, lease=none. */
static void
test_orphan_without_lease(void **state)
{
	struct spool_recovery r;
	char *text;

	(void)state;
	tu_put(sp, SPOOL_RUNNING, "orphan", "O");
	tu_sleep_ms(20);
	r = recover_all(1);
	assert_int_equal(r.jobs, 1);
	assert_int_equal(tu_state(sp, "orphan"), SPOOL_QUEUED);
	assert_non_null(text = tu_get(sp, SPOOL_META, "orphan"));
	assert_non_null(strstr(text, " lease=none "));
	free(text);
}

/* The ctime guard: a job whose entry changed after the recovery started
 * (claimed again this instant) is busy, left for the next pass. */
static struct spool_sys real;

static int
touching_openat(int d, const char *path, int flags, mode_t mode)
{
	if (d == sp->dir[SPOOL_LEASE] && strcmp(path, "ghost:1") == 0)
		assert_int_equal(fchmodat(sp->dir[SPOOL_RUNNING], "busy", 0600,
		    0), 0);
	return real.openat(d, path, flags, mode);
}

static void
test_busy(void **state)
{
	struct spool_recovery r;
	char *text;

	(void)state;
	tu_put(sp, SPOOL_LEASE, "ghost:1", "host=ghost\npid=1\nboot_id=x\n"
	    "started=0\nttl=60000\nrenewed=0 0\n+busy\n");
	tu_put(sp, SPOOL_LEASE, "ghost:2", "host=ghost\npid=2\nboot_id=x\n"
	    "started=0\nttl=60000\nrenewed=0 0\n+other\n");
	tu_put(sp, SPOOL_RUNNING, "busy", "B");
	tu_sleep_ms(150);
	real = spool_sys;
	spool_sys.openat = touching_openat;
	assert_int_equal(spool_recover(sp, -1, &r), 0);
	spool_sys = real;
	assert_int_equal(r.busy, 1);
	assert_int_equal(r.jobs, 0);
	assert_int_equal(tu_state(sp, "busy"), SPOOL_RUNNING);
	/* The dead lease naming the busy job stays, so that the job comes
	 * back under its name; the other dead one goes. */
	assert_int_equal(r.leases, 1);
	assert_true(tu_exists(sp, SPOOL_LEASE, "ghost:1"));
	assert_false(tu_exists(sp, SPOOL_LEASE, "ghost:2"));
	r = recover_all(1);
	assert_int_equal(r.jobs, 1);
	assert_int_equal(r.leases, 1);
	assert_int_equal(tu_state(sp, "busy"), SPOOL_QUEUED);
	assert_int_equal(tu_count(sp, SPOOL_LEASE, 1), 0);
	assert_non_null(text = tu_get(sp, SPOOL_META, "busy"));
	assert_non_null(strstr(text, " lease=ghost:1 "));
	free(text);
}

/* A lease under our own name, left by a dead process with our pid: its
 * jobs come back before we take the name, and then we hold it. */
static void
test_own_name(void **state)
{
	struct spool_lease l;
	char text[256];
	int fd;

	(void)state;
	snprintf(text, sizeof(text), "host=%s\npid=%ld\nboot_id=old\nstarted=0\n"
	    "ttl=60000\nrenewed=0 0\n+mine\n", sp->host, (long)getpid());
	tu_put(sp, SPOOL_LEASE, spool_owner(sp), text);
	tu_put(sp, SPOOL_RUNNING, "mine", "M");
	tu_sleep_ms(150);	/* past the ctime guard */
	assert_int_equal(spool_lease_create(sp, &l, 60000), 0);
	assert_int_equal(tu_state(sp, "mine"), SPOOL_QUEUED);
	fd = openat(sp->dir[SPOOL_LEASE], spool_owner(sp), O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), -1);	/* ours now */
	close(fd);
	assert_int_equal(spool_lease_jobs(sp, spool_owner(sp), NULL, NULL), 0);
	spool_lease_release(sp, &l);
	assert_int_equal(tu_count(sp, SPOOL_LEASE, 1), 0);
}

static void
count_job(const char *id, void *arg)
{
	(void)id;
	(*(int *)arg)++;
}

/* A long journal is rewritten to the jobs still held, still locked. */
static void
test_compact(void **state)
{
	static const char *const held[] = { "keep1", "keep2", "keep3" };
	struct spool_lease l;
	struct stat st;
	char id[200];
	int i, n = 0, fd;

	(void)state;
	assert_int_equal(spool_lease_create(sp, &l, 60000), 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(spool_lease_note(&l, '+', held[i]), 0);
	for (i = 0; i < 1500; i++) {
		snprintf(id, sizeof(id), "%0150d", i);
		assert_int_equal(spool_lease_note(&l, '+', id), 0);
		assert_int_equal(spool_lease_note(&l, '-', id), 0);
	}
	assert_int_equal(spool_lease_jobs(sp, spool_owner(sp), count_job, &n), 3);
	assert_int_equal(spool_lease_compact(sp, &l, held, 3, 0), 0);
	assert_int_equal(fstatat(sp->dir[SPOOL_LEASE], spool_owner(sp), &st, 0), 0);
	assert_true(st.st_size < 1024);
	n = 0;
	assert_int_equal(spool_lease_jobs(sp, spool_owner(sp), count_job, &n), 3);
	assert_int_equal(n, 3);
	fd = openat(sp->dir[SPOOL_LEASE], spool_owner(sp), O_RDONLY);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), -1);
	close(fd);
	assert_int_equal(tu_count(sp, SPOOL_LEASE, 1), 1);	/* no dotfile */
	/* The journal goes on after the rewrite. */
	assert_int_equal(spool_lease_note(&l, '-', "keep2"), 0);
	assert_int_equal(spool_lease_jobs(sp, spool_owner(sp), NULL, NULL), 2);
	spool_lease_release(sp, &l);
}

static void
test_stale_tmp(void **state)
{
	struct spool_recovery r;

	(void)state;
	tu_put(sp, SPOOL_TMP, "old", "o");
	tu_put(sp, SPOOL_TMP, "fresh", "f");
	tu_set_mtime(sp, SPOOL_TMP, "old", spool_now() - 48LL * 3600 * 1000);
	assert_int_equal(spool_recover(sp, -1, &r), 0);
	assert_int_equal(r.tmp, 0);
	assert_int_equal(tu_count(sp, SPOOL_TMP, 0), 2);
	assert_int_equal(spool_recover(sp, 36LL * 3600 * 1000, &r), 0);
	assert_int_equal(r.tmp, 1);
	assert_false(tu_exists(sp, SPOOL_TMP, "old"));
	assert_true(tu_exists(sp, SPOOL_TMP, "fresh"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_live_kept_dead_returned,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_expired, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreadable_lease, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_orphan_without_lease,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_own_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_compact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_tmp, setup, teardown),
	};

	return cmocka_run_group_tests_name("lease", tests, NULL, NULL);
}
