/* SPDX-License-Identifier: MIT */
/* Each feed's life, as a state machine: idle -> fetching (the body streams into the parser in
 * slices, the transfer paused while the feed's pipeline backlog is high) -> draining (the
 * parser finished, the pipeline run ends) -> the outcome recorded -> idle; `removed` when the
 * configuration drops it (freed by its last callback). One reconcile rule for start-up and
 * reload; host holds (Retry-After); due times in a min-heap, feeds hashed by name and URL.
 *
 * Ownership: a feed owns its state (its name is the state's); `conf` points into the
 * configuration given to the last feeds_reconcile (the caller keeps that configuration alive
 * until the next one has returned: the URL a feed had is read there). While a fetch runs, the fetcher and the pipeline run hold the feed (as
 * callback data): a feed removed or changed meanwhile is marked, its attempt abandoned, and the
 * feed is freed (or fetched again at its new URL) only when the pipeline run says it is done. */
#ifndef FEEDSPOOL_FEEDS_H
#define FEEDSPOOL_FEEDS_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <uv.h>

#include "buf.h"
#include "config.h"
#include "fetch.h"
#include "pipeline.h"
#include "state.h"
#include "store.h"

struct feeds;

/* Leases (PostgreSQL, `run`: feeds_lease.h): the database's schedule drives the fetches. */
struct feeds_leases {
	/* an attempt that ends without its save gives its lease up; postpone_s > 0 also pushes
	 * the feed's next due time (a feed this instance does not fetch) */
	void (*release)(void *ud, const char *name, int64_t lease_no, int postpone_s);
	/* `ctl refresh NAME` (NULL: every feed): due now in the database, every instance told */
	void (*refresh)(void *ud, const char *name);
	void *ud;
};

/* What the feeds work with, borrowed for their life. */
struct feeds_env {
	uv_loop_t *loop;
	struct store *store;
	struct pipeline *pl;
	struct fetcher *fetcher;
	int once;  /* `once`: every feed is due now and fetched once */
	int quiet; /* no per-feed log line (`once --progress`) */
	int catchup; /* `once --catchup`: as if every feed had `catchup = yes` */
	/* NULL: the feeds' own due-time heap (SQLite, `once`); else nothing is scheduled locally
	 * and feeds start when claimed (feeds_start_leased); states are saved only under a lease */
	const struct feeds_leases *leases;
};

/* One feed's fetch, recorded (or, with not_fetched, never started). Borrowed for the call. */
struct feeds_report {
	const char *name;
	int ok;
	int not_fetched;
	const char *result;
	/* for the metrics: the response's status (0: none), whether the transfer or the parse
	 * failed, the body's bytes, and the attempt's time from its start to its outcome */
	int status, transfer_failed, parse_failed;
	size_t bytes;
	double seconds;
};

struct feeds_cbs {
	void (*recorded)(void *ud, const struct feeds_report *r);
	/* an attempt ended (recorded, abandoned or its feed removed): look at the schedule again */
	void (*settled)(void *ud);
};

struct feeds *feeds_new(const struct feeds_env *env, const struct feeds_cbs *cbs, void *ud);
/* Closes the loop handles (before the loop's last run); feeds_free afterwards frees every
 * feed: call it once nothing is in flight (the fetcher closed, the pipeline idle). */
void feeds_close(struct feeds *fs);
void feeds_free(struct feeds *fs);

/* Makes the feeds those of c (start-up and reload): new ones are added with their state, gone
 * ones removed (their state is kept), a changed URL takes effect at once (validators and
 * `retired` cleared, an attempt in flight abandoned). Two feeds with one URL: the first in the
 * configuration is fetched, the others are not (a warning names them). c must outlive the next
 * call. 0 or -ENOMEM. */
int feeds_reconcile(struct feeds *fs, const struct config *c);

/* Starts the feeds due at now (skipping held hosts) while fewer than limit are busy. */
void feeds_start_due(struct feeds *fs, int64_t now, size_t limit);
/* Leases: starts a feed claimed from the database with the state it holds there (st.lease_no
 * is the lease, saved with the outcome). 0; -ENOENT not configured here; -EBUSY in flight,
 * paused or a twin here; -ENOMEM. The caller gives a lease it could not use back. */
int feeds_start_leased(struct feeds *fs, const struct feed_state *st);
/* Calls fn for each lease held by an attempt in flight (renewals). */
void feeds_each_lease(const struct feeds *fs,
		      void (*fn)(void *ud, const char *name, int64_t lease_no), void *ud);
/* The earliest time a feed is due (INT64_MAX: none). */
int64_t feeds_next_due(const struct feeds *fs);
/* `once`, when storage trouble or back-pressure prevents it: reports every feed due at now as
 * not fetched (why). */
void feeds_skip_due(struct feeds *fs, int64_t now, const char *why);
/* Stop: every attempt in flight is abandoned (its transfer cancelled, its rest not parsed, its
 * outcome not recorded: the next fetch brings it again). */
void feeds_abandon(struct feeds *fs);

/* `once`'s summary: " (a, b, c)", the feeds whose fetch failed or was not started, in the
 * configuration's order (at most 20 named). */
void feeds_failed_names(const struct feeds *fs, struct buf *out);
size_t feeds_count(const struct feeds *fs); /* configured feeds */
size_t feeds_busy(const struct feeds *fs);  /* attempts in flight, removed feeds' included */
size_t feeds_due_count(const struct feeds *fs); /* feeds in the schedule (not retired, no twin) */

/* A request with a feed's fetch settings (user agent, headers, timeouts, caps, private
 * addresses); the caller sets the URL and the rest. */
void feeds_fill_request(struct fetch_request *req, const struct feed_settings *s);

/* `feedspool ctl`: fetch a feed (NULL: every feed not paused) now; stop or restart scheduling
 * one (kept across reloads, not restarts). 0, or -ENOENT/-EPERM with the reason in err. */
int feeds_refresh(struct feeds *fs, const char *name, struct buf *err);
int feeds_pause(struct feeds *fs, const char *name, int paused, struct buf *err);
/* Every configured feed's state as a new JSON array (`ctl status`). */
json_t *feeds_status(const struct feeds *fs);
/* Feeds whose last fetch failed, and paused feeds (the metrics). */
void feeds_counts(const struct feeds *fs, size_t *failing, size_t *paused);

#endif
