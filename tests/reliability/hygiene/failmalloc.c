/*
 * failmalloc.c - an LD_PRELOAD shim that makes one allocation fail.
 *
 *   FAILMALLOC_NTH=N     the Nth counted allocation fails (ENOMEM); 0: none
 *   FAILMALLOC_REPORT=F  at exit, append "calls=C failed=0|1 pid=P" to F
 *   FAILMALLOC_ALL=1     count every allocation, not only ours
 *
 * Counted are the allocations made by the program itself, that is by
 * libspool and the tools' code linked into it: malloc, calloc, realloc,
 * strdup, strndup, fdopendir and open_memstream whose caller lies in the
 * main executable.  The dynamic loader's, libc's own (stdio buffers, time
 * zones) and other libraries' are let through, unless FAILMALLOC_ALL is
 * set: the question is whether our code handles its own failures.
 *
 * Allocation goes to glibc's __libc_* entry points, so no dlsym runs
 * before malloc works.  Built by tests/reliability/hygiene/run.sh.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

static long nth = -1;		/* -1: not read yet */
static long calls;
static int failed, all;
static uintptr_t lo[16], hi[16];
static int nranges;

static int
main_ranges(struct dl_phdr_info *info, size_t size, void *arg)
{
	int i;

	(void)size;
	(void)arg;
	/* The first object is the executable (its name is ""). */
	for (i = 0; i < info->dlpi_phnum && nranges < 16; i++)
		if (info->dlpi_phdr[i].p_type == PT_LOAD &&
		    (info->dlpi_phdr[i].p_flags & PF_X)) {
			lo[nranges] = info->dlpi_addr + info->dlpi_phdr[i].p_vaddr;
			hi[nranges] = lo[nranges] + info->dlpi_phdr[i].p_memsz;
			nranges++;
		}
	return 1;	/* only the first */
}

static void
setup(void)
{
	const char *s = getenv("FAILMALLOC_NTH");

	nth = s ? strtol(s, NULL, 10) : 0;
	all = getenv("FAILMALLOC_ALL") != NULL;
	dl_iterate_phdr(main_ranges, NULL);
}

/* Count this allocation if it is ours; 1 if it must fail. */
static int
fail_now(const void *caller)
{
	uintptr_t a = (uintptr_t)caller;
	int i, ours = all;

	if (nth < 0)
		setup();
	for (i = 0; !ours && i < nranges; i++)
		ours = a >= lo[i] && a < hi[i];
	if (!ours)
		return 0;
	if (++calls != nth)
		return 0;
	failed = 1;
	errno = ENOMEM;
	return 1;
}

void *
malloc(size_t n)
{
	if (fail_now(__builtin_return_address(0)))
		return NULL;
	return __libc_malloc(n);
}

void *
calloc(size_t n, size_t size)
{
	if (fail_now(__builtin_return_address(0)))
		return NULL;
	return __libc_calloc(n, size);
}

void *
realloc(void *p, size_t n)
{
	if (fail_now(__builtin_return_address(0)))
		return NULL;
	return __libc_realloc(p, n);
}

char *
strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p;

	if (fail_now(__builtin_return_address(0)))
		return NULL;
	if ((p = __libc_malloc(n)) != NULL)
		memcpy(p, s, n);
	return p;
}

char *
strndup(const char *s, size_t max)
{
	size_t n = strnlen(s, max);
	char *p;

	if (fail_now(__builtin_return_address(0)))
		return NULL;
	if ((p = __libc_malloc(n + 1)) != NULL) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

DIR *
fdopendir(int fd)
{
	static DIR *(*real)(int);

	if (fail_now(__builtin_return_address(0)))
		return NULL;
	if (real == NULL)
		real = (DIR *(*)(int))dlsym(RTLD_NEXT, "fdopendir");
	return real(fd);
}

FILE *
open_memstream(char **buf, size_t *len)
{
	static FILE *(*real)(char **, size_t *);

	if (fail_now(__builtin_return_address(0)))
		return NULL;
	if (real == NULL)
		real = (FILE *(*)(char **, size_t *))dlsym(RTLD_NEXT,
		    "open_memstream");
	return real(buf, len);
}

__attribute__((destructor)) static void
report(void)
{
	const char *f = getenv("FAILMALLOC_REPORT");
	char line[96];
	int fd, n;

	if (f == NULL)
		return;
	n = snprintf(line, sizeof(line), "calls=%ld failed=%d pid=%ld\n",
	    calls, failed, (long)getpid());
	if ((fd = open(f, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644)) >= 0) {
		if (write(fd, line, (size_t)n) < 0)
			n = 0;
		close(fd);
	}
}
