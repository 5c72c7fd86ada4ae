/* SPDX-License-Identifier: MIT */
/* The plugin host: the loader's refusals (each naming the file and the reason), init failures as
 * configuration errors, the chain's order, first drop, on_error, garbage verdicts, deferred and
 * re-entrant answers, abandonment, annotations and counters, the article view of ABI 1.1 (what
 * earlier filters added, the spool's JSON, the article's HTML), a plugin built against ABI 1.0,
 * and filter scope, with the test plugins of tests/plugins/testplug.c. */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "check.h"
#include "feed.h"
#include "plugin.h"

#define MAX_FILTERS 8
#define MAX_OPTS 8

struct result {
	int calls;
	enum filter_outcome outcome;
	char by[64];
	char reason[512];
};

/* A configuration built in the test: filters with their options. */
struct conf {
	struct config c;
	struct filter_conf f[MAX_FILTERS];
	struct filter_option o[MAX_FILTERS][MAX_OPTS];
	struct feed_conf feeds[4];
};

static const char *plugdir(void)
{
	const char *d = getenv("TEST_PLUGIN_DIR");

	return d && *d ? d : "tests/plugins/.libs";
}

static char *plugpath(const char *name)
{
	static char path[8][4096];
	static int next;
	char *p = path[next++ % 8];

	snprintf(p, sizeof path[0], "%s/%s.so", plugdir(), name);
	return p;
}

static void conf_init(struct conf *k)
{
	memset(k, 0, sizeof *k);
	k->c.path = "/etc/feedspool/test.conf";
	k->c.filters = k->f;
}

/* Adds [filter name] with plugin = plugin and "key=value" options (NULL-terminated). */
static void conf_add(struct conf *k, const char *name, const char *plugin, enum on_error on_error,
		     ...)
{
	struct filter_conf *f = &k->f[k->c.n_filters];
	va_list ap;
	char *kv;

	f->name = (char *)name;
	f->plugin = (char *)plugin;
	f->on_error = on_error;
	f->file = "test.conf";
	f->line = 10 * (int)(k->c.n_filters + 1);
	f->options = k->o[k->c.n_filters];
	va_start(ap, on_error);
	while ((kv = va_arg(ap, char *))) {
		struct filter_option *o = &f->options[f->n_options++];
		char *eq = strchr(kv, '=');

		o->key = strndup(kv, (size_t)(eq - kv));
		o->value = strdup(eq + 1);
	}
	va_end(ap);
	k->c.n_filters++;
}

static void conf_fini(struct conf *k)
{
	size_t i, j;

	for (i = 0; i < k->c.n_filters; i++) {
		for (j = 0; j < k->f[i].n_options; j++) {
			free(k->f[i].options[j].key);
			free(k->f[i].options[j].value);
		}
		k->f[i].n_options = 0;
	}
	k->c.n_filters = 0;
}

static void on_done(void *ud, enum filter_outcome outcome, const char *by, const char *reason)
{
	struct result *r = ud;

	r->calls++;
	r->outcome = outcome;
	snprintf(r->by, sizeof r->by, "%s", by ? by : "");
	snprintf(r->reason, sizeof r->reason, "%s", reason ? reason : "");
}

static void clear(const char *path)
{
	FILE *f = fopen(path, "w");

	if (f)
		fclose(f);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *s = NULL;
	size_t n = 0;
	long len;

	if (!f)
		return strdup("");
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	if (len >= 0 && (s = malloc((size_t)len + 1)))
		n = fread(s, 1, (size_t)len, f);
	fclose(f);
	if (s)
		s[n] = '\0';
	return s ? s : strdup("");
}

/* stderr into a file while a test provokes log messages */
static int saved_stderr = -1;
static char errfile[] = "/tmp/feedspool-test-plugin-err.XXXXXX";

static void capture_start(void)
{
	int fd = mkstemp(errfile);

	fflush(stderr);
	saved_stderr = dup(2);
	dup2(fd, 2);
	close(fd);
}

static char *capture_end(void)
{
	char *s;

	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	s = slurp(errfile);
	unlink(errfile);
	strcpy(errfile + strlen(errfile) - 6, "XXXXXX");
	return s;
}

/* The chain for k must be refused with all the strings of want in the error. */
static void expect_refused(struct conf *k, const char *what, const char *const *want)
{
	struct buf err = BUF_INIT;
	struct filter_chain *ch;

	capture_start();
	ch = filter_chain_new(&k->c, NULL, &err);
	free(capture_end());
	CHECK(ch == NULL, "%s: the chain must be refused", what);
	printf("%s: %s\n", what, buf_cstr(&err));
	for (; *want; want++)
		CHECK(strstr(buf_cstr(&err), *want) != NULL, "%s: the error names '%s': got '%s'",
		      what, *want, buf_cstr(&err));
	filter_chain_free(ch);
	buf_fini(&err);
}

static void test_refusals(void)
{
	struct conf k;
	char notso[4096];

	conf_init(&k);
	conf_add(&k, "bad", plugpath("testplug_major"), ON_ERROR_KEEP, NULL);
	expect_refused(
	    &k, "another ABI major",
	    (const char *const[]){"test.conf:10: filter bad: ", plugpath("testplug_major"),
				  "ABI 2.0", "takes 1.x", NULL});
	conf_fini(&k);
	conf_init(&k);
	conf_add(&k, "bad", plugpath("testplug_short"), ON_ERROR_KEEP, NULL);
	expect_refused(
	    &k, "short descriptor",
	    (const char *const[]){"test.conf:10: filter bad: ", plugpath("testplug_short"),
				  "descriptor of 16 bytes", "ABI 1.0", NULL});
	conf_fini(&k);
	conf_init(&k);
	conf_add(&k, "bad", plugpath("testplug_nofilter"), ON_ERROR_KEEP, NULL);
	expect_refused(
	    &k, "missing callback",
	    (const char *const[]){"test.conf:10: filter bad: ", plugpath("testplug_nofilter"),
				  "no filter() callback", NULL});
	conf_fini(&k);
	conf_init(&k);
	conf_add(&k, "bad", plugpath("testplug_nosym"), ON_ERROR_KEEP, NULL);
	expect_refused(
	    &k, "missing symbol",
	    (const char *const[]){"test.conf:10: filter bad: ", plugpath("testplug_nosym"),
				  "no symbol feedspool_plugin_descriptor", NULL});
	/* a file that is not a shared object: dlopen's own reason */
	snprintf(notso, sizeof notso, "%s/../testplug.la", plugdir());
	conf_fini(&k);
	conf_init(&k);
	conf_add(&k, "bad", notso, ON_ERROR_KEEP, NULL);
	expect_refused(&k, "dlopen error",
		       (const char *const[]){"test.conf:10: filter bad: ", notso,
					     "cannot load the plugin", NULL});
	conf_fini(&k);
	conf_init(&k);
	conf_add(&k, "bad", "no-such-plugin", ON_ERROR_KEEP, NULL);
	expect_refused(&k, "unknown plugin name",
		       (const char *const[]){"test.conf:10: filter bad: ", "/no-such-plugin.so",
					     "No such file", NULL});
	conf_fini(&k);
	conf_init(&k);
	conf_add(&k, "bad", "../evil", ON_ERROR_KEEP, NULL);
	expect_refused(&k, "relative path", (const char *const[]){"/etc/feedspool/../evil", NULL});
	/* init failures are configuration errors, every line with the section's file:line; every
	 * filter is tried, so both problems are reported */
	conf_fini(&k);
	conf_init(&k);
	conf_add(&k, "ok", plugpath("testplug"), ON_ERROR_KEEP, NULL);
	conf_add(&k, "failing", plugpath("testplug"), ON_ERROR_KEEP, "init=fail", NULL);
	conf_add(&k, "silent", plugpath("testplug"), ON_ERROR_KEEP, "init=quiet", NULL);
	conf_add(&k, "bad", plugpath("testplug_major"), ON_ERROR_KEEP, NULL);
	expect_refused(
	    &k, "init failure",
	    (const char *const[]){"test.conf:20: filter failing: init = fail: failing as "
				  "asked\ntest.conf:20: filter failing: second line",
				  "test.conf:30: filter silent: plugin testplug (",
				  "failed to start: Invalid argument",
				  "test.conf:40: filter bad: ", NULL});
	conf_fini(&k);
	conf_init(&k);
	conf_add(&k, "typo", plugpath("testplug"), ON_ERROR_KEEP, "verdcit=keep", NULL);
	expect_refused(
	    &k, "unknown option",
	    (const char *const[]){"test.conf:10: filter typo: bad option verdcit = keep", NULL});
	conf_fini(&k);
}

/* A plugin named without a '/' is looked up in FEEDSPOOL_PLUGIN_DIR; a relative path is taken
 * from the configuration's directory. */
static void test_lookup(void)
{
	struct conf k;
	struct buf err = BUF_INIT;
	struct filter_chain *ch;
	struct filter_stats st;
	char confpath[4096];

	setenv(PLUGIN_DIR_ENV, plugdir(), 1);
	conf_init(&k);
	conf_add(&k, "byname", "testplug", ON_ERROR_KEEP, NULL);
	ch = filter_chain_new(&k.c, NULL, &err);
	CHECK(ch != NULL, "plugin = testplug found in $FEEDSPOOL_PLUGIN_DIR: %s", buf_cstr(&err));
	CHECK(filter_chain_stats(ch, 0, &st) == 0 && strstr(st.plugin, "testplug.so"),
	      "the stats name the plugin's file");
	CHECK(filter_chain_stats(ch, 1, &st) == -ERANGE, "no filter 1");
	filter_chain_free(ch);

	snprintf(confpath, sizeof confpath, "%s/feedspool.conf", plugdir());
	conf_fini(&k);
	conf_init(&k);
	k.c.path = confpath;
	conf_add(&k, "relative", "./testplug.so", ON_ERROR_KEEP, NULL);
	buf_reset(&err);
	ch = filter_chain_new(&k.c, NULL, &err);
	CHECK(ch != NULL, "plugin = ./testplug.so relative to the config: %s", buf_cstr(&err));
	filter_chain_free(ch);
	buf_fini(&err);
	conf_fini(&k);
}

static struct filter_chain *chain(struct conf *k, uv_loop_t *loop)
{
	struct buf err = BUF_INIT;
	struct filter_chain *ch = filter_chain_new(&k->c, loop, &err);

	CHECK(ch != NULL, "the chain builds: %s", buf_cstr(&err));
	buf_fini(&err);
	return ch;
}

static void article(struct article *a, const char *title)
{
	article_init(a);
	a->title = strdup(title);
	strcpy(a->id, "0123456789abcdef");
}

/* Filters run in configuration order and the first DROP ends the chain. */
static void test_order(const char *tracefile)
{
	char tr[4200];
	struct conf k;
	struct filter_chain *ch;
	struct article a;
	struct result r = {0};
	struct filter_stats st;
	char *t;

	snprintf(tr, sizeof tr, "trace=%s", tracefile);
	conf_init(&k);
	conf_add(&k, "first", plugpath("testplug"), ON_ERROR_KEEP, tr, "tag=seen-first", NULL);
	conf_add(&k, "second", plugpath("testplug"), ON_ERROR_KEEP, tr, "verdict=drop",
		 "match=Spark", "reason=it says Spark", NULL);
	conf_add(&k, "third", plugpath("testplug"), ON_ERROR_KEEP, tr, "topic=things", NULL);
	ch = chain(&k, NULL);
	if (!ch)
		return;
	t = slurp(tracefile);
	CHECK_STR(
	    t, "first init /etc/feedspool\nsecond init /etc/feedspool\nthird init /etc/feedspool\n",
	    "one object backs three instances, initialised in order with the config's dir");
	free(t);
	clear(tracefile);

	article(&a, "DGX Spark ships");
	CHECK(filter_chain_run(ch, &a, NULL, on_done, &r) == 0, "run");
	CHECK(r.calls == 1 && r.outcome == FILTER_DROP, "dropped, done once (%d)", r.calls);
	CHECK_STR(r.by, "second", "dropped by the second filter");
	CHECK_STR(r.reason, "second: it says Spark", "the dropping filter's reason");
	CHECK(a.n_tags == 1 && !strcmp(a.tags[0], "seen-first"), "the first filter's tag stays");
	CHECK(a.n_topics == 0, "the third filter never saw it");
	t = slurp(tracefile);
	CHECK_STR(t, "first filter DGX Spark ships\nsecond filter DGX Spark ships\n",
		  "the chain stops at the first drop");
	free(t);
	clear(tracefile);
	article_fini(&a);

	memset(&r, 0, sizeof r);
	article(&a, "Starship stacks");
	filter_chain_run(ch, &a, NULL, on_done, &r);
	CHECK(r.calls == 1 && r.outcome == FILTER_KEEP && !*r.by, "kept by all three");
	CHECK(a.n_topics == 1 && !strcmp(a.topics[0].name, "things") && a.topics[0].score == 1.5 &&
		  a.topics[0].n_matched == 2 && !strcmp(a.topics[0].matched[1], "beta"),
	      "the topic annotation reaches the article");
	t = slurp(tracefile);
	CHECK_STR(t,
		  "first filter Starship stacks\nsecond filter Starship stacks\nthird filter "
		  "Starship stacks\n",
		  "all three filters in order");
	free(t);
	article_fini(&a);

	CHECK(filter_chain_count(ch) == 3, "three filters");
	filter_chain_stats(ch, 0, &st);
	CHECK(st.kept == 2 && st.dropped == 0 && st.errors == 0, "first: 2 kept");
	filter_chain_stats(ch, 1, &st);
	CHECK(!strcmp(st.name, "second") && st.kept == 1 && st.dropped == 1,
	      "second: 1 kept 1 dropped");
	filter_chain_stats(ch, 2, &st);
	CHECK(st.kept == 1 && st.dropped == 0 && st.pending == 0, "third: 1 kept");
	CHECK(st.ns > 0, "time is counted");
	clear(tracefile);
	filter_chain_free(ch);
	t = slurp(tracefile);
	CHECK_STR(t, "first fini -\nsecond fini -\nthird fini -\n", "fini once per instance");
	free(t);
	clear(tracefile);
	conf_fini(&k);
}

/* ERROR follows on_error; a garbage verdict is an error, logged. */
static void test_errors(void)
{
	struct conf k;
	struct filter_chain *ch;
	struct article a;
	struct result r = {0};
	struct filter_stats st;
	char *log;

	conf_init(&k);
	conf_add(&k, "lenient", plugpath("testplug"), ON_ERROR_KEEP, "verdict=error", NULL);
	conf_add(&k, "garbage", plugpath("testplug"), ON_ERROR_KEEP, "verdict=garbage", NULL);
	conf_add(&k, "strict", plugpath("testplug"), ON_ERROR_DROP, "verdict=error", "match=strict",
		 NULL);
	ch = chain(&k, NULL);
	if (!ch)
		return;
	article(&a, "lenient only");
	capture_start();
	filter_chain_run(ch, &a, NULL, on_done, &r);
	log = capture_end();
	CHECK(r.calls == 1 && r.outcome == FILTER_KEEP, "on_error = keep keeps the article");
	CHECK(strstr(log, "filter garbage: invalid verdict 7, counted as an error") != NULL,
	      "a garbage verdict is logged with the filter's name: got '%s'", log);
	free(log);
	article_fini(&a);

	memset(&r, 0, sizeof r);
	article(&a, "strict too");
	capture_start();
	filter_chain_run(ch, &a, NULL, on_done, &r);
	free(capture_end());
	CHECK(r.calls == 1 && r.outcome == FILTER_DROP && !strcmp(r.by, "strict"),
	      "on_error = drop drops the article, by the erring filter");
	article_fini(&a);
	filter_chain_stats(ch, 0, &st);
	CHECK(st.errors == 2 && st.kept == 0 && st.dropped == 0, "lenient: 2 errors");
	filter_chain_stats(ch, 1, &st);
	CHECK(st.errors == 2, "garbage: 2 errors");
	filter_chain_stats(ch, 2, &st);
	CHECK(st.errors == 1 && st.kept == 1, "strict: 1 error, 1 keep (no match)");
	filter_chain_free(ch);
	conf_fini(&k);
}

/* Deferred answers through the loop, answers from inside filter(), and abandonment. */
static void test_deferred(const char *tracefile)
{
	char tr[4200];
	struct conf k;
	struct filter_chain *ch;
	struct article a, b;
	struct result r = {0}, s = {0};
	struct filter_stats st;
	uv_loop_t loop;
	char *t, *log;

	snprintf(tr, sizeof tr, "trace=%s", tracefile);
	uv_loop_init(&loop);

	/* a deferred keep, then a later filter drops */
	conf_init(&k);
	conf_add(&k, "slow", plugpath("testplug"), ON_ERROR_KEEP, "verdict=pending", "answer=keep",
		 "tag=waited", NULL);
	conf_add(&k, "sync", plugpath("testplug"), ON_ERROR_KEEP, "verdict=sync", "answer=drop",
		 "match=drop me", NULL);
	ch = chain(&k, &loop);
	if (!ch)
		return;
	article(&a, "please drop me");
	article(&b, "keep this one");
	CHECK(filter_chain_run(ch, &a, NULL, on_done, &r) == 0, "run a");
	CHECK(filter_chain_run(ch, &b, NULL, on_done, &s) == 0, "run b");
	CHECK(r.calls == 0 && s.calls == 0, "nothing done before the loop runs");
	CHECK(filter_chain_in_flight(ch) == 2, "two articles in flight");
	filter_chain_stats(ch, 0, &st);
	CHECK(st.pending == 2 && st.in_flight == 2, "two calls pending");
	uv_run(&loop, UV_RUN_DEFAULT);
	CHECK(r.calls == 1 && r.outcome == FILTER_DROP && !strcmp(r.by, "sync"),
	      "deferred keep, then dropped by an answer given from inside filter()");
	CHECK(s.calls == 1 && s.outcome == FILTER_KEEP, "the other article is kept");
	CHECK(a.n_tags == 1 && !strcmp(a.tags[0], "waited"),
	      "annotations before a deferred answer");
	CHECK(filter_chain_in_flight(ch) == 0, "nothing left in flight");
	filter_chain_stats(ch, 0, &st);
	CHECK(st.pending == 2 && st.in_flight == 0 && st.kept == 2, "slow: 2 deferred keeps");
	filter_chain_stats(ch, 1, &st);
	CHECK(st.pending == 0 && st.dropped == 1 && st.kept == 1, "sync: answers are not pending");
	article_fini(&a);
	article_fini(&b);
	filter_chain_free(ch);
	conf_fini(&k);

	/* abandoned: freeing the chain completes the pending call as an error (on_error = drop
	 * here), before fini */
	memset(&r, 0, sizeof r);
	conf_init(&k);
	conf_add(&k, "never", plugpath("testplug"), ON_ERROR_DROP, "verdict=pending", tr, NULL);
	conf_add(&k, "after", plugpath("testplug"), ON_ERROR_KEEP, tr, NULL);
	ch = chain(&k, &loop);
	if (!ch)
		return;
	clear(tracefile);
	article(&a, "abandoned");
	filter_chain_run(ch, &a, NULL, on_done, &r);
	CHECK(r.calls == 0, "pending");
	capture_start();
	filter_chain_free(ch);
	log = capture_end();
	CHECK(r.calls == 1 && r.outcome == FILTER_DROP && !strcmp(r.by, "never"),
	      "abandoned call: an error, on_error = drop");
	CHECK(strstr(log, "filter never: article 0123456789abcdef abandoned") != NULL,
	      "abandonment is logged: '%s'", log);
	free(log);
	t = slurp(tracefile);
	CHECK_STR(t, "never filter abandoned\nnever fini -\nafter fini -\n",
		  "done before fini; the plugin never answers");
	free(t);
	article_fini(&a);
	conf_fini(&k);

	/* abandoned with on_error = keep: the article goes on through the rest of the chain */
	memset(&r, 0, sizeof r);
	conf_init(&k);
	conf_add(&k, "never", plugpath("testplug"), ON_ERROR_KEEP, "verdict=pending", NULL);
	conf_add(&k, "dropper", plugpath("testplug"), ON_ERROR_KEEP, "verdict=drop", NULL);
	ch = chain(&k, &loop);
	if (!ch)
		return;
	article(&a, "abandoned");
	filter_chain_run(ch, &a, NULL, on_done, &r);
	capture_start();
	filter_chain_free(ch);
	free(capture_end());
	CHECK(r.calls == 1 && r.outcome == FILTER_DROP && !strcmp(r.by, "dropper"),
	      "after abandonment the rest of the chain runs");
	article_fini(&a);
	conf_fini(&k);

	uv_run(&loop, UV_RUN_DEFAULT); /* the plugin's closed timers */
	CHECK(uv_loop_close(&loop) == 0, "no handle left open");
}

/* An article with the fields ABI 1.1 added, and its feed. */
static void rich_article(struct article *a, struct feed_info *fi, const char *title)
{
	article(a, title);
	a->revision = 2;
	a->url = strdup("https://example.org/a");
	article_add_link(a, "https://example.org/a", "alternate", "text/html", NULL);
	article_add_link(a, "https://example.org/c", "replies", NULL, "Comments");
	feed_info_init(fi);
	fi->name = strdup("example");
	fi->url = strdup("https://example.org/feed");
	fi->link = strdup("https://example.org/");
	fi->subtitle = strdup("Examples");
	person_list_add(&fi->authors, &fi->n_authors, "Ed", NULL, NULL);
}

/* A later filter sees what earlier ones added (topics, tags) and the fields ABI 1.1 added, in
 * the C view and in article_json(), which is the spool writer's text. */
static void test_view(const char *dir)
{
	char view[4200], json[4200], vopt[4300], jopt[4300], *t, *expect;
	struct conf k;
	struct filter_chain *ch;
	struct article a;
	struct feed_info fi;
	struct result r = {0};
	struct buf want = BUF_INIT;
	json_t *fj;
	char *feed;

	snprintf(view, sizeof view, "%s/view", dir);
	snprintf(json, sizeof json, "%s/json", dir);
	snprintf(vopt, sizeof vopt, "view=%s", view);
	snprintf(jopt, sizeof jopt, "json=%s", json);
	clear(view);
	clear(json);
	conf_init(&k);
	conf_add(&k, "first", plugpath("testplug"), ON_ERROR_KEEP, vopt, "match=Spark",
		 "topic=dgx-spark", "tag=hardware", NULL);
	conf_add(&k, "second", plugpath("testplug"), ON_ERROR_KEEP, vopt, jopt,
		 "require=topic:dgx-spark", NULL);
	conf_add(&k, "third", plugpath("testplug"), ON_ERROR_KEEP, vopt, "require=tag:hardware",
		 NULL);
	ch = chain(&k, NULL);
	if (!ch)
		return;
	rich_article(&a, &fi, "DGX Spark ships");
	filter_chain_run(ch, &a, &fi, on_done, &r);
	CHECK(r.calls == 1 && r.outcome == FILTER_KEEP, "kept: the later filters found the first "
							"one's topic and tag");
	t = slurp(view);
	CHECK_STR(t,
		  "first rev=2 feed=example|https://example.org/|Examples|1 "
		  "links=https://example.org/a(alternate),https://example.org/c(replies) topics= "
		  "tags=\n"
		  "second rev=2 feed=example|https://example.org/|Examples|1 "
		  "links=https://example.org/a(alternate),https://example.org/c(replies) "
		  "topics=dgx-spark:1.5:alpha+beta tags=hardware\n"
		  "third rev=2 feed=example|https://example.org/|Examples|1 "
		  "links=https://example.org/a(alternate),https://example.org/c(replies) "
		  "topics=dgx-spark:1.5:alpha+beta tags=hardware\n",
		  "each filter sees revision, feed, links, and what the filters before it added");
	free(t);
	/* the JSON the second filter got is what the spool writes (the chain added nothing since)
	 */
	fj = feed_info_to_json(&fi);
	feed = json_dumps(fj, JSON_COMPACT);
	article_write_json(&a, feed, &want);
	buf_putc(&want, '\n');
	expect = buf_steal(&want);
	t = slurp(json);
	CHECK_STR(t, expect,
		  "article_json() is the spool writer's text, the first filter's "
		  "topic and tag included");
	CHECK(strstr(t, "\"revision\":2") && strstr(t, "\"feed\":{\"name\":\"example\"") &&
		  strstr(t, "\"links\":[{\"url\":\"https://example.org/a\""),
	      "it has the revision, the feed object and the links: %s", t);
	free(t);
	free(expect);
	free(feed);
	json_decref(fj);
	article_fini(&a);

	memset(&r, 0, sizeof r);
	clear(view);
	article(&a, "Starship stacks");
	filter_chain_run(ch, &a, &fi, on_done, &r);
	CHECK(r.calls == 1 && r.outcome == FILTER_DROP && !strcmp(r.by, "second"),
	      "dropped by the second filter: the first found no topic (%s)", r.by);
	article_fini(&a);
	feed_info_fini(&fi);
	filter_chain_free(ch);
	conf_fini(&k);
	unlink(view);
	unlink(json);
}

/* article_json() of a deferred call: the text until the answer, refused after it (the handle's
 * token is no longer in progress), like every other use of a stale handle. */
static void test_json_deferred(const char *dir)
{
	char json[4200], jopt[4300], *t, *log, *expect;
	struct buf want = BUF_INIT;
	struct conf k;
	struct filter_chain *ch;
	struct article a;
	struct result r = {0};
	uv_loop_t loop;

	snprintf(json, sizeof json, "%s/json-deferred", dir);
	snprintf(jopt, sizeof jopt, "json=%s", json);
	clear(json);
	uv_loop_init(&loop);
	conf_init(&k);
	conf_add(&k, "slow", plugpath("testplug"), ON_ERROR_KEEP, "verdict=pending", jopt, NULL);
	ch = chain(&k, &loop);
	if (!ch)
		return;
	article(&a, "later");
	filter_chain_run(ch, &a, NULL, on_done, &r);
	capture_start();
	uv_run(&loop, UV_RUN_DEFAULT);
	log = capture_end();
	CHECK(r.calls == 1 && r.outcome == FILTER_KEEP, "the deferred keep arrives");
	t = slurp(json);
	article_write_json(&a, NULL, &want);
	expect = buf_steal(&want);
	buf_printf(&want, "%s\n%s\n(none)\n", expect, expect);
	free(expect);
	CHECK_STR(t, buf_cstr(&want),
		  "the spool's JSON in filter() and before complete(); refused after it");
	CHECK(strstr(log, "filter slow: article_json() for an article whose call is over") != NULL,
	      "the stale handle is logged: got '%s'", log);
	buf_fini(&want);
	free(t);
	free(log);
	article_fini(&a);
	filter_chain_free(ch);
	conf_fini(&k);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	unlink(json);
}

/* What an item's HTML content gives the C view: content_html, the inline links with their texts
 * (link_texts, parallel to links) and the images, as the normalizer made them, beside a plugin
 * built against ABI 1.0 that knows none of them. */
struct html_run {
	struct filter_chain *ch;
	struct result r;
	char *content_html;
};

static int html_item(void *ud, struct article *a, const struct feed_info *f)
{
	struct html_run *h = ud;

	h->content_html = a->content_html ? strdup(a->content_html) : NULL;
	filter_chain_run(h->ch, a, f, on_done, &h->r);
	return 0;
}

static void test_html(const char *dir)
{
	static const char doc[] =
	    "<?xml version=\"1.0\"?>\n"
	    "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>T</title><id>urn:t</id>"
	    "<updated>2026-01-01T00:00:00Z</updated>\n"
	    "<entry><title>Paper</title><id>urn:p1</id><updated>2026-01-01T00:00:00Z</updated>\n"
	    "<link rel=\"alternate\" href=\"https://example.org/post\"/>\n"
	    "<link rel=\"replies\" href=\"/post/comments\" title=\"Comments\"/>\n"
	    "<summary>Short.</summary>\n"
	    "<content type=\"html\">&lt;p onclick=\"x()\"&gt;Read &lt;a "
	    "href=\"/doc/paper.pdf\"&gt;the paper&lt;/a&gt; and see &lt;img src=\"fig.png\" "
	    "alt=\"Figure 1\"&gt;&lt;script&gt;x()&lt;/script&gt; and &lt;img "
	    "src=\"/img/2.jpg\"&gt;&lt;/p&gt;</content>\n"
	    "</entry></feed>\n";
	static const char html[] =
	    "<p>Read <a href=\"https://example.org/doc/paper.pdf\">the paper</a> and see <img "
	    "src=\"https://example.org/blog/fig.png\" alt=\"Figure 1\"> and <img "
	    "src=\"https://example.org/img/2.jpg\"></p>";
	char out[4200], opt[4300], want[4096], *t;
	struct feed_parser_opts o = {.name = "example", .url = "https://example.org/blog/feed.xml"};
	struct html_run h = {0};
	struct feed_parser *p;
	struct conf k;

	snprintf(out, sizeof out, "%s/html", dir);
	snprintf(opt, sizeof opt, "html=%s", out);
	clear(out);
	conf_init(&k);
	conf_add(&k, "old", plugpath("testplug_abi10"), ON_ERROR_KEEP, opt, NULL);
	conf_add(&k, "new", plugpath("testplug"), ON_ERROR_KEEP, opt, NULL);
	h.ch = chain(&k, NULL);
	if (!h.ch)
		return;
	p = feed_parser_new(&o, html_item, &h);
	CHECK(p && feed_parser_push(p, doc, sizeof doc - 1) == 0 && feed_parser_finish(p) == 0,
	      "the feed parses");
	feed_parser_free(p);
	CHECK(h.r.calls == 1 && h.r.outcome == FILTER_KEEP, "one article, kept by both filters");
	CHECK_STR(h.content_html, html, "the normalizer's content_html (the test's premise)");
	snprintf(want, sizeof want,
		 "html=%s\n"
		 "link https://example.org/post alternate text=-\n"
		 "link https://example.org/post/comments replies text=-\n"
		 "link https://example.org/doc/paper.pdf inline text=the paper\n"
		 "image https://example.org/blog/fig.png alt=Figure 1\n"
		 "image https://example.org/img/2.jpg alt=\n",
		 html);
	t = slurp(out);
	CHECK_STR(t, want,
		  "the C view has content_html, each link's text (the inline one's) and the "
		  "images; the 1.0 plugin before it ran and saw none of them");
	free(t);
	free(h.content_html);
	filter_chain_free(h.ch);
	conf_fini(&k);
	unlink(out);
}

/* A plugin built against the ABI 1.0 header loads and works in this host, beside new ones. */
static void test_old_minor(const char *dir)
{
	char view[4200], vopt[4300], *t;
	struct conf k;
	struct filter_chain *ch;
	struct article a;
	struct feed_info fi;
	struct result r = {0};

	snprintf(view, sizeof view, "%s/view-old", dir);
	snprintf(vopt, sizeof vopt, "view=%s", view);
	clear(view);
	conf_init(&k);
	conf_add(&k, "old", plugpath("testplug_abi10"), ON_ERROR_KEEP, vopt, "match=Spark",
		 "verdict=drop", "topic=old-topic", "tag=old-tag", "reason=an old plugin", NULL);
	conf_add(&k, "new", plugpath("testplug"), ON_ERROR_KEEP, vopt, NULL);
	ch = chain(&k, NULL);
	if (!ch)
		return;
	rich_article(&a, &fi, "Starship stacks");
	a.fetched = 1700000000;
	article_add_enclosure(&a, "https://example.org/a.mp3", "audio/mpeg", 42);
	filter_chain_run(ch, &a, &fi, on_done, &r);
	CHECK(r.calls == 1 && r.outcome == FILTER_KEEP, "the 1.0 plugin keeps what it does not "
							"match");
	t = slurp(view);
	CHECK_STR(t,
		  "old abi-1.0 size-ok=1 feed=example enc=1 fetched=1700000000\n"
		  "new rev=2 feed=example|https://example.org/|Examples|1 "
		  "links=https://example.org/a(alternate),https://example.org/c(replies) topics= "
		  "tags=\n",
		  "the 1.0 plugin reads its fields through its own struct; the next one sees 1.1");
	free(t);
	article_fini(&a);
	clear(view);
	memset(&r, 0, sizeof r);
	article(&a, "DGX Spark ships");
	filter_chain_run(ch, &a, &fi, on_done, &r);
	CHECK(r.calls == 1 && r.outcome == FILTER_DROP && !strcmp(r.by, "old") &&
		  !strcmp(r.reason, "old: an old plugin"),
	      "the 1.0 plugin drops, with its reason");
	CHECK(a.n_topics == 1 && !strcmp(a.topics[0].name, "old-topic") && a.n_tags == 1,
	      "its annotations reach the article");
	article_fini(&a);
	feed_info_fini(&fi);
	filter_chain_free(ch);
	conf_fini(&k);
	unlink(view);
}

/* Adds a configured feed to k. */
static void conf_feed(struct conf *k, const char *name, const char *category)
{
	struct feed_conf *f = &k->feeds[k->c.n_feeds++];

	memset(f, 0, sizeof *f);
	f->name = (char *)name;
	f->category = (char *)category;
	k->c.feeds = k->feeds;
}

/* Runs one article of feed `feed` through ch; the trace file says who judged it. */
static char *judged_by(struct filter_chain *ch, const char *feed, const char *tracefile)
{
	struct article a;
	struct feed_info fi;
	struct result r = {0};

	clear(tracefile);
	article(&a, "x");
	feed_info_init(&fi);
	fi.name = feed ? strdup(feed) : NULL;
	filter_chain_run(ch, &a, feed ? &fi : NULL, on_done, &r);
	CHECK(r.calls == 1, "%s: done once", feed);
	article_fini(&a);
	feed_info_fini(&fi);
	return slurp(tracefile);
}

/* feeds = and categories = scope a filter; names that name no feed are refused. */
static void test_scope(const char *tracefile)
{
	char tr[4200], *t, *log;
	char *alpha[] = {"alpha"}, *b_star[] = {"b*", "nomatch-*"}, *news[] = {"News"};
	struct conf k;
	struct filter_chain *ch;
	struct buf err = BUF_INIT;

	snprintf(tr, sizeof tr, "trace=%s", tracefile);
	conf_init(&k);
	conf_feed(&k, "alpha", NULL);
	conf_feed(&k, "beta", "News");
	conf_feed(&k, "gamma", "News");
	conf_feed(&k, "delta", "Tech");
	conf_add(&k, "only-alpha", plugpath("testplug"), ON_ERROR_KEEP, tr, NULL);
	k.f[0].feeds = alpha;
	k.f[0].n_feeds = 1;
	conf_add(&k, "b-feeds", plugpath("testplug"), ON_ERROR_KEEP, tr, NULL);
	k.f[1].feeds = b_star;
	k.f[1].n_feeds = 2;
	k.f[1].feeds_line = 21;
	conf_add(&k, "news", plugpath("testplug"), ON_ERROR_KEEP, tr, NULL);
	k.f[2].categories = news;
	k.f[2].n_categories = 1;
	conf_add(&k, "alpha-or-news", plugpath("testplug"), ON_ERROR_KEEP, tr, NULL);
	k.f[3].feeds = alpha;
	k.f[3].n_feeds = 1;
	k.f[3].categories = news;
	k.f[3].n_categories = 1;
	conf_add(&k, "all", plugpath("testplug"), ON_ERROR_KEEP, tr, NULL);
	capture_start();
	ch = filter_chain_new(&k.c, NULL, &err);
	log = capture_end();
	CHECK(ch != NULL, "the scoped chain builds: %s", buf_cstr(&err));
	CHECK(strstr(log, "test.conf:21: filter b-feeds: feeds: pattern nomatch-* matches no "
			  "configured feed") != NULL,
	      "a pattern that matches no feed is warned about: got '%s'", log);
	free(log);
	if (!ch)
		return;
	t = judged_by(ch, "alpha", tracefile);
	CHECK_STR(t, "only-alpha filter x\nalpha-or-news filter x\nall filter x\n",
		  "alpha: judged by the filters scoped to it and the unscoped one");
	free(t);
	t = judged_by(ch, "beta", tracefile);
	CHECK_STR(t, "b-feeds filter x\nnews filter x\nalpha-or-news filter x\nall filter x\n",
		  "beta: b* and its category News");
	free(t);
	t = judged_by(ch, "gamma", tracefile);
	CHECK_STR(t, "news filter x\nalpha-or-news filter x\nall filter x\n",
		  "gamma: its category only");
	free(t);
	t = judged_by(ch, "delta", tracefile);
	CHECK_STR(t, "all filter x\n", "delta (Tech): only the unscoped filter");
	free(t);
	t = judged_by(ch, NULL, tracefile);
	CHECK_STR(t, "all filter x\n", "no feed: only the unscoped filter");
	free(t);
	filter_chain_free(ch);
	conf_fini(&k);
	buf_fini(&err);
	clear(tracefile);
}

/* A name that names no feed is an error; a category no feed has, a warning. */
static void test_scope_errors(void)
{
	char *typo[] = {"alpah"}, *nocat[] = {"Sport*"}, *log;
	struct conf k;
	struct filter_chain *ch;
	struct buf err = BUF_INIT;

	conf_init(&k);
	conf_feed(&k, "alpha", "News");
	conf_add(&k, "typo", plugpath("testplug"), ON_ERROR_KEEP, NULL);
	k.f[0].feeds = typo;
	k.f[0].n_feeds = 1;
	k.f[0].feeds_line = 12;
	expect_refused(
	    &k, "feeds = alpah",
	    (const char *const[]){"test.conf:12: filter typo: feeds: no feed named alpah", NULL});
	conf_fini(&k);
	conf_init(&k);
	conf_feed(&k, "alpha", "News");
	conf_add(&k, "nocat", plugpath("testplug"), ON_ERROR_KEEP, NULL);
	k.f[0].categories = nocat;
	k.f[0].n_categories = 1;
	k.f[0].categories_line = 13;
	capture_start();
	ch = filter_chain_new(&k.c, NULL, &err);
	log = capture_end();
	CHECK(ch != NULL, "a category no feed has is no error");
	CHECK(strstr(log, "test.conf:13: filter nocat: categories: Sport* matches no feed's "
			  "category") != NULL,
	      "but a warning naming file and line: got '%s'", log);
	free(log);
	filter_chain_free(ch);
	conf_fini(&k);
	buf_fini(&err);
}

int main(void)
{
	char tracefile[] = "/tmp/feedspool-test-plugin-trace.XXXXXX";
	char dir[] = "/tmp/feedspool-test-plugin-dir.XXXXXX";
	int fd = mkstemp(tracefile);

	if (fd < 0)
		return 99;
	close(fd);
	test_refusals();
	test_lookup();
	test_order(tracefile);
	test_errors();
	test_deferred(tracefile);
	test_scope(tracefile);
	test_scope_errors();
	if (mkdtemp(dir)) {
		test_view(dir);
		test_json_deferred(dir);
		test_old_minor(dir);
		test_html(dir);
		rmdir(dir);
	}
	unlink(tracefile);
	return check_exit();
}
