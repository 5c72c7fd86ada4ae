/* SPDX-License-Identifier: MIT */
/* Near-duplicate detection: the 64-bit SimHash of an article body and the distance between two. */
#include "autoconfig.h"

#include "dedup.h"

#include <string.h>
#include <utf8proc.h>
#include <xxhash.h>

/*
 * Normalization. Each code point goes through utf8proc_decompose_char with
 * COMPAT | DECOMPOSE | CASEFOLD | STRIPMARK | IGNORE, i.e. NFKD of the case fold with every
 * combining mark and default-ignorable character (soft hyphen, zero-width joiners) dropped:
 *  - compatibility forms, ligatures and full-width letters compare as their plain letters;
 *  - accents are dropped because syndication (ASCII-only wire systems) drops them; the marks
 *    lost in scripts where they carry vowels are lost the same way on both sides, and a shingle
 *    of three words still separates texts;
 *  - decomposed (not composed) output needs no buffer for the whole text: every comparison is
 *    between two outputs of this same function, so both sides are in the same form. Canonical
 *    reordering, the one thing utf8proc_map would add, only moves marks, and marks are gone.
 * Working one code point at a time also means no allocation at all, and bytes that are not
 * UTF-8 (the network sends anything) are simply word separators instead of a failed map.
 *
 * Words are maximal runs of letters and digits (general categories L* and N*). Ideographs and
 * kana are words of their own, since those scripts put no spaces between words.
 *
 * Features are 3-word shingles: XXH3-64 of the three word hashes in order. The SimHash is the
 * sign of the sum of the ±1 bit votes of all shingles. Every shingle counts once per occurrence
 * with weight 1: the text is an article body, repeated phrases are rare, and equal weights keep
 * the expected distance a function of the share of shingles two bodies do not have in common.
 * With n shingles of which k are new (an appended credit line, a changed sentence), each bit
 * flips with probability about acos(sqrt(n / (n + k))) / pi: at 3 bits of 64 the method
 * tolerates about 2% new shingles. The seed's syndicated copy (12 new shingles against 336) expects
 * 3.8 bits and measures 3 (tests/test_dedup.c); longer additions to short bodies will not match,
 * which is SimHash at this threshold, not something to tune per fixture.
 */

#define SHINGLE 3
/* Bodies with fewer words say too little for the distance to mean "the same story". */
#define MIN_WORDS 8
/* A word's bytes are hashed in chunks of this size, chained, so length costs no allocation. */
#define WORD_CHUNK 128

static const utf8proc_option_t norm_options =
    UTF8PROC_COMPAT | UTF8PROC_DECOMPOSE | UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK | UTF8PROC_IGNORE;

struct simhash {
	int32_t votes[64];
	struct dedup_sketch *sk; /* NULL: the SimHash alone */
	uint64_t unit;		 /* the hash of the unit (sentence) being read */
	uint32_t unit_words;
	int word_digits;	 /* the word being read is all digits so far */
	int title;		 /* reading a title: words go to sk->title */
	int word_digit;		 /* the word being read has a digit ("Q3", "2024") */
	uint64_t window[SHINGLE]; /* the last SHINGLE word hashes, oldest first */
	size_t words;
	/* the word being read */
	unsigned char chunk[WORD_CHUNK + 4];
	size_t chunk_len;
	uint64_t word_seed;
	int in_word;
};

static int is_word_char(utf8proc_int32_t cp)
{
	switch (utf8proc_category(cp)) {
	case UTF8PROC_CATEGORY_LU:
	case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_LO:
	case UTF8PROC_CATEGORY_ND:
	case UTF8PROC_CATEGORY_NL:
	case UTF8PROC_CATEGORY_NO:
		return 1;
	default:
		return 0;
	}
}

/* Scripts written without spaces: each character is a word. */
static int is_solo_char(utf8proc_int32_t cp)
{
	return (cp >= 0x3040 && cp <= 0x30ff) || /* hiragana, katakana */
	       (cp >= 0x3400 && cp <= 0x4dbf) || /* CJK extension A */
	       (cp >= 0x4e00 && cp <= 0x9fff) || /* CJK unified ideographs */
	       (cp >= 0xf900 && cp <= 0xfaff) || /* CJK compatibility ideographs */
	       (cp >= 0x20000 && cp <= 0x3ffff); /* CJK extensions B and later */
}

/* One word of the sketch: into the unit being read, and into the numbers when it is one. */
static void sketch_word(struct simhash *sh, uint64_t h)
{
	struct dedup_sketch *sk = sh->sk;

	if (sh->title) {
		if (sk->n_title < DEDUP_TITLE_MAX)
			sk->title[sk->n_title++] =
			    ((uint32_t)h & 0x7fffffffu) | (sh->word_digit ? 0x80000000u : 0);
		return;
	}
	/* order-dependent mixing of the word hashes (already XXH3): cheap, and enough for 48 bits */
	sh->unit = (sh->unit ^ h) * 0x9e3779b97f4a7c15ull;
	sh->unit ^= sh->unit >> 29;
	sh->unit_words++;
	sk->words++;
	if (sh->word_digits && sk->n_nums < DEDUP_NUMS_MAX)
		sk->nums[sk->n_nums++] = (uint32_t)h;
}

/* The end of a unit (a sentence, a line): recorded with its number of words. */
static void unit_end(struct simhash *sh)
{
	struct dedup_sketch *sk = sh->sk;

	if (!sk || sh->title || !sh->unit_words)
		return;
	if (sk->n_units < DEDUP_UNITS_MAX)
		sk->units[sk->n_units++] =
		    (sh->unit << 16) | (sh->unit_words > 0xffff ? 0xffff : sh->unit_words);
	sh->unit = 0;
	sh->unit_words = 0;
}

/* A dash after the first few words of a sentence ends a dateline or credit ("LONDON (Reuters)
 * -", "WASHINGTON (AP) —"): the sentence is the words after it, as in the copy without one. */
static void dateline(struct simhash *sh)
{
	if (sh->sk && !sh->title && sh->unit_words && sh->unit_words <= 5) {
		sh->unit = 0;
		sh->unit_words = 0;
	}
}

static void add_shingle(struct simhash *sh)
{
	uint64_t h = XXH3_64bits(sh->window, sizeof sh->window);
	int i;

	for (i = 0; i < 64; i++)
		sh->votes[i] += (int32_t)((h >> i) & 1) * 2 - 1;
}

static void word_end(struct simhash *sh)
{
	uint64_t h;

	if (!sh->in_word)
		return;
	h = XXH3_64bits_withSeed(sh->chunk, sh->chunk_len, sh->word_seed);
	if (sh->sk)
		sketch_word(sh, h);
	memmove(sh->window, sh->window + 1, sizeof sh->window - sizeof sh->window[0]);
	sh->window[SHINGLE - 1] = h;
	sh->words++;
	if (sh->words >= SHINGLE)
		add_shingle(sh);
	sh->in_word = 0;
	sh->chunk_len = 0;
	sh->word_seed = 0;
	sh->word_digits = 1;
	sh->word_digit = 0;
}

static void word_add(struct simhash *sh, utf8proc_int32_t cp)
{
	if (sh->chunk_len >= WORD_CHUNK) {
		sh->word_seed = XXH3_64bits_withSeed(sh->chunk, sh->chunk_len, sh->word_seed);
		sh->chunk_len = 0;
	}
	if (!(cp >= '0' && cp <= '9'))
		sh->word_digits = 0;
	else
		sh->word_digit = 1;
	if (cp < 0x80)
		sh->chunk[sh->chunk_len++] = (unsigned char)cp;
	else
		sh->chunk_len += (size_t)utf8proc_encode_char(cp, sh->chunk + sh->chunk_len);
	sh->in_word = 1;
}

/* ASCII, most of most bodies, without the tables: exactly what the normalization gives it (no
 * ASCII character decomposes or is default-ignorable; case folding is tolower). */
static void feed_ascii(struct simhash *sh, unsigned char c, int next)
{
	if (c >= 'A' && c <= 'Z') {
		word_add(sh, c + ('a' - 'A'));
	} else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
		word_add(sh, c);
	} else if ((c == '.' || c == ',') && sh->in_word && sh->word_digits && next >= '0' &&
		   next <= '9') {
		/* "3.5", "1,200": one number, and no end of a sentence */
	} else {
		word_end(sh);
		if (c == '.' || c == '!' || c == '?' || c == '\n')
			unit_end(sh);
		else if (c == '-' && next == ' ')
			dateline(sh);
	}
}

static void feed_char(struct simhash *sh, utf8proc_int32_t cp)
{
	if (!is_word_char(cp)) {
		word_end(sh);
		if (cp == 0x2014 || cp == 0x2013) /* em and en dashes */
			dateline(sh);
		/* ideographic full stop, fullwidth ! and ?, the paragraph separator */
		if (cp == 0x3002 || cp == 0xff01 || cp == 0xff1f || cp == 0x2029 || cp == 0x2026)
			unit_end(sh);
	} else if (is_solo_char(cp)) {
		word_end(sh);
		word_add(sh, cp);
		word_end(sh);
	} else {
		word_add(sh, cp);
	}
}

/* Reads text into sh (the SimHash's votes, and the sketch's units when sh->sk is set). */
static void walk(struct simhash *sh, const char *text, size_t len)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)text;
	utf8proc_int32_t cp, out[32];
	utf8proc_ssize_t n, m, i;
	int boundclass = 0;

	sh->word_digits = 1;
	while (len > 0) {
		if (*p < 0x80) {
			feed_ascii(sh, *p, len > 1 ? p[1] : 0);
			p++;
			len--;
			continue;
		}
		n = utf8proc_iterate(p, len > 4 ? 4 : (utf8proc_ssize_t)len, &cp);
		if (n < 1) { /* not UTF-8: a separator */
			word_end(sh);
			p++;
			len--;
			continue;
		}
		p += n;
		len -= (size_t)n;
		m = utf8proc_decompose_char(cp, out, 32, norm_options, &boundclass);
		if (m < 0 || m > 32) {
			word_end(sh);
			continue;
		}
		for (i = 0; i < m; i++)
			feed_char(sh, out[i]);
	}
	word_end(sh);
	unit_end(sh);
}

static uint64_t votes_hash(const struct simhash *sh)
{
	uint64_t h = 0;
	int i;

	if (sh->words < MIN_WORDS)
		return 0;
	for (i = 0; i < 64; i++)
		if (sh->votes[i] > 0)
			h |= (uint64_t)1 << i;
	/* 0 means "no hash" to callers; a real one that happens to be 0 moves by one bit */
	return h ? h : 1;
}

uint64_t dedup_simhash(const char *text, size_t len)
{
	struct simhash sh;

	if (!text)
		return 0;
	memset(&sh, 0, sizeof sh);
	walk(&sh, text, len);
	return votes_hash(&sh);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Sorts v and drops repeats: the number left. */
static uint16_t sort_unique(uint32_t *v, uint16_t n)
{
	uint16_t i, k = 0;

	qsort(v, n, sizeof *v, cmp_u32);
	for (i = 0; i < n; i++)
		if (!k || v[k - 1] != v[i])
			v[k++] = v[i];
	return k;
}

/* The title's words, hashed; numbers flagged in the top bit (they must agree). */
static void sketch_title(struct dedup_sketch *sk, const char *title)
{
	struct simhash sh;

	memset(&sh, 0, sizeof sh);
	sh.sk = sk;
	sh.title = 1;
	walk(&sh, title, strlen(title));
	sk->n_title = sort_unique(sk->title, sk->n_title);
}

int dedup_sketch_make(struct dedup_sketch *sk, const char *title, const char *body)
{
	struct simhash sh;

	memset(sk, 0, sizeof *sk);
	memset(&sh, 0, sizeof sh);
	if (body) {
		sh.sk = sk;
		walk(&sh, body, strlen(body));
		sk->simhash = votes_hash(&sh);
		sk->n_nums = sort_unique(sk->nums, sk->n_nums);
	}
	if (title)
		sketch_title(sk, title);
	return 0;
}

int dedup_distance(uint64_t a, uint64_t b)
{
	return __builtin_popcountll(a ^ b);
}
