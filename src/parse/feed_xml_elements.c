/* SPDX-License-Identifier: MIT */
/* The feed vocabulary: the namespaces feeds use, the table of elements read in each, and the
 * lookup of an element (cached per parser on libxml2's interned names). */
#include "autoconfig.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <threads.h>

#include "feed_xml_impl.h"

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

enum ns feed_xml_ns_of(const xmlChar *uri, const xmlChar *prefix)
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

/* The vocabulary indexed three ways, built once: by namespace and name, by the name of an RSS
 * element in lower case, and by the name of an Atom element. Each slot holds an index into
 * vocabulary[] plus one (0: empty); the first entry of a key is the one kept, as the scans of
 * the table found it. */
#define VOCAB_SLOTS 512
enum { BY_NAME, BY_RSS_CI, BY_ATOM, N_INDEXES };
static uint8_t vocab_index[N_INDEXES][VOCAB_SLOTS];
static once_flag vocab_once = ONCE_FLAG_INIT;

static size_t vocab_hash(int which, enum ns ns, const char *name)
{
	uint32_t h = 2166136261u ^ (uint32_t)(which == BY_NAME ? ns : 0);

	for (; *name; name++)
		h = (h ^ (uint8_t)(which == BY_RSS_CI && *name >= 'A' && *name <= 'Z' ? *name | 0x20
									      : *name)) * 16777619u;
	return h & (VOCAB_SLOTS - 1);
}

/* Whether vocabulary entry i answers the key. */
static int vocab_match(int which, size_t i, enum ns ns, const char *name)
{
	switch (which) {
	case BY_NAME:
		return vocabulary[i].ns == ns && !strcmp(vocabulary[i].name, name);
	case BY_RSS_CI:
		return vocabulary[i].ns == NS_RSS && !strcasecmp(vocabulary[i].name, name);
	default:
		return vocabulary[i].ns == NS_ATOM && !strcmp(vocabulary[i].name, name);
	}
}

/* The entry for the key, or -1. */
static int vocab_find(int which, enum ns ns, const char *name)
{
	size_t h = vocab_hash(which, ns, name);

	for (; vocab_index[which][h]; h = (h + 1) & (VOCAB_SLOTS - 1))
		if (vocab_match(which, vocab_index[which][h] - 1u, ns, name))
			return vocab_index[which][h] - 1;
	return -1;
}

static void vocab_build(void)
{
	size_t i;
	int which;

	for (i = 0; i < sizeof vocabulary / sizeof *vocabulary; i++)
		for (which = 0; which < N_INDEXES; which++) {
			enum ns ns = vocabulary[i].ns;
			size_t h;

			if ((which == BY_RSS_CI && ns != NS_RSS) || (which == BY_ATOM && ns != NS_ATOM) ||
			    vocab_find(which, ns, vocabulary[i].name) >= 0)
				continue;
			h = vocab_hash(which, ns, vocabulary[i].name);
			while (vocab_index[which][h])
				h = (h + 1) & (VOCAB_SLOTS - 1);
			vocab_index[which][h] = (uint8_t)(i + 1);
		}
}

static enum el lookup(enum ns ns, const char *name)
{
	int i;

	call_once(&vocab_once, vocab_build);
	if (ns == NS_ATOM03)
		ns = NS_ATOM;
	if ((i = vocab_find(BY_NAME, ns, name)) >= 0)
		return vocabulary[i].el;
	if (ns != NS_RSS)
		return E_OTHER;
	/* RSS 0.9x/2.0 element names are matched without regard to case by feed readers */
	if ((i = vocab_find(BY_RSS_CI, ns, name)) >= 0)
		return vocabulary[i].el;
	/* Atom written without its namespace is still Atom */
	if ((i = vocab_find(BY_ATOM, ns, name)) >= 0)
		return vocabulary[i].el;
	return E_OTHER;
}

/* lookup() as scans of the table (tests compare the two). */
enum el feed_xml_lookup_scan(enum ns ns, const char *name)
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
	for (i = 0; i < sizeof vocabulary / sizeof *vocabulary; i++)
		if (vocabulary[i].ns == ns && (vocabulary[i].name[0] | 0x20) == (name[0] | 0x20) &&
		    !strcasecmp(vocabulary[i].name, name))
			return vocabulary[i].el;
	for (i = 0; i < sizeof vocabulary / sizeof *vocabulary; i++)
		if (vocabulary[i].ns == NS_ATOM && vocabulary[i].name[0] == name[0] &&
		    !strcmp(vocabulary[i].name, name))
			return vocabulary[i].el;
	return E_OTHER;
}

enum el feed_xml_lookup(enum ns ns, const char *name)
{
	return lookup(ns, name);
}

/* Each name the vocabulary knows, for tests: NULL past the end. */
const char *feed_xml_vocab_name(size_t i)
{
	return i < sizeof vocabulary / sizeof *vocabulary ? vocabulary[i].name : NULL;
}

enum el feed_xml_element_of(struct feed_xml *x, const xmlChar *name, const xmlChar *prefix,
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
		enum ns ns = feed_xml_ns_of(uri == prefix ? NULL : uri,
					    uri == prefix ? prefix : NULL);

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

