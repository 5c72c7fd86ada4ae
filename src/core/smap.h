/* SPDX-License-Identifier: MIT */
/* A map from strings to pointers (open addressing, XXH3), for lookups by name, URL or host in
 * O(1). Keys are borrowed: each must outlive its entry (it is usually a field of the value). */
#ifndef FEEDSPOOL_SMAP_H
#define FEEDSPOOL_SMAP_H

#include <stddef.h>

struct smap_slot;

struct smap {
	struct smap_slot *v;
	size_t cap, n;
	int nocase; /* keys compare without case (host names) */
};

#define SMAP_INIT {NULL, 0, 0, 0}

void *smap_get(const struct smap *m, const char *key);
/* Sets key's value (replacing one there): 0, or -ENOMEM. */
int smap_put(struct smap *m, const char *key, void *value);
/* Removes key when it maps to value (NULL: whatever it maps to). */
void smap_del(struct smap *m, const char *key, const void *value);
void smap_fini(struct smap *m);

#endif
