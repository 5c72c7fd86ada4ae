/* SPDX-License-Identifier: MIT */
/* Leases drive the schedule on a shared PostgreSQL database (feeds_lease.h): claims, renewals,
 * releases, NOTIFY. */
#include "autoconfig.h"

#include "feeds_lease.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "pg_conn.h"
#include "pg_feeds.h"

#define CLAIM_MAX 1000 /* leases taken by one claim */
#define KICK_MS 20     /* attempts settling together make one claim */
#define BLOCKED_MS 1000 /* due feeds wait for a full host's slot, which frees in another instance:
			 * asked again this often (a claim that finds none scans every due feed) */
#define SETTLED_MS 250 /* the same when the last claim found nothing claimable: a slot that
			* frees may only unblock a host that was full */

struct lease_sched {
	struct lease_sched_env env;
	char *uri, *owner;
	struct feeds_leases hooks;
	struct feeds *fs;
	struct pg_conn *c;
	uv_timer_t wake, renew;
	unsigned poll_ms;
	int claiming, again, stopped, closing, handles;
	int failing; /* a claim failed: logged once until one succeeds */
	int drained; /* the last claim found nothing claimable */
	int was_up;  /* the connection was made once */
	int asked;   /* by the claim in flight */
	unsigned long claims, leases;
};

static void claim(struct lease_sched *ls);
static void on_wake(uv_timer_t *t);

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

/* The next claim in ms (at most the poll period). */
static void arm(struct lease_sched *ls, uint64_t ms)
{
	if (ls->stopped || ls->closing)
		return;
	if (ms > ls->poll_ms)
		ms = ls->poll_ms;
	if (uv_is_active((uv_handle_t *)&ls->wake) && uv_timer_get_due_in(&ls->wake) <= ms)
		return;
	uv_timer_start(&ls->wake, on_wake, ms, 0);
}

static void on_wake(uv_timer_t *t)
{
	claim(t->data);
}

void lease_sched_kick(struct lease_sched *ls)
{
	if (ls)
		arm(ls, ls->drained ? SETTLED_MS : KICK_MS);
}

/* NOTIFY, the database back: feeds may be due that the last claim did not see. */
static void wake_now(struct lease_sched *ls)
{
	ls->drained = 0;
	arm(ls, KICK_MS);
}

/* ---- releases, refreshes ------------------------------------------------------------------ */

static void on_released(void *ud, int rc, const char *err)
{
	(void)ud;
	if (rc < 0)
		log_debug("leases: a lease could not be given back (%s): it expires",
			  err ? err : "error");
}

static void release(void *ud, const char *name, int64_t lease_no, int postpone_s)
{
	struct lease_sched *ls = ud;

	if (!ls->closing && pg_feeds_release(ls->c, name, lease_no, postpone_s, on_released, ls) < 0)
		log_debug("feed %s: out of memory: its lease expires", name);
}

static void on_refreshed(void *ud, int rc, const char *err)
{
	(void)ud;
	if (rc < 0)
		log_err("refresh: the database could not be told (%s): the feed is fetched at its "
			"due time", err ? err : "error");
}

static void refresh(void *ud, const char *name)
{
	struct lease_sched *ls = ud;

	if (!ls->closing && pg_feeds_refresh(ls->c, name, on_refreshed, ls) < 0)
		log_err("refresh: out of memory");
}

/* ---- claims ------------------------------------------------------------------------------- */

/* Starts what was claimed; what this instance cannot fetch goes back, postponed by a lease
 * time so that it is not claimed again at once (by this instance: others may have it). */
static void start_claimed(struct lease_sched *ls, struct pg_lease *l, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int rc = ls->stopped ? -ECANCELED : feeds_start_leased(ls->fs, &l[i].st);

		if (rc == 0)
			continue;
		if (rc == -ENOENT)
			log_warnx("feed %s: claimed from the database but not in this instance's "
				  "configuration (instances should share one): given back",
				  l[i].st.name);
		release(ls, l[i].st.name, l[i].lease_no, rc == -ECANCELED ? 0 : ls->env.lease_s);
	}
}

static void on_claimed(void *ud, struct pg_lease *l, size_t n, int64_t next, const char *err)
{
	struct lease_sched *ls = ud;
	int64_t now = now_s();

	ls->claiming = 0;
	if (ls->closing)
		return;
	if (!l) {
		if (!ls->failing)
			log_err("leases: no feed can be claimed now: %s (tried again)",
				err ? err : "error");
		ls->failing = 1;
		arm(ls, ls->poll_ms);
		return;
	}
	ls->failing = 0;
	ls->claims++;
	ls->leases += n;
	/* fewer than asked: due feeds ran out, or their hosts are full (the database counts a
	 * lease until the save that ends it commits, so slots that freed here may not count there
	 * yet); the next slot freeing claims again soon. Nothing at all: only after a while. */
	ls->drained = n == 0;
	start_claimed(ls, l, n);
	if (n == (size_t)ls->asked) { /* more may be due: as slots allow */
		arm(ls, 0);
	} else {
		if (ls->again) /* slots freed meanwhile */
			arm(ls, ls->drained ? SETTLED_MS : KICK_MS);
		if (next > 0 && next <= now) /* due feeds wait for a full host: slots free elsewhere */
			arm(ls, BLOCKED_MS);
		arm(ls, next > now ? (uint64_t)(next - now) * 1000 : ls->poll_ms);
	}
	ls->again = 0;
}

static void claim(struct lease_sched *ls)
{
	size_t slots;

	if (ls->stopped || ls->closing || !ls->fs)
		return;
	if (ls->claiming) {
		ls->again = 1;
		return;
	}
	if (!(slots = ls->env.slots(ls->env.ud))) {
		arm(ls, ls->poll_ms); /* a slot freeing kicks sooner */
		return;
	}
	ls->claiming = 1;
	ls->asked = slots > CLAIM_MAX ? CLAIM_MAX : (int)slots;
	if (pg_feeds_claim(ls->c, ls->owner, -1, ls->env.lease_s, ls->asked, ls->env.per_host,
			   on_claimed, ls) < 0) {
		ls->claiming = 0;
		arm(ls, ls->poll_ms);
	}
}

/* ---- renewals ----------------------------------------------------------------------------- */

static void add_lease(void *ud, const char *name, int64_t lease_no)
{
	json_array_append_new(ud, json_pack("{sssI}", "name", name, "no", (json_int_t)lease_no));
}

static void on_renewed(void *ud, int rc, const char *err)
{
	(void)ud;
	if (rc < 0)
		log_warnx("leases: cannot renew (%s): a long fetch may be taken over", err ? err : "");
}

/* The leases of attempts still running, as a JSON array [{"name": ..., "no": ...}], "[]" when
 * there are none; NULL when out of memory. */
static char *running_json(const struct lease_sched *ls)
{
	json_t *arr = json_array();
	char *text = NULL;

	if (arr) {
		if (ls->fs)
			feeds_each_lease(ls->fs, add_lease, arr);
		text = json_dumps(arr, JSON_COMPACT);
		json_decref(arr);
	}
	return text;
}

/* Every third of the lease time: the leases of attempts still running last another lease time
 * (one statement for all of them). */
static void on_renew(uv_timer_t *t)
{
	struct lease_sched *ls = t->data;
	char *text;

	if (ls->closing || !ls->fs || !(text = running_json(ls)))
		return;
	if (strcmp(text, "[]") != 0)
		pg_feeds_renew_all(ls->c, text, ls->env.lease_s, on_renewed, ls);
	free(text);
}

/* ---- life --------------------------------------------------------------------------------- */

static void on_owner_released(void *ud, int rc, const char *err)
{
	(void)ud;
	if (rc < 0)
		log_warnx("leases: the leases of this instance's previous run could not be ended "
			  "(%s): they expire", err ? err : "");
}

static void on_owner_back(void *ud, int rc, const char *err)
{
	(void)ud;
	if (rc < 0)
		log_warnx("leases: the leases of attempts that ended while the database was away "
			  "could not be ended (%s): they expire", err ? err : "");
}

/* The database came back: the leases this instance holds for no running attempt end (their
 * saves or releases failed meanwhile: held until they expire, their feeds would not be fetched
 * again for up to a lease time), then what was due meanwhile (and NOTIFYs missed) is claimed. */
static void on_state(void *ud, int up, const char *msg)
{
	struct lease_sched *ls = ud;
	char *keep;

	(void)msg;
	if (!up || ls->closing)
		return;
	if (!ls->was_up) { /* the first connection: every old lease is ended (lease_sched_new) */
		ls->was_up = 1;
		wake_now(ls);
		return;
	}
	if (!(keep = running_json(ls)) ||
	    pg_feeds_release_owner(ls->c, ls->owner, keep, on_owner_back, ls) < 0)
		log_warnx("leases: out of memory: the leases of attempts that ended while the "
			  "database was away expire");
	free(keep);
	wake_now(ls);
}

static void on_notify(void *ud, const char *payload)
{
	(void)payload;
	log_debug("leases: woken by NOTIFY (feeds due earlier): claiming");
	wake_now(ud);
}

struct lease_sched *lease_sched_new(const struct lease_sched_env *env)
{
	struct lease_sched *ls = calloc(1, sizeof *ls);
	unsigned renew_ms;

	if (!ls)
		return NULL;
	ls->env = *env;
	ls->uri = strdup(env->uri);
	ls->owner = strdup(env->owner);
	if (!ls->uri || !ls->owner || !(ls->c = pg_conn_new(env->loop, ls->uri, on_state, ls)) ||
	    pg_conn_listen(ls->c, PG_DUE_CHANNEL, on_notify, ls) < 0 ||
	    pg_feeds_release_owner(ls->c, ls->owner, NULL, on_owner_released, ls) < 0) {
		if (ls->c)
			pg_conn_free(ls->c);
		free(ls->uri);
		free(ls->owner);
		free(ls);
		return NULL;
	}
	pg_conn_weak(ls->c);
	ls->env.uri = ls->uri;
	ls->env.owner = ls->owner;
	ls->hooks = (struct feeds_leases){release, refresh, ls};
	ls->poll_ms = (unsigned)env->lease_s * 250;
	ls->poll_ms = ls->poll_ms < 500 ? 500 : ls->poll_ms > 5000 ? 5000 : ls->poll_ms;
	uv_timer_init(env->loop, &ls->wake);
	uv_timer_init(env->loop, &ls->renew);
	ls->wake.data = ls->renew.data = ls;
	ls->handles = 2;
	renew_ms = (unsigned)env->lease_s * 1000 / 3;
	uv_timer_start(&ls->renew, on_renew, renew_ms, renew_ms);
	uv_unref((uv_handle_t *)&ls->renew); /* neither keeps the loop alive */
	uv_unref((uv_handle_t *)&ls->wake);
	return ls;
}

const struct feeds_leases *lease_sched_hooks(struct lease_sched *ls)
{
	return &ls->hooks;
}

void lease_sched_attach(struct lease_sched *ls, struct feeds *fs)
{
	ls->fs = fs;
	lease_sched_kick(ls);
}

void lease_sched_stop(struct lease_sched *ls)
{
	if (!ls)
		return;
	ls->stopped = 1;
	uv_timer_stop(&ls->wake);
}

void lease_sched_counts(const struct lease_sched *ls, unsigned long *claims,
			unsigned long *leases)
{
	*claims = ls ? ls->claims : 0;
	*leases = ls ? ls->leases : 0;
}

static void on_closed(uv_handle_t *h)
{
	struct lease_sched *ls = h->data;

	if (--ls->handles == 0) {
		free(ls->uri);
		free(ls->owner);
		free(ls);
	}
}

void lease_sched_free(struct lease_sched *ls)
{
	if (!ls)
		return;
	ls->stopped = ls->closing = 1;
	pg_conn_free(ls->c); /* what is queued is answered (failed) now */
	uv_close((uv_handle_t *)&ls->wake, on_closed);
	uv_close((uv_handle_t *)&ls->renew, on_closed);
}
