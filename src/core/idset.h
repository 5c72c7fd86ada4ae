/* SPDX-License-Identifier: MIT */
/* A set of article ids (16 hex digits), kept as their 64-bit values in an open-addressing table. */
#ifndef FEEDSPOOL_IDSET_H
#define FEEDSPOOL_IDSET_H

#include <stddef.h>
#include <stdint.h>

struct idset {
	uint64_t *v; /* 0 marks an empty slot */
	size_t cap, n;
	int has_zero; /* the id 0000000000000000, which has no slot */
};

#define IDSET_INIT {NULL, 0, 0, 0}

/* 1 when id was already in the set, 0 when it was added (or memory ran out: then it is not). */
int idset_add(struct idset *set, const char *id);
/* Empties the set, keeping its memory. */
void idset_clear(struct idset *set);
void idset_fini(struct idset *set);

#endif
