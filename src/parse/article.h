/* SPDX-License-Identifier: MIT */
/* The article model: one normalized item, its identity, and its JSON and text renderings. */
#ifndef FEEDSPOOL_ARTICLE_H
#define FEEDSPOOL_ARTICLE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define ARTICLE_SCHEMA 1
/* A date that is not known. */
#define DATE_NONE INT64_MIN

struct person {
	char *name, *email, *uri;
};

struct enclosure {
	char *url, *type;
	int64_t length; /* -1 when unknown */
};

/* A link's strings are one allocation that url starts (article_link_fini); so are an image's. */
struct link {
	char *url, *rel, *type, *title;
	char *text; /* an inline link's text (rel "inline"); NULL for the feed's links */
	uint64_t url_hash; /* an inline link's XXH3-64 of url, to find it again */
};

/* An image inline in the article's HTML: absolute src, alt text ("" when none). */
struct image {
	char *src, *alt;
};

/* At most this many inline links and images are listed per article. */
#define ARTICLE_INLINE_MAX 1000

/* A topic a filter plugin found: its name, score and the phrases that matched. */
struct topic {
	char *name;
	double score;
	char **matched;
	size_t n_matched;
};

/* What is known of the feed an article came from. Strings are owned. */
struct feed_info {
	char *name;     /* configured name (or the file name for `parse`) */
	char *url;      /* the document's address */
	char *title, *link, *language, *subtitle;
	int64_t updated;
	struct person *authors;
	size_t n_authors;
	/* the publisher's polling hints, for the scheduler */
	int ttl_minutes;         /* <ttl>, 0 when absent */
	char *sy_period;         /* sy:updatePeriod */
	int sy_frequency;        /* sy:updateFrequency, 0 when absent */
	uint32_t skip_hours;     /* bit h set: skip hour h (UTC) */
	uint8_t skip_days;       /* bit d set: skip day d (0 = Sunday) */
	unsigned generation;     /* changes whenever a field above changes */
};

struct article {
	char id[17];          /* 16 lowercase hex digits and NUL */
	char *url, *guid;
	char *title, *standfirst, *summary, *body, *language;
	struct person *authors;
	size_t n_authors;
	int64_t published, updated, fetched;
	char **categories; /* one allocation with its strings: add with article_add_category */
	size_t n_categories;
	struct link *links;
	size_t n_links;
	struct enclosure *enclosures;
	size_t n_enclosures;
	char *content_html; /* the body's source HTML, sanitized (sanitize.c); NULL when none */
	struct image *images;
	size_t n_images;
	struct topic *topics; /* added by filter plugins */
	size_t n_topics;
	char **tags;
	size_t n_tags;
	int revision; /* 0: the first version (no "revision" in the JSON); n: the nth revision */
};

void feed_info_init(struct feed_info *f);
void feed_info_fini(struct feed_info *f);
void article_init(struct article *a);
void article_fini(struct article *a);
/* Frees one link's or image's strings: they share one allocation, which url (src) starts, so
 * no field is freed or replaced on its own. Leaves the element zeroed. */
void article_link_fini(struct link *l);
void article_image_fini(struct image *im);

/* Appends an owned copy; 0 or -ENOMEM. NULL or empty strings are skipped. */
int article_add_category(struct article *a, const char *term);
int person_list_add(struct person **v, size_t *n, const char *name, const char *email, const char *uri);
int article_add_link(struct article *a, const char *url, const char *rel, const char *type,
		     const char *title);
/* An inline link of the content (rel "inline") and an inline image; a URL already listed is
 * skipped, and so is everything past ARTICLE_INLINE_MAX. */
int article_add_inline_link(struct article *a, const char *url, const char *text);
int article_add_image(struct article *a, const char *src, const char *alt);
/* Skips an enclosure whose url is already listed. */
int article_add_enclosure(struct article *a, const char *url, const char *type, int64_t length);

/* Adds a topic (copies everything); 0 or -ENOMEM. */
int article_add_topic(struct article *a, const char *name, double score, const char *const *matched,
		      size_t n_matched);
int article_add_tag(struct article *a, const char *tag);

/* Computes a->id from the identity key (DESIGN.md): the canonical URL when the article has a
 * link; else the feed URL and the guid; else the feed URL, title and date. */
void article_make_id(struct article *a, const char *feed_url);
/* The identity key itself (for tests and diagnostics); appended to out. */
int article_identity_key(const struct article *a, const char *feed_url, struct buf *out);

/* Sets a->standfirst from a->summary when the summary is not merely the start of the body. */
int article_make_standfirst(struct article *a);

/* The spool JSON (schema 1); a new reference, NULL on ENOMEM. feed is the feed's JSON
 * (feed_info_to_json, borrowed: a reference is added) or NULL for none. */
json_t *article_to_json(const struct article *a, json_t *feed);
json_t *feed_info_to_json(const struct feed_info *f);
/* The same JSON written as one line of text (no newline) appended to out: the fast path.
 * feed_json is the feed object's JSON text (NULL: null). 0 or -ENOMEM. */
int article_write_json(const struct article *a, const char *feed_json, struct buf *out);
/* feed_info_to_json(f) as json_dumps(..., JSON_COMPACT) writes it, byte for byte, appended to
 * out without building Jansson values. 0 or -ENOMEM. */
int feed_info_write_json(const struct feed_info *f, struct buf *out);
/* The text rendering in the seed layout, ending with a newline. */
int article_render_text(const struct article *a, struct buf *out);
/* What a reader reads, as a number: the XXH3-64 of the text rendering (title, standfirst,
 * body), never 0 (0 stands for unknown in the state). article_text_hash hashes a rendering
 * already made; article_content_hash renders it first (0 when memory runs out). */
uint64_t article_text_hash(const char *text, size_t len);
uint64_t article_content_hash(const struct article *a);

#endif
