/*
 * fuzz_id.c - job IDs and names (id.c, state.c) on any string.
 *
 * spool_id_valid must say exactly what spool.h promises (not empty, at
 * most 255 bytes, no '/', not "." or ".."), and whatever it refuses must
 * be refused by every call that makes a path of it (spool_job_find,
 * spool_job_info) before anything is looked up.  spool_id_time reads the
 * fixed-width time of a spoolsubmit ID or says -1; an ID it reads formats
 * back to the same prefix.  spool_state_parse knows the state names and
 * their directories' names, nothing else.
 */
#include "fuzz.h"

static int
fz_valid(const char *s)
{
	size_t len = strlen(s);

	return len > 0 && len <= SPOOL_ID_MAX && strchr(s, '/') == NULL &&
	    strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spool *sp = fz_spool();
	struct spool_job_info ji;
	char *s = fz_str(data, size, 600), buf[32];
	int64_t t;
	int v, st;

	v = spool_id_valid(s);
	if (v != fz_valid(s))
		fz_fail("spool_id_valid(\"%s\") = %d", s, v);
	if (!v) {
		errno = 0;
		if (spool_job_find(sp, s) >= 0 || errno == ENOENT)
			fz_fail("spool_job_find took the invalid ID \"%s\" "
			    "(errno %d)", s, errno);
		if (spool_job_info(sp, -1, s, SPOOL_INFO_STAT | SPOOL_INFO_META,
		    &ji) == 0 || errno != EINVAL)
			fz_fail("spool_job_info took the invalid ID \"%s\"", s);
	} else if (spool_job_info(sp, -1, s, SPOOL_INFO_STAT |
	    SPOOL_INFO_META, &ji) == 0)
		fz_fail("spool_job_info found \"%s\" in an empty spool", s);
	t = spool_id_time(s);
	if (t < -1)
		fz_fail("spool_id_time(\"%s\") = %lld", s, (long long)t);
	if (t >= 0) {
		snprintf(buf, sizeof(buf), "%010lld.%03lld", (long long)(t / 1000),
		    (long long)(t % 1000));
		if (strncmp(buf, s, 14) != 0)
			fz_fail("spool_id_time(\"%s\") = %lld", s, (long long)t);
	}
	st = spool_state_parse(s);
	if (st >= 0 && strcmp(spool_state_name(st), s) != 0 &&
	    strcmp(spool_state_dir(st), s) != 0)
		fz_fail("spool_state_parse(\"%s\") = %d", s, st);
	free(s);
	return 0;
}
