/* SPDX-License-Identifier: MIT */
/* The metrics and the control socket of a running daemon (ops.h). */
#include "autoconfig.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "log.h"
#include "metrics.h"
#include "ops.h"

struct ops {
	struct ops_env env;
	struct metrics *metrics;
	struct ctl *ctl;
	struct metrics_values v; /* the counters; the gauges are filled at each render */
	uv_timer_t timer;
	int timer_on;
};

void ops_recorded(struct ops *o, const struct feeds_report *r)
{
	if (!o)
		return;
	if (r->not_fetched) {
		o->v.fetch_skipped++;
		return;
	}
	if (r->transfer_failed || (!r->ok && !r->parse_failed))
		o->v.fetch_error++;
	else if (r->parse_failed)
		o->v.fetch_parse_error++;
	else if (r->status == 304)
		o->v.fetch_not_modified++;
	else
		o->v.fetch_ok++;
	o->v.fetch_bytes += r->bytes;
	metrics_observe_duration(&o->v, r->seconds);
}

/* Renders the exposition text from the counters and the daemon's gauges, and publishes it. */
static void on_timer(uv_timer_t *t)
{
	struct ops *o = t->data;
	struct filter_chain *ch = *o->env.chain;
	struct metrics_filter mf[64];
	struct filter_stats st[64];
	struct pipeline_totals tot;
	struct buf text = BUF_INIT;
	size_t n = 0, failing, paused;
	int stalled = pipeline_stalled(o->env.pl);

	pipeline_totals(o->env.pl, &tot);
	o->v.articles_new = tot.fresh - tot.revisions;
	o->v.articles_revision = tot.revisions;
	o->v.articles_duplicate = tot.duplicate;
	o->v.articles_dropped = tot.dropped;
	o->v.articles_failed = tot.failed;
	feeds_counts(o->env.feeds, &failing, &paused);
	o->v.feeds = feeds_count(o->env.feeds);
	o->v.feeds_failing = failing;
	o->v.feeds_paused = paused;
	o->v.feeds_active = feeds_busy(o->env.feeds);
	o->v.spool_pending = spool_pending(o->env.sp);
	o->v.spool_waiting = pipeline_waiting(o->env.pl);
	o->v.state_trouble = o->v.sink_trouble = stalled != 0;
	for (size_t i = 0; ch && i < filter_chain_count(ch) && n < 64; i++)
		if (filter_chain_stats(ch, i, &st[n]) == 0) {
			mf[n] = (struct metrics_filter){st[n].name, st[n].kept, st[n].dropped, st[n].errors};
			n++;
		}
	if (metrics_render(&o->v, mf, n, &text) == 0)
		metrics_publish(o->metrics, text.data, text.len);
	metrics_set_health(o->metrics, !stalled,
			   stalled ? "the spool or the state cannot be written (intake stopped)" : NULL);
	buf_fini(&text);
}

/* ---- the control socket's operations ------------------------------------------------------- */

static int op_refresh(void *ud, const char *feed, struct buf *err)
{
	struct ops *o = ud;
	int rc = feeds_refresh(o->env.feeds, feed, err);

	if (rc == 0) {
		log_info("%s%s: refresh asked (feedspool ctl)", feed ? "feed " : "every feed",
			 feed ? feed : "");
		o->env.kick(o->env.ud);
	}
	return rc;
}

static int pause_or_resume(struct ops *o, const char *feed, int paused, struct buf *err)
{
	int rc = feeds_pause(o->env.feeds, feed, paused, err);

	if (rc == 0) {
		log_info("feed %s: %s (feedspool ctl)", feed, paused ? "paused" : "resumed");
		o->env.kick(o->env.ud);
	}
	return rc;
}

static int op_pause(void *ud, const char *feed, struct buf *err)
{
	return pause_or_resume(ud, feed, 1, err);
}

static int op_resume(void *ud, const char *feed, struct buf *err)
{
	return pause_or_resume(ud, feed, 0, err);
}

static json_t *op_status(void *ud)
{
	struct ops *o = ud;
	struct pipeline_totals t;

	pipeline_totals(o->env.pl, &t);
	return json_pack("{sIsIsIsIsIsIso}", "feeds_configured", (json_int_t)feeds_count(o->env.feeds),
			 "fetching", (json_int_t)feeds_busy(o->env.feeds), "new", (json_int_t)t.fresh,
			 "duplicate", (json_int_t)t.duplicate, "dropped", (json_int_t)t.dropped,
			 "spool_pending", (json_int_t)spool_pending(o->env.sp), "feeds",
			 feeds_status(o->env.feeds));
}

static const struct ctl_ops ctl_ops = {op_refresh, op_pause, op_resume, op_status};

struct ops *ops_start(const struct ops_env *env, const char *metrics, const char *ctl_path,
		      struct buf *err)
{
	struct ops *o = calloc(1, sizeof *o);

	if (!o)
		return NULL;
	o->env = *env;
	o->v.start_time = (int64_t)time(NULL);
	uv_timer_init(env->loop, &o->timer);
	o->timer.data = o;
	if (metrics && strcmp(metrics, "no") != 0) {
		if (!(o->metrics = metrics_new(metrics, err)))
			goto fail;
		uv_timer_start(&o->timer, on_timer, 0, 1000);
		uv_unref((uv_handle_t *)&o->timer);
		log_info("metrics on http://%s/metrics", metrics);
	}
	if (ctl_path && !(o->ctl = ctl_start(env->loop, ctl_path, &ctl_ops, o, err)))
		goto fail;
	return o;
fail:
	ops_stop(o);
	return NULL;
}

static void on_timer_closed(uv_handle_t *h)
{
	free(h->data);
}

void ops_stop(struct ops *o)
{
	if (!o)
		return;
	metrics_free(o->metrics); /* joins its thread: no request is served after this */
	ctl_stop(o->ctl);
	uv_close((uv_handle_t *)&o->timer, on_timer_closed);
}
