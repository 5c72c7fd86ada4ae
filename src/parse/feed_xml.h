/* SPDX-License-Identifier: MIT */
/* The XML side of the normalizer: libxml2's push parser in SAX2 mode and the RSS/Atom vocabulary
 * that maps elements onto the article model. Input is UTF-8 (charset.c converted it). */
#ifndef FEEDSPOOL_FEED_XML_H
#define FEEDSPOOL_FEED_XML_H

#include <stddef.h>

#include "feed.h"

struct feed_xml;

/* Reports an error or warning found while parsing (line 0 when unknown). */
typedef void (*feed_xml_diag_fn)(void *ud, int is_error, long line, const char *msg);

/* info is borrowed for the parser's life and filled as feed elements are seen. */
struct feed_xml *feed_xml_new(const struct feed_parser_opts *o, struct feed_info *info,
			      feed_article_fn fn, feed_xml_diag_fn diag, void *ud);
void feed_xml_free(struct feed_xml *x);
/* Whether text encoded to UTF-8 twice ("CafÃ©") is repaired (on by default): off for a document
 * feedparser's fallback read as single-byte text, which feedparser takes as it decodes. */
void feed_xml_set_repair_utf8(struct feed_xml *x, int on);
/* Pushes UTF-8; terminate = 1 ends the document. Returns 0, -ECANCELED when the article callback
 * asked to stop, or -EBADMSG once the parser stopped on a fatal error. */
int feed_xml_push(struct feed_xml *x, const char *utf8, size_t n, int terminate);
/* Pushes the text of a CDATA section (n bytes, as libxml2's push parser hands it on: a CR stays)
 * without making libxml2 scan it: the text is put aside and a processing instruction with as
 * many newlines (line numbers stay) marks its place; the text goes to the SAX side when libxml2
 * reaches it. Returns as feed_xml_push, or -ENOMEM. */
int feed_xml_push_section(struct feed_xml *x, const char *text, size_t n);
/* Whether the document was well-formed XML with a feed root element. */
/* Whether libxml2 has seen no well-formedness error so far (after one it drops every entity
 * reference in text). */
int feed_xml_wellformed(const struct feed_xml *x);
int feed_xml_ok(const struct feed_xml *x);
/* Whether a feed element (rss, rdf:RDF, feed, channel) was seen. */
int feed_xml_is_feed(const struct feed_xml *x);
size_t feed_xml_count(const struct feed_xml *x);

#endif
