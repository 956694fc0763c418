/*
 * spool_int.h - what the modules of libspool share and programs never see:
 * the open spool, the I/O helpers of the durability recipe, the watch.
 */
#ifndef SPOOL_INT_H
#define SPOOL_INT_H

#include <errno.h>
#include <stdarg.h>

#include "spool.h"
#include "sys.h"

/* Directories that are not job states, after the job states in dirfds. */
enum { SPOOL_META = SPOOL_NSTATES, SPOOL_LEASE, SPOOL_RUN, SPOOL_NDIRS };

struct spool {
	char *path;
	int root;
	int dir[SPOOL_NDIRS];	/* O_RDONLY|O_DIRECTORY, for *at() and fsync */
	int nosync;
	int batch;		/* nesting of spool_batch_begin */
	unsigned dirty;		/* 1 << dir index: fsync at commit */
	int64_t last_ns;	/* last ID time, to keep IDs increasing */
	char host[64];
	char boot_id[40];
	char owner[SPOOL_OWNER_MAX];
	uint64_t *counters;	/* run/counters mapped (counter.c), MAP_FAILED: none */
};

/* io.c: the durability recipe. */
int spool_write_all(int fd, const void *buf, size_t len);
int spool_pwrite_all(int fd, const void *buf, size_t len, off_t off);
ssize_t spool_read_all(int fd, void *buf, size_t len);
char *spool_read_at(int dirfd, const char *name, size_t max, size_t *len);
int spool_close_fd(int fd);
int spool_fsync(struct spool *sp, int fd);
int spool_sync_dir(struct spool *sp, int dir);
int spool_rename(struct spool *sp, int from, const char *oldname, int to,
    const char *newname);

/*
 * The completeness mark: spool_submit creates each job in tmp/ with the
 * sticky bit set, so it is complete whenever it is seen in new/ (it gets
 * there by rename only, and every later move is a rename, which keeps the
 * mode).  A scanned job with the mark is claimed without asking whether it
 * is still being written (consumer.c, claimable); one without it (written
 * in place by hand, or by another program's tmp/ protocol) is asked.  A
 * file written in place must not be created with this bit (nothing makes a
 * regular file sticky by accident; cp and install do not unless told).
 * Postfix marks a finished queue file the same way, with the owner's x bit;
 * that one a job copied from a script would carry from its creation.
 */
#define SPOOL_MARK_COMPLETE	S_ISVTX

/* time.c */
int64_t spool_boottime(void);

/* recover.c: the names spool_list finds in dir (dotfiles left out), added
 * to names (index.h); how many, or -1. */
struct spool_names;
int spool_list_names(struct spool *sp, int dir, struct spool_names *names);
/* recover.c: the guard against returning a job claimed again while we
 * looked.  spool_ctime_clock: the clock ctime is stamped with (ns), t0 at
 * the start; spool_running_ctime: cur/ID's ctime (ns), -1 when not there;
 * spool_ctime_busy: the job's ctime now against the one listed says it
 * may have been claimed again (leave it). */
int64_t spool_ctime_clock(void);
int64_t spool_running_ctime(struct spool *sp, const char *id);
int spool_ctime_busy(int64_t t0, int64_t listed, int64_t now);

/* watch.c: inotify, through libinotifytools. */
enum { SPOOL_WATCH_OVERFLOW = 1 };
struct spool_event {
	int dir;		/* job state whose directory changed */
	unsigned mask;		/* IN_* */
	const char *name;
};
int spool_watch_open(struct spool *sp, const int *dirs, const unsigned *masks,
    int n);
void spool_watch_close(int fd);
/* Next pending event: 1 filled, 0 none, -1 error. */
int spool_watch_next(struct spool_event *ev);

/* consumer.c: what may be a job, which spool_check reports on too.  Is
 * DIR/NAME open for writing?  1 yes, 0 no, -1 cannot tell.  A safe name
 * keeps history lines and lease journals one line each (no control
 * characters).  A file type in words ("a FIFO"), for what is not a job. */
int spool_being_written(int dirfd, const char *name);
int spool_safe_name(const char *name);
const char *spool_type_name(mode_t m);

/* counter.c: spool_job_move counts every move it makes. */
void spool_counter_bump(struct spool *sp, enum spool_action a);
void spool_counters_close(struct spool *sp);

/* meta.c */
int spool_meta_scan(const char *text, size_t len, struct spool_meta *m);
/* spool_meta_read for a job known to be in state st: out of dead/, a cancel
 * line is one whose move did not happen, and is passed over. */
int spool_meta_read_in(struct spool *sp, const char *id, int st,
    struct spool_meta *m);
int spool_meta_vappend(struct spool *sp, int fd, const char *id, int sync,
    const char *event, const char *fmt, va_list ap)
    __attribute__((format(printf, 6, 0)));

#endif
