/* SPDX-License-Identifier: MIT */
/* What the extractor's files (extract.c, extract_prune.c, extract_score.c, extract_clean.c)
 * share: the facts kept per element of the page's tree, and tree walking without recursion. */
#ifndef FEEDSPOOL_EXTRACT_IMPL_H
#define FEEDSPOOL_EXTRACT_IMPL_H

#include <stddef.h>

#include <libxml/tree.h>

/* What we know of one element, hung on its node's _private. */
struct xinfo {
	double score;	 /* readability score from the paragraphs below it */
	size_t text;	 /* characters of text inside it, whitespace runs counted once */
	size_t link;	 /* of which inside links */
	unsigned commas; /* commas in its text */
	size_t own;	 /* text of its own: in text nodes and inline elements directly inside */
	unsigned own_commas;
	unsigned articles; /* article elements below it */
	unsigned paras;	   /* paragraphs of real text below it (at least PARA_MIN characters) */
	unsigned p, img, li, input, embed; /* elements of these kinds below it */
	signed char weight;		   /* class/id and semantic signals, -50..50 */
	unsigned char scored;		   /* score was initialized (it is a candidate) */
	unsigned char keep;		   /* holds the page's marked article body: never pruned */
};

/* Shorter blocks are not paragraphs of text. */
#define PARA_MIN 25

/* What a pass does; when the strictest pass finds too little text, the next drops a step. */
#define STRIP_UNLIKELY 1      /* drop elements whose class/id says boilerplate */
#define WEIGHT_CLASSES 2      /* score class/id signals */
#define CLEAN_CONDITIONALLY 4 /* drop containers holding more links, images, forms than text */

struct xtree {
	xmlDocPtr doc;
	unsigned flags;
	unsigned *effects; /* the flags that changed something in this pass */
	xmlNodePtr body;
	struct xinfo *info; /* one per element, in document order */
	size_t n;
	const char *title; /* the page's title (folded to one line), for dropping its repeat */
};

static inline struct xinfo *xinfo_of(xmlNodePtr n)
{
	return n && n->type == XML_ELEMENT_NODE ? (struct xinfo *)n->_private : NULL;
}

/* The node after n in document order within root, entering n's children unless skip. */
xmlNodePtr extract_next(xmlNodePtr n, xmlNodePtr root, int skip);

/* Whether element n is named name (lowercase). */
int extract_is(xmlNodePtr n, const char *name);
/* Whether n is one of the block elements a paragraph cannot hold. */
int extract_is_block(xmlNodePtr n);
/* The class/id signal of an element: negative for navigation, comments, shares, related
 * lists, cookie banners and the like, positive for article bodies; 0 when neither. */
int extract_class_weight(const struct xtree *t, xmlNodePtr n);
/* Whether an element's class or id marks it as boilerplate that no article holds. */
int extract_unlikely(xmlNodePtr n);

/* Text and link lengths, commas and paragraph counts of every element under root. */
void extract_measure(struct xtree *t, xmlNodePtr root);
/* Drops what is never article text: scripts, hidden elements, navigation, form controls,
 * asides and (STRIP_UNLIKELY) the elements whose class or id marks them as boilerplate. */
void extract_prune(struct xtree *t);
/* The element holding the article, or NULL. */
xmlNodePtr extract_choose(struct xtree *t);
/* The article's elements: top and the siblings that belong with it; their count. */
size_t extract_siblings(struct xtree *t, xmlNodePtr top, xmlNodePtr *out, size_t max);
/* Whether text c (up to its end or a line break) is title again, give or take case, spaces
 * and trailing punctuation. */
int extract_same_as_title(const char *c, const char *title);
/* Whether n is a heading repeating the title (or a boilerplate heading): not article text. */
int extract_title_repeat(const struct xtree *t, xmlNodePtr n);
/* Drops what the article's element still holds that is not its text. */
void extract_clean(struct xtree *t, xmlNodePtr root);

#endif
