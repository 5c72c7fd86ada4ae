/* SPDX-License-Identifier: MIT */
/* The PostgreSQL schema's later versions (pg_feeds.c runs every migration under its lock). */
#ifndef FEEDSPOOL_PG_SCHEMA_H
#define FEEDSPOOL_PG_SCHEMA_H

/* Version 2: what the SQLite state's seen set holds (store_pg.c), in one script. */
extern const char pg_schema_v2[];
/* Version 3: feeds.host, the hosts' Retry-After holds and feedspool_claim() (per-host limits
 * across instances). */
extern const char pg_schema_v3[];

#endif
