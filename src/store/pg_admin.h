/* SPDX-License-Identifier: MIT */
/* Read-only queries over a PostgreSQL state for the command line (`feeds`, `dedup`, `check`):
 * one blocking libpq connection whose transactions are read only.
 *
 * Blocking is right here and only here: the daemon reads its database through pg_conn.c on the
 * loop. A connection that cannot be made within PG_ADMIN_CONNECT_TIMEOUT seconds (unless the
 * URI sets connect_timeout) fails with libpq's message. Messages never carry the URI: callers
 * name the state with pg_admin_uri_shown(). */
#ifndef FEEDSPOOL_PG_ADMIN_H
#define FEEDSPOOL_PG_ADMIN_H

#include "buf.h"
#include "pg_uri.h"
#include "state.h"

#define PG_ADMIN_CONNECT_TIMEOUT "10"

struct pg_admin;

/* Connects and reads the schema's version. NULL with a message in err when the server cannot be
 * reached, refuses the connection, holds no feedspool state (no daemon has run on it) or holds a
 * schema newer than this build (PG_SCHEMA_VERSION). */
struct pg_admin *pg_admin_open(const char *uri, struct buf *err);
void pg_admin_close(struct pg_admin *a);
/* For `check`: whether the daemon could start on uri (the server answers, and its schema, if
 * any, is not newer than this build). The schema's version (0: none yet, the daemon creates
 * it), or -EIO with a message in err. */
int pg_admin_check(const char *uri, struct buf *err);
/* The database's schema version. */
int pg_admin_version(const struct pg_admin *a);
/* Every feed's saved state (also of feeds no longer configured), in name order, as
 * state_feed_each gives them: f is valid during the call; a nonzero return of fn stops the walk
 * and is returned. 0, or -EIO with the server's message in err. */
int pg_admin_feed_each(struct pg_admin *a, int (*fn)(void *ud, const struct feed_state *f),
		       void *ud, struct buf *err);
/* The live leases (feeds an instance holds now, by the server's clock), in name order: the feed,
 * the instance holding it (its host and spool) and when the lease expires. As above. */
typedef int (*pg_admin_lease_fn)(void *ud, const char *feed, const char *owner, int64_t expires);
int pg_admin_lease_each(struct pg_admin *a, pg_admin_lease_fn fn, void *ud, struct buf *err);
/* A meta value (the filter counters): 1 and *value (the caller frees it), 0 when not set, or
 * -EIO / -ENOMEM. */
int pg_admin_meta_get(struct pg_admin *a, const char *key, char **value, struct buf *err);
/* The near-duplicate decisions, as state_why_each (of feed, or of every feed when NULL). */
int pg_admin_why_each(struct pg_admin *a, const char *feed, state_why_fn fn, void *ud,
		      struct buf *err);

#endif
