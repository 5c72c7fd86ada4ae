/* SPDX-License-Identifier: MIT */
/* The byte scans of the text layout (SSE2 where there is, else plain C);
 * the ones made per piece of text are inline. */
#ifndef FEEDSPOOL_HTML_SCAN_H
#define FEEDSPOOL_HTML_SCAN_H

#include <stddef.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>

/* The bytes of the 16 at s that end a run of text (blanks, controls, 0xC2), as a mask. */
static inline unsigned html_breaks16(const unsigned char *s)
{
	const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);

	return (unsigned)_mm_movemask_epi8(
	    _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(' ')), v),
			 _mm_cmpeq_epi8(v, _mm_set1_epi8((char)0xc2))));
}

/* The bytes of the 16 at s (the 16 after it at s + 1) that keep a piece from being simple:
 * what HTML escapes, and what ends a run of text but a single space between word bytes. */
static inline unsigned html_not_simple16(const unsigned char *s)
{
	const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);
	__m128i m = _mm_cmpeq_epi8(v, _mm_set1_epi8('&'));

	m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8('<')));
	m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8('>')));
	m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f)));
	return (unsigned)_mm_movemask_epi8(m) |
	       (html_breaks16(s) &
		~((unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(' '))) &
		  ~html_breaks16(s + 1)));
}
#endif

/* Where the run of text that starts at run and has reached i ends, sixteen bytes at a time
 * while seventeen are left (a space needs the byte after it): the first byte from i that is a
 * blank, a control or 0xC2 but a single space between word bytes, or a space at the run's
 * start; i itself without SSE2, or where fewer are left (the caller's loops go on from there). */
size_t html_scan_run(const unsigned char *s, size_t run, size_t i, size_t n);

/* Length of the longest prefix of s[0..n) that is valid UTF-8 without NUL. */
size_t html_scan_utf8(const unsigned char *s, size_t n);

/* html_scan_simple() of more than sixteen bytes whose first and last bytes are checked. */
int html_scan_simple_long(const unsigned char *s, size_t n);

/*
 * Whether s[0..n) is a simple piece (n > 0): nothing to escape in HTML (no & < > DEL, no
 * control), no blank but single spaces between word bytes, no 0xC2. Such a piece is one run
 * of text and its own HTML: most text is. The first and last bytes first (a piece of text
 * often ends with a line break); up to sixteen bytes from a copy with NULs after them (a NUL
 * is no word byte), more sixteen at a time. 0 without SSE2 (the general path is taken).
 */
static inline int html_scan_simple(const unsigned char *s, size_t n)
{
#ifdef __SSE2__
	unsigned char b, tail[32];

	if (!n || s[0] == ' ')
		return 0;
	b = s[n - 1];
	if (b <= ' ' || b == 0xc2 || b == '&' || b == '<' || b == '>' || b == 0x7f)
		return 0;
	if (n > 16)
		return html_scan_simple_long(s, n);
	memset(tail, 0, sizeof tail);
	memcpy(tail, s, n);
	return !(html_not_simple16(tail) & ((1U << n) - 1));
#else
	(void)s;
	(void)n;
	return 0;
#endif
}

#endif
