/* SPDX-License-Identifier: MIT */
/* The string-to-pointer map (src/core/smap.c): puts, replacements, removals in any order (a
 * removal moves the keys probed past it back) checked against a plain array at every step,
 * growth to 100,000 keys, keys that ignore case. */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "smap.h"

#define MANY 100000

/* Every key i is in the map with value &vals[i] exactly when in[i] says so. */
static int agrees(const struct smap *m, char (*keys)[16], const int *in, int *vals, size_t n,
		  size_t *bad)
{
	size_t i, count = 0;

	for (i = 0; i < n; i++) {
		void *v = smap_get(m, keys[i]);

		if (v != (in[i] ? (void *)&vals[i] : NULL)) {
			*bad = i;
			return 0;
		}
		count += in[i] != 0;
	}
	*bad = n;
	return count == m->n;
}

int main(void)
{
	struct smap m = SMAP_INIT, hosts = SMAP_INIT;
	char(*keys)[16] = malloc(MANY * sizeof *keys);
	int *in = calloc(MANY, sizeof *in), *vals = calloc(MANY, sizeof *vals), x = 0, y = 0;
	size_t i, bad = 0, round;
	unsigned r = 12345;

	if (!keys || !in || !vals)
		return 99;
	CHECK(smap_get(&m, "a") == NULL, "an empty map has no \"a\"");
	smap_del(&m, "a", NULL); /* nothing to remove: no crash */
	for (i = 0; i < MANY; i++) {
		snprintf(keys[i], sizeof keys[i], "k%zu", i);
		if (smap_put(&m, keys[i], &vals[i]) < 0)
			return 99;
		in[i] = 1;
	}
	CHECK(agrees(&m, keys, in, vals, MANY, &bad), "%d keys put, each found (first wrong: %zu)",
	      MANY, bad);
	/* removals at random, some put back: the map and the array agree after each round */
	for (round = 0; round < 20; round++) {
		for (i = 0; i < MANY / 10; i++) {
			size_t k;

			r = r * 1103515245u + 12345u;
			k = (r >> 8) % MANY;
			if (in[k] && (r & 1)) {
				smap_del(&m, keys[k], &vals[k]);
				in[k] = 0;
			} else if (!in[k] && smap_put(&m, keys[k], &vals[k]) == 0) {
				in[k] = 1;
			}
		}
		if (!agrees(&m, keys, in, vals, MANY, &bad))
			break;
	}
	CHECK(round == 20,
	      "after removals and puts in round %zu, the map agrees (first wrong: %zu)", round,
	      bad);
	/* a removal names the value it expects: another value stays */
	for (i = 0; i < MANY && !in[i]; i++)
		;
	if (i < MANY) {
		smap_del(&m, keys[i], &x);
		CHECK(smap_get(&m, keys[i]) == &vals[i], "%s stays: removed with another value",
		      keys[i]);
		smap_put(&m, keys[i], &x);
		CHECK(smap_get(&m, keys[i]) == &x, "a put replaces the value of %s", keys[i]);
	}
	smap_fini(&m);
	CHECK(m.n == 0 && smap_get(&m, "k1") == NULL, "an emptied map has nothing");

	hosts.nocase = 1;
	smap_put(&hosts, "Example.ORG", &x);
	smap_put(&hosts, "example.net", &y);
	CHECK(smap_get(&hosts, "example.org") == &x && smap_get(&hosts, "EXAMPLE.NET") == &y,
	      "host names are found whatever their case");
	smap_del(&hosts, "EXAMPLE.org", NULL);
	CHECK(smap_get(&hosts, "example.org") == NULL && hosts.n == 1,
	      "removed whatever its case, the other stays");
	smap_fini(&hosts);
	free(keys);
	free(in);
	free(vals);
	return check_exit();
}
