/* SPDX-License-Identifier: MIT */
/* The extractor's last passes: which siblings of the chosen element belong to the article,
 * and what inside it is still not article text (link lists, share bars, forms, image strips,
 * the title repeated as a heading). */
#include "autoconfig.h"

#include <ctype.h>
#include <string.h>

#include <libxml/tree.h>

#include "extract_impl.h"

/* Blocks this long or longer are text, whatever words they hold. */
#define BOILER_MAX 250
#define BYLINE_MAX 120

static double link_density(const struct xinfo *x)
{
	return x->text ? (double)x->link / (double)x->text : 0;
}

/* Whether a short block ends like a sentence (". " inside or a final '.'). */
static int sentence(xmlNodePtr n)
{
	xmlChar *c = xmlNodeGetContent(n);
	size_t len;
	int yes = 0;

	if (c) {
		len = strlen((const char *)c);
		while (len && isspace(c[len - 1]))
			len--;
		yes = (len && c[len - 1] == '.') || strstr((const char *)c, ". ");
	}
	xmlFree(c);
	return yes;
}

static int same_class(xmlNodePtr a, xmlNodePtr b)
{
	xmlChar *x = xmlGetProp(a, (const xmlChar *)"class");
	xmlChar *y = xmlGetProp(b, (const xmlChar *)"class");
	int yes = x && y && *x && !strcmp((const char *)x, (const char *)y);

	xmlFree(x);
	xmlFree(y);
	return yes;
}

/* Whether s opens with a heading marked as boilerplate ("related posts", "more stories"). */
static int teaser_head(const struct xtree *t, xmlNodePtr s)
{
	xmlNodePtr c;

	for (c = s->children; c && c->type != XML_ELEMENT_NODE; c = c->next)
		;
	return c && c->name[0] == 'h' && extract_class_weight(t, c) < 0;
}

static int belongs(const struct xtree *t, xmlNodePtr s, xmlNodePtr top, double threshold)
{
	const struct xinfo *x = xinfo_of(s), *tx = xinfo_of(top);
	double bonus = same_class(s, top) ? tx->score * 0.2 : 0;

	if (!x || x->articles > 1 || teaser_head(t, s))
		return 0;
	if (x->scored && x->score + bonus >= threshold)
		return 1;
	if (!extract_is(s, "p"))
		return 0;
	if (x->text > 80 && link_density(x) < 0.25)
		return 1;
	return x->text > 0 && x->text <= 80 && !x->link && sentence(s);
}

size_t extract_siblings(struct xtree *t, xmlNodePtr top, xmlNodePtr *out, size_t max)
{
	double threshold = xinfo_of(top)->score * 0.2;
	xmlNodePtr s;
	size_t n = 0;

	if (threshold < 10)
		threshold = 10;
	if (top == t->body || !top->parent || !xinfo_of(top->parent)) {
		out[0] = top;
		return 1;
	}
	for (s = top->parent->children; s && n < max; s = s->next)
		if (s == top || (s->type == XML_ELEMENT_NODE && belongs(t, s, top, threshold)))
			out[n++] = s;
	return n;
}

static int heading(xmlNodePtr n)
{
	const char *s = (const char *)n->name;

	return n->type == XML_ELEMENT_NODE && s[0] == 'h' && s[1] >= '1' && s[1] <= '6' && !s[2];
}

/* Whether a container holds more navigation, images or forms than text (readability's
 * conditional cleaning, with its thresholds). */
static int junk(const struct xtree *t, xmlNodePtr n)
{
	const struct xinfo *x = xinfo_of(n);
	int weight = extract_class_weight(t, n), list;
	double ld;

	if (!x)
		return 0;
	if (weight < 0)
		return 1;
	if (x->commas >= 10)
		return 0;
	list = extract_is(n, "ul") || extract_is(n, "ol");
	ld = link_density(x);
	if (x->img > 1 && x->p * 2 < x->img)
		return 1;
	if (!list && x->li > x->p + 100)
		return 1;
	if (x->input > x->p / 3)
		return 1;
	if (!list && x->text < PARA_MIN && (x->img == 0 || x->img > 2))
		return 1;
	if (!list && weight < 25 && ld > 0.2)
		return 1;
	if (weight >= 25 && ld > 0.5)
		return 1;
	return (x->embed == 1 && x->text < 75) || x->embed > 1;
}

/* Whether n is a container that conditional cleaning drops. */
static int conditional(const struct xtree *t, xmlNodePtr n)
{
	static const char *const tags[] = {"form", "fieldset", "table",	  "ul",
					   "ol",   "div",      "section", "figure"};
	size_t i;

	for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
		if (extract_is(n, tags[i]))
			break;
	if (i == sizeof(tags) / sizeof(tags[0]) || !junk(t, n))
		return 0;
	*t->effects |= CLEAN_CONDITIONALLY;
	return (t->flags & CLEAN_CONDITIONALLY) != 0;
}

/* Whether text (a node's content) is the title again: the same words, ignoring case, spaces
 * and what follows the title's last letter ("Title..." and "Title…"). */
int extract_same_as_title(const char *c, const char *title)
{
	size_t i = 0, j = 0, nt = strlen(title);

	while (nt && !isalnum((unsigned char)title[nt - 1]) && !(title[nt - 1] & 0x80))
		nt--;
	for (;;) {
		while (c[i] && isspace((unsigned char)c[i]))
			i++;
		while (j < nt && isspace((unsigned char)title[j]))
			j++;
		if (j >= nt)
			break;
		if (!c[i] || tolower((unsigned char)c[i]) != tolower((unsigned char)title[j]))
			return 0;
		i++, j++;
	}
	while (c[i] && (isspace((unsigned char)c[i]) || ispunct((unsigned char)c[i])))
		i++;
	return !c[i] || (unsigned char)c[i] >= 0x80;
}

/* Whether a heading is the page's title again, or a link list's label. */
static int bad_heading(const struct xtree *t, xmlNodePtr n)
{
	const struct xinfo *x = xinfo_of(n);
	xmlChar *c;
	int same;

	if (!x || extract_class_weight(t, n) < 0 || link_density(x) > 0.33)
		return 1;
	if (!t->title || !*t->title)
		return 0;
	c = xmlNodeGetContent(n);
	same = c && extract_same_as_title((const char *)c, t->title);
	xmlFree(c);
	return same;
}

/* Words of short blocks that are about the site, not the story (lowercase). */
static const char *const boiler_phrases[] = {
    "follow us",   "follow him",  "follow her",	   "follow me",		  "subscribe to",
    "sign up for", "click here",  "clicking here", "all rights reserved", "tell us what you think",
    "join our",	   "let us know", "getty images",  "about the author",	  "share this",
    "read more:",  "related:",	  "recommended:",  "advertisement",
};

/* How bylines and datelines begin (as written, case and all). */
static const char *const byline_starts[] = {"By ", "BY ", "Published ", "Updated ", "Posted "};

/* Whether a short block is a byline or dateline ("By Ann Lee | May 2, 2019"). */
static int byline(const xmlChar *c, size_t len)
{
	size_t i;

	c += strspn((const char *)c, " \t\r\n");
	for (i = 0; len < BYLINE_MAX && i < sizeof(byline_starts) / sizeof(byline_starts[0]); i++)
		if (!strncmp((const char *)c, byline_starts[i], strlen(byline_starts[i])))
			return 1;
	return 0;
}

static int has_boiler_phrase(xmlNodePtr n)
{
	xmlChar *c = xmlNodeGetContent(n);
	size_t i;
	int yes = c && byline(c, xinfo_of(n)->text);

	for (i = 0; c && c[i]; i++)
		c[i] = (xmlChar)tolower(c[i]);
	for (i = 0; c && !yes && i < sizeof(boiler_phrases) / sizeof(boiler_phrases[0]); i++)
		yes = strstr((const char *)c, boiler_phrases[i]) != NULL;
	xmlFree(c);
	return yes;
}

/* Whether a short block is a link (a related story) or a line about the site. */
static int boiler_block(xmlNodePtr n)
{
	const struct xinfo *x = xinfo_of(n);
	xmlNodePtr c;

	if (!x || x->text >= BOILER_MAX || !x->text)
		return 0;
	if (!extract_is(n, "p") && !extract_is(n, "li") && !extract_is(n, "dd") &&
	    !extract_is(n, "div") && !heading(n))
		return 0;
	for (c = n->children; c; c = c->next)
		if (extract_is_block(c))
			return 0;
	return link_density(x) >= 0.6 || has_boiler_phrase(n);
}

int extract_title_repeat(const struct xtree *t, xmlNodePtr n)
{
	return heading(n) && bad_heading(t, n);
}

void extract_clean(struct xtree *t, xmlNodePtr root)
{
	xmlNodePtr n, next;

	if (root->type != XML_ELEMENT_NODE)
		return;
	extract_measure(t, root);
	for (n = root; n; n = next) {
		int go =
		    n != root && n->type == XML_ELEMENT_NODE && xinfo_of(n) && !xinfo_of(n)->keep &&
		    ((heading(n) && bad_heading(t, n)) || boiler_block(n) || conditional(t, n));

		next = extract_next(n, root, go);
		if (go) {
			xmlUnlinkNode(n);
			xmlFreeNode(n);
		}
	}
}
