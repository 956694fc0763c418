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
 *					numbered from FIRST, with spool's
 *					completeness mark (the sticky bit),
 *					as spool_submit makes them
 *
 * Consumer k takes the jobs i = k mod C, whose names it knows: no listing,
 * no contention.  Durable: three fsyncs a job (its data, new/, done/), none
 * shared.  Prints jobs per second on stdout.  DIR holds tmp new cur done
 * lease (made if missing); the names look like spool's IDs.
 */
#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#define PROG "floor"
#define DIE_BARE
#include "common.h"

static int dtmp, dnew, dcur, ddone, dlease, durable;

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

int
main(int argc, char **argv)
{
	const char *mode, *dir;
	double t0;
	long n;
	int c = 1, k, i;

	mode = mode_arg(argc, argv, 4, "produce|drain|e2e|fill DIR N [C] "
	    "[durable]");
	dir = argv[2];
	n = atol(argv[3]);
	i = 4;
	if (strcmp(mode, "drain") == 0 || strcmp(mode, "e2e") == 0)
		c = argc > i ? atoi(argv[i++]) : 1;
	else if (strcmp(mode, "fill") == 0)
		i++;
	durable = argc > i && strcmp(argv[i], "durable") == 0;
	payload_init('\n');
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
			    O_CLOEXEC, 01644);
			if (fd < 0 || write(fd, payload, sizeof(payload)) < 0)
				die("fill");
			close(fd);
		}
	} else if (strcmp(mode, "produce") == 0) {
		t0 = now();
		produce(n);
	} else if (strcmp(mode, "drain") == 0 || strcmp(mode, "e2e") == 0) {
		int e2e = mode[0] == 'e';	/* consumers wait, a producer */
		t0 = now();
		if ((k = spawn(c + e2e)) >= 0) {
			if (k < c)
				consume(dir, n, k, c, e2e);
			else
				produce(n);
			_exit(0);
		}
		wait_all(c + e2e);
	} else
		return unknown_mode(mode);
	print_rate(n, now() - t0);
	return 0;
}
