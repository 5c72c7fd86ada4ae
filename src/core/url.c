/* SPDX-License-Identifier: MIT */
/* URLs: resolution against a base and the canonical form used for article identity, with curl_url. */
#include "autoconfig.h"

#include "url.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"

/* Query parameters that only track the reader; dropped from the canonical form. */
static const char *const tracking_exact[] = {
	"fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "mc_cid", "mc_eid", "yclid",
	"igshid", "_hsenc", "_hsmi", "mkt_tok", "ref_src", "oly_anon_id", "oly_enc_id", "vero_id",
	"__s", "rb_clickid", "s_cid", "cmpid", "ncid", "sr_share", "guccounter", NULL,
};

static int is_tracking(const char *name, size_t n)
{
	size_t i;

	if (n > 4 && strncasecmp(name, "utm_", 4) == 0)
		return 1;
	for (i = 0; tracking_exact[i]; i++)
		if (strlen(tracking_exact[i]) == n && strncasecmp(name, tracking_exact[i], n) == 0)
			return 1;
	return 0;
}

static int has_scheme(const char *s)
{
	const char *p = s;

	if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
		return 0;
	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
	       *p == '+' || *p == '-' || *p == '.')
		p++;
	return *p == ':';
}

static const unsigned url_flags = CURLU_NON_SUPPORT_SCHEME | CURLU_URLENCODE;

int url_is_absolute(const char *url)
{
	CURLU *h;
	int ok;

	if (!url || !*url)
		return 0;
	h = curl_url();
	if (!h)
		return 0;
	ok = curl_url_set(h, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK;
	curl_url_cleanup(h);
	return ok;
}

char *url_resolve(const char *base, const char *ref)
{
	CURLU *h;
	char *out = NULL, *res;
	size_t n;

	if (!ref)
		return NULL;
	while (*ref == ' ' || *ref == '\t' || *ref == '\n' || *ref == '\r')
		ref++;
	n = strlen(ref);
	while (n && (ref[n - 1] == ' ' || ref[n - 1] == '\t' || ref[n - 1] == '\n' || ref[n - 1] == '\r'))
		n--;
	res = strndup(ref, n);
	if (!res)
		return NULL;
	/* An absolute reference is kept as published; only relative ones are resolved. */
	if (has_scheme(res) || !base || !*base)
		return res;
	/* a fragment-only reference keeps the whole base (curl would drop its last segment), and
	 * so does an empty one, less its fragment (RFC 3986 5.2.2: href="" is the document) */
	if ((res[0] == '#' || !res[0]) && has_scheme(base)) {
		const char *hash = strchr(base, '#');
		size_t bl = hash ? (size_t)(hash - base) : strlen(base);
		char *r = malloc(bl + strlen(res) + 1);

		if (r) {
			memcpy(r, base, bl);
			strcpy(r + bl, res);
			free(res);
			return r;
		}
		return res;
	}
	h = curl_url();
	if (!h)
		return res;
	if (curl_url_set(h, CURLUPART_URL, base, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
	    curl_url_set(h, CURLUPART_URL, res, url_flags) == CURLUE_OK &&
	    curl_url_get(h, CURLUPART_URL, &out, 0) == CURLUE_OK) {
		free(res);
		res = strdup(out);
		curl_free(out);
	}
	curl_url_cleanup(h);
	return res;
}

/* Whether a query parameter only selects the AMP rendering ("outputType=amp", "amp", "amp=1"). */
static int is_amp_param(const char *p, size_t n)
{
	return (n == 14 && strncasecmp(p, "outputType=amp", 14) == 0) ||
	       (n == 3 && strncasecmp(p, "amp", 3) == 0) || (n == 5 && strncasecmp(p, "amp=1", 5) == 0);
}

/* Rebuilds the query without tracking parameters; "" when none is left. */
static int clean_query(const char *q, int v3, struct buf *out)
{
	const char *p = q, *amp, *eq;
	size_t n, name_len;

	while (*p) {
		amp = strchr(p, '&');
		n = amp ? (size_t)(amp - p) : strlen(p);
		eq = memchr(p, '=', n);
		name_len = eq ? (size_t)(eq - p) : n;
		if (n && !is_tracking(p, name_len) && (v3 || !is_amp_param(p, n))) {
			if (out->len && buf_putc(out, '&') < 0)
				return -1;
			if (buf_append(out, p, n) < 0)
				return -1;
		}
		p += n + (amp ? 1 : 0);
	}
	return 0;
}

/* Query parameters whose value, when it is an absolute http(s) URL, is where a redirect wrapper
 * (feedproxy-style "?url=", Google's "/url?q=", Facebook's "l.php?u=") sends the reader. */
static const char *const wrapper_params[] = {"url", "u", "q", "dest", "destination", "target",
					     "redirect", "redirect_url", "to", NULL};

static int is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Percent-decodes s[0..n) into a new string. */
static char *pct_decode(const char *s, size_t n)
{
	char *out = malloc(n + 1), *o = out;
	size_t i;

	if (!out)
		return NULL;
	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && is_hex(s[i + 1]) && is_hex(s[i + 2])) {
			char hex[3] = {s[i + 1], s[i + 2], 0};

			*o++ = (char)strtol(hex, NULL, 16);
			i += 2;
		} else {
			*o++ = s[i] == '+' ? ' ' : s[i];
		}
	}
	*o = '\0';
	return out;
}

/* The target of a redirect wrapper's query, a new string, or NULL when q wraps nothing. */
static char *wrapped_target(const char *q)
{
	const char *p = q, *amp, *eq;
	size_t n, i;

	while (*p) {
		amp = strchr(p, '&');
		n = amp ? (size_t)(amp - p) : strlen(p);
		eq = memchr(p, '=', n);
		for (i = 0; eq && wrapper_params[i]; i++) {
			char *v;

			if (strlen(wrapper_params[i]) != (size_t)(eq - p) ||
			    strncasecmp(p, wrapper_params[i], (size_t)(eq - p)) != 0)
				continue;
			v = pct_decode(eq + 1, n - (size_t)(eq + 1 - p));
			if (v && (strncasecmp(v, "http://", 7) == 0 || strncasecmp(v, "https://", 8) == 0))
				return v;
			free(v);
		}
		p += n + (amp ? 1 : 0);
	}
	return NULL;
}

/* Whether s still names a host by name: a dot, and a last label (the top-level domain) with a
 * letter. What is left of "m.2.2" is "2.2", which curl reads as the address 2.0.0.2: the
 * result would not be its own canonical form. */
static int domain_left(const char *s)
{
	const char *dot = strrchr(s, '.');

	if (!dot)
		return 0;
	for (dot++; *dot; dot++)
		if ((*dot >= 'a' && *dot <= 'z') || (*dot >= 'A' && *dot <= 'Z'))
			return 1;
	return 0;
}

/* Host variants of one site: "www.", "m.", "mobile." and "amp." are dropped (all of them, so
 * that the result is its own canonical form) as long as a domain name is left. */
static void strip_host(char *host)
{
	static const struct {
		const char *s;
		size_t n;
	} prefixes[] = {{"www.", 4}, {"m.", 2}, {"mobile.", 7}, {"amp.", 4}};
	int again = 1;
	size_t i, n;

	while (again) {
		again = 0;
		/* most hosts start with none of them */
		if (host[0] != 'w' && host[0] != 'm' && host[0] != 'a')
			break;
		for (i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
			n = prefixes[i].n;
			if (strncmp(host, prefixes[i].s, n) == 0 && domain_left(host + n)) {
				memmove(host, host + n, strlen(host + n) + 1);
				again = 1;
			}
		}
	}
}

/* AMP and slash variants of one page: "/amp/" segments, a final "/amp", trailing slashes. */
static void strip_path(char *path)
{
	char *s;
	size_t n;

	while ((s = strstr(path, "/amp/")))
		memmove(s, s + 4, strlen(s + 4) + 1);
	n = strlen(path);
	if (n >= 4 && strcmp(path + n - 4, "/amp") == 0)
		path[n -= 4] = '\0';
	while (n > 1 && path[n - 1] == '/')
		path[--n] = '\0';
	if (n == 0)
		strcpy(path, "/");
}

/* How canonical() works: V3 the form before state schema 4; GENERAL every part set back into
 * curl and the URL written by curl (the reference the direct way must equal, for tests). */
enum { CANON_V3 = 1, CANON_GENERAL = 2 };

static char *canonical(const char *url, int depth, unsigned how);

/* Whether every byte of s is printable ASCII other than the space. curl's CURLU_URLENCODE only
 * encodes spaces and bytes from 0x80 (urlencode_str in lib/urlapi.c), so it would change nothing
 * in such a URL, and it doubles the cost of parsing it. */
static int all_graphic(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

/* Whether url starts with "http:" or "https:", in any case. */
static int written_http(const char *url)
{
	return !strncasecmp(url, "http", 4) &&
	       (url[4] == ':' || ((url[4] == 's' || url[4] == 'S') && url[5] == ':'));
}

/* Whether curl takes host as it is when it is set as the host part: a name of letters, digits,
 * dots, dashes and underscores (curl's check refuses only other bytes, and an empty host). */
static int plain_host(const char *host)
{
	const char *c = host;

	for (; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '.' || *c == '-' ||
		      *c == '_'))
			return 0;
	return c != host;
}

/* Lowercases host in place (and drops the prefixes of strip_host unless v3): whether it changed. */
static int host_form(char *host, int v3)
{
	size_t n = strlen(host);
	int changed = 0;
	char *c;

	for (c = host; *c; c++)
		if (*c >= 'A' && *c <= 'Z') {
			*c = (char)(*c - 'A' + 'a');
			changed = 1;
		}
	if (!v3)
		strip_host(host);
	return changed || strlen(host) != n;
}

/* Host, path and query rewritten into their identity form and set back into h. 0, 1 when the
 * URL is a redirect wrapper (*target set), or -1. */
static int normalize_parts(CURLU *h, struct buf *q, int depth, unsigned how, char **target)
{
	char *host = NULL, *path = NULL, *query = NULL;
	int v3 = how & CANON_V3, rc = 0;

	if (curl_url_get(h, CURLUPART_QUERY, &query, 0) == CURLUE_OK) {
		char *w = v3 ? NULL : wrapped_target(query);

		if (w) {
			*target = canonical(w, depth + 1, how & CANON_GENERAL);
			free(w);
			rc = *target ? 1 : -1;
			goto done;
		}
		if (clean_query(query, v3, q) < 0) {
			rc = -1;
			goto done;
		}
		curl_url_set(h, CURLUPART_QUERY, q->len ? q->data : NULL, 0);
	}
	if (curl_url_get(h, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		host_form(host, v3);
		curl_url_set(h, CURLUPART_HOST, host, 0);
	}
	if (!v3 && curl_url_get(h, CURLUPART_PATH, &path, 0) == CURLUE_OK) {
		strip_path(path);
		curl_url_set(h, CURLUPART_PATH, path, 0);
	}
done:
	curl_free(host);
	curl_free(path);
	curl_free(query);
	return rc;
}

/* The canonical form of the URL parsed into h the general way: the scheme, user, password,
 * fragment, default port, host, path and query set as they should be, then the URL as curl
 * writes it. A new string or NULL. */
static char *general_form(CURLU *h, const char *url, int depth, unsigned how)
{
	char *port = NULL, *out = NULL, *res = NULL, *target = NULL;
	struct buf q = BUF_INIT;

	/* http and https name the same story: identity uses http and its default port. */
	curl_url_set(h, CURLUPART_SCHEME, "http", 0);
	curl_url_set(h, CURLUPART_FRAGMENT, NULL, 0);
	curl_url_set(h, CURLUPART_USER, NULL, 0);
	curl_url_set(h, CURLUPART_PASSWORD, NULL, 0);
	if (curl_url_get(h, CURLUPART_PORT, &port, 0) == CURLUE_OK &&
	    (strcmp(port, "80") == 0 || strcmp(port, "443") == 0))
		curl_url_set(h, CURLUPART_PORT, NULL, 0);
	curl_free(port);
	if (normalize_parts(h, &q, depth, how, &target) != 0) {
		res = target; /* the wrapped URL's canonical form, or NULL */
		goto done;
	}
	if (curl_url_get(h, CURLUPART_URL, &out, 0) != CURLUE_OK)
		goto done;
	/* Read back once more when the URL has %-escapes, so that the form is its own canonical
	 * form: curl decodes those of a host but normalizes the result ("%31" is "1", then
	 * "0.0.0.1") only when it parses a URL, and a host it decoded to something it cannot parse
	 * again ("%7f") has no form. (Where the host ends is curl's business: "http:///%7f" has one.) */
	if (strchr(url, '%')) {
		if (curl_url_set(h, CURLUPART_URL, out, CURLU_URLENCODE) != CURLUE_OK)
			goto done;
		curl_free(out);
		out = NULL;
		if (curl_url_get(h, CURLUPART_URL, &out, 0) != CURLUE_OK)
			goto done;
	}
	res = strdup(out);
done:
	curl_free(out);
	buf_fini(&q);
	return res;
}

/* The canonical form of a URL without %-escapes, written from its parts as curl parsed them,
 * with nothing set back into h but a host that changed and is not plain_host (curl checks it:
 * when it refuses it, the host stays as it was). Setting a part costs as much as parsing it
 * again, and here none would change anything but the host: curl only lowercases %-escapes in a
 * part it is given, and the scheme, user, password and fragment are not written. 0 with *res
 * the form (or NULL), 1 when the URL needs the general way (a host in brackets), h untouched. */
static int direct_form(CURLU *h, int depth, unsigned how, char **res)
{
	char *host = NULL, *path = NULL, *port = NULL, *query = NULL, *w;
	struct buf b = BUF_INIT, q = BUF_INIT;
	int v3 = how & CANON_V3, general = 1, rc;

	*res = NULL;
	if (curl_url_get(h, CURLUPART_HOST, &host, 0) != CURLUE_OK || host[0] == '[' ||
	    strchr(host, '%') || curl_url_get(h, CURLUPART_PATH, &path, 0) != CURLUE_OK)
		goto done;
	general = 0;
	if (curl_url_get(h, CURLUPART_QUERY, &query, 0) == CURLUE_OK) {
		if (!v3 && (w = wrapped_target(query))) {
			*res = canonical(w, depth + 1, 0);
			free(w);
			goto done;
		}
		if (clean_query(query, v3, &q) < 0)
			goto done;
	}
	if (host_form(host, v3) && !plain_host(host) &&
	    curl_url_set(h, CURLUPART_HOST, host, 0) != CURLUE_OK) {
		curl_free(host);
		host = NULL;
		if (curl_url_get(h, CURLUPART_HOST, &host, 0) != CURLUE_OK)
			goto done;
	}
	if (curl_url_get(h, CURLUPART_PORT, &port, 0) == CURLUE_OK &&
	    (strcmp(port, "80") == 0 || strcmp(port, "443") == 0)) {
		curl_free(port);
		port = NULL;
	}
	if (!v3)
		strip_path(path);
	rc = buf_puts(&b, "http://");
	rc |= buf_puts(&b, host);
	if (port) {
		rc |= buf_putc(&b, ':');
		rc |= buf_puts(&b, port);
	}
	if (path[0] != '/')
		rc |= buf_putc(&b, '/');
	rc |= buf_puts(&b, path);
	if (q.len) {
		rc |= buf_putc(&b, '?');
		rc |= buf_append(&b, q.data, q.len);
	}
	if (!rc)
		*res = buf_steal(&b);
done:
	buf_fini(&b);
	buf_fini(&q);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_free(query);
	return general;
}

static char *canonical(const char *url, int depth, unsigned how)
{
	CURLU *h;
	char *scheme = NULL, *res = NULL;
	unsigned flags = CURLU_URLENCODE;

	if (!url || depth > 3)
		return NULL;
	h = curl_url();
	if (!h)
		return NULL;
	if (!(how & CANON_GENERAL) && all_graphic(url))
		flags = 0;
	if (curl_url_set(h, CURLUPART_URL, url, flags) != CURLUE_OK)
		goto done;
	/* a URL curl took that starts with "http:" or "https:" has that scheme (curl reads the
	 * scheme from the first byte to the ':'): asked of curl only for the others */
	if (!written_http(url) && (curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
				   (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0)))
		goto done;
	/* curl writes a URL with its own printf, which took more time than the rest of the
	 * canonicalisation: a URL without %-escapes is written from its parts here */
	if ((how & CANON_GENERAL) || strchr(url, '%') || direct_form(h, depth, how, &res))
		res = general_form(h, url, depth, how);
done:
	curl_free(scheme);
	curl_url_cleanup(h);
	return res;
}

char *url_host(const char *url)
{
	CURLU *h = curl_url();
	char *host = NULL, *port = NULL, *out = NULL;

	if (h && curl_url_set(h, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
	    curl_url_get(h, CURLUPART_HOST, &host, 0) == CURLUE_OK && host) {
		size_t n = strlen(host) + 1, i;

		/* an explicit port makes another server */
		if (curl_url_get(h, CURLUPART_PORT, &port, 0) != CURLUE_OK)
			port = NULL;
		if ((out = malloc(n + (port ? strlen(port) + 1 : 0)))) {
			for (i = 0; host[i]; i++)
				out[i] = (char)tolower((unsigned char)host[i]);
			out[i] = '\0';
			if (port)
				strcat(strcat(out, ":"), port);
		}
	}
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(h);
	return out;
}

char *url_canonical(const char *url)
{
	return canonical(url, 0, 0);
}

char *url_canonical_v3(const char *url)
{
	return canonical(url, 0, CANON_V3);
}

char *url_canonical_general(const char *url)
{
	return canonical(url, 0, CANON_GENERAL);
}

/* Where the userinfo of url starts and how long it is, '@' included; 0 when there is none. */
static size_t userinfo_span(const char *url, const char **at)
{
	const char *p = strstr(url, "://"), *auth, *end, *last = NULL;

	if (!p || !has_scheme(url) || (size_t)(p - url) != strcspn(url, ":"))
		return 0;
	auth = p + 3;
	end = auth + strcspn(auth, "/?#");
	for (p = auth; p < end; p++)
		if (*p == '@')
			last = p;
	if (!last)
		return 0;
	*at = auth;
	return (size_t)(last + 1 - auth);
}

int url_has_userinfo(const char *url)
{
	const char *at;

	return url && userinfo_span(url, &at) > 0;
}

char *url_strip_userinfo(const char *url)
{
	const char *at = NULL;
	size_t n, head;
	char *out;

	if (!url)
		return NULL;
	n = userinfo_span(url, &at);
	if (!n)
		return strdup(url);
	head = (size_t)(at - url);
	out = malloc(strlen(url) - n + 1);
	if (!out)
		return NULL;
	memcpy(out, url, head);
	strcpy(out + head, at + n);
	return out;
}
