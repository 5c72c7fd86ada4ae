/* SPDX-License-Identifier: MIT */
/* JetStream publishing (src/sink/nats_pub.c) against a real nats-server -js that
 * tests/sink_nats.sh starts on 127.0.0.1 (NATS_URL): the stream is created, every publish is
 * acknowledged, a message id published again is stored once, a publish while the server is away
 * fails (never hangs, never from inside the call), and after a restart (NATS_RESTART) the same
 * stream takes the rest: every id exactly once. */
#include "autoconfig.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nats/nats.h>

#include "check.h"
#include "nats_pub.h"

#define STREAM "FEEDSPOOL_TEST"
#define SUBJECT "feedspool.test.articles"

static uv_loop_t loop;
static int ups, downs;
static int answered, ok, dups, failed;
static int in_call;

static void on_state(void *ud, int up, const char *msg)
{
	if (up)
		ups++;
	else
		downs++;
}

static void on_done(void *ud, int rc, int is_dup, const char *err)
{
	CHECK(!in_call, "done is never called from inside nats_pub_publish");
	answered++;
	if (rc == 0 && is_dup)
		dups++;
	else if (rc == 0)
		ok++;
	else
		failed++;
}

static void run_until(int *counter, int want)
{
	while (*counter < want)
		uv_run(&loop, UV_RUN_ONCE);
}

/* Publishes ids [from, to) and waits for every answer. */
static void publish_range(struct nats_pub *p, int from, int to)
{
	int want = answered + (to - from);

	for (int i = from; i < to; i++) {
		char id[32], body[64];

		snprintf(id, sizeof id, "%016x", i);
		snprintf(body, sizeof body, "{\"schema\":1,\"id\":\"%s\"}", id);
		in_call = 1;
		CHECK(nats_pub_publish(p, id, body, strlen(body), on_done, NULL) == 0, "queued %s", id);
		in_call = 0;
	}
	run_until(&answered, want);
}

/* The stream's message count, read with a plain connection of its own. */
static int64_t stream_msgs(const char *url)
{
	natsConnection *c = NULL;
	jsCtx *js = NULL;
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	int64_t n = -1;

	if (natsConnection_ConnectTo(&c, url) == NATS_OK && natsConnection_JetStream(&js, c, NULL) == NATS_OK &&
	    js_GetStreamInfo(&si, js, STREAM, NULL, &jerr) == NATS_OK)
		n = (int64_t)si->State.Msgs;
	jsStreamInfo_Destroy(si);
	jsCtx_Destroy(js);
	natsConnection_Destroy(c);
	return n;
}

int main(int argc, char **argv)
{
	const char *url = getenv("NATS_URL"), *restart = getenv("NATS_RESTART");
	struct nats_pub_opts o = {0};
	struct nats_pub *p;
	struct buf err;

	if (!url) { /* run again under tests/sink_nats.sh, which starts a server */
		char script[4096];

		snprintf(script, sizeof script, "%s/tests/sink_nats.sh",
			 getenv("top_srcdir") ? getenv("top_srcdir") : ".");
		execl("/bin/sh", "sh", script, argv[0], (char *)NULL);
		perror(script);
		return 99;
	}
	uv_loop_init(&loop);
	buf_init(&err);
	o.url = url;
	o.stream = STREAM;
	o.subject = SUBJECT;
	o.dup_window_s = 600;
	o.ack_timeout_ms = 3000;
	p = nats_pub_new(&loop, &o, on_state, NULL, &err);
	CHECK(p != NULL, "nats_pub_new: %s", err.data ? err.data : "");
	if (!p)
		return check_exit();
	run_until(&ups, 1); /* the stream exists (created here) */
	CHECK(nats_pub_ready(p), "ready once the stream is there");

	publish_range(p, 0, 100);
	CHECK(ok == 100 && failed == 0, "100 acknowledged (%d ok, %d failed)", ok, failed);
	publish_range(p, 50, 100); /* a crash between publish and record: published again */
	CHECK(dups == 50, "ids published again are acknowledged as duplicates (%d)", dups);
	CHECK(stream_msgs(url) == 100, "the stream holds each id once (%lld)", (long long)stream_msgs(url));

	if (restart) {
		CHECK(system(restart) == 0, "restart nats-server");
		/* a publish right after the loss either fails fast or goes through once reconnected */
		int before = failed;
		publish_range(p, 100, 110);
		while (!nats_pub_ready(p))
			uv_run(&loop, UV_RUN_ONCE);
		publish_range(p, 100, 150); /* what failed is published again, what went through is a duplicate */
		CHECK(failed - before <= 10, "at most the ten sent during the loss failed (%d)", failed - before);
		CHECK(stream_msgs(url) == 150, "after the restart: each of 150 ids once (%lld)",
		      (long long)stream_msgs(url));
	}

	/* a server that is not there: publishes fail at once, asynchronously */
	struct nats_pub_opts dead = o;
	struct buf err2;
	int before = failed;

	buf_init(&err2);
	dead.url = "nats://127.0.0.1:1";
	struct nats_pub *d = nats_pub_new(&loop, &dead, NULL, NULL, &err2);
	CHECK(d != NULL, "a server that is away is not an error at start: %s", err2.data ? err2.data : "");
	if (d) {
		in_call = 1;
		nats_pub_publish(d, "ffff", "{}", 2, on_done, NULL);
		in_call = 0;
		run_until(&failed, before + 1);
		CHECK(!nats_pub_ready(d), "not ready without a server");
		nats_pub_free(d);
	}
	nats_pub_free(p);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	buf_fini(&err);
	buf_fini(&err2);
	nats_Close();
	return check_exit();
}
