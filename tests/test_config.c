/* SPDX-License-Identifier: MIT */
/* The configuration (src/config/config.c, src/config/opml.c): resolved values and defaults, every kind of error
 * with its file:line:key message, OPML lists, config_print, and OPML export/import round trips. */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* by path: the build tree may hold an autoconf config.h that -I. would find first */
#include "config.h"
#include "opml.h"
#include "buf.h"
#include "check.h"

static char fixtures[PATH_MAX]; /* absolute: the tests run inside a temporary directory */
static char tmpdir[PATH_MAX];	/* realpath of it, what config->dir says */

static void write_file(const char *name, const char *text)
{
	FILE *f = fopen(name, "w");

	if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
		perror(name);
		exit(99);
	}
}

static char *read_text(const char *name)
{
	struct buf b = BUF_INIT;
	char chunk[4096];
	size_t n;
	FILE *f = fopen(name, "r");

	if (!f) {
		perror(name);
		exit(99);
	}
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	return buf_steal(&b);
}

/* Loads text, written to t.conf in the temporary directory (the current one). */
static struct config *load_text(const char *text, struct buf *err)
{
	write_file("t.conf", text);
	buf_reset(err);
	return config_load("t.conf", err);
}

/* text must be refused with exactly the errors expected (one per line). */
static void expect_errors(const char *what, const char *text, const char *expected)
{
	struct buf err = BUF_INIT;
	struct config *c = load_text(text, &err);

	CHECK(c == NULL, "%s: this t.conf must be refused:\n%s", what, text);
	CHECK_STR(buf_cstr(&err), expected, "%s: the errors for t.conf:\n%s", what, text);
	config_free(c);
	buf_fini(&err);
}

static int starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

static char *fixture(const char *name)
{
	static char path[PATH_MAX + 64];

	snprintf(path, sizeof path, "%s/config/%s", fixtures, name);
	return path;
}

static void test_defaults(void)
{
	struct buf err = BUF_INIT;
	struct config *c = config_load(fixture("minimal.conf"), &err);
	const struct feed_conf *f;
	char dir[PATH_MAX + 64];

	CHECK(c != NULL, "minimal.conf loads: %s", buf_cstr(&err));
	if (!c)
		return;
	snprintf(dir, sizeof dir, "%s/config", fixtures);
	CHECK_STR(c->path, fixture("minimal.conf"), "path is kept as given");
	CHECK_STR(c->dir, dir, "dir is the config's directory");
	CHECK_STR(c->state, "/var/lib/feedspool/state.db", "default state");
	CHECK_STR(c->spool, "/var/spool/feedspool", "default spool");
	CHECK_STR(c->plugin_dir, PKGLIBDIR, "default plugin_dir");
	CHECK(c->format == SPOOL_JSON_TEXT, "default format json+text (%d)", (int)c->format);
	CHECK(c->max_pending == 10000, "default max_pending 10000 (%d)", c->max_pending);
	CHECK(c->max_per_host == 2, "default max_per_host 2 (%d)", c->max_per_host);
	CHECK(c->max_total == 32, "default max_total 32 (%d)", c->max_total);
	CHECK(c->retention_days == 90, "default retention_days 90 (%d)", c->retention_days);
	CHECK(c->umask == 027, "default umask 027 (%o)", (unsigned)c->umask);
	CHECK(c->allow_file_urls == 0, "default allow_file_urls no");
	CHECK(c->near_duplicates == 1, "default near_duplicates yes");
	CHECK(c->n_feeds == 1 && c->n_filters == 0, "one feed, no filter (%zu, %zu)", c->n_feeds,
	      c->n_filters);
	f = config_feed(c, "only");
	CHECK(f != NULL, "config_feed finds \"only\"");
	CHECK(config_feed(c, "other") == NULL, "config_feed: no feed \"other\"");
	if (f) {
		CHECK_STR(f->url, "http://example.com/rss", "the feed's url");
		CHECK(f->title == NULL, "no title for a [feed] section");
		CHECK_STR(f->file, fixture("minimal.conf"), "the feed's file");
		CHECK(f->line == 2, "the feed's line is its section's: 2 (%d)", f->line);
		CHECK(f->s.interval == 1800, "default interval 1800 (%d)", f->s.interval);
		CHECK(f->s.jitter == 300, "default jitter 300 (%d)", f->s.jitter);
		CHECK(f->s.min_interval == 300, "default min_interval 300 (%d)", f->s.min_interval);
		CHECK(f->s.max_backoff == 86400, "default max_backoff 1d (%d)", f->s.max_backoff);
		CHECK(f->s.connect_timeout == 15, "default connect_timeout 15 (%d)",
		      f->s.connect_timeout);
		CHECK(f->s.timeout == 60, "default timeout 60 (%d)", f->s.timeout);
		CHECK(f->s.low_speed_limit == 100, "default low_speed_limit 100 (%d)",
		      f->s.low_speed_limit);
		CHECK(f->s.low_speed_time == 30, "default low_speed_time 30 (%d)",
		      f->s.low_speed_time);
		CHECK(f->s.max_bytes == 16u << 20, "default max_bytes 16 MiB (%zu)",
		      f->s.max_bytes);
		CHECK_STR(f->s.user_agent,
			  "feedspool/" PACKAGE_VERSION " (+https://github.com/feedspool/feedspool)",
			  "default user_agent");
		CHECK(f->s.n_headers == 0, "no default headers (%zu)", f->s.n_headers);
		CHECK(f->s.revisions == 0, "default revisions no");
	}
	config_free(c);
	buf_fini(&err);
}

static void check_feed(const struct config *c, size_t i, const char *name, const char *url,
		       const char *title, int line)
{
	const struct feed_conf *f;

	CHECK(i < c->n_feeds, "feed %zu (%s) exists: %zu feeds", i, name, c->n_feeds);
	if (i >= c->n_feeds)
		return;
	f = &c->feeds[i];
	CHECK_STR(f->name, name, "feed %zu: name", i);
	CHECK_STR(f->url, url, "feed %zu (%s): url", i, name);
	CHECK_STR(f->title, title, "feed %zu (%s): title", i, name);
	CHECK(f->line == line, "feed %zu (%s): defined at line %d, not %d", i, name, line, f->line);
}

static void test_good(void)
{
	struct buf err = BUF_INIT;
	struct config *c = config_load(fixture("good.conf"), &err);
	const struct feed_conf *f;
	const struct filter_conf *fl;
	char want[PATH_MAX + 64];

	CHECK(c != NULL, "good.conf loads: %s", buf_cstr(&err));
	if (!c)
		return;
	snprintf(want, sizeof want, "%s/config/state.db", fixtures);
	CHECK_STR(c->state, want, "state = state.db is relative to the config's directory");
	CHECK_STR(c->spool, "/srv/feedspool/spool", "an absolute spool stays");
	snprintf(want, sizeof want, "%s/config/plugins", fixtures);
	CHECK_STR(c->plugin_dir, want, "plugin_dir = plugins is resolved");
	CHECK(c->format == SPOOL_JSON, "format = json");
	CHECK(c->max_pending == 500 && c->max_per_host == 4 && c->max_total == 64,
	      "max_pending 500, max_per_host 4, max_total 64 (%d %d %d)", c->max_pending,
	      c->max_per_host, c->max_total);
	CHECK(c->retention_days == 30, "retention_days = 30 (%d)", c->retention_days);
	CHECK(c->umask == 077, "umask = 077 (%o)", (unsigned)c->umask);
	CHECK(c->allow_file_urls == 1, "allow_file_urls = on");
	CHECK(c->near_duplicates == 0, "near_duplicates = no");
	CHECK(c->defaults.interval == 3600, "interval = 1h (%d)", c->defaults.interval);
	CHECK(c->defaults.jitter == 90, "jitter = 90 (%d)", c->defaults.jitter);
	CHECK(c->defaults.min_interval == 120, "min_interval = 2m (%d)", c->defaults.min_interval);
	CHECK(c->defaults.max_backoff == 43200, "max_backoff = 12h (%d)", c->defaults.max_backoff);
	CHECK(c->defaults.connect_timeout == 10, "connect_timeout = 10s");
	CHECK(c->defaults.timeout == 120, "timeout = 2m (%d)", c->defaults.timeout);
	CHECK(c->defaults.low_speed_limit == 1024, "low_speed_limit = 1K (%d)",
	      c->defaults.low_speed_limit);
	CHECK(c->defaults.low_speed_time == 20, "low_speed_time = 20s");
	CHECK(c->defaults.max_bytes == 8u << 20, "max_bytes = 8M (%zu)", c->defaults.max_bytes);
	CHECK_STR(c->defaults.user_agent, "demo-agent/1.0 (+https://example.org/agent)",
		  "user_agent, with its blanks and parentheses");
	CHECK(c->defaults.n_headers == 2, "two default headers (%zu)", c->defaults.n_headers);
	if (c->defaults.n_headers == 2) {
		CHECK_STR(c->defaults.headers[0], "X-Extra: value", "header 1, in order");
		CHECK_STR(c->defaults.headers[1], "Accept-Language: en", "header 2, in order");
	}
	CHECK(c->defaults.revisions == 1, "revisions = yes");

	CHECK(c->n_feeds == 9, "2 [feed] sections and 7 OPML outlines (%zu)", c->n_feeds);
	f = config_feed(c, "outlet-a");
	CHECK(f && f == &c->feeds[0], "outlet-a is the first feed");
	if (f) {
		CHECK(f->s.interval == 600, "outlet-a: interval = 10m overrides (%d)",
		      f->s.interval);
		CHECK(f->s.timeout == 120 && f->s.jitter == 90 && f->s.max_bytes == 8u << 20,
		      "outlet-a: the rest comes from [feedspool]");
		CHECK_STR(f->s.user_agent, c->defaults.user_agent, "outlet-a: default user_agent");
		CHECK(f->s.revisions == 1, "outlet-a: default revisions");
		CHECK(f->s.n_headers == 3, "outlet-a: 2 default headers and its own (%zu)",
		      f->s.n_headers);
		if (f->s.n_headers == 3) {
			CHECK_STR(f->s.headers[0], "X-Extra: value", "outlet-a header 1");
			CHECK_STR(f->s.headers[1], "Accept-Language: en", "outlet-a header 2");
			CHECK_STR(f->s.headers[2], "Authorization: Bearer x", "outlet-a header 3");
		}
	}
	f = config_feed(c, "local");
	CHECK(f && f == &c->feeds[1], "local is the second feed");
	if (f) {
		CHECK_STR(f->url, "file:///tmp/feed.xml", "local: a file:// url, allowed");
		CHECK(f->line == 35, "local: an indented section header counts (line %d)", f->line);
		CHECK(f->s.max_bytes == 1u << 30, "local: max_bytes = 1G (%zu)", f->s.max_bytes);
		CHECK(f->s.interval == 3600, "local: default interval (%d)", f->s.interval);
		CHECK(f->s.n_headers == 2, "local: its X-Extra replaces the default one (%zu)",
		      f->s.n_headers);
		if (f->s.n_headers == 2) {
			CHECK_STR(f->s.headers[0], "Accept-Language: en", "local header 1");
			CHECK_STR(f->s.headers[1], "X-Extra: other", "local header 2");
		}
	}
	/* feeds.opml: nested folders; names made from text, else title, else the host; unique */
	check_feed(c, 2, "outlet-a-2", "https://mirror.example.org/a.xml", "Outlet A (mirror)", 6);
	check_feed(c, 3, "tech-news", "https://tech.example.com/rss?x=1&y=2", "Tech News", 8);
	check_feed(c, 4, "tech-news-2", "https://other.example.com/feed", "Tech News", 10);
	check_feed(c, 5, "unicode-strasse", "https://u.example.de/feed",
		   "\xc3\x9c"
		   "n\xc3\xaf"
		   "code Stra\xc3\x9f"
		   "e",
		   11);
	/* a title with no Latin letter: a stable hash of it, never the host name */
	check_feed(
	    c, 6, "feed-4aa72b29", "https://news.example.jp/rss",
	    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x83\x8b\xe3\x83\xa5\xe3\x83\xbc\xe3\x82\xb9",
	    14);
	check_feed(c, 7, "only-a-title", "http://t.example.net/", "Only a title", 15);
	check_feed(c, 8, "tech-news-3", "https://third.example.com/feed", "Tech News", 16);
	if (c->n_feeds == 9) {
		f = &c->feeds[3];
		CHECK_STR(f->file, fixture("feeds.opml"), "an OPML feed's file is the OPML file");
		CHECK(f->s.interval == 3600 && f->s.n_headers == 2 &&
			  !strcmp(f->s.user_agent, c->defaults.user_agent),
		      "an OPML feed has the [feedspool] settings");
	}

	CHECK(c->n_filters == 1, "one filter (%zu)", c->n_filters);
	if (c->n_filters == 1) {
		fl = &c->filters[0];
		CHECK_STR(fl->name, "dgx", "filter name");
		CHECK_STR(fl->plugin, "topic", "filter plugin");
		CHECK(fl->on_error == ON_ERROR_DROP, "on_error = drop");
		CHECK(fl->line == 40, "filter line 40 (%d)", fl->line);
		CHECK(fl->n_options == 3, "three options, a repeated one included (%zu)",
		      fl->n_options);
		if (fl->n_options == 3) {
			CHECK_STR(fl->options[0].key, "rules", "option 1 key");
			CHECK_STR(fl->options[0].value, "topics/dgx-spark.rules",
				  "option 1 kept as written, not resolved");
			CHECK_STR(fl->options[1].key, "threshold", "option 2 key");
			CHECK_STR(fl->options[1].value, "2", "option 2 value");
			CHECK_STR(fl->options[2].key, "rules", "option 3 key, in order");
			CHECK_STR(fl->options[2].value, "more words.rules", "option 3 value");
		}
	}
	config_free(c);
	buf_fini(&err);
}

static void test_print(void)
{
	struct buf err = BUF_INIT, want = BUF_INIT;
	struct config *c = config_load(fixture("good.conf"), &err);
	char *got = NULL;
	size_t len = 0;
	FILE *out;

	CHECK(c != NULL, "good.conf loads: %s", buf_cstr(&err));
	if (!c)
		return;
	out = open_memstream(&got, &len);
	config_print(c, out);
	fclose(out);
	buf_printf(&want, "# %s\n", fixture("good.conf"));
	buf_puts(&want, "[feedspool]\n");
	buf_printf(&want, "state = %s/config/state.db\n", fixtures);
	buf_puts(&want, "spool = /srv/feedspool/spool\n"
			"format = json\n");
	buf_printf(&want, "plugin_dir = %s/config/plugins\n", fixtures);
	buf_puts(&want, "max_pending = 500\n"
			"max_per_host = 4\n"
			"max_total = 64\n"
			"retention_days = 30\n"
			"umask = 077\n"
			"allow_file_urls = yes\n"
			"near_duplicates = no\n"
			"metrics = no\n"
			"interval = 1h\n"
			"jitter = 90s\n"
			"min_interval = 2m\n"
			"max_backoff = 12h\n"
			"connect_timeout = 10s\n"
			"timeout = 2m\n"
			"low_speed_limit = 1K\n"
			"low_speed_time = 20s\n"
			"max_bytes = 8M\n"
			"user_agent = demo-agent/1.0 (+https://example.org/agent)\n"
			"header = X-Extra: value\n"
			"header = Accept-Language: en\n"
			"revisions = yes\n"
			"allow_private = no\n"
			"fulltext = no\n"
			"catchup = no\n"
			"tls_verify = yes\n"
			"\n"
			"# feeds: 9 (name, url, interval and what differs from [feedspool])\n"
			"feed outlet-a https://example.org/feed.xml interval=10m"
			" header=\"Authorization: (hidden)\"\n"
			"feed local file:///tmp/feed.xml interval=1h max_bytes=1G"
			" header=\"X-Extra: other\"\n"
			"feed outlet-a-2 https://mirror.example.org/a.xml interval=1h\n"
			"feed tech-news https://tech.example.com/rss?x=1&y=2 category=News interval=1h\n"
			"feed tech-news-2 https://other.example.com/feed category=News/Deep interval=1h\n"
			"feed unicode-strasse https://u.example.de/feed category=News/Deep interval=1h\n"
			"feed feed-4aa72b29 https://news.example.jp/rss interval=1h\n"
			"feed only-a-title http://t.example.net/ interval=1h\n"
			"feed tech-news-3 https://third.example.com/feed interval=1h\n"
			"\n"
			"# filters: 1 (name, plugin, on_error and the plugin's options)\n"
			"filter dgx plugin=topic on_error=drop rules=topics/dgx-spark.rules"
			" threshold=2 rules=\"more words.rules\"\n");
	CHECK_STR(got, buf_cstr(&want), "config_print of good.conf");
	free(got);
	config_free(c);
	buf_fini(&want);
	buf_fini(&err);
}

/* One value of one key: in [feedspool] at line 2, then read back from the defaults. */
struct value_case {
	const char *key, *value;
	long long want;	   /* when error is NULL */
	const char *error; /* the message after "t.conf:2: [feedspool] KEY: " */
};

static long long get_value(const struct config *c, const char *key)
{
	const struct feed_settings *d = &c->defaults;
	static const char *const names[] = {"interval",	       "jitter",	  "min_interval",
					    "max_backoff",     "connect_timeout", "timeout",
					    "low_speed_limit", "low_speed_time",  "max_bytes",
					    "revisions",       "max_pending",	  "max_per_host",
					    "max_total",       "retention_days",  "umask",
					    "allow_file_urls", "near_duplicates", "format",
					    "sink", "nats_replicas", "nats_duplicate_window",
					    "nats_ack_timeout"};
	const long long v[] = {d->interval,	   d->jitter,	       d->min_interval,
			       d->max_backoff,	   d->connect_timeout, d->timeout,
			       d->low_speed_limit, d->low_speed_time,  (long long)d->max_bytes,
			       d->revisions,	   c->max_pending,     c->max_per_host,
			       c->max_total,	   c->retention_days,  c->umask,
			       c->allow_file_urls, c->near_duplicates, c->format,
			       c->sink, c->nats_replicas, c->nats_duplicate_window,
			       c->nats_ack_timeout};
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (!strcmp(names[i], key))
			return v[i];
	return -1;
}

static void test_values(void)
{
	static const char dur[] = "is not a duration (use 600, 10m, 2h or 1d)";
	static const char size[] = "is not a size (use 100, 512K, 16M or 1G)";
	static const char boolean[] = "is not a boolean (use yes or no)";
	static const struct value_case cases[] = {
	    /* durations */
	    {"interval", "600", 600, NULL},
	    {"interval", "10m", 600, NULL},
	    {"interval", "2h", 7200, NULL},
	    {"interval", "1d", 86400, NULL},
	    {"interval", "45s", 45, NULL},
	    {"interval", "365d", 365 * 86400, NULL},
	    {"interval", "10 minutes", 0,
	     "\"10 minutes\" is not a duration (use 600, 10m, 2h or 1d)"},
	    {"interval", "10M", 0, "\"10M\" %s"},
	    {"interval", "1.5h", 0, "\"1.5h\" %s"},
	    {"interval", "h", 0, "\"h\" %s"},
	    {"interval", "10mm", 0, "\"10mm\" %s"},
	    {"interval", "", 0, "\"\" %s"},
	    {"interval", "0", 0, "\"0\" is out of range (at least 1s)"},
	    {"interval", "-5m", 0, "\"-5m\" is out of range (at least 1s)"},
	    {"interval", "366d", 0, "\"366d\" is out of range (at most 365d)"},
	    {"interval", "99999999999999999999999d", 0,
	     "\"99999999999999999999999d\" is out of range (at most 365d)"},
	    {"min_interval", "1d", 86400, NULL},
	    {"min_interval", "25h", 0, "\"25h\" is out of range (at most 1d)"},
	    {"min_interval", "0", 0, "\"0\" is out of range (at least 1s)"},
	    {"jitter", "0", 0, NULL},
	    {"low_speed_time", "0", 0, NULL},
	    {"max_backoff", "7d", 7 * 86400, NULL},
	    {"connect_timeout", "0", 0, "\"0\" is out of range (at least 1s)"},
	    {"timeout", "2d", 0, "\"2d\" is out of range (at most 1d)"},
	    /* sizes */
	    {"max_bytes", "16M", 16 << 20, NULL},
	    {"max_bytes", "16m", 16 << 20, NULL},
	    {"max_bytes", "512K", 512 << 10, NULL},
	    {"max_bytes", "1G", 1 << 30, NULL},
	    {"max_bytes", "1000", 1000, NULL},
	    {"max_bytes", "16MB", 0, "\"16MB\" %s"},
	    {"max_bytes", "lots", 0, "\"lots\" %s"},
	    {"max_bytes", "0", 0, "\"0\" is out of range (at least 1)"},
	    {"max_bytes", "2G", 0, "\"2G\" is out of range (at most 1G)"},
	    {"low_speed_limit", "0", 0, NULL},
	    {"low_speed_limit", "1k", 1024, NULL},
	    {"low_speed_limit", "-1", 0, "\"-1\" is out of range (at least 0)"},
	    /* booleans */
	    {"revisions", "yes", 1, NULL},
	    {"revisions", "no", 0, NULL},
	    {"revisions", "true", 1, NULL},
	    {"revisions", "false", 0, NULL},
	    {"revisions", "on", 1, NULL},
	    {"revisions", "off", 0, NULL},
	    {"revisions", "1", 1, NULL},
	    {"revisions", "0", 0, NULL},
	    {"revisions", "YES", 1, NULL},
	    {"near_duplicates", "Off", 0, NULL},
	    {"allow_file_urls", "maybe", 0, "\"maybe\" %s"},
	    {"revisions", "2", 0, "\"2\" %s"},
	    /* numbers and the rest */
	    {"max_pending", "1", 1, NULL},
	    {"max_pending", "0", 0, "\"0\" is out of range (at least 1)"},
	    {"max_pending", "10k", 0, "\"10k\" is not a whole number"},
	    {"max_per_host", "two", 0, "\"two\" is not a whole number"},
	    {"max_total", "-3", 0, "\"-3\" is out of range (at least 1)"},
	    {"retention_days", "36501", 0, "\"36501\" is out of range (at most 36500)"},
	    {"umask", "022", 022, NULL},
	    {"umask", "0007", 07, NULL},
	    {"umask", "77", 077, NULL},
	    {"umask", "0", 0, NULL},
	    {"umask", "8", 0, "\"8\" is not an octal umask (use 022, 027 or 077)"},
	    {"umask", "1777", 0, "\"1777\" is out of range (at most 0777)"},
	    {"format", "json", SPOOL_JSON, NULL},
	    {"format", "json+text", SPOOL_JSON_TEXT, NULL},
	    {"format", "xml", 0, "\"xml\" is not a format (use json or json+text)"},
	    /* the NATS sink */
	    {"sink", "spool", SINK_SPOOL, NULL},
	    {"sink", "nats", SINK_NATS, NULL},
	    {"sink", "spool nats", SINK_SPOOL | SINK_NATS, NULL},
	    {"sink", "nats\t spool", SINK_SPOOL | SINK_NATS, NULL},
	    {"sink", "kafka", 0, "\"kafka\" is not a sink (use spool, nats or spool nats)"},
	    {"sink", "nats nats", 0, "\"nats nats\" is not a sink (use spool, nats or spool nats)"},
	    {"sink", "spool,nats", 0, "\"spool,nats\" is not a sink (use spool, nats or spool nats)"},
	    {"nats_replicas", "3", 3, NULL},
	    {"nats_replicas", "6", 0, "\"6\" is out of range (at most 5)"},
	    {"nats_duplicate_window", "2h", 7200, NULL},
	    {"nats_duplicate_window", "0", 0, "\"0\" is out of range (at least 1s)"},
	    {"nats_ack_timeout", "30s", 30, NULL},
	    {"nats_ack_timeout", "2h", 0, "\"2h\" is out of range (at most 1h)"},
	    {"nats_stream", "a.b", 0,
	     "\"a.b\" is not a stream name (letters, digits, - and _; no '.', '*', '>' or blank)"},
	    {"nats_subject", "a.*", 0, "\"a.*\" is not a subject (tokens joined by '.', no wildcard or blank)"},
	    {"nats_subject", "a..b", 0, "\"a..b\" is not a subject (tokens joined by '.', no wildcard or blank)"},
	    {"nats_url", "nats://a:1,http://b", 0,
	     "\"nats://a:1,http://b\" is not a NATS URL (use nats://HOST:PORT, several joined by ',')"},
	};
	struct buf err = BUF_INIT, text = BUF_INIT, want = BUF_INIT, msg = BUF_INIT;
	const struct value_case *t;
	struct config *c;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		t = &cases[i];
		buf_reset(&text);
		buf_printf(&text, "[feedspool]\n%s = %s\n", t->key, t->value);
		c = load_text(buf_cstr(&text), &err);
		if (!t->error) {
			CHECK(c != NULL, "%s = \"%s\" is valid: %s", t->key, t->value,
			      buf_cstr(&err));
			if (c)
				CHECK(get_value(c, t->key) == t->want,
				      "%s = \"%s\" is %lld, not %lld", t->key, t->value, t->want,
				      get_value(c, t->key));
		} else {
			buf_reset(&msg);
			/* "%s" stands for the type's usual message */
			if (strstr(t->error, "%s")) {
				const char *what = !strncmp(t->key, "max_bytes", 9) ? size
						   : strstr(t->key, "interval")	    ? dur
										    : boolean;

				buf_append(&msg, t->error,
					   (size_t)(strstr(t->error, "%s") - t->error));
				buf_puts(&msg, what);
			} else {
				buf_puts(&msg, t->error);
			}
			buf_reset(&want);
			buf_printf(&want, "t.conf:2: [feedspool] %s: %s", t->key, buf_cstr(&msg));
			CHECK(c == NULL, "%s = \"%s\" is refused", t->key, t->value);
			CHECK_STR(buf_cstr(&err), buf_cstr(&want), "the error for %s = \"%s\"",
				  t->key, t->value);
		}
		config_free(c);
	}
	buf_fini(&err);
	buf_fini(&text);
	buf_fini(&want);
	buf_fini(&msg);
}

static void test_feed_values(void)
{
	struct buf err = BUF_INIT;
	struct config *c;
	const struct feed_conf *f;

	c = load_text("[feed x]\n"
		      "url = https://example.org/x\n"
		      "interval = 5m\n"
		      "jitter = 0\n"
		      "min_interval = 10m ; an interval below min_interval is allowed\n"
		      "max_backoff = 2d\n"
		      "connect_timeout = 5\n"
		      "timeout = 30s\n"
		      "low_speed_limit = 1K\n"
		      "low_speed_time = 1m\n"
		      "max_bytes = 100K\n"
		      "user_agent = x-agent\n"
		      "header = X-A: 1\n"
		      "header = X-B: 2\n"
		      "revisions = on\n"
		      "\n"
		      "[feedspool]                 ; after the feeds: its defaults still apply\n"
		      "interval = 2h\n"
		      "header = x-a: default\n"
		      "header = X-C: 3\n"
		      "\n"
		      "[feed y]\n"
		      "url = https://example.org/y\n",
		      &err);
	CHECK(c != NULL, "a feed with every setting loads: %s", buf_cstr(&err));
	if (!c)
		return;
	f = config_feed(c, "x");
	if (f) {
		CHECK(f->s.interval == 300 && f->s.jitter == 0 && f->s.min_interval == 600 &&
			  f->s.max_backoff == 2 * 86400 && f->s.connect_timeout == 5 &&
			  f->s.timeout == 30 && f->s.low_speed_limit == 1024 &&
			  f->s.low_speed_time == 60 && f->s.max_bytes == 100 * 1024 &&
			  f->s.revisions == 1,
		      "x: every setting overridden");
		CHECK_STR(f->s.user_agent, "x-agent", "x: user_agent");
		CHECK(f->s.n_headers == 3,
		      "x: X-C from the defaults, X-A (replacing x-a) and X-B "
		      "of its own (%zu)",
		      f->s.n_headers);
		if (f->s.n_headers == 3) {
			CHECK_STR(f->s.headers[0], "X-C: 3", "x header 1");
			CHECK_STR(f->s.headers[1], "X-A: 1", "x header 2");
			CHECK_STR(f->s.headers[2], "X-B: 2", "x header 3");
		}
	}
	f = config_feed(c, "y");
	if (f) {
		CHECK(f->s.interval == 7200, "y: the default interval, set after x (%d)",
		      f->s.interval);
		CHECK(f->s.n_headers == 2, "y: the two default headers (%zu)", f->s.n_headers);
	}
	config_free(c);
	buf_fini(&err);
}

static void test_errors(void)
{
	struct buf err = BUF_INIT, want = BUF_INIT;
	struct config *c;

	expect_errors(
	    "the brief's example",
	    "[feedspool]\n\n\n\n\n\n\n\n\n[feed x]\nurl = https://example.org/\n"
	    "interval = 10 minutes\n",
	    "t.conf:12: [feed x] interval: \"10 minutes\" is not a duration (use 600, 10m, "
	    "2h or 1d)");
	expect_errors("unknown section", "[feedspool]\n[bogus]\nfoo = 1\n[feeds x]\n",
		      "t.conf:2: [bogus]: unknown section (use [feedspool], [feed NAME] or [filter "
		      "NAME])\n"
		      "t.conf:4: [feeds x]: unknown section (use [feedspool], [feed NAME] or "
		      "[filter NAME])");
	expect_errors("unknown key in [feedspool]", "[feedspool]\ncolour = red\nurl = x\n",
		      "t.conf:2: [feedspool] colour: unknown key\n"
		      "t.conf:3: [feedspool] url: unknown key");
	expect_errors("unknown key in [feed]", "[feed x]\nurl = http://e.org/\nColour = red\n",
		      "t.conf:3: [feed x] Colour: unknown key");
	expect_errors("a global key in [feed]", "[feed x]\nurl = http://e.org/\nstate = s.db\n",
		      "t.conf:3: [feed x] state: not a feed setting (set it in [feedspool])");
	expect_errors("a repeated feed",
		      "[feed x]\nurl = http://a.org/\n\n[feed x]\nurl = http://b.org/\n",
		      "t.conf:4: [feed x]: repeated feed name (first at line 1)");
	expect_errors("a repeated filter", "[filter f]\nplugin = topic\n[filter f]\nplugin = lua\n",
		      "t.conf:3: [filter f]: repeated filter name (first at line 1)");
	expect_errors("a repeated [feedspool]", "[feedspool]\n[feedspool]\ninterval = 1\n",
		      "t.conf:2: [feedspool]: repeated section (first at line 1)");
	expect_errors("a feed without url", "[feed x]\ninterval = 5m\n",
		      "t.conf:1: [feed x]: no url (every feed needs one)");
	expect_errors("a filter without plugin", "[filter f]\nrules = a.rules\n",
		      "t.conf:1: [filter f]: no plugin (use plugin = NAME or a path)");
	expect_errors("an empty plugin", "[filter f]\nplugin =\n",
		      "t.conf:2: [filter f] plugin: \"\" is not a plugin (use a name in plugin_dir "
		      "or a path)");
	expect_errors("a bad on_error", "[filter f]\nplugin = topic\non_error = sometimes\n",
		      "t.conf:3: [filter f] on_error: \"sometimes\" is not keep or drop");
	expect_errors(
	    "a repeated key",
	    "[feed x]\nurl = http://a.org/\ninterval = 5m\ninterval = 10m\n"
	    "header = A: 1\nheader = B: 2\n[filter f]\nplugin = a\nplugin = b\n",
	    "t.conf:4: [feed x] interval: repeated (first at line 3; only header and opml "
	    "may repeat)\n"
	    "t.conf:9: [filter f] plugin: repeated (first at line 8; only header and opml "
	    "may repeat)");
	expect_errors("a repeated url", "[feed x]\nurl = http://a.org/\nurl = http://b.org/\n",
		      "t.conf:3: [feed x] url: repeated (first at line 2; only header and opml may "
		      "repeat)");
	expect_errors("not http(s)", "[feed x]\nurl = ftp://example.org/feed\n",
		      "t.conf:2: [feed x] url: \"ftp://example.org/feed\" is not an http(s) URL");
	expect_errors(
	    "not absolute", "[feed x]\nurl = example.org/feed\n",
	    "t.conf:2: [feed x] url: \"example.org/feed\" is not an absolute http(s) URL");
	expect_errors("an empty url", "[feed x]\nurl =\n", "t.conf:2: [feed x] url: \"\" is empty");
	expect_errors(
	    "a url with a blank", "[feed x]\nurl = http://e.org/a b\n",
	    "t.conf:2: [feed x] url: \"http://e.org/a b\" is not an absolute http(s) URL");
	expect_errors(
	    "an unknown scheme", "[feed x]\nurl = feed://e.org/rss\n",
	    "t.conf:2: [feed x] url: \"feed://e.org/rss\" is not an absolute http(s) URL");
	expect_errors("file:// refused by default", "[feed x]\nurl = file:///tmp/f.xml\n",
		      "t.conf:2: [feed x] url: \"file:///tmp/f.xml\" is a file:// URL, refused "
		      "unless allow_file_urls = yes");
	expect_errors("file:// refused when allow_file_urls = no",
		      "[feed x]\nurl = file:///tmp/f.xml\n[feedspool]\nallow_file_urls = no\n",
		      "t.conf:2: [feed x] url: \"file:///tmp/f.xml\" is a file:// URL, refused "
		      "unless allow_file_urls = yes");
	c = load_text("[feed x]\nurl = file:///tmp/f.xml\n[feedspool]\nallow_file_urls = yes\n",
		      &err);
	CHECK(c != NULL, "file:// allowed by allow_file_urls = yes, even set later: %s",
	      buf_cstr(&err));
	config_free(c);
	/* allow_private: a default, a feed's own value replacing it, and a bad entry named */
	c = load_text("[feedspool]\nallow_private = 127.0.0.1:8080, [::1]:80\n[feed x]\n"
		      "url = http://e.org/\n[feed y]\nurl = http://e.org/y\nallow_private = yes\n",
		      &err);
	CHECK(c && !strcmp(c->feeds[0].s.allow_private, "127.0.0.1:8080, [::1]:80") &&
		  !strcmp(c->feeds[1].s.allow_private, "yes"),
	      "allow_private: inherited by x, replaced by y: %s", buf_cstr(&err));
	config_free(c);
	c = load_text("[feed x]\nurl = http://e.org/\n", &err);
	CHECK(c && !strcmp(c->feeds[0].s.allow_private, "no"), "allow_private defaults to no");
	config_free(c);
	expect_errors("a host name in allow_private",
		      "[feed x]\nurl = http://e.org/\nallow_private = 10.0.0.0/8 intranet\n",
		      "t.conf:3: [feed x] allow_private: \"intranet\" is not an address (use yes, "
		      "no, or ADDRESS[:PORT] and ADDRESS/PREFIX entries such as 127.0.0.1:8080, "
		      "10.0.0.0/8, [::1]:80)");
	expect_errors("an invalid feed name", "[feed Outlet_A]\nurl = http://e.org/\n",
		      "t.conf:1: [feed Outlet_A]: not a valid name (use lowercase letters, digits "
		      "and single '-', at most 64, e.g. outlet-a)");
	expect_errors("invalid names",
		      "[feed -x]\n[feed a--b]\n[feed a b]\n[filter caf\xc3\xa9]\n[feed ]\n"
		      "[feed "
		      "a12345678901234567890123456789012345678901234567890123456789012345]\n",
		      "t.conf:1: [feed -x]: not a valid name (use lowercase letters, digits and "
		      "single '-', at most 64, e.g. x)\n"
		      "t.conf:2: [feed a--b]: not a valid name (use lowercase letters, digits and "
		      "single '-', at most 64, e.g. a-b)\n"
		      "t.conf:3: [feed a b]: not a valid name (use lowercase letters, digits and "
		      "single '-', at most 64, e.g. a-b)\n"
		      "t.conf:4: [filter caf\xc3\xa9]: not a valid name (use lowercase letters, "
		      "digits and single '-', at most 64, e.g. cafe)\n"
		      "t.conf:5: [feed]: no name (use [feed NAME])\n"
		      "t.conf:6: [feed "
		      "a12345678901234567890123456789012345678901234567890123456789012345]: not a "
		      "valid name (use lowercase letters, digits and single '-', at most 64, e.g. "
		      "a123456789012345678901234567890123456789012345678901234567890123)");
	expect_errors("syntax",
		      "[feedspool]\njust words\n[feed x\n= value\n[feed y] trailing\n: value\n",
		      "t.conf:2: expected \"key = value\" or \"[section]\"\n"
		      "t.conf:3: expected ']' at the end of the section name\n"
		      "t.conf:4: no key before '='\n"
		      "t.conf:5: unexpected text after ']'\n"
		      "t.conf:6: no key before ':'");
	expect_errors("a key before any section", "interval = 5m\n[feedspool]\n",
		      "t.conf:1: interval: before any section (start with [feedspool])");
	expect_errors(
	    "a bad header",
	    "[feedspool]\nheader = NoColon\nheader = Bad Name: x\n"
	    "header = X-Empty:\n",
	    "t.conf:2: [feedspool] header: \"NoColon\" is not a header (use \"Name: value\")\n"
	    "t.conf:3: [feedspool] header: \"Bad Name: x\" is not a header (use \"Name: "
	    "value\")\n"
	    "t.conf:4: [feedspool] header: \"X-Empty:\" is not a header (use \"Name: "
	    "value\")");
	expect_errors("an empty user_agent", "[feedspool]\nuser_agent =\n",
		      "t.conf:2: [feedspool] user_agent: empty (leave user_agent out for the "
		      "default)");
	expect_errors("an empty path", "[feedspool]\nstate =\nopml =\n",
		      "t.conf:2: [feedspool] state: \"\" is not a path\n"
		      "t.conf:3: [feedspool] opml: \"\" is not a path");
	buf_reset(&want);
	buf_printf(&want,
		   "t.conf:3: [feedspool] opml: cannot read \"%s/missing.opml\": No such file or "
		   "directory",
		   tmpdir);
	expect_errors("a missing OPML file", "[feedspool]\n\nopml = missing.opml\n",
		      buf_cstr(&want));
	{
		static const char nul[] = "[feed x]\nurl = http://e.org/\ninterval\0= 5m\n";
		FILE *f = fopen("t.conf", "w");

		fwrite(nul, 1, sizeof nul - 1, f);
		fclose(f);
		buf_reset(&err);
		c = config_load("t.conf", &err);
		CHECK(c == NULL, "a NUL byte is refused");
		CHECK_STR(buf_cstr(&err), "t.conf:3: a NUL byte (not a text file?)",
			  "the error for a NUL byte");
		config_free(c);
	}
	{
		struct buf huge = BUF_INIT;
		int i;

		buf_puts(&huge, "[feedspool]\nuser_agent = ");
		for (i = 0; i < 70000; i++)
			buf_putc(&huge, 'x');
		buf_puts(&huge, "\ninterval = 1w\n");
		expect_errors(
		    "a line of 70000 bytes", buf_cstr(&huge),
		    "t.conf:2: line longer than 65536 bytes\n"
		    "t.conf:3: [feedspool] interval: \"1w\" is not a duration (use 600, 10m, "
		    "2h or 1d)");
		buf_fini(&huge);
	}
	buf_reset(&err);
	c = config_load("nope.conf", &err);
	CHECK(c == NULL, "a missing config file");
	CHECK_STR(buf_cstr(&err), "nope.conf: cannot read: No such file or directory",
		  "the error for a missing config file");
	config_free(c);
	buf_reset(&err);
	c = config_load(".", &err);
	CHECK(c == NULL, "a directory is not a config file");
	CHECK_STR(buf_cstr(&err), ".: cannot read: Is a directory", "the error for a directory");
	config_free(c);
	buf_fini(&err);
	buf_fini(&want);
}

/* Several errors at once, each on its own line, sorted by line; and what inih would get wrong
 * (long lines, CRLF, a BOM, comments, long section names) does not shift the line numbers. */
static void test_many_errors(void)
{
	struct buf text = BUF_INIT, want = BUF_INIT, err = BUF_INIT;
	struct config *c;
	char url[400];
	int i;

	memcpy(url, "https://example.org/", 20);
	for (i = 20; i < 300; i++)
		url[i] = (char)('a' + i % 26);
	url[300] = '\0';
	buf_puts(&text, "\xef\xbb\xbf# a BOM, then comments\r\n"
			"; another comment\r\n"
			"[feedspool]\r\n"
			"interval = 1x\r\n" /* 4 */
			"\r\n"
			"[feed no-url]\r\n" /* 6: no url, reported at this line */
			"interval = 5m\r\n"
			"\r\n"
			"[feed long]\r\n");
	buf_printf(&text, "url = %s    ; a 300-byte URL, longer than inih's lines\r\n", url);
	buf_printf(&text, "user_agent = %s ; and a long bad value\r\n", url); /* 11 */
	buf_printf(&text, "timeout = %s ; too long and bad\r\n", url);	      /* 12 */
	buf_puts(&text,
		 "[feed "
		 "a-name-of-sixty-characters-which-inih-would-cut-at-49-bytes-a]\r\n" /* 13 */
		 "url = http://a.example/\r\n"
		 "[feed "
		 "a-name-of-sixty-characters-which-inih-would-cut-at-49-bytes-b]\r\n"
		 "url = http://b.example/\r\n"
		 "\r\n"
		 "    max_total = 0\r\n" /* 18: in the feed, not a continuation */
		 "[filter f]\r\n"
		 "plugin = topic\r\n"
		 "on_error = never\r\n" /* 21 */
		 "[feed broken\r\n"	/* 22 */
		 "url = ftp://x/\r\n"	/* 23: skipped, its section is bad */
		 "[feed ok]\r\n"
		 "url = http://e.org/\r\n"
		 "min_interval = 2d"); /* 26, no final newline */
	c = load_text(buf_cstr(&text), &err);
	CHECK(c == NULL, "a file with several errors is refused");
	buf_printf(
	    &want,
	    "t.conf:4: [feedspool] interval: \"1x\" is not a duration (use 600, 10m, 2h or "
	    "1d)\n"
	    "t.conf:6: [feed no-url]: no url (every feed needs one)\n"
	    "t.conf:12: [feed long] timeout: \"%.100s\" is not a duration (use 600, 10m, 2h "
	    "or 1d)\n"
	    "t.conf:18: [feed a-name-of-sixty-characters-which-inih-would-cut-at-49-bytes-b] "
	    "max_total: not a feed setting (set it in [feedspool])\n"
	    "t.conf:21: [filter f] on_error: \"never\" is not keep or drop\n"
	    "t.conf:22: expected ']' at the end of the section name\n"
	    "t.conf:26: [feed ok] min_interval: \"2d\" is out of range (at most 1d)",
	    url);
	CHECK_STR(buf_cstr(&err), buf_cstr(&want), "every error, in line order");
	config_free(c);

	/* the same long lines, now valid: the values are whole */
	buf_reset(&text);
	buf_printf(&text, "[feed long]\nurl = %s    ; a comment\nuser_agent = %s;not a comment\n",
		   url, url);
	c = load_text(buf_cstr(&text), &err);
	CHECK(c != NULL, "long lines load: %s", buf_cstr(&err));
	if (c && c->n_feeds == 1) {
		CHECK_STR(c->feeds[0].url, url, "a 300-byte url, its comment dropped");
		buf_reset(&want);
		buf_printf(&want, "%s;not a comment", url);
		CHECK_STR(c->feeds[0].s.user_agent, buf_cstr(&want),
			  "a long value keeps a ';' with no blank before it, as inih does");
	}
	config_free(c);
	buf_fini(&text);
	buf_fini(&want);
	buf_fini(&err);
}

static char *print_text(const struct config *c)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);

	config_print(c, f);
	fclose(f);
	return s;
}

static void test_opml_errors(void)
{
	struct buf want = BUF_INIT, err = BUF_INIT, big = BUF_INIT;
	struct config *c;
	char *text;
	int i, fd;

	write_file("bad.opml", "<opml version=\"2.0\"><body>\n"
			       "<outline text=\"a\" xmlUrl=\"http://a.org/\">\n"
			       "</body></opml>\n");
	write_file("rss.opml", "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"/>\n");
	write_file("nobody.opml", "<opml version=\"2.0\">\n<head/>\n</opml>\n");
	write_file("empty.opml", "");
	write_file("urls.opml", "<opml version=\"2.0\"><body>\n"
				"<outline text=\"ftp\" xmlUrl=\"ftp://a.org/f\"/>\n"
				"<outline text=\"local\" xmlUrl=\"file:///tmp/x.xml\"/>\n"
				"<outline text=\"blank\" xmlUrl=\"  \"/>\n"
				"<outline text=\"fine\" xmlUrl=\"http://fine.org/\"/>\n"
				"</body></opml>\n");
	buf_puts(&big,
		 "<!DOCTYPE opml [\n<!ENTITY a \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\">\n");
	for (i = 1; i < 10; i++)
		buf_printf(&big, "<!ENTITY %c \"&%c;&%c;&%c;&%c;&%c;&%c;&%c;&%c;&%c;&%c;\">\n",
			   'a' + i, 'a' + i - 1, 'a' + i - 1, 'a' + i - 1, 'a' + i - 1, 'a' + i - 1,
			   'a' + i - 1, 'a' + i - 1, 'a' + i - 1, 'a' + i - 1, 'a' + i - 1);
	buf_puts(&big,
		 "]>\n<opml version=\"2.0\"><body>\n"
		 "<outline text=\"&j;\" xmlUrl=\"http://laughs.org/&j;\"/>\n</body></opml>\n");
	write_file("laughs.opml", buf_cstr(&big));
	write_file("entity.opml",
		   "<?xml version=\"1.0\"?>\n\n<!DOCTYPE opml [\n"
		   "<!ENTITY t \"Title\">]>\n<opml version=\"2.0\"><body>\n"
		   "<outline text=\"&t;\" xmlUrl=\"http://e.org/\"/></body></opml>\n");
	write_file("secret", "TOPSECRET\n");
	buf_reset(&big);
	buf_printf(&big,
		   "<?xml version=\"1.0\"?>\n"
		   "<!DOCTYPE opml [<!ENTITY x SYSTEM \"file://%s/secret\">]>\n"
		   "<opml version=\"2.0\"><body>\n"
		   "<outline text=\"t&x;\" xmlUrl=\"http://x.org/\"/>\n</body></opml>\n",
		   tmpdir);
	write_file("xxe.opml", buf_cstr(&big));
	/* 16 MiB and one byte, mostly a hole */
	fd = open("huge.opml", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, "<opml>", 6) != 6 || ftruncate(fd, (16 << 20) + 1) != 0) {
		perror("huge.opml");
		exit(99);
	}
	close(fd);

	c = load_text("[feedspool]\n"
		      "opml = bad.opml\n"
		      "opml = rss.opml\n"
		      "opml = nobody.opml\n"
		      "opml = empty.opml\n"
		      "opml = urls.opml\n"
		      "opml = entity.opml\n"
		      "opml = huge.opml\n"
		      "[feed fine]\n"
		      "url = http://config.org/\n",
		      &err);
	CHECK(c == NULL, "bad OPML lists are refused");
	buf_printf(
	    &want,
	    "t.conf:8: [feedspool] opml: cannot read \"%s/huge.opml\": larger than 16 MiB, "
	    "too large for a feed list\n"
	    "%s/bad.opml:3: not well-formed XML: Opening and ending tag mismatch: outline "
	    "line 2 and body\n"
	    "%s/rss.opml:2: not an OPML document (the root element is <rss>, not <opml>)\n"
	    "%s/nobody.opml:1: no <body> in <opml>\n"
	    "%s/empty.opml:1: not well-formed XML: Document is empty\n"
	    "%s/urls.opml:2: outline \"ftp\": xmlUrl \"ftp://a.org/f\" is not an http(s) URL\n"
	    "%s/urls.opml:3: outline \"local\": xmlUrl \"file:///tmp/x.xml\" is a file:// "
	    "URL, refused unless allow_file_urls = yes\n"
	    "%s/urls.opml:4: outline \"blank\": empty xmlUrl\n"
	    "%s/entity.opml:3: entity declarations are not allowed in an OPML feed list",
	    tmpdir, tmpdir, tmpdir, tmpdir, tmpdir, tmpdir, tmpdir, tmpdir, tmpdir);
	CHECK_STR(buf_cstr(&err), buf_cstr(&want), "the errors of bad OPML lists");
	config_free(c);

	/* libxml2 itself stops these two while parsing; its wording may vary between versions */
	c = load_text("[feedspool]\nopml = laughs.opml\n", &err);
	buf_reset(&want);
	buf_printf(&want, "%s/laughs.opml:", tmpdir);
	CHECK(c == NULL && starts_with(buf_cstr(&err), buf_cstr(&want)) && !strchr(err.data, '\n'),
	      "a billion laughs is refused with its file and line: %s", buf_cstr(&err));
	config_free(c);
	c = load_text("[feedspool]\nopml = xxe.opml\n", &err);
	buf_reset(&want);
	buf_printf(&want, "%s/xxe.opml:", tmpdir);
	CHECK(c == NULL && starts_with(buf_cstr(&err), buf_cstr(&want)),
	      "an external entity is refused with its file and line: %s", buf_cstr(&err));
	CHECK(!strstr(buf_cstr(&err), "TOPSECRET"), "the external entity is never read");
	config_free(c);
	write_file("doctype.opml",
		   "<?xml version=\"1.0\"?>\n<!DOCTYPE opml>\n<opml version=\"2.0\">"
		   "<body><outline text=\"d\" xmlUrl=\"http://d.org/\"/></body></opml>\n");
	c = load_text("[feedspool]\nopml = doctype.opml\n", &err);
	CHECK(c && c->n_feeds == 1, "a DOCTYPE without entities is fine: %s", buf_cstr(&err));
	config_free(c);

	/* the fine outline of urls.opml, named after a [feed fine] that was there first */
	write_file("urls.opml", "<opml version=\"2.0\"><body>\n"
				"<outline text=\"local\" xmlUrl=\"file:///tmp/x.xml\"/>\n"
				"<outline text=\"fine\" xmlUrl=\"http://fine.org/\"/>\n"
				"</body></opml>\n");
	c = load_text("[feedspool]\nallow_file_urls = yes\nopml = urls.opml\n"
		      "[feed fine]\nurl = http://config.org/\n",
		      &err);
	CHECK(c != NULL, "file:// in OPML allowed by allow_file_urls: %s", buf_cstr(&err));
	if (c) {
		text = print_text(c);
		CHECK(strstr(text, "feed fine http://config.org/ interval=30m\n"
				   "feed local file:///tmp/x.xml interval=30m\n"
				   "feed fine-2 http://fine.org/ interval=30m\n") != NULL,
		      "[feed] sections first, OPML feeds after, named around them:\n%s", text);
		free(text);
	}
	config_free(c);
	buf_fini(&want);
	buf_fini(&err);
	buf_fini(&big);
}

/* Many outlines with one title: each gets the next free suffix without a quadratic search. */
static void test_opml_many(void)
{
	struct buf doc = BUF_INIT, err = BUF_INIT;
	struct config *c;
	char name[32];
	int i, ok = 1;

	buf_puts(&doc, "<opml version=\"2.0\"><body>\n");
	for (i = 0; i < 20000; i++)
		buf_printf(&doc, "<outline text=\"Same\" xmlUrl=\"http://e.org/%d\"/>\n", i);
	buf_puts(&doc, "<outline text=\"same 3\" xmlUrl=\"http://e.org/x\"/>\n");
	for (i = 0; i < 2; i++)
		buf_puts(&doc, "<outline text=\"A title of eighty characters, far longer than the "
			       "sixty-four of a name\" xmlUrl=\"http://e.org/long\"/>\n");
	buf_puts(&doc, "</body></opml>\n");
	write_file("many.opml", buf_cstr(&doc));
	c = load_text("[feedspool]\nopml = many.opml\n[feed same-2]\nurl = http://e.org/\n", &err);
	CHECK(c != NULL, "20003 outlines load: %s", buf_cstr(&err));
	if (c) {
		CHECK(c->n_feeds == 20004, "20004 feeds (%zu)", c->n_feeds);
		for (i = 0; ok && i < 20000; i++) {
			/* same, (same-2 is taken), same-3, ... */
			if (i == 0)
				snprintf(name, sizeof name, "same");
			else
				snprintf(name, sizeof name, "same-%d", i + 2);
			ok = !strcmp(c->feeds[i + 1].name, name);
		}
		CHECK(ok, "outline %d is named %s, not %s", i - 1, name, c->feeds[i].name);
		CHECK_STR(c->feeds[20001].name, "same-3-2",
			  "\"same 3\" meets same-3, taken before");
		CHECK_STR(c->feeds[20002].name,
			  "a-title-of-eighty-characters-far-longer-than-the-sixty-four-of-a",
			  "a long title makes a name of at most 64 bytes");
		CHECK_STR(c->feeds[20003].name,
			  "a-title-of-eighty-characters-far-longer-than-the-sixty-four-of-2",
			  "its suffix replaces the end, no \"--\" left");
	}
	config_free(c);
	buf_fini(&doc);
	buf_fini(&err);
}

static void test_export_import(void)
{
	struct buf err = BUF_INIT, want = BUF_INIT, warn = BUF_INIT;
	struct config *c, *back;
	FILE *f;
	char *text;
	size_t i;
	int rc;

	c = config_load(fixture("good.conf"), &err);
	CHECK(c != NULL, "good.conf loads: %s", buf_cstr(&err));
	if (!c)
		return;
	f = fopen("export.opml", "w");
	rc = opml_export(c, f);
	fclose(f);
	CHECK(rc == 0, "opml_export: %d", rc);
	text = read_text("export.opml");
	CHECK(starts_with(text, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
				"<opml version=\"2.0\">\n"
				"  <head>\n"
				"    <title>feedspool feeds</title>\n"
				"  </head>\n"
				"  <body>\n"
				"    <outline type=\"rss\" text=\"outlet-a\" title=\"outlet-a\" "
				"xmlUrl=\"https://example.org/feed.xml\"/>\n"),
	      "the export starts as OPML 2.0 with its head:\n%s", text);
	CHECK(strstr(text, "<outline type=\"rss\" text=\"tech-news\" title=\"Tech News\" "
			   "xmlUrl=\"https://tech.example.com/rss?x=1&amp;y=2\"/>\n"),
	      "an OPML feed keeps its title, '&' is escaped:\n%s", text);
	CHECK(strstr(text, "  </body>\n</opml>\n"), "the export ends the document:\n%s", text);
	free(text);

	write_file("round.conf", "[feedspool]\nallow_file_urls = yes\nopml = export.opml\n");
	back = config_load("round.conf", &err);
	CHECK(back != NULL, "the export loads as an OPML list: %s", buf_cstr(&err));
	if (back) {
		CHECK(back->n_feeds == c->n_feeds, "as many feeds back (%zu, %zu)", back->n_feeds,
		      c->n_feeds);
		for (i = 0; i < c->n_feeds && i < back->n_feeds; i++) {
			CHECK_STR(back->feeds[i].name, c->feeds[i].name, "round trip: name %zu", i);
			CHECK_STR(back->feeds[i].url, c->feeds[i].url, "round trip: url of %s",
				  c->feeds[i].name);
			CHECK_STR(back->feeds[i].title,
				  c->feeds[i].title ? c->feeds[i].title : c->feeds[i].name,
				  "round trip: title of %s (the name when it had none)",
				  c->feeds[i].name);
		}
	}
	config_free(back);

	/* opml_import: [feed] sections, loading back to the same feeds */
	f = fopen("import.conf", "w");
	fputs("[feedspool]\nallow_file_urls = yes\n\n", f);
	rc = opml_import("export.opml", f, &warn, &err);
	fclose(f);
	CHECK(rc == 0, "opml_import of the export: %d %s", rc, buf_cstr(&err));
	text = read_text("import.conf");
	CHECK(starts_with(text, "[feedspool]\nallow_file_urls = yes\n\n"
				"[feed outlet-a]\nurl = https://example.org/feed.xml\ntitle = outlet-a\n\n"
				"[feed local]\nurl = file:///tmp/feed.xml\ntitle = local\n\n"
				"[feed outlet-a-2]\nurl = https://mirror.example.org/a.xml\n"
				"title = Outlet A (mirror)\n\n"
				"[feed tech-news]\nurl = https://tech.example.com/rss?x=1&y=2\n"
				"title = Tech News\ncategory = News\n\n"),
	      "opml_import writes [feed] sections:\n%s", text);
	free(text);
	back = config_load("import.conf", &err);
	CHECK(back != NULL, "the imported sections load: %s", buf_cstr(&err));
	if (back) {
		CHECK(back->n_feeds == c->n_feeds, "as many feeds imported (%zu, %zu)",
		      back->n_feeds, c->n_feeds);
		for (i = 0; i < c->n_feeds && i < back->n_feeds; i++) {
			CHECK_STR(back->feeds[i].name, c->feeds[i].name, "import: name %zu", i);
			CHECK_STR(back->feeds[i].url, c->feeds[i].url, "import: url of %s",
				  c->feeds[i].name);
		}
	}
	config_free(back);
	config_free(c);

	/* opml_import of the fixture: no [feed outlet-a] here, so "Outlet A" is outlet-a */
	f = open_memstream(&text, &i);
	rc = opml_import(fixture("feeds.opml"), f, &warn, &err);
	fclose(f);
	CHECK(rc == 0, "opml_import of feeds.opml: %d %s", rc, buf_cstr(&err));
	CHECK_STR(text,
		  "[feed outlet-a]\nurl = https://mirror.example.org/a.xml\n"
		  "title = Outlet A (mirror)\n\n"
		  "[feed tech-news]\nurl = https://tech.example.com/rss?x=1&y=2\n"
		  "title = Tech News\ncategory = News\n\n"
		  "[feed tech-news-2]\nurl = https://other.example.com/feed\n"
		  "title = Tech News\ncategory = News/Deep\n\n"
		  "[feed unicode-strasse]\nurl = https://u.example.de/feed\n"
		  "title = \xc3\x9cn\xc3\xaf" "code Stra\xc3\x9f" "e\ncategory = News/Deep\n\n"
		  "[feed feed-4aa72b29]\nurl = https://news.example.jp/rss\n"
		  "title = \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x83\x8b\xe3\x83\xa5\xe3\x83\xbc"
		  "\xe3\x82\xb9\n\n"
		  "[feed only-a-title]\nurl = http://t.example.net/\ntitle = Only a title\n\n"
		  "[feed tech-news-3]\nurl = https://third.example.com/feed\ntitle = Tech News\n\n",
		  "opml_import of feeds.opml");
	free(text);

	/* titles with markup characters survive export and import */
	write_file("marks.opml",
		   "<opml version=\"2.0\"><body>\n"
		   "<outline text=\"A &lt;b&gt; &amp; &quot;q&quot; 'x'\" title=\"T "
		   "&lt;&amp;&gt;&quot;'&#10;line\" xmlUrl=\"http://m.org/?a=1&amp;b=2\"/>\n"
		   "</body></opml>\n");
	c = config_from_opml("marks.opml", &err);
	CHECK(c != NULL, "config_from_opml: %s", buf_cstr(&err));
	if (c && c->n_feeds == 1) {
		CHECK_STR(c->feeds[0].name, "a-b-q-x", "a name made of the text");
		CHECK_STR(c->feeds[0].title, "T <&>\"'\nline", "the title as written");
		f = fopen("marks-out.opml", "w");
		opml_export(c, f);
		fclose(f);
		back = config_from_opml("marks-out.opml", &err);
		CHECK(back != NULL, "the export of marks.opml loads: %s", buf_cstr(&err));
		if (back && back->n_feeds == 1) {
			CHECK_STR(back->feeds[0].name, "a-b-q-x", "the name survives");
			CHECK_STR(back->feeds[0].title, "T <&>\"'\nline", "the title survives");
			CHECK_STR(back->feeds[0].url, "http://m.org/?a=1&b=2", "the url survives");
		}
		config_free(back);
	}
	config_free(c);

	buf_reset(&err);
	f = open_memstream(&text, &i);
	rc = opml_import("missing.opml", f, &warn, &err);
	fclose(f);
	CHECK(rc < 0, "opml_import of a missing file fails (%d)", rc);
	CHECK_STR(buf_cstr(&err), "missing.opml: cannot read: No such file or directory",
		  "the error of opml_import for a missing file");
	CHECK_STR(text, "", "and writes nothing");
	free(text);
	buf_reset(&err);
	write_file("bad.opml", "<opml version=\"2.0\"><body>\n<outline xmlUrl=\"gopher://x/\"/>\n"
			       "<outline text=\"f\" xmlUrl=\"file:///f.xml\"/></body></opml>\n");
	f = open_memstream(&text, &i);
	rc = opml_import("bad.opml", f, &warn, &err);
	fclose(f);
	CHECK(rc < 0, "opml_import of a list with a bad url fails (%d)", rc);
	CHECK_STR(buf_cstr(&err),
		  "bad.opml:2: outline \"\": xmlUrl \"gopher://x/\" is not an http(s) URL",
		  "the error of opml_import for a bad url (file:// is fine for an import)");
	CHECK_STR(text, "", "and writes nothing");
	free(text);

	/* a relative file: URL in a list is relative to the list's directory, read directly, through
	 * `opml =` or imported as [feed] sections (found by tests/fuzz/fuzz_opml.c) */
	if (mkdir("sub", 0700) != 0) {
		perror("sub");
		exit(99);
	}
	write_file("sub/rel.opml", "<opml version=\"2.0\"><body>\n"
				   "<outline text=\"rel\" xmlUrl=\"file:feeds/a.xml\"/></body></opml>\n");
	buf_reset(&want);
	buf_printf(&want, "file://%s/sub/feeds/a.xml", tmpdir);
	buf_reset(&err);
	c = config_from_opml("sub/rel.opml", &err);
	CHECK(c && c->n_feeds == 1 && !strcmp(c->feeds[0].url, buf_cstr(&want)),
	      "config_from_opml: file:feeds/a.xml is %s, got %s (%s)", buf_cstr(&want),
	      c && c->n_feeds ? c->feeds[0].url : "nothing", buf_cstr(&err));
	config_free(c);
	c = load_text("[feedspool]\nallow_file_urls = yes\nopml = sub/rel.opml\n", &err);
	CHECK(c && c->n_feeds == 1 && !strcmp(c->feeds[0].url, buf_cstr(&want)),
	      "opml = sub/rel.opml: file:feeds/a.xml is %s, got %s (%s)", buf_cstr(&want),
	      c && c->n_feeds ? c->feeds[0].url : "nothing", buf_cstr(&err));
	config_free(c);
	buf_reset(&err);
	f = open_memstream(&text, &i);
	rc = opml_import("sub/rel.opml", f, &warn, &err);
	fclose(f);
	buf_printf(&want, "\ntitle = rel\n\n");
	buf_reset(&err);
	CHECK(rc == 0 && starts_with(text, "[feed rel]\nurl = file://") &&
		      !strcmp(text + strlen("[feed rel]\nurl = "), buf_cstr(&want)),
	      "opml import writes the absolute file URL: %s", text);
	free(text);
	buf_fini(&err);
	buf_fini(&want);
	buf_fini(&warn);
}

/* Many feeds: a repeated name is still refused with its exact file:line message, every name is
 * found by config_feed, and a long list of repeatable keys keeps its order. */
static void test_many_feeds(void)
{
	struct buf text = BUF_INIT, err = BUF_INIT, want = BUF_INIT;
	struct config *c;
	char name[32];
	int i, ok = 1;

	buf_puts(&text, "[feedspool]\n");
	for (i = 0; i < 40; i++)
		buf_printf(&text, "header = X-H%d: %d\n", i, i);
	/* [feed fI] starts at line 42 + 2 * I */
	for (i = 0; i < 50000; i++)
		buf_printf(&text, "[feed f%d]\nurl = http://e.org/%d\n", i, i);
	buf_puts(&text, "[filter f]\nplugin = topic\n");
	for (i = 0; i < 100; i++)
		buf_printf(&text, "o%d = %d\n", i, i);
	c = load_text(buf_cstr(&text), &err);
	CHECK(c != NULL, "50000 feeds load: %s", buf_cstr(&err));
	if (c) {
		CHECK(c->n_feeds == 50000, "50000 feeds (%zu)", c->n_feeds);
		for (i = 0; ok && i < 50000; i++) {
			snprintf(name, sizeof name, "f%d", i);
			ok = config_feed(c, name) == &c->feeds[i] && c->feeds[i].line == 42 + 2 * i;
		}
		CHECK(ok, "config_feed finds %s, defined at line %d", name, 42 + 2 * (i - 1));
		CHECK(config_feed(c, "f50000") == NULL && config_feed(c, "") == NULL &&
			  config_feed(c, NULL) == NULL,
		      "config_feed: no feed f50000, nor \"\", nor NULL");
		CHECK(c->defaults.n_headers == 40 && c->feeds[49999].s.n_headers == 40,
		      "40 default headers, in every feed (%zu, %zu)", c->defaults.n_headers,
		      c->feeds[49999].s.n_headers);
		CHECK_STR(c->feeds[49999].s.headers[39], "X-H39: 39", "the 40th header, in order");
		CHECK(c->n_filters == 1 && c->filters[0].n_options == 100,
		      "100 options of filter f (%zu)", c->n_filters ? c->filters[0].n_options : 0);
		if (c->n_filters == 1 && c->filters[0].n_options == 100)
			CHECK_STR(c->filters[0].options[99].value, "99",
				  "the 100th option, in order");
	}
	config_free(c);
	/* the same, f17 repeated after the filter (its options are 100 lines) */
	buf_puts(&text, "[feed f17]\nurl = http://e.org/again\n");
	buf_printf(&want, "t.conf:%d: [feed f17]: repeated feed name (first at line %d)",
		   42 + 2 * 50000 + 2 + 100, 42 + 2 * 17);
	expect_errors("a feed repeated after 50000", buf_cstr(&text), buf_cstr(&want));
	buf_fini(&text);
	buf_fini(&err);
	buf_fini(&want);
}

/* Two feeds with one URL: loaded, and config_warnings names both places, OPML ones included. */
static void test_same_url(void)
{
	struct buf err = BUF_INIT, w = BUF_INIT, want = BUF_INIT;
	struct config *c;
	size_t n;

	write_file("same.opml", "<opml version=\"2.0\"><body>\n"
				"<outline text=\"O\" xmlUrl=\"http://e.org/a\"/>\n"
				"<outline text=\"P\" xmlUrl=\"http://e.org/p\"/>\n"
				"</body></opml>\n");
	c = load_text("[feedspool]\nopml = same.opml\n"
		      "[feed a]\nurl = http://e.org/a\n"
		      "[feed b]\nurl = http://e.org/b\n"
		      "[feed c]\nurl = http://e.org/a\n"
		      "[feed d]\nurl = http://e.org/a/\n",
		      &err);
	CHECK(c != NULL, "the same URL twice is not an error: %s", buf_cstr(&err));
	if (c) {
		n = config_warnings(c, &w);
		/* t.conf is named as given, the OPML list by its resolved path; d's URL differs */
		buf_printf(&want,
			   "t.conf:7: warning: [feed c] url: the same URL as [feed a] (t.conf:3); "
			   "both are fetched\n"
			   "%s/same.opml:2: warning: [feed o] url: the same URL as [feed a] "
			   "(t.conf:3); both are fetched\n",
			   tmpdir);
		CHECK(n == 2, "two warnings (%zu)", n);
		CHECK_STR(buf_cstr(&w), buf_cstr(&want), "the same-URL warnings");
	}
	config_free(c);
	c = load_text("[feedspool]\n[feed a]\nurl = http://e.org/a\n", &err);
	buf_reset(&w);
	CHECK(c && config_warnings(c, &w) == 0 && w.len == 0, "no warning for one feed: %s",
	      buf_cstr(&w));
	config_free(c);
	buf_fini(&err);
	buf_fini(&w);
	buf_fini(&want);
}

/* opml_write alone: outlines without text or title are written without them. */
static void test_opml_write(void)
{
	struct opml_outline v[2] = {{.url = "http://e.org/1"},
				    {.text = "T", .title = "Title", .url = "http://e.org/2"}};
	struct opml_list l;
	struct buf err = BUF_INIT;
	FILE *f = fopen("w.opml", "w");
	int line, rc;

	CHECK(f && opml_write(v, 2, f) == 0, "opml_write");
	if (f)
		fclose(f);
	rc = opml_read("w.opml", &l, &line, &err);
	CHECK(rc == 0 && l.n == 2, "opml_read of what opml_write wrote: %d %s", rc, buf_cstr(&err));
	if (rc == 0 && l.n == 2) {
		CHECK(!l.v[0].text && !l.v[0].title && !strcmp(l.v[0].url, "http://e.org/1"),
		      "outline 1: url only");
		CHECK(l.v[1].text && l.v[1].title && !strcmp(l.v[1].text, "T") &&
			  !strcmp(l.v[1].title, "Title") && !strcmp(l.v[1].url, "http://e.org/2"),
		      "outline 2: text, title and url");
	}
	if (rc == 0)
		opml_list_fini(&l);
	buf_fini(&err);
}

/* OPML categories (folders and the category attribute), titles, htmlUrl, names of titles with no
 * Latin letter, repeated URLs, and the round trip import -> export -> import. */
static void test_opml_categories(void)
{
	struct buf err = BUF_INIT, warn = BUF_INIT;
	struct config *c, *back, *again;
	const struct feed_conf *f;
	char *text, *text2;
	size_t i, len;
	FILE *out;
	int rc;

	write_file("cats.opml",
		   "<opml version=\"2.0\"><body>\n"
		   "<outline text=\"Tech\">\n"
		   " <outline title=\"Linux\">\n"
		   "  <outline text=\"LWN\" title=\"LWN.net\" xmlUrl=\"https://lwn.net/rss\" "
		   "htmlUrl=\"https://lwn.net/\"/>\n"
		   " </outline>\n"
		   " <outline text=\"HN\" xmlUrl=\"https://hn.example/rss\"/>\n"
		   "</outline>\n"
		   "<outline text=\"Attr\" category=\" /Science/Space , /Other\" "
		   "xmlUrl=\"https://space.example/rss\"/>\n"
		   "<outline text=\"\xd0\x9d\xd0\xbe\xd0\xb2\xd0\xbe\xd1\x81\xd1\x82\xd0\xb8\" "
		   "xmlUrl=\"https://ru.example/rss\"/>\n"
		   "<outline text=\"\xd0\x9f\xd0\xbe\xd0\xb3\xd0\xbe\xd0\xb4\xd0\xb0\" "
		   "xmlUrl=\"https://ru.example/weather\"/>\n"
		   "<outline text=\"Caf\xc3\xa9 Cr\xc3\xa8me\" xmlUrl=\"https://cafe.example/rss\"/>\n"
		   "<outline text=\"Again\" xmlUrl=\"https://hn.example/rss\"/>\n"
		   "</body></opml>\n");
	c = config_from_opml("cats.opml", &err);
	CHECK(c && c->n_feeds == 7, "cats.opml: 7 feeds (%zu) %s", c ? c->n_feeds : 0,
	      buf_cstr(&err));
	if (!c || c->n_feeds != 7) {
		config_free(c);
		return;
	}
	f = &c->feeds[0];
	CHECK_STR(f->name, "lwn", "a feed named after its text");
	CHECK_STR(f->title, "LWN.net", "its title kept");
	CHECK_STR(f->category, "Tech/Linux", "nested folders (text, else title) are the category");
	CHECK_STR(f->link, "https://lwn.net/", "htmlUrl kept as link");
	CHECK_STR(c->feeds[1].category, "Tech", "the outer folder's category");
	CHECK(c->feeds[1].link == NULL, "no htmlUrl, no link");
	CHECK_STR(c->feeds[2].category, "Science/Space",
		  "the first path of a category attribute, without its leading '/'");
	CHECK(!strncmp(c->feeds[3].name, "feed-", 5) && strlen(c->feeds[3].name) == 13 &&
		  strspn(c->feeds[3].name + 5, "0123456789abcdef") == 8,
	      "a Cyrillic title gives feed- and 8 hex digits, not the host: %s", c->feeds[3].name);
	CHECK(strncmp(c->feeds[4].name, "feed-", 5) == 0 &&
		  strcmp(c->feeds[3].name, c->feeds[4].name) != 0,
	      "another Cyrillic title, another hash: %s, %s", c->feeds[3].name,
	      c->feeds[4].name);
	CHECK_STR(c->feeds[5].name, "cafe-creme", "accents are stripped");
	CHECK(c->feeds[3].category == NULL, "a top-level outline has no category");

	/* import: the repeated URL left out with a warning naming both */
	out = open_memstream(&text, &len);
	rc = opml_import("cats.opml", out, &warn, &err);
	fclose(out);
	CHECK(rc == 0, "opml_import of cats.opml: %s", buf_cstr(&err));
	CHECK_STR(buf_cstr(&warn),
		  "cats.opml:12: warning: outline \"Again\" (feed again): the same xmlUrl as feed hn "
		  "(line 6); left out\n",
		  "a repeated URL is reported, naming both feeds");
	CHECK(strstr(text, "[feed lwn]\nurl = https://lwn.net/rss\ntitle = LWN.net\n"
			   "category = Tech/Linux\nlink = https://lwn.net/\n\n") != NULL,
	      "import writes title, category and link:\n%s", text);
	CHECK(!strstr(text, "[feed again]"), "the repeated URL is not imported:\n%s", text);

	/* round trip: the imported sections, exported, imported again give the same sections */
	write_file("rt.conf", text);
	back = config_load("rt.conf", &err);
	CHECK(back && back->n_feeds == 6, "the import loads (%zu): %s", back ? back->n_feeds : 0,
	      buf_cstr(&err));
	if (back) {
		CHECK_STR(back->feeds[0].title, "LWN.net", "title = loads");
		CHECK_STR(back->feeds[0].link, "https://lwn.net/", "link = loads");
		out = fopen("rt.opml", "w");
		rc = opml_export(back, out);
		fclose(out);
		CHECK(rc == 0, "export of the import");
		text2 = read_text("rt.opml");
		CHECK(strstr(text2, "<outline text=\"Tech/Linux\" title=\"Tech/Linux\">\n"
				    "      <outline type=\"rss\" text=\"lwn\" title=\"LWN.net\" "
				    "xmlUrl=\"https://lwn.net/rss\" htmlUrl=\"https://lwn.net/\"/>\n"
				    "    </outline>\n") != NULL,
		      "export writes a folder per category, title and htmlUrl:\n%s", text2);
		free(text2);
		again = config_from_opml("rt.opml", &err);
		CHECK(again && again->n_feeds == back->n_feeds, "the export reads back: %s",
		      buf_cstr(&err));
		for (i = 0; again && i < back->n_feeds; i++) {
			f = config_feed(again, back->feeds[i].name);
			CHECK(f != NULL, "round trip keeps %s", back->feeds[i].name);
			if (!f)
				continue;
			CHECK_STR(f->url, back->feeds[i].url, "round trip: url of %s", f->name);
			CHECK_STR(f->title, back->feeds[i].title, "round trip: title of %s", f->name);
			CHECK(back->feeds[i].category ? f->category && !strcmp(f->category,
							back->feeds[i].category) : !f->category,
			      "round trip: category of %s", f->name);
			CHECK(back->feeds[i].link ? f->link && !strcmp(f->link, back->feeds[i].link)
						  : !f->link,
			      "round trip: link of %s", f->name);
		}
		config_free(again);
		out = open_memstream(&text2, &len);
		buf_reset(&warn);
		rc = opml_import("rt.opml", out, &warn, &err);
		fclose(out);
		CHECK(rc == 0 && !warn.len, "import of the export: %s%s", buf_cstr(&err),
		      buf_cstr(&warn));
		CHECK_STR(text2, text, "import -> export -> import gives the same sections");
		free(text2);
	}
	config_free(back);
	free(text);
	config_free(c);

	expect_errors("a link that is not a URL", "[feed x]\nurl = http://x.org/\nlink = x.org\n",
		      "t.conf:3: [feed x] link: \"x.org\" is not an absolute URL (the site's page)");
	buf_fini(&err);
	buf_fini(&warn);
}

/* [filter] feeds = and categories = (the filter's scope), [feed] category =. */
static void test_scope_keys(void)
{
	struct buf err = BUF_INIT;
	struct config *c;
	const struct filter_conf *f;
	char *printed;

	c = load_text("[feed lwn]\nurl = https://lwn.net/rss\ncategory = Tech News\n"
		      "[feed phoronix]\nurl = https://phoronix.com/rss\n"
		      "[filter spark]\nplugin = topic\nfeeds = lwn, tech-*  blog-?\n"
		      "rules = a.rules\nfeeds = phoronix\ncategories = Tech News, Science ,\n"
		      "[filter all]\nplugin = lua\n",
		      &err);
	CHECK(c != NULL, "a scoped filter loads: %s", buf_cstr(&err));
	if (!c)
		return;
	CHECK_STR(c->feeds[0].category, "Tech News", "[feed lwn] category, blanks kept");
	CHECK(c->feeds[1].category == NULL, "no category: NULL");
	f = &c->filters[0];
	CHECK(f->n_feeds == 4 && !strcmp(f->feeds[0], "lwn") && !strcmp(f->feeds[1], "tech-*") &&
		  !strcmp(f->feeds[2], "blog-?") && !strcmp(f->feeds[3], "phoronix"),
	      "feeds: split on commas and blanks, a repeat appends (%zu)", f->n_feeds);
	CHECK(f->feeds_line == 8, "feeds: the line of its first use (%d)", f->feeds_line);
	CHECK(f->n_categories == 2 && !strcmp(f->categories[0], "Tech News") &&
		  !strcmp(f->categories[1], "Science"),
	      "categories: split on commas only, trimmed (%zu)", f->n_categories);
	CHECK(f->categories_line == 11, "categories: its line (%d)", f->categories_line);
	CHECK(f->n_options == 1 && !strcmp(f->options[0].key, "rules"),
	      "feeds and categories are not plugin options (%zu)", f->n_options);
	CHECK(c->filters[1].n_feeds == 0 && c->filters[1].n_categories == 0,
	      "a filter without scope has none");
	printed = print_text(c);
	CHECK(strstr(printed, "feed lwn https://lwn.net/rss category=\"Tech News\"") &&
		  strstr(printed, "feeds=lwn feeds=tech-* feeds=blog-? feeds=phoronix "
				  "categories=\"Tech News\" categories=Science rules=a.rules"),
	      "check prints the category and the scope: %s", printed);
	free(printed);
	config_free(c);
	buf_fini(&err);

	expect_errors("a bad feed pattern", "[filter f]\nplugin = topic\nfeeds = lwn, Big_Feed\n",
		      "t.conf:3: [filter f] feeds: \"Big_Feed\" is not a feed name or pattern "
		      "(lowercase letters, digits, '-', and * ? [...])");
	expect_errors("an empty scope", "[filter f]\nplugin = topic\nfeeds = ,\ncategories =\n",
		      "t.conf:3: [filter f] feeds: \",\" is not a list of feed names or patterns\n"
		      "t.conf:4: [filter f] categories: \"\" is not a list of categories");
	expect_errors("a repeated category",
		      "[feed x]\nurl = http://a.org/\ncategory = A\ncategory = B\n",
		      "t.conf:4: [feed x] category: repeated (first at line 3; only header and opml "
		      "may repeat)");
}

/* Credentials: a password read from its file or credential, inherited as a pair, never printed;
 * one of the two per section; modes others may use refused. */
static void test_credentials(void)
{
	struct buf err = BUF_INIT;
	struct config *c;
	char *out, cred[PATH_MAX + 8];

	write_file("pw", "hunter2-default\n");
	write_file("pw2", "hunter2-feed\r\n");
	CHECK(chmod("pw", 0600) == 0 && chmod("pw2", 0640) == 0 && mkdir("creds", 0700) == 0,
	      "setup");
	write_file("creds/api", "hunter2-cred");
	CHECK(chmod("creds/api", 0400) == 0, "setup");
	snprintf(cred, sizeof cred, "%s/creds", tmpdir);
	setenv("CREDENTIALS_DIRECTORY", cred, 1);
	c = load_text("[feedspool]\nusername = u\npassword_file = pw\nproxy = none\n"
		      "[feed a]\nurl = http://a.example/\n"
		      "[feed b]\nurl = http://b.example/\npassword_file = pw2\ntls_verify = no\n"
		      "[feed c]\nurl = http://c.example/\nusername = v\npassword_credential = api\n"
		      "proxy = socks5h://pu:proxy-hunter2@p.example:1080\n"
		      "[feed d]\nurl = http://u:url-hunter2@d.example/x\ncookie_file = jar\n",
		      &err);
	CHECK(c != NULL, "credentials load: %s", buf_cstr(&err));
	if (c) {
		CHECK_STR(c->feeds[0].s.password, "hunter2-default", "a inherits the password");
		CHECK_STR(c->feeds[0].s.username, "u", "a inherits the username");
		CHECK_STR(c->feeds[1].s.password, "hunter2-feed", "b's own file, CRLF removed");
		CHECK(c->feeds[1].s.tls_verify == 0 && c->feeds[0].s.tls_verify == 1, "tls_verify");
		CHECK_STR(c->feeds[2].s.password, "hunter2-cred", "c's credential");
		CHECK(c->feeds[2].s.password_file == NULL, "c takes no password_file from the defaults");
		CHECK_STR(c->feeds[3].s.proxy, "none", "d inherits proxy = none");
		CHECK(c->feeds[3].s.cookie_file && c->feeds[3].s.cookie_file[0] == '/',
		      "cookie_file is made absolute");
		out = print_text(c);
		CHECK(!strstr(out, "hunter2"), "check shows no secret:\n%s", out);
		CHECK(strstr(out, "password_credential=api") != NULL, "check names the credential");
		CHECK(strstr(out, "feed d http://d.example/x") != NULL, "the URL without userinfo");
		CHECK(strstr(out, "proxy=socks5h://p.example:1080") != NULL, "the proxy without it");
		free(out);
		config_free(c);
	}
	expect_errors("both", "[feed x]\nurl = http://x/\npassword_file = pw\npassword_credential = api\n",
		      "t.conf:4: [feed x] password_credential: a password is already given (use one of "
		      "password_file and password_credential)");
	CHECK(chmod("pw", 0660) == 0, "chmod");
	c = load_text("[feedspool]\npassword_file = pw\n", &err);
	CHECK(c == NULL && starts_with(buf_cstr(&err), "t.conf:2: [feedspool] password_file: ") &&
		      strstr(buf_cstr(&err), "mode 0660 lets its group write it"),
	      "a group-writable password file is refused: %s", buf_cstr(&err));
	config_free(c);
	write_file("empty", "\n");
	CHECK(chmod("empty", 0600) == 0, "chmod");
	c = load_text("[feedspool]\npassword_file = empty\n", &err);
	CHECK(c == NULL && strstr(buf_cstr(&err), "empty: empty"), "an empty password: %s",
	      buf_cstr(&err));
	config_free(c);
	c = load_text("[feedspool]\npassword_credential = ../pw\n", &err);
	CHECK(c == NULL && strstr(buf_cstr(&err), "is not a credential name"), "a path: %s",
	      buf_cstr(&err));
	config_free(c);
	unsetenv("CREDENTIALS_DIRECTORY");
	buf_fini(&err);
}

/* lease_time: a duration of at least 2 s (default 120), shown only with a PostgreSQL state. */
static void test_lease_time(void)
{
	struct buf err = BUF_INIT;
	struct config *c;
	char *out;

	c = load_text("[feedspool]\n", &err);
	CHECK(c && c->lease_time == 120, "default lease_time 120: %s", buf_cstr(&err));
	if (c) {
		out = print_text(c);
		CHECK(!strstr(out, "lease_time"), "not shown with SQLite:\n%s", out);
		free(out);
	}
	config_free(c);
	c = load_text("[feedspool]\nstate = postgresql://u@127.0.0.1:5/db\nlease_time = 2m\n", &err);
	CHECK(c && c->lease_time == 120, "lease_time = 2m: %s", buf_cstr(&err));
	if (c) {
		out = print_text(c);
		CHECK(strstr(out, "lease_time = ") != NULL, "shown with PostgreSQL:\n%s", out);
		free(out);
	}
	config_free(c);
	buf_reset(&err);
	c = load_text("[feedspool]\nlease_time = 1s\n", &err);
	CHECK(!c && strstr(buf_cstr(&err), "lease_time") && strstr(buf_cstr(&err), "at least 2s"),
	      "lease_time below 2 s refused: %s", buf_cstr(&err));
	config_free(c);
	buf_fini(&err);
}

/* The NATS keys: shown by check only with the NATS sink; the token read from its file with the
 * password checks, never shown. */
static void test_nats_keys(void)
{
	struct buf err = BUF_INIT;
	struct config *c;
	char *out;

	c = load_text("[feedspool]\n", &err);
	CHECK(c && c->sink == SINK_SPOOL && !strcmp(c->nats_url, "nats://127.0.0.1:4222") &&
		      !strcmp(c->nats_stream, "FEEDSPOOL") && c->nats_duplicate_window == 86400 &&
		      c->nats_ack_timeout == 10 && !c->nats_token,
	      "the NATS defaults: %s", buf_cstr(&err));
	if (c) {
		out = print_text(c);
		CHECK(!strstr(out, "nats_") && !strstr(out, "sink ="), "no NATS key without it:\n%s", out);
		free(out);
	}
	config_free(c);
	write_file("tok", "nats-hunter2\n");
	CHECK(chmod("tok", 0600) == 0, "chmod");
	c = load_text("[feedspool]\nsink = spool nats\nnats_url = nats://a:1,tls://b:2\n"
		      "nats_stream = S_1\nnats_subject = x.y\nnats_token = tok\n",
		      &err);
	CHECK(c != NULL, "a NATS configuration loads: %s", buf_cstr(&err));
	if (c) {
		CHECK_STR(c->nats_token, "nats-hunter2", "the token, its newline removed");
		out = print_text(c);
		CHECK(!strstr(out, "hunter2"), "check shows no token:\n%s", out);
		CHECK(strstr(out, "\nsink = spool nats\n") && strstr(out, "\nnats_subject = x.y\n") &&
			      strstr(out, "/tok\n"),
		      "check shows the sink, the keys and the token's file:\n%s", out);
		free(out);
		config_free(c);
	}
	CHECK(chmod("tok", 0644) == 0, "chmod");
	c = load_text("[feedspool]\nsink = nats\nnats_token = tok\n", &err);
	CHECK(c == NULL && starts_with(buf_cstr(&err), "t.conf:3: [feedspool] nats_token: ") &&
		      !strstr(buf_cstr(&err), "hunter2"),
	      "a token file others may read is refused, the token not shown: %s", buf_cstr(&err));
	config_free(c);
	buf_fini(&err);
}

int main(void)
{
	const char *env = getenv("FIXTURES");
	char tmpl[] = "/tmp/test_config.XXXXXX";

	if (!realpath(env && *env ? env : "tests/fixtures", fixtures)) {
		perror("FIXTURES");
		return 99;
	}
	if (!mkdtemp(tmpl) || !realpath(tmpl, tmpdir) || chdir(tmpdir) != 0) {
		perror(tmpl);
		return 99;
	}
	test_defaults();
	test_good();
	test_print();
	test_values();
	test_feed_values();
	test_errors();
	test_scope_keys();
	test_many_errors();
	test_opml_errors();
	test_opml_many();
	test_export_import();
	test_many_feeds();
	test_same_url();
	test_opml_write();
	test_credentials();
	test_nats_keys();
	test_lease_time();
	test_opml_categories();
	if (system("rm -rf -- \"$PWD\"") != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return check_exit();
}
