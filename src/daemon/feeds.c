/* SPDX-License-Identifier: MIT */
/* Each feed's life (see feeds.h): reconcile, the due-time heap, host holds, one attempt per feed
 * (fetch -> parse in slices -> pipeline run -> outcome), and the work lists that keep the loop
 * fair: no feed gets more than a slice of the loop at a time. */
#include "autoconfig.h"

#include "feeds.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "date.h"
#include "feed.h"
#include "heap.h"
#include "log.h"
#include "outcome.h"
#include "smap.h"
#include "url.h"

#define BUF_MAX (128u * 1024)     /* body bytes taken from curl before the transfer pauses */
#define BUF_MIN (16u * 1024)      /* the buffer's first size: most feeds are smaller */
#define SLICE_BYTES 1024u         /* pushed into the parser at once */
#define SLICE_NS 2000000u         /* one feed's turn: about 2 ms of parsing */
#define PUMP_NS 10000000u         /* one loop iteration's parsing, all feeds together */
#define RUN_BACKLOG 64u           /* articles of one run in the pipeline before parsing waits */
#define SYNC_MAX (1024u * 1024)   /* a transfer that cannot pause is parsed at once beyond this */

enum phase { IDLE, FETCHING, DRAINING, REMOVED };
enum list { L_NONE, L_READY, L_BLOCKED };

/* The attempt in flight: one fetch of one feed, parsed and handed to one pipeline run.
 * Allocated when it starts and freed by its last callback: an idle feed holds none of it. */
struct attempt {
	struct fetch *fetch;	/* until its done callback */
	struct feed_parser *parser;
	struct feed_run *run;	/* until its done callback */
	struct fetch_outcome fo;
	char *buf;		/* body taken from curl, not parsed yet: [off, len) */
	size_t len, off, cap;
	int fetched, ended, abandoned, parse_stopped;
	uint64_t started_ms, fetched_ms;
	size_t bytes; /* body bytes received */
};

struct feed {
	struct feeds *fs;
	const char *name;	     /* st.name: the name map's key */
	const struct feed_conf *conf; /* NULL once removed; conf->url is the URL map's key */
	struct feed_state st;
	/* small fields, packed: one feed is a few hundred bytes, times 100,000 */
	unsigned char phase;	/* enum phase */
	unsigned char list;	/* enum list: parse work waiting, ready or blocked on the backlog */
	unsigned twin : 1;	/* another feed has its URL: not fetched */
	unsigned paused : 1;	/* by `feedspool ctl pause`: not scheduled (kept across reloads) */
	unsigned refresh : 1;	/* `ctl refresh` while busy: due again right after this attempt */
	unsigned seen : 1;	/* in the configuration being reconciled */
	unsigned done_once : 1, failed : 1; /* `once`: its fetch failed or could not start */
	struct attempt *at;	/* NULL when idle */
	struct heap_node due;	/* in the heap while waiting to be due */
	struct feed *prev, *next; /* every configured feed */
	struct feed *wprev, *wnext; /* in a work list */
};

struct hold {
	char *host;
	int64_t until;
	struct hold *next;
};

struct wlist {
	struct feed *head, *tail;
	size_t n;
};

struct feeds {
	struct feeds_env env;
	struct feeds_cbs cbs;
	void *ud;
	const struct config *cfg;
	struct smap by_name, holds;
	struct smap by_url; /* during feeds_reconcile only: twins are found there */
	struct hold *hold_list;
	struct heap due;
	struct feed *head, *tail; /* removed feeds still in flight stay listed until freed */
	size_t n, n_removed, busy;
	int reconciled;
	struct wlist ready, blocked;
	uv_idle_t pump;	  /* active while some feed has parse work it may do */
	uv_check_t watch; /* active while some feed waits for its backlog to shrink */
};

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

static struct feed *of_node(struct heap_node *n)
{
	return (struct feed *)(void *)((char *)n - offsetof(struct feed, due));
}

static void attempt_drained(struct feed *f);
static void feed_unlink(struct feeds *fs, struct feed *f);
static void on_pump(uv_idle_t *h);
static void on_watch(uv_check_t *h);

/* ---- the work lists -------------------------------------------------------------------------- */

static struct wlist *wlist_of(struct feeds *fs, enum list l)
{
	return l == L_READY ? &fs->ready : &fs->blocked;
}

static void work_unlink(struct feed *f)
{
	struct wlist *l;

	if (f->list == L_NONE)
		return;
	l = wlist_of(f->fs, f->list);
	*(f->wprev ? &f->wprev->wnext : &l->head) = f->wnext;
	*(f->wnext ? &f->wnext->wprev : &l->tail) = f->wprev;
	f->wprev = f->wnext = NULL;
	f->list = L_NONE;
	l->n--;
}

static void work_append(struct feed *f, enum list which)
{
	struct wlist *l = wlist_of(f->fs, which);

	f->wprev = l->tail;
	f->wnext = NULL;
	*(l->tail ? &l->tail->wnext : &l->head) = f;
	l->tail = f;
	l->n++;
	f->list = which;
	if (which == L_READY && !uv_is_active((uv_handle_t *)&f->fs->pump))
		uv_idle_start(&f->fs->pump, on_pump);
	if (which == L_BLOCKED && !uv_is_active((uv_handle_t *)&f->fs->watch))
		uv_check_start(&f->fs->watch, on_watch);
}

static int backlogged(const struct feed *f)
{
	return pipeline_run_pending(f->at->run) >= RUN_BACKLOG;
}

/* Puts the feed where its attempt's state says: parse work (ready or blocked), or none; a
 * fetched body wholly parsed ends the run. */
static void work_update(struct feed *f)
{
	struct attempt *a = f->at;
	enum list want = L_NONE;

	if (a->off < a->len && !a->abandoned)
		want = backlogged(f) ? L_BLOCKED : L_READY;
	if (want != f->list) {
		work_unlink(f);
		if (want != L_NONE)
			work_append(f, want);
	}
	if (want == L_NONE && a->fetched && !a->ended)
		attempt_drained(f);
}

/* Pushes the next piece of the buffered body into the parser: 0, or -1 when the document
 * cannot be parsed further (then it is not worth downloading further either). */
static int push_piece(struct feed *f)
{
	struct attempt *a = f->at;
	size_t n = a->len - a->off < SLICE_BYTES ? a->len - a->off : SLICE_BYTES;
	int rc = feed_parser_push(a->parser, a->buf + a->off, n);

	a->off += n;
	if (rc < 0 && feed_parser_error(a->parser, NULL)) {
		a->parse_stopped = 1;
		a->off = a->len;
		fetcher_cancel(a->fetch);
		return -1;
	}
	return 0;
}

/* One turn of one feed: parse up to SLICE_NS of its buffered body, while its backlog allows. */
static void slice(struct feed *f)
{
	struct attempt *a = f->at;
	uint64_t t0 = uv_hrtime();

	while (a->off < a->len && !backlogged(f))
		if (push_piece(f) < 0 || uv_hrtime() - t0 > SLICE_NS)
			break;
	if (a->off == a->len) {
		a->off = a->len = 0;
		/* may deliver the held chunk into the buffer at once */
		if (a->fetch && fetch_paused(a->fetch))
			fetch_resume(a->fetch);
	}
}

static void on_pump(uv_idle_t *h)
{
	struct feeds *fs = h->data;
	uint64_t t0 = uv_hrtime();
	size_t turns = fs->ready.n;
	struct feed *f;

	while (turns-- > 0 && (f = fs->ready.head) && uv_hrtime() - t0 < PUMP_NS) {
		work_unlink(f);
		slice(f);
		work_update(f); /* back at the tail when it has more: round robin */
	}
	if (!fs->ready.n)
		uv_idle_stop(&fs->pump);
}

/* After each loop iteration: feeds whose backlog shrank may parse again. */
static void on_watch(uv_check_t *h)
{
	struct feeds *fs = h->data;
	struct feed *f, *next;

	for (f = fs->blocked.head; f; f = next) {
		next = f->wnext;
		if (!backlogged(f))
			work_update(f);
	}
	if (!fs->blocked.n)
		uv_check_stop(&fs->watch);
}

/* ---- host holds (429/503 with Retry-After) -------------------------------------------------- */

static int64_t host_hold(struct feeds *fs, const char *url)
{
	struct hold *h;
	char *host;

	if (!fs->holds.n || !(host = url_host(url)))
		return 0;
	h = smap_get(&fs->holds, host);
	free(host);
	return h && h->until > now_s() ? h->until : 0;
}

static void host_hold_set(struct feeds *fs, const char *url, int64_t until)
{
	char *host = url_host(url);
	struct hold *h;

	if (!host)
		return;
	if ((h = smap_get(&fs->holds, host))) {
		free(host);
		if (until > h->until)
			h->until = until;
		return;
	}
	if (!(h = calloc(1, sizeof *h)) || smap_put(&fs->holds, host, h) < 0) {
		free(h);
		free(host);
		return;
	}
	h->host = host;
	h->until = until;
	h->next = fs->hold_list;
	fs->hold_list = h;
	log_info("host %s asked to wait: holding its feeds until %lld", host, (long long)until);
}

/* ---- the schedule ----------------------------------------------------------------------------- */

/* Waits in the heap for its due time, unless it is busy, retired, a twin, or done (`once`). */
static void schedule(struct feed *f)
{
	struct feeds *fs = f->fs;

	if (f->phase != IDLE || f->st.retired || f->twin || f->paused || fs->env.leases ||
	    (fs->env.once && f->done_once)) {
		heap_remove(&fs->due, &f->due);
		return;
	}
	if (heap_set(&fs->due, &f->due, fs->env.once ? 0 : f->st.next_due) < 0)
		log_err("feed %s: out of memory: not scheduled", f->name);
}

int64_t feeds_next_due(const struct feeds *fs)
{
	struct heap_node *n = heap_top(&fs->due);

	return n ? n->key : INT64_MAX;
}

size_t feeds_due_count(const struct feeds *fs)
{
	return fs->due.n;
}

size_t feeds_count(const struct feeds *fs)
{
	return fs->n - fs->n_removed;
}

size_t feeds_busy(const struct feeds *fs)
{
	return fs->busy;
}

/* ---- one attempt ------------------------------------------------------------------------------ */

/* The feed's attempt, ended: what it held is freed with it. */
static void attempt_free(struct feed *f)
{
	struct attempt *a = f->at;

	if (!a)
		return;
	feed_parser_free(a->parser);
	fetch_outcome_fini(&a->fo);
	free(a->buf);
	free(a);
	f->at = NULL;
}

static int on_article(void *ud, struct article *a, const struct feed_info *fi)
{
	struct feed *f = ud;

	pipeline_run_article(f->at->run, a, fi);
	return 0;
}

static int on_known(void *ud, const struct article *a)
{
	struct feed *f = ud;

	return pipeline_run_known(f->at->run, a);
}

static struct feed_parser *make_parser(struct feed *f)
{
	struct attempt *a = f->at;
	struct feed_parser_opts po = {0};

	po.name = f->name;
	po.url = fetch_effective_url(a->fetch) ? fetch_effective_url(a->fetch) : f->st.url;
	po.content_type = fetch_content_type(a->fetch);
	po.max_bytes = f->conf ? f->conf->s.max_bytes : 0;
	po.fetched = now_s();
	po.known = on_known;
	po.known_ud = f;
	return feed_parser_new(&po, on_article, f);
}

/* Body data from curl: taken into the feed's buffer (parsed from the loop, in slices), or
 * left with curl (the transfer pauses) while the buffer is full. */
static int on_data(void *ud, const char *data, size_t n)
{
	struct feed *f = ud;
	struct attempt *a = f->at;
	size_t left = a->len - a->off;

	if (a->abandoned || a->parse_stopped)
		return 1;
	if (!a->parser && !(a->parser = make_parser(f)))
		return 1;
	if (left > 0 && left + n > BUF_MAX && fetch_can_pause(a->fetch))
		return FETCH_PAUSE;
	if (!a->buf) {
		a->cap = n > BUF_MIN ? n : BUF_MIN;
		if (!(a->buf = malloc(a->cap)))
			return 1;
	}
	if (a->off > 0) {
		memmove(a->buf, a->buf + a->off, left);
		a->off = 0;
		a->len = left;
	}
	if (a->len + n > a->cap) { /* up to BUF_MAX; beyond, a transfer that cannot pause (its
				  * body capped by max_bytes) */
		size_t cap = a->cap * 2 > a->len + n ? a->cap * 2 : a->len + n;
		char *b;

		if (cap > BUF_MAX && a->len + n <= BUF_MAX)
			cap = BUF_MAX;
		if (!(b = realloc(a->buf, cap)))
			return 1;
		a->buf = b;
		a->cap = cap;
	}
	memcpy(a->buf + a->len, data, n);
	a->len += n;
	/* curl would hold the decoded rest of a compressed read, or the rest of a file, if it
	 * were paused: such a transfer is parsed here once SYNC_MAX waits (as fast as it comes) */
	while (a->len - a->off > SYNC_MAX && !fetch_can_pause(a->fetch))
		if (push_piece(f) < 0)
			return 0;
	work_update(f);
	return 0;
}

static void on_fetched(void *ud, const struct fetch_result *r)
{
	struct feed *f = ud;
	struct attempt *a = f->at;

	a->fetch = NULL;
	a->fetched = 1;
	a->fetched_ms = uv_now(f->fs->env.loop);
	a->bytes = r->bytes;
	/* with the log line of its outcome, how long recording took after the transfer */
	log_debug("fetch of feed %s done after %.2f s (%s)", f->name,
		  (double)(a->fetched_ms - a->started_ms) / 1000.0, r->message);
	if (f->phase == FETCHING)
		f->phase = DRAINING;
	if (!a->abandoned && fetch_outcome_set(&a->fo, r) < 0)
		log_err("feed %s: out of memory", f->name);
	/* the parse stopped the transfer because the document is broken: that is the result,
	 * not curl's "aborted by the receiver" */
	if (a->fo.error && a->parse_stopped) {
		a->fo.error = 0;
		if (!a->fo.status)
			a->fo.status = 200; /* a file: URL, which has no status of its own */
	}
	work_update(f);
}

/* Every byte is parsed (or the attempt abandoned): the parser's verdict, then the run ends. */
static void attempt_drained(struct feed *f)
{
	struct attempt *a = f->at;
	struct fetch_outcome *fo = &a->fo;

	if (a->parser && !a->abandoned) {
		long line = 0;
		const char *e;

		if (feed_parser_finish(a->parser) < 0 && (e = feed_parser_error(a->parser, &line))) {
			fo->parse_failed = 1;
			if (line > 0)
				snprintf(fo->parse_message, sizeof fo->parse_message, "line %ld: %s",
					 line, e);
			else
				snprintf(fo->parse_message, sizeof fo->parse_message, "%s", e);
		}
		fetch_outcome_hints(fo, feed_parser_info(a->parser));
	} else if (!a->parser && !a->abandoned && fo->status == 200 && !fo->error) {
		fo->parse_failed = 1;
		snprintf(fo->parse_message, sizeof fo->parse_message, "empty document");
	}
	feed_parser_free(a->parser);
	a->parser = NULL;
	free(a->buf); /* the run may last: what it no longer needs goes now */
	a->buf = NULL;
	a->len = a->off = a->cap = 0;
	a->ended = 1;
	pipeline_run_end(a->run); /* its done callback comes later, from the loop */
}

/* Gives up the attempt: the transfer is cancelled, the rest of the body is not parsed, the
 * outcome is not recorded. What the pipeline holds already completes. */
static void abandon(struct feed *f)
{
	struct attempt *a = f->at;

	if (!a || !a->run || a->abandoned)
		return;
	a->abandoned = 1;
	a->off = a->len = 0;
	if (a->fetch)
		fetcher_cancel(a->fetch); /* on_fetched follows, from the loop */
	else
		work_update(f);
}

/* Addresses in log lines go without their user:password@. */
static void log_events(struct feed *f, const struct outcome *o)
{
	char *from, *to;

	if (o->events & OUTCOME_MOVED) {
		from = url_strip_userinfo(f->st.moved_from);
		to = url_strip_userinfo(f->st.url);
		log_info("feed %s: moved permanently from %s to %s", f->name, from ? from : "?",
			 to ? to : "?");
		free(from);
		free(to);
	}
	if (o->events & OUTCOME_REDIRECT_SEEN) {
		to = url_strip_userinfo(f->st.pending_url);
		log_info("feed %s: permanent redirect to %s (moved if it holds next time)", f->name,
			 to ? to : "?");
		free(to);
	}
	if (o->events & OUTCOME_RETIRED)
		log_info("feed %s: 410 Gone: retired (remove it from the configuration)", f->name);
}

/* Saves the feed's state in the pipeline's batch, after the articles' records: validators
 * never run ahead of them. */
static void save_state(struct feed *f)
{
	struct feeds *fs = f->fs;

	if (fs->env.leases && !f->st.lease_no)
		return; /* the database's copy is another instance's to save */
	if (pipeline_txn(fs->env.pl) < 0)
		log_debug("feed %s: its state is saved after its next fetch (the state cannot be "
			  "written now)",
			  f->name);
	else if (fs->env.store->ops->feed_put(fs->env.store, &f->st) < 0)
		log_err("feed %s: cannot save its state: %s", f->name,
			fs->env.store->ops->error(fs->env.store));
	f->st.lease_no = 0; /* the save ends the lease (or it expires) */
}

/* A Retry-After hold, shared through the store (PostgreSQL: every instance) in the batch. */
static void save_hold(struct feed *f, int64_t until)
{
	struct store *s = f->fs->env.store;
	char *host;

	if (!s->ops->host_hold || pipeline_txn(f->fs->env.pl) < 0 || !(host = url_host(f->st.url)))
		return;
	if (s->ops->host_hold(s, host, until) < 0)
		log_err("host %s: cannot save its hold: %s", host, s->ops->error(s));
	free(host);
}

/* The outcome of a finished attempt: the feed's new state, its next due time, one log line. */
static void record(struct feed *f, const struct feed_run_result *r)
{
	struct feeds *fs = f->fs;
	struct attempt *a = f->at;
	struct outcome_input in = {0};
	struct outcome o;
	struct feeds_report rep = {0};
	char due[DATE_BUFSZ] = "";
	uint64_t now_ms = uv_now(fs->env.loop);

	in.s = &f->conf->s;
	in.fo = &a->fo;
	in.run = r;
	in.now = now_s();
	in.host_hold = host_hold(fs, f->st.url);
	in.random = ((uint64_t)rand() << 31) ^ (uint64_t)rand();
	if (outcome_apply(&f->st, &in, &o) < 0 || outcome_schedule(&f->st, &o) < 0)
		log_err("feed %s: out of memory", f->name);
	log_events(f, &o);
	if (o.hold_until) {
		host_hold_set(fs, f->st.url, o.hold_until);
		save_hold(f, o.hold_until);
	}
	if (f->refresh) { /* `ctl refresh` came while it was busy */
		f->refresh = 0;
		f->st.next_due = in.now;
	}
	save_state(f);
	date_format(f->st.next_due, due, sizeof due);
	log_debug("feed %s recorded %.2f s after its fetch", f->name,
		  (double)(now_ms - a->fetched_ms) / 1000.0);
	if (fs->env.once && !fs->env.quiet)
		log_feed(LOG_LVL_INFO, f->st.url, "feed %s: %s (%.1f s)", f->name, o.result,
			 (double)(now_ms - a->started_ms) / 1000.0);
	else if (!fs->env.once)
		log_feed(LOG_LVL_INFO, f->st.url, "feed %s: %s; next %s (%s)", f->name, o.result,
			 due, f->st.due_reason);
	f->done_once = 1;
	f->failed = !o.ok;
	rep.name = f->name;
	rep.ok = o.ok;
	rep.result = o.result;
	rep.status = a->fo.status;
	rep.transfer_failed = a->fo.error != 0;
	rep.parse_failed = a->fo.parse_failed;
	rep.bytes = a->bytes;
	rep.seconds = (double)(now_ms - a->started_ms) / 1000.0;
	if (fs->cbs.recorded)
		fs->cbs.recorded(fs->ud, &rep);
}

static void feed_free(struct feed *f)
{
	if (!f)
		return;
	attempt_free(f);
	feed_state_fini(&f->st);
	free(f);
}

/* The pipeline run is done: the attempt's last callback. */
static void on_run_done(void *ud, const struct feed_run_result *r)
{
	struct feed *f = ud;
	struct feeds *fs = f->fs;

	if (!f->at->abandoned && f->phase != REMOVED && f->conf)
		record(f, r);
	if (f->st.lease_no && fs->env.leases) /* not recorded: its lease goes back */
		fs->env.leases->release(fs->env.leases->ud, f->name, f->st.lease_no, 0);
	f->st.lease_no = 0;
	work_unlink(f);
	attempt_free(f);
	fs->busy--;
	if (f->phase == REMOVED) {
		feed_unlink(fs, f);
		fs->n_removed--;
		feed_free(f);
	} else {
		f->phase = IDLE;
		schedule(f);
	}
	if (fs->cbs.settled)
		fs->cbs.settled(fs->ud);
}

void feeds_fill_request(struct fetch_request *req, const struct feed_settings *s)
{
	memset(req, 0, sizeof *req);
	req->user_agent = s->user_agent;
	req->headers = (const char *const *)s->headers;
	req->n_headers = s->n_headers;
	req->connect_timeout = s->connect_timeout;
	req->timeout = s->timeout;
	req->low_speed_limit = s->low_speed_limit;
	req->low_speed_time = s->low_speed_time;
	req->max_bytes = s->max_bytes;
	req->allow_private = s->allow_private;
	req->proxy = s->proxy && !strcmp(s->proxy, "none") ? "" : s->proxy;
	req->ca_file = s->ca_file;
	req->client_cert = s->client_cert;
	req->client_key = s->client_key;
	req->tls_insecure = !s->tls_verify;
}

static void start(struct feed *f)
{
	struct feeds *fs = f->fs;
	const struct feed_settings *s = &f->conf->s;
	struct attempt *a;
	struct fetch_request req;

	feeds_fill_request(&req, s);
	req.url = f->st.url;
	req.etag = f->st.etag;
	req.last_modified = f->st.last_modified;
	req.allow_file = fs->cfg->allow_file_urls;
	/* the feed's credentials go to the feed's own URL only (not to pages fulltext fetches) */
	req.username = s->username;
	req.password = s->password;
	req.cookie_file = s->cookie_file;
	attempt_free(f);
	if (!(a = f->at = calloc(1, sizeof *a)) ||
	    !(a->run = pipeline_run_begin(fs->env.pl, f->name, on_run_done, f))) {
		attempt_free(f);
		log_err("feed %s: out of memory: tried again in a minute", f->name);
		f->st.next_due = now_s() + 60;
		schedule(f);
		return;
	}
	pipeline_run_set_revisions(a->run, s->revisions);
	/* catch-up: the first successful fetch records what the feed lists, writes none of it */
	pipeline_run_set_catchup(a->run, (s->catchup || fs->env.catchup) && !f->st.last_success);
	f->phase = FETCHING;
	fs->busy++;
	a->started_ms = uv_now(fs->env.loop);
	if (!(a->fetch = fetcher_start(fs->env.fetcher, &req, on_data, on_fetched, f))) {
		snprintf(a->fo.message, sizeof a->fo.message, "cannot start the transfer");
		a->fo.error = -EINVAL;
		a->fetched = 1;
		a->fetched_ms = a->started_ms;
		f->phase = DRAINING;
		attempt_drained(f);
	}
}

void feeds_start_due(struct feeds *fs, int64_t now, size_t limit)
{
	struct heap_node *n;

	while (fs->busy < limit && (n = heap_top(&fs->due)) && n->key <= now) {
		struct feed *f = of_node(n);
		int64_t hold = fs->env.once ? 0 : host_hold(fs, f->st.url);

		if (hold > now) {
			heap_set(&fs->due, n, hold); /* looked at again when its host may be asked */
			continue;
		}
		heap_remove(&fs->due, n);
		start(f);
	}
}

int feeds_start_leased(struct feeds *fs, const struct feed_state *st)
{
	struct feed *f = st->name ? smap_get(&fs->by_name, st->name) : NULL;

	if (!f || !f->conf)
		return -ENOENT;
	if (f->phase != IDLE || f->paused || f->twin)
		return -EBUSY;
	if (feed_state_copy(&f->st, st) < 0)
		return -ENOMEM;
	start(f);
	return 0;
}

void feeds_each_lease(const struct feeds *fs,
		      void (*fn)(void *ud, const char *name, int64_t lease_no), void *ud)
{
	for (const struct feed *f = fs->head; f; f = f->next)
		if (f->at && f->st.lease_no)
			fn(ud, f->name, f->st.lease_no);
}

void feeds_skip_due(struct feeds *fs, int64_t now, const char *why)
{
	struct heap_node *n;

	while ((n = heap_top(&fs->due)) && n->key <= now) {
		struct feed *f = of_node(n);
		struct feeds_report rep = {0};

		heap_remove(&fs->due, n);
		f->done_once = 1;
		f->failed = 1;
		log_warnx("feed %s: not fetched: %s", f->name, why);
		rep.name = f->name;
		rep.not_fetched = 1;
		rep.result = why;
		if (fs->cbs.recorded)
			fs->cbs.recorded(fs->ud, &rep);
	}
}

void feeds_failed_names(const struct feeds *fs, struct buf *out)
{
	const struct feed *f;
	size_t n = 0;

	for (f = fs->head; f; f = f->next) {
		if (!f->failed || f->phase == REMOVED)
			continue;
		if (n++ < 20)
			buf_printf(out, "%s%s", n == 1 ? " (" : ", ", f->name);
	}
	if (n > 20)
		buf_printf(out, " and %zu more", n - 20);
	if (n > 0)
		buf_putc(out, ')');
}

void feeds_abandon(struct feeds *fs)
{
	struct feed *f;

	for (f = fs->head; f; f = f->next)
		abandon(f);
	/* removed feeds in flight abandoned themselves when they were removed */
}

/* ---- reconcile: one rule for start-up and reload ------------------------------------------- */

/* The store's answer for one feed: a copy of what it saved (rc 1), or nothing (0, negative).
 * An answer that comes after the call finds the load abandoned and only frees it. */
struct feed_load {
	struct feed_state st;
	int rc, answered, abandoned;
};

static void on_feed_state(void *ud, int rc, const struct feed_state *src)
{
	struct feed_load *l = ud;
	struct feed_state *st = &l->st;

	if (l->abandoned) {
		free(l);
		return;
	}
	l->answered = 1;
	if ((l->rc = rc) <= 0)
		return;
	if (feed_state_copy(st, src) < 0 || !st->name || !st->url)
		l->rc = -ENOMEM;
}

static struct feed *feed_new(struct feeds *fs, const struct feed_conf *fc)
{
	struct feed_load *l = calloc(1, sizeof *l);
	int rc = 0;
	struct feed *f = calloc(1, sizeof *f);

	if (!l || !f) {
		free(l);
		free(f);
		return NULL;
	}
	f->fs = fs;
	feed_state_init(&f->st);
	/* the reconcile needs the answer at once: a store answers this read within the call */
	fs->env.store->ops->feed_get(fs->env.store, fc->name, on_feed_state, l);
	if (!l->answered) {
		l->abandoned = 1;
		log_err("feed %s: the store did not answer its saved state at once: fetched as new",
			fc->name);
	} else {
		if ((rc = l->rc) > 0)
			f->st = l->st;
		else
			feed_state_fini(&l->st);
		free(l);
	}
	if (rc <= 0) {
		feed_state_fini(&f->st);
		feed_state_init(&f->st);
		f->st.name = strdup(fc->name);
		f->st.url = strdup(fc->url);
		f->st.due_reason = strdup("new feed");
		f->st.next_due = now_s();
		if (!f->st.name || !f->st.url || !f->st.due_reason)
			goto fail;
	}
	f->name = f->st.name;
	return f;
fail:
	feed_free(f);
	return NULL;
}

/* Whether the configuration gives the feed another address. The URL it was configured with
 * before: the previous configuration's (alive until the reconcile returns) for a feed it had;
 * for a feed new to this process, the state's (unless a permanent redirect moved the feed,
 * which the configuration does not follow). */
static int url_changed(const struct feed *f, const char *url)
{
	if (f->conf)
		return strcmp(f->conf->url, url) != 0;
	return !f->st.moved_from && strcmp(f->st.url, url) != 0;
}

/* A new address takes effect at once, for a busy feed too: validators, `retired`, redirects
 * and failures belonged to the old one; an attempt in flight is abandoned. */
static int url_change(struct feed *f, const char *url)
{
	struct feed_state *st = &f->st;
	char *u = strdup(url), *why = strdup("URL changed"), *bare = url_strip_userinfo(url);

	if (!u || !why || !bare) {
		free(u);
		free(why);
		free(bare);
		return -ENOMEM;
	}
	log_info("feed %s: new URL %s (validators cleared)", f->name, bare);
	free(bare);
	free(st->url);
	st->url = u;
	free(st->etag);
	free(st->last_modified);
	free(st->pending_url);
	free(st->moved_from);
	st->etag = st->last_modified = st->pending_url = st->moved_from = NULL;
	st->retired = 0;
	st->failures = 0;
	st->next_due = now_s();
	free(st->due_reason);
	st->due_reason = why;
	f->done_once = 0;
	abandon(f);
	save_state(f);
	return 0;
}

static void feed_link(struct feeds *fs, struct feed *f)
{
	f->prev = fs->tail;
	*(fs->tail ? &fs->tail->next : &fs->head) = f;
	fs->tail = f;
	fs->n++;
}

static void feed_unlink(struct feeds *fs, struct feed *f)
{
	*(f->prev ? &f->prev->next : &fs->head) = f->next;
	*(f->next ? &f->next->prev : &fs->tail) = f->prev;
	f->prev = f->next = NULL;
	fs->n--;
}

static void feed_remove(struct feeds *fs, struct feed *f)
{
	log_info("reload: feed %s removed (its state is kept)", f->name);
	smap_del(&fs->by_name, f->name, f);
	heap_remove(&fs->due, &f->due);
	f->conf = NULL;
	if (!f->at) {
		feed_unlink(fs, f);
		feed_free(f);
		return;
	}
	f->phase = REMOVED; /* freed by its attempt's last callback */
	fs->n_removed++;
	abandon(f);
}

/* The same URL under two names is fetched once, as the first of them in the configuration. */
static int twin_check(struct feeds *fs, struct feed *f)
{
	struct feed *owner = smap_get(&fs->by_url, f->conf->url);

	if (owner && owner != f) {
		if (!f->twin)
			log_warnx("feed %s: same URL as feed %s: not fetched (its articles come "
				  "under %s)",
				  f->name, owner->name, owner->name);
		f->twin = 1;
		return 0;
	}
	f->twin = 0;
	return smap_put(&fs->by_url, f->conf->url, f);
}

/* One configured feed: found by name or added; its URL and twin status brought up to date. */
static int reconcile_one(struct feeds *fs, const struct feed_conf *fc)
{
	struct feed *f = smap_get(&fs->by_name, fc->name);
	int changed;

	if (!f) {
		if (!(f = feed_new(fs, fc)))
			return -ENOMEM;
		if (smap_put(&fs->by_name, f->name, f) < 0) {
			feed_free(f);
			return -ENOMEM;
		}
		feed_link(fs, f);
		if (fs->reconciled)
			log_info("reload: new feed %s", f->name);
	}
	changed = url_changed(f, fc->url); /* before conf moves to the new configuration */
	f->conf = fc;
	f->seen = 1;
	if (changed && url_change(f, fc->url) < 0)
		return -ENOMEM;
	if (twin_check(fs, f) < 0)
		return -ENOMEM;
	schedule(f);
	return 0;
}

int feeds_reconcile(struct feeds *fs, const struct config *c)
{
	struct feed *f, *next;
	size_t i;
	int rc = 0;

	fs->cfg = c;
	for (f = fs->head; f; f = f->next)
		f->seen = 0;
	/* on to the end whatever fails: every feed kept must point into c afterwards */
	for (i = 0; i < c->n_feeds; i++)
		if (reconcile_one(fs, &c->feeds[i]) < 0)
			rc = -ENOMEM;
	smap_fini(&fs->by_url); /* a feed's twin status holds until the next reconcile */
	for (f = fs->head; f; f = next) {
		next = f->next;
		if (!f->seen && f->phase != REMOVED)
			feed_remove(fs, f);
	}
	fs->reconciled = 1;
	return rc;
}

/* ---- life ------------------------------------------------------------------------------------- */

static void on_closed(uv_handle_t *h)
{
	(void)h;
}

struct feeds *feeds_new(const struct feeds_env *env, const struct feeds_cbs *cbs, void *ud)
{
	struct feeds *fs = calloc(1, sizeof *fs);

	if (!fs)
		return NULL;
	fs->env = *env;
	if (cbs)
		fs->cbs = *cbs;
	fs->ud = ud;
	fs->holds.nocase = 1;
	uv_idle_init(env->loop, &fs->pump);
	uv_check_init(env->loop, &fs->watch);
	fs->pump.data = fs->watch.data = fs;
	return fs;
}

/* The handles are closed here; the caller runs the loop once more before the memory goes
 * (feeds_free is called after the last uv_run, which has closed them: see daemon.c). */
void feeds_close(struct feeds *fs)
{
	if (!fs)
		return;
	uv_close((uv_handle_t *)&fs->pump, on_closed);
	uv_close((uv_handle_t *)&fs->watch, on_closed);
}

void feeds_free(struct feeds *fs)
{
	struct feed *f, *next;
	struct hold *h;

	if (!fs)
		return;
	for (f = fs->head; f; f = next) {
		next = f->next;
		feed_free(f);
	}
	while ((h = fs->hold_list)) {
		fs->hold_list = h->next;
		free(h->host);
		free(h);
	}
	smap_fini(&fs->by_name);
	smap_fini(&fs->by_url);
	smap_fini(&fs->holds);
	heap_fini(&fs->due);
	free(fs);
}

/* ---- control (`feedspool ctl`) ---------------------------------------------------------------- */

static struct feed *configured(const struct feeds *fs, const char *name, struct buf *err)
{
	struct feed *f = smap_get(&fs->by_name, name);

	if (!f || !f->conf) {
		buf_printf(err, "no feed named %s", name);
		return NULL;
	}
	return f;
}

/* Due now: an idle feed is fetched at the next turn of the schedule, a busy one once more
 * right after its attempt (its outcome would otherwise set the next due time). */
static void refresh_one(struct feed *f)
{
	f->st.next_due = now_s();
	free(f->st.due_reason);
	f->st.due_reason = strdup("refresh (feedspool ctl)");
	if (f->phase == IDLE)
		schedule(f);
	else
		f->refresh = 1;
}

int feeds_refresh(struct feeds *fs, const char *name, struct buf *err)
{
	struct feed *f;

	if (name) {
		if (!(f = configured(fs, name, err)))
			return -ENOENT;
		if (f->paused || f->twin || f->st.retired) {
			buf_printf(err, "feed %s is %s", name,
				   f->paused ? "paused (resume it first)" :
				   f->twin ? "not fetched (another feed has its URL)" : "retired (410 Gone)");
			return -EPERM;
		}
		refresh_one(f);
		if (fs->env.leases) /* whichever instance claims it first */
			fs->env.leases->refresh(fs->env.leases->ud, name);
		return 0;
	}
	if (fs->env.leases)
		fs->env.leases->refresh(fs->env.leases->ud, NULL);
	for (f = fs->head; f; f = f->next)
		if (f->conf && !f->paused && !f->twin && !f->st.retired)
			refresh_one(f);
	return 0;
}

int feeds_pause(struct feeds *fs, const char *name, int paused, struct buf *err)
{
	struct feed *f = configured(fs, name, err);

	if (!f)
		return -ENOENT;
	f->paused = paused != 0;
	schedule(f); /* out of the heap while paused; back with its own due time on resume */
	return 0;
}

static const char *phase_name(enum phase p)
{
	return p == IDLE ? "idle" : p == FETCHING ? "fetching" : p == DRAINING ? "draining" : "removed";
}

json_t *feeds_status(const struct feeds *fs)
{
	json_t *arr = json_array();
	char due[DATE_BUFSZ], ok[DATE_BUFSZ];

	for (const struct feed *f = fs->head; arr && f; f = f->next) {
		if (!f->conf)
			continue;
		char *url = url_strip_userinfo(f->conf->url); /* no credentials shown */

		date_format(f->st.next_due, due, sizeof due);
		date_format(f->st.last_success, ok, sizeof ok);
		json_array_append_new(
			arr, json_pack("{ss* ss ss sb sb sb si ss* ss* ss* ss*}", "name", f->name, "url",
				       url, "state", phase_name(f->phase), "paused", f->paused,
				       "twin", f->twin, "retired", f->st.retired, "failures",
				       f->st.failures, "last_result", f->st.last_result, "last_success",
				       f->st.last_success ? ok : NULL, "next_due",
				       f->paused || f->twin || f->st.retired ? NULL : due, "due_reason",
				       f->st.due_reason));
		free(url);
	}
	return arr;
}

void feeds_counts(const struct feeds *fs, size_t *failing, size_t *paused)
{
	*failing = *paused = 0;
	for (const struct feed *f = fs->head; f; f = f->next) {
		if (!f->conf)
			continue;
		*failing += f->st.failures > 0;
		*paused += f->paused;
	}
}
