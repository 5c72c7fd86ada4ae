/* SPDX-License-Identifier: MIT */
/* The daemon's store: a SQLite file, or a PostgreSQL database (state = postgresql://...) whose
 * schema it migrates and into which it reconciles the configuration's feeds. */
#include "autoconfig.h"

#include "daemon_store.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "pg_feeds.h"
#include "smap.h"
#include "store_pg.h"

#define PG_START_WAIT_S 30 /* the first connection, migration and reconcile */

/* A step's answer, waited for on the loop; one nobody waits for any more (a reload's, or one
 * that took too long) is logged when it fails and freed. */
struct pg_wait {
	int done, rc, abandoned;
	const char *what; /* for the log: "migrated", "reconciled" */
	char err[512];
};

static void on_step(void *ud, int rc, const char *err)
{
	struct pg_wait *w = ud;

	if (w->abandoned) {
		if (rc < 0)
			log_err("state: the database cannot be %s: %s", w->what,
				err ? err : strerror(-rc));
		free(w);
		return;
	}
	w->done = 1;
	w->rc = rc;
	snprintf(w->err, sizeof w->err, "%s", err ? err : "");
	w->err[strcspn(w->err, "\n")] = '\0';
}

/* Runs the loop until w is answered (start-up may block); 0 or the step's code. */
static int wait_step(uv_loop_t *loop, struct pg_wait *w)
{
	uint64_t until = uv_hrtime() + PG_START_WAIT_S * (uint64_t)1000000000;

	while (!w->done && uv_hrtime() < until)
		uv_run(loop, UV_RUN_ONCE);
	if (!w->done) {
		snprintf(w->err, sizeof w->err, "no answer within %d s", PG_START_WAIT_S);
		return -ETIMEDOUT;
	}
	return w->rc < 0 ? w->rc : 0;
}

/* The database went away or came back: logged once each way. */
static void on_pg_state(void *ud, int up, const char *msg)
{
	struct daemon_store *ds = ud;

	if (!up) {
		ds->pg_away = 1;
		log_err("state: the database is away: %s (intake stops; reconnecting)", msg);
	} else if (ds->pg_away) {
		ds->pg_away = 0;
		log_info("state: the database is back");
	}
}

/* This instance's name in the database: its host and spool, stable across restarts (its
 * recovery sees the articles it recorded, whose files are in that spool). */
static char *instance_name(const char *spool)
{
	char host[256] = "", path[PATH_MAX], *out;

	gethostname(host, sizeof host - 1);
	if (!realpath(spool, path))
		snprintf(path, sizeof path, "%s", spool);
	if (!(out = malloc(strlen(host) + strlen(path) + 2)))
		return NULL;
	sprintf(out, "%s:%s", host, path);
	return out;
}

/* Makes the database's feed list the configuration's; wait: on the loop until answered. A feed
 * with the URL of one before it (a twin, which feeds.c does not fetch) is left out: marked
 * removed, no instance claims it. */
static int pg_reconcile(struct daemon_store *ds, uv_loop_t *loop, const struct config *c,
			int wait)
{
	struct pg_feed_conf *fc = calloc(c->n_feeds ? c->n_feeds : 1, sizeof *fc);
	struct pg_wait *w = calloc(1, sizeof *w);
	struct smap urls = {0};
	size_t n = 0;
	int rc = -ENOMEM;

	if (!fc || !w)
		goto out;
	for (size_t i = 0; i < c->n_feeds; i++) {
		if (smap_get(&urls, c->feeds[i].url))
			continue;
		if (smap_put(&urls, c->feeds[i].url, &c->feeds[i]) < 0)
			goto out;
		fc[n].name = c->feeds[i].name;
		fc[n++].url = c->feeds[i].url;
	}
	w->abandoned = !wait;
	w->what = "reconciled with the configuration's feeds";
	if ((rc = pg_feeds_reconcile(ds->pg, fc, n, on_step, w)) < 0)
		goto out;
	if (!wait) {
		w = NULL; /* on_step frees it */
		goto out;
	}
	if ((rc = wait_step(loop, w)) < 0)
		log_err("state: the database cannot be %s: %s", w->what, w->err);
	if (!w->done) {
		w->abandoned = 1;
		w = NULL;
	}
out:
	smap_fini(&urls);
	free(fc);
	free(w);
	return rc;
}

/* Connects and migrates the schema, waiting on the loop. */
static int pg_migrate(struct daemon_store *ds, uv_loop_t *loop, struct buf *err)
{
	struct pg_wait *w = calloc(1, sizeof *w);
	int rc;

	if (!w)
		return -ENOMEM;
	w->what = "migrated";
	if ((rc = pg_feeds_migrate(ds->pg, on_step, w)) < 0) {
		free(w);
		return rc;
	}
	if ((rc = wait_step(loop, w)) < 0)
		buf_printf(err, "postgresql://...: %s", w->err[0] ? w->err : strerror(-rc));
	if (!w->done)
		w->abandoned = 1; /* on_step frees it */
	else
		free(w);
	return rc == -ENOMEM ? rc : rc < 0 ? -EINVAL : 0;
}

static int open_pg(struct daemon_store *ds, uv_loop_t *loop, const struct config *c,
		   struct buf *err)
{
	int rc;

	if (!(ds->instance = instance_name(c->spool)) ||
	    !(ds->pg = pg_conn_new(loop, c->state, on_pg_state, ds)))
		return -ENOMEM;
	pg_conn_weak(ds->pg);
	if ((rc = pg_migrate(ds, loop, err)) < 0)
		return rc;
	if (pg_reconcile(ds, loop, c, 1) < 0) {
		buf_printf(err, "postgresql://...: the feeds could not be reconciled");
		return -EINVAL;
	}
	if (!(ds->store = store_pg_new(loop, ds->pg, c->state, ds->instance)))
		return -ENOMEM;
	return 0;
}

int daemon_store_open(struct daemon_store *ds, uv_loop_t *loop, const struct config *c,
		      struct buf *err)
{
	memset(ds, 0, sizeof *ds);
	ds->loop = loop;
	if (store_pg_is_uri(c->state))
		return open_pg(ds, loop, c, err);
	if (!(ds->st = state_open(c->state, 0, err)))
		return -EINVAL;
	if (!(ds->store = store_sqlite_new(ds->st)))
		return -ENOMEM;
	return 0;
}

int daemon_store_reconcile_begin(struct daemon_store *ds, const struct config *c, int reload)
{
	int rc;

	if (!ds->pg)
		return 0;
	if (reload && pg_reconcile(ds, ds->loop, c, 0) < 0)
		log_err("reload: the feeds cannot be reconciled into the database (out of memory)");
	if ((rc = store_pg_preload(ds->store)) < 0)
		log_err("state: the feeds' saved state cannot be read (%s): they are fetched as new",
			ds->store->ops->error(ds->store));
	return rc;
}

void daemon_store_reconcile_end(struct daemon_store *ds)
{
	if (ds->pg)
		store_pg_preload_end(ds->store);
}

void daemon_store_close(struct daemon_store *ds)
{
	if (ds->store)
		ds->store->ops->close(ds->store);
	pg_conn_free(ds->pg); /* after the store: what it still waits for is answered now */
	if (ds->st)
		state_close(ds->st);
	free(ds->instance);
	memset(ds, 0, sizeof *ds);
}
