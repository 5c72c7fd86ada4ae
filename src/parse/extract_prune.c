/* SPDX-License-Identifier: MIT */
/* The extractor's first pass over a page: what is never article text goes (scripts, hidden
 * elements, navigation, share bars, comments, related lists, cookie banners), judged by tag,
 * ARIA role and class/id; and the measures the scorer needs (text, link text, commas). */
#include "autoconfig.h"

#include <ctype.h>
#include <string.h>

#include <libxml/tree.h>

#include "extract_impl.h"

/* Never article text, whatever they hold. */
static const char *const drop_tags[] = {
    "applet", "aside",	"audio",      "button", "canvas",  "datalist", "dialog",   "embed",
    "footer", "iframe", "input",      "link",	"meta",	   "nav",      "noscript", "object",
    "option", "script", "select",     "style",	"svg",	   "template", "textarea", "video",
    "head",   "menu",	"figcaption", "label",	"noembed", "noframes", "map",	   "picture",
};

static const char *const drop_roles[] = {
    "navigation", "complementary", "banner", "contentinfo", "menu",    "menubar",
    "dialog",	  "alertdialog",   "search", "toolbar",	    "tablist",
};

/* Parts of class and id names. Boilerplate that no article holds (removed before scoring): */
static const char *const unlikely_words[] = {
    "comment",	    "disqus",	 "share",	 "sharing",	 "social",	"related",
    "recommend",    "sidebar",	 "cookie",	 "consent",	 "gdpr",	"newsletter",
    "subscribe",    "signup",	 "sign-up",	 "promo",	 "sponsor",	"-ad-",
    "ad-slot",	    "adslot",	 "ad-container", "advert",	 "breadcrumb",	"pagination",
    "pager",	    "popup",	 "modal",	 "outbrain",	 "taboola",	"footer",
    "masthead",	    "menu",	 "navbar",	 "banner",	 "skyscraper",	"byline",
    "dateline",	    "share-bar", "toolbar",	 "most-popular", "mostpopular", "trending",
    "more-stories", "paywall",	 "login",	 "skip-link",	 "inline-ad",	"header",
    "supplement",   "extra",	 "community",	 "replies",	 "remark",	"combx",
    "shoutbox",	    "agegate",	 "rss",		 "legends",	 "cover-wrap",	"ai2html",
    "caption",	    "credit",	 "gallery",	 "carousel",	 "slideshow",	"lightbox",
};

/* Whole class names of content not shown (or shown to screen readers only). */
static const char *const hidden_classes[] = {
    "hidden",	 "hide",   "sr-only",	"visually-hidden", "visuallyhidden", "screen-reader-text",
    "invisible", "d-none", "is-hidden", "offscreen",
};

/* Less sure signs of boilerplate (a negative weight only): */
static const char *const bad_words[] = {
    "comment", "share",	   "related", "sidebar", "footer",  "masthead", "promo",      "sponsor",
    "banner",  "outbrain", "tags",    "meta",	 "contact", "shopping", "scroll",     "-ad-",
    "social",  "cookie",   "gdpr",    "media",	 "combx",   "shoutbox", "skyscraper",
};

/* Article bodies: */
static const char *const good_words[] = {
    "article", "story", "content", "entry", "post", "text", "body", "main", "blog", "prose",
};

static int in_list(const char *s, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(s, list[i]))
			return 1;
	return 0;
}

static int has_any(const char *s, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strstr(s, list[i]))
			return 1;
	return 0;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* The element's class and id, lowercased, space-separated, at most cap-1 bytes. */
static void class_id(xmlNodePtr n, char *out, size_t cap)
{
	static const char *const names[] = {"class", "id"};
	size_t i, o = 0;

	for (i = 0; i < N(names); i++) {
		xmlAttrPtr a = xmlHasProp(n, (const xmlChar *)names[i]);
		const char *v;

		if (!a || !a->children || !(v = (const char *)a->children->content))
			continue;
		for (; *v && o + 2 < cap; v++)
			out[o++] = (char)tolower((unsigned char)*v);
		if (o + 1 < cap)
			out[o++] = ' ';
	}
	out[o] = '\0';
}

int extract_class_weight(const struct xtree *t, xmlNodePtr n)
{
	char ci[256];
	int w = 0;

	if (!(t->flags & WEIGHT_CLASSES))
		return 0;
	class_id(n, ci, sizeof(ci));
	if (!ci[0])
		return 0;
	if (has_any(ci, bad_words, N(bad_words)))
		w -= 25;
	if (has_any(ci, good_words, N(good_words)))
		w += 25;
	if (w)
		*t->effects |= WEIGHT_CLASSES;
	return w;
}

int extract_unlikely(xmlNodePtr n)
{
	char ci[256];

	class_id(n, ci, sizeof(ci));
	return ci[0] && has_any(ci, unlikely_words, N(unlikely_words)) &&
	       !has_any(ci, good_words, N(good_words));
}

static const char *prop(xmlNodePtr n, const char *name)
{
	xmlAttrPtr a = xmlHasProp(n, (const xmlChar *)name);

	return a && a->children && a->children->content ? (const char *)a->children->content : NULL;
}

static int hidden_class(xmlNodePtr n)
{
	const char *c = prop(n, "class");

	while (c && *c) {
		size_t len;
		char word[32];

		c += strspn(c, " \t\r\n\f");
		len = strcspn(c, " \t\r\n\f");
		if (len && len < sizeof(word)) {
			memcpy(word, c, len);
			word[len] = '\0';
			if (in_list(word, hidden_classes, N(hidden_classes)))
				return 1;
		}
		c += len;
	}
	return 0;
}

static int hidden(xmlNodePtr n)
{
	const char *s = prop(n, "style"), *v;
	char c[128];
	size_t o = 0;

	if (xmlHasProp(n, (const xmlChar *)"hidden") || hidden_class(n))
		return 1;
	v = prop(n, "aria-hidden");
	if (v && !strcmp(v, "true"))
		return 1;
	for (; s && *s && o + 1 < sizeof(c); s++)
		if (!isspace((unsigned char)*s))
			c[o++] = (char)tolower((unsigned char)*s);
	c[o] = '\0';
	return strstr(c, "display:none") || strstr(c, "visibility:hidden");
}

/* Marks the elements holding the page's own mark of its article body (itemprop=articleBody)
 * and its ancestors, which no pruning may remove. */
static void mark_keep(xmlNodePtr root)
{
	xmlNodePtr n, a;

	for (n = root; n; n = extract_next(n, root, 0)) {
		const char *ip;

		if (n->type != XML_ELEMENT_NODE || !(ip = prop(n, "itemprop")))
			continue;
		if (!strstr(ip, "articleBody"))
			continue;
		for (a = n; a && a->type == XML_ELEMENT_NODE; a = a->parent)
			if (xinfo_of(a))
				xinfo_of(a)->keep = 1;
	}
}

static int structural(xmlNodePtr n)
{
	return extract_is(n, "html") || extract_is(n, "body") || extract_is(n, "article") ||
	       extract_is(n, "main");
}

/* Whether n goes, before any scoring. */
static int doomed(const struct xtree *t, xmlNodePtr n)
{
	const struct xinfo *x = xinfo_of(n);
	const char *role;

	if (n->type == XML_COMMENT_NODE || n->type == XML_PI_NODE || n->type == XML_DTD_NODE)
		return 1;
	if (n->type != XML_ELEMENT_NODE || !x || x->keep)
		return 0;
	if (in_list((const char *)n->name, drop_tags, N(drop_tags)) || hidden(n))
		return 1;
	role = prop(n, "role");
	if (role && in_list(role, drop_roles, N(drop_roles)))
		return 1;
	if (extract_is(n, "header") && x->paras < 2)
		return 1;
	if (structural(n) || !extract_unlikely(n))
		return 0;
	*t->effects |= STRIP_UNLIKELY;
	return t->flags & STRIP_UNLIKELY;
}

void extract_prune(struct xtree *t)
{
	xmlNodePtr root = xmlDocGetRootElement(t->doc), n, next;

	mark_keep(root);
	for (n = root; n; n = next) {
		if (n != root && doomed(t, n)) {
			next = extract_next(n, root, 1);
			xmlUnlinkNode(n);
			xmlFreeNode(n);
		} else {
			next = extract_next(n, root, 0);
		}
	}
}
