/* SPDX-License-Identifier: MIT */
/* URLs: resolution against a base and the canonical form used for article identity (curl_url). */
#ifndef FEEDSPOOL_URL_H
#define FEEDSPOOL_URL_H

/* Resolves ref against base (either may be NULL). Returns a new string (free()), ref copied as
 * published when it cannot be resolved, NULL only when ref is NULL or memory runs out. */
char *url_resolve(const char *base, const char *ref);

/* The canonical form of an absolute http(s) URL, for identity only: lowercase scheme and host,
 * "http" for https, no default port, no fragment, no tracking parameters (utm_*, fbclid, gclid,
 * mc_cid, mc_eid, ...), the remaining query kept in order; the host without "www.", "m.",
 * "mobile." or "amp."; the path without "/amp/" segments, a final "/amp" or trailing slashes; no
 * "outputType=amp"/"amp" parameter; and a redirect wrapper (a "url", "u", "q"... parameter holding
 * an absolute http(s) URL: feedproxy-style links) stands for its target. Returns a new string, or
 * NULL when url is not an absolute http(s) URL. */
char *url_canonical(const char *url);
/* The canonical form as state schemas before version 4 computed it (no host, path, AMP or
 * wrapper rules): ids recorded then are still recognized. */
char *url_canonical_v3(const char *url);
/* The canonical form computed the general way, every part set back into curl and the URL written
 * by curl: what url_canonical computes faster, and must equal (for tests and the fuzz target). */
char *url_canonical_general(const char *url);

/* Whether url is absolute with a scheme curl understands. */
int url_is_absolute(const char *url);

/* The server of an absolute URL: its host, lowercased (IPv6 in brackets), and ":port" when the
 * URL names a port; a new string, NULL when the URL has no host (file://) or memory runs out. */
char *url_host(const char *url);

/* url without its userinfo ("user:password@" before the host), for showing: everything else is
 * kept exactly as written. Works on any "scheme://authority" URL (proxy URLs too) and leaves
 * other strings as they are. A new string (free()), NULL only when url is NULL or memory runs
 * out. The one place credentials are taken out of a URL that is shown, logged or written. */
char *url_strip_userinfo(const char *url);
/* Whether url has a userinfo part that url_strip_userinfo would remove. */
int url_has_userinfo(const char *url);

#endif
