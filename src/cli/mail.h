/* SPDX-License-Identifier: MIT */
/* An article (its spool JSON) as an RFC 5322 message, for `feedspool take --format mbox` and
 * `--maildir`: MIME (RFC 2045), encoded words in headers (RFC 2047), mboxrd framing. */
#ifndef FEEDSPOOL_MAIL_H
#define FEEDSPOOL_MAIL_H

#include <jansson.h>

#include "buf.h"

/* Appends the message: From the feed, Subject the title, Date (published, else updated, else
 * fetched), Message-ID from the id (and revision), a text/plain part holding text (the text
 * rendering), and a text/html alternative when the article has "content_html". Lines end in
 * LF; every line is shorter than 998 bytes. 0 or -ENOMEM. */
int mail_render(const json_t *article, const char *text, struct buf *out);

/* Appends msg as one mboxrd entry: a "From " line dated like the message, the message with
 * ">" added before every line matching /^>*From /, and an empty line. 0 or -ENOMEM. */
int mail_mbox_append(const json_t *article, const char *msg, size_t len, struct buf *out);

#endif
