/* SPDX-License-Identifier: MIT */
/* Full-text extraction: the main article of a web page (its title and its text in the seed
 * layout), found by a readability-style scorer over libxml2's HTML tree. */
#ifndef FEEDSPOOL_EXTRACT_H
#define FEEDSPOOL_EXTRACT_H

#include <stddef.h>

#include "buf.h"

/* Pages larger than this are cut here before parsing (their tail is rarely article text). */
#define EXTRACT_INPUT_MAX (2u << 20)

struct extract {
	struct buf title; /* one line, no line break; empty when the page names none */
	struct buf text;  /* the article's blocks, one line each (html.h, HTML_BLOCKS) */
	struct buf html;  /* the chosen content as HTML (UTF-8), for a sanitizer to render */
};

void extract_init(struct extract *x);
void extract_fini(struct extract *x);

/* Finds the main article of page (len bytes of HTML, as fetched) and replaces x's contents
 * with it. url (may be NULL) is the page's address, its base for relative links; charset (may
 * be NULL) is the one its HTTP Content-Type named, which overrides what the page declares.
 * A page with no article text leaves x->text empty and returns 0; errors are -ENOMEM only. */
int extract_page(const char *page, size_t len, const char *url, const char *charset,
		 struct extract *x);

#endif
