/* SPDX-License-Identifier: MIT */
/* Checks made before the daemon starts (and by `feedspool check`): that the state database and
 * the spool can be used by the user feedspool runs as. */
#ifndef FEEDSPOOL_PREFLIGHT_H
#define FEEDSPOOL_PREFLIGHT_H

#include "buf.h"
#include "config.h"

/* Looks at c->state and c->spool without creating or changing anything, so that a start it
 * refuses leaves no trace. What exists must belong to the effective uid (like ssh, feedspool
 * refuses files another user could have prepared), be of the right kind (a SQLite file, a
 * directory) and be writable; what does not exist yet must have a writable directory to be
 * created in. Returns 0, or -1 with one "state PATH: ..." or "spool PATH: ..." line per
 * problem appended to err. */
int preflight_storage(const struct config *c, struct buf *err);

#endif
