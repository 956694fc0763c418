/*
 * spooladmin - administer a spool: init; requeue, cancel, hold, release
 * and purge jobs; recover the jobs of dead consumers; check the spool.
 *
 * Every move goes through spool_job_act, which checks the transition table,
 * records the action in the job's history with who did it, and looks again
 * when a daemon moved the job meanwhile; so a requeue racing a claim, or a
 * cancel racing a completion, leaves each job in exactly one state, and the
 * loser is told what happened.  All IDs are checked before anything moves;
 * counts of what was done go to stderr, --dry-run says what would be done.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"

static const char usage[] =
    "spooladmin [-d DIR] [-c FILE] init [DIR]\n"
    "       spooladmin [-d DIR] [-c FILE] requeue [-nv] ID ... | - | --dead | --done\n"
    "       spooladmin [-d DIR] [-c FILE] cancel | hold | release [-nv] ID ... | -\n"
    "       spooladmin [-d DIR] [-c FILE] purge [-nv] done | dead [--older-than AGE]\n"
    "       spooladmin [-d DIR] [-c FILE] recover [-n] [--tmp-age AGE]\n"
    "       spooladmin [-d DIR] [-c FILE] check [-n] [--repair] [--tmp-age AGE]";

static const struct verb {
	const char *name;
	enum spool_action action;
	const char *done;	/* past tense, for the counts */
} verbs[] = {
	{ "requeue", SPOOL_REQUEUE, "requeued" },
	{ "cancel", SPOOL_CANCEL, "cancelled" },
	{ "hold", SPOOL_HOLD, "held" },
	{ "release", SPOOL_RELEASE, "released" },
	{ "purge", SPOOL_PURGE, "purged" },
};

struct opts {
	int dry, verbose, repair;
	int dead, done;		/* requeue --dead, --done */
	int64_t older;		/* purge --older-than; -1: all */
	int64_t tmp_age;
	int purge_state;
	struct ids ids;
	int stdin_read;
};

struct tally {
	long acted, missing, refused, failed, skipped;
	int rc;			/* first failure's exit code, 66 wins */
};

/* The state an action leads to (-1: removed). */
static int
target_of(enum spool_action a)
{
	int st, to;

	for (st = 0; st < SPOOL_NSTATES; st++)
		if ((to = spool_action_target(a, st)) >= 0)
			return to == SPOOL_NSTATES ? -1 : to;
	return -1;
}

static void
fail(struct tally *t, int code)
{
	if (code == EX_NOINPUT)
		t->rc = EX_NOINPUT;	/* the contract's code for unknown IDs */
	else if (t->rc == 0)
		t->rc = code;
}

/* Why an action was refused, in words. */
static void
refused(const struct verb *v, const char *id, int from, struct tally *t)
{
	fprintf(stderr, "%s: cannot %s ", cli_prog, v->name);
	out_id(stderr, id);
	if (from == target_of(v->action))
		fprintf(stderr, ": it is %s already\n", spool_state_name(from));
	else if (from == SPOOL_RUNNING && v->action == SPOOL_HOLD)
		fprintf(stderr, ": it is running (cancel it, or hold it once it "
		    "is back in the queue)\n");
	else
		fprintf(stderr, ": it is %s\n", spool_state_name(from));
	t->refused++;
	fail(t, EX_DATAERR);
}

/*
 * A job taken from a listing (requeue --dead, purge done) that has left the
 * listed state since: another admin or a consumer moved it, and acting on
 * it now would do what nobody asked (requeue a job that is done by now, so
 * that it runs twice).  spool_job_act refuses it (its want); skipped, and
 * said so.
 */
static void
skipped(const struct verb *v, const char *id, int want, int now,
    struct tally *t)
{
	fprintf(stderr, "%s: skipped ", cli_prog);
	out_id(stderr, id);
	if (now < 0)
		fprintf(stderr, ": gone from %s/ meanwhile\n", spool_state_dir(want));
	else
		fprintf(stderr, ": left %s/ meanwhile, now %s: not %s\n",
		    spool_state_dir(want), spool_state_name(now), v->done);
	t->skipped++;
}

static void
act_one(struct spool *sp, const struct verb *v, const char *id, int want,
    const struct opts *o, struct tally *t)
{
	int from, e;

	if (o->dry) {
		from = spool_job_find(sp, id);
		if (want >= 0 && from != want) {
			skipped(v, id, want, from, t);
			return;
		}
		if (from >= 0 && spool_action_target(v->action, from) < 0) {
			refused(v, id, from, t);
			return;
		}
		if (from >= 0) {
			printf("would %s ", v->name);
			out_id(stdout, id);
			printf(" (%s)\n", spool_state_name(from));
			t->acted++;
			return;
		}
	} else if (spool_job_act(sp, id, v->action, want, admin_by(), NULL,
	    &from) == 0) {
		if (o->verbose) {
			printf("%s ", v->done);
			out_id(stdout, id);
			printf(" (was %s)\n", spool_state_name(from));
		}
		t->acted++;
		return;
	} else if (errno == EALREADY && want >= 0) {
		skipped(v, id, want, from, t);
		return;
	} else if (errno == EINVAL && from >= 0) {
		refused(v, id, from, t);
		return;
	} else if (errno == EALREADY) {
		fprintf(stderr, "%s: cannot %s ", cli_prog, v->name);
		out_id(stderr, id);
		fprintf(stderr, ": another operator moved it first (now %s)\n",
		    from >= 0 ? spool_state_name(from) : "gone");
		t->refused++;
		fail(t, EX_DATAERR);
		return;
	}
	e = errno;
	fprintf(stderr, "%s: ", cli_prog);
	if (e == ENOENT) {
		out_id(stderr, id);
		fprintf(stderr, ": no such job\n");
		t->missing++;
	} else {
		fprintf(stderr, "cannot %s ", v->name);
		out_id(stderr, id);
		fprintf(stderr, ": %s\n", e == EAGAIN ?
		    "it kept moving under us; try again" : strerror(e));
		t->failed++;
	}
	fail(t, cli_exit_code(e));
}

/* purge: the jobs of the state, those that entered it over AGE ago (the
 * ctime: a rename into done/ or dead/ sets it). */
static void
purge_list(struct spool *sp, struct opts *o)
{
	struct spool_job_info ji;
	struct ids all = { 0 };
	int64_t now = spool_now();
	size_t i;

	if (o->older < 0) {
		ids_state(&o->ids, sp, o->purge_state);
		return;
	}
	ids_state(&all, sp, o->purge_state);
	for (i = 0; i < all.n; i++)
		if (spool_job_info(sp, o->purge_state, all.v[i], SPOOL_INFO_STAT,
		    &ji) == 0 && now - ji.changed >= o->older)
			ids_add_in(&o->ids, all.v[i], o->purge_state);
	ids_free(&all);
}

#define BATCH 256	/* moves whose directory syncs are shared */

static int
act(struct spool *sp, const struct verb *v, struct opts *o)
{
	struct tally t = { 0 };
	size_t i;

	if (o->dead)
		ids_state(&o->ids, sp, SPOOL_DEAD);
	if (o->done)
		ids_state(&o->ids, sp, SPOOL_DONE);
	if (v->action == SPOOL_PURGE)
		purge_list(sp, o);
	for (i = 0; i < o->ids.n; i++) {
		if (i % BATCH == 0)
			spool_batch_begin(sp);
		act_one(sp, v, o->ids.v[i], o->ids.want[i], o, &t);
		if ((i + 1) % BATCH == 0 || i + 1 == o->ids.n) {
			if (spool_batch_commit(sp) < 0)
				cli_die_errno("unable to sync %s", spool_path(sp));
		}
	}
	if (fflush(stdout) != 0)
		cli_die_errno("unable to write");
	fprintf(stderr, "%s: %s%s %ld of %zu job(s)", cli_prog,
	    o->dry ? "would have " : "", v->done, t.acted, o->ids.n);
	if (t.missing)
		fprintf(stderr, ", %ld not found", t.missing);
	if (t.refused)
		fprintf(stderr, ", %ld refused", t.refused);
	if (t.failed)
		fprintf(stderr, ", %ld failed", t.failed);
	if (t.skipped)
		fprintf(stderr, ", %ld skipped: moved meanwhile", t.skipped);
	fputc('\n', stderr);
	return t.rc;
}

/* -n, -v, or both in one word. */
static int
short_flags(const char *a, struct opts *o)
{
	const char *p;

	if (a[0] != '-' || a[1] == '-' || !a[1])
		return 0;
	for (p = a + 1; *p; p++)
		if (*p != 'n' && *p != 'v')
			return 0;
	for (p = a + 1; *p; p++)
		*(*p == 'n' ? &o->dry : &o->verbose) = 1;
	return 1;
}

/* The verb's arguments; -d and -c may come among them too. */
static void
parse(int argc, char **argv, const char *verb, struct opts *o,
    const char **dir, const char **conf)
{
	int i, opts = 1, purge = strcmp(verb, "purge") == 0;
	int ids = !purge && strcmp(verb, "recover") != 0 &&
	    strcmp(verb, "check") != 0;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (a == NULL)
			break;	/* never (i < argc); tells the analyzers so */
		if (opts && strcmp(a, "--") == 0)
			opts = 0;
		else if (opts && short_flags(a, o))
			;
		else if (opts && v && strcmp(a, "-d") == 0)
			*dir = argv[++i];
		else if (opts && v && strcmp(a, "-c") == 0)
			*conf = argv[++i];
		else if (opts && strcmp(a, "--dry-run") == 0)
			o->dry = 1;
		else if (opts && strcmp(a, "--verbose") == 0)
			o->verbose = 1;
		else if (opts && strcmp(verb, "check") == 0 &&
		    strcmp(a, "--repair") == 0)
			o->repair = 1;
		else if (opts && strcmp(verb, "requeue") == 0 &&
		    (strcmp(a, "--dead") == 0 || strcmp(a, "--done") == 0))
			*(strcmp(a, "--dead") == 0 ? &o->dead : &o->done) = 1;
		else if (opts && purge && v && strcmp(a, "--older-than") == 0)
			o->older = cli_duration(a, argv[++i]);
		else if (opts && !ids && !purge && v && strcmp(a, "--tmp-age") == 0)
			o->tmp_age = cli_duration(a, argv[++i]);
		else if (opts && a[0] == '-' && a[1] && (a[1] != '-' || a[2]))
			cli_usage(usage);
		else if (purge && o->purge_state < 0) {
			o->purge_state = spool_state_parse(a);
			if (o->purge_state != SPOOL_DONE && o->purge_state != SPOOL_DEAD)
				cli_die(EX_USAGE, "purge: done or dead, not \"%s\"", a);
		} else if (ids && opts && strcmp(a, "-") == 0) {
			if (!o->stdin_read++)
				ids_read(&o->ids, stdin);
		} else if (ids)
			ids_add(&o->ids, a);
		else
			cli_usage(usage);
	}
	if (purge && o->purge_state < 0)
		cli_usage(usage);
	if (ids && o->ids.n == 0 && !o->ids.bad && !o->dead && !o->done &&
	    !o->stdin_read)
		cli_usage(usage);
	/* A hostile ID refuses the whole call, before anything moves. */
	if (o->ids.bad)
		cli_die(EX_DATAERR, "%d invalid ID(s): nothing done", o->ids.bad);
}

static int
init(int argc, char **argv, const char *dir, const struct spool_config *cf)
{
	if (argc > 1)
		cli_usage(usage);
	dir = cli_spool_dir(argc == 1 ? argv[0] : dir, cf);
	if (spool_init(dir) < 0)
		cli_die_errno("unable to create spool %s", dir);
	return 0;
}

int
main(int argc, char **argv)
{
	struct spool_config cf;
	struct opts o = { .older = -1, .tmp_age = TMP_AGE, .purge_state = -1 };
	const char *dir = NULL, *conf = NULL, *verb;
	const struct verb *v = NULL;
	struct spool *sp;
	size_t k;
	int i, rc;

	cli_prog = "spooladmin";
	spool_config_defaults(&cf);
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (cli_common(argv[i], usage))
			return 0;
		if (i + 1 >= argc)
			cli_usage(usage);
		if (strcmp(argv[i], "-d") == 0)
			dir = argv[++i];
		else if (strcmp(argv[i], "-c") == 0)
			conf = argv[++i];
		else
			cli_usage(usage);
	}
	if (i >= argc)
		cli_usage(usage);
	verb = argv[i++];
	if (strcmp(verb, "init") == 0) {
		if (conf)
			cli_config_load(&cf, conf);
		return init(argc - i, argv + i, dir, &cf);
	}
	for (k = 0; k < sizeof(verbs) / sizeof(verbs[0]); k++)
		if (strcmp(verb, verbs[k].name) == 0)
			v = &verbs[k];
	if (v == NULL && strcmp(verb, "recover") != 0 &&
	    strcmp(verb, "check") != 0)
		cli_usage(usage);
	parse(argc - i, argv + i, verb, &o, &dir, &conf);
	if (conf)
		cli_config_load(&cf, conf);
	sp = cli_spool_open(cli_spool_dir(dir, &cf), cf.durable ? 0 : SPOOL_NOSYNC);
	if (strcmp(verb, "recover") == 0)
		rc = admin_recover(sp, o.dry, o.tmp_age);
	else if (strcmp(verb, "check") == 0)
		rc = admin_check(sp, o.repair, o.dry, o.tmp_age);
	else
		rc = act(sp, v, &o);
	ids_free(&o.ids);
	spool_close(sp);
	spool_config_free(&cf);
	return rc;
}
