/* SPDX-License-Identifier: MIT */
/* Fuzz target: HTML fragments and plain text to the seed layout (src/parse/html.c).
 *
 * Input: 1 option byte, then the text. Bit 0 of the option byte: HTML_INLINE instead of
 * HTML_BLOCKS; bit 1: plain_to_text instead of html_to_text. html_looks_like runs on every input.
 * Invariants checked (html.h, and the layout tests/test_html.c checks): the output is UTF-8
 * without NUL or C0 control characters but the line breaks (and tabs kept inside pre), has no
 * leading or trailing whitespace, no empty line, no line break at all in HTML_INLINE. */
#include "autoconfig.h"

#include <string.h>

#include "charset.h"
#include "fuzz.h"
#include "html.h"

static int blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf out = BUF_INIT;
	enum html_mode mode;
	const char *s;
	size_t i, len;
	int plain, rc;

	if (size < 1)
		return 0;
	mode = data[0] & 1 ? HTML_INLINE : HTML_BLOCKS;
	plain = data[0] & 2;
	s = (const char *)data + 1;
	len = size - 1;
	(void)html_looks_like(s, len);
	rc = plain ? plain_to_text(s, len, mode, &out) : html_to_text(s, len, mode, &out);
	FUZZ_ASSERT(rc == 0, "%s returned %d", plain ? "plain_to_text" : "html_to_text", rc);
	FUZZ_ASSERT(utf8_valid(out.data, out.len), "the output is not UTF-8");
	for (i = 0; i < out.len; i++) {
		unsigned char c = (unsigned char)out.data[i];

		FUZZ_ASSERT(c >= 0x20 || c == '\n' || (c == '\t' && !plain),
			    "control 0x%02x at %zu", c, i);
		if (c == '\n') {
			FUZZ_ASSERT(mode == HTML_BLOCKS, "a line break in HTML_INLINE at %zu", i);
			FUZZ_ASSERT(i > 0 && out.data[i - 1] != '\n', "an empty line at %zu", i);
			FUZZ_ASSERT(!blank(out.data[i - 1]) && i + 1 < out.len &&
					!blank(out.data[i + 1]),
				    "whitespace around the line break at %zu: \"%s\"", i, out.data);
		}
	}
	if (out.len)
		FUZZ_ASSERT(!blank(out.data[0]) && !blank(out.data[out.len - 1]),
			    "leading or trailing whitespace: \"%s\"", out.data);
	buf_fini(&out);
	return 0;
}
