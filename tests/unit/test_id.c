/*
 * test_id.c - job IDs (id.c): the format of spoolsubmit's IDs, the table
 * of valid and invalid names, sorting in generation order (also when the
 * clock steps back), and spool_id_time.
 */
#define TU_SPOOL_FIXTURE
#include "testutil.h"

/* "SSSSSSSSSS.NNNNNNNNN.PID.HOST", with only [A-Za-z0-9._-]. */
static void
check_format(const char *id)
{
	char pid[32];
	const char *p;
	int i;

	for (i = 0; i < 10; i++)
		assert_true(id[i] >= '0' && id[i] <= '9');
	assert_int_equal(id[10], '.');
	for (i = 11; i < 20; i++)
		assert_true(id[i] >= '0' && id[i] <= '9');
	assert_int_equal(id[20], '.');
	snprintf(pid, sizeof(pid), "%ld.", (long)getpid());
	assert_memory_equal(id + 21, pid, strlen(pid));
	assert_string_equal(id + 21 + strlen(pid), sp->host);
	for (p = id; *p; p++)
		assert_true((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("._-", *p));
	assert_true(spool_id_valid(id));
}

static void
test_format(void **state)
{
	char id[SPOOL_ID_MAX + 1];
	int i;

	(void)state;
	assert_true(sp->host[0] != '\0');
	for (i = 0; i < 1000; i++) {
		assert_int_equal(spool_id_new(sp, id), 0);
		check_format(id);
	}
}

static const struct {
	const char *id;
	int valid;
} valid_cases[] = {
	{ "", 0 }, { ".", 0 }, { "..", 0 }, { "../x", 0 }, { "a/b", 0 },
	{ "/", 0 }, { "x/", 0 }, { "/x", 0 }, { "./x", 0 }, { "a/../b", 0 },
	{ "a", 1 }, { "..x", 1 }, { "x..", 1 }, { "...", 1 }, { ".x", 1 },
	{ "-rf", 1 }, { "a b", 1 }, { "a\nb", 1 }, { "tab\there", 1 },
	{ "\x1b[31m", 1 }, { "\xff\xfe", 1 }, { "caf\xc3\xa9", 1 },
	{ "1700000000.123456789.1.host", 1 },
};

static void
test_valid_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(valid_cases) / sizeof(valid_cases[0]); i++) {
		if (spool_id_valid(valid_cases[i].id) != valid_cases[i].valid)
			fail_msg("spool_id_valid(case %zu) != %d", i,
			    valid_cases[i].valid);
	}
}

/* Lengths around the limit of a file name. */
static void
test_valid_length(void **state)
{
	static const struct { size_t len; int valid; } cases[] = {
		{ 1, 1 }, { 254, 1 }, { 255, 1 }, { 256, 0 }, { 1000, 0 },
	};
	char buf[1001];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(buf, 'x', cases[i].len);
		buf[cases[i].len] = '\0';
		assert_int_equal(spool_id_valid(buf), cases[i].valid);
	}
}

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Many IDs sort by name in the order they were made: strictly, so they
 * are unique too; and sorting a shuffled copy gives that order back. */
static void
test_sorting(void **state)
{
	enum { N = 20000 };
	char **ids = calloc(N, sizeof(*ids)), **shuf = calloc(N, sizeof(*shuf));
	char id[SPOOL_ID_MAX + 1];
	unsigned seed = 7;
	size_t i, j;

	(void)state;
	assert_non_null(ids);
	assert_non_null(shuf);
	for (i = 0; i < N; i++) {
		assert_int_equal(spool_id_new(sp, id), 0);
		ids[i] = strdup(id);
		if (i > 0 && strcmp(ids[i - 1], ids[i]) >= 0)
			fail_msg("%s !< %s", ids[i - 1], ids[i]);
	}
	memcpy(shuf, ids, N * sizeof(*ids));
	for (i = N - 1; i > 0; i--) {
		char *t;
		j = (size_t)rand_r(&seed) % (i + 1);
		t = shuf[i];
		shuf[i] = shuf[j];
		shuf[j] = t;
	}
	qsort(shuf, N, sizeof(*shuf), cmp);
	for (i = 0; i < N; i++)
		assert_ptr_equal(shuf[i], ids[i]);
	for (i = 0; i < N; i++)
		free(ids[i]);
	free(ids);
	free(shuf);
}

/* A clock that stepped back (the last ID is "in the future") still gives
 * increasing IDs. */
static void
test_clock_back(void **state)
{
	char a[SPOOL_ID_MAX + 1], b[SPOOL_ID_MAX + 1];
	int i;

	(void)state;
	sp->last_ns = ((int64_t)spool_now() + 3600 * 1000) * 1000000;
	assert_int_equal(spool_id_new(sp, a), 0);
	for (i = 0; i < 100; i++) {
		assert_int_equal(spool_id_new(sp, b), 0);
		assert_true(strcmp(a, b) < 0);
		strcpy(a, b);
	}
	check_format(a);
}

static const struct {
	const char *id;
	int64_t ms;
} time_cases[] = {
	{ "1700000000.123456789.42.host", 1700000000123LL },
	{ "0000000000.000000000.1.h", 0 },
	{ "0000000001.999999999.1.h", 1999 },
	{ "1700000000.123456789.", 1700000000123LL },
	{ "", -1 }, { "abc", -1 }, { "..", -1 },
	{ "1700000000.123456789", -1 },		/* too short */
	{ "170000000.1234567890.1.h", -1 },	/* dots misplaced */
	{ "1700000000x123456789.1.h", -1 },
	{ "1700000000.12345678x.1.h", -1 },
	{ "17000000x0.123456789.1.h", -1 },
	/* strtoll would take these; they are not spoolsubmit IDs */
	{ "-700000000.123456789.1.h", -1 },
	{ " 700000000.123456789.1.h", -1 },
	{ "+700000000.123456789.1.h", -1 },
	{ "1700000000.-12345678.1.h", -1 },
	{ "1700000000. 12345678.1.h", -1 },
};

static void
test_time_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(time_cases) / sizeof(time_cases[0]); i++) {
		int64_t got = spool_id_time(time_cases[i].id);
		if (got != time_cases[i].ms)
			fail_msg("spool_id_time(\"%s\") = %lld, want %lld",
			    time_cases[i].id, (long long)got,
			    (long long)time_cases[i].ms);
	}
}

/* A fresh ID carries the time it was made. */
static void
test_time_now(void **state)
{
	char id[SPOOL_ID_MAX + 1];
	int64_t before, after, t;

	(void)state;
	sp->last_ns = 0;
	before = spool_now();
	assert_int_equal(spool_id_new(sp, id), 0);
	after = spool_now();
	t = spool_id_time(id);
	assert_true(t >= before - 1 && t <= after + 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_valid_table),
		cmocka_unit_test(test_valid_length),
		cmocka_unit_test(test_sorting),
		cmocka_unit_test(test_clock_back),
		cmocka_unit_test(test_time_table),
		cmocka_unit_test(test_time_now),
	};

	return cmocka_run_group_tests_name("id", tests, setup, teardown);
}
