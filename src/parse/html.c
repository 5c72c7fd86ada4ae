/* SPDX-License-Identifier: MIT */
/* HTML fragments and plain text to the seed layout's text (one line per block): the public
 * calls, which normalize markup (html_markup.c) for libxml2's HTML parser in SAX mode (html_sax.c)
 * and lay the text out (html_layout.c). */
#include "autoconfig.h"

#include "html.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html_impl.h"
#include "html_scan.h"

size_t html_hold_max = HOLD_MAX;
int html_hold_voids = 1;

/* The most html_convert() reserves for its runs' table before it needs it (bytes). */
#define RUNS_RESERVE_MAX (256 * 1024)

/* Steps over a byte order mark, which libxml2 would drop but the other paths would keep. */
static void skip_bom(const char **s, size_t *len)
{
	if (*len >= 3 && memcmp(*s, "\xef\xbb\xbf", 3) == 0) {
		*s += 3;
		*len -= 3;
	}
}

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

/* Whether the caller vouched that s[0..len) is valid UTF-8 without NUL (x->valid_utf8). Builds
 * with FEEDSPOOL_CHECK_UTF8 (the fuzz targets, sanitizer builds) check the promise and abort when
 * it is broken, so that fuzzing finds any producer that breaks it. */
static int vouched_utf8(const struct html_extra *x, const char *s, size_t len)
{
	if (!x || !x->valid_utf8)
		return 0;
#ifdef FEEDSPOOL_CHECK_UTF8
	if (html_scan_utf8((const unsigned char *)s, len) != len) {
		fprintf(stderr,
			"html: text vouched as valid UTF-8 without NUL is not (byte %zu of %zu)\n",
			html_scan_utf8((const unsigned char *)s, len), len);
		abort();
	}
#else
	(void)s;
	(void)len;
#endif
	return 1;
}

/* Converts markup (html[0..len), with a '<') into c: html_markup_normalize() then libxml2, or
 * the flat conversion for input too long for it; voids: br and img may be held. */
static int convert_markup(struct conv *c, const char *html, size_t len, int voids)
{
	struct buf tmp = BUF_INIT;
	struct norm t = {.out = &tmp}; /* the rest zero: empty buffers, nothing held */
	const struct html_extra *x = c->x;
	int err;

	if (vouched_utf8(x, html, len) || html_scan_utf8((const unsigned char *)html, len) == len)
		t.clean = html;
	/* text held out of libxml2's sight: where we know what its HTML parser does */
	t.hold = LIBXML_VERSION < 21100 && len < html_hold_max;
	t.hold_voids = t.hold && voids ? (unsigned char)html_hold_voids : 0;
	t.void_ok = t.hold_voids >> 1;
	err = buf_reserve(&tmp, len);
	if (!err && !t.clean)
		err = buf_reserve(&t.text, len);
	/* the runs' offsets and lengths: room for a run every 32 bytes (feeds have about
	 * one every 60), at most 256K at once */
	if (!err)
		err = buf_reserve(&t.runs, len < RUNS_RESERVE_MAX * 2 ? len / 2 : RUNS_RESERVE_MAX);
	/* as much for the text held out of libxml2's sight (html_blank) */
	if (!err && t.hold)
		err = buf_reserve(&t.blanks,
				  len < RUNS_RESERVE_MAX * 2 ? len / 2 : RUNS_RESERVE_MAX);
	if (!err)
		err = html_markup_normalize(html, len, &t, x && x->html);
	c->runs_text = t.clean ? t.clean : t.text.data;
	c->runs = (const size_t *)(void *)t.runs.data;
	c->n_runs = t.n_runs;
	c->blanks = (const struct html_blank *)(void *)t.blanks.data;
	c->n_blanks = t.n_blanks;
	c->n_voids = t.n_voids;
	c->held_in = html;
	/* hold mode: the attributes are all in these tables (NULL tags: none at all) */
	c->tags = t.hold ? (const struct html_tag_atts *)(void *)t.tags.data : NULL;
	c->n_tags = t.n_tags;
	c->att_tab = (const struct html_att *)(void *)t.atts.data;
	c->att_names = t.names.data;
	if (!err && tmp.len > INT_MAX)
		html_flat_convert(c, tmp.data, tmp.len);
	else if (!err && tmp.len)
		err = html_sax_convert(c, tmp.data, tmp.len);
	buf_fini(&tmp);
	buf_fini(&t.text);
	buf_fini(&t.runs);
	buf_fini(&t.blanks);
	buf_fini(&t.tags);
	buf_fini(&t.atts);
	buf_fini(&t.names);
	return err;
}

int html_convert(const char *html, size_t len, enum html_mode mode, struct buf *out,
		 const struct html_extra *x)
{
	struct buf tmp = BUF_INIT;
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
		err = vouched_utf8(x, html, len) ? 0 : utf8_clean(&html, len, &tmp);
		if (!err)
			html_flat_text(&c, html, tmp.data ? tmp.len : len);
	} else {
		err = convert_markup(&c, html, len, 1);
		if (err == -EAGAIN) {
			/* a held br or img was not where libxml2 only starts and ends it: again,
			 * without holding them; what was reported so far (its events were the same)
			 * is not reported twice, and its error stays */
			size_t reports = c.reports;
			int err0 = c.err;

			html_layout_truncate(&c, c.start);
			if (x && x->html)
				x->html->len = c.hstart;
			free(c.a_href);
			buf_fini(&c.atts);
			html_layout_init(&c, out, mode);
			c.x = x;
			c.hstart = x && x->html ? x->html->len : 0;
			c.reports_skip = reports;
			c.err = err0;
			err = convert_markup(&c, html, len, 0);
		}
	}
	html_layout_boundary(&c);
	buf_fini(&tmp);
	buf_fini(&c.atts);
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
	return plain_convert(text, len, mode, out, NULL);
}

int plain_convert(const char *text, size_t len, enum html_mode mode, struct buf *out,
		  const struct html_extra *x)
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
	err = vouched_utf8(x, text, len) ? 0 : utf8_clean(&text, len, &tmp);
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
