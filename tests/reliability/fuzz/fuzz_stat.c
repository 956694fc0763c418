/*
 * fuzz_stat.c - what spoolstat prints of things read off the disk: the
 * supervisor's run/supervise.state (stat_info.c) and any name
 * (stat_out.c).
 *
 * The input is run/supervise.state: the table spoolstat prints of it
 * holds no control byte but newlines (nothing in the file can drive the
 * terminal), and its JSON form is JSON.  The input cut at its first NUL
 * is also a job name: out_name and out_name_padded print it without a
 * control byte, in as many columns as out_name_width says, and out_json
 * prints a JSON string.
 */
#include "fuzz.h"
#include "stat.h"

static FILE *
fz_capture(char **buf, size_t *len)
{
	FILE *f;

	*buf = NULL;
	if ((f = open_memstream(buf, len)) == NULL)
		abort();
	return f;
}

/* Characters printed: bytes that do not continue a UTF-8 sequence. */
static int
fz_columns(const char *s, size_t len)
{
	int n = 0;

	while (len-- > 0)
		n += ((unsigned char)*s++ & 0xc0) != 0x80;
	return n;
}

static void
fz_names(const uint8_t *data, size_t size)
{
	char *s = fz_str(data, size, 400), *buf = NULL;
	size_t len;
	FILE *f;

	f = open_memstream(&buf, &len);
	out_name(f, s);
	fclose(f);
	fz_check_printable("out_name", buf, len);
	if (memchr(buf, '\n', len))
		fz_fail("out_name printed a newline");
	if (fz_columns(buf, len) != out_name_width(s))
		fz_fail("out_name printed %d columns, out_name_width says %d",
		    fz_columns(buf, len), out_name_width(s));
	free(buf);
	f = open_memstream(&buf, &len);
	out_name_padded(f, s, 300);
	fclose(f);
	fz_check_printable("out_name_padded", buf, len);
	free(buf);
	f = open_memstream(&buf, &len);
	out_json(f, s);
	fclose(f);
	fz_check_json("out_json", buf);
	free(buf);
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spool *sp = fz_spool();
	char *buf;
	size_t len;
	FILE *f;

	fz_names(data, size);
	fz_put(SPOOL_RUN, "supervise.state", data, size);
	f = fz_capture(&buf, &len);
	supervisor_print(sp, f, "  ");
	fclose(f);
	fz_check_printable("spoolstat (supervisor)", buf, len);
	free(buf);
	f = fz_capture(&buf, &len);
	supervisor_json(sp, f);
	fclose(f);
	fz_check_json("spoolstat --json (supervisor)", buf);
	free(buf);
	return 0;
}
