/* SPDX-License-Identifier: MIT */
/* The OPML format: reading a feed list's outlines (never loading a DTD or an entity) and writing
 * outlines as an OPML 2.0 document. What the outlines mean as feeds is config.c's business. */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlwriter.h>

#include "opml.h"
#include "url.h"
#include "strmap.h"

static int read_all(const char *path, struct buf *data, struct buf *err)
{
	int fd, rc;

	fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
	if (fd < 0) {
		rc = -errno;
		buf_puts(err, strerror(-rc));
		return rc;
	}
	rc = buf_read_fd(data, fd, OPML_MAX_BYTES);
	if (fd != STDIN_FILENO)
		close(fd);
	if (rc == -EFBIG)
		buf_puts(err, "larger than 16 MiB, too large for a feed list");
	else if (rc == -ENOMEM)
		buf_puts(err, "out of memory");
	else if (rc < 0)
		buf_puts(err, strerror(-rc));
	return rc;
}

/* The first fatal error libxml2 reports, else the first error: what made the document fail. */
struct xml_error {
	int line;
	int level;
	char msg[300];
};

#if LIBXML_VERSION >= 21200
static void on_xml_error(void *ud, const xmlError *e)
#else
static void on_xml_error(void *ud, xmlErrorPtr e)
#endif
{
	/* libxml2 hands the structured handler the context's userData: the parser context */
	struct xml_error *x = ((xmlParserCtxtPtr)ud)->_private;
	size_t n;

	if (!e || (int)e->level < XML_ERR_ERROR || (int)e->level <= x->level)
		return;
	x->level = e->level;
	x->line = e->line;
	snprintf(x->msg, sizeof x->msg, "%s", e->message ? e->message : "not well-formed");
	n = strlen(x->msg);
	while (n && (x->msg[n - 1] == '\n' || x->msg[n - 1] == ' '))
		x->msg[--n] = '\0';
}

static int is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* The attribute called name (in any case: xmlURL is seen in the wild) as a trimmed malloc'd
 * string in *out, NULL when absent, or blank unless keep_blank. 0 or -ENOMEM. */
static int get_attr(xmlDocPtr doc, xmlNodePtr n, const char *name, int keep_blank, char **out)
{
	xmlAttrPtr a;
	xmlChar *v;
	const char *s;
	size_t len;

	*out = NULL;
	for (a = n->properties; a; a = a->next)
		if (!xmlStrcasecmp(a->name, BAD_CAST name))
			break;
	if (!a)
		return 0;
	v = xmlNodeListGetString(doc, a->children, 1);
	s = v ? (const char *)v : "";
	while (is_space(*s))
		s++;
	len = strlen(s);
	while (len && is_space(s[len - 1]))
		len--;
	if (len || keep_blank) {
		*out = strndup(s, len);
		if (!*out) {
			xmlFree(v);
			return -ENOMEM;
		}
	}
	xmlFree(v);
	return 0;
}

/* The first path of a `category` attribute ("/a/b,/c" gives "a/b"): 0 or -ENOMEM. */
static int first_category(char **cat)
{
	char *s = *cat, *p = s;
	size_t len;

	if (!s)
		return 0;
	len = strcspn(s, ",");
	while (len && (is_space(s[len - 1]) || s[len - 1] == '/'))
		len--;
	while (len && (is_space(*p) || *p == '/')) {
		p++;
		len--;
	}
	*cat = len ? strndup(p, len) : NULL;
	free(s);
	return len && !*cat ? -ENOMEM : 0;
}

/* Adds the outline n with its url (taken over) and the folders it is in (path, "" for none). */
static int add_outline(xmlDocPtr doc, xmlNodePtr n, char *url, const struct buf *path,
		       struct opml_list *out)
{
	struct opml_outline *o, *v;
	size_t cap;

	if (out->n == out->cap) {
		cap = out->cap ? out->cap * 2 : 16;
		v = realloc(out->v, cap * sizeof *v);
		if (!v) {
			free(url);
			return -ENOMEM;
		}
		out->v = v;
		out->cap = cap;
	}
	o = &out->v[out->n];
	memset(o, 0, sizeof *o);
	o->url = url;
	o->line = (int)xmlGetLineNo(n);
	out->n++;
	if (get_attr(doc, n, "text", 0, &o->text) < 0 ||
	    get_attr(doc, n, "title", 0, &o->title) < 0 ||
	    get_attr(doc, n, "htmlUrl", 0, &o->html_url) < 0)
		return -ENOMEM;
	if (path->len)
		return (o->category = strdup(path->data)) ? 0 : -ENOMEM;
	if (get_attr(doc, n, "category", 0, &o->category) < 0)
		return -ENOMEM;
	return first_category(&o->category);
}

/* Appends a folder outline's label (text, else title; '/' before it unless first) to path. */
static int push_folder(xmlDocPtr doc, xmlNodePtr n, struct buf *path)
{
	char *label;
	int rc;

	if (get_attr(doc, n, "text", 0, &label) < 0)
		return -ENOMEM;
	if (!label && get_attr(doc, n, "title", 0, &label) < 0)
		return -ENOMEM;
	if (!label)
		return 0;
	rc = path->len ? buf_putc(path, '/') : 0;
	if (rc == 0)
		rc = buf_puts(path, label);
	free(label);
	return rc;
}

/* Depth is bounded by libxml2's own nesting limit (256 without XML_PARSE_HUGE). path holds the
 * folders n is in. */
static int walk(xmlDocPtr doc, xmlNodePtr n, struct buf *path, struct opml_list *out)
{
	size_t len = path->len;
	char *url;
	int rc;

	for (; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE || xmlStrcmp(n->name, BAD_CAST "outline"))
			continue;
		if (get_attr(doc, n, "xmlUrl", 1, &url) < 0)
			return -ENOMEM;
		if (url && (rc = add_outline(doc, n, url, path, out)) < 0)
			return rc;
		/* an outline without a feed is a folder: what it holds is in its category */
		if (!url && n->children && (rc = push_folder(doc, n, path)) < 0)
			return rc;
		rc = walk(doc, n->children, path, out);
		path->len = len;
		if (path->data)
			path->data[len] = '\0';
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* The line of the DOCTYPE, which libxml2 does not record for the DTD node. */
static int doctype_line(const struct buf *data)
{
	/* the text up to a NUL byte is enough: the parser refuses a NUL anyway */
	const char *p = strstr(data->data, "<!DOCTYPE"), *s;
	int line = 1;

	if (!p)
		return 1;
	for (s = data->data; s < p; s++)
		line += *s == '\n';
	return line;
}

void opml_list_fini(struct opml_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].text);
		free(l->v[i].title);
		free(l->v[i].url);
		free(l->v[i].html_url);
		free(l->v[i].category);
	}
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

int opml_read(const char *path, struct opml_list *out, int *line, struct buf *err)
{
	struct buf data = BUF_INIT, path_in = BUF_INIT;
	struct xml_error xe = {0, 0, ""};
	xmlParserCtxtPtr ctxt = NULL;
	xmlDocPtr doc = NULL;
	xmlNodePtr root, body;
	int rc;

	out->v = NULL;
	out->n = out->cap = 0;
	*line = 0;
	rc = read_all(path, &data, err);
	if (rc < 0)
		goto done;
	rc = -ENOMEM;
	ctxt = xmlNewParserCtxt();
	if (!ctxt) {
		buf_puts(err, "out of memory");
		goto done;
	}
	ctxt->_private = &xe;
	/* our handler, not a global one another module may have set, hears of every error */
	ctxt->sax->serror = on_xml_error;
	/* no NOENT and no DTDLOAD: entities stay unexpanded and nothing external is read */
	doc = xmlCtxtReadMemory(ctxt, data.len ? data.data : "", (int)data.len, path, NULL,
				XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
				    XML_PARSE_BIG_LINES);
	rc = -EINVAL;
	if (!doc) {
		*line = xe.line > 0 ? xe.line : 1;
		buf_printf(err, "not well-formed XML: %s", xe.level ? xe.msg : "empty document");
		goto done;
	}
	/* A feed list has no use for entities: refusing their declarations means none is ever
	 * expanded (an external subset is never loaded, so only the internal one can hold any). */
	if (doc->intSubset && (doc->intSubset->entities || doc->intSubset->pentities)) {
		*line = doctype_line(&data);
		buf_puts(err, "entity declarations are not allowed in an OPML feed list");
		goto done;
	}
	root = xmlDocGetRootElement(doc);
	if (!root || xmlStrcmp(root->name, BAD_CAST "opml")) {
		*line = root ? (int)xmlGetLineNo(root) : 1;
		buf_printf(err, "not an OPML document (the root element is <%.40s>, not <opml>)",
			   root ? (const char *)root->name : "");
		goto done;
	}
	for (body = root->children; body; body = body->next)
		if (body->type == XML_ELEMENT_NODE && !xmlStrcmp(body->name, BAD_CAST "body"))
			break;
	if (!body) {
		*line = (int)xmlGetLineNo(root);
		buf_puts(err, "no <body> in <opml>");
		goto done;
	}
	rc = walk(doc, body->children, &path_in, out);
	if (rc < 0)
		buf_puts(err, "out of memory");
done:
	if (rc < 0)
		opml_list_fini(out);
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	buf_fini(&data);
	buf_fini(&path_in);
	return rc;
}

/* xmlUrl, without the user:password@ the configuration may hold: exports carry no credentials. */
static int write_url(xmlTextWriterPtr w, const char *url)
{
	char *bare = url_strip_userinfo(url);
	int rc;

	if (!bare)
		return -1;
	rc = xmlTextWriterWriteAttribute(w, BAD_CAST "xmlUrl", BAD_CAST bare);
	free(bare);
	return rc;
}

static int write_outline(xmlTextWriterPtr w, const struct opml_outline *o)
{
	if (xmlTextWriterStartElement(w, BAD_CAST "outline") < 0 ||
	    xmlTextWriterWriteAttribute(w, BAD_CAST "type", BAD_CAST "rss") < 0 ||
	    (o->text && xmlTextWriterWriteAttribute(w, BAD_CAST "text", BAD_CAST o->text) < 0) ||
	    (o->title && xmlTextWriterWriteAttribute(w, BAD_CAST "title", BAD_CAST o->title) < 0) ||
	    write_url(w, o->url) < 0 ||
	    (o->html_url &&
	     xmlTextWriterWriteAttribute(w, BAD_CAST "htmlUrl", BAD_CAST o->html_url) < 0) ||
	    xmlTextWriterEndElement(w) < 0)
		return -ENOMEM;
	return 0;
}

/* The outlines in document order: those of one category linked after its first (next[i], n for
 * the last) so that each category is written once, in O(n). first[i]: i opens its category. */
static int link_categories(const struct opml_outline *v, size_t n, size_t *next, char *first)
{
	struct strmap cats = STRMAP_INIT;
	size_t *last, i, at;
	int rc = 0;

	last = malloc((n ? n : 1) * sizeof *last);
	if (!last)
		return -ENOMEM;
	for (i = 0; i < n && rc >= 0; i++) {
		next[i] = n;
		first[i] = 0;
		if (!v[i].category)
			continue;
		rc = strmap_add(&cats, v[i].category, i, &at);
		if (rc == 0) {
			first[i] = 1;
			last[i] = i;
		} else if (rc == 1) {
			next[last[at]] = i;
			last[at] = i;
		}
	}
	strmap_fini(&cats);
	free(last);
	return rc < 0 ? rc : 0;
}

static int write_body(xmlTextWriterPtr w, const struct opml_outline *v, size_t n,
		      const size_t *next, const char *first)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (!v[i].category) {
			if (write_outline(w, &v[i]) < 0)
				return -ENOMEM;
			continue;
		}
		if (!first[i])
			continue;
		if (xmlTextWriterStartElement(w, BAD_CAST "outline") < 0 ||
		    xmlTextWriterWriteAttribute(w, BAD_CAST "text", BAD_CAST v[i].category) < 0 ||
		    xmlTextWriterWriteAttribute(w, BAD_CAST "title", BAD_CAST v[i].category) < 0)
			return -ENOMEM;
		for (j = i; j < n; j = next[j])
			if (write_outline(w, &v[j]) < 0)
				return -ENOMEM;
		if (xmlTextWriterEndElement(w) < 0)
			return -ENOMEM;
	}
	return 0;
}

int opml_write(const struct opml_outline *v, size_t n_outlines, FILE *out)
{
	xmlBufferPtr b;
	xmlTextWriterPtr w = NULL;
	size_t n, *next;
	char *first;
	int rc = -ENOMEM;

	next = malloc((n_outlines ? n_outlines : 1) * sizeof *next);
	first = malloc(n_outlines ? n_outlines : 1);
	b = xmlBufferCreate();
	if (!b || !next || !first || (rc = link_categories(v, n_outlines, next, first)) < 0)
		goto done;
	rc = -ENOMEM;
	w = xmlNewTextWriterMemory(b, 0);
	if (!w)
		goto done;
	if (xmlTextWriterSetIndent(w, 1) < 0 ||
	    xmlTextWriterSetIndentString(w, BAD_CAST "  ") < 0 ||
	    xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL) < 0 ||
	    xmlTextWriterStartElement(w, BAD_CAST "opml") < 0 ||
	    xmlTextWriterWriteAttribute(w, BAD_CAST "version", BAD_CAST "2.0") < 0 ||
	    xmlTextWriterStartElement(w, BAD_CAST "head") < 0 ||
	    xmlTextWriterWriteElement(w, BAD_CAST "title", BAD_CAST "feedspool feeds") < 0 ||
	    xmlTextWriterEndElement(w) < 0 || xmlTextWriterStartElement(w, BAD_CAST "body") < 0 ||
	    write_body(w, v, n_outlines, next, first) < 0 || xmlTextWriterEndDocument(w) < 0)
		goto done;
	/* freeing the writer flushes it into b */
	xmlFreeTextWriter(w);
	w = NULL;
	n = (size_t)xmlBufferLength(b);
	rc = fwrite(xmlBufferContent(b), 1, n, out) == n ? 0 : -EIO;
done:
	xmlFreeTextWriter(w);
	if (b)
		xmlBufferFree(b);
	free(next);
	free(first);
	return rc;
}
