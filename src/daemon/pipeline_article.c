/* SPDX-License-Identifier: MIT */
/* One article's way through the pipeline, over the store in continuation style: the known
 * check (or, with revisions, the lookup of what the feed brought before), the filter verdict,
 * the near-duplicate check and the reservation, staging in the spool's tmp/, and the record
 * that joins the open batch. Every store read may answer later, from the loop; a job then
 * waits, holding its article and a copy of the feed info.
 *
 * Reservations are made one at a time, in order (a queue): a job found unknown asks again when
 * another article was added to the seen set since, and its near-duplicate check sees every
 * article reserved before it, whether the store answers within the call or later. */
#include "autoconfig.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dedup.h"
#include "dedup_decide.h"
#include "log.h"
#include "pipeline_impl.h"

static void decide_enqueue(struct job *j);
static void on_decide_known(void *ud, int rc);
static void decide_near(struct job *j);

/* ---- a job's life ------------------------------------------------------------------------------ */

void pipeline_job_settle(struct job *j)
{
	if (j->settled)
		return;
	j->settled = 1;
	j->run->outstanding--;
	pipeline_run_maybe_finish(j->run);
}

static void job_destroy(struct job *j)
{
	struct pipeline *p = j->p;

	article_fini(&j->a);
	if (j->has_own_f)
		feed_info_fini(&j->own_f);
	dedup_verdict_fini(&j->v);
	p->live_jobs--;
	free(j);
	pipeline_kick(p); /* the pipeline may have become idle */
}

void pipeline_job_free(struct job *j)
{
	pipeline_job_settle(j);
	if (j->in_call)
		j->dead = 1;
	else
		job_destroy(j);
}

static void job_fail(struct job *j, int err, const char *what)
{
	pipeline_run_fail(j->run, err, what);
	j->p->totals.failed++;
	pipeline_job_free(j);
}

static void copy_feed_info(struct feed_info *dst, const struct feed_info *src)
{
	size_t i;

	feed_info_init(dst);
#define DUP(x) dst->x = src->x ? strdup(src->x) : NULL
	DUP(name);
	DUP(url);
	DUP(title);
	DUP(link);
	DUP(language);
	DUP(subtitle);
#undef DUP
	dst->updated = src->updated;
	for (i = 0; i < src->n_authors; i++)
		person_list_add(&dst->authors, &dst->n_authors, src->authors[i].name,
				src->authors[i].email, src->authors[i].uri);
}

/* The job keeps the feed info from now on (it waits for an answer, or for the judge). */
static void job_own_f(struct job *j)
{
	if (j->has_own_f)
		return;
	copy_feed_info(&j->own_f, j->f);
	j->has_own_f = 1;
	j->f = &j->own_f;
}

static struct job *job_new(struct feed_run *r, struct article *a, const struct feed_info *f)
{
	struct job *j = calloc(1, sizeof *j);

	if (!j)
		return NULL;
	j->p = r->p;
	j->run = r;
	j->a = *a;
	article_init(a);
	j->f = f;
	j->need_f = !r->catchup;
	j->in_call = 1;
	j->stage = J_JUDGING;
	r->outstanding++;
	r->p->live_jobs++;
	return j;
}

/* The end of pipeline_run_article: a job that still waits keeps its own feed info. */
static void job_leave_call(struct job *j)
{
	j->in_call = 0;
	if (j->dead)
		job_destroy(j);
	else if (j->need_f)
		job_own_f(j);
}

/* ---- counting ---------------------------------------------------------------------------------- */

/* Returns 1 when id was already in the set, 0 when it was added (or memory ran out). */
int pipeline_touched_add(struct pipeline *p, const char *id)
{
	if ((int64_t)time(NULL) - p->touched_since > 86400) {
		idset_clear(&p->touched);
		p->touched_since = (int64_t)time(NULL);
	}
	return idset_add(&p->touched, id);
}

/* Still listed: retention counts from when it leaves the feed (touched once a day is enough). */
static void touch_listed(struct pipeline *p, const char *id)
{
	if (!pipeline_touched_add(p, id) && pipeline_batch(p) == 0)
		p->store->ops->seen_touch(p->store, id, (int64_t)time(NULL));
}

static void count_duplicate(struct feed_run *r)
{
	r->res.duplicate++;
	r->p->totals.duplicate++;
}

/* An article already known, and still listed. */
static void count_known(struct feed_run *r, const struct article *a)
{
	touch_listed(r->p, a->id);
	count_duplicate(r);
}

/* ---- staging and the record -------------------------------------------------------------------- */

static void on_staged(void *ud, int status)
{
	struct job *j = ud;
	struct pipeline *p = j->p;
	int rc = 0;

	if (status < 0) {
		if (status != -ENOMEM && status != -ESHUTDOWN)
			pipeline_stall(p, status, "spool %s/%s: %s", sink_name(p->sink),
				       p->sink->ops->last_failure(p->sink), strerror(-status));
		if (!j->a.revision) /* a revision's row is the previous version's: it stays */
			pipeline_unreserve(p, j->a.id);
		job_fail(j, status, "spool");
		return;
	}
	/* durable in tmp/: recorded with its content hash (and revision) in one step */
	if (pipeline_batch(p) < 0 ||
	    (rc = p->store->ops->seen_update(p->store, j->a.id, SEEN_SPOOLING, j->hash,
					     j->a.revision)) < 0) {
		if (rc < 0)
			pipeline_store_failed(p, rc);
		if (!j->a.revision)
			pipeline_unreserve(p, j->a.id);
		job_fail(j, rc < 0 ? rc : -EIO, "state");
		return;
	}
	j->stage = J_RECORDED;
	j->next = p->recorded;
	p->recorded = j;
}

static int stage(struct job *j)
{
	struct pipeline *p = j->p;
	struct buf json = BUF_INIT, txt = BUF_INIT;
	json_t *fj = feed_info_to_json(j->f);
	const struct feed_conf *fc = config_feed(p->c, j->run->feed);
	char *feed;
	int rc;

	/* the configured category (or the OPML folder), beside what the document says */
	if (fj)
		json_object_set_new(fj, "category",
				    fc && fc->category ? json_string(fc->category) : json_null());
	feed = fj ? json_dumps(fj, JSON_COMPACT) : NULL;
	json_decref(fj);
	j->need_f = 0;
	rc = article_write_json(&j->a, feed, &json);
	free(feed);
	if (rc == 0 && buf_putc(&json, '\n') < 0)
		rc = -ENOMEM;
	/* the text rendering: what the content hash is of, and the .txt file with json+text */
	if (rc == 0 && (rc = article_render_text(&j->a, &txt)) == 0)
		j->hash = article_text_hash(buf_cstr(&txt), txt.len);
	if (rc == 0) {
		j->stage = J_STAGING;
		rc = sink_stage(p->sink, j->a.id, json.data, json.len,
				p->c->format == SPOOL_JSON_TEXT ? buf_cstr(&txt) : NULL, txt.len,
				on_staged, j);
	}
	buf_fini(&json);
	buf_fini(&txt);
	return rc;
}

/* ---- the reservation, one job at a time ---------------------------------------------------- */

static void decide_next(struct pipeline *p)
{
	struct job *j;

	if (p->in_decide)
		return;
	p->in_decide = 1;
	while (!p->deciding && (j = p->decide_head)) {
		if (!(p->decide_head = j->next))
			p->decide_tail = &p->decide_head;
		j->next = NULL;
		p->deciding = j;
		if (j->known_seq != p->reserved)
			/* another article was added since this one was found unknown: ask again */
			dedup_known(p->store, j->run->feed, &j->a, on_decide_known, j);
		else
			decide_near(j);
	}
	p->in_decide = 0;
}

static void decide_end(struct pipeline *p)
{
	p->deciding = NULL;
	decide_next(p);
}

static void decide_enqueue(struct job *j)
{
	struct pipeline *p = j->p;

	j->next = NULL;
	*p->decide_tail = j;
	p->decide_tail = &j->next;
	decide_next(p);
}

/* The near-duplicate verdict is in j->v: records the article as reserved (or as an alias of
 * the copy it duplicates). 0 reserved, 1 settled here (a duplicate), negative on error. */
static int reserve(struct job *j)
{
	struct pipeline *p = j->p;
	struct feed_run *r = j->run;
	struct dedup_verdict *v = &j->v;
	struct state_seen_new n;
	int rc;

	if ((rc = pipeline_batch(p)) < 0)
		return rc;
	memset(&n, 0, sizeof n);
	n.id = j->a.id;
	n.feed = r->feed;
	n.guid = j->a.guid;
	n.simhash = j->simhash = v->simhash;
	if (v->duplicate) {
		/* the first copy wins; this one is remembered as its alias, with why */
		n.status = SEEN_ALIAS;
		n.alias_of = v->match;
		n.why = v->why;
		if (p->store->ops->seen_add(p->store, &n, (int64_t)time(NULL)) == 0)
			p->reserved++;
		log_debug("%s: %s is a near-duplicate of %s (%s)", r->feed, j->a.id, v->match,
			  v->why);
		return 1;
	}
	n.status = SEEN_RESERVED;
	n.sketch = v->sketch.len ? v->sketch.data : NULL;
	n.sketch_len = v->sketch.len;
	n.keys = v->keys;
	n.n_keys = v->n_keys;
	rc = p->store->ops->seen_add(p->store, &n, (int64_t)time(NULL));
	if (rc == -EEXIST)
		return 1; /* a copy with this id was reserved first */
	if (rc == 0)
		p->reserved++;
	return rc;
}

/* Catch-up (a feed's first fetch with `catchup`): the article is recorded as written, with
 * what dedup keeps of it, but neither judged nor written: a reader starts from what comes next. */
static void catch_up(struct job *j, int rc)
{
	struct pipeline *p = j->p;
	struct feed_run *r = j->run;

	if (rc == 1) {
		count_duplicate(r);
	} else if (rc < 0 ||
		   (rc = p->store->ops->seen_set_status(p->store, j->a.id, SEEN_WRITTEN)) < 0) {
		pipeline_store_failed(p, rc);
		job_fail(j, rc, "state");
		return;
	} else {
		pipeline_touched_add(p, j->a.id);
		r->res.caught_up++;
		p->totals.caught_up++;
	}
	pipeline_job_free(j);
}

static void on_near(void *ud, int rc)
{
	struct job *j = ud;
	struct pipeline *p = j->p;

	if (rc >= 0)
		rc = reserve(j);
	if (j->run->catchup) {
		catch_up(j, rc);
	} else if (rc == 1) {
		count_duplicate(j->run);
		pipeline_job_free(j);
	} else if (rc < 0) {
		pipeline_store_failed(p, rc);
		job_fail(j, rc, "state");
	} else {
		pipeline_touched_add(p, j->a.id); /* just recorded with last_seen = now */
		if ((rc = stage(j)) < 0) {
			pipeline_unreserve(p, j->a.id);
			job_fail(j, rc, "spool");
		}
	}
	decide_end(p);
}

static void decide_near(struct job *j)
{
	struct pipeline *p = j->p;
	int rc;

	if ((rc = pipeline_batch(p)) < 0) {
		on_near(j, rc);
		return;
	}
	if (p->c->near_duplicates)
		dedup_near(p->store, &j->run->dedup, &j->a,
			   (int64_t)time(NULL) - (int64_t)p->c->retention_days * 86400, &j->v,
			   on_near, j);
	else
		on_near(j, 0);
}

static void on_decide_known(void *ud, int rc)
{
	struct job *j = ud;
	struct pipeline *p = j->p;

	if (rc == 0) {
		decide_near(j);
		return;
	}
	if (rc > 0) {
		count_duplicate(j->run);
		pipeline_job_free(j);
	} else {
		pipeline_store_failed(p, rc);
		job_fail(j, rc, "state");
	}
	decide_end(p);
}

/* ---- the filter verdict ------------------------------------------------------------------------ */

static void after_judge(struct job *j, int keep)
{
	struct pipeline *p = j->p;
	struct feed_run *r = j->run;
	int rc;

	if (!keep) {
		/* a dropped revision is not judged again at every fetch: its hash is recorded, the
		 * previous version stays the one written */
		if (j->a.revision && pipeline_batch(p) == 0 &&
		    (rc = p->store->ops->seen_update(p->store, j->a.id, SEEN_WRITTEN, j->hash,
						     j->a.revision - 1)) < 0 &&
		    rc != -ENOENT)
			pipeline_store_failed(p, rc);
		r->res.dropped++;
		p->totals.dropped++;
		pipeline_job_free(j);
		return;
	}
	if ((rc = pipeline_batch(p)) < 0) {
		job_fail(j, rc, "state");
		return;
	}
	if (!j->a.revision) {
		/* another copy may be accepted while this one was judged: the queue asks again */
		decide_enqueue(j);
		return;
	}
	/* known by definition, and no near-duplicate of itself; its row keeps the previous
	 * version (status written, old hash) until the revision is durable in tmp/ */
	if ((rc = stage(j)) < 0)
		job_fail(j, rc, "spool");
}

static void on_judged(void *ud, int keep)
{
	after_judge(ud, keep);
}

/* Found unknown (or a revision): judged, or (catch-up) straight to the reservation. */
static void job_accept(struct job *j)
{
	struct pipeline *p = j->p;

	if (j->run->catchup) {
		decide_enqueue(j);
	} else if (p->judge) {
		job_own_f(j); /* the judge may answer later */
		p->judge(p->judge_ud, &j->a, j->f, on_judged, j);
	} else {
		after_judge(j, 1);
	}
}

static void on_known(void *ud, int rc)
{
	struct job *j = ud;
	struct pipeline *p = j->p;

	if (rc < 0) {
		pipeline_store_failed(p, rc);
		job_fail(j, rc, "state");
	} else if (rc > 0) {
		count_known(j->run, &j->a);
		pipeline_job_free(j);
	} else {
		j->known_seq = p->reserved;
		job_accept(j);
	}
}

static void on_known_now(void *ud, int rc)
{
	*(int *)ud = rc;
}

int pipeline_run_known(struct feed_run *r, const struct article *a)
{
	struct pipeline *p = r->p;
	int known = 0;

	r->unknown[0] = '\0';
	/* trouble is reported by pipeline_run_article, with the whole article; with revisions a
	 * known article's text is what tells whether it changed; a store that answers later is
	 * asked by pipeline_run_article */
	if (r->revisions || !p->store->immediate || p->stalled || pipeline_batch(p) < 0)
		return 0;
	dedup_known(p->store, r->feed, a, on_known_now, &known);
	if (known < 0)
		return 0;
	if (known == 0) {
		memcpy(r->unknown, a->id, sizeof r->unknown);
		r->unknown_seq = p->reserved;
		return 0;
	}
	r->res.seen++;
	count_known(r, a);
	return 1;
}

/* ---- revisions --------------------------------------------------------------------------------- */

/* For a feed with revisions on, the answer to what the feed brought before: the job goes on as
 * a first version (unknown), or (a.revision set, a.id the id it was recorded under, hash its
 * content hash) as a revision; else it is settled here. Only an article this feed brought
 * before (by id, or by its guid: the (feed, guid) alias), recorded as written, is revised:
 * near-duplicate aliases never are, and a copy in another feed is a duplicate, as it is
 * without revisions. */
static void on_revision_seen(void *ud, int rc, const char *found, const struct seen_entry *e)
{
	struct job *j = ud;
	struct feed_run *r = j->run;
	struct pipeline *p = j->p;
	char id[17];
	uint64_t h;

	memcpy(id, rc > 0 ? found : j->a.id, sizeof id);
	/* the first sighting in a document is the one looked at (a feed that lists one story
	 * twice, differently, must not revise it at every fetch) */
	if (idset_add(&r->ids, id))
		goto duplicate;
	if (rc < 0) {
		pipeline_store_failed(p, rc);
		job_fail(j, rc, "state");
		return;
	}
	if (rc == 0) {
		j->known_seq = p->reserved;
		job_accept(j);
		return;
	}
	touch_listed(p, id);
	if (!e->same_feed || e->status == SEEN_ALIAS)
		goto duplicate;
	if (!(h = article_content_hash(&j->a)) || h == e->content_hash)
		goto duplicate;
	if (e->status != SEEN_WRITTEN) {
		/* the previous version is still on its way to new/ (waiting for room, or its
		 * reservation not yet removed): the next fetch looks again */
		r->res.deferred++;
		pipeline_job_free(j);
		return;
	}
	if (!e->content_hash) {
		/* recorded before content hashes were: this one is the reference from now on */
		if (pipeline_batch(p) == 0 &&
		    (rc = p->store->ops->seen_update(p->store, id, SEEN_WRITTEN, h, e->revision)) < 0)
			pipeline_store_failed(p, rc);
		goto duplicate;
	}
	memcpy(j->a.id, id, sizeof id);
	j->a.revision = e->revision + 1;
	j->hash = h;
	job_accept(j);
	return;

duplicate:
	count_duplicate(r);
	pipeline_job_free(j);
}

void pipeline_run_article(struct feed_run *r, struct article *a, const struct feed_info *f)
{
	struct pipeline *p = r->p;
	struct job *j;
	int checked = strcmp(r->unknown, a->id) == 0 && r->unknown_seq == p->reserved;

	r->unknown[0] = '\0';
	r->res.seen++;
	if (pipeline_batch(p) < 0) {
		/* the spool or the state cannot be written: not now */
		pipeline_run_fail(r, p->stalled ? p->stalled : -EIO, "state");
		p->totals.failed++;
		return;
	}
	if (!(j = job_new(r, a, f))) {
		pipeline_run_fail(r, -ENOMEM, "memory");
		return;
	}
	if (r->revisions) {
		p->store->ops->seen_lookup(p->store, j->a.id, r->feed, j->a.guid, on_revision_seen,
					   j);
	} else if (checked) {
		j->known_seq = p->reserved;
		job_accept(j);
	} else {
		dedup_known(p->store, r->feed, &j->a, on_known, j);
	}
	job_leave_call(j);
}
