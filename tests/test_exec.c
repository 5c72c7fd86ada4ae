/* SPDX-License-Identifier: MIT */
/* The exec filter plugin (plugins/exec), loaded from its built .so and driven by a test host. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include <feedspool/plugin.h>

#include "article.h"
#include "check.h"
#include "plugin_host.h"

#define MAX_CALLS 64
static uv_loop_t loop;
static uv_timer_t watchdog;
static bool timed_out;
static struct feedspool_call calls[MAX_CALLS];
static int n_completed, n_late;
static bool finalized; /* complete() after fini() is a bug */
static const struct feedspool_plugin *plugin;
static char config_dir[4096];
/* The article being judged, as the host's article_json() writes it: with the spool's writer. */
static struct article cur;
static struct feed_info cur_feed;
static struct buf cur_json;

static void host_complete(struct feedspool_call *call, enum feedspool_verdict verdict)
{
	if (finalized)
		n_late++;
	call->done++;
	call->verdict = verdict;
	call->order = ++n_completed;
}

static const char *host_article_json(struct feedspool_call *call, size_t *len)
{
	json_t *fj = feed_info_to_json(&cur_feed);
	char *feed = json_dumps(fj, JSON_COMPACT);

	(void)call;
	buf_reset(&cur_json);
	article_write_json(&cur, feed, &cur_json);
	free(feed);
	json_decref(fj);
	*len = cur_json.len;
	return buf_cstr(&cur_json);
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
    .article_json = host_article_json,
};

/* Loop helpers: run until a condition holds, never longer than a watchdog allows. */

static void on_watchdog(uv_timer_t *t)
{
	timed_out = true;
}

#define RUN_UNTIL(cond, ms)                                                                        \
	({                                                                                         \
		timed_out = false;                                                                 \
		uv_timer_start(&watchdog, on_watchdog, (ms), 0);                                   \
		while (!(cond) && !timed_out)                                                      \
			uv_run(&loop, UV_RUN_ONCE);                                                \
		uv_timer_stop(&watchdog);                                                          \
		(cond);                                                                            \
	})

static void count_handle(uv_handle_t *h, void *arg)
{
	if (h != (uv_handle_t *)&watchdog)
		++*(int *)arg;
}

static int open_handles(void)
{
	int n = 0;

	uv_walk(&loop, count_handle, &n);
	return n;
}

static int count_done(int n)
{
	int i, k = 0;

	for (i = 0; i < n; i++)
		k += calls[i].done > 0;
	return k;
}

static void reset(void)
{
	int i;

	reset_logs();
	memset(calls, 0, sizeof(calls));
	for (i = 0; i < MAX_CALLS; i++)
		calls[i].id = i;
	n_completed = n_late = 0;
	finalized = false;
}

/* Instances */

#define start(...) plugin_start(plugin, &host, __VA_ARGS__)

/* fini(), then the loop until every handle the instance had is closed. */
static void stop(void *state, const char *what)
{
	plugin->fini(state);
	finalized = true;
	CHECK(RUN_UNTIL(open_handles() == 0, 8000), "%s: every handle closed after fini (%d open)",
	      what, open_handles());
	CHECK(n_late == 0, "%s: no complete() after fini (%d)", what, n_late);
}

static enum feedspool_verdict judge(void *state, int i, const char *title)
{
	struct feedspool_article a = sample_article(title);

	article_fini(&cur);
	feed_info_fini(&cur_feed);
	cur.title = strdup(title);
	strcpy(cur.id, "0123456789abcdef");
	cur.url = strdup(a.url);
	cur.summary = strdup(a.summary);
	cur.body = strdup(a.body);
	cur.published = a.published;
	article_add_category(&cur, "gpu");
	article_add_category(&cur, "ai");
	person_list_add(&cur.authors, &cur.n_authors, "Ada", "ada@example.org", NULL);
	cur_feed.name = strdup(a.feed_name);

	return plugin->filter(state, &a, &calls[i]);
}

/* Tests */

static void test_verdicts(void)
{
	void *s;
	int i;
	bool pending = true, ordered = true;

	reset();
	s = start("command", "/usr/bin/python3 verdicts.py \"arg one\" \"it's\" a\\ b 'x\"y'",
		  "timeout", "10s", NULL);
	CHECK(s != NULL, "init with command = python3 verdicts.py ... succeeds");
	if (!s)
		return;
	pending &= judge(s, 0, "hello") == FEEDSPOOL_PENDING;
	pending &= judge(s, 1, "drop me") == FEEDSPOOL_PENDING;
	pending &= judge(s, 2, "error") == FEEDSPOOL_PENDING;
	pending &= judge(s, 3, "caf\xe9 \"quoted\"\nnew line") == FEEDSPOOL_PENDING;
	for (i = 4; i < 40; i++)
		pending &= judge(s, i, i % 2 ? "drop odd" : "even") == FEEDSPOOL_PENDING;
	CHECK(pending, "filter() answers PENDING for every article");
	CHECK(n_completed == 0, "nothing completes before the loop runs (%d)", n_completed);
	CHECK(RUN_UNTIL(count_done(40) == 40, 10000), "40 articles answered (%d)", count_done(40));

	CHECK(calls[0].verdict == FEEDSPOOL_KEEP, "\"hello\" is kept (%s)",
	      verdict_name(calls[0].verdict));
	CHECK_STR(calls[0].topics, "echo 2.5 hello,Example feed;",
		  "topics of \"hello\": name, score, matched title and feed");
	CHECK_STR(calls[0].tags, "args=arg one|it's|a b|x\"y;cats=gpu,ai;author=Ada;",
		  "tags of \"hello\": the arguments split like a shell, categories, author");
	CHECK(calls[1].verdict == FEEDSPOOL_DROP, "\"drop me\" is dropped (%s)",
	      verdict_name(calls[1].verdict));
	CHECK_STR(calls[1].topics, "", "a drop without topics has none");
	CHECK(calls[2].verdict == FEEDSPOOL_ERROR, "the verdict \"error\" is ERROR (%s)",
	      verdict_name(calls[2].verdict));
	CHECK_STR(calls[3].topics, "echo 2.5 caf\xc3\xa9 \"quoted\"\nnew line,Example feed;",
		  "a title with invalid UTF-8 (read as windows-1252, as the spool writes it), "
		  "quotes and a newline goes there and back");
	for (i = 0; i < 40; i++) {
		if (calls[i].order != i + 1 || calls[i].done != 1)
			ordered = false;
		if (i >= 4 && calls[i].verdict != (i % 2 ? FEEDSPOOL_DROP : FEEDSPOOL_KEEP))
			ordered = false;
	}
	CHECK(ordered, "40 answers complete once each, in the order asked, with their verdicts");
	CHECK(RUN_UNTIL(log_count("stderr: verdicts.py: ready") == 1, 5000),
	      "the co-process's stderr reaches the log line by line");
	CHECK(log_count("started co-process") == 1, "one co-process started (%d)",
	      log_count("started co-process"));
	stop(s, "verdicts");
}

static void test_crash(void)
{
	void *s;
	int i;

	reset();
	s = start("command", "./crash.sh", "restart_backoff", "50ms", NULL);
	CHECK(s != NULL, "init with a relative command ./crash.sh (from config_dir)");
	if (!s)
		return;
	for (i = 0; i < 5; i++)
		judge(s, i, "x");
	CHECK(RUN_UNTIL(count_done(5) == 5, 5000),
	      "5 articles to a child that dies at the 3rd: all "
	      "answered (%d)",
	      count_done(5));
	CHECK(calls[0].verdict == FEEDSPOOL_KEEP && calls[1].verdict == FEEDSPOOL_KEEP,
	      "the 2 answers written before the crash count (%s, %s)",
	      verdict_name(calls[0].verdict), verdict_name(calls[1].verdict));
	CHECK(calls[2].verdict == FEEDSPOOL_ERROR && calls[3].verdict == FEEDSPOOL_ERROR &&
		  calls[4].verdict == FEEDSPOOL_ERROR,
	      "articles 3-5, outstanding when it died, are ERROR");
	CHECK(log_count("exited with status 3") == 1 || log_count("closed its standard output"),
	      "the death is logged");
	CHECK(log_count("restarting in 50 ms") == 1, "first restart after restart_backoff (50 ms)");
	CHECK(judge(s, 5, "x") == FEEDSPOOL_ERROR, "while down, filter() answers ERROR at once");
	CHECK(log_count("co-process is down") == 1, "being down is logged once");
	judge(s, 6, "x");
	CHECK(log_count("co-process is down") == 1, "... only once (%d)",
	      log_count("co-process is down"));
	CHECK(RUN_UNTIL(log_count("started co-process") == 2, 5000), "it restarts (%d starts)",
	      log_count("started co-process"));
	CHECK(judge(s, 7, "x") == FEEDSPOOL_PENDING,
	      "after the restart, filter() is PENDING again");
	for (i = 8; i < 11; i++)
		judge(s, i, "x");
	CHECK(RUN_UNTIL(calls[7].done && calls[8].done && calls[9].done && calls[10].done, 5000),
	      "the new child answers");
	CHECK(calls[7].verdict == FEEDSPOOL_KEEP && calls[8].verdict == FEEDSPOOL_KEEP &&
		  calls[9].verdict == FEEDSPOOL_ERROR,
	      "the new child keeps 2, then dies again (%s %s %s)", verdict_name(calls[7].verdict),
	      verdict_name(calls[8].verdict), verdict_name(calls[9].verdict));
	CHECK(log_count("restarting in 100 ms") == 1, "the backoff doubles (100 ms)");
	CHECK(RUN_UNTIL(log_count("started co-process") == 3, 5000), "and it restarts again");
	stop(s, "crash");
}

static void test_timeout(void)
{
	void *s;
	int i;

	reset();
	s = start("command", "/bin/sh silent.sh", "timeout", "200ms", "restart_backoff", "10ms",
		  NULL);
	CHECK(s != NULL, "init with command = /bin/sh silent.sh");
	if (!s)
		return;
	for (i = 0; i < 3; i++)
		judge(s, i, "x");
	CHECK(RUN_UNTIL(count_done(3) == 3, 5000), "a child that never answers: 3 calls answered");
	for (i = 0; i < 3; i++)
		CHECK(calls[i].verdict == FEEDSPOOL_ERROR && calls[i].order == i + 1,
		      "call %d times out as ERROR, in order (%s, %d)", i,
		      verdict_name(calls[i].verdict), calls[i].order);
	CHECK(log_count("no answer within 200 ms") == 1, "the timeout is logged once (%d)",
	      log_count("no answer within 200 ms"));
	CHECK(RUN_UNTIL(log_count("started co-process") == 2, 5000),
	      "the out-of-step child is replaced");

	/* back-pressure: max_queue in flight, then ERROR */
	stop(s, "timeout");
	reset();
	s = start("command", "/bin/sh silent.sh", "max_queue", "3", NULL);
	CHECK(s != NULL, "init with max_queue = 3");
	if (!s)
		return;
	for (i = 0; i < 3; i++)
		CHECK(judge(s, i, "x") == FEEDSPOOL_PENDING, "call %d of 3 is PENDING", i);
	CHECK(judge(s, 3, "x") == FEEDSPOOL_ERROR, "the 4th call over max_queue is ERROR at once");
	CHECK(log_count("max_queue") == 1, "a full queue is logged");
	RUN_UNTIL(false, 50);
	CHECK(count_done(4) == 0, "calls in flight stay pending (%d done)", count_done(4));
	/* fini with calls in flight: abandoned, the child gets EOF and exits */
	stop(s, "fini in flight");
}

static void test_flood_and_garbage(void)
{
	void *s;
	int i;

	reset();
	s = start("command", "/bin/sh flood.sh", "max_line", "1k", "restart_backoff", "10ms", NULL);
	CHECK(s != NULL, "init with max_line = 1k");
	if (!s)
		return;
	judge(s, 0, "x");
	judge(s, 1, "x");
	CHECK(RUN_UNTIL(count_done(2) == 2, 5000), "a child flooding stdout: calls answered");
	CHECK(calls[0].verdict == FEEDSPOOL_ERROR && calls[1].verdict == FEEDSPOOL_ERROR,
	      "an over-long line is ERROR for its call and the next (%s, %s)",
	      verdict_name(calls[0].verdict), verdict_name(calls[1].verdict));
	CHECK(log_count("longer than max_line") == 1, "the over-long line is logged");
	CHECK(RUN_UNTIL(log_count("started co-process") == 2, 5000),
	      "the flooding child is replaced");
	stop(s, "flood");

	reset();
	s = start("command", "/bin/sh garbage.sh", NULL);
	CHECK(s != NULL, "init with garbage.sh");
	if (!s)
		return;
	for (i = 0; i < 6; i++)
		judge(s, i, "x");
	CHECK(RUN_UNTIL(count_done(6) == 6, 5000), "garbage answers: 6 calls answered");
	for (i = 0; i < 4; i++)
		CHECK(calls[i].verdict == FEEDSPOOL_ERROR, "garbage answer %d is ERROR (%s)", i,
		      verdict_name(calls[i].verdict));
	CHECK(calls[4].verdict == FEEDSPOOL_KEEP && calls[5].verdict == FEEDSPOOL_KEEP,
	      "after garbage lines the stream is still in step: KEEP (%s, %s)",
	      verdict_name(calls[4].verdict), verdict_name(calls[5].verdict));
	CHECK_STR(calls[3].topics, "", "an invalid answer annotates nothing");
	CHECK(log_count("invalid answer") == 4, "each invalid answer is logged (%d)",
	      log_count("invalid answer"));
	CHECK(log_count("unknown verdict") == 1, "an unknown verdict is named in the log");
	CHECK(log_count("started co-process") == 1, "garbage does not restart the child (%d)",
	      log_count("started co-process"));
	stop(s, "garbage");

	reset();
	s = start("command", "/bin/sh chatty.sh", "restart_backoff", "10ms", NULL);
	CHECK(s != NULL, "init with chatty.sh");
	if (!s)
		return;
	CHECK(RUN_UNTIL(log_count("nobody asked for") == 1, 5000),
	      "a line before any article is logged");
	CHECK(RUN_UNTIL(log_count("started co-process") == 2, 5000),
	      "and the out-of-step child is replaced");
	stop(s, "chatty");
}

static void test_stubborn(void)
{
	void *s;

	reset();
	s = start("command", "/usr/bin/python3 stubborn.py", NULL);
	CHECK(s != NULL, "init with stubborn.py");
	if (!s)
		return;
	judge(s, 0, "x");
	judge(s, 1, "x");
	CHECK(RUN_UNTIL(log_count("stubborn.py: ready") == 1, 5000), "stubborn.py runs");
	/* it ignores EOF and SIGTERM: only SIGKILL, 2 grace periods later, ends it */
	stop(s, "stubborn");
	CHECK(count_done(2) == 0, "calls in flight at fini are abandoned");
}

static void test_bad_options(void)
{
	static const char *const bad[][2] = {
	    {"command", "./no-such-program"},
	    {"command", "no-such-program-in-path-either"},
	    {"command", "/bin/sh 'unterminated"},
	    {"command", "  "},
	    {"timeout", "soon"},
	    {"restart_backoff", "2m"},
	    {"max_line", "12"},
	    {"colour", "blue"},
	};
	size_t i;

	reset();
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		void *s;
		int before = n_logs;

		if (!strcmp(bad[i][0], "command"))
			s = start(bad[i][0], bad[i][1], NULL);
		else
			s = start("command", "/bin/cat", bad[i][0], bad[i][1], NULL);
		CHECK(s == NULL, "init with %s = %s fails", bad[i][0], bad[i][1]);
		CHECK(n_logs > before, "init with %s = %s says why", bad[i][0], bad[i][1]);
		if (s)
			stop(s, "bad option");
	}
	CHECK(log_count("no-such-program: No such file") == 1,
	      "a missing program is named with its path");
	CHECK(start(NULL) == NULL, "init without command fails");
	CHECK(open_handles() == 0, "failed inits leave no handle (%d)", open_handles());
}

/* A host of ABI 1.0 has no article_json(): the exec plugin says so instead of sending another
 * shape of article. */
static void test_old_host(void)
{
	void *s;

	reset();
	host.abi_minor = 0;
	host.article_json = NULL;
	s = start("command", "/bin/cat", NULL);
	CHECK(s == NULL, "init on a host without article_json() fails");
	CHECK(log_count("no article_json()") == 1, "and says why");
	if (s)
		stop(s, "old host");
	host.abi_minor = FEEDSPOOL_PLUGIN_ABI_MINOR;
	host.article_json = host_article_json;
}

int main(void)
{
	char err[4608];

	plugin = plugin_load("exec", config_dir, sizeof(config_dir), err, sizeof(err));
	CHECK(plugin != NULL, "%s", plugin ? "the plugin loads" : err);
	if (!plugin)
		return check_exit();
	uv_loop_init(&loop);
	uv_timer_init(&loop, &watchdog);

	test_verdicts();
	test_crash();
	test_timeout();
	test_flood_and_garbage();
	test_stubborn();
	test_bad_options();
	test_old_host();

	uv_close((uv_handle_t *)&watchdog, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	CHECK(uv_loop_close(&loop) == 0, "no handle leaked: uv_loop_close() == 0");
	reset();
	article_fini(&cur);
	feed_info_fini(&cur_feed);
	buf_fini(&cur_json);
	plugin_unload();
	return check_exit();
}
