/* SPDX-License-Identifier: MIT */
/* What the XML normalizer's files share (feed_xml.c, feed_xml_elements.c, feed_xml_fields.c,
 * feed_xml_item.c, feed_xml_start.c, feed_xml_end.c): the parser's state, the element and
 * namespace names, the text candidates, and the functions one file offers the others. */
#ifndef FEEDSPOOL_FEED_XML_IMPL_H
#define FEEDSPOOL_FEED_XML_IMPL_H

#include <libxml/parser.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "article.h"
#include "buf.h"
#include "feed_xml.h"
#include "html.h"

/* libxml2 stops at 256 levels without XML_PARSE_HUGE; our frame stack follows it. */
#define MAX_DEPTH 256

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

/* A text candidate for one field; a higher rank replaces a lower one, the first of a rank wins.
 * s and base lie in mem, which the candidate keeps when it is cleared (the next item's text goes
 * where the last one's was: no malloc and free per field); only feed_xml_cand_fini frees it. */
struct cand {
	char *s;    /* NULL when none */
	enum fmode mode;
	int rank;
	char *base; /* xml:base in effect where it was found, for its links */
	struct buf mem;
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
	size_t max_field; /* the size a field is cut at */

	int nbases;
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
	struct buf avals; /* the values of the start tag being read (struct attrs) */
	struct buf scratch; /* a person's address and name being split (feed_xml_end.c) */

	/* texts of the sections feed_xml_push_section put aside, each a size_t length, a long
	 * newline count and the bytes, until libxml2 reaches their markers */
	struct buf pend;
	size_t pend_off;
	/* the section feed_xml_push_section is pushing the marker of: read where the caller has
	 * it when libxml2 reaches the marker during that push, else put aside in pend */
	const char *sec_text;
	size_t sec_n;
	long sec_nl;
	int sec_live;
	long line_adj; /* newlines of the marker being delivered: not yet in the text */

	/* pointer-keyed cache of (namespace URI, local name) -> element: libxml2 interns both */
	struct {
		const xmlChar *uri, *name;
		uint8_t el;
	} cache[512];

	/* the stacks last: feed_xml_new leaves them unset (only what depth, nbases and nlangs
	 * count is ever read), and zeroes what comes before */
	struct frame frames[MAX_DEPTH + 2];
	char *bases[MAX_DEPTH + 2];
	char *langs[MAX_DEPTH + 2];
};

/* A start tag's attributes as libxml2's SAX2 hands them: five pointers each (local name, prefix,
 * namespace URI, value, end of value), and their values copied with a NUL each, one after the
 * other (feed_xml_attrs_copy): the values feed_xml_attr_get() and the like return. */
struct attrs {
	const xmlChar **v;
	int n;
	const char *vals;
};

static inline const char *cur_base(const struct feed_xml *x)
{
	return x->nbases ? x->bases[x->nbases - 1] : x->opts->url;
}

static inline const char *cur_lang(const struct feed_xml *x)
{
	return x->nlangs ? x->langs[x->nlangs - 1] : NULL;
}

static inline int is_blank(const char *s)
{
	for (; *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return 0;
	return 1;
}

/* feed_xml.c: reports msg at the document's current line. */
void feed_xml_diag(struct feed_xml *x, int is_error, const char *msg);

/* feed_xml_elements.c: the namespace of a URI (or, without one, of a prefix used undeclared)
 * and the element a name is, cached per parser. */
enum ns feed_xml_ns_of(const xmlChar *uri, const xmlChar *prefix);
/* The element a name is in a namespace: from an index of the vocabulary (feed_xml_lookup), and
 * by scans of the table as it was read before the index (feed_xml_lookup_scan, for tests);
 * feed_xml_vocab_name(i) lists the vocabulary's names. */
enum el feed_xml_lookup(enum ns ns, const char *name);
enum el feed_xml_lookup_scan(enum ns ns, const char *name);
const char *feed_xml_vocab_name(size_t i);
/* The element a name is, cached per parser. */
enum el feed_xml_element_of(struct feed_xml *x, const xmlChar *name, const xmlChar *prefix,
			    const xmlChar *uri);

/* feed_xml_fields.c: text helpers, attributes, how a field is read, and its collection. The
 * char * results are the caller's to free; NULL when absent (or out of memory). */
char *feed_xml_trim_dup(const char *s);
/* s without those blanks, cut where it is (s's bytes are changed). */
char *feed_xml_trim_in_place(char *s);
/* A language tag as RFC 5646 writes it ("en_US" becomes "en-US"); NULL when blank. */
char *feed_xml_lang_dup(const char *s);
/* The conversions' options for the parser's texts: valid UTF-8 without NUL, always (the proof is
 * in feed_xml_fields.c). */
extern const struct html_extra feed_xml_valid_utf8;
/* A collected text as plain text in the given layout; NULL when it holds nothing. */
char *feed_xml_to_text(const struct feed_xml *x, const char *s, enum fmode mode,
		       enum html_mode layout);
/* Copies the values of at into scratch (emptied first) for the lookups below, whose results
 * are borrowed from it until it is next copied into: 0, or -ENOMEM (at then has no attributes). */
int feed_xml_attrs_copy(struct attrs *at, struct buf *scratch);
/* An attribute without namespace (ns_uri NULL) or in namespace ns_uri. */
const char *feed_xml_attr_get(const struct attrs *at, const char *ns_uri, const char *name);
/* An attribute without namespace, its name matched without regard to case. */
const char *feed_xml_attr_get_ci(const struct attrs *at, const char *name);
/* The xml:base (else a plain BASE) and xml:lang values in one pass (NULL: absent). */
void feed_xml_attr_base_lang(const struct attrs *at, const char **base, const char **lang);
int feed_xml_attr_get_exists(const struct attrs *at, const char *name);
/* An attribute's URL resolved against the xml:base in effect. */
char *feed_xml_attr_url(struct feed_xml *x, const struct attrs *at, const char *name);
/* An attribute's non-negative integer; -1 when absent or not one. */
int64_t feed_xml_attr_int(const struct attrs *at, const char *name);
/* How an Atom text construct (is_content 0) or content (1) is to be read. */
enum fmode feed_xml_atom_mode(const struct attrs *at, int is_content);
/* Decodes a base64 field in place (text is replaced); returns what the text now is. */
enum fmode feed_xml_unbase64(struct buf *text, enum fmode m);
/* Collection: the element at the current depth collects its text, read as mode. */
void feed_xml_collect_start(struct feed_xml *x, enum fmode mode);
/* Appends to the field, cut (once, with a warning) at the field size limit. */
void feed_xml_collect_append_cut(struct feed_xml *x, const char *s, size_t n);
static inline void feed_xml_collect_append(struct feed_xml *x, const char *s, size_t n)
{
	/* inline: text comes in many short pieces, nearly all of which fit */
	if (!x->cut && x->text.len + n <= x->max_field)
		buf_append(&x->text, s, n);
	else
		feed_xml_collect_append_cut(x, s, n);
}
/* The first i from i where s[0..n) holds a byte HTML source escapes ('&', '<', '>', '"'), or n. */
size_t feed_xml_escape_next(const char *s, size_t i, size_t n);
/* Appends text escaped as HTML source (XHTML text nodes and attribute values). */
void feed_xml_collect_escaped(struct feed_xml *x, const char *s, size_t n);
/* Re-serialises a start tag into the field; returns whether it is a void HTML element (no end
 * tag to write). */
int feed_xml_markup_start(struct feed_xml *x, const xmlChar *name, const struct attrs *at);
void feed_xml_markup_end(struct feed_xml *x, const xmlChar *name);
/* Collection ends: the collected text where it is, in x->text (borrowed until the next
 * collection starts; the caller may change its bytes in place; NULL when out of memory). */
char *feed_xml_collect_end(struct feed_xml *x);
/* The length of s; s may be the collected text (its length is known then). */
static inline size_t feed_xml_text_len(const struct feed_xml *x, const char *s)
{
	/* the text holds no NUL (the converter removed them) */
	return s == x->text.data ? x->text.len : strlen(s);
}

/* feed_xml_item.c: candidates, the item being built and the feed's fields. */
/* Empties c, keeping its memory; feed_xml_cand_fini frees it too. */
void feed_xml_cand_clear(struct cand *c);
void feed_xml_cand_fini(struct cand *c);
/* Offers s (n bytes, borrowed; NULL clears c) for candidate c at rank: copied into c's memory
 * with the xml:base in effect when it is taken. */
void feed_xml_cand_offer(struct feed_xml *x, struct cand *c, const char *s, size_t n,
			 enum fmode mode, int rank);
/* Parses date s into *slot unless the slot holds a date of a higher rank. */
void feed_xml_set_date(int64_t *slot, int *slot_rank, const char *s, int rank);
/* Empties the item for the next one: what it owns is freed, but its candidates' memory is kept
 * (feed_xml_item_fini frees that too). */
void feed_xml_item_reset(struct raw_item *it);
void feed_xml_item_fini(struct raw_item *it);
/* Turns the item into an article, hands it to the callback (which may stop the parser), and
 * resets the item. */
void feed_xml_item_emit(struct feed_xml *x);
/* The feed's candidates become its feed_info fields. */
void feed_xml_commit(struct feed_xml *x);

/* feed_xml_start.c: a link's URL for the item (address, enclosure, link) or the feed. */
void feed_xml_add_link(struct feed_xml *x, const char *href, const char *rel, const char *type,
		       const char *title, int64_t length);
/* libxml2's SAX2 element callbacks (feed_xml_start.c, feed_xml_end.c). */
void feed_xml_on_start(void *ctx, const xmlChar *name, const xmlChar *prefix,
		       const xmlChar *uri, int nb_ns, const xmlChar **ns, int nb_attrs,
		       int nb_defaulted, const xmlChar **attrs);
void feed_xml_on_end(void *ctx, const xmlChar *name, const xmlChar *prefix, const xmlChar *uri);

#endif
