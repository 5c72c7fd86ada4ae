/* SPDX-License-Identifier: MIT */
/* What operators see of a running daemon and ask of it: the metrics (`metrics = ADDRESS:PORT`,
 * metrics.h) rendered from the daemon's counters every second, and the control socket
 * (`feedspool ctl`, ctl.h) answered through the feeds. Loop thread only. */
#ifndef FEEDSPOOL_OPS_H
#define FEEDSPOOL_OPS_H

#include <uv.h>

#include "buf.h"
#include "feeds.h"
#include "pipeline.h"
#include "plugin.h"
#include "spool.h"

struct ops_env {
	uv_loop_t *loop;
	struct feeds *feeds;
	struct pipeline *pl;
	struct spool *sp;
	struct filter_chain *const *chain; /* the current chain (a reload replaces it) */
	void (*kick)(void *ud);            /* the schedule changed: look at it again */
	void *ud;
};

struct ops;

/* metrics: "no" or ADDRESS:PORT; ctl_path: the control socket, or NULL for none. NULL with a
 * message in err when either cannot be opened. */
struct ops *ops_start(const struct ops_env *env, const char *metrics, const char *ctl_path,
		      struct buf *err);
/* One fetch's outcome, for the counters. */
void ops_recorded(struct ops *o, const struct feeds_report *r);
/* Stops both (the socket removed); frees from the loop. Accepts NULL. */
void ops_stop(struct ops *o);

#endif
