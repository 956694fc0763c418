/*
 * test_retry.c - failing jobs (consumer.c): a retry puts the job in wait/
 * with its due time as mtime, after an exponential backoff with jitter
 * within [d/2, d]; a waiting job is not claimed early and wakes when due;
 * max_attempts buries it with the last reason, at the retry or at the
 * claim; attempts are counted from the history (requeue resets them).
 */
#define TU_CONSUMER_FIXTURE
#define TU_SPOOL_FLAGS SPOOL_NOSYNC
#include "testutil.h"

/* Claim ID, pumping for at most ms. */
static void
claim(struct spool_job *job, const char *id, int ms)
{
	int64_t end = spool_mono() + ms;
	int rc;

	while ((rc = spool_consumer_claim(c, job)) == 0 && spool_mono() < end)
		pump(50);
	assert_int_equal(rc, 1);
	assert_string_equal(job->id, id);
}

/* The step before jitter of attempt k: min * 2^(k-1), capped. */
static const struct {
	int attempt;
	int64_t step;
} steps[] = {
	{ 1, 1000 }, { 2, 2000 }, { 3, 4000 }, { 4, 8000 }, { 5, 8000 },
	{ 9, 8000 }, { 40, 8000 },
};

static void
test_backoff(void **state)
{
	char id[16];
	struct spool_job job;
	size_t i;
	int k, rounds = 4;

	(void)state;
	opts.backoff_min = 1000;
	opts.backoff_max = 8000;
	opts.max_attempts = 100;
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		for (k = 0; k < rounds; k++) {
			snprintf(id, sizeof(id), "b%02zu-%d", i, k);
			tu_put(sp, SPOOL_QUEUED, id, "x");
		}
	start();
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		for (k = 0; k < rounds; k++) {
			int64_t before, after, due, d = steps[i].step;
			snprintf(id, sizeof(id), "b%02zu-%d", i, k);
			claim(&job, id, 1000);
			job.attempt = steps[i].attempt;
			before = spool_now();
			assert_int_equal(spool_job_retry(c, &job, "exit 1", "err"),
			    0);
			after = spool_now();
			assert_int_equal(tu_state(sp, id), SPOOL_WAITING);
			due = tu_mtime(sp, SPOOL_WAITING, id);
			if (due < before + d / 2 - 1 || due > after + d + 1)
				fail_msg("attempt %d: delay %lld not in [%lld, %lld]",
				    steps[i].attempt, (long long)(due - before),
				    (long long)d / 2, (long long)d);
			assert_int_equal(tu_events(sp, id, "retry"), 1);
		}
	/* None of them is claimed early. */
	assert_int_equal(spool_consumer_claim(c, &job), 0);
}

/* Due: woken to new/ and claimed again, attempt 2, the retry in its
 * history with status, error and delay. */
static void
test_wake(void **state)
{
	struct spool_job job;
	struct spool_meta m;
	char *text;

	(void)state;
	opts.backoff_min = 100;
	opts.backoff_max = 200;
	tu_put(sp, SPOOL_QUEUED, "w", "x");
	start();
	claim(&job, "w", 1000);
	assert_int_equal(job.attempt, 1);
	assert_int_equal(spool_job_retry(c, &job, "exit 75", "later\tplease"), 0);
	assert_int_equal(spool_consumer_claim(c, &job), 0);
	assert_int_equal(tu_state(sp, "w"), SPOOL_WAITING);
	claim(&job, "w", 2000);
	assert_int_equal(job.attempt, 2);
	assert_int_equal(spool_meta_read(sp, "w", &m), 0);
	assert_int_equal(m.attempts, 1);
	assert_string_equal(m.status, "exit 75");
	assert_string_equal(m.error, "later\tplease");
	assert_non_null(text = tu_get(sp, SPOOL_META, "w"));
	assert_non_null(strstr(text, " retry by="));
	assert_non_null(strstr(text, " attempt=1 status=\"exit 75\" "
	    "error=\"later\\tplease\" delay="));
	free(text);
	assert_int_equal(spool_job_complete(c, &job), 0);
	assert_int_equal(tu_events(sp, "w", "done"), 1);	/* it has a history */
}

/* The last attempt's retry buries, with the reason; exactly max runs. */
static void
test_max_attempts(void **state)
{
	static const int maxes[] = { 1, 2, 4 };
	struct spool_job job;
	struct spool_meta m;
	char id[16], want[64];
	size_t i;
	int run;

	(void)state;
	opts.backoff_min = 10;
	opts.backoff_max = 20;
	start();
	for (i = 0; i < sizeof(maxes) / sizeof(maxes[0]); i++) {
		opts.max_attempts = maxes[i];
		spool_consumer_set_opts(c, &opts);
		snprintf(id, sizeof(id), "poison%d", maxes[i]);
		tu_put(sp, SPOOL_QUEUED, id, "x");
		pump(100);
		for (run = 1; run <= maxes[i]; run++) {
			claim(&job, id, 2000);
			assert_int_equal(job.attempt, run);
			assert_int_equal(spool_job_retry(c, &job, "exit 1",
			    "boom"), run == maxes[i] ? 1 : 0);
		}
		assert_int_equal(tu_state(sp, id), SPOOL_DEAD);
		assert_int_equal(spool_meta_read(sp, id, &m), 0);
		assert_int_equal(m.attempts, maxes[i]);
		assert_string_equal(m.status, "exit 1");
		snprintf(want, sizeof(want), "max attempts (%d) reached: boom",
		    maxes[i]);
		assert_string_equal(m.error, want);
	}
}

/* A job whose history already used its attempts (its consumer died on
 * the last one) is buried at the claim, not run; a requeue resets. */
static void
test_claim_buries(void **state)
{
	struct spool_job job;
	struct spool_meta m;
	char *text;

	(void)state;
	opts.max_attempts = 2;
	tu_put(sp, SPOOL_META, "used", "2026-11-28T10:00:00.000Z retry by=h:1 "
	    "attempt=1 status=\"exit 3\" error=first\n2026-11-28T10:00:01.000Z "
	    "recover by=h:2 lease=h:1 attempt=2 status=lost error=x\n");
	tu_put(sp, SPOOL_QUEUED, "used", "x");
	tu_put(sp, SPOOL_QUEUED, "zfresh", "x");
	start();
	claim(&job, "zfresh", 1000);	/* "used" went to dead/ on the way */
	assert_int_equal(tu_state(sp, "used"), SPOOL_DEAD);
	assert_int_equal(spool_meta_read(sp, "used", &m), 0);
	assert_int_equal(m.attempts, 2);	/* no new run counted */
	assert_non_null(strstr(m.error, "max attempts (2) reached"));
	assert_int_equal(spool_job_complete(c, &job), 0);

	/* Requeued: runs again from attempt 1. */
	{
		int from;
		assert_int_equal(spool_job_act(sp, "used", SPOOL_REQUEUE, -1, "op",
		    NULL, &from), 0);
		assert_int_equal(from, SPOOL_DEAD);
	}
	claim(&job, "used", 2000);
	assert_int_equal(job.attempt, 1);
	assert_int_equal(spool_job_complete(c, &job), 0);
	assert_non_null(text = tu_get(sp, SPOOL_META, "used"));
	assert_non_null(strstr(text, " requeue by=op from=dead\n"));
	free(text);
}

static void
append(struct spool *s, const char *id, const char *text)
{
	int fd = openat(s->dir[SPOOL_META], id, O_WRONLY | O_APPEND | O_CREAT,
	    0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* A long history (more than any buffer) still counts right. */
static void
test_long_history(void **state)
{
	struct spool_job job;
	char line[256];
	int i, fd;

	(void)state;
	opts.max_attempts = 10;
	fd = openat(sp->dir[SPOOL_META], "long", O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	for (i = 0; i < 300; i++) {
		int n = snprintf(line, sizeof(line), "2026-11-28T10:00:00.000Z "
		    "retry by=h:1 attempt=%d status=\"exit 1\" error=\"%0150d\"\n",
		    i + 1, i);
		assert_int_equal(write(fd, line, (size_t)n), n);
	}
	close(fd);
	append(sp, "long", "2026-11-28T10:00:00.000Z requeue by=op from=dead\n");
	for (i = 0; i < 3; i++)
		append(sp, "long", "2026-11-28T10:00:00.000Z retry by=h:1 "
		    "attempt=1 status=x error=y\n");
	tu_put(sp, SPOOL_QUEUED, "long", "x");
	start();
	claim(&job, "long", 1000);
	assert_int_equal(job.attempt, 4);
	assert_int_equal(spool_job_complete(c, &job), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_backoff, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wake, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_attempts, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_claim_buries, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_long_history, setup,
		    teardown),
	};

	return cmocka_run_group_tests_name("retry", tests, NULL, NULL);
}
