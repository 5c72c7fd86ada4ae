/* SPDX-License-Identifier: MIT */
/* URL resolution and the canonical form used for identity (src/core/url.c). */
#include "autoconfig.h"

#include <stdlib.h>

#include "check.h"
#include "url.h"

static void resolve(const char *base, const char *ref, const char *want)
{
	char *got = url_resolve(base, ref);

	CHECK_STR(got, want, "url_resolve(%s, %s)", base ? base : "NULL", ref ? ref : "NULL");
	free(got);
}

static void canonical(const char *url, const char *want)
{
	char *got = url_canonical(url), *general = url_canonical_general(url);

	CHECK_STR(got, want, "url_canonical(%s)", url);
	/* the direct way (parts read, not set back) equals the general one */
	CHECK_STR(general, want, "url_canonical_general(%s)", url);
	free(got);
	free(general);
}

static void strip(const char *url, const char *want)
{
	char *got = url_strip_userinfo(url);

	CHECK_STR(got, want, "url_strip_userinfo(%s)", url);
	CHECK(url_has_userinfo(url) == (strcmp(url, want) != 0), "url_has_userinfo(%s)", url);
	free(got);
}

int main(void)
{
	strip("http://user:secret@example.com/feed", "http://example.com/feed");
	strip("https://user@example.com:8443/a?b=c@d#e@f", "https://example.com:8443/a?b=c@d#e@f");
	strip("http://us%40er:p@ss:w@example.com/", "http://example.com/");
	strip("http://user:pw@[::1]:8080/x", "http://[::1]:8080/x");
	strip("socks5h://proxyuser:pw@127.0.0.1:1080", "socks5h://127.0.0.1:1080");
	strip("HTTP://a:b@Example.COM", "HTTP://Example.COM");
	strip("http://example.com/p@th", "http://example.com/p@th");
	strip("http://example.com/?u=a:b@c", "http://example.com/?u=a:b@c");
	strip("file:///tmp/a@b.xml", "file:///tmp/a@b.xml");
	strip("mailto:x@y", "mailto:x@y");
	strip("not a url user:pw@host", "not a url user:pw@host");
	strip("", "");
	CHECK(url_strip_userinfo(NULL) == NULL, "NULL stays NULL");
	resolve("http://a/b/c/d;p?q", "g", "http://a/b/c/g");
	resolve("http://a/b/c/d;p?q", "../g", "http://a/b/g");
	resolve("http://a/b/c/d;p?q", "/g", "http://a/g");
	resolve("http://a/b/c/d;p?q", "//g/x", "http://g/x");
	resolve("http://a/b/c/d;p?q", "?y", "http://a/b/c/d;p?y");
	resolve("http://a/b/c/d;p?q", "#s", "http://a/b/c/d;p?q#s");
	resolve("http://a/b/c/d;p?q", "", "http://a/b/c/d;p?q");
	resolve("http://a/b/c/d;p?q#f", "  ", "http://a/b/c/d;p?q");
	resolve("https://example.org/feed", "  /a b  ", "https://example.org/a%20b");
	/* absolute references are kept exactly as published */
	resolve("http://a/", "HTTP://Example.com", "HTTP://Example.com");
	resolve("http://a/", "mailto:x@y", "mailto:x@y");
	resolve(NULL, "relative/path", "relative/path");
	resolve("not a url", "relative", "relative");
	CHECK(url_resolve("http://a/", NULL) == NULL, "a NULL reference resolves to NULL");

	canonical("https://Example.COM/a?b=1", "http://example.com/a?b=1");
	canonical("http://example.com:80/a", "http://example.com/a");
	canonical("https://example.com:443/a", "http://example.com/a");
	canonical("http://example.com:8080/a", "http://example.com:8080/a");
	canonical("http://example.com/a#frag", "http://example.com/a");
	canonical("http://example.com/a?utm_source=x&utm_medium=y", "http://example.com/a");
	canonical("http://example.com/a?id=1&fbclid=q&gclid=r&mc_cid=s&mc_eid=t&p=2",
		  "http://example.com/a?id=1&p=2");
	canonical("http://user:pw@example.com/", "http://example.com/");
	CHECK(url_canonical("ftp://example.com/x") == NULL, "only http(s) has a canonical form");
	CHECK(url_canonical("/relative") == NULL, "a relative url has no canonical form");
	/* a canonical form is its own canonical form, hosts decoded from %-escapes included
	 * (tests/fuzz/regress/url) */
	canonical("http://bx%41.1/om", "http://bxa.1/om");
	canonical("HTTP:/%31?a&&b", "http://0.0.0.1/?a&b");
	canonical("http://0.0.0.1/?a&b", "http://0.0.0.1/?a&b");
	CHECK(url_canonical("HTTP:/bx%7f.1/om") == NULL, "a host holding DEL has no canonical form");
	/* link variants of one story (issue 11) */
	canonical("https://www.example.com/news/story-1/", "http://example.com/news/story-1");
	canonical("https://m.example.com/news/story-1", "http://example.com/news/story-1");
	canonical("https://amp.example.com/news/story-1/amp/", "http://example.com/news/story-1");
	canonical("http://example.com/amp/news/story-1", "http://example.com/news/story-1");
	canonical("http://example.com/news/story-1?outputType=amp", "http://example.com/news/story-1");
	canonical("http://example.com/news/story-1?id=3&amp", "http://example.com/news/story-1?id=3");
	canonical("http://www.www.example.com//", "http://example.com/");
	/* a prefix is kept when no domain name would be left (tests/fuzz/regress/url) */
	canonical("http:/m.m.m.2.2", "http://m.m.m.2.2/");
	canonical("http://www.10.0.0.1x/a", "http://10.0.0.1x/a");
	canonical("http://www.com/x", "http://www.com/x");
	canonical("http://feedproxy.example.net/r?url=https%3A%2F%2Fwww.example.com%2Fnews%2Fstory-1%2F"
		  "%3Futm_source%3Drss",
		  "http://example.com/news/story-1");
	canonical("https://www.google.com/url?sa=t&q=https://example.com/a/&ved=2",
		  "http://example.com/a");
	canonical("http://example.com/search?q=cats", "http://example.com/search?q=cats");
	/* the form put together from curl's parts (url.c assemble()) and the one curl writes */
	canonical("http://example.com", "http://example.com/");
	canonical("http://example.com?", "http://example.com/");
	canonical("http://example.com:8080?x=1", "http://example.com:8080/?x=1");
	canonical("http://example.com/a b?c d", "http://example.com/a%20b?c+d");
	canonical("http://[::1]:8080/x", "http://[::1]:8080/x");
	canonical("http://[::1]/x?y", "http://[::1]/x?y");
	/* each side of each shortcut: parsed without CURLU_URLENCODE when it has nothing to encode
	 * (printable ASCII), written from the parts without %-escapes and without brackets, the host
	 * set back only when it changed */
	canonical("http://example.com/a\"b<c>{d}|e^f`g\\h~!$", "http://example.com/a\"b<c>{d}|e^f`g\\h~!$");
	canonical("http://example.com/caf\xc3\xa9?q=\xc3\xa9", "http://example.com/caf%c3%a9?q=%c3%a9");
	canonical("http://Example.com/a%2Fb?c=%2F", "http://example.com/a%2fb?c=%2f");
	canonical("http://www.ex%41mple.com/", "http://example.com/");
	canonical("HTTPS://[::1]:443/a/amp/?utm_x=1", "http://[::1]/a");
	canonical("http://EXAMPLE.com/A", "http://example.com/A");
	canonical("http://www.Example.com:0080/a/", "http://example.com/a");
	canonical("http://www.1.2.3/", "http://www.1.2.3/");
	/* a changed host of letters, digits, '.', '-', '_' is not set back into curl (plain_host);
	 * one with any other byte is, and both ways give what the general way gives */
	canonical("http://WWW.Sub_Domain-1.Example.COM/a", "http://sub_domain-1.example.com/a");
	canonical("http://www.-.x/", "http://-.x/");
	/* the scheme read from the text ("http:", "https:" in any case) or asked of curl */
	canonical("HtTpS://Example.com/a", "http://example.com/a");
	canonical("hTTp://example.com/a", "http://example.com/a");
	CHECK(url_canonical("httpx://example.com/a") == NULL, "httpx is not http");
	CHECK(url_canonical("http+x://example.com/a") == NULL, "http+x is not http");
	CHECK(url_canonical("https2://example.com/a") == NULL, "https2 is not https");
	CHECK(url_canonical("http") == NULL, "a word is no URL");
	canonical("http://WWW.Ex~ample.com/a", "http://ex~ample.com/a");
	canonical("http://x.com/?utm_source=a", "http://x.com/");
	canonical("http://user:pw@www.x.com/a#f", "http://x.com/a");
	canonical("http://www.x.com/?u=https://www.Y.com/a/", "http://y.com/a");
	CHECK(url_canonical("http://example.com/a\x7f") == NULL, "a path holding DEL has no form");
	{
		char *v3 = url_canonical_v3("https://www.example.com/a/?amp");

		CHECK_STR(v3, "http://www.example.com/a/?amp", "url_canonical_v3 keeps the old form");
		free(v3);
	}
	CHECK(url_is_absolute("https://x.example/"), "absolute");
	CHECK(!url_is_absolute("x.example/path"), "not absolute");
	return check_exit();
}
