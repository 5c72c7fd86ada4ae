/* SPDX-License-Identifier: MIT */
/* Reading a state from the command line, SQLite or PostgreSQL (state_read.h). */
#include "autoconfig.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pg_admin.h"
#include "state_read.h"
#include "store_pg.h"

struct state_read {
	struct state *st;    /* a SQLite file, or */
	struct pg_admin *pg; /* a PostgreSQL database */
	char *name;
	struct buf err;
};

struct state_read *state_read_open(const char *where, struct buf *err)
{
	struct state_read *r = calloc(1, sizeof *r);
	struct buf why = BUF_INIT;

	if (!r)
		goto oom;
	buf_init(&r->err);
	if (store_pg_is_uri(where)) {
		if (!(r->name = pg_admin_uri_shown(where)))
			goto oom;
		r->pg = pg_admin_open(where, &why);
	} else {
		if (!(r->name = strdup(where)))
			goto oom;
		r->st = state_open(where, 1, &why);
	}
	if (!r->pg && !r->st) {
		/* SQLite's message names the file already */
		if (store_pg_is_uri(where))
			buf_printf(err, "%s: ", r->name);
		buf_printf(err, "%s", buf_cstr(&why));
		goto fail;
	}
	buf_fini(&why);
	return r;
oom:
	buf_printf(err, "out of memory");
fail:
	buf_fini(&why);
	state_read_close(r);
	return NULL;
}

void state_read_close(struct state_read *r)
{
	if (!r)
		return;
	state_close(r->st);
	pg_admin_close(r->pg);
	free(r->name);
	buf_fini(&r->err);
	free(r);
}

const char *state_read_name(const struct state_read *r)
{
	return r->name;
}

int state_read_feed_each(struct state_read *r, int (*fn)(void *ud, const struct feed_state *f),
			 void *ud)
{
	buf_reset(&r->err);
	if (r->pg)
		return pg_admin_feed_each(r->pg, fn, ud, &r->err);
	return state_feed_each(r->st, fn, ud);
}

int state_read_meta_get(struct state_read *r, const char *key, char **value)
{
	buf_reset(&r->err);
	if (r->pg)
		return pg_admin_meta_get(r->pg, key, value, &r->err);
	return state_meta_get(r->st, key, value);
}

int state_read_why_each(struct state_read *r, const char *feed, state_why_fn fn, void *ud)
{
	buf_reset(&r->err);
	if (r->pg)
		return pg_admin_why_each(r->pg, feed, fn, ud, &r->err);
	return state_why_each(r->st, feed, fn, ud);
}

int state_read_lease_each(struct state_read *r,
			  int (*fn)(void *ud, const char *feed, const char *owner, int64_t expires),
			  void *ud)
{
	buf_reset(&r->err);
	return r->pg ? pg_admin_lease_each(r->pg, fn, ud, &r->err) : 0;
}

const char *state_read_error(struct state_read *r)
{
	if (r->pg)
		return r->err.len ? buf_cstr(&r->err) : "out of memory";
	return state_error(r->st);
}
