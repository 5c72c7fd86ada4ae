/* SPDX-License-Identifier: MIT */
/* Every dedup decision: known ids, (feed, guid) aliases, near-duplicates (see dedup_decide.h),
 * asked of the store in continuation style: each answer may come later, from the loop. */
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
	struct store *s;
	const char *feed;
	int64_t now;
	int rc;
};

static void save_one(void *ud, uint64_t h, uint32_t n)
{
	struct boiler_save *bs = ud;
	int rc;

	if (bs->rc == 0 && (rc = bs->s->ops->boiler_put(bs->s, bs->feed, h, n, bs->now)) < 0)
		bs->rc = rc;
}

int dedup_run_fini(struct dedup_run *d, struct store *s, int64_t now)
{
	struct boiler_save bs = {s, d->feed, now, 0};

	if (s && d->feed)
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

void dedup_known(struct store *s, const char *feed, const struct article *a, store_done_fn fn,
		 void *ud)
{
	char alt[17] = "";

	if (s->ops->legacy_ids(s))
		legacy_id(a, alt);
	s->ops->seen_known(s, a->id, alt[0] && strcmp(alt, a->id) ? alt : NULL, feed, a->guid, fn,
			   ud);
}

void dedup_verdict_fini(struct dedup_verdict *v)
{
	buf_fini(&v->sketch);
}

/* One candidate the store found, kept until it is compared (its feed's boilerplate may have to
 * be read first). */
struct cand {
	char id[17];
	char *feed;
	void *sketch;
	size_t len;
};

/* One near-duplicate question in flight. */
struct near {
	struct store *s;
	struct dedup_run *d;
	const struct article *a;
	struct dedup_verdict *v;
	int64_t since;
	store_done_fn done;
	void *ud;
	struct dedup_sketch x, y;
	struct dedup_match best;
	struct dedup_boiler other; /* the current candidate's feed's */
	struct cand cands[STATE_MAX_CANDIDATES];
	size_t n, next;
};

static void near_finish(struct near *q, int rc)
{
	store_done_fn done = q->done;
	void *ud = q->ud;
	size_t i;

	for (i = 0; i < q->n; i++) {
		free(q->cands[i].feed);
		free(q->cands[i].sketch);
	}
	free(q);
	done(ud, rc);
}

static void on_candidate(void *ud, const char *id, const char *feed, const void *sketch,
			 size_t len)
{
	struct near *q = ud;
	struct cand *c;

	if (q->n >= STATE_MAX_CANDIDATES || !sketch || !len)
		return; /* recorded before version 4: no evidence to merge on */
	c = &q->cands[q->n];
	memcpy(c->id, id, 17);
	c->feed = feed ? strdup(feed) : NULL;
	c->sketch = malloc(len);
	if ((feed && !c->feed) || !c->sketch) {
		free(c->feed);
		free(c->sketch);
		return;
	}
	memcpy(c->sketch, sketch, len);
	c->len = len;
	q->n++;
}

static void load_own(void *ud, uint64_t h, uint32_t n)
{
	struct near *q = ud;

	dedup_boiler_load(&q->d->boiler, h, n);
}

static void load_other(void *ud, uint64_t h, uint32_t n)
{
	struct near *q = ud;

	dedup_boiler_load(&q->other, h, n);
}

static int is_same(const struct near *q, const struct cand *c)
{
	return c->feed && q->d->feed && strcmp(c->feed, q->d->feed) == 0;
}

/* Compares the new article with one candidate (other: its feed's boilerplate, or NULL); the
 * best match wins. */
static void compare_one(struct near *q, const struct cand *c, const struct dedup_boiler *other)
{
	struct dedup_match m;
	char why[200];

	dedup_compare(&q->x, &q->d->boiler, &q->y, other, is_same(q, c), &m);
	dedup_match_describe(&m, why, sizeof why);
	log_debug("%s: near-duplicate candidate %s (feed %s): %s", q->d->feed, c->id,
		  c->feed ? c->feed : "?", why);
	if (m.rule != DEDUP_NONE && (!q->v->duplicate || m.distance < q->best.distance)) {
		q->v->duplicate = 1;
		memcpy(q->v->match, c->id, 17);
		q->best = m;
	}
}

static void compare_next(struct near *q);

static void on_other_loaded(void *ud, int status)
{
	struct near *q = ud;

	(void)status; /* without it, the candidate is compared with no boilerplate discounted */
	compare_one(q, &q->cands[q->next++], &q->other);
	dedup_boiler_fini(&q->other);
	compare_next(q);
}

/* The decision once every candidate is compared: a distinct article's keys, its sentences
 * counted into the run's boilerplate (recorded at once, in the open batch: other feeds' checks
 * discount them too), its sketch encoded. */
static void near_decide(struct near *q)
{
	struct dedup_run *d = q->d;
	struct dedup_verdict *v = q->v;

	if (v->duplicate) {
		dedup_match_describe(&q->best, v->why, sizeof v->why);
	} else {
		v->n_keys = dedup_sketch_keys(&q->x, &d->boiler, 0, v->keys, DEDUP_KEYS);
		/* counted after the decision, and only for distinct articles: a copy's sentences are
		 * the story's, not the feed's boilerplate */
		dedup_boiler_count(&d->boiler, &q->x);
		if (d->feed) {
			struct boiler_save bs = {q->s, d->feed, (int64_t)time(NULL), 0};

			dedup_boiler_each_changed_of(&d->boiler, &q->x, save_one, &bs);
		}
	}
	near_finish(q, dedup_sketch_encode(&q->x, &v->sketch));
}

/* Compares the candidates in turn; another feed's is compared once its boilerplate is read. */
static void compare_next(struct near *q)
{
	struct cand *c;

	while (q->next < q->n) {
		c = &q->cands[q->next];
		if (dedup_sketch_decode(c->sketch, c->len, &q->y) < 0) {
			q->next++;
			continue;
		}
		if (c->feed && !is_same(q, c)) {
			dedup_boiler_init(&q->other);
			q->s->ops->boiler_load(q->s, c->feed, load_other, on_other_loaded, q);
			return;
		}
		compare_one(q, c, NULL);
		q->next++;
	}
	near_decide(q);
}

static void on_candidates(void *ud, int status)
{
	struct near *q = ud;

	if (status < 0) {
		near_finish(q, status);
		return;
	}
	compare_next(q);
}

static void near_query(struct near *q)
{
	const struct article *a = q->a;
	uint64_t look[DEDUP_LOOKUPS];
	size_t n;

	dedup_sketch_make(&q->x, a->title, a->body ? a->body : a->summary);
	q->v->simhash = q->x.simhash;
	n = dedup_sketch_keys(&q->x, &q->d->boiler, 1, look, DEDUP_LOOKUPS);
	q->s->ops->near_candidates(q->s, look, n, q->x.simhash, q->since, on_candidate,
				   on_candidates, q);
}

static void on_own_loaded(void *ud, int status)
{
	struct near *q = ud;

	(void)status; /* without it, nothing is discounted as boilerplate yet */
	q->d->loaded = 1;
	near_query(q);
}

void dedup_near(struct store *s, struct dedup_run *d, const struct article *a, int64_t since,
		struct dedup_verdict *v, store_done_fn done, void *ud)
{
	struct near *q = malloc(sizeof *q);

	memset(v, 0, sizeof *v);
	if (!q) {
		done(ud, -ENOMEM);
		return;
	}
	memset(q, 0, sizeof *q);
	q->s = s;
	q->d = d;
	q->a = a;
	q->v = v;
	q->since = since;
	q->done = done;
	q->ud = ud;
	if (!d->loaded && d->feed)
		s->ops->boiler_load(s, d->feed, load_own, on_own_loaded, q);
	else
		near_query(q);
}
