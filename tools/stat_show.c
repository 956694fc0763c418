/*
 * stat_show.c - spoolstat show ID...: everything about a job.  Its state,
 * size and times; attempts, holder, last failure; its whole history from
 * meta/ID, one event a line with who did it and why (a failure's stderr
 * tail below it); and the head of its payload (--body: all of it).
 * Nothing read off the disk reaches the terminal unescaped.  --json: one
 * object a job, a line each (ls --json's fields, the time of the last
 * change, the path and the history, each event's fields unescaped).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stat.h"

#define HEAD_BYTES	1024
#define HEAD_LINES	20
#define MAX_FIELDS	16

static const char usage[] = "spoolstat show [--body | --json] ID ...";

struct field {
	char key[32];
	char val[2048];
};

/* The next key=value of an event line, the value unescaped (see
 * spool_escape); 0 at the end of the line. */
static int
next_field(const char **pp, struct field *f)
{
	const char *p = *pp;
	size_t n = 0, k;

	while (*p == ' ')
		p++;
	if (!*p || *p == '\n')
		return 0;
	k = strcspn(p, "= \n");
	snprintf(f->key, sizeof(f->key), "%.*s", (int)k, p);
	p += k;
	if (*p == '=')
		p++;
	if (*p != '"') {
		k = strcspn(p, " \n");
		snprintf(f->val, sizeof(f->val), "%.*s", (int)k, p);
		*pp = p + k;
		return 1;
	}
	for (p++; *p && *p != '"' && *p != '\n'; p++) {
		char c = *p;
		if (c == '\\' && p[1]) {
			c = *++p;
			if (c == 'n')
				c = '\n';
			else if (c == 't')
				c = '\t';
			else if (c == 'x' && p[1] && p[2]) {
				char hex[3] = { p[1], p[2], 0 };
				c = (char)strtol(hex, NULL, 16);
				p += 2;
			}
		}
		if (n + 1 < sizeof(f->val))
			f->val[n++] = c;
	}
	f->val[n] = '\0';
	*pp = *p == '"' ? p + 1 : p;
	return 1;
}

/* Known keys first, in this order and in words; the rest as key=value. */
static const struct {
	const char *key, *label;
} known[] = {
	{ "by", "by " }, { "attempt", "attempt " }, { "status", "" },
	{ "from", "from " }, { "delay", "next try in " }, { "lease", "lease " },
	{ "reason", "reason: " }, { "note", "note: " },
};
#define NKNOWN (int)(sizeof(known) / sizeof(known[0]))

static void
print_block(const char *text)
{
	const char *p = text, *nl;

	while (*p) {
		nl = strchr(p, '\n');
		fputs("      | ", stdout);
		out_escaped(stdout, p, nl ? (size_t)(nl - p) : strlen(p));
		putchar('\n');
		if (nl == NULL)
			break;
		p = nl + 1;
	}
}

static int
is_known(const char *key)
{
	int k;

	for (k = 0; k < NKNOWN; k++)
		if (strcmp(key, known[k].key) == 0)
			return 1;
	return strcmp(key, "error") == 0;	/* shown below the line */
}

static void
print_fields(const struct field *f, int n)
{
	const char *sep = "";
	int i, k;

	for (k = 0; k < NKNOWN; k++)
		for (i = 0; i < n; i++)
			if (strcmp(f[i].key, known[k].key) == 0) {
				printf("%s%s", sep, known[k].label);
				out_name(stdout, f[i].val);
				sep = ", ";
			}
	for (i = 0; i < n; i++)
		if (!is_known(f[i].key)) {
			printf("%s", sep);
			out_name(stdout, f[i].key);
			putchar('=');
			out_name(stdout, f[i].val);
			sep = ", ";
		}
}

/* An event line split: its time and its name (bytes of the line, not
 * NUL-terminated), then its key=value fields, values unescaped. */
struct event {
	const char *time, *name;
	size_t tlen, nlen;
	struct field *f;	/* MAX_FIELDS of them, calloc'ed */
	int n;
};

static void
event_split(const char *line, struct event *ev)
{
	const char *p;

	if ((ev->f = calloc(MAX_FIELDS, sizeof(*ev->f))) == NULL)
		cli_die_errno("unable to allocate");
	ev->time = line;
	ev->tlen = strcspn(line, " \n");
	ev->name = p = line + ev->tlen + (line[ev->tlen] == ' ');
	ev->nlen = strcspn(p, " \n");
	for (p += ev->nlen, ev->n = 0; ev->n < MAX_FIELDS &&
	    next_field(&p, &ev->f[ev->n]); ev->n++)
		;
}

/* "  TIME  EVENT    by X, attempt N, ...", then the error below it. */
static void
print_event(const char *line)
{
	struct event ev;
	int i, w;

	event_split(line, &ev);
	printf("  ");
	out_escaped(stdout, ev.time, ev.tlen);
	printf("  ");
	out_escaped(stdout, ev.name, ev.nlen);
	for (w = (int)ev.nlen; w < 8; w++)
		putchar(' ');
	putchar(' ');
	print_fields(ev.f, ev.n);
	putchar('\n');
	for (i = 0; i < ev.n; i++)
		if (strcmp(ev.f[i].key, "error") == 0 && ev.f[i].val[0])
			print_block(ev.f[i].val);
	free(ev.f);
}

static void
print_history(struct spool *sp, const struct spool_job_info *ji)
{
	char ts[32], *text;
	const char *p, *nl;
	size_t len;

	printf("history:\n  %s  submitted\n", spool_time_format(ji->submitted,
	    ts, sizeof(ts)));
	if ((text = spool_meta_history(sp, ji->id, &len)) == NULL) {
		if (errno != ENOENT)
			printf("  (history unreadable: %s)\n", strerror(errno));
		return;
	}
	for (p = text; p < text + len; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(text + len - p))) == NULL) {
			printf("  (torn last line: ");
			out_escaped(stdout, p, (size_t)(text + len - p));
			printf(")\n");
			break;
		}
		print_event(p);
	}
	free(text);
}

/* {"time":"...","event":"retry","by":"host:pid",...}: the event line's
 * fields as they are, values unescaped.  A torn last line is left out. */
static void
json_event(const char *line)
{
	struct event ev;
	char buf[sizeof(ev.f->val)];
	int i;

	event_split(line, &ev);
	snprintf(buf, sizeof(buf), "%.*s", (int)ev.tlen, ev.time);
	fputs("{\"time\":", stdout);
	out_json(stdout, buf);
	snprintf(buf, sizeof(buf), "%.*s", (int)ev.nlen, ev.name);
	fputs(",\"event\":", stdout);
	out_json(stdout, buf);
	for (i = 0; i < ev.n; i++)
		if (strcmp(ev.f[i].key, "time") != 0 &&
		    strcmp(ev.f[i].key, "event") != 0) {
			putchar(',');
			out_json(stdout, ev.f[i].key);
			putchar(':');
			out_json(stdout, ev.f[i].val);
		}
	putchar('}');
	free(ev.f);
}

static void
show_json(struct spool *sp, const struct spool_job_info *ji)
{
	char owner[SPOOL_OWNER_MAX + 16], path[SPOOL_ID_MAX + 16], *text;
	const char *p, *nl, *holder = NULL, *sep = "";
	struct owners o;
	size_t len;

	putchar('{');
	if (ji->state == SPOOL_RUNNING && owners_load(sp, &o) == 0) {
		holder = owners_get(&o, ji->id, owner, sizeof(owner));
		owners_free(&o);
	}
	out_job_json(ji, stat_attempts(ji), holder, spool_now());
	snprintf(path, sizeof(path), "%s/%s", spool_state_dir(ji->state),
	    ji->id);
	printf(",\"changed\":%lld,\"path\":", (long long)(ji->changed / 1000));
	out_json(stdout, path);
	fputs(",\"history\":[", stdout);
	text = spool_meta_history(sp, ji->id, &len);
	for (p = text; text && p < text + len; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(text + len - p))) == NULL)
			break;
		fputs(sep, stdout);
		json_event(p);
		sep = ",";
	}
	free(text);
	puts("]}");
}

/* Bytes at the end of buf that start a UTF-8 sequence cut in two. */
static size_t
cut_sequence(const unsigned char *buf, size_t n)
{
	size_t k, need;

	for (k = 1; k <= 3 && k <= n; k++) {
		unsigned char c = buf[n - k];
		if (c < 0x80 || (c & 0xc0) == 0xc0) {
			need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
			return need > k ? k : 0;
		}
	}
	return 0;
}

static void
print_body(struct spool *sp, const struct spool_job_info *ji, int all)
{
	unsigned char buf[65536], last = '\n';
	size_t have = 0, keep, shown = 0, lines = 0, i;
	ssize_t r;
	int fd;

	if (!ji->regular) {
		printf("body: not a regular file: not opened\n");
		return;
	}
	fd = openat(spool_dirfd(sp, ji->state), ji->id, O_RDONLY | O_NOFOLLOW |
	    O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		printf("body: cannot open: %s\n", strerror(errno));
		return;
	}
	printf("body (%lld bytes%s):\n", (long long)ji->size,
	    all || ji->size <= HEAD_BYTES ? "" : ", the head; --body for all");
	for (;;) {
		r = read(fd, buf + have, sizeof(buf) - have);
		if (r <= 0) {
			keep = 0;	/* the end: a cut sequence is escaped */
		} else {
			have += (size_t)r;
			if (!all) {	/* the head: so many bytes, so many lines */
				for (i = 0; i < have && i < HEAD_BYTES &&
				    lines < HEAD_LINES; i++)
					lines += buf[i] == '\n';
				have = i;
			}
			keep = all ? cut_sequence(buf, have) : 0;
		}
		if (have > keep) {
			out_text(stdout, (char *)buf, have - keep);
			last = buf[have - keep - 1];
			shown += have - keep;
		}
		memmove(buf, buf + have - keep, keep);
		have = keep;
		if (r <= 0 || !all)
			break;
	}
	if (last != '\n')
		putchar('\n');
	if (!all && (int64_t)shown < ji->size)
		printf("... %lld more bytes\n", (long long)(ji->size - (int64_t)shown));
	close(fd);
}

static void
show(struct spool *sp, const struct spool_job_info *ji, int all)
{
	char ts[32], age[32], owner[SPOOL_OWNER_MAX + 16];
	struct owners o;
	int64_t now = spool_now();

	printf("id:         ");
	out_name(stdout, ji->id);
	printf("\nstate:      %s (%s/)\n", spool_state_name(ji->state),
	    spool_state_dir(ji->state));
	printf("size:       %lld bytes%s\n", (long long)ji->size,
	    ji->regular ? "" : " (not a regular file: never run)");
	printf("submitted:  %s (%s ago)\n", spool_time_format(ji->submitted, ts,
	    sizeof(ts)), out_age(now - ji->submitted, age, sizeof(age)));
	printf("changed:    %s (%s ago)\n", spool_time_format(ji->changed, ts,
	    sizeof(ts)), out_age(now - ji->changed, age, sizeof(age)));
	if (ji->due >= 0)
		printf("due:        %s (%s %s)\n", spool_time_format(ji->due, ts,
		    sizeof(ts)), ji->due >= now ? "in" : "overdue by",
		    out_age(ji->due >= now ? ji->due - now : now - ji->due, age,
		    sizeof(age)));
	printf("attempts:   %d\n", stat_attempts(ji));
	if (ji->state == SPOOL_RUNNING && owners_load(sp, &o) == 0) {
		printf("owner:      ");
		out_name(stdout, owners_get(&o, ji->id, owner, sizeof(owner)) ?
		    owner : "- (no lease holds it: see recover)");
		putchar('\n');
		owners_free(&o);
	}
	if (ji->meta.status[0]) {
		printf("status:     ");
		out_name(stdout, ji->meta.status);
		putchar('\n');
	}
	if (ji->meta.error[0]) {
		printf("error:\n");
		print_block(ji->meta.error);
	}
	print_history(sp, ji);
	print_body(sp, ji, all);
}

int
stat_show(struct spool *sp, int argc, char **argv, int json)
{
	struct spool_job_info ji;
	int i, all = 0, opts = 1, rc = 0, bad = 0, first = 1;

	for (i = 1; i < argc; i++) {
		if (opts && strcmp(argv[i], "--body") == 0)
			all = 1;
		else if (opts && strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (opts && strcmp(argv[i], "--") == 0)
			opts = 0;
		else if (opts && argv[i][0] == '-' && argv[i][1]) {
			if (cli_common(argv[i], usage))
				exit(0);
			cli_usage(usage);
		}
	}
	/* Every ID is checked before anything is shown. */
	for (i = 1, opts = 1; i < argc; i++) {
		if (opts && argv[i][0] == '-' && argv[i][1]) {
			opts = strcmp(argv[i], "--") != 0;
			continue;
		}
		if (!spool_id_valid(argv[i])) {
			fprintf(stderr, "%s: invalid ID \"", cli_prog);
			out_name(stderr, argv[i]);
			fprintf(stderr, "\": not a plain file name\n");
			bad = 1;
		}
		first = 0;
	}
	if (all && json)
		cli_die(EX_USAGE, "show: --body and --json are exclusive");
	if (bad)
		return EX_DATAERR;
	if (first)
		cli_usage(usage);
	for (i = 1, opts = 1, first = 1; i < argc; i++) {
		if (opts && argv[i][0] == '-' && argv[i][1]) {
			opts = strcmp(argv[i], "--") != 0;
			continue;
		}
		if (spool_job_info(sp, -1, argv[i], SPOOL_INFO_STAT |
		    SPOOL_INFO_META, &ji) < 0) {
			fprintf(stderr, "%s: ", cli_prog);
			out_name(stderr, argv[i]);
			fprintf(stderr, ": %s\n", errno == ENOENT ? "no such job" :
			    strerror(errno));
			if (rc == 0 || errno == ENOENT)
				rc = cli_exit_code(errno);
			continue;
		}
		if (json) {
			show_json(sp, &ji);
			continue;
		}
		if (!first)
			putchar('\n');
		first = 0;
		show(sp, &ji, all);
	}
	return rc;
}
