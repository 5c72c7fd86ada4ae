/* SPDX-License-Identifier: MIT */
/* A hostile filter plugin for tests/daemon_plugins_hostile.sh: it misbehaves, in the ways the
 * ABI lets a C plugin misbehave without crashing the process, for articles whose title is
 * "PREFIX: CASE" (PREFIX is its `prefix` option), and keeps every other article:
 *
 *   verdict 42        returns a verdict out of the enum
 *   verdict -1        returns a negative verdict
 *   complete pending  answers through complete() with FEEDSPOOL_PENDING
 *   twice             completes twice from inside filter() (keep, then drop)
 *   late twice        completes later from a timer, then again on a second timer (keep, drop)
 *   stale             completes (drop) and annotates through the handle of an earlier,
 *                     finished call, then keeps this article
 *   never             goes pending and never answers
 *   bad annotations   hands the host NULL, empty, oversized and non-finite annotations, more
 *                     tags than allowed, and one valid tag ("valid-tag"), then keeps
 *   forged log        logs a message that tries to forge a second log line, and NULL formats
 */
#include "autoconfig.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include <feedspool/plugin.h>

struct later {
	uv_timer_t timer;
	struct state *st;
	struct feedspool_call *call;
	int step; /* 0: complete keep next; 1: complete drop next (the second answer) */
	struct later *next;
};

struct state {
	const struct feedspool_host *host;
	char *prefix;
	struct feedspool_call *finished; /* a call answered synchronously: stale once it returns */
	struct later *laters;
};

static int g_init(const struct feedspool_host *host, const struct feedspool_option *o, size_t n,
		  void **out)
{
	struct state *st;
	size_t i;

	if (!(st = calloc(1, sizeof *st)))
		return -ENOMEM;
	st->host = host;
	for (i = 0; i < n; i++) {
		if (strcmp(o[i].key, "prefix") != 0) {
			host->log(host, FEEDSPOOL_LOG_ERR, "unknown option %s", o[i].key);
			goto bad;
		}
		free(st->prefix);
		if (!(st->prefix = malloc(strlen(o[i].value) + 3)))
			goto bad;
		sprintf(st->prefix, "%s: ", o[i].value);
	}
	if (!st->prefix) {
		host->log(host, FEEDSPOOL_LOG_ERR, "missing option: prefix");
		goto bad;
	}
	*out = st;
	return 0;
bad:
	free(st->prefix);
	free(st);
	return -EINVAL;
}

static void on_later_closed(uv_handle_t *h)
{
	free(h->data);
}

static void later_forget(struct later *l)
{
	struct later **pp;

	for (pp = &l->st->laters; *pp; pp = &(*pp)->next)
		if (*pp == l) {
			*pp = l->next;
			break;
		}
	uv_close((uv_handle_t *)&l->timer, on_later_closed);
}

static void on_later(uv_timer_t *t)
{
	struct later *l = t->data;
	const struct feedspool_host *host = l->st->host;

	if (l->step == 0) {
		host->complete(l->call, FEEDSPOOL_KEEP);
		l->step = 1;
		uv_timer_start(&l->timer, on_later, 5, 0);
		return;
	}
	/* the call is over: the host must refuse this, whatever now lives at that address */
	host->complete(l->call, FEEDSPOOL_DROP);
	later_forget(l);
}

static void bad_annotations(const struct feedspool_host *host, struct feedspool_call *call)
{
	const char *const phrases[] = {"ok", NULL, ""};
	char *huge = malloc(100000);
	char tag[32];
	int i;

	host->annotate_tag(call, "valid-tag");
	host->annotate_tag(call, NULL);
	host->annotate_tag(call, "");
	if (huge) {
		memset(huge, 'h', 99999);
		huge[99999] = '\0';
		host->annotate_tag(call, huge);
		host->annotate_topic(call, huge, 1.0, NULL, 0);
		host->explain(call, huge);
	}
	free(huge);
	host->annotate_topic(call, NULL, 1.0, NULL, 0);
	host->annotate_topic(call, "nan-topic", NAN, NULL, 0);
	host->annotate_topic(call, "inf-topic", INFINITY, NULL, 0);
	host->annotate_topic(call, "null-phrases", 1.0, NULL, 3);
	host->annotate_topic(call, "bad-phrases", 1.0, phrases, 3);
	host->annotate_topic(call, "many-phrases", 1.0, phrases, 1000000);
	host->explain(call, NULL);
	host->explain(call, "reason with\na forged line");
	for (i = 0; i < 200; i++) {
		snprintf(tag, sizeof tag, "many-%d", i);
		host->annotate_tag(call, tag);
	}
}

static enum feedspool_verdict g_filter(void *state, const struct feedspool_article *a,
				       struct feedspool_call *call)
{
	struct state *st = state;
	const struct feedspool_host *host = st->host;
	size_t n = strlen(st->prefix);
	const char *what;
	struct later *l;

	if (!a->title || strncmp(a->title, st->prefix, n) != 0)
		goto keep;
	what = a->title + n;
	if (!strcmp(what, "verdict 42"))
		return (enum feedspool_verdict)42;
	if (!strcmp(what, "verdict -1"))
		return (enum feedspool_verdict) - 1;
	if (!strcmp(what, "complete pending")) {
		host->complete(call, FEEDSPOOL_PENDING);
		return FEEDSPOOL_PENDING;
	}
	if (!strcmp(what, "twice")) {
		host->complete(call, FEEDSPOOL_KEEP);
		host->complete(call, FEEDSPOOL_DROP);
		return FEEDSPOOL_PENDING;
	}
	if (!strcmp(what, "late twice")) {
		if (!host->loop || !(l = calloc(1, sizeof *l)))
			return FEEDSPOOL_ERROR;
		l->st = st;
		l->call = call;
		l->timer.data = l;
		uv_timer_init(host->loop, &l->timer);
		uv_timer_start(&l->timer, on_later, 1, 0);
		l->next = st->laters;
		st->laters = l;
		return FEEDSPOOL_PENDING;
	}
	if (!strcmp(what, "stale")) {
		if (st->finished) {
			host->complete(st->finished, FEEDSPOOL_DROP);
			host->annotate_tag(st->finished, "stale-tag");
			host->explain(st->finished, "stale reason");
		}
		goto keep;
	}
	if (!strcmp(what, "never"))
		return FEEDSPOOL_PENDING;
	if (!strcmp(what, "bad annotations")) {
		bad_annotations(host, call);
		goto keep;
	}
	if (!strcmp(what, "forged log")) {
		host->log(host, FEEDSPOOL_LOG_ERR, "%s",
			  "first line\nfeedspool: FORGED second line");
		host->log(host, (enum feedspool_log_level)99, "%s", "an unknown level");
		host->log(NULL, FEEDSPOOL_LOG_ERR, "%s", "no host");
		goto keep;
	}
keep:
	st->finished = call;
	return FEEDSPOOL_KEEP;
}

static void g_fini(void *state)
{
	struct state *st = state;

	/* abandoned calls: stop their timers without answering */
	while (st->laters) {
		uv_timer_stop(&st->laters->timer);
		later_forget(st->laters);
	}
	free(st->prefix);
	free(st);
}

FEEDSPOOL_PLUGIN("garbage", "1.0", "misbehaves on demand, for the tests", g_init, g_filter, g_fini);
