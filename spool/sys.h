/*
 * sys.h - the syscall seam.
 *
 * Every system call through which libspool changes or syncs the spool goes
 * through this table, so that tests can make any one of them fail (EIO,
 * ENOSPC, EINTR, short counts) and check that nothing is lost.  Programs
 * leave it alone.
 */
#ifndef SPOOL_SYS_H
#define SPOOL_SYS_H

#include <sys/stat.h>
#include <sys/types.h>

struct spool_sys {
	int (*openat)(int dirfd, const char *path, int flags, mode_t mode);
	ssize_t (*read)(int fd, void *buf, size_t len);
	ssize_t (*write)(int fd, const void *buf, size_t len);
	ssize_t (*pwrite)(int fd, const void *buf, size_t len, off_t off);
	int (*fsync)(int fd);
	int (*syncfs)(int fd);
	int (*close)(int fd);
	int (*renameat2)(int olddirfd, const char *oldpath, int newdirfd,
	    const char *newpath, unsigned flags);
	int (*mkdirat)(int dirfd, const char *path, mode_t mode);
	int (*unlinkat)(int dirfd, const char *path, int flags);
	int (*ftruncate)(int fd, off_t len);
	int (*utimensat)(int dirfd, const char *path,
	    const struct timespec times[2], int flags);
};

extern struct spool_sys spool_sys;

#endif
