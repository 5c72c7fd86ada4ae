/* SPDX-License-Identifier: MIT */
/* The full text of linked pages (`fulltext = no|yes|auto`): before the filter chain, an article
 * whose feed asks for it (auto: when its body is a teaser) gets the main text of the page its
 * link points at, fetched by the daemon's fetcher with the feed's own rules (timeouts, caps,
 * redirects, private-address policy), found by the extractor (extract.h) and rendered as the
 * feed's HTML is (body, content_html, inline links and images). At most one fetch per article:
 * only articles new to the seen set get here. A failure keeps the feed's own text, logged. */
#ifndef FEEDSPOOL_FULLTEXT_H
#define FEEDSPOOL_FULLTEXT_H

#include "article.h"
#include "config.h"
#include "fetch.h"

/* Whether a's body reads as a teaser: short (under 100 words), or ending in a "read more",
 * "continue reading" or ellipsis line. */
int fulltext_is_teaser(const struct article *a);
/* Whether the feed's setting asks for a's page (never for feeds with revisions, whose text
 * must stay the feed's own to tell a change, nor for links other than http and https). */
int fulltext_wanted(const struct article *a, const struct feed_conf *fc);

/* Fetches a's page and, when the extractor finds more text than a has, replaces a's body,
 * standfirst, content_html, inline links and images. done is called once, from the loop, never
 * from inside this call; a must stay alive until then. 0, or -ENOMEM (done is not called). */
int fulltext_start(struct fetcher *fetcher, struct article *a, const struct feed_conf *fc,
		   void (*done)(void *ud), void *ud);

#endif
