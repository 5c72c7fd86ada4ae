/* SPDX-License-Identifier: MIT */
/* The NATS JetStream sink (sink_nats.c): articles staged in the spool's tmp/, published to a
 * stream with Nats-Msg-Id, and with `sink = spool nats` also into the spool's new/. */
#ifndef FEEDSPOOL_SINK_NATS_H
#define FEEDSPOOL_SINK_NATS_H

#include <uv.h>

#include "buf.h"
#include "config.h"
#include "sink.h"
#include "spool.h"

/* The sink for c->sink (SINK_NATS, with SINK_SPOOL as well: the fan-out), staging in sp (which
 * stays the caller's, closed after the sink's shutdown). The options are copied. NULL with a
 * message in err (a bad option, or no memory); a server that is not there is not an error
 * (publishes fail with -EAGAIN until it is). */
struct sink *sink_nats_new(uv_loop_t *loop, struct spool *sp, const struct config *c,
			   struct buf *err);

/* Releases libnats' own threads and memory, once every sink is freed (the end of the process). */
void sink_nats_library_close(void);

/* The Nats-Msg-Id of article id, revision n (0: the first version): "ID" or "ID-rN". */
void sink_nats_msg_id(char *out, size_t n, const char *id, int revision);

#endif
