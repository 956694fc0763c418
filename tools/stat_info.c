/*
 * stat_info.c - who holds what: running jobs mapped to the consumer whose
 * lease journal claims them, and the supervisor's run/supervise.state.
 *
 * The holder of a running job is read from the leases, not from the job's
 * history: a first run leaves no history, and the lease journal is what
 * recovery trusts too.  A job may sit in an old journal of a dead consumer
 * and in the live one that claimed it again since; the live one wins.
 *
 * The supervisor's state file is lines of key=value words, e.g.
 *	supervisor pid=100 started=1764324000123
 *	name=consumer.1 pid=101 started=1764324000200 restarts=0 last_exit=-
 * shown as a table; keys we do not know are shown as they are.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "stat.h"

#define SUPERVISE_STATE	"supervise.state"

struct lease_ctx {
	struct owners *o;
	const char *lease;
	int rank;
	int failed;
};

static void
add_owner(const char *id, void *arg)
{
	struct lease_ctx *c = arg;
	struct owners *o = c->o;
	struct owner *v;

	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 32;
		if ((v = realloc(o->v, cap * sizeof(*v))) == NULL) {
			c->failed = 1;
			return;
		}
		o->v = v;
		o->cap = cap;
	}
	v = &o->v[o->n];
	v->id = strdup(id);
	v->lease = strdup(c->lease);
	v->rank = c->rank;
	if (v->id == NULL || v->lease == NULL) {
		free(v->id);
		free(v->lease);
		c->failed = 1;
		return;
	}
	o->n++;
}

static int
cmp_owner(const void *a, const void *b)
{
	const struct owner *x = a, *y = b;
	int c = strcmp(x->id, y->id);

	return c ? c : x->rank - y->rank;
}

int
owners_load(struct spool *sp, struct owners *o)
{
	struct spool_lease_info *li;
	int n, i, got;
	size_t j, k;

	memset(o, 0, sizeof(*o));
	if ((n = spool_lease_list(sp, NULL, 0)) <= 0)
		return n;
	if ((li = calloc((size_t)n, sizeof(*li))) == NULL)
		return -1;
	got = spool_lease_list(sp, li, n);
	for (i = 0; i < got && i < n; i++) {
		struct lease_ctx c = { o, li[i].name,
		    !li[i].alive ? 2 : li[i].expired ? 1 : 0, 0 };
		spool_lease_jobs(sp, li[i].name, add_owner, &c);
		if (c.failed) {
			free(li);
			return -1;
		}
	}
	free(li);
	qsort(o->v, o->n, sizeof(*o->v), cmp_owner);
	/* One holder per job: the first of each run is the best. */
	for (j = k = 0; j < o->n; j++) {
		if (k > 0 && strcmp(o->v[k - 1].id, o->v[j].id) == 0) {
			free(o->v[j].id);
			free(o->v[j].lease);
			continue;
		}
		o->v[k++] = o->v[j];
	}
	o->n = k;
	return 0;
}

const char *
owners_get(const struct owners *o, const char *id, char *buf, size_t size)
{
	struct owner key = { (char *)id, NULL, -1 }, *f;
	size_t lo = 0, hi = o->n;

	/* The first entry not below (id, -1): bsearch on the ordering. */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (cmp_owner(&o->v[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo >= o->n || strcmp(o->v[lo].id, id) != 0)
		return NULL;
	f = &o->v[lo];
	snprintf(buf, size, "%s%s", f->lease, f->rank == 2 ? " (dead)" :
	    f->rank == 1 ? " (hung)" : "");
	return buf;
}

void
owners_free(struct owners *o)
{
	size_t i;

	for (i = 0; i < o->n; i++) {
		free(o->v[i].id);
		free(o->v[i].lease);
	}
	free(o->v);
	memset(o, 0, sizeof(*o));
}

/* Value of key in a line of words; 1 found.  Shown in a table, so that
 * anything but printable ASCII becomes '?': no control sequence reaches a
 * terminal, and the columns stay straight. */
static int
word(const char *line, const char *key, char *out, size_t size)
{
	size_t klen = strlen(key);
	const char *p = line;
	char *q;

	while ((p = strstr(p, key)) != NULL) {
		if ((p == line || p[-1] == ' ') && p[klen] == '=') {
			size_t n = strcspn(p + klen + 1, " \n");
			snprintf(out, size, "%.*s", (int)n, p + klen + 1);
			for (q = out; *q; q++)
				if ((unsigned char)*q < 0x20 || (unsigned char)*q >= 0x7f)
					*q = '?';
			return 1;
		}
		p += klen;
	}
	return 0;
}

static const char *
alive(const char *pid)
{
	long n = strtol(pid, NULL, 10);

	if (n <= 0 || n > INT_MAX)	/* kill(2) takes an int: no wrapping */
		return "-";
	return kill((pid_t)n, 0) == 0 || errno == EPERM ? "alive" : "gone";
}

/* A count or pid from the file as it is when it is one; the file is text
 * anybody with access to run/ may have written, and goes to a terminal. */
static const char *
number(const char *s)
{
	const char *p;

	if (strcmp(s, "-") == 0)
		return s;
	for (p = s; *p >= '0' && *p <= '9'; p++)
		;
	return p > s && *p == '\0' ? s : "?";
}

static const char *
uptime(const char *started, char *buf, size_t size)
{
	long long ms = strtoll(started, NULL, 10);

	return ms > 0 ? out_age(spool_now() - ms, buf, size) : "-";
}

void
supervisor_print(struct spool *sp, FILE *f, const char *indent)
{
	char *text, *line, *next, name[128], pid[32], started[32], restarts[32],
	    last[64], up[32];
	size_t len;

	if ((text = spool_run_read(sp, SUPERVISE_STATE, &len)) == NULL) {
		fprintf(f, "supervisor: none\n");
		return;
	}
	for (line = text; line && *line; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (strncmp(line, "supervisor ", 11) == 0 &&
		    word(line, "pid", pid, sizeof(pid))) {
			if (!word(line, "started", started, sizeof(started)))
				strcpy(started, "0");
			fprintf(f, "supervisor: pid %s, %s, up %s\n", number(pid),
			    strcmp(alive(pid), "gone") ? "running" :
			    "NOT RUNNING (stale state file)",
			    uptime(started, up, sizeof(up)));
			fprintf(f, "%s%-20s %8s %6s %10s %8s  %s\n", indent, "CHILD",
			    "PID", "STATUS", "UP", "RESTARTS", "LAST EXIT");
		} else if (word(line, "name", name, sizeof(name))) {
			if (!word(line, "pid", pid, sizeof(pid)))
				strcpy(pid, "-");
			if (!word(line, "started", started, sizeof(started)))
				strcpy(started, "0");
			if (!word(line, "restarts", restarts, sizeof(restarts)))
				strcpy(restarts, "-");
			if (!word(line, "last_exit", last, sizeof(last)))
				strcpy(last, "-");
			fputs(indent, f);
			out_name_padded(f, name, 20);
			fprintf(f, " %8s %6s %10s %8s  ", number(pid), alive(pid),
			    uptime(started, up, sizeof(up)), number(restarts));
			out_name(f, last);
			putc('\n', f);
		} else if (*line) {
			fputs(indent, f);
			out_name(f, line);
			putc('\n', f);
		}
	}
	free(text);
}

/* A JSON integer as written: strtoll would also take "+5", " 5", "007". */
static int
json_int(const char *s)
{
	if (*s == '-')
		s++;
	if (*s == '0')
		return s[1] == '\0';
	if (*s < '1' || *s > '9')
		return 0;
	while (*s >= '0' && *s <= '9')
		s++;
	return *s == '\0';
}

/* The key=value words of a line as JSON members (no braces); numbers stay
 * numbers, "started" (ms) becomes Unix seconds like every time in our
 * JSON.  Returns whether it printed any. */
static int
line_json(FILE *f, char *line)
{
	char *w, *save = NULL, *eq, *end;
	const char *sep = "";

	for (w = strtok_r(line, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		if ((eq = strchr(w, '=')) == NULL)
			continue;
		*eq++ = '\0';
		fprintf(f, "%s", sep);
		out_json(f, w);
		putc(':', f);
		strtoll(eq, &end, 10);
		if (strcmp(w, "started") == 0 && *eq && !*end)
			fprintf(f, "%lld", strtoll(eq, NULL, 10) / 1000);
		else if (json_int(eq) && strlen(eq) < 16)
			fputs(eq, f);
		else
			out_json(f, eq);
		if (strcmp(w, "pid") == 0)
			fprintf(f, ",\"alive\":%s",
			    strcmp(alive(eq), "alive") == 0 ? "true" : "false");
		sep = ",";
	}
	return *sep != '\0';
}

void
supervisor_json(struct spool *sp, FILE *f)
{
	char *text, *line, *next;
	const char *sep = "";
	size_t len;

	if ((text = spool_run_read(sp, SUPERVISE_STATE, &len)) == NULL) {
		fputs("null", f);
		return;
	}
	/* {"pid":..,"started":..,"alive":..,"children":[{"name":..},..]} */
	putc('{', f);
	line = text;
	if (strncmp(text, "supervisor ", 11) == 0) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (line_json(f, line + 11))
			putc(',', f);
		line = next;
	}
	fputs("\"children\":[", f);
	for (; line && *line; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (strchr(line, '=')) {
			fputs(sep, f);
			putc('{', f);
			line_json(f, line);
			putc('}', f);
			sep = ",";
		}
	}
	fputs("]}", f);
	free(text);
}
