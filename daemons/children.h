/*
 * children.h - the processes that spoolsupervise runs (children.c):
 * finding and starting the programs, the restart backoff, relaying a
 * producer's output, killing orphans, and the state file run/supervise.state.
 */
#ifndef SPOOL_CHILDREN_H
#define SPOOL_CHILDREN_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

/* A run at least this long was a success: the next crash restarts after
 * the configured minimum again, not after the doubled delay. */
#define CHILD_STABLE_MS	10000

enum child_kind { CHILD_CONSUMER, CHILD_PRODUCER };

struct child {
	char name[32];		/* "consumer.1", "producer.2" */
	enum child_kind kind;
	int index;		/* the N of the name */
	char **argv;		/* producer: its spoolsubmit arguments (owned) */
	int argc;
	pid_t pid;		/* 0: not running */
	int64_t started;	/* wall clock ms of the last start, 0: never */
	int64_t started_mono;
	int restarts;		/* starts after the first */
	int status;		/* last wait status, -1: none yet */
	int fails;		/* exits in a row after runs shorter than stable */
	int64_t restart_at;	/* mono ms; 0: not scheduled */
	int64_t kill_at;	/* mono ms: SIGKILL then; 0: none */
	int64_t hup_at;		/* mono ms: forward a SIGHUP then; 0: none */
	int done;		/* a producer that exited 0: not restarted */
	int retire;		/* being stopped for good: removed once it exits */
	int out;		/* read end of a producer's stdout, or -1 */
	size_t blen;
	char buf[4096];		/* a partial line of that output */
};

/* How children are started: the programs next to our own executable (or
 * found in PATH), and the -c / -d they are given. */
struct launch {
	char spoold[PATH_MAX];
	char spoolsubmit[PATH_MAX];
	const char *conf;	/* -c FILE */
	const char *dir;	/* -d DIR, or NULL: the children find it alike */
};

void launch_init(struct launch *l, const char *conf, const char *dir);

/* A new child, not started yet; argv (a producer's) is copied. */
struct child *child_new(enum child_kind kind, int index, char **argv);
void child_free(struct child *c);
/* Fork and exec it; 0, or -1 with errno (fork or pipe failed). */
int child_spawn(struct child *c, const struct launch *l);
/* Signal it; SIGKILL its process group (a consumer's leftovers too). */
void child_signal(struct child *c, int sig);
/* The delay before the restart that follows this exit, in ms: min after a
 * stable run, doubled for each quick exit in a row, capped at max. */
int64_t child_backoff(struct child *c, int64_t now, int64_t min, int64_t max);
/* Copy what a producer printed to our stdout, whole lines only, so that
 * the lines of several producers never mix.  At EOF the pipe is closed. */
void child_relay(struct child *c);
/* A wait status as a word: "exit:0", "signal:9", or "-" for none. */
char *child_status(int status, char *buf, size_t size);

/* SIGKILL every child of ours that is not one of the n in v: orphans of
 * dead handlers, reparented to us because we are a subreaper.  Returns
 * how many were killed. */
int orphans_kill(struct child *const *v, int n);

/* Write run/supervise.state atomically (a dotfile renamed into place):
 *   supervisor pid=N started=UNIXMS
 *   name=consumer.1 pid=123 started=UNIXMS restarts=0 last_exit=-
 * 0, or -1 with errno. */
int state_write(int rundir, int64_t started, struct child *const *v, int n);

#endif
