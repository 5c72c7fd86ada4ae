/* SPDX-License-Identifier: MIT */
/* The lua filter plugin (plugins/lua), loaded from its built .so and driven by a test host. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uv.h>

#include <feedspool/plugin.h>

#include "check.h"
#include "plugin_host.h"

static uv_loop_t loop;
static const struct feedspool_plugin *plugin;
static char config_dir[4096];

static void host_complete(struct feedspool_call *call, enum feedspool_verdict verdict)
{
	call->done++; /* the lua plugin answers at once: never called */
}

static struct feedspool_host host = {
    .size = sizeof(struct feedspool_host),
    .abi_major = FEEDSPOOL_PLUGIN_ABI_MAJOR,
    .abi_minor = FEEDSPOOL_PLUGIN_ABI_MINOR,
    .log = host_log,
    .annotate_topic = host_topic,
    .annotate_tag = host_tag,
    .complete = host_complete,
    .config_dir = config_dir,
    .loop = &loop,
};

#define start(...) plugin_start(plugin, &host, __VA_ARGS__)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Judges one article titled title; the call's record is in *call. */
static enum feedspool_verdict judge(void *s, const char *title, struct feedspool_call *call)
{
	struct feedspool_article a = sample_article(title);

	memset(call, 0, sizeof(*call));
	return plugin->filter(s, &a, call);
}

static void test_verdicts(void *s)
{
	struct feedspool_call c;
	enum feedspool_verdict v;

	v = judge(s, "Hello, GPU world", &c);
	CHECK(v == FEEDSPOOL_KEEP, "\"Hello, GPU world\" is kept (%s)", verdict_name(v));
	CHECK_STR(c.topics, "echo 16 Hello,GPU,world;plain 1 ;",
		  "topics: name, score, matched; a topic without score or matched gets 1 and none");
	CHECK_STR(c.tags,
		  "feed=Example feed;cats=gpu,ai;ncats=2;author=Ada;published=1700000000;"
		  "updated=nil;fields=15;calls=1;load=2;kb=yes;year=2023;clock=number;",
		  "tags built from every article field the script reads");
	v = judge(s, "drop this", &c);
	CHECK(v == FEEDSPOOL_DROP, "\"drop this\" is dropped (%s)", verdict_name(v));
	CHECK_STR(c.topics, "", "a drop without topics has none");
	CHECK(c.done == 0, "complete() is never called for a synchronous answer");
}

/* The fields ABI 1.1 added, and what a 1.0 host (a smaller article) leaves of them. */
static void test_fields(void)
{
	static const struct feedspool_person fauthors[] = {{"Feed Author", NULL, NULL}};
	static const struct feedspool_feed feed = {
	    .size = sizeof(struct feedspool_feed),
	    .name = "example",
	    .url = "https://example.org/feed",
	    .updated = 1700000100,
	    .authors = fauthors,
	    .n_authors = 1,
	};
	static const struct feedspool_link links[] = {
	    {"https://example.org/a", "alternate", NULL, NULL},
	    {"https://example.org/c", "replies", "text/html", NULL},
	};
	static const struct feedspool_enclosure enc[] = {
	    {"https://example.org/a.mp3", "audio/mpeg", 42}};
	static const char *const matched[] = {"DGX Spark", "GB10"};
	static const struct feedspool_topic topics[] = {{"dgx-spark", 2.5, matched, 2}};
	static const char *const tags[] = {"hardware", "seen"};
	struct feedspool_article a = {
	    .size = sizeof(struct feedspool_article),
	    .id = "id-2",
	    .title = "fields",
	    .feed_name = "example",
	    .enclosures = enc,
	    .n_enclosures = 1,
	    .published = INT64_MIN,
	    .updated = INT64_MIN,
	    .fetched = 1700000200,
	    .revision = 2,
	    .feed = &feed,
	    .links = links,
	    .n_links = 2,
	    .topics = topics,
	    .n_topics = 1,
	    .tags = tags,
	    .n_tags = 2,
	};
	struct feedspool_call c;
	enum feedspool_verdict v;
	void *s = start("script", "fields.lua", NULL);

	CHECK(s != NULL, "init with script = fields.lua");
	if (!s)
		return;
	memset(&c, 0, sizeof(c));
	v = plugin->filter(s, &a, &c);
	CHECK(v == FEEDSPOOL_KEEP, "kept: an earlier filter found dgx-spark (%s)", verdict_name(v));
	CHECK_STR(c.tags,
		  "rev=2;fetched=1700000200;feed=example|https://example.org/feed|nil|1700000100|"
		  "Feed Author;links=https://example.org/a alternate,https://example.org/c "
		  "replies;enc=https://example.org/a.mp3 audio/mpeg 42;topics=dgx-spark 2.5 "
		  "DGX Spark+GB10;tags=hardware+seen;",
		  "the script reads revision, fetched, feed, links, enclosures, topics and tags");

	/* a 1.0 host fills the article up to fetched: the new fields read as empty */
	a.size = offsetof(struct feedspool_article, revision);
	memset(&c, 0, sizeof(c));
	v = plugin->filter(s, &a, &c);
	CHECK(v == FEEDSPOOL_DROP, "on a 1.0 host there are no topics: dropped (%s)",
	      verdict_name(v));
	CHECK_STR(c.tags,
		  "rev=0;fetched=1700000200;feed=nil;links=;enc=https://example.org/a.mp3 "
		  "audio/mpeg 42;topics=;tags=;",
		  "on a 1.0 host the script sees the 1.0 fields and empty new ones");
	plugin->fini(s);
}

/* The article's HTML (ABI 1.1's last members): content_html, images, and each link's text; and
 * what a host that fills the article only up to n_tags leaves of them. */
static void test_html(void)
{
	static const struct feedspool_link links[] = {
	    {"https://example.org/a", "alternate", NULL, NULL},
	    {"https://example.org/doc/paper.pdf", "inline", NULL, NULL},
	};
	static const char *const texts[] = {NULL, "the paper"};
	static const struct feedspool_image images[] = {
	    {"https://example.org/fig.png", "Figure 1"},
	    {"https://example.org/2.jpg", ""},
	};
	struct feedspool_article a = {
	    .size = sizeof(struct feedspool_article),
	    .id = "id-3",
	    .title = "html",
	    .published = INT64_MIN,
	    .updated = INT64_MIN,
	    .fetched = INT64_MIN,
	    .links = links,
	    .n_links = 2,
	    .content_html =
		"<p>Read <a href=\"https://example.org/doc/paper.pdf\">the paper</a></p>",
	    .link_texts = texts,
	    .images = images,
	    .n_images = 2,
	};
	struct feedspool_call c;
	enum feedspool_verdict v;
	void *s = start("script", "html.lua", NULL);

	CHECK(s != NULL, "init with script = html.lua");
	if (!s)
		return;
	memset(&c, 0, sizeof(c));
	v = plugin->filter(s, &a, &c);
	CHECK(v == FEEDSPOOL_KEEP, "kept (%s)", verdict_name(v));
	/* content_html as html.lua shows it: its length and FNV-1a-32 (python3 computed it) */
	CHECK_STR(c.tags,
		  "html=69:b45bed8f;links=https://example.org/a alternate "
		  "nil,https://example.org/doc/paper.pdf inline the paper;"
		  "images=https://example.org/fig.png Figure 1,https://example.org/2.jpg ;",
		  "the script reads content_html, the images and each link's text");

	/* a host whose article ends at n_tags: no content_html, texts or images */
	a.size = offsetof(struct feedspool_article, content_html);
	memset(&c, 0, sizeof(c));
	v = plugin->filter(s, &a, &c);
	CHECK(v == FEEDSPOOL_KEEP, "kept (%s)", verdict_name(v));
	CHECK_STR(c.tags,
		  "html=nil;links=https://example.org/a alternate "
		  "nil,https://example.org/doc/paper.pdf inline nil;images=;",
		  "on an older host the script sees no HTML, no texts and no images");
	plugin->fini(s);
}

static void test_sandbox(void *s)
{
	static const struct {
		const char *title, *log;
	} probes[] = {
	    {"test:io", "global 'io'"},
	    {"test:execute", "field 'execute'"},
	    {"test:require", "global 'require'"},
	    {"test:dofile", "global 'dofile'"},
	    {"test:getenv", "field 'getenv'"},
	    {"test:debug", "global 'debug'"},
	    {"test:dump", "field 'dump'"},
	    {"test:bytecode", "binary chunk"},
	    {"test:gcstop", "only \"count\""},
	    {"test:gc", "__gc"},
	    {"test:write", "read-only"},
	    {"test:error", "verdicts.lua:24: deliberate"},
	    {"test:badverdict", "the verdict is \"maybe\""},
	    {"test:badtopic", "topics[1].name is not a string"},
	    {"test:badtag", "tags (3rd result)[2] is not a string"},
	    {"test:rep", "resulting string too large"},
	};
	struct feedspool_call c;
	enum feedspool_verdict v;
	size_t i;

	for (i = 0; i < sizeof(probes) / sizeof(*probes); i++) {
		reset_logs();
		v = judge(s, probes[i].title, &c);
		CHECK(v == FEEDSPOOL_ERROR, "sandbox probe %s is ERROR (%s)", probes[i].title,
		      verdict_name(v));
		CHECK(log_count(probes[i].log) == 1, "sandbox probe %s logs \"%s\" (first log: %s)",
		      probes[i].title, probes[i].log, n_logs ? logs[0] : "none");
		CHECK_STR(c.tags, "", "sandbox probe %s annotates nothing", probes[i].title);
	}
}

static void test_limits(void *s)
{
	static const char *const loops[] = {"test:loop", "test:pcallloop", "test:move"};
	struct feedspool_call c;
	enum feedspool_verdict v;
	size_t i;
	double t;

	for (i = 0; i < sizeof(loops) / sizeof(*loops); i++) {
		reset_logs();
		t = now();
		v = judge(s, loops[i], &c);
		t = now() - t;
		CHECK(v == FEEDSPOOL_ERROR, "%s: an endless loop is ERROR (%s)", loops[i],
		      verdict_name(v));
		CHECK(t < 2.0, "%s: stopped quickly by the budget (%.3f s)", loops[i], t);
		CHECK(log_count("instruction budget exhausted") == 1,
		      "%s: logged as \"instruction budget exhausted\"", loops[i]);
	}
	reset_logs();
	t = now();
	v = judge(s, "test:alloc", &c);
	t = now() - t;
	CHECK(v == FEEDSPOOL_ERROR, "endless allocation is ERROR (%s)", verdict_name(v));
	CHECK(log_count("memory limit exhausted") == 1, "logged as \"memory limit exhausted\" (%s)",
	      n_logs ? logs[0] : "no log");
	CHECK(t < 5.0, "stopped by the memory cap (%.3f s)", t);
	v = judge(s, "after the storm", &c);
	CHECK(v == FEEDSPOOL_KEEP, "after running out of memory the state still works (%s)",
	      verdict_name(v));
	CHECK(strstr(c.tags, "calls=") != NULL && strstr(c.tags, "calls=1;") == NULL,
	      "globals survive between calls: the call counter went on (%s)", c.tags);
	v = judge(s, "test:alloc", &c);
	CHECK(v == FEEDSPOOL_ERROR, "a second endless allocation is ERROR too (%s)",
	      verdict_name(v));
	v = judge(s, "and again", &c);
	CHECK(v == FEEDSPOOL_KEEP, "and the state works again (%s)", verdict_name(v));
}

static void test_init_errors(void)
{
	void *s;

	reset_logs();
	s = start("script", "syntax.lua", NULL);
	CHECK(s == NULL, "a syntax error fails init");
	CHECK(n_logs == 1 && strstr(logs[0], "/syntax.lua:3: ") != NULL,
	      "the syntax error is logged as FILE:LINE: message (%s)", n_logs ? logs[0] : "no log");
	reset_logs();
	CHECK(start("script", "nofilter.lua", NULL) == NULL, "a script without filter fails init");
	CHECK(log_count("defines no function filter") == 1, "... and says so");
	reset_logs();
	CHECK(start("script", "toplevel.lua", "budget", "100000", NULL) == NULL,
	      "a script looping at load time fails init");
	CHECK(log_count("instruction budget exhausted") == 1, "... within its budget");
	reset_logs();
	CHECK(start("script", "missing.lua", NULL) == NULL, "a missing script fails init");
	CHECK(log_count("cannot open") == 1 && log_count("missing.lua") == 1,
	      "... naming the file");
	reset_logs();
	CHECK(start(NULL) == NULL, "no script fails init");
	CHECK(start("script", "verdicts.lua", "budget", "lots", NULL) == NULL,
	      "budget = lots fails init");
	CHECK(start("script", "verdicts.lua", "memory", "1k", NULL) == NULL,
	      "memory = 1k (under 64k) fails init");
	CHECK(start("script", "verdicts.lua", "colour", "blue", NULL) == NULL,
	      "an unknown option fails init");
	CHECK(n_logs == 4, "each option error is logged (%d)", n_logs);
	s = start("script", "verdicts.lua", "memory", "64k", NULL);
	if (s)
		plugin->fini(s);
	s = start("script", "verdicts.lua", "budget", "10", NULL);
	CHECK(s == NULL && log_count("instruction budget exhausted") == 1,
	      "a budget too small to run the script's top level fails init");
	if (s)
		plugin->fini(s);
}

int main(void)
{
	char err[4608];
	void *s;

	plugin = plugin_load("lua", config_dir, sizeof(config_dir), err, sizeof(err));
	CHECK(plugin != NULL, "%s", plugin ? "the plugin loads" : err);
	if (!plugin)
		return check_exit();
	uv_loop_init(&loop);

	s = start("script", "verdicts.lua", NULL);
	CHECK(s != NULL, "init with script = verdicts.lua (relative to config_dir) (%s)",
	      n_logs ? logs[0] : "no log");
	if (s) {
		test_verdicts(s);
		test_sandbox(s);
		test_limits(s);
		plugin->fini(s);
	}
	test_init_errors();
	test_fields();
	test_html();

	uv_run(&loop, UV_RUN_DEFAULT);
	CHECK(uv_loop_close(&loop) == 0, "no handle left on the loop");
	reset_logs();
	plugin_unload();
	return check_exit();
}
