/* SPDX-License-Identifier: MIT */
/* The shared feed list in PostgreSQL, for many instances with one configuration: its schema and
 * migrations, reconciling the configuration's feeds into it, and leases on due feeds.
 *
 * A lease is the right to fetch one feed and save what came of it. Claiming takes due feeds that
 * nobody holds (or whose lease expired: its instance died or stalled) with FOR UPDATE SKIP
 * LOCKED, so two instances never claim the same feed, and numbers each lease (lease_no grows by
 * one per claim). Results are saved only while the lease number still matches: an instance
 * that stalled past its expiry, whose feed another instance claimed since, saves nothing
 * (PG_LEASE_STALE) and must drop what it fetched. Times are seconds since the epoch; a negative
 * now means the database server's clock (one clock for every instance). */
#ifndef FEEDSPOOL_PG_FEEDS_H
#define FEEDSPOOL_PG_FEEDS_H

#include <stddef.h>
#include <stdint.h>

#include "pg_conn.h"
#include "state.h"

/* 1: the feed list and leases; 2: the seen set and what dedup keeps (pg_schema.c) */
#define PG_SCHEMA_VERSION 2
#define PG_LEASE_STALE 1 /* pg_feeds_save's answer when the lease was lost */

/* The columns of a feed's state, in struct feed_state's order, and one row of them read into f
 * (initialized here; strings owned by f). */
#define PG_FEED_COLUMNS                                                                           \
	"name, url, etag, last_modified, last_fetch, last_success, last_status, last_result,"    \
	" failures, articles_seen, next_due, due_reason, retired, moved_from, pending_url"
void pg_feeds_row(const PGresult *r, int row, struct feed_state *f);

/* Creates or migrates the schema (under an advisory lock, so instances starting together do it
 * once). done gets 0, or -EPROTO with a message (for example a schema newer than this build). */
int pg_feeds_migrate(struct pg_conn *c, void (*done)(void *ud, int rc, const char *err), void *ud);

/* One feed of the configuration: name and URL. */
struct pg_feed_conf {
	const char *name, *url;
};
/* Makes the table hold exactly these feeds (idempotent; every instance runs it on start and
 * reload): new ones are due now, a changed URL clears the validators and the retired flag,
 * feeds no longer configured are marked removed (their rows stay for `feeds`). */
int pg_feeds_reconcile(struct pg_conn *c, const struct pg_feed_conf *feeds, size_t n,
		       void (*done)(void *ud, int rc, const char *err), void *ud);

/* One claimed feed: its state as saved, and the lease. Owned by the array passed to done. */
struct pg_lease {
	struct feed_state st;
	int64_t lease_no;
	int64_t expires;
};
typedef void (*pg_claim_fn)(void *ud, struct pg_lease *leases, size_t n, const char *err);
/* Claims at most limit due feeds for lease_s seconds on behalf of owner (an instance name).
 * done gets the leases (freed after the call) or NULL with err. */
int pg_feeds_claim(struct pg_conn *c, const char *owner, int64_t now, int lease_s, int limit,
		   pg_claim_fn done, void *ud);
/* Saves a feed's new state and ends its lease, if lease_no is still the feed's: done gets 0,
 * PG_LEASE_STALE when the lease was lost, or negative with err. */
int pg_feeds_save(struct pg_conn *c, const struct feed_state *st, int64_t lease_no,
		  void (*done)(void *ud, int rc, const char *err), void *ud);
/* Extends a lease (long fetches) or gives it up without saving (stop, abandoned work), with the
 * same stale rule. */
int pg_feeds_renew(struct pg_conn *c, const char *name, int64_t lease_no, int64_t now, int lease_s,
		   void (*done)(void *ud, int rc, const char *err), void *ud);
int pg_feeds_release(struct pg_conn *c, const char *name, int64_t lease_no,
		     void (*done)(void *ud, int rc, const char *err), void *ud);

#endif
