/*
 * test_index.c - the in-memory indexes (index.c): heap order (min and
 * max, keys then names), K-smallest selection with a bounded max-heap and
 * with the consumer's compact index (spool_lowest), the string set and
 * the name list.
 */
#include "testutil.h"
#include "index.h"

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names that do not arrive in order: a shuffled "job%05d". */
static char **
shuffled(size_t n, unsigned seed)
{
	char **v = calloc(n, sizeof(*v)), buf[32];
	size_t i, j;

	assert_non_null(v);
	for (i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "job%05zu", i);
		v[i] = strdup(buf);
	}
	for (i = n - 1; i > 0; i--) {
		char *t;
		j = (size_t)rand_r(&seed) % (i + 1);
		t = v[i];
		v[i] = v[j];
		v[j] = t;
	}
	return v;
}

static void
free_names(char **v, size_t n)
{
	while (n > 0)
		free(v[--n]);
	free(v);
}

/* (key, name) cases and the order they must come out in, for each kind. */
static const struct {
	int64_t key;
	const char *name;
} ents[] = {
	{ 5, "b" }, { 0, "z" }, { 5, "a" }, { -3, "m" }, { 0, "a" },
	{ 100, "x" }, { 5, "c" }, { 0, "0" }, { 100, "a" }, { -3, "n" },
};
static const char *const min_order[] = {
	"m", "n", "0", "a", "z", "a", "b", "c", "a", "x",
};

static void
test_heap_order(void **state)
{
	static const int maxes[] = { 0, 1 };
	size_t i, k, n = sizeof(ents) / sizeof(ents[0]);

	(void)state;
	for (k = 0; k < 2; k++) {
		struct spool_heap h = { .max = maxes[k] };
		for (i = 0; i < n; i++)
			assert_int_equal(spool_heap_push(&h, ents[i].name,
			    ents[i].key, (unsigned)i), 0);
		for (i = 0; i < n; i++) {
			struct spool_hent e;
			const char *want = maxes[k] ? min_order[n - 1 - i] :
			    min_order[i];
			assert_non_null(spool_heap_top(&h));
			assert_string_equal(spool_heap_top(&h)->name, want);
			e = spool_heap_pop(&h);
			assert_string_equal(e.name, want);
			assert_string_equal(ents[e.flags].name, want);
			free(e.name);
		}
		assert_null(spool_heap_top(&h));
		spool_heap_free(&h);
	}
}

/* Many names with equal keys come out sorted by name: oldest first. */
static void
test_heap_names(void **state)
{
	enum { N = 5000 };
	struct spool_heap h = { 0 };
	char **v = shuffled(N, 11), *prev = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < N; i++)
		assert_int_equal(spool_heap_push(&h, v[i], 0, 0), 0);
	assert_int_equal(h.n, N);
	for (i = 0; i < N; i++) {
		struct spool_hent e = spool_heap_pop(&h);
		if (prev)
			assert_true(strcmp(prev, e.name) < 0);
		free(prev);
		prev = e.name;
	}
	free(prev);
	spool_heap_free(&h);
	free_names(v, N);
}

/* The scan's selection: a max-heap bounded at K keeps the K smallest
 * names whatever the order they arrive in. */
static void
test_k_smallest(void **state)
{
	static const struct { size_t n, k; } cases[] = {
		{ 20, 4 }, { 1000, 1 }, { 1000, 64 }, { 3, 10 }, { 500, 500 },
		{ 0, 4 },
	};
	size_t c, i;

	(void)state;
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		size_t n = cases[c].n, k = cases[c].k, want = n < k ? n : k;
		char **v = shuffled(n ? n : 1, (unsigned)c), **sorted;
		struct spool_heap h = { .max = 1 };

		for (i = 0; i < n; i++) {
			if (h.n < k) {
				assert_int_equal(spool_heap_push(&h, v[i], 0, 0), 0);
			} else if (strcmp(v[i], spool_heap_top(&h)->name) < 0) {
				struct spool_hent e = spool_heap_pop(&h);
				free(e.name);
				assert_int_equal(spool_heap_push(&h, v[i], 0, 0), 0);
			}
		}
		assert_int_equal(h.n, want);
		sorted = calloc(n + 1, sizeof(*sorted));
		memcpy(sorted, v, n * sizeof(*v));
		qsort(sorted, n, sizeof(*sorted), cmp_str);
		/* The max-heap gives them largest first. */
		for (i = want; i > 0; i--) {
			struct spool_hent e = spool_heap_pop(&h);
			assert_string_equal(e.name, sorted[i - 1]);
			free(e.name);
		}
		free(sorted);
		spool_heap_free(&h);
		free_names(v, n ? n : 1);
	}
}

/* The consumer's scan index: the K lowest names of a directory, in
 * bounded memory, whatever order the directory lists them in. */
static const struct {
	size_t n, k;
	int order;	/* 0 shuffled, 1 ascending, -1 descending */
	int pad;	/* extra bytes per name: long names grow the arena */
} lowest_cases[] = {
	{ 0, 4, 0, 0 }, { 3, 10, 0, 0 }, { 20, 4, 0, 0 }, { 20, 20, 0, 0 },
	{ 21, 20, 0, 0 }, { 1000, 1, 0, 0 }, { 1000, 64, 0, 0 },
	{ 1000, 64, 1, 0 }, { 1000, 64, -1, 0 }, { 5000, 300, 0, 200 },
	{ 3000, 3000, 0, 30 },
};

static void
test_lowest(void **state)
{
	size_t c, i, round;

	(void)state;
	for (c = 0; c < sizeof(lowest_cases) / sizeof(lowest_cases[0]); c++) {
		size_t n = lowest_cases[c].n, k = lowest_cases[c].k;
		size_t want = n < k ? n : k, bound = k + k / 4 + 16;
		char **v = shuffled(n ? n : 1, (unsigned)c + 100), **sorted;
		struct spool_lowest l;
		char buf[300];

		sorted = calloc(n + 1, sizeof(*sorted));
		for (i = 0; i < n; i++) {
			snprintf(buf, sizeof(buf), "%s%0*d", v[i],
			    lowest_cases[c].pad, 0);
			free(v[i]);
			v[i] = strdup(buf);
		}
		memcpy(sorted, v, n * sizeof(*v));
		qsort(sorted, n, sizeof(*sorted), cmp_str);
		spool_lowest_init(&l, k);
		for (round = 0; round < 2; round++) {	/* cleared, then reused */
			for (i = 0; i < n; i++) {
				const char *name = lowest_cases[c].order == 0 ? v[i] :
				    lowest_cases[c].order > 0 ? sorted[i] :
				    sorted[n - 1 - i];
				assert_int_equal(spool_lowest_offer(&l, name), 0);
				if (l.n > bound)
					fail_msg("case %zu: %zu names held, bound %zu",
					    c, l.n, bound);
			}
			assert_int_equal(spool_lowest_seal(&l), 0);
			assert_int_equal(l.truncated, n > k);
			for (i = 0; i < want; i++) {
				assert_non_null(spool_lowest_top(&l));
				if (strcmp(spool_lowest_top(&l), sorted[i]) != 0)
					fail_msg("case %zu: name %zu is %s, want %s", c,
					    i, spool_lowest_top(&l), sorted[i]);
				spool_lowest_pop(&l);
			}
			assert_null(spool_lowest_top(&l));
			spool_lowest_pop(&l);	/* past the end: harmless */
			spool_lowest_clear(&l);
			assert_null(spool_lowest_top(&l));
		}
		spool_lowest_free(&l);
		free(sorted);
		free_names(v, n ? n : 1);
	}
}

static void
test_heap_clear_reuse(void **state)
{
	struct spool_heap h = { 0 };
	struct spool_hent e;
	int round, i;

	(void)state;
	for (round = 0; round < 3; round++) {
		for (i = 0; i < 100; i++)
			assert_int_equal(spool_heap_push(&h, "x", 100 - i, 0), 0);
		e = spool_heap_pop(&h);
		assert_int_equal(e.key, 1);
		free(e.name);
		spool_heap_clear(&h);
		assert_int_equal(h.n, 0);
		assert_null(spool_heap_top(&h));
	}
	spool_heap_free(&h);
	spool_heap_free(&h);	/* twice is harmless */
}

static void
test_set(void **state)
{
	enum { N = 10000 };
	struct spool_set s = { 0 };
	static const char *const vals[] = { "one", "two" };
	char **v = shuffled(N, 3), buf[32];
	size_t i;

	(void)state;
	assert_null(spool_set_get(&s, "nothing"));	/* empty: no table */
	for (i = 0; i < N; i++)
		assert_int_equal(spool_set_add(&s, v[i], vals[i % 2]), 0);
	assert_int_equal(s.n, N);
	/* A second add of a name keeps the first value. */
	for (i = 0; i < N; i += 7)
		assert_int_equal(spool_set_add(&s, v[i], "other"), 0);
	assert_int_equal(s.n, N);
	for (i = 0; i < N; i++) {
		const struct spool_slot *sl = spool_set_get(&s, v[i]);
		assert_non_null(sl);
		assert_string_equal(sl->name, v[i]);
		assert_ptr_equal(sl->value, vals[i % 2]);
	}
	for (i = 0; i < 100; i++) {
		snprintf(buf, sizeof(buf), "job%05zu", N + i);
		assert_null(spool_set_get(&s, buf));
	}
	assert_null(spool_set_get(&s, ""));
	assert_null(spool_set_get(&s, "job"));
	spool_set_free(&s);
	assert_int_equal(s.n, 0);
	assert_null(spool_set_get(&s, "job00001"));
	free_names(v, N);
}

static void
test_names_list(void **state)
{
	struct spool_names l = { 0 };
	char buf[32];
	int i;

	(void)state;
	assert_int_equal(spool_names_find(&l, "a"), -1);
	for (i = 0; i < 40; i++) {
		snprintf(buf, sizeof(buf), "n%d", i);
		assert_int_equal(spool_names_add(&l, buf), 0);
	}
	assert_int_equal(spool_names_find(&l, "n0"), 0);
	assert_int_equal(spool_names_find(&l, "n39"), 39);
	assert_int_equal(spool_names_find(&l, "n40"), -1);
	/* Delete every even one; the odd ones are still found. */
	for (i = 0; i < 40; i += 2) {
		snprintf(buf, sizeof(buf), "n%d", i);
		spool_names_del(&l, (size_t)spool_names_find(&l, buf));
	}
	assert_int_equal(l.n, 20);
	for (i = 0; i < 40; i++) {
		snprintf(buf, sizeof(buf), "n%d", i);
		assert_int_equal(spool_names_find(&l, buf) >= 0, i % 2);
	}
	spool_names_free(&l);
	assert_int_equal(l.n, 0);
	assert_int_equal(spool_names_add(&l, "again"), 0);
	spool_names_free(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_heap_order),
		cmocka_unit_test(test_heap_names),
		cmocka_unit_test(test_k_smallest),
		cmocka_unit_test(test_lowest),
		cmocka_unit_test(test_heap_clear_reuse),
		cmocka_unit_test(test_set),
		cmocka_unit_test(test_names_list),
	};

	return cmocka_run_group_tests_name("index", tests, NULL, NULL);
}
