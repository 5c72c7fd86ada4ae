/* SPDX-License-Identifier: MIT */
/* The pipeline's insides, shared by pipeline.c (batches, storage trouble, publishing, runs),
 * pipeline_article.c (one article's steps over the store) and pipeline_recover.c (start-up
 * recovery). Nothing else includes this. */
#ifndef FEEDSPOOL_PIPELINE_IMPL_H
#define FEEDSPOOL_PIPELINE_IMPL_H

#include <stdint.h>
#include <uv.h>

#include "dedup_decide.h"
#include "idset.h"
#include "pipeline.h"
#include "sink.h"
#include "store.h"

enum job_stage { J_JUDGING, J_STAGING, J_RECORDED };

struct job {
	struct pipeline *p;
	struct feed_run *run;
	struct article a; /* a.revision > 0: a revision of the article recorded under a.id */
	uint64_t simhash;
	uint64_t hash; /* the content hash (article.h), recorded with the status once staged */
	enum job_stage stage;
	int settled; /* counted out of its run */
	/* the document's feed info: borrowed during pipeline_run_article, then own_f (a copy made
	 * only when the job outlives that call before it is staged) */
	const struct feed_info *f;
	struct feed_info own_f;
	int has_own_f, need_f;
	int in_call, dead; /* freed during pipeline_run_article: at its end */
	uint64_t known_seq; /* p->reserved when it was last found unknown */
	struct dedup_verdict v;
	struct job *next; /* in the reservation queue, then in a batch's recorded list */
};

struct feed_run {
	struct pipeline *p;
	char *feed;
	feed_run_done_fn done;
	void *ud;
	size_t outstanding;
	int ended, finished;
	char unknown[17]; /* the id pipeline_run_known just found unknown ("" none) */
	uint64_t unknown_seq; /* p->reserved then */
	int revisions;	  /* the feed has revisions on */
	int catchup;	  /* record the articles as seen, write none (pipeline_run_set_catchup) */
	struct idset ids; /* with revisions: the ids this document brought so far */
	struct dedup_run dedup; /* the feed's boilerplate (bounded) */
	struct feed_run_result res;
	struct feed_run *next; /* runs waiting to finish after a commit */
};

/* An article recorded for good, its files in tmp/: published into new/ when there is room. */
struct pub {
	struct pub *next;
	struct pipeline *p;
	char id[17];
};

/* A probe of the spool, on the thread pool. */
struct probe {
	uv_work_t req;
	struct pipeline *p;
	int (*fn)(const char *arg); /* the sink's probe */
	char *dir;		    /* its argument */
	int status;
};

/* A batch whose commit was asked for: what waits for its answer. */
struct batch {
	struct pipeline *p;
	struct job *recorded; /* published once the batch is durable */
	struct feed_run *finishing;
	int in_call, answered, rc;
};

struct pipeline {
	uv_loop_t *loop;
	struct store *store; /* the state, through the store interface */
	struct sink *sink;   /* the spool, through the sink interface */
	const struct config *c;
	pipeline_judge_fn judge;
	void *judge_ud;
	uv_idle_t kick; /* active while a commit or an idle check is due: the loop never blocks then */
	int in_txn;
	struct job *recorded; /* recorded in the open batch: published after its commit */
	struct feed_run *finishing;
	size_t committing; /* batches whose commit has not answered yet */
	size_t live_runs, live_jobs;
	/* reservations, one at a time (pipeline_article.c): a job waits here for its near-duplicate
	 * check and its reservation, so that two copies never both pass on answers in flight */
	struct job *decide_head, **decide_tail, *deciding;
	int in_decide;
	uint64_t reserved; /* seen-set additions so far: a job found unknown before the last one
			    * asks again */
	struct pipeline_totals totals;
	/* ids recorded or touched by this process (open addressing on the 64-bit id): a copy of a
	 * story in another feed is not touched again; cleared every day */
	struct idset touched;
	int64_t touched_since;
	void (*idle_fn)(void *ud);
	void *idle_ud;
	int was_busy;
	/* storage trouble */
	int stalled;	     /* the negative errno that stalled the pipeline; 0: accepting */
	char stall_msg[300]; /* what failed: "spool DIR/tmp/ID.json: No space left on device" */
	uint64_t refused;    /* articles refused during this stall */
	uv_timer_t retry;    /* probes while stalled; drains the waiting queue */
	struct probe *probe; /* in flight */
	void (*resume_fn)(void *ud);
	void *resume_ud;
	char (*orphans)[17]; /* reservations to remove once the state can be written */
	size_t n_orphans, orphans_cap;
	/* back-pressure */
	struct pub *waiting, **waiting_tail;
	size_t n_waiting, publishing;
	int held; /* articles wait for room in new/ (logged once) */
	int closing, handles;
};

/* Publishes waiting articles while new/ has room (max_pending) and the spool works. */
void pipeline_drain(struct pipeline *p);
/* Asks for a commit at the start of the next loop iteration. */
void pipeline_kick(struct pipeline *p);
/* Opens the batch if needed: 0, or negative when the state cannot be written now. */
int pipeline_batch(struct pipeline *p);
/* A store call failed with rc: storage trouble stalls the pipeline. */
void pipeline_store_failed(struct pipeline *p, int rc);
/* Starts refusing articles because of what failed (said once per stall). */
__attribute__((format(printf, 3, 4))) void pipeline_stall(struct pipeline *p, int err,
							  const char *fmt, ...);
void pipeline_run_fail(struct feed_run *r, int err, const char *what);
/* Removes the reservation of an article that will not be written (later when the state cannot
 * be written now). */
void pipeline_unreserve(struct pipeline *p, const char *id);
void pipeline_add_orphan(struct pipeline *p, const char *id);
/* Whether the run may finish (pipeline.c), a job counted out of its run, freed. */
void pipeline_run_maybe_finish(struct feed_run *r);
void pipeline_job_settle(struct job *j);
void pipeline_job_free(struct job *j);
/* 1 when id was touched already today, 0 when it is added now. */
int pipeline_touched_add(struct pipeline *p, const char *id);
/* Queues an article recorded for good, its files in tmp/, for new/: 0 or -ENOMEM. */
int pipeline_wait_publish(struct pipeline *p, const char *id);

#endif
