/* SPDX-License-Identifier: MIT */
/* The nine seed articles (tests/fixtures/seed-feeds) come out exactly: text renderings byte for
 * byte, titles, links, authors and UTC dates as expected/articles.json says, whatever the chunk
 * sizes the document arrives in. */
#include "autoconfig.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "date.h"
#include "feed.h"

#define MAX_ARTICLES 64

struct got {
	char *url, *title, *author, *published, *text, *id;
};

struct run {
	struct got v[MAX_ARTICLES];
	int n;
};

static const char *fixtures(void)
{
	const char *f = getenv("FIXTURES");

	return f && *f ? f : "tests/fixtures";
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *s;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	s = malloc((size_t)n + 1);
	if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
		free(s);
		s = NULL;
	}
	if (s)
		s[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return s;
}

static int collect(void *ud, struct article *a, const struct feed_info *f)
{
	struct run *r = ud;
	struct got *g;
	struct buf t = BUF_INIT;
	char d[DATE_BUFSZ] = "";

	if (r->n >= MAX_ARTICLES)
		return 1;
	g = &r->v[r->n++];
	g->url = a->url ? strdup(a->url) : NULL;
	g->title = a->title ? strdup(a->title) : NULL;
	g->author = a->n_authors && a->authors[0].name ? strdup(a->authors[0].name) : NULL;
	if (a->published != DATE_NONE)
		date_format(a->published, d, sizeof d);
	g->published = strdup(d);
	article_render_text(a, &t);
	g->text = buf_steal(&t);
	g->id = strdup(a->id);
	return 0;
}

static void run_free(struct run *r)
{
	int i;

	for (i = 0; i < r->n; i++) {
		free(r->v[i].url);
		free(r->v[i].title);
		free(r->v[i].author);
		free(r->v[i].published);
		free(r->v[i].text);
		free(r->v[i].id);
	}
	r->n = 0;
}

/* Parses a file pushed in chunks of the given size (0: all at once). */
static int parse_file(const char *name, size_t chunk, struct run *r)
{
	char path[4096];
	struct feed_parser_opts o = {0};
	struct feed_parser *p;
	size_t len, off;
	char *doc;
	int rc;

	snprintf(path, sizeof path, "%s/seed-feeds/%s", fixtures(), name);
	doc = slurp(path, &len);
	CHECK(doc != NULL, "cannot read %s", path);
	if (!doc)
		return -1;
	o.name = name;
	p = feed_parser_new(&o, collect, r);
	for (off = 0; off < len; off += chunk ? chunk : len)
		feed_parser_push(p, doc + off, chunk && len - off > chunk ? chunk : len - off);
	rc = feed_parser_finish(p);
	{
		long line;
		const char *e = feed_parser_error(p, &line);

		CHECK(rc == 0, "%s (chunk %zu) must parse cleanly, got line %ld: %s", name, chunk, line,
		      e ? e : "?");
	}
	feed_parser_free(p);
	free(doc);
	return rc;
}

static const struct got *find(const struct run *r, const char *url)
{
	int i;

	for (i = 0; i < r->n; i++)
		if (r->v[i].url && !strcmp(r->v[i].url, url))
			return &r->v[i];
	return NULL;
}

/* Prints the first line where two texts differ. */
static void show_diff(const char *exp, const char *act)
{
	int line = 1;

	while (*exp && *exp == *act) {
		if (*exp == '\n')
			line++;
		exp++;
		act++;
	}
	fprintf(stderr, "  first difference on line %d:\n  expected: %.120s\n  actual:   %.120s\n",
		line, exp, act);
}

int main(void)
{
	static const char *const feeds[] = {"outlet-a.rss", "outlet-b.atom", "outlet-c.rdf"};
	static const size_t chunks[] = {0, 1, 7, 4096};
	struct run all = {0}, again = {0};
	char path[4096];
	json_error_t je;
	json_t *expected, *arts, *e;
	size_t i, c;
	int f;

	snprintf(path, sizeof path, "%s/seed-feeds/expected/articles.json", fixtures());
	expected = json_load_file(path, 0, &je);
	CHECK(expected != NULL, "cannot load %s: %s", path, je.text);
	if (!expected)
		return check_exit();
	for (f = 0; f < 3; f++)
		parse_file(feeds[f], 0, &all);
	CHECK(all.n == 11, "the three seed feeds hold 3 + 4 + 4 items, got %d", all.n);

	arts = json_object_get(expected, "articles");
	json_array_foreach(arts, i, e) {
		const char *url = json_string_value(json_object_get(e, "url"));
		const char *file = json_string_value(json_object_get(e, "expected"));
		const struct got *g = find(&all, url);
		char *want;

		CHECK(g != NULL, "no article with url %s", url);
		if (!g)
			continue;
		CHECK_STR(g->title, json_string_value(json_object_get(e, "title")), "title of %s", url);
		CHECK_STR(g->author, json_string_value(json_object_get(e, "author")), "author of %s", url);
		CHECK_STR(g->published, json_string_value(json_object_get(e, "published")),
			  "published date of %s", url);
		snprintf(path, sizeof path, "%s/seed-feeds/%s", fixtures(), file);
		want = slurp(path, NULL);
		CHECK(want && !strcmp(g->text, want), "text rendering of %s must equal %s", url, file);
		if (want && strcmp(g->text, want))
			show_diff(want, g->text);
		free(want);
	}

	/* the same bytes in any chunking give the same articles */
	for (c = 1; c < sizeof chunks / sizeof *chunks; c++) {
		for (f = 0; f < 3; f++)
			parse_file(feeds[f], chunks[c], &again);
		CHECK(again.n == all.n, "chunk size %zu: %d articles, not %d", chunks[c], again.n, all.n);
		for (f = 0; f < again.n && f < all.n; f++) {
			CHECK(!strcmp(again.v[f].text, all.v[f].text),
			      "chunk size %zu changes the text of article %d (%s)", chunks[c], f,
			      all.v[f].url);
			CHECK(!strcmp(again.v[f].id, all.v[f].id), "chunk size %zu changes id of %s",
			      chunks[c], all.v[f].url);
		}
		run_free(&again);
	}

	/* identity: outlet-c repeats outlet-a's first story under http and with utm_ parameters */
	{
		const struct got *a = find(&all, "https://www.ibtimes.example/elon-musk-welcomes-nvidias-dgx-spark-3789001");
		const struct got *b = find(&all, "http://www.ibtimes.example/elon-musk-welcomes-nvidias-dgx-spark-3789001?utm_source=rss&utm_medium=feed&utm_campaign=syndication");

		CHECK(a && b && !strcmp(a->id, b->id),
		      "the tracked http copy must have the id of the original (%s vs %s)",
		      a ? a->id : "-", b ? b->id : "-");
	}
	run_free(&all);
	json_decref(expected);
	return check_exit();
}
