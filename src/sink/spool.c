/* SPDX-License-Identifier: MIT */
/* The spool: stages articles in SPOOL/tmp and publishes them into SPOOL/new by rename, with the
 * fsyncs group-committed on the libuv thread pool (DESIGN.md, "The spool contract"). */
#include "autoconfig.h"

#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

#define ID_LEN 16
#define NAME_MAX_LEN (ID_LEN + sizeof(".json")) /* "<id>.json" and its NUL */
/* A stage batch is written by up to this many thread-pool jobs at once (the default pool size):
 * each fsync costs a journal commit or a cache flush, and concurrent ones overlap (about 3.3 ms
 * per file serially, 0.27 ms with four in parallel, on the machine this was tuned on). */
#define JOBS 4
/* new/ is recounted this often (on the thread pool, and only while the count is not zero). */
#define RESCAN_MS 5000

/* One submission. For staging, the JSON and text are copied behind the struct. */
struct item {
	struct item *next;
	spool_done_fn done;
	void *ud;
	int status;
	char id[ID_LEN + 1];
	const char *json;
	size_t json_len;
	const char *txt; /* NULL: no text file */
	size_t txt_len;
};

struct queue {
	struct item *head;
	struct item **tail;
	size_t n;
};

/* One file of a stage batch; only the job that owns it writes status. */
struct file {
	struct item *item;
	int is_txt;
	int status;
};

struct job {
	uv_work_t req;
	struct batch *batch;
	size_t first;
	size_t n;
};

/* A group commit: every submission that was queued when the batch started. */
struct batch {
	struct spool *s;
	struct item *items;
	int jobs_left;	    /* after-work callbacks still to come (loop thread) */
	atomic_int running; /* jobs still writing; the last one fsyncs the directory */
	int dir_status;	    /* -ECANCELED until the directory fsync has run */
	int txt_possible;   /* a text file may be in tmp/ (struct spool's may_have_txt) */
	int chmod;	    /* openat's mode may be cut by the process umask: fchmod */
	size_t nfiles;
	struct job jobs[JOBS];
	struct file files[];
};

struct spool {
	uv_loop_t *loop;
	char *dir;
	int dir_fd;
	int tmp_fd;
	int new_fd;
	int cur_fd;
	mode_t file_mode;
	/* Whether tmp/ may hold a text file: one was there at open or has been staged since. While
	 * not, a JSON-only article needs no removal of a stale text and no move of its text: two
	 * path lookups in a busy directory saved per article. Loop thread; batches copy it. */
	int may_have_txt;

	struct queue stage_q; /* waiting for the next batch */
	struct queue publish_q;
	struct batch *staging; /* in flight; at most one of each kind */
	struct batch *publishing;
	uv_idle_t idle; /* starts the next batches after the current loop iteration */

	size_t pending;
	uint64_t published;	       /* articles moved into new/ since open */
	char failed[4 + NAME_MAX_LEN]; /* spool_last_failure(): "tmp/<id>.json" */
	uv_timer_t timer;
	uv_work_t rescan_req;
	int rescanning;
	int rescan_status; /* written by the rescan job */
	size_t rescan_count;
	uint64_t rescan_base; /* published when the rescan started */

	int closing;
	int handles_closing;
	int handles; /* uv handles not yet closed */
	void (*on_closed)(void *ud);
	void *closed_ud;
};

static void kick(struct spool *s);
static void maybe_close(struct spool *s);

static int valid_id(const char *id)
{
	size_t i;

	if (!id)
		return 0;
	for (i = 0; i < ID_LEN; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			return 0;
	return id[ID_LEN] == '\0';
}

static void file_name(char *out, const char *id, int is_txt)
{
	memcpy(out, id, ID_LEN);
	strcpy(out + ID_LEN, is_txt ? ".txt" : ".json");
}

/* 1 when name is "<id>.json" or "<id>.txt" (the id is copied into id, is_txt set). */
static int parse_name(const char *name, char *id, int *is_txt)
{
	char tmp[ID_LEN + 1];

	if (strnlen(name, ID_LEN) < ID_LEN)
		return 0;
	memcpy(tmp, name, ID_LEN);
	tmp[ID_LEN] = '\0';
	if (!valid_id(tmp))
		return 0;
	if (strcmp(name + ID_LEN, ".json") == 0)
		*is_txt = 0;
	else if (strcmp(name + ID_LEN, ".txt") == 0)
		*is_txt = 1;
	else
		return 0;
	memcpy(id, tmp, ID_LEN + 1);
	return 1;
}

/* A directory stream over dir_fd's directory through a fresh open file description, so that
 * the shared fd's offset is never moved; NULL with -errno in *rc. */
static DIR *dir_reopen(int dir_fd, int *rc)
{
	int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;

	if (fd < 0) {
		*rc = -errno;
		return NULL;
	}
	if (!(d = fdopendir(fd))) {
		*rc = -errno;
		close(fd);
	}
	return d;
}

/* Counts the articles ("<id>.json") in a directory. */
static int count_json(int dir_fd, size_t *count)
{
	char id[ID_LEN + 1];
	struct dirent *de;
	size_t n = 0;
	int is_txt, rc = 0;
	DIR *d = dir_reopen(dir_fd, &rc);

	if (!d)
		return rc;
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de) {
			rc = errno ? -errno : 0;
			break;
		}
		if (parse_name(de->d_name, id, &is_txt) && !is_txt)
			n++;
	}
	closedir(d);
	if (rc == 0)
		*count = n;
	return rc;
}

static int published_already(const struct spool *s, const char *json_name)
{
	struct stat st;

	return fstatat(s->new_fd, json_name, &st, AT_SYMLINK_NOFOLLOW) == 0 ||
	       fstatat(s->cur_fd, json_name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* Removes tmp/ files: with keep_valid, only names that are no article's; otherwise those whose
 * id claimed() does not keep, and copies of articles already in new/ or cur/. The count removed
 * or the first -errno. */
static int sweep_tmp(struct spool *s, int keep_valid, int (*claimed)(void *ud, const char *id),
		     void *ud)
{
	char id[ID_LEN + 1], json[NAME_MAX_LEN];
	struct dirent *de;
	int is_txt, removed = 0, rc = 0;
	DIR *d = dir_reopen(s->tmp_fd, &rc);

	if (!d)
		return rc;
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de) {
			if (errno && rc == 0)
				rc = -errno;
			break;
		}
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (parse_name(de->d_name, id, &is_txt)) {
			int keep;

			s->may_have_txt |= is_txt; /* kept or not, it may be there still */
			if (keep_valid)
				continue;
			file_name(json, id, 0);
			keep = claimed ? claimed(ud, id) : 0;
			if (keep == 2 || (keep == 1 && !published_already(s, json)))
				continue;
		}
		if (unlinkat(s->tmp_fd, de->d_name, 0) == 0)
			removed++;
		else if (errno != ENOENT && errno != EISDIR && rc == 0) /* a directory: not ours */
			rc = -errno;
	}
	closedir(d);
	return rc < 0 ? rc : removed;
}

/* Creates tmp/name (replacing a leftover of a crashed run) and writes data: the fd or -errno,
 * with nothing left behind on error. */
static int create_file(const struct spool *s, const char *name, const char *data, size_t len,
		       int chmod)
{
	const int flags = O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW;
	ssize_t w;
	int fd, rc;

	fd = openat(s->tmp_fd, name, flags, s->file_mode);
	if (fd < 0 && errno == EEXIST) {
		if (unlinkat(s->tmp_fd, name, 0) != 0 && errno != ENOENT)
			return -errno;
		fd = openat(s->tmp_fd, name, flags, s->file_mode);
	}
	if (fd < 0)
		return -errno;
	/* The spool's umask decides, even when the process umask is stricter. */
	if (chmod && fchmod(fd, s->file_mode) != 0)
		goto fail;
	while (len > 0) {
		w = write(fd, data, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			goto fail;
		}
		data += w;
		len -= (size_t)w;
	}
	return fd;
fail:
	rc = -errno;
	close(fd);
	unlinkat(s->tmp_fd, name, 0);
	return rc;
}

/* Writes tmp/<id>.json or tmp/<id>.txt and fsyncs it (thread pool): 0 or -errno, with nothing
 * left behind on error. */
static int write_file(const struct spool *s, const struct batch *b, const struct item *it,
		      int is_txt)
{
	char name[NAME_MAX_LEN];
	int fd, rc = 0;

	if (!is_txt && !it->txt && b->txt_possible) {
		/* A stale text file of the same id must not be published with this JSON. */
		file_name(name, it->id, 1);
		if (unlinkat(s->tmp_fd, name, 0) != 0 && errno != ENOENT)
			return -errno;
	}
	file_name(name, it->id, is_txt);
	fd = create_file(s, name, is_txt ? it->txt : it->json, is_txt ? it->txt_len : it->json_len,
			 b->chmod);
	if (fd < 0)
		return fd;
	/* fdatasync: a new file's size is part of what it syncs; its timestamps need not be */
	if (fdatasync(fd) != 0)
		rc = -errno;
	if (close(fd) != 0 && errno != EINTR && rc == 0)
		rc = -errno;
	if (rc != 0)
		unlinkat(s->tmp_fd, name, 0);
	return rc;
}

static void on_stage_work(uv_work_t *req)
{
	struct job *j = req->data;
	struct batch *b = j->batch;
	struct file *f;
	size_t i;

	for (i = 0; i < j->n; i++) {
		f = &b->files[j->first + i];
		f->status = write_file(b->s, b, f->item, f->is_txt);
	}
	/* The last job makes the batch's new names in tmp/ durable, once for all. */
	if (atomic_fetch_sub(&b->running, 1) == 1)
		b->dir_status = fsync(b->s->tmp_fd) == 0 ? 0 : -errno;
}

/* Calls done for every item of a list, in order, and frees them (loop thread). */
static void complete(struct spool *s, struct item *it)
{
	struct item *next;

	for (; it; it = next) {
		next = it->next;
		it->done(it->ud, it->status);
		free(it);
	}
	kick(s);
	maybe_close(s);
}

static void finish_stage(struct batch *b)
{
	struct spool *s = b->s;
	struct item *it, *items = b->items;
	size_t i, failed = 0;

	/* An article fails with its first failed file, or with the directory fsync. The batch's
	 * first failure is the one spool_last_failure() names. */
	for (i = 0; i < b->nfiles; i++)
		if (b->files[i].status != 0 && b->files[i].item->status == 0) {
			b->files[i].item->status = b->files[i].status;
			if (!failed++) {
				memcpy(s->failed, "tmp/", 4);
				file_name(s->failed + 4, b->files[i].item->id, b->files[i].is_txt);
			}
		}
	for (it = items; it; it = it->next)
		if (it->status == 0 && (it->status = b->dir_status) != 0 && !failed++)
			strcpy(s->failed, "tmp/");
	s->staging = NULL;
	free(b);
	complete(s, items);
}

static void on_stage_after(uv_work_t *req, int status)
{
	struct job *j = req->data;
	struct batch *b = j->batch;
	size_t i;

	if (status < 0) /* never queued work that did not run: it must not read as success */
		for (i = 0; i < j->n; i++)
			b->files[j->first + i].status = status;
	if (--b->jobs_left == 0)
		finish_stage(b);
}

static struct item *take_queue(struct queue *q)
{
	struct item *head = q->head;

	q->head = NULL;
	q->tail = &q->head;
	q->n = 0;
	return head;
}

/* Whether openat(..., file_mode) could create a file with less than file_mode: the process
 * umask (read from /proc, which, unlike umask(2), changes nothing another thread could see)
 * takes bits of it away, or cannot be read. Saves an fchmod per file when not. */
static int umask_cuts(mode_t file_mode)
{
	char line[128];
	unsigned long m;
	FILE *f = fopen("/proc/self/status", "re");
	int cuts = 1;

	if (!f)
		return 1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "Umask: %lo", &m) == 1) {
			cuts = (file_mode & (mode_t)m) != 0;
			break;
		}
	fclose(f);
	return cuts;
}

static void start_stage(struct spool *s)
{
	struct item *it, *items;
	struct batch *b;
	size_t nfiles = 0, i = 0, njobs, k;
	int rc;

	for (it = s->stage_q.head; it; it = it->next) {
		nfiles += it->txt ? 2 : 1;
		if (it->txt)
			s->may_have_txt = 1;
	}
	items = take_queue(&s->stage_q);
	b = calloc(1, sizeof(*b) + nfiles * sizeof(b->files[0]));
	if (!b) {
		for (it = items; it; it = it->next)
			it->status = -ENOMEM;
		complete(s, items);
		return;
	}
	b->s = s;
	b->items = items;
	b->nfiles = nfiles;
	b->txt_possible = s->may_have_txt;
	b->chmod = umask_cuts(s->file_mode);
	for (it = items; it; it = it->next) {
		b->files[i++] = (struct file){it, 0, -ECANCELED};
		if (it->txt)
			b->files[i++] = (struct file){it, 1, -ECANCELED};
	}
	njobs = nfiles < JOBS ? nfiles : JOBS;
	b->jobs_left = (int)njobs;
	atomic_init(&b->running, (int)njobs);
	b->dir_status = -ECANCELED;
	s->staging = b;
	for (k = 0; k < njobs; k++) {
		struct job *j = &b->jobs[k];

		j->batch = b;
		j->first = k * nfiles / njobs;
		j->n = (k + 1) * nfiles / njobs - j->first;
		j->req.data = j;
		rc = uv_queue_work(s->loop, &j->req, on_stage_work, on_stage_after);
		if (rc != 0) {
			/* Cannot happen with a work callback; if it did, the job's files fail, and
			 * the directory fsync may be skipped (then the whole batch fails). */
			atomic_fetch_sub(&b->running, 1);
			on_stage_after(&j->req, rc);
		}
	}
}

/* Moves tmp/<id>.txt then tmp/<id>.json into new/: 0; 1 when the JSON already was in new/ (a
 * retry after a failed fsync of new/); -errno with new/ as it was. */
static int move_article(const struct spool *s, const char *id, int txt_possible)
{
	char txt[NAME_MAX_LEN], json[NAME_MAX_LEN];
	struct stat st;
	int moved_txt = 0, rc;

	file_name(txt, id, 1);
	file_name(json, id, 0);
	if (txt_possible) {
		moved_txt = renameat(s->tmp_fd, txt, s->new_fd, txt) == 0;
		if (!moved_txt && errno != ENOENT)
			return -errno;
	}
	if (renameat(s->tmp_fd, json, s->new_fd, json) == 0)
		return 0;
	rc = -errno;
	if (rc == -ENOENT && fstatat(s->new_fd, json, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return 1;
	if (moved_txt) /* no text without its JSON in new/ */
		(void)renameat(s->new_fd, txt, s->tmp_fd, txt);
	return rc;
}

static void on_publish_work(uv_work_t *req)
{
	struct batch *b = ((struct job *)req->data)->batch;
	struct item *it;

	for (it = b->items; it; it = it->next)
		it->status = move_article(b->s, it->id, b->txt_possible);
	/* One fsync of new/ for the whole batch. */
	b->dir_status = fsync(b->s->new_fd) == 0 ? 0 : -errno;
}

static void on_publish_after(uv_work_t *req, int status)
{
	struct batch *b = ((struct job *)req->data)->batch;
	struct spool *s = b->s;
	struct item *it, *items = b->items;

	(void)status; /* a job that never ran left every status at -ECANCELED */
	for (it = items; it; it = it->next) {
		if (it->status == 0) {
			s->pending++;
			s->published++;
		} else if (it->status == 1) {
			it->status = 0;
		}
		if (it->status == 0)
			it->status = b->dir_status;
	}
	s->publishing = NULL;
	free(b);
	complete(s, items);
}

static void start_publish(struct spool *s)
{
	struct item *it, *items = take_queue(&s->publish_q);
	struct batch *b;
	int rc;

	b = calloc(1, sizeof(*b));
	if (!b) {
		for (it = items; it; it = it->next)
			it->status = -ENOMEM;
		complete(s, items);
		return;
	}
	for (it = items; it; it = it->next)
		it->status = -ECANCELED;
	b->s = s;
	b->items = items;
	b->dir_status = -ECANCELED;
	b->txt_possible = s->may_have_txt;
	b->jobs[0].batch = b;
	b->jobs[0].req.data = &b->jobs[0];
	s->publishing = b;
	rc = uv_queue_work(s->loop, &b->jobs[0].req, on_publish_work, on_publish_after);
	if (rc != 0) {
		for (it = items; it; it = it->next)
			it->status = rc;
		on_publish_after(&b->jobs[0].req, rc);
	}
}

static void on_idle(uv_idle_t *h)
{
	struct spool *s = h->data;

	uv_idle_stop(h);
	if (!s->staging && s->stage_q.n > 0)
		start_stage(s);
	if (!s->publishing && s->publish_q.n > 0)
		start_publish(s);
}

/* Queued submissions start as a batch once this loop iteration is over, or when the batch in
 * flight completes: whatever arrives meanwhile joins them (group commit). */
static void kick(struct spool *s)
{
	if (!s->handles_closing &&
	    ((s->stage_q.n > 0 && !s->staging) || (s->publish_q.n > 0 && !s->publishing)))
		uv_idle_start(&s->idle, on_idle);
}

static void enqueue(struct spool *s, struct queue *q, struct item *it)
{
	*q->tail = it;
	q->tail = &it->next;
	q->n++;
	kick(s);
}

int spool_stage(struct spool *s, const char *id, const char *json, size_t json_len, const char *txt,
		size_t txt_len, spool_done_fn done, void *ud)
{
	struct item *it;
	char *p;

	if (!s || !valid_id(id) || !json || !done)
		return -EINVAL;
	if (s->closing)
		return -ESHUTDOWN;
	if (!txt)
		txt_len = 0;
	if (json_len > SIZE_MAX / 2 - sizeof(*it) || txt_len > SIZE_MAX / 2 - sizeof(*it))
		return -EOVERFLOW;
	it = malloc(sizeof(*it) + json_len + txt_len);
	if (!it)
		return -ENOMEM;
	*it = (struct item){.done = done, .ud = ud, .json_len = json_len, .txt_len = txt_len};
	memcpy(it->id, id, ID_LEN + 1);
	p = (char *)(it + 1);
	if (json_len > 0)
		memcpy(p, json, json_len);
	it->json = p;
	if (txt) {
		if (txt_len > 0)
			memcpy(p + json_len, txt, txt_len);
		it->txt = p + json_len;
	}
	enqueue(s, &s->stage_q, it);
	return 0;
}

int spool_publish(struct spool *s, const char *id, spool_done_fn done, void *ud)
{
	struct item *it;

	if (!s || !valid_id(id) || !done)
		return -EINVAL;
	if (s->closing)
		return -ESHUTDOWN;
	it = calloc(1, sizeof(*it));
	if (!it)
		return -ENOMEM;
	it->done = done;
	it->ud = ud;
	memcpy(it->id, id, ID_LEN + 1);
	enqueue(s, &s->publish_q, it);
	return 0;
}

enum spool_where spool_locate(struct spool *s, const char *id)
{
	char json[NAME_MAX_LEN];
	struct stat st;

	if (!s || !valid_id(id))
		return SPOOL_NOWHERE;
	file_name(json, id, 0);
	/* Published places first: a name left in tmp/ too is a copy clean_tmp removes. */
	if (fstatat(s->new_fd, json, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return SPOOL_IN_NEW;
	if (fstatat(s->cur_fd, json, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return SPOOL_IN_CUR;
	if (fstatat(s->tmp_fd, json, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return SPOOL_IN_TMP;
	return SPOOL_NOWHERE;
}

int spool_read_staged(struct spool *s, const char *id, struct buf *out)
{
	char name[NAME_MAX_LEN];
	int fd, rc;

	if (!s || !valid_id(id))
		return -EINVAL;
	file_name(name, id, 0);
	fd = openat(s->tmp_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	rc = buf_read_fd(out, fd, SIZE_MAX);
	close(fd);
	return rc;
}

int spool_publish_now(struct spool *s, const char *id)
{
	int rc;

	if (!s || !valid_id(id))
		return -EINVAL;
	rc = move_article(s, id, 1);
	if (rc < 0)
		return rc;
	if (fsync(s->new_fd) != 0)
		return -errno;
	if (rc == 0) {
		s->pending++;
		s->published++;
	}
	return 0;
}

int spool_clean_tmp(struct spool *s, int (*claimed)(void *ud, const char *id), void *ud)
{
	if (!s)
		return -EINVAL;
	return sweep_tmp(s, 0, claimed, ud);
}

size_t spool_pending(const struct spool *s)
{
	return s ? s->pending : 0;
}

const char *spool_dir(const struct spool *s)
{
	return s ? s->dir : NULL;
}

const char *spool_last_failure(const struct spool *s)
{
	return s ? s->failed : "";
}

int spool_probe(const char *dir)
{
	static const char block[4096];
	char path[4096];
	ssize_t w;
	int fd, rc = 0;

	if (snprintf(path, sizeof path, "%s/tmp/.probe.%ld", dir, (long)getpid()) >=
	    (int)sizeof path)
		return -ENAMETOOLONG;
	fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	do
		w = write(fd, block, sizeof block);
	while (w < 0 && errno == EINTR);
	if (w != (ssize_t)sizeof block)
		rc = w < 0 ? -errno : -ENOSPC;
	else if (fdatasync(fd) != 0)
		rc = -errno;
	close(fd);
	unlink(path);
	return rc;
}

static void on_rescan_work(uv_work_t *req)
{
	struct spool *s = req->data;

	s->rescan_status = count_json(s->new_fd, &s->rescan_count);
}

static void on_rescan_after(uv_work_t *req, int status)
{
	struct spool *s = req->data;

	s->rescanning = 0;
	if (status == 0 && s->rescan_status == 0)
		/* Articles published during the scan may be counted twice until the next one. */
		s->pending = s->rescan_count + (size_t)(s->published - s->rescan_base);
	else if (status == 0)
		log_warnx("spool %s/new: cannot count the files: %s", s->dir,
			  strerror(-s->rescan_status));
	maybe_close(s);
}

/* Readers taking files from new/ lower the count; nothing else does, so a count of zero needs
 * no rescan. */
static void on_timer(uv_timer_t *t)
{
	struct spool *s = t->data;

	if (s->rescanning || s->closing || s->pending == 0)
		return;
	s->rescan_base = s->published;
	s->rescan_req.data = s;
	if (uv_queue_work(s->loop, &s->rescan_req, on_rescan_work, on_rescan_after) == 0)
		s->rescanning = 1;
}

static void free_spool(struct spool *s)
{
	if (!s)
		return;
	if (s->dir_fd >= 0)
		close(s->dir_fd);
	if (s->tmp_fd >= 0)
		close(s->tmp_fd);
	if (s->new_fd >= 0)
		close(s->new_fd);
	if (s->cur_fd >= 0)
		close(s->cur_fd);
	free(s->dir);
	free(s);
}

static void on_handle_closed(uv_handle_t *h)
{
	struct spool *s = h->data;
	void (*cb)(void *ud);
	void *ud;

	if (--s->handles > 0)
		return;
	cb = s->on_closed;
	ud = s->closed_ud;
	free_spool(s);
	if (cb)
		cb(ud);
}

/* Closes the handles once nothing is queued or in flight. */
static void maybe_close(struct spool *s)
{
	if (!s->closing || s->handles_closing)
		return;
	if (s->staging || s->publishing || s->rescanning || s->stage_q.n > 0 || s->publish_q.n > 0)
		return;
	s->handles_closing = 1;
	uv_close((uv_handle_t *)&s->idle, on_handle_closed);
	uv_close((uv_handle_t *)&s->timer, on_handle_closed);
}

void spool_close(struct spool *s, void (*on_closed)(void *ud), void *ud)
{
	if (!s || s->closing)
		return;
	s->closing = 1;
	s->on_closed = on_closed;
	s->closed_ud = ud;
	uv_timer_stop(&s->timer);
	maybe_close(s);
}

static int is_symlink(int dir_fd, const char *name)
{
	struct stat st;

	return fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
}

static void open_error(struct buf *err, const char *dir, const char *sub, const char *what, int e)
{
	if (err)
		buf_printf(err, "spool %s%s%s: %s: %s", dir, sub ? "/" : "", sub ? sub : "", what,
			   strerror(e));
}

/* Directories follow the files: whoever may read the articles may take them (list new/, read,
 * rename into cur/), so a group that may read the files gets rwx and the setgid bit (new files
 * keep the spool's group). umask 027: directories 2770, files 0640; 077: 0700 and 0600. */
static mode_t dir_mode_for(mode_t umask)
{
	return 0700 | (umask & 040 ? 0 : 02070) | (umask & 004 ? 0 : 0005);
}

/* chmod only when the mode differs: a sandbox may refuse setting the setgid bit (systemd's
 * RestrictSUIDSGID), which a directory also gets from a setgid parent. */
static void set_dir_mode(int at, const char *name, mode_t mode)
{
	struct stat st;

	if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && (st.st_mode & 07777) != mode)
		(void)fchmodat(at, name, mode, 0);
}

struct spool *spool_open(uv_loop_t *loop, const char *dir, mode_t umask, struct buf *err)
{
	static const char *const subs[] = {"tmp", "new", "cur"};
	const mode_t dir_mode = dir_mode_for(umask);
	struct stat st_tmp, st_new;
	struct spool *s;
	int *fds[3], created = 0, rc;
	size_t i;

	if (!loop || !dir || !*dir) {
		open_error(err, dir ? dir : "(null)", NULL, "no directory", EINVAL);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s || !(s->dir = strdup(dir))) {
		free(s);
		open_error(err, dir, NULL, "cannot open", ENOMEM);
		return NULL;
	}
	s->loop = loop;
	s->dir_fd = s->tmp_fd = s->new_fd = s->cur_fd = -1;
	s->file_mode = 0666 & ~umask & 0777;
	s->stage_q.tail = &s->stage_q.head;
	s->publish_q.tail = &s->publish_q.head;
	fds[0] = &s->tmp_fd;
	fds[1] = &s->new_fd;
	fds[2] = &s->cur_fd;

	/* chmod after mkdir: the spool's umask decides, not the process's. */
	if (mkdir(dir, dir_mode & 0777) == 0)
		set_dir_mode(AT_FDCWD, dir, dir_mode);
	else if (errno != EEXIST) {
		open_error(err, dir, NULL, "cannot create the directory", errno);
		goto fail;
	}
	s->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dir_fd < 0) {
		open_error(err, dir, NULL, "cannot open the directory", errno);
		goto fail;
	}
	for (i = 0; i < 3; i++) {
		if (mkdirat(s->dir_fd, subs[i], dir_mode & 0777) == 0) {
			created = 1;
			set_dir_mode(s->dir_fd, subs[i], dir_mode);
		} else if (errno != EEXIST) {
			open_error(err, dir, subs[i], "cannot create the directory", errno);
			goto fail;
		}
		/* the root may be an admin's symbolic link; its tmp/, new/ and cur/ may not */
		*fds[i] =
		    openat(s->dir_fd, subs[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (*fds[i] < 0) {
			rc = errno == ENOTDIR && is_symlink(s->dir_fd, subs[i]) ? ELOOP : errno;
			open_error(err, dir, subs[i],
				   rc == ELOOP
				       ? "a symbolic link; refusing (tmp/, new/ and cur/ must "
					 "be real directories, not links to elsewhere)"
				       : "cannot open the directory",
				   rc);
			goto fail;
		}
	}
	if (created) /* a new spool: its directory too, whoever made it */
		set_dir_mode(s->dir_fd, ".", dir_mode);
	if (created && fsync(s->dir_fd) != 0) {
		open_error(err, dir, NULL, "fsync", errno);
		goto fail;
	}
	if (fstat(s->tmp_fd, &st_tmp) != 0 || fstat(s->new_fd, &st_new) != 0) {
		open_error(err, dir, NULL, "stat", errno);
		goto fail;
	}
	if (st_tmp.st_dev != st_new.st_dev) {
		open_error(err, dir, NULL, "tmp/ and new/ are on different file systems", EXDEV);
		goto fail;
	}
	for (i = 0; i < 2; i++)
		if (faccessat(s->dir_fd, subs[i], W_OK | X_OK, AT_EACCESS) != 0) {
			open_error(err, dir, subs[i], "not writable", errno);
			goto fail;
		}
	rc = sweep_tmp(s, 1, NULL, NULL);
	if (rc < 0) {
		open_error(err, dir, "tmp", "cannot clean", -rc);
		goto fail;
	}
	rc = count_json(s->new_fd, &s->pending);
	if (rc < 0) {
		open_error(err, dir, "new", "cannot count the files", -rc);
		goto fail;
	}
	/* Both always succeed; nothing after them may fail (they are freed only once closed). */
	uv_idle_init(loop, &s->idle);
	uv_timer_init(loop, &s->timer);
	s->idle.data = s;
	s->timer.data = s;
	s->handles = 2;
	uv_timer_start(&s->timer, on_timer, RESCAN_MS, RESCAN_MS);
	uv_unref((uv_handle_t *)&s->timer);
	return s;
fail:
	free_spool(s);
	return NULL;
}
