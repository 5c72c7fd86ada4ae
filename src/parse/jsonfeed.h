/* SPDX-License-Identifier: MIT */
/* JSON Feed 1.0 / 1.1 (https://jsonfeed.org/version/1.1) documents -> articles, with Jansson. */
#ifndef FEEDSPOOL_JSONFEED_H
#define FEEDSPOOL_JSONFEED_H

#include <stddef.h>

#include "feed.h"

/* Parses a whole JSON Feed document (UTF-8). Delivers each item through fn; fills info.
 * Returns the number of articles delivered (>= 0) or a negative errno code with a message
 * in err (and the line in *line when known). */
int jsonfeed_parse(const char *doc, size_t n, const struct feed_parser_opts *o,
		   struct feed_info *info, feed_article_fn fn, void *ud, char *err, size_t errsz,
		   long *line);

#endif
