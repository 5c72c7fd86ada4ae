/* SPDX-License-Identifier: MIT */
/* Tests of src/parse/html.c and html_*.c: the layout rules case by case, the seed articles
 * against their expected text (tests/fixtures/html), html_looks_like(), and hostile input
 * (depth, size, bad bytes). */
#include "autoconfig.h"

#include "html.h"
#include "html_impl.h"
#include "sanitize.h"

#include "check.h"

#include <libxml/HTMLparser.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct text_case {
	const char *in;
	const char *out;
};

/* html_to_text(HTML_BLOCKS) */
static const struct text_case blocks[] = {
    /* blocks and whitespace */
    {"<p>a</p><p>b</p>", "a\nb"},
    {"<p>\n  one\n  two\n</p>", "one two"},
    {"<p>a  \t\r\n\f b</p>", "a b"},
    {"<p>a</p>\n\n   <p>b</p>\n", "a\nb"},
    {"<h1>T</h1><h2>S</h2>text", "T\nS\ntext"},
    {"<div>bare<div>inner</div>tail</div>", "bare\ninner\ntail"},
    {"text<div>x</div>more", "text\nx\nmore"},
    {"<p>a<p>b<li>c", "a\nb\nc"},
    {"a<div/>b", "a\nb"},
    {"<section><article><header>h</header>body<footer>f</footer></article></section>",
     "h\nbody\nf"},
    {"", ""},
    {" \n\t ", ""},
    {"<p></p><div> </div><p>\n</p>", ""},
    /* U+00A0 stays, but a line of nothing else is empty */
    {"<p>era. &nbsp; By</p>", "era. \xc2\xa0 By"},
    {"<p>&nbsp;x&nbsp;</p>", "\xc2\xa0x\xc2\xa0"},
    {"<p>&nbsp;</p><p>a</p><p> &nbsp; </p><p>b</p>", "a\nb"},
    /* inline markup is flattened */
    {"<p><strong>The</strong> moment <a href=\"/x\">at</a> <span>the</span> <code>x()</code>, "
     "<em>e</em>.</p>",
     "The moment at the x(), e."},
    {"<p>a<b> b </b>c</p>", "a b c"},
    {"<p>a<b>b</b>c</p>", "abc"},
    {"<b>Bold</b> rest", "Bold rest"},
    {"<a href=x>NASA</a>&nbsp;&nbsp;<font color=\"#6f6f6f\">NYT</font>", "NASA\xc2\xa0\xc2\xa0NYT"},
    {"<a title=\"x>y\">link</a> text", "link text"},
    {"<P>A</P><BR><SCRIPT>x</SCRIPT>B", "A\nB"},
    /* entities and character references */
    {"<p>&mdash;&rsquo;&#8217;&#x201C;&eacute;&amp;&lt;b&gt;</p>",
     "\xe2\x80\x94\xe2\x80\x99\xe2\x80\x99\xe2\x80\x9c\xc3\xa9&<b>"},
    {"<p>&bogus; AT&T a < b and c</p>", "&bogus; AT&T a < b and c"},
    {"<p>don&#146;t &#150; &#128;&#x9d;</p>", "don\xe2\x80\x99t \xe2\x80\x93 \xe2\x82\xac\xc2\x9d"},
    {"<p>a&#0;b&#xD800;c&#x110000;d&#1;e</p>", "abcde"},
    {"Q&amp;A &mdash; no tags&#33;", "Q&A \xe2\x80\x94 no tags!"},
    {"no tags: &#146; &#0; &bogus; &amp c", "no tags: \xe2\x80\x99 &bogus; &amp c"},
    /* dropped with their content */
    {"<p>a<script>x</script>b</p><style>p{}</style><noscript>n</noscript><template>t</template>",
     "ab"},
    {"<script>if (a < b) document.write('</p>x');</script>y", "y"},
    {"<script>a</scriptx>b</script>c", "c"},
    /* a document's title is text, as feedparser's sanitizer keeps it (it drops the tags) */
    {"<head><title>T</title><style>s</style></head><body><p>x</p></body>", "T\nx"},
    {"<p>a</p><title>T</title>b", "a\nT\nb"},
    {"<math><title>tip</title><mi>x</mi></math><title>T</title>", "x\nT"},
    /* script and style tags are counted, as feedparser counts them: an end tag that closes
     * nothing cancels the next start tag, whose content is then text */
    {"a</script> b <script>c<script>d</script>e", "a b ce"},
    {"<p>x</style></p><style>y</style>z", "x\nyz"},
    {"</script><script>1</script><script>2</script>3", "123"},
    /* iframe and object content is fallback text for readers without them: kept, as feedparser does */
    {"<iframe src=x>fallback</iframe><p>y</p>", "fallback\ny"},
    {"safe<object data=x> <b>description</b></object>", "safe description"},
    {"<select><option>o</option></select>t<textarea>x</textarea>", "t"},
    /* inline SVG keeps its text, not its tooltip title */
    {"<svg><title>icon</title><text>t</text></svg> after", "t after"},
    {"<p>Fig: <svg viewBox=\"0 0 1 1\"><g><text>label</text></g></svg></p>", "Fig: label"},
    {"<video src=v>Your browser cannot play this.</video>x", "x"},
    {"a<!-- <p>x</p> -->b", "ab"},
    {"a<!-- <a href=\"x -->b<p>c\">", "ab\nc\">"},
    {"<!DOCTYPE html><?xml version=\"1.0\"?><p>x</p>", "x"},
    {"<meta charset=\"iso-8859-1\"><p>caf\xc3\xa9</p>", "caf\xc3\xa9"},
    /* figures and images */
    {"<figure><img src=a alt=\"b\"><figcaption></figcaption></figure><p>c</p>", "c"},
    {"<figure><img src=a><figcaption>Photo: <em>AP</em></figcaption></figure>", "Photo: AP"},
    {"<img src=x alt=\"alt text\">", ""},
    /* br and hr */
    {"<p>a<br>b<br/><br>c</p>", "a\nb\nc"},
    {"a<hr>b<hr/>", "a\nb"},
    /* lists, definitions, quotes */
    {"<ul><li>a</li><li>b</li></ul>", "a\nb"},
    {"<ol><li>a<ol><li>b</li></ol>c</li><li>d</ol>", "a\nb\nc\nd"},
    {"<dl><dt>term</dt><dd>def</dd><dt>t2<dd>d2</dl>", "term\ndef\nt2\nd2"},
    {"<blockquote><p>q1</p><p>q2</p></blockquote><p>after</p>", "q1\nq2\nafter"},
    {"<p>says:</p><blockquote>quoted <i>bare</i></blockquote>", "says:\nquoted bare"},
    /* tables: a row per line, non-empty cells joined by " | " */
    {"<table><tr><th>h1</th><th>h2</th></tr><tr><td>a</td><td></td><td>c</td></tr></table>after",
     "h1 | h2\na | c\nafter"},
    {"<table><tr><td>a<td>b<tr><td>c</table>", "a | b\nc"},
    {"<table><caption>Cap</caption><tr><td>x</td></tr></table>", "Cap\nx"},
    {"<table><tr><td><p>a</p></td><td>b</td></tr></table>", "a\nb"},
    {"<table><tr><td>out<table><tr><td>in1</td><td>in2</td></tr></table></td><td>z</td></tr>"
     "</table>",
     "out\nin1 | in2\nz"},
    /* pre: its lines stay lines, trimmed, inner blanks kept */
    {"<pre>\n  line 1   has  gaps  \n\tindented\n\n  last</pre>after",
     "line 1   has  gaps\nindented\nlast\nafter"},
    {"<pre>a<b>b</b>\r\nc &amp; d</pre>", "ab\nc & d"},
    {"<p>x</p><pre>\n</pre><p>y</p>", "x\ny"},
    /* stray '<' and odd tags read as libxml2 reads them */
    {"a</ p>b", "a p>b"},
    {"<p>x<y</p>", "x"},
    {"1 <2 3", "1 <2 3"},
    /* bytes: NUL dropped, bad UTF-8 replaced, control characters dropped, BOM skipped */
    {"\xef\xbb\xbf<p>x</p>", "x"},
    {"\xef\xbb\xbfno markup", "no markup"},
    {"<p>a\xff"
     "b\xc3</p>",
     "a\xef\xbf\xbd"
     "b\xef\xbf\xbd"},
    {"<p>a\x01\x08\x0b"
     "b\x7f</p>",
     "ab\x7f"},
};

/* html_to_text(HTML_INLINE) */
static const struct text_case inlines[] = {
    {"<p>Title <b>bold</b></p><p>second</p>", "Title bold second"},
    {"<h1>A</h1><br>B<pre>x\ny</pre>", "A B x y"},
    {"a<br>b", "a b"},
    {"  spaced  &amp;  out ", "spaced & out"},
    {"<p>&nbsp;</p><p>x</p>", "x"},
    {"<table><tr><td>a</td><td>b</td></tr></table>", "a | b"},
    {"Example <b>Atom</b>", "Example Atom"},
    {"<div>History of the &lt;blink&gt; tag</div>", "History of the <blink> tag"},
    {"<img src=\"x\" />", ""},
    {"<div>safe description<script>alert(1)</script></div>", "safe description"},
};

/* plain_to_text(HTML_BLOCKS) */
static const struct text_case plain_blocks[] = {
    {"one\ntwo\n\nthree", "one two\nthree"},
    /* line breaks before, at and after the eighth byte of a line */
    {"0123456789abcdef\r\n0123456789abcdefghij\n\n  x\r\r y  z\n \t \nlast line, long enough",
     "0123456789abcdef 0123456789abcdefghij\nx\ny z\nlast line, long enough"},
    {"0123456\n\n01234567\r\r012345678\n", "0123456\n01234567\n012345678"},
    {"  a  b  \n \t \n\n  c\r\n\r\nd\re", "a b\nc\nd e"},
    {"a &amp; <b>x</b>", "a &amp; <b>x</b>"},
    {"\n\n", ""},
    {"", ""},
    {"tab\tsep", "tab sep"},
    {"don\xc2\x92t", "don\xe2\x80\x99t"},
    {"a\xc2\xa0\n\n\xc2\xa0\n\nb", "a\xc2\xa0\nb"},
    {"a\xff"
     "b\0c",
     "a\xef\xbf\xbd"
     "bc"},
    {"\xef\xbb\xbf"
     "bom",
     "bom"},
};

/* plain_to_text(HTML_INLINE) */
static const struct text_case plain_inlines[] = {
    {"one\n\ntwo  three", "one two three"},
    {"  1 < 2 &amp; \n", "1 < 2 &amp;"},
    {"\xe2\x80\x9cquoted\xe2\x80\x9d", "\xe2\x80\x9cquoted\xe2\x80\x9d"},
    {"\n\n  a\r\n\r\nb\rc \xc2\xa0\n\n\xc2\x93" "d\t\n", "a b c \xc2\xa0 \xe2\x80\x9c" "d"},
    {"\xc2\xa0\n\n\xc2\xa0", ""},
    {"\xef\xbb\xbf\n x", "x"},
};

struct looks_case {
	const char *in;
	int html;
};

static const struct looks_case looks[] = {
    {"<p>x</p>", 1},
    {"a <b>bold</b>", 1},
    {"<a href=\"x\">l</a>", 1},
    {"x<img src=\"a.png\" alt=\"a > b\"></p>", 1},
    /* start tags alone are not enough, as in feedparser: the text stays literal */
    {"line<br/>next", 0},
    {"line<br>next", 0},
    {"<BR>", 0},
    {"x<img src=\"a.png\" alt=\"a > b\">", 0},
    {"use <b> for bold", 0},
    {"</em>", 1},
    {"AT&amp;T", 1},
    {"it&#39;s", 1},
    {"it&#x27;s", 1},
    {"caf&eacute;", 1},
    {"it&apos;s", 1},
    {"AT&T", 0},
    {"a < b", 0},
    {"1 < 2", 0},
    {"a<b", 0},
    {"I <3 you", 0},
    {"plain title", 0},
    {"", 0},
    {"testing &doesnotexist; entity", 0},
    {"<script>x</script>", 0},
    {"<p>x</p> and <blink>", 0},
    {"&amp; and &foo;", 0},
    {"Use <T> in Java", 0},
    {"Vector<int> v;", 0},
    {"x &amp y", 0},
    {"<b", 0},
};

/* The seed articles (tests/fixtures/html/README). */
static const char *const seeds[] = {
    "seed-apache-spark-4-0-turns-on-ansi-sql-mode-by-default",
    "seed-elon-musk-welcomes-nvidia-s-dgx-spark-the-world-s-smallest-a",
    "seed-from-dgx-1-to-dgx-spark-when-nvidia-handed-elon-musk-the-fut",
    "seed-jensen-huang-hand-delivers-dgx-spark-to-elon-musk-and-sam-al",
    "seed-jensen-huang-hand-delivers-the-world-s-smallest-supercompute",
    "seed-jetson-thor-brings-server-class-inference-to-humanoid-robots",
    "seed-nvidia-ceo-jensen-huang-made-a-dramatic-entrance-at-spacex-s",
    "seed-nvidia-dgx-b300-systems-begin-shipping-to-cloud-providers",
    "seed-spacex-stacks-starship-for-its-eleventh-flight-test",
    "seed-dup-elon-musk-welcomes-nvidia-s-dgx-spark-the-world-s-smallest-a",
};

/* A printable form of s for failure messages (newlines and control bytes escaped). */
static const char *show(const char *s)
{
	static char out[4][512];
	static int which;
	char *o = out[which++ % 4];
	size_t n = 0;

	for (; *s && n < sizeof(out[0]) - 8; s++) {
		unsigned char b = (unsigned char)*s;

		if (b == '\n')
			n += (size_t)sprintf(o + n, "\\n");
		else if (b < 0x20 || b == 0x7f)
			n += (size_t)sprintf(o + n, "\\x%02x", b);
		else
			o[n++] = (char)b;
	}
	if (*s)
		n += (size_t)sprintf(o + n, "...");
	o[n] = '\0';
	return o;
}

static int utf8_valid(const char *text, size_t n)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0, l, k;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf)
			l = 2;
		else if (s[i] >= 0xe0 && s[i] <= 0xef)
			l = 3;
		else if (s[i] >= 0xf0 && s[i] <= 0xf4)
			l = 4;
		else
			return 0;
		if (n - i < l)
			return 0;
		for (k = 1; k < l; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
		if ((s[i] == 0xe0 && s[i + 1] < 0xa0) || (s[i] == 0xed && s[i + 1] > 0x9f) ||
		    (s[i] == 0xf0 && s[i + 1] < 0x90) || (s[i] == 0xf4 && s[i + 1] > 0x8f))
			return 0;
		i += l;
	}
	return 1;
}

/* Whether text keeps the layout's promises: valid UTF-8, no empty line, no line that starts or
 * ends with ASCII whitespace, no trailing newline, no control character but '\n' (and tabs
 * inside pre lines). */
static int layout_ok(const char *s, size_t n)
{
	size_t i, start = 0;

	if (!utf8_valid(s, n))
		return 0;
	for (i = 0; i <= n; i++) {
		if (i < n && s[i] != '\n') {
			if ((unsigned char)s[i] < 0x20 && s[i] != '\t')
				return 0;
			continue;
		}
		if (i == start && n > 0)
			return 0; /* empty line */
		if (i > start &&
		    (s[start] == ' ' || s[start] == '\t' || s[i - 1] == ' ' || s[i - 1] == '\t'))
			return 0;
		start = i + 1;
	}
	return 1;
}

static void check_cases(const struct text_case *cases, size_t count, enum html_mode mode, int plain)
{
	const char *fn = plain ? "plain_to_text" : "html_to_text";
	const char *mname = mode == HTML_BLOCKS ? "HTML_BLOCKS" : "HTML_INLINE";
	struct buf b = BUF_INIT;
	size_t i;
	int rc;

	for (i = 0; i < count; i++) {
		const char *in = cases[i].in;
		size_t len = strlen(in);

		/* one case holds a NUL on purpose */
		if (plain && strcmp(in, "a\xff"
					"b") == 0)
			len = 5;
		buf_reset(&b);
		rc = plain ? plain_to_text(in, len, mode, &b) : html_to_text(in, len, mode, &b);
		CHECK(rc == 0, "%s(\"%s\", %s) returned %d", fn, show(in), mname, rc);
		CHECK_STR(buf_cstr(&b), cases[i].out, "%s(\"%s\", %s)", fn, show(in), mname);
		CHECK(layout_ok(b.data ? b.data : "", b.len),
		      "%s(\"%s\", %s) breaks the layout: \"%s\"", fn, show(in), mname,
		      show(buf_cstr(&b)));
	}
	buf_fini(&b);
}

static void test_looks_like(void)
{
	size_t i;

	for (i = 0; i < sizeof(looks) / sizeof(looks[0]); i++)
		CHECK(html_looks_like(looks[i].in, strlen(looks[i].in)) == looks[i].html,
		      "html_looks_like(\"%s\") should be %d", looks[i].in, looks[i].html);
	/* the length bounds the scan: the tag is past it */
	CHECK(!html_looks_like("plain<b>x</b>", 5),
	      "html_looks_like(\"plain<b>x</b>\", 5) should be 0");
	CHECK(!html_looks_like(NULL, 0), "html_looks_like(NULL, 0) should be 0");
}

/* The blank collapsing of html_to_text() on text whose blanks fall at every place of the
 * eight-byte words html.c reads at once: against the rule itself (words joined by one space). */
static void test_blank_runs(void)
{
	/* what each part is in the text: itself, a blank, nothing (a control), or a Windows-1252
	 * character (U+0093 is a left double quotation mark) */
	static const struct {
		const char *in, *out;
	} parts[] = {{"a", "a"},
		     {"bc", "bc"},
		     {"\xc3\xa9", "\xc3\xa9"},
		     {" ", NULL},
		     {" ", NULL},
		     {"\t", NULL},
		     {"\n", NULL},
		     {"  ", NULL},
		     {"\x01", ""},
		     {"\xc2\x93", "\xe2\x80\x9c"},
		     {"defghij", "defghij"}};
	unsigned long seed = 12345;
	char in[512], want[512], html[600];
	struct buf b = BUF_INIT;

	for (int round = 0; round < 8000; round++) {
		size_t len = 0, wlen = 0, count;
		int blank = 1;

		seed = seed * 6364136223846793005UL + 1442695040888963407UL;
		count = 1 + (size_t)(seed >> 33) % 30;
		for (size_t k = 0; k < count; k++) {
			size_t pi;

			seed = seed * 6364136223846793005UL + 1442695040888963407UL;
			pi = (seed >> 33) % (sizeof(parts) / sizeof(parts[0]));
			memcpy(in + len, parts[pi].in, strlen(parts[pi].in));
			len += strlen(parts[pi].in);
			if (!parts[pi].out) {
				blank = 1;
				continue;
			}
			if (!*parts[pi].out)
				continue;
			if (blank && wlen)
				want[wlen++] = ' ';
			memcpy(want + wlen, parts[pi].out, strlen(parts[pi].out));
			wlen += strlen(parts[pi].out);
			blank = 0;
		}
		in[len] = want[wlen] = '\0';
		for (int markup = 0; markup < 2; markup++) {
			int n = snprintf(html, sizeof html, markup ? "<p>%s</p>" : "%s", in);

			buf_reset(&b);
			CHECK(html_to_text(html, (size_t)n, HTML_BLOCKS, &b) == 0 &&
				  strcmp(buf_cstr(&b), want) == 0,
			      "html_to_text(\"%s\") gave \"%s\", want \"%s\"", html, buf_cstr(&b),
			      want);
		}
	}
	buf_fini(&b);
}

/* Named references the decoder knows without libxml2's table (lt, gt, amp, quot, nbsp, apos),
 * their other cases and near misses, against the same characters written as numeric references
 * (or the '&' as one, where libxml2 knows no such name): text and HTML, in text alone and
 * between tags, in an attribute value. */
static void test_named_refs(void)
{
	static const char *const names[] = {
	    "lt",   "gt",   "amp",  "quot", "nbsp", "apos", "LT",	  "Gt",	    "lT",   "AMP",
	    "Amp",  "QUOT", "NBSP", "Nbsp", "APOS", "l",	  "g",	    "t",    "lx",   "at",
	    "gx",   "am",   "ampx", "amq",  "bmp",  "quo",  "quott", "quit", "nbs",  "nbsq",
	    "obsp", "apo",  "aposx", "apot", "eacute", "hellip", "mdash", "copy", "ltx", "gtt",
	};
	static const char *const forms[][2] = {
	    {"a", "b"}, {"<p>a ", " b</p>"}, {"<p><a href=\"http://x/?a=1", "b\">y</a></p>"}};
	char ref[64], want_ref[64], in[160], want_in[160];
	size_t i, f;
	int m;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const htmlEntityDesc *ent = htmlEntityLookup((const xmlChar *)names[i]);

		snprintf(ref, sizeof ref, "&%s;", names[i]);
		if (ent)
			snprintf(want_ref, sizeof want_ref, "&#%u;", ent->value);
		else
			snprintf(want_ref, sizeof want_ref, "&#38;%s;", names[i]);
		for (f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
			for (m = 0; m < 2; m++) {
				struct buf t = BUF_INIT, h = BUF_INIT;
				struct html_extra x = {.html = &h};
				enum html_mode mode = m ? HTML_INLINE : HTML_BLOCKS;
				struct buf wt = BUF_INIT, wh = BUF_INIT;
				struct html_extra wx = {.html = &wh};

				snprintf(in, sizeof in, "%s%s%s", forms[f][0], ref, forms[f][1]);
				snprintf(want_in, sizeof want_in, "%s%s%s", forms[f][0], want_ref,
					 forms[f][1]);
				CHECK(html_convert(in, strlen(in), mode, &t, &x) == 0 &&
					      html_convert(want_in, strlen(want_in), mode, &wt, &wx) ==
						  0 &&
					      strcmp(buf_cstr(&t), buf_cstr(&wt)) == 0 &&
					      strcmp(buf_cstr(&h), buf_cstr(&wh)) == 0,
				      "html_convert(\"%s\", %d) gave \"%s\" and \"%s\", \"%s\" gave \"%s\" "
				      "and \"%s\"",
				      in, m, buf_cstr(&t), buf_cstr(&h), want_in, buf_cstr(&wt),
				      buf_cstr(&wh));
				buf_fini(&t);
				buf_fini(&h);
				buf_fini(&wt);
				buf_fini(&wh);
			}
		}
	}
}

/* html_to_text("a&name;b") against the numeric reference of what libxml2 makes of the name. */
static void check_named_ref(const char *name)
{
	const htmlEntityDesc *ent = htmlEntityLookup((const xmlChar *)name);
	struct buf t = BUF_INIT, w = BUF_INIT;
	char in[64], want[64];

	snprintf(in, sizeof in, "a&%s;b", name);
	if (ent)
		snprintf(want, sizeof want, "a&#%u;b", ent->value);
	else
		snprintf(want, sizeof want, "a&#38;%s;b", name);
	CHECK(html_to_text(in, strlen(in), HTML_BLOCKS, &t) == 0 &&
		      html_to_text(want, strlen(want), HTML_BLOCKS, &w) == 0 &&
		      strcmp(buf_cstr(&t), buf_cstr(&w)) == 0,
	      "html_to_text(\"%s\") gave \"%s\", want \"%s\"", in, buf_cstr(&t), buf_cstr(&w));
	buf_fini(&t);
	buf_fini(&w);
}

/* Every name libxml2 knows (found by code point), its prefix without the last letter, with a
 * letter more, with each other last letter or digit, with its first letter's case changed, a long one, in turns of all and twice
 * over: the decoder's cache of libxml2's answers, its collisions and its misses. */
static void test_all_named_refs(void)
{
	static const char alnum[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	size_t last;
	char v[40];
	unsigned cp;
	size_t k;
	int round;

	for (round = 0; round < 2; round++) {
		for (cp = 0; cp < 0x2700; cp++) {
			const htmlEntityDesc *ent = htmlEntityValueLookup(cp);

			if (!ent)
				continue;
			k = strlen(ent->name);
			check_named_ref(ent->name);
			snprintf(v, sizeof v, "%.*s", (int)k - 1, ent->name);
			check_named_ref(v);
			snprintf(v, sizeof v, "%sx", ent->name);
			check_named_ref(v);
			snprintf(v, sizeof v, "%s", ent->name);
			v[0] = (char)(v[0] ^ 0x20);
			check_named_ref(v);
			snprintf(v, sizeof v, "%s%s", ent->name, ent->name);
			check_named_ref(v);
			/* names that differ in their last byte only (some share a slot) */
			snprintf(v, sizeof v, "%s", ent->name);
			for (last = 0; last < sizeof alnum - 1; last++) {
				v[k - 1] = alnum[last];
				check_named_ref(v);
			}
		}
	}
}

/* Expects html_convert(in, mode) to give text and html. */
static void check_convert(const char *in, enum html_mode mode, const char *text, const char *html)
{
	struct buf t = BUF_INIT, h = BUF_INIT;
	struct html_extra x = {.html = &h};

	CHECK(html_convert(in, strlen(in), mode, &t, &x) == 0 && strcmp(buf_cstr(&t), text) == 0 &&
		      strcmp(buf_cstr(&h), html) == 0,
	      "html_convert(\"%s\", %d) gave \"%s\" and \"%s\", want \"%s\" and \"%s\"", in, (int)mode,
	      buf_cstr(&t), buf_cstr(&h), text, html);
	buf_fini(&t);
	buf_fini(&h);
}

/* Kept elements' tags are written from the text the name cache holds ("<name", "</name>"):
 * the longest names the sanitizer keeps (ten bytes), a one-byte one, a void one, and names
 * seen again later in the same conversion (from the cache). */
static void test_kept_tags(void)
{
	int m;

	for (m = 0; m < 2; m++) {
		enum html_mode mode = m ? HTML_INLINE : HTML_BLOCKS;
		const char *text = m ? "q c d e" : "q\nc\nd\ne";

		check_convert("<blockquote>q</blockquote><figure><figcaption>c</figcaption></figure>"
			      "<p><b>d</b><br><b>e</b></p>",
			      mode, text,
			      "<blockquote>q</blockquote><figure><figcaption>c</figcaption></figure>"
			      "<p><b>d</b><br><b>e</b></p>");
	}
}

static int collect_link(void *ud, const char *href, const char *text)
{
	struct buf *b = ud;

	return buf_printf(b, "%s|%s\n", href, text);
}

/* The links a conversion reports: the first URL of an outermost link (made absolute), taken
 * from the HTML's attribute, its text; none for a link without a safe URL; a link inside
 * another's text is the outer one's. */
static void test_links(void)
{
	static const char in[] =
	    "<p><a href=\"/one\" title=\"t\">One</a> <a href=\"javascript:x()\">no</a> "
	    "<a name=\"n\">none</a> <a href=\"http://x/two?a=1&amp;b=2\">Two <b>bold</b></a> "
	    "<a href=\"rel/3\"><img src=\"i.png\" alt=\"i\"> three</a> "
	    "<a href=\"mailto:m@x\">Mail</a> <a href=\"#f\">frag</a></p>";
	struct buf t = BUF_INIT, h = BUF_INIT, links = BUF_INIT;
	struct html_extra x = {.base = "http://b/d/", .html = &h, .on_link = collect_link,
			       .ud = &links};

	CHECK(html_convert(in, strlen(in), HTML_BLOCKS, &t, &x) == 0 &&
		      strcmp(buf_cstr(&links), "http://b/one|One\nhttp://x/two?a=1&b=2|Two bold\n"
					       "http://b/d/rel/3|three\nmailto:m@x|Mail\n#f|frag\n") ==
			  0,
	      "links of \"%s\": \"%s\"", in, buf_cstr(&links));
	buf_fini(&t);
	buf_fini(&h);
	buf_fini(&links);
}

/* Blank text between tags (spaces, tabs and line feeds take a short cut; CR and form feed the
 * general path) in every context that treats it differently, against the rules themselves:
 * outside pre a blank run is one space of the text and stays as it is in the HTML, but for CR
 * and form feeds (controls: dropped); inside pre its line breaks end lines; inside a dropped
 * element it is nowhere, inside a removed one only in the text. */
static void test_blank_pieces(void)
{
	static const char blanks[] = " \t\n\r\f";
	char b[4], kept[4], pre[4], in[96], text[16], html[96];

	for (unsigned code = 0; code < 5 + 5 * 5 + 5 * 5 * 5; code++) {
		/* the blank strings of one, two and three of them, each once */
		unsigned v = code < 5 ? code : code < 30 ? code - 5 : code - 30;
		size_t n = code < 5 ? 1 : code < 30 ? 2 : 3, k = 0, p = 0;
		int brk = 0;

		for (size_t i = 0; i < n; i++, v /= 5)
			b[i] = blanks[v % 5];
		b[n] = '\0';
		for (size_t i = 0; i < n; i++) {
			if (b[i] != '\r' && b[i] != '\f')
				kept[k++] = b[i];
			if (b[i] == '\n' || b[i] == '\r')
				brk = 1;
			else
				pre[p++] = b[i] == '\f' ? ' ' : b[i];
		}
		kept[k] = pre[p] = '\0';
		snprintf(in, sizeof in, "<b>x</b>%s<i>y</i>", b);
		snprintf(html, sizeof html, "<b>x</b>%s<i>y</i>", kept);
		check_convert(in, HTML_BLOCKS, "x y", html);
		check_convert(in, HTML_INLINE, "x y", html);
		snprintf(in, sizeof in, "<pre><b>x</b>%s<i>y</i></pre>", b);
		snprintf(html, sizeof html, "<pre><b>x</b>%s<i>y</i></pre>", kept);
		snprintf(text, sizeof text, brk ? "x\ny" : "x%sy", pre);
		check_convert(in, HTML_BLOCKS, text, html);
		check_convert(in, HTML_INLINE, "x y", html);
		snprintf(in, sizeof in, "<b>x</b><video><b>v</b>%s<i>w</i></video><i>y</i>", b);
		check_convert(in, HTML_BLOCKS, "xy", "<b>x</b><i>y</i>");
		snprintf(in, sizeof in, "<b>x</b><button><b>v</b>%s<i>w</i></button><i>y</i>", b);
		check_convert(in, HTML_BLOCKS, "xv wy", "<b>x</b><i>y</i>");
	}
}

/* Start tags as libxml2 tokenizes them (quotes only after '=', "/>" closing unless the '/'
 * ends an unquoted value, unterminated values...), which normalize() must do alike (its tag
 * scan goes by byte classes). */
static void test_tag_forms(void)
{
	static const struct {
		const char *in, *text, *html;
	} cases[] = {
	    {"<p a=b/>x</p>y", "x\ny", "<p>x</p>y"},
	    {"<br/>x", "x", "<br>x"},
	    {"<p title='a>b'>x</p>", "x", "<p title=\"a&gt;b\">x</p>"},
	    {"<p title = \"a>b\" >x</p>", "x", "<p title=\"a&gt;b\">x</p>"},
	    {"<p title=a>b</p>", "b", "<p title=\"a\">b</p>"},
	    {"<p title=>x</p>", "x", "<p title=\"\">x</p>"},
	    {"<p / title=\"t\">x</p>", "x", "<p title=\"t\">x</p>"},
	    {"<p title=\"unterminated>x", "", "<p title=\"unterminated&gt;x\"></p>"},
	    {"<p title=a/ >x</p>", "x", "<p title=\"a/\">x</p>"},
	    {"<img src=\"http://e.x/a.png\"/>t", "t", "<img src=\"http://e.x/a.png\">t"},
	    {"<a href=http://e.x/ title=t>l</a>", "l", "<a href=\"http://e.x/\" title=\"t\">l</a>"},
	    {"<p\ttitle=\"t\"\n>x</p>", "x", "<p title=\"t\">x</p>"},
	    {"<p title=x\"y>z</p>", "z", "<p title=\"x&quot;y\">z</p>"},
	    {"<p a=\"1\"b=\"2\" title=\"t\">x</p>", "x", "<p title=\"t\">x</p>"},
	    {"<br/ >x", "x", "<br>x"},
	    {"<p title=\"a\"/>x", "x", "<p title=\"a\"></p>x"},
	    {"<p title=\"a\"/ >x", "x", "<p title=\"a\">x</p>"},
	    {"<a href=\"http://e.x/\"title=\"t\">l</a>", "l", "<a href=\"http://e.x/\" title=\"t\">l</a>"},
	    {"<p title=a lang=\"x>y\">z</p>", "z", "<p title=\"a\" lang=\"x&gt;y\">z</p>"},
	    {"<p title=a\tlang=en>x</p>", "x", "<p title=\"a\" lang=\"en\">x</p>"},
	    {"<p =x title=t>y</p>", "y", "<p title=\"t\">y</p>"},
	    {"<p title==x>y</p>", "y", "<p title=\"=x\">y</p>"},
	    {"<p title='a\"b'>x</p>", "x", "<p title=\"a&quot;b\">x</p>"},
	    {"<p title=\"a'b\">x</p>", "x", "<p title=\"a'b\">x</p>"},
	    {"<p title=\"t\"", "", "<p title=\"t\"></p>"},
	    {"<p title=", "", "<p title=\"\"></p>"},
	    {"<p title", "", "<p title=\"\"></p>"},
	    {"<p/", "", "<p></p>"},
	    {"<p title=\"a\" / >x</p>", "x", "<p title=\"a\">x</p>"},
	    {"<td colspan=2/>a<td>b", "a | b", "<td colspan=\"2/\">a</td><td>b</td>"},
	    {"<a href=/x/>l</a>", "l", "<a href=\"/x/\">l</a>"},
	    {"<a href=x/>l</a>m", "lm", "<a href=\"x/\">l</a>m"},
	};

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		check_convert(cases[i].in, HTML_BLOCKS, cases[i].text, cases[i].html);
}

/* Text and HTML of random paragraphs made of words, blanks, references, controls, no-break
 * spaces and Windows-1252 characters, long and short (pieces up to sixteen bytes and longer
 * ones take different paths, and pieces that need no escaping and no collapsing a short cut),
 * against the rules: blanks collapse to one space, controls go (DEL from the HTML only), the
 * HTML is the text as written with & < > escaped, and a line of no-break spaces only is none. */
static void test_text_and_html(void)
{
	static const struct {
		const char *in, *text, *html; /* text NULL: a blank; "" nothing */
		int visible;
	} parts[] = {{"a", "a", "a", 1},
		     {"bc", "bc", "bc", 1},
		     {"\xc3\xa9", "\xc3\xa9", "\xc3\xa9", 1},
		     {"defghijklmnopqrs", "defghijklmnopqrs", "defghijklmnopqrs", 1},
		     {" ", NULL, " ", 0},
		     {" ", NULL, " ", 0},
		     {"  ", NULL, "  ", 0},
		     {"\t", NULL, "\t", 0},
		     {"\n", NULL, "\n", 0},
		     {"&amp;", "&", "&amp;", 1},
		     {"&lt;", "<", "&lt;", 1},
		     {">", ">", "&gt;", 1},
		     {"\x01", "", "", 0},
		     {"\x7f", "\x7f", "", 1},
		     {"\xc2\xa0", "\xc2\xa0", "\xc2\xa0", 0},
		     {"\xc2\x93", "\xe2\x80\x9c", "\xc2\x93", 1}};
	unsigned long seed = 4242;
	char in[700], text[700], html[700], doc[720], want[720];

	for (int round = 0; round < 6000; round++) {
		size_t len = 0, tlen = 0, hlen = 0, count;
		int blank = 0, visible = 0;

		seed = seed * 6364136223846793005UL + 1442695040888963407UL;
		count = (seed >> 33) % 2 ? 1 + (size_t)(seed >> 40) % 6 : 1 + (size_t)(seed >> 40) % 40;
		for (size_t k = 0; k < count; k++) {
			size_t pi;

			seed = seed * 6364136223846793005UL + 1442695040888963407UL;
			pi = (seed >> 33) % (sizeof(parts) / sizeof(parts[0]));
			len += (size_t)sprintf(in + len, "%s", parts[pi].in);
			hlen += (size_t)sprintf(html + hlen, "%s", parts[pi].html);
			visible |= parts[pi].visible;
			if (!parts[pi].text) {
				blank = 1;
				continue;
			}
			if (!*parts[pi].text)
				continue;
			if (blank && tlen)
				text[tlen++] = ' ';
			tlen += (size_t)sprintf(text + tlen, "%s", parts[pi].text);
			blank = 0;
		}
		text[visible ? tlen : 0] = '\0';
		html[hlen] = '\0';
		snprintf(doc, sizeof doc, "<p>%s</p>", in);
		snprintf(want, sizeof want, "<p>%s</p>", html);
		check_convert(doc, round % 2 ? HTML_BLOCKS : HTML_INLINE, text, want);
	}
}

/* Text with a stray byte, a NUL or a character outside ASCII at every place of the 8, 16 and
 * 32 bytes html.c checks for clean UTF-8 at once, with and without markup (which take different
 * paths), against the rule: stray bytes are U+FFFD, NULs go. */
static void test_clean_places(void)
{
	static const struct {
		const char *in, *out;
		size_t len;
	} odd[] = {{"\xff", "\xef\xbf\xbd", 1}, {"", "", 1}, {"\xc3", "\xef\xbf\xbd", 1},
		   {"\xc3\xa9", "\xc3\xa9", 2}};
	char in[96], want[96], html[128], xs[72];
	struct buf b = BUF_INIT;

	memset(xs, 'x', sizeof xs);
	for (size_t len = 1; len < sizeof xs; len++)
		for (size_t at = 0; at < len; at++)
			for (size_t o = 0; o < sizeof odd / sizeof *odd; o++) {
				size_t n = len - 1 + odd[o].len;

				memset(in, 'x', len);
				memcpy(in + at, odd[o].in, odd[o].len);
				memset(in + at + odd[o].len, 'x', len - 1 - at);
				snprintf(want, sizeof want, "%.*s%s%.*s", (int)at, xs, odd[o].out,
					 (int)(len - 1 - at), xs);
				memcpy(html, "<b>", 3);
				memcpy(html + 3, in, n);
				memcpy(html + 3 + n, "</b>", 4);
				for (int markup = 0; markup < 2; markup++) {
					buf_reset(&b);
					CHECK(html_to_text(markup ? html : in, markup ? n + 7 : n,
							   HTML_BLOCKS, &b) == 0 &&
						      strcmp(buf_cstr(&b), want) == 0,
					      "html_to_text(%zu x, odd byte %zu at %zu%s) gave \"%s\"", len,
					      o, at, markup ? ", in <b>" : "", buf_cstr(&b));
				}
			}
	buf_fini(&b);
}

/* One conversion of in[0..n) with x into b, emptied first: html_convert() (path 0 and 1: text
 * without and with markup) or plain_convert() (path 2). */
static const char *convert_with(int path, const char *in, size_t n, const struct html_extra *x,
				struct buf *b)
{
	int rc;

	buf_reset(b);
	rc = path == 2 ? plain_convert(in, n, HTML_BLOCKS, b, x)
		       : html_convert(in, n, HTML_BLOCKS, b, x);
	return rc == 0 ? buf_cstr(b) : "(error)";
}

/* struct html_extra's valid_utf8: the callers that vouch for their text (the feed parser) get
 * the same output as a checked conversion for valid text; the ones that do not (x NULL or
 * valid_utf8 0: web pages, plugins) still have stray bytes replaced and NULs dropped; and with
 * the flag the check is skipped (the stray byte goes through as it is), or, in builds with
 * FEEDSPOOL_CHECK_UTF8, the broken promise aborts. */
static void test_valid_utf8(void)
{
	static const char *const good[] = {"caf\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x98\x80 x",
					   "<p>caf\xc3\xa9</p><p>\xe2\x80\x94 &amp; b</p>",
					   "a\n\ncaf\xc3\xa9 \xf4\x8f\xbf\xbf"};
	/* octal escapes: a hex one would take the 'b' after it */
	static const char *const bad[] = {"a\377b", "<b>a\377b</b>", "a\303 b"};
	static const char *const cleaned[] = {"a\357\277\275b", "a\357\277\275b",
					      "a\357\277\275 b"};
	const struct html_extra vouch = {.valid_utf8 = 1}, no = {.valid_utf8 = 0};
	struct buf b = BUF_INIT, c = BUF_INIT;
	char with_nul[] = "a\0b";

	for (int path = 0; path < 3; path++) {
		char want[256];

		snprintf(want, sizeof want, "%s",
			 convert_with(path, good[path], strlen(good[path]), NULL, &b));
		CHECK(strcmp(convert_with(path, good[path], strlen(good[path]), &vouch, &c),
			     want) == 0,
		      "path %d: \"%s\" vouched gave \"%s\", checked \"%s\"", path, show(good[path]),
		      show(buf_cstr(&c)), show(want));
		CHECK(strcmp(convert_with(path, bad[path], strlen(bad[path]), NULL, &b),
			     cleaned[path]) == 0,
		      "path %d: \"%s\" without x gave \"%s\", want \"%s\"", path, show(bad[path]),
		      show(buf_cstr(&b)), show(cleaned[path]));
		CHECK(strcmp(convert_with(path, bad[path], strlen(bad[path]), &no, &b),
			     cleaned[path]) == 0,
		      "path %d: \"%s\" with valid_utf8 0 gave \"%s\", want \"%s\"", path,
		      show(bad[path]), show(buf_cstr(&b)), show(cleaned[path]));
		CHECK(strcmp(convert_with(path, with_nul, 3, &no, &b), "ab") == 0,
		      "path %d: \"a\\0b\" with valid_utf8 0 gave \"%s\", want \"ab\"", path,
		      show(buf_cstr(&b)));
	}
#ifndef FEEDSPOOL_CHECK_UTF8
	/* the flag skips the check: the stray byte is not replaced (text and plain paths, where
	 * nothing else looks at it) */
	CHECK(strcmp(convert_with(0, bad[0], strlen(bad[0]), &vouch, &b), "a\377b") == 0,
	      "\"%s\" vouched gave \"%s\", want it untouched (no check)", show(bad[0]),
	      show(buf_cstr(&b)));
	CHECK(strcmp(convert_with(2, bad[0], strlen(bad[0]), &vouch, &b), "a\377b") == 0,
	      "plain \"%s\" vouched gave \"%s\", want it untouched (no check)", show(bad[0]),
	      show(buf_cstr(&b)));
#else
	/* the promise is checked: a broken one aborts */
	for (int path = 0; path < 3; path++) {
		pid_t pid = fork();
		int st = 0;

		if (pid == 0) {
			fclose(stderr);
			convert_with(path, bad[path], strlen(bad[path]), &vouch, &b);
			_exit(0);
		}
		CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) &&
			  WTERMSIG(st) == SIGABRT,
		      "path %d: \"%s\" vouched did not abort (status %d)", path, show(bad[path]),
		      st);
	}
#endif
	buf_fini(&b);
	buf_fini(&c);
}

/* Blank runs between tags, which html_markup_normalize() holds out of what libxml2 parses and
 * on_start()/on_end()/on_text() deliver where libxml2 would have: the cases where one is held
 * (between tags, before an end tag closing nothing at the end, in pre, a table, after </html>,
 * in the pull parse of input ending with '<') and where it is not (at the start, the second of
 * two around a comment or a skipped element, before a literal '<' or at the end), the same text
 * and HTML as before they were held (outputs of 210636e). Then text right after a start tag,
 * held likewise: after every element libxml2 2.9 knows as empty, html, head and body (not
 * held) in both cases, self-closed, after an end tag, before a literal '<' or the end, after
 * another held text, with references, in pre, not clean UTF-8, in elements dropped with their
 * content (the outputs of 8ca72be). */
static const struct {
	const char *in, *blocks, *inl, *html;
} held_blanks[] = {
    {"<p>a</p>\n<p>b</p>", "a\nb", "a b", "<p>a</p>\n<p>b</p>"},
    {"\n <p>a</p>", "a", "a", "<p>a</p>"},
    {"<p>a</p>\n<!-- c -->\t<p>b</p>", "a\nb", "a b", "<p>a</p>\n\t<p>b</p>"},
    {"<b>a</b> <script>x</script> <i>b</i>", "a b", "a b", "<b>a</b>  <i>b</i>"},
    {"<b>a</b>\n< b", "a < b", "a < b", "<b>a</b>\n&lt; b"},
    {"<p>a</p> \n", "a", "a", "<p>a</p> \n"},
    {"<html><body><p>a</p></body></html>\n</x>", "a", "a", "<p>a</p>\n"},
    {"<p>a</p>\n<p>b</p>\n<", "a\nb\n<", "a b <", "<p>a</p>\n<p>b</p>\n&lt;"},
    {"<pre><b>a</b>\n  <b>b</b>\n</pre>", "a\nb", "a b", "<pre><b>a</b>\n  <b>b</b>\n</pre>"},
    {"<html><body>a</body></html>\n<p>b</p>", "a\nb", "a b", "a\n<p>b</p>"},
    {"<b>a</b>\n<aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa>\n<b>b</b>", "a b", "a b",
     "<b>a</b>\n\n<b>b</b>"},
    {"<table>\n<tr>\n<td>a</td>\n<td>b</td>\n</tr>\n</table>", "a | b", "a | b",
     "<table>\n<tr>\n<td>a</td>\n<td>b</td>\n</tr>\n</table>"},
    {"<br>\n<br/>\n<img src=x.png>\n<b>x</b>", "x", "x",
     "<br>\n<br>\n<img src=\"http://ex.org/x.png\">\n<b>x</b>"},
    {"<b/>\n<i/> x", "x", "x", "<b></b>\n<i></i> x"},
    {"<p><b>a</b>\n</p>\n<p>b", "a\nb", "a b", "<p><b>a</b>\n</p>\n<p>b</p>"},
    {"<li><b>a</b>\n<li>b", "a\nb", "a b", "<li><b>a</b>\n</li><li>b</li>"},
    {"<title>t</title>\n<p>x</p>", "t\nx", "t x", "t\n<p>x</p>"},
    {"<b>a</b>\f<b>b</b>", "a b", "a b", "<b>a</b><b>b</b>"},
    {"<p>a</p>\r\n<p>b</p>", "a\nb", "a b", "<p>a</p>\n<p>b</p>"},
    {"<p>&nbsp;</p>\n<p>&nbsp;</p>\n<p>c</p>", "c", "c",
     "<p>\xc2\xa0</p>\n<p>\xc2\xa0</p>\n<p>c</p>"},
    {"<a href=\"/x\"><b>a</b>\n<i>b</i></a>\n<p>c</p>", "a b\nc", "a b c",
     "<a href=\"http://ex.org/x\"><b>a</b>\n<i>b</i></a>\n<p>c</p>"},
    {"<ul>\n<li>a</li>\n</ul>\n tail", "a\ntail", "a tail", "<ul>\n<li>a</li>\n</ul>\n tail"},
    {"<p>a</p><p>b</p>", "a\nb", "a b", "<p>a</p><p>b</p>"},
    {"<html>a<b>b</b>", "ab", "ab", "<p>a<b>b</b></p>"},
    {"<head>a<b>b</b>", "ab", "ab", "<p>a<b>b</b></p>"},
    {"<body>a<b>b</b>", "ab", "ab", "a<b>b</b>"},
    {"<p>x</p><body>a<b>b</b>", "x\nab", "x ab", "<p>x</p>a<b>b</b>"},
    {"<html><body>a<b>b</b>", "ab", "ab", "a<b>b</b>"},
    {"<br>a<b>b</b>", "ab", "ab", "<br>a<b>b</b>"},
    {"<BR>a<b>b</b>", "ab", "ab", "<br>a<b>b</b>"},
    {"<hr>a<b>b</b>", "ab", "ab", "<hr>a<b>b</b>"},
    {"<col>a<b>b</b>", "ab", "ab", "<col>a<b>b</b>"},
    {"<img src=x.png>a<b>b</b>", "ab", "ab", "<img src=\"http://ex.org/x.png\">a<b>b</b>"},
    {"<area>a<b>b</b>", "ab", "ab", "a<b>b</b>"},
    {"<base>a<b>b</b>", "ab", "ab", "<p>a<b>b</b></p>"},
    {"<link>a<b>b</b>", "ab", "ab", "<p>a<b>b</b></p>"},
    {"<meta>a<b>b</b>", "ab", "ab", "<p>a<b>b</b></p>"},
    {"<frame>a<b>b</b>", "ab", "ab", "<p>a<b>b</b></p>"},
    {"<input>a<b>b</b>", "ab", "ab", "a<b>b</b>"},
    {"<param>a<b>b</b>", "ab", "ab", "a<b>b</b>"},
    {"<isindex>a<b>b</b>", "ab", "ab", "a<b>b</b>"},
    {"<basefont>a<b>b</b>", "ab", "ab", "a<b>b</b>"},
    {"<wbr>a<b>b</b>", "ab", "ab", "<wbr>a<b>b</b>"},
    {"<embed>a<b>b</b>", "ab", "ab", "a<b>b</b>"},
    {"<b/>a<i>b</i>", "ab", "ab", "<b></b>a<i>b</i>"},
    {"<p><b>x</b>a<i>b</i></p>", "xab", "xab", "<p><b>x</b>a<i>b</i></p>"},
    {"<P>a<B>b</B>", "ab", "ab", "<p>a<b>b</b></p>"},
    {"<p>a < b</p>", "a < b", "a < b", "<p>a &lt; b</p>"},
    {"<p>a<!-- c -->b<i>c</i>", "abc", "abc", "<p>ab<i>c</i></p>"},
    {"<p>a", "a", "a", "<p>a</p>"},
    {"<p>  a <b>b</b>", "a b", "a b", "<p>  a <b>b</b></p>"},
    {"<pre>a\n b<b>\nc</b></pre>", "a\nb\nc", "a b c", "<pre>a\n b<b>\nc</b></pre>"},
    {"<title/>a<b>b</b>", "ab", "ab", "<p>a<b>b</b></p>"},
    {"<html><body>x</body></html>a<b>b</b>", "x\nab", "x ab", "x<p>a<b>b</b></p>"},
    {"<p>a\n<b>b</b>\nc</p>\n<pre>\n x<i>y\n</i></pre>", "a b c\nxy", "a b c xy",
     "<p>a\n<b>b</b>\nc</p>\n<pre>\n x<i>y\n</i></pre>"},
    {"<p>a &amp; b&nbsp;<b>c&#150;</b>",
     "a & b\xc2\xa0"
     "c\xe2\x80\x93",
     "a & b\xc2\xa0"
     "c\xe2\x80\x93",
     "<p>a &amp; b\xc2\xa0<b>c\xc2\x96</b></p>"},
    {"<title>t</title>a<b>b</b>", "t\nab", "t ab", "t<p>a<b>b</b></p>"},
    {"<title>t<b>b</b>", "tb", "tb", "t<b>b</b>"},
    {"<li>a<li>b<li>c", "a\nb\nc", "a b c", "<li>a</li><li>b</li><li>c</li>"},
    {"<table><tr><td>a<td>b</table>", "a | b", "a | b",
     "<table><tr><td>a</td><td>b</td></tr></table>"},
    {"<p>a\xff b<b>c</b>", "a\xef\xbf\xbd bc", "a\xef\xbf\xbd bc",
     "<p>a\xef\xbf\xbd b<b>c</b></p>"},
    {"<svg><title>t</title></svg><p>x<b>y</b>", "xy", "xy", "<p>x<b>y</b></p>"},
    {"<a href=/x>link<b>b</b></a>", "linkb", "linkb",
     "<a href=\"http://ex.org/x\">link<b>b</b></a>"},
    {"<ul><li>a<ul><li>b</ul>c</ul>", "a\nb\nc", "a b c",
     "<ul><li>a<ul><li>b</li></ul>c</li></ul>"},
    {"<select>a<option>b</select>c", "c", "c", "c"},
    {"<p>a</p>b<p>c", "a\nb\nc", "a b c", "<p>a</p>b<p>c</p>"},
    {"<div>a<p>b</div>c", "a\nb\nc", "a b c", "<div>a<p>b</p></div>c"},
    {"<frameset>a<b>b</b>", "a\nb", "a b", "a<b>b</b>"},
    {"<noframes>a<b>b</b>", "", "", ""},
    {"<textarea>a<b>b</b></textarea>", "", "", ""},
    {"<q>a<script>x</script>b<i>c</i>", "abc", "abc", "<q>ab<i>c</i></q>"},
    {"<p>\fa<b>b</b>", "ab", "ab", "<p>a<b>b</b></p>"},
    {"<p>&#0;<b>b</b>", "b", "b", "<p><b>b</b></p>"},
    {"<p>&#x0;a<b>b</b>", "ab", "ab", "<p>a<b>b</b></p>"},
};

static void held_blank_case(const char *in, const char *want_blocks, const char *inl,
			    const char *html)
{
	struct buf text = BUF_INIT, h = BUF_INIT;
	struct html_extra x = {"http://ex.org/", &h, NULL, NULL, NULL, 0};

	CHECK(html_convert(in, strlen(in), HTML_BLOCKS, &text, &x) == 0, "html_convert(%s)",
	      show(in));
	CHECK_STR(buf_cstr(&text), want_blocks, "text of %s", show(in));
	CHECK_STR(buf_cstr(&h), html, "content_html of %s", show(in));
	buf_reset(&text);
	CHECK(html_to_text(in, strlen(in), HTML_INLINE, &text) == 0, "html_to_text(%s)", show(in));
	if (inl)
		CHECK_STR(buf_cstr(&text), inl, "inline text of %s", show(in));
	buf_fini(&text);
	buf_fini(&h);
}

/* Attributes, which html_markup_normalize() holds out of what libxml2 parses and on_start()
 * takes by the tag's offset: the first tag with libxml2's implied html and body starting at the
 * same offset, duplicates in any case (the first kept), without a value, on html, head and
 * body, after </html> and a title, more than on_start() keeps on its stack, self-closed and
 * void tags, references in values (the outputs of 733f7ac, checked against it). */
static const struct {
	const char *in, *blocks, *inl, *html;
} held_atts[] = {
    {"<a href=\"/x\">x</a>", "x", "x", "<a href=\"http://ex.org/x\">x</a>"},
    {"<a href=\"/x\" HREF=\"/y\" title=\"t\" TITLE=\"u\">x</a>", "x", "x",
     "<a href=\"http://ex.org/x\" title=\"t\">x</a>"},
    {"<A HREF=\"/x\" Title=T>x</A>", "x", "x", "<a href=\"http://ex.org/x\" title=\"T\">x</a>"},
    {"<td colspan>a</td><img alt src=x.png>", "a", "a",
     "<td colspan=\"\">a</td><img alt=\"\" src=\"http://ex.org/x.png\">"},
    {"<body title=\"b\"><p title=\"p\">x</p></body>", "x", "x", "<p title=\"p\">x</p>"},
    {"<html lang=\"en\"><head title=\"h\"><title>t</title></head><body dir=\"rtl\"><a "
     "href=\"/y\">y</a></body></html>",
     "t\ny", "t y", "t<a href=\"http://ex.org/y\">y</a>"},
    {"<p title=a><b title=b>x</b></p>", "x", "x", "<p title=\"a\"><b title=\"b\">x</b></p>"},
    {"<a title=\"a&amp;b&lt;c&#65;&#x;\" href=\"/q?a=1&amp;b=2\">x</a>", "x", "x",
     "<a title=\"a&amp;b&lt;cA\" href=\"http://ex.org/q?a=1&amp;b=2\">x</a>"},
    {"<img src=\"a.png\" alt=\"1\" title=\"2\" width=\"3\" height=\"4\" lang=\"5\" dir=\"6\" "
     "cite=\"7\" span=\"8\" scope=\"9\" headers=\"10\" colspan=\"11\" rowspan=\"12\" "
     "datetime=\"13\" start=\"14\" type=\"15\" value=\"16\" reversed=\"17\">",
     "", "",
     "<img src=\"http://ex.org/a.png\" alt=\"1\" title=\"2\" width=\"3\" height=\"4\" lang=\"5\" "
     "dir=\"6\" cite=\"http://ex.org/7\" span=\"8\" scope=\"9\" headers=\"10\" colspan=\"11\" "
     "rowspan=\"12\" datetime=\"13\">"},
    {"<img src=\"x.png\"/><br title=x><hr title=y/>", "", "",
     "<img src=\"http://ex.org/x.png\"><br title=\"x\"><hr title=\"y/\">"},
    {"<p>a</p></body></html><a href=\"/z\">z</a>", "a\nz", "a z",
     "<p>a</p><a href=\"http://ex.org/z\">z</a>"},
    {"<title>t</title><a href=\"/w\">w</a>", "t\nw", "t w", "t<a href=\"http://ex.org/w\">w</a>"},
    {"<ol start=\"3\" reversed type=\"a\"><li value=\"2\">x</li></ol>", "x", "x",
     "<ol start=\"3\" reversed=\"\" type=\"a\"><li value=\"2\">x</li></ol>"},
    {"<blockquote cite=\"/c\"><q cite=\"http://e.org/\">q</q></blockquote>", "q", "q",
     "<blockquote cite=\"http://ex.org/c\"><q cite=\"http://e.org/\">q</q></blockquote>"},
    {"<a href=/u1 href=/u2>d</a>", "d", "d", "<a href=\"http://ex.org/u1\">d</a>"},
    {"<a href=\"\">e</a><a href>f</a>", "ef", "ef", "<a>e</a><a>f</a>"},
    {"<table><tr><th scope=col headers=h>x</th></tr></table>", "x", "x",
     "<table><tr><th scope=\"col\" headers=\"h\">x</th></tr></table>"},
    {"<iframe src=\"/f\" width=\"3\">fb</iframe><img src=\"javascript:x\" alt=j><a "
     "href=\"mailto:m@x\">m</a>",
     "fbm", "fbm", "fb<a href=\"mailto:m@x\">m</a>"},
    {"<font title=\"f\"><span title=\"s\">x</span></font>", "x", "x", "<span title=\"s\">x</span>"},
    {"<p title=\"x\ny\">z</p>", "z", "z", "<p title=\"x\ny\">z</p>"},
    /* html, head and body in any case (their attributes not kept), and four-letter names that
     * are none of them (theirs kept) */
    {"<HTML lang=\"en\"><HeAd title=\"h\"><TITLE>t</TITLE></hEAD><BODY dir=\"rtl\"><A "
     "HREF=\"/y\">y</A></bOdY></Html>",
     "t\ny", "t y", "t<a href=\"http://ex.org/y\">y</a>"},
    {"<abbr title=\"a\">x</abbr><CITE title=\"c\">y</CITE><Span title=\"s\">z</Span>", "xyz",
     "xyz", "<abbr title=\"a\">x</abbr><cite title=\"c\">y</cite><span title=\"s\">z</span>"},
    /* names of NAME_MAX_LEN (32) bytes, written to libxml2 in one piece (tag_write), and of 33,
     * left out */
    {"<aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/>x"
     "<aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa title=t>y</aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa>"
     "<bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb>z</bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb>",
     "xyz", "xyz", "xyz"},
};

/* Each ASCII byte after a tag name's first letter: a byte of the name (is_name_char(), which
 * html_markup_normalize() looks up in a table) makes an element the sanitizer drops, any other
 * ends the name ("i") and starts an attribute it drops. */
static void test_name_bytes(void)
{
	struct buf text = BUF_INIT, h = BUF_INIT;
	struct html_extra x = {"http://ex.org/", &h, NULL, NULL, NULL, 0};
	char in[16];
	int b;

	for (b = 1; b < 0x80; b++) {
		if (is_blank((unsigned char)b) || strchr("/><\"'=&", b))
			continue;
		snprintf(in, sizeof in, "<i%c>t</i>", b);
		buf_reset(&text);
		buf_reset(&h);
		CHECK(html_convert(in, strlen(in), HTML_BLOCKS, &text, &x) == 0, "html_convert(%s)",
		      show(in));
		CHECK_STR(buf_cstr(&h), is_name_char((unsigned char)b) ? "t" : "<i>t</i>",
			  "content_html of %s", show(in));
	}
	buf_fini(&text);
	buf_fini(&h);
}

/* Tags right after tags (no text scanned for), end tags with their '>' right after the name
 * (not looked for) and elsewhere or missing (the outputs of aafc53c, checked against it). */
static const struct {
	const char *in, *blocks, *inl, *html;
} tag_edges[] = {
    {"<p><b></b><i>x</i></p><p>y</p>", "x\ny", "x y", "<p><b></b><i>x</i></p><p>y</p>"},
    {"<b>a</b ><i>b</i\n>c</i x>d", "abcd", "abcd", "<b>a</b><i>b</i>cd"},
    {"<b>a</b", "a", "a", "<b>a</b>"},
    {"<b>a</", "a", "a", "<b>a</b>"},
    {"<b>a</b/>b", "ab", "ab", "<b>a</b>b"},
    {"<p>x</p>", "x", "x", "<p>x</p>"},
    {"<", "<", "<", "&lt;"},
    {"a<b>", "a", "a", "<p>a<b></b></p>"},
};

static void test_held_blanks(void)
{
	struct buf in = BUF_INIT, html = BUF_INIT, text = BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof held_blanks / sizeof *held_blanks; i++)
		held_blank_case(held_blanks[i].in, held_blanks[i].blocks, held_blanks[i].inl,
				held_blanks[i].html);
	for (i = 0; i < sizeof held_atts / sizeof *held_atts; i++)
		held_blank_case(held_atts[i].in, held_atts[i].blocks, held_atts[i].inl,
				held_atts[i].html);
	for (i = 0; i < sizeof tag_edges / sizeof *tag_edges; i++)
		held_blank_case(tag_edges[i].in, tag_edges[i].blocks, tag_edges[i].inl,
				tag_edges[i].html);
	/* a blank run longer than libxml2's text events (1,000 bytes), in pre and out of it */
	for (i = 0; i < 1500; i++)
		buf_putc(&html, ' ');
	buf_puts(&in, "<pre><b>a</b>");
	buf_append(&in, html.data, html.len);
	buf_puts(&in, "\n  ");
	buf_append(&in, html.data, html.len);
	buf_puts(&in, "<b>b</b></pre>");
	held_blank_case(buf_cstr(&in), "a\nb", "a b", buf_cstr(&in));
	buf_reset(&in);
	buf_puts(&in, "<b>a</b>");
	buf_append(&in, html.data, html.len);
	buf_puts(&in, "<b>b</b>");
	held_blank_case(buf_cstr(&in), "a b", "a b", buf_cstr(&in));
	/* text after 998 blanks: one libxml2 event longer than 1,000 bytes */
	buf_reset(&in);
	buf_reset(&text);
	buf_puts(&in, "<p>");
	buf_append(&in, html.data, 998);
	buf_puts(&in, "a<b>b</b>");
	buf_append(&text, in.data, in.len);
	buf_puts(&text, "</p>");
	held_blank_case(buf_cstr(&in), "ab", "ab", buf_cstr(&text));
	/* input ending with '<' is parsed by htmlCtxtReadMemory(), whose input shrinks as it goes
	 * (the offsets count what it dropped) */
	buf_reset(&in);
	buf_reset(&html);
	buf_reset(&text);
	for (i = 0; i < 200; i++) {
		buf_puts(&in, "<p>a</p>\n");
		buf_puts(&text, i ? "\na" : "a");
	}
	buf_append(&html, in.data, in.len);
	buf_puts(&in, "<");
	buf_puts(&html, "&lt;");
	buf_puts(&text, "\n<");
	held_blank_case(buf_cstr(&in), buf_cstr(&text), NULL, buf_cstr(&html));
	/* nested too deep for libxml2: html_flat_convert() delivers them */
	buf_reset(&in);
	for (i = 0; i < 300; i++)
		buf_puts(&in, "<div>\n");
	buf_puts(&in, "<b>a</b> <i>b</i>\n</div>");
	held_blank_case(buf_cstr(&in), "a b", "a b", "<p>a b</p>");
	buf_fini(&in);
	buf_fini(&html);
	buf_fini(&text);
}

/* The attribute allowlist: every name it has, in any case, and names it has not (the lookups
 * go by first letter and by a search of the sorted table). */
static void test_attribute_lookup(void)
{
	static const struct {
		const char *name, *element; /* element NULL: every kept element may have it */
		enum san_attr what;
	} known[] = {
	    {"alt", "img", SAN_ATTR_TEXT},   {"cite", NULL, SAN_ATTR_URL},
	    {"colspan", NULL, SAN_ATTR_TEXT}, {"datetime", NULL, SAN_ATTR_TEXT},
	    {"dir", NULL, SAN_ATTR_TEXT},     {"headers", NULL, SAN_ATTR_TEXT},
	    {"height", "img", SAN_ATTR_TEXT}, {"href", "a", SAN_ATTR_URL},
	    {"lang", NULL, SAN_ATTR_TEXT},    {"reversed", "ol", SAN_ATTR_TEXT},
	    {"rowspan", NULL, SAN_ATTR_TEXT}, {"scope", NULL, SAN_ATTR_TEXT},
	    {"span", NULL, SAN_ATTR_TEXT},    {"src", "img", SAN_ATTR_URL},
	    {"start", "ol", SAN_ATTR_TEXT},   {"title", NULL, SAN_ATTR_TEXT},
	    {"type", "ol", SAN_ATTR_TEXT},    {"value", "li", SAN_ATTR_TEXT},
	    {"width", "img", SAN_ATTR_TEXT},
	};
	static const char *const unknown[] = {"class", "id", "style", "onclick", "a", "hrefs",
					      "sr", "zoom", "xlink:href", "data-src", "title2"};
	char up[16];
	size_t i, k;

	for (i = 0; i < sizeof known / sizeof *known; i++) {
		const char *n = known[i].name;

		CHECK(sanitize_attribute(known[i].element ? known[i].element : "p", n) ==
			      known[i].what,
		      "sanitize_attribute(%s, %s)", known[i].element ? known[i].element : "p", n);
		CHECK(sanitize_attribute("x-none", n) == (known[i].element ? SAN_ATTR_NO : known[i].what),
		      "sanitize_attribute(x-none, %s): only the global ones", n);
		for (k = 0; n[k]; k++)
			up[k] = (char)(k % 2 ? n[k] - 32 : n[k]);
		CHECK(sanitize_attribute_known(n, strlen(n)) && sanitize_attribute_known(up, k),
		      "sanitize_attribute_known(%s) in any case", n);
		CHECK(!sanitize_attribute_known(n, strlen(n) - 1), "a prefix of %s is not known", n);
	}
	/* sanitize_attribute() by the length and fixed-size compares: near misses of every name
	 * (its last letter changed, one letter more or less, upper case) are none */
	for (i = 0; i < sizeof known / sizeof *known; i++) {
		const char *n = known[i].name, *el = known[i].element ? known[i].element : "p";
		char near[16];
		size_t len = strlen(n);
		int ch;

		for (ch = 'a'; ch <= 'z'; ch++) {
			memcpy(near, n, len + 1);
			near[len - 1] = (char)ch;
			CHECK(sanitize_attribute(el, near) ==
				  (ch == n[len - 1] ? known[i].what : SAN_ATTR_NO),
			      "sanitize_attribute(%s, %s) (from %s)", el, near, n);
			near[len - 1] = n[len - 1];
			near[len] = (char)ch;
			near[len + 1] = '\0';
			CHECK(sanitize_attribute(el, near) == SAN_ATTR_NO,
			      "sanitize_attribute(%s, %s)", el, near);
		}
		memcpy(near, n, len - 1);
		near[len - 1] = '\0';
		CHECK(sanitize_attribute(el, near) == SAN_ATTR_NO, "sanitize_attribute(%s, %s)", el,
		      near);
		for (k = 0; k <= len; k++)
			near[k] = (char)(n[k] && k == len / 2 ? n[k] - 32 : n[k]);
		CHECK(sanitize_attribute(el, near) == SAN_ATTR_NO, "sanitize_attribute(%s, %s)", el,
		      near);
		CHECK(known[i].element == NULL ||
			  sanitize_attribute(strcmp(el, "a") ? "a" : "img", n) == SAN_ATTR_NO,
		      "%s on another element than %s", n, el);
	}
	for (i = 0; i < sizeof unknown / sizeof *unknown; i++)
		CHECK(!sanitize_attribute_known(unknown[i], strlen(unknown[i])) &&
			      sanitize_attribute("p", unknown[i]) == SAN_ATTR_NO,
		      "%s is no attribute the sanitizer keeps", unknown[i]);
}

/* sanitize_put_text() and sanitize_put_attr() with each special byte at every place of the
 * eight-byte words sanitize.c reads at once, against the escaping rule itself. */
static void test_escape_places(void)
{
	/* escaped, dropped (control characters but tab and line feed) or kept */
	static const char specials[] = "&<>\"\x01\r\x1f\x7f\t\n";
	char in[24], want[160];
	struct buf b = BUF_INIT;

	for (int attr = 0; attr < 2; attr++)
		for (size_t len = 1; len < sizeof in; len++)
			for (size_t at = 0; at < len; at++)
				for (const char *c = specials; *c; c++) {
					size_t w = 0;

					memset(in, 'x', len);
					in[at] = *c;
					for (size_t k = 0; k < len; k++) {
						const char *rep = in[k] == '&'	 ? "&amp;"
								  : in[k] == '<' ? "&lt;"
								  : in[k] == '>' ? "&gt;"
								  : in[k] == '"' && attr ? "&quot;"
											 : NULL;

						if (rep) {
							memcpy(want + w, rep, strlen(rep));
							w += strlen(rep);
						} else if (((unsigned char)in[k] < 0x20 &&
							    in[k] != '\t' && in[k] != '\n') ||
							   in[k] == 0x7f) {
							continue;
						} else {
							want[w++] = in[k];
						}
					}
					want[w] = '\0';
					buf_reset(&b);
					CHECK((attr ? sanitize_put_attr(&b, in, len)
						    : sanitize_put_text(&b, in, len)) == 0 &&
						  strcmp(buf_cstr(&b), want) == 0,
					      "sanitize_put_%s(%.*s) gave \"%s\", want \"%s\"",
					      attr ? "attr" : "text", (int)len, in, buf_cstr(&b), want);
				}
	buf_fini(&b);
}

static void test_api(void)
{
	struct buf b = BUF_INIT;
	int rc;

	/* the text is appended, what was there stays */
	buf_puts(&b, "prefix:");
	rc = html_to_text("<p>a</p><p>b</p>", 16, HTML_BLOCKS, &b);
	CHECK(rc == 0 && strcmp(buf_cstr(&b), "prefix:a\nb") == 0,
	      "html_to_text(\"<p>a</p><p>b</p>\") after \"prefix:\" gave \"%s\", want "
	      "\"prefix:a\\nb\"",
	      show(buf_cstr(&b)));
	buf_reset(&b);
	buf_puts(&b, "X");
	rc = html_to_text("<p>&nbsp;</p>", 13, HTML_BLOCKS, &b);
	CHECK(rc == 0 && strcmp(buf_cstr(&b), "X") == 0,
	      "html_to_text(\"<p>&nbsp;</p>\") after \"X\" gave \"%s\", want \"X\"", buf_cstr(&b));
	buf_reset(&b);
	buf_puts(&b, "Y");
	rc = plain_to_text("a\n\nb", 4, HTML_BLOCKS, &b);
	CHECK(rc == 0 && strcmp(buf_cstr(&b), "Ya\nb") == 0,
	      "plain_to_text(\"a\\n\\nb\") after \"Y\" gave \"%s\", want \"Ya\\nb\"",
	      show(buf_cstr(&b)));
	/* only len bytes are read */
	buf_reset(&b);
	rc = html_to_text("<p>ab</p><p>cd</p>", 4, HTML_BLOCKS, &b);
	CHECK(rc == 0 && strcmp(buf_cstr(&b), "a") == 0,
	      "html_to_text(\"<p>ab</p>...\", 4) gave \"%s\", want \"a\"", buf_cstr(&b));
	buf_reset(&b);
	CHECK(html_to_text("<p>x</p>", 8, HTML_BLOCKS, NULL) == -EINVAL,
	      "html_to_text() into NULL should fail with -EINVAL");
	CHECK(plain_to_text(NULL, 3, HTML_BLOCKS, &b) == -EINVAL,
	      "plain_to_text(NULL, 3) should fail with -EINVAL");
	CHECK(html_to_text(NULL, 0, HTML_BLOCKS, &b) == 0 && b.len == 0,
	      "html_to_text(NULL, 0) should give \"\"");
	/* input read to its last byte and not one further (sixteen and eight bytes at a time:
	 * an ASan build sees a read past the allocation) */
	for (size_t len = 1; len <= 48; len++) {
		static const char text[] = "<b>0123456789abcdefghijklmnopqrstuvwxyz0123456789</b>";
		char *exact = malloc(len);

		for (int markup = 0; exact && markup < 2; markup++) {
			memcpy(exact, markup ? text : text + 3, len);
			buf_reset(&b);
			CHECK(html_to_text(exact, len, HTML_BLOCKS, &b) == 0 && b.len <= len,
			      "html_to_text() of %zu bytes without a NUL after them", len);
			buf_reset(&b);
			CHECK(plain_to_text(exact, len, HTML_INLINE, &b) == 0 && b.len <= len,
			      "plain_to_text() of %zu bytes without a NUL after them", len);
		}
		free(exact);
	}
	buf_fini(&b);
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		data = malloc((size_t)n + 1);
		if (data && fread(data, 1, (size_t)n, f) == (size_t)n) {
			data[n] = '\0';
			*len = (size_t)n;
		} else {
			free(data);
			data = NULL;
		}
	}
	fclose(f);
	return data;
}

/* Compares got with want; on a difference, prints the first differing line of both. */
static void check_text(const char *what, const char *got, const char *want)
{
	size_t line = 1, i = 0, gs = 0, ws = 0;

	check_count++;
	if (strcmp(got, want) == 0)
		return;
	check_failures++;
	while (got[i] && got[i] == want[i]) {
		if (got[i] == '\n') {
			line++;
			gs = ws = i + 1;
		}
		i++;
	}
	fprintf(stderr, "%s:%d: FAIL: %s differs from its expected text at line %zu\n", __FILE__,
		__LINE__, what, line);
	fprintf(stderr, "  expected: \"%.*s\"\n", (int)strcspn(want + ws, "\n"), want + ws);
	fprintf(stderr, "  actual:   \"%.*s\"\n", (int)strcspn(got + gs, "\n"), got + gs);
}

/* Each seed article's content, converted, is the body of its expected text rendering; so it is
 * too through the flat fallback, which 300 open <span>s force (they are inline: no change). */
static void test_seeds(void)
{
	const char *dir = getenv("FIXTURES");
	struct buf b = BUF_INIT, deep = BUF_INIT;
	char path[1024], what[1100];
	size_t i, k, hlen, tlen;

	if (!dir || !*dir)
		dir = "tests/fixtures";
	for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		char *html, *want;

		snprintf(path, sizeof(path), "%s/html/%s.html", dir, seeds[i]);
		html = read_file(path, &hlen);
		CHECK(html != NULL, "cannot read %s (set FIXTURES to tests/fixtures)", path);
		snprintf(path, sizeof(path), "%s/html/%s.txt", dir, seeds[i]);
		want = read_file(path, &tlen);
		CHECK(want != NULL, "cannot read %s (set FIXTURES to tests/fixtures)", path);
		if (html && want) {
			buf_reset(&b);
			CHECK(html_to_text(html, hlen, HTML_BLOCKS, &b) == 0,
			      "html_to_text(%s.html) failed", seeds[i]);
			buf_putc(&b, '\n');
			snprintf(what, sizeof(what), "html_to_text(%s.html) + \"\\n\"", seeds[i]);
			check_text(what, buf_cstr(&b), want);

			buf_reset(&deep);
			for (k = 0; k < 300; k++)
				buf_puts(&deep, "<span>");
			buf_append(&deep, html, hlen);
			buf_reset(&b);
			CHECK(html_to_text(deep.data, deep.len, HTML_BLOCKS, &b) == 0,
			      "html_to_text(300 <span> + %s.html) failed", seeds[i]);
			buf_putc(&b, '\n');
			snprintf(what, sizeof(what), "html_to_text(300 <span> + %s.html) + \"\\n\"",
				 seeds[i]);
			check_text(what, buf_cstr(&b), want);
		}
		free(html);
		free(want);
	}
	buf_fini(&b);
	buf_fini(&deep);
}

/* Input built from a head repeated n times, a middle, and a tail repeated n times. */
static void build(struct buf *in, const char *head, size_t n, const char *mid, const char *tail)
{
	size_t i;

	buf_reset(in);
	for (i = 0; i < n; i++)
		buf_puts(in, head);
	buf_puts(in, mid);
	for (i = 0; i < n; i++)
		buf_puts(in, tail);
}

static void check_hostile(const char *what, const struct buf *in, const char *want)
{
	struct buf b = BUF_INIT;
	int rc = html_to_text(in->data, in->len, HTML_BLOCKS, &b);

	CHECK(rc == 0, "html_to_text(%s) returned %d", what, rc);
	CHECK(layout_ok(b.data ? b.data : "", b.len), "html_to_text(%s) breaks the layout", what);
	if (want)
		CHECK_STR(buf_cstr(&b), want, "html_to_text(%s)", what);
	buf_fini(&b);
}

/* Deep nesting, stray end tags, huge attributes and tags: each must finish (libxml2 alone is
 * quadratic on some of them, which would time the test out) with the text intact. */
static void test_hostile(void)
{
	struct buf in = BUF_INIT;
	size_t i;

	build(&in, "<div>", 100000, "x", "</div>");
	check_hostile("100000 nested divs", &in, "x");
	build(&in, "<table><tr><td>", 100000, "x", "</td></tr></table>");
	check_hostile("100000 nested tables", &in, "x");
	build(&in, "<b>", 100000, "x", "");
	check_hostile("100000 unclosed <b>", &in, "x");
	build(&in, "<div>", 100000, "x", "</span>");
	check_hostile("100000 divs then 100000 stray </span>", &in, "x");
	build(&in, "<div>", 50000, "x", "<body>");
	check_hostile("50000 divs then 50000 <body>", &in, "x");
	build(&in, "<ul><li>", 100000, "x", "");
	check_hostile("100000 nested unclosed lists", &in, "x");
	build(&in, "<pre>", 100000, "a\nb", "");
	check_hostile("100000 nested pre", &in, "a\nb");
	build(&in, "<noscript>", 1000, "hidden", "</noscript>");
	buf_puts(&in, "shown");
	check_hostile("1000 nested noscript", &in, "shown");

	buf_reset(&in);
	buf_puts(&in, "<p title=\"");
	for (i = 0; i < 10 * 1000 * 1000; i++)
		buf_putc(&in, 'x');
	buf_puts(&in, "\">y</p>");
	check_hostile("a 10 MB attribute", &in, "y");
	build(&in, "", 0, "<p", "");
	for (i = 0; i < 200000; i++)
		buf_printf(&in, " a%zu", i);
	buf_puts(&in, ">y</p>");
	check_hostile("a tag with 200000 attributes", &in, "y");
	build(&in, "", 0, "<p>y<", "");
	for (i = 0; i < 1000000; i++)
		buf_puts(&in, "abcdefghij");
	buf_puts(&in, ">z");
	check_hostile("a 10 MB tag name", &in, "yz");
	build(&in, "<a href=\"", 1, "never closed", "");
	check_hostile("an unclosed quote", &in, "");
	build(&in, "x<!--", 1, "never closed", "");
	check_hostile("an unclosed comment", &in, "x");
	build(&in, "&", 1000000, "", "");
	check_hostile("a million '&'", &in, NULL);
	build(&in, "<", 1000000, "", "");
	check_hostile("a million '<'", &in, NULL);
	build(&in, "</", 100000, "x", "");
	check_hostile("100000 '</'", &in, NULL);
	build(&in, "<x>", 300000, "y", "");
	check_hostile("300000 unknown tags", &in, "y");

	buf_reset(&in);
	for (i = 0; i < 256 * 64; i++)
		buf_putc(&in, (char)(i * 7 + i / 256));
	check_hostile("every byte value", &in, NULL);
	buf_fini(&in);
}


/* content_html: the allowlist, URLs made absolute, and the inline links and images. */
struct html_case {
	const char *in, *html;
};

static const struct html_case sanitized[] = {
    {"<p>Read <a href=\"/doc/paper.pdf\">the paper</a> and see <img src=\"fig.png\" alt=\"Figure "
     "1\"></p>",
     "<p>Read <a href=\"http://ex.org/doc/paper.pdf\">the paper</a> and see "
     "<img src=\"http://ex.org/blog/fig.png\" alt=\"Figure 1\"></p>"},
    {"<p onclick=\"x()\" style=\"color:red\" class=\"c\" id=\"i\">t</p>", "<p>t</p>"},
    {"<p>a<script>alert(1)</script><style>p{}</style>b</p>", "<p>ab</p>"},
    {"<a href=\"javascript:alert(1)\">j</a><a href=\" JaVa\tScRiPt:alert(1)\">k</a>",
     "<a>j</a><a>k</a>"},
    {"<a href=\"vbscript:x\">v</a><img src=\"data:image/png;base64,AAAA\"><img src=\"x.png\">",
     "<a>v</a><img src=\"http://ex.org/blog/x.png\">"},
    {"<iframe src=\"http://evil/\">fallback</iframe><object data=\"x\">obj</object><embed "
     "src=\"e\">",
     "fallbackobj"},
    {"<form action=\"/x\"><input name=\"a\" value=\"v\">label<button>b</button></form>", "label"},
    {"a<!-- comment -->b", "<p>ab</p>"},
    {"<table><tr><td colspan=\"2\" width=\"9\" onmouseover=\"x\">c</td></tr></table>",
     "<table><tr><td colspan=\"2\">c</td></tr></table>"},
    {"<blockquote cite=\"/src\"><q>x &amp; y &lt; z</q></blockquote>",
     "<blockquote cite=\"http://ex.org/src\"><q>x &amp; y &lt; z</q></blockquote>"},
    {"<a href=\"mailto:a@b.c\" title='say \"hi\"'>m</a><img src=\"mailto:a@b.c\">",
     "<a href=\"mailto:a@b.c\" title=\"say &quot;hi&quot;\">m</a>"},
    /* only href may carry mailto: (html_attrs tells it from cite and src by its 'h') */
    {"<blockquote CITE=\"mailto:a@b.c\"><q cite=\"mailto:q@b.c\">q</q></blockquote>"
     "<A HREF=\"mailto:h@b.c\">h</A><a href=\"http://x.org/\" cite=\"mailto:c@b.c\">c</a>",
     "<blockquote><q>q</q></blockquote><a href=\"mailto:h@b.c\">h</a><a "
     "href=\"http://x.org/\">c</a>"},
    {"<pre><code>if (a &lt; b)\n  x();</code></pre>",
     "<pre><code>if (a &lt; b)\n  x();</code></pre>"},
    {"<figure><img src=\"https://cdn.example/a.jpg\" "
     "alt=\"\"><figcaption>Cap</figcaption></figure>",
     "<figure><img src=\"https://cdn.example/a.jpg\" "
     "alt=\"\"><figcaption>Cap</figcaption></figure>"},
    {"<font color=red><center>x</center></font><svg><title>t</title><text>s</text></svg>", "xs"},
    {"no markup &amp; a line", "<p>no markup &amp; a line</p>"},
    /* attribute values decoded as libxml2 decodes them: a named reference needs its ';', a
     * numeric one does not, and one that is no character ends the value */
    {"<a href=\"http://e.org/?a=1&amp;b=2&c=3&copy=4&copy;&#x41;&#65&#x;z\" title=\"&quot;q&quot; "
     "&lt;b&gt;\">1</a><a href=\"http://e.org/x&#0;y\">2</a><a href=http://e.org/u?v=&lt;w>3</a>",
     "<a href=\"http://e.org/?a=1&amp;b=2&amp;c=3&amp;copy=4\xc2\xa9"
     "AA\" title=\"&quot;q&quot; "
     "&lt;b&gt;\">1</a><a href=\"http://e.org/x\">2</a><a href=\"http://e.org/u?v=&lt;w\">3</a>"},
    /* libxml2's push parser, which html.c drives, ends the document where its last open
     * element ends and loses a last '<': html.c reads on as htmlParseDocument() does (these
     * outputs are that parser's) */
    {"</a></ p>", "<p> p&gt;</p>"},
    {"<p>a</p></html><p>b</p> c", "<p>a</p><p>b</p><p> c</p>"},
    {"</td>x<b>y", "<p>x<b>y</b></p>"},
    {"<b>x</b></html>\n tail", "<b>x</b><p>\n tail</p>"},
    {"<p>x</p></body></html>  ", "<p>x</p>  "},
    {"a <", "<p>a &lt;</p>"},
    {"</p> <", " &lt;"},
    {"<i>a</i></html><", "<i>a</i>&lt;"},
    /* input that is not clean UTF-8 has its runs copied and cleaned; clean input is read
     * where it lies: the same HTML either way */
    {"<p title=\"t\xff\">a\xc3 <b>b\xe2\x82</b> &amp; c</p>",
     "<p title=\"t\xef\xbf\xbd\">a\xef\xbf\xbd <b>b\xef\xbf\xbd\xef\xbf\xbd</b> &amp; c</p>"},
    {"<p title=\"t\xc3\xa9\">a\xc3\xa9 <b>b\xe2\x82\xac</b> &amp; c</p>",
     "<p title=\"t\xc3\xa9\">a\xc3\xa9 <b>b\xe2\x82\xac</b> &amp; c</p>"},
    /* kept attributes: up to 7 on on_start()'s stack, more in memory of their own */
    {"<table><tr><td colspan=\"1\" rowspan=\"2\" scope=\"row\" headers=\"h&amp;1\" dir=\"ltr\" "
     "lang=\"en\" title=\"t&lt;\" span=\"3\" datetime=\"d\" cite=\"/c\">x</td></tr></table>",
     "<table><tr><td colspan=\"1\" rowspan=\"2\" scope=\"row\" headers=\"h&amp;1\" dir=\"ltr\" "
     "lang=\"en\" title=\"t&lt;\" span=\"3\" datetime=\"d\" cite=\"http://ex.org/c\">x</td></tr>"
     "</table>"},
    {"<table><tr><td colspan=\"1\" rowspan=\"2\" scope=\"row\" headers=\"h\" dir=\"ltr\" "
     "lang=\"en\" title=\"t\" onclick=\"y\">x</td></tr></table>",
     "<table><tr><td colspan=\"1\" rowspan=\"2\" scope=\"row\" headers=\"h\" dir=\"ltr\" "
     "lang=\"en\" title=\"t\">x</td></tr></table>"},
    /* a reference that does not resolve against the base is no URL: dropped (found by fuzzing) */
    {"<img src=\"~ata:image/\x08\x08png\"><a href=\"x:\x01y\">t</a>", "<a>t</a>"},
};

struct seen {
	char text[1024];
};

static int seen_link(void *ud, const char *href, const char *text)
{
	struct seen *w = ud;
	size_t n = strlen(w->text);

	snprintf(w->text + n, sizeof w->text - n, "[L %s|%s]", href, text);
	return 0;
}

static int seen_image(void *ud, const char *src, const char *alt)
{
	struct seen *w = ud;
	size_t n = strlen(w->text);

	snprintf(w->text + n, sizeof w->text - n, "[I %s|%s]", src, alt);
	return 0;
}

static void test_sanitized(void)
{
	struct buf text = BUF_INIT, html = BUF_INIT;
	struct seen w = {""};
	struct html_extra x = {"http://ex.org/blog/", &html, seen_link, seen_image, &w, 0};
	size_t i;

	for (i = 0; i < sizeof sanitized / sizeof *sanitized; i++) {
		buf_reset(&text);
		buf_reset(&html);
		CHECK(html_convert(sanitized[i].in, strlen(sanitized[i].in), HTML_BLOCKS, &text, &x) == 0,
		      "html_convert(%s) succeeds", sanitized[i].in);
		CHECK_STR(buf_cstr(&html), sanitized[i].html, "content_html of %s", sanitized[i].in);
	}
	/* the links and images, absolute, in order, with their text; unsafe ones are not listed */
	w.text[0] = '\0';
	buf_reset(&text);
	buf_reset(&html);
	{
		static const char in[] =
			"<p>See <a href=\"../a\">the <b>first</b>\n link</a>, <a href=\"javascript:x\">"
			"no</a> and <img src=\"/i.png\" alt=\"An image\"><img src=\"data:x\" alt=\"d\">"
			"<a href=\"#note\"><img src=\"n.gif\"></a></p>";

		html_convert(in, strlen(in), HTML_BLOCKS, &text, &x);
		CHECK_STR(w.text,
			  "[L http://ex.org/a|the first link][I http://ex.org/i.png|An image]"
			  "[I http://ex.org/blog/n.gif|][L #note|]",
			  "inline links and images of %s", in);
		CHECK_STR(buf_cstr(&text), "See the first link, no and", "the text is as before");
	}
	/* a link's text as it is in the text (after the line's separator), and where it is not,
	 * through plain_to_text(): blanks of pre, no-break spaces, a byte order mark */
	{
		static const char in[] =
		    "<p>a <a href=\"/1\">one two</a> b<a href=\"/2\">x</a></p><p><a href=\"/3\">  lead"
		    "  and  trail  </a></p><pre>x <a href=\"/4\">t\tab  two</a></pre><a href=\"/5\">"
		    "nb&nbsp;sp</a><a href=\"/6\">&nbsp;</a><a href=\"/7\"><b>bo</b><i>ld</i></a>"
		    "<a href=\"/8\">x<br>y</a><a href=\"/9\"></a><a href=\"/10\">&#150;</a><p>x</p>"
		    "<a href=\"/11\">&#xFEFF;bom</a>";

		w.text[0] = '\0';
		buf_reset(&text);
		html_convert(in, strlen(in), HTML_BLOCKS, &text, &x);
		CHECK_STR(w.text,
			  "[L http://ex.org/1|one two][L http://ex.org/2|x][L http://ex.org/3|lead and "
			  "trail][L http://ex.org/4|t ab two][L http://ex.org/5|nb\xc2\xa0sp]"
			  "[L http://ex.org/6|][L http://ex.org/7|bold][L http://ex.org/8|x y]"
			  "[L http://ex.org/9|][L http://ex.org/10|\xe2\x80\x93]"
			  "[L http://ex.org/11|\xef\xbb\xbf" "bom]",
			  "link texts of %s", in);
	}
	/* a link that began on a line then dropped (nothing but a no-break space): where its text
	 * began is now the middle of a character, which plain_to_text() makes U+FFFD */
	{
		static const char in[] = "&nbsp;<a href=\"/12\"><caption>\xe2\x80\xa8</caption></a>";

		w.text[0] = '\0';
		buf_reset(&text);
		html_convert(in, strlen(in), HTML_BLOCKS, &text, &x);
		CHECK_STR(w.text, "[L http://ex.org/12|\xef\xbf\xbd]", "link text of %s", in);
	}
	buf_fini(&text);
	buf_fini(&html);
}

/* One conversion of in: the block text, the sanitized HTML with the links and images reported,
 * and the inline text, one after the other in out. */
static void void_outputs(const char *in, struct buf *out)
{
	struct buf text = BUF_INIT, html = BUF_INIT;
	struct seen w = {""};
	struct html_extra x = {"http://ex.org/", &html, seen_link, seen_image, &w, 0};

	CHECK(html_convert(in, strlen(in), HTML_BLOCKS, &text, &x) == 0, "html_convert(%s)",
	      show(in));
	buf_printf(out, "%s\n--\n%s\n--\n%s\n--\n", buf_cstr(&text), buf_cstr(&html), w.text);
	buf_reset(&text);
	CHECK(html_to_text(in, strlen(in), HTML_INLINE, &text) == 0, "html_to_text(%s)", show(in));
	buf_puts(out, buf_cstr(&text));
	buf_fini(&text);
	buf_fini(&html);
}

/* The outputs of in with br and img held out of what libxml2 parses where body seems open
 * (html_hold_voids 1) and wherever (2: html_sax_void() alone judges), the same as with them
 * written for it (0) and with nothing held (html_hold_max 0). */
static void void_case(const char *in)
{
	struct buf held = BUF_INIT, all = BUF_INIT, written = BUF_INIT, none = BUF_INIT;

	void_outputs(in, &held);
	html_hold_voids = 2;
	void_outputs(in, &all);
	html_hold_voids = 0;
	void_outputs(in, &written);
	html_hold_max = 0;
	void_outputs(in, &none);
	html_hold_max = HOLD_MAX;
	html_hold_voids = 1;
	CHECK_STR(buf_cstr(&held), buf_cstr(&written), "outputs of %s, br and img held", show(in));
	CHECK_STR(buf_cstr(&all), buf_cstr(&written), "outputs of %s, br and img held wherever",
		  show(in));
	CHECK_STR(buf_cstr(&written), buf_cstr(&none), "outputs of %s, nothing held", show(in));
	buf_fini(&held);
	buf_fini(&all);
	buf_fini(&written);
	buf_fini(&none);
}

/*
 * br and img, which libxml2 would start and end at once, held out of what it parses where it
 * would do nothing else (html_markup.c, void_hold) and delivered in their place, or written for
 * it where it would not (a conversion again): generated fragments of a context (the start,
 * inside head, title, table, select, p, li, pre, a, after text, after </html>, </head>,
 * </title>, meta, frameset, after a link and an image reported), one or two voids (any case, self-closed, with and without
 * attributes, a stray </br>) with text or a tag between, and what follows (text, a tag that
 * closes the context, a literal '<', a reference, a comment, the end, one byte, '<' at the end:
 * the pull parser); then voids at the depth where libxml2 becomes too deep, before text, the
 * end and a start tag.
 */
static void test_held_voids(void)
{
	static const char *const ctx[] = {
	    "", "x", " ", "<p>a", "<p>", "<p>a</p>", "<b>x</b> ", "<head>", "<head><title>t</title>",
	    "<title>t", "<title>t</title>", "<html>", "<html><head>", "<html><body>",
	    "<head></head>", "<body></body>", "<p>x</p></html>", "<p>x</p></body></html>y",
	    "<table>", "<table><tr><td>x", "<table><tr>", "<select><option>o", "<select>",
	    "<ul><li>a", "<li>", "<pre>a\n", "<a href=/x>l", "<meta>", "<p>x</p><link>",
	    "<frameset>", "<noframes>", "<textarea>", "<p>a<script>x</script>", "<img>",
	    "<HTML><BODY>a", "<p>x</p><HEAD>", "<div>x</div>\n", "&amp;", "<q>a<i>b</i>",
	    "<a href=/l>l</a><img src=i.png></html>z</p>"};
	static const char *const voids[] = {
	    "<br>", "<BR>", "<br/>", "<br />", "<Br clear=all>", "<img src=x.png>",
	    "<IMG SRC='a.png' alt=A title=t/>", "<img>", "<img src=\"x.png\" alt=\"a&amp;b\">",
	    "<img src=x.png title=a TITLE=b>", "</br>", "<br><br>", "<br>\n<img src=y.png>",
	    "<img src=a.png>b<br/>", "<br>x<br>", "<br>&amp;<br>", "<br></x><br>", "<brx>",
	    "<imgs>", "<br", "<img src=\"a.png"};
	static const char *const tail[] = {
	    "", "b", "\n", " \n", " b", "<p>c", "</p>d", "<", " < x", "&amp;", "\n<b>z</b>",
	    "</head><p>x", "<li>y", "<td>z", "&#0;", "<!-- c -->b", "</html>x", "<body>b",
	    "<html>h", "<head>", "<title>u</title>", "</td>z", "</select>s", "x<", "\f",
	    "<li>y<", "<p>c<", "<td>z<", "<b>y</b><", "</p>d<"};
	struct buf in = BUF_INIT;
	size_t a, b, c, d;

	for (a = 0; a < sizeof ctx / sizeof *ctx; a++)
		for (b = 0; b < sizeof voids / sizeof *voids; b++)
			for (c = 0; c < sizeof tail / sizeof *tail; c++) {
				buf_reset(&in);
				buf_printf(&in, "%s%s%s", ctx[a], voids[b], tail[c]);
				void_case(buf_cstr(&in));
			}
	/* a void where libxml2's stack reaches DEPTH_MAX (256) and just past it */
	for (d = 250; d < 258; d++) {
		buf_reset(&in);
		for (a = 0; a < d; a++)
			buf_puts(&in, "<div>");
		buf_puts(&in, "a<br>b<img src=x.png>c");
		void_case(buf_cstr(&in));
		buf_puts(&in, "<p>d</p><br>");
		void_case(buf_cstr(&in));
		buf_puts(&in, "<br><b>e</b>");
		void_case(buf_cstr(&in));
	}
	buf_fini(&in);
}

int main(void)
{
	test_sanitized();
	check_cases(blocks, sizeof(blocks) / sizeof(blocks[0]), HTML_BLOCKS, 0);
	check_cases(inlines, sizeof(inlines) / sizeof(inlines[0]), HTML_INLINE, 0);
	check_cases(plain_blocks, sizeof(plain_blocks) / sizeof(plain_blocks[0]), HTML_BLOCKS, 1);
	check_cases(plain_inlines, sizeof(plain_inlines) / sizeof(plain_inlines[0]), HTML_INLINE,
		    1);
	test_looks_like();
	test_api();
	test_blank_runs();
	test_blank_pieces();
	test_clean_places();
	test_valid_utf8();
	test_text_and_html();
	test_tag_forms();
	test_named_refs();
	test_all_named_refs();
	test_kept_tags();
	test_links();
	test_escape_places();
	test_attribute_lookup();
	test_held_blanks();
	test_name_bytes();
	test_held_voids();
	/* the same with nothing held: libxml2 parses every blank, text and attribute */
	html_hold_max = 0;
	test_held_blanks();
	test_name_bytes();
	test_sanitized();
	html_hold_max = HOLD_MAX;
	test_seeds();
	test_hostile();
	return check_exit();
}
