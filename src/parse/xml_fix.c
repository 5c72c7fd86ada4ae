/* SPDX-License-Identifier: MIT */
/* Bare ampersands and "&#X" references repaired in the XML byte stream, chunk by chunk, and
 * escaped element text rewritten as CDATA sections (xml_fix.h says why and when). */
#include "autoconfig.h"

#include "xml_fix.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

enum { S_TEXT, S_COMMENT, S_CDATA, S_PI, S_TAG };

/* A reference's name is rarely longer; a longer "name" is taken for text. */
#define REF_NAME_MAX 64

void xml_fix_init(struct xml_fix *f)
{
	memset(f, 0, sizeof *f);
}

void xml_fix_fini(struct xml_fix *f)
{
	buf_fini(&f->carry);
	buf_fini(&f->out);
	buf_fini(&f->work);
	free(f->pieces);
}

/* Bytes of names and tags, one load per byte: 1 a name may start with it (a letter, '_', ':',
 * any byte >= 0x80), 2 a name may hold it (those, digits, '-' and '.'), 4 a tag's name may end
 * with it ('>', '/', blanks), 8 markup without a name may start with it after '<' ('/', '!',
 * '?'). */
static const unsigned char name_class[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 4, 0, 0, 4, 0, 0,  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    4, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 12, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 0, 0, 0, 4, 8,
    0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,  3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 0, 0, 0, 0, 3,
    0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,  3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 0, 0, 0, 0, 0,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,  3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,  3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,  3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,  3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
};

static int name_start(unsigned char b)
{
	return name_class[b] & 1;
}

static int name_char(unsigned char b)
{
	return name_class[b] & 2;
}

static int hex_digit(unsigned char b)
{
	return (b >= '0' && b <= '9') || ((b | 0x20) >= 'a' && (b | 0x20) <= 'f');
}

/* What the '&' at s[0] starts: the reference's length, 0 for a bare '&', or -1 when the bytes
 * end before that is known. */
static long ref_len(const unsigned char *s, size_t n)
{
	size_t i = 1, k;

	/* escaped markup is mostly "&lt;" and "&gt;" */
	if (n >= 4 && (s[1] == 'l' || s[1] == 'g') && s[2] == 't' && s[3] == ';')
		return 4;
	if (i >= n)
		return -1;
	if (s[i] == '#') {
		int hex;

		if (++i >= n)
			return -1;
		hex = s[i] == 'x' || s[i] == 'X';
		i += hex;
		for (k = i;
		     i < n && i - k <= 8 && (hex ? hex_digit(s[i]) : s[i] >= '0' && s[i] <= '9');
		     i++)
			;
		if (i >= n)
			return -1;
		return i > k && s[i] == ';' ? (long)i + 1 : 0;
	}
	if (!name_start(s[i]))
		return 0;
	for (k = i; i < n && i - k <= REF_NAME_MAX && name_char(s[i]); i++)
		;
	if (i >= n)
		return -1;
	return s[i] == ';' ? (long)i + 1 : 0;
}

/* Index just past needle (2 or 3 bytes) at or after i, or 0 when it is not there. */
static size_t find_end(const char *s, size_t n, size_t i, const char *needle, size_t l)
{
	const char *p;

	while (i + l <= n && (p = memchr(s + i, needle[0], n - i - l + 1))) {
		i = (size_t)(p - s);
		if (memcmp(p, needle, l) == 0)
			return i + l;
		i++;
	}
	return 0;
}

/* A new piece of the given kind, at out's end (in_out) or at s[at..at + len); NULL on ENOMEM. */
static struct xml_fix_piece *add_piece(struct xml_fix *f, int kind, int in_out, size_t at,
				       size_t len)
{
	struct xml_fix_piece *m;

	if (f->npieces == f->cappieces) {
		size_t cap = f->cappieces ? 2 * f->cappieces : 16;

		m = realloc(f->pieces, cap * sizeof *m);
		if (!m)
			return NULL;
		f->pieces = m;
		f->cappieces = cap;
	}
	m = &f->pieces[f->npieces++];
	m->kind = kind;
	m->in_out = in_out;
	m->at = in_out ? f->out.len : at;
	m->len = len;
	m->orig = m->orig_len = 0;
	return m;
}

/* Appends p[0..n) to the piece of out's bytes being written (a new one when the last piece is
 * another). */
static int put_out(struct xml_fix *f, const char *p, size_t n)
{
	struct xml_fix_piece *m = f->npieces ? &f->pieces[f->npieces - 1] : NULL;

	if ((!m || m->kind != XML_FIX_BYTES || !m->in_out) &&
	    !(m = add_piece(f, XML_FIX_BYTES, 1, 0, 0)))
		return -ENOMEM;
	m->len += n;
	return buf_append(&f->out, p, n);
}

/* Hands on s[*done..upto) and then rep: unchanged bytes as a piece of the input's own, or,
 * when they are few and join the out's bytes before or after them, copied there. */
static int emit(struct xml_fix *f, const char *s, size_t *done, size_t upto, const char *rep,
		size_t replen)
{
	size_t n = upto - *done;
	const struct xml_fix_piece *m = f->npieces ? &f->pieces[f->npieces - 1] : NULL;
	int err = 0;

	if (n >= XML_FIX_COPY_MAX ||
	    (n && !replen && (!m || m->kind != XML_FIX_BYTES || !m->in_out))) {
		if (!add_piece(f, XML_FIX_BYTES, 0, *done, n))
			err = -ENOMEM;
	} else if (n) {
		err = put_out(f, s + *done, n);
	}
	if (!err && replen)
		err = put_out(f, rep, replen);
	*done = upto;
	return err;
}

/* The index of the first of the bytes a..e at or after i, n when none (pass a byte twice to
 * look for fewer). */
static inline __attribute__((always_inline)) size_t find_any(const char *s, size_t n, size_t i,
							     char a, char b, char c, char d, char e)
{
#ifdef __SSE2__
	const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b), vc = _mm_set1_epi8(c),
		      vd = _mm_set1_epi8(d), ve = _mm_set1_epi8(e);

	while (n - i >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		__m128i hit =
		    _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, va), _mm_cmpeq_epi8(v, vb)),
				 _mm_or_si128(_mm_cmpeq_epi8(v, vc), _mm_cmpeq_epi8(v, vd)));
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(hit, _mm_cmpeq_epi8(v, ve)));

		if (m)
			return i + (size_t)__builtin_ctz(m);
		i += 16;
	}
#endif
	for (; i < n; i++)
		if (s[i] == a || s[i] == b || s[i] == c || s[i] == d || s[i] == e)
			return i;
	return n;
}

/* The character a predefined entity reference of length r at s stands for, or 0. */
static char predefined(const char *s, long r)
{
	if (r == 4 && s[2] == 't')
		return s[1] == 'l' ? '<' : s[1] == 'g' ? '>' : 0;
	if (r == 5 && !memcmp(s, "&amp;", 5))
		return '&';
	if (r == 6 && !memcmp(s, "&quot;", 6))
		return '"';
	if (r == 6 && !memcmp(s, "&apos;", 6))
		return '\'';
	return 0;
}

/* The character a numeric reference of length r at s stands for when libxml2 accepts it (an
 * XML Char), else 0. */
static unsigned char_ref(const char *s, long r)
{
	int hex = s[2] == 'x' || s[2] == 'X';
	unsigned v = 0;
	long j;

	for (j = 2 + hex; j < r - 1; j++) {
		unsigned d = (unsigned char)s[j];

		d = d <= '9' ? d - '0' : (d | 0x20) - 'a' + 10;
		v = hex ? v * 16 + d : v * 10 + d;
		if (v > 0x10FFFF)
			return 0;
	}
	if (v == 0x9 || v == 0xA || v == 0xD || (v >= 0x20 && v <= 0xD7FF) ||
	    (v >= 0xE000 && v <= 0xFFFD) || v >= 0x10000)
		return v;
	return 0;
}

/* Writes cp as UTF-8 at o; returns the end. */
static char *put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		*o++ = (char)cp;
	} else if (cp < 0x800) {
		*o++ = (char)(0xC0 | cp >> 6);
		*o++ = (char)(0x80 | (cp & 0x3F));
	} else if (cp < 0x10000) {
		*o++ = (char)(0xE0 | cp >> 12);
		*o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
		*o++ = (char)(0x80 | (cp & 0x3F));
	} else {
		*o++ = (char)(0xF0 | cp >> 18);
		*o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
		*o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
		*o++ = (char)(0x80 | (cp & 0x3F));
	}
	return o;
}

int xml_fix_orig(const struct xml_fix *f, const struct xml_fix_piece *m, struct buf *out)
{
	const char *s = f->in, *amp;
	size_t from = m->orig, to = m->orig + m->orig_len, k;
	int err = 0;

	/* the text as it would have gone without the section: a bare '&' repaired */
	buf_reset(out);
	while (!err && from < to) {
		amp = memchr(s + from, '&', to - from);
		k = amp ? (size_t)(amp - s) : to;
		err = buf_append(out, s + from, k - from);
		if (!err && k < to)
			err = ref_len((const unsigned char *)s + k, to - k) > 0
				  ? buf_append(out, "&", 1)
				  : buf_append(out, "&amp;", 5);
		from = k + 1;
	}
	return err;
}

/* The four bytes at p as one word (in the machine's byte order). */
static inline uint32_t word4(const char *p)
{
	uint32_t w;

	memcpy(&w, p, 4);
	return w;
}

/* Copies s[i..) to o up to the first '&', '<', CR or ']' (or n), whose index it returns: sixteen
 * bytes per step where SSE2 is there, each step stored whole before its stop is looked for, so
 * o must have room for n - i bytes (the bytes past the stop are written over later). */
static inline size_t copy_text(const char *s, size_t n, size_t i, char *o)
{
	const char *p = s + i, *end = s + n;

#ifdef __SSE2__
	const __m128i amp = _mm_set1_epi8('&'), lt = _mm_set1_epi8('<'), cr = _mm_set1_epi8('\r'),
		      rsb = _mm_set1_epi8(']');

	while (end - p >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		unsigned m;

		_mm_storeu_si128((__m128i *)(void *)o, v);
		m = (unsigned)_mm_movemask_epi8(
		    _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, amp), _mm_cmpeq_epi8(v, lt)),
				 _mm_or_si128(_mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, rsb))));
		if (m)
			return (size_t)(p - s) + (size_t)__builtin_ctz(m);
		p += 16;
		o += 16;
	}
#endif
	for (; p < end && *p != '&' && *p != '<' && *p != '\r' && *p != ']'; p++)
		*o++ = *p;
	return (size_t)(p - s);
}

/* The reference at s[i] that wrap_run()'s quick checks leave (or a bare '&'), decoded at *o:
 * its length; 0 when the section ends before it (another kind of reference, one libxml2 rejects,
 * "&#X", or one the bytes cut short). */
static long other_ref(struct xml_fix *f, const char *s, size_t n, size_t i, int final, char **o)
{
	long r = ref_len((const unsigned char *)s + i, n - i);
	unsigned cp;
	char c;

	if (r < 0 && !final)
		return 0;
	if (r <= 0) {
		/* a bare '&' is text as it is (and a reference to libxml2 without us) */
		f->bare++;
		*(*o)++ = '&';
		return 1;
	}
	if (s[i + 1] == '#') {
		/* a numeric reference libxml2 accepts: its character (which the reference's bytes
		 * never outgrow); &#X is read as &#x */
		if (s[i + 2] == 'X' || !(cp = char_ref(s + i, r)))
			return 0;
		*o = put_utf8(*o, cp);
		return r;
	}
	if (!(c = predefined(s + i, r)))
		return 0;
	*(*o)++ = c;
	return r;
}

/* Where a section that must stop at s[i] short of the run's end (a CR, a raw "]]>", the end of
 * the bytes) ends instead: at a point from which libxml2, reading the rest afresh, does as it
 * would have done without the section. That is the end of the last reference (ref_in: libxml2
 * begins a new piece of text there), or the first byte of the last character >= 0x80 after it
 * (libxml2 reads text from its first such character on in its slow path, which keeps a raw
 * "]]>" and the text before it; afresh at that character it is in that path at once). The
 * bytes since ref_in are in the section as they are. */
static size_t back_to(const char *s, size_t ref_in, size_t i)
{
	while (i > ref_in && (unsigned char)s[i - 1] < 0xC0)
		i--;
	return i > ref_in ? i - 1 : ref_in;
}

/* Writes the text run from s[i] (a predefined reference, or the first byte of a character >=
 * 0x80, the run's text before it left to libxml2) into a CDATA section, its references decoded,
 * until something a section cannot hold as it is: the end of the run ('<'), another kind of
 * reference, a CR (libxml2 normalises line ends in text only), a raw "]]>" (an error libxml2
 * must report) or a ']' in the last two bytes (perhaps one), or the end of the bytes. libxml2
 * then reads the run in one piece instead of one callback per reference, and never reads its
 * characters >= 0x80 one by one in its slow path. Returns where the section ended (i when it
 * would be empty: no section); *stop: where the scan stopped (libxml2 reads the bytes from the
 * section's end to there as written). */
static size_t wrap_run(struct xml_fix *f, const char *s, size_t n, size_t i, int final,
		       size_t *done, size_t *stop, int *err)
{
	size_t len, k, ref_in, from = i;
	struct xml_fix_piece *m;
	char *o, *ref_out;
	uint32_t w;
	long r;

	if ((*err = emit(f, s, done, i, NULL, 0)) < 0)
		return n;
	/* room for the rest of the bytes, which the section never outgrows (grown, when it must
	 * be, to hold all n bytes once more, so that it rarely is) */
	len = f->out.len;
	if (f->out.cap - len <= n - i && (*err = buf_reserve(&f->out, n)) < 0)
		return n;
	o = ref_out = f->out.data + len;
	ref_in = i;
	*stop = 0;
	while (i < n) {
		/* references one after the other ("&gt;&lt;") without a copy in between */
		if (s[i] != '&') {
			k = copy_text(s, n, i, o);
			o += k - i;
			i = k;
		}
		if (i >= n || s[i] != '&') {
			if (i < n && s[i] == '<')
				break;
			if (i < n && s[i] == ']' && n - i >= 3 &&
			    (s[i + 1] != ']' || s[i + 2] != '>')) {
				/* a ']' that starts no raw "]]>" is text as any (the section's text
				 * goes to the SAX side, never to libxml2 as CDATA) */
				*o++ = ']';
				i++;
				continue;
			}
			/* the end of the bytes, a CR or a raw "]]>". On a raw "]]>" libxml2's fast
			 * path drops the text back to where its piece of text began, and a run may
			 * go on in the next bytes: the text after back_to() stays out of the
			 * section, libxml2 reading it as it would have. */
			*stop = i;
			k = back_to(s, ref_in, i);
			o = ref_out + (k - ref_in);
			i = k;
			break;
		}
		/* "&lt;" and "&gt;", most of escaped markup, and the next most common two without
		 * the general path */
		w = n - i >= 4 ? word4(s + i) : 0;
		if (w == word4("&lt;") || w == word4("&gt;")) {
			*o++ = w == word4("&lt;") ? '<' : '>';
			r = 4;
		} else if (w == word4("&amp") && n - i >= 5 && s[i + 4] == ';') {
			*o++ = '&';
			r = 5;
		} else if (w == word4("&quo") && n - i >= 6 && s[i + 4] == 't' && s[i + 5] == ';') {
			*o++ = '"';
			r = 6;
		} else if ((r = other_ref(f, s, n, i, final, &o)) == 0) {
			break;
		}
		i += (size_t)r;
		ref_in = i;
		ref_out = o;
	}
	if (*stop < i)
		*stop = i;
	if (i == from) /* nothing in it (it began at a character >= 0x80) */
		return i;
	f->out.len = (size_t)(o - f->out.data);
	f->out.data[f->out.len] = '\0';
	*done = i;
	if (!(m = add_piece(f, XML_FIX_SECTION, 1, 0, f->out.len - len))) {
		*err = -ENOMEM;
		return n;
	}
	m->at = len;
	m->orig = from;
	m->orig_len = i - from;
	return i;
}

/* The '&' at s[i] (r its reference's length, 0 for a bare one): repaired, or, for a
 * predefined reference in element content, the start of a CDATA section. Returns the index
 * after what was done. */
static size_t on_amp(struct xml_fix *f, const char *s, size_t n, size_t i, long r, int final,
		     size_t *done, size_t *stop, int *err)
{
	if (r > 0 && !f->no_wrap && !f->risky && f->state == S_TEXT && f->depth > 0 &&
	    predefined(s + i, r))
		return wrap_run(f, s, n, i, final, done, stop, err);
	if (f->state == S_TEXT && r > 0 && s[i + 1] == '#' && !char_ref(s + i, r))
		f->risky = 1; /* libxml2 reports it once it reads on */
	if (r <= 0) {
		*err = emit(f, s, done, i + 1, "amp;", 4);
		f->bare++;
		return i + 1;
	}
	if (s[i + 1] == '#' && s[i + 2] == 'X') {
		*err = emit(f, s, done, i + 2, "x", 1);
		*done = i + 3;
	}
	return i + (size_t)r;
}

/* The '<' at s[i] in text (at least nine bytes follow, or the input ends): a comment, CDATA
 * section or PI to skip, or a tag whose end is then looked for. Anything this lexer does not
 * know (a DOCTYPE, a '<' that starts nothing) stops the CDATA rewriting for the document. */
static size_t on_lt(struct xml_fix *f, const char *s, size_t n, size_t i)
{
	if (n - i >= 4 && memcmp(s + i, "<!--", 4) == 0) {
		f->state = S_COMMENT;
		return i + 4;
	}
	if (n - i >= 9 && memcmp(s + i, "<![CDATA[", 9) == 0) {
		f->state = S_CDATA;
		return i + 9;
	}
	if (n - i >= 2 && s[i + 1] == '?') {
		/* a PI that could be taken for the caller's marker of a section */
		if (n - i < 2 + sizeof XML_FIX_MARKER_TARGET ||
		    !memcmp(s + i + 2, XML_FIX_MARKER_TARGET, sizeof XML_FIX_MARKER_TARGET - 1))
			f->no_wrap = 1;
		f->state = S_PI;
		return i + 2;
	}
	if (f->no_wrap)
		return i + 1;
	if (n - i >= 2 && s[i + 1] == '/') {
		f->state = S_TAG;
		if (--f->depth < 0)
			f->no_wrap = 1;
		return i + 2;
	}
	if (n - i >= 2 && name_start((unsigned char)s[i + 1])) {
		f->state = S_TAG;
		f->depth++;
		return i + 1;
	}
	f->no_wrap = 1;
	return i + 1;
}

/* The index of the first byte at or after k that no name holds (name_char()), lim when none:
 * sixteen bytes per step where SSE2 is there (a byte >= 0x80; a letter; '-' to ':' but '/'; '_'),
 * then byte by byte. */
static inline size_t name_end(const char *s, size_t lim, size_t k)
{
#ifdef __SSE2__
	const __m128i zero = _mm_setzero_si128(), lc = _mm_set1_epi8(0x20),
		      to_a = _mm_set1_epi8((char)(0x80 - 'a')),
		      to_dash = _mm_set1_epi8((char)(0x80 - '-')),
		      letters = _mm_set1_epi8((char)(-128 + 26)),
		      dash_colon = _mm_set1_epi8((char)(-128 + 14)), slash = _mm_set1_epi8('/'),
		      under = _mm_set1_epi8('_');

	while (lim - k >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + k));
		__m128i letter = _mm_cmplt_epi8(_mm_add_epi8(_mm_or_si128(v, lc), to_a), letters);
		__m128i punct = _mm_andnot_si128(
		    _mm_cmpeq_epi8(v, slash), _mm_cmplt_epi8(_mm_add_epi8(v, to_dash), dash_colon));
		__m128i name = _mm_or_si128(_mm_or_si128(_mm_cmplt_epi8(v, zero), letter),
					    _mm_or_si128(punct, _mm_cmpeq_epi8(v, under)));
		unsigned m = (unsigned)_mm_movemask_epi8(name) ^ 0xFFFFu;

		if (m)
			return k + (size_t)__builtin_ctz(m);
		k += 16;
	}
#endif
	while (k < lim && name_char((unsigned char)s[k]))
		k++;
	return k;
}

/* What the '<' at s[i] in text starts: 1 when no markup (a space, a digit or '=' after it, "a
 * < b", "1<2"; or a name then a byte no tag has there, "<jane@example.com>"), which libxml2
 * cannot recover from (it drops the rest of the document) and feed readers read as text; 0
 * when markup (or a name too long to judge: libxml2 decides); -1 when the bytes end first. */
static int not_markup(const char *s, size_t n, size_t i, int final, size_t *end_at)
{
	size_t k = i + 1, lim = n - i > 256 ? i + 256 : n;
	unsigned char c;

	*end_at = 0;
	if (k == n)
		return final ? 1 : -1;
	c = name_class[(unsigned char)s[k]];
	if (c & 8)
		return 0;
	if (!(c & 1))
		return 1;
	k = name_end(s, lim, k + 1);
	if (k == n)
		return final ? 0 : -1;
	*end_at = k;
	return !(k - i >= 256 || (name_class[(unsigned char)s[k]] & 4));
}

/* The tag at s[i] when it is a plain one, "<name>", "<name/>" or "</name>" (k: the end of a start
 * tag's name, or 0), taken whole as on_lt() and in_tag() would take it: the index after its '>'.
 * Another start tag is begun as on_lt() would begin it: the index after its name, for in_tag().
 * 0 for any other markup, or an end tag that goes on past n, which those two read. */
static size_t plain_tag(struct xml_fix *f, const char *s, size_t n, size_t i, size_t k)
{
	if (k) { /* a start tag: an attribute, blanks or the end of the bytes go the long way */
		if (k < n && s[k] == '>') {
			f->depth += !f->no_wrap;
			return k + 1;
		}
		if (k + 1 < n && s[k] == '/' && s[k + 1] == '>')
			return k + 2;
		if (f->no_wrap)
			return 0;
		/* attributes or blanks: in_tag() reads on from the name's end */
		f->state = S_TAG;
		f->depth++;
		return k;
	}
	if (s[i + 1] != '/' || i + 2 >= n || !name_start((unsigned char)s[i + 2]))
		return 0; /* "</>" takes away two levels in in_tag(): the long way too */
	k = name_end(s, n, i + 3);
	if (k >= n || s[k] != '>')
		return 0;
	if (!f->no_wrap && --f->depth < 0)
		f->no_wrap = 1;
	return k + 1;
}

/* Inside a tag: to the '>' that ends it, past quoted attribute values; a self-closing tag
 * takes back its depth. A '<' inside a tag is broken markup: no more rewriting. Stops at an
 * '&' (the state stays S_TAG), which is repaired as in text but never rewritten. */
static size_t in_tag(struct xml_fix *f, const char *s, size_t n, size_t i)
{
	for (;;) {
		i = f->quote ? find_any(s, n, i, f->quote, f->quote, '<', '&', '&')
			     : find_any(s, n, i, '>', '"', '\'', '<', '&');
		if (i >= n || s[i] == '&')
			return i;
		if (s[i] == '<') {
			f->no_wrap = 1;
			f->quote = 0;
			f->state = S_TEXT;
			return i;
		}
		if (f->quote) {
			f->quote = 0;
		} else if (s[i] != '>') {
			f->quote = s[i];
		} else {
			if ((i ? s[i - 1] : f->last) == '/')
				f->depth--;
			f->state = S_TEXT;
			return i + 1;
		}
		i++;
	}
}

/* The index of the first '&', '<', ']' or byte >= 0x80 at or after i, n when none. */
static inline size_t find_text_stop(const char *s, size_t n, size_t i)
{
#ifdef __SSE2__
	const __m128i amp = _mm_set1_epi8('&'), lt = _mm_set1_epi8('<'), rsb = _mm_set1_epi8(']');

	while (n - i >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		__m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, amp), _mm_cmpeq_epi8(v, lt)),
					   _mm_or_si128(_mm_cmpeq_epi8(v, rsb), v));
		unsigned m = (unsigned)_mm_movemask_epi8(hit);

		if (m)
			return i + (size_t)__builtin_ctz(m);
		i += 16;
	}
#endif
	for (; i < n; i++)
		if (s[i] == '&' || s[i] == '<' || s[i] == ']' || (unsigned char)s[i] >= 0x80)
			return i;
	return n;
}

/* The next byte of text at or after i the scan must look at: '&', '<', and where sections may
 * be made ']' and, from plain_to on (scan()), a byte >= 0x80; n when none. */
static size_t text_next(const struct xml_fix *f, const char *s, size_t n, size_t i,
			size_t plain_to)
{
	if (f->no_wrap)
		return find_any(s, n, i, '&', '<', '<', '<', '<');
	if (f->risky || f->depth <= 0)
		return find_any(s, n, i, '&', '<', ']', '<', '<');
	if (i < plain_to) {
		/* no '&' or '<' there (a section's scan passed them), but perhaps a ']' */
		i = find_any(s, plain_to, i, ']', ']', ']', ']', ']');
		if (i < plain_to)
			return i;
	}
	return find_text_stop(s, n, i);
}

/* Scans s[0..n) from the state in f; returns where the bytes held back begin (n when none). */
static size_t scan(struct xml_fix *f, const char *s, size_t n, int final, size_t *done, int *err)
{
	static const char *const ends[] = {NULL, "-->", "]]>", "?>"};
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, k, l, e, cdata_at = SIZE_MAX; /* where a CDATA section began here */
	size_t plain_to = 0; /* a section's scan stopped there: libxml2 reads the bytes before as
			      * written, so no section begins at a character >= 0x80 among them */
	long r;
	int t;

	while (i < n && !*err) {
		if (f->state == S_TAG) {
			i = in_tag(f, s, n, i);
			if (i < n && f->state == S_TAG) { /* an '&' in the tag */
				r = ref_len(u + i, n - i);
				if (r < 0 && !final)
					return i;
				i = on_amp(f, s, n, i, r, final, done, &plain_to, err);
			}
			continue;
		}
		if (f->state != S_TEXT) {
			l = strlen(ends[f->state]);
			e = find_end(s, n, i, ends[f->state], l);
			/* not there yet: its end may begin in the last bytes (an end found just at
			 * the last byte is found, not held back in pieces) */
			if (!e && !final)
				return n - i > l ? n - (l - 1) : i;
			/* a whole section of element content is marked for the caller (as it is) */
			if (e && f->state == S_CDATA && cdata_at != SIZE_MAX && !f->no_wrap &&
			    f->depth > 0) {
				*err = emit(f, s, done, cdata_at, NULL, 0);
				if (!*err &&
				    !add_piece(f, XML_FIX_NATIVE, 0, cdata_at, e - cdata_at))
					*err = -ENOMEM;
				*done = e;
			}
			f->state = S_TEXT;
			i = e ? e : n;
			continue;
		}
		i = text_next(f, s, n, i, plain_to);
		if (i >= n)
			return n;
		if (u[i] >= 0x80) {
			/* a character XML allows (the charset conversion before this let no other
			 * through) begins a section unless it would be empty */
			if (u[i] >= 0xC2 && u[i] <= 0xF4)
				i = wrap_run(f, s, n, i, final, done, &plain_to, err);
			else
				plain_to = i + 1;
			continue;
		}
		if (s[i] == ']') {
			/* a raw "]]>" is an error libxml2 reports only once it reads on */
			if (n - i < 3 ? !final : (s[i + 1] == ']' && s[i + 2] == '>'))
				f->risky = 1;
			i++;
			continue;
		}
		if (s[i] == '&') {
			r = ref_len(u + i, n - i);
			if (r < 0 && !final)
				return i;
			i = on_amp(f, s, n, i, r, final, done, &plain_to, err);
			continue;
		}
		if (n - i < 9 && !final)
			return i; /* perhaps "<!--" or "<![CDATA[" cut short */
		if ((t = not_markup(s, n, i, final, &k)) < 0)
			return i; /* a name cut short */
		if (t) { /* text: "&lt;", and no more rewriting (the scan knows no such markup) */
			*err = emit(f, s, done, i, "&lt;", 4);
			*done = i + 1;
			f->bare_lt++;
			f->no_wrap = 1;
			i++;
			continue;
		}
		f->risky = 0;
		cdata_at = SIZE_MAX;
		if ((k = plain_tag(f, s, n, i, k)) != 0) {
			i = k;
			continue;
		}
		cdata_at = i;
		i = on_lt(f, s, n, i);
		if (f->state != S_CDATA)
			cdata_at = SIZE_MAX;
	}
	return n;
}

int xml_fix_run(struct xml_fix *f, const char *s, size_t n, int final,
		const struct xml_fix_piece **pieces, size_t *npieces)
{
	size_t done = 0, hold, k;
	int err = 0;

	buf_reset(&f->out);
	buf_reset(&f->work);
	f->npieces = 0;
	if (f->carry.len) {
		/* the held-back bytes and the new ones, as one piece (kept until the next call:
		 * xml_fix_orig reads them) */
		struct buf t = f->work;

		f->work = f->carry;
		f->carry = t;
		buf_reset(&f->carry);
		if (buf_append(&f->work, s, n) < 0)
			return -ENOMEM;
		s = f->work.data;
		n = f->work.len;
	}
	f->in = s;
	hold = scan(f, s, n, final, &done, &err);
	if (hold)
		f->last = s[hold - 1];
	if (!err && hold < n)
		err = buf_append(&f->carry, s + hold, n - hold);
	if (!err)
		err = emit(f, s, &done, hold, NULL, 0);
	/* out moves no more: where each piece is */
	for (k = 0; k < f->npieces; k++)
		f->pieces[k].s = (f->pieces[k].in_out ? f->out.data : s) + f->pieces[k].at;
	*pieces = f->pieces;
	*npieces = err ? 0 : f->npieces;
	return err;
}
