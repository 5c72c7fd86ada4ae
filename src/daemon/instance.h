/* SPDX-License-Identifier: MIT */
/* One daemon per state database and per spool: `run` and `once` hold an exclusive flock(2) on
 * both for as long as they run, so that a second one (a `once` beside the service, a copy of
 * the configuration) is refused instead of writing articles the first one writes too. */
#ifndef FEEDSPOOL_INSTANCE_H
#define FEEDSPOOL_INSTANCE_H

#include "buf.h"

struct instance_lock {
	int state_fd, spool_fd; /* -1: not open */
	int state_held, spool_held;
};

#define INSTANCE_LOCK_INIT {-1, -1, 0, 0}

/* Takes the locks not held yet. Before the two are opened (created == 0) a path that does not
 * exist yet is skipped; once they were (created == 1) both must be locked. 0, or -1 with
 * "state PATH: ..." or "spool PATH: ..." lines appended to err, the first being another
 * process holding it. */
int instance_lock(struct instance_lock *l, const char *state, const char *spool, int created,
		  struct buf *err);
/* Lets go; only after the state database is closed (see instance.c). */
void instance_unlock(struct instance_lock *l);

#endif
