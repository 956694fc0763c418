/*
 * common.h - what the bench programs (floor, drain, bsclient, sqliteq)
 * share: the clock, failing, the arguments, the payload, and the shared
 * memory in which their processes count the jobs done.  Each is one
 * standalone program built by bench/run, so this is static inline.
 *
 * Define PROG, the program's name, before including this.  die() prints
 * "PROG: what: why"; DIE_BARE makes it "what: why" (perror's form), and
 * DIE_NOERRNO, a string, stands for why where errno is 0.
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef PROG
#error "define PROG before including common.h"
#endif

/* Shared by all the processes of a run (shared_map). */
static struct shared {
	long done;		/* jobs completed, all consumers */
	double end;		/* when done reached n */
	double lat[];		/* drain latency: rename time of job i */
} *sh;

static char payload[100];

/* Seconds on the monotonic clock. */
static inline double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline void __attribute__((noreturn))
die(const char *what)
{
	const char *why = strerror(errno);

#ifdef DIE_NOERRNO
	if (errno == 0)
		why = DIE_NOERRNO;
#endif
#ifdef DIE_BARE
	fprintf(stderr, "%s: %s\n", what, why);
#else
	fprintf(stderr, "%s: %s: %s\n", PROG, what, why);
#endif
	exit(1);
}

/* argv[1], the mode, when there are at least min arguments (the program's
 * name included); else the usage, and exit 64. */
static inline const char *
mode_arg(int argc, char **argv, int min, const char *usage)
{
	if (argc < min) {
		fprintf(stderr, "usage: %s %s\n", PROG, usage);
		exit(64);
	}
	return argv[1];
}

/* The status for a mode the program does not have. */
static inline int
unknown_mode(const char *mode)
{
	fprintf(stderr, "%s: unknown mode %s\n", PROG, mode);
	return 64;
}

/* The last argument is word. */
static inline int
last_is(int argc, char **argv, const char *word)
{
	return strcmp(argv[argc - 1], word) == 0;
}

/* 100 bytes of 'x', the last one last. */
static inline void
payload_init(char last)
{
	memset(payload, 'x', sizeof(payload));
	payload[sizeof(payload) - 1] = last;
}

/* sh, with room for nlat latencies. */
static inline void
shared_map(size_t nlat)
{
	sh = mmap(NULL, sizeof(*sh) + sizeof(double) * nlat,
	    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		die("mmap");
}

/* k more jobs done by this process: 1 once all n are done.  Whoever does
 * the nth times the end. */
static inline int
done_add(long k, long n)
{
	long d = __atomic_add_fetch(&sh->done, k, __ATOMIC_SEQ_CST);

	if (d >= n && d - k < n)
		sh->end = now();
	return d >= n;
}

/* Fork n children: k (0 to n - 1) in the kth, -1 in the parent. */
static inline int
spawn(int n)
{
	int k;

	for (k = 0; k < n; k++)
		if (fork() == 0)
			return k;
	return -1;
}

/* Wait for n children; exit 1 if one failed. */
static inline void
wait_all(int n)
{
	int ws;

	while (n-- > 0)
		if (wait(&ws) < 0 || !WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
			fprintf(stderr, "%s: a child failed\n", PROG);
			exit(1);
		}
}

/* Jobs per second on stdout. */
static inline void
print_rate(long n, double secs)
{
	printf("%.0f\n", n / secs);
}

/* The exit status of a run from t0: 1 unless all n jobs were done, else
 * 0 and their rate printed. */
static inline int
finish(long n, double t0)
{
	if (sh->done != n) {
		fprintf(stderr, "%s: %ld jobs done, not %ld\n", PROG, sh->done,
		    n);
		return 1;
	}
	print_rate(n, sh->end - t0);
	return 0;
}

#endif
