/* SPDX-License-Identifier: MIT */
/* The store interface (store.h) over PostgreSQL, asynchronous on the loop through pg_conn.c.
 *
 * Reads are queries whose answers come from the loop. A batch is one transaction on the
 * connection, whose statements run in the order of the calls: begin() sends BEGIN, each write
 * is sent as it is made (so reads made after it see it, as they do in SQLite), commit() sends
 * COMMIT (ROLLBACK when a write could not even be queued). commit's callback gets 0 only when the
 * server committed every write of the batch; otherwise the batch left nothing behind and the
 * code says why: -EEXIST when an article it reserves is already recorded (by this or another
 * instance: the seen set's primary key decides, so two instances never both reserve one id),
 * -EBUSY when the connection was lost or the server is away (or a deadlock: retry), -ENOENT
 * for an alias naming an unknown article, -EIO otherwise. A transaction never outlives its
 * connection: after a reconnection its remaining statements fail instead of running outside it.
 * One case stays ambiguous, as with any database server: a COMMIT sent whose answer is lost
 * with the connection is reported -EBUSY although the server may have committed it; this is why
 * a reservation is recorded as RESERVED first and recovery treats such rows as not durable.
 *
 * Differences from the SQLite store that callers must allow for: a write's conflict is known
 * only at commit (writes return 0 or -ENOMEM), and once a write of a batch failed, reads made
 * before its commit fail too (-EBUSY: the server aborted the transaction); one conflicting
 * reservation fails its whole batch (the next fetch finds the id known and goes on without
 * it); an update or delete of an unknown id is not an
 * error; expire() reports 0, not how many rows it removed; seen_each() and seen_revision()
 * block on a second, short connection (start-up and recovery only); feed_get answers within
 * the call only between store_pg_preload and store_pg_preload_end.
 *
 * Connections: each instance holds this one (all its reads and writes, in order) plus, for a
 * moment at start-up, reload and recovery, a short one (seen_each, seen_revision,
 * store_pg_preload). The feed leases (pg_feeds.c, driven by src/daemon/feeds_lease.c) have a
 * connection of their own: a claim must not run inside a batch's transaction. A server's
 * max_connections must cover three per instance plus the CLI's. */
#ifndef FEEDSPOOL_STORE_PG_H
#define FEEDSPOOL_STORE_PG_H

#include <uv.h>

#include "pg_conn.h"
#include "pg_uri.h"
#include "store.h"

/* A store over c (the caller's: it outlives the store, and its schema is migrated:
 * pg_feeds_migrate) whose blocking start-up walks connect to uri. instance (may be NULL) names
 * this instance: the articles it records carry the name, and its recovery walk (seen_each)
 * sees only those (and unnamed ones), since their files are in its own spool, not in another
 * instance's. NULL when memory runs out. */
struct store *store_pg_new(uv_loop_t *loop, struct pg_conn *c, const char *uri,
			   const char *instance);

/* Start-up and reload (blocking, on a short connection of its own): reads every feed's saved
 * state into a table that feed_get answers from within the call, as feeds.c's reconcile needs
 * (feed_put keeps the entries current), and whether the seen set holds ids of the older link
 * rules (legacy_ids; an imported SQLite state's meta v3_ids). 0, or negative (error() says
 * why). store_pg_preload_end frees the table: feed_get queries the server again. */
int store_pg_preload(struct store *s);
void store_pg_preload_end(struct store *s);

/* Queries sent so far, in all and per kind (reads, writes, batch statements): what a fetch
 * costs the database. */
struct store_pg_counts {
	unsigned long reads, writes, batches;
	unsigned long stale; /* leased saves refused: the lease had been taken over */
};
void store_pg_counts(const struct store *s, struct store_pg_counts *out);


#endif
