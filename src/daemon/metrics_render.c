/* SPDX-License-Identifier: MIT */
/* The Prometheus text exposition format of the daemon's counters (metrics.h): pure, no I/O. */
#include <errno.h>
#include <inttypes.h>

#include "metrics.h"

static const double bounds[METRICS_DURATION_BUCKETS] = {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

void metrics_observe_duration(struct metrics_values *v, double seconds)
{
	size_t i = 0;

	while (i < METRICS_DURATION_BUCKETS && seconds > bounds[i])
		i++;
	v->duration_buckets[i]++; /* per bucket here; cumulative when rendered */
	v->duration_sum += seconds;
	v->duration_count++;
}

static void family(struct buf *out, const char *name, const char *type, const char *help)
{
	buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void one(struct buf *out, const char *name, const char *type, const char *help, uint64_t v)
{
	family(out, name, type, help);
	buf_printf(out, "%s %" PRIu64 "\n", name, v);
}

/* A label value with \, " and newlines escaped, as the format asks. */
static void label(struct buf *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			buf_putc(out, '\\');
		if (*s == '\n')
			buf_puts(out, "\\n");
		else
			buf_putc(out, *s);
	}
}

static void render_fetches(const struct metrics_values *v, struct buf *out)
{
	static const char *names[] = {"ok", "not_modified", "error", "parse_error", "skipped"};
	uint64_t counts[] = {v->fetch_ok, v->fetch_not_modified, v->fetch_error,
			     v->fetch_parse_error, v->fetch_skipped};
	uint64_t cum = 0;

	family(out, "feedspool_fetches_total", "counter", "Feed fetches by result.");
	for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
		buf_printf(out, "feedspool_fetches_total{result=\"%s\"} %" PRIu64 "\n", names[i], counts[i]);
	one(out, "feedspool_fetch_bytes_total", "counter", "Response bytes received (after decompression).",
	    v->fetch_bytes);
	family(out, "feedspool_fetch_duration_seconds", "histogram", "Time from the start of a fetch to its outcome.");
	for (size_t i = 0; i < METRICS_DURATION_BUCKETS; i++) {
		cum += v->duration_buckets[i];
		buf_printf(out, "feedspool_fetch_duration_seconds_bucket{le=\"%g\"} %" PRIu64 "\n",
			   bounds[i], cum);
	}
	cum += v->duration_buckets[METRICS_DURATION_BUCKETS];
	buf_printf(out, "feedspool_fetch_duration_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n", cum);
	buf_printf(out, "feedspool_fetch_duration_seconds_sum %.6f\n", v->duration_sum);
	buf_printf(out, "feedspool_fetch_duration_seconds_count %" PRIu64 "\n", v->duration_count);
}

static void render_articles(const struct metrics_values *v, struct buf *out)
{
	static const char *names[] = {"new", "revision", "duplicate", "dropped", "failed"};
	uint64_t counts[] = {v->articles_new, v->articles_revision, v->articles_duplicate,
			     v->articles_dropped, v->articles_failed};

	family(out, "feedspool_articles_total", "counter",
	       "Articles by fate: written (new, revision), duplicate, dropped by a filter, failed.");
	for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
		buf_printf(out, "feedspool_articles_total{fate=\"%s\"} %" PRIu64 "\n", names[i], counts[i]);
}

static void render_filters(const struct metrics_filter *f, size_t n, struct buf *out)
{
	static const char *verdicts[] = {"kept", "dropped", "error"};

	if (!n)
		return;
	family(out, "feedspool_filter_verdicts_total", "counter", "Filter plugin verdicts by filter.");
	for (size_t i = 0; i < n; i++) {
		uint64_t counts[] = {f[i].kept, f[i].dropped, f[i].errors};

		for (size_t k = 0; k < 3; k++) {
			buf_puts(out, "feedspool_filter_verdicts_total{filter=\"");
			label(out, f[i].name);
			buf_printf(out, "\",verdict=\"%s\"} %" PRIu64 "\n", verdicts[k], counts[k]);
		}
	}
}

int metrics_render(const struct metrics_values *v, const struct metrics_filter *filters,
		   size_t n_filters, struct buf *out)
{
	size_t before = out->len;

	render_fetches(v, out);
	render_articles(v, out);
	render_filters(filters, n_filters, out);
	one(out, "feedspool_feeds", "gauge", "Feeds configured.", v->feeds);
	one(out, "feedspool_feeds_failing", "gauge", "Feeds whose last fetch failed.", v->feeds_failing);
	one(out, "feedspool_feeds_paused", "gauge", "Feeds paused by feedspool ctl.", v->feeds_paused);
	one(out, "feedspool_feeds_active", "gauge", "Feeds being fetched or processed now.", v->feeds_active);
	one(out, "feedspool_spool_pending", "gauge", "Articles in the spool's new/ directory.", v->spool_pending);
	one(out, "feedspool_spool_waiting", "gauge", "Articles recorded, waiting for room in new/.", v->spool_waiting);
	one(out, "feedspool_state_trouble", "gauge", "1 while the state cannot be written.", (uint64_t)v->state_trouble);
	one(out, "feedspool_sink_trouble", "gauge", "1 while the sink cannot be written.", (uint64_t)v->sink_trouble);
	one(out, "feedspool_start_time_seconds", "gauge", "When the daemon started (Unix time).",
	    (uint64_t)v->start_time);
	return out->len > before && out->data ? 0 : -ENOMEM;
}
