/* SPDX-License-Identifier: MIT */
/* Character encodings of feed documents: choosing a document's encoding and converting it to
 * clean UTF-8, and repairing text that was encoded to UTF-8 twice. */
#include "autoconfig.h"

#include "charset.h"

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define NAME_MAX_LEN (sizeof(((struct charset_guess *)0)->name))
/* Longest incomplete multi-byte sequence iconv may leave between calls (GB18030 and UTF-32 need
 * 4, ISO-2022 escapes a few more). */
#define TAIL_MAX 16
/* utf8_seq(): the bytes so far are a valid prefix, but the sequence needs more. */
#define SEQ_SHORT ((size_t)-1)

/* windows-1252 for bytes 0x80-0x9F. The five undefined bytes map to the C1 control of the same
 * value, as browsers do: legal in XML 1.0 and never a reason to lose data. */
static const uint16_t cp1252_c1[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

/* ---- UTF-8 primitives ---- */

/* Decodes one strict UTF-8 sequence (no overlongs, surrogates or values above U+10FFFF) at p:
 * its length, 0 when p[0] cannot start one, or SEQ_SHORT when all n bytes are a valid but
 * incomplete prefix. Invalidity is decided at the first bad byte, so the answer never depends on
 * where the input was split. */
static size_t utf8_seq(const unsigned char *p, size_t n, unsigned *cp)
{
	unsigned b = p[0], lo = 0x80, hi = 0xBF, v;
	size_t len, i;

	if (b < 0x80) {
		*cp = b;
		return 1;
	}
	if (b < 0xC2) {
		return 0;
	} else if (b < 0xE0) {
		len = 2;
		v = b & 0x1F;
	} else if (b < 0xF0) {
		len = 3;
		v = b & 0x0F;
		if (b == 0xE0)
			lo = 0xA0;
		else if (b == 0xED)
			hi = 0x9F;
	} else if (b < 0xF5) {
		len = 4;
		v = b & 0x07;
		if (b == 0xF0)
			lo = 0x90;
		else if (b == 0xF4)
			hi = 0x8F;
	} else {
		return 0;
	}
	for (i = 1; i < len; i++) {
		if (i >= n)
			return SEQ_SHORT;
		if (p[i] < lo || p[i] > hi)
			return 0;
		v = v << 6 | (p[i] & 0x3F);
		lo = 0x80;
		hi = 0xBF;
	}
	*cp = v;
	return len;
}

#define ONES 0x0101010101010101ULL
#define HIGH 0x8080808080808080ULL

/* The index of the first byte at or after i that is not plain ASCII text (0x20-0x7F, tab, LF,
 * CR). Eight bytes at a time while they are all 0x20-0x7F: a byte is >= 0x80 when its top bit
 * is set, and below 0x20 when adding 0x60 leaves the top bit clear (no carries can cross bytes
 * once no top bit is set). */
static size_t ascii_span(const unsigned char *p, size_t i, size_t n)
{
#ifdef __SSE2__
	/* Sixteen bytes at a time where SSE2 is there (every x86-64): a signed compare below 0x20
	 * catches both the controls and the bytes >= 0x80; tab, LF and CR are then let through,
	 * so that line breaks do not stop the scan. */
	const __m128i sp = _mm_set1_epi8(0x20), tab = _mm_set1_epi8('\t'), lf = _mm_set1_epi8('\n'),
		      cr = _mm_set1_epi8('\r');

	/* sixty-four bytes per step while none is below 0x20 as a signed byte; a step that has
	 * some (a line break or two, mostly) looks at each of them */
	while (n - i >= 64) {
		__m128i l0 = _mm_cmplt_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + i)),
					    sp),
			l1 = _mm_cmplt_epi8(
			    _mm_loadu_si128((const __m128i *)(const void *)(p + i + 16)), sp),
			l2 = _mm_cmplt_epi8(
			    _mm_loadu_si128((const __m128i *)(const void *)(p + i + 32)), sp),
			l3 = _mm_cmplt_epi8(
			    _mm_loadu_si128((const __m128i *)(const void *)(p + i + 48)), sp);
		uint64_t m;

		if (!_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(l0, l1), _mm_or_si128(l2, l3)))) {
			i += 64;
			continue;
		}
		m = (uint64_t)(unsigned)_mm_movemask_epi8(l0) |
		    (uint64_t)(unsigned)_mm_movemask_epi8(l1) << 16 |
		    (uint64_t)(unsigned)_mm_movemask_epi8(l2) << 32 |
		    (uint64_t)(unsigned)_mm_movemask_epi8(l3) << 48;
		do {
			size_t j = i + (size_t)__builtin_ctzll(m);

			if (p[j] != '\n' && p[j] != '\r' && p[j] != '\t')
				return j;
			m &= m - 1;
		} while (m);
		i += 64;
	}
	while (n - i >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		__m128i low = _mm_cmplt_epi8(v, sp);
		unsigned m;

		if (!_mm_movemask_epi8(low)) {
			i += 16;
			continue;
		}
		m = (unsigned)_mm_movemask_epi8(_mm_andnot_si128(
			_mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, tab), _mm_cmpeq_epi8(v, lf)),
				     _mm_cmpeq_epi8(v, cr)),
			low));
		if (m)
			return i + (size_t)__builtin_ctz(m);
		i += 16;
	}
#endif
	for (;;) {
		size_t end;

		while (n - i >= 8) {
			uint64_t w;

			memcpy(&w, p + i, 8);
			if (((w | ~(w + 0x60 * ONES)) & HIGH) != 0)
				break;
			i += 8;
		}
		end = n - i > 8 ? i + 8 : n;
		for (; i < end; i++) {
			unsigned char b = p[i];

			if (b >= 0x80 || (b < 0x20 && b != '\t' && b != '\n' && b != '\r'))
				return i;
		}
		if (i == n)
			return n;
	}
}

size_t utf8_char_len(const char *s, size_t n)
{
	unsigned cp;
	size_t k = n ? utf8_seq((const unsigned char *)s, n, &cp) : 0;

	return k == SEQ_SHORT ? 0 : k;
}

/* Whether s[0..n) is valid UTF-8; with cut_ok, a last sequence cut short by the end is too. */
static int valid_upto(const char *s, size_t n, int cut_ok)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;
	unsigned cp;

	while (i < n) {
#ifdef __SSE2__
		while (n - i >= 16 &&
		       !_mm_movemask_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + i))))
			i += 16;
#endif
		while (n - i >= 8) {
			uint64_t w;

			memcpy(&w, p + i, 8);
			if (w & HIGH)
				break;
			i += 8;
		}
		if (i == n)
			break;
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		k = utf8_seq(p + i, n - i, &cp);
		if (k == SEQ_SHORT && cut_ok)
			return 1; /* a valid start of a sequence that runs past n */
		if (k == 0 || k == SEQ_SHORT)
			return 0;
		i += k;
	}
	return 1;
}

int utf8_valid(const char *s, size_t n)
{
	return valid_upto(s, n, 0);
}

/* Appends a code point unless XML 1.0 forbids it. C1 controls become their windows-1252
 * characters, as feedparser does: they are nearly always cp1252 punctuation that went through
 * a latin-1 decoder somewhere ("don\u0092t"). */
static int put_cp(struct buf *out, unsigned cp)
{
	if (cp < 0x20) {
		if (cp != '\t' && cp != '\n' && cp != '\r')
			return 0;
	} else if (cp >= 0x80 && cp < 0xA0) {
		cp = cp1252_c1[cp - 0x80];
	} else if (cp == 0xFFFE || cp == 0xFFFF) {
		return 0;
	}
	return buf_put_utf8(out, cp);
}

static unsigned cp1252_to_cp(unsigned char b)
{
	return b >= 0x80 && b < 0xA0 ? cp1252_c1[b - 0x80] : b;
}

const char *charset_fallback(const char *name, const char *s, size_t n, int whole)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i;

	if (strcmp(name, "UTF-8") != 0 || valid_upto(s, n, !whole))
		return name;
	/* Python's windows-1252 codec refuses the five bytes the code page leaves unassigned */
	for (i = 0; i < n; i++)
		if (p[i] == 0x81 || p[i] == 0x8D || p[i] == 0x8F || p[i] == 0x90 || p[i] == 0x9D)
			return "ISO-8859-2";
	return "WINDOWS-1252";
}

/* ---- name canonicalisation ---- */

struct alias {
	const char *key; /* upper case, letters and digits only */
	const char *name;
};

/* Names whose canonical form is not what iconv would call them. Decisions:
 * - ASCII is a subset of UTF-8 and "us-ascii" documents that are not ASCII are nearly always
 *   UTF-8 (a text/xml default), so they take the UTF-8 path with its windows-1252 fallback.
 * - latin-1 is read as windows-1252, as browsers and feedparser (its _cp1252 map) do.
 * - Legacy CJK names take the superset browsers use (GB18030, CP932 which keeps 0x5C a backslash
 *   unlike glibc's SJIS, CP949, Big5-HKSCS). */
static const struct alias aliases[] = {
    {"UTF8", "UTF-8"},
    {"UNICODE11UTF8", "UTF-8"},
    {"UNICODE20UTF8", "UTF-8"},
    {"XUNICODE20UTF8", "UTF-8"},
    {"USASCII", "UTF-8"},
    {"ASCII", "UTF-8"},
    {"US", "UTF-8"},
    {"ANSIX341968", "UTF-8"},
    {"ANSIX341986", "UTF-8"},
    {"ISO646US", "UTF-8"},
    {"ISO646IRV1991", "UTF-8"},
    {"ISOIR6", "UTF-8"},
    {"CP367", "UTF-8"},
    {"IBM367", "UTF-8"},
    {"CSASCII", "UTF-8"},
    {"ISO88591", "WINDOWS-1252"},
    {"ISO885911987", "WINDOWS-1252"},
    {"LATIN1", "WINDOWS-1252"},
    {"L1", "WINDOWS-1252"},
    {"ISOIR100", "WINDOWS-1252"},
    {"CP819", "WINDOWS-1252"},
    {"IBM819", "WINDOWS-1252"},
    {"CSISOLATIN1", "WINDOWS-1252"},
    {"WINDOWS1252", "WINDOWS-1252"},
    {"CP1252", "WINDOWS-1252"},
    {"XCP1252", "WINDOWS-1252"},
    {"MS1252", "WINDOWS-1252"},
    {"ISO88599", "WINDOWS-1254"},
    {"LATIN5", "WINDOWS-1254"},
    {"ISO885911", "WINDOWS-874"},
    {"TIS620", "WINDOWS-874"},
    {"DOS874", "WINDOWS-874"},
    {"CP874", "WINDOWS-874"},
    {"WINDOWS874", "WINDOWS-874"},
    {"GB2312", "GB18030"},
    {"GB231280", "GB18030"},
    {"CSGB2312", "GB18030"},
    {"EUCCN", "GB18030"},
    {"XEUCCN", "GB18030"},
    {"CHINESE", "GB18030"},
    {"ISOIR58", "GB18030"},
    {"GBK", "GB18030"},
    {"XGBK", "GB18030"},
    {"CP936", "GB18030"},
    {"MS936", "GB18030"},
    {"WINDOWS936", "GB18030"},
    {"GB18030", "GB18030"},
    {"SHIFTJIS", "CP932"},
    {"SJIS", "CP932"},
    {"XSJIS", "CP932"},
    {"MSKANJI", "CP932"},
    {"CSSHIFTJIS", "CP932"},
    {"WINDOWS31J", "CP932"},
    {"CSWINDOWS31J", "CP932"},
    {"CP932", "CP932"},
    {"MS932", "CP932"},
    {"XMSCP932", "CP932"},
    {"EUCKR", "CP949"},
    {"XEUCKR", "CP949"},
    {"CSEUCKR", "CP949"},
    {"KSC56011987", "CP949"},
    {"KSC5601", "CP949"},
    {"CSKSC56011987", "CP949"},
    {"ISOIR149", "CP949"},
    {"KOREAN", "CP949"},
    {"CP949", "CP949"},
    {"UHC", "CP949"},
    {"WINDOWS949", "CP949"},
    {"XWINDOWS949", "CP949"},
    {"EUCJP", "EUC-JP"},
    {"XEUCJP", "EUC-JP"},
    {"CSEUCPKDFMTJAPANESE", "EUC-JP"},
    {"ISO2022JP", "ISO-2022-JP"},
    {"CSISO2022JP", "ISO-2022-JP"},
    {"BIG5", "BIG5-HKSCS"},
    {"BIG5HKSCS", "BIG5-HKSCS"},
    {"CNBIG5", "BIG5-HKSCS"},
    {"XXBIG5", "BIG5-HKSCS"},
    {"CSBIG5", "BIG5-HKSCS"},
    {"CP950", "BIG5-HKSCS"},
    {"KOI8R", "KOI8-R"},
    {"CSKOI8R", "KOI8-R"},
    {"KOI8", "KOI8-R"},
    {"KOI8U", "KOI8-U"},
    {"KOI8RU", "KOI8-RU"},
    {"IBM866", "CP866"},
    {"CP866", "CP866"},
    {"866", "CP866"},
    {"CSIBM866", "CP866"},
    {"MACINTOSH", "MACINTOSH"},
    {"MAC", "MACINTOSH"},
    {"MACROMAN", "MACINTOSH"},
    {"XMACROMAN", "MACINTOSH"},
    {"CSMACINTOSH", "MACINTOSH"},
    {"UTF16", "UTF-16"},
    {"UTF16LE", "UTF-16LE"},
    {"UTF16BE", "UTF-16BE"},
    {"UCS2", "UTF-16"},
    {"ISO10646UCS2", "UTF-16"},
    {"CSUNICODE", "UTF-16"},
    {"UNICODE", "UTF-16"},
    {"U16", "UTF-16"},
    {"UTF32", "UTF-32"},
    {"UTF32LE", "UTF-32LE"},
    {"UTF32BE", "UTF-32BE"},
    {"UCS4", "UTF-32"},
    {"ISO10646UCS4", "UTF-32"},
    {"CSUCS4", "UTF-32"},
    {"U32", "UTF-32"},
    /* glibc internals and the locale's charset: never a document's encoding */
    {"WCHART", NULL},
    {"INTERNAL", NULL},
    {"CHAR", NULL},
    /* UTF-7 hides markup from filters (browsers dropped it for that) and glibc's stateful
     * decoder does not recover from bad input the same way at every chunk boundary */
    {"UTF7", NULL},
    {"UTF7IMAP", NULL},
    {"UNICODE11UTF7", NULL},
    {"CSUNICODE11UTF7", NULL},
};

static int is_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static unsigned char to_upper(unsigned char c)
{
	return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
}

static int iconv_knows(const char *name)
{
	iconv_t cd = iconv_open("UTF-8", name);

	if (cd == (iconv_t)-1)
		return 0;
	iconv_close(cd);
	return 1;
}

/* Canonical name for s[0..len) into name, or -ENOENT. Only letters, digits and ._-:+() pass,
 * so nothing from a document can smuggle "//IGNORE" or other iconv suffixes in. */
static int canon_name(const char *s, size_t len, char name[NAME_MAX_LEN])
{
	char key[NAME_MAX_LEN], up[NAME_MAX_LEN];
	size_t i, k = 0, u = 0;

	while (len && is_space((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len && is_space((unsigned char)s[len - 1]))
		len--;
	if (len >= 2 && (s[0] == '"' || s[0] == '\'') && s[len - 1] == s[0]) {
		s++;
		len -= 2;
	}
	if (len == 0 || len >= NAME_MAX_LEN)
		return -ENOENT;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!is_alnum(c) && c != '.' && c != '_' && c != '-' && c != ':' && c != '+' &&
		    c != '(' && c != ')')
			return -ENOENT;
		up[u++] = (char)to_upper(c);
		if (is_alnum(c))
			key[k++] = (char)to_upper(c);
	}
	up[u] = key[k] = '\0';

	for (i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
		if (strcmp(key, aliases[i].key) == 0) {
			if (!aliases[i].name)
				return -ENOENT;
			strcpy(up, aliases[i].name);
			goto found;
		}
	}
	if (strncmp(key, "ISO8859", 7) == 0 && k >= 8 && k <= 9 &&
	    strspn(key + 7, "0123456789") == k - 7)
		snprintf(up, sizeof up, "ISO-8859-%.2s", key + 7);
	else if (k == 11 && strncmp(key, "WINDOWS125", 10) == 0 && key[10] <= '8')
		snprintf(up, sizeof up, "WINDOWS-125%c", key[10]);
	else if ((k == 6 && strncmp(key, "CP125", 5) == 0 && key[5] <= '8') ||
		 (k == 7 && strncmp(key, "XCP125", 6) == 0 && key[6] <= '8'))
		snprintf(up, sizeof up, "WINDOWS-125%c", key[k - 1]);
found:
	if (strcmp(up, "UTF-8") != 0 && strcmp(up, "WINDOWS-1252") != 0 && !iconv_knows(up))
		return -ENOENT;
	memcpy(name, up, strlen(up) + 1);
	return 0;
}

/* Code-unit width of an encoding: 2 for the UTF-16 family, 4 for UTF-32, else 1 (ASCII-based
 * or unknown). Only names canon_name() produced reach here. */
static size_t name_unit(const char *name)
{
	if (strncmp(name, "UTF-16", 6) == 0)
		return 2;
	if (strncmp(name, "UTF-32", 6) == 0 || strncmp(name, "UCS-4", 5) == 0)
		return 4;
	return 1;
}

/* ---- detection ---- */

enum layout {
	LAYOUT_UNKNOWN,
	LAYOUT_ASCII, /* an ASCII-compatible encoding: the first character is ASCII */
	LAYOUT_UTF16LE,
	LAYOUT_UTF16BE,
	LAYOUT_UTF32LE,
	LAYOUT_UTF32BE,
	LAYOUT_EBCDIC,
};

static const char *const layout_names[] = {
    NULL, NULL, "UTF-16LE", "UTF-16BE", "UTF-32LE", "UTF-32BE", "IBM037",
};

static int is_ascii_char(unsigned char c)
{
	return c >= 0x20 ? c < 0x80 : is_space(c);
}

/* XML 1.0 Appendix F, generalised from "<?" to any ASCII first character so that documents
 * without a declaration are recognised too: a document never starts with a NUL. */
static enum layout sniff(const unsigned char *h, size_t n)
{
	if (n < 4)
		return n >= 1 && is_ascii_char(h[0]) ? LAYOUT_ASCII : LAYOUT_UNKNOWN;
	if (!h[0] && !h[1] && !h[2] && is_ascii_char(h[3]))
		return LAYOUT_UTF32BE;
	if (is_ascii_char(h[0]) && !h[1] && !h[2] && !h[3])
		return LAYOUT_UTF32LE;
	if (!h[0] && is_ascii_char(h[1]) && !h[2] && is_ascii_char(h[3]))
		return LAYOUT_UTF16BE;
	if (is_ascii_char(h[0]) && !h[1] && is_ascii_char(h[2]) && !h[3])
		return LAYOUT_UTF16LE;
	if (memcmp(h, "\x4C\x6F\xA7\x94", 4) == 0)
		return LAYOUT_EBCDIC;
	if (is_ascii_char(h[0]) && h[1] && h[2] && h[3])
		return LAYOUT_ASCII;
	return LAYOUT_UNKNOWN;
}

/* Whether a declared encoding can be what the first bytes are written in: a declared UTF-16 in a
 * document that starts with ASCII "<?xml" (or the reverse) is a mistake that would turn the whole
 * document into garbage, so the bytes win. */
static int layout_accepts(enum layout l, const char *name)
{
	size_t unit = name_unit(name);

	switch (l) {
	case LAYOUT_ASCII:
		return unit == 1;
	case LAYOUT_UTF16LE:
	case LAYOUT_UTF16BE:
		return unit == 2;
	case LAYOUT_UTF32LE:
	case LAYOUT_UTF32BE:
		return unit == 4;
	default:
		return 1;
	}
}

static size_t skip_ows(const char *s, size_t i)
{
	while (s[i] == ' ' || s[i] == '\t')
		i++;
	return i;
}

/* The charset parameter of a Content-Type (RFC 9110: parameters after ';', names
 * case-insensitive, values tokens or quoted strings). Also tolerates whitespace around '=' and
 * single quotes, which servers send and feedparser accepts. */
static int http_charset(const char *ct, char *val, size_t cap)
{
	size_t i = 0;

	while (ct[i] && ct[i] != ';')
		i++;
	while (ct[i] == ';') {
		size_t name = skip_ows(ct, i + 1), name_end, v = 0;
		int is_charset;

		i = name;
		while (ct[i] && ct[i] != '=' && ct[i] != ';' && ct[i] != ' ' && ct[i] != '\t')
			i++;
		name_end = i;
		is_charset = name_end - name == 7 && strncasecmp(ct + name, "charset", 7) == 0;
		i = skip_ows(ct, i);
		if (ct[i] != '=') {
			while (ct[i] && ct[i] != ';')
				i++;
			continue;
		}
		i = skip_ows(ct, i + 1);
		if (ct[i] == '"') {
			for (i++; ct[i] && ct[i] != '"'; i++) {
				if (ct[i] == '\\' && ct[i + 1])
					i++;
				if (v + 1 < cap)
					val[v++] = ct[i];
				else
					v = cap; /* too long for any name: mark as unusable */
			}
			if (ct[i] == '"')
				i++;
		} else {
			for (; ct[i] && ct[i] != ';' && ct[i] != ' ' && ct[i] != '\t'; i++) {
				if (v + 1 < cap)
					val[v++] = ct[i];
				else
					v = cap;
			}
		}
		while (ct[i] && ct[i] != ';')
			i++;
		if (is_charset && v > 0 && v < cap) {
			val[v] = '\0';
			return 1;
		}
	}
	return 0;
}

/* The encoding="..." value of an XML declaration at the start of h (ASCII view). */
static int xml_decl_encoding(const unsigned char *h, size_t n, char *val, size_t cap)
{
	size_t i = 0;

	while (i < n && is_space(h[i]))
		i++;
	if (n - i < 6 || memcmp(h + i, "<?xml", 5) != 0 || !is_space(h[i + 5]))
		return 0;
	for (i += 5; i < n && h[i] != '>'; i++) {
		size_t j, start;
		unsigned char q;

		if (n - i < 8 || memcmp(h + i, "encoding", 8) != 0 || !is_space(h[i - 1]))
			continue;
		for (j = i + 8; j < n && is_space(h[j]); j++)
			;
		if (j >= n || h[j] != '=')
			continue;
		for (j++; j < n && is_space(h[j]); j++)
			;
		if (j >= n || (h[j] != '"' && h[j] != '\''))
			return 0;
		q = h[j];
		start = ++j;
		while (j < n && h[j] != q && h[j] != '>' && j - start + 1 < cap)
			j++;
		if (j >= n || h[j] != q || j == start)
			return 0;
		memcpy(val, h + start, j - start);
		val[j - start] = '\0';
		return 1;
	}
	return 0;
}

static void guess_set(struct charset_guess *g, const char *name, enum charset_source src)
{
	snprintf(g->name, sizeof g->name, "%s", name);
	g->source = src;
}

int charset_detect(const char *content_type, const unsigned char *head, size_t n,
		   struct charset_guess *out)
{
	char val[64], name[NAME_MAX_LEN];
	enum layout l;

	memset(out, 0, sizeof *out);
	if (!head)
		n = 0;
	/* RFC 7303 section 3.3: a BOM beats everything. FF FE 00 00 is UTF-32LE, not UTF-16LE
	 * followed by a NUL that XML forbids anyway. */
	if (n >= 4 && memcmp(head, "\x00\x00\xFE\xFF", 4) == 0) {
		out->bom_len = 4;
		guess_set(out, "UTF-32BE", CHARSET_BOM);
	} else if (n >= 4 && memcmp(head, "\xFF\xFE\x00\x00", 4) == 0) {
		out->bom_len = 4;
		guess_set(out, "UTF-32LE", CHARSET_BOM);
	} else if (n >= 3 && memcmp(head, "\xEF\xBB\xBF", 3) == 0) {
		out->bom_len = 3;
		guess_set(out, "UTF-8", CHARSET_BOM);
	} else if (n >= 2 && memcmp(head, "\xFE\xFF", 2) == 0) {
		out->bom_len = 2;
		guess_set(out, "UTF-16BE", CHARSET_BOM);
	} else if (n >= 2 && memcmp(head, "\xFF\xFE", 2) == 0) {
		out->bom_len = 2;
		guess_set(out, "UTF-16LE", CHARSET_BOM);
	}
	if (out->bom_len)
		return 0;

	l = sniff(head, n);
	/* An unknown or contradicted HTTP charset falls through to the document's own word, as
	 * feedparser's list of encodings to try does. */
	if (content_type && http_charset(content_type, val, sizeof val) &&
	    canon_name(val, strlen(val), name) == 0 && layout_accepts(l, name)) {
		guess_set(out, layout_names[l] && l != LAYOUT_EBCDIC ? layout_names[l] : name,
			  CHARSET_HTTP);
		return 0;
	}
	if (layout_names[l]) {
		/* A declaration could only say which UTF-16/32; the bytes said it already. */
		guess_set(out, layout_names[l], CHARSET_SNIFFED);
		return 0;
	}
	if (xml_decl_encoding(head, n, val, sizeof val) &&
	    canon_name(val, strlen(val), name) == 0 && layout_accepts(l, name)) {
		guess_set(out, name, CHARSET_XMLDECL);
		return 0;
	}
	guess_set(out, "UTF-8", CHARSET_DEFAULT);
	return 0;
}

/* ---- streaming conversion ---- */

enum conv_kind {
	CONV_UTF8,   /* validated in place; bad bytes read as windows-1252 */
	CONV_CP1252, /* a table: also serves ISO-8859-1 */
	CONV_ICONV,
};

struct charset_conv {
	enum conv_kind kind;
	iconv_t cd;
	size_t unit; /* bytes skipped after an invalid sequence */
	size_t errors;
	size_t dropped; /* control characters XML forbids, removed */
	size_t tail_len;
	unsigned char tail[TAIL_MAX];
};

struct charset_conv *charset_conv_new(const char *from)
{
	char name[NAME_MAX_LEN];
	struct charset_conv *c;

	if (!from)
		from = "UTF-8";
	if (canon_name(from, strlen(from), name) < 0)
		return NULL;
	c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->unit = name_unit(name);
	c->cd = (iconv_t)-1;
	if (strcmp(name, "UTF-8") == 0) {
		c->kind = CONV_UTF8;
	} else if (strcmp(name, "WINDOWS-1252") == 0) {
		c->kind = CONV_CP1252;
	} else {
		c->kind = CONV_ICONV;
		c->cd = iconv_open("UTF-8", name);
		if (c->cd == (iconv_t)-1) {
			free(c);
			return NULL;
		}
	}
	return c;
}

void charset_conv_free(struct charset_conv *c)
{
	if (!c)
		return;
	if (c->cd != (iconv_t)-1)
		iconv_close(c->cd);
	free(c);
}

size_t charset_conv_errors(const struct charset_conv *c)
{
	return c ? c->errors : 0;
}

size_t charset_conv_dropped(const struct charset_conv *c)
{
	return c ? c->dropped : 0;
}

size_t charset_conv_pending(const struct charset_conv *c)
{
	return c ? c->tail_len : 0;
}

/* The length of the character s[0..n) starts with (s[0] >= 0x80) when it is one that
 * utf8_convert() keeps as it is and one of the common kinds: two bytes from U+00A0 (not a C1
 * control), three bytes led by 0xE1-0xEC or 0xEE (no overlong form, surrogate or noncharacter
 * U+FFFE/U+FFFF among them). 0 for anything else, which utf8_seq() reads. */
static inline size_t plain_seq(const unsigned char *s, size_t n)
{
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		return n >= 2 && (s[1] & 0xC0) == 0x80 && (s[0] != 0xC2 || s[1] >= 0xA0) ? 2 : 0;
	if ((s[0] >= 0xE1 && s[0] <= 0xEC) || s[0] == 0xEE)
		return n >= 3 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80 ? 3 : 0;
	return 0;
}

/* Appends p[0..n) as UTF-8, copying valid runs whole and stopping only at bytes that change:
 * invalid ones (windows-1252 when cp1252 is set, else U+FFFD), forbidden characters and C1
 * controls. An incomplete sequence at the end is left unconsumed unless final; *used says how
 * far it got. */
static int utf8_convert(struct charset_conv *c, const unsigned char *p, size_t n, int final,
			int cp1252, struct buf *out, size_t *used, int *unchanged)
{
	size_t i = 0, run = 0, k;
	unsigned cp;
	int rc = 0;

	for (;;) {
		i = ascii_span(p, i, n);
		/* the characters of a run outside ASCII one after the other, most of them two- and
		 * three-byte ones that stay as they are (plain_seq), back to ascii_span after it */
		while (i < n && p[i] >= 0x80 && (k = plain_seq(p + i, n - i)) != 0)
			i += k;
		if (i == n)
			break;
		if (p[i] < 0x80 && (p[i] >= 0x20 || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
			continue;
		if (p[i] < 0x80) {
			k = 1; /* a C0 control: dropped */
			cp = 0;
			c->dropped++;
		} else {
			k = utf8_seq(p + i, n - i, &cp);
			if (k == SEQ_SHORT && !final)
				break;
			if (k == 0) {
				c->errors++;
				k = 1;
				cp = cp1252 ? cp1252_to_cp(p[i]) : 0xFFFD;
			} else if (k == SEQ_SHORT) {
				c->errors++;
				k = n - i;
				cp = 0xFFFD;
			} else if (cp >= 0xA0 && cp != 0xFFFE && cp != 0xFFFF) {
				i += k;
				continue; /* valid and unchanged: part of the run */
			}
		}
		if (i > run && (rc = buf_append(out, p + run, i - run)) < 0)
			return rc;
		if (cp && (rc = put_cp(out, cp)) < 0)
			return rc;
		i += k;
		run = i;
	}
	/* nothing changed: the caller may take p[0..i) itself instead of a copy */
	if (unchanged && run == 0) {
		*unchanged = 1;
		*used = i;
		return 0;
	}
	if (i > run && (rc = buf_append(out, p + run, i - run)) < 0)
		return rc;
	*used = i;
	return 0;
}

static int feed_utf8(struct charset_conv *c, const unsigned char *in, size_t n, int final,
		     struct buf *out, const char **view, size_t *view_len)
{
	size_t used;
	int rc, unchanged = 0;

	/* Finish a carried sequence a byte at a time: at most three rounds, and what stays
	 * carried is always an incomplete sequence of at most three bytes. */
	while (c->tail_len && n) {
		c->tail[c->tail_len++] = *in++;
		n--;
		rc = utf8_convert(c, c->tail, c->tail_len, final && !n, 1, out, &used, NULL);
		if (rc < 0)
			return rc;
		c->tail_len -= used;
		memmove(c->tail, c->tail + used, c->tail_len);
	}
	if (c->tail_len) {
		if (!final)
			return 0;
		rc = utf8_convert(c, c->tail, c->tail_len, 1, 1, out, &used, NULL);
		c->tail_len = 0;
		return rc;
	}
	/* with nothing in out yet, unchanged input is handed out as it is */
	rc = utf8_convert(c, in, n, final, 1, out, &used, view && !out->len ? &unchanged : NULL);
	if (rc < 0)
		return rc;
	if (unchanged) {
		*view = (const char *)in;
		*view_len = used;
	}
	c->tail_len = n - used;
	memcpy(c->tail, in + used, c->tail_len);
	return 0;
}

static int feed_cp1252(struct charset_conv *c, const unsigned char *p, size_t n, struct buf *out)
{
	size_t i = 0, run = 0;
	int rc;

	for (;;) {
		i = ascii_span(p, i, n);
		if (i == n)
			break;
		if (i > run && (rc = buf_append(out, p + run, i - run)) < 0)
			return rc;
		if (p[i] < 0x20)
			c->dropped++; /* put_cp drops it */
		if ((rc = put_cp(out, cp1252_to_cp(p[i]))) < 0)
			return rc;
		run = ++i;
	}
	if (i > run)
		return buf_append(out, p + run, i - run);
	return 0;
}

/* iconv's output is UTF-8 already, but it goes through the same filter for forbidden
 * characters (a UTF-16 NUL, U+FFFF) and C1 controls, and so nothing unchecked leaves. */
static int flush_scratch(struct charset_conv *c, const char *s, size_t n, struct buf *out)
{
	size_t used;

	return utf8_convert(c, (const unsigned char *)s, n, 1, 0, out, &used, NULL);
}

static int feed_iconv(struct charset_conv *c, const unsigned char *in, size_t n, int final,
		      struct buf *out)
{
	char scratch[4096], *ip, *op;
	unsigned char *joined = NULL;
	size_t left = n, oleft, r, skip;
	int rc = 0, e;

	if (c->tail_len) {
		/* One copy per call that has a carried tail; simpler than splicing and iconv is
		 * far slower than memcpy anyway. */
		joined = malloc(c->tail_len + n);
		if (!joined)
			return -ENOMEM;
		memcpy(joined, c->tail, c->tail_len);
		if (n)
			memcpy(joined + c->tail_len, in, n);
		in = joined;
		left = c->tail_len + n;
		c->tail_len = 0;
	}
	ip = (char *)in;
	while (left > 0) {
		op = scratch;
		oleft = sizeof scratch;
		r = iconv(c->cd, &ip, &left, &op, &oleft);
		e = errno;
		if ((rc = flush_scratch(c, scratch, (size_t)(op - scratch), out)) < 0)
			goto done;
		if (r != (size_t)-1)
			break;
		if (e == E2BIG && op != scratch)
			continue;
		if (e == EINVAL && !final && left <= TAIL_MAX) {
			memcpy(c->tail, ip, left);
			c->tail_len = left;
			break;
		}
		/* EILSEQ (or an incomplete sequence at the very end, or anything unexpected): one
		 * U+FFFD and skip a code unit, so every round makes progress. */
		c->errors++;
		if ((rc = buf_put_utf8(out, 0xFFFD)) < 0)
			goto done;
		skip = e == EINVAL && final ? left : (c->unit < left ? c->unit : left);
		ip += skip;
		left -= skip;
	}
	if (final) {
		op = scratch;
		oleft = sizeof scratch;
		iconv(c->cd, NULL, NULL, &op, &oleft);
		rc = flush_scratch(c, scratch, (size_t)(op - scratch), out);
		iconv(c->cd, NULL, NULL, NULL, NULL);
	}
done:
	free(joined);
	return rc;
}

int charset_conv_feed(struct charset_conv *c, const char *in, size_t n, int final, struct buf *out)
{
	return charset_conv_view(c, in, n, final, out, NULL, NULL);
}

int charset_conv_view(struct charset_conv *c, const char *in, size_t n, int final, struct buf *out,
		      const char **res, size_t *reslen)
{
	const unsigned char *p = (const unsigned char *)in;
	const char *view = NULL;
	size_t view_len = 0;
	int rc;

	if (!c || !out || (!in && n))
		return -EINVAL;
	if (!in)
		p = (const unsigned char *)"";
	if (res) {
		buf_reset(out);
		rc = c->kind == CONV_UTF8 ? feed_utf8(c, p, n, final, out, &view, &view_len)
		     : c->kind == CONV_CP1252 ? feed_cp1252(c, p, n, out)
					      : feed_iconv(c, p, n, final, out);
		*res = view ? view : out->data ? out->data : "";
		*reslen = view ? view_len : out->len;
		return rc;
	}
	switch (c->kind) {
	case CONV_UTF8:
		return feed_utf8(c, p, n, final, out, NULL, NULL);
	case CONV_CP1252:
		return feed_cp1252(c, p, n, out);
	default:
		return feed_iconv(c, p, n, final, out);
	}
}

/* ---- double-encoding repair ---- */

/* The windows-1252 / latin-1 byte a code point came from, or -1. */
static int mojibake_byte(unsigned cp)
{
	int i;

	if (cp >= 0x80 && cp <= 0xFF)
		return (int)cp;
	for (i = 0; i < 32; i++)
		if (cp1252_c1[i] == cp)
			return 0x80 + i;
	return -1;
}

/* How believable cp is as the result of undoing mojibake, given its UTF-8 length: 2 = yes,
 * 1 = only with company, 0 = no. Real latin-1 text can chain into valid UTF-8 by accident (an
 * accented capital or "ß" before a quote or NBSP, "é" + NBSP + "»" in French typography), but
 * then it decodes to scripts like NKo or Samaritan or to one lone CJK ideograph, not to the
 * Latin, Greek, Cyrillic, Hebrew, Arabic, punctuation and symbols that real mojibake hides. */
static int plausible(unsigned cp, size_t len)
{
	if (len == 2) {
		if ((cp >= 0xA0 && cp <= 0x24F) || (cp >= 0x300 && cp <= 0x52F) ||
		    (cp >= 0x5D0 && cp <= 0x5EA) || (cp >= 0x600 && cp <= 0x6FF))
			return 2;
		return 0;
	}
	if (len == 3) {
		if ((cp >= 0x2000 && cp <= 0x206F) || (cp >= 0x20A0 && cp <= 0x20CF) ||
		    (cp >= 0x2100 && cp <= 0x22FF) || (cp >= 0x2500 && cp <= 0x27BF) ||
		    cp == 0xFEFF)
			return 2;
		if ((cp >= 0xE000 && cp <= 0xF8FF) || cp == 0xFFFE || cp == 0xFFFF)
			return 0;
		return 1;
	}
	return 2; /* four bytes: emoji and the like; "ð" + three symbols is never real text */
}

/* Whether the bytes of one run decode to believable UTF-8. */
static int run_repairs(const unsigned char *b, size_t n)
{
	size_t i = 0, k, count = 0;
	int weak = 0, p;
	unsigned cp;

	while (i < n) {
		k = utf8_seq(b + i, n - i, &cp);
		if (k == 0 || k == SEQ_SHORT || k == 1)
			return 0;
		p = plausible(cp, k);
		if (p == 0)
			return 0;
		weak |= p == 1;
		count++;
		i += k;
	}
	return count >= 2 || !weak;
}

/* Repairs maximal runs of non-ASCII characters that have windows-1252 bytes, each on its own:
 * ASCII never takes part in a multi-byte sequence, so splitting there loses nothing, and a
 * title that mixes correct "–" or CJK with "FÃ³rmula" still gets its mojibake fixed. A run is
 * replaced only when all of its bytes decode, so "Café" (E9 alone) and "naïve" stay. */
/* Repairs s (or, with dry set, only says whether it would, without copying anything). */
static int fix_runs(struct buf *s, int drop_a0, int dry)
{
	struct buf res = BUF_INIT, run = BUF_INIT;
	const unsigned char *p;
	size_t i = 0, copied = 0, start, k;
	unsigned cp;
	int fixed = 0, b;

	if (!s || !s->len || !utf8_valid(s->data, s->len))
		return 0;
	p = (const unsigned char *)s->data;
	while (i < s->len) {
		if (p[i] < 0x80) {
			i = ascii_span(p, i + 1, s->len); /* to the next byte >= 0x80 or control */
			continue;
		}
		if (p[i] == 0xC3 && p[i + 1] == 0x82 && i + 2 < s->len && p[i + 2] == ' ' &&
		    (drop_a0 || (i > 0 && p[i - 1] != ' ' && p[i - 1] != '\t' && p[i - 1] != '\n'))) {
			/* "Â " is a mojibake NBSP whose A0 byte some editor already turned into a
			 * space (ftfy's restore_byte_a0): the space is what was meant. Trusted when
			 * the Â is glued to a word ("2023Â ") or the text holds other mojibake; a
			 * lone "Â " (the letter itself, &Acirc;) stays. */
			if (dry)
				goto found;
			if (buf_append(&res, p + copied, i - copied) < 0)
				goto fail;
			i += 2;
			copied = i;
			fixed = 1;
			continue;
		}
		start = i;
		buf_reset(&run);
		while (i < s->len && p[i] >= 0x80) {
			if (p[i] == 0xC3 && p[i + 1] == 0x82 && i + 2 < s->len && p[i + 2] == ' ' &&
			    (drop_a0 || (i > 0 && p[i - 1] < 0x80 && p[i - 1] != ' ')))
				break;
			k = utf8_seq(p + i, s->len - i, &cp);
			b = mojibake_byte(cp);
			if (b < 0)
				break;
			if (buf_putc(&run, (char)b) < 0)
				goto fail;
			i += k;
		}
		if (i == start) {
			i += utf8_seq(p + i, s->len - i, &cp); /* no windows-1252 byte: keep it */
			continue;
		}
		if (!run_repairs((const unsigned char *)run.data, run.len))
			continue;
		if (dry)
			goto found;
		if (buf_append(&res, p + copied, start - copied) < 0 ||
		    buf_append(&res, run.data, run.len) < 0)
			goto fail;
		copied = i;
		fixed = 1;
	}
	if (fixed) {
		if (buf_append(&res, p + copied, s->len - copied) < 0)
			goto fail;
		buf_fini(s);
		*s = res;
	} else {
		buf_fini(&res);
	}
	buf_fini(&run);
	return fixed;
found:
	buf_fini(&run);
	return 1;
fail:
	/* Out of memory: leave the text as it was; it is still valid UTF-8. */
	buf_fini(&res);
	buf_fini(&run);
	return 0;
}

int charset_fix_double_utf8(struct buf *s)
{
	/* a repaired run starts with a UTF-8 lead byte read as U+00C2..U+00F4, whose own UTF-8
	 * starts with 0xC3 (so does the "Â " rule): text without that byte has nothing to repair */
	if (!s || !s->len || !memchr(s->data, 0xC3, s->len))
		return 0;
	/* first a dry pass without the "Â " rule: is there mojibake at all? Most text has none,
	 * and then nothing is copied */
	if (!fix_runs(s, 0, 1))
		return 0;
	return fix_runs(s, 1, 0);
}
