/*
 * spoolsubmit - submit files or standard input as jobs, atomically.
 *
 * Each job is written in tmp/ and renamed into new/; its ID is printed only
 * once the job is durable.  Jobs given together share their syncs (one
 * syncfs and one fsync of new/ per batch).  --random is the seed's demo
 * producer: N jobs of random text, at a given rate, N = 0 until stopped.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static const char usage[] =
    "spoolsubmit [-d DIR] [-c FILE] [--no-sync] [--delay DUR] [FILE ...]\n"
    "       spoolsubmit [-d DIR] [-c FILE] [--no-sync] --random N "
    "[--size BYTES] [--rate PER_SECOND]";

#define BATCH 256

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Commit the batch and print the IDs that are now durable. */
static void
commit(struct spool_submit *s, const char *what)
{
	size_t i, queued;
	int rc = spool_submit_commit(s, &queued), e = errno;

	for (i = 0; i < queued; i++)
		printf("%s\n", spool_submit_id(s, i));
	if (fflush(stdout) == EOF && rc == 0)
		cli_die_errno("unable to print IDs");
	if (rc < 0) {
		errno = e;
		cli_die_errno("unable to submit %s", what);
	}
}

static void
submit_files(struct spool_submit *s, char **files, int n)
{
	char id[SPOOL_ID_MAX + 1];
	int i, fd;

	if (n == 0) {
		if (spool_submit_add_fd(s, 0, id) < 0)
			cli_die_errno("unable to submit standard input");
		commit(s, "standard input");
		return;
	}
	for (i = 0; i < n; i++) {
		const char *f = files[i];
		fd = strcmp(f, "-") == 0 ? 0 : open(f, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			cli_die_errno("unable to open %s", f);
		if (spool_submit_add_fd(s, fd, id) < 0)
			cli_die_errno("unable to submit %s", f);
		if (fd != 0)
			close(fd);
		if (spool_submit_pending(s) >= BATCH || i == n - 1)
			commit(s, f);
	}
}

/* Random text, so that `cat` shows it and the stamp is a line of its own. */
static void
random_text(char *buf, size_t size)
{
	static const char set[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	size_t i;

	if (getrandom(buf, size, 0) < 0)
		for (i = 0; i < size; i++)
			buf[i] = (char)random();
	for (i = 0; i < size; i++)
		buf[i] = (i % 64 == 63 || i == size - 1) ? '\n' :
		    set[(unsigned char)buf[i] % (sizeof(set) - 1)];
}

static void
sleep_until(int64_t t)
{
	int64_t d = t - spool_mono();
	struct timespec ts;

	if (d <= 0)
		return;
	ts.tv_sec = d / 1000;
	ts.tv_nsec = (d % 1000) * 1000000;
	nanosleep(&ts, NULL);	/* EINTR: a signal, looked at by the caller */
}

static void
submit_random(struct spool_submit *s, long n, long size, double rate)
{
	char id[SPOOL_ID_MAX + 1], *buf = malloc((size_t)size + 1);
	int64_t start = spool_mono();
	long i;

	if (buf == NULL)
		cli_die_errno("unable to allocate %ld bytes", size);
	for (i = 0; (n == 0 || i < n) && !stop; i++) {
		if (rate > 0) {
			int64_t due = start + (int64_t)(i * 1000.0 / rate);
			/* Commit what is pending before sleeping on it. */
			if (due > spool_mono() && spool_submit_pending(s) > 0)
				commit(s, "random job");
			sleep_until(due);
			if (stop)
				break;
		}
		random_text(buf, (size_t)size);
		if (spool_submit_add(s, buf, (size_t)size, id) < 0)
			cli_die_errno("unable to submit a random job");
		if (spool_submit_pending(s) >= BATCH)
			commit(s, "random job");
	}
	commit(s, "random job");
	free(buf);
}

int
main(int argc, char **argv)
{
	struct spool_config cf;
	struct spool_submit *s;
	struct spool *sp;
	struct sigaction sa;
	const char *dir = NULL, *conf = NULL;
	long nrandom = -1, size = 512;
	double rate = 0;
	int64_t delay = 0;
	int i, nosync = 0;

	cli_prog = "spoolsubmit";
	spool_config_defaults(&cf);
	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (cli_common(a, usage))
			return 0;
		if (strcmp(a, "--no-sync") == 0) {
			nosync = 1;
			continue;
		}
		if (v == NULL)
			cli_usage(usage);
		i++;
		if (strcmp(a, "-d") == 0)
			dir = v;
		else if (strcmp(a, "-c") == 0)
			conf = v;
		else if (strcmp(a, "--random") == 0)
			nrandom = cli_number(a, v, 0, 1000000000);
		else if (strcmp(a, "--size") == 0)
			size = cli_number(a, v, 1, 1L << 30);
		else if (strcmp(a, "--rate") == 0) {
			char *end;
			rate = strtod(v, &end);
			if (*end || end == v || rate < 0)
				cli_die(EX_USAGE, "--rate: expected jobs per second, got \"%s\"", v);
		} else if (strcmp(a, "--delay") == 0)
			delay = cli_duration(a, v);
		else
			cli_usage(usage);
	}
	if (nrandom >= 0 && i < argc)
		cli_usage(usage);
	if (conf)
		cli_config_load(&cf, conf);
	if (!cf.durable)
		nosync = 1;
	sp = cli_spool_open(cli_spool_dir(dir, &cf), nosync ? SPOOL_NOSYNC : 0);
	if ((s = spool_submit_open(sp, delay)) == NULL)
		cli_die_errno("unable to start a submission");

	if (nrandom >= 0) {
		/* The demo producer stops between jobs and commits what it
		 * has.  Submitting files, a signal kills us as usual: nothing
		 * was acknowledged, and recovery clears the tmp files. */
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		submit_random(s, nrandom, size, rate);
	} else
		submit_files(s, argv + i, argc - i);
	spool_submit_close(s);
	spool_close(sp);
	spool_config_free(&cf);
	return 0;
}
