/* SPDX-License-Identifier: MIT */
/* The control socket of a running daemon (`feedspool ctl`): a Unix stream socket next to the
 * state (mode 0660, so the service's group may use it), one JSON request per line, one JSON
 * answer per line: {"cmd": "refresh", "feed": NAME} (or "all": true), "pause", "resume",
 * "status". The daemon answers through the operations it registers; every call runs on the
 * loop. Requests are capped at 64 KiB and at 16 clients at once. */
#ifndef FEEDSPOOL_CTL_H
#define FEEDSPOOL_CTL_H

#include <jansson.h>
#include <uv.h>

#include "buf.h"

struct ctl_ops {
	/* 0, or negative with a message in err (an unknown feed: -ENOENT). feed NULL: every feed. */
	int (*refresh)(void *ud, const char *feed, struct buf *err);
	int (*pause)(void *ud, const char *feed, struct buf *err);
	int (*resume)(void *ud, const char *feed, struct buf *err);
	/* A new JSON object describing the daemon and its feeds. */
	json_t *(*status)(void *ud);
};

struct ctl;

/* The socket's path for a state database path: its directory's feedspool.ctl; for a database
 * server (state = postgresql://...), the spool's feedspool.ctl (a new string). */
char *ctl_path_for(const char *state_path, const char *spool);
/* Listens on path (a stale socket there is replaced; anything else there is refused). NULL
 * with a message in err. */
struct ctl *ctl_start(uv_loop_t *loop, const char *path, const struct ctl_ops *ops, void *ud,
		      struct buf *err);
/* Closes the socket and every client, removes the path; frees from the loop. Accepts NULL. */
void ctl_stop(struct ctl *c);

/* The client side (`feedspool ctl`): sends one request and reads one answer, blocking, with a
 * timeout. 0 and *answer set, or negative with a message in err. */
int ctl_request(const char *path, const json_t *request, int timeout_ms, json_t **answer,
		struct buf *err);

#endif
