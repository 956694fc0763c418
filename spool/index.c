/*
 * index.c - the in-memory indexes of the consumer and of recovery.
 *
 * A binary heap of names keyed by (time, name): queued jobs all have key 0,
 * so they come out in name order, oldest first; waiting jobs are keyed by
 * their due time.  A max-heap (max = 1) selects the K smallest names of a
 * directory of any size in O(K) memory.  The consumer's scan uses the
 * compact form instead (spool_lowest): the K lowest names in one arena with
 * 4-byte offsets, picked by quickselect in linear time and then sorted, so
 * that K can be large (fewer rescans of a deep queue) for little memory.
 * A string set answers "is this job covered by a live lease" during
 * recovery; a plain list holds the few jobs a consumer runs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "index.h"

static int
before(const struct spool_heap *h, const struct spool_hent *a,
    const struct spool_hent *b)
{
	int c = a->key < b->key ? -1 : a->key > b->key ? 1 :
	    strcmp(a->name, b->name);
	return h->max ? c > 0 : c < 0;
}

static void
swap(struct spool_hent *a, struct spool_hent *b)
{
	struct spool_hent t = *a;
	*a = *b;
	*b = t;
}

int
spool_heap_push(struct spool_heap *h, const char *name, int64_t key,
    unsigned flags)
{
	struct spool_hent *v;
	size_t i;

	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 64;
		if ((v = realloc(h->v, cap * sizeof(*v))) == NULL)
			return -1;
		h->v = v;
		h->cap = cap;
	}
	if ((h->v[h->n].name = strdup(name)) == NULL)
		return -1;
	h->v[h->n].key = key;
	h->v[h->n].flags = flags;
	for (i = h->n++; i > 0 && before(h, &h->v[i], &h->v[(i - 1) / 2]);
	    i = (i - 1) / 2)
		swap(&h->v[i], &h->v[(i - 1) / 2]);
	return 0;
}

const struct spool_hent *
spool_heap_top(const struct spool_heap *h)
{
	return h->n ? &h->v[0] : NULL;
}

/* Remove the top; its name is the caller's to free. */
struct spool_hent
spool_heap_pop(struct spool_heap *h)
{
	struct spool_hent top = h->v[0];
	size_t i = 0, c;

	h->v[0] = h->v[--h->n];
	for (;;) {
		c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && before(h, &h->v[c + 1], &h->v[c]))
			c++;
		if (!before(h, &h->v[c], &h->v[i]))
			break;
		swap(&h->v[i], &h->v[c]);
		i = c;
	}
	return top;
}

void
spool_heap_clear(struct spool_heap *h)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		free(h->v[i].name);
	h->n = 0;
}

void
spool_heap_free(struct spool_heap *h)
{
	spool_heap_clear(h);
	free(h->v);
	h->v = NULL;
	h->cap = 0;
}

void
spool_lowest_init(struct spool_lowest *l, size_t k)
{
	memset(l, 0, sizeof(*l));
	l->k = k > 0 ? k : 1;
}

/* Offsets held before a prune: K and a quarter, so that a prune (linear in
 * what it holds) comes at most once per K/4 names offered. */
static size_t
slack(size_t k)
{
	return k + k / 4 + 16;
}

static int
cmp_name(const void *a, const void *b, void *arena)
{
	return strcmp((const char *)arena + *(const uint32_t *)a,
	    (const char *)arena + *(const uint32_t *)b);
}

/* Quickselect: the k lowest names into v[0..k), the highest of them last. */
static void
select_k(const char *a, uint32_t *v, long n, long k)
{
	long lo = 0, hi = n - 1, i, j, mid;
	uint32_t p, t;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(a + v[mid], a + v[lo]) < 0)
			t = v[mid], v[mid] = v[lo], v[lo] = t;
		if (strcmp(a + v[hi], a + v[lo]) < 0)
			t = v[hi], v[hi] = v[lo], v[lo] = t;
		if (strcmp(a + v[hi], a + v[mid]) < 0)
			t = v[hi], v[hi] = v[mid], v[mid] = t;
		p = v[mid];
		for (i = lo, j = hi; i <= j;) {
			while (strcmp(a + v[i], a + p) < 0)
				i++;
			while (strcmp(a + v[j], a + p) > 0)
				j--;
			if (i <= j) {
				t = v[i], v[i] = v[j], v[j] = t;
				i++;
				j--;
			}
		}
		if (k - 1 <= j)
			hi = j;
		else if (k - 1 >= i)
			lo = i;
		else
			break;
	}
	/* v[k-1] is the k-th lowest only if the loop ended on it: make
	 * sure, since it becomes the limit. */
	for (i = 0, j = 0; i < k; i++)
		if (strcmp(a + v[i], a + v[j]) > 0)
			j = i;
	t = v[j], v[j] = v[k - 1], v[k - 1] = t;
}

/* Keep the k lowest: the k-th lowest becomes the limit, and one pass over
 * the arena moves the names at or below it down over the others (no sort:
 * offsets come out in arena order). */
static int
prune(struct spool_lowest *l)
{
	size_t p, len, at = 0, n = 0;
	char *limit;

	select_k(l->arena, l->off, (long)l->n, (long)l->k);
	if ((limit = strdup(l->arena + l->off[l->k - 1])) == NULL)
		return -1;
	free(l->limit);
	l->limit = limit;
	l->truncated = 1;
	for (p = 0; p < l->used; p += len) {
		len = strlen(l->arena + p) + 1;
		if (strcmp(l->arena + p, limit) > 0)
			continue;
		memmove(l->arena + at, l->arena + p, len);
		l->off[n++] = (uint32_t)at;
		at += len;
	}
	l->n = n;
	l->used = at;
	return 0;
}

int
spool_lowest_offer(struct spool_lowest *l, const char *name)
{
	size_t len = strlen(name) + 1, cap;
	uint32_t *off;
	char *arena;

	if (l->limit && strcmp(name, l->limit) >= 0)
		return 0;	/* not among the k lowest */
	if (l->n == l->cap) {
		if (l->cap >= slack(l->k)) {
			if (prune(l) < 0)
				return -1;
			if (strcmp(name, l->limit) >= 0)
				return 0;
		} else {
			cap = l->cap ? l->cap * 2 : 1024;
			if (cap > slack(l->k))
				cap = slack(l->k);
			if ((off = realloc(l->off, cap * sizeof(*off))) == NULL)
				return -1;
			l->off = off;
			l->cap = cap;
		}
	}
	if (l->used + len > l->size) {
		cap = l->size ? l->size * 2 : 65536;
		while (cap < l->used + len)
			cap *= 2;
		if (cap > UINT32_MAX) {
			errno = EOVERFLOW;
			return -1;
		}
		if ((arena = realloc(l->arena, cap)) == NULL)
			return -1;
		l->arena = arena;
		l->size = cap;
	}
	memcpy(l->arena + l->used, name, len);
	l->off[l->n++] = (uint32_t)l->used;
	l->used += len;
	return 0;
}

int
spool_lowest_seal(struct spool_lowest *l)
{
	char *arena;
	size_t i, j;
	uint32_t t;

	if (l->n > l->k && prune(l) < 0)
		return -1;
	/* Names come in the directory's order, kept by prune.  A file system
	 * that lists in order of arrival gives spool's IDs (made from the
	 * time) sorted already, or reversed: tmpfs lists the newest first.
	 * A pass or two to see it cost a tenth of the sort they save (~40 ms
	 * at K = 393,216). */
	for (i = 1; i < l->n; i++)
		if (strcmp(l->arena + l->off[i - 1], l->arena + l->off[i]) > 0)
			break;
	for (j = 1; i < l->n && j < l->n; j++)
		if (strcmp(l->arena + l->off[j - 1], l->arena + l->off[j]) < 0)
			break;
	if (i < l->n && j >= l->n)
		for (i = 0, j = l->n - 1; i < j; i++, j--)
			t = l->off[i], l->off[i] = l->off[j], l->off[j] = t;
	else if (i < l->n)
		qsort_r(l->off, l->n, sizeof(*l->off), cmp_name, l->arena);
	l->next = 0;
	/* Give back what a big scan needed and the result does not. */
	if (l->size > 65536 && l->used < l->size / 2 &&
	    (arena = realloc(l->arena, l->used > 65536 ? l->used : 65536))) {
		l->arena = arena;
		l->size = l->used > 65536 ? l->used : 65536;
	}
	return 0;
}

const char *
spool_lowest_top(const struct spool_lowest *l)
{
	return l->next < l->n ? l->arena + l->off[l->next] : NULL;
}

void
spool_lowest_pop(struct spool_lowest *l)
{
	if (l->next < l->n)
		l->next++;
}

void
spool_lowest_clear(struct spool_lowest *l)
{
	free(l->limit);
	l->limit = NULL;
	l->truncated = 0;
	l->n = l->next = l->used = 0;
}

void
spool_lowest_free(struct spool_lowest *l)
{
	spool_lowest_clear(l);
	free(l->arena);
	free(l->off);
	spool_lowest_init(l, l->k);
}

static size_t
hash(const char *s)
{
	size_t h = 14695981039346656037u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211u;
	return h;
}

static int
grow(struct spool_set *s)
{
	struct spool_set n = { 0 };
	size_t i;

	n.cap = s->cap ? s->cap * 2 : 64;
	if ((n.slot = calloc(n.cap, sizeof(*n.slot))) == NULL)
		return -1;
	for (i = 0; i < s->cap; i++) {
		size_t j;
		if (s->slot[i].name == NULL)
			continue;
		for (j = hash(s->slot[i].name) & (n.cap - 1); n.slot[j].name;
		    j = (j + 1) & (n.cap - 1))
			;
		n.slot[j] = s->slot[i];
	}
	n.n = s->n;
	free(s->slot);
	*s = n;
	return 0;
}

int
spool_set_add(struct spool_set *s, const char *name, const char *value)
{
	size_t j;

	if ((s->n + 1) * 2 > s->cap && grow(s) < 0)
		return -1;
	for (j = hash(name) & (s->cap - 1); s->slot[j].name;
	    j = (j + 1) & (s->cap - 1))
		if (strcmp(s->slot[j].name, name) == 0)
			return 0;
	if ((s->slot[j].name = strdup(name)) == NULL)
		return -1;
	s->slot[j].value = value;
	s->n++;
	return 0;
}

const struct spool_slot *
spool_set_get(const struct spool_set *s, const char *name)
{
	size_t j;

	if (s->cap == 0)
		return NULL;
	for (j = hash(name) & (s->cap - 1); s->slot[j].name;
	    j = (j + 1) & (s->cap - 1))
		if (strcmp(s->slot[j].name, name) == 0)
			return &s->slot[j];
	return NULL;
}

void
spool_set_free(struct spool_set *s)
{
	size_t i;

	for (i = 0; i < s->cap; i++)
		free(s->slot[i].name);
	free(s->slot);
	memset(s, 0, sizeof(*s));
}

int
spool_names_add(struct spool_names *l, const char *name)
{
	char **v;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		if ((v = realloc(l->v, cap * sizeof(*v))) == NULL)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	if ((l->v[l->n] = strdup(name)) == NULL)
		return -1;
	l->n++;
	return 0;
}

int
spool_names_find(const struct spool_names *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i], name) == 0)
			return (int)i;
	return -1;
}

/* Order is not kept. */
void
spool_names_del(struct spool_names *l, size_t i)
{
	free(l->v[i]);
	l->v[i] = l->v[--l->n];
}

void
spool_names_free(struct spool_names *l)
{
	while (l->n > 0)
		free(l->v[--l->n]);
	free(l->v);
	l->v = NULL;
	l->cap = 0;
}
