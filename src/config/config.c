/* SPDX-License-Identifier: MIT */
/* The configuration: the INI file (read with inih), the feeds of its OPML lists, every value
 * checked and every error reported with its file, line and key. */
#include "autoconfig.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <ini.h>
#include <utf8proc.h>
#include <xxhash.h>

#include "addr_policy.h"
#include "config.h"
#include "opml.h"
#include "pg_uri.h"
#include "secret.h"
#include "url.h"

#define DAY 86400
#define GIB (1 << 30)
#define NAME_MAX_LEN 64
#define LINE_MAX_LEN 65536 /* what a config line can sensibly need, URLs included */
#define DEFAULT_USER_AGENT "feedspool/" PACKAGE_VERSION " (+https://github.com/feedspool/feedspool)"

enum ktype {
	K_PATH,	    /* char *, resolved against the config's directory */
	K_FORMAT,   /* enum spool_format */
	K_COUNT,    /* int, a plain number */
	K_OCTAL,    /* mode_t */
	K_BOOL,	    /* int */
	K_DURATION, /* int seconds */
	K_RATE,	    /* int bytes, a size */
	K_SIZE,	    /* size_t bytes */
	K_STRING,   /* char * */
	K_HEADER,   /* repeatable: the headers of struct feed_settings */
	K_OPML,	    /* repeatable: an OPML file read once the whole file is parsed */
	K_SECRET,   /* char *: a password file or credential name, read into password */
	K_SINK,     /* int: SINK_SPOOL and/or SINK_NATS */
	K_TOKEN,    /* char *: a file holding the NATS token, read into nats_token */
};

struct key {
	const char *name;
	enum ktype type;
	int feed; /* a feed setting: off is into struct feed_settings, else into struct config */
	size_t off;
	long long min, max;
};

#define GLOBAL(n, t, f, lo, hi)                                                                    \
	{                                                                                          \
		n, t, 0, offsetof(struct config, f), lo, hi                                        \
	}
#define FEED(n, t, f, lo, hi)                                                                      \
	{                                                                                          \
		n, t, 1, offsetof(struct feed_settings, f), lo, hi                                 \
	}

/* Every key of [feedspool], in the order config_print shows them; those marked FEED may also be
 * set in a [feed] section. */
static const struct key keys[] = {
    GLOBAL("state", K_PATH, state, 0, 0),
    GLOBAL("spool", K_PATH, spool, 0, 0),
    GLOBAL("format", K_FORMAT, format, 0, 0),
    GLOBAL("plugin_dir", K_PATH, plugin_dir, 0, 0),
    GLOBAL("max_pending", K_COUNT, max_pending, 1, INT_MAX),
    GLOBAL("max_per_host", K_COUNT, max_per_host, 1, INT_MAX),
    GLOBAL("max_total", K_COUNT, max_total, 1, INT_MAX),
    GLOBAL("lease_time", K_DURATION, lease_time, 2, DAY),
    GLOBAL("retention_days", K_COUNT, retention_days, 1, 36500),
    GLOBAL("umask", K_OCTAL, umask, 0, 0777),
    GLOBAL("allow_file_urls", K_BOOL, allow_file_urls, 0, 1),
    GLOBAL("near_duplicates", K_BOOL, near_duplicates, 0, 1),
    GLOBAL("metrics", K_STRING, metrics, 0, 0),
    GLOBAL("sink", K_SINK, sink, 0, 0),
    GLOBAL("nats_url", K_STRING, nats_url, 0, 0),
    GLOBAL("nats_stream", K_STRING, nats_stream, 0, 0),
    GLOBAL("nats_subject", K_STRING, nats_subject, 0, 0),
    GLOBAL("nats_replicas", K_COUNT, nats_replicas, 1, 5),
    GLOBAL("nats_duplicate_window", K_DURATION, nats_duplicate_window, 1, 365 * DAY),
    GLOBAL("nats_creds_file", K_PATH, nats_creds_file, 0, 0),
    GLOBAL("nats_token", K_TOKEN, nats_token_file, 0, 0),
    GLOBAL("nats_ack_timeout", K_DURATION, nats_ack_timeout, 1, 3600),
    FEED("interval", K_DURATION, interval, 1, 365 * DAY),
    FEED("jitter", K_DURATION, jitter, 0, 365 * DAY),
    FEED("min_interval", K_DURATION, min_interval, 1, DAY),
    FEED("max_backoff", K_DURATION, max_backoff, 1, 365 * DAY),
    FEED("connect_timeout", K_DURATION, connect_timeout, 1, DAY),
    FEED("timeout", K_DURATION, timeout, 1, DAY),
    FEED("low_speed_limit", K_RATE, low_speed_limit, 0, GIB),
    FEED("low_speed_time", K_DURATION, low_speed_time, 0, DAY),
    FEED("max_bytes", K_SIZE, max_bytes, 1, GIB),
    FEED("user_agent", K_STRING, user_agent, 0, 0),
    FEED("header", K_HEADER, headers, 0, 0),
    FEED("revisions", K_BOOL, revisions, 0, 1),
    FEED("allow_private", K_STRING, allow_private, 0, 0),
    FEED("fulltext", K_STRING, fulltext, 0, 0),
    FEED("catchup", K_BOOL, catchup, 0, 1),
    FEED("username", K_STRING, username, 0, 0),
    FEED("password_file", K_SECRET, password_file, 0, 0),
    FEED("password_credential", K_SECRET, password_credential, 0, 0),
    FEED("proxy", K_STRING, proxy, 0, 0),
    FEED("cookie_file", K_PATH, cookie_file, 0, 0),
    FEED("ca_file", K_PATH, ca_file, 0, 0),
    FEED("client_cert", K_PATH, client_cert, 0, 0),
    FEED("client_key", K_PATH, client_key, 0, 0),
    FEED("tls_verify", K_BOOL, tls_verify, 0, 1),
    {"opml", K_OPML, 0, 0, 0, 0},
};

#define N_KEYS (sizeof keys / sizeof keys[0])
_Static_assert(N_KEYS <= 64, "struct feed_extra's set has a bit per key");
#define URL_SLOT N_KEYS /* where a [feed] section's url is counted in struct load's seen */
#define CATEGORY_SLOT (N_KEYS + 1) /* and its category */
#define TITLE_SLOT (N_KEYS + 2)    /* its title */
#define LINK_SLOT (N_KEYS + 3)     /* its link */

enum sec_kind { SEC_NONE, SEC_SKIP, SEC_GLOBAL, SEC_FEED, SEC_FILTER };

/* What the parse knows of a [feed] section beyond struct feed_conf. */
struct feed_extra {
	uint64_t set; /* bit i: keys[i] was given in the section */
	int url_line;
	int next_suffix; /* OPML naming: the next "-N" to try after this name (0: 2) */
};

struct opml_ref {
	char *path; /* resolved */
	int line;   /* of the opml = line; 0 for config_from_opml */
};

struct error {
	int file; /* 0 the config file, i + 1 its i-th OPML file: errors are sorted by file, line */
	int line;
	size_t seq;
	char *msg;
};

struct load {
	struct config *c;
	FILE *f;
	char *line; /* the current line, whole: inih's own buffer holds 199 bytes */
	size_t line_cap;
	int lineno;
	char *long_value; /* the value of a line too long for inih */
	enum sec_kind kind;
	char *label; /* "feed NAME": the section in messages */
	size_t index;
	int seen[N_KEYS + 4]; /* line of each key's first use in the section; 0 unused */
	int global_line;
	struct feed_extra *fx; /* parallel to c->feeds */
	size_t feeds_cap, filters_cap;
	struct opml_ref *opml;
	size_t n_opml;
	struct error *errs;
	size_t n_errs, errs_cap;
	struct strmap filter_names; /* filter name -> index in c->filters (c->by_name for feeds) */
	int oom;
};

static int is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '\v' || ch == '\f';
}

static int is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

static int is_lower_alnum(char ch)
{
	return (ch >= 'a' && ch <= 'z') || is_digit(ch);
}

/* Makes room for one more element in the array whose pointer is at pv (a T ** for a T *), which
 * holds n elements of size bytes and was only ever grown by this function: its capacity is then
 * 4, or n when n is a larger power of two, so n appends cost O(n), not a realloc each. The
 * pointer is moved with memcpy: pv is not a void **. 0 or -ENOMEM. */
static int room_for_one(void *pv, size_t n, size_t size)
{
	void *v, *p;

	if (n && (n < 4 || (n & (n - 1))))
		return 0;
	memcpy(&v, pv, sizeof v);
	p = realloc(v, (n ? n * 2 : 4) * size);
	if (!p)
		return -ENOMEM;
	memcpy(pv, &p, sizeof p);
	return 0;
}

/* Errors */

static char *vformat(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
static char *vformat(const char *fmt, va_list ap)
{
	va_list aq;
	char *s;
	int n;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0)
		return NULL;
	s = malloc((size_t)n + 1);
	if (s)
		vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

static void push_error(struct load *ld, int file, const char *where, int line, const char *prefix,
		       char *text)
{
	struct buf b = BUF_INIT;
	struct error *e;
	char *p;

	if (!text)
		goto oom;
	/* one error, one line: an OPML title or URL may hold a newline */
	for (p = text; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	if (line > 0)
		buf_printf(&b, "%s:%d: %s%s", where, line, prefix, text);
	else
		buf_printf(&b, "%s: %s%s", where, prefix, text);
	free(text);
	if (!b.data)
		goto oom;
	if (ld->n_errs == ld->errs_cap) {
		/* an OPML list may hold thousands of bad outlines */
		size_t cap = ld->errs_cap ? ld->errs_cap * 2 : 16;

		e = realloc(ld->errs, cap * sizeof *e);
		if (!e) {
			buf_fini(&b);
			goto oom;
		}
		ld->errs = e;
		ld->errs_cap = cap;
	}
	e = ld->errs;
	e[ld->n_errs].file = file;
	e[ld->n_errs].line = line;
	e[ld->n_errs].seq = ld->n_errs;
	e[ld->n_errs].msg = buf_steal(&b);
	ld->n_errs++;
	return;
oom:
	ld->oom = 1;
}

/* "WHERE:LINE: message", in file number file (0 the config, i + 1 its i-th OPML list) */
static void error_at(struct load *ld, int file, const char *where, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void error_at(struct load *ld, int file, const char *where, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	push_error(ld, file, where, line, "", vformat(fmt, ap));
	va_end(ap);
}

/* "CONFIG:LINE: [label] key: message"; label and key may be NULL. */
static void conf_error(struct load *ld, int line, const char *label, const char *key,
		       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void conf_error(struct load *ld, int line, const char *label, const char *key,
		       const char *fmt, ...)
{
	struct buf prefix = BUF_INIT;
	va_list ap;

	if (label && key)
		buf_printf(&prefix, "[%s] %s: ", label, key);
	else if (label)
		buf_printf(&prefix, "[%s]: ", label);
	else if (key)
		buf_printf(&prefix, "%s: ", key);
	va_start(ap, fmt);
	push_error(ld, 0, ld->c->path, line, buf_cstr(&prefix), vformat(fmt, ap));
	va_end(ap);
	buf_fini(&prefix);
}

static int cmp_error(const void *pa, const void *pb)
{
	const struct error *a = pa, *b = pb;

	if (a->file != b->file)
		return a->file < b->file ? -1 : 1;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Values */

/* Digits and at most one unit letter from units (scaled by mult). A leading '-' parses as a
 * number below any minimum; a number too large saturates: both are then out of range. */
static int parse_number(const char *s, const char *units, const unsigned long long *mult,
			unsigned long long *out)
{
	unsigned long long v = 0, m = 1;
	const char *u;
	int neg = *s == '-';

	s += neg;
	if (!is_digit(*s))
		return -EINVAL;
	for (; is_digit(*s); s++)
		v = v > (ULLONG_MAX - 9) / 10 ? ULLONG_MAX : v * 10 + (unsigned)(*s - '0');
	if (*s) {
		if (!units || s[1] || !(u = strchr(units, *s)))
			return -EINVAL;
		m = mult[u - units];
	}
	if (neg)
		return -ERANGE;
	*out = v > ULLONG_MAX / m ? ULLONG_MAX : v * m;
	return 0;
}

static int parse_duration(const char *s, unsigned long long *out)
{
	static const unsigned long long mult[] = {1, 60, 3600, DAY};

	return parse_number(s, "smhd", mult, out);
}

static int parse_size(const char *s, unsigned long long *out)
{
	static const unsigned long long mult[] = {1024, 1 << 20, GIB, 1024, 1 << 20, GIB};

	return parse_number(s, "KMGkmg", mult, out);
}

static int parse_octal(const char *s, unsigned long long *out)
{
	unsigned long long v = 0;

	if (*s == '-')
		return -ERANGE;
	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '7')
			return -EINVAL;
		v = v > 0xffffff ? v : v * 8 + (unsigned)(*s - '0');
	}
	*out = v;
	return 0;
}

static int parse_bool(const char *s, int *out)
{
	static const char *const yes[] = {"yes", "true", "on", "1"}, *const no[] = {"no", "false",
										    "off", "0"};
	size_t i;

	for (i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = 1;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = 0;
			return 0;
		}
	}
	return -EINVAL;
}

/* The shortest exact form: 1800 is "30m", 90 is "90s". */
static void fmt_duration(char *out, size_t n, unsigned long long v)
{
	if (v && v % DAY == 0)
		snprintf(out, n, "%llud", v / DAY);
	else if (v && v % 3600 == 0)
		snprintf(out, n, "%lluh", v / 3600);
	else if (v && v % 60 == 0)
		snprintf(out, n, "%llum", v / 60);
	else
		snprintf(out, n, "%llus", v);
}

static void fmt_size(char *out, size_t n, unsigned long long v)
{
	if (v && v % GIB == 0)
		snprintf(out, n, "%lluG", v / GIB);
	else if (v && v % (1 << 20) == 0)
		snprintf(out, n, "%lluM", v >> 20);
	else if (v && v % 1024 == 0)
		snprintf(out, n, "%lluK", v >> 10);
	else
		snprintf(out, n, "%llu", v);
}

static void fmt_number(char *out, size_t n, enum ktype t, unsigned long long v)
{
	if (t == K_DURATION)
		fmt_duration(out, n, v);
	else if (t == K_SIZE || t == K_RATE)
		fmt_size(out, n, v);
	else if (t == K_OCTAL)
		snprintf(out, n, "%#llo", v);
	else
		snprintf(out, n, "%llu", v);
}

/* What a value of each type looks like, for "is not a ..." messages. */
static const char *expected(enum ktype t)
{
	switch (t) {
	case K_DURATION:
		return "a duration (use 600, 10m, 2h or 1d)";
	case K_SIZE:
	case K_RATE:
		return "a size (use 100, 512K, 16M or 1G)";
	case K_COUNT:
		return "a whole number";
	case K_OCTAL:
		return "an octal umask (use 022, 027 or 077)";
	case K_BOOL:
		return "a boolean (use yes or no)";
	case K_FORMAT:
		return "a format (use json or json+text)";
	case K_HEADER:
		return "a header (use \"Name: value\")";
	case K_SINK:
		return "a sink (use spool, nats or spool nats)";
	default:
		return "valid";
	}
}

static int is_token_char(char ch)
{
	return is_lower_alnum(ch) || (ch >= 'A' && ch <= 'Z') ||
	       (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

/* "Name: value" with an RFC 9110 token as name and a non-empty value. */
static int is_header(const char *s)
{
	const char *p = s;

	while (is_token_char(*p))
		p++;
	if (p == s || *p != ':')
		return 0;
	for (p++; is_space(*p); p++)
		;
	return *p != '\0';
}

/* Whether two "Name: value" headers have the same name. */
static int same_header_name(const char *a, const char *b)
{
	size_t n = strcspn(a, ":");

	return n == strcspn(b, ":") && !strncasecmp(a, b, n);
}

static char *resolve(const char *dir, const char *path)
{
	size_t nd = strlen(dir);
	char *s;

	if (path[0] == '/')
		return strdup(path);
	s = malloc(nd + strlen(path) + 2);
	if (s)
		sprintf(s, "%s%s%s", dir, nd && dir[nd - 1] == '/' ? "" : "/", path);
	return s;
}

/* Why url cannot be a feed's URL, or NULL when it can. */
static const char *url_problem(const char *url, int allow_file)
{
	CURLU *u;
	char *scheme = NULL, *host = NULL;
	const char *why = NULL;

	if (!*url)
		return "is empty";
	u = curl_url();
	if (!u)
		return "could not be checked (out of memory)";
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK)
		why = "is not an absolute http(s) URL";
	else if (!strcasecmp(scheme, "file"))
		why = allow_file ? NULL : "is a file:// URL, refused unless allow_file_urls = yes";
	else if (strcasecmp(scheme, "http") && strcasecmp(scheme, "https"))
		why = "is not an http(s) URL";
	else if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !*host)
		why = "has no host";
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return why;
}

/* Names */

/* A feed name: 1 to 64 of a-z and 0-9 in words joined by single '-'; exactly what slug() makes,
 * so that names survive an OPML export and import. */
static int is_valid_name(const char *s)
{
	size_t n = strlen(s), i;

	if (!n || n > NAME_MAX_LEN || s[0] == '-' || s[n - 1] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!is_lower_alnum(s[i]) && (s[i] != '-' || s[i + 1] == '-'))
			return 0;
	return 1;
}

/* Appends to the empty out the name made of s: accents and case folded away (utf8proc), runs of
 * anything else made one '-', at most NAME_MAX_LEN bytes. 0 or -ENOMEM. */
static int slug(const char *s, struct buf *out)
{
	utf8proc_uint8_t *folded = NULL;
	utf8proc_ssize_t n;
	const char *p;
	int dash = 0, rc = 0;
	char ch;

	n = utf8proc_map((const utf8proc_uint8_t *)s, 0, &folded,
			 UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPAT |
			     UTF8PROC_DECOMPOSE | UTF8PROC_STRIPMARK | UTF8PROC_CASEFOLD);
	if (n == UTF8PROC_ERROR_NOMEM)
		return -ENOMEM;
	/* not UTF-8: its ASCII letters still make a name */
	p = n >= 0 ? (const char *)folded : s;
	for (; *p && rc == 0; p++) {
		ch = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p;
		if (!is_lower_alnum(ch)) {
			dash = out->len > 0;
			continue;
		}
		if (out->len + (size_t)dash + 1 > NAME_MAX_LEN)
			break;
		if (dash)
			rc = buf_putc(out, '-');
		if (rc == 0)
			rc = buf_putc(out, ch);
		dash = 0;
	}
	free(folded);
	return rc;
}

/* base, or base-2, base-3, ... (cut to NAME_MAX_LEN) when taken: a new string or NULL. The
 * suffix to try next is kept with the feed named base, so naming n feeds with one title costs
 * O(n). */
static char *unique_name(struct load *ld, const char *base)
{
	char suffix[16], cand[NAME_MAX_LEN + 1];
	size_t n, index, other;
	int *next, k;

	if (!strmap_get(&ld->c->by_name, base, &index))
		return strdup(base);
	next = &ld->fx[index].next_suffix;
	for (k = *next ? *next : 2;; k++) {
		snprintf(suffix, sizeof suffix, "-%d", k);
		n = strlen(base);
		if (n > NAME_MAX_LEN - strlen(suffix))
			n = NAME_MAX_LEN - strlen(suffix);
		while (n && base[n - 1] == '-')
			n--;
		snprintf(cand, sizeof cand, "%.*s%s", (int)n, base, suffix);
		if (!strmap_get(&ld->c->by_name, cand, &other))
			break;
	}
	*next = k + 1;
	return strdup(cand);
}

/* Settings */

/* Whether h is one of d's headers (the same string, which a feed borrows). */
static int borrowed_header(const struct feed_settings *d, const char *h)
{
	size_t i;

	for (i = 0; d && i < d->n_headers; i++)
		if (d->headers[i] == h)
			return 1;
	return 0;
}

/* Frees s. A feed's settings (d: the defaults, NULL for the defaults themselves) borrow the
 * defaults' strings and headers they inherit (fill_defaults): those stay. */
static void settings_fini(struct feed_settings *s, const struct feed_settings *d)
{
	static const struct feed_settings none;
	const struct key *k;
	size_t i;

	if (!d)
		d = &none;
	for (i = 0; i < N_KEYS; i++) {
		k = &keys[i];
		if (k->feed && (k->type == K_STRING || k->type == K_PATH || k->type == K_SECRET)) {
			char *v = *(char **)((char *)s + k->off);

			if (v != *(char *const *)((const char *)d + k->off))
				free(v);
		}
	}
	if (s->password != d->password)
		secret_free(s->password);
	for (i = 0; i < s->n_headers; i++)
		if (!borrowed_header(d, s->headers[i]))
			free(s->headers[i]);
	if (s->headers != d->headers)
		free(s->headers);
	memset(s, 0, sizeof *s);
}

static int add_header(struct feed_settings *s, const char *h)
{
	char **v;

	if (room_for_one(&s->headers, s->n_headers, sizeof *v) < 0)
		return -ENOMEM;
	v = s->headers;
	v[s->n_headers] = strdup(h);
	if (!v[s->n_headers])
		return -ENOMEM;
	s->n_headers++;
	return 0;
}

/* s's headers become d's, except those s names itself, followed by s's own. d's are borrowed
 * (settings_fini leaves them), and so is d's whole list when s has none of its own. */
static int merge_headers(const struct feed_settings *d, struct feed_settings *s)
{
	char **v;
	size_t i, j, n = 0;

	if (!d->n_headers)
		return 0; /* s's own stay as they are (and none is allocated for none) */
	if (!s->n_headers) {
		free(s->headers);
		s->headers = d->headers;
		s->n_headers = d->n_headers;
		return 0;
	}
	v = malloc((d->n_headers + s->n_headers + 1) * sizeof *v);
	if (!v)
		return -ENOMEM;
	for (i = 0; i < d->n_headers; i++) {
		for (j = 0; j < s->n_headers && !same_header_name(d->headers[i], s->headers[j]);
		     j++)
			;
		if (j < s->n_headers)
			continue;
		v[n++] = d->headers[i];
	}
	for (j = 0; j < s->n_headers; j++)
		v[n++] = s->headers[j];
	free(s->headers);
	s->headers = v;
	s->n_headers = n;
	return 0;
}

/* The bits of set that name a password (password_file, password_credential). */
static uint64_t secret_bits(uint64_t set)
{
	uint64_t m = 0;
	size_t i;

	for (i = 0; i < N_KEYS; i++)
		if (keys[i].type == K_SECRET)
			m |= (uint64_t)1 << i;
	return set & m;
}

/* Every feed setting not in set (a bit per keys[] index) is taken from the defaults d, strings
 * borrowed (one copy for every feed: settings_fini knows them); a feed that names a password
 * takes none of the defaults' password keys. */
static int fill_defaults(const struct feed_settings *d, struct feed_settings *s, uint64_t set)
{
	const struct key *k;
	size_t i;

	for (i = 0; i < N_KEYS; i++) {
		k = &keys[i];
		if (!k->feed || k->type == K_HEADER || (set & ((uint64_t)1 << i)) ||
		    (k->type == K_SECRET && secret_bits(set)))
			continue;
		if (k->type == K_STRING || k->type == K_PATH || k->type == K_SECRET) {
			*(char **)((char *)s + k->off) = *(char *const *)((const char *)d + k->off);
		} else if (k->type == K_SIZE) {
			*(size_t *)((char *)s + k->off) =
			    *(const size_t *)((const char *)d + k->off);
		} else {
			*(int *)((char *)s + k->off) = *(const int *)((const char *)d + k->off);
		}
	}
	if (!secret_bits(set))
		s->password = d->password;
	return merge_headers(d, s);
}

/* Config */

void config_free(struct config *c)
{
	size_t i, j;

	if (!c)
		return;
	for (i = 0; i < c->n_feeds; i++) {
		free(c->feeds[i].name);
		free(c->feeds[i].url);
		free(c->feeds[i].title);
		free(c->feeds[i].category);
		free(c->feeds[i].link);
		settings_fini(&c->feeds[i].s, &c->defaults);
	}
	free(c->feeds);
	for (i = 0; i < c->n_files; i++)
		free(c->files[i]);
	free(c->files);
	strmap_fini(&c->by_name);
	for (i = 0; i < c->n_filters; i++) {
		free(c->filters[i].name);
		free(c->filters[i].plugin);
		free(c->filters[i].file);
		for (j = 0; j < c->filters[i].n_options; j++) {
			free(c->filters[i].options[j].key);
			free(c->filters[i].options[j].value);
		}
		free(c->filters[i].options);
		for (j = 0; j < c->filters[i].n_feeds; j++)
			free(c->filters[i].feeds[j]);
		free(c->filters[i].feeds);
		for (j = 0; j < c->filters[i].n_categories; j++)
			free(c->filters[i].categories[j]);
		free(c->filters[i].categories);
	}
	free(c->filters);
	settings_fini(&c->defaults, NULL);
	free(c->path);
	free(c->dir);
	free(c->state);
	free(c->spool);
	free(c->plugin_dir);
	free(c->metrics);
	free(c->nats_url);
	free(c->nats_stream);
	free(c->nats_subject);
	free(c->nats_creds_file);
	free(c->nats_token_file);
	secret_free(c->nats_token);
	free(c);
}

static struct config *config_new(const char *path)
{
	struct config *c = calloc(1, sizeof *c);

	if (!c)
		return NULL;
	c->path = strdup(path);
	c->state = strdup("/var/lib/feedspool/state.db");
	c->spool = strdup("/var/spool/feedspool");
	c->metrics = strdup("no");
	c->nats_url = strdup("nats://127.0.0.1:4222");
	c->nats_stream = strdup("FEEDSPOOL");
	c->nats_subject = strdup("feedspool.articles");
	c->plugin_dir = strdup(PKGLIBDIR);
	c->defaults.user_agent = strdup(DEFAULT_USER_AGENT);
	c->defaults.allow_private = strdup("no");
	c->defaults.fulltext = strdup("no");
	if (!c->path || !c->state || !c->spool || !c->metrics || !c->plugin_dir || !c->defaults.user_agent ||
	    !c->nats_url || !c->nats_stream || !c->nats_subject ||
	    !c->defaults.allow_private || !c->defaults.fulltext) {
		config_free(c);
		return NULL;
	}
	c->format = SPOOL_JSON_TEXT;
	c->max_pending = 10000;
	c->max_per_host = 2;
	c->max_total = 32;
	c->lease_time = 120;
	c->retention_days = 90;
	c->umask = 027;
	c->allow_file_urls = 0;
	c->near_duplicates = 1;
	c->sink = SINK_SPOOL;
	c->nats_replicas = 1;
	c->nats_duplicate_window = DAY;
	c->nats_ack_timeout = 10;
	c->defaults.interval = 1800;
	c->defaults.tls_verify = 1;
	c->defaults.jitter = 300;
	c->defaults.min_interval = 300;
	c->defaults.max_backoff = DAY;
	c->defaults.connect_timeout = 15;
	c->defaults.timeout = 60;
	c->defaults.low_speed_limit = 100;
	c->defaults.low_speed_time = 30;
	c->defaults.max_bytes = 16 << 20;
	c->defaults.revisions = 0;
	return c;
}

/* The absolute directory of path (realpath(3) of its directory part) in *out. */
static int dir_of(const char *path, char **out)
{
	const char *slash = strrchr(path, '/');
	char *d;
	int rc = 0;

	if (!slash)
		d = strdup(".");
	else
		d = strndup(path, slash == path ? 1 : (size_t)(slash - path));
	if (!d)
		return -ENOMEM;
	*out = realpath(d, NULL);
	if (!*out)
		rc = -errno;
	free(d);
	return rc;
}

const struct feed_conf *config_feed(const struct config *c, const char *name)
{
	size_t i;

	return c && name && strmap_get(&c->by_name, name, &i) ? &c->feeds[i] : NULL;
}

/* Parsing */

/* The file a feed was defined in, one copy for all its feeds: the config's path, or one of
 * c->files (the OPML files, a handful). NULL on ENOMEM. */
static char *file_of(struct config *c, const char *file)
{
	char **v;
	size_t i;

	if (!strcmp(file, c->path))
		return c->path;
	for (i = c->n_files; i-- > 0;)
		if (!strcmp(c->files[i], file))
			return c->files[i];
	if (room_for_one(&c->files, c->n_files, sizeof *v) < 0)
		return NULL;
	v = c->files;
	if (!(v[c->n_files] = strdup(file)))
		return NULL;
	return v[c->n_files++];
}

/* A new feed at the end of c->feeds (fx follows); its index in *index. */
static int new_feed(struct load *ld, const char *name, const char *file, int line, size_t *index)
{
	struct config *c = ld->c;
	struct feed_conf *f;
	struct feed_extra *fx;
	size_t cap;

	if (c->n_feeds == ld->feeds_cap) {
		cap = ld->feeds_cap ? ld->feeds_cap * 2 : 16;
		f = realloc(c->feeds, cap * sizeof *f);
		if (!f)
			return -ENOMEM;
		c->feeds = f;
		fx = realloc(ld->fx, cap * sizeof *fx);
		if (!fx)
			return -ENOMEM;
		ld->fx = fx;
		ld->feeds_cap = cap;
	}
	f = &c->feeds[c->n_feeds];
	memset(f, 0, sizeof *f);
	memset(&ld->fx[c->n_feeds], 0, sizeof ld->fx[0]);
	f->line = line;
	f->name = strdup(name);
	f->file = file_of(c, file);
	*index = c->n_feeds++;
	if (!f->name || !f->file)
		return -ENOMEM;
	/* the caller has checked that the name is not taken */
	return strmap_add(&c->by_name, f->name, *index, NULL) < 0 ? -ENOMEM : 0;
}

static int new_filter(struct load *ld, const char *name, int line, size_t *index)
{
	struct config *c = ld->c;
	struct filter_conf *f;
	size_t cap;

	if (c->n_filters == ld->filters_cap) {
		cap = ld->filters_cap ? ld->filters_cap * 2 : 4;
		f = realloc(c->filters, cap * sizeof *f);
		if (!f)
			return -ENOMEM;
		c->filters = f;
		ld->filters_cap = cap;
	}
	f = &c->filters[c->n_filters];
	memset(f, 0, sizeof *f);
	f->on_error = ON_ERROR_KEEP;
	f->line = line;
	f->name = strdup(name);
	f->file = strdup(c->path);
	*index = c->n_filters++;
	if (!f->name || !f->file)
		return -ENOMEM;
	return strmap_add(&ld->filter_names, f->name, *index, NULL) < 0 ? -ENOMEM : 0;
}

/* The text of a [feed NAME] or [filter NAME] header: the new section, or an error. */
static void begin_named(struct load *ld, const char *kind, const char *name)
{
	struct config *c = ld->c;
	struct buf suggestion = BUF_INIT;
	int is_feed = !strcmp(kind, "feed"), rc;
	size_t taken;
	char label[NAME_MAX_LEN + 8];

	if (!*name) {
		conf_error(ld, ld->lineno, kind, NULL, "no name (use [%s NAME])", kind);
		return;
	}
	if (!is_valid_name(name)) {
		if (slug(name, &suggestion) < 0)
			ld->oom = 1;
		conf_error(
		    ld, ld->lineno, NULL, NULL,
		    "[%s %.100s]: not a valid name (use lowercase letters, digits and single "
		    "'-', at most %d%s%s)",
		    kind, name, NAME_MAX_LEN, suggestion.len ? ", e.g. " : "",
		    buf_cstr(&suggestion));
		buf_fini(&suggestion);
		return;
	}
	snprintf(label, sizeof label, "%s %s", kind, name);
	if (strmap_get(is_feed ? &c->by_name : &ld->filter_names, name, &taken)) {
		conf_error(ld, ld->lineno, label, NULL, "repeated %s name (first at line %d)", kind,
			   is_feed ? c->feeds[taken].line : c->filters[taken].line);
		return;
	}
	ld->label = strdup(label);
	rc = is_feed ? new_feed(ld, name, c->path, ld->lineno, &ld->index)
		     : new_filter(ld, name, ld->lineno, &ld->index);
	if (rc < 0 || !ld->label) {
		ld->oom = 1;
		return;
	}
	ld->kind = is_feed ? SEC_FEED : SEC_FILTER;
}

/* A line starting with '[': sections are tracked here, where the whole line is at hand (inih
 * cuts section names at 49 bytes, and never reports an empty section). */
static void section_line(struct load *ld, char *s)
{
	char *end = strchr(s, ']'), *name, *rest;
	size_t n;

	free(ld->label);
	ld->label = NULL;
	ld->kind = SEC_SKIP; /* the keys of a bad section are ignored, not reported one by one */
	memset(ld->seen, 0, sizeof ld->seen);
	if (!end) {
		conf_error(ld, ld->lineno, NULL, NULL,
			   "expected ']' at the end of the section name");
		return;
	}
	for (rest = end + 1; is_space(*rest); rest++)
		;
	if (*rest && *rest != ';' && *rest != '#') {
		conf_error(ld, ld->lineno, NULL, NULL, "unexpected text after ']'");
		return;
	}
	*end = '\0';
	for (name = s + 1; is_space(*name); name++)
		;
	for (n = strlen(name); n && is_space(name[n - 1]); n--)
		name[n - 1] = '\0';
	if (!strcmp(name, "feedspool")) {
		if (ld->global_line) {
			conf_error(ld, ld->lineno, name, NULL,
				   "repeated section (first at line %d)", ld->global_line);
			return;
		}
		ld->global_line = ld->lineno;
		ld->label = strdup(name);
		ld->kind = SEC_GLOBAL;
		if (!ld->label)
			ld->oom = 1;
		return;
	}
	for (n = 0; name[n] && !is_space(name[n]); n++)
		;
	if ((n == 4 && !strncmp(name, "feed", 4)) || (n == 6 && !strncmp(name, "filter", 6))) {
		for (rest = name + n; is_space(*rest); rest++)
			;
		name[n] = '\0';
		begin_named(ld, name, rest);
		return;
	}
	conf_error(ld, ld->lineno, NULL, NULL,
		   "[%.100s]: unknown section (use [feedspool], [feed NAME] or [filter NAME])",
		   name);
}

/* The first use of a key in the section (slot: its index in keys[]); a repeat is an error. */
static int first_use(struct load *ld, size_t slot, const char *key)
{
	if (ld->seen[slot]) {
		conf_error(ld, ld->lineno, ld->label, key,
			   "repeated (first at line %d; only header and opml may repeat)",
			   ld->seen[slot]);
		return 0;
	}
	ld->seen[slot] = ld->lineno;
	return 1;
}

static int bad_value(struct load *ld, const char *key, const char *v, const char *what)
{
	conf_error(ld, ld->lineno, ld->label, key, "\"%.100s\" is not %s", v, what);
	return -EINVAL;
}

/* password_file = PATH or password_credential = NAME: the secret is read now (at start and at
 * each reload) into base's password, the path or name kept for check. */
static int set_secret(struct load *ld, const struct key *k, void *base, const char *v)
{
	struct feed_settings *s = base;
	int file = k->off == offsetof(struct feed_settings, password_file);
	char why[512], *where, *pw = NULL;
	int rc;

	if (!*v)
		return bad_value(ld, k->name, v, file ? "a path" : "a credential name");
	if (s->password) {
		conf_error(ld, ld->lineno, ld->label, k->name,
			   "a password is already given (use one of password_file and "
			   "password_credential)");
		return -EINVAL;
	}
	where = file ? resolve(ld->c->dir, v) : strdup(v);
	if (!where)
		goto oom;
	rc = file ? secret_read_file(where, &pw, why, sizeof why)
		  : secret_read_credential(where, &pw, why, sizeof why);
	if (rc == -ENOMEM) {
		free(where);
		goto oom;
	}
	if (rc < 0) {
		conf_error(ld, ld->lineno, ld->label, k->name, "%s", why);
		free(where);
		return -EINVAL;
	}
	*(char **)((char *)base + k->off) = where;
	s->password = pw;
	return 0;
oom:
	ld->oom = 1;
	return -ENOMEM;
}

/* `sink = spool | nats | spool nats` (either order, each once) into a SINK_* mask. */
static int parse_sink(const char *v, int *out)
{
	char word[8];
	int n, bit;

	*out = 0;
	while (*v) {
		if (is_space(*v)) {
			v++;
			continue;
		}
		n = (int)strcspn(v, " \t");
		if (n >= (int)sizeof word)
			return -EINVAL;
		snprintf(word, sizeof word, "%.*s", n, v);
		bit = !strcmp(word, "spool") ? SINK_SPOOL : !strcmp(word, "nats") ? SINK_NATS : 0;
		if (!bit || (*out & bit))
			return -EINVAL;
		*out |= bit;
		v += n;
	}
	return *out ? 0 : -EINVAL;
}

/* The NATS names: a stream name has no blank, '.', '*', '>', '/' or '\\'; a subject is tokens
 * joined by '.', without wildcards (articles are published on it); a URL list is nats://,
 * tls://, ws:// or wss:// URLs joined by commas. 1 when v is bad (reported). */
static int nats_value_bad(struct load *ld, const struct key *k, const char *v)
{
	const char *what = NULL, *p;

	if (k->off == offsetof(struct config, nats_stream)) {
		if (v[strcspn(v, " \t.*>/\\")])
			what = "a stream name (letters, digits, - and _; no '.', '*', '>' or blank)";
	} else if (k->off == offsetof(struct config, nats_subject)) {
		if (v[strcspn(v, " \t*>")] || *v == '.' || v[strlen(v) - 1] == '.' || strstr(v, ".."))
			what = "a subject (tokens joined by '.', no wildcard or blank)";
	} else if (k->off == offsetof(struct config, nats_url)) {
		for (p = v; p && !what; p = strchr(p, ','), p = p ? p + 1 : NULL)
			if (strncmp(p, "nats://", 7) && strncmp(p, "tls://", 6) &&
			    strncmp(p, "ws://", 5) && strncmp(p, "wss://", 6))
				what = "a NATS URL (use nats://HOST:PORT, several joined by ',')";
	}
	if (what)
		bad_value(ld, k->name, v, what);
	return what != NULL;
}

/* nats_token = FILE: read now, with password_file's checks; the path kept for check. */
static int set_token(struct load *ld, const struct key *k, const char *v)
{
	struct config *c = ld->c;
	char why[512], *path, *tok = NULL;
	int rc;

	if (!*v)
		return bad_value(ld, k->name, v, "a path");
	if (!(path = resolve(c->dir, v))) {
		ld->oom = 1;
		return -ENOMEM;
	}
	if ((rc = secret_read_file(path, &tok, why, sizeof why)) < 0) {
		if (rc == -ENOMEM)
			ld->oom = 1;
		else
			conf_error(ld, ld->lineno, ld->label, k->name, "%s", why);
		free(path);
		return rc;
	}
	free(c->nats_token_file);
	secret_free(c->nats_token);
	c->nats_token_file = path;
	c->nats_token = tok;
	return 0;
}

/* K_PATH and K_OPML: a path resolved against the configuration's folder (state may be a
 * database URI instead); an OPML file is remembered with its line, read after the file. */
static int set_path(struct load *ld, const struct key *k, void *p, const char *v)
{
	struct opml_ref *r;
	char *s;

	if (!*v)
		return bad_value(ld, k->name, v, "a path");
	/* state = postgresql://...: a database, not a path (store_pg.h) */
	if (k->type == K_PATH && !strcmp(k->name, "state") &&
	    (!strncmp(v, "postgresql://", 13) || !strncmp(v, "postgres://", 11)))
		s = strdup(v);
	else
		s = resolve(ld->c->dir, v);
	if (!s)
		goto oom;
	if (k->type == K_PATH) {
		free(*(char **)p);
		*(char **)p = s;
		return 0;
	}
	if (room_for_one(&ld->opml, ld->n_opml, sizeof *r) < 0) {
		free(s);
		goto oom;
	}
	r = ld->opml;
	r[ld->n_opml].path = s;
	r[ld->n_opml++].line = ld->lineno;
	return 0;
oom:
	ld->oom = 1;
	return -ENOMEM;
}

/* K_STRING: not empty, and checked where the key has a vocabulary. */
static int set_string(struct load *ld, const struct key *k, void *p, const char *v)
{
	struct addr_policy ap;
	char why[256];
	char *s;

	if (!*v) {
		conf_error(ld, ld->lineno, ld->label, k->name, "empty (leave %s out for the default)",
			   k->name);
		return -EINVAL;
	}
	if (k->feed && k->off == offsetof(struct feed_settings, fulltext) && strcmp(v, "no") &&
	    strcmp(v, "yes") && strcmp(v, "auto"))
		return bad_value(ld, k->name, v, "no, yes or auto");
	if (!k->feed && nats_value_bad(ld, k, v))
		return -EINVAL;
	if (k->feed && k->off == offsetof(struct feed_settings, allow_private) &&
	    addr_policy_parse(&ap, v, why, sizeof why) < 0) {
		conf_error(ld, ld->lineno, ld->label, k->name, "%s", why);
		return -EINVAL;
	}
	if (!(s = strdup(v))) {
		ld->oom = 1;
		return -ENOMEM;
	}
	free(*(char **)p);
	*(char **)p = s;
	return 0;
}

/* Durations, sizes, rates, modes and counts: parsed, then held to the key's range. */
static int set_number(struct load *ld, const struct key *k, void *p, const char *v)
{
	unsigned long long n = 0;
	char lo[32], hi[32];
	int rc = -EINVAL, low;

	switch (k->type) {
	case K_DURATION:
		rc = parse_duration(v, &n);
		break;
	case K_SIZE:
	case K_RATE:
		rc = parse_size(v, &n);
		break;
	case K_OCTAL:
		rc = parse_octal(v, &n);
		break;
	case K_COUNT:
		rc = parse_number(v, NULL, NULL, &n);
		break;
	default:
		break;
	}
	if (rc == -EINVAL)
		return bad_value(ld, k->name, v, expected(k->type));
	if (rc == -ERANGE || n < (unsigned long long)k->min || n > (unsigned long long)k->max) {
		low = rc == -ERANGE || n < (unsigned long long)k->min;
		fmt_number(lo, sizeof lo, k->type, (unsigned long long)k->min);
		fmt_number(hi, sizeof hi, k->type, (unsigned long long)k->max);
		conf_error(ld, ld->lineno, ld->label, k->name,
			   "\"%.100s\" is out of range (at %s %s)", v, low ? "least" : "most",
			   low ? lo : hi);
		return -EINVAL;
	}
	if (k->type == K_SIZE)
		*(size_t *)p = (size_t)n;
	else if (k->type == K_OCTAL)
		*(mode_t *)p = (mode_t)n;
	else
		*(int *)p = (int)n;
	return 0;
}

/* Parses v as keys[] entry k into the field k names in base. 0, or -EINVAL with the error
 * reported. */
static int set_value(struct load *ld, const struct key *k, void *base, const char *v)
{
	void *p = (char *)base + k->off;
	int b;

	switch (k->type) {
	case K_PATH:
	case K_OPML:
		return set_path(ld, k, p, v);
	case K_STRING:
		return set_string(ld, k, p, v);
	case K_SECRET:
		return set_secret(ld, k, base, v);
	case K_TOKEN:
		return set_token(ld, k, v);
	case K_SINK:
		if (parse_sink(v, &b) < 0)
			return bad_value(ld, k->name, v, expected(k->type));
		*(int *)p = b;
		return 0;
	case K_HEADER:
		if (!is_header(v))
			return bad_value(ld, k->name, v, expected(k->type));
		if (add_header(base, v) < 0) {
			ld->oom = 1;
			return -ENOMEM;
		}
		return 0;
	case K_FORMAT:
		if (!strcmp(v, "json"))
			*(enum spool_format *)p = SPOOL_JSON;
		else if (!strcmp(v, "json+text"))
			*(enum spool_format *)p = SPOOL_JSON_TEXT;
		else
			return bad_value(ld, k->name, v, expected(k->type));
		return 0;
	case K_BOOL:
		if (parse_bool(v, &b) < 0)
			return bad_value(ld, k->name, v, expected(k->type));
		*(int *)p = b;
		return 0;
	default:
		return set_number(ld, k, p, v);
	}
}

static int find_key(const char *name)
{
	size_t i;

	for (i = 0; i < N_KEYS; i++)
		if (!strcmp(keys[i].name, name))
			return (int)i;
	return -1;
}

static void global_key(struct load *ld, const char *name, const char *value)
{
	struct config *c = ld->c;
	int i = find_key(name);

	if (i < 0) {
		conf_error(ld, ld->lineno, ld->label, name, "unknown key");
		return;
	}
	if (keys[i].type != K_HEADER && keys[i].type != K_OPML && !first_use(ld, (size_t)i, name))
		return;
	set_value(ld, &keys[i], keys[i].feed ? (void *)&c->defaults : (void *)c, value);
}

/* category, title and link: free text kept as written (link must be a URL). */
static void text_key(struct load *ld, struct feed_conf *f, const char *name, const char *value)
{
	size_t slot = name[0] == 'c' ? CATEGORY_SLOT : name[0] == 't' ? TITLE_SLOT : LINK_SLOT;
	char **dst = name[0] == 'c' ? &f->category : name[0] == 't' ? &f->title : &f->link;
	const char *what = name[0] == 'c' ? "a category" : name[0] == 't' ? "a title" : "a URL";

	if (!first_use(ld, slot, name))
		return;
	if (!*value) {
		bad_value(ld, name, value, what);
		return;
	}
	if (slot == LINK_SLOT && !url_is_absolute(value)) {
		bad_value(ld, name, value, "an absolute URL (the site's page)");
		return;
	}
	if (!(*dst = strdup(value)))
		ld->oom = 1;
}

static void feed_key(struct load *ld, const char *name, const char *value)
{
	struct feed_conf *f = &ld->c->feeds[ld->index];
	int i;

	if (!strcmp(name, "url")) {
		if (!first_use(ld, URL_SLOT, name))
			return;
		f->url = strdup(value);
		if (!f->url)
			ld->oom = 1;
		ld->fx[ld->index].url_line = ld->lineno;
		return;
	}
	if (!strcmp(name, "category") || !strcmp(name, "title") || !strcmp(name, "link")) {
		text_key(ld, f, name, value);
		return;
	}
	i = find_key(name);
	if (i < 0) {
		conf_error(ld, ld->lineno, ld->label, name, "unknown key");
		return;
	}
	if (!keys[i].feed) {
		conf_error(ld, ld->lineno, ld->label, name,
			   "not a feed setting (set it in [feedspool])");
		return;
	}
	if (keys[i].type != K_HEADER && !first_use(ld, (size_t)i, name))
		return;
	if (set_value(ld, &keys[i], &f->s, value) == 0)
		ld->fx[ld->index].set |= UINT64_C(1) << i;
}

/* Appends the items of a `feeds` (names or patterns, separated by commas or blanks) or
 * `categories` (separated by commas: a category may hold blanks) list to *v. */
static void scope_list(struct load *ld, const char *key, const char *value, char ***v, size_t *n,
		       int *line)
{
	const char *seps = key[0] == 'f' ? ", \t" : ",", *p = value, *e;
	size_t len, i;
	char *item, **nv;

	if (!*line)
		*line = ld->lineno;
	for (;;) {
		while (*p && strchr(seps, *p))
			p++;
		while (is_space(*p))
			p++;
		if (!*p)
			break;
		for (e = p; *e && !strchr(seps, *e); e++)
			;
		for (len = (size_t)(e - p); len && is_space(p[len - 1]); len--)
			;
		if (!len) {
			p = e;
			continue;
		}
		for (i = 0; key[0] == 'f' && i < len; i++)
			if (!is_lower_alnum(p[i]) && !strchr("-*?[]!", p[i])) {
				conf_error(ld, ld->lineno, ld->label, key,
					   "\"%.*s\" is not a feed name or pattern (lowercase "
					   "letters, digits, '-', and * ? [...])",
					   (int)(len > 100 ? 100 : len), p);
				return;
			}
		if (!(item = strndup(p, len)) || !(nv = realloc(*v, (*n + 1) * sizeof *nv))) {
			free(item);
			ld->oom = 1;
			return;
		}
		*v = nv;
		nv[(*n)++] = item;
		p = e;
	}
	if (!*n)
		bad_value(ld, key, value, key[0] == 'f' ? "a list of feed names or patterns"
							: "a list of categories");
}

static void filter_key(struct load *ld, const char *name, const char *value)
{
	struct filter_conf *f = &ld->c->filters[ld->index];
	struct filter_option *o;

	if (!strcmp(name, "plugin")) {
		if (!first_use(ld, 0, name))
			return;
		/* kept even when empty: "no plugin" would only repeat the error */
		if (!*value)
			bad_value(ld, name, value, "a plugin (use a name in plugin_dir or a path)");
		f->plugin = strdup(value);
		if (!f->plugin)
			ld->oom = 1;
	} else if (!strcmp(name, "on_error")) {
		if (!first_use(ld, 1, name))
			return;
		if (!strcmp(value, "keep"))
			f->on_error = ON_ERROR_KEEP;
		else if (!strcmp(value, "drop"))
			f->on_error = ON_ERROR_DROP;
		else
			bad_value(ld, name, value, "keep or drop");
	} else if (!strcmp(name, "feeds")) {
		scope_list(ld, name, value, &f->feeds, &f->n_feeds, &f->feeds_line);
	} else if (!strcmp(name, "categories")) {
		scope_list(ld, name, value, &f->categories, &f->n_categories,
			   &f->categories_line);
	} else if (!strcmp(name, "answer_timeout")) {
		unsigned long long v;

		if (!first_use(ld, 2, name))
			return;
		if (parse_duration(value, &v) < 0 || v < 1 || v > DAY)
			bad_value(ld, name, value, "a duration from 1s to 1d");
		else
			f->answer_timeout_ms = (uint64_t)v * 1000;
	} else {
		/* the plugin's own option: repeats allowed, the plugin decides what they mean */
		if (room_for_one(&f->options, f->n_options, sizeof *o) < 0) {
			ld->oom = 1;
			return;
		}
		o = f->options;
		o[f->n_options].key = strdup(name);
		o[f->n_options].value = strdup(value);
		f->n_options++;
		if (!o[f->n_options - 1].key || !o[f->n_options - 1].value)
			ld->oom = 1;
	}
}

/* inih's handler: one key line, in the section cb_read saw last. */
static int cb_key(void *user, const char *section, const char *name, const char *value)
{
	struct load *ld = user;

	(void)section; /* cb_read tracks sections, see section_line */
	if (ld->long_value)
		value = ld->long_value;
	switch (ld->kind) {
	case SEC_NONE:
		conf_error(ld, ld->lineno, NULL, name,
			   "before any section (start with [feedspool])");
		break;
	case SEC_SKIP:
		break;
	case SEC_GLOBAL:
		global_key(ld, name, value);
		break;
	case SEC_FEED:
		feed_key(ld, name, value);
		break;
	case SEC_FILTER:
		filter_key(ld, name, value);
		break;
	}
	return 1; /* errors are collected here: go on to report them all */
}

/* Where inih splits a key line: the first '=' or ':' before an inline comment (';' after a
 * space), as its find_chars_or_comment() does. */
static const char *find_separator(const char *s)
{
	int was_space = 0;

	for (; *s && *s != '=' && *s != ':' && !(was_space && *s == ';'); s++)
		was_space = is_space(*s);
	return s;
}

/* The value after the separator, as inih takes it: trimmed, without an inline comment. */
static char *value_after(const char *s)
{
	const char *e;
	int was_space = 0;

	while (is_space(*s))
		s++;
	for (e = s; *e && !(was_space && *e == ';'); e++)
		was_space = is_space(*e);
	while (e > s && is_space(e[-1]))
		e--;
	return strndup(s, (size_t)(e - s));
}

/* inih's reader: one line per call, so ld->lineno is the line being handled. The line is
 * checked here so that every syntax error is reported, not only the first; inih gets the lines
 * it would reject, and section headers, as empty lines. Leading blanks are dropped: inih would
 * take an indented line for the continuation of the previous value. */
static char *cb_read(char *str, int num, void *stream)
{
	struct load *ld = stream;
	const char *sep;
	size_t klen, len;
	ssize_t n;
	char *s;

	free(ld->long_value);
	ld->long_value = NULL;
	str[0] = '\0';
	n = getline(&ld->line, &ld->line_cap, ld->f);
	if (n < 0)
		return NULL;
	ld->lineno++;
	s = ld->line;
	if (n > LINE_MAX_LEN) {
		conf_error(ld, ld->lineno, NULL, NULL, "line longer than %d bytes", LINE_MAX_LEN);
		return str;
	}
	if (memchr(s, '\0', (size_t)n)) {
		conf_error(ld, ld->lineno, NULL, NULL, "a NUL byte (not a text file?)");
		return str;
	}
	if (ld->lineno == 1 && !strncmp(s, "\xef\xbb\xbf", 3))
		s += 3;
	while (is_space(*s))
		s++;
	len = strlen(s);
	while (len && is_space(s[len - 1]))
		s[--len] = '\0';
	if (!*s || *s == ';' || *s == '#')
		return str;
	if (*s == '[') {
		section_line(ld, s);
		return str;
	}
	sep = find_separator(s);
	for (klen = (size_t)(sep - s); klen && is_space(s[klen - 1]); klen--)
		;
	if (*sep != '=' && *sep != ':') {
		conf_error(ld, ld->lineno, NULL, NULL, "expected \"key = value\" or \"[section]\"");
		return str;
	}
	if (!klen) {
		conf_error(ld, ld->lineno, NULL, NULL, "no key before '%c'", *sep);
		return str;
	}
	if (len < (size_t)num) {
		memcpy(str, s, len + 1);
		return str;
	}
	/* inih would cut the line at num - 1 bytes: it gets the key alone, cb_key the value */
	if (klen + 2 > (size_t)num) {
		conf_error(ld, ld->lineno, NULL, NULL, "key longer than %d bytes", num - 2);
		return str;
	}
	ld->long_value = value_after(sep + 1);
	if (!ld->long_value) {
		ld->oom = 1;
		return str;
	}
	memcpy(str, s, klen);
	str[klen] = '=';
	str[klen + 1] = '\0';
	return str;
}

/* url with a relative "file:" path made absolute against dir: such a path is relative to the
 * file that names it. A new string; NULL on ENOMEM. */
static char *file_url_in(const char *dir, const char *url)
{
	char *path, *u = NULL;

	if (strncasecmp(url, "file:", 5) || url[5] == '/' || !url[5])
		return strdup(url);
	path = resolve(dir, url + 5);
	if (path && (u = malloc(strlen(path) + 8)))
		sprintf(u, "file://%s", path);
	free(path);
	return u;
}

static int dup_opt(char **dst, const char *s)
{
	*dst = s ? strdup(s) : NULL;
	return s && !*dst ? -ENOMEM : 0;
}

/* The name an outline's feed is given before it is made unique, in base (emptied first): the slug
 * of its text, else of its title (accents stripped); a label with no Latin letter or digit (a
 * Cyrillic or Chinese title) gives "feed-" and 8 hex digits of a hash of the label, the same on
 * every import; an outline with no label is named after its host. 0 or -ENOMEM. */
static int opml_base_name(const struct opml_outline *o, struct buf *base)
{
	const char *label = o->text ? o->text : o->title;
	char *host;
	int rc;

	buf_reset(base);
	rc = slug(o->text ? o->text : "", base);
	if (rc == 0 && !base->len && o->title)
		rc = slug(o->title, base);
	if (rc == 0 && !base->len && label)
		rc = buf_printf(base, "feed-%08x", (unsigned)XXH32(label, strlen(label), 0));
	if (rc == 0 && !base->len) {
		CURLU *u = curl_url();

		host = NULL;
		if (u && curl_url_set(u, CURLUPART_URL, o->url, 0) == CURLUE_OK)
			curl_url_get(u, CURLUPART_HOST, &host, 0);
		rc = slug(host ? host : "", base);
		curl_free(host);
		curl_url_cleanup(u);
	}
	if (rc == 0 && !base->len)
		rc = buf_puts(base, "feed");
	return rc;
}

/* The feeds of ld->opml[j], named after their text (or title, or host) made unique. */
static void add_opml_feeds(struct load *ld, size_t j)
{
	struct config *c = ld->c;
	const struct opml_ref *r = &ld->opml[j];
	struct opml_list l = {NULL, 0, 0};
	struct buf msg = BUF_INIT, base = BUF_INIT;
	const struct opml_outline *o;
	struct feed_conf *f;
	const char *why, *label;
	char *name, *dir = NULL;
	size_t i, index;
	int line, rc;

	rc = opml_read(r->path, &l, &line, &msg);
	if (rc == -ENOMEM)
		ld->oom = 1;
	else if (rc < 0 && line)
		error_at(ld, (int)j + 1, r->path, line, "%s", buf_cstr(&msg));
	else if (rc < 0 && r->line)
		conf_error(ld, r->line, "feedspool", "opml", "cannot read \"%s\": %s", r->path,
			   buf_cstr(&msg));
	else if (rc < 0)
		error_at(ld, (int)j + 1, r->path, 0, "cannot read: %s", buf_cstr(&msg));
	buf_fini(&msg);
	/* the list's own directory, for its relative file: URLs */
	if (l.n)
		dir_of(r->path, &dir);
	for (i = 0; i < l.n && !ld->oom; i++) {
		o = &l.v[i];
		label = o->text ? o->text : o->title ? o->title : "";
		if (!*o->url) {
			error_at(ld, (int)j + 1, r->path, o->line,
				 "outline \"%.60s\": empty xmlUrl", label);
			continue;
		}
		why = url_problem(o->url, c->allow_file_urls);
		if (why) {
			error_at(ld, (int)j + 1, r->path, o->line,
				 "outline \"%.60s\": xmlUrl \"%.100s\" %s", label, o->url, why);
			continue;
		}
		rc = opml_base_name(o, &base);
		name = rc == 0 ? unique_name(ld, buf_cstr(&base)) : NULL;
		if (!name || new_feed(ld, name, r->path, o->line, &index) < 0) {
			free(name);
			ld->oom = 1;
			break;
		}
		free(name);
		f = &c->feeds[index];
		f->url = file_url_in(dir ? dir : c->dir, o->url);
		if (!f->url || dup_opt(&f->title, o->title ? o->title : o->text) < 0 ||
		    dup_opt(&f->category, o->category) < 0 ||
		    /* the site's page, as `link =` takes it: absolute, or left out */
		    dup_opt(&f->link, o->html_url && url_is_absolute(o->html_url) ? o->html_url
										  : NULL) < 0 ||
		    fill_defaults(&c->defaults, &f->s, 0) < 0)
			ld->oom = 1;
	}
	buf_fini(&base);
	free(dir);
	opml_list_fini(&l);
}

/* What needs the whole file: urls (allow_file_urls may come last), defaults, OPML lists. */
static void finish(struct load *ld)
{
	struct config *c = ld->c;
	char label[NAME_MAX_LEN + 8];
	const char *why;
	size_t i;

	for (i = 0; i < c->n_feeds; i++) {
		struct feed_conf *f = &c->feeds[i];

		snprintf(label, sizeof label, "feed %s", f->name);
		/* "file:relative/path" is relative to the configuration's directory (the demo) */
		if (f->url && c->allow_file_urls) {
			char *u = file_url_in(c->dir, f->url);

			if (u) {
				free(f->url);
				f->url = u;
			} else {
				ld->oom = 1;
			}
		}
		if (!f->url)
			conf_error(ld, f->line, label, NULL, "no url (every feed needs one)");
		else if ((why = url_problem(f->url, c->allow_file_urls)))
			conf_error(ld, ld->fx[i].url_line, label, "url", "\"%.100s\" %s", f->url,
				   why);
		if (fill_defaults(&c->defaults, &f->s, ld->fx[i].set) < 0)
			ld->oom = 1;
	}
	for (i = 0; i < c->n_filters; i++) {
		snprintf(label, sizeof label, "filter %s", c->filters[i].name);
		if (!c->filters[i].plugin)
			conf_error(ld, c->filters[i].line, label, NULL,
				   "no plugin (use plugin = NAME or a path)");
	}
	for (i = 0; i < ld->n_opml && !ld->oom; i++)
		add_opml_feeds(ld, i);
}

/* Hands the errors to err sorted by file and line; the config is freed when there were any. */
static struct config *conclude(struct load *ld, struct buf *err)
{
	struct config *c = ld->c;
	size_t i;

	if (ld->n_errs)
		qsort(ld->errs, ld->n_errs, sizeof *ld->errs, cmp_error);
	for (i = 0; err && i < ld->n_errs; i++) {
		if (err->len)
			buf_putc(err, '\n');
		buf_puts(err, ld->errs[i].msg);
	}
	if (ld->oom && err)
		buf_printf(err, "%s%s: out of memory", err->len ? "\n" : "",
			   c ? c->path : "config");
	if (ld->n_errs || ld->oom) {
		config_free(c);
		c = NULL;
	} else if (c->n_feeds && c->n_feeds < ld->feeds_cap) {
		/* the array doubled while it grew: what it holds stays, not the room */
		struct feed_conf *f = realloc(c->feeds, c->n_feeds * sizeof *f);

		if (f)
			c->feeds = f;
	}
	for (i = 0; i < ld->n_errs; i++)
		free(ld->errs[i].msg);
	free(ld->errs);
	for (i = 0; i < ld->n_opml; i++)
		free(ld->opml[i].path);
	free(ld->opml);
	free(ld->fx);
	strmap_fini(&ld->filter_names);
	free(ld->label);
	free(ld->long_value);
	free(ld->line);
	return c;
}

struct config *config_load(const char *path, struct buf *err)
{
	struct load ld;
	int rc;

	memset(&ld, 0, sizeof ld);
	ld.c = config_new(path);
	if (!ld.c) {
		if (err)
			buf_printf(err, "%s: out of memory", path);
		return NULL;
	}
	ld.f = fopen(path, "re");
	if (!ld.f) {
		error_at(&ld, 0, path, 0, "cannot read: %s", strerror(errno));
		return conclude(&ld, err);
	}
	rc = dir_of(path, &ld.c->dir);
	if (rc < 0) {
		error_at(&ld, 0, path, 0, "cannot find its directory: %s", strerror(-rc));
		fclose(ld.f);
		return conclude(&ld, err);
	}
	rc = ini_parse_stream(cb_read, &ld, cb_key, &ld);
	if (ferror(ld.f))
		error_at(&ld, 0, path, 0, "cannot read: %s", strerror(errno));
	else if (rc == -2)
		ld.oom = 1;
	else if (rc > 0 && !ld.n_errs)
		error_at(&ld, 0, path, rc, "syntax error");
	fclose(ld.f);
	/* after a failed allocation a feed may lack its name: report that alone */
	if (!ld.oom)
		finish(&ld);
	return conclude(&ld, err);
}

struct config *config_from_opml(const char *opml_path, struct buf *err)
{
	struct opml_ref ref;
	struct load ld;
	int rc;

	memset(&ld, 0, sizeof ld);
	ld.c = config_new(opml_path);
	if (!ld.c) {
		if (err)
			buf_printf(err, "%s: out of memory", opml_path);
		return NULL;
	}
	ld.c->allow_file_urls = 1;
	rc = dir_of(opml_path, &ld.c->dir);
	if (rc < 0) {
		error_at(&ld, 1, opml_path, 0, "cannot read: %s", strerror(-rc));
		return conclude(&ld, err);
	}
	ref.path = strdup(opml_path);
	ref.line = 0;
	if (!ref.path) {
		ld.oom = 1;
		return conclude(&ld, err);
	}
	ld.opml = &ref;
	ld.n_opml = 1;
	add_opml_feeds(&ld, 0);
	ld.opml = NULL;
	ld.n_opml = 0;
	free(ref.path);
	return conclude(&ld, err);
}

/* OPML */

int opml_export(const struct config *c, FILE *out)
{
	struct opml_outline *v;
	size_t i;
	int rc;

	v = calloc(c->n_feeds ? c->n_feeds : 1, sizeof *v);
	if (!v)
		return -ENOMEM;
	for (i = 0; i < c->n_feeds; i++) {
		/* text is OPML's required label and what feeds are named after on reading: the
		 * name goes there so that importing this file gives the same names back */
		v[i].text = c->feeds[i].name;
		v[i].title = c->feeds[i].title ? c->feeds[i].title : c->feeds[i].name;
		v[i].url = c->feeds[i].url;
		v[i].html_url = c->feeds[i].link;
		v[i].category = c->feeds[i].category;
		v[i].line = c->feeds[i].line;
	}
	rc = opml_write(v, c->n_feeds, out);
	free(v);
	return rc;
}

/* "key = value" for a [feed] section: a value from an OPML attribute on one line, and without
 * what inih would take for an inline comment (blanks before a ';'). */
static int put_ini(struct buf *b, const char *key, const char *v)
{
	struct buf clean = BUF_INIT;
	size_t blanks = 0;
	int rc = 0;

	for (; v && *v && rc == 0; v++) {
		if ((unsigned char)*v < 0x20 || *v == ' ') {
			blanks++;
			continue;
		}
		if (blanks && *v != ';' && clean.len)
			rc = buf_putc(&clean, ' ');
		blanks = 0;
		if (rc == 0)
			rc = buf_putc(&clean, *v);
	}
	/* nothing left: no line (an empty value is refused); a leading ';' right after '=' (inih
	 * takes " ;" for a comment) */
	if (rc == 0 && clean.len)
		rc = buf_printf(b, "%s =%s%s\n", key, clean.data[0] == ';' ? "" : " ", clean.data);
	buf_fini(&clean);
	return rc;
}

/* The [feed] section of f, or a warning when an earlier feed (in urls) has its URL. */
static int import_feed(const struct config *c, size_t i, struct strmap *urls, struct buf *b,
		       struct buf *warn)
{
	const struct feed_conf *f = &c->feeds[i], *first;
	size_t at;
	int rc;

	rc = strmap_add(urls, f->url, i, &at);
	if (rc < 0)
		return rc;
	if (rc == 1) {
		first = &c->feeds[at];
		return buf_printf(warn,
				  "%s:%d: warning: outline \"%.60s\" (feed %s): the same xmlUrl as "
				  "feed %s (line %d); left out\n",
				  f->file, f->line, f->title ? f->title : f->name, f->name,
				  first->name, first->line);
	}
	rc = buf_printf(b, "[feed %s]\n", f->name);
	if (rc == 0)
		rc = put_ini(b, "url", f->url);
	if (rc == 0)
		rc = put_ini(b, "title", f->title);
	if (rc == 0)
		rc = put_ini(b, "category", f->category);
	if (rc == 0)
		rc = put_ini(b, "link", f->link);
	return rc == 0 ? buf_putc(b, '\n') : rc;
}

int opml_import(const char *opml_path, FILE *out, struct buf *warn, struct buf *err)
{
	struct config *c;
	struct strmap urls = STRMAP_INIT;
	struct buf b = BUF_INIT;
	size_t i;
	int rc = 0;

	c = config_from_opml(opml_path, err);
	if (!c)
		return -EINVAL;
	for (i = 0; i < c->n_feeds && rc == 0; i++)
		rc = import_feed(c, i, &urls, &b, warn);
	if (rc == 0 && fwrite(buf_cstr(&b), 1, b.len, out) != b.len)
		rc = -EIO;
	if (rc == -ENOMEM)
		buf_puts(err, "out of memory");
	else if (rc < 0)
		buf_printf(err, "cannot write: %s", strerror(-rc));
	strmap_fini(&urls);
	buf_fini(&b);
	config_free(c);
	return rc < 0 ? rc : ferror(out) ? -EIO : 0;
}

/* Warnings */

size_t config_warnings(const struct config *c, struct buf *out)
{
	struct strmap urls = STRMAP_INIT;
	const struct feed_conf *f, *first;
	size_t i, at, n = 0;
	int rc;

	for (i = 0; i < c->n_feeds; i++) {
		f = &c->feeds[i];
		rc = strmap_add(&urls, f->url, i, &at);
		if (rc < 0) {
			buf_printf(out, "%s: out of memory looking for repeated URLs\n", c->path);
			n++;
			break;
		}
		if (rc == 0)
			continue;
		first = &c->feeds[at];
		buf_printf(out,
			   "%s:%d: warning: [feed %s] url: the same URL as [feed %s] (%s:%d); "
			   "both are fetched\n",
			   f->file, f->line, f->name, first->name, first->file, first->line);
		n++;
	}
	strmap_fini(&urls);
	return n;
}

/* Printing */

static void put_value(struct buf *b, const struct key *k, const void *base)
{
	const void *p = (const char *)base + k->off;
	char tmp[32];

	switch (k->type) {
	case K_SINK:
		buf_puts(b, *(const int *)p == SINK_NATS	 ? "nats"
			    : *(const int *)p == SINK_SPOOL ? "spool"
							     : "spool nats");
		return;
	case K_PATH:
	case K_STRING:
	case K_SECRET:
	case K_TOKEN:
		if (*(char *const *)p && k->feed &&
		    k->off == offsetof(struct feed_settings, proxy)) {
			char *bare = url_strip_userinfo(*(char *const *)p);

			buf_puts(b, bare ? bare : "");
			free(bare);
		} else if (*(char *const *)p && !k->feed && k->off == offsetof(struct config, state) &&
			   store_pg_is_uri(*(char *const *)p)) {
			/* a database URI's password is not shown */
			char *shown = pg_admin_uri_shown(*(char *const *)p);

			buf_puts(b, shown ? shown : "postgresql://...");
			free(shown);
		} else if (*(char *const *)p) {
			buf_puts(b, *(char *const *)p);
		}
		return;
	case K_FORMAT:
		buf_puts(b, *(const enum spool_format *)p == SPOOL_JSON ? "json" : "json+text");
		return;
	case K_BOOL:
		buf_puts(b, *(const int *)p ? "yes" : "no");
		return;
	case K_OCTAL:
		fmt_number(tmp, sizeof tmp, k->type, *(const mode_t *)p);
		break;
	case K_SIZE:
		fmt_number(tmp, sizeof tmp, k->type, *(const size_t *)p);
		break;
	case K_COUNT:
	case K_DURATION:
	case K_RATE:
		fmt_number(tmp, sizeof tmp, k->type, (unsigned long long)*(const int *)p);
		break;
	case K_HEADER:
	case K_OPML:
		return;
	}
	buf_puts(b, tmp);
}

static int same_value(const struct key *k, const void *a, const void *b)
{
	const void *pa = (const char *)a + k->off, *pb = (const char *)b + k->off;

	if (k->type == K_STRING || k->type == K_PATH || k->type == K_SECRET) {
		const char *sa = *(char *const *)pa, *sb = *(char *const *)pb;

		return sa == sb || (sa && sb && !strcmp(sa, sb));
	}
	if (k->type == K_SIZE)
		return *(const size_t *)pa == *(const size_t *)pb;
	return *(const int *)pa == *(const int *)pb;
}

/* Credentials stay out of `feedspool check` output, which ends up in logs and bug reports. */
static void put_header(struct buf *b, const char *h)
{
	static const char *const secret[] = {"Authorization", "Proxy-Authorization", "Cookie"};
	size_t i;

	for (i = 0; i < sizeof secret / sizeof secret[0]; i++)
		if (same_header_name(h, secret[i])) {
			buf_printf(b, "%.*s: (hidden)", (int)strcspn(h, ":"), h);
			return;
		}
	buf_puts(b, h);
}

/* " key=value", the value quoted when it holds blanks or quotes. */
static void put_word(struct buf *b, const char *key, const char *v)
{
	const char *p;

	buf_printf(b, " %s=", key);
	if (*v && !v[strcspn(v, " \t\"\\")]) {
		buf_puts(b, v);
		return;
	}
	buf_putc(b, '"');
	for (p = v; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_putc(b, '\\');
		buf_putc(b, *p);
	}
	buf_putc(b, '"');
}

static int has_header(const struct feed_settings *s, const char *h)
{
	size_t i;

	for (i = 0; i < s->n_headers; i++)
		if (!strcmp(s->headers[i], h))
			return 1;
	return 0;
}

/* sink and the nats_ keys are shown only when the NATS sink is on, lease_time only with a
 * PostgreSQL state. */
static int shown(const struct config *c, const struct key *k)
{
	if (!strcmp(k->name, "lease_time"))
		return !strncmp(c->state, "postgres", 8);
	return (c->sink & SINK_NATS) || (strcmp(k->name, "sink") && strncmp(k->name, "nats_", 5));
}

void config_print(const struct config *c, FILE *out)
{
	struct buf b = BUF_INIT, v = BUF_INIT;
	const struct key *k;
	size_t i, j;

	buf_printf(&b, "# %s\n[feedspool]\n", c->path);
	for (i = 0; i < N_KEYS; i++) {
		k = &keys[i];
		if (k->type == K_HEADER) {
			for (j = 0; j < c->defaults.n_headers; j++) {
				buf_puts(&b, "header = ");
				put_header(&b, c->defaults.headers[j]);
				buf_putc(&b, '\n');
			}
		} else if (k->type != K_OPML && shown(c, k) &&
			   !((k->type == K_STRING || k->type == K_PATH || k->type == K_SECRET ||
			      k->type == K_TOKEN) &&
			     !*(char *const *)((const char *)(k->feed ? (const void *)&c->defaults
								       : (const void *)c) +
					       k->off))) {
			buf_printf(&b, "%s = ", k->name);
			put_value(&b, k, k->feed ? (const void *)&c->defaults : (const void *)c);
			buf_putc(&b, '\n');
		}
	}
	buf_printf(&b, "\n# feeds: %zu (name, url, interval and what differs from [feedspool])\n",
		   c->n_feeds);
	for (i = 0; i < c->n_feeds; i++) {
		const struct feed_conf *f = &c->feeds[i];

		char *bare = url_strip_userinfo(f->url);

		buf_printf(&b, "feed %s %s", f->name, bare ? bare : "");
		free(bare);
		if (f->category)
			put_word(&b, "category", f->category);
		for (j = 0; j < N_KEYS; j++) {
			k = &keys[j];
			if (!k->feed || k->type == K_HEADER ||
			    (strcmp(k->name, "interval") && same_value(k, &f->s, &c->defaults)))
				continue;
			buf_reset(&v);
			put_value(&v, k, &f->s);
			put_word(&b, k->name, buf_cstr(&v));
		}
		for (j = 0; j < f->s.n_headers; j++) {
			if (has_header(&c->defaults, f->s.headers[j]))
				continue;
			buf_reset(&v);
			put_header(&v, f->s.headers[j]);
			put_word(&b, "header", buf_cstr(&v));
		}
		buf_putc(&b, '\n');
		/* out a piece at a time: the list of 300,000 feeds need not be in memory twice */
		if (b.len >= 1 << 16) {
			fputs(buf_cstr(&b), out);
			buf_reset(&b);
		}
	}
	buf_printf(&b, "\n# filters: %zu (name, plugin, on_error and the plugin's options)\n",
		   c->n_filters);
	for (i = 0; i < c->n_filters; i++) {
		const struct filter_conf *fl = &c->filters[i];

		buf_printf(&b, "filter %s", fl->name);
		put_word(&b, "plugin", fl->plugin);
		put_word(&b, "on_error", fl->on_error == ON_ERROR_DROP ? "drop" : "keep");
		if (fl->answer_timeout_ms) {
			char t[32];

			snprintf(t, sizeof t, "%llus",
				 (unsigned long long)(fl->answer_timeout_ms / 1000));
			put_word(&b, "answer_timeout", t);
		}
		for (j = 0; j < fl->n_feeds; j++)
			put_word(&b, "feeds", fl->feeds[j]);
		for (j = 0; j < fl->n_categories; j++)
			put_word(&b, "categories", fl->categories[j]);
		for (j = 0; j < fl->n_options; j++)
			put_word(&b, fl->options[j].key, fl->options[j].value);
		buf_putc(&b, '\n');
	}
	fputs(buf_cstr(&b), out);
	buf_fini(&b);
	buf_fini(&v);
}
