/* SPDX-License-Identifier: MIT */
/* The string map (src/core/strmap.c): adds, repeats, lookups of absent keys, growth to 200,000
 * keys with every one still found, and values too large for it. */
#include "autoconfig.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "strmap.h"

#define MANY 200000

int main(void)
{
	struct strmap m = STRMAP_INIT;
	char(*keys)[24] = malloc(MANY * sizeof *keys);
	size_t v = 0, old = 0;
	int i, ok = 1, rc;

	if (!keys)
		return 99;
	CHECK(strmap_get(&m, "a", &v) == 0, "an empty map has no \"a\"");
	CHECK(strmap_add(&m, "a", 7, &old) == 0, "\"a\" is added");
	CHECK(strmap_get(&m, "a", &v) == 1 && v == 7, "\"a\" -> 7 (%zu)", v);
	old = 0;
	CHECK(strmap_add(&m, "a", 9, &old) == 1 && old == 7, "adding \"a\" again: 1, its value 7");
	CHECK(strmap_get(&m, "a", &v) == 1 && v == 7, "and \"a\" still -> 7 (%zu)", v);
	CHECK(strmap_add(&m, "", 1, NULL) == 0 && strmap_get(&m, "", &v) == 1 && v == 1,
	      "the empty string is a key like another");
	CHECK(strmap_add(&m, "big", (size_t)UINT32_MAX + 1, NULL) == -EOVERFLOW,
	      "a value over 2^32 - 1 is refused");
	CHECK(strmap_get(&m, "big", &v) == 0, "and not added");
	strmap_fini(&m);
	CHECK(m.n == 0 && strmap_get(&m, "a", &v) == 0, "a finished map is empty again");

	for (i = 0; i < MANY; i++) {
		snprintf(keys[i], sizeof keys[i], "feed-%d", i);
		if ((rc = strmap_add(&m, keys[i], (size_t)i, NULL)) != 0) {
			CHECK(rc == 0, "adding %s: %d", keys[i], rc);
			break;
		}
	}
	CHECK(m.n == MANY && m.cap >= m.n + m.n / 3, "%d keys, at most 3/4 full (%zu of %zu)", MANY,
	      m.n, m.cap);
	for (i = 0; ok && i < MANY; i++)
		ok = strmap_get(&m, keys[i], &v) == 1 && v == (size_t)i;
	CHECK(ok, "key %d found with its value after the growth", i - 1);
	CHECK(strmap_get(&m, "feed-200000", &v) == 0 && strmap_get(&m, "feed-", &v) == 0,
	      "keys never added are not found");
	strmap_fini(&m);
	free(keys);
	return check_exit();
}
