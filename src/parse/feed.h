/* SPDX-License-Identifier: MIT */
/* The feed normalizer: a streaming parser that turns feed documents (RSS 0.9x/1.0/2.0, Atom
 * 0.3/1.0, JSON Feed) pushed in chunks of any size into articles, one callback per item. */
#ifndef FEEDSPOOL_FEED_H
#define FEEDSPOOL_FEED_H

#include <stddef.h>
#include <stdint.h>

#include "article.h"

#define FEED_MAX_BYTES_DEFAULT ((size_t)256 << 20) /* a whole document */
#define FEED_MAX_FIELD_DEFAULT ((size_t)2 << 20)   /* one text field of one item */

struct feed_parser_opts {
	const char *name;         /* the feed's name, for feed.name (copied) */
	const char *url;          /* the document's address: base of relative links and feed.url
				   * (copied without its user:password@) */
	const char *content_type; /* HTTP Content-Type, for its charset (copied) */
	size_t max_bytes;         /* 0: FEED_MAX_BYTES_DEFAULT */
	size_t max_field;         /* 0: FEED_MAX_FIELD_DEFAULT; longer fields are cut */
	int64_t fetched;          /* the articles' "fetched" time (seconds since the epoch) */
	/* Optional, RSS and Atom: asked once per item when its identity (id, url, guid, title,
	 * dates) is known, before its summary and body are turned into text. Non-zero means the
	 * caller already knows the item and has dealt with it: it is counted, the text is not
	 * made, and the article callback is not called for it. */
	int (*known)(void *ud, const struct article *a);
	void *known_ud;
};

/* Called once per item, as soon as the item is complete. Both pointers are borrowed for the
 * call; the callback may take a string out of the article (set the field to NULL). A non-zero
 * return stops the parse (feed_parser_push then returns -ECANCELED). */
typedef int (*feed_article_fn)(void *ud, struct article *a, const struct feed_info *f);

struct feed_parser;

struct feed_parser *feed_parser_new(const struct feed_parser_opts *o, feed_article_fn fn, void *ud);
void feed_parser_free(struct feed_parser *p);
/* Pushes the next n bytes of the document. Returns 0, or a negative errno code once the document
 * cannot be parsed further (the error is in feed_parser_error); later pushes are ignored. */
int feed_parser_push(struct feed_parser *p, const char *data, size_t n);
/* Ends the document. Returns 0 when it was a well-formed feed, else a negative errno code with
 * feed_parser_error set; articles recovered before the damage have been delivered either way. */
int feed_parser_finish(struct feed_parser *p);

/* Streams an open file (fd) through p until its end and finishes the document. A failure is
 * logged as "NAME:LINE: message (N articles before the error)". Returns 0 for a well-formed
 * feed, -1 otherwise. The caller closes fd and frees p. */
int feed_parser_read_fd(struct feed_parser *p, int fd, const char *name);
/* What `parse` and `filter` call a file's feed: its base name; NULL for "-" (stdin). */
const char *feed_name_of_path(const char *path);

const struct feed_info *feed_parser_info(const struct feed_parser *p);
/* The first error ("not well-formed (invalid token)") and its line (0 when unknown), or NULL. */
const char *feed_parser_error(const struct feed_parser *p, long *line);
/* Recoverable problems seen (undeclared namespace prefixes, cut fields, bad bytes...). */
size_t feed_parser_warnings(const struct feed_parser *p);
const char *feed_parser_first_warning(const struct feed_parser *p, long *line);
size_t feed_parser_count(const struct feed_parser *p);

#endif
