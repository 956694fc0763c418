/*
 * faultrun.h - the driver of the fault-injection tests (test_fault_*.c).
 *
 * An operation is a case: prepare a fresh fixture, run the operation once,
 * check what it left, finish (the same operation once the fault is
 * cleared, which must succeed), clean up.  fault_drive runs it clean and
 * counts its calls at the seam; then, for each kind of call, each call N
 * and each fault that applies (EIO and ENOSPC to all; a short count and
 * EINTR to read, write and pwrite, which must be resumed), it runs it
 * again with the Nth call failing, and lets the case check its invariants.
 * Descriptors open before prepare must be the same after clean up.
 */
#ifndef SPOOL_FAULTRUN_H
#define SPOOL_FAULTRUN_H

#include "testutil.h"
#include "fault.h"

#define FR_RW ((1u << FAULT_READ) | (1u << FAULT_WRITE) | (1u << FAULT_PWRITE))
#define FR_ALL ((1u << FAULT_NOPS) - 1)

struct fr_kind {
	int err;		/* 0: a short count */
	const char *name;
	unsigned ops;		/* the calls it applies to */
	int resumed;		/* the library must resume: success expected */
};

static const struct fr_kind fr_kinds[] = {
	{ EIO, "EIO", FR_ALL, 0 },
	{ ENOSPC, "ENOSPC", FR_ALL, 0 },
	{ 0, "short", FR_RW, 1 },
	{ EINTR, "EINTR", FR_RW, 1 },
};

/* What one faulted run did, for the case's check. */
struct fr_run {
	enum fault_op op;	/* the call that failed */
	int nth;
	const struct fr_kind *kind;
	int rc, err;		/* the operation's result and errno */
	int fired;		/* the fault happened (else the run was clean) */
	int clean;		/* the reference run: no fault armed */
};

struct fr_case {
	const char *name;
	unsigned ops;			/* calls to fail (FR_ALL) */
	void (*prepare)(void);
	int (*run)(void);		/* 0 (or more) ok, -1 with errno */
	void (*check)(const struct fr_run *r);
	void (*finish)(const struct fr_run *r);
	void (*cleanup)(void);
};

static inline void
fr_fail(const struct fr_case *c, const struct fr_run *r, const char *what)
{
	if (r->clean)
		fail_msg("%s (clean run): %s", c->name, what);
	fail_msg("%s, %s #%d %s: %s (rc %d, errno %s)", c->name,
	    fault_name(r->op), r->nth, r->kind->name, what, r->rc,
	    strerror(r->err));
}

/* The outcome every case shares: a resumed fault is invisible, another
 * one is success (the failing call was one whose failure is harmless) or
 * -1 with its errno. */
static inline void
fr_outcome(const struct fr_case *c, const struct fr_run *r)
{
	if (r->clean || !r->fired || r->kind->resumed) {
		if (r->rc < 0)
			fr_fail(c, r, "failed where it must succeed");
		return;
	}
	if (r->rc < 0 && r->err != r->kind->err)
		fr_fail(c, r, "wrong errno");
}

static inline int
fr_one(const struct fr_case *c, struct fr_run *r)
{
	int fds = tu_fds();

	c->prepare();
	fault_reset();
	if (!r->clean)
		fault_arm(r->op, r->nth, r->kind->err);
	r->rc = c->run();
	r->err = errno;
	r->fired = fault_fired();
	fault_reset();		/* disarmed: checks and finish run clean */
	fr_outcome(c, r);
	c->check(r);
	c->finish(r);
	c->cleanup();
	if (tu_fds() != fds)
		fr_fail(c, r, "descriptors leaked");
	return r->fired;
}

/* Run the case clean, then with every fault at every call; returns how
 * many faulted runs there were. */
static inline int
fault_drive(const struct fr_case *c)
{
	struct fr_run r = { .clean = 1 };
	int calls[FAULT_NOPS], op, n, k, runs = 0;

	c->prepare();
	fault_reset();
	r.rc = c->run();
	r.err = errno;
	for (op = 0; op < FAULT_NOPS; op++)
		calls[op] = fault_calls(op);
	fr_outcome(c, &r);
	c->check(&r);
	c->finish(&r);
	c->cleanup();
	r.clean = 0;
	for (op = 0; op < FAULT_NOPS; op++) {
		if (!(c->ops & (1u << op)))
			continue;
		for (n = 1; n <= calls[op]; n++)
			for (k = 0; k < (int)(sizeof(fr_kinds) /
			    sizeof(fr_kinds[0])); k++) {
				if (!(fr_kinds[k].ops & (1u << op)))
					continue;
				r.op = op;
				r.nth = n;
				r.kind = &fr_kinds[k];
				fr_one(c, &r);
				runs++;
			}
	}
	print_message("%s: %d faulted runs\n", c->name, runs);
	return runs;
}

/* Faults are simulated: a tmpfs makes the many fresh spools cheap. */
static inline void
fr_tmpdir(void)
{
	if (access("/dev/shm", W_OK) == 0)
		setenv("TMPDIR", "/dev/shm", 0);
}

/* Was it a failed sync that fired?  Then nothing it covered is durable. */
static inline int
fr_sync_failed(const struct fr_run *r)
{
	return !r->clean && r->fired &&
	    (r->op == FAULT_FSYNC || r->op == FAULT_SYNCFS);
}

#endif
