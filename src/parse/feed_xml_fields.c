/* SPDX-License-Identifier: MIT */
/* A field's text: attributes read from a start tag, how a field is to be read (Atom types,
 * base64), its collection under the size limit (XHTML re-serialised), and its conversion to
 * plain text. */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <string.h>
#include <strings.h>

#include "base64.h"
#include "charset.h"
#include "feed_xml_impl.h"
#include "url.h"

/* ---- text ------------------------------------------------------------------------------- */

/* The offset in s of its text without the blanks (space, tab, LF, CR) around it; *n its length. */
static size_t trim_span(const char *s, size_t *n)
{
	size_t i = 0, k;

	while (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')
		i++;
	k = strlen(s + i);
	while (k && (s[i + k - 1] == ' ' || s[i + k - 1] == '\t' || s[i + k - 1] == '\n' ||
		     s[i + k - 1] == '\r'))
		k--;
	*n = k;
	return i;
}

char *feed_xml_trim_dup(const char *s)
{
	size_t n, i = trim_span(s, &n);

	return strndup(s + i, n);
}

/* s without the blanks feed_xml_trim_dup() drops around it, cut where it is. */
char *feed_xml_trim_in_place(char *s)
{
	size_t n, i = trim_span(s, &n);

	s[i + n] = '\0';
	return s + i;
}

/* A language tag as RFC 5646 writes it: "en_US" (a locale name) becomes "en-US". NULL when
 * blank. */
char *feed_xml_lang_dup(const char *s)
{
	char *t = feed_xml_trim_dup(s), *c;

	if (t && !*t) {
		free(t);
		return NULL;
	}
	for (c = t; c && *c; c++)
		if (*c == '_')
			*c = '-';
	return t;
}

/*
 * Why every text this parser hands to the HTML and text conversions is valid UTF-8 without NUL
 * (strict: no overlong form, surrogate or value above U+10FFFF), so that they skip their check
 * (feed_xml_valid_utf8):
 * - No NUL: each is converted as s[0..strlen(s)).
 * - The document: charset.c's converters output only strict UTF-8 (utf8_seq() keeps only valid
 *   sequences, every other byte becomes windows-1252 or U+FFFD through buf_put_utf8(), iconv's
 *   output is filtered by the same utf8_convert()) without NUL or the C0 controls and U+FFFE/FFFF
 *   XML forbids, and only whole characters (a sequence split between two reads is carried over).
 * - xml_fix.c cuts that stream only at ASCII bytes, but for the two bytes it may hold back before
 *   a comment's, a PI's or CDATA's end: those pieces go to libxml2, never to us directly. Its
 *   sections (feed_xml_push_section, straight to on_text) are runs of the stream that begin at
 *   an ASCII byte or at a character's lead byte (0xC2-0xF4) and end at an ASCII byte ('&', '<',
 *   CR, ']') or before a character's lead byte (back_to): whole characters of the stream, with
 *   references decoded to '<', '>', '&', '"', '\'' or, by
 *   put_utf8(), to a character char_ref() checked is an XML Char (no NUL, no surrogate, at most
 *   U+10FFFF); a native section is the stream's bytes between "<![CDATA[" and "]]>".
 * - libxml2 (2.9.14; LIBXML_VERSION) parses that valid stream with IGNORE_ENC (no decoder): text
 *   is ASCII runs, or characters xmlCurrentChar() decoded whole and copied by COPY_BUF (a
 *   character cut by the end of what was pushed so far returns 0 and waits for the rest; its
 *   Latin-1 fallback, which would copy single bytes, needs an invalid sequence four bytes before
 *   the end, which valid input has not), CDATA checked by xmlCheckCdataPush(), character
 *   references it accepted (IS_CHAR) through xmlCopyChar(), and the text of entities, which it
 *   parsed the same way: the document's own, the predefined ones, and on_get_entity()'s (an
 *   HTML entity's code point, never 0 or a surrogate, by buf_put_utf8(), or ASCII). Element
 *   and attribute names and attribute values (re-serialised XHTML) are parsed the same way.
 * - Collection: feed_xml_collect_escaped() replaces ASCII bytes by ASCII; a field cut at its
 *   limit ends before a continuation byte (feed_xml_collect_append_cut); cand_offer() copies
 *   whole texts; trims and strtok_r cut at ASCII blanks and commas.
 * - base64: feed_xml_unbase64() keeps decoded bytes only when utf8_valid() and NUL-free, else the
 *   field is M_NONE and never converted.
 * - The double-encoding repair (charset_fix_double_utf8) works on the conversion's output, never
 *   its input.
 * Builds with FEEDSPOOL_CHECK_UTF8 (make fuzz) check this in html.c and abort on a counterexample.
 */
const struct html_extra feed_xml_valid_utf8 = {.valid_utf8 = 1};

/* Converts a collected text to plain text in the given layout; NULL when it holds nothing. */
char *feed_xml_to_text(const struct feed_xml *x, const char *s, enum fmode mode,
		       enum html_mode layout)
{
	struct buf out = BUF_INIT;

	if (!s || mode == M_NONE)
		return NULL;
	if (mode == M_GUESS)
		mode = html_looks_like(s, strlen(s)) ? M_HTML : M_TEXT;
	if (mode == M_TEXT)
		plain_convert(s, strlen(s), layout, &out, &feed_xml_valid_utf8);
	else
		html_convert(s, strlen(s), layout, &out, &feed_xml_valid_utf8);
	if (x->repair_utf8)
		charset_fix_double_utf8(&out);
	if (!out.len) {
		buf_fini(&out);
		return NULL;
	}
	return buf_steal(&out);
}

/* ---- attributes ------------------------------------------------------------------------- */

/* The values copied one after the other, each with its NUL, into one buffer the parser keeps:
 * no malloc per value read. */
int feed_xml_attrs_copy(struct attrs *at, struct buf *scratch)
{
	size_t total = 0;
	char *o;
	int i;

	at->vals = NULL;
	for (i = 0; i < at->n; i++)
		total += (size_t)(at->v[5 * i + 4] - at->v[5 * i + 3]) + 1;
	buf_reset(scratch);
	if (!at->n)
		return 0;
	if (buf_reserve(scratch, total) < 0) {
		at->n = 0; /* read as an element without attributes */
		return -ENOMEM;
	}
	o = scratch->data;
	for (i = 0; i < at->n; i++) {
		size_t n = (size_t)(at->v[5 * i + 4] - at->v[5 * i + 3]);

		memcpy(o, at->v[5 * i + 3], n);
		o[n] = '\0';
		o += n + 1;
	}
	scratch->len = total - 1; /* the last NUL is the buffer's own */
	at->vals = scratch->data;
	return 0;
}

/* The length of attribute i's value with its NUL: where attribute i + 1's copy starts. */
static inline size_t val_size(const struct attrs *at, int i)
{
	return (size_t)(at->v[5 * i + 4] - at->v[5 * i + 3]) + 1;
}

/* The value of attribute name (no namespace, or the given namespace URI); NULL if absent. */
const char *feed_xml_attr_get(const struct attrs *at, const char *ns_uri, const char *name)
{
	size_t off = 0;
	int i;

	for (i = 0; i < at->n; off += val_size(at, i), i++) {
		const xmlChar **a = at->v + 5 * i;
		const char *uri = (const char *)a[2];

		if (strcmp((const char *)a[0], name) != 0)
			continue;
		if (ns_uri ? !(uri && strcmp(uri, ns_uri) == 0) : uri != NULL)
			continue;
		return at->vals + off;
	}
	return NULL;
}

/* An attribute without namespace, its name matched without regard to case (CDF's HREF). */
const char *feed_xml_attr_get_ci(const struct attrs *at, const char *name)
{
	size_t off = 0;
	int i;

	for (i = 0; i < at->n; off += val_size(at, i), i++) {
		const xmlChar **a = at->v + 5 * i;

		if (!a[2] && !strcasecmp((const char *)a[0], name))
			return at->vals + off;
	}
	return NULL;
}

int feed_xml_attr_get_exists(const struct attrs *at, const char *name)
{
	int i;

	for (i = 0; i < at->n; i++)
		if (!strcmp((const char *)at->v[5 * i], name) && !at->v[5 * i + 2])
			return 1;
	return 0;
}

/* feed_xml_attr_get(at, XML_NS, "base"), else feed_xml_attr_get_ci(at, "base") (a plain "base"
 * counts as xml:base, as in feedparser: CDF's BASE), and feed_xml_attr_get(at, XML_NS, "lang"),
 * in one pass that passes over names starting with neither 'b' nor 'l'. */
void feed_xml_attr_base_lang(const struct attrs *at, const char **base, const char **lang)
{
	static const char xml_ns[] = "http://www.w3.org/XML/1998/namespace";
	const char *xb = NULL, *pb = NULL, *xl = NULL;
	size_t off = 0;
	int i;

	for (i = 0; i < at->n; off += val_size(at, i), i++) {
		const xmlChar **a = at->v + 5 * i;
		const char *name = (const char *)a[0], *uri = (const char *)a[2];
		int c = name[0] | 0x20;

		if (c == 'b' && uri && !xb && !strcmp(name, "base") && !strcmp(uri, xml_ns))
			xb = at->vals + off;
		else if (c == 'b' && !uri && !pb && !strcasecmp(name, "base"))
			pb = at->vals + off;
		else if (c == 'l' && uri && !xl && !strcmp(name, "lang") && !strcmp(uri, xml_ns))
			xl = at->vals + off;
	}
	*base = xb ? xb : pb;
	*lang = xl;
}

char *feed_xml_attr_url(struct feed_xml *x, const struct attrs *at, const char *name)
{
	const char *v = feed_xml_attr_get(at, NULL, name);

	return v ? url_resolve(cur_base(x), v) : NULL;
}

int64_t feed_xml_attr_int(const struct attrs *at, const char *name)
{
	const char *v = feed_xml_attr_get(at, NULL, name);
	char *end;
	long long n;

	if (!v)
		return -1;
	n = strtoll(v, &end, 10);
	if (end == v || n < 0)
		n = -1;
	return n;
}

/* Atom text constructs and content: type="text|html|xhtml" or a MIME type; Atom 0.3 mode=. */
enum fmode feed_xml_atom_mode(const struct attrs *at, int is_content)
{
	const char *type = feed_xml_attr_get(at, NULL, "type");
	const char *mode = feed_xml_attr_get(at, NULL, "mode");
	enum fmode m = M_TEXT;
	int b64 = 0;

	if (type && is_blank(type))
		type = NULL; /* type="" says nothing: text, the default */
	if (type) {
		if (!strcasecmp(type, "html") || !strcasecmp(type, "text/html"))
			m = M_HTML;
		else if (!strcasecmp(type, "xhtml") || !strcasecmp(type, "application/xhtml+xml"))
			m = M_XHTML;
		else if (!strcasecmp(type, "text") || !strncasecmp(type, "text/", 5))
			m = M_TEXT;
		else if (strstr(type, "xml"))
			m = is_content ? M_XHTML : M_TEXT; /* inline XML: its text */
		else
			b64 = 1; /* RFC 4287 4.1.3.3: other types are base64 */
	}
	if (mode) {
		if (!strcasecmp(mode, "base64"))
			b64 = 1;
		else if (!strcasecmp(mode, "xml") && m != M_NONE)
			m = M_XHTML;
		else if (!strcasecmp(mode, "escaped") && m == M_TEXT && type &&
			 strcasecmp(type, "text") && strcasecmp(type, "text/plain"))
			m = M_HTML;
	}
	if (b64)
		m = m == M_HTML ? M_B64_HTML : M_B64_TEXT;
	return m;
}

/* Decodes a base64 field in place; its mode becomes what the decoded bytes are. */
enum fmode feed_xml_unbase64(struct buf *text, enum fmode m)
{
	struct buf out = BUF_INIT;

	if (m != M_B64_TEXT && m != M_B64_HTML)
		return m;
	if (base64_decode(buf_cstr(text), text->len, &out) < 0) {
		/* not base64 after all: the text as it is, as feedparser keeps it */
		buf_fini(&out);
		return m == M_B64_HTML ? M_HTML : M_TEXT;
	}
	if (!utf8_valid(buf_cstr(&out), out.len) || memchr(buf_cstr(&out), 0, out.len)) {
		buf_fini(&out);
		return M_NONE; /* binary, not text */
	}
	buf_fini(text);
	*text = out;
	return m == M_B64_HTML ? M_HTML : M_TEXT;
}

/* ---- collection of text -------------------------------------------------------------------- */

void feed_xml_collect_start(struct feed_xml *x, enum fmode mode)
{
	buf_reset(&x->text);
	x->collecting = x->depth;
	x->cmode = mode;
	x->cut = 0;
	x->cname = x->started;
	x->frames[x->depth].collect = 1;
}

/* feed_xml_collect_append() of what does not fit: what fits is kept, the field is cut. */
void feed_xml_collect_append_cut(struct feed_xml *x, const char *s, size_t n)
{
	size_t max = x->max_field;

	if (x->cut)
		return;
	if (x->text.len + n > max) {
		/* keep what fits, ending on a whole UTF-8 character */
		n = max > x->text.len ? max - x->text.len : 0;
		while (n && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
		char msg[200];

		buf_append(&x->text, s, n);
		x->cut = 1;
		if (x->in_item)
			snprintf(msg, sizeof msg, "item %zu: <%.40s> cut at its size limit (%zu bytes)",
				 x->count + 1, x->cname ? (const char *)x->cname : "?", max);
		else
			snprintf(msg, sizeof msg, "feed <%.40s> cut at its size limit (%zu bytes)",
				 x->cname ? (const char *)x->cname : "?", max);
		feed_xml_diag(x, 0, msg);
		return;
	}
	buf_append(&x->text, s, n);
}

/* The first i from i where s holds '&', '<', '>' or '"' (what HTML source escapes), or n:
 * sixteen bytes at a time with SSE2 first. */
size_t feed_xml_escape_next(const char *s, size_t i, size_t n)
{
#ifdef __SSE2__
	const __m128i amp = _mm_set1_epi8('&'), lt = _mm_set1_epi8('<');
	const __m128i gt = _mm_set1_epi8('>'), quot = _mm_set1_epi8('"');

	for (; n - i >= 16; i += 16) {
		const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		const __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, amp), _mm_cmpeq_epi8(v, lt)),
					       _mm_or_si128(_mm_cmpeq_epi8(v, gt), _mm_cmpeq_epi8(v, quot)));
		unsigned bits = (unsigned)_mm_movemask_epi8(m);

		if (bits)
			return i + (size_t)__builtin_ctz(bits);
	}
#endif
	/* the bytes to escape are all below '?': one compare passes most bytes */
	for (; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= '>' && (c == '&' || c == '<' || c == '>' || c == '"'))
			return i;
	}
	return n;
}

/* Appends text as HTML source: XHTML text nodes must stay text when the HTML is parsed again. */
void feed_xml_collect_escaped(struct feed_xml *x, const char *s, size_t n)
{
	size_t i, start = 0;

	for (i = feed_xml_escape_next(s, 0, n); i < n; i = feed_xml_escape_next(s, start, n)) {
		unsigned char c = (unsigned char)s[i];
		const char *rep = c == '&' ? "&amp;" : c == '<' ? "&lt;" : c == '>' ? "&gt;" : "&quot;";
		size_t len = c == '"' ? 6 : c == '&' ? 5 : 4;

		if (i > start)
			feed_xml_collect_append(x, s + start, i - start);
		feed_xml_collect_append(x, rep, len);
		start = i + 1;
	}
	if (n > start)
		feed_xml_collect_append(x, s + start, n - start);
}

static int is_void_element(const char *name)
{
	static const char *const v[] = {"area", "base", "br", "col", "embed", "hr", "img", "input",
					"link", "meta", "param", "source", "track", "wbr", NULL};
	int i;

	for (i = 0; v[i]; i++)
		if ((name[0] | 0x20) == v[i][0] && !strcasecmp(name, v[i]))
			return 1;
	return 0;
}

int feed_xml_markup_start(struct feed_xml *x, const xmlChar *name, const struct attrs *at)
{
	int i;

	feed_xml_collect_append(x, "<", 1);
	feed_xml_collect_append(x, (const char *)name, strlen((const char *)name));
	for (i = 0; i < at->n; i++) {
		const xmlChar **a = at->v + 5 * i;

		feed_xml_collect_append(x, " ", 1);
		feed_xml_collect_append(x, (const char *)a[0], strlen((const char *)a[0]));
		feed_xml_collect_append(x, "=\"", 2);
		feed_xml_collect_escaped(x, (const char *)a[3], (size_t)(a[4] - a[3]));
		feed_xml_collect_append(x, "\"", 1);
	}
	feed_xml_collect_append(x, ">", 1);
	return is_void_element((const char *)name);
}

void feed_xml_markup_end(struct feed_xml *x, const xmlChar *name)
{
	feed_xml_collect_append(x, "</", 2);
	feed_xml_collect_append(x, (const char *)name, strlen((const char *)name));
	feed_xml_collect_append(x, ">", 1);
}

char *feed_xml_collect_end(struct feed_xml *x)
{
	x->collecting = 0;
	if (!x->text.data && buf_reserve(&x->text, 0) < 0)
		return NULL;
	return x->text.data;
}

