/* SPDX-License-Identifier: MIT */
/* The host side of filter plugins: loading shared objects, ABI checks, and the filter chain that
 * judges each article (verdicts, deferred answers, annotations, counters). */
#ifndef FEEDSPOOL_PLUGIN_HOST_H
#define FEEDSPOOL_PLUGIN_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "article.h"
#include "buf.h"
#include "config.h"

/* Where `plugin = NAME` is looked up before the configured plugin_dir (tests, the build tree). */
#define PLUGIN_DIR_ENV "FEEDSPOOL_PLUGIN_DIR"

/* What the chain decided for one article. */
enum filter_outcome {
	FILTER_KEEP = 0,
	FILTER_DROP = 1,
};

/* Called exactly once per article given to filter_chain_run, possibly before that returns.
 * dropped_by is the name of the filter that dropped the article (NULL when kept), valid as long
 * as the chain; reason is what the filters said about their verdicts ("NAME: why; ..."), NULL
 * when none said anything, borrowed for the call. The callback must not free the chain. */
typedef void (*filter_done_fn)(void *ud, enum filter_outcome outcome, const char *dropped_by,
			       const char *reason);

/* Counters of one filter since the chain was built. */
struct filter_stats {
	const char *name, *plugin;	/* the filter's name and the plugin's file (chain-owned) */
	uint64_t kept, dropped, errors; /* answers by kind (an error counts as an error whatever
					   on_error then decides) */
	uint64_t pending;		/* answers that came later through host->complete() */
	uint64_t in_flight;		/* calls waiting for their answer now */
	uint64_t ns; /* time spent inside the plugin's filter() (CLOCK_MONOTONIC) */
};

struct filter_chain;

/* Loads the plugins of c->filters (each shared object once) and creates one instance per
 * [filter] section, in order. uv_loop (a uv_loop_t *, may be NULL) is handed to plugins. On any
 * error returns NULL with "FILE:LINE: filter NAME: ..." lines in err (every filter is tried, so
 * all the problems are reported). The chain keeps no pointer into c. */
struct filter_chain *filter_chain_new(const struct config *c, void *uv_loop, struct buf *err);
/* Abandons the calls still pending (each completed as an error: its filter's on_error applies
 * and the article goes on through the chain, its done callback is called), then finishes every
 * instance and unloads the plugins. Accepts NULL. */
void filter_chain_free(struct filter_chain *ch);

/* Runs a through the filters in order until one drops it, then calls done. feed (may be NULL)
 * gives the article view its feed name, url and title (copied). a is borrowed until done is
 * called; annotations are added to it (article_add_topic, article_add_tag). Returns 0 (done
 * will be, or has been, called) or -ENOMEM (done will not be called). */
int filter_chain_run(struct filter_chain *ch, struct article *a, const struct feed_info *feed,
		     filter_done_fn done, void *ud);

/* The number of filters, and the counters of filter i (0 or -ERANGE). */
size_t filter_chain_count(const struct filter_chain *ch);
int filter_chain_stats(const struct filter_chain *ch, size_t i, struct filter_stats *out);
/* Articles given to filter_chain_run whose done callback has not been called yet. */
size_t filter_chain_in_flight(const struct filter_chain *ch);

#endif
