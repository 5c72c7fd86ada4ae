/* SPDX-License-Identifier: MIT */
/* A map from borrowed strings to indexes: linear probing, at most three quarters full, 16-byte
 * slots that keep 32 bits of the hash so that a probe compares strings only when those match. */
#include "autoconfig.h"

#include "strmap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

static struct strmap_slot *probe(const struct strmap *m, const char *key, uint32_t h)
{
	size_t mask = m->cap - 1, i;

	for (i = (size_t)h & mask; m->v[i].key; i = (i + 1) & mask)
		if (m->v[i].hash == h && !strcmp(m->v[i].key, key))
			break;
	return &m->v[i];
}

static int grow(struct strmap *m)
{
	struct strmap next = {NULL, m->cap ? m->cap * 2 : 64, m->n};
	size_t i;

	next.v = calloc(next.cap, sizeof *next.v);
	if (!next.v)
		return -ENOMEM;
	for (i = 0; i < m->cap; i++)
		if (m->v[i].key)
			*probe(&next, m->v[i].key, m->v[i].hash) = m->v[i];
	free(m->v);
	*m = next;
	return 0;
}

int strmap_add(struct strmap *m, const char *key, size_t value, size_t *old)
{
	uint32_t h = (uint32_t)XXH3_64bits(key, strlen(key));
	struct strmap_slot *s;

	if (value > UINT32_MAX)
		return -EOVERFLOW;
	if ((m->n + 1) * 4 > m->cap * 3 && grow(m) < 0)
		return -ENOMEM;
	s = probe(m, key, h);
	if (s->key) {
		if (old)
			*old = s->value;
		return 1;
	}
	s->key = key;
	s->hash = h;
	s->value = (uint32_t)value;
	m->n++;
	return 0;
}

int strmap_get(const struct strmap *m, const char *key, size_t *value)
{
	struct strmap_slot *s;

	if (!m->cap)
		return 0;
	s = probe(m, key, (uint32_t)XXH3_64bits(key, strlen(key)));
	if (!s->key)
		return 0;
	*value = s->value;
	return 1;
}

void strmap_fini(struct strmap *m)
{
	free(m->v);
	m->v = NULL;
	m->cap = m->n = 0;
}
