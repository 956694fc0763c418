/*
 * id.c - job IDs.
 *
 * spoolsubmit's IDs are "SECONDS.NANOSECONDS.PID.HOST": fixed-width time
 * first, so that names sort in submission order (the consumer claims the
 * smallest name first), then the pid and host that make them unique across
 * processes and hosts sharing a spool.  Within a process the time part is
 * kept strictly increasing, so a clock that stalls or steps back cannot
 * produce a duplicate.  Only [A-Za-z0-9._-] appear.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "spool_int.h"

int
spool_id_new(struct spool *sp, char id[SPOOL_ID_MAX + 1])
{
	struct timespec ts;
	int64_t ns;

	clock_gettime(CLOCK_REALTIME, &ts);
	ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	if (ns <= sp->last_ns)
		ns = sp->last_ns + 1;
	sp->last_ns = ns;
	snprintf(id, SPOOL_ID_MAX + 1, "%010lld.%09lld.%ld.%s",
	    (long long)(ns / 1000000000), (long long)(ns % 1000000000),
	    (long)getpid(), sp->host);
	return 0;
}

int
spool_id_valid(const char *id)
{
	const char *p;
	size_t len = strlen(id);

	if (len == 0 || len > SPOOL_ID_MAX || strcmp(id, ".") == 0 ||
	    strcmp(id, "..") == 0)
		return 0;
	for (p = id; *p; p++)
		if (*p == '/')
			return 0;
	return 1;
}

/* Digits only: strtoll would also take a sign or leading blanks. */
static int64_t
digits(const char *p, int n)
{
	int64_t v = 0;

	for (; n > 0; n--, p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (*p - '0');
	}
	return v;
}

int64_t
spool_id_time(const char *id)
{
	int64_t s, ns;

	if (strlen(id) < 21 || id[10] != '.' || id[20] != '.')
		return -1;
	if ((s = digits(id, 10)) < 0 || (ns = digits(id + 11, 9)) < 0)
		return -1;
	return s * 1000 + ns / 1000000;
}
