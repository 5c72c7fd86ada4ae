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
	st->host->complete(p->call, st->answer);
	uv_close((uv_handle_t *)t, on_close);
}

__attribute__((unused)) static enum feedspool_verdict
t_filter(void *state, const struct feedspool_article *a, struct feedspool_call *call)
{
	struct state *st = state;
	const char *const matched[] = {"alpha", "beta"};
	struct pend *p;

	trace(st, "filter", a->title);
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

#if !defined(TESTPLUG_DEFECT)
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
