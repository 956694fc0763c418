/*
 * stat_watch.c - spoolstat --watch: a live view of the spool.  Counts per
 * state, rates of jobs done, failed and dead per second (from the counters
 * in run/counters, so they are exact whatever inotify drops), the
 * consumers, and the running jobs with their holders.
 *
 * Redraws are driven by inotify: a thread owns libinotifytools (which only
 * reads by blocking, and keeps its descriptor to itself) and pokes a pipe
 * that the main loop polls with the terminal and a signalfd.  A burst of
 * changes makes one redraw; a redraw is never sooner than twice the time
 * the last one took, so a huge spool cannot keep us counting.  Each frame
 * is one write: cursor home, every line cleared to its end, the rest of
 * the screen cleared, on the alternate screen: no flicker, and the
 * terminal comes back as it was on q, Ctrl-C, SIGTERM or an error.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include <inotifytools/inotify.h>
#include <inotifytools/inotifytools.h>

#include "stat.h"

#define MIN_GAP	100	/* ms between two redraws, at least */

static struct {
	int tty;		/* stdout is a terminal: full-screen view */
	int raw;		/* stdin's settings changed */
	struct termios saved;
	int pipe[2];		/* the inotify thread -> the loop */
	int pending;		/* a poke is in the pipe */
} w = { .pipe = { -1, -1 } };

static void
restore(void)
{
	static const char leave[] = "\033[?25h\033[?1049l";

	if (w.tty && write(STDOUT_FILENO, leave, sizeof(leave) - 1) < 0)
		w.tty = 0;
	if (w.raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &w.saved);
	w.tty = w.raw = 0;
}

static void
terminal_setup(void)
{
	static const char enter[] = "\033[?1049h\033[?25l";
	struct termios t;

	w.tty = isatty(STDOUT_FILENO);
	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &w.saved) == 0) {
		t = w.saved;
		/* Keys one at a time, not echoed; Ctrl-C still signals. */
		t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		t.c_cc[VMIN] = 0;
		t.c_cc[VTIME] = 0;
		w.raw = tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0;
	}
	atexit(restore);
	if (w.tty && write(STDOUT_FILENO, enter, sizeof(enter) - 1) < 0)
		cli_die_errno("unable to write to the terminal");
}

static void *
forward(void *arg)
{
	(void)arg;
	for (;;) {
		if (inotifytools_next_event(-1) == NULL)
			continue;
		if (!__atomic_exchange_n(&w.pending, 1, __ATOMIC_ACQ_REL) &&
		    write(w.pipe[1], "", 1) < 0)
			__atomic_store_n(&w.pending, 0, __ATOMIC_RELEASE);
	}
	return NULL;
}

/* Watch the job directories; 0, or -1 when only the timer can drive us. */
static int
watch_start(struct spool *sp)
{
	char path[4096];
	pthread_t t;
	int st;

	if (!inotifytools_initialize() ||
	    pipe2(w.pipe, O_NONBLOCK | O_CLOEXEC) < 0)
		return -1;
	for (st = 0; st < SPOOL_TMP; st++) {
		snprintf(path, sizeof(path), "%s/%s", spool_path(sp),
		    spool_state_dir(st));
		if (!inotifytools_watch_file(path, IN_MOVED_TO | IN_MOVED_FROM |
		    IN_CREATE | IN_DELETE | IN_CLOSE_WRITE))
			return -1;
	}
	/* Signals stay blocked in the thread: they belong to the signalfd. */
	if (pthread_create(&t, NULL, forward, NULL) != 0)
		return -1;
	pthread_detach(t);
	return 0;
}

struct view {
	struct spool *sp;
	int64_t interval;
	int polling;		/* no inotify: the timer alone */
	int rows, cols, left;	/* screen size; lines left in this frame */
	uint64_t prev[SPOOL_NACTIONS];
	int64_t prev_at;	/* mono ms of prev; 0: none yet */
	double rate[4];		/* done, failed, dead, submitted per second */
	FILE *f;		/* the frame being built */
};

/* One line of the frame, cut to the screen's width (UTF-8 aware). */
static void __attribute__((format(printf, 2, 3)))
line(struct view *v, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int cols = 0;
	size_t i;

	if (v->left == 0)
		return;
	va_start(ap, fmt);
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): false positive of clang 14, va_start is just above */
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (i = 0; buf[i]; i++)
		if (((unsigned char)buf[i] & 0xc0) != 0x80 && ++cols > v->cols)
			break;
	buf[i] = '\0';
	fputs(buf, v->f);
	fputs(w.tty ? "\033[K\r\n" : "\n", v->f);
	v->left--;
}

/* A name in its escaped form, for line(). */
static const char *
esc(const char *s, char *buf, size_t size)
{
	FILE *m = fmemopen(buf, size, "w");

	if (m == NULL)
		return "?";
	out_name(m, s);
	if (fclose(m) != 0)
		buf[size - 1] = '\0';
	return buf;
}

/* Rates over the last interval: updated once per interval, so that the
 * redraws inotify asks for in between show the same figures. */
static void
rates(struct view *v)
{
	uint64_t c[SPOOL_NACTIONS];
	int64_t now = spool_mono();
	double dt;

	if (spool_counters(v->sp, c) < 0)
		return;
	if (v->prev_at && now - v->prev_at < v->interval)
		return;
	if (v->prev_at && (dt = (double)(now - v->prev_at) / 1000) > 0) {
		v->rate[0] = (double)(c[SPOOL_COMPLETE] - v->prev[SPOOL_COMPLETE]) / dt;
		v->rate[1] = (double)(c[SPOOL_RETRY] + c[SPOOL_BURY] -
		    v->prev[SPOOL_RETRY] - v->prev[SPOOL_BURY]) / dt;
		v->rate[2] = (double)(c[SPOOL_BURY] + c[SPOOL_CANCEL] -
		    v->prev[SPOOL_BURY] - v->prev[SPOOL_CANCEL]) / dt;
		v->rate[3] = (double)(c[SPOOL_SUBMIT] + c[SPOOL_DEFER] -
		    v->prev[SPOOL_SUBMIT] - v->prev[SPOOL_DEFER]) / dt;
	}
	memcpy(v->prev, c, sizeof(c));
	v->prev_at = now;
}

static void
draw_running(struct view *v, int64_t now)
{
	struct spool_job_info ji;
	struct owners o;
	char **names, obuf[SPOOL_OWNER_MAX + 16], a[32], e[1100], eo[600];
	const char *owner;
	size_t n, i;

	if (spool_names_sorted(v->sp, SPOOL_RUNNING, &names, &n) < 0)
		return;
	if (owners_load(v->sp, &o) < 0)
		memset(&o, 0, sizeof(o));
	line(v, "%-44s %-26s %8s", "RUNNING", "HOLDER", "FOR");
	for (i = 0; i < n; i++) {
		if (v->left == 1 && i + 1 < n) {
			line(v, "... and %zu more", n - i);
			break;
		}
		if (spool_job_info(v->sp, SPOOL_RUNNING, names[i],
		    SPOOL_INFO_STAT, &ji) < 0)
			continue;
		owner = owners_get(&o, names[i], obuf, sizeof(obuf));
		line(v, "%-44s %-26s %8s", esc(names[i], e, sizeof(e)),
		    owner ? esc(owner, eo, sizeof(eo)) : "-",
		    out_age(now - ji.changed, a, sizeof(a)));
	}
	owners_free(&o);
	spool_names_sorted_free(names, n);
}

static void
draw(struct view *v)
{
	static const char *const rate_name[] = { "done", "failed", "dead",
	    "submitted" };
	long cnt[SPOOL_NSTATES];
	char ts[32], a[32], id[SPOOL_ID_MAX + 1], e[1100];
	int64_t now = spool_now(), oldest;
	int st, has, nli, alive = 0, i;
	char *frame = NULL;
	size_t len = 0;
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0) {
		v->rows = ws.ws_row;
		v->cols = ws.ws_col;
	}
	for (st = 0; st < SPOOL_NSTATES; st++)
		if ((cnt[st] = st == SPOOL_QUEUED ? spool_oldest(v->sp, st, id,
		    &oldest) : spool_list(v->sp, st, NULL, NULL)) < 0)
			cli_die_errno("unable to read %s/%s", spool_path(v->sp),
			    spool_state_dir(st));
	has = cnt[SPOOL_QUEUED] > 0;
	rates(v);
	nli = spool_lease_list(v->sp, NULL, 0);
	if ((v->f = open_memstream(&frame, &len)) == NULL)
		cli_die_errno("unable to allocate");
	v->left = w.tty ? v->rows - 1 : 1000;
	fputs(w.tty ? "\033[H" : "", v->f);
	line(v, "spool %s  %s  every %s%s%s", esc(spool_path(v->sp), e, sizeof(e)),
	    spool_time_format(now, ts, sizeof(ts)), out_age(v->interval, a,
	    sizeof(a)), v->polling ? " (polling)" : "", w.tty ? "  q: quit" : "");
	line(v, "%s", "");
	for (st = 0; st < SPOOL_TMP; st++) {
		char extra[600] = "";
		if (st == SPOOL_QUEUED && has > 0)
			snprintf(extra, sizeof(extra), "oldest %s",
			    out_age(now - oldest, a, sizeof(a)));
		for (i = 0; i < 3; i++)
			if ((st == SPOOL_DONE && i == 0) || (st == SPOOL_DEAD && i == 2))
				snprintf(extra, sizeof(extra), "%8.1f/s", v->rate[i]);
		line(v, "%-10s %10ld  %s", spool_state_name(st), cnt[st], extra);
	}
	line(v, "%-10s %10s  %8.1f/s  (retries and dead)", rate_name[1], "",
	    v->rate[1]);
	line(v, "%-10s %10s  %8.1f/s", rate_name[3], "", v->rate[3]);
	if (nli > 0) {
		struct spool_lease_info *li = calloc((size_t)nli, sizeof(*li));
		int got = li ? spool_lease_list(v->sp, li, nli) : 0;
		for (i = 0; i < got && i < nli; i++)
			alive += li[i].alive && !li[i].expired;
		free(li);
	}
	line(v, "%s", "");
	line(v, "consumers: %d alive, %d lease(s)", alive, nli < 0 ? 0 : nli);
	line(v, "%s", "");
	draw_running(v, now);
	fputs(w.tty ? "\033[J" : "\n", v->f);
	if (fclose(v->f) != 0)
		cli_die_errno("unable to allocate");
	if (write(STDOUT_FILENO, frame, len) < 0 && errno != EINTR)
		cli_die_errno("unable to write the view");
	free(frame);
}

/* 1: the user asked to quit. */
static int
on_key(void)
{
	char c[64];
	ssize_t n, i;

	if ((n = read(STDIN_FILENO, c, sizeof(c))) <= 0)
		return n == 0 && !w.raw;	/* end of a non-terminal stdin */
	for (i = 0; i < n; i++)
		if (c[i] == 'q' || c[i] == 'Q' || c[i] == 3 || c[i] == 4)
			return 1;
	return 0;
}

int
stat_watch(struct spool *sp, int64_t interval)
{
	struct view v = { .sp = sp, .interval = interval, .rows = 24, .cols = 80 };
	struct signalfd_siginfo si;
	struct pollfd pfd[3];
	int64_t now, last = 0, cost = 0, next = 0;
	sigset_t mask;
	int sigfd, quit = 0;
	char drain[64];

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGQUIT);
	sigaddset(&mask, SIGWINCH);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	if ((sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) < 0)
		cli_die_errno("unable to create a signalfd");
	v.polling = watch_start(sp) < 0;
	terminal_setup();
	while (!quit) {
		now = spool_mono();
		if (now >= next) {
			draw(&v);
			last = spool_mono();
			cost = last - now;
			next = now + interval;
		}
		pfd[0] = (struct pollfd){ .fd = sigfd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = w.raw ? STDIN_FILENO : -1,
		    .events = POLLIN };
		pfd[2] = (struct pollfd){ .fd = w.tty ? w.pipe[0] : -1,
		    .events = POLLIN };
		now = spool_mono();
		if (poll(pfd, 3, next > now ? (int)(next - now) : 0) < 0 &&
		    errno != EINTR)
			cli_die_errno("unable to poll");
		while (read(sigfd, &si, sizeof(si)) == sizeof(si))
			if (si.ssi_signo == SIGWINCH)
				next = 0;
			else
				quit = 1;
		if (pfd[1].revents && on_key())
			quit = 1;
		if (pfd[2].revents & POLLIN) {
			while (read(w.pipe[0], drain, sizeof(drain)) > 0)
				;
			__atomic_store_n(&w.pending, 0, __ATOMIC_RELEASE);
			/* Soon, but not sooner than the last frame's cost allows. */
			now = last + (2 * cost > MIN_GAP ? 2 * cost : MIN_GAP);
			if (now < next)
				next = now;
		}
	}
	restore();
	close(sigfd);
	return 0;
}
