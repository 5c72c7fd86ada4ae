/* SPDX-License-Identifier: MIT */
/* The allowlist behind an article's content_html: which elements, attributes and URLs survive. */
#ifndef FEEDSPOOL_SANITIZE_H
#define FEEDSPOOL_SANITIZE_H

#include <stddef.h>

#include "buf.h"

/* What the sanitizer does with an element (lowercase name). */
enum san_el {
	SAN_DROP_TAG, /* the tags go, the content stays (span-less wrappers, font, form, iframe...) */
	SAN_KEEP,     /* the element stays, with its allowed attributes */
	SAN_VOID,     /* kept, and has no end tag (br, hr, img, wbr, col) */
	SAN_REMOVE,   /* removed with everything in it (input, button, embed...: no text of theirs) */
};

enum san_attr {
	SAN_ATTR_NO,
	SAN_ATTR_TEXT, /* copied, escaped */
	SAN_ATTR_URL,  /* made absolute; dropped unless http, https, ftp or (href) mailto */
};

enum san_el sanitize_element(const char *name);
enum san_attr sanitize_attribute(const char *element, const char *attr);
/* Whether any element may keep an attribute of this name (len bytes, any case): the tokenizer
 * in front of libxml2 passes only these on. */
int sanitize_attribute_known(const char *name, size_t len);

/* The URL an href/src/cite may carry: v resolved against base (NULL: left relative), with a
 * safe scheme; NULL when it has none (javascript:, vbscript:, data:, anything else), also for
 * images: data: images are dropped too, documented in feedspool(1). is_href allows mailto:. */
char *sanitize_url(const char *base, const char *v, int is_href);

/* Appends text escaped for HTML content (& < >), or an attribute value (& < > "); control
 * characters other than tab and newline are dropped. 0 or -ENOMEM. */
int sanitize_put_text(struct buf *out, const char *s, size_t n);
int sanitize_put_attr(struct buf *out, const char *s, size_t n);

#endif
