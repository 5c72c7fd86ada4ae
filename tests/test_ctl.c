/* SPDX-License-Identifier: MIT */
/* The control socket (src/daemon/ctl.c, ctl_client.c): requests reach the registered
 * operations with the right feed, errors come back with their message, the socket is 0660, a
 * stale socket is replaced and anything else at its path refused, oversized or malformed
 * requests are answered with an error. The blocking client runs on a thread while the loop
 * serves. */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "check.h"
#include "ctl.h"

static uv_loop_t loop;
static char calls[256];
static char sock[256];

static int op(const char *what, const char *feed, struct buf *err)
{
	size_t n = strlen(calls);

	snprintf(calls + n, sizeof calls - n, "%s(%s) ", what, feed ? feed : "*");
	if (feed && strcmp(feed, "nosuch") == 0) {
		buf_printf(err, "no feed named %s", feed);
		return -ENOENT;
	}
	return 0;
}

static int do_refresh(void *ud, const char *feed, struct buf *err) { return op("refresh", feed, err); }
static int do_pause(void *ud, const char *feed, struct buf *err) { return op("pause", feed, err); }
static int do_resume(void *ud, const char *feed, struct buf *err) { return op("resume", feed, err); }
static json_t *do_status(void *ud)
{
	return json_pack("{s[{ssss}]}", "feeds", "name", "a", "state", "idle");
}

static const struct ctl_ops ops = {do_refresh, do_pause, do_resume, do_status};

/* The client's side, on a thread: each request's answer (or error) appended to results. */
static char results[4096];
static uv_async_t finished;

static void ask(const char *json)
{
	json_t *req = json_loads(json, 0, NULL), *ans = NULL;
	struct buf err = BUF_INIT;
	size_t n = strlen(results);
	char *text = NULL;

	if (ctl_request(sock, req, 5000, &ans, &err) == 0)
		text = json_dumps(ans, JSON_COMPACT | JSON_SORT_KEYS);
	snprintf(results + n, sizeof results - n, "%s\n", text ? text : buf_cstr(&err));
	free(text);
	json_decref(ans);
	json_decref(req);
	buf_fini(&err);
}

/* Sends raw bytes and returns the first line of the answer. */
static void raw(const char *data, size_t len)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	char in[512] = "";
	size_t n = strlen(results), got = 0;
	ssize_t r;

	strcpy(sa.sun_path, sock);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
		for (size_t off = 0; off < len; off += (size_t)r)
			if ((r = write(fd, data + off, len - off)) <= 0)
				break;
		while (got < sizeof in - 1 && !memchr(in, '\n', got) &&
		       (r = read(fd, in + got, sizeof in - 1 - got)) > 0)
			got += (size_t)r;
		in[got] = '\0';
	}
	close(fd);
	snprintf(results + n, sizeof results - n, "%s", in);
}

static void client(void *arg)
{
	char *big = malloc(70000);

	ask("{\"cmd\":\"refresh\",\"feed\":\"lwn\"}");
	ask("{\"cmd\":\"refresh\",\"all\":true}");
	ask("{\"cmd\":\"pause\",\"feed\":\"lwn\"}");
	ask("{\"cmd\":\"resume\",\"feed\":\"nosuch\"}");
	ask("{\"cmd\":\"status\"}");
	ask("{\"cmd\":\"explode\"}");
	ask("{\"cmd\":\"pause\"}");
	raw("not json\n", 9);
	memset(big, 'x', 69999);
	big[69999] = '\n';
	raw(big, 70000);
	free(big);
	uv_async_send(&finished);
}

static void on_finished(uv_async_t *a)
{
	ctl_stop(a->data);
	uv_close((uv_handle_t *)a, NULL);
}

int main(void)
{
	char dir[] = "/tmp/feedspool-ctl.XXXXXX", *p;
	struct buf err = BUF_INIT;
	struct stat st;
	struct ctl *c;
	uv_thread_t t;

	CHECK(mkdtemp(dir) != NULL, "mkdtemp");
	p = ctl_path_for("/var/lib/feedspool/state.db", "/var/spool/feedspool");
	CHECK_STR(p, "/var/lib/feedspool/feedspool.ctl", "the socket beside the state");
	free(p);
	p = ctl_path_for("postgresql://u@db/feeds", "/var/spool/feedspool");
	CHECK_STR(p, "/var/spool/feedspool/feedspool.ctl", "a database's: the socket in the spool");
	free(p);
	snprintf(sock, sizeof sock, "%s/feedspool.ctl", dir);
	uv_loop_init(&loop);

	/* a regular file at the path is not ours to replace */
	close(open(sock, O_CREAT | O_WRONLY, 0600));
	CHECK(ctl_start(&loop, sock, &ops, NULL, &err) == NULL, "a regular file is refused");
	CHECK(strstr(buf_cstr(&err), "not our socket"), "the message says so: %s", buf_cstr(&err));
	unlink(sock);

	buf_reset(&err);
	c = ctl_start(&loop, sock, &ops, NULL, &err);
	CHECK(c != NULL, "listen: %s", buf_cstr(&err));
	if (!c)
		return check_exit();
	CHECK(stat(sock, &st) == 0 && (st.st_mode & 0777) == 0660, "mode 0660 (%o)", st.st_mode & 0777);
	uv_async_init(&loop, &finished, on_finished);
	finished.data = c;
	uv_thread_create(&t, client, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_thread_join(&t);
	CHECK_STR(calls, "refresh(lwn) refresh(*) pause(lwn) resume(nosuch) ", "the operations called");
	CHECK_STR(results,
		  "{\"ok\":true}\n{\"ok\":true}\n{\"ok\":true}\n"
		  "{\"error\":\"no feed named nosuch\",\"ok\":false}\n"
		  "{\"ok\":true,\"status\":{\"feeds\":[{\"name\":\"a\",\"state\":\"idle\"}]}}\n"
		  "{\"error\":\"unknown command (refresh, pause, resume, status)\",\"ok\":false}\n"
		  "{\"error\":\"name a feed (\\\"feed\\\"), or \\\"all\\\": true for refresh\",\"ok\":false}\n"
		  "{\"ok\":false,\"error\":\"a request is a JSON object with \\\"cmd\\\"\"}\n"
		  "{\"ok\":false,\"error\":\"request too long (64 KiB at most)\"}\n",
		  "the answers");
	CHECK(access(sock, F_OK) != 0, "the socket is removed at stop");

	/* a stale socket (a daemon that died) is replaced */
	buf_reset(&err);
	{
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);

		strcpy(sa.sun_path, sock);
		CHECK(bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0, "a stale socket");
		close(fd);
	}
	c = ctl_start(&loop, sock, &ops, NULL, &err);
	CHECK(c != NULL, "a stale socket is replaced: %s", buf_cstr(&err));
	ctl_stop(c);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	rmdir(dir);
	buf_fini(&err);
	return check_exit();
}
