/* SPDX-License-Identifier: MIT */
/* `feedspool state export` and `import`: everything a store holds as lines of JSON, one record a
 * line, the same from SQLite and from PostgreSQL, so that a state moves between them.
 *
 * The first line is {"type":"feedspool-state","version":1}; then, each kind in key order (bytes):
 *   {"type":"feed","name":...,"url":...,"etag":...,...}     the feed's state (struct feed_state)
 *   {"type":"seen","id":...,"feed":...,"guid":...,"simhash":N,"status":N,"alias_of":...,
 *    "first_seen":N,"last_seen":N,"content_hash":N,"revision":N,"sketch":"hex","why":...,
 *    "keys":[N,...]}                                      an article and its lookup keys
 *   {"type":"boiler","feed":...,"h":N,"n":N,"last_seen":N}  a boilerplate sentence's count
 *   {"type":"meta","key":...,"value":...}                   a named value (filter counters)
 * 64-bit hashes are written as signed integers (their two's complement), absent values as null. */
#ifndef FEEDSPOOL_STATE_DUMP_H
#define FEEDSPOOL_STATE_DUMP_H

#include <stdio.h>

#include "buf.h"

#define STATE_DUMP_VERSION 1

/* Writes the state at where (a SQLite file, or a postgresql:// URI) to out. The number of
 * records written, or negative with a message in err. */
long state_dump_export(const char *where, FILE *out, struct buf *err);
/* Loads records from in (named name in messages) into the state at where, created or migrated
 * first, in one transaction: all of them or none. Refused when the target's seen set is not
 * empty. config_url (may be NULL) gives the URL the configuration names for a feed (NULL when
 * it names none): PostgreSQL keeps it beside the URL fetched now, which a permanent redirect
 * may have moved, so that the daemon's reconcile sees no change. The number of records loaded,
 * or negative with a message naming the line in err. */
typedef const char *(*state_dump_url_fn)(void *ud, const char *feed);
long state_dump_import(const char *where, FILE *in, const char *name, state_dump_url_fn config_url,
		       void *ud, struct buf *err);

/* PostgreSQL's side (state_dump_pg.c): a blocking connection, for the command line only. */
struct state_dump_pg;
struct state_dump_pg *state_dump_pg_open(const char *uri, int migrate, struct buf *err);
/* Rows of a SELECT as text (as state_rows), fetched a row at a time. */
int state_dump_pg_rows(struct state_dump_pg *d, const char *sql,
		       int (*fn)(void *ud, int n, const char *const *v), void *ud,
		       struct buf *err);
/* One statement with text parameters (NULL: SQL NULL). 0 or -EIO with the server's message. */
int state_dump_pg_exec(struct state_dump_pg *d, const char *sql, int n, const char *const *p,
		       struct buf *err);
void state_dump_pg_close(struct state_dump_pg *d);

#endif
