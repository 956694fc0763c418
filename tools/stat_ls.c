/*
 * stat_ls.c - spoolstat ls: one line per job (ID, state, attempts, age,
 * size, owner, last error), or one JSON object per job, or IDs alone (-i,
 * for a pipe into spooladmin), or a count (-c).
 *
 * Each job costs only what its output and filters need: -i and -c read the
 * directories alone; sizes and ages of hand-named jobs need a stat; the
 * attempts and errors need the job's history; the holder of a running job
 * comes from the lease journals, read once.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "stat.h"

static const char usage[] =
    "spoolstat ls [-i | -c] [--json] [--older-than AGE] [--younger-than AGE]\n"
    "                 [--attempts N] [STATE | GLOB ...]";

struct ls {
	struct spool *sp;
	int ids, count, json;
	int64_t older, younger;	/* ms; -1: no filter */
	long attempts;		/* at least; -1: no filter */
	char **glob;
	int nglob;
	int states[SPOOL_NSTATES];
	int nstates;
	int st;			/* the state being counted */
	struct owners owners;
	char **meta;		/* IDs with a history, sorted */
	size_t nmeta;
	int width;
	int64_t now;
	long shown;
};

static void
parse(struct ls *l, int argc, char **argv)
{
	int i, st, opts = 1;

	l->older = l->younger = l->attempts = -1;
	if ((l->glob = calloc((size_t)argc, sizeof(*l->glob))) == NULL)
		cli_die_errno("unable to allocate");
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (opts && a[0] == '-' && a[1]) {
			if (cli_common(a, usage))
				exit(0);
			if (strcmp(a, "--") == 0)
				opts = 0;
			else if (strcmp(a, "-i") == 0)
				l->ids = 1;
			else if (strcmp(a, "-c") == 0)
				l->count = 1;
			else if (strcmp(a, "--json") == 0)
				l->json = 1;
			else if (v && strcmp(a, "--older-than") == 0)
				l->older = cli_duration(a, argv[++i]);
			else if (v && strcmp(a, "--younger-than") == 0)
				l->younger = cli_duration(a, argv[++i]);
			else if (v && strcmp(a, "--attempts") == 0)
				l->attempts = cli_number(a, argv[++i], 0, 1000000000);
			else
				cli_usage(usage);
		} else if ((st = spool_state_parse(a)) >= 0) {
			int k;
			for (k = 0; k < l->nstates && l->states[k] != st; k++)
				;
			if (k == l->nstates)
				l->states[l->nstates++] = st;
		} else
			l->glob[l->nglob++] = argv[i];
	}
	if (l->ids + l->count + l->json > 1)
		cli_die(EX_USAGE, "ls: -i, -c and --json are exclusive");
	if (l->nstates == 0)	/* every state a user sees, not tmp/ */
		for (st = 0; st < SPOOL_TMP; st++)
			l->states[l->nstates++] = st;
}

static int
matches(const struct ls *l, const char *name)
{
	int i;

	if (l->nglob == 0)
		return 1;
	for (i = 0; i < l->nglob; i++)
		if (fnmatch(l->glob[i], name, FNM_PERIOD) == 0)
			return 1;
	return 0;
}

/* The last failure in one line: "exit 1: reason", or NULL. */
static const char *
error_of(const struct spool_meta *m, char *buf, size_t size)
{
	if (!m->error[0] && !m->status[0])
		return NULL;
	snprintf(buf, size, "%s%s%s", m->status, m->status[0] && m->error[0] ?
	    ": " : "", m->error);
	return buf;
}

/* The fields of a job's JSON object, without its braces (ls and show). */
void
out_job_json(const struct spool_job_info *ji, int attempts, const char *owner,
    int64_t now)
{
	fputs("\"id\":", stdout);
	out_json(stdout, ji->id);
	printf(",\"state\":\"%s\",\"attempts\":%d,\"size\":%lld,"
	    "\"submitted\":%lld,\"age\":%.3f,\"owner\":",
	    spool_state_name(ji->state), attempts, (long long)ji->size,
	    (long long)(ji->submitted / 1000),
	    (double)(now - ji->submitted) / 1000);
	out_json(stdout, owner);
	fputs(",\"error\":", stdout);
	out_json(stdout, ji->meta.error[0] ? ji->meta.error : NULL);
	fputs(",\"status\":", stdout);
	out_json(stdout, ji->meta.status[0] ? ji->meta.status : NULL);
	if (ji->due >= 0)
		printf(",\"due\":%lld", (long long)(ji->due / 1000));
	else
		fputs(",\"due\":null", stdout);
	printf(",\"cancelled\":%s,\"regular\":%s",
	    ji->meta.cancelled ? "true" : "false", ji->regular ? "true" : "false");
}

static void
print_line(const struct ls *l, const struct spool_job_info *ji, int attempts,
    const char *owner)
{
	char age[32], err[700];
	const char *e = error_of(&ji->meta, err, sizeof(err));
	size_t elen;

	out_name_padded(stdout, ji->id, l->width);
	printf("  %-7s %3d %7s %9lld  ", spool_state_name(ji->state),
	    attempts, out_age(l->now - ji->submitted, age, sizeof(age)),
	    (long long)ji->size);
	out_name_padded(stdout, owner ? owner : "-", 24);	/* a file name too */
	printf("  ");
	if (e == NULL) {
		puts("-");
		return;
	}
	/* The first line, cut short: `spoolstat show` has all of it. */
	elen = strcspn(e, "\n");
	out_escaped(stdout, e, elen > 72 ? 72 : elen);
	puts(elen > 72 || e[elen] ? "..." : "");
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
one(struct ls *l, int st, const char *name)
{
	struct spool_job_info ji;
	char obuf[SPOOL_OWNER_MAX + 16];
	const char *owner = NULL;
	unsigned what = 0;
	int attempts;

	ji.meta.attempts = 0;	/* what is not looked up: none so far */
	ji.state = st;
	if (!l->ids && !l->count)
		what = SPOOL_INFO_STAT | SPOOL_INFO_META;
	else if (l->attempts >= 0)
		what = SPOOL_INFO_META;
	/* Most jobs have no history (a first run that succeeds writes
	 * none): look only for those that have one. */
	if ((what & SPOOL_INFO_META) && bsearch(&name, l->meta, l->nmeta,
	    sizeof(*l->meta), cmp_name) == NULL)
		what &= ~(unsigned)SPOOL_INFO_META;
	if ((what || l->older >= 0 || l->younger >= 0 || l->attempts >= 0) &&
	    spool_job_info(l->sp, st, name, what, &ji) < 0) {
		int e = errno;
		/* A history that cannot be read (a FIFO, a symlink, too big)
		 * does not hide the job: it is shown, with why. */
		if (e == ENOENT || !(what & SPOOL_INFO_META) ||
		    spool_job_info(l->sp, st, name, what & ~SPOOL_INFO_META,
		    &ji) < 0)
			return;		/* moved since it was listed */
		snprintf(ji.meta.error, sizeof(ji.meta.error),
		    "history unreadable: %s", strerror(e));
	}
	attempts = stat_attempts(&ji);
	if ((l->older >= 0 && l->now - ji.submitted < l->older) ||
	    (l->younger >= 0 && l->now - ji.submitted >= l->younger) ||
	    (l->attempts >= 0 && attempts < l->attempts))
		return;
	l->shown++;
	if (l->count)
		return;
	if (l->ids) {
		out_name(stdout, name);
		putchar('\n');
		return;
	}
	if (st == SPOOL_RUNNING)
		owner = owners_get(&l->owners, name, obuf, sizeof(obuf));
	if (l->json) {
		putchar('{');
		out_job_json(&ji, attempts, owner, l->now);
		puts("}");
	}
	else
		print_line(l, &ji, attempts, owner);
}

static int
count_one(const char *name, unsigned char type, void *arg)
{
	struct ls *l = arg;

	(void)type;
	if (matches(l, name))
		one(l, l->st, name);
	return 0;
}

static int
count_filtered(struct ls *l)
{
	int i;

	if (l->attempts >= 0 && spool_meta_names(l->sp, &l->meta, &l->nmeta) < 0)
		cli_die_errno("unable to read %s/meta", spool_path(l->sp));
	for (i = 0; i < l->nstates; i++) {
		l->st = l->states[i];
		if (spool_list(l->sp, l->st, count_one, l) < 0)
			cli_die_errno("unable to read %s/%s", spool_path(l->sp),
			    spool_state_dir(l->st));
	}
	printf("%ld\n", l->shown);
	spool_names_sorted_free(l->meta, l->nmeta);
	free(l->glob);
	return 0;
}

int
stat_ls(struct spool *sp, int argc, char **argv, int json)
{
	struct ls l = { .sp = sp, .json = json };
	char **names[SPOOL_NSTATES] = { 0 };
	size_t n[SPOOL_NSTATES] = { 0 }, j;
	int i, w, running = 0;
	long c;

	parse(&l, argc, argv);
	l.now = spool_now();
	/* A plain count is the directories' sizes: nothing is opened. */
	if (l.count && l.nglob == 0 && l.older < 0 && l.younger < 0 &&
	    l.attempts < 0) {
		for (i = 0; i < l.nstates; i++) {
			if ((c = spool_list(sp, l.states[i], NULL, NULL)) < 0)
				cli_die_errno("unable to read %s/%s", spool_path(sp),
				    spool_state_dir(l.states[i]));
			l.shown += c;
		}
		printf("%ld\n", l.shown);
		free(l.glob);
		return 0;
	}
	if (l.count)	/* filters, but no order to keep: no sorting */
		return count_filtered(&l);
	l.width = 2;
	for (i = 0; i < l.nstates; i++) {
		if (spool_names_sorted(sp, l.states[i], &names[i], &n[i]) < 0)
			cli_die_errno("unable to read %s/%s", spool_path(sp),
			    spool_state_dir(l.states[i]));
		running |= l.states[i] == SPOOL_RUNNING;
		for (j = 0; j < n[i] && !l.ids && !l.count && !l.json; j++)
			if ((w = out_name_width(names[i][j])) > l.width)
				l.width = w > 64 ? 64 : w;
	}
	if ((l.attempts >= 0 || (!l.ids && !l.count)) &&
	    spool_meta_names(sp, &l.meta, &l.nmeta) < 0)
		cli_die_errno("unable to read %s/meta", spool_path(sp));
	if (running && !l.ids && !l.count && owners_load(sp, &l.owners) < 0)
		cli_die_errno("unable to read the leases of %s", spool_path(sp));
	if (!l.ids && !l.count && !l.json) {
		printf("%-*s  %-7s %3s %7s %9s  %-24s  %s\n", l.width, "ID",
		    "STATE", "ATT", "AGE", "SIZE", "OWNER", "LAST ERROR");
	}
	for (i = 0; i < l.nstates; i++) {
		for (j = 0; j < n[i]; j++)
			if (matches(&l, names[i][j]))
				one(&l, l.states[i], names[i][j]);
		spool_names_sorted_free(names[i], n[i]);
	}
	if (l.count)
		printf("%ld\n", l.shown);
	owners_free(&l.owners);
	spool_names_sorted_free(l.meta, l.nmeta);
	free(l.glob);
	return 0;
}
