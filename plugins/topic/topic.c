/* SPDX-License-Identifier: MIT */
/* The topic filter: scores each article against the topics of a rules file (weighted phrases
 * and PCRE2 patterns over case-folded NFKC text, required terms, vetoes; feedspool-topic(5))
 * and keeps the articles that match a topic, or annotates every article. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <utf8proc.h>

#include <feedspool/plugin.h>

#include "about.h"

#define RULES_MAX_BYTES (1u << 20) /* one rules file */
#define RULES_MAX_ERRORS 10	   /* reported before giving up on a file */
#define NAME_MAX_BYTES 64	   /* a topic's name */
#define TEXT_MAX_BYTES (1u << 20)  /* of one field; the rest is not looked at */
#define MATCH_LIMIT 200000	   /* PCRE2 match() calls per pattern and field */
#define DEPTH_LIMIT 10000	   /* PCRE2 backtracking depth */
#define REASON_TERMS 6		   /* contributions listed per topic in an explanation */
#define MATCHED_MAX 32		   /* matched phrases reported per topic */
#define WEIGHT_MAX 1e6

/* The fold every text and every phrase goes through: NFKC, case folding, accents, default
 * ignorables (soft hyphens, zero-width spaces) and look-alike punctuation (dashes, quotes). */
#define FOLD_OPTIONS                                                                               \
	(UTF8PROC_COMPAT | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK |             \
	 UTF8PROC_IGNORE | UTF8PROC_LUMP)

enum field { F_TITLE, F_STANDFIRST, F_BODY, N_FIELDS };
static const char *const field_names[N_FIELDS] = {"title", "standfirst", "body"};
static const double field_default[N_FIELDS] = {3, 2, 1};

/* A growable string. */
struct str {
	char *s;
	size_t len, cap;
};

/* One way of writing a phrase: its folded words, and those words run together. */
struct alias {
	char **tok;
	size_t n;
	char *joined; /* NULL for a one-word alias */
	char *norm;   /* the words joined by spaces: compared with require/veto terms */
};

/* Something to look for: a weighted phrase (with aliases), a pattern, or a literal of a
 * require/veto line (weight 0, never reported). */
struct term {
	char *name;
	double weight;
	int hidden;
	int line;
	struct alias *alias;
	size_t n_alias;
	pcre2_code *re;
	char *name_norm; /* a pattern's folded name */
	unsigned count[N_FIELDS];
	size_t last[N_FIELDS]; /* 1 + the token where it last matched, against double counts */
	unsigned char role;    /* ROLE_SUBJECT, ROLE_OTHER: named by a subject or other line */
};

#define ROLE_SUBJECT 1
#define ROLE_OTHER 2

/* Terms any one of which is enough; written as text until the topic ends. */
struct group {
	char **text;
	size_t *idx;
	size_t n;
	int line;
};

struct veto {
	struct group any, unless;
};

struct topic {
	char *name;
	int line;
	const char *file; /* the rules file's name (in explanations, without its directory) */
	double threshold;
	unsigned cap;
	double fw[N_FIELDS];
	struct term *terms;
	size_t n_terms;
	struct group *require;
	size_t n_require;
	struct veto *vetoes;
	size_t n_vetoes;
	struct group subject, other; /* aboutness: on when subject names a term */
	struct about_rules about;
	/* per article: what aboutness counts, and per body paragraph ROLE_* bits */
	struct about_counts ac;
	unsigned char *marks;
	size_t marks_cap;
};

/* A word that starts an alias, or is one run together: where to look next. */
struct entry {
	const char *key;
	size_t keylen;
	size_t topic, term, alias;
	int joined;
	size_t next; /* 1 + the next entry of the bucket, 0 at the end */
};

struct tok {
	const char *p;
	size_t len;
	unsigned para; /* the line (block) of the field it is in */
};

struct state {
	const struct feedspool_host *host;
	int annotate; /* mode = annotate */
	char **files;
	size_t n_files;
	struct topic *topics;
	size_t n_topics;
	struct entry *entries;
	size_t n_entries;
	size_t *buckets; /* 1 + the first entry, 0 when empty */
	size_t n_buckets;
	pcre2_match_context *mctx;
	pcre2_match_data *md;
	/* per article */
	struct tok *toks;
	size_t n_toks, cap_toks;
	struct str reason;
};

/* The rules file being read. */
struct reader {
	struct state *st;
	const char *file;
	int line;
	int errors;
	struct topic *t; /* the topic being defined */
};

/* ---- small helpers ------------------------------------------------------------------------- */

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
	size_t c;
	void *p;

	if (n < *cap)
		return 0;
	c = *cap ? *cap * 2 : 8;
	if (!(p = realloc(*v, c * size)))
		return -ENOMEM;
	*v = p;
	*cap = c;
	return 0;
}

/* Appends to a dynamic array of elements of size `size` whose length is *n; returns the new
 * element (zeroed) or NULL. Capacity doubles at powers of two. */
static void *push(void *vp, size_t *n, size_t size)
{
	void **v = vp;
	size_t cap = *n;
	char *p;

	if (*n == 0 || (*n & (*n - 1)) == 0) {
		cap = *n ? *n * 2 : 1;
		if (!(p = realloc(*v, cap * size)))
			return NULL;
		*v = p;
	}
	p = (char *)*v + *n * size;
	memset(p, 0, size);
	(*n)++;
	return p;
}

__attribute__((format(printf, 2, 3))) static int str_printf(struct str *s, const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if (s->len + (size_t)n + 1 > s->cap) {
		size_t cap = (s->len + (size_t)n + 1) * 2;

		if (!(p = realloc(s->s, cap)))
			return -ENOMEM;
		s->s = p;
		s->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(s->s + s->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	s->len += (size_t)n;
	return 0;
}

static void str_reset(struct str *s)
{
	s->len = 0;
	if (s->s)
		s->s[0] = '\0';
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

/* ---- folding and words ------------------------------------------------------------------- */

/* The folded text of s[0..n) by utf8proc, NUL-terminated (free() it), its length in *out_len;
 * NULL on ENOMEM. Invalid UTF-8 is replaced first, so the result is always valid. */
static char *fold_utf8proc(const char *s, size_t n, size_t *out_len)
{
	utf8proc_uint8_t *out = NULL;
	utf8proc_ssize_t r;
	char *clean = NULL;

	r = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &out, FOLD_OPTIONS);
	if (r == UTF8PROC_ERROR_INVALIDUTF8) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t k;
		size_t i = 0, j = 0;

		if (!(clean = malloc(n + 1)))
			return NULL;
		while (i < n) {
			k = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i),
					     &cp);
			if (k <= 0) {
				clean[j++] = '?';
				i++;
			} else {
				memcpy(clean + j, s + i, (size_t)k);
				i += (size_t)k;
				j += (size_t)k;
			}
		}
		r = utf8proc_map((const utf8proc_uint8_t *)clean, (utf8proc_ssize_t)j, &out,
				 FOLD_OPTIONS);
		free(clean);
	}
	if (r < 0)
		return NULL;
	*out_len = (size_t)r;
	return (char *)out;
}

/* The folded text of s[0..n) (see FOLD_OPTIONS), NUL-terminated (free() it), its length in
 * *out_len; NULL on ENOMEM. ASCII runs are folded here (lower case is all the fold does to
 * them); the rest goes through utf8proc, each run with the ASCII character before it, which a
 * combining mark may belong to. */
static char *fold(const char *s, size_t n, size_t *out_len)
{
	struct str out = {0};
	size_t i = 0, j;

	if (n > TEXT_MAX_BYTES) {
		n = TEXT_MAX_BYTES;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	if (!(out.s = malloc(n + 1)))
		return NULL;
	out.cap = n + 1;
	while (i < n) {
		for (j = i; j < n && (unsigned char)s[j] < 0x80; j++)
			;
		if (j < n && j > i)
			j--; /* leave the last ASCII character to the non-ASCII run */
		if (j > i) {
			if (out.len + (j - i) + 1 > out.cap) {
				char *p = realloc(out.s, out.len + (j - i) + 1);

				if (!p)
					goto enomem;
				out.s = p;
				out.cap = out.len + (j - i) + 1;
			}
			for (; i < j; i++)
				out.s[out.len++] = (char)((s[i] >= 'A' && s[i] <= 'Z') ? s[i] + 32 : s[i]);
			continue;
		}
		/* one ASCII character at most, then the non-ASCII run */
		j = i + ((unsigned char)s[i] < 0x80);
		while (j < n && (unsigned char)s[j] >= 0x80)
			j++;
		{
			size_t len;
			char *f = fold_utf8proc(s + i, j - i, &len), *p;

			if (!f)
				goto enomem;
			if (out.len + len + 1 > out.cap) {
				if (!(p = realloc(out.s, (out.len + len + 1) * 2))) {
					free(f);
					goto enomem;
				}
				out.s = p;
				out.cap = (out.len + len + 1) * 2;
			}
			memcpy(out.s + out.len, f, len);
			out.len += len;
			free(f);
		}
		i = j;
	}
	out.s[out.len] = '\0';
	*out_len = out.len;
	return out.s;
enomem:
	free(out.s);
	return NULL;
}

static int is_word_cp(utf8proc_int32_t cp)
{
	switch (utf8proc_category(cp)) {
	case UTF8PROC_CATEGORY_LU:
	case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_LO:
	case UTF8PROC_CATEGORY_MN:
	case UTF8PROC_CATEGORY_MC:
	case UTF8PROC_CATEGORY_ME:
	case UTF8PROC_CATEGORY_ND:
	case UTF8PROC_CATEGORY_NL:
	case UTF8PROC_CATEGORY_NO:
		return 1;
	default:
		return 0;
	}
}

/* Splits folded text into words (runs of letters, marks and digits) into st->toks. */
static int words(struct state *st, const char *s, size_t n)
{
	size_t i = 0, start = 0;
	unsigned para = 0;
	int in = 0;

	st->n_toks = 0;
	while (i <= n) {
		utf8proc_int32_t cp = 0;
		utf8proc_ssize_t k = 1;
		int w = 0;

		if (i < n) {
			unsigned char c = (unsigned char)s[i];

			if (c < 0x80) {
				w = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
				    (c >= 'A' && c <= 'Z');
			} else {
				k = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
						     (utf8proc_ssize_t)(n - i), &cp);
				if (k <= 0)
					k = 1;
				else
					w = is_word_cp(cp);
			}
		}
		if (w && !in) {
			start = i;
			in = 1;
		} else if (!w && in) {
			if (grow((void **)&st->toks, &st->cap_toks, st->n_toks, sizeof *st->toks) <
			    0)
				return -ENOMEM;
			st->toks[st->n_toks].p = s + start;
			st->toks[st->n_toks].len = i - start;
			st->toks[st->n_toks].para = para;
			st->n_toks++;
			in = 0;
		}
		if (i < n && s[i] == '\n')
			para++;
		i += (size_t)k;
	}
	return 0;
}

/* Folds a phrase of the rules into an alias; 0, -EINVAL (no word in it) or -ENOMEM. */
static int alias_make(struct state *st, const char *text, struct alias *a)
{
	struct str j = {0}, norm = {0};
	size_t len, i;
	char *f = fold(text, strlen(text), &len);
	int rc = -ENOMEM;

	if (!f)
		return -ENOMEM;
	if (words(st, f, len) < 0)
		goto out;
	if (!st->n_toks) {
		rc = -EINVAL;
		goto out;
	}
	if (!(a->tok = calloc(st->n_toks, sizeof *a->tok)))
		goto out;
	a->n = st->n_toks;
	for (i = 0; i < a->n; i++) {
		if (!(a->tok[i] = strndup(st->toks[i].p, st->toks[i].len)))
			goto out;
		if (str_printf(&j, "%s", a->tok[i]) < 0 ||
		    str_printf(&norm, "%s%s", i ? " " : "", a->tok[i]) < 0)
			goto out;
	}
	a->norm = norm.s;
	norm.s = NULL;
	if (a->n > 1) {
		a->joined = j.s;
		j.s = NULL;
	}
	rc = 0;
out:
	free(j.s);
	free(norm.s);
	free(f);
	return rc;
}

static void alias_fini(struct alias *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->tok[i]);
	free(a->tok);
	free(a->joined);
	free(a->norm);
}

/* ---- reading the rules --------------------------------------------------------------------- */

__attribute__((format(printf, 2, 3))) static void rerr(struct reader *r, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	r->errors++;
	if (r->errors > RULES_MAX_ERRORS)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (r->line)
		r->st->host->log(r->st->host, FEEDSPOOL_LOG_ERR, "%s:%d: %s", r->file, r->line,
				 msg);
	else
		r->st->host->log(r->st->host, FEEDSPOOL_LOG_ERR, "%s: %s", r->file, msg);
}

/* A weight or threshold: a finite number within bounds. */
static int number(struct reader *r, const char *s, const char *what, double *out)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(d) || fabs(d) > WEIGHT_MAX) {
		rerr(r, "%s: '%s' is not a number (at most %g in size)", what, s, WEIGHT_MAX);
		return -1;
	}
	*out = d;
	return 0;
}

/* Splits the next word off *s (space-separated); NULL when none is left. */
static char *next_word(char **s)
{
	char *w = *s, *e;

	while (*w == ' ' || *w == '\t')
		w++;
	if (!*w)
		return NULL;
	e = w;
	while (*e && *e != ' ' && *e != '\t')
		e++;
	if (*e)
		*e++ = '\0';
	*s = e;
	return w;
}

static struct term *term_new(struct reader *r)
{
	struct term *t = push(&r->t->terms, &r->t->n_terms, sizeof *r->t->terms);

	if (!t)
		rerr(r, "out of memory");
	else
		t->line = r->line;
	return t;
}

/* Adds aliases separated by '|' to t; 0 or -1. */
static int add_aliases(struct reader *r, struct term *t, char *list)
{
	char *p = list, *bar;
	int rc;

	do {
		struct alias *a;
		char *text;

		bar = strchr(p, '|');
		if (bar)
			*bar = '\0';
		text = trim(p);
		if (bar)
			p = bar + 1;
		if (!*text) {
			rerr(r, "empty phrase between '|'");
			return -1;
		}
		if (!(a = push(&t->alias, &t->n_alias, sizeof *t->alias))) {
			rerr(r, "out of memory");
			return -1;
		}
		if ((rc = alias_make(r->st, text, a)) < 0) {
			rerr(r,
			     rc == -EINVAL ? "phrase '%s' has no letter or digit" : "out of memory",
			     text);
			t->n_alias--;
			return -1;
		}
		if (!t->name && !(t->name = strdup(text))) {
			rerr(r, "out of memory");
			return -1;
		}
	} while (bar);
	return 0;
}

/* phrase WEIGHT TEXT [| TEXT]... */
static void kw_phrase(struct reader *r, char *rest)
{
	char *w = next_word(&rest);
	struct term *t;
	double weight;

	if (!w || !*trim(rest)) {
		rerr(r, "phrase: expected 'phrase WEIGHT TEXT [| TEXT]...'");
		return;
	}
	if (number(r, w, "phrase weight", &weight) < 0 || !(t = term_new(r)))
		return;
	t->weight = weight;
	add_aliases(r, t, rest);
}

/* pattern WEIGHT NAME = REGEX */
static void kw_pattern(struct reader *r, char *rest)
{
	char *w = next_word(&rest), *eq = strchr(rest, '='), *name, *re;
	struct term *t;
	double weight;
	int code;
	PCRE2_SIZE off;

	if (!w || !eq) {
		rerr(r, "pattern: expected 'pattern WEIGHT NAME = REGEX'");
		return;
	}
	*eq = '\0';
	name = trim(rest);
	re = trim(eq + 1);
	if (!*name || !*re) {
		rerr(r, "pattern: expected 'pattern WEIGHT NAME = REGEX'");
		return;
	}
	if (number(r, w, "pattern weight", &weight) < 0 || !(t = term_new(r)))
		return;
	t->weight = weight;
	if (!(t->name = strdup(name))) {
		rerr(r, "out of memory");
		return;
	}
	{
		struct alias a = {0};

		/* require and veto name a pattern by its name, folded like a phrase */
		if (alias_make(r->st, name, &a) == 0) {
			t->name_norm = a.norm;
			a.norm = NULL;
		}
		alias_fini(&a);
	}
	t->re = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED,
			      PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS, &code, &off, NULL);
	if (!t->re) {
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(code, msg, sizeof msg);
		rerr(r, "pattern '%s': %s at offset %zu of '%s'", name, (const char *)msg,
		     (size_t)off, re);
		return;
	}
	pcre2_jit_compile(t->re, PCRE2_JIT_COMPLETE); /* an optimisation: failure is fine */
}

/* Reads "TERM [| TERM]..." into a group (resolved when the topic ends). */
static int group_read(struct reader *r, struct group *g, char *list)
{
	char *p = list, *bar;

	g->line = r->line;
	do {
		char *text, **slot;

		bar = strchr(p, '|');
		if (bar)
			*bar = '\0';
		text = trim(p);
		if (bar)
			p = bar + 1;
		if (!*text) {
			rerr(r, "empty term between '|'");
			return -1;
		}
		if (!(slot = push(&g->text, &g->n, sizeof *g->text)) || !(*slot = strdup(text))) {
			rerr(r, "out of memory");
			return -1;
		}
	} while (bar);
	return 0;
}

static void kw_require(struct reader *r, char *rest)
{
	struct group *g;

	if (!*trim(rest)) {
		rerr(r, "require: expected 'require TERM [| TERM]...'");
		return;
	}
	if (!(g = push(&r->t->require, &r->t->n_require, sizeof *r->t->require))) {
		rerr(r, "out of memory");
		return;
	}
	group_read(r, g, rest);
}

/* subject/other TERM [| TERM]...: several lines add up. */
static void kw_subject(struct reader *r, char *rest)
{
	if (!*trim(rest)) {
		rerr(r, "subject: expected 'subject TERM [| TERM]...'");
		return;
	}
	group_read(r, &r->t->subject, rest);
}

static void kw_other(struct reader *r, char *rest)
{
	if (!*trim(rest)) {
		rerr(r, "other: expected 'other TERM [| TERM]...'");
		return;
	}
	group_read(r, &r->t->other, rest);
}

static void kw_about(struct reader *r, char *rest)
{
	char *name = next_word(&rest), *w = next_word(&rest), err[160];
	double d;

	if (!name || !w || next_word(&rest)) {
		rerr(r, "about: expected 'about title|lead|share|density|others|threshold|"
			"lead-paragraphs NUMBER'");
		return;
	}
	if (number(r, w, "about", &d) == 0 && about_set(&r->t->about, name, d, err, sizeof err))
		rerr(r, "%s", err);
}

/* The position of the word "unless" in s, or NULL. */
static char *find_unless(char *s)
{
	char *p = s;

	while ((p = strstr(p, "unless"))) {
		if ((p == s || p[-1] == ' ' || p[-1] == '\t') &&
		    (p[6] == ' ' || p[6] == '\t' || p[6] == '\0'))
			return p;
		p += 6;
	}
	return NULL;
}

static void kw_veto(struct reader *r, char *rest)
{
	char *unless = find_unless(rest);
	struct veto *v;

	if (unless)
		*unless = '\0';
	if (!*trim(rest) || (unless && !*trim(unless + 6))) {
		rerr(r, "veto: expected 'veto TERM [| TERM]... [unless TERM [| TERM]...]'");
		return;
	}
	if (!(v = push(&r->t->vetoes, &r->t->n_vetoes, sizeof *r->t->vetoes))) {
		rerr(r, "out of memory");
		return;
	}
	if (group_read(r, &v->any, rest) == 0 && unless)
		group_read(r, &v->unless, unless + 6);
}

/* The term a require/veto text stands for: a phrase one of whose aliases folds the same, or a
 * pattern of that name; else a new hidden literal. SIZE_MAX on error. */
static size_t resolve(struct reader *r, struct topic *t, const char *text, int line)
{
	struct alias a = {0};
	struct term *n;
	size_t i, j;
	int rc;

	r->line = line;
	if ((rc = alias_make(r->st, text, &a)) < 0) {
		rerr(r, rc == -EINVAL ? "term '%s' has no letter or digit" : "out of memory", text);
		alias_fini(&a);
		return SIZE_MAX;
	}
	for (i = 0; i < t->n_terms; i++) {
		if (t->terms[i].name_norm && !strcmp(t->terms[i].name_norm, a.norm))
			goto found;
		for (j = 0; j < t->terms[i].n_alias; j++)
			if (!strcmp(t->terms[i].alias[j].norm, a.norm))
				goto found;
	}
	if (!(n = term_new(r)) || !(n->name = strdup(text)) ||
	    !(n->alias = calloc(1, sizeof *n->alias))) {
		rerr(r, "out of memory");
		alias_fini(&a);
		return SIZE_MAX;
	}
	n->hidden = 1;
	n->alias[0] = a;
	n->n_alias = 1;
	return t->n_terms - 1;
found:
	alias_fini(&a);
	return i;
}

static void group_resolve(struct reader *r, struct topic *t, struct group *g)
{
	size_t i;

	if (!g->n)
		return;
	if (!(g->idx = calloc(g->n, sizeof *g->idx))) {
		rerr(r, "out of memory");
		return;
	}
	for (i = 0; i < g->n; i++)
		g->idx[i] = resolve(r, t, g->text[i], g->line);
}

/* Ends the topic being defined: resolves its terms and checks it can match. */
static void topic_end(struct reader *r)
{
	struct topic *t = r->t;
	size_t i;
	int positive = 0, line = r->line;

	if (!t)
		return;
	for (i = 0; i < t->n_require; i++)
		group_resolve(r, t, &t->require[i]);
	group_resolve(r, t, &t->subject);
	group_resolve(r, t, &t->other);
	for (i = 0; t->subject.idx && i < t->subject.n; i++)
		if (t->subject.idx[i] != SIZE_MAX)
			t->terms[t->subject.idx[i]].role |= ROLE_SUBJECT;
	for (i = 0; t->other.idx && i < t->other.n; i++)
		if (t->other.idx[i] != SIZE_MAX)
			t->terms[t->other.idx[i]].role |= ROLE_OTHER;
	if (t->other.n && !t->subject.n) {
		r->line = t->other.line;
		rerr(r, "other: topic '%s' has no subject line", t->name);
	}
	for (i = 0; i < t->n_vetoes; i++) {
		group_resolve(r, t, &t->vetoes[i].any);
		group_resolve(r, t, &t->vetoes[i].unless);
	}
	for (i = 0; i < t->n_terms; i++)
		if (t->terms[i].weight > 0 && !t->terms[i].hidden)
			positive = 1;
	r->line = t->line;
	if (!positive)
		rerr(r, "topic '%s' has no phrase or pattern of positive weight", t->name);
	r->line = line;
	r->t = NULL;
}

static int valid_name(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > NAME_MAX_BYTES)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
			return 0;
	return 1;
}

static void kw_topic(struct reader *r, char *rest)
{
	struct state *st = r->st;
	char *name = trim(rest);
	struct topic *t;
	size_t i;

	topic_end(r);
	if (!valid_name(name)) {
		rerr(r,
		     "topic: '%s' is not a topic name (letters, digits, '-', '_', '.', at most "
		     "%d bytes)",
		     name, NAME_MAX_BYTES);
		return;
	}
	for (i = 0; i < st->n_topics; i++)
		if (!strcmp(st->topics[i].name, name)) {
			rerr(r, "topic '%s' is already defined (%s:%d)", name, st->topics[i].file,
			     st->topics[i].line);
			return;
		}
	if (!(t = push(&st->topics, &st->n_topics, sizeof *st->topics)) ||
	    !(t->name = strdup(name))) {
		rerr(r, "out of memory");
		return;
	}
	t->line = r->line;
	t->file = strrchr(r->file, '/') ? strrchr(r->file, '/') + 1 : r->file;
	t->threshold = 1;
	t->cap = 3;
	about_rules_init(&t->about);
	for (i = 0; i < N_FIELDS; i++)
		t->fw[i] = field_default[i];
	r->t = t;
}

static void kw_field(struct reader *r, char *rest)
{
	char *name = next_word(&rest), *w = next_word(&rest);
	double d;
	size_t i;

	if (!name || !w || next_word(&rest)) {
		rerr(r, "field: expected 'field title|standfirst|body WEIGHT'");
		return;
	}
	for (i = 0; i < N_FIELDS; i++)
		if (!strcmp(name, field_names[i]))
			break;
	if (i == N_FIELDS) {
		rerr(r, "field: unknown field '%s' (title, standfirst or body)", name);
		return;
	}
	if (number(r, w, "field weight", &d) == 0) {
		if (d < 0)
			rerr(r, "field: weight %g is negative", d);
		else
			r->t->fw[i] = d;
	}
}

static void kw_threshold(struct reader *r, char *rest)
{
	double d;

	if (number(r, trim(rest), "threshold", &d) < 0)
		return;
	if (d <= 0)
		rerr(r, "threshold: %g must be above 0", d);
	else
		r->t->threshold = d;
}

static void kw_cap(struct reader *r, char *rest)
{
	double d;

	if (number(r, trim(rest), "cap", &d) < 0)
		return;
	if (d < 1 || d > 1000 || d != floor(d))
		rerr(r, "cap: %g is not a whole number from 1 to 1000", d);
	else
		r->t->cap = (unsigned)d;
}

static void read_line(struct reader *r, char *line)
{
	static const struct {
		const char *kw;
		void (*fn)(struct reader *r, char *rest);
	} kws[] = {
		{"threshold", kw_threshold},
		{"cap", kw_cap},
		{"field", kw_field},
		{"phrase", kw_phrase},
		{"pattern", kw_pattern},
		{"require", kw_require},
		{"veto", kw_veto},
		{"subject", kw_subject},
		{"other", kw_other},
		{"about", kw_about},
	};
	char *s = trim(line), *kw;
	size_t i;

	if (!*s || *s == '#')
		return;
	kw = next_word(&s);
	if (!strcmp(kw, "topic")) {
		kw_topic(r, s);
		return;
	}
	for (i = 0; i < sizeof kws / sizeof *kws; i++)
		if (!strcmp(kw, kws[i].kw))
			break;
	if (i == sizeof kws / sizeof *kws) {
		rerr(r,
		     "unknown keyword '%s' (topic, threshold, cap, field, phrase, pattern, "
		     "require, veto, subject, other, about)",
		     kw);
		return;
	}
	if (!r->t) {
		rerr(r, "'%s' outside a topic (begin one with 'topic NAME')", kw);
		return;
	}
	kws[i].fn(r, s);
}

/* Reads one rules file into st; 0 or -EINVAL after logging "FILE:LINE: message". */
static int read_rules(struct state *st, const char *path)
{
	struct reader r = {.st = st, .file = path};
	FILE *f = fopen(path, "r");
	char *buf = NULL, *line, *nl;
	size_t n;
	int before = (int)st->n_topics;

	if (!f) {
		rerr(&r, "cannot read the rules: %s", strerror(errno));
		return -EINVAL;
	}
	if (!(buf = malloc(RULES_MAX_BYTES + 1))) {
		fclose(f);
		rerr(&r, "out of memory");
		return -ENOMEM;
	}
	n = fread(buf, 1, RULES_MAX_BYTES + 1, f);
	if (ferror(f))
		rerr(&r, "cannot read the rules: %s", strerror(errno));
	else if (n > RULES_MAX_BYTES)
		rerr(&r, "larger than %u bytes", RULES_MAX_BYTES);
	fclose(f);
	if (r.errors) {
		free(buf);
		return -EINVAL;
	}
	buf[n] = '\0';
	if (memchr(buf, '\0', n)) {
		rerr(&r, "not a text file (NUL byte)");
		free(buf);
		return -EINVAL;
	}
	for (line = buf; line && *line; line = nl) {
		if ((nl = strchr(line, '\n')))
			*nl++ = '\0';
		r.line++;
		read_line(&r, line);
	}
	topic_end(&r);
	r.line = 0;
	if (!r.errors && (int)st->n_topics == before)
		rerr(&r, "no topic defined (begin one with 'topic NAME')");
	if (r.errors > RULES_MAX_ERRORS)
		st->host->log(st->host, FEEDSPOOL_LOG_ERR, "%s: %d more errors", path,
			      r.errors - RULES_MAX_ERRORS);
	free(buf);
	return r.errors ? -EINVAL : 0;
}

/* ---- the lookup table -------------------------------------------------------------------- */

static uint32_t hash(const char *p, size_t n)
{
	uint32_t h = 2166136261u;

	while (n--)
		h = (h ^ (unsigned char)*p++) * 16777619u;
	return h;
}

static int table_add(struct state *st, const char *key, size_t ti, size_t te, size_t ta, int joined)
{
	struct entry *e = push(&st->entries, &st->n_entries, sizeof *st->entries);

	if (!e)
		return -ENOMEM;
	e->key = key;
	e->keylen = strlen(key);
	e->topic = ti;
	e->term = te;
	e->alias = ta;
	e->joined = joined;
	return 0;
}

/* Indexes every alias by its first word and by its words run together. */
static int table_build(struct state *st)
{
	size_t i, j, k, b;

	for (i = 0; i < st->n_topics; i++)
		for (j = 0; j < st->topics[i].n_terms; j++) {
			struct term *t = &st->topics[i].terms[j];

			for (k = 0; k < t->n_alias; k++) {
				if (table_add(st, t->alias[k].tok[0], i, j, k, 0) < 0)
					return -ENOMEM;
				if (t->alias[k].joined &&
				    table_add(st, t->alias[k].joined, i, j, k, 1) < 0)
					return -ENOMEM;
			}
		}
	for (st->n_buckets = 16; st->n_buckets < 2 * st->n_entries; st->n_buckets *= 2)
		;
	if (!(st->buckets = calloc(st->n_buckets, sizeof *st->buckets)))
		return -ENOMEM;
	for (i = 0; i < st->n_entries; i++) {
		b = hash(st->entries[i].key, st->entries[i].keylen) & (st->n_buckets - 1);
		st->entries[i].next = st->buckets[b];
		st->buckets[b] = i + 1;
	}
	return 0;
}

/* ---- the plugin ---------------------------------------------------------------------------- */

static void group_fini(struct group *g)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		free(g->text[i]);
	free(g->text);
	free(g->idx);
}

static void state_free(struct state *st)
{
	size_t i, j, k;

	if (!st)
		return;
	for (i = 0; i < st->n_topics; i++) {
		struct topic *t = &st->topics[i];

		for (j = 0; j < t->n_terms; j++) {
			for (k = 0; k < t->terms[j].n_alias; k++)
				alias_fini(&t->terms[j].alias[k]);
			free(t->terms[j].alias);
			free(t->terms[j].name);
			free(t->terms[j].name_norm);
			pcre2_code_free(t->terms[j].re);
		}
		free(t->terms);
		for (j = 0; j < t->n_require; j++)
			group_fini(&t->require[j]);
		free(t->require);
		for (j = 0; j < t->n_vetoes; j++) {
			group_fini(&t->vetoes[j].any);
			group_fini(&t->vetoes[j].unless);
		}
		free(t->vetoes);
		group_fini(&t->subject);
		group_fini(&t->other);
		free(t->marks);
		free(t->name);
	}
	free(st->topics);
	for (i = 0; i < st->n_files; i++)
		free(st->files[i]);
	free(st->files);
	free(st->entries);
	free(st->buckets);
	pcre2_match_context_free(st->mctx);
	pcre2_match_data_free(st->md);
	free(st->toks);
	free(st->reason.s);
	free(st);
}

static int topic_init(const struct feedspool_host *host, const struct feedspool_option *opts,
		      size_t n_opts, void **out)
{
	struct state *st = calloc(1, sizeof *st);
	size_t i;
	int rc = -EINVAL;

	if (!st)
		return -ENOMEM;
	st->host = host;
	for (i = 0; i < n_opts; i++) {
		const char *k = opts[i].key, *v = opts[i].value ? opts[i].value : "";

		if (!strcmp(k, "rules")) {
			char *path, **slot;

			if (!*v) {
				host->log(host, FEEDSPOOL_LOG_ERR, "rules: empty file name");
				goto fail;
			}
			if (v[0] == '/' || !host->config_dir) {
				path = strdup(v);
			} else {
				size_t n = strlen(host->config_dir) + strlen(v) + 2;

				if ((path = malloc(n)))
					snprintf(path, n, "%s/%s", host->config_dir, v);
			}
			if (!path || !(slot = push(&st->files, &st->n_files, sizeof *st->files))) {
				free(path);
				rc = -ENOMEM;
				goto fail;
			}
			*slot = path;
		} else if (!strcmp(k, "mode")) {
			if (!strcmp(v, "keep-matching")) {
				st->annotate = 0;
			} else if (!strcmp(v, "annotate")) {
				st->annotate = 1;
			} else {
				host->log(host, FEEDSPOOL_LOG_ERR,
					  "mode = %s: expected keep-matching or annotate", v);
				goto fail;
			}
		} else {
			host->log(host, FEEDSPOOL_LOG_ERR, "unknown option '%s' (rules, mode)", k);
			goto fail;
		}
	}
	if (!st->n_files) {
		host->log(host, FEEDSPOOL_LOG_ERR, "option 'rules' is missing: which rules file?");
		goto fail;
	}
	for (i = 0; i < st->n_files; i++)
		if (read_rules(st, st->files[i]) < 0)
			goto fail;
	rc = -ENOMEM;
	if (table_build(st) < 0 || !(st->mctx = pcre2_match_context_create(NULL)) ||
	    !(st->md = pcre2_match_data_create(1, NULL)))
		goto fail;
	pcre2_set_match_limit(st->mctx, MATCH_LIMIT);
	pcre2_set_depth_limit(st->mctx, DEPTH_LIMIT);
	*out = st;
	return 0;
fail:
	state_free(st);
	return rc;
}

static void topic_fini(void *state)
{
	state_free(state);
}

/* Records for aboutness a match of term t of topic tp in field f, paragraph para. */
static void about_hit(struct topic *tp, const struct term *t, enum field f, unsigned para)
{
	if (!t->role || !tp->subject.n)
		return;
	if (t->role & ROLE_SUBJECT) {
		if (f == F_TITLE)
			tp->ac.title = 1;
		else if (f == F_STANDFIRST || (f == F_BODY && para < tp->about.lead))
			tp->ac.lead = 1;
		if (f == F_BODY)
			tp->ac.mentions++;
	}
	if (f == F_BODY && para < tp->ac.paras)
		tp->marks[para] |= t->role;
}

/* Counts the aliases in the words of field f. */
static void match_words(struct state *st, enum field f)
{
	size_t i, k, m = st->n_toks;
	const struct tok *T = st->toks;

	for (i = 0; i < m; i++) {
		size_t e = st->buckets[hash(T[i].p, T[i].len) & (st->n_buckets - 1)];

		for (; e; e = st->entries[e - 1].next) {
			const struct entry *en = &st->entries[e - 1];
			struct term *t = &st->topics[en->topic].terms[en->term];
			const struct alias *a = &t->alias[en->alias];

			if (en->keylen != T[i].len || memcmp(en->key, T[i].p, T[i].len))
				continue;
			if (!en->joined) {
				if (i + a->n > m)
					continue;
				for (k = 1; k < a->n; k++)
					if (strlen(a->tok[k]) != T[i + k].len ||
					    memcmp(a->tok[k], T[i + k].p, T[i + k].len))
						break;
				if (k < a->n)
					continue;
			}
			if (t->last[f] == i + 1)
				continue; /* another alias already matched here */
			t->last[f] = i + 1;
			t->count[f]++;
			about_hit(&st->topics[en->topic], t, f, T[i].para);
		}
	}
}

/* Counts the pattern matches of field f (up to each topic's cap); 0 or -1 after logging. */
static int match_patterns(struct state *st, enum field f, const char *s, size_t n,
			  const struct feedspool_article *art)
{
	size_t i, j;

	for (i = 0; i < st->n_topics; i++) {
		struct topic *tp = &st->topics[i];

		for (j = 0; j < tp->n_terms; j++) {
			struct term *t = &tp->terms[j];
			PCRE2_SIZE off = 0, *ov, seen = 0;
			unsigned para = 0;
			int rc;

			if (!t->re)
				continue;
			while (t->count[f] < tp->cap && off <= n) {
				rc = pcre2_match(t->re, (PCRE2_SPTR)s, n, off, PCRE2_NO_UTF_CHECK,
						 st->md, st->mctx);
				if (rc == PCRE2_ERROR_NOMATCH)
					break;
				if (rc < 0) {
					PCRE2_UCHAR msg[256];

					pcre2_get_error_message(rc, msg, sizeof msg);
					st->host->log(
					    st->host, FEEDSPOOL_LOG_WARNING,
					    "article %s: pattern '%s' (%s:%d) on the %s: %s",
					    art->id ? art->id : "?", t->name, tp->file, t->line,
					    field_names[f], (const char *)msg);
					return -1;
				}
				t->count[f]++;
				ov = pcre2_get_ovector_pointer(st->md);
				for (; seen < ov[0]; seen++)
					para += s[seen] == '\n';
				about_hit(tp, t, f, para);
				off = ov[1];
				if (ov[1] == ov[0]) { /* empty match: step one character */
					off++;
					while (off < n && ((unsigned char)s[off] & 0xC0) == 0x80)
						off++;
				}
			}
		}
	}
	return 0;
}

static double contribution(const struct topic *tp, const struct term *t)
{
	double sum = 0;
	size_t f;

	for (f = 0; f < N_FIELDS; f++)
		sum += tp->fw[f] * (t->count[f] < tp->cap ? t->count[f] : tp->cap);
	return t->weight * sum;
}

static int found(const struct term *t)
{
	return t->count[F_TITLE] || t->count[F_STANDFIRST] || t->count[F_BODY];
}

/* The first term of g found in the article, or NULL. */
static const struct term *group_hit(const struct topic *tp, const struct group *g)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		if (g->idx && g->idx[i] != SIZE_MAX && found(&tp->terms[g->idx[i]]))
			return &tp->terms[g->idx[i]];
	return NULL;
}

static const struct topic *sort_topic;

static int by_contribution(const void *a, const void *b)
{
	double x = fabs(contribution(sort_topic, &sort_topic->terms[*(const size_t *)a]));
	double y = fabs(contribution(sort_topic, &sort_topic->terms[*(const size_t *)b]));

	return x < y   ? 1
	       : x > y ? -1
		       : (*(const size_t *)a > *(const size_t *)b) -
			     (*(const size_t *)a < *(const size_t *)b);
}

/* "Name +12 (title, body x3)" for each counted term, biggest first, into the reason. */
static void explain_terms(struct state *st, const struct topic *tp, const size_t *order, size_t n)
{
	size_t i, f;

	for (i = 0; i < n && i < REASON_TERMS; i++) {
		const struct term *t = &tp->terms[order[i]];
		int first = 1;

		str_printf(&st->reason, "%s%s %+g (", i ? ", " : "", t->name, contribution(tp, t));
		for (f = 0; f < N_FIELDS; f++) {
			unsigned c = t->count[f] < tp->cap ? t->count[f] : tp->cap;

			if (!c)
				continue;
			str_printf(&st->reason, c > 1 ? "%s%s x%u" : "%s%s", first ? "" : ", ",
				   field_names[f], c);
			first = 0;
		}
		str_printf(&st->reason, ")");
	}
	if (n > REASON_TERMS)
		str_printf(&st->reason, ", and %zu more", n - REASON_TERMS);
}

/* Sizes every topic's paragraph marks for a body of paras lines of words words; 0 or -ENOMEM. */
static int about_start(struct state *st, unsigned paras, size_t words)
{
	size_t i;

	for (i = 0; i < st->n_topics; i++) {
		struct topic *tp = &st->topics[i];

		if (!tp->subject.n)
			continue;
		if (paras > tp->marks_cap) {
			unsigned char *m = realloc(tp->marks, paras);

			if (!m)
				return -ENOMEM;
			tp->marks = m;
			tp->marks_cap = paras;
		}
		if (paras)
			memset(tp->marks, 0, paras);
		tp->ac.paras = paras;
		tp->ac.words = words;
	}
	return 0;
}

/* Whether topic tp (with a subject line) is what the article is about; explains why. */
static int about_judge(struct state *st, const struct topic *tp)
{
	struct about_counts c = tp->ac;
	double part[ABOUT_PARTS], score;
	char line[400];
	unsigned i;

	for (i = 0; i < c.paras; i++) {
		c.subject_paras += (tp->marks[i] & ROLE_SUBJECT) != 0;
		c.other_paras += tp->marks[i] == ROLE_OTHER;
	}
	score = about_score(&tp->about, &c, part);
	about_explain(&tp->about, &c, part, score, line, sizeof line);
	str_printf(&st->reason, "; %s", line);
	return score >= tp->about.threshold;
}

/* Scores topic tp; annotates it when it matches. Returns 1 when it matches. */
static int judge(struct state *st, const struct topic *tp, struct feedspool_call *call)
{
	const char *matched[MATCHED_MAX];
	size_t order[256], n = 0, n_matched = 0, i;
	const struct term *hit = NULL;
	const struct veto *vetoed = NULL;
	const struct group *missing = NULL;
	double score = 0;

	for (i = 0; i < tp->n_terms; i++) {
		const struct term *t = &tp->terms[i];

		if (!found(t) || t->hidden || t->weight == 0)
			continue;
		score += contribution(tp, t);
		if (n < sizeof order / sizeof *order)
			order[n++] = i;
	}
	sort_topic = tp;
	qsort(order, n, sizeof *order, by_contribution);
	for (i = 0; i < n && n_matched < MATCHED_MAX; i++)
		if (tp->terms[order[i]].weight > 0)
			matched[n_matched++] = tp->terms[order[i]].name;
	for (i = 0; i < tp->n_vetoes && !vetoed; i++)
		if ((hit = group_hit(tp, &tp->vetoes[i].any)) &&
		    !group_hit(tp, &tp->vetoes[i].unless))
			vetoed = &tp->vetoes[i];
	for (i = 0; i < tp->n_require && !missing; i++)
		if (!group_hit(tp, &tp->require[i]))
			missing = &tp->require[i];

	/* the explanation: why it matched or not, the biggest contributions first */
	if (st->reason.len)
		str_printf(&st->reason, "; ");
	if (vetoed)
		str_printf(&st->reason, "%s %g, vetoed by '%s' (%s:%d)", tp->name, score, hit->name,
			   tp->file, vetoed->any.line);
	else if (missing)
		str_printf(&st->reason, "%s %g, but no required term (%s:%d)", tp->name, score,
			   tp->file, missing->line);
	else
		str_printf(&st->reason, "%s %g %s %g", tp->name, score,
			   score >= tp->threshold ? ">=" : "<", tp->threshold);
	if (n) {
		str_printf(&st->reason, ": ");
		explain_terms(st, tp, order, n);
	}
	if (vetoed || missing || score < tp->threshold)
		return 0;
	if (tp->subject.n && !about_judge(st, tp))
		return 0;
	st->host->annotate_topic(call, tp->name, score, matched, n_matched);
	return 1;
}

/* The lines of a body (its blocks): one more than its line breaks. */
static unsigned lines(const char *s, size_t n)
{
	const char *end = s + n, *p;
	unsigned k = 1;

	for (p = s; (p = memchr(p, '\n', (size_t)(end - p))); p++)
		k++;
	return k;
}

static enum feedspool_verdict topic_filter(void *state, const struct feedspool_article *a,
					   struct feedspool_call *call)
{
	struct state *st = state;
	const char *text[N_FIELDS];
	size_t i, j, f, len;
	int matches = 0;

	text[F_TITLE] = a->title;
	text[F_STANDFIRST] = a->standfirst;
	text[F_BODY] = a->body && *a->body ? a->body : a->summary;
	for (i = 0; i < st->n_topics; i++) {
		memset(&st->topics[i].ac, 0, sizeof st->topics[i].ac);
		for (j = 0; j < st->topics[i].n_terms; j++) {
			memset(st->topics[i].terms[j].count, 0,
			       sizeof st->topics[i].terms[j].count);
			memset(st->topics[i].terms[j].last, 0, sizeof st->topics[i].terms[j].last);
		}
	}
	for (f = 0; f < N_FIELDS; f++) {
		char *folded;
		int rc;

		if (!text[f] || !*text[f])
			continue;
		if (!(folded = fold(text[f], strlen(text[f]), &len))) {
			st->host->log(st->host, FEEDSPOOL_LOG_ERR, "out of memory");
			return FEEDSPOOL_ERROR;
		}
		rc = words(st, folded, len);
		if (rc == 0 && f == F_BODY)
			rc = about_start(st, lines(folded, len), st->n_toks);
		if (rc == 0)
			match_words(st, (enum field)f);
		if (rc == 0)
			rc = match_patterns(st, (enum field)f, folded, len, a);
		free(folded);
		if (rc < 0)
			return FEEDSPOOL_ERROR;
	}
	str_reset(&st->reason);
	for (i = 0; i < st->n_topics; i++)
		matches += judge(st, &st->topics[i], call);
	if (st->reason.s &&
	    st->host->size >= offsetof(struct feedspool_host, explain) + sizeof st->host->explain)
		st->host->explain(call, st->reason.s);
	return matches || st->annotate ? FEEDSPOOL_KEEP : FEEDSPOOL_DROP;
}

FEEDSPOOL_PLUGIN("topic", "1.0",
		 "keeps the articles about configured topics: weighted phrases and patterns, "
		 "required terms, vetoes (feedspool-topic(5))",
		 topic_init, topic_filter, topic_fini);
