/*
 * fuzz_meta.c - a job's history (meta.c) read back from any bytes.
 *
 * The input is meta/ID.  spool_meta_read and spool_meta_scan must agree
 * and leave every string of struct spool_meta terminated; spool_meta_field
 * runs on each line with the keys the library asks for and with small
 * output buffers.  The input cut at its first NUL (and at 400 bytes) is
 * also a value: escaped by spool_escape it is one line with no control
 * byte, and spool_meta_field gives it back unchanged, with the fields
 * around it still found.
 */
#include "fuzz.h"

static const char *const keys[] = {
	"by", "status", "error", "lease", "attempt", "reason", "note", "a",
};

static void
fz_terminated(const struct spool_meta *m)
{
	if (!memchr(m->owner, '\0', sizeof(m->owner)) ||
	    !memchr(m->error, '\0', sizeof(m->error)) ||
	    !memchr(m->status, '\0', sizeof(m->status)))
		fz_fail("a field of struct spool_meta is not terminated");
	if (m->attempts < 0)
		fz_fail("attempts %d", m->attempts);
}

static void
fz_fields(const char *text)
{
	char out[64], tiny[2];
	const char *p;
	size_t i;

	for (p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 :
	    NULL)
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			if (spool_meta_field(p, keys[i], out, sizeof(out)) &&
			    !memchr(out, '\0', sizeof(out)))
				fz_fail("field %s not terminated", keys[i]);
			spool_meta_field(p, keys[i], tiny, sizeof(tiny));
		}
}

static void
fz_roundtrip(const uint8_t *data, size_t size)
{
	char *s = fz_str(data, size, 400), esc[2048], line[2300], out[512];
	const char *p;

	spool_escape(s, esc, sizeof(esc));
	for (p = esc; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			fz_fail("raw control byte 0x%02x in %s", *p, esc);
	snprintf(line, sizeof(line), "2026-11-28T10:00:00.123Z retry a=1 "
	    "key=%s b=2\n", esc);
	if (!spool_meta_field(line, "key", out, sizeof(out)))
		fz_fail("key not found in %s", line);
	if (strcmp(out, s) != 0)
		fz_fail("escaped value came back as \"%s\" from %s", out, line);
	if (!spool_meta_field(line, "a", out, sizeof(out)) ||
	    strcmp(out, "1") != 0 ||
	    !spool_meta_field(line, "b", out, sizeof(out)) ||
	    strcmp(out, "2") != 0)
		fz_fail("a field next to %s was lost", esc);
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spool *sp = fz_spool();
	struct spool_meta m, m2;
	char *text, *hist;
	size_t len;

	fz_roundtrip(data, size);
	text = fz_str(data, size, size);
	spool_meta_scan(text, size, &m);
	fz_terminated(&m);
	fz_fields(text);
	fz_put(SPOOL_META, "job", data, size);
	if (spool_meta_read(sp, "job", &m2) < 0)
		fz_fail("spool_meta_read: %s", strerror(errno));
	fz_terminated(&m2);
	if (memcmp(&m, &m2, sizeof(m)) != 0 &&
	    (m.attempts != m2.attempts || m.last_time != m2.last_time ||
	    strcmp(m.owner, m2.owner) || strcmp(m.error, m2.error) ||
	    strcmp(m.status, m2.status) || m.cancelled != m2.cancelled))
		fz_fail("spool_meta_read and spool_meta_scan disagree");
	if ((hist = spool_meta_history(sp, "job", &len)) == NULL ||
	    len != size || memcmp(hist, data, size) != 0)
		fz_fail("history not read back whole");
	free(hist);
	free(text);
	return 0;
}
