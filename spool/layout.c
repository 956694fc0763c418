/*
 * layout.c - creating and opening a spool: its directories, who we are.
 *
 * spool_init makes the layout (an existing one is fine, so that init is
 * idempotent and repairs a missing directory); spool_open keeps a
 * descriptor on each directory, so that every later operation is an *at()
 * call that cannot be redirected by a path component swapped under us.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spool_int.h"

static const char *const dirnames[SPOOL_NDIRS] = {
	[SPOOL_QUEUED] = SPOOL_DIR_NEW,
	[SPOOL_RUNNING] = SPOOL_DIR_CUR,
	[SPOOL_WAITING] = SPOOL_DIR_WAIT,
	[SPOOL_HELD] = SPOOL_DIR_HOLD,
	[SPOOL_DONE] = SPOOL_DIR_DONE,
	[SPOOL_DEAD] = SPOOL_DIR_DEAD,
	[SPOOL_TMP] = SPOOL_DIR_TMP,
	[SPOOL_META] = SPOOL_DIR_META,
	[SPOOL_LEASE] = SPOOL_DIR_LEASE,
	[SPOOL_RUN] = SPOOL_DIR_RUN,
};

static int
mkdir_p(const char *path)
{
	char buf[4096];
	char *p;

	if (strlen(path) >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(buf, path);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (spool_sys.mkdirat(AT_FDCWD, buf, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (spool_sys.mkdirat(AT_FDCWD, buf, 0755) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

int
spool_init(const char *path)
{
	int root, up, i, e;

	if (mkdir_p(path) < 0)
		return -1;
	root = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return -1;
	for (i = 0; i < SPOOL_NDIRS; i++)
		if (spool_sys.mkdirat(root, dirnames[i], 0755) < 0 &&
		    errno != EEXIST)
			goto fail;
	/*
	 * The new entries must survive a crash right after init says ok: the
	 * directories in the spool, and the spool in its parent.  Synced every
	 * time, not only when this call made them: an earlier init may have
	 * made them and then failed to sync.  A parent we may not open is
	 * not ours to sync.
	 */
	if (spool_sys.fsync(root) < 0)
		goto fail;
	if ((up = openat(root, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		i = spool_sys.fsync(up);
		e = errno;
		close(up);
		errno = e;
		if (i < 0)
			goto fail;
	}
	close(root);
	return 0;
fail:
	e = errno;
	close(root);
	errno = e;
	return -1;
}

static void
read_identity(struct spool *sp)
{
	char *p;
	int fd;
	ssize_t n;

	if (gethostname(sp->host, sizeof(sp->host)) < 0 || !sp->host[0])
		strcpy(sp->host, "localhost");
	sp->host[sizeof(sp->host) - 1] = '\0';
	/* A host name goes into IDs and lease names: keep it to [A-Za-z0-9.-],
	 * whole, so that hosts a.x and a.y sharing a spool stay apart. */
	for (p = sp->host; *p; p++)
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
		    !(*p >= '0' && *p <= '9') && *p != '-' && *p != '.')
			*p = '_';
	if (!sp->host[0])
		strcpy(sp->host, "localhost");

	fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : read(fd, sp->boot_id, sizeof(sp->boot_id) - 1);
	if (fd >= 0)
		close(fd);
	sp->boot_id[n > 0 ? n : 0] = '\0';
	sp->boot_id[strcspn(sp->boot_id, "\n")] = '\0';
	snprintf(sp->owner, sizeof(sp->owner), "%s:%ld", sp->host,
	    (long)getpid());
}

int
spool_open(struct spool **spp, const char *path, int flags)
{
	struct spool *sp;
	int i, e;

	if ((sp = calloc(1, sizeof(*sp))) == NULL)
		return -1;
	sp->root = -1;
	for (i = 0; i < SPOOL_NDIRS; i++)
		sp->dir[i] = -1;
	sp->nosync = !!(flags & SPOOL_NOSYNC);
	if ((sp->path = strdup(path)) == NULL)
		goto fail;
	sp->root = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sp->root < 0)
		goto fail;
	for (i = 0; i < SPOOL_NDIRS; i++) {
		/* O_NOFOLLOW: a spool directory replaced by a symlink is
		 * refused rather than followed elsewhere. */
		sp->dir[i] = openat(sp->root, dirnames[i],
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sp->dir[i] < 0) {
			if (errno == ENOENT)
				errno = ENOTDIR;	/* not a spool */
			goto fail;
		}
	}
	read_identity(sp);
	*spp = sp;
	return 0;
fail:
	e = errno;
	spool_close(sp);
	errno = e;
	return -1;
}

void
spool_close(struct spool *sp)
{
	int i;

	if (sp == NULL)
		return;
	for (i = 0; i < SPOOL_NDIRS; i++)
		if (sp->dir[i] >= 0)
			close(sp->dir[i]);
	if (sp->root >= 0)
		close(sp->root);
	spool_counters_close(sp);
	free(sp->path);
	free(sp);
}

const char *
spool_path(const struct spool *sp)
{
	return sp->path;
}

int
spool_dirfd(const struct spool *sp, enum spool_state st)
{
	return sp->dir[st];
}

int
spool_durable(const struct spool *sp)
{
	return !sp->nosync;
}

const char *
spool_owner(const struct spool *sp)
{
	return sp->owner;
}
