/* SPDX-License-Identifier: MIT */
/* Fuzz target: HTML fragments and plain text to the seed layout (src/parse/html.c and html_*.c).
 *
 * Input: 1 option byte, then the text. Bit 0 of the option byte: HTML_INLINE instead of
 * HTML_BLOCKS; bit 1: plain_to_text instead of html_to_text. html_looks_like runs on every input.
 * Invariants checked (html.h, and the layout tests/test_html.c checks): the output is UTF-8
 * without NUL or C0 control characters but the line breaks (and tabs kept inside pre), has no
 * leading or trailing whitespace, no empty line, no line break at all in HTML_INLINE.
 * Bit 2: html_convert() also makes the sanitized HTML, which must hold only allowlisted elements
 * and attributes (sanitize.c), no comment, no unescaped '<' in text, and no URL with a scheme
 * other than http, https, ftp or mailto (no javascript:, vbscript:, data:). */
#include "autoconfig.h"

#include <ctype.h>
#include <string.h>

#include "charset.h"
#include "fuzz.h"
#include "html.h"
#include "sanitize.h"

/* The sanitized HTML is checked with its own grammar: <name( attr="value")*> or </name>, text
 * without '<'. */
static void check_url(const char *v, size_t n)
{
	char scheme[16];
	size_t i = 0, k = 0;
	unsigned char ch;

	/* read as a browser reads it (WHATWG URL): leading C0 controls and spaces skipped, tabs
	 * and newlines ignored; a scheme starts with a letter and holds letters, digits, + - . */
	while (i < n && (unsigned char)v[i] <= 0x20)
		i++;
	for (; i < n && v[i] != ':'; i++) {
		ch = (unsigned char)v[i];
		if (ch == '\t' || ch == '\n' || ch == '\r')
			continue;
		if (!(isalpha(ch) || (k > 0 && (isdigit(ch) || ch == '+' || ch == '-' || ch == '.'))))
			return; /* relative */
		if (k + 1 < sizeof scheme)
			scheme[k++] = (char)tolower(ch);
	}
	scheme[k] = '\0';
	if (i == n || !k)
		return; /* relative */
	FUZZ_ASSERT(!strcmp(scheme, "http") || !strcmp(scheme, "https") || !strcmp(scheme, "ftp") ||
			    !strcmp(scheme, "mailto"),
		    "a URL with scheme \"%s\" survived: %.*s", scheme, (int)n, v);
}

static void check_tag(const char *t, size_t n)
{
	char el[33], at[33];
	size_t i = 1, k = 0;
	enum san_attr kind;

	FUZZ_ASSERT(n > 2 && t[n - 1] == '>', "a tag that does not end: %.*s", (int)n, t);
	if (t[i] == '/')
		i++;
	FUZZ_ASSERT(t[i] != '!', "a comment or declaration survived: %.*s", (int)n, t);
	while (i < n && t[i] != ' ' && t[i] != '>' && k + 1 < sizeof el)
		el[k++] = t[i++];
	el[k] = '\0';
	FUZZ_ASSERT(sanitize_element(el) == SAN_KEEP || sanitize_element(el) == SAN_VOID,
		    "element <%s> is not on the allowlist: %.*s", el, (int)n, t);
	while (i < n && t[i] == ' ') {
		const char *v, *q;

		for (k = 0, i++; i < n && t[i] != '=' && k + 1 < sizeof at; i++)
			at[k++] = t[i];
		at[k] = '\0';
		FUZZ_ASSERT(i + 1 < n && t[i] == '=' && t[i + 1] == '"', "attribute %s unquoted", at);
		kind = sanitize_attribute(el, at);
		FUZZ_ASSERT(kind != SAN_ATTR_NO, "attribute %s on <%s> is not on the allowlist", at, el);
		v = t + i + 2;
		q = memchr(v, '"', n - i - 2);
		FUZZ_ASSERT(q != NULL, "attribute %s has no closing quote", at);
		if (kind == SAN_ATTR_URL)
			check_url(v, (size_t)(q - v));
		i = (size_t)(q - t) + 1;
	}
	FUZZ_ASSERT(t[i] == '>', "junk in a tag: %.*s", (int)n, t);
}

static void check_html(const struct buf *h)
{
	size_t i = 0;
	const char *gt;

	while (i < h->len) {
		if (h->data[i] != '<') {
			i++;
			continue;
		}
		gt = memchr(h->data + i, '>', h->len - i);
		FUZZ_ASSERT(gt != NULL, "an unescaped '<' in the text at %zu", i);
		check_tag(h->data + i, (size_t)(gt - h->data) - i + 1);
		i = (size_t)(gt - h->data) + 1;
	}
}

static int no_link(void *ud, const char *a, const char *b)
{
	(void)ud;
	check_url(a, strlen(a));
	(void)b;
	return 0;
}

static int blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf out = BUF_INIT;
	enum html_mode mode;
	const char *s;
	size_t i, len;
	int plain, rc;

	if (size < 1)
		return 0;
	mode = data[0] & 1 ? HTML_INLINE : HTML_BLOCKS;
	plain = data[0] & 2;
	s = (const char *)data + 1;
	len = size - 1;
	(void)html_looks_like(s, len);
	if (data[0] & 4 && !plain) {
		struct buf html = BUF_INIT;
		struct html_extra x = {"http://example.org/a/", &html, no_link, no_link, NULL, 0};

		rc = html_convert(s, len, mode, &out, &x);
		check_html(&html);
		buf_fini(&html);
	} else {
		rc = plain ? plain_to_text(s, len, mode, &out) : html_to_text(s, len, mode, &out);
	}
	FUZZ_ASSERT(rc == 0, "%s returned %d", plain ? "plain_to_text" : "html_to_text", rc);
	FUZZ_ASSERT(utf8_valid(out.data, out.len), "the output is not UTF-8");
	for (i = 0; i < out.len; i++) {
		unsigned char c = (unsigned char)out.data[i];

		FUZZ_ASSERT(c >= 0x20 || c == '\n' || (c == '\t' && !plain),
			    "control 0x%02x at %zu", c, i);
		if (c == '\n') {
			FUZZ_ASSERT(mode == HTML_BLOCKS, "a line break in HTML_INLINE at %zu", i);
			FUZZ_ASSERT(i > 0 && out.data[i - 1] != '\n', "an empty line at %zu", i);
			FUZZ_ASSERT(!blank(out.data[i - 1]) && i + 1 < out.len &&
					!blank(out.data[i + 1]),
				    "whitespace around the line break at %zu: \"%s\"", i, out.data);
		}
	}
	if (out.len)
		FUZZ_ASSERT(!blank(out.data[0]) && !blank(out.data[out.len - 1]),
			    "leading or trailing whitespace: \"%s\"", out.data);
	buf_fini(&out);
	return 0;
}
