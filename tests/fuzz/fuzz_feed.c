/* SPDX-License-Identifier: MIT */
/* Fuzz target: the feed normalizer (src/parse/feed.c and what it drives: charset detection and
 * conversion, the XML and JSON Feed readers, HTML to text, dates, URLs, identity), pushed in
 * chunks of sizes taken from the input; each article is then written as the spool writes it.
 *
 * Input: 4 option bytes, then the document.
 *   byte 0     the HTTP Content-Type, an index into content_types (modulo its length)
 *   byte 1     bits 0-1: max_field (default, 16, 1000, default); bit 2: a base URL or none;
 *              bit 3: max_bytes of 4096 instead of the default
 *   bytes 2-3  the seed of the chunk sizes (one push, byte by byte, or random sizes up to 3,
 *              16, 256, 1024, 4096 or 65536 bytes)
 * Invariants checked: every string of an article is valid UTF-8, the id is 16 hex digits, the
 * fast JSON writer gives valid JSON equal to the Jansson model's. */
#include "autoconfig.h"

#include <jansson.h>
#include <string.h>

#include "article.h"
#include "charset.h"
#include "feed.h"
#include "fuzz.h"

static const char *const content_types[] = {
    NULL,
    "application/rss+xml",
    "text/xml; charset=iso-8859-1",
    "application/atom+xml; charset=\"windows-1251\"",
    "text/html; charset=utf-16",
    "application/json",
    "text/xml; charset=shift_jis",
    "application/xml; charset=UTF-32BE",
    "text/plain; charset=no-such-encoding",
    "application/feed+json; charset=utf-8",
};

static void valid(const char *what, const char *s)
{
	if (s)
		FUZZ_ASSERT(utf8_valid(s, strlen(s)), "%s is not UTF-8", what);
}

static void valid_persons(const struct person *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		valid("person name", v[i].name);
		valid("person email", v[i].email);
		valid("person uri", v[i].uri);
	}
}

static int on_article(void *ud, struct article *a, const struct feed_info *f)
{
	struct buf line = BUF_INIT, text = BUF_INIT;
	json_t *feed, *model, *mine;
	json_error_t je;
	char *feed_text;
	size_t i;

	(void)ud;
	FUZZ_ASSERT(strlen(a->id) == 16 && strspn(a->id, "0123456789abcdef") == 16, "id '%s'",
		    a->id);
	valid("url", a->url);
	valid("guid", a->guid);
	valid("title", a->title);
	valid("standfirst", a->standfirst);
	valid("summary", a->summary);
	valid("body", a->body);
	valid("language", a->language);
	valid_persons(a->authors, a->n_authors);
	for (i = 0; i < a->n_categories; i++)
		valid("category", a->categories[i]);
	for (i = 0; i < a->n_links; i++) {
		valid("link url", a->links[i].url);
		valid("link rel", a->links[i].rel);
		valid("link type", a->links[i].type);
		valid("link title", a->links[i].title);
	}
	for (i = 0; i < a->n_enclosures; i++) {
		valid("enclosure url", a->enclosures[i].url);
		valid("enclosure type", a->enclosures[i].type);
	}
	valid("feed title", f->title);
	valid("feed link", f->link);
	valid("feed language", f->language);
	valid("feed subtitle", f->subtitle);
	valid_persons(f->authors, f->n_authors);

	/* the spool's two writers agree */
	feed = feed_info_to_json(f);
	FUZZ_ASSERT(feed != NULL, "feed_info_to_json");
	feed_text = json_dumps(feed, JSON_COMPACT);
	FUZZ_ASSERT(feed_text != NULL, "json_dumps of the feed");
	FUZZ_ASSERT(article_write_json(a, feed_text, &line) == 0, "article_write_json");
	mine = json_loads(buf_cstr(&line), 0, &je);
	FUZZ_ASSERT(mine != NULL, "article_write_json gives invalid JSON (%s): %s", je.text,
		    buf_cstr(&line));
	model = article_to_json(a, feed);
	FUZZ_ASSERT(model != NULL, "article_to_json");
	FUZZ_ASSERT(json_equal(mine, model), "the JSON writers disagree: %s", buf_cstr(&line));
	FUZZ_ASSERT(article_render_text(a, &text) == 0, "article_render_text");
	FUZZ_ASSERT(utf8_valid(text.data, text.len), "the text rendering is not UTF-8");
	json_decref(mine);
	json_decref(model);
	json_decref(feed);
	free(feed_text);
	buf_fini(&line);
	buf_fini(&text);
	return 0;
}

static uint32_t next(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t limits[] = {0, 1, 3, 16, 256, 1024, 4096, 65536};
	static const size_t fields[] = {0, 16, 1000, 0};
	struct feed_parser_opts o = {0};
	struct feed_parser *p;
	const char *doc;
	size_t len, off, limit, n;
	uint32_t seed;

	if (size < 4)
		return 0;
	o.name = "fuzz";
	o.content_type = content_types[data[0] % (sizeof content_types / sizeof *content_types)];
	o.max_field = fields[data[1] & 3];
	o.url = data[1] & 4 ? "https://example.org/dir/feed.xml" : NULL;
	o.max_bytes = data[1] & 8 ? 4096 : 0;
	o.fetched = 1700000000;
	seed = ((uint32_t)data[2] << 8 | data[3]) * 2654435761u | 1;
	limit = limits[next(&seed) % (sizeof limits / sizeof *limits)];
	doc = (const char *)data + 4;
	len = size - 4;

	p = feed_parser_new(&o, on_article, NULL);
	FUZZ_ASSERT(p != NULL, "feed_parser_new");
	for (off = 0; off < len; off += n) {
		n = limit ? 1 + next(&seed) % limit : len;
		if (n > len - off)
			n = len - off;
		if (feed_parser_push(p, doc + off, n) < 0)
			break;
	}
	if (feed_parser_finish(p) < 0)
		FUZZ_ASSERT(feed_parser_error(p, NULL) != NULL, "a failed parse without an error");
	valid("feed title", feed_parser_info(p)->title);
	feed_parser_free(p);
	return 0;
}
