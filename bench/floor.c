/*
 * floor.c - the floor: only the system calls of a job's life, nothing else.
 *
 *   floor produce DIR N [durable]	create tmp/X, write, [fsync], close,
 *					rename to new/X, [fsync new/]
 *   floor drain DIR N C [durable]	C processes: rename new/X to cur/X,
 *					create lease/X, rename cur/X to done/X,
 *					[fsync done/], unlink lease/X
 *   floor e2e DIR N C [durable]	1 producer and C consumers at once;
 *					a consumer that finds its next job
 *					missing waits on inotify for new/
 *   floor fill DIR N [FIRST]		N jobs straight into DIR/new, no sync,
 *					numbered from FIRST
 *
 * Consumer k takes the jobs i = k mod C, whose names it knows: no listing,
 * no contention.  Durable: three fsyncs a job (its data, new/, done/), none
 * shared.  Prints jobs per second on stdout.  DIR holds tmp new cur done
 * lease (made if missing); the names look like spool's IDs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int dtmp, dnew, dcur, ddone, dlease, durable;
static char payload[100];

static void
die(const char *what)
{
	perror(what);
	exit(1);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
name(char *buf, long i)
{
	snprintf(buf, 64, "1700000000.%09ld.%d.floor", i, 4242);
}

static int
opendir_at(const char *dir, const char *sub)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	mkdir(path, 0755);
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		die(path);
	return fd;
}

static void
produce_one(long i)
{
	char n[64];
	int fd;

	name(n, i);
	fd = openat(dtmp, n, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, payload, sizeof(payload)) != sizeof(payload))
		die("create");
	if (durable && fsync(fd) < 0)
		die("fsync");
	if (close(fd) < 0 || renameat(dtmp, n, dnew, n) < 0)
		die("rename to new");
	if (durable && fsync(dnew) < 0)
		die("fsync new");
}

static void
produce(long n)
{
	long i;

	for (i = 0; i < n; i++)
		produce_one(i);
}

/* 1 done, 0 not there yet. */
static int
consume_one(long i)
{
	char n[64];
	int fd;

	name(n, i);
	if (renameat(dnew, n, dcur, n) < 0) {
		if (errno == ENOENT)
			return 0;
		die("rename to cur");
	}
	if ((fd = openat(dlease, n, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) < 0)
		die("lease");
	close(fd);
	if (renameat(dcur, n, ddone, n) < 0)
		die("rename to done");
	if (durable && fsync(ddone) < 0)
		die("fsync done");
	if (unlinkat(dlease, n, 0) < 0)
		die("unlink lease");
	return 1;
}

static void
consume(const char *dir, long n, int k, int c, int wait)
{
	char buf[65536], path[4096];
	long i;
	int in = -1;

	if (wait) {
		snprintf(path, sizeof(path), "%s/new", dir);
		if ((in = inotify_init1(IN_CLOEXEC)) < 0 ||
		    inotify_add_watch(in, path, IN_MOVED_TO) < 0)
			die("inotify");
	}
	for (i = k; i < n; i += c)
		while (!consume_one(i)) {
			if (!wait)
				die("missing job");
			if (read(in, buf, sizeof(buf)) < 0 && errno != EINTR)
				die("read inotify");
		}
}

static void
wait_all(int n)
{
	int ws;

	while (n-- > 0)
		if (wait(&ws) < 0 || !WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
			fprintf(stderr, "floor: a child failed\n");
			exit(1);
		}
}

int
main(int argc, char **argv)
{
	const char *mode, *dir;
	double t0;
	long n;
	int c = 1, k, i;

	if (argc < 4) {
		fprintf(stderr, "usage: floor produce|drain|e2e|fill DIR N [C] "
		    "[durable]\n");
		return 64;
	}
	mode = argv[1];
	dir = argv[2];
	n = atol(argv[3]);
	i = 4;
	if (strcmp(mode, "drain") == 0 || strcmp(mode, "e2e") == 0)
		c = argc > i ? atoi(argv[i++]) : 1;
	else if (strcmp(mode, "fill") == 0)
		i++;
	durable = argc > i && strcmp(argv[i], "durable") == 0;
	memset(payload, 'x', sizeof(payload));
	payload[sizeof(payload) - 1] = '\n';
	mkdir(dir, 0755);
	dtmp = opendir_at(dir, "tmp");
	dnew = opendir_at(dir, "new");
	dcur = opendir_at(dir, "cur");
	ddone = opendir_at(dir, "done");
	dlease = opendir_at(dir, "lease");

	if (strcmp(mode, "fill") == 0) {
		long first = argc > 4 ? atol(argv[4]) : 0, j;
		t0 = now();
		for (j = first; j < first + n; j++) {
			char nm[64];
			int fd;
			name(nm, j);
			fd = openat(dnew, nm, O_WRONLY | O_CREAT | O_EXCL |
			    O_CLOEXEC, 0644);
			if (fd < 0 || write(fd, payload, sizeof(payload)) < 0)
				die("fill");
			close(fd);
		}
	} else if (strcmp(mode, "produce") == 0) {
		t0 = now();
		produce(n);
	} else if (strcmp(mode, "drain") == 0) {
		t0 = now();
		for (k = 0; k < c; k++)
			if (fork() == 0) {
				consume(dir, n, k, c, 0);
				_exit(0);
			}
		wait_all(c);
	} else if (strcmp(mode, "e2e") == 0) {
		t0 = now();
		for (k = 0; k < c; k++)
			if (fork() == 0) {
				consume(dir, n, k, c, 1);
				_exit(0);
			}
		if (fork() == 0) {
			produce(n);
			_exit(0);
		}
		wait_all(c + 1);
	} else {
		fprintf(stderr, "floor: unknown mode %s\n", mode);
		return 64;
	}
	printf("%.0f\n", n / (now() - t0));
	return 0;
}
