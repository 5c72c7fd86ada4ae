/* SPDX-License-Identifier: MIT */
/* Repairs the two reference slips real feeds make, in the byte stream before libxml2 sees it:
 * a bare '&' (a URL's "?a=1&b=2", "Tom & Jerry") and HTML's "&#X41;"; and hands escaped text,
 * and text with characters >= 0x80, on as CDATA sections. */
#ifndef FEEDSPOOL_XML_FIX_H
#define FEEDSPOOL_XML_FIX_H

#include <stddef.h>

#include "buf.h"

/*
 * An '&' that does not start a reference ("&name;", "&#123;", "&#x7b;") is not well-formed
 * XML; libxml2's recovery drops it with the name after it ("?a=1&b=2" becomes "?a=1=2"). Read
 * as feed readers read it (Python feedparser's loose parser keeps it as text), it becomes
 * "&amp;". Inside comments, CDATA sections and processing instructions nothing is changed.
 * "&#X41;" becomes "&#x41;", which XML spells that way. A '<' in text that starts no markup
 * ("a < b", "1<2", "<jane@example.com>": not a letter, '/', '!' or '?' after it, or a name then
 * a byte no tag has there) is "&lt;": libxml2 would drop the rest of the document.
 *
 * For speed, escaped text in element content ("&lt;p&gt;Hello&lt;/p&gt;") is handed on as a
 * CDATA section with its predefined references decoded ("<![CDATA[<p>Hello</p>]]>"): the same
 * characters, in one libxml2 callback instead of a reference parse and two callbacks per "&lt;".
 * So is element text from its first character >= 0x80 on ("x \u00e9 y" becomes "x " and a
 * section "\u00e9 y"): libxml2 reads such text one character at a time in its slow path. The
 * charset conversion before this lets no character XML forbids through. A section that must stop
 * short of its run's end (a CR, a raw "]]>", the end of the bytes) ends at its last reference or
 * before its last character >= 0x80, where libxml2 reads on as it would have without it.
 * The caller (feed.c) hands libxml2 not even the section but a processing instruction with its
 * newlines (XML_FIX_MARKER_TARGET, feed_xml_push_section), and the section's text to the SAX
 * side when libxml2 reaches it: libxml2 would scan a section's bytes twice more.
 * The scan follows tags (quoted attribute values, self-closing tags, depth) to know what is
 * element content; a section never holds a CR (libxml2 normalises line ends in text only), a
 * raw "]]>" (an error libxml2 must see), another kind of reference or a '<', never spans two
 * calls, and adds or removes no newline (line numbers stay). Its text may hold "]]>" (from
 * "]]&gt;"): it never goes to libxml2 as a CDATA section. Markup the scan does not know (a
 * DOCTYPE, a '<' that starts no tag, a '<' inside a tag, an end tag too many) turns this off
 * for the rest of the document.
 * Once libxml2 has seen a well-formedness error it drops every reference in text, so the caller
 * pushes each section on its own and, when libxml2 has reported an error by then, the text as
 * written instead (xml_fix_orig), and sets no_wrap.
 */
/* The target of the processing instruction the caller may push instead of a section's bytes
 * (feed_xml_push_section): a document with a PI of its own that starts so has no sections. */
#define XML_FIX_MARKER_TARGET "_fs"

/* What a piece of the last call is (struct xml_fix_piece). */
enum xml_fix_kind {
	XML_FIX_BYTES,	 /* bytes to parse as they are */
	XML_FIX_SECTION, /* the text of a CDATA section xml_fix made, its references decoded
			  * (without "<![CDATA[" and "]]>"): it stands for the input's bytes
			  * [orig, orig + orig_len) (xml_fix_orig) */
	XML_FIX_NATIVE,	 /* a CDATA section of the document in element content, whole in the last
			  * call, as written ("<![CDATA[" to "]]>"), for the caller to put its text
			  * aside as well */
};

/* Unchanged bytes between two changes are copied to out with them when fewer than this: a push
 * of their own would cost libxml2 more than the copy. */
#define XML_FIX_COPY_MAX 256

/* One piece of the last call's result. A piece of bytes the scan left alone points into the
 * input (the caller's bytes, or the held-back ones and those): a document is copied only where
 * it changes, and around the changes, where a few bytes cost less to copy than a push. */
struct xml_fix_piece {
	const char *s; /* borrowed until the next call */
	size_t len;
	size_t orig, orig_len; /* XML_FIX_SECTION: the input's bytes it stands for */
	int kind;	       /* enum xml_fix_kind */
	int in_out;	       /* xml_fix.c's own: s is out's bytes from at (out may move) */
	size_t at;
};

struct xml_fix {
	int state;         /* text, tag, comment, CDATA or processing instruction */
	int depth;         /* elements open, as far as the tags seen tell */
	char quote;        /* the quote of the attribute value being read in a tag, or 0 */
	char last;         /* the last byte handed out by the previous call */
	int no_wrap;       /* markup this scan does not know was seen (or the caller saw an error):
			    * no more CDATA sections */
	int risky;         /* the text run so far holds a ']' or a numeric reference: no section
			    * in it (libxml2 may report an error there only once it reads on) */
	struct xml_fix_piece *pieces; /* the result of the last call, in order */
	size_t npieces, cappieces;
	const char *in;    /* the bytes the last call read (the caller's, or work) */
	struct buf work;   /* held-back bytes and new ones, when there were held-back ones */
	struct buf carry;  /* bytes held back until what they start is known */
	struct buf out;	   /* the bytes of the last call's pieces that are not the input's */
	size_t bare;       /* bare '&' rewritten so far */
	size_t bare_lt;    /* '<' that starts no markup, rewritten so far */
};

void xml_fix_init(struct xml_fix *f);
void xml_fix_fini(struct xml_fix *f);
/* Repairs the next n bytes (UTF-8); final = 1 at the document's end. Sets *pieces, *npieces to
 * what to parse now, in order (borrowed until the next call): a few bytes of an unfinished
 * reference or markup may be held back for the next call. 0 or -ENOMEM. */
int xml_fix_run(struct xml_fix *f, const char *s, size_t n, int final,
		const struct xml_fix_piece **pieces, size_t *npieces);
/* The bytes section piece m of the last call stands for, as they go without it, into out
 * (emptied first); the last call's input must still be there. 0 or -ENOMEM. */
int xml_fix_orig(const struct xml_fix *f, const struct xml_fix_piece *m, struct buf *out);

#endif
