/* SPDX-License-Identifier: MIT */
/* Base64 (RFC 4648) decoding. */
#include "autoconfig.h"

#include "base64.h"

#include <errno.h>

static int value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

int base64_decode(const char *s, size_t n, struct buf *out)
{
	unsigned acc = 0;
	int bits = 0, v;
	size_t i, k = 0, pad = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c == '=') {
			while (i < n && pad < 2)
				pad += s[i++] == '=';
			break;
		}
		k++;
		if ((v = value(c)) < 0)
			return -EINVAL;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (buf_putc(out, (char)((acc >> bits) & 0xFF)) < 0)
				return -ENOMEM;
		}
	}
	/* the last group must be whole or padded, as Python's decoder (feedparser's) wants it:
	 * "plain words" is text, not base64 */
	if (k % 4 == 1 || (k % 4 && k % 4 + pad < 4))
		return -EINVAL;
	return 0;
}
