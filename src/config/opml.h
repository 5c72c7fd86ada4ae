/* SPDX-License-Identifier: MIT */
/* The OPML format alone: the outlines of a feed list as written, read or written, before they are
 * named and checked as feeds (config.c does that, and turns feeds back into outlines). */
#ifndef FEEDSPOOL_OPML_H
#define FEEDSPOOL_OPML_H

#include <stddef.h>
#include <stdio.h>

#include "buf.h"

/* An OPML file larger than this is refused: a feed list is far smaller. */
#define OPML_MAX_BYTES (16u << 20)

struct opml_outline {
	char *text;  /* trimmed; NULL when absent or blank */
	char *title; /* trimmed; NULL when absent or blank */
	char *url;   /* the trimmed xmlUrl; never NULL, possibly "" */
	char *html_url; /* the trimmed htmlUrl (the site's page); NULL when absent or blank */
	/* the outlines it is nested in (their text, else title), joined by '/'; else the first
	 * path of its own `category` attribute without the leading '/'; NULL when neither */
	char *category;
	int line;
};

struct opml_list {
	struct opml_outline *v;
	size_t n, cap;
};

/* Reads every outline with an xmlUrl under <body>, nested ones too, in document order; path "-"
 * is the standard input. No DTD,
 * no entity and nothing from the network is ever loaded; a document declaring entities is refused.
 * Returns 0, or a negative errno code with a message in err and *line set to the line it
 * concerns; *line is 0 when the file could not be read, and the message is then the reason only
 * (the caller names the file). On error out is left empty. */
int opml_read(const char *path, struct opml_list *out, int *line, struct buf *err);
void opml_list_fini(struct opml_list *l);
/* Writes the n outlines of v (text, title and htmlUrl left out when NULL) as an OPML 2.0
 * document, those with a category inside one outline per category (text and title the category,
 * in the order categories first appear; an outline's place among the others of its category is
 * kept), so that reading it back gives each its category: 0 or a negative errno code. */
int opml_write(const struct opml_outline *v, size_t n, FILE *out);

#endif
