/* SPDX-License-Identifier: MIT */
/* The article model's derived fields (src/parse/article.c): the id is the XXH3-64 of the
 * identity key, whichever way it is computed, and the ids of fixed articles never change (they
 * are dedup keys kept in users' state); the standfirst is decided as the plain way decides it. */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <xxhash.h>

#include "article.h"
#include "check.h"

struct id_case {
	const char *url, *guid, *title;
	int64_t published, updated;
	const char *id; /* as main 49942ad computed it */
};

static void one(const struct id_case *c)
{
	struct article a;
	struct buf k = BUF_INIT;
	char want[17];

	article_init(&a);
	a.url = c->url ? strdup(c->url) : NULL;
	a.guid = c->guid ? strdup(c->guid) : NULL;
	a.title = c->title ? strdup(c->title) : NULL;
	a.published = c->published;
	a.updated = c->updated;
	article_identity_key(&a, "https://feed.example/rss", &k);
	snprintf(want, sizeof want, "%016llx",
		 (unsigned long long)XXH3_64bits(buf_cstr(&k), k.len));
	article_make_id(&a, "https://feed.example/rss");
	CHECK_STR(a.id, want, "id of (%s, %s, %s) is the hash of its key \"%s\"",
		  c->url ? c->url : "NULL", c->guid ? c->guid : "NULL", c->title ? c->title : "NULL",
		  buf_cstr(&k));
	if (c->id)
		CHECK_STR(a.id, c->id, "id of (%s, %s, %s) as it always was",
			  c->url ? c->url : "NULL", c->guid ? c->guid : "NULL",
			  c->title ? c->title : "NULL");
	buf_fini(&k);
	article_fini(&a);
}

/* s without spaces, tabs, CR and LF, written to o (room for strlen(s) + 1). */
static size_t squeezed(const char *s, char *o)
{
	size_t k = 0;

	for (; *s; s++)
		if (!strchr(" \t\r\n", *s))
			o[k++] = *s;
	o[k] = '\0';
	return k;
}

/* What article_make_standfirst decides, the plain way: the summary is kept unless its squeezed
 * form, less one trailing ellipsis, starts the squeezed body or is the squeezed title. */
static int keeps_summary(const char *summary, const char *body, const char *title)
{
	static const char *const tails[] = {"[\xe2\x80\xa6]", "[...]", "\xe2\x80\xa6", "..."};
	char s[512], b[512], t[512];
	size_t sl, bl, i;

	if (!summary || !*summary || !body || !*body)
		return 0;
	sl = squeezed(summary, s);
	bl = squeezed(body, b);
	for (i = 0; i < 4; i++) {
		size_t n = strlen(tails[i]);

		if (sl >= n && !memcmp(s + sl - n, tails[i], n)) {
			s[sl -= n] = '\0';
			break;
		}
	}
	if (sl == 0 || (bl >= sl && !memcmp(b, s, sl)))
		return 0;
	return !(title && squeezed(title, t) == sl && !memcmp(t, s, sl));
}

static void standfirst_one(const char *summary, const char *body, const char *title)
{
	struct article a;
	int want = keeps_summary(summary, body, title);

	article_init(&a);
	a.summary = summary ? strdup(summary) : NULL;
	a.body = body ? strdup(body) : NULL;
	a.title = title ? strdup(title) : NULL;
	CHECK(article_make_standfirst(&a) == 0, "article_make_standfirst returns 0");
	CHECK(want ? a.standfirst && !strcmp(a.standfirst, summary) : !a.standfirst,
	      "standfirst of summary \"%s\", body \"%s\", title \"%s\": %s, want %s",
	      summary ? summary : "NULL", body ? body : "NULL", title ? title : "NULL",
	      a.standfirst ? a.standfirst : "NULL", want ? "the summary" : "none");
	article_fini(&a);
}

/* The standfirst: a summary that is the body's first bytes as they are (decided without
 * squeezing) and every other kind (whitespace moved, an ellipsis, one byte changed, longer
 * than the body, the title), on fixed and random texts, against the plain way. */
static void test_standfirst(void)
{
	static const char *const words[] = {"a", "bb", "Ccc", " ", "  ", "\n", "\t", "\r\n", ".",
					    "...", "\xe2\x80\xa6", "[", "]", "\xc3\xa9"};
	static const char *const tails[] = {"", "...", " [\xe2\x80\xa6]", "\xe2\x80\xa6", " ", "x"};
	char body[200], summary[260], title[260];
	unsigned seed = 7;
	size_t i, k, n, cut;

	standfirst_one("Hello world", "Hello world, and more", NULL);
	standfirst_one("Hello  world", "Hello world, and more", NULL);
	standfirst_one("Hello world [...]", "Hello world, and more", NULL);
	standfirst_one("Hello word", "Hello world, and more", NULL);
	standfirst_one("Hello world, and more and more", "Hello world, and more", NULL);
	standfirst_one("The title", "Body text", "The  title");
	standfirst_one("The title", "Body text", "Another");
	standfirst_one("Same", "Same", NULL);
	standfirst_one("", "Body", NULL);
	standfirst_one(" ", "Body", NULL);
	standfirst_one("...", "Body", NULL);
	standfirst_one("Summary", NULL, NULL);
	standfirst_one(NULL, "Body", NULL);
	for (i = 0; i < 20000; i++) {
		body[0] = '\0';
		seed = seed * 1103515245u + 12345u;
		n = 1 + (seed >> 16) % 12;
		for (k = 0; k < n; k++) {
			seed = seed * 1103515245u + 12345u;
			strcat(body, words[(seed >> 16) % 14]);
		}
		seed = seed * 1103515245u + 12345u;
		cut = (seed >> 16) % (strlen(body) + 1);
		memcpy(summary, body, cut);
		summary[cut] = '\0';
		seed = seed * 1103515245u + 12345u;
		switch ((seed >> 16) % 4) {
		case 0: /* the body's first bytes as they are */
			break;
		case 1: /* whitespace added at a place */
			memmove(summary + cut / 2 + 1, summary + cut / 2, cut - cut / 2 + 1);
			summary[cut / 2] = (seed >> 20) % 2 ? ' ' : '\n';
			break;
		case 2: /* one byte changed */
			if (cut)
				summary[(seed >> 20) % cut] ^= 1;
			break;
		default: /* longer than the body */
			strcat(summary, "zz");
			break;
		}
		strcat(summary, tails[(seed >> 24) % 6]);
		seed = seed * 1103515245u + 12345u;
		snprintf(title, sizeof title, "%s", (seed >> 16) % 3 ? summary : "t");
		standfirst_one(summary, body, (seed >> 18) % 2 ? title : NULL);
	}
}

/* Inline links are listed once per URL (the hash first, then the string), feed links apart, at
 * most ARTICLE_INLINE_MAX; categories once per term (the first byte first, then the string). */
static void test_lists(void)
{
	struct article a;
	char url[64];
	size_t i, inline_n = 0;

	article_init(&a);
	article_add_link(&a, "https://x.example/a", NULL, NULL, NULL);
	article_add_inline_link(&a, "https://x.example/a", "a feed link does not hide it");
	article_add_inline_link(&a, "https://x.example/b", "b");
	article_add_inline_link(&a, "https://x.example/a", "again");
	article_add_inline_link(&a, "https://x.example/ab", "a longer one");
	article_add_inline_link(&a, "https://x.example/", "a shorter one");
	article_add_inline_link(&a, "https://x.example/b", "b again");
	CHECK(a.n_links == 5, "five links (one feed link, four inline), not %zu", a.n_links);
	CHECK(a.n_links == 5 && !strcmp(a.links[1].text, "a feed link does not hide it") &&
		      !strcmp(a.links[3].url, "https://x.example/ab"),
	      "the first text of each URL is kept, in order");
	for (i = 0; i < ARTICLE_INLINE_MAX + 10; i++) {
		snprintf(url, sizeof url, "https://x.example/p/%zu", i % (ARTICLE_INLINE_MAX + 5));
		article_add_inline_link(&a, url, "t");
	}
	for (i = 0; i < a.n_links; i++)
		inline_n += a.links[i].text != NULL;
	CHECK(inline_n == ARTICLE_INLINE_MAX, "at most %d inline links, not %zu", ARTICLE_INLINE_MAX,
	      inline_n);
	article_add_category(&a, "news");
	article_add_category(&a, "nature");
	article_add_category(&a, "news");
	article_add_category(&a, "News");
	article_add_category(&a, "");
	article_add_category(&a, "nature");
	article_add_category(&a, "n");
	CHECK(a.n_categories == 4 && !strcmp(a.categories[3], "n"),
	      "four categories (news, nature, News, n), not %zu", a.n_categories);
	article_fini(&a);
}

/* article_write_json's dates (the last one written is kept per thread) and id (written as it
 * is when it is 16 hex digits) read back as the Jansson model has them, article after article. */
static void test_json_dates_ids(void)
{
	static const int64_t dates[][3] = {
		{1700000000, 1700000000, 1800000000}, {1700000000, 1700000001, 1800000000},
		{DATE_NONE, 1700000001, 1800000000},  {0, DATE_NONE, 1800000000},
		{1700000000, 0, 253402300799},        {-62135596800, 1700000000, 1800000000},
	};
	static const char *const ids[] = {"0123456789abcdef", "0123456789ABCDEF", "0123456789abcde\"",
					  "", "0123456789abcde", "ffffffffffffffff"};
	struct buf line = BUF_INIT;
	json_error_t je;
	size_t i;

	for (i = 0; i < 3 * 6; i++) {
		struct article a;
		json_t *mine, *ref;
		char *want, *got;

		article_init(&a);
		snprintf(a.id, sizeof a.id, "%s", ids[i % 6]);
		a.published = dates[i % 6][0];
		a.updated = dates[(i / 2) % 6][1];
		a.fetched = dates[i % 6][2];
		buf_reset(&line);
		CHECK(article_write_json(&a, NULL, &line) == 0, "article_write_json returns 0");
		mine = json_loads(buf_cstr(&line), 0, &je);
		ref = article_to_json(&a, NULL);
		want = json_dumps(ref, JSON_COMPACT | JSON_SORT_KEYS);
		got = mine ? json_dumps(mine, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
		CHECK(got && want && !strcmp(got, want), "article %zu (id \"%s\"): %s, want %s", i, a.id,
		      got ? got : buf_cstr(&line), want ? want : "(none)");
		free(want);
		free(got);
		json_decref(mine);
		json_decref(ref);
		article_fini(&a);
	}
	buf_fini(&line);
}

/* str_or(s) for a message; eq whether two fields hold the same (NULL only equals NULL). */
static const char *str_or(const char *s)
{
	return s ? s : "NULL";
}

static int eq(const char *a, const char *b)
{
	return a && b ? !strcmp(a, b) : a == b;
}

/* A link's and an image's strings are one allocation (article_link_fini): every field holds what
 * it was given, NULL or "" or text of any length, and none overlaps another; the inline links of
 * an article dropped one by one (as fulltext.c does) leave the feed links as they were. */
static void test_packed(void)
{
	static const char *const vals[] = {NULL, "", "x", "text/html; charset=utf-8",
					   "a title with \xc3\xa9 and more than sixteen bytes"};
	struct article a;
	size_t i, k, n = 0, nv = sizeof vals / sizeof vals[0];
	char url[64];

	article_init(&a);
	for (i = 0; i < nv * nv * nv; i++) {
		const char *rel = vals[i % nv], *type = vals[i / nv % nv],
			   *title = vals[i / nv / nv];
		const struct link *l;

		snprintf(url, sizeof url, "https://x.example/%zu", i);
		CHECK(article_add_link(&a, url, rel, type, title) == 0, "link %zu added", i);
		l = &a.links[a.n_links - 1];
		CHECK(!strcmp(l->url, url) && eq(l->rel, rel ? (*rel ? rel : NULL) : "alternate") &&
			  eq(l->type, type && *type ? type : NULL) &&
			  eq(l->title, title && *title ? title : NULL) && !l->text,
		      "link %zu: url %s rel %s type %s title %s text %s", i, l->url, str_or(l->rel),
		      str_or(l->type), str_or(l->title), str_or(l->text));
		/* an inline link after each one: its text, "" for none */
		snprintf(url, sizeof url, "https://x.example/in/%zu", i);
		CHECK(article_add_inline_link(&a, url, vals[i % nv]) == 0, "inline link %zu added",
		      i);
		l = &a.links[a.n_links - 1];
		CHECK(!strcmp(l->url, url) && !strcmp(l->rel, "inline") && !l->type && !l->title &&
			  eq(l->text, vals[i % nv] ? vals[i % nv] : ""),
		      "inline link %zu: url %s rel %s text %s", i, l->url, str_or(l->rel),
		      str_or(l->text));
		snprintf(url, sizeof url, "https://x.example/img/%zu.png", i);
		CHECK(article_add_image(&a, url, vals[i % nv]) == 0, "image %zu added", i);
		CHECK(!strcmp(a.images[a.n_images - 1].src, url) &&
			  eq(a.images[a.n_images - 1].alt, vals[i % nv] ? vals[i % nv] : ""),
		      "image %zu: src %s alt %s", i, a.images[a.n_images - 1].src,
		      a.images[a.n_images - 1].alt);
	}
	/* the inline links and the images dropped, the rest kept */
	for (i = k = 0; i < a.n_links; i++) {
		if (a.links[i].text)
			article_link_fini(&a.links[i]);
		else
			a.links[k++] = a.links[i];
	}
	a.n_links = k;
	for (i = 0; i < a.n_images; i++)
		article_image_fini(&a.images[i]);
	a.n_images = 0;
	for (i = 0; i < a.n_links; i++) {
		snprintf(url, sizeof url, "https://x.example/%zu", i);
		n += !strcmp(a.links[i].url, url);
	}
	CHECK(n == nv * nv * nv, "the %zu feed links kept, not %zu", nv * nv * nv, n);
	article_fini(&a);
}

/* Category k of a list whose first is start bytes long: its number, a dash, then a letter up
 * to its length (8 to 650 bytes), all different. */
static void cat_term(char *s, size_t k, size_t start)
{
	size_t n = (start + k * 37) % 643 + 8;

	memset(s, 'a' + (int)(k % 26), n);
	s[snprintf(s, n, "%zu", k)] = '-';
	s[n] = '\0';
}

/* The categories and their strings are one allocation (article_add_category): through every
 * growth of the array (8, 16, 32... pointers) and of the strings' room (256, 512... bytes), or
 * both at once, every category keeps its text; terms of 8 bytes to longer than a whole room, the
 * duplicates skipped (a duplicate after the moves too). The ASan build sees any byte out of place
 * or left behind. */
static void test_category_block(void)
{
	struct article a;
	char term[700], want[700];
	size_t start, i, k, bad = 0;

	for (start = 0; start < 643; start += 61) {
		article_init(&a);
		for (i = 0; i < 70; i++) {
			cat_term(term, i, start);
			CHECK(article_add_category(&a, term) == 0, "category %zu added", i);
			CHECK(article_add_category(&a, term) == 0 && a.n_categories == i + 1,
			      "category %zu added twice counts once (%zu)", i, a.n_categories);
			for (k = 0; k <= i; k++) {
				cat_term(want, k, start);
				if (strcmp(a.categories[k], want) && bad++ < 5)
					CHECK(0, "category %zu of %zu (start %zu): \"%.20s...\" (%zu bytes)", k,
					      i + 1, start, a.categories[k], strlen(a.categories[k]));
			}
		}
		cat_term(term, 3, start);
		CHECK(article_add_category(&a, term) == 0 && a.n_categories == 70,
		      "a duplicate after the moves is skipped");
		article_fini(&a);
		CHECK(!a.categories && !a.n_categories, "article_fini: no categories left");
	}
	CHECK(bad == 0, "category_block: %zu categories read otherwise", bad);
}

int main(void)
{
	test_packed();
	test_category_block();
	test_json_dates_ids();
	test_lists();
	test_standfirst();
	static const struct id_case cases[] = {
		/* canonical URLs: the plain way (no curl) and curl's */
		{"https://www.Example.com/news/a-story/?utm_source=rss#top", NULL, NULL, DATE_NONE,
		 DATE_NONE, "1f7c677fcf33ffdb"},
		{"https://example.com/caf%C3%A9?id=3", "g", "t", DATE_NONE, DATE_NONE, "5fb78e3b0aacb16b"},
		{"http://[::1]:8080/x", NULL, NULL, DATE_NONE, DATE_NONE, "fa2dbe449d43d246"},
		/* no canonical URL: feed URL and guid, or title and date */
		{"/relative/link", "guid-1", NULL, DATE_NONE, DATE_NONE, "64a6b1170b100564"},
		{NULL, "guid-1", "title", 1700000000, DATE_NONE, "64a6b1170b100564"},
		{NULL, NULL, "A title", 1700000000, 1700000100, "367d7f8c233d7477"},
		{NULL, NULL, "A title", DATE_NONE, 1700000100, "c5055bdc2dd11966"},
		{NULL, NULL, NULL, DATE_NONE, DATE_NONE, "45ce77fb41fbe81c"},
		{"mailto:x@example.com", "", "t", DATE_NONE, DATE_NONE, "266d909613830709"},
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		one(&cases[i]);
	return check_exit();
}
