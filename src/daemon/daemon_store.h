/* SPDX-License-Identifier: MIT */
/* The daemon's store, opened from the configuration's `state`: a SQLite file (state.c behind
 * store_sqlite.c), or a PostgreSQL database (state = postgresql://...: store_pg.c over one
 * pg_conn). For PostgreSQL, opening blocks (start-up): the first connection, the schema's
 * migration and the reconcile of the configuration's feeds into the database's feed list. */
#ifndef FEEDSPOOL_DAEMON_STORE_H
#define FEEDSPOOL_DAEMON_STORE_H

#include <uv.h>

#include "buf.h"
#include "config.h"
#include "pg_conn.h"
#include "state.h"
#include "store.h"

struct daemon_store {
	uv_loop_t *loop;
	struct store *store;
	struct state *st;   /* SQLite */
	struct pg_conn *pg; /* PostgreSQL */
	char *instance;     /* this instance's name in the database: host:spool */
	int pg_away;        /* the database's absence was logged */
};

/* 0, or negative with a message in err (after "state "). */
int daemon_store_open(struct daemon_store *ds, uv_loop_t *loop, const struct config *c,
		      struct buf *err);
/* Around feeds_reconcile (start-up and reload): the database's feed list follows c (waited for
 * at start-up, answered later on reload), and the feeds' saved states are read at once (a
 * blocking query), so that feed_get answers within the call as feeds.c needs. A failure is
 * logged: the feeds then start as new (fetched without validators; nothing is lost). */
int daemon_store_reconcile_begin(struct daemon_store *ds, const struct config *c, int reload);
void daemon_store_reconcile_end(struct daemon_store *ds);
/* Closes the store, then its connection (whose handles close on the loop's next run). */
void daemon_store_close(struct daemon_store *ds);

#endif
