/* SPDX-License-Identifier: MIT */
/* Reading a state from the command line (`feeds`, `dedup`), whichever it is: a SQLite file
 * opened read-only (state.c), or a PostgreSQL database (state = postgresql://...) read over a
 * read-only connection (pg_admin.c). A URI is never taken for a file name. */
#ifndef FEEDSPOOL_STATE_READ_H
#define FEEDSPOOL_STATE_READ_H

#include "buf.h"
#include "state.h"

struct state_read;

/* Opens where (the configuration's state). NULL with a message in err that names the state as
 * it may be shown (a SQLite path, or the URI with its password masked), as "NAME: why". */
struct state_read *state_read_open(const char *where, struct buf *err);
void state_read_close(struct state_read *r);
/* The state as it may be shown in messages. */
const char *state_read_name(const struct state_read *r);
/* As state_feed_each, state_meta_get and state_why_each; a negative return leaves the reason in
 * state_read_error(). */
int state_read_feed_each(struct state_read *r, int (*fn)(void *ud, const struct feed_state *f),
			 void *ud);
int state_read_meta_get(struct state_read *r, const char *key, char **value);
int state_read_why_each(struct state_read *r, const char *feed, state_why_fn fn, void *ud);
/* A PostgreSQL state's live leases (pg_admin_lease_each); none in a SQLite state. */
int state_read_lease_each(struct state_read *r,
			  int (*fn)(void *ud, const char *feed, const char *owner, int64_t expires),
			  void *ud);
const char *state_read_error(struct state_read *r);

#endif
