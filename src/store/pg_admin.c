/* SPDX-License-Identifier: MIT */
/* Read-only queries over a PostgreSQL state for the command line (pg_admin.h). */
#include "autoconfig.h"

#include <errno.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#include "pg_admin.h"
#include "pg_feeds.h"
#include "pg_rows.h"

struct pg_admin {
	PGconn *pg;
	int version;
};

/* Runs sql over a's connection (pg_rows_each). */
static int rows(struct pg_admin *a, const char *sql, int n, const char *const *p, pg_row_fn fn,
		void *ud, struct buf *err)
{
	return pg_rows_each(a->pg, sql, n, p, fn, ud, err);
}

static int on_int(void *ud, const PGresult *r)
{
	*(int *)ud = PQgetisnull(r, 0, 0) ? -1 : atoi(PQgetvalue(r, 0, 0));
	return 0;
}

/* The schema's version: -1 when the database holds no feedspool state. */
static int read_version(struct pg_admin *a, struct buf *err)
{
	int v = -1, rc;

	rc = rows(a, "SELECT CASE WHEN to_regclass('feedspool_schema') IS NULL THEN -1 ELSE 0 END",
		  0, NULL, on_int, &v, err);
	if (rc == 0 && v == 0) /* the table is there */
		rc = rows(a, "SELECT max(version) FROM feedspool_schema", 0, NULL, on_int, &v, err);
	return rc < 0 ? rc : v;
}

/* A connection string whose connect_timeout the URI's own overrides: expand_dbname reads the
 * URI in place of dbname, after the keywords before it. */
static PGconn *connect_ro(const char *uri)
{
	static const char *const keys[] = {"connect_timeout", "dbname", "fallback_application_name",
					   NULL};
	const char *values[] = {PG_ADMIN_CONNECT_TIMEOUT, uri, "feedspool", NULL};

	return PQconnectdbParams(keys, values, 1);
}

/* Connects; need_state: a database without feedspool's schema is refused. */
static struct pg_admin *open_any(const char *uri, int need_state, struct buf *err)
{
	struct pg_admin *a = calloc(1, sizeof *a);
	PGresult *r;
	int ok;

	if (!a) {
		buf_printf(err, "out of memory");
		return NULL;
	}
	a->pg = connect_ro(uri);
	if (!a->pg || PQstatus(a->pg) != CONNECTION_OK) {
		buf_printf(err, "%s", a->pg ? PQerrorMessage(a->pg) : "out of memory");
		goto fail;
	}
	/* nothing here writes; the server makes sure of it */
	r = PQexec(a->pg, "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY");
	ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		buf_printf(err, "%s", PQresultErrorMessage(r));
	PQclear(r);
	if (!ok || (a->version = read_version(a, err)) < -1)
		goto fail;
	if (a->version < 0 && need_state) {
		buf_printf(err,
			   "the database holds no feedspool state (the daemon creates it when it "
			   "first starts on it, or `feedspool state import` fills it)");
		goto fail;
	}
	if (a->version > PG_SCHEMA_VERSION) {
		buf_printf(err,
			   "the database holds schema version %d, newer than this feedspool "
			   "(%d)",
			   a->version, PG_SCHEMA_VERSION);
		goto fail;
	}
	return a;
fail:
	buf_rtrim(err); /* libpq ends its messages with a newline */
	pg_admin_close(a);
	return NULL;
}

struct pg_admin *pg_admin_open(const char *uri, struct buf *err)
{
	return open_any(uri, 1, err);
}

int pg_admin_check(const char *uri, struct buf *err)
{
	struct pg_admin *a = open_any(uri, 0, err);
	int v = a ? a->version : -EIO;

	pg_admin_close(a);
	return v < -1 ? v : v < 0 ? 0 : v;
}

void pg_admin_close(struct pg_admin *a)
{
	if (!a)
		return;
	PQfinish(a->pg);
	free(a);
}

int pg_admin_version(const struct pg_admin *a)
{
	return a->version;
}

struct feed_walk {
	int (*fn)(void *ud, const struct feed_state *f);
	void *ud;
};

static int on_feed(void *ud, const PGresult *r)
{
	struct feed_walk *w = ud;
	struct feed_state f;
	int rc;

	pg_feeds_row(r, 0, &f);
	rc = f.name ? w->fn(w->ud, &f) : -ENOMEM;
	feed_state_fini(&f);
	return rc;
}

int pg_admin_feed_each(struct pg_admin *a, int (*fn)(void *ud, const struct feed_state *f),
		       void *ud, struct buf *err)
{
	struct feed_walk w = {fn, ud};

	return rows(a, "SELECT " PG_FEED_COLUMNS " FROM feeds ORDER BY name", 0, NULL, on_feed, &w,
		    err);
}

struct lease_walk {
	pg_admin_lease_fn fn;
	void *ud;
};

static int on_lease(void *ud, const PGresult *r)
{
	struct lease_walk *w = ud;

	return w->fn(w->ud, PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1),
		     strtoll(PQgetvalue(r, 0, 2), NULL, 10));
}

int pg_admin_lease_each(struct pg_admin *a, pg_admin_lease_fn fn, void *ud, struct buf *err)
{
	struct lease_walk w = {fn, ud};

	return rows(a,
		    "SELECT name, lease_owner, lease_expires FROM feeds WHERE lease_owner IS NOT"
		    " NULL AND lease_expires > extract(epoch FROM clock_timestamp())::bigint"
		    " ORDER BY name",
		    0, NULL, on_lease, &w, err);
}

static int on_text(void *ud, const PGresult *r)
{
	char **out = ud;

	if (PQgetisnull(r, 0, 0))
		return 0;
	return (*out = strdup(PQgetvalue(r, 0, 0))) ? 1 : -ENOMEM;
}

int pg_admin_meta_get(struct pg_admin *a, const char *key, char **value, struct buf *err)
{
	*value = NULL;
	if (a->version < 2) /* version 1 had no meta table */
		return 0;
	return rows(a, "SELECT value FROM meta WHERE key = $1", 1, (const char *const[]){key},
		    on_text, value, err);
}

struct why_walk {
	state_why_fn fn;
	void *ud;
};

static const char *text_or_null(const PGresult *r, int i)
{
	return PQgetisnull(r, 0, i) ? NULL : PQgetvalue(r, 0, i);
}

static int on_why(void *ud, const PGresult *r)
{
	struct why_walk *w = ud;
	struct state_why y = {text_or_null(r, 0), text_or_null(r, 1),
			      text_or_null(r, 2), text_or_null(r, 3),
			      text_or_null(r, 4), strtoll(PQgetvalue(r, 0, 5), NULL, 10),
			      text_or_null(r, 6), text_or_null(r, 7)};

	return w->fn(w->ud, &y);
}

int pg_admin_why_each(struct pg_admin *a, const char *feed, state_why_fn fn, void *ud,
		      struct buf *err)
{
	/* state.c's query: an alias with its rule, and the article it matched (if not expired) */
	static const char sql[] =
	    "SELECT a.id, a.feed, a.guid, a.alias_of, a.why, a.first_seen, o.feed, o.guid"
	    " FROM seen a LEFT JOIN seen o ON o.id = a.alias_of"
	    " WHERE a.status = 3 AND a.why IS NOT NULL AND ($1::text IS NULL OR a.feed = $1)"
	    " ORDER BY a.id";
	struct why_walk w = {fn, ud};

	if (a->version < 2) /* version 1 had no seen set */
		return 0;
	return rows(a, sql, 1, (const char *const[]){feed}, on_why, &w, err);
}
