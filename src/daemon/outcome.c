/* SPDX-License-Identifier: MIT */
/* The outcome policy of one fetch (see outcome.h): pure, unit-tested in tests/test_outcome.c. */
#include "autoconfig.h"

#include "outcome.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int dup_into(char **dst, const char *s)
{
	free(*dst);
	*dst = s ? strdup(s) : NULL;
	return s && !*dst ? -ENOMEM : 0;
}

int fetch_outcome_set(struct fetch_outcome *fo, const struct fetch_result *r)
{
	int rc = 0;

	fo->status = r->status;
	fo->error = r->error;
	fo->permanent_redirect = r->permanent_redirect;
	snprintf(fo->message, sizeof fo->message, "%s", r->message);
	rc |= dup_into(&fo->etag, r->etag);
	rc |= dup_into(&fo->last_modified, r->last_modified);
	rc |= dup_into(&fo->redirect_target, r->redirect_target);
	rc |= dup_into(&fo->hints.cache_control, r->cache_control);
	fo->hints.expires = r->expires;
	fo->hints.retry_after = r->retry_after;
	return rc ? -ENOMEM : 0;
}

int fetch_outcome_hints(struct fetch_outcome *fo, const struct feed_info *fi)
{
	fo->hints.ttl_minutes = fi->ttl_minutes;
	fo->hints.sy_frequency = fi->sy_frequency;
	fo->hints.skip_hours = fi->skip_hours;
	fo->hints.skip_days = fi->skip_days;
	return dup_into(&fo->hints.sy_period, fi->sy_period);
}

void fetch_outcome_fini(struct fetch_outcome *fo)
{
	free(fo->etag);
	free(fo->last_modified);
	free(fo->redirect_target);
	free(fo->hints.cache_control);
	free(fo->hints.sy_period);
	memset(fo, 0, sizeof *fo);
}

/* The result line, and whether the validators may be saved. */
static int describe(const struct fetch_outcome *fo, const struct feed_run_result *r, char *out,
		    size_t n)
{
	char revs[48] = "", deferred[48] = "", caught[64] = "";

	if (fo->error) {
		snprintf(out, n, "error: %s", fo->message);
		return 0;
	}
	if (fo->status == 304) {
		snprintf(out, n, "not modified");
		return 1;
	}
	if (fo->status != 200) {
		snprintf(out, n, "error: %s", fo->message[0] ? fo->message : "HTTP error");
		return 0;
	}
	if (r->revisions)
		snprintf(revs, sizeof revs, " (%zu revision%s)", r->revisions,
			 r->revisions == 1 ? "" : "s");
	if (r->deferred)
		snprintf(deferred, sizeof deferred, ", %zu changed but deferred", r->deferred);
	if (r->caught_up)
		snprintf(caught, sizeof caught, ", %zu caught up (recorded, not written)", r->caught_up);
	if (fo->parse_failed)
		snprintf(out, n, "error: %s (%zu new%s)", fo->parse_message, r->fresh, revs);
	else if (r->error)
		snprintf(out, n, "error: %s (%zu new%s, kept for a retry)", r->message, r->fresh,
			 revs);
	else
		snprintf(out, n, "ok: %zu new%s, %zu duplicate, %zu dropped%s%s", r->fresh, revs,
			 r->duplicate, r->dropped, deferred, caught);
	/* only when everything the document held is safely recorded (and no changed article
	 * waits to be looked at again) */
	return !fo->parse_failed && !r->error && !r->deferred;
}

static int save_validators(struct feed_state *st, const struct fetch_outcome *fo)
{
	int rc = 0;

	if (fo->status == 200) {
		rc |= dup_into(&st->etag, fo->etag);
		rc |= dup_into(&st->last_modified, fo->last_modified);
	} else {
		/* a 304 refreshes them when it carries new ones; otherwise the old ones hold */
		if (fo->etag)
			rc |= dup_into(&st->etag, fo->etag);
		if (fo->last_modified)
			rc |= dup_into(&st->last_modified, fo->last_modified);
	}
	return rc;
}

/* Permanent redirects move the feed when they hold on the next fetch too. */
static int follow_redirect(struct feed_state *st, const struct fetch_outcome *fo, int ok,
			   int *events)
{
	if (fo->error)
		return 0;
	if (fo->redirect_target && fo->permanent_redirect && (ok || fo->status == 304)) {
		if (st->pending_url && !strcmp(st->pending_url, fo->redirect_target)) {
			free(st->moved_from);
			st->moved_from = st->url;
			st->url = st->pending_url;
			st->pending_url = NULL;
			/* the validators belonged to the old address */
			free(st->etag);
			free(st->last_modified);
			st->etag = st->last_modified = NULL;
			*events |= OUTCOME_MOVED;
			return 0;
		}
		*events |= OUTCOME_REDIRECT_SEEN;
		return dup_into(&st->pending_url, fo->redirect_target);
	}
	free(st->pending_url);
	st->pending_url = NULL;
	return 0;
}

static void schedule_input_fill(struct outcome *out, const struct outcome_input *in,
				const struct feed_state *st)
{
	const struct poll_hints *h = &in->fo->hints;
	struct schedule_input *s = &out->sched;

	memset(s, 0, sizeof *s);
	s->now = in->now;
	s->interval = in->s->interval;
	s->jitter = in->s->jitter;
	s->min_interval = in->s->min_interval;
	s->max_backoff = in->s->max_backoff;
	s->failures = st->failures;
	s->ttl_minutes = h->ttl_minutes;
	s->sy_period = h->sy_period;
	s->sy_frequency = h->sy_frequency;
	s->skip_hours = h->skip_hours;
	s->skip_days = h->skip_days;
	s->cache_control = h->cache_control;
	s->expires = h->expires;
	s->retry_after = h->retry_after > in->now ? h->retry_after : in->host_hold;
	s->random = in->random;
}

int outcome_apply(struct feed_state *st, const struct outcome_input *in, struct outcome *out)
{
	const struct fetch_outcome *fo = in->fo;
	const struct feed_run_result *r = in->run;
	int save, rc = 0;

	memset(out, 0, sizeof *out);
	st->last_fetch = in->now;
	st->last_status = fo->status;
	out->ok = !fo->error && (fo->status == 200 || fo->status == 304) && !fo->parse_failed &&
		  !r->error;
	out->local = r->local && !fo->error && fo->status == 200 && !fo->parse_failed;
	save = describe(fo, r, out->result, sizeof out->result);
	if (save)
		rc |= save_validators(st, fo);
	rc |= follow_redirect(st, fo, out->ok, &out->events);
	if (fo->status == 410) {
		st->retired = 1;
		out->events |= OUTCOME_RETIRED;
	}
	if ((fo->status == 429 || fo->status == 503) && fo->hints.retry_after > in->now)
		out->hold_until = fo->hints.retry_after;
	if (!out->local)
		st->failures = out->ok ? 0 : st->failures + 1;
	if (out->ok)
		st->last_success = in->now;
	st->articles_seen += (int64_t)r->seen;
	rc |= dup_into(&st->last_result, out->result);
	schedule_input_fill(out, in, st);
	return rc ? -ENOMEM : 0;
}

int outcome_schedule(struct feed_state *st, const struct outcome *out)
{
	char why[64];

	st->next_due = schedule_next(&out->sched, why, sizeof why);
	if (out->local) {
		/* fetched again as soon as the pipeline accepts articles */
		st->next_due = out->sched.now;
		snprintf(why, sizeof why, "retry once the spool and state can be written");
	}
	return dup_into(&st->due_reason, st->retired ? "retired (410 Gone)" : why);
}
