/*
 * index.c - the in-memory indexes of the consumer and of recovery.
 *
 * A binary heap of names keyed by (time, name): queued jobs all have key 0,
 * so they come out in name order, oldest first; waiting jobs are keyed by
 * their due time.  A max-heap (max = 1) selects the K smallest names of a
 * directory of any size in O(K) memory.  A string set answers "is this job
 * covered by a live lease" during recovery; a plain list holds the few jobs
 * a consumer runs.
 */
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
