/* SPDX-License-Identifier: MIT */
/* Whether text declared plain looks like HTML, by Python feedparser's rule. */
#include "autoconfig.h"

#include "html.h"

#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLparser.h>

#include "html_impl.h"

/* Elements whose tags make text HTML: Python feedparser's sanitizer list (HTML 4 and 5 body
 * elements, without script, style, frames and embedded objects), plus a few of HTML5. Sorted. */
static const char *const html_elements[] = {
    "a",       "abbr",	   "acronym",	 "address",  "area",	"article",  "aside",	"audio",
    "b",       "big",	   "blockquote", "br",	     "button",	"canvas",   "caption",	"center",
    "cite",    "code",	   "col",	 "colgroup", "command", "datagrid", "datalist", "dd",
    "del",     "details",  "dfn",	 "dialog",   "dir",	"div",	    "dl",	"dt",
    "em",      "fieldset", "figcaption", "figure",   "font",	"footer",   "form",	"h1",
    "h2",      "h3",	   "h4",	 "h5",	     "h6",	"header",   "hr",	"i",
    "img",     "input",	   "ins",	 "kbd",	     "keygen",	"label",    "legend",	"li",
    "m",       "main",	   "map",	 "mark",     "menu",	"meter",    "multicol", "nav",
    "nextid",  "noscript", "ol",	 "optgroup", "option",	"output",   "p",	"picture",
    "pre",     "progress", "q",		 "rp",	     "rt",	"ruby",	    "s",	"samp",
    "section", "select",   "small",	 "sound",    "source",	"spacer",   "span",	"strike",
    "strong",  "sub",	   "summary",	 "sup",	     "table",	"tbody",    "td",	"textarea",
    "tfoot",   "th",	   "thead",	 "time",     "tr",	"tt",	    "u",	"ul",
    "var",     "video",	   "wbr",
};

static int name_cmp(const void *key, const void *elem)
{
	return strcmp(key, *(const char *const *)elem);
}

static int is_word(unsigned char b)
{
	return is_alnum(b) || b == '_';
}

/* Whether s[0..n) (a tag or entity name, as Python's \w+ matches it) is in the list. */
static int known_name(const char *s, size_t n, int lower, const char *const *list, size_t count)
{
	char name[16];
	size_t i;

	if (n >= sizeof(name))
		return 0;
	for (i = 0; i < n; i++)
		name[i] = lower ? (char)(s[i] | (is_alpha((unsigned char)s[i]) ? 0x20 : 0)) : s[i];
	name[n] = '\0';
	if (list)
		return bsearch(name, list, count, sizeof(*list), name_cmp) != NULL;
	return htmlEntityLookup((const xmlChar *)name) != NULL;
}

/*
 * Python feedparser's rule (a known end tag or any character reference makes text HTML; a tag
 * or a named reference it does not know makes it plain). A start tag alone does not: feedparser
 * keeps "use <b> for bold" and "<br/>" in an RSS title as the literal text they were escaped to.
 */
int html_looks_like(const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i, j, k, count = sizeof(html_elements) / sizeof(html_elements[0]);
	int html = 0, end;

	if (!text)
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] == '<') {
			j = i + 1;
			end = j < len && s[j] == '/';
			j += end;
			for (k = j; k < len && is_word(s[k]); k++)
				;
			if (k == j)
				continue;
			if (!known_name(text + j, k - j, 1, html_elements, count))
				return 0;
			if (end && k < len && s[k] == '>')
				html = 1;
			i = k - 1;
		} else if (s[i] == '&') {
			j = i + 1;
			end = j < len && s[j] == '#'; /* a numeric reference */
			j += end;
			for (k = j; k < len && is_word(s[k]); k++)
				;
			if (k == j || k >= len || s[k] != ';')
				continue;
			if (!end && !known_name(text + j, k - j, 0, NULL, 0))
				return 0;
			html = 1;
			i = k;
		}
	}
	return html;
}
