/* SPDX-License-Identifier: MIT */
/* A filter plugin for the loader and chain tests: one source, built several times with
 * -DTESTPLUG_DEFECT=... into plugins whose descriptors are wrong in one way each. */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include <feedspool/plugin.h>

/* What filter() answers: a verdict, or a way of answering. */
enum how { H_KEEP, H_DROP, H_ERROR, H_GARBAGE, H_PENDING, H_SYNC };

struct pend {
	uv_timer_t timer;
	struct state *st;
	struct feedspool_call *call;
	struct pend *next; /* the state's outstanding answers */
};

struct state {
	const struct feedspool_host *host;
	enum how how;
	enum feedspool_verdict answer; /* for pending and sync */
	char *match, *tag, *topic, *reason, *trace;
	char *view;    /* a file where each call writes what it sees of the ABI 1.1 fields */
	char *require; /* "topic:NAME" or "tag:NAME": keep only what an earlier filter marked */
	char *json;    /* a file where each call writes host->article_json() */
	char *html;    /* a file where each call writes content_html, link texts and images */
	struct pend *pending;
};

static void trace(const struct state *st, const char *what, const char *arg)
{
	FILE *f;

	if (!st->trace || !(f = fopen(st->trace, "a")))
		return;
	fprintf(f, "%s %s %s\n", st->host->name, what, arg ? arg : "-");
	fclose(f);
}

static int parse_verdict(const char *s, enum feedspool_verdict *v)
{
	if (!strcmp(s, "keep"))
		*v = FEEDSPOOL_KEEP;
	else if (!strcmp(s, "drop"))
		*v = FEEDSPOOL_DROP;
	else if (!strcmp(s, "error"))
		*v = FEEDSPOOL_ERROR;
	else if (!strcmp(s, "garbage"))
		*v = (enum feedspool_verdict)42;
	else
		return -1;
	return 0;
}

static void state_free(struct state *st)
{
	free(st->match);
	free(st->tag);
	free(st->topic);
	free(st->reason);
	free(st->trace);
	free(st->view);
	free(st->require);
	free(st->json);
	free(st->html);
	free(st);
}

static int t_init(const struct feedspool_host *host, const struct feedspool_option *o, size_t n,
		  void **out)
{
	static const char *const hows[] = {"keep", "drop", "error", "garbage", "pending", "sync"};
	struct state *st = calloc(1, sizeof *st);
	size_t i, j;

	if (!st)
		return -ENOMEM;
	st->host = host;
	st->answer = FEEDSPOOL_KEEP;
	for (i = 0; i < n; i++) {
		char **dst = NULL;

		if (!strcmp(o[i].key, "verdict")) {
			for (j = 0; j < sizeof hows / sizeof *hows; j++)
				if (!strcmp(o[i].value, hows[j]))
					break;
			if (j == sizeof hows / sizeof *hows)
				goto bad;
			st->how = (enum how)j;
		} else if (!strcmp(o[i].key, "answer")) {
			if (parse_verdict(o[i].value, &st->answer) < 0)
				goto bad;
		} else if (!strcmp(o[i].key, "init")) {
			if (!strcmp(o[i].value, "fail")) {
				host->log(host, FEEDSPOOL_LOG_ERR, "init = fail: failing as asked");
				host->log(host, FEEDSPOOL_LOG_ERR, "second line of the complaint");
			}
			state_free(st);
			return -EINVAL;
		} else if (!strcmp(o[i].key, "match")) {
			dst = &st->match;
		} else if (!strcmp(o[i].key, "tag")) {
			dst = &st->tag;
		} else if (!strcmp(o[i].key, "topic")) {
			dst = &st->topic;
		} else if (!strcmp(o[i].key, "reason")) {
			dst = &st->reason;
		} else if (!strcmp(o[i].key, "trace")) {
			dst = &st->trace;
		} else if (!strcmp(o[i].key, "view")) {
			dst = &st->view;
		} else if (!strcmp(o[i].key, "require")) {
			dst = &st->require;
		} else if (!strcmp(o[i].key, "json")) {
			dst = &st->json;
		} else if (!strcmp(o[i].key, "html")) {
			dst = &st->html;
		} else {
			goto bad;
		}
		if (dst) {
			free(*dst);
			if (!(*dst = strdup(o[i].value))) {
				state_free(st);
				return -ENOMEM;
			}
		}
	}
	trace(st, "init", host->config_dir);
	*out = st;
	return 0;
bad:
	host->log(host, FEEDSPOOL_LOG_ERR, "bad option %s = %s", o[i].key, o[i].value);
	state_free(st);
	return -EINVAL;
}

static void write_json(const struct state *st, struct feedspool_call *call);

static void on_close(uv_handle_t *h)
{
	free(h->data);
}

static void unlink_pend(struct pend *p)
{
	struct pend **pp;

	for (pp = &p->st->pending; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
}

static void on_timer(uv_timer_t *t)
{
	struct pend *p = t->data;
	struct state *st = p->st;

	unlink_pend(p);
	trace(st, "complete", NULL);
	if (st->json)
		write_json(st, p->call); /* still in progress: the text */
	st->host->complete(p->call, st->answer);
	if (st->json)
		write_json(st, p->call); /* a handle whose call is over: refused */
	uv_close((uv_handle_t *)t, on_close);
}

#if FEEDSPOOL_PLUGIN_ABI_MINOR == 0
/* Built against ABI 1.0 (tests/plugins/abi-1.0): what such a plugin sees, through its own
 * smaller struct. */
static void write_view(const struct state *st, const struct feedspool_article *a)
{
	FILE *out;

	if (!(out = fopen(st->view, "a")))
		return;
	fprintf(out, "%s abi-1.0 size-ok=%d feed=%s enc=%zu fetched=%lld\n", st->host->name,
		a->size >= sizeof *a, a->feed_name ? a->feed_name : "-", a->n_enclosures,
		(long long)a->fetched);
	fclose(out);
}

static int required(const struct state *st, const struct feedspool_article *a)
{
	(void)st;
	(void)a;
	return 0;
}

static void write_json(const struct state *st, struct feedspool_call *call)
{
	(void)st;
	(void)call;
}

static void write_html(const struct state *st, const struct feedspool_article *a)
{
	(void)st;
	(void)a;
}
#else
/* Writes what the call sees of the fields ABI 1.1 added. */
static void write_view(const struct state *st, const struct feedspool_article *a)
{
	const struct feedspool_feed *f;
	size_t i, j;
	FILE *out;

	if (!(out = fopen(st->view, "a")))
		return;
	fprintf(out, "%s", st->host->name);
	if (!FEEDSPOOL_ARTICLE_HAS(a, tags)) {
		fprintf(out, " old host\n");
		fclose(out);
		return;
	}
	f = a->feed;
	fprintf(out, " rev=%d feed=%s|%s|%s|%zu links=", a->revision, f ? f->name : "-",
		f && f->link ? f->link : "-", f && f->subtitle ? f->subtitle : "-",
		f ? f->n_authors : 0);
	for (i = 0; i < a->n_links; i++)
		fprintf(out, "%s%s(%s)", i ? "," : "", a->links[i].url,
			a->links[i].rel ? a->links[i].rel : "-");
	fprintf(out, " topics=");
	for (i = 0; i < a->n_topics; i++) {
		fprintf(out, "%s%s:%g:", i ? "," : "", a->topics[i].name, a->topics[i].score);
		for (j = 0; j < a->topics[i].n_matched; j++)
			fprintf(out, "%s%s", j ? "+" : "", a->topics[i].matched[j]);
	}
	fprintf(out, " tags=");
	for (i = 0; i < a->n_tags; i++)
		fprintf(out, "%s%s", i ? "," : "", a->tags[i]);
	fprintf(out, "\n");
	fclose(out);
}

/* Whether an earlier filter marked the article as st->require says. */
static int required(const struct state *st, const struct feedspool_article *a)
{
	int topic = !strncmp(st->require, "topic:", 6);
	const char *want = st->require + (topic ? 6 : 4);
	size_t i;

	if (!FEEDSPOOL_ARTICLE_HAS(a, n_tags))
		return 0;
	for (i = 0; topic && i < a->n_topics; i++)
		if (!strcmp(a->topics[i].name, want))
			return 1;
	for (i = 0; !topic && i < a->n_tags; i++)
		if (!strcmp(a->tags[i], want))
			return 1;
	return 0;
}

/* Writes what the call sees of the article's HTML: content_html, the links' texts (one line per
 * link, "-" for none) and the images. */
static void write_html(const struct state *st, const struct feedspool_article *a)
{
	size_t i;
	FILE *out;

	if (!(out = fopen(st->html, "a")))
		return;
	if (!FEEDSPOOL_ARTICLE_HAS(a, n_images)) {
		fprintf(out, "%s no html\n", st->host->name);
		fclose(out);
		return;
	}
	fprintf(out, "html=%s\n", a->content_html ? a->content_html : "(null)");
	for (i = 0; i < a->n_links; i++)
		fprintf(out, "link %s %s text=%s\n", a->links[i].url,
			a->links[i].rel ? a->links[i].rel : "-",
			!a->link_texts	   ? "(no link_texts)"
			: a->link_texts[i] ? a->link_texts[i]
					   : "-");
	for (i = 0; i < a->n_images; i++)
		fprintf(out, "image %s alt=%s\n", a->images[i].src, a->images[i].alt);
	fclose(out);
}

static void write_json(const struct state *st, struct feedspool_call *call)
{
	const char *j = st->host->article_json ? st->host->article_json(call, NULL) : NULL;
	FILE *out;

	if ((out = fopen(st->json, "a"))) {
		fprintf(out, "%s\n", j ? j : "(none)");
		fclose(out);
	}
}
#endif

__attribute__((unused)) static enum feedspool_verdict
t_filter(void *state, const struct feedspool_article *a, struct feedspool_call *call)
{
	struct state *st = state;
	const char *const matched[] = {"alpha", "beta"};
	struct pend *p;

	trace(st, "filter", a->title);
	if (st->view)
		write_view(st, a);
	if (st->json)
		write_json(st, call);
	if (st->html)
		write_html(st, a);
	if (st->require && !required(st, a))
		return FEEDSPOOL_DROP;
	if (st->match && (!a->title || !strstr(a->title, st->match)))
		return FEEDSPOOL_KEEP;
	if (st->tag)
		st->host->annotate_tag(call, st->tag);
	if (st->topic)
		st->host->annotate_topic(call, st->topic, 1.5, matched, 2);
	if (st->reason)
		st->host->explain(call, st->reason);
	switch (st->how) {
	case H_KEEP:
		return FEEDSPOOL_KEEP;
	case H_DROP:
		return FEEDSPOOL_DROP;
	case H_ERROR:
		return FEEDSPOOL_ERROR;
	case H_GARBAGE:
		return (enum feedspool_verdict)7;
	case H_SYNC:
		st->host->complete(call, st->answer);
		return FEEDSPOOL_PENDING;
	case H_PENDING:
		if (!st->host->loop || !(p = calloc(1, sizeof *p)))
			return FEEDSPOOL_ERROR;
		p->st = st;
		p->call = call;
		p->timer.data = p;
		uv_timer_init(st->host->loop, &p->timer);
		uv_timer_start(&p->timer, on_timer, 1, 0);
		p->next = st->pending;
		st->pending = p;
		return FEEDSPOOL_PENDING;
	}
	return FEEDSPOOL_ERROR;
}

static void t_fini(void *state)
{
	struct state *st = state;
	struct pend *p;

	trace(st, "fini", NULL);
	/* abandoned calls: stop their timers without answering */
	while ((p = st->pending)) {
		st->pending = p->next;
		uv_timer_stop(&p->timer);
		uv_close((uv_handle_t *)&p->timer, on_close);
	}
	state_free(st);
}

#if !defined(TESTPLUG_DEFECT) || TESTPLUG_DEFECT == 5 /* 5: built against ABI 1.0 */
FEEDSPOOL_PLUGIN("testplug", "1.0", "verdicts on demand, for the tests", t_init, t_filter, t_fini);
#elif TESTPLUG_DEFECT == 1 /* another ABI major */
__attribute__((visibility("default"))) const struct feedspool_plugin feedspool_plugin_descriptor = {
    .abi_major = FEEDSPOOL_PLUGIN_ABI_MAJOR + 1,
    .abi_minor = 0,
    .size = sizeof(struct feedspool_plugin),
    .name = "testplug-major",
    .init = t_init,
    .filter = t_filter,
    .fini = t_fini,
};
#elif TESTPLUG_DEFECT == 2 /* a descriptor shorter than ABI 1.0's */
__attribute__((visibility("default"))) const struct feedspool_plugin feedspool_plugin_descriptor = {
    .abi_major = FEEDSPOOL_PLUGIN_ABI_MAJOR,
    .abi_minor = 0,
    .size = 16,
    .name = "testplug-short",
    .init = t_init,
    .filter = t_filter,
    .fini = t_fini,
};
#elif TESTPLUG_DEFECT == 3 /* no filter callback */
FEEDSPOOL_PLUGIN("testplug-nofilter", "1.0", "no filter()", t_init, NULL, t_fini);
#elif TESTPLUG_DEFECT == 4 /* no descriptor at all */
__attribute__((visibility("default"))) const struct feedspool_plugin other_descriptor = {
    .abi_major = FEEDSPOOL_PLUGIN_ABI_MAJOR,
    .size = sizeof(struct feedspool_plugin),
    .init = t_init,
    .filter = t_filter,
    .fini = t_fini,
};
#endif
