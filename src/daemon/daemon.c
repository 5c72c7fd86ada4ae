/* SPDX-License-Identifier: MIT */
/* The daemon process: start-up order, the loop and its timers, signals (TERM/INT stop, HUP
 * reload = swap the configuration and filter chain, then reconcile the feeds), systemd
 * notification and `once`'s summary. Each feed's life is feeds.c's; the outcome policy is
 * outcome.c's. */
#include "autoconfig.h"

#include "daemon.h"
#include "daemon_store.h"
#include "feeds_lease.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jansson.h>
#include <uv.h>
#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "config.h"
#include "feeds.h"
#include "fetch.h"
#include "fulltext.h"
#include "ctl.h"
#include "log.h"
#include "ops.h"
#include "pipeline.h"
#include "plugin.h"
#include "instance.h"
#include "preflight.h"
#include "schedule.h"
#include "sink_nats.h"
#include "spool.h"
#include "state.h"
#include "store.h"
#include "store_pg.h"

#define STOP_GRACE_MS 1500 /* in-flight work is abandoned after this, well within 5 s */
#define TICK_MAX_MS 60000

struct daemon {
	uv_loop_t loop;
	const struct daemon_opts *o;
	struct config *cfg;
	struct daemon_store ds; /* SQLite or PostgreSQL */
	struct store *store;    /* ds's: the state as the pipeline and the feeds reach it */
	struct spool *sp;
	struct pipeline *pl;
	struct filter_chain *chain;
	struct fetcher *fetcher;
	struct feeds *feeds;
	struct lease_sched *leases; /* `run` on PostgreSQL: the database's schedule */
	struct ops *ops; /* `run`: metrics and the control socket */
	uv_timer_t tick, status_timer, watchdog_timer, stop_timer, expire_timer;
	uv_signal_t sig_term, sig_int, sig_hup;
	int stopping, closing;
	int held_back; /* back-pressure: fetches wait for readers */
	size_t once_total, once_done, once_failed;
	struct buf failed; /* `once`'s summary: " (a, b, c)" */
	int exit_code;
};

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

static void notify(const char *msg)
{
#ifdef HAVE_SYSTEMD
	sd_notify(0, msg);
#else
	(void)msg;
#endif
}

static void arm_tick(struct daemon *d);
static void maybe_finish(struct daemon *d);

/* ---- the full text and the filter chain, as the pipeline's judge ---------------------------- */

struct judging {
	struct daemon *d;
	struct article *a;
	const struct feed_info *f;
	pipeline_judge_done done;
	void *job;
};

static void on_chain_done(void *ud, enum filter_outcome outcome, const char *dropped_by,
			  const char *reason)
{
	struct judging *j = ud;

	if (outcome == FILTER_DROP)
		log_debug("dropped by filter %s%s%s", dropped_by ? dropped_by : "?", reason ? ": " : "",
			  reason ? reason : "");
	j->done(j->job, outcome == FILTER_KEEP);
	free(j);
}

static void run_chain(struct judging *j)
{
	if (!j->d->chain) {
		j->done(j->job, 1);
		free(j);
	} else if (filter_chain_run(j->d->chain, j->a, j->f, on_chain_done, j) < 0) {
		j->done(j->job, 1); /* no memory to judge: keep, as on_error = keep would */
		free(j);
	}
}

static void on_fulltext(void *ud)
{
	run_chain(ud);
}

/* Articles go through the judge when there is a filter chain or a feed asks for full text. */
static int needs_judge(const struct config *c, const struct filter_chain *chain)
{
	if (chain || strcmp(c->defaults.fulltext, "no"))
		return 1;
	for (size_t i = 0; i < c->n_feeds; i++)
		if (strcmp(c->feeds[i].s.fulltext, "no"))
			return 1;
	return 0;
}

static void judge(void *ud, struct article *a, const struct feed_info *f, pipeline_judge_done done,
		  void *job)
{
	struct daemon *d = ud;
	struct judging *j = malloc(sizeof *j);
	const struct feed_conf *fc;

	if (!j) {
		done(job, 1);
		return;
	}
	/* set before running: the chain may answer before filter_chain_run returns */
	*j = (struct judging){d, a, f, done, job};
	fc = config_feed(d->cfg, f->name);
	if (fc && fulltext_wanted(a, fc) && fulltext_start(d->fetcher, a, fc, on_fulltext, j) == 0)
		return;
	run_chain(j);
}

/* ---- status ----------------------------------------------------------------------------------- */

static void status_line(struct daemon *d, char *out, size_t n)
{
	struct pipeline_totals t;

	pipeline_totals(d->pl, &t);
	snprintf(out, n,
		 "%zu feeds, %zu fetching; %" PRIu64 " new, %" PRIu64 " duplicate, %" PRIu64
		 " dropped, %" PRIu64 " failed; %zu in new/",
		 feeds_count(d->feeds), feeds_busy(d->feeds), t.fresh, t.duplicate, t.dropped, t.failed,
		 spool_pending(d->sp));
}

/* The filter counters, kept in the state for `feedspool feeds` (a JSON array). */
static void save_filter_stats(struct daemon *d)
{
	json_t *arr;
	char *text;
	size_t i;

	if (!d->chain)
		return;
	arr = json_array();
	for (i = 0; arr && i < filter_chain_count(d->chain); i++) {
		struct filter_stats fs;

		if (filter_chain_stats(d->chain, i, &fs) == 0)
			json_array_append_new(arr, json_pack("{s:s,s:s,s:I,s:I,s:I,s:f,s:I}", "name",
							     fs.name, "plugin", fs.plugin, "kept",
							     (json_int_t)fs.kept, "dropped",
							     (json_int_t)fs.dropped, "errors",
							     (json_int_t)fs.errors, "ms",
							     (double)fs.ns / 1e6, "at", (json_int_t)now_s()));
	}
	text = arr ? json_dumps(arr, JSON_COMPACT) : NULL;
	if (text && pipeline_txn(d->pl) == 0)
		d->store->ops->meta_put(d->store, "filters", text);
	free(text);
	json_decref(arr);
}

static void on_status_timer(uv_timer_t *t)
{
	struct daemon *d = t->data;
	char line[256];
	struct buf msg = BUF_INIT;
	size_t i;

	status_line(d, line, sizeof line);
	buf_printf(&msg, "STATUS=%s", line);
	/* per-filter counters: kept/dropped/errors and the time spent */
	for (i = 0; d->chain && i < filter_chain_count(d->chain); i++) {
		struct filter_stats fs;

		if (filter_chain_stats(d->chain, i, &fs) == 0)
			buf_printf(&msg, "; %s %" PRIu64 "/%" PRIu64 "/%" PRIu64 " %.1f ms", fs.name,
				   fs.kept, fs.dropped, fs.errors, (double)fs.ns / 1e6);
	}
	notify(buf_cstr(&msg));
	buf_fini(&msg);
	save_filter_stats(d);
}

/* Seen entries whose item left its feed more than retention_days ago are forgotten (the
 * pipeline touches every id a feed still lists). Daily, and once at start-up. */
static void on_expire(uv_timer_t *t)
{
	struct daemon *d = t->data;
	int n;

	if (pipeline_txn(d->pl) < 0)
		return; /* the state cannot be written now: tomorrow */
	n = d->store->ops->expire(d->store, now_s() - (int64_t)d->cfg->retention_days * 86400);
	if (n > 0)
		log_info("state: forgot %d article%s not listed for %d days", n, n == 1 ? "" : "s",
			 d->cfg->retention_days);
	else if (n < 0)
		log_err("state: expiry failed: %s", d->store->ops->error(d->store));
}

static void on_watchdog(uv_timer_t *t)
{
	notify("WATCHDOG=1");
}

static void progress(struct daemon *d)
{
	struct pipeline_totals t;

	if (!d->o->progress)
		return;
	pipeline_totals(d->pl, &t);
	fprintf(stderr, "\r\033[Kfeeds %zu/%zu, %" PRIu64 " new, %zu error%s", d->once_done,
		d->once_total, t.fresh, d->once_failed, d->once_failed == 1 ? "" : "s");
	fflush(stderr);
}

/* ---- what the feeds report ------------------------------------------------------------------ */

static void on_recorded(void *ud, const struct feeds_report *r)
{
	struct daemon *d = ud;

	ops_recorded(d->ops, r);
	if (!d->o || d->o->mode != DAEMON_ONCE)
		return;
	d->once_done++;
	if (!r->ok || r->not_fetched)
		d->once_failed++;
	progress(d);
}

static void on_settled(void *ud)
{
	struct daemon *d = ud;

	maybe_finish(d);
	arm_tick(d);
	lease_sched_kick(d->leases);
}

static size_t max_busy(const struct daemon *d)
{
	return (size_t)d->cfg->max_total * 4;
}

/* ---- the schedule ----------------------------------------------------------------------------- */

static void on_resume(void *ud)
{
	struct daemon *d = ud;

	arm_tick(d);
	lease_sched_kick(d->leases);
}

static int held(struct daemon *d);

/* Leases: how many claimed feeds may start now. */
static size_t lease_slots(void *ud)
{
	struct daemon *d = ud;
	size_t busy = feeds_busy(d->feeds);

	if (d->stopping || d->closing || held(d))
		return 0;
	return busy < max_busy(d) ? max_busy(d) - busy : 0;
}

/* Back-pressure and storage trouble: 1 when no fetch may start now. */
static int held(struct daemon *d)
{
	if (pipeline_stalled(d->pl)) {
		/* storage trouble (logged by the pipeline): it calls on_resume once it is over */
		if (d->o->mode == DAEMON_ONCE)
			feeds_skip_due(d->feeds, now_s(), "the spool or the state cannot be written");
		return 1;
	}
	if (spool_pending(d->sp) >= (size_t)d->cfg->max_pending || pipeline_waiting(d->pl)) {
		/* readers are behind; what is fetched now would only wait in tmp/ */
		if (d->o->mode == DAEMON_ONCE) {
			feeds_skip_due(d->feeds, now_s(), "new/ is full (max_pending)");
			return 1;
		}
		if (!d->held_back)
			log_warnx("spool: new/ holds %zu articles (max_pending %d), %zu more wait in "
				  "tmp/: fetches wait for readers",
				  spool_pending(d->sp), d->cfg->max_pending, pipeline_waiting(d->pl));
		d->held_back = 1;
		return 2;
	}
	if (d->held_back) {
		d->held_back = 0;
		log_info("spool: new/ has room again (%zu articles): fetches go on",
			 spool_pending(d->sp));
	}
	return 0;
}

static void on_tick(uv_timer_t *t)
{
	struct daemon *d = t->data;
	int h;

	if (d->stopping)
		return;
	if ((h = held(d))) {
		if (h == 2)
			uv_timer_start(&d->tick, on_tick, 1000, 0);
		maybe_finish(d);
		return;
	}
	feeds_start_due(d->feeds, now_s(), max_busy(d));
	arm_tick(d);
}

/* One timer for the whole schedule: the earliest due time (the heap's top). */
static void arm_tick(struct daemon *d)
{
	int64_t now = now_s(), next;
	uint64_t ms;

	if (d->stopping || d->closing)
		return;
	next = feeds_next_due(d->feeds);
	if (next == INT64_MAX) {
		uv_timer_stop(&d->tick);
		return;
	}
	ms = next <= now ? 0 : (uint64_t)(next - now) * 1000;
	if (ms > TICK_MAX_MS)
		ms = TICK_MAX_MS;
	/* while the connection pool is full, look again as attempts end (on_settled) */
	if (ms == 0 && feeds_busy(d->feeds) >= max_busy(d)) {
		uv_timer_stop(&d->tick);
		return;
	}
	uv_timer_start(&d->tick, on_tick, ms, 0);
}

/* ---- reload (SIGHUP) ------------------------------------------------------------------------- */

/* The filter chain of c, or NULL without filters: 0, or -EINVAL (err says why). */
static int chain_for(struct daemon *d, const struct config *c, struct filter_chain **out,
		     struct buf *err)
{
	*out = NULL;
	if (!c->n_filters)
		return 0;
	*out = filter_chain_new(c, &d->loop, err);
	return *out ? 0 : -EINVAL;
}

static void reload(struct daemon *d)
{
	struct buf err = BUF_INIT;
	struct filter_chain *ch = NULL;
	struct config *c, *old;

	notify("RELOADING=1");
	log_info("reloading %s", d->o->config_path);
	c = config_load(d->o->config_path, &err);
	if (!c || chain_for(d, c, &ch, &err) < 0) {
		log_err("reload refused, the running configuration stays:\n%s", buf_cstr(&err));
		config_free(c);
		goto out;
	}
	if (strcmp(c->state, d->cfg->state) || strcmp(c->spool, d->cfg->spool))
		log_warnx("reload: state and spool paths change only with a restart");
	if (c->sink != d->cfg->sink || strcmp(c->nats_url, d->cfg->nats_url) ||
	    strcmp(c->nats_stream, d->cfg->nats_stream) ||
	    strcmp(c->nats_subject, d->cfg->nats_subject))
		log_warnx("reload: sink and the NATS settings change only with a restart");
	/* pending calls of the old chain complete as errors (their on_error applies) */
	filter_chain_free(d->chain);
	d->chain = ch;
	pipeline_set_judge(d->pl, needs_judge(c, d->chain) ? judge : NULL, d);
	old = d->cfg;
	d->cfg = c;
	pipeline_set_config(d->pl, c);
	daemon_store_reconcile_begin(&d->ds, c, 1);
	if (feeds_reconcile(d->feeds, c) < 0)
		log_err("reload: out of memory: some feeds are not up to date");
	daemon_store_reconcile_end(&d->ds);
	config_free(old); /* no feed points into it any more */
	arm_tick(d);
out:
	buf_fini(&err);
	notify("READY=1");
}

/* ---- stopping --------------------------------------------------------------------------------- */

static void on_closed_noop(uv_handle_t *h)
{
}

static void on_fetcher_closed(void *ud)
{
	struct daemon *d = ud;

	uv_stop(&d->loop);
}

static void shutdown_loop(struct daemon *d)
{
	if (d->closing)
		return;
	d->closing = 1;
	save_filter_stats(d);
	if (d->o->mode == DAEMON_ONCE)
		on_expire(&d->expire_timer); /* cron-driven setups only ever run once */
	pipeline_flush(d->pl);
	uv_close((uv_handle_t *)&d->tick, on_closed_noop);
	uv_close((uv_handle_t *)&d->status_timer, on_closed_noop);
	uv_close((uv_handle_t *)&d->watchdog_timer, on_closed_noop);
	uv_close((uv_handle_t *)&d->stop_timer, on_closed_noop);
	uv_close((uv_handle_t *)&d->expire_timer, on_closed_noop);
	uv_close((uv_handle_t *)&d->sig_term, on_closed_noop);
	uv_close((uv_handle_t *)&d->sig_int, on_closed_noop);
	uv_close((uv_handle_t *)&d->sig_hup, on_closed_noop);
	ops_stop(d->ops);
	d->ops = NULL;
	feeds_close(d->feeds);
	fetcher_close(d->fetcher, on_fetcher_closed, d);
}

static void maybe_finish(struct daemon *d)
{
	if (d->closing || feeds_busy(d->feeds) || !pipeline_idle(d->pl))
		return;
	if (d->stopping) {
		shutdown_loop(d);
		return;
	}
	if (d->o->mode == DAEMON_ONCE && d->once_done >= d->once_total) {
		if (d->o->progress)
			fputc('\n', stderr);
		shutdown_loop(d);
	}
}

static void on_pipeline_idle(void *ud)
{
	maybe_finish(ud);
}

static void on_stop_timer(uv_timer_t *t)
{
	struct daemon *d = t->data;
	size_t n = feeds_busy(d->feeds);

	log_warnx("stopping: abandoning %zu fetch%s still running (not recorded: fetched again "
		  "next time)",
		  n, n == 1 ? "" : "es");
	feeds_abandon(d->feeds);
}

static void stop(struct daemon *d, const char *why)
{
	size_t n = feeds_busy(d->feeds);

	if (d->stopping)
		return;
	d->stopping = 1;
	lease_sched_stop(d->leases);
	notify("STOPPING=1");
	log_info("%s: stopping (%zu fetch%s in flight)", why, n, n == 1 ? "" : "es");
	uv_timer_stop(&d->tick);
	uv_timer_start(&d->stop_timer, on_stop_timer, STOP_GRACE_MS, 0);
	maybe_finish(d);
}

static void on_signal(uv_signal_t *s, int signum)
{
	struct daemon *d = s->data;

	if (d->closing)
		return;
	if (signum == SIGHUP)
		reload(d);
	else
		stop(d, signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

/* Creates dir and its missing parents (mode 0750), as a first start needs. */
static int mkdir_p(const char *dir)
{
	char *p = strdup(dir), *s;
	int rc = 0;

	if (!p)
		return -ENOMEM;
	for (s = p + 1; *s && rc == 0; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0750) < 0 && errno != EEXIST)
			rc = -errno;
		*s = '/';
	}
	if (rc == 0 && mkdir(p, 0750) < 0 && errno != EEXIST)
		rc = -errno;
	free(p);
	return rc;
}

static void make_parent(const char *path)
{
	char *p = strdup(path), *slash = p ? strrchr(p, '/') : NULL;

	if (slash && slash != p) {
		*slash = '\0';
		mkdir_p(p);
	}
	free(p);
}

/* ---- main ------------------------------------------------------------------------------------ */

/* Logs each line of a multi-line error on its own. */
static void log_lines(struct buf *err)
{
	char *line, *nl;

	for (line = err->data; line && *line; line = nl ? nl + 1 : NULL) {
		if ((nl = strchr(line, '\n')))
			*nl = '\0';
		log_err("%s", line);
	}
}

/* The state file to lock: none for a database server (its instances share it). */
static const char *lock_path(const struct config *c)
{
	return store_pg_is_uri(c->state) ? NULL : c->state;
}

/* Start-up up to the feeds: configuration, checks, lock, filter chain, state, spool. Nothing is
 * created before everything that can be checked is: a refused start leaves no trace. */
static int open_storage(struct daemon *d, struct instance_lock *lock, struct buf *err)
{
	int rc;

	d->cfg = config_load(d->o->config_path, err);
	if (!d->cfg) {
		log_err("%s", buf_cstr(err));
		return -EINVAL;
	}
	buf_reset(err);
	if (preflight_storage(d->cfg, err) < 0 ||
	    instance_lock(lock, lock_path(d->cfg), d->cfg->spool, 0, err) < 0 ||
	    chain_for(d, d->cfg, &d->chain, err) < 0) {
		log_lines(err);
		return -EINVAL;
	}
	buf_reset(err);
	if (!store_pg_is_uri(d->cfg->state))
		make_parent(d->cfg->state);
	if ((rc = daemon_store_open(&d->ds, &d->loop, d->cfg, err)) < 0) {
		log_err(rc == -ENOMEM ? "out of memory" : "state %s", buf_cstr(err));
		return rc;
	}
	d->store = d->ds.store;
	buf_reset(err);
	mkdir_p(d->cfg->spool);
	if (!(d->sp = spool_open(&d->loop, d->cfg->spool, d->cfg->umask, err))) {
		log_err("%s", buf_cstr(err));
		return -EINVAL;
	}
	/* what did not exist before is locked now that it does (two first starts at once) */
	if (instance_lock(lock, lock_path(d->cfg), d->cfg->spool, 1, err) < 0) {
		log_lines(err);
		return -EINVAL;
	}
	return 0;
}

/* The pipeline, the fetcher and the feeds (reconciled with the configuration), recovery. */
static int open_feeds(struct daemon *d)
{
	struct feeds_env env = {0};
	struct feeds_cbs cbs = {on_recorded, on_settled};
	int rc;

	d->pl = pipeline_new(&d->loop, d->store, d->sp, d->cfg);
	d->fetcher = fetcher_new(&d->loop, d->cfg->max_total, d->cfg->max_per_host);
	env.loop = &d->loop;
	env.store = d->store;
	env.pl = d->pl;
	env.fetcher = d->fetcher;
	env.once = d->o->mode == DAEMON_ONCE;
	env.quiet = d->o->progress;
	env.catchup = d->o->catchup;
	if (d->ds.pg && d->o->mode == DAEMON_RUN) { /* many instances may share the database */
		struct lease_sched_env le = {&d->loop, d->cfg->state, d->ds.instance,
					     d->cfg->lease_time, d->cfg->max_per_host, lease_slots, d};

		if (!(d->leases = lease_sched_new(&le))) {
			log_err("out of memory");
			return -ENOMEM;
		}
		env.leases = lease_sched_hooks(d->leases);
	}
	if (!d->pl || !d->fetcher || !(d->feeds = feeds_new(&env, &cbs, d))) {
		log_err("out of memory");
		return -ENOMEM;
	}
	daemon_store_reconcile_begin(&d->ds, d->cfg, 0);
	rc = feeds_reconcile(d->feeds, d->cfg);
	daemon_store_reconcile_end(&d->ds);
	if (rc < 0) {
		log_err("out of memory");
		return -ENOMEM;
	}
	if (d->cfg->sink & SINK_NATS) {
		struct buf err = BUF_INIT;
		struct sink *s = sink_nats_new(&d->loop, d->sp, d->cfg, &err);

		if (s)
			pipeline_set_sink(d->pl, s);
		else
			log_err("%s", buf_cstr(&err));
		buf_fini(&err);
		if (!s)
			return -EINVAL;
	}
	/* a retired feed (410 Gone) is not fetched again, not even by `once` */
	d->once_total = feeds_due_count(d->feeds);
	pipeline_on_idle(d->pl, on_pipeline_idle, d);
	pipeline_on_resume(d->pl, on_resume, d);
	if (needs_judge(d->cfg, d->chain))
		pipeline_set_judge(d->pl, judge, d);
	if (pipeline_recover(d->pl) < 0) {
		log_err("state %s: recovery failed: %s", d->cfg->state,
			d->store->ops->error(d->store));
		return -EIO;
	}
	if (d->leases)
		lease_sched_attach(d->leases, d->feeds);
	return 0;
}

static void start_handles(struct daemon *d)
{
	uv_timer_init(&d->loop, &d->tick);
	uv_timer_init(&d->loop, &d->status_timer);
	uv_timer_init(&d->loop, &d->watchdog_timer);
	uv_timer_init(&d->loop, &d->stop_timer);
	uv_timer_init(&d->loop, &d->expire_timer);
	d->tick.data = d->status_timer.data = d->watchdog_timer.data = d->stop_timer.data = d;
	d->expire_timer.data = d;
	if (d->o->mode == DAEMON_RUN) {
		uv_timer_start(&d->expire_timer, on_expire, 60000, 86400000);
		uv_unref((uv_handle_t *)&d->expire_timer);
	}
	uv_signal_init(&d->loop, &d->sig_term);
	uv_signal_init(&d->loop, &d->sig_int);
	uv_signal_init(&d->loop, &d->sig_hup);
	d->sig_term.data = d->sig_int.data = d->sig_hup.data = d;
	uv_signal_start(&d->sig_term, on_signal, SIGTERM);
	uv_signal_start(&d->sig_int, on_signal, SIGINT);
	uv_signal_start(&d->sig_hup, on_signal, SIGHUP);
	uv_timer_start(&d->status_timer, on_status_timer, 0, 5000);
	uv_unref((uv_handle_t *)&d->status_timer);
#ifdef HAVE_SYSTEMD
	{
		uint64_t usec = 0;

		if (sd_watchdog_enabled(0, &usec) > 0 && usec >= 2000) {
			uv_timer_start(&d->watchdog_timer, on_watchdog, 0, usec / 2000);
			uv_unref((uv_handle_t *)&d->watchdog_timer);
		}
	}
#endif
}

static void kick(void *ud)
{
	arm_tick(ud);
}

/* `run`: the metrics (when configured) and the control socket beside the state. */
static int start_ops(struct daemon *d, struct buf *err)
{
	struct ops_env env = {&d->loop, d->feeds, d->pl, d->sp, &d->chain, kick, d};
	char *path;

	if (d->o->mode != DAEMON_RUN)
		return 0;
	if (!(path = ctl_path_for(d->cfg->state, d->cfg->spool)))
		return -ENOMEM;
	d->ops = ops_start(&env, d->cfg->metrics, path, err);
	free(path);
	return d->ops ? 0 : -EINVAL;
}

static void once_summary(struct daemon *d)
{
	struct pipeline_totals t;
	char revs[48] = "", caught[48] = "";

	feeds_failed_names(d->feeds, &d->failed);
	pipeline_totals(d->pl, &t);
	if (t.revisions)
		snprintf(revs, sizeof revs, " (%" PRIu64 " revision%s)", t.revisions,
			 t.revisions == 1 ? "" : "s");
	if (t.caught_up)
		snprintf(caught, sizeof caught, ", %" PRIu64 " caught up", t.caught_up);
	log_info("%zu feed%s, %zu failed%s; %" PRIu64 " new%s, %" PRIu64 " duplicate, %" PRIu64
		 " dropped%s",
		 d->once_done, d->once_done == 1 ? "" : "s", d->once_failed, buf_cstr(&d->failed),
		 t.fresh, revs, t.duplicate, t.dropped, caught);
}

/* Every module closes its own handles; the loop runs until they are closed. */
static void teardown(struct daemon *d, struct instance_lock *lock)
{
	ops_stop(d->ops);
	if (d->fetcher && !d->closing)
		fetcher_close(d->fetcher, NULL, NULL);
	if (d->feeds && !d->closing)
		feeds_close(d->feeds);
	filter_chain_free(d->chain);
	if (d->pl)
		pipeline_free(d->pl);
	if (d->sp)
		spool_close(d->sp, NULL, NULL);
	uv_run(&d->loop, UV_RUN_DEFAULT); /* releases of abandoned leases are sent too */
	feeds_free(d->feeds);
	lease_sched_free(d->leases);
	daemon_store_close(&d->ds);
	uv_run(&d->loop, UV_RUN_DEFAULT); /* the database connection's handles */
	instance_unlock(lock); /* after the database is closed (see instance.c) */
	if (d->cfg && (d->cfg->sink & SINK_NATS))
		sink_nats_library_close();
	config_free(d->cfg);
	uv_loop_close(&d->loop);
	buf_fini(&d->failed);
}

int daemon_main(const struct daemon_opts *o)
{
	struct daemon d;
	struct instance_lock lock = INSTANCE_LOCK_INIT;
	struct buf err = BUF_INIT;
	char line[256];
	int rc = 2;

	memset(&d, 0, sizeof d);
	d.o = o;
	buf_init(&d.failed);
	/* a co-process (the exec filter) that dies must not kill the daemon through a write */
	signal(SIGPIPE, SIG_IGN);
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	if (uv_loop_init(&d.loop) < 0)
		return 2;
	if (open_storage(&d, &lock, &err) < 0 || open_feeds(&d) < 0)
		goto out;
	if (start_ops(&d, &err) < 0) {
		log_err("%s", buf_cstr(&err));
		goto out;
	}
	start_handles(&d);
	status_line(&d, line, sizeof line);
	log_info("started: %s", line);
	notify("READY=1");
	if (o->mode == DAEMON_ONCE && d.once_total == 0)
		shutdown_loop(&d);
	else
		arm_tick(&d);
	uv_run(&d.loop, UV_RUN_DEFAULT);
	pipeline_flush(d.pl);
	rc = o->mode == DAEMON_ONCE && d.once_failed ? 1 : 0;
	if (o->mode == DAEMON_ONCE)
		once_summary(&d);
	else
		log_info("stopped");
out:
	teardown(&d, &lock);
	buf_fini(&err);
	return rc;
}
