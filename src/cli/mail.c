/* SPDX-License-Identifier: MIT */
/* Renders a spool article as an RFC 5322 message (MIME, quoted-printable bodies, RFC 2047
 * encoded words) and frames messages for an mbox (mboxrd). */
#include "autoconfig.h"

#include "mail.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "date.h"

#define LINE_MAX_QP 76	 /* RFC 2045: encoded lines at most 76 characters */
#define WORD_MAX 75	 /* RFC 2047: an encoded word at most 75 characters */
#define DOMAIN "feedspool.invalid"
#define HEADER_MAX 900	 /* RFC 5322: lines at most 998 characters; plain values up to this */

static const char hex[] = "0123456789ABCDEF";

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s && *s ? s : NULL;
}

/* 1 when c may stand for itself in a Q-encoded word anywhere, phrases included (RFC 2047 5.3) */
static int q_plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("!*+-/", c) != NULL;
}

/* Bytes of the UTF-8 sequence starting with c (1 for a stray byte: it is kept whole). */
static size_t utf8_len(unsigned char c)
{
	return c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
}

/* Appends s as encoded words (UTF-8, Q), folded between words; control characters become
 * spaces. col is the column the first word starts at. */
static int put_words(struct buf *out, const char *s, size_t col)
{
	size_t i = 0, n = strlen(s), wlen = 0;
	int rc = 0;

	while (i < n) {
		size_t k = utf8_len((unsigned char)s[i]), cost = 0, j;

		if (i + k > n)
			k = n - i;
		for (j = 0; j < k; j++)
			cost += q_plain((unsigned char)s[i + j]) || (unsigned char)s[i + j] <= ' ' ? 1 : 3;
		if (wlen && col + wlen + cost + 2 > WORD_MAX) { /* 2: the closing "?=" */
			rc |= buf_puts(out, "?=\n ");
			col = 1;
			wlen = 0;
		}
		if (!wlen) {
			rc |= buf_puts(out, "=?UTF-8?Q?");
			wlen = 10;
		}
		for (j = 0; j < k; j++) {
			unsigned char c = (unsigned char)s[i + j];

			if (c <= ' ' || c == 0x7f)
				rc |= buf_putc(out, '_');
			else if (q_plain(c))
				rc |= buf_putc(out, (char)c);
			else
				rc |= buf_printf(out, "=%c%c", hex[c >> 4], hex[c & 15]);
		}
		wlen += cost;
		i += k;
	}
	if (wlen)
		rc |= buf_puts(out, "?=");
	return rc;
}

/* 1 when s can be written as it is in a header: printable ASCII, and short. */
static int plain_ascii(const char *s, size_t room)
{
	size_t n = 0;

	for (; *s; s++, n++)
		if ((unsigned char)*s < ' ' || (unsigned char)*s >= 0x7f)
			return 0;
	return n <= room;
}

/* "Name: value\n", the value encoded when it is not plain ASCII that fits on the line */
static int put_header(struct buf *out, const char *name, const char *value)
{
	int rc = buf_printf(out, "%s: ", name);

	if (plain_ascii(value, HEADER_MAX))
		rc |= buf_puts(out, value);
	else
		rc |= put_words(out, value, strlen(name) + 2);
	return rc | buf_putc(out, '\n');
}

/* From: the feed's title (or name) as the display name, the feed's name as the address. */
static int put_from(struct buf *out, const json_t *feed)
{
	const char *name = str(feed, "name"), *title = str(feed, "title");
	const char *display = title ? title : name;
	int rc = buf_puts(out, "From: "), folded = 0;

	if (display && plain_ascii(display, 60)) {
		rc |= buf_putc(out, '"');
		for (; *display; display++) {
			if (*display == '"' || *display == '\\')
				rc |= buf_putc(out, '\\');
			rc |= buf_putc(out, *display);
		}
		rc |= buf_putc(out, '"');
	} else if (display) {
		rc |= put_words(out, display, 6);
		folded = 1;
	}
	/* feed names are [a-z0-9-]: a valid local part */
	return rc | buf_printf(out, "%s<%s@" DOMAIN ">\n", folded ? "\n " : display ? " " : "",
			       name ? name : "feed");
}

/* The article's date: published, else updated, else fetched; 0 when none parses. */
static int64_t article_time(const json_t *a)
{
	static const char *const keys[] = {"published", "updated", "fetched"};
	int64_t t;
	size_t i;

	for (i = 0; i < 3; i++)
		if (str(a, keys[i]) && date_parse(str(a, keys[i]), &t) == 0)
			return t;
	return 0;
}

static const char *const wdays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
				     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

static int put_date(struct buf *out, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm))
		return buf_puts(out, "Date: Thu, 01 Jan 1970 00:00:00 +0000\n");
	return buf_printf(out, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\n", wdays[tm.tm_wday],
			  tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
			  tm.tm_sec);
}

/* Appends s quoted-printable (RFC 2045 6.7): LF stays a line break; "From " at the start of a
 * line is encoded too, so the mbox framing never has to change the body. */
static int put_qp(struct buf *out, const char *s)
{
	size_t col = 0;
	int rc = 0;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		int lit = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') &&
								s[1] != '\n' && s[1] != '\0');

		if (c == '\n') {
			rc |= buf_putc(out, '\n');
			col = 0;
			continue;
		}
		if (col == 0 && c == 'F' && strncmp(s, "From ", 5) == 0)
			lit = 0;
		if (col + (lit ? 1 : 3) > LINE_MAX_QP - 1) {
			rc |= buf_puts(out, "=\n");
			col = 0;
		}
		if (lit)
			rc |= buf_putc(out, (char)c);
		else
			rc |= buf_printf(out, "=%c%c", hex[c >> 4], hex[c & 15]);
		col += lit ? 1 : 3;
	}
	return rc | (col ? buf_putc(out, '\n') : 0);
}

static int put_part(struct buf *out, const char *type, const char *body)
{
	int rc = buf_printf(out, "Content-Type: text/%s; charset=utf-8\n"
				 "Content-Transfer-Encoding: quoted-printable\n\n",
			    type);

	return rc | put_qp(out, body);
}

static int put_headers(struct buf *out, const json_t *a)
{
	const char *id = str(a, "id"), *title = str(a, "title"), *url = str(a, "url");
	const json_t *feed = json_object_get(a, "feed");
	json_int_t rev = json_integer_value(json_object_get(a, "revision"));
	int rc = put_from(out, feed);

	rc |= put_header(out, "Subject", title ? title : "(no title)");
	rc |= put_date(out, article_time(a));
	rc |= buf_printf(out, "Message-ID: <%s", id ? id : "0");
	if (rev > 0)
		rc |= buf_printf(out, ".r%lld", (long long)rev);
	rc |= buf_puts(out, "@" DOMAIN ">\n");
	if (str(feed, "name"))
		rc |= put_header(out, "X-Feedspool-Feed", str(feed, "name"));
	if (url)
		rc |= put_header(out, "X-Feedspool-URL", url);
	return rc | buf_puts(out, "MIME-Version: 1.0\n");
}

int mail_render(const json_t *a, const char *text, struct buf *out)
{
	const char *html = str(a, "content_html"), *url = str(a, "url"), *id = str(a, "id");
	struct buf plain = BUF_INIT;
	int rc = put_headers(out, a);

	rc |= buf_puts(&plain, text ? text : "");
	if (url)
		rc |= buf_printf(&plain, "%s%s\n", plain.len ? "\n" : "", url);
	if (!html) {
		rc |= put_part(out, "plain", buf_cstr(&plain));
	} else {
		/* "=_" never occurs in quoted-printable text: a safe boundary */
		rc |= buf_printf(out, "Content-Type: multipart/alternative; boundary=\"=_%s\"\n\n",
				 id ? id : "0");
		rc |= buf_printf(out, "--=_%s\n", id ? id : "0");
		rc |= put_part(out, "plain", buf_cstr(&plain));
		rc |= buf_printf(out, "--=_%s\n", id ? id : "0");
		rc |= put_part(out, "html", html);
		rc |= buf_printf(out, "--=_%s--\n", id ? id : "0");
	}
	buf_fini(&plain);
	return rc ? -ENOMEM : 0;
}

int mail_mbox_append(const json_t *a, const char *msg, size_t len, struct buf *out)
{
	time_t t = (time_t)article_time(a);
	const json_t *feed = json_object_get(a, "feed");
	const char *p = msg, *end = msg + len;
	struct tm tm;
	int rc = 0;

	if (!gmtime_r(&t, &tm))
		memset(&tm, 0, sizeof tm);
	rc |= buf_printf(out, "From %s@" DOMAIN " %s %s %2d %02d:%02d:%02d %04d\n",
			 str(feed, "name") ? str(feed, "name") : "feed", wdays[tm.tm_wday % 7],
			 months[tm.tm_mon % 12], tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			 tm.tm_year + 1900);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *q = p;

		nl = nl ? nl + 1 : end;
		while (q < nl && *q == '>')
			q++;
		if ((size_t)(nl - q) >= 5 && memcmp(q, "From ", 5) == 0)
			rc |= buf_putc(out, '>');
		rc |= buf_append(out, p, (size_t)(nl - p));
		p = nl;
	}
	if (len && msg[len - 1] != '\n')
		rc |= buf_putc(out, '\n');
	rc |= buf_putc(out, '\n');
	return rc ? -ENOMEM : 0;
}
