/*
 * fault.c - fault injection at the syscall seam (see fault.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "../../spool/sys.h"
#include "fault.h"

static struct spool_sys real;
static int saved;
static int calls[FAULT_NOPS];
static struct {
	enum fault_op op;
	int nth, err, sticky, fired;
} armed = { .nth = 0 };

static const char *const names[FAULT_NOPS] = {
	"openat", "read", "write", "pwrite", "fsync", "syncfs", "close",
	"rename", "mkdir", "unlink", "ftruncate", "utimensat",
};

const char *
fault_name(enum fault_op op)
{
	return names[op];
}

/* 1: fail this call (errno set, or *shorten for a short count). */
static int
hit(enum fault_op op, int *shorten)
{
	int n = ++calls[op];

	*shorten = 0;
	if (armed.nth == 0 || armed.op != op || n < armed.nth ||
	    (!armed.sticky && n != armed.nth))
		return 0;
	armed.fired = 1;
	if (armed.err == 0) {
		*shorten = 1;
		return 0;
	}
	errno = armed.err;
	return 1;
}

static size_t
shorter(size_t len)
{
	return len > 1 ? len / 2 : len;
}

static int
f_openat(int d, const char *p, int f, mode_t m)
{
	int s;
	return hit(FAULT_OPENAT, &s) ? -1 : real.openat(d, p, f, m);
}

static ssize_t
f_read(int fd, void *b, size_t n)
{
	int s;
	if (hit(FAULT_READ, &s))
		return -1;
	return real.read(fd, b, s ? shorter(n) : n);
}

static ssize_t
f_write(int fd, const void *b, size_t n)
{
	int s;
	if (hit(FAULT_WRITE, &s))
		return -1;
	return real.write(fd, b, s ? shorter(n) : n);
}

static ssize_t
f_pwrite(int fd, const void *b, size_t n, off_t o)
{
	int s;
	if (hit(FAULT_PWRITE, &s))
		return -1;
	return real.pwrite(fd, b, s ? shorter(n) : n, o);
}

static int
f_fsync(int fd)
{
	int s;
	return hit(FAULT_FSYNC, &s) ? -1 : real.fsync(fd);
}

static int
f_syncfs(int fd)
{
	int s;
	return hit(FAULT_SYNCFS, &s) ? -1 : real.syncfs(fd);
}

static int
f_close(int fd)
{
	int s;
	if (hit(FAULT_CLOSE, &s)) {
		int e = errno;
		real.close(fd);	/* Linux: the descriptor is gone anyway */
		errno = e;
		return -1;
	}
	return real.close(fd);
}

static int
f_renameat2(int od, const char *op, int nd, const char *np, unsigned fl)
{
	int s;
	return hit(FAULT_RENAME, &s) ? -1 : real.renameat2(od, op, nd, np, fl);
}

static int
f_mkdirat(int d, const char *p, mode_t m)
{
	int s;
	return hit(FAULT_MKDIR, &s) ? -1 : real.mkdirat(d, p, m);
}

static int
f_unlinkat(int d, const char *p, int f)
{
	int s;
	return hit(FAULT_UNLINK, &s) ? -1 : real.unlinkat(d, p, f);
}

static int
f_ftruncate(int fd, off_t l)
{
	int s;
	return hit(FAULT_FTRUNCATE, &s) ? -1 : real.ftruncate(fd, l);
}

static int
f_utimensat(int d, const char *p, const struct timespec t[2], int f)
{
	int s;
	return hit(FAULT_UTIMENSAT, &s) ? -1 : real.utimensat(d, p, t, f);
}

void
fault_reset(void)
{
	int i;

	if (!saved) {
		real = spool_sys;
		saved = 1;
	}
	spool_sys = (struct spool_sys){
		.openat = f_openat, .read = f_read, .write = f_write,
		.pwrite = f_pwrite, .fsync = f_fsync, .syncfs = f_syncfs,
		.close = f_close, .renameat2 = f_renameat2,
		.mkdirat = f_mkdirat, .unlinkat = f_unlinkat,
		.ftruncate = f_ftruncate, .utimensat = f_utimensat,
	};
	for (i = 0; i < FAULT_NOPS; i++)
		calls[i] = 0;
	armed.nth = 0;
	armed.fired = 0;
}

static void
arm(enum fault_op op, int nth, int err, int sticky)
{
	armed.op = op;
	armed.nth = calls[op] + nth;
	armed.err = err;
	armed.sticky = sticky;
	armed.fired = 0;
}

void
fault_arm(enum fault_op op, int nth, int err)
{
	arm(op, nth, err, 0);
}

void
fault_arm_from(enum fault_op op, int nth, int err)
{
	arm(op, nth, err, 1);
}

int
fault_calls(enum fault_op op)
{
	return calls[op];
}

int
fault_fired(void)
{
	return armed.fired;
}
