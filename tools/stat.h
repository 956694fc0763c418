/*
 * stat.h - what the parts of spoolstat share: the output helpers (escaped
 * names, JSON strings, ages), the map of running jobs to their holders,
 * and the entry points of the verbs (spoolstat.c, stat_*.c).
 */
#ifndef SPOOL_STAT_H
#define SPOOL_STAT_H

#include <stdint.h>
#include <stdio.h>

#include "cli.h"

/* stat_out.c: printing things that came off the disk, safely.  Control
 * characters, C1 controls and bytes that are not UTF-8 come out as \xNN
 * (\n, \t, \\ for those); spooladmin reads this form back (`-`). */
void out_escaped(FILE *f, const char *s, size_t len);
void out_name(FILE *f, const char *s);		/* out_escaped, whole string */
/* Like out_escaped, but newlines and tabs are kept (payloads). */
void out_text(FILE *f, const char *s, size_t len);
/* A JSON string ("..."), or null for NULL; bytes that are not UTF-8 come
 * out as \u00NN. */
void out_json(FILE *f, const char *s);
/* A duration for people: "850ms", "42s", "3m12s", "5h03m", "12d04h". */
char *out_age(int64_t ms, char *buf, size_t size);
/* Name padded with spaces to width columns (escaped form counted). */
void out_name_padded(FILE *f, const char *s, int width);
int out_name_width(const char *s);

/* The running jobs and who holds them, from the lease journals. */
struct owner {
	char *id;
	char *lease;		/* "host:pid" */
	int rank;		/* 0 alive, 1 expired, 2 dead: the best wins */
};
struct owners {
	struct owner *v;	/* sorted by id, one per id */
	size_t n, cap;
};
int owners_load(struct spool *sp, struct owners *o);
/* The holder of a running job ("host:pid", then " (dead)" or " (hung)"
 * when its lease is), or NULL. */
const char *owners_get(const struct owners *o, const char *id, char *buf,
    size_t size);
void owners_free(struct owners *o);

/* The supervisor's run/supervise.state, as a table or a JSON value
 * (null when there is none). */
void supervisor_print(struct spool *sp, FILE *f, const char *indent);
void supervisor_json(struct spool *sp, FILE *f);

/* A job's runs, the one in progress counted (SPOOL_ATTEMPT is 1 on the
 * first run). */
static inline int
stat_attempts(const struct spool_job_info *ji)
{
	return ji->meta.attempts + (ji->state == SPOOL_RUNNING);
}

/* The fields of a job's JSON object, without its braces (stat_ls.c): the
 * same names for ls --json and show --json. */
void out_job_json(const struct spool_job_info *ji, int attempts,
    const char *owner, int64_t now);

/* The verbs; each returns the exit code. */
int stat_ls(struct spool *sp, int argc, char **argv, int json);
int stat_show(struct spool *sp, int argc, char **argv, int json);
int stat_watch(struct spool *sp, int64_t interval);

#endif
