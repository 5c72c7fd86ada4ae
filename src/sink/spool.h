/* SPDX-License-Identifier: MIT */
/* The spool (DESIGN.md): SPOOL/tmp, SPOOL/new, SPOOL/cur. A file reaches new/ only by rename
 * after its data is fsynced; fsyncs run on the libuv thread pool in batches (group commit), never
 * on the loop thread. */
#ifndef FEEDSPOOL_SPOOL_H
#define FEEDSPOOL_SPOOL_H

#include <stddef.h>
#include <sys/types.h>
#include <uv.h>

#include "buf.h"

struct spool;

/* Creates the directory, tmp/, new/ and cur/ when missing (files get 0666 & ~umask, whatever
 * the process umask; directories 0700, plus 2070 when the group may read the files and 0005
 * when others may: 2770 for umask 027, so the group can take articles) and removes from tmp/ the names that are no
 * article's ("<id>.json", "<id>.txt"). Staged articles stay for recovery (spool_locate,
 * spool_publish_now, spool_clean_tmp). Fails when tmp/ or new/ is not a writable directory or
 * they are on different file systems. NULL with a message in err. */
struct spool *spool_open(uv_loop_t *loop, const char *dir, mode_t umask, struct buf *err);
/* Closes; queued and in-flight batches are finished first (their done callbacks run, and
 * submissions they make are refused with -ESHUTDOWN), then on_closed(ud) once everything is
 * freed. s may be NULL (then nothing is called). */
void spool_close(struct spool *s, void (*on_closed)(void *ud), void *ud);

/* Step 1, asynchronous: writes tmp/<id>.json (and tmp/<id>.txt when txt != NULL) and fsyncs
 * them, batched with other submissions. done(ud, 0) once durable in tmp/, or done(ud, -errno).
 * The strings are copied. id is 16 lowercase hex digits. Returns 0 (done will be called exactly
 * once, always from the loop, never from within this call) or -EINVAL, -ENOMEM, -ESHUTDOWN
 * (closing) with done never called. A failed article leaves at most a file in tmp/, which the
 * next stage of the same id replaces. */
typedef void (*spool_done_fn)(void *ud, int status);
int spool_stage(struct spool *s, const char *id, const char *json, size_t json_len,
		const char *txt, size_t txt_len, spool_done_fn done, void *ud);
/* Step 2, asynchronous: renames tmp/<id>.* into new/ (text first, JSON last, so a reader that
 * sees the JSON sees the text) and fsyncs new/. done(ud, 0) once the renames are durable.
 * Only after the stage's done(ud, 0). Publishing an article already in new/ succeeds (a retry
 * after a failed fsync); one not staged gets -ENOENT. Returns as spool_stage does. */
int spool_publish(struct spool *s, const char *id, spool_done_fn done, void *ud);

/* Crash recovery, synchronous (start-up only): where is article id's JSON? new/ and cur/ are
 * looked at before tmp/. SPOOL_NOWHERE for an invalid id. */
enum spool_where { SPOOL_NOWHERE, SPOOL_IN_TMP, SPOOL_IN_NEW, SPOOL_IN_CUR };
enum spool_where spool_locate(struct spool *s, const char *id);
/* Start-up recovery: appends the content of tmp/<id>.json to out. 0, -ENOENT when there is
 * none, or -errno. */
int spool_read_staged(struct spool *s, const char *id, struct buf *out);
/* Synchronous rename of a staged article into new/, then fsync of new/ (start-up recovery).
 * A staged revision replaces the older version of the same id in new/.
 * 0 or -errno (-ENOENT: not in tmp/ nor new/). */
int spool_publish_now(struct spool *s, const char *id);
/* Removes tmp/ files whose id fn does not claim (NULL claims nothing). fn returns 1 to keep
 * them unless the article is already in new/ or cur/ (then the tmp/ copy goes), 2 to keep them
 * whatever new/ and cur/ hold (a revision waiting to replace an older version), 0 to remove
 * them. Start-up only, with no stage in flight. The number of files removed, or the first
 * -errno (the others are still tried). */
int spool_clean_tmp(struct spool *s, int (*claimed)(void *ud, const char *id), void *ud);

/* Articles (JSON files) in new/, for back-pressure: counted at open, +1 per article published,
 * and recounted on the thread pool every 5 s while not zero (readers taking files lower it). An
 * estimate: it may run high by one batch until the next recount. */
size_t spool_pending(const struct spool *s);
const char *spool_dir(const struct spool *s);
/* The file (relative to the spool) that failed first in the last stage batch with a failure:
 * "tmp/<id>.json", "tmp/<id>.txt", or "tmp/" for the directory's fsync; "" before any failure.
 * Set before the done callbacks of the batch run. */
const char *spool_last_failure(const struct spool *s);
/* Blocking (call it on the thread pool): whether an article could be written now, by writing
 * 4 KiB to DIR/tmp/.probe.PID, syncing and removing it. 0 or -errno. It uses nothing but dir, so
 * it may outlive the spool. */
int spool_probe(const char *dir);

#endif
