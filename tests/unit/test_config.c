/*
 * test_config.c - spool.yaml: durations, valid files, every kind of error
 * with its LINE:COLUMN and message, merge, and print -> load round trips.
 * Each group is a table of cases; a file is written to a temp file first.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"

static char tmpname[64];

/* A temp file holding len bytes of text; its name in tmpname. */
static const char *
writetmp(const char *text, size_t len)
{
	int fd;

	snprintf(tmpname, sizeof tmpname, "/tmp/test_config.XXXXXX");
	fd = mkstemp(tmpname);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
	return tmpname;
}

static const char *
writestr(const char *text)
{
	return writetmp(text, strlen(text));
}

/* Load text over defaults: the result of spool_config_load. */
static int
loadtext(struct spool_config *cf, const char *text,
    struct spool_config_error *err)
{
	int r, e;

	spool_config_defaults(cf);
	writestr(text);
	r = spool_config_load(cf, tmpname, err);
	e = errno;
	unlink(tmpname);
	errno = e;
	return r;
}

static void
assert_str_or_null(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

/* Same settings (the set bits too, when bits). */
static void
assert_cf_equal(const struct spool_config *a, const struct spool_config *b,
    int bits)
{
	int i, j;

	if (bits)
		assert_int_equal(a->set, b->set);
	assert_str_or_null(a->spool, b->spool);
	assert_int_equal(a->durable, b->durable);
	assert_int_equal(a->consumer.stamp, b->consumer.stamp);
	assert_str_or_null(a->consumer.exec, b->consumer.exec);
	assert_str_or_null(a->consumer.worker, b->consumer.worker);
	assert_int_equal(a->consumer.concurrency, b->consumer.concurrency);
	assert_int_equal(a->consumer.max_attempts, b->consumer.max_attempts);
	assert_int_equal(a->consumer.backoff_min, b->consumer.backoff_min);
	assert_int_equal(a->consumer.backoff_max, b->consumer.backoff_max);
	assert_int_equal(a->consumer.timeout, b->consumer.timeout);
	assert_int_equal(a->consumer.grace, b->consumer.grace);
	assert_int_equal(a->consumer.lease_ttl, b->consumer.lease_ttl);
	assert_int_equal(a->consumer.scan, b->consumer.scan);
	assert_int_equal(a->supervise.consumers, b->supervise.consumers);
	assert_int_equal(a->supervise.restart_min, b->supervise.restart_min);
	assert_int_equal(a->supervise.restart_max, b->supervise.restart_max);
	assert_int_equal(a->supervise.nproducers, b->supervise.nproducers);
	for (i = 0; i < a->supervise.nproducers; i++) {
		const struct spool_producer *p = &a->supervise.producers[i];
		const struct spool_producer *q = &b->supervise.producers[i];

		assert_int_equal(p->argc, q->argc);
		for (j = 0; j < p->argc; j++)
			assert_string_equal(p->argv[j], q->argv[j]);
		assert_null(p->argv[p->argc]);
		assert_null(q->argv[q->argc]);
	}
}

/* Producers for expected configs, from a NULL-terminated list. */
static void
add_producer(struct spool_config *cf, ...)
{
	struct spool_producer *p;
	const char *s;
	va_list ap;

	cf->supervise.producers = realloc(cf->supervise.producers,
	    (size_t)(cf->supervise.nproducers + 1) * sizeof *p);
	assert_non_null(cf->supervise.producers);
	p = &cf->supervise.producers[cf->supervise.nproducers++];
	p->argc = 0;
	p->argv = calloc(1, sizeof *p->argv);
	va_start(ap, cf);
	while ((s = va_arg(ap, const char *)) != NULL) {
		p->argv = realloc(p->argv, (size_t)(p->argc + 2) *
		    sizeof *p->argv);
		assert_non_null(p->argv);
		p->argv[p->argc++] = strdup(s);
		p->argv[p->argc] = NULL;
	}
	va_end(ap);
	cf->set |= SPOOL_CF_PRODUCERS;
}

/* ---- durations ---- */

static const struct {
	const char *s;
	int ok;
	int64_t ms;
} dur_parse[] = {
	{ "250ms", 1, 250 }, { "2s", 1, 2000 }, { "5m", 1, 300000 },
	{ "1h", 1, 3600000 }, { "7d", 1, 604800000 }, { "30", 1, 30000 },
	{ "0", 1, 0 }, { "0s", 1, 0 }, { "0ms", 1, 0 }, { "1.5s", 1, 1500 },
	{ "0.5", 1, 500 }, { "1.25m", 1, 75000 }, { "0.001s", 1, 1 },
	{ "1.5h", 1, 5400000 }, { "1.000000000000000000000s", 1, 1000 },
	{ "007s", 1, 7000 },
	{ "9223372036854775807ms", 1, INT64_MAX },
	{ "9223372036854775808ms", 0, 0 }, { "106751991168d", 0, 0 },
	{ "99999999999999999999999", 0, 0 }, { "9223372036854775.808s", 0, 0 },
	{ "0.0001s", 0, 0 }, { "1.5ms", 0, 0 },
	{ "1.0000000000000000001s", 0, 0 },
	{ "", 0, 0 }, { "-1s", 0, 0 }, { "+1s", 0, 0 }, { "abc", 0, 0 },
	{ "5x", 0, 0 }, { "5S", 0, 0 }, { " 5s", 0, 0 }, { "5s ", 0, 0 },
	{ "5 s", 0, 0 }, { "1.", 0, 0 }, { ".5s", 0, 0 }, { "1.s", 0, 0 },
	{ "s", 0, 0 }, { "1h30m", 0, 0 }, { "1e3", 0, 0 }, { "0x10", 0, 0 },
	{ "1,5s", 0, 0 }, { "5ms5", 0, 0 },
};

static void
test_duration_parse(void **state)
{
	size_t i;
	int64_t ms;

	(void)state;
	for (i = 0; i < sizeof dur_parse / sizeof dur_parse[0]; i++) {
		ms = -42;
		errno = 0;
		if (dur_parse[i].ok) {
			if (spool_duration_parse(dur_parse[i].s, &ms) != 0)
				fail_msg("\"%s\" refused", dur_parse[i].s);
			assert_int_equal(ms, dur_parse[i].ms);
		} else {
			if (spool_duration_parse(dur_parse[i].s, &ms) != -1)
				fail_msg("\"%s\" taken", dur_parse[i].s);
			assert_int_equal(errno, EINVAL);
			assert_int_equal(ms, -42);	/* untouched */
		}
	}
	assert_int_equal(spool_duration_parse(NULL, &ms), -1);
}

static const struct {
	int64_t ms;
	const char *s;
} dur_format[] = {
	{ 0, "0s" }, { 1, "1ms" }, { 250, "250ms" }, { 1500, "1500ms" },
	{ 2000, "2s" }, { 90000, "90s" }, { 300000, "5m" },
	{ 5400000, "90m" }, { 3600000, "1h" }, { 86400000, "1d" },
	{ 604800000, "7d" }, { 90000000, "25h" }, { 86401000, "86401s" },
	{ INT64_MAX, "9223372036854775807ms" }, { -5000, "-5s" },
	{ -1500, "-1500ms" },
};

static void
test_duration_format(void **state)
{
	char buf[32], *p;
	int64_t back;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof dur_format / sizeof dur_format[0]; i++) {
		p = spool_duration_format(dur_format[i].ms, buf, sizeof buf);
		assert_ptr_equal(p, buf);
		assert_string_equal(buf, dur_format[i].s);
		if (dur_format[i].ms >= 0) {	/* and back */
			assert_int_equal(spool_duration_parse(buf, &back), 0);
			assert_int_equal(back, dur_format[i].ms);
		}
	}
	/* Too small a buffer is an error, never a cut string. */
	errno = 0;
	assert_null(spool_duration_format(1500, buf, 6));
	assert_int_equal(errno, ERANGE);
	assert_non_null(spool_duration_format(1500, buf, 7));
	assert_string_equal(buf, "1500ms");
	assert_null(spool_duration_format(0, buf, 0));
}

/* ---- valid files ---- */

static void
fix_none(struct spool_config *cf)
{
	(void)cf;
}

static void
fix_minimal(struct spool_config *cf)
{
	cf->set = SPOOL_CF_SPOOL;
	cf->spool = strdup("/var/spool/jobs");
}

static void
fix_full(struct spool_config *cf)
{
	cf->set = SPOOL_CF_SPOOL | SPOOL_CF_DURABLE | SPOOL_CF_STAMP |
	    SPOOL_CF_EXEC | SPOOL_CF_CONCURRENCY | SPOOL_CF_MAX_ATTEMPTS |
	    SPOOL_CF_BACKOFF | SPOOL_CF_TIMEOUT | SPOOL_CF_GRACE |
	    SPOOL_CF_LEASE_TTL | SPOOL_CF_SCAN | SPOOL_CF_CONSUMERS |
	    SPOOL_CF_RESTART;
	cf->spool = strdup("./var/spool");
	cf->durable = 0;
	cf->consumer.stamp = 0;
	cf->consumer.exec = strdup("handler --flag");
	cf->consumer.concurrency = 2;
	cf->consumer.max_attempts = 7;
	cf->consumer.backoff_min = 1000;
	cf->consumer.backoff_max = 300000;
	cf->consumer.timeout = 600000;
	cf->consumer.grace = 1500;
	cf->consumer.lease_ttl = 5000;
	cf->consumer.scan = 250;
	cf->supervise.consumers = 3;
	cf->supervise.restart_min = 100;
	cf->supervise.restart_max = 30000;
	add_producer(cf, "--random", "1000", "--size", "512", "--rate", "50",
	    NULL);
	add_producer(cf, "-d", "x", NULL);
}

static void
fix_bools(struct spool_config *cf)
{
	cf->set = SPOOL_CF_DURABLE | SPOOL_CF_STAMP;
	cf->durable = 0;
	cf->consumer.stamp = 1;
}

static void
fix_nulls(struct spool_config *cf)
{
	cf->set = SPOOL_CF_SPOOL | SPOOL_CF_EXEC | SPOOL_CF_PRODUCERS;
}

static void
fix_bare(struct spool_config *cf)
{
	cf->set = SPOOL_CF_TIMEOUT | SPOOL_CF_GRACE | SPOOL_CF_CONCURRENCY |
	    SPOOL_CF_WORKER | SPOOL_CF_CONSUMERS;
	cf->consumer.timeout = 30000;
	cf->consumer.grace = 1500;
	cf->consumer.concurrency = 1024;
	cf->consumer.worker = strdup("42");
	cf->supervise.consumers = 0;
}

static void
fix_escapes(struct spool_config *cf)
{
	cf->set = SPOOL_CF_EXEC | SPOOL_CF_PRODUCERS;
	cf->consumer.exec = strdup("a \"b\" \\c\td\ne \xc3\xa9");
	add_producer(cf, "", "'", "#", ": x", NULL);
}

static void
fix_alias(struct spool_config *cf)
{
	cf->set = SPOOL_CF_PRODUCERS;
	add_producer(cf, "--random", "5", NULL);
	add_producer(cf, "--random", "5", NULL);
}

static const struct {
	const char *name, *text;
	void (*fix)(struct spool_config *);
} valid[] = {
	{ "empty", "", fix_none },
	{ "comments", "# nothing\n\n   # at all\n", fix_none },
	{ "document", "---\n", fix_none },
	{ "ended", "---\nspool: /var/spool/jobs\n...\n", fix_minimal },
	{ "null top", "~\n", fix_none },
	{ "empty sections", "consumer:\nsupervise: {}\n", fix_none },
	{ "minimal", "spool: /var/spool/jobs\n", fix_minimal },
	{ "quoted", "'spool': \"/var/spool/jobs\"\n", fix_minimal },
	{ "full",
	    "spool: ./var/spool        # -d DIR\n"
	    "durable: false\n"
	    "consumer:\n"
	    "  stamp: false\n"
	    "  exec: \"handler --flag\"\n"
	    "  concurrency: 2\n"
	    "  max_attempts: 7\n"
	    "  backoff: [1s, 5m]\n"
	    "  timeout: 10m\n"
	    "  grace: 1.5s\n"
	    "  lease_ttl: 5s\n"
	    "  scan: 250ms\n"
	    "supervise:\n"
	    "  consumers: 3\n"
	    "  producers:\n"
	    "    - [--random, \"1000\", --size, \"512\", --rate, \"50\"]\n"
	    "    -\n"
	    "      - -d\n"
	    "      - x\n"
	    "  restart: [100ms, 30s]\n", fix_full },
	{ "flow", "{durable: no, consumer: {stamp: YES}}\n", fix_bools },
	{ "on off", "durable: Off\nconsumer:\n  stamp: on\n", fix_bools },
	{ "TRUE", "durable: FALSE\nconsumer: {stamp: TRUE}\n", fix_bools },
	{ "nulls", "spool: ~\nconsumer:\n  exec: null\nsupervise:\n"
	    "  producers:\n", fix_nulls },
	{ "bare", "consumer:\n  timeout: 30\n  grace: 1.5\n"
	    "  concurrency: \"1024\"\n  worker: 42\n"
	    "supervise: {consumers: 0}\n", fix_bare },
	{ "escapes",
	    "consumer:\n  exec: \"a \\\"b\\\" \\\\c\\td\\ne \\u00e9\"\n"
	    "supervise:\n  producers: [['', \"'\", '#', ': x']]\n",
	    fix_escapes },
	{ "alias", "supervise:\n  producers:\n    - &p [--random, \"5\"]\n"
	    "    - *p\n", fix_alias },
	{ "crlf", "spool: /var/spool/jobs\r\n", fix_minimal },
	{ "bom", "\xef\xbb\xbfspool: /var/spool/jobs\n", fix_minimal },
};

static void
test_valid(void **state)
{
	struct spool_config cf, want;
	struct spool_config_error err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof valid / sizeof valid[0]; i++) {
		if (loadtext(&cf, valid[i].text, &err) != 0)
			fail_msg("%s: %lu:%lu: %s", valid[i].name, err.line,
			    err.column, err.msg);
		spool_config_defaults(&want);
		valid[i].fix(&want);
		assert_cf_equal(&cf, &want, 1);
		spool_config_free(&cf);
		spool_config_free(&want);
	}
}

static void
test_defaults(void **state)
{
	struct spool_config cf;

	(void)state;
	spool_config_defaults(&cf);
	assert_int_equal(cf.set, 0);
	assert_null(cf.spool);
	assert_int_equal(cf.durable, 1);
	assert_int_equal(cf.consumer.stamp, 0);
	assert_null(cf.consumer.exec);
	assert_null(cf.consumer.worker);
	assert_int_equal(cf.consumer.concurrency, 1);
	assert_int_equal(cf.consumer.max_attempts, 5);
	assert_int_equal(cf.consumer.backoff_min, 1000);
	assert_int_equal(cf.consumer.backoff_max, 300000);
	assert_int_equal(cf.consumer.timeout, 0);
	assert_int_equal(cf.consumer.grace, 10000);
	assert_int_equal(cf.consumer.lease_ttl, 60000);
	assert_int_equal(cf.consumer.scan, 30000);
	assert_int_equal(cf.supervise.consumers, 1);
	assert_int_equal(cf.supervise.nproducers, 0);
	assert_null(cf.supervise.producers);
	assert_int_equal(cf.supervise.restart_min, 100);
	assert_int_equal(cf.supervise.restart_max, 30000);
	spool_config_free(&cf);
}

/* ---- errors: every kind, with its place ---- */

static const struct {
	const char *text;
	unsigned long line, column;
	const char *msg;
} errors[] = {
	/* syntax, in libyaml's words */
	{ "consumer: [1, 2\n", 2, 1, "while parsing a flow sequence: "
	    "did not find expected ',' or ']'" },
	{ "consumer:\n\tstamp: true\n", 2, 1, "while scanning for the next "
	    "token: found character that cannot start any token (a tab: "
	    "indent YAML with spaces)" },
	{ "spool: \"abc\n", 2, 1, "while scanning a quoted scalar: "
	    "found unexpected end of stream" },
	{ "a: b: c\n", 1, 5, "mapping values are not allowed in this "
	    "context" },
	{ "spool: *x\n", 1, 8, "found undefined alias" },
	{ "spool: x\n\xff\n", 2, 1, "invalid leading UTF-8 octet 0xff" },
	{ "spool: x\n---\n[\n", 4, 1, "while parsing a flow node: "
	    "did not find expected node content" },
	/* the top */
	{ "- a\n- b\n", 1, 1, "expected a mapping of settings, got a list" },
	{ "hello\n", 1, 1, "expected a mapping of settings, got \"hello\"" },
	{ "spool: a\n---\nspool: b\n", 2, 1,
	    "expected one document, found another" },
	{ "? [a]\n: b\n", 1, 3, "expected a key, got a list" },
	/* unknown keys */
	{ "spool: a\nfoo: 1\n", 2, 1, "unknown key \"foo\"" },
	{ "consumer:\n  stamp: true\n  foo: 1\n", 3, 3,
	    "unknown key \"foo\" in consumer" },
	{ "supervise: {restart: [1s, 2s], Consumers: 2}\n", 1, 32,
	    "unknown key \"Consumers\" in supervise" },
	{ "consumer:\n  Stamp: true\n", 2, 3,
	    "unknown key \"Stamp\" in consumer" },
	/* duplicates */
	{ "spool: a\ndurable: true\nspool: b\n", 3, 1,
	    "duplicate key \"spool\" (first given at line 1)" },
	{ "consumer:\n  exec: a\n  exec: b\n", 3, 3,
	    "duplicate key \"exec\" in consumer (first given at line 2)" },
	{ "consumer: {}\nconsumer: {}\n", 2, 1,
	    "duplicate key \"consumer\" (first given at line 1)" },
	/* integers */
	{ "consumer:\n  concurrency: abc\n", 2, 16,
	    "consumer.concurrency: expected an integer from 1 to 1024, "
	    "got \"abc\"" },
	{ "consumer:\n  concurrency: 0\n", 2, 16,
	    "consumer.concurrency: expected an integer from 1 to 1024, "
	    "got \"0\"" },
	{ "consumer:\n  concurrency: 1025\n", 2, 16,
	    "consumer.concurrency: expected an integer from 1 to 1024, "
	    "got \"1025\"" },
	{ "consumer:\n  concurrency:\n", 2, 15,
	    "consumer.concurrency: expected an integer from 1 to 1024, "
	    "got nothing" },
	{ "consumer:\n  concurrency: 2.5\n", 2, 16,
	    "consumer.concurrency: expected an integer from 1 to 1024, "
	    "got \"2.5\"" },
	{ "consumer: {max_attempts: 0}\n", 1, 26,
	    "consumer.max_attempts: expected an integer from 1 to 1000000, "
	    "got \"0\"" },
	{ "consumer: {max_attempts: 99999999999999999999}\n", 1, 26,
	    "consumer.max_attempts: expected an integer from 1 to 1000000, "
	    "got \"99999999999999999999\"" },
	{ "supervise: {consumers: -1}\n", 1, 24,
	    "supervise.consumers: expected an integer from 0 to 1024, "
	    "got \"-1\"" },
	{ "supervise: {consumers: [2]}\n", 1, 24,
	    "supervise.consumers: expected an integer from 0 to 1024, "
	    "got a list" },
	/* booleans */
	{ "durable: maybe\n", 1, 10,
	    "durable: expected true or false, got \"maybe\"" },
	{ "durable: 1\n", 1, 10, "durable: expected true or false, got \"1\"" },
	{ "consumer:\n  stamp: {a: b}\n", 2, 10,
	    "consumer.stamp: expected true or false, got a mapping" },
	/* durations */
	{ "consumer:\n  timeout: 10 minutes\n", 2, 12,
	    "consumer.timeout: expected a duration such as 250ms, 2s, 5m, "
	    "1h or 7d, got \"10 minutes\"" },
	{ "consumer:\n  grace: -1s\n", 2, 10,
	    "consumer.grace: expected a duration such as 250ms, 2s, 5m, "
	    "1h or 7d, got \"-1s\"" },
	{ "consumer:\n  lease_ttl: 500ms\n", 2, 14,
	    "consumer.lease_ttl: expected a duration from 1s to 3650d, "
	    "got \"500ms\"" },
	{ "consumer:\n  scan: 0\n", 2, 9,
	    "consumer.scan: expected a duration from 1ms to 3650d, got \"0\"" },
	{ "consumer:\n  timeout: 3651d\n", 2, 12,
	    "consumer.timeout: expected a duration from 0s to 3650d, "
	    "got \"3651d\"" },
	/* pairs */
	{ "consumer:\n  backoff: [5m, 1s]\n", 2, 12,
	    "consumer.backoff: first delay 5m is longer than its cap 1s" },
	{ "supervise:\n  restart: [1m, 30s]\n", 2, 12,
	    "supervise.restart: first delay 1m is longer than its cap 30s" },
	{ "consumer:\n  backoff: 5s\n", 2, 12, "consumer.backoff: expected "
	    "a list [FIRST, CAP] of two durations, got \"5s\"" },
	{ "consumer:\n  backoff: [1s]\n", 2, 12, "consumer.backoff: expected "
	    "a list [FIRST, CAP] of two durations, got a list of 1" },
	{ "consumer:\n  backoff: [1s, 2s, 3s]\n", 2, 12, "consumer.backoff: "
	    "expected a list [FIRST, CAP] of two durations, got a list of 3" },
	{ "supervise:\n  restart: []\n", 2, 12, "supervise.restart: "
	    "expected a list [FIRST, CAP] of two durations, got a list of 0" },
	{ "supervise:\n  restart: [1s, soon]\n", 2, 17, "supervise.restart[1]: "
	    "expected a duration such as 250ms, 2s, 5m, 1h or 7d, "
	    "got \"soon\"" },
	/* strings */
	{ "spool: [a, b]\n", 1, 8, "spool: expected a string, got a list" },
	{ "spool: \"\"\n", 1, 8,
	    "spool: expected a non-empty string, got \"\"" },
	{ "consumer:\n  exec: {a: b}\n", 2, 9,
	    "consumer.exec: expected a string, got a mapping" },
	{ "spool: \"a\\0b\"\n", 1, 8,
	    "spool: a string may not hold a NUL character" },
	/* sections */
	{ "consumer: 5\n", 1, 11,
	    "consumer: expected a mapping of settings, got \"5\"" },
	{ "supervise:\n  - a\n", 2, 3,
	    "supervise: expected a mapping of settings, got a list" },
	/* producers */
	{ "supervise:\n  producers: [--random, \"1\"]\n", 2, 15,
	    "supervise.producers[0]: expected a list of spoolsubmit arguments "
	    "such as [--random, \"100\"], got \"--random\"" },
	{ "supervise:\n  producers: --random 1\n", 2, 14,
	    "supervise.producers: expected a list of argument lists, "
	    "got \"--random 1\"" },
	{ "supervise:\n  producers:\n    - [a]\n    - []\n", 4, 7,
	    "supervise.producers[1]: empty list of arguments" },
	{ "supervise:\n  producers:\n    - [a, [b]]\n", 3, 11,
	    "supervise.producers[0][1]: expected a string, got a list" },
	{ "supervise:\n  producers:\n    - {a: b}\n", 3, 7,
	    "supervise.producers[0]: expected a list of spoolsubmit arguments "
	    "such as [--random, \"100\"], got a mapping" },
	/* exclusive keys: the later one is blamed */
	{ "consumer:\n  stamp: true\n  exec: x\n", 3, 3,
	    "consumer: stamp and exec are exclusive" },
	{ "consumer:\n  exec: x\n  concurrency: 2\n  stamp: yes\n", 4, 3,
	    "consumer: stamp and exec are exclusive" },
	{ "consumer:\n  worker: w\n  stamp: true\n", 3, 3,
	    "consumer: stamp and worker are exclusive" },
	{ "consumer:\n  exec: x\n  worker: w\n", 3, 3,
	    "consumer: exec and worker are exclusive" },
	/* values in messages are escaped and cut */
	{ "\"a\\tb\\\"\": 1\n", 1, 1, "unknown key \"a\\x09b\\\"\"" },
	{ "durable: aaaaaaaaaabbbbbbbbbbccccccccccddddddddddeeeee\n", 1, 10,
	    "durable: expected true or false, got "
	    "\"aaaaaaaaaabbbbbbbbbbccccccccccdddddddddd...\"" },
};

static void
test_errors(void **state)
{
	struct spool_config cf;
	struct spool_config_error err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof errors / sizeof errors[0]; i++) {
		errno = 0;
		if (loadtext(&cf, errors[i].text, &err) != -1)
			fail_msg("taken: %s", errors[i].text);
		assert_int_equal(errno, EINVAL);
		assert_string_equal(err.file, tmpname);
		if (strcmp(err.msg, errors[i].msg) != 0 ||
		    err.line != errors[i].line ||
		    err.column != errors[i].column)
			fail_msg("case %zu\n  want %lu:%lu: %s\n"
			    "  got  %lu:%lu: %s", i, errors[i].line,
			    errors[i].column, errors[i].msg, err.line,
			    err.column, err.msg);
		/* A bad file sets nothing. */
		assert_int_equal(cf.set, 0);
		assert_null(cf.spool);
		assert_null(cf.consumer.exec);
		assert_int_equal(cf.supervise.nproducers, 0);
		spool_config_free(&cf);
	}
}

static void
test_io_error(void **state)
{
	struct spool_config cf;
	struct spool_config_error err;

	(void)state;
	spool_config_defaults(&cf);
	errno = 0;
	assert_int_equal(spool_config_load(&cf, "/nonexistent/spool.yaml",
	    &err), -1);
	assert_int_equal(errno, ENOENT);
	assert_string_equal(err.file, "/nonexistent/spool.yaml");
	assert_int_equal(err.line, 0);
	assert_string_equal(err.msg, strerror(ENOENT));
	errno = 0;
	assert_int_equal(spool_config_load(&cf, "/tmp", &err), -1);
	assert_int_equal(errno, EISDIR);
	/* err may be NULL */
	assert_int_equal(spool_config_load(&cf, "/nonexistent", NULL), -1);
	assert_int_equal(errno, ENOENT);
	spool_config_free(&cf);
}

/* Limits are errors, never silent cuts. */
static void
test_limits(void **state)
{
	struct spool_config cf;
	struct spool_config_error err;
	size_t n = (1 << 20) + 1, i;
	char *big;

	(void)state;
	big = malloc(n + 100);
	assert_non_null(big);
	/* a file of 1 MiB + 1 */
	memset(big, '#', n);
	spool_config_defaults(&cf);
	writetmp(big, n);
	assert_int_equal(spool_config_load(&cf, tmpname, &err), -1);
	assert_int_equal(errno, EINVAL);
	assert_string_equal(err.msg, "file larger than 1048576 bytes");
	unlink(tmpname);
	/* a comment of 1 MiB is fine */
	writetmp(big, n - 1);
	assert_int_equal(spool_config_load(&cf, tmpname, &err), 0);
	unlink(tmpname);
	/* a string of 64 KiB */
	strcpy(big, "consumer: {exec: ");
	i = strlen(big);
	memset(big + i, 'x', 65536);
	strcpy(big + i + 65536, "}\n");
	assert_int_equal(loadtext(&cf, big, &err), -1);
	assert_string_equal(err.msg,
	    "consumer.exec: string longer than 65535 bytes");
	big[i + 65535] = '}';
	big[i + 65536] = '\n';
	big[i + 65537] = '\0';
	assert_int_equal(loadtext(&cf, big, &err), 0);
	assert_int_equal(strlen(cf.consumer.exec), 65535);
	spool_config_free(&cf);
	/* a path past PATH_MAX */
	strcpy(big, "spool: ");
	memset(big + 7, 'p', 4096);
	strcpy(big + 7 + 4096, "\n");
	assert_int_equal(loadtext(&cf, big, &err), -1);
	assert_string_equal(err.msg, "spool: string longer than 4095 bytes");
	/* aliases may not multiply a string past 4 MiB */
	strcpy(big, "supervise:\n  producers:\n    - &a [&s ");
	i = strlen(big);
	memset(big + i, 's', 60000);
	i += 60000;
	i += (size_t)sprintf(big + i, ", *s, *s, *s, *s, *s, *s, *s]\n");
	while (i < 60000 + 2000)
		i += (size_t)sprintf(big + i, "    - *a\n");
	assert_int_equal(loadtext(&cf, big, &err), -1);
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(err.msg,
	    ": the strings of this file exceed 4194304 bytes in all"));
	free(big);
}

static void
test_unchanged_on_error(void **state)
{
	struct spool_config cf, want;
	struct spool_config_error err;

	(void)state;
	spool_config_defaults(&cf);
	writestr("spool: /a\nconsumer: {exec: x}\n");
	assert_int_equal(spool_config_load(&cf, tmpname, &err), 0);
	unlink(tmpname);
	spool_config_defaults(&want);
	assert_int_equal(spool_config_merge(&want, &cf), 0);
	/* a bad second file leaves the first one's settings */
	writestr("spool: /b\nconsumer: {exec: y, bad: 1}\n");
	assert_int_equal(spool_config_load(&cf, tmpname, &err), -1);
	unlink(tmpname);
	assert_cf_equal(&cf, &want, 1);
	/* a good second file wins where it speaks */
	writestr("spool: /b\nconsumer: {exec: ~}\n");
	assert_int_equal(spool_config_load(&cf, tmpname, &err), 0);
	unlink(tmpname);
	assert_string_equal(cf.spool, "/b");
	assert_null(cf.consumer.exec);
	spool_config_free(&cf);
	spool_config_free(&want);
}

/* ---- merge ---- */

static void
test_merge(void **state)
{
	struct spool_config dst, src;

	(void)state;
	spool_config_defaults(&dst);
	fix_full(&dst);
	spool_config_defaults(&src);
	src.set = SPOOL_CF_STAMP | SPOOL_CF_EXEC | SPOOL_CF_CONCURRENCY |
	    SPOOL_CF_WORKER | SPOOL_CF_PRODUCERS | SPOOL_CF_RESTART;
	src.consumer.stamp = 1;
	src.consumer.exec = NULL;		/* set to none */
	src.consumer.worker = strdup("w");
	src.consumer.concurrency = 9;
	src.consumer.max_attempts = 99;		/* not set: not copied */
	src.spool = strdup("/elsewhere");	/* not set: not copied */
	src.supervise.restart_min = 1;
	src.supervise.restart_max = 2;
	add_producer(&src, "a", "b", NULL);
	assert_int_equal(spool_config_merge(&dst, &src), 0);
	assert_int_equal(dst.set, SPOOL_CF_SPOOL | SPOOL_CF_DURABLE |
	    SPOOL_CF_STAMP | SPOOL_CF_EXEC | SPOOL_CF_WORKER |
	    SPOOL_CF_CONCURRENCY | SPOOL_CF_MAX_ATTEMPTS | SPOOL_CF_BACKOFF |
	    SPOOL_CF_TIMEOUT | SPOOL_CF_GRACE | SPOOL_CF_LEASE_TTL |
	    SPOOL_CF_SCAN | SPOOL_CF_CONSUMERS | SPOOL_CF_PRODUCERS |
	    SPOOL_CF_RESTART);
	assert_string_equal(dst.spool, "./var/spool");
	assert_int_equal(dst.consumer.stamp, 1);
	assert_null(dst.consumer.exec);
	assert_string_equal(dst.consumer.worker, "w");
	assert_ptr_not_equal(dst.consumer.worker, src.consumer.worker);
	assert_int_equal(dst.consumer.concurrency, 9);
	assert_int_equal(dst.consumer.max_attempts, 7);
	assert_int_equal(dst.supervise.restart_min, 1);
	assert_int_equal(dst.supervise.restart_max, 2);
	assert_int_equal(dst.supervise.nproducers, 1);
	assert_ptr_not_equal(dst.supervise.producers,
	    src.supervise.producers);
	assert_ptr_not_equal(dst.supervise.producers[0].argv[0],
	    src.supervise.producers[0].argv[0]);
	spool_config_free(&src);	/* dst owns its own copies */
	assert_string_equal(dst.supervise.producers[0].argv[1], "b");
	assert_null(dst.supervise.producers[0].argv[2]);
	/* merging nothing changes nothing */
	spool_config_defaults(&src);
	assert_int_equal(spool_config_merge(&dst, &src), 0);
	assert_int_equal(dst.consumer.concurrency, 9);
	spool_config_free(&dst);
	spool_config_free(&src);
}

/* ---- print -> load ---- */

static void
fix_strange(struct spool_config *cf)
{
	cf->set = SPOOL_CF_SPOOL | SPOOL_CF_WORKER | SPOOL_CF_PRODUCERS;
	cf->spool = strdup("/tmp/a b/#c: 'd'");
	cf->consumer.worker = strdup("\x01\x7f\xc2\x85\xe2\x80\xa8"
	    "\xef\xbb\xbf\xf0\x9f\x98\x80 ~ null");
	add_producer(cf, "", "null", "~", "-", "[x]", "{y}", "&z", "*w",
	    "\"", "\\", "\r\n", NULL);
	cf->supervise.consumers = 0;
	cf->consumer.timeout = 1;
	cf->consumer.backoff_min = 0;
	cf->consumer.backoff_max = 0;
	cf->supervise.restart_min = 86400000;
	cf->supervise.restart_max = 3650LL * 86400000;
}

static void
fix_stamp(struct spool_config *cf)
{
	cf->consumer.stamp = 1;
	cf->durable = 0;
	cf->consumer.max_attempts = 1000000;
	cf->consumer.lease_ttl = 1000;
	cf->consumer.scan = 1;
	cf->consumer.grace = 1500;
}

static void (*const roundtrips[])(struct spool_config *) = {
	fix_none, fix_minimal, fix_full, fix_bools, fix_bare, fix_escapes,
	fix_alias, fix_strange, fix_stamp,
};

/* The printed text, in a malloc'd string. */
static char *
printed(const struct spool_config *cf)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(spool_config_print(cf, f), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void
test_roundtrip(void **state)
{
	struct spool_config cf, back;
	struct spool_config_error err;
	char *text, *again;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof roundtrips / sizeof roundtrips[0]; i++) {
		spool_config_defaults(&cf);
		roundtrips[i](&cf);
		text = printed(&cf);
		if (loadtext(&back, text, &err) != 0)
			fail_msg("case %zu: %lu:%lu: %s\n%s", i, err.line,
			    err.column, err.msg, text);
		assert_cf_equal(&back, &cf, 0);
		again = printed(&back);
		assert_string_equal(again, text);
		free(text);
		free(again);
		spool_config_free(&cf);
		spool_config_free(&back);
	}
}

/* The exact text, so that spoold -n output is known. */
static void
test_print(void **state)
{
	struct spool_config cf;
	char *text;

	(void)state;
	spool_config_defaults(&cf);
	text = printed(&cf);
	assert_string_equal(text,
	    "# spool: (not set)\n"
	    "durable: true\n"
	    "consumer:\n"
	    "  stamp: false\n"
	    "  # exec: (not set)\n"
	    "  # worker: (not set)\n"
	    "  concurrency: 1\n"
	    "  max_attempts: 5\n"
	    "  backoff: [1s, 5m]\n"
	    "  timeout: 0s\n"
	    "  grace: 10s\n"
	    "  lease_ttl: 1m\n"
	    "  scan: 30s\n"
	    "supervise:\n"
	    "  consumers: 1\n"
	    "  producers: []\n"
	    "  restart: [100ms, 30s]\n");
	free(text);
	fix_escapes(&cf);
	cf.spool = strdup("s");
	text = printed(&cf);
	assert_non_null(strstr(text, "spool: \"s\"\n"));
	assert_non_null(strstr(text,
	    "  exec: \"a \\\"b\\\" \\\\c\\td\\ne \xc3\xa9\"\n"));
	assert_non_null(strstr(text,
	    "  producers:\n    - [\"\", \"'\", \"#\", \": x\"]\n"));
	free(text);
	/* a byte that is not UTF-8 is escaped, so the output still loads */
	free(cf.spool);
	cf.spool = strdup("\xff\xc3(");
	text = printed(&cf);
	assert_non_null(strstr(text, "spool: \"\\xff\\xc3(\"\n"));
	free(text);
	spool_config_free(&cf);
}

static void
test_print_error(void **state)
{
	struct spool_config cf;
	FILE *f;

	(void)state;
	f = fopen("/dev/full", "w");
	if (f == NULL)
		skip();
	spool_config_defaults(&cf);
	assert_int_equal(spool_config_print(&cf, f), -1);
	assert_int_equal(errno, ENOSPC);
	fclose(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration_parse),
		cmocka_unit_test(test_duration_format),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_io_error),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_unchanged_on_error),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_print),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_print_error),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
