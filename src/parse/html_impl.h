/* SPDX-License-Identifier: MIT */
/* What the pieces of the HTML conversion share (html.c and html_*.c, not html_scan): the state
 * of one conversion, the kinds of tags, the markers of set-aside text, and small byte helpers. */
#ifndef FEEDSPOOL_HTML_IMPL_H
#define FEEDSPOOL_HTML_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <libxml/HTMLparser.h>

#include "buf.h"
#include "html.h"

/* Longer tag names name no element we know; html_markup_normalize() leaves such tags out. */
#define NAME_MAX_LEN 32

enum tag_kind {
	TAG_INLINE, /* flattened into the line: a, b, span, img, and every unknown tag */
	TAG_BLOCK,  /* starts and ends a line */
	TAG_CELL,   /* td, th: " | " between non-empty cells of a row */
	TAG_PRE,    /* a block whose line breaks are kept */
	TAG_SKIP,   /* dropped with its content */
	TAG_TITLE,  /* a block, but dropped with its content inside SVG or MathML (a tooltip) */
	TAG_FOREIGN, /* svg, math: inline, and their titles are tooltips */
};

/* What the sanitized HTML treats apart (by name). */
enum { EL_OTHER, EL_A, EL_IMG };

/* A remembered name: its html_layout_kind(), sanitize_element(), length and which of EL_* it is. */
/* open and close: "<name" and "</name>" of an element the HTML keeps, written at once */
#define TAG_TEXT_MAX 16
struct kind_slot {
	const xmlChar *name;
	size_t len;
	unsigned char kind, san, el;
	char open[TAG_TEXT_MAX], close[TAG_TEXT_MAX];
};

/* The state of one conversion. A line is "open" once text was put on it; its separator ("\n",
 * or " " in HTML_INLINE) is written with its first text, so that an empty block costs nothing. */
struct conv {
	struct buf *out;
	enum html_mode mode;
	size_t start;  /* out->len on entry: our text begins here */
	size_t sep;    /* where the open line's separator begins */
	size_t end;    /* just past the open line's last text (pre may leave blanks after it) */
	unsigned skip; /* how deep inside dropped elements */
	unsigned pre;  /* how deep inside pre */
	unsigned foreign; /* how deep inside svg and math */
	unsigned char open;    /* a line is open */
	unsigned char visible; /* the open line holds more than U+00A0 */
	unsigned char space;   /* collapsed whitespace is pending */
	unsigned char cell;    /* a cell separator is pending */
	unsigned char started; /* libxml2 began the document (else it ran out of memory) */
	unsigned char too_deep; /* 1: too deep for libxml2; 2: again without held br, img */
	htmlParserCtxtPtr ctxt;
	int err;
	/* the sanitized HTML, links and images (NULL x: text only) */
	const struct html_extra *x;
	size_t hstart;     /* x->html->len on entry */
	unsigned hremove;  /* how deep inside elements removed with their content */
	unsigned a_depth;  /* how deep inside kept <a> elements */
	char *a_href;      /* the outermost <a>'s URL, while its text is being read */
	size_t a_text;     /* where that text begins in out */
	unsigned char html_done; /* libxml2 made the HTML (else it is made from the text) */
	/* the text runs html_markup_normalize() took out of what libxml2 parses (see put_text) */
	const char *runs_text;
	const size_t *runs; /* (offset, length) pairs into runs_text */
	size_t n_runs;
	/* the text between tags html_markup_normalize() held out of what libxml2 parses (see
	 * held_list), and the first not yet delivered */
	const struct html_blank *blanks;
	size_t n_blanks, blank_next;
	const char *held_in; /* the input their offsets are in */
	/* the attributes held out of what libxml2 parses, and the first tag not yet met */
	const struct html_tag_atts *tags;
	size_t n_tags, tag_next;
	const struct html_att *att_tab;
	const char *att_names;
	struct buf atts; /* attribute values put back, for on_start */
	struct kind_slot *kinds; /* KIND_CACHE of them, the parser context's */
	size_t n_voids; /* br and img held (HELD_VOID) */
	/* links and images reported (on_link, on_image), and how many not to report again: a
	 * conversion again without held br and img reports the same ones first */
	size_t reports, reports_skip;
	const xmlChar *pushed; /* the element whose start event is delivering held ones */
};

/* Whether a link or image is not to be reported (reported by a conversion before). */
static inline int report_skip(struct conv *c)
{
	if (c->reports_skip) {
		c->reports_skip--;
		return 1;
	}
	c->reports++;
	return 0;
}

static inline void hput(struct conv *c, const char *s, size_t n)
{
	if (!c->err)
		c->err = buf_append(c->x->html, s, n);
}

/* Starts a conversion that appends to out. */
static inline void html_layout_init(struct conv *c, struct buf *out, enum html_mode mode)
{
	memset(c, 0, sizeof(*c));
	c->out = out;
	c->mode = mode;
	c->start = out->len;
}

/* Text between two tags left out of what libxml2 parses: the character event libxml2 would
 * have made before any event of the tag at offset at, of n blanks at offset off of the input and
 * the text run run (NO_RUN: none; see put_text). Offsets fit 32 bits: html_convert() holds
 * nothing in longer input (HOLD_MAX). */
#define NO_RUN UINT32_MAX
#define HOLD_MAX (1UL << 29)
struct html_blank {
	uint32_t at; /* offset of the tag's '<' in what libxml2 parses */
	uint32_t off, n, run;
};

/* A br or img held out of what libxml2 parses, delivered in its place (html_sax_void): a
 * html_blank with off HELD_VOID, n the index of its attributes' html_tag_atts (NO_RUN: none)
 * and run VOID_IMG or VOID_BR. Their html_tag_atts entries have VOID_TAG set in n (on_start()
 * never takes those). */
#define HELD_VOID UINT32_MAX
enum { VOID_IMG = 1, VOID_BR = 2 };
#define VOID_TAG (1U << 31)
/* The empty comment html_markup.c writes beside a held br or img where libxml2 must make no event
 * (void_split, void_fence), and html_flat_convert() steps over: no event, no state. */
#define VOID_FENCE "<!---->"
#define VOID_FENCE_LEN (sizeof VOID_FENCE - 1)

/* The attributes of a start tag held out of what libxml2 parses (copy_attrs): n of them from
 * html_att first, for the start event libxml2 makes with its input at offset at (just past the
 * tag's name). An attribute: its lowercase name (offset of a NUL-terminated copy) and its
 * value's run (NO_RUN: the empty string). */
struct html_tag_atts {
	uint32_t at, first, n;
};
struct html_att {
	uint32_t name, run;
};

/* Inputs shorter than this have their text and attributes held (tests lower it to see the
 * other side); HOLD_MAX. */
extern size_t html_hold_max;
/* Whether br and img are held too: 0 no, 1 where body seems open (html_markup.c, void_ok), 2
 * wherever (tests: html_sax_void() alone judges); 1. */
extern int html_hold_voids;

/* html_markup_normalize()'s output: what libxml2 parses, and the text runs it does not need
 * to see. */
struct norm {
	struct buf *out;
	struct buf text; /* the runs, one after the other */
	struct buf runs; /* (offset, length) pairs of size_t */
	size_t n_runs;
	/* the input when it is clean UTF-8 without NUL (most is): the runs are where they lie
	 * in it, copied nowhere and cleaned of nothing */
	const char *clean;
	struct buf blanks; /* struct html_blank */
	size_t n_blanks;
	const char *in;		/* the input */
	struct html_blank held; /* text not yet written (held_any), until a tag follows it */
	unsigned char held_any;
	unsigned char seen;  /* out holds more than blanks: libxml2 no longer skips them */
	unsigned char after; /* out ends with a start tag whose element holds text (holds_text) */
	unsigned char hold;  /* text may be held at all (the libxml2 whose parser we know) */
	struct buf tags, atts, names; /* html_tag_atts, html_att, the names */
	size_t n_tags;
	/* br and img held (html_blank HELD_VOID; html_hold_voids) where void_ok (never without
	 * hold_voids), how many, where the last was */
	unsigned char hold_voids, void_ok;
	unsigned char void_text; /* text is written right before the last held one */
	size_t n_voids, void_at;
};

/* Plane 15 and 16 private use characters stand for text runs in what libxml2 parses. */
#define MARK_PLANE 0xF0000UL
#define MARKS_MAX (2 * 65534UL)

static inline int is_alpha(unsigned char b)
{
	return (b | 0x20) >= 'a' && (b | 0x20) <= 'z';
}

static inline int is_alnum(unsigned char b)
{
	return is_alpha(b) || (b >= '0' && b <= '9');
}

static inline int is_blank(unsigned char b)
{
	return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\f';
}

/* The characters libxml2 takes in a tag name. */
static inline int is_name_char(unsigned char b)
{
	return is_alnum(b) || b == ':' || b == '-' || b == '_' || b == '.';
}

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* The bytes of w that are zero, as their high bits (exact, unlike the "has zero" test). */
static inline uint64_t zero_bytes(uint64_t w)
{
	return ~(((w & ~HIGHS) + ~HIGHS) | w) & HIGHS;
}

/* Writes cp to d (room for four bytes) as UTF-8; returns how many bytes it wrote. */
static inline size_t utf8_put(char *d, unsigned long cp)
{
	if (cp < 0x80) {
		d[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		d[0] = (char)(0xc0 | cp >> 6);
		d[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		d[0] = (char)(0xe0 | cp >> 12);
		d[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		d[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	d[0] = (char)(0xf0 | cp >> 18);
	d[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	d[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	d[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* html_layout.c: the layout rules, text to lines */
/* Cuts the text back to len bytes (what it was before a failed or restarted conversion). */
void html_layout_truncate(struct conv *c, size_t len);
void html_layout_boundary(struct conv *c);
/* Appends n bytes of text (no blanks to collapse); visible: more than U+00A0. */
void html_layout_put(struct conv *c, const void *p, size_t n, int visible);
void html_layout_text(struct conv *c, const char *text, size_t n);
enum tag_kind html_layout_kind(const char *name);
void html_layout_open(struct conv *c, enum tag_kind kind);
void html_layout_close(struct conv *c, enum tag_kind kind);

/* html_markup.c: the tokenizer that makes what libxml2 parses */
int html_markup_normalize(const char *s, size_t n, struct norm *t, int keep_attrs);

/* html_ref.c: a character reference at s[0] == '&', decoded as libxml2 decodes it */
size_t html_ref_decode(const char *s, size_t n, char *d, size_t *dlen);

/* html_flat.c: text and markup without libxml2 */
void html_flat_text(struct conv *c, const char *s, size_t n);
void html_flat_expand(struct conv *c, const char *text, size_t n);
void html_flat_convert(struct conv *c, const char *s, size_t n);

/* html_out.c: the sanitized HTML, links and images (c->x->html set) */
void html_out_start(struct conv *c, const struct kind_slot *k, const xmlChar **atts);
void html_out_end(struct conv *c, const struct kind_slot *k);
void html_out_text(struct conv *c, const char *s, size_t n);

/* html_flat.c: delivers the text held out of what libxml2 parses before offset at (all:
 * SIZE_MAX), as libxml2 would have delivered it (in events of at most 1000 bytes) */
void html_flat_blanks(struct conv *c, size_t at);

/* html_sax.c: libxml2's HTML parser over normalized markup; -ENOMEM, -EAGAIN when a held br or
 * img was not where libxml2 would only have started and ended it (convert again without
 * holding them), else 0 */
int html_sax_convert(struct conv *c, const char *s, size_t n);
/* html_sax.c: the start and end events of a held br or img, or the parse stopped (too_deep) */
void html_sax_void(struct conv *c, const struct html_blank *b);

#endif
