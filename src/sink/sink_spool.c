/* SPDX-License-Identifier: MIT */
/* The spool (spool.c) behind the sink interface: stage into tmp/, publish into new/. */
#include "autoconfig.h"

#include "sink.h"

#include <stdio.h>
#include <stdlib.h>

#include "spool.h"

struct sink_spool {
	struct sink s;
	struct spool *sp;
	char name[512];
};

static struct spool *sp_of(const struct sink *s)
{
	return ((const struct sink_spool *)s->impl)->sp;
}

static int ss_stage(struct sink *s, const char *id, const char *json, size_t json_len,
		    const char *txt, size_t txt_len, sink_done_fn done, void *ud)
{
	return spool_stage(sp_of(s), id, json, json_len, txt, txt_len, done, ud);
}

static int ss_publish(struct sink *s, const char *id, sink_done_fn done, void *ud)
{
	return spool_publish(sp_of(s), id, done, ud);
}

static size_t ss_pending(const struct sink *s)
{
	return spool_pending(sp_of(s));
}

enum sink_found sink_spool_find(struct spool *sp, const char *id)
{
	switch (spool_locate(sp, id)) {
	case SPOOL_IN_TMP:
		return SINK_STAGED;
	case SPOOL_IN_NEW:
	case SPOOL_IN_CUR:
		return SINK_PUBLISHED;
	default:
		return SINK_NOTHING;
	}
}

/* A revision's JSON in new/ or cur/ may be the older version's: tmp/ alone says whether the
 * recorded one still waits there (the caller reads it to check its number). */
static enum sink_found ss_find(struct sink *s, const char *id, int revision)
{
	return revision ? SINK_STAGED : sink_spool_find(sp_of(s), id);
}

static int ss_read_staged(struct sink *s, const char *id, struct buf *out)
{
	return spool_read_staged(sp_of(s), id, out);
}

static int ss_publish_now(struct sink *s, const char *id)
{
	return spool_publish_now(sp_of(s), id);
}

static int ss_clean(struct sink *s, int (*keep)(void *ud, const char *id), void *ud)
{
	return spool_clean_tmp(sp_of(s), keep, ud);
}

static const char *ss_name(const struct sink *s)
{
	return spool_dir(sp_of(s));
}

static const char *ss_last_failure(const struct sink *s)
{
	return spool_last_failure(sp_of(s));
}

static const char *ss_probe_arg(const struct sink *s)
{
	return spool_dir(sp_of(s));
}

static void ss_free(struct sink *s)
{
	free(s->impl);
}

static const struct sink_ops spool_ops = {
    .stage = ss_stage,
    .publish = ss_publish,
    .pending = ss_pending,
    .find = ss_find,
    .read_staged = ss_read_staged,
    .publish_now = ss_publish_now,
    .clean = ss_clean,
    .name = ss_name,
    .last_failure = ss_last_failure,
    .probe = spool_probe,
    .probe_arg = ss_probe_arg,
    .free = ss_free,
};

struct sink *sink_spool_new(struct spool *sp)
{
	struct sink_spool *ss = calloc(1, sizeof *ss);

	if (!ss)
		return NULL;
	ss->sp = sp;
	ss->s.ops = &spool_ops;
	ss->s.impl = ss;
	return &ss->s;
}

void sink_free(struct sink *s)
{
	if (s)
		s->ops->free(s);
}
