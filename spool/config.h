/*
 * config.h - the spool.yaml configuration, read with libyaml.
 *
 * spool_config_load() fills a struct spool_config from a file; every key the
 * file sets is also marked in ->set, so that programs can let command-line
 * flags win over the file (spool_config_merge).  Errors are reported in
 * struct spool_config_error as FILE:LINE:COLUMN and a message; the library
 * never prints.  Durations are milliseconds.
 */
#ifndef SPOOL_CONFIG_H
#define SPOOL_CONFIG_H

#include <stdint.h>
#include <stdio.h>

/* Bits of spool_config.set: which keys a file (or the command line) gave. */
enum {
	SPOOL_CF_SPOOL = 1u << 0,
	SPOOL_CF_DURABLE = 1u << 1,
	SPOOL_CF_STAMP = 1u << 2,
	SPOOL_CF_EXEC = 1u << 3,
	SPOOL_CF_WORKER = 1u << 4,
	SPOOL_CF_CONCURRENCY = 1u << 5,
	SPOOL_CF_MAX_ATTEMPTS = 1u << 6,
	SPOOL_CF_BACKOFF = 1u << 7,
	SPOOL_CF_TIMEOUT = 1u << 8,
	SPOOL_CF_GRACE = 1u << 9,
	SPOOL_CF_LEASE_TTL = 1u << 10,
	SPOOL_CF_SCAN = 1u << 11,
	SPOOL_CF_CONSUMERS = 1u << 12,
	SPOOL_CF_PRODUCERS = 1u << 13,
	SPOOL_CF_RESTART = 1u << 14,
};

struct spool_producer {
	char **argv;		/* NULL-terminated arguments of one spoolsubmit */
	int argc;
};

struct spool_config {
	unsigned set;		/* SPOOL_CF_* bits given explicitly */
	char *spool;		/* spool directory, NULL if not given */
	int durable;		/* fsync at every state change */
	struct {
		int stamp;		/* the seed's timestamping consumer */
		char *exec;		/* handler command, run through /bin/sh */
		char *worker;		/* long-lived worker command */
		int concurrency;	/* jobs run at once by one spoold */
		int max_attempts;
		int64_t backoff_min;	/* first retry delay, ms */
		int64_t backoff_max;	/* its cap, ms */
		int64_t timeout;	/* handler timeout, ms; 0 = none */
		int64_t grace;		/* SIGTERM to SIGKILL, ms */
		int64_t lease_ttl;	/* a lease not renewed for this long expires */
		int64_t scan;		/* periodic full rescan (backstop), ms */
	} consumer;
	struct {
		int consumers;
		struct spool_producer *producers;
		int nproducers;
		int64_t restart_min;	/* first restart delay, ms */
		int64_t restart_max;	/* its cap, ms */
	} supervise;
};

/* line 0: no place in the file (it could not be read); msg is then the
 * strerror text.  file is cut to fit: programs print the name they hold. */
struct spool_config_error {
	char file[256];
	unsigned long line, column;	/* 1-based; 0 when not known */
	char msg[256];
};

/* Defaults, as documented in spool.yaml(5). */
void spool_config_defaults(struct spool_config *cf);

/* Parse FILE into cf (which must hold defaults); 0 ok, -1 with err filled
 * (and errno set: ENOENT and friends for I/O, EINVAL for bad content).
 * A bad file changes nothing in cf.  A string key given as null (~, null,
 * or no value) is set to NULL.  err may be NULL. */
int spool_config_load(struct spool_config *cf, const char *file,
    struct spool_config_error *err);

/* Copy every key set in src over dst (command line over file), strings
 * duplicated, and OR src->set into dst->set.  -1 ENOMEM leaves dst as is. */
int spool_config_merge(struct spool_config *dst, const struct spool_config *src);

/* Print the settings in effect as YAML that spool_config_load accepts;
 * a string that is not set is a comment line ("# spool: (not set)"). */
int spool_config_print(const struct spool_config *cf, FILE *out);

void spool_config_free(struct spool_config *cf);

/*
 * Durations: "250ms", "2s", "5m", "1h", "7d", or a bare number of seconds
 * (fractions allowed: "1.5s").  0 ok, -1 EINVAL.  spool_duration_format
 * writes the shortest exact form back ("1500ms", "5m"), or NULL with
 * ERANGE when size is too small.
 */
int spool_duration_parse(const char *s, int64_t *ms);
char *spool_duration_format(int64_t ms, char *buf, size_t size);

#endif
