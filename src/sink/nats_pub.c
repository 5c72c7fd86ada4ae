/* SPDX-License-Identifier: MIT */
/* JetStream publishing from the loop, acknowledged, deduplicated by message id (nats_pub.h). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <nats/adapters/libuv.h>
#include <nats/nats.h>

#include "nats_pub.h"

/* A publish waiting for its acknowledgement (loop thread only). fail_now: refused before it was
 * sent, answered from the timer so that done never runs inside nats_pub_publish. */
struct pending {
	struct pending *next;
	char *id;
	nats_pub_done done;
	void *ud;
	uint64_t sent_ms;
	int fail_now;
};

/* What a libnats thread hands to the loop: an acknowledgement (id set) or a connection event. */
struct event {
	struct event *next;
	char *id;
	int rc, dup, up;
	char err[256];
};

struct nats_pub {
	uv_loop_t *loop;
	struct nats_pub_opts o;
	char *url, *stream, *subject, *creds, *token;
	natsOptions *nopts;
	natsConnection *nc;
	jsCtx *js;
	uv_async_t async;
	uv_timer_t timer;
	uv_work_t work;
	int working, stream_ok, closing;
	int open_handles; /* uv handles, a work request, and the connection until its closed
			   * callback: p is freed when the last is gone (guarded by lock) */
	int closed;	  /* no more events may be posted (guarded by lock) */
	char ensure_err[256];
	struct pending *pending;
	pthread_mutex_t lock; /* guards events */
	struct event *events, **events_tail;
	void (*on_state)(void *ud, int up, const char *msg);
	void *ud;
};

static void post(struct nats_pub *p, struct event *e)
{
	pthread_mutex_lock(&p->lock);
	if (p->closed) { /* the async handle is closing: libnats calls on its threads until closed */
		pthread_mutex_unlock(&p->lock);
		free(e->id);
		free(e);
		return;
	}
	*p->events_tail = e;
	p->events_tail = &e->next;
	uv_async_send(&p->async);
	pthread_mutex_unlock(&p->lock);
}

static void post_state(struct nats_pub *p, int up, const char *msg)
{
	struct event *e = calloc(1, sizeof *e);

	if (!e)
		return;
	e->up = up ? 1 : -1;
	snprintf(e->err, sizeof e->err, "%s", msg ? msg : "");
	post(p, e);
}

/* libnats thread */
static void cb_ack(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *closure)
{
	struct nats_pub *p = closure;
	struct event *e = calloc(1, sizeof *e);
	const char *id = NULL;

	if (e && natsMsgHeader_Get(msg, "Nats-Msg-Id", &id) == NATS_OK && id && (e->id = strdup(id))) {
		e->rc = pa ? 0 : -EIO;
		e->dup = pa && pa->Duplicate;
		if (!pa)
			snprintf(e->err, sizeof e->err, "%s", pae && pae->ErrText ? pae->ErrText :
				 natsStatus_GetText(pae ? pae->Err : NATS_ERR));
		post(p, e);
	} else {
		free(e);
	}
	natsMsg_Destroy(msg);
}

static void cb_disconnected(natsConnection *nc, void *closure)
{
	post_state(closure, 0, "disconnected from the NATS server");
}

static void cb_connected(natsConnection *nc, void *closure)
{
	post_state(closure, 1, NULL);
}

static void release(struct nats_pub *p);

/* The connection's last callback: it no longer holds p. */
static void cb_closed(natsConnection *nc, void *closure)
{
	release(closure);
}

static void answer(struct pending *q, int rc, int dup, const char *err)
{
	q->done(q->ud, rc, dup, err);
	free(q->id);
	free(q);
}

/* Takes the pending publish with this id off the list (NULL: timed out or unknown). */
static struct pending *take(struct nats_pub *p, const char *id)
{
	for (struct pending **pp = &p->pending; *pp; pp = &(*pp)->next)
		if (strcmp((*pp)->id, id) == 0) {
			struct pending *q = *pp;

			*pp = q->next;
			return q;
		}
	return NULL;
}

static void start_ensure(struct nats_pub *p);

/* Drops one of the things that keep p alive (handles, a work request); frees it at the last. */
static void release(struct nats_pub *p)
{
	int left;

	pthread_mutex_lock(&p->lock);
	left = --p->open_handles;
	pthread_mutex_unlock(&p->lock);
	if (left > 0)
		return;
	pthread_mutex_destroy(&p->lock);
	free(p->url);
	free(p->stream);
	free(p->subject);
	free(p->creds);
	free(p->token);
	free(p);
}

static void on_async(uv_async_t *a)
{
	struct nats_pub *p = a->data;
	struct event *e, *next;

	pthread_mutex_lock(&p->lock);
	e = p->events;
	p->events = NULL;
	p->events_tail = &p->events;
	pthread_mutex_unlock(&p->lock);
	for (; e; e = next) {
		struct pending *q;

		next = e->next;
		if (e->id && (q = take(p, e->id)))
			answer(q, e->rc, e->dup, e->rc ? e->err : NULL);
		else if (e->up == 1 && !p->stream_ok && !p->closing)
			start_ensure(p);
		else if (e->up == -1 && p->on_state && !p->closing)
			p->on_state(p->ud, 0, e->err);
		free(e->id);
		free(e);
	}
}

/* Answers refusals, and fails publishes whose acknowledgement is overdue. */
static void on_timer(uv_timer_t *t)
{
	struct nats_pub *p = t->data;
	uint64_t now = uv_now(p->loop);
	struct pending **pp = &p->pending;

	while (*pp) {
		struct pending *q = *pp;

		if (q->fail_now || now - q->sent_ms >= (uint64_t)p->o.ack_timeout_ms) {
			*pp = q->next;
			answer(q, q->fail_now ? -EAGAIN : -ETIMEDOUT, 0,
			       q->fail_now ? "the NATS stream is not reachable now"
					   : "no acknowledgement from the NATS server in time");
		} else {
			pp = &q->next;
		}
	}
	if (!p->stream_ok && !p->working && !p->closing)
		start_ensure(p);
	if (p->pending || !p->stream_ok)
		uv_timer_start(&p->timer, on_timer, p->pending ? 500 : 2000, 0);
}

/* Thread pool: a connection of its own, the stream looked up, and created when missing. */
static void work_ensure(uv_work_t *w)
{
	struct nats_pub *p = w->data;
	natsOptions *o = NULL;
	natsConnection *c = NULL;
	jsCtx *js = NULL;
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	natsStatus s;

	s = natsOptions_Create(&o);
	if (s == NATS_OK)
		s = natsOptions_SetURL(o, p->url);
	if (s == NATS_OK)
		s = natsOptions_SetTimeout(o, 2000);
	if (s == NATS_OK && p->token)
		s = natsOptions_SetToken(o, p->token);
	if (s == NATS_OK && p->creds)
		s = natsOptions_SetUserCredentialsFromFiles(o, p->creds, NULL);
	if (s == NATS_OK)
		s = natsConnection_Connect(&c, o);
	if (s == NATS_OK)
		s = natsConnection_JetStream(&js, c, NULL);
	if (s == NATS_OK && (s = js_GetStreamInfo(&si, js, p->stream, NULL, &jerr)) == NATS_NOT_FOUND) {
		jsStreamConfig cfg;
		const char *subjects[] = {p->subject};

		jsStreamConfig_Init(&cfg);
		cfg.Name = p->stream;
		cfg.Subjects = subjects;
		cfg.SubjectsLen = 1;
		cfg.Storage = js_FileStorage;
		cfg.Replicas = p->o.replicas;
		cfg.Duplicates = p->o.dup_window_s * 1000000000LL;
		s = js_AddStream(&si, js, &cfg, NULL, &jerr);
	}
	if (s != NATS_OK)
		snprintf(p->ensure_err, sizeof p->ensure_err, "NATS %s stream %s: %s", p->url,
			 p->stream, nats_GetLastError(NULL) ? nats_GetLastError(NULL) : natsStatus_GetText(s));
	else
		p->ensure_err[0] = '\0';
	jsStreamInfo_Destroy(si);
	jsCtx_Destroy(js);
	natsConnection_Destroy(c);
	natsOptions_Destroy(o);
}

static int connect_now(struct nats_pub *p, struct buf *err);

static void done_ensure(uv_work_t *w, int status)
{
	struct nats_pub *p = w->data;

	p->working = 0;
	if (p->closing) {
		release(p);
		return;
	}
	release(p); /* the work request's hold; the handles keep p */
	p->stream_ok = !p->ensure_err[0] && status == 0;
	if (p->stream_ok && !p->nc) {
		/* the server answers now: the connection on the loop, which only its first
		 * attach from the loop thread gets (libnats retrying a failed first connect on
		 * its own thread never attaches to the loop) */
		struct buf err = BUF_INIT;

		if (connect_now(p, &err) < 0) {
			snprintf(p->ensure_err, sizeof p->ensure_err, "%s", buf_cstr(&err));
			p->stream_ok = 0;
		}
		buf_fini(&err);
	}
	if (p->on_state)
		p->on_state(p->ud, p->stream_ok, p->stream_ok ? NULL : p->ensure_err);
	if (!p->stream_ok)
		uv_timer_start(&p->timer, on_timer, 2000, 0);
}

static void start_ensure(struct nats_pub *p)
{
	if (p->working)
		return;
	p->working = 1;
	pthread_mutex_lock(&p->lock);
	p->open_handles++; /* the work request holds p */
	pthread_mutex_unlock(&p->lock);
	p->work.data = p;
	if (uv_queue_work(p->loop, &p->work, work_ensure, done_ensure) < 0) {
		p->working = 0;
		release(p);
	}
}

static int connect_loop(struct nats_pub *p, struct buf *err)
{
	natsStatus s;
	int rc;

	natsLibuv_Init();
	natsLibuv_SetThreadLocalLoop(p->loop);
	s = natsOptions_Create(&p->nopts);
	if (s == NATS_OK)
		s = natsOptions_SetURL(p->nopts, p->url);
	if (s == NATS_OK)
		s = natsOptions_SetEventLoop(p->nopts, p->loop, natsLibuv_Attach, natsLibuv_Read,
					     natsLibuv_Write, natsLibuv_Detach);
	if (s == NATS_OK)
		s = natsOptions_SetMaxReconnect(p->nopts, -1); /* forever */
	if (s == NATS_OK)
		s = natsOptions_SetReconnectWait(p->nopts, 500);
	if (s == NATS_OK)
		s = natsOptions_SetTimeout(p->nopts, 2000); /* a first connect blocks the loop */
	if (s == NATS_OK)
		s = natsOptions_SetDisconnectedCB(p->nopts, cb_disconnected, p);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectedCB(p->nopts, cb_connected, p);
	if (s == NATS_OK)
		s = natsOptions_SetClosedCB(p->nopts, cb_closed, p);
	if (s == NATS_OK && p->token)
		s = natsOptions_SetToken(p->nopts, p->token);
	if (s == NATS_OK && p->creds)
		s = natsOptions_SetUserCredentialsFromFiles(p->nopts, p->creds, NULL);
	if (s != NATS_OK) {
		buf_printf(err, "NATS %s: %s", p->url,
			   nats_GetLastError(NULL) ? nats_GetLastError(NULL) : natsStatus_GetText(s));
		return -EINVAL;
	}
	if ((rc = connect_now(p, err)) == -EAGAIN) {
		buf_reset(err); /* not an error at start: tried again (start_ensure) */
		return 0;
	}
	return rc;
}

/* The connection on the loop and its JetStream context: 0; -EAGAIN when no server answers
 * (tried again once the stream check reaches one); -EINVAL with a message in err. */
static int connect_now(struct nats_pub *p, struct buf *err)
{
	natsStatus s = natsConnection_Connect(&p->nc, p->nopts);

	if (s != NATS_OK && !p->nc) {
		buf_printf(err, "NATS %s: %s", p->url,
			   nats_GetLastError(NULL) ? nats_GetLastError(NULL) : natsStatus_GetText(s));
		return -EAGAIN;
	}
	if (p->nc) { /* held until its closed callback */
		pthread_mutex_lock(&p->lock);
		p->open_handles++;
		pthread_mutex_unlock(&p->lock);
	}
	if (s == NATS_OK) {
		jsOptions jo;

		jsOptions_Init(&jo);
		jo.PublishAsync.AckHandler = cb_ack;
		jo.PublishAsync.AckHandlerClosure = p;
		jo.PublishAsync.MaxPending = p->o.max_pending;
		jo.PublishAsync.StallWait = 1; /* never wait on the loop: refuse instead */
		s = natsConnection_JetStream(&p->js, p->nc, &jo);
	}
	if (s != NATS_OK) {
		buf_printf(err, "NATS %s: %s", p->url,
			   nats_GetLastError(NULL) ? nats_GetLastError(NULL) : natsStatus_GetText(s));
		return -EINVAL;
	}
	return 0;
}

static char *dup_opt(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

struct nats_pub *nats_pub_new(uv_loop_t *loop, const struct nats_pub_opts *o,
			      void (*on_state)(void *ud, int up, const char *msg), void *ud,
			      struct buf *err)
{
	struct nats_pub *p = calloc(1, sizeof *p);

	if (!p)
		return NULL;
	p->loop = loop;
	p->o = *o;
	p->o.replicas = o->replicas > 0 ? o->replicas : 1;
	p->o.dup_window_s = o->dup_window_s > 0 ? o->dup_window_s : 120;
	p->o.ack_timeout_ms = o->ack_timeout_ms > 0 ? o->ack_timeout_ms : 10000;
	p->o.max_pending = o->max_pending > 0 ? o->max_pending : 256;
	p->url = dup_opt(o->url);
	p->stream = dup_opt(o->stream);
	p->subject = dup_opt(o->subject);
	p->creds = dup_opt(o->creds_file);
	p->token = dup_opt(o->token);
	p->on_state = on_state;
	p->ud = ud;
	pthread_mutex_init(&p->lock, NULL);
	p->events_tail = &p->events;
	uv_async_init(loop, &p->async, on_async);
	uv_timer_init(loop, &p->timer);
	p->async.data = p->timer.data = p;
	p->open_handles = 2;
	if (!p->url || !p->stream || !p->subject || connect_loop(p, err) < 0) {
		if (!err->len)
			buf_printf(err, "NATS: nats_url, nats_stream and nats_subject are needed");
		nats_pub_free(p);
		return NULL;
	}
	start_ensure(p);
	return p;
}

int nats_pub_ready(const struct nats_pub *p)
{
	return p->stream_ok && p->js && natsConnection_Status(p->nc) == NATS_CONN_STATUS_CONNECTED;
}

int nats_pub_publish(struct nats_pub *p, const char *msg_id, const char *data, size_t len,
		     nats_pub_done done, void *ud)
{
	struct pending *q = calloc(1, sizeof *q);
	natsMsg *m = NULL;
	jsPubOptions po;

	if (!q || !(q->id = strdup(msg_id))) {
		free(q);
		return -ENOMEM;
	}
	q->done = done;
	q->ud = ud;
	q->sent_ms = uv_now(p->loop);
	jsPubOptions_Init(&po);
	po.MsgId = q->id;
	if (!nats_pub_ready(p) || natsMsg_Create(&m, p->subject, NULL, data, (int)len) != NATS_OK ||
	    js_PublishMsgAsync(p->js, &m, &po) != NATS_OK) {
		natsMsg_Destroy(m); /* NULL when the library took it */
		q->fail_now = 1;
		uv_timer_start(&p->timer, on_timer, 0, 0);
	} else if (!uv_is_active((uv_handle_t *)&p->timer)) {
		uv_timer_start(&p->timer, on_timer, 500, 0);
	}
	q->next = p->pending;
	p->pending = q;
	return 0;
}

static void on_closed(uv_handle_t *h)
{
	release(h->data);
}

void nats_pub_free(struct nats_pub *p)
{
	struct pending *q;

	if (!p)
		return;
	p->closing = 1;
	pthread_mutex_lock(&p->lock);
	p->closed = 1;
	pthread_mutex_unlock(&p->lock);
	while ((q = p->pending)) {
		p->pending = q->next;
		answer(q, -ECANCELED, 0, "closing");
	}
	jsCtx_Destroy(p->js);
	natsConnection_Destroy(p->nc); /* closes; the adapter detaches from the loop */
	natsOptions_Destroy(p->nopts);
	p->js = NULL;
	p->nc = NULL;
	p->nopts = NULL;
	pthread_mutex_lock(&p->lock);
	for (struct event *e = p->events, *n; e; e = n) {
		n = e->next;
		free(e->id);
		free(e);
	}
	p->events = NULL;
	p->events_tail = &p->events;
	pthread_mutex_unlock(&p->lock);
	uv_close((uv_handle_t *)&p->async, on_closed);
	uv_close((uv_handle_t *)&p->timer, on_closed);
}
