/* SPDX-License-Identifier: MIT */
/* Metrics (src/daemon/metrics.c, metrics_render.c): the exposition format passes
 * `promtool check metrics` (Debian's prometheus package), the histogram is cumulative, label
 * values are escaped, and the server on 127.0.0.1 serves the published snapshot and the
 * health state. */
#include "autoconfig.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "metrics.h"

static size_t cb_body(char *p, size_t size, size_t n, void *ud)
{
	buf_append(ud, p, size * n);
	return size * n;
}

/* GETs http://127.0.0.1:port/path into body; returns the status (0 when no answer). */
static long get(unsigned port, const char *path, struct buf *body)
{
	CURL *c = curl_easy_init();
	char url[128];
	long status = 0;

	buf_reset(body);
	snprintf(url, sizeof url, "http://127.0.0.1:%u%s", port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, cb_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	return status;
}

static void test_render(struct buf *out)
{
	struct metrics_values v = {0};
	struct metrics_filter f[] = {{"dgx-spark", 3, 40, 1}, {"odd \"name\"\\x", 0, 0, 0}};
	char path[] = "/tmp/feedspool-metrics.XXXXXX", cmd[256];
	FILE *fp;
	int fd;

	v.fetch_ok = 5;
	v.fetch_error = 2;
	v.articles_new = 12;
	v.feeds = 7;
	metrics_observe_duration(&v, 0.01);
	metrics_observe_duration(&v, 0.3);
	metrics_observe_duration(&v, 100);
	CHECK(metrics_render(&v, f, 2, out) == 0, "render");
	CHECK(strstr(out->data, "feedspool_fetches_total{result=\"ok\"} 5\n"), "fetches by result:\n%s", out->data);
	CHECK(strstr(out->data, "feedspool_fetch_duration_seconds_bucket{le=\"0.05\"} 1\n"), "first bucket");
	CHECK(strstr(out->data, "feedspool_fetch_duration_seconds_bucket{le=\"0.5\"} 2\n"), "cumulative bucket");
	CHECK(strstr(out->data, "feedspool_fetch_duration_seconds_bucket{le=\"+Inf\"} 3\n"), "+Inf bucket");
	CHECK(strstr(out->data, "feedspool_fetch_duration_seconds_count 3\n"), "count");
	CHECK(strstr(out->data, "filter=\"odd \\\"name\\\"\\\\x\""), "label escaped:\n%s", out->data);
	CHECK(strstr(out->data, "feedspool_articles_total{fate=\"new\"} 12\n"), "articles");
	fd = mkstemp(path);
	CHECK(fd >= 0 && (fp = fdopen(fd, "w")) != NULL, "temporary file");
	if (fd < 0)
		return;
	fwrite(out->data, 1, out->len, fp);
	fclose(fp);
	snprintf(cmd, sizeof cmd, "promtool check metrics <%s", path);
	CHECK(system(cmd) == 0, "`%s` accepts the output (apt-get install prometheus)", cmd);
	unlink(path);
}

static void test_server(const struct buf *text)
{
	struct buf err = BUF_INIT, body = BUF_INIT;
	struct metrics *m = metrics_new("127.0.0.1:0", &err);
	unsigned port;

	CHECK(m != NULL, "listen on 127.0.0.1:0: %s", err.data ? err.data : "");
	if (!m)
		return;
	port = metrics_port(m);
	CHECK(port > 0, "a port was bound");
	CHECK(get(port, "/metrics", &body) == 503, "503 before the first snapshot");
	metrics_publish(m, text->data, text->len);
	CHECK(get(port, "/metrics", &body) == 200, "200 with a snapshot");
	CHECK(body.len == text->len && memcmp(body.data, text->data, body.len) == 0, "the snapshot, whole");
	CHECK(get(port, "/healthz", &body) == 200 && strcmp(body.data, "ok\n") == 0, "healthy");
	metrics_set_health(m, 0, "state /var/lib/feedspool/state.db: disk full");
	CHECK(get(port, "/healthz", &body) == 503, "unhealthy: 503");
	CHECK_STR(body.data, "state /var/lib/feedspool/state.db: disk full\n", "the reason");
	CHECK(get(port, "/nothing", &body) == 404, "404 elsewhere");
	metrics_free(m);
	CHECK(get(port, "/metrics", &body) == 0, "nothing listens after metrics_free");

	buf_reset(&err);
	CHECK(metrics_new("localhost:9464", &err) == NULL, "a name is refused");
	CHECK(err.data && strstr(err.data, "numeric address"), "the message says why: %s", err.data);
	buf_reset(&err);
	CHECK(metrics_new("127.0.0.1", &err) == NULL, "no port is refused");
	buf_fini(&err);
	buf_fini(&body);
}

int main(void)
{
	struct buf text = BUF_INIT;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	test_render(&text);
	test_server(&text);
	buf_fini(&text);
	curl_global_cleanup();
	return check_exit();
}
