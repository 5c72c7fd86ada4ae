/* SPDX-License-Identifier: MIT */
/* One PostgreSQL connection on the libuv loop (pg_conn.h): connect, a FIFO of queries, reconnect. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pg_conn.h"

#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 30000

struct pg_query {
	struct pg_query *next;
	char *sql;
	int nparams;
	char **params;
	pg_result_fn fn;
	void *ud;
	unsigned *pin; /* a transaction's session (pg_conn_query_pinned), or NULL */
};

/* The poll handle follows the socket, which changes on every connection attempt: one handle per
 * socket, freed in its close callback. */
struct pg_poll {
	uv_poll_t h;
	struct pg_conn *c;
	int fd;
};

enum pg_state { PG_DOWN, PG_CONNECTING, PG_UP };

struct pg_conn {
	uv_loop_t *loop;
	char *uri;
	PGconn *pg;
	struct pg_poll *poll;
	uv_timer_t retry;   /* the next connection attempt */
	uv_timer_t failing; /* fails queries queued while the server is away, from the loop */
	enum pg_state st;
	int sent;           /* the head query was sent and its results are being read */
	PGresult *res;      /* the head query's result so far */
	struct pg_query *head, *tail;
	unsigned pending;
	unsigned backoff_ms;
	unsigned session;   /* counts connections made: a transaction lives in one */
	char sqlstate[6];   /* of the answer being given (pg_conn_sqlstate) */
	int reported_down;
	int closing, open_handles;
	int weak; /* pg_conn_weak: handles hold the loop only while queries are pending */
	pg_state_fn on_state;
	void *ud;
	char *channel; /* pg_conn_listen's, or NULL */
	pg_notify_fn notify;
	void *notify_ud;
};

static void start_connect(struct pg_conn *c);
static void send_next(struct pg_conn *c);
static int enqueue(struct pg_conn *c, unsigned *pin, const char *sql, int nparams,
		   const char *const *params, pg_result_fn fn, void *ud, int first);

/* A weak connection's handles count for the loop only while a query is pending. */
static void hold_loop(struct pg_conn *c)
{
	void (*set)(uv_handle_t *) = !c->weak || c->pending ? uv_ref : uv_unref;

	if (c->closing)
		return;
	if (c->poll)
		set((uv_handle_t *)&c->poll->h);
	set((uv_handle_t *)&c->retry);
	set((uv_handle_t *)&c->failing);
}

static void on_retry(uv_timer_t *t)
{
	start_connect(t->data);
}

static void on_send(uv_timer_t *t)
{
	send_next(t->data);
}

static void query_free(struct pg_query *q)
{
	for (int i = 0; i < q->nparams; i++)
		free(q->params[i]);
	free(q->params);
	free(q->sql);
	free(q);
}

/* Takes the head query off the queue and answers it. */
static void finish_head(struct pg_conn *c, const PGresult *res, const char *err)
{
	struct pg_query *q = c->head;

	c->head = q->next;
	if (!c->head)
		c->tail = NULL;
	c->pending--;
	c->sent = 0;
	hold_loop(c);
	if (res)
		memcpy(c->sqlstate, "00000", 6);
	q->fn(q->ud, res, err);
	query_free(q);
}

static void fail_all(struct pg_conn *c, const char *why)
{
	if (c->res) {
		PQclear(c->res);
		c->res = NULL;
	}
	while (c->head) {
		memcpy(c->sqlstate, "08006", 6); /* connection_failure */
		finish_head(c, NULL, why);
	}
}

static void on_poll_closed(uv_handle_t *h)
{
	struct pg_poll *p = h->data;
	struct pg_conn *c = p->c;

	free(p);
	if (--c->open_handles == 0 && c->closing) {
		free(c->channel);
		free(c->uri);
		free(c);
	}
}

static void on_timer_closed(uv_handle_t *h)
{
	struct pg_conn *c = h->data;

	if (--c->open_handles == 0 && c->closing) {
		free(c->channel);
		free(c->uri);
		free(c);
	}
}

/* LISTEN's answer: a failure is the connection's (reported as such) or a bug. */
static void on_listening(void *ud, const PGresult *res, const char *err)
{
	(void)ud;
	(void)res;
	(void)err;
}

/* Queues LISTEN before anything else (a new connection listens first). */
static int listen_first(struct pg_conn *c)
{
	char sql[96];

	snprintf(sql, sizeof sql, "LISTEN %s", c->channel);
	return enqueue(c, NULL, sql, 0, NULL, on_listening, c, 1);
}

/* Hands the notifications that arrived to the listener. */
static void deliver_notifies(struct pg_conn *c)
{
	PGnotify *n;

	while (c->pg && (n = PQnotifies(c->pg))) {
		if (c->notify && c->channel && !strcmp(n->relname, c->channel))
			c->notify(c->notify_ud, n->extra ? n->extra : "");
		PQfreemem(n);
	}
}

static void drop_poll(struct pg_conn *c)
{
	if (!c->poll)
		return;
	uv_poll_stop(&c->poll->h);
	uv_close((uv_handle_t *)&c->poll->h, on_poll_closed);
	c->poll = NULL;
}

static void on_poll(uv_poll_t *h, int status, int events);

/* Watches the current socket for events, making a new handle when the socket changed. */
static int watch(struct pg_conn *c, int events)
{
	int fd = PQsocket(c->pg);

	if (fd < 0)
		return -EBADF;
	if (c->poll && c->poll->fd != fd)
		drop_poll(c);
	if (!c->poll) {
		struct pg_poll *p = calloc(1, sizeof *p);

		if (!p)
			return -ENOMEM;
		if (uv_poll_init_socket(c->loop, &p->h, fd) < 0) {
			free(p);
			return -EIO;
		}
		p->c = c;
		p->fd = fd;
		p->h.data = p;
		c->poll = p;
		c->open_handles++;
		hold_loop(c);
	}
	return uv_poll_start(&c->poll->h, events, on_poll) < 0 ? -EIO : 0;
}

/* The server went away (or never came): fail what is queued, report once, try again later. */
static void lost(struct pg_conn *c, const char *why)
{
	char msg[512];

	if (c->pg && c->st == PG_CONNECTING) /* name the server: libpq may not */
		snprintf(msg, sizeof msg, "database %s:%s: %s", PQhost(c->pg) ? PQhost(c->pg) : "?",
			 PQport(c->pg) ? PQport(c->pg) : "?", why && *why ? why : "cannot connect");
	else
		snprintf(msg, sizeof msg, "%s", why && *why ? why : "connection lost");
	msg[strcspn(msg, "\n")] = '\0';
	drop_poll(c);
	if (c->pg) {
		PQfinish(c->pg);
		c->pg = NULL;
	}
	c->st = PG_DOWN;
	fail_all(c, msg);
	if (!c->reported_down && c->on_state) {
		c->reported_down = 1;
		c->on_state(c->ud, 0, msg);
	}
	if (c->closing)
		return;
	uv_timer_start(&c->retry, on_retry, c->backoff_ms, 0);
	c->backoff_ms = c->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : c->backoff_ms * 2;
}

static void connect_step(struct pg_conn *c)
{
	/* libpq may close the socket and open another (next address) with the same number */
	drop_poll(c);
	switch (PQconnectPoll(c->pg)) {
	case PGRES_POLLING_READING:
		if (watch(c, UV_READABLE) < 0)
			lost(c, "cannot watch the database socket");
		return;
	case PGRES_POLLING_WRITING:
		if (watch(c, UV_WRITABLE) < 0)
			lost(c, "cannot watch the database socket");
		return;
	case PGRES_POLLING_OK:
		c->st = PG_UP;
		c->session++;
		c->backoff_ms = BACKOFF_MIN_MS;
		if (c->channel && listen_first(c) < 0) {
			lost(c, "out of memory");
			return;
		}
		if (watch(c, UV_READABLE) < 0) {
			lost(c, "cannot watch the database socket");
			return;
		}
		if (c->on_state) {
			c->reported_down = 0;
			c->on_state(c->ud, 1, NULL);
		}
		send_next(c);
		return;
	default:
		lost(c, PQerrorMessage(c->pg));
	}
}

/* Reads what arrived; answers the head query once its last result is in. */
static void read_results(struct pg_conn *c)
{
	if (!PQconsumeInput(c->pg)) {
		lost(c, PQerrorMessage(c->pg));
		return;
	}
	deliver_notifies(c);
	if (c->st != PG_UP)
		return; /* a listener freed or broke the connection */
	while (c->sent && !PQisBusy(c->pg)) {
		PGresult *r = PQgetResult(c->pg);

		if (r) { /* several statements: the last result answers */
			if (c->res)
				PQclear(c->res);
			c->res = r;
			continue;
		}
		r = c->res;
		c->res = NULL;
		if (!r) {
			memcpy(c->sqlstate, "XX000", 6);
			finish_head(c, NULL, "no result");
		} else if (PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK) {
			finish_head(c, r, NULL);
		} else {
			const char *code = PQresultErrorField(r, PG_DIAG_SQLSTATE);

			snprintf(c->sqlstate, sizeof c->sqlstate, "%s", code ? code : "XX000");
			finish_head(c, NULL, PQresultErrorMessage(r));
		}
		if (r)
			PQclear(r);
		if (c->st != PG_UP)
			return; /* a callback freed or broke the connection */
		deliver_notifies(c);
		send_next(c);
	}
	if (PQstatus(c->pg) == CONNECTION_BAD)
		lost(c, PQerrorMessage(c->pg));
}

static void on_poll(uv_poll_t *h, int status, int events)
{
	struct pg_conn *c = ((struct pg_poll *)h->data)->c;

	if (c->closing)
		return;
	if (c->st == PG_CONNECTING) {
		connect_step(c);
		return;
	}
	if (status < 0) {
		lost(c, uv_strerror(status));
		return;
	}
	if ((events & UV_WRITABLE) && PQflush(c->pg) == 0 && watch(c, UV_READABLE) < 0) {
		lost(c, "cannot watch the database socket");
		return;
	}
	if (events & UV_READABLE)
		read_results(c);
}

static void send_next(struct pg_conn *c)
{
	struct pg_query *q;
	int f;

	while (c->st == PG_UP && !c->sent && (q = c->head)) {
		if (q->pin && !*q->pin) {
			*q->pin = c->session;
		} else if (q->pin && *q->pin != c->session) {
			/* its transaction died with an earlier connection */
			memcpy(c->sqlstate, "08006", 6);
			finish_head(c, NULL, "the connection was lost during the transaction");
			continue;
		}
		if (!PQsendQueryParams(c->pg, q->sql, q->nparams, NULL, (const char *const *)q->params,
				       NULL, NULL, 0)) {
			if (PQstatus(c->pg) == CONNECTION_BAD) {
				lost(c, PQerrorMessage(c->pg));
				return;
			}
			memcpy(c->sqlstate, "XX000", 6);
			finish_head(c, NULL, PQerrorMessage(c->pg)); /* this query only */
			continue;
		}
		c->sent = 1;
		f = PQflush(c->pg);
		if (f < 0 || watch(c, f ? UV_READABLE | UV_WRITABLE : UV_READABLE) < 0)
			lost(c, PQerrorMessage(c->pg));
	}
}

static void start_connect(struct pg_conn *c)
{
	c->pg = PQconnectStart(c->uri);
	if (!c->pg || PQstatus(c->pg) == CONNECTION_BAD) {
		lost(c, c->pg ? PQerrorMessage(c->pg) : "out of memory");
		return;
	}
	PQsetnonblocking(c->pg, 1);
	c->st = PG_CONNECTING;
	if (watch(c, UV_WRITABLE) < 0)
		lost(c, "cannot watch the database socket");
}

static void on_failing(uv_timer_t *t)
{
	struct pg_conn *c = t->data;

	if (c->st == PG_DOWN)
		fail_all(c, "the database is away (reconnecting)");
}

struct pg_conn *pg_conn_new(uv_loop_t *loop, const char *uri, pg_state_fn on_state, void *ud)
{
	struct pg_conn *c = calloc(1, sizeof *c);

	if (!c || !(c->uri = strdup(uri))) {
		free(c);
		return NULL;
	}
	c->loop = loop;
	c->on_state = on_state;
	c->ud = ud;
	c->backoff_ms = BACKOFF_MIN_MS;
	c->st = PG_CONNECTING; /* queries wait for the first attempt */
	uv_timer_init(loop, &c->retry);
	uv_timer_init(loop, &c->failing);
	c->retry.data = c->failing.data = c;
	c->open_handles = 2;
	uv_timer_start(&c->retry, on_retry, 0, 0);
	return c;
}

int pg_conn_query(struct pg_conn *c, const char *sql, int nparams, const char *const *params,
		  pg_result_fn fn, void *ud)
{
	return pg_conn_query_pinned(c, NULL, sql, nparams, params, fn, ud);
}

int pg_conn_query_first(struct pg_conn *c, const char *sql, int nparams,
			const char *const *params, pg_result_fn fn, void *ud)
{
	return enqueue(c, NULL, sql, nparams, params, fn, ud, 1);
}

int pg_conn_query_pinned(struct pg_conn *c, unsigned *pin, const char *sql, int nparams,
			 const char *const *params, pg_result_fn fn, void *ud)
{
	return enqueue(c, pin, sql, nparams, params, fn, ud, 0);
}

/* Queues a query at the tail, or at the head (first: not while one is sent). */
static int enqueue(struct pg_conn *c, unsigned *pin, const char *sql, int nparams,
		   const char *const *params, pg_result_fn fn, void *ud, int first)
{
	struct pg_query *q = calloc(1, sizeof *q);

	if (!q || !(q->sql = strdup(sql)) || !(q->params = calloc(nparams ? nparams : 1, sizeof(char *))))
		goto fail;
	for (; q->nparams < nparams; q->nparams++)
		if (params[q->nparams] && !(q->params[q->nparams] = strdup(params[q->nparams])))
			goto fail;
	q->fn = fn;
	q->ud = ud;
	q->pin = pin;
	if (first && c->sent) { /* after the query whose answer is being read */
		q->next = c->head->next;
		c->head->next = q;
		if (c->tail == c->head)
			c->tail = q;
	} else if (first) {
		q->next = c->head;
		c->head = q;
		if (!c->tail)
			c->tail = q;
	} else if (c->tail) {
		c->tail->next = q;
	} else {
		c->head = q;
	}
	if (!first)
		c->tail = q;
	c->pending++;
	hold_loop(c);
	if (c->st == PG_DOWN)
		uv_timer_start(&c->failing, on_failing, 0, 0);
	else if (c->st == PG_UP && !c->sent)
		uv_timer_start(&c->failing, on_send, 0, 0);
	return 0;
fail:
	if (q)
		query_free(q);
	return -ENOMEM;
}

int pg_conn_listen(struct pg_conn *c, const char *channel, pg_notify_fn fn, void *ud)
{
	size_t n = strlen(channel);

	if (!n || n > 63 || strspn(channel, "abcdefghijklmnopqrstuvwxyz_0123456789") != n)
		return -EINVAL;
	free(c->channel);
	if (!(c->channel = strdup(channel)))
		return -ENOMEM;
	c->notify = fn;
	c->notify_ud = ud;
	return c->st == PG_UP ? listen_first(c) : 0; /* else when it connects */
}

int pg_conn_up(const struct pg_conn *c)
{
	return c->st == PG_UP;
}

const char *pg_conn_sqlstate(const struct pg_conn *c)
{
	return c->sqlstate;
}

void pg_conn_weak(struct pg_conn *c)
{
	c->weak = 1;
	hold_loop(c);
}

unsigned pg_conn_pending(const struct pg_conn *c)
{
	return c->pending;
}

void pg_conn_free(struct pg_conn *c)
{
	if (!c)
		return;
	c->closing = 1;
	fail_all(c, "closing");
	drop_poll(c);
	if (c->pg)
		PQfinish(c->pg);
	c->pg = NULL;
	uv_close((uv_handle_t *)&c->retry, on_timer_closed);
	uv_close((uv_handle_t *)&c->failing, on_timer_closed);
}
