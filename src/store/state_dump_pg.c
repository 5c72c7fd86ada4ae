/* SPDX-License-Identifier: MIT */
/* PostgreSQL's side of state export and import: a blocking connection for the command line. */
#include "autoconfig.h"

#include <errno.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <uv.h>

#include "pg_feeds.h"
#include "pg_rows.h"
#include "state_dump.h"

struct state_dump_pg {
	PGconn *pg;
};

struct migrated {
	int done, rc;
	struct buf *err;
};

static void on_migrated(void *ud, int rc, const char *err)
{
	struct migrated *m = ud;

	m->done = 1;
	m->rc = rc;
	if (rc < 0)
		buf_printf(m->err, "%s", err ? err : "migration failed");
}

/* The daemon's migration (pg_feeds.c, under its advisory lock), run to its end on a loop of its
 * own. */
static int migrate(const char *uri, struct buf *err)
{
	struct migrated m = {0, 0, err};
	struct pg_conn *c;
	uv_loop_t loop;
	int rc = -ENOMEM;

	if (uv_loop_init(&loop) < 0)
		return -ENOMEM;
	if ((c = pg_conn_new(&loop, uri, NULL, NULL))) {
		if ((rc = pg_feeds_migrate(c, on_migrated, &m)) == 0)
			while (!m.done)
				uv_run(&loop, UV_RUN_ONCE);
		rc = rc < 0 ? rc : m.rc;
		pg_conn_free(c);
	}
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	return rc;
}

struct state_dump_pg *state_dump_pg_open(const char *uri, int migrate_first, struct buf *err)
{
	struct state_dump_pg *d;

	if (migrate_first && migrate(uri, err) < 0)
		return NULL;
	if (!(d = calloc(1, sizeof *d)))
		return NULL;
	d->pg = PQconnectdb(uri);
	if (PQstatus(d->pg) != CONNECTION_OK) {
		buf_printf(err, "%s", PQerrorMessage(d->pg));
		state_dump_pg_close(d);
		return NULL;
	}
	return d;
}

struct row_call {
	int (*fn)(void *ud, int n, const char *const *v);
	void *ud;
};

static int on_row(void *ud, const PGresult *r)
{
	struct row_call *c = ud;
	const char *v[32];
	int n = PQnfields(r) > 32 ? 32 : PQnfields(r);

	for (int i = 0; i < n; i++)
		v[i] = PQgetisnull(r, 0, i) ? NULL : PQgetvalue(r, 0, i);
	return c->fn(c->ud, n, v);
}

int state_dump_pg_rows(struct state_dump_pg *d, const char *sql,
		       int (*fn)(void *ud, int n, const char *const *v), void *ud,
		       struct buf *err)
{
	struct row_call c = {fn, ud};

	return pg_rows_each(d->pg, sql, 0, NULL, on_row, &c, err);
}

int state_dump_pg_exec(struct state_dump_pg *d, const char *sql, int n, const char *const *p,
		       struct buf *err)
{
	PGresult *r = PQexecParams(d->pg, sql, n, NULL, p, NULL, NULL, 0);
	int rc = 0;

	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
		buf_printf(err, "%s", PQresultErrorMessage(r));
		rc = -EIO;
	}
	PQclear(r);
	return rc;
}

void state_dump_pg_close(struct state_dump_pg *d)
{
	if (!d)
		return;
	PQfinish(d->pg);
	free(d);
}
