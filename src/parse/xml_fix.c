/* SPDX-License-Identifier: MIT */
/* Bare ampersands and "&#X" references repaired in the XML byte stream, chunk by chunk. */
#include "autoconfig.h"

#include "xml_fix.h"

#include <errno.h>
#include <string.h>

enum { S_TEXT, S_COMMENT, S_CDATA, S_PI };

/* A reference's name is rarely longer; a longer "name" is taken for text. */
#define REF_NAME_MAX 64

void xml_fix_init(struct xml_fix *f)
{
	memset(f, 0, sizeof *f);
}

void xml_fix_fini(struct xml_fix *f)
{
	buf_fini(&f->carry);
	buf_fini(&f->out);
}

static int name_start(unsigned char b)
{
	return (b | 0x20) >= 'a' && (b | 0x20) <= 'z' ? 1 : b == '_' || b == ':' || b >= 0x80;
}

static int name_char(unsigned char b)
{
	return name_start(b) || (b >= '0' && b <= '9') || b == '-' || b == '.';
}

static int hex_digit(unsigned char b)
{
	return (b >= '0' && b <= '9') || ((b | 0x20) >= 'a' && (b | 0x20) <= 'f');
}

/* What the '&' at s[0] starts: the reference's length, 0 for a bare '&', or -1 when the bytes
 * end before that is known. */
static long ref_len(const unsigned char *s, size_t n)
{
	size_t i = 1, k;

	if (i >= n)
		return -1;
	if (s[i] == '#') {
		int hex;

		if (++i >= n)
			return -1;
		hex = s[i] == 'x' || s[i] == 'X';
		i += hex;
		for (k = i; i < n && i - k <= 8 && (hex ? hex_digit(s[i]) : s[i] >= '0' && s[i] <= '9');
		     i++)
			;
		if (i >= n)
			return -1;
		return i > k && s[i] == ';' ? (long)i + 1 : 0;
	}
	if (!name_start(s[i]))
		return 0;
	for (k = i; i < n && i - k <= REF_NAME_MAX && name_char(s[i]); i++)
		;
	if (i >= n)
		return -1;
	return s[i] == ';' ? (long)i + 1 : 0;
}

/* Index just past needle (2 or 3 bytes) at or after i, or n. */
static size_t find_end(const char *s, size_t n, size_t i, const char *needle, size_t l)
{
	const char *p;

	while (i + l <= n && (p = memchr(s + i, needle[0], n - i - l + 1))) {
		i = (size_t)(p - s);
		if (memcmp(p, needle, l) == 0)
			return i + l;
		i++;
	}
	return n;
}

/* Copies s[*done..upto) and then rep to out. */
static int emit(struct xml_fix *f, const char *s, size_t *done, size_t upto, const char *rep,
		size_t replen)
{
	int err = buf_append(&f->out, s + *done, upto - *done);

	if (!err && replen)
		err = buf_append(&f->out, rep, replen);
	*done = upto;
	return err;
}

/* The index of the next c at or after i (n when none), searched for again only once passed. */
static size_t next_of(const char *s, size_t n, size_t i, int c, size_t *cache)
{
	const char *p;

	if (*cache == (size_t)-1 || *cache < i) {
		p = memchr(s + i, c, n - i);
		*cache = p ? (size_t)(p - s) : n;
	}
	return *cache;
}

/* Scans s[0..n) from the state in f; returns where the bytes held back begin (n when none). */
static size_t scan(struct xml_fix *f, const char *s, size_t n, int final, size_t *done, int *err)
{
	static const char *const ends[] = {NULL, "-->", "]]>", "?>"};
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, lt = (size_t)-1, amp = (size_t)-1, l, e;
	long r;

	while (i < n && !*err) {
		if (f->state != S_TEXT) {
			l = strlen(ends[f->state]);
			e = find_end(s, n, i, ends[f->state], l);
			if (e == n && !final) /* its end may begin in the last bytes */
				return n - i > l ? n - (l - 1) : i;
			f->state = S_TEXT;
			i = e;
			continue;
		}
		if (next_of(s, n, i, '&', &amp) < next_of(s, n, i, '<', &lt)) {
			i = amp;
			r = ref_len(u + i, n - i);
			if (r < 0 && !final)
				return i;
			if (r <= 0) {
				*err = emit(f, s, done, i + 1, "amp;", 4);
				f->bare++;
				i++;
				continue;
			}
			if (s[i + 1] == '#' && s[i + 2] == 'X') {
				*err = emit(f, s, done, i + 2, "x", 1);
				*done = i + 3;
			}
			i += (size_t)r;
			continue;
		}
		i = lt;
		if (i >= n)
			return n;
		if (n - i < 9 && !final)
			return i; /* perhaps "<!--" or "<![CDATA[" cut short */
		if (n - i >= 4 && memcmp(s + i, "<!--", 4) == 0) {
			f->state = S_COMMENT;
			i += 4;
		} else if (n - i >= 9 && memcmp(s + i, "<![CDATA[", 9) == 0) {
			f->state = S_CDATA;
			i += 9;
		} else if (n - i >= 2 && s[i + 1] == '?') {
			f->state = S_PI;
			i += 2;
		} else {
			i++;
		}
	}
	return n;
}

int xml_fix_run(struct xml_fix *f, const char *s, size_t n, int final, const char **res,
		size_t *reslen)
{
	struct buf work = BUF_INIT;
	size_t done = 0, hold;
	int err = 0;

	buf_reset(&f->out);
	if (f->carry.len) {
		/* the held-back bytes and the new ones, as one piece */
		work = f->carry;
		buf_init(&f->carry);
		if (buf_append(&work, s, n) < 0) {
			buf_fini(&work);
			return -ENOMEM;
		}
		s = work.data;
		n = work.len;
	}
	hold = scan(f, s, n, final, &done, &err);
	if (!err && hold < n)
		err = buf_append(&f->carry, s + hold, n - hold);
	if (!err && (done || work.len)) {
		/* something was changed, or the input is our own copy: hand out f->out */
		err = emit(f, s, &done, hold, NULL, 0);
		*res = buf_cstr(&f->out);
		*reslen = f->out.len;
	} else {
		*res = s;
		*reslen = hold;
	}
	buf_fini(&work);
	return err;
}
