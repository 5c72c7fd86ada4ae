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
