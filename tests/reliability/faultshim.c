/*
 * faultshim.c - an LD_PRELOAD shim that makes the Nth call of one system
 * call fail, for the programs themselves (not only the library).
 *
 *	SHIM_OP=fsync SHIM_NTH=2 SHIM_ERR=EIO spoolsubmit ...
 *
 * SHIM_ERR is EIO, ENOSPC, EINTR, or SHORT (read/write/pwrite move half of
 * what was asked); SHIM_FROM=1 fails every call from the Nth on (a disk
 * that stays full).  SHIM_COUNTS=FILE writes "op calls" lines at exit, to
 * learn how many points there are; SHIM_FIRED=FILE gets "op nth err path"
 * each time a fault is injected.  Only the main thread of the process that
 * loaded the shim counts (not libinotifytools' thread, not children: the
 * shim takes itself out of the environment at once).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

enum { OPENAT, OPEN, READ, WRITE, PWRITE, FSYNC, FDATASYNC, SYNCFS, CLOSE,
	RENAMEAT2, RENAMEAT, UNLINKAT, MKDIRAT, FTRUNCATE, UTIMENSAT, FUTIMENS,
	FLOCK, NOPS };
static const char *const names[NOPS] = { "openat", "open", "read", "write",
	"pwrite", "fsync", "fdatasync", "syncfs", "close", "renameat2",
	"renameat", "unlinkat", "mkdirat", "ftruncate", "utimensat", "futimens",
	"flock" };

static int op = -1, nth, err, from, pid;
static long calls[NOPS];

__attribute__((constructor)) static void
init(void)
{
	const char *s;
	int i;

	pid = getpid();
	unsetenv("LD_PRELOAD");
	if ((s = getenv("SHIM_OP")) != NULL)
		for (i = 0; i < NOPS; i++)
			if (strcmp(s, names[i]) == 0)
				op = i;
	nth = (s = getenv("SHIM_NTH")) ? atoi(s) : 0;
	from = (s = getenv("SHIM_FROM")) && *s == '1';
	s = getenv("SHIM_ERR");
	err = !s ? EIO : strcmp(s, "ENOSPC") == 0 ? ENOSPC : strcmp(s, "EINTR")
	    == 0 ? EINTR : strcmp(s, "SHORT") == 0 ? -1 : EIO;
}

__attribute__((destructor)) static void
fini(void)
{
	const char *f = getenv("SHIM_COUNTS");
	FILE *out;
	int i;

	if (f == NULL || getpid() != pid || (out = fopen(f, "w")) == NULL)
		return;
	for (i = 0; i < NOPS; i++)
		if (calls[i])
			fprintf(out, "%s %ld\n", names[i], calls[i]);
	fclose(out);
}

static void
describe(char *buf, size_t size, int fd, const char *name)
{
	char link[64];
	ssize_t n = 0;

	if (fd == AT_FDCWD)
		n = 1, buf[0] = '.';
	else if (fd >= 0) {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		if ((n = readlink(link, buf, size - 1)) < 0)
			n = 0;
	}
	buf[n] = '\0';
	if (name && (size_t)n + strlen(name) + 2 < size) {
		if (n)
			strcat(buf, "/");
		strcat(buf, name);
	}
}

/* 1: fail this call with errno set; *shorten for a short count. */
static int
hit(int o, int fd, const char *name, int *shorten)
{
	char what[4096];
	const char *f;
	FILE *out;
	long n;
	int e = errno;

	*shorten = 0;
	if (getpid() != pid || syscall(SYS_gettid) != pid)
		return 0;
	n = ++calls[o];
	if (o != op || n < nth || (!from && n != nth))
		return 0;
	if ((f = getenv("SHIM_FIRED")) != NULL && (out = fopen(f, "a"))) {
		describe(what, sizeof(what), fd, name);
		fprintf(out, "%s %ld %s %s\n", names[o], n, err < 0 ? "SHORT" :
		    strerrorname_np(err), what);
		fclose(out);
	}
	errno = e;
	if (err < 0) {
		*shorten = 1;
		return 0;
	}
	errno = err;
	return 1;
}

#define REAL(sym) \
	static __typeof__(sym) *real; \
	if (!real) real = (__typeof__(sym) *)dlsym(RTLD_NEXT, #sym)

static int
do_openat(int d, const char *p, int fl, mode_t m)
{
	REAL(openat);
	int s;
	return hit(OPENAT, d, p, &s) ? -1 : real(d, p, fl, m);
}

int
openat(int d, const char *p, int fl, ...)
{
	va_list ap;
	mode_t m = 0;

	va_start(ap, fl);
	if (fl & (O_CREAT | O_TMPFILE))
		m = va_arg(ap, mode_t);
	va_end(ap);
	return do_openat(d, p, fl, m);
}

int openat64(int d, const char *p, int fl, ...) __attribute__((alias("openat")));

int
open(const char *p, int fl, ...)
{
	REAL(open);
	va_list ap;
	mode_t m = 0;
	int s;

	va_start(ap, fl);
	if (fl & (O_CREAT | O_TMPFILE))
		m = va_arg(ap, mode_t);
	va_end(ap);
	return hit(OPEN, AT_FDCWD, p, &s) ? -1 : real(p, fl, m);
}

int open64(const char *p, int fl, ...) __attribute__((alias("open")));

ssize_t
read(int fd, void *b, size_t n)
{
	REAL(read);
	int s;
	if (hit(READ, fd, NULL, &s))
		return -1;
	return real(fd, b, s && n > 1 ? n / 2 : n);
}

ssize_t
write(int fd, const void *b, size_t n)
{
	REAL(write);
	int s;
	if (hit(WRITE, fd, NULL, &s))
		return -1;
	return real(fd, b, s && n > 1 ? n / 2 : n);
}

ssize_t
pwrite(int fd, const void *b, size_t n, off_t o)
{
	REAL(pwrite);
	int s;
	if (hit(PWRITE, fd, NULL, &s))
		return -1;
	return real(fd, b, s && n > 1 ? n / 2 : n, o);
}

ssize_t pwrite64(int, const void *, size_t, off_t) __attribute__((alias("pwrite")));

#define SIMPLE(fn, OP, proto, args, fd, name, realtype) \
	int fn proto { REAL(fn); int s; \
		return hit(OP, fd, name, &s) ? -1 : real args; }

SIMPLE(fsync, FSYNC, (int fd), (fd), fd, NULL, int (*)(int))
SIMPLE(fdatasync, FDATASYNC, (int fd), (fd), fd, NULL, int (*)(int))
SIMPLE(syncfs, SYNCFS, (int fd), (fd), fd, NULL, int (*)(int))
SIMPLE(renameat2, RENAMEAT2, (int a, const char *b, int c, const char *d,
    unsigned f), (a, b, c, d, f), a, b,
    int (*)(int, const char *, int, const char *, unsigned))
SIMPLE(renameat, RENAMEAT, (int a, const char *b, int c, const char *d),
    (a, b, c, d), a, b, int (*)(int, const char *, int, const char *))
SIMPLE(unlinkat, UNLINKAT, (int d, const char *p, int f), (d, p, f), d, p,
    int (*)(int, const char *, int))
SIMPLE(mkdirat, MKDIRAT, (int d, const char *p, mode_t m), (d, p, m), d, p,
    int (*)(int, const char *, mode_t))
SIMPLE(ftruncate, FTRUNCATE, (int fd, off_t l), (fd, l), fd, NULL,
    int (*)(int, off_t))
SIMPLE(utimensat, UTIMENSAT, (int d, const char *p, const struct timespec t[2],
    int f), (d, p, t, f), d, p,
    int (*)(int, const char *, const struct timespec *, int))
SIMPLE(futimens, FUTIMENS, (int fd, const struct timespec t[2]), (fd, t), fd,
    NULL, int (*)(int, const struct timespec *))
SIMPLE(flock, FLOCK, (int fd, int o), (fd, o), fd, NULL, int (*)(int, int))

/* close(2) that fails still closes (Linux): so does this one. */
int
close(int fd)
{
	REAL(close);
	int s, e;

	if (hit(CLOSE, fd, NULL, &s)) {
		e = errno;
		real(fd);
		errno = e;
		return -1;
	}
	return real(fd);
}
