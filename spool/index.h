/*
 * index.h - heaps and string sets for the consumer and recovery (index.c).
 * Internal to libspool.
 */
#ifndef SPOOL_INDEX_H
#define SPOOL_INDEX_H

#include <stddef.h>
#include <stdint.h>

struct spool_hent {
	int64_t key;
	char *name;
	unsigned flags;
};

struct spool_heap {
	struct spool_hent *v;
	size_t n, cap;
	int max;		/* 1: largest first */
};

int spool_heap_push(struct spool_heap *h, const char *name, int64_t key,
    unsigned flags);
const struct spool_hent *spool_heap_top(const struct spool_heap *h);
struct spool_hent spool_heap_pop(struct spool_heap *h);
void spool_heap_clear(struct spool_heap *h);
void spool_heap_free(struct spool_heap *h);

struct spool_slot {
	char *name;
	const char *value;
};

struct spool_set {
	struct spool_slot *slot;
	size_t n, cap;
};

/* A short list of names (the jobs a consumer holds, a directory listing). */
struct spool_names {
	char **v;
	size_t n, cap;
};

int spool_names_add(struct spool_names *l, const char *name);
int spool_names_find(const struct spool_names *l, const char *name);
void spool_names_del(struct spool_names *l, size_t i);
void spool_names_free(struct spool_names *l);

int spool_set_add(struct spool_set *s, const char *name, const char *value);
const struct spool_slot *spool_set_get(const struct spool_set *s,
    const char *name);
void spool_set_free(struct spool_set *s);

#endif
