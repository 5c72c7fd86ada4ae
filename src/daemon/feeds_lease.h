/* SPDX-License-Identifier: MIT */
/* Leases drive the schedule when many instances share one PostgreSQL database (`run` with
 * state = postgresql://...): instead of its own due-time heap, an instance claims due feeds from
 * the database (pg_feeds_claim: at most its free fetch slots, at most max_per_host live leases
 * per host across every instance, no held host), starts each with the state the database holds
 * (another instance may have fetched it since), renews the leases of attempts still running
 * every third of the lease time, and gives up the leases of attempts it abandons. The save that
 * records a fetch ends its lease (store_pg.c, in the pipeline's batch).
 *
 * When it claims: at start-up, when a fetch slot frees (an attempt settled, back-pressure over),
 * when the database is back, on NOTIFY feedspool_due (another instance's reconcile or
 * `ctl refresh`), and at the earliest time the database says a feed becomes claimable (due, or a
 * dead instance's lease expiring); never more often than that, and when idle at most once per
 * poll period (a quarter of the lease time, between 0.5 and 5 s), which also finds feeds whose
 * host was full at the last claim. It has its own connection (the store's runs the pipeline's
 * transactions, which a claim must not join), which also LISTENs. */
#ifndef FEEDSPOOL_FEEDS_LEASE_H
#define FEEDSPOOL_FEEDS_LEASE_H

#include <stddef.h>
#include <uv.h>

#include "feeds.h"

struct lease_sched;

struct lease_sched_env {
	uv_loop_t *loop;
	const char *uri;   /* the database (copied) */
	const char *owner; /* this instance's name in it (copied) */
	int lease_s;	   /* lease_time */
	int per_host;	   /* max_per_host, across instances */
	/* the fetches that may start now (0: none, back-pressure or stopping) */
	size_t (*slots)(void *ud);
	void *ud;
};

/* Connects (in the background); its first statement ends the leases this instance's name held
 * before (a previous life of it that died). NULL when memory runs out. */
struct lease_sched *lease_sched_new(const struct lease_sched_env *env);
/* The hooks feeds.c calls (release, refresh), for feeds_env.leases. */
const struct feeds_leases *lease_sched_hooks(struct lease_sched *ls);
/* The feeds it starts claimed ones in; claiming begins. */
void lease_sched_attach(struct lease_sched *ls, struct feeds *fs);
/* A slot may have freed: claim soon (coalesced). */
void lease_sched_kick(struct lease_sched *ls);
/* Stopping: no more claims (renewals and releases go on until freed). */
void lease_sched_stop(struct lease_sched *ls);
/* Claims made and leases received so far (queries per fetch). */
void lease_sched_counts(const struct lease_sched *ls, unsigned long *claims,
			unsigned long *leases);
/* Closes its connection (what is queued fails) and handles; the memory goes once the loop has
 * run again. Queued releases are sent first if the loop runs before (teardown). */
void lease_sched_free(struct lease_sched *ls);

#endif
