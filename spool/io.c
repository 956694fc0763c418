/*
 * io.c - the durability recipe, in one place.
 *
 * Writes resume after short counts and EINTR (a signal may arrive at any
 * moment in a daemon).  A job reaches a state durably in this order:
 * the file's data is fsynced before the rename that publishes it, and the
 * target directory is fsynced after the rename, before anybody is told.
 * On a journaling file system (ext4 with its journal, xfs) a rename is one
 * journal transaction covering both directories, so syncing the target
 * directory makes the whole move durable: after a crash the job is in one
 * directory or the other, never both, never neither.  Without a journal
 * (ext2, ext4 made with ^has_journal) nothing makes a rename atomic on disk,
 * and after a crash fsck may leave a job under both names or, at worst,
 * none: run spools on a journaling file system.  With SPOOL_NOSYNC every
 * fsync is skipped (durable: false).
 *
 * A failed fsync is never retried and trusted: the error goes up, and the
 * caller must treat what it covered as not durable (the page cache may have
 * dropped the dirty pages already; see fsyncgate).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spool_int.h"

/* Write it all, at off (pwrite) or, with off < 0, at the file offset. */
static int
write_fully(int fd, const void *buf, size_t len, off_t off)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = off < 0 ? spool_sys.write(fd, p, len) :
		    spool_sys.pwrite(fd, p, len, off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
		if (off >= 0)
			off += n;
	}
	return 0;
}

int
spool_write_all(int fd, const void *buf, size_t len)
{
	return write_fully(fd, buf, len, -1);
}

int
spool_pwrite_all(int fd, const void *buf, size_t len, off_t off)
{
	return write_fully(fd, buf, len, off);
}

/* Read up to len bytes, stopping early only at end of file. */
ssize_t
spool_read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t got = 0;

	while (got < len) {
		ssize_t n = spool_sys.read(fd, p + got, len - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/*
 * A small text file, NUL-terminated, at most max bytes (EFBIG beyond).
 * O_NOFOLLOW: the spool never follows a symlink someone put there.
 */
char *
spool_read_at(int dirfd, const char *name, size_t max, size_t *lenp)
{
	struct stat st;
	char *buf = NULL;
	ssize_t n;
	int fd, e;

	fd = spool_sys.openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK, 0);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		goto fail;
	}
	if ((size_t)st.st_size > max) {
		errno = EFBIG;
		goto fail;
	}
	/* One byte more than the size, to see a file that grew meanwhile. */
	if ((buf = malloc((size_t)st.st_size + 2)) == NULL)
		goto fail;
	if ((n = spool_read_all(fd, buf, (size_t)st.st_size + 1)) < 0)
		goto fail;
	buf[n] = '\0';
	if (lenp)
		*lenp = (size_t)n;
	close(fd);
	return buf;
fail:
	e = errno;
	free(buf);
	close(fd);
	errno = e;
	return NULL;
}

/* close(2) can report a delayed write error (NFS, quota): check it.  Never
 * retried on EINTR: on Linux the descriptor is gone either way. */
int
spool_close_fd(int fd)
{
	if (spool_sys.close(fd) < 0 && errno != EINTR)
		return -1;
	return 0;
}

int
spool_fsync(struct spool *sp, int fd)
{
	if (sp->nosync)
		return 0;
	return spool_sys.fsync(fd);
}

/* Make the entries of a spool directory durable now, or at the commit of
 * the current batch (group commit). */
int
spool_sync_dir(struct spool *sp, int dir)
{
	if (sp->nosync)
		return 0;
	if (sp->batch > 0) {
		sp->dirty |= 1u << dir;
		return 0;
	}
	return spool_sys.fsync(sp->dir[dir]);
}

void
spool_batch_begin(struct spool *sp)
{
	sp->batch++;
}

int
spool_batch_commit(struct spool *sp)
{
	int i, rc = 0, e = 0;

	if (sp->batch > 0 && --sp->batch > 0)
		return 0;
	for (i = 0; i < SPOOL_NDIRS; i++) {
		if (!(sp->dirty & (1u << i)))
			continue;
		sp->dirty &= ~(1u << i);
		if (spool_sys.fsync(sp->dir[i]) < 0 && rc == 0) {
			rc = -1;
			e = errno;
		}
	}
	if (rc < 0)
		errno = e;
	return rc;
}

/*
 * rename(2) that never replaces (the caller syncs, see spool_job_move): two entries with the same name in two
 * states must never collapse into one.  RENAME_NOREPLACE is refused by a
 * few file systems (EINVAL: NFS, some FUSE); there, the plain rename is the
 * best there is, and the spool's names are unique by construction.
 */
int
spool_rename(struct spool *sp, int from, const char *oldname, int to,
    const char *newname)
{
	int rc;

	rc = spool_sys.renameat2(sp->dir[from], oldname, sp->dir[to], newname,
	    RENAME_NOREPLACE);
	if (rc < 0 && errno == EINVAL)
		rc = spool_sys.renameat2(sp->dir[from], oldname, sp->dir[to],
		    newname, 0);
	return rc;
}
