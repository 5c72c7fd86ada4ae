/* SPDX-License-Identifier: MIT */
/* Fuzz target: the full-text extractor (src/parse/extract*.c) on whole web pages.
 *
 * Input: the page. Invariants checked (extract.h): extract_page returns 0 (only ENOMEM may
 * fail); the title is one line of UTF-8 without control characters and without leading or
 * trailing whitespace; the text is UTF-8 in the seed layout (no empty line, no control
 * character but line breaks and the tabs pre keeps, no whitespace around a line break); a
 * second extraction of the same page gives the same result (no state leaks between calls). */
#include "autoconfig.h"

#include <string.h>

#include "charset.h"
#include "extract.h"
#include "fuzz.h"

static int blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static void check_title(const struct buf *t)
{
	size_t i;

	FUZZ_ASSERT(utf8_valid(t->data, t->len), "the title is not UTF-8");
	for (i = 0; i < t->len; i++)
		FUZZ_ASSERT((unsigned char)t->data[i] >= 0x20, "control 0x%02x in the title at %zu",
			    (unsigned char)t->data[i], i);
	if (t->len)
		FUZZ_ASSERT(!blank(t->data[0]) && !blank(t->data[t->len - 1]),
			    "whitespace around the title: \"%s\"", t->data);
}

static void check_text(const struct buf *t)
{
	size_t i;

	FUZZ_ASSERT(utf8_valid(t->data, t->len), "the text is not UTF-8");
	for (i = 0; i < t->len; i++) {
		unsigned char c = (unsigned char)t->data[i];

		FUZZ_ASSERT(c >= 0x20 || c == '\n' || c == '\t', "control 0x%02x at %zu", c, i);
		if (c == '\n')
			FUZZ_ASSERT(i > 0 && !blank(t->data[i - 1]) && i + 1 < t->len &&
					!blank(t->data[i + 1]),
				    "an empty line or whitespace around the line break at %zu", i);
	}
	if (t->len)
		FUZZ_ASSERT(!blank(t->data[0]) && !blank(t->data[t->len - 1]),
			    "leading or trailing whitespace in the text");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct extract x, y;
	int rc;

	extract_init(&x);
	extract_init(&y);
	rc = extract_page((const char *)data, size, "http://example.org/a/", NULL, &x);
	FUZZ_ASSERT(rc == 0, "extract_page returned %d", rc);
	check_title(&x.title);
	check_text(&x.text);
	rc = extract_page((const char *)data, size, "http://example.org/a/", NULL, &y);
	FUZZ_ASSERT(rc == 0 && x.text.len == y.text.len && x.title.len == y.title.len &&
			(!x.text.len || !memcmp(x.text.data, y.text.data, x.text.len)),
		    "a second extraction differs");
	extract_fini(&x);
	extract_fini(&y);
	return 0;
}
