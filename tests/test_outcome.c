/* SPDX-License-Identifier: MIT */
/* The outcome policy of one fetch (src/daemon/outcome.c): validators, redirects, 410, failures. */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "outcome.h"

#define NOW 1700000000

static struct feed_settings settings(void)
{
	struct feed_settings s;

	memset(&s, 0, sizeof s);
	s.interval = 1800;
	s.min_interval = 300;
	s.max_backoff = 86400;
	return s;
}

static void state_at(struct feed_state *st, const char *url, const char *etag)
{
	feed_state_init(st);
	st->name = strdup("f");
	st->url = strdup(url);
	st->etag = etag ? strdup(etag) : NULL;
}

/* One fetch applied: out filled, the state changed. */
static void apply(struct feed_state *st, const struct fetch_outcome *fo,
		  const struct feed_run_result *r, struct outcome *out)
{
	struct feed_settings s = settings();
	struct outcome_input in;

	memset(&in, 0, sizeof in);
	in.s = &s;
	in.fo = fo;
	in.run = r;
	in.now = NOW;
	CHECK(outcome_apply(st, &in, out) == 0, "outcome_apply succeeds");
	CHECK(outcome_schedule(st, out) == 0, "outcome_schedule succeeds");
}

static void test_validators(void)
{
	struct feed_state st;
	struct fetch_outcome fo = {0};
	struct feed_run_result r = {0};
	struct outcome o;

	state_at(&st, "http://a/feed", "\"old\"");
	fo.status = 200;
	fo.etag = strdup("\"new\"");
	r.fresh = r.seen = 3;
	apply(&st, &fo, &r, &o);
	CHECK(o.ok && !o.local, "200 with everything recorded is a success");
	CHECK_STR(st.etag, "\"new\"", "a 200 recorded in full saves its validators");
	CHECK_STR(o.result, "ok: 3 new, 0 duplicate, 0 dropped", "the result line");
	CHECK(st.next_due == NOW + 1800 && st.failures == 0, "next due after the interval");

	r.error = -EIO;
	snprintf(r.message, sizeof r.message, "spool: boom");
	free(fo.etag);
	fo.etag = strdup("\"newer\"");
	apply(&st, &fo, &r, &o);
	CHECK(!o.ok && st.failures == 1, "a run error is a failure");
	CHECK_STR(st.etag, "\"new\"", "validators are not saved when an article failed");

	r.error = 0;
	r.deferred = 1;
	apply(&st, &fo, &r, &o);
	CHECK_STR(st.etag, "\"new\"", "validators are not saved while a change is deferred");
	CHECK(st.failures == 0, "a deferred change is still a success");

	memset(&r, 0, sizeof r);
	fo.status = 304;
	free(fo.etag);
	fo.etag = NULL;
	apply(&st, &fo, &r, &o);
	CHECK_STR(o.result, "not modified", "304");
	CHECK_STR(st.etag, "\"new\"", "a 304 without validators keeps the old ones");

	fo.status = 200;
	fo.parse_failed = 1;
	snprintf(fo.parse_message, sizeof fo.parse_message, "line 3: not well-formed");
	fo.etag = strdup("\"broken\"");
	apply(&st, &fo, &r, &o);
	CHECK(!o.ok && st.failures == 1, "a parse error is a failure");
	CHECK_STR(st.etag, "\"new\"", "a broken document saves no validators");
	CHECK_STR(o.result, "error: line 3: not well-formed (0 new)", "the parse error's line");
	fetch_outcome_fini(&fo);
	feed_state_fini(&st);
}

static void test_redirect_gone_backoff(void)
{
	struct feed_state st;
	struct fetch_outcome fo = {0};
	struct feed_run_result r = {0};
	struct outcome o;

	state_at(&st, "http://a/old", "\"e\"");
	fo.status = 200;
	fo.permanent_redirect = 1;
	fo.redirect_target = strdup("http://b/new");
	apply(&st, &fo, &r, &o);
	CHECK(o.events == OUTCOME_REDIRECT_SEEN, "a first permanent redirect is only noted");
	CHECK_STR(st.url, "http://a/old", "not moved after one redirect");
	apply(&st, &fo, &r, &o);
	CHECK(o.events & OUTCOME_MOVED, "moved when it holds the next time");
	CHECK_STR(st.url, "http://b/new", "the new address");
	CHECK_STR(st.moved_from, "http://a/old", "moved_from");
	fetch_outcome_fini(&fo);

	fo.status = 410;
	snprintf(fo.message, sizeof fo.message, "HTTP 410");
	apply(&st, &fo, &r, &o);
	CHECK(st.retired && (o.events & OUTCOME_RETIRED), "410 retires the feed");
	CHECK_STR(st.due_reason, "retired (410 Gone)", "the retired reason");

	st.retired = 0;
	st.failures = 0;
	fo.status = 503;
	fo.hints.retry_after = NOW + 600;
	apply(&st, &fo, &r, &o);
	CHECK(o.hold_until == NOW + 600, "503 with Retry-After holds the host");
	CHECK(st.next_due >= NOW + 600, "and the feed waits for it (%lld)",
	      (long long)(st.next_due - NOW));
	fo.hints.retry_after = 0;
	fo.status = 500;
	apply(&st, &fo, &r, &o);
	apply(&st, &fo, &r, &o);
	CHECK(st.failures == 3, "failures count up (%d)", st.failures);
	CHECK(st.next_due > NOW + 1800, "backoff after 3 failures (%lld)",
	      (long long)(st.next_due - NOW));

	fo.status = 200;
	r.error = -ENOSPC;
	r.local = 1;
	apply(&st, &fo, &r, &o);
	CHECK(o.local && st.failures == 3, "storage trouble is not the feed's failure");
	CHECK(st.next_due == NOW, "and it is fetched again as soon as storage works");
	fetch_outcome_fini(&fo);
	feed_state_fini(&st);
}

static void test_hints(void)
{
	struct feed_state st;
	struct fetch_outcome fo = {0};
	struct feed_run_result r = {0};
	struct feed_info fi;
	struct outcome o;

	state_at(&st, "http://a/feed", NULL);
	memset(&fi, 0, sizeof fi);
	fi.ttl_minutes = 120;
	fo.status = 200;
	CHECK(fetch_outcome_hints(&fo, &fi) == 0, "hints taken");
	apply(&st, &fo, &r, &o);
	CHECK(st.next_due == NOW + 7200, "the document's ttl reaches the schedule (%lld)",
	      (long long)(st.next_due - NOW));
	CHECK_STR(st.due_reason, "ttl 120 min", "the ttl reason");
	fetch_outcome_fini(&fo);
	feed_state_fini(&st);
}

int main(void)
{
	test_validators();
	test_redirect_gone_backoff();
	test_hints();
	return check_exit();
}
