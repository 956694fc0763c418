/*
 * test_consumer.c - claiming (consumer.c): oldest first, from a scan and
 * from notifications, with an index bounded far below the queue; files
 * still open for writing are left alone, unless spool_submit marked them
 * complete (a mark that every move keeps); entries that cannot be run
 * (symlink, FIFO, directory, control characters) go to dead/ with their
 * reason; complete, return, bury, lost jobs.  Retries, backoff and
 * max_attempts are in test_retry.c.
 */
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#define TU_CONSUMER_FIXTURE
#include "testutil.h"

/* Claim until nothing is ready (pumping up to tries times): the IDs in
 * the order claimed, each completed. */
static int
claim_all(char ids[][SPOOL_ID_MAX + 1], int max, int tries)
{
	struct spool_job job;
	int n = 0, rc;

	while (n < max) {
		if ((rc = spool_consumer_claim(c, &job)) < 0)
			fail_msg("claim: %s", strerror(errno));
		if (rc == 0) {
			if (tries-- <= 0)
				break;
			pump(100);
			continue;
		}
		assert_int_equal(job.attempt, 1);
		assert_int_equal(tu_state(sp, job.id), SPOOL_RUNNING);
		strcpy(ids[n++], job.id);
		assert_int_equal(spool_job_complete(c, &job), 0);
		assert_int_equal(tu_state(sp, job.id), SPOOL_DONE);
	}
	return n;
}

static void
submit(int n, char ids[][SPOOL_ID_MAX + 1])
{
	struct spool_submit *s = spool_submit_open(sp, 0);
	size_t queued;
	int i;

	for (i = 0; i < n; i++)
		assert_int_equal(spool_submit_add(s, "job\n", 4, ids[i]), 0);
	assert_int_equal(spool_submit_commit(s, &queued), 0);
	spool_submit_close(s);
}

/* Names put in new/ in a shuffled order come out sorted; jobs submitted
 * while the consumer runs come after them, in order too. */
static void
test_order(void **state)
{
	static const char *const names[] = { "j05", "j01", "j09", "j03", "j07",
	    "j02", "j10", "j04", "j08", "j06" };
	char got[20][SPOOL_ID_MAX + 1], sub[5][SPOOL_ID_MAX + 1], want[16];
	int i;

	(void)state;
	for (i = 0; i < 10; i++)
		tu_put(sp, SPOOL_QUEUED, names[i], names[i]);
	start();
	submit(5, sub);
	pump(100);	/* the index knows them all: the smallest first */
	assert_int_equal(claim_all(got, 20, 5), 15);
	for (i = 0; i < 10; i++) {
		snprintf(want, sizeof(want), "j%02d", i + 1);
		assert_string_equal(got[i + 5], want);	/* digits sort first */
	}
	for (i = 0; i < 5; i++)
		assert_string_equal(got[i], sub[i]);
	/* A first-run success writes no history. */
	assert_int_equal(tu_count(sp, SPOOL_META, 1), 0);
	assert_int_equal(tu_count(sp, SPOOL_DONE, 0), 15);
}

/* max_index 4 over 20 jobs: every job, in order, from scans and from
 * notifications that overflow the index. */
static void
test_bounded_index(void **state)
{
	static const int scanned[] = { 1, 0 };
	char ids[20][SPOOL_ID_MAX + 1], got[20][SPOOL_ID_MAX + 1];
	size_t k;
	int i;

	(void)state;
	opts.max_index = 4;
	for (k = 0; k < 2; k++) {
		if (scanned[k])
			submit(20, ids);
		start();
		if (!scanned[k]) {
			submit(20, ids);
			pump(100);
		}
		assert_int_equal(claim_all(got, 20, 5), 20);
		for (i = 0; i < 20; i++)
			assert_string_equal(got[i], ids[i]);
		spool_consumer_close(c);
		c = NULL;
	}
}

/* A file open for writing in new/ is not claimed, however old; its close
 * brings it in whole. */
static void
test_being_written(void **state)
{
	static const int before[] = { 1, 0 };	/* writer first, or consumer */
	struct spool_job job;
	char *text;
	size_t k;
	int fd, i;

	(void)state;
	opts.scan = 50;
	for (k = 0; k < 2; k++) {
		if (!before[k])
			start();
		fd = openat(sp->dir[SPOOL_QUEUED], "slow", O_WRONLY | O_CREAT |
		    O_EXCL, 0644);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, "part one\n", 9), 9);
		tu_set_mtime(sp, SPOOL_QUEUED, "slow", spool_now() - 10000);
		if (before[k])
			start();
		for (i = 0; i < 4; i++) {
			pump(60);	/* scans come and go */
			assert_int_equal(spool_consumer_claim(c, &job), 0);
			assert_int_equal(tu_state(sp, "slow"), SPOOL_QUEUED);
		}
		assert_int_equal(write(fd, "part two\n", 9), 9);
		assert_int_equal(close(fd), 0);
		pump(200);
		assert_int_equal(spool_consumer_claim(c, &job), 1);
		assert_string_equal(job.id, "slow");
		assert_non_null(text = tu_get(sp, SPOOL_RUNNING, "slow"));
		assert_string_equal(text, "part one\npart two\n");
		free(text);
		assert_int_equal(spool_job_complete(c, &job), 0);
		assert_int_equal(unlinkat(sp->dir[SPOOL_DONE], "slow", 0), 0);
		spool_consumer_close(c);
		c = NULL;
	}
}

/* A child that opens DIR/NAME for writing and closes it, again and again,
 * until killed (or we die). */
static pid_t
writer_loop(int dirfd, const char *name)
{
	pid_t pid = fork();
	int fd;

	assert_true(pid >= 0);
	if (pid == 0 && prctl(PR_SET_PDEATHSIG, SIGKILL) == 0)
		for (;;)
			if ((fd = openat(dirfd, name, O_WRONLY | O_NONBLOCK)) >= 0)
				close(fd);
	return pid;
}

/* The lease probe, broken by another process's open for writing, must not
 * signal us to death (SIGIO, by default), whichever of the two wins. */
static void
test_probe_broken(void **state)
{
	int i, seen[3] = { 0, 0, 0 }, ws;
	pid_t pid;

	(void)state;
	tu_put(sp, SPOOL_QUEUED, "busy", "x");
	pid = writer_loop(sp->dir[SPOOL_QUEUED], "busy");
	/* Enough probes that the writer breaks some of the leases. */
	for (i = 0; i < 20000; i++)
		seen[spool_being_written(sp->dir[SPOOL_QUEUED], "busy") + 1]++;
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	assert_int_equal(seen[0], 0);		/* always an answer */
	assert_true(seen[1] > 0 && seen[2] > 0);	/* both answers seen */
}

/* A job opened for writing (spoold --stamp) while another consumer's probe
 * holds a lease on it: the open waits for the probe to let go. */
static void
test_open_during_probe(void **state)
{
	struct spool_job job;
	int p[2], fd;
	pid_t pid;
	char b;

	(void)state;
	tu_put(sp, SPOOL_QUEUED, "stamped", "x");
	start();
	assert_int_equal(spool_consumer_claim(c, &job), 1);
	assert_int_equal(pipe(p), 0);
	if ((pid = fork()) == 0) {	/* the probe, held for 30 ms */
		fd = openat(sp->dir[SPOOL_RUNNING], "stamped", O_RDONLY);
		if (fd < 0 || fcntl(fd, F_SETSIG, SIGURG) < 0 ||
		    fcntl(fd, F_SETLEASE, F_RDLCK) < 0)
			_exit(1);
		(void)!write(p[1], "l", 1);
		usleep(30000);
		_exit(0);
	}
	close(p[1]);
	assert_int_equal(read(p[0], &b, 1), 1);
	close(p[0]);
	fd = spool_job_open(c, &job, O_WRONLY | O_APPEND);
	if (fd < 0)
		fail_msg("open during a probe: %s", strerror(errno));
	close(fd);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	assert_int_equal(spool_job_complete(c, &job), 0);
}

static int
marked(int st, const char *id)
{
	struct stat sb;

	assert_int_equal(fstatat(sp->dir[st], id, &sb, AT_SYMLINK_NOFOLLOW), 0);
	return (sb.st_mode & S_ISVTX) != 0;
}

/* spool_submit's jobs carry the completeness mark through every move; a
 * scanned job with it is claimed without the being-written probe (here, a
 * writer it would have waited for). */
static void
test_complete_mark(void **state)
{
	struct spool_submit *s;
	struct spool_job job;
	char id[SPOOL_ID_MAX + 1];
	size_t queued;
	int fd;

	(void)state;
	assert_non_null(s = spool_submit_open(sp, 0));
	assert_int_equal(spool_submit_add(s, "whole\n", 6, id), 0);
	assert_int_equal(spool_submit_commit(s, &queued), 0);
	spool_submit_close(s);
	assert_true(marked(SPOOL_QUEUED, id));
	/* Open for writing, as no spool job ever is: a scan takes it all the
	 * same, on the strength of the mark. */
	fd = openat(sp->dir[SPOOL_QUEUED], id, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	start();
	assert_int_equal(spool_consumer_claim(c, &job), 1);
	assert_string_equal(job.id, id);
	close(fd);
	assert_true(marked(SPOOL_RUNNING, id));
	assert_int_equal(spool_job_return(c, &job, "test"), 0);
	assert_true(marked(SPOOL_QUEUED, id));
	pump(100);
	assert_int_equal(spool_consumer_claim(c, &job), 1);
	assert_int_equal(spool_job_retry(c, &job, "1", "again"), 0);
	assert_true(marked(SPOOL_WAITING, id));
	spool_consumer_close(c);
	c = NULL;
	/* Written in place: no mark. */
	fd = openat(sp->dir[SPOOL_QUEUED], "byhand", O_WRONLY | O_CREAT |
	    O_EXCL, 0644);
	assert_true(fd >= 0);
	close(fd);
	assert_false(marked(SPOOL_QUEUED, "byhand"));
}

/* Entries that are not jobs to run: dead/ with a reason, unopened. */
static const struct {
	const char *name, *why;
} rejects[] = {
	{ "link", "a symlink" }, { "fifo", "a FIFO" },
	{ "adir", "a directory" }, { "sock", "a socket" },
	{ "bad\nname", "unsafe name: control characters" },
	{ "esc\x1b[31m", "unsafe name: control characters" },
	{ "del\x7f", "unsafe name: control characters" },
};

static void
test_rejects(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char target[600], *text, err[128];
	struct spool_job job;
	struct stat st;
	size_t i;
	int s;

	(void)state;
	snprintf(target, sizeof(target), "%s/target", dir);
	tu_put(sp, SPOOL_QUEUED, "ok", "fine");
	assert_int_equal(symlinkat(target, sp->dir[SPOOL_QUEUED], "link"), 0);
	{
		int fd = open(target, O_WRONLY | O_CREAT, 0644);
		assert_int_equal(write(fd, "precious", 8), 8);
		close(fd);
	}
	assert_int_equal(mkfifoat(sp->dir[SPOOL_QUEUED], "fifo", 0644), 0);
	assert_int_equal(mkdirat(sp->dir[SPOOL_QUEUED], "adir", 0755), 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/new/sock", dir);
	assert_true((s = socket(AF_UNIX, SOCK_STREAM, 0)) >= 0);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(s);
	for (i = 4; i < sizeof(rejects) / sizeof(rejects[0]); i++)
		tu_put(sp, SPOOL_QUEUED, rejects[i].name, "x");
	start();
	assert_int_equal(spool_consumer_claim(c, &job), 1);
	assert_string_equal(job.id, "ok");
	assert_int_equal(spool_consumer_claim(c, &job), 0);
	for (i = 0; i < sizeof(rejects) / sizeof(rejects[0]); i++) {
		if (tu_state(sp, rejects[i].name) != SPOOL_DEAD)
			fail_msg("case %zu: not in dead/", i);
		assert_non_null(text = tu_get(sp, SPOOL_META, rejects[i].name));
		assert_true(spool_meta_field(text, "error", err, sizeof(err)));
		assert_string_equal(err, rejects[i].why);
		assert_non_null(strstr(text, " dead "));
		free(text);
	}
	assert_int_equal(fstatat(sp->dir[SPOOL_DEAD], "link", &st,
	    AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISLNK(st.st_mode));
	{
		int fd = open(target, O_RDONLY);
		char buf[16] = "";
		assert_int_equal(read(fd, buf, sizeof(buf)), 8);
		assert_string_equal(buf, "precious");
		close(fd);
	}
	assert_int_equal(spool_job_complete(c, &job), 0);
}

/* Return: back in new/, the run not counted; claimed again as attempt 1.
 * Bury: dead/ with the status and the reason in the history. */
static void
test_return_bury(void **state)
{
	char ids[2][SPOOL_ID_MAX + 1];
	struct spool_job job;
	struct spool_meta m;

	(void)state;
	submit(2, ids);
	start();
	assert_int_equal(spool_consumer_claim(c, &job), 1);
	assert_int_equal(spool_consumer_running(c), 1);
	assert_int_equal(spool_job_return(c, &job, "shutting down"), 0);
	assert_int_equal(spool_consumer_running(c), 0);
	assert_int_equal(tu_state(sp, ids[0]), SPOOL_QUEUED);
	assert_int_equal(tu_events(sp, ids[0], "return"), 1);
	pump(200);
	assert_int_equal(spool_consumer_claim(c, &job), 1);
	assert_string_equal(job.id, ids[0]);
	assert_int_equal(job.attempt, 1);
	assert_int_equal(spool_job_bury(c, &job, "exit 65", "bad input\nline 2"),
	    0);
	assert_int_equal(tu_state(sp, ids[0]), SPOOL_DEAD);
	assert_int_equal(spool_meta_read(sp, ids[0], &m), 0);
	assert_int_equal(m.attempts, 1);
	assert_string_equal(m.status, "exit 65");
	assert_string_equal(m.error, "bad input\nline 2");
	assert_string_equal(m.owner, spool_owner(sp));
}

/* A job moved out of cur/ behind our back is reported lost; moving it
 * then says ENOENT and touches nothing. */
static void
test_lost(void **state)
{
	char ids[1][SPOOL_ID_MAX + 1], lost[SPOOL_ID_MAX + 1];
	struct spool_job job;
	struct spool_lease_info li;
	int i;

	(void)state;
	submit(1, ids);
	start();
	assert_int_equal(spool_consumer_claim(c, &job), 1);
	assert_int_equal(spool_lease_list(sp, &li, 1), 1);
	assert_true(li.alive);
	assert_int_equal(li.jobs, 1);
	assert_int_equal(spool_consumer_lost(c, lost), 0);
	assert_int_equal(renameat(sp->dir[SPOOL_RUNNING], job.id,
	    sp->dir[SPOOL_DEAD], job.id), 0);	/* a cancel */
	for (i = 0; i < 20 && !spool_consumer_lost(c, lost); i++)
		pump(50);
	assert_true(i < 20);
	assert_string_equal(lost, job.id);
	assert_int_equal(spool_job_complete(c, &job), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(tu_state(sp, job.id), SPOOL_DEAD);
	assert_int_equal(spool_consumer_running(c), 0);
	spool_consumer_work(c);
	assert_int_equal(spool_lease_list(sp, &li, 1), 1);
	assert_int_equal(li.jobs, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bounded_index, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_being_written, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_probe_broken, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_open_during_probe, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_complete_mark, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_rejects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_return_bury, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_lost, setup, teardown),
	};

	return cmocka_run_group_tests_name("consumer", tests, NULL, NULL);
}
