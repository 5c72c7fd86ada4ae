/* SPDX-License-Identifier: MIT */
/* The XML side of the normalizer: libxml2's push parser in SAX2 mode (never a tree) and the
 * RSS 0.9x/1.0/2.0 and Atom 0.3/1.0 vocabulary, with the namespaces feeds use, mapped onto the
 * article model item by item. This file drives the parser: its setup, the pushes (sections put
 * aside included), text, entity and error callbacks, and the public API; the vocabulary and the
 * element callbacks live in feed_xml_*.c (feed_xml_impl.h says what they share). */
#include "autoconfig.h"

#include "feed_xml.h"

#include <errno.h>
#include <limits.h>
#include <libxml/HTMLparser.h>
#include <libxml/SAX2.h>
#include <libxml/entities.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "date.h"
#include "feed_xml_impl.h"
#include "xml_fix.h"

/* Entity expansion beyond this many times the input (plus a constant) is an attack. */
#define EXPANSION_FACTOR 20
#define EXPANSION_SLACK ((size_t)4 << 20)
/* The target of the processing instruction that marks a section put aside. */
#define SECTION_PI XML_FIX_MARKER_TARGET

/* The document's current line (not an entity's, while one is being expanded). */
static long doc_line(const struct feed_xml *x)
{
	if (!x->ctxt || x->ctxt->inputNr <= 0 || !x->ctxt->inputTab[0])
		return 0;
	return x->ctxt->inputTab[0]->line - x->line_adj;
}

void feed_xml_diag(struct feed_xml *x, int is_error, const char *msg)
{
	if (x->diag)
		x->diag(x->ud, is_error, doc_line(x), msg);
}

/* Text of the document (characters, CDATA, a section put aside), n > 0 or not. */
static void on_text(struct feed_xml *x, const xmlChar *s, int n)
{
	/* An entity that expands far beyond the document is an attack, not a feed. */
	x->chars_out += (size_t)n;
	if (x->chars_out > EXPANSION_SLACK && x->chars_out / EXPANSION_FACTOR > x->bytes_in) {
		if (!x->stopped) {
			x->stopped = 1;
			feed_xml_diag(x, 1,
				      "entity expansion too large (an entity expansion attack?)");
			xmlStopParser(x->ctxt);
		}
		return;
	}
	if (!x->collecting || n <= 0)
		return;
	if (x->cmode == M_XHTML)
		feed_xml_collect_escaped(x, (const char *)s, (size_t)n);
	else
		feed_xml_collect_append(x, (const char *)s, (size_t)n);
}

static void on_chars(void *ctx, const xmlChar *s, int n)
{
	on_text(((xmlParserCtxtPtr)ctx)->_private, s, n);
}

/* The text of a section put aside: it goes to the SAX side as text found where its marker is. */
static void section_text(struct feed_xml *x, const char *s, size_t n, long nl)
{
	/* libxml2 counted the marker's newlines: the text begins where they began */
	x->line_adj = nl;
	on_text(x, (const xmlChar *)s, (int)n);
	x->line_adj = 0;
}

/* The marker of a section put aside (feed_xml_push_section): its text, where it stood. The
 * sections put aside earlier come first; then the one being pushed. */
static void on_pi(void *ctx, const xmlChar *target, const xmlChar *data)
{
	struct feed_xml *x = ((xmlParserCtxtPtr)ctx)->_private;
	size_t n;
	long nl;

	(void)data;
	if (strcmp((const char *)target, SECTION_PI) != 0)
		return;
	if (x->pend_off >= x->pend.len) {
		if (x->sec_live) {
			x->sec_live = 0;
			section_text(x, x->sec_text, x->sec_n, x->sec_nl);
		}
		return;
	}
	memcpy(&n, x->pend.data + x->pend_off, sizeof n);
	memcpy(&nl, x->pend.data + x->pend_off + sizeof n, sizeof nl);
	x->pend_off += sizeof n + sizeof nl;
	section_text(x, x->pend.data + x->pend_off, n, nl);
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
		feed_xml_diag(x, 1, msg);
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
	struct feed_xml *x = malloc(sizeof *x);

	if (!x)
		return NULL;
	memset(x, 0, offsetof(struct feed_xml, frames));
	x->opts = o;
	x->info = info;
	x->fn = fn;
	x->diag = diagfn;
	x->ud = ud;
	x->fupdated = DATE_NONE;
	x->repair_utf8 = 1;
	x->max_field = o->max_field ? o->max_field : FEED_MAX_FIELD_DEFAULT;
	feed_xml_item_reset(&x->item);

	xmlSetExternalEntityLoader(no_loader);
	memset(&x->sax, 0, sizeof x->sax);
	xmlSAXVersion(&x->sax, 2);
	/* keep only what the vocabulary needs: no tree, but the internal subset's entities */
	x->sax.startElementNs = feed_xml_on_start;
	x->sax.endElementNs = feed_xml_on_end;
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
	feed_xml_item_fini(&x->item);
	feed_xml_cand_fini(&x->ftitle);
	feed_xml_cand_fini(&x->fsubtitle);
	feed_xml_cand_fini(&x->flink);
	free(x->adopt_uri);
	free(x->plink_rel);
	free(x->plink_type);
	buf_fini(&x->text);
	buf_fini(&x->pend);
	buf_fini(&x->avals);
	buf_fini(&x->scratch);
	if (x->ctxt) {
		if (x->ctxt->myDoc)
			xmlFreeDoc(x->ctxt->myDoc);
		x->ctxt->myDoc = NULL;
		xmlFreeParserCtxt(x->ctxt);
	}
	free(x);
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
		feed_xml_commit(x);
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
	if (n > INT_MAX)
		return -ENOMEM;
	for (p = text; (p = memchr(p, '\n', n - (size_t)(p - text))); p++)
		nl++;
	/* the bytes the section had ("<![CDATA[" and "]]>" with its text), for the expansion
	 * check; the marker keeps the section's newlines, and so the document's line numbers */
	x->bytes_in += n + 12;
	x->sec_text = text;
	x->sec_n = n;
	x->sec_nl = nl;
	x->sec_live = 1;
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
	if (rc == 0) {
		memcpy(marker + m, "?>", 2);
		rc = push(x, marker, m + 2, 0);
	}
	/* libxml2 has not reached the marker yet (it waits for more of what comes before) */
	if (x->sec_live) {
		x->sec_live = 0;
		if (buf_append(&x->pend, &n, sizeof n) < 0 || buf_append(&x->pend, &nl, sizeof nl) < 0 ||
		    buf_append(&x->pend, text, n) < 0)
			return -ENOMEM;
	}
	return rc;
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
