/* SPDX-License-Identifier: MIT */
/* The NATS JetStream sink: an article is staged in the spool's tmp/ (durable before the state
 * records it), published from there with Nats-Msg-Id = its id ("-rN" for revision N), and done
 * only once the server acknowledged it; then its staged files are removed, or (`sink = spool
 * nats`, the fan-out) moved into new/ as the spool sink does, so the stream gets it before
 * readers of new/ do and recovery finds it published when it is in new/.
 *
 * Recovery publishes again what is still staged (on the loop: publish_now is not synchronous
 * here); the server's duplicate window drops a copy it already has. While the server is away a
 * publish waits up to nats_ack_timeout for it to come back, then fails with -EAGAIN (a full
 * stream: -ENOSPC), which stalls the pipeline as a full disk does; the probe checks the spool
 * and the server (and a stream that refuses new messages) with a connection of its own. */
#include "autoconfig.h"

#include "sink_nats.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nats/nats.h>

#include "nats_pub.h"

#define HOLD_POLL_MS 100 /* how often a publish waiting for the server looks again */

/* One publish, from reading the staged JSON to the done callback. */
struct req {
	struct sink_nats *sn;
	uv_work_t work;
	struct req *next; /* waiting for the server */
	char id[17];
	char msg_id[40];
	struct buf data;
	int rc;
	uint64_t deadline;
	sink_done_fn done;
	void *ud;
};

struct sink_nats {
	struct sink s;
	uv_loop_t *loop;
	struct spool *sp;
	int fanout;	  /* also into the spool's new/ */
	char *dir;	  /* the spool's, copied: thread-pool work may outlive the spool */
	char *where;	  /* "NATS URL stream S" */
	char *probe_arg;  /* "DIR\nURL\nSTREAM\nCREDS\nTOKEN" */
	struct nats_pub *pub;
	int ack_timeout_ms;
	uv_timer_t hold;
	struct req *held;
	size_t reqs;	  /* alive: the sink is freed after the last */
	int closing, freed, hold_open;
	char err[512];	  /* the last failed publish */
	char state_msg[300]; /* what the connection said last when it went away */
};

static void release(struct sink_nats *sn)
{
	if (!sn->freed || sn->reqs || sn->hold_open)
		return;
	free(sn->dir);
	free(sn->where);
	if (sn->probe_arg) {
		explicit_bzero(sn->probe_arg, strlen(sn->probe_arg));
		free(sn->probe_arg);
	}
	free(sn);
}

static void finish(struct req *q, int rc)
{
	struct sink_nats *sn = q->sn;

	q->done(q->ud, rc);
	buf_fini(&q->data);
	free(q);
	sn->reqs--;
	release(sn);
}

static void fail(struct req *q, int rc, const char *why)
{
	/* nats_pub's own messages about the stream name it already */
	if (!strncmp(why, "NATS ", 5))
		snprintf(q->sn->err, sizeof q->sn->err, "%s", why);
	else
		snprintf(q->sn->err, sizeof q->sn->err, "%s: %s", q->sn->where, why);
	finish(q, rc);
}

void sink_nats_library_close(void)
{
	nats_Close();
}

void sink_nats_msg_id(char *out, size_t n, const char *id, int revision)
{
	if (revision > 0)
		snprintf(out, n, "%s-r%d", id, revision);
	else
		snprintf(out, n, "%s", id);
}

/* ---- after the acknowledgement: the staged files go, or into new/ ---------------------------- */

static void work_unlink(uv_work_t *w)
{
	struct req *q = w->data;
	char path[PATH_MAX];

	/* not synced: a removal lost in a crash only means publishing again (a duplicate the
	 * server drops) */
	snprintf(path, sizeof path, "%s/tmp/%s.json", q->sn->dir, q->id);
	unlink(path);
	snprintf(path, sizeof path, "%s/tmp/%s.txt", q->sn->dir, q->id);
	unlink(path);
}

static void after_unlink(uv_work_t *w, int status)
{
	finish(w->data, 0);
}

static void on_spooled(void *ud, int status)
{
	struct req *q = ud;

	if (status < 0)
		snprintf(q->sn->err, sizeof q->sn->err, "spool %s: moving %s from tmp/ into new/: %s",
			 q->sn->dir, q->id, strerror(-status));
	finish(q, status);
}

static void on_ack(void *ud, int rc, int dup, const char *err)
{
	struct req *q = ud;
	struct sink_nats *sn = q->sn;

	if (rc < 0) {
		/* a stream that refuses new messages (discard new at its limits) is full */
		if (rc == -EIO && err && strstr(err, "maximum"))
			rc = -ENOSPC;
		fail(q, rc, err ? err : strerror(-rc));
		return;
	}
	buf_fini(&q->data);
	if (sn->closing) {
		finish(q, 0); /* acknowledged: the next start finds it staged and sends it again,
			       * which the server drops */
		return;
	}
	if (sn->fanout) {
		if ((rc = spool_publish(sn->sp, q->id, on_spooled, q)) < 0)
			on_spooled(q, rc);
		return;
	}
	q->work.data = q;
	if (uv_queue_work(sn->loop, &q->work, work_unlink, after_unlink) < 0)
		finish(q, 0); /* left in tmp/: sent again at the next start, and dropped */
}

/* ---- sending, or waiting for the server ---------------------------------------------------- */

static void send_now(struct req *q)
{
	int rc = nats_pub_publish(q->sn->pub, q->msg_id, q->data.data, q->data.len, on_ack, q);

	if (rc < 0)
		fail(q, rc, strerror(-rc));
}

static void on_hold(uv_timer_t *t)
{
	struct sink_nats *sn = t->data;
	uint64_t now = uv_now(sn->loop);
	struct req *q, *list = sn->held, **tail = &sn->held;

	sn->held = NULL;
	while ((q = list)) {
		list = q->next;
		q->next = NULL;
		if (nats_pub_ready(sn->pub)) {
			send_now(q);
		} else if (now >= q->deadline) {
			fail(q, -EAGAIN, sn->state_msg[0] ? sn->state_msg
							  : "the server is not reachable");
		} else {
			*tail = q;
			tail = &q->next;
		}
	}
	if (!sn->held)
		uv_timer_stop(&sn->hold);
}

/* Sends now when the stream is usable, else waits for it until the deadline. */
static void send_or_hold(struct req *q)
{
	struct sink_nats *sn = q->sn;

	if (nats_pub_ready(sn->pub)) {
		send_now(q);
		return;
	}
	q->next = sn->held;
	sn->held = q;
	if (!uv_is_active((uv_handle_t *)&sn->hold))
		uv_timer_start(&sn->hold, on_hold, HOLD_POLL_MS, HOLD_POLL_MS);
}

/* ---- reading the staged JSON (thread pool) ----------------------------------------------------- */

static void work_read(uv_work_t *w)
{
	struct req *q = w->data;
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof path, "%s/tmp/%s.json", q->sn->dir, q->id);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		q->rc = -errno;
		return;
	}
	q->rc = buf_read_fd(&q->data, fd, SIZE_MAX);
	close(fd);
}

/* The revision the staged JSON says (0 when it says none, or cannot be read as JSON). */
static int staged_revision(const struct buf *b)
{
	json_t *o = json_loadb(b->data, b->len, 0, NULL), *v;
	int n = 0;

	if (o && (v = json_object_get(o, "revision")) && json_is_integer(v) &&
	    json_integer_value(v) > 0 && json_integer_value(v) < INT_MAX)
		n = (int)json_integer_value(v);
	json_decref(o);
	return n;
}

static void after_read(uv_work_t *w, int status)
{
	struct req *q = w->data;
	struct sink_nats *sn = q->sn;
	char why[300];

	if (sn->closing) {
		finish(q, -ECANCELED);
		return;
	}
	if (status < 0 || q->rc < 0) {
		snprintf(why, sizeof why, "reading %s/tmp/%s.json: %s", sn->dir, q->id,
			 strerror(-(status < 0 ? status : q->rc)));
		fail(q, status < 0 ? status : q->rc, why);
		return;
	}
	sink_nats_msg_id(q->msg_id, sizeof q->msg_id, q->id, staged_revision(&q->data));
	send_or_hold(q);
}

/* ---- the sink interface ---------------------------------------------------------------------- */

static struct sink_nats *sn_of(const struct sink *s)
{
	return s->impl;
}

static int sn_stage(struct sink *s, const char *id, const char *json, size_t json_len,
		    const char *txt, size_t txt_len, sink_done_fn done, void *ud)
{
	struct sink_nats *sn = sn_of(s);

	/* the stream gets the JSON only: the text goes to new/ with it when fanning out */
	return spool_stage(sn->sp, id, json, json_len, sn->fanout ? txt : NULL,
			   sn->fanout ? txt_len : 0, done, ud);
}

static int sn_publish(struct sink *s, const char *id, sink_done_fn done, void *ud)
{
	struct sink_nats *sn = sn_of(s);
	struct req *q;

	if (sn->closing)
		return -ESHUTDOWN;
	if (strlen(id) != 16)
		return -EINVAL;
	if (!(q = calloc(1, sizeof *q)))
		return -ENOMEM;
	q->sn = sn;
	memcpy(q->id, id, 17);
	q->done = done;
	q->ud = ud;
	q->deadline = uv_now(sn->loop) + (uint64_t)sn->ack_timeout_ms;
	q->work.data = q;
	if (uv_queue_work(sn->loop, &q->work, work_read, after_read) < 0) {
		free(q);
		return -ENOMEM;
	}
	sn->reqs++;
	return 0;
}

static size_t sn_pending(const struct sink *s)
{
	/* the stream's consumers are not counted: its own limits hold it back */
	return sn_of(s)->fanout ? spool_pending(sn_of(s)->sp) : 0;
}

/* A first version in new/ or cur/ went to the stream before (the fan-out moves it there only
 * after the acknowledgement); anything in tmp/ is sent again. */
static enum sink_found sn_find(struct sink *s, const char *id, int revision)
{
	struct sink_nats *sn = sn_of(s);

	if (!sn->fanout || revision)
		return SINK_STAGED; /* the recovery reads tmp/ to see whether it is there */
	return sink_spool_find(sn->sp, id);
}

static int sn_read_staged(struct sink *s, const char *id, struct buf *out)
{
	return spool_read_staged(sn_of(s)->sp, id, out);
}

/* Not synchronous here: the recovery queues the article and the loop publishes it. */
static int sn_publish_now(struct sink *s, const char *id)
{
	return -EAGAIN;
}

static int sn_clean(struct sink *s, int (*keep)(void *ud, const char *id), void *ud)
{
	return spool_clean_tmp(sn_of(s)->sp, keep, ud);
}

static const char *sn_name(const struct sink *s)
{
	return sn_of(s)->dir;
}

static const char *sn_last_failure(const struct sink *s)
{
	return spool_last_failure(sn_of(s)->sp);
}

static const char *sn_probe_arg(const struct sink *s)
{
	return sn_of(s)->probe_arg;
}

static const char *sn_publish_error(const struct sink *s)
{
	return sn_of(s)->err[0] ? sn_of(s)->err : NULL;
}

/* Blocking (thread pool): the staging directory, then the server with a connection of its own:
 * 0 when it answers and the stream (if it exists yet) takes new messages. */
static int sn_probe(const char *arg)
{
	char *copy = strdup(arg), *f[5] = {NULL}, *p = copy;
	natsOptions *o = NULL;
	natsConnection *c = NULL;
	jsCtx *js = NULL;
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	natsStatus s;
	int i, rc;

	if (!copy)
		return -ENOMEM;
	for (i = 0; i < 5 && p; i++) {
		f[i] = p;
		if ((p = strchr(p, '\n')))
			*p++ = '\0';
	}
	if (i < 5) {
		rc = -EINVAL;
		goto out;
	}
	if ((rc = spool_probe(f[0])) < 0)
		goto out;
	s = natsOptions_Create(&o);
	if (s == NATS_OK)
		s = natsOptions_SetURL(o, f[1]);
	if (s == NATS_OK)
		s = natsOptions_SetTimeout(o, 2000);
	if (s == NATS_OK)
		s = natsOptions_SetAllowReconnect(o, false);
	if (s == NATS_OK && *f[4])
		s = natsOptions_SetToken(o, f[4]);
	if (s == NATS_OK && *f[3])
		s = natsOptions_SetUserCredentialsFromFiles(o, f[3], NULL);
	if (s == NATS_OK)
		s = natsConnection_Connect(&c, o);
	if (s == NATS_OK)
		s = natsConnection_JetStream(&js, c, NULL);
	if (s == NATS_OK)
		s = js_GetStreamInfo(&si, js, f[2], NULL, &jerr);
	if (s == NATS_NOT_FOUND) {
		rc = 0; /* the publisher creates it */
	} else if (s != NATS_OK) {
		rc = -EAGAIN;
	} else {
		jsStreamConfig *sc = si->Config;
		jsStreamState *st = &si->State;

		rc = sc->Discard == js_DiscardNew &&
			     ((sc->MaxMsgs > 0 && st->Msgs >= (uint64_t)sc->MaxMsgs) ||
			      (sc->MaxBytes > 0 && st->Bytes >= (uint64_t)sc->MaxBytes))
			 ? -ENOSPC
			 : 0;
	}
	jsStreamInfo_Destroy(si);
	jsCtx_Destroy(js);
	natsConnection_Destroy(c);
	natsOptions_Destroy(o);
out:
	explicit_bzero(copy, strlen(arg));
	free(copy);
	return rc;
}

static void on_hold_closed(uv_handle_t *h)
{
	struct sink_nats *sn = h->data;

	sn->hold_open = 0;
	release(sn);
}

/* Publishes in flight complete now with -ECANCELED (recorded as being published: the next
 * start sends them again); the spool is not touched after this. */
static void sn_shutdown(struct sink *s)
{
	struct sink_nats *sn = sn_of(s);
	struct req *q;

	if (sn->closing)
		return;
	sn->closing = 1;
	while ((q = sn->held)) {
		sn->held = q->next;
		finish(q, -ECANCELED);
	}
	nats_pub_free(sn->pub); /* answers what waits for an acknowledgement */
	sn->pub = NULL;
	uv_timer_stop(&sn->hold);
	uv_close((uv_handle_t *)&sn->hold, on_hold_closed);
}

static void sn_free(struct sink *s)
{
	struct sink_nats *sn = sn_of(s);

	sn_shutdown(s);
	sn->freed = 1;
	release(sn);
}

static const struct sink_ops nats_ops = {
    .stage = sn_stage,
    .publish = sn_publish,
    .pending = sn_pending,
    .find = sn_find,
    .read_staged = sn_read_staged,
    .publish_now = sn_publish_now,
    .clean = sn_clean,
    .name = sn_name,
    .last_failure = sn_last_failure,
    .probe = sn_probe,
    .probe_arg = sn_probe_arg,
    .free = sn_free,
    .publish_error = sn_publish_error,
    .shutdown = sn_shutdown,
};

static void on_state(void *ud, int up, const char *msg)
{
	struct sink_nats *sn = ud;

	if (!up && msg && *msg)
		snprintf(sn->state_msg, sizeof sn->state_msg, "%s", msg);
	else if (up)
		sn->state_msg[0] = '\0';
}

struct sink *sink_nats_new(uv_loop_t *loop, struct spool *sp, const struct config *c,
			   struct buf *err)
{
	struct sink_nats *sn = calloc(1, sizeof *sn);
	struct nats_pub_opts o = {
	    .url = c->nats_url,
	    .stream = c->nats_stream,
	    .subject = c->nats_subject,
	    .replicas = c->nats_replicas,
	    .dup_window_s = c->nats_duplicate_window,
	    .creds_file = c->nats_creds_file,
	    .token = c->nats_token,
	    .ack_timeout_ms = c->nats_ack_timeout * 1000,
	    .max_pending = c->max_pending,
	};
	struct buf b = BUF_INIT;

	if (!sn)
		goto oom;
	sn->loop = loop;
	sn->sp = sp;
	sn->fanout = (c->sink & SINK_SPOOL) != 0;
	sn->ack_timeout_ms = c->nats_ack_timeout * 1000;
	sn->s.ops = &nats_ops;
	sn->s.impl = sn;
	sn->freed = 1; /* until it is whole: release() frees it */
	if (!(sn->dir = strdup(spool_dir(sp))) ||
	    buf_printf(&b, "NATS %s stream %s", c->nats_url, c->nats_stream) < 0 ||
	    !(sn->where = buf_steal(&b)) ||
	    buf_printf(&b, "%s\n%s\n%s\n%s\n%s", sn->dir, c->nats_url, c->nats_stream,
		       c->nats_creds_file ? c->nats_creds_file : "",
		       c->nats_token ? c->nats_token : "") < 0 ||
	    !(sn->probe_arg = buf_steal(&b)))
		goto oom;
	if (!(sn->pub = nats_pub_new(loop, &o, on_state, sn, err))) {
		release(sn);
		return NULL;
	}
	uv_timer_init(loop, &sn->hold);
	sn->hold.data = sn;
	sn->hold_open = 1;
	sn->freed = 0;
	return &sn->s;
oom:
	if (b.data)
		explicit_bzero(b.data, b.len);
	buf_fini(&b);
	if (sn)
		release(sn);
	buf_printf(err, "NATS: out of memory");
	return NULL;
}
