/*
 * reaper.h - kills spoold's handlers, and all they started, when spoold is
 * killed (reaper.c).
 */
#ifndef SPOOL_REAPER_H
#define SPOOL_REAPER_H

#include <sys/types.h>

/* Fork the reaper; call before any thread or descriptor worth keeping
 * exists.  0, or -1 with errno (spoold then runs without one). */
int reaper_start(void);
/* A handler's process group started, or is gone. */
void reaper_add(pid_t pgid);
void reaper_del(pid_t pgid);
/* A clean exit, with no handler left: the reaper reads end of file and
 * ends too. */
void reaper_stop(void);

#endif
