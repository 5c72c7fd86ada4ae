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

static int escape_valid(struct buf *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0, start = 0;
	int rc = 0;

	while (i < n) {
		unsigned char c;
		char e[7];

		/* eight bytes at a time while none is '"', '\\' or below 0x20 */
		while (n - i >= 8) {
			const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
			uint64_t w, q, b;

			memcpy(&w, s + i, 8);
			q = w ^ (ones * '"');
			b = w ^ (ones * '\\');
			if ((((w - ones * 0x20) | (q - ones) | (b - ones)) & ~w & highs) != 0)
				break;
			i += 8;
		}
		if (i >= n)
			break;
		c = (unsigned char)s[i];
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
	int rc = 0;

	if (!s)
		return buf_append(out, "null", 4);
	rc |= buf_putc(out, '"');
	if (utf8_valid(s, n)) {
		rc |= escape_valid(out, s, n);
	} else {
		/* never expected (every string was made valid upstream); stay valid JSON anyway */
		struct buf clean = BUF_INIT;
		struct charset_conv *c = charset_conv_new("UTF-8");

		if (c && charset_conv_feed(c, s, n, 1, &clean) == 0)
			rc |= escape_valid(out, buf_cstr(&clean), clean.len);
		charset_conv_free(c);
		buf_fini(&clean);
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
