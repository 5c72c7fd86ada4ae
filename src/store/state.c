/* SPDX-License-Identifier: MIT */
/* The daemon's state in SQLite: schema, migrations, feeds, seen set and near-duplicate index. */
#include "autoconfig.h"

#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dedup.h"
#include "log.h"

/*
 * Schema (version 4; PRAGMA user_version holds the version, migrations[] below the steps):
 *
 * feeds: one row per configured name, kept until state_feed_delete.
 *
 * seen: one row per article id (WITHOUT ROWID: the 16-hex-digit id is the key, so a lookup is
 * one B-tree search). simhash is the 64-bit SimHash stored as a signed 64-bit integer (0: none).
 * content_hash (version 3) is the XXH3-64 of the text rendering (article_content_hash) of the
 * version last judged: the one written, or a later revision a filter dropped; stored the same
 * way; 0 means unknown (rows from before version 3, and aliases): the first sighting then
 * records it, no revision is written. revision is that
 * version's number (0: the first; a feed with `revisions = yes` writes 1, 2, ... as the content
 * changes). Both are set with the status (state_seen_update) once the version's files are
 * durable in tmp/, so a crash before that leaves the old hash and the revision is written again.
 * Secondary indexes:
 *  - seen_guid (feed, guid, first_seen): the (feed, guid) alias lookup, earliest first;
 *  - seen_last (last_seen): state_expire deletes a range instead of scanning the table;
 *  - seen_alias (alias_of): alias_of references seen(id) ON DELETE SET NULL, so expiring an
 *    original clears its aliases' pointer; the index keeps that from scanning per deleted row.
 *    The check is immediate, not deferred: a bad alias fails its own INSERT, not the batch's
 *    COMMIT (an alias always names a row already found by state_alias_get or state_near_find).
 *  - seen_band0..3: the near-duplicate index. band<k> is a virtual generated column holding bits
 *    16k..16k+15 of simhash, each with its own partial index over accepted articles (status not
 *    SEEN_ALIAS) that have a SimHash. Two hashes within 3 bits differ in at most 3 of the 4
 *    bands, so at least one band is equal (pigeonhole): state_near_find fetches the rows that
 *    share a band exactly (four index searches; about 4n / 65536 random candidates for n rows)
 *    and checks the full Hamming distance in C. Generated columns keep one source of truth (a
 *    band cannot disagree with simhash) and cost nothing to store.
 * Version 4 (issue 11's dedup rules):
 *  - seen.sketch: the article's dedup sketch (dedup_sketch_encode: title words, sentence
 *    hashes, numbers), NULL for rows from before; seen.why: for a near-duplicate alias, the rule
 *    and distance that merged it (`feedspool dedup`);
 *  - sketch_key (h, id): up to DEDUP_KEYS sentence hashes of each accepted article, the lookup
 *    that finds a copy's candidates; rows whose article expired are removed by state_expire;
 *  - boiler (feed, h, n, last_seen): the sentences seen in n >= 2 articles of a feed (its
 *    boilerplate, discounted by the rules), expired like the seen set.
 * seen.feed deliberately has no foreign key to feeds: identity is across feeds, and the ids of a
 * deleted feed must still stop its articles from being written again if it comes back.
 */

static const char *const migrations[] = {
    /* 0 -> 1 */
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
    "CREATE INDEX seen_band3 ON seen(band3) WHERE simhash != 0 AND status != 3;",
    /* 1 -> 2: small named values the daemon publishes (the filter counters for `feeds`) */
    "CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) WITHOUT ROWID;",
    /* 2 -> 3: what was accepted of each article, for revisions (0: unknown, the rows before) */
    "ALTER TABLE seen ADD COLUMN content_hash INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE seen ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;",
    /* 3 -> 4: what the dedup rules need (sketches, their lookup keys, per-feed boilerplate) */
    "ALTER TABLE seen ADD COLUMN sketch BLOB;"
    "ALTER TABLE seen ADD COLUMN why TEXT;"
    "CREATE TABLE sketch_key (h INTEGER NOT NULL, id TEXT NOT NULL,"
    " PRIMARY KEY (h, id)) WITHOUT ROWID;"
    "CREATE TABLE boiler (feed TEXT NOT NULL, h INTEGER NOT NULL, n INTEGER NOT NULL,"
    " last_seen INTEGER NOT NULL, PRIMARY KEY (feed, h)) WITHOUT ROWID;"
    /* ids recorded under the older link rules exist: dedup looks those up too */
    "INSERT INTO meta (key, value) SELECT 'v3_ids', '1' WHERE EXISTS (SELECT 1 FROM seen);",
};

_Static_assert(sizeof migrations / sizeof migrations[0] == STATE_SCHEMA_VERSION,
	       "one migration per schema version");
_Static_assert(SEEN_ALIAS == 3, "the partial band indexes name SEEN_ALIAS as 3");

/* How long a statement waits for another process's lock before it fails with -EBUSY. */
#define BUSY_TIMEOUT_MS 3000

/* A page of rows for the _each functions: callbacks may then call anything, even writes. */
#define PAGE 256
#define STR_(x) #x
#define STR(x) STR_(x)

#define FEED_COLUMNS                                                                               \
	"name, url, etag, last_modified, last_fetch, last_success, last_status, last_result,"      \
	" failures, articles_seen, next_due, due_reason, retired, moved_from, pending_url"

enum {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_FEED_GET,
	ST_FEED_PUT,
	ST_FEED_PAGE,
	ST_FEED_DELETE,
	ST_SEEN_HAS,
	ST_SEEN_GET,
	ST_SEEN_UPDATE,
	ST_ALIAS_GET,
	ST_SEEN_ADD,
	ST_SEEN_STATUS,
	ST_SEEN_DELETE,
	ST_SEEN_PAGE,
	ST_SEEN_TOUCH,
	ST_NEAR,
	ST_EXPIRE,
	ST_SEEN_ADD_SKETCH,
	ST_KEY_ADD,
	ST_KEY_FIND,
	ST_NEAR_SKETCH,
	ST_BOILER_GET,
	ST_BOILER_PUT,
	ST_WHY_PAGE,
	ST_EXPIRE_KEYS,
	ST_EXPIRE_BOILER,
	ST_COUNT
};

static const char *const statements[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_FEED_GET] = "SELECT " FEED_COLUMNS " FROM feeds WHERE name = ?1",
    [ST_FEED_PUT] = "INSERT INTO feeds (" FEED_COLUMNS ")"
		    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
		    " ON CONFLICT (name) DO UPDATE SET url = ?2, etag = ?3, last_modified = ?4,"
		    " last_fetch = ?5, last_success = ?6, last_status = ?7, last_result = ?8,"
		    " failures = ?9, articles_seen = ?10, next_due = ?11, due_reason = ?12,"
		    " retired = ?13, moved_from = ?14, pending_url = ?15",
    [ST_FEED_PAGE] = "SELECT " FEED_COLUMNS " FROM feeds WHERE ?1 IS NULL OR name > ?1"
		     " ORDER BY name LIMIT " STR(PAGE),
    [ST_FEED_DELETE] = "DELETE FROM feeds WHERE name = ?1",
    [ST_SEEN_HAS] = "SELECT 1 FROM seen WHERE id = ?1",
    [ST_SEEN_GET] = "SELECT status, content_hash, revision, feed IS ?2 FROM seen WHERE id = ?1",
    [ST_SEEN_UPDATE] =
	"UPDATE seen SET status = ?2, content_hash = ?3, revision = ?4 WHERE id = ?1",
    [ST_ALIAS_GET] = "SELECT id FROM seen WHERE feed = ?1 AND guid = ?2"
		     " ORDER BY first_seen LIMIT 1",
    [ST_SEEN_ADD] = "INSERT INTO seen (id, feed, guid, simhash, status, alias_of, first_seen,"
		    " last_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
    [ST_SEEN_STATUS] = "UPDATE seen SET status = ?2 WHERE id = ?1",
    [ST_SEEN_DELETE] = "DELETE FROM seen WHERE id = ?1",
    [ST_SEEN_PAGE] = "SELECT id FROM seen WHERE status = ?1 AND id > ?2 ORDER BY id"
		     " LIMIT " STR(PAGE),
    /* max(): a late touch with an older clock never moves retention backwards */
    [ST_SEEN_TOUCH] = "UPDATE seen SET last_seen = max(last_seen, ?2) WHERE id = ?1",
    /* one search per band; the band terms repeat the partial indexes' condition verbatim */
    [ST_NEAR] = "SELECT id, simhash, first_seen FROM seen WHERE band0 = ?1 AND simhash != 0"
		" AND status != 3 AND last_seen >= ?5"
		" UNION ALL SELECT id, simhash, first_seen FROM seen WHERE band1 = ?2"
		" AND simhash != 0 AND status != 3 AND last_seen >= ?5"
		" UNION ALL SELECT id, simhash, first_seen FROM seen WHERE band2 = ?3"
		" AND simhash != 0 AND status != 3 AND last_seen >= ?5"
		" UNION ALL SELECT id, simhash, first_seen FROM seen WHERE band3 = ?4"
		" AND simhash != 0 AND status != 3 AND last_seen >= ?5",
    [ST_EXPIRE] = "DELETE FROM seen WHERE last_seen < ?1",
    [ST_SEEN_ADD_SKETCH] = "INSERT INTO seen (id, feed, guid, simhash, status, alias_of,"
			   " first_seen, last_seen, sketch, why)"
			   " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?9)",
    [ST_KEY_ADD] = "INSERT OR IGNORE INTO sketch_key (h, id) VALUES (?1, ?2)",
    [ST_KEY_FIND] = "SELECT s.id, s.feed, s.sketch FROM sketch_key k JOIN seen s ON s.id = k.id"
		    " WHERE k.h = ?1 AND s.status != 3 AND s.last_seen >= ?2 AND s.sketch IS NOT NULL"
		    " LIMIT 16",
    [ST_NEAR_SKETCH] =
	"SELECT id, simhash, feed, sketch FROM seen WHERE band0 = ?1 AND simhash != 0"
	" AND status != 3 AND last_seen >= ?5"
	" UNION ALL SELECT id, simhash, feed, sketch FROM seen WHERE band1 = ?2"
	" AND simhash != 0 AND status != 3 AND last_seen >= ?5"
	" UNION ALL SELECT id, simhash, feed, sketch FROM seen WHERE band2 = ?3"
	" AND simhash != 0 AND status != 3 AND last_seen >= ?5"
	" UNION ALL SELECT id, simhash, feed, sketch FROM seen WHERE band3 = ?4"
	" AND simhash != 0 AND status != 3 AND last_seen >= ?5 LIMIT 64",
    [ST_BOILER_GET] = "SELECT h, n FROM boiler WHERE feed = ?1 ORDER BY n DESC LIMIT 1024",
    [ST_BOILER_PUT] = "INSERT INTO boiler (feed, h, n, last_seen) VALUES (?1, ?2, ?3, ?4)"
		      " ON CONFLICT (feed, h) DO UPDATE SET n = max(n, ?3), last_seen = ?4",
    [ST_WHY_PAGE] = "SELECT a.id, a.feed, a.guid, a.alias_of, a.why, a.first_seen, o.feed, o.guid"
		    " FROM seen a LEFT JOIN seen o ON o.id = a.alias_of"
		    " WHERE a.status = 3 AND a.why IS NOT NULL AND (?1 IS NULL OR a.feed = ?1)"
		    " AND a.id > ?2 ORDER BY a.id LIMIT " STR(PAGE),
    [ST_EXPIRE_KEYS] = "DELETE FROM sketch_key WHERE NOT EXISTS"
		       " (SELECT 1 FROM seen WHERE seen.id = sketch_key.id)",
    [ST_EXPIRE_BOILER] = "DELETE FROM boiler WHERE last_seen < ?1",
};

struct state {
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT];
	int v3_ids; /* ids recorded before schema version 4 may be in the seen set */
	char err[512];
};

/* Keeps the message (the connection's own is overwritten by the next call) and maps the code. */
static int fail(struct state *s, int rc)
{
	if ((rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB)
		snprintf(s->err, sizeof s->err,
			 "%s (the state database is corrupt: stop feedspool and run "
			 "`feedspool state rebuild`, see feedspool(1))",
			 sqlite3_errmsg(s->db));
	else
		snprintf(s->err, sizeof s->err, "%s", sqlite3_errmsg(s->db));
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CONSTRAINT:
		return rc == SQLITE_CONSTRAINT_PRIMARYKEY ? -EEXIST : -EINVAL;
	case SQLITE_TOOBIG:
	case SQLITE_RANGE:
	case SQLITE_MISUSE:
		return -EINVAL;
	default:
		return -EIO;
	}
}

/* Runs a statement that returns no rows; resets it whatever happens. */
static int run(struct state *s, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		rc = fail(s, rc);
		sqlite3_reset(st);
		return rc;
	}
	sqlite3_reset(st);
	return 0;
}

static int bind_text(sqlite3_stmt *st, int i, const char *v)
{
	return v ? sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}

static int exec(struct state *s, const char *sql)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : fail(s, rc);
}

/* The integer a one-row query answers. */
static int query_int(struct state *s, const char *sql, int *out)
{
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return fail(s, rc);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int(st, 0);
		rc = 0;
	} else {
		rc = fail(s, rc);
	}
	sqlite3_finalize(st);
	return rc;
}

static int user_version(struct state *s, int *out)
{
	return query_int(s, "PRAGMA user_version", out);
}

static int table_count(struct state *s, int *out)
{
	return query_int(s, "SELECT count(*) FROM sqlite_master", out);
}

static int too_new(const char *path, int version, struct buf *err)
{
	buf_printf(err,
		   "%s: state schema version %d is newer than this feedspool knows (%d); "
		   "it was written by a newer feedspool",
		   path, version, STATE_SCHEMA_VERSION);
	return -EPROTONOSUPPORT;
}

/* Applies the missing migrations in one transaction. The write lock is taken only when there is
 * something to do (a second opener must not need it), and the version read again under it, so
 * two openers cannot both migrate. */
static int migrate(struct state *s, const char *path, struct buf *err)
{
	char sql[64];
	int version = 0, rc, i;

	if ((rc = user_version(s, &version)) < 0)
		goto fail;
	if (version == STATE_SCHEMA_VERSION)
		return 0;
	if ((rc = exec(s, "BEGIN IMMEDIATE")) < 0)
		goto fail;
	if ((rc = user_version(s, &version)) < 0)
		goto rollback;
	if (version > STATE_SCHEMA_VERSION) {
		exec(s, "ROLLBACK");
		return too_new(path, version, err);
	}
	for (i = version; i < STATE_SCHEMA_VERSION; i++) {
		if ((rc = exec(s, migrations[i])) < 0)
			goto rollback;
	}
	if (version < STATE_SCHEMA_VERSION) {
		snprintf(sql, sizeof sql, "PRAGMA user_version = %d", STATE_SCHEMA_VERSION);
		if ((rc = exec(s, sql)) < 0)
			goto rollback;
	}
	if ((rc = exec(s, "COMMIT")) < 0)
		goto rollback;
	return 0;

rollback:
	exec(s, "ROLLBACK");
fail:
	buf_printf(err, "%s: migrating the state schema from version %d to %d: %s", path, version,
		   STATE_SCHEMA_VERSION, s->err);
	return rc;
}

/* The writer's settings: WAL (kept in the file; asked again to be sure) and per-connection ones. */
static int configure(struct state *s, const char *path, struct buf *err)
{
	sqlite3_stmt *st;
	const char *mode;
	int rc;

	/* journal_mode answers with the mode in effect, which is not always the one asked for */
	rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		mode = (const char *)sqlite3_column_text(st, 0);
		if (!mode || strcmp(mode, "wal") != 0) {
			buf_printf(err, "%s: cannot switch the state database to WAL mode (%s)",
				   path, mode ? mode : "?");
			sqlite3_finalize(st);
			return -EIO;
		}
		rc = SQLITE_OK;
	}
	if (rc != SQLITE_OK) {
		rc = fail(s, rc);
		sqlite3_finalize(st);
		goto fail;
	}
	sqlite3_finalize(st);
	/* NORMAL in WAL mode: a commit writes the WAL without fsync, so no commit blocks the loop
	 * thread on the disk; a killed process loses nothing (the WAL is in the kernel), a power
	 * loss may lose the last commits (the WAL is fsynced at checkpoints). */
	if ((rc = exec(s, "PRAGMA synchronous = NORMAL")) < 0)
		goto fail;
	if ((rc = exec(s, "PRAGMA foreign_keys = ON")) < 0)
		goto fail;
	return 0;

fail:
	buf_printf(err, "%s: %s", path, s->err);
	return rc;
}

/* Refuses a database, -wal or -shm that is a symbolic link or not a regular file: SQLite
 * follows links, so a planted state.db-wal link would have it write the log elsewhere. Only
 * looks (lstat); nothing is created, so a refused start leaves everything as it was. */
static int refuse_links(const char *path, struct buf *err)
{
	static const char *const suffix[] = {"", "-wal", "-shm"};
	struct buf p = BUF_INIT;
	struct stat st;
	int rc = 0, i;

	for (i = 0; i < 3 && !rc; i++) {
		buf_reset(&p);
		buf_printf(&p, "%s%s", path, suffix[i]);
		if (lstat(buf_cstr(&p), &st) != 0) {
			if (errno != ENOENT) {
				rc = -errno;
				buf_printf(err, "%s: %s", buf_cstr(&p), strerror(errno));
			}
		} else if (S_ISLNK(st.st_mode)) {
			rc = -ELOOP;
			buf_printf(err, "%s: a symbolic link; refusing (%s)", buf_cstr(&p),
				   i ? "remove it; SQLite creates it beside the database"
				     : "set `state` to the file it points to");
		} else if (!S_ISREG(st.st_mode)) {
			rc = -EINVAL;
			buf_printf(err, "%s: not a regular file; refusing", buf_cstr(&p));
		}
	}
	buf_fini(&p);
	return rc;
}

/* SQLite gives new files 0644 & ~umask, and its -wal and -shm the database's mode: the
 * database is created 0600, and an existing one (touched, restored from a backup) and its
 * -wal and -shm are brought back to 0600. The seen set and feed URLs are nobody else's
 * business. */
static int make_private(const char *path, struct buf *err)
{
	static const char *const suffix[] = {"", "-wal", "-shm"};
	struct buf p = BUF_INIT;
	struct stat st;
	int rc = 0, fd, i;

	for (i = 0; i < 3 && !rc; i++) {
		buf_reset(&p);
		buf_printf(&p, "%s%s", path, suffix[i]);
		fd = open(buf_cstr(&p), O_RDWR | O_NOFOLLOW | O_CLOEXEC | (i ? 0 : O_CREAT), 0600);
		if (fd < 0) {
			if (i && errno == ENOENT)
				continue;
			rc = -errno;
			buf_printf(err, "%s: %s", buf_cstr(&p), strerror(errno));
			break;
		}
		if (fstat(fd, &st) == 0 && (st.st_mode & 077)) {
			if (fchmod(fd, 0600) != 0) {
				rc = -errno;
				buf_printf(
				    err,
				    "%s: mode %04o lets others read the state, and it cannot "
				    "be changed: %s (run chmod 600 %s)",
				    buf_cstr(&p), (unsigned)(st.st_mode & 07777), strerror(errno),
				    buf_cstr(&p));
			} else {
				log_warnx(
				    "state %s: mode %04o changed to 0600 (the state is private)",
				    buf_cstr(&p), (unsigned)(st.st_mode & 07777));
			}
		}
		close(fd);
	}
	buf_fini(&p);
	return rc;
}

struct state *state_open(const char *path, int readonly, struct buf *err)
{
	struct state *s;
	int rc, i, version, tables = 0;

	s = calloc(1, sizeof *s);
	if (!s) {
		buf_printf(err, "%s: out of memory", path);
		return NULL;
	}
	if (refuse_links(path, err) < 0 || (!readonly && make_private(path, err) < 0))
		goto fail;
	rc = sqlite3_open_v2(
	    path, &s->db,
	    SQLITE_OPEN_NOFOLLOW |
		(readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE),
	    NULL);
	if (rc != SQLITE_OK) {
		if (!s->db)
			buf_printf(err, "%s: out of memory", path);
		else
			buf_printf(err, "%s: %s", path, sqlite3_errmsg(s->db));
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	/* the daemon is the only writer; this covers a reader's brief locks and a checkpoint */
	sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
	/* refused before anything is written to it, even the journal mode */
	if (user_version(s, &version) < 0) {
		buf_printf(err, "%s: %s", path, s->err);
		goto fail;
	}
	if (version > STATE_SCHEMA_VERSION) {
		too_new(path, version, err);
		goto fail;
	}
	if (readonly && version < STATE_SCHEMA_VERSION) {
		buf_printf(err,
			   "%s: state schema version %d is older than %d (the daemon migrates it "
			   "when it next opens the database)",
			   path, version, STATE_SCHEMA_VERSION);
		goto fail;
	}
	/* version 0 with tables in it is some other program's database: leave it alone */
	if (!readonly && version == 0 && table_count(s, &tables) == 0 && tables > 0) {
		buf_printf(err, "%s: not a feedspool state database (no schema version, %d tables)",
			   path, tables);
		goto fail;
	}
	if (!readonly && (configure(s, path, err) < 0 || migrate(s, path, err) < 0))
		goto fail;
	for (i = 0; i < ST_COUNT; i++) {
		rc = sqlite3_prepare_v3(s->db, statements[i], -1, SQLITE_PREPARE_PERSISTENT,
					&s->st[i], NULL);
		if (rc != SQLITE_OK) {
			buf_printf(err, "%s: preparing statement %d: %s", path, i,
				   sqlite3_errmsg(s->db));
			goto fail;
		}
	}
	{
		char *v = NULL;

		s->v3_ids = state_meta_get(s, "v3_ids", &v) == 1;
		free(v);
	}
	return s;

fail:
	state_close(s);
	return NULL;
}

/* "file:PATH?immutable=1", PATH escaped for a URI. */
static char *immutable_uri(const char *path)
{
	struct buf u = BUF_INIT;
	const char *c;

	buf_puts(&u, "file:");
	for (c = path; *c; c++) {
		if (*c == '%' || *c == '?' || *c == '#')
			buf_printf(&u, "%%%02X", (unsigned char)*c);
		else
			buf_putc(&u, *c);
	}
	buf_puts(&u, "?immutable=1");
	return buf_steal(&u);
}

int state_verify(const char *path, struct buf *err)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	struct stat wal;
	struct buf wal_path = BUF_INIT;
	char *uri = NULL;
	const char *answer;
	int rc, flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW;

	/* Without a -wal (no daemon running, a clean stop) the file is the whole database: read it
	 * as immutable, which creates no -shm. With one, SQLite must read it too (read-only). */
	if (buf_printf(&wal_path, "%s-wal", path) < 0)
		return -ENOMEM;
	if (lstat(buf_cstr(&wal_path), &wal) != 0 && errno == ENOENT) {
		if (!(uri = immutable_uri(path))) {
			buf_fini(&wal_path);
			return -ENOMEM;
		}
		flags |= SQLITE_OPEN_URI;
	}
	buf_fini(&wal_path);
	rc = sqlite3_open_v2(uri ? uri : path, &db, flags, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
		rc = sqlite3_prepare_v2(db, "PRAGMA quick_check(1)", -1, &st, NULL);
	}
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		answer = (const char *)sqlite3_column_text(st, 0);
		rc = answer && !strcmp(answer, "ok") ? 0 : -EIO;
		for (; rc && answer && *answer;
		     answer++) /* one line: "*** in database main ***\n..." */
			buf_puts(err, *answer == '\n' ? "; " : (char[2]){*answer, 0});
		if (rc && !answer)
			buf_puts(err, "quick_check answered nothing");
	} else {
		buf_printf(err, "%s", db ? sqlite3_errmsg(db) : "out of memory");
		rc = (rc & 0xff) == SQLITE_BUSY ? -EBUSY : -EIO;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	free(uri);
	return rc;
}

void state_close(struct state *s)
{
	int i;

	if (!s)
		return;
	for (i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	sqlite3_close(s->db);
	free(s);
}

int state_meta_put(struct state *s, const char *key, const char *value)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
				    -1, &st, NULL);

	if (rc != SQLITE_OK)
		return fail(s, rc);
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : fail(s, rc);
}

int state_meta_get(struct state *s, const char *key, char **value)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key = ?", -1, &st, NULL);

	*value = NULL;
	if (rc != SQLITE_OK)
		return fail(s, rc);
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const unsigned char *v = sqlite3_column_text(st, 0);

		*value = v ? strdup((const char *)v) : NULL;
		rc = *value ? 1 : -ENOMEM;
	} else {
		rc = rc == SQLITE_DONE ? 0 : fail(s, rc);
	}
	sqlite3_finalize(st);
	return rc;
}

const char *state_error(const struct state *s)
{
	return s ? s->err : "no state database";
}

int state_begin(struct state *s)
{
	return run(s, s->st[ST_BEGIN]);
}

int state_commit(struct state *s)
{
	return run(s, s->st[ST_COMMIT]);
}

int state_rollback(struct state *s)
{
	return run(s, s->st[ST_ROLLBACK]);
}

int state_probe(struct state *s)
{
	int rc;

	/* no waiting: the loop thread must not block on another process's lock */
	sqlite3_busy_timeout(s->db, 0);
	rc = run(s, s->st[ST_BEGIN]);
	sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
	if (rc == 0)
		run(s, s->st[ST_ROLLBACK]);
	return rc;
}

void feed_state_init(struct feed_state *f)
{
	memset(f, 0, sizeof *f);
}

void feed_state_fini(struct feed_state *f)
{
	free(f->name);
	free(f->url);
	free(f->etag);
	free(f->last_modified);
	free(f->last_result);
	free(f->due_reason);
	free(f->moved_from);
	free(f->pending_url);
	feed_state_init(f);
}

int feed_state_copy(struct feed_state *dst, const struct feed_state *src)
{
	struct feed_state c = *src;
	int fail = 0;

#define DUP(x) fail |= src->x && !(c.x = strdup(src->x))
	c.name = c.url = c.etag = c.last_modified = c.last_result = NULL;
	c.due_reason = c.moved_from = c.pending_url = NULL;
	if (!dst->name)
		DUP(name);
	DUP(url);
	DUP(etag);
	DUP(last_modified);
	DUP(last_result);
	DUP(due_reason);
	DUP(moved_from);
	DUP(pending_url);
#undef DUP
	if (fail) {
		feed_state_fini(&c);
		return -ENOMEM;
	}
	if (dst->name) {
		c.name = dst->name;
		dst->name = NULL;
	}
	feed_state_fini(dst);
	*dst = c;
	return 0;
}

/* A text column as an owned string (NULL for NULL); -ENOMEM when the copy fails. */
static int column_dup(sqlite3_stmt *st, int i, char **out)
{
	const unsigned char *v = sqlite3_column_text(st, i);

	*out = NULL;
	if (!v)
		return sqlite3_column_type(st, i) == SQLITE_NULL ? 0 : -ENOMEM;
	*out = strdup((const char *)v);
	return *out ? 0 : -ENOMEM;
}

/* Fills f (initialized here) from a row in FEED_COLUMNS order. */
static int feed_row(sqlite3_stmt *st, struct feed_state *f)
{
	feed_state_init(f);
	if (column_dup(st, 0, &f->name) < 0 || column_dup(st, 1, &f->url) < 0 ||
	    column_dup(st, 2, &f->etag) < 0 || column_dup(st, 3, &f->last_modified) < 0 ||
	    column_dup(st, 7, &f->last_result) < 0 || column_dup(st, 11, &f->due_reason) < 0 ||
	    column_dup(st, 13, &f->moved_from) < 0 || column_dup(st, 14, &f->pending_url) < 0) {
		feed_state_fini(f);
		return -ENOMEM;
	}
	f->last_fetch = sqlite3_column_int64(st, 4);
	f->last_success = sqlite3_column_int64(st, 5);
	f->last_status = sqlite3_column_int(st, 6);
	f->failures = sqlite3_column_int(st, 8);
	f->articles_seen = sqlite3_column_int64(st, 9);
	f->next_due = sqlite3_column_int64(st, 10);
	f->retired = sqlite3_column_int(st, 12);
	return 0;
}

int state_feed_get(struct state *s, const char *name, struct feed_state *out)
{
	sqlite3_stmt *st = s->st[ST_FEED_GET];
	int rc;

	feed_state_init(out);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = feed_row(st, out) < 0 ? -ENOMEM : 1;
	else if (rc == SQLITE_DONE)
		rc = 0;
	else
		rc = fail(s, rc);
	sqlite3_reset(st);
	return rc;
}

int state_feed_put(struct state *s, const struct feed_state *f)
{
	sqlite3_stmt *st = s->st[ST_FEED_PUT];

	if (!f->name)
		return -EINVAL;
	bind_text(st, 1, f->name);
	bind_text(st, 2, f->url);
	bind_text(st, 3, f->etag);
	bind_text(st, 4, f->last_modified);
	sqlite3_bind_int64(st, 5, f->last_fetch);
	sqlite3_bind_int64(st, 6, f->last_success);
	sqlite3_bind_int(st, 7, f->last_status);
	bind_text(st, 8, f->last_result);
	sqlite3_bind_int(st, 9, f->failures);
	sqlite3_bind_int64(st, 10, f->articles_seen);
	sqlite3_bind_int64(st, 11, f->next_due);
	bind_text(st, 12, f->due_reason);
	sqlite3_bind_int(st, 13, f->retired);
	bind_text(st, 14, f->moved_from);
	bind_text(st, 15, f->pending_url);
	return run(s, st);
}

int state_feed_each(struct state *s, int (*fn)(void *ud, const struct feed_state *f), void *ud)
{
	sqlite3_stmt *st = s->st[ST_FEED_PAGE];
	struct feed_state *page;
	char *after = NULL;
	int n, i, rc = 0;

	page = calloc(PAGE, sizeof *page);
	if (!page)
		return -ENOMEM;
	do {
		/* a page at a time, statement reset before the callbacks run */
		n = 0;
		bind_text(st, 1, after);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			if (feed_row(st, &page[n]) < 0) {
				rc = -ENOMEM;
				break;
			}
			n++;
		}
		if (rc == SQLITE_DONE)
			rc = 0;
		else if (rc != -ENOMEM)
			rc = fail(s, rc);
		sqlite3_reset(st);
		free(after);
		after = NULL;
		if (rc == 0 && n > 0 && !(after = strdup(page[n - 1].name)))
			rc = -ENOMEM;
		for (i = 0; i < n; i++) {
			if (rc == 0)
				rc = fn(ud, &page[i]);
			feed_state_fini(&page[i]);
		}
	} while (rc == 0 && n == PAGE);
	free(after);
	free(page);
	return rc;
}

int state_feed_delete(struct state *s, const char *name)
{
	sqlite3_stmt *st = s->st[ST_FEED_DELETE];

	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	return run(s, st);
}

int state_seen_has(struct state *s, const char *id)
{
	sqlite3_stmt *st = s->st[ST_SEEN_HAS];
	int rc;

	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = 1;
	else if (rc == SQLITE_DONE)
		rc = 0;
	else
		rc = fail(s, rc);
	sqlite3_reset(st);
	return rc;
}

int state_seen_get(struct state *s, const char *id, const char *feed, struct seen_entry *out)
{
	sqlite3_stmt *st = s->st[ST_SEEN_GET];
	int rc;

	memset(out, 0, sizeof *out);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	bind_text(st, 2, feed);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->status = (enum seen_status)sqlite3_column_int(st, 0);
		out->content_hash = (uint64_t)sqlite3_column_int64(st, 1);
		out->revision = sqlite3_column_int(st, 2);
		out->same_feed = sqlite3_column_int(st, 3) == 1;
		rc = 1;
	} else if (rc == SQLITE_DONE) {
		rc = 0;
	} else {
		rc = fail(s, rc);
	}
	sqlite3_reset(st);
	return rc;
}

/* Copies an id column into a 17-byte buffer; 0, or -EIO for a malformed one. */
static int copy_id(struct state *s, sqlite3_stmt *st, int col, char id_out[17])
{
	const unsigned char *v = sqlite3_column_text(st, col);

	if (!v || sqlite3_column_bytes(st, col) != 16) {
		snprintf(s->err, sizeof s->err, "a seen id is not 16 characters long");
		return -EIO;
	}
	memcpy(id_out, v, 16);
	id_out[16] = '\0';
	return 0;
}

int state_alias_get(struct state *s, const char *feed, const char *guid, char id_out[17])
{
	sqlite3_stmt *st = s->st[ST_ALIAS_GET];
	int rc;

	if (!feed || !guid)
		return 0;
	sqlite3_bind_text(st, 1, feed, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, guid, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = copy_id(s, st, 0, id_out) < 0 ? -EIO : 1;
	else if (rc == SQLITE_DONE)
		rc = 0;
	else
		rc = fail(s, rc);
	sqlite3_reset(st);
	return rc;
}

int state_seen_add(struct state *s, const char *id, const char *feed, const char *guid,
		   uint64_t simhash, enum seen_status status, const char *alias_of, int64_t now)
{
	sqlite3_stmt *st = s->st[ST_SEEN_ADD];

	if (!id || !feed)
		return -EINVAL;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, feed, -1, SQLITE_STATIC);
	bind_text(st, 3, guid);
	/* two's complement: the bits round-trip through SQLite's signed integers */
	sqlite3_bind_int64(st, 4, (sqlite3_int64)simhash);
	sqlite3_bind_int(st, 5, (int)status);
	bind_text(st, 6, alias_of);
	sqlite3_bind_int64(st, 7, now);
	return run(s, st);
}

/* For statements on one row by id: 0, -ENOENT when no row has that id. */
static int update_one(struct state *s, sqlite3_stmt *st)
{
	int rc = run(s, st);

	if (rc == 0 && sqlite3_changes(s->db) == 0) {
		snprintf(s->err, sizeof s->err, "no such seen id");
		return -ENOENT;
	}
	return rc;
}

int state_seen_set_status(struct state *s, const char *id, enum seen_status status)
{
	sqlite3_stmt *st = s->st[ST_SEEN_STATUS];

	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, (int)status);
	return update_one(s, st);
}

int state_seen_update(struct state *s, const char *id, enum seen_status status,
		      uint64_t content_hash, int revision)
{
	sqlite3_stmt *st = s->st[ST_SEEN_UPDATE];

	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, (int)status);
	/* two's complement, as simhash */
	sqlite3_bind_int64(st, 3, (sqlite3_int64)content_hash);
	sqlite3_bind_int(st, 4, revision);
	return update_one(s, st);
}

int state_seen_delete(struct state *s, const char *id)
{
	sqlite3_stmt *st = s->st[ST_SEEN_DELETE];

	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	return update_one(s, st);
}

int state_seen_each(struct state *s, enum seen_status status, int (*fn)(void *ud, const char *id),
		    void *ud)
{
	sqlite3_stmt *st = s->st[ST_SEEN_PAGE];
	char(*page)[17];
	char after[17] = "";
	int n, i, rc = 0;

	page = malloc(PAGE * sizeof *page);
	if (!page)
		return -ENOMEM;
	do {
		n = 0;
		sqlite3_bind_int(st, 1, (int)status);
		sqlite3_bind_text(st, 2, after, -1, SQLITE_STATIC);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			if ((rc = copy_id(s, st, 0, page[n])) < 0)
				break;
			n++;
		}
		if (rc == SQLITE_DONE)
			rc = 0;
		else if (rc > 0)
			rc = fail(s, rc);
		sqlite3_reset(st);
		if (n > 0)
			memcpy(after, page[n - 1], sizeof after);
		for (i = 0; i < n && rc == 0; i++)
			rc = fn(ud, page[i]);
	} while (rc == 0 && n == PAGE);
	free(page);
	return rc;
}

int state_seen_touch(struct state *s, const char *id, int64_t now)
{
	sqlite3_stmt *st = s->st[ST_SEEN_TOUCH];

	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	return update_one(s, st);
}

int state_near_find(struct state *s, uint64_t h, int max_distance, int64_t since, char id_out[17])
{
	sqlite3_stmt *st = s->st[ST_NEAR];
	int64_t best_first = 0, first;
	int best = -1, rc, k, d;

	/* with 4 bands of 16 bits, only distances up to 3 are sure to share a band */
	if (max_distance < 0 || max_distance > STATE_NEAR_MAX_DISTANCE)
		return -EINVAL;
	if (h == 0)
		return 0;
	for (k = 0; k < 4; k++)
		sqlite3_bind_int(st, k + 1, (int)((h >> (16 * k)) & 0xffff));
	sqlite3_bind_int64(st, 5, since);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		d = dedup_distance(h, (uint64_t)sqlite3_column_int64(st, 1));
		first = sqlite3_column_int64(st, 2);
		if (d > max_distance)
			continue;
		/* the closest; among equals the first copy, as DESIGN.md says the first one wins */
		if (best < 0 || d < best || (d == best && first < best_first)) {
			if ((rc = copy_id(s, st, 0, id_out)) < 0)
				break;
			best = d;
			best_first = first;
		}
	}
	if (rc == SQLITE_DONE)
		rc = best >= 0;
	else if (rc > 0)
		rc = fail(s, rc);
	sqlite3_reset(st);
	return rc;
}

int state_expire(struct state *s, int64_t before)
{
	sqlite3_stmt *st = s->st[ST_EXPIRE];
	int rc;

	int n;

	sqlite3_bind_int64(st, 1, before);
	rc = run(s, st);
	if (rc < 0)
		return rc;
	n = sqlite3_changes(s->db);
	sqlite3_bind_int64(s->st[ST_EXPIRE_BOILER], 1, before);
	if ((rc = run(s, s->st[ST_EXPIRE_BOILER])) < 0)
		return rc;
	/* the lookup keys of expired articles (a scan, so only when some expired) */
	if (n > 0 && (rc = run(s, s->st[ST_EXPIRE_KEYS])) < 0)
		return rc;
	return n;
}

/* ---- version 4: the dedup rules' records ----------------------------------------------------- */

int state_seen_add_sketch(struct state *s, const struct state_seen_new *n, int64_t now)
{
	sqlite3_stmt *st = s->st[ST_SEEN_ADD_SKETCH];
	int rc;
	size_t i;

	if (!n->id || !n->feed)
		return -EINVAL;
	sqlite3_bind_text(st, 1, n->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, n->feed, -1, SQLITE_STATIC);
	bind_text(st, 3, n->guid);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)n->simhash);
	sqlite3_bind_int(st, 5, (int)n->status);
	bind_text(st, 6, n->alias_of);
	sqlite3_bind_int64(st, 7, now);
	if (n->sketch)
		sqlite3_bind_blob(st, 8, n->sketch, (int)n->sketch_len, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 8);
	bind_text(st, 9, n->why);
	if ((rc = run(s, st)) < 0)
		return rc;
	for (i = 0; i < n->n_keys; i++) {
		sqlite3_bind_int64(s->st[ST_KEY_ADD], 1, (sqlite3_int64)n->keys[i]);
		sqlite3_bind_text(s->st[ST_KEY_ADD], 2, n->id, -1, SQLITE_STATIC);
		if ((rc = run(s, s->st[ST_KEY_ADD])) < 0)
			return rc;
	}
	return 0;
}

/* Calls fn for each row (id, feed, sketch) of st not yet in seen_ids; 0 or negative. */
static int candidate_rows(struct state *s, sqlite3_stmt *st, int id_col, int feed_col,
			  int sketch_col, char (*seen_ids)[17], size_t *n_seen, size_t cap,
			  state_candidate_fn fn, void *ud)
{
	int rc;
	size_t i;
	char id[17];

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (copy_id(s, st, id_col, id) < 0)
			continue;
		for (i = 0; i < *n_seen; i++)
			if (!memcmp(seen_ids[i], id, 17))
				break;
		if (i < *n_seen || *n_seen >= cap)
			continue;
		memcpy(seen_ids[(*n_seen)++], id, 17);
		fn(ud, id, (const char *)sqlite3_column_text(st, feed_col),
		   sqlite3_column_blob(st, sketch_col), (size_t)sqlite3_column_bytes(st, sketch_col));
	}
	rc = rc == SQLITE_DONE ? 0 : fail(s, rc);
	sqlite3_reset(st);
	return rc;
}

int state_near_candidates(struct state *s, const uint64_t *keys, size_t n_keys, uint64_t simhash,
			  int64_t since, state_candidate_fn fn, void *ud)
{
	char ids[STATE_MAX_CANDIDATES][17];
	size_t n = 0, i;
	int rc = 0, k;

	for (i = 0; i < n_keys && rc == 0; i++) {
		sqlite3_bind_int64(s->st[ST_KEY_FIND], 1, (sqlite3_int64)keys[i]);
		sqlite3_bind_int64(s->st[ST_KEY_FIND], 2, since);
		rc = candidate_rows(s, s->st[ST_KEY_FIND], 0, 1, 2, ids, &n, STATE_MAX_CANDIDATES,
				    fn, ud);
	}
	if (rc == 0 && simhash) {
		for (k = 0; k < 4; k++)
			sqlite3_bind_int(s->st[ST_NEAR_SKETCH], k + 1,
					 (int)((simhash >> (16 * k)) & 0xffff));
		sqlite3_bind_int64(s->st[ST_NEAR_SKETCH], 5, since);
		rc = candidate_rows(s, s->st[ST_NEAR_SKETCH], 0, 2, 3, ids, &n,
				    STATE_MAX_CANDIDATES, fn, ud);
	}
	return rc;
}

int state_boiler_each(struct state *s, const char *feed,
		      void (*fn)(void *ud, uint64_t h, uint32_t n), void *ud)
{
	sqlite3_stmt *st = s->st[ST_BOILER_GET];
	int rc;

	sqlite3_bind_text(st, 1, feed, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		fn(ud, (uint64_t)sqlite3_column_int64(st, 0), (uint32_t)sqlite3_column_int(st, 1));
	rc = rc == SQLITE_DONE ? 0 : fail(s, rc);
	sqlite3_reset(st);
	return rc;
}

int state_boiler_put(struct state *s, const char *feed, uint64_t h, uint32_t n, int64_t now)
{
	sqlite3_stmt *st = s->st[ST_BOILER_PUT];

	sqlite3_bind_text(st, 1, feed, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)h);
	sqlite3_bind_int(st, 3, (int)n);
	sqlite3_bind_int64(st, 4, now);
	return run(s, st);
}

static const char *col_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

int state_why_each(struct state *s, const char *feed, state_why_fn fn, void *ud)
{
	sqlite3_stmt *st = s->st[ST_WHY_PAGE];
	char after[17] = "";
	int rc, n;

	do {
		/* one page, then the callbacks: read-only callers, rows stay valid till reset */
		n = 0;
		bind_text(st, 1, feed);
		sqlite3_bind_text(st, 2, after, -1, SQLITE_TRANSIENT);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			struct state_why w = {col_text(st, 0), col_text(st, 1), col_text(st, 2),
					      col_text(st, 3), col_text(st, 4),
					      sqlite3_column_int64(st, 5), col_text(st, 6),
					      col_text(st, 7)};

			if (copy_id(s, st, 0, after) < 0)
				break;
			n++;
			if ((rc = fn(ud, &w)) != 0)
				break;
		}
		if (rc == SQLITE_DONE)
			rc = 0;
		else if (rc == SQLITE_ROW)
			rc = 0;
		else if (rc > 0)
			rc = fail(s, rc);
		sqlite3_reset(st);
	} while (rc == 0 && n == PAGE);
	return rc;
}

int state_has_v3_ids(const struct state *s)
{
	return s->v3_ids;
}

/* ---- state export and import (state_dump.c) -------------------------------------------------- */

int state_rows(struct state *s, const char *sql, state_row_fn fn, void *ud)
{
	sqlite3_stmt *st = NULL;
	const char *v[32];
	int rc, n, i;

	if ((rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL)) != SQLITE_OK)
		return fail(s, rc);
	n = sqlite3_column_count(st);
	if (n > 32) {
		sqlite3_finalize(st);
		return -EINVAL;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (i = 0; i < n; i++)
			v[i] = (const char *)sqlite3_column_text(st, i);
		if ((rc = fn(ud, n, v)) != 0)
			break;
	}
	if (rc == SQLITE_DONE)
		rc = 0;
	else if (rc > 0)
		rc = fail(s, rc);
	sqlite3_finalize(st);
	return rc;
}

int state_begin_deferred(struct state *s)
{
	int rc = state_begin(s);

	if (rc == 0 && (rc = exec(s, "PRAGMA defer_foreign_keys = ON")) < 0)
		state_rollback(s);
	return rc;
}
