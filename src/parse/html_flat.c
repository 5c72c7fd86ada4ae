/* SPDX-License-Identifier: MIT */
/* Text without libxml2: pieces with their references decoded, the text runs behind the
 * normalizer's markers put back, and whole conversions of input nested too deep for libxml2. */
#include "autoconfig.h"

#include <stdint.h>
#include <string.h>

#include "html_impl.h"
#include "html_scan.h"

/* Text as libxml2 would deliver it, to the text and (html) the sanitized HTML. */
static void text_piece(struct conv *c, const char *s, size_t n, int html)
{
	int keep_lines = c->pre && c->mode == HTML_BLOCKS;
	size_t a = 0, m = n;

	if (!n || c->skip)
		return;
	/* a simple piece, maybe with blanks around it where they only make a pending space (the
	 * text around a reference, a run before a line break): what html_out_text() and
	 * html_layout_text() would do, without their scans */
	if (!keep_lines) {
		while (a < n && (s[a] == ' ' || s[a] == '\n' || s[a] == '\t'))
			a++;
		while (m > a && (s[m - 1] == ' ' || s[m - 1] == '\n' || s[m - 1] == '\t'))
			m--;
	}
	if (a == m || html_scan_simple((const unsigned char *)s + a, m - a)) {
		if (html && !c->hremove)
			hput(c, s, n);
		if (a)
			c->space = 1;
		if (m > a)
			html_layout_put(c, s + a, m - a, 1);
		if (m < n)
			c->space = 1;
		return;
	}
	if (html)
		html_out_text(c, s, n);
	html_layout_text(c, s, n);
}

/* Text with its references, decoded as libxml2 decodes them. */
static void flat_text_to(struct conv *c, const char *s, size_t n, int html)
{
	const char *amp;
	char d[4];
	size_t dlen, used;

	while (n && !c->skip) {
		amp = memchr(s, '&', n);
		if (!amp) {
			text_piece(c, s, n, html);
			return;
		}
		text_piece(c, s, (size_t)(amp - s), html);
		n -= (size_t)(amp - s);
		s = amp;
		used = html_ref_decode(s, n, d, &dlen);
		if (used)
			text_piece(c, d, dlen, html);
		else
			text_piece(c, "&", used = 1, html);
		s += used;
		n -= used;
	}
}

void html_flat_text(struct conv *c, const char *s, size_t n)
{
	flat_text_to(c, s, n, 0);
}

/* Text from normalized HTML: blanks, and the markers put_text() left for its text runs. */
void html_flat_expand(struct conv *c, const char *text, size_t n)
{
	const unsigned char *s = (const unsigned char *)text;
	int html = c->x && c->x->html;
	size_t i = 0, j, k;
	unsigned long cp;

	while (i < n) {
		if ((s[i] == 0xF3 || s[i] == 0xF4) && n - i >= 4) {
			cp = (unsigned long)(s[i] & 7) << 18 | (unsigned long)(s[i + 1] & 0x3F) << 12 |
			     (unsigned long)(s[i + 2] & 0x3F) << 6 | (s[i + 3] & 0x3F);
			k = cp >= 0x100000UL ? cp - 0x100000UL + 65534 : cp - MARK_PLANE;
			if (cp >= MARK_PLANE && k < c->n_runs) {
				/* a run cleaned to nothing (NULs) is empty, maybe with no text at all */
				if (c->runs[2 * k + 1])
					flat_text_to(c, c->runs_text + c->runs[2 * k],
						     c->runs[2 * k + 1], html);
				i += 4;
				continue;
			}
		}
		for (j = i + 1; j < n && s[j] != 0xF3 && s[j] != 0xF4; j++)
			;
		if (!c->skip)
			text_piece(c, text + i, j - i, html);
		i = j;
	}
}

/* libxml2 hands text over in events of at most this many bytes (HTML_PARSER_BIG_BUFFER_SIZE) */
#define EVENT_TEXT_MAX 1000

/* A held br or img without libxml2, as html_flat_convert() takes "<br/>"; for "<br>" it does not
 * close it, which is the same: a block's boundary twice is one, an inline element none. */
static void flat_void(struct conv *c, const struct html_blank *b)
{
	enum tag_kind kind = html_layout_kind(b->run & VOID_IMG ? "img" : "br");

	html_layout_open(c, kind);
	html_layout_close(c, kind);
}

void html_flat_blanks(struct conv *c, size_t at)
{
	const struct html_blank *b;
	size_t i, k;

	for (; c->blank_next < c->n_blanks && c->blanks[c->blank_next].at < at; c->blank_next++) {
		b = &c->blanks[c->blank_next];
		if (b->off == HELD_VOID) {
			if (c->ctxt) {
				html_sax_void(c, b);
				if (c->too_deep)
					break;
			} else {
				flat_void(c, b);
			}
			continue;
		}
		for (i = 0; i < b->n; i += k) {
			k = b->n - i < EVENT_TEXT_MAX ? b->n - i : EVENT_TEXT_MAX;
			html_flat_expand(c, c->held_in + b->off + i, k);
		}
		/* what html_flat_expand() does with the run's marker */
		if (b->run != NO_RUN && b->run < c->n_runs && c->runs[2 * b->run + 1] && !c->skip)
			flat_text_to(c, c->runs_text + c->runs[2 * b->run], c->runs[2 * b->run + 1],
				     c->x && c->x->html);
	}
}

/*
 * Converts normalized HTML without libxml2, for input nested deeper than libxml2 handles in
 * linear time. It keeps no stack (the element structure is flat: what matters is which tags open
 * and end blocks), so it cannot imply end tags as libxml2 does; good enough for such input.
 */
void html_flat_convert(struct conv *c, const char *s, size_t n)
{
	char name[NAME_MAX_LEN + 1];
	size_t i = 0, j, k;
	const char *lt;
	int end;

	while (i < n) {
		lt = memchr(s + i, '<', n - i);
		/* a held br or img may come right before text */
		if (c->n_voids && lt != s + i)
			html_flat_blanks(c, i + 1);
		if (!lt) {
			html_flat_expand(c, s + i, n - i);
			break;
		}
		html_flat_expand(c, s + i, (size_t)(lt - s) - i);
		i = (size_t)(lt - s);
		html_flat_blanks(c, i + 1);
		if (c->n_voids && n - i >= VOID_FENCE_LEN &&
		    memcmp(s + i, VOID_FENCE, VOID_FENCE_LEN) == 0) {
			i += VOID_FENCE_LEN; /* html_markup.c's void_fence() or void_split() */
			continue;
		}
		j = i + 1;
		end = j < n && s[j] == '/';
		j += end;
		if (j >= n || !is_alpha((unsigned char)s[j])) {
			/* libxml2 drops the "</" of "</ p>" and keeps a lone '<' */
			if (!end)
				html_layout_text(c, "<", 1);
			i = j;
			continue;
		}
		for (k = 0; j < n && is_name_char((unsigned char)s[j]) && k < NAME_MAX_LEN; j++)
			name[k++] = (char)(is_alpha((unsigned char)s[j]) ? s[j] | 0x20 : s[j]);
		name[k] = '\0';
		/* html_markup_normalize() left "<name>", "<name/>" or "</name>" */
		if (end) {
			html_layout_close(c, html_layout_kind(name));
		} else {
			html_layout_open(c, html_layout_kind(name));
			if (j < n && s[j] == '/')
				html_layout_close(c, html_layout_kind(name));
		}
		lt = memchr(s + j, '>', n - j);
		i = lt ? (size_t)(lt - s) + 1 : n;
	}
	html_flat_blanks(c, SIZE_MAX);
}
