/* SPDX-License-Identifier: MIT */
/* What one configured feed costs in memory (issue 10: peak RSS at 50,000 feeds under 120 MiB):
 * the heap bytes per feed of a loaded configuration and of the daemon's feeds, measured with
 * mallinfo2 over 20,000 feeds, and what feeds inherit from [feedspool] still read right. */
#include "autoconfig.h"

#include <dirent.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "check.h"
#include "config.h"
#include "feeds.h"
#include "state.h"
#include "store.h"

#define N 20000
/* Bounds with a margin of about a quarter over what the code needs with Debian 12's glibc (338
 * and 388 bytes; before the feeds borrowed the defaults' strings and an idle feed stopped holding
 * an attempt: 790 and 1,335). */
#define CONFIG_MAX 420 /* bytes per feed of the configuration */
#define FEEDS_MAX 480  /* bytes per feed of struct feeds (feed, state, name map, heap) */

static char dir[256];

/* Heap bytes in use: small chunks and mmapped ones (the large arrays). */
static size_t heap_used(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

static int sanitized(void)
{
	const char *s = getenv("FEEDSPOOL_SANITIZED");

	return s && *s; /* the sanitizers' allocator is not glibc's: mallinfo2 says nothing */
}

/* N feeds; every 1000th has its own user agent and a header of its own, one replacing a
 * default's. */
static int write_config(const char *path)
{
	FILE *f = fopen(path, "w");
	int i;

	if (!f)
		return -1;
	fprintf(f, "[feedspool]\nstate = state.db\nspool = spool\n"
		   "user_agent = test-agent/1.0 (+https://example.org/a/rather/long/address)\n"
		   "allow_private = 127.0.0.1\nheader = X-One: 1\nheader = X-Two: 2\n");
	for (i = 0; i < N; i++) {
		fprintf(f, "[feed f%d]\nurl = http://127.0.0.1:9/feeds/f%d.xml\n", i, i);
		if (i % 1000 == 7)
			fprintf(f, "user_agent = own/%d\nheader = X-Two: own\nheader = X-Own: %d\n",
				i, i);
	}
	return fclose(f);
}

static void check_inherited(const struct config *c)
{
	const struct feed_conf *a = config_feed(c, "f6"), *b = config_feed(c, "f7");

	if (!a || !b) {
		CHECK(0, "feeds f6 and f7 are configured");
		return;
	}
	CHECK_STR(a->s.user_agent, c->defaults.user_agent, "f6 inherits the user agent");
	CHECK_STR(a->s.allow_private, "127.0.0.1", "f6 inherits allow_private");
	CHECK(a->s.n_headers == 2, "f6 inherits 2 headers (%zu)", a->s.n_headers);
	if (a->s.n_headers == 2)
		CHECK_STR(a->s.headers[1], "X-Two: 2", "f6's second header");
	CHECK_STR(b->s.user_agent, "own/7", "f7 has its own user agent");
	CHECK(b->s.n_headers == 3, "f7: X-One from the defaults, its X-Two and X-Own (%zu)",
	      b->s.n_headers);
	if (b->s.n_headers == 3) {
		CHECK_STR(b->s.headers[0], "X-One: 1", "f7's first header, the default's");
		CHECK_STR(b->s.headers[1], "X-Two: own", "f7's X-Two replaces the default's");
		CHECK_STR(b->s.headers[2], "X-Own: 7", "f7's own header");
	}
	CHECK_STR(b->s.allow_private, "127.0.0.1", "f7 inherits allow_private");
}

static void remove_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[512];

	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
			unlink(p);
		}
	if (d)
		closedir(d);
	rmdir(dir);
}

/* The daemon's side: N feeds reconciled from c (each read from the state: none is there). */
static void test_feeds(const struct config *c)
{
	struct feeds_env env = {0};
	struct state *st;
	struct buf err = BUF_INIT;
	struct feeds *fs = NULL;
	uv_loop_t loop;
	size_t before, per;

	uv_loop_init(&loop);
	env.loop = &loop;
	st = state_open(c->state, 0, &err);
	CHECK(st != NULL, "state_open(%s): %s", c->state, buf_cstr(&err));
	env.store = st ? store_sqlite_new(st) : NULL;
	if (env.store && (fs = feeds_new(&env, NULL, NULL))) {
		before = heap_used();
		CHECK(feeds_reconcile(fs, c) == 0, "feeds_reconcile of %d feeds", N);
		per = (heap_used() - before) / N;
		fprintf(stderr, "feeds: %zu bytes per feed\n", per);
		CHECK(feeds_count(fs) == N && feeds_due_count(fs) == N,
		      "%d feeds, all due (%zu, %zu)", N, feeds_count(fs), feeds_due_count(fs));
		if (!sanitized())
			CHECK(per <= FEEDS_MAX, "a feed of the daemon takes at most %d bytes: %zu",
			      FEEDS_MAX, per);
	}
	feeds_close(fs);
	uv_run(&loop, UV_RUN_DEFAULT);
	feeds_free(fs);
	if (env.store)
		env.store->ops->close(env.store);
	if (st)
		state_close(st);
	uv_loop_close(&loop);
	buf_fini(&err);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	struct buf err = BUF_INIT;
	struct config *c;
	char path[512];
	size_t before, per;

	snprintf(dir, sizeof dir, "%s/test_feed_memory.XXXXXX",
		 tmp && *tmp && strlen(tmp) < 200 ? tmp : "/tmp");
	if (!mkdtemp(dir))
		return 99;
	snprintf(path, sizeof path, "%s/feedspool.conf", dir);
	if (write_config(path) < 0)
		return 99;
	before = heap_used();
	c = config_load(path, &err);
	per = (heap_used() - before) / N;
	CHECK(c != NULL, "%s loads: %s", path, buf_cstr(&err));
	if (c) {
		fprintf(stderr, "config: %zu bytes per feed\n", per);
		CHECK(c->n_feeds == N, "%d feeds (%zu)", N, c->n_feeds);
		if (!sanitized())
			CHECK(per <= CONFIG_MAX, "a configured feed takes at most %d bytes: %zu",
			      CONFIG_MAX, per);
		check_inherited(c);
		test_feeds(c);
	}
	config_free(c);
	buf_fini(&err);
	remove_dir();
	return check_exit();
}
