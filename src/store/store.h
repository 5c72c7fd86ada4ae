/* SPDX-License-Identifier: MIT */
/* The store: what the daemon keeps between fetches (feed state and schedule, the seen set with
 * (feed, guid) aliases, the near-duplicate index and per-feed boilerplate, revisions, meta and
 * filter counters), seen through a small interface (a table of functions and an opaque
 * pointer). SQLite (store_sqlite.c over state.c) is the first implementation; the interface is
 * made for ones whose calls complete later (a database server on the loop):
 *  - reads answer through a callback, which may run within the call (SQLite) or later, from
 *    the loop (never from another thread);
 *  - writes join the open batch and return at once (0 accepted, or a negative code); the
 *    batch's commit reports whether all of them are durable, through its callback. Nothing
 *    written in a batch counts until that callback says 0, which is what the crash-consistency
 *    order of pipeline.h needs (recorded before published, validators saved last);
 *  - start-up calls (recovery walks, open) may block;
 *  - a store whose every read answers within the call says so (struct store, immediate): the
 *    parse may then ask whether an article is known before making it in full.
 * The pipeline (pipeline.h) reaches the state only through this interface, in continuation
 * style; it never lets two reservations race on reads still in flight (pipeline_article.c).
 * Codes are negative errno values: -EBUSY locked (retry), -ENOENT unknown id, -EEXIST known. */
#ifndef FEEDSPOOL_STORE_H
#define FEEDSPOOL_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "state.h"

struct store;
typedef void (*store_done_fn)(void *ud, int status);
/* A seen-set lookup's answer: rc 1 (found: id is the recorded id, e its entry), 0 (unknown),
 * or negative. */
typedef void (*store_seen_fn)(void *ud, int rc, const char *id, const struct seen_entry *e);
typedef void (*store_feed_fn)(void *ud, int rc, const struct feed_state *f);
typedef void (*store_boiler_fn)(void *ud, uint64_t h, uint32_t n);

struct store_ops {
	/* batches */
	int (*begin)(struct store *s);
	void (*commit)(struct store *s, store_done_fn done, void *ud);
	int (*rollback)(struct store *s);
	int (*probe)(struct store *s); /* could a batch be written now? 0 or negative */
	/* feeds: one read per feed at start-up and reload, one write per fetch. feeds.c needs the
	 * read's answer within the call (its reconcile is synchronous): an answer that comes later
	 * is dropped, and the feed starts as new (fetched without validators; nothing is lost) */
	void (*feed_get)(struct store *s, const char *name, store_feed_fn fn, void *ud);
	int (*feed_put)(struct store *s, const struct feed_state *f); /* one with a lease_no
		* (PostgreSQL) is saved only while that lease holds, and ends it */
	int (*feed_delete)(struct store *s, const char *name);
	/* A host's Retry-After hold, in the batch, shared with the other instances of the store
	 * (NULL: a store of one instance, which holds hosts in memory only) */
	int (*host_hold)(struct store *s, const char *host, int64_t until);
	/* the seen set: by id, else by (feed, guid) when guid is not NULL */
	void (*seen_lookup)(struct store *s, const char *id, const char *feed, const char *guid,
			    store_seen_fn fn, void *ud);
	int (*seen_add)(struct store *s, const struct state_seen_new *n, int64_t now);
	int (*seen_update)(struct store *s, const char *id, enum seen_status status,
			   uint64_t content_hash, int revision);
	int (*seen_set_status)(struct store *s, const char *id, enum seen_status status);
	int (*seen_delete)(struct store *s, const char *id);
	int (*seen_touch)(struct store *s, const char *id, int64_t now);
	/* Whether an article is known: fn(ud, 1) when id, or alt_id (may be NULL: the id under
	 * older link rules), or (feed, guid) (guid may be NULL) is in the seen set; fn(ud, 0) when
	 * none is; fn(ud, negative) on error. */
	void (*seen_known)(struct store *s, const char *id, const char *alt_id, const char *feed,
			   const char *guid, store_done_fn fn, void *ud);
	/* Whether ids made under the older link rules (url_canonical_v3) may be recorded: then
	 * seen_known is worth an alt_id. Known at open, answered at once. */
	int (*legacy_ids)(const struct store *s);
	/* start-up recovery (blocking allowed) */
	int (*seen_each)(struct store *s, enum seen_status status,
			 int (*fn)(void *ud, const char *id), void *ud);
	/* the revision recorded for id: >= 0, -ENOENT when unknown, or negative */
	int (*seen_revision)(struct store *s, const char *id);
	/* near-duplicates: each candidate, then done(ud, 0 or negative) */
	void (*near_candidates)(struct store *s, const uint64_t *keys, size_t n_keys,
				uint64_t simhash, int64_t since, state_candidate_fn each,
				store_done_fn done, void *ud);
	void (*boiler_load)(struct store *s, const char *feed, store_boiler_fn each,
			    store_done_fn done, void *ud);
	int (*boiler_put)(struct store *s, const char *feed, uint64_t h, uint32_t n, int64_t now);
	/* small named values (the filter counters), retention */
	int (*meta_put)(struct store *s, const char *key, const char *value);
	int (*expire)(struct store *s, int64_t before);
	const char *(*error)(const struct store *s);
	void (*close)(struct store *s);
};

struct store {
	const struct store_ops *ops;
	void *impl;
	int immediate; /* every read answers within the call (SQLite) */
};

/* The SQLite store over an open state (store_sqlite.c): every call completes within the call,
 * callbacks included; the state stays the caller's (state_close). NULL when memory runs out. */
struct store *store_sqlite_new(struct state *st);

#endif
