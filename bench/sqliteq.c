/*
 * sqliteq.c - the SQLite peer: a job table in WAL mode.
 *
 *   sqliteq produce DB N [full]	N inserts, a transaction each
 *   sqliteq drain DB N C [full]	C processes claim and complete until
 *					nothing is queued
 *   sqliteq e2e DB N C [full]		a producer (transactions of BATCH
 *					inserts) and C consumers at once
 *
 * Claim: BEGIN IMMEDIATE; UPDATE ... SET state = 1 WHERE id = (the oldest
 * queued) RETURNING id, body; COMMIT.  Complete: UPDATE state = 2, in its
 * own transaction (the job row stays, as spool's stays in done/).
 * synchronous = NORMAL by default (no fsync at commit in WAL mode: safe
 * from a crash of the process, not of the machine), FULL with "full" (the
 * WAL is fsynced at every commit).  SQLite has no notification: a consumer
 * that finds nothing sleeps 200 us and asks again.  Prints jobs per second.
 */
#include <sqlite3.h>

#define PROG "sqliteq"
#include "common.h"

static int full;

static void
check(sqlite3 *db, int rc, const char *what)
{
	if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
		fprintf(stderr, "sqliteq: %s: %s\n", what, sqlite3_errmsg(db));
		exit(1);
	}
}

static void
exec(sqlite3 *db, const char *sql)
{
	check(db, sqlite3_exec(db, sql, NULL, NULL, NULL), sql);
}

static sqlite3 *
open_db(const char *path)
{
	sqlite3 *db;

	check(NULL, sqlite3_open(path, &db), path);
	sqlite3_busy_timeout(db, 10000);
	exec(db, "PRAGMA journal_mode = WAL");
	exec(db, full ? "PRAGMA synchronous = FULL" :
	    "PRAGMA synchronous = NORMAL");
	exec(db, "CREATE TABLE IF NOT EXISTS jobs (id INTEGER PRIMARY KEY, "
	    "state INTEGER NOT NULL DEFAULT 0, body BLOB NOT NULL)");
	exec(db, "CREATE INDEX IF NOT EXISTS queued ON jobs (id) "
	    "WHERE state = 0");
	return db;
}

static sqlite3_stmt *
prepare(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;

	check(db, sqlite3_prepare_v2(db, sql, -1, &st, NULL), sql);
	return st;
}

static void
step(sqlite3 *db, sqlite3_stmt *st, const char *what)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	check(db, rc, what);
	sqlite3_reset(st);
}

static void
produce(const char *path, long n, long per)
{
	sqlite3 *db = open_db(path);
	sqlite3_stmt *ins = prepare(db, "INSERT INTO jobs (body) VALUES (?)");
	sqlite3_stmt *begin = prepare(db, "BEGIN IMMEDIATE");
	sqlite3_stmt *commit = prepare(db, "COMMIT");
	long i;

	for (i = 0; i < n; i++) {
		if (i % per == 0 && per > 1)
			step(db, begin, "begin");
		sqlite3_bind_blob(ins, 1, payload, sizeof(payload), SQLITE_STATIC);
		step(db, ins, "insert");
		if (per > 1 && ((i + 1) % per == 0 || i == n - 1))
			step(db, commit, "commit");
	}
	sqlite3_finalize(ins);
	sqlite3_finalize(begin);
	sqlite3_finalize(commit);
	sqlite3_close(db);
}

static void
consume(const char *path, long n, int stop_empty)
{
	sqlite3 *db = open_db(path);
	sqlite3_stmt *begin = prepare(db, "BEGIN IMMEDIATE");
	sqlite3_stmt *commit = prepare(db, "COMMIT");
	sqlite3_stmt *claim = prepare(db, "UPDATE jobs SET state = 1 WHERE id = "
	    "(SELECT id FROM jobs WHERE state = 0 ORDER BY id LIMIT 1) "
	    "RETURNING id, body");
	sqlite3_stmt *done = prepare(db, "UPDATE jobs SET state = 2 WHERE id = ?");
	sqlite3_int64 id;
	int rc, got;

	for (;;) {
		step(db, begin, "begin");
		got = (rc = sqlite3_step(claim)) == SQLITE_ROW;
		id = got ? sqlite3_column_int64(claim, 0) : 0;
		if (got)
			(void)sqlite3_column_blob(claim, 1);	/* the job */
		while (rc == SQLITE_ROW)
			rc = sqlite3_step(claim);
		check(db, rc, "claim");
		sqlite3_reset(claim);
		step(db, commit, "commit");
		if (got) {
			/* The no-op handler ran: mark it done. */
			sqlite3_bind_int64(done, 1, id);
			step(db, done, "done");
			done_add(1, n);
		}
		if (__atomic_load_n(&sh->done, __ATOMIC_SEQ_CST) >= n)
			break;
		if (!got) {
			if (stop_empty)
				break;
			usleep(200);
		}
	}
	sqlite3_finalize(begin);
	sqlite3_finalize(commit);
	sqlite3_finalize(claim);
	sqlite3_finalize(done);
	sqlite3_close(db);
}

int
main(int argc, char **argv)
{
	const char *mode, *path, *e;
	long n, c = 1, batch = 100;
	double t0;
	int k;

	mode = mode_arg(argc, argv, 4, "produce|drain|e2e DB N [C] [full]");
	path = argv[2];
	n = atol(argv[3]);
	if (argc > 4)
		c = atol(argv[4]);
	full = last_is(argc, argv, "full");
	if ((e = getenv("BATCH")) != NULL)
		batch = atol(e);
	payload_init('x');
	shared_map(0);
	sqlite3_close(open_db(path));	/* the schema, before anyone races */
	t0 = now();
	if (strcmp(mode, "produce") == 0) {
		produce(path, n, 1);
		sh->end = now();
		sh->done = n;
	} else if (strcmp(mode, "drain") == 0 || strcmp(mode, "e2e") == 0) {
		int e2e = mode[0] == 'e';
		if ((k = spawn((int)c + e2e)) >= 0) {
			if (k < c)
				consume(path, n, !e2e);
			else
				produce(path, n, batch);
			_exit(0);
		}
		wait_all((int)c + e2e);
	} else
		return unknown_mode(mode);
	return finish(n, t0);
}
