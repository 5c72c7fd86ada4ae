/* SPDX-License-Identifier: MIT */
/* The sanitized HTML made in the same parse as the text (sanitize.c's allowlist), and the links
 * and images reported to the caller. */
#include "autoconfig.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "html_impl.h"
#include "sanitize.h"

static const char *att_value(const xmlChar **atts, const char *name)
{
	for (; atts && atts[0]; atts += 2)
		if (!strcmp((const char *)atts[0], name))
			return atts[1] ? (const char *)atts[1] : "";
	return NULL;
}

/* An <img>: listed and kept only with a safe src. Returns 0 to leave it out. */
static int html_img(struct conv *c, const xmlChar **atts)
{
	const char *src = att_value(atts, "src"), *alt = att_value(atts, "alt");
	char *u = src ? sanitize_url(c->x->base, src, 0) : NULL;

	if (!u)
		return 0;
	if (c->x->on_image && !report_skip(c) && c->x->on_image(c->x->ud, u, alt ? alt : "") &&
	    !c->err)
		c->err = -ENOMEM;
	free(u);
	return 1;
}

static void html_attrs(struct conv *c, const char *el, int is_a, const xmlChar **atts)
{
	const char *v, *name;
	char *u, *mine;

	for (; atts && atts[0]; atts += 2) {
		name = (const char *)atts[0];
		v = atts[1] ? (const char *)atts[1] : "";
		switch (sanitize_attribute(el, name)) {
		case SAN_ATTR_TEXT:
			u = NULL;
			break;
		case SAN_ATTR_URL:
			/* the URL attributes are cite, href and src: href is the one with an 'h' */
			if (!(u = sanitize_url(c->x->base, v, name[0] == 'h')))
				continue;
			v = u;
			break;
		default:
			continue;
		}
		hput(c, " ", 1);
		hput(c, name, strlen(name));
		hput(c, "=\"", 2);
		if (!c->err)
			c->err = sanitize_put_attr(c->x->html, v, strlen(v));
		hput(c, "\"", 1);
		/* the first URL of an outermost link is its href (link_done() frees it) */
		mine = u;
		if (u && is_a && c->a_depth == 0 && !c->a_href) {
			c->a_href = u;
			mine = NULL;
		}
		free(mine);
	}
}

void html_out_start(struct conv *c, const struct kind_slot *k, const xmlChar **atts)
{
	const char *el = (const char *)k->name;
	enum san_el what = (enum san_el)k->san;

	if (c->skip || c->hremove || what == SAN_REMOVE) {
		if (!c->skip && what == SAN_REMOVE)
			c->hremove++;
		return;
	}
	if (what == SAN_DROP_TAG || (k->el == EL_IMG && !html_img(c, atts)))
		return;
	hput(c, k->open, k->len + 1);
	html_attrs(c, el, k->el == EL_A, atts);
	hput(c, ">", 1);
	if (k->el == EL_A) {
		if (c->a_depth++ == 0)
			c->a_text = c->out->len;
	}
}

/* Whether plain_to_text(s, n, HTML_INLINE) is s itself (s is the end of valid UTF-8): no
 * byte order mark, blanks, controls or U+0080..U+00BF (0xC2: no-break spaces, C1 controls),
 * but single spaces between words. */
static int inline_as_is(const unsigned char *s, size_t n)
{
	size_t i;

	/* a byte order mark; or the middle of a character: the link began on a line that was
	 * dropped (only no-break spaces), and its text where the next line now is */
	if ((n >= 3 && s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf) || (n && (s[0] & 0xc0) == 0x80))
		return 0;
	for (i = 0; i < n; i++)
		if ((s[i] <= ' ' || s[i] == 0xc2) &&
		    !(s[i] == ' ' && i > 0 && i + 1 < n && s[i + 1] > ' ' && s[i + 1] != 0xc2))
			return 0;
	return 1;
}

/* The text of a link just closed: its text rendering, on one line (most often the text as it
 * is, which out holds NUL-terminated). */
static void link_done(struct conv *c)
{
	struct buf t = BUF_INIT;
	size_t from = c->a_text < c->out->len ? c->a_text : c->out->len;
	const char *all = c->out->data ? c->out->data + from : "", *text = all;
	size_t n = c->out->len - from;

	/* the line's separator or a pending space comes first: plain_to_text() drops it */
	while (n && is_blank((unsigned char)*text)) {
		text++;
		n--;
	}
	if (c->a_href && c->x->on_link && !report_skip(c)) {
		if (!inline_as_is((const unsigned char *)text, n)) {
			if (plain_to_text(all, c->out->len - from, HTML_INLINE, &t) < 0)
				c->err = c->err ? c->err : -ENOMEM;
			text = buf_cstr(&t);
		}
		if (c->x->on_link(c->x->ud, c->a_href, text))
			c->err = c->err ? c->err : -ENOMEM;
	}
	buf_fini(&t);
	free(c->a_href);
	c->a_href = NULL;
}

void html_out_end(struct conv *c, const struct kind_slot *k)
{
	if (c->skip)
		return;
	if (c->hremove) {
		if (k->san == SAN_REMOVE)
			c->hremove--;
		return;
	}
	if (k->san != SAN_KEEP)
		return;
	hput(c, k->close, k->len + 3);
	if (k->el == EL_A && c->a_depth && --c->a_depth == 0)
		link_done(c);
}

void html_out_text(struct conv *c, const char *s, size_t n)
{
	if (!c->skip && !c->hremove && !c->err)
		c->err = sanitize_put_text(c->x->html, s, n);
}

int html_from_text(const char *text, size_t len, struct buf *html)
{
	size_t i = 0, eol;
	int err = 0;

	while (!err && i < len) {
		const char *nl = memchr(text + i, '\n', len - i);

		eol = nl ? (size_t)(nl - text) : len;
		if (eol > i) {
			err = buf_append(html, "<p>", 3);
			if (!err)
				err = sanitize_put_text(html, text + i, eol - i);
			if (!err)
				err = buf_append(html, "</p>", 4);
		}
		i = eol + 1;
	}
	return err;
}
