/* SPDX-License-Identifier: MIT */
/* Publishing to a NATS JetStream stream from the libuv loop: the connection runs on the loop
 * through libnats' libuv adapter; each message carries Nats-Msg-Id so that the server drops a
 * copy published again (after a crash, or after an acknowledgement that never came) within the
 * stream's duplicate window; a publish is done only when the server acknowledged it.
 *
 * The stream is created when missing (subjects, replicas, duplicate window) on the thread pool
 * with a short-lived connection of its own, since a blocking JetStream request on the loop
 * thread would wait for a reply that only the loop can read. Acknowledgements arrive on a
 * libnats thread and are handed to the loop (uv_async): every done callback runs on the loop.
 * While the server is away, publishes fail at once (-EAGAIN) and the caller keeps the article
 * to publish later; one that was sent but not acknowledged within ack_timeout_ms fails with
 * -ETIMEDOUT (its late acknowledgement is ignored; publishing it again is safe). */
#ifndef FEEDSPOOL_NATS_PUB_H
#define FEEDSPOOL_NATS_PUB_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "buf.h"

struct nats_pub_opts {
	const char *url;        /* nats://127.0.0.1:4222 (a comma-separated list for a cluster) */
	const char *stream;     /* created when missing */
	const char *subject;    /* the stream's subject, and where articles are published */
	int replicas;           /* of a stream created here (1 when 0) */
	int64_t dup_window_s;   /* of a stream created here (120 when 0) */
	const char *creds_file; /* optional */
	const char *token;      /* optional */
	int ack_timeout_ms;     /* 10000 when 0 */
	int max_pending;        /* messages awaiting acknowledgement (256 when 0) */
};

struct nats_pub;

/* rc: 0 (stored; dup = 1 when the server already had this id), or negative with err. */
typedef void (*nats_pub_done)(void *ud, int rc, int dup, const char *err);

/* NULL with a message in err (a bad URL or option); a server that is not there is not an
 * error here (it is retried). on_state (may be NULL) hears of the stream becoming usable
 * (up = 1) or the connection going away (up = 0), from the loop. */
struct nats_pub *nats_pub_new(uv_loop_t *loop, const struct nats_pub_opts *o,
			      void (*on_state)(void *ud, int up, const char *msg), void *ud,
			      struct buf *err);
/* Publishes data under msg_id (copied); done is called once, from the loop, never from inside
 * this call. 0, or -ENOMEM. */
int nats_pub_publish(struct nats_pub *p, const char *msg_id, const char *data, size_t len,
		     nats_pub_done done, void *ud);
/* 1 when publishes can be sent now. */
int nats_pub_ready(const struct nats_pub *p);
/* Fails what is pending (-ECANCELED), closes the connection and frees p from the loop. */
void nats_pub_free(struct nats_pub *p);

#endif
