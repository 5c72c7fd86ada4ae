/* SPDX-License-Identifier: MIT */
/* The daemon's life: one libuv loop runs the schedule of every feed, fetches (curl multi),
 * streams each body into the normalizer and hands articles to the pipeline; signals stop (TERM,
 * INT) or reload (HUP) it; systemd hears READY, STATUS, RELOADING, STOPPING and WATCHDOG. */
#include "autoconfig.h"

#include "daemon.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jansson.h>
#include <uv.h>
#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "config.h"
#include "date.h"
#include "feed.h"
#include "fetch.h"
#include "log.h"
#include "pipeline.h"
#include "plugin.h"
#include "instance.h"
#include "preflight.h"
#include "schedule.h"
#include "spool.h"
#include "state.h"

#define STOP_GRACE_MS 4500  /* in-flight work is abandoned after this, well within 5 s */
#define TICK_MAX_MS 60000

struct daemon;

struct dfeed {
	struct daemon *d;
	const struct feed_conf *conf;
	struct feed_state st;
	int busy, removed, done_once;
	int not_fetched; /* `once` could not start it (storage trouble, back-pressure) */
	/* the fetch in progress */
	struct fetch *fetch;
	struct feed_parser *parser;
	struct feed_run *run;
	int64_t started_ms;
	int status, error, permanent_redirect;
	char message[256];
	char *etag, *last_modified, *cache_control, *redirect_target, *content_type;
	int64_t expires, retry_after;
	int parse_failed;
	char parse_message[300];
	/* hints from the document, for the schedule */
	int ttl_minutes, sy_frequency;
	char *sy_period;
	uint32_t skip_hours;
	uint8_t skip_days;
};

struct hold {
	char *host;
	int64_t until;
};

struct daemon {
	uv_loop_t loop;
	const struct daemon_opts *o;
	struct config *cfg;
	struct state *st;
	struct spool *sp;
	struct pipeline *pl;
	struct filter_chain *chain;
	struct fetcher *fetcher;
	struct dfeed **feeds;
	size_t n_feeds;
	struct hold *holds;
	size_t n_holds;
	uv_timer_t tick, status_timer, watchdog_timer, stop_timer, expire_timer;
	uv_signal_t sig_term, sig_int, sig_hup;
	int stopping, closing;
	int held_back; /* back-pressure: fetches wait for readers */
	size_t active;
	size_t once_total, once_done, once_failed;
	int exit_code;
};

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

static void notify(const char *msg)
{
#ifdef HAVE_SYSTEMD
	sd_notify(0, msg);
#else
	(void)msg;
#endif
}

static void arm_tick(struct daemon *d);
static void maybe_finish(struct daemon *d);

/* ---- host holds (429/503 with Retry-After) -------------------------------------------------- */

static char *host_of(const char *url)
{
	const char *p = strstr(url, "://"), *e;

	if (!p)
		return NULL;
	p += 3;
	e = p + strcspn(p, "/?#");
	return strndup(p, (size_t)(e - p));
}

static int64_t host_hold(struct daemon *d, const char *url)
{
	char *h = host_of(url);
	int64_t until = 0;
	size_t i;

	for (i = 0; h && i < d->n_holds; i++)
		if (!strcasecmp(d->holds[i].host, h) && d->holds[i].until > until)
			until = d->holds[i].until;
	free(h);
	return until > now_s() ? until : 0;
}

static void host_hold_set(struct daemon *d, const char *url, int64_t until)
{
	char *h = host_of(url);
	struct hold *v;
	size_t i;

	if (!h)
		return;
	for (i = 0; i < d->n_holds; i++) {
		if (!strcasecmp(d->holds[i].host, h)) {
			if (until > d->holds[i].until)
				d->holds[i].until = until;
			free(h);
			return;
		}
	}
	v = realloc(d->holds, (d->n_holds + 1) * sizeof *v);
	if (!v) {
		free(h);
		return;
	}
	d->holds = v;
	d->holds[d->n_holds].host = h;
	d->holds[d->n_holds++].until = until;
	log_info("host %s asked to wait: holding its feeds until %lld", h, (long long)until);
}

/* ---- the filter chain, as the pipeline's judge ------------------------------------------------ */

struct judging {
	pipeline_judge_done done;
	void *job;
};

static void on_chain_done(void *ud, enum filter_outcome outcome, const char *dropped_by,
			  const char *reason)
{
	struct judging *j = ud;

	if (outcome == FILTER_DROP)
		log_debug("dropped by filter %s%s%s", dropped_by ? dropped_by : "?", reason ? ": " : "",
			  reason ? reason : "");
	j->done(j->job, outcome == FILTER_KEEP);
	free(j);
}

static void judge(void *ud, struct article *a, const struct feed_info *f, pipeline_judge_done done,
		  void *job)
{
	struct daemon *d = ud;
	struct judging *j = malloc(sizeof *j);

	if (j) {
		/* set before running: the chain may answer before filter_chain_run returns */
		j->done = done;
		j->job = job;
	}
	if (!j || !d->chain || filter_chain_run(d->chain, a, f, on_chain_done, j) < 0) {
		free(j);
		done(job, 1); /* no memory to judge: keep, as on_error = keep would */
	}
}

/* ---- status ----------------------------------------------------------------------------------- */

static void status_line(struct daemon *d, char *out, size_t n)
{
	struct pipeline_totals t;

	pipeline_totals(d->pl, &t);
	snprintf(out, n,
		 "%zu feeds, %zu fetching; %" PRIu64 " new, %" PRIu64 " duplicate, %" PRIu64
		 " dropped, %" PRIu64 " failed; %zu in new/",
		 d->n_feeds, d->active, t.fresh, t.duplicate, t.dropped, t.failed,
		 spool_pending(d->sp));
}

/* The filter counters, kept in the state for `feedspool feeds` (a JSON array). */
static void save_filter_stats(struct daemon *d)
{
	json_t *arr;
	char *text;
	size_t i;

	if (!d->chain)
		return;
	arr = json_array();
	for (i = 0; arr && i < filter_chain_count(d->chain); i++) {
		struct filter_stats fs;

		if (filter_chain_stats(d->chain, i, &fs) == 0)
			json_array_append_new(arr, json_pack("{s:s,s:s,s:I,s:I,s:I,s:f,s:I}", "name",
							     fs.name, "plugin", fs.plugin, "kept",
							     (json_int_t)fs.kept, "dropped",
							     (json_int_t)fs.dropped, "errors",
							     (json_int_t)fs.errors, "ms",
							     (double)fs.ns / 1e6, "at", (json_int_t)now_s()));
	}
	text = arr ? json_dumps(arr, JSON_COMPACT) : NULL;
	if (text && pipeline_txn(d->pl) == 0)
		state_meta_put(d->st, "filters", text);
	free(text);
	json_decref(arr);
}

static void on_status_timer(uv_timer_t *t)
{
	struct daemon *d = t->data;
	char line[256];
	struct buf msg = BUF_INIT;
	size_t i;

	status_line(d, line, sizeof line);
	buf_printf(&msg, "STATUS=%s", line);
	/* per-filter counters: kept/dropped/errors and the time spent */
	for (i = 0; d->chain && i < filter_chain_count(d->chain); i++) {
		struct filter_stats fs;

		if (filter_chain_stats(d->chain, i, &fs) == 0)
			buf_printf(&msg, "; %s %" PRIu64 "/%" PRIu64 "/%" PRIu64 " %.1f ms", fs.name,
				   fs.kept, fs.dropped, fs.errors, (double)fs.ns / 1e6);
	}
	notify(buf_cstr(&msg));
	buf_fini(&msg);
	save_filter_stats(d);
}

/* Seen entries whose item left its feed more than retention_days ago are forgotten (the
 * pipeline touches every id a feed still lists). Daily, and once at start-up. */
static void on_expire(uv_timer_t *t)
{
	struct daemon *d = t->data;
	int n;

	if (pipeline_txn(d->pl) < 0)
		return; /* the state cannot be written now: tomorrow */
	n = state_expire(d->st, now_s() - (int64_t)d->cfg->retention_days * 86400);
	if (n > 0)
		log_info("state: forgot %d article%s not listed for %d days", n, n == 1 ? "" : "s",
			 d->cfg->retention_days);
	else if (n < 0)
		log_err("state: expiry failed: %s", state_error(d->st));
}

static void on_watchdog(uv_timer_t *t)
{
	notify("WATCHDOG=1");
}

/* " (a, b, c)": the feeds that failed or were not fetched in this `once` pass, for its summary
 * (at most 20). */
static void failed_names(struct daemon *d, struct buf *out)
{
	size_t i, n = 0;

	for (i = 0; i < d->n_feeds; i++) {
		if (!d->feeds[i]->done_once ||
		    (d->feeds[i]->st.failures == 0 && !d->feeds[i]->not_fetched))
			continue;
		if (n++ < 20)
			buf_printf(out, "%s%s", n == 1 ? " (" : ", ", d->feeds[i]->conf->name);
	}
	if (n > 20)
		buf_printf(out, " and %zu more", n - 20);
	if (n > 0)
		buf_putc(out, ')');
}

static void progress(struct daemon *d)
{
	struct pipeline_totals t;

	if (!d->o->progress)
		return;
	pipeline_totals(d->pl, &t);
	fprintf(stderr, "\r\033[Kfeeds %zu/%zu, %" PRIu64 " new, %zu error%s", d->once_done,
		d->once_total, t.fresh, d->once_failed, d->once_failed == 1 ? "" : "s");
	fflush(stderr);
}

/* ---- one fetch -------------------------------------------------------------------------------- */

static void fetch_reset(struct dfeed *f)
{
	free(f->etag);
	free(f->last_modified);
	free(f->cache_control);
	free(f->redirect_target);
	free(f->content_type);
	free(f->sy_period);
	f->etag = f->last_modified = f->cache_control = f->redirect_target = f->content_type = NULL;
	f->sy_period = NULL;
	f->status = f->error = f->permanent_redirect = f->parse_failed = 0;
	f->expires = f->retry_after = 0;
	f->ttl_minutes = f->sy_frequency = 0;
	f->skip_hours = 0;
	f->skip_days = 0;
	f->message[0] = f->parse_message[0] = '\0';
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int on_article(void *ud, struct article *a, const struct feed_info *fi)
{
	struct dfeed *f = ud;

	pipeline_run_article(f->run, a, fi);
	return 0;
}

static int on_known(void *ud, const struct article *a)
{
	struct dfeed *f = ud;

	return pipeline_run_known(f->run, a);
}

static int on_data(void *ud, const char *data, size_t n)
{
	struct dfeed *f = ud;

	if (!f->parser) {
		struct feed_parser_opts po = {0};

		po.name = f->conf->name;
		po.url = fetch_effective_url(f->fetch) ? fetch_effective_url(f->fetch) : f->st.url;
		po.content_type = fetch_content_type(f->fetch);
		po.max_bytes = f->conf->s.max_bytes;
		po.fetched = now_s();
		po.known = on_known;
		po.known_ud = f;
		f->parser = feed_parser_new(&po, on_article, f);
		if (!f->parser)
			return 1;
	}
	/* a document that cannot be parsed further is not worth downloading further */
	return feed_parser_push(f->parser, data, n) < 0 && feed_parser_error(f->parser, NULL) ? 1 : 0;
}

static void save_hints(struct dfeed *f)
{
	const struct feed_info *fi = feed_parser_info(f->parser);

	f->ttl_minutes = fi->ttl_minutes;
	f->sy_frequency = fi->sy_frequency;
	f->sy_period = dup_or_null(fi->sy_period);
	f->skip_hours = fi->skip_hours;
	f->skip_days = fi->skip_days;
}

static void feed_finished(struct dfeed *f, const struct feed_run_result *r);

static void on_run_done(void *ud, const struct feed_run_result *r)
{
	feed_finished(ud, r);
}

static void on_fetched(void *ud, const struct fetch_result *r)
{
	struct dfeed *f = ud;

	f->fetch = NULL;
	f->status = r->status;
	f->error = r->error;
	f->permanent_redirect = r->permanent_redirect;
	snprintf(f->message, sizeof f->message, "%s", r->message);
	f->etag = dup_or_null(r->etag);
	f->last_modified = dup_or_null(r->last_modified);
	f->cache_control = dup_or_null(r->cache_control);
	f->redirect_target = dup_or_null(r->redirect_target);
	f->expires = r->expires;
	f->retry_after = r->retry_after;
	/* on_data stopped the transfer because the document is broken: that is the result, not
	 * curl's "aborted by the receiver" */
	if (f->error && f->parser && feed_parser_error(f->parser, NULL)) {
		f->error = 0;
		if (!f->status)
			f->status = 200; /* a file: URL, which has no status of its own */
	}
	if (f->parser) {
		long line = 0;
		const char *e;

		if (feed_parser_finish(f->parser) < 0 && (e = feed_parser_error(f->parser, &line))) {
			f->parse_failed = 1;
			if (line > 0)
				snprintf(f->parse_message, sizeof f->parse_message, "line %ld: %s", line, e);
			else
				snprintf(f->parse_message, sizeof f->parse_message, "%s", e);
		}
		save_hints(f);
		feed_parser_free(f->parser);
		f->parser = NULL;
	} else if (r->status == 200 && !r->error) {
		f->parse_failed = 1;
		snprintf(f->parse_message, sizeof f->parse_message, "empty document");
	}
	pipeline_run_end(f->run);
}

static void start_fetch(struct dfeed *f)
{
	struct daemon *d = f->d;
	const struct feed_settings *s = &f->conf->s;
	struct fetch_request req;

	memset(&req, 0, sizeof req);
	fetch_reset(f);
	req.url = f->st.url;
	req.etag = f->st.etag;
	req.last_modified = f->st.last_modified;
	req.user_agent = s->user_agent;
	req.headers = (const char *const *)s->headers;
	req.n_headers = s->n_headers;
	req.connect_timeout = s->connect_timeout;
	req.timeout = s->timeout;
	req.low_speed_limit = s->low_speed_limit;
	req.low_speed_time = s->low_speed_time;
	req.max_bytes = s->max_bytes;
	req.allow_file = d->cfg->allow_file_urls;
	req.allow_private = s->allow_private;
	f->run = pipeline_run_begin(d->pl, f->conf->name, on_run_done, f);
	if (!f->run) {
		log_err("feed %s: out of memory", f->conf->name);
		return;
	}
	pipeline_run_set_revisions(f->run, s->revisions);
	f->busy = 1;
	d->active++;
	f->started_ms = (int64_t)uv_now(&d->loop);
	f->fetch = fetcher_start(d->fetcher, &req, on_data, on_fetched, f);
	if (!f->fetch) {
		snprintf(f->message, sizeof f->message, "cannot start the transfer");
		f->error = -EINVAL;
		pipeline_run_end(f->run);
	}
}

/* The outcome of a fetch, once every article it brought is recorded: the feed's state, its next
 * due time, and one log line. */
static void feed_finished(struct dfeed *f, const struct feed_run_result *r)
{
	struct daemon *d = f->d;
	struct feed_state *st = &f->st;
	struct schedule_input in;
	char result[480], why[64], due[DATE_BUFSZ] = "", revs[48] = "", deferred[48] = "";
	int ok, local, save_validators = 0;
	int64_t now = now_s();

	f->busy = 0;
	f->run = NULL;
	d->active--;
	st->last_fetch = now;
	st->last_status = f->status;
	ok = !f->error && (f->status == 200 || f->status == 304) && !f->parse_failed && !r->error;
	/* the document was fine, but the spool or the state could not take its articles */
	local = r->local && !f->error && f->status == 200 && !f->parse_failed;
	if (f->error) {
		snprintf(result, sizeof result, "error: %s", f->message);
	} else if (f->status == 304) {
		snprintf(result, sizeof result, "not modified");
		save_validators = 1;
	} else if (f->status == 200) {
		if (r->revisions)
			snprintf(revs, sizeof revs, " (%zu revision%s)", r->revisions,
				 r->revisions == 1 ? "" : "s");
		if (r->deferred)
			snprintf(deferred, sizeof deferred, ", %zu changed but deferred",
				 r->deferred);
		if (f->parse_failed)
			snprintf(result, sizeof result, "error: %s (%zu new%s)", f->parse_message,
				 r->fresh, revs);
		else if (r->error)
			snprintf(result, sizeof result, "error: %s (%zu new%s, kept for a retry)",
				 r->message, r->fresh, revs);
		else
			snprintf(result, sizeof result,
				 "ok: %zu new%s, %zu duplicate, %zu dropped%s", r->fresh, revs,
				 r->duplicate, r->dropped, deferred);
		/* validators only when everything the document held is safely recorded (and no
		 * changed article waits to be looked at again) */
		save_validators = !f->parse_failed && !r->error && !r->deferred;
	} else {
		snprintf(result, sizeof result, "error: %s", f->message[0] ? f->message : "HTTP error");
	}
	if (save_validators && f->status == 200) {
		free(st->etag);
		free(st->last_modified);
		st->etag = dup_or_null(f->etag);
		st->last_modified = dup_or_null(f->last_modified);
	} else if (save_validators && f->status == 304) {
		/* refreshed when the 304 carries new ones; otherwise the old ones still hold */
		if (f->etag) {
			free(st->etag);
			st->etag = strdup(f->etag);
		}
		if (f->last_modified) {
			free(st->last_modified);
			st->last_modified = strdup(f->last_modified);
		}
	}
	/* permanent redirects move the feed when they hold on the next fetch too */
	if (!f->error && f->redirect_target && f->permanent_redirect && (ok || f->status == 304)) {
		if (st->pending_url && !strcmp(st->pending_url, f->redirect_target)) {
			log_info("feed %s: moved permanently from %s to %s", f->conf->name, st->url,
				 f->redirect_target);
			free(st->moved_from);
			st->moved_from = st->url;
			st->url = st->pending_url;
			st->pending_url = NULL;
			/* validators belonged to the old address */
			free(st->etag);
			free(st->last_modified);
			st->etag = st->last_modified = NULL;
		} else {
			free(st->pending_url);
			st->pending_url = strdup(f->redirect_target);
			log_info("feed %s: permanent redirect to %s (moved if it holds next time)",
				 f->conf->name, f->redirect_target);
		}
	} else if (!f->error && st->pending_url) {
		free(st->pending_url);
		st->pending_url = NULL;
	}
	if (f->status == 410) {
		st->retired = 1;
		log_info("feed %s: 410 Gone: retired (remove it from the configuration)", f->conf->name);
	}
	if ((f->status == 429 || f->status == 503) && f->retry_after > now)
		host_hold_set(d, st->url, f->retry_after);
	if (!local)
		st->failures = ok ? 0 : st->failures + 1;
	if (ok)
		st->last_success = now;
	st->articles_seen += (int64_t)r->seen;
	free(st->last_result);
	st->last_result = strdup(result);

	memset(&in, 0, sizeof in);
	in.now = now;
	in.interval = f->conf->s.interval;
	in.jitter = f->conf->s.jitter;
	in.min_interval = f->conf->s.min_interval;
	in.max_backoff = f->conf->s.max_backoff;
	in.failures = st->failures;
	in.ttl_minutes = f->ttl_minutes;
	in.sy_period = f->sy_period;
	in.sy_frequency = f->sy_frequency;
	in.skip_hours = f->skip_hours;
	in.skip_days = f->skip_days;
	in.cache_control = f->cache_control;
	in.expires = f->expires;
	in.retry_after = f->retry_after > now ? f->retry_after : host_hold(d, st->url);
	in.random = ((uint64_t)rand() << 31) ^ (uint64_t)rand();
	st->next_due = schedule_next(&in, why, sizeof why);
	if (local) {
		/* fetched again as soon as the pipeline accepts articles (on_resume) */
		st->next_due = now;
		snprintf(why, sizeof why, "retry once the spool and state can be written");
	}
	free(st->due_reason);
	st->due_reason = strdup(st->retired ? "retired (410 Gone)" : why);
	/* joins the batch after the articles' records: validators never run ahead of them */
	if (pipeline_txn(d->pl) < 0)
		log_debug("feed %s: its state is saved after its next fetch (the state cannot be "
			  "written now)",
			  f->conf->name);
	else if (state_feed_put(d->st, st) < 0)
		log_err("feed %s: cannot save its state: %s", f->conf->name, state_error(d->st));
	date_format(st->next_due, due, sizeof due);
	if (d->o->mode == DAEMON_ONCE) {
		d->once_done++;
		if (!ok)
			d->once_failed++;
		if (d->o->progress)
			progress(d);
		else
			log_info("feed %s: %s (%.1f s)", f->conf->name, result,
				 ((double)uv_now(&d->loop) - (double)f->started_ms) / 1000.0);
	} else {
		log_info("feed %s: %s; next %s (%s)", f->conf->name, result, due, st->due_reason);
	}
	f->done_once = 1;
	maybe_finish(d);
	arm_tick(d);
}

/* ---- the schedule ----------------------------------------------------------------------------- */

static int feed_due(struct daemon *d, struct dfeed *f, int64_t now)
{
	if (f->busy || f->removed || f->st.retired)
		return 0;
	if (d->o->mode == DAEMON_ONCE)
		return !f->done_once;
	if (f->st.next_due > now)
		return 0;
	return host_hold(d, f->st.url) == 0;
}

/* `once` never waits: the feeds it cannot fetch now are reported, and count as failed. */
static void once_skip(struct daemon *d, const char *why)
{
	int64_t now = now_s();
	size_t i;

	for (i = 0; i < d->n_feeds; i++) {
		struct dfeed *f = d->feeds[i];

		if (!feed_due(d, f, now))
			continue;
		f->done_once = 1;
		f->not_fetched = 1;
		d->once_done++;
		d->once_failed++;
		log_warnx("feed %s: not fetched: %s", f->conf->name, why);
	}
	maybe_finish(d);
}

static void on_resume(void *ud)
{
	arm_tick(ud);
}

static void on_tick(uv_timer_t *t)
{
	struct daemon *d = t->data;
	int64_t now = now_s();
	size_t i, limit = (size_t)d->cfg->max_total * 4;

	if (d->stopping)
		return;
	if (pipeline_stalled(d->pl)) {
		/* storage trouble (logged by the pipeline): it calls on_resume once it is over */
		if (d->o->mode == DAEMON_ONCE)
			once_skip(d, "the spool or the state cannot be written");
		return;
	}
	if (spool_pending(d->sp) >= (size_t)d->cfg->max_pending || pipeline_waiting(d->pl)) {
		/* back-pressure: readers are behind; what is fetched now would only wait in tmp/ */
		if (d->o->mode == DAEMON_ONCE) {
			once_skip(d, "new/ is full (max_pending)");
			return;
		}
		if (!d->held_back)
			log_warnx("spool: new/ holds %zu articles (max_pending %d), %zu more wait in "
				  "tmp/: fetches wait for readers",
				  spool_pending(d->sp), d->cfg->max_pending, pipeline_waiting(d->pl));
		d->held_back = 1;
		uv_timer_start(&d->tick, on_tick, 1000, 0);
		return;
	}
	if (d->held_back) {
		d->held_back = 0;
		log_info("spool: new/ has room again (%zu articles): fetches go on",
			 spool_pending(d->sp));
	}
	for (i = 0; i < d->n_feeds && d->active < limit; i++)
		if (feed_due(d, d->feeds[i], now))
			start_fetch(d->feeds[i]);
	arm_tick(d);
}

static void arm_tick(struct daemon *d)
{
	int64_t now = now_s(), next = INT64_MAX;
	uint64_t ms;
	size_t i;

	if (d->stopping || d->closing)
		return;
	for (i = 0; i < d->n_feeds; i++) {
		struct dfeed *f = d->feeds[i];
		int64_t due;

		if (f->busy || f->removed || f->st.retired)
			continue;
		if (d->o->mode == DAEMON_ONCE) {
			if (f->done_once)
				continue;
			due = now;
		} else {
			due = f->st.next_due;
			if (host_hold(d, f->st.url) > due)
				due = host_hold(d, f->st.url);
		}
		if (due < next)
			next = due;
	}
	if (next == INT64_MAX) {
		uv_timer_stop(&d->tick);
		return;
	}
	ms = next <= now ? 0 : (uint64_t)(next - now) * 1000;
	if (ms > TICK_MAX_MS)
		ms = TICK_MAX_MS;
	/* while the connection pool is full, look again as transfers end (arm_tick is called) */
	if (ms == 0 && d->active >= (size_t)d->cfg->max_total * 4)
		return;
	uv_timer_start(&d->tick, on_tick, ms, 0);
}

/* ---- feeds from the configuration, with their state -------------------------------------- */

static struct dfeed *feed_new(struct daemon *d, const struct feed_conf *fc)
{
	struct dfeed *f = calloc(1, sizeof *f);
	int rc;

	if (!f)
		return NULL;
	f->d = d;
	f->conf = fc;
	feed_state_init(&f->st);
	rc = state_feed_get(d->st, fc->name, &f->st);
	if (rc <= 0) {
		feed_state_init(&f->st);
		f->st.name = strdup(fc->name);
		f->st.url = strdup(fc->url);
		f->st.next_due = now_s();
		f->st.due_reason = strdup("new feed");
	} else if (!f->st.moved_from && strcmp(f->st.url, fc->url) != 0) {
		/* the configuration changed the address: start afresh there */
		free(f->st.url);
		f->st.url = strdup(fc->url);
		free(f->st.etag);
		free(f->st.last_modified);
		f->st.etag = f->st.last_modified = NULL;
		f->st.retired = 0;
		f->st.next_due = now_s();
	}
	return f;
}

static void feed_free(struct dfeed *f)
{
	if (!f)
		return;
	feed_state_fini(&f->st);
	fetch_reset(f);
	free(f);
}

static int load_feeds(struct daemon *d)
{
	size_t i;

	d->feeds = calloc(d->cfg->n_feeds ? d->cfg->n_feeds : 1, sizeof *d->feeds);
	if (!d->feeds)
		return -ENOMEM;
	for (i = 0; i < d->cfg->n_feeds; i++) {
		if (!(d->feeds[i] = feed_new(d, &d->cfg->feeds[i])))
			return -ENOMEM;
		d->n_feeds++;
		/* a retired feed (410 Gone) is not fetched again, not even by `once` */
		if (!d->feeds[i]->st.retired)
			d->once_total++;
	}
	return 0;
}

/* ---- reload (SIGHUP) ------------------------------------------------------------------------- */

static void reload(struct daemon *d)
{
	struct buf err = BUF_INIT;
	struct config *c;
	struct dfeed **feeds;
	size_t i, j, n = 0;

	notify("RELOADING=1");
	log_info("reloading %s", d->o->config_path);
	c = config_load(d->o->config_path, &err);
	if (!c) {
		log_err("reload refused, the running configuration stays:\n%s", buf_cstr(&err));
		buf_fini(&err);
		notify("READY=1");
		return;
	}
	if (c->n_filters) {
		struct filter_chain *ch = filter_chain_new(c, &d->loop, &err);

		if (!ch) {
			log_err("reload refused, the running configuration stays:\n%s", buf_cstr(&err));
			buf_fini(&err);
			config_free(c);
			notify("READY=1");
			return;
		}
		/* pending calls of the old chain complete as errors (their on_error applies) */
		filter_chain_free(d->chain);
		d->chain = ch;
	} else {
		filter_chain_free(d->chain);
		d->chain = NULL;
	}
	pipeline_set_judge(d->pl, d->chain ? judge : NULL, d);
	buf_fini(&err);
	if (strcmp(c->state, d->cfg->state) || strcmp(c->spool, d->cfg->spool))
		log_warnx("reload: state and spool paths change only with a restart");
	feeds = calloc(c->n_feeds + d->n_feeds + 1, sizeof *feeds);
	if (!feeds) {
		config_free(c);
		notify("READY=1");
		return;
	}
	for (i = 0; i < c->n_feeds; i++) {
		struct dfeed *f = NULL;

		for (j = 0; j < d->n_feeds; j++)
			if (d->feeds[j] && !strcmp(d->feeds[j]->conf->name, c->feeds[i].name)) {
				f = d->feeds[j];
				d->feeds[j] = NULL;
				break;
			}
		if (f) {
			if (strcmp(f->conf->url, c->feeds[i].url) != 0 && !f->busy) {
				free(f->st.url);
				f->st.url = strdup(c->feeds[i].url);
				f->st.next_due = now_s();
			}
			f->conf = &c->feeds[i];
		} else {
			f = feed_new(d, &c->feeds[i]);
			log_info("reload: new feed %s", c->feeds[i].name);
		}
		if (f)
			feeds[n++] = f;
	}
	for (j = 0; j < d->n_feeds; j++) {
		struct dfeed *f = d->feeds[j];

		if (!f)
			continue;
		log_info("reload: feed %s removed (its state is kept)", f->conf->name);
		if (f->busy) {
			/* finishing: the fetch keeps its settings copy; cancel it */
			f->removed = 1;
			fetcher_cancel(f->fetch);
		}
		feed_free(f);
	}
	free(d->feeds);
	d->feeds = feeds;
	d->n_feeds = n;
	pipeline_set_config(d->pl, c);
	config_free(d->cfg);
	d->cfg = c;
	notify("READY=1");
	arm_tick(d);
}

/* ---- stopping --------------------------------------------------------------------------------- */

static void on_closed_noop(uv_handle_t *h)
{
}

static void on_fetcher_closed(void *ud)
{
	struct daemon *d = ud;

	uv_stop(&d->loop);
}

static void shutdown_loop(struct daemon *d)
{
	if (d->closing)
		return;
	d->closing = 1;
	save_filter_stats(d);
	if (d->o->mode == DAEMON_ONCE)
		on_expire(&d->expire_timer); /* cron-driven setups only ever run once */
	pipeline_flush(d->pl);
	uv_close((uv_handle_t *)&d->tick, on_closed_noop);
	uv_close((uv_handle_t *)&d->status_timer, on_closed_noop);
	uv_close((uv_handle_t *)&d->watchdog_timer, on_closed_noop);
	uv_close((uv_handle_t *)&d->stop_timer, on_closed_noop);
	uv_close((uv_handle_t *)&d->expire_timer, on_closed_noop);
	uv_close((uv_handle_t *)&d->sig_term, on_closed_noop);
	uv_close((uv_handle_t *)&d->sig_int, on_closed_noop);
	uv_close((uv_handle_t *)&d->sig_hup, on_closed_noop);
	fetcher_close(d->fetcher, on_fetcher_closed, d);
}

static void maybe_finish(struct daemon *d)
{
	if (d->closing || d->active || !pipeline_idle(d->pl))
		return;
	if (d->stopping) {
		shutdown_loop(d);
		return;
	}
	if (d->o->mode == DAEMON_ONCE && d->once_done >= d->once_total) {
		if (d->o->progress)
			fputc('\n', stderr);
		shutdown_loop(d);
	}
}

static void on_pipeline_idle(void *ud)
{
	maybe_finish(ud);
}

static void on_stop_timer(uv_timer_t *t)
{
	struct daemon *d = t->data;
	size_t i;

	log_warnx("stopping: abandoning %zu transfer%s still running", d->active,
		  d->active == 1 ? "" : "s");
	for (i = 0; i < d->n_feeds; i++)
		if (d->feeds[i]->fetch)
			fetcher_cancel(d->feeds[i]->fetch);
}

static void stop(struct daemon *d, const char *why)
{
	if (d->stopping)
		return;
	d->stopping = 1;
	notify("STOPPING=1");
	log_info("%s: stopping (%zu transfer%s in flight)", why, d->active, d->active == 1 ? "" : "s");
	uv_timer_stop(&d->tick);
	uv_timer_start(&d->stop_timer, on_stop_timer, STOP_GRACE_MS, 0);
	maybe_finish(d);
}

static void on_signal(uv_signal_t *s, int signum)
{
	struct daemon *d = s->data;

	if (signum == SIGHUP)
		reload(d);
	else
		stop(d, signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

/* Creates dir and its missing parents (mode 0750), as a first start needs. */
static int mkdir_p(const char *dir)
{
	char *p = strdup(dir), *s;
	int rc = 0;

	if (!p)
		return -ENOMEM;
	for (s = p + 1; *s && rc == 0; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0750) < 0 && errno != EEXIST)
			rc = -errno;
		*s = '/';
	}
	if (rc == 0 && mkdir(p, 0750) < 0 && errno != EEXIST)
		rc = -errno;
	free(p);
	return rc;
}

static void make_parent(const char *path)
{
	char *p = strdup(path), *slash = p ? strrchr(p, '/') : NULL;

	if (slash && slash != p) {
		*slash = '\0';
		mkdir_p(p);
	}
	free(p);
}

/* ---- main ------------------------------------------------------------------------------------ */

/* Logs each line of a multi-line error on its own. */
static void log_lines(struct buf *err)
{
	char *line, *nl;

	for (line = err->data; line && *line; line = nl ? nl + 1 : NULL) {
		if ((nl = strchr(line, '\n')))
			*nl = '\0';
		log_err("%s", line);
	}
}

int daemon_main(const struct daemon_opts *o)
{
	struct daemon d;
	struct instance_lock lock = INSTANCE_LOCK_INIT;
	struct buf err = BUF_INIT;
	char line[256];
	int rc = 2;
	size_t i;

	memset(&d, 0, sizeof d);
	d.o = o;
	/* a co-process (the exec filter) that dies must not kill the daemon through a write */
	signal(SIGPIPE, SIG_IGN);
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	if (uv_loop_init(&d.loop) < 0)
		return 2;
	d.cfg = config_load(o->config_path, &err);
	if (!d.cfg) {
		log_err("%s", buf_cstr(&err));
		goto out;
	}
	buf_reset(&err);
	/* nothing is created before everything that can be checked is: a refused start leaves
	 * no trace (and fetches nothing) */
	if (preflight_storage(d.cfg, &err) < 0 ||
	    instance_lock(&lock, d.cfg->state, d.cfg->spool, 0, &err) < 0) {
		log_lines(&err);
		goto out;
	}
	buf_reset(&err);
	if (d.cfg->n_filters) {
		d.chain = filter_chain_new(d.cfg, &d.loop, &err);
		if (!d.chain) {
			log_lines(&err);
			goto out;
		}
	}
	buf_reset(&err);
	make_parent(d.cfg->state);
	d.st = state_open(d.cfg->state, 0, &err);
	if (!d.st) {
		log_err("state %s", buf_cstr(&err));
		goto out;
	}
	buf_reset(&err);
	mkdir_p(d.cfg->spool);
	d.sp = spool_open(&d.loop, d.cfg->spool, d.cfg->umask, &err);
	if (!d.sp) {
		log_err("%s", buf_cstr(&err));
		goto out;
	}
	/* what did not exist before is locked now that it does (two first starts at once) */
	if (instance_lock(&lock, d.cfg->state, d.cfg->spool, 1, &err) < 0) {
		log_lines(&err);
		goto out;
	}
	d.pl = pipeline_new(&d.loop, d.st, d.sp, d.cfg);
	d.fetcher = fetcher_new(&d.loop, d.cfg->max_total, d.cfg->max_per_host);
	if (!d.pl || !d.fetcher || load_feeds(&d) < 0) {
		log_err("out of memory");
		goto out;
	}
	pipeline_on_idle(d.pl, on_pipeline_idle, &d);
	pipeline_on_resume(d.pl, on_resume, &d);
	if (d.chain)
		pipeline_set_judge(d.pl, judge, &d);
	if (pipeline_recover(d.pl) < 0) {
		log_err("state %s: recovery failed: %s", d.cfg->state, state_error(d.st));
		goto out;
	}
	uv_timer_init(&d.loop, &d.tick);
	uv_timer_init(&d.loop, &d.status_timer);
	uv_timer_init(&d.loop, &d.watchdog_timer);
	uv_timer_init(&d.loop, &d.stop_timer);
	uv_timer_init(&d.loop, &d.expire_timer);
	d.tick.data = d.status_timer.data = d.watchdog_timer.data = d.stop_timer.data = &d;
	d.expire_timer.data = &d;
	if (o->mode == DAEMON_RUN) {
		uv_timer_start(&d.expire_timer, on_expire, 60000, 86400000);
		uv_unref((uv_handle_t *)&d.expire_timer);
	}
	uv_signal_init(&d.loop, &d.sig_term);
	uv_signal_init(&d.loop, &d.sig_int);
	uv_signal_init(&d.loop, &d.sig_hup);
	d.sig_term.data = d.sig_int.data = d.sig_hup.data = &d;
	uv_signal_start(&d.sig_term, on_signal, SIGTERM);
	uv_signal_start(&d.sig_int, on_signal, SIGINT);
	uv_signal_start(&d.sig_hup, on_signal, SIGHUP);
	uv_timer_start(&d.status_timer, on_status_timer, 0, 5000);
	uv_unref((uv_handle_t *)&d.status_timer);
#ifdef HAVE_SYSTEMD
	{
		uint64_t usec = 0;

		if (sd_watchdog_enabled(0, &usec) > 0 && usec >= 2000) {
			uv_timer_start(&d.watchdog_timer, on_watchdog, 0, usec / 2000);
			uv_unref((uv_handle_t *)&d.watchdog_timer);
		}
	}
#endif
	status_line(&d, line, sizeof line);
	log_info("started: %s", line);
	notify("READY=1");
	if (o->mode == DAEMON_ONCE && d.once_total == 0)
		shutdown_loop(&d);
	else
		arm_tick(&d);
	uv_run(&d.loop, UV_RUN_DEFAULT);
	pipeline_flush(d.pl);
	rc = o->mode == DAEMON_ONCE && d.once_failed ? 1 : 0;
	if (o->mode == DAEMON_ONCE) {
		struct pipeline_totals t;
		struct buf names = BUF_INIT;
		char revs[48] = "";

		failed_names(&d, &names);
		pipeline_totals(d.pl, &t);
		if (t.revisions)
			snprintf(revs, sizeof revs, " (%" PRIu64 " revision%s)", t.revisions,
				 t.revisions == 1 ? "" : "s");
		log_info("%zu feed%s, %zu failed%s; %" PRIu64 " new%s, %" PRIu64
			 " duplicate, %" PRIu64 " dropped",
			 d.once_done, d.once_done == 1 ? "" : "s", d.once_failed, buf_cstr(&names),
			 t.fresh, revs, t.duplicate, t.dropped);
		buf_fini(&names);
	} else {
		log_info("stopped");
	}
out:
	if (d.fetcher && !d.closing)
		fetcher_close(d.fetcher, NULL, NULL);
	filter_chain_free(d.chain);
	if (d.pl)
		pipeline_free(d.pl);
	if (d.sp)
		spool_close(d.sp, NULL, NULL);
	/* every module closes its own handles; the loop runs until they are closed */
	uv_run(&d.loop, UV_RUN_DEFAULT);
	for (i = 0; i < d.n_feeds; i++)
		feed_free(d.feeds[i]);
	free(d.feeds);
	for (i = 0; i < d.n_holds; i++)
		free(d.holds[i].host);
	free(d.holds);
	if (d.st)
		state_close(d.st);
	instance_unlock(&lock); /* after the database is closed (see instance.c) */
	config_free(d.cfg);
	uv_loop_close(&d.loop);
	buf_fini(&err);
	return rc;
}
