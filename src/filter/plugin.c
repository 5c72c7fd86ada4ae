/* SPDX-License-Identifier: MIT */
/* Filter plugins, host side: loads shared objects, checks their ABI, and runs the filter chain
 * that keeps or drops each article, with deferred answers, annotations and counters. */
#include "autoconfig.h"

#include <dlfcn.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <uv.h>

#include <feedspool/plugin.h>

#include "log.h"
#include "plugin.h"

#ifndef PKGLIBDIR
#define PKGLIBDIR "/usr/local/lib/feedspool"
#endif

/* Caps on what a plugin may hand the host for one article. */
#define MAX_NAME 256	 /* bytes of a topic name, a matched phrase, a tag */
#define MAX_MATCHED 64	 /* matched phrases of one topic */
#define MAX_TOPICS 64	 /* topics of one article */
#define MAX_TAGS 64	 /* tags of one article */
#define MAX_REASON 1024	 /* bytes of one filter's explanation */
#define MAX_MESSAGE 1024 /* bytes of one log message */
/* How long a deferred answer may take unless the filter's answer_timeout says otherwise. */
#define DEFAULT_ANSWER_TIMEOUT_MS 60000

/* A plugin stays mapped once loaded: the close callbacks of libuv handles it closed in fini()
 * run after fini() returns, and a reload then finds the same object. */
#ifdef RTLD_NODELETE
#define DLOPEN_KEEP RTLD_NODELETE
#else
#define DLOPEN_KEEP 0
#endif

#define container_of(p, type, member) ((type *)(void *)((char *)(p)-offsetof(type, member)))

/* One loaded shared object; it may back several filters. */
struct plugin_so {
	struct plugin_so *next;
	char *path;
	void *handle;
	const struct feedspool_plugin *desc;
};

/* A list of shell patterns (fnmatch), owned. */
struct patterns {
	char **v;
	size_t n;
};

/* One [filter NAME] section: an instance of a plugin. */
struct filter {
	struct feedspool_host host; /* handed to the plugin; host_of() finds the filter from it */
	struct filter_chain *chain;
	char *name;
	struct plugin_so *so;
	struct patterns feeds, categories; /* its scope; both empty: every feed */
	enum on_error on_error;
	uint64_t answer_timeout_ms;
	void *state;
	int live;	       /* init() succeeded, fini() is due */
	struct buf *init_errs; /* while init() runs: its error messages, for the config error */
	uint64_t kept, dropped, errors, pending, in_flight, ns;
};

struct run;

/* One filter() call, from the call until its verdict is known. The plugin's handle for it is
 * its token, never its address: a handle kept past its call (answered twice, abandoned, timed
 * out) cannot name a later call that happens to reuse the memory. */
struct call {
	struct call *prev, *next; /* every call in progress (calls_live), to refuse stale handles */
	uintptr_t token;
	struct run *run;
	struct filter *f;
	int in_filter; /* filter() has not returned yet */
	int answered;  /* complete() was called from inside filter() */
	int verdict;
	uint64_t deadline; /* uv_now() by which a deferred answer must come */
	char *json;	   /* article_json()'s text, made on the first request */
	size_t json_len;
};

/* One article on its way through the chain. */
struct run {
	struct run *prev, *next; /* the chain's runs in flight */
	struct filter_chain *chain;
	struct article *a;
	struct feedspool_article view;
	struct feedspool_person *persons;
	struct feedspool_enclosure *encs;
	struct feedspool_link *links;
	const char **link_texts;
	struct feedspool_image *images;
	struct feedspool_topic *topics; /* the view of a->topics and a->tags, refreshed before */
	const char **tags;		/* each filter (a->tags moves as tags are added) */
	size_t topics_cap, tags_cap;
	struct feed_info feed; /* a copy: a deferred answer may outlive the caller's */
	struct feedspool_feed feedv;
	struct feedspool_person *feed_persons;
	const char *category; /* the feed's category in the configuration (chain-owned) */
	char *feed_json;      /* the feed object's JSON text, made on the first article_json() */
	size_t next_filter;
	struct call *call; /* the pending call, if any */
	struct buf reason;
	filter_done_fn done;
	void *ud;
};

/* A configured feed's category, for the filters scoped by category (sorted by name). */
struct feed_category {
	char *name, *category;
};

struct filter_chain {
	struct filter *filters;
	size_t n_filters;
	struct feed_category *cats;
	size_t n_cats;
	struct plugin_so *sos;
	struct run *runs;
	size_t n_runs;
	size_t n_pending; /* runs waiting for a deferred answer */
	char *config_dir;
	uv_loop_t *loop;
	uv_timer_t *deadlines; /* the earliest deadline of a deferred answer; NULL without a loop */
	int closing;
};

/* Every host runs on one loop thread, so one list serves all chains. */
static struct call *calls_live;
static uintptr_t last_token;
/* Calls that ended lately (a ring), so that a handle used after its call names its filter. */
#define ENDED 256
static struct {
	uintptr_t token;
	char filter[64];
} ended[ENDED];
static size_t ended_next;

static void run_step(struct run *r);

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static struct filter *host_of(const struct feedspool_host *h)
{
	return container_of(h, struct filter, host);
}

/* The call, if it is one in progress; NULL for a stale or foreign handle. */
static struct call *call_find(const struct feedspool_call *handle)
{
	struct call *c;

	for (c = calls_live; c; c = c->next)
		if (c->token == (uintptr_t)handle)
			return c;
	return NULL;
}

static struct feedspool_call *handle_of(const struct call *c)
{
	return (struct feedspool_call *)c->token;
}

static struct call *call_new(struct run *r, struct filter *f)
{
	struct call *c = calloc(1, sizeof *c);

	if (!c)
		return NULL;
	c->run = r;
	c->f = f;
	if (++last_token == 0) /* never NULL */
		++last_token;
	c->token = last_token;
	c->next = calls_live;
	if (calls_live)
		calls_live->prev = c;
	calls_live = c;
	return c;
}

/* The filter of a call that ended lately with this handle, or NULL. */
static const char *ended_filter(const struct feedspool_call *handle)
{
	size_t i;

	for (i = 0; i < ENDED; i++)
		if (ended[i].token && ended[i].token == (uintptr_t)handle)
			return ended[i].filter;
	return NULL;
}

static void call_free(struct call *c)
{
	ended[ended_next].token = c->token;
	snprintf(ended[ended_next].filter, sizeof ended[ended_next].filter, "%s", c->f->name);
	ended_next = (ended_next + 1) % ENDED;
	if (c->prev)
		c->prev->next = c->next;
	else
		calls_live = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c->json);
	free(c);
}

/* Makes s fit a log line: control characters become spaces (a plugin cannot forge lines) and a
 * character cut at the end by truncation is dropped. */
static void clean_text(char *s)
{
	size_t n = strlen(s), k = 0, want;
	unsigned char lead;
	char *p;

	while (k < 3 && k < n && ((unsigned char)s[n - 1 - k] & 0xC0) == 0x80)
		k++;
	if (k < n) {
		lead = (unsigned char)s[n - 1 - k];
		want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
		if (want > k + 1)
			s[n - 1 - k] = '\0';
	}
	for (p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
}

/* ---- what the host offers plugins --------------------------------------------------------- */

__attribute__((format(printf, 3, 4))) static void
host_log(const struct feedspool_host *h, enum feedspool_log_level level, const char *fmt, ...)
{
	struct filter *f;
	char msg[MAX_MESSAGE];
	va_list ap;

	if (!h || !fmt)
		return;
	f = host_of(h);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	clean_text(msg);
	if (f->init_errs && level <= FEEDSPOOL_LOG_ERR) {
		/* init's errors become the configuration error, said once */
		buf_printf(f->init_errs, "%s%s", f->init_errs->len ? "\n" : "", msg);
		return;
	}
	switch ((int)level) {
	case FEEDSPOOL_LOG_ERR:
		log_err("filter %s: %s", f->name, msg);
		break;
	case FEEDSPOOL_LOG_WARNING:
		log_warnx("filter %s: %s", f->name, msg);
		break;
	case FEEDSPOOL_LOG_DEBUG:
		log_debug("filter %s: %s", f->name, msg);
		break;
	default:
		log_info("filter %s: %s", f->name, msg);
		break;
	}
}

/* The call an annotation is for, if it may still be annotated. */
static struct call *annotatable(struct feedspool_call *handle, const char *what)
{
	struct call *c = call_find(handle);
	const char *name;

	if (!c) {
		if ((name = ended_filter(handle)))
			log_err("filter %s: %s() for an article whose call is over (answered, "
				"abandoned or timed out): ignored",
				name, what);
		else
			log_err("a plugin called %s() with a call handle that is not in progress",
				what);
		return NULL;
	}
	if (c->answered) {
		log_err("filter %s: %s() after complete(): ignored", c->f->name, what);
		return NULL;
	}
	return c;
}

static int bad_string(const char *s)
{
	return !s || !*s || strnlen(s, MAX_NAME + 1) > MAX_NAME;
}

static int host_annotate_topic(struct feedspool_call *handle, const char *topic, double score,
			       const char *const *matched, size_t n_matched)
{
	struct call *c = annotatable(handle, "annotate_topic");
	size_t i;

	if (!c)
		return -EINVAL;
	if (bad_string(topic) || !isfinite(score) || (n_matched && !matched) ||
	    n_matched > MAX_MATCHED) {
		log_warnx("filter %s: annotate_topic(): invalid topic, score or phrases: ignored",
			  c->f->name);
		return -EINVAL;
	}
	for (i = 0; i < n_matched; i++)
		if (bad_string(matched[i])) {
			log_warnx("filter %s: annotate_topic(): invalid matched phrase: ignored",
				  c->f->name);
			return -EINVAL;
		}
	if (c->run->a->n_topics >= MAX_TOPICS)
		return -E2BIG;
	return article_add_topic(c->run->a, topic, score, matched, n_matched);
}

static int host_annotate_tag(struct feedspool_call *handle, const char *tag)
{
	struct call *c = annotatable(handle, "annotate_tag");

	if (!c)
		return -EINVAL;
	if (bad_string(tag)) {
		log_warnx("filter %s: annotate_tag(): invalid tag: ignored", c->f->name);
		return -EINVAL;
	}
	if (c->run->a->n_tags >= MAX_TAGS)
		return -E2BIG;
	return article_add_tag(c->run->a, tag);
}

static int host_explain(struct feedspool_call *handle, const char *reason)
{
	struct call *c = annotatable(handle, "explain");
	struct buf *b;
	char text[MAX_REASON + 1];
	size_t n;

	if (!c)
		return -EINVAL;
	if (!reason || !*reason)
		return 0;
	n = strnlen(reason, MAX_REASON);
	memcpy(text, reason, n);
	text[n] = '\0';
	clean_text(text);
	b = &c->run->reason;
	if (buf_printf(b, "%s%s: %s", b->len ? "; " : "", c->f->name, text) < 0)
		return -ENOMEM;
	log_debug("filter %s: article %s: %s", c->f->name, c->run->a->id, text);
	return 0;
}

/* The feed object's JSON text of run r, made once per run; NULL without a feed or memory. */
static const char *run_feed_json(struct run *r)
{
	json_t *j;

	if (r->feed_json || !r->view.feed)
		return r->feed_json;
	if ((j = feed_info_to_json(&r->feed))) {
		r->feed_json = json_dumps(j, JSON_COMPACT);
		json_decref(j);
	}
	return r->feed_json;
}

/* The article as the spool writes it (the same writer), for plugins that hand it on as JSON. */
static const char *host_article_json(struct feedspool_call *handle, size_t *len)
{
	struct call *c = call_find(handle);
	struct buf b = BUF_INIT;
	const char *feed;

	if (len)
		*len = 0;
	if (!c) {
		const char *name = ended_filter(handle);

		if (name)
			log_err("filter %s: article_json() for an article whose call is over "
				"(answered, abandoned or timed out): refused",
				name);
		else
			log_err("a plugin called article_json() with a call handle that is not in "
				"progress");
		return NULL;
	}
	if (!c->json) {
		feed = run_feed_json(c->run);
		if ((c->run->view.feed && !feed) || article_write_json(c->run->a, feed, &b) < 0 ||
		    !b.data) {
			log_err("filter %s: article %s: out of memory writing its JSON", c->f->name,
				c->run->a->id);
			buf_fini(&b);
			return NULL;
		}
		c->json_len = b.len;
		c->json = buf_steal(&b);
	}
	if (len)
		*len = c->json_len;
	return c->json;
}

/* Applies verdict v of filter f on article id; returns 1 when it drops the article. */
static int apply(struct filter *f, int v, const char *id)
{
	switch (v) {
	case FEEDSPOOL_KEEP:
		f->kept++;
		return 0;
	case FEEDSPOOL_DROP:
		f->dropped++;
		return 1;
	case FEEDSPOOL_ERROR:
		break;
	case FEEDSPOOL_PENDING: /* only complete() can hand it here */
		log_err(
		    "filter %s: complete() with FEEDSPOOL_PENDING, which is no answer: counted as "
		    "an error (article %s, on_error = %s)",
		    f->name, id, f->on_error == ON_ERROR_DROP ? "drop" : "keep");
		break;
	default:
		log_err(
		    "filter %s: invalid verdict %d, counted as an error (article %s, on_error = "
		    "%s)",
		    f->name, v, id, f->on_error == ON_ERROR_DROP ? "drop" : "keep");
		break;
	}
	f->errors++;
	return f->on_error == ON_ERROR_DROP;
}

static void run_free(struct run *r)
{
	free(r->persons);
	free(r->encs);
	free(r->links);
	free(r->link_texts);
	free(r->images);
	free(r->topics);
	free(r->tags);
	free(r->feed_persons);
	free(r->feed_json);
	feed_info_fini(&r->feed);
	buf_fini(&r->reason);
	free(r);
}

static void run_finish(struct run *r, enum filter_outcome outcome, const char *by)
{
	struct filter_chain *ch = r->chain;

	if (r->prev)
		r->prev->next = r->next;
	else
		ch->runs = r->next;
	if (r->next)
		r->next->prev = r->prev;
	ch->n_runs--;
	r->done(r->ud, outcome, by, r->reason.len ? r->reason.data : NULL);
	run_free(r);
}

/* Goes on after filter f answered v: next filter, or the end. */
static void run_answered(struct run *r, struct filter *f, int v)
{
	if (apply(f, v, r->a->id)) {
		run_finish(r, FILTER_DROP, f->name);
		return;
	}
	r->next_filter++;
	run_step(r);
}

/* The deferred call c of run r has its answer (or will never have one): forget it. */
static void call_settle(struct run *r, struct call *c)
{
	struct filter_chain *ch = r->chain;

	c->f->in_flight--;
	r->call = NULL;
	call_free(c);
	if (--ch->n_pending == 0 && ch->deadlines)
		uv_timer_stop(ch->deadlines);
}

static void on_deadline(uv_timer_t *t);

/* Makes the deadline timer fire by the earliest deadline of the chain's deferred calls. */
static void arm_deadlines(struct filter_chain *ch)
{
	uint64_t now, first = UINT64_MAX;
	struct run *r;

	if (!ch->deadlines || ch->closing)
		return;
	for (r = ch->runs; r; r = r->next)
		if (r->call && r->call->deadline < first)
			first = r->call->deadline;
	if (first == UINT64_MAX) {
		uv_timer_stop(ch->deadlines);
		return;
	}
	now = uv_now(ch->loop);
	uv_timer_start(ch->deadlines, on_deadline, first > now ? first - now : 0, 0);
}

/* A deferred answer that does not come by the filter's answer_timeout is an error: the plugin
 * may be stuck, and the article (and its feed) must not wait forever. */
static void on_deadline(uv_timer_t *t)
{
	struct filter_chain *ch = t->data;
	struct run *r;
	struct filter *f;
	uint64_t now = uv_now(ch->loop);

again:
	for (r = ch->runs; r; r = r->next) {
		if (!r->call || r->call->deadline > now)
			continue;
		f = r->call->f;
		log_err(
		    "filter %s: no answer for article %s within %llu ms (answer_timeout): counted "
		    "as an error (on_error = %s)",
		    f->name, r->a->id, (unsigned long long)f->answer_timeout_ms,
		    f->on_error == ON_ERROR_DROP ? "drop" : "keep");
		call_settle(r, r->call);
		/* the chain goes on, and may change the list of runs */
		run_answered(r, f, FEEDSPOOL_ERROR);
		goto again;
	}
	arm_deadlines(ch);
}

/* Run r waits for filter f's deferred answer to call c, until the filter's answer_timeout. */
static void wait_answer(struct run *r, struct filter *f, struct call *c)
{
	struct filter_chain *ch = r->chain;

	f->in_flight++;
	r->call = c;
	ch->n_pending++;
	if (!ch->deadlines)
		return;
	c->deadline = uv_now(ch->loop) + f->answer_timeout_ms;
	if (!uv_is_active((uv_handle_t *)ch->deadlines) ||
	    uv_timer_get_due_in(ch->deadlines) > f->answer_timeout_ms)
		arm_deadlines(ch);
}

static void host_complete(struct feedspool_call *handle, enum feedspool_verdict verdict)
{
	struct call *c = call_find(handle);
	struct run *r;
	struct filter *f;
	const char *name;

	if (!c) {
		if ((name = ended_filter(handle)))
			log_err(
			    "filter %s: complete() for an article whose call is over (answered, "
			    "abandoned or timed out): ignored",
			    name);
		else
			log_err("a plugin called complete() with a call handle that is not in "
				"progress (answered twice, or abandoned)");
		return;
	}
	if (c->answered) {
		log_err("filter %s: complete() called twice for one article", c->f->name);
		return;
	}
	if (c->in_filter) {
		/* answered from inside filter(): run_step takes it from here */
		c->answered = 1;
		c->verdict = (int)verdict;
		return;
	}
	r = c->run;
	f = c->f;
	call_settle(r, c);
	run_answered(r, f, (int)verdict);
}

/* ---- the chain ------------------------------------------------------------------------------- */

static int matches(const struct patterns *p, const char *s)
{
	size_t i;

	for (i = 0; s && i < p->n; i++)
		if (fnmatch(p->v[i], s, 0) == 0)
			return 1;
	return 0;
}

/* Whether filter f judges the articles of the feed with this name and category: every feed's
 * when it has no scope, else those its feeds or categories patterns match. */
static int in_scope(const struct filter *f, const char *feed, const char *category)
{
	if (!f->feeds.n && !f->categories.n)
		return 1;
	return matches(&f->feeds, feed) || matches(&f->categories, category);
}

/* Grows *v (of *cap elements of size sz) to hold n; 0 or -ENOMEM. */
static int grow(void *v, size_t *cap, size_t n, size_t sz)
{
	void *p;
	size_t c = *cap ? *cap : 4;

	if (n <= *cap)
		return 0;
	while (c < n)
		c *= 2;
	if (!(p = realloc(*(void **)v, c * sz)))
		return -ENOMEM;
	*(void **)v = p;
	*cap = c;
	return 0;
}

/* Shows the next filter the topics and tags the article has now (those of the filters before
 * it). Between two calls only: a filter's view must not move while it runs. */
static int view_annotations(struct run *r)
{
	const struct article *a = r->a;
	struct feedspool_article *v = &r->view;
	size_t i;

	if (grow(&r->topics, &r->topics_cap, a->n_topics, sizeof *r->topics) < 0 ||
	    grow(&r->tags, &r->tags_cap, a->n_tags, sizeof *r->tags) < 0) {
		log_err("filters: article %s: out of memory", a->id);
		return -ENOMEM;
	}
	for (i = 0; i < a->n_topics; i++) {
		r->topics[i].name = a->topics[i].name;
		r->topics[i].score = a->topics[i].score;
		r->topics[i].matched = (const char *const *)a->topics[i].matched;
		r->topics[i].n_matched = a->topics[i].matched ? a->topics[i].n_matched : 0;
	}
	for (i = 0; i < a->n_tags; i++)
		r->tags[i] = a->tags[i];
	v->topics = a->n_topics ? r->topics : NULL;
	v->n_topics = a->n_topics;
	v->tags = a->n_tags ? (const char *const *)r->tags : NULL;
	v->n_tags = a->n_tags;
	return 0;
}

/* Runs the filters from r->next_filter on, until one goes pending or the article is done. A
 * loop rather than recursion for synchronous answers; a deferred answer re-enters here. */
static void run_step(struct run *r)
{
	struct filter_chain *ch = r->chain;

	while (r->next_filter < ch->n_filters) {
		struct filter *f = &ch->filters[r->next_filter];
		struct call *c;
		uint64_t t0;
		int v;

		if (!in_scope(f, r->feed.name, r->category)) {
			r->next_filter++;
			continue;
		}
		c = view_annotations(r) < 0 ? NULL : call_new(r, f);
		if (!c) {
			log_err("filter %s: out of memory", f->name);
			v = FEEDSPOOL_ERROR;
		} else {
			c->in_filter = 1;
			t0 = now_ns();
			v = (int)f->so->desc->filter(f->state, &r->view, handle_of(c));
			f->ns += now_ns() - t0;
			c->in_filter = 0;
			if (c->answered) {
				if (v != FEEDSPOOL_PENDING)
					log_warnx("filter %s: filter() returned %d after calling "
						  "complete(): the completed verdict stands",
						  f->name, v);
				v = c->verdict;
			} else if (v == FEEDSPOOL_PENDING) {
				f->pending++;
				if (!ch->closing) {
					wait_answer(r, f, c);
					return;
				}
				log_warnx("filter %s: deferred answer while the chain closes: "
					  "counted as an error",
					  f->name);
				v = FEEDSPOOL_ERROR;
			}
			call_free(c);
		}
		if (apply(f, v, r->a->id)) {
			run_finish(r, FILTER_DROP, f->name);
			return;
		}
		r->next_filter++;
	}
	run_finish(r, FILTER_KEEP, NULL);
}

static int cmp_category(const void *key, const void *elem)
{
	return strcmp(key, ((const struct feed_category *)elem)->name);
}

static int cmp_category_elems(const void *a, const void *b)
{
	return strcmp(((const struct feed_category *)a)->name,
		      ((const struct feed_category *)b)->name);
}

/* Copies what the view and the JSON show of the feed; 0 or -ENOMEM. */
static int run_feed(struct run *r, const struct feed_info *src)
{
	struct feed_info *d = &r->feed;
	struct feedspool_feed *v = &r->feedv;
	const struct feed_category *fc;
	size_t i;
	int rc = 0;

	feed_info_init(d);
	if (!src)
		return 0;
#define DUP(x) rc |= src->x && !(d->x = strdup(src->x))
	DUP(name);
	DUP(url);
	DUP(title);
	DUP(link);
	DUP(language);
	DUP(subtitle);
#undef DUP
	d->updated = src->updated;
	for (i = 0; rc == 0 && i < src->n_authors; i++)
		rc = person_list_add(&d->authors, &d->n_authors, src->authors[i].name,
				     src->authors[i].email, src->authors[i].uri) < 0;
	if (rc)
		return -ENOMEM;
	if (d->n_authors && !(r->feed_persons = calloc(d->n_authors, sizeof *r->feed_persons)))
		return -ENOMEM;
	for (i = 0; i < d->n_authors; i++) {
		r->feed_persons[i].name = d->authors[i].name;
		r->feed_persons[i].email = d->authors[i].email;
		r->feed_persons[i].uri = d->authors[i].uri;
	}
	*v = (struct feedspool_feed){
	    .size = sizeof *v,
	    .name = d->name,
	    .url = d->url,
	    .title = d->title,
	    .link = d->link,
	    .language = d->language,
	    .subtitle = d->subtitle,
	    .updated = d->updated,
	    .authors = d->n_authors ? r->feed_persons : NULL,
	    .n_authors = d->n_authors,
	};
	r->view.feed = v;
	r->view.feed_name = d->name;
	r->view.feed_url = d->url;
	r->view.feed_title = d->title;
	fc = d->name && r->chain->n_cats
		 ? bsearch(d->name, r->chain->cats, r->chain->n_cats, sizeof *fc, cmp_category)
		 : NULL;
	r->category = fc ? fc->category : NULL;
	return 0;
}

/* Fills the view's links with their texts (link_texts), content_html and images; 0 or -ENOMEM. */
static int run_view_html(struct run *r)
{
	const struct article *a = r->a;
	struct feedspool_article *v = &r->view;
	size_t i;

	v->content_html = a->content_html;
	if (a->n_links) {
		if (!(r->links = calloc(a->n_links, sizeof *r->links)) ||
		    !(r->link_texts = calloc(a->n_links, sizeof *r->link_texts)))
			return -ENOMEM;
		for (i = 0; i < a->n_links; i++) {
			r->links[i].url = a->links[i].url;
			r->links[i].rel = a->links[i].rel;
			r->links[i].type = a->links[i].type;
			r->links[i].title = a->links[i].title;
			r->link_texts[i] = a->links[i].text;
		}
		v->links = r->links;
		v->link_texts = r->link_texts;
		v->n_links = a->n_links;
	}
	if (a->n_images) {
		if (!(r->images = calloc(a->n_images, sizeof *r->images)))
			return -ENOMEM;
		for (i = 0; i < a->n_images; i++) {
			r->images[i].src = a->images[i].src;
			r->images[i].alt = a->images[i].alt;
		}
		v->images = r->images;
		v->n_images = a->n_images;
	}
	return 0;
}

/* Fills the plugin's read-only view of a (the annotations: view_annotations). */
static int run_view(struct run *r, const struct feed_info *feed)
{
	const struct article *a = r->a;
	struct feedspool_article *v = &r->view;
	size_t i;

	v->size = sizeof *v;
	v->id = a->id;
	v->url = a->url;
	v->guid = a->guid;
	v->title = a->title;
	v->standfirst = a->standfirst;
	v->summary = a->summary;
	v->body = a->body;
	v->language = a->language;
	if (run_feed(r, feed) < 0)
		return -ENOMEM;
	if (a->n_authors) {
		if (!(r->persons = calloc(a->n_authors, sizeof *r->persons)))
			return -ENOMEM;
		for (i = 0; i < a->n_authors; i++) {
			r->persons[i].name = a->authors[i].name;
			r->persons[i].email = a->authors[i].email;
			r->persons[i].uri = a->authors[i].uri;
		}
		v->authors = r->persons;
		v->n_authors = a->n_authors;
	}
	v->categories = (const char *const *)a->categories;
	v->n_categories = a->categories ? a->n_categories : 0;
	if (a->n_enclosures) {
		if (!(r->encs = calloc(a->n_enclosures, sizeof *r->encs)))
			return -ENOMEM;
		for (i = 0; i < a->n_enclosures; i++) {
			r->encs[i].url = a->enclosures[i].url;
			r->encs[i].type = a->enclosures[i].type;
			r->encs[i].length = a->enclosures[i].length;
		}
		v->enclosures = r->encs;
		v->n_enclosures = a->n_enclosures;
	}
	if (run_view_html(r) < 0)
		return -ENOMEM;
	v->published = a->published;
	v->updated = a->updated;
	v->fetched = a->fetched;
	v->revision = a->revision;
	return 0;
}

int filter_chain_run(struct filter_chain *ch, struct article *a, const struct feed_info *feed,
		     filter_done_fn done, void *ud)
{
	struct run *r;

	if (!ch || !a || !done)
		return -EINVAL;
	if (!(r = calloc(1, sizeof *r)))
		return -ENOMEM;
	r->chain = ch;
	r->a = a;
	r->done = done;
	r->ud = ud;
	if (run_view(r, feed) < 0) {
		run_free(r);
		return -ENOMEM;
	}
	r->next = ch->runs;
	if (ch->runs)
		ch->runs->prev = r;
	ch->runs = r;
	ch->n_runs++;
	run_step(r);
	return 0;
}

size_t filter_chain_count(const struct filter_chain *ch)
{
	return ch ? ch->n_filters : 0;
}

size_t filter_chain_in_flight(const struct filter_chain *ch)
{
	return ch ? ch->n_runs : 0;
}

int filter_chain_stats(const struct filter_chain *ch, size_t i, struct filter_stats *out)
{
	const struct filter *f;

	if (!ch || i >= ch->n_filters)
		return -ERANGE;
	f = &ch->filters[i];
	out->name = f->name;
	out->plugin = f->so ? f->so->path : NULL;
	out->kept = f->kept;
	out->dropped = f->dropped;
	out->errors = f->errors;
	out->pending = f->pending;
	out->in_flight = f->in_flight;
	out->ns = f->ns;
	return 0;
}

/* ---- loading --------------------------------------------------------------------------------- */

/* "FILE:LINE: filter NAME: " before a message about filter fc. */
static void err_prefix(struct buf *err, const struct filter_conf *fc)
{
	if (err->len && err->data[err->len - 1] != '\n')
		buf_putc(err, '\n');
	if (fc->file)
		buf_printf(err, "%s:%d: ", fc->file, fc->line);
	buf_printf(err, "filter %s: ", fc->name ? fc->name : "?");
}

__attribute__((format(printf, 3, 4))) static void
conf_error(struct buf *err, const struct filter_conf *fc, const char *fmt, ...)
{
	char msg[MAX_MESSAGE];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	err_prefix(err, fc);
	buf_puts(err, msg);
}

static int valid_plugin_name(const char *s)
{
	if (!*s || *s == '.')
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
			return 0;
	return 1;
}

/* The file behind `plugin = value`: NAME in the plugin directory, or a path (relative to the
 * configuration's directory). NULL with an error in err. */
static char *plugin_path(const struct filter_chain *ch, const struct config *c,
			 const struct filter_conf *fc, const char *value, struct buf *err)
{
	struct buf p = BUF_INIT;
	const char *dir;

	if (strchr(value, '/')) {
		if (value[0] != '/')
			buf_printf(&p, "%s/", ch->config_dir);
		buf_puts(&p, value);
	} else if (!valid_plugin_name(value)) {
		conf_error(err, fc,
			   "plugin = %s: not a plugin name (letters, digits, '-', '_', '.') "
			   "nor a path",
			   value);
		return NULL;
	} else {
		dir = getenv(PLUGIN_DIR_ENV);
		if (!dir || !*dir)
			dir = c->plugin_dir && *c->plugin_dir ? c->plugin_dir : PKGLIBDIR;
		buf_printf(&p, "%s/%s.so", dir, value);
	}
	if (!p.data) {
		conf_error(err, fc, "out of memory");
		return NULL;
	}
	return buf_steal(&p);
}

/* Checks the descriptor of a freshly opened object; 0 or -EINVAL with the reason in err. */
static int check_descriptor(const struct feedspool_plugin *d, const char *path,
			    const struct filter_conf *fc, struct buf *err)
{
	const size_t min = offsetof(struct feedspool_plugin, reserved);

	if (d->abi_major != FEEDSPOOL_PLUGIN_ABI_MAJOR) {
		conf_error(err, fc,
			   "%s: refused: built for plugin ABI %u.%u, this feedspool takes %d.x "
			   "(rebuild the plugin against this version's <feedspool/plugin.h>)",
			   path, d->abi_major, d->abi_minor, FEEDSPOOL_PLUGIN_ABI_MAJOR);
		return -EINVAL;
	}
	if (d->size < min) {
		conf_error(err, fc,
			   "%s: refused: descriptor of %zu bytes, smaller than the %zu bytes of "
			   "ABI 1.0 (not filled with FEEDSPOOL_PLUGIN()?)",
			   path, d->size, min);
		return -EINVAL;
	}
	if (!d->init || !d->filter || !d->fini) {
		conf_error(err, fc, "%s: refused: descriptor has no %s() callback", path,
			   !d->init	? "init"
			   : !d->filter ? "filter"
					: "fini");
		return -EINVAL;
	}
	return 0;
}

/* The loaded object at path, loading it on first use; NULL with the reason in err. */
static struct plugin_so *so_get(struct filter_chain *ch, const char *path,
				const struct filter_conf *fc, struct buf *err)
{
	struct plugin_so *so;
	struct stat st;
	char *real;
	const char *e;

	if (stat(path, &st) < 0) {
		conf_error(err, fc, "%s: cannot load the plugin: %s", path, strerror(errno));
		return NULL;
	}
	real = realpath(path, NULL);
	for (so = ch->sos; so; so = so->next)
		if (!strcmp(so->path, real ? real : path)) {
			free(real);
			return so;
		}
	if (!(so = calloc(1, sizeof *so))) {
		free(real);
		conf_error(err, fc, "out of memory");
		return NULL;
	}
	so->path = real ? real : strdup(path);
	if (!so->path)
		goto enomem;
	dlerror();
	if (!(so->handle = dlopen(so->path, RTLD_NOW | RTLD_LOCAL | DLOPEN_KEEP))) {
		e = dlerror();
		conf_error(err, fc, "%s: cannot load the plugin: %s", path,
			   e ? e : "dlopen failed");
		goto fail;
	}
	dlerror();
	so->desc = dlsym(so->handle, FEEDSPOOL_PLUGIN_SYMBOL);
	if (!so->desc) {
		conf_error(err, fc, "%s: refused: not a feedspool plugin (no symbol %s)", path,
			   FEEDSPOOL_PLUGIN_SYMBOL);
		goto fail;
	}
	if (check_descriptor(so->desc, path, fc, err) < 0)
		goto fail;
	so->next = ch->sos;
	ch->sos = so;
	return so;
enomem:
	conf_error(err, fc, "out of memory");
fail:
	if (so->handle)
		dlclose(so->handle);
	free(so->path);
	free(so);
	return NULL;
}

/* The directory of the configuration file (where relative paths start). */
static char *config_dir_of(const struct config *c)
{
	const char *slash = c->path ? strrchr(c->path, '/') : NULL;

	if (c->dir && *c->dir)
		return strdup(c->dir);
	if (!slash)
		return strdup(".");
	if (slash == c->path)
		return strdup("/");
	return strndup(c->path, (size_t)(slash - c->path));
}

static int has_wildcard(const char *s)
{
	return s[strcspn(s, "*?[")] != '\0';
}

/* Copies a list of patterns; 0 or -ENOMEM. */
static int patterns_copy(struct patterns *p, char *const *v, size_t n)
{
	if (!n)
		return 0;
	if (!(p->v = calloc(n, sizeof *p->v)))
		return -ENOMEM;
	for (p->n = 0; p->n < n; p->n++)
		if (!(p->v[p->n] = strdup(v[p->n])))
			return -ENOMEM;
	return 0;
}

static void patterns_fini(struct patterns *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		free(p->v[i]);
	free(p->v);
}

/* Checks fc's scope against the configured feeds: a name without wildcards that names no feed
 * is an error (a typo would leave the filter judging nothing, silently); a pattern or a
 * category that matches no feed is only warned about (it may be written for feeds to come).
 * 0, or -1 with the reason in err. */
static int scope_check(const struct config *c, const struct filter_conf *fc, struct buf *err)
{
	size_t i, j;
	int rc = 0;

	for (i = 0; i < fc->n_feeds; i++) {
		const char *p = fc->feeds[i];

		for (j = 0; j < c->n_feeds; j++)
			if (fnmatch(p, c->feeds[j].name, 0) == 0)
				break;
		if (j < c->n_feeds)
			continue;
		if (has_wildcard(p)) {
			log_warnx("%s:%d: filter %s: feeds: pattern %s matches no configured feed",
				  fc->file ? fc->file : "?", fc->feeds_line, fc->name, p);
			continue;
		}
		if (err->len && err->data[err->len - 1] != '\n')
			buf_putc(err, '\n');
		buf_printf(err,
			   "%s:%d: filter %s: feeds: no feed named %s (feeds = names or patterns "
			   "of [feed] sections or OPML feeds; see feedspool check)",
			   fc->file ? fc->file : "?", fc->feeds_line ? fc->feeds_line : fc->line,
			   fc->name ? fc->name : "?", p);
		rc = -1;
	}
	for (i = 0; i < fc->n_categories; i++) {
		for (j = 0; j < c->n_feeds; j++)
			if (c->feeds[j].category &&
			    fnmatch(fc->categories[i], c->feeds[j].category, 0) == 0)
				break;
		if (j == c->n_feeds)
			log_warnx("%s:%d: filter %s: categories: %s matches no feed's category",
				  fc->file ? fc->file : "?", fc->categories_line, fc->name,
				  fc->categories[i]);
	}
	return rc;
}

/* The configured feeds' categories, sorted by feed name, for the filters scoped by category. */
static int categories_copy(struct filter_chain *ch, const struct config *c)
{
	size_t i, j;

	for (i = 0; i < c->n_filters && !c->filters[i].n_categories; i++)
		;
	if (i == c->n_filters)
		return 0; /* no filter needs them */
	if (c->n_feeds && !(ch->cats = calloc(c->n_feeds, sizeof *ch->cats)))
		return -ENOMEM;
	for (i = 0; i < c->n_feeds; i++) {
		if (!c->feeds[i].category)
			continue;
		j = ch->n_cats++;
		ch->cats[j].name = strdup(c->feeds[i].name);
		ch->cats[j].category = strdup(c->feeds[i].category);
		if (!ch->cats[j].name || !ch->cats[j].category)
			return -ENOMEM;
	}
	qsort(ch->cats, ch->n_cats, sizeof *ch->cats, cmp_category_elems);
	return 0;
}

/* What the host offers filter f's plugin. */
static void host_init(struct filter *f, const struct filter_chain *ch, void *uv_loop)
{
	f->host.size = sizeof f->host;
	f->host.abi_major = FEEDSPOOL_PLUGIN_ABI_MAJOR;
	f->host.abi_minor = FEEDSPOOL_PLUGIN_ABI_MINOR;
	f->host.log = host_log;
	f->host.annotate_topic = host_annotate_topic;
	f->host.annotate_tag = host_annotate_tag;
	f->host.complete = host_complete;
	f->host.config_dir = ch->config_dir;
	f->host.loop = uv_loop;
	f->host.name = f->name;
	f->host.explain = host_explain;
	f->host.article_json = host_article_json;
}

/* Creates the instance for fc; 0, or -1 with the reason in err. */
static int filter_init(struct filter_chain *ch, const struct config *c,
		       const struct filter_conf *fc, struct filter *f, void *uv_loop,
		       struct buf *err)
{
	struct feedspool_option *opts = NULL;
	struct buf msgs = BUF_INIT;
	char *line, *nl;
	const char *value = fc->plugin && *fc->plugin ? fc->plugin : fc->name;
	char *path;
	size_t i;
	int rc;

	f->chain = ch;
	f->on_error = fc->on_error;
	f->answer_timeout_ms =
	    fc->answer_timeout_ms ? fc->answer_timeout_ms : DEFAULT_ANSWER_TIMEOUT_MS;
	if (!(f->name = strdup(fc->name ? fc->name : "?"))) {
		conf_error(err, fc, "out of memory");
		return -1;
	}
	if (!value) {
		conf_error(err, fc, "no plugin named");
		return -1;
	}
	if (!(path = plugin_path(ch, c, fc, value, err)))
		return -1;
	f->so = so_get(ch, path, fc, err);
	free(path);
	if (!f->so || scope_check(c, fc, err) < 0)
		return -1;
	if (patterns_copy(&f->feeds, fc->feeds, fc->n_feeds) < 0 ||
	    patterns_copy(&f->categories, fc->categories, fc->n_categories) < 0) {
		conf_error(err, fc, "out of memory");
		return -1;
	}
	host_init(f, ch, uv_loop);
	if (fc->n_options && !(opts = calloc(fc->n_options, sizeof *opts))) {
		conf_error(err, fc, "out of memory");
		return -1;
	}
	for (i = 0; i < fc->n_options; i++) {
		opts[i].key = fc->options[i].key;
		opts[i].value = fc->options[i].value;
	}
	f->init_errs = &msgs;
	rc = f->so->desc->init(&f->host, opts, fc->n_options, &f->state);
	f->init_errs = NULL;
	free(opts);
	if (rc < 0 || rc > 0) {
		if (rc > 0)
			log_warnx("filter %s: init() returned %d, not a negative errno code",
				  f->name, rc);
		if (msgs.len) {
			for (line = msgs.data; line && *line; line = nl ? nl + 1 : NULL) {
				if ((nl = strchr(line, '\n')))
					*nl = '\0';
				conf_error(err, fc, "%s", line);
			}
		} else {
			conf_error(err, fc, "plugin %s (%s) failed to start: %s",
				   f->so->desc->name ? f->so->desc->name : "?", f->so->path,
				   strerror(rc < 0 ? -rc : EINVAL));
		}
		buf_fini(&msgs);
		return -1;
	}
	/* a successful init's error messages are not a configuration error: log them */
	for (line = msgs.data; line && *line; line = nl ? nl + 1 : NULL) {
		if ((nl = strchr(line, '\n')))
			*nl = '\0';
		log_err("filter %s: %s", f->name, line);
	}
	buf_fini(&msgs);
	f->live = 1;
	return 0;
}

struct filter_chain *filter_chain_new(const struct config *c, void *uv_loop, struct buf *err)
{
	struct filter_chain *ch;
	size_t i;
	int failed = 0;

	if (!c)
		return NULL;
	if (!(ch = calloc(1, sizeof *ch)))
		goto enomem;
	if (!(ch->config_dir = config_dir_of(c)))
		goto enomem;
	if (uv_loop) {
		if (!(ch->deadlines = malloc(sizeof *ch->deadlines)))
			goto enomem;
		ch->loop = uv_loop;
		uv_timer_init(ch->loop, ch->deadlines);
		ch->deadlines->data = ch;
	}
	if (c->n_filters && !(ch->filters = calloc(c->n_filters, sizeof *ch->filters)))
		goto enomem;
	if (categories_copy(ch, c) < 0)
		goto enomem;
	ch->n_filters = c->n_filters;
	for (i = 0; i < c->n_filters; i++)
		if (filter_init(ch, c, &c->filters[i], &ch->filters[i], uv_loop, err) < 0)
			failed = 1;
	if (failed) {
		filter_chain_free(ch);
		return NULL;
	}
	return ch;
enomem:
	buf_puts(err, "filters: out of memory");
	filter_chain_free(ch);
	return NULL;
}

static void on_deadlines_closed(uv_handle_t *h)
{
	free(h);
}

void filter_chain_free(struct filter_chain *ch)
{
	struct plugin_so *so;
	struct filter *f;
	size_t i;

	if (!ch)
		return;
	ch->closing = 1;
	/* abandon pending calls: each answer is an error, the run goes on (synchronously now) */
	while (ch->runs) {
		struct run *r = ch->runs;
		struct call *c = r->call;

		if (!c) {
			/* cannot happen: a run without a pending call is being stepped */
			log_err("filters: article %s is neither pending nor done", r->a->id);
			run_finish(r, FILTER_KEEP, NULL);
			continue;
		}
		log_warnx("filter %s: article %s abandoned while waiting for its answer",
			  c->f->name, r->a->id);
		f = c->f;
		call_settle(r, c);
		run_answered(r, f, FEEDSPOOL_ERROR);
	}
	if (ch->deadlines)
		uv_close((uv_handle_t *)ch->deadlines, on_deadlines_closed);
	for (i = 0; i < ch->n_filters; i++) {
		f = &ch->filters[i];
		if (f->live)
			f->so->desc->fini(f->state);
		free(f->name);
		patterns_fini(&f->feeds);
		patterns_fini(&f->categories);
	}
	for (i = 0; i < ch->n_cats; i++) {
		free(ch->cats[i].name);
		free(ch->cats[i].category);
	}
	free(ch->cats);
	while ((so = ch->sos)) {
		ch->sos = so->next;
		dlclose(so->handle);
		free(so->path);
		free(so);
	}
	free(ch->filters);
	free(ch->config_dir);
	free(ch);
}
