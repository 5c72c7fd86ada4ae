/* SPDX-License-Identifier: MIT */
/* A store for tests that answers later: it wraps another store (the SQLite one) and answers
 * every read and every commit from the loop (a uv_idle callback, in the order asked), never
 * within the call, as a database server would; it can make a chosen commit fail (rolled back,
 * -EIO). Writes join the inner store's batch at once, as the interface says. feed_get is passed
 * through (feeds.c needs it within the call). */
#include "autoconfig.h"

#include "store_defer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum call_kind { C_COMMIT, C_LOOKUP, C_KNOWN, C_NEAR, C_BOILER };

/* One call waiting for its answer (the arguments it needs then are copies). */
struct call {
	enum call_kind kind;
	char *a, *b, *c, *d; /* ids, feed, guid as the kind needs */
	uint64_t *keys;
	size_t n_keys;
	uint64_t simhash;
	int64_t since;
	int rc;
	void *fn, *each;
	void *ud;
	struct call *next;
};

struct store_defer {
	struct store s;
	struct store *in;
	uv_idle_t idle;
	struct call *head, **tail;
	int fail_at; /* the commit numbered so fails (1: the next one); 0 none */
	int fail_records, has_record; /* fail the next commit whose batch records an article */
	int closing;
	struct store_defer_stats st;
};

static struct store_defer *of(const struct store *s)
{
	return s->impl;
}

static void call_free(struct call *c)
{
	free(c->a);
	free(c->b);
	free(c->c);
	free(c->d);
	free(c->keys);
	free(c);
}

static void answer(struct store_defer *q, struct call *c)
{
	struct store *in = q->in;

	switch (c->kind) {
	case C_COMMIT:
		((store_done_fn)c->fn)(c->ud, c->rc);
		break;
	case C_LOOKUP:
		in->ops->seen_lookup(in, c->a, c->b, c->c, (store_seen_fn)c->fn, c->ud);
		break;
	case C_KNOWN:
		in->ops->seen_known(in, c->a, c->b, c->c, c->d, (store_done_fn)c->fn, c->ud);
		break;
	case C_NEAR:
		in->ops->near_candidates(in, c->keys, c->n_keys, c->simhash, c->since,
					 (state_candidate_fn)c->each, (store_done_fn)c->fn, c->ud);
		break;
	case C_BOILER:
		in->ops->boiler_load(in, c->a, (store_boiler_fn)c->each, (store_done_fn)c->fn, c->ud);
		break;
	}
	q->st.answered++;
}

/* Answers what was asked before this loop iteration; what the answers ask waits for the next. */
static void on_idle(uv_idle_t *h)
{
	struct store_defer *q = h->data;
	struct call *list = q->head, *c;

	q->head = NULL;
	q->tail = &q->head;
	while ((c = list)) {
		list = c->next;
		answer(q, c);
		call_free(c);
	}
	if (!q->head)
		uv_idle_stop(&q->idle);
}

static struct call *defer(struct store_defer *q, enum call_kind kind, void *fn, void *ud)
{
	struct call *c = calloc(1, sizeof *c);

	if (!c)
		abort(); /* a test helper: no way to answer later without it */
	c->kind = kind;
	c->fn = fn;
	c->ud = ud;
	*q->tail = c;
	q->tail = &c->next;
	q->st.deferred++;
	uv_idle_start(&q->idle, on_idle);
	return c;
}

static char *dup(const char *s)
{
	char *d;

	if (!s)
		return NULL;
	if (!(d = strdup(s)))
		abort();
	return d;
}

static int d_begin(struct store *s)
{
	return of(s)->in->ops->begin(of(s)->in);
}

static void on_inner_commit(void *ud, int status)
{
	*(int *)ud = status;
}

/* The batch is committed (or, when this commit is to fail, rolled back) now; the answer comes
 * from the loop. */
static void d_commit(struct store *s, store_done_fn done, void *ud)
{
	struct store_defer *q = of(s);
	struct call *c = defer(q, C_COMMIT, (void *)done, ud);

	q->st.commits++;
	if ((q->fail_at && --q->fail_at == 0) || (q->fail_records && q->has_record)) {
		q->fail_records = q->has_record = 0;
		q->in->ops->rollback(q->in);
		c->rc = -EIO;
		q->st.failed++;
		return;
	}
	q->has_record = 0;
	c->rc = -EINPROGRESS;
	q->in->ops->commit(q->in, on_inner_commit, &c->rc);
}

static int d_rollback(struct store *s)
{
	return of(s)->in->ops->rollback(of(s)->in);
}

static int d_probe(struct store *s)
{
	return of(s)->in->ops->probe(of(s)->in);
}

static void d_feed_get(struct store *s, const char *name, store_feed_fn fn, void *ud)
{
	of(s)->in->ops->feed_get(of(s)->in, name, fn, ud);
}

static int d_feed_put(struct store *s, const struct feed_state *f)
{
	return of(s)->in->ops->feed_put(of(s)->in, f);
}

static int d_feed_delete(struct store *s, const char *name)
{
	return of(s)->in->ops->feed_delete(of(s)->in, name);
}

static void d_seen_lookup(struct store *s, const char *id, const char *feed, const char *guid,
			  store_seen_fn fn, void *ud)
{
	struct call *c = defer(of(s), C_LOOKUP, (void *)fn, ud);

	c->a = dup(id);
	c->b = dup(feed);
	c->c = dup(guid);
}

static void d_seen_known(struct store *s, const char *id, const char *alt_id, const char *feed,
			 const char *guid, store_done_fn fn, void *ud)
{
	struct call *c = defer(of(s), C_KNOWN, (void *)fn, ud);

	c->a = dup(id);
	c->b = dup(alt_id);
	c->c = dup(feed);
	c->d = dup(guid);
}

static int d_legacy_ids(const struct store *s)
{
	return of(s)->in->ops->legacy_ids(of(s)->in);
}

static int d_seen_add(struct store *s, const struct state_seen_new *n, int64_t now)
{
	return of(s)->in->ops->seen_add(of(s)->in, n, now);
}

static int d_seen_update(struct store *s, const char *id, enum seen_status status,
			 uint64_t content_hash, int revision)
{
	if (status == SEEN_SPOOLING)
		of(s)->has_record = 1;
	return of(s)->in->ops->seen_update(of(s)->in, id, status, content_hash, revision);
}

static int d_seen_set_status(struct store *s, const char *id, enum seen_status status)
{
	return of(s)->in->ops->seen_set_status(of(s)->in, id, status);
}

static int d_seen_delete(struct store *s, const char *id)
{
	return of(s)->in->ops->seen_delete(of(s)->in, id);
}

static int d_seen_touch(struct store *s, const char *id, int64_t now)
{
	return of(s)->in->ops->seen_touch(of(s)->in, id, now);
}

static int d_seen_each(struct store *s, enum seen_status status,
		       int (*fn)(void *ud, const char *id), void *ud)
{
	return of(s)->in->ops->seen_each(of(s)->in, status, fn, ud);
}

static int d_seen_revision(struct store *s, const char *id)
{
	return of(s)->in->ops->seen_revision(of(s)->in, id);
}

static void d_near(struct store *s, const uint64_t *keys, size_t n_keys, uint64_t simhash,
		   int64_t since, state_candidate_fn each, store_done_fn done, void *ud)
{
	struct call *c = defer(of(s), C_NEAR, (void *)done, ud);

	c->each = (void *)each;
	c->simhash = simhash;
	c->since = since;
	c->n_keys = n_keys;
	if (n_keys && !(c->keys = malloc(n_keys * sizeof *keys)))
		abort();
	if (n_keys)
		memcpy(c->keys, keys, n_keys * sizeof *keys);
}

static void d_boiler_load(struct store *s, const char *feed, store_boiler_fn each,
			  store_done_fn done, void *ud)
{
	struct call *c = defer(of(s), C_BOILER, (void *)done, ud);

	c->each = (void *)each;
	c->a = dup(feed);
}

static int d_boiler_put(struct store *s, const char *feed, uint64_t h, uint32_t n, int64_t now)
{
	return of(s)->in->ops->boiler_put(of(s)->in, feed, h, n, now);
}

static int d_meta_put(struct store *s, const char *key, const char *value)
{
	return of(s)->in->ops->meta_put(of(s)->in, key, value);
}

static int d_expire(struct store *s, int64_t before)
{
	return of(s)->in->ops->expire(of(s)->in, before);
}

static const char *d_error(const struct store *s)
{
	return of(s)->st.failed ? "a commit failed on purpose (store_defer)"
				: of(s)->in->ops->error(of(s)->in);
}

static void on_closed(uv_handle_t *h)
{
	free(h->data);
}

/* Every call must have been answered (the loop ran until then); the inner store stays open. */
static void d_close(struct store *s)
{
	struct store_defer *q = of(s);

	if (q->head) {
		fprintf(stderr, "store_defer: closed with calls unanswered (run the loop first)\n");
		abort();
	}
	q->closing = 1;
	uv_close((uv_handle_t *)&q->idle, on_closed);
}

static const struct store_ops defer_ops = {
    .begin = d_begin,
    .commit = d_commit,
    .rollback = d_rollback,
    .probe = d_probe,
    .feed_get = d_feed_get,
    .feed_put = d_feed_put,
    .feed_delete = d_feed_delete,
    .seen_lookup = d_seen_lookup,
    .seen_add = d_seen_add,
    .seen_update = d_seen_update,
    .seen_set_status = d_seen_set_status,
    .seen_delete = d_seen_delete,
    .seen_touch = d_seen_touch,
    .seen_known = d_seen_known,
    .legacy_ids = d_legacy_ids,
    .seen_each = d_seen_each,
    .seen_revision = d_seen_revision,
    .near_candidates = d_near,
    .boiler_load = d_boiler_load,
    .boiler_put = d_boiler_put,
    .meta_put = d_meta_put,
    .expire = d_expire,
    .error = d_error,
    .close = d_close,
};

struct store *store_defer_new(uv_loop_t *loop, struct store *inner)
{
	struct store_defer *q = calloc(1, sizeof *q);

	if (!q)
		return NULL;
	q->in = inner;
	q->tail = &q->head;
	uv_idle_init(loop, &q->idle);
	q->idle.data = q;
	q->s.ops = &defer_ops;
	q->s.impl = q;
	q->s.immediate = 0;
	return &q->s;
}

void store_defer_fail_commit(struct store *s, int nth)
{
	of(s)->fail_at = nth;
}

void store_defer_fail_records(struct store *s)
{
	of(s)->fail_records = 1;
}

void store_defer_stats(const struct store *s, struct store_defer_stats *out)
{
	*out = of(s)->st;
}
