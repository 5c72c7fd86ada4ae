/* SPDX-License-Identifier: MIT */
/* Writing JSON text straight into a buffer. */
#include "autoconfig.h"

#include "json_write.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "charset.h"

/* 1 for the bytes a JSON string cannot hold as they are */
static const unsigned char needs_escape[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
};

#ifdef __SSE2__
/* Bit j set for each byte j of v that ends a plain run: c ^ 2 below 0x21 as a signed byte is a
 * control, '"' (0x22 ^ 2 = 0x20) or a byte from 0x80, one compare for the three; then the
 * backslash. */
static inline unsigned stops16(__m128i v)
{
	const __m128i two = _mm_set1_epi8(2), lim = _mm_set1_epi8(0x21);
	const __m128i bslash = _mm_set1_epi8('\\');

	return (unsigned)_mm_movemask_epi8(_mm_or_si128(
		_mm_cmplt_epi8(_mm_xor_si128(v, two), lim), _mm_cmpeq_epi8(v, bslash)));
}

static inline __m128i load16(const char *s)
{
	return _mm_loadu_si128((const __m128i *)(const void *)s);
}

static inline void store16(char *o, __m128i v)
{
	_mm_storeu_si128((__m128i *)(void *)o, v);
}
#endif

/* The length of the run of s[0..n) that needs no escape and is ASCII, copied to o on the way
 * (o has room for n bytes). 32 bytes per step where SSE2 is there (always on x86-64), and the
 * last 16 of a string that long read and written again from s + n - 16 rather than byte by
 * byte: everything in s[0..n) before the stop is copied as it is, so writing those bytes twice
 * writes the same. */
static size_t plain_run(const char *s, size_t n, char *o)
{
	size_t i = 0;

#ifdef __SSE2__
	__m128i a, b;
	unsigned m;

	for (; n - i >= 32; i += 32) {
		a = load16(s + i);
		b = load16(s + i + 16);
		store16(o + i, a);
		store16(o + i + 16, b);
		if ((m = stops16(a) | stops16(b) << 16) != 0)
			return i + (size_t)__builtin_ctz(m);
	}
	if (n >= 16) {
		if (n - i >= 16) {
			a = load16(s + i);
			store16(o + i, a);
			if ((m = stops16(a)) != 0)
				return i + (size_t)__builtin_ctz(m);
			i += 16;
		}
		if (i == n)
			return n;
		/* the last n - i bytes: bit j of the mask is byte n - 16 + j, those before i are
		 * shifted out */
		a = load16(s + n - 16);
		store16(o + n - 16, a);
		m = stops16(a) >> (16 - (n - i));
		return m ? i + (size_t)__builtin_ctz(m) : n;
	}
#endif
	for (; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (needs_escape[c] || c >= 0x80)
			return i;
		o[i] = (char)c;
	}
	return n;
}

/* The length of the valid UTF-8 character s[0..n) starts with (s[0] >= 0x80), 0 when there is
 * none: two- and three-byte characters outside the ranges with special rules here, the rest by
 * utf8_char_len. */
static inline __attribute__((always_inline)) size_t utf8_len(const unsigned char *s, size_t n)
{
	if (s[0] >= 0xC2 && s[0] <= 0xDF && n >= 2 && (s[1] & 0xC0) == 0x80)
		return 2;
	if (s[0] >= 0xE1 && s[0] <= 0xEF && s[0] != 0xED && n >= 3 && (s[1] & 0xC0) == 0x80 &&
	    (s[2] & 0xC0) == 0x80)
		return 3;
	return utf8_char_len((const char *)s, n);
}

/* How escape() works: CHECK makes sure the text is valid UTF-8; UPPER writes \u00XX escapes with
 * capitals, as Jansson does. */
enum { CHECK = 1, UPPER = 2 };

/* The letter of the two-byte escape of each byte that has one, 0 for the others. */
static const char short_escape[128] = {
	['"'] = '"', ['\\'] = '\\', ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't', ['\b'] = 'b', ['\f'] = 'f',
};

/* Writes the escape sequence of c (a byte needs_escape marks) at o: its length, at most 6. */
static size_t escape_seq(unsigned char c, char *o, unsigned flags)
{
	const char *hex = flags & UPPER ? "0123456789ABCDEF" : "0123456789abcdef";

	o[0] = '\\';
	if ((o[1] = short_escape[c & 0x7f]) != 0)
		return 2;
	memcpy(o + 1, "u00", 3);
	o[4] = hex[c >> 4];
	o[5] = hex[c & 15];
	return 6;
}

/* Appends s[0..n) escaped, between quotes, straight into out's memory: room for the whole
 * string is made once, and again only when escapes have eaten it. With CHECK, also makes sure
 * on the way that s is valid UTF-8 (one pass, not two): -EILSEQ, out as it was, when it is not.
 * 0, or -ENOMEM (out as it was). While it writes, o has room for what is left of s as it is,
 * the closing quote and the NUL. */
static int escape(struct buf *out, const char *s, size_t n, unsigned flags)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, k, len0 = out->len;
	char *o;
	int rc = 0;

	if (out->cap - out->len < n + 3 && buf_reserve(out, n + 2) < 0)
		return -ENOMEM;
	o = out->data + out->len;
	*o++ = '"';
	for (;;) {
		k = plain_run(s + i, n - i, o);
		i += k;
		o += k;
		if (i == n)
			break;
		if (u[i] >= 0x80) {
			/* the characters of a run outside ASCII one after the other */
			do {
				k = flags & CHECK ? utf8_len(u + i, n - i) : 1;
				if (!k)
					break;
				if (n - i >= 4)
					memcpy(o, s + i, 4); /* one move; o has room for n - i bytes */
				else
					memcpy(o, s + i, k);
				i += k;
				o += k;
			} while (i < n && u[i] >= 0x80);
			if (!k) {
				rc = -EILSEQ;
				break;
			}
			if (i == n)
				break;
			continue;
		}
		if ((size_t)(out->data + out->cap - o) < n - i + 7) {
			out->len = (size_t)(o - out->data);
			if (buf_reserve(out, n - i + 7) < 0) {
				rc = -ENOMEM;
				break;
			}
			o = out->data + out->len;
		}
		o += escape_seq(u[i++], o, flags);
	}
	if (rc) {
		out->len = len0;
		out->data[len0] = '\0';
		return rc;
	}
	*o++ = '"';
	*o = '\0';
	out->len = (size_t)(o - out->data);
	return 0;
}

/* s[0..n), which is not valid UTF-8, written from its cleaned form: never expected (every string
 * was made valid upstream), but the output stays valid JSON anyway. */
static int write_cleaned(struct buf *out, const char *s, size_t n)
{
	struct buf clean = BUF_INIT;
	struct charset_conv *c;
	int rc;

	c = charset_conv_new("UTF-8");
	if (c && charset_conv_feed(c, s, n, 1, &clean) == 0)
		rc = escape(out, buf_cstr(&clean), clean.len, 0);
	else
		rc = buf_append(out, "\"\"", 2);
	charset_conv_free(c);
	buf_fini(&clean);
	return rc ? -ENOMEM : 0;
}

#ifdef __SSE2__
/* Copies q[0..j) to o, j < 16, reading nothing outside q[0..j): moves of 8 or 4 bytes that
 * overlap in the middle. */
static inline void copy_short(char *o, const char *q, unsigned j)
{
	if (j >= 8) {
		uint64_t x, y;

		memcpy(&x, q, 8);
		memcpy(&y, q + j - 8, 8);
		memcpy(o, &x, 8);
		memcpy(o + j - 8, &y, 8);
	} else if (j >= 4) {
		uint32_t x, y;

		memcpy(&x, q, 4);
		memcpy(&y, q + j - 4, 4);
		memcpy(o, &x, 4);
		memcpy(o + j - 4, &y, 4);
	} else if (j) {
		o[0] = q[0];
		o[j / 2] = q[j / 2];
		o[j - 1] = q[j - 1];
	}
}

/* v moved down by sh bytes (0 to 15), zeros coming in: SSE2 moves bytes by a constant only, so
 * the two 64-bit halves are moved by bits, each of the three terms 0 where its count is 64 or
 * more (sh below or from 8). */
static inline __m128i shift_down(__m128i v, unsigned sh)
{
	const __m128i hi = _mm_srli_si128(v, 8);

	return _mm_or_si128(_mm_or_si128(_mm_srl_epi64(v, _mm_cvtsi32_si128((int)(8 * sh))),
					 _mm_sll_epi64(hi, _mm_cvtsi32_si128((int)(64 - 8 * sh)))),
			    _mm_srl_epi64(hi, _mm_cvtsi32_si128((int)(8 * sh - 64))));
}

/* escape_scan() keeps this much room after o at the top of each step: a step writes 32 bytes
 * of two blocks, then up to 31 of a run and a 6-byte escape, or a character, or the closing
 * quote and the NUL. */
#define SCAN_ROOM 64

/* Makes room again while escape_scan() writes at o: the new o (out->len is o's offset), or
 * NULL on ENOMEM. The buffer doubles, so a long string costs few of these. */
static char *scan_grow(struct buf *out, char *o)
{
	out->len = (size_t)(o - out->data);
	if (buf_reserve(out, 2 * SCAN_ROOM) < 0)
		return NULL;
	return out->data + out->len;
}

/* Each stop of the rest of the aligned block q is in, from q on (bit j for q[j]), and that
 * block in *v. */
static inline unsigned block_stops(const char *q, __m128i *v)
{
	const char *a = (const char *)((uintptr_t)q & ~(uintptr_t)15);

	*v = _mm_load_si128((const __m128i *)(const void *)a);
	return stops16(*v) >> (q - a);
}

/* The characters of a run outside ASCII at q, copied to *o (advanced), checked as UTF-8 (the
 * NUL is no continuation byte: nothing after it is read): where the run ends, or NULL when a
 * byte is not UTF-8 or on ENOMEM (*o is then NULL too). */
static const char *scan_utf8(struct buf *out, const char *q, char **o)
{
	char *w = *o, *lim = out->data + out->cap - SCAN_ROOM;
	size_t k;

	do {
		k = utf8_len((const unsigned char *)q, SIZE_MAX / 2);
		if (!k)
			return NULL;
		if (w >= lim) {
			if (!(w = scan_grow(out, w))) {
				*o = NULL;
				return NULL;
			}
			lim = out->data + out->cap - SCAN_ROOM;
		}
		w[0] = q[0];
		w[1] = q[1];
		if (k > 2) {
			w[2] = q[2];
			if (k > 3)
				w[3] = q[3];
		}
		w += k;
		q += k;
	} while ((unsigned char)*q >= 0x80);
	*o = w;
	return q;
}

/* escape() with CHECK for a NUL-terminated s, without a strlen pass first: the NUL ends the
 * last plain run as a control byte does. Every load is of a 16-byte aligned block that holds a
 * byte of s or its NUL (the bytes of the first block before s and those after the NUL are read
 * and ignored), so no read crosses a page that s does not reach; ASan would flag them, so
 * json_write_string() takes the strlen path under it. Room is made as the text comes. */
static int escape_scan(struct buf *out, const char *s)
{
	size_t len0 = out->len;
	const char *q = s;
	char *o, *lim;
	unsigned m, j;
	__m128i v;

	if (out->cap - out->len < 2 * SCAN_ROOM && buf_reserve(out, 2 * SCAN_ROOM) < 0)
		return -ENOMEM;
	o = out->data + out->len;
	lim = out->data + out->cap - SCAN_ROOM;
	*o++ = '"';
	for (;;) {
		if (o >= lim) {
			if (!(o = scan_grow(out, o)))
				goto fail;
			lim = out->data + out->cap - SCAN_ROOM;
		}
		if ((m = block_stops(q, &v)) != 0) {
			/* a stop before the end of q's block: the next may be past the NUL */
			j = (unsigned)__builtin_ctz(m);
			copy_short(o, q, j);
		} else {
			/* q's block has no stop from q on: its bytes from q, then the blocks after */
			j = (unsigned)((uintptr_t)q & 15);
			store16(o, j ? shift_down(v, j) : v);
			j = 16 - j;
			for (;;) {
				q += j;
				o += j;
				if (o >= lim) {
					if (!(o = scan_grow(out, o)))
						goto fail;
					lim = out->data + out->cap - SCAN_ROOM;
				}
				/* the second block only once the first has no stop (no NUL) */
				v = _mm_load_si128((const __m128i *)(const void *)q);
				store16(o, v);
				if ((m = stops16(v)) != 0)
					break;
				v = _mm_load_si128((const __m128i *)(const void *)(q + 16));
				store16(o + 16, v);
				if ((m = stops16(v) << 16) != 0)
					break;
				j = 32;
			}
			j = (unsigned)__builtin_ctz(m);
		}
		q += j;
		o += j;
		if (!*q)
			break;
		if ((unsigned char)*q >= 0x80) {
			if (!(q = scan_utf8(out, q, &o)))
				goto fail;
			lim = out->data + out->cap - SCAN_ROOM;
			continue;
		}
		o += escape_seq((unsigned char)*q++, o, 0);
	}
	*o++ = '"';
	*o = '\0';
	out->len = (size_t)(o - out->data);
	return 0;
fail:
	out->len = len0;
	out->data[len0] = '\0';
	return o ? -EILSEQ : -ENOMEM;
}
#endif

int json_write_stringn(struct buf *out, const char *s, size_t n)
{
	int rc;

	if (!s)
		return buf_append(out, "null", 4);
	rc = escape(out, s, n, CHECK);
	return rc == -EILSEQ ? write_cleaned(out, s, n) : rc;
}

int json_write_string_scan(struct buf *out, const char *s)
{
	int rc;

	if (!s)
		return buf_append(out, "null", 4);
#ifdef __SSE2__
	rc = escape_scan(out, s);
#else
	rc = escape(out, s, strlen(s), CHECK);
#endif
	return rc == -EILSEQ ? write_cleaned(out, s, strlen(s)) : rc;
}

/* Whether ASan watches this build: it would flag escape_scan()'s reads past the NUL. */
#if defined(__SANITIZE_ADDRESS__)
#define ASAN_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN_BUILD 1
#endif
#endif

int json_write_string(struct buf *out, const char *s)
{
#ifdef ASAN_BUILD
	return s ? json_write_stringn(out, s, strlen(s)) : buf_append(out, "null", 4);
#else
	return json_write_string_scan(out, s);
#endif
}

int json_write_string_jansson(struct buf *out, const char *s)
{
	size_t n;

	if (!s)
		return buf_append(out, "null", 4);
	n = strlen(s);
	if (!utf8_valid(s, n)) {
		s = "\xef\xbf\xbd";
		n = 3;
	}
	return escape(out, s, n, UPPER);
}

int json_write_key(struct buf *out, const char *key)
{
	int rc = buf_putc(out, '"');

	rc |= buf_puts(out, key);
	rc |= buf_append(out, "\":", 2);
	return rc ? -ENOMEM : 0;
}

int json_write_int(struct buf *out, int64_t v)
{
	char d[24], *p = d + sizeof d;
	/* the magnitude as unsigned: -INT64_MIN does not fit an int64_t */
	uint64_t m = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	do
		*--p = (char)('0' + m % 10);
	while ((m /= 10) != 0);
	if (v < 0)
		*--p = '-';
	return buf_append(out, p, (size_t)(d + sizeof d - p));
}
