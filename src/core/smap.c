/* SPDX-License-Identifier: MIT */
/* The string map: linear probing in one array of slots, at most three quarters full; a slot
 * keeps 32 bits of the key's hash so that a probe compares strings only when those match, and
 * a removal shifts the slots after it back (no tombstones). One allocation per map, whatever
 * its size: emptying a map leaves no small holes in the heap. */
#include "smap.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <xxhash.h>

struct smap_slot {
	const char *key; /* NULL: empty */
	void *value;
	uint32_t h;
};

static uint32_t hash(const struct smap *m, const char *key)
{
	char low[256];
	size_t i, n = strlen(key);

	if (!m->nocase || n >= sizeof low)
		return (uint32_t)XXH3_64bits(key, n);
	for (i = 0; i < n; i++)
		low[i] = (char)tolower((unsigned char)key[i]);
	return (uint32_t)XXH3_64bits(low, n);
}

static int same(const struct smap *m, const char *a, const char *b)
{
	return m->nocase ? strcasecmp(a, b) == 0 : strcmp(a, b) == 0;
}

/* key's slot, or the empty slot where it would go. */
static struct smap_slot *probe(const struct smap *m, const char *key, uint32_t h)
{
	size_t mask = m->cap - 1, i;

	for (i = h & mask; m->v[i].key; i = (i + 1) & mask)
		if (m->v[i].h == h && same(m, m->v[i].key, key))
			break;
	return &m->v[i];
}

void *smap_get(const struct smap *m, const char *key)
{
	struct smap_slot *s;

	if (!m->n)
		return NULL;
	s = probe(m, key, hash(m, key));
	return s->key ? s->value : NULL;
}

static int grow(struct smap *m)
{
	struct smap next = {NULL, m->cap ? m->cap * 2 : 64, m->n, m->nocase};
	size_t i;

	if (!(next.v = calloc(next.cap, sizeof *next.v)))
		return -ENOMEM;
	for (i = 0; i < m->cap; i++)
		if (m->v[i].key)
			*probe(&next, m->v[i].key, m->v[i].h) = m->v[i];
	free(m->v);
	*m = next;
	return 0;
}

int smap_put(struct smap *m, const char *key, void *value)
{
	uint32_t h = hash(m, key);
	struct smap_slot *s;

	if ((m->n + 1) * 4 > m->cap * 3 && grow(m) < 0)
		return -ENOMEM;
	s = probe(m, key, h);
	if (!s->key) {
		s->h = h;
		m->n++;
	}
	s->key = key;
	s->value = value;
	return 0;
}

void smap_del(struct smap *m, const char *key, const void *value)
{
	size_t mask = m->cap - 1, i, j, home;
	struct smap_slot *s;

	if (!m->n)
		return;
	s = probe(m, key, hash(m, key));
	if (!s->key || (value && s->value != value))
		return;
	/* the slots after it that could not sit in their home slot move back into the gap */
	i = (size_t)(s - m->v);
	for (j = (i + 1) & mask; m->v[j].key; j = (j + 1) & mask) {
		home = m->v[j].h & mask;
		if (((j - home) & mask) >= ((j - i) & mask)) {
			m->v[i] = m->v[j];
			i = j;
		}
	}
	m->v[i].key = NULL;
	m->n--;
}

void smap_fini(struct smap *m)
{
	free(m->v);
	m->v = NULL;
	m->cap = m->n = 0;
}
