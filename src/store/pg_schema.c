/* SPDX-License-Identifier: MIT */
/* The PostgreSQL schema version 2: the seen set, aliases, near-duplicate index, boilerplate, meta. */
#include "pg_schema.h"

/* The tables of state.c's version 4, for many instances: seen.id is the primary key, so
 * reserving an article is a unique insert that one instance wins. Integers that are 64-bit
 * hashes (simhash, content_hash, sketch_key.h, boiler.h) are stored two's complement in bigint,
 * as SQLite stores them. alias_of is checked at commit (a batch may name an article it records
 * later in the same batch, and import loads rows in id order). The band columns and partial
 * indexes are state.c's near-duplicate index; seen_open indexes the few rows that crash
 * recovery walks (reserved or spooling), by the instance that wrote them (owner: its spool
 * holds their files; NULL for rows imported or written without a name). */
const char pg_schema_v2[] =
	"ALTER TABLE feeds ALTER COLUMN url DROP NOT NULL;"
	"CREATE TABLE seen ("
	" id text PRIMARY KEY CHECK (length(id) = 16),"
	" feed text NOT NULL, guid text,"
	" simhash bigint NOT NULL DEFAULT 0, status integer NOT NULL,"
	" alias_of text REFERENCES seen (id) ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED,"
	" first_seen bigint NOT NULL, last_seen bigint NOT NULL,"
	" content_hash bigint NOT NULL DEFAULT 0, revision integer NOT NULL DEFAULT 0,"
	" sketch bytea, why text, owner text,"
	" band0 integer GENERATED ALWAYS AS ((simhash & 65535)::integer) STORED,"
	" band1 integer GENERATED ALWAYS AS (((simhash >> 16) & 65535)::integer) STORED,"
	" band2 integer GENERATED ALWAYS AS (((simhash >> 32) & 65535)::integer) STORED,"
	" band3 integer GENERATED ALWAYS AS (((simhash >> 48) & 65535)::integer) STORED);"
	"CREATE INDEX seen_guid ON seen (feed, guid, first_seen) WHERE guid IS NOT NULL;"
	"CREATE INDEX seen_last ON seen (last_seen);"
	"CREATE INDEX seen_alias ON seen (alias_of) WHERE alias_of IS NOT NULL;"
	"CREATE INDEX seen_open ON seen (status, owner, id) WHERE status IN (1, 4);"
	"CREATE INDEX seen_band0 ON seen (band0) WHERE simhash <> 0 AND status <> 3;"
	"CREATE INDEX seen_band1 ON seen (band1) WHERE simhash <> 0 AND status <> 3;"
	"CREATE INDEX seen_band2 ON seen (band2) WHERE simhash <> 0 AND status <> 3;"
	"CREATE INDEX seen_band3 ON seen (band3) WHERE simhash <> 0 AND status <> 3;"
	"CREATE TABLE sketch_key (h bigint NOT NULL, id text NOT NULL, PRIMARY KEY (h, id));"
	"CREATE TABLE boiler (feed text NOT NULL, h bigint NOT NULL, n integer NOT NULL,"
	" last_seen bigint NOT NULL, PRIMARY KEY (feed, h));"
	"CREATE INDEX boiler_last ON boiler (last_seen);"
	"CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL);";

/* Version 3: many instances share politeness. feeds.host is the server a feed is fetched from
 * (url_host() of its current URL: reconcile and every save keep it), hosts holds the Retry-After
 * holds, and feedspool_claim() claims due feeds under one advisory lock, so that two instances
 * claiming at once cannot both take a host's last free slot: at most p_per_host live leases per
 * host in all (0: no limit), none on a held host. A feed is claimable from
 * GREATEST(next_due, lease_expires) (due, and not leased or its lease expired), which
 * feeds_claimable indexes; the function also answers the next such time after p_now (c_next, on
 * every row; a single row of NULLs but c_next when it claims nothing), or p_now itself when due
 * feeds it did not claim wait for a full host's slot (not a held host: that is its hold's time). Rows a running batch has
 * locked (a save ending a lease) are skipped, never waited for. Claiming a feed forgets the
 * articles other instances reserved from it and never recorded (status 4, SEEN_RESERVED): a
 * holder whose lease expired may never come back to record them, and the new holder would take
 * them for written; one that does come back finds its reservation gone and its record fails
 * (feedspool_record() below). */
const char pg_schema_v3[] =
	"ALTER TABLE feeds ADD COLUMN host text;"
	"CREATE TABLE hosts (host text PRIMARY KEY, hold_until bigint NOT NULL);"
	"DROP INDEX IF EXISTS feeds_due;"
	"CREATE INDEX feeds_claimable ON feeds ((GREATEST(next_due, lease_expires)))"
	" WHERE NOT retired AND NOT removed;"
	"CREATE INDEX feeds_leased ON feeds (host) WHERE lease_owner IS NOT NULL;"
	"CREATE FUNCTION feedspool_claim(p_owner text, p_now bigint, p_lease bigint,"
	" p_limit integer, p_per_host integer)"
	" RETURNS TABLE (c_name text, c_url text, c_etag text, c_last_modified text,"
	"  c_last_fetch bigint, c_last_success bigint, c_last_status integer, c_last_result text,"
	"  c_failures integer, c_articles_seen bigint, c_next_due bigint, c_due_reason text,"
	"  c_retired boolean, c_moved_from text, c_pending_url text, c_lease_no bigint,"
	"  c_lease_expires bigint, c_next bigint)"
	" LANGUAGE sql VOLATILE AS $f$"
	" SELECT pg_advisory_xact_lock(4242018);"
	" WITH busy AS (SELECT host, count(*) AS n FROM feeds"
	"   WHERE lease_owner IS NOT NULL AND lease_expires > p_now AND host IS NOT NULL"
	"   GROUP BY host),"
	"  cand AS (SELECT f.name, f.host, GREATEST(f.next_due, f.lease_expires) AS due,"
	"   COALESCE(b.n, 0) AS used FROM feeds f LEFT JOIN busy b ON b.host = f.host"
	"   WHERE NOT f.retired AND NOT f.removed AND GREATEST(f.next_due, f.lease_expires) <= p_now"
	"    AND (p_per_host <= 0 OR f.host IS NULL OR COALESCE(b.n, 0) < p_per_host)"
	"    AND NOT EXISTS (SELECT 1 FROM hosts h WHERE h.host = f.host AND h.hold_until > p_now)"
	"   ORDER BY GREATEST(f.next_due, f.lease_expires)"
	"   LIMIT GREATEST(p_limit * 16, 1024) FOR UPDATE OF f SKIP LOCKED),"
	"  ranked AS (SELECT name, host, due, used,"
	"   row_number() OVER (PARTITION BY host ORDER BY due, name) AS r FROM cand),"
	"  pick AS (SELECT name FROM ranked"
	"   WHERE p_per_host <= 0 OR host IS NULL OR used + r <= p_per_host"
	"   ORDER BY due, name LIMIT p_limit),"
	"  upd AS (UPDATE feeds f SET lease_owner = p_owner, lease_no = f.lease_no + 1,"
	"   lease_expires = p_now + p_lease FROM pick WHERE f.name = pick.name"
	"   RETURNING f.name, f.url, f.etag, f.last_modified, f.last_fetch, f.last_success,"
	"    f.last_status, f.last_result, f.failures, f.articles_seen, f.next_due, f.due_reason,"
	"    f.retired, f.moved_from, f.pending_url, f.lease_no, f.lease_expires),"
	"  gone AS (DELETE FROM seen s USING upd WHERE s.feed = upd.name AND s.status = 4"
	"   AND s.owner IS DISTINCT FROM p_owner)"
	" SELECT upd.*, CASE WHEN EXISTS (SELECT 1 FROM feeds f WHERE NOT f.retired AND NOT f.removed"
	"   AND GREATEST(f.next_due, f.lease_expires) <= p_now"
	"   AND NOT EXISTS (SELECT 1 FROM upd u WHERE u.name = f.name)"
	"   AND NOT EXISTS (SELECT 1 FROM hosts h WHERE h.host = f.host AND h.hold_until > p_now))"
	"  THEN p_now ELSE nx.t END"
	" FROM (SELECT min(GREATEST(next_due, lease_expires)) AS t FROM feeds"
	"   WHERE NOT retired AND NOT removed AND GREATEST(next_due, lease_expires) > p_now) nx"
	"  LEFT JOIN upd ON true"
	" $f$;"
	/* Recording a new article (its files durable in the spool's tmp/) moves this instance's
	 * own reservation (status 4, SEEN_RESERVED) on, and only that: when the reservation was
	 * rolled back (its batch failed, another instance's reservation of the id won), no row or
	 * another's row matches, and the statement fails as the reservation would have
	 * (unique_violation), so the batch rolls back and this instance never publishes it. */
	"CREATE FUNCTION feedspool_record(p_id text, p_status integer, p_hash bigint,"
	" p_owner text) RETURNS void LANGUAGE plpgsql AS $f$ BEGIN"
	" UPDATE seen SET status = p_status, content_hash = p_hash, revision = 0"
	"  WHERE id = p_id AND status = 4 AND (owner IS NULL OR owner = p_owner);"
	" IF NOT FOUND THEN RAISE EXCEPTION 'article % is not reserved by this instance', p_id"
	"  USING ERRCODE = 'unique_violation'; END IF;"
	" END $f$;";
