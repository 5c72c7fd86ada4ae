/* SPDX-License-Identifier: MIT */
/* Fuzz target: feed dates (src/parse/date.c), read and written back.
 *
 * Input: the date text (cut at a NUL). Invariants checked (date.h): a date that parses lies in
 * the years date_format can write, and its RFC 3339 form parses back to the same instant; the
 * first 8 bytes read as an instant (as they are, and folded into years 0001..9999) are written
 * and read back too. */
#include "autoconfig.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "date.h"
#include "fuzz.h"

static void round_trip(int64_t t)
{
	char s[DATE_BUFSZ];
	int64_t back;
	int rc;

	rc = date_format(t, s, sizeof s);
	if (rc < 0)
		return;
	rc = date_parse(s, &back);
	FUZZ_ASSERT(rc == 0 && back == t,
		    "%" PRId64 " written as %s reads back as %" PRId64 " (%d)", t, s, back, rc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	char w[DATE_BUFSZ];
	int64_t t;

	FUZZ_ASSERT(s != NULL, "malloc");
	memcpy(s, data, size);
	s[size] = '\0';
	if (date_parse(s, &t) == 0) {
		FUZZ_ASSERT(date_format(t, w, sizeof w) == 0,
			    "\"%s\" reads as %" PRId64 ", which date_format refuses", s, t);
		round_trip(t);
	}
	free(s);
	if (size >= 8) {
		uint64_t u = 0;
		size_t i;

		for (i = 0; i < 8; i++)
			u = u << 8 | data[i];
		round_trip((int64_t)u);
		/* the same bits folded into 0001-01-01 .. 9999-12-31T23:59:59 */
		round_trip((int64_t)(u % 315537897600u) - 62135596800);
	}
	return 0;
}
