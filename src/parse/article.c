/* SPDX-License-Identifier: MIT */
/* The article model: lifetimes, identity (XXH3-64 of the identity key), JSON and text renderings. */
#include "autoconfig.h"

#include "article.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "date.h"
#include "json_write.h"
#include "url.h"

void feed_info_init(struct feed_info *f)
{
	memset(f, 0, sizeof *f);
	f->updated = DATE_NONE;
}

/* free() without the call for the fields an article mostly leaves NULL. */
static inline void free_set(void *p)
{
	if (p)
		free(p);
}

static void persons_free(struct person *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free_set(v[i].name);
		free_set(v[i].email);
		free_set(v[i].uri);
	}
	free(v);
}

void feed_info_fini(struct feed_info *f)
{
	free(f->name);
	free(f->url);
	free(f->title);
	free(f->link);
	free(f->language);
	free(f->subtitle);
	free(f->sy_period);
	persons_free(f->authors, f->n_authors);
	feed_info_init(f);
}

void article_init(struct article *a)
{
	memset(a, 0, sizeof *a);
	a->published = a->updated = a->fetched = DATE_NONE;
}

void article_link_fini(struct link *l)
{
	free(l->url); /* the block of all its strings */
	memset(l, 0, sizeof *l);
}

void article_image_fini(struct image *im)
{
	free(im->src); /* the block of both strings */
	memset(im, 0, sizeof *im);
}

void article_fini(struct article *a)
{
	size_t i;

	free_set(a->url);
	free_set(a->guid);
	free_set(a->title);
	free_set(a->standfirst);
	free_set(a->summary);
	free_set(a->body);
	free_set(a->language);
	if (a->authors)
		persons_free(a->authors, a->n_authors);
	free_set(a->categories); /* its strings too (article_add_category) */
	for (i = 0; i < a->n_links; i++)
		article_link_fini(&a->links[i]);
	free_set(a->links);
	free_set(a->content_html);
	for (i = 0; i < a->n_images; i++)
		article_image_fini(&a->images[i]);
	free_set(a->images);
	for (i = 0; i < a->n_enclosures; i++) {
		free(a->enclosures[i].url);
		free_set(a->enclosures[i].type);
	}
	free_set(a->enclosures);
	for (i = 0; i < a->n_topics; i++) {
		size_t j;

		free(a->topics[i].name);
		for (j = 0; j < a->topics[i].n_matched; j++)
			free(a->topics[i].matched[j]);
		free(a->topics[i].matched);
	}
	free_set(a->topics);
	for (i = 0; i < a->n_tags; i++)
		free(a->tags[i]);
	free_set(a->tags);
	article_init(a);
}

/* Makes room for element n of an array of elements of size sz whose capacity doubles from 4 at
 * each power of two; 0 or -ENOMEM. */
static int grow(void **v, size_t n, size_t sz)
{
	void *p;

	if (n != 0 && (n < 4 || (n & (n - 1)) != 0))
		return 0;
	p = realloc(*v, (n ? n * 2 : 4) * sz);
	if (!p)
		return -ENOMEM;
	*v = p;
	return 0;
}

static char *dup_or_null(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

/* The categories are one allocation: the array, then the strings. The array has room for a
 * power of two of pointers (at least 8), the strings for a power of two of bytes (at least 256,
 * enough for most articles' categories: grown, the block is copied): both follow from the count
 * and the strings' length, so nothing more is kept. */
static size_t cat_slots(size_t n)
{
	size_t s = 8;

	while (s < n)
		s *= 2;
	return s;
}

static size_t cat_room(size_t bytes)
{
	size_t r = 256;

	while (r < bytes)
		r *= 2;
	return r;
}

/* Makes room for a string of n bytes (with its NUL) after the categories there are: a new block
 * when the array or the strings outgrow theirs, the strings moved behind a longer array and the
 * pointers moved with them. Returns where the string goes, NULL on ENOMEM (a untouched). */
static char *cat_room_for(struct article *a, size_t n)
{
	size_t k = a->n_categories, slots = cat_slots(k), used = 0, nslots, i;
	char *pool, *blk;

	if (k) {
		pool = (char *)(a->categories + slots);
		used = (size_t)(a->categories[k - 1] - pool) + strlen(a->categories[k - 1]) + 1;
	}
	if (n > (size_t)-1 / 4 - used)
		return NULL;
	nslots = cat_slots(k + 1);
	if (k && nslots == slots && cat_room(used + n) == cat_room(used))
		return (char *)(a->categories + slots) + used;
	/* the pointers as offsets into the strings while the block moves */
	for (i = 0; i < k; i++)
		a->categories[i] =
		    (char *)(uintptr_t)(a->categories[i] - (char *)(a->categories + slots));
	blk = realloc(a->categories, nslots * sizeof(char *) + cat_room(used + n));
	if (!blk) {
		for (i = 0; i < k; i++)
			a->categories[i] =
			    (char *)(a->categories + slots) + (uintptr_t)a->categories[i];
		return NULL;
	}
	a->categories = (char **)(void *)blk;
	pool = blk + nslots * sizeof(char *);
	if (nslots != slots && used)
		memmove(pool, blk + slots * sizeof(char *), used);
	for (i = 0; i < k; i++)
		a->categories[i] = pool + (uintptr_t)a->categories[i];
	return pool + used;
}

int article_add_category(struct article *a, const char *term)
{
	size_t i, n;
	char *at;

	if (!term || !*term)
		return 0;
	/* the first byte before the whole string: most terms differ there */
	for (i = 0; i < a->n_categories; i++)
		if (a->categories[i][0] == term[0] && strcmp(a->categories[i], term) == 0)
			return 0;
	n = strlen(term) + 1;
	if (!(at = cat_room_for(a, n)))
		return -ENOMEM;
	memcpy(at, term, n);
	a->categories[a->n_categories++] = at;
	return 0;
}

int person_list_add(struct person **v, size_t *n, const char *name, const char *email, const char *uri)
{
	struct person *p;

	if (!(name && *name) && !(email && *email) && !(uri && *uri))
		return 0;
	if (grow((void **)v, *n, sizeof **v) < 0)
		return -ENOMEM;
	p = &(*v)[*n];
	p->name = dup_or_null(name);
	p->email = dup_or_null(email);
	p->uri = dup_or_null(uri);
	(*n)++;
	return 0;
}

/* The length of s with its NUL, 0 for NULL (and for "" unless keep_empty). */
static size_t packed_len(const char *s, int keep_empty)
{
	return s && (*s || keep_empty) ? strlen(s) + 1 : 0;
}

/* Copies s (n bytes with its NUL, 0: none) to *o and moves *o past it: the copy, or NULL. */
static char *pack(char **o, const char *s, size_t n)
{
	char *at = *o;

	if (!n)
		return NULL;
	memcpy(at, s, n);
	*o += n;
	return at;
}

/* Fills l with url, rel, type, title (NULL when NULL or "") and text (NULL when NULL, "" kept),
 * all copied into ONE allocation that l->url starts (article_link_fini frees it): a link costs
 * one malloc and one free, not five. 0 or -ENOMEM (l untouched). */
static int link_fill(struct link *l, const char *url, const char *rel, const char *type,
		     const char *title, const char *text)
{
	size_t nu = strlen(url) + 1, nr = packed_len(rel, 0), ny = packed_len(type, 0),
	       nt = packed_len(title, 0), nx = packed_len(text, 1);
	char *o = malloc(nu + nr + ny + nt + nx);

	if (!o)
		return -ENOMEM;
	l->url = pack(&o, url, nu);
	l->rel = pack(&o, rel, nr);
	l->type = pack(&o, type, ny);
	l->title = pack(&o, title, nt);
	l->text = pack(&o, text, nx);
	l->url_hash = 0;
	return 0;
}

static int add_link(struct article *a, const char *url, const char *rel, const char *type,
		    const char *title, const char *text)
{
	if (grow((void **)&a->links, a->n_links, sizeof *a->links) < 0 ||
	    link_fill(&a->links[a->n_links], url, rel, type, title, text) < 0)
		return -ENOMEM;
	a->n_links++;
	return 0;
}

int article_add_link(struct article *a, const char *url, const char *rel, const char *type,
		     const char *title)
{
	if (!url || !*url)
		return 0;
	return add_link(a, url, rel ? rel : "alternate", type, title, NULL);
}

int article_add_inline_link(struct article *a, const char *url, const char *text)
{
	size_t i, inline_n = 0, n;
	uint64_t h;

	if (!url || !*url)
		return 0;
	/* the hashes before the strings: the links of one article mostly share their start */
	n = strlen(url);
	h = XXH3_64bits(url, n);
	for (i = 0; i < a->n_links; i++) {
		if (a->links[i].text) {
			if (a->links[i].url_hash == h && !strcmp(a->links[i].url, url))
				return 0;
			inline_n++;
		}
	}
	if (inline_n >= ARTICLE_INLINE_MAX)
		return 0;
	if (add_link(a, url, "inline", NULL, NULL, text ? text : "") < 0)
		return -ENOMEM;
	a->links[a->n_links - 1].url_hash = h;
	return 0;
}

int article_add_image(struct article *a, const char *src, const char *alt)
{
	struct image *im;
	size_t i, ns, na;

	if (!src || !*src || a->n_images >= ARTICLE_INLINE_MAX)
		return 0;
	for (i = 0; i < a->n_images; i++)
		if (!strcmp(a->images[i].src, src))
			return 0;
	if (grow((void **)&a->images, a->n_images, sizeof *a->images) < 0)
		return -ENOMEM;
	/* src and alt in one allocation (article_image_fini frees it) */
	alt = alt ? alt : "";
	ns = strlen(src) + 1;
	na = strlen(alt) + 1;
	im = &a->images[a->n_images];
	if (!(im->src = malloc(ns + na)))
		return -ENOMEM;
	memcpy(im->src, src, ns);
	im->alt = memcpy(im->src + ns, alt, na);
	a->n_images++;
	return 0;
}

int article_add_enclosure(struct article *a, const char *url, const char *type, int64_t length)
{
	struct enclosure *e;
	size_t i;

	if (!url || !*url)
		return 0;
	for (i = 0; i < a->n_enclosures; i++)
		if (strcmp(a->enclosures[i].url, url) == 0)
			return 0;
	if (grow((void **)&a->enclosures, a->n_enclosures, sizeof *a->enclosures) < 0)
		return -ENOMEM;
	e = &a->enclosures[a->n_enclosures++];
	e->url = strdup(url);
	e->type = dup_or_null(type);
	e->length = length;
	return 0;
}

int article_add_topic(struct article *a, const char *name, double score, const char *const *matched,
		      size_t n_matched)
{
	struct topic *t;
	size_t i;

	if (!name || !*name)
		return -EINVAL;
	if (grow((void **)&a->topics, a->n_topics, sizeof *a->topics) < 0)
		return -ENOMEM;
	t = &a->topics[a->n_topics];
	memset(t, 0, sizeof *t);
	if (!(t->name = strdup(name)))
		return -ENOMEM;
	t->score = score;
	a->n_topics++;
	if (n_matched && !(t->matched = calloc(n_matched, sizeof *t->matched)))
		return -ENOMEM;
	for (i = 0; i < n_matched; i++) {
		if (!matched[i])
			continue;
		if (!(t->matched[t->n_matched] = strdup(matched[i])))
			return -ENOMEM;
		t->n_matched++;
	}
	return 0;
}

int article_add_tag(struct article *a, const char *tag)
{
	size_t i;

	if (!tag || !*tag)
		return 0;
	for (i = 0; i < a->n_tags; i++)
		if (!strcmp(a->tags[i], tag))
			return 0;
	if (grow((void **)&a->tags, a->n_tags, sizeof *a->tags) < 0)
		return -ENOMEM;
	if (!(a->tags[a->n_tags] = strdup(tag)))
		return -ENOMEM;
	a->n_tags++;
	return 0;
}

/* The identity key of an article without a canonical URL: the story is known by where it was
 * published and what it is called. */
static int fallback_key(const struct article *a, const char *feed_url, struct buf *out)
{
	char date[DATE_BUFSZ] = "";
	int rc;

	rc = buf_puts(out, feed_url ? feed_url : "");
	if (a->guid && *a->guid)
		return rc ? rc : buf_printf(out, "\n%s", a->guid);
	if (a->published != DATE_NONE)
		date_format(a->published, date, sizeof date);
	else if (a->updated != DATE_NONE)
		date_format(a->updated, date, sizeof date);
	return rc ? rc : buf_printf(out, "\n%s\n%s", a->title ? a->title : "", date);
}

int article_identity_key(const struct article *a, const char *feed_url, struct buf *out)
{
	char *canon = a->url ? url_canonical(a->url) : NULL;
	int rc;

	if (canon) {
		rc = buf_puts(out, canon);
		free(canon);
		return rc;
	}
	return fallback_key(a, feed_url, out);
}

void article_make_id(struct article *a, const char *feed_url)
{
	static const char hex[] = "0123456789abcdef";
	struct buf key = BUF_INIT;
	char *canon = a->url ? url_canonical(a->url) : NULL;
	uint64_t h;
	int i;

	/* the key of nearly every article is its canonical URL: hashed as it is, not copied */
	if (canon) {
		h = XXH3_64bits(canon, strlen(canon));
		free(canon);
	} else {
		fallback_key(a, feed_url, &key);
		h = XXH3_64bits(buf_cstr(&key), key.len);
	}
	/* "%016llx" without snprintf, which cost more than the hash */
	for (i = 15; i >= 0; i--, h >>= 4)
		a->id[i] = hex[h & 15];
	a->id[16] = '\0';
	buf_fini(&key);
}

static int is_squeezed(char c)
{
	return c == ' ' || c == '\n' || c == '\t' || c == '\r';
}

/* Copies s without whitespace into out: every byte stored, the position moved past those kept
 * (no branch per byte, no append per word). */
static void squeeze(const char *s, size_t n, struct buf *out)
{
	char *o;
	size_t i, k = 0;

	if (buf_reserve(out, n) < 0)
		return;
	o = out->data + out->len;
	for (i = 0; i < n; i++) {
		o[k] = s[i];
		k += !is_squeezed(s[i]);
	}
	out->len += k;
	out->data[out->len] = '\0';
}

/* Whether text without whitespace starts with prefix[0..n) (squeezed already): the squeezed
 * text is never built, and no more of text read than the prefix needs. */
static int squeezed_starts_with(const char *text, const char *prefix, size_t n)
{
	size_t k = 0;

	for (; *text && k < n; text++) {
		if (is_squeezed(*text))
			continue;
		if (*text != prefix[k++])
			return 0;
	}
	return k == n;
}

/* Drops the "…", "...", "[…]", "[...]" that excerpts end with. */
static void strip_ellipsis(struct buf *b)
{
	static const char *const tails[] = {"[\xe2\x80\xa6]", "[...]", "\xe2\x80\xa6", "...", NULL};
	size_t i, n;

	for (i = 0; tails[i]; i++) {
		n = strlen(tails[i]);
		if (b->len >= n && memcmp(b->data + b->len - n, tails[i], n) == 0) {
			b->len -= n;
			b->data[b->len] = '\0';
			return;
		}
	}
}

int article_make_standfirst(struct article *a)
{
	struct buf s = BUF_INIT;
	int is_start;
	size_t n;

	free(a->standfirst);
	a->standfirst = NULL;
	if (!a->summary || !*a->summary)
		return 0;
	if (!a->body || !*a->body)
		return 0; /* the summary is the whole body */
	/* most summaries are the body's first bytes as they are: then their squeezed form (and
	 * that less an ellipsis) starts the squeezed body too, and nothing needs squeezing */
	n = strlen(a->summary);
	if (strncmp(a->body, a->summary, n) == 0)
		return 0;
	squeeze(a->summary, n, &s);
	strip_ellipsis(&s);
	is_start = s.len == 0 || squeezed_starts_with(a->body, s.data, s.len);
	if (!is_start && a->title) {
		struct buf t = BUF_INIT;

		squeeze(a->title, strlen(a->title), &t);
		is_start = t.len == s.len && memcmp(t.data, s.data, s.len) == 0;
		buf_fini(&t);
	}
	buf_fini(&s);
	if (!is_start && !(a->standfirst = strdup(a->summary)))
		return -ENOMEM;
	return 0;
}

static json_t *jstr(const char *s)
{
	json_t *j;

	if (!s)
		return json_null();
	j = json_string(s);
	/* Every string was made valid UTF-8 upstream; never let one bad byte lose an article. */
	return j ? j : json_string("\xef\xbf\xbd");
}

static json_t *jdate(int64_t t)
{
	char s[DATE_BUFSZ];

	if (t == DATE_NONE || date_format(t, s, sizeof s) < 0)
		return json_null();
	return json_string(s);
}

static json_t *persons_json(const struct person *v, size_t n)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; arr && i < n; i++)
		json_array_append_new(arr, json_pack("{s:o,s:o,s:o}", "name", jstr(v[i].name), "email",
						     jstr(v[i].email), "uri", jstr(v[i].uri)));
	return arr;
}

json_t *feed_info_to_json(const struct feed_info *f)
{
	return json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "name", jstr(f->name), "url", jstr(f->url),
			 "title", jstr(f->title), "link", jstr(f->link), "language", jstr(f->language),
			 "subtitle", jstr(f->subtitle), "updated", jdate(f->updated), "authors",
			 persons_json(f->authors, f->n_authors));
}

json_t *article_to_json(const struct article *a, json_t *feed)
{
	json_t *o, *cats, *links, *encs, *images;
	size_t i;

	cats = json_array();
	for (i = 0; cats && i < a->n_categories; i++)
		json_array_append_new(cats, jstr(a->categories[i]));
	links = json_array();
	for (i = 0; links && i < a->n_links; i++)
		json_array_append_new(links, json_pack("{s:o,s:o,s:o,s:o,s:o}", "url",
						       jstr(a->links[i].url), "rel", jstr(a->links[i].rel),
						       "type", jstr(a->links[i].type), "title",
						       jstr(a->links[i].title), "text",
						       jstr(a->links[i].text)));
	images = json_array();
	for (i = 0; images && i < a->n_images; i++)
		json_array_append_new(images, json_pack("{s:o,s:o}", "src", jstr(a->images[i].src),
							"alt", jstr(a->images[i].alt)));
	encs = json_array();
	for (i = 0; encs && i < a->n_enclosures; i++) {
		const struct enclosure *e = &a->enclosures[i];

		json_array_append_new(encs, json_pack("{s:o,s:o,s:o}", "url", jstr(e->url), "type",
						      jstr(e->type), "length",
						      e->length >= 0 ? json_integer(e->length) : json_null()));
	}
	/* "revision" only for a revision (s:o* leaves the key out for NULL), right after the id */
	o = json_pack("{s:i,s:s,s:o*,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,"
		      "s:o,s:o}",
		      "schema", ARTICLE_SCHEMA, "id", a->id, "revision",
		      a->revision > 0 ? json_integer(a->revision) : NULL, "feed",
		      feed ? json_incref(feed) : json_null(), "url", jstr(a->url), "guid", jstr(a->guid),
		      "title", jstr(a->title), "standfirst", jstr(a->standfirst), "authors",
		      persons_json(a->authors, a->n_authors), "published", jdate(a->published),
		      "updated", jdate(a->updated), "fetched", jdate(a->fetched), "language",
		      jstr(a->language), "categories", cats ? cats : json_array(), "summary",
		      jstr(a->summary), "body", jstr(a->body), "content_html", jstr(a->content_html),
		      "links", links ? links : json_array(), "images", images ? images : json_array(),
		      "enclosures", encs ? encs : json_array(), "topics", json_array());
	if (o) {
		json_t *topics = json_object_get(o, "topics"), *tags = json_array();

		for (i = 0; i < a->n_topics; i++) {
			json_t *m = json_array();
			size_t j;

			for (j = 0; j < a->topics[i].n_matched; j++)
				json_array_append_new(m, jstr(a->topics[i].matched[j]));
			json_array_append_new(topics, json_pack("{s:o,s:f,s:o}", "name",
								jstr(a->topics[i].name), "score",
								a->topics[i].score, "matched", m));
		}
		for (i = 0; i < a->n_tags; i++)
			json_array_append_new(tags, jstr(a->tags[i]));
		json_object_set_new(o, "tags", tags);
	}
	return o;
}

/* The last three dates write_date wrote, quoted, and when each was last written: "fetched" is
 * the same for every article of a run, and between two of its turns come an article's
 * "published" and "updated" (often equal), which take the two slots written longest ago. Per
 * thread, as the parsers are. */
#define DATE_SLOTS 3
static _Thread_local struct date_slot {
	int64_t t;
	uint64_t used;
	size_t n;
	char s[DATE_BUFSZ + 2];
} last_dates[DATE_SLOTS] = {{DATE_NONE, 0, 0, ""}, {DATE_NONE, 0, 0, ""}, {DATE_NONE, 0, 0, ""}};
static _Thread_local uint64_t date_clock;

/* The slot that holds t written, or the one written longest ago with t written into it: NULL
 * when t is outside the years date_format writes. */
static struct date_slot *date_slot(int64_t t)
{
	struct date_slot *d = &last_dates[0];
	size_t i;

	for (i = 0; i < DATE_SLOTS; i++) {
		if (last_dates[i].t == t) {
			last_dates[i].used = ++date_clock;
			return &last_dates[i];
		}
		if (last_dates[i].used < d->used)
			d = &last_dates[i];
	}
	d->t = DATE_NONE;
	if (date_format(t, d->s + 1, DATE_BUFSZ) < 0)
		return NULL;
	/* digits and "-T:Z": nothing to escape */
	d->s[0] = '"';
	d->n = strlen(d->s);
	d->s[d->n++] = '"';
	d->t = t;
	d->used = ++date_clock;
	return d;
}

static int write_date(struct buf *out, int64_t t)
{
	const struct date_slot *d = t == DATE_NONE ? NULL : date_slot(t);

	return d ? buf_append(out, d->s, d->n) : buf_append(out, "null", 4);
}

static int write_persons(struct buf *out, const struct person *v, size_t n)
{
	size_t i;
	int rc = buf_putc(out, '[');

	for (i = 0; i < n; i++) {
		if (i)
			rc |= buf_putc(out, ',');
		rc |= buf_append(out, "{\"name\":", 8);
		rc |= json_write_string(out, v[i].name);
		rc |= buf_append(out, ",\"email\":", 9);
		rc |= json_write_string(out, v[i].email);
		rc |= buf_append(out, ",\"uri\":", 7);
		rc |= json_write_string(out, v[i].uri);
		rc |= buf_putc(out, '}');
	}
	return rc | buf_putc(out, ']');
}

/* A person list as persons_json() makes it and Jansson writes it. */
static int write_persons_jansson(struct buf *out, const struct person *v, size_t n)
{
	size_t i;
	int rc = buf_putc(out, '[');

	for (i = 0; i < n; i++) {
		rc |= buf_puts(out, i ? ",{\"name\":" : "{\"name\":");
		rc |= json_write_string_jansson(out, v[i].name);
		rc |= buf_puts(out, ",\"email\":");
		rc |= json_write_string_jansson(out, v[i].email);
		rc |= buf_puts(out, ",\"uri\":");
		rc |= json_write_string_jansson(out, v[i].uri);
		rc |= buf_putc(out, '}');
	}
	return rc | buf_putc(out, ']');
}

int feed_info_write_json(const struct feed_info *f, struct buf *out)
{
	int rc = buf_puts(out, "{\"name\":");

	rc |= json_write_string_jansson(out, f->name);
	rc |= buf_puts(out, ",\"url\":");
	rc |= json_write_string_jansson(out, f->url);
	rc |= buf_puts(out, ",\"title\":");
	rc |= json_write_string_jansson(out, f->title);
	rc |= buf_puts(out, ",\"link\":");
	rc |= json_write_string_jansson(out, f->link);
	rc |= buf_puts(out, ",\"language\":");
	rc |= json_write_string_jansson(out, f->language);
	rc |= buf_puts(out, ",\"subtitle\":");
	rc |= json_write_string_jansson(out, f->subtitle);
	rc |= buf_puts(out, ",\"updated\":");
	rc |= write_date(out, f->updated);
	rc |= buf_puts(out, ",\"authors\":");
	rc |= write_persons_jansson(out, f->authors, f->n_authors);
	rc |= buf_putc(out, '}');
	return rc ? -ENOMEM : 0;
}

/* Whether id is what article_make_id writes (16 lowercase hex digits): nothing to escape. The
 * 16 bytes at once where SSE2 is there (the array always has them): a test per byte mispredicts
 * on random digits and letters. c - '0' and c - 'a' moved to the bottom of the signed range
 * are below -128 + 10 and -128 + 6 for digits and letters. */
static int is_hex_id(const char id[static 17])
{
#ifdef __SSE2__
	const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)id);
	const __m128i digit = _mm_cmplt_epi8(_mm_add_epi8(v, _mm_set1_epi8((char)(0x80 - '0'))),
					     _mm_set1_epi8(-128 + 10));
	const __m128i letter = _mm_cmplt_epi8(_mm_add_epi8(v, _mm_set1_epi8((char)(0x80 - 'a'))),
					      _mm_set1_epi8(-128 + 6));

	return _mm_movemask_epi8(_mm_or_si128(digit, letter)) == 0xFFFF && id[16] == '\0';
#else
	int i;

	for (i = 0; i < 16; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			return 0;
	return id[16] == '\0';
#endif
}

#define STRING_OF_(x) #x
#define STRING_OF(x) STRING_OF_(x)

int article_write_json(const struct article *a, const char *feed_json, struct buf *out)
{
	size_t i;
	int rc = 0;

	rc |= buf_puts(out, "{\"schema\":" STRING_OF(ARTICLE_SCHEMA) ",\"id\":");
	if (is_hex_id(a->id)) {
		rc |= buf_putc(out, '"');
		rc |= buf_append(out, a->id, 16);
		rc |= buf_putc(out, '"');
	} else {
		rc |= json_write_string(out, a->id);
	}
	if (a->revision > 0)
		rc |= buf_printf(out, ",\"revision\":%d", a->revision);
	rc |= buf_puts(out, ",\"feed\":");
	rc |= buf_puts(out, feed_json ? feed_json : "null");
	rc |= buf_puts(out, ",\"url\":");
	rc |= json_write_string(out, a->url);
	rc |= buf_puts(out, ",\"guid\":");
	rc |= json_write_string(out, a->guid);
	rc |= buf_puts(out, ",\"title\":");
	rc |= json_write_string(out, a->title);
	rc |= buf_puts(out, ",\"standfirst\":");
	rc |= json_write_string(out, a->standfirst);
	rc |= buf_puts(out, ",\"authors\":");
	rc |= write_persons(out, a->authors, a->n_authors);
	rc |= buf_puts(out, ",\"published\":");
	rc |= write_date(out, a->published);
	rc |= buf_puts(out, ",\"updated\":");
	rc |= write_date(out, a->updated);
	rc |= buf_puts(out, ",\"fetched\":");
	rc |= write_date(out, a->fetched);
	rc |= buf_puts(out, ",\"language\":");
	rc |= json_write_string(out, a->language);
	rc |= buf_puts(out, ",\"categories\":[");
	for (i = 0; i < a->n_categories; i++) {
		if (i)
			rc |= buf_putc(out, ',');
		rc |= json_write_string(out, a->categories[i]);
	}
	rc |= buf_puts(out, "],\"summary\":");
	rc |= json_write_string(out, a->summary);
	rc |= buf_puts(out, ",\"body\":");
	rc |= json_write_string(out, a->body);
	rc |= buf_puts(out, ",\"content_html\":");
	rc |= json_write_string(out, a->content_html);
	rc |= buf_puts(out, ",\"links\":[");
	for (i = 0; i < a->n_links; i++) {
		const struct link *l = &a->links[i];

		rc |= buf_puts(out, i ? ",{\"url\":" : "{\"url\":");
		rc |= json_write_string(out, l->url);
		rc |= buf_puts(out, ",\"rel\":");
		rc |= json_write_string(out, l->rel);
		rc |= buf_puts(out, ",\"type\":");
		rc |= json_write_string(out, l->type);
		rc |= buf_puts(out, ",\"title\":");
		rc |= json_write_string(out, l->title);
		rc |= buf_puts(out, ",\"text\":");
		rc |= json_write_string(out, l->text);
		rc |= buf_putc(out, '}');
	}
	rc |= buf_puts(out, "],\"images\":[");
	for (i = 0; i < a->n_images; i++) {
		rc |= buf_puts(out, i ? ",{\"src\":" : "{\"src\":");
		rc |= json_write_string(out, a->images[i].src);
		rc |= buf_puts(out, ",\"alt\":");
		rc |= json_write_string(out, a->images[i].alt);
		rc |= buf_putc(out, '}');
	}
	rc |= buf_puts(out, "],\"enclosures\":[");
	for (i = 0; i < a->n_enclosures; i++) {
		const struct enclosure *e = &a->enclosures[i];

		rc |= buf_puts(out, i ? ",{\"url\":" : "{\"url\":");
		rc |= json_write_string(out, e->url);
		rc |= buf_puts(out, ",\"type\":");
		rc |= json_write_string(out, e->type);
		rc |= buf_puts(out, ",\"length\":");
		rc |= e->length >= 0 ? json_write_int(out, e->length) : buf_puts(out, "null");
		rc |= buf_putc(out, '}');
	}
	rc |= buf_puts(out, "],\"topics\":[");
	for (i = 0; i < a->n_topics; i++) {
		const struct topic *t = &a->topics[i];
		size_t j;

		rc |= buf_puts(out, i ? ",{\"name\":" : "{\"name\":");
		rc |= json_write_string(out, t->name);
		rc |= buf_printf(out, ",\"score\":%.17g,\"matched\":[", t->score);
		for (j = 0; j < t->n_matched; j++) {
			if (j)
				rc |= buf_putc(out, ',');
			rc |= json_write_string(out, t->matched[j]);
		}
		rc |= buf_puts(out, "]}");
	}
	rc |= buf_puts(out, "],\"tags\":[");
	for (i = 0; i < a->n_tags; i++) {
		if (i)
			rc |= buf_putc(out, ',');
		rc |= json_write_string(out, a->tags[i]);
	}
	rc |= buf_puts(out, "]}");
	return rc ? -ENOMEM : 0;
}

int article_render_text(const struct article *a, struct buf *out)
{
	int rc = 0;

	rc |= buf_puts(out, a->title ? a->title : "");
	rc |= buf_putc(out, '\n');
	if (a->standfirst && *a->standfirst) {
		rc |= buf_puts(out, a->standfirst);
		rc |= buf_putc(out, '\n');
	}
	rc |= buf_putc(out, '\n');
	if (a->body && *a->body) {
		rc |= buf_puts(out, a->body);
		rc |= buf_putc(out, '\n');
	}
	return rc ? -ENOMEM : 0;
}

uint64_t article_text_hash(const char *text, size_t len)
{
	uint64_t h = XXH3_64bits(text, len);

	return h ? h : 1;
}

uint64_t article_content_hash(const struct article *a)
{
	struct buf t = BUF_INIT;
	uint64_t h = 0;

	if (article_render_text(a, &t) == 0)
		h = article_text_hash(buf_cstr(&t), t.len);
	buf_fini(&t);
	return h;
}
