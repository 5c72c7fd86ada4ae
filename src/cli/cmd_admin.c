/* SPDX-License-Identifier: MIT */
/* The administrative commands: `check` (validate a configuration), `feeds` (the state of every
 * feed), `opml export` and `opml import`. */
#include "autoconfig.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "config.h"
#include "date.h"
#include "log.h"
#include "pg_admin.h"
#include "plugin.h"
#include "preflight.h"
#include "store_pg.h"

#include <uv.h>
#include "state_read.h"
#include "url.h"

/* Parses "-c FILE" (and --help) for the commands below; returns the index of the first operand,
 * or -1 (help shown, exit 0) / -2 (usage error). */
static int common_opts(int argc, char **argv, const char **config, const char *help)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	*config = CONFIG_DEFAULT_PATH;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			*config = optarg;
			break;
		case 'h':
			fputs(help, stdout);
			return -1;
		default:
			fputs(help, stderr);
			return -2;
		}
	}
	return optind;
}

static struct config *load(const char *path)
{
	struct buf err = BUF_INIT;
	struct config *c = config_load(path, &err);

	if (!c)
		fprintf(stderr, "%s\n", buf_cstr(&err));
	buf_fini(&err);
	return c;
}

/* state = postgresql://...: the server answers and its schema is one this build runs on. */
static int check_pg(const char *uri)
{
	struct buf err = BUF_INIT;
	char *shown = pg_admin_uri_shown(uri);
	int rc = pg_admin_check(uri, &err);

	if (rc < 0)
		fprintf(stderr, "state %s: %s\n", shown ? shown : "postgresql://...",
			buf_cstr(&err));
	free(shown);
	buf_fini(&err);
	return rc;
}

int cmd_check(int argc, char **argv)
{
	static const char help[] =
		"Usage: feedspool check [-c FILE]\n"
		"Validate the configuration (and every OPML file and filter it names), check that the\n"
		"state database and the spool can be used by this user (nothing is created; the\n"
		"database must pass SQLite's quick_check, and no -wal, -shm, tmp/, new/ or cur/\n"
		"may be a symbolic link; a postgresql:// state must answer a read-only connection\n"
		"and hold no schema newer than this feedspool), and\n"
		"print the resolved settings and feed list. Exit status 0 when it is valid, 1 when\n"
		"not (every error on stderr as FILE:LINE: message, or state/spool PATH: message),\n"
		"2 for usage errors. Warnings (two feeds with the same URL) go to stderr as\n"
		"FILE:LINE: warning: message and leave the status 0.\n\n"
		"  -c, --config FILE  the configuration (default " CONFIG_DEFAULT_PATH ")\n"
		"  -h, --help         show this help and exit\n";
	const char *path;
	struct config *c;
	struct buf problems = BUF_INIT;
	int valid = 1, i = common_opts(argc, argv, &path, help);

	if (i < 0)
		return i == -1 ? 0 : EXIT_USAGE;
	if (i < argc) {
		log_err("check: unexpected argument '%s'", argv[i]);
		return EXIT_USAGE;
	}
	if (!(c = load(path)))
		return EXIT_INPUT;
	if (c->n_filters) {
		/* a plugin whose init fails is a configuration error */
		uv_loop_t loop;
		struct buf err = BUF_INIT;
		struct filter_chain *ch;
		int ok;

		uv_loop_init(&loop);
		ch = filter_chain_new(c, &loop, &err);
		ok = ch != NULL;
		if (!ok)
			fprintf(stderr, "%s\n", buf_cstr(&err));
		filter_chain_free(ch);
		uv_run(&loop, UV_RUN_DEFAULT); /* let plugins close what they opened */
		uv_loop_close(&loop);
		buf_fini(&err);
		valid = ok;
	}
	/* what the daemon would refuse at start: the state and the spool, for this user */
	if (preflight_storage(c, &problems) < 0) {
		fprintf(stderr, "%s\n", buf_cstr(&problems));
		valid = 0;
	}
	buf_fini(&problems);
	if (store_pg_is_uri(c->state) && check_pg(c->state) < 0)
		valid = 0;
	if (!valid) {
		config_free(c);
		return EXIT_INPUT;
	}
	if (config_warnings(c, &problems))
		fputs(buf_cstr(&problems), stderr);
	buf_fini(&problems);
	config_print(c, stdout);
	config_free(c);
	return 0;
}

static void fmt_time(int64_t t, char *out, size_t n)
{
	if (t <= 0 || date_format(t, out, n) < 0)
		snprintf(out, n, "never");
}

/* What the state knows of the configured feeds, read in one pass over the state (not a query per
 * feed): of_feed[i] is the state of c->feeds[i], or NULL. */
struct lease {
	char *owner; /* NULL: none */
	int64_t expires;
};

struct known {
	struct feed_state *v;
	size_t n;
	const struct feed_state **of_feed;
	struct lease *lease_of; /* of c->feeds[i]: the instance fetching it now (PostgreSQL) */
};

struct known_walk {
	struct known *k;
	const struct config *c;
	size_t cap;
};

static int on_feed_state(void *ud, const struct feed_state *f)
{
	struct known_walk *w = ud;
	struct known *k = w->k;
	struct feed_state *v;

	/* a feed the configuration no longer names is left out */
	if (!config_feed(w->c, f->name))
		return 0;
	if (k->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 64;
		v = realloc(k->v, w->cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		k->v = v;
	}
	/* the walk's strings are its own: the copy takes them over field by field */
	v = &k->v[k->n];
	*v = *f;
	v->name = f->name ? strdup(f->name) : NULL;
	v->url = f->url ? url_strip_userinfo(f->url) : NULL; /* credentials are not shown */
	v->etag = v->last_modified = v->pending_url = NULL;
	v->last_result = f->last_result ? strdup(f->last_result) : NULL;
	v->due_reason = f->due_reason ? strdup(f->due_reason) : NULL;
	v->moved_from = f->moved_from ? url_strip_userinfo(f->moved_from) : NULL;
	k->n++;
	if (!v->name || !v->url || (f->last_result && !v->last_result) ||
	    (f->due_reason && !v->due_reason) || (f->moved_from && !v->moved_from))
		return -ENOMEM;
	return 0;
}

static int on_lease(void *ud, const char *feed, const char *owner, int64_t expires)
{
	struct known_walk *w = ud;
	const struct feed_conf *f = config_feed(w->c, feed);
	struct lease *l;

	if (!f)
		return 0;
	l = &w->k->lease_of[f - w->c->feeds];
	free(l->owner);
	l->expires = expires;
	return (l->owner = strdup(owner)) ? 0 : -ENOMEM;
}

static void known_fini(struct known *k, size_t n_feeds)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		feed_state_fini(&k->v[i]);
	for (i = 0; k->lease_of && i < n_feeds; i++)
		free(k->lease_of[i].owner);
	free(k->v);
	free(k->of_feed);
	free(k->lease_of);
}

static int known_feeds(struct state_read *st, const struct config *c, struct known *k)
{
	struct known_walk w = {k, c, 0};
	const struct feed_conf *f;
	size_t i;
	int rc;

	k->of_feed = calloc(c->n_feeds ? c->n_feeds : 1, sizeof *k->of_feed);
	k->lease_of = calloc(c->n_feeds ? c->n_feeds : 1, sizeof *k->lease_of);
	if (!k->of_feed || !k->lease_of)
		return -ENOMEM;
	rc = state_read_feed_each(st, on_feed_state, &w);
	if (rc >= 0)
		rc = state_read_lease_each(st, on_lease, &w);
	if (rc < 0)
		return rc;
	for (i = 0; i < k->n; i++) {
		f = config_feed(c, k->v[i].name);
		k->of_feed[f - c->feeds] = &k->v[i];
	}
	return 0;
}

/* Whether the feed is failing: its last fetch failed. */
static int failing(const struct feed_state *fs)
{
	return fs && fs->failures > 0;
}

static void print_feed(const struct feed_conf *f, const struct feed_state *fs,
		       const struct lease *lease)
{
	char last[DATE_BUFSZ + 8], next[DATE_BUFSZ + 8], ok[DATE_BUFSZ + 8];
	char *url = url_strip_userinfo(fs ? fs->url : f->url), *from;

	if (!fs) {
		printf("%s\n  url       %s\n  last      never fetched\n  next      at the "
		       "next start (new feed)\n\n",
		       f->name, url ? url : "?");
		free(url);
		return;
	}
	from = fs->moved_from ? url_strip_userinfo(fs->moved_from) : NULL;
	fmt_time(fs->last_fetch, last, sizeof last);
	fmt_time(fs->next_due, next, sizeof next);
	fmt_time(fs->last_success, ok, sizeof ok);
	printf("%s\n  url       %s%s%s\n  last      %s: %s\n  success   %s\n  failures  %d\n"
	       "  seen      %lld articles\n  next      %s (%s)\n",
	       f->name, url ? url : "?", from ? " (moved from " : "", from ? from : "", last,
	       fs->last_result ? fs->last_result : "-", ok, fs->failures,
	       (long long)fs->articles_seen, fs->retired ? "never" : next,
	       fs->due_reason ? fs->due_reason : "-");
	if (from)
		printf("  moved     from %s\n", from);
	if (lease->owner) {
		fmt_time(lease->expires, next, sizeof next);
		printf("  lease     %s until %s\n", lease->owner, next);
	}
	putchar('\n');
	free(url);
	free(from);
}

/* A time as RFC 3339 UTC, null for never. */
static json_t *jtime(int64_t t)
{
	char s[DATE_BUFSZ];

	return t > 0 && date_format(t, s, sizeof s) == 0 ? json_string(s) : json_null();
}

static json_t *jstr_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* One feed's object for `feeds --json`. */
static json_t *feed_json(const struct feed_conf *f, const struct feed_state *fs,
			 const struct lease *lease)
{
	char *url = url_strip_userinfo(fs ? fs->url : f->url);
	json_t *o, *l = lease->owner ? json_pack("{s:s,s:o}", "owner", lease->owner, "expires",
						 jtime(lease->expires))
				     : json_null();

	o = json_pack("{s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:i,s:I,s:o,s:o,s:b,s:b}", "name", f->name,
		      "url", jstr_or_null(url), "title", jstr_or_null(f->title), "category",
		      jstr_or_null(f->category), "link", jstr_or_null(f->link), "last_fetch",
		      jtime(fs ? fs->last_fetch : 0), "last_result",
		      jstr_or_null(fs ? fs->last_result : NULL), "last_success",
		      jtime(fs ? fs->last_success : 0), "failures", fs ? fs->failures : 0,
		      "articles_seen", (json_int_t)(fs ? fs->articles_seen : 0), "next_due",
		      jtime(fs && !fs->retired ? fs->next_due : 0), "reason",
		      jstr_or_null(fs ? fs->due_reason : "new feed"), "retired", fs && fs->retired,
		      "failing", failing(fs));
	/* json_object_set_new takes l even when it fails */
	if (o && (!l || json_object_set_new(o, "lease", l) < 0)) {
		json_decref(o);
		o = NULL;
	} else if (!o) {
		json_decref(l);
	}
	free(url);
	return o;
}

/* The running (or last) daemon's filter counters, as the state keeps them (a JSON array), or
 * NULL. */
static json_t *filter_counters(struct state_read *st)
{
	char *text = NULL;
	json_t *arr = NULL;

	if (state_read_meta_get(st, "filters", &text) > 0)
		arr = json_loads(text, 0, NULL);
	free(text);
	if (arr && !json_is_array(arr)) {
		json_decref(arr);
		arr = NULL;
	}
	return arr;
}

static void print_filters(json_t *arr)
{
	size_t k;

	printf("filters (counters since the daemon started)\n");
	for (k = 0; k < json_array_size(arr); k++) {
		json_t *f = json_array_get(arr, k);

		printf("  %-16s kept %lld, dropped %lld, errors %lld, %.1f ms in the plugin\n",
		       json_string_value(json_object_get(f, "name")),
		       (long long)json_integer_value(json_object_get(f, "kept")),
		       (long long)json_integer_value(json_object_get(f, "dropped")),
		       (long long)json_integer_value(json_object_get(f, "errors")),
		       json_real_value(json_object_get(f, "ms")));
	}
}

/* `feeds --json`: {"feeds": [...], "filters": [...]} on one document. 0 or -ENOMEM. */
static int print_json(const struct config *c, const struct known *known, json_t *filters)
{
	json_t *doc = json_object(), *arr = json_array(), *o;
	size_t i;
	int rc = -ENOMEM;

	if (!doc || !arr || json_object_set(doc, "feeds", arr) < 0)
		goto done;
	for (i = 0; i < c->n_feeds; i++) {
		o = feed_json(&c->feeds[i], known->of_feed[i], &known->lease_of[i]);
		if (!o || json_array_append_new(arr, o) < 0)
			goto done;
	}
	if (json_object_set_new(doc, "filters", filters ? json_incref(filters) : json_array()) < 0)
		goto done;
	if (json_dumpf(doc, stdout, JSON_INDENT(2)) < 0)
		goto done;
	putchar('\n');
	rc = 0;
done:
	json_decref(arr);
	json_decref(doc);
	return rc;
}

/* Prints the feeds (and filter counters) as text or JSON; 1 when a feed is failing, else 0. */
static int show(struct state_read *st, const struct config *c, const struct known *known,
		int as_json)
{
	json_t *filters = filter_counters(st);
	size_t i;
	int any_failing = 0;

	for (i = 0; i < c->n_feeds; i++)
		any_failing |= failing(known->of_feed[i]);
	if (as_json) {
		if (print_json(c, known, filters) < 0) {
			log_err("feeds: out of memory");
			any_failing = 1;
		}
	} else {
		for (i = 0; i < c->n_feeds; i++)
			print_feed(&c->feeds[i], known->of_feed[i], &known->lease_of[i]);
		if (filters)
			print_filters(filters);
	}
	json_decref(filters);
	return any_failing ? EXIT_INPUT : 0;
}

int cmd_feeds(int argc, char **argv)
{
	static const char help[] =
		"Usage: feedspool feeds [-c FILE] [--json]\n"
		"Print one block per configured feed: its URL, the last fetch and its result, the\n"
		"last success, consecutive failures, articles seen, and when it is due next and why.\n"
		"Reads the state read-only (a SQLite file, or a postgresql:// database over a\n"
		"read-only connection); safe while daemons run. Exit status 1 when\n"
		"a feed is failing (its last fetch failed) or the configuration or the state cannot\n"
		"be read, 0 otherwise, 2 for usage errors.\n\n"
		"  -c, --config FILE  the configuration (default " CONFIG_DEFAULT_PATH ")\n"
		"      --json         one JSON document: {\"feeds\": [...], \"filters\": [...]}\n"
		"  -h, --help         show this help and exit\n";
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *path = CONFIG_DEFAULT_PATH;
	struct config *c;
	struct state_read *st;
	struct buf err = BUF_INIT;
	struct known known = {NULL, 0, NULL, NULL};
	int a, as_json = 0, rc;

	optind = 1;
	while ((a = getopt_long(argc, argv, "+c:h", longopts, NULL)) != -1) {
		if (a == 'c')
			path = optarg;
		else if (a == 'j')
			as_json = 1;
		else {
			fputs(help, a == 'h' ? stdout : stderr);
			return a == 'h' ? 0 : EXIT_USAGE;
		}
	}
	if (optind < argc) {
		log_err("feeds: unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	if (!(c = load(path)))
		return EXIT_INPUT;
	st = state_read_open(c->state, &err);
	if (!st) {
		log_err("state %s", buf_cstr(&err));
		buf_fini(&err);
		config_free(c);
		return EXIT_INPUT;
	}
	if ((a = known_feeds(st, c, &known)) < 0) {
		log_err("state %s: %s", state_read_name(st),
			a == -ENOMEM ? "out of memory" : state_read_error(st));
		rc = EXIT_INPUT;
	} else {
		rc = show(st, c, &known, as_json);
	}
	known_fini(&known, c->n_feeds);
	state_read_close(st);
	config_free(c);
	return rc;
}

int cmd_opml(int argc, char **argv)
{
	static const char help[] =
		"Usage: feedspool opml export [-c FILE]\n"
		"       feedspool opml import OPMLFILE|-\n"
		"export prints the configured feeds as an OPML 2.0 document (each feed's title and\n"
		"link as title and htmlUrl, its category as the folder outline it is in); import\n"
		"prints the [feed NAME] sections (url, title, category, link) for every feed of an\n"
		"OPML file (- reads the standard input), to add to a configuration. A feed whose\n"
		"xmlUrl an earlier one has is left out with a warning naming both on stderr.\n";
	struct buf err = BUF_INIT;
	const char *path;
	struct config *c;
	int i, rc;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(help, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	if (!strcmp(argv[1], "export")) {
		i = common_opts(argc - 1, argv + 1, &path, help);
		if (i < 0)
			return i == -1 ? 0 : EXIT_USAGE;
		if (!(c = load(path)))
			return EXIT_INPUT;
		rc = opml_export(c, stdout);
		config_free(c);
		return rc < 0 ? EXIT_INPUT : 0;
	}
	if (!strcmp(argv[1], "import") && argc == 3) {
		struct buf warn = BUF_INIT;

		rc = opml_import(argv[2], stdout, &warn, &err);
		if (warn.len)
			fputs(buf_cstr(&warn), stderr);
		if (rc < 0)
			log_err("%s", buf_cstr(&err));
		buf_fini(&warn);
		buf_fini(&err);
		return rc < 0 ? EXIT_INPUT : 0;
	}
	fputs(help, stderr);
	return EXIT_USAGE;
}
