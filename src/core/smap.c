/* SPDX-License-Identifier: MIT */
/* The string map: chained buckets that double when the load passes 1. */
#include "smap.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <xxhash.h>

struct smap_entry {
	struct smap_entry *next;
	const char *key;
	void *value;
	uint64_t h;
};

static uint64_t hash(const struct smap *m, const char *key)
{
	char low[256];
	size_t i, n = strlen(key);

	if (!m->nocase || n >= sizeof low)
		return XXH3_64bits(key, n);
	for (i = 0; i < n; i++)
		low[i] = (char)tolower((unsigned char)key[i]);
	return XXH3_64bits(low, n);
}

static int same(const struct smap *m, const char *a, const char *b)
{
	return m->nocase ? strcasecmp(a, b) == 0 : strcmp(a, b) == 0;
}

static struct smap_entry **slot(const struct smap *m, const char *key, uint64_t h)
{
	struct smap_entry **e = &m->b[h & (m->cap - 1)];

	while (*e && !((*e)->h == h && same(m, (*e)->key, key)))
		e = &(*e)->next;
	return e;
}

void *smap_get(const struct smap *m, const char *key)
{
	struct smap_entry **e;

	if (!m->n)
		return NULL;
	e = slot(m, key, hash(m, key));
	return *e ? (*e)->value : NULL;
}

static int grow(struct smap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 64, i;
	struct smap_entry **b = calloc(cap, sizeof *b), *e;

	if (!b)
		return -ENOMEM;
	for (i = 0; i < m->cap; i++) {
		while ((e = m->b[i])) {
			m->b[i] = e->next;
			e->next = b[e->h & (cap - 1)];
			b[e->h & (cap - 1)] = e;
		}
	}
	free(m->b);
	m->b = b;
	m->cap = cap;
	return 0;
}

int smap_put(struct smap *m, const char *key, void *value)
{
	uint64_t h = hash(m, key);
	struct smap_entry **e, *n;

	if (m->n >= m->cap && grow(m) < 0)
		return -ENOMEM;
	e = slot(m, key, h);
	if (*e) {
		(*e)->key = key;
		(*e)->value = value;
		return 0;
	}
	if (!(n = calloc(1, sizeof *n)))
		return -ENOMEM;
	n->key = key;
	n->value = value;
	n->h = h;
	*e = n;
	m->n++;
	return 0;
}

void smap_del(struct smap *m, const char *key, const void *value)
{
	struct smap_entry **e, *x;

	if (!m->n)
		return;
	e = slot(m, key, hash(m, key));
	if (!(x = *e) || (value && x->value != value))
		return;
	*e = x->next;
	free(x);
	m->n--;
}

void smap_fini(struct smap *m)
{
	size_t i;
	struct smap_entry *e;

	for (i = 0; i < m->cap; i++)
		while ((e = m->b[i])) {
			m->b[i] = e->next;
			free(e);
		}
	free(m->b);
	m->b = NULL;
	m->cap = m->n = 0;
}
