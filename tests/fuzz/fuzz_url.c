/* SPDX-License-Identifier: MIT */
/* Fuzz target: URL resolution and the canonical form used for article identity (src/core/url.c).
 *
 * Input: a base URL, a line break, then a reference (no line break: the whole input is the
 * reference, without a base); a NUL ends either. Invariants checked (url.h): a reference always
 * resolves to a string; a canonical form starts with "http://" and is its own canonical form, so
 * that an article's identity does not change when its link is published already canonical; the
 * direct way of computing it gives what the general way (every part set back into curl) gives. */
#include "autoconfig.h"

#include <string.h>

#include "fuzz.h"
#include "url.h"

static void canonical(const char *url)
{
	char *c = url_canonical(url), *again, *general = url_canonical_general(url);

	FUZZ_ASSERT((!c && !general) || (c && general && !strcmp(c, general)),
		    "canonical(%s) = %s, the general way %s", url, c ? c : "(none)",
		    general ? general : "(none)");
	free(general);
	if (!c)
		return;
	FUZZ_ASSERT(!strncmp(c, "http://", 7), "canonical(%s) = %s", url, c);
	again = url_canonical(c);
	FUZZ_ASSERT(again && !strcmp(again, c), "canonical(%s) = %s, whose canonical form is %s",
		    url, c, again ? again : "(none)");
	free(again);
	free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	char *base = NULL, *ref, *r;

	if (nl) {
		base = strndup((const char *)data, (size_t)(nl - data));
		ref = strndup((const char *)nl + 1, size - (size_t)(nl - data) - 1);
	} else {
		ref = strndup((const char *)data, size);
	}
	FUZZ_ASSERT(ref && (!nl || base), "strndup");
	(void)url_is_absolute(base);
	(void)url_is_absolute(ref);
	r = url_resolve(base, ref);
	FUZZ_ASSERT(r != NULL, "url_resolve(%s, %s) gave nothing", base ? base : "NULL", ref);
	canonical(ref);
	canonical(r);
	free(r);
	r = url_resolve(NULL, ref);
	FUZZ_ASSERT(r != NULL, "url_resolve(NULL, %s) gave nothing", ref);
	free(r);
	free(base);
	free(ref);
	return 0;
}
