/* SPDX-License-Identifier: MIT */
/* The rules that merge one story's copies and keep distinct stories apart (issue 11), per-feed
 * boilerplate, and the stored form of a sketch. */
#include "autoconfig.h"

#include "dedup.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Evidence. Units (sentences) of fewer than MIN_UNIT_WORDS words say nothing ("Read more.",
 * "About Acme Corp");
 * a unit that is boilerplate in either article's feed (seen in DEDUP_BOILER_MIN articles of it:
 * teasers, sign-up lines, "About the company") carries no weight. What is left is each article's
 * distinctive text; "shared" counts the distinctive words of the new article's units that the
 * recorded one has too.
 *
 * Two articles are one story when
 *  - body+title: their titles are compatible, at least MIN_SHARED distinctive words are shared,
 *    and the smaller distinctive text is at least CONTAIN_PCT per cent shared (a trimmed copy,
 *    a correction of one sentence, a credit line), or
 *  - long body: at least LONG_SHARED distinctive words are shared and the larger distinctive
 *    text is at least LONG_PCT per cent shared (a syndicated copy under another headline, one
 *    paragraph more or less): boilerplate of that length would have been learned; and the
 *    smaller text's first distinctive sentence is in the other (its story, not an appendix);
 * and in both cases the lead agrees: at least half of the first LEAD_WORDS distinctive words of
 * the smaller text are shared (two press releases that share a long "About" paragraph, not yet
 * learned as boilerplate, differ in their leads; a copy's dateline is dropped by the sketch).
 * Never when their bodies' numbers disagree (a template with other figures), and, for two
 * articles of one feed (distinct guids and links), only by body+title. Titles are compatible
 * when they cite the same numbers ("Q3", "2024") and share at least TITLE_PCT per cent of the
 * shorter's words and TITLE_UNION_PCT per cent of all their words.
 */
#define MIN_UNIT_WORDS 4
#define MIN_SHARED 20
#define CONTAIN_PCT 85
#define LONG_SHARED 50
#define LONG_PCT 70
#define TITLE_PCT 60
#define KEY_MIN_WORDS 5
#define LEAD_WORDS 40
#define TITLE_UNION_PCT 40

/* ---- boilerplate ------------------------------------------------------------------------ */

void dedup_boiler_init(struct dedup_boiler *b)
{
	memset(b, 0, sizeof *b);
}

void dedup_boiler_fini(struct dedup_boiler *b)
{
	free(b->slots);
	memset(b, 0, sizeof *b);
}

static struct dedup_boiler_slot *slot(const struct dedup_boiler *b, uint64_t h, int add)
{
	size_t i;

	if (!b->slots)
		return NULL;
	h = (h & 0xffffffffffffull) + 1;
	for (i = (size_t)(h * 0x9e3779b97f4a7c15ull >> 52) % DEDUP_BOILER_CAP;;
	     i = (i + 1) % DEDUP_BOILER_CAP) {
		if (b->slots[i].h == h)
			return &b->slots[i];
		if (!b->slots[i].h) {
			/* kept at most 3/4 full: probes stay short, and new units are not counted */
			if (!add || b->used >= DEDUP_BOILER_CAP / 4 * 3)
				return NULL;
			b->slots[i].h = h;
			((struct dedup_boiler *)b)->used++;
			return &b->slots[i];
		}
	}
}

static int boiler_alloc(struct dedup_boiler *b)
{
	if (!b->slots && !(b->slots = calloc(DEDUP_BOILER_CAP, sizeof *b->slots)))
		return -ENOMEM;
	return 0;
}

void dedup_boiler_load(struct dedup_boiler *b, uint64_t h, uint32_t n)
{
	struct dedup_boiler_slot *s;

	if (boiler_alloc(b) < 0 || !(s = slot(b, h, 1)))
		return;
	if (n > s->n)
		s->n = s->saved = n;
}

void dedup_boiler_count(struct dedup_boiler *b, const struct dedup_sketch *sk)
{
	struct dedup_boiler_slot *s;
	uint16_t i, k;

	if (boiler_alloc(b) < 0)
		return;
	for (i = 0; i < sk->n_units; i++) {
		if (DEDUP_UNIT_WORDS(sk->units[i]) < MIN_UNIT_WORDS)
			continue;
		for (k = 0; k < i; k++) /* once per article */
			if (DEDUP_UNIT_HASH(sk->units[k]) == DEDUP_UNIT_HASH(sk->units[i]))
				break;
		if (k == i && (s = slot(b, DEDUP_UNIT_HASH(sk->units[i]), 1)))
			s->n++;
	}
}

int dedup_boiler_is(const struct dedup_boiler *b, uint64_t h)
{
	const struct dedup_boiler_slot *s = b ? slot(b, h, 0) : NULL;

	return s && s->n >= DEDUP_BOILER_MIN;
}

void dedup_boiler_each_changed(struct dedup_boiler *b, void (*fn)(void *ud, uint64_t h, uint32_t n),
			       void *ud)
{
	size_t i;

	for (i = 0; b->slots && i < DEDUP_BOILER_CAP; i++) {
		struct dedup_boiler_slot *s = &b->slots[i];

		if (s->h && s->n >= DEDUP_BOILER_MIN && s->n != s->saved) {
			fn(ud, s->h - 1, s->n);
			s->saved = s->n;
		}
	}
}

void dedup_boiler_each_changed_of(struct dedup_boiler *b, const struct dedup_sketch *sk,
				  void (*fn)(void *ud, uint64_t h, uint32_t n), void *ud)
{
	struct dedup_boiler_slot *s;
	uint16_t i;

	for (i = 0; i < sk->n_units; i++) {
		s = slot(b, DEDUP_UNIT_HASH(sk->units[i]), 0);
		if (s && s->n >= DEDUP_BOILER_MIN && s->n != s->saved) {
			fn(ud, s->h - 1, s->n);
			s->saved = s->n;
		}
	}
}

/* ---- keys ---------------------------------------------------------------------------------- */

static int distinctive(uint64_t u, const struct dedup_boiler *b1, const struct dedup_boiler *b2)
{
	return DEDUP_UNIT_WORDS(u) >= MIN_UNIT_WORDS && !dedup_boiler_is(b1, DEDUP_UNIT_HASH(u)) &&
	       !dedup_boiler_is(b2, DEDUP_UNIT_HASH(u));
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

size_t dedup_sketch_keys(const struct dedup_sketch *sk, const struct dedup_boiler *b, int all,
			 uint64_t *keys, size_t cap)
{
	uint64_t v[DEDUP_UNITS_MAX];
	size_t n = 0, k = 0, i;

	for (i = 0; i < sk->n_units; i++)
		if (DEDUP_UNIT_WORDS(sk->units[i]) >= KEY_MIN_WORDS &&
		    distinctive(sk->units[i], b, NULL))
			v[n++] = DEDUP_UNIT_HASH(sk->units[i]);
	qsort(v, n, sizeof *v, cmp_u64);
	for (i = 0; i < n && k < cap && (all || k < DEDUP_KEYS); i++)
		if (!k || keys[k - 1] != v[i])
			keys[k++] = v[i];
	return k;
}

/* ---- the rules ----------------------------------------------------------------------------- */

static unsigned distinctive_words(const struct dedup_sketch *s, const struct dedup_boiler *b1,
				  const struct dedup_boiler *b2)
{
	unsigned n = 0;
	uint16_t i;

	for (i = 0; i < s->n_units; i++)
		if (distinctive(s->units[i], b1, b2))
			n += DEDUP_UNIT_WORDS(s->units[i]);
	return n;
}

static int has_unit(const struct dedup_sketch *s, uint64_t h)
{
	uint16_t i;

	for (i = 0; i < s->n_units; i++)
		if (DEDUP_UNIT_HASH(s->units[i]) == h)
			return 1;
	return 0;
}

/* Distinctive words of x in units y has too (each unit of x once). */
static unsigned shared_words(const struct dedup_sketch *x, const struct dedup_sketch *y,
			     const struct dedup_boiler *b1, const struct dedup_boiler *b2)
{
	unsigned n = 0;
	uint16_t i, k;

	for (i = 0; i < x->n_units; i++) {
		uint64_t h = DEDUP_UNIT_HASH(x->units[i]);

		if (!distinctive(x->units[i], b1, b2) || !has_unit(y, h))
			continue;
		for (k = 0; k < i; k++)
			if (DEDUP_UNIT_HASH(x->units[k]) == h)
				break;
		if (k == i)
			n += DEDUP_UNIT_WORDS(x->units[i]);
	}
	return n;
}

/* Members of sorted a found in sorted b, counting only those whose top bit is flag. */
static unsigned common(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
	size_t i = 0, k = 0;
	unsigned n = 0;

	while (i < na && k < nb) {
		if (a[i] == b[k])
			n++, i++, k++;
		else if (a[i] < b[k])
			i++;
		else
			k++;
	}
	return n;
}

static unsigned count_numbers(const uint32_t *t, size_t n)
{
	unsigned c = 0;
	size_t i;

	for (i = 0; i < n; i++)
		c += t[i] >> 31;
	return c;
}

/* Compatible titles: the same numbers, and most words of the shorter in the longer. */
static int titles_compatible(const struct dedup_sketch *x, const struct dedup_sketch *y,
			     struct dedup_match *m)
{
	unsigned nx = count_numbers(x->title, x->n_title), ny = count_numbers(y->title, y->n_title);
	unsigned c = common(x->title, x->n_title, y->title, y->n_title);
	/* sorted: numbers (top bit) come last, so the numbers in common are among c */
	unsigned cn = common(x->title + (x->n_title - nx), nx, y->title + (y->n_title - ny), ny);
	unsigned wx = x->n_title - nx, wy = y->n_title - ny, w = c - cn;
	unsigned least = wx < wy ? wx : wy;

	m->title_shared = c;
	m->title_new = x->n_title;
	m->title_old = y->n_title;
	if (cn != nx || cn != ny || !least)
		return 0;
	return w >= (least < 2 ? least : 2) && w * 100 >= TITLE_PCT * least &&
	       w * 100 >= TITLE_UNION_PCT * (wx + wy - w);
}

/* The lead of s (its first LEAD_WORDS distinctive words): how many are in units o has too. */
static void lead(const struct dedup_sketch *s, const struct dedup_sketch *o,
		 const struct dedup_boiler *b1, const struct dedup_boiler *b2, struct dedup_match *m)
{
	uint16_t i;

	m->lead_words = m->lead_shared = 0;
	for (i = 0; i < s->n_units && m->lead_words < LEAD_WORDS; i++) {
		if (!distinctive(s->units[i], b1, b2))
			continue;
		if (has_unit(o, DEDUP_UNIT_HASH(s->units[i]))) {
			m->first_shared |= !m->lead_words;
			m->lead_shared += DEDUP_UNIT_WORDS(s->units[i]);
		}
		m->lead_words += DEDUP_UNIT_WORDS(s->units[i]);
	}
}

/* Numbers that disagree: both bodies cite several and share fewer than half of them. */
static int numbers_conflict(const struct dedup_sketch *x, const struct dedup_sketch *y)
{
	unsigned c = common(x->nums, x->n_nums, y->nums, y->n_nums);
	unsigned all = x->n_nums + y->n_nums - c;

	return x->n_nums >= 3 && y->n_nums >= 3 && c * 2 < all;
}

enum dedup_rule dedup_compare(const struct dedup_sketch *x, const struct dedup_boiler *bx,
			      const struct dedup_sketch *y, const struct dedup_boiler *by,
			      int same_feed, struct dedup_match *out)
{
	struct dedup_match m;
	unsigned least, most;

	memset(&m, 0, sizeof m);
	m.same_feed = same_feed;
	m.words_new = distinctive_words(x, bx, by);
	m.words_old = distinctive_words(y, bx, by);
	m.shared = shared_words(x, y, bx, by);
	m.title_ok = titles_compatible(x, y, &m);
	m.numbers_conflict = numbers_conflict(x, y);
	least = m.words_new < m.words_old ? m.words_new : m.words_old;
	most = m.words_new > m.words_old ? m.words_new : m.words_old;
	m.distance = most ? 100 - (int)(m.shared * 100 / most) : 100;
	if (m.shared > least) /* a repeated unit in y: never more than all */
		m.shared = least;
	if (m.words_new <= m.words_old)
		lead(x, y, bx, by, &m);
	else
		lead(y, x, bx, by, &m);
	if (m.numbers_conflict || !least || m.lead_shared * 2 < m.lead_words) {
		m.rule = DEDUP_NONE;
	} else if (m.title_ok && m.shared >= MIN_SHARED && m.shared * 100 >= CONTAIN_PCT * least) {
		m.rule = DEDUP_BODY_TITLE;
	} else if (!same_feed && m.first_shared && m.shared >= LONG_SHARED &&
		   m.shared * 100 >= LONG_PCT * most) {
		m.rule = DEDUP_LONG_BODY;
	}
	if (out)
		*out = m;
	return m.rule;
}

const char *dedup_rule_name(enum dedup_rule r)
{
	switch (r) {
	case DEDUP_BODY_TITLE:
		return "body+title";
	case DEDUP_LONG_BODY:
		return "long body";
	default:
		return "distinct";
	}
}

void dedup_match_describe(const struct dedup_match *m, char *out, size_t size)
{
	unsigned most = m->words_new > m->words_old ? m->words_new : m->words_old;

	snprintf(out, size,
		 "%s: %u of %u distinctive words shared (distance %d), lead %u/%u, title %u/%u "
		 "word%s%s%s%s",
		 dedup_rule_name(m->rule), m->shared, most, m->distance, m->lead_shared,
		 m->lead_words, m->title_shared,
		 m->title_new > m->title_old ? m->title_new : m->title_old,
		 m->title_ok ? " (compatible)" : "", m->numbers_conflict ? ", numbers disagree" : "",
		 m->same_feed ? ", same feed" : "", "");
}

/* ---- stored form ----------------------------------------------------------------------------- */

#define SKETCH_VERSION 1

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int dedup_sketch_encode(const struct dedup_sketch *sk, struct buf *out)
{
	unsigned char hdr[12], w[8];
	uint16_t i;

	hdr[0] = SKETCH_VERSION;
	hdr[1] = (unsigned char)sk->n_title;
	hdr[2] = (unsigned char)sk->n_nums;
	hdr[3] = (unsigned char)sk->n_units;
	put32(hdr + 4, sk->words);
	put32(hdr + 8, 0);
	if (buf_append(out, hdr, sizeof hdr) < 0)
		return -ENOMEM;
	for (i = 0; i < sk->n_title; i++) {
		put32(w, sk->title[i]);
		if (buf_append(out, w, 4) < 0)
			return -ENOMEM;
	}
	for (i = 0; i < sk->n_nums; i++) {
		put32(w, sk->nums[i]);
		if (buf_append(out, w, 4) < 0)
			return -ENOMEM;
	}
	for (i = 0; i < sk->n_units; i++) {
		put32(w, (uint32_t)sk->units[i]);
		put32(w + 4, (uint32_t)(sk->units[i] >> 32));
		if (buf_append(out, w, 8) < 0)
			return -ENOMEM;
	}
	return 0;
}

int dedup_sketch_decode(const void *data, size_t len, struct dedup_sketch *sk)
{
	const unsigned char *p = data;
	uint16_t i;

	memset(sk, 0, sizeof *sk);
	if (!p || len < 12 || p[0] != SKETCH_VERSION || p[1] > DEDUP_TITLE_MAX ||
	    p[2] > DEDUP_NUMS_MAX || p[3] > DEDUP_UNITS_MAX ||
	    len != 12 + 4u * p[1] + 4u * p[2] + 8u * p[3])
		return -EINVAL;
	sk->n_title = p[1];
	sk->n_nums = p[2];
	sk->n_units = p[3];
	sk->words = get32(p + 4);
	p += 12;
	for (i = 0; i < sk->n_title; i++, p += 4)
		sk->title[i] = get32(p);
	for (i = 0; i < sk->n_nums; i++, p += 4)
		sk->nums[i] = get32(p);
	for (i = 0; i < sk->n_units; i++, p += 8)
		sk->units[i] = (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
	return 0;
}
