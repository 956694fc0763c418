/*
 * lease.c - leases: which consumer holds which running job.
 *
 * One lease file per consumer, lease/HOST:PID, locked with flock(2) for the
 * consumer's whole life.  The kernel drops the lock when the process dies,
 * however it dies, so a lock that can be taken means a dead holder, at once
 * and without PID-reuse traps (s6, nq).  The descriptor is O_CLOEXEC: a
 * handler that outlived its consumer must not keep the lease alive.
 *
 * The file is text: a header (host, pid, boot_id, started, ttl, renewed),
 * then a journal, "+ID" written before each claim's rename and "-ID" after
 * the job left cur/.  "renewed" is rewritten in place every ttl/3; a lock
 * held by a holder that stopped renewing (hung) expires after ttl.  Renewal
 * is judged on the boot clock when the holder runs on this boot of this
 * host (a wall clock jump then cannot expire a live lease), else on the
 * wall clock.
 *
 * The lease is created as a dotfile, locked, then renamed into place, so
 * that no recoverer ever sees it unlocked; compaction rewrites it the same
 * way, and recoverers check that the file they locked is still linked.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lease.h"

#define LEASE_MAX	(16 << 20)	/* a journal bigger than this is damaged */
#define COMPACT_AT	(256 << 10)

/* Write the header and the journal of the jobs held, in a new dotfile that
 * is locked before it is renamed over lease/OWNER. */
static int
lease_write(struct spool *sp, struct spool_lease *l, const char *const *ids,
    size_t n)
{
	char tmp[SPOOL_OWNER_MAX + 8], buf[1024], ts[32];
	int fd, len, e;
	size_t i;

	snprintf(tmp, sizeof(tmp), ".%s", sp->owner);
	spool_sys.unlinkat(sp->dir[SPOOL_LEASE], tmp, 0);
	fd = spool_sys.openat(sp->dir[SPOOL_LEASE], tmp, O_RDWR | O_CREAT |
	    O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		goto fail;
	len = snprintf(buf, sizeof(buf),
	    "host=%s\npid=%ld\nboot_id=%s\nstarted=%lld %s\nttl=%lld\nrenewed=",
	    sp->host, (long)getpid(), sp->boot_id, (long long)l->started,
	    spool_time_format(l->started, ts, sizeof(ts)), (long long)l->ttl);
	l->renew_off = len;
	l->renewed = spool_boottime();
	len += snprintf(buf + len, sizeof(buf) - (size_t)len,
	    "%019lld %019lld\n", (long long)spool_now(),
	    (long long)l->renewed);
	if (spool_write_all(fd, buf, (size_t)len) < 0)
		goto fail;
	l->end = len;
	for (i = 0; i < n; i++) {
		len = snprintf(buf, sizeof(buf), "+%s\n", ids[i]);
		if (spool_write_all(fd, buf, (size_t)len) < 0)
			goto fail;
		l->end += len;
	}
	if (spool_sys.renameat2(sp->dir[SPOOL_LEASE], tmp,
	    sp->dir[SPOOL_LEASE], sp->owner, 0) < 0)
		goto fail;
	if (l->fd >= 0)
		close(l->fd);	/* the old inode, now unlinked */
	l->fd = fd;
	return 0;
fail:
	e = errno;
	spool_sys.unlinkat(sp->dir[SPOOL_LEASE], tmp, 0);
	close(fd);
	errno = e;
	return -1;
}

int
spool_lease_create(struct spool *sp, struct spool_lease *l, int64_t ttl)
{
	struct spool_recovery r;

	l->fd = -1;
	l->ttl = ttl;
	l->started = spool_now();
	/* A lease of ours left by a dead process with our pid (reuse, or a
	 * previous boot): return its jobs before taking the name. */
	if (faccessat(sp->dir[SPOOL_LEASE], sp->owner, F_OK,
	    AT_SYMLINK_NOFOLLOW) == 0 && spool_recover(sp, -1, &r) < 0)
		return -1;
	return lease_write(sp, l, NULL, 0);
}

int
spool_lease_note(struct spool_lease *l, char op, const char *id)
{
	char buf[SPOOL_ID_MAX + 4];
	int len = snprintf(buf, sizeof(buf), "%c%s\n", op, id);

	if (spool_pwrite_all(l->fd, buf, (size_t)len, l->end) < 0)
		return -1;
	l->end += len;
	return 0;
}

/* Several journal lines at once (the releases of a turn). */
int
spool_lease_append(struct spool_lease *l, const char *lines, size_t len)
{
	if (spool_pwrite_all(l->fd, lines, len, l->end) < 0)
		return -1;
	l->end += (off_t)len;
	return 0;
}

int
spool_lease_compact(struct spool *sp, struct spool_lease *l,
    const char *const *ids, size_t n, int force)
{
	if (l->end < COMPACT_AT && !force)
		return 0;
	return lease_write(sp, l, ids, n);
}

int
spool_lease_renew(struct spool_lease *l)
{
	char buf[48];
	int64_t boot = spool_boottime();
	int len = snprintf(buf, sizeof(buf), "%019lld %019lld",
	    (long long)spool_now(), (long long)boot);

	if (spool_pwrite_all(l->fd, buf, (size_t)len, l->renew_off) < 0)
		return -1;
	l->renewed = boot;
	return 0;
}

void
spool_lease_release(struct spool *sp, struct spool_lease *l)
{
	if (l->fd < 0)
		return;
	/* Unlink while still locked: nobody can mistake it for a dead one. */
	spool_sys.unlinkat(sp->dir[SPOOL_LEASE], sp->owner, 0);
	close(l->fd);
	l->fd = -1;
}

static void
parse_header(const char *text, struct spool_lease_info *li)
{
	const char *p, *nl;
	char *end;
	long long w = 0, b = 0;

	for (p = text; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		if (strncmp(p, "host=", 5) == 0)
			sscanf(p + 5, "%63[^\n]", li->host);
		else if (strncmp(p, "pid=", 4) == 0)
			li->pid = strtol(p + 4, NULL, 10);
		else if (strncmp(p, "boot_id=", 8) == 0)
			sscanf(p + 8, "%39[^\n]", li->boot_id);
		else if (strncmp(p, "started=", 8) == 0)
			li->started = strtoll(p + 8, NULL, 10);
		else if (strncmp(p, "ttl=", 4) == 0)
			li->ttl = strtoll(p + 4, NULL, 10);
		else if (strncmp(p, "renewed=", 8) == 0) {
			/* strtoll, not sscanf: out of range is then defined
			 * (it saturates), and a lease file is anybody's text. */
			w = strtoll(p + 8, &end, 10);
			b = strtoll(end, NULL, 10);
			break;	/* the journal follows */
		}
	}
	li->renewed = w;
	li->renewed_boot = b;
}

/* renewed + ttl < now, for any values read off the disk (no overflow);
 * a renewal in the future is not overdue. */
static int
overdue(int64_t renewed, int64_t ttl, int64_t now)
{
	return renewed < now && (uint64_t)now - (uint64_t)renewed > (uint64_t)ttl;
}

int
spool_lease_expired(const struct spool *sp, const struct spool_lease_info *li)
{
	if (li->ttl <= 0)
		return 0;
	if (li->boot_id[0] && strcmp(li->boot_id, sp->boot_id) == 0)
		return overdue(li->renewed_boot, li->ttl, spool_boottime());
	return overdue(li->renewed, li->ttl, spool_now());
}

/* Replay the journal: fn for each job claimed and not released. */
static int
replay(const char *text, void (*fn)(const char *, void *), void *arg)
{
	struct spool_set held = { 0 };
	const char *p, *nl;
	char id[SPOOL_ID_MAX + 1];
	size_t i, len;
	int n = 0;

	for (p = text; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		len = (size_t)(nl - p);
		if ((*p != '+' && *p != '-') || len < 2 || len > SPOOL_ID_MAX)
			continue;
		memcpy(id, p + 1, len - 1);
		id[len - 1] = '\0';
		if (!spool_id_valid(id))
			continue;	/* no claim ever wrote it: damage */
		if (*p == '+') {
			if (spool_set_add(&held, id, "") < 0) {
				spool_set_free(&held);
				return -1;
			}
		} else if (held.cap) {
			struct spool_slot *s = (struct spool_slot *)
			    spool_set_get(&held, id);
			if (s)
				s->value = NULL;
		}
	}
	for (i = 0; i < held.cap; i++)
		if (held.slot[i].name && held.slot[i].value) {
			n++;
			if (fn)
				fn(held.slot[i].name, arg);
		}
	spool_set_free(&held);
	return n;
}

/*
 * Open and judge lease/NAME.  Returns the locked descriptor of a dead lease
 * (the caller recovers it, then calls spool_lease_bury), -2 for a live one
 * (or one another recoverer holds this instant), -1 on error (ENOENT: gone meanwhile).  li is filled either way, and
 * the journal is replayed into fn for live leases that have not expired.
 */
int
spool_lease_judge(struct spool *sp, const char *name,
    struct spool_lease_info *li, void (*fn)(const char *, void *), void *arg)
{
	struct stat st;
	char *text;
	ssize_t len;
	int fd, tries = 0;

	memset(li, 0, sizeof(*li));
	snprintf(li->name, sizeof(li->name), "%s", name);
	for (;;) {
		fd = spool_sys.openat(sp->dir[SPOOL_LEASE], name, O_RDONLY |
		    O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0);
		if (fd < 0) {
			if (errno == ELOOP)
				errno = EINVAL;	/* a symlink: no lease */
			return -1;
		}
		/* An exclusive try: whoever gets it is the only one to bury it. */
		li->alive = flock(fd, LOCK_EX | LOCK_NB) < 0;
		if (fstat(fd, &st) < 0) {
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		if (!S_ISREG(st.st_mode) || (size_t)st.st_size > LEASE_MAX) {
			int e = S_ISREG(st.st_mode) ? EFBIG : EINVAL;
			close(fd);
			errno = e;
			return -1;
		}
		if (li->alive || st.st_nlink > 0)
			break;
		/* Unlinked since we opened it: its holder rewrote it (then the
		 * name holds the new one) or let it go.  Look again. */
		close(fd);
		if (++tries == 8) {
			errno = EAGAIN;
			return -1;
		}
	}
	if ((text = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return -1;
	}
	len = pread(fd, text, (size_t)st.st_size, 0);
	text[len < 0 ? 0 : len] = '\0';
	parse_header(text, li);
	li->expired = li->alive && spool_lease_expired(sp, li);
	li->jobs = replay(text, li->alive && !li->expired ? fn : NULL, arg);
	free(text);
	if (li->alive) {
		close(fd);
		return -2;
	}
	return fd;
}

struct find {
	const char *id;
	int found;
};

static void
find_id(const char *id, void *arg)
{
	struct find *f = arg;

	if (strcmp(id, f->id) == 0)
		f->found = 1;
}

int
spool_lease_held_elsewhere(struct spool *sp, const char *id)
{
	struct spool_lease_info li;
	struct find f = { id, 0 };
	struct dirent *de;
	DIR *d;
	int fd;

	if ((fd = openat(sp->dir[SPOOL_LEASE], ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while (!f.found && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || strcmp(de->d_name, sp->owner) == 0)
			continue;
		if ((fd = spool_lease_judge(sp, de->d_name, &li, find_id, &f)) >= 0)
			close(fd);	/* dead: not holding anything */
	}
	closedir(d);
	return f.found;
}

void
spool_lease_bury(struct spool *sp, const char *name, int fd)
{
	struct stat st;

	if (fstat(fd, &st) == 0 && st.st_nlink > 0)
		spool_sys.unlinkat(sp->dir[SPOOL_LEASE], name, 0);
	close(fd);
}

int
spool_lease_list(struct spool *sp, struct spool_lease_info *out, int max)
{
	struct spool_lease_info li;
	struct dirent *de;
	DIR *d;
	int n = 0, fd;

	if ((fd = openat(sp->dir[SPOOL_LEASE], ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		int rc;
		if (de->d_name[0] == '.')
			continue;
		rc = spool_lease_judge(sp, de->d_name, &li, NULL, NULL);
		if (rc == -1)
			continue;
		if (rc >= 0)
			close(rc);	/* dead: leave it to recovery */
		if (n < max)
			out[n] = li;
		n++;
	}
	closedir(d);
	return n;
}

int
spool_lease_jobs(struct spool *sp, const char *lease,
    void (*fn)(const char *id, void *arg), void *arg)
{
	size_t len;
	char *text = spool_read_at(sp->dir[SPOOL_LEASE], lease, LEASE_MAX, &len);
	int n;

	if (text == NULL)
		return -1;
	n = replay(text, fn, arg);
	free(text);
	return n;
}
