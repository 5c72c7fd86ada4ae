/* SPDX-License-Identifier: MIT */
/* The records the parser builds: text candidates ranked per field, the item turned into an
 * article for the callback, and the feed's candidates committed to its feed_info. */
#include "autoconfig.h"

#include <libxml/parser.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "charset.h"
#include "date.h"
#include "feed_xml_impl.h"
#include "url.h"

/* ---- candidates ------------------------------------------------------------------------- */

void feed_xml_cand_clear(struct cand *c)
{
	c->s = c->base = NULL;
	c->mode = M_NONE;
	c->rank = 0;
	buf_reset(&c->mem);
}

void feed_xml_cand_fini(struct cand *c)
{
	buf_fini(&c->mem);
	feed_xml_cand_clear(c);
}

/* Offers text s (n bytes, borrowed) as a candidate of the given rank: s and the xml:base go into
 * c's memory, one after the other. */
void feed_xml_cand_offer(struct feed_xml *x, struct cand *c, const char *s, size_t n,
			 enum fmode mode, int rank)
{
	const char *base = cur_base(x);
	size_t nb = base ? strlen(base) + 1 : 0;

	if (c->s && c->rank >= rank)
		return;
	feed_xml_cand_clear(c);
	if (!s || buf_reserve(&c->mem, n + 1 + nb) < 0)
		return;
	memcpy(c->mem.data, s, n);
	c->mem.data[n] = '\0';
	if (nb)
		memcpy(c->mem.data + n + 1, base, nb);
	c->mem.len = n + 1 + nb - 1; /* the last NUL is the buffer's own */
	c->s = c->mem.data;
	c->base = nb ? c->mem.data + n + 1 : NULL;
	c->mode = mode;
	c->rank = rank;
}

/* A date for a slot: a higher rank replaces a lower one, the last of a rank wins. */
void feed_xml_set_date(int64_t *slot, int *slot_rank, const char *s, int rank)
{
	int64_t t;

	if (*slot != DATE_NONE && *slot_rank > rank)
		return;
	if (date_parse(s, &t) == 0) {
		*slot = t;
		*slot_rank = rank;
	}
}

/* ---- items ------------------------------------------------------------------------------------ */

/* An item's article as feed_xml_item_reset() leaves it (padding zero too, as memset leaves it). */
static const struct article blank_article = {
    .published = DATE_NONE, .updated = DATE_NONE, .fetched = DATE_NONE};

void feed_xml_item_reset(struct raw_item *it)
{
	struct buf mem[6] = {it->title.mem, it->summary.mem, it->content.mem,
			     it->link.mem,  it->guid.mem,    it->subtitle.mem};
	size_t i;

	/* an item opens where the last one was emitted and reset: nothing to free again, and
	 * free() not even called for what an item mostly leaves NULL */
	if (it->about)
		free(it->about);
	if (it->origlink)
		free(it->origlink);
	if (it->lang)
		free(it->lang);
	if (it->author.name || it->author.email || it->author.uri) {
		free(it->author.name);
		free(it->author.email);
		free(it->author.uri);
	}
	if (memcmp(&it->a, &blank_article, sizeof it->a) != 0)
		article_fini(&it->a);
	memset(it, 0, sizeof *it);
	article_init(&it->a);
	it->published = it->updated = DATE_NONE;
	it->guid_permalink = 1;
	/* the candidates keep their memory, emptied */
	for (i = 0; i < 6; i++)
		buf_reset(&mem[i]);
	it->title.mem = mem[0];
	it->summary.mem = mem[1];
	it->content.mem = mem[2];
	it->link.mem = mem[3];
	it->guid.mem = mem[4];
	it->subtitle.mem = mem[5];
}

void feed_xml_item_fini(struct raw_item *it)
{
	feed_xml_item_reset(it);
	feed_xml_cand_fini(&it->title);
	feed_xml_cand_fini(&it->summary);
	feed_xml_cand_fini(&it->content);
	feed_xml_cand_fini(&it->link);
	feed_xml_cand_fini(&it->guid);
	feed_xml_cand_fini(&it->subtitle);
}

static int on_inline_link(void *ud, const char *href, const char *text)
{
	return article_add_inline_link(ud, href, text);
}

static int on_inline_image(void *ud, const char *src, const char *alt)
{
	return article_add_image(ud, src, alt);
}

/* feed_xml_to_text() in blocks for the article's body source, which also sets a->content_html
 * and lists the inline links and images: one parse of the HTML for all of them. */
static char *to_text_rich(const struct feed_xml *x, const struct cand *c, struct article *a)
{
	struct buf out = BUF_INIT, html = BUF_INIT;
	/* the parser's text is valid UTF-8 without NUL (feed_xml_valid_utf8) */
	struct html_extra ex = {c->base, &html, on_inline_link, on_inline_image, a, 1};
	enum fmode mode = c->mode;

	if (!c->s || mode == M_NONE)
		return NULL;
	if (mode == M_GUESS)
		mode = html_looks_like(c->s, strlen(c->s)) ? M_HTML : M_TEXT;
	if (mode == M_TEXT) {
		plain_convert(c->s, strlen(c->s), HTML_BLOCKS, &out, &feed_xml_valid_utf8);
		if (x->repair_utf8)
			charset_fix_double_utf8(&out);
		html_from_text(buf_cstr(&out), out.len, &html);
	} else {
		html_convert(c->s, strlen(c->s), HTML_BLOCKS, &out, &ex);
		/* the HTML has the text's characters: it needs repair only where the text did */
		if (x->repair_utf8 && charset_fix_double_utf8(&out))
			charset_fix_double_utf8(&html);
	}
	free(a->content_html);
	a->content_html = html.len ? buf_steal(&html) : NULL;
	buf_fini(&html);
	if (!out.len) {
		buf_fini(&out);
		return NULL;
	}
	return buf_steal(&out);
}

static int looks_like_url(const char *s)
{
	return !strncasecmp(s, "http://", 7) || !strncasecmp(s, "https://", 8);
}

/* Turns the collected item into an article and hands it to the callback. */
void feed_xml_item_emit(struct feed_xml *x)
{
	struct raw_item *it = &x->item;
	struct article *a = &it->a;
	char *summary_blocks, *c;

	/* identity first: an item the caller already knows needs no text */
	a->title = feed_xml_to_text(x, it->title.s, it->title.mode, HTML_INLINE);
	if (it->guid.s && !is_blank(it->guid.s)) {
		a->guid = feed_xml_trim_dup(it->guid.s);
		/* a permalink written as a path ("/2024/post") is relative to the document, as
		 * feedparser resolves it; other guids are names, never URLs to resolve */
		if (a->guid && a->guid[0] == '/' && it->guid_permalink && it->guid.base) {
			char *r = url_resolve(it->guid.base, a->guid);

			if (r) {
				free(a->guid);
				a->guid = r;
			}
		}
	} else if (it->about) {
		a->guid = strdup(it->about);
	}
	/* the link: an Atom alternate link, the RSS link, or a permalink guid */
	if (it->link.s && !is_blank(it->link.s)) {
		/* the item's own copy, not read again: trimmed where it is */
		a->url = url_resolve(it->link.base, feed_xml_trim_in_place(it->link.s));
	} else if (a->guid && it->guid.s && it->guid_permalink && looks_like_url(a->guid)) {
		a->url = strdup(a->guid);
	} else if (it->about && looks_like_url(it->about)) {
		a->url = strdup(it->about);
	}
	if (it->origlink)
		article_add_link(a, it->origlink, "original", NULL, NULL);
	a->published = it->published;
	a->updated = it->updated;
	if (it->lang) { /* the item's own: taken, not copied */
		a->language = it->lang;
		it->lang = NULL;
	} else if (x->info->language) {
		a->language = strdup(x->info->language);
	}
	a->fetched = x->opts->fetched;
	article_make_id(a, x->info->url);
	x->count++;
	if (x->opts->known && x->opts->known(x->opts->known_ud, a)) {
		feed_xml_item_reset(it);
		return;
	}
	/* the summary is converted once: its inline form is its blocks joined by spaces */
	if (!it->summary.s && !it->content.s && it->subtitle.s) {
		struct cand t = it->summary; /* its memory, empty: the subtitle's place */

		it->summary = it->subtitle;
		it->subtitle = t;
	}
	/* the body's source (the content, else the summary) is read with its HTML and links */
	if (it->content.s)
		a->body = to_text_rich(x, &it->content, a);
	if (a->body)
		summary_blocks = feed_xml_to_text(x, it->summary.s, it->summary.mode, HTML_BLOCKS);
	else
		summary_blocks = to_text_rich(x, &it->summary, a);
	if (!a->body) {
		a->body = summary_blocks; /* and the summary a copy of it */
		a->summary = summary_blocks ? strdup(summary_blocks) : NULL;
	} else {
		a->summary = summary_blocks; /* the body has its own text: taken, not copied */
	}
	for (c = a->summary; c && (c = strchr(c, '\n')); c++)
		*c = ' ';
	if (a->body != summary_blocks)
		article_make_standfirst(a);
	if (x->fn && x->fn(x->ud, a, x->info) != 0) {
		x->cancelled = 1;
		xmlStopParser(x->ctxt);
	}
	feed_xml_item_reset(it);
}

/* ---- the feed ------------------------------------------------------------------------------ */

/* Feed-level candidates become feed_info fields; called before each item and at the end, so
 * that items see the feed's title even when a later element would have replaced it. */
void feed_xml_commit(struct feed_xml *x)
{
	struct feed_info *fi = x->info;

	if (x->ftitle.s) {
		free(fi->title);
		fi->title = feed_xml_to_text(x, x->ftitle.s, x->ftitle.mode, HTML_INLINE);
	}
	if (x->fsubtitle.s) {
		free(fi->subtitle);
		fi->subtitle = feed_xml_to_text(x, x->fsubtitle.s, x->fsubtitle.mode, HTML_INLINE);
	}
	if (x->flink.s) {
		free(fi->link);
		/* the candidate's own copy: trimmed where it is (again, at a later commit) */
		fi->link = url_resolve(x->flink.base, feed_xml_trim_in_place(x->flink.s));
	}
	fi->updated = x->fupdated;
	fi->generation++;
	x->fdirty = 0;
}

