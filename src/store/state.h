/* SPDX-License-Identifier: MIT */
/* The daemon's state in SQLite (WAL mode, versioned schema with migrations): feeds, their
 * validators and schedule, the seen set with (feed, guid) aliases, and the near-duplicate index.
 * Every call runs on the loop thread; each is short (indexed statements). The daemon is the only
 * writer; `feedspool feeds` opens the database read-only. */
#ifndef FEEDSPOOL_STATE_H
#define FEEDSPOOL_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define STATE_SCHEMA_VERSION 4
/* The largest max_distance state_near_find accepts: 4 bands of 16 bits, so within 3 bits at
 * least one band is equal. */
#define STATE_NEAR_MAX_DISTANCE 3

struct state;

/* What the state knows of one feed, keyed by its configured name. Strings owned (state_feed_fini). */
struct feed_state {
	char *name;
	char *url;            /* where it is fetched now (a permanent redirect changes it) */
	char *etag, *last_modified; /* validators of the last 200 response */
	int64_t last_fetch;   /* seconds since the epoch, 0 never */
	int64_t last_success;
	int last_status;      /* HTTP status or 0 */
	char *last_result;    /* "ok 12 new", "304", "error: timeout after 60 s" ... */
	int failures;         /* consecutive */
	int64_t articles_seen;
	int64_t next_due;
	char *due_reason;     /* "interval", "ttl 60 min", "backoff 4 failures", "Retry-After" ... */
	int retired;          /* 410 Gone */
	char *moved_from;     /* the URL before the last permanent redirect, for the log */
	char *pending_url;    /* a 301/308 target seen once; moved when seen again */
	int64_t lease_no;     /* PostgreSQL with leases: the lease this state is saved under (only
			       * while it holds); 0: none (SQLite, `once`), saved as it is */
};

void feed_state_init(struct feed_state *f);
void feed_state_fini(struct feed_state *f);
/* dst (initialized) becomes a deep copy of src; dst keeps its own name when it has one (it may
 * be a map's key, equal to src's). 0, or -ENOMEM with dst as it was. */
int feed_state_copy(struct feed_state *dst, const struct feed_state *src);

/* Opens (creating and migrating) the database; mode 0600. readonly for `feedspool feeds`.
 * NULL with a message in err (also for a schema newer than STATE_SCHEMA_VERSION, and, read-only,
 * for an older one). Errors of the calls below are negative errno values: -EBUSY when the
 * database is locked (back off and retry), -EEXIST for an id already recorded, -ENOENT for an
 * unknown id; state_error() then has SQLite's text. */
struct state *state_open(const char *path, int readonly, struct buf *err);
void state_close(struct state *s);
/* Checks that the database at path is sound (PRAGMA quick_check: reads every page once, so its
 * cost is linear in the file's size) without changing or creating anything. 0; -EIO when it is
 * corrupt (or unreadable), with SQLite's first complaint in err; -EBUSY when locked. */
int state_verify(const char *path, struct buf *err);
const char *state_error(const struct state *s);

/* Transactions group writes (one per batch of articles); nesting is not supported. */
int state_begin(struct state *s);
int state_commit(struct state *s);
int state_rollback(struct state *s);
/* Whether a write transaction could begin now, without waiting for another process's lock
 * (which the other calls wait up to 3 s for): 0, or -EBUSY, -EROFS... Outside a transaction
 * only. */
int state_probe(struct state *s);

/* 1 and *out filled when known, 0 when not, negative on error. *out is initialized first. */
int state_feed_get(struct state *s, const char *name, struct feed_state *out);
int state_feed_put(struct state *s, const struct feed_state *f);
/* Calls fn for every feed known, in name order. fn may call any state function (rows are read
 * a page at a time); a nonzero return from fn stops the walk and is returned. */
int state_feed_each(struct state *s, int (*fn)(void *ud, const struct feed_state *f), void *ud);
int state_feed_delete(struct state *s, const char *name);

/* The seen set. An id is 16 hex digits. */
/* RESERVED: accepted, its files not yet durable (recovery forgets it); SPOOLING: durable in
 * tmp/ (recovery publishes it); WRITTEN: in new/; ALIAS: a duplicate of alias_of. */
enum seen_status { SEEN_SPOOLING = 1, SEEN_WRITTEN = 2, SEEN_ALIAS = 3, SEEN_RESERVED = 4 };
/* 1 when id is known (in any status), 0 when not, negative on error. */
int state_seen_has(struct state *s, const char *id);
/* The id recorded for (feed, guid), if any: 1 and id_out filled, 0 when none. */
int state_alias_get(struct state *s, const char *feed, const char *guid, char id_out[17]);
/* Records an article: its id, the feed and guid it came from (guid may be NULL), its SimHash
 * (0: none), status, and now. alias_of (may be NULL) names the article it duplicates. */
int state_seen_add(struct state *s, const char *id, const char *feed, const char *guid,
		   uint64_t simhash, enum seen_status status, const char *alias_of, int64_t now);
int state_seen_set_status(struct state *s, const char *id, enum seen_status status);
/* What the seen set holds for one id (state_seen_get). */
struct seen_entry {
	enum seen_status status;
	uint64_t content_hash; /* XXH3-64 of the text rendering last judged; 0: unknown */
	int revision;	       /* of that content: 0 for the first version */
	int same_feed;	       /* recorded by the feed asked about */
};
/* 1 and *out filled when id is known, 0 when not, negative on error. feed (may be NULL) is
 * compared with the feed the id was recorded from (out->same_feed). */
int state_seen_get(struct state *s, const char *id, const char *feed, struct seen_entry *out);
/* Sets an article's status, content hash and revision at once (-ENOENT for an unknown id). */
int state_seen_update(struct state *s, const char *id, enum seen_status status,
		      uint64_t content_hash, int revision);
/* Forgets one article (a reservation whose files could not be written). */
int state_seen_delete(struct state *s, const char *id);
/* Calls fn for every article in the given status (crash recovery of SEEN_SPOOLING). fn may
 * call any state function; a nonzero return from fn stops the walk and is returned. */
int state_seen_each(struct state *s, enum seen_status status,
		    int (*fn)(void *ud, const char *id), void *ud);
/* Marks that (feed) still lists these ids (now), so retention counts from when they left. */
int state_seen_touch(struct state *s, const char *id, int64_t now);
/* The id of an article (any status but ALIAS) whose SimHash is within max_distance bits of h,
 * seen after since: 1 and id_out filled, 0 when none. Uses a banded index (4 bands of 16 bits).
 * since compares with last_seen. The closest wins, then the earliest first seen. -EINVAL when
 * max_distance > STATE_NEAR_MAX_DISTANCE. */
int state_near_find(struct state *s, uint64_t h, int max_distance, int64_t since, char id_out[17]);
/* Small named values (key -> text): put replaces; get returns 1 and a new string in *value,
 * 0 when absent. */
int state_meta_put(struct state *s, const char *key, const char *value);
int state_meta_get(struct state *s, const char *key, char **value);

/* Version 4: what the dedup rules keep (dedup.h). */
struct state_seen_new {
	const char *id, *feed, *guid; /* guid may be NULL */
	uint64_t simhash;
	enum seen_status status;
	const char *alias_of;		/* may be NULL */
	const void *sketch;		/* dedup_sketch_encode, may be NULL */
	size_t sketch_len;
	const uint64_t *keys;		/* lookup keys of an accepted article (sketch_key) */
	size_t n_keys;
	const char *why;		/* an alias's rule and distance, may be NULL */
};
/* Records an article as state_seen_add does, with its sketch, keys and why. */
int state_seen_add_sketch(struct state *s, const struct state_seen_new *n, int64_t now);
/* The accepted articles (not aliases) seen after since that share a lookup key with keys, or
 * whose SimHash shares a 16-bit band with simhash (0: none): fn(ud, id, feed, sketch, len) for
 * each, at most STATE_MAX_CANDIDATES, sketch NULL for rows from before version 4. */
#define STATE_MAX_CANDIDATES 48
typedef void (*state_candidate_fn)(void *ud, const char *id, const char *feed, const void *sketch,
				   size_t len);
int state_near_candidates(struct state *s, const uint64_t *keys, size_t n_keys, uint64_t simhash,
			  int64_t since, state_candidate_fn fn, void *ud);
/* A feed's boilerplate sentences (hash, count), most frequent first (at most 1024). */
int state_boiler_each(struct state *s, const char *feed,
		      void (*fn)(void *ud, uint64_t h, uint32_t n), void *ud);
/* Raises a boilerplate count (never lowers it) and marks it seen now. */
int state_boiler_put(struct state *s, const char *feed, uint64_t h, uint32_t n, int64_t now);
/* The near-duplicate decisions recorded (aliases with a why), of one feed or all (feed NULL),
 * by id; the strings are valid during the call. A nonzero return of fn stops the walk. */
struct state_why {
	const char *id, *feed, *guid, *alias_of, *why;
	int64_t first_seen;
	const char *of_feed, *of_guid; /* the matched article's, NULL when it expired */
};
typedef int (*state_why_fn)(void *ud, const struct state_why *w);
int state_why_each(struct state *s, const char *feed, state_why_fn fn, void *ud);

/* Whether the seen set held rows when it was migrated to version 4 (ids made under the older
 * link rules, url_canonical_v3, may be recorded). */
int state_has_v3_ids(const struct state *s);

/* Forgets entries not touched since before; returns how many, or negative. */
int state_expire(struct state *s, int64_t before);

/* For `feedspool state export` and `import` (state_dump.c). state_rows runs one read-only
 * SELECT (at most 32 columns) and gives each row as text (NULL for NULL), valid during the call;
 * a nonzero return of fn stops it and is returned. state_begin_deferred begins a transaction
 * whose foreign keys (an alias's article) are checked at its commit. */
typedef int (*state_row_fn)(void *ud, int n, const char *const *v);
int state_rows(struct state *s, const char *sql, state_row_fn fn, void *ud);
int state_begin_deferred(struct state *s);

#endif
