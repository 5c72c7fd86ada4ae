/* SPDX-License-Identifier: MIT */
/* The control socket's server on the loop (ctl.h); the client is ctl_client.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"
#include "store_pg.h"

#define CTL_MAX_REQUEST (64 * 1024)
#define CTL_MAX_CLIENTS 16

struct ctl {
	uv_loop_t *loop;
	uv_pipe_t server;
	char *path;
	const struct ctl_ops *ops;
	void *ud;
	int clients;
	struct ctl_client *list; /* every open client, to close them at stop */
	int server_closed;
};

/* Frees c once the server and every client are closed (libuv runs close callbacks in any order). */
static void maybe_free(struct ctl *c)
{
	if (c->server_closed && !c->list) {
		free(c->path);
		free(c);
	}
}

struct ctl_client {
	uv_pipe_t pipe;
	struct ctl *ctl;
	struct ctl_client *next, **prevp;
	struct buf in;
};

struct ctl_write {
	uv_write_t req;
	char *data;
};

char *ctl_path_for(const char *state_path, const char *spool)
{
	/* for a database server, in the spool: the database is elsewhere */
	int pg = store_pg_is_uri(state_path);
	const char *slash = pg ? NULL : strrchr(state_path, '/');
	size_t dir = pg ? strlen(spool) : slash ? (size_t)(slash - state_path) : 1;
	char *p = malloc(dir + sizeof "/feedspool.ctl");

	if (!p)
		return NULL;
	if (pg)
		memcpy(p, spool, dir);
	else if (slash)
		memcpy(p, state_path, dir);
	else
		p[0] = '.';
	memcpy(p + dir, "/feedspool.ctl", sizeof "/feedspool.ctl");
	return p;
}

static void on_client_closed(uv_handle_t *h)
{
	struct ctl_client *cl = h->data;
	struct ctl *c = cl->ctl;

	c->clients--;
	*cl->prevp = cl->next;
	if (cl->next)
		cl->next->prevp = cl->prevp;
	buf_fini(&cl->in);
	free(cl);
	maybe_free(c);
}

static void on_written(uv_write_t *w, int status)
{
	struct ctl_write *cw = (struct ctl_write *)w;

	free(cw->data);
	free(cw);
}

static void send_json(struct ctl_client *cl, json_t *answer)
{
	struct ctl_write *cw = calloc(1, sizeof *cw);
	char *text = json_dumps(answer, JSON_COMPACT);
	size_t n;

	json_decref(answer);
	if (!cw || !text || !(cw->data = realloc(text, (n = strlen(text)) + 2))) {
		free(text);
		free(cw);
		return;
	}
	cw->data[n] = '\n';
	uv_buf_t b = uv_buf_init(cw->data, (unsigned)n + 1);
	if (uv_write(&cw->req, (uv_stream_t *)&cl->pipe, &b, 1, on_written) < 0) {
		free(cw->data);
		free(cw);
	}
}

static json_t *error_answer(const char *msg)
{
	return json_pack("{sbss}", "ok", 0, "error", msg);
}

/* One request: {"cmd": ..., "feed": ...|"all": true}. */
static json_t *dispatch(struct ctl *c, const char *line)
{
	json_error_t jerr;
	json_t *req = json_loads(line, 0, &jerr), *ans;
	const char *cmd = req ? json_string_value(json_object_get(req, "cmd")) : NULL;
	const char *feed = req ? json_string_value(json_object_get(req, "feed")) : NULL;
	int all = req && json_is_true(json_object_get(req, "all"));
	int (*op)(void *, const char *, struct buf *) = NULL;
	struct buf err = BUF_INIT;
	int rc;

	if (!cmd) {
		json_decref(req);
		return error_answer("a request is a JSON object with \"cmd\"");
	}
	if (strcmp(cmd, "status") == 0) {
		ans = c->ops->status(c->ud);
		json_decref(req);
		return json_pack("{sbso}", "ok", 1, "status", ans ? ans : json_null());
	}
	if (strcmp(cmd, "refresh") == 0)
		op = c->ops->refresh;
	else if (strcmp(cmd, "pause") == 0)
		op = c->ops->pause;
	else if (strcmp(cmd, "resume") == 0)
		op = c->ops->resume;
	if (!op || (!feed && !(all && op == c->ops->refresh))) {
		json_decref(req);
		return error_answer(op ? "name a feed (\"feed\"), or \"all\": true for refresh"
				       : "unknown command (refresh, pause, resume, status)");
	}
	rc = op(c->ud, all ? NULL : feed, &err);
	ans = rc < 0 ? error_answer(err.data ? err.data : strerror(-rc)) : json_pack("{sb}", "ok", 1);
	buf_fini(&err);
	json_decref(req);
	return ans;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	static char slab[4096]; /* loop thread only; copied into the client's buffer at once */

	*b = uv_buf_init(slab, sizeof slab);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct ctl_client *cl = s->data;
	char *nl;

	if (n < 0) {
		uv_close((uv_handle_t *)s, on_client_closed);
		return;
	}
	if (buf_append(&cl->in, b->base, (size_t)n) < 0 || cl->in.len > CTL_MAX_REQUEST) {
		send_json(cl, error_answer("request too long (64 KiB at most)"));
		uv_read_stop(s);
		uv_close((uv_handle_t *)s, on_client_closed);
		return;
	}
	while (cl->in.len && (nl = memchr(cl->in.data, '\n', cl->in.len))) {
		size_t used = (size_t)(nl - cl->in.data) + 1;

		*nl = '\0';
		send_json(cl, dispatch(cl->ctl, cl->in.data));
		memmove(cl->in.data, cl->in.data + used, cl->in.len - used);
		cl->in.len -= used;
		cl->in.data[cl->in.len] = '\0';
	}
}

static void on_connection(uv_stream_t *server, int status)
{
	struct ctl *c = server->data;
	struct ctl_client *cl;

	if (status < 0 || !(cl = calloc(1, sizeof *cl)))
		return;
	uv_pipe_init(c->loop, &cl->pipe, 0);
	cl->pipe.data = cl;
	cl->ctl = c;
	buf_init(&cl->in);
	c->clients++;
	cl->next = c->list;
	cl->prevp = &c->list;
	if (c->list)
		c->list->prevp = &cl->next;
	c->list = cl;
	if (uv_accept(server, (uv_stream_t *)&cl->pipe) < 0 || c->clients > CTL_MAX_CLIENTS ||
	    uv_read_start((uv_stream_t *)&cl->pipe, on_alloc, on_read) < 0)
		uv_close((uv_handle_t *)&cl->pipe, on_client_closed);
}

/* A socket left by a daemon that died is replaced; a file of any other kind is not ours. */
static int clear_path(const char *path, struct buf *err)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : (buf_printf(err, "%s: %s", path, strerror(errno)), -errno);
	if (!S_ISSOCK(st.st_mode) || st.st_uid != geteuid()) {
		buf_printf(err, "%s: exists and is not our socket; refusing to replace it", path);
		return -EEXIST;
	}
	return unlink(path) < 0 ? -errno : 0;
}

struct ctl *ctl_start(uv_loop_t *loop, const char *path, const struct ctl_ops *ops, void *ud,
		      struct buf *err)
{
	struct ctl *c = calloc(1, sizeof *c);
	int rc;

	if (!c || !(c->path = strdup(path))) {
		free(c);
		return NULL;
	}
	c->loop = loop;
	c->ops = ops;
	c->ud = ud;
	uv_pipe_init(loop, &c->server, 0);
	c->server.data = c;
	mode_t old = umask(0117); /* the socket is created 0660 */
	if ((rc = clear_path(path, err)) < 0 || (rc = uv_pipe_bind(&c->server, path)) < 0 ||
	    (rc = uv_listen((uv_stream_t *)&c->server, 8, on_connection)) < 0) {
		umask(old);
		if (!err->len)
			buf_printf(err, "control socket %s: %s", path, uv_strerror(rc));
		ctl_stop(c);
		return NULL;
	}
	umask(old);
	chmod(path, 0660);
	return c;
}

static void on_server_closed(uv_handle_t *h)
{
	struct ctl *c = h->data;

	c->server_closed = 1;
	maybe_free(c);
}

void ctl_stop(struct ctl *c)
{
	if (!c)
		return;
	for (struct ctl_client *cl = c->list; cl; cl = cl->next)
		if (!uv_is_closing((uv_handle_t *)&cl->pipe))
			uv_close((uv_handle_t *)&cl->pipe, on_client_closed);
	if (c->path)
		unlink(c->path);
	uv_close((uv_handle_t *)&c->server, on_server_closed);
}
