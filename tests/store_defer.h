/* SPDX-License-Identifier: MIT */
/* A store for tests whose reads and commits answer later, from the loop (store_defer.c). */
#ifndef FEEDSPOOL_TEST_STORE_DEFER_H
#define FEEDSPOOL_TEST_STORE_DEFER_H

#include <uv.h>

#include "store.h"

struct store_defer_stats {
	unsigned long deferred, answered; /* calls answered later, and how many have been */
	unsigned long commits, failed;
};

/* Wraps inner (which stays the caller's); closed through its ops->close, after which the loop
 * must run once more. NULL when memory runs out. */
struct store *store_defer_new(uv_loop_t *loop, struct store *inner);
/* The nth commit from now (1: the next) is rolled back and answers -EIO. */
void store_defer_fail_commit(struct store *s, int nth);
/* The next commit whose batch records an article (staged: SEEN_SPOOLING) fails so. */
void store_defer_fail_records(struct store *s);
void store_defer_stats(const struct store *s, struct store_defer_stats *out);

#endif
