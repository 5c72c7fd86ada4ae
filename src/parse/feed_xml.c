/* SPDX-License-Identifier: MIT */
/* The XML side of the normalizer: libxml2's push parser in SAX2 mode (never a tree) and the
 * RSS 0.9x/1.0/2.0 and Atom 0.3/1.0 vocabulary, with the namespaces feeds use, mapped onto the
 * article model item by item. */
#include "autoconfig.h"

#include "feed_xml.h"

#include <errno.h>
#include <limits.h>
#include <libxml/HTMLparser.h>
#include <libxml/SAX2.h>
#include <libxml/entities.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base64.h"
#include "buf.h"
#include "charset.h"
#include "date.h"
#include "html.h"
#include "url.h"
#include "xml_fix.h"

/* libxml2 stops at 256 levels without XML_PARSE_HUGE; our frame stack follows it. */
#define MAX_DEPTH 256
/* Entity expansion beyond this many times the input (plus a constant) is an attack. */
#define EXPANSION_FACTOR 20
#define EXPANSION_SLACK ((size_t)4 << 20)
/* The target of the processing instruction that marks a section put aside. */
#define SECTION_PI XML_FIX_MARKER_TARGET

enum ns {
	NS_OTHER,
	NS_RSS, /* no namespace, RSS 0.90, RSS 1.0, the RSS 2.0 namespaces */
	NS_ATOM,
	NS_ATOM03,
	NS_RDF,
	NS_DC,
	NS_DCTERMS,
	NS_CONTENT,
	NS_MEDIA,
	NS_ITUNES,
	NS_XHTML,
	NS_SY,
	NS_FEEDBURNER,
};

static const struct {
	const char *uri;
	enum ns ns;
} ns_uris[] = {
	{"http://purl.org/rss/1.0/", NS_RSS},
	{"http://my.netscape.com/rdf/simple/0.9/", NS_RSS},
	{"http://backend.userland.com/rss2", NS_RSS},
	{"http://backend.userland.com/rss", NS_RSS},
	{"http://blogs.law.harvard.edu/tech/rss", NS_RSS},
	{"http://purl.org/net/rss1.1#", NS_RSS},
	{"http://www.w3.org/2005/Atom", NS_ATOM},
	{"http://purl.org/atom/ns#", NS_ATOM03},
	{"http://www.w3.org/1999/02/22-rdf-syntax-ns#", NS_RDF},
	{"http://purl.org/dc/elements/1.1/", NS_DC},
	{"http://purl.org/dc/elements/1.0/", NS_DC},
	{"http://purl.org/dc/terms/", NS_DCTERMS},
	{"http://purl.org/rss/1.0/modules/content/", NS_CONTENT},
	{"http://search.yahoo.com/mrss/", NS_MEDIA},
	{"http://search.yahoo.com/mrss", NS_MEDIA},
	{"http://video.search.yahoo.com/mrss", NS_MEDIA},
	{"http://www.itunes.com/dtds/podcast-1.0.dtd", NS_ITUNES},
	{"http://www.itunes.com/DTDs/Podcast-1.0.dtd", NS_ITUNES},
	{"http://www.w3.org/1999/xhtml", NS_XHTML},
	{"http://purl.org/rss/1.0/modules/syndication/", NS_SY},
	{"http://rssnamespace.org/feedburner/ext/1.0", NS_FEEDBURNER},
};

/* Prefixes used without a declaration, as feedparser also accepts them. */
static const struct {
	const char *prefix;
	enum ns ns;
} ns_prefixes[] = {
	{"atom", NS_ATOM}, {"content", NS_CONTENT}, {"dc", NS_DC}, {"dcterms", NS_DCTERMS},
	{"feedburner", NS_FEEDBURNER}, {"itunes", NS_ITUNES}, {"media", NS_MEDIA}, {"rdf", NS_RDF},
	{"sy", NS_SY}, {"xhtml", NS_XHTML},
};

enum el {
	E_OTHER,
	/* containers */
	E_RSS, E_RDF, E_FEED, E_CHANNEL, E_ITEM, E_ENTRY, E_IMAGE, E_TEXTINPUT, E_SOURCE,
	E_AUTHOR, E_CONTRIBUTOR, E_SKIPHOURS, E_SKIPDAYS, E_MEDIA_GROUP,
	/* text fields */
	E_TITLE, E_LINK, E_DESCRIPTION, E_GUID, E_PUBDATE, E_RSS_AUTHOR, E_CATEGORY, E_LANGUAGE,
	E_LASTBUILDDATE, E_MANAGINGEDITOR, E_TTL, E_HOUR, E_DAY, E_ID, E_UPDATED, E_PUBLISHED,
	E_SUMMARY, E_CONTENT, E_SUBTITLE, E_NAME, E_EMAIL, E_URI, E_ISSUED, E_MODIFIED, E_CREATED,
	E_DC_CREATOR, E_DC_DATE, E_DC_SUBJECT, E_DC_DESCRIPTION, E_DC_LANGUAGE, E_DC_TITLE,
	E_DC_PUBLISHER, E_DCT_ISSUED, E_DCT_MODIFIED, E_DCT_CREATED, E_CONTENT_ENCODED, E_XHTML_BODY,
	E_MEDIA_DESCRIPTION, E_ITUNES_AUTHOR, E_ITUNES_SUMMARY, E_ITUNES_SUBTITLE,
	E_ITUNES_KEYWORDS, E_SY_PERIOD, E_SY_FREQUENCY, E_FB_ORIGLINK, E_MEDIA_TITLE, E_MEDIA_CATEGORY,
	/* attribute-only elements */
	E_ATOM_LINK, E_ENCLOSURE, E_MEDIA_CONTENT, E_MEDIA_THUMBNAIL, E_ITUNES_CATEGORY,
};

static const struct {
	enum ns ns;
	const char *name;
	enum el el;
} vocabulary[] = {
	{NS_RSS, "rss", E_RSS}, {NS_RSS, "channel", E_CHANNEL}, {NS_RSS, "item", E_ITEM},
	{NS_RSS, "image", E_IMAGE}, {NS_RSS, "textinput", E_TEXTINPUT},
	{NS_RSS, "textInput", E_TEXTINPUT}, {NS_RSS, "source", E_SOURCE},
	{NS_RSS, "skipHours", E_SKIPHOURS}, {NS_RSS, "skipDays", E_SKIPDAYS},
	{NS_RSS, "title", E_TITLE}, {NS_RSS, "link", E_LINK}, {NS_RSS, "description", E_DESCRIPTION},
	{NS_RSS, "guid", E_GUID}, {NS_RSS, "pubDate", E_PUBDATE}, {NS_RSS, "author", E_RSS_AUTHOR},
	{NS_RSS, "category", E_CATEGORY}, {NS_RSS, "language", E_LANGUAGE},
	{NS_RSS, "lastBuildDate", E_LASTBUILDDATE}, {NS_RSS, "managingEditor", E_MANAGINGEDITOR},
	{NS_RSS, "ttl", E_TTL}, {NS_RSS, "hour", E_HOUR}, {NS_RSS, "day", E_DAY},
	{NS_RSS, "enclosure", E_ENCLOSURE}, {NS_RSS, "feed", E_FEED}, {NS_RSS, "entry", E_ENTRY},
	{NS_RSS, "body", E_XHTML_BODY}, {NS_RSS, "fullitem", E_CONTENT_ENCODED},
	{NS_RSS, "abstract", E_DC_DESCRIPTION}, {NS_RSS, "tags", E_ITUNES_KEYWORDS},
	{NS_RDF, "RDF", E_RDF},
	{NS_ATOM, "feed", E_FEED}, {NS_ATOM, "entry", E_ENTRY}, {NS_ATOM, "source", E_SOURCE},
	{NS_ATOM, "author", E_AUTHOR}, {NS_ATOM, "contributor", E_CONTRIBUTOR},
	{NS_ATOM, "title", E_TITLE}, {NS_ATOM, "link", E_ATOM_LINK}, {NS_ATOM, "id", E_ID},
	{NS_ATOM, "updated", E_UPDATED}, {NS_ATOM, "published", E_PUBLISHED},
	{NS_ATOM, "summary", E_SUMMARY}, {NS_ATOM, "content", E_CONTENT},
	{NS_ATOM, "subtitle", E_SUBTITLE}, {NS_ATOM, "tagline", E_SUBTITLE},
	{NS_ATOM, "name", E_NAME}, {NS_ATOM, "email", E_EMAIL}, {NS_ATOM, "uri", E_URI},
	{NS_ATOM, "url", E_URI}, {NS_ATOM, "category", E_CATEGORY}, {NS_ATOM, "issued", E_ISSUED},
	{NS_ATOM, "modified", E_MODIFIED}, {NS_ATOM, "created", E_CREATED},
	{NS_ATOM, "homepage", E_URI}, {NS_ATOM, "image", E_IMAGE}, {NS_ATOM, "textinput", E_TEXTINPUT},
	{NS_ATOM, "textInput", E_TEXTINPUT},
	{NS_DC, "creator", E_DC_CREATOR}, {NS_DC, "author", E_DC_CREATOR}, {NS_DC, "date", E_DC_DATE},
	{NS_DC, "subject", E_DC_SUBJECT}, {NS_DC, "description", E_DC_DESCRIPTION},
	{NS_DC, "language", E_DC_LANGUAGE}, {NS_DC, "title", E_DC_TITLE},
	{NS_DC, "publisher", E_DC_PUBLISHER},
	{NS_DCTERMS, "issued", E_DCT_ISSUED}, {NS_DCTERMS, "modified", E_DCT_MODIFIED},
	{NS_DCTERMS, "created", E_DCT_CREATED}, {NS_DCTERMS, "date", E_DC_DATE},
	{NS_CONTENT, "encoded", E_CONTENT_ENCODED},
	{NS_XHTML, "body", E_XHTML_BODY}, {NS_XHTML, "div", E_XHTML_BODY},
	{NS_MEDIA, "group", E_MEDIA_GROUP}, {NS_MEDIA, "content", E_MEDIA_CONTENT},
	{NS_MEDIA, "thumbnail", E_MEDIA_THUMBNAIL}, {NS_MEDIA, "description", E_MEDIA_DESCRIPTION},
	{NS_MEDIA, "title", E_MEDIA_TITLE}, {NS_MEDIA, "category", E_MEDIA_CATEGORY},
	{NS_MEDIA, "keywords", E_ITUNES_KEYWORDS},
	{NS_ITUNES, "author", E_ITUNES_AUTHOR}, {NS_ITUNES, "summary", E_ITUNES_SUMMARY},
	{NS_ITUNES, "subtitle", E_ITUNES_SUBTITLE}, {NS_ITUNES, "keywords", E_ITUNES_KEYWORDS},
	{NS_ITUNES, "category", E_ITUNES_CATEGORY},
	{NS_SY, "updatePeriod", E_SY_PERIOD}, {NS_SY, "updateFrequency", E_SY_FREQUENCY},
	{NS_FEEDBURNER, "origLink", E_FB_ORIGLINK},
};

/* How a collected text is to be read. */
enum fmode {
	M_NONE,  /* not text we can use (base64, an image...) */
	M_TEXT,  /* plain text */
	M_GUESS, /* declared nothing: plain unless it looks like HTML (RSS titles) */
	M_HTML,  /* HTML source (escaped HTML, CDATA) */
	M_XHTML, /* inline XHTML elements: re-serialised as HTML while collecting */
	M_B64_TEXT, /* base64 of plain text (Atom mode="base64", binary types) */
	M_B64_HTML, /* base64 of HTML */
};

/* A text candidate for one field; a higher rank replaces a lower one, the first of a rank wins. */
struct cand {
	char *s;
	enum fmode mode;
	int rank;
	char *base; /* xml:base in effect where it was found, for its links */
};

struct raw_item {
	struct cand title, summary, content, link, guid;
	int guid_permalink;
	char *about; /* rdf:about */
	char *origlink;
	int64_t published, updated;
	int published_rank, updated_rank;
	char *lang;
	struct article a; /* authors, categories, links and enclosures go straight here */
	int has_alternate;
	/* feedparser's model: the first summary-like element is the summary, a second one (before
	 * any full content) the content; full content (content:encoded, Atom content...) marks the
	 * summary as taken, and a summary-like element after it replaces the summary. */
	int has_content;    /* a content:encoded, fullitem or Atom content was seen */
	int summary_taken;  /* a summary was given, or copied from the content */
	int summary_depth;  /* the depth it was given at: a deeper one does not replace it */
	struct cand subtitle; /* itunes:subtitle: the summary when nothing else gives one */
	/* the Atom author being read */
	struct person author;
};

struct frame {
	uint8_t el;
	uint8_t collect;   /* this element started the collection */
	uint8_t markup;    /* an element re-serialised inside an XHTML/HTML collection */
	uint8_t void_el;   /* re-serialised as a void HTML element: no end tag */
	uint8_t set_base;  /* pushed an xml:base */
	uint8_t set_lang;  /* pushed an xml:lang */
};

struct feed_xml {
	xmlParserCtxtPtr ctxt;
	xmlSAXHandler sax;
	const struct feed_parser_opts *opts;
	struct feed_info *info;
	feed_article_fn fn;
	feed_xml_diag_fn diag;
	void *ud;

	struct frame frames[MAX_DEPTH + 2];
	int depth;
	int root_seen, root_ok;
	int in_feed;   /* depth of the feed/channel element, 0 outside */
	int in_item;   /* depth of the current item/entry, 0 outside */
	const xmlChar *started; /* the last element started outside a field (libxml2's dict) */
	const xmlChar *cname;   /* the element whose text is being collected */
	int skip;      /* depth of a subtree we ignore (image, textinput, source), 0 when none */
	int in_author; /* depth of an Atom author/contributor, 0 outside */
	int in_group;  /* inside media:group */
	int author_is_contrib;
	int repair_utf8; /* the document is UTF-8: text encoded twice is repaired */

	/* the field being collected */
	struct buf text;
	int collecting; /* depth of the element that collects, 0 when none */
	enum fmode cmode;
	int cut;

	char *bases[MAX_DEPTH + 2];
	int nbases;
	char *langs[MAX_DEPTH + 2];
	int nlangs;

	struct raw_item item;
	struct cand ftitle, fsubtitle, flink;
	int64_t fupdated;
	int fupdated_rank;
	int fdirty; /* feed candidates changed since feed_commit */
	char *adopt_uri; /* an unknown namespace read as adopt_ns (from the root element) */
	enum ns adopt_ns;
	char *plink_rel, *plink_type; /* an Atom 0.3 link whose URL is its text */

	size_t count;
	size_t bytes_in, chars_out;
	int stopped;   /* the callback asked to stop, or an expansion attack */
	int cancelled;
	char *type_attr;

	/* texts of the sections feed_xml_push_section put aside, each a size_t length, a long
	 * newline count and the bytes, until libxml2 reaches their markers */
	struct buf pend;
	size_t pend_off;
	long line_adj; /* newlines of the marker being delivered: not yet in the text */

	/* pointer-keyed cache of (namespace URI, local name) -> element: libxml2 interns both */
	struct {
		const xmlChar *uri, *name;
		uint8_t el;
	} cache[512];
};

static void feed_commit(struct feed_xml *x);

/* The document's current line (not an entity's, while one is being expanded). */
static long doc_line(const struct feed_xml *x)
{
	if (!x->ctxt || x->ctxt->inputNr <= 0 || !x->ctxt->inputTab[0])
		return 0;
	return x->ctxt->inputTab[0]->line - x->line_adj;
}

static void diag(struct feed_xml *x, int is_error, const char *msg)
{
	if (x->diag)
		x->diag(x->ud, is_error, doc_line(x), msg);
}

/* ---- small helpers ---------------------------------------------------------------------- */

static void cand_free(struct cand *c)
{
	free(c->s);
	free(c->base);
	memset(c, 0, sizeof *c);
}

static const char *cur_base(const struct feed_xml *x)
{
	return x->nbases ? x->bases[x->nbases - 1] : x->opts->url;
}

static const char *cur_lang(const struct feed_xml *x)
{
	return x->nlangs ? x->langs[x->nlangs - 1] : NULL;
}

/* Offers text s (taken over) as a candidate of the given rank. */
static void cand_offer(struct feed_xml *x, struct cand *c, char *s, enum fmode mode, int rank)
{
	if (c->s && c->rank >= rank) {
		free(s);
		return;
	}
	cand_free(c);
	c->s = s;
	c->mode = mode;
	c->rank = rank;
	c->base = cur_base(x) ? strdup(cur_base(x)) : NULL;
}

static int is_blank(const char *s)
{
	for (; *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return 0;
	return 1;
}

static char *trim_dup(const char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	return strndup(s, n);
}

/* A language tag as RFC 5646 writes it: "en_US" (a locale name) becomes "en-US". NULL when
 * blank. */
static char *lang_dup(const char *s)
{
	char *t = trim_dup(s), *c;

	if (t && !*t) {
		free(t);
		return NULL;
	}
	for (c = t; c && *c; c++)
		if (*c == '_')
			*c = '-';
	return t;
}

/* Converts a collected text to plain text in the given layout; NULL when it holds nothing. */
static char *to_text(const struct feed_xml *x, const char *s, enum fmode mode,
		     enum html_mode layout)
{
	struct buf out = BUF_INIT;

	if (!s || mode == M_NONE)
		return NULL;
	if (mode == M_GUESS)
		mode = html_looks_like(s, strlen(s)) ? M_HTML : M_TEXT;
	if (mode == M_TEXT)
		plain_to_text(s, strlen(s), layout, &out);
	else
		html_to_text(s, strlen(s), layout, &out);
	if (x->repair_utf8)
		charset_fix_double_utf8(&out);
	if (!out.len) {
		buf_fini(&out);
		return NULL;
	}
	return buf_steal(&out);
}

static int on_inline_link(void *ud, const char *href, const char *text)
{
	return article_add_inline_link(ud, href, text);
}

static int on_inline_image(void *ud, const char *src, const char *alt)
{
	return article_add_image(ud, src, alt);
}

/* to_text() in blocks for the article's body source, which also sets a->content_html and lists
 * the inline links and images: one parse of the HTML for all of them. */
static char *to_text_rich(const struct feed_xml *x, const struct cand *c, struct article *a)
{
	struct buf out = BUF_INIT, html = BUF_INIT;
	struct html_extra ex = {c->base, &html, on_inline_link, on_inline_image, a};
	enum fmode mode = c->mode;

	if (!c->s || mode == M_NONE)
		return NULL;
	if (mode == M_GUESS)
		mode = html_looks_like(c->s, strlen(c->s)) ? M_HTML : M_TEXT;
	if (mode == M_TEXT) {
		plain_to_text(c->s, strlen(c->s), HTML_BLOCKS, &out);
		if (x->repair_utf8)
			charset_fix_double_utf8(&out);
		html_from_text(buf_cstr(&out), out.len, &html);
	} else {
		html_convert(c->s, strlen(c->s), HTML_BLOCKS, &out, &ex);
		/* the HTML has the text's characters: it needs repair only where the text did */
		if (x->repair_utf8 && charset_fix_double_utf8(&out))
			charset_fix_double_utf8(&html);
	}
	free(a->content_html);
	a->content_html = html.len ? buf_steal(&html) : NULL;
	buf_fini(&html);
	if (!out.len) {
		buf_fini(&out);
		return NULL;
	}
	return buf_steal(&out);
}

/* ---- attributes ------------------------------------------------------------------------- */

struct attrs {
	const xmlChar **v;
	int n;
};

/* The value of attribute name (no namespace, or the given namespace URI), copied; NULL if absent. */
static char *attr_get(const struct attrs *at, const char *ns_uri, const char *name)
{
	int i;

	for (i = 0; i < at->n; i++) {
		const xmlChar **a = at->v + 5 * i;
		const char *uri = (const char *)a[2];

		if (strcmp((const char *)a[0], name) != 0)
			continue;
		if (ns_uri ? !(uri && strcmp(uri, ns_uri) == 0) : uri != NULL)
			continue;
		return strndup((const char *)a[3], (size_t)(a[4] - a[3]));
	}
	return NULL;
}

/* An attribute without namespace, its name matched without regard to case (CDF's HREF). */
static char *attr_get_ci(const struct attrs *at, const char *name)
{
	int i;

	for (i = 0; i < at->n; i++) {
		const xmlChar **a = at->v + 5 * i;

		if (!a[2] && !strcasecmp((const char *)a[0], name))
			return strndup((const char *)a[3], (size_t)(a[4] - a[3]));
	}
	return NULL;
}

static int attr_get_exists(const struct attrs *at, const char *name)
{
	int i;

	for (i = 0; i < at->n; i++)
		if (!strcmp((const char *)at->v[5 * i], name) && !at->v[5 * i + 2])
			return 1;
	return 0;
}

static char *attr_url(struct feed_xml *x, const struct attrs *at, const char *name)
{
	char *v = attr_get(at, NULL, name), *r;

	if (!v)
		return NULL;
	r = url_resolve(cur_base(x), v);
	free(v);
	return r;
}

static int64_t attr_int(const struct attrs *at, const char *name)
{
	char *v = attr_get(at, NULL, name), *end;
	long long n;

	if (!v)
		return -1;
	n = strtoll(v, &end, 10);
	if (end == v || n < 0)
		n = -1;
	free(v);
	return n;
}

/* Atom text constructs and content: type="text|html|xhtml" or a MIME type; Atom 0.3 mode=. */
static enum fmode atom_mode(const struct attrs *at, int is_content)
{
	char *type = attr_get(at, NULL, "type"), *mode = attr_get(at, NULL, "mode");
	enum fmode m = M_TEXT;
	int b64 = 0;

	if (type && is_blank(type)) {
		free(type);
		type = NULL; /* type="" says nothing: text, the default */
	}
	if (type) {
		if (!strcasecmp(type, "html") || !strcasecmp(type, "text/html"))
			m = M_HTML;
		else if (!strcasecmp(type, "xhtml") || !strcasecmp(type, "application/xhtml+xml"))
			m = M_XHTML;
		else if (!strcasecmp(type, "text") || !strncasecmp(type, "text/", 5))
			m = M_TEXT;
		else if (strstr(type, "xml"))
			m = is_content ? M_XHTML : M_TEXT; /* inline XML: its text */
		else
			b64 = 1; /* RFC 4287 4.1.3.3: other types are base64 */
	}
	if (mode) {
		if (!strcasecmp(mode, "base64"))
			b64 = 1;
		else if (!strcasecmp(mode, "xml") && m != M_NONE)
			m = M_XHTML;
		else if (!strcasecmp(mode, "escaped") && m == M_TEXT && type &&
			 strcasecmp(type, "text") && strcasecmp(type, "text/plain"))
			m = M_HTML;
	}
	if (b64)
		m = m == M_HTML ? M_B64_HTML : M_B64_TEXT;
	free(type);
	free(mode);
	return m;
}

/* Decodes a base64 field in place; its mode becomes what the decoded bytes are. */
static enum fmode unbase64(char **s, enum fmode m)
{
	struct buf out = BUF_INIT;

	if (m != M_B64_TEXT && m != M_B64_HTML)
		return m;
	if (base64_decode(*s, strlen(*s), &out) < 0) {
		/* not base64 after all: the text as it is, as feedparser keeps it */
		buf_fini(&out);
		return m == M_B64_HTML ? M_HTML : M_TEXT;
	}
	if (!utf8_valid(buf_cstr(&out), out.len) || memchr(buf_cstr(&out), 0, out.len)) {
		buf_fini(&out);
		return M_NONE; /* binary, not text */
	}
	free(*s);
	*s = buf_steal(&out);
	return m == M_B64_HTML ? M_HTML : M_TEXT;
}

/* ---- element identification -------------------------------------------------------------- */

static enum ns ns_of(const xmlChar *uri, const xmlChar *prefix)
{
	size_t i;

	if (!uri) {
		if (!prefix)
			return NS_RSS;
		for (i = 0; i < sizeof ns_prefixes / sizeof *ns_prefixes; i++)
			if (!strcmp((const char *)prefix, ns_prefixes[i].prefix))
				return ns_prefixes[i].ns;
		return NS_OTHER;
	}
	if (!*uri)
		return NS_RSS;
	{
		size_t len = strlen((const char *)uri);

		/* the lengths tell most URIs apart before their bytes are compared */
		for (i = 0; i < sizeof ns_uris / sizeof *ns_uris; i++)
			if (strlen(ns_uris[i].uri) == len && !memcmp(uri, ns_uris[i].uri, len))
				return ns_uris[i].ns;
	}
	/* itunes' namespace is written with any case */
	if (!strcasecmp((const char *)uri, "http://www.itunes.com/dtds/podcast-1.0.dtd"))
		return NS_ITUNES;
	return NS_OTHER;
}

static enum el lookup(enum ns ns, const char *name)
{
	size_t i;

	if (ns == NS_ATOM03)
		ns = NS_ATOM;
	for (i = 0; i < sizeof vocabulary / sizeof *vocabulary; i++)
		if (vocabulary[i].ns == ns && vocabulary[i].name[0] == name[0] &&
		    !strcmp(vocabulary[i].name, name))
			return vocabulary[i].el;
	if (ns != NS_RSS)
		return E_OTHER;
	/* RSS 0.9x/2.0 element names are matched without regard to case by feed readers */
	for (i = 0; i < sizeof vocabulary / sizeof *vocabulary; i++)
		if (vocabulary[i].ns == ns && (vocabulary[i].name[0] | 0x20) == (name[0] | 0x20) &&
		    !strcasecmp(vocabulary[i].name, name))
			return vocabulary[i].el;
	/* Atom written without its namespace is still Atom */
	for (i = 0; i < sizeof vocabulary / sizeof *vocabulary; i++)
		if (vocabulary[i].ns == NS_ATOM && vocabulary[i].name[0] == name[0] &&
		    !strcmp(vocabulary[i].name, name))
			return vocabulary[i].el;
	return E_OTHER;
}

static enum el element_of(struct feed_xml *x, const xmlChar *name, const xmlChar *prefix,
			  const xmlChar *uri)
{
	size_t h;
	enum el el;

	/* An undeclared prefix comes without URI; key the cache on the prefix then. */
	if (!uri && prefix)
		uri = prefix;
	/* the pointers' bits mixed (dict strings lie close together: their low bits alone collide) */
	h = (size_t)((((uint64_t)(uintptr_t)name * 0x9E3779B97F4A7C15u) ^
		      ((uint64_t)(uintptr_t)uri * 0xC2B2AE3D27D4EB4Fu)) >> 55) &
	    (sizeof x->cache / sizeof *x->cache - 1);
	if (x->cache[h].name == name && x->cache[h].uri == uri)
		return (enum el)x->cache[h].el;
	{
		enum ns ns = ns_of(uri == prefix ? NULL : uri, uri == prefix ? prefix : NULL);

		/* a feed root in a namespace nobody knows lends its vocabulary to that namespace */
		if (ns == NS_OTHER && uri && x->adopt_uri && !strcmp((const char *)uri, x->adopt_uri))
			ns = x->adopt_ns;
		el = lookup(ns, (const char *)name);
	}
	x->cache[h].name = name;
	x->cache[h].uri = uri;
	x->cache[h].el = (uint8_t)el;
	return el;
}

/* ---- collection of text -------------------------------------------------------------------- */

static void collect_start(struct feed_xml *x, enum fmode mode)
{
	buf_reset(&x->text);
	x->collecting = x->depth;
	x->cmode = mode;
	x->cut = 0;
	x->cname = x->started;
	x->frames[x->depth].collect = 1;
}

static void collect_append(struct feed_xml *x, const char *s, size_t n)
{
	size_t max = x->opts->max_field ? x->opts->max_field : FEED_MAX_FIELD_DEFAULT;

	if (x->cut)
		return;
	if (x->text.len + n > max) {
		/* keep what fits, ending on a whole UTF-8 character */
		n = max > x->text.len ? max - x->text.len : 0;
		while (n && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
		char msg[200];

		buf_append(&x->text, s, n);
		x->cut = 1;
		if (x->in_item)
			snprintf(msg, sizeof msg, "item %zu: <%.40s> cut at its size limit (%zu bytes)",
				 x->count + 1, x->cname ? (const char *)x->cname : "?", max);
		else
			snprintf(msg, sizeof msg, "feed <%.40s> cut at its size limit (%zu bytes)",
				 x->cname ? (const char *)x->cname : "?", max);
		diag(x, 0, msg);
		return;
	}
	buf_append(&x->text, s, n);
}

/* Appends text as HTML source: XHTML text nodes must stay text when the HTML is parsed again. */
static void collect_escaped(struct feed_xml *x, const char *s, size_t n)
{
	/* the bytes to escape are all below '?': one compare passes most bytes */
	size_t i, start = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *rep;
		size_t len;

		if (c > '>' || (c != '&' && c != '<' && c != '>' && c != '"'))
			continue;
		rep = c == '&' ? "&amp;" : c == '<' ? "&lt;" : c == '>' ? "&gt;" : "&quot;";
		len = c == '"' ? 6 : c == '&' ? 5 : 4;
		if (i > start)
			collect_append(x, s + start, i - start);
		collect_append(x, rep, len);
		start = i + 1;
	}
	if (n > start)
		collect_append(x, s + start, n - start);
}

static int is_void_element(const char *name)
{
	static const char *const v[] = {"area", "base", "br", "col", "embed", "hr", "img", "input",
					"link", "meta", "param", "source", "track", "wbr", NULL};
	int i;

	for (i = 0; v[i]; i++)
		if ((name[0] | 0x20) == v[i][0] && !strcasecmp(name, v[i]))
			return 1;
	return 0;
}

static void markup_start(struct feed_xml *x, const xmlChar *name, const struct attrs *at)
{
	int i;

	collect_append(x, "<", 1);
	collect_append(x, (const char *)name, strlen((const char *)name));
	for (i = 0; i < at->n; i++) {
		const xmlChar **a = at->v + 5 * i;

		collect_append(x, " ", 1);
		collect_append(x, (const char *)a[0], strlen((const char *)a[0]));
		collect_append(x, "=\"", 2);
		collect_escaped(x, (const char *)a[3], (size_t)(a[4] - a[3]));
		collect_append(x, "\"", 1);
	}
	collect_append(x, ">", 1);
}

static char *collect_take(struct feed_xml *x)
{
	char *s;

	x->collecting = 0;
	/* the text holds no NUL (the converter removed them): its length is known */
	s = malloc(x->text.len + 1);
	if (s) {
		memcpy(s, buf_cstr(&x->text), x->text.len);
		s[x->text.len] = '\0';
	}
	buf_reset(&x->text);
	return s;
}

/* ---- items ------------------------------------------------------------------------------------ */

static void item_reset(struct raw_item *it)
{
	cand_free(&it->title);
	cand_free(&it->summary);
	cand_free(&it->content);
	cand_free(&it->subtitle);
	cand_free(&it->link);
	cand_free(&it->guid);
	free(it->about);
	free(it->origlink);
	free(it->lang);
	free(it->author.name);
	free(it->author.email);
	free(it->author.uri);
	article_fini(&it->a);
	memset(it, 0, sizeof *it);
	article_init(&it->a);
	it->published = it->updated = DATE_NONE;
	it->guid_permalink = 1;
}

static void set_date(int64_t *slot, int *slot_rank, const char *s, int rank)
{
	int64_t t;

	if (*slot != DATE_NONE && *slot_rank > rank)
		return;
	if (date_parse(s, &t) == 0) {
		*slot = t;
		*slot_rank = rank;
	}
}

/* Splits "john@example.com (John Doe)", "John Doe <john@example.com>" and plain names. */
static void add_person_string(struct person **v, size_t *n, const char *s)
{
	struct buf name = BUF_INIT;
	char *email = NULL, *t = trim_dup(s), *at, *b, *e;

	if (!t)
		return;
	at = strchr(t, '@');
	if (at) {
		b = at;
		while (b > t && !strchr(" \t\r\n<>()\"':;,", b[-1]))
			b--;
		e = at;
		while (*e && !strchr(" \t\r\n<>()\"':;,", *e))
			e++;
		if (b < at && e > at + 1) {
			email = strndup(b, (size_t)(e - b));
			if (!strncasecmp(email, "mailto:", 7))
				memmove(email, email + 7, strlen(email + 7) + 1);
			buf_append(&name, t, (size_t)(b - t));
			buf_puts(&name, e);
		}
	}
	if (email) {
		/* what remains of the name loses its brackets and surrounding space; a name
		 * without an address is kept as written ("John (Editor)"), as feedparser keeps it */
		struct buf clean = BUF_INIT;
		size_t i;

		for (i = 0; i < name.len; i++)
			if (!strchr("()<>\"", name.data[i]))
				buf_putc(&clean, name.data[i]);
		free(t);
		t = trim_dup(buf_cstr(&clean));
		buf_fini(&clean);
	}
	/* the same person given twice (dc:creator and itunes:author) counts once */
	{
		size_t i;

		for (i = 0; i < *n; i++)
			if (((*v)[i].name && t && !strcmp((*v)[i].name, t) && !email) ||
			    ((*v)[i].email && email && !strcmp((*v)[i].email, email)))
				goto out;
	}
	person_list_add(v, n, t, email, NULL);
out:
	free(t);
	free(email);
	buf_fini(&name);
}

static int looks_like_url(const char *s)
{
	return !strncasecmp(s, "http://", 7) || !strncasecmp(s, "https://", 8);
}

/* Turns the collected item into an article and hands it to the callback. */
static void item_emit(struct feed_xml *x)
{
	struct raw_item *it = &x->item;
	struct article *a = &it->a;
	char *summary_blocks;

	/* identity first: an item the caller already knows needs no text */
	a->title = to_text(x, it->title.s, it->title.mode, HTML_INLINE);
	if (it->guid.s && !is_blank(it->guid.s)) {
		a->guid = trim_dup(it->guid.s);
		/* a permalink written as a path ("/2024/post") is relative to the document, as
		 * feedparser resolves it; other guids are names, never URLs to resolve */
		if (a->guid && a->guid[0] == '/' && it->guid_permalink && it->guid.base) {
			char *r = url_resolve(it->guid.base, a->guid);

			if (r) {
				free(a->guid);
				a->guid = r;
			}
		}
	} else if (it->about) {
		a->guid = strdup(it->about);
	}
	/* the link: an Atom alternate link, the RSS link, or a permalink guid */
	if (it->link.s && !is_blank(it->link.s)) {
		char *t = trim_dup(it->link.s);

		a->url = url_resolve(it->link.base, t);
		free(t);
	} else if (a->guid && it->guid.s && it->guid_permalink && looks_like_url(a->guid)) {
		a->url = strdup(a->guid);
	} else if (it->about && looks_like_url(it->about)) {
		a->url = strdup(it->about);
	}
	if (it->origlink)
		article_add_link(a, it->origlink, "original", NULL, NULL);
	a->published = it->published;
	a->updated = it->updated;
	a->language = it->lang ? strdup(it->lang)
		      : x->info->language ? strdup(x->info->language) : NULL;
	a->fetched = x->opts->fetched;
	article_make_id(a, x->info->url);
	x->count++;
	if (x->opts->known && x->opts->known(x->opts->known_ud, a)) {
		item_reset(it);
		return;
	}
	/* the summary is converted once: its inline form is its blocks joined by spaces */
	if (!it->summary.s && !it->content.s && it->subtitle.s) {
		it->summary = it->subtitle;
		memset(&it->subtitle, 0, sizeof it->subtitle);
	}
	/* the body's source (the content, else the summary) is read with its HTML and links */
	if (it->content.s)
		a->body = to_text_rich(x, &it->content, a);
	if (a->body)
		summary_blocks = to_text(x, it->summary.s, it->summary.mode, HTML_BLOCKS);
	else
		summary_blocks = to_text_rich(x, &it->summary, a);
	if (summary_blocks) {
		char *c;

		a->summary = strdup(summary_blocks);
		for (c = a->summary; c && (c = strchr(c, '\n')); c++)
			*c = ' ';
	}
	if (!a->body) {
		a->body = summary_blocks;
	} else {
		free(summary_blocks);
		article_make_standfirst(a);
	}
	if (x->fn && x->fn(x->ud, a, x->info) != 0) {
		x->cancelled = 1;
		xmlStopParser(x->ctxt);
	}
	item_reset(it);
}

/* ---- SAX callbacks ---------------------------------------------------------------------------- */

static void push_base_lang(struct feed_xml *x, struct frame *f, const struct attrs *at)
{
	static const char xml_ns[] = "http://www.w3.org/XML/1998/namespace";
	char *v;

	/* a plain "base" attribute counts as xml:base, as in feedparser (CDF's BASE) */
	if ((v = attr_get(at, xml_ns, "base")) || (at->n && (v = attr_get_ci(at, "base")))) {
		char *r = url_resolve(cur_base(x), v);

		free(v);
		if (r) {
			x->bases[x->nbases++] = r;
			f->set_base = 1;
		}
	}
	if ((v = attr_get(at, xml_ns, "lang"))) {
		char *t = lang_dup(v);

		free(v);
		if (t) {
			x->langs[x->nlangs++] = t;
			f->set_lang = 1;
		}
	}
}

/* An Atom link (or an RSS link with an href): the article's address, an enclosure, or a link. */
static void add_link(struct feed_xml *x, const char *href, const char *rel, const char *type,
		     const char *title, int64_t length)
{
	int alternate = !rel || !strcasecmp(rel, "alternate");
	int html = type && (!strcasecmp(type, "text/html") ||
			    !strcasecmp(type, "application/xhtml+xml"));
	/* an alternate of another type (a PDF) is the address only when nothing else is, as in
	 * feedparser, which takes only HTML alternates (an untyped link is text/html) */
	int rank = html ? 3 : type ? 0 : 2;

	if (!href || !*href)
		return;
	if (x->in_item) {
		struct raw_item *it = &x->item;

		if (rel && !strcasecmp(rel, "enclosure")) {
			article_add_enclosure(&it->a, href, type, length);
		} else {
			article_add_link(&it->a, href, rel ? rel : "alternate", type, title);
			/* an HTML alternate is the article's address; another alternate only if none */
			if (alternate && (!it->has_alternate || (html && it->link.rank < 3))) {
				cand_offer(x, &it->link, strdup(href), M_TEXT, rank);
				it->has_alternate |= rank > 0;
			}
		}
	} else if (x->in_feed && alternate) {
		x->fdirty = 1;
		cand_offer(x, &x->flink, strdup(href), M_TEXT, rank);
	}
}

/* Returns 1 when the link had an href, 0 when its URL is its text (Atom 0.3). */
static int start_link(struct feed_xml *x, const struct attrs *at)
{
	char *rel = attr_get(at, NULL, "rel"), *type = attr_get(at, NULL, "type");
	char *href = attr_url(x, at, "href");
	char *title = attr_get(at, NULL, "title");

	if (!href) {
		free(x->plink_rel);
		free(x->plink_type);
		x->plink_rel = rel;
		x->plink_type = type;
		free(title);
		return 0;
	}
	add_link(x, href, rel, type, title, attr_int(at, "length"));
	free(rel);
	free(type);
	free(href);
	free(title);
	return 1;
}

/* Microsoft's CDF: <CHANNEL HREF="..." LASTMOD="..."> are the feed's link and date. */
static void cdf_channel(struct feed_xml *x, const struct attrs *at)
{
	char *v;

	if ((v = attr_get_ci(at, "lastmod"))) {
		set_date(&x->fupdated, &x->fupdated_rank, v, 3);
		x->fdirty = 1;
		free(v);
	}
	if ((v = attr_get_ci(at, "href"))) {
		char *t = trim_dup(v);

		if (t && *t) {
			cand_offer(x, &x->flink, url_resolve(cur_base(x), t), M_TEXT, 1);
			x->fdirty = 1;
		}
		free(t);
		free(v);
	}
}

static void on_start(void *ctx, const xmlChar *name, const xmlChar *prefix, const xmlChar *uri,
		     int nb_ns, const xmlChar **ns, int nb_attrs, int nb_defaulted,
		     const xmlChar **attrs)
{
	struct feed_xml *x = ((xmlParserCtxtPtr)ctx)->_private;
	struct attrs at = {attrs, nb_attrs};
	struct frame *f;
	enum el el;
	int d;

	if (x->depth >= MAX_DEPTH) {
		if (!x->stopped) {
			x->stopped = 1;
			diag(x, 1, "elements nested too deeply");
			xmlStopParser(x->ctxt);
		}
		return;
	}
	d = ++x->depth;
	f = &x->frames[d];
	memset(f, 0, sizeof *f);
	if (!x->collecting)
		x->started = name;

	/* inside a field: XHTML/HTML fields keep the markup, text fields just their text */
	if (x->collecting) {
		if (x->cmode == M_XHTML || x->cmode == M_HTML) {
			markup_start(x, name, &at);
			f->markup = 1;
			f->void_el = (uint8_t)is_void_element((const char *)name);
		}
		return;
	}
	el = element_of(x, name, prefix, uri);
	f->el = (uint8_t)el;
	push_base_lang(x, f, &at);

	/* The feed element is usually the root, but feeds wrapped in other markup (an XHTML page
	 * around an Atom feed) are read too: nothing counts until a feed element opens. */
	if (!x->root_ok) {
		x->root_seen = 1;
		if (el == E_OTHER && uri && ns_of(uri, NULL) == NS_OTHER &&
		    (!strcmp((const char *)name, "feed") || !strcmp((const char *)name, "rss") ||
		     !strcmp((const char *)name, "channel"))) {
			x->adopt_uri = strdup((const char *)uri);
			x->adopt_ns = name[0] == 'f' ? NS_ATOM : NS_RSS;
			memset(x->cache, 0, sizeof x->cache);
			el = element_of(x, name, prefix, uri);
			f->el = (uint8_t)el;
		}
		if (el != E_RSS && el != E_RDF && el != E_FEED && el != E_CHANNEL)
			return;
		x->root_ok = 1;
		if (el == E_FEED) {
			x->in_feed = d;
			if (cur_lang(x) && !x->info->language)
				x->info->language = strdup(cur_lang(x));
		}
	}
	if (x->skip)
		return;

	switch (el) {
	case E_CHANNEL:
		if (!x->in_item) {
			x->in_feed = d;
			cdf_channel(x, &at);
		}
		if (cur_lang(x) && !x->info->language)
			x->info->language = strdup(cur_lang(x));
		return;
	case E_ITEM:
	case E_ENTRY:
		if (x->in_item)
			return; /* an item inside an item: read as part of the outer one */
		if (x->fdirty)
			feed_commit(x);
		item_reset(&x->item);
		x->in_item = d;
		if (cur_lang(x))
			x->item.lang = strdup(cur_lang(x));
		x->item.about = attr_get(&at, "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "about");
		/* Microsoft's CDF: <ITEM HREF="..." LASTMOD="..."> */
		{
			char *v;

			if ((v = attr_get_ci(&at, "lastmod"))) {
				set_date(&x->item.updated, &x->item.updated_rank, v, 2);
				free(v);
			}
			if ((v = attr_get_ci(&at, "href"))) {
				char *u = url_resolve(cur_base(x), v);

				cand_offer(x, &x->item.link, u, M_TEXT, 1);
				free(v);
			}
		}
		return;
	case E_IMAGE:
	case E_TEXTINPUT:
	case E_SOURCE:
		x->skip = d;
		return;
	case E_AUTHOR:
	case E_CONTRIBUTOR:
		x->in_author = d;
		x->author_is_contrib = el == E_CONTRIBUTOR;
		return;
	case E_MEDIA_GROUP:
		x->in_group = d;
		return;
	case E_ATOM_LINK:
		if (!start_link(x, &at))
			collect_start(x, M_TEXT);
		return;
	case E_LINK:
		/* <link href="..."/> written without the Atom namespace */
		if (attr_get_exists(&at, "href")) {
			f->el = E_ATOM_LINK;
			if (!start_link(x, &at))
				collect_start(x, M_TEXT);
			return;
		}
		collect_start(x, M_TEXT);
		return;
	case E_ENCLOSURE:
		if (x->in_item) {
			char *u = attr_url(x, &at, "url"), *type = attr_get(&at, NULL, "type");

			article_add_enclosure(&x->item.a, u, type, attr_int(&at, "length"));
			free(u);
			free(type);
		}
		return;
	case E_MEDIA_CONTENT:
		if (x->in_item) {
			char *u = attr_url(x, &at, "url"), *type = attr_get(&at, NULL, "type");

			article_add_link(&x->item.a, u, "media", type, NULL);
			free(u);
			free(type);
		}
		return;
	case E_MEDIA_THUMBNAIL:
		if (x->in_item) {
			char *u = attr_url(x, &at, "url");

			article_add_link(&x->item.a, u, "thumbnail", NULL, NULL);
			free(u);
		}
		return;
	case E_ITUNES_CATEGORY:
		if (x->in_item) {
			char *t = attr_get(&at, NULL, "text");

			article_add_category(&x->item.a, t);
			free(t);
		}
		return;
	case E_CATEGORY:
		/* Atom categories carry their term in an attribute; RSS ones in text */
		{
			char *term = attr_get(&at, NULL, "term");

			if (term) {
				if (x->in_item)
					article_add_category(&x->item.a, term);
				free(term);
				return;
			}
		}
		collect_start(x, M_TEXT);
		return;
	case E_GUID:
		if (x->in_item) {
			char *p = attr_get(&at, NULL, "isPermaLink");

			x->item.guid_permalink = !(p && !strcasecmp(p, "false"));
			free(p);
		}
		collect_start(x, M_TEXT);
		return;
	case E_TITLE:
		collect_start(x, (uri && ns_of(uri, NULL) == NS_ATOM) || (uri && ns_of(uri, NULL) == NS_ATOM03)
					 ? atom_mode(&at, 0)
					 : M_GUESS);
		return;
	case E_SUMMARY:
	case E_SUBTITLE:
		collect_start(x, atom_mode(&at, 0));
		return;
	case E_CONTENT:
		collect_start(x, atom_mode(&at, 1));
		return;
	case E_DESCRIPTION:
	case E_CONTENT_ENCODED:
	case E_DC_DESCRIPTION:
		collect_start(x, M_HTML);
		return;
	case E_XHTML_BODY:
		collect_start(x, M_XHTML);
		return;
	case E_MEDIA_DESCRIPTION: {
		char *type = attr_get(&at, NULL, "type");

		collect_start(x, type && !strcasecmp(type, "html") ? M_HTML : M_TEXT);
		free(type);
		return;
	}
	case E_OTHER:
	case E_RSS:
	case E_RDF:
	case E_FEED:
	case E_SKIPHOURS:
	case E_SKIPDAYS:
		return;
	default:
		collect_start(x, M_TEXT);
		return;
	}
}

/* Feed-level fields. */
static void end_feed_field(struct feed_xml *x, enum el el, char *s)
{
	struct feed_info *fi = x->info;

	x->fdirty = 1;
	switch (el) {
	case E_TITLE:
		cand_offer(x, &x->ftitle, s, x->cmode, 2);
		return;
	case E_DC_TITLE:
		cand_offer(x, &x->ftitle, s, M_TEXT, 1);
		return;
	case E_DESCRIPTION:
	case E_SUBTITLE:
		cand_offer(x, &x->fsubtitle, s, x->cmode, 2);
		return;
	case E_DC_DESCRIPTION:
	case E_ITUNES_SUBTITLE:
	case E_ITUNES_SUMMARY:
		cand_offer(x, &x->fsubtitle, s, x->cmode, 1);
		return;
	case E_LINK:
		if (!is_blank(s))
			cand_offer(x, &x->flink, s, M_TEXT, 2);
		else
			free(s);
		return;
	case E_LANGUAGE:
	case E_DC_LANGUAGE:
		if (!fi->language)
			fi->language = lang_dup(s);
		break;
	case E_LASTBUILDDATE:
	case E_UPDATED:
	case E_MODIFIED:
	case E_DCT_MODIFIED:
		set_date(&x->fupdated, &x->fupdated_rank, s, 3);
		break;
	case E_DC_DATE:
		set_date(&x->fupdated, &x->fupdated_rank, s, 2);
		break;
	case E_PUBDATE:
	case E_PUBLISHED:
	case E_ISSUED:
		set_date(&x->fupdated, &x->fupdated_rank, s, 1);
		break;
	case E_MANAGINGEDITOR:
	case E_DC_CREATOR:
	case E_ITUNES_AUTHOR:
	case E_RSS_AUTHOR:
		add_person_string(&fi->authors, &fi->n_authors, s);
		break;
	case E_TTL:
		fi->ttl_minutes = atoi(s) > 0 ? atoi(s) : 0;
		break;
	case E_HOUR: {
		int h = atoi(s);

		if (h >= 0 && h <= 24)
			fi->skip_hours |= 1u << (h % 24);
		break;
	}
	case E_DAY: {
		static const char *const days[] = {"Sunday", "Monday", "Tuesday", "Wednesday",
						   "Thursday", "Friday", "Saturday"};
		char *t = trim_dup(s);
		int i;

		for (i = 0; t && i < 7; i++)
			if (!strcasecmp(t, days[i]))
				fi->skip_days |= (uint8_t)(1u << i);
		free(t);
		break;
	}
	case E_SY_PERIOD:
		free(fi->sy_period);
		fi->sy_period = trim_dup(s);
		break;
	case E_SY_FREQUENCY:
		fi->sy_frequency = atoi(s) > 0 ? atoi(s) : 0;
		break;
	default:
		break;
	}
	free(s);
}

static void cand_set(struct feed_xml *x, struct cand *c, char *s, enum fmode mode)
{
	cand_free(c);
	cand_offer(x, c, s, mode, 1);
}

/* description, summary, dc:description, itunes:summary, media:description. */
static void item_summary_like(struct feed_xml *x, char *s, enum fmode m)
{
	struct raw_item *it = &x->item;

	if (it->summary_taken && !it->has_content) {
		/* a second summary before any full content is the content */
		it->has_content = 1;
		if (!it->content.s)
			cand_set(x, &it->content, s, m);
		else
			free(s);
		return;
	}
	if (it->summary_taken && x->depth > it->summary_depth) {
		free(s);
		return;
	}
	cand_set(x, &it->summary, s, m);
	it->summary_taken = 1;
	it->summary_depth = x->depth;
}

/* content:encoded, fullitem, Atom content (full = 1); body, xhtml:body (full = 0). The first
 * one is the content; it stands for the summary until one is given. */
static void item_content_like(struct feed_xml *x, char *s, enum fmode m, int full)
{
	struct raw_item *it = &x->item;

	if (full)
		it->has_content = 1;
	if (m == M_NONE || is_blank(s)) {
		free(s);
		return;
	}
	if (!it->summary_taken) {
		it->summary_taken = 1;
		it->summary_depth = x->depth;
	}
	if (!it->content.s)
		cand_set(x, &it->content, s, m);
	else
		free(s);
}

/* Item-level fields. */
static void end_item_field(struct feed_xml *x, enum el el, char *s)
{
	struct raw_item *it = &x->item;
	enum fmode m = x->cmode;

	switch (el) {
	case E_TITLE:
		cand_offer(x, &it->title, s, m, 2);
		return;
	case E_DC_TITLE:
		cand_offer(x, &it->title, s, M_GUESS, 1);
		return;
	case E_DESCRIPTION:
	case E_SUMMARY:
	case E_DC_DESCRIPTION:
	case E_ITUNES_SUMMARY:
	case E_MEDIA_DESCRIPTION:
		item_summary_like(x, s, m);
		return;
	case E_ITUNES_SUBTITLE:
		cand_offer(x, &it->subtitle, s, m, 1);
		return;
	case E_MEDIA_TITLE:
		cand_offer(x, &it->title, s, M_GUESS, 0);
		return;
	case E_CONTENT_ENCODED:
	case E_CONTENT:
	case E_XHTML_BODY:
		item_content_like(x, s, m, el != E_XHTML_BODY);
		return;
	case E_LINK:
		if (!is_blank(s))
			cand_offer(x, &it->link, s, M_TEXT, it->has_alternate ? 1 : 4);
		else
			free(s);
		return;
	case E_GUID:
	case E_ID:
		cand_offer(x, &it->guid, s, M_TEXT, 2);
		return;
	case E_FB_ORIGLINK:
		if (!it->origlink && !is_blank(s)) {
			char *t = trim_dup(s);

			it->origlink = url_resolve(cur_base(x), t);
			free(t);
		}
		break;
	case E_PUBDATE:
	case E_PUBLISHED:
		set_date(&it->published, &it->published_rank, s, 4);
		break;
	case E_ISSUED:
	case E_DCT_ISSUED:
		set_date(&it->published, &it->published_rank, s, 3);
		break;
	case E_CREATED:
	case E_DCT_CREATED:
		set_date(&it->published, &it->published_rank, s, 2);
		break;
	case E_DC_DATE:
		set_date(&it->published, &it->published_rank, s, 1);
		set_date(&it->updated, &it->updated_rank, s, 1);
		break;
	case E_UPDATED:
	case E_MODIFIED:
	case E_DCT_MODIFIED:
	case E_LASTBUILDDATE: /* in an item too, as feedparser reads it */
		set_date(&it->updated, &it->updated_rank, s, 3);
		break;
	case E_LANGUAGE:
	case E_DC_LANGUAGE: {
		char *t = lang_dup(s);

		if (t) {
			free(it->lang);
			it->lang = t;
		}
		break;
	}
	case E_RSS_AUTHOR:
	case E_DC_CREATOR:
	case E_ITUNES_AUTHOR:
		add_person_string(&it->a.authors, &it->a.n_authors, s);
		break;
	case E_CATEGORY:
	case E_MEDIA_CATEGORY:
	case E_DC_SUBJECT: {
		char *t = to_text(x, s, M_TEXT, HTML_INLINE);

		article_add_category(&it->a, t);
		free(t);
		break;
	}
	case E_ITUNES_KEYWORDS: {
		char *save = NULL, *tok;

		for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			char *t = trim_dup(tok);

			article_add_category(&it->a, t);
			free(t);
		}
		break;
	}
	default:
		break;
	}
	free(s);
}

static void end_author_field(struct feed_xml *x, enum el el, char *s)
{
	struct person *p = &x->item.author;
	char **slot = el == E_NAME ? &p->name : el == E_EMAIL ? &p->email : el == E_URI ? &p->uri : NULL;

	if (slot && !*slot && !is_blank(s)) {
		if (el == E_NAME) {
			*slot = to_text(x, s, M_GUESS, HTML_INLINE);
		} else if (el == E_URI) {
			char *t = trim_dup(s);

			*slot = url_resolve(cur_base(x), t);
			free(t);
		} else {
			*slot = trim_dup(s);
		}
	}
	free(s);
}

static void on_end(void *ctx, const xmlChar *name, const xmlChar *prefix, const xmlChar *uri)
{
	struct feed_xml *x = ((xmlParserCtxtPtr)ctx)->_private;
	int d = x->depth;
	struct frame *f;

	if (d <= 0)
		return;
	f = &x->frames[d];
	x->depth--;
	if (f->markup) {
		if (!f->void_el) {
			collect_append(x, "</", 2);
			collect_append(x, (const char *)name, strlen((const char *)name));
			collect_append(x, ">", 1);
		}
		return;
	}
	if (x->collecting && x->collecting != d)
		return; /* a child of a text field */
	if (f->collect) {
		enum el el = (enum el)f->el;
		char *s = collect_take(x);

		if (!s)
			goto pop;
		x->cmode = unbase64(&s, x->cmode);
		if (x->cmode == M_NONE) {
			free(s);
			goto pop;
		}
		if (el == E_ATOM_LINK) {
			char *t = trim_dup(s), *u = t ? url_resolve(cur_base(x), t) : NULL;

			if (!x->skip && !x->in_author)
				add_link(x, u, x->plink_rel, x->plink_type, NULL, -1);
			free(t);
			free(u);
			free(s);
			goto pop;
		}
		if (x->skip) {
			free(s);
		} else if (x->in_author) {
			end_author_field(x, el, s);
		} else if (x->in_item) {
			end_item_field(x, el, s);
		} else if (x->in_feed || x->root_ok) {
			end_feed_field(x, el, s);
		} else {
			free(s);
		}
		goto pop;
	}
	if (d == x->skip)
		x->skip = 0;
	else if (d == x->in_author) {
		struct person *p = &x->item.author;

		x->in_author = 0;
		if (!x->author_is_contrib && !x->skip) {
			if (x->in_item)
				person_list_add(&x->item.a.authors, &x->item.a.n_authors, p->name,
						p->email, p->uri);
			else
				person_list_add(&x->info->authors, &x->info->n_authors, p->name,
						p->email, p->uri);
		}
		free(p->name);
		free(p->email);
		free(p->uri);
		memset(p, 0, sizeof *p);
	} else if (d == x->in_group) {
		x->in_group = 0;
	} else if (d == x->in_item) {
		x->in_item = 0;
		item_emit(x);
	} else if (d == x->in_feed) {
		x->in_feed = 0;
	}
pop:
	if (f->set_base)
		free(x->bases[--x->nbases]);
	if (f->set_lang)
		free(x->langs[--x->nlangs]);
}

/* Text of the document (characters, CDATA, a section put aside), n > 0 or not. */
static void on_text(struct feed_xml *x, const xmlChar *s, int n)
{
	/* An entity that expands far beyond the document is an attack, not a feed. */
	x->chars_out += (size_t)n;
	if (x->chars_out > EXPANSION_SLACK && x->chars_out / EXPANSION_FACTOR > x->bytes_in) {
		if (!x->stopped) {
			x->stopped = 1;
			diag(x, 1, "entity expansion too large (an entity expansion attack?)");
			xmlStopParser(x->ctxt);
		}
		return;
	}
	if (!x->collecting || n <= 0)
		return;
	if (x->cmode == M_XHTML && x->depth > x->collecting)
		collect_escaped(x, (const char *)s, (size_t)n);
	else if (x->cmode == M_XHTML)
		collect_escaped(x, (const char *)s, (size_t)n);
	else
		collect_append(x, (const char *)s, (size_t)n);
}

static void on_chars(void *ctx, const xmlChar *s, int n)
{
	on_text(((xmlParserCtxtPtr)ctx)->_private, s, n);
}

/* The marker of a section put aside (feed_xml_push_section): its text, where it stood. */
static void on_pi(void *ctx, const xmlChar *target, const xmlChar *data)
{
	struct feed_xml *x = ((xmlParserCtxtPtr)ctx)->_private;
	size_t n;
	long nl;

	(void)data;
	if (strcmp((const char *)target, SECTION_PI) != 0 || x->pend_off >= x->pend.len)
		return;
	memcpy(&n, x->pend.data + x->pend_off, sizeof n);
	memcpy(&nl, x->pend.data + x->pend_off + sizeof n, sizeof nl);
	x->pend_off += sizeof n + sizeof nl;
	/* libxml2 counted the marker's newlines: the text begins where they began */
	x->line_adj = nl;
	on_text(x, (const xmlChar *)x->pend.data + x->pend_off, (int)n);
	x->line_adj = 0;
	x->pend_off += n;
	if (x->pend_off == x->pend.len) {
		buf_reset(&x->pend);
		x->pend_off = 0;
	}
}

/* Undeclared entities: HTML's named entities are what feeds mean by them (&nbsp; &eacute;). */
static xmlEntityPtr on_get_entity(void *ctx, const xmlChar *name)
{
	xmlParserCtxtPtr ctxt = ctx;
	xmlEntityPtr ent = xmlSAX2GetEntity(ctx, name);
	const htmlEntityDesc *d;
	struct buf v = BUF_INIT;

	if (ent || ctxt->inSubset || !ctxt->myDoc)
		return ent;
	if (!ctxt->myDoc->intSubset &&
	    !xmlCreateIntSubset(ctxt->myDoc, BAD_CAST "feed", NULL, NULL))
		return NULL;
	d = htmlEntityLookup(name);
	/* '&' and '<' would be parsed as markup inside an entity: use character references; a
	 * name nobody defines stays as it was written */
	if (!d)
		buf_printf(&v, "&#38;%s;", (const char *)name);
	else if (d->value == '&')
		buf_puts(&v, "&#38;");
	else if (d->value == '<')
		buf_puts(&v, "&#60;");
	else
		buf_put_utf8(&v, d->value);
	ent = xmlAddDocEntity(ctxt->myDoc, name, XML_INTERNAL_GENERAL_ENTITY, NULL, NULL,
			      BAD_CAST buf_cstr(&v));
	buf_fini(&v);
	return ent;
}

static void on_error(void *ud, xmlErrorPtr e)
{
	/* libxml2 hands the structured handler the context's userData: the parser context */
	struct feed_xml *x = ((xmlParserCtxtPtr)ud)->_private;
	int ns_error;
	char msg[512];
	size_t n;

	if (!e || !e->message || e->level == XML_ERR_NONE)
		return;
	snprintf(msg, sizeof msg, "%s", e->message);
	n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	/* libxml2 looks ahead at most 10 MB for the end of one token unless XML_PARSE_HUGE is set,
	 * which we never set: it would buffer the whole token. Say what that means. */
	if (strstr(msg, "Huge input lookup"))
		snprintf(msg, sizeof msg, "one markup token (a CDATA section, comment, tag or "
					  "attribute) is longer than libxml2's 10 MB limit");
	/* Namespace slips (an undeclared dc: prefix) do not make a feed unreadable. */
	ns_error = e->domain == XML_FROM_NAMESPACE;
	/* inside an entity, e->line counts the entity's lines: name the document's line */
	if (x->diag)
		x->diag(x->ud, e->level >= XML_ERR_ERROR && !ns_error, doc_line(x) ? doc_line(x) : e->line,
			msg);
}

/* External entities and DTDs are never loaded, from the network or from files. */
static _Thread_local struct feed_xml *parsing; /* the parser inside xmlParseChunk */

static xmlParserInputPtr no_loader(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
	/* libxml2 asks with a context of its own for the entity: name the feed being parsed */
	if (parsing) {
		struct feed_xml *x = parsing;
		char msg[300];

		snprintf(msg, sizeof msg, "external entity '%.200s' refused (never loaded)",
			 url ? url : id ? id : "?");
		diag(x, 1, msg);
	}
	return NULL;
}

void feed_xml_set_repair_utf8(struct feed_xml *x, int on)
{
	x->repair_utf8 = on;
}

struct feed_xml *feed_xml_new(const struct feed_parser_opts *o, struct feed_info *info,
			      feed_article_fn fn, feed_xml_diag_fn diagfn, void *ud)
{
	struct feed_xml *x = calloc(1, sizeof *x);

	if (!x)
		return NULL;
	x->opts = o;
	x->info = info;
	x->fn = fn;
	x->diag = diagfn;
	x->ud = ud;
	x->fupdated = DATE_NONE;
	x->repair_utf8 = 1;
	item_reset(&x->item);

	xmlSetExternalEntityLoader(no_loader);
	memset(&x->sax, 0, sizeof x->sax);
	xmlSAXVersion(&x->sax, 2);
	/* keep only what the vocabulary needs: no tree, but the internal subset's entities */
	x->sax.startElementNs = on_start;
	x->sax.endElementNs = on_end;
	x->sax.characters = on_chars;
	x->sax.ignorableWhitespace = on_chars;
	x->sax.cdataBlock = on_chars;
	x->sax.getEntity = on_get_entity;
	x->sax.serror = on_error;
	x->sax.startElement = NULL;
	x->sax.endElement = NULL;
	x->sax.reference = NULL;
	x->sax.comment = NULL;
	x->sax.processingInstruction = on_pi;
	x->sax.externalSubset = NULL;
	x->sax.resolveEntity = NULL;
	x->sax.warning = NULL;
	x->sax.error = NULL;
	x->sax.fatalError = NULL;

	x->ctxt = xmlCreatePushParserCtxt(&x->sax, NULL, NULL, 0, o->url);
	if (!x->ctxt) {
		free(x);
		return NULL;
	}
	x->ctxt->_private = x;
	/* NOENT delivers entity text as characters; with the loader above no external entity
	 * is ever read, and libxml2's amplification checks stop billion-laughs documents. */
	xmlCtxtUseOptions(x->ctxt, XML_PARSE_RECOVER | XML_PARSE_NOENT | XML_PARSE_NONET |
					   XML_PARSE_IGNORE_ENC);
	xmlSwitchEncoding(x->ctxt, XML_CHAR_ENCODING_UTF8);
	return x;
}

void feed_xml_free(struct feed_xml *x)
{
	if (!x)
		return;
	while (x->nbases)
		free(x->bases[--x->nbases]);
	while (x->nlangs)
		free(x->langs[--x->nlangs]);
	item_reset(&x->item);
	article_fini(&x->item.a);
	cand_free(&x->ftitle);
	cand_free(&x->fsubtitle);
	cand_free(&x->flink);
	free(x->adopt_uri);
	free(x->plink_rel);
	free(x->plink_type);
	buf_fini(&x->text);
	buf_fini(&x->pend);
	if (x->ctxt) {
		if (x->ctxt->myDoc)
			xmlFreeDoc(x->ctxt->myDoc);
		x->ctxt->myDoc = NULL;
		xmlFreeParserCtxt(x->ctxt);
	}
	free(x);
}

/* Feed-level candidates become feed_info fields; called before each item and at the end, so
 * that items see the feed's title even when a later element would have replaced it. */
static void feed_commit(struct feed_xml *x)
{
	struct feed_info *fi = x->info;

	if (x->ftitle.s) {
		free(fi->title);
		fi->title = to_text(x, x->ftitle.s, x->ftitle.mode, HTML_INLINE);
	}
	if (x->fsubtitle.s) {
		free(fi->subtitle);
		fi->subtitle = to_text(x, x->fsubtitle.s, x->fsubtitle.mode, HTML_INLINE);
	}
	if (x->flink.s) {
		char *t = trim_dup(x->flink.s);

		free(fi->link);
		fi->link = url_resolve(x->flink.base, t);
		free(t);
	}
	fi->updated = x->fupdated;
	fi->generation++;
	x->fdirty = 0;
}

static int push(struct feed_xml *x, const char *utf8, size_t n, int terminate)
{
	if (!x->stopped && !x->cancelled) {
		/* libxml2 takes an int length: feed big buffers in slices */
		parsing = x;
		while (n > (1u << 30)) {
			xmlParseChunk(x->ctxt, utf8, 1 << 30, 0);
			utf8 += 1u << 30;
			n -= 1u << 30;
		}
		xmlParseChunk(x->ctxt, utf8, (int)n, terminate);
		parsing = NULL;
	}
	if (x->fdirty || terminate)
		feed_commit(x);
	if (x->cancelled)
		return -ECANCELED;
	if (x->stopped || (x->ctxt->instate == XML_PARSER_EOF && !terminate))
		return -EBADMSG;
	return 0;
}

int feed_xml_push(struct feed_xml *x, const char *utf8, size_t n, int terminate)
{
	x->bytes_in += n;
	return push(x, utf8, n, terminate);
}

int feed_xml_push_section(struct feed_xml *x, const char *text, size_t n)
{
	char marker[64];
	size_t k = 0, m;
	long nl = 0;
	const char *p;
	int rc;

	if (x->stopped || x->cancelled || x->ctxt->instate == XML_PARSER_EOF)
		return feed_xml_push(x, "", 0, 0); /* nothing more is read: nothing put aside */
	for (p = text; (p = memchr(p, '\n', n - (size_t)(p - text))); p++)
		nl++;
	if (n > INT_MAX || buf_append(&x->pend, &n, sizeof n) < 0 ||
	    buf_append(&x->pend, &nl, sizeof nl) < 0 || buf_append(&x->pend, text, n) < 0)
		return -ENOMEM;
	/* the bytes the section had ("<![CDATA[" and "]]>" with its text), for the expansion
	 * check; the marker keeps the section's newlines, and so the document's line numbers */
	x->bytes_in += n + 12;
	rc = 0;
	m = sizeof "<?" SECTION_PI - 1;
	memcpy(marker, "<?" SECTION_PI, m);
	while (rc == 0 && nl - (long)k > 0) {
		size_t c = (size_t)(nl - (long)k) < sizeof marker - m - 2 ? (size_t)(nl - (long)k)
									  : sizeof marker - m - 2;

		memset(marker + m, '\n', c);
		k += c;
		if (nl - (long)k > 0) {
			rc = push(x, marker, m + c, 0);
			m = 0;
		} else {
			m += c;
		}
	}
	if (rc < 0)
		return rc;
	memcpy(marker + m, "?>", 2);
	return push(x, marker, m + 2, 0);
}

int feed_xml_wellformed(const struct feed_xml *x)
{
	return x->ctxt->wellFormed;
}

int feed_xml_ok(const struct feed_xml *x)
{
	return x->root_ok && !x->stopped && x->ctxt->wellFormed;
}

int feed_xml_is_feed(const struct feed_xml *x)
{
	return x->root_ok;
}

size_t feed_xml_count(const struct feed_xml *x)
{
	return x->count;
}
