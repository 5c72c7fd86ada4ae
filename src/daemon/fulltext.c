/* SPDX-License-Identifier: MIT */
/* The full text of linked pages (fulltext.h): teaser detection, the page's fetch, and the
 * article's text replaced by what the extractor found. */
#include "autoconfig.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "extract.h"
#include "feeds.h"
#include "fulltext.h"
#include "html.h"
#include "log.h"

#define TEASER_WORDS 100
#define MIN_GAIN 1.2 /* the page's text must be this much longer than the feed's to replace it */

struct job {
	struct article *a;
	char *feed, *url;
	struct buf page;
	int cut; /* the page went past EXTRACT_INPUT_MAX: the rest was not fetched */
	void (*done)(void *ud);
	void *ud;
};

static size_t words(const char *s)
{
	size_t n = 0;
	int in = 0;

	for (; s && *s; s++) {
		int sp = *s == ' ' || *s == '\n' || *s == '\t';

		n += !sp && !in;
		in = !sp;
	}
	return n;
}

/* The last line of the body, lowercased into out. */
static void last_line(const char *body, char *out, size_t n)
{
	const char *nl = strrchr(body, '\n'), *p = nl ? nl + 1 : body;
	size_t i = 0;

	for (; *p && i + 1 < n; p++)
		out[i++] = (*p >= 'A' && *p <= 'Z') ? (char)(*p + 32) : *p;
	out[i] = '\0';
}

static int ends_with(const char *s, const char *end)
{
	size_t n = strlen(s), m = strlen(end);

	while (n && s[n - 1] == ' ')
		n--;
	return n >= m && memcmp(s + n - m, end, m) == 0;
}

/* A "read more" line: a short last line naming one of the phrases, or a last line that ends
 * with one (a trailing link in a longer paragraph). */
static int read_more(const char *line)
{
	static const char *const more[] = {"read more", "continue reading", "read the full",
					   "read the rest", "full story", "full article",
					   "keep reading"};
	size_t n = strlen(line);

	while (n && strchr(" .:!>\xc2\xbb\xe2\x80\xa6\x86\x92", line[n - 1]))
		n--; /* trailing punctuation, arrows and ellipses */
	for (size_t i = 0; i < sizeof more / sizeof more[0]; i++) {
		const char *p = strstr(line, more[i]);
		size_t m = strlen(more[i]);

		if (p && (words(line) <= 12 || (size_t)(p - line) + m == n))
			return 1;
	}
	return 0;
}

int fulltext_is_teaser(const struct article *a)
{
	char line[512];

	if (!a->body || words(a->body) < TEASER_WORDS)
		return 1;
	last_line(a->body, line, sizeof line);
	return read_more(line) || ends_with(line, "\xe2\x80\xa6") || ends_with(line, "...") ||
	       ends_with(line, "[\xe2\x80\xa6]");
}

int fulltext_wanted(const struct article *a, const struct feed_conf *fc)
{
	const char *mode = fc ? fc->s.fulltext : NULL;

	if (!mode || !strcmp(mode, "no") || fc->s.revisions || !a->url ||
	    (strncasecmp(a->url, "http://", 7) && strncasecmp(a->url, "https://", 8)))
		return 0;
	return !strcmp(mode, "yes") || fulltext_is_teaser(a);
}

static int cb_data(void *ud, const char *data, size_t n)
{
	struct job *j = ud;

	if (j->page.len + n > EXTRACT_INPUT_MAX) {
		j->cut = 1;
		buf_append(&j->page, data, EXTRACT_INPUT_MAX - j->page.len);
		return 1; /* enough: the article's text is near the start of a page */
	}
	return buf_append(&j->page, data, n) < 0 ? 1 : 0;
}

/* The charset parameter of a Content-Type, copied into out ("" when none). */
static void charset_of(const char *ct, char *out, size_t n)
{
	const char *p = NULL;
	size_t i = 0;

	for (const char *q = ct; q && *q && !p; q++)
		if (!strncasecmp(q, "charset=", 8))
			p = q;

	if (p)
		for (p += 8; *p && *p != ';' && *p != ' ' && *p != '"' && i + 1 < n; p++)
			out[i++] = *p;
	out[i] = '\0';
}

static int on_link(void *ud, const char *href, const char *text)
{
	return article_add_inline_link(ud, href, text);
}

static int on_image(void *ud, const char *src, const char *alt)
{
	return article_add_image(ud, src, alt);
}

/* Drops a's inline links and images: the page's take their place. */
static void drop_inline(struct article *a)
{
	size_t k = 0;

	for (size_t i = 0; i < a->n_links; i++) {
		if (a->links[i].rel && !strcmp(a->links[i].rel, "inline")) {
			article_link_fini(&a->links[i]);
		} else {
			a->links[k++] = a->links[i];
		}
	}
	a->n_links = k;
	for (size_t i = 0; i < a->n_images; i++)
		article_image_fini(&a->images[i]);
	a->n_images = 0;
}

/* Renders the extracted HTML as the feed's HTML is, and takes it when it says more. */
static int take(struct job *j, const struct extract *x, const char *base)
{
	struct article *a = j->a;
	struct buf text = BUF_INIT, html = BUF_INIT;
	struct html_extra ex = {base, &html, on_link, on_image, a, 0};
	size_t had = words(a->body);
	int rc;

	if (words(x->text.data) < (size_t)(had * MIN_GAIN) + 1) {
		log_debug("feed %s: full text of %s: no more text than the feed's (%zu words)", j->feed,
			  j->url, had);
		return 0;
	}
	drop_inline(a);
	rc = html_convert(x->html.data ? x->html.data : "", x->html.len, HTML_BLOCKS, &text, &ex);
	if (rc == 0 && text.len) {
		free(a->body);
		free(a->content_html);
		a->body = text.data;
		a->content_html = html.len ? html.data : NULL;
		text.data = NULL;
		if (a->content_html)
			html.data = NULL;
		rc = article_make_standfirst(a);
		log_debug("feed %s: full text of %s: %zu words instead of %zu", j->feed, j->url,
			  words(a->body), had);
	}
	buf_fini(&text);
	buf_fini(&html);
	return rc;
}

static void cb_done(void *ud, const struct fetch_result *r)
{
	struct job *j = ud;
	struct extract x;
	char charset[64];

	if ((r->error && !j->cut) || r->status != 200 || !j->page.len) {
		log_info("feed %s: full text of %s: %s; the feed's text is kept", j->feed, j->url,
			 r->error || r->status != 200 ? r->message : "an empty page");
	} else {
		extract_init(&x);
		charset_of(r->content_type, charset, sizeof charset);
		if (extract_page(j->page.data, j->page.len, r->effective_url ? r->effective_url : j->url,
				 charset[0] ? charset : NULL, &x) < 0 ||
		    take(j, &x, r->effective_url ? r->effective_url : j->url) < 0)
			log_err("feed %s: full text of %s: out of memory; the feed's text is kept",
				j->feed, j->url);
		extract_fini(&x);
	}
	j->done(j->ud);
	buf_fini(&j->page);
	free(j->feed);
	free(j->url);
	free(j);
}

int fulltext_start(struct fetcher *fetcher, struct article *a, const struct feed_conf *fc,
		   void (*done)(void *ud), void *ud)
{
	struct job *j = calloc(1, sizeof *j);
	struct fetch_request req;

	if (!j || !(j->feed = strdup(fc->name)) || !(j->url = strdup(a->url)))
		goto fail;
	j->a = a;
	j->done = done;
	j->ud = ud;
	feeds_fill_request(&req, &fc->s);
	req.url = a->url;
	if (!fetcher_start(fetcher, &req, cb_data, cb_done, j))
		goto fail;
	return 0;
fail:
	if (j) {
		free(j->feed);
		free(j->url);
	}
	free(j);
	return -ENOMEM;
}
