/* SPDX-License-Identifier: MIT */
/* A map from strings to indexes (open addressing on XXH3 hashes): lookups by name or URL in O(1),
 * so that nothing that handles every feed needs a scan per feed. */
#ifndef FEEDSPOOL_STRMAP_H
#define FEEDSPOOL_STRMAP_H

#include <stddef.h>
#include <stdint.h>

struct strmap_slot {
	const char *key; /* borrowed; NULL marks an empty slot */
	uint32_t hash;	 /* of key: a probe compares strings only when these are equal */
	uint32_t value;
};

struct strmap {
	struct strmap_slot *v;
	size_t cap, n;
};

#define STRMAP_INIT {NULL, 0, 0}

/* Adds key -> value (below 2^32: an index) unless key is there. The map keeps the pointer key: the
 * string must outlive the map and not change. 0 when added, 1 when key was already there (its
 * value, unchanged, in *old when old is not NULL), -ENOMEM, -EOVERFLOW for a larger value. */
int strmap_add(struct strmap *m, const char *key, size_t value, size_t *old);
/* 1 and the value stored under key in *value, or 0 when key is not there. */
int strmap_get(const struct strmap *m, const char *key, size_t *value);
void strmap_fini(struct strmap *m);

#endif
