/* SPDX-License-Identifier: MIT */
/* End tags: a collected field goes to the feed, the item or the Atom author it belongs to, by
 * rank; containers that close end the author, the group or the item (which is emitted). */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "feed_xml_impl.h"
#include "url.h"

/* ---- fields --------------------------------------------------------------------------------- */


/* Splits "john@example.com (John Doe)", "John Doe <john@example.com>" and plain names. s is the
 * collected text, trimmed where it is; the address and the name are put together in scratch
 * (the parser's, kept from one to the next): no allocation but the person's own strings. */
static void add_person_string(struct buf *scratch, struct person **v, size_t *n, char *s)
{
	char *t = feed_xml_trim_in_place(s), *at, *b, *e, *email = NULL, *name = t;
	size_t i;

	at = strchr(t, '@');
	if (at) {
		b = at;
		while (b > t && !strchr(" \t\r\n<>()\"':;,", b[-1]))
			b--;
		e = at;
		while (*e && !strchr(" \t\r\n<>()\"':;,", *e))
			e++;
		if (b < at && e > at + 1) {
			size_t ne = (size_t)(e - b), before = (size_t)(b - t), after = strlen(e);

			/* the address, its NUL, then what remains of the name without its brackets: a
			 * name without an address is kept as written ("John (Editor)"), as feedparser
			 * keeps it */
			buf_reset(scratch);
			if (buf_reserve(scratch, ne + 1 + before + after) < 0)
				return;
			memcpy(scratch->data, b, ne);
			scratch->data[ne] = '\0';
			scratch->len = ne + 1;
			for (i = 0; i < before + after; i++) {
				char c = i < before ? t[i] : e[i - before];

				if (!strchr("()<>\"", c))
					scratch->data[scratch->len++] = c;
			}
			scratch->data[scratch->len] = '\0';
			email = scratch->data;
			if (!strncasecmp(email, "mailto:", 7))
				email += 7;
			name = feed_xml_trim_in_place(scratch->data + ne + 1);
		}
	}
	/* the same person given twice (dc:creator and itunes:author) counts once */
	for (i = 0; i < *n; i++)
		if (((*v)[i].name && !strcmp((*v)[i].name, name) && !email) ||
		    ((*v)[i].email && email && !strcmp((*v)[i].email, email)))
			return;
	person_list_add(v, n, name, email, NULL);
}

/* Feed-level language, dates, people and publishing schedule (s is the collected text, ours to
 * change). */
static void end_feed_meta(struct feed_xml *x, enum el el, char *s)
{
	struct feed_info *fi = x->info;

	switch (el) {
	case E_LANGUAGE:
	case E_DC_LANGUAGE:
		if (!fi->language)
			fi->language = feed_xml_lang_dup(s);
		break;
	case E_LASTBUILDDATE:
	case E_UPDATED:
	case E_MODIFIED:
	case E_DCT_MODIFIED:
		feed_xml_set_date(&x->fupdated, &x->fupdated_rank, s, 3);
		break;
	case E_DC_DATE:
		feed_xml_set_date(&x->fupdated, &x->fupdated_rank, s, 2);
		break;
	case E_PUBDATE:
	case E_PUBLISHED:
	case E_ISSUED:
		feed_xml_set_date(&x->fupdated, &x->fupdated_rank, s, 1);
		break;
	case E_MANAGINGEDITOR:
	case E_DC_CREATOR:
	case E_ITUNES_AUTHOR:
	case E_RSS_AUTHOR:
		add_person_string(&x->scratch, &fi->authors, &fi->n_authors, s);
		break;
	case E_TTL:
		fi->ttl_minutes = atoi(s) > 0 ? atoi(s) : 0;
		break;
	case E_HOUR: {
		int h = atoi(s);

		if (h >= 0 && h <= 24)
			fi->skip_hours |= 1u << (h % 24);
		break;
	}
	case E_DAY: {
		static const char *const days[] = {"Sunday", "Monday", "Tuesday", "Wednesday",
						   "Thursday", "Friday", "Saturday"};
		char *t = feed_xml_trim_dup(s);
		int i;

		for (i = 0; t && i < 7; i++)
			if (!strcasecmp(t, days[i]))
				fi->skip_days |= (uint8_t)(1u << i);
		free(t);
		break;
	}
	case E_SY_PERIOD:
		free(fi->sy_period);
		fi->sy_period = feed_xml_trim_dup(s);
		break;
	case E_SY_FREQUENCY:
		fi->sy_frequency = atoi(s) > 0 ? atoi(s) : 0;
		break;
	default:
		break;
	}
}

/* Offers s (the collected text, or another borrowed string) for candidate c at rank: copied
 * only when it is taken. */
static void offer(struct feed_xml *x, struct cand *c, const char *s, enum fmode mode, int rank)
{
	feed_xml_cand_offer(x, c, s, feed_xml_text_len(x, s), mode, rank);
}

/* Feed-level fields (s is the collected text, ours to change). */
static void end_feed_field(struct feed_xml *x, enum el el, char *s)
{
	x->fdirty = 1;
	switch (el) {
	case E_TITLE:
		offer(x, &x->ftitle, s, x->cmode, 2);
		return;
	case E_DC_TITLE:
		offer(x, &x->ftitle, s, M_TEXT, 1);
		return;
	case E_DESCRIPTION:
	case E_SUBTITLE:
		offer(x, &x->fsubtitle, s, x->cmode, 2);
		return;
	case E_DC_DESCRIPTION:
	case E_ITUNES_SUBTITLE:
	case E_ITUNES_SUMMARY:
		offer(x, &x->fsubtitle, s, x->cmode, 1);
		return;
	case E_LINK:
		if (!is_blank(s))
			offer(x, &x->flink, s, M_TEXT, 2);
		return;
	default:
		end_feed_meta(x, el, s);
		return;
	}
}

static void cand_set(struct feed_xml *x, struct cand *c, const char *s, enum fmode mode)
{
	feed_xml_cand_clear(c);
	feed_xml_cand_offer(x, c, s, feed_xml_text_len(x, s), mode, 1);
}

/* description, summary, dc:description, itunes:summary, media:description. */
static void item_summary_like(struct feed_xml *x, const char *s, enum fmode m)
{
	struct raw_item *it = &x->item;

	if (it->summary_taken && !it->has_content) {
		/* a second summary before any full content is the content */
		it->has_content = 1;
		if (!it->content.s)
			cand_set(x, &it->content, s, m);
		return;
	}
	if (it->summary_taken && x->depth > it->summary_depth)
		return;
	cand_set(x, &it->summary, s, m);
	it->summary_taken = 1;
	it->summary_depth = x->depth;
}

/* content:encoded, fullitem, Atom content (full = 1); body, xhtml:body (full = 0). The first
 * one is the content; it stands for the summary until one is given. */
static void item_content_like(struct feed_xml *x, const char *s, enum fmode m, int full)
{
	struct raw_item *it = &x->item;

	if (full)
		it->has_content = 1;
	if (m == M_NONE || is_blank(s))
		return;
	if (!it->summary_taken) {
		it->summary_taken = 1;
		it->summary_depth = x->depth;
	}
	if (!it->content.s)
		cand_set(x, &it->content, s, m);
}

/* Item-level dates, language, people and categories (s is the collected text, borrowed). */
static void end_item_meta(struct feed_xml *x, enum el el, char *s)
{
	struct raw_item *it = &x->item;

	switch (el) {
	case E_PUBDATE:
	case E_PUBLISHED:
		feed_xml_set_date(&it->published, &it->published_rank, s, 4);
		break;
	case E_ISSUED:
	case E_DCT_ISSUED:
		feed_xml_set_date(&it->published, &it->published_rank, s, 3);
		break;
	case E_CREATED:
	case E_DCT_CREATED:
		feed_xml_set_date(&it->published, &it->published_rank, s, 2);
		break;
	case E_DC_DATE:
		feed_xml_set_date(&it->published, &it->published_rank, s, 1);
		feed_xml_set_date(&it->updated, &it->updated_rank, s, 1);
		break;
	case E_UPDATED:
	case E_MODIFIED:
	case E_DCT_MODIFIED:
	case E_LASTBUILDDATE: /* in an item too, as feedparser reads it */
		feed_xml_set_date(&it->updated, &it->updated_rank, s, 3);
		break;
	case E_LANGUAGE:
	case E_DC_LANGUAGE: {
		char *t = feed_xml_lang_dup(s);

		if (t) {
			free(it->lang);
			it->lang = t;
		}
		break;
	}
	case E_RSS_AUTHOR:
	case E_DC_CREATOR:
	case E_ITUNES_AUTHOR:
		add_person_string(&x->scratch, &it->a.authors, &it->a.n_authors, s);
		break;
	case E_CATEGORY:
	case E_MEDIA_CATEGORY:
	case E_DC_SUBJECT: {
		char *t = feed_xml_to_text(x, s, M_TEXT, HTML_INLINE);

		article_add_category(&it->a, t);
		free(t);
		break;
	}
	case E_ITUNES_KEYWORDS: {
		char *save = NULL, *tok;

		/* the tokens trimmed where they are: s is the collected text, ours to change */
		for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
			article_add_category(&it->a, feed_xml_trim_in_place(tok));
		break;
	}
	default:
		break;
	}
}

/* Item-level fields (s is the collected text, borrowed). */
static void end_item_field(struct feed_xml *x, enum el el, char *s)
{
	struct raw_item *it = &x->item;
	enum fmode m = x->cmode;

	switch (el) {
	case E_TITLE:
		offer(x, &it->title, s, m, 2);
		return;
	case E_DC_TITLE:
		offer(x, &it->title, s, M_GUESS, 1);
		return;
	case E_DESCRIPTION:
	case E_SUMMARY:
	case E_DC_DESCRIPTION:
	case E_ITUNES_SUMMARY:
	case E_MEDIA_DESCRIPTION:
		item_summary_like(x, s, m);
		return;
	case E_ITUNES_SUBTITLE:
		offer(x, &it->subtitle, s, m, 1);
		return;
	case E_MEDIA_TITLE:
		offer(x, &it->title, s, M_GUESS, 0);
		return;
	case E_CONTENT_ENCODED:
	case E_CONTENT:
	case E_XHTML_BODY:
		item_content_like(x, s, m, el != E_XHTML_BODY);
		return;
	case E_LINK:
		if (!is_blank(s))
			offer(x, &it->link, s, M_TEXT, it->has_alternate ? 1 : 4);
		return;
	case E_GUID:
	case E_ID:
		offer(x, &it->guid, s, M_TEXT, 2);
		return;
	case E_FB_ORIGLINK:
		if (!it->origlink && !is_blank(s))
			it->origlink = url_resolve(cur_base(x), feed_xml_trim_in_place(s));
		break;
	default:
		end_item_meta(x, el, s);
		return;
	}
}

static void end_author_field(struct feed_xml *x, enum el el, char *s)
{
	struct person *p = &x->item.author;
	char **slot = el == E_NAME    ? &p->name
		      : el == E_EMAIL ? &p->email
		      : el == E_URI   ? &p->uri
				      : NULL;

	if (slot && !*slot && !is_blank(s)) {
		if (el == E_NAME) {
			*slot = feed_xml_to_text(x, s, M_GUESS, HTML_INLINE);
		} else if (el == E_URI) {
			*slot = url_resolve(cur_base(x), feed_xml_trim_in_place(s));
		} else {
			*slot = feed_xml_trim_dup(s);
		}
	}
}

/* ---- end tags ------------------------------------------------------------------------------- */

/* A field's text is complete: it goes to the author, the item or the feed it belongs to. */
static void end_field(struct feed_xml *x, enum el el)
{
	char *s;

	x->cmode = feed_xml_unbase64(&x->text, x->cmode);
	/* the text is read where it was collected: what is kept is copied */
	s = feed_xml_collect_end(x);
	if (!s || x->cmode == M_NONE)
		return;
	if (el == E_ATOM_LINK) {
		char *u = url_resolve(cur_base(x), feed_xml_trim_in_place(s));

		if (!x->skip && !x->in_author)
			feed_xml_add_link(x, u, x->plink_rel, x->plink_type, NULL, -1);
		free(u);
		return;
	}
	if (x->skip) {
		return;
	} else if (x->in_author) {
		end_author_field(x, el, s);
	} else if (x->in_item) {
		end_item_field(x, el, s);
	} else if (x->in_feed || x->root_ok) {
		end_feed_field(x, el, s);
	}
}

/* An Atom author closes: the item's or the feed's (contributors are not kept). */
static void end_author(struct feed_xml *x)
{
	struct person *p = &x->item.author;

	x->in_author = 0;
	if (!x->author_is_contrib && !x->skip) {
		if (x->in_item)
			person_list_add(&x->item.a.authors, &x->item.a.n_authors, p->name, p->email,
					p->uri);
		else
			person_list_add(&x->info->authors, &x->info->n_authors, p->name, p->email,
					p->uri);
	}
	free(p->name);
	free(p->email);
	free(p->uri);
	memset(p, 0, sizeof *p);
}

void feed_xml_on_end(void *ctx, const xmlChar *name, const xmlChar *prefix, const xmlChar *uri)
{
	struct feed_xml *x = ((xmlParserCtxtPtr)ctx)->_private;
	int d = x->depth;
	struct frame *f;

	if (d <= 0)
		return;
	f = &x->frames[d];
	x->depth--;
	if (f->markup) {
		if (!f->void_el)
			feed_xml_markup_end(x, name);
		return;
	}
	if (x->collecting && x->collecting != d)
		return; /* a child of a text field */
	if (f->collect) {
		end_field(x, (enum el)f->el);
	} else if (d == x->skip) {
		x->skip = 0;
	} else if (d == x->in_author) {
		end_author(x);
	} else if (d == x->in_group) {
		x->in_group = 0;
	} else if (d == x->in_item) {
		x->in_item = 0;
		feed_xml_item_emit(x);
	} else if (d == x->in_feed) {
		x->in_feed = 0;
	}
	if (f->set_base)
		free(x->bases[--x->nbases]);
	if (f->set_lang)
		free(x->langs[--x->nlangs]);
}
