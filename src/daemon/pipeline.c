/* SPDX-License-Identifier: MIT */
/* The one place where the stages meet: each article is a job that moves through exact dedup,
 * the filter chain, near-duplicate dedup, a reservation in the state, the spool's tmp/, the
 * state's record, and the spool's new/ (a job's steps: pipeline_article.c). The state is the
 * store (store.h), the spool the sink (sink.h). Store writes join one batch, whose commit is
 * asked for once per loop iteration (a uv_idle handle, active only while work is due) and
 * answers through a callback, now or later: only then are its articles published and its runs
 * finished, so several batches may be in flight.
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
#include "store_pg.h"

#define RETRY_MS 2000 /* how often a stalled pipeline probes the spool and the state */

static void on_kick(uv_idle_t *h);
static void on_retry(uv_timer_t *t);

/* Asks for a commit at the start of the next loop iteration. */
void pipeline_kick(struct pipeline *p)
{
	if (!p->closing && !uv_is_active((uv_handle_t *)&p->kick))
		uv_idle_start(&p->kick, on_kick);
}

/* Starts refusing articles because of what failed (said once per stall). */
/* The state as logs name it: a database URI may carry a password. */
static const char *state_shown(const char *state)
{
	return store_pg_is_uri(state) ? "postgresql://..." : state;
}

void pipeline_stall(struct pipeline *p, int err, const char *fmt, ...)
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

/* A store call failed with rc: storage trouble stalls the pipeline. */
void pipeline_store_failed(struct pipeline *p, int rc)
{
	if (rc == -EBUSY || rc == -ENOSPC || rc == -EROFS || rc == -EIO || rc == -EACCES)
		pipeline_stall(p, rc, "state %s: %s", state_shown(p->c->state),
			       p->store->ops->error(p->store));
}

/* Opens the batch if needed: 0, or negative when the state cannot be written now (then
 * nothing may be written to it). */
int pipeline_batch(struct pipeline *p)
{
	int rc;

	if (p->stalled)
		return p->stalled;
	if (!p->in_txn) {
		if ((rc = p->store->ops->begin(p->store)) < 0) {
			pipeline_store_failed(p, rc);
			return rc;
		}
		p->in_txn = 1;
	}
	pipeline_kick(p);
	return 0;
}

void pipeline_run_fail(struct feed_run *r, int err, const char *what)
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

void pipeline_add_orphan(struct pipeline *p, const char *id)
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
void pipeline_unreserve(struct pipeline *p, const char *id)
{
	int rc;

	if (pipeline_batch(p) == 0) {
		if ((rc = p->store->ops->seen_delete(p->store, id)) == 0 || rc == -ENOENT)
			return;
		pipeline_store_failed(p, rc);
	}
	pipeline_add_orphan(p, id);
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
			pipeline_stall(p, status, "%s (publishing %s)", why, n->id);
		else
			pipeline_stall(p, status, "spool %s: moving %s from tmp/ into new/: %s",
				       sink_name(p->sink), n->id, strerror(-status));
		/* back to the front of the queue: published once the spool can be written */
		n->next = p->waiting;
		if (!p->waiting)
			p->waiting_tail = &n->next;
		p->waiting = n;
		p->n_waiting++;
	} else {
		if (pipeline_batch(p) == 0 &&
		    (rc = p->store->ops->seen_set_status(p->store, n->id, SEEN_WRITTEN)) < 0)
			pipeline_store_failed(p, rc); /* stays SPOOLING: the next start sees it in new/ */
		free(n);
	}
	pipeline_drain(p);
	pipeline_kick(p); /* the pipeline may have become idle */
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
	if (!p->in_txn && (rc = p->store->ops->probe(p->store)) < 0)
		return;
	log_info("spool %s and state %s can be written again: accepting articles (%llu refused "
		 "meanwhile; their feeds are fetched again)",
		 sink_name(p->sink), state_shown(p->c->state), (unsigned long long)p->refused);
	p->stalled = 0;
	for (i = 0; i < p->n_orphans; i++) {
		if (pipeline_batch(p) < 0 ||
		    ((rc = p->store->ops->seen_delete(p->store, p->orphans[i])) < 0 &&
		     rc != -ENOENT)) {
			pipeline_store_failed(p, rc);
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

/* ---- the commit at the end of each loop iteration ------------------------------------------ */

static void finish_runs(struct pipeline *p, struct feed_run *list)
{
	struct feed_run *r;

	while ((r = list)) {
		list = r->next;
		r->finished = 1;
		p->live_runs--;
		/* the boilerplate this run learned joins the open batch (or waits for the next run) */
		if (pipeline_batch(p) == 0 &&
		    dedup_run_fini(&r->dedup, p->store, (int64_t)time(NULL)) < 0)
			log_warnx("%s: cannot save the boilerplate learned: %s", r->feed,
				  p->store->ops->error(p->store));
		dedup_run_fini(&r->dedup, NULL, 0);
		if (r->done)
			r->done(r->ud, &r->res);
		idset_fini(&r->ids);
		free(r->feed);
		free(r);
	}
}

/* A job recorded in a batch whose commit failed: its run fails (the feed is fetched again). */
static void record_lost(struct job *j, int rc)
{
	struct pipeline *p = j->p;

	pipeline_run_fail(j->run, rc, "state");
	p->totals.failed++;
	/* its reservation was committed before this batch, or is rolled back with it (a
	 * revision's row is the previous version's, rolled back to it) */
	if (!j->a.revision)
		pipeline_add_orphan(p, j->a.id);
	pipeline_job_free(j);
}

/* Recorded for good: the run may finish; the files go to new/ when there is room. */
static void record_kept(struct job *j)
{
	struct pipeline *p = j->p;

	pipeline_job_settle(j);
	j->run->res.fresh++;
	p->totals.fresh++;
	if (j->a.revision) {
		j->run->res.revisions++;
		p->totals.revisions++;
		log_debug("%s: %s revision %d", j->run->feed, j->a.id, j->a.revision);
	}
	/* closing: recorded as SPOOLING, the next start publishes it */
	if (!p->closing && pipeline_wait_publish(p, j->a.id) < 0)
		log_err("spool: cannot publish %s (published at the next start)", j->a.id);
	pipeline_job_free(j);
}

/* The batch's commit answered: its articles are published (or fail), its runs finish, and so
 * do the runs that its records let finish. */
static void batch_settle(struct batch *b)
{
	struct pipeline *p = b->p;
	struct feed_run *now;
	struct job *j;

	p->committing--; /* answered: the runs it lets finish find the pipeline idle */
	if (b->rc < 0) {
		log_err("state: commit failed: %s (the articles will be fetched again)",
			p->store->ops->error(p->store));
		pipeline_store_failed(p, b->rc);
	}
	while ((j = b->recorded)) {
		b->recorded = j->next;
		if (b->rc < 0)
			record_lost(j, b->rc);
		else
			record_kept(j);
	}
	pipeline_drain(p);
	finish_runs(p, b->finishing);
	now = p->finishing;
	p->finishing = NULL;
	finish_runs(p, now);
	free(b);
	if (p->closing)
		maybe_free(p);
	else
		pipeline_kick(p); /* the pipeline may have become idle */
}

static void on_committed(void *ud, int status)
{
	struct batch *b = ud;

	b->rc = status;
	b->answered = 1;
	if (!b->in_call)
		batch_settle(b);
}

/* Asks for the open batch's commit; returns its status when it answered within the call, 0
 * when it answers later (or there was nothing to commit). */
static int commit(struct pipeline *p)
{
	struct batch *b;
	int rc;

	if (!p->in_txn && !p->recorded && !p->finishing)
		return 0;
	if (!(b = calloc(1, sizeof *b))) {
		pipeline_kick(p); /* the next iteration tries again */
		return -ENOMEM;
	}
	b->p = p;
	b->recorded = p->recorded;
	b->finishing = p->finishing;
	p->recorded = NULL;
	p->finishing = NULL;
	p->committing++;
	if (!p->in_txn) {
		batch_settle(b);
		return 0;
	}
	p->in_txn = 0;
	b->in_call = 1;
	p->store->ops->commit(p->store, on_committed, b);
	b->in_call = 0;
	if (!b->answered)
		return 0;
	rc = b->rc;
	batch_settle(b);
	return rc;
}

static void on_kick(uv_idle_t *h)
{
	struct pipeline *p = h->data;

	uv_idle_stop(&p->kick);
	if (p->in_txn || p->recorded || p->finishing)
		commit(p);
	if (p->live_jobs || p->live_runs || p->publishing || p->committing) {
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
	return pipeline_batch(p);
}

int pipeline_flush(struct pipeline *p)
{
	return commit(p);
}

void pipeline_run_maybe_finish(struct feed_run *r)
{
	if (!r->ended || r->outstanding || r->finished || r->next || r->p->finishing == r)
		return;
	r->next = r->p->finishing;
	r->p->finishing = r;
	pipeline_kick(r->p);
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
	pipeline_run_maybe_finish(r);
}

/* ---- life ------------------------------------------------------------------------------------- */

struct pipeline *pipeline_new(uv_loop_t *loop, struct store *store, struct spool *sp,
			      const struct config *c)
{
	struct pipeline *p = calloc(1, sizeof *p);

	if (!p)
		return NULL;
	p->loop = loop;
	p->store = store;
	if (!(p->sink = sink_spool_new(sp))) {
		free(p);
		return NULL;
	}
	p->c = c;
	p->waiting_tail = &p->waiting;
	p->decide_tail = &p->decide_head;
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
	return p->live_jobs == 0 && p->live_runs == 0 && p->publishing == 0 && p->committing == 0;
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
	if (p->handles || p->publishing || p->probe || p->committing)
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
