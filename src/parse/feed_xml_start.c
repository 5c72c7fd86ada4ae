/* SPDX-License-Identifier: MIT */
/* Start tags: the frame of each element (xml:base, xml:lang), the feed root, items and the
 * containers read or skipped, links and the attribute-only elements, and which fields collect
 * their text and how. */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "feed_xml_impl.h"
#include "url.h"

#define RDF_NS "http://www.w3.org/1999/02/22-rdf-syntax-ns#"

/* ---- frames and links -------------------------------------------------------------------- */

static void push_base_lang(struct feed_xml *x, struct frame *f, const struct attrs *at)
{
	const char *v, *lang;

	if (!at->n)
		return; /* most elements have no attributes */
	feed_xml_attr_base_lang(at, &v, &lang);
	if (v) {
		char *r = url_resolve(cur_base(x), v);

		if (r) {
			x->bases[x->nbases++] = r;
			f->set_base = 1;
		}
	}
	if ((v = lang)) {
		char *t = feed_xml_lang_dup(v);

		if (t) {
			x->langs[x->nlangs++] = t;
			f->set_lang = 1;
		}
	}
}

/* An Atom link (or an RSS link with an href): the article's address, an enclosure, or a link. */
void feed_xml_add_link(struct feed_xml *x, const char *href, const char *rel, const char *type,
		       const char *title, int64_t length)
{
	int alternate = !rel || !strcasecmp(rel, "alternate");
	int html = type && (!strcasecmp(type, "text/html") ||
			    !strcasecmp(type, "application/xhtml+xml"));
	/* an alternate of another type (a PDF) is the address only when nothing else is, as in
	 * feedparser, which takes only HTML alternates (an untyped link is text/html) */
	int rank = html ? 3 : type ? 0 : 2;

	if (!href || !*href)
		return;
	if (x->in_item) {
		struct raw_item *it = &x->item;

		if (rel && !strcasecmp(rel, "enclosure")) {
			article_add_enclosure(&it->a, href, type, length);
		} else {
			article_add_link(&it->a, href, rel ? rel : "alternate", type, title);
			/* an HTML alternate is the article's address; another alternate only if none */
			if (alternate && (!it->has_alternate || (html && it->link.rank < 3))) {
				feed_xml_cand_offer(x, &it->link, href, strlen(href), M_TEXT, rank);
				it->has_alternate |= rank > 0;
			}
		}
	} else if (x->in_feed && alternate) {
		x->fdirty = 1;
		feed_xml_cand_offer(x, &x->flink, href, strlen(href), M_TEXT, rank);
	}
}

/* Returns 1 when the link had an href, 0 when its URL is its text (Atom 0.3). */
static int start_link(struct feed_xml *x, const struct attrs *at)
{
	const char *rel = feed_xml_attr_get(at, NULL, "rel");
	const char *type = feed_xml_attr_get(at, NULL, "type");
	char *href = feed_xml_attr_url(x, at, "href");

	if (!href) {
		free(x->plink_rel);
		free(x->plink_type);
		x->plink_rel = rel ? strdup(rel) : NULL;
		x->plink_type = type ? strdup(type) : NULL;
		return 0;
	}
	feed_xml_add_link(x, href, rel, type, feed_xml_attr_get(at, NULL, "title"),
			  feed_xml_attr_int(at, "length"));
	free(href);
	return 1;
}

/* Microsoft's CDF: <CHANNEL HREF="..." LASTMOD="..."> are the feed's link and date. */
static void cdf_channel(struct feed_xml *x, const struct attrs *at)
{
	const char *v;

	if ((v = feed_xml_attr_get_ci(at, "lastmod"))) {
		feed_xml_set_date(&x->fupdated, &x->fupdated_rank, v, 3);
		x->fdirty = 1;
	}
	if ((v = feed_xml_attr_get_ci(at, "href"))) {
		char *t = feed_xml_trim_dup(v);

		if (t && *t) {
			char *u = url_resolve(cur_base(x), t);

			feed_xml_cand_offer(x, &x->flink, u, u ? strlen(u) : 0, M_TEXT, 1);
			free(u);
			x->fdirty = 1;
		}
		free(t);
	}
}

/* ---- start tags by element family ------------------------------------------------------- */

/* An item or entry opens (an item inside an item is read as part of the outer one). */
static void start_item(struct feed_xml *x, int d, const struct attrs *at)
{
	const char *v;

	if (x->in_item)
		return;
	if (x->fdirty)
		feed_xml_commit(x);
	feed_xml_item_reset(&x->item);
	x->in_item = d;
	if (cur_lang(x))
		x->item.lang = strdup(cur_lang(x));
	if ((v = feed_xml_attr_get(at, RDF_NS, "about")))
		x->item.about = strdup(v);
	/* Microsoft's CDF: <ITEM HREF="..." LASTMOD="..."> */
	if ((v = feed_xml_attr_get_ci(at, "lastmod")))
		feed_xml_set_date(&x->item.updated, &x->item.updated_rank, v, 2);
	if ((v = feed_xml_attr_get_ci(at, "href"))) {
		char *u = url_resolve(cur_base(x), v);

		feed_xml_cand_offer(x, &x->item.link, u, u ? strlen(u) : 0, M_TEXT, 1);
		free(u);
	}
}

/* Containers: the channel, items, the subtrees skipped, Atom authors, media:group. */
static void start_container(struct feed_xml *x, enum el el, int d, const struct attrs *at)
{
	switch (el) {
	case E_CHANNEL:
		if (!x->in_item) {
			x->in_feed = d;
			cdf_channel(x, at);
		}
		if (cur_lang(x) && !x->info->language)
			x->info->language = strdup(cur_lang(x));
		return;
	case E_ITEM:
	case E_ENTRY:
		start_item(x, d, at);
		return;
	case E_IMAGE:
	case E_TEXTINPUT:
	case E_SOURCE:
		x->skip = d;
		return;
	case E_AUTHOR:
	case E_CONTRIBUTOR:
		x->in_author = d;
		x->author_is_contrib = el == E_CONTRIBUTOR;
		return;
	case E_MEDIA_GROUP:
		x->in_group = d;
		return;
	default:
		return;
	}
}

/* Elements whose attributes say it all: enclosures, media content and thumbnails, itunes
 * categories (read in items only). */
static void start_attr_only(struct feed_xml *x, enum el el, const struct attrs *at)
{
	char *u;

	if (!x->in_item)
		return;
	switch (el) {
	case E_ENCLOSURE:
		u = feed_xml_attr_url(x, at, "url");
		article_add_enclosure(&x->item.a, u, feed_xml_attr_get(at, NULL, "type"),
				      feed_xml_attr_int(at, "length"));
		free(u);
		return;
	case E_MEDIA_CONTENT:
		u = feed_xml_attr_url(x, at, "url");
		article_add_link(&x->item.a, u, "media", feed_xml_attr_get(at, NULL, "type"), NULL);
		free(u);
		return;
	case E_MEDIA_THUMBNAIL:
		u = feed_xml_attr_url(x, at, "url");
		article_add_link(&x->item.a, u, "thumbnail", NULL, NULL);
		free(u);
		return;
	case E_ITUNES_CATEGORY:
		article_add_category(&x->item.a, feed_xml_attr_get(at, NULL, "text"));
		return;
	default:
		return;
	}
}

/* Fields: their text is collected, read as the element says (links with an href and Atom
 * categories with a term are read from their attributes instead). */
static void start_field(struct feed_xml *x, struct frame *f, enum el el, const xmlChar *uri,
			const struct attrs *at)
{
	const char *v;
	enum ns ns;

	switch (el) {
	case E_ATOM_LINK:
		if (!start_link(x, at))
			feed_xml_collect_start(x, M_TEXT);
		return;
	case E_LINK:
		/* <link href="..."/> written without the Atom namespace */
		if (feed_xml_attr_get_exists(at, "href")) {
			f->el = E_ATOM_LINK;
			if (!start_link(x, at))
				feed_xml_collect_start(x, M_TEXT);
			return;
		}
		feed_xml_collect_start(x, M_TEXT);
		return;
	case E_CATEGORY:
		/* Atom categories carry their term in an attribute; RSS ones in text */
		if ((v = feed_xml_attr_get(at, NULL, "term"))) {
			if (x->in_item)
				article_add_category(&x->item.a, v);
			return;
		}
		feed_xml_collect_start(x, M_TEXT);
		return;
	case E_GUID:
		if (x->in_item) {
			v = feed_xml_attr_get(at, NULL, "isPermaLink");
			x->item.guid_permalink = !(v && !strcasecmp(v, "false"));
		}
		feed_xml_collect_start(x, M_TEXT);
		return;
	case E_TITLE:
		ns = uri ? feed_xml_ns_of(uri, NULL) : NS_OTHER;
		if (ns == NS_ATOM || ns == NS_ATOM03)
			feed_xml_collect_start(x, feed_xml_atom_mode(at, 0));
		else
			feed_xml_collect_start(x, M_GUESS);
		return;
	case E_SUMMARY:
	case E_SUBTITLE:
		feed_xml_collect_start(x, feed_xml_atom_mode(at, 0));
		return;
	case E_CONTENT:
		feed_xml_collect_start(x, feed_xml_atom_mode(at, 1));
		return;
	case E_DESCRIPTION:
	case E_CONTENT_ENCODED:
	case E_DC_DESCRIPTION:
		feed_xml_collect_start(x, M_HTML);
		return;
	case E_XHTML_BODY:
		feed_xml_collect_start(x, M_XHTML);
		return;
	case E_MEDIA_DESCRIPTION:
		v = feed_xml_attr_get(at, NULL, "type");
		feed_xml_collect_start(x, v && !strcasecmp(v, "html") ? M_HTML : M_TEXT);
		return;
	default:
		feed_xml_collect_start(x, M_TEXT);
		return;
	}
}

/* Until a feed element opens nothing counts: the feed element is usually the root, but feeds
 * wrapped in other markup (an XHTML page around an Atom feed) are read too. Returns whether
 * the element is read; *el becomes what it is read as. */
static int start_root(struct feed_xml *x, struct frame *f, enum el *el, const xmlChar *name,
		      const xmlChar *prefix, const xmlChar *uri)
{
	x->root_seen = 1;
	if (*el == E_OTHER && uri && feed_xml_ns_of(uri, NULL) == NS_OTHER &&
	    (!strcmp((const char *)name, "feed") || !strcmp((const char *)name, "rss") ||
	     !strcmp((const char *)name, "channel"))) {
		x->adopt_uri = strdup((const char *)uri);
		x->adopt_ns = name[0] == 'f' ? NS_ATOM : NS_RSS;
		memset(x->cache, 0, sizeof x->cache);
		*el = feed_xml_element_of(x, name, prefix, uri);
		f->el = (uint8_t)*el;
	}
	if (*el != E_RSS && *el != E_RDF && *el != E_FEED && *el != E_CHANNEL)
		return 0;
	x->root_ok = 1;
	if (*el == E_FEED) {
		x->in_feed = x->depth;
		if (cur_lang(x) && !x->info->language)
			x->info->language = strdup(cur_lang(x));
	}
	return 1;
}

void feed_xml_on_start(void *ctx, const xmlChar *name, const xmlChar *prefix, const xmlChar *uri,
		       int nb_ns, const xmlChar **ns, int nb_attrs, int nb_defaulted,
		       const xmlChar **attrs)
{
	struct feed_xml *x = ((xmlParserCtxtPtr)ctx)->_private;
	struct attrs at = {attrs, nb_attrs, NULL};
	struct frame *f;
	enum el el;
	int d;

	if (x->depth >= MAX_DEPTH) {
		if (!x->stopped) {
			x->stopped = 1;
			feed_xml_diag(x, 1, "elements nested too deeply");
			xmlStopParser(x->ctxt);
		}
		return;
	}
	d = ++x->depth;
	f = &x->frames[d];
	memset(f, 0, sizeof *f);
	if (!x->collecting)
		x->started = name;

	/* inside a field: XHTML/HTML fields keep the markup, text fields just their text */
	if (x->collecting) {
		if (x->cmode == M_XHTML || x->cmode == M_HTML) {
			f->void_el = (uint8_t)feed_xml_markup_start(x, name, &at);
			f->markup = 1;
		}
		return;
	}
	el = feed_xml_element_of(x, name, prefix, uri);
	f->el = (uint8_t)el;
	if (at.n)
		feed_xml_attrs_copy(&at, &x->avals);
	push_base_lang(x, f, &at);
	if (!x->root_ok && !start_root(x, f, &el, name, prefix, uri))
		return;
	if (x->skip)
		return;

	switch (el) {
	case E_CHANNEL:
	case E_ITEM:
	case E_ENTRY:
	case E_IMAGE:
	case E_TEXTINPUT:
	case E_SOURCE:
	case E_AUTHOR:
	case E_CONTRIBUTOR:
	case E_MEDIA_GROUP:
		start_container(x, el, d, &at);
		return;
	case E_ENCLOSURE:
	case E_MEDIA_CONTENT:
	case E_MEDIA_THUMBNAIL:
	case E_ITUNES_CATEGORY:
		start_attr_only(x, el, &at);
		return;
	case E_OTHER:
	case E_RSS:
	case E_RDF:
	case E_FEED:
	case E_SKIPHOURS:
	case E_SKIPDAYS:
		return;
	default:
		start_field(x, f, el, uri, &at);
		return;
	}
}
