/*
 * test_submit.c - producing jobs (submit.c): one job, batches around the
 * group-commit limit (syncs per batch counted at the seam), jobs read from
 * a descriptor, delayed jobs in wait/ with their due time as mtime, the
 * IDs a commit reports, and aborting what is pending.
 */
#define TU_SPOOL_FIXTURE
#include "testutil.h"
#include "fault.h"


static void
test_single(void **state)
{
	struct spool_submit *s = spool_submit_open(sp, 0);
	char id[SPOOL_ID_MAX + 1], *text;
	size_t queued = 99;

	(void)state;
	assert_non_null(s);
	fault_reset();
	assert_int_equal(spool_submit_add(s, "hello\n", 6, id), 0);
	assert_true(spool_id_valid(id));
	assert_int_equal(spool_submit_pending(s), 1);
	assert_null(spool_submit_id(s, 0));	/* nothing committed yet */
	assert_true(tu_exists(sp, SPOOL_TMP, id));
	assert_int_equal(spool_submit_commit(s, &queued), 0);
	/* One fsync of the file, one of new/; no syncfs for one file. */
	assert_int_equal(fault_calls(FAULT_FSYNC), 2);
	assert_int_equal(fault_calls(FAULT_SYNCFS), 0);
	assert_int_equal(queued, 1);
	assert_int_equal(spool_submit_pending(s), 0);
	assert_string_equal(spool_submit_id(s, 0), id);
	assert_null(spool_submit_id(s, 1));
	assert_int_equal(tu_state(sp, id), SPOOL_QUEUED);
	assert_non_null(text = tu_get(sp, SPOOL_QUEUED, id));
	assert_string_equal(text, "hello\n");
	free(text);
	assert_int_equal(tu_count(sp, SPOOL_TMP, 1), 0);
	spool_submit_close(s);
}

/* Batches below, at and above the number of files one syncfs covers:
 * syncs are ceil(n / 64) for the data plus one for new/. */
static void
test_batch(void **state)
{
	static const size_t sizes[] = { 2, 63, 64, 65, 200 };
	char id[SPOOL_ID_MAX + 1], body[64], **ids;
	size_t c, i, queued;

	(void)state;
	for (c = 0; c < sizeof(sizes) / sizeof(sizes[0]); c++) {
		struct spool_submit *s = spool_submit_open(sp, 0);
		size_t n = sizes[c];
		int before = tu_count(sp, SPOOL_QUEUED, 0);

		ids = calloc(n, sizeof(*ids));
		fault_reset();
		for (i = 0; i < n; i++) {
			snprintf(body, sizeof(body), "job %zu of %zu\n", i, n);
			assert_int_equal(spool_submit_add(s, body, strlen(body),
			    id), 0);
			ids[i] = strdup(id);
			if (i > 0)
				assert_true(strcmp(ids[i - 1], ids[i]) < 0);
		}
		assert_int_equal(spool_submit_commit(s, &queued), 0);
		assert_int_equal(queued, n);
		assert_int_equal(fault_calls(FAULT_FSYNC) +
		    fault_calls(FAULT_SYNCFS), (int)((n + 63) / 64 + 1));
		assert_int_equal(fault_calls(FAULT_RENAME), (int)n);
		for (i = 0; i < n; i++) {
			char *text = tu_get(sp, SPOOL_QUEUED, ids[i]);
			snprintf(body, sizeof(body), "job %zu of %zu\n", i, n);
			assert_non_null(text);
			assert_string_equal(text, body);
			assert_string_equal(spool_submit_id(s, i), ids[i]);
			free(text);
			free(ids[i]);
		}
		free(ids);
		assert_int_equal(tu_count(sp, SPOOL_QUEUED, 0), before + (int)n);
		assert_int_equal(tu_count(sp, SPOOL_TMP, 1), 0);
		spool_submit_close(s);
	}
}

/* From a descriptor, bigger than the copy buffer; and an empty job. */
static void
test_add_fd(void **state)
{
	static const size_t sizes[] = { 0, 1, 65536, 65537, 200000 };
	char id[SPOOL_ID_MAX + 1], tmpl[] = "/tmp/test_submit.XXXXXX";
	size_t c, i, queued;

	(void)state;
	for (c = 0; c < sizeof(sizes) / sizeof(sizes[0]); c++) {
		struct spool_submit *s = spool_submit_open(sp, 0);
		char *want = malloc(sizes[c] + 1), *got;
		int fd;

		strcpy(tmpl, "/tmp/test_submit.XXXXXX");
		assert_true((fd = mkstemp(tmpl)) >= 0);
		unlink(tmpl);
		for (i = 0; i < sizes[c]; i++)
			want[i] = (char)('a' + i % 26);
		want[sizes[c]] = '\0';
		assert_int_equal(write(fd, want, sizes[c]), (ssize_t)sizes[c]);
		assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
		assert_int_equal(spool_submit_add_fd(s, fd, id), 0);
		close(fd);
		assert_int_equal(spool_submit_commit(s, &queued), 0);
		assert_int_equal(queued, 1);
		assert_non_null(got = tu_get(sp, SPOOL_QUEUED, id));
		assert_int_equal(strlen(got), sizes[c]);
		assert_string_equal(got, want);
		free(got);
		free(want);
		spool_submit_close(s);
	}
}

/* Delayed: wait/ID, its mtime the due time; nothing in new/. */
static void
test_delayed(void **state)
{
	static const int64_t delays[] = { 1, 5000, 3600 * 1000 };
	char id[SPOOL_ID_MAX + 1];
	size_t c, queued;

	(void)state;
	for (c = 0; c < sizeof(delays) / sizeof(delays[0]); c++) {
		struct spool_submit *s = spool_submit_open(sp, delays[c]);
		int64_t before = spool_now(), after, due;

		assert_int_equal(spool_submit_add(s, "later", 5, id), 0);
		assert_int_equal(spool_submit_commit(s, &queued), 0);
		after = spool_now();
		assert_int_equal(queued, 1);
		assert_int_equal(tu_state(sp, id), SPOOL_WAITING);
		due = tu_mtime(sp, SPOOL_WAITING, id);
		assert_true(due >= before + delays[c] - 1);
		assert_true(due <= after + delays[c] + 1);
		spool_submit_close(s);
	}
}

static void
test_empty_and_abort(void **state)
{
	struct spool_submit *s = spool_submit_open(sp, 0);
	char id[SPOOL_ID_MAX + 1], ids[3][SPOOL_ID_MAX + 1];
	size_t queued = 7;
	int i, jobs = tu_jobs(sp);

	(void)state;
	fault_reset();
	assert_int_equal(spool_submit_commit(s, &queued), 0);	/* nothing */
	assert_int_equal(queued, 0);
	assert_int_equal(fault_calls(FAULT_FSYNC), 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(spool_submit_add(s, "x", 1, ids[i]), 0);
	assert_int_equal(tu_count(sp, SPOOL_TMP, 1), 3);
	spool_submit_close(s);	/* aborts: tmp/ is clean, nothing queued */
	assert_int_equal(tu_count(sp, SPOOL_TMP, 1), 0);
	assert_int_equal(tu_jobs(sp), jobs);
	for (i = 0; i < 3; i++)
		assert_int_equal(tu_state(sp, ids[i]), -1);
	spool_submit_close(NULL);

	/* One submission, several commits; IDs of the last one only. */
	s = spool_submit_open(sp, 0);
	assert_int_equal(spool_submit_add(s, "a", 1, ids[0]), 0);
	assert_int_equal(spool_submit_commit(s, &queued), 0);
	assert_string_equal(spool_submit_id(s, 0), ids[0]);
	assert_int_equal(spool_submit_add(s, "b", 1, id), 0);
	assert_null(spool_submit_id(s, 0));	/* slots reused by the add */
	assert_int_equal(spool_submit_commit(s, &queued), 0);
	assert_int_equal(queued, 1);
	assert_string_equal(spool_submit_id(s, 0), id);
	spool_submit_close(s);
}

/* durable: false skips every sync. */
static void
test_nosync(void **state)
{
	struct spool *ns = tu_open(dir, SPOOL_NOSYNC);
	struct spool_submit *s = spool_submit_open(ns, 0);
	char id[SPOOL_ID_MAX + 1];
	size_t queued, i;

	(void)state;
	assert_false(spool_durable(ns));
	fault_reset();
	for (i = 0; i < 100; i++)
		assert_int_equal(spool_submit_add(s, "n", 1, id), 0);
	assert_int_equal(spool_submit_commit(s, &queued), 0);
	assert_int_equal(queued, 100);
	assert_int_equal(fault_calls(FAULT_FSYNC), 0);
	assert_int_equal(fault_calls(FAULT_SYNCFS), 0);
	spool_submit_close(s);
	spool_close(ns);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single),
		cmocka_unit_test(test_batch),
		cmocka_unit_test(test_add_fd),
		cmocka_unit_test(test_delayed),
		cmocka_unit_test(test_empty_and_abort),
		cmocka_unit_test(test_nosync),
	};

	return cmocka_run_group_tests_name("submit", tests, setup, teardown);
}
