/* SPDX-License-Identifier: MIT */
/* State export and import (state_dump.h): tables to JSON lines and back, SQLite or PostgreSQL. */
#include "autoconfig.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "pg_feeds.h"
#include "state.h"
#include "state_dump.h"
#include "store_pg.h"

/* One kind of record: its fields (first letter the kind: T text, I integer, A a comma list of
 * integers, sorted) and the query giving them, in key order, from each database. */
struct table {
	const char *type;
	const char *const *fields;
	const char *sqlite, *pg;
};

static const char *const feed_fields[] = {
	"Tname", "Turl", "Tetag", "Tlast_modified", "Ilast_fetch", "Ilast_success",
	"Ilast_status", "Tlast_result", "Ifailures", "Iarticles_seen", "Inext_due",
	"Tdue_reason", "Iretired", "Tmoved_from", "Tpending_url", NULL};
static const char *const seen_fields[] = {
	"Tid", "Tfeed", "Tguid", "Isimhash", "Istatus", "Talias_of", "Ifirst_seen",
	"Ilast_seen", "Icontent_hash", "Irevision", "Tsketch", "Twhy", "Akeys", NULL};
static const char *const boiler_fields[] = {"Tfeed", "Ih", "In", "Ilast_seen", NULL};
static const char *const meta_fields[] = {"Tkey", "Tvalue", NULL};

#define FEED_SQL(retired, order)                                                                  \
	"SELECT name, url, etag, last_modified, last_fetch, last_success, last_status,"          \
	" last_result, failures, articles_seen, next_due, due_reason, " retired ", moved_from,"   \
	" pending_url FROM feeds ORDER BY name" order
#define SEEN_SQL(hex, agg, order)                                                                 \
	"SELECT id, feed, guid, simhash, status, alias_of, first_seen, last_seen, content_hash,"  \
	" revision, " hex ", why, (SELECT " agg " FROM sketch_key k WHERE k.id = seen.id)"        \
	" FROM seen ORDER BY id" order

static const struct table tables[] = {
	{"feed", feed_fields, FEED_SQL("retired", ""), FEED_SQL("retired::integer", " COLLATE \"C\"")},
	{"seen", seen_fields,
	 SEEN_SQL("CASE WHEN sketch IS NULL THEN NULL ELSE lower(hex(sketch)) END",
		  "group_concat(h)", ""),
	 SEEN_SQL("encode(sketch, 'hex')", "string_agg(h::text, ',')", " COLLATE \"C\"")},
	{"boiler", boiler_fields, "SELECT feed, h, n, last_seen FROM boiler ORDER BY feed, h",
	 "SELECT feed, h, n, last_seen FROM boiler ORDER BY feed COLLATE \"C\", h"},
	{"meta", meta_fields, "SELECT key, value FROM meta ORDER BY key",
	 "SELECT key, value FROM meta ORDER BY key COLLATE \"C\""},
};

/* ---- export ------------------------------------------------------------------------------------ */

struct exporter {
	const struct table *t;
	FILE *out;
	long n;
};

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* "3,1,2" as the JSON array [1,2,3]. */
static json_t *int_list(const char *v)
{
	json_t *arr = json_array();
	int64_t *x = NULL;
	size_t n = 0, cap = 0;
	char *end;

	while (arr && v && *v) {
		if (n == cap) {
			int64_t *y = realloc(x, (cap = cap ? 2 * cap : 8) * sizeof *x);

			if (!y)
				goto fail;
			x = y;
		}
		x[n++] = strtoll(v, &end, 10);
		v = *end == ',' ? end + 1 : end;
		if (end == v && *v)
			break;
	}
	if (n)
		qsort(x, n, sizeof *x, cmp_i64);
	for (size_t i = 0; arr && i < n; i++)
		if (json_array_append_new(arr, json_integer(x[i])) < 0)
			goto fail;
	free(x);
	return arr;
fail:
	free(x);
	json_decref(arr);
	return NULL;
}

static int export_row(void *ud, int n, const char *const *v)
{
	struct exporter *e = ud;
	json_t *o = json_pack("{ss}", "type", e->t->type);
	int rc = -ENOMEM;

	for (int i = 0; o && i < n && e->t->fields[i]; i++) {
		const char *f = e->t->fields[i];
		json_t *x;

		if (f[0] == 'A')
			x = int_list(v[i]);
		else if (!v[i])
			x = json_null();
		else
			x = f[0] == 'I' ? json_integer(strtoll(v[i], NULL, 10)) : json_string(v[i]);
		if (!x || json_object_set_new(o, f + 1, x) < 0)
			goto out;
	}
	if (o && json_dumpf(o, e->out, JSON_COMPACT | JSON_PRESERVE_ORDER) == 0 &&
	    fputc('\n', e->out) != EOF) {
		e->n++;
		rc = 0;
	} else if (o) {
		rc = -EIO;
	}
out:
	json_decref(o);
	return rc;
}

long state_dump_export(const char *where, FILE *out, struct buf *err)
{
	struct exporter e = {NULL, out, 0};
	struct state_dump_pg *pg = NULL;
	struct state *st = NULL;
	int rc = 0;

	if (store_pg_is_uri(where) ? !(pg = state_dump_pg_open(where, 0, err))
				   : !(st = state_open(where, 1, err)))
		return -EIO;
	/* one snapshot for every table, beside a daemon that writes on */
	rc = pg ? state_dump_pg_exec(pg, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL,
				     err)
		: state_rows(st, "BEGIN", export_row, &e);
	if (rc == 0)
		fprintf(out, "{\"type\":\"feedspool-state\",\"version\":%d}\n", STATE_DUMP_VERSION);
	else if (st)
		buf_printf(err, "%s", state_error(st));
	for (size_t i = 0; rc == 0 && i < sizeof tables / sizeof tables[0]; i++) {
		e.t = &tables[i];
		rc = pg ? state_dump_pg_rows(pg, e.t->pg, export_row, &e, err)
			: state_rows(st, e.t->sqlite, export_row, &e);
		if (rc < 0 && st)
			buf_printf(err, "%s", rc == -EIO ? "cannot write" : state_error(st));
		else if (rc == -ENOMEM && !buf_cstr(err)[0])
			buf_printf(err, "out of memory");
	}
	if (rc == 0 && fflush(out) != 0) {
		buf_printf(err, "cannot write the export");
		rc = -EIO;
	}
	if (st)
		state_rows(st, "COMMIT", export_row, &e); /* ends the read; nothing was written */
	state_dump_pg_close(pg);
	state_close(st);
	return rc < 0 ? rc : e.n;
}

/* ---- import ------------------------------------------------------------------------------------ */

struct target {
	struct state *st;
	struct state_dump_pg *pg;
	struct buf *err;
	state_dump_url_fn config_url;
	void *ud;
};

static const char *str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static int64_t num(const json_t *o, const char *k)
{
	return (int64_t)json_integer_value(json_object_get(o, k));
}

static void i64(char out[24], int64_t v)
{
	snprintf(out, 24, "%" PRId64, v);
}

static int count_row(void *ud, int n, const char *const *v)
{
	*(long *)ud = n > 0 && v[0] ? atol(v[0]) : 0;
	return 0;
}

/* Opens the target in a transaction; refuses one whose seen set holds anything. */
static int target_open(struct target *t, const char *where)
{
	static const char count[] = "SELECT count(*) FROM seen";
	long n = 0;
	int rc;

	if (store_pg_is_uri(where)) {
		if (!(t->pg = state_dump_pg_open(where, 1, t->err)))
			return -EIO;
		rc = state_dump_pg_rows(t->pg, count, count_row, &n, t->err);
		if (rc == 0 && n == 0)
			rc = state_dump_pg_exec(t->pg, "BEGIN", 0, NULL, t->err);
	} else {
		if (!(t->st = state_open(where, 0, t->err)))
			return -EIO;
		rc = state_rows(t->st, count, count_row, &n);
		if (rc == 0 && n == 0)
			rc = state_begin_deferred(t->st);
		if (rc < 0)
			buf_printf(t->err, "%s", state_error(t->st));
	}
	if (rc == 0 && n > 0) {
		buf_printf(t->err, "it already holds %ld articles: import into an empty state", n);
		rc = -EEXIST;
	}
	return rc;
}

static int put_feed(struct target *t, const json_t *o)
{
	/* the store's feed_put (store_pg.c), with the configured URL */
	static const char sql[] =
		"INSERT INTO feeds (config_url, " PG_FEED_COLUMNS ")"
		" VALUES (COALESCE($16::text, $2::text, ''),"
		" $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
		" ON CONFLICT (name) DO UPDATE SET url = $2, etag = $3, last_modified = $4,"
		" last_fetch = $5, last_success = $6, last_status = $7, last_result = $8,"
		" failures = $9, articles_seen = $10, next_due = $11, due_reason = $12,"
		" retired = $13, moved_from = $14, pending_url = $15, config_url = COALESCE($16, $2, '')";
	struct feed_state f = {
	    .name = (char *)str(o, "name"), .url = (char *)str(o, "url"),
	    .etag = (char *)str(o, "etag"), .last_modified = (char *)str(o, "last_modified"),
	    .last_fetch = num(o, "last_fetch"), .last_success = num(o, "last_success"),
	    .last_status = (int)num(o, "last_status"), .last_result = (char *)str(o, "last_result"),
	    .failures = (int)num(o, "failures"), .articles_seen = num(o, "articles_seen"),
	    .next_due = num(o, "next_due"), .due_reason = (char *)str(o, "due_reason"),
	    .retired = (int)num(o, "retired"), .moved_from = (char *)str(o, "moved_from"),
	    .pending_url = (char *)str(o, "pending_url")};
	char v[6][24];

	if (!f.name) {
		buf_printf(t->err, "a feed without a name");
		return -EINVAL;
	}
	if (t->st)
		return state_feed_put(t->st, &f);
	i64(v[0], f.last_fetch);
	i64(v[1], f.last_success);
	i64(v[2], f.last_status);
	i64(v[3], f.failures);
	i64(v[4], f.articles_seen);
	i64(v[5], f.next_due);
	const char *p[] = {f.name, f.url, f.etag, f.last_modified, v[0], v[1], v[2], f.last_result,
			   v[3], v[4], v[5], f.due_reason, f.retired ? "true" : "false",
			   f.moved_from, f.pending_url,
			   t->config_url ? t->config_url(t->ud, f.name) : NULL};
	return state_dump_pg_exec(t->pg, sql, 16, p, t->err);
}

/* The lookup keys of a seen record, as numbers and as PostgreSQL's array text. */
static int seen_keys(const json_t *o, uint64_t **keys, size_t *n, char **text)
{
	const json_t *a = json_object_get(o, "keys");
	size_t cap = 3, i;
	char *p;

	*n = json_array_size(a);
	*keys = calloc(*n ? *n : 1, sizeof **keys);
	*text = malloc(*n * 22 + cap);
	if (!*keys || !*text)
		return -ENOMEM;
	p = *text;
	*p++ = '{';
	for (i = 0; i < *n; i++) {
		(*keys)[i] = (uint64_t)json_integer_value(json_array_get(a, i));
		p += sprintf(p, "%s%" PRId64, i ? "," : "", (int64_t)(*keys)[i]);
	}
	strcpy(p, "}");
	return 0;
}

static int unhex(const char *hex, unsigned char **out, size_t *len)
{
	size_t n = hex ? strlen(hex) / 2 : 0;

	*out = NULL;
	*len = 0;
	if (!hex)
		return 0;
	if (!(*out = malloc(n ? n : 1)))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -EINVAL;
		(*out)[i] = (unsigned char)v;
	}
	*len = n;
	return 0;
}

static int put_seen_sqlite(struct target *t, const json_t *o, const uint64_t *keys, size_t n_keys)
{
	struct state_seen_new n = {str(o, "id"), str(o, "feed"), str(o, "guid"),
				   (uint64_t)num(o, "simhash"), (enum seen_status)num(o, "status"),
				   str(o, "alias_of"), NULL, 0, keys, n_keys, str(o, "why")};
	unsigned char *sketch = NULL;
	int rc;

	if ((rc = unhex(str(o, "sketch"), &sketch, &n.sketch_len)) < 0) {
		buf_printf(t->err, "a sketch that is not hexadecimal");
		goto out;
	}
	n.sketch = sketch;
	if ((rc = state_seen_add_sketch(t->st, &n, num(o, "first_seen"))) < 0 ||
	    (rc = state_seen_touch(t->st, n.id, num(o, "last_seen"))) < 0 ||
	    (rc = state_seen_update(t->st, n.id, n.status, (uint64_t)num(o, "content_hash"),
				    (int)num(o, "revision"))) < 0)
		buf_printf(t->err, "%s", state_error(t->st));
out:
	free(sketch);
	return rc;
}

static int put_seen(struct target *t, const json_t *o)
{
	static const char sql[] =
		"INSERT INTO seen (id, feed, guid, simhash, status, alias_of, first_seen, last_seen,"
		" content_hash, revision, sketch, why) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,"
		" decode($11, 'hex'), $12)";
	static const char keys_sql[] =
		"INSERT INTO sketch_key (h, id) SELECT unnest($1::bigint[]), $2 ON CONFLICT DO NOTHING";
	const char *id = str(o, "id");
	uint64_t *keys = NULL;
	char *keys_text = NULL, v[6][24];
	size_t n_keys = 0;
	int rc;

	if (!id || strlen(id) != 16 || !str(o, "feed")) {
		buf_printf(t->err, "a seen record needs an id of 16 characters and a feed");
		return -EINVAL;
	}
	if ((rc = seen_keys(o, &keys, &n_keys, &keys_text)) < 0) {
		buf_printf(t->err, "out of memory");
	} else if (t->st) {
		rc = put_seen_sqlite(t, o, keys, n_keys);
	} else {
		const char *k[] = {"simhash", "status", "first_seen", "last_seen", "content_hash",
				   "revision"};

		for (int i = 0; i < 6; i++)
			i64(v[i], num(o, k[i]));
		const char *p[] = {id, str(o, "feed"), str(o, "guid"), v[0], v[1], str(o, "alias_of"),
				   v[2], v[3], v[4], v[5], str(o, "sketch"), str(o, "why")};
		rc = state_dump_pg_exec(t->pg, sql, 12, p, t->err);
		if (rc == 0 && n_keys)
			rc = state_dump_pg_exec(t->pg, keys_sql, 2,
						(const char *const[]){keys_text, id}, t->err);
	}
	free(keys);
	free(keys_text);
	return rc;
}

static int put_boiler(struct target *t, const json_t *o)
{
	static const char sql[] =
		"INSERT INTO boiler (feed, h, n, last_seen) VALUES ($1, $2, $3, $4)"
		" ON CONFLICT (feed, h) DO UPDATE SET n = EXCLUDED.n, last_seen = EXCLUDED.last_seen";
	char v[3][24];

	if (!str(o, "feed")) {
		buf_printf(t->err, "a boiler record without a feed");
		return -EINVAL;
	}
	if (t->st)
		return state_boiler_put(t->st, str(o, "feed"), (uint64_t)num(o, "h"),
					(uint32_t)num(o, "n"), num(o, "last_seen"));
	i64(v[0], num(o, "h"));
	i64(v[1], num(o, "n"));
	i64(v[2], num(o, "last_seen"));
	return state_dump_pg_exec(t->pg, sql, 4, (const char *const[]){str(o, "feed"), v[0], v[1], v[2]},
			    t->err);
}

static int put_meta(struct target *t, const json_t *o)
{
	static const char sql[] = "INSERT INTO meta (key, value) VALUES ($1, $2)"
				  " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value";
	const char *k = str(o, "key"), *v = str(o, "value");

	if (!k || !v) {
		buf_printf(t->err, "a meta record needs a key and a value");
		return -EINVAL;
	}
	if (t->st)
		return state_meta_put(t->st, k, v);
	return state_dump_pg_exec(t->pg, sql, 2, (const char *const[]){k, v}, t->err);
}

/* One line: the header first, then records. */
static int put_line(struct target *t, const char *line, long lineno)
{
	json_error_t je;
	json_t *o = json_loads(line, 0, &je);
	const char *type = str(o, "type");
	int rc = -EINVAL;

	if (!o)
		buf_printf(t->err, "not JSON: %s", je.text);
	else if (!type)
		buf_printf(t->err, "a record without a type");
	else if (lineno == 1 && strcmp(type, "feedspool-state") != 0)
		buf_printf(t->err, "not a feedspool state export (no header line)");
	else if (!strcmp(type, "feedspool-state") &&
		 (lineno > 1 || num(o, "version") < 1 || num(o, "version") > STATE_DUMP_VERSION))
		buf_printf(t->err, "a header of version %" PRId64 " (this feedspool reads version %d,"
			   " on the first line)", num(o, "version"), STATE_DUMP_VERSION);
	else if (!strcmp(type, "feedspool-state"))
		rc = 0;
	else if (!strcmp(type, "feed"))
		rc = put_feed(t, o);
	else if (!strcmp(type, "seen"))
		rc = put_seen(t, o);
	else if (!strcmp(type, "boiler"))
		rc = put_boiler(t, o);
	else if (!strcmp(type, "meta"))
		rc = put_meta(t, o);
	else
		buf_printf(t->err, "unknown record type \"%s\"", type);
	if (rc < 0 && !buf_cstr(t->err)[0] && t->st)
		buf_printf(t->err, "%s", state_error(t->st));
	json_decref(o);
	return rc;
}

long state_dump_import(const char *where, FILE *in, const char *name, state_dump_url_fn config_url,
		       void *ud, struct buf *err)
{
	struct buf why = BUF_INIT;
	struct target t = {NULL, NULL, &why, config_url, (void *)ud};
	char *line = NULL;
	size_t cap = 0;
	long lineno = 0, n = 0;
	int rc;

	if ((rc = target_open(&t, where)) < 0) {
		buf_printf(err, "%s", buf_cstr(&why));
		goto out;
	}
	while (rc == 0 && getline(&line, &cap, in) > 0) {
		lineno++;
		if ((rc = put_line(&t, line, lineno)) < 0)
			buf_printf(err, "%s:%ld: %s", name, lineno, buf_cstr(&why));
		else
			n++;
	}
	if (rc == 0 && (ferror(in) || lineno == 0)) {
		buf_printf(err, "%s: %s", name, lineno ? "read error" : "empty: nothing to import");
		rc = -EIO;
	}
	if (rc == 0 &&
	    (t.st ? state_commit(t.st) : state_dump_pg_exec(t.pg, "COMMIT", 0, NULL, &why)) < 0) {
		buf_printf(err, "commit: %s", t.st ? state_error(t.st) : buf_cstr(&why));
		rc = -EIO;
	}
	if (rc < 0 && t.st)
		state_rollback(t.st);
out:
	free(line);
	state_dump_pg_close(t.pg);
	state_close(t.st);
	buf_fini(&why);
	return rc < 0 ? rc : n - 1;
}
