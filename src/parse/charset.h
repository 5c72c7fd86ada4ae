/* SPDX-License-Identifier: MIT */
/* Character encodings of feed documents: detection and streaming conversion to UTF-8. */
#ifndef FEEDSPOOL_CHARSET_H
#define FEEDSPOOL_CHARSET_H

#include <stddef.h>

#include "buf.h"

enum charset_source {
	CHARSET_DEFAULT,  /* nothing declared: UTF-8, with a windows-1252 fallback for bad bytes */
	CHARSET_BOM,      /* byte-order mark */
	CHARSET_HTTP,     /* charset parameter of the HTTP Content-Type */
	CHARSET_XMLDECL,  /* encoding="..." in the XML declaration */
	CHARSET_SNIFFED,  /* UTF-16/32 recognised from the first bytes without a BOM */
};

struct charset_guess {
	char name[40];      /* canonical iconv name: "UTF-8", "ISO-8859-1", "WINDOWS-1251", ... */
	size_t bom_len;     /* bytes of byte-order mark to skip at the start */
	enum charset_source source;
};

/* Decides the encoding of a document from its HTTP Content-Type (NULL when unknown) and its first
 * n bytes (n >= 4 when the document is that long; 1024 is plenty). Follows RFC 7303 / feedparser:
 * BOM, then the HTTP charset, then the XML declaration, then UTF-8. Unknown or unsupported
 * encoding names fall back to UTF-8. Always fills *out and returns 0. */
int charset_detect(const char *content_type, const unsigned char *head, size_t n,
		   struct charset_guess *out);

/* The encoding a document (or its first n bytes) is decoded with, given the name detected:
 * feedparser's fallback chain, which decodes a document as a whole with the first encoding it
 * decodes in strictly. A UTF-8 document that is not valid UTF-8 is "WINDOWS-1252", or
 * "ISO-8859-2" when it holds a byte windows-1252 leaves unassigned (0x81, 0x8D, 0x8F, 0x90,
 * 0x9D); any other name is returned as it is. When s is not the whole document (whole = 0: its
 * first bytes), a last character cut short by the end of s is no reason to fall back. */
const char *charset_fallback(const char *name, const char *s, size_t n, int whole);

struct charset_conv;

/* A streaming converter from the named encoding to UTF-8; NULL when iconv does not know it. */
struct charset_conv *charset_conv_new(const char *from);
void charset_conv_free(struct charset_conv *c);
/* Converts n bytes and appends UTF-8 to out. Sequences split across calls are carried over;
 * final = 1 flushes (an incomplete tail becomes U+FFFD). Invalid input never fails: for a UTF-8
 * source each invalid byte is read as windows-1252, for other sources it becomes U+FFFD.
 * Characters XML 1.0 forbids (C0 controls but tab, LF, CR; U+FFFE/U+FFFF) are dropped, and C1
 * controls (U+0080..U+009F) become the windows-1252 characters they stand for ("don’t").
 * Returns 0 or -ENOMEM. */
int charset_conv_feed(struct charset_conv *c, const char *in, size_t n, int final, struct buf *out);
/* charset_conv_feed() into out emptied first, its result in *res, *reslen: out's bytes, or
 * (UTF-8 input that needs no change) the input's own, without a copy. Either stays valid until
 * out or the input changes. */
int charset_conv_view(struct charset_conv *c, const char *in, size_t n, int final, struct buf *out,
		      const char **res, size_t *reslen);
/* Invalid bytes replaced so far (a hint that the declared encoding was wrong). */
size_t charset_conv_errors(const struct charset_conv *c);
/* Control characters XML 1.0 forbids (NUL, C0 other than tab and newlines), removed so far. */
size_t charset_conv_dropped(const struct charset_conv *c);
/* Bytes held back (the start of a sequence that the next bytes may finish). */
size_t charset_conv_pending(const struct charset_conv *c);

/* Repairs UTF-8 that was encoded twice (UTF-8 bytes read as windows-1252 or ISO-8859-1 and
 * encoded again, "CafÃ©"), run by run: each maximal run of such characters whose bytes form
 * valid UTF-8 of plausible text is replaced; correct text ("Café", "naïve") is never touched.
 * Returns 1 when something was repaired, else 0. */
int charset_fix_double_utf8(struct buf *s);

/* Whether s[0..n) is valid UTF-8. */
int utf8_valid(const char *s, size_t n);
/* The length of the valid UTF-8 sequence s[0..n) starts with; 0 when it starts none. */
size_t utf8_char_len(const char *s, size_t n);

#endif
