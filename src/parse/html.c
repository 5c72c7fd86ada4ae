/* SPDX-License-Identifier: MIT */
/* HTML fragments and plain text to the seed layout's text (one line per block), using libxml2's
 * HTML parser in SAX mode behind a tokenizer of our own that feeds it only what it needs. */
#include "autoconfig.h"

#include "html.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLparser.h>
#include <libxml/dict.h>
#include <libxml/parserInternals.h>

#include "html_impl.h"
#include "html_scan.h"
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
/* The most html_convert() reserves for its runs' table before it needs it (bytes). */
#define RUNS_RESERVE_MAX (256 * 1024)

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

/* Steps over a byte order mark, which libxml2 would drop but the other paths would keep. */
static void skip_bom(const char **s, size_t *len)
{
	if (*len >= 3 && memcmp(*s, "\xef\xbb\xbf", 3) == 0) {
		*s += 3;
		*len -= 3;
	}
}

/* ---- UTF-8 ---- */

/* Points *s at text that is valid UTF-8 without NUL: the input itself when it is, else a copy in
 * tmp with NULs dropped and each stray byte replaced by U+FFFD. */
static int utf8_clean(const char **s, size_t len, struct buf *tmp)
{
	const unsigned char *p = (const unsigned char *)*s;
	size_t i = html_scan_utf8(p, len), l;
	int err = 0;

	if (i == len)
		return 0;
	err = buf_append(tmp, p, i);
	while (!err && i < len) {
		if (p[i] == 0) {
			i++;
			continue;
		}
		l = html_scan_utf8(p + i, len - i);
		if (l) {
			err = buf_append(tmp, p + i, l);
			i += l;
		} else {
			err = buf_append(tmp, "\xef\xbf\xbd", 3);
			i++;
		}
	}
	*s = tmp->data ? tmp->data : "";
	return err;
}

/* ---- libxml2 ---- */

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

/* atts with the values html_markup_normalize() set aside put back (a new array in *mine, or atts). */
/* How many attribute pointers on_start() keeps on its stack (more: allocated). */
#define ATTS_STACK 16

/*
 * atts with the values html_markup_normalize() set aside put back: in out (room pointers), or in a new
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

static void on_start(void *ctx, const xmlChar *name, const xmlChar **atts)
{
	struct conv *c = ctx;
	const xmlChar *stack[ATTS_STACK], **mine;
	const struct kind_slot *k;

	if (c->too_deep)
		return;
	if (c->ctxt->nameNr > DEPTH_MAX) {
		c->too_deep = 1;
		xmlStopParser(c->ctxt);
		return;
	}
	k = slot_of(c, name);
	html_layout_open(c, (enum tag_kind)k->kind);
	if (c->x && c->x->html) {
		atts = real_atts(c, atts, stack, ATTS_STACK, &mine);
		html_out_start(c, k, atts);
		if (mine)
			free(mine);
	}
}

static void on_end(void *ctx, const xmlChar *name)
{
	struct conv *c = ctx;

	const struct kind_slot *k;

	if (c->too_deep)
		return;
	k = slot_of(c, name);
	if (c->x && c->x->html)
		html_out_end(c, k);
	html_layout_close(c, (enum tag_kind)k->kind);
}

static void on_text(void *ctx, const xmlChar *s, int len)
{
	struct conv *c = ctx;

	if (!c->too_deep && len > 0)
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

static int sax_convert(struct conv *c, const char *s, size_t n)
{
	htmlParserCtxtPtr ctxt = ctxt_take();
	int nomem;

	if (!ctxt)
		return -ENOMEM;
	c->ctxt = ctxt;
	c->kinds = ctxt->_private;
	ctxt->userData = c;
	if (!push_parse(ctxt, s, n))
		htmlCtxtReadMemory(ctxt, s, (int)n, NULL, "UTF-8", PARSE_OPTIONS);
	nomem = !c->started || ctxt->errNo == XML_ERR_NO_MEMORY;
	c->ctxt = NULL;
	ctxt_give(ctxt, nomem);
	if (nomem)
		return -ENOMEM;
	c->html_done = c->x && c->x->html && !c->too_deep;
	if (c->too_deep) {
		struct buf *out = c->out;
		enum html_mode mode = c->mode;
		const struct html_extra *x = c->x;
		size_t start = c->start, n_runs = c->n_runs;
		const char *runs_text = c->runs_text;
		const size_t *runs = c->runs;

		html_layout_truncate(c, start);
		free(c->a_href);
		buf_fini(&c->atts);
		html_layout_init(c, out, mode);
		c->x = x;
		c->runs_text = runs_text;
		c->runs = runs;
		c->n_runs = n_runs;
		html_flat_convert(c, s, n);
	}
	return 0;
}

int html_convert(const char *html, size_t len, enum html_mode mode, struct buf *out,
		 const struct html_extra *x)
{
	struct buf tmp = BUF_INIT;
	struct norm t = {&tmp, BUF_INIT, BUF_INIT, 0, NULL};
	struct conv c;
	int err;

	if (!out || (!html && len))
		return -EINVAL;
	html_layout_init(&c, out, mode);
	c.x = x;
	c.hstart = x && x->html ? x->html->len : 0;
	skip_bom(&html, &len);
	if (len == 0)
		return 0;
	/* the text, the HTML and what libxml2 parses are about as long as the input: room for that
	 * at once, rather than a dozen reallocations on the way (the rare longer one still grows) */
	if (buf_reserve(out, len) < 0 || (x && x->html && buf_reserve(x->html, len) < 0))
		return -ENOMEM;
	if (!memchr(html, '<', len)) {
		/* no markup: text and references, nothing for a parser to do */
		err = utf8_clean(&html, len, &tmp);
		if (!err)
			html_flat_text(&c, html, tmp.data ? tmp.len : len);
	} else {
		if (html_scan_utf8((const unsigned char *)html, len) == len)
			t.clean = html;
		err = buf_reserve(&tmp, len);
		if (!err && !t.clean)
			err = buf_reserve(&t.text, len);
		/* the runs' offsets and lengths: room for a run every 32 bytes (feeds have about
		 * one every 60), at most 256K at once */
		if (!err)
			err = buf_reserve(&t.runs,
					  len < RUNS_RESERVE_MAX * 2 ? len / 2 : RUNS_RESERVE_MAX);
		if (!err)
			err = html_markup_normalize(html, len, &t, x && x->html);
		c.runs_text = t.clean ? t.clean : t.text.data;
		c.runs = (const size_t *)(void *)t.runs.data;
		c.n_runs = t.n_runs;
		if (!err && tmp.len > INT_MAX)
			html_flat_convert(&c, tmp.data, tmp.len);
		else if (!err && tmp.len)
			err = sax_convert(&c, tmp.data, tmp.len);
	}
	html_layout_boundary(&c);
	buf_fini(&tmp);
	buf_fini(&c.atts);
	buf_fini(&t.text);
	buf_fini(&t.runs);
	free(c.a_href);
	if (!err)
		err = c.err;
	if (!err && x && x->html && !c.html_done) {
		/* no markup, or too deep for libxml2: the HTML is the text's paragraphs */
		x->html->len = c.hstart;
		err = html_from_text(out->data ? out->data + c.start : "", out->len - c.start,
				     x->html);
	}
	if (err) {
		html_layout_truncate(&c, c.start);
		if (x && x->html && x->html->data) {
			x->html->len = c.hstart;
			x->html->data[c.hstart] = '\0';
		}
	}
	return err;
}

int html_to_text(const char *html, size_t len, enum html_mode mode, struct buf *out)
{
	return html_convert(html, len, mode, out, NULL);
}

/* The first i from i that is a line break ('\n' or '\r'), or n: eight bytes at a time first. */
static size_t line_end(const char *text, size_t i, size_t n)
{
	const unsigned char *s = (const unsigned char *)text;
	uint64_t w;

	for (; n - i >= 8; i += 8) {
		memcpy(&w, s + i, 8);
		if (zero_bytes(w ^ (ONES * '\n')) | zero_bytes(w ^ (ONES * '\r')))
			break;
	}
	while (i < n && s[i] != '\n' && s[i] != '\r')
		i++;
	return i;
}

int plain_to_text(const char *text, size_t len, enum html_mode mode, struct buf *out)
{
	struct buf tmp = BUF_INIT;
	struct conv c;
	size_t i, eol, k;
	int err;

	if (!out || (!text && len))
		return -EINVAL;
	html_layout_init(&c, out, mode);
	skip_bom(&text, &len);
	if (len == 0)
		return 0;
	err = utf8_clean(&text, len, &tmp);
	if (!err && tmp.data)
		len = tmp.len;
	if (!err)
		err = buf_reserve(out, len);
	if (!err && mode == HTML_INLINE) {
		/* line breaks are spaces like any other blank: no lines to look for */
		c.space = 1;
		html_layout_text(&c, text, len);
		len = 0;
	}
	for (i = 0; !err && i < len; i = eol + 1) {
		eol = line_end(text, i, len);
		if (eol < len && text[eol] == '\r' && eol + 1 < len && text[eol + 1] == '\n')
			eol++;
		for (k = i; k < eol && is_blank((unsigned char)text[k]); k++)
			;
		if (k == eol && mode == HTML_BLOCKS) {
			html_layout_boundary(&c); /* a blank line ends the block */
			continue;
		}
		c.space = 1; /* line breaks inside a block are spaces */
		html_layout_text(&c, text + i, eol - i);
	}
	html_layout_boundary(&c);
	buf_fini(&tmp);
	if (!err)
		err = c.err;
	if (err)
		html_layout_truncate(&c, c.start);
	return err;
}

