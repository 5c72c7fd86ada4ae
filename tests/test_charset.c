/* SPDX-License-Identifier: MIT */
/* Unit tests for charset.c: encoding detection, the streaming converter and the double-UTF-8
 * repair. Byte strings for legacy encodings were produced with Python's codecs; the mojibake
 * samples mimic /work/shared/corpus/real-feeds/simplepie__feed_rss-2.0_for_file_mock.xml. */
#include "autoconfig.h"

#include "charset.h"
#include "check.h"
#include "json_write.h"
#include "buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- utf8_valid ---- */

static void test_utf8_valid(void)
{
	static const struct {
		const char *s;
		size_t n;
		int valid;
	} cases[] = {
	    {"", 0, 1},
	    {"plain ascii text, longer than eight bytes", 41, 1},
	    {"caf\xC3\xA9", 5, 1},
	    {"\xE2\x82\xAC", 3, 1},
	    {"\xF0\x9F\x98\x80", 4, 1},
	    {"\xF4\x8F\xBF\xBF", 4, 1}, /* U+10FFFF */
	    {"\xEF\xBF\xBF", 3, 1},	/* U+FFFF is valid UTF-8 */
	    {"\xC0\x80", 2, 0},		/* overlong NUL */
	    {"\xC1\xBF", 2, 0},		/* overlong */
	    {"\xE0\x80\xAF", 3, 0},	/* overlong '/' */
	    {"\xF0\x80\x80\xAF", 4, 0}, /* overlong */
	    {"\xED\xA0\x80", 3, 0},	/* surrogate U+D800 */
	    {"\xED\xBF\xBF", 3, 0},	/* surrogate U+DFFF */
	    {"\xF4\x90\x80\x80", 4, 0}, /* U+110000 */
	    {"\xF5\x80\x80\x80", 4, 0},
	    {"\xFF", 1, 0},
	    {"\x80", 1, 0},    /* lone continuation */
	    {"caf\xC3", 4, 0}, /* truncated */
	    {"\xE2\x82", 2, 0},
	    {"abcdefgh\xE9ijklmnop", 17, 0}, /* bad byte after the 8-byte fast path */
	    {"abcdefghijklmnop\xC3\xA9", 18, 1},
	    {"a\0b", 3, 1}, /* NUL is valid UTF-8 */
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		CHECK(utf8_valid(cases[i].s, cases[i].n) == cases[i].valid,
		      "utf8_valid(\"%s\") should be %d", check_show(cases[i].s, cases[i].n),
		      cases[i].valid);
}

/* ---- charset_detect ---- */

static const char *source_name(enum charset_source s)
{
	static const char *const names[] = {"DEFAULT", "BOM", "HTTP", "XMLDECL", "SNIFFED"};

	return (unsigned)s < 5 ? names[s] : "?";
}

static void expect_detect(const char *ct, const char *head, size_t n, const char *name,
			  size_t bom_len, enum charset_source src)
{
	struct charset_guess g;
	int rc;

	memset(&g, 0x55, sizeof g);
	rc = charset_detect(ct, (const unsigned char *)head, n, &g);
	CHECK(rc == 0, "charset_detect(%s, \"%s\") returned %d", ct ? ct : "NULL", check_show(head, n),
	      rc);
	CHECK_STR(g.name, name, "name for Content-Type %s, head \"%s\"", ct ? ct : "NULL",
		  check_show(head, n));
	CHECK(g.bom_len == bom_len, "bom_len for \"%s\": expected %zu, got %zu", check_show(head, n),
	      bom_len, g.bom_len);
	CHECK(g.source == src, "source for Content-Type %s, head \"%s\": expected %s, got %s",
	      ct ? ct : "NULL", check_show(head, n), source_name(src), source_name(g.source));
}

#define DETECT(ct, lit, name, bom, src) expect_detect(ct, lit, sizeof(lit) - 1, name, bom, src)

static void test_detect_bom(void)
{
	DETECT(NULL, "\xEF\xBB\xBF<?xml version=\"1.0\"?><rss/>", "UTF-8", 3, CHARSET_BOM);
	DETECT(NULL, "\xFE\xFF\0<\0?\0x", "UTF-16BE", 2, CHARSET_BOM);
	DETECT(NULL, "\xFF\xFE<\0?\0x\0", "UTF-16LE", 2, CHARSET_BOM);
	DETECT(NULL, "\0\0\xFE\xFF\0\0\0<", "UTF-32BE", 4, CHARSET_BOM);
	DETECT(NULL, "\xFF\xFE\0\0<\0\0\0", "UTF-32LE", 4, CHARSET_BOM);
	/* a BOM beats both the HTTP charset and the declaration */
	DETECT("text/xml; charset=iso-8859-1",
	       "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"windows-1251\"?>", "UTF-8", 3,
	       CHARSET_BOM);
	DETECT("application/xml; charset=utf-8", "\xFF\xFE<\0?\0x\0m\0", "UTF-16LE", 2,
	       CHARSET_BOM);
}

static void test_detect_http(void)
{
	static const char iso_decl[] = "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?>\n<rss/>";
	static const char no_enc[] = "<?xml version=\"1.0\"?>\n<rss/>";
	static const char utf8_decl[] = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss/>";

	/* the corpus's http_*_charset_overrides_encoding cases; us-ascii takes the UTF-8 path */
	DETECT("application/rss+xml;charset= \"us-ascii\"", iso_decl, "UTF-8", 0, CHARSET_HTTP);
	DETECT("application/xml;charset = us-ascii", iso_decl, "UTF-8", 0, CHARSET_HTTP);
	DETECT("text/atom+xml; charset='us-ascii'", iso_decl, "UTF-8", 0, CHARSET_HTTP);
	DETECT("application/atom+xml; charset='gb2312'", utf8_decl, "GB18030", 0, CHARSET_HTTP);
	DETECT("application/atom+xml;charset='gb2312'", no_enc, "GB18030", 0, CHARSET_HTTP);
	DETECT("text/xml; Charset=\"Windows-1251\"", iso_decl, "WINDOWS-1251", 0, CHARSET_HTTP);
	DETECT("TEXT/XML ; CHARSET=KOI8-R ", utf8_decl, "KOI8-R", 0, CHARSET_HTTP);
	DETECT("text/xml;format=flowed;charset=latin1;q=1", utf8_decl, "WINDOWS-1252", 0,
	       CHARSET_HTTP);
	/* a quoted ';' and "charset=" inside another parameter's value is not the charset */
	DETECT("text/xml; title=\"a;charset=koi8-r\"; charset=utf-8", iso_decl, "UTF-8", 0,
	       CHARSET_HTTP);
	DETECT("text/xml; title=\"a\\\"charset=koi8-r\"", iso_decl, "WINDOWS-1252", 0,
	       CHARSET_XMLDECL);
	/* no charset: text/xml does not force us-ascii (RFC 7303), the declaration decides */
	DETECT("text/xml", iso_decl, "WINDOWS-1252", 0, CHARSET_XMLDECL);
	DETECT("text/xml;", no_enc, "UTF-8", 0, CHARSET_DEFAULT);
	DETECT("text/xml; qs=0.9", no_enc, "UTF-8", 0, CHARSET_DEFAULT);
	DETECT("application/rss+xml", iso_decl, "WINDOWS-1252", 0, CHARSET_XMLDECL);
	DETECT("text/xml; charset=", iso_decl, "WINDOWS-1252", 0, CHARSET_XMLDECL);
	DETECT("text/xml; charset=\"\"", iso_decl, "WINDOWS-1252", 0, CHARSET_XMLDECL);
	DETECT("", iso_decl, "WINDOWS-1252", 0, CHARSET_XMLDECL);
	/* an HTTP charset iconv does not know falls through to the declaration, like feedparser */
	DETECT("text/xml; charset=x-no-such-thing", iso_decl, "WINDOWS-1252", 0, CHARSET_XMLDECL);
	DETECT("text/xml; charset=x-no-such-thing", no_enc, "UTF-8", 0, CHARSET_DEFAULT);
	/* an HTTP UTF-16 for a document that starts with ASCII "<?xml" is wrong */
	DETECT("text/xml; charset=utf-16", iso_decl, "WINDOWS-1252", 0, CHARSET_XMLDECL);
	/* iconv suffixes cannot be smuggled in */
	DETECT("text/xml; charset=\"utf-8//IGNORE\"", no_enc, "UTF-8", 0, CHARSET_DEFAULT);
	DETECT(
	    "text/xml; charset=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaa",
	    iso_decl, "WINDOWS-1252", 0, CHARSET_XMLDECL);
}

static void test_detect_decl(void)
{
	char long_name[201], head[300];
	size_t len;
	int n;

	memset(long_name, 'a', sizeof long_name - 1);
	long_name[sizeof long_name - 1] = '\0';
	DETECT(NULL, "<?xml version=\"1.0\" encoding=\"windows-1251\"?><rss/>", "WINDOWS-1251", 0,
	       CHARSET_XMLDECL);
	DETECT(NULL, "<?xml version='1.0' encoding='koi8-r'?><rss/>", "KOI8-R", 0, CHARSET_XMLDECL);
	DETECT(NULL, "<?xml version=\"1.0\"\n  encoding = \"UTF-8\" standalone=\"yes\"?>", "UTF-8",
	       0, CHARSET_XMLDECL);
	DETECT(NULL, "\n  <?xml version=\"1.0\" encoding=\"euc-kr\"?>", "CP949", 0,
	       CHARSET_XMLDECL);
	DETECT(NULL, "<?xml version=\"1.0\"?><rss version=\"2.0\"/>", "UTF-8", 0, CHARSET_DEFAULT);
	DETECT(NULL, "<rss encoding=\"koi8-r\"/>", "UTF-8", 0, CHARSET_DEFAULT);
	DETECT(NULL, "<?xml version=\"1.0\" encoding=\"x-bogus\"?>", "UTF-8", 0, CHARSET_DEFAULT);
	DETECT(NULL, "<?xml version=\"1.0\" encoding=\"\"?>", "UTF-8", 0, CHARSET_DEFAULT);
	DETECT(NULL, "<?xml version=\"1.0\" encoding=\"koi8-r", "UTF-8", 0, CHARSET_DEFAULT);
	DETECT(NULL, "<?xml version=\"1.0\" encoding=\"wchar_t\"?>", "UTF-8", 0, CHARSET_DEFAULT);
	/* overlong names (63, 64 and 200 characters) are unknown, and nothing overflows */
	for (len = 63; len <= 200; len += len == 64 ? 136 : 1) {
		n = snprintf(head, sizeof head, "<?xml version=\"1.0\" encoding=\"%.*s\"?>",
			     (int)len, long_name);
		expect_detect(NULL, head, (size_t)n, "UTF-8", 0, CHARSET_DEFAULT);
		n = snprintf(head, sizeof head, "text/xml; charset=\"%.*s\"", (int)len, long_name);
		expect_detect(head, "<r/>", 4, "UTF-8", 0, CHARSET_DEFAULT);
	}
	/* a declared UTF-16 in a document whose bytes are ASCII is a mistake */
	DETECT(NULL, "<?xml version=\"1.0\" encoding=\"utf-16\"?>", "UTF-8", 0, CHARSET_DEFAULT);
	DETECT(NULL, "<?xml version=\"1.0\" encoding=\"UTF-32\"?>", "UTF-8", 0, CHARSET_DEFAULT);
}

static void test_detect_names(void)
{
	static const struct {
		const char *declared, *canonical;
	} names[] = {
	    {"latin1", "WINDOWS-1252"},
	    {"iso_8859-1", "WINDOWS-1252"},
	    {"ISO8859-1", "WINDOWS-1252"},
	    {"ISO-8859-1", "WINDOWS-1252"},
	    {"ISO_8859-1:1987", "WINDOWS-1252"},
	    {"us-ascii", "UTF-8"},
	    {"ascii", "UTF-8"},
	    {"utf8", "UTF-8"},
	    {"UTF-8", "UTF-8"},
	    {"cp1251", "WINDOWS-1251"},
	    {"windows-1251", "WINDOWS-1251"},
	    {"x-cp1250", "WINDOWS-1250"},
	    {"gb2312", "GB18030"},
	    {"GBK", "GB18030"},
	    {"x-sjis", "CP932"},
	    {"shift_jis", "CP932"},
	    {"euc-kr", "CP949"},
	    {"koi8-r", "KOI8-R"},
	    {"big5", "BIG5-HKSCS"},
	    {"euc-jp", "EUC-JP"},
	    {"iso-8859-2", "ISO-8859-2"},
	    {"ISO8859_15", "ISO-8859-15"},
	    {"iso-8859-9", "WINDOWS-1254"},
	    {"tis-620", "WINDOWS-874"},
	    {"latin2", "LATIN2"},
	    {"macintosh", "MACINTOSH"},
	};
	char head[128];
	size_t i;
	int n;

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		n = snprintf(head, sizeof head, "<?xml version=\"1.0\" encoding=\"%s\"?>",
			     names[i].declared);
		expect_detect(NULL, head, (size_t)n, names[i].canonical, 0, CHARSET_XMLDECL);
	}
}

static void test_detect_sniff(void)
{
	/* XML 1.0 Appendix F, no BOM; the declaration cannot change what the bytes say */
	DETECT(NULL, "\0<\0?\0x\0m\0l\0 ", "UTF-16BE", 0, CHARSET_SNIFFED);
	DETECT(NULL, "<\0?\0x\0m\0l\0 \0", "UTF-16LE", 0, CHARSET_SNIFFED);
	DETECT(NULL, "\0\0\0<\0\0\0?", "UTF-32BE", 0, CHARSET_SNIFFED);
	DETECT(NULL, "<\0\0\0?\0\0\0", "UTF-32LE", 0, CHARSET_SNIFFED);
	DETECT(NULL, "<\0r\0s\0s\0", "UTF-16LE", 0, CHARSET_SNIFFED);
	DETECT(NULL, "\x4C\x6F\xA7\x94", "IBM037", 0, CHARSET_SNIFFED);
	/* an HTTP charset of the right family counts, with the sniffed byte order */
	DETECT("application/xml; charset=utf-16", "<\0?\0x\0m\0", "UTF-16LE", 0, CHARSET_HTTP);
	DETECT("application/xml; charset=UTF-32", "\0\0\0<\0\0\0?", "UTF-32BE", 0, CHARSET_HTTP);
	/* an 8-bit HTTP charset for UTF-16 bytes is wrong: the bytes win */
	DETECT("text/xml; charset=iso-8859-1", "<\0?\0x\0m\0", "UTF-16LE", 0, CHARSET_SNIFFED);
	/* too short to tell */
	expect_detect(NULL, "", 0, "UTF-8", 0, CHARSET_DEFAULT);
	expect_detect(NULL, NULL, 0, "UTF-8", 0, CHARSET_DEFAULT);
	DETECT(NULL, "<", "UTF-8", 0, CHARSET_DEFAULT);
	DETECT(NULL, "\xEF\xBB", "UTF-8", 0, CHARSET_DEFAULT);
	DETECT(NULL, "\xFE\xFF", "UTF-16BE", 2, CHARSET_BOM);
	DETECT("text/xml; charset=windows-1251", "<r", "WINDOWS-1251", 0, CHARSET_HTTP);
}

/* ---- the converter ---- */

/* Converts in[0..n) from the named encoding; chunk 0 = one call, else chunks of that size, -1 =
 * random sizes from seed. Returns a malloc'd NUL-terminated string (length in *outn). */
static char *convert(const char *from, const char *in, size_t n, long chunk, unsigned seed,
		     size_t *outn, size_t *errors)
{
	struct charset_conv *c = charset_conv_new(from);
	struct buf out = BUF_INIT;
	size_t i = 0, len;
	int rc = 0;

	if (outn)
		*outn = 0;
	if (errors)
		*errors = 0;
	if (!c)
		return NULL;
	while (i < n && rc == 0) {
		if (chunk == 0) {
			len = n;
		} else if (chunk > 0) {
			len = (size_t)chunk;
		} else {
			seed = seed * 1103515245u + 12345u;
			len = (seed >> 16) % 9; /* empty chunks too */
		}
		if (len > n - i)
			len = n - i;
		rc = charset_conv_feed(c, in + i, len, 0, &out);
		i += len;
	}
	if (rc == 0)
		rc = charset_conv_feed(c, NULL, 0, 1, &out);
	CHECK(rc == 0, "charset_conv_feed(%s) failed: %d", from, rc);
	if (errors)
		*errors = charset_conv_errors(c);
	charset_conv_free(c);
	if (outn)
		*outn = out.len;
	if (!out.data)
		return calloc(1, 1);
	return buf_steal(&out);
}

/* Whether s is valid UTF-8 without characters XML 1.0 forbids. */
static int xml_clean(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i;

	if (!utf8_valid(s, n))
		return 0;
	for (i = 0; i < n; i++) {
		if (p[i] < 0x20 && p[i] != '\t' && p[i] != '\n' && p[i] != '\r')
			return 0;
		if (p[i] == 0xEF && i + 2 < n && p[i + 1] == 0xBF && (p[i + 2] & 0xFE) == 0xBE)
			return 0;
		if (p[i] == 0xC2 && i + 1 < n && p[i + 1] >= 0x80 && p[i + 1] < 0xA0 &&
		    p[i + 1] != 0x81 && p[i + 1] != 0x8D && p[i + 1] != 0x8F && p[i + 1] != 0x90 &&
		    p[i + 1] != 0x9D)
			return 0; /* a C1 control that has a windows-1252 meaning */
	}
	return 1;
}

static void expect_conv(const char *from, const char *in, size_t n, const char *want,
			size_t want_errors)
{
	size_t outn = 0, errors = 0;
	char *got = convert(from, in, n, 0, 0, &outn, &errors);

	CHECK(got != NULL, "charset_conv_new(\"%s\") failed", from);
	if (!got)
		return;
	CHECK_STR(got, want, "%s input \"%s\"", from, check_show(in, n));
	CHECK(outn == strlen(want), "%s input \"%s\": output length %zu, expected %zu", from,
	      check_show(in, n), outn, strlen(want));
	CHECK(errors == want_errors, "%s input \"%s\": %zu errors counted, expected %zu", from,
	      check_show(in, n), errors, want_errors);
	CHECK(xml_clean(got, outn), "%s input \"%s\": output \"%s\" is not clean UTF-8", from,
	      check_show(in, n), check_show(got, outn));
	free(got);
}

#define CONV(from, lit, want, errs) expect_conv(from, lit, sizeof(lit) - 1, want, errs)

static void test_conv_utf8(void)
{
	static const char decl[] = "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?>\n<rss/>";

	CONV("UTF-8", decl, decl, 0); /* the declaration passes through unchanged */
	CONV("UTF-8", "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xE4\xB8\xAD", "café € 😀 中", 0);
	/* invalid bytes read as windows-1252 */
	CONV("UTF-8", "Caf\xE9!", "Café!", 1);
	CONV("UTF-8", "\x93quoted\x94 \x85", "“quoted” …", 3);
	CONV("UTF-8",
	     "Espa\xF1"
	     "a, Valid UTF8: \xD1\xA8",
	     "España, Valid UTF8: Ѩ", 1);
	CONV("UTF-8", "\xC0\xAF", "À¯", 2);			     /* overlong */
	CONV("UTF-8", "\xED\xA0\x80", "í\u00A0€", 3);		     /* surrogate */
	CONV("UTF-8", "\xE2\x80\x99<>\xE2\x80\x9D\xA9", "’<>”©", 1); /* bozo_linenoise */
	CONV("UTF-8", "\x81\x8D", "\xC2\x81\xC2\x8D", 2);	     /* undefined in windows-1252 */
	CONV("UTF-8",
	     "\xE2\x82"
	     "abc",
	     "â‚abc", 2); /* broken sequence mid-text */
	/* forbidden characters are dropped, tab/LF/CR kept */
	CONV("UTF-8",
	     "a\x01"
	     "b\x0B"
	     "c\td\ne\rf\x1F"
	     "g\x7F",
	     "abc\td\ne\rfg\x7F", 0);
	CONV("UTF-8", "<a>x\0y</a>\0", "<a>xy</a>", 0);
	CONV("UTF-8",
	     "a\xEF\xBF\xBE"
	     "b\xEF\xBF\xBF"
	     "c\xEF\xBF\xBD",
	     "abc\xEF\xBF\xBD", 0);
	/* C1 controls are windows-1252 punctuation (feedparser's demoronize-1) */
	CONV("UTF-8", "don\xC2\x92t", "don’t", 0);
	/* a truncated final sequence is one U+FFFD */
	CONV("UTF-8", "abc\xE2\x82", "abc\xEF\xBF\xBD", 1);
	CONV("UTF-8", "abc\xF0\x9F\x98", "abc\xEF\xBF\xBD", 1);
	CONV("UTF-8", "abc\xC3", "abc\xEF\xBF\xBD", 1);
	CONV("UTF-8", "", "", 0);
	/* US-ASCII takes the same path */
	CONV("us-ascii", "caf\xC3\xA9 caf\xE9.", "café café.", 1);
}

static void test_conv_single_byte(void)
{
	CONV("ISO-8859-1", "caf\xE9 \x93x\x94 \x80 \xFF", "café “x” € ÿ", 0);
	CONV("latin1",
	     "a\x01"
	     "b\0c\x85",
	     "abc…", 0);
	CONV("windows-1252", "\x81\x8D\x8F\x90\x9D", "\xC2\x81\xC2\x8D\xC2\x8F\xC2\x90\xC2\x9D", 0);
	CONV("WINDOWS-1251", "\xCF\xF0\xE8\xE2\xE5\xF2", "Привет", 0);
	CONV("cp1251", "<t>\xCF\xF0\xE8\xE2\xE5\xF2</t>", "<t>Привет</t>", 0);
	CONV("KOI8-R", "\xF0\xD2\xC9\xD7\xC5\xD4", "Привет", 0);
	CONV("ISO-8859-2", "\xA3\xA1", "ŁĄ", 0);
	/* C1 controls from iconv become windows-1252 punctuation too */
	CONV("ISO-8859-2", "don\x92t", "don’t", 0);
}

static void test_conv_multibyte(void)
{
	CONV("GB18030", "\xD6\xD0\xCE\xC4", "中文", 0);
	CONV("gb2312", "<t>\xD6\xD0\xCE\xC4</t>", "<t>中文</t>", 0);
	CONV("GB18030", "\x94\x39\xFC\x36\xA8\xA6\xA2\xE3", "😀é€", 0);
	CONV("GB18030",
	     "a\xFF"
	     "b",
	     "a\xEF\xBF\xBD"
	     "b",
	     1);
	CONV("GB18030", "a\xD6", "a\xEF\xBF\xBD", 1); /* truncated at the end */
	CONV("shift_jis", "\x82\xA0\\~", "あ\\~", 0); /* CP932 keeps ASCII ASCII */
	CONV("euc-kr", "\xB3\xE2", "년", 0);
	CONV("EUC-JP", "\xC6\xFC\xCB\xDC", "日本", 0);
	CONV("ISO-2022-JP", "\x1B$BF|K\\\x1B(B!", "日本!", 0);
	CONV("big5", "\xA4\xA4\xA4\xE5", "中文", 0);
	CONV("UTF-16LE", "<\0a\0>\0\xE9\0\xAC\x20", "<a>é€", 0);
	CONV("UTF-16BE", "\0<\0\0\0a", "<a", 0);      /* U+0000 dropped */
	CONV("UTF-16BE", "\xD8\x3D\xDE\x00", "😀", 0); /* surrogate pair */
	CONV("UTF-16LE",
	     "a\0\x00\xD8"
	     "b\0",
	     "a\xEF\xBF\xBD"
	     "b",
	     1);				      /* lone surrogate */
	CONV("UTF-16LE", "a\0b", "a\xEF\xBF\xBD", 1); /* odd byte at the end */
	CONV("UTF-16LE", "\xFE\xFF\xFF\xFF", "", 0);  /* U+FFFE, U+FFFF */
	CONV("UTF-32BE", "\0\0\0<\0\x01\xF6\x00", "<😀", 0);
	CONV("UTF-32LE", "a\0\0\0\0\0\x11\0b\0\0\0",
	     "a\xEF\xBF\xBD"
	     "b",
	     1); /* > U+10FFFF */
}

static void test_conv_new(void)
{
	struct charset_conv *c;
	struct buf out = BUF_INIT;

	CHECK(charset_conv_new("x-no-such-charset") == NULL, "unknown charset must give NULL");
	CHECK(charset_conv_new("UTF-8//TRANSLIT") == NULL, "iconv suffixes must give NULL");
	CHECK(charset_conv_new("") == NULL, "empty name must give NULL");
	CHECK(charset_conv_new("UTF-7") == NULL, "UTF-7 must be refused");
	charset_conv_free(NULL);
	CHECK(charset_conv_errors(NULL) == 0, "charset_conv_errors(NULL) should be 0");
	c = charset_conv_new(NULL);
	CHECK(c != NULL, "charset_conv_new(NULL) should mean UTF-8");
	CHECK(charset_conv_feed(c, NULL, 3, 0, &out) < 0, "NULL input with n > 0 must fail");
	CHECK(charset_conv_feed(c, "x", 1, 1, NULL) < 0, "NULL output must fail");
	charset_conv_free(c);
	buf_fini(&out);

	/* control characters XML forbids are removed and counted, in UTF-8 and windows-1252 alike */
	{
		static const char *const from[] = {"UTF-8", "windows-1252"};
		size_t k;

		CHECK(charset_conv_dropped(NULL) == 0, "charset_conv_dropped(NULL) should be 0");
		for (k = 0; k < 2; k++) {
			c = charset_conv_new(from[k]);
			CHECK(c && charset_conv_feed(c, "a\0b\x01\tc\x1b", 7, 1, &out) == 0,
			      "%s: controls converted", from[k]);
			CHECK(out.len == 4 && !memcmp(out.data, "ab\tc", 4), "%s: 'ab\\tc' left (%zu)",
			      from[k], out.len);
			CHECK(charset_conv_dropped(c) == 3 && charset_conv_errors(c) == 0,
			      "%s: 3 dropped, 0 errors (%zu, %zu)", from[k], charset_conv_dropped(c),
			      charset_conv_errors(c));
			charset_conv_free(c);
			buf_reset(&out);
		}
		buf_fini(&out);
	}
}

/* A document that exercises every path: ASCII runs longer than 8 bytes, multi-byte characters,
 * invalid bytes, controls, NULs and a truncated end. */
static size_t make_doc(const char *enc, char *doc, size_t cap)
{
	static const char utf8[] =
	    "<?xml version=\"1.0\"?>\n<rss><title>caf\xC3\xA9 \xE2\x80\x99quoted\xE2\x80\x99 "
	    "\xF0\x9F\x98\x80 \xE4\xB8\xAD\xE6\x96\x87</title>\x01\0\x93\xFF\xC3(\xE2\x82\xED"
	    "\xA0\x80\xF4\x90\x80\x80\xEF\xBF\xBF<d>long plain ascii run of text</d>\xC2\x92\xE2";
	static const char gb[] = "<t>\xD6\xD0\xCE\xC4 \x94\x39\xFC\x36 a\xFF\x80 ascii ascii ascii"
				 "\0\x01\xA8\xA6\xA2\xE3\xD6";
	static const char u16[] = "<\0t\0>\0\xE9\0\xAC\x20\x3D\xD8\x00\xDE\0\xD8x\0\0\0\x01\0"
				  "a\0b\0c\0d\0e\0f\0g\0h\0i\0\xFF\xFF\xFF";
	static const char sj[] = "<t>\x82\xA0\\~ \x82 ascii ascii ascii \x88\x9F\x1B$B\x82";
	static const char jis[] = "a\x1B$BF|K\\\x1B(Bb\x1B$BF|\x1B(Bccccccccc\x1B$";
	const char *src = utf8;
	size_t n = sizeof utf8 - 1;

	if (strcmp(enc, "GB18030") == 0) {
		src = gb;
		n = sizeof gb - 1;
	} else if (strcmp(enc, "UTF-16LE") == 0) {
		src = u16;
		n = sizeof u16 - 1;
	} else if (strcmp(enc, "CP932") == 0) {
		src = sj;
		n = sizeof sj - 1;
	} else if (strcmp(enc, "ISO-2022-JP") == 0) {
		src = jis;
		n = sizeof jis - 1;
	}
	if (n > cap)
		n = cap;
	memcpy(doc, src, n);
	return n;
}

static void test_chunking(void)
{
	static const char *const encs[] = {"UTF-8",    "WINDOWS-1252", "WINDOWS-1251", "GB18030",
					   "UTF-16LE", "CP932",	       "ISO-2022-JP"};
	char doc[512];
	size_t e, n, whole_n, part_n, whole_err, part_err;
	long chunk;
	unsigned seed;

	for (e = 0; e < sizeof encs / sizeof encs[0]; e++) {
		char *whole;

		n = make_doc(encs[e], doc, sizeof doc);
		whole = convert(encs[e], doc, n, 0, 0, &whole_n, &whole_err);
		CHECK(whole != NULL, "charset_conv_new(\"%s\") failed", encs[e]);
		if (!whole)
			continue;
		CHECK(xml_clean(whole, whole_n), "%s one-shot output \"%s\" is not clean UTF-8",
		      encs[e], check_show(whole, whole_n));
		for (chunk = 1; chunk <= 5; chunk++) {
			char *part = convert(encs[e], doc, n, chunk, 0, &part_n, &part_err);

			CHECK(part && part_n == whole_n && memcmp(part, whole, whole_n) == 0,
			      "%s in %ld-byte chunks: expected \"%s\", got \"%s\"", encs[e], chunk,
			      check_show(whole, whole_n), part ? check_show(part, part_n) : "(null)");
			CHECK(part_err == whole_err,
			      "%s in %ld-byte chunks: %zu errors, expected %zu", encs[e], chunk,
			      part_err, whole_err);
			free(part);
		}
		for (seed = 1; seed <= 200; seed++) {
			char *part = convert(encs[e], doc, n, -1, seed, &part_n, &part_err);
			int same = part && part_n == whole_n && memcmp(part, whole, whole_n) == 0;

			CHECK(same && part_err == whole_err,
			      "%s in random chunks (seed %u): expected \"%s\" (%zu errors), got "
			      "\"%s\" (%zu errors)",
			      encs[e], seed, check_show(whole, whole_n), whole_err,
			      part ? check_show(part, part_n) : "(null)", part_err);
			free(part);
			if (!same)
				break;
		}
		free(whole);
	}
}

/* The ASCII scan goes sixty-four bytes at a time, then sixteen (SSE2), then byte by byte: a
 * byte that must stop it (a control to drop, a non-ASCII character, a C1 control; the controls
 * next to tab, LF and CR) is found at every offset around those strides, in text without and
 * with line breaks (which send a 64-byte step to its four blocks), and tab/LF/CR never stop it;
 * charset_conv_view hands out the input itself exactly when nothing changes. */
static void test_scan_places(void)
{
	static const struct {
		const char *ins, *outs;
		size_t errors;
	} stops[] = {
	    {"\x01", "", 0},
	    {"\x1F", "", 0},
	    {"\xC3\xA9", "\xC3\xA9", 0},
	    {"\xE9", "\xC3\xA9", 1},
	    {"\xC2\x92", "\xE2\x80\x99", 0},
	    {"\t", "\t", 0},
	    {"\n", "\n", 0},
	    {"\r", "\r", 0},
	    {"\x7F", "\x7F", 0},
	    {"\x08", "", 0},
	    {"\x0B", "", 0},
	    {"\x0C", "", 0},
	    {"\x0E", "", 0},
	    {"\x05", "", 0},
	    {"\x80", "\xE2\x82\xAC", 1},
	};
	char in[256], want[256];
	size_t k, at, len, j;

	for (k = 0; k < 2 * sizeof stops / sizeof *stops; k++) {
		size_t ks = k % (sizeof stops / sizeof *stops);
		int breaks = k >= sizeof stops / sizeof *stops;

		for (at = 0; at < 150; at++) {
			struct charset_conv *c = charset_conv_new("UTF-8");
			struct buf out = BUF_INIT;
			const char *res = NULL;
			size_t reslen = 0, il = strlen(stops[ks].ins), ol = strlen(stops[ks].outs);
			int same = !strcmp(stops[ks].ins, stops[ks].outs);

			len = at + il + 7 + at % 50;
			for (j = 0; j < len; j++)
				in[j] = breaks && j % 23 == 5 ? '\n' : 'a';
			memcpy(want, in, len);
			memcpy(in + at, stops[ks].ins, il);
			memcpy(want + at, stops[ks].outs, ol);
			memcpy(want + at + ol, in + at + il, len - at - il);
			CHECK(c && charset_conv_view(c, in, len, 1, &out, &res, &reslen) == 0,
			      "charset_conv_view failed");
			CHECK(res && reslen == len - il + ol && !memcmp(res, want, reslen),
			      "\"%s\" at offset %zu: got \"%s\", expected \"%s\"",
			      check_show(stops[ks].ins, il), at,
			      res ? check_show(res, reslen) : "(null)",
			      check_show(want, len - il + ol));
			CHECK((res == in) == same, "\"%s\" at offset %zu: the input %s handed out",
			      check_show(stops[ks].ins, il), at,
			      same ? "should be" : "must not be");
			CHECK(utf8_valid(in, len) == (stops[ks].errors == 0),
			      "utf8_valid with \"%s\" at offset %zu", check_show(stops[ks].ins, il),
			      at);
			CHECK(charset_conv_errors(c) == stops[ks].errors,
			      "\"%s\" at offset %zu: %zu errors", check_show(stops[ks].ins, il), at,
			      charset_conv_errors(c));
			charset_conv_free(c);
			buf_fini(&out);
		}
	}
}

/* Converts in[0..n) as UTF-8 in pieces of chunk bytes (0: whole, as a view) into out: 0 or the
 * error; *errors the conversion's count. */
static int conv_pieces(const char *in, size_t n, size_t chunk, struct buf *out, size_t *errors)
{
	struct charset_conv *c = charset_conv_new("UTF-8");
	const char *res;
	size_t off = 0, k, reslen;
	int rc = c ? 0 : -1;

	buf_reset(out);
	if (c && !chunk) {
		struct buf tmp = BUF_INIT;

		rc = charset_conv_view(c, in, n, 1, &tmp, &res, &reslen);
		if (rc == 0)
			buf_append(out, res, reslen);
		buf_fini(&tmp);
	}
	while (c && chunk && rc == 0 && off < n) {
		k = n - off > chunk ? chunk : n - off;
		rc = charset_conv_feed(c, in + off, k, off + k == n, out);
		off += k;
	}
	*errors = charset_conv_errors(c);
	charset_conv_free(c);
	return rc;
}

/* Runs of characters outside ASCII are read in a loop of their own (plain_seq: two-byte ones
 * from U+00A0, three-byte ones led by 0xE1-0xEC or 0xEE) before the general reading: each kind
 * of character that ends such a run or goes the general way (C1 controls, overlong forms,
 * surrogates, U+FFFE, bytes that are not UTF-8, sequences cut short) at every place of runs of
 * every kind, whole and in pieces of 1 to 7 bytes. */
static void test_multibyte_places(void)
{
	static const char *const fills[] = {
	    "a",	"\xC3\xA9",	"\xE4\xB8\xAD", "\xEE\x80\x80",	   "\xC2\xA0",
	    "\xDF\xBF", "\xEC\xBF\xBF", "\xE1\x80\x80", "\xF0\x9F\x98\x80"};
	static const struct {
		const char *ins, *outs;
		size_t errors;
	} stops[] = {
	    {"\x01", "", 0},
	    {"\t", "\t", 0},
	    {"\xC2\x80", "\xE2\x82\xAC", 0},
	    {"\xC2\x9F", "\xC5\xB8", 0},
	    {"\xC2\xA0", "\xC2\xA0", 0},
	    {"\xDF\xBF", "\xDF\xBF", 0},
	    {"\xE0\xA0\x80", "\xE0\xA0\x80", 0},
	    {"\xE0\x9F\xBF", "\xC3\xA0\xC5\xB8\xC2\xBF", 3},
	    {"\xED\x9F\xBF", "\xED\x9F\xBF", 0},
	    {"\xED\xA0\x80", "\xC3\xAD\xC2\xA0\xE2\x82\xAC", 3},
	    {"\xEF\xBF\xBD", "\xEF\xBF\xBD", 0},
	    {"\xEF\xBF\xBE", "", 0},
	    {"\xEF\xBF\xBF", "", 0},
	    {"\xF0\x9F\x98\x80", "\xF0\x9F\x98\x80", 0},
	    {"\xC3\x41", "\xC3\x83\x41", 1},
	    {"\xE4\xB8\x41", "\xC3\xA4\xC2\xB8\x41", 2},
	    {"\xE4\xB8", "\xC3\xA4\xC2\xB8", 2},
	    {"\xC2", "\xC3\x82", 1},
	    {"\x80", "\xE2\x82\xAC", 1},
	    {"\xFF", "\xC3\xBF", 1},
	};
	struct buf in = BUF_INIT, want = BUF_INIT, out = BUF_INIT;
	size_t f, k, at, j, chunk, errors;

	for (f = 0; f < sizeof fills / sizeof *fills; f++) {
		for (k = 0; k < sizeof stops / sizeof *stops; k++) {
			for (at = 0; at < 24; at++) {
				buf_reset(&in);
				buf_reset(&want);
				for (j = 0; j < at + 6; j++) {
					buf_puts(&in, j == at ? stops[k].ins : fills[f]);
					buf_puts(&want, j == at ? stops[k].outs : fills[f]);
				}
				for (chunk = 0; chunk < 8; chunk++) {
					CHECK(conv_pieces(in.data, in.len, chunk, &out, &errors) ==
						  0,
					      "conversion failed");
					CHECK(out.len == want.len &&
						  !memcmp(out.data, want.data, want.len) &&
						  errors == stops[k].errors,
					      "\"%s\" after %zu of \"%s\" (pieces of %zu): \"%s\", "
					      "%zu errors",
					      check_show(stops[k].ins, strlen(stops[k].ins)), at,
					      check_show(fills[f], strlen(fills[f])), chunk,
					      check_show(out.data, out.len), errors);
				}
			}
		}
		/* a character cut short by the end of the document: one U+FFFD */
		buf_reset(&in);
		for (at = 0; at < 20; at++)
			buf_puts(&in, fills[f]);
		buf_reset(&want);
		buf_append(&want, in.data, in.len);
		buf_puts(&in, "\xE4\xB8");
		buf_puts(&want, "\xEF\xBF\xBD");
		for (chunk = 0; chunk < 8; chunk++) {
			CHECK(conv_pieces(in.data, in.len, chunk, &out, &errors) == 0 &&
				  out.len == want.len && !memcmp(out.data, want.data, want.len) &&
				  errors == 1,
			      "a cut short character after \"%s\" (pieces of %zu): \"%s\"",
			      check_show(fills[f], strlen(fills[f])), chunk,
			      check_show(out.data, out.len));
		}
	}
	buf_fini(&in);
	buf_fini(&want);
	buf_fini(&out);
}

/* Random bytes in every encoding must come out as clean UTF-8 without a crash or a hang. */
static void test_garbage(void)
{
	static const char *const encs[] = {"UTF-8",	  "WINDOWS-1252", "GB18030", "UTF-16LE",
					   "UTF-32BE",	  "CP932",	  "BIG5",    "ISO-2022-JP",
					   "ISO-2022-KR", "EUC-KR"};
	char doc[4096];
	unsigned seed = 12345;
	size_t e, i, round, outn;

	for (e = 0; e < sizeof encs / sizeof encs[0]; e++) {
		for (round = 0; round < 20; round++) {
			char *out;

			for (i = 0; i < sizeof doc; i++) {
				seed = seed * 1103515245u + 12345u;
				doc[i] = (char)(seed >> 16);
				if (round & 1)
					doc[i] &= (char)0x8F; /* more NULs and controls */
			}
			out = convert(encs[e], doc, sizeof doc, -1, seed, &outn, NULL);
			CHECK(out && xml_clean(out, outn),
			      "%s: random bytes (round %zu) gave unclean output", encs[e], round);
			free(out);
		}
	}
}

/* ---- charset_fix_double_utf8 ---- */

static void expect_fix(const char *in, const char *want)
{
	struct buf b = BUF_INIT;
	int rc;

	buf_puts(&b, in);
	rc = charset_fix_double_utf8(&b);
	CHECK_STR(buf_cstr(&b), want, "charset_fix_double_utf8(\"%s\")", in);
	CHECK(rc == (strcmp(in, want) != 0), "charset_fix_double_utf8(\"%s\") returned %d", in, rc);
	CHECK(utf8_valid(b.data, b.len), "charset_fix_double_utf8(\"%s\") made invalid UTF-8", in);
	buf_fini(&b);
}

static void test_fix_double_utf8(void)
{
	struct buf b = BUF_INIT;

	/* mojibake through windows-1252 */
	expect_fix("CafÃ©", "Café");
	expect_fix("donâ€™t", "don’t");
	expect_fix("Ã¼ber Ã„rger", "über Ärger");
	expect_fix("ÐŸÑ€Ð¸Ð²ÐµÑ‚", "Привет");
	expect_fix("ä¸­æ–‡", "中文");
	expect_fix("ðŸ˜€", "😀");
	expect_fix("Å‚Ã³dÅº, È™", "łódź, ș");
	expect_fix("×©×œ×•×\xC2\x9D", "שלום"); /* 0x9D has no windows-1252 character */
	expect_fix("×©×œ×•×", "×©×œ×•×");      /* a lost byte: the run stays as it is */
	/* mojibake through latin-1: the C1 controls are there instead */
	expect_fix("don\xC3\xA2\xC2\x80\xC2\x99t", "don’t");
	/* the simplepie titles */
	expect_fix("RSS.com and Grupo FÃ³rmula Form Co-Production Relationship",
		   "RSS.com and Grupo Fórmula Form Co-Production Relationship");
	expect_fix("How to Find the Best Podcast Guests & Have Great InterviewsÂ\u00A0",
		   "How to Find the Best Podcast Guests & Have Great Interviews\u00A0");
	expect_fix("The Best Podcast Hosting Platforms of 2023Â\u00A0 – Review & Comparisons",
		   "The Best Podcast Hosting Platforms of 2023\u00A0 – Review & Comparisons");
	/* the NBSP's A0 byte already became a space: "Â " is the space (the simplepie file) */
	expect_fix("How to Find the Best Podcast Guests & Have Great InterviewsÂ ",
		   "How to Find the Best Podcast Guests & Have Great Interviews ");
	expect_fix("The Best Podcast Hosting Platforms of 2023Â  – Review & Comparisons",
		   "The Best Podcast Hosting Platforms of 2023  – Review & Comparisons");
	expect_fix("podcast.Â  Youâ€™re inÂ a CafÃ©Â ", "podcast.  You’re in a Café ");
	expect_fix("Growing Your Podcast Is Not about You â€“ Itâ€™s about Your Audience",
		   "Growing Your Podcast Is Not about You – It’s about Your Audience");
	/* correct text around the mojibake is kept, run by run */
	expect_fix("日本 CafÃ© – “ok”", "日本 Café – “ok”");
	expect_fix("naïve CafÃ©", "naïve Café");

	/* real text is never touched */
	expect_fix("Café", "Café");
	expect_fix("naïve", "naïve");
	expect_fix("São Paulo, Ægir, Øresund, ¿Qué?", "São Paulo, Ægir, Øresund, ¿Qué?");
	expect_fix("“quoted” – €100 © ½", "“quoted” – €100 © ½");
	expect_fix("„Der Fuß“ »Straße« FUẞ", "„Der Fuß“ »Straße« FUẞ");
	expect_fix("«\u00A0déjà\u00A0» «\u00A0été\u00A0»", "«\u00A0déjà\u00A0» «\u00A0été\u00A0»");
	expect_fix("Ã", "Ã");
	expect_fix("MAÇÃ É VERDE, ÂB", "MAÇÃ É VERDE, ÂB");
	expect_fix("InterviewsÂ", "InterviewsÂ");
	expect_fix("plain ascii", "plain ascii");
	expect_fix("", "");
	expect_fix("中文 and 😀", "中文 and 😀");
	expect_fix("ï»¿x", "\uFEFFx"); /* a BOM read as windows-1252 */

	/* invalid UTF-8 input is left alone */
	buf_append(&b, "Caf\xC3\xA9\xC3", 6);
	CHECK(charset_fix_double_utf8(&b) == 0 && b.len == 6,
	      "charset_fix_double_utf8(\"Caf\\xC3\\xA9\\xC3\") must refuse invalid UTF-8");
	buf_fini(&b);
	CHECK(charset_fix_double_utf8(&b) == 0, "charset_fix_double_utf8(empty buf) must be 0");
	CHECK(charset_fix_double_utf8(NULL) == 0, "charset_fix_double_utf8(NULL) must be 0");
}

/* The repair skips ASCII sixteen bytes at a time (ascii_span) and stops at controls: mojibake
 * and real text at every offset from a block's start give what they give at offset 0. */
static void test_fix_double_places(void)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{"CafÃ© donâ€™t", "Café don’t"},
		{"2023Â  x", "2023  x"},
		{"podcast.Â  Youâ€™re inÂ a", "podcast.  You’re in a"},
		{"São Paulo Ã", "São Paulo Ã"},
		{"InterviewsÂ", "InterviewsÂ"},
	};
	static const char pad[] = "abcdefghij\tklmno\npqrstuvwxyz\x01" "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123";
	char in[256], want[256];
	size_t k, off;

	for (k = 0; k < sizeof cases / sizeof *cases; k++)
		for (off = 0; off <= 40; off++) {
			snprintf(in, sizeof in, "%.*s%s", (int)off, pad, cases[k].in);
			snprintf(want, sizeof want, "%.*s%s", (int)off, pad, cases[k].want);
			expect_fix(in, want);
		}
}

static void test_fallback(void)
{
	CHECK_STR(charset_fallback("UTF-8", "caf\xc3\xa9", 5, 1), "UTF-8", "valid UTF-8 stays");
	CHECK_STR(charset_fallback("UTF-8", "caf\xe9 \x93", 6, 1), "WINDOWS-1252", "bad UTF-8");
	CHECK_STR(charset_fallback("UTF-8", "\xe9\x9d", 2, 1), "ISO-8859-2",
		  "0x9D is unassigned in windows-1252");
	CHECK_STR(charset_fallback("UTF-8", "\x81", 1, 1), "ISO-8859-2", "0x81 too");
	CHECK_STR(charset_fallback("ISO-8859-5", "\x81\xff", 2, 1), "ISO-8859-5",
		  "a declared single-byte encoding decodes anything");
	/* the first bytes of a document: a character the end cuts short is no evidence */
	CHECK_STR(charset_fallback("UTF-8", "caf\xe2\x80", 5, 0), "UTF-8",
		  "a prefix ending inside a character stays UTF-8");
	CHECK_STR(charset_fallback("UTF-8", "caf\xf0\x9f\x98", 6, 0), "UTF-8",
		  "three bytes of a four-byte character too");
	CHECK_STR(charset_fallback("UTF-8", "caf\xe2\x80", 5, 1), "WINDOWS-1252",
		  "a whole document ending inside a character falls back");
	CHECK_STR(charset_fallback("UTF-8", "caf\xe9 ", 5, 0), "WINDOWS-1252",
		  "a byte that starts no character falls back, prefix or not");
	CHECK_STR(charset_fallback("UTF-8", "caf\xe2\x80x", 6, 0), "WINDOWS-1252",
		  "a character cut short before the end falls back");
}

/* json_write_stringn checks UTF-8 while it escapes (one pass): a string found invalid part way,
 * after escapes were written, is written again from its cleaned form, nothing of the first try
 * left in the buffer. */
static void json_one(const char *s, size_t n, const char *want)
{
	struct buf b = BUF_INIT;

	buf_puts(&b, "[");
	CHECK(json_write_stringn(&b, s, n) == 0, "json_write_stringn returns 0");
	CHECK_STR(buf_cstr(&b), want, "json_write_stringn of %zu bytes", n);
	buf_fini(&b);
}

/* Each byte that stops json_write_stringn's eight-byte words ('"', '\\', a control, a UTF-8
 * character) at every place of a string, among bytes that need nothing: escaped as the rule says,
 * the bytes around it kept. */
static void test_json_places(void)
{
	static const char *const stops[][2] = {
	    {"\"", "\\\""}, {"\\", "\\\\"}, {"\n", "\\n"}, {"\x01", "\\u0001"}, {"\xc3\xa9", "\xc3\xa9"},
	};
	char in[32], want[64];

	for (size_t len = 1; len < 24; len++)
		for (size_t at = 0; at < len; at++)
			for (size_t k = 0; k < sizeof(stops) / sizeof(stops[0]); k++) {
				size_t sl = strlen(stops[k][0]), n = len + sl - 1;

				memset(in, 'x', sizeof in);
				memcpy(in + at, stops[k][0], sl);
				snprintf(want, sizeof want, "[\"%.*s%s%.*s\"", (int)at, in, stops[k][1],
					 (int)(len - at - 1), in + at + sl);
				json_one(in, n, want);
			}
}

static void test_json_string(void)
{
	json_one("plain ascii text, long enough for words", 39,
		 "[\"plain ascii text, long enough for words\"");
	json_one("a\"b\\c\nd\x01" "e", 9, "[\"a\\\"b\\\\c\\nd\\u0001e\"");
	json_one("caf\xc3\xa9 \xe2\x82\xac and \xf0\x9f\x98\x80, all valid \"x\"", 33,
		 "[\"caf\xc3\xa9 \xe2\x82\xac and \xf0\x9f\x98\x80, all valid \\\"x\\\"\"");
	json_one("quote \" then a bad byte \xff here", 30,
		 "[\"quote \\\" then a bad byte \xc3\xbf here\""); /* read as windows-1252 */
	json_one("cut short at the end: \xe2\x82", 24, "[\"cut short at the end: \xef\xbf\xbd\"");
	json_one("overlong \xc0\xaf and \xed\xa0\x80 surrogate", 29,
		 "[\"overlong \xc3\x80\xc2\xaf and \xc3\xad\xc2\xa0\xe2\x82\xac surrogate\"");
}

int main(void)
{
	test_fallback();
	test_utf8_valid();
	test_detect_bom();
	test_detect_http();
	test_detect_decl();
	test_detect_names();
	test_detect_sniff();
	test_conv_utf8();
	test_conv_single_byte();
	test_conv_multibyte();
	test_conv_new();
	test_chunking();
	test_scan_places();
	test_multibyte_places();
	test_garbage();
	test_fix_double_utf8();
	test_fix_double_places();
	test_json_string();
	test_json_places();
	return check_exit();
}
