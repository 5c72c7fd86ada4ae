/* SPDX-License-Identifier: MIT */
/* The shared feed list in PostgreSQL (src/store/pg_feeds.c over pg_conn.c) against a real
 * server that tests/store_pg.sh starts on 127.0.0.1 (PG_URI): migrations from two instances at
 * once, reconcile, leases (no two claims of one feed, expiry, the stale-lease rule), and the
 * connection losing its server and finding it again (PG_RESTART: a command that restarts it). */
#include "autoconfig.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "pg_feeds.h"
#include "store_pg.h"

static uv_loop_t loop;

/* One asynchronous answer, waited for by running the loop. */
struct answer {
	int done, rc, ups, downs;
	char err[512];
	char names[64][16];
	int64_t lease_no[64];
	int64_t next;
	size_t n;
	PGresult *res;
};

static void wait_answer(struct answer *a)
{
	while (!a->done)
		uv_run(&loop, UV_RUN_ONCE);
}

static void on_rc(void *ud, int rc, const char *err)
{
	struct answer *a = ud;

	a->done = 1;
	a->rc = rc;
	snprintf(a->err, sizeof a->err, "%s", err ? err : "");
}

static void on_claim(void *ud, struct pg_lease *l, size_t n, int64_t next, const char *err)
{
	struct answer *a = ud;

	a->next = next;
	a->done = 1;
	a->rc = l ? 0 : -EPROTO;
	snprintf(a->err, sizeof a->err, "%s", err ? err : "");
	for (a->n = 0; a->n < n && a->n < 64; a->n++) {
		snprintf(a->names[a->n], sizeof a->names[a->n], "%s", l[a->n].st.name);
		a->lease_no[a->n] = l[a->n].lease_no;
	}
}

static void on_rows(void *ud, const PGresult *res, const char *err)
{
	struct answer *a = ud;

	a->done = 1;
	a->rc = res ? 0 : -EPROTO;
	snprintf(a->err, sizeof a->err, "%s", err ? err : "");
	a->res = res ? (PGresult *)PQcopyResult(res, PG_COPYRES_ATTRS | PG_COPYRES_TUPLES) : NULL;
}

static void on_state(void *ud, int up, const char *msg)
{
	struct answer *a = ud;

	if (up)
		a->ups++;
	else
		a->downs++;
}

/* Runs sql, returns the first column of the first row (static buffer) or "(error)". */
static const char *value(struct pg_conn *c, const char *sql)
{
	static char out[600];
	struct answer a = {0};

	pg_conn_query(c, sql, 0, NULL, on_rows, &a);
	wait_answer(&a);
	if (!a.res || PQntuples(a.res) < 1) {
		snprintf(out, sizeof out, "(error: %s)", a.err);
	} else {
		snprintf(out, sizeof out, "%s", PQgetisnull(a.res, 0, 0) ? "(null)" : PQgetvalue(a.res, 0, 0));
	}
	PQclear(a.res);
	return out;
}

static struct answer claim_per_host(struct pg_conn *c, const char *owner, int64_t now, int limit,
				    int per_host)
{
	struct answer a = {0};

	CHECK(pg_feeds_claim(c, owner, now, 60, limit, per_host, on_claim, &a) == 0, "claim queued");
	wait_answer(&a);
	CHECK(a.rc == 0, "claim by %s at %lld: %s", owner, (long long)now, a.err);
	return a;
}

static struct answer claim(struct pg_conn *c, const char *owner, int64_t now, int limit)
{
	return claim_per_host(c, owner, now, limit, 0);
}

static int save(struct pg_conn *c, const char *name, int64_t lease_no, const char *etag)
{
	struct feed_state st;
	struct answer a = {0};

	feed_state_init(&st);
	st.name = (char *)name;
	st.url = (char *)"http://127.0.0.1:1/x";
	st.etag = (char *)etag;
	st.last_result = (char *)"ok 1 new";
	st.next_due = 5000;
	st.due_reason = (char *)"interval";
	pg_feeds_save(c, &st, lease_no, on_rc, &a);
	wait_answer(&a);
	return a.rc;
}

static void test_migrate_and_reconcile(struct pg_conn *c1, struct pg_conn *c2)
{
	struct answer m1 = {0}, m2 = {0}, r = {0};
	struct pg_feed_conf feeds[] = {{"a", "http://127.0.0.1:1/a"}, {"b", "http://127.0.0.1:1/b"},
				       {"c", "http://127.0.0.1:1/c"}, {"d", "http://127.0.0.1:1/d"}};

	/* two instances starting together: both succeed, the schema is made once */
	pg_feeds_migrate(c1, on_rc, &m1);
	pg_feeds_migrate(c2, on_rc, &m2);
	wait_answer(&m1);
	wait_answer(&m2);
	CHECK(m1.rc == 0 && m2.rc == 0, "migrations: %s / %s", m1.err, m2.err);
	CHECK_STR(value(c1, "SELECT version FROM feedspool_schema"), "3", "schema version");
	CHECK_STR(value(c1, "SELECT count(*) FROM feedspool_schema"), "1", "one version row");
	pg_feeds_reconcile(c1, feeds, 4, on_rc, &r);
	wait_answer(&r);
	CHECK(r.rc == 0, "reconcile: %s", r.err);
	r.done = 0;
	pg_feeds_reconcile(c2, feeds, 4, on_rc, &r); /* a second instance: the same table */
	wait_answer(&r);
	CHECK_STR(value(c1, "SELECT count(*) FROM feeds WHERE NOT removed"), "4", "four feeds after two reconciles");
}

static void test_leases(struct pg_conn *c1, struct pg_conn *c2)
{
	struct answer a, b, late;

	a = claim(c1, "one", 1000, 3);
	CHECK(a.n == 3, "the first instance claims 3 of 4 due feeds, got %zu", a.n);
	b = claim(c2, "two", 1000, 10);
	CHECK(b.n == 1, "the second gets only the one left, got %zu", b.n);
	for (size_t i = 0; i < a.n && b.n; i++)
		CHECK(strcmp(a.names[i], b.names[0]) != 0, "feed %s claimed twice", b.names[0]);
	CHECK(claim(c2, "two", 1059, 10).n == 0, "nothing while every lease runs");

	/* instance one stalls past its expiry (1060): instance two takes its feeds over */
	late = claim(c2, "two", 1061, 10);
	CHECK(late.n == 4, "expired leases (all four, at 1060) move on, got %zu", late.n);
	size_t k = 0;
	while (k < late.n && strcmp(late.names[k], a.names[0]) != 0)
		k++;
	CHECK(k < late.n, "instance one's feed %s is among them", a.names[0]);
	if (k == late.n)
		return;
	CHECK(late.lease_no[k] == a.lease_no[0] + 1, "a new lease number (%lld after %lld)",
	      (long long)late.lease_no[k], (long long)a.lease_no[0]);
	/* the stalled instance wakes up: its results are refused, the newer holder's kept */
	CHECK(save(c1, a.names[0], a.lease_no[0], "stale") == PG_LEASE_STALE,
	      "a stale lease saves nothing");
	CHECK(save(c2, late.names[k], late.lease_no[k], "fresh") == 0, "the current lease saves");
	char sql[128];
	snprintf(sql, sizeof sql, "SELECT etag FROM feeds WHERE name = '%s'", late.names[k]);
	CHECK_STR(value(c1, sql), "fresh", "the newer result stays");
	CHECK(save(c2, late.names[k], late.lease_no[k], "again") == PG_LEASE_STALE,
	      "a lease ends with its save");
	snprintf(sql, sizeof sql, "SELECT next_due FROM feeds WHERE name = '%s'", late.names[k]);
	CHECK_STR(value(c1, sql), "5000", "the saved schedule");
}

/* Two instances claiming at the same instant never get the same feed. */
static void test_concurrent_claims(struct pg_conn *c1, struct pg_conn *c2)
{
	struct answer a = {0}, b = {0}, r = {0};
	struct pg_feed_conf many[40];
	char names[40][16], urls[40][48];

	for (int i = 0; i < 40; i++) {
		snprintf(names[i], sizeof names[i], "m%02d", i);
		snprintf(urls[i], sizeof urls[i], "http://127.0.0.1:1/m%d", i);
		many[i] = (struct pg_feed_conf){names[i], urls[i]};
	}
	pg_feeds_reconcile(c1, many, 40, on_rc, &r);
	wait_answer(&r);
	CHECK_STR(value(c1, "SELECT count(*) FROM feeds WHERE removed"), "4",
		  "feeds no longer configured are marked removed");
	pg_feeds_claim(c1, "one", 2000, 60, 25, 0, on_claim, &a);
	pg_feeds_claim(c2, "two", 2000, 60, 25, 0, on_claim, &b);
	wait_answer(&a);
	wait_answer(&b);
	CHECK(a.n + b.n == 40, "every due feed claimed once: %zu + %zu", a.n, b.n);
	for (size_t i = 0; i < a.n; i++)
		for (size_t j = 0; j < b.n; j++)
			CHECK(strcmp(a.names[i], b.names[j]) != 0, "%s claimed by both", a.names[i]);
	CHECK(claim(c1, "one", 2000, 100).n == 0, "removed feeds are never claimed");
}

static void test_url_change(struct pg_conn *c)
{
	struct answer r = {0}, l;
	struct pg_feed_conf moved[] = {{"m00", "http://127.0.0.1:2/elsewhere"}};

	l = claim(c, "one", 3000, 100); /* every lease above expired at 2060 */
	for (size_t i = 0; i < l.n; i++)
		if (strcmp(l.names[i], "m00") == 0)
			CHECK(save(c, "m00", l.lease_no[i], "v1") == 0, "save m00");
	CHECK_STR(value(c, "SELECT etag FROM feeds WHERE name = 'm00'"), "v1", "validator saved");
	pg_feeds_reconcile(c, moved, 1, on_rc, &r);
	wait_answer(&r);
	CHECK_STR(value(c, "SELECT coalesce(etag, '(none)') || ' ' || url || ' ' || next_due FROM feeds WHERE name = 'm00'"),
		  "(none) http://127.0.0.1:2/elsewhere 0", "a new URL clears the validators, due now");
}


static void on_wake(uv_timer_t *t)
{
	(void)t; /* only ends the loop's wait */
}

/* Runs the loop until *n exceeds above (wait_flag: until *flag is set) or 10 s passed: whether
 * it did. */
static int wait_count(const int *n, int above)
{
	uint64_t until = uv_hrtime() + 10000000000ull;

	while (*n <= above && uv_hrtime() < until) {
		uv_timer_t t; /* wakes the loop when nothing else does */

		uv_timer_init(&loop, &t);
		uv_timer_start(&t, on_wake, 50, 0);
		uv_run(&loop, UV_RUN_ONCE);
		uv_close((uv_handle_t *)&t, NULL);
		uv_run(&loop, UV_RUN_NOWAIT);
	}
	return *n > above;
}

static int wait_flag(const int *flag)
{
	return wait_count(flag, 0);
}

static int hold(struct pg_conn *c, const char *host, int64_t until)
{
	struct answer a = {0};

	pg_feeds_hold(c, host, until, on_rc, &a);
	wait_answer(&a);
	return a.rc;
}

static size_t count_prefix(const struct answer *a, char prefix)
{
	size_t n = 0;

	for (size_t i = 0; i < a->n; i++)
		n += a->names[i][0] == prefix;
	return n;
}

/* Twelve feeds on two hosts (h: 127.0.0.1:7001, k: 127.0.0.1:7002), every lease above expired. */
static void host_feeds(struct pg_conn *c)
{
	struct answer r = {0};
	struct pg_feed_conf fc[12];
	char names[12][8], urls[12][48];

	for (int i = 0; i < 12; i++) {
		snprintf(names[i], sizeof names[i], "%c%02d", i < 6 ? 'h' : 'k', i % 6);
		snprintf(urls[i], sizeof urls[i], "http://127.0.0.1:%d/%s", i < 6 ? 7001 : 7002,
			 names[i]);
		fc[i] = (struct pg_feed_conf){names[i], urls[i]};
	}
	pg_feeds_reconcile(c, fc, 12, on_rc, &r);
	wait_answer(&r);
	CHECK(r.rc == 0, "reconcile: %s", r.err);
	CHECK_STR(value(c, "SELECT string_agg(DISTINCT host, ' ' ORDER BY host) FROM feeds WHERE NOT removed"),
		  "127.0.0.1:7001 127.0.0.1:7002", "each feed's host is recorded");
}

/* max_per_host across instances: two connections claiming at the same instant take at most two
 * live leases per host in all; a slot freed by a save is taken again; a held host is skipped
 * until its hold ends. */
static void test_host_limits(struct pg_conn *c1, struct pg_conn *c2)
{
	struct answer a = {0}, b = {0}, more;
#define LIVE "SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM feeds"                  \
	     " WHERE lease_owner IS NOT NULL AND lease_expires > %d GROUP BY host) x"
	char sql[256];

	host_feeds(c1);
	pg_feeds_claim(c1, "one", 4000, 60, 10, 2, on_claim, &a);
	pg_feeds_claim(c2, "two", 4000, 60, 10, 2, on_claim, &b);
	wait_answer(&a);
	wait_answer(&b);
	CHECK(a.rc == 0 && b.rc == 0, "claims: %s / %s", a.err, b.err);
	CHECK(a.n + b.n == 4, "two per host in all: %zu + %zu", a.n, b.n);
	CHECK(count_prefix(&a, 'h') + count_prefix(&b, 'h') == 2, "two of host 7001");
	snprintf(sql, sizeof sql, LIVE, 4000);
	CHECK_STR(value(c1, sql), "2", "at most two live leases per host");
	more = claim_per_host(c2, "two", 4001, 10, 2);
	CHECK(more.n == 0, "nothing more while both hosts are full");
	/* due feeds wait for a full host's slot: the claim says so (its next time is now), so that
	 * the instance asks again soon rather than at its idle poll */
	CHECK(more.next == 4001, "the next claimable time is now, for due feeds of full hosts (%lld)",
	      (long long)more.next);
	CHECK(a.next >= 4000, "the next claimable time is not before now (%lld)", (long long)a.next);

	/* a save ends a lease: its host has one slot again */
	struct answer *h = count_prefix(&a, 'h') ? &a : &b;
	size_t k = 0;
	while (h->names[k][0] != 'h')
		k++;
	CHECK(save(c1, h->names[k], h->lease_no[k], "x") == 0, "save %s", h->names[k]);
	more = claim_per_host(c2, "two", 4002, 10, 2);
	CHECK(more.n == 1 && more.names[0][0] == 'h', "one more of host 7001 (%zu: %s)", more.n,
	      more.n ? more.names[0] : "-");

	/* Retry-After on host 7002: its feeds wait for the hold, whoever claims */
	CHECK(hold(c1, "127.0.0.1:7002", 5000) == 0, "hold host 7002");
	CHECK(hold(c2, "127.0.0.1:7002", 4500) == 0, "a shorter hold");
	CHECK_STR(value(c1, "SELECT hold_until FROM hosts WHERE host = '127.0.0.1:7002'"), "5000",
		  "a later hold never shortens an earlier one");
	more = claim_per_host(c1, "one", 4100, 10, 2); /* every lease above expired at 4062 */
	CHECK(more.n == 2 && count_prefix(&more, 'k') == 0, "host 7002 held: only 7001's (%zu)",
	      more.n);
	more = claim_per_host(c2, "two", 5001, 10, 2);
	CHECK(count_prefix(&more, 'k') == 2, "after the hold, 7002's feeds are claimed again (%zu)",
	      count_prefix(&more, 'k'));
}

static void on_notified(void *ud, const char *payload)
{
	(void)payload;
	(*(int *)ud)++;
}

/* `ctl refresh` on one instance wakes the others: NOTIFY reaches a listening connection. */
static int notified; /* c2's notifications, from test_notify on */

static void test_notify(struct pg_conn *c1, struct pg_conn *c2)
{
	struct answer r = {0};

	CHECK(pg_conn_listen(c2, "bad-name", on_notified, &notified) == -EINVAL,
	      "a channel name that is not plain is refused");
	CHECK(pg_conn_listen(c2, PG_DUE_CHANNEL, on_notified, &notified) == 0, "listen");
	CHECK_STR(value(c2, "SELECT 1"), "1", "the listening connection answers queries");
	pg_feeds_refresh(c1, "h03", on_rc, &r);
	wait_answer(&r);
	CHECK(r.rc == 0, "refresh: %s", r.err);
	CHECK(wait_flag(&notified), "the other connection is notified");
	CHECK_STR(value(c1, "SELECT due_reason FROM feeds WHERE name = 'h03'"),
		  "refresh (feedspool ctl)", "the refreshed feed is due now");
}

static void on_committed(void *ud, int status)
{
	struct answer *a = ud;

	a->done = 1;
	a->rc = status;
}

/* The stale-lease rule through the store: a feed's state saved in a batch under a lease that
 * expired and was claimed since leaves the newer holder's state, and the batch still commits. */
static void test_stale_put(struct pg_conn *c1, struct pg_conn *c2, const char *uri)
{
	struct store *s = store_pg_new(&loop, c1, uri, "one");
	struct store_pg_counts n;
	struct answer old, newer, done = {0};
	struct feed_state st;

	old = claim(c1, "one", 6000, 1);
	CHECK(old.n == 1, "one claims a feed");
	newer = claim(c2, "two", 6061, 100);
	size_t k = 0;
	while (k < newer.n && strcmp(newer.names[k], old.names[0]))
		k++;
	CHECK(k < newer.n, "two claims it after one's lease expired");
	if (k == newer.n)
		goto out;
	CHECK(save(c2, newer.names[k], newer.lease_no[k], "newer") == 0, "two saves");
	feed_state_init(&st);
	st.name = old.names[0];
	st.url = (char *)"http://127.0.0.1:7001/stale";
	st.etag = (char *)"stale";
	st.next_due = 1;
	st.lease_no = old.lease_no[0];
	CHECK(s->ops->begin(s) == 0, "begin");
	CHECK(s->ops->feed_put(s, &st) == 0, "put under the old lease");
	s->ops->commit(s, on_committed, &done);
	wait_answer(&done);
	CHECK(done.rc == 0, "the batch commits (%d)", done.rc);
	char sql[160];
	snprintf(sql, sizeof sql, "SELECT etag || ' ' || next_due FROM feeds WHERE name = '%s'",
		 old.names[0]);
	CHECK_STR(value(c1, sql), "newer 5000", "the newer holder's state stays");
	store_pg_counts(s, &n);
	CHECK(n.stale == 1, "the stale save is counted (%lu)", n.stale);
out:
	s->ops->close(s);
}

/* A feed taken over from an instance whose lease expired: what that instance reserved from it
 * and never recorded is forgotten, or the new holder would take those articles for written
 * (the old holder may never come back to record them: its recovery sees rows it still owns
 * only). What it recorded stays (its recovery publishes it), and so do its reservations from
 * other feeds and the new holder's own. */
static void test_takeover_reservations(struct pg_conn *c1, struct pg_conn *c2)
{
	struct answer old, newer;
	char sql[640];
	size_t k = 0;

	old = claim(c1, "one", 9000, 1);
	CHECK(old.n == 1, "one claims a feed");
	if (!old.n)
		return;
	snprintf(sql, sizeof sql,
		 "INSERT INTO seen (id, feed, status, first_seen, last_seen, owner) VALUES"
		 " ('r1aaaaaaaaaaaaaa', '%1$s', 4, 9000, 9000, 'one'),"
		 " ('r2aaaaaaaaaaaaaa', '%1$s', 1, 9000, 9000, 'one'),"
		 " ('r3aaaaaaaaaaaaaa', 'another feed', 4, 9000, 9000, 'one'),"
		 " ('r4aaaaaaaaaaaaaa', '%1$s', 4, 9000, 9000, 'two') RETURNING 'ok'",
		 old.names[0]);
	CHECK_STR(value(c1, sql), "ok", "one reserved two articles of it and recorded one");
	newer = claim(c2, "two", 9061, 1000);
	while (k < newer.n && strcmp(newer.names[k], old.names[0]))
		k++;
	CHECK(k < newer.n, "two claims it after one's lease expired");
	CHECK_STR(value(c1, "SELECT string_agg(left(id, 2), ' ' ORDER BY id) FROM seen"
			    " WHERE id LIKE 'r_aaaa%'"),
		  "r2 r3 r4", "one's reservation from the feed is gone, the rest stays");
}

/* After the server's restart, the listening connection listens again once it is back. */
static void test_relisten(struct pg_conn *c1, struct pg_conn *c2, struct answer *s2, int ups2)
{
	struct answer r = {0};
	int before = notified;

	while (s2->ups == ups2) /* the other connection finds the server again by itself */
		uv_run(&loop, UV_RUN_ONCE);
	/* up is reported when the connection is made, its LISTEN first in its queue: a query
	 * answered after it is answered after the LISTEN (a NOTIFY sent before is not for it) */
	CHECK_STR(value(c2, "SELECT 1"), "1", "the listening connection answers again");
	pg_feeds_refresh(c1, NULL, on_rc, &r);
	wait_answer(&r);
	CHECK(r.rc == 0, "refresh every feed: %s", r.err);
	CHECK(wait_count(&notified, before), "NOTIFY reaches the connection made again (it listens again)");
}

static void test_server_restart(struct pg_conn *c, struct pg_conn *c2, struct answer *st,
				struct answer *s2)
{
	const char *restart = getenv("PG_RESTART");
	int ups = st->ups, ups2 = s2->ups;

	if (!restart)
		return;
	CHECK(system(restart) == 0, "restart the server (%s)", restart);
	/* the first query after the restart finds the connection broken: it fails, nothing hangs */
	const char *v = value(c, "SELECT 1");
	CHECK(strcmp(v, "1") == 0 || strncmp(v, "(error", 6) == 0, "first query answers: %s", v);
	while (st->ups == ups) /* reconnects by itself */
		uv_run(&loop, UV_RUN_ONCE);
	CHECK(st->downs >= 1, "the loss was reported");
	CHECK_STR(value(c, "SELECT count(*) FROM feeds"), "56", "the same database after the restart");
	test_relisten(c, c2, s2, ups2);
}

int main(int argc, char **argv)
{
	const char *uri = getenv("PG_URI");
	struct answer s1 = {0}, s2 = {0};
	struct pg_conn *c1, *c2, *dead;

	if (!uri) { /* run again under tests/store_pg.sh, which starts a server */
		char script[4096];

		snprintf(script, sizeof script, "%s/tests/store_pg.sh",
			 getenv("top_srcdir") ? getenv("top_srcdir") : ".");
		execl("/bin/sh", "sh", script, argv[0], (char *)NULL);
		perror(script);
		return 99;
	}
	uv_loop_init(&loop);
	c1 = pg_conn_new(&loop, uri, on_state, &s1);
	c2 = pg_conn_new(&loop, uri, on_state, &s2);
	test_migrate_and_reconcile(c1, c2);
	test_leases(c1, c2);
	test_concurrent_claims(c1, c2);
	test_url_change(c1);
	test_host_limits(c1, c2);
	test_notify(c1, c2);
	test_stale_put(c1, c2, uri);
	test_takeover_reservations(c1, c2);
	test_server_restart(c1, c2, &s1, &s2);

	/* a server that is not there: queries fail at once with the cause, and it is reported */
	struct answer d = {0}, q = {0};
	dead = pg_conn_new(&loop, "postgresql://feedspool@127.0.0.1:1/none?connect_timeout=2", on_state, &d);
	pg_conn_query(dead, "SELECT 1", 0, NULL, on_rows, &q);
	wait_answer(&q);
	CHECK(q.rc < 0 && strstr(q.err, "127.0.0.1"), "a dead server's error names it: %s", q.err);
	CHECK(d.downs == 1 && d.ups == 0, "reported down once (%d, %d)", d.downs, d.ups);

	pg_conn_free(dead);
	pg_conn_free(c1);
	pg_conn_free(c2);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	return check_exit();
}
