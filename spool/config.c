/*
 * config.c - spool.yaml, the settings of spoold and spoolsupervise.
 *
 * spool_config_load() reads the whole file, lets libyaml compose it into a
 * node tree and walks the tree against one table of keys per section.  The
 * keys go into a scratch config that is merged into the caller's only when
 * the whole file is good: a bad file leaves cf as it was.  Every error names
 * the offending node as FILE:LINE:COLUMN in struct spool_config_error.
 * spool_config_print() writes the settings back as YAML that loads again.
 *
 * Durations are int64 milliseconds.  Calls return 0 (a pointer) on success,
 * -1 (NULL) with errno set on failure; nothing is printed, nothing exits.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <yaml.h>

#include "config.h"

/* Size limits: a file past them is refused, never cut short. */
#define CF_FILE_MAX	(1 << 20)		/* bytes of one config file */
#define CF_STR_MAX	65535			/* bytes of one string */
#define CF_TOTAL_MAX	(4 << 20)		/* all strings, aliases too */
#define CF_LIST_MAX	1024			/* producers; args of one */
#define CF_DUR_MAX	(3650LL * 86400000)	/* 10 years */
#define CF_ATTEMPTS_MAX	1000000

enum kind { K_STR, K_BOOL, K_INT, K_DUR, K_PAIR, K_PRODUCERS, K_SECTION };

struct key {
	const char *name;
	enum kind kind;
	unsigned bit;		/* SPOOL_CF_*; 0 for a section */
	size_t off, off2;	/* value in spool_config; K_PAIR: cap */
	int64_t min, max;	/* K_INT, K_DUR, K_PAIR: range; K_STR: length */
	const struct key *sub;	/* K_SECTION: its keys */
};

#define CF(f)	offsetof(struct spool_config, f)

static const struct key consumer_keys[] = {
	{ "stamp", K_BOOL, SPOOL_CF_STAMP, CF(consumer.stamp), 0, 0, 0, NULL },
	{ "exec", K_STR, SPOOL_CF_EXEC, CF(consumer.exec), 0, 1, CF_STR_MAX,
	    NULL },
	{ "worker", K_STR, SPOOL_CF_WORKER, CF(consumer.worker), 0, 1,
	    CF_STR_MAX, NULL },
	{ "concurrency", K_INT, SPOOL_CF_CONCURRENCY, CF(consumer.concurrency),
	    0, 1, 1024, NULL },
	{ "max_attempts", K_INT, SPOOL_CF_MAX_ATTEMPTS,
	    CF(consumer.max_attempts), 0, 1, CF_ATTEMPTS_MAX, NULL },
	{ "backoff", K_PAIR, SPOOL_CF_BACKOFF, CF(consumer.backoff_min),
	    CF(consumer.backoff_max), 0, CF_DUR_MAX, NULL },
	{ "timeout", K_DUR, SPOOL_CF_TIMEOUT, CF(consumer.timeout), 0, 0,
	    CF_DUR_MAX, NULL },
	{ "grace", K_DUR, SPOOL_CF_GRACE, CF(consumer.grace), 0, 0,
	    CF_DUR_MAX, NULL },
	{ "lease_ttl", K_DUR, SPOOL_CF_LEASE_TTL, CF(consumer.lease_ttl), 0,
	    1000, CF_DUR_MAX, NULL },
	{ "scan", K_DUR, SPOOL_CF_SCAN, CF(consumer.scan), 0, 1, CF_DUR_MAX,
	    NULL },
	{ NULL, 0, 0, 0, 0, 0, 0, NULL }
};

static const struct key supervise_keys[] = {
	{ "consumers", K_INT, SPOOL_CF_CONSUMERS, CF(supervise.consumers), 0,
	    0, 1024, NULL },
	{ "producers", K_PRODUCERS, SPOOL_CF_PRODUCERS, 0, 0, 0, CF_STR_MAX,
	    NULL },
	{ "restart", K_PAIR, SPOOL_CF_RESTART, CF(supervise.restart_min),
	    CF(supervise.restart_max), 0, CF_DUR_MAX, NULL },
	{ NULL, 0, 0, 0, 0, 0, 0, NULL }
};

static const struct key top_keys[] = {
	{ "spool", K_STR, SPOOL_CF_SPOOL, CF(spool), 0, 1, PATH_MAX - 1, NULL },
	{ "durable", K_BOOL, SPOOL_CF_DURABLE, CF(durable), 0, 0, 0, NULL },
	{ "consumer", K_SECTION, 0, 0, 0, 0, 0, consumer_keys },
	{ "supervise", K_SECTION, 0, 0, 0, 0, 0, supervise_keys },
	{ NULL, 0, 0, 0, 0, 0, 0, NULL }
};

struct ctx {
	yaml_document_t *doc;
	struct spool_config *cf;	/* scratch: what this file sets */
	struct spool_config_error *err;
	size_t total;			/* string bytes taken so far */
	yaml_mark_t mark[32];		/* where each key was, by bit number */
};

void
spool_config_defaults(struct spool_config *cf)
{
	memset(cf, 0, sizeof *cf);
	cf->durable = 1;
	cf->consumer.concurrency = 1;
	cf->consumer.max_attempts = 5;
	cf->consumer.backoff_min = 1000;
	cf->consumer.backoff_max = 5 * 60000LL;
	cf->consumer.grace = 10000;
	cf->consumer.lease_ttl = 60000;
	cf->consumer.scan = 30000;
	cf->supervise.consumers = 1;
	cf->supervise.restart_min = 100;
	cf->supervise.restart_max = 30000;
}

/*
 * Durations.  The arithmetic is done in integers so that "0.1s" is exactly
 * 100ms; a fraction that is not a whole number of ms is refused.
 */
static const struct unit {
	const char *name;
	int64_t ms;
} units[] = {
	{ "d", 86400000 }, { "h", 3600000 }, { "m", 60000 }, { "s", 1000 },
	{ "ms", 1 }, { "", 1000 },
};

int
spool_duration_parse(const char *s, int64_t *ms)
{
	uint64_t ip = 0, fp = 0, scale = 1;
	unsigned __int128 v;
	size_t i;

	if (s == NULL || *s < '0' || *s > '9')
		goto bad;
	for (; *s >= '0' && *s <= '9'; s++)
		if (__builtin_mul_overflow(ip, 10, &ip) ||
		    __builtin_add_overflow(ip, (uint64_t)(*s - '0'), &ip))
			goto bad;
	if (*s == '.') {
		if (*++s < '0' || *s > '9')
			goto bad;
		/* Past 18 digits only zeros can keep the value exact. */
		for (; *s >= '0' && *s <= '9'; s++) {
			if (scale == 1000000000000000000ULL) {
				if (*s != '0')
					goto bad;
				continue;
			}
			fp = fp * 10 + (uint64_t)(*s - '0');
			scale *= 10;
		}
	}
	for (i = 0; i < sizeof units / sizeof units[0]; i++)
		if (strcmp(s, units[i].name) == 0)
			break;
	if (i == sizeof units / sizeof units[0])
		goto bad;
	v = (unsigned __int128)fp * (uint64_t)units[i].ms;
	if (v % scale != 0)
		goto bad;
	v = v / scale + (unsigned __int128)ip * (uint64_t)units[i].ms;
	if (v > INT64_MAX)
		goto bad;
	*ms = (int64_t)v;
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

char *
spool_duration_format(int64_t ms, char *buf, size_t size)
{
	size_t i = 0;
	int n;

	if (ms == 0)
		i = 3;		/* "0s" */
	else
		while (ms % units[i].ms != 0)
			i++;
	n = snprintf(buf, size, "%" PRId64 "%s", ms / units[i].ms,
	    units[i].name);
	if (n < 0 || (size_t)n >= size) {
		errno = ERANGE;
		return NULL;
	}
	return buf;
}

/*
 * Errors.  A value quoted in a message is escaped and cut at 40 bytes with
 * "..." shown, so that the message always fits.
 */
static void
msgquote(char *buf, size_t size, const char *s, size_t len)
{
	size_t i, n = 0;

	buf[n++] = '"';
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (i == 40 || n + 8 >= size) {
			n += (size_t)snprintf(buf + n, size - n, "...");
			break;
		}
		if (ch == '"' || ch == '\\')
			n += (size_t)snprintf(buf + n, size - n, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			n += (size_t)snprintf(buf + n, size - n, "\\x%02x", ch);
		else
			buf[n++] = (char)ch;
	}
	buf[n++] = '"';
	buf[n] = '\0';
}

static int is_null(const yaml_node_t *);

/* What a node is, for "expected X, got Y". */
static const char *
got(const yaml_node_t *n, char *buf, size_t size)
{
	if (n->type == YAML_SEQUENCE_NODE)
		return "a list";
	if (n->type == YAML_MAPPING_NODE)
		return "a mapping";
	if (is_null(n))
		return "nothing";
	msgquote(buf, size, (const char *)n->data.scalar.value,
	    n->data.scalar.length);
	return buf;
}

static int fail(struct ctx *, yaml_mark_t, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(struct ctx *c, yaml_mark_t m, const char *fmt, ...)
{
	va_list ap;

	c->err->line = m.line + 1;
	c->err->column = m.column + 1;
	va_start(ap, fmt);
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): false positive of clang 14, va_start is just above */
	vsnprintf(c->err->msg, sizeof c->err->msg, fmt, ap);
	va_end(ap);
	errno = EINVAL;
	return -1;
}

static int
nomem(struct ctx *c)
{
	snprintf(c->err->msg, sizeof c->err->msg, "%s", strerror(ENOMEM));
	errno = ENOMEM;
	return -1;
}

/* "consumer.backoff[1]" and the like, for messages. */
static const char *
path(char *buf, size_t size, const char *sect, const char *name, int i, int j)
{
	int n;

	n = snprintf(buf, size, "%s%s%s", sect, *sect ? "." : "", name);
	if (n < 0 || (size_t)n >= size)
		return buf;
	if (i >= 0)
		n += snprintf(buf + n, size - (size_t)n, "[%d]", i);
	if (j >= 0)
		snprintf(buf + n, size - (size_t)n, "[%d]", j);
	return buf;
}

/*
 * Scalars.  Quoting is not a type: "2" is taken for an integer and 2 for a
 * string where the key wants one.  Only a plain ~, null or nothing is null.
 */
static int
is_null(const yaml_node_t *n)
{
	const char *v = (const char *)n->data.scalar.value;

	return n->type == YAML_SCALAR_NODE &&
	    n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    (*v == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
	    strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0);
}

static const char *
scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/* A copy of a string scalar, counted against the limits. */
static int
takestr(struct ctx *c, const yaml_node_t *n, const char *what, int64_t min,
    int64_t max, char **out)
{
	char buf[64];
	size_t len = n->data.scalar.length;

	if (n->type != YAML_SCALAR_NODE)
		return fail(c, n->start_mark, "%s: expected a string, got %s",
		    what, got(n, buf, sizeof buf));
	if (strlen(scalar(n)) != len)
		return fail(c, n->start_mark, "%s: a string may not hold a "
		    "NUL character", what);
	if ((int64_t)len < min)
		return fail(c, n->start_mark, "%s: expected a non-empty "
		    "string, got \"\"", what);
	if ((int64_t)len > max)
		return fail(c, n->start_mark, "%s: string longer than %" PRId64
		    " bytes", what, max);
	if ((c->total += len + 1) > CF_TOTAL_MAX)
		return fail(c, n->start_mark, "%s: the strings of this file "
		    "exceed %d bytes in all", what, CF_TOTAL_MAX);
	if ((*out = strdup(scalar(n))) == NULL)
		return nomem(c);
	return 0;
}

static int
takebool(struct ctx *c, const yaml_node_t *n, const char *what, int *out)
{
	static const char *const yes[] = { "true", "yes", "on" };
	static const char *const no[] = { "false", "no", "off" };
	char buf[64];
	int i;

	for (i = 0; n->type == YAML_SCALAR_NODE && i < 3; i++) {
		if (strcasecmp(scalar(n), yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(scalar(n), no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return fail(c, n->start_mark, "%s: expected true or false, got %s",
	    what, got(n, buf, sizeof buf));
}

static int
takeint(struct ctx *c, const yaml_node_t *n, const char *what, int64_t min,
    int64_t max, int *out)
{
	const char *s;
	char buf[64];
	int64_t v = 0;
	int neg;

	if (n->type != YAML_SCALAR_NODE)
		goto bad;
	s = scalar(n);
	if ((neg = *s == '-') || *s == '+')
		s++;
	if (*s == '\0')
		goto bad;
	for (; *s >= '0' && *s <= '9'; s++)
		if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, *s - '0', &v))
			goto bad;
	if (*s != '\0')
		goto bad;
	if (neg)
		v = -v;
	if (v < min || v > max)
		goto bad;
	*out = (int)v;
	return 0;
bad:
	return fail(c, n->start_mark, "%s: expected an integer from %" PRId64
	    " to %" PRId64 ", got %s", what, min, max, got(n, buf, sizeof buf));
}

static int
takedur(struct ctx *c, const yaml_node_t *n, const char *what, int64_t min,
    int64_t max, int64_t *out)
{
	char buf[64], lo[32], hi[32];
	int64_t v;

	if (n->type != YAML_SCALAR_NODE ||
	    spool_duration_parse(scalar(n), &v) == -1)
		return fail(c, n->start_mark, "%s: expected a duration such "
		    "as 250ms, 2s, 5m, 1h or 7d, got %s", what,
		    got(n, buf, sizeof buf));
	if (v < min || v > max)
		return fail(c, n->start_mark, "%s: expected a duration from "
		    "%s to %s, got %s", what,
		    spool_duration_format(min, lo, sizeof lo),
		    spool_duration_format(max, hi, sizeof hi),
		    got(n, buf, sizeof buf));
	*out = v;
	return 0;
}

/* backoff: [MIN, CAP], restart: [MIN, CAP]. */
static int
takepair(struct ctx *c, const yaml_node_t *n, const struct key *k,
    const char *sect)
{
	yaml_node_item_t *it;
	char what[64], buf[64], lo[32], hi[32];
	int64_t *min = (void *)((char *)c->cf + k->off);
	int64_t *cap = (void *)((char *)c->cf + k->off2);
	int64_t v[2];
	int i;

	path(what, sizeof what, sect, k->name, -1, -1);
	if (n->type == YAML_SEQUENCE_NODE)
		snprintf(buf, sizeof buf, "a list of %td",
		    n->data.sequence.items.top - n->data.sequence.items.start);
	if (n->type != YAML_SEQUENCE_NODE ||
	    n->data.sequence.items.top - n->data.sequence.items.start != 2)
		return fail(c, n->start_mark, "%s: expected a list "
		    "[FIRST, CAP] of two durations, got %s", what,
		    n->type == YAML_SEQUENCE_NODE ? buf :
		    got(n, buf, sizeof buf));
	it = n->data.sequence.items.start;
	for (i = 0; i < 2; i++)
		if (takedur(c, yaml_document_get_node(c->doc, it[i]),
		    path(buf, sizeof buf, sect, k->name, i, -1),
		    k->min, k->max, &v[i]) == -1)
			return -1;
	if (v[0] > v[1])
		return fail(c, n->start_mark, "%s: first delay %s is longer "
		    "than its cap %s", what,
		    spool_duration_format(v[0], lo, sizeof lo),
		    spool_duration_format(v[1], hi, sizeof hi));
	*min = v[0];
	*cap = v[1];
	return 0;
}

/* One producer: a list of spoolsubmit's arguments. */
static int
takeargv(struct ctx *c, const yaml_node_t *n, struct spool_producer *p,
    const char *what, int64_t max)
{
	yaml_node_item_t *it;
	ptrdiff_t i, argc;
	char buf[64];

	if (n->type != YAML_SEQUENCE_NODE)
		return fail(c, n->start_mark, "%s: expected a list of "
		    "spoolsubmit arguments such as [--random, \"100\"], got %s",
		    what, got(n, buf, sizeof buf));
	it = n->data.sequence.items.start;
	argc = n->data.sequence.items.top - it;
	if (argc == 0)
		return fail(c, n->start_mark, "%s: empty list of arguments",
		    what);
	if (argc > CF_LIST_MAX)
		return fail(c, n->start_mark, "%s: more than %d arguments",
		    what, CF_LIST_MAX);
	if ((p->argv = calloc((size_t)argc + 1, sizeof *p->argv)) == NULL)
		return nomem(c);
	for (i = 0; i < argc; i++, p->argc++) {
		snprintf(buf, sizeof buf, "%s[%d]", what, (int)i);
		if (takestr(c, yaml_document_get_node(c->doc, it[i]), buf, 0,
		    max, &p->argv[i]) == -1)
			return -1;
	}
	return 0;
}

static int
takeproducers(struct ctx *c, const yaml_node_t *n, const struct key *k,
    const char *sect)
{
	struct spool_config *cf = c->cf;
	yaml_node_item_t *it;
	ptrdiff_t i, count;
	char what[64], buf[64];

	path(what, sizeof what, sect, k->name, -1, -1);
	if (is_null(n))
		return 0;
	if (n->type != YAML_SEQUENCE_NODE)
		return fail(c, n->start_mark, "%s: expected a list of argument "
		    "lists, got %s", what, got(n, buf, sizeof buf));
	it = n->data.sequence.items.start;
	count = n->data.sequence.items.top - it;
	if (count > CF_LIST_MAX)
		return fail(c, n->start_mark, "%s: more than %d producers",
		    what, CF_LIST_MAX);
	if (count == 0)
		return 0;
	cf->supervise.producers = calloc((size_t)count,
	    sizeof *cf->supervise.producers);
	if (cf->supervise.producers == NULL)
		return nomem(c);
	for (i = 0; i < count; i++) {
		cf->supervise.nproducers++;
		if (takeargv(c, yaml_document_get_node(c->doc, it[i]),
		    &cf->supervise.producers[i],
		    path(what, sizeof what, sect, k->name, (int)i, -1),
		    k->max) == -1)
			return -1;
	}
	return 0;
}

static int walk(struct ctx *, const yaml_node_t *, const struct key *,
    const char *);

static int
takevalue(struct ctx *c, const yaml_node_t *n, const struct key *k,
    const char *sect)
{
	char what[64], buf[64];
	void *p = (char *)c->cf + k->off;

	path(what, sizeof what, sect, k->name, -1, -1);
	switch (k->kind) {
	case K_STR:
		if (is_null(n))
			return 0;	/* explicitly none */
		return takestr(c, n, what, k->min, k->max, p);
	case K_BOOL:
		return takebool(c, n, what, p);
	case K_INT:
		return takeint(c, n, what, k->min, k->max, p);
	case K_DUR:
		return takedur(c, n, what, k->min, k->max, p);
	case K_PAIR:
		return takepair(c, n, k, sect);
	case K_PRODUCERS:
		return takeproducers(c, n, k, sect);
	case K_SECTION:
		if (is_null(n))
			return 0;
		if (n->type != YAML_MAPPING_NODE)
			return fail(c, n->start_mark, "%s: expected a mapping "
			    "of settings, got %s", what,
			    got(n, buf, sizeof buf));
		return walk(c, n, k->sub, k->name);
	}
	return 0;
}

static int
samekey(const yaml_node_t *a, const yaml_node_t *b)
{
	return a->data.scalar.length == b->data.scalar.length &&
	    memcmp(a->data.scalar.value, b->data.scalar.value,
	    a->data.scalar.length) == 0;
}

/* One mapping: every key known, none twice. */
static int
walk(struct ctx *c, const yaml_node_t *map, const struct key *keys,
    const char *sect)
{
	yaml_node_pair_t *p, *q, *start = map->data.mapping.pairs.start;
	const char *in = *sect ? " in " : "";
	const struct key *k;
	yaml_node_t *kn, *vn;
	char buf[64];

	for (p = start; p < map->data.mapping.pairs.top; p++) {
		kn = yaml_document_get_node(c->doc, p->key);
		vn = yaml_document_get_node(c->doc, p->value);
		if (kn->type != YAML_SCALAR_NODE)
			return fail(c, kn->start_mark, "expected a key%s%s, "
			    "got %s", in, sect, got(kn, buf, sizeof buf));
		for (k = keys; k->name != NULL; k++)
			if (strlen(k->name) == kn->data.scalar.length &&
			    strcmp(k->name, scalar(kn)) == 0)
				break;
		if (k->name == NULL)
			return fail(c, kn->start_mark, "unknown key %s%s%s",
			    got(kn, buf, sizeof buf), in, sect);
		/* Keys before p are all known, so this loop is short. */
		for (q = start; q < p; q++)
			if (samekey(kn, yaml_document_get_node(c->doc, q->key)))
				return fail(c, kn->start_mark, "duplicate key "
				    "\"%s\"%s%s (first given at line %lu)",
				    k->name, in, sect, (unsigned long)
				    yaml_document_get_node(c->doc,
				    q->key)->start_mark.line + 1);
		if (takevalue(c, vn, k, sect) == -1)
			return -1;
		if (k->bit) {
			c->cf->set |= k->bit;
			c->mark[__builtin_ctz(k->bit)] = kn->start_mark;
		}
	}
	return 0;
}

/* Keys that may not go together; the later of the two is blamed. */
static int
exclusive(struct ctx *c, unsigned a, unsigned b, const char *msg)
{
	const struct spool_config *cf = c->cf;
	yaml_mark_t ma = c->mark[__builtin_ctz(a)];
	yaml_mark_t mb = c->mark[__builtin_ctz(b)];
	int on[2], i;
	const unsigned bit[2] = { a, b };

	for (i = 0; i < 2; i++)
		on[i] = (cf->set & bit[i]) &&
		    (bit[i] == SPOOL_CF_STAMP ? cf->consumer.stamp :
		    bit[i] == SPOOL_CF_EXEC ? cf->consumer.exec != NULL :
		    cf->consumer.worker != NULL);
	if (on[0] && on[1])
		return fail(c, ma.index > mb.index ? ma : mb, "%s", msg);
	return 0;
}

static int
check(struct ctx *c)
{
	if (exclusive(c, SPOOL_CF_STAMP, SPOOL_CF_EXEC,
	    "consumer: stamp and exec are exclusive") == -1 ||
	    exclusive(c, SPOOL_CF_STAMP, SPOOL_CF_WORKER,
	    "consumer: stamp and worker are exclusive") == -1 ||
	    exclusive(c, SPOOL_CF_EXEC, SPOOL_CF_WORKER,
	    "consumer: exec and worker are exclusive") == -1)
		return -1;
	return 0;
}

/* libyaml's own words, at its mark; reader errors give a byte offset. */
static int
syntax(struct ctx *c, const yaml_parser_t *p, const char *buf, size_t len)
{
	yaml_mark_t m = p->problem_mark;
	size_t i;

	if (p->error == YAML_MEMORY_ERROR)
		return nomem(c);
	if (p->error == YAML_READER_ERROR) {
		memset(&m, 0, sizeof m);
		for (i = 0; i < p->problem_offset && i < len; i++) {
			if (buf[i] == '\n') {
				m.line++;
				m.column = 0;
			} else if (((unsigned char)buf[i] & 0xc0) != 0x80)
				m.column++;
		}
		m.index = p->problem_offset;
	}
	if (p->error == YAML_READER_ERROR && p->problem_value != -1)
		return fail(c, m, "%s 0x%02x", p->problem, p->problem_value);
	return fail(c, m, "%s%s%s%s", p->context ? p->context : "",
	    p->context ? ": " : "", p->problem ? p->problem : "syntax error",
	    m.index < len && buf[m.index] == '\t' ?
	    " (a tab: indent YAML with spaces)" : "");
}

static int
parse(struct ctx *c, const char *buf, size_t len)
{
	yaml_parser_t p;
	yaml_document_t doc, more;
	yaml_node_t *root;
	char gbuf[64];
	int r = -1;

	if (!yaml_parser_initialize(&p))
		return nomem(c);
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&p, &doc)) {
		r = syntax(c, &p, buf, len);
		goto out;
	}
	/* Only for the walk below; reset before doc goes out of scope. */
	/* cppcheck-suppress autoVariables */
	c->doc = &doc;
	root = yaml_document_get_root_node(&doc);
	if (root == NULL || is_null(root))
		r = 0;
	else if (root->type != YAML_MAPPING_NODE)
		r = fail(c, root->start_mark, "expected a mapping of settings, "
		    "got %s", got(root, gbuf, sizeof gbuf));
	else if ((r = walk(c, root, top_keys, "")) == 0)
		r = check(c);
	if (r == 0 && !yaml_parser_load(&p, &more))
		r = syntax(c, &p, buf, len);
	else if (r == 0) {
		if (yaml_document_get_root_node(&more) != NULL)
			r = fail(c, more.start_mark, "expected one document, "
			    "found another");
		yaml_document_delete(&more);
	}
	yaml_document_delete(&doc);
	c->doc = NULL;
out:
	yaml_parser_delete(&p);
	return r;
}

/* The whole file, NUL-terminated, or -1 with err filled. */
static char *
slurp(const char *file, size_t *len, struct spool_config_error *err)
{
	char *buf;
	ssize_t n;
	int fd, e;

	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) == -1)
		goto fail;
	if ((buf = malloc(CF_FILE_MAX + 2)) == NULL) {
		close(fd);
		goto fail;
	}
	*len = 0;
	while (*len <= CF_FILE_MAX) {
		n = read(fd, buf + *len, CF_FILE_MAX + 1 - *len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			goto fail_buf;
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	close(fd);
	if (*len > CF_FILE_MAX) {
		free(buf);
		snprintf(err->msg, sizeof err->msg, "file larger than %d bytes",
		    CF_FILE_MAX);
		errno = EINVAL;
		return NULL;
	}
	buf[*len] = '\0';
	return buf;
fail_buf:
	e = errno;
	free(buf);
	close(fd);
	errno = e;
fail:
	snprintf(err->msg, sizeof err->msg, "%s", strerror(errno));
	return NULL;
}

int
spool_config_load(struct spool_config *cf, const char *file,
    struct spool_config_error *err)
{
	struct spool_config_error dummy;
	struct spool_config scratch;
	struct ctx c;
	size_t len;
	char *buf;
	int r, e;

	if (err == NULL)
		err = &dummy;
	memset(err, 0, sizeof *err);
	snprintf(err->file, sizeof err->file, "%s", file);
	if ((buf = slurp(file, &len, err)) == NULL)
		return -1;
	/* The scratch starts from cf: checks see the values in effect. */
	scratch = *cf;
	scratch.set = 0;
	scratch.spool = scratch.consumer.exec = scratch.consumer.worker = NULL;
	scratch.supervise.producers = NULL;
	scratch.supervise.nproducers = 0;
	memset(&c, 0, sizeof c);
	c.cf = &scratch;
	c.err = err;
	if ((r = parse(&c, buf, len)) == 0 &&
	    (r = spool_config_merge(cf, &scratch)) == -1)
		nomem(&c);
	e = errno;
	spool_config_free(&scratch);
	free(buf);
	errno = e;
	return r;
}

static void
free_producers(struct spool_producer *p, int n)
{
	int i, j;

	for (i = 0; p != NULL && i < n; i++) {
		for (j = 0; j < p[i].argc; j++)
			free(p[i].argv[j]);
		free(p[i].argv);
	}
	free(p);
}

static int
dupstr(const char *s, char **out)
{
	*out = NULL;
	return s != NULL && (*out = strdup(s)) == NULL ? -1 : 0;
}

static int
dup_producers(const struct spool_producer *src, int n,
    struct spool_producer **out)
{
	struct spool_producer *p;
	int i, j;

	*out = NULL;
	if (n == 0)
		return 0;
	if ((p = calloc((size_t)n, sizeof *p)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		p[i].argv = calloc((size_t)src[i].argc + 1, sizeof *p[i].argv);
		if (p[i].argv == NULL)
			goto fail;
		for (j = 0; j < src[i].argc; j++, p[i].argc++)
			if ((p[i].argv[j] = strdup(src[i].argv[j])) == NULL)
				goto fail;
	}
	*out = p;
	return 0;
fail:
	free_producers(p, n);
	errno = ENOMEM;
	return -1;
}

/* Copies first, then commits: on ENOMEM dst is left as it was. */
int
spool_config_merge(struct spool_config *dst, const struct spool_config *src)
{
	unsigned s = src->set;
	char *spool = NULL, *exec = NULL, *worker = NULL;
	struct spool_producer *prod = NULL;

	if (((s & SPOOL_CF_SPOOL) && dupstr(src->spool, &spool) == -1) ||
	    ((s & SPOOL_CF_EXEC) && dupstr(src->consumer.exec, &exec) == -1) ||
	    ((s & SPOOL_CF_WORKER) &&
	    dupstr(src->consumer.worker, &worker) == -1) ||
	    ((s & SPOOL_CF_PRODUCERS) && dup_producers(src->supervise.producers,
	    src->supervise.nproducers, &prod) == -1)) {
		free(spool);
		free(exec);
		free(worker);
		errno = ENOMEM;
		return -1;
	}
	if (s & SPOOL_CF_SPOOL) {
		free(dst->spool);
		dst->spool = spool;
	}
	if (s & SPOOL_CF_EXEC) {
		free(dst->consumer.exec);
		dst->consumer.exec = exec;
	}
	if (s & SPOOL_CF_WORKER) {
		free(dst->consumer.worker);
		dst->consumer.worker = worker;
	}
	if (s & SPOOL_CF_PRODUCERS) {
		free_producers(dst->supervise.producers,
		    dst->supervise.nproducers);
		dst->supervise.producers = prod;
		dst->supervise.nproducers = src->supervise.nproducers;
	}
#define COPY(bit, f)	do { if (s & (bit)) dst->f = src->f; } while (0)
	COPY(SPOOL_CF_DURABLE, durable);
	COPY(SPOOL_CF_STAMP, consumer.stamp);
	COPY(SPOOL_CF_CONCURRENCY, consumer.concurrency);
	COPY(SPOOL_CF_MAX_ATTEMPTS, consumer.max_attempts);
	COPY(SPOOL_CF_BACKOFF, consumer.backoff_min);
	COPY(SPOOL_CF_BACKOFF, consumer.backoff_max);
	COPY(SPOOL_CF_TIMEOUT, consumer.timeout);
	COPY(SPOOL_CF_GRACE, consumer.grace);
	COPY(SPOOL_CF_LEASE_TTL, consumer.lease_ttl);
	COPY(SPOOL_CF_SCAN, consumer.scan);
	COPY(SPOOL_CF_CONSUMERS, supervise.consumers);
	COPY(SPOOL_CF_RESTART, supervise.restart_min);
	COPY(SPOOL_CF_RESTART, supervise.restart_max);
#undef COPY
	dst->set |= s;
	return 0;
}

void
spool_config_free(struct spool_config *cf)
{
	free(cf->spool);
	free(cf->consumer.exec);
	free(cf->consumer.worker);
	free_producers(cf->supervise.producers, cf->supervise.nproducers);
	cf->spool = cf->consumer.exec = cf->consumer.worker = NULL;
	cf->supervise.producers = NULL;
	cf->supervise.nproducers = 0;
}

/*
 * A YAML double-quoted string.  Code points YAML may not hold raw, or
 * would fold as line breaks, are escaped; a byte that is not UTF-8 cannot
 * be written in YAML at all and comes back as U+00XX.
 */
static void
yquote(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned cp;
	int n, i;

	putc('"', out);
	while (*p) {
		n = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 :
		    (*p & 0xf0) == 0xe0 ? 3 : (*p & 0xf8) == 0xf0 ? 4 : 0;
		cp = n == 1 ? *p : n == 2 ? *p & 0x1fu : n == 3 ? *p & 0x0fu :
		    *p & 0x07u;
		for (i = 1; i < n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				break;
			cp = cp << 6 | (p[i] & 0x3fu);
		}
		if (n == 0 || i < n || (n == 2 && cp < 0x80) ||
		    (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
			fprintf(out, "\\x%02x", *p++);	/* not UTF-8 */
			continue;
		}
		if (cp == '"' || cp == '\\')
			fprintf(out, "\\%c", cp);
		else if (cp == '\n')
			fputs("\\n", out);
		else if (cp == '\t')
			fputs("\\t", out);
		else if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
			fprintf(out, "\\x%02x", cp);
		else if (cp == 0x2028 || cp == 0x2029 || cp == 0xfeff ||
		    cp == 0xfffe || cp == 0xffff)
			fprintf(out, "\\u%04x", cp);
		else
			fwrite(p, 1, (size_t)n, out);
		p += n;
	}
	putc('"', out);
}

static void
pstr(FILE *out, const char *indent, const char *name, const char *s)
{
	if (s == NULL) {
		fprintf(out, "%s# %s: (not set)\n", indent, name);
		return;
	}
	fprintf(out, "%s%s: ", indent, name);
	yquote(out, s);
	putc('\n', out);
}

static void
pdur(FILE *out, const char *name, int64_t ms)
{
	char buf[32];

	fprintf(out, "  %s: %s\n", name, spool_duration_format(ms, buf,
	    sizeof buf));
}

static void
ppair(FILE *out, const char *name, int64_t a, int64_t b)
{
	char x[32], y[32];

	fprintf(out, "  %s: [%s, %s]\n", name,
	    spool_duration_format(a, x, sizeof x),
	    spool_duration_format(b, y, sizeof y));
}

static void
pproducers(FILE *out, const struct spool_producer *p, int n)
{
	int i, j;

	fputs(n == 0 ? "  producers: []\n" : "  producers:\n", out);
	for (i = 0; i < n; i++) {
		fputs("    - [", out);
		for (j = 0; j < p[i].argc; j++) {
			if (j > 0)
				fputs(", ", out);
			yquote(out, p[i].argv[j]);
		}
		fputs("]\n", out);
	}
}

int
spool_config_print(const struct spool_config *cf, FILE *out)
{
	const char *tf[] = { "false", "true" };

	pstr(out, "", "spool", cf->spool);
	fprintf(out, "durable: %s\n", tf[cf->durable != 0]);
	fputs("consumer:\n", out);
	fprintf(out, "  stamp: %s\n", tf[cf->consumer.stamp != 0]);
	pstr(out, "  ", "exec", cf->consumer.exec);
	pstr(out, "  ", "worker", cf->consumer.worker);
	fprintf(out, "  concurrency: %d\n", cf->consumer.concurrency);
	fprintf(out, "  max_attempts: %d\n", cf->consumer.max_attempts);
	ppair(out, "backoff", cf->consumer.backoff_min,
	    cf->consumer.backoff_max);
	pdur(out, "timeout", cf->consumer.timeout);
	pdur(out, "grace", cf->consumer.grace);
	pdur(out, "lease_ttl", cf->consumer.lease_ttl);
	pdur(out, "scan", cf->consumer.scan);
	fputs("supervise:\n", out);
	fprintf(out, "  consumers: %d\n", cf->supervise.consumers);
	pproducers(out, cf->supervise.producers, cf->supervise.nproducers);
	ppair(out, "restart", cf->supervise.restart_min,
	    cf->supervise.restart_max);
	if (fflush(out) == EOF || ferror(out)) {
		if (errno == 0)
			errno = EIO;
		return -1;
	}
	return 0;
}
