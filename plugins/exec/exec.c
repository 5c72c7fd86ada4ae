/* SPDX-License-Identifier: MIT */
/* The exec filter plugin: judges articles through a long-lived co-process speaking JSON lines. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <uv.h>

#include <feedspool/plugin.h>

#include "../options.h"

#define BACKOFF_CAP_MS 60000  /* the most a restart waits; 60 s of uptime resets the delay */
#define GRACE_MS 1000	      /* between closing stdin, SIGTERM and SIGKILL */
#define READ_SPACE 65536      /* free space offered to each read */
#define ERR_LINE_MAX 4096     /* a longer stderr line is logged in pieces */
#define SNIPPET_MAX 80	      /* bytes of a bad answer quoted in the log */
#define NOISY_PER_SEC 20      /* messages a co-process can cause per second before we drop some */
#define WBUF_KEEP (4u << 20)  /* a write buffer bigger than this is released once written */
#define WBUF_MAX (256u << 20) /* articles waiting to be written, at most */

/* A member of a host struct exists only if the host's struct is big enough to hold it. */
#define HAS(p, type, m) ((p)->size >= offsetof(type, m) + sizeof((p)->m))

struct buf {
	char *data;
	size_t len, cap;
};

/* An article written to the co-process (or about to be), waiting for its verdict line. */
struct pending {
	struct feedspool_call *call;
	uint64_t deadline; /* loop time (ms) after which the call times out */
};

struct exec;

/* One co-process and its pipes; freed when the last of its handles is closed. */
struct child {
	struct exec *ex;
	struct child *next; /* in ex->children */
	uv_process_t proc;
	uv_pipe_t in, out, err;
	uv_timer_t kill_timer;
	uv_write_t wreq;
	struct buf wnext; /* lines waiting for the write in flight */
	struct buf wbusy; /* lines being written */
	struct buf rbuf;  /* stdout not yet split into lines */
	size_t rscanned;  /* bytes of rbuf known to hold no newline */
	struct buf ebuf;  /* a partial stderr line */
	uint64_t started; /* loop time of the spawn */
	int pid;
	int handles; /* initialized handles not yet closed */
	int signals; /* signals sent so far: 0, 1 (SIGTERM), 2 (SIGKILL) */
	bool writing, exited;
};

/* One instance: the options, the calls in flight and the current co-process. */
struct exec {
	const struct feedspool_host *host;
	uv_loop_t *loop;
	char **argv; /* the command, split; argv[0] as written */
	char *path;  /* argv[0] resolved */
	char *cwd;   /* config_dir, or NULL */
	char *command;
	uint64_t timeout_ms, backoff_initial_ms, backoff_ms;
	size_t max_line, max_queue;
	struct pending *q; /* a ring of max_queue entries, oldest at q_head */
	size_t q_head, q_len;
	struct child *child;	/* the co-process answering, NULL while down */
	struct child *children; /* every child not yet freed, stopping ones included */
	uv_timer_t timeout_timer, restart_timer;
	uv_idle_t flush_idle;
	int handles;
	bool finalized, down_logged, full_logged;
	uint64_t noisy_window;
	unsigned noisy_count, noisy_dropped;
};

static void child_write(struct child *c);
static void child_lost(struct exec *ex, struct child *c, const char *why);

/* Logging */

static void xlog(struct exec *ex, enum feedspool_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void xlog(struct exec *ex, enum feedspool_log_level level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	/* host is only valid until fini() returns */
	if (ex->finalized)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ex->host->log(ex->host, level, "%s", msg);
}

/* Whether a message caused by the co-process's output may be logged: at most NOISY_PER_SEC a
 * second, so that a child printing garbage at full speed cannot flood the log. */
static bool noisy_ok(struct exec *ex)
{
	uint64_t now = uv_now(ex->loop);

	if (now - ex->noisy_window >= 1000) {
		if (ex->noisy_dropped)
			xlog(ex, FEEDSPOOL_LOG_WARNING,
			     "%u messages about the co-process suppressed", ex->noisy_dropped);
		ex->noisy_window = now;
		ex->noisy_count = 0;
		ex->noisy_dropped = 0;
	}
	if (ex->noisy_count >= NOISY_PER_SEC) {
		ex->noisy_dropped++;
		return false;
	}
	ex->noisy_count++;
	return true;
}

/* Copies at most SNIPPET_MAX bytes of s into out, control characters as '?'. */
static const char *snippet(char out[SNIPPET_MAX + 4], const char *s, size_t len)
{
	size_t i, n = len < SNIPPET_MAX ? len : SNIPPET_MAX;

	for (i = 0; i < n; i++)
		out[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	strcpy(out + n, len > n ? "..." : "");
	return out;
}

/* Buffers */

static int buf_reserve(struct buf *b, size_t more)
{
	size_t cap;
	char *p;

	if (b->cap - b->len >= more)
		return 0;
	if (more > SIZE_MAX / 2 - b->len)
		return -ENOMEM;
	cap = b->cap ? b->cap : 4096;
	while (cap - b->len < more)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p)
		return -ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

static int buf_add(struct buf *b, const char *s, size_t len)
{
	if (buf_reserve(b, len) < 0)
		return -ENOMEM;
	memcpy(b->data + b->len, s, len);
	b->len += len;
	return 0;
}

static void buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

/* Option values (durations and sizes: ../options.h) */

/* Splits a command line into words like a shell, without expanding anything: blanks separate
 * words, '...' is literal, "..." is literal but for \" and \\, and a backslash outside quotes
 * takes the next character literally. Returns a NULL-terminated array whose strings live in the
 * same allocation, or NULL with *err set. */
static char **split_command(const char *s, const char **err)
{
	size_t n = strlen(s), words = 0, i;
	char **argv = NULL, *out, *w;
	bool in_word = false;
	char quote = 0;

	/* at most n/2+1 words; the strings fit in n+1 bytes plus one NUL each */
	argv = malloc((n / 2 + 2) * sizeof(*argv) + 2 * n + 2);
	if (!argv) {
		*err = "out of memory";
		return NULL;
	}
	out = w = (char *)(argv + n / 2 + 2);
	for (i = 0; i < n; i++) {
		char ch = s[i];

		if (quote == '\'') {
			if (ch == '\'')
				quote = 0;
			else
				*out++ = ch;
			continue;
		}
		if (quote == '"') {
			if (ch == '"')
				quote = 0;
			else if (ch == '\\' && (s[i + 1] == '"' || s[i + 1] == '\\'))
				*out++ = s[++i];
			else
				*out++ = ch;
			continue;
		}
		if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
			if (in_word) {
				*out++ = '\0';
				argv[words++] = w;
				w = out;
				in_word = false;
			}
			continue;
		}
		in_word = true;
		if (ch == '\'' || ch == '"') {
			quote = ch;
		} else if (ch == '\\') {
			if (i + 1 == n) {
				*err = "a backslash ends the command";
				goto fail;
			}
			*out++ = s[++i];
		} else {
			*out++ = ch;
		}
	}
	if (quote) {
		*err = quote == '"' ? "unterminated \"" : "unterminated '";
		goto fail;
	}
	if (in_word) {
		*out++ = '\0';
		argv[words++] = w;
	}
	if (!words) {
		*err = "empty command";
		goto fail;
	}
	argv[words] = NULL;
	return argv;
fail:
	free(argv);
	return NULL;
}

static char *path_join(const char *dir, const char *name)
{
	size_t d = strlen(dir), n = strlen(name);
	char *p = malloc(d + n + 2);

	if (!p)
		return NULL;
	memcpy(p, dir, d);
	p[d] = '/';
	memcpy(p + d + 1, name, n + 1);
	return p;
}

static int check_executable(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EACCES;
	if (access(path, X_OK) < 0)
		return -errno;
	return 0;
}

/* The program to run: a name with a slash is a path, relative ones from the configuration's
 * directory; a bare name is looked up in PATH, like a shell does. */
static int resolve_program(const struct feedspool_host *host, const char *prog, char **out)
{
	const char *dir = host->config_dir && *host->config_dir ? host->config_dir : ".";
	const char *env, *p, *colon;
	int r = -ENOENT;
	char *path;

	if (strchr(prog, '/')) {
		path = prog[0] == '/' ? strdup(prog) : path_join(dir, prog);
		if (!path)
			return -ENOMEM;
		r = check_executable(path);
		if (r < 0) {
			host->log(host, FEEDSPOOL_LOG_ERR, "command: %s: %s", path, strerror(-r));
			free(path);
			return r;
		}
		*out = path;
		return 0;
	}
	env = getenv("PATH");
	if (!env || !*env)
		env = "/usr/local/bin:/usr/bin:/bin";
	for (p = env;; p = colon + 1) {
		char *d;

		colon = strchr(p, ':');
		d = strndup(p, colon ? (size_t)(colon - p) : strlen(p));
		if (!d)
			return -ENOMEM;
		path = path_join(*d ? d : ".", prog);
		free(d);
		if (!path)
			return -ENOMEM;
		if (check_executable(path) == 0) {
			*out = path;
			return 0;
		}
		free(path);
		if (!colon)
			break;
	}
	host->log(host, FEEDSPOOL_LOG_ERR, "command: %s: not found in PATH", prog);
	return r;
}

/* Articles as JSON */

/* Appends the article's JSON line to b: the host's own text, the spool's <id>.json, so that a
 * co-process reads exactly what a spool reader reads (and `feedspool parse` prints). */
static int article_write(struct exec *ex, struct buf *b, struct feedspool_call *call)
{
	size_t len;
	const char *json = ex->host->article_json(call, &len);

	if (!json || memchr(json, '\n', len))
		return -EINVAL; /* the host logged why; a newline would break the line protocol */
	if (buf_reserve(b, len + 1) < 0)
		return -ENOMEM;
	buf_add(b, json, len);
	buf_add(b, "\n", 1);
	return 0;
}

/* Verdicts */

/* Checks an answer line and, when it is valid, adds its topics and tags to the call. */
static enum feedspool_verdict answer_apply(struct exec *ex, struct feedspool_call *call,
					   const char *line, size_t len)
{
	const char *why = NULL, *v, **matched = NULL;
	enum feedspool_verdict verdict = FEEDSPOOL_ERROR;
	json_t *o, *topics, *tags, *t, *x;
	char snip[SNIPPET_MAX + 4];
	size_t i, j, max_matched = 0;
	json_error_t jerr;

	o = json_loadb(line, len, 0, &jerr);
	if (!o) {
		why = jerr.text;
		goto bad;
	}
	if (!json_is_object(o)) {
		why = "not a JSON object";
		goto bad;
	}
	v = json_string_value(json_object_get(o, "verdict"));
	if (!v) {
		why = "no \"verdict\" string";
		goto bad;
	}
	if (!strcmp(v, "keep")) {
		verdict = FEEDSPOOL_KEEP;
	} else if (!strcmp(v, "drop")) {
		verdict = FEEDSPOOL_DROP;
	} else if (!strcmp(v, "error")) {
		verdict = FEEDSPOOL_ERROR;
	} else {
		why = "unknown verdict (not keep, drop or error)";
		goto bad;
	}
	/* check everything before annotating anything */
	topics = json_object_get(o, "topics");
	if (topics && !json_is_null(topics)) {
		if (!json_is_array(topics)) {
			why = "\"topics\" is not an array";
			goto bad;
		}
		json_array_foreach(topics, i, t)
		{
			json_t *m = json_object_get(t, "matched"),
			       *score = json_object_get(t, "score");

			if (!json_is_string(json_object_get(t, "name"))) {
				why = "a topic without a \"name\" string";
				goto bad;
			}
			if (score && !json_is_number(score)) {
				why = "a topic \"score\" that is not a number";
				goto bad;
			}
			if (m && !json_is_null(m)) {
				if (!json_is_array(m)) {
					why = "a topic \"matched\" that is not an array";
					goto bad;
				}
				json_array_foreach(m, j, x)
				{
					if (!json_is_string(x)) {
						why = "a topic \"matched\" that is not all strings";
						goto bad;
					}
				}
				if (json_array_size(m) > max_matched)
					max_matched = json_array_size(m);
			}
		}
	}
	tags = json_object_get(o, "tags");
	if (tags && !json_is_null(tags)) {
		if (!json_is_array(tags)) {
			why = "\"tags\" is not an array";
			goto bad;
		}
		json_array_foreach(tags, i, x)
		{
			if (!json_is_string(x)) {
				why = "a tag that is not a string";
				goto bad;
			}
		}
	}
	if (max_matched) {
		matched = malloc(max_matched * sizeof(*matched));
		if (!matched) {
			why = "out of memory";
			goto bad;
		}
	}
	json_array_foreach(topics, i, t)
	{
		json_t *m = json_object_get(t, "matched"), *score = json_object_get(t, "score");
		size_t n = json_array_size(m);

		for (j = 0; j < n; j++)
			matched[j] = json_string_value(json_array_get(m, j));
		if (ex->host->annotate_topic(call, json_string_value(json_object_get(t, "name")),
					     score ? json_number_value(score) : 1.0, matched,
					     n) < 0)
			xlog(ex, FEEDSPOOL_LOG_WARNING, "could not add a topic");
	}
	json_array_foreach(tags, i, x)
	{
		if (ex->host->annotate_tag(call, json_string_value(x)) < 0)
			xlog(ex, FEEDSPOOL_LOG_WARNING, "could not add a tag");
	}
	free(matched);
	json_decref(o);
	return verdict;
bad:
	if (noisy_ok(ex))
		xlog(ex, FEEDSPOOL_LOG_WARNING, "invalid answer from the co-process (%s): %s", why,
		     snippet(snip, line, len));
	json_decref(o);
	return FEEDSPOOL_ERROR;
}

/* The queue of calls in flight */

static void queue_push(struct exec *ex, struct feedspool_call *call)
{
	struct pending *p = &ex->q[(ex->q_head + ex->q_len++) % ex->max_queue];

	p->call = call;
	p->deadline = uv_now(ex->loop) + ex->timeout_ms;
}

static struct pending queue_pop(struct exec *ex)
{
	struct pending p = ex->q[ex->q_head];

	ex->q_head = (ex->q_head + 1) % ex->max_queue;
	if (--ex->q_len == 0)
		uv_timer_stop(&ex->timeout_timer);
	if (ex->q_len <= ex->max_queue / 2)
		ex->full_logged = false;
	return p;
}

/* Answers ERROR to every call in flight, oldest first. complete() may call filter() again, which
 * finds no co-process and answers at once, or even fini(), which empties the queue. */
static void queue_fail(struct exec *ex)
{
	size_t n = ex->q_len;

	if (n)
		xlog(ex, FEEDSPOOL_LOG_WARNING, "%zu article%s in flight answered ERROR", n,
		     n == 1 ? "" : "s");
	while (ex->q_len && !ex->finalized) {
		struct pending p = queue_pop(ex);

		ex->host->complete(p.call, FEEDSPOOL_ERROR);
	}
}

/* The co-process's stdout */

static void child_line(struct child *c, const char *line, size_t len)
{
	struct exec *ex = c->ex;
	struct pending p;

	if (len && line[len - 1] == '\r')
		len--;
	if (!ex->q_len) {
		char snip[SNIPPET_MAX + 4];

		xlog(ex, FEEDSPOOL_LOG_WARNING, "the co-process wrote a line nobody asked for: %s",
		     snippet(snip, line, len));
		child_lost(ex, c, "its answers are out of step");
		return;
	}
	p = queue_pop(ex);
	ex->host->complete(p.call, answer_apply(ex, p.call, line, len));
}

/* Handles the complete lines in c->rbuf and keeps the partial one. */
static void child_scan(struct child *c)
{
	struct exec *ex = c->ex;
	struct buf *b = &c->rbuf;
	bool overlong = false;
	size_t off = 0;
	char *nl;

	while ((nl = memchr(b->data + c->rscanned, '\n', b->len - c->rscanned))) {
		const char *line = b->data + off;
		size_t len = (size_t)(nl - line);

		off = c->rscanned = (size_t)(nl - b->data) + 1;
		if (len > ex->max_line) {
			overlong = true;
			break;
		}
		child_line(c, line, len);
		if (ex->finalized || ex->child != c)
			return;
	}
	if (overlong || b->len - off > ex->max_line) {
		xlog(ex, FEEDSPOOL_LOG_WARNING,
		     "the co-process wrote a line longer than max_line (%zu)", ex->max_line);
		child_lost(ex, c, "its answers cannot be resynchronised");
		return;
	}
	memmove(b->data, b->data + off, b->len - off);
	b->len -= off;
	c->rscanned = b->len;
}

static void on_out_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct child *c = h->data;

	if (buf_reserve(&c->rbuf, READ_SPACE) < 0) {
		*buf = uv_buf_init(NULL, 0);
		return;
	}
	*buf = uv_buf_init(c->rbuf.data + c->rbuf.len, (unsigned)(c->rbuf.cap - c->rbuf.len));
}

static void on_out_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct child *c = s->data;
	struct exec *ex = c->ex;

	if (nread > 0) {
		c->rbuf.len += (size_t)nread;
		child_scan(c);
		return;
	}
	if (nread == 0 || ex->child != c)
		return;
	if (nread != UV_EOF)
		xlog(ex, FEEDSPOOL_LOG_WARNING, "reading from the co-process: %s",
		     uv_strerror((int)nread));
	else if (c->rbuf.len)
		child_line(c, c->rbuf.data, c->rbuf.len);
	if (ex->child == c)
		child_lost(ex, c, "it closed its standard output");
}

/* The co-process's stderr, to the log line by line */

static void child_err_flush(struct child *c, bool partial)
{
	struct exec *ex = c->ex;
	struct buf *b = &c->ebuf;
	size_t off = 0;
	char *nl;

	while ((nl = memchr(b->data + off, '\n', b->len - off))) {
		size_t len = (size_t)(nl - b->data) - off;

		if (len && b->data[off + len - 1] == '\r')
			len--;
		if (noisy_ok(ex))
			xlog(ex, FEEDSPOOL_LOG_WARNING, "stderr: %.*s", (int)len, b->data + off);
		off = (size_t)(nl - b->data) + 1;
	}
	if (b->len - off && (partial || b->len - off >= ERR_LINE_MAX)) {
		if (noisy_ok(ex))
			xlog(ex, FEEDSPOOL_LOG_WARNING, "stderr: %.*s", (int)(b->len - off),
			     b->data + off);
		off = b->len;
	}
	memmove(b->data, b->data + off, b->len - off);
	b->len -= off;
}

static void on_err_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct child *c = h->data;

	if (buf_reserve(&c->ebuf, ERR_LINE_MAX) < 0) {
		*buf = uv_buf_init(NULL, 0);
		return;
	}
	*buf = uv_buf_init(c->ebuf.data + c->ebuf.len, ERR_LINE_MAX - (unsigned)c->ebuf.len);
}

static void on_child_closed(uv_handle_t *h);

static void child_close_handle(struct child *c, uv_handle_t *h)
{
	if (!uv_is_closing(h))
		uv_close(h, on_child_closed);
}

static void on_err_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct child *c = s->data;

	if (nread > 0) {
		c->ebuf.len += (size_t)nread;
		child_err_flush(c, false);
	} else if (nread < 0) {
		child_err_flush(c, true);
		child_close_handle(c, (uv_handle_t *)&c->err);
	}
}

/* Reads what an exited child left in a pipe without waiting: a grandchild may hold it open. */
static void child_drain(struct child *c, uv_pipe_t *p, struct buf *b, size_t space)
{
	uv_os_fd_t fd;
	ssize_t n;
	int fl;

	if (uv_is_closing((uv_handle_t *)p) || uv_fileno((uv_handle_t *)p, &fd) < 0)
		return;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || (!(fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0))
		return;
	for (;;) {
		if (buf_reserve(b, space) < 0)
			return;
		n = read(fd, b->data + b->len, p == &c->err ? ERR_LINE_MAX - b->len : space);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		b->len += (size_t)n;
		if (p == &c->err) {
			child_err_flush(c, false);
		} else {
			child_scan(c);
			if (c->ex->finalized || c->ex->child != c)
				return;
		}
	}
	if (p == &c->err)
		child_err_flush(c, true);
	else if (b->len)
		child_line(c, b->data, b->len);
}

/* Writing articles */

static void on_written(uv_write_t *req, int status)
{
	struct child *c = req->data;
	struct exec *ex = c->ex;

	c->writing = false;
	c->wbusy.len = 0;
	if (c->wbusy.cap > WBUF_KEEP)
		buf_free(&c->wbusy);
	if (ex->child != c)
		return;
	if (status < 0) {
		xlog(ex, FEEDSPOOL_LOG_WARNING, "writing to the co-process: %s",
		     uv_strerror(status));
		child_lost(ex, c, "it stopped reading");
		return;
	}
	if (c->wnext.len)
		child_write(c);
}

/* Writes every line waiting, in one write. */
static void child_write(struct child *c)
{
	struct buf t = c->wbusy;
	uv_buf_t b;
	int r;

	c->wbusy = c->wnext;
	c->wnext = t;
	b = uv_buf_init(c->wbusy.data, (unsigned)c->wbusy.len);
	r = uv_write(&c->wreq, (uv_stream_t *)&c->in, &b, 1, on_written);
	if (r < 0) {
		xlog(c->ex, FEEDSPOOL_LOG_WARNING, "writing to the co-process: %s", uv_strerror(r));
		c->wbusy.len = 0;
		child_lost(c->ex, c, "it cannot be written to");
		return;
	}
	c->writing = true;
}

/* Lines written by filter() during one loop iteration go out together. */
static void on_flush(uv_idle_t *h)
{
	struct exec *ex = h->data;
	struct child *c = ex->child;

	uv_idle_stop(h);
	if (c && !c->writing && c->wnext.len)
		child_write(c);
}

/* The co-process's life */

static void exec_free(struct exec *ex)
{
	free(ex->argv);
	free(ex->path);
	free(ex->cwd);
	free(ex->command);
	free(ex->q);
	free(ex);
}

static void exec_maybe_free(struct exec *ex)
{
	if (ex->finalized && !ex->handles && !ex->children)
		exec_free(ex);
}

static void on_child_closed(uv_handle_t *h)
{
	struct child *c = h->data, **pp;
	struct exec *ex = c->ex;

	if (--c->handles)
		return;
	for (pp = &ex->children; *pp != c; pp = &(*pp)->next)
		;
	*pp = c->next;
	buf_free(&c->wnext);
	buf_free(&c->wbusy);
	buf_free(&c->rbuf);
	buf_free(&c->ebuf);
	free(c);
	exec_maybe_free(ex);
}

static void child_signal(struct child *c, int signo)
{
	if (!c->exited)
		uv_process_kill(&c->proc, signo);
}

/* Escalates: SIGTERM, then SIGKILL, each after GRACE_MS. */
static void on_kill_timer(uv_timer_t *t)
{
	struct child *c = t->data;

	if (c->exited || c->signals >= 2)
		return;
	c->signals++;
	child_signal(c, c->signals == 1 ? SIGTERM : SIGKILL);
	if (c->signals == 1)
		uv_timer_start(t, on_kill_timer, GRACE_MS, 0);
}

/* Stops talking to a child: closes its stdin and stdout and makes sure it ends, now (signal)
 * or after a grace period for an orderly shutdown. Its handles close once it is reaped. */
static void child_stop(struct child *c, bool now)
{
	child_close_handle(c, (uv_handle_t *)&c->in);
	child_close_handle(c, (uv_handle_t *)&c->out);
	if (c->exited)
		return;
	/* it has to be reaped before the host may stop the loop */
	uv_ref((uv_handle_t *)&c->proc);
	if (now) {
		c->signals = 1;
		child_signal(c, SIGTERM);
	}
	if (!uv_is_closing((uv_handle_t *)&c->kill_timer))
		uv_timer_start(&c->kill_timer, on_kill_timer, GRACE_MS, 0);
}

static void on_restart(uv_timer_t *t);

/* The current child can no longer answer: fail what is in flight and start another later. */
static void child_lost(struct exec *ex, struct child *c, const char *why)
{
	uint64_t delay, uptime = uv_now(ex->loop) - c->started;

	ex->child = NULL;
	child_stop(c, true);
	if (uptime >= BACKOFF_CAP_MS)
		ex->backoff_ms = ex->backoff_initial_ms;
	delay = ex->backoff_ms;
	ex->backoff_ms = delay * 2 < BACKOFF_CAP_MS ? delay * 2 : BACKOFF_CAP_MS;
	xlog(ex, FEEDSPOOL_LOG_WARNING, "co-process pid %d lost (%s); restarting in %llu ms",
	     c->pid, why, (unsigned long long)delay);
	queue_fail(ex);
	if (ex->finalized)
		return;
	uv_timer_start(&ex->restart_timer, on_restart, delay, 0);
}

static void on_child_exit(uv_process_t *p, int64_t status, int signo)
{
	struct child *c = p->data;
	struct exec *ex = c->ex;
	char how[64];

	c->exited = true;
	if (signo)
		snprintf(how, sizeof(how), "killed by signal %d", signo);
	else
		snprintf(how, sizeof(how), "exited with status %lld", (long long)status);
	if (!ex->finalized)
		child_drain(c, &c->err, &c->ebuf, ERR_LINE_MAX);
	if (ex->child == c) {
		/* what it answered before dying is in the pipe: take it */
		child_drain(c, &c->out, &c->rbuf, READ_SPACE);
		if (ex->child == c)
			child_lost(ex, c, how);
	} else {
		xlog(ex, FEEDSPOOL_LOG_INFO, "co-process pid %d %s", c->pid, how);
	}
	child_close_handle(c, (uv_handle_t *)&c->in);
	child_close_handle(c, (uv_handle_t *)&c->out);
	child_close_handle(c, (uv_handle_t *)&c->err);
	child_close_handle(c, (uv_handle_t *)&c->kill_timer);
	child_close_handle(c, (uv_handle_t *)&c->proc);
}

/* Spawns a co-process; NULL (logged) on failure. */
static struct child *child_start(struct exec *ex)
{
	uv_stdio_container_t stdio[3];
	uv_process_options_t opt;
	struct child *c;
	int r;

	c = calloc(1, sizeof(*c));
	if (!c) {
		xlog(ex, FEEDSPOOL_LOG_ERR, "starting %s: out of memory", ex->path);
		return NULL;
	}
	c->ex = ex;
	c->next = ex->children;
	ex->children = c;
	uv_pipe_init(ex->loop, &c->in, 0);
	uv_pipe_init(ex->loop, &c->out, 0);
	uv_pipe_init(ex->loop, &c->err, 0);
	uv_timer_init(ex->loop, &c->kill_timer);
	c->handles = 4;
	c->in.data = c->out.data = c->err.data = c->kill_timer.data = c;
	c->wreq.data = c;

	memset(&opt, 0, sizeof(opt));
	opt.file = ex->path;
	opt.args = ex->argv;
	opt.cwd = ex->cwd;
	opt.exit_cb = on_child_exit;
	stdio[0].flags = UV_CREATE_PIPE | UV_READABLE_PIPE;
	stdio[0].data.stream = (uv_stream_t *)&c->in;
	stdio[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
	stdio[1].data.stream = (uv_stream_t *)&c->out;
	stdio[2].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
	stdio[2].data.stream = (uv_stream_t *)&c->err;
	opt.stdio = stdio;
	opt.stdio_count = 3;
	r = uv_spawn(ex->loop, &c->proc, &opt);
	c->handles++; /* the process handle is initialized even when the spawn fails */
	c->proc.data = c;
	if (r < 0) {
		xlog(ex, FEEDSPOOL_LOG_ERR, "starting %s: %s", ex->path, uv_strerror(r));
		goto fail;
	}
	c->pid = c->proc.pid;
	c->started = uv_now(ex->loop);
	r = uv_read_start((uv_stream_t *)&c->out, on_out_alloc, on_out_read);
	if (r == 0)
		r = uv_read_start((uv_stream_t *)&c->err, on_err_alloc, on_err_read);
	if (r < 0) {
		xlog(ex, FEEDSPOOL_LOG_ERR, "reading from %s: %s", ex->path, uv_strerror(r));
		child_stop(c, true);
		return NULL;
	}
	/* an idle co-process does not keep the loop alive; calls in flight do (their timer) */
	uv_unref((uv_handle_t *)&c->proc);
	uv_unref((uv_handle_t *)&c->out);
	uv_unref((uv_handle_t *)&c->err);
	xlog(ex, FEEDSPOOL_LOG_INFO, "started co-process %s (pid %d)", ex->command, c->pid);
	return c;
fail:
	child_close_handle(c, (uv_handle_t *)&c->in);
	child_close_handle(c, (uv_handle_t *)&c->out);
	child_close_handle(c, (uv_handle_t *)&c->err);
	child_close_handle(c, (uv_handle_t *)&c->kill_timer);
	child_close_handle(c, (uv_handle_t *)&c->proc);
	return NULL;
}

static void on_restart(uv_timer_t *t)
{
	struct exec *ex = t->data;

	ex->child = child_start(ex);
	if (ex->child) {
		ex->down_logged = false;
		return;
	}
	xlog(ex, FEEDSPOOL_LOG_WARNING, "retrying in %llu ms", (unsigned long long)ex->backoff_ms);
	uv_timer_start(t, on_restart, ex->backoff_ms, 0);
	ex->backoff_ms = ex->backoff_ms * 2 < BACKOFF_CAP_MS ? ex->backoff_ms * 2 : BACKOFF_CAP_MS;
}

/* The oldest call's deadline: the timer is rearmed lazily, not on every answer. */
static void on_timeout(uv_timer_t *t)
{
	struct exec *ex = t->data;
	uint64_t now = uv_now(ex->loop), deadline;

	if (!ex->q_len || !ex->child)
		return;
	deadline = ex->q[ex->q_head].deadline;
	if (deadline > now) {
		uv_timer_start(t, on_timeout, deadline - now, 0);
		return;
	}
	xlog(ex, FEEDSPOOL_LOG_WARNING, "no answer within %llu ms",
	     (unsigned long long)ex->timeout_ms);
	child_lost(ex, ex->child, "timed out");
}

/* The plugin */

static void on_exec_closed(uv_handle_t *h)
{
	struct exec *ex = h->data;

	ex->handles--;
	exec_maybe_free(ex);
}

/* Closes the instance's own handles; it is freed when they and every child are closed. */
static void exec_close(struct exec *ex)
{
	ex->finalized = true;
	uv_close((uv_handle_t *)&ex->timeout_timer, on_exec_closed);
	uv_close((uv_handle_t *)&ex->restart_timer, on_exec_closed);
	uv_close((uv_handle_t *)&ex->flush_idle, on_exec_closed);
}

static int exec_options(struct exec *ex, const struct feedspool_option *opt, size_t n)
{
	const struct feedspool_host *host = ex->host;
	const char *command = NULL, *err;
	uint64_t v;
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		const char *k = opt[i].key, *val = opt[i].value ? opt[i].value : "";

		if (!strcmp(k, "command")) {
			command = val;
			continue;
		}
		if (!strcmp(k, "timeout") || !strcmp(k, "restart_backoff")) {
			bool backoff = k[0] == 'r';

			r = parse_duration(val, &v);
			if (r < 0 || v == 0 || (backoff && v > BACKOFF_CAP_MS)) {
				host->log(host, FEEDSPOOL_LOG_ERR,
					  "%s = %s: expected a duration like 5s or 250ms%s", k, val,
					  backoff ? ", at most 60s" : "");
				return -EINVAL;
			}
			if (backoff)
				ex->backoff_initial_ms = v;
			else
				ex->timeout_ms = v;
			continue;
		}
		if (!strcmp(k, "max_line")) {
			r = parse_size(val, &v);
			if (r < 0 || v < 64 || v > (1u << 30)) {
				host->log(host, FEEDSPOOL_LOG_ERR,
					  "max_line = %s: expected a size from 64 to 1G, like 1M",
					  val);
				return -EINVAL;
			}
			ex->max_line = (size_t)v;
			continue;
		}
		if (!strcmp(k, "max_queue")) {
			r = parse_size(val, &v);
			if (r < 0 || v < 1 || v > 1000000) {
				host->log(host, FEEDSPOOL_LOG_ERR,
					  "max_queue = %s: expected a count from 1 to 1000000",
					  val);
				return -EINVAL;
			}
			ex->max_queue = (size_t)v;
			continue;
		}
		host->log(host, FEEDSPOOL_LOG_ERR,
			  "unknown option %s (known: command, timeout, restart_backoff, max_line, "
			  "max_queue)",
			  k);
		return -EINVAL;
	}
	if (!command) {
		host->log(host, FEEDSPOOL_LOG_ERR, "missing option: command = PROGRAM ARGS...");
		return -EINVAL;
	}
	ex->argv = split_command(command, &err);
	if (!ex->argv) {
		host->log(host, FEEDSPOOL_LOG_ERR, "command = %s: %s", command, err);
		return -EINVAL;
	}
	ex->command = strdup(command);
	if (!ex->command)
		return -ENOMEM;
	return resolve_program(host, ex->argv[0], &ex->path);
}

static int exec_init(const struct feedspool_host *host, const struct feedspool_option *options,
		     size_t n_options, void **state)
{
	struct sigaction sa;
	struct exec *ex;
	int r;

	if (!HAS(host, struct feedspool_host, loop) || !host->loop) {
		host->log(host, FEEDSPOOL_LOG_ERR, "the host offers no event loop");
		return -ENOTSUP;
	}
	if (host->abi_minor < 1 || !HAS(host, struct feedspool_host, article_json) ||
	    !host->article_json) {
		host->log(host, FEEDSPOOL_LOG_ERR,
			  "the host offers no article_json() (plugin ABI 1.1): this feedspool is "
			  "older than the exec plugin");
		return -ENOTSUP;
	}
	ex = calloc(1, sizeof(*ex));
	if (!ex)
		return -ENOMEM;
	ex->host = host;
	ex->loop = host->loop;
	ex->timeout_ms = 5000;
	ex->backoff_initial_ms = 1000;
	ex->max_line = 1u << 20;
	ex->max_queue = 1000;
	r = exec_options(ex, options, n_options);
	if (r < 0)
		goto fail;
	ex->backoff_ms = ex->backoff_initial_ms;
	r = -ENOMEM;
	if (host->config_dir && *host->config_dir && !(ex->cwd = strdup(host->config_dir)))
		goto fail;
	ex->q = calloc(ex->max_queue, sizeof(*ex->q));
	if (!ex->q)
		goto fail;
	/* a write to a co-process that died must be an error, not the end of the daemon */
	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) {
		signal(SIGPIPE, SIG_IGN);
		host->log(host, FEEDSPOOL_LOG_DEBUG, "SIGPIPE is now ignored");
	}

	uv_timer_init(ex->loop, &ex->timeout_timer);
	uv_timer_init(ex->loop, &ex->restart_timer);
	uv_idle_init(ex->loop, &ex->flush_idle);
	ex->timeout_timer.data = ex->restart_timer.data = ex->flush_idle.data = ex;
	ex->handles = 3;
	uv_unref((uv_handle_t *)&ex->restart_timer);
	ex->child = child_start(ex);
	if (!ex->child) {
		/* freed by the close callbacks, when the host runs the loop */
		exec_close(ex);
		return -ECHILD;
	}
	*state = ex;
	return 0;
fail:
	exec_free(ex);
	return r;
}

static enum feedspool_verdict exec_filter(void *state, const struct feedspool_article *article,
					  struct feedspool_call *call)
{
	struct exec *ex = state;
	struct child *c = ex->child;

	if (!c) {
		if (!ex->down_logged)
			xlog(ex, FEEDSPOOL_LOG_WARNING,
			     "the co-process is down: answering ERROR until it restarts");
		ex->down_logged = true;
		return FEEDSPOOL_ERROR;
	}
	if (ex->q_len == ex->max_queue || c->wnext.len >= WBUF_MAX) {
		if (!ex->full_logged)
			xlog(ex, FEEDSPOOL_LOG_WARNING,
			     "%zu articles in flight (max_queue %zu), %zu bytes waiting to be "
			     "written: answering ERROR",
			     ex->q_len, ex->max_queue, c->wnext.len);
		ex->full_logged = true;
		return FEEDSPOOL_ERROR;
	}
	(void)article;
	if (article_write(ex, &c->wnext, call) < 0) {
		xlog(ex, FEEDSPOOL_LOG_ERR, "cannot write the article to the co-process");
		return FEEDSPOOL_ERROR;
	}
	queue_push(ex, call);
	if (!uv_is_active((uv_handle_t *)&ex->timeout_timer))
		uv_timer_start(&ex->timeout_timer, on_timeout, ex->timeout_ms, 0);
	if (!c->writing && !uv_is_active((uv_handle_t *)&ex->flush_idle))
		uv_idle_start(&ex->flush_idle, on_flush);
	return FEEDSPOOL_PENDING;
}

static void exec_fini(void *state)
{
	struct exec *ex = state;
	struct child *c;

	if (!ex)
		return;
	exec_close(ex); /* sets finalized: nothing logs or completes from now on */
	ex->q_len = 0;	/* calls in flight are abandoned */
	ex->child = NULL;
	for (c = ex->children; c; c = c->next) {
		/* a current child gets stdin EOF and a grace period; the others are already
		 * being killed */
		child_stop(c, false);
		child_close_handle(c, (uv_handle_t *)&c->err);
	}
}

FEEDSPOOL_PLUGIN("exec", "1.0", "judges articles through a co-process speaking JSON lines",
		 exec_init, exec_filter, exec_fini);
