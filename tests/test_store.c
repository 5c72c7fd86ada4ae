/* SPDX-License-Identifier: MIT */
/* The store interface's contract, one set of checks for every implementation: SQLite
 * (store_sqlite.c) always, PostgreSQL (store_pg.c) when PG_URI names a server (tests/store_pg.sh
 * starts a throwaway one: tests/store_contract_pg.sh). Batches committed through a callback,
 * seen lookups by id and by (feed, guid), feeds, revisions, near-duplicate candidates,
 * boilerplate, retention, recovery walks; two instances reserving one id (exactly one wins);
 * and, with a server, a batch whose server stops before its commit (nothing of it is kept) and
 * the reconnection after. Answers are waited for by running the loop (SQLite's come at once). */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "check.h"
#include "pg_feeds.h"
#include "store.h"
#include "store_pg.h"

static uv_loop_t loop;

/* One instance of a store: SQLite over its own state handle, or PostgreSQL over its own
 * connection. */
struct inst {
	const char *name; /* the instance's (PostgreSQL: recovery walks see its own articles) */
	struct store *s;
	struct state *st;
	struct pg_conn *c;
};

struct backend {
	const char *name;
	const char *where; /* the SQLite file, or the PostgreSQL URI */
	int (*open)(struct backend *b, struct inst *i);
	int server; /* PG_STOP and PG_START can take it away and bring it back */
};

struct answer {
	int calls, rc, cands;
	char id[17];
	struct seen_entry e;
	struct feed_state f;
	uint32_t boiler42;
};

/* Runs the loop until a has its answer (at most 60 s). */
static void wait_for(struct answer *a, int calls)
{
	uint64_t until = uv_hrtime() + 60 * (uint64_t)1000000000;

	while (a->calls < calls && uv_hrtime() < until)
		uv_run(&loop, UV_RUN_ONCE);
	CHECK(a->calls >= calls, "an answer within 60 s (%d of %d calls)", a->calls, calls);
}

static void on_done(void *ud, int status)
{
	struct answer *a = ud;

	a->calls++;
	a->rc = status;
}

static void on_seen(void *ud, int rc, const char *id, const struct seen_entry *e)
{
	struct answer *a = ud;

	a->calls++;
	a->rc = rc;
	snprintf(a->id, sizeof a->id, "%s", id ? id : "");
	if (e)
		a->e = *e;
}

static void on_feed(void *ud, int rc, const struct feed_state *f)
{
	struct answer *a = ud;

	a->calls++;
	a->rc = rc;
	feed_state_fini(&a->f);
	a->f.name = f->name ? strdup(f->name) : NULL;
	a->f.etag = f->etag ? strdup(f->etag) : NULL;
	a->f.url = f->url ? strdup(f->url) : NULL;
	a->f.next_due = f->next_due;
	a->f.retired = f->retired;
	a->f.failures = f->failures;
}

static void on_cand(void *ud, const char *id, const char *feed, const void *sk, size_t len)
{
	struct answer *a = ud;

	(void)feed;
	a->cands++;
	if (!a->id[0] || (sk && len == 2 && !memcmp(sk, "sk", 2)))
		snprintf(a->id, sizeof a->id, "%s", id);
}

static void on_boiler(void *ud, uint64_t h, uint32_t n)
{
	struct answer *a = ud;

	if (h == 42)
		a->boiler42 = n;
}

/* ---- helpers over any store ---------------------------------------------------------------- */

static int commit(struct store *s)
{
	struct answer a = {0};

	s->ops->commit(s, on_done, &a);
	wait_for(&a, 1);
	return a.calls == 1 ? a.rc : -ETIMEDOUT;
}

static struct answer lookup(struct store *s, const char *id, const char *feed, const char *guid)
{
	struct answer a = {0};

	s->ops->seen_lookup(s, id, feed, guid, on_seen, &a);
	wait_for(&a, 1);
	return a;
}

static struct state_seen_new seen_new(const char *id, const char *feed, const char *guid,
				      enum seen_status status)
{
	struct state_seen_new n = {0};

	n.id = id;
	n.feed = feed;
	n.guid = guid;
	n.status = status;
	return n;
}

/* Reserves id in a batch of its own: 0, or the code of seen_add or of the commit. */
static int reserve(struct store *s, const char *id, const char *feed)
{
	struct state_seen_new n = seen_new(id, feed, NULL, SEEN_RESERVED);
	int rc;

	if ((rc = s->ops->begin(s)) < 0)
		return rc;
	if ((rc = s->ops->seen_add(s, &n, 100)) < 0) {
		s->ops->rollback(s);
		return rc;
	}
	return commit(s);
}

/* ---- the contract ---------------------------------------------------------------------------- */

static void test_batch_and_lookups(const char *be, struct store *s)
{
	static const uint64_t keys[] = {7};
	struct state_seen_new n = seen_new("a1a1a1a1a1a1a1a1", "feed-a", "g-1", SEEN_RESERVED);
	struct answer a = {0};

	n.sketch = "sk";
	n.sketch_len = 2;
	n.keys = keys;
	n.n_keys = 1;
	CHECK(s->ops->begin(s) == 0, "%s: begin", be);
	CHECK(s->ops->seen_add(s, &n, 100) == 0, "%s: seen_add a1 into the batch", be);
	CHECK(s->ops->boiler_put(s, "feed-a", 42, 3, 100) == 0, "%s: boiler_put", be);
	CHECK(commit(s) == 0, "%s: commit: done called once with 0", be);
	a = lookup(s, "a1a1a1a1a1a1a1a1", "feed-a", NULL);
	CHECK(a.rc == 1 && !strcmp(a.id, "a1a1a1a1a1a1a1a1") && a.e.status == SEEN_RESERVED &&
		  a.e.same_feed,
	      "%s: lookup by id: expected a1, reserved, same feed (got %d %s)", be, a.rc, a.id);
	a = lookup(s, "a1a1a1a1a1a1a1a1", "feed-z", NULL);
	CHECK(a.rc == 1 && !a.e.same_feed, "%s: the same id asked by another feed: not same_feed", be);
	a = lookup(s, "ffffffffffffffff", "feed-a", "g-1");
	CHECK(a.rc == 1 && !strcmp(a.id, "a1a1a1a1a1a1a1a1"),
	      "%s: another id with a1's (feed, guid): expected the alias a1, got %d \"%s\"", be,
	      a.rc, a.id);
	a = lookup(s, "ffffffffffffffff", "feed-b", "g-1");
	CHECK(a.rc == 0, "%s: the same guid in another feed: expected unknown, got %d", be, a.rc);
	memset(&a, 0, sizeof a);
	s->ops->near_candidates(s, keys, 1, 0, 0, on_cand, on_done, &a);
	wait_for(&a, 1);
	CHECK(a.rc == 0 && !strcmp(a.id, "a1a1a1a1a1a1a1a1"),
	      "%s: near_candidates by key 7: expected a1 then done(0), got %d \"%s\"", be, a.rc, a.id);
	memset(&a, 0, sizeof a);
	s->ops->near_candidates(s, keys, 1, 0, 200, on_cand, on_done, &a);
	wait_for(&a, 1);
	CHECK(a.rc == 0 && a.cands == 0, "%s: nothing seen after since", be);
	memset(&a, 0, sizeof a);
	s->ops->boiler_load(s, "feed-a", on_boiler, on_done, &a);
	wait_for(&a, 1);
	CHECK(a.rc == 0 && a.boiler42 == 3, "%s: boiler_load: sentence 42 counted 3 (%u)", be,
	      a.boiler42);
	CHECK(s->ops->boiler_put(s, "feed-a", 42, 2, 100) == 0, "%s: a lower count", be);
	memset(&a, 0, sizeof a);
	s->ops->boiler_load(s, "feed-a", on_boiler, on_done, &a);
	wait_for(&a, 1);
	CHECK(a.boiler42 == 3, "%s: a boilerplate count is never lowered (%u)", be, a.boiler42);
}

/* seen_known by id, by (feed, guid) and by an older id; seen_revision (every implementation) */
static void test_known(const char *be, struct store *s)
{
	struct answer a = {0};

	CHECK(s->ops->seen_known && s->ops->seen_revision && s->ops->legacy_ids,
	      "%s: implements seen_known, seen_revision and legacy_ids", be);
	if (!s->ops->seen_known || !s->ops->seen_revision || !s->ops->legacy_ids)
		return;
	s->ops->seen_known(s, "a1a1a1a1a1a1a1a1", NULL, "feed-b", NULL, on_done, &a);
	wait_for(&a, 1);
	CHECK(a.rc == 1, "%s: known by id: got %d", be, a.rc);
	memset(&a, 0, sizeof a);
	s->ops->seen_known(s, "ffffffffffffffff", NULL, "feed-a", "g-1", on_done, &a);
	wait_for(&a, 1);
	CHECK(a.rc == 1, "%s: known by (feed, guid): got %d", be, a.rc);
	memset(&a, 0, sizeof a);
	s->ops->seen_known(s, "ffffffffffffffff", NULL, "feed-b", "g-1", on_done, &a);
	wait_for(&a, 1);
	CHECK(a.rc == 0, "%s: another feed's guid: expected unknown, got %d", be, a.rc);
	memset(&a, 0, sizeof a);
	s->ops->seen_known(s, "ffffffffffffffff", "a1a1a1a1a1a1a1a1", "feed-b", NULL, on_done, &a);
	wait_for(&a, 1);
	CHECK(a.rc == 1, "%s: known by its older id: got %d", be, a.rc);
	CHECK(s->ops->legacy_ids(s) == 0, "%s: a new store has no ids of the older link rules", be);
	CHECK(s->ops->seen_revision(s, "a1a1a1a1a1a1a1a1") == 0, "%s: a1's revision: 0", be);
	CHECK(s->ops->seen_revision(s, "b0b0b0b0b0b0b0b0") == -ENOENT, "%s: unknown: -ENOENT", be);
}

static void test_feeds(const char *be, struct store *s)
{
	struct feed_state f;
	struct answer a = {0};

	feed_state_init(&f);
	f.name = (char *)"feed-a";
	f.url = (char *)"http://127.0.0.1:1/a";
	f.etag = (char *)"\"v1\"";
	f.next_due = 5000;
	f.failures = 2;
	f.retired = 1;
	CHECK(s->ops->feed_put(s, &f) == 0, "%s: feed_put", be);
	s->ops->feed_get(s, "feed-a", on_feed, &a);
	wait_for(&a, 1);
	CHECK(a.rc == 1 && a.f.etag && !strcmp(a.f.etag, "\"v1\"") && a.f.next_due == 5000 &&
		  a.f.failures == 2 && a.f.retired,
	      "%s: feed_get gives back what feed_put stored (rc %d)", be, a.rc);
	f.etag = NULL;
	f.retired = 0;
	CHECK(s->ops->feed_put(s, &f) == 0, "%s: feed_put again", be);
	a.calls = 0;
	s->ops->feed_get(s, "feed-a", on_feed, &a);
	wait_for(&a, 1);
	CHECK(a.rc == 1 && !a.f.etag && !a.f.retired, "%s: a put replaces (etag now none)", be);
	CHECK(s->ops->feed_delete(s, "feed-a") == 0, "%s: feed_delete", be);
	a.calls = 0;
	s->ops->feed_get(s, "feed-a", on_feed, &a);
	wait_for(&a, 1);
	CHECK(a.rc == 0, "%s: a deleted feed is unknown (%d)", be, a.rc);
	feed_state_fini(&a.f);
}

static int count_id(void *ud, const char *id)
{
	(void)id;
	(*(int *)ud)++;
	return 0;
}

static void test_revisions_and_walks(const char *be, struct store *s)
{
	struct answer a;
	int n = 0, rc;

	CHECK(s->ops->seen_each(s, SEEN_RESERVED, count_id, &n) == 0 && n == 1,
	      "%s: one reserved article for recovery (%d)", be, n);
	/* a hash with its top bit set: the 64 bits round-trip */
	CHECK(s->ops->seen_update(s, "a1a1a1a1a1a1a1a1", SEEN_WRITTEN, 0xfedcba9876543210ULL, 2) == 0,
	      "%s: seen_update", be);
	a = lookup(s, "a1a1a1a1a1a1a1a1", "feed-a", NULL);
	CHECK(a.rc == 1 && a.e.status == SEEN_WRITTEN && a.e.content_hash == 0xfedcba9876543210ULL &&
		  a.e.revision == 2,
	      "%s: status, content hash and revision updated", be);
	n = 0;
	CHECK(s->ops->seen_each(s, SEEN_RESERVED, count_id, &n) == 0 && n == 0,
	      "%s: none reserved any more (%d)", be, n);
	rc = s->ops->seen_set_status(s, "b0b0b0b0b0b0b0b0", SEEN_WRITTEN);
	CHECK(rc == -ENOENT || rc == 0, "%s: set_status of an unknown id: -ENOENT or 0, got %d", be,
	      rc);
	CHECK(lookup(s, "b0b0b0b0b0b0b0b0", NULL, NULL).rc == 0, "%s: and it stays unknown", be);
	CHECK(s->ops->meta_put(s, "filter.x", "1 2 3") == 0, "%s: meta_put", be);
	CHECK(s->ops->meta_put(s, "filter.x", "4 5 6") == 0, "%s: meta_put replaces", be);
}

/* SimHash candidates share a 16-bit band; aliases are never candidates; retention. */
static void test_near_and_expire(const char *be, struct store *s)
{
	struct state_seen_new n = seen_new("c1c1c1c1c1c1c1c1", "feed-c", "g-c", SEEN_WRITTEN);
	struct state_seen_new al = seen_new("c2c2c2c2c2c2c2c2", "feed-d", "g-d", SEEN_ALIAS);
	struct answer a = {0};

	n.simhash = 0x8000123456789abcULL;
	al.simhash = n.simhash;
	al.alias_of = n.id;
	al.why = "near 0 bits";
	CHECK(s->ops->begin(s) == 0, "%s: begin", be);
	CHECK(s->ops->seen_add(s, &n, 10) == 0 && s->ops->seen_add(s, &al, 10) == 0,
	      "%s: an article and its alias", be);
	CHECK(commit(s) == 0, "%s: commit both", be);
	s->ops->near_candidates(s, NULL, 0, n.simhash ^ 0x0001000000010000ULL, 0, on_cand, on_done,
				&a);
	wait_for(&a, 1);
	CHECK(a.rc == 0 && a.cands == 1 && !strcmp(a.id, "c1c1c1c1c1c1c1c1"),
	      "%s: by band: c1 alone, not its alias (%d candidates, \"%s\")", be, a.cands, a.id);
	CHECK(lookup(s, "ffffffffffffffff", "feed-d", "g-d").rc == 1,
	      "%s: an alias row answers for its (feed, guid)", be);
	CHECK(s->ops->seen_touch(s, "c1c1c1c1c1c1c1c1", 60) == 0, "%s: touch c1 at 60", be);
	CHECK(s->ops->seen_touch(s, "c1c1c1c1c1c1c1c1", 30) == 0, "%s: an older touch", be);
	CHECK(s->ops->expire(s, 50) >= 0, "%s: expire before 50", be);
	CHECK(lookup(s, "c2c2c2c2c2c2c2c2", NULL, NULL).rc == 0, "%s: the untouched alias expired",
	      be);
	CHECK(lookup(s, "c1c1c1c1c1c1c1c1", NULL, NULL).rc == 1,
	      "%s: the touched article stays (a late older touch did not move it back)", be);
	CHECK(lookup(s, "a1a1a1a1a1a1a1a1", NULL, NULL).rc == 1, "%s: a1 (seen at 100) stays", be);
}

static void test_rollback_and_duplicates(const char *be, struct store *s)
{
	struct state_seen_new n = seen_new("d1d1d1d1d1d1d1d1", "feed-a", NULL, SEEN_RESERVED);
	struct state_seen_new again = seen_new("a1a1a1a1a1a1a1a1", "feed-b", NULL, SEEN_RESERVED);
	int add, done;

	CHECK(s->ops->begin(s) == 0, "%s: begin", be);
	CHECK(s->ops->begin(s) < 0, "%s: batches do not nest", be);
	CHECK(s->ops->seen_add(s, &n, 100) == 0, "%s: add d1", be);
	CHECK(s->ops->rollback(s) == 0, "%s: rollback", be);
	CHECK(lookup(s, "d1d1d1d1d1d1d1d1", NULL, NULL).rc == 0, "%s: nothing of a rolled back batch",
	      be);
	/* a known id reserved again: refused at once (SQLite) or at commit (a server) */
	CHECK(s->ops->begin(s) == 0, "%s: begin", be);
	add = s->ops->seen_add(s, &again, 100);
	done = commit(s);
	CHECK(add == -EEXIST || done == -EEXIST, "%s: a known id is not reserved twice (%d, %d)", be,
	      add, done);
}

/* Two instances (two handles, two connections) reserve the same ids: one wins each. */
static void test_race(struct backend *b, struct store *s1)
{
	struct inst two = {.name = "two"};
	char id[17];
	int ones = 0; /* races the first instance won */

	if (b->open(b, &two) < 0) {
		CHECK(0, "%s: a second instance", b->name);
		return;
	}
	for (int i = 0; i < 8; i++) {
		struct store *x = i & 1 ? two.s : s1, *y = i & 1 ? s1 : two.s;
		struct state_seen_new n = seen_new(id, "feed-x", NULL, SEEN_RESERVED);
		struct state_seen_new m = seen_new(id, "feed-y", NULL, SEEN_RESERVED);
		struct answer dx = {0}, dy = {0};
		int ax, ay;

		snprintf(id, sizeof id, "e%015d", i);
		/* both batches open before either commits, where the store allows it (SQLite's
		 * writer lock does not: one after the other there) */
		if (b->server) {
			CHECK(x->ops->begin(x) == 0 && y->ops->begin(y) == 0, "%s: two batches", b->name);
			ax = x->ops->seen_add(x, &n, 100);
			ay = y->ops->seen_add(y, &m, 100);
			x->ops->commit(x, on_done, &dx);
			y->ops->commit(y, on_done, &dy);
		} else {
			x->ops->begin(x);
			ax = x->ops->seen_add(x, &n, 100);
			x->ops->commit(x, on_done, &dx);
			y->ops->begin(y);
			ay = y->ops->seen_add(y, &m, 100);
			y->ops->commit(y, on_done, &dy);
		}
		wait_for(&dx, 1);
		wait_for(&dy, 1);
		int wx = ax == 0 && dx.rc == 0, wy = ay == 0 && dy.rc == 0;
		int lost = wx ? (ay == -EEXIST || dy.rc == -EEXIST) : (ax == -EEXIST || dx.rc == -EEXIST);

		CHECK(wx + wy == 1 && lost, "%s: race %d: exactly one wins, -EEXIST for the other"
		      " (%d/%d, %d/%d)", b->name, i, ax, dx.rc, ay, dy.rc);
		ones += x == s1 ? wx : wy;
		struct answer a = lookup(s1, id, wx ? "feed-x" : "feed-y", NULL);
		CHECK(a.rc == 1 && a.e.same_feed, "%s: race %d: the winner's row", b->name, i);
		if (b->server) {
			/* the loser forgets the reservation it thinks it made (the pipeline's clean-up
			 * of a failed batch): the winner's row stays, or a third fetch writes it again */
			struct store *loser = wx ? y : x;
			struct answer dd = {0}, dr = {0};

			/* the loser's staging ends after its batch failed: recording the article (its
			 * next step) must fail too and leave the winner's row as it is, or the loser
			 * publishes an article the winner writes as well */
			CHECK(loser->ops->begin(loser) == 0 &&
				      loser->ops->seen_update(loser, id, SEEN_SPOOLING, 42, 0) == 0,
			      "%s: race %d: the loser records", b->name, i);
			loser->ops->commit(loser, on_done, &dr);
			wait_for(&dr, 1);
			a = lookup(s1, id, wx ? "feed-x" : "feed-y", NULL);
			CHECK(dr.rc == -EEXIST && a.rc == 1 && a.e.status == SEEN_RESERVED,
			      "%s: race %d: the loser's record fails with -EEXIST (%d), the winner's row"
			      " stays reserved (status %d)",
			      b->name, i, dr.rc, (int)a.e.status);
			CHECK(loser->ops->begin(loser) == 0 && loser->ops->seen_delete(loser, id) == 0,
			      "%s: race %d: the loser deletes", b->name, i);
			loser->ops->commit(loser, on_done, &dd);
			wait_for(&dd, 1);
			a = lookup(s1, id, wx ? "feed-x" : "feed-y", NULL);
			CHECK(dd.rc == 0 && a.rc == 1 && a.e.same_feed,
			      "%s: race %d: the loser's clean-up leaves the winner's row (%d, %d)",
			      b->name, i, dd.rc, a.rc);
		}
	}
	if (b->server) {
		/* recovery walks: each instance sees the reservations it made, not the other's */
		int n1 = 0, n2 = 0;

		CHECK(reserve(two.s, "7777777777777777", "feed-x") == 0, "two reserves 7777...");
		CHECK(s1->ops->seen_each(s1, SEEN_RESERVED, count_id, &n1) == 0 &&
			      two.s->ops->seen_each(two.s, SEEN_RESERVED, count_id, &n2) == 0,
		      "both walk");
		CHECK(n1 == ones && n2 == 8 - ones + 1,
		      "%s: one walks its own %d (got %d), two its own %d (got %d)", b->name, ones, n1,
		      8 - ones + 1, n2);
	}
	two.s->ops->close(two.s);
	if (two.st)
		state_close(two.st);
	if (two.c)
		pg_conn_free(two.c);
}

/* The server stops with a batch open: its commit fails, nothing of it is kept; the connection
 * comes back by itself. */
static void test_server_loss(struct backend *b, struct store *s)
{
	const char *stop = getenv("PG_STOP"), *start = getenv("PG_START");
	struct state_seen_new n1 = seen_new("f1f1f1f1f1f1f1f1", "feed-a", NULL, SEEN_RESERVED);
	struct state_seen_new n2 = seen_new("f2f2f2f2f2f2f2f2", "feed-a", "g-f2", SEEN_RESERVED);
	uint64_t until;

	if (!b->server || !stop || !start)
		return;
	CHECK(s->ops->begin(s) == 0, "begin");
	CHECK(s->ops->seen_add(s, &n1, 100) == 0 && s->ops->seen_add(s, &n2, 100) == 0, "two adds");
	/* the batch's own reads see it: its statements reached the server */
	CHECK(lookup(s, "f1f1f1f1f1f1f1f1", NULL, NULL).rc == 1, "the open batch sees its write");
	CHECK(system(stop) == 0, "stop the server (%s)", stop);
	CHECK(commit(s) == -EBUSY, "the commit fails with -EBUSY: %s", s->ops->error(s));
	CHECK(s->ops->probe(s) == -EBUSY, "probe: the server is away");
	CHECK(lookup(s, "a1a1a1a1a1a1a1a1", NULL, NULL).rc == -EBUSY, "reads fail at once meanwhile");
	CHECK(system(start) == 0, "start the server (%s)", start);
	until = uv_hrtime() + 60 * (uint64_t)1000000000;
	while (s->ops->probe(s) != 0 && uv_hrtime() < until)
		uv_run(&loop, UV_RUN_ONCE);
	CHECK(s->ops->probe(s) == 0, "reconnected within 60 s");
	CHECK(lookup(s, "f1f1f1f1f1f1f1f1", NULL, NULL).rc == 0 &&
		      lookup(s, "f2f2f2f2f2f2f2f2", "feed-a", "g-f2").rc == 0,
	      "nothing of the lost batch after the restart");
	CHECK(lookup(s, "a1a1a1a1a1a1a1a1", NULL, NULL).rc == 1, "what was committed is there");
	CHECK(reserve(s, "f1f1f1f1f1f1f1f1", "feed-a") == 0, "a new batch commits");

	/* the server restarts between a batch's BEGIN and its writes: the writes must not run
	 * outside the transaction, on the new connection */
	CHECK(s->ops->begin(s) == 0, "begin");
	CHECK(lookup(s, "f1f1f1f1f1f1f1f1", NULL, NULL).rc == 1, "BEGIN went through");
	CHECK(system(stop) == 0 && system(start) == 0, "restart the server");
	until = uv_hrtime() + 60 * (uint64_t)1000000000;
	while (lookup(s, "f1f1f1f1f1f1f1f1", NULL, NULL).rc != 1 && uv_hrtime() < until)
		; /* each failed read is answered from the loop: the reconnection goes on meanwhile */
	CHECK(s->ops->seen_add(s, &n2, 100) == 0, "a write after the reconnection is accepted");
	CHECK(commit(s) == -EBUSY, "but its batch fails: its BEGIN was on the lost connection");
	CHECK(lookup(s, "f2f2f2f2f2f2f2f2", NULL, NULL).rc == 0, "and nothing of it was written");
}

/* What a reservation and a lookup cost the server (store_pg_counts: the benchmark's "queries
 * per fetch"). */
static void test_counts(struct backend *b, struct store *s)
{
	struct store_pg_counts c0, c1;

	if (!b->server)
		return;
	store_pg_counts(s, &c0);
	CHECK(reserve(s, "9999999999999999", "feed-a") == 0, "reserve");
	store_pg_counts(s, &c1);
	CHECK(c1.batches - c0.batches == 2 && c1.writes - c0.writes == 1 && c1.reads == c0.reads,
	      "a batch of one reservation: BEGIN and COMMIT, one write, no read (%lu, %lu, %lu)",
	      c1.batches - c0.batches, c1.writes - c0.writes, c1.reads - c0.reads);
	CHECK(lookup(s, "9999999999999999", NULL, NULL).rc == 1, "lookup");
	store_pg_counts(s, &c0);
	CHECK(c0.reads - c1.reads == 1, "a lookup is one query (%lu)", c0.reads - c1.reads);
}

/* PostgreSQL: the table store_pg_preload reads answers feed_get within the call, as feeds.c's
 * reconcile needs, and follows feed_put; legacy_ids comes from the meta an import brings */
static int open_pg(struct backend *b, struct inst *i);

static void test_preload(struct backend *b, struct store *s)
{
	struct feed_state f;
	struct answer a = {0};

	if (b->open != open_pg)
		return;
	feed_state_init(&f);
	f.name = (char *)"feed-p";
	f.url = (char *)"http://127.0.0.1:1/p";
	f.etag = (char *)"\"p1\"";
	f.next_due = 7000;
	CHECK(s->ops->begin(s) == 0 && s->ops->feed_put(s, &f) == 0 &&
		      s->ops->meta_put(s, "v3_ids", "1") == 0 && commit(s) == 0,
	      "pg: a feed and meta v3_ids saved");
	CHECK(store_pg_preload(s) == 0, "pg: preload (%s)", s->ops->error(s));
	CHECK(s->ops->legacy_ids(s) == 1, "pg: legacy_ids after an import's meta v3_ids");
	s->ops->feed_get(s, "feed-p", on_feed, &a);
	CHECK(a.calls == 1 && a.rc == 1 && a.f.etag && !strcmp(a.f.etag, "\"p1\"") &&
		      a.f.next_due == 7000,
	      "pg: a preloaded feed is answered within the call (calls %d rc %d)", a.calls, a.rc);
	f.etag = (char *)"\"p2\"";
	CHECK(s->ops->feed_put(s, &f) == 0, "pg: feed_put while preloaded");
	a.calls = 0;
	s->ops->feed_get(s, "feed-p", on_feed, &a);
	CHECK(a.calls == 1 && a.f.etag && !strcmp(a.f.etag, "\"p2\""),
	      "pg: the table follows feed_put");
	a.calls = 0;
	s->ops->feed_get(s, "feed-none", on_feed, &a);
	CHECK(a.calls == 1 && a.rc == 0, "pg: an unknown feed is answered unknown within the call");
	store_pg_preload_end(s);
	a.calls = 0;
	s->ops->feed_get(s, "feed-p", on_feed, &a);
	wait_for(&a, 1);
	CHECK(a.rc == 1 && a.f.etag && !strcmp(a.f.etag, "\"p2\""), "pg: the put reached the server");
	CHECK(s->ops->begin(s) == 0 && s->ops->feed_delete(s, "feed-p") == 0 &&
		      s->ops->meta_put(s, "v3_ids", "0") == 0 && commit(s) == 0,
	      "pg: cleaned up");
	feed_state_fini(&a.f);
}

static void run_contract(struct backend *b)
{
	struct inst one = {.name = "one"};

	if (b->open(b, &one) < 0) {
		CHECK(0, "%s: open %s", b->name, b->where);
		return;
	}
	test_batch_and_lookups(b->name, one.s);
	test_known(b->name, one.s);
	test_feeds(b->name, one.s);
	test_revisions_and_walks(b->name, one.s);
	test_near_and_expire(b->name, one.s);
	test_rollback_and_duplicates(b->name, one.s);
	test_race(b, one.s);
	test_counts(b, one.s);
	test_preload(b, one.s);
	test_server_loss(b, one.s);
	one.s->ops->close(one.s);
	if (one.st)
		state_close(one.st);
	if (one.c)
		pg_conn_free(one.c);
}

/* ---- the implementations --------------------------------------------------------------------- */

static int open_sqlite(struct backend *b, struct inst *i)
{
	struct buf err = BUF_INIT;

	i->st = state_open(b->where, 0, &err);
	CHECK(i->st != NULL, "state_open %s: %s", b->where, buf_cstr(&err));
	buf_fini(&err);
	if (!i->st || !(i->s = store_sqlite_new(i->st)))
		return -1;
	return 0;
}

static void on_migrated(void *ud, int rc, const char *err)
{
	struct answer *a = ud;

	a->calls++;
	a->rc = rc;
	if (rc < 0)
		fprintf(stderr, "migration: %s\n", err);
}

static int open_pg(struct backend *b, struct inst *i)
{
	struct answer a = {0};

	i->c = pg_conn_new(&loop, b->where, NULL, NULL);
	if (!i->c || pg_feeds_migrate(i->c, on_migrated, &a) < 0)
		return -1;
	wait_for(&a, 1);
	if (a.rc < 0 || !(i->s = store_pg_new(&loop, i->c, b->where, i->name)))
		return -1;
	return 0;
}

static void on_tick(uv_timer_t *t)
{
	(void)t; /* keeps the loop turning for the bounded waits */
}

int main(void)
{
	char dir[] = "/tmp/test_store.XXXXXX", path[64];
	struct backend sqlite = {"sqlite", path, open_sqlite, 0};
	struct backend pg = {"postgresql", getenv("PG_URI"), open_pg, 1};
	uv_timer_t tick;

	uv_loop_init(&loop);
	uv_timer_init(&loop, &tick);
	uv_timer_start(&tick, on_tick, 100, 100);
	if (!mkdtemp(dir))
		return 99;
	snprintf(path, sizeof path, "%s/state.db", dir);
	run_contract(&sqlite);
	if (pg.where)
		run_contract(&pg);
	else
		fprintf(stderr, "PostgreSQL: PG_URI unset (tests/store_contract_pg.sh sets it)\n");
	uv_close((uv_handle_t *)&tick, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	snprintf(path, sizeof path, "rm -rf %s", dir);
	if (system(path) != 0)
		return 99;
	return check_exit();
}
