/* SPDX-License-Identifier: MIT */
/* Start-up recovery: settles what an unclean stop left between the state and the spool
 * (see pipeline.h for the order of the steps that makes this possible). */
#include "autoconfig.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "pipeline_impl.h"

/* tmp/ files of articles queued for publishing are kept by the clean-up (ids sorted). They
 * are collected as they are queued, not read from the queue afterwards: the batch's commit
 * may start publishing them before the clean-up runs. */
struct claims {
	char (*ids)[17];
	size_t n, cap;
	int failed; /* out of memory: nothing is cleaned */
};

struct recovery {
	struct pipeline *p;
	int settled;
	size_t waiting;
	struct claims cl;
};

/* Queues a recorded article for publishing and claims its tmp/ file. */
static int queue(struct recovery *rv, const char *id)
{
	struct claims *cl = &rv->cl;
	int rc;

	if (cl->n == cl->cap) {
		size_t cap = cl->cap ? 2 * cl->cap : 64;
		void *ids = realloc(cl->ids, cap * sizeof *cl->ids);

		if (!ids) {
			cl->failed = 1;
			return -ENOMEM;
		}
		cl->ids = ids;
		cl->cap = cap;
	}
	if ((rc = pipeline_wait_publish(rv->p, id)) < 0) {
		cl->failed = 1;
		return rc;
	}
	memcpy(cl->ids[cl->n++], id, 17);
	return 0;
}

static int recover_reserved(void *ud, const char *id)
{
	struct recovery *rv = ud;

	/* accepted but never durable: forget it; the feed's validators were not saved, so the
	 * next fetch brings it again */
	rv->p->store->ops->seen_delete(rv->p->store, id);
	rv->settled++;
	return 0;
}

/* Whether tmp/<id>.json is the version recorded (revision n): 1 when it is whole (its one line
 * ends with a newline) and numbered n ("revision" absent: 0); 0 when it is missing or anything
 * else: an unrecorded stage of a later revision, cut by the crash or not, so the recorded
 * version was published already; -1 when it cannot be read (then it is published, as before
 * revisions). */
static int staged_is(struct pipeline *p, const char *id, int revision)
{
	struct buf b = BUF_INIT;
	json_error_t je;
	json_t *o = NULL, *v;
	int rc;

	rc = p->sink->ops->read_staged(p->sink, id, &b);
	if (rc < 0) {
		rc = rc == -ENOENT ? 0 : -1;
	} else if (!b.len || b.data[b.len - 1] != '\n') {
		rc = 0;
	} else if (!(o = json_loadb(b.data, b.len, 0, &je))) {
		rc = json_error_code(&je) == json_error_out_of_memory ? -1 : 0;
	} else {
		v = json_object_get(o, "revision");
		rc = json_is_object(o) && (v ? json_integer_value(v) : 0) == revision;
	}
	if (rc < 0)
		log_warnx("recovery: cannot read %s/tmp/%s.json to check its revision (%d): "
			  "publishing it",
			  sink_name(p->sink), id, revision);
	json_decref(o);
	buf_fini(&b);
	return rc;
}

static int recover_spooling(void *ud, const char *id)
{
	struct recovery *rv = ud;
	struct pipeline *p = rv->p;
	int revision = p->store->ops->seen_revision(p->store, id);
	enum sink_found where;
	int rc;

	/* A first version is published once it is in new/ or cur/. A revision's JSON there may
	 * be the older version's: tmp/ alone says whether it still waits to replace it. */
	if (revision < 0)
		revision = 0;
	where = p->sink->ops->find(p->sink, id, revision);
	if (where == SINK_STAGED && staged_is(p, id, revision) == 0)
		where = SINK_NOTHING;
	switch (where) {
	case SINK_STAGED:
		if (sink_pending(p->sink) >= (size_t)p->c->max_pending) {
			/* back-pressure holds at start-up too: it waits in tmp/ */
			if (queue(rv, id) == 0)
				rv->waiting++;
			return 0;
		}
		if ((rc = p->sink->ops->publish_now(p->sink, id)) < 0) {
			/* kept in tmp/ and published from the loop (-EAGAIN: a sink that publishes
			 * only there, a broker) */
			if (rc != -EAGAIN)
				log_err("recovery: cannot publish %s from tmp/", id);
			queue(rv, id);
			return 0;
		}
		break;
	case SINK_PUBLISHED:
	case SINK_NOTHING: /* published (then taken by a reader, for a first version) */
		break;
	}
	p->store->ops->seen_set_status(p->store, id, SEEN_WRITTEN);
	rv->settled++;
	return 0;
}

static int cmp_id(const void *a, const void *b)
{
	return memcmp(a, b, 17);
}

static int waiting_claimed(void *ud, const char *id)
{
	const struct claims *cl = ud;

	/* 2: kept even beside a copy in new/ or cur/, which can only be an older revision (the
	 * recovery just found each of them waiting in tmp/; one published since is gone from
	 * tmp/ already) */
	return cl->n && bsearch(id, cl->ids, cl->n, sizeof *cl->ids, cmp_id) != NULL ? 2 : 0;
}

int pipeline_recover(struct pipeline *p)
{
	struct recovery rv = {p, 0, 0, {NULL, 0, 0, 0}};
	int rc;

	/* the walks block (start-up); the batch's commit may answer later: a failure then stalls
	 * the pipeline, and the next start does this again */
	if ((rc = pipeline_batch(p)) < 0)
		return rc;
	p->store->ops->seen_each(p->store, SEEN_RESERVED, recover_reserved, &rv);
	p->store->ops->seen_each(p->store, SEEN_SPOOLING, recover_spooling, &rv);
	if ((rc = pipeline_flush(p)) < 0) {
		free(rv.cl.ids);
		return rc;
	}
	/* what is left in tmp/ was never recorded, but for the articles queued above */
	if (!rv.cl.failed) {
		if (rv.cl.n)
			qsort(rv.cl.ids, rv.cl.n, sizeof *rv.cl.ids, cmp_id);
		p->sink->ops->clean(p->sink, waiting_claimed, &rv.cl);
	}
	free(rv.cl.ids);
	if (rv.settled)
		log_info("recovery: %d recorded article%s settled (left by an unclean stop, or "
			 "waiting in tmp/ for room in new/)",
			 rv.settled, rv.settled == 1 ? "" : "s");
	if (rv.waiting)
		log_info(
		    "spool: %zu recorded article%s wait%s in tmp/ for room in new/ (max_pending "
		    "%d)",
		    rv.waiting, rv.waiting == 1 ? "" : "s", rv.waiting == 1 ? "s" : "",
		    p->c->max_pending);
	pipeline_drain(p);
	return rv.settled;
}
