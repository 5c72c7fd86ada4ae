/* SPDX-License-Identifier: MIT */
/* JSON Feed 1.0 / 1.1 documents -> articles, with Jansson. */
#include "autoconfig.h"

#include "jsonfeed.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "charset.h"
#include "date.h"
#include "html.h"
#include "url.h"

static const char *str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Jansson's strings are valid UTF-8: json_loadb() rejects a document with an invalid sequence
 * (overlong, surrogate, above U+10FFFF), a lone surrogate escape, and (without JSON_ALLOW_NUL)
 * "\u0000"; and they are converted as s[0..strlen(s)): no NUL. The conversions skip their check. */
static const struct html_extra valid_utf8 = {.valid_utf8 = 1};

static char *text_of(const char *s, int is_html, enum html_mode layout)
{
	struct buf out = BUF_INIT;

	if (!s)
		return NULL;
	if (is_html)
		html_convert(s, strlen(s), layout, &out, &valid_utf8);
	else
		plain_convert(s, strlen(s), layout, &out, &valid_utf8);
	charset_fix_double_utf8(&out);
	if (!out.len) {
		buf_fini(&out);
		return NULL;
	}
	return buf_steal(&out);
}

static int64_t date_of(json_t *o, const char *key)
{
	const char *s = str(o, key);
	int64_t t;

	return s && date_parse(s, &t) == 0 ? t : DATE_NONE;
}

/* "authors" (1.1) or "author" (1.0). */
static void authors_of(json_t *o, const char *base, struct person **v, size_t *n)
{
	json_t *arr = json_object_get(o, "authors"), *a;
	size_t i;

	if (!json_is_array(arr)) {
		a = json_object_get(o, "author");
		if (json_is_object(a)) {
			char *u = str(a, "url") ? url_resolve(base, str(a, "url")) : NULL;

			person_list_add(v, n, str(a, "name"), NULL, u);
			free(u);
		}
		return;
	}
	json_array_foreach(arr, i, a) {
		if (json_is_object(a)) {
			char *u = str(a, "url") ? url_resolve(base, str(a, "url")) : NULL;

			person_list_add(v, n, str(a, "name"), NULL, u);
			free(u);
		}
	}
}

static int item_of(json_t *it, const struct feed_parser_opts *o, struct feed_info *info,
		   feed_article_fn fn, void *ud)
{
	struct article a;
	json_t *v, *tags, *atts;
	const char *html = str(it, "content_html"), *text = str(it, "content_text");
	const char *base = info->link ? info->link : o->url;
	size_t i;
	int rc = 0;

	article_init(&a);
	a.title = text_of(str(it, "title"), 0, HTML_INLINE);
	a.summary = text_of(str(it, "summary"), 0, HTML_INLINE);
	a.body = html ? text_of(html, 1, HTML_BLOCKS) : text_of(text, 0, HTML_BLOCKS);
	if (a.body)
		article_make_standfirst(&a);
	else if (a.summary)
		a.body = text_of(str(it, "summary"), 0, HTML_BLOCKS);
	if (str(it, "url"))
		a.url = url_resolve(base, str(it, "url"));
	else if (str(it, "external_url"))
		a.url = url_resolve(base, str(it, "external_url"));
	if (str(it, "external_url"))
		article_add_link(&a, str(it, "external_url"), "related", NULL, NULL);
	v = json_object_get(it, "id");
	if (json_is_string(v))
		a.guid = strdup(json_string_value(v));
	else if (json_is_integer(v)) {
		char n[32];

		snprintf(n, sizeof n, "%lld", (long long)json_integer_value(v));
		a.guid = strdup(n);
	}
	a.published = date_of(it, "date_published");
	a.updated = date_of(it, "date_modified");
	authors_of(it, base, &a.authors, &a.n_authors);
	/* an item without authors has the feed's (JSON Feed 1.1) */
	if (!a.n_authors)
		for (i = 0; i < info->n_authors; i++)
			person_list_add(&a.authors, &a.n_authors, info->authors[i].name,
					info->authors[i].email, info->authors[i].uri);
	tags = json_object_get(it, "tags");
	if (json_is_array(tags))
		json_array_foreach(tags, i, v)
			if (json_is_string(v))
				article_add_category(&a, json_string_value(v));
	atts = json_object_get(it, "attachments");
	if (json_is_array(atts))
		json_array_foreach(atts, i, v) {
			json_t *sz = json_object_get(v, "size_in_bytes");
			char *u = str(v, "url") ? url_resolve(base, str(v, "url")) : NULL;

			article_add_enclosure(&a, u, str(v, "mime_type"),
					      json_is_integer(sz) ? json_integer_value(sz) : -1);
			free(u);
		}
	if (str(it, "image")) {
		char *u = url_resolve(base, str(it, "image"));

		article_add_link(&a, u, "thumbnail", NULL, NULL);
		free(u);
	}
	a.language = str(it, "language") ? strdup(str(it, "language"))
		     : info->language ? strdup(info->language) : NULL;
	a.fetched = o->fetched;
	article_make_id(&a, info->url);
	if (fn && fn(ud, &a, info) != 0)
		rc = -ECANCELED;
	article_fini(&a);
	return rc;
}

int jsonfeed_parse(const char *doc, size_t n, const struct feed_parser_opts *o,
		   struct feed_info *info, feed_article_fn fn, void *ud, char *err, size_t errsz,
		   long *line)
{
	json_error_t je;
	json_t *root, *items, *it;
	const char *version;
	size_t i;
	int count = 0, rc = 0;

	/* Jansson refuses invalid UTF-8 and NUL bytes; depth is capped by Jansson itself (2048) */
	root = json_loadb(doc, n, 0, &je);
	if (!root) {
		snprintf(err, errsz, "invalid JSON: %s", je.text);
		*line = je.line;
		return -EBADMSG;
	}
	version = str(root, "version");
	if (!json_is_object(root) || !version || strncmp(version, "https://jsonfeed.org/version/", 29)) {
		snprintf(err, errsz, "not a JSON Feed (no \"version\": \"https://jsonfeed.org/version/1.1\")");
		json_decref(root);
		return -EBADMSG;
	}
	free(info->title);
	info->title = text_of(str(root, "title"), 0, HTML_INLINE);
	free(info->subtitle);
	info->subtitle = text_of(str(root, "description"), 0, HTML_INLINE);
	if (str(root, "home_page_url")) {
		free(info->link);
		info->link = url_resolve(o->url, str(root, "home_page_url"));
	}
	if (str(root, "language") && !info->language)
		info->language = strdup(str(root, "language"));
	authors_of(root, o->url, &info->authors, &info->n_authors);
	info->generation++;
	items = json_object_get(root, "items");
	if (!json_is_array(items)) {
		snprintf(err, errsz, "JSON Feed without an \"items\" array");
		json_decref(root);
		return -EBADMSG;
	}
	json_array_foreach(items, i, it) {
		if (!json_is_object(it))
			continue;
		rc = item_of(it, o, info, fn, ud);
		if (rc < 0)
			break;
		count++;
	}
	json_decref(root);
	return rc < 0 ? rc : count;
}
