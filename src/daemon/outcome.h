/* SPDX-License-Identifier: MIT */
/* The outcome policy of one fetch, as pure functions: (feed state, fetch outcome, pipeline run
 * result, now) -> (new feed state, schedule input). Validators, permanent redirects, 410 Gone,
 * failure counts and the inputs of the backoff; nothing here logs, writes or reads the clock. */
#ifndef FEEDSPOOL_OUTCOME_H
#define FEEDSPOOL_OUTCOME_H

#include <stddef.h>
#include <stdint.h>

#include "article.h"
#include "config.h"
#include "fetch.h"
#include "pipeline.h"
#include "schedule.h"
#include "state.h"

/* The publisher's polling hints, from the response headers and from the document: kept here
 * once, read by the schedule through outcome_apply. Strings owned (poll_hints_fini). */
struct poll_hints {
	char *cache_control;   /* Cache-Control header, NULL when absent */
	int64_t expires;       /* Expires, absolute, 0 when absent */
	int64_t retry_after;   /* Retry-After, absolute, 0 when absent */
	int ttl_minutes;       /* <ttl>, 0 when absent */
	char *sy_period;       /* sy:updatePeriod, NULL when absent */
	int sy_frequency;      /* sy:updateFrequency, 0 when absent */
	uint32_t skip_hours;   /* bit h: skip hour h (UTC) */
	uint8_t skip_days;     /* bit d: skip day d (0 = Sunday) */
};

/* What one fetch brought: the transfer's result and the parse's verdict. Strings owned. */
struct fetch_outcome {
	int status, error, permanent_redirect;
	char message[256];
	char *etag, *last_modified, *redirect_target;
	int parse_failed;
	char parse_message[300];
	struct poll_hints hints;
};

/* Copies what matters of r into fo (which must be zeroed or finished): 0 or -ENOMEM. */
int fetch_outcome_set(struct fetch_outcome *fo, const struct fetch_result *r);
/* Takes the document's hints (ttl, sy:*, skipHours/Days): 0 or -ENOMEM. */
int fetch_outcome_hints(struct fetch_outcome *fo, const struct feed_info *fi);
void fetch_outcome_fini(struct fetch_outcome *fo);

struct outcome_input {
	const struct feed_settings *s;
	const struct fetch_outcome *fo;
	const struct feed_run_result *run;
	int64_t now;
	int64_t host_hold; /* the feed's host is held (Retry-After) until then, 0: not held */
	uint64_t random;   /* for the jitter */
};

enum {
	OUTCOME_REDIRECT_SEEN = 1, /* a permanent redirect, seen once: moved if it holds */
	OUTCOME_MOVED = 2,	   /* it held: st->url is the new address, st->moved_from the old */
	OUTCOME_RETIRED = 4,	   /* 410 Gone */
};

struct outcome {
	int ok;	       /* a success: failures reset */
	int local;     /* the document was fine but the spool or the state could not take it */
	int events;    /* OUTCOME_* */
	int64_t hold_until; /* 429/503 with Retry-After: hold the feed's host until then, 0: no */
	char result[480];   /* "ok: 3 new, 2 duplicate, 0 dropped", "not modified", "error: ..." */
	struct schedule_input sched; /* for schedule_next; its strings point into in->fo */
};

/* Applies the fetch to st: validators (only when everything the document held is recorded),
 * permanent redirects, 410, failures, last_* and articles_seen; fills out. */
int outcome_apply(struct feed_state *st, const struct outcome_input *in, struct outcome *out);
/* Sets st->next_due and st->due_reason from out (a prompt retry after storage trouble). */
int outcome_schedule(struct feed_state *st, const struct outcome *out);

#endif
