/*
 * fuzz_config.c - the spool.yaml loader (config.c) on any bytes.
 *
 * The input is the file, handed to spool_config_load through a memfd
 * (/proc/self/fd/N): the real entry point, no refactoring.  Properties:
 * a refused file has a message and leaves the defaults as they were; an
 * accepted one prints (spool_config_print) as YAML that loads again into
 * the same settings (print, load, print gives the same text).  The first
 * line of the input is also a duration: what parses formats back to a
 * duration that parses to the same value.
 */
#include <sys/mman.h>

#include "config.h"
#include "fuzz.h"

static int
fz_memfd(const char *name)
{
	int fd = memfd_create(name, MFD_CLOEXEC);

	if (fd < 0)
		abort();
	return fd;
}

static void
fz_fill(int fd, const void *data, size_t size)
{
	if (ftruncate(fd, 0) < 0 || (size && pwrite(fd, data, size, 0) !=
	    (ssize_t)size))
		abort();
}

static char *
fz_print(const struct spool_config *cf, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (f == NULL || spool_config_print(cf, f) < 0 || fclose(f) != 0)
		abort();
	return buf;
}

static void
fz_durations(const uint8_t *data, size_t size)
{
	char *s = fz_str(data, size, 64), buf[64];
	int64_t ms, again;

	s[strcspn(s, "\n")] = '\0';
	if (spool_duration_parse(s, &ms) == 0) {
		if (ms < 0)
			fz_fail("duration \"%s\" is negative: %lld", s,
			    (long long)ms);
		if (spool_duration_format(ms, buf, sizeof(buf)) == NULL)
			fz_fail("duration %lld does not format", (long long)ms);
		if (spool_duration_parse(buf, &again) < 0 || again != ms)
			fz_fail("duration \"%s\" = %lld prints as \"%s\"", s,
			    (long long)ms, buf);
	}
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int in = -1, out = -1;
	struct spool_config cf, again, pristine;
	struct spool_config_error err;
	char path[64], *text, *text2, *dtext;
	size_t len, len2, dlen;

	if (in < 0) {
		in = fz_memfd("fuzz-config");
		out = fz_memfd("fuzz-config-printed");
	}
	fz_durations(data, size);
	fz_fill(in, data, size);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", in);
	spool_config_defaults(&cf);
	spool_config_defaults(&pristine);
	if (spool_config_load(&cf, path, &err) < 0) {
		if (err.msg[0] == '\0')
			fz_fail("refused without a message");
		if (memchr(err.msg, '\0', sizeof(err.msg)) == NULL)
			fz_fail("message not terminated");
		/* A bad file changes nothing. */
		text = fz_print(&cf, &len);
		dtext = fz_print(&pristine, &dlen);
		if (len != dlen || memcmp(text, dtext, len) != 0)
			fz_fail("a refused file changed the settings:\n%s", text);
		free(text);
		free(dtext);
		spool_config_free(&cf);
		spool_config_free(&pristine);
		return 0;
	}
	spool_config_free(&pristine);
	/* Accepted: what we print loads back to the same settings. */
	text = fz_print(&cf, &len);
	fz_fill(out, text, len);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", out);
	spool_config_defaults(&again);
	if (spool_config_load(&again, path, &err) < 0)
		fz_fail("printed settings refused: %lu:%lu: %s\n%s", err.line,
		    err.column, err.msg, text);
	text2 = fz_print(&again, &len2);
	if (len != len2 || memcmp(text, text2, len) != 0)
		fz_fail("settings changed by a round trip:\n%s\n---\n%s", text,
		    text2);
	free(text);
	free(text2);
	spool_config_free(&cf);
	spool_config_free(&again);
	return 0;
}
