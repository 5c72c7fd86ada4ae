/* SPDX-License-Identifier: MIT */
/* HTML fragments -> plain text in the seed layout (one line per block), via libxml2's HTML parser. */
#ifndef FEEDSPOOL_HTML_H
#define FEEDSPOOL_HTML_H

#include <stddef.h>

#include "buf.h"

enum html_mode {
	HTML_BLOCKS, /* one line per block (paragraph, heading, list item, quote), '\n' between */
	HTML_INLINE, /* everything on one line, blocks joined by a space (titles, names) */
};

/* Converts an HTML fragment (UTF-8) to text and appends it to out: whitespace collapsed as HTML
 * does (U+00A0 stays), entities decoded, script/style/empty figures dropped, inline markup
 * flattened; no leading or trailing whitespace, no empty lines, no trailing newline.
 * Returns 0 or a negative errno code. */
int html_to_text(const char *html, size_t len, enum html_mode mode, struct buf *out);

/* What a conversion may make besides the text, in the same parse: the sanitized HTML (the
 * allowlist of sanitize.c) and the inline links and images, their URLs made absolute against
 * base and filtered as the HTML's are. Callbacks get borrowed strings; a non-zero return is
 * -ENOMEM. */
struct html_extra {
	const char *base;  /* the URL relative references resolve against (NULL: left relative) */
	struct buf *html;  /* the sanitized HTML is appended here (NULL: not made) */
	int (*on_link)(void *ud, const char *href, const char *text);
	int (*on_image)(void *ud, const char *src, const char *alt);
	void *ud;
	/* The caller vouches that the input is valid UTF-8 without NUL (the feed parser's text:
	 * feed_xml.c says why it always is): the check and clean-up of bad bytes are skipped. Only
	 * for input that provably is; builds with FEEDSPOOL_CHECK_UTF8 (fuzzing, sanitizers) check
	 * it anyway and abort when it is not. */
	int valid_utf8;
};

/* html_to_text() that also makes what x asks for (x may be NULL). */
int html_convert(const char *html, size_t len, enum html_mode mode, struct buf *out,
		 const struct html_extra *x);

/* Appends text (the text rendering's lines) as HTML: a paragraph per line, escaped. */
int html_from_text(const char *text, size_t len, struct buf *html);

/* Converts plain text (UTF-8) the same way: in HTML_BLOCKS, blank lines separate blocks and the
 * whitespace inside a block collapses to single spaces; in HTML_INLINE all of it is one line. */
int plain_to_text(const char *text, size_t len, enum html_mode mode, struct buf *out);

/* plain_to_text() with x's valid_utf8 (the rest of x is not used; x may be NULL). */
int plain_convert(const char *text, size_t len, enum html_mode mode, struct buf *out,
		  const struct html_extra *x);

/* Whether text declared plain (RSS titles, descriptions of unknown type) looks like HTML: it
 * holds a known HTML element tag or a character/entity reference. */
int html_looks_like(const char *text, size_t len);

#endif
