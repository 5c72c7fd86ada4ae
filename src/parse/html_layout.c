/* SPDX-License-Identifier: MIT */
/* The layout rules: text and tags to the seed layout's lines (blocks, cells, pre, whitespace,
 * the Windows-1252 controls), appended to the conversion's output. */
#include "autoconfig.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "html_impl.h"
#include "html_scan.h"

/*
 * Layout rules (DESIGN.md, "The article model"), with the choices this file makes:
 * - Blocks: p, headings, li, dt, dd, div, blockquote, figure, figcaption, section and friends,
 *   tr, caption, br and hr each end the current line; nested lists and quotes are flattened (no
 *   bullets, numbers, indentation or "> "), a div holding bare text is a block like any other.
 * - Tables: a row per line, its non-empty cells joined by " | ".
 * - pre (listing, xmp, plaintext): each source line is an output line, trimmed at both ends;
 *   the blanks inside a line are kept as they are. In HTML_INLINE it collapses like other text.
 * - Dropped with their content: script, style, noscript, template, applet, canvas, audio,
 *   video, select, datalist, textarea, noembed, noframes, and titles inside SVG and MathML
 *   (tooltips). A document's title is a block of text, as feedparser keeps it. Script and
 *   style tags are counted as feedparser counts them: an end tag that closes nothing cancels
 *   the next start tag, whose content is then text. The content of iframe
 *   and object is the fallback text shown where they are not supported: it is kept.
 *   Images (and their alt text) leave nothing, so an empty figure leaves no line. Inline SVG
 *   and MathML are inline: their text (an SVG <text>, a formula) is kept, an SVG <title>
 *   (a tooltip) is not, as feedparser's sanitizer keeps them.
 * - Whitespace: runs of space, tab, CR, LF and FF are one space; U+00A0 is text and stays, but
 *   a line holding nothing else (<p>&nbsp;</p>, a common spacer) is dropped as empty.
 * - U+0080..U+009F (from &#150; and friends, or text decoded as Latin-1 that was Windows-1252)
 *   become the Windows-1252 characters, as browsers do; the five unassigned ones stay. Other
 *   C0 control characters and NUL are dropped (DEL, which XML allows, stays); bytes that are
 *   not UTF-8 become U+FFFD.
 */

struct tag {
	const char *name;
	unsigned char kind;
};

/* Sorted for bsearch(); names are lowercase, as libxml2 reports them. */
static const struct tag tags[] = {
    {"address", TAG_BLOCK},  {"applet", TAG_SKIP},    {"article", TAG_BLOCK},
    {"aside", TAG_BLOCK},    {"audio", TAG_SKIP},     {"blockquote", TAG_BLOCK},
    {"body", TAG_BLOCK},     {"br", TAG_BLOCK},	      {"canvas", TAG_SKIP},
    {"caption", TAG_BLOCK},  {"center", TAG_BLOCK},   {"datalist", TAG_SKIP},
    {"dd", TAG_BLOCK},	     {"details", TAG_BLOCK},  {"dialog", TAG_BLOCK},
    {"dir", TAG_BLOCK},	     {"div", TAG_BLOCK},      {"dl", TAG_BLOCK},
    {"dt", TAG_BLOCK},	     {"fieldset", TAG_BLOCK}, {"figcaption", TAG_BLOCK},
    {"figure", TAG_BLOCK},   {"footer", TAG_BLOCK},   {"form", TAG_BLOCK},
    {"frameset", TAG_BLOCK}, {"h1", TAG_BLOCK},	      {"h2", TAG_BLOCK},
    {"h3", TAG_BLOCK},	     {"h4", TAG_BLOCK},	      {"h5", TAG_BLOCK},
    {"h6", TAG_BLOCK},	     {"header", TAG_BLOCK},
    {"hgroup", TAG_BLOCK},   {"hr", TAG_BLOCK},	      {"html", TAG_BLOCK},
    {"iframe", TAG_INLINE},    {"legend", TAG_BLOCK},   {"li", TAG_BLOCK},
    {"listing", TAG_PRE},    {"main", TAG_BLOCK},     {"marquee", TAG_BLOCK},  {"math", TAG_FOREIGN},
    {"menu", TAG_BLOCK},     {"nav", TAG_BLOCK},      {"noembed", TAG_SKIP},
    {"noframes", TAG_SKIP},  {"noscript", TAG_SKIP},  {"object", TAG_INLINE},
    {"ol", TAG_BLOCK},	     {"p", TAG_BLOCK},	      {"plaintext", TAG_PRE},
    {"pre", TAG_PRE},	     {"script", TAG_SKIP},    {"search", TAG_BLOCK},
    {"section", TAG_BLOCK},  {"select", TAG_SKIP},    {"style", TAG_SKIP},
    {"summary", TAG_BLOCK},  {"svg", TAG_FOREIGN},	      {"table", TAG_BLOCK},
    {"tbody", TAG_BLOCK},    {"td", TAG_CELL},	      {"template", TAG_SKIP},
    {"textarea", TAG_SKIP},  {"tfoot", TAG_BLOCK},    {"th", TAG_CELL},
    {"thead", TAG_BLOCK},    {"title", TAG_TITLE},    {"tr", TAG_BLOCK},
    {"ul", TAG_BLOCK},	     {"video", TAG_SKIP},     {"xmp", TAG_PRE},
};

/* Windows-1252 for U+0080..U+009F; 0 where it assigns nothing (the character stays). */
static const unsigned short cp1252[32] = {
    0x20ac, 0,	    0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,	    0x017d, 0,	    0,	    0x2018, 0x2019, 0x201c, 0x201d, 0x2022,
    0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0,	    0x017e, 0x0178,
};

static int tag_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct tag *)elem)->name);
}

enum tag_kind html_layout_kind(const char *name)
{
	const struct tag *t;

	t = bsearch(name, tags, sizeof(tags) / sizeof(tags[0]), sizeof(tags[0]), tag_cmp);
	return t ? t->kind : TAG_INLINE;
}

void html_layout_truncate(struct conv *c, size_t len)
{
	c->out->len = len;
	if (c->out->data)
		c->out->data[len] = '\0';
}

/* Ends the open line: trims what pre left after its last text, and drops the line (with its
 * separator) when it held nothing but no-break spaces. */
void html_layout_boundary(struct conv *c)
{
	if (c->open && !c->err)
		html_layout_truncate(c, c->visible ? c->end : c->sep);
	c->open = 0;
	c->space = 0;
	c->cell = 0;
}

void html_layout_put(struct conv *c, const void *p, size_t n, int visible)
{
	struct buf *out = c->out;
	int err = 0;

	if (c->err)
		return;
	if (!c->open) {
		c->sep = out->len;
		if (out->len > c->start)
			err = buf_putc(out, c->mode == HTML_BLOCKS ? '\n' : ' ');
		c->open = 1;
		c->visible = 0;
	} else if (c->cell) {
		err = buf_append(out, " | ", 3);
	} else if (c->space) {
		err = buf_putc(out, ' ');
	}
	c->space = 0;
	c->cell = 0;
	if (!err)
		err = buf_append(out, p, n);
	c->err = err;
	c->end = out->len;
	c->visible |= visible;
}

/* A blank inside pre: kept when inside a line, trimmed by html_layout_boundary() when it ends
 * one. */
static void put_pre_blank(struct conv *c, unsigned char b)
{
	if (c->open && !c->err)
		c->err = buf_putc(c->out, b == '\t' ? '\t' : ' ');
}

/* The first i from i whose byte is a blank, a control or 0xC2 (n if none): eight bytes at a
 * time, then one by one. Bytes below 0x21 are found by the classic "has less than" test, 0xC2
 * by "has zero" on w ^ 0xC2..; both are exact about whether the word has one. */
static size_t word_span(const unsigned char *s, size_t i, size_t n)
{
	while (n - i >= 8) {
		uint64_t w, x;

		memcpy(&w, s + i, 8);
		x = w ^ (ONES * 0xC2);
		if ((((w - ONES * 0x21) & ~w) | ((x - ONES) & ~x)) & HIGHS)
			break;
		i += 8;
	}
	while (i < n && s[i] > ' ' && s[i] != 0xc2)
		i++;
	return i;
}

/*
 * Goes over whole words of eight bytes that html_layout_text() would put in the run that starts at
 * run: no control, no 0xC2, and each space single, not at the run's start, followed by a byte
 * above ' ' other than 0xC2 (in the word, or the byte after it for its last). Returns where it
 * stopped, for the byte by byte loop.
 */
static size_t run_span(const unsigned char *s, size_t run, size_t i, size_t n)
{
	while (n - i >= 8 &&
	       (s[i + 7] != ' ' || (n - i > 8 && s[i + 8] > ' ' && s[i + 8] != 0xc2)) &&
	       !(i == run && s[i] == ' ')) {
		uint64_t w, sp;

		memcpy(&w, s + i, 8);
		sp = zero_bytes(w ^ (ONES * ' '));
		if (zero_bytes(w & (ONES * 0xE0)) | zero_bytes(w ^ (ONES * 0xC2)) | (sp & (sp >> 8)))
			break;
		i += 8;
	}
	return i;
}

/* Appends text (valid UTF-8, whole characters) under the layout rules. */
void html_layout_text(struct conv *c, const char *text, size_t n)
{
	const unsigned char *s = (const unsigned char *)text;
	int keep_lines = c->pre && c->mode == HTML_BLOCKS;
	size_t i = 0, run;
	char d[4];

	if (c->skip)
		return;
	while (i < n) {
		run = i;
		for (;;) {
			if (n - i >= 17)
				i = html_scan_run(s, run, i, n);
			i = word_span(s, run_span(s, run, i, n), n);
			/* a single space between words needs no collapsing: keep it in the run */
			if (i + 1 < n && s[i] == ' ' && i > run && s[i + 1] > ' ' &&
			    s[i + 1] != 0xc2)
				i++;
			else
				break;
		}
		if (i > run)
			html_layout_put(c, s + run, i - run, 1);
		if (i >= n)
			break;
		switch (s[i]) {
		case '\n':
		case '\r':
			if (keep_lines)
				html_layout_boundary(c);
			else
				c->space = 1;
			i++;
			break;
		case ' ':
		case '\t':
		case '\f':
			if (keep_lines)
				put_pre_blank(c, s[i]);
			else
				c->space = 1;
			i++;
			break;
		case 0xc2:
			if (i + 1 < n && s[i + 1] >= 0x80 && s[i + 1] <= 0x9f &&
			    cp1252[s[i + 1] - 0x80])
				html_layout_put(c, d, utf8_put(d, cp1252[s[i + 1] - 0x80]), 1);
			else if (i + 1 < n)
				html_layout_put(c, s + i, 2, s[i + 1] != 0xa0);
			else
				html_layout_put(c, s + i, 1, 1);
			i += 2;
			break;
		default: /* other control characters */
			i++;
			break;
		}
	}
}

/* The kind a title or a foreign element has where it opens or ends (see TAG_TITLE). */
static enum tag_kind kind_here(struct conv *c, enum tag_kind kind, int open)
{
	if (kind == TAG_TITLE)
		return c->foreign ? TAG_SKIP : TAG_BLOCK;
	if (kind == TAG_FOREIGN) {
		if (open && c->foreign < UINT_MAX)
			c->foreign++;
		else if (!open && c->foreign)
			c->foreign--;
		return TAG_INLINE;
	}
	return kind;
}

void html_layout_open(struct conv *c, enum tag_kind kind)
{
	kind = kind_here(c, kind, 1);
	if (kind == TAG_SKIP) {
		if (c->skip < UINT_MAX)
			c->skip++;
		return;
	}
	if (c->skip)
		return;
	switch (kind) {
	case TAG_BLOCK:
		html_layout_boundary(c);
		break;
	case TAG_PRE:
		html_layout_boundary(c);
		if (c->pre < UINT_MAX)
			c->pre++;
		break;
	case TAG_CELL:
		if (c->open)
			c->cell = 1;
		break;
	default:
		break;
	}
}

void html_layout_close(struct conv *c, enum tag_kind kind)
{
	kind = kind_here(c, kind, 0);
	if (kind == TAG_SKIP) {
		if (c->skip)
			c->skip--;
		return;
	}
	if (c->skip)
		return;
	if (kind == TAG_BLOCK || kind == TAG_PRE)
		html_layout_boundary(c);
	if (kind == TAG_PRE && c->pre)
		c->pre--;
}
