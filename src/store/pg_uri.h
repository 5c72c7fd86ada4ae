/* SPDX-License-Identifier: MIT */
/* PostgreSQL connection URIs as the configuration holds them: telling one from a SQLite path,
 * and showing one without its password. Plain string functions, no libpq (the configuration's
 * printer and the fuzz targets use them). */
#ifndef FEEDSPOOL_PG_URI_H
#define FEEDSPOOL_PG_URI_H

/* Whether a state setting names a PostgreSQL database (a postgresql:// or postgres:// URI)
 * rather than a SQLite file. */
int store_pg_is_uri(const char *state);
/* uri as it may be shown: a password (user:PASSWORD@ or password=...) replaced by "***". NULL
 * when memory runs out. */
char *pg_admin_uri_shown(const char *uri);

#endif
