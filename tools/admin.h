/*
 * admin.h - what the parts of spooladmin share (spooladmin.c, admin_*.c):
 * the IDs of a call, who is acting, and the check and recover verbs.
 */
#ifndef SPOOL_ADMIN_H
#define SPOOL_ADMIN_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "cli.h"

#define TMP_AGE	(36LL * 3600 * 1000)	/* a tmp file this old is dead (maildir) */

/* The IDs a call acts on, in the order given, each once. */
struct ids {
	char **v;
	signed char *want;	/* the state it was listed in, or -1 (given) */
	size_t n, cap;
	int bad;		/* hostile IDs seen (reported already) */
};

/* Add an ID given on the command line or read from stdin ("-"): stdin
 * gives one ID a line, in the escaped form spoolstat prints (\\, \n, \t,
 * \xNN), blank lines skipped.  Hostile IDs are reported and counted in
 * ids->bad; the caller exits 65 before anything moves. */
void ids_add(struct ids *ids, const char *id);
/* An ID listed in state st: acted on only while it is still there. */
void ids_add_in(struct ids *ids, const char *id, int st);
void ids_read(struct ids *ids, FILE *in);
/* Every job of a state, sorted (--dead, --done, purge); each is acted on
 * only while it is still there (want). */
void ids_state(struct ids *ids, struct spool *sp, int st);
void ids_free(struct ids *ids);

/* An ID in spoolstat's escaped form (\\, \n, \t, \xNN). */
void out_id(FILE *f, const char *id);

/* Who acts, for the job's history: "USER@HOST". */
const char *admin_by(void);

/* The verbs; each returns the exit code. */
int admin_check(struct spool *sp, int repair, int dry, int64_t tmp_age);
int admin_recover(struct spool *sp, int dry, int64_t tmp_age);

#endif
