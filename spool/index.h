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

/*
 * The K lowest names of a directory of any size, in one arena: offered one
 * by one during a scan, then sealed (sorted) and taken from the front.
 * Memory stays within about 1.25 K names whatever the directory holds.
 */
struct spool_lowest {
	char *arena;		/* the names, NUL-terminated, back to back */
	size_t used, size;	/* bytes of the arena */
	uint32_t *off;		/* their offsets; in name order once sealed */
	size_t n, cap;		/* names held, room in off */
	size_t next;		/* sealed: the first not taken yet */
	size_t k;		/* how many to keep */
	char *limit;		/* truncated: names from this one on were
				 * dropped (or are the last kept) */
	int truncated;		/* names were dropped */
};

void spool_lowest_init(struct spool_lowest *l, size_t k);
/* During a scan: keep name if it may be among the K lowest; 0 or -1. */
int spool_lowest_offer(struct spool_lowest *l, const char *name);
/* End of the scan: the K lowest, sorted; 0 or -1 (ENOMEM). */
int spool_lowest_seal(struct spool_lowest *l);
/* Sealed: the lowest name not taken yet (NULL: none), and taking it. */
const char *spool_lowest_top(const struct spool_lowest *l);
void spool_lowest_pop(struct spool_lowest *l);
/* Forget every name; k stays.  free: the memory too. */
void spool_lowest_clear(struct spool_lowest *l);
void spool_lowest_free(struct spool_lowest *l);

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
