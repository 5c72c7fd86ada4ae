/* SPDX-License-Identifier: MIT */
/* The store interface over PostgreSQL (store_pg.h): batches as transactions, reads from the loop. */
#include "autoconfig.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pg_feeds.h"
#include "smap.h"
#include "store_pg.h"

struct pg_store;

/* One open batch: its transaction's connection session (pg_conn_query_pinned) and its first
 * failure. Freed once its COMMIT or ROLLBACK answers, the last of its statements (the
 * connection answers in order). */
struct pg_batch {
	struct pg_store *ps;
	unsigned pin;
	int rc;
	int commit;
	store_done_fn done;
	void *ud;
};

struct pg_store {
	struct store s;
	struct pg_conn *c;
	char *uri, *instance;
	struct pg_batch *batch; /* the open one, if any */
	unsigned inflight;	/* operations not yet answered: the store lives until they are */
	int closed;
	struct store_pg_counts counts;
	int legacy_ids; /* meta v3_ids, read by store_pg_preload */
	/* store_pg_preload's table: feed_get answers from it at once */
	struct smap feeds; /* name -> one of rows */
	struct feed_state *rows;
	size_t n_rows;
	int preloaded;
	char err[512];
};

enum op_kind { OP_WRITE, OP_END, OP_FEED, OP_SEEN, OP_KNOWN, OP_NEAR, OP_BOILER };

/* One query's answer on its way to the caller. */
struct pg_op {
	struct pg_store *ps;
	struct pg_batch *b;
	enum op_kind kind;
	store_feed_fn feed;
	store_seen_fn seen;
	state_candidate_fn each;
	store_boiler_fn boiler;
	store_done_fn done;
	void *ud;
	char *name; /* a leased save's feed */
	int64_t lease_no;
};

static struct pg_store *ps_of(const struct store *s)
{
	return s->impl;
}

static void preload_drop(struct pg_store *ps);

static void ps_free(struct pg_store *ps)
{
	preload_drop(ps);
	free(ps->uri);
	free(ps->instance);
	free(ps);
}

/* SQLSTATE to the store's codes (store.h). */
static int map_state(const char *code)
{
	if (!strncmp(code, "08", 2) || !strcmp(code, "40P01") || !strcmp(code, "40001") ||
	    !strcmp(code, "55P03") || !strncmp(code, "57P", 3) || !strcmp(code, "25P02"))
		return -EBUSY; /* connection, deadlock, serialization, lock, shutdown, a batch that
				* failed: retry */
	if (!strcmp(code, "23505"))
		return -EEXIST;
	if (!strcmp(code, "23503"))
		return -ENOENT;
	if (!strncmp(code, "53", 2))
		return -ENOSPC;
	return -EIO;
}

static void set_err(struct pg_store *ps, const char *err)
{
	snprintf(ps->err, sizeof ps->err, "%s", err && *err ? err : "database error");
	ps->err[strcspn(ps->err, "\n")] = '\0';
}

static struct pg_op *op_new(struct pg_store *ps, enum op_kind kind, void *ud)
{
	struct pg_op *o = calloc(1, sizeof *o);

	if (o) {
		o->ps = ps;
		o->kind = kind;
		o->ud = ud;
		ps->inflight++;
	}
	return o;
}

static void op_end(struct pg_op *o)
{
	struct pg_store *ps = o->ps;

	free(o->name);
	free(o);
	if (--ps->inflight == 0 && ps->closed)
		ps_free(ps);
}

/* Queues o's query (pinned to the batch's transaction when o->b); -ENOMEM frees o. */
static int submit(struct pg_op *o, const char *sql, int n, const char *const *p, pg_result_fn fn)
{
	int rc = pg_conn_query_pinned(o->ps->c, o->b ? &o->b->pin : NULL, sql, n, p, fn, o);

	if (rc < 0)
		op_end(o);
	return rc;
}

/* A write answered. A failure fails its batch: the server aborted the transaction (a unique
 * violation when a reservation finds its id taken), so its COMMIT will roll back. */
static void on_write(void *ud, const PGresult *res, const char *err)
{
	struct pg_op *o = ud;
	struct pg_store *ps = o->ps;

	if (!res) {
		int rc = map_state(pg_conn_sqlstate(ps->c));

		set_err(ps, err);
		if (o->b && o->b->rc == 0)
			o->b->rc = rc;
	}
	op_end(o);
}

/* The batch's COMMIT (or ROLLBACK) answered: what commit's callback is told. */
static void on_end(void *ud, const PGresult *res, const char *err)
{
	struct pg_op *o = ud;
	struct pg_store *ps = o->ps;
	struct pg_batch *b = o->b;
	int rc = b->rc;

	if (rc == 0 && !res) {
		rc = map_state(pg_conn_sqlstate(ps->c));
		set_err(ps, err);
	} else if (rc == 0 && b->commit && strcmp(PQcmdStatus((PGresult *)res), "COMMIT") != 0) {
		rc = -EIO; /* the server rolled it back */
		set_err(ps, "the transaction was rolled back");
	}
	if (b->done && !ps->closed)
		b->done(b->ud, b->commit ? rc : 0);
	free(b);
	op_end(o);
}

/* Sends the batch's end at once (reads queued after it see the outcome): COMMIT, or ROLLBACK
 * when a write could not even be queued. */
static void batch_end(struct pg_store *ps, int commit, store_done_fn done, void *ud)
{
	struct pg_batch *b = ps->batch;
	struct pg_op *o = op_new(ps, OP_END, NULL);
	int ok = commit && b->rc == 0;

	ps->batch = NULL;
	b->commit = commit;
	b->done = done;
	b->ud = ud;
	if (o) {
		o->b = b;
		ps->counts.batches++;
		if (submit(o, ok ? "COMMIT" : "ROLLBACK", 0, NULL, on_end) == 0)
			return;
	}
	/* the transaction stays open on the server until the connection goes: nothing counts */
	if (done && !ps->closed)
		done(ud, commit ? -ENOMEM : 0);
	free(b);
}

/* A leased save answered: no row means the lease was lost (it expired and another instance
 * claimed the feed since): the newer holder's state stays, the batch goes on (its articles are
 * exactly-once anyway). */
static void on_leased_write(void *ud, const PGresult *res, const char *err)
{
	struct pg_op *o = ud;

	if (res && atoi(PQcmdTuples((PGresult *)res)) == 0) {
		o->ps->counts.stale++;
		log_warnx("feed %s: its lease was taken over (lease %lld expired and another "
			  "instance claimed the feed): this fetch's state is not saved",
			  o->name ? o->name : "?", (long long)o->lease_no);
	}
	on_write(ud, res, err);
}

/* A write: joins the open batch (or runs alone). A batch that already failed sends nothing
 * more: commit reports its first failure. name (a leased save's feed, else NULL) makes it one
 * whose lease is checked. */
static int write_op(struct pg_store *ps, const char *sql, int n, const char *const *p,
		    const char *name, int64_t lease_no)
{
	struct pg_batch *b = ps->batch;
	struct pg_op *o;
	int rc;

	if (b && b->rc)
		return 0;
	if (!(o = op_new(ps, OP_WRITE, NULL)) || (name && !(o->name = strdup(name)))) {
		if (o)
			op_end(o);
		rc = -ENOMEM;
	} else {
		o->b = b;
		o->lease_no = lease_no;
		ps->counts.writes++;
		rc = submit(o, sql, n, p, name ? on_leased_write : on_write);
	}
	if (rc < 0 && b)
		b->rc = rc;
	return rc;
}

static int write_q(struct pg_store *ps, const char *sql, int n, const char *const *p)
{
	return write_op(ps, sql, n, p, NULL, 0);
}

static int pg_begin(struct store *s)
{
	struct pg_store *ps = ps_of(s);
	struct pg_batch *b;
	struct pg_op *o;
	int rc = -ENOMEM;

	if (ps->batch)
		return -EBUSY; /* no nesting */
	if (!(b = calloc(1, sizeof *b)))
		return -ENOMEM;
	b->ps = ps;
	if ((o = op_new(ps, OP_WRITE, NULL))) {
		o->b = b;
		ps->counts.batches++;
		rc = submit(o, "BEGIN", 0, NULL, on_write);
	}
	if (rc < 0)
		free(b);
	else
		ps->batch = b;
	return rc;
}

static void pg_commit(struct store *s, store_done_fn done, void *ud)
{
	struct pg_store *ps = ps_of(s);

	if (!ps->batch) {
		if (done)
			done(ud, -EINVAL);
		return;
	}
	batch_end(ps, 1, done, ud);
}

static int pg_rollback(struct store *s)
{
	struct pg_store *ps = ps_of(s);

	if (!ps->batch)
		return -EINVAL;
	batch_end(ps, 0, NULL, NULL);
	return 0;
}

static int pg_probe(struct store *s)
{
	return pg_conn_up(ps_of(s)->c) ? 0 : -EBUSY;
}

/* A read's query; fn answers it from the loop. */
static int read_q(struct pg_op *o, const char *sql, int n, const char *const *p, pg_result_fn fn)
{
	o->ps->counts.reads++;
	return submit(o, sql, n, p, fn);
}

static void on_feed(void *ud, const PGresult *res, const char *err)
{
	struct pg_op *o = ud;
	struct feed_state f;
	int rc = 0;

	feed_state_init(&f);
	if (!res) {
		rc = map_state(pg_conn_sqlstate(o->ps->c));
		set_err(o->ps, err);
	} else if (PQntuples(res) > 0) {
		pg_feeds_row(res, 0, &f);
		rc = 1;
	}
	if (!o->ps->closed)
		o->feed(o->ud, rc, &f);
	feed_state_fini(&f);
	op_end(o);
}

/* The preloaded table's entry for name, or NULL. */
static struct feed_state *preloaded(struct pg_store *ps, const char *name)
{
	return ps->preloaded ? smap_get(&ps->feeds, name) : NULL;
}

static void preload_drop(struct pg_store *ps)
{
	smap_fini(&ps->feeds);
	for (size_t i = 0; i < ps->n_rows; i++)
		feed_state_fini(&ps->rows[i]);
	free(ps->rows);
	ps->rows = NULL;
	ps->n_rows = 0;
	ps->preloaded = 0;
}

static void pg_feed_get(struct store *s, const char *name, store_feed_fn fn, void *ud)
{
	static const char sql[] = "SELECT " PG_FEED_COLUMNS " FROM feeds WHERE name = $1";
	struct pg_op *o;
	struct feed_state none, *f;

	if (ps_of(s)->preloaded) {
		feed_state_init(&none);
		f = preloaded(ps_of(s), name);
		fn(ud, f ? 1 : 0, f ? f : &none);
		return;
	}
	if ((o = op_new(ps_of(s), OP_FEED, ud))) {
		o->feed = fn;
		if (read_q(o, sql, 1, (const char *const[]){name}, on_feed) == 0)
			return;
	}
	feed_state_init(&none);
	fn(ud, -ENOMEM, &none);
}

static void fmt_i64(char out[24], int64_t v)
{
	snprintf(out, 24, "%" PRId64, v);
}

static int pg_feed_put(struct store *s, const struct feed_state *f)
{
	static const char sql[] =
		"INSERT INTO feeds (config_url, " PG_FEED_COLUMNS ") VALUES (COALESCE($2::text, ''),"
		" $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
		" ON CONFLICT (name) DO UPDATE SET url = $2, etag = $3, last_modified = $4,"
		" last_fetch = $5, last_success = $6, last_status = $7, last_result = $8,"
		" failures = $9, articles_seen = $10, next_due = $11, due_reason = $12,"
		" retired = $13, moved_from = $14, pending_url = $15";
	struct pg_store *ps = ps_of(s);
	struct feed_state *kept = preloaded(ps, f->name);
	char v[7][24];

	if (!f->name)
		return -EINVAL;
	if (kept && kept != f && feed_state_copy(kept, f) < 0)
		return -ENOMEM;
	if (f->lease_no > 0) { /* saved only while the lease holds, which the save ends */
		struct pg_save_args a;
		int rc;

		pg_feeds_save_args(&a, f, f->lease_no);
		rc = write_op(ps, pg_feeds_save_sql, PG_SAVE_NPARAMS, a.p, f->name, f->lease_no);
		free(a.host);
		return rc;
	}
	fmt_i64(v[0], f->last_fetch);
	fmt_i64(v[1], f->last_success);
	fmt_i64(v[2], f->last_status);
	fmt_i64(v[3], f->failures);
	fmt_i64(v[4], f->articles_seen);
	fmt_i64(v[5], f->next_due);
	const char *p[] = {f->name, f->url, f->etag, f->last_modified, v[0], v[1], v[2],
			   f->last_result, v[3], v[4], v[5], f->due_reason,
			   f->retired ? "true" : "false", f->moved_from, f->pending_url};
	return write_q(ps, sql, 15, p);
}

static int pg_host_hold(struct store *s, const char *host, int64_t until)
{
	char v[24];

	fmt_i64(v, until);
	return write_q(ps_of(s), pg_feeds_hold_sql, 2, (const char *const[]){host, v});
}

static int pg_feed_delete(struct store *s, const char *name)
{
	return write_q(ps_of(s), "DELETE FROM feeds WHERE name = $1", 1,
		       (const char *const[]){name});
}

static void on_seen(void *ud, const PGresult *res, const char *err)
{
	struct pg_op *o = ud;
	struct seen_entry e;
	const char *id = NULL;
	int rc = 0;

	memset(&e, 0, sizeof e);
	if (!res) {
		rc = map_state(pg_conn_sqlstate(o->ps->c));
		set_err(o->ps, err);
	} else if (PQntuples(res) > 0) {
		id = PQgetvalue(res, 0, 0);
		e.status = (enum seen_status)atoi(PQgetvalue(res, 0, 1));
		e.content_hash = (uint64_t)strtoll(PQgetvalue(res, 0, 2), NULL, 10);
		e.revision = atoi(PQgetvalue(res, 0, 3));
		e.same_feed = PQgetvalue(res, 0, 4)[0] == 't';
		rc = 1;
	}
	if (!o->ps->closed)
		o->seen(o->ud, rc, id, rc > 0 ? &e : NULL);
	op_end(o);
}

static void pg_seen_lookup(struct store *s, const char *id, const char *feed, const char *guid,
			   store_seen_fn fn, void *ud)
{
	/* by id first, else the first article recorded for (feed, guid) */
	static const char sql[] =
		"SELECT id, status, content_hash, revision, same FROM ("
		" SELECT 0 AS k, id, status, content_hash, revision,"
		"  feed IS NOT DISTINCT FROM $2::text AS same FROM seen WHERE id = $1"
		" UNION ALL (SELECT 1, id, status, content_hash, revision, true FROM seen"
		"  WHERE $3::text IS NOT NULL AND feed = $2::text AND guid = $3::text"
		"  ORDER BY first_seen LIMIT 1)) x ORDER BY k LIMIT 1";
	struct pg_op *o = op_new(ps_of(s), OP_SEEN, ud);

	if (o) {
		o->seen = fn;
		if (read_q(o, sql, 3, (const char *const[]){id, feed, guid}, on_seen) == 0)
			return;
	}
	fn(ud, -ENOMEM, NULL, NULL);
}

static void on_known(void *ud, const PGresult *res, const char *err)
{
	struct pg_op *o = ud;
	int rc;

	if (!res) {
		rc = map_state(pg_conn_sqlstate(o->ps->c));
		set_err(o->ps, err);
	} else {
		rc = PQntuples(res) > 0 && PQgetvalue(res, 0, 0)[0] == 't';
	}
	if (!o->ps->closed)
		o->done(o->ud, rc);
	op_end(o);
}

static void pg_seen_known(struct store *s, const char *id, const char *alt_id, const char *feed,
			  const char *guid, store_done_fn fn, void *ud)
{
	static const char sql[] =
		"SELECT EXISTS (SELECT 1 FROM seen WHERE id = $1 OR id = $4::text)"
		" OR ($3::text IS NOT NULL AND EXISTS (SELECT 1 FROM seen"
		"  WHERE feed = $2::text AND guid = $3::text))";
	struct pg_op *o = op_new(ps_of(s), OP_KNOWN, ud);

	if (o) {
		o->done = fn;
		if (read_q(o, sql, 4, (const char *const[]){id, feed, guid, alt_id}, on_known) == 0)
			return;
	}
	fn(ud, -ENOMEM);
}

static int pg_legacy_ids(const struct store *s)
{
	return ps_of(s)->legacy_ids;
}

/* "{1,-2,3}": 64-bit hashes as PostgreSQL's signed bigint array. NULL on allocation failure. */
static char *int_array(const uint64_t *v, size_t n)
{
	char *out = malloc(n * 22 + 3), *p = out;

	if (!out)
		return NULL;
	*p++ = '{';
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%s%" PRId64, i ? "," : "", (int64_t)v[i]);
	strcpy(p, "}");
	return out;
}

/* bytea's hex input form; NULL on allocation failure. */
static char *hex_bytea(const void *data, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *d = data;
	char *out = malloc(2 * len + 3);

	if (!out)
		return NULL;
	out[0] = '\\';
	out[1] = 'x';
	for (size_t i = 0; i < len; i++) {
		out[2 + 2 * i] = digits[d[i] >> 4];
		out[3 + 2 * i] = digits[d[i] & 15];
	}
	out[2 + 2 * len] = '\0';
	return out;
}

static int pg_seen_add(struct store *s, const struct state_seen_new *n, int64_t now)
{
	/* a unique insert (a taken id aborts the batch), and the lookup keys of the article */
	static const char sql[] =
		"WITH ins AS (INSERT INTO seen (id, feed, guid, simhash, status, alias_of, first_seen,"
		"  last_seen, sketch, why, owner)"
		"  VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8::bytea, $9, $11) RETURNING id)"
		" INSERT INTO sketch_key (h, id) SELECT h, ins.id FROM ins,"
		"  unnest($10::bigint[]) AS h ON CONFLICT DO NOTHING";
	char sim[24], st[24], t[24], *sketch = NULL, *keys = NULL;
	int rc = -ENOMEM;

	if (!n->id || !n->feed)
		return -EINVAL;
	fmt_i64(sim, (int64_t)n->simhash);
	fmt_i64(st, n->status);
	fmt_i64(t, now);
	if ((n->sketch && !(sketch = hex_bytea(n->sketch, n->sketch_len))) ||
	    !(keys = int_array(n->keys, n->n_keys))) {
		if (ps_of(s)->batch)
			ps_of(s)->batch->rc = -ENOMEM;
		goto out;
	}
	const char *p[] = {n->id, n->feed, n->guid, sim, st, n->alias_of, t, sketch, n->why, keys,
			   ps_of(s)->instance};
	rc = write_q(ps_of(s), sql, 11, p);
out:
	free(sketch);
	free(keys);
	return rc;
}

static int pg_seen_update(struct store *s, const char *id, enum seen_status status,
			  uint64_t content_hash, int revision)
{
	char st[24], h[24], r[24];

	fmt_i64(st, status);
	fmt_i64(h, (int64_t)content_hash);
	fmt_i64(r, revision);
	if (status == SEEN_SPOOLING && revision == 0) /* a new article: its own reservation only */
		return write_q(ps_of(s), "SELECT feedspool_record($1, $2::integer, $3::bigint, $4)",
			       4, (const char *const[]){id, st, h, ps_of(s)->instance});
	return write_q(ps_of(s),
		       "UPDATE seen SET status = $2, content_hash = $3, revision = $4 WHERE id = $1",
		       4, (const char *const[]){id, st, h, r});
}

static int pg_seen_set_status(struct store *s, const char *id, enum seen_status status)
{
	char st[24];

	fmt_i64(st, status);
	return write_q(ps_of(s), "UPDATE seen SET status = $2 WHERE id = $1", 2,
		       (const char *const[]){id, st});
}

/* The pipeline deletes only reservations it made (an article that will not be written, or one
 * whose batch failed): with several instances the id may be another's by now (this instance's
 * reservation lost the race and was rolled back), and deleting that row would let a third fetch
 * reserve and write the article again. So only a reservation of this instance (or an unnamed
 * one, as seen_each walks them) goes. */
static int pg_seen_delete(struct store *s, const char *id)
{
	char st[24];

	fmt_i64(st, SEEN_RESERVED);
	return write_q(ps_of(s),
		       "DELETE FROM seen WHERE id = $1 AND status = $2::integer"
		       " AND (owner IS NULL OR owner = $3)",
		       3, (const char *const[]){id, st, ps_of(s)->instance});
}

static int pg_seen_touch(struct store *s, const char *id, int64_t now)
{
	char t[24];

	fmt_i64(t, now);
	/* GREATEST: a late touch with an older clock never moves retention backwards */
	return write_q(ps_of(s),
		       "UPDATE seen SET last_seen = GREATEST(last_seen, $2::bigint) WHERE id = $1", 2,
		       (const char *const[]){id, t});
}

/* A blocking query on a short connection of its own (start-up and recovery only): 0 with *pg
 * and *r set (the caller frees both), or negative (both freed, ps->err says why). */
static int query_now(struct pg_store *ps, const char *sql, int n, const char *const *p,
		     PGconn **pg, PGresult **r)
{
	const char *code;
	int rc;

	*r = NULL;
	*pg = PQconnectdb(ps->uri);
	if (PQstatus(*pg) != CONNECTION_OK) {
		set_err(ps, PQerrorMessage(*pg));
		rc = -EBUSY;
		goto fail;
	}
	*r = PQexecParams(*pg, sql, n, NULL, p, NULL, NULL, 0);
	ps->counts.reads++;
	if (PQresultStatus(*r) == PGRES_TUPLES_OK)
		return 0;
	set_err(ps, PQresultErrorMessage(*r));
	code = PQresultErrorField(*r, PG_DIAG_SQLSTATE);
	rc = map_state(code ? code : "XX000");
fail:
	PQclear(*r);
	PQfinish(*pg);
	*r = NULL;
	*pg = NULL;
	return rc;
}

/* Start-up recovery: the ids read before fn runs (fn may call the store). */
static int pg_seen_each(struct store *s, enum seen_status status,
			int (*fn)(void *ud, const char *id), void *ud)
{
	struct pg_store *ps = ps_of(s);
	PGconn *pg;
	PGresult *r;
	char st[24], *ids = NULL;
	int n, rc;

	fmt_i64(st, status);
	rc = query_now(ps,
		       "SELECT id FROM seen WHERE status = $1 AND (owner IS NULL OR owner = $2)"
		       " ORDER BY id",
		       2, (const char *const[]){st, ps->instance}, &pg, &r);
	if (rc < 0)
		return rc;
	n = PQntuples(r);
	if ((ids = malloc(17 * (size_t)(n ? n : 1))))
		for (int i = 0; i < n; i++)
			snprintf(ids + 17 * i, 17, "%s", PQgetvalue(r, i, 0));
	PQclear(r);
	PQfinish(pg);
	if (!ids)
		return -ENOMEM;
	for (int i = 0; i < n && rc == 0; i++)
		rc = fn(ud, ids + 17 * i);
	free(ids);
	return rc;
}

/* Recovery only (pipeline_recover.c), so a blocking query. */
static int pg_seen_revision(struct store *s, const char *id)
{
	PGconn *pg;
	PGresult *r;
	int rc = query_now(ps_of(s), "SELECT revision FROM seen WHERE id = $1", 1,
			   (const char *const[]){id}, &pg, &r);

	if (rc < 0)
		return rc;
	rc = PQntuples(r) > 0 ? atoi(PQgetvalue(r, 0, 0)) : -ENOENT;
	PQclear(r);
	PQfinish(pg);
	return rc;
}

/* Candidates come once each (keys then bands may name one twice), at most
 * STATE_MAX_CANDIDATES. */
static void on_near(void *ud, const PGresult *res, const char *err)
{
	struct pg_op *o = ud;
	int rc = 0, n = res ? PQntuples(res) : 0, given = 0;

	if (!res) {
		rc = map_state(pg_conn_sqlstate(o->ps->c));
		set_err(o->ps, err);
	}
	for (int i = 0; i < n && given < STATE_MAX_CANDIDATES && !o->ps->closed; i++) {
		const char *id = PQgetvalue(res, i, 0);
		unsigned char *sk = NULL;
		size_t len = 0;
		int j;

		for (j = 0; j < i && strcmp(PQgetvalue(res, j, 0), id) != 0; j++)
			;
		if (j < i)
			continue;
		if (!PQgetisnull(res, i, 2) &&
		    !(sk = PQunescapeBytea((const unsigned char *)PQgetvalue(res, i, 2), &len))) {
			rc = -ENOMEM;
			break;
		}
		o->each(o->ud, id, PQgetvalue(res, i, 1), sk, len);
		PQfreemem(sk);
		given++;
	}
	if (!o->ps->closed)
		o->done(o->ud, rc);
	op_end(o);
}

static void pg_near(struct store *s, const uint64_t *keys, size_t n_keys, uint64_t simhash,
		    int64_t since, state_candidate_fn each, store_done_fn done, void *ud)
{
	/* state.c's two searches in one: by lookup key (16 each), then by SimHash band (64) */
	static const char sql[] =
		"SELECT id, feed, sketch FROM ("
		" SELECT 0 AS part, u.ord, c.id, c.feed, c.sketch"
		"  FROM unnest($1::bigint[]) WITH ORDINALITY AS u(h, ord) CROSS JOIN LATERAL"
		"  (SELECT s.id, s.feed, s.sketch FROM sketch_key k JOIN seen s ON s.id = k.id"
		"   WHERE k.h = u.h AND s.status <> 3 AND s.last_seen >= $2::bigint"
		"   AND s.sketch IS NOT NULL ORDER BY k.id LIMIT 16) c"
		" UNION ALL (SELECT 1, 0, id, feed, sketch FROM seen WHERE $3::bigint <> 0"
		"  AND simhash <> 0 AND status <> 3 AND last_seen >= $2::bigint AND (band0 = $4::integer"
		"  OR band1 = $5::integer OR band2 = $6::integer OR band3 = $7::integer) LIMIT 64)"
		") x ORDER BY part, ord";
	char since_s[24], sim[24], band[4][24], *k = int_array(keys, n_keys);
	struct pg_op *o = k ? op_new(ps_of(s), OP_NEAR, ud) : NULL;

	fmt_i64(since_s, since);
	fmt_i64(sim, (int64_t)simhash);
	for (int i = 0; i < 4; i++)
		fmt_i64(band[i], (int64_t)((simhash >> (16 * i)) & 0xffff));
	if (o) {
		o->each = each;
		o->done = done;
		if (read_q(o, sql, 7,
			   (const char *const[]){k, since_s, sim, band[0], band[1], band[2], band[3]},
			   on_near) == 0) {
			free(k);
			return;
		}
	}
	free(k);
	done(ud, -ENOMEM);
}

static void on_boiler(void *ud, const PGresult *res, const char *err)
{
	struct pg_op *o = ud;
	int rc = 0, n = res ? PQntuples(res) : 0;

	if (!res) {
		rc = map_state(pg_conn_sqlstate(o->ps->c));
		set_err(o->ps, err);
	}
	for (int i = 0; i < n && !o->ps->closed; i++)
		o->boiler(o->ud, (uint64_t)strtoll(PQgetvalue(res, i, 0), NULL, 10),
			  (uint32_t)strtoul(PQgetvalue(res, i, 1), NULL, 10));
	if (!o->ps->closed)
		o->done(o->ud, rc);
	op_end(o);
}

static void pg_boiler_load(struct store *s, const char *feed, store_boiler_fn each,
			   store_done_fn done, void *ud)
{
	static const char sql[] =
		"SELECT h, n FROM boiler WHERE feed = $1 ORDER BY n DESC LIMIT 1024";
	struct pg_op *o = op_new(ps_of(s), OP_BOILER, ud);

	if (o) {
		o->boiler = each;
		o->done = done;
		if (read_q(o, sql, 1, (const char *const[]){feed}, on_boiler) == 0)
			return;
	}
	done(ud, -ENOMEM);
}

static int pg_boiler_put(struct store *s, const char *feed, uint64_t h, uint32_t n, int64_t now)
{
	static const char sql[] =
		"INSERT INTO boiler (feed, h, n, last_seen) VALUES ($1, $2, $3, $4)"
		" ON CONFLICT (feed, h) DO UPDATE SET n = GREATEST(boiler.n, EXCLUDED.n),"
		" last_seen = EXCLUDED.last_seen";
	char hs[24], ns[24], t[24];

	fmt_i64(hs, (int64_t)h);
	fmt_i64(ns, n);
	fmt_i64(t, now);
	return write_q(ps_of(s), sql, 4, (const char *const[]){feed, hs, ns, t});
}

static int pg_meta_put(struct store *s, const char *key, const char *value)
{
	return write_q(ps_of(s), "INSERT INTO meta (key, value) VALUES ($1, $2)"
		       " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
		       2, (const char *const[]){key, value});
}

static int pg_expire(struct store *s, int64_t before)
{
	static const char sql[] =
		"WITH gone AS (DELETE FROM seen WHERE last_seen < $1::bigint RETURNING id),"
		" k AS (DELETE FROM sketch_key WHERE id IN (SELECT id FROM gone)),"
		" b AS (DELETE FROM boiler WHERE last_seen < $1::bigint)"
		" SELECT count(*) FROM gone";
	char t[24];

	fmt_i64(t, before);
	return write_q(ps_of(s), sql, 1, (const char *const[]){t});
}

static const char *pg_error(const struct store *s)
{
	return ps_of(s)->err;
}

/* Answers to calls still in flight go nowhere; the store is freed with the last of them. */
static void pg_close(struct store *s)
{
	struct pg_store *ps = ps_of(s);

	if (ps->batch)
		batch_end(ps, 0, NULL, NULL);
	ps->closed = 1;
	if (ps->inflight == 0)
		ps_free(ps);
}

static const struct store_ops pg_ops = {
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .probe = pg_probe,
    .feed_get = pg_feed_get,
    .feed_put = pg_feed_put,
    .feed_delete = pg_feed_delete,
    .host_hold = pg_host_hold,
    .seen_lookup = pg_seen_lookup,
    .seen_add = pg_seen_add,
    .seen_update = pg_seen_update,
    .seen_set_status = pg_seen_set_status,
    .seen_delete = pg_seen_delete,
    .seen_touch = pg_seen_touch,
    .seen_known = pg_seen_known,
    .legacy_ids = pg_legacy_ids,
    .seen_each = pg_seen_each,
    .seen_revision = pg_seen_revision,
    .near_candidates = pg_near,
    .boiler_load = pg_boiler_load,
    .boiler_put = pg_boiler_put,
    .meta_put = pg_meta_put,
    .expire = pg_expire,
    .error = pg_error,
    .close = pg_close,
};

struct store *store_pg_new(uv_loop_t *loop, struct pg_conn *c, const char *uri,
			   const char *instance)
{
	struct pg_store *ps = calloc(1, sizeof *ps);

	(void)loop; /* every answer comes through c, which runs on loop */
	if (!ps || !(ps->uri = strdup(uri)) || (instance && !(ps->instance = strdup(instance)))) {
		if (ps)
			ps_free(ps);
		return NULL;
	}
	ps->c = c;
	ps->s.ops = &pg_ops;
	ps->s.impl = ps;
	return &ps->s;
}

void store_pg_counts(const struct store *s, struct store_pg_counts *out)
{
	*out = ps_of(s)->counts;
}

int store_pg_preload(struct store *s)
{
	struct pg_store *ps = ps_of(s);
	PGconn *pg;
	PGresult *r, *m;
	int rc, n;

	preload_drop(ps);
	rc = query_now(ps, "SELECT " PG_FEED_COLUMNS " FROM feeds", 0, NULL, &pg, &r);
	if (rc < 0)
		return rc;
	n = PQntuples(r);
	if (n > 0 && !(ps->rows = calloc((size_t)n, sizeof *ps->rows)))
		rc = -ENOMEM;
	for (int i = 0; i < n && rc == 0; i++) {
		pg_feeds_row(r, i, &ps->rows[i]);
		ps->n_rows++;
		if (!ps->rows[i].name || smap_put(&ps->feeds, ps->rows[i].name, &ps->rows[i]) < 0)
			rc = -ENOMEM;
	}
	PQclear(r);
	m = PQexec(pg, "SELECT 1 FROM meta WHERE key = 'v3_ids' AND value = '1'");
	ps->counts.reads++;
	if (rc == 0 && PQresultStatus(m) != PGRES_TUPLES_OK)
		rc = -EBUSY;
	else if (rc == 0)
		ps->legacy_ids = PQntuples(m) > 0;
	if (rc < 0)
		set_err(ps, rc == -ENOMEM ? "out of memory" : PQerrorMessage(pg));
	PQclear(m);
	PQfinish(pg);
	if (rc < 0) {
		preload_drop(ps);
		return rc;
	}
	ps->preloaded = 1;
	return 0;
}

void store_pg_preload_end(struct store *s)
{
	preload_drop(ps_of(s));
}
