/*
 * admin_ids.c - the IDs spooladmin acts on, and who is acting.
 *
 * An ID must be a plain file name (spool_id_valid): "../x", "a/b", an
 * empty name or one over 255 bytes would let an operator's typo (or a
 * hostile list) reach outside the job directories, so every ID of a call
 * is checked before any job moves, and one bad ID refuses the whole call.
 *
 * Stdin ("-") takes the escaped form spoolstat prints, so that a name with
 * a newline or an escape sequence in it survives `spoolstat ls -i |
 * spooladmin requeue -`.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"

void
out_id(FILE *f, const char *id)
{
	const unsigned char *p;

	for (p = (const unsigned char *)id; *p; p++) {
		if (*p == '\\')
			fputs("\\\\", f);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p == '\t')
			fputs("\\t", f);
		else if (*p < 0x20 || *p >= 0x7f)
			fprintf(f, "\\x%02x", *p);
		else
			putc(*p, f);
	}
}

static void
report_bad(const char *id, size_t len, const char *why)
{
	size_t i;

	fprintf(stderr, "%s: invalid ID \"", cli_prog);
	for (i = 0; i < len && i < 300; i++) {
		unsigned char c = (unsigned char)id[i];
		if (c < 0x20 || c >= 0x7f || c == '\\' || c == '"')
			fprintf(stderr, "\\x%02x", c);
		else
			fputc(c, stderr);
	}
	fprintf(stderr, "%s\": %s\n", len > 300 ? "..." : "", why);
}

static const char *
why_bad(const char *id)
{
	if (!*id)
		return "empty";
	if (strlen(id) > SPOOL_ID_MAX)
		return "longer than 255 bytes";
	if (strchr(id, '/'))
		return "not a plain file name (has a slash)";
	return "not a job name";
}

void
ids_add_in(struct ids *ids, const char *id, int want)
{
	signed char *w;
	char **v;
	size_t i;

	if (!spool_id_valid(id)) {
		report_bad(id, strlen(id), why_bad(id));
		ids->bad++;
		return;
	}
	/* Each job once: a second action on it would only be refused.  The
	 * lists are short when typed; long ones come from a directory, which
	 * has no duplicates, so this is a check of the last few. */
	for (i = ids->n; i > 0 && i + 64 > ids->n; i--)
		if (strcmp(ids->v[i - 1], id) == 0)
			return;
	if (ids->n == ids->cap) {
		size_t cap = ids->cap ? ids->cap * 2 : 64;
		if ((v = realloc(ids->v, cap * sizeof(*v))) == NULL)
			cli_die_errno("unable to allocate");
		ids->v = v;
		if ((w = realloc(ids->want, cap)) == NULL)
			cli_die_errno("unable to allocate");
		ids->want = w;
		ids->cap = cap;
	}
	if ((ids->v[ids->n] = strdup(id)) == NULL)
		cli_die_errno("unable to allocate");
	ids->want[ids->n] = (signed char)want;
	ids->n++;
}

void
ids_add(struct ids *ids, const char *id)
{
	ids_add_in(ids, id, -1);
}

static int
hex(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ?
	    c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Undo spoolstat's escapes in place; -1 on a bad one or a NUL. */
static int
unescape(char *s)
{
	char *r = s, *w = s;

	while (*r) {
		if (*r != '\\') {
			*w++ = *r++;
			continue;
		}
		r++;
		if (*r == '\\' || *r == 'n' || *r == 't') {
			*w++ = *r == 'n' ? '\n' : *r == 't' ? '\t' : '\\';
			r++;
		} else if (*r == 'x' && hex(r[1]) >= 0 && hex(r[2]) >= 0 &&
		    (hex(r[1]) | hex(r[2]))) {
			*w++ = (char)(hex(r[1]) * 16 + hex(r[2]));
			r += 3;
		} else
			return -1;
	}
	*w = '\0';
	return 0;
}

void
ids_read(struct ids *ids, FILE *in)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	while ((len = getline(&line, &cap, in)) > 0) {
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		if (len == 0)
			continue;
		if ((size_t)len != strlen(line)) {
			report_bad(line, (size_t)len, "holds a NUL byte");
			ids->bad++;
		} else if (unescape(line) < 0) {
			report_bad(line, (size_t)len, "bad escape (use \\\\, \\n, "
			    "\\t or \\xNN)");
			ids->bad++;
		} else
			ids_add(ids, line);
	}
	if (ferror(in))
		cli_die_errno("unable to read IDs from stdin");
	free(line);
}

void
ids_state(struct ids *ids, struct spool *sp, int st)
{
	char **names;
	size_t n, i;

	if (spool_names_sorted(sp, st, &names, &n) < 0)
		cli_die_errno("unable to read %s/%s", spool_path(sp),
		    spool_state_dir(st));
	for (i = 0; i < n; i++)
		ids_add_in(ids, names[i], st);
	spool_names_sorted_free(names, n);
}

void
ids_free(struct ids *ids)
{
	size_t i;

	for (i = 0; i < ids->n; i++)
		free(ids->v[i]);
	free(ids->v);
	free(ids->want);
	memset(ids, 0, sizeof(*ids));
}

/* Only the characters a history value may hold bare: the library writes
 * `by=` as it is. */
static void
tidy(char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' ||
		    *s == '-'))
			*s = '_';
}

const char *
admin_by(void)
{
	static char by[128];
	struct passwd *pw;
	char user[64], host[64];

	if (by[0])
		return by;
	if ((pw = getpwuid(getuid())) != NULL && pw->pw_name[0])
		snprintf(user, sizeof(user), "%s", pw->pw_name);
	else
		snprintf(user, sizeof(user), "uid%ld", (long)getuid());
	if (gethostname(host, sizeof(host)) < 0 || !host[0])
		strcpy(host, "localhost");
	host[sizeof(host) - 1] = '\0';
	host[strcspn(host, ".")] = '\0';
	tidy(user);
	tidy(host);
	snprintf(by, sizeof(by), "%s@%s", user, host);
	return by;
}
