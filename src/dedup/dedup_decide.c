/* SPDX-License-Identifier: MIT */
/* Every dedup decision: known ids, (feed, guid) aliases, near-duplicates (see dedup_decide.h). */
#include "autoconfig.h"

#include "dedup_decide.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xxhash.h>

#include "log.h"
#include "url.h"

void dedup_run_init(struct dedup_run *d, const char *feed)
{
	memset(d, 0, sizeof *d);
	d->feed = feed ? strdup(feed) : NULL;
	dedup_boiler_init(&d->boiler);
}

struct boiler_save {
	struct state *st;
	const char *feed;
	int64_t now;
	int rc;
};

static void save_one(void *ud, uint64_t h, uint32_t n)
{
	struct boiler_save *bs = ud;
	int rc;

	if (bs->rc == 0 && (rc = state_boiler_put(bs->st, bs->feed, h, n, bs->now)) < 0)
		bs->rc = rc;
}

int dedup_run_fini(struct dedup_run *d, struct state *st, int64_t now)
{
	struct boiler_save bs = {st, d->feed, now, 0};

	if (st && d->feed)
		dedup_boiler_each_changed(&d->boiler, save_one, &bs);
	dedup_boiler_fini(&d->boiler);
	free(d->feed);
	d->feed = NULL;
	return bs.rc;
}

/* The id a recorded before schema version 4 (its link's older canonical form), "" when the
 * same as now. */
static void legacy_id(const struct article *a, char out[17])
{
	char *now = NULL, *old = NULL;

	out[0] = '\0';
	if (!a->url || !(old = url_canonical_v3(a->url)))
		return;
	if ((now = url_canonical(a->url)) && strcmp(now, old) != 0)
		snprintf(out, 17, "%016llx", (unsigned long long)XXH3_64bits(old, strlen(old)));
	free(now);
	free(old);
}

int dedup_known(struct state *st, const char *feed, const struct article *a)
{
	char id[17];
	int rc;

	if ((rc = state_seen_has(st, a->id)) != 0)
		return rc;
	if (a->guid && (rc = state_alias_get(st, feed, a->guid, id)) != 0)
		return rc;
	if (!state_has_v3_ids(st))
		return 0;
	legacy_id(a, id);
	return id[0] && strcmp(id, a->id) ? state_seen_has(st, id) : 0;
}

void dedup_verdict_fini(struct dedup_verdict *v)
{
	buf_fini(&v->sketch);
}

static void load_one(void *ud, uint64_t h, uint32_t n)
{
	dedup_boiler_load(ud, h, n);
}

/* Compares the new article with each candidate; the best match wins. */
struct compare {
	struct state *st;
	const struct dedup_run *d;
	const struct dedup_sketch *x;
	struct dedup_verdict *v;
	struct dedup_match best;
	struct dedup_sketch y;
};

static void on_candidate(void *ud, const char *id, const char *feed, const void *sketch,
			 size_t len)
{
	struct compare *c = ud;
	struct dedup_boiler other;
	struct dedup_match m;
	int same = feed && c->d->feed && strcmp(feed, c->d->feed) == 0;

	if (dedup_sketch_decode(sketch, len, &c->y) < 0)
		return; /* recorded before version 4: no evidence to merge on */
	dedup_boiler_init(&other);
	if (!same && feed)
		state_boiler_each(c->st, feed, load_one, &other);
	dedup_compare(c->x, &c->d->boiler, &c->y, same ? NULL : &other, same, &m);
	dedup_boiler_fini(&other);
	{
		char why[200];

		dedup_match_describe(&m, why, sizeof why);
		log_debug("%s: near-duplicate candidate %s (feed %s): %s", c->d->feed, id,
			  feed ? feed : "?", why);
	}
	if (m.rule != DEDUP_NONE && (!c->v->duplicate || m.distance < c->best.distance)) {
		c->v->duplicate = 1;
		memcpy(c->v->match, id, 17);
		c->best = m;
	}
}

int dedup_near(struct state *st, struct dedup_run *d, const struct article *a, int64_t since,
	       struct dedup_verdict *v)
{
	struct dedup_sketch *x = malloc(sizeof *x);
	struct compare *c = malloc(sizeof *c);
	const char *body = a->body ? a->body : a->summary;
	uint64_t look[DEDUP_LOOKUPS];
	size_t n;
	int rc = -ENOMEM;

	memset(v, 0, sizeof *v);
	if (!x || !c)
		goto done;
	if (!d->loaded && d->feed) {
		state_boiler_each(st, d->feed, load_one, &d->boiler);
		d->loaded = 1;
	}
	dedup_sketch_make(x, a->title, body);
	v->simhash = x->simhash;
	n = dedup_sketch_keys(x, &d->boiler, 1, look, DEDUP_LOOKUPS);
	memset(c, 0, sizeof *c);
	c->st = st;
	c->d = d;
	c->x = x;
	c->v = v;
	if ((rc = state_near_candidates(st, look, n, x->simhash, since, on_candidate, c)) < 0)
		goto done;
	if (v->duplicate) {
		dedup_match_describe(&c->best, v->why, sizeof v->why);
	} else {
		v->n_keys = dedup_sketch_keys(x, &d->boiler, 0, v->keys, DEDUP_KEYS);
		/* counted after the decision, and only for distinct articles: a copy's sentences are
		 * the story's, not the feed's boilerplate */
		dedup_boiler_count(&d->boiler, x);
		/* recorded at once (in the open batch): other feeds' checks discount it too */
		if (d->feed) {
			struct boiler_save bs = {st, d->feed, (int64_t)time(NULL), 0};

			dedup_boiler_each_changed_of(&d->boiler, x, save_one, &bs);
		}
	}
	rc = dedup_sketch_encode(x, &v->sketch);
done:
	free(x);
	free(c);
	return rc;
}
