/* SPDX-License-Identifier: MIT */
/* The min-heap: an array of node pointers, each node knowing its index. */
#include "heap.h"

#include <errno.h>
#include <stdlib.h>

static int less(const struct heap_node *a, const struct heap_node *b)
{
	return a->key < b->key || (a->key == b->key && a->seq < b->seq);
}

static void place(struct heap *h, size_t i, struct heap_node *x)
{
	h->v[i] = x;
	x->at = i + 1;
}

static void up(struct heap *h, size_t i)
{
	struct heap_node *x = h->v[i];

	while (i > 0 && less(x, h->v[(i - 1) / 2])) {
		place(h, i, h->v[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	place(h, i, x);
}

static void down(struct heap *h, size_t i)
{
	struct heap_node *x = h->v[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= h->n)
			break;
		if (c + 1 < h->n && less(h->v[c + 1], h->v[c]))
			c++;
		if (!less(h->v[c], x))
			break;
		place(h, i, h->v[c]);
		i = c;
	}
	place(h, i, x);
}

int heap_set(struct heap *h, struct heap_node *x, int64_t key)
{
	if (x->at) {
		x->key = key;
		x->seq = h->seq++;
		up(h, x->at - 1);
		down(h, x->at - 1);
		return 0;
	}
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 64;
		struct heap_node **v = realloc(h->v, cap * sizeof *v);

		if (!v)
			return -ENOMEM;
		h->v = v;
		h->cap = cap;
	}
	x->key = key;
	x->seq = h->seq++;
	place(h, h->n++, x);
	up(h, h->n - 1);
	return 0;
}

void heap_remove(struct heap *h, struct heap_node *x)
{
	size_t i;
	struct heap_node *last;

	if (!x->at)
		return;
	i = x->at - 1;
	x->at = 0;
	last = h->v[--h->n];
	if (i == h->n)
		return;
	place(h, i, last);
	up(h, i);
	down(h, last->at - 1);
}

struct heap_node *heap_top(const struct heap *h)
{
	return h->n ? h->v[0] : NULL;
}

void heap_fini(struct heap *h)
{
	free(h->v);
	h->v = NULL;
	h->n = h->cap = 0;
}
