/* SPDX-License-Identifier: MIT */
/* A query's rows one at a time over a blocking libpq connection (pg_rows.h). */
#include "autoconfig.h"

#include <errno.h>

#include "pg_rows.h"

int pg_rows_each(PGconn *pg, const char *sql, int n, const char *const *p, pg_row_fn fn,
		 void *ud, struct buf *err)
{
	PGresult *r;
	int rc = 0;

	if (!PQsendQueryParams(pg, sql, n, NULL, p, NULL, NULL, 0) || !PQsetSingleRowMode(pg)) {
		buf_printf(err, "%s", PQerrorMessage(pg));
		return -EIO;
	}
	while ((r = PQgetResult(pg))) {
		ExecStatusType t = PQresultStatus(r);

		if (t == PGRES_SINGLE_TUPLE && rc == 0) {
			rc = fn(ud, r);
		} else if (t != PGRES_SINGLE_TUPLE && t != PGRES_TUPLES_OK &&
			   t != PGRES_COMMAND_OK && rc == 0) {
			buf_printf(err, "%s", PQresultErrorMessage(r));
			rc = -EIO;
		}
		PQclear(r); /* every result is read, even after a failure */
	}
	return rc;
}
