/* SPDX-License-Identifier: MIT */
/* The feed normalizer's front: caps the document, sniffs its format and character encoding,
 * converts it to UTF-8 and streams it to the XML parser (or buffers a JSON Feed). */
#include "autoconfig.h"

#include "feed.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "charset.h"
#include "feed_xml.h"
#include "jsonfeed.h"
#include "xml_fix.h"
#include "log.h"
#include "url.h"

#define SNIFF_BYTES 1024
/* A UTF-8 document is held up to this size before it is parsed, to decode it as a whole with
 * feedparser's fallback (charset_fallback) when it is not UTF-8; a larger one that turns out
 * invalid further on has its bad bytes read one by one as windows-1252. */
#define HOLD_BYTES ((size_t)64 << 10)

enum state { ST_SNIFF, ST_HOLD, ST_XML, ST_JSON, ST_DONE };

struct feed_parser {
	struct feed_parser_opts opts; /* strings owned */
	feed_article_fn fn;
	void *ud;
	int (*known)(void *ud, const struct article *a); /* the caller's, see counting_known */
	void *known_ud;
	struct feed_info info;
	enum state state;
	struct buf head; /* the first bytes, until the format and encoding are known; then the
			  * JSON document */
	struct charset_guess guess;
	struct charset_conv *conv;
	struct buf utf8;
	struct feed_xml *xml;
	size_t total, max_bytes;
	size_t count;
	char *error;
	long error_line;
	int failed;
	size_t warnings;
	char *warning;
	long warning_line;
	size_t json_skip; /* a UTF-8 BOM before a JSON Feed */
	struct xml_fix fix; /* bare '&' and "&#X41;" repaired before libxml2 */
	int bare_warned;
	int bare_lt_warned;
	int lead_done;    /* leading whitespace before the first '<' was skipped */
	long line_offset; /* newlines skipped with it, added to reported line numbers */
};

static void on_diag(void *ud, int is_error, long line, const char *msg)
{
	struct feed_parser *p = ud;

	if (line > 0)
		line += p->line_offset;
	if (is_error) {
		p->failed = 1;
		if (!p->error) {
			p->error = strdup(msg);
			p->error_line = line;
		}
		return;
	}
	p->warnings++;
	if (!p->warning) {
		p->warning = strdup(msg);
		p->warning_line = line;
	}
}

static int fail(struct feed_parser *p, int err, const char *msg)
{
	on_diag(p, 1, 0, msg);
	p->state = ST_DONE;
	return err;
}

/* Items the caller knew still count as articles of the document. */
static int counting_known(void *ud, const struct article *a)
{
	struct feed_parser *p = ud;

	if (!p->known(p->known_ud, a))
		return 0;
	p->count++;
	return 1;
}

struct feed_parser *feed_parser_new(const struct feed_parser_opts *o, feed_article_fn fn, void *ud)
{
	struct feed_parser *p = calloc(1, sizeof *p);

	if (!p)
		return NULL;
	p->opts = *o;
	p->opts.name = o->name ? strdup(o->name) : NULL;
	/* without its user:password@: feed.url, relative links and identities never hold it */
	p->opts.url = o->url ? url_strip_userinfo(o->url) : NULL;
	p->opts.content_type = o->content_type ? strdup(o->content_type) : NULL;
	p->max_bytes = o->max_bytes ? o->max_bytes : FEED_MAX_BYTES_DEFAULT;
	p->fn = fn;
	p->ud = ud;
	if (o->known) {
		p->known = o->known;
		p->known_ud = o->known_ud;
		p->opts.known = counting_known;
		p->opts.known_ud = p;
	}
	feed_info_init(&p->info);
	xml_fix_init(&p->fix);
	p->info.name = p->opts.name ? strdup(p->opts.name) : NULL;
	p->info.url = p->opts.url ? strdup(p->opts.url) : NULL;
	return p;
}

void feed_parser_free(struct feed_parser *p)
{
	if (!p)
		return;
	feed_xml_free(p->xml);
	charset_conv_free(p->conv);
	buf_fini(&p->head);
	buf_fini(&p->utf8);
	xml_fix_fini(&p->fix);
	feed_info_fini(&p->info);
	free((char *)p->opts.name);
	free((char *)p->opts.url);
	free((char *)p->opts.content_type);
	free(p->error);
	free(p->warning);
	free(p);
}

static int counting_fn(void *ud, struct article *a, const struct feed_info *f)
{
	struct feed_parser *p = ud;

	p->count++;
	return p->fn ? p->fn(p->ud, a, f) : 0;
}

/* Pushes CDATA section piece m of xml_fix's last call: its text put aside
 * (feed_xml_push_section), or, once libxml2 has seen an error (after which it drops references
 * in text), the text as written, and no more sections after it. */
static int push_section(struct feed_parser *p, const struct xml_fix_piece *m)
{
	struct xml_fix *f = &p->fix;
	struct buf orig = BUF_INIT;
	int rc;

	if (!f->no_wrap && feed_xml_wellformed(p->xml))
		return m->kind == XML_FIX_NATIVE
			   ? feed_xml_push_section(p->xml, m->s + 9, m->len - 12)
			   : feed_xml_push_section(p->xml, m->s, m->len);
	f->no_wrap = 1;
	if (m->kind == XML_FIX_NATIVE)
		return feed_xml_push(p->xml, m->s, m->len, 0);
	rc = xml_fix_orig(f, m, &orig);
	if (rc == 0)
		rc = feed_xml_push(p->xml, buf_cstr(&orig), orig.len, 0);
	buf_fini(&orig);
	return rc;
}

/* Pushes the pieces xml_fix made of the next bytes, each as it is (nothing is copied to join
 * them): the bytes, and the sections (push_section). Blank lines before the XML declaration
 * are common and harmless, but libxml2 rejects a declaration that is not at the very start:
 * they are skipped. */
static int push_pieces(struct feed_parser *p, const struct xml_fix_piece *pc, size_t n, int final)
{
	size_t k;
	int rc = 0, pushed = 0;

	for (k = 0; k < n && rc == 0; k++) {
		const char *s = pc[k].s;
		size_t len = pc[k].len;

		if (pc[k].kind != XML_FIX_BYTES) {
			rc = push_section(p, &pc[k]);
			pushed = 1;
			continue;
		}
		while (!p->lead_done && len &&
		       (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')) {
			if (*s == '\n')
				p->line_offset++;
			s++;
			len--;
		}
		if (len)
			p->lead_done = 1;
		/* the document's last bytes end it */
		if (final && k == n - 1)
			return feed_xml_push(p->xml, s, len, 1);
		if (len) {
			rc = feed_xml_push(p->xml, s, len, 0);
			pushed = 1;
		}
	}
	if (rc == 0 && (final || !pushed))
		rc = feed_xml_push(p->xml, "", 0, final);
	return rc;
}

/* Pushes n bytes converted to UTF-8 to the XML parser. */
static int utf8_feed(struct feed_parser *p, const char *u, size_t ulen, int final)
{
	const struct xml_fix_piece *pc;
	size_t n;
	int rc;

	if (xml_fix_run(&p->fix, u, ulen, final, &pc, &n) < 0)
		return fail(p, -ENOMEM, "out of memory");
	if (p->fix.bare && !p->bare_warned) {
		p->bare_warned = 1;
		on_diag(p, 0, 0, "a bare '&' (not a reference) read as text");
	}
	if (p->fix.bare_lt && !p->bare_lt_warned) {
		p->bare_lt_warned = 1;
		on_diag(p, 0, 0, "a '<' that starts no markup read as text");
	}
	rc = push_pieces(p, pc, n, final);
	/* a big chunk's converted copy is not kept around */
	if (p->utf8.cap > (1u << 20))
		buf_fini(&p->utf8);
	if (rc < 0)
		p->state = ST_DONE;
	return rc;
}

/* Converts n bytes to UTF-8 and pushes them to the XML parser. */
static int xml_feed(struct feed_parser *p, const char *data, size_t n, int final)
{
	const char *u;
	size_t ulen;

	if (charset_conv_view(p->conv, data, n, final, &p->utf8, &u, &ulen) < 0)
		return fail(p, -ENOMEM, "out of memory");
	return utf8_feed(p, u, ulen, final);
}

/* Held bytes (UTF-8 without a BOM) converted as UTF-8 into *u, *ulen, once: 1 when they are
 * (p->conv then goes on with the document), 0 when they are not (an invalid byte, or a sequence
 * the whole document cuts short) and they go to the fallback. */
static int held_utf8(struct feed_parser *p, int whole, const char **u, size_t *ulen)
{
	struct charset_conv *c = charset_conv_new(p->guess.name);

	p->conv = c;
	if (c && charset_conv_view(c, p->head.data, p->head.len, 0, &p->utf8, u, ulen) == 0 &&
	    !charset_conv_errors(c) && !(whole && charset_conv_pending(c)))
		return 1;
	charset_conv_free(p->conv);
	p->conv = NULL;
	return 0;
}

/* Starts the XML parse of what is held in head: the whole document, or (whole = 0) its first
 * HOLD_BYTES or more. */
static int begin_xml(struct feed_parser *p, int whole)
{
	const char *name = p->guess.name, *u = NULL;
	size_t ulen = 0;
	int rc, fell_back = 0, converted = p->state == ST_HOLD && held_utf8(p, whole, &u, &ulen);

	if (p->state == ST_HOLD && !converted &&
	    (name = charset_fallback(name, p->head.data, p->head.len, whole)) != p->guess.name) {
		char msg[96];

		snprintf(msg, sizeof msg, "not valid UTF-8: the document was read as %s", name);
		on_diag(p, 0, 0, msg);
		fell_back = 1;
	}
	if (!p->conv)
		p->conv = charset_conv_new(name);
	if (!p->conv)
		p->conv = charset_conv_new(name = "UTF-8");
	p->xml = feed_xml_new(&p->opts, &p->info, counting_fn, on_diag, p);
	if (!p->conv || !p->xml)
		return fail(p, -ENOMEM, "out of memory");
	/* a document the fallback read is single-byte text, taken as it decodes (feedparser
	 * repairs double encoding only in what it decoded as UTF-8) */
	feed_xml_set_repair_utf8(p->xml, !fell_back);
	p->state = ST_XML;
	rc = converted ? utf8_feed(p, u, ulen, 0)
		       : xml_feed(p, p->head.data + p->guess.bom_len, p->head.len - p->guess.bom_len, 0);
	buf_fini(&p->head);
	return rc;
}

/* Decides the format and encoding from the first bytes, then replays them. */
static int start(struct feed_parser *p)
{
	const unsigned char *h = (const unsigned char *)p->head.data;
	struct charset_guess g;
	size_t i = 0;

	if (!p->head.len)
		return fail(p, -EBADMSG, "empty document");
	charset_detect(p->opts.content_type, h, p->head.len, &g);
	/* JSON Feed: the first significant character is '{' (a UTF-8 BOM may precede it) */
	if (g.bom_len == 3 || g.bom_len == 0) {
		i = g.bom_len;
		while (i < p->head.len && (h[i] == ' ' || h[i] == '\t' || h[i] == '\n' || h[i] == '\r'))
			i++;
		if (i < p->head.len && h[i] == '{') {
			p->state = ST_JSON;
			p->json_skip = g.bom_len;
			return 0;
		}
	}
	p->guess = g;
	if (!strcmp(g.name, "UTF-8") && g.bom_len == 0) {
		p->state = ST_HOLD;
		return p->head.len >= HOLD_BYTES ? begin_xml(p, 0) : 0;
	}
	return begin_xml(p, 0);
}

/* Appends n bytes to p->head, unless they were read there already (at its end, past len). */
static int hold(struct feed_parser *p, const char *data, size_t n)
{
	if (n && p->head.data && data == p->head.data + p->head.len) {
		p->head.len += n;
		p->head.data[p->head.len] = '\0';
		return 0;
	}
	return buf_append(&p->head, data, n);
}

int feed_parser_push(struct feed_parser *p, const char *data, size_t n)
{
	int rc;

	if (p->state == ST_DONE)
		return p->failed ? -EBADMSG : -ECANCELED;
	if (n > p->max_bytes - p->total) {
		char msg[96];

		snprintf(msg, sizeof msg, "document larger than the limit of %zu bytes", p->max_bytes);
		if (p->state == ST_HOLD)
			begin_xml(p, 0); /* what is held is parsed */
		rc = fail(p, -EFBIG, msg);
		if (p->xml)
			feed_xml_push(p->xml, "", 0, 1); /* deliver what is complete */
		return rc;
	}
	p->total += n;
	switch (p->state) {
	case ST_SNIFF:
		if (hold(p, data, n) < 0)
			return fail(p, -ENOMEM, "out of memory");
		return p->head.len >= SNIFF_BYTES ? start(p) : 0;
	case ST_HOLD:
		if (hold(p, data, n) < 0)
			return fail(p, -ENOMEM, "out of memory");
		return p->head.len >= HOLD_BYTES ? begin_xml(p, 0) : 0;
	case ST_JSON:
		if (hold(p, data, n) < 0)
			return fail(p, -ENOMEM, "out of memory");
		return 0;
	case ST_XML:
		return xml_feed(p, data, n, 0);
	default:
		return -EINVAL;
	}
}

int feed_parser_finish(struct feed_parser *p)
{
	int rc = 0;

	if (p->state == ST_SNIFF && (rc = start(p)) < 0)
		return rc;
	if (p->state == ST_HOLD && (rc = begin_xml(p, 1)) < 0)
		return rc;
	if (p->state == ST_JSON) {
		char err[256] = "";
		long line = 0;

		p->state = ST_DONE;
		rc = jsonfeed_parse(p->head.data + p->json_skip, p->head.len - p->json_skip, &p->opts, &p->info, counting_fn, p, err,
				    sizeof err, &line);
		buf_fini(&p->head);
		if (rc < 0) {
			on_diag(p, 1, line, err);
			return rc;
		}
		return p->failed ? -EBADMSG : 0;
	}
	if (p->state == ST_XML) {
		rc = xml_feed(p, NULL, 0, 1);
		p->state = ST_DONE;
		if (rc == -ECANCELED)
			return rc;
	}
	if (p->xml && !feed_xml_is_feed(p->xml) && !p->failed)
		on_diag(p, 1, 0, "not a feed: no rss, rdf:RDF or Atom feed element");
	else if (p->xml && !feed_xml_ok(p->xml) && !p->failed)
		on_diag(p, 1, 0, "not well-formed");
	if (p->conv && charset_conv_errors(p->conv)) {
		char msg[128];

		snprintf(msg, sizeof msg, "%zu bytes invalid in the document's encoding were replaced",
			 charset_conv_errors(p->conv));
		on_diag(p, 0, 0, msg);
	}
	if (p->conv && charset_conv_dropped(p->conv)) {
		char msg[128];

		snprintf(msg, sizeof msg, "%zu control characters (NUL and others XML forbids) removed",
			 charset_conv_dropped(p->conv));
		on_diag(p, 0, 0, msg);
	}
	return p->failed ? -EBADMSG : 0;
}

/* Where feed_parser_read_fd reads next, and at most how much: while the first bytes are held
 * (or a JSON Feed), the end of p->head itself, which feed_parser_push then takes as it is
 * (hold) instead of copying them there from chunk. */
static char *read_room(struct feed_parser *p, char *chunk, size_t *room)
{
	struct buf *h = &p->head;

	*room = 65536;
	if (p->state != ST_SNIFF && p->state != ST_HOLD && p->state != ST_JSON)
		return chunk;
	if (h->cap - h->len < 4096 + 1 && buf_reserve(h, *room) < 0)
		return chunk;
	if (h->cap - h->len - 1 < *room)
		*room = h->cap - h->len - 1;
	return h->data + h->len;
}

int feed_parser_read_fd(struct feed_parser *p, int fd, const char *name)
{
	char chunk[65536], *at;
	const char *msg;
	size_t room;
	ssize_t n;
	long line;
	int rc, read_err = 0;

	for (;;) {
		at = read_room(p, chunk, &room);
		if ((n = read(fd, at, room)) == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			read_err = errno;
			break;
		}
		if (feed_parser_push(p, at, (size_t)n) < 0)
			break;
	}
	rc = feed_parser_finish(p);
	if (read_err) {
		log_err("%s: %s", name, strerror(read_err));
		return -1;
	}
	if (rc < 0 && (msg = feed_parser_error(p, &line))) {
		if (line > 0)
			log_err("%s:%ld: %s (%zu article%s before the error)", name, line, msg, p->count,
				p->count == 1 ? "" : "s");
		else
			log_err("%s: %s (%zu article%s before the error)", name, msg, p->count,
				p->count == 1 ? "" : "s");
	}
	return rc < 0 ? -1 : 0;
}

const char *feed_name_of_path(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!strcmp(path, "-"))
		return NULL;
	return slash ? slash + 1 : path;
}

const struct feed_info *feed_parser_info(const struct feed_parser *p)
{
	return &p->info;
}

const char *feed_parser_error(const struct feed_parser *p, long *line)
{
	if (line)
		*line = p->error_line;
	return p->error;
}

size_t feed_parser_warnings(const struct feed_parser *p)
{
	return p->warnings;
}

const char *feed_parser_first_warning(const struct feed_parser *p, long *line)
{
	if (line)
		*line = p->warning_line;
	return p->warning;
}

size_t feed_parser_count(const struct feed_parser *p)
{
	return p->count;
}
