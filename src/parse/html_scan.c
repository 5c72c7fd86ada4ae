/* SPDX-License-Identifier: MIT */
/* The byte scans of the text layout (html_layout.c, html_flat.c): where a run of text ends,
 * which pieces of text need no escaping and no collapsing, how much of the input is clean
 * UTF-8 (SSE2 where there is). */
#include "autoconfig.h"

#include "html_scan.h"

#include <stdint.h>
#include <string.h>

/* html_layout.c's run_span() sixteen bytes at a time with SSE2 (while seventeen are left: a space
 * needs the byte after it). */
size_t html_scan_run(const unsigned char *s, size_t run, size_t i, size_t n)
{
#ifdef __SSE2__
	while (n - i >= 17) {
		const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		unsigned sp = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')));
		unsigned stop = html_breaks16(s + i) & ~(sp & ~html_breaks16(s + i + 1));

		if (i == run)
			stop |= sp & 1;
		if (stop)
			return i + (size_t)__builtin_ctz(stop);
		i += 16;
	}
#else
	(void)s;
	(void)run;
	(void)n;
#endif
	return i;
}

/* Length of the valid UTF-8 sequence at s, or 0 when it is invalid or cut short. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char b = s[0];

	if (b < 0x80)
		return 1;
	if (b < 0xc2 || b > 0xf4)
		return 0;
	if (n < 2 || (s[1] & 0xc0) != 0x80)
		return 0;
	if (b < 0xe0)
		return 2;
	if (n < 3 || (s[2] & 0xc0) != 0x80 || (b == 0xe0 && s[1] < 0xa0) ||
	    (b == 0xed && s[1] > 0x9f))
		return 0;
	if (b < 0xf0)
		return 3;
	if (n < 4 || (s[3] & 0xc0) != 0x80 || (b == 0xf0 && s[1] < 0x90) ||
	    (b == 0xf4 && s[1] > 0x8f))
		return 0;
	return 4;
}

/* Length of the longest prefix that is valid UTF-8 without NUL; ASCII eight bytes at a time. */
size_t html_scan_utf8(const unsigned char *s, size_t n)
{
	const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
	size_t i = 0, l;
	uint64_t w, v;

	while (i < n) {
#ifdef __SSE2__
		/* thirty-two ASCII bytes without NUL at a time: most text, and all markup */
		for (; n - i >= 32; i += 32) {
			const __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
			const __m128i b =
			    _mm_loadu_si128((const __m128i *)(const void *)(s + i + 16));
			const __m128i z = _mm_setzero_si128();

			if (_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(a, _mm_cmpeq_epi8(a, z)),
							   _mm_or_si128(b, _mm_cmpeq_epi8(b, z)))))
				break;
		}
#endif
		/* sixteen ASCII bytes without NUL at a time */
		for (; n - i >= 16; i += 16) {
			memcpy(&w, s + i, 8);
			memcpy(&v, s + i + 8, 8);
			if ((w | v | ((w - ones) & ~w) | ((v - ones) & ~v)) & highs)
				break;
		}
		if (i == n)
			break;
		if (n - i >= 8) {
			memcpy(&w, s + i, 8);
			if (!(w & highs) && !((w - ones) & ~w & highs)) {
				i += 8;
				continue;
			}
		}
		if (s[i] == 0)
			return i;
		l = utf8_len(s + i, n - i);
		if (!l)
			return i;
		i += l;
	}
	return n;
}

int html_scan_simple_long(const unsigned char *s, size_t n)
{
#ifdef __SSE2__
	size_t i;

	for (i = 0; n - i >= 17; i += 16)
		if (html_not_simple16(s + i))
			return 0;
	return !html_not_simple16(s + n - 17);
#else
	(void)s;
	(void)n;
	return 0;
#endif
}
