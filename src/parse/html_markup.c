/* SPDX-License-Identifier: MIT */
/* The tokenizer that normalizes HTML before libxml2 parses it: tags reduced to their names and
 * kept attributes, what libxml2 would skip left out, text runs set aside behind markers. */
#include "autoconfig.h"

#include <errno.h>
#include <string.h>

#include "html_impl.h"
#include "html_scan.h"
#include "sanitize.h"

/* The bytes that end a part of a tag (tag_gt, copy_attrs), and those of a tag name
 * (is_name_char(), looked up: the name loop of html_markup_normalize). */
enum { TB_BLANK = 1, TB_EQ = 2, TB_SLASH = 4, TB_GT = 8, TB_NAME = 16 };
static const unsigned char tag_bytes[256] = {
    [' '] = TB_BLANK, ['\t'] = TB_BLANK, ['\n'] = TB_BLANK, ['\r'] = TB_BLANK,
    ['\f'] = TB_BLANK, ['='] = TB_EQ,	   ['/'] = TB_SLASH,  ['>'] = TB_GT,
    ['0' ... '9'] = TB_NAME, ['A' ... 'Z'] = TB_NAME, ['a' ... 'z'] = TB_NAME,
    [':'] = TB_NAME, ['-'] = TB_NAME, ['_'] = TB_NAME, ['.'] = TB_NAME,
};

/* Index of the '>' ending the start tag whose name ends at i, or n when there is none. As in
 * libxml2, a quote opens a value only after '=', and "/>" closes the element unless the '/' ends
 * an unquoted value. */
static size_t tag_gt(const char *s, size_t n, size_t i, int *selfclose)
{
	enum { ATTRS, EQUALS, QUOTED, UNQUOTED } st = ATTRS;
	unsigned char b, quote = 0;
	const char *q;

	*selfclose = 0;
	for (; i < n; i++) {
		switch (st) {
		case ATTRS:
			/* names and blanks: on to what can change the state */
			while (i < n && !(tag_bytes[(unsigned char)s[i]] & (TB_EQ | TB_SLASH | TB_GT)))
				i++;
			if (i >= n)
				return n;
			b = (unsigned char)s[i];
			if (b == '>')
				return i;
			if (b == '=')
				st = EQUALS;
			else if (i + 1 < n && s[i + 1] == '>') /* '/' */
				*selfclose = 1;
			break;
		case EQUALS:
			b = (unsigned char)s[i];
			if (b == '>')
				return i;
			if (b == '"' || b == '\'') {
				quote = b;
				st = QUOTED;
				/* values are most of a tag's bytes: jump over them */
				q = memchr(s + i + 1, quote, n - i - 1);
				if (!q)
					return n;
				i = (size_t)(q - s) - 1;
			} else if (!is_blank(b)) {
				st = UNQUOTED;
			}
			break;
		case QUOTED:
			if ((unsigned char)s[i] == quote)
				st = ATTRS;
			break;
		case UNQUOTED:
			while (i < n && !(tag_bytes[(unsigned char)s[i]] & (TB_BLANK | TB_GT)))
				i++;
			if (i >= n)
				return n;
			if (s[i] == '>')
				return i;
			st = ATTRS;
			break;
		}
	}
	return n;
}

/* Index just past the first needle at or after i (case-insensitive), or n. */
static size_t skip_past(const char *s, size_t n, size_t i, const char *needle)
{
	size_t l = strlen(needle);
	const char *p;

	while (i < n && (p = memchr(s + i, needle[0], n - i))) {
		i = (size_t)(p - s);
		if (n - i >= l && strncasecmp(p, needle, l) == 0)
			return i + l;
		i++;
	}
	return n;
}

/* Index just past the end tag of a script or style whose content starts at i: where libxml2
 * (in recovery mode) ends it, at "</name" not followed by more of a name. */
static size_t skip_raw_text(const char *s, size_t n, size_t i, const char *name)
{
	size_t l = strlen(name);
	const char *gt;

	for (;;) {
		i = skip_past(s, n, i, "</");
		if (i >= n)
			return n;
		if (n - i >= l && strncasecmp(s + i, name, l) == 0 &&
		    (n - i == l || !is_name_char((unsigned char)s[i + l])))
			break;
	}
	gt = memchr(s + i, '>', n - i);
	return gt ? (size_t)(gt - s) + 1 : n;
}

/* "script" or "style" when s[0..len) names one (any case): their content is raw text. */
static const char *raw_text_name(const char *s, size_t len)
{
	if (len == 6 && strncasecmp(s, "script", 6) == 0)
		return "script";
	if (len == 5 && strncasecmp(s, "style", 5) == 0)
		return "style";
	return NULL;
}

/* Appends UTF-8 to out, with NULs dropped and each stray byte replaced by U+FFFD. */
static int put_clean(struct buf *out, const char *text, size_t len)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t i = 0, l;
	int err = 0;

	while (!err && i < len) {
		l = html_scan_utf8(p + i, len - i);
		if (l) {
			err = buf_append(out, p + i, l);
			i += l;
		} else {
			if (p[i])
				err = buf_append(out, "\xef\xbf\xbd", 3);
			i++;
		}
	}
	return err;
}

static int set_aside(struct norm *t, const char *s, size_t len);
static int run_add(struct norm *t, const char *s, size_t len, size_t *k);
static int att_hold(struct norm *t, const char *name, size_t nlen, const char *v, size_t vlen);

static size_t mark_put(char *d, size_t k);
static int void_split(struct norm *t);

/* Writes the text held back, if any, into what libxml2 parses: its blanks and its run's
 * marker. */
static int held_write(struct norm *t)
{
	char d[4];
	int err = 0;

	if (!t->held_any)
		return 0;
	t->held_any = 0;
	if ((err = void_split(t)) < 0)
		return err;
	if (t->held.n)
		err = buf_append(t->out, t->in + t->held.off, t->held.n);
	if (!err && t->held.run != NO_RUN)
		err = buf_append(t->out, d, mark_put(d, t->held.run));
	return err;
}

/*
 * A tag is about to be written: the text held back before it is left out of what libxml2
 * parses and listed with the tag's offset; on_start(), on_end() and on_text() deliver it before
 * the first event libxml2 makes past that offset. libxml2 2.9 changes no state for such text:
 * blanks before a '<' are blanks to it (areBlanks()); other text only implies a paragraph in
 * no element, html or head (htmlCheckParagraph()), never right after the start tag of an
 * element that holds text. Such text is most of libxml2's character events.
 */
static int held_list(struct norm *t)
{
	int err = 0;

	if (t->held_any) {
		t->held.at = (uint32_t)t->out->len;
		err = buf_append(&t->blanks, &t->held, sizeof t->held);
		t->n_blanks += !err;
	}
	t->held_any = 0;
	t->seen = 1;
	return err;
}

/* Whether libxml2 2.9 keeps the element of a start tag (name[0..len), any case) open, as the
 * current one, and implies nothing for text in it: not html, head or body (it may discard
 * those tags, or take text in them for a paragraph), nor one it knows as empty. */
static int holds_text(const char *name, size_t len)
{
	char l[8];
	size_t i;

	if (len < 2 || len > sizeof l)
		return 1;
	/* the names below are letters: a byte | 0x20 is one only if it is that letter in either
	 * case (digits and ':', '-', '_', '.' are none), so no test for a letter first */
	for (i = 0; i < len; i++)
		l[i] = (char)(name[i] | 0x20);
#define IS(s) (memcmp(l, s, sizeof(s) - 1) == 0)
	switch (len) {
	case 2:
		return !IS("br") && !IS("hr");
	case 3:
		return !IS("col") && !IS("img");
	case 4:
		return !IS("area") && !IS("base") && !IS("body") && !IS("head") && !IS("html") &&
		       !IS("link") && !IS("meta");
	case 5:
		return !IS("frame") && !IS("input") && !IS("param");
	case 7:
		return !IS("isindex");
	case 8:
		return !IS("basefont");
	default:
		return 1;
	}
#undef IS
}

/*
 * Holds an attribute of the start tag being written out of what libxml2 parses (t->hold): its
 * name lowercased, its value set aside, unless the tag has one of that name already (libxml2
 * keeps the first). libxml2 would do nothing with it but hand it to on_start(), which takes it
 * from the table (the tag's offset tells its start event) instead.
 */
static int att_hold(struct norm *t, const char *name, size_t nlen, const char *v, size_t vlen)
{
	const struct html_tag_atts *tag = (const struct html_tag_atts *)(void *)t->tags.data;
	const struct html_att *a = (const struct html_att *)(void *)t->atts.data;
	struct html_att at = {(uint32_t)t->names.len, NO_RUN};
	size_t i, k, first = tag[t->n_tags - 1].first, n = tag[t->n_tags - 1].n;
	char l[8];
	int err;

	for (i = 0; i < nlen && i < sizeof l; i++)
		l[i] = (char)(name[i] | 0x20); /* known names are letters */
	for (i = first; i < first + n; i++)
		if (strlen(t->names.data + a[i].name) == nlen &&
		    memcmp(t->names.data + a[i].name, l, nlen) == 0)
			return 0;
	err = buf_append(&t->names, l, nlen);
	if (!err)
		err = buf_putc(&t->names, '\0');
	if (!err && vlen && t->n_runs < MARKS_MAX && !(err = run_add(t, v, vlen, &k)))
		at.run = (uint32_t)k;
	if (!err)
		err = buf_append(&t->atts, &at, sizeof at);
	if (!err)
		((struct html_tag_atts *)(void *)t->tags.data)[t->n_tags - 1].n++;
	return err;
}

/* Whether a tag name (any case) is html, head or body: libxml2 may discard those tags or start
 * them itself (implied), and their attributes are of no use (the sanitizer drops the tags). */
static int html_head_body(const char *name, size_t len)
{
	uint32_t w, h, d, b;

	if (len != 4)
		return 0;
	/* the three names are letters: a byte | 0x20 is one of them only if it is that letter in
	 * either case, so one compare per name without strncasecmp() */
	memcpy(&w, name, 4);
	memcpy(&h, "html", 4);
	memcpy(&d, "head", 4);
	memcpy(&b, "body", 4);
	w |= 0x20202020u;
	return w == h || w == d || w == b;
}

/* Copies the attributes of a start tag (s[i..gt)) that the sanitizer may keep, as
 * ' name="M"' with the name lowercased, where M stands for the value set aside with its
 * references (set_aside); on_start() puts it back decoded. */
static int copy_attrs(const char *s, size_t i, size_t gt, struct buf *out, struct norm *t)
{
	size_t name, nlen, v, vlen, k;
	const char *q;
	int err = 0;

	while (!err && i < gt) {
		while (i < gt && (is_blank((unsigned char)s[i]) || s[i] == '/'))
			i++;
		for (name = i;
		     i < gt && !(tag_bytes[(unsigned char)s[i]] & (TB_BLANK | TB_EQ | TB_SLASH)); i++)
			;
		nlen = i - name;
		while (i < gt && is_blank((unsigned char)s[i]))
			i++;
		v = vlen = 0;
		if (i < gt && s[i] == '=') {
			i++;
			while (i < gt && is_blank((unsigned char)s[i]))
				i++;
			if (i < gt && (s[i] == '"' || s[i] == '\'')) {
				q = memchr(s + i + 1, s[i], gt - i - 1);
				v = i + 1;
				vlen = (q ? (size_t)(q - s) : gt) - v;
				i = v + vlen + 1;
			} else {
				for (v = i; i < gt && !is_blank((unsigned char)s[i]); i++)
					;
				vlen = i - v;
			}
		}
		if (!nlen || !sanitize_attribute_known(s + name, nlen))
			continue;
		if (t->hold) {
			err = att_hold(t, s + name, nlen, s + v, vlen);
			continue;
		}
		err = buf_putc(out, ' ');
		for (k = 0; !err && k < nlen; k++)
			err = buf_putc(out, (char)(is_alpha((unsigned char)s[name + k]) ? s[name + k] | 0x20
									 : s[name + k]));
		if (!err)
			err = buf_append(out, "=\"", 2);
		if (!err && vlen && t->n_runs < MARKS_MAX)
			err = set_aside(t, s + v, vlen);
		if (!err)
			err = buf_putc(out, '"');
	}
	return err;
}

static unsigned long mark_cp(size_t k)
{
	return k < 65534 ? MARK_PLANE + k : 0x100000UL + (k - 65534);
}

/* utf8_put() of a marker: always four bytes. */
static size_t mark_put(char *d, size_t k)
{
	unsigned long cp = mark_cp(k);

	d[0] = (char)(0xf0 | cp >> 18);
	d[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	d[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	d[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * Text between tags. libxml2 scans text a character at a time, a third of the conversion; but
 * what it does with text depends only on whether the text is blank (a blank run never implies a
 * paragraph). So whitespace goes to libxml2 as it is, and any other run is set aside and replaced
 * by one private use character standing for it, whose run on_text() puts back; the run's
 * references are decoded as libxml2 decodes them (html_ref_decode).
 */
static int put_text(struct norm *t, const char *s, size_t len)
{
	size_t i, k;
	int err;

	if (!len)
		return 0;
	/* libxml2's blanks: no form feed */
	for (i = 0; i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'); i++)
		;
	/* text that is not blank: libxml2 opens body for it if none is (htmlCheckParagraph) */
	if (i < len)
		t->void_ok = t->hold_voids;
	/* blanks after what libxml2 skips at the start (it skips blanks there), text right after
	 * the start tag of an element that holds it, not after other held text (one event, not
	 * two): held back until it is known whether a tag follows */
	if (t->hold && !t->held_any && ((i == len && t->seen) || (i < len && t->after)) &&
	    (i == len || t->n_runs < MARKS_MAX)) {
		k = NO_RUN;
		if (i < len && (err = run_add(t, s + i, len - i, &k)) < 0)
			return err;
		t->held = (struct html_blank){0, (uint32_t)(s - t->in), (uint32_t)i, (uint32_t)k};
		t->held_any = 1;
		t->after = 0;
		return 0;
	}
	if ((err = held_write(t)) < 0 || (err = void_split(t)) < 0)
		return err;
	if (i < len) {
		t->seen = 1;
		t->after = 0;
	}
	if (i == len || t->n_runs >= MARKS_MAX)
		return t->clean ? buf_append(t->out, s, len) : put_clean(t->out, s, len);
	/* leading blanks stay: libxml2 skips them at the start of the document */
	if (i && (err = buf_append(t->out, s, i)) < 0)
		return err;
	return set_aside(t, s + i, len - i);
}

/* Sets s aside (cleaned to UTF-8) as run *k. */
static int run_add(struct norm *t, const char *s, size_t len, size_t *k)
{
	size_t pair[2];
	int err;

	if (t->n_runs >= MARKS_MAX)
		return -E2BIG;
	if (t->clean) {
		pair[0] = (size_t)(s - t->clean);
		pair[1] = len;
		err = 0;
	} else {
		pair[0] = t->text.len;
		err = put_clean(&t->text, s, len);
		pair[1] = t->text.len - pair[0];
	}
	if (!err)
		err = buf_append(&t->runs, pair, sizeof pair);
	if (!err)
		*k = t->n_runs++;
	return err;
}

/* Sets s aside (cleaned to UTF-8) and puts its marker in t->out. */
static int set_aside(struct norm *t, const char *s, size_t len)
{
	size_t k;
	char d[4];
	int err = run_add(t, s, len, &k);

	return err ? err : buf_append(t->out, d, mark_put(d, k));
}

/* The attributes of the start tag named s[j..k) ending at gt: written for libxml2 to parse, or
 * held (t->hold) in a table entry of the tag, which libxml2 is not shown (none: no entry). */
static inline int tag_attrs(const char *s, size_t j, size_t k, size_t gt, struct norm *t)
{
	struct html_tag_atts tag = {(uint32_t)t->out->len,
				    (uint32_t)(t->atts.len / sizeof(struct html_att)), 0};
	int err;

	if (!t->hold)
		return copy_attrs(s, k, gt, t->out, t);
	if (html_head_body(s + j, k - j))
		return 0;
	if ((err = buf_append(&t->tags, &tag, sizeof tag)) < 0)
		return err;
	t->n_tags++;
	err = copy_attrs(s, k, gt, t->out, t);
	if (!err && ((struct html_tag_atts *)(void *)t->tags.data)[t->n_tags - 1].n == 0) {
		t->tags.len -= sizeof tag;
		t->n_tags--;
	}
	return err;
}

/* Appends "<name" ("</name" for an end tag) and, unless close is -1, ">" ("/>" for close 1) to
 * out in one append rather than a byte at a time; the name is at most NAME_MAX_LEN bytes. */
static int tag_write(struct buf *out, int end, const char *name, size_t len, int close)
{
	char d[NAME_MAX_LEN + 4];
	size_t l = 0;

	d[l++] = '<';
	if (end)
		d[l++] = '/';
	memcpy(d + l, name, len);
	l += len;
	if (close == 1)
		d[l++] = '/';
	if (close >= 0)
		d[l++] = '>';
	return buf_append(out, d, l);
}

/*
 * br and img, which libxml2 2.9 (HTMLparser.c) would start and end at once and forget, are held
 * out of what it parses (a html_blank HELD_VOID at their offset, their attributes as a start
 * tag's) and html_sax_void() delivers both events where it would have. Its parse of such a tag
 * (htmlParseStartTag, then the empty-element path of htmlParseTryOrFinish) changes nothing when:
 * - htmlAutoClose() closes nothing: of htmlStartClose, br and img close only head;
 * - htmlCheckImplied() pushes nothing: some element is open (nameNr > 0) and body was pushed
 *   once (ctxt->html >= 10) or head or body is open (else it pushes html, body);
 * - it is no html, head or body (discarded or counted in ctxt->depth); meta (htmlCheckMeta)
 *   and the head elements are not held;
 * - it is pushed, reported and popped at once: br and img are empty (info->empty), whether
 *   self-closed or not, and their '>' is always written here; so the state (instate CONTENT,
 *   name, nameTab, html) after it is the one before; the pull parser's currentNode and depth
 *   (htmlParseContentInternal) are refreshed by it, but stale ones make no other event;
 * - ctxt->name is never script or style (raw text): those are never written here.
 * Which element is open (head, select, table, p, li) only matters through the first two; the
 * tokenizer does not know it, so void_ok only guesses (after a start tag or text but html,
 * head, title, body is open), and html_sax_void() checks the state libxml2 had there, asking
 * for the conversion again without holding when it was not so. An event at its offset comes
 * only before it, except a literal '<' (reported before libxml2 steps over it), the last byte
 * (the avail == 1 path) and text right after text (one event): void_fence() and void_split()
 * put an empty comment (no event, no state) in front of those.
 */
static unsigned void_kind(const char *name, size_t len)
{
	if (len == 2 && (name[0] | 0x20) == 'b' && (name[1] | 0x20) == 'r')
		return VOID_BR;
	if (len == 3 && (name[0] | 0x20) == 'i' && (name[1] | 0x20) == 'm' &&
	    (name[2] | 0x20) == 'g')
		return VOID_IMG;
	return 0;
}

/* Whether a tag of name[0..len) (any case) may leave head open or nothing open: html, head,
 * title (the start tags of meta, link, base, frame, frameset and noframes may too, but are rare
 * enough in feeds for html_sax_void() to catch alone). A name byte | 0x20 is a lowercase letter
 * only if it is that letter in either case, so one compare per name. */
static int void_head(const char *name, size_t len)
{
	uint32_t w;

	memcpy(&w, name, 4);
	w |= 0x20202020u;
	if (len == 4)
		return !memcmp(&w, "html", 4) || !memcmp(&w, "head", 4);
	return !memcmp(&w, "titl", 4) && (name[4] | 0x20) == 'e';
}

/* Holds the br or img whose name is s[j..k) and tag ends at gt (kind: void_kind()). */
static int void_hold(struct norm *t, const char *s, size_t j, size_t k, size_t gt, int keep_attrs,
		     unsigned kind)
{
	struct html_blank b = {(uint32_t)t->out->len, HELD_VOID, NO_RUN, kind};
	size_t n_tags = t->n_tags;
	int err = 0;

	if (keep_attrs && gt > k && (err = tag_attrs(s, j, k, gt, t)) == 0 && t->n_tags > n_tags) {
		b.n = (uint32_t)n_tags;
		((struct html_tag_atts *)(void *)t->tags.data)[n_tags].n |= VOID_TAG;
	}
	if (!err && (err = buf_append(&t->blanks, &b, sizeof b)) == 0) {
		t->n_blanks++;
		t->n_voids++;
		t->void_at = b.at;
		/* what is written ends with a tag's '>', else with text (no run is written as
		 * it is while there are markers left) */
		t->void_text = b.at && t->out->data[b.at - 1] != '>';
	}
	return err;
}

/* Text to be written where a held br or img is, right after text: libxml2 would make one text
 * event of both, none past the br or img before its text. An empty comment parts them. */
static int void_split(struct norm *t)
{
	if (!t->void_text || t->out->len != t->void_at)
		return 0;
	t->void_text = 0;
	return buf_append(t->out, VOID_FENCE, VOID_FENCE_LEN);
}

/* An empty comment where the last held br or img is when nothing or one byte follows it, or a
 * literal '<' is to: libxml2 steps over it with no event, so that the next event past it is
 * one of what follows (see above). */
static int void_fence(struct norm *t)
{
	size_t tail;
	int err;

	if (!t->n_voids || t->out->len - t->void_at >= 2)
		return 0;
	tail = t->out->len - t->void_at;
	if ((err = buf_append(t->out, VOID_FENCE, VOID_FENCE_LEN)) < 0 || !tail)
		return err;
	memmove(t->out->data + t->void_at + VOID_FENCE_LEN, t->out->data + t->void_at, tail);
	memcpy(t->out->data + t->void_at, VOID_FENCE, VOID_FENCE_LEN);
	return 0;
}

/*
 * Copies an HTML fragment to out as libxml2 gets it: every tag reduced to "<name>", "<name/>" or
 * "</name>", comments, doctypes, processing instructions, scripts and styles left out, text
 * cleaned to UTF-8; what libxml2 takes for text stays as it is. It tokenizes as libxml2 does,
 * so the result parses to the same elements and text. Attributes are left out unless
 * keep_attrs, and then all but the few the sanitizer keeps: that saves a quarter of the parse,
 * and libxml2 2.9 is quadratic in a tag's attribute count.
 */
int html_markup_normalize(const char *s, size_t n, struct norm *t, int keep_attrs)
{
	struct buf *out = t->out;
	size_t i = 0, j, k, gt, stray = 0;
	const char *lt, *raw;
	int err = 0, end, selfclose;
	unsigned v;

	t->in = s;

	while (!err && i < n) {
		/* a tag right after a tag (a third of them): no text, no scan for it */
		if (s[i] != '<') {
			lt = memchr(s + i, '<', n - i);
			if (!lt) {
				err = put_text(t, s + i, n - i);
				break;
			}
			err = put_text(t, s + i, (size_t)(lt - s) - i);
			i = (size_t)(lt - s);
		}
		j = i + 1;
		if (j < n && s[j] == '!') {
			if (n - j >= 3 && s[j + 1] == '-' && s[j + 2] == '-') {
				/* a comment never closed with "-->" ends at the next '>', as older
				 * parsers end it, rather than swallowing the rest of the text */
				i = skip_past(s, n, j + 3, "-->");
				if (i == n && !(n >= 3 && memcmp(s + n - 3, "-->", 3) == 0))
					i = skip_past(s, n, j + 3, ">");
				continue;
			}
			if (n - j > 7 && strncasecmp(s + j + 1, "doctype", 7) == 0) {
				i = skip_past(s, n, j, ">");
				continue;
			}
		} else if (j < n && s[j] == '?') {
			i = skip_past(s, n, j, ">");
			continue;
		}
		end = j < n && s[j] == '/';
		j += end;
		if (j < n && s[j] == '>') {
			/* "<>" and "</>", SGML's empty tags, stand for no element here: feedparser
			 * (sgmllib) reads them as markup, not as text */
			i = j + 1;
			continue;
		}
		if (j >= n || !is_alpha((unsigned char)s[j])) {
			/* not a tag: libxml2 reads on as text ("a < b", "<!x>"), but drops the
			 * "</" of "</ p>" */
			if (!err && !end && !(err = held_write(t)) && !(err = void_fence(t))) {
				t->seen = 1;
				t->after = 0;
				err = buf_putc(out, '<');
			}
			i = end ? j : i + 1;
			continue;
		}
		for (k = j; k < n && (tag_bytes[(unsigned char)s[k]] & TB_NAME); k++)
			;
		if (end) {
			/* nearly always the byte after the name */
			lt = k < n && s[k] == '>' ? s + k : memchr(s + k, '>', n - k);
			gt = lt ? (size_t)(lt - s) : n;
			selfclose = 0;
		} else {
			gt = tag_gt(s, n, k, &selfclose);
		}
		i = gt + (gt < n);
		if (k - j > NAME_MAX_LEN)
			continue; /* no element we know: as well left out */
		if (!selfclose && (raw = raw_text_name(s + j, k - j))) {
			/* feedparser counts these tags rather than matching them: an end tag that
			 * closes nothing cancels the next start tag, whose content is then text */
			if (end)
				stray++;
			else if (stray)
				stray--;
			else
				i = skip_raw_text(s, n, i, raw);
			continue;
		}
		if (!err)
			err = held_list(t);
		t->after = !end && !selfclose && holds_text(s + j, k - j);
		if (!end && k - j - 2 < 2 && t->void_ok && (v = void_kind(s + j, k - j)) != 0 &&
		    t->n_runs < MARKS_MAX) {
			if (!err)
				err = void_hold(t, s, j, k, gt, keep_attrs, v);
			continue;
		}
		/* libxml2 opens body for a start tag if none is (htmlCheckImplied) */
		if (!end)
			t->void_ok = t->hold_voids;
		if (k - j - 4 < 2 && ((s[j] | 0x20) == 'h' || (s[j] | 0x20) == 't') &&
		    void_head(s + j, k - j))
			t->void_ok = t->hold_voids >> 1;
		if (!err && keep_attrs && !end && gt > k) {
			err = tag_write(out, 0, s + j, k - j, -1);
			if (!err)
				err = tag_attrs(s, j, k, gt, t);
			if (!err)
				err = buf_append(out, selfclose ? "/>" : ">", selfclose ? 2 : 1);
		} else if (!err) {
			err = tag_write(out, end, s + j, k - j, selfclose);
		}
	}
	/* blanks at the end: libxml2 delivers them before it closes what is open */
	if (!err)
		err = held_write(t);
	return err ? err : void_fence(t);
}
