/*
 * time.c - clocks.  Wall time for what people read and for due times on
 * disk; monotonic time for timers; boot time for leases, so that a wall
 * clock jumping a day never expires a live lease on this host.
 */
#include <stdio.h>
#include <time.h>

#include "spool_int.h"

static int64_t
clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
spool_now(void)
{
	return clock_ms(CLOCK_REALTIME);
}

int64_t
spool_mono(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

int64_t
spool_boottime(void)
{
	return clock_ms(CLOCK_BOOTTIME);
}

char *
spool_time_format(int64_t ms, char *buf, size_t size)
{
	struct tm tm;
	time_t t = (time_t)(ms / 1000);

	if (ms < 0 || gmtime_r(&t, &tm) == NULL) {
		snprintf(buf, size, "-");
		return buf;
	}
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(ms % 1000));
	return buf;
}
