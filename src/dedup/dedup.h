/* SPDX-License-Identifier: MIT */
/* Dedup: the SimHash of a body, the sketch of an article (title words, sentence hashes, numbers),
 * per-feed boilerplate, and the rules that say whether two articles are one story. */
#ifndef FEEDSPOOL_DEDUP_H
#define FEEDSPOOL_DEDUP_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Hamming distance at or below which two bodies are candidates for one story (DESIGN.md). */
#define DEDUP_MAX_DISTANCE 3

/* The SimHash of text (UTF-8): words are Unicode-case-folded and normalized (utf8proc), split
 * on anything that is not a letter or digit, and hashed (XXH3) as 3-word shingles. 0 when the
 * text has too few words to say anything (fewer than 8). */
uint64_t dedup_simhash(const char *text, size_t len);
int dedup_distance(uint64_t a, uint64_t b);

#define DEDUP_TITLE_MAX 32
#define DEDUP_NUMS_MAX 32
#define DEDUP_UNITS_MAX 160
#define DEDUP_KEYS 6
/* Looked up: the smallest DEDUP_LOOKUPS hashes of a new article's distinctive units, which hold
 * the stored keys (its DEDUP_KEYS smallest) of a copy unless it has many units of its own. */
#define DEDUP_LOOKUPS 10

/* What the rules need of an article. Units are the body's sentences (and lines), each as its
 * 48-bit hash over its normalized words shifted left 16, or'ed with its number of words. */
struct dedup_sketch {
	uint64_t simhash; /* of the whole body, 0 none: a candidate finder only */
	uint32_t words;	  /* in the body */
	uint16_t n_title, n_nums, n_units;
	uint32_t title[DEDUP_TITLE_MAX]; /* sorted word hashes; numbers have the top bit */
	uint32_t nums[DEDUP_NUMS_MAX];	 /* sorted hashes of the body's numbers */
	uint64_t units[DEDUP_UNITS_MAX];
};

#define DEDUP_UNIT_HASH(u) ((u) >> 16)
#define DEDUP_UNIT_WORDS(u) ((unsigned)((u)&0xffff))

/* Sketches an article from its title and body (either may be NULL). */
int dedup_sketch_make(struct dedup_sketch *sk, const char *title, const char *body);
/* The stored form (little-endian, versioned): appended to out; 0 or -ENOMEM. */
int dedup_sketch_encode(const struct dedup_sketch *sk, struct buf *out);
/* 0, or -EINVAL for something that is not an encoded sketch. */
int dedup_sketch_decode(const void *data, size_t len, struct dedup_sketch *sk);

/* A feed's boilerplate: how many of its articles held each unit. Bounded (DEDUP_BOILER_CAP
 * entries, whatever the number of items); a unit counted in 2 or more distinct articles is
 * boilerplate. */
#define DEDUP_BOILER_CAP 4096
#define DEDUP_BOILER_MIN 2
struct dedup_boiler {
	struct dedup_boiler_slot {
		uint64_t h;	/* 48-bit unit hash + 1 (0: empty slot) */
		uint32_t n;	/* articles that held it */
		uint32_t saved; /* n as loaded or last saved */
	} *slots;
	size_t used;
};
void dedup_boiler_init(struct dedup_boiler *b);
void dedup_boiler_fini(struct dedup_boiler *b);
/* Sets a unit's count as the store has it (loading). */
void dedup_boiler_load(struct dedup_boiler *b, uint64_t h, uint32_t n);
/* Counts one article's units (each once). */
void dedup_boiler_count(struct dedup_boiler *b, const struct dedup_sketch *sk);
int dedup_boiler_is(const struct dedup_boiler *b, uint64_t h);
/* Calls fn for each boilerplate unit whose count changed since it was loaded or saved, and
 * marks it saved. */
void dedup_boiler_each_changed(struct dedup_boiler *b, void (*fn)(void *ud, uint64_t h, uint32_t n),
			       void *ud);

/* The same for the units of one article only (cheap: after each article). */
void dedup_boiler_each_changed_of(struct dedup_boiler *b, const struct dedup_sketch *sk,
				  void (*fn)(void *ud, uint64_t h, uint32_t n), void *ud);

/* The lookup keys of an article: the hashes of up to DEDUP_KEYS of its distinctive units (not
 * boilerplate, at least 5 words), chosen by smallest hash (so that copies choose alike). With
 * all = 1, up to cap of them (DEDUP_LOOKUPS: what to look up). The number. */
size_t dedup_sketch_keys(const struct dedup_sketch *sk, const struct dedup_boiler *b, int all,
			 uint64_t *keys, size_t cap);

/* Why two articles are (or are not) one story. */
enum dedup_rule {
	DEDUP_NONE = 0,
	DEDUP_BODY_TITLE, /* near-identical distinctive body and a compatible title */
	DEDUP_LONG_BODY,  /* near-identical body, too long for boilerplate to explain */
};
struct dedup_match {
	enum dedup_rule rule;
	unsigned shared;	   /* distinctive words in sentences both have */
	unsigned words_new, words_old; /* distinctive words of each */
	unsigned title_shared, title_new, title_old;
	unsigned lead_shared, lead_words; /* the smaller text's lead, shared / all */
	int first_shared;		  /* its first distinctive sentence is shared */
	int title_ok;	      /* compatible titles */
	int numbers_conflict; /* the bodies' numbers disagree */
	int same_feed;
	int distance; /* 100 - per cent of the larger body shared: 0 identical */
};
/* Compares a new article (x, its feed's boilerplate bx) with a recorded one (y, its feed's by;
 * by may be bx or NULL). Returns the rule that merges them, DEDUP_NONE when they are distinct;
 * m (may be NULL) says why. */
enum dedup_rule dedup_compare(const struct dedup_sketch *x, const struct dedup_boiler *bx,
			      const struct dedup_sketch *y, const struct dedup_boiler *by,
			      int same_feed, struct dedup_match *m);
const char *dedup_rule_name(enum dedup_rule r);
/* One line: "body+title: 96% of 212 words shared (distance 4), title 5/6". */
void dedup_match_describe(const struct dedup_match *m, char *out, size_t size);

#endif
