/*
 * spoolstat - see a spool: a summary (counts per state, the oldest queued
 * job, the consumers, the supervisor), as text, JSON or Prometheus
 * metrics; the jobs per state by age (--shape, like Postfix's qshape); a
 * live view (--watch, stat_watch.c); a listing (ls, stat_ls.c) and one
 * job's details and history (show, stat_show.c).
 *
 * The summary reads directories only (getdents): it neither opens nor
 * stats a job, so it stays fast on a spool of a million jobs.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "stat.h"

static const char usage[] =
    "spoolstat [-d DIR] [-c FILE] [--json | --prometheus | --shape | --watch [SECONDS]]\n"
    "       spoolstat [-d DIR] [-c FILE] ls [-i | -c] [--json] [--older-than AGE]\n"
    "                 [--younger-than AGE] [--attempts N] [STATE | GLOB ...]\n"
    "       spoolstat [-d DIR] [-c FILE] show [--body | --json] ID ...";

/* The states a summary lists, in order; tmp/ is shown when not empty. */
static const int shown[] = { SPOOL_QUEUED, SPOOL_RUNNING, SPOOL_WAITING,
    SPOOL_HELD, SPOOL_DONE, SPOOL_DEAD };
#define NSHOWN (int)(sizeof(shown) / sizeof(shown[0]))

struct summary {
	long n[SPOOL_NSTATES];
	int has_oldest;
	int64_t oldest;		/* submission time, ms */
	char oldest_id[SPOOL_ID_MAX + 1];
	struct spool_lease_info *li;
	int nli;
	int64_t now;
};

static void
summary_load(struct spool *sp, struct summary *s)
{
	int n, st;

	memset(s, 0, sizeof(*s));
	/* One pass over each directory; new/ gives its oldest job too. */
	for (st = 0; st < SPOOL_NSTATES; st++) {
		s->n[st] = st == SPOOL_QUEUED ? spool_oldest(sp, st, s->oldest_id,
		    &s->oldest) : spool_list(sp, st, NULL, NULL);
		if (s->n[st] < 0)
			cli_die_errno("unable to read %s/%s", spool_path(sp),
			    spool_state_dir(st));
	}
	s->has_oldest = s->n[SPOOL_QUEUED] > 0;
	if ((n = spool_lease_list(sp, NULL, 0)) < 0)
		cli_die_errno("unable to read the leases of %s", spool_path(sp));
	if (n > 0 && (s->li = calloc((size_t)n, sizeof(*s->li))) == NULL)
		cli_die_errno("unable to allocate");
	if (n > 0 && (s->nli = spool_lease_list(sp, s->li, n)) > n)
		s->nli = n;	/* more came meanwhile: show those we have */
	s->now = spool_now();
}

static int
summary_text(struct spool *sp)
{
	struct summary s;
	char a[32], b[32];
	int i, alive = 0, jobs = 0;

	summary_load(sp, &s);
	printf("spool: ");
	out_name(stdout, spool_path(sp));
	putchar('\n');
	for (i = 0; i < NSHOWN; i++) {
		printf("%-8s %10ld", spool_state_name(shown[i]), s.n[shown[i]]);
		if (shown[i] == SPOOL_QUEUED && s.has_oldest) {
			printf("  oldest %s (", out_age(s.now - s.oldest, a,
			    sizeof(a)));
			out_name(stdout, s.oldest_id);
			putchar(')');
		}
		putchar('\n');
	}
	if (s.n[SPOOL_TMP] > 0)
		printf("%-8s %10ld  being written\n", "tmp", s.n[SPOOL_TMP]);
	for (i = 0; i < s.nli; i++) {
		alive += s.li[i].alive && !s.li[i].expired;
		jobs += s.li[i].jobs;
	}
	printf("consumers: %d alive, %d lease(s), %d job(s) held\n", alive,
	    s.nli, jobs);
	if (s.nli > 0)
		printf("  %-32s %-7s %5s %11s %11s\n", "HOLDER", "STATUS", "JOBS",
		    "STARTED", "RENEWED");
	for (i = 0; i < s.nli; i++) {
		printf("  ");
		out_name_padded(stdout, s.li[i].name, 32);
		printf(" %-7s %5d %7s ago %7s ago\n", !s.li[i].alive ? "dead" :
		    s.li[i].expired ? "hung" : "alive", s.li[i].jobs,
		    out_age(s.now - s.li[i].started, a, sizeof(a)),
		    out_age(s.now - s.li[i].renewed, b, sizeof(b)));
	}
	supervisor_print(sp, stdout, "  ");
	free(s.li);
	return 0;
}

static int
summary_json(struct spool *sp)
{
	struct summary s;
	int i;

	summary_load(sp, &s);
	printf("{\"spool\":");
	out_json(stdout, spool_path(sp));
	for (i = 0; i < NSHOWN; i++)
		printf(",\"%s\":%ld", spool_state_name(shown[i]), s.n[shown[i]]);
	printf(",\"tmp\":%ld,\"time\":%lld", s.n[SPOOL_TMP],
	    (long long)(s.now / 1000));
	if (s.has_oldest) {
		printf(",\"oldest_queued_age\":%.3f,\"oldest_queued_id\":",
		    (double)(s.now - s.oldest) / 1000);
		out_json(stdout, s.oldest_id);
	} else
		printf(",\"oldest_queued_age\":null,\"oldest_queued_id\":null");
	printf(",\"consumers\":[");
	for (i = 0; i < s.nli; i++) {
		printf("%s{\"owner\":", i ? "," : "");
		out_json(stdout, s.li[i].name);
		printf(",\"host\":");
		out_json(stdout, s.li[i].host);
		printf(",\"pid\":%ld,\"alive\":%s,\"expired\":%s,\"jobs\":%d,"
		    "\"started\":%lld,\"renewed\":%lld}", s.li[i].pid,
		    s.li[i].alive ? "true" : "false",
		    s.li[i].expired ? "true" : "false", s.li[i].jobs,
		    (long long)(s.li[i].started / 1000),
		    (long long)(s.li[i].renewed / 1000));
	}
	printf("],\"supervisor\":");
	supervisor_json(sp, stdout);
	printf("}\n");
	free(s.li);
	return 0;
}

/* A Prometheus label value: backslash, quote and newline escaped. */
static void
label(const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			printf("\\%c", *s);
		else if (*s == '\n')
			printf("\\n");
		else
			putchar(*s);
	}
}

static void
metric(const char *name, const char *type, const char *help)
{
	printf("# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static int
prometheus(struct spool *sp)
{
	uint64_t c[SPOOL_NACTIONS];
	struct summary s;
	int i, alive = 0;

	summary_load(sp, &s);
	if (spool_counters(sp, c) < 0)
		cli_die_errno("unable to read %s/run/counters", spool_path(sp));
	metric("spool_jobs", "gauge", "Jobs in each state.");
	for (i = 0; i < NSHOWN; i++)
		printf("spool_jobs{state=\"%s\"} %ld\n",
		    spool_state_name(shown[i]), s.n[shown[i]]);
	printf("spool_jobs{state=\"tmp\"} %ld\n", s.n[SPOOL_TMP]);
	metric("spool_oldest_queued_seconds", "gauge",
	    "Age of the oldest queued job since its submission (0: none).");
	printf("spool_oldest_queued_seconds %.3f\n",
	    s.has_oldest ? (double)(s.now - s.oldest) / 1000 : 0.0);
	for (i = 0; i < s.nli; i++)
		alive += s.li[i].alive && !s.li[i].expired;
	metric("spool_consumers", "gauge", "Consumers holding a live lease.");
	printf("spool_consumers %d\n", alive);
	metric("spool_leases_stale", "gauge",
	    "Leases of dead or hung consumers, waiting for recovery.");
	printf("spool_leases_stale %d\n", s.nli - alive);
	metric("spool_jobs_done_total", "counter", "Jobs finished (moved to done).");
	printf("spool_jobs_done_total %llu\n",
	    (unsigned long long)c[SPOOL_COMPLETE]);
	metric("spool_jobs_failed_total", "counter",
	    "Failed runs: jobs sent to retry or to dead by a consumer.");
	printf("spool_jobs_failed_total %llu\n",
	    (unsigned long long)c[SPOOL_RETRY] + c[SPOOL_BURY]);
	metric("spool_jobs_dead_total", "counter",
	    "Jobs moved to dead: failed for good, rejected or cancelled.");
	printf("spool_jobs_dead_total %llu\n",
	    (unsigned long long)c[SPOOL_BURY] + c[SPOOL_CANCEL]);
	metric("spool_transitions_total", "counter",
	    "State changes on this host, by action.");
	for (i = 0; i < SPOOL_NACTIONS; i++) {
		printf("spool_transitions_total{action=\"");
		label(spool_action_name(i));
		printf("\"} %llu\n", (unsigned long long)c[i]);
	}
	free(s.li);
	return 0;
}

/* qshape's buckets: minutes, doubling. */
static const int bucket_min[] = { 5, 10, 20, 40, 80, 160, 320, 640, 1280 };
#define NBUCKETS (int)(sizeof(bucket_min) / sizeof(bucket_min[0]) + 1)

struct shape {
	struct spool *sp;
	int st;
	int64_t now;
	long row[SPOOL_NSTATES][NBUCKETS];
};

static int
shape_one(const char *name, unsigned char type, void *arg)
{
	struct shape *sh = arg;
	struct spool_job_info ji;
	int64_t min;
	int b;

	(void)type;
	/* Only names spoolsubmit did not make are stat'ed. */
	if (spool_job_info(sh->sp, sh->st, name, 0, &ji) < 0)
		return 0;
	min = (sh->now - ji.submitted) / 60000;
	for (b = 0; b < NBUCKETS - 1 && min >= bucket_min[b]; b++)
		;
	sh->row[sh->st][b]++;
	return 0;
}

static int
shape(struct spool *sp)
{
	struct shape *sh;
	long total[NBUCKETS + 1] = { 0 }, t;
	int i, b;

	if ((sh = calloc(1, sizeof(*sh))) == NULL)
		cli_die_errno("unable to allocate");
	sh->sp = sp;
	sh->now = spool_now();
	for (i = 0; i < NSHOWN; i++) {
		sh->st = shown[i];
		if (spool_list(sp, sh->st, shape_one, sh) < 0)
			cli_die_errno("unable to read %s/%s", spool_path(sp),
			    spool_state_dir(sh->st));
	}
	printf("%-8s %8s", "age(min)", "T");
	for (b = 0; b < NBUCKETS - 1; b++)
		printf(" %6d", bucket_min[b]);
	printf(" %5d+\n", bucket_min[NBUCKETS - 2]);
	for (i = 0; i < NSHOWN; i++)
		for (b = 0; b < NBUCKETS; b++)
			total[b] += sh->row[shown[i]][b];
	for (i = -1; i < NSHOWN; i++) {
		long *row = i < 0 ? total : sh->row[shown[i]];
		for (t = 0, b = 0; b < NBUCKETS; b++)
			t += row[b];
		printf("%-8s %8ld", i < 0 ? "TOTAL" : spool_state_name(shown[i]), t);
		for (b = 0; b < NBUCKETS; b++)
			printf(" %6ld", row[b]);
		putchar('\n');
	}
	free(sh);
	return 0;
}

int
main(int argc, char **argv)
{
	struct spool_config cf;
	const char *dir = NULL, *conf = NULL;
	enum { SUMMARY, JSON, PROM, SHAPE, WATCH } mode = SUMMARY;
	int64_t interval = 1000;
	struct spool *sp;
	int i, rc;

	cli_prog = "spoolstat";
	spool_config_defaults(&cf);
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (cli_common(a, usage))
			return 0;
		if (strcmp(a, "--json") == 0)
			mode = JSON;
		else if (strcmp(a, "--prometheus") == 0)
			mode = PROM;
		else if (strcmp(a, "--shape") == 0)
			mode = SHAPE;
		else if (strcmp(a, "--watch") == 0) {
			mode = WATCH;
			if (i + 1 < argc && argv[i + 1][0] >= '0' &&
			    argv[i + 1][0] <= '9')
				interval = cli_duration(a, argv[++i]);
			if (interval < 100)
				cli_die(EX_USAGE, "--watch: at least 0.1 seconds");
		} else if (i + 1 < argc && strcmp(a, "-d") == 0)
			dir = argv[++i];
		else if (i + 1 < argc && strcmp(a, "-c") == 0)
			conf = argv[++i];
		else
			cli_usage(usage);
	}
	if (conf)
		cli_config_load(&cf, conf);
	if (i < argc && strcmp(argv[i], "ls") != 0 && strcmp(argv[i], "show") != 0)
		cli_usage(usage);
	if (i < argc && mode != SUMMARY && mode != JSON)
		cli_usage(usage);
	/* Read-only: nothing we do needs a sync. */
	sp = cli_spool_open(cli_spool_dir(dir, &cf), SPOOL_NOSYNC);
	if (i < argc && strcmp(argv[i], "ls") == 0)
		rc = stat_ls(sp, argc - i, argv + i, mode == JSON);
	else if (i < argc)
		rc = stat_show(sp, argc - i, argv + i, mode == JSON);
	else if (mode == JSON)
		rc = summary_json(sp);
	else if (mode == PROM)
		rc = prometheus(sp);
	else if (mode == SHAPE)
		rc = shape(sp);
	else if (mode == WATCH)
		rc = stat_watch(sp, interval);
	else
		rc = summary_text(sp);
	if (fflush(stdout) != 0 || ferror(stdout))
		cli_die_errno("unable to write the output");
	spool_close(sp);
	spool_config_free(&cf);
	return rc;
}
