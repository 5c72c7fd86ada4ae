/* SPDX-License-Identifier: MIT */
/* Every dedup decision the pipeline asks for: a known id (or an id recorded before the link
 * rules of schema version 4), a (feed, guid) alias, a near-duplicate by the rules of dedup.h. */
#ifndef FEEDSPOOL_DEDUP_DECIDE_H
#define FEEDSPOOL_DEDUP_DECIDE_H

#include <stdint.h>

#include "article.h"
#include "buf.h"
#include "dedup.h"
#include "state.h"
#include "store.h"

/* What one run of one feed keeps for dedup: its boilerplate (bounded, not per item). */
struct dedup_run {
	char *feed;
	struct dedup_boiler boiler;
	int loaded;
};
void dedup_run_init(struct dedup_run *d, const char *feed);
/* Saves the boilerplate learned (into the store's open batch; s NULL: nothing saved) and frees
 * it. 0, or the first write's negative code. */
int dedup_run_fini(struct dedup_run *d, struct store *s, int64_t now);

/* Whether a is already known (its id, its id as recorded before version 4, or its (feed, guid)
 * alias): fn(ud, 1), fn(ud, 0), or fn(ud, negative), within the call or later (the store's
 * read). */
void dedup_known(struct store *s, const char *feed, const struct article *a, store_done_fn fn,
		 void *ud);

/* The near-duplicate answer for an article about to be accepted. */
struct dedup_verdict {
	int duplicate;	 /* 1: a copy of match */
	char match[17];
	char why[200];	 /* the rule and distance (debug log, `feedspool dedup`) */
	uint64_t simhash;
	struct buf sketch; /* encoded, to record with the article */
	uint64_t keys[DEDUP_KEYS];
	size_t n_keys;
};
void dedup_verdict_fini(struct dedup_verdict *v);
/* Sketches a, compares it with the candidates the store finds (seen after since; another
 * feed's candidate with that feed's boilerplate), and, when it is distinct, counts its
 * sentences into the run's boilerplate (saved at once into the open batch). Then done(ud, 0)
 * with v filled, or done(ud, negative), within the call or later: d, a and v must live until
 * then, and one run asks one question at a time. */
void dedup_near(struct store *s, struct dedup_run *d, const struct article *a, int64_t since,
		struct dedup_verdict *v, store_done_fn done, void *ud);

#endif
