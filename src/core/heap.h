/* SPDX-License-Identifier: MIT */
/* A binary min-heap of nodes embedded in their owners (ordered by an int64 key, ties in order
 * of insertion), with removal and re-keying of any node in O(log n): the feeds' due times. */
#ifndef FEEDSPOOL_HEAP_H
#define FEEDSPOOL_HEAP_H

#include <stddef.h>
#include <stdint.h>

struct heap_node {
	int64_t key;
	uint64_t seq;
	size_t at; /* its index + 1, 0 when not in a heap */
};

struct heap {
	struct heap_node **v;
	size_t n, cap;
	uint64_t seq;
};

#define HEAP_INIT {NULL, 0, 0, 0}

/* Inserts x with key, or moves it there when it is in already: 0, or -ENOMEM. */
int heap_set(struct heap *h, struct heap_node *x, int64_t key);
void heap_remove(struct heap *h, struct heap_node *x);
/* The node with the smallest key, NULL when empty. */
struct heap_node *heap_top(const struct heap *h);
void heap_fini(struct heap *h);

#endif
