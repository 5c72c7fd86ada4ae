/* SPDX-License-Identifier: MIT */
/* Fetching (src/fetch/fetch.c) in a real uv loop against tests/fixture_server.py on 127.0.0.1. */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <uv.h>

#include "buf.h"
#include "check.h"
#include "fetch.h"

extern char **environ;

#define WATCHDOG_MS 40000 /* the whole test; a wait that never ends fails here */

static uv_loop_t loop;
static uv_timer_t watchdog;
static const char *waiting_for = "nothing";
static pid_t server_pid = -1;
static int server_stdin = -1, server_stdout = -1;
static int port;
static char fixtures[PATH_MAX];
static int total_done;

/* One fetch as the test sees it: the result copied out of the done callback. */
struct job {
	struct fetch *x;
	struct buf body;
	int done, data_calls;
	int status, error, permanent, redirects;
	char message[256];
	char *effective_url, *redirect_target, *etag, *last_modified, *content_type;
	char *cache_control, *location;
	char *data_content_type, *data_url; /* asked for from the first data callback */
	int64_t expires, retry_after;
	size_t bytes;
	uint64_t started, first_data, finished; /* uv_hrtime() */
	/* What to do from inside the callbacks. */
	int cancel_on_data, abort_on_data;
	struct fetcher *close_on_data, *close_on_done;
	int active_in_done;
	struct job *chain; /* started from this job's done callback, with its validators */
	struct fetcher *chain_fetcher;
};

static void server_stop(void)
{
	if (server_stdin >= 0)
		close(server_stdin); /* the server exits when its stdin closes */
	if (server_stdout >= 0)
		close(server_stdout);
	server_stdin = server_stdout = -1;
	if (server_pid > 0) {
		kill(server_pid, SIGTERM);
		waitpid(server_pid, NULL, 0);
		server_pid = -1;
	}
}

static void on_watchdog(uv_timer_t *t)
{
	(void)t;
	fprintf(stderr, "FAIL: gave up after %d ms waiting for %s\n", WATCHDOG_MS, waiting_for);
	server_stop();
	_exit(1);
}

/* Runs the loop until *counter reaches target (callbacks only; the watchdog bounds it). The
 * callbacks call uv_stop(): UV_RUN_ONCE alone would block in the poll phase after a callback
 * that ran from a timer. */
static void wait_for(const int *counter, int target, const char *what)
{
	waiting_for = what;
	while (*counter < target)
		uv_run(&loop, UV_RUN_ONCE);
	waiting_for = "nothing";
}

static int server_start(void)
{
	const char *top = getenv("top_srcdir");
	char script[PATH_MAX], root[PATH_MAX + 64], line[64];
	char *argv[6];
	int in[2], out[2];
	size_t n = 0;
	posix_spawn_file_actions_t fa;

	snprintf(script, sizeof(script), "%s/tests/fixture_server.py", top ? top : ".");
	snprintf(root, sizeof(root), "%s/seed-feeds", fixtures);
	if (pipe(in) < 0 || pipe(out) < 0)
		return -errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_addclose(&fa, in[0]);
	posix_spawn_file_actions_addclose(&fa, in[1]);
	posix_spawn_file_actions_addclose(&fa, out[0]);
	posix_spawn_file_actions_addclose(&fa, out[1]);
	argv[0] = "/usr/bin/python3";
	argv[1] = script;
	argv[2] = "--root";
	argv[3] = root;
	argv[4] = NULL;
	if (posix_spawn(&server_pid, argv[0], &fa, NULL, argv, environ) != 0)
		server_pid = -1;
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(out[1]);
	server_stdin = in[1];
	server_stdout = out[0];
	fcntl(server_stdin, F_SETFD, FD_CLOEXEC);
	fcntl(server_stdout, F_SETFD, FD_CLOEXEC);
	if (server_pid < 0)
		return -1;
	/* The first line is "PORT <n>"; read it byte by byte so nothing after it is consumed. */
	while (n < sizeof(line) - 1 && read(server_stdout, line + n, 1) == 1 && line[n] != '\n')
		n++;
	line[n] = '\0';
	if (sscanf(line, "PORT %d", &port) != 1 || port <= 0) {
		fprintf(stderr, "fixture server said \"%s\", not \"PORT <n>\"\n", line);
		return -1;
	}
	return 0;
}

/* A URL on the fixture server; a few rotating buffers so two can be in use at once. */
static const char *url(const char *path)
{
	static char bufs[4][512];
	static int i;
	char *b = bufs[i++ % 4];

	snprintf(b, sizeof(bufs[0]), "http://127.0.0.1:%d%s", port, path);
	return b;
}

static struct fetch_request request(const char *u)
{
	struct fetch_request r;

	memset(&r, 0, sizeof(r));
	r.url = u;
	r.user_agent = "feedspool-test/1";
	r.allow_private = "127.0.0.1"; /* the fixture server */
	r.connect_timeout = 2;
	r.timeout = 10;
	return r;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void job_fini(struct job *j)
{
	buf_fini(&j->body);
	free(j->effective_url);
	free(j->redirect_target);
	free(j->etag);
	free(j->last_modified);
	free(j->content_type);
	free(j->cache_control);
	free(j->location);
	free(j->data_content_type);
	free(j->data_url);
	memset(j, 0, sizeof(*j));
}

static int on_data(void *ud, const char *data, size_t n)
{
	struct job *j = ud;

	if (j->data_calls++ == 0) {
		j->first_data = uv_hrtime();
		j->data_content_type = dup_or_null(fetch_content_type(j->x));
		j->data_url = dup_or_null(fetch_effective_url(j->x));
	}
	if (j->abort_on_data)
		return 1;
	if (j->cancel_on_data && j->data_calls == 1)
		fetcher_cancel(j->x);
	if (j->close_on_data && j->data_calls == 1)
		fetcher_close(j->close_on_data, NULL, NULL);
	buf_append(&j->body, data, n);
	return 0;
}

static void job_start(struct fetcher *f, struct job *j, const struct fetch_request *r);

static void on_done(void *ud, const struct fetch_result *r)
{
	struct job *j = ud;

	j->done++;
	total_done++;
	uv_stop(&loop); /* wait_for looks again, even if this ran before the loop's poll phase */
	j->finished = uv_hrtime();
	j->status = r->status;
	j->error = r->error;
	j->permanent = r->permanent_redirect;
	j->redirects = r->redirects;
	snprintf(j->message, sizeof(j->message), "%s", r->message);
	j->effective_url = dup_or_null(r->effective_url);
	j->redirect_target = dup_or_null(r->redirect_target);
	j->etag = dup_or_null(r->etag);
	j->last_modified = dup_or_null(r->last_modified);
	j->content_type = dup_or_null(r->content_type);
	j->cache_control = dup_or_null(r->cache_control);
	j->location = dup_or_null(r->location);
	j->expires = r->expires;
	j->retry_after = r->retry_after;
	j->bytes = r->bytes;
	if (j->close_on_done)
		fetcher_close(j->close_on_done, NULL, NULL);
	if (j->chain_fetcher)
		j->active_in_done = (int)fetcher_active(j->chain_fetcher);
	if (j->chain) {
		/* A start from inside done: the conditional GET with our validators. */
		struct fetch_request next = request(r->effective_url);

		next.etag = r->etag;
		next.last_modified = r->last_modified;
		job_start(j->chain_fetcher, j->chain, &next);
	}
}

static void job_start(struct fetcher *f, struct job *j, const struct fetch_request *r)
{
	j->started = uv_hrtime();
	j->x = fetcher_start(f, r, on_data, on_done, j);
	CHECK(j->x != NULL, "fetcher_start(%s) failed", r->url);
	if (!j->x) {
		j->done++; /* nothing to wait for */
		total_done++;
	}
}

/* Starts one fetch and runs the loop until it is done. */
static void job_run(struct fetcher *f, struct job *j, const struct fetch_request *r)
{
	job_start(f, j, r);
	wait_for(&j->done, 1, r->url);
}

static double job_seconds(const struct job *j)
{
	return (double)(j->finished - j->started) / 1e9;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = s ? strlen(s) : 0, b = strlen(suffix);

	return s && a >= b && strcmp(s + a - b, suffix) == 0;
}

static char *read_file(const char *name, size_t *len)
{
	char path[PATH_MAX + 64];
	struct buf b = BUF_INIT;
	char chunk[4096];
	size_t n;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/seed-feeds/%s", fixtures, name);
	fp = fopen(path, "rb");
	if (!fp)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		buf_append(&b, chunk, n);
	fclose(fp);
	*len = b.len;
	return buf_steal(&b);
}

static int body_is_file(const struct job *j, const char *name)
{
	size_t len = 0;
	char *want = read_file(name, &len);
	int same = want && j->body.len == len && memcmp(j->body.data, want, len) == 0;

	free(want);
	return same;
}

/* The fixture server's statistics, fetched with the code under test. */
static void stats_get(struct fetcher *f, struct job *j)
{
	struct fetch_request r = request(url("/stats"));

	job_run(f, j, &r);
	CHECK(j->status == 200, "GET /stats: %s", j->message);
}

static void stats_reset(struct fetcher *f)
{
	struct job j = {0};
	struct fetch_request r = request(url("/reset-stats"));

	job_run(f, &j, &r);
	CHECK(j.status == 200, "GET /reset-stats: %s", j.message);
	job_fini(&j);
}

/* The number after "key": inside "section": {...} (section NULL: the top level); -1 if absent. */
static long stats_int(const char *json, const char *section, const char *key)
{
	char pat[256];
	const char *p = json, *end = NULL, *k;

	if (!json)
		return -1;
	if (section) {
		snprintf(pat, sizeof(pat), "\"%s\": {", section);
		p = strstr(json, pat);
		if (!p)
			return -1;
		end = strchr(p, '}');
	}
	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	k = strstr(p, pat);
	if (!k || (end && k > end))
		return -1;
	return strtol(k + strlen(pat), NULL, 10);
}

/* Whether the server saw value (JSON-escaped here) in a conditional header for path. */
static int stats_conditional_has(const char *json, const char *path, const char *value)
{
	char pat[512], esc[256];
	const char *p, *end;
	size_t i, n = 0;

	for (i = 0; value[i] && n < sizeof(esc) - 3; i++) {
		if (value[i] == '"' || value[i] == '\\')
			esc[n++] = '\\';
		esc[n++] = value[i];
	}
	esc[n] = '\0';
	p = json ? strstr(json, "\"conditional\": {") : NULL;
	if (!p)
		return 0;
	snprintf(pat, sizeof(pat), "\"%s\": [", path);
	p = strstr(p, pat);
	if (!p)
		return 0;
	end = strchr(p, ']');
	snprintf(pat, sizeof(pat), "\"%s\"", esc);
	p = strstr(p, pat);
	return p && end && p < end;
}

static void test_plain_and_conditional(struct fetcher *f)
{
	struct job a = {0}, b = {0}, c = {0}, s = {0};
	struct fetch_request r = request(url("/feed/outlet-a.rss"));
	char want_url[512];

	snprintf(want_url, sizeof(want_url), "%s", r.url);
	stats_reset(f);
	/* a's done callback starts b with a's validators: a start from inside done. */
	a.chain = &b;
	a.chain_fetcher = f;
	job_run(f, &a, &r);
	wait_for(&b.done, 1, "the conditional GET started from a done callback");

	CHECK(a.status == 200 && a.error == 0, "GET /feed/outlet-a.rss: 200 (%d, %s)", a.status,
	      a.message);
	CHECK_STR(a.message, "HTTP 200", "message of a 200");
	CHECK(body_is_file(&a, "outlet-a.rss"), "body streamed intact (%zu bytes, %d calls)",
	      a.body.len, a.data_calls);
	CHECK(a.bytes == a.body.len, "bytes %zu = delivered %zu", a.bytes, a.body.len);
	CHECK(a.etag && a.etag[0] == '"', "ETag returned (%s)", a.etag ? a.etag : "(null)");
	CHECK(a.last_modified && strstr(a.last_modified, "GMT"), "Last-Modified returned (%s)",
	      a.last_modified ? a.last_modified : "(null)");
	CHECK_STR(a.content_type, "application/rss+xml", "Content-Type");
	CHECK_STR(a.cache_control, "max-age=300", "Cache-Control");
	CHECK_STR(a.effective_url, want_url, "effective URL");
	CHECK(a.redirect_target == NULL && a.redirects == 0 && !a.permanent, "not redirected");
	CHECK(a.expires == 0 && a.retry_after == 0, "no Expires, no Retry-After");

	CHECK(b.status == 304 && b.error == 0, "GET with validators: 304 (%d, %s)", b.status,
	      b.message);
	CHECK_STR(b.message, "HTTP 304", "message of a 304");
	CHECK(b.bytes == 0 && b.data_calls == 0, "a 304 delivers no body (%zu)", b.bytes);
	CHECK_STR(b.etag, a.etag, "the 304 repeats the ETag");

	/* If-Modified-Since alone. */
	r.last_modified = a.last_modified;
	job_run(f, &c, &r);
	CHECK(c.status == 304, "GET with If-Modified-Since only: 304 (%d, %s)", c.status,
	      c.message);

	stats_get(f, &s);
	CHECK(stats_int(s.body.data, "requests", "/feed/outlet-a.rss") == 3,
	      "server saw 3 requests for /feed/outlet-a.rss:\n%s", buf_cstr(&s.body));
	CHECK(a.etag && stats_conditional_has(s.body.data, "/feed/outlet-a.rss", a.etag),
	      "server received If-None-Match %s:\n%s", a.etag ? a.etag : "", buf_cstr(&s.body));
	CHECK(a.last_modified &&
		  stats_conditional_has(s.body.data, "/feed/outlet-a.rss", a.last_modified),
	      "server received If-Modified-Since %s", a.last_modified ? a.last_modified : "");
	job_fini(&a);
	job_fini(&b);
	job_fini(&c);
	job_fini(&s);
}

static void test_gzip(struct fetcher *f)
{
	struct job j = {0}, s = {0};
	struct fetch_request r = request(url("/gzip/outlet-b.atom"));

	stats_reset(f);
	job_run(f, &j, &r);
	CHECK(j.status == 200 && j.error == 0, "GET /gzip/outlet-b.atom: 200 (%s)", j.message);
	CHECK(body_is_file(&j, "outlet-b.atom"), "gzip body decoded (%zu bytes)", j.body.len);
	CHECK(ends_with(j.etag, "-gz\""), "the gzip variant's ETag (%s)", j.etag ? j.etag : "");
	stats_get(f, &s);
	CHECK(stats_int(s.body.data, NULL, "gzip_responses") == 1,
	      "server sent the body gzip-encoded:\n%s", buf_cstr(&s.body));
	job_fini(&j);
	job_fini(&s);
}

static void check_redirect(struct fetcher *f, const char *path, int permanent, int redirects)
{
	struct job j = {0};
	struct fetch_request r = request(url(path));

	job_run(f, &j, &r);
	CHECK(j.status == 200 && j.error == 0, "GET %s: 200 after redirects (%d, %s)", path,
	      j.status, j.message);
	CHECK(j.permanent == permanent, "GET %s: permanent_redirect %d (got %d)", path, permanent,
	      j.permanent);
	CHECK(j.redirects == redirects, "GET %s: %d redirects (got %d)", path, redirects,
	      j.redirects);
	CHECK(ends_with(j.redirect_target, "/feed/outlet-a.rss"), "GET %s: target %s", path,
	      j.redirect_target ? j.redirect_target : "(null)");
	CHECK(body_is_file(&j, "outlet-a.rss"), "GET %s: only the final body is delivered", path);
	CHECK(ends_with(j.data_url, "/feed/outlet-a.rss"),
	      "GET %s: fetch_effective_url from the data callback (%s)", path,
	      j.data_url ? j.data_url : "(null)");
	CHECK_STR(j.data_content_type, "application/rss+xml",
		  "GET %s: fetch_content_type from the data callback", path);
	job_fini(&j);
}

static void test_redirects(struct fetcher *f)
{
	struct job j = {0};
	struct fetch_request r;
	char want[256];

	check_redirect(f, "/redirect/301/feed/outlet-a.rss", 1, 1);
	check_redirect(f, "/redirect/301/redirect/308/feed/outlet-a.rss", 1, 2);
	check_redirect(f, "/redirect/302/feed/outlet-a.rss", 0, 1);
	check_redirect(f, "/redirect/307/feed/outlet-a.rss", 0, 1);
	check_redirect(f, "/redirect/301/redirect/302/feed/outlet-a.rss", 0, 2);

	r = request(url("/loop"));
	job_run(f, &j, &r);
	CHECK(j.error == -ELOOP, "GET /loop: -ELOOP (%d)", j.error);
	snprintf(want, sizeof want, "redirect loop: redirected back to %s", url("/loop"));
	CHECK_STR(j.message, want, "GET /loop");
	job_fini(&j);

	/* six distinct redirects: a chain too long, not a loop */
	r = request(url("/redirect/302/redirect/302/redirect/302/redirect/302/redirect/302/"
			"redirect/302/feed/outlet-a.rss"));
	job_run(f, &j, &r);
	CHECK(j.error == -ELOOP, "GET six redirects: -ELOOP (%d)", j.error);
	CHECK_STR(j.message, "too many redirects (more than 5)", "GET six redirects");
	job_fini(&j);

	r = request(url("/scheme"));
	job_run(f, &j, &r);
	CHECK(j.error == -EPROTONOSUPPORT, "GET /scheme: -EPROTONOSUPPORT (%d)", j.error);
	CHECK_STR(j.message,
		  "redirect to ftp://127.0.0.1/ refused: only http and https are followed",
		  "GET /scheme");
	CHECK_STR(j.location, "ftp://127.0.0.1/", "GET /scheme: the refused Location");
	job_fini(&j);
}

static void close_and_wait(struct fetcher *f);

/* One fetch with the given allow_private (a fresh fetcher when fresh: no pooled connection, so
 * the check before connect decides; otherwise the check on a reused connection may). */
static void check_private(struct fetcher *f, int fresh, const char *u, const char *allow,
			  const char *want)
{
	struct fetcher *g = fresh ? fetcher_new(&loop, 4, 2) : f;
	struct job j = {0};
	struct fetch_request r = request(u);

	CHECK(g != NULL, "fetcher_new");
	if (!g)
		return;
	r.allow_private = allow;
	job_run(g, &j, &r);
	if (want) {
		/* status: 0, or the redirect's that led there */
		CHECK(j.error == -EACCES && (j.status == 0 || j.status == 302) && j.bytes == 0,
		      "GET %s with allow_private %s: refused, -EACCES (%d, status %d, %zu bytes)",
		      u, allow ? allow : "unset", j.error, j.status, j.bytes);
		CHECK_STR(j.message, want, "GET %s with allow_private %s", u,
			  allow ? allow : "unset");
	} else {
		CHECK(j.error == 0 && j.status == 200 && body_is_file(&j, "outlet-a.rss"),
		      "GET %s with allow_private %s: 200 (%d, %d, %s)", u, allow ? allow : "unset",
		      j.status, j.error, j.message);
	}
	job_fini(&j);
	if (fresh)
		close_and_wait(g);
}

/* Internal addresses are refused unless allowed: checked after DNS, on every connection and on
 * every redirect, with a message naming the address. */
static void test_private_addresses(struct fetcher *f)
{
	char feed[128], here[64], other_ip[256], other_port[256], want[256], local[128];
	struct fetch_request r = request(url("/feed/outlet-a.rss"));
	struct fetch *x;

	snprintf(feed, sizeof feed, "%s", url("/feed/outlet-a.rss"));
	snprintf(here, sizeof here, "127.0.0.1:%d", port);
	snprintf(want, sizeof want,
		 "connection to 127.0.0.1:%d refused: loopback address "
		 "(allow_private)",
		 port);
	check_private(f, 1, feed, NULL, want); /* refused before connect */
	check_private(f, 1, feed, "no", want);
	check_private(f, 0, feed, "127.0.0.1", NULL); /* pools a connection ... */
	check_private(f, 0, feed, NULL, want);	      /* ... refused when reused */
	check_private(f, 1, feed, "127.0.0.2, 10.0.0.0/8, ::1", want);
	check_private(f, 1, feed, "yes", NULL);
	check_private(f, 1, feed, here, NULL);
	check_private(f, 1, feed, "127.0.0.0/8", NULL);
	/* a name that resolves to loopback is judged by the address, not by the name */
	snprintf(local, sizeof local, "http://localhost:%d/feed/outlet-a.rss", port);
	check_private(f, 1, local, "127.0.0.1", NULL);
	{
		struct fetcher *g = fetcher_new(&loop, 4, 2);
		struct job j = {0};
		struct fetch_request l = request(local);

		l.allow_private = NULL;
		job_run(g, &j, &l);
		CHECK(j.error == -EACCES && !strncmp(j.message, "connection to ", 14) &&
			  strstr(j.message, " refused: loopback address (allow_private)"),
		      "GET %s: refused after resolving (%d, %s)", local, j.error, j.message);
		job_fini(&j);
		close_and_wait(g);
	}
	/* redirects from an allowed address to one that is not */
	snprintf(other_ip, sizeof other_ip,
		 "http://127.0.0.1:%d/to?url=http%%3A%%2F%%2F127.0.0.2"
		 "%%3A%d%%2Ffeed%%2Foutlet-a.rss",
		 port, port);
	snprintf(want, sizeof want,
		 "connection to 127.0.0.2:%d refused: loopback address "
		 "(allow_private)",
		 port);
	check_private(f, 0, other_ip, here, want);
	check_private(f, 1, other_ip, here, want);
	snprintf(other_port, sizeof other_port,
		 "http://127.0.0.1:%d/to?url=http%%3A%%2F%%2F"
		 "127.0.0.1%%3A%d%%2F",
		 port, port == 65535 ? 1 : port + 1);
	snprintf(want, sizeof want,
		 "connection to 127.0.0.1:%d refused: loopback address "
		 "(allow_private)",
		 port == 65535 ? 1 : port + 1);
	check_private(f, 1, other_port, here, want);
	/* a redirect to an allowed address is followed */
	snprintf(other_ip, sizeof other_ip,
		 "http://127.0.0.1:%d/to?url=http%%3A%%2F%%2F127.0.0.1"
		 "%%3A%d%%2Ffeed%%2Foutlet-a.rss",
		 port, port);
	check_private(f, 1, other_ip, here, NULL);
	/* a bad policy is a bad request */
	r.allow_private = "localhost";
	x = fetcher_start(f, &r, on_data, on_done, NULL);
	CHECK(x == NULL, "fetcher_start with allow_private = localhost: refused");
}

static void check_status(struct fetcher *f, const char *path, int status, const char *message)
{
	struct job j = {0};
	struct fetch_request r = request(url(path));

	job_run(f, &j, &r);
	CHECK(j.status == status && j.error == 0, "GET %s: %d with error 0 (%d, %d)", path, status,
	      j.status, j.error);
	CHECK_STR(j.message, message, "GET %s", path);
	CHECK(j.data_calls == 0 && j.bytes == 0, "GET %s: the error body is not delivered", path);
	job_fini(&j);
}

static void test_statuses(struct fetcher *f)
{
	struct job j = {0};
	struct fetch_request r;
	char path[256], date[64];
	time_t now = time(NULL), later = now + 3600;
	struct tm tm;

	check_status(f, "/status/404", 404, "HTTP 404");
	check_status(f, "/status/410", 410, "HTTP 410");
	check_status(f, "/status/500", 500, "HTTP 500");

	/* An error page larger than the cap is still an HTTP answer. */
	r = request(url("/status/503?bytes=2097152"));
	r.max_bytes = 1 << 20;
	job_run(f, &j, &r);
	CHECK(j.status == 503 && j.error == 0, "GET %s, cap 1 MiB: 503 with error 0 (%d, %d, %s)",
	      r.url, j.status, j.error, j.message);
	job_fini(&j);

	r = request(url("/status/503?retry_after=120"));
	job_run(f, &j, &r);
	CHECK(j.status == 503 && j.error == 0, "GET /status/503: 503 (%s)", j.message);
	CHECK_STR(j.message, "HTTP 503 (Retry-After 120 s)", "Retry-After in seconds");
	CHECK(j.retry_after >= now + 119 && j.retry_after <= time(NULL) + 121,
	      "Retry-After 120 → now + 120 (%" PRId64 " vs %lld)", j.retry_after, (long long)now);
	job_fini(&j);

	gmtime_r(&later, &tm);
	strftime(date, sizeof(date), "%a,%%20%d%%20%b%%20%Y%%20%H:%M:%S%%20GMT", &tm);
	snprintf(path, sizeof(path), "/status/429?retry_after=%s", date);
	r = request(url(path));
	job_run(f, &j, &r);
	CHECK(j.status == 429 && j.error == 0, "GET %s: 429 (%s)", path, j.message);
	CHECK(j.retry_after >= later - 2 && j.retry_after <= later + 2,
	      "Retry-After as an HTTP date (%" PRId64 ", want %lld)", j.retry_after,
	      (long long)later);
	CHECK(strncmp(j.message, "HTTP 429 (Retry-After 3", 23) == 0, "message %s", j.message);
	job_fini(&j);
}

static void test_time_limits(struct fetcher *f)
{
	struct job j = {0};
	struct fetch_request r;

	r = request(url("/hang"));
	r.timeout = 1;
	job_run(f, &j, &r);
	CHECK(j.error == -ETIMEDOUT && j.status == 0, "GET /hang: -ETIMEDOUT (%d, %s)", j.error,
	      j.message);
	CHECK_STR(j.message, "timeout after 1 s", "GET /hang with a 1 s timeout");
	CHECK(job_seconds(&j) > 0.9 && job_seconds(&j) < 3, "timed out after %.2f s",
	      job_seconds(&j));
	job_fini(&j);

	r = request(url("/slow?n=20&ms=1000"));
	r.low_speed_limit = 100;
	r.low_speed_time = 1;
	job_run(f, &j, &r);
	CHECK(j.error == -ETIMEDOUT, "GET /slow: -ETIMEDOUT (%d, %s)", j.error, j.message);
	CHECK_STR(j.message, "too slow: below 100 bytes/s for 1 s", "GET /slow, 100 bytes/s");
	CHECK(job_seconds(&j) < 4, "stopped after %.2f s", job_seconds(&j));
	job_fini(&j);
}

static long maxrss_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* The server builds the bomb in the background (about 3 s) while the other tests run. */
static void bomb_prepare(struct fetcher *f)
{
	struct job j = {0};
	struct fetch_request r = request(url("/bomb?prepare=1"));

	job_run(f, &j, &r);
	CHECK(j.status == 204, "GET /bomb?prepare=1: 204 (%d, %s)", j.status, j.message);
	job_fini(&j);
}

static void test_size_limits(struct fetcher *f)
{
	struct job j = {0};
	struct fetch_request r;
	long rss;

	r = request(url("/big?mb=4"));
	r.max_bytes = 1 << 20;
	job_run(f, &j, &r);
	CHECK(j.error == -EFBIG, "GET /big?mb=4 capped at 1 MiB: -EFBIG (%d, %s)", j.error,
	      j.message);
	CHECK_STR(j.message, "body larger than the 1 MiB cap (Content-Length: 4194304)",
		  "GET /big?mb=4");
	CHECK(j.data_calls == 0, "refused from Content-Length before any data (%d calls)",
	      j.data_calls);
	job_fini(&j);

	r = request(url("/big?mb=2"));
	job_run(f, &j, &r);
	CHECK(j.status == 200 && j.error == 0 && j.bytes == 2u << 20,
	      "GET /big?mb=2 under the default cap: 200, 2 MiB (%zu, %s)", j.bytes, j.message);
	job_fini(&j);

	r = request(url("/endless"));
	r.max_bytes = 1 << 20;
	job_run(f, &j, &r);
	CHECK(j.error == -EFBIG && j.bytes <= 1u << 20,
	      "GET /endless: -EFBIG within the cap (%d, %zu bytes, %s)", j.error, j.bytes,
	      j.message);
	job_fini(&j);

	/* The bomb is chunked: no Content-Length, so only counting decoded bytes can stop it. */
	rss = maxrss_kb();
	r = request(url("/bomb"));
	r.max_bytes = 1 << 20;
	job_run(f, &j, &r);
	CHECK(j.error == -EFBIG, "GET /bomb: -EFBIG (%d, %s)", j.error, j.message);
	CHECK_STR(j.message, "body larger than the 1 MiB cap after decompression (gzip)",
		  "GET /bomb");
	CHECK(j.bytes <= 1u << 20 && j.body.len <= 1u << 20, "at most the cap delivered (%zu)",
	      j.bytes);
	CHECK(j.data_calls > 0 && (double)(j.finished - j.first_data) / 1e9 < 2,
	      "stopped quickly once data flowed (%.2f s)",
	      (double)(j.finished - j.first_data) / 1e9);
	CHECK(maxrss_kb() - rss < 128 * 1024, "memory stayed bounded (+%ld KiB)",
	      maxrss_kb() - rss);
	job_fini(&j);

	r = request(url("/bomb?length=1"));
	r.max_bytes = 64 * 1024;
	job_run(f, &j, &r);
	CHECK(j.error == -EFBIG && j.data_calls == 0,
	      "GET /bomb?length=1 refused from Content-Length (%d, %d calls, %s)", j.error,
	      j.data_calls, j.message);
	job_fini(&j);

	r = request(url("/headers"));
	job_run(f, &j, &r);
	CHECK(j.error == -EMSGSIZE, "GET /headers: -EMSGSIZE (%d, %s)", j.error, j.message);
	CHECK_STR(j.message, "response headers larger than 256 KiB", "GET /headers");
	job_fini(&j);

	/* one line of 1 MB: curl's own limit (curl 7 reports it as out of memory) */
	r = request(url("/headers?line=1"));
	job_run(f, &j, &r);
	CHECK(j.error == -EMSGSIZE, "GET /headers?line=1: -EMSGSIZE (%d, %s)", j.error, j.message);
	CHECK_STR(j.message, "a response header line longer than curl's limit of 100 KiB",
		  "GET /headers?line=1");
	job_fini(&j);
}

static void test_broken_connections(struct fetcher *f)
{
	struct job j = {0};
	struct fetch_request r;
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	char u[128];
	int fd;

	r = request(url("/reset"));
	job_run(f, &j, &r);
	CHECK(j.error == -ECONNRESET && j.status == 200,
	      "GET /reset: -ECONNRESET after the 200 (%d, %d, %s)", j.error, j.status, j.message);
	CHECK_STR(
	    j.message,
	    "connection reset by the server mid-body after 1000 of the 100000 bytes announced",
	    "GET /reset");
	job_fini(&j);

	/* the reset right behind the data: what came before it is still read */
	r = request(url("/reset?now=1"));
	job_run(f, &j, &r);
	CHECK(j.error == -ECONNRESET && j.status == 200 && j.bytes == 1000,
	      "GET /reset?now=1: -ECONNRESET after the 200 and 1000 bytes (%d, %d, %zu, %s)",
	      j.error, j.status, j.bytes, j.message);
	job_fini(&j);

	r = request(url("/badlength"));
	job_run(f, &j, &r);
	CHECK(j.error == -EPROTO, "GET /badlength: -EPROTO (%d, %s)", j.error, j.message);
	CHECK_STR(j.message,
		  "Content-Length mismatch: the server closed the connection after 1000 of the "
		  "100000 bytes announced",
		  "GET /badlength");
	job_fini(&j);

	/* more body than announced: what was kept is not what the server sent */
	r = request(url("/badlength?long=1"));
	job_run(f, &j, &r);
	CHECK(j.error == -EPROTO && j.status == 200, "GET /badlength?long=1: -EPROTO (%d, %d, %s)",
	      j.error, j.status, j.message);
	CHECK_STR(j.message,
		  "Content-Length mismatch: the server sent more than the 1000 bytes announced",
		  "GET /badlength?long=1");
	job_fini(&j);

	/* A port that is bound but not listening: nobody else can take it meanwhile. */
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0) {
		snprintf(u, sizeof(u), "http://127.0.0.1:%d/", ntohs(sa.sin_port));
		r = request(u);
		job_run(f, &j, &r);
		CHECK(j.error == -ECONNREFUSED && j.status == 0, "GET %s: -ECONNREFUSED (%d, %s)",
		      u, j.error, j.message);
		CHECK_STR(j.message, "connection refused", "GET %s", u);
		job_fini(&j);
	} else {
		CHECK(0, "could not bind a port for the refused connection");
	}
	if (fd >= 0)
		close(fd);

	/* TLS to the plain-HTTP fixture server. */
	snprintf(u, sizeof(u), "https://127.0.0.1:%d/feed/outlet-a.rss", port);
	r = request(u);
	job_run(f, &j, &r);
	CHECK(j.error == -EPROTO, "GET %s: -EPROTO (%d, %s)", u, j.error, j.message);
	CHECK(strncmp(j.message, "TLS handshake failed: ", 22) == 0, "GET %s: message %s", u,
	      j.message);
	job_fini(&j);
}

static void test_file_and_bad_requests(struct fetcher *f)
{
	struct job j = {0};
	struct fetch_request r;
	const char *bad[] = {"X-Evil: a\r\nX-Injected: b"};
	char u[PATH_MAX + 64];

	snprintf(u, sizeof(u), "file://%s/seed-feeds/outlet-c.rdf", fixtures);
	r = request(u);
	r.allow_file = 1;
	job_run(f, &j, &r);
	CHECK(j.status == 200 && j.error == 0, "%s with allow_file: 200 (%d, %s)", u, j.status,
	      j.message);
	CHECK(body_is_file(&j, "outlet-c.rdf"), "%s: body read", u);
	job_fini(&j);

	r.allow_file = 0;
	job_run(f, &j, &r);
	CHECK(j.error == -EPROTONOSUPPORT, "%s without allow_file: refused (%d, %s)", u, j.error,
	      j.message);
	CHECK_STR(j.message, "URL scheme not allowed", "%s without allow_file", u);
	job_fini(&j);

	snprintf(u, sizeof(u), "file://%s/seed-feeds/no-such-file", fixtures);
	r = request(u);
	r.allow_file = 1;
	job_run(f, &j, &r);
	CHECK(j.error == -ENOENT, "%s: -ENOENT (%d, %s)", u, j.error, j.message);
	job_fini(&j);

	r = request(url("/feed/outlet-a.rss"));
	r.headers = bad;
	r.n_headers = 1;
	CHECK(fetcher_start(f, &r, on_data, on_done, &j) == NULL,
	      "a header with a line break is refused");
	r = request(url("/feed/outlet-a.rss"));
	r.etag = "\"x\"\r\nX-Injected: 1";
	CHECK(fetcher_start(f, &r, on_data, on_done, &j) == NULL,
	      "a validator with a line break is refused");
	CHECK(j.done == 0, "done is not called for a refused start");
}

static int closed_count;

static void on_fetcher_closed(void *ud)
{
	(void)ud;
	closed_count++;
	uv_stop(&loop);
}

static void close_and_wait(struct fetcher *f)
{
	int want = closed_count + 1;

	fetcher_close(f, on_fetcher_closed, NULL);
	wait_for(&closed_count, want, "fetcher_close");
}

/* 8 slow fetches; the server reports how many it answered at once. */
static void check_concurrency(struct fetcher *stats, int max_total, int max_per_host, long want)
{
	struct fetcher *g = fetcher_new(&loop, max_total, max_per_host);
	struct job jobs[8], s = {0};
	struct fetch_request r = request(url("/slow?n=3&ms=100"));
	int i, all_ok = 1, before;

	memset(jobs, 0, sizeof(jobs));
	CHECK(g != NULL, "fetcher_new(%d, %d)", max_total, max_per_host);
	if (!g)
		return;
	stats_reset(stats);
	before = total_done;
	for (i = 0; i < 8; i++)
		job_start(g, &jobs[i], &r);
	CHECK(fetcher_active(g) == 8, "8 fetches active (%zu)", fetcher_active(g));
	wait_for(&total_done, before + 8, "8 fetches of /slow");
	for (i = 0; i < 8; i++) {
		if (jobs[i].status != 200 || jobs[i].error ||
		    strcmp(buf_cstr(&jobs[i].body), "xxx"))
			all_ok = 0;
		job_fini(&jobs[i]);
	}
	CHECK(all_ok, "all 8 fetches of /slow succeeded with their body");
	CHECK(fetcher_active(g) == 0, "none active afterwards (%zu)", fetcher_active(g));
	stats_get(stats, &s);
	CHECK(stats_int(s.body.data, "max_concurrent", "/slow") == want,
	      "max_total %d, max_per_host %d: the server saw %ld at once:\n%s", max_total,
	      max_per_host, want, buf_cstr(&s.body));
	job_fini(&s);
	close_and_wait(g);
}

static void test_cancel(struct fetcher *f)
{
	struct job a = {0}, b = {0}, c = {0};
	struct fetch_request r;

	/* From inside the data callback. */
	r = request(url("/slow?n=20&ms=100"));
	a.cancel_on_data = 1;
	job_run(f, &a, &r);
	CHECK(a.error == -ECANCELED && a.data_calls == 1,
	      "cancel from the data callback: -ECANCELED, no more data (%d, %d calls, %s)", a.error,
	      a.data_calls, a.message);
	CHECK_STR(a.message, "cancelled", "cancelled mid-transfer");
	CHECK(job_seconds(&a) < 1.5, "the slow body was abandoned (%.2f s)", job_seconds(&a));

	/* Right after the start, before the loop ran: done comes later, from the loop. */
	r = request(url("/hang"));
	job_start(f, &b, &r);
	fetcher_cancel(b.x);
	fetcher_cancel(b.x); /* twice is harmless */
	CHECK(b.done == 0, "done is not called from inside fetcher_cancel");
	wait_for(&b.done, 1, "a cancelled /hang");
	CHECK(b.error == -ECANCELED, "cancel before the loop ran: -ECANCELED (%d)", b.error);

	/* The data callback refusing data. */
	r = request(url("/feed/outlet-a.rss"));
	c.abort_on_data = 1;
	job_run(f, &c, &r);
	CHECK(c.error == -ECANCELED, "data callback returning non-zero: -ECANCELED (%d, %s)",
	      c.error, c.message);
	CHECK_STR(c.message, "aborted by the receiver", "data callback abort");
	CHECK(fetcher_active(f) == 0, "nothing left active (%zu)", fetcher_active(f));
	job_fini(&a);
	job_fini(&b);
	job_fini(&c);
}

static void test_close_in_flight(void)
{
	struct fetcher *g = fetcher_new(&loop, 8, 4);
	struct job a = {0}, b = {0}, c = {0}, d = {0};
	struct fetch_request r;
	int want;

	CHECK(g != NULL, "fetcher_new");
	if (!g)
		return;
	/* fetcher_close from a data callback while two others hang. */
	r = request(url("/hang"));
	job_start(g, &a, &r);
	r = request(url("/slow?n=20&ms=100"));
	b.close_on_data = g;
	job_start(g, &b, &r);
	r = request(url("/hang"));
	job_start(g, &c, &r);
	want = total_done + 3;
	wait_for(&total_done, want, "3 fetches cancelled by fetcher_close");
	CHECK(a.error == -ECANCELED && b.error == -ECANCELED && c.error == -ECANCELED,
	      "fetcher_close cancels all (%d %d %d)", a.error, b.error, c.error);
	CHECK(b.data_calls == 1, "no data after the close (%d calls)", b.data_calls);
	/* fetcher_close passed no callback; let its handles close. */
	job_fini(&a);
	job_fini(&b);
	job_fini(&c);

	/* fetcher_close from a done callback, with a transfer still hanging. */
	g = fetcher_new(&loop, 8, 4);
	CHECK(g != NULL, "fetcher_new");
	if (!g)
		return;
	r = request(url("/hang"));
	job_start(g, &a, &r);
	r = request(url("/status/404"));
	d.close_on_done = g;
	d.chain_fetcher = g;
	job_start(g, &d, &r);
	want = total_done + 2;
	wait_for(&total_done, want, "fetcher_close from a done callback");
	CHECK(d.status == 404 && d.error == 0, "the first fetch finished normally (%s)", d.message);
	CHECK(d.active_in_done == 1, "fetcher_active in done excludes the finished fetch (%d)",
	      d.active_in_done);
	CHECK(a.error == -ECANCELED, "the hanging fetch cancelled by the close (%d)", a.error);
	job_fini(&a);
	job_fini(&d);
	/* Let the closes complete (the /hang socket is closed by then). */
	uv_run(&loop, UV_RUN_NOWAIT);
}

int main(void)
{
	const char *fx = getenv("FIXTURES");
	struct fetcher *f;
	int rc;

	signal(SIGPIPE, SIG_IGN);
	/* Only ever talk to our own server: no proxy from the environment. */
	unsetenv("http_proxy");
	unsetenv("https_proxy");
	unsetenv("HTTPS_PROXY");
	unsetenv("all_proxy");
	unsetenv("ALL_PROXY");
	setenv("no_proxy", "*", 1);
	if (!realpath(fx ? fx : "tests/fixtures", fixtures)) {
		fprintf(stderr, "no fixtures at %s\n", fx ? fx : "tests/fixtures");
		return 99;
	}
	if (server_start() < 0) {
		fprintf(stderr, "could not start the fixture server\n");
		server_stop();
		return 99;
	}
	uv_loop_init(&loop);
	uv_timer_init(&loop, &watchdog);
	uv_timer_start(&watchdog, on_watchdog, WATCHDOG_MS, 0);

	f = fetcher_new(&loop, 16, 4);
	CHECK(f != NULL, "fetcher_new");
	if (f) {
		bomb_prepare(f);
		test_plain_and_conditional(f);
		test_gzip(f);
		test_redirects(f);
		test_private_addresses(f);
		test_statuses(f);
		test_file_and_bad_requests(f);
		test_broken_connections(f);
		check_concurrency(f, 16, 2, 2);
		check_concurrency(f, 3, 8, 3);
		test_cancel(f);
		test_close_in_flight();
		test_time_limits(f);
		test_size_limits(f);
		close_and_wait(f);
	}

	uv_timer_stop(&watchdog);
	uv_close((uv_handle_t *)&watchdog, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	rc = uv_loop_close(&loop);
	CHECK(rc == 0, "uv_loop_close: every handle closed (%s)", rc ? uv_strerror(rc) : "ok");
	server_stop();
	return check_exit();
}
