/* SPDX-License-Identifier: MIT */
/* The JSON string writers (src/parse/json_write.c) against a byte-by-byte reference, on each side
 * of their shortcuts (16-byte blocks, the room made once, UTF-8 read inline or by charset.c), and
 * the feed object's writer against Jansson (src/parse/article.c). */
#include "autoconfig.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "article.h"
#include "charset.h"
#include "check.h"
#include "json_write.h"

#define STRING_OF_(x) #x
#define STRING_OF(x) STRING_OF_(x)

/* The reference: s[0..n) (valid UTF-8) escaped one byte at a time, between quotes. */
static void reference(const char *s, size_t n, int upper, struct buf *out)
{
	const char *hex = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	size_t i;

	buf_putc(out, '"');
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char e[7] = "\\u00";

		switch (c) {
		case '"': buf_puts(out, "\\\""); break;
		case '\\': buf_puts(out, "\\\\"); break;
		case '\n': buf_puts(out, "\\n"); break;
		case '\r': buf_puts(out, "\\r"); break;
		case '\t': buf_puts(out, "\\t"); break;
		case '\b': buf_puts(out, "\\b"); break;
		case '\f': buf_puts(out, "\\f"); break;
		default:
			if (c < 0x20) {
				e[4] = hex[c >> 4];
				e[5] = hex[c & 15];
				buf_append(out, e, 6);
			} else {
				buf_putc(out, (char)c);
			}
		}
	}
	buf_putc(out, '"');
}

/* Bytes around a string the scanning writer reads and must ignore: the ones that end a plain
 * run (the NUL too), and a plain one. */
static const char junk[] = "\"\\\x01\x80\xff\0x";

/* s[0..n) and its NUL at offset at of a 16-byte aligned block of its own, junk around it up to
 * the block boundaries: json_write_string_scan reads whole aligned blocks, and ASan then sees
 * any read past them (before the string, after its NUL). free() it. */
static char *padded(const char *s, size_t n, size_t at)
{
	size_t size = (at + n + 1 + 15) & ~(size_t)15;
	char *p = aligned_alloc(16, size);

	for (size_t i = 0; i < size; i++)
		p[i] = junk[(i * 7 + n) % (sizeof junk - 1)];
	memcpy(p + at, s, n);
	p[at + n] = '\0';
	return p;
}

/* After json_write_stringn or json_write_string_scan wrote behind the before bytes kept. */
static void check_after(const char *fn, const struct buf *out, const char *kept, size_t before,
			const char *s, size_t n, const char *want)
{
	CHECK(out->len >= before && !memcmp(out->data, kept, before) &&
		      !strcmp(out->data + before, want) && strlen(out->data) == out->len,
	      "%s(%s) after %zu bytes gave %s, want %s", fn, check_show(s, n), before,
	      check_show(out->data + before, out->len - before), check_show(want, strlen(want)));
}

/* json_write_string_scan(s) of the first n bytes of s up to a NUL, placed at each alignment in
 * turn, into a buffer with the room out has: the same text as the reference's (want, when
 * given, is for the whole of s[0..n), which then holds no NUL). */
static void one_scan(const struct buf *out, const char *s, size_t n, const char *want)
{
	static size_t turn;
	struct buf ref = BUF_INIT, o = BUF_INIT;
	size_t z = strnlen(s, n);
	char *p = padded(s, z, turn++ % 16);

	CHECK(!want || z == n, "a test string with a wanted text holds no NUL");
	if (!want) {
		reference(s, z, 0, &ref);
		want = buf_cstr(&ref);
	}
	if (out->cap) {
		o.data = malloc(out->cap);
		o.cap = out->cap;
		o.len = out->len;
		memcpy(o.data, out->data, out->len + 1);
	}
	CHECK(json_write_string_scan(&o, p + (turn - 1) % 16) == 0,
	      "json_write_string_scan(%s) returns 0", check_show(s, z));
	check_after("json_write_string_scan", &o, buf_cstr(out), out->len, s, z, want);
	free(p);
	buf_fini(&o);
	buf_fini(&ref);
}

/* json_write_stringn(s) after what out already holds is the reference's text; the scanning
 * writer gives the same from the same room. */
static void one(struct buf *out, const char *s, size_t n, const char *want)
{
	struct buf ref = BUF_INIT;
	size_t before = out->len;
	char *kept = strndup(buf_cstr(out), before);
	/* a copy of exactly n bytes, so that ASan sees any read past its end */
	char *exact = malloc(n ? n : 1);

	one_scan(out, s, n, want);
	if (!want) {
		reference(s, n, 0, &ref);
		want = buf_cstr(&ref);
	}
	memcpy(exact, s, n);
	CHECK(json_write_stringn(out, exact, n) == 0, "json_write_stringn(%s) returns 0", check_show(s, n));
	free(exact);
	check_after("json_write_stringn", out, kept, before, s, n, want);
	free(kept);
	buf_fini(&ref);
}

/* Each byte that ends a plain run, at every place of strings from 1 to 81 bytes: before, inside
 * and after one and two 32-byte steps, the 16-byte block after them and the last 16 bytes read
 * again from the end. UTF-8 characters of each length, and those whose
 * lead byte (E0, ED, F0-F4) is left to utf8_char_len, are kept as they are. */
static void test_places(void)
{
	static const char *const stops[] = {
		"\"", "\\", "\n", "\x01", "\x1f", "\x7f", "\xc3\xa9", "\xe2\x82\xac", "\xe0\xa0\x80",
		"\xed\x9f\xbf", "\xef\xbf\xbd", "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf",
	};
	char in[96];
	struct buf out = BUF_INIT;

	for (size_t len = 1; len < 82; len++)
		for (size_t at = 0; at < len; at++)
			for (size_t k = 0; k < sizeof stops / sizeof stops[0]; k++) {
				size_t sl = strlen(stops[k]);

				memset(in, 'x', sizeof in);
				memcpy(in + at, stops[k], sl);
				buf_reset(&out);
				one(&out, in, len + sl - 1, NULL);
			}
	buf_fini(&out);
}

/* Every ASCII byte at every place of strings from 1 to 70 bytes: those around the ones that
 * need an escape ('!', '#', ' ', 0x7f next to '"' and the controls) are found or let through
 * by one compare (c ^ 2 below 0x21), and the reference says which. */
static void test_bytes(void)
{
	char in[80];
	struct buf out = BUF_INIT;

	for (size_t len = 1; len <= 70; len++)
		for (size_t at = 0; at < len; at++)
			for (unsigned c = 0; c < 0x80; c++) {
				memset(in, 'x', sizeof in);
				in[at] = (char)c;
				buf_reset(&out);
				one(&out, in, len, NULL);
			}
	buf_fini(&out);
}

/* The stops of a string for the scanning writer: none, each kind of byte that ends a plain run
 * (a character outside ASCII, one that is not UTF-8 and makes the string be written from its
 * cleaned form) and a NUL that ends the string early. */
static const char *const scan_stops[] = {"", "\"", "\x01", "\xc3\xa9", "\xe2\x82\xac",
					 "\xf0\x9f\x98\x80", "\xff", "\xc3", "\0"};

/* s[0..n), with its NUL right after, written by json_write_string_scan and json_write_string
 * (which is the same outside ASan builds) as the reference writes it, or its cleaned form when
 * it is not UTF-8. */
static void scan_check(const char *s, size_t n, const char *where)
{
	struct buf clean = BUF_INIT, want = BUF_INIT, out = BUF_INIT;
	struct charset_conv *c = charset_conv_new("UTF-8");

	if (utf8_valid(s, n))
		buf_append(&clean, s, n);
	else
		CHECK(c && charset_conv_feed(c, s, n, 1, &clean) == 0, "the reference cleans %s",
		      check_show(s, n));
	charset_conv_free(c);
	reference(buf_cstr(&clean), clean.len, 0, &want);
	CHECK(json_write_string_scan(&out, s) == 0 && !strcmp(buf_cstr(&out), buf_cstr(&want)),
	      "json_write_string_scan(%s) %s gave %s, want %s", check_show(s, n), where,
	      check_show(out.data, out.len), buf_cstr(&want));
	buf_reset(&out);
	CHECK(json_write_string(&out, s) == 0 && !strcmp(buf_cstr(&out), buf_cstr(&want)),
	      "json_write_string(%s) %s gave %s, want %s", check_show(s, n), where,
	      check_show(out.data, out.len), buf_cstr(&want));
	buf_fini(&clean);
	buf_fini(&want);
	buf_fini(&out);
}

/* Strings of 0 to 70 bytes at every alignment 0 to 15 of their first block (junk before them
 * and after their NUL up to the block boundaries), each stop at every place: the masked first
 * block, the 16 bytes read across two blocks when the first has no stop, the copy of a run
 * shorter than a block, and the blocks after. */
static void test_scan_align(void)
{
	char in[96];

	for (size_t len = 0; len <= 70; len++)
		for (size_t al = 0; al < 16; al++)
			for (size_t k = 0; k < sizeof scan_stops / sizeof scan_stops[0]; k++)
				for (size_t at = 0; at < (k ? len : 1); at++) {
					size_t sl = k == 8 ? 1 : strlen(scan_stops[k]);
					size_t n = len + (sl ? sl - 1 : 0);
					char *p;

					memset(in, 'x', sizeof in);
					memcpy(in + at, scan_stops[k], sl);
					p = padded(in, n, al);
					scan_check(p + al, strlen(p + al), "aligned");
					free(p);
				}
}

/* Strings whose NUL is the last byte of a page the next of which is not mapped: no read of the
 * scanning writer crosses into it (a fault otherwise). Junk before each string in its page. */
static void test_scan_page_end(void)
{
	long page = sysconf(_SC_PAGESIZE);
	char *map = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *end;

	CHECK(map != MAP_FAILED && mprotect(map + page, (size_t)page, PROT_NONE) == 0,
	      "two pages mapped, the second PROT_NONE");
	if (map == MAP_FAILED)
		return;
	end = map + page - 1;
	for (long i = 0; i < page; i++)
		map[i] = junk[(size_t)i % (sizeof junk - 1)];
	for (size_t len = 0; len <= 70; len++)
		for (size_t k = 0; k < sizeof scan_stops / sizeof scan_stops[0] - 1; k++)
			for (size_t at = 0; at < (k ? len : 1); at++) {
				size_t sl = strlen(scan_stops[k]), n = len + (sl ? sl - 1 : 0);
				char *s = end - n;

				memset(s, 'x', n);
				memcpy(s + at, scan_stops[k], sl);
				*end = '\0';
				scan_check(s, n, "ending its page");
			}
	munmap(map, (size_t)page * 2);
}

/* Two stops in one string at every pair of places, so that the second one falls in the bytes
 * read again from the end after the first (a run that starts after a stop). */
static void test_pairs(void)
{
	static const char *const stops[] = {"\"", "\xc3\xa9", "\n"};
	char in[96];
	struct buf out = BUF_INIT;

	for (size_t len = 2; len < 50; len++)
		for (size_t a = 0; a < len; a++)
			for (size_t b = a + 1; b < len; b++)
				for (size_t k = 0; k < 9; k++) {
					const char *x = stops[k % 3], *y = stops[k / 3];
					size_t xl = strlen(x), yl = strlen(y);

					memset(in, 'x', sizeof in);
					memcpy(in + b + xl - 1, y, yl);
					memcpy(in + a, x, xl);
					buf_reset(&out);
					one(&out, in, len + xl + yl - 2, NULL);
				}
	buf_fini(&out);
}

/* Bytes that are not UTF-8 (a stray byte, an overlong form, a surrogate), at every place: the
 * whole string written again from its cleaned form (read as windows-1252), nothing of the first
 * try left. */
static void test_invalid_places(void)
{
	static const char *const bad[][2] = {
		{"\xff", "\xc3\xbf"},
		{"\xc0\xaf", "\xc3\x80\xc2\xaf"},
		{"\xed\xa0\x80", "\xc3\xad\xc2\xa0\xe2\x82\xac"},
	};
	char in[64], want[96];
	struct buf out = BUF_INIT;

	for (size_t len = 1; len < 40; len++)
		for (size_t at = 0; at < len; at++)
			for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
				size_t bl = strlen(bad[k][0]);

				memset(in, 'x', sizeof in);
				in[0] = '"';
				memcpy(in + at, bad[k][0], bl);
				snprintf(want, sizeof want, "\"%s%.*s%s%.*s\"", at ? "\\\"" : "",
					 (int)(at ? at - 1 : 0), in + 1, bad[k][1], (int)(len - at - 1),
					 in + at + bl);
				buf_reset(&out);
				buf_puts(&out, "[");
				one(&out, in, len + bl - 1, want);
			}
	buf_fini(&out);
}

/* Runs of characters outside ASCII (two, three and four bytes, lead bytes read inline or by
 * utf8_char_len) of every length after plain runs of every length, ending the string or followed
 * by a plain byte, an escape or a byte that is not UTF-8 (then the string is written from its
 * cleaned form). */
static void test_runs(void)
{
	static const char *const chars[] = {"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xe0\xa0\x80",
					    "\xed\x9f\xbf"};
	static const char *const tails[] = {"", "x", "\"", "\xff"};
	char in[128];
	struct buf out = BUF_INIT, clean = BUF_INIT, want = BUF_INIT;

	for (size_t pre = 0; pre < 20; pre++)
		for (size_t k = 1; k < 12; k++)
			for (size_t t = 0; t < sizeof tails / sizeof tails[0]; t++) {
				size_t n = pre;
				struct charset_conv *c;

				memset(in, 'x', pre);
				for (size_t j = 0; j < k; j++) {
					const char *ch = chars[(pre + j) % 5];

					memcpy(in + n, ch, strlen(ch));
					n += strlen(ch);
				}
				memcpy(in + n, tails[t], strlen(tails[t]));
				n += strlen(tails[t]);
				buf_reset(&clean);
				buf_reset(&want);
				if (tails[t][0] == '\xff') {
					c = charset_conv_new("UTF-8");
					CHECK(c && charset_conv_feed(c, in, n, 1, &clean) == 0,
					      "the reference cleans %s", check_show(in, n));
					charset_conv_free(c);
				} else {
					buf_append(&clean, in, n);
				}
				reference(buf_cstr(&clean), clean.len, 0, &want);
				buf_reset(&out);
				one(&out, in, n, buf_cstr(&want));
			}
	buf_fini(&out);
	buf_fini(&clean);
	buf_fini(&want);
}

/* The room is made once for the string as it is, and again when escapes have eaten it: every
 * amount of room left in the buffer around the string's size, and strings of escapes only. */
static void test_room(void)
{
	static const char text[] = "0123456789abcdef0123456789\"\x01";
	size_t n = sizeof text - 1;
	char *many = malloc(3000);
	struct buf out;

	for (size_t room = 1; room < n + 40; room++) {
		out.cap = 8 + room;
		out.data = malloc(out.cap);
		out.len = 8;
		memcpy(out.data, "prefix: ", 9);
		one(&out, text, n, NULL);
		buf_fini(&out);
	}
	memset(many, '\x1f', 3000);
	buf_init(&out);
	for (size_t k = 1; k <= 3000; k = k * 3 + 1) {
		buf_puts(&out, ",");
		one(&out, many, k, NULL);
	}
	buf_fini(&out);
	free(many);
}

/* json_write_string_jansson writes what Jansson writes for the same string, or for U+FFFD when
 * the string is not UTF-8 (article.c's Jansson model). */
static void jansson_one(const char *s)
{
	struct buf out = BUF_INIT;
	json_t *j = json_string(s);
	char *want;

	if (!j)
		j = json_string("\xef\xbf\xbd");
	want = json_dumps(j, JSON_ENCODE_ANY);

	CHECK(json_write_string_jansson(&out, s) == 0, "json_write_string_jansson returns 0");
	CHECK(want && !strcmp(buf_cstr(&out), want), "json_write_string_jansson(%s) = %s, Jansson %s",
	      check_show(s, strlen(s)), check_show(out.data, out.len), want ? check_show(want, strlen(want)) : "-");
	free(want);
	json_decref(j);
	buf_fini(&out);
}

static void test_jansson(void)
{
	char all[128];
	struct buf out = BUF_INIT;

	for (int c = 1; c < 128; c++)
		all[c - 1] = (char)c;
	all[127] = '\0';
	jansson_one(all);
	jansson_one("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xe2\x80\xa8 / \x0b\x1f");
	jansson_one("not UTF-8: \xff");
	jansson_one("overlong \xc0\xaf");
	jansson_one("");
	CHECK(json_write_string_jansson(&out, NULL) == 0 && !strcmp(buf_cstr(&out), "null"),
	      "json_write_string_jansson(NULL) is null");
	buf_fini(&out);
}

/* The feed object as `parse` writes it is Jansson's text of feed_info_to_json, byte for byte. */
static void feed_same(const struct feed_info *f, const char *what)
{
	json_t *j = feed_info_to_json(f);
	char *want = json_dumps(j, JSON_COMPACT);
	struct buf out = BUF_INIT;

	CHECK(feed_info_write_json(f, &out) == 0, "%s: feed_info_write_json returns 0", what);
	CHECK(want && !strcmp(buf_cstr(&out), want), "%s: feed_info_write_json gave\n  %s\nJansson\n  %s",
	      what, buf_cstr(&out), want ? want : "(null)");
	free(want);
	json_decref(j);
	buf_fini(&out);
}

static void test_feed_object(void)
{
	struct feed_info f;

	feed_info_init(&f);
	feed_same(&f, "an empty feed");
	f.name = strdup("feed.xml");
	f.url = strdup("https://example.com/feed?a=1&b=\"2\"");
	f.title = strdup("T\x1f\x0b \"q\" \\ \t\n caf\xc3\xa9 \xf0\x9f\x98\x80");
	f.link = strdup("bad \xff byte");
	f.language = strdup("en-US");
	f.updated = 1700000000;
	person_list_add(&f.authors, &f.n_authors, "Ann \x01", NULL, "https://a/");
	person_list_add(&f.authors, &f.n_authors, NULL, "b@example.com", NULL);
	feed_same(&f, "a feed with every field");
	feed_info_fini(&f);
}

/* article_write_json's dates, kept written in three slots (the one written longest ago taken
 * for a new date), read back as the Jansson model has them: article after article, dates that
 * come back after one, two, three and four others, a date outside the years written (null) and
 * none. */
static void test_dates(void)
{
	static const int64_t d[] = {1700000000, 1700000001, 1800000000, -62135596800, 253402300799,
				    253402300800, DATE_NONE, 0};
	struct buf line = BUF_INIT;
	json_error_t je;

	for (size_t i = 0; i < 200; i++) {
		struct article a;
		json_t *mine, *ref;
		char *want, *got;

		article_init(&a);
		a.published = d[i % 8];
		a.updated = d[(i * 3 + i / 8) % 8];
		a.fetched = i % 5 ? d[2] : d[(i / 5) % 8];
		buf_reset(&line);
		CHECK(article_write_json(&a, NULL, &line) == 0, "article_write_json returns 0");
		mine = json_loads(buf_cstr(&line), 0, &je);
		ref = article_to_json(&a, NULL);
		want = json_dumps(ref, JSON_COMPACT | JSON_SORT_KEYS);
		got = mine ? json_dumps(mine, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
		CHECK(got && want && !strcmp(got, want),
		      "article %zu (dates %" PRId64 ", %" PRId64 ", %" PRId64 "): %s, want %s", i,
		      a.published, a.updated, a.fetched, got ? got : buf_cstr(&line),
		      want ? want : "(none)");
		free(want);
		free(got);
		json_decref(mine);
		json_decref(ref);
		article_fini(&a);
	}
	buf_fini(&line);
}

/* article_write_json's id, written as it is when it is 16 lowercase hex digits: every byte
 * value at every place of one (those that need an escape, those around the digits and letters
 * and the same plus 0x80 among them) gives the text json_write_string gives. */
static void test_ids(void)
{
	struct buf line = BUF_INIT, want = BUF_INIT;

	for (unsigned c = 0; c < 256; c++)
		for (size_t at = 0; at < 16; at++) {
			struct article a;

			article_init(&a);
			memcpy(a.id, "0123456789abcdef", 17);
			a.id[at] = (char)c;
			buf_reset(&line);
			buf_reset(&want);
			buf_puts(&want, "{\"schema\":" STRING_OF(ARTICLE_SCHEMA) ",\"id\":");
			json_write_string(&want, a.id);
			buf_puts(&want, ",\"feed\":");
			CHECK(article_write_json(&a, NULL, &line) == 0 &&
				      !strncmp(buf_cstr(&line), buf_cstr(&want), want.len),
			      "id %s: %.*s, want %s", check_show(a.id, 17), (int)want.len,
			      buf_cstr(&line), buf_cstr(&want));
			article_fini(&a);
		}
	buf_fini(&line);
	buf_fini(&want);
}

/* Integers as printf writes them, the ends of the range included. */
static void test_int(void)
{
	static const int64_t v[] = {0, 1, -1, 9, 10, -10, 99, 100, 1234567890, INT64_MAX, INT64_MIN,
				    INT64_MIN + 1};
	struct buf out = BUF_INIT;
	char want[32];

	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		buf_reset(&out);
		buf_puts(&out, "n=");
		snprintf(want, sizeof want, "n=%" PRId64, v[i]);
		CHECK(json_write_int(&out, v[i]) == 0 && !strcmp(buf_cstr(&out), want),
		      "json_write_int(%s) gave %s", want + 2, buf_cstr(&out));
	}
	buf_fini(&out);
}

int main(void)
{
	test_int();
	test_places();
	test_bytes();
	test_pairs();
	test_invalid_places();
	test_runs();
	test_room();
	test_scan_align();
	test_scan_page_end();
	test_jansson();
	test_feed_object();
	test_dates();
	test_ids();
	return check_exit();
}
