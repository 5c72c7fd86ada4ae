/* SPDX-License-Identifier: MIT */
/* The shared feed list in PostgreSQL: schema, reconcile, leases (pg_feeds.h). */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_feeds.h"
#include "pg_schema.h"
#include "url.h"

/* Version 1. config_url is the address the configuration names (a changed one starts the feed
 * afresh); url is where it is fetched now (a permanent redirect moves it). */
static const char schema_v1[] =
	"CREATE TABLE feedspool_schema (version integer NOT NULL);"
	"INSERT INTO feedspool_schema VALUES (0);"
	"CREATE TABLE feeds ("
	" name text PRIMARY KEY, config_url text NOT NULL, url text NOT NULL,"
	" etag text, last_modified text,"
	" last_fetch bigint NOT NULL DEFAULT 0, last_success bigint NOT NULL DEFAULT 0,"
	" last_status integer NOT NULL DEFAULT 0, last_result text,"
	" failures integer NOT NULL DEFAULT 0, articles_seen bigint NOT NULL DEFAULT 0,"
	" next_due bigint NOT NULL DEFAULT 0, due_reason text,"
	" retired boolean NOT NULL DEFAULT false, moved_from text, pending_url text,"
	" removed boolean NOT NULL DEFAULT false,"
	" lease_owner text, lease_no bigint NOT NULL DEFAULT 0,"
	" lease_expires bigint NOT NULL DEFAULT 0);"
	"CREATE INDEX feeds_due ON feeds (next_due) WHERE NOT retired AND NOT removed;";

/* Every migration runs in one statement (a DO block is one transaction) under an advisory lock,
 * and only from the version it expects: an instance that starts beside another waits for the
 * lock, then finds the work done. PQsendQueryParams takes one statement only. */
static const char migrate_sql[] =
	"DO $m$ DECLARE v integer; BEGIN"
	"  PERFORM pg_advisory_xact_lock(4242017);"
	"  IF to_regclass('feedspool_schema') IS NULL THEN EXECUTE %s; END IF;"
	"  SELECT version INTO v FROM feedspool_schema;"
	"  IF v > %d THEN RAISE EXCEPTION 'the database holds schema version %%, newer than this"
	" feedspool (%d)', v; END IF;"
	"  IF v < 1 THEN UPDATE feedspool_schema SET version = 1; END IF;"
	"  IF v < 2 THEN EXECUTE %s; UPDATE feedspool_schema SET version = 2; END IF;"
	"  IF v < 3 THEN EXECUTE %s; UPDATE feedspool_schema SET version = 3; END IF;"
	"END $m$";

struct op {
	void (*done)(void *ud, int rc, const char *err);
	pg_claim_fn claimed;
	void *ud;
};

static struct op *op_new(void (*done)(void *, int, const char *), pg_claim_fn claimed, void *ud)
{
	struct op *o = calloc(1, sizeof *o);

	if (o) {
		o->done = done;
		o->claimed = claimed;
		o->ud = ud;
	}
	return o;
}

/* Answers 0 for a command that ran, err for one that failed. */
static void on_done(void *ud, const PGresult *res, const char *err)
{
	struct op *o = ud;

	o->done(o->ud, res ? 0 : -EPROTO, err);
	free(o);
}

/* Answers 0 when the statement touched a row (the lease still held), PG_LEASE_STALE when not. */
static void on_leased(void *ud, const PGresult *res, const char *err)
{
	struct op *o = ud;

	if (!res)
		o->done(o->ud, -EPROTO, err);
	else
		o->done(o->ud, atoi(PQcmdTuples((PGresult *)res)) > 0 ? 0 : PG_LEASE_STALE, NULL);
	free(o);
}

static int submit(struct pg_conn *c, const char *sql, int n, const char *const *params,
		pg_result_fn fn, struct op *o)
{
	if (!o)
		return -ENOMEM;
	if (pg_conn_query(c, sql, n, params, fn, o) < 0) {
		free(o);
		return -ENOMEM;
	}
	return 0;
}

/* A script as a dollar-quoted literal for EXECUTE: a new string, NULL when memory runs out. */
static char *quote_script(const char *script)
{
	size_t n = strlen(script) + 8;
	char *q = malloc(n);

	if (q)
		snprintf(q, n, "$s$%s$s$", script);
	return q;
}

int pg_feeds_migrate(struct pg_conn *c, void (*done)(void *ud, int rc, const char *err), void *ud)
{
	char *q1 = quote_script(schema_v1), *q2 = quote_script(pg_schema_v2);
	char *q3 = quote_script(pg_schema_v3), *sql = NULL;
	size_t n;
	int rc = -ENOMEM;

	if (!q1 || !q2 || !q3)
		goto out;
	n = sizeof migrate_sql + strlen(q1) + strlen(q2) + strlen(q3) + 32;
	if (!(sql = malloc(n)))
		goto out;
	snprintf(sql, n, migrate_sql, q1, PG_SCHEMA_VERSION, PG_SCHEMA_VERSION, q2, q3);
	rc = submit(c, sql, 0, NULL, on_done, op_new(done, NULL, ud));
out:
	free(q1);
	free(q2);
	free(q3);
	free(sql);
	return rc;
}

int pg_feeds_reconcile(struct pg_conn *c, const struct pg_feed_conf *feeds, size_t n,
		       void (*done)(void *ud, int rc, const char *err), void *ud)
{
	static const char sql[] =
		"WITH conf AS (SELECT * FROM json_to_recordset($1::json)"
		"  AS x(name text, url text, host text)),"
		" up AS (INSERT INTO feeds (name, config_url, url, host, next_due, due_reason)"
		"  SELECT name, url, url, host, 0, 'new feed' FROM conf"
		"  ON CONFLICT (name) DO UPDATE SET removed = false,"
		"   config_url = EXCLUDED.config_url,"
		"   url = CASE WHEN feeds.config_url = EXCLUDED.config_url THEN feeds.url ELSE EXCLUDED.url END,"
		"   host = CASE WHEN feeds.config_url = EXCLUDED.config_url"
		"    THEN COALESCE(feeds.host, EXCLUDED.host) ELSE EXCLUDED.host END,"
		"   etag = CASE WHEN feeds.config_url = EXCLUDED.config_url THEN feeds.etag END,"
		"   last_modified = CASE WHEN feeds.config_url = EXCLUDED.config_url THEN feeds.last_modified END,"
		"   retired = feeds.retired AND feeds.config_url = EXCLUDED.config_url,"
		"   moved_from = CASE WHEN feeds.config_url = EXCLUDED.config_url THEN feeds.moved_from END,"
		"   next_due = CASE WHEN feeds.config_url = EXCLUDED.config_url THEN feeds.next_due ELSE 0 END"
		"  RETURNING next_due, retired),"
		" gone AS (UPDATE feeds SET removed = true"
		"  WHERE NOT removed AND name NOT IN (SELECT name FROM conf) RETURNING 1)"
		" SELECT pg_notify('" PG_DUE_CHANNEL "', '') FROM (SELECT count(*) AS n FROM up"
		"  WHERE NOT retired AND next_due <= extract(epoch FROM clock_timestamp())) x"
		" WHERE x.n > 0";
	json_t *arr = json_array();
	char *text = NULL, *host;
	int rc = -ENOMEM;

	if (!arr)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		host = url_host(feeds[i].url); /* NULL: a file: URL, no host to be polite to */
		if (json_array_append_new(arr, json_pack("{ssssss*}", "name", feeds[i].name, "url",
							  feeds[i].url, "host", host)) < 0) {
			free(host);
			goto out;
		}
		free(host);
	}
	if (!(text = json_dumps(arr, JSON_COMPACT)))
		goto out;
	rc = submit(c, sql, 1, (const char *const[]){text}, on_done, op_new(done, NULL, ud));
out:
	free(text);
	json_decref(arr);
	return rc;
}

static char *col(const PGresult *r, int row, int i)
{
	return PQgetisnull(r, row, i) ? NULL : strdup(PQgetvalue(r, row, i));
}

static int64_t col_i(const PGresult *r, int row, int i)
{
	return PQgetisnull(r, row, i) ? 0 : strtoll(PQgetvalue(r, row, i), NULL, 10);
}

#define FEED_COLUMNS PG_FEED_COLUMNS

void pg_feeds_row(const PGresult *r, int row, struct feed_state *f)
{
	feed_state_init(f);
	f->name = col(r, row, 0);
	f->url = col(r, row, 1);
	f->etag = col(r, row, 2);
	f->last_modified = col(r, row, 3);
	f->last_fetch = col_i(r, row, 4);
	f->last_success = col_i(r, row, 5);
	f->last_status = (int)col_i(r, row, 6);
	f->last_result = col(r, row, 7);
	f->failures = (int)col_i(r, row, 8);
	f->articles_seen = col_i(r, row, 9);
	f->next_due = col_i(r, row, 10);
	f->due_reason = col(r, row, 11);
	f->retired = PQgetvalue(r, row, 12)[0] == 't';
	f->moved_from = col(r, row, 13);
	f->pending_url = col(r, row, 14);
}

static void on_claimed(void *ud, const PGresult *res, const char *err)
{
	struct op *o = ud;
	struct pg_lease *l = NULL;
	int rows = res ? PQntuples(res) : 0;
	size_t n = 0;
	int64_t next = 0;

	if (res && !(l = calloc(rows ? rows : 1, sizeof *l)))
		err = "out of memory";
	for (int i = 0; l && i < rows; i++) {
		next = col_i(res, i, 17);
		if (PQgetisnull(res, i, 0))
			continue; /* nothing claimed: the row only says when to look again */
		pg_feeds_row(res, i, &l[n].st);
		l[n].lease_no = col_i(res, i, 15);
		l[n].expires = col_i(res, i, 16);
		l[n].st.lease_no = l[n].lease_no;
		n++;
	}
	o->claimed(o->ud, l, n, next, l ? NULL : err);
	for (size_t i = 0; l && i < n; i++)
		feed_state_fini(&l[i].st);
	free(l);
	free(o);
}

#define NOW_PARAM "COALESCE($2::bigint, extract(epoch FROM clock_timestamp())::bigint)"

int pg_feeds_claim(struct pg_conn *c, const char *owner, int64_t now, int lease_s, int limit,
		   int per_host, pg_claim_fn done, void *ud)
{
	static const char sql[] =
		"SELECT * FROM feedspool_claim($1, " NOW_PARAM ", $3::bigint, $4::integer,"
		" $5::integer)";
	char snow[24], slease[16], slimit[16], shost[16];

	snprintf(snow, sizeof snow, "%" PRId64, now);
	snprintf(slease, sizeof slease, "%d", lease_s);
	snprintf(slimit, sizeof slimit, "%d", limit);
	snprintf(shost, sizeof shost, "%d", per_host);
	return submit(c, sql, 5,
		      (const char *const[]){owner, now < 0 ? NULL : snow, slease, slimit, shost},
		      on_claimed, op_new(NULL, done, ud));
}

const char pg_feeds_save_sql[] =
	"UPDATE feeds SET url = $3, etag = $4, last_modified = $5, last_fetch = $6,"
	" last_success = $7, last_status = $8, last_result = $9, failures = $10,"
	" articles_seen = $11, next_due = $12, due_reason = $13, retired = $14,"
	" moved_from = $15, pending_url = $16, host = COALESCE($17, host), lease_owner = NULL,"
	" lease_expires = 0"
	" WHERE name = $1 AND lease_no = $2 AND lease_owner IS NOT NULL";

void pg_feeds_save_args(struct pg_save_args *a, const struct feed_state *st, int64_t lease_no)
{
	int64_t nums[] = {lease_no, st->last_fetch, st->last_success, st->last_status,
			  st->failures, st->articles_seen, st->next_due};

	for (int i = 0; i < 7; i++)
		snprintf(a->num[i], sizeof a->num[i], "%" PRId64, nums[i]);
	a->host = st->url ? url_host(st->url) : NULL;
	const char *p[PG_SAVE_NPARAMS] = {
		st->name, a->num[0], st->url, st->etag, st->last_modified, a->num[1], a->num[2],
		a->num[3], st->last_result, a->num[4], a->num[5], a->num[6], st->due_reason,
		st->retired ? "true" : "false", st->moved_from, st->pending_url, a->host};
	memcpy(a->p, p, sizeof p);
}

int pg_feeds_save(struct pg_conn *c, const struct feed_state *st, int64_t lease_no,
		  void (*done)(void *ud, int rc, const char *err), void *ud)
{
	struct pg_save_args a;
	int rc;

	pg_feeds_save_args(&a, st, lease_no);
	rc = submit(c, pg_feeds_save_sql, PG_SAVE_NPARAMS, a.p, on_leased, op_new(done, NULL, ud));
	free(a.host);
	return rc;
}

int pg_feeds_renew(struct pg_conn *c, const char *name, int64_t lease_no, int64_t now, int lease_s,
		   void (*done)(void *ud, int rc, const char *err), void *ud)
{
	static const char sql[] = "UPDATE feeds SET lease_expires = " NOW_PARAM " + $3::bigint"
				  " WHERE name = $1 AND lease_no = $4 AND lease_owner IS NOT NULL";
	char snow[24], slease[16], sno[24];

	snprintf(snow, sizeof snow, "%" PRId64, now);
	snprintf(slease, sizeof slease, "%d", lease_s);
	snprintf(sno, sizeof sno, "%" PRId64, lease_no);
	return submit(c, sql, 4, (const char *const[]){name, now < 0 ? NULL : snow, slease, sno},
		    on_leased, op_new(done, NULL, ud));
}

int pg_feeds_renew_all(struct pg_conn *c, const char *leases_json, int lease_s,
		       void (*done)(void *ud, int rc, const char *err), void *ud)
{
	static const char sql[] =
		"UPDATE feeds f SET lease_expires = extract(epoch FROM clock_timestamp())::bigint"
		" + $2::bigint FROM json_to_recordset($1::json) AS x(name text, no bigint)"
		" WHERE f.name = x.name AND f.lease_no = x.no AND f.lease_owner IS NOT NULL";
	char slease[16];

	snprintf(slease, sizeof slease, "%d", lease_s);
	return submit(c, sql, 2, (const char *const[]){leases_json, slease}, on_done,
		      op_new(done, NULL, ud));
}

int pg_feeds_release(struct pg_conn *c, const char *name, int64_t lease_no, int postpone_s,
		     void (*done)(void *ud, int rc, const char *err), void *ud)
{
	static const char sql[] =
		"UPDATE feeds SET lease_owner = NULL, lease_expires = 0, next_due = GREATEST(next_due,"
		" extract(epoch FROM clock_timestamp())::bigint + $3::bigint)"
		" WHERE name = $1 AND lease_no = $2 AND lease_owner IS NOT NULL";
	char sno[24], spost[16];

	snprintf(sno, sizeof sno, "%" PRId64, lease_no);
	snprintf(spost, sizeof spost, "%d", postpone_s);
	return submit(c, sql, 3, (const char *const[]){name, sno, spost}, on_leased,
		      op_new(done, NULL, ud));
}

int pg_feeds_release_owner(struct pg_conn *c, const char *owner, const char *keep_json,
			   void (*done)(void *ud, int rc, const char *err), void *ud)
{
	static const char sql[] =
		"UPDATE feeds f SET lease_owner = NULL, lease_expires = 0 WHERE f.lease_owner = $1"
		" AND NOT EXISTS (SELECT 1 FROM json_to_recordset(COALESCE($2::json, '[]'))"
		"  AS x(name text, no bigint) WHERE x.name = f.name AND x.no = f.lease_no)";

	struct op *o = op_new(done, NULL, ud);

	if (!keep_json)
		return submit(c, sql, 2, (const char *const[]){owner, keep_json}, on_done, o);
	/* ahead of a claim queued while the connection was being made again: run after it, this
	 * would end the leases that claim took */
	if (!o || pg_conn_query_first(c, sql, 2, (const char *const[]){owner, keep_json}, on_done,
				      o) < 0) {
		free(o);
		return -ENOMEM;
	}
	return 0;
}

const char pg_feeds_hold_sql[] =
	"INSERT INTO hosts (host, hold_until) VALUES ($1, $2::bigint) ON CONFLICT (host)"
	" DO UPDATE SET hold_until = GREATEST(hosts.hold_until, EXCLUDED.hold_until)";

int pg_feeds_hold(struct pg_conn *c, const char *host, int64_t until,
		  void (*done)(void *ud, int rc, const char *err), void *ud)
{
	char su[24];

	snprintf(su, sizeof su, "%" PRId64, until);
	return submit(c, pg_feeds_hold_sql, 2, (const char *const[]){host, su}, on_done,
		      op_new(done, NULL, ud));
}

int pg_feeds_refresh(struct pg_conn *c, const char *name,
		     void (*done)(void *ud, int rc, const char *err), void *ud)
{
	static const char sql[] =
		"WITH u AS (UPDATE feeds SET next_due = extract(epoch FROM clock_timestamp())::bigint,"
		"  due_reason = 'refresh (feedspool ctl)'"
		"  WHERE ($1::text IS NULL OR name = $1) AND NOT removed AND NOT retired RETURNING 1)"
		" SELECT pg_notify('" PG_DUE_CHANNEL "', '') FROM (SELECT count(*) AS n FROM u) x"
		" WHERE x.n > 0";

	return submit(c, sql, 1, (const char *const[]){name}, on_done, op_new(done, NULL, ud));
}
