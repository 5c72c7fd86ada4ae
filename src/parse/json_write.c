/* SPDX-License-Identifier: MIT */
/* Writing JSON text straight into a buffer. */
#include "autoconfig.h"

#include "json_write.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "charset.h"

/* 1 for the bytes a JSON string cannot hold as they are */
static const unsigned char needs_escape[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
};

/* Appends s[0..n) escaped. With check, also makes sure on the way that s is valid UTF-8
 * (one pass, not two): -EILSEQ, out as it was, when it is not. 0, or -ENOMEM. */
static int escape(struct buf *out, const char *s, size_t n, int check)
{
	static const char hex[] = "0123456789abcdef";
	const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
	const uint64_t stop = check ? highs : 0; /* bytes from 0x80 leave the fast loop */
	size_t i = 0, start = 0, len0 = out->len;
	int rc = 0;

	while (i < n) {
		unsigned char c;
		char e[7];

		/* eight bytes at a time while none is '"', '\\', below 0x20 (or from 0x80) */
		while (n - i >= 8) {
			uint64_t w, q, b;

			memcpy(&w, s + i, 8);
			q = w ^ (ones * '"');
			b = w ^ (ones * '\\');
			if (((((w - ones * 0x20) | (q - ones) | (b - ones)) & ~w & highs) |
			     (w & stop)) != 0)
				break;
			i += 8;
		}
		/* then byte by byte to the one that stopped the words */
		while (i < n && !needs_escape[(unsigned char)s[i]] &&
		       !(check && (unsigned char)s[i] >= 0x80))
			i++;
		if (i >= n)
			break;
		c = (unsigned char)s[i];
		if (c >= 0x80 && check) {
			size_t k = utf8_char_len(s + i, n - i);

			if (!k) {
				out->len = len0;
				if (out->data)
					out->data[len0] = '\0';
				return -EILSEQ;
			}
			i += k;
			continue;
		}
		if (!needs_escape[c]) {
			i++;
			continue;
		}
		rc |= buf_append(out, s + start, i - start);
		switch (c) {
		case '"': rc |= buf_append(out, "\\\"", 2); break;
		case '\\': rc |= buf_append(out, "\\\\", 2); break;
		case '\n': rc |= buf_append(out, "\\n", 2); break;
		case '\r': rc |= buf_append(out, "\\r", 2); break;
		case '\t': rc |= buf_append(out, "\\t", 2); break;
		case '\b': rc |= buf_append(out, "\\b", 2); break;
		case '\f': rc |= buf_append(out, "\\f", 2); break;
		default:
			memcpy(e, "\\u00", 4);
			e[4] = hex[c >> 4];
			e[5] = hex[c & 15];
			rc |= buf_append(out, e, 6);
		}
		start = ++i;
	}
	rc |= buf_append(out, s + start, n - start);
	return rc ? -ENOMEM : 0;
}

int json_write_stringn(struct buf *out, const char *s, size_t n)
{
	int rc = 0, err;

	if (!s)
		return buf_append(out, "null", 4);
	rc |= buf_putc(out, '"');
	err = rc ? 0 : escape(out, s, n, 1);
	if (err == -EILSEQ) {
		/* never expected (every string was made valid upstream); stay valid JSON anyway */
		struct buf clean = BUF_INIT;
		struct charset_conv *c = charset_conv_new("UTF-8");

		if (c && charset_conv_feed(c, s, n, 1, &clean) == 0)
			rc |= escape(out, buf_cstr(&clean), clean.len, 0);
		charset_conv_free(c);
		buf_fini(&clean);
	} else {
		rc |= err;
	}
	rc |= buf_putc(out, '"');
	return rc ? -ENOMEM : 0;
}

int json_write_string(struct buf *out, const char *s)
{
	return json_write_stringn(out, s, s ? strlen(s) : 0);
}

int json_write_key(struct buf *out, const char *key)
{
	int rc = buf_putc(out, '"');

	rc |= buf_puts(out, key);
	rc |= buf_append(out, "\":", 2);
	return rc ? -ENOMEM : 0;
}

int json_write_int(struct buf *out, int64_t v)
{
	return buf_printf(out, "%" PRId64, v);
}
