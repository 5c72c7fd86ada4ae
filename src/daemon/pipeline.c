/* SPDX-License-Identifier: MIT */
/* The one place where the stages meet: each article is a job that moves through exact dedup,
 * the filter chain, near-duplicate dedup, a reservation in the state, the spool's tmp/, the
 * state's record, and the spool's new/. State writes are batched in one transaction that is
 * committed once per loop iteration (a uv_idle handle, active only while work is due).
 *
 * Two things hold articles back. Back-pressure: an article recorded for good waits in tmp/
 * (in a queue, by id) while new/ holds max_pending articles, so new/ never holds more.
 * Storage trouble: when the spool or the state cannot be written (a full disk, a read-only
 * file system, another process's lock), the pipeline stalls: it logs it once, refuses new
 * articles (their runs fail as "local", and the daemon fetches those feeds again later), and
 * every RETRY_MS probes both; once they can be written it takes articles again. */
#include "autoconfig.h"

#include "pipeline.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dedup.h"
#include "dedup_decide.h"
#include "log.h"
#include "pipeline_impl.h"

#define RETRY_MS 2000 /* how often a stalled pipeline probes the spool and the state */

static void run_maybe_finish(struct feed_run *r);
static void on_kick(uv_idle_t *h);
static void on_retry(uv_timer_t *t);

/* Asks for a commit at the start of the next loop iteration. */
static void kick(struct pipeline *p)
{
	if (!p->closing && !uv_is_active((uv_handle_t *)&p->kick))
		uv_idle_start(&p->kick, on_kick);
}

/* Starts refusing articles because of what failed (said once per stall). */
__attribute__((format(printf, 3, 4))) static void stall(struct pipeline *p, int err,
							const char *fmt, ...)
{
	va_list ap;

	if (p->stalled || p->closing)
		return;
	p->stalled = err < 0 ? err : -EIO;
	p->refused = 0;
	va_start(ap, fmt);
	vsnprintf(p->stall_msg, sizeof p->stall_msg, fmt, ap);
	va_end(ap);
	log_err("%s: not accepting articles until it can be written again (tried every %d s)",
		p->stall_msg, RETRY_MS / 1000);
	if (!uv_is_active((uv_handle_t *)&p->retry))
		uv_timer_start(&p->retry, on_retry, RETRY_MS, RETRY_MS);
}

/* A state call failed with rc: storage trouble stalls the pipeline. */
static void state_failed(struct pipeline *p, int rc)
{
	if (rc == -EBUSY || rc == -ENOSPC || rc == -EROFS || rc == -EIO || rc == -EACCES)
		stall(p, rc, "state %s: %s", p->c->state, state_error(p->st));
}

/* Opens the batch's transaction if needed: 0, or negative when the state cannot be written
 * now (then nothing may be written to it). */
static int txn(struct pipeline *p)
{
	int rc;

	if (p->stalled)
		return p->stalled;
	if (!p->in_txn) {
		if ((rc = state_begin(p->st)) < 0) {
			state_failed(p, rc);
			return rc;
		}
		p->in_txn = 1;
	}
	kick(p);
	return 0;
}

static void run_fail(struct feed_run *r, int err, const char *what)
{
	struct pipeline *p = r->p;

	r->res.failed++;
	if (p->stalled) {
		/* not the feed's fault: fetch it again once the spool and state work */
		r->res.local = 1;
		p->refused++;
	}
	if (!r->res.error) {
		r->res.error = err;
		if (p->stalled)
			snprintf(r->res.message, sizeof r->res.message, "not accepted: %s",
				 p->stall_msg);
		else
			snprintf(r->res.message, sizeof r->res.message, "%s: %s", what,
				 strerror(-err));
	}
}

static void add_orphan(struct pipeline *p, const char *id)
{
	if (p->n_orphans == p->orphans_cap) {
		size_t cap = p->orphans_cap ? p->orphans_cap * 2 : 64;
		char(*v)[17] = realloc(p->orphans, cap * sizeof *v);

		if (!v) /* the next start's recovery removes it */
			return;
		p->orphans = v;
		p->orphans_cap = cap;
	}
	memcpy(p->orphans[p->n_orphans++], id, 17);
}

/* Removes the reservation of an article that will not be written: it must not pass for a known
 * article when its feed brings it again. When the state cannot be written now, later. */
static void unreserve(struct pipeline *p, const char *id)
{
	int rc;

	if (txn(p) == 0) {
		if ((rc = state_seen_delete(p->st, id)) == 0 || rc == -ENOENT)
			return;
		state_failed(p, rc);
	}
	add_orphan(p, id);
}

static void job_settle(struct job *j)
{
	if (j->settled)
		return;
	j->settled = 1;
	j->run->outstanding--;
	run_maybe_finish(j->run);
}

static void job_free(struct job *j)
{
	struct pipeline *p = j->p;

	job_settle(j);
	article_fini(&j->a);
	p->live_jobs--;
	free(j);
	kick(p); /* the pipeline may have become idle */
}

/* ---- publishing (after the record is committed) ---------------------------------------- */

static void maybe_free(struct pipeline *p);

static void on_published(void *ud, int status)
{
	struct pub *n = ud;
	struct pipeline *p = n->p;
	int rc;

	p->publishing--;
	if (p->closing) {
		/* recorded as SPOOLING: the next start finds it in new/ (or tmp/) and settles it */
		free(n);
		maybe_free(p);
		return;
	}
	if (status < 0) {
		const char *why = p->sink->ops->publish_error ? p->sink->ops->publish_error(p->sink)
							       : NULL;

		if (why) /* a broker: the message names it */
			stall(p, status, "%s (publishing %s)", why, n->id);
		else
			stall(p, status, "spool %s: moving %s from tmp/ into new/: %s",
			      sink_name(p->sink), n->id, strerror(-status));
		/* back to the front of the queue: published once the spool can be written */
		n->next = p->waiting;
		if (!p->waiting)
			p->waiting_tail = &n->next;
		p->waiting = n;
		p->n_waiting++;
	} else {
		if (txn(p) == 0 && (rc = state_seen_set_status(p->st, n->id, SEEN_WRITTEN)) < 0)
			state_failed(p, rc); /* stays SPOOLING: the next start sees it in new/ */
		free(n);
	}
	pipeline_drain(p);
	kick(p); /* the pipeline may have become idle */
}

/* Publishes waiting articles while new/ has room (max_pending) and the spool works. */
void pipeline_drain(struct pipeline *p)
{
	size_t max = (size_t)p->c->max_pending;
	struct pub *n;

	while (!p->stalled && !p->closing && (n = p->waiting) &&
	       sink_pending(p->sink) + p->publishing < max) {
		p->waiting = n->next;
		if (!p->waiting)
			p->waiting_tail = &p->waiting;
		p->n_waiting--;
		p->publishing++;
		if (sink_publish(p->sink, n->id, on_published, n) < 0) {
			p->publishing--;
			log_err("spool: cannot publish %s (published at the next start)", n->id);
			free(n);
		}
	}
	if (p->closing)
		return;
	if (p->n_waiting && !p->stalled && !p->held) {
		p->held = 1;
		log_warnx(
		    "spool: new/ is full (max_pending %d): recorded articles wait in tmp/ until "
		    "readers take files",
		    p->c->max_pending);
	} else if (!p->n_waiting && p->held) {
		p->held = 0;
		log_info("spool: the articles that waited in tmp/ are all in new/");
	}
	/* while articles wait, look again as readers take files from new/ */
	if ((p->stalled || p->n_waiting) && !uv_is_active((uv_handle_t *)&p->retry))
		uv_timer_start(&p->retry, on_retry, RETRY_MS / 2, RETRY_MS / 2);
	else if (!p->stalled && !p->n_waiting)
		uv_timer_stop(&p->retry);
}

/* Queues a recorded article for new/. */
int pipeline_wait_publish(struct pipeline *p, const char *id)
{
	struct pub *n = calloc(1, sizeof *n);

	if (!n)
		return -ENOMEM;
	n->p = p;
	memcpy(n->id, id, 17);
	*p->waiting_tail = n;
	p->waiting_tail = &n->next;
	p->n_waiting++;
	return 0;
}

/* ---- storage trouble: probes ---------------------------------------------------------------- */

static void on_probe_work(uv_work_t *req)
{
	struct probe *pr = req->data;

	pr->status = pr->fn(pr->dir);
}

/* The spool can be written again; now the state, and the reservations left behind. */
static void on_probe_after(uv_work_t *req, int status)
{
	struct probe *pr = req->data;
	struct pipeline *p = pr->p;
	int rc = status < 0 ? status : pr->status;
	size_t i;

	free(pr->dir);
	free(pr);
	p->probe = NULL;
	if (p->closing) {
		maybe_free(p);
		return;
	}
	if (rc < 0 || !p->stalled)
		return;
	if (!p->in_txn && (rc = state_probe(p->st)) < 0)
		return;
	log_info("spool %s and state %s can be written again: accepting articles (%llu refused "
		 "meanwhile; their feeds are fetched again)",
		 sink_name(p->sink), p->c->state, (unsigned long long)p->refused);
	p->stalled = 0;
	for (i = 0; i < p->n_orphans; i++) {
		if (txn(p) < 0 ||
		    ((rc = state_seen_delete(p->st, p->orphans[i])) < 0 && rc != -ENOENT)) {
			state_failed(p, rc);
			break;
		}
	}
	if (i) {
		memmove(p->orphans, p->orphans + i, (p->n_orphans - i) * sizeof *p->orphans);
		p->n_orphans -= i;
	}
	pipeline_drain(p);
	if (!p->stalled && p->resume_fn)
		p->resume_fn(p->resume_ud);
}

static void on_retry(uv_timer_t *t)
{
	struct pipeline *p = t->data;
	struct probe *pr;

	if (!p->stalled) {
		pipeline_drain(p);
		return;
	}
	if (p->probe || !(pr = calloc(1, sizeof *pr)))
		return;
	pr->p = p;
	pr->req.data = pr;
	pr->fn = p->sink->ops->probe;
	if (!(pr->dir = strdup(p->sink->ops->probe_arg(p->sink))) ||
	    uv_queue_work(p->loop, &pr->req, on_probe_work, on_probe_after) != 0) {
		free(pr->dir);
		free(pr);
		return;
	}
	p->probe = pr;
}

/* ---- staging ---------------------------------------------------------------------------------- */

static void on_staged(void *ud, int status)
{
	struct job *j = ud;
	struct pipeline *p = j->p;
	int rc = 0;

	if (status < 0) {
		if (status != -ENOMEM && status != -ESHUTDOWN)
			stall(p, status, "spool %s/%s: %s", sink_name(p->sink),
			      p->sink->ops->last_failure(p->sink), strerror(-status));
		run_fail(j->run, status, "spool");
		p->totals.failed++;
		if (!j->a.revision) /* a revision's row is the previous version's: it stays */
			unreserve(p, j->a.id);
		job_free(j);
		return;
	}
	/* durable in tmp/: recorded with its content hash (and revision) in one step */
	if (txn(p) < 0 ||
	    (rc = state_seen_update(p->st, j->a.id, SEEN_SPOOLING, j->hash, j->a.revision)) < 0) {
		if (rc < 0)
			state_failed(p, rc);
		run_fail(j->run, rc < 0 ? rc : -EIO, "state");
		p->totals.failed++;
		if (!j->a.revision)
			unreserve(p, j->a.id);
		job_free(j);
		return;
	}
	j->stage = J_RECORDED;
	j->next = p->recorded;
	p->recorded = j;
}

static int stage(struct job *j, const struct feed_info *f)
{
	struct pipeline *p = j->p;
	struct buf json = BUF_INIT, txt = BUF_INIT;
	json_t *fj = feed_info_to_json(f);
	const struct feed_conf *fc = j->run ? config_feed(p->c, j->run->feed) : NULL;
	char *feed;
	int rc;

	/* the configured category (or the OPML folder), beside what the document says */
	if (fj)
		json_object_set_new(fj, "category",
				    fc && fc->category ? json_string(fc->category) : json_null());
	feed = fj ? json_dumps(fj, JSON_COMPACT) : NULL;
	json_decref(fj);
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

/* ---- dedup and the filter verdict ----------------------------------------------------------- */

/* Returns 1 when id was already in the set, 0 when it was added (or memory ran out). */
static int touched_add(struct pipeline *p, const char *id)
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
	if (!touched_add(p, id))
		state_seen_touch(p->st, id, (int64_t)time(NULL));
}

static void count_duplicate(struct feed_run *r)
{
	r->res.duplicate++;
	r->p->totals.duplicate++;
}

static int is_known(struct pipeline *p, const struct article *a, const char *feed)
{
	return dedup_known(p->st, feed, a) > 0;
}

/* Near-duplicate dedup (dedup_near decides) and the reservation: 0 when a is reserved (go on
 * and stage it), 1 when it was settled here (a duplicate, recorded as an alias), negative on
 * error. */
static int reserve(struct job *j)
{
	struct pipeline *p = j->p;
	struct feed_run *r = j->run;
	struct dedup_verdict v;
	struct state_seen_new n;
	int64_t now = (int64_t)time(NULL);
	int rc = 0;

	memset(&v, 0, sizeof v);
	if (p->c->near_duplicates &&
	    (rc = dedup_near(p->st, &r->dedup, &j->a, now - (int64_t)p->c->retention_days * 86400,
			     &v)) < 0) {
		dedup_verdict_fini(&v);
		return rc;
	}
	memset(&n, 0, sizeof n);
	n.id = j->a.id;
	n.feed = r->feed;
	n.guid = j->a.guid;
	n.simhash = j->simhash = v.simhash;
	n.sketch = v.sketch.len ? v.sketch.data : NULL;
	n.sketch_len = v.sketch.len;
	if (v.duplicate) {
		/* the first copy wins; this one is remembered as its alias, with why */
		n.status = SEEN_ALIAS;
		n.alias_of = v.match;
		n.why = v.why;
		n.sketch = NULL;
		n.sketch_len = 0;
		state_seen_add_sketch(p->st, &n, now);
		log_debug("%s: %s is a near-duplicate of %s (%s)", r->feed, j->a.id, v.match, v.why);
		dedup_verdict_fini(&v);
		return 1;
	}
	n.status = SEEN_RESERVED;
	n.keys = v.keys;
	n.n_keys = v.n_keys;
	rc = state_seen_add_sketch(p->st, &n, now);
	dedup_verdict_fini(&v);
	return rc;
}

/* Keeps a job's feed info alive across an asynchronous verdict. */
struct judged {
	struct job *j;
	struct feed_info f;
};

static void after_judge(struct job *j, const struct feed_info *f, int keep)
{
	struct pipeline *p = j->p;
	struct feed_run *r = j->run;
	int rc;

	if (!keep) {
		/* a dropped revision is not judged again at every fetch: its hash is recorded, the
		 * previous version stays the one written */
		if (j->a.revision && txn(p) == 0 &&
		    (rc = state_seen_update(p->st, j->a.id, SEEN_WRITTEN, j->hash,
					    j->a.revision - 1)) < 0 &&
		    rc != -ENOENT)
			state_failed(p, rc);
		r->res.dropped++;
		p->totals.dropped++;
		job_free(j);
		return;
	}
	if ((rc = txn(p)) < 0) {
		run_fail(r, rc, "state");
		p->totals.failed++;
		job_free(j);
		return;
	}
	if (j->a.revision) {
		/* known by definition, and no near-duplicate of itself; its row keeps the previous
		 * version (status written, old hash) until the revision is durable in tmp/ */
		if ((rc = stage(j, f)) < 0) {
			run_fail(r, rc, "spool");
			p->totals.failed++;
			job_free(j);
		}
		return;
	}
	/* another copy may have been accepted while this one was judged */
	if (is_known(p, &j->a, r->feed)) {
		count_duplicate(r);
		job_free(j);
		return;
	}
	rc = reserve(j);
	if (rc == 1) {
		count_duplicate(r);
		job_free(j);
		return;
	}
	touched_add(p, j->a.id); /* just recorded with last_seen = now */
	if (rc < 0) {
		state_failed(p, rc);
		run_fail(r, rc, "state");
		p->totals.failed++;
		job_free(j);
		return;
	}
	rc = stage(j, f);
	if (rc < 0) {
		run_fail(r, rc, "spool");
		p->totals.failed++;
		unreserve(p, j->a.id);
		job_free(j);
	}
}

static void on_judged(void *ud, int keep)
{
	struct judged *jd = ud;

	after_judge(jd->j, &jd->f, keep);
	feed_info_fini(&jd->f);
	free(jd);
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

/* An article already known, and still listed. */
static void count_known(struct feed_run *r, const struct article *a)
{
	touch_listed(r->p, a->id);
	count_duplicate(r);
}

int pipeline_run_known(struct feed_run *r, const struct article *a)
{
	struct pipeline *p = r->p;

	r->unknown[0] = '\0';
	/* trouble is reported by pipeline_run_article, with the whole article; with revisions a
	 * known article's text is what tells whether it changed */
	if (r->revisions || p->stalled || txn(p) < 0)
		return 0;
	if (!is_known(p, a, r->feed)) {
		memcpy(r->unknown, a->id, sizeof r->unknown);
		return 0;
	}
	r->res.seen++;
	count_known(r, a);
	return 1;
}

/* For a feed with revisions on, before judging: 1 when the article is settled here (a duplicate,
 * counted), 0 when it goes on as a job: a first version, or (a->revision set, a->id the id it
 * was recorded under, *hash its content hash) a revision. Only an article this feed brought
 * before (by id, or by its guid: the (feed, guid) alias), recorded as written, is revised:
 * near-duplicate aliases never are, and a copy in another feed is a duplicate, as it is
 * without revisions. */
static int revision_check(struct feed_run *r, struct article *a, uint64_t *hash)
{
	struct pipeline *p = r->p;
	struct seen_entry e;
	char id[17];
	uint64_t h;
	int rc;

	memcpy(id, a->id, sizeof id);
	rc = state_seen_get(p->st, id, r->feed, &e);
	if (rc == 0 && a->guid && state_alias_get(p->st, r->feed, a->guid, id) > 0)
		rc = state_seen_get(p->st, id, r->feed, &e);
	/* the first sighting in a document is the one looked at (a feed that lists one story
	 * twice, differently, must not revise it at every fetch) */
	if (idset_add(&r->ids, id))
		goto duplicate;
	if (rc < 0) {
		state_failed(p, rc);
		run_fail(r, rc, "state");
		p->totals.failed++;
		return 1;
	}
	if (rc == 0)
		return 0;
	touch_listed(p, id);
	if (!e.same_feed || e.status == SEEN_ALIAS)
		goto duplicate;
	if (!(h = article_content_hash(a)) || h == e.content_hash)
		goto duplicate;
	if (e.status != SEEN_WRITTEN) {
		/* the previous version is still on its way to new/ (waiting for room, or its
		 * reservation not yet removed): the next fetch looks again */
		r->res.deferred++;
		return 1;
	}
	if (!e.content_hash) {
		/* recorded before content hashes were: this one is the reference from now on */
		if ((rc = state_seen_update(p->st, id, SEEN_WRITTEN, h, e.revision)) < 0)
			state_failed(p, rc);
		goto duplicate;
	}
	memcpy(a->id, id, sizeof id);
	a->revision = e.revision + 1;
	*hash = h;
	return 0;

duplicate:
	count_duplicate(r);
	return 1;
}

/* Catch-up (a feed's first fetch with `catchup`): the article is recorded as written, with
 * what dedup keeps of it, but neither judged nor written: a reader starts from what comes next. */
static void catch_up(struct job *j)
{
	struct pipeline *p = j->p;
	struct feed_run *r = j->run;
	int rc = reserve(j);

	if (rc == 1) {
		count_duplicate(r);
	} else if (rc < 0 || (rc = state_seen_set_status(p->st, j->a.id, SEEN_WRITTEN)) < 0) {
		state_failed(p, rc);
		run_fail(r, rc, "state");
		p->totals.failed++;
	} else {
		touched_add(p, j->a.id);
		r->res.caught_up++;
		p->totals.caught_up++;
	}
	job_free(j);
}

void pipeline_run_article(struct feed_run *r, struct article *a, const struct feed_info *f)
{
	struct pipeline *p = r->p;
	struct job *j;
	uint64_t hash = 0;
	int checked = strcmp(r->unknown, a->id) == 0;

	r->unknown[0] = '\0';
	r->res.seen++;
	if (txn(p) < 0) {
		/* the spool or the state cannot be written: not now */
		run_fail(r, p->stalled ? p->stalled : -EIO, "state");
		p->totals.failed++;
		return;
	}
	if (r->revisions) {
		if (revision_check(r, a, &hash))
			return;
	} else if (!checked && is_known(p, a, r->feed)) {
		count_known(r, a);
		return;
	}
	j = calloc(1, sizeof *j);
	if (!j) {
		run_fail(r, -ENOMEM, "memory");
		return;
	}
	j->p = p;
	j->run = r;
	j->a = *a;
	j->hash = hash;
	article_init(a);
	j->stage = J_JUDGING;
	r->outstanding++;
	p->live_jobs++;
	if (r->catchup) {
		catch_up(j);
		return;
	}
	if (p->judge) {
		struct judged *jd = calloc(1, sizeof *jd);

		if (!jd) {
			run_fail(r, -ENOMEM, "memory");
			job_free(j);
			return;
		}
		jd->j = j;
		copy_feed_info(&jd->f, f);
		p->judge(p->judge_ud, &j->a, &jd->f, on_judged, jd);
	} else {
		after_judge(j, f, 1);
	}
}

/* ---- the commit at the end of each loop iteration ------------------------------------------ */

static void finish_runs(struct pipeline *p)
{
	struct feed_run *r;

	while ((r = p->finishing)) {
		p->finishing = r->next;
		r->finished = 1;
		p->live_runs--;
		/* the boilerplate this run learned joins the open batch (or waits for the next run) */
		if (txn(p) == 0 && dedup_run_fini(&r->dedup, p->st, (int64_t)time(NULL)) < 0)
			log_warnx("%s: cannot save the boilerplate learned: %s", r->feed,
				  state_error(p->st));
		dedup_run_fini(&r->dedup, NULL, 0);
		if (r->done)
			r->done(r->ud, &r->res);
		idset_fini(&r->ids);
		free(r->feed);
		free(r);
	}
}

static int commit(struct pipeline *p)
{
	struct job *j, *list;
	int rc = 0;

	if (p->in_txn) {
		rc = state_commit(p->st);
		p->in_txn = 0;
		if (rc < 0) {
			log_err("state: commit failed: %s (the articles will be fetched again)",
				state_error(p->st));
			state_failed(p, rc);
			state_rollback(p->st);
		}
	}
	list = p->recorded;
	p->recorded = NULL;
	while ((j = list)) {
		list = j->next;
		if (rc < 0) {
			run_fail(j->run, rc, "state");
			p->totals.failed++;
			/* its reservation was committed before this batch (a revision's row is the
			 * previous version's, rolled back to it) */
			if (!j->a.revision)
				add_orphan(p, j->a.id);
			job_free(j);
			continue;
		}
		/* recorded for good: the run may finish; the files go to new/ when there is room */
		job_settle(j);
		j->run->res.fresh++;
		p->totals.fresh++;
		if (j->a.revision) {
			j->run->res.revisions++;
			p->totals.revisions++;
			log_debug("%s: %s revision %d", j->run->feed, j->a.id, j->a.revision);
		}
		if (pipeline_wait_publish(p, j->a.id) < 0)
			log_err("spool: cannot publish %s (published at the next start)", j->a.id);
		job_free(j);
	}
	pipeline_drain(p);
	finish_runs(p);
	return rc;
}

static void on_kick(uv_idle_t *h)
{
	struct pipeline *p = h->data;

	uv_idle_stop(&p->kick);
	if (p->in_txn || p->recorded || p->finishing)
		commit(p);
	if (p->live_jobs || p->live_runs || p->publishing) {
		p->was_busy = 1;
	} else if (p->was_busy) {
		p->was_busy = 0;
		if (p->idle_fn)
			p->idle_fn(p->idle_ud);
	}
}

void pipeline_on_idle(struct pipeline *p, void (*fn)(void *ud), void *ud)
{
	p->idle_fn = fn;
	p->idle_ud = ud;
}

int pipeline_txn(struct pipeline *p)
{
	return txn(p);
}

int pipeline_flush(struct pipeline *p)
{
	return commit(p);
}

static void run_maybe_finish(struct feed_run *r)
{
	if (!r->ended || r->outstanding || r->finished || r->next || r->p->finishing == r)
		return;
	r->next = r->p->finishing;
	r->p->finishing = r;
	kick(r->p);
}

struct feed_run *pipeline_run_begin(struct pipeline *p, const char *feed_name, feed_run_done_fn done,
				    void *ud)
{
	struct feed_run *r = calloc(1, sizeof *r);

	if (!r)
		return NULL;
	r->p = p;
	r->feed = strdup(feed_name);
	dedup_run_init(&r->dedup, feed_name);
	r->done = done;
	r->ud = ud;
	p->live_runs++;
	return r;
}

void pipeline_run_set_catchup(struct feed_run *r, int on)
{
	r->catchup = on;
}

void pipeline_run_set_revisions(struct feed_run *r, int on)
{
	r->revisions = on;
}

size_t pipeline_run_pending(const struct feed_run *r)
{
	return r->outstanding;
}

void pipeline_run_end(struct feed_run *r)
{
	r->ended = 1;
	run_maybe_finish(r);
}

/* ---- life ------------------------------------------------------------------------------------- */

struct pipeline *pipeline_new(uv_loop_t *loop, struct state *st, struct spool *sp,
			      const struct config *c)
{
	struct pipeline *p = calloc(1, sizeof *p);

	if (!p)
		return NULL;
	p->loop = loop;
	p->st = st;
	if (!(p->sink = sink_spool_new(sp))) {
		free(p);
		return NULL;
	}
	p->c = c;
	p->waiting_tail = &p->waiting;
	uv_idle_init(loop, &p->kick);
	uv_timer_init(loop, &p->retry);
	p->kick.data = p->retry.data = p;
	p->handles = 2;
	p->touched_since = (int64_t)time(NULL);
	return p;
}

void pipeline_set_sink(struct pipeline *p, struct sink *s)
{
	sink_free(p->sink);
	p->sink = s;
}

void pipeline_set_config(struct pipeline *p, const struct config *c)
{
	p->c = c;
}

void pipeline_set_judge(struct pipeline *p, pipeline_judge_fn fn, void *ud)
{
	p->judge = fn;
	p->judge_ud = ud;
}

int pipeline_idle(const struct pipeline *p)
{
	return p->live_jobs == 0 && p->live_runs == 0 && p->publishing == 0;
}

int pipeline_stalled(const struct pipeline *p)
{
	return p->stalled;
}

size_t pipeline_waiting(const struct pipeline *p)
{
	return p->n_waiting;
}

void pipeline_on_resume(struct pipeline *p, void (*fn)(void *ud), void *ud)
{
	p->resume_fn = fn;
	p->resume_ud = ud;
}

/* Frees p once its handles are closed and nothing it started can call back. */
static void maybe_free(struct pipeline *p)
{
	if (p->handles || p->publishing || p->probe)
		return;
	free(p->orphans);
	sink_free(p->sink);
	free(p);
}

static void on_handle_closed(uv_handle_t *h)
{
	struct pipeline *p = h->data;

	p->handles--;
	maybe_free(p);
}

void pipeline_free(struct pipeline *p)
{
	struct pub *n;

	if (!p)
		return;
	commit(p);
	p->closing = 1;
	if (p->sink->ops->shutdown) /* publishes in flight end now: the spool closes next */
		p->sink->ops->shutdown(p->sink);
	if (p->n_waiting)
		log_info(
		    "spool: %zu article%s wait%s in tmp/ for room in new/ (max_pending %d); the "
		    "next start publishes them",
		    p->n_waiting, p->n_waiting == 1 ? "" : "s", p->n_waiting == 1 ? "s" : "",
		    p->c->max_pending);
	if (p->n_orphans)
		log_info("state: %zu reservation%s left for the next start to remove", p->n_orphans,
			 p->n_orphans == 1 ? "" : "s");
	while ((n = p->waiting)) {
		p->waiting = n->next;
		free(n);
	}
	uv_idle_stop(&p->kick);
	uv_timer_stop(&p->retry);
	idset_fini(&p->touched);
	uv_close((uv_handle_t *)&p->kick, on_handle_closed);
	uv_close((uv_handle_t *)&p->retry, on_handle_closed);
}

void pipeline_totals(const struct pipeline *p, struct pipeline_totals *t)
{
	*t = p->totals;
}
