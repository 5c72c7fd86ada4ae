/* SPDX-License-Identifier: MIT */
/* The state store on temporary databases: file mode and WAL, schema versions and the migration
 * from version 2, feeds, the seen set and its aliases, content hashes and revisions, the banded
 * near-duplicate search against brute force, expiry, transactions, read-only opening beside a
 * writer, and -EBUSY on a locked database. */
#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "state.h"

static char dir[64];
static char path[128];

static void fresh(const char *name)
{
	snprintf(path, sizeof path, "%s/%s", dir, name);
}

static struct state *open_ok(int readonly)
{
	struct buf err = BUF_INIT;
	struct state *s = state_open(path, readonly, &err);

	CHECK(s != NULL, "state_open(%s, readonly %d): expected success, got \"%s\"", path,
	      readonly, buf_cstr(&err));
	buf_fini(&err);
	return s;
}

/* One integer from a query on a separate connection, -1 on failure. */
static long long query_int(const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long long v = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static int exec_on(const char *sql)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open(path, &db);

	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc;
}

static void test_open(void)
{
	struct state *s;
	struct stat st;
	char wal[160];
	mode_t old = umask(022);

	fresh("open.db");
	s = open_ok(0);
	if (!s)
		goto out;
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600,
	      "%s under umask 022: expected mode 0600, got %03o", path, st.st_mode & 0777);
	CHECK(state_seen_add(s, "0123456789abcdef", "f", NULL, 0, SEEN_WRITTEN, NULL, 1) == 0,
	      "seen_add on a new database: expected 0 (%s)", state_error(s));
	snprintf(wal, sizeof wal, "%s-wal", path);
	CHECK(stat(wal, &st) == 0 && (st.st_mode & 0777) == 0600,
	      "%s: expected the WAL to exist with mode 0600, got %03o", wal, st.st_mode & 0777);
	CHECK(query_int("SELECT journal_mode = 'wal' FROM pragma_journal_mode") == 1,
	      "%s: expected journal_mode wal", path);
	CHECK(query_int("PRAGMA user_version") == STATE_SCHEMA_VERSION,
	      "%s: expected user_version %d", path, STATE_SCHEMA_VERSION);
	state_close(s);

	/* reopening an up-to-date database changes nothing */
	s = open_ok(0);
	CHECK(s && state_seen_has(s, "0123456789abcdef") == 1,
	      "reopened %s: expected the id recorded before", path);
	state_close(s);
out:
	umask(old);
}

static void test_versions(void)
{
	struct buf err = BUF_INIT;
	struct state *s;

	/* a database from a newer feedspool is refused, read-write and read-only */
	fresh("newer.db");
	CHECK(exec_on("CREATE TABLE future (x); PRAGMA user_version = 99") == SQLITE_OK,
	      "making %s", path);
	s = state_open(path, 0, &err);
	CHECK(s == NULL && strstr(buf_cstr(&err), "newer") && strstr(buf_cstr(&err), "99"),
	      "%s with user_version 99: expected a refusal naming a newer version, got \"%s\"",
	      path, buf_cstr(&err));
	state_close(s);
	CHECK(query_int("PRAGMA user_version") == 99, "%s: expected the version left as it was",
	      path);
	buf_reset(&err);
	s = state_open(path, 1, &err);
	CHECK(s == NULL && strstr(buf_cstr(&err), "newer"),
	      "%s read-only with user_version 99: expected a refusal, got \"%s\"", path,
	      buf_cstr(&err));
	state_close(s);

	/* read-only never migrates */
	fresh("old.db");
	CHECK(exec_on("CREATE TABLE unrelated (x)") == SQLITE_OK, "making %s", path);
	buf_reset(&err);
	s = state_open(path, 1, &err);
	CHECK(s == NULL && strstr(buf_cstr(&err), "older"),
	      "%s read-only at version 0: expected a refusal naming an older version, got \"%s\"",
	      path, buf_cstr(&err));
	state_close(s);
	/* nor does read-write migrate some other program's database */
	buf_reset(&err);
	s = state_open(path, 0, &err);
	CHECK(s == NULL && strstr(buf_cstr(&err), "not a feedspool state database"),
	      "%s (version 0, one unrelated table): expected a refusal, got \"%s\"", path,
	      buf_cstr(&err));
	state_close(s);
	CHECK(query_int("SELECT count(*) FROM sqlite_master") == 1,
	      "%s after the refusal: expected its one table and nothing more", path);
	CHECK(query_int("SELECT journal_mode = 'delete' FROM pragma_journal_mode") == 1,
	      "%s after the refusal: expected its journal mode untouched", path);

	fresh("missing.db");
	buf_reset(&err);
	s = state_open(path, 1, &err);
	CHECK(s == NULL && strstr(buf_cstr(&err), path),
	      "%s read-only, no such file: expected an error naming it, got \"%s\"", path,
	      buf_cstr(&err));
	CHECK(access(path, F_OK) != 0, "%s read-only: expected no file created", path);
	state_close(s);

	fresh("no/such/dir.db");
	buf_reset(&err);
	s = state_open(path, 0, &err);
	CHECK(s == NULL && strstr(buf_cstr(&err), path),
	      "%s in a missing directory: expected an error naming it, got \"%s\"", path,
	      buf_cstr(&err));
	state_close(s);

	fresh("garbage.db");
	{
		FILE *f = fopen(path, "w");

		if (f) {
			fputs("this is not a database, it is a text file long enough to matter\n",
			      f);
			fclose(f);
		}
	}
	buf_reset(&err);
	s = state_open(path, 0, &err);
	CHECK(s == NULL && buf_cstr(&err)[0], "%s (text): expected an error, got \"%s\"", path,
	      buf_cstr(&err));
	state_close(s);
	buf_fini(&err);
}

/* The schema as feedspool wrote it at version 2 (migrations 0 -> 1 -> 2 of that release,
 * verbatim), with a few rows: what an upgrade finds on disk. */
static const char v2_schema[] =
    "CREATE TABLE feeds ("
    " name TEXT PRIMARY KEY NOT NULL,"
    " url TEXT,"
    " etag TEXT,"
    " last_modified TEXT,"
    " last_fetch INTEGER NOT NULL DEFAULT 0,"
    " last_success INTEGER NOT NULL DEFAULT 0,"
    " last_status INTEGER NOT NULL DEFAULT 0,"
    " last_result TEXT,"
    " failures INTEGER NOT NULL DEFAULT 0,"
    " articles_seen INTEGER NOT NULL DEFAULT 0,"
    " next_due INTEGER NOT NULL DEFAULT 0,"
    " due_reason TEXT,"
    " retired INTEGER NOT NULL DEFAULT 0,"
    " moved_from TEXT,"
    " pending_url TEXT);"
    "CREATE TABLE seen ("
    " id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 16),"
    " feed TEXT NOT NULL,"
    " guid TEXT,"
    " simhash INTEGER NOT NULL DEFAULT 0,"
    " status INTEGER NOT NULL,"
    " alias_of TEXT REFERENCES seen(id) ON DELETE SET NULL,"
    " first_seen INTEGER NOT NULL,"
    " last_seen INTEGER NOT NULL,"
    " band0 INTEGER GENERATED ALWAYS AS (simhash & 65535) VIRTUAL,"
    " band1 INTEGER GENERATED ALWAYS AS ((simhash >> 16) & 65535) VIRTUAL,"
    " band2 INTEGER GENERATED ALWAYS AS ((simhash >> 32) & 65535) VIRTUAL,"
    " band3 INTEGER GENERATED ALWAYS AS ((simhash >> 48) & 65535) VIRTUAL"
    ") WITHOUT ROWID;"
    "CREATE INDEX seen_guid ON seen(feed, guid, first_seen) WHERE guid IS NOT NULL;"
    "CREATE INDEX seen_last ON seen(last_seen);"
    "CREATE INDEX seen_alias ON seen(alias_of) WHERE alias_of IS NOT NULL;"
    "CREATE INDEX seen_band0 ON seen(band0) WHERE simhash != 0 AND status != 3;"
    "CREATE INDEX seen_band1 ON seen(band1) WHERE simhash != 0 AND status != 3;"
    "CREATE INDEX seen_band2 ON seen(band2) WHERE simhash != 0 AND status != 3;"
    "CREATE INDEX seen_band3 ON seen(band3) WHERE simhash != 0 AND status != 3;"
    "CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) WITHOUT ROWID;"
    "INSERT INTO feeds (name, url, etag, articles_seen) VALUES ('outlet-a', 'https://a/', "
    "'\"e1\"', 12);"
    "INSERT INTO seen (id, feed, guid, simhash, status, alias_of, first_seen, last_seen) VALUES"
    " ('a2a2a2a2a2a2a2a2', 'outlet-a', 'g-1', 81985529216486895, 2, NULL, 100, 150),"
    " ('b2b2b2b2b2b2b2b2', 'outlet-b', NULL, 81985529216486895, 3, 'a2a2a2a2a2a2a2a2', 120, 120),"
    " ('c2c2c2c2c2c2c2c2', 'outlet-a', 'g-3', 0, 1, NULL, 130, 130);"
    "INSERT INTO meta VALUES ('filters', '[]');"
    "PRAGMA user_version = 2;";

/* An upgrade: a version 2 database is migrated in place, every row kept, the new columns 0
 * (unknown); read-only opening refuses it until the daemon has migrated it. */
static void test_migration(void)
{
	struct buf err = BUF_INIT;
	struct seen_entry e;
	struct feed_state f;
	struct state *s;
	char got[17], *v = NULL;
	int rc;

	fresh("v2.db");
	CHECK(exec_on(v2_schema) == SQLITE_OK, "making %s with the version 2 schema", path);
	s = state_open(path, 1, &err);
	CHECK(s == NULL && strstr(buf_cstr(&err), "version 2 is older than 4"),
	      "%s (version 2) read-only: expected a refusal naming versions 2 and 4, got \"%s\"",
	      path, buf_cstr(&err));
	state_close(s);
	CHECK(query_int("PRAGMA user_version") == 2, "%s: expected read-only to leave version 2",
	      path);

	s = open_ok(0);
	if (!s)
		goto out;
	CHECK(query_int("PRAGMA user_version") == 4, "%s after opening: expected user_version 4",
	      path);
	CHECK(query_int("SELECT count(*) FROM seen") == 3,
	      "%s after the migration: expected the 3 seen rows", path);
	CHECK(query_int("SELECT count(*) FROM seen WHERE content_hash = 0 AND revision = 0") == 3,
	      "%s after the migration: expected content_hash and revision 0 in every row", path);
	rc = state_seen_get(s, "a2a2a2a2a2a2a2a2", "outlet-a", &e);
	CHECK(rc == 1 && e.status == SEEN_WRITTEN && e.content_hash == 0 && e.revision == 0 &&
		  e.same_feed,
	      "seen_get a2 after the migration: expected 1, written, hash 0, revision 0, same feed;"
	      " got %d, status %d, hash %llx, revision %d, same feed %d",
	      rc, (int)e.status, (unsigned long long)e.content_hash, e.revision, e.same_feed);
	rc = state_seen_get(s, "b2b2b2b2b2b2b2b2", "outlet-a", &e);
	CHECK(rc == 1 && e.status == SEEN_ALIAS && !e.same_feed,
	      "seen_get b2 (an alias from outlet-b) asked for outlet-a: expected 1, alias, not the"
	      " same feed; got %d, status %d, same feed %d",
	      rc, (int)e.status, e.same_feed);
	CHECK(state_seen_get(s, "c2c2c2c2c2c2c2c2", NULL, &e) == 1 && e.status == SEEN_SPOOLING &&
		  !e.same_feed,
	      "seen_get c2 without a feed: expected spooling, not the same feed");
	CHECK(state_alias_get(s, "outlet-a", "g-1", got) == 1 && !strcmp(got, "a2a2a2a2a2a2a2a2"),
	      "alias_get (outlet-a, g-1) after the migration: expected a2");
	CHECK(state_near_find(s, 81985529216486895ull, 0, 0, got) == 1 &&
		  !strcmp(got, "a2a2a2a2a2a2a2a2"),
	      "near_find after the migration: expected a2 (its simhash and band index kept)");
	CHECK(state_feed_get(s, "outlet-a", &f) == 1 && f.articles_seen == 12 && f.etag &&
		  !strcmp(f.etag, "\"e1\""),
	      "feed outlet-a after the migration: expected its row (12 seen, etag \"e1\")");
	feed_state_fini(&f);
	CHECK(state_meta_get(s, "filters", &v) == 1 && v && !strcmp(v, "[]"),
	      "meta filters after the migration: expected \"[]\"");
	free(v);
	/* the new columns work on migrated rows */
	rc = state_seen_update(s, "a2a2a2a2a2a2a2a2", SEEN_SPOOLING, 0xfedcba9876543210ull, 4);
	CHECK(rc == 0, "seen_update a2 after the migration: expected 0, got %d (%s)", rc,
	      state_error(s));
	state_close(s);

	/* reopening a migrated database changes nothing */
	s = open_ok(0);
	CHECK(s && state_seen_get(s, "a2a2a2a2a2a2a2a2", "outlet-a", &e) == 1 &&
		  e.status == SEEN_SPOOLING && e.content_hash == 0xfedcba9876543210ull &&
		  e.revision == 4,
	      "reopened %s: expected a2 spooling, hash fedcba9876543210, revision 4", path);
	state_close(s);
	s = state_open(path, 1, &err);
	CHECK(s != NULL, "%s read-only once migrated: expected success", path);
	state_close(s);
out:
	buf_fini(&err);
}

/* Version 3 as it is on disk: version 2 and its migration 2 -> 3, verbatim, with rows. */
static const char v3_extra[] =
    "ALTER TABLE seen ADD COLUMN content_hash INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE seen ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;"
    "UPDATE seen SET content_hash = 77, revision = 1 WHERE id = 'a2a2a2a2a2a2a2a2';"
    "PRAGMA user_version = 3;";

struct cands {
	int n, with_sketch;
	char last[17];
};

static void on_cand(void *ud, const char *id, const char *feed, const void *sketch, size_t len)
{
	struct cands *c = ud;

	(void)feed;
	c->n++;
	c->with_sketch += sketch && len == 3;
	snprintf(c->last, sizeof c->last, "%s", id);
}

static void on_boiler(void *ud, uint64_t h, uint32_t n)
{
	if (h == 0x123456789abcull)
		*(uint32_t *)ud = n;
}

static int on_why(void *ud, const struct state_why *w)
{
	if (!strcmp(w->id, "d4d4d4d4d4d4d4d4") && w->alias_of &&
	    !strcmp(w->alias_of, "c4c4c4c4c4c4c4c4") && w->why && !strcmp(w->why, "long body") &&
	    w->of_feed && !strcmp(w->of_feed, "outlet-b"))
		(*(int *)ud)++;
	return 0;
}

/* An upgrade from version 3 (issue 11): rows kept with no sketch (never merged on), the new
 * tables and columns usable, expiry of keys and boilerplate. */
static void test_migration_v3(void)
{
	static const uint64_t keys[] = {0x1111, 0x2222};
	struct state_seen_new n = {"c4c4c4c4c4c4c4c4", "outlet-b", "g-c4", 0, SEEN_WRITTEN, NULL,
				   "abc", 3, keys, 2, NULL};
	struct seen_entry e;
	struct cands c = {0, 0, ""};
	struct state *s;
	uint32_t count = 0;
	int rc, whys = 0;

	fresh("v3.db");
	CHECK(exec_on(v2_schema) == SQLITE_OK && exec_on(v3_extra) == SQLITE_OK,
	      "making %s with the version 3 schema", path);
	s = open_ok(0);
	if (!s)
		return;
	CHECK(query_int("PRAGMA user_version") == 4, "%s: expected user_version 4", path);
	CHECK(query_int("SELECT count(*) FROM seen WHERE sketch IS NULL AND why IS NULL") == 3,
	      "%s after the migration: expected the 3 rows kept, no sketch, no why", path);
	CHECK(state_seen_get(s, "a2a2a2a2a2a2a2a2", "outlet-a", &e) == 1 && e.content_hash == 77 &&
		  e.revision == 1,
	      "seen_get a2 after the migration: expected its content hash 77 and revision 1");
	rc = state_near_candidates(s, keys, 2, 81985529216486895ull, 0, on_cand, &c);
	CHECK(rc == 0 && c.n == 1 && c.with_sketch == 0 && !strcmp(c.last, "a2a2a2a2a2a2a2a2"),
	      "candidates after the migration: expected a2 alone, without a sketch; got %d, %d",
	      rc, c.n);
	rc = state_seen_add_sketch(s, &n, 200);
	CHECK(rc == 0, "seen_add_sketch c4: expected 0, got %d (%s)", rc, state_error(s));
	memset(&c, 0, sizeof c);
	rc = state_near_candidates(s, keys + 1, 1, 0, 0, on_cand, &c);
	CHECK(rc == 0 && c.n == 1 && c.with_sketch == 1 && !strcmp(c.last, "c4c4c4c4c4c4c4c4"),
	      "candidates by key 0x2222: expected c4 with its sketch; got %d, %d", rc, c.n);
	n.id = "d4d4d4d4d4d4d4d4";
	n.feed = "outlet-a";
	n.status = SEEN_ALIAS;
	n.alias_of = "c4c4c4c4c4c4c4c4";
	n.why = "long body";
	n.keys = NULL;
	n.n_keys = 0;
	CHECK(state_seen_add_sketch(s, &n, 200) == 0, "seen_add_sketch d4 (an alias with why)");
	CHECK(state_why_each(s, "outlet-a", on_why, &whys) == 0 && whys == 1,
	      "why_each outlet-a: expected d4, an alias of c4 (outlet-b) by \"long body\"");
	CHECK(state_boiler_put(s, "outlet-a", 0x123456789abcull, 2, 200) == 0 &&
		  state_boiler_put(s, "outlet-a", 0x123456789abcull, 1, 210) == 0 &&
		  state_boiler_each(s, "outlet-a", on_boiler, &count) == 0 && count == 2,
	      "boiler put 2 then 1: expected the count to stay 2, got %u", count);
	/* expiry takes the old rows, their keys and the boilerplate not seen since */
	rc = state_expire(s, 205);
	CHECK(rc == 5, "expire before 205: expected the 5 seen rows, got %d", rc);
	CHECK(query_int("SELECT count(*) FROM sketch_key") == 0 &&
		  query_int("SELECT count(*) FROM boiler") == 1,
	      "expire: expected no keys left, the boilerplate seen at 210 kept");
	state_close(s);
}

struct walk {
	struct state *s;
	int n, stop_at, sorted, rewritten;
	char last[64];
};

static int on_feed(void *ud, const struct feed_state *f)
{
	struct walk *w = ud;
	struct feed_state g = *f;

	if (w->n > 0 && strcmp(w->last, f->name) >= 0)
		w->sorted = 0;
	snprintf(w->last, sizeof w->last, "%s", f->name);
	w->n++;
	/* writing from the callback is allowed */
	g.failures = 7;
	if (state_feed_put(w->s, &g) == 0)
		w->rewritten++;
	return w->n == w->stop_at ? 42 : 0;
}

static void test_feeds(struct state *s)
{
	struct feed_state f, g;
	struct walk w;
	char name[32];
	int i, rc;

	feed_state_init(&f);
	f.name = "example";
	f.url = "https://example.org/feed.xml";
	f.etag = "\"abc\"";
	f.last_modified = "Tue, 14 Oct 2025 10:00:00 GMT";
	f.last_fetch = 1760436000;
	f.last_success = 1760435000;
	f.last_status = 200;
	f.last_result = "ok 12 new";
	f.failures = 0;
	f.articles_seen = 5000000000LL;
	f.next_due = 1760439600;
	f.due_reason = "ttl 60 min";
	f.retired = 0;
	f.moved_from = NULL;
	f.pending_url = "https://example.org/new.xml";
	CHECK(state_feed_put(s, &f) == 0, "feed_put example: expected 0 (%s)", state_error(s));

	rc = state_feed_get(s, "example", &g);
	CHECK(rc == 1, "feed_get example: expected 1, got %d", rc);
	CHECK_STR(g.name, "example", "feed_get example: name");
	CHECK_STR(g.url, f.url, "feed_get example: url");
	CHECK_STR(g.etag, f.etag, "feed_get example: etag");
	CHECK_STR(g.last_modified, f.last_modified, "feed_get example: last_modified");
	CHECK_STR(g.last_result, f.last_result, "feed_get example: last_result");
	CHECK_STR(g.due_reason, f.due_reason, "feed_get example: due_reason");
	CHECK(g.moved_from == NULL, "feed_get example: moved_from expected NULL");
	CHECK_STR(g.pending_url, f.pending_url, "feed_get example: pending_url");
	CHECK(g.last_fetch == f.last_fetch && g.last_success == f.last_success &&
		  g.last_status == 200 && g.articles_seen == 5000000000LL &&
		  g.next_due == f.next_due && g.retired == 0 && g.failures == 0,
	      "feed_get example: expected the numbers put");
	feed_state_fini(&g);

	/* put again updates */
	f.etag = NULL;
	f.failures = 3;
	f.retired = 1;
	f.moved_from = "http://example.org/old.xml";
	CHECK(state_feed_put(s, &f) == 0, "feed_put example again: expected 0");
	CHECK(state_feed_get(s, "example", &g) == 1 && g.etag == NULL && g.failures == 3 &&
		  g.retired == 1 && g.moved_from && !strcmp(g.moved_from, f.moved_from),
	      "feed_get example after update: expected etag NULL, failures 3, retired, moved_from");
	feed_state_fini(&g);

	CHECK(state_feed_get(s, "nobody", &g) == 0 && g.name == NULL,
	      "feed_get nobody: expected 0 and an empty struct");
	feed_state_fini(&g);

	/* more feeds than a page, walked in name order while the callback writes */
	for (i = 0; i < 600; i++) {
		feed_state_init(&g);
		snprintf(name, sizeof name, "feed-%04d", (i * 7919) % 600);
		g.name = name;
		g.url = "https://example.com/";
		rc = state_feed_put(s, &g);
		if (rc < 0) {
			CHECK(0, "feed_put %s: expected 0, got %d", name, rc);
			break;
		}
	}
	memset(&w, 0, sizeof w);
	w.s = s;
	w.sorted = 1;
	rc = state_feed_each(s, on_feed, &w);
	CHECK(rc == 0 && w.n == 601 && w.sorted && w.rewritten == 601,
	      "feed_each over 601 feeds writing each: expected 601 in name order, got rc %d, %d "
	      "feeds, sorted %d, %d rewritten",
	      rc, w.n, w.sorted, w.rewritten);
	CHECK(state_feed_get(s, "feed-0599", &g) == 1 && g.failures == 7,
	      "feed-0599 after the walk: expected failures 7 written by the callback");
	feed_state_fini(&g);

	memset(&w, 0, sizeof w);
	w.s = s;
	w.stop_at = 300;
	rc = state_feed_each(s, on_feed, &w);
	CHECK(rc == 42 && w.n == 300,
	      "feed_each stopped at 300: expected 42 after 300, got %d "
	      "after %d",
	      rc, w.n);

	CHECK(state_feed_delete(s, "example") == 0, "feed_delete example: expected 0");
	CHECK(state_feed_get(s, "example", &g) == 0, "feed_get example after delete: expected 0");
	feed_state_fini(&g);
	CHECK(state_feed_delete(s, "example") == 0, "feed_delete example twice: expected 0");
	g.name = NULL;
	CHECK(state_feed_put(s, &g) == -EINVAL, "feed_put without a name: expected -EINVAL");
}

static void id_of(unsigned n, char out[17])
{
	snprintf(out, 17, "%016llx", (unsigned long long)n * 0x9e3779b97f4a7c15ull);
}

struct ids {
	struct state *s;
	int n, ok;
};

static int on_spooling(void *ud, const char *id)
{
	struct ids *v = ud;

	v->n++;
	/* recovery marks each one written as it goes */
	if (strlen(id) == 16 && state_seen_set_status(v->s, id, SEEN_WRITTEN) == 0)
		v->ok++;
	return 0;
}

static void test_seen(struct state *s)
{
	struct seen_entry e;
	char id[17], got[17];
	struct ids v;
	unsigned i;
	int rc;

	CHECK(state_seen_has(s, "00000000000000aa") == 0, "seen_has on an unknown id: expected 0");
	rc = state_seen_add(s, "00000000000000aa", "outlet-a", "guid-1", 0x8000000000000001ull,
			    SEEN_SPOOLING, NULL, 100);
	CHECK(rc == 0, "seen_add aa: expected 0, got %d (%s)", rc, state_error(s));
	CHECK(state_seen_has(s, "00000000000000aa") == 1, "seen_has aa: expected 1");
	rc = state_seen_add(s, "00000000000000aa", "outlet-b", NULL, 0, SEEN_WRITTEN, NULL, 101);
	CHECK(rc == -EEXIST, "seen_add aa twice: expected -EEXIST, got %d", rc);
	CHECK(state_error(s)[0], "after -EEXIST: expected SQLite's message in state_error");

	memset(got, 0, sizeof got);
	rc = state_alias_get(s, "outlet-a", "guid-1", got);
	CHECK(rc == 1, "alias_get (outlet-a, guid-1): expected 1, got %d", rc);
	CHECK_STR(got, "00000000000000aa", "alias_get (outlet-a, guid-1)");
	CHECK(state_alias_get(s, "outlet-b", "guid-1", got) == 0,
	      "alias_get (outlet-b, guid-1): expected 0 (aliases are per feed)");
	CHECK(state_alias_get(s, "outlet-a", NULL, got) == 0,
	      "alias_get with NULL guid: expected 0");

	/* the earliest id recorded for a (feed, guid) wins */
	CHECK(state_seen_add(s, "00000000000000ab", "outlet-a", "guid-1", 0, SEEN_ALIAS,
			     "00000000000000aa", 200) == 0,
	      "seen_add ab (alias of aa): expected 0 (%s)", state_error(s));
	CHECK(state_alias_get(s, "outlet-a", "guid-1", got) == 1 &&
		  !strcmp(got, "00000000000000aa"),
	      "alias_get (outlet-a, guid-1) with two ids: expected the first, aa, got %s", got);

	CHECK(state_seen_set_status(s, "00000000000000aa", SEEN_WRITTEN) == 0,
	      "set_status aa: expected 0");
	CHECK(state_seen_set_status(s, "ffffffffffffffff", SEEN_WRITTEN) == -ENOENT,
	      "set_status on an unknown id: expected -ENOENT");
	CHECK(state_seen_touch(s, "ffffffffffffffff", 5) == -ENOENT,
	      "touch on an unknown id: expected -ENOENT");
	CHECK(state_seen_add(s, "short", "f", NULL, 0, SEEN_WRITTEN, NULL, 1) == -EINVAL,
	      "seen_add with a 5-character id: expected -EINVAL");

	/* crash recovery: more SPOOLING rows than a page, each set WRITTEN from the callback */
	CHECK(state_begin(s) == 0, "begin: expected 0 (%s)", state_error(s));
	for (i = 1; i <= 700; i++) {
		id_of(i, id);
		if (state_seen_add(s, id, "outlet-c", NULL, 0, SEEN_SPOOLING, NULL, 300) < 0) {
			CHECK(0, "seen_add %s: expected 0 (%s)", id, state_error(s));
			break;
		}
	}
	CHECK(state_commit(s) == 0, "commit: expected 0 (%s)", state_error(s));
	memset(&v, 0, sizeof v);
	v.s = s;
	rc = state_seen_each(s, SEEN_SPOOLING, on_spooling, &v);
	CHECK(rc == 0 && v.n == 700 && v.ok == 700,
	      "seen_each SPOOLING over 700: expected 700 visited and set, got rc %d, %d, %d", rc,
	      v.n, v.ok);
	memset(&v, 0, sizeof v);
	rc = state_seen_each(s, SEEN_SPOOLING, on_spooling, &v);
	CHECK(rc == 0 && v.n == 0, "seen_each SPOOLING again: expected none, got %d", v.n);

	/* content hash and revision: recorded with the status, read back with the feed compared */
	rc = state_seen_get(s, "00000000000000aa", "outlet-a", &e);
	CHECK(rc == 1 && e.status == SEEN_WRITTEN && e.content_hash == 0 && e.revision == 0 &&
		  e.same_feed,
	      "seen_get aa: expected written, hash 0 (not yet known), revision 0, same feed; got "
	      "%d, %d, %llx, %d, %d",
	      rc, (int)e.status, (unsigned long long)e.content_hash, e.revision, e.same_feed);
	CHECK(state_seen_get(s, "00000000000000aa", "outlet-b", &e) == 1 && !e.same_feed,
	      "seen_get aa for outlet-b: expected not the same feed");
	CHECK(state_seen_get(s, "fffffffffffffff0", "outlet-a", &e) == 0,
	      "seen_get on an unknown id: expected 0");
	/* the high bit set: the hash round-trips through SQLite's signed integers */
	rc = state_seen_update(s, "00000000000000aa", SEEN_SPOOLING, 0x8badf00d00000001ull, 2);
	CHECK(rc == 0, "seen_update aa: expected 0, got %d (%s)", rc, state_error(s));
	rc = state_seen_get(s, "00000000000000aa", "outlet-a", &e);
	CHECK(rc == 1 && e.status == SEEN_SPOOLING && e.content_hash == 0x8badf00d00000001ull &&
		  e.revision == 2,
	      "seen_get aa after the update: expected spooling, 8badf00d00000001, 2; got %d, %d, "
	      "%llx, %d",
	      rc, (int)e.status, (unsigned long long)e.content_hash, e.revision);
	CHECK(state_seen_set_status(s, "00000000000000aa", SEEN_WRITTEN) == 0 &&
		  state_seen_get(s, "00000000000000aa", NULL, &e) == 1 &&
		  e.status == SEEN_WRITTEN && e.content_hash == 0x8badf00d00000001ull &&
		  e.revision == 2,
	      "set_status written keeps the hash and the revision");
	CHECK(state_seen_update(s, "fffffffffffffff0", SEEN_WRITTEN, 1, 1) == -ENOENT,
	      "seen_update on an unknown id: expected -ENOENT");

	CHECK(state_seen_delete(s, "00000000000000ab") == 0, "seen_delete ab: expected 0");
	CHECK(state_seen_has(s, "00000000000000ab") == 0, "seen_has ab after delete: expected 0");
	CHECK(state_seen_delete(s, "00000000000000ab") == -ENOENT,
	      "seen_delete ab twice: expected -ENOENT");
}

static uint64_t rnd_state = 88172645463325252ull;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static uint64_t flip(uint64_t h, int nbits)
{
	int b, done = 0;
	uint64_t mask = 0;

	while (done < nbits) {
		b = (int)(rnd() % 64);
		if (!(mask & ((uint64_t)1 << b))) {
			mask |= (uint64_t)1 << b;
			done++;
		}
	}
	return h ^ mask;
}

#define NEAR_N 3000

static void test_near(void)
{
	static uint64_t hs[NEAR_N];
	char id[17], got[17], want[17];
	struct state *s;
	uint64_t h, q;
	int i, j, k, d, rc, best, mismatches = 0;

	fresh("near.db");
	s = open_ok(0);
	if (!s)
		return;

	/* the top bit and bands: stored signed, compared unsigned */
	h = 0xf00000000000000full;
	CHECK(state_seen_add(s, "1000000000000001", "f", NULL, h, SEEN_WRITTEN, NULL, 1000) == 0,
	      "seen_add with SimHash %016llx: expected 0", (unsigned long long)h);
	rc = state_near_find(s, h, 3, 0, got);
	CHECK(rc == 1 && !strcmp(got, "1000000000000001"),
	      "near_find of its own SimHash %016llx: expected 1000000000000001, got %d",
	      (unsigned long long)h, rc);
	/* three bits off, in three different bands: only the fourth band matches */
	q = h ^ 0x0000000100010001ull;
	rc = state_near_find(s, q, 3, 0, got);
	CHECK(rc == 1, "near_find %016llx (3 bits off, one band equal): expected 1, got %d",
	      (unsigned long long)q, rc);
	CHECK(state_near_find(s, q, 2, 0, got) == 0,
	      "near_find %016llx with max 2: expected 0 (3 bits off)", (unsigned long long)q);
	q = h ^ 0x0001000100010001ull;
	CHECK(state_near_find(s, q, 3, 0, got) == 0,
	      "near_find %016llx (4 bits off, no band equal): expected 0", (unsigned long long)q);
	CHECK(state_near_find(s, h, 4, 0, got) == -EINVAL,
	      "near_find with max 4: expected -EINVAL (the bands only guarantee 3)");
	CHECK(state_near_find(s, 0, 3, 0, got) == 0, "near_find of SimHash 0: expected 0");
	CHECK(state_near_find(s, h, 3, 1001, got) == 0,
	      "near_find since 1001 (last seen 1000): expected 0");
	CHECK(state_seen_touch(s, "1000000000000001", 2000) == 0, "touch: expected 0");
	CHECK(state_near_find(s, h, 3, 1001, got) == 1,
	      "near_find since 1001 after a touch at 2000: expected 1");
	CHECK(state_seen_touch(s, "1000000000000001", 1500) == 0, "touch back: expected 0");
	CHECK(
	    state_near_find(s, h, 3, 1600, got) == 1,
	    "near_find since 1600 after touches at 2000 then 1500: expected 1 (never moves back)");

	/* aliases are not candidates; reserved and spooling ones are */
	CHECK(state_seen_add(s, "2000000000000002", "f", NULL, 0x1234567812345678ull, SEEN_ALIAS,
			     "1000000000000001", 1000) == 0,
	      "seen_add alias: expected 0 (%s)", state_error(s));
	CHECK(state_near_find(s, 0x1234567812345678ull, 3, 0, got) == 0,
	      "near_find of an alias's SimHash: expected 0");
	CHECK(state_seen_add(s, "3000000000000003", "f", NULL, 0x1234567812345678ull, SEEN_RESERVED,
			     NULL, 1000) == 0,
	      "seen_add reserved: expected 0 (%s)", state_error(s));
	CHECK(state_near_find(s, 0x1234567812345678ull, 3, 0, got) == 1 &&
		  !strcmp(got, "3000000000000003"),
	      "near_find of a reserved article's SimHash: expected 3000000000000003");
	CHECK(state_seen_set_status(s, "3000000000000003", SEEN_ALIAS) == 0 &&
		  state_near_find(s, 0x1234567812345678ull, 3, 0, got) == 0,
	      "near_find after the status became ALIAS: expected 0");

	/* closest first, then earliest */
	CHECK(state_seen_add(s, "4000000000000004", "f", NULL, 0x00ff00ff00ff00f1ull, SEEN_WRITTEN,
			     NULL, 500) == 0 &&
		  state_seen_add(s, "5000000000000005", "f", NULL, 0x00ff00ff00ff00f3ull,
				 SEEN_WRITTEN, NULL, 400) == 0 &&
		  state_seen_add(s, "6000000000000006", "f", NULL, 0x00ff00ff00ff00f0ull,
				 SEEN_WRITTEN, NULL, 600) == 0,
	      "seen_add three near SimHashes: expected 0");
	rc = state_near_find(s, 0x00ff00ff00ff00f0ull, 3, 0, got);
	CHECK(rc == 1 && !strcmp(got, "6000000000000006"),
	      "near_find 00ff00ff00ff00f0 (at 0, 1 and 2 bits): expected the exact one, got %s",
	      got);
	rc = state_near_find(s, 0x00ff00ff00ff00f7ull, 3, 0, got);
	CHECK(rc == 1 && !strcmp(got, "5000000000000005"),
	      "near_find 00ff00ff00ff00f7 (1 bit from ..f3, 2 from ..f1 and 3 from ..f0): expected "
	      "5000000000000005, got %s",
	      got);
	rc = state_near_find(s, 0x00ff00ff00ff00e2ull, 3, 0, got);
	CHECK(rc == 1 && !strcmp(got, "5000000000000005"),
	      "near_find 00ff00ff00ff00e2 (2 bits from ..f3 (first seen 400) and ..f0 (600)): "
	      "expected the earlier, 5000000000000005, got %s",
	      got);

	/* against brute force: random SimHashes and queries 0..6 bits from one of them */
	CHECK(state_begin(s) == 0, "begin: expected 0");
	for (i = 0; i < NEAR_N; i++) {
		hs[i] = rnd();
		snprintf(id, sizeof id, "%016x", i + 0x100000);
		if (state_seen_add(s, id, "bulk", NULL, hs[i], SEEN_WRITTEN, NULL, 3000) < 0) {
			CHECK(0, "seen_add %s: expected 0 (%s)", id, state_error(s));
			break;
		}
	}
	CHECK(state_commit(s) == 0, "commit: expected 0");
	for (k = 0; k < 2000; k++) {
		q = flip(hs[rnd() % NEAR_N], (int)(rnd() % 7));
		best = -1;
		for (j = 0; j < NEAR_N; j++) {
			d = __builtin_popcountll(q ^ hs[j]);
			if (d <= 3 && (best < 0 || d < __builtin_popcountll(q ^ hs[best])))
				best = j;
		}
		rc = state_near_find(s, q, 3, 2500, got);
		if (best >= 0)
			snprintf(want, sizeof want, "%016x", best + 0x100000);
		if (rc != (best >= 0) || (best >= 0 && strcmp(got, want) != 0)) {
			if (mismatches++ < 5)
				CHECK(
				    0,
				    "near_find %016llx: brute force says %s, the index says %d %s",
				    (unsigned long long)q, best >= 0 ? want : "none", rc,
				    rc == 1 ? got : "");
		}
	}
	CHECK(mismatches == 0, "near_find against brute force over 2000 queries: %d mismatches",
	      mismatches);
	state_close(s);
}

static void test_expire(void)
{
	struct state *s;
	char got[17];
	int rc;

	fresh("expire.db");
	s = open_ok(0);
	if (!s)
		return;
	CHECK(state_seen_add(s, "a000000000000000", "f", "g1", 0x1111111111111111ull, SEEN_WRITTEN,
			     NULL, 100) == 0 &&
		  state_seen_add(s, "b000000000000000", "g", "g2", 0x1111111111111111ull,
				 SEEN_ALIAS, "a000000000000000", 150) == 0 &&
		  state_seen_add(s, "c000000000000000", "f", "g3", 0, SEEN_WRITTEN, NULL, 100) ==
		      0 &&
		  state_seen_add(s, "d000000000000000", "f", "g4", 0, SEEN_WRITTEN, NULL, 300) == 0,
	      "seen_add four: expected 0 (%s)", state_error(s));
	CHECK(state_seen_touch(s, "c000000000000000", 250) == 0, "touch c: expected 0");
	rc = state_expire(s, 200);
	CHECK(rc == 2,
	      "expire before 200 (a at 100, b at 150, c touched at 250, d at 300): "
	      "expected 2, got %d (%s)",
	      rc, state_error(s));
	CHECK(state_seen_has(s, "a000000000000000") == 0 &&
		  state_seen_has(s, "b000000000000000") == 0,
	      "after expire: expected a and b forgotten");
	CHECK(state_seen_has(s, "c000000000000000") == 1 &&
		  state_seen_has(s, "d000000000000000") == 1,
	      "after expire: expected c (touched) and d kept");
	CHECK(state_alias_get(s, "f", "g1", got) == 0,
	      "alias_get (f, g1) after expire: expected 0");
	CHECK(state_near_find(s, 0x1111111111111111ull, 3, 0, got) == 0,
	      "near_find after its article expired: expected 0");

	/* expiring an original leaves its alias with alias_of NULL (foreign key ON DELETE SET NULL)
	 */
	CHECK(state_seen_add(s, "e000000000000000", "f", NULL, 0, SEEN_WRITTEN, NULL, 400) == 0 &&
		  state_seen_add(s, "f000000000000000", "g", NULL, 0, SEEN_ALIAS,
				 "e000000000000000", 900) == 0,
	      "seen_add e and its alias f: expected 0 (%s)", state_error(s));
	rc = state_expire(s, 500);
	CHECK(rc == 3, "expire before 500: expected 3 (c, d, e), got %d", rc);
	CHECK(query_int("SELECT alias_of IS NULL FROM seen WHERE id = 'f000000000000000'") == 1,
	      "alias f after its original e expired: expected alias_of NULL");
	CHECK(state_seen_add(s, "9000000000000000", "g", NULL, 0, SEEN_ALIAS, "0000000000000bad",
			     900) == -EINVAL,
	      "seen_add as the alias of an unknown id: expected -EINVAL (foreign key)");
	state_close(s);
}

static void test_transactions(void)
{
	struct state *s, *r, *w2;
	struct feed_state f;
	struct buf err = BUF_INIT;
	char got[17];
	int rc;

	fresh("tx.db");
	s = open_ok(0);
	if (!s)
		return;
	CHECK(state_begin(s) == 0, "begin: expected 0");
	CHECK(state_seen_add(s, "aaaaaaaaaaaaaaaa", "f", "g", 0, SEEN_WRITTEN, NULL, 1) == 0,
	      "seen_add in a transaction: expected 0");
	CHECK(state_begin(s) < 0, "begin inside a transaction: expected an error (no nesting)");
	CHECK(state_rollback(s) == 0, "rollback: expected 0");
	CHECK(state_seen_has(s, "aaaaaaaaaaaaaaaa") == 0, "after rollback: expected the id gone");

	CHECK(state_begin(s) == 0, "begin: expected 0");
	CHECK(state_seen_add(s, "bbbbbbbbbbbbbbbb", "f", "g", 0, SEEN_WRITTEN, NULL, 1) == 0,
	      "seen_add in a transaction: expected 0");
	/* a bad row fails alone; the batch goes on and commits */
	rc = state_seen_add(s, "eeeeeeeeeeeeeeee", "f", NULL, 0, SEEN_ALIAS, "0000000000000bad", 1);
	CHECK(rc == -EINVAL,
	      "seen_add as the alias of an unknown id in a transaction: expected "
	      "-EINVAL at once, got %d",
	      rc);
	CHECK(state_seen_add(s, "bbbbbbbbbbbbbbbb", "f", "g", 0, SEEN_WRITTEN, NULL, 1) == -EEXIST,
	      "seen_add of a known id in a transaction: expected -EEXIST");
	CHECK(state_commit(s) == 0, "commit after failed statements: expected 0 (%s)",
	      state_error(s));
	CHECK(state_seen_has(s, "bbbbbbbbbbbbbbbb") == 1 &&
		  state_seen_has(s, "eeeeeeeeeeeeeeee") == 0,
	      "after the commit: expected bbbb... recorded and eeee... not");

	/* a reader opens and reads while the writer holds an open write transaction */
	CHECK(state_begin(s) == 0, "begin: expected 0");
	CHECK(state_seen_add(s, "cccccccccccccccc", "f", "h", 0, SEEN_WRITTEN, NULL, 2) == 0,
	      "seen_add in a transaction: expected 0");
	feed_state_init(&f);
	f.name = "f";
	f.url = "https://example.net/";
	CHECK(state_feed_put(s, &f) == 0, "feed_put in a transaction: expected 0");
	r = open_ok(1);
	if (r) {
		CHECK(state_seen_has(r, "bbbbbbbbbbbbbbbb") == 1,
		      "read-only beside a writer: expected the committed id");
		CHECK(state_seen_has(r, "cccccccccccccccc") == 0,
		      "read-only beside a writer: expected the uncommitted id invisible");
		CHECK(state_alias_get(r, "f", "g", got) == 1, "read-only alias_get: expected 1");
		rc = state_seen_add(r, "dddddddddddddddd", "f", NULL, 0, SEEN_WRITTEN, NULL, 3);
		CHECK(rc == -EROFS, "seen_add read-only: expected -EROFS, got %d", rc);
	}

	/* a second writer finds the database locked: -EBUSY, after the busy timeout */
	w2 = state_open(path, 0, &err);
	CHECK(w2 != NULL, "a second writer opening %s: expected success, got \"%s\"", path,
	      buf_cstr(&err));
	if (w2) {
		rc = state_begin(w2);
		CHECK(rc == -EBUSY,
		      "begin while another writer holds the lock: expected -EBUSY, "
		      "got %d (%s)",
		      rc, state_error(w2));
		CHECK(strstr(state_error(w2), "locked") != NULL,
		      "state_error after -EBUSY: expected SQLite's \"database is locked\", got "
		      "\"%s\"",
		      state_error(w2));
		state_close(w2);
	}
	CHECK(state_commit(s) == 0, "commit: expected 0");
	if (r) {
		CHECK(state_seen_has(r, "cccccccccccccccc") == 1,
		      "read-only after the writer committed: expected the id");
		CHECK(state_feed_get(r, "f", &f) == 1, "read-only feed_get: expected 1");
		feed_state_fini(&f);
	}
	state_close(r);
	state_close(s);

	s = open_ok(0);
	CHECK(s && state_seen_has(s, "bbbbbbbbbbbbbbbb") == 1 &&
		  state_seen_has(s, "cccccccccccccccc") == 1,
	      "reopened: expected the committed ids");
	state_close(s);
	buf_fini(&err);
}

/* The directory holds only our databases and their -wal and -shm files. */
static void cleanup(void)
{
	char p[512];
	struct dirent *e;
	DIR *d = opendir(dir);

	while (d && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	if (rmdir(dir) != 0)
		perror(dir);
}

int main(void)
{
	struct state *s;
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof dir, "%s/test_state.XXXXXX",
		 tmp && *tmp && strlen(tmp) < 40 ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror(dir);
		return 99;
	}
	test_open();
	test_versions();
	test_migration();
	test_migration_v3();
	fresh("main.db");
	s = open_ok(0);
	if (s) {
		test_feeds(s);
		test_seen(s);
		state_close(s);
	}
	test_near();
	test_expire();
	test_transactions();
	cleanup();
	return check_exit();
}
