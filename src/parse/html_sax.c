/* SPDX-License-Identifier: MIT */
/* libxml2's HTML parser in SAX mode over normalized markup: its events to the layout and the
 * sanitized HTML, a parser context reused per thread, and the push parse that drives it. */
#include "autoconfig.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLparser.h>
#include <libxml/dict.h>
#include <libxml/parserInternals.h>

#include "html_impl.h"
#include "sanitize.h"

/* libxml2 2.9 scans its whole stack of open elements for every end tag it cannot match and for
 * every <body> or <html> tag: deep nesting makes it quadratic. Deeper than this, we convert the
 * input with html_flat_convert() instead, which keeps no stack. */
#define DEPTH_MAX 256
/* A reused parser context interns every tag name it meets; one that grew past these (odd
 * markup, deep input) is freed rather than kept. */
#define DICT_NAMES_MAX 4096
#define NAME_TAB_MAX (2 * DEPTH_MAX)
/* Remembered kinds of libxml2's interned tag names, kept with the parser context whose
 * dictionary interned them (so for as long as the names live); prime, as short names lie a few
 * bytes apart. */
#define KIND_CACHE 127

/* Not HTML_PARSE_NOIMPLIED: without an implied body, libxml2 wraps text that follows a leading
 * inline element ("<b>x</b> y") in a paragraph of its own. */
#define PARSE_OPTIONS                                                                              \
	(HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET |       \
	 HTML_PARSE_NODEFDTD | HTML_PARSE_IGNORE_ENC)

/* Fills k with what we know of name. */
static void slot_fill(struct kind_slot *k, const xmlChar *name)
{
	const char *n = (const char *)name;

	k->name = name;
	k->len = strlen(n);
	k->kind = (unsigned char)html_layout_kind(n);
	k->san = (unsigned char)sanitize_element(n);
	k->el = !strcmp(n, "a") ? EL_A : !strcmp(n, "img") ? EL_IMG : EL_OTHER;
	if (k->san != SAN_KEEP && k->san != SAN_VOID)
		return;
	/* the sanitizer keeps no name that long (its longest are ten bytes): never written */
	if (k->len + 4 > TAG_TEXT_MAX) {
		k->san = SAN_DROP_TAG;
		return;
	}
	k->open[0] = '<';
	memcpy(k->open + 1, n, k->len);
	memcpy(k->close, "</", 2);
	memcpy(k->close + 2, n, k->len);
	k->close[k->len + 2] = '>';
}

/* What we know of one of libxml2's names: they are interned, so the pointer identifies the
 * name. */
static inline const struct kind_slot *slot_of(struct conv *c, const xmlChar *name)
{
	struct kind_slot *k = &c->kinds[(uintptr_t)name % KIND_CACHE];

	if (k->name != name)
		slot_fill(k, name);
	return k;
}

/* Delivers the text held out of the input (html_blank) that libxml2 has read past: an event
 * of the tag after it comes once libxml2 is beyond the tag's '<'. */
static inline int blanks_due(struct conv *c)
{
	const xmlParserInput *in;
	size_t at;

	if (c->blank_next < c->n_blanks) {
		in = c->ctxt->input;
		at = (size_t)in->consumed + (size_t)(in->cur - in->base);
		/* html_flat_blanks()'s first test here: most events have nothing due */
		if (c->blanks[c->blank_next].at < at) {
			html_flat_blanks(c, at);
			return c->too_deep; /* a held br or img stopped the parse */
		}
	}
	return 0;
}

static void on_start_document(void *ctx)
{
	((struct conv *)ctx)->started = 1;
}

/* The run a value that is one marker stands for, or NULL. */
static const char *run_of(const struct conv *c, const xmlChar *v, size_t *len)
{
	const unsigned char *s = v;
	unsigned long cp;
	size_t k;

	if (!s || (s[0] != 0xF3 && s[0] != 0xF4) || !s[1] || !s[2] || !s[3] || s[4])
		return NULL;
	cp = (unsigned long)(s[0] & 7) << 18 | (unsigned long)(s[1] & 0x3F) << 12 |
	     (unsigned long)(s[2] & 0x3F) << 6 | (s[3] & 0x3F);
	k = cp >= 0x100000UL ? cp - 0x100000UL + 65534 : cp - MARK_PLANE;
	if (cp < MARK_PLANE || k >= c->n_runs)
		return NULL;
	*len = c->runs[2 * k + 1];
	return *len ? c->runs_text + c->runs[2 * k] : "";
}

/* Appends an attribute value with its references decoded as libxml2 decodes them in values:
 * as in text, but a numeric reference that is no character ends the value (libxml2 writes
 * it as a NUL). */
static int attr_decode(struct buf *out, const char *s, size_t n)
{
	const char *amp;
	char d[4];
	size_t dlen, used;
	int err = 0;

	while (!err && n) {
		amp = memchr(s, '&', n);
		if (!amp)
			return buf_append(out, s, n);
		err = buf_append(out, s, (size_t)(amp - s));
		n -= (size_t)(amp - s);
		s = amp;
		used = html_ref_decode(s, n, d, &dlen);
		if (n > 1 && s[1] == '#' && (!used || !dlen))
			break;
		if (!err)
			err = used ? buf_append(out, d, dlen) : buf_putc(out, '&');
		used = used ? used : 1;
		s += used;
		n -= used;
	}
	return err;
}

/* How many attribute pointers on_start() keeps on its stack (more: allocated). */
#define ATTS_STACK 16

/*
 * atts with the values the normalizer set aside put back: in out (room pointers), or in a new
 * array in *mine when that is too small; atts itself when nothing was set aside. A decoded
 * value is never longer than its run (a reference is longer than its character), so c->atts
 * is sized once and the pointers into it stay valid.
 */
static const xmlChar **real_atts(struct conv *c, const xmlChar **atts, const xmlChar **out,
				 size_t room, const xmlChar ***mine)
{
	size_t i, n = 0, len, need = 0;
	const char *r;

	*mine = NULL;
	if (!atts || !c->n_runs)
		return atts;
	for (; atts[n]; n += 2)
		if (run_of(c, atts[n + 1], &len))
			need += len + 1;
	if (n + 1 > room && !(out = *mine = calloc(n + 1, sizeof *out))) {
		c->err = -ENOMEM;
		return atts;
	}
	buf_reset(&c->atts);
	if (buf_reserve(&c->atts, need) < 0) {
		c->err = -ENOMEM;
		return atts;
	}
	for (i = 0; i < n; i += 2) {
		out[i] = atts[i];
		out[i + 1] = atts[i + 1];
		if (!(r = run_of(c, atts[i + 1], &len)))
			continue;
		out[i + 1] = (const xmlChar *)c->atts.data + c->atts.len;
		if (attr_decode(&c->atts, r, len) < 0 || buf_putc(&c->atts, '\0') < 0)
			c->err = -ENOMEM;
	}
	out[n] = NULL;
	return out;
}

/* The attributes held in tag (in out, room pointers, or in a new array in *mine), or NULL.
 * Their values are decoded into c->atts, sized once as in real_atts(). */
static const xmlChar **tag_atts(struct conv *c, const struct html_tag_atts *tag,
				const xmlChar **out, size_t room, const xmlChar ***mine)
{
	const struct html_att *a = c->att_tab + tag->first;
	size_t i, need = 0, run, n = tag->n & ~VOID_TAG;

	for (i = 0; i < n; i++)
		if (a[i].run != NO_RUN && a[i].run < c->n_runs)
			need += c->runs[2 * a[i].run + 1] + 1;
	if (2 * n + 1 > room && !(out = *mine = calloc(2 * n + 1, sizeof *out))) {
		c->err = -ENOMEM;
		return NULL;
	}
	buf_reset(&c->atts);
	if (buf_reserve(&c->atts, need + 1) < 0) {
		c->err = -ENOMEM;
		return NULL;
	}
	for (i = 0; i < n; i++) {
		out[2 * i] = (const xmlChar *)c->att_names + a[i].name;
		out[2 * i + 1] = (const xmlChar *)"";
		run = a[i].run;
		if (run == NO_RUN || run >= c->n_runs || !c->runs[2 * run + 1])
			continue;
		out[2 * i + 1] = (const xmlChar *)c->atts.data + c->atts.len;
		if (attr_decode(&c->atts, c->runs_text + c->runs[2 * run], c->runs[2 * run + 1]) <
			0 ||
		    buf_putc(&c->atts, '\0') < 0)
			c->err = -ENOMEM;
	}
	out[2 * n] = NULL;
	return out;
}

/*
 * The attributes html_markup_normalize() held for the start tag whose event this is (as
 * tag_atts()), or NULL: the event of a tag that has some comes with libxml2's input just past
 * the tag's name (libxml2 starts the html, head and body it implies there too, and none of those
 * has any). A held br's or img's are not for it: their offset is where the tag would begin, where
 * the paragraph libxml2 implies for text before it starts.
 */
static const xmlChar **held_atts(struct conv *c, const struct kind_slot *k, const xmlChar **out,
				 size_t room, const xmlChar ***mine)
{
	const xmlParserInput *in = c->ctxt->input;
	size_t at = (size_t)in->consumed + (size_t)(in->cur - in->base);

	*mine = NULL;
	while (c->tag_next < c->n_tags && c->tags[c->tag_next].at < at)
		c->tag_next++;
	if (c->tag_next >= c->n_tags || c->tags[c->tag_next].at != at ||
	    (c->tags[c->tag_next].n & VOID_TAG) ||
	    (k->len == 4 && (!memcmp(k->name, "html", 4) || !memcmp(k->name, "head", 4) ||
			     !memcmp(k->name, "body", 4))))
		return NULL;
	return tag_atts(c, &c->tags[c->tag_next++], out, room, mine);
}

static void on_start(void *ctx, const xmlChar *name, const xmlChar **atts)
{
	struct conv *c = ctx;
	const xmlChar *stack[ATTS_STACK], **mine;
	const struct kind_slot *k;
	int stop;

	if (c->too_deep)
		return;
	if (c->ctxt->nameNr > DEPTH_MAX) {
		c->too_deep = 1;
		xmlStopParser(c->ctxt);
		return;
	}
	c->pushed = name;
	stop = blanks_due(c);
	c->pushed = NULL;
	if (stop)
		return;
	k = slot_of(c, name);
	html_layout_open(c, (enum tag_kind)k->kind);
	if (c->x && c->x->html) {
		atts = c->tags ? held_atts(c, k, stack, ATTS_STACK, &mine)
			       : real_atts(c, atts, stack, ATTS_STACK, &mine);
		html_out_start(c, k, atts);
		if (mine)
			free(mine);
	}
}

/* Whether libxml2's name is s (its names are interned, but those it implies are not). */
static int name_is(const xmlChar *name, const char *s)
{
	return strcmp((const char *)name, s) == 0;
}

/*
 * A held br or img (html_markup.c, void_hold), due at the event being made: its start and end
 * events if libxml2 would have made just those at its offset, with the state it had there
 * (html_markup.c says when). That state is libxml2's now, but for the element just pushed when
 * the event is its start (c->pushed): libxml2 reports every push and pop, the ends before their
 * pop and the starts after their push, so nothing else changed since. Otherwise the parse stops
 * for a conversion without held ones (too_deep 2).
 */
void html_sax_void(struct conv *c, const struct html_blank *b)
{
	const htmlParserCtxtPtr ctxt = c->ctxt;
	const xmlChar *name = (const xmlChar *)(b->run & VOID_IMG ? "img" : "br");
	const xmlChar *stack[ATTS_STACK], **atts = NULL, **mine = NULL;
	const struct kind_slot *k;
	int nr = ctxt->nameNr, i;

	if (c->pushed) {
		/* pushing these may have changed ctxt->html */
		if (nr <= 0 || ctxt->nameTab[nr - 1] != c->pushed || name_is(c->pushed, "html") ||
		    name_is(c->pushed, "head") || name_is(c->pushed, "body"))
			goto again;
		nr--;
	}
	/* htmlAutoClose(): br and img close head; htmlCheckImplied(): html, body */
	if (nr <= 0 || name_is(ctxt->nameTab[nr - 1], "head"))
		goto again;
	for (i = 0; ctxt->html < 10 && i < nr; i++)
		if (name_is(ctxt->nameTab[i], "body") || name_is(ctxt->nameTab[i], "head"))
			break;
	if (i == nr)
		goto again;
	if (nr + 1 > DEPTH_MAX) { /* as on_start() */
		c->too_deep = 1;
		xmlStopParser(ctxt);
		return;
	}
	k = slot_of(c, name);
	html_layout_open(c, (enum tag_kind)k->kind);
	if (c->x && c->x->html) {
		if (b->n != NO_RUN)
			atts = tag_atts(c, &c->tags[b->n], stack, ATTS_STACK, &mine);
		html_out_start(c, k, atts);
		free(mine);
		html_out_end(c, k);
	}
	html_layout_close(c, (enum tag_kind)k->kind);
	return;
again:
	c->too_deep = 2;
	xmlStopParser(ctxt);
}

static void on_end(void *ctx, const xmlChar *name)
{
	struct conv *c = ctx;

	const struct kind_slot *k;

	if (c->too_deep || blanks_due(c))
		return;
	k = slot_of(c, name);
	if (c->x && c->x->html)
		html_out_end(c, k);
	html_layout_close(c, (enum tag_kind)k->kind);
}

static void on_text(void *ctx, const xmlChar *s, int len)
{
	struct conv *c = ctx;

	if (!c->too_deep && len > 0 && !blanks_due(c))
		html_flat_expand(c, (const char *)s, (size_t)len);
}

/* Parse errors are expected (feed HTML is rarely valid) and worth nothing to us; taking them
 * here also keeps them from a structured error handler another module may have set. */
static void on_error(void *ctx, xmlErrorPtr err)
{
	(void)ctx;
	(void)err;
}

static const htmlSAXHandler sax = {
    .startDocument = on_start_document,
    .startElement = on_start,
    .endElement = on_end,
    .characters = on_text,
    .ignorableWhitespace = on_text,
    .cdataBlock = on_text,
    .serror = on_error,
    .initialized = XML_SAX2_MAGIC,
};

/* One parser context per thread, reused: creating one costs more than converting a short item. */
static __thread htmlParserCtxtPtr cached_ctxt;

static htmlParserCtxtPtr ctxt_take(void)
{
	htmlParserCtxtPtr ctxt = cached_ctxt;

	/* Taken, not borrowed: a conversion nested in another gets a context of its own. */
	cached_ctxt = NULL;
	if (!ctxt) {
		ctxt = htmlNewParserCtxt();
		if (!ctxt)
			return NULL;
		*ctxt->sax = sax;
		ctxt->_private = calloc(KIND_CACHE, sizeof(struct kind_slot));
		if (!ctxt->_private) {
			htmlFreeParserCtxt(ctxt);
			return NULL;
		}
	}
	return ctxt;
}

static void ctxt_give(htmlParserCtxtPtr ctxt, int broken)
{
	/* Frees the input's copies now rather than at the next conversion. */
	htmlCtxtReset(ctxt);
	if (broken || cached_ctxt || xmlDictSize(ctxt->dict) > DICT_NAMES_MAX ||
	    ctxt->nameMax > NAME_TAB_MAX) {
		free(ctxt->_private);
		htmlFreeParserCtxt(ctxt);
		return;
	}
	cached_ctxt = ctxt;
}

/*
 * Parses s[0..n) with the reused context as a push parser given the whole input at once:
 * htmlParseDocument() (what htmlCtxtReadMemory() runs) copies the current element's name for
 * every element and checks each start tag's implied end tags twice, which the push parser
 * does not (10% of the parse; the events are the same, test_html and outputs.sh check it). The
 * set-up is htmlCreatePushParserCtxt()'s on a reset context: input in UTF-8 (no guessing from
 * the bytes), no growth callbacks. Returns whether the parse ran (else the caller parses s
 * with htmlCtxtReadMemory()).
 */
#if LIBXML_VERSION < 21100
static int push_parse(htmlParserCtxtPtr ctxt, const char *s, size_t n)
{
	xmlParserInputPtr stream;

	/* a last '<' is text to htmlParseDocument(), lost to the push parser (which waits for what
	 * follows it): the caller parses such input as before */
	if (s[n - 1] == '<' || s[n] != '\0')
		return 0;
	htmlCtxtReset(ctxt);
	/* The input is s itself, NUL-terminated, with no input buffer behind it: nothing is copied
	 * and the parser measures what is left by the length, not by asking a buffer per token
	 * (xmlBufUse(), 12M instructions over the real-feeds corpus). */
	stream = xmlNewInputStream(ctxt);
	if (!stream)
		return 0;
	stream->base = stream->cur = (const xmlChar *)s;
	stream->end = (const xmlChar *)s + n;
	stream->length = (int)n;
	inputPush(ctxt, stream);
	ctxt->charset = XML_CHAR_ENCODING_UTF8;
	htmlCtxtUseOptions(ctxt, PARSE_OPTIONS);
	ctxt->progressive = 1;
	htmlParseChunk(ctxt, NULL, 0, 1);
	/* The push parser ends the document where its last open element ends ("</td>x", or
	 * "</html>" and more) and may leave elements open there: htmlParseDocument() reads on,
	 * and closes what is open at the end, so we do too, from where it stopped. */
	while (ctxt->instate == XML_PARSER_EOF && !((struct conv *)ctxt->userData)->too_deep &&
	       ctxt->input && (ctxt->input->cur < ctxt->input->end || ctxt->nameNr > 0)) {
		const xmlChar *at = ctxt->input->cur;
		int depth = ctxt->nameNr;

		ctxt->instate = XML_PARSER_CONTENT;
		htmlParseChunk(ctxt, NULL, 0, 1);
		if (ctxt->input->cur == at && ctxt->nameNr == depth)
			break;
	}
	if (ctxt->myDoc) /* never made by our SAX handler; freed as htmlDoRead() would */
		xmlFreeDoc(ctxt->myDoc);
	ctxt->myDoc = NULL;
	return 1;
}
#else
/* libxml2 2.11 and later deprecate the calls above: htmlCtxtReadMemory() as before. */
static int push_parse(htmlParserCtxtPtr ctxt, const char *s, size_t n)
{
	(void)ctxt;
	(void)s;
	(void)n;
	return 0;
}
#endif

/* Whether a held br or img is still to be delivered. */
static int voids_left(const struct conv *c)
{
	size_t i;

	for (i = c->blank_next; c->n_voids && i < c->n_blanks; i++)
		if (c->blanks[i].off == HELD_VOID)
			return 1;
	return 0;
}

int html_sax_convert(struct conv *c, const char *s, size_t n)
{
	htmlParserCtxtPtr ctxt = ctxt_take();
	int nomem;

	if (!ctxt)
		return -ENOMEM;
	c->ctxt = ctxt;
	c->kinds = ctxt->_private;
	ctxt->userData = c;
	if (!push_parse(ctxt, s, n)) {
		/* the pull parser reports an autoclose before it steps over the tag's name, where a
		 * held br or img before the tag is not yet due */
		if (c->n_voids) {
			c->ctxt = NULL;
			ctxt_give(ctxt, 0);
			return -EAGAIN;
		}
		htmlCtxtReadMemory(ctxt, s, (int)n, NULL, "UTF-8", PARSE_OPTIONS);
	}
	nomem = !c->started || ctxt->errNo == XML_ERR_NO_MEMORY;
	c->ctxt = NULL;
	ctxt_give(ctxt, nomem);
	if (nomem)
		return -ENOMEM;
	/* a held br or img was not where libxml2 only starts and ends it, or none of its events
	 * came past one */
	if (c->too_deep == 2 || (!c->too_deep && voids_left(c)))
		return -EAGAIN;
	c->html_done = c->x && c->x->html && !c->too_deep;
	/* text before a tag that made no event (an end tag closing nothing) at the end */
	if (!c->too_deep)
		html_flat_blanks(c, SIZE_MAX);
	if (c->too_deep) {
		struct buf *out = c->out;
		enum html_mode mode = c->mode;
		const struct html_extra *x = c->x;
		size_t start = c->start, n_runs = c->n_runs;
		const char *runs_text = c->runs_text;
		const size_t *runs = c->runs;
		const struct html_blank *blanks = c->blanks;
		size_t n_blanks = c->n_blanks;
		const char *held_in = c->held_in;
		const struct html_tag_atts *tags = c->tags;
		size_t n_tags = c->n_tags, n_voids = c->n_voids;
		const struct html_att *att_tab = c->att_tab;
		const char *att_names = c->att_names;

		html_layout_truncate(c, start);
		free(c->a_href);
		buf_fini(&c->atts);
		html_layout_init(c, out, mode);
		c->x = x;
		c->runs_text = runs_text;
		c->runs = runs;
		c->n_runs = n_runs;
		c->blanks = blanks;
		c->n_blanks = n_blanks;
		c->held_in = held_in;
		c->tags = tags;
		c->n_tags = n_tags;
		c->n_voids = n_voids;
		c->att_tab = att_tab;
		c->att_names = att_names;
		html_flat_convert(c, s, n);
	}
	return 0;
}
