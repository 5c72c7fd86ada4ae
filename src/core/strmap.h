/* SPDX-License-Identifier: MIT */
/* A map from strings to indexes (open addressing on XXH3 hashes): lookups by name or URL in O(1),
 * so that nothing that handles every feed needs a scan per feed. */
#ifndef FEEDSPOOL_STRMAP_H
#define FEEDSPOOL_STRMAP_H

#include <stddef.h>
#include <stdint.h>

struct strmap_slot {
	const char *key; /* borrowed; NULL marks an empty slot */
	uint64_t hash;
	size_t value;
};

struct strmap {
	struct strmap_slot *v;
	size_t cap, n;
};

#define STRMAP_INIT {NULL, 0, 0}

/* Adds key -> value unless key is there. The map keeps the pointer key: the string must outlive
 * the map and not change. 0 when added, 1 when key was already there (its value, unchanged, in
 * *old when old is not NULL), -ENOMEM. */
int strmap_add(struct strmap *m, const char *key, size_t value, size_t *old);
/* The value stored under key (which may be changed through the pointer), or NULL. */
size_t *strmap_get(const struct strmap *m, const char *key);
void strmap_fini(struct strmap *m);

#endif
