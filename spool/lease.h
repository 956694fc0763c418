/*
 * lease.h - the consumer side of leases and the judging of others' (lease.c).
 * Internal to libspool.
 */
#ifndef SPOOL_LEASE_H
#define SPOOL_LEASE_H

#include <dirent.h>

#include "index.h"
#include "spool_int.h"

struct spool_lease {
	int fd;
	off_t end;		/* where the next journal line goes */
	off_t renew_off;	/* where "renewed=" is rewritten */
	int64_t ttl;
	int64_t started;
	int64_t renewed;	/* boot clock, ms, of the last renewal */
};

int spool_lease_create(struct spool *sp, struct spool_lease *l, int64_t ttl);
int spool_lease_note(struct spool_lease *l, char op, const char *id);
int spool_lease_append(struct spool_lease *l, const char *lines, size_t len);
int spool_lease_renew(struct spool_lease *l);
/* Rewrite the lease with just ids when its journal is long (or force). */
int spool_lease_compact(struct spool *sp, struct spool_lease *l,
    const char *const *ids, size_t n, int force);
/* Does a live lease other than ours hold ID?  1 yes, 0 no, -1 error. */
int spool_lease_held_elsewhere(struct spool *sp, const char *id);
void spool_lease_release(struct spool *sp, struct spool_lease *l);

int spool_lease_judge(struct spool *sp, const char *name,
    struct spool_lease_info *li, void (*fn)(const char *, void *), void *arg);
void spool_lease_bury(struct spool *sp, const char *name, int fd);
int spool_lease_expired(const struct spool *sp,
    const struct spool_lease_info *li);

#endif
