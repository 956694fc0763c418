/*
 * supervise.h - the state spoolsupervise.c and supervise_apply.c share:
 * the configuration in effect, the children, the timers of the loop.
 */
#ifndef SPOOL_SUPERVISE_H
#define SPOOL_SUPERVISE_H

#include <stdint.h>

#include "children.h"
#include "config.h"
#include "spool.h"

struct super {
	const char *conf;		/* -c FILE */
	const char *dir;		/* -d DIR passed to the children, or NULL */
	struct spool_config cf;		/* in effect */
	struct spool *sp;
	struct launch launch;
	int rundir;			/* run/ of the spool */
	int sigfd;
	struct child **v;		/* consumers and producers */
	int n;
	int next_producer;		/* the N of the next producer.N */
	int stopping;			/* 1: producers, 2: consumers */
	int dirty;			/* the state file is behind */
	int64_t started;		/* wall clock ms */
	int64_t recover_at;		/* mono ms; 0: none due */
	int64_t sweep_at;		/* mono ms: orphans, dead leases */
};

extern struct super s;

/* A spoold younger than this (ms) may not handle SIGHUP yet. */
#define HUP_AFTER	1000

/* A recovery saw a claim in flight: once the coarse clock that stamps
 * ctime ticked (4 ms at HZ=250), the next pass can judge it.  ms. */
#define RECOVER_AGAIN	5

/* supervise_apply.c: starting, stopping and restarting children, returning
 * the jobs of dead ones, making them match s.cf (at start and after a
 * SIGHUP), and the SIGHUP itself. */
void super_recover(const char *why);
void super_start(struct child *c);
void super_retire(struct child *c);
void super_exited(struct child *c, int status, int64_t now);
void super_apply(void);
void super_reload(void);

#endif
