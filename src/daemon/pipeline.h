/* SPDX-License-Identifier: MIT */
/* The one place where the stages meet: article -> exact dedup -> filter chain -> near-duplicate
 * dedup -> spool (staged) -> state (recorded) -> spool (published) -> state (written).
 *
 * Revisions (a feed with `revisions = yes`): an article the feed itself brought before, recorded
 * as written, whose content hash (the text rendering) changed, goes through the filter chain
 * again, skips near-duplicate dedup, and takes the same steps under its recorded id, numbered
 * revision n + 1: staged in tmp/, then recorded (status, new hash and revision at once), then
 * published over the same file names. Until it is recorded the state keeps the old hash, so a
 * crash before that writes the revision again at the next fetch, once.
 *
 * Crash consistency comes from the order: an article is recorded in the state database only
 * once its files are durable in tmp/, published to new/ only after it is recorded, and a feed's
 * validators are saved only after every article of that fetch is recorded. A SIGKILL anywhere
 * therefore leaves either a recorded article (recovery publishes it from tmp/ or finds it in
 * new/ or cur/) or an unrecorded one that the next fetch, sent without new validators, brings
 * again.
 *
 * The state is the store (store.h), the spool the sink (sink.h), both reached only through their
 * interfaces and in continuation style: a store read may answer later, from the loop (a job then
 * waits with its article), and a batch counts only once its commit's callback says 0. So
 * "recorded" above means "in a batch whose commit answered 0": articles are published, and runs
 * finish (their feeds' validators join a later batch), only from that callback; a failed commit
 * fails the articles it carried (their runs fail, the feeds are fetched again without new
 * validators). Reservations are made one at a time (pipeline_article.c), so answers in flight
 * never let two copies of a story both pass. */
#ifndef FEEDSPOOL_PIPELINE_H
#define FEEDSPOOL_PIPELINE_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "article.h"
#include "config.h"
#include "spool.h"
#include "state.h"
#include "store.h"

struct pipeline;
struct feed_run;

/* The filter chain, seen through a function: it judges a and calls done(job, keep) exactly
 * once, now or later (from the loop). NULL when no filter is configured. */
typedef void (*pipeline_judge_done)(void *job, int keep);
typedef void (*pipeline_judge_fn)(void *ud, struct article *a, const struct feed_info *f,
				  pipeline_judge_done done, void *job);

struct feed_run_result {
	size_t seen;      /* articles in the document */
	size_t fresh;     /* written to the spool (revisions included) */
	size_t revisions; /* of which revisions of articles written before */
	size_t deferred;  /* changed while their previous version was still on its way to new/:
			   * looked at again at the next fetch (do not save the validators) */
	size_t duplicate; /* known id, (feed, guid) alias, or near-duplicate */
	size_t dropped;   /* by a filter */
	size_t failed;    /* could not be written or recorded: the feed must be fetched again */
	size_t caught_up; /* recorded as seen without being written (catch-up) */
	int error;        /* the first error (negative errno), 0 when none */
	int local;        /* the failure is the spool's or the state's (storage trouble), not the
			   * feed's: fetch it again once they can be written */
	char message[360];
};

typedef void (*feed_run_done_fn)(void *ud, const struct feed_run_result *r);

/* The state is reached only through store (store.h: reads and commits may answer later, from
 * the loop); it stays the caller's, and must outlive the pipeline's last callback. */
struct pipeline *pipeline_new(uv_loop_t *loop, struct store *store, struct spool *sp,
			      const struct config *c);
void pipeline_set_judge(struct pipeline *p, pipeline_judge_fn fn, void *ud);
/* Replaces the sink (the spool's by default; sink.h) before recovery; the pipeline owns it. */
struct sink;
void pipeline_set_sink(struct pipeline *p, struct sink *s);
/* The configuration changed (reload): format, near-duplicate settings, retention. */
void pipeline_set_config(struct pipeline *p, const struct config *c);
/* Frees the pipeline; every run must have finished (pipeline_idle). */
void pipeline_free(struct pipeline *p);
int pipeline_idle(const struct pipeline *p);
/* Called at the end of a loop iteration in which the pipeline became idle. */
void pipeline_on_idle(struct pipeline *p, void (*fn)(void *ud), void *ud);

/* Start-up recovery: publishes or settles articles recorded as being spooled and removes
 * unrecorded files from tmp/. Returns the number of articles settled, or a negative code. */
int pipeline_recover(struct pipeline *p);

/* One fetched document of one feed. */
struct feed_run *pipeline_run_begin(struct pipeline *p, const char *feed_name, feed_run_done_fn done,
				    void *ud);
/* Catch-up: every article new to the state is recorded as written (with what near-duplicate
 * dedup keeps) but neither judged nor written to the spool; counted in caught_up. Set before the
 * first article. */
void pipeline_run_set_catchup(struct feed_run *r, int on);
/* Whether the run's feed has revisions on (default off): set before the first article. */
void pipeline_run_set_revisions(struct feed_run *r, int on);
/* Before the article is made in full (its text): 1 when its id or (feed, guid) is already known
 * (never in a feed with revisions on, and never asked of a store that answers later), and then
 * it is counted as a duplicate and needs nothing more; 0 when pipeline_run_article must have it.
 * Optional: pipeline_run_article checks again what was not checked here. */
int pipeline_run_known(struct feed_run *r, const struct article *a);
/* Hands over one article (the pipeline takes its contents; a is left empty). */
void pipeline_run_article(struct feed_run *r, struct article *a, const struct feed_info *f);
/* The run's backlog: articles handed over and not yet recorded, dropped or failed. The caller
 * stops handing over articles while it is high (flow control: a run holds O(1) articles). */
size_t pipeline_run_pending(const struct feed_run *r);
/* No more articles: done() fires once every article has been written, recorded, dropped or
 * has failed. */
void pipeline_run_end(struct feed_run *r);

/* Opens (if needed) the store's batch, whose commit is asked for at the end of this loop
 * iteration, so that other store writes (a feed's validators) join it. 0, or negative when the
 * state cannot be written now (stalled): then write nothing. */
int pipeline_txn(struct pipeline *p);

/* Storage trouble: the negative errno that stops the pipeline from accepting articles (the
 * spool or the state cannot be written; logged once), 0 when it accepts them. While stalled
 * it probes both every 2 s, and calls the resume function once they can be written. */
int pipeline_stalled(const struct pipeline *p);
void pipeline_on_resume(struct pipeline *p, void (*fn)(void *ud), void *ud);
/* Back-pressure: articles recorded for good that wait in tmp/ for room in new/ (which never
 * holds more than max_pending articles); they are published as readers take files. */
size_t pipeline_waiting(const struct pipeline *p);
/* Asks for the open batch's commit now (shutdown, recovery): its status when the store answered
 * within the call, else 0 (pipeline_idle is false until it answers). */
int pipeline_flush(struct pipeline *p);

/* Totals since start, for STATUS and `once`'s summary. */
struct pipeline_totals {
	uint64_t fresh, duplicate, dropped, failed;
	uint64_t revisions; /* counted in fresh too */
	uint64_t caught_up;
};
void pipeline_totals(const struct pipeline *p, struct pipeline_totals *t);

#endif
