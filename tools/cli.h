/*
 * cli.h - what the spool programs share: messages, exit codes, logs, and
 * finding the spool (-d DIR, $SPOOL_DIR, `spool:` in -c FILE).
 *
 * Messages follow the contract: "PROGRAM: what went wrong: why" on stderr,
 * exit codes from sysexits.h.
 */
#ifndef SPOOL_CLI_H
#define SPOOL_CLI_H

#include <stdarg.h>
#include <stdint.h>
#include <sysexits.h>

#include "config.h"
#include "spool.h"

extern const char *cli_prog;

void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "PROG: MESSAGE: strerror(errno)", exit with the code errno maps to. */
void cli_die_errno(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
void cli_die(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));
void cli_usage(const char *usage) __attribute__((noreturn));	/* exit 64 */
/* For --help and --version; 1 if handled (the caller exits 0). */
int cli_common(const char *arg, const char *usage);

/* errno to sysexits: ENOSPC 75, EIO 74, ENOENT 66, EACCES 77, ... */
int cli_exit_code(int err);

/* Load -c FILE (exit 78 with FILE:LINE:COLUMN on a bad one). */
void cli_config_load(struct spool_config *cf, const char *file);
/* The spool directory: -d, else $SPOOL_DIR, else the config's; exit 64
 * when there is none. */
const char *cli_spool_dir(const char *flag, const struct spool_config *cf);
/* Open the spool or die: 66 when DIR is not a spool. */
struct spool *cli_spool_open(const char *dir, int flags);

/* A log line for daemons: "ts=... prog=... pid=... event=... key=value". */
void cli_log(const char *event, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Keep log lines until cli_log_flush (whole lines, one write each time):
 * a daemon flushes before it sleeps. */
void cli_log_buffer(void);
void cli_log_flush(void);
/* Tell systemd our state ("READY=1", "STOPPING=1") if it asked to know:
 * the sd_notify protocol on $NOTIFY_SOCKET.  Never fails loudly. */
void cli_notify(const char *state);

/* Parse a duration or a count for an option, or die with exit 64. */
int64_t cli_duration(const char *opt, const char *s);
long cli_number(const char *opt, const char *s, long min, long max);

/* s as a log value (spool_escape), in one of four rotating buffers: up to
 * four may appear in one call. */
const char *cli_esc(const char *s);

/* Print s with control characters and backslashes escaped (\n, \x1b). */
void cli_print_escaped(const char *s);

#endif
