/*
 * fault.h - fault injection at libspool's syscall seam (spool/sys.h), for
 * the unit tests: make the Nth call of one operation fail with an errno,
 * or (read, write, pwrite) come back short.
 */
#ifndef SPOOL_FAULT_H
#define SPOOL_FAULT_H

enum fault_op {
	FAULT_OPENAT, FAULT_READ, FAULT_WRITE, FAULT_PWRITE, FAULT_FSYNC,
	FAULT_SYNCFS, FAULT_CLOSE, FAULT_RENAME, FAULT_MKDIR, FAULT_UNLINK,
	FAULT_FTRUNCATE, FAULT_UTIMENSAT, FAULT_NOPS
};

/* Count calls from now on, inject nothing. */
void fault_reset(void);
/* The nth call (1 = the next) of op fails with err; err 0 with a
 * short count: it transfers half of what was asked (at least one byte). */
void fault_arm(enum fault_op op, int nth, int err);
/* Every call of op from the nth on fails (a full disk that stays full). */
void fault_arm_from(enum fault_op op, int nth, int err);
/* Calls of op since the last reset. */
int fault_calls(enum fault_op op);
/* Did the armed fault fire? */
int fault_fired(void);
const char *fault_name(enum fault_op op);

#endif
