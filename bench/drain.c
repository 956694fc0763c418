/*
 * drain.c - spool through libspool, with a no-op handler in process.
 *
 *   drain submit DIR N batch|one [durable]	N jobs of 100 bytes by
 *		spool_submit: commits of BATCH jobs, or a commit per job
 *   drain drain DIR N C [durable]		C consumer processes claim and
 *		complete until the queue is empty; N jobs must be done
 *   drain e2e DIR N C [durable]		a producer (commits of BATCH)
 *		and C consumers at once
 *   drain depth DIR M [R]			one consumer claims M jobs, R
 *		times (refilled in between); prints the claim rate and the
 *		time to open the consumer (ms)
 *   drain latency DIR N US [durable]		a job every US microseconds by
 *		the plain protocol (tmp/, [fsync], rename to new/), one
 *		consumer; prints drop-to-claim p50 and p99 in ms
 *   drain killwait DIR PID ID			kill -9 PID, then the ms until
 *		new/ID appears
 *
 * A consumer turn is spoold's: work, claim and complete up to TURN jobs,
 * one group commit.  Prints jobs per second (or ms) on stdout.  Env BATCH
 * (default 100) and TURN (default 64).
 */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>

#include "spool.h"

#define PROG "drain"
#include "common.h"

static long batch = 100, turn = 64;

static struct spool *
open_spool(const char *dir, int durable)
{
	struct spool *sp;

	if (spool_init(dir) < 0 || spool_open(&sp, dir, durable ? 0 :
	    SPOOL_NOSYNC) < 0)
		die(dir);
	return sp;
}

static void
submit(const char *dir, long n, long per, int durable)
{
	struct spool *sp = open_spool(dir, durable);
	struct spool_submit *s = spool_submit_open(sp, 0);
	char id[SPOOL_ID_MAX + 1];
	size_t queued;
	long i;

	if (s == NULL)
		die("submit open");
	for (i = 0; i < n; i++) {
		if (spool_submit_add(s, payload, sizeof(payload), id) < 0)
			die("submit add");
		if ((i + 1) % per == 0 || i == n - 1)
			if (spool_submit_commit(s, &queued) < 0)
				die("submit commit");
	}
	spool_submit_close(s);
	spool_close(sp);
}

/* Claim and complete until n jobs are done by all (or, stop_empty, until
 * this consumer finds nothing to claim). */
static void
consume(const char *dir, long n, int durable, int stop_empty)
{
	struct spool_consumer_opts o;
	struct spool_consumer *c;
	struct spool_job job;
	struct spool *sp = open_spool(dir, durable);
	struct pollfd pfd;
	int64_t next;
	long k, turns = 0, idle = 0;
	int rc = 0;

	spool_consumer_defaults(&o);
	if ((c = spool_consumer_open(sp, &o)) == NULL)
		die("consumer open");
	for (;;) {
		spool_batch_begin(sp);
		next = spool_consumer_work(c);
		for (k = 0; k < turn && (rc = spool_consumer_claim(c, &job)) > 0;
		    k++)
			if (spool_job_complete(c, &job) < 0)
				die("complete");
		if (spool_batch_commit(sp) < 0)
			die("commit");
		if (rc < 0)
			die("claim");
		turns++;
		idle += k == 0;
		if (done_add(k, n))
			break;
		if (k == 0 && stop_empty)
			break;
		if (k < turn) {
			pfd = (struct pollfd){ .fd = spool_consumer_fd(c),
			    .events = POLLIN };
			poll(&pfd, 1, next > 20 ? 20 : (int)next);
		}
	}
	if (getenv("VERBOSE"))
		fprintf(stderr, "consumer %d: %ld turns, %ld idle\n",
		    (int)getpid(), turns, idle);
	spool_consumer_close(c);
	spool_close(sp);
}

/* The plain protocol, by hand: the rename's time goes to shared memory. */
static void
latency_producer(const char *dir, long n, long us, int durable)
{
	char tmp[PATH_MAX], new[PATH_MAX], name[128];
	struct timespec ts, pause = { 0, us * 1000 };
	int fd, dnew;
	long i;

	snprintf(new, sizeof(new), "%s/new", dir);
	if ((dnew = open(new, O_RDONLY | O_DIRECTORY)) < 0)
		die(new);
	for (i = 0; i < n; i++) {
		nanosleep(&pause, NULL);
		clock_gettime(CLOCK_REALTIME, &ts);
		snprintf(name, sizeof(name), "%010lld.%09ld.%d.lat%08ld",
		    (long long)ts.tv_sec, ts.tv_nsec, (int)getpid(), i);
		snprintf(tmp, sizeof(tmp), "%s/tmp/%s", dir, name);
		snprintf(new, sizeof(new), "%s/new/%s", dir, name);
		if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0644)) < 0 ||
		    write(fd, payload, sizeof(payload)) < 0 ||
		    (durable && fsync(fd) < 0) || close(fd) < 0)
			die(tmp);
		sh->lat[i] = now();
		if (rename(tmp, new) < 0)
			die(new);
		if (durable && fsync(dnew) < 0)
			die("fsync new");
	}
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
latency(const char *dir, long n, long us, int durable)
{
	struct spool_consumer_opts o;
	struct spool_consumer *c;
	struct spool_job job;
	struct spool *sp = open_spool(dir, durable);
	struct pollfd pfd;
	double *lat, t;
	const char *p;
	long got = 0, i;
	pid_t pid;

	if ((lat = calloc((size_t)n, sizeof(*lat))) == NULL)
		die("calloc");
	spool_consumer_defaults(&o);
	if ((c = spool_consumer_open(sp, &o)) == NULL)
		die("consumer open");
	if ((pid = fork()) == 0) {
		latency_producer(dir, n, us, durable);
		_exit(0);
	}
	while (got < n) {
		spool_batch_begin(sp);
		spool_consumer_work(c);
		while (spool_consumer_claim(c, &job) > 0) {
			t = now();
			if ((p = strstr(job.id, ".lat")) == NULL ||
			    (i = atol(p + 4)) < 0 || i >= n)
				die("a job not ours");
			lat[got++] = (t - sh->lat[i]) * 1000;
			spool_job_complete(c, &job);
		}
		spool_batch_commit(sp);
		if (got < n) {
			pfd = (struct pollfd){ .fd = spool_consumer_fd(c),
			    .events = POLLIN };
			poll(&pfd, 1, 100);
		}
	}
	wait_all(1);
	qsort(lat, (size_t)n, sizeof(*lat), cmp);
	printf("%.3f %.3f\n", lat[n / 2], lat[n * 99 / 100]);
	spool_consumer_close(c);
	spool_close(sp);
	(void)pid;
}

/* Put m new jobs straight into new/ (nobody is looking), named after the
 * others, marked complete (the sticky bit) as spool_submit's are. */
static void
refill(const char *dir, long m, long round)
{
	char path[PATH_MAX];
	struct timespec ts;
	long i;
	int fd;

	clock_gettime(CLOCK_REALTIME, &ts);
	for (i = 0; i < m; i++) {
		snprintf(path, sizeof(path), "%s/new/%010lld.%09ld.%d.refill",
		    dir, (long long)ts.tv_sec, round * m + i, (int)getpid());
		if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 01644)) < 0 ||
		    write(fd, payload, sizeof(payload)) < 0 || close(fd) < 0)
			die(path);
	}
}

/* rounds times: open a consumer (its first scan timed apart), claim m
 * jobs (timed), close, and put m jobs back: the depth stays. */
static void
depth(const char *dir, long m, long rounds)
{
	struct spool_consumer_opts o;
	struct spool_consumer *c;
	struct spool_job job;
	struct spool *sp;
	double t0, t1, claiming = 0, opening = 0;
	long k, r;

	for (r = 0; r < rounds; r++) {
		sp = open_spool(dir, 0);
		spool_consumer_defaults(&o);
		t0 = now();
		if ((c = spool_consumer_open(sp, &o)) == NULL)
			die("consumer open");
		t1 = now();
		for (k = 0; k < m; k++) {
			if (k % turn == 0)
				spool_consumer_work(c);
			if (spool_consumer_claim(c, &job) <= 0)
				die("claim: queue empty too soon");
			spool_job_complete(c, &job);
		}
		claiming += now() - t1;
		opening += t1 - t0;
		spool_consumer_close(c);
		spool_close(sp);
		refill(dir, m, r);
	}
	printf("%.0f %.1f\n", m * rounds / claiming, opening / rounds * 1000);
}

static void
killwait(const char *dir, pid_t pid, const char *id)
{
	char buf[65536] __attribute__((aligned(8))), path[PATH_MAX];
	struct inotify_event *e;
	struct pollfd pfd;
	double t0;
	ssize_t len, off;
	int in;

	snprintf(path, sizeof(path), "%s/new", dir);
	if ((in = inotify_init1(IN_CLOEXEC)) < 0 ||
	    inotify_add_watch(in, path, IN_MOVED_TO | IN_CREATE) < 0)
		die("inotify");
	t0 = now();
	if (kill(pid, SIGKILL) < 0)
		die("kill");
	pfd = (struct pollfd){ .fd = in, .events = POLLIN };
	while (poll(&pfd, 1, 10000) > 0) {
		if ((len = read(in, buf, sizeof(buf))) <= 0)
			die("read inotify");
		for (off = 0; off < len; off += sizeof(*e) + e->len) {
			e = (struct inotify_event *)(buf + off);
			if (e->len && strcmp(e->name, id) == 0) {
				printf("%.1f\n", (now() - t0) * 1000);
				return;
			}
		}
	}
	fprintf(stderr, "drain: %s not back in new/ after 10s\n", id);
	exit(1);
}

int
main(int argc, char **argv)
{
	const char *mode, *dir, *e;
	long n, c = 1;
	double t0;
	int durable, k;

	mode = mode_arg(argc, argv, 4, "submit|drain|e2e|depth|latency|"
	    "killwait DIR N ...");
	if ((e = getenv("BATCH")) != NULL)
		batch = atol(e);
	if ((e = getenv("TURN")) != NULL)
		turn = atol(e);
	dir = argv[2];
	n = atol(argv[3]);
	durable = last_is(argc, argv, "durable");
	payload_init('\n');
	shared_map((size_t)(n > 0 ? n : 1));
	if (argc > 4)
		c = atol(argv[4]);
	t0 = now();
	if (strcmp(mode, "submit") == 0) {
		submit(dir, n, argc > 4 && strcmp(argv[4], "one") == 0 ? 1 :
		    batch, durable);
		sh->end = now();
	} else if (strcmp(mode, "drain") == 0) {
		if (spawn((int)c) >= 0) {
			consume(dir, n, durable, 1);
			_exit(0);
		}
		wait_all((int)c);
		return finish(n, t0);
	} else if (strcmp(mode, "e2e") == 0) {
		spool_init(dir);
		if ((k = spawn((int)c + 1)) >= 0) {
			if (k < c)
				consume(dir, n, durable, 0);
			else
				submit(dir, n, batch, durable);
			_exit(0);
		}
		wait_all((int)c + 1);
	} else if (strcmp(mode, "depth") == 0) {
		depth(dir, n, c);
		return 0;
	} else if (strcmp(mode, "latency") == 0) {
		latency(dir, n, c, durable);
		return 0;
	} else if (strcmp(mode, "killwait") == 0) {
		killwait(dir, (pid_t)n, argv[4]);
		return 0;
	} else
		return unknown_mode(mode);
	print_rate(n, sh->end - t0);
	return 0;
}
