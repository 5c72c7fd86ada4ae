/* SPDX-License-Identifier: MIT */
/* Reading a query's rows one at a time over a blocking libpq connection (the command line's
 * connections: pg_admin.c, state_dump_pg.c; the daemon reads through pg_conn.c on its loop). */
#ifndef FEEDSPOOL_PG_ROWS_H
#define FEEDSPOOL_PG_ROWS_H

#include <libpq-fe.h>

#include "buf.h"

typedef int (*pg_row_fn)(void *ud, const PGresult *r);

/* Runs sql (n text parameters p) and gives each row to fn as a one-row result, fetched a row at
 * a time (20,000 feeds or a long list of duplicates are never all in memory). A nonzero return
 * of fn stops the calls (the remaining rows are read and dropped) and is returned. -EIO with the
 * server's message in err when the query fails. */
int pg_rows_each(PGconn *pg, const char *sql, int n, const char *const *p, pg_row_fn fn,
		 void *ud, struct buf *err);

#endif
