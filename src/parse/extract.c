/* SPDX-License-Identifier: MIT */
/* Full-text extraction's entry point: parses the page with libxml2, finds its title, runs the
 * pruning, scoring and cleaning passes (extract_*.c) and renders the chosen content with the
 * seed layout's own renderer (html.c and html_*.c). */
#include "autoconfig.h"

#include "extract.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLparser.h>
#include <libxml/HTMLtree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlsave.h>

#include "extract_impl.h"
#include "html.h"

#define PARSE_OPTIONS                                                                              \
	(HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET |       \
	 HTML_PARSE_NODEFDTD | HTML_PARSE_COMPACT)
/* At most this many elements make up the article (the top candidate and its siblings). */
#define PARTS_MAX 256
/* Below this many characters of text, the strict pass failed: try again with less pruning. */
#define TEXT_MIN 250

void extract_init(struct extract *x)
{
	buf_init(&x->title);
	buf_init(&x->text);
	buf_init(&x->html);
}

void extract_fini(struct extract *x)
{
	if (!x)
		return;
	buf_fini(&x->title);
	buf_fini(&x->text);
	buf_fini(&x->html);
}

xmlNodePtr extract_next(xmlNodePtr n, xmlNodePtr root, int skip)
{
	if (!skip && n->children && n->type == XML_ELEMENT_NODE)
		return n->children;
	while (n && n != root) {
		if (n->next)
			return n->next;
		n = n->parent;
	}
	return NULL;
}

int extract_is(xmlNodePtr n, const char *name)
{
	/* the first letters differ for most pairs: no call then */
	return n && n->type == XML_ELEMENT_NODE && n->name && n->name[0] == (xmlChar)name[0] &&
	       !strcmp((const char *)n->name, name);
}

/* Gives every element its xinfo; elements created later have none (xinfo_of() is NULL). */
static int tree_index(struct xtree *t)
{
	xmlNodePtr root = xmlDocGetRootElement(t->doc), n;
	size_t i = 0;

	for (n = root; n; n = extract_next(n, root, 0))
		if (n->type == XML_ELEMENT_NODE)
			t->n++;
	t->info = calloc(t->n ? t->n : 1, sizeof(*t->info));
	if (!t->info)
		return -ENOMEM;
	for (n = root; n; n = extract_next(n, root, 0))
		if (n->type == XML_ELEMENT_NODE)
			n->_private = &t->info[i++];
	return 0;
}

/* The body element, else the root; looked for again after pruning, which may have removed a
 * body that odd markup put in the head. */
static void find_body(struct xtree *t)
{
	xmlNodePtr root = xmlDocGetRootElement(t->doc), n;

	t->body = root;
	for (n = root; n; n = extract_next(n, root, 0))
		if (extract_is(n, "body")) {
			t->body = n;
			return;
		}
}

static const char *attr(xmlNodePtr n, const char *name)
{
	xmlAttrPtr a = xmlHasProp(n, (const xmlChar *)name);

	return a && a->children && a->children->content ? (const char *)a->children->content : NULL;
}

/* The og:title (or twitter:title) of the page, else its <title>; NULL if none. */
static char *raw_title(xmlNodePtr root)
{
	xmlNodePtr n, title = NULL;

	for (n = root; n; n = extract_next(n, root, 0)) {
		const char *p, *c;

		if (extract_is(n, "title") && !title)
			title = n;
		if (!extract_is(n, "meta"))
			continue;
		p = attr(n, "property");
		if (!p)
			p = attr(n, "name");
		c = attr(n, "content");
		if (p && c && *c && (!strcasecmp(p, "og:title") || !strcasecmp(p, "twitter:title")))
			return strdup(c);
		if (extract_is(n, "body"))
			break;
	}
	return title ? (char *)xmlNodeGetContent(title) : NULL;
}

static size_t words_in(const char *s, size_t n)
{
	size_t i, w = 0;
	int in = 0;

	for (i = 0; i < n; i++) {
		int sp = s[i] == ' ';

		if (!sp && !in)
			w++;
		in = !sp;
	}
	return w;
}

/* Drops a site name after (or before) a separator: "Story - Site" -> "Story". */
static void strip_site(struct buf *b)
{
	static const char *const seps[] = {
	    " | ", " - ", " \xe2\x80\x93 ", " \xe2\x80\x94 ", " :: ", " \xc2\xbb ", " / "};
	const char *s = buf_cstr(b), *cut = NULL;
	size_t i, keep;

	for (i = 0; i < sizeof(seps) / sizeof(seps[0]) && !cut; i++) {
		const char *p = s, *q;

		while ((q = strstr(p, seps[i])))
			cut = q, p = q + 1;
		if (cut) {
			keep = (size_t)(cut - s);
			if (words_in(s, keep) >= 3) {
				b->len = keep;
				b->data[keep] = '\0';
				return;
			}
			cut = NULL;
		}
	}
}

static int find_title(struct xtree *t, struct extract *x)
{
	char *raw = raw_title(xmlDocGetRootElement(t->doc));
	int rc = 0;

	if (raw) {
		rc = plain_to_text(raw, strlen(raw), HTML_INLINE, &x->title);
		free(raw);
	}
	if (!rc)
		strip_site(&x->title);
	t->title = buf_cstr(&x->title);
	return rc;
}

/* Appends the HTML of n (UTF-8, entities only where needed) to x->html. */
static int dump(xmlDocPtr doc, xmlNodePtr n, struct buf *out)
{
	xmlBufferPtr xb = xmlBufferCreate();
	xmlSaveCtxtPtr save;
	int rc = -ENOMEM;

	if (!xb)
		return -ENOMEM;
	save = xmlSaveToBuffer(xb, "UTF-8", XML_SAVE_AS_HTML | XML_SAVE_NO_DECL);
	if (save) {
		xmlSaveTree(save, n);
		xmlSaveClose(save);
		rc = buf_append(out, xmlBufferContent(xb), (size_t)xmlBufferLength(xb));
		if (!rc)
			rc = buf_putc(out, '\n');
	}
	(void)doc;
	xmlBufferFree(xb);
	return rc;
}

/* Drops a first line that repeats the title (a bold line, not a heading, above the text). */
static void drop_title_line(const struct xtree *t, struct buf *text)
{
	char *nl = text->len ? strchr(text->data, '\n') : NULL;
	size_t first;

	if (!nl || !t->title || !*t->title)
		return;
	first = (size_t)(nl - text->data);
	*nl = '\0';
	if (extract_same_as_title(text->data, t->title)) {
		memmove(text->data, nl + 1, text->len - first);
		text->len -= first + 1;
		return;
	}
	*nl = '\n';
}

static int render(struct xtree *t, struct extract *x)
{
	xmlNodePtr parts[PARTS_MAX], top;
	size_t i, n;
	int rc = 0;

	buf_reset(&x->html);
	buf_reset(&x->text);
	top = extract_choose(t);
	if (!top)
		return 0;
	n = extract_siblings(t, top, parts, PARTS_MAX);
	for (i = 0; i < n && !rc; i++) {
		if (extract_title_repeat(t, parts[i]))
			continue;
		extract_clean(t, parts[i]);
		rc = dump(t->doc, parts[i], &x->html);
	}
	if (!rc)
		rc = html_to_text(x->html.data, x->html.len, HTML_BLOCKS, &x->text);
	if (!rc)
		drop_title_line(t, &x->text);
	return rc;
}

static void tree_fini(struct xtree *t)
{
	xmlFreeDoc(t->doc);
	free(t->info);
	memset(t, 0, sizeof(*t));
}

/* One pass: parse, prune, score, render, doing what flags say. */
static int pass(const char *page, size_t len, const char *url, const char *charset, unsigned flags,
		unsigned *effects, struct extract *x)
{
	struct xtree t = {0};
	int rc = -ENOMEM;

	t.doc = htmlReadMemory(page, (int)len, url, charset, PARSE_OPTIONS);
	if (!t.doc || !xmlDocGetRootElement(t.doc)) {
		xmlFreeDoc(t.doc);
		return 0; /* nothing libxml2 could read: no article */
	}
	t.flags = flags;
	t.effects = effects;
	if (tree_index(&t))
		goto out;
	if (!x->title.len && (rc = find_title(&t, x)))
		goto out;
	t.title = buf_cstr(&x->title);
	extract_measure(&t, xmlDocGetRootElement(t.doc));
	extract_prune(&t);
	find_body(&t);
	extract_measure(&t, xmlDocGetRootElement(t.doc));
	rc = render(&t, x);
out:
	tree_fini(&t);
	return rc;
}

/* libxml2 reports encoding errors on stderr whatever the parse options say: a page is not
 * the operator's business, so they are silenced while we work (and the handler restored). */
static void quiet(void *ctx, xmlErrorPtr e)
{
	(void)ctx;
	(void)e;
}

static int passes_run(const char *page, size_t len, const char *url, const char *charset,
		      struct extract *x);

int extract_page(const char *page, size_t len, const char *url, const char *charset,
		 struct extract *x)
{
	xmlStructuredErrorFunc saved = xmlStructuredError;
	void *saved_ctx = xmlStructuredErrorContext;
	int rc;

	xmlSetStructuredErrorFunc(NULL, quiet);
	rc = passes_run(page, len, url, charset, x);
	xmlSetStructuredErrorFunc(saved_ctx, saved);
	return rc;
}

/* Passes from the strictest on, until one finds enough text; else the one that found most. */
static int passes_run(const char *page, size_t len, const char *url, const char *charset,
		      struct extract *x)
{
	static const unsigned passes[] = {
	    STRIP_UNLIKELY | WEIGHT_CLASSES | CLEAN_CONDITIONALLY,
	    WEIGHT_CLASSES | CLEAN_CONDITIONALLY,
	    CLEAN_CONDITIONALLY,
	    0,
	};
	struct buf text = BUF_INIT, html = BUF_INIT;
	size_t i, best = 0;
	unsigned effects = 0;
	int rc = 0;

	buf_reset(&x->title);
	if (len > EXTRACT_INPUT_MAX)
		len = EXTRACT_INPUT_MAX;
	for (i = 0; i < sizeof(passes) / sizeof(passes[0]) && !rc; i++) {
		rc = pass(page, len, url, charset, passes[i], &effects, x);
		if (rc || x->text.len >= TEXT_MIN)
			break;
		/* the next pass leaves out steps: pointless if those steps changed nothing */
		if (i + 1 < sizeof(passes) / sizeof(passes[0]) && !(effects & ~passes[i + 1]))
			break;
		if (i == 0 || x->text.len > best) {
			best = x->text.len;
			buf_reset(&text);
			buf_reset(&html);
			rc = buf_append(&text, x->text.data, x->text.len);
			rc = rc ? rc : buf_append(&html, x->html.data, x->html.len);
		}
	}
	if (!rc && x->text.len < TEXT_MIN && x->text.len < best) {
		buf_reset(&x->text);
		buf_reset(&x->html);
		rc = buf_append(&x->text, text.data, text.len);
		rc = rc ? rc : buf_append(&x->html, html.data, html.len);
	}
	if (!rc && x->text.len < PARA_MIN) { /* a word or two from a menu: no article */
		buf_reset(&x->text);
		buf_reset(&x->html);
	}
	buf_fini(&text);
	buf_fini(&html);
	return rc;
}
