/* SPDX-License-Identifier: MIT */
/* The pipeline over a store whose reads and commits answer later (store_defer.c): the same
 * documents, parsed and handed over as feeds.c does (the known check, a 64-article window),
 * must give what the SQLite store gives (articles written once, the same seen set, validators
 * saved after the records), and a failed commit must lose nothing and write nothing twice. */
#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "buf.h"
#include "check.h"
#include "config.h"
#include "feed.h"
#include "log.h"
#include "pipeline.h"
#include "spool.h"
#include "state.h"
#include "store.h"
#include "store_defer.h"

#define WINDOW 64 /* feeds.c's RUN_BACKLOG */

struct env {
	uv_loop_t loop;
	char dir[256];
	struct config *c;
	struct state *st;
	struct store *sq, *store;
	struct spool *sp;
	struct pipeline *p;
	int resumed;
};

struct wait {
	struct env *e;
	const char *feed, *etag;
	int done;
	struct feed_run_result res;
};

static const char *words[] = {
    "harbour", "council", "budget",  "railway", "festival", "drought", "vaccine", "election",
    "bridge",  "museum",  "orchard", "factory", "glacier",  "senate",  "tariff",  "stadium",
    "library", "airport", "canal",   "reactor", "vineyard", "parade",  "strike",  "quarry",
    "lagoon",  "tunnel",  "market",  "forest",  "satellite", "court",  "harvest", "storm"};

/* A body of distinct words for story n (an LCG over the word list). */
static void body_of(unsigned n, struct buf *b)
{
	unsigned x = n * 2654435761u + 12345u;
	int i;

	for (i = 0; i < 60; i++) {
		x = x * 1103515245u + 12345u;
		buf_printf(b, "%s%s %u", i ? " " : "", words[(x >> 16) % 32], (x >> 8) % 1000);
	}
}

static void item(struct buf *d, const char *feed, unsigned story, const char *link_tag,
		 const char *guid, const char *extra)
{
	buf_printf(d, "<item><title>Story %u: %s report</title><link>http://example.org/%s/%u</link>",
		   story, words[story % 32], link_tag, story);
	buf_printf(d, "<guid isPermaLink=\"false\">%s</guid><description>", guid);
	body_of(story, d);
	buf_printf(d, "%s</description></item>\n", extra ? extra : "");
	(void)feed;
}

/* alpha: 120 stories, with (each right behind the first) a repeat of story 5, story 7 again
 * under its guid with another link, and a copy of story 10 under its own link and guid (a
 * near-duplicate). */
static void doc_alpha(struct buf *d, unsigned changed)
{
	char guid[32];
	unsigned i;

	buf_printf(d, "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>alpha</title>"
		      "<link>http://example.org/</link>\n");
	for (i = 0; i < 120; i++) {
		snprintf(guid, sizeof guid, "alpha-%u", i);
		item(d, "alpha", i, "a", guid, i == changed ? " and one more sentence" : NULL);
		/* right behind the first: both are in flight at once */
		if (i == 5)
			item(d, "alpha", 5, "a", "alpha-5", NULL);
		if (i == 7)
			item(d, "alpha", 7, "moved", "alpha-7", NULL);
		if (i == 10)
			item(d, "alpha", 10, "copy", "copy-of-10", NULL);
	}
	buf_printf(d, "</channel></rss>\n");
}

/* beta (gamma): 10 stories of its own, a copy of alpha's story 20 (same link), and one of
 * story 30 under its own link. */
static void doc_other(struct buf *d, const char *tag, unsigned base)
{
	char guid[32];
	unsigned i;

	buf_printf(d, "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>%s</title>"
		      "<link>http://example.net/</link>\n", tag);
	for (i = base; i < base + 10; i++) {
		snprintf(guid, sizeof guid, "%s-%u", tag, i);
		item(d, tag, i, tag, guid, NULL);
	}
	snprintf(guid, sizeof guid, "%s-copy-20", tag);
	item(d, tag, 20, "a", guid, NULL);
	snprintf(guid, sizeof guid, "%s-copy-30", tag);
	item(d, tag, 30, tag, guid, NULL);
	buf_printf(d, "</channel></rss>\n");
}

static void on_resume(void *ud)
{
	((struct env *)ud)->resumed = 1;
}

static int env_open(struct env *e, const char *name, int defer)
{
	struct buf err = BUF_INIT, conf = BUF_INIT;
	char path[300];
	FILE *f;

	memset(e, 0, sizeof *e);
	snprintf(e->dir, sizeof e->dir, "%s/test_pipeline_async.%s.XXXXXX",
		 getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", name);
	if (!mkdtemp(e->dir) || uv_loop_init(&e->loop) < 0)
		return -1;
	snprintf(path, sizeof path, "%s/feedspool.conf", e->dir);
	buf_printf(&conf, "[feedspool]\nstate = %s/state.db\nspool = %s/spool\n[feed alpha]\nurl = "
			  "http://example.org/alpha.xml\n[feed beta]\nurl = http://example.net/b.xml\n"
			  "[feed gamma]\nurl = http://example.com/g.xml\n",
		   e->dir, e->dir);
	if (!(f = fopen(path, "w")) || fputs(buf_cstr(&conf), f) < 0 || fclose(f) != 0)
		return -1;
	buf_fini(&conf);
	if (!(e->c = config_load(path, &err)) || !(e->st = state_open(e->c->state, 0, &err)) ||
	    !(e->sq = store_sqlite_new(e->st)) ||
	    !(e->sp = spool_open(&e->loop, e->c->spool, 077, &err))) {
		fprintf(stderr, "%s\n", buf_cstr(&err));
		return -1;
	}
	buf_fini(&err);
	e->store = defer ? store_defer_new(&e->loop, e->sq) : e->sq;
	if (!e->store || !(e->p = pipeline_new(&e->loop, e->store, e->sp, e->c)))
		return -1;
	pipeline_on_resume(e->p, on_resume, e);
	return pipeline_recover(e->p) < 0 ? -1 : 0;
}

static void loop_until(struct env *e, int *flag)
{
	int i;

	for (i = 0; i < 1000000 && !*flag; i++)
		uv_run(&e->loop, UV_RUN_ONCE);
	CHECK(*flag, "the loop never got there");
}

static void wait_idle(struct env *e)
{
	int i;

	/* each turn waits for an event (the spool's thread pool, the store's answers) */
	for (i = 0; i < 1000000 && !pipeline_idle(e->p); i++)
		uv_run(&e->loop, UV_RUN_ONCE);
	CHECK(pipeline_idle(e->p), "the pipeline never became idle");
}

/* What feeds.c does once a run is done: the validators are saved, after the records and only
 * when nothing failed or was put off. */
static void on_run_done(void *ud, const struct feed_run_result *r)
{
	struct wait *w = ud;
	struct env *e = w->e;
	struct feed_state fs;

	w->done = 1;
	w->res = *r;
	if (r->failed || r->deferred || pipeline_txn(e->p) < 0)
		return;
	feed_state_init(&fs);
	fs.name = (char *)w->feed;
	fs.url = (char *)"http://example.org/";
	fs.etag = (char *)w->etag;
	CHECK(e->store->ops->feed_put(e->store, &fs) == 0, "feed_put %s", w->feed);
}

struct handover {
	struct feed_run *run;
};

static int on_known(void *ud, const struct article *a)
{
	return pipeline_run_known(((struct handover *)ud)->run, a);
}

static int on_article(void *ud, struct article *a, const struct feed_info *f)
{
	pipeline_run_article(((struct handover *)ud)->run, a, f);
	return 0;
}

/* One fetch of one feed: the document in small pieces, never more than WINDOW articles
 * handed over and unsettled (feeds.c's flow control). */
static struct feed_run_result fetch(struct env *e, const char *feed, const char *etag,
				    const struct buf *doc, int revisions, int catchup)
{
	struct wait w = {e, feed, etag, 0, {0}};
	struct handover h;
	struct feed_parser_opts po = {0};
	struct feed_parser *fp;
	size_t off, n;

	h.run = pipeline_run_begin(e->p, feed, on_run_done, &w);
	pipeline_run_set_revisions(h.run, revisions);
	pipeline_run_set_catchup(h.run, catchup);
	po.name = feed;
	po.url = "http://example.org/feed.xml";
	po.fetched = 1700000000;
	po.known = on_known;
	po.known_ud = &h;
	fp = feed_parser_new(&po, on_article, &h);
	for (off = 0; fp && off < doc->len; off += n) {
		n = doc->len - off < 512 ? doc->len - off : 512;
		CHECK(feed_parser_push(fp, doc->data + off, n) == 0, "push");
		while (pipeline_run_pending(h.run) >= WINDOW)
			uv_run(&e->loop, UV_RUN_ONCE);
	}
	CHECK(fp && feed_parser_finish(fp) == 0, "parse %s", feed);
	feed_parser_free(fp);
	pipeline_run_end(h.run);
	loop_until(e, &w.done);
	wait_idle(e);
	return w.res;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted names in DIR/sub, one per line. */
static void list_dir(const struct env *e, const char *sub, struct buf *out)
{
	char path[300], *names[1024];
	struct dirent *de;
	DIR *d;
	size_t n = 0, i;

	snprintf(path, sizeof path, "%s/spool/%s", e->dir, sub);
	if (!(d = opendir(path)))
		return;
	while ((de = readdir(d)) && n < 1024)
		if (de->d_name[0] != '.')
			names[n++] = strdup(de->d_name);
	closedir(d);
	qsort(names, n, sizeof *names, cmp_str);
	for (i = 0; i < n; i++) {
		buf_printf(out, "%s\n", names[i]);
		free(names[i]);
	}
}

static int add_id(void *ud, const char *id)
{
	buf_printf(ud, "%s\n", id);
	return 0;
}

/* The seen set, by status, and alpha's and beta's validators. */
static void state_of(struct env *e, struct buf *out)
{
	static const enum seen_status sts[] = {SEEN_RESERVED, SEEN_SPOOLING, SEEN_WRITTEN,
					       SEEN_ALIAS};
	struct feed_state f;
	size_t i;

	for (i = 0; i < 4; i++) {
		buf_printf(out, "status %d:\n", (int)sts[i]);
		state_seen_each(e->st, sts[i], add_id, out);
	}
	if (state_feed_get(e->st, "alpha", &f) > 0)
		buf_printf(out, "alpha etag %s\n", f.etag ? f.etag : "-");
	feed_state_fini(&f);
	if (state_feed_get(e->st, "beta", &f) > 0)
		buf_printf(out, "beta etag %s\n", f.etag ? f.etag : "-");
	feed_state_fini(&f);
}

/* The article files (.json) in a listing. */
static size_t count_json(const struct buf *b)
{
	size_t n = 0;
	const char *s = buf_cstr(b);

	while ((s = strstr(s, ".json\n"))) {
		n++;
		s++;
	}
	return n;
}

static void env_close(struct env *e)
{
	struct feed_state fs;

	/* a batch open at the end: its commit (answered later, from the loop) outlives
	 * pipeline_free, which waits for it */
	feed_state_init(&fs);
	fs.name = (char *)"closing";
	fs.url = (char *)"http://example.org/";
	CHECK(pipeline_txn(e->p) == 0 && e->store->ops->feed_put(e->store, &fs) == 0,
	      "a write at the end");
	pipeline_free(e->p);
	spool_close(e->sp, NULL, NULL);
	uv_run(&e->loop, UV_RUN_DEFAULT); /* the daemon's order: the store closes after this */
	if (e->store != e->sq) {
		e->store->ops->close(e->store);
		uv_run(&e->loop, UV_RUN_DEFAULT);
	}
	CHECK(state_feed_get(e->st, "closing", &fs) == 1, "the last batch was committed");
	feed_state_fini(&fs);
	e->sq->ops->close(e->sq);
	state_close(e->st);
	config_free(e->c);
	uv_loop_close(&e->loop);
	if (!check_failures) { /* kept for a look when something failed */
		char cmd[300];

		snprintf(cmd, sizeof cmd, "rm -rf '%s'", e->dir);
		if (system(cmd) != 0)
			CHECK(0, "cannot remove %s", e->dir);
	}
}

/* alpha, beta, alpha again (all known), alpha with revisions and story 3 changed, gamma
 * caught up: what each gives, and then the spool and the state, in out. */
static void scenario(struct env *e, struct buf *out)
{
	struct buf a = BUF_INIT, a3 = BUF_INIT, b = BUF_INIT, g = BUF_INIT, nl = BUF_INIT;
	struct feed_run_result r;

	doc_alpha(&a, 1000);
	doc_alpha(&a3, 3);
	doc_other(&b, "beta", 1000);
	doc_other(&g, "gamma", 2000);
	r = fetch(e, "alpha", "v1", &a, 0, 0);
	CHECK(r.fresh == 120 && r.duplicate == 3 && !r.failed, "alpha: %zu new, %zu duplicate, %zu failed",
	      r.fresh, r.duplicate, r.failed);
	buf_printf(out, "alpha %zu %zu %zu\n", r.seen, r.fresh, r.duplicate);
	r = fetch(e, "beta", "w1", &b, 0, 0);
	CHECK(r.fresh == 10 && r.duplicate == 2 && !r.failed, "beta: %zu new, %zu duplicate", r.fresh,
	      r.duplicate);
	buf_printf(out, "beta %zu %zu %zu\n", r.seen, r.fresh, r.duplicate);
	r = fetch(e, "alpha", "v2", &a, 0, 0);
	CHECK(r.fresh == 0 && r.duplicate == 123, "alpha again: %zu new, %zu duplicate", r.fresh,
	      r.duplicate);
	r = fetch(e, "alpha", "v3", &a3, 1, 0);
	CHECK(r.fresh == 1 && r.revisions == 1 && r.duplicate == 122,
	      "alpha with a revision: %zu new, %zu revisions, %zu duplicate", r.fresh, r.revisions,
	      r.duplicate);
	buf_printf(out, "revision %zu %zu %zu\n", r.seen, r.fresh, r.revisions);
	r = fetch(e, "gamma", "x1", &g, 0, 1);
	CHECK(r.fresh == 0 && r.caught_up == 10 && r.duplicate == 2,
	      "gamma caught up: %zu new, %zu caught up, %zu duplicate", r.fresh, r.caught_up,
	      r.duplicate);
	buf_printf(out, "gamma %zu %zu %zu\n", r.seen, r.caught_up, r.duplicate);
	list_dir(e, "new", &nl);
	CHECK(count_json(&nl) == 130, "new/ holds 120 + 10 stories, each once: %zu",
	      count_json(&nl));
	buf_printf(out, "%s", buf_cstr(&nl));
	list_dir(e, "tmp", out);
	state_of(e, out);
	buf_fini(&nl);
	buf_fini(&a);
	buf_fini(&a3);
	buf_fini(&b);
	buf_fini(&g);
}

/* A commit that carries records fails: the run fails (local), nothing is published from it;
 * once the pipeline resumes, the next fetch writes what was lost, and nothing twice. */
static void commit_failure(void)
{
	struct env e;
	struct buf a = BUF_INIT, got = BUF_INIT, tmp = BUF_INIT;
	struct feed_run_result r1, r2;
	struct feed_state f;

	if (env_open(&e, "fail", 1) < 0) {
		CHECK(0, "env");
		return;
	}
	doc_alpha(&a, 1000);
	store_defer_fail_records(e.store);
	r1 = fetch(&e, "alpha", "v1", &a, 0, 0);
	CHECK(r1.failed > 0 && r1.local, "the failed commit fails the run: %zu failed, local %d",
	      r1.failed, r1.local);
	CHECK(r1.fresh + r1.failed >= 120 && r1.fresh + r1.failed <= 123,
	      "every story written or failed: %zu + %zu", r1.fresh, r1.failed);
	CHECK(state_feed_get(e.st, "alpha", &f) == 0, "no validators saved after a failed run");
	feed_state_fini(&f);
	loop_until(&e, &e.resumed);
	r2 = fetch(&e, "alpha", "v2", &a, 0, 0);
	CHECK(r1.fresh + r2.fresh == 120 && !r2.failed,
	      "the next fetch writes exactly what was lost: %zu new, %zu before", r2.fresh,
	      r1.fresh);
	list_dir(&e, "new", &got);
	CHECK(count_json(&got) == 120, "new/ holds each of the 120 stories once: %zu files",
	      count_json(&got));
	list_dir(&e, "tmp", &tmp);
	CHECK(tmp.len == 0, "tmp/ is empty: %s", buf_cstr(&tmp));
	env_close(&e);
	buf_fini(&a);
	buf_fini(&got);
	buf_fini(&tmp);
}

int main(void)
{
	struct env sync, later;
	struct buf s = BUF_INIT, d = BUF_INIT;
	struct store_defer_stats st;

	log_init("test_pipeline_async");
	if (env_open(&sync, "sync", 0) < 0 || env_open(&later, "defer", 1) < 0) {
		CHECK(0, "cannot set up");
		return check_exit();
	}
	scenario(&sync, &s);
	scenario(&later, &d);
	store_defer_stats(later.store, &st);
	CHECK(st.deferred > 500 && st.answered == st.deferred,
	      "the deferring store answered %lu of %lu calls later", st.answered, st.deferred);
	CHECK_STR(buf_cstr(&d), buf_cstr(&s), "the store that answers later gives what SQLite gives");
	env_close(&sync);
	env_close(&later);
	commit_failure();
	buf_fini(&s);
	buf_fini(&d);
	return check_exit();
}
