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

static int read_all(const char *path, struct buf *data, struct buf *err)
{
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		buf_puts(err, strerror(-rc));
		return rc;
	}
	rc = buf_read_fd(data, fd, OPML_MAX_BYTES);
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

static int add_outline(xmlDocPtr doc, xmlNodePtr n, char *url, struct opml_list *out)
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
	    get_attr(doc, n, "title", 0, &o->title) < 0)
		return -ENOMEM;
	return 0;
}

/* Depth is bounded by libxml2's own nesting limit (256 without XML_PARSE_HUGE). */
static int walk(xmlDocPtr doc, xmlNodePtr n, struct opml_list *out)
{
	char *url;
	int rc;

	for (; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE || xmlStrcmp(n->name, BAD_CAST "outline"))
			continue;
		if (get_attr(doc, n, "xmlUrl", 1, &url) < 0)
			return -ENOMEM;
		if (url && (rc = add_outline(doc, n, url, out)) < 0)
			return rc;
		if ((rc = walk(doc, n->children, out)) < 0)
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
	}
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

int opml_read(const char *path, struct opml_list *out, int *line, struct buf *err)
{
	struct buf data = BUF_INIT;
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
	rc = walk(doc, body->children, out);
	if (rc < 0)
		buf_puts(err, "out of memory");
done:
	if (rc < 0)
		opml_list_fini(out);
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	buf_fini(&data);
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

int opml_write(const struct opml_outline *v, size_t n_outlines, FILE *out)
{
	xmlBufferPtr b;
	xmlTextWriterPtr w;
	const struct opml_outline *o;
	size_t i, n;
	int rc = -ENOMEM;

	b = xmlBufferCreate();
	if (!b)
		return -ENOMEM;
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
	    xmlTextWriterEndElement(w) < 0 || xmlTextWriterStartElement(w, BAD_CAST "body") < 0)
		goto done;
	for (i = 0; i < n_outlines; i++) {
		o = &v[i];
		if (xmlTextWriterStartElement(w, BAD_CAST "outline") < 0 ||
		    xmlTextWriterWriteAttribute(w, BAD_CAST "type", BAD_CAST "rss") < 0 ||
		    (o->text &&
		     xmlTextWriterWriteAttribute(w, BAD_CAST "text", BAD_CAST o->text) < 0) ||
		    (o->title &&
		     xmlTextWriterWriteAttribute(w, BAD_CAST "title", BAD_CAST o->title) < 0) ||
		    write_url(w, o->url) < 0 ||
		    xmlTextWriterEndElement(w) < 0)
			goto done;
	}
	if (xmlTextWriterEndDocument(w) < 0)
		goto done;
	/* freeing the writer flushes it into b */
	xmlFreeTextWriter(w);
	w = NULL;
	n = (size_t)xmlBufferLength(b);
	rc = fwrite(xmlBufferContent(b), 1, n, out) == n ? 0 : -EIO;
done:
	xmlFreeTextWriter(w);
	xmlBufferFree(b);
	return rc;
}
