/* SPDX-License-Identifier: MIT */
/* The streaming normalizer (src/parse/feed.c, feed_xml.c, jsonfeed.c): vocabulary, links, identity,
 * broken and hostile documents, caps. */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "date.h"
#include "feed.h"
#include "feed_xml.h"
#include "feed_xml_impl.h"
#include "xml_fix.h"

#define MAX 16

struct result {
	struct article v[MAX];
	int n;
	int rc;
	char error[512];
	long line;
	char feed_title[256], feed_link[256], feed_lang[32];
	char warning[256];
	long warning_line;
};

/* Keeps a deep copy of the fields the tests look at. */
static int keep(void *ud, struct article *a, const struct feed_info *f)
{
	struct result *r = ud;
	struct article *c;
	size_t i;

	if (r->n >= MAX)
		return 0;
	c = &r->v[r->n++];
	*c = *a;
	/* take the strings over from the parser (the callback may) */
	a->url = a->guid = a->title = a->standfirst = a->summary = a->body = a->language = NULL;
	a->content_html = NULL;
	a->images = NULL;
	a->n_images = 0;
	c->authors = NULL;
	c->n_authors = 0;
	for (i = 0; i < a->n_authors; i++)
		person_list_add(&c->authors, &c->n_authors, a->authors[i].name, a->authors[i].email,
				a->authors[i].uri);
	c->categories = NULL;
	c->n_categories = 0;
	for (i = 0; i < a->n_categories; i++)
		article_add_category(c, a->categories[i]);
	c->links = NULL;
	c->n_links = 0;
	for (i = 0; i < a->n_links; i++)
		article_add_link(c, a->links[i].url, a->links[i].rel, a->links[i].type,
				 a->links[i].title);
	c->enclosures = NULL;
	c->n_enclosures = 0;
	for (i = 0; i < a->n_enclosures; i++)
		article_add_enclosure(c, a->enclosures[i].url, a->enclosures[i].type,
				      a->enclosures[i].length);
	return 0;
}

static void result_free(struct result *r)
{
	int i;

	for (i = 0; i < r->n; i++)
		article_fini(&r->v[i]);
	memset(r, 0, sizeof *r);
}

static void parse_opts(const char *doc, size_t len, const struct feed_parser_opts *o,
		       size_t chunk, struct result *r)
{
	struct feed_parser *p;
	const struct feed_info *fi;
	const char *e;
	size_t off;

	memset(r, 0, sizeof *r);
	p = feed_parser_new(o, keep, r);
	for (off = 0; off < len; off += chunk)
		if (feed_parser_push(p, doc + off, len - off > chunk ? chunk : len - off) < 0)
			break;
	r->rc = feed_parser_finish(p);
	e = feed_parser_error(p, &r->line);
	snprintf(r->error, sizeof r->error, "%s", e ? e : "");
	e = feed_parser_first_warning(p, &r->warning_line);
	snprintf(r->warning, sizeof r->warning, "%s", e ? e : "");
	fi = feed_parser_info(p);
	snprintf(r->feed_title, sizeof r->feed_title, "%s", fi->title ? fi->title : "");
	snprintf(r->feed_link, sizeof r->feed_link, "%s", fi->link ? fi->link : "");
	snprintf(r->feed_lang, sizeof r->feed_lang, "%s", fi->language ? fi->language : "");
	feed_parser_free(p);
}

static void parse(const char *doc, const char *url, struct result *r)
{
	struct feed_parser_opts o = {0};

	o.url = url;
	parse_opts(doc, strlen(doc), &o, 1 << 16, r);
}

static const char *s(const char *v)
{
	return v ? v : "(null)";
}

static void test_rss2(void)
{
	static const char doc[] =
		"<?xml version=\"1.0\"?>\n"
		"<rss version=\"2.0\"><channel><title>Chan &amp; co</title><link>/home</link>\n"
		"<language>en-us</language><image><title>NOT THIS</title><link>/img</link></image>\n"
		"<item><title>First &eacute;t&eacute;</title><link>/a/1?x=1&amp;y=2</link>\n"
		"<guid isPermaLink=\"false\">id-1</guid><author>joe@example.com (Joe Bloggs)</author>\n"
		"<category>One</category><category>Two</category>\n"
		"<enclosure url=\"/e.mp3\" length=\"1234\" type=\"audio/mpeg\"/>\n"
		"<pubDate>Tue, 10 Jun 2003 04:00:00 GMT</pubDate>\n"
		"<description>&lt;p&gt;Hello &lt;b&gt;world&lt;/b&gt;&lt;/p&gt;</description></item>\n"
		"<item><guid>https://example.org/permalink</guid><title>Second</title></item>\n"
		"</channel></rss>\n";
	struct result r;
	char d[DATE_BUFSZ] = "";

	parse(doc, "https://example.org/feed.xml", &r);
	CHECK(r.rc == 0, "rss2: parses cleanly, got %s", r.error);
	CHECK(r.n == 2, "rss2: two items, got %d", r.n);
	CHECK_STR(r.feed_title, "Chan & co", "rss2: the channel title, not the image's");
	CHECK_STR(r.feed_link, "https://example.org/home", "rss2: channel link made absolute");
	CHECK_STR(r.feed_lang, "en-us", "rss2: channel language");
	if (r.n < 2)
		goto out;
	CHECK_STR(r.v[0].title, "First \xc3\xa9t\xc3\xa9", "rss2: HTML entities in XML are decoded");
	CHECK_STR(r.v[0].url, "https://example.org/a/1?x=1&y=2", "rss2: relative link resolved");
	CHECK_STR(r.v[0].guid, "id-1", "rss2: guid as published");
	CHECK(r.v[0].n_authors == 1, "rss2: one author, got %zu", r.v[0].n_authors);
	if (r.v[0].n_authors) {
		CHECK_STR(r.v[0].authors[0].name, "Joe Bloggs", "rss2: author name from 'email (Name)'");
		CHECK_STR(r.v[0].authors[0].email, "joe@example.com", "rss2: author email");
	}
	CHECK(r.v[0].n_categories == 2 && !strcmp(r.v[0].categories[1], "Two"),
	      "rss2: categories in order");
	CHECK(r.v[0].n_enclosures == 1 && r.v[0].enclosures[0].length == 1234 &&
		      !strcmp(r.v[0].enclosures[0].url, "https://example.org/e.mp3"),
	      "rss2: enclosure with absolute url and length");
	date_format(r.v[0].published, d, sizeof d);
	CHECK_STR(d, "2003-06-10T04:00:00Z", "rss2: pubDate in UTC");
	CHECK_STR(r.v[0].language, "en-us", "rss2: the item inherits the channel language");
	CHECK(r.v[0].body && strstr(r.v[0].body, "Hello world"), "rss2: body from description: %s",
	      s(r.v[0].body));
	CHECK(strlen(r.v[0].id) == 16, "rss2: the id is 16 hex digits");
	CHECK_STR(r.v[1].url, "https://example.org/permalink", "rss2: a permalink guid is the link");
out:
	result_free(&r);
}

static void test_atom(void)
{
	static const char doc[] =
		"<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:base=\"http://example.com/blog/\" "
		"xml:lang=\"de\">\n"
		"<title type=\"html\">A &lt;em&gt;fine&lt;/em&gt; feed</title>\n"
		"<link href=\"/\"/><link rel=\"self\" href=\"feed.atom\"/>\n"
		"<entry xml:base=\"2024/\"><title>Entry</title>\n"
		"<link rel=\"alternate\" type=\"text/html\" href=\"post.html\"/>\n"
		"<link rel=\"enclosure\" type=\"audio/ogg\" length=\"99\" href=\"a.ogg\"/>\n"
		"<id>urn:uuid:1</id><updated>2024-02-29T12:00:00+01:00</updated>\n"
		"<author><name>Ann</name><email>ann@example.com</email><uri>/ann</uri></author>\n"
		"<category term=\"tech\"/><summary>Short.</summary>\n"
		"<content type=\"xhtml\"><div xmlns=\"http://www.w3.org/1999/xhtml\"><p>One &amp; "
		"<b>two</b></p><p>Three &lt;tag&gt;</p></div></content>\n"
		"<source><title>NOT THIS</title><author><name>NOT HIM</name></author></source>\n"
		"</entry></feed>";
	struct result r;
	char d[DATE_BUFSZ] = "";

	parse(doc, NULL, &r);
	CHECK(r.rc == 0, "atom: parses cleanly, got %s", r.error);
	CHECK(r.n == 1, "atom: one entry, got %d", r.n);
	CHECK_STR(r.feed_title, "A fine feed", "atom: html title flattened");
	CHECK_STR(r.feed_link, "http://example.com/", "atom: feed link against xml:base");
	CHECK_STR(r.feed_lang, "de", "atom: feed language from xml:lang");
	if (!r.n)
		goto out;
	CHECK_STR(r.v[0].url, "http://example.com/blog/2024/post.html", "atom: nested xml:base");
	CHECK_STR(r.v[0].guid, "urn:uuid:1", "atom: id is the guid");
	CHECK(r.v[0].n_authors == 1, "atom: the source's author is not the entry's (%zu)",
	      r.v[0].n_authors);
	if (r.v[0].n_authors) {
		CHECK_STR(r.v[0].authors[0].name, "Ann", "atom: author name");
		CHECK_STR(r.v[0].authors[0].email, "ann@example.com", "atom: author email");
		CHECK_STR(r.v[0].authors[0].uri, "http://example.com/ann", "atom: author uri made absolute");
	}
	CHECK(r.v[0].n_enclosures == 1 &&
		      !strcmp(r.v[0].enclosures[0].url, "http://example.com/blog/2024/a.ogg"),
	      "atom: rel=enclosure link");
	CHECK(r.v[0].n_categories == 1 && !strcmp(r.v[0].categories[0], "tech"), "atom: term");
	date_format(r.v[0].updated, d, sizeof d);
	CHECK_STR(d, "2024-02-29T11:00:00Z", "atom: updated in UTC");
	CHECK(r.v[0].published == DATE_NONE, "atom: no published date invented");
	CHECK(r.v[0].body && strstr(r.v[0].body, "One & two") && strstr(r.v[0].body, "Three <tag>"),
	      "atom: xhtml content keeps its text, entities as text: %s", s(r.v[0].body));
	CHECK_STR(r.v[0].standfirst, "Short.", "atom: a summary that is not the body's start");
	CHECK_STR(r.v[0].language, "de", "atom: language inherited from xml:lang");
out:
	result_free(&r);
}

static void test_rdf_and_prefixes(void)
{
	static const char doc[] =
		"\n\n  <?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
		"<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" "
		"xmlns=\"http://purl.org/rss/1.0/\">\n"
		"<channel rdf:about=\"http://x/\"><title>R</title></channel>\n"
		"<item rdf:about=\"http://x/1\"><title>One</title><dc:creator>Undeclared "
		"Prefix</dc:creator><dc:date>2002-09-29T23:40:06-05:00</dc:date></item>\n"
		"</rdf:RDF>";
	struct result r;
	char d[DATE_BUFSZ] = "";

	parse(doc, NULL, &r);
	CHECK(r.rc == 0, "rdf: blank lines before the declaration are fine, got %s", r.error);
	CHECK(r.n == 1, "rdf: one item, got %d", r.n);
	if (!r.n)
		goto out;
	CHECK_STR(r.v[0].guid, "http://x/1", "rdf: rdf:about is the guid");
	CHECK_STR(r.v[0].url, "http://x/1", "rdf: and the link when there is none");
	CHECK(r.v[0].n_authors == 1 && !strcmp(s(r.v[0].authors[0].name), "Undeclared Prefix"),
	      "rdf: an undeclared dc: prefix still means Dublin Core");
	date_format(r.v[0].published, d, sizeof d);
	CHECK_STR(d, "2002-09-30T04:40:06Z", "rdf: dc:date");
out:
	result_free(&r);
}

static void test_broken(void)
{
	static const char doc[] = "<rss><channel>\n<item><title>kept</title></item>\n"
				  "<item><title>also kept</title></item>\n"
				  "<item><title>broken <b></title></item>\n<item><title>after";
	struct result r;

	parse(doc, NULL, &r);
	CHECK(r.rc < 0, "broken: the document is reported as failed");
	CHECK(r.n >= 2 && !strcmp(s(r.v[0].title), "kept") && !strcmp(s(r.v[1].title), "also kept"),
	      "broken: the items before the damage are delivered (%d)", r.n);
	CHECK(r.line >= 4 && r.error[0], "broken: the error names a line (%ld: %s)", r.line, r.error);
	result_free(&r);

	parse("<html><body><p>not a feed</p></body></html>", NULL, &r);
	CHECK(r.rc < 0 && strstr(r.error, "not a feed"), "html page: 'not a feed', got '%s'", r.error);
	result_free(&r);

	parse("", NULL, &r);
	CHECK(r.rc < 0 && strstr(r.error, "empty"), "empty document: 'empty', got '%s'", r.error);
	result_free(&r);

	/* HTML's uppercase hex character references, split across pushes too */
	{
		static const char upper[] = "<rss><channel><item><title>&#X41;&#x42;</title></item></channel></rss>";
		struct feed_parser_opts o = {0};

		parse_opts(upper, strlen(upper), &o, 1, &r);
		CHECK(r.rc == 0 && r.n == 1 && !strcmp(s(r.v[0].title), "AB"),
		      "&#X41; is read as &#x41; (%s, %s)", r.n ? s(r.v[0].title) : "-", r.error);
		result_free(&r);
	}

	parse("<html><body><feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><title>wrapped</title>"
	      "</entry></feed></body></html>",
	      NULL, &r);
	CHECK(r.rc == 0 && r.n == 1, "a feed wrapped in a page is read (%d, %s)", r.n, r.error);
	result_free(&r);
}

static void test_hostile(void)
{
	static const char laughs[] =
		"<?xml version=\"1.0\"?><!DOCTYPE rss [<!ENTITY a \"aaaaaaaaaaaaaaaaaaaa\">"
		"<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">"
		"<!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\"><!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\">"
		"<!ENTITY f \"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\"><!ENTITY g \"&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;\">"
		"<!ENTITY h \"&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;\"><!ENTITY i \"&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;\">]>\n"
		"<rss><channel><item><title>before</title></item>\n<item><title>&i;</title></item>"
		"</channel></rss>";
	struct result r;
	struct buf quad = BUF_INIT;
	char secret[] = "/tmp/feedspool-xxe-XXXXXX", doc[1024];
	clock_t t0;
	int fd, i;

	t0 = clock();
	parse(laughs, NULL, &r);
	CHECK(r.rc < 0 && r.error[0], "billion laughs: refused with an error ('%s')", r.error);
	CHECK(r.n >= 1 && !strcmp(s(r.v[0].title), "before"), "billion laughs: earlier item kept");
	CHECK(r.n < 2 || !r.v[1].title || strlen(r.v[1].title) < 100000,
	      "billion laughs: nothing expanded");
	result_free(&r);

	/* quadratic blowup: one big entity referenced many times */
	buf_puts(&quad, "<!DOCTYPE rss [<!ENTITY a \"");
	for (i = 0; i < 20000; i++)
		buf_puts(&quad, "xxxx");
	buf_puts(&quad, "\">]><rss><channel><item><title>t</title><description>");
	for (i = 0; i < 20000; i++)
		buf_puts(&quad, "&a;");
	buf_puts(&quad, "</description></item></channel></rss>");
	parse(quad.data, NULL, &r);
	CHECK(r.rc < 0 && r.error[0], "quadratic blowup: refused with an error ('%s')", r.error);
	result_free(&r);
	buf_fini(&quad);
	CHECK((double)(clock() - t0) / CLOCKS_PER_SEC < 5.0, "expansion attacks end quickly");

	/* XXE: an external entity naming a local file reads nothing */
	fd = mkstemp(secret);
	CHECK(fd >= 0, "mkstemp");
	if (fd >= 0) {
		CHECK(write(fd, "TOPSECRET", 9) == 9, "write");
		close(fd);
	}
	snprintf(doc, sizeof doc,
		 "<?xml version=\"1.0\"?><!DOCTYPE rss [<!ENTITY x SYSTEM \"file://%s\">"
		 "<!ENTITY %% p SYSTEM \"file://%s\"> %%p;]>"
		 "<rss><channel><item><title>t&x;</title><description>&x;</description></item>"
		 "</channel></rss>",
		 secret, secret);
	parse(doc, NULL, &r);
	CHECK(r.n == 0 || !strstr(s(r.v[0].title), "TOPSECRET"), "xxe: the file is never read");
	CHECK(r.n == 0 || !r.v[0].body || !strstr(r.v[0].body, "TOPSECRET"), "xxe: not in the body");
	CHECK(strstr(r.error, "external entity"), "xxe: reported as an error: '%s'", r.error);
	result_free(&r);
	unlink(secret);

	/* deep nesting stops with an error, no crash */
	{
		struct buf deep = BUF_INIT;

		buf_puts(&deep, "<rss><channel><item><title>ok</title></item>");
		for (i = 0; i < 100000; i++)
			buf_puts(&deep, "<x>");
		parse(deep.data, NULL, &r);
		CHECK(r.rc < 0 && r.n == 1, "deep nesting: error, the item before kept (%d, %s)", r.n,
		      r.error);
		result_free(&r);
		buf_fini(&deep);
	}
}

static void test_caps(void)
{
	struct feed_parser_opts o = {0};
	struct result r;
	struct buf doc = BUF_INIT;
	int i;

	buf_puts(&doc, "<rss><channel><item><title>");
	for (i = 0; i < 10000; i++)
		buf_puts(&doc, "long ");
	buf_puts(&doc, "</title></item></channel></rss>");
	o.max_field = 1000;
	parse_opts(doc.data, doc.len, &o, 4096, &r);
	CHECK(r.n == 1 && r.v[0].title && strlen(r.v[0].title) <= 1000,
	      "max_field: a long title is cut at the cap (%zu)", r.n ? strlen(s(r.v[0].title)) : 0);
	result_free(&r);

	o.max_field = 0;
	o.max_bytes = 20000;
	parse_opts(doc.data, doc.len, &o, 4096, &r);
	CHECK(r.rc < 0 && strstr(r.error, "larger than"), "max_bytes: refused (%d, %s)", r.rc,
	      r.error);
	result_free(&r);
	buf_fini(&doc);
}

static void test_jsonfeed(void)
{
	static const char doc[] =
		"\xef\xbb\xbf{\"version\": \"https://jsonfeed.org/version/1.1\", \"title\": \"J\",\n"
		"\"home_page_url\": \"https://j.example/\", \"authors\": [{\"name\": \"Feed Author\"}],\n"
		"\"items\": [{\"id\": \"1\", \"url\": \"/p/1\", \"title\": \"One\",\n"
		"  \"content_html\": \"<p>Para one</p><p>Para two</p>\", \"tags\": [\"a\", \"b\"],\n"
		"  \"date_published\": \"2020-01-02T03:04:05Z\",\n"
		"  \"attachments\": [{\"url\": \"/f.mp3\", \"mime_type\": \"audio/mpeg\", "
		"\"size_in_bytes\": 7}]},\n"
		" {\"id\": 2, \"content_text\": \"Plain\", \"authors\": [{\"name\": \"Own\"}]}]}";
	struct result r;

	parse(doc, NULL, &r);
	CHECK(r.rc == 0 && r.n == 2, "json feed: two items (%d, %s)", r.n, r.error);
	CHECK_STR(r.feed_title, "J", "json feed: title");
	if (r.n == 2) {
		CHECK_STR(r.v[0].url, "https://j.example/p/1", "json feed: url against home_page_url");
		CHECK(r.v[0].body && !strcmp(r.v[0].body, "Para one\nPara two"),
		      "json feed: content_html to blocks: %s", s(r.v[0].body));
		CHECK(r.v[0].n_categories == 2, "json feed: tags");
		CHECK(r.v[0].n_enclosures == 1 && r.v[0].enclosures[0].length == 7, "json feed: attachment");
		CHECK(r.v[0].n_authors == 1 && !strcmp(s(r.v[0].authors[0].name), "Feed Author"),
		      "json feed: the feed's author by default");
		CHECK_STR(r.v[1].guid, "2", "json feed: a numeric id");
		CHECK(r.v[1].n_authors == 1 && !strcmp(s(r.v[1].authors[0].name), "Own"),
		      "json feed: the item's own author");
	}
	result_free(&r);

	parse("{\"version\": \"https://jsonfeed.org/version/1\", \"items\": [", NULL, &r);
	CHECK(r.rc < 0 && strstr(r.error, "invalid JSON"), "json feed: truncated ('%s')", r.error);
	result_free(&r);
}

static void test_identity(void)
{
	struct article a;
	struct buf k = BUF_INIT;

	article_init(&a);
	a.url = strdup("HTTPS://Example.COM:443/x?utm_source=a&id=3&fbclid=z#frag");
	article_identity_key(&a, "https://feed/", &k);
	CHECK_STR(buf_cstr(&k), "http://example.com/x?id=3", "identity: the canonical url");
	buf_reset(&k);
	free(a.url);
	a.url = NULL;
	a.guid = strdup("g-1");
	article_identity_key(&a, "https://feed/", &k);
	CHECK_STR(buf_cstr(&k), "https://feed/\ng-1", "identity: feed url and guid");
	article_make_id(&a, "https://feed/");
	CHECK(strlen(a.id) == 16 && strspn(a.id, "0123456789abcdef") == 16, "id is 16 hex digits");
	buf_fini(&k);
	article_fini(&a);
}

/* The fast JSON writer and the Jansson model agree, escapes included. */
static void test_json_writers(void)
{
	struct article a;
	struct buf line = BUF_INIT;
	json_t *mine, *ref, *feed = json_pack("{s:s}", "title", "F \"q\"");
	json_error_t je;
	char *feed_text = json_dumps(feed, JSON_COMPACT);

	article_init(&a);
	strcpy(a.id, "0123456789abcdef");
	a.title = strdup("quote \" backslash \\ tab \t nl \n ctl \x01 nbsp \xc2\xa0 emoji \xf0\x9f\x98\x80");
	a.body = strdup("line one\nline two");
	a.published = 1700000000;
	person_list_add(&a.authors, &a.n_authors, "Ann", NULL, "https://a/");
	article_add_category(&a, "c/1");
	article_add_link(&a, "https://x/", "alternate", "text/html", NULL);
	article_add_enclosure(&a, "https://x/e.mp3", "audio/mpeg", 42);
	article_add_enclosure(&a, "https://x/f.mp3", NULL, -1);
	{
		const char *m[] = {"DGX Spark", "GB10"};

		article_add_topic(&a, "dgx-spark", 7.5, m, 2);
		article_add_tag(&a, "hardware");
	}
	article_write_json(&a, feed_text, &line);
	mine = json_loads(buf_cstr(&line), 0, &je);
	ref = article_to_json(&a, feed);
	CHECK(mine != NULL, "article_write_json gives valid JSON: %s in %s", je.text, buf_cstr(&line));
	CHECK(mine && json_equal(mine, ref), "both writers agree: %s", buf_cstr(&line));
	/* a first version has no "revision" at all: outputs from before revisions stay the same */
	CHECK(mine && !json_object_get(mine, "revision") && !json_object_get(ref, "revision") &&
		  !strstr(buf_cstr(&line), "\"revision\""),
	      "a first version carries no revision: %s", buf_cstr(&line));
	json_decref(mine);
	json_decref(ref);

	/* a revision: both writers put "revision": n right after the id */
	a.revision = 3;
	buf_reset(&line);
	article_write_json(&a, feed_text, &line);
	mine = json_loads(buf_cstr(&line), 0, &je);
	ref = article_to_json(&a, feed);
	CHECK(mine != NULL, "revision 3: article_write_json gives valid JSON: %s in %s", je.text,
	      buf_cstr(&line));
	CHECK(mine && json_equal(mine, ref), "revision 3: both writers agree: %s", buf_cstr(&line));
	CHECK(mine && json_integer_value(json_object_get(mine, "revision")) == 3,
	      "revision 3: \"revision\": 3 in %s", buf_cstr(&line));
	CHECK(!strncmp(buf_cstr(&line), "{\"schema\":1,\"id\":\"0123456789abcdef\",\"revision\":3,",
		       strlen("{\"schema\":1,\"id\":\"0123456789abcdef\",\"revision\":3,")),
	      "revision 3: the revision follows the id: %s", buf_cstr(&line));
	{
		char *dumped = json_dumps(ref, JSON_COMPACT);

		CHECK(dumped && !strcmp(dumped, buf_cstr(&line)),
		      "revision 3: Jansson's text is the fast writer's, byte for byte:\n  %s\n  %s",
		      dumped ? dumped : "(null)", buf_cstr(&line));
		free(dumped);
	}
	json_decref(mine);
	json_decref(ref);
	json_decref(feed);
	free(feed_text);
	buf_fini(&line);
	article_fini(&a);
}

/* The known pre-check: asked with the identity before the text is made; a known item is
 * counted but never reaches the article callback. */
struct known_log {
	int asked;
	char id[17], title[64];
	int had_text;
};

static int known_g2(void *ud, const struct article *a)
{
	struct known_log *k = ud;

	k->asked++;
	if (!a->guid || strcmp(a->guid, "g2") != 0)
		return 0;
	memcpy(k->id, a->id, sizeof k->id);
	snprintf(k->title, sizeof k->title, "%s", s(a->title));
	k->had_text = a->body != NULL || a->summary != NULL;
	return 1;
}

static void test_known(void)
{
	static const char doc[] =
	    "<rss version=\"2.0\"><channel><title>K</title>"
	    "<item><title>One</title><link>https://k.example/1?utm_source=x</link><guid>g1</guid>"
	    "<description>&lt;p&gt;first&lt;/p&gt;</description></item>"
	    "<item><title>Two</title><link>https://k.example/2</link><guid>g2</guid>"
	    "<description>&lt;p&gt;second&lt;/p&gt;</description></item>"
	    "<item><title>Three</title><guid>g3</guid><description>third</description></item>"
	    "</channel></rss>";
	struct feed_parser_opts o = {0};
	struct known_log k = {0};
	struct result all, r;
	struct feed_parser *p;

	o.url = "https://k.example/feed";
	parse_opts(doc, strlen(doc), &o, 1 << 16, &all);
	o.known = known_g2;
	o.known_ud = &k;
	memset(&r, 0, sizeof r);
	p = feed_parser_new(&o, keep, &r);
	CHECK(feed_parser_push(p, doc, strlen(doc)) == 0, "known: push");
	CHECK(feed_parser_finish(p) == 0, "known: finish");
	CHECK(k.asked == 3, "known: asked once per item (%d)", k.asked);
	CHECK(feed_parser_count(p) == 3, "known: the known item still counts (%zu)",
	      feed_parser_count(p));
	CHECK(r.n == 2, "known: the callback has the other two (%d)", r.n);
	CHECK(all.n == 3 && r.n == 2 && strcmp(r.v[0].id, all.v[0].id) == 0 &&
		  strcmp(r.v[1].id, all.v[2].id) == 0,
	      "known: the others are what a plain parse gives");
	CHECK(all.n == 3 && strcmp(k.id, all.v[1].id) == 0, "known: asked with the final id");
	CHECK_STR(k.title, "Two", "known: asked with the title");
	CHECK(!k.had_text, "known: asked before the text is made");
	CHECK(r.n == 2 && r.v[0].body && strcmp(r.v[0].body, "first") == 0,
	      "known: an unknown item gets its text (%s)", r.n ? s(r.v[0].body) : "-");
	feed_parser_free(p);
	result_free(&r);
	result_free(&all);
}


/* Parses doc in chunks of every size in sizes[], checking the same thing each time. */
static void parse_chunked(const char *doc, size_t chunk, struct result *r)
{
	struct feed_parser_opts o = {0};

	o.url = "http://example.org/feed";
	parse_opts(doc, strlen(doc), &o, chunk, r);
}

/* Bare '&' in links, guids and text is kept as text, in any chunking; CDATA and comments are
 * left alone; real references still work. */
static void test_bare_ampersands(void)
{
	static const char doc[] =
		"<rss version=\"2.0\"><channel><title>A & B</title>"
		"<link>http://example/?a=1&b=2&c</link>\n"
		"<item><title>Tom & Jerry &copy; &nosuch; &#169;&#xA9;&#XA9; &amp;x</title>"
		"<link>http://example/?a=1&b=2&c</link><guid>http://example/g?x=1&y</guid>"
		"<!-- a & b --><description><![CDATA[<p>x &amp; y & z</p>]]></description>"
		"<category>R&D</category></item></channel></rss>";
	static const size_t chunks[] = {1, 2, 3, 5, 9, 64, 1 << 16};
	struct result r;
	size_t i;

	for (i = 0; i < sizeof chunks / sizeof *chunks; i++) {
		parse_chunked(doc, chunks[i], &r);
		CHECK(r.n == 1, "bare &, chunks of %zu: one item, got %d (%s)", chunks[i], r.n, r.error);
		CHECK_STR(r.feed_link, "http://example/?a=1&b=2&c", "bare & in the channel link (chunk %zu)",
			  chunks[i]);
		CHECK_STR(r.feed_title, "A & B", "bare & in the channel title (chunk %zu)", chunks[i]);
		if (r.n == 1) {
			CHECK_STR(r.v[0].url, "http://example/?a=1&b=2&c", "bare & in a link (chunk %zu)",
				  chunks[i]);
			CHECK_STR(r.v[0].guid, "http://example/g?x=1&y", "bare & in a guid (chunk %zu)",
				  chunks[i]);
			CHECK_STR(r.v[0].title, "Tom & Jerry \xc2\xa9 &nosuch; \xc2\xa9\xc2\xa9\xc2\xa9 &x",
				  "bare & and references in text (chunk %zu)", chunks[i]);
			CHECK_STR(r.v[0].body, "x & y & z", "CDATA untouched (chunk %zu)", chunks[i]);
			CHECK(r.v[0].n_categories == 1 && !strcmp(r.v[0].categories[0], "R&D"),
			      "bare & in a category (chunk %zu)", chunks[i]);
		}
		result_free(&r);
	}
}

/* A '<' that starts no markup (a comparison, an e-mail address in brackets) is text, as feed
 * readers read it: libxml2 gave up there (every later item lost) or, recovering, put one
 * item's link in another. */
static void test_bare_lt(void)
{
	static const char doc[] =
		"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>c</title>"
		"<item><title>a < b and 1<2</title><author>Jane <jane@example.com></author>"
		"<link>http://e.example/1</link></item>"
		"<item><title>Two</title><link>http://e.example/2</link></item></channel></rss>";
	struct feed_parser_opts o = {0};
	struct result r;

	for (size_t chunk = 1; chunk <= 1 << 16; chunk = chunk < 8 ? chunk + 1 : chunk << 4) {
		parse_opts(doc, strlen(doc), &o, chunk, &r);
		CHECK(r.n == 2 && r.rc == 0, "chunks of %zu: both items, no error (%d items, %s)",
		      chunk, r.n, r.error);
		if (r.n == 2) {
			CHECK_STR(r.v[0].title, "a < b and 1<2", "chunks of %zu: the title as written",
				  chunk);
			CHECK_STR(s(r.v[0].url), "http://e.example/1", "chunks of %zu: its own link",
				  chunk);
			CHECK(r.v[0].n_authors == 1 && !strcmp(s(r.v[0].authors[0].email),
							      "jane@example.com"),
			      "chunks of %zu: the author's address", chunk);
			CHECK_STR(s(r.v[1].url), "http://e.example/2", "chunks of %zu: the second item",
				  chunk);
		}
		result_free(&r);
	}
}

/* Which element is the summary and which the body, as feedparser decides it. */
static void test_summary_and_content(void)
{
	static const struct {
		const char *item, *summary, *body;
	} cases[] = {
	    {"<description>D</description><content:encoded>C</content:encoded>", "D", "C"},
	    {"<content:encoded>C</content:encoded><description>D</description>", "D", "C"},
	    {"<description>D1</description><description>D2</description>", "D1", "D2"},
	    {"<summary>S</summary><description>D</description>", "S", "D"},
	    {"<description>D</description><summary>S</summary>", "D", "S"},
	    {"<fullitem>F</fullitem><description>D</description>", "D", "F"},
	    {"<description>D</description><fullitem>F</fullitem>", "D", "F"},
	    {"<dc:description>DC</dc:description><content:encoded>C</content:encoded>", "DC", "C"},
	    {"<content:encoded>C1</content:encoded><content:encoded>C2</content:encoded>", NULL, "C1"},
	    {"<xhtml:body><p>B</p></xhtml:body><description>D</description>", NULL, "B"},
	    {"<description>D</description><xhtml:body><p>B</p></xhtml:body>", "D", "B"},
	    {"<itunes:summary>I</itunes:summary><description>D</description>", "I", "D"},
	    {"<description>D</description><content:encoded>C</content:encoded>"
	     "<itunes:summary>I</itunes:summary>",
	     "I", "C"},
	};
	char doc[1024];
	struct result r;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		snprintf(doc, sizeof doc,
			 "<rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" "
			 "xmlns:dc=\"http://purl.org/dc/elements/1.1/\" "
			 "xmlns:itunes=\"http://www.itunes.com/dtds/podcast-1.0.dtd\" "
			 "xmlns:xhtml=\"http://www.w3.org/1999/xhtml\"><channel><item>%s</item></channel>"
			 "</rss>",
			 cases[i].item);
		parse(doc, NULL, &r);
		CHECK(r.n == 1, "%s: one item, got %d (%s)", cases[i].item, r.n, r.error);
		if (r.n == 1) {
			CHECK_STR(s(r.v[0].summary), cases[i].summary ? cases[i].summary : "(null)",
				  "%s: the summary", cases[i].item);
			CHECK_STR(s(r.v[0].body), cases[i].body, "%s: the body", cases[i].item);
		}
		result_free(&r);
	}
}

/* Language tags, Atom type="", SVG content, escaped markup in plain text, CDF attributes. */
static void test_fidelity_misc(void)
{
	static const char atom[] =
		"<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"en_GB\"><title type=\"\">Plain "
		"&lt;b&gt;title&lt;/b&gt;</title>"
		"<entry><title type=\"text\">&lt;!DOCTYPE html&gt; is markup</title>"
		"<content type=\"xhtml\" xml:lang=\"pt_BR\"><div xmlns=\"http://www.w3.org/1999/xhtml\">"
		"<p>See <svg xmlns=\"http://www.w3.org/2000/svg\"><title>tip</title>"
		"<text>a circle</text></svg></p></div></content></entry>"
		"<entry><title type=\"\">Untyped</title><content type=\"image/svg+xml\">"
		"<svg xmlns=\"http://www.w3.org/2000/svg\"><text>drawn</text></svg></content></entry>"
		"</feed>";
	static const char rss[] =
		"<rss><channel><language>de_AT</language><item><title>&lt;!DOCTYPE x&gt; y</title>"
		"<dc:language xmlns:dc=\"http://purl.org/dc/elements/1.1/\">fr_CA</dc:language>"
		"</item></channel></rss>";
	static const char cdf[] =
		"<CHANNEL HREF=\"http://example.org/\" LASTMOD=\"2004-04-06T23:05:43-05:00\">"
		"<TITLE>T</TITLE><ITEM HREF=\"/item\" LASTMOD=\"2004-04-07T01:00:00Z\"><TITLE>I</TITLE>"
		"</ITEM></CHANNEL>";
	struct result r;
	char d[DATE_BUFSZ] = "";

	parse(atom, NULL, &r);
	CHECK_STR(r.feed_lang, "en-GB", "xml:lang en_GB is en-GB");
	CHECK_STR(r.feed_title, "Plain <b>title</b>", "Atom type=\"\" is text");
	CHECK(r.n == 2, "atom: two entries, got %d", r.n);
	if (r.n == 2) {
		CHECK_STR(r.v[0].title, "<!DOCTYPE html> is markup", "escaped markup in text is literal");
		CHECK_STR(s(r.v[0].body), "See a circle", "inline SVG keeps its text, not its title");
		CHECK_STR(r.v[1].title, "Untyped", "entry title type=\"\"");
		CHECK_STR(s(r.v[1].body), "drawn", "SVG content (image/svg+xml) is read");
	}
	result_free(&r);
	parse(rss, NULL, &r);
	CHECK_STR(r.feed_lang, "de-AT", "<language>de_AT</language> is de-AT");
	if (r.n == 1) {
		CHECK_STR(r.v[0].title, "<!DOCTYPE x> y", "escaped DOCTYPE in an RSS title is literal");
		CHECK_STR(s(r.v[0].language), "fr-CA", "item dc:language, fr_CA as fr-CA");
	}
	result_free(&r);
	parse(cdf, "http://example.org/cdf.xml", &r);
	CHECK_STR(r.feed_link, "http://example.org/", "CDF channel HREF is the feed link");
	CHECK(r.n == 1, "cdf: one item, got %d", r.n);
	if (r.n == 1) {
		CHECK_STR(s(r.v[0].url), "http://example.org/item", "CDF item HREF resolved");
		date_format(r.v[0].updated, d, sizeof d);
		CHECK_STR(d, "2004-04-07T01:00:00Z", "CDF item LASTMOD");
	}
	result_free(&r);
}

/* The channel's link is trimmed where its candidate keeps it, at every commit: a feed-level
 * element between the items makes a second commit before the second item, which must see the
 * same link (url_resolve trims blanks too: this guards the commits, not the trimming). */
static void test_feed_link_trim(void)
{
	static const char doc[] =
		"<rss><channel><title>T</title><link> \n\t/home/ \r\n</link>"
		"<item><title>1</title></item><description>a second commit</description>"
		"<item><title>2</title></item></channel></rss>";
	struct result r;

	parse(doc, "http://example.org/feed.xml", &r);
	CHECK(r.n == 2, "feed_link_trim: two items, got %d", r.n);
	CHECK_STR(r.feed_link, "http://example.org/home/",
		  "feed_link_trim: the link the second item sees");
	result_free(&r);
}

/* Person strings split where they were collected (add_person_string): an address and a name
 * in brackets, in angle brackets after "mailto:" (':' ends an address, so "mailto:" stays in the
 * name, as before), names with the brackets and quotes dropped, a bare "@handle", blanks, and
 * the same person twice (by name without address, or by address). Expectations: what the
 * parser gave before the split moved in place (main 36acf9e). */
static void test_person_strings(void)
{
	static const char doc[] =
		"<rss xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel><title>T</title>"
		"<item><title>1</title><author>  joe@example.com (Joe Bloggs)  </author></item>"
		"<item><title>2</title><author>Joe Bloggs &lt;mailto:joe@example.com&gt;</author></item>"
		"<item><title>3</title><author>MAILTO:x@example.org</author></item>"
		"<item><title>4</title><author>@handle</author><dc:creator>a@</dc:creator></item>"
		"<item><title>5</title><author>Ann \"Ed\" Lee, ann@x.org; (Chief)</author></item>"
		"<item><title>6</title><dc:creator>Joe</dc:creator><dc:creator>Joe</dc:creator>"
		"<author>joe@e.org (Joe)</author><author>J &lt;joe@e.org&gt;</author></item>"
		"<item><title>7</title><author>   </author></item></channel></rss>";
	static const char *const want[] = {
		"Joe Bloggs <joe@example.com>|", "Joe Bloggs mailto: <joe@example.com>|",
		"MAILTO: <x@example.org>|", "@handle <>|a@ <>|", "Ann Ed Lee, ; Chief <ann@x.org>|",
		"Joe <>|Joe <joe@e.org>|", ""};
	struct result r;
	struct buf got = BUF_INIT;
	size_t i, k;

	parse(doc, NULL, &r);
	CHECK(r.n == 7, "person_strings: seven items, got %d", r.n);
	for (i = 0; i < 7 && i < (size_t)r.n; i++) {
		buf_reset(&got);
		for (k = 0; k < r.v[i].n_authors; k++)
			buf_printf(&got, "%s <%s>|", s(r.v[i].authors[k].name),
				   r.v[i].authors[k].email ? r.v[i].authors[k].email : "");
		CHECK_STR(buf_cstr(&got), want[i], "person_strings: item %zu's authors", i + 1);
	}
	result_free(&r);
	buf_fini(&got);
}

/* Rules found by tests/tools/norm_diff.py against python3-feedparser. */
static void test_fidelity_diff(void)
{
	static const char rss[] =
		"<rss><channel><title>T</title><item><title>use &lt;b&gt; for bold</title>"
		"<author>Jane (Editor)</author><lastBuildDate>Thu, 01 Jan 2004 19:48:21 GMT"
		"</lastBuildDate></item><item><title>a &lt;b&gt;bold&lt;/b&gt; one</title>"
		"<author>jane@example.com (Jane Doe)</author></item></channel></rss>";
	static const char atom[] =
		"<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:base=\"http://example.com/a/b?q\">"
		"<title>t</title><link href=\"\"/><entry><id>urn:x</id><title>e</title>"
		"<link rel=\"alternate\" type=\"application/pdf\" href=\"/doc.pdf\"/>"
		"<link rel=\"ALTERNATE\" href=\"/page\"/></entry><entry><id>urn:y</id><title>f</title>"
		"<link rel=\"alternate\" type=\"application/pdf\" href=\"/only.pdf\"/></entry></feed>";
	static const char b64[] =
		"<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>t</title><entry><id>urn:z</id>"
		"<title type=\"application/octet-stream\">plain words</title>"
		"<content type=\"application/octet-stream\">aGkgdGhlcmU=</content></entry></feed>";
	static const char cdf[] =
		"<CHANNEL BASE=\"http://example.com/c/\"><TITLE>C</TITLE><ITEM HREF=\"p1\"><TITLE>1"
		"</TITLE></ITEM><ITEM base=\"http://b.example/d/\" HREF=\"p2\"><TITLE>2</TITLE></ITEM>"
		"</CHANNEL>";
	struct result r;
	char d[DATE_BUFSZ] = "";

	parse(rss, NULL, &r);
	CHECK(r.n == 2, "rss: two items, got %d", r.n);
	if (r.n == 2) {
		CHECK_STR(r.v[0].title, "use <b> for bold", "a start tag alone leaves a title literal");
		CHECK_STR(r.v[1].title, "a bold one", "an end tag makes a title HTML");
		CHECK(r.v[0].n_authors == 1 && !strcmp(s(r.v[0].authors[0].name), "Jane (Editor)"),
		      "a name without an address is kept as written");
		CHECK(r.v[1].n_authors == 1 && !strcmp(s(r.v[1].authors[0].name), "Jane Doe") &&
			  !strcmp(s(r.v[1].authors[0].email), "jane@example.com"),
		      "an address in brackets is taken out of the name");
		date_format(r.v[0].updated, d, sizeof d);
		CHECK_STR(d, "2004-01-01T19:48:21Z", "lastBuildDate in an item is its update");
	}
	result_free(&r);
	parse(atom, NULL, &r);
	CHECK_STR(r.feed_link, "http://example.com/a/b?q", "href=\"\" is the document itself");
	CHECK(r.n == 2, "atom: two entries, got %d", r.n);
	if (r.n == 2) {
		CHECK_STR(s(r.v[0].url), "http://example.com/page", "an HTML alternate beats a PDF one");
		CHECK_STR(s(r.v[1].url), "http://example.com/only.pdf", "a PDF alternate when alone");
	}
	result_free(&r);
	parse(b64, NULL, &r);
	CHECK(r.n == 1, "base64: one entry, got %d", r.n);
	if (r.n == 1) {
		CHECK_STR(s(r.v[0].title), "plain words", "text that is not whole base64 stays text");
		CHECK_STR(s(r.v[0].body), "hi there", "padded base64 is decoded");
	}
	result_free(&r);
	parse(cdf, NULL, &r);
	CHECK(r.n == 2, "cdf: two items, got %d", r.n);
	if (r.n == 2) {
		CHECK_STR(s(r.v[0].url), "http://example.com/c/p1", "CDF BASE is a base");
		CHECK_STR(s(r.v[1].url), "http://b.example/d/p2", "a base attribute is a base");
	}
	result_free(&r);
}

/* A document that does not decode as UTF-8 is decoded whole with feedparser's fallback chain
 * (windows-1252, else iso-8859-2), in one chunk or many, and its text is then not "repaired" as
 * double-encoded UTF-8: "\xe2\x80\x99" read as windows-1252 is three characters. */
static void test_encoding_fallback(void)
{
	static const char cp1252[] = "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss><channel>"
				     "<item><title>don\xe2\x80\x99t caf\xe9 &lt;&gt;x</title>"
				     "<description>a &lt;&gt; b</description></item></channel></rss>";
	static const char latin2[] = "<rss><channel><item><title>\xe2\x80\x9d \xa9</title></item>"
				     "</channel></rss>";
	static const char valid[] = "<rss><channel><item><title>caf\xc3\x83\xc2\xa9 \xe2\x80\x9d"
				    "</title></item></channel></rss>";
	static const char latin1[] = "<rss><channel><item><title>\xab\xa0" "dou\xe9\xa0\xbb</title>"
				     "</item></channel></rss>";
	static const char declared[] = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss><channel>"
				       "<item><title>ver\xc3\xb6" "ffentlicht</title></item></channel></rss>";
	struct feed_parser_opts o = {0};
	struct result r;
	size_t chunk;

	for (chunk = 1; chunk <= 1 << 16; chunk <<= 8) {
		parse_opts(cp1252, strlen(cp1252), &o, chunk, &r);
		CHECK(r.n == 1, "cp1252 fallback (chunks of %zu): one item, got %d", chunk, r.n);
		if (r.n == 1) {
			CHECK_STR(r.v[0].title, "don\xc3\xa2\xe2\x82\xac\xe2\x84\xa2t caf\xc3\xa9 <>x",
				  "invalid UTF-8 read whole as windows-1252 (chunks of %zu)", chunk);
			CHECK_STR(s(r.v[0].summary), "a b", "\"<>\" in HTML is an empty tag");
		}
		result_free(&r);
	}
	parse(latin2, NULL, &r);
	CHECK(r.n == 1, "latin2 fallback: one item, got %d", r.n);
	if (r.n == 1)
		CHECK_STR(r.v[0].title, "\xc3\xa2\xe2\x82\xac\xc2\x9d \xc5\xa0",
			  "0x9D is not windows-1252: the document is read as iso-8859-2");
	result_free(&r);
	parse(valid, NULL, &r);
	if (r.n == 1)
		CHECK_STR(r.v[0].title, "caf\xc3\xa9 \xe2\x80\x9d",
			  "valid UTF-8 is UTF-8, double encoding repaired");
	result_free(&r);
	/* read one byte at a time, "é\xa0»" made a CJK character (miniflux's test feed) */
	parse(latin1, NULL, &r);
	if (r.n == 1)
		CHECK_STR(r.v[0].title, "\xc2\xab\xc2\xa0" "dou\xc3\xa9\xc2\xa0\xc2\xbb",
			  "an undeclared latin-1 document is latin-1 throughout");
	result_free(&r);
	/* a whole document that ends inside a character is not UTF-8: windows-1252 throughout,
	 * however it comes (the held bytes are converted as UTF-8 first, and dropped) */
	for (chunk = 1; chunk <= 1 << 16; chunk <<= 4) {
		static const char cut[] = "<rss><channel><item><title>caf\xc3\xa9</title></item>"
					  "</channel></rss>\xe2\x80";

		parse_opts(cut, strlen(cut), &o, chunk, &r);
		CHECK(r.n == 1, "cut at the end (chunks of %zu): one item, got %d", chunk, r.n);
		if (r.n == 1)
			CHECK_STR(r.v[0].title, "caf\xc3\x83\xc2\xa9",
				  "cut at the end (chunks of %zu): read as windows-1252", chunk);
		result_free(&r);
	}
	/* declared ISO-8859-1 but written in UTF-8 (laut.de's feed): repaired as before */
	parse(declared, NULL, &r);
	if (r.n == 1)
		CHECK_STR(r.v[0].title, "ver\xc3\xb6" "ffentlicht",
			  "UTF-8 in a document declared ISO-8859-1 is repaired");
	result_free(&r);
}

/* A UTF-8 document longer than what is held to decide the fallback (64 KiB) whose held part
 * ends inside a character: valid UTF-8 all the same, read as UTF-8 whatever the cut (a
 * Cyrillic feed became windows-1252 mojibake when a character straddled the 65,536th byte). */
static void test_encoding_held_cut(void)
{
	static const char head[] = "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss><channel>"
				   "<title>\xd0\x92\xd1\x81\xd0\xb5</title><item><title>t</title><description>";
	static const char tail[] = "</description></item></channel></rss>";
	struct feed_parser_opts o = {0};
	size_t n = (size_t)70 << 10, chunks[] = {1 << 16, 4096, 65535, 70000};
	char *doc = malloc(n + sizeof tail);
	struct result r;

	if (!doc)
		return;
	for (size_t shift = 0; shift < 4; shift++) {
		size_t at = strlen(head) + shift; /* moves every 3-byte character across 65,536 */

		memcpy(doc, head, strlen(head));
		memset(doc + strlen(head), ' ', shift);
		for (; at + 3 <= n; at += 3)
			memcpy(doc + at, "\xe2\x80\x94", 3); /* an em dash */
		strcpy(doc + at, tail);
		for (size_t c = 0; c < sizeof chunks / sizeof *chunks; c++) {
			parse_opts(doc, strlen(doc), &o, chunks[c], &r);
			CHECK(r.n == 1 && !strcmp(r.feed_title, "\xd0\x92\xd1\x81\xd0\xb5"),
			      "a held part cut inside a character (shift %zu, chunks of %zu): UTF-8 (%d "
			      "items, title \"%s\")", shift, chunks[c], r.n, r.feed_title);
			result_free(&r);
		}
	}
	free(doc);
}

/* article_make_standfirst(): the summary is kept only when it is not the body's start (nor the
 * title), compared without whitespace and without a trailing ellipsis. */
static void test_standfirst(void)
{
	static const struct {
		const char *summary, *body, *title;
		int kept;
	} cases[] = {
	    {"The start of it", "The start\n of it, and more", NULL, 0},
	    {"Carriage\r\nreturns \t and tabs", "Carriage returns and tabs, and more", NULL, 0},
	    {"A long summary, longer than any first allocation of a buffer, which squeeze copies "
	     "whole: sixty-four bytes and more, with blanks of every kind\t\r\n to drop",
	     "A long summary, longer than any first allocation of a buffer, which squeeze copies "
	     "whole: sixty-four bytes and more, with blanks of every kind to drop. And more.",
	     NULL, 0},
	    {"A long summary, longer than any first allocation of a buffer, which squeeze copies "
	     "whole: sixty-four bytes and more, with blanks of every kind\t\r\n to drop!",
	     "A long summary, longer than any first allocation of a buffer, which squeeze copies "
	     "whole: sixty-four bytes and more, with blanks of every kind to drop. And more.",
	     NULL, 1},
	    {"The  start\tof it\u2026", "The start of it, and more", NULL, 0},
	    {"The start of it [...]", "Thestartofit", NULL, 0},
	    {"The whole body, and more", "The whole body", NULL, 1},
	    {"Another text", "The body", NULL, 1},
	    {"The Title", "The body", "The  Title", 0},
	    {"The Title", "The body", "The Title too", 1},
	    {" \n\t", "The body", NULL, 0},
	    {"The body", " \n The\tbody", NULL, 0},
	    {"The bodz", "The body", NULL, 1},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct article a;

		article_init(&a);
		a.summary = strdup(cases[i].summary);
		a.body = strdup(cases[i].body);
		a.title = cases[i].title ? strdup(cases[i].title) : NULL;
		CHECK(article_make_standfirst(&a) == 0 && (a.standfirst != NULL) == cases[i].kept,
		      "standfirst of summary \"%s\", body \"%s\": %s, want %s", cases[i].summary,
		      cases[i].body, a.standfirst ? "kept" : "none", cases[i].kept ? "kept" : "none");
		article_fini(&a);
	}
}

/* Runs xml_fix over doc[0..n) in pieces of chunk bytes (0: whole) into out. */
static int fix_run(const char *doc, size_t n, size_t chunk, struct buf *out)
{
	struct xml_fix f;
	const struct xml_fix_piece *pc;
	size_t off = 0, np, k, j;
	int rc = 0;

	xml_fix_init(&f);
	buf_reset(out);
	do {
		k = chunk && n - off > chunk ? chunk : n - off;
		rc = xml_fix_run(&f, doc + off, k, off + k == n, &pc, &np);
		/* the pieces joined: a section made is written out as one */
		for (j = 0; rc == 0 && j < np; j++) {
			if (pc[j].kind == XML_FIX_SECTION)
				buf_puts(out, "<![CDATA[");
			rc = buf_append(out, pc[j].s, pc[j].len);
			if (pc[j].kind == XML_FIX_SECTION)
				buf_puts(out, "]]>");
		}
		off += k;
	} while (rc == 0 && off < n);
	xml_fix_fini(&f);
	return rc;
}

/* xml_fix looks at text sixteen bytes at a time (SSE2) and at the last bytes one by one: each
 * piece it must see, or must leave alone, at every offset gives the same bytes either way, and
 * the repair expected. */
static void test_xml_fix_places(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"&", "&amp;"},
		{"&lt;", "&lt;"},
		{"&gt;", "&gt;"},
		{"&l;", "&l;"},
		{"&lt", "&amp;lt"},
		{"&amp;", "&amp;"},
		{"&#X41;", "&#x41;"},
		{"<!--&-->&", "<!--&-->&amp;"},
		{"<![CDATA[&]]>&", "<![CDATA[&]]>&amp;"},
		{"<?pi &?>&", "<?pi &?>&amp;"},
		{"<a>&</a>", "<a>&amp;</a>"},
		{"<!DOCTYPE x>&", "<!DOCTYPE x>&amp;"},
		{"<a b=\"&\" c='&#X41;&' d=e&f>&", "<a b=\"&amp;\" c='&#x41;&amp;' d=e&amp;f>&amp;"},
		/* a '<' that starts no markup is text */
		{"a < b", "a &lt; b"},
		{"1<2", "1&lt;2"},
		{"<=<< ", "&lt;=&lt;&lt; "},
		{"<jane@example.com>", "&lt;jane@example.com>"},
		{"<averyveryverylongname.with-dots@x>", "&lt;averyveryverylongname.with-dots@x>"},
		{"<a/><b c='d'></b><e\t/><f\n>", "<a/><b c='d'></b><e\t/><f\n>"},
		{"<x:y>&</x:y>", "<x:y>&amp;</x:y>"},
		{"<!DOCTYPE x>a < b <c@d>", "<!DOCTYPE x>a &lt; b &lt;c@d>"},
	};
	char doc[128], want[128];
	struct buf whole = BUF_INIT, bytes = BUF_INIT;
	size_t k, at;

	for (k = 0; k < sizeof cases / sizeof *cases; k++) {
		size_t il = strlen(cases[k].in), ol = strlen(cases[k].out);

		for (at = 0; at < 40; at++) {
			size_t n = at + il + 20;

			memset(doc, 'x', n);
			memcpy(doc + at, cases[k].in, il);
			memset(want, 'x', n - il + ol);
			memcpy(want + at, cases[k].out, ol);
			CHECK(fix_run(doc, n, 0, &whole) == 0 && fix_run(doc, n, 1, &bytes) == 0,
			      "xml_fix_run failed");
			CHECK(whole.len == n - il + ol && !memcmp(whole.data, want, whole.len),
			      "\"%s\" at offset %zu, whole: got \"%.*s\"", cases[k].in, at,
			      (int)whole.len, buf_cstr(&whole));
			CHECK(bytes.len == whole.len && !memcmp(bytes.data, whole.data, whole.len),
			      "\"%s\" at offset %zu, byte by byte: got \"%.*s\"", cases[k].in, at,
			      (int)bytes.len, buf_cstr(&bytes));
		}
	}
	buf_fini(&whole);
	buf_fini(&bytes);
}

/* The XML name rules, as xml_fix's byte table must hold them: a letter, '_', ':' or any byte
 * >= 0x80 may start a name; those, digits, '-' and '.' may follow. */
static int rule_start(unsigned b)
{
	return ((b | 0x20) >= 'a' && (b | 0x20) <= 'z') || b == '_' || b == ':' || b >= 0x80;
}

static int rule_char(unsigned b)
{
	return rule_start(b) || (b >= '0' && b <= '9') || b == '-' || b == '.';
}

static void fix_expect(const char *in, size_t il, const char *want, size_t wl, const char *what,
		       unsigned b)
{
	struct buf whole = BUF_INIT, bytes = BUF_INIT;

	CHECK(fix_run(in, il, 0, &whole) == 0 && fix_run(in, il, 1, &bytes) == 0,
	      "xml_fix_run failed");
	CHECK(whole.len == wl && !memcmp(whole.data, want, wl), "%s (0x%02x): got \"%.*s\"",
	      what, b, (int)whole.len, buf_cstr(&whole));
	CHECK(bytes.len == wl && !memcmp(bytes.data, want, wl),
	      "%s (0x%02x), byte by byte: got \"%.*s\"", what, b, (int)bytes.len,
	      buf_cstr(&bytes));
	buf_fini(&whole);
	buf_fini(&bytes);
}

/* Every byte as the first and as a later byte of a tag's name and of a reference's name, and
 * names on each side of the 256 bytes after which a '<' is left to libxml2 to judge: what
 * xml_fix repairs follows the name rules. */
static void test_xml_fix_names(void)
{
	char in[400], want[400];
	unsigned b;
	size_t l, n;

	for (b = 0; b < 256; b++) {
		if (b == '<' || b == '&')
			continue;
		/* "<" b "x>": markup when b starts a name or is '/', '!' or '?' */
		memcpy(in, "<?x>", 4);
		in[1] = (char)b;
		memcpy(want, "&lt;", 4);
		memcpy(want + 4, in + 1, 3);
		if (rule_start(b) || b == '/' || b == '!' || b == '?')
			fix_expect(in, 4, in, 4, "a tag's first byte", b);
		else
			fix_expect(in, 4, want, 7, "a tag's first byte", b);
		/* "<a" b ">": markup when b may be in a name or ends one */
		memcpy(in, "<a?>", 4);
		in[2] = (char)b;
		memcpy(want, "&lt;", 4);
		memcpy(want + 4, in + 1, 3);
		if (rule_char(b) || b == '>' || b == '/' || b == ' ' || b == '\t' || b == '\n' ||
		    b == '\r')
			fix_expect(in, 4, in, 4, "a tag name's byte", b);
		else
			fix_expect(in, 4, want, 7, "a tag name's byte", b);
		/* "&" b "x;" and "&a" b ";" are references when b starts, or may be in, a name */
		memcpy(in, "&?x;", 4);
		in[1] = (char)b;
		memcpy(want, "&amp;", 5);
		memcpy(want + 5, in + 1, 3);
		if (rule_start(b))
			fix_expect(in, 4, in, 4, "a reference's first byte", b);
		else
			fix_expect(in, 4, want, 8, "a reference's first byte", b);
		memcpy(in, "&a?;", 4);
		in[2] = (char)b;
		memcpy(want + 5, in + 1, 3);
		if (rule_char(b) || b == ';') /* "&a;" then ";" */
			fix_expect(in, 4, in, 4, "a reference's name byte", b);
		else
			fix_expect(in, 4, want, 8, "a reference's name byte", b);
	}
	/* every byte after 1-40 bytes of a tag's name, with text after the tag (names are read
	 * sixteen bytes per step where SSE2 is there, then byte by byte): as above */
	for (b = 0; b < 256; b++) {
		if (b == '<' || b == '&')
			continue;
		for (l = 1; l <= 40; l++) {
			in[0] = '<';
			for (n = 1; n <= l; n++)
				in[n] = "abcdefghijklmnopqrstuvwxyz:_-.0123456789\x80\xFF"[n % 42];
			in[1] = 'a';
			in[l + 1] = (char)b;
			memcpy(in + l + 2, "x>yyyyyyyyyyyyyyyyyyyy", 22);
			n = l + 24;
			memcpy(want, "&lt;", 4);
			memcpy(want + 4, in + 1, n - 1);
			if (rule_char(b) || b == '>' || b == '/' || b == ' ' || b == '\t' ||
			    b == '\n' || b == '\r')
				fix_expect(in, n, in, n, "a long tag name's byte", b);
			else
				fix_expect(in, n, want, n + 3, "a long tag name's byte", b);
		}
	}
	/* "<" name "@>": text up to a name of 254 bytes, left to libxml2 from 255 */
	for (l = 1; l <= 300; l += l < 250 ? 17 : 1) {
		in[0] = '<';
		memset(in + 1, 'n', l);
		memcpy(in + 1 + l, "@>", 2);
		n = l + 3;
		memcpy(want, "&lt;", 4);
		memcpy(want + 4, in + 1, n - 1);
		if (l >= 255)
			fix_expect(in, n, in, n, "a long name, length", (unsigned)l);
		else
			fix_expect(in, n, want, n + 3, "a long name, length", (unsigned)l);
		/* and "<" name ">" is a tag at any length */
		in[1 + l] = '>';
		fix_expect(in, l + 2, in, l + 2, "a long tag, length", (unsigned)l);
	}
}

/* Escaped text in element content goes to libxml2 as CDATA sections with the predefined
 * references decoded (one callback per run instead of several per reference); everything a
 * section cannot hold as it is stays as written. */
static void test_xml_fix_cdata(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"<a>x &lt;b&gt; y</a>", "<a>x <![CDATA[<b> y]]></a>"},
		{"<a>&lt;b&gt; y", "<a><![CDATA[<b>]]> y"}, /* the run may go on in the next bytes */
		{"<a>&amp;&quot;&apos;</a>", "<a><![CDATA[&\"']]></a>"},
		{"<a>]]&gt;</a>", "<a>]]<![CDATA[>]]></a>"},
		/* after a raw "]]>" or a reference libxml2 rejects, no section in the run */
		{"<a>x]]>&lt;</a>", "<a>x]]>&lt;</a>"},
		{"<a>&#1;&lt;<b/>&lt;</a>", "<a>&#1;&lt;<b/><![CDATA[<]]></a>"},
		/* a ']' that starts no raw "]]>" is text in a section (its text may hold "]]>": it
		 * goes to the SAX side, not to libxml2) */
		{"<a>&lt;x]]&gt;</a>", "<a><![CDATA[<x]]>]]></a>"},
		{"<a>&lt;[&#8230;]</a>", "<a><![CDATA[<[\xE2\x80\xA6]]]></a>"},
		{"<a>&lt;x]]>y</a>", "<a><![CDATA[<]]>x]]>y</a>"}, /* libxml2 still sees the "]]>" */
		{"<a>&lt;x]]]>y&lt;</a>", "<a><![CDATA[<]]>x]]]>y&lt;</a>"},
		{"<a>&lt;x]&lt;]]>y</a>", "<a><![CDATA[<x]<]]>]]>y</a>"},
		/* a ']' in the last two bytes may start one: the run after the last reference
		 * stays out */
		{"<a>&lt;x]", "<a><![CDATA[<]]>x]"},
		{"<a>&lt;x]y", "<a><![CDATA[<]]>x]y"},
		{"<a>&lt;x]y<", "<a><![CDATA[<x]y]]>&lt;"}, /* three bytes: text */
		{"<a>&lt;x\r\n&lt;</a>", "<a><![CDATA[<]]>x\r\n<![CDATA[<]]></a>"},
		{"<a>&lt;&#65;&#x1F600;&lt;</a>", "<a><![CDATA[<A\xF0\x9F\x98\x80<]]></a>"},
		{"<a>&lt;&#X41;&#xFFFE;&lt;</a>", "<a><![CDATA[<]]>&#x41;&#xFFFE;&lt;</a>"},
		{"<a>&lt;&nbsp;</a>", "<a><![CDATA[<]]>&nbsp;</a>"},
		/* next to the "&lt;"/"&gt;" fast path: what it must leave to the general one */
		{"<a>&lt;&gt</a>", "<a><![CDATA[<&gt]]></a>"},
		{"<a>&gt;&lg;</a>", "<a><![CDATA[>]]>&lg;</a>"},
		{"<a>&gt;&gl;&lt;</a>", "<a><![CDATA[>]]>&gl;<![CDATA[<]]></a>"},
		{"<a>&lt;&Lt;</a>", "<a><![CDATA[<]]>&Lt;</a>"},
		{"<a>&lt; & b</a>", "<a><![CDATA[< & b]]></a>"},
		{"<a>&lt;x & y]z</a>", "<a><![CDATA[<x & y]z]]></a>"},
		{"<a t=\"&lt;>'\" u='\"&gt;'>&lt;</a>", "<a t=\"&lt;>'\" u='\"&gt;'><![CDATA[<]]></a>"},
		{"<a><b/>&lt;</a>", "<a><b/><![CDATA[<]]></a>"},
		{"<a href=\"/?a=1&b=2&lt;\">&lt;</a>", "<a href=\"/?a=1&amp;b=2&lt;\"><![CDATA[<]]></a>"},
		{"<a><!-- &lt; --><?p &lt; ?><![CDATA[&lt;]]></a>",
		 "<a><!-- &lt; --><?p &lt; ?><![CDATA[&lt;]]></a>"},
		/* outside the root element (prolog, epilog) nothing changes */
		{"&lt;<a/>&lt;", "&lt;<a/>&lt;"},
		{"<a></a>&lt;", "<a></a>&lt;"},
		/* markup the scan does not know: nothing changes from there on */
		{"<!DOCTYPE a><a>&lt;</a>", "<!DOCTYPE a><a>&lt;</a>"},
		{"<a>x < y &lt;</a>", "<a>x &lt; y &lt;</a>"}, /* a '<' that starts no markup */
		{"<a b=\"<\">&lt;</a>", "<a b=\"&lt;\">&lt;</a>"},
		{"</a><a>&lt;</a>", "</a><a>&lt;</a>"},
		/* text from its first character >= 0x80 on is a section too (libxml2 reads such
		 * text character by character), with the references after it decoded */
		{"<a>x \xC3\xA9 y</a>", "<a>x <![CDATA[\xC3\xA9 y]]></a>"},
		{"<a>\xE2\x80\x99</a>", "<a><![CDATA[\xE2\x80\x99]]></a>"},
		{"<a>\xF0\x9F\x98\x80 &amp; \xD0\xB6 &#65;&nbsp;z\xC3\xA9</a>",
		 "<a><![CDATA[\xF0\x9F\x98\x80 & \xD0\xB6 A]]>&nbsp;z<![CDATA[\xC3\xA9]]></a>"},
		{"<a>&lt;\xC3\xA9&gt;</a>", "<a><![CDATA[<\xC3\xA9>]]></a>"},
		{"<a>\xC3\xA9]x]]&gt;</a>", "<a><![CDATA[\xC3\xA9]x]]>]]></a>"},
		/* it stops short before a CR or a raw "]]>", at the last character >= 0x80 (libxml2
		 * reads on from there as it would have): none when that is its first */
		{"<a>\xC3\xA9x\r\ny\xC3\xA9</a>", "<a>\xC3\xA9x\r\ny<![CDATA[\xC3\xA9]]></a>"},
		{"<a>\xC3\xA9" "a \xD0\xB6 b\r\n</a>", "<a><![CDATA[\xC3\xA9" "a ]]>\xD0\xB6 b\r\n</a>"},
		{"<a>&lt;a\xD0\xB6" "b\r\xD0\xB6</a>", "<a><![CDATA[<a]]>\xD0\xB6" "b\r<![CDATA[\xD0\xB6]]></a>"},
		{"<a>\xC3\xA9]]>x\xD0\xB6</a>", "<a>\xC3\xA9]]>x\xD0\xB6</a>"},
		{"<a>\xC3\xA9" "a\xD0\xB6" "b]]>\xD0\xB6</a>", "<a><![CDATA[\xC3\xA9" "a]]>\xD0\xB6" "b]]>\xD0\xB6</a>"},
		{"<a>x]]>\xD0\xB6</a>", "<a>x]]>\xD0\xB6</a>"},
		{"<a>&#1;\xD0\xB6</a>", "<a>&#1;\xD0\xB6</a>"},
		/* the end of the bytes: a character cut short, or text that may go on */
		{"<a>\xD0\xB6\xD0", "<a><![CDATA[\xD0\xB6]]>\xD0"},
		{"<a>\xD0\xB6\xE2\x80", "<a><![CDATA[\xD0\xB6]]>\xE2\x80"},
		{"<a>\xD0\xB6x\xD0\xB6yz", "<a><![CDATA[\xD0\xB6x]]>\xD0\xB6yz"},
		{"<a>\xD0\xB6", "<a>\xD0\xB6"},
		/* a byte that begins no character XML allows starts none (the charset conversion
		 * before xml_fix lets none through) */
		{"<a>\x80\xFFx</a>", "<a>\x80\xFFx</a>"},
		/* never outside element content, in a tag, a comment, a PI or a CDATA section */
		{"\xC3\xA9<a t=\"\xC3\xA9\" u='\xC3\xA9'/>\xC3\xA9",
		 "\xC3\xA9<a t=\"\xC3\xA9\" u='\xC3\xA9'/>\xC3\xA9"},
		{"<a><!-- \xC3\xA9 --><?p \xC3\xA9?><![CDATA[\xC3\xA9]]></a>",
		 "<a><!-- \xC3\xA9 --><?p \xC3\xA9?><![CDATA[\xC3\xA9]]></a>"},
		{"<!DOCTYPE a><a>\xC3\xA9</a>", "<!DOCTYPE a><a>\xC3\xA9</a>"},
		{"<a>x < y \xC3\xA9</a>", "<a>x &lt; y \xC3\xA9</a>"}, /* markup it does not know */
	};
	struct buf out = BUF_INIT;
	size_t k;

	for (k = 0; k < sizeof cases / sizeof *cases; k++) {
		CHECK(fix_run(cases[k].in, strlen(cases[k].in), 0, &out) == 0, "xml_fix_run failed");
		CHECK_STR(buf_cstr(&out), cases[k].out, "xml_fix of \"%s\"", cases[k].in);
	}
	buf_fini(&out);
}

/* Where in p[0..n) its last character >= 0x80 begins (a byte from 0xC0), 0 when none. */
static size_t last_char_hi(const char *p, size_t n)
{
	while (n > 0 && (unsigned char)p[n - 1] < 0xC0)
		n--;
	return n ? n - 1 : 0;
}

/* A section's text is copied sixteen bytes per step (SSE2), then byte by byte, up to what ends
 * the copy ('&', '<', CR, ']', the end of the bytes; a ']' that starts no raw "]]>" is copied
 * and the copy goes on); "&lt;", "&gt;", "&amp;" and "&quot;" are decoded without the general
 * path. Each of those after 0-70 bytes of text (letters, '>', '"', LF, UTF-8: nothing that
 * stops it), the run starting 0-3 bytes into the document's text. */
static void test_xml_fix_cdata_places(void)
{
	static const struct {
		const char *stop, *in_section; /* in_section NULL: the run's text stays out */
		const char *after;
	} stops[] = {
	    {"&lt;", "<", "x]]></a>"},	      {"&gt;", ">", "x]]></a>"},
	    {"&amp;", "&", "x]]></a>"},	      {"&quot;", "\"", "x]]></a>"},
	    {"&apos;", "'", "x]]></a>"},      {"&#65;", "A", "x]]></a>"},
	    {"&", "&", "x]]></a>"},	      {"&am;", "", "]]>&am;x</a>"},
	    {"&ampx;", "", "]]>&ampx;x</a>"}, {"&quot", "&", "quotx]]></a>"},
	    {"&nbsp;", "", "]]>&nbsp;x</a>"}, {"", "", "x]]></a>"},
	    {"\r", NULL, "\rx</a>"},	      {"]", "]", "x]]></a>"},
	    {"]]", "]]", "x]]></a>"},	      {"]]>", NULL, "]]>x</a>"},
	    {"]]]>", NULL, "]]]>x</a>"},
	};
	static const char fill[] = "ab>\"\n\xC3\xA9"
				   "cdefghijklmnopqrstuvwxyz";
	struct buf in = BUF_INIT, want = BUF_INIT, out = BUF_INIT;
	size_t k, len, pre, j, cut;

	for (k = 0; k < sizeof stops / sizeof *stops; k++) {
		for (len = 0; len <= 70; len++) {
			for (pre = 0; pre < 4; pre++) {
				buf_reset(&in);
				buf_reset(&want);
				buf_puts(&in, "<a>");
				buf_puts(&want, "<a>");
				buf_append(&in, "yyy", pre);
				buf_append(&want, "yyy", pre);
				buf_puts(&in, "&lt;");
				buf_puts(&want, "<![CDATA[<");
				for (j = 0; j < len; j++)
					buf_putc(&in, fill[j % (sizeof fill - 1)]);
				/* a section that stops short of the run's end ends before the run's
				 * last character >= 0x80, libxml2 reading the rest afresh */
				cut = stops[k].in_section ? len : last_char_hi(in.data + in.len - len, len);
				buf_append(&want, in.data + in.len - len, cut);
				if (!stops[k].in_section)
					buf_puts(&want, "]]>");
				buf_append(&want, in.data + in.len - len + cut, len - cut);
				buf_puts(&in, stops[k].stop);
				buf_puts(&in, "x</a>");
				if (stops[k].in_section)
					buf_puts(&want, stops[k].in_section);
				buf_puts(&want, stops[k].after);
				CHECK(fix_run(in.data, in.len, 0, &out) == 0, "xml_fix_run failed");
				CHECK_STR(buf_cstr(&out), buf_cstr(&want), "xml_fix of \"%s\"",
					  check_show(in.data, in.len));
			}
		}
	}
	/* the run up to the end of the bytes stays out of the section (it may go on) from its
	 * last character >= 0x80 on (one cut short too) */
	for (len = 0; len <= 70; len++) {
		buf_reset(&in);
		buf_puts(&in, "<a>&lt;");
		for (j = 0; j < len; j++)
			buf_putc(&in, fill[j % (sizeof fill - 1)]);
		cut = last_char_hi(in.data + 7, len);
		buf_reset(&want);
		buf_puts(&want, "<a><![CDATA[<");
		buf_append(&want, in.data + 7, cut);
		buf_puts(&want, "]]>");
		buf_append(&want, in.data + 7 + cut, len - cut);
		CHECK(fix_run(in.data, in.len, 0, &out) == 0, "xml_fix_run failed");
		CHECK_STR(buf_cstr(&out), buf_cstr(&want), "xml_fix of \"%s\" (the end)",
			  check_show(in.data, in.len));
	}
	buf_fini(&in);
	buf_fini(&want);
	buf_fini(&out);
}

/* Parses body and body after "<!DOCTYPE rss>" (which turns the CDATA rewriting and the
 * sections put aside off) in pieces of chunk bytes into a and b, and checks that both give want
 * items with the same feed title and link and the same item fields. */
static void parse_both_ways(const char *body, size_t chunk, int want, struct result *a,
			    struct result *b)
{
	size_t n = strlen(body) + sizeof "<!DOCTYPE rss>";
	char *with = malloc(n);

	if (!with)
		abort();
	snprintf(with, n, "<!DOCTYPE rss>%s", body);
	parse_chunked(body, chunk, a);
	parse_chunked(with, chunk, b);
	free(with);
	CHECK(a->n == want && b->n == want, "chunks of %zu: %d items each, got %d and %d (%s)",
	      chunk, want, a->n, b->n, a->error);
	CHECK_STR(a->feed_title, b->feed_title, "feed title (chunks of %zu)", chunk);
	CHECK_STR(a->feed_link, b->feed_link, "feed link (chunks of %zu)", chunk);
	for (int k = 0; k < a->n && k < b->n; k++) {
		const struct article *x = &a->v[k], *y = &b->v[k];

		CHECK_STR(s(x->title), s(y->title), "item %d title (chunks of %zu)", k, chunk);
		CHECK_STR(s(x->url), s(y->url), "item %d url (chunks of %zu)", k, chunk);
		CHECK_STR(s(x->guid), s(y->guid), "item %d guid (chunks of %zu)", k, chunk);
		CHECK_STR(s(x->summary), s(y->summary), "item %d summary (chunks of %zu)", k, chunk);
		CHECK_STR(s(x->body), s(y->body), "item %d body (chunks of %zu)", k, chunk);
		CHECK_STR(s(x->content_html), s(y->content_html),
			  "item %d content_html (chunks of %zu)", k, chunk);
	}
}

/* The same items parsed with the CDATA rewriting and without it (a DOCTYPE turns it off), in
 * any chunking, give the same articles. */
static void test_cdata_same_text(void)
{
	static const char body[] =
		"<rss version=\"2.0\"><channel><title>T &lt;&amp;&gt; t</title>\n"
		"<item><title>A &lt;b&gt;bold&lt;/b&gt; ]]&gt; &amp;amp; x</title>"
		"<link>http://example/?a=1&amp;b=2&c</link>"
		"<description>&lt;p&gt;One &amp;amp; two&lt;/p&gt;\r\n&lt;p&gt;caf&#233; &eacute;"
		" &lt;a href=&quot;/x?y=1&amp;amp;z=2&quot;&gt;link&lt;/a&gt; ]]&gt;]]&gt;&lt;/p&gt;"
		"</description><category>a &lt; b</category></item>\n"
		"<item><title>&lt;![CDATA[ not a section ]]&gt;</title><description><![CDATA[<p>kept "
		"&lt;</p>]]> and &lt;i&gt;more&lt;/i&gt;</description>"
		"<content:encoded xmlns:content=\"http://purl.org/rss/1.0/modules/content/\">"
		"&lt;p&gt;Body &lt;img src=&quot;/i.png&quot; alt=&quot;&amp;lt;x&amp;gt;&quot;&gt;"
		"&lt;/p&gt;</content:encoded></item>\n"
		"</channel></rss>\n";
	static const size_t chunks[] = {1, 2, 3, 7, 17, 64, 1 << 16};
	struct result a, b;

	for (size_t i = 0; i < sizeof chunks / sizeof *chunks; i++) {
		parse_both_ways(body, chunks[i], 2, &a, &b);
		if (a.n == 2) {
			CHECK_STR(s(a.v[0].title), "A bold ]]> & x", "escaped title text");
			CHECK_STR(s(a.v[1].title), "<![CDATA[ not a section ]]>", "escaped CDATA text");
		}
		result_free(&a);
		result_free(&b);
	}
	/* a raw "]]>" after an escaped tag is still the error it was, and loses what it lost */
	parse_chunked("<rss><channel><item><title>&lt;b&gt;x &lt; y]]>z</title></item></channel></rss>",
		      1 << 16, &a);
	parse_chunked("<!DOCTYPE rss><rss><channel><item><title>&lt;b&gt;x &lt; y]]>z</title></item>"
		      "</channel></rss>",
		      1 << 16, &b);
	CHECK(a.rc == b.rc && a.rc < 0, "raw ]]> in text: rc %d and %d, both an error expected", a.rc,
	      b.rc);
	CHECK_STR(a.error, b.error, "raw ]]> in text: the same error");
	CHECK(a.n == 1 && b.n == 1, "raw ]]> in text: one item each, got %d and %d", a.n, b.n);
	if (a.n == 1 && b.n == 1)
		CHECK_STR(s(a.v[0].title), s(b.v[0].title), "raw ]]> in text: the same title");
	result_free(&a);
	result_free(&b);
}

/* The document with a bare '&', escaped text (a section) and "&#X41;", gap bytes of plain
 * text after each, in *doc; the repair expected in *want. */
static void pieces_doc(size_t gap, struct buf *doc, struct buf *want)
{
	size_t j;

	buf_reset(doc);
	buf_reset(want);
	buf_puts(doc, "<a>x&y");
	buf_puts(want, "<a>x&amp;y");
	for (j = 0; j < gap; j++)
		buf_putc(doc, 'z');
	buf_append(want, doc->data + doc->len - gap, gap);
	buf_puts(doc, "&gt;&gt;");
	buf_puts(want, "<![CDATA[>>");
	for (j = 0; j < gap; j++)
		buf_putc(doc, 'w');
	buf_append(want, doc->data + doc->len - gap, gap);
	buf_puts(doc, "&#X41;");
	buf_puts(want, "]]>&#x41;");
	for (j = 0; j < gap; j++)
		buf_putc(doc, 'v');
	buf_append(want, doc->data + doc->len - gap, gap);
	buf_puts(doc, "</a>");
	buf_puts(want, "</a>");
}

/* b with each CDATA section written as escaped text again ("<![CDATA[<]]>" is "&lt;"): what
 * a repair means, wherever its sections end. */
static void unsection(struct buf *b)
{
	struct buf t = BUF_INIT;
	const char *p = buf_cstr(b), *q, *e;

	while ((q = strstr(p, "<![CDATA[")) && (e = strstr(q, "]]>"))) {
		buf_append(&t, p, (size_t)(q - p));
		for (q += 9; q < e; q++)
			if (*q == '<' || *q == '>' || *q == '&' || *q == '"')
				buf_puts(&t, *q == '<'	 ? "&lt;"
					     : *q == '>' ? "&gt;"
					     : *q == '&' ? "&amp;"
							 : "&quot;");
			else
				buf_putc(&t, *q);
		p = e + 3;
	}
	buf_puts(&t, p);
	buf_reset(b);
	buf_append(b, t.data, t.len);
	buf_fini(&t);
}

/* Plain tags ("<a>", "<a/>", "</a>") are taken whole where the bytes hold them, others ("<a
 * b>", "<a />", "</a >", "</>", a tag cut by the end of the bytes) the long way: the depth
 * either way decides which "&lt;" goes into a section (none outside the root element), whole
 * and in pieces of every size. */
static void test_xml_fix_tags(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"<a>&lt;</a>&lt;", "<a><![CDATA[<]]></a>&lt;"},
		{"<a/>&lt;", "<a/>&lt;"},
		{"<a />&lt;", "<a />&lt;"},
		{"<a/ >&lt;</a>&lt;", "<a/ ><![CDATA[<]]></a>&lt;"},
		{"<a\n>&lt;</a>&lt;", "<a\n><![CDATA[<]]></a>&lt;"},
		{"<a b='/'>&lt;</a>&lt;", "<a b='/'><![CDATA[<]]></a>&lt;"},
		{"<a b=\"c\"/>&lt;", "<a b=\"c\"/>&lt;"},
		{"<a:b-c.d_\xC3\xA9>&lt;</a:b-c.d_\xC3\xA9>&lt;",
		 "<a:b-c.d_\xC3\xA9><![CDATA[<]]></a:b-c.d_\xC3\xA9>&lt;"},
		{"<a>&lt;</a >&lt;", "<a><![CDATA[<]]></a >&lt;"},
		{"<a><b>&lt;</b>&lt;</a>&lt;", "<a><b><![CDATA[<]]></b><![CDATA[<]]></a>&lt;"},
		{"<a><b/>&lt;</a>&lt;", "<a><b/><![CDATA[<]]></a>&lt;"},
		{"<a></>&lt;", "<a></>&lt;"}, /* two levels down, as in_tag() counts it */
		{"<a><b></>&lt;", "<a><b></>&lt;"},
		{"<a><b></a/>&lt;", "<a><b></a/>&lt;"},
		{"</a>&lt;<b>&lt;</b>", "</a>&lt;<b>&lt;</b>"}, /* an end tag too many */
		{"<a></a></a><a>&lt;</a>", "<a></a></a><a>&lt;</a>"},
		{"<!DOCTYPE a><a>&lt;</a>", "<!DOCTYPE a><a>&lt;</a>"},
		{"<a><b>x</b><c/>&lt;</a>", "<a><b>x</b><c/><![CDATA[<]]></a>"},
	};
	struct buf whole = BUF_INIT, part = BUF_INIT, want = BUF_INIT;
	size_t k, c, len;

	for (k = 0; k < sizeof cases / sizeof *cases; k++) {
		len = strlen(cases[k].in);
		CHECK(fix_run(cases[k].in, len, 0, &whole) == 0, "xml_fix_run failed");
		CHECK_STR(buf_cstr(&whole), cases[k].out, "xml_fix of \"%s\"", cases[k].in);
		/* in pieces, sections end where a piece does */
		buf_reset(&want);
		buf_puts(&want, cases[k].out);
		unsection(&want);
		for (c = 1; c < len; c++) {
			CHECK(fix_run(cases[k].in, len, c, &part) == 0, "xml_fix_run failed");
			unsection(&part);
			CHECK_STR(buf_cstr(&part), buf_cstr(&want), "xml_fix of \"%s\" in pieces of %zu",
				  cases[k].in, c);
		}
	}
	buf_fini(&whole);
	buf_fini(&part);
	buf_fini(&want);
}

/* xml_fix hands unchanged stretches of XML_FIX_COPY_MAX bytes or more as pieces of the input
 * (not copied) and copies shorter ones with the changes around them: on each side of that
 * length, and in any chunking, the pieces join to the same repair, and the parser reads the
 * same text from them. */
static void test_xml_fix_pieces(void)
{
	static const size_t gaps[] = {0, 1, 248, 249, 254, 255, 256, 700};
	static const size_t chunks[] = {1, 7, 255, 256, 257, 1 << 16};
	const size_t cm = XML_FIX_COPY_MAX;
	struct buf doc = BUF_INIT, want = BUF_INIT, out = BUF_INIT, body = BUF_INIT,
		   title = BUF_INIT;
	const struct xml_fix_piece *pc;
	struct xml_fix f;
	struct result a, b;
	size_t g, c, np, j, in_input, want_in;

	for (g = 0; g < sizeof gaps / sizeof *gaps; g++) {
		size_t gap = gaps[g];

		pieces_doc(gap, &doc, &want);
		CHECK(fix_run(doc.data, doc.len, 0, &out) == 0, "xml_fix_run failed");
		CHECK_STR(buf_cstr(&out), buf_cstr(&want), "gaps of %zu, whole", gap);
		/* in pieces, sections end where a piece does (they never span two) */
		unsection(&want);
		for (c = 0; c < sizeof chunks / sizeof *chunks; c++) {
			CHECK(fix_run(doc.data, doc.len, chunks[c], &out) == 0,
			      "xml_fix_run failed");
			unsection(&out);
			CHECK_STR(buf_cstr(&out), buf_cstr(&want), "gaps of %zu, chunks of %zu",
				  gap, chunks[c]);
		}
		/* whole: the stretches "y" + gap and "41;" + gap + "</a>" are the input's when
		 * long enough */
		xml_fix_init(&f);
		CHECK(xml_fix_run(&f, doc.data, doc.len, 1, &pc, &np) == 0, "xml_fix_run failed");
		for (j = in_input = 0; j < np; j++)
			if (pc[j].s >= doc.data && pc[j].s < doc.data + doc.len) {
				CHECK(pc[j].kind == XML_FIX_BYTES && pc[j].len >= cm,
				      "gaps of %zu: a piece of %zu bytes of the input", gap,
				      pc[j].len);
				in_input++;
			}
		want_in = (size_t)(1 + gap >= cm) + (size_t)(7 + gap >= cm);
		CHECK(in_input == want_in, "gaps of %zu: %zu pieces of the input, want %zu", gap,
		      in_input, want_in);
		xml_fix_fini(&f);
		if (gap > 300)
			continue;
		/* the same in an item's title, through the parser */
		buf_reset(&body);
		buf_puts(&body, "<rss version=\"2.0\"><channel><title>T</title><item><title>");
		buf_append(&body, doc.data + 3, doc.len - 7);
		buf_puts(&body, "</title><guid>g</guid></item></channel></rss>\n");
		buf_reset(&title);
		buf_puts(&title, "x&y");
		buf_append(&title, doc.data + 6, gap);
		buf_puts(&title, ">>");
		buf_append(&title, doc.data + 14 + gap, gap);
		buf_puts(&title, "A");
		buf_append(&title, doc.data + 20 + 2 * gap, gap);
		for (c = 0; c < sizeof chunks / sizeof *chunks; c++) {
			parse_both_ways(buf_cstr(&body), chunks[c], 1, &a, &b);
			if (a.n == 1)
				CHECK_STR(s(a.v[0].title), buf_cstr(&title),
					  "title with gaps of %zu, chunks of %zu", gap, chunks[c]);
			result_free(&a);
			result_free(&b);
		}
	}
	buf_fini(&doc);
	buf_fini(&want);
	buf_fini(&out);
	buf_fini(&body);
	buf_fini(&title);
}

/* Text with characters >= 0x80 goes into sections from its first such character on: runs of
 * 2-, 3- and 4-byte characters among ASCII, references, CRs and "]]>", cut at every chunk size
 * (a character cut by the end of the bytes too), give the document's own bytes back (sections
 * unwrapped) and the same articles as without the rewriting. */
static void test_xml_fix_hi_chunks(void)
{
	static const char body[] =
	    "<rss><channel><title>\xD0\x9D\xD0\xBE\xD0\xB2\xD0\xBE\xD1\x81\xD1\x82\xD0\xB8</title>"
	    "<item><title>It\xE2\x80\x99s \xE2\x80\x9Cquoted\xE2\x80\x9D \xE2\x80\x94 ok</title>"
	    "<description>&lt;p&gt;\xD8\xA7\xD8\xB1\xD8\xAF\xD9\x88 &amp; \xF0\x9F\x98\x80x"
	    "\r\n\xC3\xA9t\xC3\xA9 ]x] &#233;\xC3\xA0&lt;/p&gt;\rz\xC3\xBC</description>"
	    "<guid>g\xC3\xA9" "1</guid></item>"
	    "<item><title>a\xC3\xA9" "b]]>\xC3\xA9 &amp; c</title><guid>g2</guid></item>"
	    "<item><title>\xE6\x97\xA5\xE6\x9C\xAC&nbsp;\xE8\xAA\x9E</title><guid>g3</guid></item>"
	    "</channel></rss>\n";
	const char *doc = "<a>x\xD0\xB6\xD0\xB8 &lt;\xE2\x80\x99y\r\n\xF0\x9F\x98\x80z]w\xC3\xA9"
			  "\r\xC3\xA9<b>\xC3\xA9</b>\xE2\x80\x94 &amp;&gt;\xC3\xA9</a>";
	struct buf out = BUF_INIT, want = BUF_INIT;
	struct result a, b;
	size_t c;

	/* the sections unwrapped give the document back (its references as written) */
	CHECK(fix_run(doc, strlen(doc), 0, &want) == 0, "xml_fix_run failed");
	CHECK(strstr(buf_cstr(&want), "<![CDATA[\xD0\xB6") != NULL &&
		  strstr(buf_cstr(&want), "<![CDATA[\xC3\xA9]]></b>") != NULL,
	      "sections from the first character >= 0x80: %s", buf_cstr(&want));
	unsection(&want);
	for (c = 1; c <= 90; c++) {
		CHECK(fix_run(doc, strlen(doc), c, &out) == 0, "xml_fix_run failed");
		unsection(&out);
		CHECK_STR(buf_cstr(&out), buf_cstr(&want), "non-ASCII text in chunks of %zu", c);
	}
	for (c = 1; c <= 64; c++) {
		parse_both_ways(body, c, 3, &a, &b);
		CHECK(a.n != 3 || !strcmp(s(a.v[0].title), "It\xE2\x80\x99s \xE2\x80\x9Cquoted\xE2\x80\x9D "
						   "\xE2\x80\x94 ok"),
		      "title, chunks of %zu: %s", c, s(a.v[0].title));
		result_free(&a);
		result_free(&b);
	}
	parse_both_ways(body, 1 << 16, 3, &a, &b);
	result_free(&a);
	result_free(&b);
	buf_fini(&out);
	buf_fini(&want);
}

/* Random broken documents (a fixed seed) parsed with the CDATA rewriting and without it (a
 * DOCTYPE turns it off), whole or in small pieces, give the same articles and the same first
 * error: libxml2 drops every reference after a well-formedness error, loses text before a raw
 * "]]>", and more. */
static void test_cdata_random(void)
{
	static const char *const toks[] = {
		"&lt;", "&gt;", "&amp;", "&quot;", "&apos;", "&#65;", "&#x42;", "&#0;", "&#xFFFE;",
		"&#128512;", "&#X41;", "&nbsp;", "&", "&lt", "]]>", "]", "]]", ">", "\r\n", "\r", "\n",
		" ", "x", "<b>", "</b>", "<br/>", "<![CDATA[c&lt;]]>", "<!-- c -->", "<?p x?>", "\"",
		"'", "<", "\xC3\xA9", "&amp;lt;", "</i>", "<i a=\"1>2&amp;\">",
		"<![CDATA[x\r\ny]]>", "<![CDATA[]]>", "<?_fs?>",
		/* characters >= 0x80 (sections of their own), and bytes the charset conversion
		 * drops or changes: C0 controls, U+FFFE, U+FFFF, C1 controls, invalid UTF-8 */
		"\xD0\xB6\xD0\xB8", "\xE2\x80\x99", "\xF0\x9F\x98\x80", "\x01", "\xEF\xBF\xBF",
		"\xEF\xBF\xBE", "\xC2\x85", "\xC3", "\xFF", "\xC3\xA9]]>",
	};
	static const char *const fields[] = {"title", "description", "link", "guid", "category"};
	unsigned seed = 12345;
	char doc[4096], with[4200];
	struct result a, b;
	int d, j;

#define RND(n) ((seed = seed * 1103515245u + 12345u) >> 16) % (n)
	for (d = 0; d < 400; d++) {
		size_t len = 0;
		int items = 1 + (int)RND(3), f, t;

		len += (size_t)snprintf(doc + len, sizeof doc - len, "<rss><channel><title>");
		for (t = (int)RND(6); t > 0; t--)
			len += (size_t)snprintf(doc + len, sizeof doc - len, "%s",
						toks[RND(sizeof toks / sizeof *toks)]);
		len += (size_t)snprintf(doc + len, sizeof doc - len, "</title>");
		while (items-- > 0) {
			len += (size_t)snprintf(doc + len, sizeof doc - len, "<item>");
			for (f = 1 + (int)RND(3); f > 0; f--) {
				const char *name = fields[RND(sizeof fields / sizeof *fields)];

				len += (size_t)snprintf(doc + len, sizeof doc - len, "<%s>", name);
				for (t = (int)RND(12); t > 0; t--)
					len += (size_t)snprintf(doc + len, sizeof doc - len, "%s",
								toks[RND(sizeof toks / sizeof *toks)]);
				len += (size_t)snprintf(doc + len, sizeof doc - len, "</%s>", name);
			}
			len += (size_t)snprintf(doc + len, sizeof doc - len, "</item>");
		}
		snprintf(doc + len, sizeof doc - len, "</channel></rss>");
		snprintf(with, sizeof with, "<!DOCTYPE rss>%s", doc);
		/* whole, and in pieces that cut sections and references */
		parse_chunked(doc, d % 2 ? 1 << 16 : 5 + (size_t)d % 11, &a);
		parse_chunked(with, 1 << 16, &b);
		CHECK(a.n == b.n && a.rc == b.rc && !strcmp(a.error, b.error),
		      "random document %d: %d/%d items, rc %d/%d, \"%s\"/\"%s\": %s", d, a.n, b.n, a.rc,
		      b.rc, a.error, b.error, doc);
		CHECK_STR(a.feed_title, b.feed_title, "random document %d: feed title: %s", d, doc);
		for (j = 0; j < a.n && j < b.n; j++) {
			CHECK_STR(s(a.v[j].title), s(b.v[j].title), "random document %d: title: %s", d,
				  doc);
			CHECK_STR(s(a.v[j].url), s(b.v[j].url), "random document %d: url: %s", d, doc);
			CHECK_STR(s(a.v[j].guid), s(b.v[j].guid), "random document %d: guid: %s", d, doc);
			CHECK_STR(s(a.v[j].body), s(b.v[j].body), "random document %d: body: %s", d, doc);
			CHECK_STR(s(a.v[j].content_html), s(b.v[j].content_html),
				  "random document %d: content_html: %s", d, doc);
		}
		result_free(&a);
		result_free(&b);
	}
#undef RND
}

/* Escaped text is handed to the parser put aside, a processing instruction marking its place
 * (feed_xml_push_section): the text, the lines of later errors and warnings, and a document's
 * own PIs come out as without it (a DOCTYPE turns it off), in any chunking. */
static void test_section_marker(void)
{
	static const size_t chunks[] = {1, 5, 64, 1 << 16};
	struct buf lines = BUF_INIT, doc = BUF_INIT, with = BUF_INIT;
	struct feed_parser_opts o = {0};
	struct result a, b;
	size_t i;
	int k;

	/* 150 lines of escaped text in one run: a marker longer than one piece */
	for (k = 0; k < 150; k++)
		buf_printf(&lines, "&lt;p&gt;line %d&lt;/p&gt;\n", k);
	buf_printf(&doc, "<rss><channel><item><title>&lt;b&gt;x</title>"
			 "<description>%s</description></item>\n<item><title>t</title>"
			 "<description>&lt;p&gt;a\nb\nc</description></item>\n<item>\n<title>u "
			 "&lt;i&gt;<?_fs?>y &lt;i&gt;z</tit></item></channel></rss>\n",
		   buf_cstr(&lines));
	buf_printf(&with, "<!DOCTYPE rss>%s", buf_cstr(&doc));
	for (i = 0; i < sizeof chunks / sizeof *chunks; i++) {
		parse_chunked(buf_cstr(&doc), chunks[i], &a);
		parse_chunked(buf_cstr(&with), chunks[i], &b);
		CHECK(a.n == 3 && b.n == 3, "chunks of %zu: 3 items each, got %d and %d (%s)",
		      chunks[i], a.n, b.n, a.error);
		CHECK(a.rc < 0 && a.line == 156 && b.line == 156,
		      "chunks of %zu: the error's line stays (%ld and %ld, 156 expected): %s",
		      chunks[i], a.line, b.line, a.error);
		CHECK_STR(a.error, b.error, "chunks of %zu: the same error", chunks[i]);
		for (k = 0; k < a.n && k < b.n; k++) {
			CHECK_STR(s(a.v[k].title), s(b.v[k].title), "item %d title (chunks of %zu)", k,
				  chunks[i]);
			CHECK_STR(s(a.v[k].body), s(b.v[k].body), "item %d body (chunks of %zu)", k,
				  chunks[i]);
		}
		if (a.n == 3) {
			CHECK_STR(s(a.v[2].title), "u <i>y <i>z", "a document's own <?_fs?> takes no text");
			CHECK(a.v[0].body && strstr(a.v[0].body, "line 149"), "the long run is all there");
			CHECK_STR(s(a.v[1].summary), "a b c", "a run's newlines are text");
		}
		result_free(&a);
		result_free(&b);
	}
	/* a field cut in a section: the warning names the line the section began on (without
	 * sections, the line of the reference where the text grew too long) */
	o.url = "http://example.org/feed";
	o.max_field = 100;
	buf_reset(&doc);
	buf_printf(&doc, "<rss><channel><item><description>\n\n%s</description></item></channel></rss>",
		   buf_cstr(&lines));
	parse_opts(buf_cstr(&doc), doc.len, &o, 1 << 16, &a);
	CHECK(a.warning_line == 3, "a cut section's warning is on its first line (%ld, 3 expected): %s",
	      a.warning_line, a.warning);
	CHECK(strstr(a.warning, "cut at its size limit") != NULL, "the cut is reported: %s", a.warning);
	result_free(&a);
	buf_fini(&lines);
	buf_fini(&doc);
	buf_fini(&with);
}

/* The document's own CDATA sections in element content go the same way: their text as libxml2
 * hands it on (a CR stays, '&' and "]]" are text), and the lines after them, in any chunking. */
static void test_native_sections(void)
{
	static const char body[] =
		"<rss><channel><link><![CDATA[http://example.org/?a=1&b=2]]></link>"
		"<title><![CDATA[A & B]]></title>\n"
		"<item><title><![CDATA[x]]]]><![CDATA[> &amp; <b>y</b>]]></title>"
		"<description><![CDATA[<p>one\r\ntwo\rthree\n\nfour</p>]]>&lt;i&gt;z<![CDATA[]]></description>"
		"<guid><![CDATA[\n  id-1\n]]></guid></item>\n"
		"<item><title>t</title><description>a<![CDATA[\n\n\n]]>b</description></item>\n"
		"<item><title>u</tit></item></channel></rss>\n";
	static const size_t chunks[] = {1, 3, 16, 100, 1 << 16};
	struct result a, b;

	for (size_t i = 0; i < sizeof chunks / sizeof *chunks; i++) {
		parse_both_ways(body, chunks[i], 3, &a, &b);
		CHECK(a.rc < 0 && a.line == 12 && b.line == 12,
		      "chunks of %zu: the error's line stays (%ld and %ld, 12 expected): %s", chunks[i],
		      a.line, b.line, a.error);
		CHECK_STR(a.feed_title, "A & B", "a section's '&' is text");
		CHECK_STR(a.feed_link, "http://example.org/?a=1&b=2", "a link in a section");
		if (a.n == 3) {
			CHECK_STR(s(a.v[0].title), "x]]> & y", "sections side by side, \"]]\" kept");
			CHECK_STR(s(a.v[0].guid), "id-1", "a guid in a section");
			CHECK_STR(s(a.v[1].body), "a b", "a section of newlines between text");
		}
		result_free(&a);
		result_free(&b);
	}
}

/* Inline XHTML is collected as HTML source: '&', '<', '>' and '"' in its text and attribute
 * values are escaped again, at the start, middle and end of a text. */
static void test_xhtml_escaped(void)
{
	static const char doc[] =
		"<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>t</title><entry><id>1</id>"
		"<title type=\"xhtml\"><div xmlns=\"http://www.w3.org/1999/xhtml\">&lt;T&gt; &amp; "
		"\"q\"</div></title><content type=\"xhtml\"><div xmlns=\"http://www.w3.org/1999/xhtml\">"
		"a&amp;b &lt;c&gt; \"q\" <a href=\"/x?a=1&amp;b=&quot;2&quot;&lt;&gt;\">l&quot;</a>&gt;"
		"</div></content></entry></feed>";
	struct result r;

	parse(doc, "http://example.org/", &r);
	CHECK(r.n == 1, "xhtml: one entry, got %d (%s)", r.n, r.error);
	if (r.n == 1) {
		CHECK_STR(s(r.v[0].title), "<T> & \"q\"", "xhtml title: escaped text is text");
		CHECK_STR(s(r.v[0].body), "a&b <c> \"q\" l\">", "xhtml content: its text");
		CHECK_STR(s(r.v[0].content_html),
			  "<div>a&amp;b &lt;c&gt; \"q\" <a href=\"http://example.org/x?a=1&amp;b=&quot;2"
			  "&quot;&lt;&gt;\">l\"</a>&gt;</div>",
			  "xhtml content: its HTML");
	}
	result_free(&r);
}

/* Inline XHTML re-serialised as HTML: a void element (br, img, hr, in any case) is written as
 * its start tag alone, so 100 <br/> cost 400 bytes of the field's limit, not 900 with end tags. */
static void test_xhtml_void(void)
{
	static const char head[] = "<div>a<br><img src=\"http://example.org/i.png\" alt=\"i\">"
				   "<hr><p>b</p><br><br>";
	static const char tail[] = "<br><br>c</div>";
	struct feed_parser_opts o = {0};
	struct buf doc = BUF_INIT;
	struct result r;
	int i;

	buf_puts(&doc, "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>t</title><entry><id>1</id>"
		       "<content type=\"xhtml\"><div xmlns=\"http://www.w3.org/1999/xhtml\">a<BR/>"
		       "<img src=\"/i.png\" alt=\"i\"/><hr/><p>b</p>");
	for (i = 0; i < 100; i++)
		buf_puts(&doc, "<br/>");
	buf_puts(&doc, "c</div></content></entry></feed>");
	o.url = "http://example.org/";
	o.max_field = 600;
	parse_opts(buf_cstr(&doc), doc.len, &o, 1 << 16, &r);
	CHECK(r.n == 1, "xhtml void: one entry, got %d (%s)", r.n, r.error);
	CHECK_STR(r.warning, "", "xhtml void: 100 <br/> and the rest fit in 600 bytes");
	if (r.n == 1) {
		const char *h = s(r.v[0].content_html);
		size_t n = strlen(h);

		CHECK(!strncmp(h, head, sizeof head - 1) && n > sizeof tail &&
			      !strcmp(h + n - (sizeof tail - 1), tail),
		      "xhtml void: its HTML, no end tags for BR, img, hr, br: %s", h);
	}
	result_free(&r);
	buf_fini(&doc);
}

/* parse_opts() by feed_parser_read_fd over fd. */
static void parse_fd(int fd, const struct feed_parser_opts *o, struct result *r)
{
	struct feed_parser *p;
	const char *e;

	memset(r, 0, sizeof *r);
	p = feed_parser_new(o, keep, r);
	r->rc = feed_parser_read_fd(p, fd, "test");
	e = feed_parser_error(p, &r->line);
	snprintf(r->error, sizeof r->error, "%s", e ? e : "");
	feed_parser_free(p);
}

/* doc read by feed_parser_read_fd from a file, or from a pipe a child writes in pieces of
 * piece bytes (0: a file). */
static void parse_read(const char *doc, size_t len, const struct feed_parser_opts *o, size_t piece,
		       struct result *r)
{
	int fds[2];
	pid_t pid;
	FILE *f;

	if (!piece) {
		f = tmpfile();
		CHECK(f && fwrite(doc, 1, len, f) == len && fflush(f) == 0 &&
			  fseek(f, 0, SEEK_SET) == 0,
		      "temporary file");
		parse_fd(fileno(f), o, r);
		fclose(f);
		return;
	}
	CHECK(pipe(fds) == 0, "pipe");
	pid = fork();
	if (pid == 0) {
		size_t off, k;

		close(fds[0]);
		for (off = 0; off < len; off += k) {
			k = len - off > piece ? piece : len - off;
			if (write(fds[1], doc + off, k) != (ssize_t)k)
				_exit(1);
		}
		_exit(0);
	}
	close(fds[1]);
	parse_fd(fds[0], o, r);
	close(fds[0]);
	CHECK(pid > 0 && waitpid(pid, NULL, 0) == pid, "writer");
}

/* feed_parser_read_fd reads the first bytes (and a JSON Feed) straight into the parser's held
 * buffer: the same articles and errors as feed_parser_push in 64 KiB pieces, for documents
 * shorter and longer than what is held (64 KiB), UTF-8 and not, JSON Feed, over the limit,
 * read from a file and from a pipe in pieces of 1 byte to 70,000. */
static void test_read_fd(void)
{
	static const size_t pieces[] = {0, 1, 700, 4096, 5000, 70000};
	struct buf docs[5] = {BUF_INIT, BUF_INIT, BUF_INIT, BUF_INIT, BUF_INIT};
	struct feed_parser_opts o = {0};
	static struct result a, b;
	size_t d, k, i;
	int j;

	for (d = 0; d < 5; d++) {
		size_t items = d == 1 ? 3 : 12;

		buf_puts(&docs[d], d == 3 ? "{\"version\":\"https://jsonfeed.org/version/1.1\","
					    "\"title\":\"J\",\"items\":["
					  : "<rss><channel><title>T</title>\n");
		for (i = 0; i < items; i++) {
			if (d == 3) {
				buf_printf(&docs[d],
					   "%s{\"id\":\"%zu\",\"url\":\"http://x/%zu\","
					   "\"content_text\":\"",
					   i ? "," : "", i, i);
			} else {
				buf_printf(&docs[d],
					   "<item><title>t%zu</title><link>http://x/%zu</link>"
					   "<description>",
					   i, i);
			}
			for (k = 0; k < 20000; k++)
				buf_putc(&docs[d], (char)('a' + (k * 7 + i) % 26));
			if (d == 2 && i == items - 1)
				buf_puts(&docs[d],
					 "caf\xE9"); /* not UTF-8, past the first 64 KiB */
			buf_puts(&docs[d], d == 3 ? "\"}" : "</description></item>\n");
		}
		buf_puts(&docs[d], d == 3 ? "]}" : "</channel></rss>\n");
	}
	for (d = 0; d < 5; d++) {
		o.max_bytes = d == 4 ? 50000 : 0;
		parse_opts(docs[d].data, docs[d].len, &o, 1 << 16, &a);
		for (k = 0; k < sizeof pieces / sizeof *pieces; k++) {
			parse_read(docs[d].data, docs[d].len, &o, pieces[k], &b);
			/* over the limit, what came before it depends on the pieces */
			CHECK(
			    (a.rc < 0) == (b.rc < 0) && (a.n == b.n || (d == 4 && pieces[k])) &&
				!strcmp(a.error, b.error),
			    "document %zu, pieces of %zu: %d/%d articles, rc %d/%d, \"%s\"/\"%s\"",
			    d, pieces[k], a.n, b.n, a.rc, b.rc, a.error, b.error);
			for (j = 0; j < a.n && j < b.n; j++) {
				CHECK_STR(s(b.v[j].title), s(a.v[j].title),
					  "document %zu, title %d", d, j);
				CHECK_STR(s(b.v[j].url), s(a.v[j].url), "document %zu, url %d", d,
					  j);
				CHECK_STR(s(b.v[j].body), s(a.v[j].body), "document %zu, body %d",
					  d, j);
			}
			result_free(&b);
		}
		CHECK(d == 4 ? a.rc < 0 && a.n < 12 : a.rc == 0 && a.n == (d == 1 ? 3 : 12),
		      "document %zu: %d articles, rc %d", d, a.n, a.rc);
		result_free(&a);
		buf_fini(&docs[d]);
	}
}

/* A section whose marker libxml2 reaches during a later push (here it waits for the ';' of an
 * unfinished reference): its text is put aside, and read where its marker stands, in order;
 * one reached during its own push is read where the caller holds it. */
static int keep_late(void *ud, struct article *a, const struct feed_info *f)
{
	struct buf *out = ud;

	(void)f;
	buf_printf(out, "[%s|%s]", s(a->title), s(a->body));
	return 0;
}

static void test_section_late(void)
{
	static const char *const pieces[] = {"<rss><channel><item><title>a &amp", "B\nB", "C",
					     "; c</title><description>", "D\nD", "",
					     "</description></item><item><title>", "E", "",
					     "</title></item></channel></rss>"};
	static const int section[] = {0, 1, 1, 0, 1, 0, 0, 1, 0, 0};
	struct feed_parser_opts o = {0};
	struct feed_info fi;
	struct buf out = BUF_INIT;
	struct feed_xml *x;
	size_t i;
	int rc = 0;

	memset(&fi, 0, sizeof fi);
	x = feed_xml_new(&o, &fi, keep_late, NULL, &out);
	for (i = 0; x && i < sizeof pieces / sizeof *pieces; i++) {
		size_t n = strlen(pieces[i]);

		rc |= section[i] ? feed_xml_push_section(x, pieces[i], n)
				 : feed_xml_push(x, pieces[i], n, i + 1 == sizeof pieces / sizeof *pieces);
	}
	CHECK(rc == 0, "section_late: every push is taken (%d)", rc);
	CHECK_STR(buf_cstr(&out), "[a B BC; c|D D][E|(null)]",
		  "section_late: the sections' text where their markers are");
	feed_xml_free(x);
	buf_fini(&out);
}

/* feed_xml_item_reset() on an item it already reset leaves it as it was; any other item, however
 * little differs (a date, a flag, one string), is reset in full and its memory freed (the ASan
 * build's leak check sees a string left behind), except its candidates' memory: kept, empty, for
 * the next item's text (feed_xml_item_fini frees it). */
static void test_item_reset(void)
{
	struct raw_item it, blank;
	char *kept;
	int k;

	memset(&it, 0, sizeof it);
	feed_xml_item_reset(&it);
	memcpy(&blank, &it, sizeof it);
	feed_xml_item_reset(&it);
	CHECK(!memcmp(&it, &blank, sizeof it), "item_reset: a blank item stays blank");
	CHECK(it.published == DATE_NONE && it.a.fetched == DATE_NONE && it.guid_permalink == 1,
	      "item_reset: a reset item has no dates and a permalink guid");
	for (k = 0; k < 6; k++) {
		switch (k) {
		case 0:
			it.a.title = strdup("t");
			break;
		case 1:
			it.author.uri = strdup("u");
			break;
		case 2:
			it.lang = strdup("en");
			break;
		case 3:
			it.published = 5;
			break;
		case 4:
			it.guid_permalink = 0;
			break;
		default:
			article_add_category(&it.a, "c");
			break;
		}
		feed_xml_item_reset(&it);
		CHECK(!memcmp(&it, &blank, sizeof it), "item_reset: change %d undone", k);
	}
	/* a candidate's text: cleared, its memory kept for the next item, then freed by _fini */
	buf_puts(&it.content.mem, "<p>a body</p>");
	it.content.s = it.content.mem.data;
	it.content.rank = 2;
	kept = it.content.mem.data;
	feed_xml_item_reset(&it);
	CHECK(!it.content.s && !it.content.rank && it.content.mem.data == kept &&
		      it.content.mem.len == 0 && it.content.mem.cap > 0,
	      "item_reset: the content's memory kept, empty (s %p, len %zu)", (void *)it.content.s,
	      it.content.mem.len);
	feed_xml_item_fini(&it);
	CHECK(!it.content.mem.data && !it.content.s, "item_fini: the candidates' memory freed");
}

/* feed_xml_cand_offer(): the text (the collected text or any other string) is copied into the
 * candidate's memory, the xml:base after the text's NUL (none without one); a lower or equal
 * rank leaves the candidate as it was; the memory is reused by the next offer; NULL clears. */
static void test_cand_offer(void)
{
	struct feed_parser_opts o = {0};
	struct feed_info fi;
	struct feed_xml *x;
	struct cand c;
	char *was;

	memset(&fi, 0, sizeof fi);
	memset(&c, 0, sizeof c);
	o.url = "http://e.org/feed";
	x = feed_xml_new(&o, &fi, NULL, NULL, NULL);
	CHECK(x != NULL, "cand_offer: a parser");
	if (!x)
		return;
	buf_puts(&x->text, "collected <b>text</b>");
	feed_xml_cand_offer(x, &c, x->text.data, x->text.len, M_HTML, 2);
	CHECK(c.s && c.s != x->text.data && !strcmp(c.s, "collected <b>text</b>") && c.base &&
		      !strcmp(c.base, "http://e.org/feed") && c.rank == 2 && c.mode == M_HTML &&
		      !strcmp(x->text.data, "collected <b>text</b>"),
	      "cand_offer: the collected text copied (%s, base %s)", s(c.s), s(c.base));
	was = c.mem.data;
	feed_xml_cand_offer(x, &c, "lower", 5, M_TEXT, 1);
	feed_xml_cand_offer(x, &c, "same", 4, M_TEXT, 2);
	CHECK(!strcmp(c.s, "collected <b>text</b>") && c.rank == 2,
	      "cand_offer: a lower or equal rank is not taken (%s)", s(c.s));
	feed_xml_cand_offer(x, &c, "a borrowed string", 17, M_TEXT, 3);
	CHECK(c.s == was && !strcmp(c.s, "a borrowed string") &&
		      !strcmp(s(c.base), "http://e.org/feed") && c.rank == 3 && c.mode == M_TEXT,
	      "cand_offer: a higher rank copied where the last text was (%s, base %s)", s(c.s),
	      s(c.base));
	o.url = NULL;
	feed_xml_cand_clear(&c);
	CHECK(!c.s && c.mem.data == was, "cand_clear: the memory kept");
	feed_xml_cand_offer(x, &c, "no base", 7, M_TEXT, 1);
	CHECK(c.s == was && !strcmp(c.s, "no base") && !c.base, "cand_offer: no base, none kept (%s)",
	      s(c.base));
	feed_xml_cand_offer(x, &c, NULL, 0, M_TEXT, 5);
	CHECK(!c.s && !c.base, "cand_offer: NULL clears the candidate");
	feed_xml_cand_fini(&c);
	feed_xml_free(x);
}

/* feed_xml_escape_next() against a byte loop: each byte HTML source escapes, and bytes next to
 * them ('%', '=', '?', 0xA6, 0xBC: one bit away), at every place of strings of 0-40 bytes, from
 * every start, so that both the sixteen-byte scan and the tail loop find them. */
static void test_escape_next(void)
{
	static const char hits[] = "&<>\"", near[] = "%=?\xa6\xbc.";
	char buf[48];
	size_t n, at, from, want, k, j;
	int bad = 0;

	for (n = 0; n <= 40; n++)
		for (at = 0; at <= n; at++)
			for (k = 0; k < sizeof hits - 1; k++) {
				for (j = 0; j < n; j++)
					buf[j] = near[(j + k) % (sizeof near - 1)];
				if (at < n)
					buf[at] = hits[k];
				for (from = 0; from <= n; from++) {
					want = at < n && at >= from ? at : n;
					if (feed_xml_escape_next(buf, from, n) != want && bad++ < 5)
						CHECK(0, "escape_next: '%c' at %zu of %zu from %zu: %zu", hits[k],
						      at, n, from, feed_xml_escape_next(buf, from, n));
				}
			}
	CHECK(bad == 0, "escape_next: %d wrong answers", bad);
}

/* feed_xml_lookup() (the vocabulary's index) against feed_xml_lookup_scan() (the table's scans):
 * every name of the vocabulary and words near it (case changed in each letter and throughout, a
 * letter left out, one added, the first replaced, empty), in every namespace. */
static void test_vocab_lookup(void)
{
	char w[64];
	const char *name;
	size_t i, j, len;
	int ns, bad = 0, tried = 0;

	for (i = 0; (name = feed_xml_vocab_name(i)); i++) {
		len = strlen(name);
		for (j = 0; j < 2 * len + 6; j++) {
			snprintf(w, sizeof w, "%s", name);
			if (j < len)
				w[j] ^= 0x20; /* one letter's case */
			else if (j < 2 * len)
				memmove(w + (j - len), w + (j - len) + 1, len - (j - len)); /* one left out */
			else if (j == 2 * len)
				strcat(w, "s");
			else if (j == 2 * len + 1)
				w[0] = 'q';
			else if (j == 2 * len + 2)
				w[0] = '\0';
			else if (j == 2 * len + 3)
				for (size_t k = 0; k < len; k++)
					w[k] = (char)(w[k] >= 'a' && w[k] <= 'z' ? w[k] - 32 : w[k]);
			for (ns = NS_OTHER; ns <= NS_FEEDBURNER; ns++) {
				tried++;
				if (feed_xml_lookup((enum ns)ns, w) != feed_xml_lookup_scan((enum ns)ns, w) &&
				    bad++ < 5)
					CHECK(0, "vocab_lookup: '%s' in namespace %d: %d, the scans %d", w, ns,
					      feed_xml_lookup((enum ns)ns, w),
					      feed_xml_lookup_scan((enum ns)ns, w));
			}
		}
	}
	CHECK(bad == 0 && tried > 10000, "vocab_lookup: %d of %d wrong", bad, tried);
}

/* feed_xml_attr_base_lang() against the lookups it stands for, feed_xml_attr_get() and
 * feed_xml_attr_get_ci(): 200,000 random lists of 0-5 attributes named base, BASE, Base, lang,
 * LANG, bases, b, l, la, href, langs, in no namespace, the XML namespace or another. */
static void test_attr_base_lang(void)
{
	static const char *const names[] = {"base", "BASE", "Base", "lang", "LANG", "bases", "b",
					    "l", "la", "href", "langs", "bASE"};
	static const char xml_ns[] = "http://www.w3.org/XML/1998/namespace";
	static const char *const uris[] = {NULL, xml_ns, "http://example.org/ns"};
	static const char *const values[] = {"v0", "v1", "", "v3", "v4"};
	const xmlChar *v[25];
	struct attrs at = {v, 0, NULL};
	struct buf scratch = BUF_INIT;
	unsigned seed = 7;
	int t, i, bad = 0;

	for (t = 0; t < 200000; t++) {
		const char *base, *lang, *want_base, *want_lang;

		at.n = (int)(rand_r(&seed) % 6);
		for (i = 0; i < at.n; i++) {
			const char *val = values[i];

			v[5 * i] = (const xmlChar *)names[rand_r(&seed) % 12];
			v[5 * i + 1] = NULL;
			v[5 * i + 2] = (const xmlChar *)uris[rand_r(&seed) % 3];
			v[5 * i + 3] = (const xmlChar *)val;
			v[5 * i + 4] = (const xmlChar *)val + strlen(val);
		}
		feed_xml_attrs_copy(&at, &scratch);
		feed_xml_attr_base_lang(&at, &base, &lang);
		want_base = feed_xml_attr_get(&at, xml_ns, "base");
		if (!want_base && at.n)
			want_base = feed_xml_attr_get_ci(&at, "base");
		want_lang = feed_xml_attr_get(&at, xml_ns, "lang");
		if (strcmp(s(base), s(want_base)) || strcmp(s(lang), s(want_lang)))
			if (bad++ < 5)
				CHECK(0, "attr_base_lang: list %d: base %s lang %s, expected %s and %s", t,
				      s(base), s(lang), s(want_base), s(want_lang));
	}
	CHECK(bad == 0, "attr_base_lang: %d of 200000 lists read otherwise", bad);
	buf_fini(&scratch);
}

/* feed_xml_attrs_copy(): the values, which libxml2 hands as slices of its input (no NUL after
 * them), come back NUL-terminated and whole, each where its neighbours do not overlap it: empty
 * values, one-byte ones and long ones side by side, the same scratch reused for a second tag
 * (the first tag's values gone), and a tag without attributes. */
static void test_attrs_copy(void)
{
	static const char input[] = "hrefhttp://e.org/aXrelYtype\"text/html\"long";
	const xmlChar *v[25];
	struct attrs at = {v, 0, NULL};
	struct buf scratch = BUF_INIT;
	char longv[300];
	const char *got;

	/* href="http://e.org/a" rel="" type="text/html" title="X" length="<300 bytes>" */
	memset(longv, 'L', sizeof longv - 1);
	longv[sizeof longv - 1] = '\0';
	memset(v, 0, sizeof v);
	v[0] = (const xmlChar *)"href";
	v[3] = (const xmlChar *)input + 4;
	v[4] = v[3] + 14;
	v[5] = (const xmlChar *)"rel";
	v[8] = (const xmlChar *)input + 21;
	v[9] = v[8];
	v[10] = (const xmlChar *)"type";
	v[13] = (const xmlChar *)input + 28;
	v[14] = v[13] + 9;
	v[15] = (const xmlChar *)"title";
	v[18] = (const xmlChar *)input + 18; /* "X" */
	v[19] = v[18] + 1;
	v[20] = (const xmlChar *)"length";
	v[23] = (const xmlChar *)longv;
	v[24] = v[23] + strlen(longv);
	at.n = 5;
	CHECK(feed_xml_attrs_copy(&at, &scratch) == 0, "attrs_copy: 0 for five values");
	CHECK_STR(s(feed_xml_attr_get(&at, NULL, "href")), "http://e.org/a", "attrs_copy: href");
	CHECK_STR(s(feed_xml_attr_get(&at, NULL, "rel")), "", "attrs_copy: an empty rel");
	CHECK_STR(s(feed_xml_attr_get(&at, NULL, "type")), "text/html", "attrs_copy: type after it");
	CHECK_STR(s(feed_xml_attr_get_ci(&at, "TITLE")), "X", "attrs_copy: a one-byte title");
	CHECK_STR(s(feed_xml_attr_get(&at, NULL, "length")), longv, "attrs_copy: a long value last");
	CHECK(!feed_xml_attr_get(&at, NULL, "hreflang"), "attrs_copy: an absent name is NULL");
	got = feed_xml_attr_get(&at, NULL, "href");
	CHECK(got >= scratch.data && got < scratch.data + scratch.cap,
	      "attrs_copy: the values are the scratch's bytes");
	/* a second tag: its values replace the first's in the same memory */
	v[3] = (const xmlChar *)input + 18;
	v[4] = v[3] + 1;
	at.n = 1;
	CHECK(feed_xml_attrs_copy(&at, &scratch) == 0 && scratch.len == 1,
	      "attrs_copy: the scratch emptied for the next tag (len %zu)", scratch.len);
	CHECK_STR(s(feed_xml_attr_get(&at, NULL, "href")), "X", "attrs_copy: the second tag's href");
	CHECK(!feed_xml_attr_get(&at, NULL, "type"), "attrs_copy: the first tag's type is gone");
	at.n = 0;
	CHECK(feed_xml_attrs_copy(&at, &scratch) == 0 && !feed_xml_attr_get(&at, NULL, "href"),
	      "attrs_copy: no attributes, no values");
	buf_fini(&scratch);
}

/* itunes:keywords and media:keywords: one category per comma-separated word, the blanks around
 * each (space, tab, CR, LF) dropped, empty ones skipped. */
static void test_keywords(void)
{
	static const char doc[] =
		"<rss xmlns:itunes=\"http://www.itunes.com/dtds/podcast-1.0.dtd\" "
		"xmlns:media=\"http://search.yahoo.com/mrss/\"><channel>"
		"<item><title>1</title><itunes:keywords> a , b,,c ,&#9; d&#13;&#10;, e e ,"
		"</itunes:keywords></item>"
		"<item><title>2</title><media:keywords>x</media:keywords></item>"
		"<item><title>3</title><itunes:keywords>  ,&#13; ,</itunes:keywords></item>"
		"<item><title>4</title><itunes:keywords><![CDATA[\tp,\r\nq\r\n]]></itunes:keywords>"
		"</item></channel></rss>";
	static const char *const want[] = {"a|b|c|d|e e|", "x|", "", "p|q|"};
	struct result r;
	struct buf got = BUF_INIT;
	size_t i;
	int k;

	parse(doc, NULL, &r);
	CHECK(r.n == 4, "keywords: 4 items, got %d (%s)", r.n, r.error);
	for (k = 0; k < r.n && k < 4; k++) {
		buf_reset(&got);
		for (i = 0; i < r.v[k].n_categories; i++)
			buf_printf(&got, "%s|", r.v[k].categories[i]);
		CHECK_STR(buf_cstr(&got), want[k], "keywords: item %d's categories", k + 1);
	}
	result_free(&r);
	buf_fini(&got);
}

/* A field at the size limit: every length from 40 to 60 bytes (ASCII, and with a two-byte
 * character across the limit) against max_field = 50, read in chunks of 1-7 bytes: up to the
 * limit it is whole and nothing is said; past it, it is cut on a whole character at or under
 * the limit, with a warning. */
static void test_field_limit(void)
{
	struct feed_parser_opts o = {0};
	struct buf doc = BUF_INIT, text = BUF_INIT;
	struct result r;
	size_t len, chunk, want;
	int wide;

	o.max_field = 50;
	for (wide = 0; wide < 2; wide++)
		for (len = 40; len <= 60; len++)
			for (chunk = 1; chunk <= 7; chunk++) {
				buf_reset(&text);
				while (text.len < len)
					buf_puts(&text, wide && text.len + 2 <= len && text.len % 5 == 4
								? "\xc3\xa9"
								: "x");
				buf_reset(&doc);
				buf_printf(&doc, "<rss><channel><item><title>%s</title></item></channel></rss>",
					   buf_cstr(&text));
				parse_opts(buf_cstr(&doc), doc.len, &o, chunk, &r);
				want = text.len;
				if (want > 50)
					for (want = 50; (text.data[want] & 0xC0) == 0x80; want--)
						;
				CHECK(r.n == 1 && strlen(s(r.v[0].title)) == want &&
					      !strncmp(s(r.v[0].title), buf_cstr(&text), want),
				      "field_limit: %zu bytes (wide %d, chunks of %zu): %zu kept, %zu expected",
				      text.len, wide, chunk, r.n ? strlen(s(r.v[0].title)) : 0, want);
				CHECK((text.len > 50) == (strstr(r.warning, "cut at its size limit") != NULL),
				      "field_limit: %zu bytes: warning '%s'", text.len, r.warning);
				result_free(&r);
			}
	buf_fini(&doc);
	buf_fini(&text);
}

int main(void)
{
	test_read_fd();
	test_xhtml_escaped();
	test_xhtml_void();
	test_native_sections();
	test_section_marker();
	test_section_late();
	test_item_reset();
	test_person_strings();
	test_feed_link_trim();
	test_cand_offer();
	test_escape_next();
	test_vocab_lookup();
	test_attr_base_lang();
	test_attrs_copy();
	test_keywords();
	test_field_limit();
	test_xml_fix_places();
	test_xml_fix_names();
	test_cdata_random();
	test_xml_fix_cdata();
	test_xml_fix_cdata_places();
	test_xml_fix_tags();
	test_cdata_same_text();
	test_xml_fix_pieces();
	test_xml_fix_hi_chunks();
	test_standfirst();
	test_encoding_fallback();
	test_encoding_held_cut();
	test_bare_ampersands();
	test_bare_lt();
	test_summary_and_content();
	test_fidelity_misc();
	test_fidelity_diff();
	test_json_writers();
	test_rss2();
	test_atom();
	test_rdf_and_prefixes();
	test_broken();
	test_hostile();
	test_caps();
	test_jsonfeed();
	test_identity();
	test_known();
	return check_exit();
}
