/* SPDX-License-Identifier: MIT */
/* One PostgreSQL connection driven by the libuv loop: libpq's non-blocking connect and query
 * API on PQsocket() watched by a uv_poll_t, a FIFO of queries sent one at a time, and
 * reconnection with backoff when the server goes away. The loop never waits for the database.
 *
 * A query either completes (its callback gets the result, which the callback does not free)
 * or fails (the callback gets NULL and a message): while the server is away every query fails
 * at once, so callers stop their intake (nothing is lost: what was not recorded is fetched
 * again) and the connection probes the server with growing delays (0.25 s to 30 s). */
#ifndef FEEDSPOOL_PG_CONN_H
#define FEEDSPOOL_PG_CONN_H

#include <libpq-fe.h>
#include <uv.h>

struct pg_conn;

/* res: the query's result (PGRES_COMMAND_OK or PGRES_TUPLES_OK; borrowed for the call), or NULL
 * with err set (a server error, or the connection is down). */
typedef void (*pg_result_fn)(void *ud, const PGresult *res, const char *err);
/* The connection came up (up = 1) or went down (up = 0, msg says why). */
typedef void (*pg_state_fn)(void *ud, int up, const char *msg);

/* Starts connecting to uri (any libpq connection string or URI). NULL on allocation failure. */
struct pg_conn *pg_conn_new(uv_loop_t *loop, const char *uri, pg_state_fn on_state, void *ud);
/* Queues a query with text parameters (copied); fn is called exactly once, from the loop (never
 * from inside this call). 0, or -ENOMEM. */
int pg_conn_query(struct pg_conn *c, const char *sql, int nparams, const char *const *params,
		  pg_result_fn fn, void *ud);
/* The same, queued ahead of every queued query (not of one being answered). */
int pg_conn_query_first(struct pg_conn *c, const char *sql, int nparams,
			const char *const *params, pg_result_fn fn, void *ud);
/* The same, for one statement of a transaction: *pin (0 before its first statement) is set to
 * the connection's session when the first is sent; a later one finds the connection made again
 * since (its transaction gone with the old one) and fails with SQLSTATE 08006 instead of running
 * outside it. *pin must live until the last of them is answered. */
int pg_conn_query_pinned(struct pg_conn *c, unsigned *pin, const char *sql, int nparams,
			 const char *const *params, pg_result_fn fn, void *ud);
/* The SQLSTATE of the answer being given, valid in a pg_result_fn: "00000" for a result,
 * "08006" when the connection was lost (or is away), else the server's code (23505 a unique
 * violation, 40P01 a deadlock...). */
const char *pg_conn_sqlstate(const struct pg_conn *c);
/* Notifications (LISTEN/NOTIFY): listens on channel (a plain lower-case name; again after
 * every reconnection, first thing on the new connection) and calls fn for each notification on
 * it, from the loop, with its payload (borrowed for the call). Notifications sent while the
 * connection was away are lost: the caller looks for work when it comes back (pg_state_fn;
 * reported once the connection is made, its LISTEN first in the queue: a query queued then is
 * answered after the LISTEN, a NOTIFY sent before that answer may not be seen).
 * One channel per connection; 0, -EINVAL for a bad name, or -ENOMEM. */
typedef void (*pg_notify_fn)(void *ud, const char *payload);
int pg_conn_listen(struct pg_conn *c, const char *channel, pg_notify_fn fn, void *ud);
/* 1 when connected and idle-or-working, 0 while connecting or away. */
int pg_conn_up(const struct pg_conn *c);
/* From now on c keeps its loop alive only while queries are queued or in flight (connecting,
 * watching an idle connection and waiting to reconnect do not): a daemon's loop ends when its
 * work is done, as it does without a database. */
void pg_conn_weak(struct pg_conn *c);
/* Queries queued or in flight. */
unsigned pg_conn_pending(const struct pg_conn *c);
/* Fails every queued query, closes the connection and frees c once its handles are closed. */
void pg_conn_free(struct pg_conn *c);

#endif
