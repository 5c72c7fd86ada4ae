/* SPDX-License-Identifier: MIT */
/* Prometheus metrics and a health check over HTTP (`metrics = ADDRESS:PORT`), served by
 * libmicrohttpd on a thread of its own. The loop never shares live counters with that thread:
 * it renders the text exposition format from a struct metrics_values into a snapshot
 * (metrics_publish, every second or so) and the server hands out the latest snapshot. */
#ifndef FEEDSPOOL_METRICS_H
#define FEEDSPOOL_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Upper bounds of the fetch duration histogram, in seconds (+Inf is implied). */
#define METRICS_DURATION_BUCKETS 10

/* Everything the daemon reports; counters count since start. */
struct metrics_values {
	/* fetches by result */
	uint64_t fetch_ok, fetch_not_modified, fetch_error, fetch_parse_error, fetch_skipped;
	uint64_t fetch_bytes;
	uint64_t duration_buckets[METRICS_DURATION_BUCKETS + 1]; /* cumulative at render time */
	double duration_sum;
	uint64_t duration_count;
	/* articles by fate */
	uint64_t articles_new, articles_revision, articles_duplicate, articles_dropped,
		articles_failed;
	/* gauges */
	uint64_t feeds, feeds_failing, feeds_paused, feeds_active;
	uint64_t spool_pending, spool_waiting;
	int state_trouble, sink_trouble; /* 1 while the state or the sink cannot be written */
	int64_t start_time;
};

/* Per filter plugin: what it kept, dropped, and failed on. */
struct metrics_filter {
	const char *name;
	uint64_t kept, dropped, errors;
};

/* Counts one fetch's duration into the histogram. */
void metrics_observe_duration(struct metrics_values *v, double seconds);
/* Renders the text exposition format (version 0.0.4) into out (appended). 0 or -ENOMEM. */
int metrics_render(const struct metrics_values *v, const struct metrics_filter *filters,
		   size_t n_filters, struct buf *out);

struct metrics;

/* Listens on addr ("127.0.0.1:9464", "[::1]:9464", "0.0.0.0:9464"); NULL with a message in
 * err. Until the first metrics_publish, /metrics answers 503. */
struct metrics *metrics_new(const char *addr, struct buf *err);
/* The port actually bound (useful with port 0). */
unsigned metrics_port(const struct metrics *m);
/* Replaces the snapshot served at /metrics (copied). */
int metrics_publish(struct metrics *m, const char *text, size_t len);
/* /healthz: 200 "ok" while healthy, else 503 with the reason (copied). */
void metrics_set_health(struct metrics *m, int healthy, const char *why);
/* Stops the server (joins its thread) and frees m; accepts NULL. */
void metrics_free(struct metrics *m);

#endif
