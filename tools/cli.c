/*
 * cli.c - the front end the spool programs share (see cli.h).
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"

const char *cli_prog = "spool";

static void vwarn(const char *, va_list, const char *)
    __attribute__((format(printf, 1, 0)));

static void
vwarn(const char *fmt, va_list ap, const char *why)
{
	fprintf(stderr, "%s: ", cli_prog);
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): false positive of clang 14, every caller va_starts ap */
	vfprintf(stderr, fmt, ap);
	if (why)
		fprintf(stderr, ": %s", why);
	fputc('\n', stderr);
}

void
cli_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap, NULL);
	va_end(ap);
}

void
cli_die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap, NULL);
	va_end(ap);
	exit(code);
}

void
cli_die_errno(const char *fmt, ...)
{
	va_list ap;
	int e = errno;

	va_start(ap, fmt);
	vwarn(fmt, ap, strerror(e));
	va_end(ap);
	exit(cli_exit_code(e));
}

int
cli_exit_code(int err)
{
	switch (err) {
	case 0:
		return EX_OK;
	case ENOENT: case ENOTDIR:
		return EX_NOINPUT;
	case EACCES: case EPERM: case EROFS:
		return EX_NOPERM;
	case EEXIST:
		return EX_CANTCREAT;
	case EINVAL: case ENAMETOOLONG: case EFBIG:
		return EX_DATAERR;
	case ENOSPC: case EDQUOT: case EAGAIN: case EINTR: case ENOMEM:
	case EMFILE: case ENFILE: case EBUSY: case ETIMEDOUT:
		return EX_TEMPFAIL;
	default:
		return EX_IOERR;
	}
}

void
cli_usage(const char *usage)
{
	fprintf(stderr, "usage: %s\n", usage);
	exit(EX_USAGE);
}

int
cli_common(const char *arg, const char *usage)
{
	if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
		printf("usage: %s\n", usage);
		return 1;
	}
	if (strcmp(arg, "--version") == 0 || strcmp(arg, "-V") == 0) {
		printf("%s %s\n", cli_prog, SPOOL_VERSION);
		return 1;
	}
	return 0;
}

void
cli_config_load(struct spool_config *cf, const char *file)
{
	struct spool_config_error err;

	if (spool_config_load(cf, file, &err) == 0)
		return;
	if (err.line)
		cli_die(EX_CONFIG, "%s:%lu:%lu: %s", err.file, err.line,
		    err.column, err.msg);
	cli_die(EX_CONFIG, "%s: %s", file, err.msg[0] ? err.msg :
	    strerror(errno));
}

const char *
cli_spool_dir(const char *flag, const struct spool_config *cf)
{
	const char *env = getenv("SPOOL_DIR");

	if (flag)
		return flag;
	if (env && *env)
		return env;
	if (cf && cf->spool)
		return cf->spool;
	cli_die(EX_USAGE, "no spool: give -d DIR, SPOOL_DIR or spool: in -c FILE");
}

struct spool *
cli_spool_open(const char *dir, int flags)
{
	struct spool *sp;
	struct stat st;

	if (spool_open(&sp, dir, flags) == 0)
		return sp;
	if (errno == ENOTDIR && stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
		cli_die(EX_NOINPUT, "%s is not a spool: run 'spooladmin init %s'",
		    dir, dir);
	cli_die_errno("unable to open spool %s", dir);
}

/*
 * A daemon's log lines may wait for the end of a turn of its loop
 * (cli_log_buffer, cli_log_flush): one write(2) of whole lines, at most
 * PIPE_BUF bytes, so that it stays atomic on a shared pipe.
 */
static struct {
	int on;
	size_t len;
	char buf[PIPE_BUF];
} logbuf;

void
cli_log_flush(void)
{
	size_t off = 0;
	ssize_t n;

	while (off < logbuf.len) {
		n = write(2, logbuf.buf + off, logbuf.len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;	/* a log that cannot be written is dropped */
		off += (size_t)n;
	}
	logbuf.len = 0;
}

void
cli_log_buffer(void)
{
	fflush(stderr);
	if (!logbuf.on)
		atexit(cli_log_flush);
	logbuf.on = 1;
}

static void
log_put(const char *line, size_t n)
{
	if (!logbuf.on) {
		fwrite(line, 1, n, stderr);
		return;
	}
	if (logbuf.len + n > sizeof(logbuf.buf))
		cli_log_flush();
	if (n > sizeof(logbuf.buf)) {
		fwrite(line, 1, n, stderr);
		return;
	}
	memcpy(logbuf.buf + logbuf.len, line, n);
	logbuf.len += n;
}

/*
 * One line per event, written whole.  The line is
 * formatted first and handed to stdio in one piece: spoolsupervise's
 * children share its stderr, and an unbuffered stderr then writes each
 * line with one write(2), so that lines of several processes never mix.
 */
void
cli_log(const char *event, const char *fmt, ...)
{
	static pid_t pid;
	char line[4096], ts[32];
	va_list ap;
	int n, m;

	if (pid == 0)
		pid = getpid();
	n = snprintf(line, sizeof(line), "ts=%s prog=%s pid=%ld event=%s",
	    spool_time_format(spool_now(), ts, sizeof(ts)), cli_prog,
	    (long)pid, event);
	if (n < 0)
		return;
	if (fmt && *fmt && (size_t)n < sizeof(line) - 2) {
		line[n++] = ' ';
		va_start(ap, fmt);
		/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): false positive of clang 14, va_start is just above */
		m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
		va_end(ap);
		if (m > 0)
			n += m;
	}
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;	/* cut, but still a line */
	line[n++] = '\n';
	log_put(line, (size_t)n);
}

/* The sd_notify(3) protocol without libsystemd: one datagram to the unix
 * socket named by $NOTIFY_SOCKET, abstract when it starts with '@'.  Not
 * run by systemd (no variable) or not listening: nothing to do. */
void
cli_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;
	size_t len;
	int fd;

	if (path == NULL || (path[0] != '/' && path[0] != '@'))
		return;
	if ((len = strlen(path)) >= sizeof(sa.sun_path))
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, len);
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return;
	(void)sendto(fd, state, strlen(state), MSG_NOSIGNAL,
	    (struct sockaddr *)&sa,
	    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len));
	close(fd);
}

int64_t
cli_duration(const char *opt, const char *s)
{
	int64_t ms;

	if (spool_duration_parse(s, &ms) < 0)
		cli_die(EX_USAGE, "%s: bad duration \"%s\" (try 250ms, 2s, 5m, 1h, 7d)",
		    opt, s);
	return ms;
}

long
cli_number(const char *opt, const char *s, long min, long max)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (errno || end == s || *end || n < min || n > max)
		cli_die(EX_USAGE, "%s: expected a number from %ld to %ld, got \"%s\"",
		    opt, min, max, s);
	return n;
}

const char *
cli_esc(const char *s)
{
	static char buf[4][1024];
	static int i;

	i = (i + 1) % 4;
	return spool_escape(s, buf[i], sizeof(buf[i]));
}

void
cli_print_escaped(const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p; p++) {
		if (*p == '\\')
			fputs("\\\\", stdout);
		else if (*p == '\n')
			fputs("\\n", stdout);
		else if (*p == '\t')
			fputs("\\t", stdout);
		else if (*p < 0x20 || *p == 0x7f)
			printf("\\x%02x", *p);
		else
			putchar(*p);
	}
}
