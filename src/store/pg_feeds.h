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

/* 1: the feed list and leases; 2: the seen set and what dedup keeps; 3: hosts (pg_schema.c) */
#define PG_SCHEMA_VERSION 3
#define PG_LEASE_STALE 1 /* pg_feeds_save's answer when the lease was lost */
/* NOTIFY'd when feeds may be due earlier than instances know (reconcile, `ctl refresh`) */
#define PG_DUE_CHANNEL "feedspool_due"

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

/* One claimed feed: its state as saved (st.lease_no is the lease), and the lease. Owned by the
 * array passed to done. */
struct pg_lease {
	struct feed_state st;
	int64_t lease_no;
	int64_t expires;
};
/* next: the earliest time after now when a feed becomes claimable (due, or its lease expires),
 * 0 when none is known. */
typedef void (*pg_claim_fn)(void *ud, struct pg_lease *leases, size_t n, int64_t next,
			    const char *err);
/* Claims at most limit due feeds for lease_s seconds on behalf of owner (an instance name),
 * taking at most per_host live leases per host across all instances (0: no limit) and none on a
 * host held by Retry-After (pg_feeds_hold). done gets the leases (freed after the call) or NULL
 * with err. One statement (feedspool_claim, serialized by an advisory lock). */
int pg_feeds_claim(struct pg_conn *c, const char *owner, int64_t now, int lease_s, int limit,
		   int per_host, pg_claim_fn done, void *ud);
/* Saves a feed's new state (and its host) and ends its lease, if lease_no is still the feed's:
 * done gets 0, PG_LEASE_STALE when the lease was lost, or negative with err. The statement and
 * its parameters are also the store's (store_pg.c saves in a batch). */
int pg_feeds_save(struct pg_conn *c, const struct feed_state *st, int64_t lease_no,
		  void (*done)(void *ud, int rc, const char *err), void *ud);
#define PG_SAVE_NPARAMS 17
extern const char pg_feeds_save_sql[];
struct pg_save_args {
	char num[7][24];
	char *host; /* free it after the query is queued */
	const char *p[PG_SAVE_NPARAMS];
};
void pg_feeds_save_args(struct pg_save_args *a, const struct feed_state *st, int64_t lease_no);
/* Extends a lease (long fetches) or gives it up without saving (stop, abandoned work), with the
 * same stale rule. release postpones the feed's next_due to at least now + postpone_s (a feed
 * this instance cannot fetch, so that it is not claimed again at once; 0: as it was). */
int pg_feeds_renew(struct pg_conn *c, const char *name, int64_t lease_no, int64_t now, int lease_s,
		   void (*done)(void *ud, int rc, const char *err), void *ud);
int pg_feeds_release(struct pg_conn *c, const char *name, int64_t lease_no, int postpone_s,
		     void (*done)(void *ud, int rc, const char *err), void *ud);
/* Extends every lease of a JSON array [{"name": ..., "no": lease_no}, ...] in one statement. */
int pg_feeds_renew_all(struct pg_conn *c, const char *leases_json, int lease_s,
		       void (*done)(void *ud, int rc, const char *err), void *ud);
/* Ends every lease owner holds but those of keep_json (a JSON array as pg_feeds_renew_all's,
 * NULL: none kept): an instance starting again (what it held died with it), or finding the
 * database back (leases whose save or release failed meanwhile would otherwise be held until
 * they expire, and their feeds not fetched again until then). With keep_json, the statement
 * goes ahead of every queued one. */
int pg_feeds_release_owner(struct pg_conn *c, const char *owner, const char *keep_json,
			   void (*done)(void *ud, int rc, const char *err), void *ud);
/* Holds a host until a time (Retry-After): no instance claims its feeds before; a later hold
 * never shortens an earlier one. The statement is also the store's (in a batch). */
extern const char pg_feeds_hold_sql[];
int pg_feeds_hold(struct pg_conn *c, const char *host, int64_t until,
		  void (*done)(void *ud, int rc, const char *err), void *ud);
/* `ctl refresh`: a feed (NULL: every feed) due now, and every instance told (NOTIFY). */
int pg_feeds_refresh(struct pg_conn *c, const char *name,
		     void (*done)(void *ud, int rc, const char *err), void *ud);

#endif
