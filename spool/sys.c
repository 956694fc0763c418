/*
 * sys.c - the real system calls behind the seam of sys.h.
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "sys.h"

static int
sys_openat(int dirfd, const char *path, int flags, mode_t mode)
{
	return openat(dirfd, path, flags, mode);
}

struct spool_sys spool_sys = {
	.openat = sys_openat,
	.read = read,
	.write = write,
	.pwrite = pwrite,
	.fsync = fsync,
	.syncfs = syncfs,
	.close = close,
	.renameat2 = renameat2,
	.mkdirat = mkdirat,
	.unlinkat = unlinkat,
	.ftruncate = ftruncate,
	.utimensat = utimensat,
};
