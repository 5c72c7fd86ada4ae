/* SPDX-License-Identifier: MIT */
/* The extractor's scorer: measures the tree, scores paragraphs into their ancestors (text
 * length, commas, tag and class/id signals, link density), picks the element holding the
 * article and the siblings that belong with it. */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "extract_impl.h"

/* Ancestors a paragraph's score reaches. */
#define LEVELS 5

static const char *const block_tags[] = {
    "address",	"article", "aside",   "blockquote", "dd", "div",  "dl",	 "dt",
    "fieldset", "figure",  "footer",  "form",	    "h1", "h2",	  "h3",	 "h4",
    "h5",	"h6",	   "header",  "hr",	    "li", "main", "nav", "ol",
    "p",	"pre",	   "section", "table",	    "tr", "td",	  "ul",
};

int extract_is_block(xmlNodePtr n)
{
	size_t i;

	if (!n || n->type != XML_ELEMENT_NODE)
		return 0;
	for (i = 0; i < sizeof(block_tags) / sizeof(block_tags[0]); i++)
		if (extract_is(n, block_tags[i]))
			return 1;
	return 0;
}

static void count_text(const char *s, struct xinfo *x)
{
	int space = 0;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		int sp = c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f';

		if ((c & 0xc0) == 0x80)
			continue;
		if (!sp || !space)
			x->text++;
		space = sp;
		if (c == ',' || !strncmp(s, "\xef\xbc\x8c", 3) || !strncmp(s, "\xe3\x80\x81", 3))
			x->commas++;
	}
}

/* Whether n is a paragraph of text: a p, pre or td, or a div/section holding no blocks. */
static int paragraph(xmlNodePtr n)
{
	xmlNodePtr c;

	if (extract_is(n, "p") || extract_is(n, "pre") || extract_is(n, "td"))
		return 1;
	if (!extract_is(n, "div") && !extract_is(n, "section") && !extract_is(n, "article"))
		return 0;
	for (c = n->children; c; c = c->next)
		if (extract_is_block(c))
			return 0;
	return 1;
}

static void count_kind(xmlNodePtr e, struct xinfo *x)
{
	if (extract_is(e, "a"))
		x->link = x->text;
	else if (extract_is(e, "article"))
		x->articles++;
	else if (extract_is(e, "p"))
		x->p++;
	else if (extract_is(e, "img"))
		x->img++;
	else if (extract_is(e, "li"))
		x->li++;
	else if (extract_is(e, "input") || extract_is(e, "select") || extract_is(e, "textarea"))
		x->input++;
	else if (extract_is(e, "iframe") || extract_is(e, "embed") || extract_is(e, "object"))
		x->embed++;
	if (x->text >= PARA_MIN && paragraph(e))
		x->paras++;
}

static void add_up(struct xinfo *to, const struct xinfo *x, int inline_child)
{
	if (inline_child) {
		to->own += x->text;
		to->own_commas += x->commas;
	}
	to->articles += x->articles;
	to->text += x->text;
	to->link += x->link;
	to->commas += x->commas;
	to->paras += x->paras;
	to->p += x->p;
	to->img += x->img;
	to->li += x->li;
	to->input += x->input;
	to->embed += x->embed;
}

void extract_measure(struct xtree *t, xmlNodePtr root)
{
	xmlNodePtr *v, n;
	size_t k = 0, i;

	v = malloc((t->n ? t->n : 1) * sizeof(*v));
	if (!v)
		return; /* measures stay as they were: worse choices, never a crash */
	for (n = root; n; n = extract_next(n, root, 0)) {
		struct xinfo *x = xinfo_of(n);

		if (x) {
			double s = x->score;
			unsigned char sc = x->scored, keep = x->keep;
			signed char w = x->weight;

			memset(x, 0, sizeof(*x));
			x->score = s, x->scored = sc, x->keep = keep, x->weight = w;
			if (k < t->n)
				v[k++] = n;
		} else if (n->type == XML_TEXT_NODE && n->content && xinfo_of(n->parent)) {
			struct xinfo *p = xinfo_of(n->parent);
			size_t t0 = p->text;
			unsigned c0 = p->commas;

			count_text((const char *)n->content, p);
			p->own += p->text - t0;
			p->own_commas += p->commas - c0;
		}
	}
	for (i = k; i-- > 0;) {
		struct xinfo *x = xinfo_of(v[i]);

		count_kind(v[i], x);
		if (v[i] != root && xinfo_of(v[i]->parent))
			add_up(xinfo_of(v[i]->parent), x, !extract_is_block(v[i]));
	}
	free(v);
}

static double tag_base(xmlNodePtr n)
{
	static const char *const minus3[] = {"address", "ol", "ul", "dl", "dd", "dt", "li", "form"};
	static const char *const minus5[] = {"h1", "h2", "h3", "h4", "h5", "h6", "th"};
	size_t i;

	if (extract_is(n, "div") || extract_is(n, "article"))
		return 5;
	if (extract_is(n, "pre") || extract_is(n, "td") || extract_is(n, "blockquote"))
		return 3;
	for (i = 0; i < sizeof(minus3) / sizeof(minus3[0]); i++)
		if (extract_is(n, minus3[i]))
			return -3;
	for (i = 0; i < sizeof(minus5) / sizeof(minus5[0]); i++)
		if (extract_is(n, minus5[i]))
			return -5;
	return 0;
}

static int article_body(xmlNodePtr n)
{
	xmlChar *ip = xmlGetProp(n, (const xmlChar *)"itemprop");
	int yes = ip && strstr((const char *)ip, "articleBody");

	xmlFree(ip);
	return yes;
}

static void candidate(const struct xtree *t, xmlNodePtr n)
{
	struct xinfo *x = xinfo_of(n);
	int w;

	if (x->scored)
		return;
	w = extract_class_weight(t, n);
	if (article_body(n))
		w += 25;
	if (extract_is(n, "article"))
		w += 10;
	x->weight = (signed char)w;
	x->score = tag_base(n) + w;
	x->scored = 1;
}

static double link_density(const struct xinfo *x)
{
	return x->text ? (double)x->link / (double)x->text : 0;
}

/* Adds a paragraph's score s to the ancestors from a on. */
static void score_up(const struct xtree *t, xmlNodePtr a, double s)
{
	int level;

	for (level = 0; a && xinfo_of(a) && level < LEVELS; a = a->parent, level++) {
		candidate(t, a);
		xinfo_of(a)->score += s / (level == 0 ? 1 : level == 1 ? 2 : level * 3);
	}
}

/* Scores every paragraph into its ancestors. Text standing directly in a container that also
 * holds blocks (paragraphs made with <br>) counts as paragraphs of that container. */
static void score_paragraphs(struct xtree *t)
{
	xmlNodePtr n;

	for (n = t->body; n; n = extract_next(n, t->body, 0)) {
		const struct xinfo *x = xinfo_of(n);

		if (!x || x->text < PARA_MIN)
			continue;
		if (paragraph(n))
			score_up(t, n->parent,
				 1 + x->commas + (x->text / 100 < 3 ? (double)(x->text / 100) : 3));
		else if (x->own >= PARA_MIN && !extract_is(n, "a"))
			score_up(t, n, 1 + x->own_commas + (double)(x->own / 100));
	}
}

static xmlNodePtr best(struct xtree *t)
{
	xmlNodePtr n, top = NULL;
	double max = 0;

	for (n = t->body; n; n = extract_next(n, t->body, 0)) {
		struct xinfo *x = xinfo_of(n);

		if (!x || !x->scored)
			continue;
		x->score *= 1 - link_density(x);
		if (x->score > max)
			max = x->score, top = n;
	}
	return top;
}

/* Climbs from top while its ancestors score about as well (the article split in parts). */
static xmlNodePtr climb(struct xtree *t, xmlNodePtr top)
{
	double last = xinfo_of(top)->score, floor = last / 3;
	xmlNodePtr p;

	for (p = top->parent; p && p != t->body && xinfo_of(p); p = p->parent) {
		const struct xinfo *x = xinfo_of(p);

		if (!x->scored)
			continue;
		if (x->score < floor)
			break;
		if (x->score > last) {
			top = p;
			break;
		}
		last = x->score;
	}
	while (top->parent && top->parent != t->body && xinfo_of(top->parent) &&
	       xmlChildElementCount(top->parent) == 1)
		top = top->parent;
	return top;
}

xmlNodePtr extract_choose(struct xtree *t)
{
	xmlNodePtr top;

	score_paragraphs(t);
	top = best(t);
	if (!top)
		return t->body;
	return climb(t, top);
}
