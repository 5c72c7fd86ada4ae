/* The one place where the stages meet: each article is a job that moves through exact dedup,
 * the filter chain, near-duplicate dedup, a reservation in the state, the spool's tmp/, the
 * state's record, and the spool's new/. State writes are batched in one transaction that is
 * committed once per loop iteration (a uv_idle handle, active only while work is due). */
#include "autoconfig.h"

#include "pipeline.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dedup.h"
#include "log.h"

enum job_stage { J_JUDGING, J_STAGING, J_RECORDED, J_PUBLISHING };

struct job {
	struct pipeline *p;
	struct feed_run *run;
	struct article a;
	uint64_t simhash;
	enum job_stage stage;
	int settled; /* counted out of its run */
	struct job *next;
};

struct feed_run {
	struct pipeline *p;
	char *feed;
	feed_run_done_fn done;
	void *ud;
	size_t outstanding;
	int ended, finished;
	struct feed_run_result res;
	struct feed_run *next; /* runs waiting to finish after a commit */
};

struct pipeline {
	uv_loop_t *loop;
	struct state *st;
	struct spool *sp;
	const struct config *c;
	pipeline_judge_fn judge;
	void *judge_ud;
	uv_idle_t kick; /* active while a commit or an idle check is due: the loop never blocks then */
	int in_txn;
	struct job *recorded; /* recorded in the open transaction: published after the commit */
	struct feed_run *finishing;
	size_t live_runs, live_jobs;
	struct pipeline_totals totals;
	/* ids recorded or touched by this process (open addressing on the 64-bit id): a copy of a
	 * story in another feed is not touched again; cleared every day */
	uint64_t *touched;
	size_t touched_cap, touched_n;
	int64_t touched_since;
	void (*idle_fn)(void *ud);
	void *idle_ud;
	int was_busy;
};

static void run_maybe_finish(struct feed_run *r);
static void on_kick(uv_idle_t *h);

/* Asks for a commit at the start of the next loop iteration. */
static void kick(struct pipeline *p)
{
	if (!uv_is_active((uv_handle_t *)&p->kick))
		uv_idle_start(&p->kick, on_kick);
}

static void txn(struct pipeline *p)
{
	if (!p->in_txn && state_begin(p->st) == 0)
		p->in_txn = 1;
	kick(p);
}

static void run_fail(struct feed_run *r, int err, const char *what)
{
	r->res.failed++;
	if (!r->res.error) {
		r->res.error = err;
		snprintf(r->res.message, sizeof r->res.message, "%s: %s", what, strerror(-err));
	}
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

static void on_published(void *ud, int status)
{
	struct job *j = ud;
	struct pipeline *p = j->p;

	if (status < 0) {
		/* stays SPOOLING: the next start publishes it from tmp/ */
		log_err("spool: publishing %s failed: %s (kept in tmp/, published at the next start)",
			j->a.id, strerror(-status));
	} else {
		txn(p);
		state_seen_set_status(p->st, j->a.id, SEEN_WRITTEN);
	}
	job_free(j);
}

/* ---- staging ---------------------------------------------------------------------------------- */

static void on_staged(void *ud, int status)
{
	struct job *j = ud;
	struct pipeline *p = j->p;

	if (status < 0) {
		run_fail(j->run, status, "spool");
		p->totals.failed++;
		txn(p);
		state_seen_delete(p->st, j->a.id);
		job_free(j);
		return;
	}
	txn(p);
	if (state_seen_set_status(p->st, j->a.id, SEEN_SPOOLING) < 0) {
		run_fail(j->run, -EIO, "state");
		p->totals.failed++;
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
	char *feed = fj ? json_dumps(fj, JSON_COMPACT) : NULL;
	int rc;

	json_decref(fj);
	rc = article_write_json(&j->a, feed, &json);
	free(feed);
	if (rc == 0 && buf_putc(&json, '\n') < 0)
		rc = -ENOMEM;
	if (rc == 0 && p->c->format == SPOOL_JSON_TEXT)
		rc = article_render_text(&j->a, &txt);
	if (rc == 0) {
		j->stage = J_STAGING;
		rc = spool_stage(p->sp, j->a.id, json.data, json.len,
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
	uint64_t v = strtoull(id, NULL, 16) | 1; /* 0 marks an empty slot */
	size_t i, mask;

	if ((int64_t)time(NULL) - p->touched_since > 86400) {
		p->touched_n = 0;
		if (p->touched)
			memset(p->touched, 0, p->touched_cap * sizeof *p->touched);
		p->touched_since = (int64_t)time(NULL);
	}
	if ((p->touched_n + 1) * 2 > p->touched_cap) {
		size_t cap = p->touched_cap ? p->touched_cap * 2 : 4096, j;
		uint64_t *t = calloc(cap, sizeof *t);

		if (!t)
			return 0;
		for (j = 0; j < p->touched_cap; j++) {
			if (!p->touched[j])
				continue;
			for (i = p->touched[j] & (cap - 1); t[i]; i = (i + 1) & (cap - 1))
				;
			t[i] = p->touched[j];
		}
		free(p->touched);
		p->touched = t;
		p->touched_cap = cap;
	}
	mask = p->touched_cap - 1;
	for (i = v & mask; p->touched[i]; i = (i + 1) & mask)
		if (p->touched[i] == v)
			return 1;
	p->touched[i] = v;
	p->touched_n++;
	return 0;
}

static int is_known(struct pipeline *p, const struct article *a, const char *feed)
{
	char alias[17];

	if (state_seen_has(p->st, a->id) > 0)
		return 1;
	return a->guid && state_alias_get(p->st, feed, a->guid, alias) > 0;
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
	char near[17];
	int rc;

	if (!keep) {
		r->res.dropped++;
		p->totals.dropped++;
		job_free(j);
		return;
	}
	txn(p);
	/* another copy may have been accepted while this one was judged */
	if (is_known(p, &j->a, r->feed)) {
		r->res.duplicate++;
		p->totals.duplicate++;
		job_free(j);
		return;
	}
	if (p->c->near_duplicates && j->a.body) {
		int64_t since = (int64_t)time(NULL) - (int64_t)p->c->retention_days * 86400;

		j->simhash = dedup_simhash(j->a.body, strlen(j->a.body));
		if (j->simhash &&
		    state_near_find(p->st, j->simhash, DEDUP_MAX_DISTANCE, since, near) > 0) {
			/* the first copy wins; this one is remembered as its alias */
			state_seen_add(p->st, j->a.id, r->feed, j->a.guid, j->simhash, SEEN_ALIAS, near,
				       (int64_t)time(NULL));
			log_debug("%s: %s is a near-duplicate of %s", r->feed, j->a.id, near);
			r->res.duplicate++;
			p->totals.duplicate++;
			job_free(j);
			return;
		}
	}
	rc = state_seen_add(p->st, j->a.id, r->feed, j->a.guid, j->simhash, SEEN_RESERVED, NULL,
			    (int64_t)time(NULL));
	touched_add(p, j->a.id); /* just recorded with last_seen = now */
	if (rc < 0) {
		run_fail(r, rc, "state");
		p->totals.failed++;
		job_free(j);
		return;
	}
	rc = stage(j, f);
	if (rc < 0) {
		run_fail(r, rc, "spool");
		p->totals.failed++;
		state_seen_delete(p->st, j->a.id);
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

void pipeline_run_article(struct feed_run *r, struct article *a, const struct feed_info *f)
{
	struct pipeline *p = r->p;
	struct job *j;

	r->res.seen++;
	txn(p);
	if (is_known(p, a, r->feed)) {
		/* still listed: retention counts from when it leaves the feed (once a day is enough) */
		if (!touched_add(p, a->id))
			state_seen_touch(p->st, a->id, (int64_t)time(NULL));
		r->res.duplicate++;
		p->totals.duplicate++;
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
	article_init(a);
	j->stage = J_JUDGING;
	r->outstanding++;
	p->live_jobs++;
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
		if (r->done)
			r->done(r->ud, &r->res);
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
			job_free(j);
			continue;
		}
		/* recorded for good: the run may finish; the files go to new/ */
		job_settle(j);
		j->run->res.fresh++;
		p->totals.fresh++;
		j->stage = J_PUBLISHING;
		if (spool_publish(p->sp, j->a.id, on_published, j) < 0) {
			log_err("spool: cannot publish %s (published at the next start)", j->a.id);
			job_free(j);
		}
	}
	finish_runs(p);
	return rc;
}

static void on_kick(uv_idle_t *h)
{
	struct pipeline *p = h->data;

	uv_idle_stop(&p->kick);
	if (p->in_txn || p->recorded || p->finishing)
		commit(p);
	if (p->live_jobs || p->live_runs) {
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

void pipeline_txn(struct pipeline *p)
{
	txn(p);
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
	r->done = done;
	r->ud = ud;
	p->live_runs++;
	return r;
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
	p->sp = sp;
	p->c = c;
	uv_idle_init(loop, &p->kick);
	p->kick.data = p;
	p->touched_since = (int64_t)time(NULL);
	return p;
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
	return p->live_jobs == 0 && p->live_runs == 0;
}

static void on_kick_closed(uv_handle_t *h)
{
	free(h->data);
}

void pipeline_free(struct pipeline *p)
{
	if (!p)
		return;
	commit(p);
	uv_idle_stop(&p->kick);
	free(p->touched);
	uv_close((uv_handle_t *)&p->kick, on_kick_closed);
}

void pipeline_totals(const struct pipeline *p, struct pipeline_totals *t)
{
	*t = p->totals;
}

/* ---- recovery ------------------------------------------------------------------------------- */

struct recovery {
	struct pipeline *p;
	int settled;
};

static int recover_reserved(void *ud, const char *id)
{
	struct recovery *rv = ud;

	/* accepted but never durable: forget it; the feed's validators were not saved, so the
	 * next fetch brings it again */
	state_seen_delete(rv->p->st, id);
	rv->settled++;
	return 0;
}

static int recover_spooling(void *ud, const char *id)
{
	struct recovery *rv = ud;
	struct pipeline *p = rv->p;

	switch (spool_locate(p->sp, id)) {
	case SPOOL_IN_TMP:
		if (spool_publish_now(p->sp, id) < 0) {
			log_err("recovery: cannot publish %s from tmp/", id);
			return 0;
		}
		break;
	case SPOOL_IN_NEW:
	case SPOOL_IN_CUR:
	case SPOOL_NOWHERE: /* published, then taken by a reader */
		break;
	}
	state_seen_set_status(p->st, id, SEEN_WRITTEN);
	rv->settled++;
	return 0;
}

static int nothing_claimed(void *ud, const char *id)
{
	return 0;
}

int pipeline_recover(struct pipeline *p)
{
	struct recovery rv = {p, 0};
	int rc;

	if ((rc = state_begin(p->st)) < 0)
		return rc;
	state_seen_each(p->st, SEEN_RESERVED, recover_reserved, &rv);
	state_seen_each(p->st, SEEN_SPOOLING, recover_spooling, &rv);
	if ((rc = state_commit(p->st)) < 0)
		return rc;
	/* what is left in tmp/ was never recorded */
	spool_clean_tmp(p->sp, nothing_claimed, NULL);
	if (rv.settled)
		log_info("recovery: %d article%s settled after an unclean stop", rv.settled,
			 rv.settled == 1 ? "" : "s");
	return rv.settled;
}
