/* SPDX-License-Identifier: MIT */
/* The store interface over SQLite (store_sqlite.c): batches committed through a callback, seen
 * lookups by id and by (feed, guid), near-duplicate candidates and boilerplate, all answered
 * through callbacks. */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "store.h"

struct answer {
	int calls, rc;
	char id[17];
	struct seen_entry e;
};

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

static void on_cand(void *ud, const char *id, const char *feed, const void *sk, size_t len)
{
	struct answer *a = ud;

	(void)feed;
	(void)sk;
	(void)len;
	snprintf(a->id, sizeof a->id, "%s", id);
}

static void on_boiler(void *ud, uint64_t h, uint32_t n)
{
	struct answer *a = ud;

	if (h == 42)
		a->e.revision = (int)n;
}

int main(void)
{
	static const uint64_t keys[] = {7};
	char dir[] = "/tmp/test_store.XXXXXX", path[64];
	struct state_seen_new n = {"a1a1a1a1a1a1a1a1", "feed-a", "g-1", 0, SEEN_RESERVED, NULL,
				   "sk", 2, keys, 1, NULL};
	struct answer a;
	struct buf err = BUF_INIT;
	struct state *st;
	struct store *s;

	if (!mkdtemp(dir))
		return 99;
	snprintf(path, sizeof path, "%s/state.db", dir);
	st = state_open(path, 0, &err);
	CHECK(st != NULL, "state_open %s: %s", path, buf_cstr(&err));
	if (!st)
		return check_exit();
	s = store_sqlite_new(st);
	CHECK(s != NULL, "store_sqlite_new");
	CHECK(s->ops->begin(s) == 0, "begin");
	CHECK(s->ops->seen_add(s, &n, 100) == 0, "seen_add a1 into the batch");
	CHECK(s->ops->boiler_put(s, "feed-a", 42, 3, 100) == 0, "boiler_put");
	memset(&a, 0, sizeof a);
	s->ops->commit(s, on_done, &a);
	CHECK(a.calls == 1 && a.rc == 0, "commit: done called once with 0 (got %d calls, %d)",
	      a.calls, a.rc);
	memset(&a, 0, sizeof a);
	s->ops->seen_lookup(s, "a1a1a1a1a1a1a1a1", "feed-a", NULL, on_seen, &a);
	CHECK(a.calls == 1 && a.rc == 1 && !strcmp(a.id, "a1a1a1a1a1a1a1a1") &&
		  a.e.status == SEEN_RESERVED && a.e.same_feed,
	      "lookup by id: expected a1, reserved, same feed");
	memset(&a, 0, sizeof a);
	s->ops->seen_lookup(s, "ffffffffffffffff", "feed-a", "g-1", on_seen, &a);
	CHECK(a.calls == 1 && a.rc == 1 && !strcmp(a.id, "a1a1a1a1a1a1a1a1"),
	      "lookup of another id with a1's (feed, guid): expected the alias a1, got %d \"%s\"",
	      a.rc, a.id);
	memset(&a, 0, sizeof a);
	s->ops->seen_lookup(s, "ffffffffffffffff", "feed-b", "g-1", on_seen, &a);
	CHECK(a.calls == 1 && a.rc == 0, "the same guid in another feed: expected unknown");
	memset(&a, 0, sizeof a);
	s->ops->near_candidates(s, keys, 1, 0, 0, on_cand, on_done, &a);
	CHECK(a.calls == 1 && a.rc == 0 && !strcmp(a.id, "a1a1a1a1a1a1a1a1"),
	      "near_candidates by key 7: expected a1, then done(0)");
	memset(&a, 0, sizeof a);
	s->ops->boiler_load(s, "feed-a", on_boiler, on_done, &a);
	CHECK(a.calls == 1 && a.rc == 0 && a.e.revision == 3,
	      "boiler_load: sentence 42 counted 3, then done(0)");
	CHECK(s->ops->seen_set_status(s, "b0b0b0b0b0b0b0b0", SEEN_WRITTEN) == -ENOENT,
	      "set_status of an unknown id: expected -ENOENT");
	/* seen_known: by id, by (feed, guid), by the older id; seen_revision; immediate */
	CHECK(s->immediate == 1, "the SQLite store answers within the call");
	memset(&a, 0, sizeof a);
	s->ops->seen_known(s, "a1a1a1a1a1a1a1a1", NULL, "feed-b", NULL, on_done, &a);
	CHECK(a.calls == 1 && a.rc == 1, "known by id: got %d calls, %d", a.calls, a.rc);
	memset(&a, 0, sizeof a);
	s->ops->seen_known(s, "ffffffffffffffff", NULL, "feed-a", "g-1", on_done, &a);
	CHECK(a.calls == 1 && a.rc == 1, "known by (feed, guid): got %d", a.rc);
	memset(&a, 0, sizeof a);
	s->ops->seen_known(s, "ffffffffffffffff", NULL, "feed-b", "g-1", on_done, &a);
	CHECK(a.calls == 1 && a.rc == 0, "another feed's guid: expected unknown, got %d", a.rc);
	memset(&a, 0, sizeof a);
	s->ops->seen_known(s, "ffffffffffffffff", "a1a1a1a1a1a1a1a1", "feed-b", NULL, on_done, &a);
	CHECK(a.calls == 1 && a.rc == 1, "known by its older id: got %d", a.rc);
	CHECK(s->ops->legacy_ids(s) == 0, "a new database has no ids of the older link rules");
	CHECK(s->ops->seen_revision(s, "a1a1a1a1a1a1a1a1") == 0, "a1's revision: 0");
	CHECK(s->ops->seen_revision(s, "b0b0b0b0b0b0b0b0") == -ENOENT, "unknown: -ENOENT");
	s->ops->close(s);
	state_close(st);
	buf_fini(&err);
	snprintf(path, sizeof path, "rm -rf %s", dir);
	if (system(path) != 0)
		return 99;
	return check_exit();
}
