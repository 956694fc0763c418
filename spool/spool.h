/*
 * spool.h - the interface of libspool, a job queue kept in a directory tree.
 *
 * Every program reaches the spool only through this header: the on-disk
 * names, the job states and the legal transitions between them, job IDs,
 * submission, the consumer (claim, complete, retry, bury, recover), leases
 * and per-job metadata.  Calls return 0 (or a count) on success and -1 with
 * errno set on failure; the library never prints and never exits.
 *
 * The on-disk layout and the invariants between syscalls are described in
 * spool(5) and INTERNALS.md.
 */
#ifndef SPOOL_H
#define SPOOL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Directories of a spool.  The job directories hold job files only. */
#define SPOOL_DIR_TMP	"tmp"	/* being written by a producer */
#define SPOOL_DIR_NEW	"new"	/* queued, ready to claim */
#define SPOOL_DIR_CUR	"cur"	/* claimed, covered by a lease */
#define SPOOL_DIR_WAIT	"wait"	/* waiting for a retry or a delay; mtime = due */
#define SPOOL_DIR_HOLD	"hold"	/* held by an operator */
#define SPOOL_DIR_DONE	"done"	/* finished */
#define SPOOL_DIR_DEAD	"dead"	/* dead letters */
#define SPOOL_DIR_META	"meta"	/* meta/ID: the job's history, plain text */
#define SPOOL_DIR_LEASE	"lease"	/* lease/HOST:PID: one per consumer, flock'd */
#define SPOOL_DIR_RUN	"run"	/* supervisor lock and state */

#define SPOOL_ID_MAX	255	/* a file name */
#define SPOOL_OWNER_MAX	128	/* "host:pid" */

/* Job states, in the order the tools list them.  SPOOL_TMP is not a job
 * state a user sees: it is a file still being written. */
enum spool_state {
	SPOOL_QUEUED,		/* new/ */
	SPOOL_RUNNING,		/* cur/ */
	SPOOL_WAITING,		/* wait/ */
	SPOOL_HELD,		/* hold/ */
	SPOOL_DONE,		/* done/ */
	SPOOL_DEAD,		/* dead/ */
	SPOOL_TMP,		/* tmp/ */
	SPOOL_NSTATES
};

/* Every state change of a job, each one rename(2) (purge: unlink(2)).
 * The legal source states of each live in one table in state.c. */
enum spool_action {
	SPOOL_SUBMIT,		/* tmp -> queued */
	SPOOL_DEFER,		/* tmp -> waiting (submitted with a delay) */
	SPOOL_CLAIM,		/* queued -> running */
	SPOOL_COMPLETE,		/* running -> done */
	SPOOL_RETRY,		/* running -> waiting */
	SPOOL_BURY,		/* running | queued -> dead (failed, poison, bad entry) */
	SPOOL_RETURN,		/* running -> queued (recovered, or shutdown) */
	SPOOL_WAKE,		/* waiting -> queued (due) */
	SPOOL_HOLD,		/* queued | waiting -> held */
	SPOOL_RELEASE,		/* held -> queued */
	SPOOL_CANCEL,		/* queued | waiting | held | running -> dead */
	SPOOL_REQUEUE,		/* dead | done | waiting | held -> queued, attempts reset */
	SPOOL_PURGE,		/* done | dead -> removed */
	SPOOL_NACTIONS
};

const char *spool_state_name(enum spool_state st);	/* "queued", ... */
const char *spool_state_dir(enum spool_state st);	/* "new", ... */
int spool_state_parse(const char *name);		/* -1 if unknown */
const char *spool_action_name(enum spool_action a);	/* "claim", ... */
/* Is `from` a legal source of action a?  Its target, or -1. */
int spool_action_target(enum spool_action a, enum spool_state from);

/* An open spool.  Flags for spool_open: */
enum {
	SPOOL_NOSYNC = 1 << 0,	/* durable: false - skip every fsync */
};
struct spool;

int spool_init(const char *dir);	/* mkdir -p the layout; exists is ok */
int spool_open(struct spool **sp, const char *dir, int flags);
void spool_close(struct spool *sp);
const char *spool_path(const struct spool *sp);
int spool_dirfd(const struct spool *sp, enum spool_state st);
int spool_durable(const struct spool *sp);
const char *spool_owner(const struct spool *sp);	/* this process: "host:pid" */

/*
 * Group commit.  Between spool_batch_begin and spool_batch_commit, state
 * changes mark their target directory dirty instead of fsyncing it; commit
 * fsyncs each dirty directory once.  Outside a batch every change is synced
 * at once.  Nothing may be acknowledged before commit returns 0.
 */
void spool_batch_begin(struct spool *sp);
int spool_batch_commit(struct spool *sp);

/* IDs: "SECONDS.NANOS.PID.HOST", [A-Za-z0-9._-], sorting in submission order. */
int spool_id_new(struct spool *sp, char id[SPOOL_ID_MAX + 1]);
/* A plain file name: not empty, no '/', not "." or "..", at most 255
 * bytes.  1 valid, 0 not.  (Names with control characters are valid IDs;
 * the consumer refuses to run them, and tools print them escaped.) */
int spool_id_valid(const char *id);
/* The submission time encoded in a spoolsubmit ID, in Unix ms; -1 if none. */
int64_t spool_id_time(const char *id);

/* Move one job (the only place that renames spool entries).  Fails with
 * EINVAL if the action is not legal from `from`, ENOENT if the job is not
 * there, EEXIST if the target holds the same ID already. */
int spool_job_move(struct spool *sp, const char *id, enum spool_state from,
    enum spool_action a);
/* Call fn for each entry of a state's directory (dotfiles skipped), with
 * its d_type (DT_UNKNOWN possible).  Returns the count, or -1. */
int spool_list(struct spool *sp, int st,
    int (*fn)(const char *name, unsigned char type, void *arg), void *arg);
/* Which state holds ID: the state, or -1 with errno ENOENT. */
int spool_job_find(struct spool *sp, const char *id);
/* An operator's action (hold, release, cancel, requeue, purge) on one job,
 * recorded in its history with `by` and an optional note.  want: the state
 * the job must be in (as listed: requeue --dead), or -1 for wherever it is.
 * *from tells the state the job was found in (-1: none); EINVAL when the
 * action is not legal from there, ENOENT when there is no such job.  Races
 * with daemons moving the same job are resolved by looking again; EALREADY
 * when another operator moved it first, or it is not in want (*from: where
 * it is now). */
int spool_job_act(struct spool *sp, const char *id, enum spool_action a,
    int want, const char *by, const char *note, int *from);

/* Submission: write jobs into tmp/, then move them all to new/ (or to
 * wait/ when delay > 0) in one group commit.  IDs are known after add. */
struct spool_submit;
struct spool_submit *spool_submit_open(struct spool *sp, int64_t delay_ms);
int spool_submit_add(struct spool_submit *s, const void *buf, size_t len,
    char id[SPOOL_ID_MAX + 1]);
int spool_submit_add_fd(struct spool_submit *s, int fd,
    char id[SPOOL_ID_MAX + 1]);
/* Make every added job durable and queued, in the order added.  *queued
 * tells how many of them are (all, on success).  On failure the first
 * *queued are durable and queued; the rest are not acknowledged: removed
 * from tmp/, except those already renamed into new/ when the sync of new/
 * failed, which may still run (delivery is at least once).  Either way the
 * batch is empty afterwards. */
int spool_submit_commit(struct spool_submit *s, size_t *queued);
size_t spool_submit_pending(const struct spool_submit *s);
/* The IDs queued by the last commit, i < *queued; valid until the next add. */
const char *spool_submit_id(const struct spool_submit *s, size_t i);
void spool_submit_close(struct spool_submit *s);	/* aborts what is pending */

/*
 * Per-job metadata: meta/ID, one event a line,
 *   2026-11-28T10:00:00.123Z retry by=host:1234 attempt=1 status="exit 1" ...
 * values quoted and escaped C-style where they need it.  Appended, never
 * rewritten, except by purge which removes it.  A job that succeeds at its
 * first run has none: the happy path costs no metadata I/O.  Every run that
 * does not succeed at once ends in one line (retry, dead, recover, return),
 * so attempts are counted from those lines.
 */
struct spool_meta {
	int attempts;			/* runs since the last requeue */
	int64_t last_time;		/* ms of the last event */
	char owner[SPOOL_OWNER_MAX];	/* who ran it last */
	char error[512];		/* last failure / dead reason */
	char status[64];		/* last handler status: "exit 1", "signal 9", ... */
	int cancelled;
};
/* Append one event; fmt gives the "key=value ..." part (already escaped). */
int spool_meta_append(struct spool *sp, const char *id, const char *event,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Read meta/ID; a job without one has zeroes (ENOENT is not an error). */
int spool_meta_read(struct spool *sp, const char *id, struct spool_meta *m);
/* The whole history text, malloc'ed, or NULL with errno (ENOENT: none). */
char *spool_meta_history(struct spool *sp, const char *id, size_t *len);
int spool_meta_remove(struct spool *sp, const char *id);
/* Escape s as a value: bare if safe, else "..." with \n \t \\ \" \xNN. */
char *spool_escape(const char *s, char *buf, size_t size);
/* Parse one "key=value" out of an event line; 1 found, 0 not. */
int spool_meta_field(const char *line, const char *key, char *out, size_t size);

/* Leases: lease/HOST:PID, held with flock(2) for the life of a consumer.
 * Text header (host, pid, boot_id, started, renewed, ttl), then one line
 * per claim "+ID" and release "-ID". */
struct spool_lease_info {
	char name[SPOOL_OWNER_MAX];	/* file name = owner "host:pid" */
	char host[64];
	long pid;
	char boot_id[40];
	int64_t started;		/* ms, wall clock */
	int64_t renewed;		/* ms, wall clock */
	int64_t renewed_boot;		/* ms, boot clock of its host */
	int64_t ttl;			/* ms */
	int alive;			/* lock held by a live process */
	int expired;			/* not renewed within ttl */
	int jobs;			/* claimed, not released */
};
/* List the leases (at most max); returns how many exist. */
int spool_lease_list(struct spool *sp, struct spool_lease_info *out, int max);
/* Jobs claimed under a lease and not yet released: calls fn for each. */
int spool_lease_jobs(struct spool *sp, const char *lease,
    void (*fn)(const char *id, void *arg), void *arg);

/*
 * Recovery.  Returns to the queue every running job that no live lease
 * covers (its holder died or its lease expired; the attempt was counted by
 * its claim), and removes dead leases.  Stale tmp files older than tmp_age
 * ms are removed (tmp_age < 0: leave them).
 */
struct spool_recovery {
	int jobs;		/* jobs returned to the queue */
	int leases;		/* dead leases removed */
	int expired;		/* live but expired leases whose jobs were taken */
	int tmp;		/* stale tmp files removed */
	int busy;		/* claimed again this instant: look again soon */
};
int spool_recover(struct spool *sp, int64_t tmp_age, struct spool_recovery *r);
/* Is any lease dead or expired?  Cheap: no job directory is read. */
int spool_recover_needed(struct spool *sp);

/*
 * The consumer: claims jobs oldest first, holding a lease on them.  Woken
 * by inotify (spool_consumer_fd is poll(2)-able); a full scan at open, on
 * inotify overflow and every opts.scan ms is the backstop.
 */
struct spool_consumer_opts {
	int max_attempts;	/* runs before a failing job goes to dead */
	int64_t backoff_min;	/* first retry delay, ms */
	int64_t backoff_max;	/* cap, ms */
	int64_t lease_ttl;	/* ms */
	int64_t scan;		/* periodic rescan, ms */
	int64_t settle;		/* a scanned file this recent may still be written */
	size_t max_index;	/* bound on the in-memory index of queued jobs */
};
void spool_consumer_defaults(struct spool_consumer_opts *o);

struct spool_job {
	char id[SPOOL_ID_MAX + 1];
	int attempt;		/* this run: 1 on the first */
	int history;		/* meta/ID existed at the claim */
	int64_t claimed;	/* ms */
};

struct spool_consumer;
struct spool_consumer *spool_consumer_open(struct spool *sp,
    const struct spool_consumer_opts *o);
void spool_consumer_close(struct spool_consumer *c);	/* releases the lease */
int spool_consumer_fd(const struct spool_consumer *c);
void spool_consumer_set_opts(struct spool_consumer *c,
    const struct spool_consumer_opts *o);
/* Read pending notifications and do what is due (wake waiting jobs, renew
 * the lease, rescan, recover dead leases).  Returns ms until the next thing
 * is due (for poll's timeout). */
int64_t spool_consumer_work(struct spool_consumer *c);
/* The same ms, asked again after claims (they can bring a timer closer). */
int64_t spool_consumer_next(const struct spool_consumer *c);
/* Claim the oldest queued job: 1 claimed, 0 none ready, -1 error. */
int spool_consumer_claim(struct spool_consumer *c, struct spool_job *job);
/* A job of ours that left cur/ behind our back (cancelled, or taken by a
 * recovery): 1 with id filled, 0 none. */
int spool_consumer_lost(struct spool_consumer *c, char id[SPOOL_ID_MAX + 1]);
/* How many jobs this consumer holds. */
int spool_consumer_running(const struct spool_consumer *c);
/* Open a claimed job's file (cur/ID), O_NOFOLLOW and O_CLOEXEC added. */
int spool_job_open(struct spool_consumer *c, const struct spool_job *job,
    int flags);

/* Finish a claimed job.  status describes the last run ("exit 1",
 * "signal 9", "timeout"), reason is free text (the stderr tail).  retry
 * buries the job instead when it has used its attempts, and then returns 1.
 * ENOENT: the job was taken from us meanwhile (cancelled, or recovered
 * while we were stopped past our lease's ttl); it is forgotten. */
int spool_job_complete(struct spool_consumer *c, struct spool_job *job);
int spool_job_retry(struct spool_consumer *c, struct spool_job *job,
    const char *status, const char *reason);
int spool_job_bury(struct spool_consumer *c, struct spool_job *job,
    const char *status, const char *reason);
int spool_job_return(struct spool_consumer *c, struct spool_job *job,
    const char *why);
/* Forget a job that was taken from us (after spool_consumer_lost). */
void spool_job_forget(struct spool_consumer *c, struct spool_job *job);

/* Clocks, ms. */
int64_t spool_now(void);	/* wall clock */
int64_t spool_mono(void);	/* monotonic, for timers */
/* "2026-11-28T10:00:00.123Z" */
char *spool_time_format(int64_t ms, char *buf, size_t size);

/*
 * Ops and admin (spoolstat, spooladmin): stat.c, check.c, counter.c.
 */
/* Jobs in each state (SPOOL_TMP too) by reading the directories alone:
 * nothing is opened or stat'ed, so it stays cheap on a million jobs. */
int spool_count(struct spool *sp, long counts[SPOOL_NSTATES]);
/* The job of state st submitted first, in id and *submitted (ms), filled
 * when the state is not empty.  Returns the number of jobs in the state:
 * one pass over the directory gives both.  Reads the time out of
 * spoolsubmit's IDs; stats only the names it did not make. */
int spool_oldest(struct spool *sp, int st, char id[SPOOL_ID_MAX + 1],
    int64_t *submitted);

/* One job, as the tools show it. */
struct spool_job_info {
	char id[SPOOL_ID_MAX + 1];
	int state;
	int regular;		/* a regular file (else never run) */
	int64_t size;		/* bytes; -1 not looked at */
	int64_t submitted;	/* ms: the ID's time, else the file's mtime */
	int64_t changed;	/* ms: ctime, about when it entered its state */
	int64_t due;		/* ms: when a waiting job is due; else -1 */
	struct spool_meta meta;	/* from meta/ID, if asked for */
};
enum {
	SPOOL_INFO_STAT = 1 << 0,	/* stat the job: size, times */
	SPOOL_INFO_META = 1 << 1,	/* read its history */
};
/* Fill ji for ID in state st (st < 0: find it).  ENOENT: not there (it may
 * have moved since it was listed); EINVAL: not a valid ID. */
int spool_job_info(struct spool *sp, int st, const char *id, unsigned what,
    struct spool_job_info *ji);
/* The names in a state's directory, sorted (submission order for
 * spoolsubmit's IDs); free with spool_names_sorted_free. */
int spool_names_sorted(struct spool *sp, int st, char ***names, size_t *n);
void spool_names_sorted_free(char **names, size_t n);
/* The IDs that have a history (meta/), sorted: a listing of many jobs
 * reads only the histories that exist. */
int spool_meta_names(struct spool *sp, char ***names, size_t *n);
/* run/NAME (the supervisor's state file), malloc'ed and NUL-terminated. */
char *spool_run_read(struct spool *sp, const char *name, size_t *len);

/* How many times each action has moved a job on this host since the spool
 * was made (run/counters): counters for metrics, never lowered. */
int spool_counters(struct spool *sp, uint64_t out[SPOOL_NACTIONS]);

/* spool_check: what it finds, and (repair) fixes when that is safe. */
enum spool_problem {
	SPOOL_CHECK_DUPLICATE,		/* one ID in two states */
	SPOOL_CHECK_UNSAFE_NAME,	/* control characters: never run */
	SPOOL_CHECK_NOT_FILE,		/* a job entry that is no regular file */
	SPOOL_CHECK_ORPHAN_JOB,		/* running, no live lease holds it */
	SPOOL_CHECK_DEAD_LEASE,		/* its consumer died (repair: recover) */
	SPOOL_CHECK_EXPIRED_LEASE,	/* its consumer hung (repair: recover) */
	SPOOL_CHECK_ORPHAN_META,	/* meta/ID of no job (repair: remove) */
	SPOOL_CHECK_OLD_TMP,		/* left in tmp/ (repair: remove) */
	SPOOL_CHECK_STRAY,		/* not a file in lease/ or meta/ */
};
struct spool_finding {
	int problem;		/* enum spool_problem */
	const char *dir;	/* "new", "lease", "meta", ... */
	const char *name;	/* the entry */
	const char *detail;	/* in words */
	int repaired;
};
/* Check the spool; fn sees each finding.  tmp files older than tmp_age ms
 * are findings (< 0: none are).  Returns how many are left unrepaired. */
int spool_check(struct spool *sp, int64_t tmp_age, int repair,
    void (*fn)(const struct spool_finding *f, void *arg), void *arg);

#endif
