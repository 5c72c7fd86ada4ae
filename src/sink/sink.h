/* SPDX-License-Identifier: MIT */
/* Where accepted articles go, seen by the pipeline through a small interface (a table of
 * functions and an opaque pointer), so that an implementation whose calls complete later (a
 * message broker acknowledging a publish) fits as well as the spool (sink_spool.c), the first.
 *
 * The contract the crash-consistency order (pipeline.h) rests on:
 *  - stage: make the article durable but invisible to readers; done(ud, 0) once it is, always
 *    from the loop, never from within the call;
 *  - publish: make a staged article visible, idempotently (publishing again after a crash or a
 *    failed acknowledgement must not show it twice); done(ud, 0) once that is durable;
 *  - recover (start-up, before any stage): settle an article the state recorded as staged but
 *    not known published, and forget staged articles the state never recorded;
 *  - pending: how many published articles readers have not taken yet (back-pressure). */
#ifndef FEEDSPOOL_SINK_H
#define FEEDSPOOL_SINK_H

#include <stddef.h>

#include "buf.h"

struct sink;
typedef void (*sink_done_fn)(void *ud, int status);

/* Where start-up recovery found a recorded article. */
enum sink_found {
	SINK_STAGED,	/* staged, not published: publish it */
	SINK_PUBLISHED, /* published (maybe taken by a reader already): settled */
	SINK_NOTHING,	/* neither: it was published and taken, or never staged whole */
};

struct sink_ops {
	/* Stages an article (id: 16 lowercase hex digits; txt may be NULL). 0 and done() called
	 * exactly once later, or a negative code and done() never called. */
	int (*stage)(struct sink *s, const char *id, const char *json, size_t json_len,
		     const char *txt, size_t txt_len, sink_done_fn done, void *ud);
	/* Publishes a staged article; as stage. */
	int (*publish)(struct sink *s, const char *id, sink_done_fn done, void *ud);
	/* Published articles not yet taken by readers (an estimate). */
	size_t (*pending)(const struct sink *s);
	/* Recovery, synchronous, start-up only. find: where a recorded article (revision n) is;
	 * staged: its staged JSON appended to out (0, -ENOENT, -errno); publish_now: publishes a
	 * staged article at once; clean: forgets staged articles keep() does not claim (keep
	 * returns 1 to keep them unless published, 2 to keep them whatever), the number forgotten
	 * or -errno. */
	enum sink_found (*find)(struct sink *s, const char *id, int revision);
	int (*read_staged)(struct sink *s, const char *id, struct buf *out);
	int (*publish_now)(struct sink *s, const char *id);
	int (*clean)(struct sink *s, int (*keep)(void *ud, const char *id), void *ud);
	/* For messages: the sink's name ("spool DIR"), the item that failed last ("tmp/ID.json"). */
	const char *(*name)(const struct sink *s);
	const char *(*last_failure)(const struct sink *s);
	/* Whether an article could be written now: a blocking probe run on the thread pool, with a
	 * copy of what probe_arg returns (so it may outlive the sink). 0 or -errno. */
	int (*probe)(const char *arg);
	const char *(*probe_arg)(const struct sink *s);
	void (*free)(struct sink *s);
	/* Optional (NULL in the spool). publish_error: what the last failed publish met, naming
	 * the server ("NATS nats://HOST:PORT stream S: ..."), or NULL to describe it as the
	 * spool's. shutdown: the pipeline is closing: publishes in flight complete now
	 * (-ECANCELED) and nothing is touched afterwards but the sink itself. */
	const char *(*publish_error)(const struct sink *s);
	void (*shutdown)(struct sink *s);
};

struct sink {
	const struct sink_ops *ops;
	void *impl;
};

static inline int sink_stage(struct sink *s, const char *id, const char *json, size_t json_len,
			     const char *txt, size_t txt_len, sink_done_fn done, void *ud)
{
	return s->ops->stage(s, id, json, json_len, txt, txt_len, done, ud);
}
static inline int sink_publish(struct sink *s, const char *id, sink_done_fn done, void *ud)
{
	return s->ops->publish(s, id, done, ud);
}
static inline size_t sink_pending(const struct sink *s)
{
	return s->ops->pending(s);
}
static inline const char *sink_name(const struct sink *s)
{
	return s->ops->name(s);
}

/* The spool as a sink (sink_spool.c); the spool stays the caller's (spool_close). NULL when
 * memory runs out. */
struct spool;
struct sink *sink_spool_new(struct spool *sp);
/* Where the spool sp holds the article id, as a sink's find answers it (for sinks that stage in
 * a spool). */
enum sink_found sink_spool_find(struct spool *sp, const char *id);
void sink_free(struct sink *s);

#endif
