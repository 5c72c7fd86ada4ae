/* SPDX-License-Identifier: MIT */
/* A set of article ids: open addressing with linear probing, at most half full. */
#include "autoconfig.h"

#include "idset.h"

#include <stdlib.h>
#include <string.h>

static int grow(struct idset *set)
{
	size_t cap = set->cap ? set->cap * 2 : 64, i, j;
	uint64_t *t = calloc(cap, sizeof *t);

	if (!t)
		return -1;
	for (j = 0; j < set->cap; j++) {
		if (!set->v[j])
			continue;
		for (i = set->v[j] & (cap - 1); t[i]; i = (i + 1) & (cap - 1))
			;
		t[i] = set->v[j];
	}
	free(set->v);
	set->v = t;
	set->cap = cap;
	return 0;
}

int idset_add(struct idset *set, const char *id)
{
	uint64_t v = strtoull(id, NULL, 16);
	size_t i, mask;

	if (v == 0) {
		if (set->has_zero)
			return 1;
		set->has_zero = 1;
		set->n++;
		return 0;
	}
	if ((set->n + 1) * 2 > set->cap && grow(set) < 0)
		return 0;
	mask = set->cap - 1;
	for (i = v & mask; set->v[i]; i = (i + 1) & mask)
		if (set->v[i] == v)
			return 1;
	set->v[i] = v;
	set->n++;
	return 0;
}

void idset_clear(struct idset *set)
{
	if (set->v)
		memset(set->v, 0, set->cap * sizeof *set->v);
	set->n = 0;
	set->has_zero = 0;
}

void idset_fini(struct idset *set)
{
	free(set->v);
	set->v = NULL;
	set->cap = set->n = 0;
	set->has_zero = 0;
}
