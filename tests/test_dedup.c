/* SPDX-License-Identifier: MIT */
/* SimHash of article bodies: normalization, the too-short rule, and the seed articles (the
 * syndicated copy within DEDUP_MAX_DISTANCE of its original, the nine stories far apart). */
#include "autoconfig.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dedup.h"
#include <errno.h>
#include "idset.h"

#define MAX_BODIES 32

static const char *fixtures(void)
{
	const char *f = getenv("FIXTURES");

	return f && *f ? f : "tests/fixtures";
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *s = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0) {
		rewind(f);
		s = malloc((size_t)n + 1);
		if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
			free(s);
			s = NULL;
		}
		if (s)
			s[n] = '\0';
	}
	fclose(f);
	return s;
}

static uint64_t hash(const char *s)
{
	return dedup_simhash(s, strlen(s));
}

static void test_distance(void)
{
	CHECK(dedup_distance(0, 0) == 0, "distance(0, 0): expected 0");
	CHECK(dedup_distance(0, ~(uint64_t)0) == 64, "distance(0, ~0): expected 64");
	CHECK(dedup_distance(0x8000000000000001ull, 1) == 1,
	      "distance(0x8000000000000001, 1): expected 1 (the top bit counts)");
	CHECK(dedup_distance(0xf0, 0x0f) == 8, "distance(0xf0, 0x0f): expected 8");
}

static void test_short(void)
{
	const char *seven = "one two three four five six seven";
	const char *eight = "one two three four five six seven eight";

	CHECK(dedup_simhash(NULL, 0) == 0, "NULL text: expected 0");
	CHECK(hash("") == 0, "empty text: expected 0");
	CHECK(hash(seven) == 0, "\"%s\" (7 words): expected 0", seven);
	CHECK(hash("one, two; three -- four... five!! six?? seven.") == 0,
	      "7 words with punctuation: expected 0 (punctuation is not a word)");
	CHECK(hash(eight) != 0, "\"%s\" (8 words): expected a hash", eight);
	CHECK(dedup_simhash(eight, 3) == 0, "a length of 3 bytes: expected only \"one\" read, 0");
}

/* Pairs that must hash the same: the normalization makes them one text. */
static void test_normalization(void)
{
	static const char *const same[][2] = {
	    {"The quick brown fox jumps over the lazy dog again",
	     "THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG AGAIN"},
	    {"Die Straße ist heute lang und breit und sehr leer",
	     "DIE STRASSE IST HEUTE LANG UND BREIT UND SEHR LEER"},
	    {"Le café naïve à Genève reçoit déjà ses élèves",
	     "Le cafe naive a Geneve recoit deja ses eleves"},
	    /* decomposed input: e + U+0301 */
	    {"Le cafe\xcc\x81 ferme tard ce soir pour les e\xcc\x81tudiants",
	     "Le caf\xc3\xa9 ferme tard ce soir pour les \xc3\xa9tudiants"},
	    {"The world\xe2\x80\x99s smallest supercomputer was delivered to SpaceX today",
	     "The world's smallest supercomputer was delivered to SpaceX today"},
	    /* soft hyphen (default ignorable) inside a word */
	    {"The super\xc2\xad"
	     "computer was delivered to SpaceX in Texas today",
	     "The supercomputer was delivered to SpaceX in Texas today"},
	    /* full-width letters and the fi ligature (compatibility forms) */
	    {"\xef\xbc\xa6\xef\xbc\xa9\xef\xbc\xb2\xef\xbc\xb3\xef\xbc\xb4 "
	     "\xef\xac\x81nal flight of the second generation ship",
	     "first final flight of the second generation ship"},
	    {"  one\ttwo\n\nthree -- four, five; six (seven) eight  ",
	     "one two three four five six seven eight"},
	};
	size_t i;

	for (i = 0; i < sizeof same / sizeof same[0]; i++) {
		uint64_t a = hash(same[i][0]), b = hash(same[i][1]);

		CHECK(a != 0 && a == b,
		      "\"%s\" vs \"%s\": expected one hash, got %016llx and %016llx", same[i][0],
		      same[i][1], (unsigned long long)a, (unsigned long long)b);
	}
}

static void test_robustness(void)
{
	char word_a[400], word_b[400], *ta, *tb;
	const char *bad = "one two \xff\xfe three four \xc3 five six \xe2\x82 seven eight";
	const char *cjk = "\xe8\xa9\xb1\xe8\xa1\x8c\xe9\x83\xbd\xe5\xbd\xb1\xe8\x89\xb2\xe7\xa9\xba"
			  "\xe8\xa9\xb1\xe8\xa1\x8c\xe9\x83\xbd"; /* nine ideographs, no space */
	uint64_t a, b;

	/* bytes that are not UTF-8 separate words, they do not stop the hash */
	CHECK(hash(bad) == hash("one two three four five six seven eight"),
	      "invalid UTF-8 between words: expected the hash of the eight words alone");
	CHECK(hash(cjk) != 0, "nine ideographs without spaces: expected each to count as a word");

	/* words longer than the hash chunk: a difference at their end still counts */
	memset(word_a, 'x', sizeof word_a - 1);
	word_a[sizeof word_a - 1] = '\0';
	memcpy(word_b, word_a, sizeof word_b);
	word_b[sizeof word_b - 2] = 'y';
	ta = malloc(1024);
	tb = malloc(1024);
	if (!ta || !tb) {
		CHECK(0, "out of memory");
		free(ta);
		free(tb);
		return;
	}
	snprintf(ta, 1024, "one two three four %s five six seven eight", word_a);
	snprintf(tb, 1024, "one two three four %s five six seven eight", word_b);
	a = hash(ta);
	b = hash(tb);
	CHECK(a != b, "a 399-byte word changed in its last byte: expected a different hash");
	free(ta);
	free(tb);

	/* shingles keep word order: the same words reversed are another text */
	a = hash("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi");
	b = hash("xi nu mu lambda kappa iota theta eta zeta epsilon delta gamma beta alpha");
	CHECK(dedup_distance(a, b) > DEDUP_MAX_DISTANCE,
	      "fourteen words and the same reversed: expected more than %d bits apart, got %d",
	      DEDUP_MAX_DISTANCE, dedup_distance(a, b));
}

struct body {
	char name[256];
	char *text; /* the file */
	const char *body;
	uint64_t h;
};

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct body *)a)->name, ((const struct body *)b)->name);
}

/* The seed articles' bodies: expected/<slug>.txt after the first blank line. */
static int load_seed(struct body *v, int max)
{
	char dir[1024], path[1400];
	struct dirent *e;
	DIR *d;
	size_t len;
	char *p;
	int n = 0;

	snprintf(dir, sizeof dir, "%s/seed-feeds/expected", fixtures());
	d = opendir(dir);
	if (!d)
		return -1;
	while ((e = readdir(d)) && n < max) {
		len = strlen(e->d_name);
		if (len < 5 || strcmp(e->d_name + len - 4, ".txt") != 0)
			continue;
		snprintf(v[n].name, sizeof v[n].name, "%s", e->d_name);
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		v[n].text = slurp(path);
		if (!v[n].text)
			continue;
		p = strstr(v[n].text, "\n\n");
		v[n].body = p ? p + 2 : v[n].text;
		v[n].h = hash(v[n].body);
		n++;
	}
	closedir(d);
	qsort(v, (size_t)n, sizeof *v, by_name);
	return n;
}

static void test_seed(void)
{
	static const char original[] =
	    "jensen-huang-hand-delivers-the-world-s-smallest-supercompute.txt";
	struct body v[MAX_BODIES];
	char path[1024];
	char *wire;
	uint64_t hw;
	int n, i, j, d, min = 65, mi = -1, mj = -1, orig = -1;

	memset(v, 0, sizeof v);
	n = load_seed(v, MAX_BODIES);
	CHECK(n == 9, "%s/seed-feeds/expected: expected the nine seed articles, found %d",
	      fixtures(), n);
	for (i = 0; i < n; i++) {
		CHECK(v[i].h != 0, "%s: expected a SimHash (the body has more than 8 words)",
		      v[i].name);
		if (strcmp(v[i].name, original) == 0)
			orig = i;
		for (j = i + 1; j < n; j++) {
			d = dedup_distance(v[i].h, v[j].h);
			CHECK(d > DEDUP_MAX_DISTANCE,
			      "%s vs %s: distinct stories expected more than %d bits apart, got %d",
			      v[i].name, v[j].name, DEDUP_MAX_DISTANCE, d);
			if (d < min) {
				min = d;
				mi = i;
				mj = j;
			}
		}
	}
	if (mi >= 0)
		fprintf(stderr, "seed: nearest distinct pair %s vs %s, %d bits\n", v[mi].name,
			v[mj].name, min);

	snprintf(path, sizeof path, "%s/dedup/wire-copy.txt", fixtures());
	wire = slurp(path);
	CHECK(wire != NULL, "%s: expected the syndicated copy's body", path);
	CHECK(orig >= 0, "%s: expected among the seed articles", original);
	if (wire && orig >= 0) {
		hw = hash(wire);
		d = dedup_distance(hw, v[orig].h);
		fprintf(stderr, "seed: syndicated copy vs %s, %d bits\n", original, d);
		CHECK(d <= DEDUP_MAX_DISTANCE,
		      "%s vs %s (the same story with a credit line): expected at most %d bits, got "
		      "%d",
		      path, original, DEDUP_MAX_DISTANCE, d);
		for (i = 0; i < n; i++) {
			if (i == orig)
				continue;
			d = dedup_distance(hw, v[i].h);
			CHECK(d > DEDUP_MAX_DISTANCE,
			      "%s vs %s: another story, expected more than %d bits apart, got %d",
			      path, v[i].name, DEDUP_MAX_DISTANCE, d);
		}
	}
	free(wire);
	for (i = 0; i < n; i++)
		free(v[i].text);
}

/* The id set behind the per-run and per-day "seen already" checks. */
static void test_idset(void)
{
	struct idset set = IDSET_INIT;
	char id[17];
	int i, again = 0, fresh = 0;

	for (i = 1; i <= 5000; i++) {
		snprintf(id, sizeof id, "%016llx", (unsigned long long)i * 0x9e3779b97f4a7c15ULL);
		fresh += idset_add(&set, id) == 0;
	}
	CHECK(fresh == 5000 && set.n == 5000, "idset: 5000 distinct ids added (%d)", fresh);
	for (i = 1; i <= 5000; i++) {
		snprintf(id, sizeof id, "%016llx", (unsigned long long)i * 0x9e3779b97f4a7c15ULL);
		again += idset_add(&set, id);
	}
	CHECK(again == 5000, "idset: each found again (%d)", again);
	CHECK(set.n * 2 <= set.cap, "idset: at most half full (%zu of %zu)", set.n, set.cap);
	/* neighbours and the zero id, which has no slot of its own */
	CHECK(idset_add(&set, "ffffffffffffff00") == 0 && idset_add(&set, "ffffffffffffff01") == 0,
	      "idset: ids one bit apart are two ids");
	CHECK(idset_add(&set, "0000000000000000") == 0 && idset_add(&set, "0000000000000000") == 1,
	      "idset: the zero id");
	idset_clear(&set);
	CHECK(set.n == 0 && idset_add(&set, "ffffffffffffff00") == 0 &&
		  idset_add(&set, "0000000000000000") == 0,
	      "idset: cleared");
	idset_fini(&set);
}

/* ---- the rules (dedup_rules.c) ---------------------------------------------------------- */

static const char story[] =
    "The city council voted on Tuesday to build protected bike lanes along Main Street.\n"
    "About 120 parking spaces will be removed to make room for the lanes.\n"
    "Supporters said the lanes will make cycling safer for commuters and schoolchildren.\n"
    "Several shop owners warned that losing parking could hurt their business.\n"
    "Construction is scheduled to begin next spring and should take four months.";

static enum dedup_rule cmp(const char *t1, const char *b1, const char *t2, const char *b2,
			   const struct dedup_boiler *bx, int same_feed, struct dedup_match *m)
{
	static struct dedup_sketch x, y;

	dedup_sketch_make(&x, t1, b1);
	dedup_sketch_make(&y, t2, b2);
	return dedup_compare(&x, bx, &y, NULL, same_feed, m);
}

static void test_rules(void)
{
	static const char teaser[] =
	    "Read the full story on our website. Subscribe for more news every day from our newsroom.";
	static struct dedup_sketch sk, back;
	struct dedup_boiler b;
	struct dedup_match m;
	struct buf enc = BUF_INIT, copy = BUF_INIT;
	enum dedup_rule r;

	/* the teasers: different titles, the same short teaser */
	r = cmp("Council approves bridge budget", teaser, "Hospital opens emergency wing", teaser,
		NULL, 1, &m);
	CHECK(r == DEDUP_NONE, "two teasers with other titles: expected distinct, got %s",
	      dedup_rule_name(r));
	r = cmp("Council approves bridge budget", teaser, "Hospital opens emergency wing", teaser,
		NULL, 0, &m);
	CHECK(r == DEDUP_NONE, "two teasers in two feeds: expected distinct (too short), got %s",
	      dedup_rule_name(r));
	/* a syndicated copy with a credit line and a new headline */
	buf_printf(&copy, "%s\nThis article originally appeared on Example News.", story);
	r = cmp("Cyclists win: Main Street gets lanes", buf_cstr(&copy),
		"City council approves new bike lanes on Main Street", story, NULL, 0, &m);
	CHECK(r == DEDUP_BODY_TITLE || r == DEDUP_LONG_BODY || r == DEDUP_NONE,
	      "a rule is named");
	/* the body is 60 words: long enough with a compatible title, and the title alone moved */
	r = cmp("Council approves new bike lanes on Main Street", buf_cstr(&copy),
		"City council approves new bike lanes on Main Street", story, NULL, 0, &m);
	CHECK(r == DEDUP_BODY_TITLE, "a credited copy, compatible title: expected body+title, got %s",
	      dedup_rule_name(r));
	/* a wire dateline is not a difference */
	buf_reset(&copy);
	buf_printf(&copy, "WASHINGTON (AP) - %s", story);
	r = cmp("Council approves new bike lanes on Main Street", buf_cstr(&copy),
		"City council approves new bike lanes on Main Street", story, NULL, 1, &m);
	CHECK(r == DEDUP_BODY_TITLE && m.shared == m.words_new,
	      "a dateline: expected every word shared, got %u of %u", m.shared, m.words_new);
	/* the same template with other numbers, same title words */
	r = cmp("Jobless claims fall to 210,000",
		"Initial claims fell by 12,000 to 210,000 for the week ended May 4, the department "
		"said. Economists had forecast 215,000 claims. The four-week average was 212,500.",
		"Jobless claims fall to 231,000",
		"Initial claims fell by 3,000 to 231,000 for the week ended May 11, the department "
		"said. Economists had forecast 225,000 claims. The four-week average was 228,750.",
		NULL, 0, &m);
	CHECK(r == DEDUP_NONE && !m.title_ok, "a template with other numbers: expected distinct");
	CHECK(!cmp("Q3 results", story, "Q4 results", story, NULL, 1, &m) && !m.title_ok,
	      "titles citing other numbers (Q3, Q4) are not compatible");
	/* boilerplate learned from two distinct articles of the feed carries no weight */
	dedup_boiler_init(&b);
	dedup_sketch_make(&sk, "One", story);
	dedup_boiler_count(&b, &sk);
	r = cmp("Budget vote delayed again", story, "Library opens a rooftop terrace", story, &b, 0,
		&m);
	CHECK(r == DEDUP_LONG_BODY || r == DEDUP_NONE, "counted once: not yet boilerplate");
	dedup_boiler_count(&b, &sk);
	r = cmp("City council approves new bike lanes on Main Street", story,
		"City council approves new bike lanes on Main Street", story, &b, 0, &m);
	CHECK(r == DEDUP_NONE && m.words_new == 0,
	      "counted twice: boilerplate, no distinctive words left (got %u)", m.words_new);
	dedup_boiler_fini(&b);
	/* the stored form round-trips */
	dedup_sketch_make(&sk, "City council approves new bike lanes", story);
	CHECK(dedup_sketch_encode(&sk, &enc) == 0 &&
		  dedup_sketch_decode(enc.data, enc.len, &back) == 0 && back.n_units == sk.n_units &&
		  back.n_title == sk.n_title && back.words == sk.words &&
		  !memcmp(back.units, sk.units, sk.n_units * sizeof *sk.units),
	      "encode then decode: expected the same sketch");
	CHECK(dedup_sketch_decode(enc.data, enc.len - 1, &back) == -EINVAL,
	      "a truncated sketch: expected -EINVAL");
	buf_fini(&enc);
	buf_fini(&copy);
}

int main(void)
{
	test_rules();
	test_idset();
	test_distance();
	test_short();
	test_normalization();
	test_robustness();
	test_seed();
	return check_exit();
}
