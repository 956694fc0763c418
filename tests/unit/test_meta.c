/*
 * test_meta.c - per-job history (meta.c): escaping and the fields parsed
 * back (round trips through control characters, quotes, backslashes,
 * invalid UTF-8; text inside a quoted value is never a field), counting
 * attempts (requeue resets them), a torn last line, and appends from two
 * processes at once that never interleave.
 */
#include <sys/wait.h>

#include "testutil.h"

#define T0 "2026-11-28T10:00:00.123Z"

static const char *const values[] = {
	"plain", "host:1234", "a/b@c+d,e-f_g.h", "", "with space", "a=b",
	"quote\"d", "\"", "back\\slash", "\\", "trailing\\", "\\\"", "\\n",
	"line\nbreak", "\ttab", "\r\n", "\x01\x02\x1f", "\x7f", "\x1b[31mred",
	"\xff\xfe invalid utf8 \xc3", "caf\xc3\xa9 \xe2\x82\xac", "x status=y",
	"by=evil attempt=99", "\"quoted\" and \\escaped\\",
};

/* A value escaped into a line between two other fields comes back whole,
 * and the fields around it are still found. */
static void
test_escape_roundtrip(void **state)
{
	char esc[512], line[1024], out[512];
	const char *p;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		spool_escape(values[i], esc, sizeof(esc));
		for (p = esc; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				fail_msg("case %zu: raw control byte in %s", i, esc);
		snprintf(line, sizeof(line), T0 " retry a=1 key=%s b=2\n", esc);
		if (!spool_meta_field(line, "key", out, sizeof(out)))
			fail_msg("case %zu: key not found in %s", i, line);
		if (strcmp(out, values[i]) != 0)
			fail_msg("case %zu: got \"%s\" from %s", i, out, line);
		assert_true(spool_meta_field(line, "a", out, sizeof(out)));
		assert_string_equal(out, "1");
		if (!spool_meta_field(line, "b", out, sizeof(out)) ||
		    strcmp(out, "2") != 0)
			fail_msg("case %zu: b lost after %s", i, esc);
	}
}

/* Safe values stay bare; others are quoted. */
static void
test_escape_bare(void **state)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "plain", "plain" }, { "host:1234", "host:1234" },
		{ "2s", "2s" }, { "", "\"\"" }, { "a b", "\"a b\"" },
		{ "a=b", "\"a=b\"" }, { "a\nb", "\"a\\nb\"" },
		{ "q\"", "\"q\\\"\"" }, { "\x01", "\"\\x01\"" },
		{ "\\", "\"\\\\\"" },
	};
	char buf[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(spool_escape(cases[i].in, buf, sizeof(buf)),
		    cases[i].out);
	/* Too small for anything: empty, never overrun. */
	assert_string_equal(spool_escape("abc", buf, 2), "");
}

/* A value cut to fit stays one well-formed quoted value. */
static void
test_escape_truncated(void **state)
{
	static const size_t sizes[] = { 3, 8, 16, 64, 100 };
	char big[1000], buf[128], line[256], out[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(big) - 1; i++)
		big[i] = "ab\n\"\\\x01 z"[i % 8];
	big[sizeof(big) - 1] = '\0';
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t len;
		spool_escape(big, buf, sizes[i]);
		len = strlen(buf);
		assert_true(len < sizes[i]);
		assert_int_equal(buf[0], '"');
		assert_int_equal(buf[len - 1], '"');
		snprintf(line, sizeof(line), T0 " dead error=%s z=1", buf);
		assert_true(spool_meta_field(line, "error", out, sizeof(out)));
		assert_memory_equal(out, big, strlen(out));
		assert_true(spool_meta_field(line, "z", out, sizeof(out)));
		assert_string_equal(out, "1");
	}
}

static const struct {
	const char *line, *key;
	int found;
	const char *value;
} fields[] = {
	{ T0 " claim by=a attempt=2", "by", 1, "a" },
	{ T0 " claim by=a attempt=2", "attempt", 1, "2" },
	{ T0 " ev xby=1 by=2", "by", 1, "2" },
	{ T0 " ev attempts=5 attempt=2", "attempt", 1, "2" },
	{ T0 " ev by=", "by", 1, "" },
	{ T0 " ev by=x\n", "by", 1, "x" },
	{ T0 " ev a=1", "b", 0, NULL },
	{ T0 " ev a=1", "", 0, NULL },
	{ T0 " ev a=\"unterminated", "a", 1, "unterminated" },
	{ T0 " ev e=\"a\\\"b\\\\c\\nd\\x01\" z=1", "e", 1, "a\"b\\c\nd\x01" },
	{ T0 " ev e=\"a\\\"b\\\\c\\nd\\x01\" z=1", "z", 1, "1" },
	{ "by=x", "by", 0, NULL },	/* the time comes first */
	/* Text inside a quoted value is not a field. */
	{ T0 " ev error=\"x by=evil\" by=real", "by", 1, "real" },
	{ T0 " hold by=op note=\"status=fake\"", "status", 0, NULL },
	{ T0 " hold by=op note=\"a \\\" status=fake\"", "status", 0, NULL },
	{ T0 " retry error=\"x attempt=9\" attempt=1", "attempt", 1, "1" },
	/* A field of the next line is not one of this line. */
	{ T0 " return by=x\n" T0 " dead status=next", "status", 0, NULL },
	{ T0 " ev a=1\n" T0 " ev b=2", "b", 0, NULL },
};

static void
test_field_table(void **state)
{
	char out[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		int got = spool_meta_field(fields[i].line, fields[i].key, out,
		    sizeof(out));
		if (got != fields[i].found)
			fail_msg("case %zu: %s in \"%s\": found %d", i,
			    fields[i].key, fields[i].line, got);
		if (got && strcmp(out, fields[i].value) != 0)
			fail_msg("case %zu: %s = \"%s\", want \"%s\"", i,
			    fields[i].key, out, fields[i].value);
	}
	/* An output buffer too small: cut, terminated. */
	assert_true(spool_meta_field(T0 " ev k=abcdef", "k", out, 4));
	assert_string_equal(out, "abc");
	assert_int_equal(spool_meta_field(T0 " ev k=abcdef", "k", out, 0), 0);
}

#define L(ev, rest) T0 " " ev " " rest "\n"

static const struct {
	const char *text;
	int attempts, cancelled;
	const char *status, *error, *owner;
} histories[] = {
	{ "", 0, 0, "", "", "" },
	{ L("retry", "by=h:1 attempt=1 status=\"exit 1\" error=boom"),
	    1, 0, "exit 1", "boom", "h:1" },
	{ L("retry", "by=h:1 attempt=1 status=\"exit 1\" error=a")
	  L("retry", "by=h:2 attempt=2 status=\"exit 2\" error=b"),
	    2, 0, "exit 2", "b", "h:2" },
	{ L("retry", "by=h:1 attempt=1 status=\"exit 1\" error=a")
	  L("recover", "by=h:9 lease=h:2 attempt=2 status=lost error=x")
	  L("dead", "by=h:3 attempt=3 status=\"exit 7\" error=last"),
	    3, 0, "exit 7", "last", "h:3" },
	/* requeue resets the count and the error */
	{ L("retry", "by=h:1 attempt=1 status=\"exit 1\" error=a")
	  L("dead", "by=h:1 attempt=2 status=\"exit 1\" error=a")
	  L("requeue", "by=admin from=dead"),
	    0, 0, "", "", "h:1" },
	{ L("retry", "by=h:1 attempt=1 status=\"exit 1\" error=a")
	  L("requeue", "by=admin from=waiting")
	  L("retry", "by=h:2 attempt=1 status=\"exit 3\" error=c"),
	    1, 0, "exit 3", "c", "h:2" },
	/* a shutdown's return does not count; a rejected entry neither */
	{ L("return", "by=h:1 reason=\"spoold stopped\""), 0, 0, "", "", "h:1" },
	{ L("dead", "status=rejected error=\"a symlink\""),
	    0, 0, "rejected", "a symlink", "" },
	{ L("cancel", "by=op from=queued"), 0, 1, "", "cancelled by op", "" },
	{ L("cancel", "by=op from=queued") L("requeue", "by=op from=dead"),
	    0, 0, "", "", "" },
	/* a torn last line is not there */
	{ L("retry", "by=h:1 attempt=1 status=\"exit 1\" error=a")
	  T0 " retry by=h:2 attempt=2 status=\"exit 9\" error=torn",
	    1, 0, "exit 1", "a", "h:1" },
	{ T0 " dead by=h:2 attempt=1 status=\"exit 9\"", 0, 0, "", "", "" },
	/* an operator's note cannot fake a status */
	{ L("retry", "by=h:1 attempt=1 status=\"exit 1\" error=a")
	  L("hold", "by=op from=waiting note=\"status=ok error=none\""),
	    1, 0, "exit 1", "a", "h:1" },
	/* garbage lines are skipped */
	{ "garbage\n\n \n" L("retry", "by=h:1 attempt=1 status=x error=y"),
	    1, 0, "x", "y", "h:1" },
};

static void
test_scan_table(void **state)
{
	struct spool_meta m;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(histories) / sizeof(histories[0]); i++) {
		const char *t = histories[i].text;
		assert_int_equal(spool_meta_scan(t, strlen(t), &m), 0);
		if (m.attempts != histories[i].attempts ||
		    m.cancelled != histories[i].cancelled ||
		    strcmp(m.status, histories[i].status) ||
		    strcmp(m.error, histories[i].error) ||
		    strcmp(m.owner, histories[i].owner))
			fail_msg("case %zu: attempts=%d cancelled=%d status=\"%s\" "
			    "error=\"%s\" owner=\"%s\"", i, m.attempts,
			    m.cancelled, m.status, m.error, m.owner);
	}
	spool_meta_scan(histories[1].text, strlen(histories[1].text), &m);
	assert_int_equal(m.last_time, 1795860000123LL);
}

/* Append, read, history, remove on a real spool. */
static void
test_append_read(void **state)
{
	char *dir = tu_mkspool(), *text;
	struct spool *sp = tu_open(dir, 0);
	struct spool_meta m;
	size_t len;
	char esc[64];

	(void)state;
	assert_int_equal(spool_meta_read(sp, "job", &m), 0);	/* none: zeroes */
	assert_int_equal(m.attempts, 0);
	assert_null(spool_meta_history(sp, "job", &len));
	assert_int_equal(errno, ENOENT);
	assert_int_equal(spool_meta_append(sp, "job", "retry",
	    "by=%s attempt=1 status=%s error=%s", spool_owner(sp),
	    spool_escape("exit 1", esc, sizeof(esc)), "x"), 0);
	assert_int_equal(spool_meta_read(sp, "job", &m), 0);
	assert_int_equal(m.attempts, 1);
	assert_string_equal(m.status, "exit 1");
	assert_string_equal(m.owner, spool_owner(sp));
	assert_true(m.last_time > spool_now() - 60000);
	assert_non_null(text = spool_meta_history(sp, "job", &len));
	assert_int_equal(len, strlen(text));
	assert_int_equal(text[len - 1], '\n');
	assert_ptr_equal(strchr(text, '\n'), text + len - 1);	/* one line */
	assert_int_equal(text[10], 'T');
	assert_memory_equal(text + 24, " retry by=", 10);
	free(text);
	assert_int_equal(spool_meta_remove(sp, "job"), 0);
	assert_int_equal(spool_meta_remove(sp, "job"), -1);
	assert_int_equal(errno, ENOENT);
	spool_close(sp);
	tu_rmtree(dir);
	free(dir);
}

/* A cancel line is written before its move: out of dead/ it is one whose
 * move did not happen, and the history reads as if it were not there. */
static void
test_read_in(void **state)
{
	char *dir = tu_mkspool();
	struct spool *sp = tu_open(dir, 0);
	struct spool_meta m;
	int st;

	(void)state;
	tu_put(sp, SPOOL_META, "job",
	    L("retry", "by=h:1 attempt=1 status=\"exit 1\" error=boom")
	    L("cancel", "by=op from=running")
	    L("hold", "by=op from=queued"));
	for (st = -1; st < SPOOL_NSTATES; st++) {
		assert_int_equal(spool_meta_read_in(sp, "job", st, &m), 0);
		assert_int_equal(m.attempts, 1);
		assert_string_equal(m.status, "exit 1");
		if (st < 0 || st == SPOOL_DEAD) {
			assert_int_equal(m.cancelled, 1);
			assert_string_equal(m.error, "cancelled by op");
		} else {
			assert_int_equal(m.cancelled, 0);
			assert_string_equal(m.error, "boom");
		}
	}
	spool_close(sp);
	tu_rmtree(dir);
	free(dir);
}

/* Two processes appending at once: every line whole, none lost. */
static void
test_concurrent_appends(void **state)
{
	enum { N = 300 };
	char *dir = tu_mkspool(), *text, *p;
	struct spool *sp = tu_open(dir, SPOOL_NOSYNC);
	pid_t pid[2];
	int k, i, ws, lines = 0, per[2] = { 0, 0 };

	(void)state;
	for (k = 0; k < 2; k++) {
		if ((pid[k] = fork()) == 0) {
			for (i = 0; i < N; i++)
				if (spool_meta_append(sp, "job", "retry",
				    "by=p%d attempt=%d status=x error=\"%0200d\"",
				    k, i, 0) < 0)
					_exit(1);
			_exit(0);
		}
		assert_true(pid[k] > 0);
	}
	for (k = 0; k < 2; k++) {
		assert_int_equal(waitpid(pid[k], &ws, 0), pid[k]);
		assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
	}
	assert_non_null(text = tu_get(sp, SPOOL_META, "job"));
	for (p = text; *p; p = strchr(p, '\n') + 1) {
		char by[16], err[256];
		assert_true(spool_meta_field(p, "by", by, sizeof(by)));
		assert_true(spool_meta_field(p, "error", err, sizeof(err)));
		assert_int_equal(strlen(err), 200);
		per[by[1] - '0']++;
		lines++;
	}
	assert_int_equal(lines, 2 * N);
	assert_int_equal(per[0], N);
	assert_int_equal(per[1], N);
	free(text);
	spool_close(sp);
	tu_rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_roundtrip),
		cmocka_unit_test(test_escape_bare),
		cmocka_unit_test(test_escape_truncated),
		cmocka_unit_test(test_field_table),
		cmocka_unit_test(test_scan_table),
		cmocka_unit_test(test_append_read),
		cmocka_unit_test(test_read_in),
		cmocka_unit_test(test_concurrent_appends),
	};

	return cmocka_run_group_tests_name("meta", tests, NULL, NULL);
}
