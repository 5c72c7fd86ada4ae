/* SPDX-License-Identifier: MIT */
/* The HTML allowlist of content_html: text structure, links, images, tables, figures, code,
 * quotes and lists stay; scripts, styles, event handlers, style attributes, frames, objects,
 * embeds, forms and unsafe URLs go. html_out.c applies it while it converts the HTML to text. */
#include "autoconfig.h"

#include "sanitize.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "url.h"

struct el {
	const char *name;
	unsigned char what;
};

/* Sorted for bsearch(). Elements not listed lose their tags and keep their content (what
 * html_layout.c drops with its content, script, style, svg titles..., never reaches us). Void
 * elements (embed, input...) are listed to be dropped: what libxml2 may put inside them is
 * the text that follows them in HTML5. */
static const struct el elements[] = {
    {"a", SAN_KEEP},	      {"abbr", SAN_KEEP},	{"acronym", SAN_KEEP},
    {"address", SAN_KEEP},    {"article", SAN_KEEP},	{"aside", SAN_KEEP},
    {"b", SAN_KEEP},	      {"base", SAN_DROP_TAG},	{"bdi", SAN_KEEP},
    {"bdo", SAN_KEEP},	      {"big", SAN_KEEP},	{"blockquote", SAN_KEEP},
    {"br", SAN_VOID},	      {"button", SAN_REMOVE},	{"caption", SAN_KEEP},
    {"cite", SAN_KEEP},	      {"code", SAN_KEEP},	{"col", SAN_VOID},
    {"colgroup", SAN_KEEP},   {"dd", SAN_KEEP},		{"del", SAN_KEEP},
    {"details", SAN_KEEP},    {"dfn", SAN_KEEP},	{"div", SAN_KEEP},
    {"dl", SAN_KEEP},	      {"dt", SAN_KEEP},		{"em", SAN_KEEP},
    {"embed", SAN_DROP_TAG},    {"figcaption", SAN_KEEP}, {"figure", SAN_KEEP},
    {"footer", SAN_KEEP},     {"frame", SAN_DROP_TAG},	{"h1", SAN_KEEP},
    {"h2", SAN_KEEP},	      {"h3", SAN_KEEP},		{"h4", SAN_KEEP},
    {"h5", SAN_KEEP},	      {"h6", SAN_KEEP},		{"header", SAN_KEEP},
    {"hr", SAN_VOID},	      {"i", SAN_KEEP},		{"img", SAN_VOID},
    {"input", SAN_DROP_TAG},    {"ins", SAN_KEEP},	{"kbd", SAN_KEEP},
    {"keygen", SAN_DROP_TAG},   {"li", SAN_KEEP},		{"link", SAN_DROP_TAG},
    {"main", SAN_KEEP},	      {"mark", SAN_KEEP},	{"meta", SAN_DROP_TAG},
    {"ol", SAN_KEEP},	      {"p", SAN_KEEP},		{"param", SAN_DROP_TAG},
    {"pre", SAN_KEEP},	      {"q", SAN_KEEP},		{"rp", SAN_KEEP},
    {"rt", SAN_KEEP},	      {"ruby", SAN_KEEP},	{"s", SAN_KEEP},
    {"samp", SAN_KEEP},	      {"section", SAN_KEEP},	{"small", SAN_KEEP},
    {"source", SAN_DROP_TAG},   {"span", SAN_KEEP},	{"strike", SAN_KEEP},
    {"strong", SAN_KEEP},     {"sub", SAN_KEEP},	{"summary", SAN_KEEP},
    {"sup", SAN_KEEP},	      {"table", SAN_KEEP},	{"tbody", SAN_KEEP},
    {"td", SAN_KEEP},	      {"tfoot", SAN_KEEP},	{"th", SAN_KEEP},
    {"thead", SAN_KEEP},      {"time", SAN_KEEP},	{"tr", SAN_KEEP},
    {"track", SAN_DROP_TAG},    {"tt", SAN_KEEP},		{"u", SAN_KEEP},
    {"ul", SAN_KEEP},	      {"var", SAN_KEEP},	{"wbr", SAN_VOID},
};

/* Attributes: "*" for every kept element, else the one element that may carry it. */
struct attribute {
	const char *attr, *element;
	unsigned char what;
};

/* The rows of attributes[], in its order (by name). */
enum {
	A_ALT,
	A_CITE,
	A_COLSPAN,
	A_DATETIME,
	A_DIR,
	A_HEADERS,
	A_HEIGHT,
	A_HREF,
	A_LANG,
	A_REVERSED,
	A_ROWSPAN,
	A_SCOPE,
	A_SPAN,
	A_SRC,
	A_START,
	A_TITLE,
	A_TYPE,
	A_VALUE,
	A_WIDTH,
};

static const struct attribute attributes[] = {
    [A_ALT] = {"alt", "img", SAN_ATTR_TEXT},	   [A_CITE] = {"cite", "*", SAN_ATTR_URL},
    [A_COLSPAN] = {"colspan", "*", SAN_ATTR_TEXT}, [A_DATETIME] = {"datetime", "*", SAN_ATTR_TEXT},
    [A_DIR] = {"dir", "*", SAN_ATTR_TEXT},	   [A_HEADERS] = {"headers", "*", SAN_ATTR_TEXT},
    [A_HEIGHT] = {"height", "img", SAN_ATTR_TEXT}, [A_HREF] = {"href", "a", SAN_ATTR_URL},
    [A_LANG] = {"lang", "*", SAN_ATTR_TEXT},	   [A_REVERSED] = {"reversed", "ol", SAN_ATTR_TEXT},
    [A_ROWSPAN] = {"rowspan", "*", SAN_ATTR_TEXT}, [A_SCOPE] = {"scope", "*", SAN_ATTR_TEXT},
    [A_SPAN] = {"span", "*", SAN_ATTR_TEXT},	   [A_SRC] = {"src", "img", SAN_ATTR_URL},
    [A_START] = {"start", "ol", SAN_ATTR_TEXT},	   [A_TITLE] = {"title", "*", SAN_ATTR_TEXT},
    [A_TYPE] = {"type", "ol", SAN_ATTR_TEXT},	   [A_VALUE] = {"value", "li", SAN_ATTR_TEXT},
    [A_WIDTH] = {"width", "img", SAN_ATTR_TEXT},
};

static int el_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct el *)elem)->name);
}

enum san_el sanitize_element(const char *name)
{
	const struct el *e =
	    bsearch(name, elements, sizeof elements / sizeof *elements, sizeof *elements, el_cmp);

	return e ? (enum san_el)e->what : SAN_DROP_TAG;
}

/* The row of the lowercase name l (len bytes), or -1: a switch on the length, then a few
 * fixed-size compares (most attributes met, class, id, style, on..., stop at the length or the
 * first compare) rather than a bsearch() with a strcmp() per step. */
static int attribute_index(const char *l, size_t len)
{
#define IS(s) (memcmp(l, s, sizeof(s) - 1) == 0)
	switch (len) {
	case 3:
		return IS("alt") ? A_ALT : IS("dir") ? A_DIR : IS("src") ? A_SRC : -1;
	case 4:
		return IS("cite")   ? A_CITE
		       : IS("href") ? A_HREF
		       : IS("lang") ? A_LANG
		       : IS("span") ? A_SPAN
		       : IS("type") ? A_TYPE
				    : -1;
	case 5:
		return IS("scope")   ? A_SCOPE
		       : IS("start") ? A_START
		       : IS("title") ? A_TITLE
		       : IS("value") ? A_VALUE
		       : IS("width") ? A_WIDTH
				     : -1;
	case 6:
		return IS("height") ? A_HEIGHT : -1;
	case 7:
		return IS("colspan")   ? A_COLSPAN
		       : IS("headers") ? A_HEADERS
		       : IS("rowspan") ? A_ROWSPAN
				       : -1;
	case 8:
		return IS("datetime") ? A_DATETIME : IS("reversed") ? A_REVERSED : -1;
	default:
		return -1;
	}
#undef IS
}

enum san_attr sanitize_attribute(const char *element, const char *attr)
{
	/* no name is longer than 8 bytes: no need to measure a longer one to the end */
	int i = attribute_index(attr, strnlen(attr, 9));
	const struct attribute *a;

	if (i < 0)
		return SAN_ATTR_NO;
	a = &attributes[i];
	return a->element[0] == '*' || !strcmp(a->element, element) ? (enum san_attr)a->what
								    : SAN_ATTR_NO;
}

/* Whether the lowercase name l (len bytes) is one: as attribute_index(), with fewer branches (the
 * tokenizer asks for every attribute of every tag). */
static int known_lower(const char *l, size_t len)
{
#define IS(s) (memcmp(l, s, sizeof(s) - 1) == 0)
	switch (len) {
	case 3:
		return IS("alt") || IS("dir") || IS("src");
	case 4:
		return IS("cite") || IS("href") || IS("lang") || IS("span") || IS("type");
	case 5:
		return IS("scope") || IS("start") || IS("title") || IS("value") || IS("width");
	case 6:
		return IS("height");
	case 7:
		return IS("colspan") || IS("headers") || IS("rowspan");
	case 8:
		return IS("datetime") || IS("reversed");
	default:
		return 0;
	}
#undef IS
}

int sanitize_attribute_known(const char *name, size_t len)
{
	char l[8];
	size_t i;

	if (len < 3 || len > sizeof l)
		return 0;
	/* every name is ASCII letters (| 0x20 lowercases A-Z and nothing else onto a-z) */
	for (i = 0; i < len; i++) {
		l[i] = (char)(name[i] | 0x20);
		if (l[i] < 'a' || l[i] > 'z')
			return 0;
	}
	return known_lower(l, len);
}

/* The scheme of a URL as a browser reads it: ASCII blanks and control characters anywhere in
 * it ignored ("java\tscript:"), lowercased, into out; "" when the URL has none (relative). */
static void scheme_of(const char *v, char *out, size_t size)
{
	size_t k = 0;

	for (; *v; v++) {
		unsigned char b = (unsigned char)*v;

		if (b <= ' ')
			continue;
		if (b == ':') {
			out[k] = '\0';
			return;
		}
		if (!((b | 0x20) >= 'a' && (b | 0x20) <= 'z') &&
		    !(k && ((b >= '0' && b <= '9') || b == '+' || b == '-' || b == '.')))
			break;
		if (k + 1 >= size)
			break;
		out[k++] = (char)(b | 0x20);
	}
	out[0] = '\0';
}

#define CONTROLS                                                                                   \
	"\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15"          \
	"\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x7f "

static int scheme_ok(const char *scheme, int is_href)
{
	return !strcmp(scheme, "http") || !strcmp(scheme, "https") || !strcmp(scheme, "ftp") ||
	       (is_href && !strcmp(scheme, "mailto"));
}

char *sanitize_url(const char *base, const char *v, int is_href)
{
	char scheme[16], *r;

	while (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r' || *v == '\f')
		v++;
	if (!*v)
		return NULL;
	scheme_of(v, scheme, sizeof scheme);
	if (*scheme)
		return scheme_ok(scheme, is_href) ? strdup(v) : NULL;
	if (*v == '#' && is_href)
		return strdup(v); /* a fragment of the article itself */
	r = url_resolve(base, v);
	if (!r)
		return NULL;
	scheme_of(r, scheme, sizeof scheme);
	/* what did not resolve against a base is not a URL anyone can follow; without a base, a
	 * relative reference stays, if it is one (no blanks or control characters) */
	if (*scheme ? !scheme_ok(scheme, is_href) : base != NULL || strpbrk(r, CONTROLS) != NULL) {
		free(r);
		return NULL;
	}
	return r;
}

/* 1: escaped in text and attributes, 2: in attributes only, 3: dropped. */
static const unsigned char special[256] = {
    [0] = 3,	[1] = 3,    [2] = 3,	[3] = 3,    [4] = 3,	[5] = 3,    [6] = 3,	[7] = 3,
    [8] = 3,	[11] = 3,   [12] = 3,	[13] = 3,   [14] = 3,	[15] = 3,   [16] = 3,	[17] = 3,
    [18] = 3,	[19] = 3,   [20] = 3,	[21] = 3,   [22] = 3,	[23] = 3,   [24] = 3,	[25] = 3,
    [26] = 3,	[27] = 3,   [28] = 3,	[29] = 3,   [30] = 3,	[31] = 3,   [127] = 3,	['&'] = 1,
    ['<'] = 1,	['>'] = 1,  ['"'] = 2,
};

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* Whether one of the 8 bytes of w is c: a byte of w ^ c is zero (the classic test is exact
 * about whether there is one, if not where). */
static int has_byte(uint64_t w, unsigned char c)
{
	uint64_t x = w ^ (ONES * c);

	return ((x - ONES) & ~x & HIGHS) != 0;
}

/* Whether one of the 8 bytes of w is below 0x20 (exact about whether there is one). */
static int has_control(uint64_t w)
{
	return ((w - ONES * 0x20) & ~w & HIGHS) != 0;
}

#ifdef __SSE2__
/* The bytes of the 16 at u that need escaping or dropping (exactly those plain_span()'s byte
 * loop stops at), as the bits of a mask. */
static unsigned special16(const unsigned char *u, int attr)
{
	const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)u);
	/* below 0x20 (v == min(v, 0x1f)), but tab and line feed; and DEL */
	__m128i m = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v);

	m = _mm_andnot_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\t')),
					  _mm_cmpeq_epi8(v, _mm_set1_epi8('\n'))),
			     m);
	m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f)));
	m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8('&')));
	m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8('<')));
	m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8('>')));
	if (attr)
		m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8('"')));
	return (unsigned)_mm_movemask_epi8(m);
}
#endif

/* The first i from i that needs escaping or dropping (n if none): sixteen bytes at a time
 * with SSE2, else eight (a word with a control character, tab and line feed included, goes
 * byte by byte); the byte loop for the rest. */
static size_t plain_span(const unsigned char *u, size_t i, size_t n, int attr)
{
#ifdef __SSE2__
	while (n - i >= 16) {
		unsigned m = special16(u + i, attr);

		if (m)
			return i + (size_t)__builtin_ctz(m);
		i += 16;
	}
#endif
	while (n - i >= 8) {
		uint64_t w;

		memcpy(&w, u + i, 8);
		if (has_byte(w, '&') || has_byte(w, '<') || has_byte(w, '>') ||
		    (attr && has_byte(w, '"')) || has_control(w) || has_byte(w, 0x7f))
			break;
		i += 8;
	}
	while (i < n && (!special[u[i]] || (special[u[i]] == 2 && !attr)))
		i++;
	return i;
}

static int put_escaped(struct buf *out, const char *s, size_t n, int attr)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, start = 0;
	int err = 0;

	while (!err) {
		const char *rep;

		i = plain_span(u, i, n, attr);
		if (i >= n)
			break;
		rep = u[i] == '&' ? "&amp;" : u[i] == '<' ? "&lt;" : u[i] == '>' ? "&gt;"
		      : u[i] == '"' ? "&quot;" : "";
		err = buf_append(out, s + start, i - start);
		if (!err)
			err = buf_puts(out, rep);
		start = ++i;
	}
	if (!err)
		err = buf_append(out, s + start, n - start);
	return err;
}

int sanitize_put_text(struct buf *out, const char *s, size_t n)
{
	return put_escaped(out, s, n, 0);
}

int sanitize_put_attr(struct buf *out, const char *s, size_t n)
{
	return put_escaped(out, s, n, 1);
}
