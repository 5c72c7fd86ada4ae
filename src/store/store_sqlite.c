/* SPDX-License-Identifier: MIT */
/* The SQLite state (state.c) behind the store interface: calls complete within the call. */
#include "autoconfig.h"

#include "store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct store_sqlite {
	struct store s;
	struct state *st;
};

static struct state *st_of(const struct store *s)
{
	return ((const struct store_sqlite *)s->impl)->st;
}

static int sq_begin(struct store *s)
{
	return state_begin(st_of(s));
}

static void sq_commit(struct store *s, store_done_fn done, void *ud)
{
	int rc = state_commit(st_of(s));

	if (rc < 0)
		state_rollback(st_of(s));
	if (done)
		done(ud, rc);
}

static int sq_rollback(struct store *s)
{
	return state_rollback(st_of(s));
}

static int sq_probe(struct store *s)
{
	return state_probe(st_of(s));
}

static void sq_feed_get(struct store *s, const char *name, store_feed_fn fn, void *ud)
{
	struct feed_state f;
	int rc = state_feed_get(st_of(s), name, &f);

	fn(ud, rc, &f);
	feed_state_fini(&f);
}

static int sq_feed_put(struct store *s, const struct feed_state *f)
{
	return state_feed_put(st_of(s), f);
}

static int sq_feed_delete(struct store *s, const char *name)
{
	return state_feed_delete(st_of(s), name);
}

static void sq_seen_lookup(struct store *s, const char *id, const char *feed, const char *guid,
			   store_seen_fn fn, void *ud)
{
	struct seen_entry e;
	char found[17];
	int rc;

	memset(&e, 0, sizeof e);
	memcpy(found, id, 17);
	rc = state_seen_get(st_of(s), found, feed, &e);
	if (rc == 0 && guid && (rc = state_alias_get(st_of(s), feed, guid, found)) > 0)
		rc = state_seen_get(st_of(s), found, feed, &e);
	fn(ud, rc, rc > 0 ? found : NULL, rc > 0 ? &e : NULL);
}

static void sq_seen_known(struct store *s, const char *id, const char *alt_id, const char *feed,
			  const char *guid, store_done_fn fn, void *ud)
{
	struct state *st = st_of(s);
	char found[17];
	int rc = state_seen_has(st, id);

	if (rc == 0 && guid)
		rc = state_alias_get(st, feed, guid, found);
	if (rc == 0 && alt_id)
		rc = state_seen_has(st, alt_id);
	fn(ud, rc);
}

static int sq_legacy_ids(const struct store *s)
{
	return state_has_v3_ids(st_of(s));
}

static int sq_seen_revision(struct store *s, const char *id)
{
	struct seen_entry e;
	int rc = state_seen_get(st_of(s), id, NULL, &e);

	return rc > 0 ? e.revision : rc == 0 ? -ENOENT : rc;
}

static int sq_seen_add(struct store *s, const struct state_seen_new *n, int64_t now)
{
	return state_seen_add_sketch(st_of(s), n, now);
}

static int sq_seen_update(struct store *s, const char *id, enum seen_status status,
			  uint64_t content_hash, int revision)
{
	return state_seen_update(st_of(s), id, status, content_hash, revision);
}

static int sq_seen_set_status(struct store *s, const char *id, enum seen_status status)
{
	return state_seen_set_status(st_of(s), id, status);
}

static int sq_seen_delete(struct store *s, const char *id)
{
	return state_seen_delete(st_of(s), id);
}

static int sq_seen_touch(struct store *s, const char *id, int64_t now)
{
	return state_seen_touch(st_of(s), id, now);
}

static int sq_seen_each(struct store *s, enum seen_status status,
			int (*fn)(void *ud, const char *id), void *ud)
{
	return state_seen_each(st_of(s), status, fn, ud);
}

static void sq_near(struct store *s, const uint64_t *keys, size_t n_keys, uint64_t simhash,
		    int64_t since, state_candidate_fn each, store_done_fn done, void *ud)
{
	int rc = state_near_candidates(st_of(s), keys, n_keys, simhash, since, each, ud);

	done(ud, rc);
}

static void sq_boiler_load(struct store *s, const char *feed, store_boiler_fn each,
			   store_done_fn done, void *ud)
{
	int rc = state_boiler_each(st_of(s), feed, each, ud);

	done(ud, rc);
}

static int sq_boiler_put(struct store *s, const char *feed, uint64_t h, uint32_t n, int64_t now)
{
	return state_boiler_put(st_of(s), feed, h, n, now);
}

static int sq_meta_put(struct store *s, const char *key, const char *value)
{
	return state_meta_put(st_of(s), key, value);
}

static int sq_expire(struct store *s, int64_t before)
{
	return state_expire(st_of(s), before);
}

static const char *sq_error(const struct store *s)
{
	return state_error(st_of(s));
}

static void sq_close(struct store *s)
{
	free(s->impl);
}

static const struct store_ops sqlite_ops = {
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .probe = sq_probe,
    .feed_get = sq_feed_get,
    .feed_put = sq_feed_put,
    .feed_delete = sq_feed_delete,
    .seen_lookup = sq_seen_lookup,
    .seen_add = sq_seen_add,
    .seen_update = sq_seen_update,
    .seen_set_status = sq_seen_set_status,
    .seen_delete = sq_seen_delete,
    .seen_touch = sq_seen_touch,
    .seen_known = sq_seen_known,
    .legacy_ids = sq_legacy_ids,
    .seen_each = sq_seen_each,
    .seen_revision = sq_seen_revision,
    .near_candidates = sq_near,
    .boiler_load = sq_boiler_load,
    .boiler_put = sq_boiler_put,
    .meta_put = sq_meta_put,
    .expire = sq_expire,
    .error = sq_error,
    .close = sq_close,
};

struct store *store_sqlite_new(struct state *st)
{
	struct store_sqlite *q = calloc(1, sizeof *q);

	if (!q)
		return NULL;
	q->st = st;
	q->s.ops = &sqlite_ops;
	q->s.impl = q;
	q->s.immediate = 1;
	return &q->s;
}
